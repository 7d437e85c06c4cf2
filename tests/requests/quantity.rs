//! Requests for part of a quantity asset's count (the part is split off, totals kept) and the
//! end of a 维保 with the asset's value and service life after the repair.

use crate::common::{row, App};
use crate::kinds::{act, ask, asset, demo_sessions};
use serde_json::{json, Value};

/// Every history entry of an asset, newest first.
fn history(app: &App, s: &str, id: i64) -> Vec<Value> {
    let h = app.get(&format!("/api/asset_history/{s}/{id}?page=1&size=100"));
    h.ok().as_array().unwrap().clone()
}

#[test]
fn taking_part_of_a_quantity_asset_splits_it_keeping_count_and_value() {
    let app = App::new();
    let (admin, liusn, zhangsan) = demo_sessions(&app);
    let mut chairs = row("椅子", "liusn", "CST");
    chairs["price"] = json!(100.0);
    let chairs = app.create_asset(&admin, &chairs);

    // 3 of 10 chairs (100.00 yuan in all): asked, then approved.
    let request = ask(
        &app,
        &zhangsan,
        &json!({"kind": "领用", "lines": [{"asset": chairs, "count": 3}]}),
    );
    // A count outside 1..=10 is refused, naming the range.
    app.post(
        &format!("/api/requests/{zhangsan}"),
        &json!({"kind": "领用", "lines": [{"asset": chairs, "count": 11}]}),
    )
    .err(400, 20, "第1项：资产“椅子”的申请数量须在1到10之间");
    let approved = act(&app, &liusn, request, "approve");
    let line = &approved.ok()["lines"][0];
    assert_eq!(line["state_label"], "已执行", "{line}");
    let part = line["split_asset"].as_i64().expect("the part split off");

    let rest = asset(&app, &liusn, chairs);
    let taken = asset(&app, &liusn, part);
    assert_eq!((&rest["count"], &taken["count"]), (&json!(7), &json!(3)));
    assert_eq!(
        (&rest["userName"], &rest["status"]),
        (&json!("liusn"), &json!(1)),
        "the rest stays with the manager, idle: {rest}"
    );
    assert_eq!(
        (&taken["userName"], &taken["status"]),
        (&json!("zhangsan"), &json!(2)),
        "{taken}"
    );
    let value = |a: &Value| (a["initial_price"].as_f64().unwrap() * 100.0).round() as i64;
    assert_eq!((value(&rest), value(&taken)), (7000, 3000));
    assert_eq!(
        value(&rest) + value(&taken),
        10_000,
        "the total value is kept"
    );

    // Each side's history says what happened and names the request.
    let source = format!("申请 #{request}");
    let rest_history = history(&app, &liusn, chairs);
    assert_eq!(rest_history[0]["kind"], "split", "{}", rest_history[0]);
    assert_eq!(rest_history[0]["source"], source.as_str());
    let kinds: Vec<Value> = history(&app, &liusn, part)
        .iter()
        .map(|e| e["kind"].clone())
        .collect();
    assert_eq!(kinds, [json!("taken"), json!("split_created")]);
    assert_eq!(history(&app, &liusn, part)[0]["source"], source.as_str());

    // A value that does not divide evenly: the parts still add up to the whole.
    let mut odd = row("螺丝", "liusn", "CST");
    odd["price"] = json!(10.0);
    odd["count"] = json!(3);
    let odd = app.create_asset(&admin, &odd);
    let request = ask(
        &app,
        &zhangsan,
        &json!({"kind": "领用", "lines": [{"asset": odd, "count": 1}]}),
    );
    let part = act(&app, &liusn, request, "approve").ok()["lines"][0]["split_asset"]
        .as_i64()
        .unwrap();
    let (rest, taken) = (asset(&app, &liusn, odd), asset(&app, &liusn, part));
    assert_eq!(value(&rest) + value(&taken), 1000, "{rest} {taken}");
    assert_eq!(value(&taken), 333);
}

#[test]
fn a_repair_ends_with_its_value_and_service_life_after_the_repair() {
    let app = App::new();
    let (admin, liusn, zhangsan) = demo_sessions(&app);
    let mut laptop = row("笔记本", "zhangsan", "CST");
    laptop["price"] = json!(5000.0);
    laptop["deadline"] = json!(5);
    let laptop = app.create_asset(&admin, &laptop);
    let request = ask(
        &app,
        &zhangsan,
        &json!({"kind": "维保", "lines": [{"asset": laptop}]}),
    );
    act(&app, &liusn, request, "approve").ok();
    let finish = format!("/api/requests/{liusn}/{request}/finish");

    // Refused, each with its reason, and nothing changes: a higher value, a shorter life, an
    // asset the request did not repair, a value that is not money.
    let cases = [
        (
            json!({"assets": [{"asset": laptop, "price": 6000}]}),
            "资产“笔记本”的维保后价值不能高于维保前的5000.00元",
        ),
        (
            json!({"assets": [{"asset": laptop, "deadline": 4}]}),
            "资产“笔记本”的使用期限不能短于维保前的5年",
        ),
        (
            json!({"assets": [{"asset": laptop, "deadline": i64::MAX}]}),
            "资产“笔记本”的使用期限须为不大于1000000000000000的整数",
        ),
        (
            json!({"assets": [{"asset": laptop + 100}]}),
            "第1项：资产不在该维保申请已执行的资产中",
        ),
        (
            json!({"assets": [{"asset": laptop, "price": "很多"}]}),
            "资产“笔记本”的维保后价值须为不小于0的金额",
        ),
    ];
    for (body, message) in cases {
        let answer = app.post(&finish, &body);
        let message = message.replace("资产不在", &format!("资产{}不在", laptop + 100));
        answer.err(400, 20, &message);
        assert_eq!(asset(&app, &liusn, laptop)["status"], 3, "still in repair");
    }
    // Unknown fields are named, not ignored.
    let unknown = app.post(&finish, &json!({"assets": [{"asset": laptop, "cost": 1}]}));
    assert_eq!(unknown.status.code, 400, "{}", unknown.body);

    let done = app.post(
        &finish,
        &json!({"assets": [{"asset": laptop, "price": "4,200.50", "deadline": 7}]}),
    );
    assert!(done.ok()["finished_at"].is_string(), "{}", done.body);
    let now = asset(&app, &liusn, laptop);
    assert_eq!(
        (&now["status"], &now["initial_price"], &now["deadline"]),
        (&json!(2), &json!(4200.5), &json!(7)),
        "{now}"
    );
    let entry = &history(&app, &liusn, laptop)[0];
    assert_eq!(entry["kind"], "repair_finished", "{entry}");
    let text = entry["text"].as_str().unwrap();
    assert!(text.contains("5000") && text.contains("4200.5"), "{text}");
}
