//! The asset history and the operations journal at scale: a register of `n` assets whose
//! history and journal are grown to `entries` rows each, then the reads an auditor makes.

use super::harness::*;
use super::register::{add_register_owner, fill};
use serde_json::json;
use std::path::PathBuf;
use std::time::Instant;

const DAY: i64 = 86_400;

/// Phase 9: `n` assets (`register::fill`), `entries` history entries spread evenly over the
/// last 365 days in asset order (each asset changed `entries / n` times, its 资产数量 one more
/// each time), and as many journal entries (logins and acts of four users). Then the median of
/// 20 calls of one asset's history page 1 and of the journal's page 1 (all, and one actor's),
/// and an export of every asset as it is against one as of 30 days ago.
pub(crate) fn history(n: usize, entries: usize) {
    let dir = tempfile::tempdir().expect("temp dir");
    let database: PathBuf = dir.path().join("history.sqlite3");
    let server = Server::start(&database);
    let client = server.client;
    let admin = client.login_as("sysadmin");
    add_register_owner(&client, &admin);
    fill(&database, n);
    let started = Instant::now();
    let per_asset = (entries / n.max(1)).max(1) as i64;
    let now = chrono::Utc::now().timestamp();
    {
        let conn = rusqlite::Connection::open(&database).expect("open");
        conn.execute_batch("PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 30000;")
            .expect("pragmas");
        let first: i64 = conn
            .query_row("SELECT min(id) FROM asset", [], |r| r.get(0))
            .expect("first id");
        let actor: i64 = conn
            .query_row("SELECT id FROM user WHERE name = 'liusn'", [], |r| r.get(0))
            .expect("liusn");
        let total = per_asset * n as i64;
        let start = now - 365 * DAY;
        // Each change of an asset raises its count by one: the history walks back to 3.
        conn.execute_batch("BEGIN").expect("begin");
        conn.execute(
            "WITH RECURSIVE k(j) AS (SELECT 1 UNION ALL SELECT j + 1 FROM k WHERE j < ?1)
             INSERT INTO asset_history (asset_id, entity_id, at, actor_id, task_id, kind, changes)
             SELECT a.id, a.entity_id,
                    ?2 + ((a.id - ?3) * ?1 + k.j) * (365 * 86400) / ?4, ?5, NULL, 2,
                    '{\"count\":[' || (2 + k.j) || ',' || (3 + k.j) || ']}'
             FROM asset a, k ORDER BY a.id, k.j",
            rusqlite::params![per_asset, start, first, total, actor],
        )
        .expect("grow the history");
        conn.execute("UPDATE asset SET count = 3 + ?1", [per_asset])
            .expect("counts");
        // The journal: logins and acts of four users, spread over the same year.
        conn.execute(
            "WITH RECURSIVE k(j) AS (SELECT 0 UNION ALL SELECT j + 1 FROM k WHERE j < ?1 - 1)
             INSERT INTO journal (at, entity_id, actor_id, actor_name, kind, address, detail)
             SELECT ?2 + j * (365 * 86400) / ?1, u.entity_id, u.id, u.name,
                    CASE j % 5 WHEN 0 THEN 'login_failed' WHEN 1 THEN 'logout'
                         WHEN 2 THEN 'task_created' ELSE 'login' END,
                    '10.0.0.' || (j % 250), '{}'
             FROM k JOIN user u ON u.name =
                 CASE j % 4 WHEN 0 THEN 'sysadmin' WHEN 1 THEN 'liusn'
                            WHEN 2 THEN 'zhangsan' ELSE 'ruanjian' END",
            rusqlite::params![entries as i64, start],
        )
        .expect("grow the journal");
        conn.execute_batch("COMMIT").expect("commit");
        println!("history_rows={total}");
        println!("journal_rows={entries}");
    }
    println!(
        "history_fill_seconds={:.1}",
        started.elapsed().as_secs_f64()
    );
    let median = |path: &str| -> f64 {
        let mut times: Vec<f64> = (0..20)
            .map(|_| {
                let t = Instant::now();
                let (status, answer) = client.get(path);
                assert_eq!(status, 200, "{path}: {}", String::from_utf8_lossy(&answer));
                t.elapsed().as_secs_f64() * 1000.0
            })
            .collect();
        times.sort_by(|a, b| a.total_cmp(b));
        percentile(&times, 50.0)
    };
    let middle = {
        let conn = rusqlite::Connection::open(&database).expect("open");
        conn.query_row(
            "SELECT id FROM asset ORDER BY id LIMIT 1 OFFSET ?1",
            [n as i64 / 2],
            |r| r.get::<_, i64>(0),
        )
        .expect("middle asset")
    };
    let keys = [
        (
            "history_page1_ms",
            median(&format!(
                "/api/asset_history/{admin}/{middle}?page=1&size=10"
            )),
        ),
        (
            "journal_page1_ms",
            median(&format!("/api/journal/{admin}?page=1&size=20")),
        ),
        (
            "journal_actor_page1_ms",
            median(&format!("/api/journal/{admin}?page=1&size=20&actor=liusn")),
        ),
    ];
    for (key, ms) in keys {
        println!("{key}={ms:.2}");
    }

    // Every asset exported as it is, then as it stood 30 days ago (the assets changed since,
    // one in twelve, walked back through their history).
    let as_of = (chrono::Local::now() - chrono::Duration::days(30))
        .format("%Y-%m-%d")
        .to_string();
    let since = now - 30 * DAY;
    let changed: i64 = rusqlite::Connection::open(&database)
        .expect("open")
        .query_row(
            "SELECT count(DISTINCT asset_id) FROM asset_history WHERE at > ?1",
            [since],
            |r| r.get(0),
        )
        .expect("changed");
    let export = |body: serde_json::Value| {
        let (_, timing) = submit(
            &client,
            &admin,
            body.to_string().as_bytes(),
            "/api/export_task",
            "application/json",
        );
        timing.total
    };
    let plain = export(json!({"filter": {}}));
    let past = export(json!({"filter": {}, "as_of": as_of}));
    println!("export_all_seconds={plain:.3}");
    println!("as_of_changed_assets={changed}");
    println!("as_of_export_seconds={past:.3}");
    println!("as_of_vs_export={:.3}", past / plain);
}
