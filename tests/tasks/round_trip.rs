//! Issue 12, the Excel round trip: rows with 资产编号 update assets, an export comes in an
//! import-compatible form, a dry run checks without writing and a confirm runs it for real,
//! and an undo task takes back what an import did, leaving alone what changed since.

use crate::common;
use crate::filekit;

use calamine::Data;
use common::{item, row, App};
use filekit::*;
use serde_json::{json, Value};

/// Every column of every asset, in id order: equal text, equal asset table.
fn asset_table(app: &App) -> String {
    let conn = rusqlite::Connection::open(app.db_path()).unwrap();
    let mut stmt = conn.prepare("SELECT * FROM asset ORDER BY id").unwrap();
    let columns = stmt.column_count();
    let mut rows = stmt.query([]).unwrap();
    let mut out = String::new();
    while let Some(r) = rows.next().unwrap() {
        for c in 0..columns {
            let v: rusqlite::types::Value = r.get(c).unwrap();
            out.push_str(&format!("{v:?}|"));
        }
        out.push('\n');
    }
    out
}

/// The kept asset counts of departments and categories equal the real counts.
fn assert_counts_kept(app: &App) {
    let conn = rusqlite::Connection::open(app.db_path()).unwrap();
    for (table, column) in [("department", "department_id"), ("category", "category_id")] {
        let wrong: i64 = conn
            .query_row(
                &format!(
                    "SELECT count(*) FROM {table} t WHERE asset_count !=
                     (SELECT count(*) FROM asset a WHERE a.{column} = t.id)"
                ),
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(wrong, 0, "{table} counts");
    }
}

fn counters(task: &Value) -> [i64; 5] {
    [
        "number_created",
        "number_updated",
        "number_unchanged",
        "number_failed",
        "number_succeed",
    ]
    .map(|k| task[k].as_i64().unwrap_or(-1))
}

fn id_of(task: &Value) -> i64 {
    task["id"].as_i64().unwrap()
}

fn undo(app: &App, s: &str, task: i64) -> Value {
    let undo = app.post(&format!("/api/async_task/{s}/{task}/undo"), &json!({}));
    let id = undo.ok()["id"].as_i64().unwrap();
    app.wait_task(s, id)
}

/// Ten assets of liusn's: quantity rows and items, one item the parent of another, all
/// created years ago so their current value is below the initial one.
fn ten_assets(app: &App, s: &str) -> Vec<i64> {
    let mut rows = Vec::new();
    for i in 0..8 {
        let mut r = row(&format!("椅子{i}"), "liusn", "CST");
        r["price"] = json!(100 + i);
        r["create_time"] = json!("2020-01-01");
        rows.push(r);
    }
    rows.push(item("笔记本"));
    let mut child = item("扩展坞");
    child["parent"] = json!("笔记本");
    rows.push(child);
    let task = app.import(s, &json!(rows));
    assert_eq!(counters(&task), [10, 0, 0, 0, 10], "{task}");
    (1..=10).collect()
}

fn cell(c: &Data) -> Cell {
    match c {
        Data::String(s) => t(s),
        Data::Float(f) => n(*f),
        Data::Int(i) => n(*i as f64),
        Data::Empty => Cell::Empty,
        other => t(&other.to_string()),
    }
}

#[test]
fn export_edit_three_cells_in_excel_and_upload_changes_exactly_those_three() {
    let app = App::new();
    let s = app.demo("liusn");
    let ids = ten_assets(&app, &s);
    let export = app.post(&format!("/api/export_task/{s}"), &json!(ids));
    let export = app.wait_task(&s, export.ok()["id"].as_i64().unwrap());
    let path = format!(
        "/api/async_task/{s}/{}/file?format=xlsx&layout=import",
        id_of(&export)
    );
    let file = fetch(&app, &path);
    file.expect("xlsx", &format!("task-{}-for-import.xlsx", id_of(&export)));
    let mut rows = read_xlsx(&file.bytes);
    // Exactly the template's columns with 资产编号 first; 资产价值 is the initial value.
    let header: Vec<String> = texts(&rows[..1])[0].clone();
    assert_eq!(header[0], "资产编号");
    assert_eq!(header[1..], header_row()[..]);
    assert_eq!(rows.len(), 11);
    assert_eq!(rows[1][3], Data::Float(100.0), "{:?}", rows[1]);
    assert_eq!(texts(&rows[10..])[0][11], "笔记本", "the parent by name");

    let before = app.assets(&s);
    rows[1][1] = Data::String("改名的椅子".into());
    rows[2][3] = Data::Float(555.5);
    rows[9][8] = Data::String("B座".into());
    let edited: Vec<Vec<Cell>> = rows.iter().map(|r| r.iter().map(cell).collect()).collect();
    let task = import_file(&app, &s, "", &build_xlsx(0, &edited));
    assert_eq!(counters(&task), [0, 3, 7, 0, 10], "{task}");
    assert_eq!(task["finish"], 1);

    let after = app.assets(&s);
    assert_eq!(after.len(), before.len(), "nothing duplicated");
    let changed: Vec<(i64, Value, Value)> = before
        .iter()
        .zip(&after)
        .filter(|(b, a)| b != a)
        .map(|(b, a)| (b["id"].as_i64().unwrap(), b.clone(), a.clone()))
        .collect();
    assert_eq!(changed.len(), 3, "{changed:?}");
    assert_eq!(changed[0].2["name"], "改名的椅子");
    assert_eq!(changed[1].2["initial_price"], 555.5);
    assert_eq!(changed[2].2["position"], "B座");
    // Every other field of the three is as it was.
    for (_, b, a) in &changed {
        let differing: Vec<&String> = b
            .as_object()
            .unwrap()
            .keys()
            .filter(|k| b[k.as_str()] != a[k.as_str()])
            .collect();
        assert!(
            differing.len() <= 2
                && differing.iter().all(|k| {
                    ["name", "initial_price", "price", "position"].contains(&k.as_str())
                }),
            "{differing:?}"
        );
    }
    assert_counts_kept(&app);

    // The full export (taken before the edits) uploaded again keeps the initial price too
    // (its 初始价值 column wins): name and price go back. Its blank 位置信息 keeps the
    // current B座: a blank cell never clears a value.
    let full = download(&app, &s, id_of(&export), "csv");
    let again = import_file(&app, &s, "?format=csv", &full.bytes);
    assert_eq!(counters(&again), [0, 2, 8, 0, 10], "{again}");
    let mut expected = before.clone();
    expected[8]["position"] = json!("B座");
    assert_eq!(app.assets(&s), expected);
}

#[test]
fn every_update_row_message() {
    let app = App::new();
    let s = app.demo("liusn");
    let admin = app.demo("sysadmin");
    let (_, _, foreign) = app.second_entity();
    // 软件组 (within liusn's reach) exists; 财务部 (outside it) is new.
    app.staff_in(&admin, ("软件组", ""), "王伟");
    app.staff_in(&admin, ("财务部", ""), "财务员");
    let own = app.create_asset(&s, &row("椅子", "liusn", "CST"));
    let retired = app.create_asset(&s, &row("旧椅子", "liusn", "CST"));
    app.put(&format!("/api/expire_asset/{s}"), &json!([retired]))
        .ok();
    let outside = app.create_asset(&admin, &row("账本", "财务员", "财务部"));
    let parent = app.create_asset(&s, &item("主机"));
    let mut child = item("显示器");
    child["parent"] = json!(parent);
    app.create_asset(&s, &child);
    let before = asset_table(&app);

    let update = |id: Value, fields: Value| {
        let mut r = json!({ "id": id });
        for (k, v) in fields.as_object().unwrap() {
            r[k] = v.clone();
        }
        r
    };
    let cases = [
        (
            update(json!(999_999), json!({"name": "x"})),
            "资产编号不存在",
        ),
        (
            update(json!(foreign), json!({"name": "x"})),
            "资产编号不存在",
        ),
        (
            update(json!("abc"), json!({"name": "x"})),
            "缺少字段或类型错误：[id]（资产编号须为正整数）",
        ),
        (
            update(json!(-3), json!({})),
            "缺少字段或类型错误：[id]（资产编号须为正整数）",
        ),
        (
            update(json!(retired), json!({"name": "x"})),
            "已清退的资产不能修改",
        ),
        (
            update(json!(outside), json!({"name": "x"})),
            "无权修改该资产",
        ),
        (
            update(
                json!(own),
                json!({"department": "财务部", "user": "财务员"}),
            ),
            "无权管理该部门的资产（部门“财务部”不在您管理的部门中）",
        ),
        (
            update(json!(own), json!({"assetClass": 1, "count": 1})),
            "资产类型不可修改",
        ),
        (
            update(
                json!(parent),
                json!({"department": "软件组", "user": "王伟",
                                        "assetTree": "条目型资产"}),
            ),
            "有子资产的资产不能移到其他部门",
        ),
        (
            update(json!(own), json!({"user": "王伟"})),
            "指定资产挂账人不处于当前部门（“王伟”属于部门「软件组」，资产在部门「CST」）",
        ),
        (update(json!(own), json!({"count": 0})), "资产数量不可小于1"),
        (
            update(json!(own), json!({"expire": 1})),
            "不能导入已清退的资产",
        ),
        (
            update(json!(parent), json!({"parent": parent})),
            "父资产不符合规范",
        ),
    ];
    let rows: Vec<Value> = cases.iter().map(|(r, _)| r.clone()).collect();
    let task = app.import(&s, &json!(rows));
    assert_eq!(counters(&task), [0, 0, 0, cases.len() as i64, 0], "{task}");
    let failed = failed(&app, &s, id_of(&task));
    for ((_, message), got) in cases.iter().zip(&failed) {
        assert_eq!(got["message"], *message, "{got}");
    }
    assert_eq!(asset_table(&app), before, "no failed update wrote anything");

    // A move within reach, with the owner and category it needs, works and moves the counts.
    let moved = app.import(
        &s,
        &json!([update(
            json!(own),
            json!({"department": "软件组", "user": "王伟"})
        )]),
    );
    assert_eq!(counters(&moved), [0, 1, 0, 0, 1], "{moved}");
    let asset = app.assets(&s).into_iter().find(|a| a["id"] == own).unwrap();
    assert_eq!(
        (
            &asset["departmentName"],
            &asset["userName"],
            &asset["status"]
        ),
        (&json!("软件组"), &json!("王伟"), &json!(2))
    );
    assert_counts_kept(&app);
}

#[test]
fn a_task_mixes_creates_and_updates_and_counts_each() {
    let app = App::new();
    let s = app.demo("liusn");
    let first = app.create_asset(&s, &row("椅子", "liusn", "CST"));
    let second = app.create_asset(&s, &row("桌子", "liusn", "CST"));
    let rows = json!([
        row("新柜子", "liusn", "CST"),
        {"id": first, "price": 99.5, "description": "换了新坐垫"},
        {"id": second.to_string(), "name": "桌子"},
        {"id": "", "name": "空编号", "assetClass": 0, "user": "liusn", "price": 1, "count": 1,
         "assetTree": "默认分类", "department": "CST", "deadline": 1},
        {"id": 424_242, "name": "不存在"},
    ]);
    let task = app.import(&s, &rows);
    assert_eq!(counters(&task), [2, 1, 1, 1, 4], "{task}");
    assert_eq!(task["number_done"], 5);
    let assets = app.assets(&s);
    assert_eq!(assets.len(), 4);
    let chair = assets.iter().find(|a| a["id"] == first).unwrap();
    assert_eq!(
        (
            &chair["initial_price"],
            &chair["description"],
            &chair["name"]
        ),
        (&json!(99.5), &json!("换了新坐垫"), &json!("椅子"))
    );
}

#[test]
fn a_dry_run_writes_nothing_and_its_confirm_equals_a_direct_import() {
    // The same company and rows in two databases: one imports directly, one checks first.
    let rows = |existing: i64| {
        let mut parent = item("服务器");
        parent["description"] = json!("机房");
        let mut child = item("网卡");
        child["parent"] = json!("服务器");
        let mut bad = row("坏行", "liusn", "CST");
        bad["count"] = json!(0);
        json!([
            parent,
            child,
            bad,
            {"id": existing, "position": "新位置"},
            {"id": existing + 1, "name": "桌子"},
        ])
    };
    let direct = App::new();
    let checked = App::new();
    let mut results = Vec::new();
    for app in [&direct, &checked] {
        let s = app.demo("liusn");
        app.create_asset(&s, &row("椅子", "liusn", "CST"));
        app.create_asset(&s, &row("桌子", "liusn", "CST"));
        results.push(s);
    }
    let direct_task = direct.import(&results[0], &rows(1));
    assert_eq!(counters(&direct_task), [2, 1, 1, 1, 4]);

    let s = &results[1];
    let before = (asset_table(&checked), checked.table_counts());
    let dry = checked.import_with(s, "?dry_run=true", &rows(1));
    assert_eq!(
        (&dry["dry_run"], &dry["confirmed"]),
        (&json!(true), &json!(false))
    );
    // What it would do: the same counts, the same failed row.
    assert_eq!(counters(&dry), [2, 1, 1, 1, 4], "{dry}");
    let failed_dry = failed(&checked, s, id_of(&dry));
    assert_eq!(failed_dry[0]["message"], "资产数量不可小于1");
    let preview = dry["preview"].as_array().unwrap();
    assert_eq!(preview[0]["action"], "create");
    assert_eq!(preview[0]["name"], "服务器");
    let change = preview.iter().find(|p| p["action"] == "update").unwrap();
    assert_eq!(change["id"], 1);
    assert_eq!(
        change["changes"],
        json!({"位置信息": {"old": "", "new": "新位置"}})
    );
    // Nothing was written: the asset table and every table's row count but the task's own
    // stored rows and failed rows are as they were.
    assert_eq!(asset_table(&checked), before.0);
    let grew: Vec<(String, i64)> = checked
        .table_counts()
        .into_iter()
        .filter(|t| !before.1.contains(t))
        .collect();
    let grew_tables: Vec<&str> = grew.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(
        grew_tables,
        ["task", "task_chunk", "task_failure"],
        "{grew:?}"
    );

    // Confirm: the same task runs for real and ends as the direct import did.
    let confirm = |app: &App| {
        app.post(
            &format!("/api/async_task/{s}/{}/confirm", id_of(&dry)),
            &json!({}),
        )
    };
    confirm(&checked).ok();
    let real = checked.wait_task(s, id_of(&dry));
    assert_eq!(counters(&real), counters(&direct_task), "{real}");
    assert_eq!(real["confirmed"], true);
    assert_eq!(asset_table(&checked), asset_table(&direct));
    assert_eq!(failed(&checked, s, id_of(&dry)).len(), 1);
    assert_counts_kept(&checked);

    // Confirm refused: again, of a task that was no dry run, of an unknown task.
    confirm(&checked).err(400, 14, "该任务已确认执行，不能再次确认");
    checked
        .post(&format!("/api/async_task/{s}/999/confirm"), &json!({}))
        .err(404, 6, "对应id的异步任务不存在");
    let plain = checked.import(s, &json!([row("普通", "liusn", "CST")]));
    checked
        .post(
            &format!("/api/async_task/{s}/{}/confirm", id_of(&plain)),
            &json!({}),
        )
        .err(400, 14, "该任务不是仅校验任务，无需确认");
    // A dry run's failed rows are fixed in the file, not re-run.
    let dry_again = checked.import_with(s, "?dry_run=true", &json!([{"id": 999}]));
    checked
        .put(
            &format!("/api/failed_task/{s}/{}", id_of(&dry_again)),
            &json!([row("修好", "liusn", "CST")]),
        )
        .err(
            400,
            14,
            "仅校验的任务不能重新提交失败行：请修正文件后重新校验，或确认执行",
        );
    // A bad dry_run value is refused and stores nothing.
    let counts = checked.table_counts();
    checked
        .post(&format!("/api/asset/{s}?dry_run=maybe"), &json!([]))
        .err(400, -2, "缺少字段或类型错误：[dry_run]（true 或 false）");
    assert_eq!(checked.table_counts(), counts);
}

/// The actions a task lists follow it through its lifecycle, and what it does not list is
/// refused with the code the lifecycle documents.
#[test]
fn a_task_lists_the_actions_its_phase_allows_from_dry_run_to_deleted_data() {
    let app = App::new();
    let s = app.demo("liusn");
    let actions = |id: i64| app.get(&format!("/api/async_task/{s}/{id}")).ok()["actions"].clone();
    let code = |method: &str, path: String| {
        let answer = match method {
            "POST" => app.post(&path, &json!({})),
            _ => app.delete(&path),
        };
        answer.body["code"].as_i64().unwrap()
    };
    let mut bad = row("坏行", "liusn", "CST");
    bad["count"] = json!(0);
    let dry = app.import_with(&s, "?dry_run=true", &json!([item("电脑"), bad]));
    let id = id_of(&dry);
    assert_eq!(
        dry["actions"],
        json!(["confirm", "discard", "delete_data", "download"])
    );
    assert_eq!(code("POST", format!("/api/async_task/{s}/{id}/undo")), 15);
    assert_eq!(code("POST", format!("/api/async_task/{s}/{id}/cancel")), 12);

    app.post(&format!("/api/async_task/{s}/{id}/confirm"), &json!({}))
        .ok();
    app.wait_task(&s, id);
    assert_eq!(
        actions(id),
        json!(["undo", "rerun", "edit_failed", "delete_data", "download"])
    );
    assert_eq!(
        code("POST", format!("/api/async_task/{s}/{id}/confirm")),
        14
    );

    let undo_task = undo(&app, &s, id);
    assert_eq!(undo_task["actions"], json!(["delete_data"]));
    assert_eq!(actions(id), json!(["delete_data", "download"]));
    assert_eq!(code("POST", format!("/api/async_task/{s}/{id}/undo")), 15);
    let undo_id = id_of(&undo_task);
    assert_eq!(
        code("POST", format!("/api/async_task/{s}/{undo_id}/cancel")),
        20
    );

    assert_eq!(code("DELETE", format!("/api/async_task/{s}/{id}")), 0);
    assert_eq!(actions(id), json!([]));
    let failed = app.get(&format!("/api/failed_task/{s}/{id}"));
    assert_eq!(failed.body["code"], 13);
}

#[test]
fn a_dry_run_of_a_file_finds_parents_created_by_earlier_batches() {
    // Batches of 2 rows: the parent is in the first batch, its child in the third.
    let app = App::with(&[("task_batch_rows", json!(2))]);
    let s = app.demo("liusn");
    let mut child = item("网卡");
    child["parent"] = json!("服务器");
    let rows = json!([
        item("服务器"),
        row("a", "liusn", "CST"),
        row("b", "liusn", "CST"),
        child
    ]);
    let dry = app.import_with(&s, "?dry_run=true", &rows);
    assert_eq!(counters(&dry), [4, 0, 0, 0, 4], "{dry}");
    let direct = app.import(&s, &rows);
    assert_eq!(counters(&direct), [4, 0, 0, 0, 4], "{direct}");
}

#[test]
fn undo_takes_back_creates_and_updates_and_leaves_what_changed_since() {
    let app = App::new();
    let s = app.demo("liusn");
    let ids = ten_assets(&app, &s);
    let before = asset_table(&app);
    let rows = json!([
        {"id": ids[0], "name": "改名", "price": 1},
        {"id": ids[1], "position": "仓库"},
        {"id": ids[2], "name": "椅子2"},
        row("新一", "liusn", "CST"),
        item("新主机"),
        {"name": "新网卡", "parent": "新主机", "assetClass": 1, "user": "liusn", "price": 5,
         "count": 1, "assetTree": "条目型资产", "department": "CST", "deadline": 1},
    ]);
    let task = app.import(&s, &rows);
    assert_eq!(counters(&task), [3, 2, 1, 0, 6], "{task}");

    // Undo restores the asset table exactly.
    let undone = undo(&app, &s, id_of(&task));
    assert_eq!(undone["kind"], "undo");
    assert_eq!(undone["port_type"], 2);
    assert_eq!(undone["undo_of"], id_of(&task));
    assert_eq!(
        (
            &undone["number_need"],
            &undone["number_succeed"],
            &undone["finish"]
        ),
        (&json!(5), &json!(5), &json!(1)),
        "{undone}"
    );
    assert_eq!(asset_table(&app), before);
    assert_counts_kept(&app);
    // Name searches (the trigram index, whatever it has caught up with) follow the undo.
    let named = |text: &str| {
        let found = app.post(
            &format!("/api/search_assets/{s}"),
            &json!({"name": text, "page": 1, "size": 50}),
        );
        common::ids(found.ok())
    };
    assert_eq!(named("改名"), Vec::<i64>::new());
    assert_eq!(named("椅子0"), vec![ids[0]]);
    assert_eq!(named("新主机"), Vec::<i64>::new());
    let task = app.wait_task(&s, id_of(&task));
    assert_eq!(task["undone_by"], id_of(&undone));
    app.post(
        &format!("/api/async_task/{s}/{}/undo", id_of(&task)),
        &json!({}),
    )
    .err(400, 15, "该任务已撤销，不能再次撤销");
    // New assets never take the ids the undo freed.
    let next = app.create_asset(&s, &row("之后", "liusn", "CST"));
    assert!(next > 13, "{next}");

    // Undo skips what changed after the task: a modify, a retire, a child added.
    let task = app.import(
        &s,
        &json!([
            {"id": ids[3], "name": "甲"},
            {"id": ids[4], "name": "乙"},
            {"id": ids[8], "name": "丙"},
            {"id": ids[5], "name": "丁"},
            row("新二", "liusn", "CST"),
            item("新三"),
        ]),
    );
    assert_eq!(counters(&task), [2, 4, 0, 0, 6], "{task}");
    let created: Vec<i64> = app
        .assets(&s)
        .iter()
        .filter(|a| a["name"] == "新二" || a["name"] == "新三")
        .map(|a| a["id"].as_i64().unwrap())
        .collect();
    app.put(
        &format!("/api/asset/{s}"),
        &json!({"id": ids[3], "name": "甲改"}),
    )
    .ok();
    app.put(&format!("/api/expire_asset/{s}"), &json!([ids[4]]))
        .ok();
    let mut child = item("新子");
    child["parent"] = json!(ids[8]);
    app.create_asset(&s, &child);
    let mut grandchild = item("新三的子");
    grandchild["parent"] = json!(created[1]);
    app.create_asset(&s, &grandchild);
    app.put(
        &format!("/api/asset/{s}"),
        &json!({"id": created[0], "position": "改过"}),
    )
    .ok();
    let undone = undo(&app, &s, id_of(&task));
    assert_eq!(
        (
            &undone["number_succeed"],
            &undone["number_failed"],
            &undone["finish"]
        ),
        (&json!(1), &json!(5), &json!(2)),
        "{undone}"
    );
    let mut messages: Vec<(i64, String)> = failed(&app, &s, id_of(&undone))
        .iter()
        .map(|f| {
            (
                f["id"].as_i64().unwrap(),
                f["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    messages.sort();
    let changed = "该资产在此任务之后已被修改（修改、清退或其他导入），未撤销";
    assert_eq!(
        messages,
        [
            (ids[3], changed.to_owned()),
            (ids[4], changed.to_owned()),
            (ids[8], "该资产在此任务之后新增了子资产，未撤销".to_owned()),
            (created[0], changed.to_owned()),
            (
                created[1],
                "该资产下有不是此任务创建的子资产，未删除".to_owned()
            ),
        ]
    );
    let assets = app.assets(&s);
    let named = |id: i64| {
        assets
            .iter()
            .find(|a| a["id"] == id)
            .map(|a| a["name"].as_str().unwrap().to_owned())
    };
    assert_eq!(named(ids[5]).as_deref(), Some("椅子5"), "undone");
    assert_eq!(named(ids[3]).as_deref(), Some("甲改"), "left as it is");
    assert_eq!(named(created[0]).as_deref(), Some("新二"));
    assert_counts_kept(&app);

    // Neither a dry run nor an export can be undone.
    let dry = app.import_with(&s, "?dry_run=true", &json!([row("x", "liusn", "CST")]));
    app.post(
        &format!("/api/async_task/{s}/{}/undo", id_of(&dry)),
        &json!({}),
    )
    .err(400, 15, "仅校验的任务没有写入任何数据，无需撤销");
    let export = app.post(&format!("/api/export_task/{s}"), &json!([1]));
    let export = app.wait_task(&s, export.ok()["id"].as_i64().unwrap());
    app.post(
        &format!("/api/async_task/{s}/{}/undo", id_of(&export)),
        &json!({}),
    )
    .err(400, 15, "只能撤销导入任务");
}

/// Kills the server once task `id` has done part of its rows (and not all).
fn kill_part_way(server: common::server::Server, session: &str, id: i64) {
    server.wait_part_done(session, id);
    server.kill();
}

fn count(database: &std::path::Path, query: &str) -> i64 {
    let conn = rusqlite::Connection::open(database).unwrap();
    conn.query_row(query, [], |r| r.get(0)).unwrap()
}

#[test]
fn sigkill_during_a_confirm_and_during_an_undo_does_nothing_twice() {
    use common::server::Server;
    const ROWS: usize = 60_000;
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("db.sqlite3");
    let env = [("ROCKET_TASK_BATCH_ROWS", "500")];
    let server = Server::start(&database, &env);
    let s = server.login("liusn", common::DEMO_PASSWORD);
    let rows: Vec<Value> = (0..ROWS)
        .map(|i| {
            let mut r = row(&format!("资产-{i}"), "liusn", "CST");
            if i % 10 == 3 {
                r["count"] = json!(0);
            }
            r
        })
        .collect();
    let valid = (ROWS - ROWS / 10) as i64;
    let (status, answer) = server.post(
        &format!("/api/asset/{s}?dry_run=true"),
        &Value::from(rows).to_string(),
    );
    assert_eq!(status, 200, "{answer}");
    let id = answer["data"]["id"].as_i64().unwrap();
    let dry = server.wait_task(&s, id);
    assert_eq!(dry["number_created"], valid, "{dry}");
    assert_eq!(count(&database, "SELECT count(*) FROM asset"), 0);

    let (status, answer) = server.post(&format!("/api/async_task/{s}/{id}/confirm"), "{}");
    assert_eq!(status, 200, "{answer}");
    kill_part_way(server, &s, id);
    let server = Server::start(&database, &env);
    let s = server.login("liusn", common::DEMO_PASSWORD);
    let done = server.wait_task(&s, id);
    assert_eq!(
        (
            &done["number_created"],
            &done["number_failed"],
            &done["confirmed"]
        ),
        (&json!(valid), &json!(ROWS / 10), &json!(true)),
        "{done}"
    );
    assert_eq!(count(&database, "SELECT count(*) FROM asset"), valid);
    assert_eq!(
        count(&database, "SELECT count(DISTINCT name) FROM asset"),
        valid,
        "no row created twice"
    );
    common::assert_history_matches_changes(&database);

    let (status, answer) = server.post(&format!("/api/async_task/{s}/{id}/undo"), "{}");
    assert_eq!(status, 200, "{answer}");
    let undo = answer["data"]["id"].as_i64().unwrap();
    kill_part_way(server, &s, undo);
    let server = Server::start(&database, &env);
    let s = server.login("liusn", common::DEMO_PASSWORD);
    let undone = server.wait_task(&s, undo);
    assert_eq!(
        (
            &undone["number_need"],
            &undone["number_succeed"],
            &undone["number_failed"]
        ),
        (&json!(valid), &json!(valid), &json!(0)),
        "{undone}"
    );
    common::assert_history_matches_changes(&database);
    assert_eq!(count(&database, "SELECT count(*) FROM asset"), 0);
    assert_eq!(
        count(
            &database,
            "SELECT asset_count FROM department WHERE name = 'CST'"
        ),
        0
    );
    server.kill();
}

#[test]
fn bad_input_to_the_round_trip_endpoints_gets_a_clear_error_and_changes_nothing() {
    let app = App::new();
    let s = app.demo("liusn");
    let staff = app.demo("zhangsan");
    let (admin2, _, _) = app.second_entity();
    let task = app.import(&s, &json!([row("椅子", "liusn", "CST")]));
    let export = app.post(&format!("/api/export_task/{s}"), &json!([1]));
    let export = app.wait_task(&s, export.ok()["id"].as_i64().unwrap());
    let before = app.digest();
    for action in ["confirm", "undo"] {
        for id in ["abc", "-1", "0", "99999999999999999999", "1.5", "%00"] {
            app.post(&format!("/api/async_task/{s}/{id}/{action}"), &json!({}))
                .err(404, 6, "对应id的异步任务不存在");
        }
        // Another company's task, a staff member: refused without a trace.
        let own = id_of(&task);
        app.post(
            &format!("/api/async_task/{admin2}/{own}/{action}"),
            &json!({}),
        )
        .err(404, 6, "对应id的异步任务不存在");
        app.post(
            &format!("/api/async_task/{staff}/{own}/{action}"),
            &json!({}),
        )
        .err(403, 1, "你无此权限");
    }
    app.post(
        &format!("/api/async_task/{s}/{}/confirm", id_of(&export)),
        &json!({}),
    )
    .err(400, 14, "该任务不是仅校验任务，无需确认");
    for value in ["yes", "2", "TRUE ", "[]"] {
        app.post(
            &format!("/api/asset/{s}?dry_run={}", common::enc(value)),
            &json!([]),
        )
        .err(400, -2, "缺少字段或类型错误：[dry_run]（true 或 false）");
    }
    let file = fetch(
        &app,
        &format!("/api/async_task/{s}/{}/file?layout=edit", id_of(&export)),
    );
    file.answer()
        .err(400, -2, "缺少字段或类型错误：[layout]（full 或 import）");
    assert_eq!(app.digest(), before);

    // Update rows with ids of every odd kind fail each with its message; nothing changes.
    let rows = json!([
        {"id": 1e300, "name": "x"}, {"id": true}, {"id": [1]}, {"id": {"a": 1}},
        {"id": "1; DROP TABLE asset"}, {"id": 1.5}, {"id": "٣"}
    ]);
    let before = asset_table(&app);
    let bad = app.import(&s, &rows);
    assert_eq!(counters(&bad), [0, 0, 0, 7, 0], "{bad}");
    for f in failed(&app, &s, id_of(&bad)) {
        assert_eq!(
            f["message"], "缺少字段或类型错误：[id]（资产编号须为正整数）",
            "{f}"
        );
    }
    assert_eq!(asset_table(&app), before);
}
