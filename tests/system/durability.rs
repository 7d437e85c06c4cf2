//! What users rely on when tasks run: a SIGKILL at any moment loses and duplicates nothing, and
//! the API keeps answering while a large import runs.

use crate::common;

use common::server::Server;
use common::{App, DEMO_PASSWORD};
use serde_json::json;
use std::time::{Duration, Instant};

const ROWS: usize = 100_000;

/// ROWS rows with unique names; every 7th breaks a rule (count 0).
fn rows() -> (String, usize) {
    common::rows_every_seventh_invalid("资产", ROWS)
}

#[test]
fn sigkill_mid_import_loses_and_duplicates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("db.sqlite3");
    // Small batches: many checkpoints, so the kill lands between some of them.
    let env = [("ROCKET_TASK_BATCH_ROWS", "500")];
    let server = Server::start(&database, &env);
    let session = server.login("liusn", DEMO_PASSWORD);
    let (body, invalid) = rows();
    let id = server.import(&session, &body);

    // Kill once the task is part-way through.
    let deadline = Instant::now() + Duration::from_secs(120);
    let done_at_kill = loop {
        let t = server.task(&session, id);
        let done = t["number_done"].as_i64().unwrap();
        assert!(
            t["finish"] == 0,
            "the task finished before it could be interrupted: {t}"
        );
        if done > 0 {
            server.kill();
            break done;
        }
        assert!(Instant::now() < deadline, "the task never started: {t}");
        std::thread::sleep(Duration::from_millis(2));
    };
    assert!(done_at_kill > 0 && done_at_kill < ROWS as i64);

    // Same database, new process: the task resumes from its checkpoint.
    let server = Server::start(&database, &env);
    let session = server.login("liusn", DEMO_PASSWORD);
    let finished = server.wait_task(&session, id);
    let need = finished["number_need"].as_i64().unwrap();
    let succeed = finished["number_succeed"].as_i64().unwrap();
    assert_eq!(need, ROWS as i64);
    assert_eq!(finished["finish"], 2);
    assert_eq!(succeed, (ROWS - invalid) as i64);

    let (_, failed) = server.get(&format!("/failed_task/{session}/{id}"));
    let failed = failed["data"].as_array().unwrap().clone();
    assert_eq!(failed.len(), invalid);
    assert_eq!(succeed + failed.len() as i64, need);
    for row in &failed {
        assert_eq!(row["count"], 0, "{row}");
        assert_eq!(row["message"], "资产数量不可小于1");
    }

    // Every asset once: as many as succeeded rows, no name twice, no failed row imported.
    let names = server.asset_names_once(&session, succeed);
    for row in &failed {
        assert!(!names.contains(row["name"].as_str().unwrap()));
    }
    common::assert_history_matches_changes(&database);
}

#[test]
fn the_api_keeps_answering_during_a_large_import() {
    let app = App::new();
    let s = app.demo("liusn");
    let (body, invalid) = rows();
    let id = app.post_raw(&format!("/api/asset/{s}"), body).ok()["id"]
        .as_i64()
        .unwrap();
    let mut answered_while_running = 0;
    loop {
        let list = app.get(&format!("/api/async_task/{s}"));
        let tasks = list.ok().as_array().unwrap().clone();
        let search = app.post(
            &format!("/api/search_assets/{s}"),
            &json!({"page": 1, "size": 10, "name": "资产-1"}),
        );
        search.ok();
        assert!(search.body["total"].as_i64().is_some());
        let running = tasks.iter().any(|t| t["id"] == id && t["finish"] == 0);
        if !running {
            break;
        }
        answered_while_running += 1;
    }
    assert!(
        answered_while_running > 0,
        "no request was made while the import ran"
    );
    let task = app.wait_task(&s, id);
    assert_eq!(task["number_succeed"], (ROWS - invalid) as i64);
}
