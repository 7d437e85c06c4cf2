//! Issue 13 (3): an import's failed rows worked on where they are stored: a summary by reason,
//! pages of one reason, a value replaced across every row, one row edited, rows dropped, and a
//! re-run of the rows as they now stand, with counters that add up.

use crate::common;

use common::{row, App};
use serde_json::{json, Value};

fn base(s: &str, id: i64, rest: &str) -> String {
    format!("/api/failed_task/{s}/{id}{rest}")
}

/// 20 rows of a department that does not exist, 10 of count 0, then `good` good ones.
fn two_reasons(good: usize) -> Value {
    let mut rows = Vec::new();
    for i in 0..20 {
        rows.push(row(&format!("研发椅{i}"), "liusn", "研发部"));
    }
    for i in 0..10 {
        let mut r = row(&format!("零数{i}"), "liusn", "CST");
        r["count"] = json!(0);
        rows.push(r);
    }
    for i in 0..good {
        rows.push(row(&format!("好椅{i}"), "liusn", "CST"));
    }
    json!(rows)
}

#[test]
fn failed_rows_are_summarised_paged_replaced_edited_dropped_and_run_again() {
    let app = App::new();
    let s = app.demo("liusn");
    let task = app.import(&s, &two_reasons(5));
    let id = task["id"].as_i64().unwrap();
    assert_eq!(
        (&task["number_failed"], &task["number_succeed"]),
        (&json!(30), &json!(5))
    );

    // Reasons, most first.
    let summary = app.get(&base(&s, id, "/summary"));
    assert_eq!(
        summary.ok(),
        &json!([{"reason": "对应部门不存在（本企业没有部门）", "count": 20,
                 "values": [{"value": "研发部", "count": 20}], "others": 0},
                {"reason": "资产数量不可小于1", "count": 10, "values": [], "others": 0}])
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
        &json!([{"reason": "资产数量不可小于1", "count": 6, "values": [], "others": 0}])
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

/// Issue 22 (3): a reason's bad values grouped inside it; every row of a reason (or of one of
/// its values) dropped in one request, the counts adding up and the other reasons untouched;
/// an unknown reason refused, nothing changed; a replace moves the rows out of their reason at
/// once.
#[test]
fn failed_rows_group_by_reason_with_values_and_drop_by_reason() {
    let app = App::new();
    let s = app.demo("liusn");
    let mut rows = Vec::new();
    for (n, count) in [(6, json!("十")), (4, json!("")), (3, json!("两台"))] {
        for i in 0..n {
            let mut r = row(&format!("数量椅{i}"), "liusn", "CST");
            r["count"] = count.clone();
            rows.push(r);
        }
    }
    for i in 0..5 {
        rows.push(row(&format!("研发椅{i}"), "liusn", "研发部"));
    }
    for i in 0..2 {
        rows.push(row(&format!("好椅{i}"), "liusn", "CST"));
    }
    let task = app.import(&s, &json!(rows));
    let id = task["id"].as_i64().unwrap();
    assert_eq!(task["number_failed"], 18, "{task}");

    // One reason for the count, its values inside, most first.
    let summary = app.get(&base(&s, id, "/summary")).ok().clone();
    let reasons = summary.as_array().unwrap();
    assert_eq!(reasons.len(), 2, "{summary}");
    let count_reason = reasons[0]["reason"].as_str().unwrap().to_owned();
    assert!(
        count_reason.contains("资产数量不是整数") && !count_reason.contains('“'),
        "{count_reason}"
    );
    assert_eq!(
        (&reasons[0]["count"], &reasons[0]["values"]),
        (
            &json!(13),
            &json!([{"value": "十", "count": 6}, {"value": "", "count": 4}, {"value": "两台", "count": 3}])
        )
    );
    assert_eq!(
        reasons[1],
        json!({"reason": "对应部门不存在（本企业没有部门）", "count": 5,
               "values": [{"value": "研发部", "count": 5}], "others": 0})
    );
    // A page of one value of the reason.
    let page = app.get(&base(
        &s,
        id,
        &format!(
            "/rows?reason={}&value={}",
            common::enc(&count_reason),
            common::enc("十")
        ),
    ));
    assert_eq!(page.ok().as_array().unwrap().len(), 6);
    assert_eq!(page.body["total"], 6);

    // Refused, changing nothing: an unknown reason, a value the reason does not have, no reason.
    let before = app.digest();
    app.post(&base(&s, id, "/drop"), &json!({"reason": "没有这个原因"}))
        .err(404, 7, "该原因的失败行不存在");
    app.post(
        &base(&s, id, "/drop"),
        &json!({"reason": count_reason, "value": "九"}),
    )
    .err(404, 7, "该原因的失败行不存在");
    app.post(&base(&s, id, "/drop"), &json!({"reason": ""}))
        .err(
            400,
            -2,
            "缺少字段或类型错误：[reason]（请指定失败原因（summary 中的 reason））",
        );
    assert_eq!(app.digest(), before);

    // One value of the reason, then the whole of another: the counts add up.
    let dropped = app.post(
        &base(&s, id, "/drop"),
        &json!({"reason": count_reason, "value": "十"}),
    );
    assert_eq!(dropped.ok()["dropped"], 6);
    let dropped = app.post(
        &base(&s, id, "/drop"),
        &json!({"reason": "对应部门不存在（本企业没有部门）"}),
    );
    assert_eq!(dropped.ok()["dropped"], 5);
    let task = app.wait_task(&s, id);
    assert_eq!(
        (
            &task["number_need"],
            &task["number_failed"],
            &task["number_succeed"]
        ),
        (&json!(20 - 11), &json!(7), &json!(2)),
        "{task}"
    );
    let summary = app.get(&base(&s, id, "/summary")).ok().clone();
    assert_eq!(
        summary,
        json!([{"reason": count_reason, "count": 7, "others": 0,
                "values": [{"value": "", "count": 4}, {"value": "两台", "count": 3}]}])
    );

    // A replace moves its rows out of the reason at once (they wait for the re-run).
    let replaced = app.post(
        &base(&s, id, "/replace"),
        &json!({"field": "count", "from": "两台", "to": "2"}),
    );
    assert_eq!(replaced.ok()["replaced"], 3);
    let summary = app.get(&base(&s, id, "/summary")).ok().clone();
    let counts: Vec<(String, i64)> = summary
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["reason"].as_str().unwrap().to_owned(),
                r["count"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(counts.len(), 2, "{summary}");
    assert_eq!(counts[0], (count_reason.clone(), 4));
    assert!(
        counts[1].0.starts_with("已修改，待重新执行") && counts[1].1 == 3,
        "{summary}"
    );

    // The rest run again: the replaced rows succeed, the empty counts still fail.
    app.post(&base(&s, id, "/rerun"), &json!({})).ok();
    let task = app.wait_task(&s, id);
    assert_eq!(
        (&task["number_succeed"], &task["number_failed"]),
        (&json!(5), &json!(4)),
        "{task}"
    );
}

/// Issue 22 (3): the rows of one reason run again in one step; the other reasons' rows stay
/// failed, counted, and can be run later.
#[test]
fn the_rows_of_one_reason_run_again_and_the_others_stay_failed() {
    let app = App::new();
    let s = app.demo("liusn");
    let task = app.import(&s, &two_reasons(0));
    let id = task["id"].as_i64().unwrap();
    assert_eq!(task["number_failed"], 30);
    // Fixed on the server, the 20 rows move to 已修改，待重新执行.
    app.post(
        &base(&s, id, "/replace"),
        &json!({"field": "department", "from": "研发部", "to": "CST"}),
    )
    .ok();

    // Selectors that take nothing, or are not selectors: refused, nothing runs.
    let before = app.digest();
    app.post(&base(&s, id, "/rerun"), &json!({"reason": "没有这个原因"}))
        .err(404, 7, "该原因的失败行不存在");
    for bad in [
        json!({"reason": ""}),
        json!({"value": "研发部"}),
        json!([1, 2]),
        json!("x"),
    ] {
        let answer = app.post(&base(&s, id, "/rerun"), &bad);
        assert_eq!(answer.code(), -2, "{bad}: {}", answer.body);
    }
    assert_eq!(app.digest(), before);

    app.post(
        &base(&s, id, "/rerun"),
        &json!({"reason": "已修改，待重新执行"}),
    )
    .ok();
    let done = app.wait_task(&s, id);
    assert_eq!(
        (
            &done["number_need"],
            &done["number_succeed"],
            &done["number_failed"],
            &done["finish"]
        ),
        (&json!(30), &json!(20), &json!(10), &json!(2))
    );
    let summary = app.get(&base(&s, id, "/summary"));
    assert_eq!(
        summary.ok(),
        &json!([{"reason": "资产数量不可小于1", "count": 10, "values": [], "others": 0}])
    );
    // The journal says which reason ran.
    let journal = app.get(&format!(
        "/api/journal/{}?kind=task_rerun&task={id}",
        app.demo("sysadmin")
    ));
    assert_eq!(journal.ok()[0]["detail"]["reason"], "已修改，待重新执行");

    // The rest, fixed one way or another, run with the plain re-run (every row left).
    app.post(
        &base(&s, id, "/replace"),
        &json!({"field": "count", "from": "0", "to": "3"}),
    )
    .ok();
    app.post(&base(&s, id, "/rerun"), &json!({})).ok();
    let done = app.wait_task(&s, id);
    assert_eq!(
        (
            &done["number_succeed"],
            &done["number_failed"],
            &done["finish"]
        ),
        (&json!(30), &json!(0), &json!(1))
    );
}
