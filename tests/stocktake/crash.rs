//! A stocktake of a million assets on the real binary: its expected list frozen by a task, and
//! then a count sheet of as many lines counted by a task, each killed with SIGKILL part way:
//! after a restart every asset is listed exactly once, and every line counted exactly once
//! (each line counted, no row both counted and failed, the counters adding up).

use crate::common::server::Server;
use crate::common::DEMO_PASSWORD;
use serde_json::{json, Value};

/// Lines of the sheet, as the issue asks (every tenth found elsewhere).
const LINES: usize = 1_000_000;

fn count(database: &std::path::Path, sql: &str) -> i64 {
    let conn = rusqlite::Connection::open(database).unwrap();
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

#[test]
fn a_large_stocktake_killed_while_listed_and_while_counted_lists_and_counts_each_line_once() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("db.sqlite3");
    let env = [("ROCKET_TASK_BATCH_ROWS", "2000")];
    let server = Server::start(&database, &env);
    let liusn = server.login("liusn", DEMO_PASSWORD);
    // The body as text, a row at a time (a million values would take a gigabyte or two).
    let mut body = String::from("[");
    for i in 0..LINES {
        if i > 0 {
            body.push(',');
        }
        body.push_str(&crate::common::row(&format!("盘点资产{i:06}"), "liusn", "CST").to_string());
    }
    body.push(']');
    let import = server.import(&liusn, &body);
    drop(body);
    assert_eq!(server.wait_task(&liusn, import)["number_succeed"], LINES);
    let (status, body) = server.post(
        &format!("/api/stocktake/{liusn}"),
        &json!({"name": "大盘点", "filter": {"department": "CST"}}).to_string(),
    );
    assert_eq!(status, 200, "{body}");
    let id = body["data"]["id"].as_i64().unwrap();
    // Over task_batch_rows assets: 准备中 while a task lists them a batch at a time.
    let freeze = body["data"]["task"].as_i64().expect("a freeze task");
    server.wait_part_done(&liusn, freeze);
    server.kill();
    let listed = count(
        &database,
        &format!("SELECT count(*) FROM stocktake_line WHERE stocktake_id = {id}"),
    );
    assert!(listed > 0 && listed < LINES as i64, "{listed}");
    assert_eq!(
        count(
            &database,
            &format!("SELECT state FROM stocktake WHERE id = {id}")
        ),
        4,
        "准备中 until the last batch"
    );
    let server = Server::start(&database, &env);
    let liusn = server.login("liusn", DEMO_PASSWORD);
    let done = server.wait_task(&liusn, freeze);
    assert_eq!(
        (
            &done["kind"],
            &done["number_succeed"],
            &done["number_failed"]
        ),
        (&json!("freeze"), &json!(LINES), &json!(0)),
        "{done}"
    );
    // Each asset listed once (the primary key would refuse a second line of one asset, and
    // the task would have failed on it).
    assert_eq!(
        count(
            &database,
            &format!(
                "SELECT count(DISTINCT asset_id) FROM stocktake_line WHERE stocktake_id = {id}"
            )
        ),
        LINES as i64
    );
    let (_, d) = server.get(&format!("/api/stocktake/{liusn}/{id}"));
    assert_eq!(
        (
            &d["data"]["state_label"],
            &d["data"]["expected"],
            &d["data"]["freeze_task"]
        ),
        (&json!("进行中"), &json!(LINES), &json!(freeze)),
        "{d}"
    );

    let conn = rusqlite::Connection::open(&database).unwrap();
    let mut stmt = conn.prepare("SELECT id FROM asset ORDER BY id").unwrap();
    let ids: Vec<i64> = stmt
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut csv = String::from("资产编号,实盘位置\n");
    for (i, asset) in ids.iter().enumerate() {
        let position = if i % 10 == 0 { "二楼" } else { "" };
        csv.push_str(&format!("{asset},{position}\n"));
    }
    let (status, answer) = server.request_bytes(
        "POST",
        &format!("/api/stocktake_file/{liusn}/{id}?format=csv"),
        Some(csv.as_bytes()),
    );
    let answer: Value = serde_json::from_slice(&answer).unwrap();
    assert_eq!(status, 200, "{answer}");
    let task = answer["data"]["id"].as_i64().unwrap();

    server.wait_part_done(&liusn, task);
    server.kill();
    let counted = count(
        &database,
        &format!("SELECT count(*) FROM stocktake_line WHERE stocktake_id = {id} AND state != 0"),
    );
    assert!(counted > 0 && counted < LINES as i64, "{counted}");

    let server = Server::start(&database, &env);
    let liusn = server.login("liusn", DEMO_PASSWORD);
    let done = server.wait_task(&liusn, task);
    assert_eq!(
        (
            &done["number_need"],
            &done["number_succeed"],
            &done["number_failed"]
        ),
        (&json!(LINES), &json!(LINES), &json!(0)),
        "every row counted, none twice (a second count would be a failed row 已盘过): {done}"
    );
    let (_, d) = server.get(&format!("/api/stocktake/{liusn}/{id}"));
    assert_eq!(
        d["data"]["by_state"],
        json!({"uncounted": 0, "matched": LINES - LINES / 10, "misplaced": LINES / 10,
               "count_differs": 0, "holder_differs": 0, "missing": 0}),
        "{d}"
    );
    assert_eq!(d["data"]["extras"], 0);
    server.kill();
}
