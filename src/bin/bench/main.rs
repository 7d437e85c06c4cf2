//! The benchmark: the real server path (HTTP → workers → SQLite) against SQLite's own insert
//! rate for the same rows, plus export, API latency under load, CSV upload and memory.
//!
//! `cargo run --release --bin bench -- [--rows N] [--load-rows M] [--clients C] [--csv-rows R]
//! [--upload-rows U] [--fair-rows F] [--register-rows G] [--round-trip-rows T]
//! [--history-rows H] [--backup-rows B] [--xlsx-rows X] [--stocktake-rows S] [--label-rows L]`
//! prints one `key=value` per line. The server runs in a child process (this same binary with
//! `--serve`) so its memory is measured apart from the load generator's. `--read-xlsx FILE`
//! prints the seconds calamine alone takes to read every cell of FILE (the reference of
//! `xlsx_dry_run_vs_reader`), for measuring a dry run by hand against it.
#![forbid(unsafe_code)]

mod backup;
mod harness;
mod history;
mod labels;
mod phases;
mod register;
mod stocktake;
mod xlsx;

use harness::*;
use phases::{round_trip, three_uploads};
use register::register;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub(crate) const PASSWORD: &str = "demo123";

struct Options {
    rows: usize,
    load_rows: usize,
    clients: usize,
    csv_rows: usize,
    upload_rows: usize,
    fair_rows: usize,
    register_rows: usize,
    round_trip_rows: usize,
    /// History (and journal) entries grown on a register of `register_rows` assets.
    history_rows: usize,
    /// Assets of the register a backup is timed on (0: not timed).
    backup_rows: usize,
    /// Assets of the register downloaded as XLSX and uploaded again as a dry run (0: skipped).
    xlsx_rows: usize,
    /// Assets of the register a stocktake counts from a sheet, and scans during an import of
    /// as many (0: skipped).
    stocktake_rows: usize,
    /// Assets printed as labels (a task, then its PDF) (0: skipped).
    label_rows: usize,
}

fn arg(args: &[String], name: &str, default: usize) -> usize {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(|v| v.replace('_', "").parse().expect("a number"))
        .unwrap_or(default)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--read-xlsx") {
        println!("{:.3}", xlsx::read_reference(Path::new(&args[i + 1])));
        return;
    }
    if let Some(i) = args.iter().position(|a| a == "--serve") {
        serve(Path::new(&args[i + 1]), args[i + 2].parse().expect("port"));
        return;
    }
    let options = Options {
        rows: arg(&args, "--rows", 100_000),
        load_rows: arg(&args, "--load-rows", 1_000_000),
        clients: arg(&args, "--clients", 8),
        csv_rows: arg(&args, "--csv-rows", 1_000_000),
        upload_rows: arg(&args, "--upload-rows", 1_000_000),
        fair_rows: arg(&args, "--fair-rows", 1_000_000),
        register_rows: arg(&args, "--register-rows", 1_000_000),
        round_trip_rows: arg(&args, "--round-trip-rows", 1_000_000),
        history_rows: arg(&args, "--history-rows", 10_000_000),
        backup_rows: arg(&args, "--backup-rows", 1_000_000),
        xlsx_rows: arg(&args, "--xlsx-rows", 1_000_000),
        stocktake_rows: arg(&args, "--stocktake-rows", 1_000_000),
        label_rows: arg(&args, "--label-rows", 100_000),
    };
    run(&options);
}

fn run(o: &Options) {
    if o.backup_rows > 0 {
        backup::backup(o.backup_rows);
    }
    if o.register_rows > 0 {
        register(o.register_rows);
    }
    if o.round_trip_rows > 0 {
        round_trip(o.round_trip_rows);
    }
    if o.xlsx_rows > 0 {
        xlsx::xlsx(o.xlsx_rows);
    }
    if o.stocktake_rows > 0 {
        stocktake::stocktake(o.stocktake_rows);
    }
    if o.label_rows > 0 {
        labels::labels(o.label_rows);
    }
    if o.history_rows > 0 && o.register_rows > 0 {
        history::history(o.register_rows, o.history_rows);
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let database: PathBuf = dir.path().join("bench.sqlite3");
    let server = Server::start(&database);
    let client = server.client;
    let session = client.login();
    let mut peak: f64 = 0.0;
    println!("rows={}", o.rows);

    // 1. import through the API
    let body = import_body("imp", o.rows);
    let (_, timing) = submit(
        &client,
        &session,
        body.as_bytes(),
        "/api/asset",
        "application/json",
    );
    drop(body);
    let seconds = timing.total;
    let import_rate = o.rows as f64 / seconds;
    println!("import_accept_seconds={:.3}", timing.accept);
    println!("import_seconds={seconds:.3}");
    println!("import_rows_per_s={import_rate:.0}");

    // 2. SQLite's own speed on the same rows and table
    let raw_rate = raw_insert(&database, o.rows);
    println!("raw_insert_rows_per_s={raw_rate:.0}");
    println!("import_vs_raw={:.3}", import_rate / raw_rate);

    // 3. export the imported assets, reading the records body in full
    let ids = asset_ids(&database, "imp");
    let body = serde_json::to_string(&ids).expect("ids");
    let start = Instant::now();
    let (id, timing) = submit(
        &client,
        &session,
        body.as_bytes(),
        "/api/export_task",
        "application/json",
    );
    println!("export_accept_seconds={:.3}", timing.accept);
    println!("export_task_seconds={:.3}", timing.total);
    let (status, records) = client.get(&format!("/api/export_task/{session}/{id}"));
    assert_eq!(status, 200);
    let seconds = start.elapsed().as_secs_f64();
    println!("export_seconds={seconds:.3}");
    println!("export_body_mb={:.1}", records.len() as f64 / 1048576.0);
    println!("export_rows_per_s={:.0}", ids.len() as f64 / seconds);
    drop(records);

    // 4. API latency while a large import runs
    if o.load_rows > 0 {
        let body = import_body("load", o.load_rows);
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let started = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let pollers: Vec<_> = (0..o.clients)
            .map(|_| {
                let (stop, started) = (stop.clone(), started.clone());
                let (port, session) = (server.client.port, session.clone());
                std::thread::spawn(move || {
                    let client = Client { port };
                    let mut latencies = Vec::new();
                    while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                        let t = Instant::now();
                        let (status, _) = client.get(&format!("/api/async_task/{session}"));
                        assert_eq!(status, 200);
                        if started.load(std::sync::atomic::Ordering::SeqCst) {
                            latencies.push(t.elapsed().as_secs_f64() * 1000.0);
                        }
                        std::thread::sleep(Duration::from_millis(10));
                    }
                    latencies
                })
            })
            .collect();
        started.store(true, std::sync::atomic::Ordering::SeqCst);
        let (_, timing) = submit(
            &client,
            &session,
            body.as_bytes(),
            "/api/asset",
            "application/json",
        );
        let seconds = timing.total;
        stop.store(true, std::sync::atomic::Ordering::SeqCst);
        let mut all: Vec<f64> = pollers
            .into_iter()
            .flat_map(|p| p.join().expect("poller"))
            .collect();
        all.sort_by(|a, b| a.total_cmp(b));
        println!("load_rows={}", o.load_rows);
        println!("load_import_rows_per_s={:.0}", o.load_rows as f64 / seconds);
        println!("api_clients={}", o.clients);
        println!("api_requests_during_import={}", all.len());
        println!("api_p50_ms_during_import={:.2}", percentile(&all, 50.0));
        println!("api_p99_ms_during_import={:.2}", percentile(&all, 99.0));
        println!("peak_rss_mb_json_import={:.0}", server.peak_rss_mb());
        peak = peak.max(server.peak_rss_mb());
    }

    // 5. a CSV upload of csv_rows lines
    if o.csv_rows > 0 {
        let csv = csv_body("csv", o.csv_rows);
        peak = peak.max(server.peak_rss_mb());
        server.reset_peak();
        let (_, timing) = submit(
            &client,
            &session,
            csv.as_bytes(),
            "/api/asset_file",
            "text/csv",
        );
        let seconds = timing.total;
        println!("csv_accept_seconds={:.3}", timing.accept);
        println!("csv_rows={}", o.csv_rows);
        println!("csv_mb={:.1}", csv.len() as f64 / 1048576.0);
        println!("csv_upload_seconds={seconds:.3}");
        println!("csv_rows_per_s={:.0}", o.csv_rows as f64 / seconds);
        println!("peak_rss_mb_csv_upload={:.0}", server.peak_rss_mb());
    }
    peak = peak.max(server.peak_rss_mb());
    if o.upload_rows > 0 {
        three_uploads(o.upload_rows);
    }
    // 7. fairness: a 10-row import sent while two large imports run waits for a batch of
    // theirs at most, not for them to end (workers take turns between tasks batch by batch).
    if o.fair_rows > 0 {
        let body = std::sync::Arc::new(import_body("fair", o.fair_rows));
        let mut big = Vec::new();
        for _ in 0..2 {
            big.push(client.post_task(&format!("/api/asset/{session}"), body.as_bytes()));
        }
        // Both large ones running.
        while big.iter().any(|id| {
            let task = client.json("GET", &format!("/api/async_task/{session}/{id}"), "");
            task["data"]["number_done"] == 0
        }) {
            std::thread::sleep(Duration::from_millis(5));
        }
        let small = import_body("small", 10);
        let small_id = client.post_task(&format!("/api/asset/{session}"), small.as_bytes());
        let accepted = Instant::now();
        let task = client.wait(&session, small_id);
        let waited = accepted.elapsed().as_secs_f64() * 1000.0;
        assert_eq!(task["finish"], 1, "{task}");
        let still_running = big.iter().filter(|id| {
            let task = client.json("GET", &format!("/api/async_task/{session}/{id}"), "");
            task["data"]["finish"] == 0
        });
        println!("fair_rows={}", o.fair_rows);
        println!("small_task_wait_ms_behind_two_big={waited:.1}");
        println!(
            "big_tasks_still_running_when_small_done={}",
            still_running.count()
        );
    }
    // The CSV phase resets the kernel's peak mark; the run's peak is the largest seen.
    println!("peak_rss_mb={peak:.0}");
}
