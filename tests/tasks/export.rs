//! Export tasks through HTTP: which ids succeed, the stored asset views and their order, and that
//! a snapshot stays as it was taken.

use crate::common;

use common::{item, row, App};
use serde_json::{json, Value};

/// The asset view's fields (SPEC §5), sorted.
const VIEW_FIELDS: [&str; 19] = [
    "assetClass",
    "assetTree",
    "count",
    "create_time",
    "deadline",
    "departmentName",
    "description",
    "expire",
    "expire_date",
    "id",
    "initial_price",
    "name",
    "parentName",
    "position",
    "price",
    "status",
    "userName",
    "warning_amount",
    "warning_date",
];

/// The asset as search shows it now.
fn view(app: &App, session: &str, id: i64) -> Value {
    let found = app.post(
        &format!("/api/search_assets/{session}"),
        &json!({"id": id, "page": 1}),
    );
    let found = found.ok().as_array().unwrap().clone();
    assert_eq!(found.len(), 1, "asset {id}");
    found[0].clone()
}

/// Runs an export to its end; returns (task record, records).
fn export(app: &App, session: &str, ids: &Value) -> (Value, Vec<Value>) {
    let id = app.post(&format!("/api/export_task/{session}"), ids).ok()["id"]
        .as_i64()
        .unwrap();
    let task = app.wait_task(session, id);
    let records = app.get(&format!("/api/export_task/{session}/{id}"));
    (task, records.ok().as_array().unwrap().clone())
}

/// A department next to CST, with a staff member and one asset, made by the system admin.
fn other_department(app: &App) -> i64 {
    let admin = app.demo("sysadmin");
    app.staff_in(&admin, ("财务部", ""), "qianqi");
    app.create_asset(&admin, &row("财务资产", "qianqi", "财务部"))
}

#[test]
fn export_snapshots_what_the_caller_may_manage_in_request_order() {
    let app = App::new();
    let (_, _, foreign) = app.second_entity();
    let elsewhere = other_department(&app);
    let s = app.demo("liusn");
    let chairs = app.create_asset(&s, &row("椅子", "liusn", "CST"));
    let mut computer = item("电脑");
    computer["description"] = json!("十五寸");
    computer["position"] = json!("二楼");
    let computer = app.create_asset(&s, &computer);
    let old = app.create_asset(&s, &item("旧电脑"));
    app.put(&format!("/api/expire_asset/{s}"), &json!([old]))
        .ok();
    let expected = vec![
        view(&app, &s, chairs),
        view(&app, &s, computer),
        view(&app, &s, old),
        view(&app, &s, chairs),
    ];

    let (task, records) = export(
        &app,
        &s,
        &json!([
            chairs,
            computer.to_string(),
            old,
            foreign,
            999_999,
            elsewhere,
            "x",
            1.5,
            null,
            {},
            format!(" {chairs} "),
        ]),
    );
    assert_eq!(task["port_type"], 0);
    assert_eq!(task["manager"], "liusn");
    assert_eq!(task["finish"], 2);
    assert_eq!(task["number_need"], 11);
    assert_eq!(task["number_succeed"], 4);
    assert_eq!(task["number_failed"], 7);
    assert_eq!(task["number_done"], 11);
    assert_eq!(records, expected);
    for r in &records {
        let mut keys: Vec<&str> = r.as_object().unwrap().keys().map(|k| &**k).collect();
        keys.sort_unstable();
        assert_eq!(keys, VIEW_FIELDS, "{r}");
    }
    assert_eq!(records[0]["name"], "椅子");
    assert_eq!(records[0]["count"], 10);
    assert_eq!(records[0]["initial_price"], 10.0);
    assert_eq!(records[1]["description"], "十五寸");
    assert_eq!(records[1]["position"], "二楼");
    // A retired asset is exported too, worth nothing.
    assert_eq!(records[2]["name"], "旧电脑");
    assert_eq!(records[2]["expire"], 1);
    assert_eq!(records[2]["price"], 0.0);
    // Export failures are not failed import rows.
    let id = task["id"].as_i64().unwrap();
    app.get(&format!("/failed_task/{s}/{id}"))
        .err(400, 8, "不能通过此API获取导出的异步任务");
    // They have their own list: each element as sent, with the reason, in request order.
    let failed = app.get(&format!("/api/export_task/{s}/{id}/failed"));
    assert_eq!(
        failed.ok(),
        &json!([
            {"value": foreign, "message": "资产不存在"},
            {"value": 999_999, "message": "资产不存在"},
            {"value": elsewhere, "message": "无权导出该资产"},
            {"value": "x", "message": "资产编号不合法"},
            {"value": 1.5, "message": "资产编号不合法"},
            {"value": null, "message": "资产编号不合法"},
            {"value": {}, "message": "资产编号不合法"},
        ])
    );

    // The snapshot is the asset as it was: later changes do not reach it.
    app.put(
        &format!("/api/asset/{s}"),
        &json!({"id": chairs, "name": "改名椅子", "price": 55, "description": "新"}),
    )
    .ok();
    app.put(&format!("/api/expire_asset/{s}"), &json!([computer]))
        .ok();
    assert_eq!(view(&app, &s, chairs)["name"], "改名椅子");
    assert_eq!(view(&app, &s, computer)["expire"], 1);
    let again = app.get(&format!("/api/export_task/{s}/{id}"));
    assert_eq!(again.ok(), &json!(expected));
}

#[test]
fn the_system_admin_exports_every_department_of_its_entity() {
    let app = App::new();
    let (_, _, foreign) = app.second_entity();
    let elsewhere = other_department(&app);
    let s = app.demo("liusn");
    let chairs = app.create_asset(&s, &row("椅子", "liusn", "CST"));
    let admin = app.demo("sysadmin");
    let (task, records) = export(&app, &admin, &json!([elsewhere, foreign, chairs]));
    assert_eq!(task["manager"], "sysadmin");
    assert_eq!(task["number_succeed"], 2);
    assert_eq!(task["number_failed"], 1);
    assert_eq!(
        records,
        vec![view(&app, &admin, elsewhere), view(&app, &admin, chairs)]
    );
    assert_eq!(records[0]["departmentName"], "财务部");
    assert_eq!(records[0]["userName"], "qianqi");
    // The manager's export of the same ids: only its own department's asset.
    let (task, records) = export(&app, &s, &json!([elsewhere, foreign, chairs]));
    assert_eq!(task["number_succeed"], 1);
    assert_eq!(task["number_failed"], 2);
    assert_eq!(records, vec![view(&app, &s, chairs)]);
}

#[test]
fn exports_of_nothing_or_only_bad_ids() {
    let app = App::new();
    let s = app.demo("liusn");
    let (task, records) = export(&app, &s, &json!([]));
    assert_eq!(task["finish"], 1);
    assert_eq!(task["number_need"], 0);
    assert!(records.is_empty());
    let (task, records) = export(&app, &s, &json!([0, -1, "", "abc", [1], true]));
    assert_eq!(task["finish"], 2);
    assert_eq!(task["number_need"], 6);
    assert_eq!(task["number_succeed"], 0);
    assert_eq!(task["number_failed"], 6);
    assert!(records.is_empty());
}

/// A large export runs in many batches, some of which succeed in nothing; its records and its
/// CSV download still list every succeeded id once, in request order.
#[test]
fn a_many_batch_export_keeps_request_order() {
    let app = App::with(&[("task_batch_rows", json!(100))]);
    let s = app.demo("liusn");
    let rows: Vec<Value> = (0..1000)
        .map(|i| row(&format!("导出-{i}"), "liusn", "CST"))
        .collect();
    let task = app.import(&s, &Value::Array(rows));
    assert_eq!(task["number_succeed"], 1000);
    let mut ids: Vec<i64> = app
        .assets(&s)
        .iter()
        .map(|a| a["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids.len(), 1000);
    // A fixed shuffle, so request order differs from id order.
    ids.sort_by_key(|id| (id * 7919) % 1009);
    let mut request: Vec<Value> = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        request.push(json!(id));
        if i % 37 == 0 {
            request.push(json!("x"));
        }
    }
    // One whole batch (rows 200..300 of the request) of ids that do not exist.
    let bad: Vec<Value> = (0..100).map(|i| json!(9_000_000 + i)).collect();
    request.splice(200..200, bad);

    let (task, records) = export(&app, &s, &Value::Array(request.clone()));
    let expected: Vec<i64> = request
        .iter()
        .filter_map(|v| v.as_i64())
        .filter(|id| *id < 9_000_000)
        .collect();
    let got: Vec<i64> = records.iter().map(|r| r["id"].as_i64().unwrap()).collect();
    assert_eq!(got, expected);
    assert_eq!(task["number_succeed"], 1000);
    assert_eq!(
        task["number_failed"].as_i64().unwrap(),
        request.len() as i64 - 1000
    );
    // Each record is the view of the asset it names.
    let names: std::collections::HashMap<i64, Value> = app
        .assets(&s)
        .into_iter()
        .map(|a| (a["id"].as_i64().unwrap(), a["name"].clone()))
        .collect();
    for r in &records {
        assert_eq!(r["name"], names[&r["id"].as_i64().unwrap()], "{r}");
    }

    // The CSV download holds the same ids in the same order.
    let id = task["id"].as_i64().unwrap();
    let csv = app
        .client
        .get(format!("/api/async_task/{s}/{id}/file?format=csv"))
        .dispatch()
        .into_bytes()
        .unwrap();
    let mut reader = csv::Reader::from_reader(csv.as_slice());
    let column = reader
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "资产编号")
        .unwrap();
    let downloaded: Vec<i64> = reader
        .records()
        .map(|r| r.unwrap()[column].parse().unwrap())
        .collect();
    assert_eq!(downloaded, expected);
}

/// Issue 13 (8): an export of a search's results names the search, not its ids; the server
/// selects exactly what the search finds, within the caller's reach.
#[test]
fn an_export_by_search_filter_takes_exactly_what_the_search_finds() {
    let app = App::new();
    let s = app.demo("liusn");
    let admin = app.demo("sysadmin");
    app.staff_in(&admin, ("软件组", ""), "王伟");
    let mut rows = Vec::new();
    for i in 0..30 {
        rows.push(row(&format!("椅子{i}"), "liusn", "CST"));
        rows.push(row(&format!("桌子{i}"), "liusn", "CST"));
        rows.push(row(&format!("软件椅{i}"), "王伟", "软件组"));
    }
    assert_eq!(app.import(&s, &json!(rows))["number_succeed"], 90);
    // A 椅 outside liusn's reach (财务部): no search or export of hers finds it.
    other_department(&app);
    app.create_asset(&admin, &row("财务椅", "qianqi", "财务部"));
    let filter = json!({"name": "椅", "page": 3, "size": 5});
    let found = app.post(
        &format!("/api/search_assets/{s}"),
        &json!({"name": "椅", "page": 1, "size": 100}),
    );
    let found = common::ids(found.ok());
    assert_eq!(
        found.len(),
        60,
        "椅子 and 软件椅, not 桌子, not another department's"
    );

    let id = app.post(
        &format!("/api/export_task/{s}"),
        &json!({ "filter": filter }),
    );
    let id = id.ok()["id"].as_i64().unwrap();
    let task = app.wait_task(&s, id);
    assert_eq!(
        (
            &task["number_need"],
            &task["number_succeed"],
            &task["finish"]
        ),
        (&json!(60), &json!(60), &json!(1)),
        "paging is ignored: {task}"
    );
    let records = app.get(&format!("/api/export_task/{s}/{id}"));
    assert_eq!(common::ids(records.ok()), found);

    // A department filter; a bad filter is refused and stores nothing.
    let id = app.post(
        &format!("/api/export_task/{s}"),
        &json!({"filter": {"department": "软件组", "expire": 0}}),
    );
    let task = app.wait_task(&s, id.ok()["id"].as_i64().unwrap());
    assert_eq!(task["number_need"], 30);
    let before = app.table_counts();
    for bad in [
        json!({"filter": {"expire": 7}}),
        json!({"filter": {"name": 5}}),
        json!({"filter": 1}),
    ] {
        let a = app.post(&format!("/api/export_task/{s}"), &bad);
        assert_eq!(a.status.code, 400, "{bad}: {:?}", a.body);
    }
    assert_eq!(app.table_counts(), before);
}
