//! Files and tasks: an uploaded file stored as an import task, and a task's results (an
//! import's failed rows, an export's records in either layout) written as a file.

use crate::auth::Caller;
use crate::db::results::{ResultRows, Source};
use crate::db::tasks::{self as sql, NewTask, TaskKind, TaskWriter};
use crate::db::Pool;
use crate::error::{Error, Result};
use crate::files::{self, FileError, Format, ReadLimits, Sheet};
use crate::tasks::lifecycle::{self, Action, Results};
use crate::tasks::submit;
use rusqlite::Connection;
use std::io::{Read, Seek, Write};

/// How a file was uploaded, beyond its bytes.
#[derive(Debug, Clone)]
pub struct Upload {
    pub format: Format,
    pub file_name: Option<String>,
    /// The SHA-256 of the file (hex), when it came with a name: the same file again the same
    /// day is pointed out.
    pub file_hash: Option<String>,
    /// `?dry_run=true`: check every row, write nothing until confirmed.
    pub dry_run: bool,
    /// `?check_duplicate=true`: refuse (code 16) a file of the same name and content uploaded
    /// in the last 24 hours, so the page can ask before importing it twice.
    pub check_duplicate: bool,
}

/// Stores an import task with one row per data line of the file, a chunk per transaction. A
/// file that cannot be read (at all, or at some line) creates no task.
pub fn create_import(
    conn: &mut Connection,
    caller: &Caller,
    upload: &Upload,
    file: impl Read + Seek,
    limits: ReadLimits,
    chunk_rows: usize,
) -> Result<i64> {
    let (format, file_name) = (upload.format, upload.file_name.as_deref());
    // The name as the task list shows it: its last path segment, no control characters, at
    // most 255 characters.
    let file_name = file_name
        .map(|n| n.rsplit(['/', '\\']).next().unwrap_or(n))
        .map(|n| {
            n.chars()
                .filter(|c| !c.is_control())
                .take(255)
                .collect::<String>()
        })
        .filter(|n| !n.trim().is_empty());
    let owner = (caller.entity()?, caller.user_id);
    let file_hash = file_name.as_ref().and(upload.file_hash.clone());
    if let (true, Some(name), Some(hash)) = (upload.check_duplicate, &file_name, &file_hash) {
        let since = (chrono::Local::now() - chrono::Duration::hours(24))
            .format("%Y-%m-%d %H:%M:%S")
            .to_string();
        if let Some((task, time)) = sql::same_upload_since(conn, owner.0, (name, hash), &since)? {
            return Err(Error::SameFile { task, time });
        }
    }
    let new = NewTask {
        file_name,
        dry_run: upload.dry_run,
        file_hash,
    };
    let mut writer = TaskWriter::create(conn, owner, TaskKind::Import, &new, chunk_rows)?;
    submit::store_new(&mut writer, |writer| {
        let rows = files::read_rows(format, file, limits, |row| {
            writer.push(&row.json, Some(row.line as i64))
        })
        .map_err(|e| match e {
            FileError::Unreadable(why) => Error::BadBody(why),
            FileError::Sink(db) => Error::from(db),
        })?;
        // A file of a header alone is a mistake (the wrong sheet, an empty export), not a
        // task of nothing that the list would show as 成功.
        if rows == 0 {
            return Err(Error::BadBody("文件中没有数据行".into()));
        }
        Ok(())
    })
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
    let task = submit::task_of(conn, caller, task_id)?;
    lifecycle::check(&task.status, Action::Read(Results::File))?;
    let import_layout = match layout.map(str::trim) {
        None | Some("") | Some("full") => false,
        Some("import") => true,
        Some(_) => {
            return Err(Error::BadBody(crate::rows::missing_field_message(
                "layout",
                Some("full 或 import"),
            )))
        }
    };
    Ok(match task.kind() {
        TaskKind::Import | TaskKind::Undo => Sheet::Failed,
        TaskKind::Export if import_layout => Sheet::ForImport,
        TaskKind::Export => Sheet::Export,
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
    files::write_xlsx(sheet, &mut result_rows(pool, task_id, sheet)).map_err(Error::internal)
}

pub fn file_name(task_id: i64, sheet: Sheet, format: Format) -> String {
    let kind = match sheet {
        Sheet::Failed => "failed",
        Sheet::Export => "export",
        Sheet::ForImport => "for-import",
    };
    format!("task-{task_id}-{kind}.{}", format.extension())
}
