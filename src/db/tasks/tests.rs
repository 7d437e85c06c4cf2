//! A task's life in the database, on an in-memory one: stored in chunks and made visible,
//! advanced batch by batch to its end, failed, cancelled, claimed for a re-run, confirmed after a
//! dry run, undone, pruned; and the lists of tasks, paged and filtered, as each caller sees them.

use super::*;
use crate::auth::Role;
use crate::db::fixture::{self, TaskRow};
use crate::db::Page;

/// 示例企业 with CST, 软件组 below it and 财务部 beside it, an asset manager in each and a
/// system admin; 另一企业 with a manager of its own.
struct World {
    conn: Connection,
    company: i64,
    cst: i64,
    software: i64,
    other: i64,
    sysadmin: i64,
    liusn: i64,
    /// Manager of 软件组 (within liusn's subtree) and of 财务部 (outside it).
    zhao: i64,
    qian: i64,
    wangwu: i64,
}

fn world() -> World {
    let conn = fixture::db();
    let company = fixture::insert_entity(&conn, "示例企业");
    let cst = fixture::insert_department(&conn, company, None, "CST");
    let software = fixture::insert_department(&conn, company, Some(cst), "软件组");
    let finance = fixture::insert_department(&conn, company, None, "财务部");
    let sysadmin = fixture::insert_user(&conn, "sysadmin", Role::Admin, Some(company), None);
    let liusn = fixture::insert_user(&conn, "liusn", Role::Manager, Some(company), Some(cst));
    let zhao = fixture::insert_user(&conn, "zhao", Role::Manager, Some(company), Some(software));
    let qian = fixture::insert_user(&conn, "qian", Role::Manager, Some(company), Some(finance));
    let other = fixture::insert_entity(&conn, "另一企业");
    let sales = fixture::insert_department(&conn, other, None, "销售部");
    let wangwu = fixture::insert_user(&conn, "wangwu", Role::Manager, Some(other), Some(sales));
    World {
        conn,
        company,
        cst,
        software,
        other,
        sysadmin,
        liusn,
        zhao,
        qian,
        wangwu,
    }
}

impl World {
    fn state(&self, id: i64) -> TaskState {
        task_state(&self.conn, id).unwrap().expect("a stored task")
    }

    fn view(&self, id: i64) -> TaskView {
        task_view(&self.conn, self.company, id)
            .unwrap()
            .expect("a task of the company")
    }

    /// An import of `rows` rows stored through the writer, chunks of 2, as liusn.
    fn stored_import(&mut self, rows: usize) -> i64 {
        let company = (self.company, self.liusn);
        let mut writer = TaskWriter::create(
            &mut self.conn,
            company,
            TaskKind::Import,
            &NewTask::default(),
            2,
        )
        .unwrap();
        for i in 0..rows {
            writer
                .push(&format!("{{\"name\":\"行{i}\"}}"), None)
                .unwrap();
        }
        writer.finish_new().unwrap();
        writer.task_id
    }

    fn count(&self, sql: &str, id: i64) -> i64 {
        self.conn.query_row(sql, [id], |r| r.get(0)).unwrap()
    }

    fn chunks(&self, id: i64) -> i64 {
        self.count("SELECT count(*) FROM task_chunk WHERE task_id = ?1", id)
    }

    /// The ids of a page of the tasks `seen` sees, and the total.
    fn page(&self, seen: Seen, filter: &TaskFilter, page: i64, size: i64) -> (i64, Vec<i64>) {
        let (total, tasks) =
            tasks_page(&self.conn, self.company, seen, filter, Page { page, size }).unwrap();
        (total, tasks.iter().map(|t| t.id).collect())
    }
}

#[test]
fn a_new_task_is_stored_in_chunks_and_seen_only_once_complete() {
    let mut w = world();
    let new = NewTask {
        file_name: Some("资产.csv".into()),
        dry_run: false,
        file_hash: Some("ab12".into()),
    };
    let mut writer =
        TaskWriter::create(&mut w.conn, (w.company, w.liusn), TaskKind::Import, &new, 2).unwrap();
    let id = writer.task_id;
    for (i, line) in [2, 3, 5, 6, 7].into_iter().enumerate() {
        writer.push(&format!("{{\"n\":{i}}}"), Some(line)).unwrap();
    }
    writer.finish_new().unwrap();
    drop(writer);
    let state = w.state(id);
    assert_eq!(
        (state.kind, state.finish, state.next_seq, state.end_seq),
        (TaskKind::Import, Finish::Running, 0, 5)
    );
    assert_eq!((state.creator_id, state.runner_id), (w.liusn, w.liusn));
    assert_eq!(stored_rows(&w.conn, id).unwrap(), 5);
    assert_eq!(unfinished_tasks(&w.conn).unwrap(), [id]);
    let first = chunk_at(&w.conn, id, 1).unwrap().unwrap();
    assert_eq!(
        (first.first_seq, first.row_count, first.rows.as_str()),
        (0, 2, r#"[{"n":0},{"n":1}]"#)
    );
    assert_eq!(first.lines.as_deref(), Some("[2,3]"));
    let last = chunk_at(&w.conn, id, 4).unwrap().unwrap();
    assert_eq!((last.first_seq, last.row_count), (4, 1));
    let view = w.view(id);
    assert_eq!(
        (
            view.number_need,
            view.kind,
            view.port_type,
            view.file_name.as_deref()
        ),
        (5, "import", 1, Some("资产.csv"))
    );
    assert_eq!(view.manager, "liusn");
    assert_eq!(
        same_upload_since(&w.conn, w.company, ("资产.csv", "ab12"), "2000-01-01").unwrap(),
        Some((id, view.create_time.clone()))
    );
    for other in [("资产.csv", "cd34"), ("其他.csv", "ab12")] {
        assert_eq!(
            same_upload_since(&w.conn, w.company, other, "2000-01-01").unwrap(),
            None
        );
    }
    assert_eq!(
        same_upload_since(&w.conn, w.company, ("资产.csv", "ab12"), "9999-01-01").unwrap(),
        None
    );
    // The worker takes chunks away as it runs them.
    delete_chunk(&w.conn, id, 0).unwrap();
    assert_eq!(stored_rows(&w.conn, id).unwrap(), 3);
    delete_chunks(&w.conn, id).unwrap();
    assert_eq!(w.chunks(id), 0);
}

#[test]
fn a_task_half_stored_is_invisible_and_taken_back() {
    let mut w = world();
    let mut writer = TaskWriter::create(
        &mut w.conn,
        (w.company, w.liusn),
        TaskKind::Import,
        &NewTask::default(),
        2,
    )
    .unwrap();
    let id = writer.task_id;
    for i in 0..3 {
        writer.push(&format!("{i}"), None).unwrap();
    }
    writer.abandon(true);
    drop(writer);
    assert!(task_state(&w.conn, id).unwrap().is_none());
    assert_eq!(w.chunks(id), 0);
    assert_eq!(w.count("SELECT count(*) FROM task WHERE id = ?1", id), 0);

    // A stopped process leaves one half-stored (never visible: no list, no worker) ...
    let mut writer = TaskWriter::create(
        &mut w.conn,
        (w.company, w.liusn),
        TaskKind::Import,
        &NewTask::default(),
        1,
    )
    .unwrap();
    let half = writer.task_id;
    writer.push("1", None).unwrap();
    drop(writer);
    assert!(task_state(&w.conn, half).unwrap().is_none());
    assert!(unfinished_tasks(&w.conn).unwrap().is_empty());
    assert_eq!(
        w.page(Seen::All, &TaskFilter::default(), 1, 10),
        (0, vec![])
    );
    assert!(!task_seen(&w.conn, half, Seen::All).unwrap());
    assert!(!cancel(&w.conn, half).unwrap());
    // ... and a re-run chunk past a stored task's end; the start deletes both.
    let whole = w.stored_import(3);
    let mut rerun = TaskWriter::append(&mut w.conn, whole, 3, 10);
    rerun.push("9", None).unwrap();
    rerun.finish().unwrap();
    drop(rerun);
    assert_eq!(w.chunks(whole), 3);
    forget_unstored(&w.conn).unwrap();
    assert_eq!(w.count("SELECT count(*) FROM task WHERE id = ?1", half), 0);
    assert_eq!(w.chunks(half), 0);
    assert_eq!(w.chunks(whole), 2);
    assert_eq!(stored_rows(&w.conn, whole).unwrap(), 3);

    // A re-run given up half-way takes back only its own chunks.
    let mut rerun = TaskWriter::append(&mut w.conn, whole, 3, 1);
    rerun.push("9", None).unwrap();
    rerun.abandon(false);
    drop(rerun);
    assert_eq!(stored_rows(&w.conn, whole).unwrap(), 3);
    assert!(task_state(&w.conn, whole).unwrap().is_some());
}

#[test]
fn an_empty_task_is_done_at_once() {
    let mut w = world();
    let id = w.stored_import(0);
    let state = w.state(id);
    assert_eq!((state.finish, state.end_seq), (Finish::Succeeded, 0));
    let view = w.view(id);
    assert_eq!(view.finish_time.as_deref(), Some(view.create_time.as_str()));
    assert!(unfinished_tasks(&w.conn).unwrap().is_empty());
}

#[test]
fn batches_move_the_checkpoint_and_the_last_one_ends_the_task() {
    let mut w = world();
    let id = w.stored_import(5);
    let first = Counts {
        succeeded: 2,
        created: 2,
        ..Counts::default()
    };
    advance(&w.conn, id, 2, &first).unwrap();
    let view = w.view(id);
    assert_eq!(
        (view.finish, view.number_done, view.number_succeed),
        (0, 2, 2)
    );
    assert!(view.start_time.is_some() && view.finish_time.is_none());
    let last = Counts {
        succeeded: 2,
        failed: 1,
        created: 1,
        updated: 1,
        unchanged: 0,
    };
    assert_eq!(last.rows(), 3);
    advance(&w.conn, id, 5, &last).unwrap();
    let view = w.view(id);
    assert_eq!(view.finish, Finish::Failed.code());
    assert_eq!(
        (
            view.number_done,
            view.number_succeed,
            view.number_failed,
            view.number_created,
            view.number_updated
        ),
        (5, 4, 1, 3, 1)
    );
    assert!(view.finish_time.is_some());
    assert_eq!(w.state(id).next_seq, 5);

    // Every row succeeded: finish 1.
    let clean = w.stored_import(2);
    let all = Counts {
        succeeded: 2,
        created: 2,
        ..Counts::default()
    };
    advance(&w.conn, clean, 2, &all).unwrap();
    assert_eq!(w.state(clean).finish, Finish::Succeeded);
}

#[test]
fn a_task_that_cannot_run_ends_with_its_remaining_rows_failed() {
    let mut w = world();
    let id = w.stored_import(5);
    let ran = Counts {
        succeeded: 2,
        created: 2,
        ..Counts::default()
    };
    advance(&w.conn, id, 2, &ran).unwrap();
    end_failed(&w.conn, id, 3).unwrap();
    let state = w.state(id);
    assert_eq!(
        (state.finish, state.next_seq, state.number_failed),
        (Finish::Failed, 5, 3)
    );
    let view = w.view(id);
    assert_eq!((view.number_need, view.number_done), (5, 5));
    assert!(view.finish_time.is_some());
}

#[test]
fn only_an_unfinished_task_is_cancelled() {
    let mut w = world();
    let running = w.stored_import(3);
    assert!(cancel(&w.conn, running).unwrap());
    assert!(w.state(running).cancelled);
    assert!(w.view(running).cancelled);
    let done = w.stored_import(0);
    assert!(!cancel(&w.conn, done).unwrap());
    assert!(!w.state(done).cancelled);
    assert!(!cancel(&w.conn, 9999).unwrap());
}

#[test]
fn a_rerun_claims_a_finished_task_and_gives_it_back_if_refused() {
    let w = world();
    let id = fixture::insert_task(
        &w.conn,
        &TaskRow {
            finish: Finish::Failed,
            number_need: 4,
            number_succeed: 2,
            number_failed: 2,
            next_seq: 4,
            ..TaskRow::new(w.company, w.liusn, TaskKind::Import)
        },
    );
    insert_failure(&w.conn, id, 1, Some(3), "{\"a\":1}", "对应部门不存在").unwrap();
    insert_failure(&w.conn, id, 3, None, "{\"a\":2}", "资产数量不可小于1").unwrap();
    // A chunk an interrupted re-run left past the end.
    w.conn
        .execute(
            "INSERT INTO task_chunk (task_id, first_seq, row_count, rows) VALUES (?1, 4, 1, '[1]')",
            [id],
        )
        .unwrap();
    assert!(claim_for_rerun(&w.conn, id).unwrap());
    assert_eq!(w.state(id).finish, Finish::Running);
    assert_eq!(w.chunks(id), 0);
    // A second re-run is refused while the first stores its rows.
    assert!(!claim_for_rerun(&w.conn, id).unwrap());
    release_rerun(&w.conn, id).unwrap();
    assert_eq!(w.state(id).finish, Finish::Failed);
    assert_eq!(failure_lines(&w.conn, id).unwrap(), [Some(3), None]);

    // The re-run goes ahead: its rows follow the old end, the failures go, and it runs as
    // whoever sent it.
    assert!(claim_for_rerun(&w.conn, id).unwrap());
    cancel(&w.conn, id).unwrap();
    clear_failures_for_rerun(&w.conn, id, 2).unwrap();
    set_runner(&w.conn, id, w.sysadmin).unwrap();
    let state = w.state(id);
    assert_eq!(
        (
            state.finish,
            state.next_seq,
            state.end_seq,
            state.number_failed
        ),
        (Finish::Running, 4, 6, 0)
    );
    assert!(!state.cancelled, "a re-run starts uncancelled");
    assert_eq!((state.creator_id, state.runner_id), (w.liusn, w.sysadmin));
    assert!(failure_lines(&w.conn, id).unwrap().is_empty());
    let view = w.view(id);
    assert_eq!((view.number_need, view.number_succeed), (4, 2));
    // Released while rows are still to run, it stays running.
    release_rerun(&w.conn, id).unwrap();
    assert_eq!(w.state(id).finish, Finish::Running);
}

#[test]
fn a_confirmed_dry_run_starts_again_for_real() {
    let w = world();
    let id = fixture::insert_task(
        &w.conn,
        &TaskRow {
            finish: Finish::Failed,
            number_need: 3,
            number_succeed: 2,
            number_failed: 1,
            next_seq: 3,
            dry_run: true,
            finish_time: Some("2024-01-01 08:00:01".into()),
            ..TaskRow::new(w.company, w.liusn, TaskKind::Import)
        },
    );
    assert!(w.state(id).checks_only());
    insert_failure(&w.conn, id, 2, None, "{}", "对应部门不存在").unwrap();
    crate::db::changes::record_dry_item(&w.conn, id, w.cst, "机柜", 0).unwrap();
    confirm(&w.conn, id, w.sysadmin).unwrap();
    let state = w.state(id);
    assert!(state.dry_run && state.confirmed && !state.checks_only());
    assert_eq!(
        (
            state.finish,
            state.next_seq,
            state.number_failed,
            state.runner_id
        ),
        (Finish::Running, 0, 0, w.sysadmin)
    );
    let view = w.view(id);
    assert_eq!((view.number_succeed, view.number_done), (0, 0));
    assert!(view.start_time.is_none() && view.finish_time.is_none());
    assert!(failure_lines(&w.conn, id).unwrap().is_empty());
    assert!(
        crate::db::changes::dry_items_named(&w.conn, id, w.cst, "机柜")
            .unwrap()
            .is_empty()
    );
}

#[test]
fn an_undo_task_and_its_import_name_each_other() {
    let w = world();
    let import = fixture::insert_task(
        &w.conn,
        &TaskRow {
            finish: Finish::Succeeded,
            ..TaskRow::new(w.company, w.liusn, TaskKind::Import)
        },
    );
    let undo = create_undo(&w.conn, (w.company, w.sysadmin), import, 3).unwrap();
    let state = w.state(undo);
    assert_eq!(
        (state.kind, state.finish, state.end_seq, state.undo_of),
        (TaskKind::Undo, Finish::Running, 3, Some(import))
    );
    assert_eq!(w.state(import).undone_by, Some(undo));
    let view = w.view(undo);
    assert_eq!(
        (view.kind, view.port_type, view.manager.as_str()),
        ("undo", 2, "sysadmin")
    );
    // Nothing to take back: done at once.
    let empty = fixture::insert_task(&w.conn, &TaskRow::new(w.company, w.liusn, TaskKind::Import));
    let nothing = create_undo(&w.conn, (w.company, w.liusn), empty, 0).unwrap();
    assert_eq!(w.state(nothing).finish, Finish::Succeeded);
    assert!(w.view(nothing).finish_time.is_some());
}

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
    mark_pruned(&w.conn, old).unwrap();
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
    for kind in [TaskKind::Export, TaskKind::Import, TaskKind::Undo] {
        assert_eq!(TaskKind::from_code(kind.code()), Some(kind));
    }
    assert_eq!(
        [
            TaskKind::Export.code(),
            TaskKind::Import.code(),
            TaskKind::Undo.code()
        ],
        [0, 1, 2]
    );
    assert_eq!(TaskKind::from_code(3), None);
    for finish in [Finish::Running, Finish::Succeeded, Finish::Failed] {
        assert_eq!(Finish::from_code(finish.code()), Some(finish));
    }
    assert_eq!(Finish::from_code(-1), None);
}
