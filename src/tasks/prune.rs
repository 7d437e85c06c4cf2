//! Retention: finished tasks older than `task_retention_days` lose their stored rows, records
//! and failed rows (the task and its counters stay, marked pruned), and asset history entries
//! older than `history_retention_days` go, in small transactions on a thread of their own
//! (`task-pruner`), never blocking the API. Freed pages are reused by
//! SQLite, so a steady load stops growing the file.

use super::readers::Readers;
use crate::db::{self, tasks as sql, Pool};
use crate::error::Result;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Rows deleted per transaction.
const ROWS_PER_TRANSACTION: i64 = 2000;

/// Runs in the transaction that marks a task pruned.
pub type OnPruned<'a> = &'a dyn Fn(&rusqlite::Connection) -> Result<()>;

/// Deletes one finished task's stored data, a few thousand rows per transaction, then marks it
/// pruned, running `mark` (a deletion asked for records itself in the journal) in that last
/// transaction. Returns false if the task is not finished (or was pruned already).
pub fn prune_task(
    conn: &mut crate::db::Conn,
    task_id: i64,
    how: sql::Removed,
    mark: Option<OnPruned>,
) -> Result<bool> {
    loop {
        let tx = db::write_tx(conn)?;
        let Some(task) = sql::task_state(&tx, task_id)? else {
            return Ok(false);
        };
        if task.running() || task.status.pruned() {
            return Ok(false);
        }
        let deleted = sql::delete_results(&tx, task_id, ROWS_PER_TRANSACTION)?;
        if deleted == 0 {
            sql::mark_pruned(&tx, task_id, how)?;
            if let Some(mark) = mark {
                mark(&tx)?;
            }
            tx.commit()?;
            return Ok(true);
        }
        tx.commit()?;
    }
}

/// Prunes every finished task that ended more than `days` ago; returns how many. A task whose
/// results are being downloaded waits for the next round.
pub fn prune_old(
    pool: &Pool,
    days: u64,
    readers: &Arc<Readers>,
    stop: &AtomicBool,
) -> Result<usize> {
    let cutoff = (chrono::Local::now() - chrono::Duration::days(days as i64))
        .format("%Y-%m-%d %H:%M:%S")
        .to_string();
    let mut conn = pool.get()?;
    let mut pruned = 0;
    for id in sql::finished_before(&conn, &cutoff)? {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let Some(_removing) = readers.try_remove(id) else {
            continue;
        };
        if prune_task(&mut conn, id, sql::Removed::Retention, None)? {
            pruned += 1;
        }
    }
    Ok(pruned)
}

/// Deletes the asset history entries older than `days`; returns how many.
pub fn prune_history(pool: &Pool, days: u64, stop: &AtomicBool) -> Result<usize> {
    let cutoff = crate::clock::now_secs() - (days as i64).saturating_mul(86_400);
    let mut conn = pool.get()?;
    let mut deleted = 0;
    while !stop.load(Ordering::SeqCst) {
        let tx = db::write_tx(&mut conn)?;
        let n = crate::db::history::delete_before(&tx, cutoff, ROWS_PER_TRANSACTION)?;
        tx.commit()?;
        deleted += n;
        if n == 0 {
            break;
        }
    }
    Ok(deleted)
}

/// Runs `prune_old` and `prune_history` at start and then every `every`, until `stop`.
pub fn start(
    pool: Pool,
    (days, history_days): (u64, u64),
    every: Duration,
    readers: Arc<Readers>,
    stop: Arc<AtomicBool>,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new()
        .name("task-pruner".into())
        .spawn(move || {
            if days == 0 && history_days == 0 {
                return;
            }
            loop {
                let tasks = (days > 0).then(|| prune_old(&pool, days, &readers, &stop));
                match tasks {
                    None | Some(Ok(0)) => {}
                    Some(Ok(n)) => {
                        log::info!("pruned the stored data of {n} task(s) older than {days} days")
                    }
                    Some(Err(e)) => log::error!("pruning old tasks: {}", e.cause()),
                }
                let history = (history_days > 0).then(|| prune_history(&pool, history_days, &stop));
                match history {
                    None | Some(Ok(0)) => {}
                    Some(Ok(n)) => log::info!(
                        "deleted {n} asset history entries older than {history_days} days"
                    ),
                    Some(Err(e)) => log::error!("pruning the asset history: {}", e.cause()),
                }
                let next = Instant::now() + every;
                while Instant::now() < next {
                    if stop.load(Ordering::SeqCst) {
                        return;
                    }
                    std::thread::sleep(Duration::from_millis(100));
                }
            }
        })
}
