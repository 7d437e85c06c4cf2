//! SPEC §8 beyond SIGKILL: a database error in one row fails that row only, a task that cannot
//! run fails cleanly while its worker carries on, and a graceful shutdown (SIGTERM) finishes the
//! current batch and loses nothing.

use crate::common;

use common::server::Server;
use common::{row, App, DEMO_PASSWORD};
use rusqlite::{Connection, OpenFlags};
use serde_json::{json, Value};
use std::collections::HashSet;
use std::process::{Command, ExitStatus};
use std::time::{Duration, Instant};

const DATABASE_ERROR: &str = "数据库错误，该行未能导入";
const TASK_ERROR: &str = "任务执行出错，该行未处理";

fn liusn_row(name: &str) -> Value {
    row(name, "liusn", "CST")
}

fn failed_rows(server: &Server, session: &str, id: i64) -> Vec<Value> {
    let (status, body) = server.get(&format!("/failed_task/{session}/{id}"));
    assert_eq!(status, 200, "{body}");
    body["data"].as_array().expect("failed rows").clone()
}

fn import(server: &Server, session: &str, body: &str) -> i64 {
    let (status, answer) = server.post(&format!("/api/asset/{session}"), body);
    assert_eq!(status, 200, "{answer}");
    answer["data"]["id"].as_i64().expect("task id")
}

/// Names of every asset whose name contains `filter`, as the search pages them to a user.
fn asset_names(server: &Server, session: &str, filter: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut page = 1;
    loop {
        let (status, body) = server.post(
            &format!("/api/search_assets/{session}"),
            &json!({"page": page, "size": 1000, "name": filter}).to_string(),
        );
        assert_eq!(status, 200, "{body}");
        for asset in body["data"].as_array().expect("assets") {
            names.push(asset["name"].as_str().expect("name").to_owned());
        }
        if page >= body["pages"].as_i64().unwrap_or(0) {
            return names;
        }
        page += 1;
    }
}

/// SIGTERM, then waits for the process to exit by itself; returns its status and stderr.
fn terminate(mut server: Server) -> (ExitStatus, String) {
    // An answered request means Rocket is serving, so its SIGTERM handler is installed (the port
    // opens before it is).
    let (status, _) = server.request_bytes("GET", "/", None);
    assert_eq!(status, 200);
    let pid = server.child.id().to_string();
    let sent = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("run kill");
    assert!(sent.success(), "kill -TERM {pid} failed");
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = server.child.try_wait().expect("wait") {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "assetport did not exit after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let log = std::fs::read_to_string(&server.log).unwrap_or_default();
    (status, log)
}

#[test]
fn a_database_error_in_one_row_fails_only_that_row() {
    // One worker: the import after the error proves that very worker is still alive.
    let app = App::with(&[("task_workers", json!(1))]);
    let s = app.demo("liusn");
    let conn = Connection::open(app.db_path()).unwrap();
    conn.execute_batch(
        "CREATE TRIGGER boom BEFORE INSERT ON asset WHEN NEW.name = 'boom'
         BEGIN SELECT RAISE(ABORT, 'boom'); END;",
    )
    .unwrap();

    let mut boom = liusn_row("boom");
    boom["price"] = json!("12.50");
    boom["position"] = json!("三号仓库");
    boom["备注"] = json!("来自Excel");
    let names = ["甲桌", "乙桌", "丙桌", "丁桌"];
    let submitted = json!([
        liusn_row(names[0]),
        liusn_row(names[1]),
        boom,
        liusn_row(names[2]),
        liusn_row(names[3])
    ]);
    let task = app.import(&s, &submitted);
    let id = task["id"].as_i64().unwrap();
    assert_eq!(task["finish"], 2, "{task}");
    assert_eq!(task["number_need"], 5, "{task}");
    assert_eq!(task["number_succeed"], 4, "{task}");
    assert_eq!(task["number_failed"], 1, "{task}");
    assert_eq!(task["number_done"], 5, "{task}");

    // Exactly the row that hit the error, as it was sent, with the message.
    let failed = app.get(&format!("/failed_task/{s}/{id}")).ok().clone();
    let mut expected = boom.clone();
    expected["message"] = json!(DATABASE_ERROR);
    assert_eq!(failed, json!([expected]));

    // The rows around it were created, each once; the failed one was not.
    let created: Vec<String> = app
        .assets(&s)
        .iter()
        .map(|a| a["name"].as_str().unwrap().to_owned())
        .collect();
    for name in names {
        let times = created.iter().filter(|n| *n == name).count();
        assert_eq!(times, 1, "{name} created {times} times");
    }
    assert!(!created.iter().any(|n| n == "boom"));

    // The worker lives on.
    let later = app.import(&s, &json!([liusn_row("戊桌")]));
    assert_eq!(later["finish"], 1, "{later}");
    assert_eq!(later["number_succeed"], 1, "{later}");
}

/// Stores an unfinished import task of `chunks` (first seq, row count, rows text) directly.
fn store_task(conn: &Connection, creator: i64, entity: i64, chunks: &[(i64, i64, &str)]) -> i64 {
    let rows: i64 = chunks.iter().map(|c| c.1).sum();
    conn.execute(
        "INSERT INTO task (entity_id, creator_id, create_time, port_type, number_need, end_seq)
         VALUES (?1, ?2, '2024-01-01 00:00:00', 1, ?3, ?3)",
        rusqlite::params![entity, creator, rows],
    )
    .unwrap();
    let id = conn.last_insert_rowid();
    for (first_seq, row_count, text) in chunks {
        conn.execute(
            "INSERT INTO task_chunk (task_id, first_seq, row_count, rows) VALUES (?1, ?2, ?3, ?4)",
            rusqlite::params![id, first_seq, row_count, text],
        )
        .unwrap();
    }
    id
}

#[test]
fn a_task_that_cannot_run_fails_cleanly_and_the_worker_carries_on() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("db.sqlite3");
    let env = [("ROCKET_TASK_WORKERS", "1")];
    let (status, log) = terminate(Server::start(&database, &env));
    assert!(status.success(), "{status}: {log}");

    // Two unfinished tasks whose stored rows are not JSON: one entirely, one after a good batch.
    let conn = Connection::open(&database).unwrap();
    let (creator, entity): (i64, i64) = conn
        .query_row(
            "SELECT id, entity_id FROM user WHERE name = 'liusn'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let unreadable = r#"[{"name": "半截"#;
    let broken = store_task(&conn, creator, entity, &[(0, 3, unreadable)]);
    let good = json!([liusn_row("好行-1"), liusn_row("好行-2")]).to_string();
    let half = store_task(
        &conn,
        creator,
        entity,
        &[(0, 2, good.as_str()), (2, 3, unreadable)],
    );
    // And one whose last rows are missing altogether: 5 rows, of which only 2 are stored.
    let stored = json!([liusn_row("缺块-1"), liusn_row("缺块-2")]).to_string();
    let gap = store_task(&conn, creator, entity, &[(0, 2, stored.as_str())]);
    conn.execute(
        "UPDATE task SET number_need = 5, end_seq = 5 WHERE id = ?1",
        [gap],
    )
    .unwrap();
    drop(conn);

    let server = Server::start(&database, &env);
    let s = server.login("liusn", DEMO_PASSWORD);
    for (id, need, succeed) in [(broken, 3, 0), (half, 5, 2), (gap, 5, 2)] {
        let t = server.wait_task(&s, id);
        assert_eq!(t["finish"], 2, "{t}");
        assert_eq!(t["number_need"], need, "{t}");
        assert_eq!(t["number_succeed"], succeed, "{t}");
        assert_eq!(t["number_failed"], need - succeed, "{t}");
        assert_eq!(t["number_done"], need, "{t}");
        let failed = failed_rows(&server, &s, id);
        assert_eq!(failed.len() as i64, need - succeed, "{failed:?}");
        for f in &failed {
            assert_eq!(f["message"], TASK_ERROR, "{f}");
        }
    }
    // The good batch ran once, through every retry of the bad one.
    let mut names = asset_names(&server, &s, "好行-");
    names.sort();
    assert_eq!(names, ["好行-1", "好行-2"]);

    // The only worker carries on with a normal import, and the server still answers.
    let body = json!([liusn_row("之后-1"), liusn_row("之后-2")]).to_string();
    let id = import(&server, &s, &body);
    let t = server.wait_task(&s, id);
    assert_eq!(t["finish"], 1, "{t}");
    assert_eq!(t["number_succeed"], 2, "{t}");
    let (status, log) = terminate(server);
    assert!(status.success(), "{status}: {log}");
}

const ROWS: i64 = 100_000;
const BATCH_ROWS: i64 = 500;

#[test]
fn graceful_shutdown_finishes_the_current_batch_and_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("db.sqlite3");
    let batch = BATCH_ROWS.to_string();
    let env = [("ROCKET_TASK_BATCH_ROWS", batch.as_str())];
    let server = Server::start(&database, &env);
    let s = server.login("liusn", DEMO_PASSWORD);
    // Every 9th row breaks a rule, so failed rows count in the checkpoint too.
    let rows: Vec<Value> = (0..ROWS)
        .map(|i| {
            let mut r = liusn_row(&format!("关停-{i}"));
            if i % 9 == 4 {
                r["count"] = json!(0);
            }
            r
        })
        .collect();
    let invalid = (0..ROWS).filter(|i| i % 9 == 4).count() as i64;
    let id = import(&server, &s, &Value::Array(rows).to_string());

    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let t = server.task(&s, id);
        assert_eq!(t["finish"], 0, "the task ended before the shutdown: {t}");
        if t["number_done"].as_i64().unwrap() > 0 {
            break;
        }
        assert!(Instant::now() < deadline, "the task never started: {t}");
        std::thread::sleep(Duration::from_millis(2));
    }
    let (status, log) = terminate(server);
    assert!(status.success(), "exit after SIGTERM: {status}\n{log}");
    assert!(log.contains("task workers stopped"), "{log}");

    // On disk: a checkpoint at a batch boundary, with exactly that batch's work behind it.
    let conn = Connection::open_with_flags(&database, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let (next_seq, end_seq, succeed, failed): (i64, i64, i64, i64) = conn
        .query_row(
            "SELECT next_seq, end_seq, number_succeed, number_failed FROM task WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    assert_eq!(end_seq, ROWS);
    assert!(next_seq > 0, "no batch committed");
    assert!(
        next_seq % BATCH_ROWS == 0 || next_seq == end_seq,
        "checkpoint {next_seq} is inside a batch"
    );
    assert_eq!(succeed + failed, next_seq, "a half batch was counted");
    let count = |sql: &str| -> i64 { conn.query_row(sql, [id], |r| r.get(0)).unwrap() };
    let assets: i64 = conn
        .query_row(
            "SELECT count(*) FROM asset WHERE name LIKE '关停-%'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(assets, succeed, "assets beyond the checkpoint");
    assert_eq!(
        count("SELECT count(*) FROM task_failure WHERE task_id = ?1"),
        failed
    );
    // The rows after the checkpoint are all still stored, to run at the next start.
    let pending = count("SELECT coalesce(sum(row_count), 0) FROM task_chunk WHERE task_id = ?1");
    assert_eq!(pending, end_seq - next_seq);
    drop(conn);

    // Restarted on the same database, the task resumes and accounts for every row once.
    let server = Server::start(&database, &env);
    let s = server.login("liusn", DEMO_PASSWORD);
    let t = server.wait_task(&s, id);
    assert_eq!(t["finish"], 2, "{t}");
    assert_eq!(t["number_need"], ROWS, "{t}");
    assert_eq!(t["number_succeed"], ROWS - invalid, "{t}");
    assert_eq!(t["number_failed"], invalid, "{t}");
    let failed = failed_rows(&server, &s, id);
    assert_eq!(failed.len() as i64, invalid);
    for f in &failed {
        assert_eq!(f["message"], "资产数量不可小于1", "{f}");
    }
    let names = asset_names(&server, &s, "关停-");
    assert_eq!(names.len() as i64, ROWS - invalid);
    let unique: HashSet<&String> = names.iter().collect();
    assert_eq!(unique.len(), names.len(), "an asset was created twice");
    for f in &failed {
        assert!(!unique.contains(&f["name"].as_str().unwrap().to_owned()));
    }
}
