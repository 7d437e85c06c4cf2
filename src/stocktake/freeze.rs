//! A large stocktake's expected list, frozen by a task: over `task_batch_rows` assets, the start
//! stores the stocktake 准备中 with a task whose rows are the ids the search found, and the
//! workers freeze a batch of them per transaction (each line as its asset stands then, with its
//! revision, so a change after its batch is flagged like any other), never holding the write
//! lock for the whole list. The batch that takes the last ids makes the stocktake 进行中, in its
//! own transaction: after a crash the task resumes from its checkpoint, every asset listed
//! exactly once. An asset deleted or retired before its batch is a failed row. The task is not cancelled;
//! a stocktake not wanted is voided (also while 准备中).

use crate::auth::Caller;
use crate::db::stocktake as sql;
use crate::db::tasks::{self as tasks_sql, Counts, NewTask, TaskKind, TaskState};
use crate::db::Conn;
use crate::error::{Error, Result};
use crate::tasks::{with_line, Batch};
use rusqlite::Connection;

/// Stores the task that freezes stocktake `id`'s expected list (the stocktake is 准备中) with
/// one row per asset id, a chunk per transaction; returns its id.
pub fn create(
    conn: &mut Conn,
    caller: &Caller,
    id: i64,
    ids: &[i64],
    chunk_rows: usize,
) -> Result<i64> {
    let new = NewTask {
        stocktake_id: Some(id),
        ..NewTask::default()
    };
    crate::tasks::create::store_ids(conn, caller, (TaskKind::Freeze, &new), ids, chunk_rows)
}

/// Freezes the assets of one stored chunk from `skip` on, in the calling transaction; `last`:
/// this chunk ends the task, and the stocktake becomes 进行中 with it.
pub fn run_batch(
    tx: &Connection,
    task: &TaskState,
    (batch, skip): (&Batch, usize),
    last: bool,
) -> Result<Counts> {
    let id = task
        .stocktake_id
        .ok_or_else(|| Error::internal(format!("freeze task {} names no stocktake", task.id)))?;
    let mut counts = Counts::default();
    for (i, raw) in batch.rows.iter().enumerate().skip(skip) {
        let listed = match raw.trim().parse::<i64>() {
            Ok(asset) => sql::freeze_line(tx, id, asset)?,
            Err(_) => false,
        };
        if listed {
            counts.succeeded += 1;
        } else {
            let line = batch.line(i);
            let seq = batch.first_seq + i as i64;
            let why = with_line(line, "资产已删除或已清退，未列入盘点");
            tasks_sql::insert_failure(tx, task.id, seq, line, raw, &why)?;
            counts.failed += 1;
        }
    }
    if last {
        sql::ready(tx, id)?;
    }
    Ok(counts)
}

/// The newest task that froze (or freezes) stocktake `id`'s list, if it had one.
pub fn task_of(conn: &Connection, id: i64) -> Result<Option<i64>> {
    Ok(tasks_sql::newest_of_stocktake(conn, id, TaskKind::Freeze)?)
}
