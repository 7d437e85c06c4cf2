//! `assetport backup` while a large import runs, then `assetport restore` with the server
//! stopped: the restored register adds up and its task finishes exactly once. And the files a
//! restore or a start must refuse.

use crate::common;

use common::server::Server;
use common::DEMO_PASSWORD;
use serde_json::{json, Value};
use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

/// Rows of the import the backup lands in: a million, as in the benchmark's register. The import
/// runs long enough in the test (debug) build that the backup surely lands mid-way (the test
/// checks it); the test took about 100 s there on a shared 2-core machine.
const ROWS: usize = 1_000_000;

/// Runs `assetport WORDS...` on `database`.
fn assetport(database: &Path, words: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_assetport"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("ROCKET_DATABASE", database)
        .args(words)
        .output()
        .expect("run assetport")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// ROWS rows with unique names; every 7th breaks a rule (count 0).
fn rows() -> (String, usize) {
    common::rows_every_seventh_invalid("备份", ROWS)
}

#[test]
fn a_backup_taken_mid_import_restores_to_a_register_that_adds_up() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("db.sqlite3");
    let env = [];
    let server = Server::start(&database, &env);
    let session = server.login("liusn", DEMO_PASSWORD);
    let (body, invalid) = rows();
    let id = server.import(&session, &body);

    // Once the import is under way, a backup while the server writes.
    let deadline = Instant::now() + Duration::from_secs(120);
    while server.task(&session, id)["number_done"].as_i64().unwrap() == 0 {
        assert!(Instant::now() < deadline, "the import never started");
        std::thread::sleep(Duration::from_millis(5));
    }
    let backup = dir.path().join("mid-import.sqlite3");
    let output = assetport(&database, &["backup", backup.to_str().unwrap()]);
    assert!(output.status.success(), "{}", text(&output));
    let manifest: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("mid-import.sqlite3.manifest.json")).unwrap(),
    )
    .unwrap();
    // The copy holds the import unfinished, part-way through.
    assert_eq!(manifest["unfinished_tasks"], 1, "{manifest}");
    let copied = manifest["assets"].as_i64().unwrap();
    assert!(copied > 0 && copied < (ROWS - invalid) as i64, "{manifest}");
    assert_eq!(manifest["schema_version"], assetport::db::SCHEMA_VERSION);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&backup).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    }

    // Not under a running server.
    let output = assetport(&database, &["restore", backup.to_str().unwrap()]);
    assert!(!output.status.success());
    assert!(text(&output).contains("stop it first"), "{}", text(&output));

    // Stop the server mid-import (the live database is set aside by the restore) and restore
    // the mid-import copy.
    assert_eq!(
        server.task(&session, id)["finish"],
        0,
        "finished before the stop"
    );
    server.kill();
    let output = assetport(&database, &["restore", backup.to_str().unwrap()]);
    assert!(output.status.success(), "{}", text(&output));
    assert!(
        text(&output).contains("before-restore"),
        "{}",
        text(&output)
    );

    // Sessions have ended; the task resumes from the copy's checkpoint and finishes once.
    let server = Server::start(&database, &env);
    let (_, answer) = server.get(&format!("/api/async_task/{session}/{id}"));
    assert_ne!(
        answer["code"], 0,
        "a session outlived the restore: {answer}"
    );
    let session = server.login("liusn", DEMO_PASSWORD);
    let finished = server.wait_task(&session, id);
    let need = finished["number_need"].as_i64().unwrap();
    let succeed = finished["number_succeed"].as_i64().unwrap();
    let failed = finished["number_failed"].as_i64().unwrap();
    assert_eq!((finished["finish"].as_i64(), need), (Some(2), ROWS as i64));
    assert_eq!(succeed, (ROWS - invalid) as i64);
    assert_eq!(succeed + failed, need);
    let (_, list) = server.get(&format!("/api/async_task/{session}"));
    let listed = list["data"].as_array().unwrap();
    assert_eq!(listed.iter().filter(|t| t["id"] == id).count(), 1, "{list}");

    // Every asset once: as many as succeeded rows, no name twice.
    server.asset_names_once(&session, succeed);
    drop(server);
    common::assert_history_matches_changes(&database);
}

#[test]
fn a_newer_schema_is_refused_by_restore_and_by_a_start() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("db.sqlite3");
    drop(Server::start(&database, &[]));
    let newer = dir.path().join("newer.sqlite3");
    let output = assetport(&database, &["backup", newer.to_str().unwrap()]);
    assert!(output.status.success(), "{}", text(&output));
    let version = assetport::db::SCHEMA_VERSION + 1;
    rusqlite::Connection::open(&newer)
        .unwrap()
        .execute_batch(&format!("PRAGMA user_version = {version}"))
        .unwrap();
    std::fs::remove_file(dir.path().join("newer.sqlite3.manifest.json")).unwrap();
    let before = std::fs::read(&database).unwrap();

    let output = assetport(&database, &["restore", newer.to_str().unwrap()]);
    assert!(!output.status.success());
    let said = text(&output);
    assert!(
        said.contains(&format!("schema version {version}")),
        "{said}"
    );
    assert!(
        said.contains(&format!("version {})", assetport::db::SCHEMA_VERSION)),
        "{said}"
    );
    assert_eq!(
        std::fs::read(&database).unwrap(),
        before,
        "the refusal changed the database"
    );

    // The server does not start on it either.
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_assetport"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("ROCKET_DATABASE", &newer)
        .env("ROCKET_PORT", common::server::free_port().to_string())
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(
        text(&output).contains("newer than this assetport"),
        "{}",
        text(&output)
    );
}

#[test]
fn the_super_admin_lists_takes_and_downloads_backups() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("db.sqlite3");
    let server = Server::start(&database, &[]);
    let admin = server.login("admin", common::ADMIN_PASSWORD);
    let liusn = server.login("liusn", DEMO_PASSWORD);

    let (status, answer) = server.get(&format!("/api/backups/{admin}"));
    assert_eq!((status, &answer["data"]), (200, &json!([])), "{answer}");
    // Nobody else: not even to list.
    for (method, path) in [
        ("GET", format!("/api/backups/{liusn}")),
        ("POST", format!("/api/backups/{liusn}")),
    ] {
        let (status, answer) = server.request(method, &path, None);
        assert_eq!(
            (status, &answer["code"]),
            (403, &json!(1)),
            "{path}: {answer}"
        );
    }

    let rows = Value::Array(vec![common::row("备份的资产", "liusn", "CST")]).to_string();
    let (status, answer) = server.post(&format!("/api/asset/{liusn}"), &rows);
    assert_eq!(status, 200, "{answer}");
    server.wait_task(&liusn, answer["data"]["id"].as_i64().unwrap());
    let (status, answer) = server.post(&format!("/api/backups/{admin}"), "");
    assert_eq!(status, 200, "{answer}");
    let name = answer["data"]["name"].as_str().unwrap().to_owned();
    assert!(
        answer["data"]["manifest"]["assets"].as_i64().unwrap() > 0,
        "{answer}"
    );
    let (_, list) = server.get(&format!("/api/backups/{admin}"));
    let listed = list["data"].as_array().unwrap();
    assert_eq!(listed.len(), 1, "{list}");
    assert_eq!(listed[0]["name"], name.as_str());
    let file = dir.path().join("backups").join(&name);
    assert_eq!(listed[0]["size"], std::fs::metadata(&file).unwrap().len());
    assert_eq!(
        listed[0]["manifest"]["sha256"],
        json!(
            serde_json::from_str::<Value>(
                &std::fs::read_to_string(
                    dir.path()
                        .join("backups")
                        .join(format!("{name}.manifest.json"))
                )
                .unwrap()
            )
            .unwrap()["sha256"]
        )
    );

    let (status, bytes) =
        server.request_bytes("GET", &format!("/api/backups/{admin}/{name}/file"), None);
    assert_eq!(status, 200);
    assert_eq!(bytes, std::fs::read(&file).unwrap());
    // Only a backup of the folder, by its listed name.
    for other in ["db.sqlite3", "..%2Fdb.sqlite3", "assetport-1.sqlite3"] {
        let (status, answer) = server.get(&format!("/api/backups/{admin}/{other}/file"));
        assert_eq!(
            (status, &answer["code"]),
            (404, &json!(7)),
            "{other}: {answer}"
        );
    }
    let (status, _) =
        server.request_bytes("GET", &format!("/api/backups/{liusn}/{name}/file"), None);
    assert_eq!(status, 403);
}
