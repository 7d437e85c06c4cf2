//! Assets after creation (SPEC §5, §6): depreciation, modify, retire, search filters and the
//! staff's own list.

use crate::common;

use chrono::{Datelike, NaiveDate};
use common::{item, row, App};
use serde_json::{json, Value};

fn today() -> NaiveDate {
    chrono::Local::now().date_naive()
}

fn date(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// SPEC §5: initial × max(0, 1 − days / (deadline × 365)), to the cent; deadline 0 keeps it.
fn depreciated(initial: f64, deadline: i64, created: NaiveDate) -> f64 {
    if deadline == 0 {
        return initial;
    }
    let days = (today() - created).num_days() as f64;
    let factor = (1.0 - days / (deadline as f64 * 365.0)).max(0.0);
    ((initial * 100.0).round() * factor).round() / 100.0
}

fn whole_years(from: NaiveDate, to: NaiveDate) -> i64 {
    let mut years = (to.year() - from.year()) as i64;
    if (to.month(), to.day()) < (from.month(), from.day()) {
        years -= 1;
    }
    years
}

fn view(app: &App, session: &str, id: i64) -> Value {
    let a = app.post(
        &format!("/api/search_assets/{session}"),
        &json!({"page": 1, "id": id}),
    );
    assert_eq!(a.body["total"], 1, "{:?}", a.body);
    a.ok()[0].clone()
}

fn backdated(name: &str, price: f64, deadline: i64, created: NaiveDate) -> Value {
    let mut r = item(name);
    r["price"] = json!(price);
    r["deadline"] = json!(deadline);
    r["create_time"] = json!(date(created));
    r
}

#[test]
fn depreciation_is_straight_line_to_the_cent() {
    let app = App::new();
    let s = app.demo("liusn");
    let five_years_ago = today() - chrono::Duration::days(1826);
    let half = app.create_asset(&s, &backdated("五年电脑", 1000.0, 10, five_years_ago));
    let v = view(&app, &s, half);
    let expected = depreciated(1000.0, 10, five_years_ago);
    assert!((expected - 500.0).abs() < 1.0, "{expected}");
    assert_eq!(v["price"], expected);
    assert_eq!(v["initial_price"], 1000.0);
    assert_eq!(v["create_time"], date(five_years_ago));
    assert_eq!(v["deadline"], 10);
    assert_eq!(v["expire_date"], 10 - whole_years(five_years_ago, today()));

    let odd_day = today() - chrono::Duration::days(400);
    let odd = app.create_asset(&s, &backdated("一年多", 99.99, 3, odd_day));
    let v = view(&app, &s, odd);
    assert_eq!(v["price"], depreciated(99.99, 3, odd_day));
    assert_eq!(v["expire_date"], 2);

    let no_depreciation = app.create_asset(&s, &backdated("永久", 1000.0, 0, five_years_ago));
    let v = view(&app, &s, no_depreciation);
    assert_eq!(v["price"], 1000.0);
    assert_eq!(v["expire_date"], 0);

    let eleven_years_ago = today() - chrono::Duration::days(11 * 365 + 3);
    let spent = app.create_asset(&s, &backdated("报废", 1000.0, 10, eleven_years_ago));
    let v = view(&app, &s, spent);
    assert_eq!(v["price"], 0.0);
    assert_eq!(v["initial_price"], 1000.0);
    assert_eq!(v["expire_date"], 0);

    let fresh = app.create_asset(&s, &backdated("新电脑", 1000.0, 10, today()));
    let v = view(&app, &s, fresh);
    assert_eq!(v["price"], 1000.0);
    assert_eq!(v["expire_date"], 10);

    // Retired: worth nothing, whatever its age.
    app.put(
        &format!("/api/expire_asset/{s}"),
        &json!([half, no_depreciation]),
    )
    .ok();
    for id in [half, no_depreciation] {
        let v = view(&app, &s, id);
        assert_eq!(v["price"], 0.0);
        assert_eq!(v["expire"], 1);
        assert_eq!(v["initial_price"], 1000.0);
    }

    // The price filters read the current value.
    let found = app.post(
        &format!("/api/search_assets/{s}"),
        &json!({"page": 1, "price_inf": 0.01, "price_sup": 999.99}),
    );
    let ids: Vec<i64> = found
        .ok()
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [odd]);
}

#[test]
fn modify_replaces_fields_under_the_row_rules() {
    let app = App::new();
    let s = app.demo("liusn");
    let id = app.create_asset(&s, &item("电脑"));
    app.put(
        &format!("/api/asset/{s}"),
        &json!({"id": id, "name": "笔记本", "price": 50, "description": "新的",
                "position": "五楼", "user": "zhangsan", "status": 3, "deadline": "8"}),
    )
    .ok();
    let v = view(&app, &s, id);
    assert_eq!(v["name"], "笔记本");
    assert_eq!(v["price"], 50.0);
    assert_eq!(v["initial_price"], 50.0);
    assert_eq!(v["description"], "新的");
    assert_eq!(v["position"], "五楼");
    assert_eq!(v["userName"], "zhangsan");
    assert_eq!(v["status"], 3);
    assert_eq!(v["deadline"], 8);
    assert_eq!(v["create_time"], date(today()));

    // Fields not sent keep their values; the id may be a numeric string.
    app.put(
        &format!("/api/asset/{s}"),
        &json!({"id": id.to_string(), "position": "六楼"}),
    )
    .ok();
    let v2 = view(&app, &s, id);
    assert_eq!(v2["position"], "六楼");
    assert_eq!(v2["name"], "笔记本");
    assert_eq!(v2["status"], 3);
    assert_eq!(v2["userName"], "zhangsan");

    // Department and class are not edits; the asset's date is (issue 22: a migrated asset
    // keeps its own date, from which its depreciation counts).
    let _ = app.put(
        &format!("/api/asset/{s}"),
        &json!({"id": id, "department": "软件组", "assetClass": 0,
                "create_time": "2001-01-01"}),
    );
    let v3 = view(&app, &s, id);
    assert_eq!(v3["departmentName"], "CST");
    assert_eq!(v3["assetClass"], 1);
    assert_eq!(v3["create_time"], "2001-01-01");

    let parent = app.create_asset(&s, &item("主机"));
    app.put(
        &format!("/api/asset/{s}"),
        &json!({"id": id, "parent": parent}),
    )
    .ok();
    assert_eq!(view(&app, &s, id)["parentName"], "主机");

    let before = app.digest();
    let modify = |body: Value| app.put(&format!("/api/asset/{s}"), &body);
    modify(json!({"id": id, "price": -1})).err(400, 2, "原值不可为负");
    modify(json!({"id": id, "name": ""})).err_spec(400, 2, "字段长度不合法：[name]");
    modify(json!({"id": id, "user": "nobody"})).err(
        400,
        2,
        "未找到该资产挂账人（本企业没有用户“nobody”）",
    );
    modify(json!({"id": id, "count": 2})).err(400, 2, "仅数量型资产的数量可大于1");
    modify(json!({"id": id, "assetTree": "数量型资产"})).err(400, 2, "资产类别与层级分类不匹配");
    modify(json!({"id": id, "name": "", "price": "x"})).err_spec(
        400,
        2,
        "缺少字段或类型错误：[price]；字段长度不合法：[name]",
    );
    // Neither itself nor its own child can become its parent.
    modify(json!({"id": id, "parent": id})).err(400, 2, "父资产不符合规范");
    modify(json!({"id": parent, "parent": id})).err(400, 2, "父资产不符合规范");
    modify(json!({"id": id, "status": 4})).err(400, -2, "缺少字段或类型错误：[status]");
    modify(json!({"name": "无编号"})).err(400, -2, "缺少字段或类型错误：[id]");
    modify(json!({"id": "abc"})).err(400, -2, "缺少字段或类型错误：[id]");
    modify(json!({"id": 999_999, "name": "x"})).err(404, 7, "资产不存在");
    assert_eq!(app.digest(), before);
}

#[test]
fn a_manager_changes_only_assets_of_its_subtree() {
    let app = App::new();
    let sysadmin = app.demo("sysadmin");
    app.post(
        &format!("/api/department/{sysadmin}"),
        &json!({"name": "财务部", "parent": ""}),
    )
    .ok();
    app.post(
        &format!("/api/user/{sysadmin}"),
        &json!({"name": "caiwu", "password": "secret1", "department": "财务部", "character": 1}),
    )
    .ok();
    let theirs = app.create_asset(&sysadmin, &row("账本", "caiwu", "财务部"));
    let s = app.demo("liusn");
    let before = app.digest();
    app.put(
        &format!("/api/asset/{s}"),
        &json!({"id": theirs, "name": "改"}),
    )
    .err(403, 1, "你无此权限");
    app.put(&format!("/api/expire_asset/{s}"), &json!([theirs]))
        .err(403, 1, "你无此权限");
    assert_eq!(app.digest(), before);
    let found = app.post(
        &format!("/api/search_assets/{s}"),
        &json!({"page": 1, "department": "财务部"}),
    );
    assert_eq!(found.ok(), &json!([]));
    // The system admin can.
    app.put(
        &format!("/api/asset/{sysadmin}"),
        &json!({"id": theirs, "name": "总账"}),
    )
    .ok();
    assert_eq!(view(&app, &sysadmin, theirs)["name"], "总账");
}

#[test]
fn retire_is_all_or_nothing() {
    let app = App::new();
    let s = app.demo("liusn");
    let a = app.create_asset(&s, &item("电脑"));
    let b = app.create_asset(&s, &row("椅子", "liusn", "CST"));
    let c = app.create_asset(&s, &item("打印机"));

    let before = app.digest();
    app.put(&format!("/api/expire_asset/{s}"), &json!([a, 999_999]))
        .err(404, 7, "资产不存在");
    app.put(&format!("/api/expire_asset/{s}"), &json!({"ids": [a]}))
        .err(400, -2, "缺少字段或类型错误：[body]");
    app.put(&format!("/api/expire_asset/{s}"), &json!([])).ok();
    assert_eq!(app.digest(), before);

    app.put(&format!("/api/expire_asset/{s}"), &json!([a, b]))
        .ok();
    // Retiring again changes nothing and is no error.
    app.put(&format!("/api/expire_asset/{s}"), &json!([a])).ok();
    for id in [a, b] {
        let v = view(&app, &s, id);
        assert_eq!(
            (v["expire"].clone(), v["price"].clone()),
            (json!(1), json!(0.0))
        );
    }
    assert_eq!(view(&app, &s, c)["expire"], 0);
    let search = |expire: i64| -> Vec<i64> {
        app.post(
            &format!("/api/search_assets/{s}"),
            &json!({"page": 1, "expire": expire}),
        )
        .ok()
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_i64().unwrap())
        .collect()
    };
    assert_eq!(search(1), [a, b]);
    assert_eq!(search(0), [c]);
    app.post(
        &format!("/api/search_assets/{s}"),
        &json!({"page": 1, "expire": 2}),
    )
    .err(400, -2, "缺少字段或类型错误：[expire]");
}

#[test]
fn search_filters() {
    let app = App::new();
    let sysadmin = app.demo("sysadmin");
    app.post(
        &format!("/api/user/{sysadmin}"),
        &json!({"name": "ruanjian", "password": "secret1", "department": "软件组", "character": 1}),
    )
    .ok();
    let s = app.demo("liusn");
    let category = |name: &str, parent: &str| {
        app.post(
            &format!("/api/asset_tree/{s}"),
            &json!({"name": name, "parent": parent, "department": "CST"}),
        )
        .ok();
    };
    category("电子设备", "条目型资产");
    category("笔记本", "电子设备");

    let lenovo = app.create_asset(
        &s,
        &json!({"name": "联想电脑", "assetClass": 1, "user": "liusn", "price": 100,
                "count": 1, "assetTree": "电子设备", "department": "CST", "deadline": 5,
                "description": "黑色 笔记本"}),
    );
    let dell = app.create_asset(
        &s,
        &json!({"name": "戴尔电脑", "assetClass": 1, "user": "liusn", "price": 90,
                "count": 1, "assetTree": "笔记本", "department": "CST", "deadline": 5}),
    );
    let mut chairs = row("椅子", "zhangsan", "CST");
    chairs["description"] = json!("木");
    let chairs = app.create_asset(&s, &chairs);
    let mut server = item("服务器");
    server["user"] = json!("ruanjian");
    server["department"] = json!("软件组");
    server["price"] = json!(5000);
    server["description"] = json!("机房");
    let server = app.create_asset(&s, &server);
    let old = app.create_asset(&s, &item("旧电脑"));
    app.put(&format!("/api/expire_asset/{s}"), &json!([old]))
        .ok();

    for session in [&s, &sysadmin] {
        let search = |filter: Value| -> Vec<i64> {
            let mut body = filter;
            body["page"] = json!(1);
            app.post(&format!("/api/search_assets/{session}"), &body)
                .ok()
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v["id"].as_i64().unwrap())
                .collect()
        };
        assert_eq!(search(json!({})), [lenovo, dell, chairs, server, old]);
        assert_eq!(search(json!({"name": "电脑"})), [lenovo, dell, old]);
        assert_eq!(search(json!({"name": "联想"})), [lenovo]);
        assert_eq!(search(json!({"name": ""})).len(), 5);
        assert_eq!(search(json!({"user": "zhangsan"})), [chairs]);
        assert_eq!(search(json!({"user": "ruanjian"})), [server]);
        assert_eq!(search(json!({"user": "nobody"})), Vec::<i64>::new());
        assert_eq!(
            search(json!({"price_inf": 90, "price_sup": 100})),
            [lenovo, dell]
        );
        assert_eq!(search(json!({"price_inf": "100"})), [lenovo, server]);
        assert_eq!(search(json!({"price_sup": 10})), [chairs, old]);
        assert_eq!(search(json!({"description": "笔记本"})), [lenovo]);
        assert_eq!(search(json!({"description": "机"})), [server]);
        assert_eq!(search(json!({"expire": 1})), [old]);
        assert_eq!(
            search(json!({"expire": "0", "name": "电脑"})),
            [lenovo, dell]
        );
        assert_eq!(
            search(json!({"asset_tree_node": "电子设备"})),
            [lenovo, dell]
        );
        assert_eq!(search(json!({"asset_tree_node": "笔记本"})), [dell]);
        assert_eq!(
            search(json!({"asset_tree_node": "条目型资产"})),
            [lenovo, dell, server, old]
        );
        assert_eq!(
            search(json!({"asset_tree_node": "数量型资产"})),
            Vec::<i64>::new()
        );
        assert_eq!(search(json!({"asset_tree_node": "默认分类"})).len(), 5);
        assert_eq!(search(json!({"department": "软件组"})), [server]);
        // A department names that department only, not the ones below it.
        assert_eq!(
            search(json!({"department": "CST"})),
            [lenovo, dell, chairs, old]
        );
        assert_eq!(
            search(json!({"department": "CST", "asset_tree_node": "条目型资产"})),
            [lenovo, dell, old]
        );
        assert_eq!(search(json!({ "id": dell })), [dell]);
        assert_eq!(search(json!({ "id": dell.to_string() })), [dell]);
        assert_eq!(
            search(json!({"id": null, "name": null, "department": "", "user": ""})).len(),
            5
        );
    }
}

#[test]
fn staff_see_their_own_assets() {
    let app = App::new();
    let s = app.demo("liusn");
    let staff = app.demo("zhangsan");
    let list = app.get(&format!("/api/asset_user_list/{staff}/1"));
    assert_eq!(list.ok(), &json!([]));
    assert_eq!(
        (list.body["pages"].clone(), list.body["total"].clone()),
        (json!(0), json!(0))
    );

    let chairs = app.create_asset(&s, &row("椅子", "zhangsan", "CST"));
    app.create_asset(&s, &item("电脑"));
    let desk = app.create_asset(&s, &row("桌子", "zhangsan", "CST"));
    app.put(&format!("/api/expire_asset/{s}"), &json!([desk]))
        .ok();
    let list = app.get(&format!("/api/asset_user_list/{staff}/1"));
    assert_eq!(list.body["total"], 2);
    let mine = list.ok().as_array().unwrap();
    assert_eq!(mine[0], view(&app, &s, chairs));
    assert_eq!(mine[1]["name"], "桌子");
    assert_eq!(mine[1]["expire"], 1);
    assert!(mine.iter().all(|a| a["userName"] == "zhangsan"));
}
