//! 备份, the super admin's: the backups of `backups/` beside the database (sizes, times,
//! manifests), one taken now (立即备份), and a backup's file. The work is `backup::schedule`.

use super::{ok, Reply};
use crate::auth::{Role, Session};
use crate::backup::schedule::{Backups, Refused};
use crate::error::{ApiResult, Error};
use rocket::http::ContentType;
use rocket::response::{self, Responder, Response};
use rocket::{get, post, routes, Request, Route, State};
use std::sync::Arc;

pub fn routes() -> Vec<Route> {
    routes![list, now, file]
}

const READERS: &[Role] = &[Role::Super];

/// The backups, newest first.
#[get("/api/backups/<_>")]
async fn list(backups: &State<Arc<Backups>>, session: Session) -> Reply {
    session.require(READERS)?;
    let backups = backups.inner().clone();
    let list = rocket::tokio::task::spawn_blocking(move || backups.list())
        .await
        .map_err(|e| Error::caused("blocking task", e))?;
    ok(list)
}

/// A backup now, on a blocking thread; one at a time.
#[post("/api/backups/<_>")]
async fn now(backups: &State<Arc<Backups>>, session: Session) -> Reply {
    session.require(READERS)?;
    let backups = backups.inner().clone();
    let taken = rocket::tokio::task::spawn_blocking(move || backups.now())
        .await
        .map_err(|e| Error::caused("blocking task", e))?;
    match taken {
        Ok((name, manifest)) => {
            log::info!("backup {name} taken on request: {} bytes", manifest.size);
            ok(serde_json::json!({"name": name, "manifest": manifest}))
        }
        Err(Refused::Busy) => Err(Error::Busy("另一个备份正在进行，请稍后再试").into()),
        Err(Refused::Failed(e)) => Err(Error::internal(format!("backup: {e}")).into()),
    }
}

/// A backup's file, named as listed; any other name is 7 不存在.
#[get("/api/backups/<_>/<backup>/file")]
async fn file(
    backups: &State<Arc<Backups>>,
    session: Session,
    backup: &str,
) -> ApiResult<BackupFile> {
    let name = backup;
    session.require(READERS)?;
    let path = backups.file(name).ok_or(Error::NotFound("该备份"))?;
    let file = rocket::tokio::fs::File::open(&path)
        .await
        .map_err(|_| Error::NotFound("该备份"))?;
    Ok(BackupFile {
        file,
        name: name.to_owned(),
    })
}

pub struct BackupFile {
    file: rocket::tokio::fs::File,
    name: String,
}

impl<'r> Responder<'r, 'static> for BackupFile {
    fn respond_to(self, _: &'r Request<'_>) -> response::Result<'static> {
        Response::build()
            .header(ContentType::new("application", "vnd.sqlite3"))
            .raw_header(
                "Content-Disposition",
                format!("attachment; filename=\"{}\"", self.name),
            )
            .sized_body(None, self.file)
            .ok()
    }
}
