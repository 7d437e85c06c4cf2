//! Issue 18 item 4: what an upload may cost the server. An XLSX whose shared strings are millions
//! of empty entries (small on the wire, under the byte cap unpacked) is refused before it is read;
//! uploaded files wait in a private temporary file, not in memory, and leave nothing behind;
//! files beyond `max_parsing_uploads` wait their turn.

use crate::common;
use crate::filekit;

use common::server::Server;
use common::{xlsx_with, App};
use filekit::*;
use serde_json::{json, Value};

/// A valid line of the template for the demo company (liusn manages CST).
const GOOD: &str = "笔记本|条目型|100|1|5|条目型资产|||liusn|CST|";

const MAIN_NS: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
const LETTERS: [&str; 11] = ["A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K"];

/// A worksheet of the template's header and `lines` (template lines), as inline strings.
fn sheet(lines: &[&str]) -> String {
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
         <worksheet xmlns=\"{MAIN_NS}\"><sheetData>"
    );
    let header = TEMPLATE_HEADERS.join("|");
    for (r, line) in std::iter::once(header.as_str())
        .chain(lines.iter().copied())
        .enumerate()
    {
        xml.push_str(&format!("<row r=\"{}\">", r + 1));
        for (col, text) in LETTERS.iter().zip(cells(line)) {
            if !text.is_empty() {
                xml.push_str(&format!(
                    "<c r=\"{col}{}\" t=\"inlineStr\"><is><t>{text}</t></is></c>",
                    r + 1
                ));
            }
        }
        xml.push_str("</row>");
    }
    xml.push_str("</sheetData></worksheet>");
    xml
}

/// A shared-strings part of `entries` empty strings.
fn empty_shared_strings(entries: usize) -> String {
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
         <sst xmlns=\"{MAIN_NS}\" count=\"{entries}\" uniqueCount=\"{entries}\">"
    );
    xml.reserve(entries * 5 + 6);
    for _ in 0..entries {
        xml.push_str("<si/>");
    }
    xml.push_str("</sst>");
    xml
}

fn tasks(app: &App, session: &str) -> Value {
    app.get(&format!("/api/async_task/{session}")).ok().clone()
}

#[test]
fn item_4_millions_of_empty_shared_strings_are_refused_before_they_are_read() {
    // The default settings: a part held in memory may take 256 MiB.
    let app = App::new();
    let s = app.demo("liusn");
    let tasks_before = tasks(&app, &s);
    let assets_before = asset_total(&app, &s);

    // Eight million empty strings: 38 MiB unpacked (under the 256 MiB a part may unpack to),
    // a few hundred KiB on the wire, over 300 MiB as calamine would hold them.
    let strings = empty_shared_strings(8_000_000);
    let file = xlsx_with(&sheet(&[GOOD]), Some(&strings));
    drop(strings);
    assert!(file.len() < 1 << 20, "{} bytes", file.len());
    let answer = upload(&app, &s, "?format=xlsx", &file);
    assert_eq!(answer.status.code, 400, "{:?}", answer.body);
    assert_eq!(answer.code(), -2, "{:?}", answer.body);
    let info = answer.info();
    assert!(
        info.starts_with("XLSX文件的共享字符串（sharedStrings）有8000000项，读取需要约"),
        "{info}"
    );
    assert!(
        info.ends_with("超过256 MiB（设置 upload_max_unpacked_mib 的八分之一），请拆分文件后上传"),
        "{info}"
    );
    // Nothing changed, and the server goes on reading files.
    assert_eq!(tasks(&app, &s), tasks_before);
    assert_eq!(asset_total(&app, &s), assets_before);

    // A shared-strings table of the same file's ordinary size is read as always.
    let strings = empty_shared_strings(1000);
    let file = xlsx_with(&sheet(&[GOOD]), Some(&strings));
    let task = import_file(&app, &s, "?format=xlsx", &file);
    assert_eq!(task["number_succeed"], 1, "{task}");
}

#[test]
fn item_4_an_upload_leaves_no_file_in_the_data_folder() {
    let app = App::new();
    let s = app.demo("liusn");
    let folder = || {
        let mut names: Vec<String> = std::fs::read_dir(app.dir.path())
            .expect("data folder")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    let before = folder();
    let mut csv = vec![header_row()];
    csv.extend((0..50).map(|_| cells(GOOD)));
    let csv = csv_bytes(&csv, true);
    // Stored: raw and in a form.
    let task = import_file(&app, &s, "?format=csv", &csv);
    assert_eq!(task["number_succeed"], 50, "{task}");
    let form = upload_form(&app, &s, "", &[("file", Some("assets.csv"), &csv)]);
    let task = app.wait_task(&s, task_id(form.ok()));
    assert_eq!(task["number_succeed"], 50, "{task}");
    // The same named file again: its content was hashed as it arrived.
    let again = upload_form(
        &app,
        &s,
        "?check_duplicate=true",
        &[("file", Some("assets.csv"), &csv)],
    );
    assert_eq!(again.status.code, 409, "{:?}", again.body);
    assert_eq!(again.code(), 16, "{:?}", again.body);
    // Refused: unreadable, and a bomb.
    refused(&upload(&app, &s, "?format=csv", b"\n\n"), "文件没有表头行");
    let bomb = xlsx_with(&sheet(&[GOOD]), Some(&empty_shared_strings(8_000_000)));
    let answer = upload(&app, &s, "?format=xlsx", &bomb);
    assert_eq!(answer.code(), -2, "{:?}", answer.body);
    assert_eq!(folder(), before);
}

#[test]
fn item_4_max_parsing_uploads_is_checked_at_start() {
    for value in [0, 65] {
        let figment = assetport::figment()
            .merge(("database", "/nonexistent/never-opened.sqlite3"))
            .merge(("max_parsing_uploads", Value::from(value)));
        let Err(error) = assetport::build(figment) else {
            panic!("max_parsing_uploads = {value} was taken");
        };
        assert!(error.contains("max_parsing_uploads"), "{error}");
    }
    for value in [1, 64] {
        let app = App::with(&[("max_parsing_uploads", json!(value))]);
        let s = app.demo("liusn");
        let mut csv = vec![header_row()];
        csv.push(cells(GOOD));
        let task = import_file(&app, &s, "?format=csv", &csv_bytes(&csv, false));
        assert_eq!(task["number_succeed"], 1, "{task}");
    }
}

#[test]
fn item_4_uploads_beyond_max_parsing_uploads_wait_their_turn() {
    let dir = tempfile::tempdir().expect("temp dir");
    let database = dir.path().join("db.sqlite3");
    let server = Server::start(&database, &[("ROCKET_MAX_PARSING_UPLOADS", "1")]);
    let session = server.login("liusn", common::DEMO_PASSWORD);
    // XLSX files wait for a place (a CSV is read as a stream and does not): four at once, one
    // place, all stored in turn; and a CSV sent meanwhile as well.
    let lines = vec![GOOD; 20_000];
    let xlsx = std::sync::Arc::new(xlsx_with(&sheet(&lines), None));
    let mut csv = vec![header_row()];
    csv.extend((0..20_000).map(|_| cells(GOOD)));
    let csv = std::sync::Arc::new(csv_bytes(&csv, true));
    let server = std::sync::Arc::new(server);
    let uploads: Vec<_> = (0..5)
        .map(|i| {
            let (server, session) = (server.clone(), session.clone());
            let (format, file) = if i == 4 {
                ("csv", csv.clone())
            } else {
                ("xlsx", xlsx.clone())
            };
            std::thread::spawn(move || {
                let path = format!("/api/asset_file/{session}?format={format}");
                let (status, body) = server.request_bytes("POST", &path, Some(&file));
                let body: Value = serde_json::from_slice(&body).expect("JSON");
                assert_eq!(status, 200, "{body}");
                body["data"]["id"].as_i64().expect("task id")
            })
        })
        .collect();
    for upload in uploads {
        let id = upload.join().expect("upload");
        let task = server.wait_task(&session, id);
        assert_eq!(task["number_succeed"], 20_000, "{task}");
    }
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .expect("data folder")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with("db.sqlite3") && !n.ends_with(".log"))
        .collect();
    assert!(names.is_empty(), "{names:?}");
}
