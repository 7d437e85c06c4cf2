//! One batch of an import task: each row checked by the shared row rules against the task's
//! lookup cache, then stored as an asset or a failed row, in the caller's transaction.

use super::{with_line, Batch};
use crate::auth::Role;
use crate::db::assets::{self as asset_sql, Scope};
use crate::db::tasks::Chunk;
use crate::db::{self, tasks as sql, users};
use crate::error::{ApiError, ApiResult};
use crate::rows::{self, Fields, Lookups};
use rusqlite::Connection;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// What the task's runner (who last re-ran it, else its creator) may touch, as of now (a user
/// moved or demoted since does not keep rights they lost; a re-run never borrows the
/// creator's).
pub fn runner_scope(conn: &Connection, task: &sql::TaskState) -> ApiResult<Scope> {
    let creator = users::user_by_id(conn, task.runner_id)?
        .ok_or_else(|| ApiError::Internal(format!("task {} has no runner", task.id)))?;
    let role = Role::from_character(creator.character);
    Ok(match (role, creator.department_id) {
        (Some(Role::Manager), Some(d)) => {
            Scope::Departments(task.entity_id, db::org::department_subtree(conn, d)?)
        }
        (Some(Role::Admin), _) => Scope::Entity(task.entity_id),
        // Anyone else manages nothing: every row fails with the rights rule.
        _ => Scope::Departments(task.entity_id, Vec::new()),
    })
}

/// Rows travel from the reader to the worker in groups, so the channel costs little per row.
const GROUP_ROWS: usize = 64;

/// One row as the reader thread hands it over: where it sits, its text as submitted, the file
/// line it came from, and its fields.
struct ReadRow<'a> {
    index: usize,
    raw: &'a str,
    line: Option<i64>,
    fields: Fields<'a>,
}

/// Runs rows `skip..` of a stored chunk; returns (succeeded, failed). Reading the rows' JSON
/// (a third of the work) happens on a second thread while this one checks and inserts: SQLite
/// writes on one thread, so the second core would otherwise sit idle.
pub fn run_batch(
    tx: &Connection,
    task: &sql::TaskState,
    lookups: &mut Lookups,
    chunk: &Chunk,
    skip: usize,
) -> ApiResult<(i64, i64)> {
    let today = db::today_day();
    let mut inserter = asset_sql::AssetInserter::new(tx)?;
    let (mut succeeded, mut failed) = (0, 0);
    std::thread::scope(|scope| -> ApiResult<()> {
        let (send, receive) = crossbeam_channel::bounded(4);
        let reader = std::thread::Builder::new()
            .name(format!("task-{}-reader", task.id))
            .spawn_scoped(scope, move || read_rows(chunk, skip, send))
            .map_err(|e| ApiError::Internal(format!("cannot start row reader: {e}")))?;
        for group in receive {
            for row in group? {
                let seq = chunk.first_seq + row.index as i64;
                let outcome = catch_unwind(AssertUnwindSafe(|| {
                    import_row(tx, &mut inserter, lookups, &row.fields, today)
                }));
                let message = match outcome {
                    Ok(Ok(None)) => {
                        succeeded += 1;
                        continue;
                    }
                    Ok(Ok(Some(message))) => message,
                    // A full disk or a database too busy to write is no fault of the row:
                    // the batch stops, and the task waits and resumes (tasks/mod.rs).
                    Ok(Err(e @ (ApiError::DiskFull | ApiError::Busy(_)))) => return Err(e),
                    Ok(Err(e)) => {
                        log::error!("task {} row {seq}: {}", task.id, e.cause());
                        "数据库错误，该行未能导入".to_owned()
                    }
                    Err(_) => {
                        log::error!("task {} row {seq}: panic", task.id);
                        "内部错误，该行未能导入".to_owned()
                    }
                };
                let message = with_line(row.line, &message);
                sql::insert_failure(tx, task.id, seq, row.line, row.raw, &message)?;
                failed += 1;
            }
        }
        reader
            .join()
            .map_err(|_| ApiError::Internal(format!("task {}: row reader panicked", task.id)))
    })?;
    inserter.finish()?;
    Ok((succeeded, failed))
}

/// The reader thread: parses the chunk and each row's fields, in groups.
fn read_rows<'a>(
    chunk: &'a Chunk,
    skip: usize,
    send: crossbeam_channel::Sender<ApiResult<Vec<ReadRow<'a>>>>,
) {
    let batch = match Batch::parse(chunk.first_seq, &chunk.rows, chunk.lines.as_deref()) {
        Ok(batch) => batch,
        Err(e) => {
            let _ = send.send(Err(e));
            return;
        }
    };
    let mut group = Vec::with_capacity(GROUP_ROWS);
    for (index, raw) in batch.rows.iter().copied().enumerate().skip(skip) {
        group.push(ReadRow {
            index,
            raw,
            line: batch.line(index),
            fields: Fields::read(raw),
        });
        // A closed channel means the worker gave up on this batch: stop reading.
        if group.len() == GROUP_ROWS && send.send(Ok(std::mem::take(&mut group))).is_err() {
            return;
        }
    }
    if !group.is_empty() {
        let _ = send.send(Ok(group));
    }
}

/// Creates the row's asset; `Some(message)` when the row breaks a rule.
fn import_row(
    tx: &Connection,
    inserter: &mut asset_sql::AssetInserter,
    lookups: &mut Lookups,
    fields: &Fields,
    today: i64,
) -> ApiResult<Option<String>> {
    match rows::check_fields(tx, lookups, fields, today)? {
        Ok(asset) => {
            let id = inserter.insert(&asset)?;
            lookups.created(id, &asset);
            Ok(None)
        }
        Err(message) => Ok(Some(message)),
    }
}
