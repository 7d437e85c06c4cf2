//! The import-row rules of SPEC §7, reached through `POST /api/post_asset`: every message, the
//! order of several, the rules skipped after a failed lookup, parents, classes and numbers.

use crate::common;

use common::{item, row, App};
use serde_json::{json, Value};

/// The demo company plus 财务部 (a sibling of CST, outside liusn's subtree) with staff
/// `caiwu`, and staff `ruanjian` in 软件组. Returns (app, liusn, sysadmin).
fn setup() -> (App, String, String) {
    let app = App::new();
    let sysadmin = app.demo("sysadmin");
    app.post(
        &format!("/api/department/{sysadmin}"),
        &json!({"name": "财务部", "parent": ""}),
    )
    .ok();
    for (name, department) in [("caiwu", "财务部"), ("ruanjian", "软件组")] {
        app.post(
            &format!("/api/user/{sysadmin}"),
            &json!({"name": name, "password": "secret1", "department": department,
                    "character": 1}),
        )
        .ok();
    }
    let liusn = app.demo("liusn");
    (app, liusn, sysadmin)
}

fn post(app: &App, session: &str, row: &Value) -> common::Answer {
    app.post(&format!("/api/post_asset/{session}"), row)
}

/// The asset view of one asset, found by id.
fn view(app: &App, session: &str, id: i64) -> Value {
    let a = app.post(
        &format!("/api/search_assets/{session}"),
        &json!({"page": 1, "id": id}),
    );
    assert_eq!(a.body["total"], 1, "{:?}", a.body);
    a.ok()[0].clone()
}

fn with(base: Value, edits: Value) -> Value {
    let mut r = base;
    for (k, v) in edits.as_object().unwrap() {
        r[k] = v.clone();
    }
    r
}

fn without(base: Value, field: &str) -> Value {
    let mut r = base;
    r.as_object_mut().unwrap().remove(field);
    r
}

fn field(name: &str) -> String {
    format!("缺少字段或类型错误：[{name}]")
}

fn length(name: &str) -> String {
    format!("字段长度不合法：[{name}]")
}

fn tomorrow() -> String {
    (chrono::Local::now().date_naive() + chrono::Duration::days(1))
        .format("%Y-%m-%d")
        .to_string()
}

#[test]
fn every_rule_alone_answers_its_message() {
    let (app, s, _) = setup();
    let base = || row("行", "liusn", "CST");
    let cases: Vec<(&str, Value, String)> = vec![
        ("name missing", without(base(), "name"), field("name")),
        (
            "name a number",
            with(base(), json!({"name": 5})),
            field("name"),
        ),
        (
            "name null",
            with(base(), json!({"name": null})),
            field("name"),
        ),
        (
            "parent true",
            with(base(), json!({"parent": true})),
            field("parent"),
        ),
        (
            "parent 0",
            with(base(), json!({"parent": 0})),
            field("parent"),
        ),
        (
            "parent 1.5",
            with(base(), json!({"parent": 1.5})),
            field("parent"),
        ),
        (
            "assetClass missing",
            without(base(), "assetClass"),
            field("assetClass"),
        ),
        (
            "assetClass 2",
            with(base(), json!({"assetClass": 2})),
            field("assetClass"),
        ),
        (
            "assetClass unknown word",
            with(base(), json!({"assetClass": "条目"})),
            field("assetClass"),
        ),
        ("user missing", without(base(), "user"), field("user")),
        (
            "user a number",
            with(base(), json!({"user": 3})),
            field("user"),
        ),
        ("price missing", without(base(), "price"), field("price")),
        (
            "price text",
            with(base(), json!({"price": "十元"})),
            field("price"),
        ),
        (
            "price bool",
            with(base(), json!({"price": true})),
            field("price"),
        ),
        (
            "price huge",
            with(base(), json!({"price": 1e14})),
            field("price"),
        ),
        (
            "description a number",
            with(base(), json!({"description": 5})),
            field("description"),
        ),
        (
            "position an array",
            with(base(), json!({"position": []})),
            field("position"),
        ),
        (
            "expire 2",
            with(base(), json!({"expire": 2})),
            field("expire"),
        ),
        (
            "expire text",
            with(base(), json!({"expire": "否"})),
            field("expire"),
        ),
        ("count missing", without(base(), "count"), field("count")),
        (
            "count 1.5",
            with(base(), json!({"count": 1.5})),
            field("count"),
        ),
        (
            "count text",
            with(base(), json!({"count": "十"})),
            field("count"),
        ),
        (
            "assetTree missing",
            without(base(), "assetTree"),
            field("assetTree"),
        ),
        (
            "assetTree a number",
            with(base(), json!({"assetTree": 1})),
            field("assetTree"),
        ),
        (
            "department missing",
            without(base(), "department"),
            field("department"),
        ),
        (
            "deadline missing",
            without(base(), "deadline"),
            field("deadline"),
        ),
        (
            "deadline 2.5",
            with(base(), json!({"deadline": 2.5})),
            field("deadline"),
        ),
        (
            "create_time in the future",
            with(base(), json!({ "create_time": tomorrow() })),
            field("create_time"),
        ),
        (
            "create_time not a date",
            with(base(), json!({"create_time": "2020/13/01"})),
            field("create_time"),
        ),
        (
            "name empty",
            with(base(), json!({"name": ""})),
            length("name"),
        ),
        (
            "name blank",
            with(base(), json!({"name": "   "})),
            length("name"),
        ),
        (
            "name 129 chars",
            with(base(), json!({ "name": "名".repeat(129) })),
            length("name"),
        ),
        (
            "position 257 chars",
            with(base(), json!({ "position": "位".repeat(257) })),
            length("position"),
        ),
        (
            "description 4097 chars",
            with(base(), json!({ "description": "述".repeat(4097) })),
            length("description"),
        ),
        (
            "department unknown",
            with(base(), json!({"department": "火星部", "user": "zhangsan"})),
            "对应部门不存在".into(),
        ),
        (
            "department outside the manager's subtree",
            with(base(), json!({"department": "财务部", "user": "caiwu"})),
            "无权管理该部门的资产".into(),
        ),
        (
            "count 0",
            with(base(), json!({"count": 0})),
            "资产数量不可小于1".into(),
        ),
        (
            "count -3",
            with(base(), json!({"count": -3})),
            "资产数量不可小于1".into(),
        ),
        (
            "item with count 2",
            with(base(), json!({"assetClass": 1, "count": 2})),
            "仅数量型资产的数量可大于1".into(),
        ),
        (
            "price -0.01",
            with(base(), json!({"price": -0.01})),
            "原值不可为负".into(),
        ),
        (
            "deadline -1",
            with(base(), json!({"deadline": -1})),
            "资产使用期限不可为负".into(),
        ),
        (
            "expire 1",
            with(base(), json!({"expire": 1})),
            "不能导入已清退的资产".into(),
        ),
        (
            "category unknown",
            with(base(), json!({"assetTree": "无此分类"})),
            "未找到指定层级分类".into(),
        ),
        (
            "category of another department",
            with(base(), json!({"assetTree": "软件组专用"})),
            "未找到指定层级分类".into(),
        ),
        (
            "quantity asset under 条目型资产",
            with(base(), json!({"assetTree": "条目型资产"})),
            "资产类别与层级分类不匹配".into(),
        ),
        (
            "item asset under 数量型资产",
            with(item("电脑"), json!({"assetTree": "数量型资产"})),
            "资产类别与层级分类不匹配".into(),
        ),
        (
            "owner unknown",
            with(base(), json!({"user": "nobody"})),
            "未找到该资产挂账人".into(),
        ),
        (
            "owner without department",
            with(base(), json!({"user": "sysadmin"})),
            "指定资产挂账人不处于当前部门".into(),
        ),
        (
            "owner in a sub-department",
            with(base(), json!({"user": "ruanjian"})),
            "指定资产挂账人不处于当前部门".into(),
        ),
        (
            "parent unknown",
            with(base(), json!({"parent": "无此资产"})),
            "父资产不符合规范".into(),
        ),
    ];
    app.post(
        &format!("/api/asset_tree/{s}"),
        &json!({"name": "软件组专用", "parent": "", "department": "软件组"}),
    )
    .ok();
    let before = app.digest();
    for (what, r, message) in &cases {
        let a = post(&app, &s, r);
        assert_eq!(
            (a.status.code, a.code(), common::spec_message(a.info())),
            (400, 2, message.clone()),
            "{what}"
        );
        common::assert_spec_message(a.info(), message);
    }
    assert_eq!(app.digest(), before);
}

#[test]
fn boundaries_that_are_accepted() {
    let (app, s, _) = setup();
    let base = || row("行", "liusn", "CST");
    let ok_rows = [
        with(base(), json!({ "name": "名".repeat(128) })),
        with(base(), json!({ "position": "位".repeat(256) })),
        with(base(), json!({ "description": "述".repeat(4096) })),
        without(
            without(
                without(without(base(), "description"), "position"),
                "parent",
            ),
            "expire",
        ),
        with(
            base(),
            json!({"parent": null, "description": null, "position": null}),
        ),
        with(base(), json!({"price": 0, "deadline": 0, "count": 1})),
        with(item("电脑"), json!({"assetTree": "默认分类"})),
        with(base(), json!({"expire": 0})),
        with(base(), json!({"expire": "0"})),
        with(
            base(),
            json!({ "create_time": chrono::Local::now().date_naive().format("%Y-%m-%d").to_string() }),
        ),
        // The manager's subtree includes 软件组.
        with(base(), json!({"department": "软件组", "user": "ruanjian"})),
    ];
    for r in &ok_rows {
        app.create_asset(&s, r);
    }
    assert_eq!(app.assets(&s).len(), ok_rows.len());
}

#[test]
fn several_broken_rules_are_joined_in_table_order() {
    let (app, s, sysadmin) = setup();
    let before = app.digest();
    let everything = json!({
        "name": "", "parent": "无此父资产", "assetClass": 1, "user": "nobody",
        "price": -5, "description": "", "position": 5, "expire": 1, "count": 0,
        "assetTree": "数量型资产", "department": "CST", "deadline": -1
    });
    post(&app, &s, &everything).err_spec(
        400,
        2,
        "缺少字段或类型错误：[position]；字段长度不合法：[name]；资产数量不可小于1；\
         原值不可为负；资产使用期限不可为负；不能导入已清退的资产；\
         资产类别与层级分类不匹配；未找到该资产挂账人；父资产不符合规范",
    );
    let fields = json!({
        "name": 1, "parent": [], "assetClass": "x", "user": 2, "price": "x",
        "description": 3, "position": 4, "expire": 5, "count": "x", "assetTree": 6,
        "department": 7, "deadline": "x", "create_time": 8
    });
    let all_fields = [
        "name",
        "parent",
        "assetClass",
        "user",
        "price",
        "description",
        "position",
        "expire",
        "count",
        "assetTree",
        "department",
        "deadline",
        "create_time",
    ]
    .map(field)
    .join("；");
    post(&app, &s, &fields).err_spec(400, 2, &all_fields);
    let required = [
        "name",
        "assetClass",
        "user",
        "price",
        "count",
        "assetTree",
        "department",
        "deadline",
    ]
    .map(field)
    .join("；");
    post(&app, &s, &json!({})).err_spec(400, 2, &required);
    // Each names the column and what was wrong with it.
    assert!(post(&app, &s, &json!({}))
        .info()
        .starts_with("缺少字段或类型错误：[name]（缺少资产名）"));
    // Right and owner both fail for a department outside the subtree.
    post(
        &app,
        &s,
        &with(row("行", "liusn", "财务部"), json!({"count": 0})),
    )
    .err_spec(
        400,
        2,
        "无权管理该部门的资产；资产数量不可小于1；指定资产挂账人不处于当前部门",
    );
    // The system admin may manage 财务部, so only the owner is wrong.
    post(&app, &sysadmin, &row("行", "liusn", "财务部")).err(
        400,
        2,
        "指定资产挂账人不处于当前部门（“liusn”属于部门「CST」，资产在部门「财务部」）",
    );
    assert_eq!(app.digest(), before);
}

#[test]
fn rules_that_depend_on_a_failed_lookup_are_skipped() {
    let (app, s, _) = setup();
    let before = app.digest();
    // No department: no right, category, owner-department or parent check; the owner is
    // still looked up by name.
    let a = json!({
        "assetClass": 1, "count": 3, "department": "火星部", "assetTree": "无此分类",
        "user": "caiwu", "parent": "无此父资产", "price": 1, "deadline": 1
    });
    post(&app, &s, &a).err_spec(
        400,
        2,
        "缺少字段或类型错误：[name]；对应部门不存在；仅数量型资产的数量可大于1",
    );
    let missing_department = json!({
        "name": "行", "assetClass": 0, "user": "nobody", "price": 1, "count": 1,
        "assetTree": "无此分类", "deadline": 1, "parent": "无此父资产"
    });
    post(&app, &s, &missing_department).err_spec(
        400,
        2,
        "缺少字段或类型错误：[department]；未找到该资产挂账人",
    );
    // No class: no item-count or class/category check.
    let bad_class = with(
        row("行", "liusn", "CST"),
        json!({"assetClass": 5, "count": 3, "assetTree": "条目型资产"}),
    );
    post(&app, &s, &bad_class).err_spec(400, 2, &field("assetClass"));
    // No category: no class/category check.
    let no_category = with(item("电脑"), json!({"assetTree": "无此分类"}));
    post(&app, &s, &no_category).err_spec(400, 2, "未找到指定层级分类");
    // No owner: no owner-department check.
    let no_owner = with(
        row("行", "liusn", "CST"),
        json!({"user": "nobody", "department": "软件组"}),
    );
    post(&app, &s, &no_owner).err_spec(400, 2, "未找到该资产挂账人");
    // Bad count: no count rule; bad price, deadline: no sign rule.
    let bad_numbers = with(
        row("行", "liusn", "CST"),
        json!({"count": "x", "price": "-x", "deadline": "-y"}),
    );
    post(&app, &s, &bad_numbers).err_spec(
        400,
        2,
        "缺少字段或类型错误：[price]；缺少字段或类型错误：[count]；缺少字段或类型错误：[deadline]",
    );
    assert_eq!(app.digest(), before);
}

#[test]
fn parents_by_id_by_name_and_refused() {
    let (app, s, _) = setup();
    let computer = app.create_asset(&s, &item("电脑"));
    let chair = app.create_asset(&s, &row("椅子", "liusn", "CST"));
    let mut elsewhere = item("服务器");
    elsewhere["department"] = json!("软件组");
    elsewhere["user"] = json!("ruanjian");
    let server = app.create_asset(&s, &elsewhere);

    let child = |parent: Value| with(item("键盘"), json!({ "parent": parent }));
    for parent in [
        json!(computer),
        json!(computer.to_string()),
        json!(format!(" {computer} ")),
        json!("电脑"),
    ] {
        let id = app.create_asset(&s, &child(parent.clone()));
        assert_eq!(view(&app, &s, id)["parentName"], "电脑", "{parent}");
    }
    // A quantity asset may have an item parent too.
    let id = app.create_asset(
        &s,
        &with(row("电源线", "liusn", "CST"), json!({"parent": "电脑"})),
    );
    assert_eq!(view(&app, &s, id)["parentName"], "电脑");
    for parent in [json!(""), json!("  "), json!(null)] {
        let id = app.create_asset(&s, &child(parent));
        assert_eq!(view(&app, &s, id)["parentName"], "");
    }

    let before = app.digest();
    for (what, parent) in [
        ("quantity asset by id", json!(chair)),
        ("quantity asset by name", json!("椅子")),
        ("another department's item by id", json!(server)),
        ("another department's item by name", json!("服务器")),
        ("no such id", json!(999_999)),
        ("no such id as text", json!("999999")),
        ("no such name", json!("无此资产")),
    ] {
        let a = post(&app, &s, &child(parent.clone()));
        assert_eq!(
            (a.status.code, a.code(), common::spec_message(a.info())),
            (400, 2, "父资产不符合规范".to_owned()),
            "{what}"
        );
        // The message names the parent asked for.
        let asked = parent.as_str().map_or(parent.to_string(), str::to_owned);
        assert!(
            a.info().contains(&format!("“{asked}”")),
            "{what}: {}",
            a.info()
        );
    }
    assert_eq!(app.digest(), before);

    // A second 电脑 makes the name ambiguous; the id still works.
    let second = app.create_asset(&s, &item("电脑"));
    post(&app, &s, &child(json!("电脑"))).err_spec(400, 2, "父资产不符合规范");
    app.create_asset(&s, &child(json!(computer)));
    // Retired assets are not parents by name: retiring one makes the name unique again.
    app.put(&format!("/api/expire_asset/{s}"), &json!([second]))
        .ok();
    let id = app.create_asset(&s, &child(json!("电脑")));
    assert_eq!(view(&app, &s, id)["parentName"], "电脑");
    app.put(&format!("/api/expire_asset/{s}"), &json!([computer]))
        .ok();
    post(&app, &s, &child(json!("电脑"))).err_spec(400, 2, "父资产不符合规范");
    // Nor by id: a retired asset holds nothing.
    for parent in [json!(computer), json!(second.to_string())] {
        post(&app, &s, &child(parent)).err_spec(400, 2, "父资产不符合规范");
    }
}

#[test]
fn classes_and_numbers_in_words_and_strings() {
    let (app, s, _) = setup();
    let one = app.create_asset(&s, &with(item("电脑"), json!({"assetClass": "条目型"})));
    let many = app.create_asset(
        &s,
        &with(
            row("椅子", "zhangsan", "CST"),
            json!({"assetClass": "数量型", "assetTree": "数量型资产"}),
        ),
    );
    let strings = app.create_asset(
        &s,
        &json!({
            "name": "桌子", "parent": "", "assetClass": "0", "user": "liusn",
            "price": "19.999", "description": "木", "position": "三楼", "expire": "0",
            "count": "3", "assetTree": "默认分类", "department": "CST", "deadline": " 5 "
        }),
    );
    let text_item = app.create_asset(
        &s,
        &with(item("显示器"), json!({"assetClass": "1", "count": "1"})),
    );
    let rounded = app.create_asset(
        &s,
        &with(row("纸", "liusn", "CST"), json!({"price": 0.125})),
    );
    let truncated = app.create_asset(
        &s,
        &with(row("笔", "liusn", "CST"), json!({"price": 10.004})),
    );

    assert_eq!(view(&app, &s, one)["assetClass"], 1);
    assert_eq!(view(&app, &s, text_item)["assetClass"], 1);
    let v = view(&app, &s, many);
    assert_eq!(
        (v["assetClass"].clone(), v["count"].clone()),
        (json!(0), json!(10))
    );
    let v = view(&app, &s, strings);
    assert_eq!(v["assetClass"], 0);
    assert_eq!(v["initial_price"], 20.0);
    assert_eq!(v["price"], 20.0);
    assert_eq!(v["count"], 3);
    assert_eq!(v["deadline"], 5);
    assert_eq!(v["expire"], 0);
    assert_eq!(view(&app, &s, rounded)["initial_price"], 0.13);
    assert_eq!(view(&app, &s, truncated)["initial_price"], 10.0);
}

#[test]
fn created_asset_view_and_status() {
    let (app, s, sysadmin) = setup();
    let mut r = item("电脑");
    r["description"] = json!("<b>联想</b>");
    r["position"] = json!("三楼");
    let id = app.create_asset(&s, &r);
    let today = chrono::Local::now()
        .date_naive()
        .format("%Y-%m-%d")
        .to_string();
    assert_eq!(
        view(&app, &s, id),
        json!({
            "id": id, "parentName": "", "name": "电脑", "assetClass": 1, "userName": "liusn",
            "price": 100.0, "description": "<b>联想</b>", "position": "三楼", "expire": 0,
            "count": 1, "assetTree": "条目型资产", "departmentName": "CST",
            "create_time": today, "deadline": 5, "initial_price": 100.0,
            "warning_amount": -1, "warning_date": -1, "expire_date": 5, "status": 1
        })
    );
    // Owned by staff: in use.
    let id = app.create_asset(&s, &row("椅子", "zhangsan", "CST"));
    assert_eq!(view(&app, &s, id)["status"], 2);
    // The system admin manages every department of the entity.
    let id = app.create_asset(&sysadmin, &row("账本", "caiwu", "财务部"));
    assert_eq!(view(&app, &sysadmin, id)["departmentName"], "财务部");
    assert_eq!(view(&app, &sysadmin, id)["status"], 2);
}

/// Issue 13 (5): money as people type it in Excel is accepted, and a message names the column
/// and the value it could not take.
#[test]
fn excel_money_is_accepted_and_messages_name_the_column_and_the_value() {
    let (app, s, _) = setup();
    for (price, expected) in [
        (json!("1,200"), 1200.0),
        (json!("¥1,299.00"), 1299.0),
        (json!("￥ 3,000.5"), 3000.5),
        (json!("¥88"), 88.0),
        (json!("-0"), 0.0),
        (json!("1,234,567.25"), 1_234_567.25),
    ] {
        let r = with(row("椅子", "liusn", "CST"), json!({ "price": price }));
        let id = post(&app, &s, &r).ok()["id"].as_i64().unwrap();
        assert_eq!(view(&app, &s, id)["initial_price"], expected, "{price}");
    }
    let before = app.digest();
    for (price, shown) in [
        ("1,2,3", "1,2,3"),
        ("12,34", "12,34"),
        ("¥", "¥"),
        ("1.200,50", "1.200,50"),
    ] {
        let r = with(row("椅子", "liusn", "CST"), json!({ "price": price }));
        post(&app, &s, &r).err(
            400,
            2,
            &format!("缺少字段或类型错误：[price]（原值“{shown}”不是金额）"),
        );
    }
    for (fields, message) in [
        (
            json!({"count": "abc"}),
            "缺少字段或类型错误：[count]（资产数量“abc”不是整数）",
        ),
        (
            json!({"name": ""}),
            "字段长度不合法：[name]（资产名不能为空）",
        ),
        (
            json!({"name": "长".repeat(129)}),
            "字段长度不合法：[name]（资产名超过128字）",
        ),
        (
            json!({"assetClass": "家具"}),
            "缺少字段或类型错误：[assetClass]（资产类型“家具”不是数量型或条目型）",
        ),
        (
            json!({"deadline": true}),
            "缺少字段或类型错误：[deadline]（使用期限应为整数）",
        ),
        (
            json!({"create_time": "2999/1/1"}),
            "缺少字段或类型错误：[create_time]（创建时间“2999/1/1”晚于今天）",
        ),
    ] {
        post(&app, &s, &with(row("椅子", "liusn", "CST"), fields)).err(400, 2, message);
    }
    let mut missing = row("椅子", "liusn", "CST");
    missing.as_object_mut().unwrap().remove("user");
    post(&app, &s, &missing).err(400, 2, "缺少字段或类型错误：[user]（缺少挂账人）");
    assert_eq!(app.digest(), before);
}
