//! Issue 13 (3): an import's failed rows worked on where they are stored: a summary by reason,
//! pages of one reason, a value replaced across every row, one row edited, rows dropped, and a
//! re-run of the rows as they now stand, with counters that add up.

use crate::common;

use common::{row, App};
use serde_json::{json, Value};

fn base(s: &str, id: i64, rest: &str) -> String {
    format!("/api/failed_task/{s}/{id}{rest}")
}

#[test]
fn failed_rows_are_summarised_paged_replaced_edited_dropped_and_run_again() {
    let app = App::new();
    let s = app.demo("liusn");
    let mut rows = Vec::new();
    for i in 0..20 {
        rows.push(row(&format!("研发椅{i}"), "liusn", "研发部"));
    }
    for i in 0..10 {
        let mut r = row(&format!("零数{i}"), "liusn", "CST");
        r["count"] = json!(0);
        rows.push(r);
    }
    for i in 0..5 {
        rows.push(row(&format!("好椅{i}"), "liusn", "CST"));
    }
    let task = app.import(&s, &json!(rows));
    let id = task["id"].as_i64().unwrap();
    assert_eq!(
        (&task["number_failed"], &task["number_succeed"]),
        (&json!(30), &json!(5))
    );

    // Reasons, most first.
    let summary = app.get(&base(&s, id, "/summary"));
    assert_eq!(
        summary.ok(),
        &json!([{"reason": "对应部门不存在", "count": 20}, {"reason": "资产数量不可小于1", "count": 10}])
    );
    // A page of one reason, each row with its seq.
    let page = app.get(&base(&s, id, "/rows?page=2&size=4&reason=%E8%B5%84%E4%BA%A7%E6%95%B0%E9%87%8F%E4%B8%8D%E5%8F%AF%E5%B0%8F%E4%BA%8E1"));
    page.ok();
    assert_eq!(
        (&page.body["total"], &page.body["pages"]),
        (&json!(10), &json!(3))
    );
    let first = &page.body["data"][0];
    assert_eq!(
        (&first["name"], &first["seq"]),
        (&json!("零数4"), &json!(24))
    );

    // Every 所属部门 研发部 becomes CST, on the server.
    let replaced = app.post(
        &base(&s, id, "/replace"),
        &json!({"field": "department", "from": "研发部", "to": "CST"}),
    );
    assert_eq!(replaced.ok()["replaced"], 20);
    // One row edited by hand; three dropped.
    let mut fixed = first.clone();
    fixed["count"] = json!(5);
    app.put(&base(&s, id, "/rows/24"), &fixed).ok();
    let dropped = app.post(&base(&s, id, "/drop"), &json!([25, 26, 27, 999]));
    assert_eq!(dropped.ok()["dropped"], 3);
    let task = app.wait_task(&s, id);
    assert_eq!(
        (
            &task["number_need"],
            &task["number_failed"],
            &task["number_succeed"]
        ),
        (&json!(32), &json!(27), &json!(5))
    );

    // Run again as they stand: 21 succeed, the 6 零数 left still fail.
    app.post(&base(&s, id, "/rerun"), &json!({})).ok();
    let task = app.wait_task(&s, id);
    assert_eq!(
        (
            &task["number_need"],
            &task["number_succeed"],
            &task["number_failed"]
        ),
        (&json!(32), &json!(26), &json!(6)),
        "{task}"
    );
    let summary = app.get(&base(&s, id, "/summary"));
    assert_eq!(
        summary.ok(),
        &json!([{"reason": "资产数量不可小于1", "count": 6}])
    );
    let names: Vec<Value> = app.assets(&s).iter().map(|a| a["name"].clone()).collect();
    assert!(names.contains(&json!("研发椅7")) && names.contains(&json!("零数4")));
    assert!(!names.contains(&json!("零数5")), "dropped");

    // Refused, changing nothing: an unknown field, a bad row, a row that is not there, a
    // bad drop list, another company's task, an export.
    let (admin2, _, _) = app.second_entity();
    let export = app.post(&format!("/api/export_task/{s}"), &json!([1]));
    let export = export.ok()["id"].as_i64().unwrap();
    app.wait_task(&s, export);
    let before = app.digest();
    app.post(
        &base(&s, id, "/replace"),
        &json!({"field": "message", "from": "a", "to": "b"}),
    )
    .err(
        400,
        -2,
        "缺少字段或类型错误：[field]（message不是可替换的列）",
    );
    app.put(&base(&s, id, "/rows/26"), &json!({"name": "x"}))
        .err(404, 7, "失败行不存在");
    app.put(&base(&s, id, "/rows/28"), &json!([1]))
        .err(400, -2, "缺少字段或类型错误：[body]");
    app.post(&base(&s, id, "/drop"), &json!({"seq": 1})).err(
        400,
        -2,
        "缺少字段或类型错误：[body]（请求体必须是失败行seq的数组）",
    );
    app.get(&base(&admin2, id, "/summary"))
        .err(404, 6, "对应id的异步任务不存在");
    app.get(&base(&s, export, "/summary"))
        .err(400, 8, "不能通过此API获取导出的异步任务");
    assert_eq!(app.digest(), before);
}
