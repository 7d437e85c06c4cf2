//! A task's lifecycle as one state machine: the phases a task can be in, and for each action a
//! client may ask (confirm, undo, cancel, re-run, edit failed rows, delete data, read or download
//! results) whether the phase allows it and, if not, which error refuses it. Every handler asks
//! here; the API lists the allowed actions with each task (`actions`), and the page shows its
//! buttons from that list.
//!
//! ```text
//!             submit                    worker ends            confirm
//!   (stored) ────────▶ Running ───────────────────────▶ AwaitingConfirm ──────▶ Running
//!                       │   ▲  re-run failed rows        (a dry run)
//!                       │   └──────────────────┐
//!                       └──────────────────▶ Finished ─────── undo ──────▶ Undone
//!                                    AwaitingConfirm ── discard ──▶ Discarded
//! ```
//! Orthogonal to the phase, a task's stored data may be deleted (`pruned`, by retention or on
//! request): its counters stay, its rows, records and failed rows are gone. `Status::removed`
//! says how: by retention, deleted by a user, or a dry run discarded.
//!
//! Each act a client asks for is recorded in the operations journal (`crate::journal`) in the
//! transaction that does it.

use super::create::for_each_element;
use super::readers::Readers;
use super::results::task_of;
use crate::auth::Caller;
use crate::db::failed::Filter as FailedFilter;
use crate::db::tasks::{self as sql, Finish, Removed, Status, TaskKind, TaskWriter};
use crate::db::Conn;
use crate::error::{Error, Result};
use crate::journal::{self, Kind};
use rusqlite::Connection;
use serde_json::json;
use std::sync::Arc;

/// Where a task stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Queued or running (again, after a confirm or a re-run); `cancelling` once a cancel was
    /// asked for.
    Running { cancelling: bool },
    /// A dry run that finished: nothing was written, its rows wait for a confirm.
    AwaitingConfirm,
    /// Finished for real: an import, export or undo that ran, or a confirmed dry run.
    Finished,
    /// An import that an undo task took back.
    Undone,
    /// A dry run its user discarded: never confirmed, its rows deleted.
    Discarded,
}

impl Phase {
    pub fn of(status: &Status) -> Phase {
        if status.finish == Finish::Running {
            Phase::Running {
                cancelling: status.cancelled,
            }
        } else if status.undone {
            Phase::Undone
        } else if status.dry_run && !status.confirmed {
            if status.removed == Some(Removed::Discarded) {
                Phase::Discarded
            } else {
                Phase::AwaitingConfirm
            }
        } else {
            Phase::Finished
        }
    }
}

/// Which of a task's results a read asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Results {
    /// Its results as a file (failed rows, or an export's records): any kind.
    File,
    /// The seed's `GET /failed_task`: an import's or an undo's failed rows.
    Failures,
    /// The failed-rows screen (`…/summary`, `…/rows`): an import's failed rows.
    FailedRows,
    /// An export's records or failed ids.
    Records,
}

/// What a client asks to do with a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Cancel,
    Confirm,
    Undo,
    /// Run the failed rows again: `PUT /failed_task` (`seed`, whose wording for an export task
    /// differs) or `POST …/rerun`.
    Rerun {
        seed: bool,
    },
    /// Change failed rows where they are stored: edit one, replace a value, drop rows.
    EditFailed,
    /// Delete its stored data now, as retention would.
    DeleteData,
    /// End a dry run that will not be confirmed: its rows are deleted, it is marked discarded.
    Discard,
    Read(Results),
}

impl Action {
    /// The actions a task lists, by the names the API shows.
    pub const LISTED: [(&'static str, Action); 8] = [
        ("confirm", Action::Confirm),
        ("discard", Action::Discard),
        ("undo", Action::Undo),
        ("cancel", Action::Cancel),
        ("rerun", Action::Rerun { seed: false }),
        ("edit_failed", Action::EditFailed),
        ("delete_data", Action::DeleteData),
        ("download", Action::Read(Results::File)),
    ];
}

const NOT_A_DRY_RUN: &str = "该任务不是仅校验任务，无需确认";
const CONFIRMED: &str = "该任务已确认执行，不能再次确认";
const INCOMPLETE: &str = "该校验任务未完整执行（已取消或出错），请重新上传后再校验";
const UNDO_IMPORTS_ONLY: &str = "只能撤销导入任务";
const UNDONE: &str = "该任务已撤销，不能再次撤销";
const NOTHING_WRITTEN: &str = "仅校验的任务没有写入任何数据，无需撤销";
const NO_UNDO_RECORDS: &str = "该任务没有撤销记录（升级到支持撤销的版本之前创建），无法撤销";
const DRY_RUN_FAILURES: &str = "仅校验的任务不能重新提交失败行：请修正文件后重新校验，或确认执行";
const UNDONE_FAILURES: &str = "该任务已撤销，不能再重新提交";
const UNDO_NOT_CANCELLED: &str = "撤销任务不能取消";
const UNDO_AT_REQUEST: &str = "申请的执行在申请中撤销（撤销此申请）";
const DISCARDED: &str = "该校验任务已放弃，不能确认；请重新上传文件";
const NOT_DISCARDABLE: &str = "该任务不是仅校验任务，不能放弃";
const CONFIRMED_NOT_DISCARDED: &str =
    "该任务已确认执行，不能放弃；如需取回它写入的数据，请撤销此任务";
const DISCARDED_AGAIN: &str = "该校验任务已放弃";
const FREEZE_NOT_CANCELLED: &str = "生成盘点清单的任务不能取消；如不需要该盘点，可将其作废";

/// Whether `action` is allowed on a task with `status`; if not, the error that refuses it.
/// The order of the checks is the order of the answers: what the task is, then whether it
/// runs, then its phase, then whether its data is kept, then what its data holds.
pub fn check(status: &Status, action: Action) -> Result<()> {
    let phase = Phase::of(status);
    let running = matches!(phase, Phase::Running { .. });
    let kind = status.kind;
    let refuse = |refused: bool, error: Error| if refused { Err(error) } else { Ok(()) };
    let kept = || refuse(status.pruned(), Error::TaskPruned);
    match action {
        Action::Cancel => {
            refuse(
                kind == TaskKind::Undo || kind == TaskKind::RequestUndo,
                Error::Rule(UNDO_NOT_CANCELLED.into()),
            )?;
            refuse(
                kind == TaskKind::Freeze,
                Error::Rule(FREEZE_NOT_CANCELLED.into()),
            )?;
            refuse(!running, Error::TaskFinished)
        }
        Action::Confirm => {
            let dry_import = kind == TaskKind::Import && status.dry_run;
            refuse(!dry_import, Error::NotConfirmable(NOT_A_DRY_RUN))?;
            refuse(running, Error::TaskRunning)?;
            refuse(status.confirmed, Error::NotConfirmable(CONFIRMED))?;
            refuse(phase == Phase::Discarded, Error::NotConfirmable(DISCARDED))?;
            kept()?;
            let complete = !status.cancelled && status.rows_complete;
            refuse(!complete, Error::NotConfirmable(INCOMPLETE))
        }
        Action::Undo => {
            refuse(
                kind == TaskKind::Approval,
                Error::NotUndoable(UNDO_AT_REQUEST),
            )?;
            refuse(
                kind != TaskKind::Import,
                Error::NotUndoable(UNDO_IMPORTS_ONLY),
            )?;
            refuse(running, Error::TaskRunning)?;
            refuse(phase == Phase::Undone, Error::NotUndoable(UNDONE))?;
            let dry = matches!(phase, Phase::AwaitingConfirm | Phase::Discarded);
            refuse(dry, Error::NotUndoable(NOTHING_WRITTEN))?;
            kept()?;
            refuse(!status.undo_records, Error::NotUndoable(NO_UNDO_RECORDS))
        }
        Action::Rerun { .. } | Action::EditFailed => {
            let rerun = matches!(action, Action::Rerun { seed: true });
            refuse(kind != TaskKind::Import, Error::NotAnImportTask { rerun })?;
            refuse(running, Error::TaskRunning)?;
            let dry = matches!(phase, Phase::AwaitingConfirm | Phase::Discarded);
            refuse(dry, Error::NotConfirmable(DRY_RUN_FAILURES))?;
            refuse(phase == Phase::Undone, Error::NotUndoable(UNDONE_FAILURES))?;
            kept()
        }
        Action::DeleteData => refuse(running, Error::TaskRunning),
        Action::Discard => {
            let dry_import = kind == TaskKind::Import && status.dry_run;
            refuse(!dry_import, Error::NotConfirmable(NOT_DISCARDABLE))?;
            refuse(running, Error::TaskRunning)?;
            refuse(
                status.confirmed,
                Error::NotConfirmable(CONFIRMED_NOT_DISCARDED),
            )?;
            refuse(
                phase == Phase::Discarded,
                Error::NotConfirmable(DISCARDED_AGAIN),
            )?;
            kept()
        }
        Action::Read(results) => {
            let of_kind = match results {
                Results::File => Ok(()),
                Results::Failures => {
                    refuse(kind.exports(), Error::NotAnImportTask { rerun: false })
                }
                Results::FailedRows => refuse(
                    kind != TaskKind::Import,
                    Error::NotAnImportTask { rerun: false },
                ),
                Results::Records => refuse(!kind.exports(), Error::NotAnExportTask),
            };
            of_kind?;
            kept()
        }
    }
}

/// The actions the API lists with a task: those `check` allows that would do something now.
/// Allowed but pointless ones are left out: a second cancel while one is under way, an undo of
/// an import that wrote nothing, a re-run or edit with no failed rows, a delete of data already
/// deleted, a download before the task ends or of a task with nothing to show.
pub fn actions(status: &Status) -> Vec<&'static str> {
    let phase = Phase::of(status);
    let finished = !matches!(phase, Phase::Running { .. });
    let useful = |action: Action| match action {
        Action::Cancel => !status.cancelled,
        Action::Undo => status.wrote,
        Action::Rerun { .. } | Action::EditFailed => status.unsucceeded,
        Action::DeleteData => !status.pruned(),
        Action::Discard => true,
        Action::Read(_) => finished && (status.kind.exports() || status.unsucceeded),
        Action::Confirm => true,
    };
    Action::LISTED
        .iter()
        .filter(|(_, action)| useful(*action) && check(status, *action).is_ok())
        .map(|(name, _)| *name)
        .collect()
}

// The acts that move a task from one phase to another, each allowed by `check` first.

/// What a re-run runs: corrected rows for every failed row, in order (the original API's
/// `PUT /failed_task`), or the failed rows a filter takes as they now stand (all of them with
/// an empty filter; the others stay failed).
pub enum RerunRows<'a> {
    Given(&'a [u8]),
    Stored(&'a FailedFilter),
}

/// Queues failed rows again, inside the same task: row i of a given body replaces failed row i,
/// stored rows run as they stand. Returns whether anything was queued. The task is claimed
/// first (it shows as running, so a second re-run and any edit are refused), the rows are
/// stored a chunk per transaction, and one last transaction swaps them for the failed rows; a
/// body found bad half-way changes nothing. A filter that takes no row is refused.
pub fn rerun(
    conn: &mut Conn,
    caller: &Caller,
    id: i64,
    rows: RerunRows,
    chunk_rows: usize,
) -> Result<bool> {
    let (task, lines, only, stored) = {
        let tx = crate::db::write_tx(conn)?;
        let task = task_of(&tx, caller, id)?;
        check(&task.status, Action::Rerun { seed: true })?;
        let (lines, only, stored) = match rows {
            RerunRows::Given(_) => (sql::failure_lines(&tx, id)?, None, None),
            RerunRows::Stored(filter) => {
                let picked = crate::db::failed::selected(&tx, id, filter)?;
                if picked.seqs.is_empty() && filter.reason.is_some() {
                    return Err(Error::NotFound(NO_SUCH_REASON));
                }
                let only = filter.reason.is_some().then_some(picked.seqs);
                (picked.lines, only, Some(picked.rows))
            }
        };
        if lines.is_empty() {
            // Nothing to re-run: an empty list is the only body that fits.
            let RerunRows::Given(bytes) = rows else {
                return Ok(false);
            };
            let mut count = 0;
            for_each_element(bytes, |_| {
                count += 1;
                Ok(())
            })?;
            return if count == 0 {
                Ok(false)
            } else {
                Err(Error::RerunLengthMismatch)
            };
        }
        if !sql::claim_for_rerun(&tx, id)? {
            return Err(Error::TaskRunning);
        }
        tx.commit()?;
        (task, lines, only, stored)
    };
    let (bytes, reason) = match (&rows, &stored) {
        (RerunRows::Given(bytes), _) => (*bytes, None),
        (RerunRows::Stored(filter), stored) => (
            stored.as_deref().unwrap_or("[]").as_bytes(),
            filter.reason.as_deref(),
        ),
    };
    let mut writer = TaskWriter::append(conn, id, task.end_seq, chunk_rows);
    let stored = store_rerun(
        &mut writer,
        caller,
        (&lines, only.as_deref()),
        bytes,
        reason,
    );
    if stored.is_err() {
        writer.abandon(false);
        drop(writer);
        let released =
            crate::db::write_tx(conn).and_then(|tx| sql::release_rerun(&tx, id).and(tx.commit()));
        if let Err(e) = released {
            log::error!("task {id}: cannot release a refused re-run: {e}");
        }
    }
    stored.map(|()| true)
}

/// A reason a re-run or a drop names that no failed row has (`404` code 7).
pub const NO_SUCH_REASON: &str = "该原因的失败行";

fn store_rerun(
    writer: &mut TaskWriter,
    caller: &Caller,
    (lines, only): (&[Option<i64>], Option<&[i64]>),
    bytes: &[u8],
    reason: Option<&str>,
) -> Result<()> {
    let id = writer.task_id;
    let mut count = 0usize;
    for_each_element(bytes, |raw| {
        // A row's `line` stays the line of the file it first came from.
        let line = lines.get(count).copied().flatten();
        count += 1;
        if count > lines.len() {
            return Err(Error::RerunLengthMismatch);
        }
        Ok(writer.push(raw, line)?)
    })?;
    if count != lines.len() {
        return Err(Error::RerunLengthMismatch);
    }
    let (rows, conn) = writer.finish()?;
    let tx = crate::db::write_tx(conn)?;
    sql::clear_failures_for_rerun(&tx, id, rows, only)?;
    sql::set_runner(&tx, id, caller.user_id)?;
    let mut detail = json!({"rows": rows});
    if let Some(reason) = reason {
        detail["reason"] = json!(reason);
    }
    journal::record(&tx, caller, Kind::TaskRerun, Some(id), detail)?;
    tx.commit()?;
    Ok(())
}

/// Cancels a queued or running task of the caller's: its worker stops at the next batch
/// boundary and the rows not run end as failed rows (已取消).
pub fn cancel(conn: &Connection, caller: &Caller, id: i64) -> Result<()> {
    let task = task_of(conn, caller, id)?;
    check(&task.status, Action::Cancel)?;
    if !sql::cancel(conn, id)? {
        return Err(Error::TaskFinished);
    }
    journal::record(conn, caller, Kind::TaskCancelled, Some(id), json!({}))
}

/// Runs a finished dry run's stored rows for real, as the same task, with the confirming
/// caller's rights.
pub fn confirm(conn: &Connection, caller: &Caller, id: i64) -> Result<()> {
    let task = task_of(conn, caller, id)?;
    check(&task.status, Action::Confirm)?;
    if let Some(stocktake) = task.stocktake_id {
        crate::stocktake::adjust::check_confirm(conn, stocktake, id)?;
    }
    sql::confirm(conn, id, caller.user_id)?;
    journal::record(conn, caller, Kind::TaskConfirmed, Some(id), json!({}))
}

/// Stores an undo task of a finished import (its own kind, run by the workers); returns its
/// id.
pub fn undo(conn: &Connection, caller: &Caller, id: i64) -> Result<i64> {
    let task = task_of(conn, caller, id)?;
    check(&task.status, Action::Undo)?;
    let (updated, created) = crate::db::changes::undo_size(conn, id)?;
    let owner = (caller.entity()?, caller.user_id);
    let undo_id = sql::create_undo(conn, owner, id, updated + created)?;
    let detail = json!({"undo_task": undo_id});
    journal::record(conn, caller, Kind::TaskUndone, Some(id), detail)?;
    Ok(undo_id)
}

/// Deletes a finished task's stored rows, records and failed rows now, as retention would (the
/// task and its counters stay, marked pruned), recorded in the transaction that marks it.
pub fn delete_data(
    conn: &mut Conn,
    caller: &Caller,
    id: i64,
    readers: &Arc<Readers>,
) -> Result<()> {
    let task = task_of(conn, caller, id)?;
    check(&task.status, Action::DeleteData)?;
    let _removing = readers.remove_waiting(id)?;
    let record =
        |tx: &Connection| journal::record(tx, caller, Kind::TaskDeleted, Some(id), json!({}));
    crate::tasks::prune::prune_task(conn, id, Removed::Deleted, Some(&record))?;
    Ok(())
}

/// Ends a dry run that will not be confirmed: its stored rows and failed rows are deleted (as a
/// delete of its data would) and it is marked discarded, recorded in the transaction that marks
/// it. Nothing it checked was ever written, so there is nothing to undo.
pub fn discard(conn: &mut Conn, caller: &Caller, id: i64, readers: &Arc<Readers>) -> Result<()> {
    let task = task_of(conn, caller, id)?;
    check(&task.status, Action::Discard)?;
    let _removing = readers.remove_waiting(id)?;
    let record =
        |tx: &Connection| journal::record(tx, caller, Kind::TaskDiscarded, Some(id), json!({}));
    if !crate::tasks::prune::prune_task(conn, id, Removed::Discarded, Some(&record))? {
        // Confirmed, or its data deleted, in the meantime: answer as `check` now would.
        let task = task_of(conn, caller, id)?;
        check(&task.status, Action::Discard)?;
        return Err(Error::TaskPruned);
    }
    Ok(())
}

#[cfg(test)]
mod tests;
