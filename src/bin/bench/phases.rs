//! Phases on servers of their own: the Excel round trip at scale, and three large uploads with
//! logins alongside.

use super::harness::*;
use serde_json::{json, Value};
use std::path::PathBuf;
use std::time::Instant;

/// The Excel round trip at scale, on a fresh database: a dry run of `n` rows against the real
/// import of the same rows, a confirm, an update import of all `n` assets, and the undo of
/// each (the update's restores, then the import's deletes).
pub(crate) fn round_trip(n: usize) {
    let dir = tempfile::tempdir().expect("temp dir");
    let database: PathBuf = dir.path().join("round-trip.sqlite3");
    let server = Server::start(&database);
    let client = &server.client;
    let session = client.login();
    println!("round_trip_rows={n}");
    let timed = |path: &str, body: &[u8]| submit(client, &session, body, path, "application/json");

    let body = import_body("dry", n);
    let (dry_id, dry) = timed("/api/asset?dry_run=true", body.as_bytes());
    drop(body);
    let body = import_body("direct", n);
    let (import_id, import) = timed("/api/asset", body.as_bytes());
    drop(body);
    println!("dry_run_seconds={:.3}", dry.total);
    println!("dry_run_import_seconds={:.3}", import.total);
    println!("dry_run_vs_import={:.3}", dry.total / import.total);
    let start = Instant::now();
    client.act(&session, dry_id, "confirm");
    let confirmed = client.wait(&session, dry_id);
    assert_eq!(confirmed["number_created"], n as i64, "{confirmed}");
    println!(
        "confirm_rows_per_s={:.0}",
        n as f64 / start.elapsed().as_secs_f64()
    );

    // Every asset of the direct import, its position changed.
    let ids = asset_ids(&database, "direct");
    let updates: Vec<Value> = ids
        .iter()
        .map(|id| json!({"id": id, "position": format!("B座{}", id % 100), "count": 4}))
        .collect();
    let body = Value::Array(updates).to_string();
    let (update_id, update) = timed("/api/asset", body.as_bytes());
    drop(body);
    let task = client.wait(&session, update_id);
    assert_eq!(task["number_updated"], n as i64, "{task}");
    println!("update_rows_per_s={:.0}", n as f64 / update.total);

    for (key, id) in [
        ("undo_update_rows_per_s", update_id),
        ("undo_rows_per_s", import_id),
    ] {
        let start = Instant::now();
        let answer = client.act(&session, id, "undo");
        let undo = client.wait(&session, answer["data"]["id"].as_i64().expect("undo id"));
        assert_eq!(undo["number_succeed"], n as i64, "{undo}");
        println!("{key}={:.0}", n as f64 / start.elapsed().as_secs_f64());
    }
    request_approval(client, &session, &database, n.min(REQUEST_LINES));
}

/// The lines of the request whose approval is timed (a 调拨单 of a department's year).
const REQUEST_LINES: usize = 100_000;

/// A 调拨单 of `lines` assets (CST → 软件组) uploaded as a CSV, then approved: the rate of its
/// lines executed, each asset rewritten with its history entry, from the call until the last
/// line (by the approval task, for more than `task_batch_rows` lines).
fn request_approval(client: &Client, session: &str, database: &std::path::Path, lines: usize) {
    let body = import_body("req", lines);
    submit(
        client,
        session,
        body.as_bytes(),
        "/api/asset",
        "application/json",
    );
    let admin = client.login_as("sysadmin");
    let manager = json!({"name": "zhaoliu", "password": "demo123", "entity": "示例企业",
                         "department": "软件组", "character": 2, "lock": false});
    client.json("POST", &format!("/api/user/{admin}"), &manager.to_string());
    let mut csv = String::from("资产编号\n");
    for id in asset_ids(database, "req") {
        csv.push_str(&format!("{id}\n"));
    }
    // kind=调拨, target_department=软件组
    let url = format!(
        "/api/request_file/{session}?kind=allocate&target_department=%E8%BD%AF%E4%BB%B6%E7%BB%84"
    );
    let start = Instant::now();
    let (status, answer) = client.request("POST", &url, "text/csv", csv.as_bytes());
    let answer: Value = serde_json::from_slice(&answer).expect("JSON");
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["data"]["lines"], lines as i64, "{answer}");
    println!("request_lines={lines}");
    println!("request_file_seconds={:.3}", start.elapsed().as_secs_f64());
    let id = answer["data"]["id"].as_i64().expect("request id");
    let start = Instant::now();
    let approved = client.json("POST", &format!("/api/requests/{admin}/{id}/approve"), "");
    let executed = match approved["data"]["task"].as_i64() {
        Some(task) => client.wait(&admin, task)["number_succeed"].clone(),
        None => approved["data"]["line_counts"]["executed"].clone(),
    };
    let seconds = start.elapsed().as_secs_f64();
    assert_eq!(executed, json!(lines), "{approved}");
    println!("request_approve_seconds={seconds:.3}");
    println!("request_approve_rows_per_s={:.0}", lines as f64 / seconds);
}

/// Phase 6: logins while three large CSV uploads are being stored, on a server and database of
/// its own (what earlier phases left in the allocator is not the uploads'). Storing is done a
/// chunk per transaction, and a login writes nothing (the session writer stores its session),
/// so a login never waits for an upload.
pub(crate) fn three_uploads(rows: usize) {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = Server::start(&dir.path().join("uploads.sqlite3"));
    let session = server.client.login();
    let csv = std::sync::Arc::new(csv_body("up", rows));
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let port = server.client.port;
    let logins = {
        let stop = stop.clone();
        std::thread::spawn(move || login_latencies(port, &stop))
    };
    let start = Instant::now();
    let uploads: Vec<_> = (0..3)
        .map(|_| {
            let (csv, session) = (csv.clone(), session.clone());
            std::thread::spawn(move || {
                Client { port }.request(
                    "POST",
                    &format!("/api/asset_file/{session}"),
                    "text/csv",
                    csv.as_bytes(),
                )
            })
        })
        .collect();
    for upload in uploads {
        let (status, answer) = upload.join().expect("upload");
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&answer));
    }
    let stored = start.elapsed().as_secs_f64();
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let (mut latencies, refused) = logins.join().expect("logins");
    latencies.sort_by(|a, b| a.total_cmp(b));
    println!("uploads_stored_seconds={stored:.3}");
    println!("logins_during_uploads={}", latencies.len());
    println!("logins_refused_during_uploads={}", refused.len());
    println!(
        "login_p50_ms_during_uploads={:.2}",
        percentile(&latencies, 50.0)
    );
    println!(
        "login_p99_ms_during_uploads={:.2}",
        percentile(&latencies, 99.0)
    );
    // The whole life of this server: its start, the logins and the three uploads.
    println!("peak_rss_mb_three_uploads={:.0}", server.peak_rss_mb());
}
