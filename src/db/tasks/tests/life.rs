//! A task from its storing to its end: chunks, batches, failure, cancel, re-run, confirm, and
//! the undo task that names its import.

use super::*;

#[test]
fn a_new_task_is_stored_in_chunks_and_seen_only_once_complete() {
    let mut w = world();
    let new = NewTask {
        file_name: Some("资产.csv".into()),
        dry_run: false,
        file_hash: Some("ab12".into()),
        ..NewTask::default()
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
        (
            state.kind(),
            state.status.finish,
            state.next_seq,
            state.end_seq
        ),
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
    // The same content under any name; not other content, nor before `since`.
    assert_eq!(
        same_upload_since(&w.conn, w.company, "ab12", "2000-01-01").unwrap(),
        Some((id, view.create_time.clone()))
    );
    assert_eq!(
        same_upload_since(&w.conn, w.company, "cd34", "2000-01-01").unwrap(),
        None
    );
    assert_eq!(
        same_upload_since(&w.conn, w.company, "ab12", "9999-01-01").unwrap(),
        None
    );
    // An unconfirmed dry run wrote nothing; a confirmed one did; an undone import is taken back.
    let matched = |sql: &str| {
        w.conn.execute(sql, [id]).unwrap();
        same_upload_since(&w.conn, w.company, "ab12", "2000-01-01")
            .unwrap()
            .is_some()
    };
    assert!(!matched("UPDATE task SET dry_run = 1 WHERE id = ?1"));
    assert!(matched("UPDATE task SET confirmed = 1 WHERE id = ?1"));
    assert!(!matched("UPDATE task SET undone_by = id WHERE id = ?1"));
    w.conn
        .execute(
            "UPDATE task SET dry_run = 0, confirmed = 0, undone_by = NULL WHERE id = ?1",
            [id],
        )
        .unwrap();
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
    // (a dry run checked as it was stored leaves a failed row and a stand-in too)
    insert_failure(&w.conn, half, 0, Some(2), "1", "第2行：资产名不能为空").unwrap();
    crate::db::changes::record_dry_item(&w.conn, half, w.cst, "服务器", 0).unwrap();
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
    for table in ["task_failure", "task_dry_item"] {
        let sql = format!("SELECT count(*) FROM {table} WHERE task_id = ?1");
        assert_eq!(w.count(&sql, half), 0, "{table}");
    }
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
    assert_eq!((state.status.finish, state.end_seq), (Finish::Succeeded, 0));
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
    assert_eq!(w.state(clean).status.finish, Finish::Succeeded);
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
        (state.status.finish, state.next_seq, state.number_failed),
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
    assert!(w.state(running).status.cancelled);
    assert!(w.view(running).cancelled);
    let done = w.stored_import(0);
    assert!(!cancel(&w.conn, done).unwrap());
    assert!(!w.state(done).status.cancelled);
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
    assert_eq!(w.state(id).status.finish, Finish::Running);
    assert_eq!(w.chunks(id), 0);
    // A second re-run is refused while the first stores its rows.
    assert!(!claim_for_rerun(&w.conn, id).unwrap());
    release_rerun(&w.conn, id).unwrap();
    assert_eq!(w.state(id).status.finish, Finish::Failed);
    assert_eq!(failure_lines(&w.conn, id).unwrap(), [Some(3), None]);

    // The re-run goes ahead: its rows follow the old end, the failures go, and it runs as
    // whoever sent it.
    assert!(claim_for_rerun(&w.conn, id).unwrap());
    cancel(&w.conn, id).unwrap();
    clear_failures_for_rerun(&w.conn, id, 2, None).unwrap();
    set_runner(&w.conn, id, w.sysadmin).unwrap();
    let state = w.state(id);
    assert_eq!(
        (
            state.status.finish,
            state.next_seq,
            state.end_seq,
            state.number_failed
        ),
        (Finish::Running, 4, 6, 0)
    );
    assert!(!state.status.cancelled, "a re-run starts uncancelled");
    assert_eq!((state.creator_id, state.runner_id), (w.liusn, w.sysadmin));
    assert!(failure_lines(&w.conn, id).unwrap().is_empty());
    let view = w.view(id);
    assert_eq!((view.number_need, view.number_succeed), (4, 2));
    // Released while rows are still to run, it stays running.
    release_rerun(&w.conn, id).unwrap();
    assert_eq!(w.state(id).status.finish, Finish::Running);
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
    assert!(state.status.dry_run && state.status.confirmed && !state.checks_only());
    assert_eq!(
        (
            state.status.finish,
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
        (
            state.kind(),
            state.status.finish,
            state.end_seq,
            state.undo_of
        ),
        (TaskKind::Undo, Finish::Running, 3, Some(import))
    );
    assert!(w.state(import).status.undone);
    assert_eq!(w.view(import).undone_by, Some(undo));
    let view = w.view(undo);
    assert_eq!(
        (view.kind, view.port_type, view.manager.as_str()),
        ("undo", 2, "sysadmin")
    );
    // Nothing to take back: done at once.
    let empty = fixture::insert_task(&w.conn, &TaskRow::new(w.company, w.liusn, TaskKind::Import));
    let nothing = create_undo(&w.conn, (w.company, w.liusn), empty, 0).unwrap();
    assert_eq!(w.state(nothing).status.finish, Finish::Succeeded);
    assert!(w.view(nothing).finish_time.is_some());
}
