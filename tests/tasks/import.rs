//! Import tasks through HTTP: failed rows and their fix-and-re-run, parents named by earlier rows,
//! lenient Excel-style values, every row rule of SPEC §7, and a large import.

use crate::common;

use common::{item, row, App};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashSet};

fn task_id(task: &Value) -> i64 {
    task["id"].as_i64().expect("task id")
}

fn failed(app: &App, session: &str, id: i64) -> Vec<Value> {
    app.get(&format!("/failed_task/{session}/{id}"))
        .ok()
        .as_array()
        .expect("failed rows")
        .clone()
}

/// The submitted row with the message a failed-rows answer adds.
fn with_message(row: &Value, message: &str) -> Value {
    let mut r = row.clone();
    r["message"] = json!(message);
    r
}

/// Asset views by name; a name seen twice fails the test.
fn assets_by_name(app: &App, session: &str) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    for a in app.assets(session) {
        let name = a["name"].as_str().unwrap().to_owned();
        assert!(out.insert(name.clone(), a).is_none(), "two assets {name}");
    }
    out
}

#[test]
fn fix_and_rerun_failed_rows_inside_the_same_task() {
    let app = App::new();
    let s = app.demo("liusn");
    let mut bad_count = row("桌子", "liusn", "CST");
    bad_count["count"] = json!(0);
    let mut bad_owner = item("显示器");
    bad_owner["user"] = json!("nobody");
    bad_owner["price"] = json!("88.8");
    bad_owner["备注"] = json!("来自Excel");
    bad_owner["extra"] = json!({"nested": [1, "二", null, 2.5], "flag": true});
    let mut bad_money = row("柜子", "liusn", "CST");
    bad_money["price"] = json!(-1);
    bad_money["deadline"] = json!("-2");
    let submitted = json!([
        row("椅子", "liusn", "CST"),
        bad_count,
        item("电脑"),
        bad_owner,
        bad_money
    ]);
    let task = app.import(&s, &submitted);
    let id = task_id(&task);
    assert_eq!(
        (
            &task["finish"],
            &task["number_need"],
            &task["number_succeed"]
        ),
        (&json!(2), &json!(5), &json!(2))
    );
    assert_eq!(task["number_failed"], 3);

    // Each failed row is exactly what was sent, odd fields and all, plus its message.
    let rows = failed(&app, &s, id);
    let money_message = "原值不可为负；资产使用期限不可为负";
    assert_eq!(
        rows,
        vec![
            with_message(&submitted[1], "资产数量不可小于1"),
            with_message(
                &submitted[3],
                "未找到该资产挂账人（本企业没有用户“nobody”）"
            ),
            with_message(&submitted[4], money_message),
        ]
    );
    assert_eq!(
        app.get(&format!("/api/failed_task/{s}/{id}")).ok(),
        &json!(rows)
    );

    // A partial fix: the rows keep their `message`, the last one stays bad.
    let mut fix = rows.clone();
    fix[0]["count"] = json!(5);
    fix[1]["user"] = json!("liusn");
    app.put(&format!("/failed_task/{s}/{id}"), &json!(fix)).ok();
    let task = app.wait_task(&s, id);
    assert_eq!(task["id"], id);
    assert_eq!(task["finish"], 2, "{task}");
    assert_eq!(task["number_need"], 5);
    assert_eq!(task["number_succeed"], 4);
    assert_eq!(task["number_failed"], 1);
    assert_eq!(
        failed(&app, &s, id),
        vec![with_message(&submitted[4], money_message)]
    );

    // The rest, through the other spelling of the path.
    let mut fix = failed(&app, &s, id);
    fix[0]["price"] = json!(12.5);
    fix[0]["deadline"] = json!(0);
    app.put(&format!("/api/failed_task/{s}/{id}"), &json!(fix))
        .ok();
    let task = app.wait_task(&s, id);
    assert_eq!(task["finish"], 1, "{task}");
    assert_eq!(task["number_need"], 5);
    assert_eq!(task["number_succeed"], 5);
    assert_eq!(task["number_failed"], 0);
    assert_eq!(task["number_done"], 5);
    assert!(failed(&app, &s, id).is_empty());

    // Still one task, and exactly one asset per row.
    let tasks = app.get(&format!("/api/async_task/{s}")).ok().clone();
    assert_eq!(tasks.as_array().unwrap().len(), 1);
    let assets = assets_by_name(&app, &s);
    let mut names = vec!["椅子", "桌子", "电脑", "显示器", "柜子"];
    names.sort_unstable();
    assert_eq!(assets.keys().collect::<Vec<_>>(), names);
    assert_eq!(assets["桌子"]["count"], 5);
    assert_eq!(assets["显示器"]["initial_price"], 88.8);
    assert_eq!(assets["显示器"]["userName"], "liusn");
    assert_eq!(assets["柜子"]["initial_price"], 12.5);
    assert_eq!(assets["柜子"]["deadline"], 0);
    // Nothing left to fix: only an empty body has the right length.
    app.put(&format!("/failed_task/{s}/{id}"), &json!(fix)).err(
        400,
        8,
        "新传入的POST资产信息一定要与之前的失败信息长度相同",
    );
}

#[test]
fn parents_by_earlier_row_by_id_and_ambiguous_names() {
    let app = App::new();
    let (_, _, foreign) = app.second_entity();
    let s = app.demo("liusn");
    let rack = app.create_asset(&s, &item("机柜"));
    app.create_asset(&s, &item("显示器"));
    app.create_asset(&s, &item("显示器"));
    app.create_asset(&s, &row("椅子", "liusn", "CST"));
    let old = app.create_asset(&s, &item("旧主机"));
    app.put(&format!("/api/expire_asset/{s}"), &json!([old]))
        .ok();

    let child = |name: &str, parent: Value| {
        let mut r = row(name, "liusn", "CST");
        r["parent"] = parent;
        r
    };
    let mut elsewhere = child("软件组配件", json!("服务器"));
    elsewhere["department"] = json!("软件组");
    let rows = json!([
        item("服务器"),
        child("内存条", json!("服务器")),
        child("网卡", json!(rack)),
        child("硬盘", json!(rack.to_string())),
        item("交换机"),
        child("光模块", json!("交换机")),
        item("交换机"),
        child("跳线", json!("交换机")),
        child("支架", json!("显示器")),
        child("坐垫", json!("椅子")),
        child("旧件", json!("旧主机")),
        child("无父", json!(999_999)),
        child("外企子", json!(foreign)),
        elsewhere,
        child("空父", json!(null)),
        child("空串父", json!("")),
    ]);
    let task = app.import(&s, &rows);
    assert_eq!(task["number_succeed"], 9, "{task}");
    assert_eq!(task["number_failed"], 7, "{task}");
    let bad = "父资产不符合规范";
    let messages: Vec<(String, String)> = failed(&app, &s, task_id(&task))
        .iter()
        .map(|r| {
            (
                r["name"].as_str().unwrap().into(),
                // The SPEC's words: each names its value (covered below).
                common::spec_message(r["message"].as_str().unwrap()),
            )
        })
        .collect();
    let expected: Vec<(String, String)> = [
        ("跳线", bad.to_owned()),
        ("支架", bad.to_owned()),
        ("坐垫", bad.to_owned()),
        ("旧件", bad.to_owned()),
        ("无父", bad.to_owned()),
        ("外企子", bad.to_owned()),
        ("软件组配件", format!("指定资产挂账人不处于当前部门；{bad}")),
    ]
    .into_iter()
    .map(|(n, m)| (n.to_owned(), m))
    .collect();
    assert_eq!(messages, expected);

    let views: BTreeMap<String, Vec<Value>> =
        app.assets(&s)
            .into_iter()
            .fold(BTreeMap::new(), |mut m, a| {
                m.entry(a["name"].as_str().unwrap().to_owned())
                    .or_default()
                    .push(a);
                m
            });
    for (name, parent) in [
        ("内存条", "服务器"),
        ("网卡", "机柜"),
        ("硬盘", "机柜"),
        ("光模块", "交换机"),
        ("空父", ""),
        ("空串父", ""),
        ("服务器", ""),
    ] {
        assert_eq!(views[name].len(), 1, "{name}");
        assert_eq!(views[name][0]["parentName"], parent, "{name}");
    }
    assert_eq!(views["交换机"].len(), 2);
    for name in [
        "跳线",
        "支架",
        "坐垫",
        "旧件",
        "无父",
        "外企子",
        "软件组配件",
    ] {
        assert!(!views.contains_key(name), "{name}");
    }
}

#[test]
fn numeric_strings_and_class_names_are_accepted() {
    let app = App::new();
    let s = app.demo("liusn");
    let rows = json!([
        {"name": "笔记本", "parent": "", "assetClass": "条目型", "user": "liusn",
         "price": "4999.99", "description": "银色", "position": "三楼", "expire": "0",
         "count": "1", "assetTree": "条目型资产", "department": "CST", "deadline": "3"},
        {"name": "螺丝", "assetClass": "数量型", "user": "zhangsan", "price": " 19.999 ",
         "count": " 12 ", "assetTree": "数量型资产", "department": "CST", "deadline": "0"},
        {"name": "投影仪", "assetClass": "1", "user": "liusn", "price": 300,
         "count": 1.0, "assetTree": "默认分类", "department": "软件组", "deadline": 2.0,
         "expire": 0},
    ]);
    // 投影仪's owner is not in 软件组: only that rule fails, every lenient value passed.
    let task = app.import(&s, &rows);
    assert_eq!(task["number_succeed"], 2, "{task}");
    assert_eq!(
        failed(&app, &s, task_id(&task))[0]["message"],
        "指定资产挂账人不处于当前部门（“liusn”属于部门「CST」，资产在部门「软件组」）"
    );
    let assets = assets_by_name(&app, &s);
    let laptop = &assets["笔记本"];
    assert_eq!(laptop["assetClass"], 1);
    assert_eq!(laptop["count"], 1);
    assert_eq!(laptop["initial_price"], 4999.99);
    assert_eq!(laptop["deadline"], 3);
    assert_eq!(laptop["expire"], 0);
    assert_eq!(laptop["description"], "银色");
    assert_eq!(laptop["position"], "三楼");
    assert_eq!(laptop["assetTree"], "条目型资产");
    assert_eq!(laptop["departmentName"], "CST");
    assert_eq!(laptop["parentName"], "");
    assert_eq!(laptop["status"], 1, "a manager's asset starts idle");
    let screws = &assets["螺丝"];
    assert_eq!(screws["assetClass"], 0);
    assert_eq!(screws["count"], 12);
    assert_eq!(screws["initial_price"], 20.0, "rounded to the cent");
    assert_eq!(screws["price"], 20.0, "no depreciation with deadline 0");
    assert_eq!(screws["userName"], "zhangsan");
    assert_eq!(screws["status"], 2, "a staff member's asset starts in use");
}

#[test]
fn every_row_rule_message_through_an_import() {
    let app = App::new();
    app.second_entity();
    let admin = app.demo("sysadmin");
    app.staff_in(&admin, ("财务部", ""), "qianqi");
    let s = app.demo("liusn");

    let valid = || row("合规", "liusn", "CST");
    let with = |field: &str, value: Value| {
        let mut r = valid();
        r[field] = value;
        r
    };
    let without = |field: &str| {
        let mut r = valid();
        r.as_object_mut().unwrap().remove(field);
        r
    };
    let mut other_department = with("department", json!("财务部"));
    other_department["user"] = json!("qianqi");
    let mut item_of_ten = with("assetClass", json!(1));
    item_of_ten["count"] = json!(2);
    let mut wrong_tree = with("assetClass", json!(1));
    wrong_tree["count"] = json!(1);
    wrong_tree["assetTree"] = json!("数量型资产");
    let mut many = with("count", json!(0));
    many["price"] = json!(-1);
    many["deadline"] = json!(-1);
    many["expire"] = json!(1);
    many["user"] = json!("nobody");
    many["assetTree"] = json!("不存在的分类");
    let all_missing = "缺少字段或类型错误：[name]；缺少字段或类型错误：[assetClass]；\
        缺少字段或类型错误：[user]；缺少字段或类型错误：[price]；缺少字段或类型错误：[count]；\
        缺少字段或类型错误：[assetTree]；缺少字段或类型错误：[department]；\
        缺少字段或类型错误：[deadline]";
    let cases: Vec<(Value, &str)> = vec![
        (without("name"), "缺少字段或类型错误：[name]"),
        (with("count", json!("十")), "缺少字段或类型错误：[count]"),
        (
            with("assetClass", json!(2)),
            "缺少字段或类型错误：[assetClass]",
        ),
        (with("parent", json!([1])), "缺少字段或类型错误：[parent]"),
        (
            with("description", json!(5)),
            "缺少字段或类型错误：[description]",
        ),
        (with("name", json!("")), "字段长度不合法：[name]"),
        (
            with("name", json!("名".repeat(129))),
            "字段长度不合法：[name]",
        ),
        (
            with("position", json!("位".repeat(257))),
            "字段长度不合法：[position]",
        ),
        (
            with("description", json!("述".repeat(4097))),
            "字段长度不合法：[description]",
        ),
        (with("department", json!("不存在的部门")), "对应部门不存在"),
        (with("department", json!("销售部")), "对应部门不存在"),
        (other_department, "无权管理该部门的资产"),
        (with("count", json!(0)), "资产数量不可小于1"),
        (item_of_ten, "仅数量型资产的数量可大于1"),
        (with("price", json!(-0.5)), "原值不可为负"),
        (with("deadline", json!(-1)), "资产使用期限不可为负"),
        (with("expire", json!(1)), "不能导入已清退的资产"),
        (
            with("assetTree", json!("不存在的分类")),
            "未找到指定层级分类",
        ),
        (wrong_tree, "资产类别与层级分类不匹配"),
        (with("user", json!("nobody")), "未找到该资产挂账人"),
        (with("user", json!("wangwu")), "未找到该资产挂账人"),
        (
            with("department", json!("软件组")),
            "指定资产挂账人不处于当前部门",
        ),
        (with("parent", json!("不存在的父资产")), "父资产不符合规范"),
        (
            many,
            "资产数量不可小于1；原值不可为负；资产使用期限不可为负；不能导入已清退的资产；\
             未找到指定层级分类；未找到该资产挂账人",
        ),
        (json!({}), all_missing),
    ];
    let mut rows: Vec<Value> = cases.iter().map(|(r, _)| r.clone()).collect();
    // The valid rows around them are unaffected.
    rows.insert(0, valid());
    rows.push(with("name", json!("名".repeat(128))));
    let task = app.import(&s, &json!(rows));
    assert_eq!(task["number_need"], cases.len() + 2);
    assert_eq!(task["number_succeed"], 2, "{task}");
    assert_eq!(task["number_failed"], cases.len());

    let got = failed(&app, &s, task_id(&task));
    assert_eq!(got.len(), cases.len());
    for (g, (submitted, message)) in got.iter().zip(&cases) {
        // The message in the SPEC's words, each field message with its explanation.
        let told = g["message"].as_str().unwrap();
        common::assert_spec_message(told, message);
        assert_eq!(g, &with_message(submitted, told), "{submitted}");
    }
    let names: HashSet<String> = assets_by_name(&app, &s).into_keys().collect();
    assert_eq!(names, HashSet::from(["合规".to_owned(), "名".repeat(128)]));
}

#[test]
fn a_row_that_is_not_an_object_fails_with_its_value() {
    let app = App::new();
    let s = app.demo("liusn");
    let task = app.import(&s, &json!(["x", 7, null, row("椅子", "liusn", "CST")]));
    assert_eq!(task["number_need"], 4);
    assert_eq!(task["number_succeed"], 1);
    let got = failed(&app, &s, task_id(&task));
    let values: Vec<&Value> = got.iter().map(|r| &r["value"]).collect();
    assert_eq!(values, [&json!("x"), &json!(7), &json!(null)]);
    for r in &got {
        assert!(
            r["message"]
                .as_str()
                .unwrap()
                .starts_with("缺少字段或类型错误：[name]（缺少资产名）；"),
            "{r}"
        );
    }
}

#[test]
fn a_large_import_creates_exactly_one_asset_per_valid_row() {
    const ROWS: usize = 100_000;
    let app = App::new();
    let s = app.demo("liusn");
    let name = |i: usize| format!("大批量-{i:06}-");
    let mut body = String::with_capacity(ROWS * 220);
    body.push('[');
    for i in 0..ROWS {
        if i > 0 {
            body.push(',');
        }
        let mut r = row(&name(i), "liusn", "CST");
        if i % 1000 == 999 {
            r["count"] = json!(0);
        }
        body.push_str(&r.to_string());
    }
    body.push(']');
    let id = app.post_raw(&format!("/api/asset/{s}"), body).ok()["id"]
        .as_i64()
        .unwrap();
    app.wait_task(&s, id);

    let list = app.get(&format!("/api/async_task/{s}")).ok().clone();
    let task = &list[0];
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(task["id"], id);
    assert_eq!(task["finish"], 2);
    assert_eq!(task["number_need"], ROWS);
    assert_eq!(task["number_succeed"], ROWS - ROWS / 1000);
    assert_eq!(task["number_failed"], ROWS / 1000);
    assert_eq!(task["number_done"], ROWS);

    let search = |page: usize| {
        app.post(
            &format!("/api/search_assets/{s}"),
            &json!({"page": page, "size": 1000}),
        )
    };
    let first = search(1);
    assert_eq!(first.body["total"], ROWS - ROWS / 1000);
    let pages = first.body["pages"].as_u64().unwrap() as usize;
    let mut names = HashSet::new();
    for page in 1..=pages {
        for a in search(page).ok().as_array().unwrap() {
            assert!(names.insert(a["name"].as_str().unwrap().to_owned()), "{a}");
        }
    }
    let expected: HashSet<String> = (0..ROWS).filter(|i| i % 1000 != 999).map(name).collect();
    assert_eq!(names, expected);

    let got = failed(&app, &s, id);
    let bad: Vec<String> = (0..ROWS).filter(|i| i % 1000 == 999).map(name).collect();
    assert_eq!(
        got.iter()
            .map(|r| r["name"].as_str().unwrap())
            .collect::<Vec<_>>(),
        bad
    );
    assert!(got.iter().all(|r| r["message"] == "资产数量不可小于1"));
}

#[test]
fn a_row_with_an_out_of_range_number_comes_back_as_its_object() {
    let app = App::new();
    let s = app.demo("liusn");
    let body = r#"[{"name": "巨价", "price": 1e400, "assetClass": 0, "user": "liusn",
        "count": 1, "assetTree": "默认分类", "department": "CST", "deadline": 1,
        "message": "旧信息"}]"#;
    let id = app.post_raw(&format!("/api/asset/{s}"), body).ok()["id"]
        .as_i64()
        .unwrap();
    app.wait_task(&s, id);
    let mut rows = failed(&app, &s, id);
    assert_eq!(
        rows,
        vec![
            json!({"name": "巨价", "price": "1e400", "assetClass": 0, "user": "liusn",
            "count": 1, "assetTree": "默认分类", "department": "CST", "deadline": 1,
            "message": "缺少字段或类型错误：[price]（原值应为金额）"})
        ]
    );
    // Fixed in place and run again.
    rows[0]["price"] = json!(1e4);
    app.put(&format!("/failed_task/{s}/{id}"), &json!(rows))
        .ok();
    assert_eq!(app.wait_task(&s, id)["finish"], 1);
    assert_eq!(assets_by_name(&app, &s)["巨价"]["initial_price"], 10000.0);
}
