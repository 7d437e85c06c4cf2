//! Who may ask and review what, what a request refuses, a line whose asset changed since it was
//! asked, and the first approval winning over another pending request on the same asset.

use crate::common::{row, App};
use crate::kinds::{act, ask, asset, asset_of, demo_sessions};
use serde_json::json;

#[test]
fn staff_ask_only_for_what_is_theirs_or_idle_in_their_department() {
    let app = App::new();
    let (admin, liusn, zhangsan) = demo_sessions(&app);
    let idle = asset_of(&app, &admin, "投影仪", "liusn");
    let mine = asset_of(&app, &admin, "笔记本", "zhangsan");
    let (admin2, _, foreign) = app.second_entity();
    let before = app.digest();
    let refused = |body: serde_json::Value, code: i64, info: &str| {
        app.post(&format!("/api/requests/{zhangsan}"), &body).err(
            if code == 31 { 409 } else { 400 },
            code,
            info,
        );
    };
    refused(
        json!({"kind": "退库", "lines": [{"asset": idle}]}),
        20,
        "第1项：资产“投影仪”不是您名下的资产",
    );
    refused(
        json!({"kind": "领用", "lines": [{"asset": mine}]}),
        20,
        "第1项：资产“笔记本”不是闲置资产",
    );
    refused(
        json!({"kind": "领用", "lines": [{"asset": foreign}]}),
        20,
        &format!("第1项：资产编号{foreign}不存在"),
    );
    refused(
        json!({"kind": "领用", "lines": []}),
        20,
        "申请至少要有一项资产",
    );
    refused(
        json!({"kind": "领用", "lines": [{"asset": idle}, {"asset": idle}]}),
        20,
        &format!("第2项：资产{idle}重复"),
    );
    refused(
        json!({"kind": "领用", "lines": [{"asset": idle, "count": 99}]}),
        20,
        "第1项：资产“投影仪”的申请数量须在1到10之间",
    );
    refused(
        json!({"kind": "转移", "lines": [{"asset": mine}]}),
        20,
        "转移须指定接收人",
    );
    refused(
        json!({"kind": "转移", "target_user": "zhangsan", "lines": [{"asset": mine}]}),
        20,
        "第1项：资产“笔记本”已在zhangsan名下",
    );
    refused(
        json!({"kind": "转移", "target_user": "wangwu", "lines": [{"asset": mine}]}),
        20,
        "接收人“wangwu”不存在",
    );
    assert_eq!(app.digest(), before, "a refused request stores nothing");
    // A bad kind or shape is a bad body.
    let bad = app.post(
        &format!("/api/requests/{zhangsan}"),
        &json!({"kind": "借用", "lines": [{"asset": idle}]}),
    );
    assert_eq!((bad.status.code, bad.code()), (400, -2), "{}", bad.body);
    let bad = app.post(
        &format!("/api/requests/{zhangsan}"),
        &json!({"kind": "领用", "lines": [{"asset": "x"}]}),
    );
    assert_eq!((bad.status.code, bad.code()), (400, -2), "{}", bad.body);

    // Asked once, the same asset again by the same person is a duplicate.
    let first = ask(
        &app,
        &zhangsan,
        &json!({"kind": "领用", "lines": [{"asset": idle}]}),
    );
    refused(
        json!({"kind": "领用", "lines": [{"asset": idle}]}),
        31,
        &format!("您对资产“投影仪”已有待审批的申请（申请 #{first}），请勿重复申请"),
    );
    // Staff neither approve nor see others' requests; only the initiator withdraws.
    act(&app, &zhangsan, first, "approve").err(403, 1, "你无此权限");
    act(&app, &liusn, first, "withdraw").err(403, 1, "你无此权限");
    let reject = app.post(
        &format!("/api/requests/{liusn}/{first}/reject"),
        &json!({"reason": "  "}),
    );
    reject.err(400, 20, "驳回须写明理由");
    let rejected = app.post(
        &format!("/api/requests/{liusn}/{first}/reject"),
        &json!({"reason": "投影仪要留给培训"}),
    );
    assert_eq!(rejected.ok()["state_label"], "已驳回", "{}", rejected.body);
    assert_eq!(rejected.ok()["review_reason"], "投影仪要留给培训");
    act(&app, &liusn, first, "approve").err(409, 32, "该申请已驳回，不能再审批或撤回");
    act(&app, &zhangsan, first, "withdraw").err(409, 32, "该申请已驳回，不能再审批或撤回");
    assert_eq!(
        asset(&app, &liusn, idle)["userName"],
        "liusn",
        "a rejection changes nothing"
    );

    // Another company's request is not found; a withdrawn one ends.
    let again = ask(
        &app,
        &zhangsan,
        &json!({"kind": "领用", "lines": [{"asset": idle}]}),
    );
    let withdrawn = act(&app, &zhangsan, again, "withdraw");
    assert_eq!(withdrawn.ok()["state_label"], "已撤回");
    // The super admin belongs to no company; another company's admin does not find it.
    let root = app.login("admin", crate::common::ADMIN_PASSWORD);
    let other = app.get(&format!("/api/requests/{root}/{again}"));
    assert_eq!(other.status.code, 403, "{}", other.body);
    app.get(&format!("/api/requests/{admin2}/{again}"))
        .err(404, 7, "申请不存在");
    act(&app, &admin2, again, "approve").err(404, 7, "申请不存在");
}

#[test]
fn the_first_approval_wins_and_a_changed_asset_is_not_executed() {
    let app = App::new();
    let (admin, liusn, zhangsan) = demo_sessions(&app);
    app.staff_in(&admin, ("CST", ""), "lisi");
    let lisi = app.login("lisi", "secret4");
    let idle = asset_of(&app, &admin, "投影仪", "liusn");
    let first = ask(
        &app,
        &zhangsan,
        &json!({"kind": "领用", "lines": [{"asset": idle}]}),
    );
    let second = ask(
        &app,
        &lisi,
        &json!({"kind": "领用", "lines": [{"asset": idle}]}),
    );
    act(&app, &liusn, first, "approve").ok();
    let lost = app.get(&format!("/api/requests/{lisi}/{second}"));
    let lost = lost.ok();
    assert_eq!(lost["state_label"], "已失效", "{lost}");
    assert_eq!(
        lost["lines"][0]["invalid"],
        format!("资产已由申请#{first}处理"),
        "{lost}"
    );
    act(&app, &liusn, second, "approve").err(409, 32, "该申请已失效，不能再审批或撤回");
    assert_eq!(asset(&app, &liusn, idle)["userName"], "zhangsan");

    // A line whose asset changed since it was asked is not executed, and says why.
    let laptop = app.create_asset(&admin, &row("笔记本", "zhangsan", "CST"));
    let desk = app.create_asset(&admin, &row("工位", "zhangsan", "CST"));
    let hand = ask(
        &app,
        &zhangsan,
        &json!({"kind": "转移", "target_user": "lisi",
                "lines": [{"asset": laptop}, {"asset": desk}]}),
    );
    app.put(
        &format!("/api/asset/{liusn}"),
        &json!({"id": laptop, "user": "liusn"}),
    )
    .ok();
    let approved = act(&app, &liusn, hand, "approve");
    let approved = approved.ok();
    assert_eq!(approved["state_label"], "已通过", "{approved}");
    assert_eq!(approved["lines"][0]["state_label"], "未执行", "{approved}");
    assert_eq!(approved["lines"][0]["invalid"], "挂账人已变更（现为liusn）");
    assert_eq!(approved["lines"][1]["state_label"], "已执行");
    assert_eq!(asset(&app, &liusn, laptop)["userName"], "liusn");
    assert_eq!(asset(&app, &liusn, desk)["userName"], "lisi");

    // Every line stale: the request ends 已失效, nothing changes.
    let phone = app.create_asset(&admin, &row("手机", "zhangsan", "CST"));
    let back = ask(
        &app,
        &zhangsan,
        &json!({"kind": "退库", "lines": [{"asset": phone}]}),
    );
    app.put(&format!("/api/expire_asset/{liusn}"), &json!([phone]))
        .ok();
    let ended = act(&app, &liusn, back, "approve");
    assert_eq!(ended.ok()["state_label"], "已失效", "{}", ended.body);
    assert_eq!(ended.ok()["lines"][0]["invalid"], "资产已清退");
}

#[test]
fn lists_show_staff_their_own_and_managers_what_they_review() {
    let app = App::new();
    let (admin, liusn, zhangsan) = demo_sessions(&app);
    let idle = asset_of(&app, &admin, "投影仪", "liusn");
    let mine = asset_of(&app, &admin, "笔记本", "zhangsan");
    ask(
        &app,
        &zhangsan,
        &json!({"kind": "领用", "lines": [{"asset": idle}]}),
    );
    ask(
        &app,
        &zhangsan,
        &json!({"kind": "维保", "lines": [{"asset": mine}]}),
    );
    let list = |s: &str, query: &str| app.get(&format!("/api/requests/{s}{query}"));
    assert_eq!(list(&zhangsan, "").body["total"], 2);
    assert_eq!(
        list(&liusn, "").body["total"],
        2,
        "the manager reviews both"
    );
    assert_eq!(list(&liusn, "?mine=true").body["total"], 0);
    assert_eq!(list(&liusn, "?kind=repair").body["total"], 1);
    assert_eq!(list(&liusn, "?kind=3").body["total"], 1);
    assert_eq!(list(&liusn, "?state=1").body["total"], 0);
    assert_eq!(list(&admin, "?state=0&kind=take").body["total"], 1);
    let bad = list(&liusn, "?state=9");
    assert_eq!((bad.status.code, bad.code()), (400, -2), "{}", bad.body);
    let bad = list(&liusn, "?kind=borrow");
    assert_eq!((bad.status.code, bad.code()), (400, -2), "{}", bad.body);
    list(&liusn, "?page=5").err(400, 4, "请求的页码超出范围");
    let missing = app.get(&format!("/api/requests/{liusn}/999"));
    missing.err(404, 7, "申请不存在");
    let missing = app.get(&format!("/api/requests/{liusn}/abc"));
    missing.err(404, 7, "申请不存在");
}
