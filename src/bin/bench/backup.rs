//! A backup of a register of `n` assets, taken while the server runs: assetport's (online
//! backup, integrity check of the copy, SHA-256, manifest) against SQLite's own online backup of
//! the same file with every page in one step, which is what the sqlite3 shell's `.backup` does.

use super::harness::*;
use super::PASSWORD;
use serde_json::json;
use std::path::Path;
use std::time::Instant;

/// Runs each three times, alternating, and prints the medians and their ratio.
pub(crate) fn backup(n: usize) {
    let dir = tempfile::tempdir().expect("temp dir");
    let database = dir.path().join("backup.sqlite3");
    let server = Server::start(&database);
    let client = server.client;
    let admin = client.login_as("sysadmin");
    client.json(
        "POST",
        &format!("/api/user/{admin}"),
        &json!({"name": "ruanjian", "password": PASSWORD, "department": "软件组", "character": 1})
            .to_string(),
    );
    super::register::fill(&database, n);
    let (mut ours, mut raw) = (Vec::new(), Vec::new());
    for round in 0..3 {
        let dest = dir.path().join(format!("ours-{round}.sqlite3"));
        let t = Instant::now();
        let manifest = assetport::backup::write(&database, &dest).expect("backup");
        ours.push(t.elapsed().as_secs_f64());
        assert!(manifest.assets >= n as i64);
        let dest = dir.path().join(format!("raw-{round}.sqlite3"));
        let t = Instant::now();
        raw_backup(&database, &dest);
        raw.push(t.elapsed().as_secs_f64());
        if round == 0 {
            println!("backup_mb={:.1}", manifest.size as f64 / 1048576.0);
        }
    }
    ours.sort_by(|a, b| a.total_cmp(b));
    raw.sort_by(|a, b| a.total_cmp(b));
    println!("backup_rows={n}");
    println!("backup_seconds={:.3}", ours[1]);
    println!("backup_raw_seconds={:.3}", raw[1]);
    println!("backup_vs_raw={:.2}", ours[1] / raw[1]);
}

/// SQLite's online backup, all pages in one step (the sqlite3 shell's `.backup`).
fn raw_backup(source: &Path, dest: &Path) {
    let from = rusqlite::Connection::open(source).expect("open");
    let mut to = rusqlite::Connection::open(dest).expect("open");
    let backup = rusqlite::backup::Backup::new(&from, &mut to).expect("backup");
    while backup.step(-1).expect("step") != rusqlite::backup::StepResult::Done {}
}
