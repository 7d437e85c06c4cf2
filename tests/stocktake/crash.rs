//! A count sheet of many lines counted as a task on the real binary, killed with SIGKILL part
//! way: after a restart every line is counted exactly once (each line counted, no row both
//! counted and failed, the counters adding up).

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
fn a_count_sheet_task_killed_part_way_counts_every_line_once() {
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
