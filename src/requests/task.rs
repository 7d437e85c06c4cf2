//! A request of more than a batch of lines is approved, or taken back, by a task on the engine:
//! one batch of lines per transaction, each line leaving its state (pending, or executed) in the
//! transaction that acts on it, with the task's checkpoint (the seq of the last line done) and
//! counters. A restart after a crash resumes after the last committed batch, so every line is
//! executed (or taken back) exactly once. A line not done is one of the task's failed rows,
//! with its reason; a cancel ends the approval's remaining lines unexecuted (已取消); the last
//! batch ends the request (已通过 or 已失效; 已撤销).

use super::execute::{self, LineOutcome};
use super::{undo, UNDOING, UNDONE};
use crate::db::changes;
use crate::db::history::Source;
use crate::db::requests::{self as sql, RequestRow};
use crate::db::tasks::{self as tasks_sql, Counts, TaskKind, TaskState};
use crate::error::{Error, Result};
use rusqlite::Connection;
use serde_json::json;

/// Runs the task's next batch of at most `batch` lines; returns its new checkpoint and counts.
/// The batch that reaches the end also ends the request.
pub fn run_batch(tx: &Connection, task: &TaskState, batch: usize) -> Result<(i64, Counts)> {
    let request = request_of(tx, task)?;
    let source = Source {
        entity_id: task.entity_id,
        actor_id: task.runner_id,
        task_id: Some(task.id),
        request_id: Some(request.id),
    };
    let window = (task.next_seq, batch as i64);
    let outcomes = match (task.kind(), task.status.cancelled) {
        (TaskKind::Approval, false) => execute::approve_lines(tx, &source, &request, window)?,
        (TaskKind::Approval, true) => {
            execute::end_lines(tx, &request, window, crate::tasks::CANCELLED)?
        }
        _ => undo::undo_lines(tx, &source, &request, window)?,
    };
    let counts = record(tx, task.id, &outcomes)?;
    let next = match outcomes.last() {
        Some(last) if outcomes.len() == batch => last.seq,
        _ => task.end_seq,
    };
    if next >= task.end_seq {
        end_request(tx, task, &request)?;
    }
    Ok((next, counts))
}

/// Ends a task that failed again and again: its remaining lines end as failed rows (an
/// approval's unexecuted, an undo's left as they are), and so does its request. Returns how
/// many lines failed.
pub fn fail_rest(tx: &Connection, task: &TaskState) -> Result<i64> {
    let request = request_of(tx, task)?;
    let window = (task.next_seq, -1);
    let outcomes = if task.kind() == TaskKind::Approval {
        execute::end_lines(tx, &request, window, FAILED)?
    } else {
        let lines = sql::lines_after(tx, request.id, 1, window)?;
        let mut outcomes = Vec::with_capacity(lines.len());
        for line in lines {
            sql::undone_line(tx, (request.id, line.seq), Some(NOT_UNDONE))?;
            outcomes.push(LineOutcome {
                seq: line.seq,
                asset_id: line.asset_id,
                count: line.count,
                not_done: Some(NOT_UNDONE.to_owned()),
            });
        }
        outcomes
    };
    let counts = record(tx, task.id, &outcomes)?;
    end_request(tx, task, &request)?;
    Ok(counts.failed)
}

const FAILED: &str = "任务执行出错，该项未执行";
const NOT_UNDONE: &str = "任务执行出错，该项未撤销";

fn request_of(tx: &Connection, task: &TaskState) -> Result<RequestRow> {
    let id = task
        .request_id
        .ok_or_else(|| Error::internal(format!("task {} names no request", task.id)))?;
    sql::request(tx, task.entity_id, id)?
        .ok_or_else(|| Error::internal(format!("task {}: request {id} is gone", task.id)))
}

/// Counts a batch's lines; each not done becomes a failed row naming its asset, count and line.
fn record(tx: &Connection, task_id: i64, outcomes: &[LineOutcome]) -> Result<Counts> {
    let mut counts = Counts::default();
    for outcome in outcomes {
        let Some(why) = &outcome.not_done else {
            counts.succeeded += 1;
            continue;
        };
        let name = changes::stored_asset(tx, outcome.asset_id)?.map(|a| a.values.name);
        let row = json!({"id": outcome.asset_id, "name": name, "count": outcome.count});
        let message = format!("第{}项：{why}", outcome.seq);
        tasks_sql::insert_failure(tx, task_id, outcome.seq, None, &row.to_string(), &message)?;
        counts.failed += 1;
    }
    Ok(counts)
}

/// Ends the request of a task whose lines are all done.
fn end_request(tx: &Connection, task: &TaskState, request: &RequestRow) -> Result<()> {
    if task.kind() == TaskKind::Approval {
        execute::settle(tx, request.id)
    } else {
        sql::settle(tx, request.id, (UNDOING, UNDONE))?;
        Ok(())
    }
}
