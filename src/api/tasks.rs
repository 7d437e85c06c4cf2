//! The seed's six task endpoints (plus one task's record): import, task list, failed rows and
//! re-run, export and its records. Both `/failed_task/…` and `/api/failed_task/…` are served.

use super::{done, ok, BulkBody, JsonStream, Reply};
use crate::auth::{Session, ASSET_ROLES};
use crate::config::Settings;
use crate::db::tasks::{EXPORT, IMPORT};
use crate::db::Db;
use crate::error::{ApiError, ApiResult};
use crate::tasks::{submit, Workers};
use rocket::{get, post, put, routes, Route, State};
use serde_json::json;
use std::sync::Arc;

pub fn routes() -> Vec<Route> {
    routes![
        import,
        export,
        list,
        one,
        failed_rows,
        failed_rows_api,
        rerun,
        rerun_api,
        export_records,
        export_failures
    ]
}

fn task_id(id: &str) -> ApiResult<i64> {
    id.parse::<i64>().map_err(|_| ApiError::TaskNotFound)
}

/// Stores a task of the body's rows, then hands it to the workers.
async fn submit_task(
    db: &Db,
    workers: &Workers,
    settings: &Settings,
    session: Session,
    body: BulkBody,
    port_type: i64,
) -> Reply {
    let caller = session.require(ASSET_ROLES)?;
    let bytes = body.bytes()?;
    let chunk_rows = settings.task_batch_rows;
    let id = db
        .write(move |tx| submit::create_from_json(tx, &caller, port_type, &bytes, chunk_rows))
        .await?;
    workers.queue(id)?;
    ok(json!({ "id": id }))
}

#[post("/api/asset/<_>", data = "<body>")]
async fn import(
    db: &State<Db>,
    workers: &State<Arc<Workers>>,
    settings: &State<Settings>,
    session: Session,
    body: BulkBody,
) -> Reply {
    submit_task(db, workers, settings, session, body, IMPORT).await
}

#[post("/api/export_task/<_>", data = "<body>")]
async fn export(
    db: &State<Db>,
    workers: &State<Arc<Workers>>,
    settings: &State<Settings>,
    session: Session,
    body: BulkBody,
) -> Reply {
    submit_task(db, workers, settings, session, body, EXPORT).await
}

#[get("/api/async_task/<_>")]
async fn list(db: &State<Db>, session: Session) -> Reply {
    let caller = session.require(ASSET_ROLES)?;
    ok(db.run(move |conn| submit::list(conn, &caller)).await?)
}

#[get("/api/async_task/<_>/<id>")]
async fn one(db: &State<Db>, session: Session, id: &str) -> Reply {
    let caller = session.require(ASSET_ROLES)?;
    let id = task_id(id)?;
    ok(db.run(move |conn| submit::one(conn, &caller, id)).await?)
}

async fn get_failed(db: &Db, session: Session, id: &str) -> Reply {
    let caller = session.require(ASSET_ROLES)?;
    let id = task_id(id)?;
    ok(db
        .run(move |conn| submit::failed_rows(conn, &caller, id))
        .await?)
}

#[get("/failed_task/<_>/<id>")]
async fn failed_rows(db: &State<Db>, session: Session, id: &str) -> Reply {
    get_failed(db, session, id).await
}

#[get("/api/failed_task/<_>/<id>")]
async fn failed_rows_api(db: &State<Db>, session: Session, id: &str) -> Reply {
    get_failed(db, session, id).await
}

async fn put_rerun(
    db: &Db,
    workers: &Workers,
    settings: &Settings,
    session: Session,
    id: &str,
    body: BulkBody,
) -> Reply {
    let caller = session.require(ASSET_ROLES)?;
    let id = task_id(id)?;
    let bytes = body.bytes()?;
    let chunk_rows = settings.task_batch_rows;
    let queued = db
        .write(move |tx| submit::rerun(tx, &caller, id, &bytes, chunk_rows))
        .await?;
    if queued {
        workers.queue(id)?;
    }
    done()
}

#[put("/failed_task/<_>/<id>", data = "<body>")]
async fn rerun(
    db: &State<Db>,
    workers: &State<Arc<Workers>>,
    settings: &State<Settings>,
    session: Session,
    id: &str,
    body: BulkBody,
) -> Reply {
    put_rerun(db, workers, settings, session, id, body).await
}

#[put("/api/failed_task/<_>/<id>", data = "<body>")]
async fn rerun_api(
    db: &State<Db>,
    workers: &State<Arc<Workers>>,
    settings: &State<Settings>,
    session: Session,
    id: &str,
    body: BulkBody,
) -> Reply {
    put_rerun(db, workers, settings, session, id, body).await
}

#[get("/api/export_task/<_>/<id>")]
async fn export_records(db: &State<Db>, session: Session, id: &str) -> ApiResult<JsonStream> {
    let caller = session.require(ASSET_ROLES)?;
    let id = task_id(id)?;
    db.run(move |conn| submit::export_task(conn, &caller, id))
        .await?;
    Ok(JsonStream(db.stream(move |conn, out| {
        submit::write_export_records(conn, id, out)
    })))
}

#[get("/api/export_task/<_>/<id>/failed")]
async fn export_failures(db: &State<Db>, session: Session, id: &str) -> Reply {
    let caller = session.require(ASSET_ROLES)?;
    let id = task_id(id)?;
    ok(db
        .run(move |conn| submit::export_failures(conn, &caller, id))
        .await?)
}
