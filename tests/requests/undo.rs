//! Undoing an approved request (撤销申请): what its lines changed is taken back where nothing
//! changed the asset since, a part split off is merged back, and a changed asset is left as it
//! is, saying why.

use crate::common::{row, App};
use crate::kinds::{act, ask, asset, demo_sessions};
use serde_json::{json, Value};

fn history_kinds(app: &App, s: &str, id: i64) -> Vec<Value> {
    let h = app.get(&format!("/api/asset_history/{s}/{id}?page=1&size=100"));
    h.ok()
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].clone())
        .collect()
}

#[test]
fn an_approved_request_is_undone_where_nothing_changed_since() {
    let app = App::new();
    let (admin, liusn, zhangsan) = demo_sessions(&app);
    app.add_software_manager(&admin);
    let mut chairs = row("椅子", "liusn", "CST");
    chairs["price"] = json!(100.0);
    let chairs = app.create_asset(&admin, &chairs);
    let desk = app.create_asset(&admin, &row("书桌", "liusn", "CST"));
    let lamp = app.create_asset(&admin, &row("台灯", "liusn", "CST"));
    let request = ask(
        &app,
        &liusn,
        &json!({"kind": "调拨", "target_department": "软件组", "lines": [
            {"asset": chairs, "count": 4}, {"asset": desk}, {"asset": lamp}]}),
    );
    // Not approved yet: nothing to undo.
    act(&app, &admin, request, "undo").err(400, 20, "只有已通过的申请可以撤销（该申请待审批）");
    let approved = act(&app, &admin, request, "approve");
    let part = approved.ok()["lines"][0]["split_asset"].as_i64().unwrap();
    // The lamp is changed after the approval: its undo is left.
    app.put(
        &format!("/api/asset/{admin}"),
        &json!({"id": lamp, "position": "二楼"}),
    )
    .ok();
    let before = app.table_counts();

    // Staff may not undo.
    act(&app, &zhangsan, request, "undo").err(403, 1, "你无此权限");
    let undone = act(&app, &admin, request, "undo");
    let data = undone.ok().clone();
    assert_eq!(data["state_label"], "已撤销", "{data}");
    assert_eq!(data["undoer"], "sysadmin");
    assert_eq!(
        data["line_counts"],
        json!({"pending": 0, "executed": 1, "not_executed": 0, "undone": 2})
    );
    let lines = data["lines"].as_array().unwrap();
    assert_eq!(lines[2]["invalid"], "未撤销：资产在此申请之后已被修改");
    assert_eq!(lines[2]["state_label"], "已执行");

    // The desk is back in CST with its manager; the chairs are ten again, worth 100.00, and
    // the part is gone; the lamp stayed in 软件组.
    let desk_now = asset(&app, &admin, desk);
    assert_eq!(
        (&desk_now["departmentName"], &desk_now["userName"]),
        (&json!("CST"), &json!("liusn")),
        "{desk_now}"
    );
    let chairs_now = asset(&app, &admin, chairs);
    assert_eq!(chairs_now["count"], 10, "{chairs_now}");
    assert_eq!(chairs_now["initial_price"], 100.0, "{chairs_now}");
    assert_eq!(
        asset(&app, &admin, part),
        Value::Null,
        "the part was merged back"
    );
    assert_eq!(asset(&app, &admin, lamp)["departmentName"], "软件组");
    // Each step is in the history, naming the request.
    assert_eq!(history_kinds(&app, &admin, desk)[0], "request_undone");
    assert_eq!(history_kinds(&app, &admin, chairs)[0], "request_undone");
    let merged = app.get(&format!(
        "/api/asset_history/{admin}/{part}?page=1&size=100"
    ));
    assert_eq!(merged.ok()[0]["kind"], "split_merged", "{}", merged.body);
    assert_eq!(merged.ok()[0]["source"], format!("申请 #{request}"));
    // One asset fewer (the part), the history grew by the three entries.
    let after = app.table_counts();
    let grew = |table: &str| {
        let n = |v: &Vec<(String, i64)>| v.iter().find(|(t, _)| t == table).map_or(0, |x| x.1);
        n(&after) - n(&before)
    };
    assert_eq!((grew("asset"), grew("asset_history")), (-1, 3));
    crate::files::assert_kept_counts_agree(&app);

    // Once undone, it is not undone again.
    act(&app, &admin, request, "undo").err(400, 20, "只有已通过的申请可以撤销（该申请已撤销）");
}
