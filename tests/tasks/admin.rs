//! Issue 11's task administration: the task list paged and filtered, tasks cancelled (queued,
//! running, across a restart), and workers taking turns between tasks batch by batch.

use crate::common;
use crate::filekit;

use common::server::Server;
use common::{ids, App, DEMO_PASSWORD};
use serde_json::{json, Value};

fn rows(prefix: &str, n: usize) -> Value {
    json!((0..n)
        .map(|i| common::row(&format!("{prefix}{i}"), "liusn", "CST"))
        .collect::<Vec<_>>())
}

fn submit(app: &App, s: &str, path: &str, body: &Value) -> i64 {
    app.post(&format!("{path}/{s}"), body).ok()["id"]
        .as_i64()
        .unwrap()
}

#[test]
fn the_task_list_pages_newest_first_and_filters() {
    let app = App::new();
    let liusn = app.demo("liusn");
    let admin = app.demo("sysadmin");
    // liusn: an import with a failed row, an export; the admin: an import; liusn: an upload.
    let mut bad = common::row("坏", "liusn", "CST");
    bad["count"] = json!(0);
    let a = submit(
        &app,
        &liusn,
        "/api/asset",
        &json!([common::row("好", "liusn", "CST"), bad]),
    );
    let b = submit(&app, &liusn, "/api/export_task", &json!([1]));
    let c = submit(&app, &admin, "/api/asset", &rows("管", 2));
    let csv = format!(
        "{}\n文件行,数量型,1,1,1,默认分类,,,liusn,CST,\n",
        filekit::header_row().join(",")
    );
    let upload = filekit::upload_form(
        &app,
        &liusn,
        "",
        &[("file", Some("资产清单.csv"), csv.as_bytes())],
    );
    let d = filekit::task_id(upload.ok());
    for id in [a, b, c, d] {
        app.wait_task(&admin, id);
    }

    let list = |s: &str, query: &str| app.get(&format!("/api/async_task/{s}{query}"));
    // Newest first, two a page.
    let page = list(&admin, "?page=1&size=2");
    assert_eq!(
        (&page.body["pages"], &page.body["total"]),
        (&json!(2), &json!(4)),
        "{:?}",
        page.body
    );
    assert_eq!(ids(page.data()), [d, c]);
    assert_eq!(ids(list(&admin, "?page=2&size=2").data()), [b, a]);
    // Filters, alone and together.
    assert_eq!(ids(list(&admin, "?type=export").data()), [b]);
    assert_eq!(ids(list(&admin, "?type=import&finish=2").data()), [a]);
    assert_eq!(
        ids(list(&admin, "?creator=LIUSN&size=10").data()),
        [d, b, a]
    );
    assert_eq!(list(&admin, "?since=2999-01-01").body["total"], 0);
    let today = chrono::Local::now().format("%Y-%m-%d").to_string();
    assert_eq!(list(&admin, &format!("?since={today}")).body["total"], 4);
    // A manager's list holds only the tasks in their scope (not the admin's).
    assert_eq!(ids(list(&liusn, "?size=10").data()), [d, b, a]);
    // Each task carries its times, its creator and, from a file, the file's name.
    let newest = list(&admin, "?page=1").data()[0].clone();
    assert_eq!(newest["file_name"], "资产清单.csv", "{newest}");
    assert_eq!(newest["manager"], "liusn");
    assert!(
        newest["start_time"].is_string() && newest["finish_time"].is_string(),
        "{newest}"
    );
    assert!(newest["create_time"].as_str() <= newest["finish_time"].as_str());
    assert_eq!(list(&admin, "?page=1").data()[1]["file_name"], Value::Null);
    // Malformed filters name their key; a page past the end is code 4.
    for (query, key) in [
        ("?type=pdf", "type"),
        ("?finish=3", "finish"),
        ("?since=yesterday", "since"),
    ] {
        let a = list(&admin, query);
        assert_eq!(
            (a.status.code, a.code()),
            (400, -2),
            "{query}: {:?}",
            a.body
        );
        assert!(a.info().contains(key), "{query}: {:?}", a.body);
    }
    list(&admin, "?page=3&size=2").err(400, 4, "请求的页码超出范围");
    // Without a query: the seed's form, in id order.
    assert_eq!(ids(list(&admin, "").ok()), [a, b, c, d]);
}

#[test]
fn a_running_task_is_cancelled_at_a_batch_boundary_and_a_finished_one_is_refused() {
    let app = App::with(&[("task_batch_rows", json!(50)), ("task_workers", json!(1))]);
    let s = app.demo("liusn");
    let n = 20_000;
    let id = submit(&app, &s, "/api/asset", &rows("取消", n));
    app.post(&format!("/api/async_task/{s}/{id}/cancel"), &json!({}))
        .ok();
    let task = app.wait_task(&s, id);
    assert_eq!(task["finish"], 2, "{task}");
    assert_eq!(task["cancelled"], true, "{task}");
    let succeeded = task["number_succeed"].as_i64().unwrap();
    assert!(succeeded < n as i64, "nothing was cancelled: {task}");
    assert_eq!(
        succeeded + task["number_failed"].as_i64().unwrap(),
        n as i64,
        "{task}"
    );
    // The rows not run are the failed rows, each 已取消; the committed batches stay.
    let page = app.get(&format!("/api/failed_task/{s}/{id}?page=1&size=5"));
    assert_eq!(page.body["total"], json!(n as i64 - succeeded));
    assert!(page
        .data()
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["message"] == "已取消"));
    let made = app.post(
        &format!("/api/search_assets/{s}"),
        &json!({"page": 1, "name": "取消"}),
    );
    assert_eq!(made.body["total"], json!(succeeded));
    // Cancelling it again, or any finished task, is refused with code 12; another entity's or
    // an unknown task is code 6.
    app.post(&format!("/api/async_task/{s}/{id}/cancel"), &json!({}))
        .err(400, 12, "该异步任务已结束，无法取消");
    app.post(&format!("/api/async_task/{s}/999999/cancel"), &json!({}))
        .err(404, 6, "对应id的异步任务不存在");
    // The cancelled rows can be fixed and re-run like any failed rows: here, as they were.
    let failed = app.get(&format!("/api/failed_task/{s}/{id}")).ok().clone();
    let again: Vec<Value> = failed
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let mut r = r.clone();
            r.as_object_mut().unwrap().remove("message");
            r
        })
        .collect();
    app.put(&format!("/failed_task/{s}/{id}"), &json!(again))
        .ok();
    let task = app.wait_task(&s, id);
    assert_eq!(
        (&task["finish"], &task["number_succeed"]),
        (&json!(1), &json!(n)),
        "{task}"
    );
    assert_eq!(task["cancelled"], false);
}

#[test]
fn workers_take_turns_so_a_small_task_does_not_wait_for_a_big_one() {
    let app = App::with(&[("task_batch_rows", json!(100)), ("task_workers", json!(1))]);
    let s = app.demo("liusn");
    let big = submit(&app, &s, "/api/asset", &rows("大", 30_000));
    let small = submit(&app, &s, "/api/asset", &rows("小", 10));
    // A task cancelled right after it was queued runs at most the few batches its turns gave
    // it before the cancel landed.
    let queued = submit(&app, &s, "/api/asset", &rows("排队", 5_000));
    app.post(&format!("/api/async_task/{s}/{queued}/cancel"), &json!({}))
        .ok();
    let done = app.wait_task(&s, small);
    assert_eq!(done["number_succeed"], 10, "{done}");
    // The small task ended while the big one (300 batches on the one worker) still ran.
    let running = app.get(&format!("/api/async_task/{s}/{big}")).ok().clone();
    assert_eq!(
        running["finish"], 0,
        "the small task waited for the big one: {running}"
    );
    let cancelled = app.wait_task(&s, queued);
    assert!(
        cancelled["number_succeed"].as_i64().unwrap() < 5_000,
        "{cancelled}"
    );
    assert_eq!(cancelled["finish"], 2, "{cancelled}");
    assert_eq!(app.wait_task(&s, big)["number_succeed"], 30_000);
}

#[test]
fn a_cancel_survives_a_restart_and_the_task_does_not_resume() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("db.sqlite3");
    let env = [
        ("ROCKET_TASK_BATCH_ROWS", "20"),
        ("ROCKET_TASK_WORKERS", "1"),
    ];
    let server = Server::start(&database, &env);
    let s = server.login("liusn", DEMO_PASSWORD);
    let (status, body) = server.post(
        &format!("/api/asset/{s}"),
        &rows("重启", 50_000).to_string(),
    );
    assert_eq!(status, 200, "{body}");
    let id = body["data"]["id"].as_i64().unwrap();
    let (status, body) = server.post(&format!("/api/async_task/{s}/{id}/cancel"), "{}");
    assert_eq!(status, 200, "{body}");
    server.kill();
    // What ran before the kill stays; nothing more runs after the restart.
    let conn = rusqlite::Connection::open(&database).unwrap();
    let before: i64 = conn
        .query_row(
            "SELECT count(*) FROM asset WHERE name LIKE '重启%'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    drop(conn);
    let server = Server::start(&database, &env);
    let s = server.login("liusn", DEMO_PASSWORD);
    let task = server.wait_task(&s, id);
    assert_eq!(task["finish"], 2, "{task}");
    assert_eq!(task["number_succeed"], json!(before), "{task}");
    assert_eq!(task["number_failed"], json!(50_000 - before), "{task}");
    server.kill();
}

#[test]
fn finished_tasks_past_retention_lose_their_data_and_keep_their_counters() {
    let app = App::with(&[
        ("task_retention_days", json!(30)),
        ("task_prune_interval_secs", json!(1)),
    ]);
    let s = app.demo("liusn");
    let mut bad = common::row("坏", "liusn", "CST");
    bad["count"] = json!(0);
    let old = app.import(&s, &json!([common::row("好", "liusn", "CST"), bad.clone()]));
    let old = old["id"].as_i64().unwrap();
    let recent = app.import(&s, &json!([bad]))["id"].as_i64().unwrap();
    let export = submit(&app, &s, "/api/export_task", &json!([1]));
    app.wait_task(&s, export);
    // The clock moves: the first import and the export ended 31 days ago.
    let conn = rusqlite::Connection::open(app.db_path()).unwrap();
    conn.execute(
        "UPDATE task SET finish_time = datetime('now', 'localtime', '-31 days') WHERE id IN (?1, ?2)",
        [old, export],
    )
    .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let task = app.get(&format!("/api/async_task/{s}/{old}")).ok().clone();
        if task["pruned"] == true {
            // The task and its counters stay.
            assert_eq!(
                (&task["number_succeed"], &task["number_failed"]),
                (&json!(1), &json!(1))
            );
            break;
        }
        assert!(std::time::Instant::now() < deadline, "never pruned: {task}");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let gone = "该异步任务的数据已清除（超过保留期限或已被删除）";
    app.get(&format!("/failed_task/{s}/{old}"))
        .err(410, 13, gone);
    app.put(&format!("/failed_task/{s}/{old}"), &json!([{}]))
        .err(410, 13, gone);
    app.get(&format!("/api/async_task/{s}/{old}/file?format=csv"))
        .err(410, 13, gone);
    let left: i64 = conn
        .query_row(
            "SELECT (SELECT count(*) FROM task_failure WHERE task_id IN (?1, ?2))
                  + (SELECT count(*) FROM export_chunk WHERE task_id IN (?1, ?2))",
            [old, export],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(left, 0);
    let wait_pruned = |id: i64| {
        while app.get(&format!("/api/async_task/{s}/{id}")).ok()["pruned"] != true {
            assert!(
                std::time::Instant::now() < deadline,
                "task {id} never pruned"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    };
    wait_pruned(export);
    // Retention's deletion is told apart from a user's.
    let removed = app.get(&format!("/api/async_task/{s}/{export}")).ok()["removed"].clone();
    assert_eq!(removed, "retention");
    // The asset history outlives the task's data: 好's creation is still told.
    let good = app.assets(&s)[0]["id"].as_i64().unwrap();
    let history = app.get(&format!("/api/asset_history/{s}/{good}"));
    assert_eq!(history.ok()[0]["kind"], "imported");
    assert_eq!(history.ok()[0]["task"], old);
    app.get(&format!("/api/export_task/{s}/{export}"))
        .err(410, 13, gone);
    // The recent one keeps its failed rows, until deleted on request.
    assert_eq!(
        app.get(&format!("/failed_task/{s}/{recent}"))
            .ok()
            .as_array()
            .unwrap()
            .len(),
        1
    );
    app.delete(&format!("/api/async_task/{s}/{recent}")).ok();
    assert_eq!(
        app.get(&format!("/api/async_task/{s}/{recent}")).ok()["pruned"],
        true
    );
    app.get(&format!("/failed_task/{s}/{recent}"))
        .err(410, 13, gone);
    // A running task's data cannot be deleted.
    let running = submit(&app, &s, "/api/asset", &rows("运行", 20_000));
    let a = app.delete(&format!("/api/async_task/{s}/{running}"));
    if app.get(&format!("/api/async_task/{s}/{running}")).ok()["finish"] == 0 {
        assert_eq!(a.code(), 9, "{:?}", a.body);
    }
    app.wait_task(&s, running);
}
