//! Asset labels: a task that snapshots assets (by id or by a search), then its PDF. Not in the
//! original API; the layouts and the drawing are in `crate::labels`.

use super::files::{Body as FileBody, Download};
use super::{ok, BulkBody, Downloads, Reply};
use crate::auth::{Session, ASSET_ROLES};
use crate::config::Settings;
use crate::db::Db;
use crate::error::{ApiResult, Error};
use crate::labels;
use crate::tasks::Workers;
use rocket::{get, post, routes, Route, State};
use serde_json::json;
use std::sync::Arc;

pub fn routes() -> Vec<Route> {
    routes![create, file]
}

/// `{"ids": [1, 2]}` or `{"filter": {"department": "CST"}}`, with `"layout": "a4-3x8"` (or
/// `a4-2x7`, `roll-60x40`) and `"offset": 5` (labels of the first sheet already used).
#[post("/api/label_task/<_>", data = "<body>")]
async fn create(
    db: &State<Db>,
    workers: &State<Arc<Workers>>,
    settings: &State<Settings>,
    session: Session,
    body: BulkBody,
) -> Reply {
    let caller = session.require(ASSET_ROLES)?;
    let bytes = body.bytes()?;
    let chunk_rows = settings.task_batch_rows;
    let id = db
        .run(move |conn| labels::create(conn, &caller, &bytes, chunk_rows))
        .await?;
    workers.queue(id)?;
    ok(json!({ "id": id }))
}

/// The PDF of a finished label task, drawn from its snapshots as it is sent.
#[get("/api/label_task/<_>/<id>/file")]
async fn file(
    db: &State<Db>,
    downloads: &State<Downloads>,
    session: Session,
    id: &str,
) -> ApiResult<Download> {
    let caller = session.require(ASSET_ROLES)?;
    let task_id = id.parse::<i64>().map_err(|_| Error::TaskNotFound)?;
    // Kept from removal before the task is checked (tasks/readers.rs).
    let reading = downloads.reading(task_id)?;
    let spec = db
        .run(move |conn| labels::label_task(conn, &caller, task_id))
        .await?;
    let permit = downloads.start(reading)?;
    let reader = super::stream(db, permit, move |pool, out| {
        labels::write_pdf(pool, task_id, spec, out)
    });
    Ok(Download::pdf(
        FileBody::Stream(reader),
        &format!("task-{task_id}-labels.pdf"),
    ))
}
