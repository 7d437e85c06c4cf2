//! A task's results read back: an import's failed rows (row, message) or an export's snapshots,
//! a chunk at a time. Each chunk is read on a pooled connection taken for that read alone, so a
//! download waiting on a slow client holds no connection and no read transaction (the WAL can
//! checkpoint meanwhile), and a million rows are never in memory at once.

use super::Pool;
use crate::paging::Page;
use rusqlite::{params, Connection};
use serde_json::value::RawValue;

/// One result row: (row or snapshot JSON, message — empty for a snapshot).
pub type ResultRow = Result<(String, String), String>;

/// Failed rows read per chunk.
const FAILURES_PER_CHUNK: i64 = 1000;

/// Which results of a task to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The failed rows (an import's, or an export's ids that could not be exported).
    Failures,
    /// An export's snapshots.
    Snapshots,
    /// An export's snapshots a stored chunk at a time: each row is the comma-separated text of
    /// one chunk's snapshots (never empty), for writing a JSON list without reading each one.
    SnapshotChunks,
}

/// The results of one task, in request order, a chunk per read.
pub struct ResultRows {
    pool: Pool,
    task_id: i64,
    source: Source,
    /// The last seq (failures) or chunk's first seq (snapshots) read.
    after: i64,
    buffer: std::vec::IntoIter<ResultRow>,
    done: bool,
}

impl ResultRows {
    pub fn new(pool: Pool, task_id: i64, source: Source) -> ResultRows {
        ResultRows {
            pool,
            task_id,
            source,
            after: -1,
            buffer: Vec::new().into_iter(),
            done: false,
        }
    }

    /// Reads the next chunk on a connection held for this read only.
    fn fill(&mut self) -> Result<Vec<ResultRow>, String> {
        let unreadable = |e: &dyn std::fmt::Display| format!("读取任务结果失败：{e}");
        let conn = self.pool.get().map_err(|e| unreadable(&e))?;
        let read = match self.source {
            Source::Failures => self.failures(&conn),
            Source::Snapshots | Source::SnapshotChunks => self.snapshots(&conn),
        };
        read.map_err(|e| unreadable(&e))
    }

    fn failures(&mut self, conn: &Connection) -> rusqlite::Result<Vec<ResultRow>> {
        let mut stmt = conn.prepare_cached(
            "SELECT seq, row, message FROM task_failure WHERE task_id = ?1 AND seq > ?2
             ORDER BY seq LIMIT ?3",
        )?;
        let rows = stmt
            .query_map(params![self.task_id, self.after, FAILURES_PER_CHUNK], |r| {
                Ok((r.get::<_, i64>(0)?, r.get(1)?, r.get(2)?))
            })?
            .collect::<rusqlite::Result<Vec<(i64, String, String)>>>()?;
        self.done = (rows.len() as i64) < FAILURES_PER_CHUNK;
        if let Some(last) = rows.last() {
            self.after = last.0;
        }
        Ok(rows.into_iter().map(|(_, row, m)| Ok((row, m))).collect())
    }

    fn snapshots(&mut self, conn: &Connection) -> rusqlite::Result<Vec<ResultRow>> {
        let mut stmt = conn.prepare_cached(
            "SELECT first_seq, snapshots FROM export_chunk WHERE task_id = ?1 AND first_seq > ?2
             ORDER BY first_seq LIMIT 1",
        )?;
        let chunk = stmt
            .query_map(params![self.task_id, self.after], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
            })?
            .next()
            .transpose()?;
        let Some((first_seq, text)) = chunk else {
            self.done = true;
            return Ok(Vec::new());
        };
        self.after = first_seq;
        if self.source == Source::SnapshotChunks {
            let inner = text
                .strip_prefix('[')
                .and_then(|t| t.strip_suffix(']'))
                .map(str::to_owned);
            return Ok(match inner {
                Some(inner) if inner.is_empty() => Vec::new(),
                Some(inner) => vec![Ok((inner, String::new()))],
                None => vec![Err(format!("读取任务结果失败：导出块{first_seq}不是数组"))],
            });
        }
        Ok(match serde_json::from_str::<Vec<Box<RawValue>>>(&text) {
            Ok(list) => list
                .into_iter()
                .map(|s| Ok((s.get().to_owned(), String::new())))
                .collect(),
            Err(e) => vec![Err(format!("读取任务结果失败：{e}"))],
        })
    }
}

impl Iterator for ResultRows {
    type Item = ResultRow;

    fn next(&mut self) -> Option<ResultRow> {
        loop {
            if let Some(row) = self.buffer.next() {
                return Some(row);
            }
            if self.done {
                return None;
            }
            match self.fill() {
                Ok(rows) => self.buffer = rows.into_iter(),
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            }
        }
    }
}

/// One page of a task's failed rows: (row as submitted, message), in request order.
pub fn failures_page(
    conn: &Connection,
    task_id: i64,
    page: Page,
) -> rusqlite::Result<Vec<(String, String)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT row, message FROM task_failure WHERE task_id = ?1 ORDER BY seq
         LIMIT ?2 OFFSET ?3",
    )?;
    let rows = stmt.query_map(params![task_id, page.size, page.offset()], |r| {
        Ok((r.get(0)?, r.get(1)?))
    })?;
    rows.collect()
}
