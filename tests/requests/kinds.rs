//! Each kind of request from asking to its executed change and the asset's history entry.

use crate::common::{self, row, App};
use serde_json::{json, Value};

/// The asset as the caller's search shows it.
pub fn asset(app: &App, s: &str, id: i64) -> Value {
    let found = app.post(
        &format!("/api/search_assets/{s}"),
        &json!({"id": id, "page": 1, "size": 10}),
    );
    found
        .ok()
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == id)
        .cloned()
        .unwrap_or(Value::Null)
}

/// Asks for a request; returns its id.
pub fn ask(app: &App, s: &str, body: &Value) -> i64 {
    app.post(&format!("/api/requests/{s}"), body).ok()["id"]
        .as_i64()
        .expect("request id")
}

pub fn act(app: &App, s: &str, id: i64, action: &str) -> common::Answer {
    app.post(&format!("/api/requests/{s}/{id}/{action}"), &json!({}))
}

/// The newest history entry of an asset.
pub fn last_history(app: &App, s: &str, id: i64) -> Value {
    let h = app.get(&format!("/api/asset_history/{s}/{id}?page=1&size=100"));
    h.ok().as_array().unwrap()[0].clone()
}

/// The demo company's system admin, asset manager and staff member, logged in.
pub fn demo_sessions(app: &App) -> (String, String, String) {
    (
        app.demo("sysadmin"),
        app.demo("liusn"),
        app.demo("zhangsan"),
    )
}

/// An asset of the demo company held by `owner` of CST.
pub fn asset_of(app: &App, admin: &str, name: &str, owner: &str) -> i64 {
    app.create_asset(admin, &row(name, owner, "CST"))
}

#[test]
fn a_staff_member_takes_an_idle_asset_once_the_manager_approves() {
    let app = App::new();
    let (admin, liusn, zhangsan) = demo_sessions(&app);
    let id = asset_of(&app, &admin, "投影仪", "liusn");
    assert_eq!(
        asset(&app, &liusn, id)["status"],
        1,
        "a manager's asset starts idle"
    );

    let request = ask(
        &app,
        &zhangsan,
        &json!({"kind": "领用", "reason": "开会用", "lines": [{"asset": id}]}),
    );
    // The manager's badge and the staff member's own list.
    let to_do = app.get(&format!("/api/requests/{liusn}/to_do"));
    assert_eq!(to_do.ok()["to_review"], 1, "{}", to_do.body);
    let mine = app.get(&format!("/api/requests/{zhangsan}?mine=true"));
    assert_eq!(mine.body["total"], 1, "{}", mine.body);
    assert_eq!(mine.ok()[0]["state_label"], "待审批");
    assert_eq!(mine.ok()[0]["kind"], "take");

    let approved = act(&app, &liusn, request, "approve");
    let approved = approved.ok();
    assert_eq!(approved["state_label"], "已通过", "{approved}");
    assert_eq!(approved["reviewer"], "liusn");
    assert_eq!(approved["lines"][0]["state_label"], "已执行", "{approved}");
    let now = asset(&app, &liusn, id);
    assert_eq!(
        (&now["userName"], &now["status"]),
        (&json!("zhangsan"), &json!(2)),
        "{now}"
    );
    let entry = last_history(&app, &liusn, id);
    assert_eq!(entry["kind"], "taken", "{entry}");
    assert_eq!(
        app.get(&format!("/api/requests/{liusn}/to_do")).ok()["to_review"],
        0
    );
}

#[test]
fn return_repair_and_transfer_change_the_holder_or_the_state_with_their_history() {
    let app = App::new();
    let (admin, liusn, zhangsan) = demo_sessions(&app);
    app.staff_in(&admin, ("CST", ""), "lisi");
    let laptop = asset_of(&app, &admin, "笔记本", "zhangsan");
    let phone = asset_of(&app, &admin, "手机", "zhangsan");
    let desk = asset_of(&app, &admin, "工位", "zhangsan");

    // 维保: in repair until the manager finishes it, then back in use by its holder.
    let repair = ask(
        &app,
        &zhangsan,
        &json!({"kind": "维保", "lines": [{"asset": laptop}]}),
    );
    act(&app, &liusn, repair, "approve").ok();
    assert_eq!(asset(&app, &liusn, laptop)["status"], 3);
    assert_eq!(last_history(&app, &liusn, laptop)["kind"], "repair_started");
    // In repair, it cannot be returned or handed on.
    let refused = app.post(
        &format!("/api/requests/{zhangsan}"),
        &json!({"kind": "退库", "lines": [{"asset": laptop}]}),
    );
    refused.err(400, 20, "第1项：资产“笔记本”在维保中，须先完成维保");
    let done = act(&app, &liusn, repair, "finish");
    assert!(done.ok()["finished_at"].is_string(), "{}", done.body);
    assert_eq!(asset(&app, &liusn, laptop)["status"], 2);
    assert_eq!(
        last_history(&app, &liusn, laptop)["kind"],
        "repair_finished"
    );
    act(&app, &liusn, repair, "finish").err(400, 20, "该维保申请已完成");

    // 退库: back to the department's asset manager, idle.
    let back = ask(
        &app,
        &zhangsan,
        &json!({"kind": "return", "lines": [{"asset": phone}]}),
    );
    act(&app, &liusn, back, "approve").ok();
    let now = asset(&app, &liusn, phone);
    assert_eq!(
        (&now["userName"], &now["status"]),
        (&json!("liusn"), &json!(1)),
        "{now}"
    );
    assert_eq!(last_history(&app, &liusn, phone)["kind"], "returned");

    // 转移: to a colleague of the same department, in use.
    let hand = ask(
        &app,
        &zhangsan,
        &json!({"kind": 4, "target_user": "lisi", "lines": [{"asset": desk}]}),
    );
    let detail = app.get(&format!("/api/requests/{zhangsan}/{hand}"));
    assert_eq!(detail.ok()["target_user"], "lisi", "{}", detail.body);
    assert_eq!(detail.ok()["lines"][0]["asset_name"], "工位");
    act(&app, &admin, hand, "approve").ok();
    assert_eq!(asset(&app, &liusn, desk)["userName"], "lisi");
    assert_eq!(last_history(&app, &liusn, desk)["kind"], "transferred");
}

#[test]
fn an_allocation_moves_assets_to_the_receiving_department_whose_manager_approves() {
    let app = App::new();
    let (admin, liusn) = (app.demo("sysadmin"), app.demo("liusn"));
    // 软件组 (below CST) gets an asset manager of its own.
    app.add_software_manager(&admin);
    let zhaoliu = app.login("zhaoliu", "secret5");
    let chairs = app.create_asset(&admin, &row("椅子", "liusn", "CST"));
    // Only managers and system admins allocate.
    let staff = app.demo("zhangsan");
    app.post(
        &format!("/api/requests/{staff}"),
        &json!({"kind": "调拨", "target_department": "软件组", "lines": [{"asset": chairs}]}),
    )
    .err(400, 20, "调拨只能由资产管理员或系统管理员申请");
    let request = ask(
        &app,
        &liusn,
        &json!({"kind": "调拨", "target_department": "软件组", "reason": "新组成立",
                "lines": [{"asset": chairs}]}),
    );
    // The receiving department's manager reviews it.
    assert_eq!(
        app.get(&format!("/api/requests/{zhaoliu}/to_do")).ok()["to_review"],
        1
    );
    let approved = act(&app, &zhaoliu, request, "approve");
    assert_eq!(approved.ok()["state_label"], "已通过", "{}", approved.body);
    let now = asset(&app, &admin, chairs);
    assert_eq!(now["departmentName"], "软件组", "{now}");
    assert_eq!(now["userName"], "zhaoliu", "{now}");
    // 软件组 has a category of the same name that takes its class: it stays in it.
    assert_eq!(now["assetTree"], "默认分类", "{now}");
    assert_eq!(last_history(&app, &admin, chairs)["kind"], "allocated");
}
