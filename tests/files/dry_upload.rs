//! A dry run of an uploaded file is checked as its rows are stored, on the core the reading
//! leaves: the task is done when the upload is answered, its outcomes as a worker would have
//! found them; a file found unreadable half-way leaves nothing of its checks behind.

use crate::common;
use crate::filekit::*;
use common::App;
use serde_json::{json, Value};

/// A CSV of the template's columns with these rows (cells in the template's order).
fn csv(rows: &[&str]) -> Vec<u8> {
    let mut text = TEMPLATE_HEADERS.join(",");
    for row in rows {
        text.push('\n');
        text.push_str(row);
    }
    text.push('\n');
    text.into_bytes()
}

const SERVER: &str = "服务器,条目型,100,1,5,条目型资产,,,liusn,CST,,";
const CHAIR: &str = "椅子,数量型,10,3,5,数量型资产,,,liusn,CST,,";
/// Row 3 of the file: nobody is called 无此人.
const NOBODY: &str = "桌子,数量型,10,3,5,数量型资产,,,无此人,CST,,";
/// A child of the item asset the first row would create, two batches later.
const CARD: &str = "网卡,条目型,5,1,5,条目型资产,,,liusn,CST,服务器,";

fn counters(task: &Value) -> [i64; 5] {
    [
        "number_need",
        "number_succeed",
        "number_failed",
        "number_created",
        "finish",
    ]
    .map(|k| task[k].as_i64().unwrap_or(-1))
}

#[test]
fn a_dry_run_upload_is_done_when_answered_with_what_a_worker_would_have_found() {
    // Batches of 2 rows: the parent in the first, the bad row in the second, the child in the
    // third.
    let app = App::with(&[("task_batch_rows", json!(2))]);
    let s = app.demo("liusn");
    let before = app.table_counts();
    let file = csv(&[SERVER, CHAIR, NOBODY, CHAIR, CARD]);
    let id = task_id(upload(&app, &s, "?dry_run=true", &file).ok());
    // Not waited for: the answer came once every row was checked.
    let task = app.get(&format!("/api/async_task/{s}/{id}")).ok().clone();
    assert_eq!(counters(&task), [5, 4, 1, 4, 2], "{task}");
    assert_eq!(task["dry_run"], json!(true), "{task}");
    let failed = failed(&app, &s, id);
    assert_eq!(failed.len(), 1, "{failed:?}");
    let message = failed[0]["message"].as_str().unwrap_or_default();
    assert!(message.starts_with("第4行："), "{message}");
    assert!(message.contains("无此人"), "{message}");
    // The preview names what it would create, in file order.
    let preview = task["preview"].as_array().cloned().unwrap_or_default();
    let names: Vec<&str> = preview.iter().filter_map(|p| p["name"].as_str()).collect();
    assert_eq!(names, ["服务器", "椅子", "椅子", "网卡"], "{task}");
    // Nothing was written; what stood in for the item assets is gone.
    let conn = rusqlite::Connection::open(app.db_path()).unwrap();
    let count = |sql: &str| conn.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap();
    assert_eq!(count("SELECT count(*) FROM task_dry_item"), 0);
    let assets = |counts: &[(String, i64)]| counts.iter().find(|(t, _)| t == "asset").cloned();
    assert_eq!(assets(&app.table_counts()), assets(&before));

    // Confirmed, the same rows run for real on a worker.
    let confirmed = app.post(&format!("/api/async_task/{s}/{id}/confirm"), &json!({}));
    assert_eq!(confirmed.code(), 0, "{}", confirmed.body);
    let done = app.wait_task(&s, id);
    assert_eq!(counters(&done), [5, 4, 1, 4, 2], "{done}");
    let card = asset(&app, &s, "网卡");
    assert_eq!(card["parentName"], "服务器", "{card}");
}

#[test]
fn a_dry_run_upload_unreadable_half_way_leaves_none_of_its_checks() {
    let app = App::with(&[("task_batch_rows", json!(2))]);
    let s = app.demo("liusn");
    let before = app.digest();
    // Two batches are checked (a failed row, an item asset it would create) before line 7 is
    // found not to be UTF-8.
    let mut file = csv(&[SERVER, NOBODY, CHAIR, CHAIR, CHAIR]);
    file.extend_from_slice(b"\xff\xfe,\xce\n");
    let answer = upload(&app, &s, "?format=csv&dry_run=true", &file);
    assert_eq!(
        (answer.status.code, answer.code()),
        (400, -2),
        "{}",
        answer.body
    );
    assert!(
        answer.info().starts_with("文件不是UTF-8编码"),
        "{}",
        answer.info()
    );
    assert_eq!(app.digest(), before, "no task, no failed row, no stand-in");
}
