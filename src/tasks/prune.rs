//! Retention: finished tasks older than `task_retention_days` lose their stored rows, records
//! and failed rows (the task and its counters stay, marked pruned), in small transactions on a
//! thread of their own (`task-pruner`), never blocking the API. Freed pages are reused by
//! SQLite, so a steady load stops growing the file.

use super::readers::Readers;
use crate::db::{self, tasks as sql, Pool};
use crate::error::Result;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Rows deleted per transaction.
const ROWS_PER_TRANSACTION: i64 = 2000;

/// Deletes one finished task's stored data, a few thousand rows per transaction, then marks it
/// pruned. Returns false if the task is not finished (or was pruned already).
pub fn prune_task(conn: &mut crate::db::Conn, task_id: i64) -> Result<bool> {
    loop {
        let tx = db::write_tx(conn)?;
        let Some(task) = sql::task_state(&tx, task_id)? else {
            return Ok(false);
        };
        if task.running() || task.status.pruned {
            return Ok(false);
        }
        let deleted = sql::delete_results(&tx, task_id, ROWS_PER_TRANSACTION)?;
        if deleted == 0 {
            sql::mark_pruned(&tx, task_id)?;
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
        if prune_task(&mut conn, id)? {
            pruned += 1;
        }
    }
    Ok(pruned)
}

/// Runs `prune_old` at start and then every `every`, until `stop`.
pub fn start(
    pool: Pool,
    days: u64,
    every: Duration,
    readers: Arc<Readers>,
    stop: Arc<AtomicBool>,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new()
        .name("task-pruner".into())
        .spawn(move || {
            if days == 0 {
                return;
            }
            loop {
                match prune_old(&pool, days, &readers, &stop) {
                    Ok(0) => {}
                    Ok(n) => {
                        log::info!("pruned the stored data of {n} task(s) older than {days} days")
                    }
                    Err(e) => log::error!("pruning old tasks: {}", e.cause()),
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
