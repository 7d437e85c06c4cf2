//! A task's stored data as it is written: a new task's rows in chunks, the chunks a worker
//! takes, failed rows, export snapshots, counters, and the ends of a task (failed, dry run
//! done, confirmed, undone).

use super::*;
use crate::db::Conn;
use rusqlite::{params, Connection, OptionalExtension};

/// How a new task was asked for, beyond its rows.
#[derive(Debug, Clone, Default)]
pub struct NewTask {
    /// The uploaded file's name, for a task made from a file.
    pub file_name: Option<String>,
    /// Check every row, write nothing (an import's `?dry_run=true`).
    pub dry_run: bool,
    /// The SHA-256 (hex) of the uploaded file, when it had a name.
    pub file_hash: Option<String>,
    /// An export of the register as it stood at the end of this day (days since 1970-01-01).
    pub as_of: Option<i64>,
    /// A count sheet's stocktake.
    pub stocktake_id: Option<i64>,
    /// A label task's layout and the labels of its first sheet already used.
    pub labels: Option<(String, i64)>,
}

/// Writes a task's rows in chunks as they are read, each chunk in a write transaction of its
/// own: a big upload is never held twice in memory, and never holds the write lock for more
/// than one chunk (other writers take their turn in between). A new task stays invisible
/// (`stored = 0`: no list, no worker) until `finish_new`; `abandon` takes back what was
/// stored, and a start deletes what a stopped process left half-stored.
pub struct TaskWriter<'c> {
    conn: &'c mut Conn,
    pub task_id: i64,
    chunk_rows: usize,
    rows: String,
    lines: Vec<i64>,
    in_chunk: usize,
    /// The seq of the first row this writer wrote.
    start_seq: i64,
    first_seq: i64,
    next_seq: i64,
    /// The file's headers the import does not read, stored by `finish_new`.
    unread_columns: Vec<String>,
    /// Where the chunk written last lies, until `take_flushed` (a dry run checked as it is
    /// stored checks the rows it gave once their chunk is written).
    flushed: Option<Flushed>,
}

/// Where a chunk written lies in its task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flushed {
    pub first_seq: i64,
    pub row_count: i64,
}

impl<'c> TaskWriter<'c> {
    /// Stores a new task, not yet visible, for its rows to be pushed.
    pub fn create(
        conn: &'c mut Conn,
        (entity_id, creator_id): (i64, i64),
        kind: TaskKind,
        new: &NewTask,
        chunk_rows: usize,
    ) -> rusqlite::Result<TaskWriter<'c>> {
        let now = crate::clock::now_text();
        let tx = crate::db::write_tx(conn)?;
        tx.execute(
            "INSERT INTO task (entity_id, creator_id, create_time, port_type, number_need,
                 end_seq, stored, file_name, dry_run, file_hash, as_of, stocktake_id,
                 label_layout, label_offset)
             VALUES (?1, ?2, ?3, ?4, 0, 0, 0, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![
                entity_id,
                creator_id,
                now,
                kind,
                new.file_name,
                new.dry_run,
                new.file_hash,
                new.as_of,
                new.stocktake_id,
                new.labels.as_ref().map(|l| &l.0),
                new.labels.as_ref().map(|l| l.1)
            ],
        )?;
        let task_id = tx.last_insert_rowid();
        tx.commit()?;
        Ok(Self::append(conn, task_id, 0, chunk_rows))
    }

    /// A writer that appends rows to an existing task from `first_seq` on (a re-run).
    pub fn append(
        conn: &'c mut Conn,
        task_id: i64,
        first_seq: i64,
        chunk_rows: usize,
    ) -> TaskWriter<'c> {
        TaskWriter {
            conn,
            task_id,
            chunk_rows: chunk_rows.max(1),
            rows: String::from("["),
            lines: Vec::new(),
            in_chunk: 0,
            start_seq: first_seq,
            first_seq,
            next_seq: first_seq,
            unread_columns: Vec::new(),
            flushed: None,
        }
    }

    /// Where the chunk written last lies, once.
    pub fn take_flushed(&mut self) -> Option<Flushed> {
        self.flushed.take()
    }

    /// The connection the rows are written on, for work between two chunks.
    pub fn conn(&mut self) -> &mut Conn {
        self.conn
    }

    /// Adds one row: its JSON text exactly as submitted, and the file line it came from.
    pub fn push(&mut self, raw: &str, line: Option<i64>) -> rusqlite::Result<()> {
        if self.in_chunk > 0 {
            self.rows.push(',');
        }
        self.rows.push_str(raw);
        if let Some(l) = line {
            self.lines.push(l);
        }
        self.in_chunk += 1;
        self.next_seq += 1;
        if self.in_chunk >= self.chunk_rows {
            self.flush()?;
        }
        Ok(())
    }

    /// Writes the chunk gathered so far, in a transaction of its own.
    fn flush(&mut self) -> rusqlite::Result<()> {
        if self.in_chunk == 0 {
            return Ok(());
        }
        self.rows.push(']');
        let lines = (self.lines.len() == self.in_chunk)
            .then(|| serde_json::to_string(&self.lines).unwrap_or_default());
        // Rows stored for a task not yet visible (or past a re-run's end) are deleted at start
        // if the process stops, so their commits need not wait for the disk; `finish` puts the
        // connection back at the durable level for the commit that makes them count, whose
        // sync takes every commit before it to the disk too.
        crate::db::Durability::Batch.set(self.conn)?;
        let tx = crate::db::write_tx(self.conn)?;
        tx.prepare_cached(
            "INSERT INTO task_chunk (task_id, first_seq, row_count, rows, lines)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute(params![
            self.task_id,
            self.first_seq,
            self.in_chunk as i64,
            self.rows,
            lines
        ])?;
        tx.commit()?;
        self.flushed = Some(Flushed {
            first_seq: self.first_seq,
            row_count: self.in_chunk as i64,
        });
        self.rows.clear();
        self.rows.push('[');
        self.lines.clear();
        self.in_chunk = 0;
        self.first_seq = self.next_seq;
        Ok(())
    }

    /// Writes the last chunk; returns the number of rows written and the connection, for the
    /// transaction that makes them count (a re-run's).
    pub fn finish(&mut self) -> rusqlite::Result<(i64, &mut Conn)> {
        self.flush()?;
        crate::db::Durability::Durable.set(self.conn)?;
        Ok((self.next_seq - self.start_seq, self.conn))
    }

    /// Notes the uploaded file's headers the import does not read, for `finish_new` to store.
    pub fn note_unread_columns(&mut self, headers: Vec<String>) {
        self.unread_columns = headers;
    }

    /// Finishes a new task: sets its row count and makes it visible (a task of no rows, or a
    /// dry run whose rows were all checked as they were stored, is done at once). Returns the
    /// number of rows.
    pub fn finish_new(&mut self) -> rusqlite::Result<i64> {
        let task_id = self.task_id;
        let unread = (!self.unread_columns.is_empty())
            .then(|| serde_json::Value::from(self.unread_columns.clone()).to_string());
        let (rows, conn) = self.finish()?;
        let tx = crate::db::write_tx(conn)?;
        tx.execute(
            "UPDATE task SET number_need = ?2, end_seq = ?2, stored = 1,
                 finish = CASE WHEN next_seq < ?2 THEN 0 WHEN number_failed > 0 THEN 2 ELSE 1 END,
                 finish_time = CASE WHEN next_seq < ?2 THEN NULL
                                    ELSE coalesce(finish_time, create_time) END,
                 unread_columns = ?3
             WHERE id = ?1",
            params![task_id, rows, unread],
        )?;
        // The journal's entry of its creation, in the transaction that makes it visible.
        crate::journal::record_task_created(&tx, task_id)?;
        tx.commit()?;
        Ok(rows)
    }

    /// Takes back the chunks this writer stored (and a new task itself), after the submission
    /// turned out bad half-way: nothing of it stays. A failure here (a full disk) is logged; a
    /// start removes what is left.
    pub fn abandon(&mut self, new_task: bool) {
        let (task_id, from) = (self.task_id, self.start_seq);
        let durable = crate::db::Durability::Durable.set(self.conn);
        let taken_back = durable
            .and_then(|()| crate::db::write_tx(self.conn))
            .and_then(|tx| {
                if new_task {
                    delete_new_task(&tx, task_id)?;
                } else {
                    tx.execute(
                        "DELETE FROM task_chunk WHERE task_id = ?1 AND first_seq >= ?2",
                        params![task_id, from],
                    )?;
                }
                tx.commit()
            });
        if let Err(e) = taken_back {
            log::error!("task {task_id}: cannot take back a half-stored submission: {e}");
        }
    }
}

/// Deletes what a stopped process left half-stored: new tasks whose submission never finished
/// (their client never got an answer), and chunks a re-run stored past its task's end.
pub fn forget_unstored(conn: &Connection) -> rusqlite::Result<()> {
    let unstored: Vec<i64> = conn
        .prepare("SELECT id FROM task WHERE stored = 0")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for task_id in unstored {
        delete_new_task(conn, task_id)?;
    }
    conn.execute_batch(
        "DELETE FROM task_chunk
             WHERE first_seq >= (SELECT end_seq FROM task WHERE task.id = task_chunk.task_id);",
    )
}

/// Deletes a task that never became visible, with what was stored of it: its rows, and what
/// a dry run checked as they were stored (failed rows, the items it would have created).
fn delete_new_task(conn: &Connection, task_id: i64) -> rusqlite::Result<()> {
    for sql in [
        "DELETE FROM task_chunk WHERE task_id = ?1",
        "DELETE FROM task_failure WHERE task_id = ?1",
        "DELETE FROM task_dry_item WHERE task_id = ?1",
        "DELETE FROM task WHERE id = ?1 AND stored = 0",
    ] {
        conn.execute(sql, [task_id])?;
    }
    Ok(())
}

/// Claims a finished task for a re-run: it shows as running (finish 0), so a second re-run is
/// refused while this one stores its rows; chunks an interrupted re-run left are removed.
pub fn claim_for_rerun(conn: &Connection, task_id: i64) -> rusqlite::Result<bool> {
    conn.execute(
        "DELETE FROM task_chunk WHERE task_id = ?1
             AND first_seq >= (SELECT end_seq FROM task WHERE id = ?1)",
        [task_id],
    )?;
    Ok(conn.execute(
        "UPDATE task SET finish = 0 WHERE id = ?1 AND finish != 0",
        [task_id],
    )? == 1)
}

/// Gives a re-run's claim back (the re-run was refused half-way): the task is finished as
/// before, its failed rows untouched.
pub fn release_rerun(conn: &Connection, task_id: i64) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE task SET finish = CASE WHEN number_failed > 0 THEN 2 ELSE 1 END
         WHERE id = ?1 AND next_seq >= end_seq",
        [task_id],
    )?;
    Ok(())
}

/// A pending chunk of a task's rows.
pub struct Chunk {
    pub first_seq: i64,
    pub row_count: i64,
    /// The rows as submitted: a JSON array text.
    pub rows: String,
    /// The file line of each row (a JSON array), for file uploads.
    pub lines: Option<String>,
}

/// The pending chunk holding `seq`.
pub fn chunk_at(conn: &Connection, task_id: i64, seq: i64) -> rusqlite::Result<Option<Chunk>> {
    conn.prepare_cached(
        "SELECT first_seq, row_count, rows, lines FROM task_chunk
         WHERE task_id = ?1 AND first_seq <= ?2 ORDER BY first_seq DESC LIMIT 1",
    )?
    .query_row(params![task_id, seq], |r| {
        Ok(from_row!(r, Chunk; first_seq, row_count, rows, lines))
    })
    .optional()
}

/// The seq after the pending chunk holding `seq` (its rows are not read).
pub fn chunk_end_at(conn: &Connection, task_id: i64, seq: i64) -> rusqlite::Result<Option<i64>> {
    conn.prepare_cached(
        "SELECT first_seq + row_count FROM task_chunk
         WHERE task_id = ?1 AND first_seq <= ?2 ORDER BY first_seq DESC LIMIT 1",
    )?
    .query_row(params![task_id, seq], |r| r.get(0))
    .optional()
}

pub fn delete_chunk(conn: &Connection, task_id: i64, first_seq: i64) -> rusqlite::Result<()> {
    conn.prepare_cached("DELETE FROM task_chunk WHERE task_id = ?1 AND first_seq = ?2")?
        .execute(params![task_id, first_seq])?;
    Ok(())
}

pub fn delete_chunks(conn: &Connection, task_id: i64) -> rusqlite::Result<()> {
    conn.execute("DELETE FROM task_chunk WHERE task_id = ?1", [task_id])?;
    Ok(())
}

pub fn insert_failure(
    conn: &Connection,
    task_id: i64,
    seq: i64,
    line: Option<i64>,
    row: &str,
    message: &str,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO task_failure (task_id, seq, line, row, message) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![task_id, seq, line, row, message])?;
    Ok(())
}

/// Collects one batch's export snapshots and stores them as one row.
pub struct SnapshotWriter {
    task_id: i64,
    first_seq: i64,
    /// A JSON array being written (serde_json writes bytes).
    snapshots: Vec<u8>,
}

impl SnapshotWriter {
    pub fn new(task_id: i64, first_seq: i64) -> SnapshotWriter {
        SnapshotWriter {
            task_id,
            first_seq,
            snapshots: b"[".to_vec(),
        }
    }

    /// Adds a snapshot after those already pushed.
    pub fn push(&mut self, snapshot: &impl Serialize) -> serde_json::Result<()> {
        if self.snapshots.len() > 1 {
            self.snapshots.push(b',');
        }
        serde_json::to_writer(&mut self.snapshots, snapshot)
    }

    /// Stores the batch's snapshots, if it had any.
    pub fn finish(mut self, conn: &Connection) -> rusqlite::Result<()> {
        if self.snapshots.len() == 1 {
            return Ok(());
        }
        self.snapshots.push(b']');
        let text = std::str::from_utf8(&self.snapshots)
            .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
        conn.prepare_cached(
            "INSERT INTO export_chunk (task_id, first_seq, snapshots) VALUES (?1, ?2, ?3)",
        )?
        .execute(params![self.task_id, self.first_seq, text])?;
        Ok(())
    }
}

/// What one batch did with its rows. For an import, `succeeded` is created + updated +
/// unchanged.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub succeeded: i64,
    pub failed: i64,
    pub created: i64,
    pub updated: i64,
    pub unchanged: i64,
}

impl Counts {
    pub fn rows(&self) -> i64 {
        self.succeeded + self.failed
    }
}

/// Moves the checkpoint after a batch and adds its outcomes; the task is done (1 or 2) when
/// the checkpoint reaches the end.
pub fn advance(
    conn: &Connection,
    task_id: i64,
    next_seq: i64,
    counts: &Counts,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "UPDATE task SET next_seq = ?2,
             number_succeed = number_succeed + ?3,
             number_failed = number_failed + ?4,
             number_created = number_created + ?5,
             number_updated = number_updated + ?6,
             number_unchanged = number_unchanged + ?7,
             finish = CASE WHEN ?2 < end_seq THEN 0
                           WHEN number_failed + ?4 > 0 THEN 2 ELSE 1 END,
             start_time = coalesce(start_time, datetime('now', 'localtime')),
             finish_time = CASE WHEN ?2 < end_seq THEN NULL ELSE datetime('now', 'localtime') END
         WHERE id = ?1",
    )?
    .execute(params![
        task_id,
        next_seq,
        counts.succeeded,
        counts.failed,
        counts.created,
        counts.updated,
        counts.unchanged
    ])?;
    Ok(())
}

/// Ends a task whose remaining rows were just recorded as `failed` rows: finish 2, the
/// checkpoint at the end.
pub fn end_failed(conn: &Connection, task_id: i64, failed: i64) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE task SET next_seq = end_seq, number_failed = number_failed + ?2,
             number_need = max(number_need, number_succeed + number_failed + ?2), finish = 2,
             start_time = coalesce(start_time, datetime('now', 'localtime')),
             finish_time = datetime('now', 'localtime')
         WHERE id = ?1",
        params![task_id, failed],
    )?;
    Ok(())
}

/// The newest import of the entity made from a file of this content (whatever its name) since
/// `since` (a local time text) that ran or runs for real and is not undone: (id, create_time).
/// An unconfirmed dry run wrote nothing, and an undone import's assets are gone.
pub fn same_upload_since(
    conn: &Connection,
    entity_id: i64,
    file_hash: &str,
    since: &str,
) -> rusqlite::Result<Option<(i64, String)>> {
    conn.prepare_cached(
        "SELECT id, create_time FROM task
         WHERE entity_id = ?1 AND file_hash = ?2 AND create_time >= ?3 AND stored = 1
           AND (dry_run = 0 OR confirmed = 1) AND undone_by IS NULL
         ORDER BY id DESC LIMIT 1",
    )?
    .query_row(params![entity_id, file_hash, since], |r| {
        Ok((r.get(0)?, r.get(1)?))
    })
    .optional()
}

/// Ends a dry run's checks: the stand-ins for the item assets it would have created go.
pub fn end_dry_run(conn: &Connection, task_id: i64) -> rusqlite::Result<()> {
    conn.prepare_cached("DELETE FROM task_dry_item WHERE task_id = ?1")?
        .execute([task_id])?;
    Ok(())
}

/// How many rows a task still holds stored (a dry run holds all of them until confirmed).
pub fn stored_rows(conn: &Connection, task_id: i64) -> rusqlite::Result<i64> {
    conn.query_row(
        "SELECT coalesce(sum(row_count), 0) FROM task_chunk WHERE task_id = ?1",
        [task_id],
        |r| r.get(0),
    )
}

/// Turns a finished dry run into a real run of the same stored rows, with the rights of
/// `runner_id`: counters, failed rows and times start again.
pub fn confirm(conn: &Connection, task_id: i64, runner_id: i64) -> rusqlite::Result<()> {
    conn.execute("DELETE FROM task_failure WHERE task_id = ?1", [task_id])?;
    end_dry_run(conn, task_id)?;
    conn.execute(
        "UPDATE task SET confirmed = 1, finish = 0, next_seq = 0, number_succeed = 0,
             number_failed = 0, number_created = 0, number_updated = 0, number_unchanged = 0,
             start_time = NULL, finish_time = NULL, runner_id = ?2
         WHERE id = ?1",
        params![task_id, runner_id],
    )?;
    Ok(())
}

/// The file line of each failed row, in order (None where a row came from a JSON body): what a
/// re-run keeps for the rows that replace them.
pub fn failure_lines(conn: &Connection, task_id: i64) -> rusqlite::Result<Vec<Option<i64>>> {
    let mut stmt =
        conn.prepare_cached("SELECT line FROM task_failure WHERE task_id = ?1 ORDER BY seq")?;
    let lines = stmt.query_map([task_id], |r| r.get(0))?;
    lines.collect()
}

/// Re-queues a task's failed rows for a re-run: the rows are replaced by `rows` (written by
/// the caller with a TaskWriter from the returned seq), failures cleared (all of them, or only
/// the seqs `only` names: the others stay failed and counted), counters rewound.
pub fn clear_failures_for_rerun(
    conn: &Connection,
    task_id: i64,
    rerun_rows: i64,
    only: Option<&[i64]>,
) -> rusqlite::Result<()> {
    let cleared = match only {
        None => conn.execute("DELETE FROM task_failure WHERE task_id = ?1", [task_id])?,
        Some(seqs) => {
            let mut delete =
                conn.prepare_cached("DELETE FROM task_failure WHERE task_id = ?1 AND seq = ?2")?;
            let mut cleared = 0;
            for seq in seqs {
                cleared += delete.execute(params![task_id, seq])?;
            }
            cleared
        }
    };
    conn.execute(
        "UPDATE task SET number_failed = number_failed - ?3, next_seq = end_seq,
             end_seq = end_seq + ?2, finish = 0, finish_time = NULL, cancelled = 0
         WHERE id = ?1",
        params![task_id, rerun_rows, cleared as i64],
    )?;
    Ok(())
}
