//! The request rules on an in-memory database: kinds as clients name them, who may ask what of
//! which asset, and an approval's lines (executed, stale, and the other requests it ends).

use super::*;
use crate::db::fixture;
use crate::db::history::Source;

struct World {
    conn: crate::db::Conn,
    manager: Caller,
    staff: Caller,
    other_staff: Caller,
    /// An idle asset of the manager's in CST, and one in use by `staff`.
    idle: i64,
    held: i64,
}

fn world() -> World {
    let conn = fixture::db();
    let c = fixture::insert_company(&conn);
    let liusn = fixture::insert_user(&conn, "liusn", Role::Manager, Some(c.id), Some(c.cst));
    let zhangsan = fixture::insert_user(&conn, "zhangsan", Role::Staff, Some(c.id), Some(c.cst));
    let lisi = fixture::insert_user(&conn, "lisi", Role::Staff, Some(c.id), Some(c.cst));
    let mut idle = fixture::new_asset(&conn, (c.cst, "数量型资产"), liusn, "投影仪");
    idle.status = 1;
    let idle = fixture::insert_asset(&conn, &idle);
    let held = fixture::new_asset(&conn, (c.cst, "数量型资产"), zhangsan, "笔记本");
    let held = fixture::insert_asset(&conn, &held);
    World {
        manager: fixture::caller(liusn, "liusn", Role::Manager, (c.id, c.cst)),
        staff: fixture::caller(zhangsan, "zhangsan", Role::Staff, (c.id, c.cst)),
        other_staff: fixture::caller(lisi, "lisi", Role::Staff, (c.id, c.cst)),
        conn,
        idle,
        held,
    }
}

fn body(kind: &str, assets: &[i64]) -> RequestBody {
    RequestBody {
        kind: json!(kind),
        reason: String::new(),
        target_user: None,
        target_department: None,
        lines: assets
            .iter()
            .map(|&asset| LineBody { asset, count: None })
            .collect(),
    }
}

fn state(w: &World, id: i64) -> (i64, Vec<(i64, Option<String>)>) {
    let request = sql::request(&w.conn, w.manager.entity_id.unwrap(), id)
        .unwrap()
        .unwrap();
    let lines = sql::lines(&w.conn, id).unwrap();
    (
        request.state,
        lines.into_iter().map(|l| (l.state, l.invalid)).collect(),
    )
}

#[test]
fn a_kind_is_named_by_code_api_name_or_label() {
    for (value, kind) in [
        (json!(1), Kind::Take),
        (json!("2"), Kind::Return),
        (json!("repair"), Kind::Repair),
        (json!(" 转移 "), Kind::Transfer),
        (json!("调拨"), Kind::Allocate),
    ] {
        assert_eq!(Kind::parse(&value).unwrap(), kind, "{value}");
    }
    for value in [json!(0), json!(6), json!("借用"), json!(null), json!([1])] {
        assert!(Kind::parse(&value).is_err(), "{value}");
    }
}

#[test]
fn staff_ask_of_their_own_assets_and_idle_ones_of_their_department() {
    let w = world();
    let refused =
        |who: &Caller, kind: &str, asset: i64| match create(&w.conn, who, &body(kind, &[asset])) {
            Err(Error::Rule(why)) => why,
            other => panic!("{kind} of {asset} by {}: {other:?}", who.name),
        };
    assert!(refused(&w.staff, "退库", w.idle).contains("不是您名下的资产"));
    assert!(refused(&w.staff, "领用", w.held).contains("不是闲置资产"));
    assert!(refused(&w.other_staff, "维保", w.held).contains("不是您名下的资产"));
    assert_eq!(
        refused(&w.staff, "调拨", w.held),
        "调拨只能由资产管理员或系统管理员申请"
    );
    // What they may ask is stored, a line per asset with what the asset was.
    let id = create(&w.conn, &w.staff, &body("维保", &[w.held])).unwrap();
    assert_eq!(state(&w, id), (PENDING, vec![(0, None)]));
    let id = create(&w.conn, &w.manager, &body("维保", &[w.idle])).unwrap();
    assert_eq!(state(&w, id), (PENDING, vec![(0, None)]));
}

#[test]
fn an_approval_executes_valid_lines_and_ends_the_other_requests_on_them() {
    let w = world();
    let first = create(&w.conn, &w.staff, &body("领用", &[w.idle])).unwrap();
    let second = create(&w.conn, &w.other_staff, &body("领用", &[w.idle])).unwrap();
    approve(&w.conn, &w.manager, first, 100).unwrap();
    assert_eq!(state(&w, first), (APPROVED, vec![(1, None)]));
    let why = format!("资产已由申请#{first}处理");
    assert_eq!(state(&w, second), (INVALID, vec![(2, Some(why))]));
    let asset = changes::stored_asset(&w.conn, w.idle).unwrap().unwrap();
    assert_eq!(
        (asset.values.owner_id, asset.values.status),
        (w.staff.user_id, 2)
    );
    assert!(matches!(
        approve(&w.conn, &w.manager, second, 100),
        Err(Error::RequestNotPending("已失效"))
    ));
    // Staff review nothing.
    let third = create(&w.conn, &w.staff, &body("维保", &[w.held])).unwrap();
    assert!(matches!(
        approve(&w.conn, &w.staff, third, 100),
        Err(Error::Forbidden)
    ));
    // A line whose asset moved to another holder since is not executed.
    let mut moved = changes::stored_asset(&w.conn, w.held).unwrap().unwrap();
    let before = moved.values.clone();
    moved.values.owner_id = w.other_staff.user_id;
    let source = Source {
        entity_id: before.entity_id,
        actor_id: w.manager.user_id,
        task_id: None,
        request_id: None,
    };
    let change = (&source, crate::db::history::Kind::Modified);
    changes::rewrite_asset(&w.conn, w.held, &before, (&moved.values, None), change).unwrap();
    approve(&w.conn, &w.manager, third, 100).unwrap();
    let why = "挂账人已变更（现为lisi）".to_owned();
    assert_eq!(state(&w, third), (INVALID, vec![(2, Some(why))]));
}

/// Idle assets of the manager's in CST, named 椅子1…
fn idle_assets(w: &World, n: usize) -> Vec<i64> {
    let c = w.manager.entity_id.unwrap();
    let cst = w.manager.department_id.unwrap();
    let category = crate::db::org::categories_of_department(&w.conn, cst)
        .unwrap()
        .into_iter()
        .find(|k| k.name == crate::db::org::QUANTITY_CATEGORY)
        .unwrap();
    (1..=n)
        .map(|i| {
            let mut a = fixture::new_asset(
                &w.conn,
                (cst, crate::db::org::QUANTITY_CATEGORY),
                w.manager.user_id,
                &format!("椅子{i}"),
            );
            assert_eq!((a.entity_id, a.category_id), (c, category.id));
            a.status = 1;
            fixture::insert_asset(&w.conn, &a)
        })
        .collect()
}

/// Runs a request's task a batch of `batch` lines per transaction until it ends; returns how
/// many batches it took.
fn run_task(w: &mut World, task: i64, batch: usize) -> usize {
    let mut batches = 0;
    while run_one(w, task, batch) {
        batches += 1;
        assert!(batches < 100, "the task never ends");
    }
    batches
}

/// Runs one batch of a running task, as a worker does; false if it had ended.
fn run_one(w: &mut World, task: i64, batch: usize) -> bool {
    let state = tasks_sql::task_state(&w.conn, task).unwrap().unwrap();
    if !state.running() {
        return false;
    }
    let tx = w.conn.transaction().unwrap();
    let (next, counts) = super::task::run_batch(&tx, &state, batch).unwrap();
    tasks_sql::advance(&tx, task, next, &counts).unwrap();
    tx.commit().unwrap();
    true
}

fn task_counts(w: &World, task: i64) -> (i64, i64, i64, i64) {
    w.conn
        .query_row(
            "SELECT number_need, number_succeed, number_failed, finish FROM task WHERE id = ?1",
            [task],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap()
}

fn failures(w: &World, task: i64) -> Vec<String> {
    let mut stmt = w
        .conn
        .prepare("SELECT message FROM task_failure WHERE task_id = ?1 ORDER BY seq")
        .unwrap();
    let rows = stmt.query_map([task], |r| r.get(0)).unwrap();
    rows.collect::<rusqlite::Result<_>>().unwrap()
}

#[test]
fn a_request_of_more_than_a_batch_is_approved_and_taken_back_by_tasks() {
    let mut w = world();
    let assets = idle_assets(&w, 5);
    let id = create(&w.conn, &w.staff, &body("领用", &assets)).unwrap();
    // Asked by another before the approval: loses the race to the request approved first.
    let later = create(&w.conn, &w.other_staff, &body("领用", &[assets[4]])).unwrap();
    // A line whose asset changed since it was asked is not executed.
    let mut moved = changes::stored_asset(&w.conn, assets[2]).unwrap().unwrap();
    let before = moved.values.clone();
    moved.values.owner_id = w.other_staff.user_id;
    let source = Source {
        entity_id: before.entity_id,
        actor_id: w.manager.user_id,
        task_id: None,
        request_id: None,
    };
    let change = (&source, crate::db::history::Kind::Modified);
    changes::rewrite_asset(&w.conn, assets[2], &before, (&moved.values, None), change).unwrap();

    let reviewed = approve(&w.conn, &w.manager, id, 2).unwrap();
    let task = reviewed.task.expect("more than a batch: a task");
    assert_eq!(reviewed.request["state_label"], "执行中");
    assert_eq!(reviewed.request["task"], task);
    assert_eq!(state(&w, id).1, vec![(0, None); 5], "nothing executed yet");
    // Neither withdrawn nor reviewed again while it executes.
    assert!(matches!(
        withdraw(&w.conn, &w.staff, id),
        Err(Error::RequestNotPending("执行中"))
    ));
    // The later request on one of its assets is approved meanwhile: the first approval wins.
    approve(&w.conn, &w.manager, later, 100).unwrap();
    let why = format!("资产正由先通过的申请#{id}执行");
    assert_eq!(state(&w, later), (INVALID, vec![(2, Some(why))]));

    assert_eq!(run_task(&mut w, task, 2), 3, "5 lines, 2 a batch");
    let changed = "挂账人已变更（现为lisi）".to_owned();
    let (request_state, lines) = state(&w, id);
    assert_eq!(request_state, APPROVED);
    assert_eq!(
        lines,
        [
            (1, None),
            (1, None),
            (2, Some(changed.clone())),
            (1, None),
            (1, None)
        ]
    );
    assert_eq!(task_counts(&w, task), (5, 4, 1, 2));
    assert_eq!(failures(&w, task), [format!("第3项：{changed}")]);
    let history: i64 = w
        .conn
        .query_row(
            "SELECT count(*) FROM asset_history WHERE request_id = ?1 AND task_id = ?2",
            [id, task],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        history, 4,
        "each executed line once, naming the request and task"
    );

    // Taken back by a task too: each executed line once.
    let reviewed = undo(&w.conn, &w.manager, id, 2).unwrap();
    let undo_task = reviewed.task.expect("more than a batch executed: a task");
    assert_eq!(reviewed.request["state_label"], "撤销中");
    assert_eq!(run_task(&mut w, undo_task, 2), 2);
    let (request_state, lines) = state(&w, id);
    assert_eq!(request_state, UNDONE);
    assert_eq!(lines.iter().filter(|l| l.0 == 3).count(), 4);
    assert_eq!(task_counts(&w, undo_task), (4, 4, 0, 1));
    for asset in [assets[0], assets[1], assets[3], assets[4]] {
        let a = changes::stored_asset(&w.conn, asset).unwrap().unwrap();
        assert_eq!((a.values.owner_id, a.values.status), (w.manager.user_id, 1));
    }
}

#[test]
fn a_cancelled_approval_task_ends_its_remaining_lines_unexecuted() {
    let mut w = world();
    let assets = idle_assets(&w, 7);
    let id = create(&w.conn, &w.staff, &body("领用", &assets[..4])).unwrap();
    let task = approve(&w.conn, &w.manager, id, 2).unwrap().task.unwrap();
    run_one(&mut w, task, 2);
    assert!(tasks_sql::cancel(&w.conn, task).unwrap());
    run_task(&mut w, task, 2);
    let cancelled = Some(crate::tasks::CANCELLED.to_owned());
    assert_eq!(
        state(&w, id),
        (
            APPROVED,
            vec![(1, None), (1, None), (2, cancelled.clone()), (2, cancelled)]
        )
    );
    assert_eq!(task_counts(&w, task), (4, 2, 2, 2));
    assert_eq!(failures(&w, task), ["第3项：已取消", "第4项：已取消"]);
    // Cancelled before any line ran: nothing executed, the request 已失效.
    let id = create(&w.conn, &w.other_staff, &body("领用", &assets[4..])).unwrap();
    let task = approve(&w.conn, &w.manager, id, 2).unwrap().task.unwrap();
    assert!(tasks_sql::cancel(&w.conn, task).unwrap());
    run_task(&mut w, task, 2);
    let (request_state, lines) = state(&w, id);
    assert_eq!(request_state, INVALID);
    assert!(lines.iter().all(|l| l.0 == 2), "{lines:?}");
    assert_eq!(task_counts(&w, task), (3, 0, 3, 2));
    for asset in &assets[4..] {
        let a = changes::stored_asset(&w.conn, *asset).unwrap().unwrap();
        assert_eq!((a.values.owner_id, a.values.status), (w.manager.user_id, 1));
    }
}

#[test]
fn a_department_without_a_receiver_refuses_a_return_at_once_or_ends_its_lines_in_a_task() {
    let mut w = world();
    let held: Vec<i64> = (0..3)
        .map(|i| {
            let a = fixture::new_asset(
                &w.conn,
                (w.manager.department_id.unwrap(), "数量型资产"),
                w.staff.user_id,
                &format!("显示器{i}"),
            );
            fixture::insert_asset(&w.conn, &a)
        })
        .collect();
    let id = create(&w.conn, &w.staff, &body("退库", &held)).unwrap();
    let lock = |w: &World, locked: bool| {
        w.conn
            .execute(
                "UPDATE user SET lock = ?2 WHERE id = ?1",
                (w.manager.user_id, locked),
            )
            .unwrap();
    };
    // No unlocked asset manager in CST: refused before anything runs; the request stays.
    lock(&w, true);
    let refused = approve(&w.conn, &w.manager, id, 1).map(|_| ());
    assert!(
        matches!(&refused, Err(Error::Rule(why)) if why.contains("没有可接收资产的资产管理员")),
        "{refused:?}"
    );
    assert_eq!(state(&w, id), (PENDING, vec![(0, None); 3]));
    // Approved with one, which is locked after the first batch: the rest end saying why.
    lock(&w, false);
    let task = approve(&w.conn, &w.manager, id, 1).unwrap().task.unwrap();
    run_one(&mut w, task, 1);
    lock(&w, true);
    run_task(&mut w, task, 1);
    let (request_state, lines) = state(&w, id);
    assert_eq!(request_state, APPROVED);
    assert_eq!(lines[0], (1, None));
    for line in &lines[1..] {
        assert_eq!(line.0, 2);
        assert!(line
            .1
            .as_deref()
            .unwrap()
            .contains("没有可接收资产的资产管理员"));
    }
    assert_eq!(task_counts(&w, task), (3, 1, 2, 2));
}

#[test]
fn an_approval_task_that_keeps_failing_ends_its_remaining_lines_and_its_request() {
    let mut w = world();
    let assets = idle_assets(&w, 3);
    let id = create(&w.conn, &w.staff, &body("领用", &assets)).unwrap();
    let task = approve(&w.conn, &w.manager, id, 1).unwrap().task.unwrap();
    run_one(&mut w, task, 1);
    // What the worker does after the third failed attempt of a batch.
    let now = tasks_sql::task_state(&w.conn, task).unwrap().unwrap();
    let tx = w.conn.transaction().unwrap();
    let failed = super::task::fail_rest(&tx, &now).unwrap();
    tasks_sql::end_failed(&tx, task, failed).unwrap();
    tx.commit().unwrap();
    let why = Some("任务执行出错，该项未执行".to_owned());
    assert_eq!(
        state(&w, id),
        (APPROVED, vec![(1, None), (2, why.clone()), (2, why)])
    );
    assert_eq!(task_counts(&w, task), (3, 1, 2, 2));
    assert_eq!(
        failures(&w, task),
        [
            "第2项：任务执行出错，该项未执行",
            "第3项：任务执行出错，该项未执行"
        ]
    );
}
