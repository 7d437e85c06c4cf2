use super::*;

/// A finished import that created something, with failed rows, data kept.
fn finished_import() -> Status {
    Status {
        kind: TaskKind::Import,
        finish: Finish::Failed,
        cancelled: false,
        removed: None,
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
                removed: Some(Removed::Retention),
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
                removed: Some(Removed::Retention),
                ..dry
            },
        ),
        (
            "dry run discarded",
            Status {
                removed: Some(Removed::Discarded),
                ..dry
            },
        ),
        (
            "dry run deleted",
            Status {
                removed: Some(Removed::Deleted),
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
                removed: Some(Removed::Retention),
                ..export
            },
        ),
        (
            "undo running",
            Status { ..running }.with_kind(TaskKind::Undo),
        ),
        ("undo finished", undo),
        (
            "approval running",
            Status { ..running }.with_kind(TaskKind::Approval),
        ),
        (
            "approval finished",
            Status { ..undo }.with_kind(TaskKind::Approval),
        ),
        (
            "request undo running",
            Status { ..running }.with_kind(TaskKind::RequestUndo),
        ),
        (
            "request undo finished",
            Status { ..undo }.with_kind(TaskKind::RequestUndo),
        ),
        (
            "count running",
            Status { ..running }.with_kind(TaskKind::Count),
        ),
        (
            "count finished",
            Status { ..undo }.with_kind(TaskKind::Count),
        ),
        (
            "labels running",
            Status { ..running }.with_kind(TaskKind::Label),
        ),
        ("labels finished", export.with_kind(TaskKind::Label)),
        (
            "list freeze running",
            Status { ..running }.with_kind(TaskKind::Freeze),
        ),
        (
            "list freeze finished",
            Status { ..undo }.with_kind(TaskKind::Freeze),
        ),
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

const ACTIONS: [(&str, Action); 12] = [
    ("cancel", Action::Cancel),
    ("confirm", Action::Confirm),
    ("undo", Action::Undo),
    ("rerun (seed)", Action::Rerun { seed: true }),
    ("rerun", Action::Rerun { seed: false }),
    ("edit failed", Action::EditFailed),
    ("delete data", Action::DeleteData),
    ("discard", Action::Discard),
    ("read file", Action::Read(Results::File)),
    ("read failures", Action::Read(Results::Failures)),
    ("read failed rows", Action::Read(Results::FailedRows)),
    ("read records", Action::Read(Results::Records)),
];

/// The code each phase answers each action with (0: allowed), as docs/api.md documents
/// them: 8 not an import task, 4 not an export task, 9 running, 12 finished, 13 data
/// deleted, 14 not confirmable, 15 not undoable (an approval is undone at its request), 20 a
/// rule (an undo is not cancelled).
#[rustfmt::skip]
const MATRIX: [(&str, [i64; 12]); 30] = [
    //                                 cancel conf undo  rr*  rr  edit  del disc file fail rows recs
    ("import running",                 [0,    14,  9,    9,   9,  9,    9,  14,  0,   0,   0,   4]),
    ("import cancelling",              [0,    14,  9,    9,   9,  9,    9,  14,  0,   0,   0,   4]),
    ("import finished",                [12,   14,  0,    0,   0,  0,    0,  14,  0,   0,   0,   4]),
    ("import finished, all succeeded", [12,   14,  0,    0,   0,  0,    0,  14,  0,   0,   0,   4]),
    ("import pruned",                  [12,   14,  13,   13,  13, 13,   0,  14,  13,  13,  13,  4]),
    ("import undone",                  [12,   14,  15,   15,  15, 15,   0,  14,  0,   0,   0,   4]),
    ("import without undo records",    [12,   14,  15,   0,   0,  0,    0,  14,  0,   0,   0,   4]),
    ("dry run awaiting confirm",       [12,   0,   15,   14,  14, 14,   0,  0,   0,   0,   0,   4]),
    ("dry run cancelled",              [12,   14,  15,   14,  14, 14,   0,  0,   0,   0,   0,   4]),
    ("dry run missing rows",           [12,   14,  15,   14,  14, 14,   0,  0,   0,   0,   0,   4]),
    ("dry run pruned",                 [12,   13,  15,   14,  14, 14,   0,  13,  13,  13,  13,  4]),
    ("dry run discarded",              [12,   14,  15,   14,  14, 14,   0,  14,  13,  13,  13,  4]),
    ("dry run deleted",                [12,   13,  15,   14,  14, 14,   0,  13,  13,  13,  13,  4]),
    ("dry run confirmed, running",     [0,    9,   9,    9,   9,  9,    9,  9,   0,   0,   0,   4]),
    ("dry run confirmed, finished",    [12,   14,  0,    0,   0,  0,    0,  14,  0,   0,   0,   4]),
    ("export running",                 [0,    14,  15,   8,   8,  8,    9,  14,  0,   8,   8,   0]),
    ("export finished",                [12,   14,  15,   8,   8,  8,    0,  14,  0,   8,   8,   0]),
    ("export pruned",                  [12,   14,  15,   8,   8,  8,    0,  14,  13,  8,   8,   13]),
    ("undo running",                   [20,   14,  15,   8,   8,  8,    9,  14,  0,   0,   8,   4]),
    ("undo finished",                  [20,   14,  15,   8,   8,  8,    0,  14,  0,   0,   8,   4]),
    ("approval running",               [0,    14,  15,   8,   8,  8,    9,  14,  0,   0,   8,   4]),
    ("approval finished",              [12,   14,  15,   8,   8,  8,    0,  14,  0,   0,   8,   4]),
    ("request undo running",           [20,   14,  15,   8,   8,  8,    9,  14,  0,   0,   8,   4]),
    ("request undo finished",          [20,   14,  15,   8,   8,  8,    0,  14,  0,   0,   8,   4]),
    ("count running",                  [0,    14,  15,   8,   8,  8,    9,  14,  0,   0,   8,   4]),
    ("count finished",                 [12,   14,  15,   8,   8,  8,    0,  14,  0,   0,   8,   4]),
    ("labels running",                 [0,    14,  15,   8,   8,  8,    9,  14,  0,   8,   8,   0]),
    ("labels finished",                [12,   14,  15,   8,   8,  8,    0,  14,  0,   8,   8,   0]),
    ("list freeze running",            [20,   14,  15,   8,   8,  8,    9,  14,  0,   0,   8,   4]),
    ("list freeze finished",           [20,   14,  15,   8,   8,  8,    0,  14,  0,   0,   8,   4]),
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
    let discarded = Status {
        removed: Some(Removed::Discarded),
        ..dry
    };
    assert_eq!(phase(discarded), Phase::Discarded);
    let deleted = Status {
        removed: Some(Removed::Deleted),
        ..discarded
    };
    assert_eq!(phase(deleted), Phase::AwaitingConfirm);
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
            &["confirm", "discard", "delete_data", "download"],
        ),
        ("dry run cancelled", &["discard", "delete_data", "download"]),
        (
            "dry run missing rows",
            &["discard", "delete_data", "download"],
        ),
        ("dry run pruned", &[]),
        ("dry run discarded", &[]),
        ("dry run deleted", &[]),
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
        ("approval running", &["cancel"]),
        ("approval finished", &["delete_data", "download"]),
        ("request undo running", &[]),
        ("request undo finished", &["delete_data", "download"]),
        ("count running", &["cancel"]),
        ("count finished", &["delete_data", "download"]),
        ("labels running", &["cancel"]),
        ("labels finished", &["delete_data", "download"]),
        ("list freeze running", &[]),
        ("list freeze finished", &["delete_data", "download"]),
    ];
    for ((name, got), (expected_name, want)) in listed.iter().zip(&expected) {
        assert_eq!(name, expected_name);
        assert_eq!(got, want, "{name}");
    }
    assert_eq!(listed.len(), expected.len());
}
