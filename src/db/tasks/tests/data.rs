//! Pruning, snapshots, the task list and the codes.

use super::*;

#[test]
fn a_pruned_task_loses_its_data_a_little_at_a_time_and_keeps_its_counters() {
    let w = world();
    let finished = |finish_time: &str| {
        fixture::insert_task(
            &w.conn,
            &TaskRow {
                finish: Finish::Failed,
                number_need: 3,
                number_succeed: 1,
                number_failed: 2,
                next_seq: 3,
                finish_time: Some(finish_time.into()),
                ..TaskRow::new(w.company, w.liusn, TaskKind::Import)
            },
        )
    };
    let old = finished("2024-01-02 00:00:00");
    let older = finished("2024-01-01 00:00:00");
    let recent = finished("2024-03-01 00:00:00");
    let running =
        fixture::insert_task(&w.conn, &TaskRow::new(w.company, w.liusn, TaskKind::Import));
    for id in [old, recent] {
        for seq in 0..3 {
            insert_failure(&w.conn, id, seq, None, "{}", "对应部门不存在").unwrap();
        }
        w.conn
            .execute_batch(&format!(
                "INSERT INTO task_chunk (task_id, first_seq, row_count, rows) VALUES ({id}, 3, 1, '[1]');
                 INSERT INTO export_chunk (task_id, first_seq, snapshots) VALUES ({id}, 0, '[]');
                 INSERT INTO task_created (task_id, first_id, last_id) VALUES ({id}, 1, 2);
                 INSERT INTO task_change (task_id, asset_id, before, before_revision, revision,
                     id_mark) VALUES ({id}, 1, '{{}}', 0, 1, 2);"
            ))
            .unwrap();
        crate::db::changes::record_dry_item(&w.conn, id, w.cst, "机柜", 0).unwrap();
    }
    assert_eq!(
        finished_before(&w.conn, "2024-02-01 00:00:00").unwrap(),
        [old, older]
    );
    // At most `limit` rows of one table a call, until nothing is left.
    let mut calls = Vec::new();
    loop {
        let deleted = delete_results(&w.conn, old, 2).unwrap();
        if deleted == 0 {
            break;
        }
        calls.push(deleted);
    }
    // Failures 2 + 1, then one row of each other table.
    assert_eq!(calls, [2, 1, 1, 1, 1, 1, 1]);
    mark_pruned(&w.conn, old, Removed::Retention).unwrap();
    let view = w.view(old);
    assert!(view.pruned);
    assert_eq!(
        (view.number_succeed, view.number_failed, view.finish),
        (1, 2, 2)
    );
    assert_eq!(
        finished_before(&w.conn, "2024-02-01 00:00:00").unwrap(),
        [older]
    );
    // The other task keeps everything; a running task is never due.
    assert_eq!(failure_lines(&w.conn, recent).unwrap().len(), 3);
    assert_eq!(w.chunks(recent), 1);
    assert!(!finished_before(&w.conn, "9999-01-01 00:00:00")
        .unwrap()
        .contains(&running));
}

#[test]
fn export_snapshots_are_stored_one_row_per_batch() {
    let w = world();
    let id = fixture::insert_task(&w.conn, &TaskRow::new(w.company, w.liusn, TaskKind::Export));
    let mut batch = SnapshotWriter::new(id, 4);
    batch.push(&serde_json::json!({"id": 1})).unwrap();
    batch
        .push(&serde_json::json!({"id": 2, "name": "椅子"}))
        .unwrap();
    batch.finish(&w.conn).unwrap();
    // A batch of no succeeded row stores nothing.
    SnapshotWriter::new(id, 6).finish(&w.conn).unwrap();
    let stored: Vec<(i64, String)> = w
        .conn
        .prepare("SELECT first_seq, snapshots FROM export_chunk WHERE task_id = ?1")
        .unwrap()
        .query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        stored,
        [(4, r#"[{"id":1},{"id":2,"name":"椅子"}]"#.to_owned())]
    );
}

#[test]
fn the_task_list_is_paged_newest_first_and_filtered() {
    let w = world();
    let task = |creator: i64, kind: TaskKind, finish: Finish, day: &str| {
        fixture::insert_task(
            &w.conn,
            &TaskRow {
                finish,
                create_time: format!("2024-05-{day} 09:30:00"),
                ..TaskRow::new(w.company, creator, kind)
            },
        )
    };
    let a = task(w.liusn, TaskKind::Import, Finish::Succeeded, "01");
    let b = task(w.liusn, TaskKind::Export, Finish::Failed, "02");
    let c = task(w.zhao, TaskKind::Import, Finish::Running, "03");
    let d = task(w.qian, TaskKind::Import, Finish::Failed, "04");
    let e = task(w.sysadmin, TaskKind::Export, Finish::Succeeded, "05");
    let f = task(w.liusn, TaskKind::Undo, Finish::Running, "06");
    // Another company's task is in no list of this one.
    fixture::insert_task(&w.conn, &TaskRow::new(w.other, w.wangwu, TaskKind::Import));

    let none = TaskFilter::default();
    assert_eq!(w.page(Seen::All, &none, 1, 10), (6, vec![f, e, d, c, b, a]));
    assert_eq!(w.page(Seen::All, &none, 2, 4), (6, vec![b, a]));
    assert_eq!(w.page(Seen::All, &none, 3, 4), (6, vec![]));
    let only = |filter: TaskFilter| w.page(Seen::All, &filter, 1, 10);
    assert_eq!(
        only(TaskFilter {
            kind: Some(TaskKind::Import),
            ..TaskFilter::default()
        }),
        (3, vec![d, c, a])
    );
    assert_eq!(
        only(TaskFilter {
            finish: Some(Finish::Failed),
            ..TaskFilter::default()
        }),
        (2, vec![d, b])
    );
    assert_eq!(
        only(TaskFilter {
            creator: Some("LIUSN".into()),
            ..TaskFilter::default()
        }),
        (3, vec![f, b, a])
    );
    assert_eq!(
        only(TaskFilter {
            since: Some("2024-05-04".into()),
            ..TaskFilter::default()
        }),
        (3, vec![f, e, d])
    );
    assert_eq!(
        only(TaskFilter {
            since: Some("2024-05-05 09:30:01".into()),
            ..TaskFilter::default()
        }),
        (1, vec![f])
    );
    assert_eq!(
        only(TaskFilter {
            kind: Some(TaskKind::Import),
            finish: Some(Finish::Failed),
            creator: Some("qian".into()),
            since: Some("2024-05-01".into()),
        }),
        (1, vec![d])
    );

    // liusn sees his own and those of managers below CST (zhao), not 财务部's or the admin's;
    // zhao sees only his own.
    let liusn = Seen::Manager(w.liusn, w.cst);
    assert_eq!(w.page(liusn, &none, 1, 10), (4, vec![f, c, b, a]));
    let zhao = Seen::Manager(w.zhao, w.software);
    assert_eq!(w.page(zhao, &none, 1, 10), (1, vec![c]));
    for (id, seen) in [(a, true), (c, true), (d, false), (e, false)] {
        assert_eq!(task_seen(&w.conn, id, liusn).unwrap(), seen, "task {id}");
    }
    // A task liusn re-ran is his to see too.
    set_runner(&w.conn, d, w.liusn).unwrap();
    assert!(task_seen(&w.conn, d, liusn).unwrap());
    assert_eq!(w.page(liusn, &none, 1, 10).0, 5);

    // The unpaged list: oldest first.
    let all: Vec<i64> = tasks_of_entity(&w.conn, w.company, Seen::All)
        .unwrap()
        .iter()
        .map(|t| t.id)
        .collect();
    assert_eq!(all, [a, b, c, d, e, f]);
    // A task of another company is not found by id either.
    assert!(task_view(&w.conn, w.other, a).unwrap().is_none());
}

#[test]
fn kinds_and_finishes_keep_their_codes() {
    let kinds = [
        TaskKind::Export,
        TaskKind::Import,
        TaskKind::Undo,
        TaskKind::Approval,
        TaskKind::RequestUndo,
        TaskKind::Count,
        TaskKind::Label,
        TaskKind::Freeze,
    ];
    for kind in kinds {
        assert_eq!(TaskKind::from_code(kind.code()), Some(kind));
    }
    assert_eq!(kinds.map(TaskKind::code), [0, 1, 2, 3, 4, 5, 6, 7]);
    assert_eq!(TaskKind::from_code(8), None);
    assert_eq!(
        kinds.map(TaskKind::of_request),
        [false, false, false, true, true, false, false, false]
    );
    assert_eq!(
        kinds.map(TaskKind::exports),
        [true, false, false, false, false, false, true, false]
    );
    for finish in [Finish::Running, Finish::Succeeded, Finish::Failed] {
        assert_eq!(Finish::from_code(finish.code()), Some(finish));
    }
    assert_eq!(Finish::from_code(-1), None);
}
