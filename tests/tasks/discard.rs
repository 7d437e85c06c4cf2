//! Issue 22: a dry run that will not be confirmed is discarded (`POST …/discard`), and a task's
//! data says how it went: deleted by a user, discarded, or by retention.

use crate::common;

use common::{item, row, App};
use serde_json::{json, Value};

fn dry_run(app: &App, s: &str, rows: &Value) -> i64 {
    app.import_with(s, "?dry_run=true", rows)["id"]
        .as_i64()
        .unwrap()
}

fn task(app: &App, s: &str, id: i64) -> Value {
    app.get(&format!("/api/async_task/{s}/{id}")).ok().clone()
}

fn journal_kinds(app: &App, id: i64) -> Vec<String> {
    let conn = rusqlite::Connection::open(app.db_path()).unwrap();
    let mut stmt = conn
        .prepare("SELECT kind FROM journal WHERE task_id = ?1 ORDER BY id")
        .unwrap();
    let kinds = stmt
        .query_map([id], |r| r.get(0))
        .unwrap()
        .collect::<Result<Vec<String>, _>>()
        .unwrap();
    kinds
}

#[test]
fn a_dry_run_is_discarded_writes_nothing_and_can_no_longer_be_confirmed() {
    let app = App::new();
    let s = app.demo("liusn");
    let mut bad = row("坏行", "liusn", "CST");
    bad["count"] = json!(0);
    let id = dry_run(&app, &s, &json!([item("电脑"), bad]));
    let before = app.assets(&s).len();
    assert_eq!(
        task(&app, &s, id)["actions"],
        json!(["confirm", "discard", "delete_data", "download"])
    );

    app.post(&format!("/api/async_task/{s}/{id}/discard"), &json!({}))
        .ok();
    let t = task(&app, &s, id);
    assert_eq!(t["removed"], "discarded");
    assert_eq!(t["pruned"], true);
    assert_eq!(t["actions"], json!([]));
    assert_eq!(app.assets(&s).len(), before, "a discard writes no asset");
    assert_eq!(journal_kinds(&app, id).last().unwrap(), "task_discarded");

    // Discarded: no confirm, no second discard, no failed rows to read.
    app.post(&format!("/api/async_task/{s}/{id}/confirm"), &json!({}))
        .err(400, 14, "该校验任务已放弃，不能确认；请重新上传文件");
    app.post(&format!("/api/async_task/{s}/{id}/discard"), &json!({}))
        .err(400, 14, "该校验任务已放弃");
    assert_eq!(
        app.get(&format!("/api/failed_task/{s}/{id}")).body["code"],
        13
    );
}

#[test]
fn only_an_unconfirmed_dry_run_of_the_callers_is_discarded() {
    let app = App::new();
    let s = app.demo("liusn");
    let plain = app.import(&s, &json!([item("椅子")]))["id"]
        .as_i64()
        .unwrap();
    let confirmed = dry_run(&app, &s, &json!([item("桌子")]));
    app.post(
        &format!("/api/async_task/{s}/{confirmed}/confirm"),
        &json!({}),
    )
    .ok();
    app.wait_task(&s, confirmed);
    let dry = dry_run(&app, &s, &json!([item("电脑")]));
    let before = app.digest();

    app.post(&format!("/api/async_task/{s}/{plain}/discard"), &json!({}))
        .err(400, 14, "该任务不是仅校验任务，不能放弃");
    app.post(
        &format!("/api/async_task/{s}/{confirmed}/discard"),
        &json!({}),
    )
    .err(
        400,
        14,
        "该任务已确认执行，不能放弃；如需取回它写入的数据，请撤销此任务",
    );
    app.post(&format!("/api/async_task/{s}/99999/discard"), &json!({}))
        .err(404, 6, "对应id的异步任务不存在");
    app.post(&format!("/api/async_task/{s}/abc/discard"), &json!({}))
        .body["code"]
        .as_i64()
        .filter(|c| *c != 0)
        .expect("a bad id is refused");
    let staff = app.demo("zhangsan");
    app.post(
        &format!("/api/async_task/{staff}/{dry}/discard"),
        &json!({}),
    )
    .err(403, 1, "你无此权限");
    assert_eq!(app.digest(), before, "a refused discard changes nothing");
    assert!(!journal_kinds(&app, dry).contains(&"task_discarded".to_string()));
}

#[test]
fn a_deleted_tasks_data_says_a_user_deleted_it_and_its_import_is_no_longer_undone() {
    let app = App::new();
    let s = app.demo("liusn");
    let mut bad = row("坏行", "liusn", "CST");
    bad["count"] = json!(0);
    let id = app.import(&s, &json!([item("电脑"), bad]))["id"]
        .as_i64()
        .unwrap();
    let t = app.wait_task(&s, id);
    assert_eq!(t["removed"], Value::Null);
    let actions = task(&app, &s, id)["actions"].clone();
    assert!(actions.as_array().unwrap().contains(&json!("undo")));

    app.delete(&format!("/api/async_task/{s}/{id}")).ok();
    let t = task(&app, &s, id);
    assert_eq!(
        (&t["pruned"], &t["removed"]),
        (&json!(true), &json!("deleted"))
    );
    assert_eq!(t["actions"], json!([]), "no undo, download or failed rows");
    assert_eq!(
        app.post(&format!("/api/async_task/{s}/{id}/undo"), &json!({}))
            .body["code"],
        13
    );
    assert_eq!(journal_kinds(&app, id).last().unwrap(), "task_deleted");
}
