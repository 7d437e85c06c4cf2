//! The seed's six task endpoints (plus one task's record): import, task list, failed rows and
//! re-run, export and its records. Both `/failed_task/…` and `/api/failed_task/…` are served.

use super::{done, ok, paged, BulkBody, Downloads, JsonStream, Reply};
use crate::auth::{Caller, Session, ASSET_ROLES};
use crate::config::Settings;
use crate::db::results::{ResultRows, Source};
use crate::db::tasks::{Finish, NewTask, TaskFilter, TaskKind};
use crate::db::{Conn, Db};
use crate::error::{ApiResult, Error, Result};
use crate::paging::Page;
use crate::tasks::readers::Readers;
use crate::tasks::results::{self, Shown};
use crate::tasks::Workers;
use crate::tasks::{create, lifecycle};
use rocket::serde::json::Json;
use rocket::{delete, get, post, put, routes, Route, State};
use serde_json::json;
use serde_json::Value;
use std::sync::Arc;

pub fn routes() -> Vec<Route> {
    routes![
        cancel,
        confirm,
        discard,
        undo,
        delete_data,
        import,
        export,
        list,
        one,
        export_records,
        export_failures
    ]
}

/// The seed's two failed-rows routes, which the API serves both with and without `/api`.
pub fn seed_routes() -> Vec<Route> {
    routes![failed_rows, rerun]
}

fn task_id(id: &str) -> Result<i64> {
    id.parse::<i64>().map_err(|_| Error::TaskNotFound)
}

/// `?dry_run=`: true or 1 checks every row and writes nothing; absent, false or 0 imports.
pub fn dry_run(value: Option<&str>) -> Result<bool> {
    super::flag("dry_run", value)
}

/// Stores a task of the body's rows, then hands it to the workers.
async fn submit_task(
    (db, workers, settings): (&Db, &Workers, &Settings),
    caller: Caller,
    bytes: Vec<u8>,
    kind: TaskKind,
    new: NewTask,
) -> Reply {
    let chunk_rows = settings.task_batch_rows;
    let id = db
        .run(move |conn| create::create_from_json(conn, &caller, kind, &new, &bytes, chunk_rows))
        .await?;
    workers.queue(id)?;
    ok(json!({ "id": id }))
}

#[post("/api/asset/<_>?<dry_run>", data = "<body>")]
async fn import(
    db: &State<Db>,
    workers: &State<Arc<Workers>>,
    settings: &State<Settings>,
    session: Session,
    dry_run: Option<&str>,
    body: BulkBody,
) -> Reply {
    let caller = session.require(ASSET_ROLES)?;
    let bytes = body.bytes()?;
    let new = NewTask {
        dry_run: self::dry_run(dry_run)?,
        ..NewTask::default()
    };
    let state = (db.inner(), workers.inner().as_ref(), settings.inner());
    submit_task(state, caller, bytes, TaskKind::Import, new).await
}

/// The body is the seed's array of ids, or `{"filter": {…}}`: the search form's fields, for
/// every asset the search finds (its paging ignored), selected on the server.
#[post("/api/export_task/<_>", data = "<body>")]
async fn export(
    db: &State<Db>,
    workers: &State<Arc<Workers>>,
    settings: &State<Settings>,
    session: Session,
    body: BulkBody,
) -> Reply {
    let caller = session.require(ASSET_ROLES)?;
    let bytes = body.bytes()?;
    let limits = (settings.task_batch_rows, settings.history_retention_days);
    // The body (up to the bulk limit) is read on a blocking thread, like every task body.
    let id = db
        .run(move |conn| create::create_export(conn, &caller, &bytes, limits))
        .await?;
    workers.queue(id)?;
    ok(json!({ "id": id }))
}

/// Without a query, the seed's unpaged list (capped to the newest tasks); with `page`, `size`,
/// `type`, `finish`, `creator` or `since`, a page of it, newest first.
#[get("/api/async_task/<_>")]
async fn list(db: &State<Db>, session: Session, uri: &rocket::http::uri::Origin<'_>) -> Reply {
    let caller = session.require(ASSET_ROLES)?;
    let query = uri.query().map(|q| q.segments().collect::<Vec<_>>());
    match list_query(query.unwrap_or_default().into_iter())? {
        None => ok(db.run(move |conn| results::list(conn, &caller)).await?),
        Some((page, filter)) => paged(
            db.run(move |conn| results::list_page(conn, &caller, &filter, page))
                .await?,
        ),
    }
}

/// Stops a queued or running task at its next batch boundary.
#[post("/api/async_task/<_>/<id>/cancel")]
async fn cancel(db: &State<Db>, session: Session, id: &str) -> Reply {
    let caller = session.require(ASSET_ROLES)?;
    let id = task_id(id)?;
    db.write(move |tx| lifecycle::cancel(tx, &caller, id))
        .await?;
    done()
}

/// Runs a finished dry run's stored rows for real (same task id).
#[post("/api/async_task/<_>/<id>/confirm")]
async fn confirm(
    db: &State<Db>,
    workers: &State<Arc<Workers>>,
    session: Session,
    id: &str,
) -> Reply {
    let caller = session.require(ASSET_ROLES)?;
    let id = task_id(id)?;
    db.write(move |tx| lifecycle::confirm(tx, &caller, id))
        .await?;
    workers.queue(id)?;
    done()
}

/// Ends a dry run that will not be confirmed: its rows are deleted, it shows as discarded.
#[post("/api/async_task/<_>/<id>/discard")]
async fn discard(
    db: &State<Db>,
    downloads: &State<Downloads>,
    session: Session,
    id: &str,
) -> Reply {
    removing_data(db, downloads, session, id, lifecycle::discard).await
}

/// One of the acts that remove a task's stored data (waiting for its downloads in progress).
async fn removing_data(
    db: &State<Db>,
    downloads: &State<Downloads>,
    session: Session,
    id: &str,
    act: fn(&mut Conn, &Caller, i64, &Arc<Readers>) -> Result<()>,
) -> Reply {
    let caller = session.require(ASSET_ROLES)?;
    let id = task_id(id)?;
    let readers = downloads.readers();
    db.run(move |conn| act(conn, &caller, id, &readers)).await?;
    done()
}

/// Takes back what a finished import did, as a new task of its own; answers its id.
#[post("/api/async_task/<_>/<id>/undo")]
async fn undo(db: &State<Db>, workers: &State<Arc<Workers>>, session: Session, id: &str) -> Reply {
    let caller = session.require(ASSET_ROLES)?;
    let id = task_id(id)?;
    let undo_id = db.write(move |tx| lifecycle::undo(tx, &caller, id)).await?;
    workers.queue(undo_id)?;
    ok(json!({ "id": undo_id }))
}

/// Deletes a finished task's stored data now (the task and its counters stay).
#[delete("/api/async_task/<_>/<id>")]
async fn delete_data(
    db: &State<Db>,
    downloads: &State<Downloads>,
    session: Session,
    id: &str,
) -> Reply {
    removing_data(db, downloads, session, id, lifecycle::delete_data).await
}

#[get("/api/async_task/<_>/<id>")]
async fn one(db: &State<Db>, session: Session, id: &str) -> Reply {
    let caller = session.require(ASSET_ROLES)?;
    let id = task_id(id)?;
    ok(db.run(move |conn| results::one(conn, &caller, id)).await?)
}

/// A list of a task's results: one page when `page` or `size` is given, else every row,
/// streamed as it is read (the seed's shape).
pub type Listing = rocket::Either<Json<Value>, JsonStream>;

/// Answers a task's failed rows or records (`shown`), once the caller may read them: an import's
/// (or an undo's) failed rows, an export's records or failed ids. A page when `page` or `size`
/// is given.
async fn results_listing(
    db: &Db,
    downloads: &Downloads,
    session: Session,
    id: &str,
    (page, size): (Option<&str>, Option<&str>),
    shown: Shown,
) -> ApiResult<Listing> {
    let caller = session.require(ASSET_ROLES)?;
    let id = task_id(id)?;
    // How many there are, for the caller.
    let check = move |conn: &rusqlite::Connection, id| match shown {
        Shown::ImportFailure => results::import_task(conn, &caller, id),
        Shown::Record | Shown::ExportFailure => results::export_task(conn, &caller, id),
    };
    if page.is_some() || size.is_some() {
        let total = db.run(move |conn| check(conn, id)).await?;
        if shown == Shown::Record {
            return Err(Error::BadBody("导出记录不分页，请去掉page与size参数".into()).into());
        }
        let page = Page::parse(page.unwrap_or("1"), size)?;
        let answer = db
            .run(move |conn| results::failures_page(conn, id, total, page, shown))
            .await?;
        return paged(answer).map(rocket::Either::Left);
    }
    let source = match shown {
        // Records are written as stored, a chunk's text at a time.
        Shown::Record => Source::SnapshotChunks,
        Shown::ImportFailure | Shown::ExportFailure => Source::Failures,
    };
    // The whole list is a download: its rows are kept from removal before the task is checked,
    // so a deletion either waits for it or refuses it.
    let reading = downloads.reading(id)?;
    db.run(move |conn| check(conn, id)).await?;
    let permit = downloads.start(reading)?;
    let body = super::stream(db, permit, move |pool, out| {
        results::write_list(&mut ResultRows::new(pool.clone(), id, source), shown, out)
    });
    Ok(rocket::Either::Right(JsonStream(body)))
}

/// The seed's failed rows of an import (or an undo): served at `/failed_task/…` and
/// `/api/failed_task/…` (`seed_routes`).
#[get("/failed_task/<_>/<id>?<page>&<size>")]
async fn failed_rows(
    db: &State<Db>,
    downloads: &State<Downloads>,
    session: Session,
    id: &str,
    page: Option<&str>,
    size: Option<&str>,
) -> ApiResult<Listing> {
    results_listing(
        db,
        downloads,
        session,
        id,
        (page, size),
        Shown::ImportFailure,
    )
    .await
}

/// The seed's re-run: failed row i replaced by element i of the body, and run again. Served at
/// `/failed_task/…` and `/api/failed_task/…` (`seed_routes`).
#[put("/failed_task/<_>/<id>", data = "<body>")]
async fn rerun(
    db: &State<Db>,
    downloads: &State<Downloads>,
    workers: &State<Arc<Workers>>,
    settings: &State<Settings>,
    session: Session,
    id: &str,
    body: BulkBody,
) -> Reply {
    let caller = session.require(ASSET_ROLES)?;
    let id = task_id(id)?;
    let bytes = body.bytes()?;
    let chunk_rows = settings.task_batch_rows;
    // A re-run replaces the failed rows: not under a download of them.
    let queued = downloads
        .removing(db, id, move |conn| {
            lifecycle::rerun(
                conn,
                &caller,
                id,
                lifecycle::RerunRows::Given(&bytes),
                chunk_rows,
            )
        })
        .await?;
    if queued {
        workers.queue(id)?;
    }
    done()
}

/// Every record of an export, streamed (not paged: the seed's answer is the whole list).
#[get("/api/export_task/<_>/<id>")]
async fn export_records(
    db: &State<Db>,
    downloads: &State<Downloads>,
    session: Session,
    id: &str,
) -> ApiResult<Listing> {
    results_listing(db, downloads, session, id, (None, None), Shown::Record).await
}

#[get("/api/export_task/<_>/<id>/failed?<page>&<size>")]
async fn export_failures(
    db: &State<Db>,
    downloads: &State<Downloads>,
    session: Session,
    id: &str,
    page: Option<&str>,
    size: Option<&str>,
) -> ApiResult<Listing> {
    results_listing(
        db,
        downloads,
        session,
        id,
        (page, size),
        Shown::ExportFailure,
    )
    .await
}

/// The task list's query: `None` without any of its keys (the unpaged seed form), else the page
/// and filter it asks for. A malformed value names its key.
fn list_query<'a>(
    pairs: impl Iterator<Item = (&'a str, &'a str)>,
) -> Result<Option<(Page, TaskFilter)>> {
    let (mut page, mut size, mut asked) = (None, None, false);
    let mut filter = TaskFilter::default();
    let bad =
        |key: &str, why: &str| Error::BadBody(crate::rows::missing_field_message(key, Some(why)));
    for (key, value) in pairs {
        let value = value.trim();
        match key {
            "page" => page = Some(value),
            "size" => size = Some(value),
            "type" => {
                filter.kind =
                    Some(match value {
                        "import" | "1" => TaskKind::Import,
                        "export" | "0" => TaskKind::Export,
                        "undo" | "2" => TaskKind::Undo,
                        "approval" | "3" => TaskKind::Approval,
                        "request_undo" | "4" => TaskKind::RequestUndo,
                        "count" | "5" => TaskKind::Count,
                        "label" | "6" => TaskKind::Label,
                        "freeze" | "7" => TaskKind::Freeze,
                        _ => return Err(bad(
                            "type",
                            "import、export、undo、approval、request_undo、count、label 或 freeze",
                        )),
                    })
            }
            "finish" => {
                filter.finish = Some(
                    value
                        .parse()
                        .ok()
                        .and_then(Finish::from_code)
                        .ok_or_else(|| bad("finish", "0、1 或 2"))?,
                )
            }
            "creator" if !value.is_empty() => filter.creator = Some(value.to_owned()),
            "creator" => {}
            "since" if value.is_empty() => {}
            "since" => {
                let date = chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d").is_ok();
                let time =
                    chrono::NaiveDateTime::parse_from_str(value, "%Y-%m-%d %H:%M:%S").is_ok();
                if !date && !time {
                    return Err(bad("since", "YYYY-MM-DD 或 YYYY-MM-DD HH:MM:SS"));
                }
                filter.since = Some(value.to_owned());
            }
            _ => continue,
        }
        asked = true;
    }
    if !asked {
        return Ok(None);
    }
    Ok(Some((Page::parse(page.unwrap_or("1"), size)?, filter)))
}
