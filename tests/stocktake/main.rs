//! Stocktakes (issue 24) through HTTP: started over a search, counted by scan (two people
//! scanning the same asset at once: one counts it, the other is told 已盘过), 盘盈 and 盘亏, an
//! asset changed after the snapshot flagged, and each company's and department's stocktakes
//! seen only by those who manage them. Each test has its own database.

#[path = "../common/mod.rs"]
mod common;
#[path = "../filekit/mod.rs"]
mod filekit;

use common::{row, App};
use serde_json::{json, Value};

/// Starts a stocktake as `session`; its id, once its list is frozen (over `task_batch_rows`
/// assets, by a task).
fn start(app: &App, session: &str, body: &Value) -> i64 {
    let a = app.post(&format!("/api/stocktake/{session}"), body);
    if let Some(task) = a.ok()["task"].as_i64() {
        app.wait_task(session, task);
    }
    a.ok()["id"].as_i64().expect("stocktake id")
}

fn scan(app: &App, session: &str, id: i64, body: &Value) -> Value {
    app.post(&format!("/api/stocktake/{session}/{id}/scan"), body)
        .ok()
        .clone()
}

#[test]
fn a_department_is_counted_by_scan_and_completed() {
    let app = App::new();
    let admin = app.demo("sysadmin");
    let liusn = app.demo("liusn");
    app.add_software_manager(&admin);
    let mut ids = Vec::new();
    for (name, user, department) in [
        ("椅子", "liusn", "CST"),
        ("桌子", "liusn", "CST"),
        ("台灯", "liusn", "CST"),
        ("服务器", "zhaoliu", "软件组"),
    ] {
        let mut r = row(name, user, department);
        r["position"] = json!("A座301");
        ids.push(app.create_asset(&admin, &r));
    }
    // CST and the departments below it (软件组 is one).
    let id = start(
        &app,
        &liusn,
        &json!({"name": "2026年度盘点", "filter": {"department": "CST"}}),
    );
    let summary = app.get(&format!("/api/stocktake/{liusn}/{id}"));
    assert_eq!(summary.ok()["expected"], 4, "{}", summary.body);

    let first = scan(&app, &liusn, id, &json!({"code": ids[0].to_string()}));
    assert_eq!(first["result_label"], "相符");
    let again = scan(&app, &admin, id, &json!({"code": ids[0]}));
    assert_eq!(
        (&again["result_label"], &again["counted_by"]),
        (&json!("已盘过"), &json!("liusn"))
    );

    // Found elsewhere; one code nobody expected; the server's asset changed since the snapshot.
    let moved = scan(
        &app,
        &liusn,
        id,
        &json!({"code": ids[1], "position": "B座"}),
    );
    assert_eq!(moved["result_label"], "位置不符");
    let extra = scan(
        &app,
        &liusn,
        id,
        &json!({"code": "ZC-999", "position": "B座"}),
    );
    assert_eq!(extra["result_label"], "盘盈");
    app.put(
        &format!("/api/asset/{admin}"),
        &json!({"id": ids[3], "position": "机房"}),
    )
    .ok();
    let server = scan(&app, &liusn, id, &json!({"code": ids[3]}));
    assert_eq!(server["line"]["changed_since"], true, "{server}");

    let done = app.post(&format!("/api/stocktake/{liusn}/{id}/complete"), &json!({}));
    let d = done.ok();
    assert_eq!(d["state_label"], "已完成");
    assert_eq!(
        d["by_state"],
        json!({"uncounted": 0, "matched": 2, "misplaced": 1, "count_differs": 0,
               "holder_differs": 0, "missing": 1})
    );
    assert_eq!(d["extras"], 1);
    let missing = app.get(&format!(
        "/api/stocktake/{liusn}/{id}/lines?state=missing&page=1&size=10"
    ));
    assert_eq!(missing.ok()[0]["asset"], ids[2], "{}", missing.body);
    let extras = app.get(&format!("/api/stocktake/{liusn}/{id}/extras"));
    assert_eq!(extras.ok()[0]["code"], "ZC-999");
    app.post(
        &format!("/api/stocktake/{liusn}/{id}/scan"),
        &json!({"code": ids[2]}),
    )
    .err(400, 20, "该盘点已完成，不能再盘点");
    let listed = app.get(&format!("/api/stocktake/{liusn}?page=1&size=10"));
    assert_eq!(listed.ok()[0]["id"], id);

    // The auditor's report: every line by state, expected against found, who and when, the
    // changed asset flagged; then the extra. The XLSX holds the same rows.
    let csv = filekit::fetch(
        &app,
        &format!("/api/stocktake/{liusn}/{id}/report?format=csv"),
    );
    csv.expect("csv", &format!("stocktake-{id}.csv"));
    let rows = filekit::read_csv(&csv.bytes);
    assert_eq!(
        rows[0][..6],
        [
            "盘点结果",
            "资产编号",
            "资产名称",
            "所属部门",
            "应盘位置",
            "实盘位置"
        ]
    );
    let summary: Vec<(String, String, String, String)> = rows[1..]
        .iter()
        .map(|r| (r[0].clone(), r[1].clone(), r[5].clone(), r[10].clone()))
        .collect();
    let own = |i: usize| ids[i].to_string();
    let row = |state: &str, code: String, found: &str, changed: &str| {
        (state.to_owned(), code, found.to_owned(), changed.to_owned())
    };
    assert_eq!(
        summary,
        [
            row("相符", own(0), "A座301", "否"),
            row("相符", own(3), "A座301", "是"),
            row("位置不符", own(1), "B座", "否"),
            row("盘亏", own(2), "", "否"),
            row("盘盈", "ZC-999".to_owned(), "B座", ""),
        ]
    );
    assert_eq!(rows[1][11], "liusn", "who counted it");
    let xlsx = filekit::fetch(&app, &format!("/api/stocktake/{liusn}/{id}/report"));
    xlsx.expect("xlsx", &format!("stocktake-{id}.xlsx"));
    let sheet = filekit::texts(&filekit::read_xlsx(&xlsx.bytes));
    assert_eq!(sheet.len(), rows.len());
    assert_eq!(sheet[4][0], "盘亏");
    filekit::fetch(
        &app,
        &format!("/api/stocktake/{liusn}/{id}/report?format=pdf"),
    )
    .answer()
    .err(400, -2, "不支持的文件格式：pdf，只支持 csv 或 xlsx");
}

#[test]
fn each_stocktake_is_seen_only_by_those_who_manage_it_and_bad_input_changes_nothing() {
    let app = App::new();
    let admin = app.demo("sysadmin");
    let liusn = app.demo("liusn");
    let staff = app.demo("zhangsan");
    let (other_admin, _, _) = app.second_entity();
    app.create_asset(&admin, &row("椅子", "liusn", "CST"));
    app.post(&format!("/api/stocktake/{staff}"), &json!({"name": "x"}))
        .err(403, 1, "你无此权限");
    let id = start(&app, &admin, &json!({"name": "全公司盘点"}));
    // Another company's admin, the staff and a manager (a whole-company stocktake is the
    // admin's) do not see it.
    app.get(&format!("/api/stocktake/{other_admin}/{id}"))
        .err(404, 7, "盘点不存在");
    app.get(&format!("/api/stocktake/{liusn}/{id}"))
        .err(404, 7, "盘点不存在");
    app.get(&format!("/api/stocktake/{staff}/{id}"))
        .err(403, 1, "你无此权限");
    let before = app.table_counts();
    for body in [
        json!({"code": ""}),
        json!({"code": null}),
        json!({"code": "1", "count": -3}),
        json!({"code": "1", "unknown": 1}),
        json!([]),
    ] {
        let answer = app.post(&format!("/api/stocktake/{admin}/{id}/scan"), &body);
        assert_eq!(answer.status.code, 400, "{body}: {}", answer.body);
    }
    for bad in ["abc", "0", "-1", "99999999999999999999"] {
        app.get(&format!("/api/stocktake/{admin}/{bad}"))
            .err(404, 7, "盘点不存在");
    }
    app.get(&format!("/api/stocktake/{admin}/{id}/lines?state=lost"))
        .err(400, -2, "缺少字段或类型错误：[state]（状态须为0到5，或 uncounted、matched、misplaced、count_differs、holder_differs、missing）");
    app.post(
        &format!("/api/stocktake/{admin}"),
        &json!({"name": "x", "filter": {"department": "没有的部门"}}),
    )
    .err(400, 20, "部门「没有的部门」不存在");
    assert_eq!(app.table_counts(), before);
}

/// Two people scan the same asset at the same moment, on the real server, for 20 assets: each
/// is counted exactly once (one 相符, one 已盘过).
#[test]
fn two_concurrent_scans_of_one_asset_count_it_once() {
    use common::server::Server;
    const ASSETS: usize = 20;
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("db.sqlite3"), &[]);
    let admin = server.login("sysadmin", common::DEMO_PASSWORD);
    let liusn = server.login("liusn", common::DEMO_PASSWORD);
    let mut ids = Vec::new();
    for i in 0..ASSETS {
        let (status, body) = server.post(
            &format!("/api/post_asset/{admin}"),
            &row(&format!("椅子{i}"), "liusn", "CST").to_string(),
        );
        assert_eq!(status, 200, "{body}");
        ids.push(body["data"]["id"].as_i64().unwrap());
    }
    let (status, body) = server.post(
        &format!("/api/stocktake/{liusn}"),
        &json!({"name": "并发盘点", "filter": {"department": "CST"}}).to_string(),
    );
    assert_eq!(status, 200, "{body}");
    let id = body["data"]["id"].as_i64().unwrap();
    let together = std::sync::Barrier::new(2);
    let scans = |session: &str| {
        ids.iter()
            .map(|asset| {
                together.wait();
                let (status, body) = server.post(
                    &format!("/api/stocktake/{session}/{id}/scan"),
                    &json!({"code": asset.to_string()}).to_string(),
                );
                assert_eq!(status, 200, "{body}");
                body["data"]["result_label"].as_str().unwrap().to_owned()
            })
            .collect::<Vec<String>>()
    };
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| scans(&liusn));
        let b = s.spawn(|| scans(&admin));
        (a.join().unwrap(), b.join().unwrap())
    });
    for i in 0..ASSETS {
        let mut pair = [a[i].as_str(), b[i].as_str()];
        pair.sort_unstable();
        assert_eq!(pair, ["已盘过", "相符"], "asset {}", ids[i]);
    }
    let (_, summary) = server.get(&format!("/api/stocktake/{liusn}/{id}"));
    assert_eq!(summary["data"]["counted"], ASSETS, "{summary}");
    server.kill();
}

mod crash;

/// A count sheet: the stocktake's own template filled in where things differ, uploaded as a
/// task; each row counted once, the rows that cannot be counted named with their lines.
#[test]
fn a_count_sheet_is_counted_as_a_task_and_names_the_rows_it_cannot_count() {
    let app = App::with(&[("task_batch_rows", json!(2))]);
    let admin = app.demo("sysadmin");
    let liusn = app.demo("liusn");
    let ids: Vec<i64> = ["甲", "乙", "丙", "丁"]
        .iter()
        .map(|n| {
            let mut r = row(&format!("盘点{n}"), "liusn", "CST");
            r["position"] = json!("仓库");
            app.create_asset(&admin, &r)
        })
        .collect();
    let id = start(
        &app,
        &liusn,
        &json!({"name": "表格盘点", "filter": {"department": "CST", "name": "盘点"}}),
    );
    // 甲 is scanned before the sheet comes in.
    scan(&app, &liusn, id, &json!({"code": ids[0]}));
    let template = filekit::fetch(
        &app,
        &format!("/api/stocktake/{liusn}/{id}/template?format=csv"),
    );
    template.expect("csv", &format!("stocktake-{id}-count-sheet.csv"));
    let rows = filekit::read_csv(&template.bytes);
    assert_eq!(
        rows[0],
        [
            "资产编号",
            "资产名称",
            "应盘位置",
            "应盘数量",
            "应盘持有人",
            "实盘位置",
            "实盘数量",
            "实盘持有人"
        ]
    );
    assert_eq!(rows.len(), 5, "{rows:?}");
    assert_eq!(
        rows[1][..5],
        [
            ids[0].to_string(),
            "盘点甲".into(),
            "仓库".into(),
            "10".into(),
            "liusn".into()
        ]
    );
    // The template filled in: 甲 again, 乙 found in 二楼, 丙 short by two, 丁's count not a
    // number, an unknown holder, a code not expected. 丁 is left uncounted.
    let mut csv = String::from(
        "资产编号,资产名称,应盘位置,应盘数量,应盘持有人,实盘位置,实盘数量,实盘持有人\n",
    );
    csv.push_str(&format!("{},盘点甲,仓库,10,liusn,,,\n", ids[0]));
    csv.push_str(&format!("{},盘点乙,仓库,10,liusn,二楼,,\n", ids[1]));
    csv.push_str(&format!("{},盘点丙,仓库,10,liusn,,8,\n", ids[2]));
    csv.push_str(&format!("{},盘点丁,仓库,10,liusn,,十,\n", ids[3]));
    csv.push_str(&format!("{},盘点丁,仓库,10,liusn,,,nobody\n", ids[3]));
    csv.push_str("ZC-77,外来设备,,,,三楼,1,\n");
    let answer = filekit::upload_count(&app, &liusn, id, csv.as_bytes());
    let task = app.wait_task(&liusn, answer.ok()["id"].as_i64().unwrap());
    assert_eq!(
        (
            &task["kind"],
            &task["stocktake"],
            &task["number_need"],
            &task["number_succeed"],
            &task["number_failed"]
        ),
        (&json!("count"), &json!(id), &json!(6), &json!(3), &json!(3)),
        "{task}"
    );
    assert!(
        task["unread_columns"].as_array().unwrap().is_empty(),
        "{task}"
    );
    let failed = app.get(&format!(
        "/failed_task/{liusn}/{}?page=1&size=10",
        task["id"]
    ));
    let messages: Vec<String> = failed.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["message"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(messages.len(), 3, "{messages:?}");
    assert!(
        messages[0].starts_with("第2行：已盘过（liusn，"),
        "{messages:?}"
    );
    assert_eq!(messages[1], "第5行：实盘数量“十”须为不小于0的整数");
    assert_eq!(messages[2], "第6行：用户「nobody」不存在");
    let d = app.get(&format!("/api/stocktake/{liusn}/{id}"));
    assert_eq!(
        d.ok()["by_state"],
        json!({"uncounted": 1, "matched": 1, "misplaced": 1, "count_differs": 1,
               "holder_differs": 0, "missing": 0})
    );
    assert_eq!(d.ok()["extras"], 1);
    // Once completed, no sheet is taken.
    app.post(&format!("/api/stocktake/{liusn}/{id}/complete"), &json!({}))
        .ok();
    filekit::upload_count(&app, &liusn, id, csv.as_bytes()).err(
        400,
        20,
        "该盘点已完成，不能再盘点",
    );
}

/// The register corrected from a completed stocktake: its differences as an update import, a
/// dry run first (what it would change, the asset changed since left out), then confirmed; the
/// history says 盘点调整 with the stocktake; an undo takes it back.
#[test]
fn a_completed_stocktake_adjusts_the_register_with_a_dry_run_and_undo() {
    let app = App::new();
    let admin = app.demo("sysadmin");
    let liusn = app.demo("liusn");
    let ids: Vec<i64> = ["调整甲", "调整乙", "调整丙", "调整丁"]
        .iter()
        .map(|n| {
            let mut r = row(n, "liusn", "CST");
            r["position"] = json!("仓库");
            app.create_asset(&admin, &r)
        })
        .collect();
    let id = start(
        &app,
        &liusn,
        &json!({"name": "年终", "filter": {"department": "CST", "name": "调整"}}),
    );
    scan(
        &app,
        &liusn,
        id,
        &json!({"code": ids[0], "position": "二楼"}),
    );
    scan(&app, &liusn, id, &json!({"code": ids[1], "count": 7}));
    scan(
        &app,
        &liusn,
        id,
        &json!({"code": ids[2], "holder": "zhangsan"}),
    );
    // 丁 is found elsewhere, then changed in the register: left out of the adjustment.
    scan(
        &app,
        &liusn,
        id,
        &json!({"code": ids[3], "position": "三楼"}),
    );
    app.put(
        &format!("/api/asset/{admin}"),
        &json!({"id": ids[3], "description": "已送修"}),
    )
    .ok();
    let adjust = |query: &str| {
        app.post(
            &format!("/api/stocktake/{liusn}/{id}/adjust{query}"),
            &json!({}),
        )
    };
    adjust("?dry_run=true").err(400, 20, "只有已完成的盘点可以调整登记表（该盘点进行中）");
    app.post(&format!("/api/stocktake/{liusn}/{id}/complete"), &json!({}))
        .ok();
    let answer = adjust("?dry_run=true");
    let a = answer.ok().clone();
    assert_eq!((&a["rows"], &a["left_out"]), (&json!(3), &json!(1)), "{a}");
    let task = a["task"].as_i64().unwrap();
    let dry = app.wait_task(&liusn, task);
    assert_eq!(
        (&dry["dry_run"], &dry["number_updated"], &dry["stocktake"]),
        (&json!(true), &json!(3), &json!(id)),
        "{dry}"
    );
    let asset = |i: usize| crate::asset_of(&app, &admin, ids[i]);
    assert_eq!(asset(0)["position"], "仓库", "a dry run changes nothing");
    app.post(
        &format!("/api/async_task/{liusn}/{task}/confirm"),
        &json!({}),
    )
    .ok();
    let done = app.wait_task(&liusn, task);
    assert_eq!(done["number_updated"], 3, "{done}");
    assert_eq!(asset(0)["position"], "二楼");
    assert_eq!(asset(1)["count"], 7);
    assert_eq!(asset(2)["userName"], "zhangsan");
    assert_eq!(asset(3)["position"], "仓库", "changed since: left as it is");
    let d = app.get(&format!("/api/stocktake/{liusn}/{id}"));
    assert_eq!(
        (&d.ok()["state_label"], &d.ok()["adjust_task"]),
        (&json!("已调整"), &json!(task))
    );
    let history = app.get(&format!(
        "/api/asset_history/{admin}/{}?page=1&size=10",
        ids[0]
    ));
    let entry = &history.ok()[0];
    assert_eq!(
        (&entry["kind_label"], &entry["stocktake"], &entry["source"]),
        (
            &json!("盘点调整"),
            &json!(id),
            &json!(format!("盘点 #{id} 调整（任务 #{task}）"))
        ),
        "{entry}"
    );
    // Undone, the positions and counts are back, and the stocktake is 已完成 again.
    let undo = app.post(&format!("/api/async_task/{liusn}/{task}/undo"), &json!({}));
    let undo_task = undo.ok()["id"].as_i64().unwrap();
    app.wait_task(&liusn, undo_task);
    assert_eq!(asset(0)["position"], "仓库");
    assert_eq!(asset(1)["count"], 10);
    let d = app.get(&format!("/api/stocktake/{liusn}/{id}"));
    assert_eq!(d.ok()["state_label"], "已完成");
    adjust("").ok();
    adjust("?dry_run=maybe").err(400, -2, "缺少字段或类型错误：[dry_run]（true 或 false）");
}

/// 盘亏 and 盘盈 go into the register only when asked: the missing asset is marked (its
/// description starts 【盘亏·盘点#N】, so a search finds them all), a code the register does not
/// know becomes a new asset in the category given; a code that is an asset already is not
/// created again; the dry run says what confirm does, and an undo takes both back.
#[test]
fn missing_assets_are_marked_and_unexpected_codes_created_when_accepted() {
    let app = App::new();
    let admin = app.demo("sysadmin");
    let liusn = app.demo("liusn");
    let ids: Vec<i64> = ["盈亏甲", "盈亏乙", "盈亏丙"]
        .iter()
        .map(|n| {
            let mut r = row(n, "liusn", "CST");
            r["description"] = json!("原描述");
            app.create_asset(&admin, &r)
        })
        .collect();
    // An asset of the company the stocktake does not expect (its name is outside the filter).
    let elsewhere = app.create_asset(&admin, &row("别处的资产", "liusn", "CST"));
    let id = start(
        &app,
        &liusn,
        &json!({"name": "盈亏", "filter": {"department": "CST", "name": "盈亏"}}),
    );
    scan(&app, &liusn, id, &json!({"code": ids[0]}));
    scan(
        &app,
        &liusn,
        id,
        &json!({"code": "NEW-1", "position": "B座", "count": 3}),
    );
    scan(&app, &liusn, id, &json!({"code": "NEW-2"}));
    scan(&app, &liusn, id, &json!({"code": elsewhere}));
    app.post(&format!("/api/stocktake/{liusn}/{id}/complete"), &json!({}))
        .ok();
    // 丙 is missing, then changed in the register: left out.
    app.put(
        &format!("/api/asset/{admin}"),
        &json!({"id": ids[2], "position": "找到了"}),
    )
    .ok();
    let adjust = |query: &str, body: Value| {
        app.post(&format!("/api/stocktake/{liusn}/{id}/adjust{query}"), &body)
    };
    let before = app.digest();
    adjust("?dry_run=true", json!({"accept": ["missing", "extra"]})).err(
        400,
        -2,
        "缺少字段或类型错误：[extra]（接受盘盈须给出新资产的分类：{\"assetTree\": \"分类名\"}）",
    );
    let a = adjust("?dry_run=true", json!({"accept": ["lost"]}));
    assert_eq!(a.code(), -2, "{:?}", a.body);
    assert!(
        a.info().contains("missing（盘亏）、extra（盘盈）"),
        "{}",
        a.info()
    );
    let a = adjust(
        "?dry_run=true",
        json!({"accept": ["extra"], "extra": {"assetTree": "数量型资产", "colour": 1}}),
    );
    assert_eq!(a.code(), -2, "{:?}", a.body);
    assert_eq!(
        app.digest(),
        before,
        "a refused adjustment changed something"
    );
    // What would fail every row is refused before a task is made.
    for (extra, why) in [
        (
            json!({"assetTree": "没有的分类"}),
            "部门「CST」没有分类「没有的分类」",
        ),
        (
            json!({"assetTree": "数量型资产", "department": "无此部门"}),
            "部门「无此部门」不存在",
        ),
        (
            json!({"assetTree": "数量型资产", "user": "nobody"}),
            "用户「nobody」不存在",
        ),
        (
            json!({"assetTree": "数量型资产", "price": -5}),
            "[extra.price]",
        ),
        (
            json!({"assetTree": "数量型资产", "price": 1e308}),
            "[extra.price]",
        ),
        (
            json!({"assetTree": "数量型资产", "deadline": -3}),
            "[extra.deadline]",
        ),
    ] {
        let a = adjust(
            "?dry_run=true",
            json!({"accept": ["extra"], "extra": extra}),
        );
        assert!(a.info().contains(why), "{extra}: {:?}", a.body);
    }
    assert_eq!(
        app.digest(),
        before,
        "a refused adjustment changed something"
    );

    // A second preview made meanwhile (each difference once however often it is asked for).
    let second = adjust(
        "?dry_run=true",
        json!({"accept": ["missing", "missing", "extra", "extra"], "extra": {"assetTree": "数量型资产"}}),
    );
    assert_eq!(second.ok()["rows"], 3, "{:?}", second.body);
    let second = second.ok()["task"].as_i64().unwrap();
    app.wait_task(&liusn, second);

    let body = json!({"accept": ["missing", "extra"], "extra": {"assetTree": "数量型资产"}});
    let answer = adjust("?dry_run=true", body.clone());
    let a = answer.ok().clone();
    assert_eq!(
        (&a["rows"], &a["left_out"], &a["extras_known"]),
        (&json!(3), &json!(1), &json!(1)),
        "{a}"
    );
    let task = a["task"].as_i64().unwrap();
    let dry = app.wait_task(&liusn, task);
    let failed = app.get(&format!("/api/failed_task/{liusn}/{task}"));
    assert_eq!(
        (
            &dry["number_updated"],
            &dry["number_created"],
            &dry["number_failed"]
        ),
        (&json!(1), &json!(2), &json!(0)),
        "{dry} {:?}",
        failed.body
    );
    app.post(
        &format!("/api/async_task/{liusn}/{task}/confirm"),
        &json!({}),
    )
    .ok();
    let done = app.wait_task(&liusn, task);
    assert_eq!(
        (&done["number_updated"], &done["number_created"]),
        (&json!(1), &json!(2)),
        "the confirm does what the dry run said: {done}"
    );
    let mark = format!("【盘亏·盘点#{id}】");
    assert_eq!(
        crate::asset_of(&app, &admin, ids[1])["description"],
        format!("{mark}原描述")
    );
    assert_eq!(
        crate::asset_of(&app, &admin, ids[2])["description"],
        "原描述"
    );
    let marked = app.post(
        &format!("/api/search_assets/{liusn}"),
        &json!({"description": mark, "page": 1, "size": 10}),
    );
    assert_eq!(common::ids(marked.ok()), [ids[1]]);
    let created = app.post(
        &format!("/api/search_assets/{liusn}"),
        &json!({"name": "盘盈资产", "page": 1, "size": 10}),
    );
    let created = created.ok().as_array().unwrap().clone();
    let shown: Vec<(String, String, i64, String, String)> = created
        .iter()
        .map(|a| {
            (
                a["name"].as_str().unwrap().to_owned(),
                a["position"].as_str().unwrap().to_owned(),
                a["count"].as_i64().unwrap(),
                a["userName"].as_str().unwrap().to_owned(),
                a["departmentName"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        shown,
        [
            (
                "盘盈资产 NEW-1".into(),
                "B座".into(),
                3,
                "liusn".into(),
                "CST".into()
            ),
            (
                "盘盈资产 NEW-2".into(),
                "".into(),
                1,
                "liusn".into(),
                "CST".into()
            ),
        ]
    );
    assert!(created[0]["description"]
        .as_str()
        .unwrap()
        .starts_with(&format!("盘点 #{id} 盘盈：编号 NEW-1，liusn 扫到")));
    // Adjusted: neither a new adjustment nor the other preview takes the differences in again.
    let again = format!("盘点 #{id} 已由调整任务 #{task} 调整登记表；如需重新调整，请先撤销该任务");
    adjust("?dry_run=true", body.clone()).err(400, 20, &again);
    app.post(
        &format!("/api/async_task/{liusn}/{second}/confirm"),
        &json!({}),
    )
    .err(400, 20, &again);
    let history = app.get(&format!(
        "/api/asset_history/{admin}/{}?page=1&size=10",
        created[0]["id"]
    ));
    assert_eq!(history.ok()[0]["stocktake"], id, "{:?}", history.body);

    // Undone: the mark is gone and the created assets with it.
    let undo = app.post(&format!("/api/async_task/{liusn}/{task}/undo"), &json!({}));
    let undo_task = undo.ok()["id"].as_i64().unwrap();
    let undone = app.wait_task(&liusn, undo_task);
    assert_eq!(undone["number_failed"], 0, "{undone}");
    assert_eq!(
        crate::asset_of(&app, &admin, ids[1])["description"],
        "原描述"
    );
    let created = app.post(
        &format!("/api/search_assets/{liusn}"),
        &json!({"name": "盘盈资产", "page": 1, "size": 10}),
    );
    assert_eq!(created.ok().as_array().unwrap().len(), 0);
}

/// A stocktake of more than `task_batch_rows` assets is 准备中 while a task lists them a batch
/// at a time, then 进行中 with every one of them expected; the task is a task like any other
/// (progress, its stocktake named) but cannot be cancelled.
#[test]
fn a_large_stocktake_is_listed_by_a_task() {
    let app = App::with(&[("task_batch_rows", json!(10))]);
    let liusn = app.demo("liusn");
    let rows: Vec<Value> = (0..25)
        .map(|i| row(&format!("清单{i}"), "liusn", "CST"))
        .collect();
    app.import(&liusn, &Value::Array(rows));
    let a = app.post(
        &format!("/api/stocktake/{liusn}"),
        &json!({"name": "大盘点", "filter": {"department": "CST", "name": "清单"}}),
    );
    let (id, task) = (
        a.ok()["id"].as_i64().unwrap(),
        a.ok()["task"].as_i64().expect("a task lists the assets"),
    );
    let done = app.wait_task(&liusn, task);
    assert_eq!(
        (&done["kind"], &done["port_type"], &done["stocktake"]),
        (&json!("freeze"), &json!(7), &json!(id)),
        "{done}"
    );
    assert_eq!(
        (
            &done["number_need"],
            &done["number_succeed"],
            &done["finish"]
        ),
        (&json!(25), &json!(25), &json!(1)),
        "{done}"
    );
    let d = app.get(&format!("/api/stocktake/{liusn}/{id}"));
    assert_eq!(
        (
            &d.ok()["state_label"],
            &d.ok()["expected"],
            &d.ok()["freeze_task"]
        ),
        (&json!("进行中"), &json!(25), &json!(task)),
        "{:?}",
        d.body
    );
    app.post(
        &format!("/api/async_task/{liusn}/{task}/cancel"),
        &json!({}),
    )
    .err(
        400,
        20,
        "生成盘点清单的任务不能取消；如不需要该盘点，可将其作废",
    );
    let list = app.get(&format!("/api/async_task/{liusn}?type=freeze&page=1"));
    assert_eq!(common::ids(&list.ok().clone()), [task]);
    // A small one is listed at once, as before.
    let a = app.post(
        &format!("/api/stocktake/{liusn}"),
        &json!({"name": "小盘点", "filter": {"department": "CST", "name": "清单2"}}),
    );
    assert_eq!(a.ok().get("task"), None, "{:?}", a.body);
}

/// The asset as the caller's search shows it.
fn asset_of(app: &App, s: &str, id: i64) -> Value {
    let found = app.post(
        &format!("/api/search_assets/{s}"),
        &json!({"id": id, "page": 1, "size": 10}),
    );
    found.ok()[0].clone()
}

/// Every stocktake endpoint refuses another company's admin and the manager of a department
/// below the stocktake's (who manages only part of it) with 盘点不存在, and changes nothing.
#[test]
fn every_endpoint_keeps_to_the_company_and_the_department() {
    let app = App::new();
    let admin = app.demo("sysadmin");
    let liusn = app.demo("liusn");
    app.add_software_manager(&admin);
    let zhaoliu = app.login("zhaoliu", "secret5");
    let (other_admin, _, _) = app.second_entity();
    let asset = app.create_asset(&admin, &row("隔离椅", "liusn", "CST"));
    let id = start(
        &app,
        &liusn,
        &json!({"name": "CST盘点", "filter": {"department": "CST"}}),
    );
    let before = app.table_counts();
    for session in [&other_admin, &zhaoliu] {
        for path in ["", "/lines", "/extras", "/report", "/template"] {
            let answer = filekit::fetch(&app, &format!("/api/stocktake/{session}/{id}{path}"));
            answer.answer().err(404, 7, "盘点不存在");
        }
        for (action, body) in [
            ("scan", json!({"code": asset})),
            ("complete", json!({})),
            ("void", json!({})),
            ("adjust", json!({})),
        ] {
            app.post(&format!("/api/stocktake/{session}/{id}/{action}"), &body)
                .err(404, 7, "盘点不存在");
        }
        filekit::upload_count(&app, session, id, format!("资产编号\n{asset}\n").as_bytes()).err(
            404,
            7,
            "盘点不存在",
        );
        let listed = app.get(&format!("/api/stocktake/{session}?page=1&size=10"));
        assert_eq!(listed.body["total"], 0, "{}", listed.body);
    }
    assert_eq!(app.table_counts(), before);
    // Nor may that manager start one of the department above theirs.
    app.post(
        &format!("/api/stocktake/{zhaoliu}"),
        &json!({"name": "越权", "filter": {"department": "CST"}}),
    )
    .err(400, 20, "无权盘点部门「CST」的资产");
}
