//! The approval task of a large request on the real binary, killed with SIGKILL part way: after
//! a restart it resumes where its last committed batch left it, and every line is executed
//! exactly once (one 调拨 entry per moved asset, one part split off per partial line, the kept
//! counts right). Then a second request's approval is cancelled through the API: what ran
//! stays, the rest ends 已取消, and the counters add up.

use crate::common::server::Server;
use crate::common::DEMO_PASSWORD;
use serde_json::{json, Value};
use std::path::Path;

const LINES: usize = 20_000;
const CANCELLED_LINES: usize = 10_000;
const ENV: [(&str, &str); 1] = [("ROCKET_TASK_BATCH_ROWS", "100")];

fn count(database: &Path, sql: &str) -> i64 {
    let conn = rusqlite::Connection::open(database).unwrap();
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

fn ids(database: &Path, prefix: &str) -> Vec<i64> {
    let conn = rusqlite::Connection::open(database).unwrap();
    let mut stmt = conn
        .prepare("SELECT id FROM asset WHERE name LIKE ?1 || '%' ORDER BY name")
        .unwrap();
    let rows = stmt.query_map([prefix], |r| r.get(0)).unwrap();
    rows.collect::<rusqlite::Result<_>>().unwrap()
}

/// Imports `n` assets of liusn in CST, ten each, named `prefix`00000….
fn import(server: &Server, session: &str, prefix: &str, n: usize) {
    let rows: Vec<Value> = (0..n)
        .map(|i| crate::common::row(&format!("{prefix}{i:05}"), "liusn", "CST"))
        .collect();
    let id = server.import(session, &Value::from(rows).to_string());
    let done = server.wait_task(session, id);
    assert_eq!(done["number_succeed"], n, "{done}");
}

/// A 调拨单 to 软件组 as a CSV request file (every fifth line asks 4 of the 10); its id.
fn file_request(server: &Server, session: &str, ids: &[i64]) -> i64 {
    let mut csv = String::from("资产编号,数量\n");
    for (i, id) in ids.iter().enumerate() {
        let count = if i % 5 == 0 { "4" } else { "" };
        csv.push_str(&format!("{id},{count}\n"));
    }
    let path = format!(
        "/api/request_file/{session}?kind=allocate&target_department=%E8%BD%AF%E4%BB%B6%E7%BB%84&format=csv"
    );
    let (status, bytes) = server.request_bytes("POST", &path, Some(csv.as_bytes()));
    let body: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(status, 200, "{body}");
    body["data"]["id"].as_i64().expect("request id")
}

fn approve(server: &Server, session: &str, request: i64) -> i64 {
    let (status, body) = server.post(&format!("/api/requests/{session}/{request}/approve"), "{}");
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["state_label"], "执行中", "{body}");
    body["data"]["task"].as_i64().expect("an approval task")
}

/// Every executed line of `request` moved its asset exactly once, and only those.
fn executed_once(database: &Path, request: i64, executed: i64) {
    let entries = |condition: &str| {
        count(
            database,
            &format!(
                "SELECT count(*) FROM asset_history WHERE request_id = {request} AND {condition}"
            ),
        )
    };
    // 15 调拨, 16 拆分, 17 拆分新建.
    assert_eq!(entries("kind = 15"), executed, "one 调拨 entry per line");
    assert_eq!(
        count(
            database,
            &format!(
                "SELECT count(DISTINCT asset_id) FROM asset_history
                 WHERE request_id = {request} AND kind = 15"
            )
        ),
        executed,
        "no asset moved twice"
    );
    let split = count(
        database,
        &format!(
            "SELECT count(*) FROM request_line
             WHERE request_id = {request} AND state = 1 AND split_id IS NOT NULL"
        ),
    );
    assert_eq!(entries("kind = 16"), split, "one split per partial line");
    assert_eq!(entries("kind = 17"), split, "one part per partial line");
    assert_eq!(
        count(
            database,
            &format!(
                "SELECT count(*) FROM request_line WHERE request_id = {request} AND state = 1"
            )
        ),
        executed
    );
}

/// The department's kept asset count, and its real one.
fn kept_and_real(database: &Path, department: &str) -> (i64, i64) {
    (
        count(
            database,
            &format!("SELECT asset_count FROM department WHERE name = '{department}'"),
        ),
        count(
            database,
            &format!(
                "SELECT count(*) FROM asset a JOIN department d ON d.id = a.department_id
                 WHERE d.name = '{department}'"
            ),
        ),
    )
}

#[test]
fn approval_task_survives_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("db.sqlite3");
    let server = Server::start(&database, &ENV);
    let admin = server.login("sysadmin", DEMO_PASSWORD);
    let (status, body) = server.post(
        &format!("/api/user/{admin}"),
        &json!({"name": "zhaoliu", "password": "secret5", "entity": "示例企业",
                "department": "软件组", "character": 2, "lock": false})
        .to_string(),
    );
    assert_eq!(status, 200, "{body}");
    import(&server, &admin, "甲", LINES);
    import(&server, &admin, "乙", CANCELLED_LINES);
    let liusn = server.login("liusn", DEMO_PASSWORD);
    let request = file_request(&server, &liusn, &ids(&database, "甲"));
    let task = approve(&server, &admin, request);

    // Killed once some batches are committed, and not all.
    server.wait_part_done(&admin, task);
    server.kill();
    let done_when_killed = count(
        &database,
        &format!("SELECT count(*) FROM request_line WHERE request_id = {request} AND state = 1"),
    );
    assert!(
        done_when_killed > 0 && done_when_killed < LINES as i64,
        "{done_when_killed}"
    );
    executed_once(&database, request, done_when_killed);

    let server = Server::start(&database, &ENV);
    let admin = server.login("sysadmin", DEMO_PASSWORD);
    let done = server.wait_task(&admin, task);
    assert_eq!(
        (
            &done["number_need"],
            &done["number_succeed"],
            &done["number_failed"],
            &done["finish"]
        ),
        (&json!(LINES), &json!(LINES), &json!(0), &json!(1)),
        "{done}"
    );
    let (_, detail) = server.get(&format!("/api/requests/{admin}/{request}?size=1"));
    assert_eq!(detail["data"]["state_label"], "已通过", "{detail}");
    executed_once(&database, request, LINES as i64);
    let parts = (LINES / 5) as i64;
    assert_eq!(
        kept_and_real(&database, "软件组"),
        (LINES as i64, LINES as i64)
    );
    let cst = (
        parts + CANCELLED_LINES as i64,
        parts + CANCELLED_LINES as i64,
    );
    assert_eq!(kept_and_real(&database, "CST"), cst);

    // A second approval, cancelled through the API while it runs.
    let liusn = server.login("liusn", DEMO_PASSWORD);
    let second = file_request(&server, &liusn, &ids(&database, "乙"));
    let task = approve(&server, &admin, second);
    let (status, body) = server.post(&format!("/api/async_task/{admin}/{task}/cancel"), "{}");
    assert_eq!(status, 200, "cancelled while it ran: {body}");
    let done = server.wait_task(&admin, task);
    let (succeeded, failed) = (
        done["number_succeed"].as_i64().unwrap(),
        done["number_failed"].as_i64().unwrap(),
    );
    assert_eq!(succeeded + failed, CANCELLED_LINES as i64, "{done}");
    assert!(failed > 0, "the cancel left lines unexecuted: {done}");
    assert_eq!(done["cancelled"], true);
    executed_once(&database, second, succeeded);
    assert_eq!(
        count(
            &database,
            &format!(
                "SELECT count(*) FROM request_line
                 WHERE request_id = {second} AND state = 2 AND invalid = '已取消'"
            )
        ),
        failed
    );
    let (_, detail) = server.get(&format!("/api/requests/{admin}/{second}?size=1"));
    let expected = if succeeded > 0 {
        "已通过"
    } else {
        "已失效"
    };
    assert_eq!(detail["data"]["state_label"], expected, "{detail}");
    let (kept, real) = kept_and_real(&database, "CST");
    assert_eq!(kept, real);
    server.kill();
}
