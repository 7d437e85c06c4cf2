//! Excel and CSV: import tasks from uploaded files, the template, and result downloads.

use crate::auth::Caller;
use crate::db::results;
use crate::db::tasks::{TaskWriter, IMPORT};
use crate::error::{ApiError, ApiResult};
use crate::files::{self, FileError, Format, ReadLimits, Sheet};
use crate::tasks::submit;
use rusqlite::Connection;
use std::io::Write;

/// Stores an import task with one row per data line of the file (one transaction, the
/// caller's). A file that cannot be read at all creates no task.
pub fn create_import(
    conn: &Connection,
    caller: &Caller,
    format: Format,
    bytes: &[u8],
    limits: ReadLimits,
    chunk_rows: usize,
) -> ApiResult<i64> {
    let mut writer =
        TaskWriter::create(conn, caller.entity()?, caller.user_id, IMPORT, chunk_rows)?;
    files::read_rows(format, bytes, limits, |row| {
        writer.push(&row.json, Some(row.line as i64))
    })
    .map_err(|e| match e {
        FileError::Unreadable(why) => ApiError::BadBody(why),
        FileError::Sink(db) => ApiError::from(db),
    })?;
    Ok(writer.finish_new()?.0)
}

/// Which sheet a task's download is, after checking the caller may see the task.
pub fn result_sheet(conn: &Connection, caller: &Caller, task_id: i64) -> ApiResult<(Sheet, i64)> {
    let task = submit::task_of(conn, caller, task_id)?;
    let sheet = if task.port_type == IMPORT {
        Sheet::Failed
    } else {
        Sheet::Export
    };
    Ok((sheet, task.port_type))
}

/// Streams a task's results as CSV into `out`.
pub fn write_results_csv(
    conn: &Connection,
    task_id: i64,
    port_type: i64,
    sheet: Sheet,
    out: impl Write,
) -> ApiResult<()> {
    results::with_result_rows(conn, task_id, port_type, |rows| {
        files::write_csv(sheet, rows, out)
    })?
    .map_err(ApiError::Internal)
}

/// Writes a task's results as XLSX into a temporary file.
pub fn write_results_xlsx(
    conn: &Connection,
    task_id: i64,
    port_type: i64,
    sheet: Sheet,
) -> ApiResult<std::fs::File> {
    results::with_result_rows(conn, task_id, port_type, |rows| {
        files::write_xlsx(sheet, rows)
    })?
    .map_err(ApiError::Internal)
}

pub fn file_name(task_id: i64, sheet: Sheet, format: Format) -> String {
    let kind = match sheet {
        Sheet::Failed => "failed",
        Sheet::Export => "export",
    };
    format!("task-{task_id}-{kind}.{}", format.extension())
}
