//! Issue 22 (8) through HTTP: a user is read, edited and deleted within the admin's rights; one
//! who leaves a department holding assets says where they go, and they follow (or stay with the
//! department's asset manager) with their history; staff search only their own assets.

use crate::common;

use common::{enc, item, App};
use serde_json::{json, Value};

fn user_id(app: &App, admin: &str, name: &str) -> i64 {
    let list = app.get(&format!(
        "/api/user_entity/{admin}/{}/1?size=100",
        enc("示例企业")
    ));
    list.ok()
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["name"] == name)
        .unwrap_or_else(|| panic!("{name} in {}", list.body))["id"]
        .as_i64()
        .unwrap()
}

fn owned_by(app: &App, manager: &str, owner: &str) -> Vec<Value> {
    app.assets(manager)
        .into_iter()
        .filter(|a| a["userName"] == owner)
        .collect()
}

#[test]
fn a_user_who_moves_with_assets_says_where_they_go() {
    let app = App::new();
    let (admin, liusn) = (app.demo("sysadmin"), app.demo("liusn"));
    let zhangsan = user_id(&app, &admin, "zhangsan");
    for name in ["随人走的笔记本", "随人走的显示器"] {
        let mut row = item(name);
        row["user"] = json!("zhangsan");
        app.create_asset(&liusn, &row);
    }
    let detail = app.get(&format!("/api/user/{admin}/{zhangsan}"));
    let d = detail.ok();
    assert_eq!(
        (d["assets"].as_i64(), d["department"].as_str()),
        (Some(2), Some("CST"))
    );
    assert_eq!(d["receiver"], "liusn");

    // Without a choice, nothing changes and the answer says how many assets are held.
    let before = app.digest();
    let asked = app.post(
        &format!("/api/user/{admin}/{zhangsan}"),
        &json!({"department": "软件组"}),
    );
    assert_eq!(asked.code(), 30, "{}", asked.body);
    assert!(asked.info().contains("2项资产"), "{}", asked.info());
    // A choice that is not one, or a department of nowhere: refused, nothing changed.
    let bad = app.post(
        &format!("/api/user/{admin}/{zhangsan}"),
        &json!({"department": "软件组", "assets": "elsewhere"}),
    );
    assert_eq!(bad.code(), -2, "{}", bad.body);
    let nowhere = app.post(
        &format!("/api/user/{admin}/{zhangsan}"),
        &json!({"department": "不存在的部门", "assets": "move"}),
    );
    assert_ne!(nowhere.code(), 0, "{}", nowhere.body);
    assert_eq!(app.digest(), before);

    // 随用户转入新部门: the assets move with him, each with its history entry.
    let moved = app.post(
        &format!("/api/user/{admin}/{zhangsan}"),
        &json!({"department": "软件组", "assets": "move", "email": "zs@example.com"}),
    );
    let m = moved.ok();
    assert_eq!(m["assets"]["count"], 2, "{m}");
    assert_eq!(m["assets"]["department"], "软件组");
    let held = owned_by(&app, &liusn, "zhangsan");
    assert_eq!(held.len(), 2);
    assert!(
        held.iter().all(|a| a["departmentName"] == "软件组"),
        "{held:?}"
    );
    let history = app.get(&format!("/api/asset_history/{liusn}/{}", held[0]["id"]));
    assert!(
        history.body.to_string().contains("软件组"),
        "the move is in the asset's history: {}",
        history.body
    );

    // Back to CST, leaving the assets with 软件组's manager — there is none: refused.
    let keep = app.post(
        &format!("/api/user/{admin}/{zhangsan}"),
        &json!({"department": "CST", "assets": "keep"}),
    );
    assert_ne!(keep.code(), 0, "{}", keep.body);
    assert_eq!(owned_by(&app, &liusn, "zhangsan").len(), 2);
}

#[test]
fn a_user_is_deleted_only_within_rights_and_their_assets_are_handed_over() {
    let app = App::new();
    let (admin, liusn) = (app.demo("sysadmin"), app.demo("liusn"));
    let zhangsan = user_id(&app, &admin, "zhangsan");
    let sysadmin = user_id(&app, &admin, "sysadmin");
    let mut row = item("交接的椅子");
    row["user"] = json!("zhangsan");
    let asset = app.create_asset(&liusn, &row);

    // Nobody deletes themselves, a manager deletes nobody, and a holder needs ?assets=keep.
    let own = app.delete(&format!("/api/user/{admin}/{sysadmin}"));
    assert_ne!(own.code(), 0);
    let by_manager = app.delete(&format!("/api/user/{liusn}/{zhangsan}"));
    assert_ne!(by_manager.code(), 0);
    let unsaid = app.delete(&format!("/api/user/{admin}/{zhangsan}"));
    assert_eq!(unsaid.code(), 30, "{}", unsaid.body);
    let bad = app.delete(&format!("/api/user/{admin}/{zhangsan}?assets=away"));
    assert_eq!(bad.code(), -2, "{}", bad.body);
    for id in ["abc", "0", "-3", "99999"] {
        let answer = app.delete(&format!("/api/user/{admin}/{id}"));
        assert_ne!(answer.code(), 0, "{id}: {}", answer.body);
    }
    assert_eq!(owned_by(&app, &liusn, "zhangsan").len(), 1);

    let gone = app.delete(&format!("/api/user/{admin}/{zhangsan}?assets=keep"));
    assert_eq!(gone.ok()["assets"]["owner"], "liusn", "{}", gone.body);
    let a = app
        .assets(&liusn)
        .into_iter()
        .find(|a| a["id"] == asset)
        .unwrap();
    assert_eq!(a["userName"], "liusn");
    let login = app.post(
        "/api/login",
        &json!({"identity": "zhangsan", "password": common::DEMO_PASSWORD}),
    );
    assert_ne!(login.code(), 0, "a deleted user cannot log in");
}

#[test]
fn staff_search_their_own_assets_only() {
    let app = App::new();
    let (admin, liusn) = (app.demo("sysadmin"), app.demo("liusn"));
    app.staff_in(&admin, ("CST", ""), "lisi");
    for (name, owner) in [
        ("张三的笔记本", "zhangsan"),
        ("张三的椅子", "zhangsan"),
        ("李四的笔记本", "lisi"),
        ("经理的笔记本", "liusn"),
    ] {
        let mut row = item(name);
        row["user"] = json!(owner);
        app.create_asset(&liusn, &row);
    }
    let staff = app.demo("zhangsan");
    let search = |body: Value| {
        let answer = app.post(&format!("/api/search_assets/{staff}"), &body);
        let names: Vec<String> = answer
            .ok()
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["name"].as_str().unwrap().to_owned())
            .collect();
        (answer.body["total"].as_i64().unwrap(), names)
    };
    assert_eq!(search(json!({"page": 1})).0, 2);
    let (total, names) = search(json!({"page": 1, "name": "笔记本"}));
    assert_eq!((total, names), (1, vec!["张三的笔记本".to_owned()]));
    // Asking for another's assets or the whole department still finds only their own.
    assert_eq!(search(json!({"page": 1, "user": "lisi"})).0, 0);
    assert_eq!(search(json!({"page": 1, "department": "CST"})).0, 2);
    let bad = app.post(
        &format!("/api/search_assets/{staff}"),
        &json!({"page": "x"}),
    );
    assert_eq!(bad.code(), -2, "{}", bad.body);
}
