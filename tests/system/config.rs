//! Configuration as an administrator meets it: the binary keeps its documented defaults when
//! started from a folder without `Rocket.toml`, reads a `Rocket.toml` in its working folder, and
//! refuses an invalid setting at start with a message instead of running half-configured.

use crate::common;

use common::server::Server;
use common::DEMO_PASSWORD;
use serde_json::Value;

/// An import body well over Rocket's own 1 MiB JSON limit.
fn big_import() -> String {
    let rows: Vec<Value> = (0..6000)
        .map(|i| common::row(&format!("配置-{i}"), "liusn", "CST"))
        .collect();
    let body = Value::Array(rows).to_string();
    assert!(body.len() > 1 << 20, "{} bytes", body.len());
    body
}

#[test]
fn started_outside_the_repository_it_keeps_its_defaults() {
    let cwd = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let database = data.path().join("db.sqlite3");
    let server = Server::start_in(cwd.path(), &database, &[]);
    let session = server.login("liusn", DEMO_PASSWORD);
    let (status, answer) = server.post(&format!("/api/asset/{session}"), &big_import());
    assert_eq!(status, 200, "{answer}");
    let task = server.wait_task(&session, answer["data"]["id"].as_i64().unwrap());
    assert_eq!(task["finish"], 1, "{task}");
    assert_eq!(task["number_succeed"], 6000);
    // The log file sits beside the database, not in the working folder.
    assert!(data.path().join("assetport.log").exists());
    assert!(!cwd.path().join("assetport.log").exists());
}

#[test]
fn a_rocket_toml_in_the_working_folder_is_read() {
    let cwd = tempfile::tempdir().unwrap();
    std::fs::write(
        cwd.path().join("Rocket.toml"),
        "[default]\nlimits = { bulk = \"64 KiB\" }\n",
    )
    .unwrap();
    let database = cwd.path().join("db.sqlite3");
    let server = Server::start_in(cwd.path(), &database, &[]);
    let session = server.login("liusn", DEMO_PASSWORD);
    // Refused before its body is read, the answer still reaches a client that is still
    // sending (the server lingers instead of resetting the connection): every time.
    let big = big_import();
    for _ in 0..20 {
        let (status, answer) = server.post(&format!("/api/asset/{session}"), &big);
        assert_eq!(status, 413, "{answer}");
        assert_eq!(answer["code"], -2);
        assert_eq!(answer["info"], "请求体超过大小限制");
    }
    // A small import still goes through.
    let small = Value::Array(vec![common::row("小", "liusn", "CST")]).to_string();
    let (status, answer) = server.post(&format!("/api/asset/{session}"), &small);
    assert_eq!(status, 200, "{answer}");
}

#[test]
fn an_invalid_setting_stops_the_start_with_its_reason() {
    let dir = tempfile::tempdir().unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_assetport"))
        .current_dir(dir.path())
        .env("ROCKET_DATABASE", dir.path().join("db.sqlite3"))
        .env("ROCKET_PORT", common::server::free_port().to_string())
        .env("ROCKET_TASK_WORKERS", "0")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("task_workers must be at least 1"),
        "{stderr}"
    );
}
