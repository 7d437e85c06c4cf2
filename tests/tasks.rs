//! The seed's six task endpoints through HTTP: every code and message of SPEC §7.

mod common;

use common::{item, row, App};
use serde_json::json;

#[test]
fn import_creates_assets_and_records_failed_rows() {
    let app = App::new();
    let s = app.demo("liusn");
    let mut bad = row("坏行", "liusn", "CST");
    bad["count"] = json!(0);
    let task = app.import(&s, &json!([row("椅子", "liusn", "CST"), bad, item("电脑")]));
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
