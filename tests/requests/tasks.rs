//! A request of more than a batch of lines (`task_batch_rows`) is approved, and taken back, by a
//! task on the engine: the request is 执行中 (撤销中) while the task works through its lines a
//! batch per transaction, the task shows progress and kind, each line not done is one of its
//! failed rows with its reason, and every executed line's history entry names the request and
//! the task. The SIGKILL test on the real binary is `approval_task_survives_sigkill`.

use crate::common::{row, App};
use crate::kinds::{act, ask, asset, demo_sessions};
use serde_json::{json, Value};

/// Lines of the demo company's test requests: every fifth asks 4 of the asset's 10.
fn lines_for(ids: &[i64]) -> Vec<Value> {
    ids.iter()
        .enumerate()
        .map(|(i, id)| match i % 5 {
            0 => json!({"asset": id, "count": 4}),
            _ => json!({"asset": id}),
        })
        .collect()
}

/// Imports `n` assets of liusn in CST named `prefix`000…, ten each; returns their ids in order.
fn chairs(app: &App, admin: &str, prefix: &str, n: usize) -> Vec<i64> {
    let rows: Vec<Value> = (0..n)
        .map(|i| row(&format!("{prefix}{i:03}"), "liusn", "CST"))
        .collect();
    let task = app.import(admin, &Value::from(rows));
    assert_eq!(task["number_succeed"], n, "{task}");
    let mut ids: Vec<(String, i64)> = app
        .assets(admin)
        .iter()
        .filter_map(|a| {
            let name = a["name"].as_str()?;
            name.starts_with(prefix)
                .then(|| (name.to_owned(), a["id"].as_i64().unwrap()))
        })
        .collect();
    ids.sort();
    ids.into_iter().map(|(_, id)| id).collect()
}

#[test]
fn a_request_of_many_lines_is_approved_and_undone_by_tasks() {
    const LINES: usize = 150;
    let app = App::with(&[("task_batch_rows", json!(40))]);
    let (admin, liusn, zhangsan) = demo_sessions(&app);
    app.add_software_manager(&admin);
    let ids = chairs(&app, &admin, "椅子", LINES);
    let request = ask(
        &app,
        &liusn,
        &json!({"kind": "调拨", "target_department": "软件组", "lines": lines_for(&ids)}),
    );
    // Two assets are retired after they were asked for: their lines are not executed.
    app.put(
        &format!("/api/expire_asset/{admin}"),
        &json!([ids[7], ids[77]]),
    )
    .ok();

    let approved = act(&app, &admin, request, "approve");
    let data = approved.ok().clone();
    assert_eq!(data["state_label"], "执行中", "{data}");
    assert_eq!(data["line_counts"]["pending"], LINES, "{data}");
    let task = data["task"].as_i64().expect("an approval task");
    // The task is the reviewer's, of its own kind, naming the request.
    let done = app.wait_task(&admin, task);
    assert_eq!(
        (
            &done["kind"],
            &done["request"],
            &done["number_need"],
            &done["number_succeed"],
            &done["number_failed"],
            &done["finish"],
            &done["manager"]
        ),
        (
            &json!("approval"),
            &json!(request),
            &json!(LINES),
            &json!(LINES - 2),
            &json!(2),
            &json!(2),
            &json!("sysadmin")
        ),
        "{done}"
    );
    assert_eq!(
        done["actions"],
        json!(["delete_data", "download"]),
        "{done}"
    );
    let listed = app.get(&format!(
        "/api/async_task/{admin}?type=approval&page=1&size=10"
    ));
    assert_eq!(listed.ok()[0]["id"], task, "{}", listed.body);

    // The request ended 已通过, with its two stale lines and why.
    let detail = app.get(&format!("/api/requests/{admin}/{request}"));
    let d = detail.ok();
    assert_eq!(d["state_label"], "已通过", "{d}");
    assert_eq!(
        d["line_counts"],
        json!({"pending": 0, "executed": LINES - 2, "not_executed": 2, "undone": 0})
    );
    assert_eq!(d["lines"][7]["invalid"], "资产已清退");
    // …which are the task's failed rows, naming the asset, its count and the line.
    let failed = app.get(&format!("/failed_task/{admin}/{task}?page=1&size=10"));
    let rows = failed.body["data"].as_array().cloned().unwrap_or_default();
    let named: Vec<(Value, Value)> = rows
        .iter()
        .map(|r| (r["id"].clone(), r["message"].clone()))
        .collect();
    assert_eq!(
        named,
        [
            (json!(ids[7]), json!("第8项：资产已清退")),
            (json!(ids[77]), json!("第78项：资产已清退"))
        ],
        "{}",
        failed.body
    );

    // Each executed asset moved once, its history naming the request and the task.
    for (i, id) in ids.iter().enumerate() {
        if i == 7 || i == 77 {
            continue;
        }
        let moved = if i % 5 == 0 {
            let part = d["lines"][i]["split_asset"].as_i64().unwrap();
            let rest = asset(&app, &admin, *id);
            assert_eq!(
                (&rest["count"], &rest["departmentName"]),
                (&json!(6), &json!("CST"))
            );
            part
        } else {
            *id
        };
        let h = app.get(&format!(
            "/api/asset_history/{admin}/{moved}?page=1&size=100"
        ));
        let allocated: Vec<&Value> = h
            .ok()
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] == "allocated")
            .collect();
        assert_eq!(allocated.len(), 1, "line {}: {}", i + 1, h.body);
        assert_eq!(
            (
                &allocated[0]["request"],
                &allocated[0]["task"],
                &allocated[0]["source"]
            ),
            (
                &json!(request),
                &json!(task),
                &json!(format!("申请 #{request}"))
            )
        );
        assert_eq!(asset(&app, &admin, moved)["departmentName"], "软件组");
    }
    crate::files::assert_kept_counts_agree(&app);

    // Staff may not see the reviewer's task; an approval task is not undone as a task.
    app.get(&format!("/api/async_task/{zhangsan}/{task}"))
        .err(403, 1, "你无此权限");
    app.post(&format!("/api/async_task/{admin}/{task}/undo"), &json!({}))
        .err(400, 15, "申请的执行在申请中撤销（撤销此申请）");

    // Taken back by a task as well: 撤销中, then 已撤销, every executed line once.
    let undoing = act(&app, &admin, request, "undo");
    let u = undoing.ok().clone();
    assert_eq!(u["state_label"], "撤销中", "{u}");
    let undo_task = u["undo_task"].as_i64().expect("an undo task");
    // Asked again while (or after) the task runs: refused.
    let again = act(&app, &admin, request, "undo");
    let info = again.body["info"].as_str().unwrap_or_default().to_owned();
    assert!(
        again.body["code"] == 20
            && (info == "只有已通过的申请可以撤销（该申请撤销中）"
                || info == "只有已通过的申请可以撤销（该申请已撤销）"),
        "{}",
        again.body
    );
    let undone = app.wait_task(&admin, undo_task);
    assert_eq!(
        (
            &undone["kind"],
            &undone["number_need"],
            &undone["number_succeed"],
            &undone["finish"]
        ),
        (
            &json!("request_undo"),
            &json!(LINES - 2),
            &json!(LINES - 2),
            &json!(1)
        ),
        "{undone}"
    );
    app.post(
        &format!("/api/async_task/{admin}/{undo_task}/cancel"),
        &json!({}),
    )
    .err(400, 20, "撤销任务不能取消");
    let d = app.get(&format!("/api/requests/{admin}/{request}"));
    assert_eq!(d.ok()["state_label"], "已撤销");
    assert_eq!(d.ok()["line_counts"]["undone"], LINES - 2);
    // Every asset is back in CST, whole: the parts split off were merged back.
    let back: Vec<Value> = app
        .assets(&admin)
        .into_iter()
        .filter(|a| a["name"].as_str().is_some_and(|n| n.starts_with("椅子")))
        .collect();
    assert_eq!(back.len(), LINES);
    for a in &back {
        assert_eq!(
            (&a["departmentName"], &a["count"]),
            (&json!("CST"), &json!(10)),
            "{a}"
        );
    }
    crate::files::assert_kept_counts_agree(&app);
}

#[test]
fn a_request_within_a_batch_is_still_approved_at_once() {
    let app = App::with(&[("task_batch_rows", json!(40))]);
    let (admin, liusn, _) = demo_sessions(&app);
    app.add_software_manager(&admin);
    let ids = chairs(&app, &admin, "书桌", 40);
    let request = ask(
        &app,
        &liusn,
        &json!({"kind": "调拨", "target_department": "软件组", "lines": lines_for(&ids)}),
    );
    let approved = act(&app, &admin, request, "approve");
    let data = approved.ok();
    assert_eq!(data["state_label"], "已通过", "{data}");
    assert_eq!(data["task"], Value::Null);
    assert_eq!(data["line_counts"]["executed"], 40);
    let undone = act(&app, &admin, request, "undo");
    assert_eq!(undone.ok()["state_label"], "已撤销");
    assert_eq!(undone.ok()["undo_task"], Value::Null);
    let tasks = app.get(&format!("/api/async_task/{admin}?type=3&page=1&size=10"));
    assert_eq!(tasks.body["total"], 0, "{}", tasks.body);
}
