//! A task's results as rows for a download: an import's failed rows (row, message) or an
//! export's snapshots, read with one cursor so a million rows are never held at once.

use super::tasks::IMPORT;
use rusqlite::Connection;

/// Runs `write` over the task's result rows, in order: (row JSON, message) for an import's
/// failed rows, (snapshot JSON, "") for an export's records.
pub fn with_result_rows<T>(
    conn: &Connection,
    task_id: i64,
    port_type: i64,
    write: impl FnOnce(&mut dyn Iterator<Item = Result<(String, String), String>>) -> T,
) -> rusqlite::Result<T> {
    let sql = if port_type == IMPORT {
        "SELECT row, message FROM task_failure WHERE task_id = ?1 ORDER BY seq"
    } else {
        "SELECT snapshot, '' FROM export_record WHERE task_id = ?1 ORDER BY seq"
    };
    let mut stmt = conn.prepare(sql)?;
    let mut rows = stmt
        .query_map([task_id], |r| Ok((r.get(0)?, r.get(1)?)))?
        .map(|r| r.map_err(|e| format!("读取任务结果失败：{e}")));
    Ok(write(&mut rows))
}
