//! Issue 10's findings about uploaded and downloaded files: cell coordinates past Excel's
//! limits (item 1), decompression bombs and oversized sheets (item 4), each through the
//! in-process client on a fresh database. A refused file answers -2 with its reason, creates no
//! task and no asset, and the server goes on answering.

use crate::common;
use crate::filekit;

use common::{xlsx_with, App};
use filekit::*;
use serde_json::{json, Value};

/// A valid line of the template for the demo company (liusn manages CST).
const GOOD: &str = "笔记本|条目型|100|1|5|条目型资产|||liusn|CST|";

const MAIN_NS: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";

/// A worksheet whose rows are (row number, [(cell reference, inline text)]).
fn sheet(rows: &[(u64, Vec<(String, String)>)]) -> String {
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
         <worksheet xmlns=\"{MAIN_NS}\"><sheetData>"
    );
    for (r, cells) in rows {
        xml.push_str(&format!("<row r=\"{r}\">"));
        for (at, text) in cells {
            xml.push_str(&format!(
                "<c r=\"{at}\" t=\"inlineStr\"><is><t>{text}</t></is></c>"
            ));
        }
        xml.push_str("</row>");
    }
    xml.push_str("</sheetData></worksheet>");
    xml
}

const LETTERS: [&str; 11] = ["A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K"];

/// A template row at sheet row `r`: cells A..K.
fn template_row(r: u64, line: &str) -> (u64, Vec<(String, String)>) {
    let cells = LETTERS
        .iter()
        .zip(cells(line))
        .filter(|(_, text)| !text.is_empty())
        .map(|(col, text)| (format!("{col}{r}"), text))
        .collect();
    (r, cells)
}

fn header() -> (u64, Vec<(String, String)>) {
    (1, template_row(1, &TEMPLATE_HEADERS.join("|")).1)
}

/// Uploads a file that must be refused with a reason containing `why`, and proves it changed
/// nothing: no task, no asset, and a good file still imports afterwards.
fn refused_unchanged(app: &App, session: &str, bytes: &[u8], why: &str) {
    let tasks_before = app.get(&format!("/api/async_task/{session}")).ok().clone();
    let assets_before = asset_total(app, session);
    let answer = upload(app, session, "?format=xlsx", bytes);
    assert_eq!(answer.status.code, 400, "{:?}", answer.body);
    assert_eq!(answer.code(), -2, "{:?}", answer.body);
    assert!(answer.info().contains(why), "{why}: {:?}", answer.body);
    assert_eq!(
        app.get(&format!("/api/async_task/{session}")).ok(),
        &tasks_before
    );
    assert_eq!(asset_total(app, session), assets_before);
}

fn good_file_still_imports(app: &App, session: &str) {
    let good = xlsx_with(&sheet(&[header(), template_row(2, GOOD)]), None);
    let task = import_file(app, session, "?format=xlsx", &good);
    assert_eq!(task["number_succeed"], 1, "{task}");
}

fn cell_at(reference: &str, text: &str) -> (String, String) {
    (reference.to_string(), text.to_string())
}

#[test]
fn item_1_cells_past_excels_columns_and_rows_are_refused_without_allocating() {
    let app = App::new();
    let s = app.demo("liusn");
    let out_of_range = "超出Excel的范围";
    // The finding's header cell, a column that still fits in u32 (it once took 4.9 GiB), the
    // first column past XFD, and a row past 1,048,576.
    for reference in ["ZZZZZZZZ1", "ZZZZZZ1", "XFE1"] {
        let mut head = header();
        head.1.push(cell_at(reference, "资产名"));
        let file = xlsx_with(&sheet(&[head, template_row(2, GOOD)]), None);
        refused_unchanged(&app, &s, &file, out_of_range);
    }
    let far = xlsx_with(
        &sheet(&[
            header(),
            template_row(2, GOOD),
            (1_048_577, vec![cell_at("A1048577", "x")]),
        ]),
        None,
    );
    refused_unchanged(&app, &s, &far, out_of_range);

    // The last cell Excel has is fine: XFD1048576 holds an unknown column's text, so its row
    // is blank for the import.
    let edge = xlsx_with(
        &sheet(&[
            header(),
            template_row(2, GOOD),
            (1_048_576, vec![cell_at("XFD1048576", "备注")]),
        ]),
        None,
    );
    let task = import_file(&app, &s, "?format=xlsx", &edge);
    assert_eq!(task["number_need"], 1, "{task}");
    assert_eq!(task["number_succeed"], 1, "{task}");
    good_file_still_imports(&app, &s);
}

/// A worksheet of `rows` copies of a good line, compressed by deflate to a small fraction.
fn many_rows(rows: u64) -> String {
    let mut all = vec![header()];
    all.extend((2..rows + 2).map(|r| template_row(r, GOOD)));
    sheet(&all)
}

#[test]
fn item_4_decompression_bombs_and_oversized_sheets_are_refused() {
    let app = App::with(&[
        ("upload_max_unpacked_mib", json!(1)),
        ("upload_max_rows", json!(500)),
    ]);
    let s = app.demo("liusn");
    let cap = "超过1 MiB（设置 upload_max_unpacked_mib）";

    // A worksheet that unpacks past the cap, though it is small on the wire.
    let mut big = vec![header(), template_row(2, GOOD)];
    big.push((3, vec![cell_at("L3", &"炸".repeat(400_000))]));
    let bomb = xlsx_with(&sheet(&big), None);
    assert!(bomb.len() < 64 << 10, "{} bytes", bomb.len());
    refused_unchanged(&app, &s, &bomb, cap);

    // Shared strings are held in memory whole: they get an eighth of the cap.
    let strings = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
         <sst xmlns=\"{MAIN_NS}\" count=\"1\" uniqueCount=\"1\"><si><t>{}</t></si></sst>",
        "a".repeat(200_000)
    );
    let strings_bomb = xlsx_with(&sheet(&[header(), template_row(2, GOOD)]), Some(&strings));
    refused_unchanged(&app, &s, &strings_bomb, cap);

    // One shared string of 20,000 characters in every row: small unpacked, huge as rows.
    let strings = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
         <sst xmlns=\"{MAIN_NS}\" count=\"1\" uniqueCount=\"1\"><si><t>{}</t></si></sst>",
        "b".repeat(20_000)
    );
    let mut rows = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
         <worksheet xmlns=\"{MAIN_NS}\"><sheetData>"
    );
    let head = sheet(&[header()]);
    let head_row = &head[head.find("<row").unwrap()..head.find("</sheetData>").unwrap()];
    rows.push_str(head_row);
    for r in 2..200 {
        rows.push_str(&format!(
            "<row r=\"{r}\"><c r=\"G{r}\" t=\"s\"><v>0</v></c></row>"
        ));
    }
    rows.push_str("</sheetData></worksheet>");
    let amplified = xlsx_with(&rows, Some(&strings));
    refused_unchanged(&app, &s, &amplified, "文件的数据超过1 MiB");

    // More data rows than upload_max_rows, in XLSX and in CSV.
    let too_many = xlsx_with(&many_rows(501), None);
    refused_unchanged(&app, &s, &too_many, "超过500行（设置 upload_max_rows）");
    let mut csv = vec![header_row()];
    csv.extend((0..501).map(|_| cells(GOOD)));
    let answer = upload(&app, &s, "?format=csv", &csv_bytes(&csv, true));
    refused(
        &answer,
        "文件的数据行超过500行（设置 upload_max_rows），请拆分文件后上传",
    );
    // Exactly the limit is fine.
    let task = import_file(&app, &s, "?format=xlsx", &xlsx_with(&many_rows(500), None));
    assert_eq!(task["number_need"], 500, "{task}");

    // A cell longer than Excel allows in a cell.
    let mut long = vec![header(), template_row(2, GOOD)];
    long[1].1.push(cell_at("G2", &"c".repeat(32_768)));
    let long = xlsx_with(&sheet(&long), None);
    let app_default = App::new();
    let s2 = app_default.demo("liusn");
    refused_unchanged(
        &app_default,
        &s2,
        &long,
        "第2行第7列的单元格超过Excel的32767个字符上限",
    );
    good_file_still_imports(&app, &s);
}

#[test]
fn item_4_limits_are_checked_at_start() {
    for (key, value) in [("upload_max_rows", 0), ("upload_max_unpacked_mib", 0)] {
        let figment = assetport::figment()
            .merge(("database", "/nonexistent/never-opened.sqlite3"))
            .merge((key, Value::from(value)));
        let Err(error) = assetport::build(figment) else {
            panic!("{key} = {value} was taken");
        };
        assert!(error.contains(key), "{error}");
    }
}
