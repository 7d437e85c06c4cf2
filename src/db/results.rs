//! A task's results as rows for a download: an import's failed rows (row, message) or an
//! export's snapshots, read with one cursor so a million rows are never held at once.

use super::tasks::IMPORT;
use rusqlite::Connection;
use serde_json::value::RawValue;

/// One result row for a download: (row or snapshot JSON, message).
pub type ResultRow = Result<(String, String), String>;

/// Runs `write` over the task's result rows, in order: (row JSON, message) for an import's
/// failed rows, (snapshot JSON, "") for an export's records.
pub fn with_result_rows<T>(
    conn: &Connection,
    task_id: i64,
    port_type: i64,
    write: impl FnOnce(&mut dyn Iterator<Item = ResultRow>) -> T,
) -> rusqlite::Result<T> {
    if port_type == IMPORT {
        let mut stmt =
            conn.prepare("SELECT row, message FROM task_failure WHERE task_id = ?1 ORDER BY seq")?;
        let mut rows = stmt
            .query_map([task_id], |r| Ok((r.get(0)?, r.get(1)?)))?
            .map(|r| r.map_err(|e| format!("读取任务结果失败：{e}")));
        return Ok(write(&mut rows));
    }
    super::tasks::with_snapshot_chunks(conn, task_id, |chunks| {
        let mut rows = chunks.flat_map(|chunk| -> Box<dyn Iterator<Item = ResultRow>> {
            let snapshots = chunk.and_then(|text| {
                serde_json::from_str::<Vec<Box<RawValue>>>(&text).map_err(|e| e.to_string())
            });
            match snapshots {
                Ok(list) => Box::new(
                    list.into_iter()
                        .map(|s| Ok((s.get().to_owned(), String::new()))),
                ),
                Err(e) => Box::new(std::iter::once(Err(format!("读取任务结果失败：{e}")))),
            }
        });
        write(&mut rows)
    })
}
