//! The register as of a past day (`{"filter": …, "as_of": "YYYY-MM-DD"}`): an export taken
//! after later changes equals, field by field, the export taken on that day; the clock is moved
//! by dating the history back, as the retention test dates its tasks back.

use crate::common;

use common::{row, App};
use serde_json::{json, Value};

/// Runs an export to its end; returns (task record, records by id).
fn export(app: &App, s: &str, body: &Value) -> (Value, Vec<Value>) {
    let id = app.post(&format!("/api/export_task/{s}"), body).ok()["id"]
        .as_i64()
        .unwrap();
    let task = app.wait_task(s, id);
    let records = app.get(&format!("/api/export_task/{s}/{id}"));
    let mut records = records.ok().as_array().unwrap().clone();
    records.sort_by_key(|r| r["id"].as_i64());
    (task, records)
}

/// A row that keeps its value (no depreciation): the export taken "then" ran today, so a value
/// that fell with each day would differ by the days the clock moved.
fn lasting(name: &str, user: &str) -> Value {
    let mut r = row(name, user, "CST");
    r["deadline"] = json!(0);
    r
}

/// Dates everything the history holds `days` back.
fn move_clock(app: &App, days: i64) {
    let conn = rusqlite::Connection::open(app.db_path()).unwrap();
    conn.execute("UPDATE asset_history SET at = at - ?1", [days * 86_400])
        .unwrap();
}

fn day(days_ago: i64) -> String {
    (chrono::Local::now() - chrono::Duration::days(days_ago))
        .format("%Y-%m-%d")
        .to_string()
}

#[test]
fn an_export_as_of_a_day_equals_the_export_taken_that_day() {
    let app = App::new();
    let s = app.demo("liusn");
    let modified = app.create_asset(&s, &lasting("笔记本", "liusn"));
    let retired = app.create_asset(&s, &lasting("投影仪", "liusn"));
    let reassigned = app.create_asset(&s, &lasting("显示器", "liusn"));
    app.create_asset(&s, &lasting("白板", "liusn"));
    let imported = app.import(
        &s,
        &json!([
            lasting("导入的桌子", "liusn"),
            lasting("导入的椅子", "zhangsan")
        ]),
    );
    // The register on that day, as an export taken then shows it.
    let (_, then) = export(&app, &s, &json!({"filter": {}}));
    let (_, then_liusn) = export(&app, &s, &json!({"filter": {"user": "liusn"}}));
    assert_eq!(then.len(), 6);
    // Three days later, everything changes.
    move_clock(&app, 3);
    app.put(
        &format!("/api/asset/{s}"),
        &json!({"id": modified, "name": "旧笔记本", "price": 5.5, "description": "换过屏"}),
    )
    .ok();
    app.put(&format!("/api/expire_asset/{s}"), &json!([retired]))
        .ok();
    let mut to_zhangsan = lasting("显示器", "zhangsan");
    to_zhangsan["id"] = json!(reassigned);
    app.import(&s, &json!([to_zhangsan, lasting("新买的电脑", "liusn")]));
    let task = imported["id"].as_i64().unwrap();
    let undo = app.post(&format!("/api/async_task/{s}/{task}/undo"), &json!({}));
    app.wait_task(&s, undo.ok()["id"].as_i64().unwrap());
    app.create_asset(&s, &lasting("新建的打印机", "liusn"));
    let (_, now) = export(&app, &s, &json!({"filter": {}}));
    assert_ne!(now, then);

    // As of that day: the same records, field by field.
    let (task, as_of) = export(&app, &s, &json!({"filter": {}, "as_of": day(3)}));
    assert_eq!(task["as_of"], day(3));
    assert_eq!(
        (&task["number_succeed"], &task["number_failed"]),
        (&json!(6), &json!(0))
    );
    assert_eq!(as_of, then);
    // The filter applies to the register as it stood: the 显示器 was liusn's then.
    let (_, as_of_liusn) = export(
        &app,
        &s,
        &json!({"filter": {"user": "liusn"}, "as_of": day(3)}),
    );
    assert_eq!(as_of_liusn, then_liusn);
    assert!(as_of_liusn.iter().any(|r| r["id"] == reassigned));
    // Retired then? No; retired now, yes: as of today is the register as it is.
    let (_, retired_then) = export(&app, &s, &json!({"filter": {"expire": 1}, "as_of": day(3)}));
    assert!(retired_then.is_empty());
    let (_, today) = export(&app, &s, &json!({"filter": {}, "as_of": day(0)}));
    assert_eq!(today, now);
    // Before anything was created, the register was empty.
    let (_, before) = export(&app, &s, &json!({"filter": {}, "as_of": day(4)}));
    assert!(before.is_empty());
    // The file of an as-of export is that of any export.
    let file = app
        .client
        .get(format!(
            "/api/async_task/{s}/{}/file?format=csv",
            task["id"]
        ))
        .dispatch();
    assert_eq!(file.status().code, 200);
    assert!(file.into_string().unwrap().contains("笔记本"));
}

#[test]
fn a_bad_as_of_is_refused_and_changes_nothing() {
    let app = App::with(&[("history_retention_days", json!(30))]);
    let s = app.demo("liusn");
    app.create_asset(&s, &row("笔记本", "liusn", "CST"));
    let before = app.table_counts();
    let path = format!("/api/export_task/{s}");
    for (as_of, why) in [
        (json!("2026-13-01"), "截至日期须为YYYY-MM-DD格式的日期"),
        (json!("昨天"), "截至日期须为YYYY-MM-DD格式的日期"),
        (json!(day(-1)), "截至日期不能晚于今天"),
        (
            json!(day(31)),
            "资产履历只保留30天，更早日期的登记表已无法还原",
        ),
    ] {
        app.post(&path, &json!({"filter": {}, "as_of": as_of})).err(
            400,
            -2,
            &format!("缺少字段或类型错误：[as_of]（{why}）"),
        );
    }
    app.post(&path, &json!({"filter": {}, "as_of": 20260101}))
        .err(400, -2, "缺少字段或类型错误：[as_of]");
    app.post(&path, &json!({"filter": {"expire": 7}, "as_of": day(1)}))
        .err(400, -2, "缺少字段或类型错误：[expire]");
    assert_eq!(app.table_counts(), before);
    // Within the kept days, and with no filter given, it is the whole register (which was
    // empty then: the asset was created today).
    let (task, records) = export(&app, &s, &json!({"as_of": day(30)}));
    assert_eq!(task["as_of"], day(30));
    assert!(records.is_empty());
    let (_, records) = export(&app, &s, &json!({"as_of": day(0)}));
    assert_eq!(records.len(), 1);
}

#[test]
fn history_older_than_its_retention_goes() {
    let app = App::with(&[
        ("history_retention_days", json!(10)),
        ("task_prune_interval_secs", json!(1)),
    ]);
    let s = app.demo("liusn");
    let id = app.create_asset(&s, &row("笔记本", "liusn", "CST"));
    app.put(&format!("/api/asset/{s}"), &json!({"id": id, "count": 3}))
        .ok();
    // The creation was eleven days ago; the change is recent.
    let conn = rusqlite::Connection::open(app.db_path()).unwrap();
    conn.execute(
        "UPDATE asset_history SET at = at - 11 * 86400 WHERE id = (SELECT min(id) FROM asset_history)",
        [],
    )
    .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let h = app.get(&format!("/api/asset_history/{s}/{id}"));
        if h.body["total"] == 1 {
            assert_eq!(h.ok()[0]["kind"], "modified");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never pruned: {}",
            h.body
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}
