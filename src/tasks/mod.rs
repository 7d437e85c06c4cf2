//! The task engine. The database is the queue of record: a task and all its rows are stored
//! (a chunk per transaction, the task invisible until complete) before its id is handed to a
//! pool of named worker threads. Workers run a
//! task in batches, each batch's assets, outcomes, counters and checkpoint committed together,
//! so a row creates at most one asset through crashes and restarts.

pub mod create;
pub mod export;
pub mod failed;
pub mod import;
pub mod lifecycle;
pub mod prune;
pub mod readers;
pub mod results;
pub mod text_index;
pub mod undo;

use crate::config::Settings;
use crate::db::tasks::{Counts, TaskKind};
use crate::db::{self, tasks as sql, Pool};
use crate::error::{Error, Result};
use crossbeam_channel::{Receiver, Sender};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// The message of a row a cancel kept from running.
pub const CANCELLED: &str = "已取消";

/// The longest pause between two tries of a task waiting for disk space.
const DISK_FULL_MAX_WAIT: Duration = Duration::from_secs(10);

/// Handle to the worker pool, kept in Rocket's managed state.
pub struct Workers {
    sender: Mutex<Option<Sender<i64>>>,
    threads: Mutex<Vec<JoinHandle<()>>>,
    stop: Arc<AtomicBool>,
}

impl Workers {
    /// Starts `task_workers` threads and queues every unfinished task, oldest first.
    pub fn start(
        pool: &Pool,
        settings: &Settings,
        readers: Arc<readers::Readers>,
    ) -> Result<Workers, String> {
        let (sender, receiver) = crossbeam_channel::unbounded::<i64>();
        let stop = Arc::new(AtomicBool::new(false));
        let mut threads = Vec::new();
        for n in 0..settings.task_workers {
            let worker = Worker {
                pool: pool.clone(),
                batch_rows: settings.task_batch_rows,
                receiver: receiver.clone(),
                requeue: sender.clone(),
                stop: stop.clone(),
            };
            let handle = std::thread::Builder::new()
                .name(format!("task-worker-{n}"))
                .spawn(move || worker.run())
                .map_err(|e| format!("cannot start worker thread: {e}"))?;
            threads.push(handle);
        }
        let every = Duration::from_secs(settings.task_prune_interval_secs);
        let pruner = prune::start(
            pool.clone(),
            (
                settings.task_retention_days,
                settings.history_retention_days,
            ),
            every,
            readers,
            stop.clone(),
        )
        .map_err(|e| format!("cannot start the pruner thread: {e}"))?;
        threads.push(pruner);
        let indexer = text_index::start(pool.clone(), stop.clone())
            .map_err(|e| format!("cannot start the text indexer thread: {e}"))?;
        threads.push(indexer);
        let conn = pool.get().map_err(|e| e.to_string())?;
        let unfinished = sql::unfinished_tasks(&conn).map_err(|e| e.to_string())?;
        if !unfinished.is_empty() {
            log::info!(
                "resuming {} unfinished task(s): {:?}",
                unfinished.len(),
                unfinished
            );
        }
        for id in unfinished {
            let _ = sender.send(id);
        }
        Ok(Workers {
            sender: Mutex::new(Some(sender)),
            threads: Mutex::new(threads),
            stop,
        })
    }

    /// Hands a stored task to the pool.
    pub fn queue(&self, task_id: i64) -> Result<()> {
        let guard = self
            .sender
            .lock()
            .map_err(|_| Error::internal("worker queue poisoned"))?;
        match guard.as_ref() {
            // After shutdown began the task stays stored (finish 0) and resumes at next start.
            None => Ok(()),
            Some(s) => s
                .send(task_id)
                .map_err(|_| Error::internal("worker pool stopped")),
        }
    }

    /// Lets each worker finish its current batch, then joins them all.
    pub fn shutdown(&self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Ok(mut s) = self.sender.lock() {
            s.take();
        }
        let threads = match self.threads.lock() {
            Ok(mut t) => std::mem::take(&mut *t),
            Err(_) => return,
        };
        for t in threads {
            let name = t.thread().name().unwrap_or("worker").to_owned();
            if t.join().is_err() {
                log::error!("{name} ended with a panic");
            }
        }
        log::info!("task workers stopped");
    }
}

struct Worker {
    pool: Pool,
    /// The most lines of a request one batch of an approval or its undo works through.
    batch_rows: usize,
    receiver: Receiver<i64>,
    /// Where a task goes back after each batch: workers take turns between tasks batch by
    /// batch, so a small task never waits behind a whole large one.
    requeue: Sender<i64>,
    stop: Arc<AtomicBool>,
}

/// How one run of a task ended.
pub enum Outcome {
    Done,
    /// A batch was committed and the task has rows left: it waits for its next turn.
    More,
    /// Shutdown asked to stop between batches; the task resumes at next start.
    Stopped,
}

impl Worker {
    fn run(self) {
        // Workers hold senders too (to requeue), so the channel never closes: they look at the
        // stop flag between waits instead.
        while !self.stop.load(Ordering::SeqCst) {
            match self.receiver.recv_timeout(Duration::from_millis(100)) {
                Ok(task_id) => self.run_task(task_id),
                Err(crossbeam_channel::RecvTimeoutError::Timeout) => {}
                Err(crossbeam_channel::RecvTimeoutError::Disconnected) => break,
            }
        }
    }

    fn run_task(&self, task_id: i64) {
        // A bug in a task (a panic) or a database failure must not kill the worker or leave the
        // task stuck: retry a few times, then fail the task's remaining rows with a message.
        let mut attempt = 0;
        let mut waited = Duration::ZERO;
        loop {
            let result = catch_unwind(AssertUnwindSafe(|| self.try_task(task_id)));
            let error = match result {
                // One batch done, more to come: behind the tasks already waiting.
                Ok(Ok(Outcome::More)) => {
                    if self.requeue.send(task_id).is_err() {
                        log::info!("task {task_id}: stopped by shutdown; it resumes at next start");
                    }
                    return;
                }
                Ok(Ok(Outcome::Done | Outcome::Stopped)) => {
                    if !waited.is_zero() {
                        log::info!("task {task_id}: ran on once there was space again");
                    }
                    return;
                }
                // A full disk is not the task's fault either: the batch was rolled back, and the
                // task waits, trying again now and then, until there is room (or shutdown).
                Ok(Err(Error::DiskFull)) => {
                    if waited.is_zero() {
                        log::error!("task {task_id}: disk full; it waits for space and resumes");
                    }
                    let pause = (waited / 2).clamp(Duration::from_millis(500), DISK_FULL_MAX_WAIT);
                    if !self.pause(pause) {
                        log::info!("task {task_id}: stopped by shutdown; it resumes at next start");
                        return;
                    }
                    waited += pause;
                    continue;
                }
                Ok(Err(e)) => e.cause(),
                Err(_) => "panic".to_owned(),
            };
            attempt += 1;
            log::error!("task {task_id}: attempt {attempt} failed: {error}");
            // An attempt cut short by shutdown is not the task's fault: it resumes at next start.
            if self.stop.load(Ordering::SeqCst) {
                log::info!("task {task_id}: stopped by shutdown; it resumes at next start");
                return;
            }
            if attempt >= 3 {
                break;
            }
            std::thread::sleep(Duration::from_millis(200 * attempt));
        }
        if let Err(e) = self.fail_rest(task_id) {
            log::error!(
                "task {task_id}: cannot record its failure ({}); it resumes at next start",
                e.cause()
            );
        }
    }

    /// Sleeps `pause`, waking early for shutdown; false if shutdown began.
    fn pause(&self, pause: Duration) -> bool {
        let until = std::time::Instant::now() + pause;
        while std::time::Instant::now() < until {
            if self.stop.load(Ordering::SeqCst) {
                return false;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        !self.stop.load(Ordering::SeqCst)
    }

    fn try_task(&self, task_id: i64) -> Result<Outcome> {
        let mut conn = self.pool.get()?;
        let Some(task) = sql::task_state(&conn, task_id)? else {
            return Ok(Outcome::Done);
        };
        if !task.running() {
            return Ok(Outcome::Done);
        }
        let scope = import::runner_scope(&conn, &task)?;
        let mut lookups = crate::rows::Lookups::new(scope);
        if task.checks_only() {
            lookups = lookups.for_dry_run(task.id);
        }
        // A request's batch rewrites many assets, each through several indexes: its statement
        // journal is kept in memory, as `Db::write_many` keeps an approval's in one call.
        let many = task.kind().of_request();
        if many {
            conn.execute_batch("PRAGMA temp_store = MEMORY")?;
        }
        let mut runner = Runner {
            conn: &mut conn,
            task,
            lookups,
            stop: &self.stop,
            batch_rows: self.batch_rows,
        };
        let outcome = runner.run();
        if many {
            conn.execute_batch("PRAGMA temp_store = DEFAULT")?;
        }
        outcome
    }

    /// Fails every row not yet run, so the task ends (finish 2) with consistent counters.
    fn fail_rest(&self, task_id: i64) -> Result<()> {
        let mut conn = self.pool.get()?;
        let tx = db::write_tx(&mut conn)?;
        let Some(task) = sql::task_state(&tx, task_id)? else {
            return Ok(());
        };
        if task.kind().of_request() {
            let failed = crate::requests::task::fail_rest(&tx, &task)?;
            sql::end_failed(&tx, task_id, failed)?;
            tx.commit()?;
            return Ok(());
        }
        let mut seq = task.next_seq;
        let mut failed = 0;
        while seq < task.end_seq {
            let (next, n) = fail_rows_from(&tx, task_id, seq, "任务执行出错，该行未处理")?;
            seq = next;
            failed += n;
        }
        sql::delete_chunks(&tx, task_id)?;
        sql::end_failed(&tx, task_id, failed)?;
        tx.commit()?;
        Ok(())
    }
}

/// Records the rows from `seq` to the end of the chunk holding it as failed with `message`
/// (prefixed with each row's file line) and deletes the chunk; returns (the seq after them,
/// how many). A row no chunk holds (a damaged database) still ends as one failed row, so the
/// counters add up.
fn fail_rows_from(
    tx: &rusqlite::Connection,
    task_id: i64,
    seq: i64,
    message: &str,
) -> Result<(i64, i64)> {
    let holding = sql::chunk_at(tx, task_id, seq)?.filter(|c| seq < c.first_seq + c.row_count);
    let Some(chunk) = holding else {
        sql::insert_failure(tx, task_id, seq, None, "null", message)?;
        return Ok((seq + 1, 1));
    };
    let (first, count) = (chunk.first_seq, chunk.row_count);
    // Even an unreadable chunk must end as failed rows, one per row it held.
    let batch = Batch::parse(first, &chunk.rows, chunk.lines.as_deref()).ok();
    for i in (seq - first)..count {
        let raw = batch.as_ref().and_then(|b| b.rows.get(i as usize).copied());
        let line = batch.as_ref().and_then(|b| b.line(i as usize));
        let text = with_line(line, message);
        sql::insert_failure(tx, task_id, first + i, line, raw.unwrap_or("null"), &text)?;
    }
    sql::delete_chunk(tx, task_id, first)?;
    Ok((first + count, count - (seq - first)))
}

/// The level the next batch of `task` commits at. A batch lost to a power cut is run again
/// from the checkpoint before it, so batches need not wait for the disk; the one that may end
/// the task does, since a client may be told of its end (SQLite sets the level only between
/// transactions, so this is judged before the batch begins, from its chunk, or for a request's
/// approval or undo from the lines left after the checkpoint). An undo's batch cannot be judged
/// beforehand (a batch deletes whole ranges), so each of its few is durable.
/// The pool puts the connection back at the durable level when it is next handed out.
fn batch_durability(
    conn: &rusqlite::Connection,
    task: &sql::TaskState,
    batch_rows: usize,
) -> Result<db::Durability> {
    if task.kind() == TaskKind::Undo || task.next_seq >= task.end_seq {
        return Ok(db::Durability::Durable);
    }
    let last = if task.kind().of_request() {
        let request = task.request_id.unwrap_or(0);
        let state = if task.kind() == TaskKind::Approval {
            0
        } else {
            1
        };
        let window = (task.next_seq, batch_rows as i64);
        !crate::db::requests::more_than_a_batch_after(conn, request, state, window)?
    } else {
        match sql::chunk_end_at(conn, task.id, task.next_seq)? {
            Some(end) => end >= task.end_seq,
            None => true,
        }
    };
    Ok(if last {
        db::Durability::Durable
    } else {
        db::Durability::Batch
    })
}

/// One chunk of a task's rows, parsed.
pub struct Batch<'a> {
    pub first_seq: i64,
    pub rows: Vec<&'a str>,
    lines: Option<Vec<i64>>,
}

impl<'a> Batch<'a> {
    pub fn parse(first_seq: i64, rows: &'a str, lines: Option<&str>) -> Result<Batch<'a>> {
        let parsed: Vec<&serde_json::value::RawValue> = serde_json::from_str(rows)
            .map_err(|e| Error::caused(format!("unreadable chunk at {first_seq}"), e))?;
        Ok(Batch {
            first_seq,
            rows: parsed.into_iter().map(|r| r.get()).collect(),
            lines: lines.and_then(|l| serde_json::from_str(l).ok()),
        })
    }

    pub fn line(&self, i: usize) -> Option<i64> {
        self.lines.as_ref().and_then(|l| l.get(i).copied())
    }
}

/// A failed row's message, prefixed with the file line it came from.
pub fn with_line(line: Option<i64>, message: &str) -> String {
    match line {
        Some(l) => format!("第{l}行：{message}"),
        None => message.to_owned(),
    }
}

/// Runs one batch of a task on one connection.
struct Runner<'w> {
    conn: &'w mut crate::db::Conn,
    task: sql::TaskState,
    lookups: crate::rows::Lookups,
    stop: &'w AtomicBool,
    batch_rows: usize,
}

impl Runner<'_> {
    /// Runs the task's next batch (one chunk) in one transaction.
    fn run(&mut self) -> Result<Outcome> {
        if self.stop.load(Ordering::SeqCst) {
            return Ok(Outcome::Stopped);
        }
        // Judged from the state `try_task` just read; the batch reads it again in its
        // transaction, and one that finds it moved on (cancelled meanwhile) ends at most sooner.
        batch_durability(self.conn, &self.task, self.batch_rows)?.set(self.conn)?;
        let tx = db::write_tx(self.conn)?;
        let Some(task) = sql::task_state(&tx, self.task.id)? else {
            return Ok(Outcome::Done);
        };
        if !task.running() {
            return Ok(Outcome::Done);
        }
        self.task = task;
        if task.next_seq >= task.end_seq {
            sql::advance(&tx, task.id, task.next_seq, &Counts::default())?;
            tx.commit()?;
            return Ok(Outcome::Done);
        }
        if task.kind() == TaskKind::Undo || task.kind().of_request() {
            let (next, counts) = match task.kind() {
                TaskKind::Undo => undo::run_batch(&tx, &task, &self.lookups.scope)?,
                _ => crate::requests::task::run_batch(&tx, &task, self.batch_rows)?,
            };
            sql::advance(&tx, task.id, next, &counts)?;
            tx.commit()?;
            return Ok(Outcome::More);
        }
        // Cancelled: the rows not run end as failed rows, a chunk per transaction.
        if task.status.cancelled {
            let (next, failed) = fail_rows_from(&tx, task.id, task.next_seq, CANCELLED)?;
            let counts = Counts {
                failed,
                ..Counts::default()
            };
            sql::advance(&tx, task.id, next, &counts)?;
            tx.commit()?;
            return Ok(Outcome::More);
        }
        let Some(chunk) = sql::chunk_at(&tx, task.id, task.next_seq)? else {
            return Err(Error::internal(format!(
                "task {} has no rows at {}",
                task.id, task.next_seq
            )));
        };
        let skip = (task.next_seq - chunk.first_seq) as usize;
        let outcome = match task.kind() {
            TaskKind::Import => import::run_batch(&tx, &task, &mut self.lookups, &chunk, skip),
            TaskKind::Count => Batch::parse(chunk.first_seq, &chunk.rows, chunk.lines.as_deref())
                .and_then(|batch| crate::stocktake::count::run_batch(&tx, &task, &batch, skip)),
            TaskKind::Freeze => Batch::parse(chunk.first_seq, &chunk.rows, chunk.lines.as_deref())
                .and_then(|batch| {
                    let last = chunk.first_seq + chunk.row_count >= task.end_seq;
                    crate::stocktake::freeze::run_batch(&tx, &task, (&batch, skip), last)
                }),
            _ => Batch::parse(chunk.first_seq, &chunk.rows, chunk.lines.as_deref())
                .and_then(|batch| export::run_batch(&tx, &task, &self.lookups.scope, &batch, skip)),
        };
        // Every row of the chunk must have been seen, or the checkpoint would skip some.
        let expected = chunk.row_count - skip as i64;
        let counts = outcome.and_then(|counts| {
            if counts.rows() == expected {
                Ok(counts)
            } else {
                Err(Error::internal(format!(
                    "task {}: the chunk at {} gave {} of its {expected} rows",
                    task.id,
                    chunk.first_seq,
                    counts.rows()
                )))
            }
        });
        let counts = match counts {
            Ok(counts) => counts,
            Err(e) => {
                drop(tx);
                self.lookups.clear();
                return Err(e);
            }
        };
        let next = chunk.first_seq + chunk.row_count;
        sql::advance(&tx, task.id, next, &counts)?;
        if task.checks_only() {
            // A dry run keeps its rows for the confirm; at its end, what stood in for the
            // assets it would have created goes.
            if next >= task.end_seq {
                sql::end_dry_run(&tx, task.id)?;
            }
        } else {
            sql::delete_chunk(&tx, task.id, chunk.first_seq)?;
        }
        if let Err(e) = tx.commit() {
            self.lookups.clear();
            return Err(e.into());
        }
        Ok(Outcome::More)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::fixture::{self, TaskRow};
    use crate::db::Durability;

    /// A task of three chunks: the batches of the first two need not wait for the disk; the
    /// last (which ends the task), a finished task's and an undo's every batch do; a request's
    /// approval waits for the disk with the batch that takes its last pending lines.
    #[test]
    fn only_a_batch_that_may_end_its_task_waits_for_the_disk() {
        let conn = fixture::db();
        let company = fixture::insert_company(&conn);
        let role = crate::auth::Role::Manager;
        let user = fixture::insert_user(&conn, "liusn", role, Some(company.id), Some(company.cst));
        let task_of = |kind| {
            let row = TaskRow {
                number_need: 30,
                ..TaskRow::new(company.id, user, kind)
            };
            fixture::insert_task(&conn, &row)
        };
        let (import, undo) = (task_of(TaskKind::Import), task_of(TaskKind::Undo));
        for task in [import, undo] {
            for first in [0, 10, 20] {
                conn.execute(
                    "INSERT INTO task_chunk (task_id, first_seq, row_count, rows)
                     VALUES (?1, ?2, 10, '[]')",
                    [task, first],
                )
                .unwrap();
            }
        }
        let at = |task: i64, seq: i64| {
            conn.execute("UPDATE task SET next_seq = ?2 WHERE id = ?1", [task, seq])
                .unwrap();
            let state = sql::task_state(&conn, task).unwrap().unwrap();
            batch_durability(&conn, &state, 10).unwrap()
        };
        assert_eq!(at(import, 0), Durability::Batch);
        assert_eq!(at(import, 15), Durability::Batch);
        assert_eq!(at(import, 20), Durability::Durable);
        assert_eq!(at(import, 30), Durability::Durable);
        assert_eq!(at(undo, 0), Durability::Durable);

        // An approval of 25 lines (seqs 1 to 25), 10 a batch: the batch after seq 15 takes the
        // last ten pending lines, so it waits for the disk; one after seq 5 does not.
        conn.execute(
            "INSERT INTO request (id, entity_id, kind, initiator_id, state, created_at)
             VALUES (1, ?1, 2, ?2, 6, 0)",
            [company.id, user],
        )
        .unwrap();
        for seq in 1..=25 {
            conn.execute(
                "INSERT INTO request_line (request_id, seq, asset_id, count, owner_id,
                     department_id, asset_count) VALUES (1, ?1, ?1, 1, ?2, ?3, 1)",
                [seq, user, company.cst],
            )
            .unwrap();
        }
        let approval = task_of(TaskKind::Approval);
        conn.execute(
            "UPDATE task SET request_id = 1, end_seq = 25 WHERE id = ?1",
            [approval],
        )
        .unwrap();
        assert_eq!(at(approval, 0), Durability::Batch);
        assert_eq!(at(approval, 5), Durability::Batch);
        assert_eq!(at(approval, 15), Durability::Durable);
        // Lines already done no longer count: with seqs 6 to 10 executed, after seq 5 only
        // fifteen are pending, and their first batch is not yet the last.
        conn.execute(
            "UPDATE request_line SET state = 1 WHERE request_id = 1 AND seq BETWEEN 6 AND 10",
            [],
        )
        .unwrap();
        assert_eq!(at(approval, 5), Durability::Batch);
        conn.execute(
            "UPDATE request_line SET state = 1 WHERE request_id = 1 AND seq BETWEEN 11 AND 15",
            [],
        )
        .unwrap();
        assert_eq!(at(approval, 5), Durability::Durable);
    }
}
