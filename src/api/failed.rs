//! An import's failed rows worked on in place (not in the original API), for tasks with
//! thousands of them: `…/summary`, `…/rows` (paged, by reason), one row edited, a value replaced
//! in every row, rows dropped, and a re-run of them as they stand.

use super::{done, ok, paged, Body, BulkBody, Downloads, Reply};
use crate::auth::{Session, ASSET_ROLES};
use crate::config::Settings;
use crate::db::failed::Filter;
use crate::db::Db;
use crate::error::{Error, Result};
use crate::paging::Page;
use crate::tasks::failed;
use crate::tasks::Workers;
use rocket::{get, post, put, routes, Route, State};
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;

pub fn routes() -> Vec<Route> {
    routes![summary, rows, set_row, replace, drop_rows, rerun]
}

fn task_id(id: &str) -> Result<i64> {
    id.parse::<i64>().map_err(|_| Error::TaskNotFound)
}

#[get("/api/failed_task/<_>/<id>/summary")]
async fn summary(db: &State<Db>, session: Session, id: &str) -> Reply {
    let caller = session.require(ASSET_ROLES)?;
    let id = task_id(id)?;
    ok(db
        .run(move |conn| failed::summary(conn, &caller, id))
        .await?)
}

#[get("/api/failed_task/<_>/<id>/rows?<page>&<size>&<reason>&<value>")]
async fn rows(
    db: &State<Db>,
    session: Session,
    id: &str,
    page: Option<&str>,
    size: Option<&str>,
    reason: Option<&str>,
    value: Option<&str>,
) -> Reply {
    let caller = session.require(ASSET_ROLES)?;
    let id = task_id(id)?;
    let page = Page::parse(page.unwrap_or("1"), size)?;
    let filter = Filter {
        reason: reason.filter(|r| !r.is_empty()).map(str::to_owned),
        value: value.map(str::to_owned),
    };
    paged(
        db.run(move |conn| failed::page(conn, &caller, id, &filter, page))
            .await?,
    )
}

#[put("/api/failed_task/<_>/<id>/rows/<seq>", data = "<body>")]
async fn set_row(db: &State<Db>, session: Session, id: &str, seq: &str, body: Body) -> Reply {
    let caller = session.require(ASSET_ROLES)?;
    let id = task_id(id)?;
    let seq = seq.parse::<i64>().map_err(|_| Error::NotFound("失败行"))?;
    let row: Value = body.json()?;
    db.write(move |tx| failed::set_row(tx, &caller, id, seq, row))
        .await?;
    done()
}

#[derive(Deserialize)]
struct Replace {
    field: String,
    from: String,
    to: String,
}

#[post("/api/failed_task/<_>/<id>/replace", data = "<body>")]
async fn replace(db: &State<Db>, session: Session, id: &str, body: Body) -> Reply {
    let caller = session.require(ASSET_ROLES)?;
    let id = task_id(id)?;
    let Replace { field, from, to } = body.json()?;
    let replaced = db
        .run(move |conn| failed::replace(conn, &caller, id, (&field, &from, &to)))
        .await?;
    ok(json!({ "replaced": replaced }))
}

/// The body is the `seq`s of the rows to drop (a bulk body: thousands of them), or
/// `{"reason": …, "value": …}` for every row of a reason (of one bad value) at once.
#[post("/api/failed_task/<_>/<id>/drop", data = "<body>")]
async fn drop_rows(
    db: &State<Db>,
    downloads: &State<Downloads>,
    session: Session,
    id: &str,
    body: BulkBody,
) -> Reply {
    let caller = session.require(ASSET_ROLES)?;
    let id = task_id(id)?;
    let bytes = body.bytes()?;
    let dropped = downloads
        .removing(db, id, move |conn| {
            failed::drop_rows(conn, &caller, id, &bytes)
        })
        .await?;
    ok(json!({ "dropped": dropped }))
}

/// Runs the failed rows again as they now stand (after edits and replacements): all of them,
/// or with `{"reason": …, "value": …}` those of one reason (of one bad value).
#[post("/api/failed_task/<_>/<id>/rerun", data = "<body>")]
async fn rerun(
    db: &State<Db>,
    downloads: &State<Downloads>,
    workers: &State<Arc<Workers>>,
    settings: &State<Settings>,
    session: Session,
    id: &str,
    body: Body,
) -> Reply {
    let caller = session.require(ASSET_ROLES)?;
    let id = task_id(id)?;
    let bytes = body.bytes()?;
    let chunk_rows = settings.task_batch_rows;
    let queued = downloads
        .removing(db, id, move |conn| {
            failed::rerun_stored(conn, &caller, id, &bytes, chunk_rows)
        })
        .await?;
    if queued {
        workers.queue(id)?;
    }
    done()
}
