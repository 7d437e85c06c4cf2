//! Requests uploaded as files (a 调拨单 of thousands of lines): the template, a dry run naming
//! every line that cannot be asked, a submission refused whole while any line has a problem,
//! and a clean file becoming one request that approval executes line by line.

use crate::common::App;
use crate::kinds::{act, asset, demo_sessions};
use serde_json::{json, Value};

/// A query value percent-encoded, as a browser sends it.
fn enc(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The kept counts (per department, per category, per department, category and block of ids)
/// equal a count of the asset table.
pub fn assert_kept_counts_agree(app: &App) {
    let conn = rusqlite::Connection::open(app.db_path()).unwrap();
    let one = |sql: &str| -> String { conn.query_row(sql, [], |r| r.get(0)).unwrap() };
    let pairs = [
        (
            "SELECT group_concat(x, ' ') FROM (SELECT id || ':' || asset_count AS x
                 FROM department ORDER BY id)",
            "SELECT group_concat(x, ' ') FROM (SELECT d.id || ':' || (SELECT count(*) FROM asset a
                 WHERE a.department_id = d.id) AS x FROM department d ORDER BY d.id)",
        ),
        (
            "SELECT group_concat(x, ' ') FROM (SELECT id || ':' || asset_count AS x
                 FROM category ORDER BY id)",
            "SELECT group_concat(x, ' ') FROM (SELECT c.id || ':' || (SELECT count(*) FROM asset a
                 WHERE a.category_id = c.id) AS x FROM category c ORDER BY c.id)",
        ),
        (
            "SELECT group_concat(x, ' ') FROM (SELECT department_id || ':' || category_id
                 || ':' || block || ':' || n AS x FROM asset_block WHERE n <> 0 ORDER BY 1)",
            "SELECT group_concat(x, ' ') FROM (SELECT department_id || ':' || category_id
                 || ':' || (id >> 14) || ':' || count(*) AS x FROM asset
             GROUP BY department_id, category_id, id >> 14 ORDER BY 1)",
        ),
    ];
    for (kept, real) in pairs {
        assert_eq!(one(kept), one(real), "{kept}");
    }
}

/// An XLSX request file: a header, then one row per (资产编号, 数量).
fn xlsx(rows: &[(Value, Value)]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write_string(0, 0, "资产编号").unwrap();
    sheet.write_string(0, 1, "数量").unwrap();
    for (i, (id, count)) in rows.iter().enumerate() {
        let r = i as u32 + 1;
        for (c, v) in [(0, id), (1, count)] {
            match v {
                Value::Number(n) => sheet.write_number(r, c, n.as_f64().unwrap()).map(|_| ()),
                Value::String(s) => sheet.write_string(r, c, s).map(|_| ()),
                _ => Ok(()),
            }
            .unwrap();
        }
    }
    book.save_to_buffer().unwrap()
}

/// 软件组 (below CST) gets an asset manager, who receives what is allocated to it.
fn receiving_manager(app: &App, admin: &str) {
    app.add_software_manager(admin);
}

/// `n` quantity assets of CST held by liusn, imported as one task; their ids, in order.
fn assets(app: &App, admin: &str, n: usize) -> Vec<i64> {
    let rows: Vec<Value> = (0..n)
        .map(|i| crate::common::row(&format!("调拨椅{i}"), "liusn", "CST"))
        .collect();
    let before = app.assets(admin).len();
    let task = app.import(admin, &Value::Array(rows));
    assert_eq!(task["number_succeed"], n, "{task}");
    let first = before as i64 + 1;
    (first..first + n as i64).collect()
}

#[test]
fn a_request_file_is_checked_line_by_line_and_refused_whole_until_clean() {
    let app = App::new();
    let (admin, liusn, zhangsan) = demo_sessions(&app);
    // The template: its header and an example row.
    let template = app
        .client
        .get(format!("/api/request_template/{liusn}?format=csv"))
        .dispatch()
        .into_bytes()
        .unwrap();
    let text = String::from_utf8(template).unwrap();
    assert!(text.contains("资产编号,数量,备注"), "{text}");

    let ids = assets(&app, &admin, 3);
    let foreign = app.create_asset(&admin, &crate::common::row("别人的", "zhangsan", "CST"));
    let url = |dry: bool| {
        format!(
            "/api/request_file/{liusn}?kind={}&target_department={}&reason={}&dry_run={dry}",
            enc("调拨"),
            enc("软件组"),
            enc("新组成立")
        )
    };
    // Without a manager in 软件组 an allocation there is refused before anything is read.
    app.post_raw(&url(true), xlsx(&[(json!(1), json!(null))]))
        .err(
            400,
            20,
            "部门「软件组」没有可接收资产的资产管理员（未锁定），请先为该部门添加资产管理员",
        );
    receiving_manager(&app, &admin);
    let rows = [
        (json!(ids[0]), json!(null)),
        (json!(ids[1]), json!(4)),
        (json!(ids[1]), json!(null)),
        (json!(99_999), json!(null)),
        (json!(ids[2]), json!("两台")),
        (json!(ids[2]), json!(11)),
        (json!(foreign), json!(null)),
    ];
    let before = app.digest();
    let checked = app.post_raw(&url(true), xlsx(&rows));
    let report = checked.ok().clone();
    assert_eq!(
        (&report["lines"], &report["valid"], &report["problem_count"]),
        (&json!(7), &json!(3), &json!(4)),
        "{report}"
    );
    let problems: Vec<(i64, String)> = report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["line"].as_i64().unwrap(),
                p["reason"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        problems,
        [
            (4, format!("资产{}重复", ids[1])),
            (5, "资产编号99999不存在".to_owned()),
            (6, "资产数量“两台”不是整数".to_owned()),
            (7, "资产“调拨椅2”的申请数量须在1到10之间".to_owned()),
        ],
        "{report}"
    );
    assert_eq!(app.digest(), before, "a dry run changes nothing");

    // Submitted as it is: refused whole, naming the count and the first problem.
    let refused = app.post_raw(&url(false), xlsx(&rows));
    refused.err(
        400,
        20,
        &format!(
            "文件中有4行不能申请（第4行：资产{}重复），请先仅校验，修正或删去这些行后再提交",
            ids[1]
        ),
    );
    assert_eq!(app.digest(), before, "a refused file changes nothing");

    // The clean lines (4 of the second asset's 10, all of the others): one request.
    let clean = [
        (json!(ids[0]), json!(null)),
        (json!(ids[1]), json!(4)),
        (json!(ids[2]), json!(null)),
        (json!(foreign), json!(null)),
    ];
    let stored = app.post_raw(&url(false), xlsx(&clean));
    let request = stored.ok()["id"].as_i64().expect("request id");
    assert_eq!(stored.ok()["lines"], 4);
    let approved = act(&app, &admin, request, "approve");
    let lines = approved.ok()["lines"].as_array().unwrap().clone();
    assert!(
        lines.iter().all(|l| l["state_label"] == "已执行"),
        "{lines:?}"
    );
    assert_eq!(asset(&app, &admin, ids[0])["departmentName"], "软件组");
    assert_eq!(asset(&app, &admin, ids[1])["count"], 6, "the rest stays");
    let part = lines[1]["split_asset"].as_i64().unwrap();
    assert_eq!(asset(&app, &admin, part)["departmentName"], "软件组");
    assert_eq!(asset(&app, &admin, part)["count"], 4);
    assert_kept_counts_agree(&app);

    // Staff may not upload a 调拨单; a file with no lines, or of another format, is named.
    let staff = app.post_raw(
        &format!(
            "/api/request_file/{zhangsan}?kind={}&target_department={}",
            enc("调拨"),
            enc("软件组")
        ),
        xlsx(&clean),
    );
    staff.err(400, 20, "调拨只能由资产管理员或系统管理员申请");
    let empty = app.post_raw(&url(false), "资产编号,数量\n");
    empty.err(
        400,
        20,
        "文件中没有资产行：每行一项资产，填写资产编号（数量型资产可填数量）",
    );
    // More lines than one request may have: its own bound, said as such.
    let mut big = String::from("资产编号\n");
    for i in 0..200_001 {
        big.push_str(&format!("{}\n", i + 1));
    }
    app.post_raw(&url(true), big)
        .err(400, 20, "一份申请单最多200000行，请拆分为多份申请");
    let no_kind = app.post_raw(&format!("/api/request_file/{liusn}"), "资产编号\n1\n");
    assert_eq!(no_kind.status.code, 400, "{}", no_kind.body);
}

#[test]
fn a_ten_thousand_line_allocation_from_xlsx_is_checked_submitted_and_approved() {
    const N: usize = 10_000;
    let app = App::new();
    let (admin, liusn, _) = demo_sessions(&app);
    receiving_manager(&app, &admin);
    let ids = assets(&app, &admin, N);
    let rows: Vec<(Value, Value)> = ids.iter().map(|id| (json!(id), json!(null))).collect();
    let file = xlsx(&rows);
    let url = format!(
        "/api/request_file/{liusn}?kind=allocate&target_department={}",
        enc("软件组")
    );
    let checked = app.post_raw(&format!("{url}&dry_run=true"), file.clone());
    assert_eq!(
        (&checked.ok()["valid"], &checked.ok()["problem_count"]),
        (&json!(N), &json!(0)),
        "{}",
        checked.body
    );
    let request = app.post_raw(&url, file).ok()["id"].as_i64().unwrap();
    // More than a batch (task_batch_rows, 2,000): executed by a task.
    let answer = act(&app, &admin, request, "approve");
    assert_eq!(answer.ok()["state_label"], "执行中");
    let task = app.wait_task(&admin, answer.ok()["task"].as_i64().unwrap());
    assert_eq!(task["number_succeed"], N, "{task}");
    let approved = app.get(&format!("/api/requests/{admin}/{request}"));
    assert_eq!(approved.ok()["state_label"], "已通过");
    // The counts moved with the assets.
    assert_kept_counts_agree(&app);
    let counts = &approved.ok()["line_counts"];
    assert_eq!(counts["executed"], N, "{counts}");
    assert_eq!(approved.ok()["line_total"], N);
    // The answer carries the first thousand lines; the rest are a page away.
    assert_eq!(approved.ok()["lines"].as_array().unwrap().len(), 1000);
    let last = app.get(&format!(
        "/api/requests/{liusn}/{request}?page=10&size=1000"
    ));
    assert_eq!(last.ok()["lines"][999]["asset"], ids[N - 1]);
    assert_eq!(last.ok()["lines"][999]["state_label"], "已执行");
    // Each asset moved once, with its 调拨 entry naming the request.
    for id in [ids[0], ids[N / 2], ids[N - 1]] {
        assert_eq!(asset(&app, &admin, id)["departmentName"], "软件组");
        let h = app.get(&format!("/api/asset_history/{admin}/{id}?page=1&size=100"));
        let allocated: Vec<&Value> = h
            .ok()
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] == "allocated")
            .collect();
        assert_eq!(allocated.len(), 1, "{}", h.body);
        assert_eq!(allocated[0]["source"], format!("申请 #{request}"));
    }
}
