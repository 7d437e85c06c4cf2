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
//! ```
//! Orthogonal to the phase, a task's stored data may be deleted (`pruned`, by retention or on
//! request): its counters stay, its rows, records and failed rows are gone.

use crate::db::tasks::{Finish, Status, TaskKind};
use crate::error::{Error, Result};

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
            Phase::AwaitingConfirm
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
    Read(Results),
}

impl Action {
    /// The actions a task lists, by the names the API shows.
    pub const LISTED: [(&'static str, Action); 7] = [
        ("confirm", Action::Confirm),
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

/// Whether `action` is allowed on a task with `status`; if not, the error that refuses it.
/// The order of the checks is the order of the answers: what the task is, then whether it
/// runs, then its phase, then whether its data is kept, then what its data holds.
pub fn check(status: &Status, action: Action) -> Result<()> {
    let phase = Phase::of(status);
    let running = matches!(phase, Phase::Running { .. });
    let kind = status.kind;
    let refuse = |refused: bool, error: Error| if refused { Err(error) } else { Ok(()) };
    let kept = || refuse(status.pruned, Error::TaskPruned);
    match action {
        Action::Cancel => {
            refuse(
                kind == TaskKind::Undo,
                Error::Rule(UNDO_NOT_CANCELLED.into()),
            )?;
            refuse(!running, Error::TaskFinished)
        }
        Action::Confirm => {
            let dry_import = kind == TaskKind::Import && status.dry_run;
            refuse(!dry_import, Error::NotConfirmable(NOT_A_DRY_RUN))?;
            refuse(running, Error::TaskRunning)?;
            refuse(status.confirmed, Error::NotConfirmable(CONFIRMED))?;
            kept()?;
            let complete = !status.cancelled && status.rows_complete;
            refuse(!complete, Error::NotConfirmable(INCOMPLETE))
        }
        Action::Undo => {
            refuse(
                kind != TaskKind::Import,
                Error::NotUndoable(UNDO_IMPORTS_ONLY),
            )?;
            refuse(running, Error::TaskRunning)?;
            refuse(phase == Phase::Undone, Error::NotUndoable(UNDONE))?;
            let dry = phase == Phase::AwaitingConfirm;
            refuse(dry, Error::NotUndoable(NOTHING_WRITTEN))?;
            kept()?;
            refuse(!status.undo_records, Error::NotUndoable(NO_UNDO_RECORDS))
        }
        Action::Rerun { .. } | Action::EditFailed => {
            let rerun = matches!(action, Action::Rerun { seed: true });
            refuse(kind != TaskKind::Import, Error::NotAnImportTask { rerun })?;
            refuse(running, Error::TaskRunning)?;
            let dry = phase == Phase::AwaitingConfirm;
            refuse(dry, Error::NotConfirmable(DRY_RUN_FAILURES))?;
            refuse(phase == Phase::Undone, Error::NotUndoable(UNDONE_FAILURES))?;
            kept()
        }
        Action::DeleteData => refuse(running, Error::TaskRunning),
        Action::Read(results) => {
            let of_kind = match results {
                Results::File => Ok(()),
                Results::Failures => refuse(
                    kind == TaskKind::Export,
                    Error::NotAnImportTask { rerun: false },
                ),
                Results::FailedRows => refuse(
                    kind != TaskKind::Import,
                    Error::NotAnImportTask { rerun: false },
                ),
                Results::Records => refuse(kind != TaskKind::Export, Error::NotAnExportTask),
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
        Action::DeleteData => !status.pruned,
        Action::Read(_) => finished && (status.kind == TaskKind::Export || status.unsucceeded),
        Action::Confirm => true,
    };
    Action::LISTED
        .iter()
        .filter(|(_, action)| useful(*action) && check(status, *action).is_ok())
        .map(|(name, _)| *name)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A finished import that created something, with failed rows, data kept.
    fn finished_import() -> Status {
        Status {
            kind: TaskKind::Import,
            finish: Finish::Failed,
            cancelled: false,
            pruned: false,
            dry_run: false,
            confirmed: false,
            undone: false,
            rows_complete: true,
            undo_records: true,
            wrote: true,
            unsucceeded: true,
        }
    }

    /// Every phase (and the data's state) a task can be in, by name.
    fn phases() -> Vec<(&'static str, Status)> {
        let import = finished_import();
        let running = Status {
            finish: Finish::Running,
            ..import
        };
        let dry = Status {
            dry_run: true,
            ..import
        };
        let export = Status {
            kind: TaskKind::Export,
            wrote: false,
            ..import
        };
        let undo = Status {
            kind: TaskKind::Undo,
            wrote: false,
            ..import
        };
        vec![
            ("import running", running),
            (
                "import cancelling",
                Status {
                    cancelled: true,
                    ..running
                },
            ),
            ("import finished", import),
            (
                "import finished, all succeeded",
                Status {
                    finish: Finish::Succeeded,
                    unsucceeded: false,
                    ..import
                },
            ),
            (
                "import pruned",
                Status {
                    pruned: true,
                    ..import
                },
            ),
            (
                "import undone",
                Status {
                    undone: true,
                    ..import
                },
            ),
            (
                "import without undo records",
                Status {
                    undo_records: false,
                    ..import
                },
            ),
            ("dry run awaiting confirm", dry),
            (
                "dry run cancelled",
                Status {
                    cancelled: true,
                    ..dry
                },
            ),
            (
                "dry run missing rows",
                Status {
                    rows_complete: false,
                    ..dry
                },
            ),
            (
                "dry run pruned",
                Status {
                    pruned: true,
                    ..dry
                },
            ),
            (
                "dry run confirmed, running",
                Status {
                    dry_run: true,
                    confirmed: true,
                    ..running
                },
            ),
            (
                "dry run confirmed, finished",
                Status {
                    confirmed: true,
                    ..dry
                },
            ),
            (
                "export running",
                Status { ..running }.with_kind(TaskKind::Export),
            ),
            ("export finished", export),
            (
                "export pruned",
                Status {
                    pruned: true,
                    ..export
                },
            ),
            (
                "undo running",
                Status { ..running }.with_kind(TaskKind::Undo),
            ),
            ("undo finished", undo),
        ]
    }

    impl Status {
        fn with_kind(self, kind: TaskKind) -> Status {
            Status {
                kind,
                wrote: kind == TaskKind::Import,
                ..self
            }
        }
    }

    const ACTIONS: [(&str, Action); 11] = [
        ("cancel", Action::Cancel),
        ("confirm", Action::Confirm),
        ("undo", Action::Undo),
        ("rerun (seed)", Action::Rerun { seed: true }),
        ("rerun", Action::Rerun { seed: false }),
        ("edit failed", Action::EditFailed),
        ("delete data", Action::DeleteData),
        ("read file", Action::Read(Results::File)),
        ("read failures", Action::Read(Results::Failures)),
        ("read failed rows", Action::Read(Results::FailedRows)),
        ("read records", Action::Read(Results::Records)),
    ];

    /// The code each phase answers each action with (0: allowed), as docs/api.md documents
    /// them: 8 not an import task, 4 not an export task, 9 running, 12 finished, 13 data
    /// deleted, 14 not confirmable, 15 not undoable, 20 a rule (an undo is not cancelled).
    #[rustfmt::skip]
    const MATRIX: [(&str, [i64; 11]); 18] = [
        //                                 cancel conf undo  rr*  rr  edit  del file fail rows recs
        ("import running",                 [0,    14,  9,    9,   9,  9,    9,  0,   0,   0,   4]),
        ("import cancelling",              [0,    14,  9,    9,   9,  9,    9,  0,   0,   0,   4]),
        ("import finished",                [12,   14,  0,    0,   0,  0,    0,  0,   0,   0,   4]),
        ("import finished, all succeeded", [12,   14,  0,    0,   0,  0,    0,  0,   0,   0,   4]),
        ("import pruned",                  [12,   14,  13,   13,  13, 13,   0,  13,  13,  13,  4]),
        ("import undone",                  [12,   14,  15,   15,  15, 15,   0,  0,   0,   0,   4]),
        ("import without undo records",    [12,   14,  15,   0,   0,  0,    0,  0,   0,   0,   4]),
        ("dry run awaiting confirm",       [12,   0,   15,   14,  14, 14,   0,  0,   0,   0,   4]),
        ("dry run cancelled",              [12,   14,  15,   14,  14, 14,   0,  0,   0,   0,   4]),
        ("dry run missing rows",           [12,   14,  15,   14,  14, 14,   0,  0,   0,   0,   4]),
        ("dry run pruned",                 [12,   13,  15,   14,  14, 14,   0,  13,  13,  13,  4]),
        ("dry run confirmed, running",     [0,    9,   9,    9,   9,  9,    9,  0,   0,   0,   4]),
        ("dry run confirmed, finished",    [12,   14,  0,    0,   0,  0,    0,  0,   0,   0,   4]),
        ("export running",                 [0,    14,  15,   8,   8,  8,    9,  0,   8,   8,   0]),
        ("export finished",                [12,   14,  15,   8,   8,  8,    0,  0,   8,   8,   0]),
        ("export pruned",                  [12,   14,  15,   8,   8,  8,    0,  13,  8,   8,   13]),
        ("undo running",                   [20,   14,  15,   8,   8,  8,    9,  0,   0,   8,   4]),
        ("undo finished",                  [20,   14,  15,   8,   8,  8,    0,  0,   0,   8,   4]),
    ];

    fn code(result: Result<()>) -> i64 {
        match result {
            Ok(()) => 0,
            Err(e) => e.code(),
        }
    }

    #[test]
    fn every_phase_answers_every_action_with_its_documented_code() {
        let phases = phases();
        assert_eq!(phases.len(), MATRIX.len());
        for ((name, status), (row_name, codes)) in phases.iter().zip(MATRIX) {
            assert_eq!(*name, row_name, "the matrix lists the phases in order");
            for ((action_name, action), expected) in ACTIONS.iter().zip(codes) {
                assert_eq!(
                    code(check(status, *action)),
                    expected,
                    "{name} × {action_name}"
                );
            }
        }
    }

    #[test]
    fn the_seed_rerun_of_an_export_keeps_its_own_wording() {
        let export = Status {
            kind: TaskKind::Export,
            ..finished_import()
        };
        let seed = check(&export, Action::Rerun { seed: true }).unwrap_err();
        let screen = check(&export, Action::Rerun { seed: false }).unwrap_err();
        assert_eq!(seed, Error::NotAnImportTask { rerun: true });
        assert_eq!(screen, Error::NotAnImportTask { rerun: false });
    }

    #[test]
    fn phases_follow_the_status() {
        let import = finished_import();
        let phase = |s: Status| Phase::of(&s);
        assert_eq!(phase(import), Phase::Finished);
        let running = Status {
            finish: Finish::Running,
            ..import
        };
        assert_eq!(phase(running), Phase::Running { cancelling: false });
        let dry = Status {
            dry_run: true,
            ..import
        };
        assert_eq!(phase(dry), Phase::AwaitingConfirm);
        let confirmed = Status {
            confirmed: true,
            ..dry
        };
        assert_eq!(phase(confirmed), Phase::Finished);
        let undone = Status {
            undone: true,
            ..import
        };
        assert_eq!(phase(undone), Phase::Undone);
    }

    /// The listed actions, per phase: what the page shows as buttons.
    #[test]
    fn each_phase_lists_the_actions_that_would_do_something() {
        let listed: Vec<(&str, Vec<&str>)> = phases()
            .into_iter()
            .map(|(name, status)| (name, actions(&status)))
            .collect();
        let expected: Vec<(&str, &[&str])> = vec![
            ("import running", &["cancel"]),
            ("import cancelling", &[]),
            (
                "import finished",
                &["undo", "rerun", "edit_failed", "delete_data", "download"],
            ),
            ("import finished, all succeeded", &["undo", "delete_data"]),
            ("import pruned", &[]),
            ("import undone", &["delete_data", "download"]),
            (
                "import without undo records",
                &["rerun", "edit_failed", "delete_data", "download"],
            ),
            (
                "dry run awaiting confirm",
                &["confirm", "delete_data", "download"],
            ),
            ("dry run cancelled", &["delete_data", "download"]),
            ("dry run missing rows", &["delete_data", "download"]),
            ("dry run pruned", &[]),
            ("dry run confirmed, running", &["cancel"]),
            (
                "dry run confirmed, finished",
                &["undo", "rerun", "edit_failed", "delete_data", "download"],
            ),
            ("export running", &["cancel"]),
            ("export finished", &["delete_data", "download"]),
            ("export pruned", &[]),
            ("undo running", &[]),
            ("undo finished", &["delete_data", "download"]),
        ];
        for ((name, got), (expected_name, want)) in listed.iter().zip(&expected) {
            assert_eq!(name, expected_name);
            assert_eq!(got, want, "{name}");
        }
        assert_eq!(listed.len(), expected.len());
    }
}
