//! Issue 23 (5): a staff member asks from the page (领用 of an idle asset of the department,
//! 维保 of one they hold), the asset manager sees the count on 申请, approves both at once,
//! and a request's line leads to the asset's 履历, which names the request. On a laptop and on
//! a phone.

use crate::harness::{and, any_has, count, has, not, text_has, Scenario};
use serde_json::json;

#[rocket::async_test]
async fn staff_ask_the_manager_approves_and_the_history_names_the_request() {
    let Some(s) = Scenario::as_user("liusn").await else {
        return;
    };
    for (width, height) in [(1366, 800), (390, 844)] {
        s.resize(width, height).await;
        // An idle asset of CST (the manager's), and one zhangsan holds.
        let mut ids = Vec::new();
        for (name, user) in [
            (format!("投影仪{width}"), "liusn"),
            (format!("笔记本{width}"), "zhangsan"),
        ] {
            let row = json!({"name": name, "assetClass": 1, "user": user, "price": 3000, "count": 1,
                             "assetTree": "条目型资产", "department": "CST", "deadline": 5});
            let answer = s.post_api("post_asset", &row.to_string()).await;
            assert_eq!(answer["code"], 0, "{answer}");
            ids.push(answer["data"]["id"].as_i64().unwrap());
        }
        let (projector, laptop) = (ids[0], ids[1]);
        s.click("#logout").await;
        s.login_as("zhangsan").await;

        // 领用: from the idle assets of the department.
        s.goto("/#requests").await;
        s.wait(has("#request-table")).await;
        s.click("#request-take").await;
        let tick = format!("#idle-table input[data-id=\"{projector}\"]");
        s.wait(has(&tick)).await;
        s.assert_fits_viewport(&format!("idle assets ({width})"))
            .await;
        s.click(&tick).await;
        s.click("#idle-next").await;
        s.wait(has("#request-ask-lines")).await;
        s.type_into("#request-reason", "周会投屏").await;
        s.click("#request-submit").await;
        s.wait(and(
            not(has("#dialog[open]")),
            any_has("#request-table tbody tr", "领用"),
        ))
        .await;

        // 维保: from 我的资产.
        s.goto("/#mine").await;
        let tick = format!("#own-asset-table input[data-id=\"{laptop}\"]");
        s.wait(has(&tick)).await;
        s.click(&tick).await;
        s.wait(text_has("#own-chosen", "已选 1 项")).await;
        s.click("#own-ask-repair").await;
        s.wait(has("#request-ask-lines")).await;
        s.assert_fits_viewport(&format!("ask repair ({width})"))
            .await;
        s.click("#request-submit").await;
        s.wait(not(has("#dialog[open]"))).await;
        s.goto("/#requests").await;
        s.wait(count("#request-table tbody tr[data-state=\"0\"]", 2))
            .await;
        s.screenshot(&format!("requests-staff-{width}")).await;
        s.assert_fits_viewport(&format!("my requests ({width})"))
            .await;

        // The manager: the badge counts both; approve them at once.
        s.click("#logout").await;
        s.login_as("liusn").await;
        s.wait(text_has("#requests-badge", "2")).await;
        s.goto("/#requests").await;
        s.wait(count("#request-table tbody tr[data-state=\"0\"]", 2))
            .await;
        s.assert_fits_viewport(&format!("to review ({width})"))
            .await;
        s.js("window.confirm = () => true;", vec![]).await;
        s.click("#requests-select-all").await;
        s.wait(text_has("#requests-approve", "（2）")).await;
        s.click("#requests-approve").await;
        s.wait(and(
            any_has(".msg-ok", "已批准 2 项申请"),
            text_has("#requests-summary", "0 项"),
        ))
        .await;
        s.wait(not(has("#requests-badge"))).await;

        // 全部: the 领用 request, its line, and from there the asset's 履历.
        s.click("#requests-tab-all").await;
        s.wait(any_has("#request-table tbody tr", "已通过")).await;
        let row = s
            .js(
                "return [...document.querySelectorAll('#request-table tbody tr')] \
                 .find((tr) => tr.textContent.includes('领用') && tr.textContent.includes('已通过'))?.dataset.id;",
                vec![],
            )
            .await;
        let request = row.as_str().expect("the approved 领用").to_owned();
        s.click(&format!(
            "#request-table tbody tr[data-id=\"{request}\"] td:nth-child(2)"
        ))
        .await;
        s.wait(and(
            has("#dialog[open]"),
            any_has("#request-lines tbody tr", "已执行"),
        ))
        .await;
        s.screenshot(&format!("request-detail-{width}")).await;
        s.assert_fits_viewport(&format!("request detail ({width})"))
            .await;
        s.click("#request-lines .request-line-history").await;
        s.wait(has("#asset-history-list li[data-kind=\"taken\"]"))
            .await;
        s.wait(text_has(
            "#asset-history-list li[data-kind=\"taken\"] .history-request",
            &format!("申请 #{request}"),
        ))
        .await;
        s.assert_fits_viewport(&format!("asset history ({width})"))
            .await;
        s.js("document.querySelector('#dialog').close();", vec![])
            .await;
        // The laptop is in repair now.
        let found = s
            .post_api(
                "search_assets",
                &json!({"id": laptop, "page": 1, "size": 1}).to_string(),
            )
            .await;
        assert_eq!(found["data"][0]["status"], 3, "{found}");
    }
    s.end().await;
}

/// Puts a file made of `text` into the file input at `css`, as choosing it would.
async fn choose_file(s: &Scenario, css: &str, name: &str, text: &str) {
    s.js(
        "const dt = new DataTransfer(); \
         dt.items.add(new File([arguments[1]], arguments[2], {type: 'text/csv'})); \
         const input = document.querySelector(arguments[0]); input.files = dt.files; \
         input.dispatchEvent(new Event('change'));",
        vec![json!(css), json!(text), json!(name)],
    )
    .await;
}

#[rocket::async_test]
async fn a_manager_checks_a_request_file_then_submits_it() {
    let Some(s) = Scenario::as_user("sysadmin").await else {
        return;
    };
    // 软件组 gets an asset manager, who receives what is allocated to it.
    let manager = json!({"name": "zhaoliu", "password": "secret5", "entity": "示例企业",
                         "department": "软件组", "character": 2, "lock": false});
    let answer = s.post_api("user", &manager.to_string()).await;
    assert_eq!(answer["code"], 0, "{answer}");
    s.click("#logout").await;
    s.login_as("liusn").await;
    for (width, height) in [(1366, 800), (390, 844)] {
        s.resize(width, height).await;
        let mut ids = Vec::new();
        for i in 0..3 {
            let row = json!({"name": format!("调拨椅{width}-{i}"), "assetClass": 0, "user": "liusn",
                             "price": 100, "count": 10, "assetTree": "数量型资产",
                             "department": "CST", "deadline": 5});
            let answer = s.post_api("post_asset", &row.to_string()).await;
            ids.push(answer["data"]["id"].as_i64().expect("asset id"));
        }
        s.goto("/#requests").await;
        s.click("#request-file-open").await;
        s.wait(has("#request-file-kind")).await;
        s.type_into("#request-file-department", "软件组").await;
        // One line asks for more chairs than there are.
        let bad = format!("资产编号,数量\n{}\n{},4\n{},11\n", ids[0], ids[1], ids[2]);
        choose_file(&s, "#request-file-input", "调拨单.csv", &bad).await;
        s.click("#request-file-check").await;
        s.wait(text_has(
            "#request-file-summary",
            "可申请 2 行，不能申请 1 行",
        ))
        .await;
        s.wait(any_has(
            "#request-file-problems tbody tr",
            "申请数量须在1到10之间",
        ))
        .await;
        s.assert_fits_viewport(&format!("request file check ({width})"))
            .await;
        // Submitted as it is, it is refused whole.
        s.click("#request-file-submit").await;
        s.wait(any_has("#dialog .msg-error", "文件中有1行不能申请"))
            .await;
        // Fixed, it becomes one request of three lines.
        let good = format!("资产编号,数量\n{}\n{},4\n{},10\n", ids[0], ids[1], ids[2]);
        choose_file(&s, "#request-file-input", "调拨单.csv", &good).await;
        s.click("#request-file-submit").await;
        s.wait(and(
            not(has("#dialog[open]")),
            any_has("#request-table tbody tr", "调拨"),
        ))
        .await;
        s.screenshot(&format!("request-file-{width}")).await;
    }
    s.end().await;
}

/// GETs `/api/{what}/{the page's session}{rest}` from the page; returns the answer.
async fn get_api(s: &Scenario, what: &str, rest: &str) -> serde_json::Value {
    s.js_async(
        "const done = arguments[arguments.length - 1]; \
         fetch('/api/' + arguments[0] + '/' + localStorage.getItem('assetport.session') + arguments[1]) \
         .then(r => r.json()).then(done);",
        vec![json!(what), json!(rest)],
    )
    .await
}

/// A request of more than a batch of lines (2,001; a batch is 2,000 by default) is approved by
/// a task: the answer says so, the request links its task, and the task page, tagged 审批执行,
/// links back to the request.
#[rocket::async_test]
async fn a_large_request_is_approved_by_a_task_that_links_back_to_it() {
    const LINES: usize = 2001;
    let Some(s) = Scenario::as_user("sysadmin").await else {
        return;
    };
    let manager = json!({"name": "zhaoliu", "password": "secret5", "entity": "示例企业",
                         "department": "软件组", "character": 2, "lock": false});
    assert_eq!(s.post_api("user", &manager.to_string()).await["code"], 0);
    let rows: Vec<serde_json::Value> = (0..LINES)
        .map(|i| {
            json!({"name": format!("大批椅{i:04}"), "assetClass": 0, "user": "liusn",
                   "price": 100, "count": 2, "assetTree": "数量型资产",
                   "department": "CST", "deadline": 5})
        })
        .collect();
    let import = s.post_api("asset", &json!(rows).to_string()).await;
    let task = import["data"]["id"].as_i64().expect("import task");
    let mut done = false;
    for _ in 0..600 {
        let t = get_api(&s, "async_task", &format!("/{task}")).await;
        if t["data"]["finish"] != 0 {
            assert_eq!(t["data"]["number_succeed"], LINES, "{t}");
            done = true;
            break;
        }
        rocket::tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(done, "the import never ended");
    let mut ids = Vec::new();
    for page in 1..=3 {
        let found = s
            .post_api(
                "search_assets",
                &json!({"name": "大批椅", "page": page, "size": 1000}).to_string(),
            )
            .await;
        for a in found["data"].as_array().unwrap() {
            ids.push(a["id"].as_i64().unwrap());
        }
    }
    assert_eq!(ids.len(), LINES);
    let lines: Vec<serde_json::Value> = ids.iter().map(|id| json!({"asset": id})).collect();
    let ask = json!({"kind": "调拨", "target_department": "软件组", "lines": lines});
    let asked = s.post_api("requests", &ask.to_string()).await;
    let request = asked["data"]["id"].as_i64().expect("request id");

    s.goto(&format!("/#requests/{request}")).await;
    s.wait(and(has("#dialog[open]"), has("#request-approve")))
        .await;
    s.click("#request-approve").await;
    s.wait(text_has("#toast", "由任务 #")).await;
    // The request names its task; the task its request.
    s.goto("/#tasks").await;
    s.goto(&format!("/#requests/{request}")).await;
    s.wait(has("#request-fields .request-task")).await;
    s.click("#request-fields .request-task").await;
    s.wait(and(
        has(".task-head .tag-approval"),
        text_has("#task-request a", &format!("申请 #{request}")),
    ))
    .await;
    s.wait(text_has(".done-note", "全部 2001 项已执行")).await;
    s.screenshot("request-task-1366").await;
    s.resize(390, 844).await;
    s.assert_fits_viewport("request task (390)").await;
    s.end().await;
}
