//! Reading tasks and their results, always within the caller's entity: the task list and one
//! task (each with the actions its caller may take now), an import's failed rows and an
//! export's records as JSON, and either as a file.

use super::lifecycle::{self, Action, Results};
use crate::auth::{Caller, Role};
use crate::db::results::{self, ResultRow, ResultRows, Source};
use crate::db::tasks::{self as sql, Seen, TaskKind, TaskView};
use crate::db::Pool;
use crate::error::{Error, Result};
use crate::files::{self, Format, Sheet};
use crate::paging::{Page, Paged};
use crate::rows::{lossy, missing_field_message};
use rusqlite::Connection;
use serde_json::{Map, Value};
use std::io::Write;

/// Which tasks of their entity the caller sees (`Seen`): a system admin all, an asset manager
/// those of their own department scope.
fn seen(caller: &Caller) -> Result<Seen> {
    match (caller.role, caller.department_id) {
        (Role::Admin, _) => Ok(Seen::All),
        (Role::Manager, Some(department)) => Ok(Seen::Manager(caller.user_id, department)),
        _ => Err(Error::Forbidden),
    }
}

/// A task the caller sees; one of another entity, or outside an asset manager's scope, answers
/// as if it did not exist.
pub fn task_of(conn: &Connection, caller: &Caller, id: i64) -> Result<sql::TaskState> {
    let task = sql::task_state(conn, id)?
        .filter(|t| Some(t.entity_id) == caller.entity_id)
        .ok_or(Error::TaskNotFound)?;
    if !sql::task_seen(conn, id, seen(caller)?)? {
        return Err(Error::TaskNotFound);
    }
    Ok(task)
}

/// The unpaged task list (the seed's form): the newest `TASK_LIST_CAP` tasks, in id order.
pub fn list(conn: &Connection, caller: &Caller) -> Result<Vec<TaskView>> {
    let tasks = sql::tasks_of_entity(conn, caller.entity()?, seen(caller)?)?;
    Ok(tasks.into_iter().map(with_actions).collect())
}

/// The view with the actions its caller may take now. Whoever sees a task may act on it.
fn with_actions(mut view: TaskView) -> TaskView {
    view.actions = lifecycle::actions(&view.status);
    view
}

/// A page of the task list, newest first, filtered.
pub fn list_page(
    conn: &Connection,
    caller: &Caller,
    filter: &sql::TaskFilter,
    page: Page,
) -> Result<Paged<TaskView>> {
    let (total, data) = sql::tasks_page(conn, caller.entity()?, seen(caller)?, filter, page)?;
    let pages = page.check(total)?;
    let data = data.into_iter().map(with_actions).collect();
    Ok(Paged { pages, total, data })
}

/// One task, and for a dry run its preview: the first changes it would make.
pub fn one(conn: &Connection, caller: &Caller, id: i64) -> Result<Value> {
    task_of(conn, caller, id)?;
    let view = sql::task_view(conn, caller.entity()?, id)?.ok_or(Error::TaskNotFound)?;
    let view = with_actions(view);
    let mut answer = serde_json::to_value(view).map_err(|e| Error::caused("task view", e))?;
    let preview = crate::db::changes::preview(conn, id)?;
    if let (Value::Object(fields), Some(preview)) = (&mut answer, preview) {
        fields.insert("preview".into(), lossy::value(&preview));
    }
    Ok(answer)
}

/// Checks that the task is an import (or an undo) the caller sees; returns how many failed
/// rows it has.
pub fn import_task(conn: &Connection, caller: &Caller, id: i64) -> Result<i64> {
    let task = task_of(conn, caller, id)?;
    lifecycle::check(&task.status, Action::Read(Results::Failures))?;
    Ok(task.number_failed)
}

/// Checks that the task is an export the caller sees; returns how many ids failed.
pub fn export_task(conn: &Connection, caller: &Caller, id: i64) -> Result<i64> {
    let task = task_of(conn, caller, id)?;
    lifecycle::check(&task.status, Action::Read(Results::Records))?;
    Ok(task.number_failed)
}

/// How a task's result row is shown in a JSON list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    /// An export's record: the snapshot as stored.
    Record,
    /// An import's failed row: the row exactly as submitted plus its `message`.
    ImportFailure,
    /// An export's failed id: the element as sent (`value`) and why (`message`).
    ExportFailure,
}

fn show(shown: Shown, row: String, message: String) -> Value {
    match shown {
        Shown::Record => lossy::value(&row),
        Shown::ImportFailure => with_message(&row, message),
        Shown::ExportFailure => {
            let value = lossy::value(&row);
            serde_json::json!({ "value": value, "message": message })
        }
    }
}

/// One page of a task's failed rows (`total` of them), shown as `shown`.
pub fn failures_page(
    conn: &Connection,
    id: i64,
    total: i64,
    page: Page,
    shown: Shown,
) -> Result<Paged<Value>> {
    let pages = page.check(total)?;
    let data = results::failures_page(conn, id, page)?
        .into_iter()
        .map(|(row, message)| show(shown, row, message))
        .collect();
    Ok(Paged { pages, total, data })
}

/// Writes `{"code":0,"info":"Succeed","data":[…]}` of every row, as it reads them a chunk at a
/// time: a million records or failed rows never sit in memory at once. For `Shown::Record` a row
/// may be several records' text, comma-separated (`Source::SnapshotChunks`).
pub fn write_list(
    rows: &mut dyn Iterator<Item = ResultRow>,
    shown: Shown,
    out: &mut dyn Write,
) -> Result<()> {
    let io = |e: std::io::Error| Error::caused("streamed answer", e);
    out.write_all(br#"{"code":0,"info":"Succeed","data":["#)
        .map_err(io)?;
    for (i, row) in rows.enumerate() {
        let (row, message) = row.map_err(Error::internal)?;
        if i > 0 {
            out.write_all(b",").map_err(io)?;
        }
        if shown == Shown::Record {
            out.write_all(row.as_bytes()).map_err(io)?;
        } else {
            serde_json::to_writer(&mut *out, &show(shown, row, message))
                .map_err(|e| Error::caused("streamed answer", e))?;
        }
    }
    out.write_all(b"]}").and_then(|_| out.flush()).map_err(io)
}

/// The submitted object with `message` set. A row that was not an object (or not readable as
/// one) is returned under `value`.
pub fn with_message(row: &str, message: String) -> Value {
    let object = match serde_json::from_str::<Value>(row) {
        Ok(Value::Object(fields)) => Ok(fields),
        parsed => lossy::object(row).ok_or(parsed),
    };
    match object {
        Ok(mut fields) => {
            fields.insert("message".into(), Value::String(message));
            Value::Object(fields)
        }
        Err(parsed) => {
            let value = parsed.unwrap_or_else(|_| lossy::value(row));
            let mut fields = Map::new();
            fields.insert("value".into(), value);
            fields.insert("message".into(), Value::String(message));
            Value::Object(fields)
        }
    }
}

/// Which sheet a task's download is, after checking the caller may see the task.
/// `layout` (`?layout=`) picks an export's form: the full record (default, `full`) or the
/// import-compatible one (`import`).
pub fn result_sheet(
    conn: &Connection,
    caller: &Caller,
    task_id: i64,
    layout: Option<&str>,
) -> Result<Sheet> {
    let task = task_of(conn, caller, task_id)?;
    lifecycle::check(&task.status, Action::Read(Results::File))?;
    let import_layout = match layout.map(str::trim) {
        None | Some("") | Some("full") => false,
        Some("import") => true,
        Some(_) => {
            return Err(Error::BadBody(missing_field_message(
                "layout",
                Some("full 或 import"),
            )))
        }
    };
    Ok(match task.kind() {
        TaskKind::Import
        | TaskKind::Undo
        | TaskKind::Approval
        | TaskKind::RequestUndo
        | TaskKind::Count
        | TaskKind::Freeze => Sheet::Failed,
        TaskKind::Export if import_layout => Sheet::ForImport,
        TaskKind::Export | TaskKind::Label => Sheet::Export,
    })
}

/// The results a task's download holds: an import's failed rows, an export's records.
fn result_rows(pool: &Pool, task_id: i64, sheet: Sheet) -> ResultRows {
    let source = match sheet {
        Sheet::Failed => Source::Failures,
        Sheet::Export | Sheet::ForImport => Source::Snapshots,
    };
    ResultRows::new(pool.clone(), task_id, source)
}

/// Streams a task's results as CSV into `out`, read a chunk at a time.
pub fn write_results_csv(pool: &Pool, task_id: i64, sheet: Sheet, out: impl Write) -> Result<()> {
    files::write_csv(sheet, &mut result_rows(pool, task_id, sheet), out).map_err(Error::internal)
}

/// Writes a task's results as XLSX into a temporary file, read a chunk at a time.
pub fn write_results_xlsx(pool: &Pool, task_id: i64, sheet: Sheet) -> Result<std::fs::File> {
    files::write_xlsx(sheet, result_rows(pool, task_id, sheet)).map_err(Error::internal)
}

pub fn file_name(task_id: i64, sheet: Sheet, format: Format) -> String {
    let kind = match sheet {
        Sheet::Failed => "failed",
        Sheet::Export => "export",
        Sheet::ForImport => "for-import",
    };
    format!("task-{task_id}-{kind}.{}", format.extension())
}
