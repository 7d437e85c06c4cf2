//! The stocktake phase, on a server and database of its own: a register of S assets imported
//! (its rate is the phase's reference, `stocktake_import_rows_per_s`), a stocktake of all of
//! them started (its list frozen by a task, a batch per transaction: `stocktake_start_seconds`
//! until it is 进行中), a count sheet of S lines uploaded and counted as a task
//! (`stocktake_file_rows_per_s`, and its ratio to the import), and scans of a second stocktake
//! while another import of S rows runs (`scan_p50_ms`, `scan_p99_ms`).

use crate::harness::*;
use serde_json::{json, Value};
use std::time::Instant;

pub(crate) fn stocktake(rows: usize) {
    println!("stocktake_rows={rows}");
    let phase = Phase::start("stocktake.sqlite3", "st", rows);
    let (client, session, database) = (&phase.server.client, &phase.session, &phase.database);
    let import_rate = rows as f64 / phase.import.total;
    println!("stocktake_import_rows_per_s={import_rate:.0}");

    let start = |name: &str| {
        let started = Instant::now();
        let answer = client.json(
            "POST",
            &format!("/api/stocktake/{session}"),
            &json!({"name": name, "filter": {"department": "CST"}}).to_string(),
        );
        let id = answer["data"]["id"].as_i64().expect("stocktake id");
        // Over task_batch_rows assets a task freezes the list; counted until it is done.
        if let Some(task) = answer["data"]["task"].as_i64() {
            client.wait(session, task);
        }
        (id, started.elapsed().as_secs_f64())
    };
    let (id, seconds) = start("基准盘点");
    println!("stocktake_start_seconds={seconds:.3}");

    // The count sheet: every asset, one in ten found elsewhere.
    let ids = asset_ids(database, "st");
    let mut csv = String::from("资产编号,实盘位置\n");
    for (i, asset) in ids.iter().enumerate() {
        let position = if i % 10 == 0 { "B座" } else { "" };
        csv.push_str(&format!("{asset},{position}\n"));
    }
    let started = Instant::now();
    let (status, answer) = client.request(
        "POST",
        &format!("/api/stocktake_file/{session}/{id}?format=csv"),
        "text/csv",
        csv.as_bytes(),
    );
    let answer: Value = serde_json::from_slice(&answer).expect("JSON");
    assert_eq!(status, 200, "{answer}");
    let task = client.wait(session, answer["data"]["id"].as_i64().expect("task id"));
    let seconds = started.elapsed().as_secs_f64();
    assert_eq!(task["number_succeed"], rows as i64, "{task}");
    let file_rate = rows as f64 / seconds;
    println!("stocktake_file_seconds={seconds:.3}");
    println!("stocktake_file_rows_per_s={file_rate:.0}");
    println!("stocktake_file_vs_import={:.3}", file_rate / import_rate);

    // Scans of a second stocktake while an import of as many rows runs.
    let (second, _) = start("扫码基准");
    let body = import_body("more", rows);
    let importing = client.post_task(&format!("/api/asset/{session}"), body.as_bytes());
    drop(body);
    let mut latencies = Vec::new();
    for asset in &ids {
        let started = Instant::now();
        let answer = client.json(
            "POST",
            &format!("/api/stocktake/{session}/{second}/scan"),
            &json!({"code": asset}).to_string(),
        );
        latencies.push(started.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(answer["data"]["result"], "matched", "{answer}");
        let t = client.json("GET", &format!("/api/async_task/{session}/{importing}"), "");
        if t["data"]["finish"] != 0 {
            break;
        }
    }
    latencies.sort_by(f64::total_cmp);
    println!("scans_during_import={}", latencies.len());
    println!("scan_p50_ms={:.2}", percentile(&latencies, 0.50));
    println!("scan_p99_ms={:.2}", percentile(&latencies, 0.99));
    client.wait(session, importing);
}
