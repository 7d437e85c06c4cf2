//! Issue 10's findings about what the server writes into files: formulas neutralised in every
//! CSV and taken off again on upload (item 8), rows with unreadable values written cell by cell
//! (item 15), control characters refused in names and made visible in files (item 16).

use crate::common;
use crate::filekit;

use calamine::Data;
use common::App;
use filekit::*;
use serde_json::{json, Value};

/// Column of each template field in a failed-rows file.
fn col(field: &str) -> usize {
    // The failed-rows file starts with 资产编号, then the template's columns.
    1 + TEMPLATE_FIELDS.iter().position(|f| *f == field).unwrap()
}

#[test]
fn item_8_formulas_are_neutralised_in_every_csv_and_a_reupload_is_lossless() {
    let app = App::new();
    let s = app.demo("liusn");
    // Every text field starts a formula; the department does not exist, so the row fails.
    let texts = json!({
        "name": "=HYPERLINK(\"http://evil\",\"点我\")",
        "description": "+1+1",
        "position": "@SUM(A1)",
        "user": "-2+3",
        "assetTree": "'=已有引号",
        "parent": "=A1",
        "department": "=没有这个部门",
    });
    let mut row = common::row("x", "liusn", "CST");
    for (k, v) in texts.as_object().unwrap() {
        row[k] = v.clone();
    }
    row["price"] = json!(-5);
    row["count"] = json!("-3");
    let task = app.import(&s, &json!([row]));
    assert_eq!(task["number_failed"], 1, "{task}");
    let id = task["id"].as_i64().unwrap();

    let file = download(&app, &s, id, "csv");
    file.expect("csv", &format!("task-{id}-failed.csv"));
    let rows = read_csv(&file.bytes);
    let cells = &rows[1];
    assert_eq!(cells[col("name")], "'=HYPERLINK(\"http://evil\",\"点我\")");
    assert_eq!(cells[col("description")], "'+1+1");
    assert_eq!(cells[col("position")], "'@SUM(A1)");
    assert_eq!(cells[col("user")], "'-2+3");
    assert_eq!(cells[col("parent")], "'=A1");
    assert_eq!(cells[col("department")], "'=没有这个部门");
    // A text that already starts with ' before a formula gets one more, so a reader takes off
    // exactly one; numbers, as numbers or as numeric text, are left alone.
    assert_eq!(cells[col("assetTree")], "''=已有引号");
    assert_eq!(cells[col("price")], "-5");
    assert_eq!(cells[col("count")], "-3");

    // The file uploaded again (fixing nothing) holds exactly what was first sent.
    let again = import_file(&app, &s, "?format=csv", &file.bytes);
    assert_eq!(again["number_failed"], 1, "{again}");
    let back = &failed(&app, &s, again["id"].as_i64().unwrap())[0];
    for (k, v) in texts.as_object().unwrap() {
        assert_eq!(&back[k], v, "{k}");
    }
    assert_eq!(back["price"], "-5");

    // Export files: the CSV neutralises, the XLSX keeps the plain string (a string cell is
    // never run as a formula).
    let mut good = common::row("=1+1", "liusn", "CST");
    good["description"] = json!("@cmd");
    let asset = app.create_asset(&s, &good);
    let export = app.post(&format!("/api/export_task/{s}"), &json!([asset]));
    let export = export.ok()["id"].as_i64().unwrap();
    app.wait_task(&s, export);
    let csv = read_csv(&download(&app, &s, export, "csv").bytes);
    assert!(csv[1].contains(&"'=1+1".to_owned()), "{:?}", csv[1]);
    assert!(csv[1].contains(&"'@cmd".to_owned()), "{:?}", csv[1]);
    let xlsx = read_xlsx(&download(&app, &s, export, "xlsx").bytes);
    assert!(
        xlsx[1].contains(&Data::String("=1+1".into())),
        "{:?}",
        xlsx[1]
    );
    assert!(
        xlsx[1].contains(&Data::String("@cmd".into())),
        "{:?}",
        xlsx[1]
    );
}

/// Sends a raw JSON import body (text serde_json could not build as a value) and waits.
fn import_raw(app: &App, s: &str, body: &str) -> Value {
    let answer = app.post_raw(&format!("/api/asset/{s}"), body.as_bytes().to_vec());
    let id = answer.ok()["id"].as_i64().unwrap();
    app.wait_task(s, id)
}

#[test]
fn item_15_a_value_that_cannot_be_read_blanks_only_its_own_cell() {
    let app = App::new();
    let s = app.demo("liusn");
    let body = r#"[{"name":"坏\ud800行","assetClass":0,"user":"liusn","price":1e400,
        "description":"说明","position":"三楼","count":10,"assetTree":"默认分类",
        "department":"CST","deadline":10}]"#;
    let task = import_raw(&app, &s, body);
    assert_eq!(task["number_failed"], 1, "{task}");
    let id = task["id"].as_i64().unwrap();

    let listed = &failed(&app, &s, id)[0];
    assert_eq!(listed["name"], "坏\u{fffd}行", "{listed}");
    assert_eq!(listed["price"], "1e400", "{listed}");
    assert_eq!(listed["position"], "三楼", "{listed}");

    let csv = read_csv(&download(&app, &s, id, "csv").bytes);
    let cells = &csv[1];
    assert_eq!(cells[col("name")], "坏\u{fffd}行");
    assert_eq!(cells[col("price")], "1e400");
    assert_eq!(cells[col("description")], "说明");
    assert_eq!(cells[col("department")], "CST");
    // The file names the column as its header does, not by the API's key.
    assert!(cells.last().unwrap().contains("「原值」"), "{cells:?}");
    assert!(!cells.last().unwrap().contains("[price]"), "{cells:?}");

    let xlsx = texts(&read_xlsx(&download(&app, &s, id, "xlsx").bytes));
    assert_eq!(xlsx[1][col("name")], "坏\u{fffd}行");
    assert_eq!(xlsx[1][col("price")], "1e400");
    assert_eq!(xlsx[1][col("position")], "三楼");
}

#[test]
fn item_16_control_characters_are_refused_in_names_and_visible_in_files() {
    let app = App::new();
    let s = app.demo("liusn");
    let admin = app.demo("sysadmin");
    let before = app.digest();
    // One asset: refused with the row rule's message, nothing stored.
    let mut bad = common::row("打印\u{0}机", "liusn", "CST");
    bad["position"] = json!("三\u{7}楼");
    let answer = app.post(&format!("/api/post_asset/{s}"), &bad);
    assert_eq!(answer.status.code, 400, "{:?}", answer.body);
    assert!(
        answer.info().contains("字段不能包含控制字符：[name]"),
        "{:?}",
        answer.body
    );
    assert!(
        answer.info().contains("字段不能包含控制字符：[position]"),
        "{:?}",
        answer.body
    );
    // Departments and users likewise.
    let dept = app.post(
        &format!("/api/department/{admin}"),
        &json!({"name": "行政\u{1b}部", "parent": ""}),
    );
    dept.err(400, -2, "字段不能包含控制字符：[name]");
    let user = app.post(
        &format!("/api/user/{admin}"),
        &json!({"name": "zhang\u{0}san", "password": "secret1", "department": "CST", "character": 2}),
    );
    user.err(400, -2, "字段不能包含控制字符：[name]");
    assert_eq!(app.digest(), before);

    // In an import the row fails with that message; a description keeps its line breaks.
    let mut multi = common::row("多行", "liusn", "CST");
    multi["description"] = json!("第一行\n第二行\t制表");
    let task = app.import(&s, &json!([bad, multi]));
    assert_eq!(
        (&task["number_failed"], &task["number_succeed"]),
        (&json!(1), &json!(1))
    );
    let id = task["id"].as_i64().unwrap();
    let listed = &failed(&app, &s, id)[0];
    assert!(
        listed["message"]
            .as_str()
            .unwrap()
            .contains("字段不能包含控制字符：[name]"),
        "{listed}"
    );
    // The failed-rows file shows each control character as its visible symbol.
    let csv = read_csv(&download(&app, &s, id, "csv").bytes);
    assert_eq!(csv[1][col("name")], "打印\u{2400}机");
    assert_eq!(csv[1][col("position")], "三\u{2407}楼");
    assert!(!csv.iter().flatten().any(|c| c.contains('\u{0}')));
}
