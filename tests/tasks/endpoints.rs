//! The seed's six task endpoints through HTTP: every code and message of SPEC §7, who may see
//! which task, and the task record. Rows and re-runs: import.rs; exports: export.rs.

use crate::common;

use common::{item, row, App, ADMIN_PASSWORD};
use serde_json::{json, Value};

/// Both spellings of the failed-rows path.
const FAILED_PATHS: [&str; 2] = ["/failed_task", "/api/failed_task"];

/// Posts a task (import or export) without waiting; returns its id.
fn submit(app: &App, path: &str, session: &str, body: &Value) -> i64 {
    app.post(&format!("{path}/{session}"), body).ok()["id"]
        .as_i64()
        .expect("task id")
}

fn task_ids(app: &App, session: &str) -> Vec<i64> {
    app.get(&format!("/api/async_task/{session}"))
        .ok()
        .as_array()
        .expect("task list")
        .iter()
        .map(|t| t["id"].as_i64().expect("id"))
        .collect()
}

/// A row that fails with 资产数量不可小于1.
fn bad_row(name: &str) -> Value {
    let mut r = row(name, "liusn", "CST");
    r["count"] = json!(0);
    r
}

#[test]
fn import_creates_assets_and_records_failed_rows() {
    let app = App::new();
    let s = app.demo("liusn");
    let task = app.import(
        &s,
        &json!([row("椅子", "liusn", "CST"), bad_row("坏行"), item("电脑")]),
    );
    assert_eq!(task["number_need"], 3);
    assert_eq!(task["number_succeed"], 2);
    assert_eq!(task["number_failed"], 1);
    assert_eq!(task["number_done"], 3);
    assert_eq!(task["finish"], 2);
    assert_eq!(task["port_type"], 1);
    assert_eq!(task["manager"], "liusn");
    let failed = app.get(&format!("/failed_task/{s}/{}", task["id"]));
    let failed = failed.ok().as_array().unwrap().clone();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["name"], "坏行");
    assert_eq!(failed[0]["message"], "资产数量不可小于1");
    assert_eq!(app.assets(&s).len(), 2);
}

#[test]
fn failed_task_codes_on_both_paths() {
    let app = App::new();
    let s = app.demo("liusn");
    let import = app.import(&s, &json!([row("椅子", "liusn", "CST"), bad_row("坏行")]))["id"]
        .as_i64()
        .unwrap();
    let export = submit(&app, "/api/export_task", &s, &json!([1]));
    app.wait_task(&s, export);
    let before = app.digest();

    for path in FAILED_PATHS {
        for id in ["999999", "abc", "-1", "1.5", "0"] {
            app.get(&format!("{path}/{s}/{id}"))
                .err(404, 6, "对应id的异步任务不存在");
            app.put(&format!("{path}/{s}/{id}"), &json!([]))
                .err(404, 6, "对应id的异步任务不存在");
        }
        app.get(&format!("{path}/{s}/{export}"))
            .err(400, 8, "不能通过此API获取导出的异步任务");
        app.put(&format!("{path}/{s}/{export}"), &json!([])).err(
            400,
            8,
            "不能通过此API重新评测某导出任务",
        );
        // One failed row: any other length is refused.
        for body in [
            json!([]),
            json!([row("a", "liusn", "CST"), row("b", "liusn", "CST")]),
        ] {
            app.put(&format!("{path}/{s}/{import}"), &body).err(
                400,
                8,
                "新传入的POST资产信息一定要与之前的失败信息长度相同",
            );
        }
        let failed = app.get(&format!("{path}/{s}/{import}"));
        let failed = failed.ok().as_array().unwrap().clone();
        assert_eq!(failed.len(), 1);
        assert_eq!(failed[0]["message"], "资产数量不可小于1");
    }
    // The refused calls changed nothing.
    assert_eq!(app.digest(), before);
}

#[test]
fn failed_task_put_with_a_body_that_is_not_an_array() {
    let app = App::new();
    let s = app.demo("liusn");
    let id = app.import(&s, &json!([bad_row("坏行")]))["id"]
        .as_i64()
        .unwrap();
    let before = app.digest();
    for path in FAILED_PATHS {
        app.put(&format!("{path}/{s}/{id}"), &json!({"rows": []}))
            .err(
                400,
                -2,
                "缺少字段或类型错误：[body]（请求体必须是JSON数组）",
            );
        app.put_raw(&format!("{path}/{s}/{id}"), "[{")
            .err(400, -2, "请求体不是合法的JSON");
    }
    assert_eq!(app.digest(), before);
}

/// PUT while the task runs answers code 9, before the length is even looked at. A task big
/// enough to still be running is needed: if it finished before the PUT arrived, try again
/// with twice the rows.
#[test]
fn rerun_while_running_answers_9_before_the_length() {
    let app = App::new();
    let s = app.demo("liusn");
    let mut rows = 50_000;
    for attempt in 1.. {
        let body: Vec<Value> = (0..rows)
            .map(|i| row(&format!("运行中{attempt}-{i}"), "liusn", "CST"))
            .collect();
        let id = submit(&app, "/api/asset", &s, &Value::Array(body));
        // The task has no failed rows, so a body of one element also has the wrong length.
        let answers: Vec<_> = FAILED_PATHS
            .iter()
            .map(|path| app.put(&format!("{path}/{s}/{id}"), &json!([{}])))
            .collect();
        let task = app.wait_task(&s, id);
        assert_eq!(task["finish"], 1, "{task}");
        assert_eq!(task["number_need"], rows);
        assert_eq!(
            task["number_succeed"], rows,
            "a refused PUT changed the task"
        );
        let running = answers.iter().all(|a| a.code() == 9);
        for a in &answers {
            if a.code() == 9 {
                a.err(400, 9, "该异步任务正在执行，请稍后再试");
            } else {
                a.err(400, 8, "新传入的POST资产信息一定要与之前的失败信息长度相同");
            }
        }
        if running {
            return;
        }
        assert!(attempt < 5, "the task always finished before the PUT");
        rows *= 2;
    }
}

#[test]
fn export_records_codes() {
    let app = App::new();
    let s = app.demo("liusn");
    let import = app.import(&s, &json!([row("椅子", "liusn", "CST")]))["id"]
        .as_i64()
        .unwrap();
    app.get(&format!("/api/export_task/{s}/{import}")).err(
        400,
        4,
        "该API只可用于查看导出异步任务的成功记录",
    );
    // The failed list of an export answers the same codes as its records.
    app.get(&format!("/api/export_task/{s}/{import}/failed"))
        .err(400, 4, "该API只可用于查看导出异步任务的成功记录");
    for id in ["999999", "abc", "-3", "0"] {
        app.get(&format!("/api/export_task/{s}/{id}"))
            .err(404, 6, "对应id的异步任务不存在");
        app.get(&format!("/api/export_task/{s}/{id}/failed"))
            .err(404, 6, "对应id的异步任务不存在");
    }
    for id in ["999999", "abc"] {
        app.get(&format!("/api/async_task/{s}/{id}"))
            .err(404, 6, "对应id的异步任务不存在");
    }
}

#[test]
fn another_entitys_tasks_do_not_exist() {
    let app = App::new();
    let (admin2, wangwu, foreign_asset) = app.second_entity();
    let mut bad = row("外企坏行", "wangwu", "销售部");
    bad["count"] = json!(0);
    let import = app.import(&wangwu, &json!([row("外企椅子", "wangwu", "销售部"), bad]))["id"]
        .as_i64()
        .unwrap();
    let export = submit(&app, "/api/export_task", &wangwu, &json!([foreign_asset]));
    app.wait_task(&wangwu, export);

    let liusn = app.demo("liusn");
    let sysadmin = app.demo("sysadmin");
    let own = app.import(&liusn, &json!([bad_row("本企坏行")]))["id"]
        .as_i64()
        .unwrap();
    let before = app.digest();
    for s in [&liusn, &sysadmin] {
        for id in [import, export] {
            app.get(&format!("/api/async_task/{s}/{id}"))
                .err(404, 6, "对应id的异步任务不存在");
            app.get(&format!("/api/export_task/{s}/{id}"))
                .err(404, 6, "对应id的异步任务不存在");
            app.get(&format!("/api/export_task/{s}/{id}/failed")).err(
                404,
                6,
                "对应id的异步任务不存在",
            );
            for path in FAILED_PATHS {
                app.get(&format!("{path}/{s}/{id}"))
                    .err(404, 6, "对应id的异步任务不存在");
                // A body of the right length, so only the entity check can refuse it.
                app.put(
                    &format!("{path}/{s}/{id}"),
                    &json!([row("x", "liusn", "CST")]),
                )
                .err(404, 6, "对应id的异步任务不存在");
            }
        }
        assert_eq!(task_ids(&app, s), vec![own]);
    }
    // And the other way round.
    for s in [&admin2, &wangwu] {
        assert_eq!(task_ids(&app, s), vec![import, export]);
        app.get(&format!("/api/async_task/{s}/{own}"))
            .err(404, 6, "对应id的异步任务不存在");
        for path in FAILED_PATHS {
            app.get(&format!("{path}/{s}/{own}"))
                .err(404, 6, "对应id的异步任务不存在");
            app.put(&format!("{path}/{s}/{own}"), &json!([{}])).err(
                404,
                6,
                "对应id的异步任务不存在",
            );
        }
        app.get(&format!("/api/export_task/{s}/{own}"))
            .err(404, 6, "对应id的异步任务不存在");
    }
    assert_eq!(app.digest(), before);
    // The owner still sees its failed row untouched.
    let failed = app.get(&format!("/failed_task/{wangwu}/{import}"));
    assert_eq!(failed.ok()[0]["name"], "外企坏行");
}

#[test]
fn tasks_are_for_managers_and_system_admins_of_the_entity() {
    let app = App::new();
    let liusn = app.demo("liusn");
    let sysadmin = app.demo("sysadmin");
    let by_liusn = app.import(&liusn, &json!([bad_row("坏行")]))["id"]
        .as_i64()
        .unwrap();
    let by_admin = app.import(&sysadmin, &json!([row("椅子", "liusn", "CST")]))["id"]
        .as_i64()
        .unwrap();
    let list = app.get(&format!("/api/async_task/{sysadmin}")).ok().clone();
    assert_eq!(task_ids(&app, &sysadmin), vec![by_liusn, by_admin]);
    assert_eq!(list[0]["manager"], "liusn");
    assert_eq!(list[1]["manager"], "sysadmin");
    // The system admin works with the manager's task like its own; an asset manager sees only
    // the tasks of their department scope (README: task visibility), not the admin's.
    let failed = app.get(&format!("/api/failed_task/{sysadmin}/{by_liusn}"));
    assert_eq!(failed.ok()[0]["name"], "坏行");
    assert_eq!(task_ids(&app, &liusn), vec![by_liusn]);
    app.get(&format!("/api/async_task/{liusn}/{by_admin}"))
        .err(404, 6, "对应id的异步任务不存在");

    let staff = app.demo("zhangsan");
    let root = app.login("admin", ADMIN_PASSWORD);
    let before = app.digest();
    for s in [&staff, &root] {
        let forbidden = |a: common::Answer| a.err(403, 1, "你无此权限");
        forbidden(app.get(&format!("/api/async_task/{s}")));
        forbidden(app.get(&format!("/api/async_task/{s}/{by_liusn}")));
        forbidden(app.post(
            &format!("/api/asset/{s}"),
            &json!([row("x", "liusn", "CST")]),
        ));
        forbidden(app.post(&format!("/api/export_task/{s}"), &json!([1])));
        forbidden(app.get(&format!("/api/export_task/{s}/{by_liusn}")));
        for path in FAILED_PATHS {
            forbidden(app.get(&format!("{path}/{s}/{by_liusn}")));
            forbidden(app.put(&format!("{path}/{s}/{by_liusn}"), &json!([{}])));
        }
    }
    assert_eq!(app.digest(), before);
}

/// "YYYY-MM-DD HH:MM:SS", zero-padded.
fn is_task_time(s: &str) -> bool {
    chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S")
        .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string() == s)
        .unwrap_or(false)
}

#[test]
fn task_records_have_the_api_fields_in_id_order() {
    let app = App::new();
    let s = app.demo("liusn");
    let admin = app.demo("sysadmin");
    let first = app.import(&s, &json!([row("椅子", "liusn", "CST"), bad_row("坏行")]));
    let asset = app.assets(&s)[0]["id"].as_i64().unwrap();
    let export = submit(
        &app,
        "/api/export_task",
        &admin,
        &json!([asset, 999999, asset]),
    );
    app.wait_task(&admin, export);
    let empty = submit(&app, "/api/asset", &s, &json!([]));
    let good = app.import(&s, &json!([item("电脑"), item("键盘")]));

    // The system admin sees every task of the entity (the manager not the admin's export).
    let list = app.get(&format!("/api/async_task/{admin}")).ok().clone();
    let list = list.as_array().unwrap();
    let expected = [
        // (id, manager, need, succeed, finish, port_type, failed)
        (first["id"].as_i64().unwrap(), "liusn", 2, 1, 2, 1, 1),
        (export, "sysadmin", 3, 2, 2, 0, 1),
        (empty, "liusn", 0, 0, 1, 1, 0),
        (good["id"].as_i64().unwrap(), "liusn", 2, 2, 1, 1, 0),
    ];
    // What each may be done with now: an import that wrote something can be undone, one with
    // failed rows fixed and run again; an empty one only has its (empty) data to delete.
    let actions: [&[&str]; 4] = [
        &["undo", "rerun", "edit_failed", "delete_data", "download"],
        &["delete_data", "download"],
        &["delete_data"],
        &["undo", "delete_data"],
    ];
    for (task, actions) in list.iter().zip(actions) {
        assert_eq!(task["actions"], json!(actions), "{task}");
    }
    assert_eq!(list.len(), expected.len());
    for (task, (id, manager, need, succeed, finish, port_type, failed)) in list.iter().zip(expected)
    {
        let mut keys: Vec<&str> = task.as_object().unwrap().keys().map(|k| &**k).collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "actions",
                "as_of",
                "cancelled",
                "confirmed",
                "create_time",
                "dry_run",
                "file_name",
                "finish",
                "finish_time",
                "id",
                "kind",
                "labels",
                "manager",
                "number_created",
                "number_done",
                "number_failed",
                "number_need",
                "number_succeed",
                "number_unchanged",
                "number_updated",
                "port_type",
                "pruned",
                "removed",
                "request",
                "start_time",
                "stocktake",
                "undo_of",
                "undone_by",
                "unread_columns"
            ],
            "{task}"
        );
        // Issue 11: when it ran and ended, and (from a file) its name.
        assert!(
            is_task_time(task["finish_time"].as_str().unwrap()),
            "{task}"
        );
        assert_eq!(task["file_name"], Value::Null, "{task}");
        assert_eq!(
            (&task["cancelled"], &task["pruned"]),
            (&json!(false), &json!(false))
        );
        assert_eq!(task["id"], id);
        assert_eq!(task["manager"], manager);
        assert!(
            is_task_time(task["create_time"].as_str().unwrap()),
            "{task}"
        );
        assert_eq!(task["number_need"], need, "{task}");
        assert_eq!(task["number_succeed"], succeed, "{task}");
        assert_eq!(task["finish"], finish, "{task}");
        assert_eq!(task["port_type"], port_type, "{task}");
        assert_eq!(task["number_failed"], failed, "{task}");
        assert_eq!(task["number_done"], succeed + failed, "{task}");
        // One task's record is the same object as its row in the list.
        assert_eq!(app.get(&format!("/api/async_task/{admin}/{id}")).ok(), task);
    }
    let ids: Vec<i64> = list.iter().map(|t| t["id"].as_i64().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
}

#[test]
fn an_empty_import_is_a_finished_task_and_a_non_array_body_creates_none() {
    let app = App::new();
    let s = app.demo("liusn");
    let id = submit(&app, "/api/asset", &s, &json!([]));
    // Done at once: no waiting needed.
    let task = app.get(&format!("/api/async_task/{s}/{id}")).ok().clone();
    assert_eq!(task["finish"], 1);
    assert_eq!(task["number_need"], 0);
    assert_eq!(task["number_succeed"], 0);
    assert_eq!(task["number_done"], 0);
    assert_eq!(app.get(&format!("/failed_task/{s}/{id}")).ok(), &json!([]));
    // With no failed rows, an empty re-run is the right length and changes nothing.
    app.put(&format!("/failed_task/{s}/{id}"), &json!([])).ok();
    assert_eq!(app.wait_task(&s, id), task);

    let before = app.table_counts();
    for path in ["/api/asset", "/api/export_task"] {
        for body in [
            json!({}),
            json!({"rows": [1]}),
            json!("[]"),
            json!(1),
            json!(null),
        ] {
            app.post(&format!("{path}/{s}"), &body).err(
                400,
                -2,
                "缺少字段或类型错误：[body]（请求体必须是JSON数组）",
            );
        }
        // The seed's own example shape: an object, so "not an array" is the helpful answer.
        app.post_raw(&format!("{path}/{s}"), "{ [ 1, 2, ] }").err(
            400,
            -2,
            "缺少字段或类型错误：[body]（请求体必须是JSON数组）",
        );
        for body in ["", "not json", "[1,", "[1] [2]", "[1, 2, ]"] {
            app.post_raw(&format!("{path}/{s}"), body)
                .err(400, -2, "请求体不是合法的JSON");
        }
    }
    assert_eq!(app.table_counts(), before);
    assert_eq!(task_ids(&app, &s), vec![id]);
}

#[test]
fn the_session_is_checked_before_the_id_and_the_body() {
    let app = App::new();
    let s = app.demo("liusn");
    let id = app.import(&s, &json!([bad_row("坏行")]))["id"]
        .as_i64()
        .unwrap();
    let unknown = "A".repeat(32);
    for (session, status, code, info) in [
        ("short", 401, 2, "用户的会话标识符信息不正确"),
        (
            "0123456789abcdef0123456789abcde_",
            401,
            2,
            "用户的会话标识符信息不正确",
        ),
        (&*unknown, 401, 1, "你无此权限"),
    ] {
        let check = |a: common::Answer| a.err(status, code, info);
        check(app.get(&format!("/api/async_task/{session}")));
        check(app.get(&format!("/api/async_task/{session}/{id}")));
        check(app.get(&format!("/api/async_task/{session}/abc")));
        check(app.post_raw(&format!("/api/asset/{session}"), "not json"));
        check(app.post_raw(&format!("/api/export_task/{session}"), "{}"));
        check(app.get(&format!("/api/export_task/{session}/{id}")));
        for path in FAILED_PATHS {
            check(app.get(&format!("{path}/{session}/{id}")));
            check(app.get(&format!("{path}/{session}/999999")));
            check(app.put_raw(&format!("{path}/{session}/{id}"), "not json"));
        }
    }
    // The logged-out session of a real user is no session.
    app.put("/api/logout", &json!({"session": s})).ok();
    app.get(&format!("/api/async_task/{s}"))
        .err(401, 1, "你无此权限");
    app.get(&format!("/failed_task/{s}/{id}"))
        .err(401, 1, "你无此权限");
}
