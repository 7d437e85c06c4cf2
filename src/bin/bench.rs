//! The benchmark: the real server path (HTTP → workers → SQLite) against SQLite's own insert
//! rate for the same rows, plus export, API latency under load, CSV upload and memory.
//!
//! `cargo run --release --bin bench -- [--rows N] [--load-rows M] [--clients C] [--csv-rows R]
//! [--upload-rows U] [--fair-rows F] [--register-rows G] [--round-trip-rows T]`
//! prints one `key=value` per line. The server runs in a child process (this same binary with
//! `--serve`) so its memory is measured apart from the load generator's.
#![forbid(unsafe_code)]

use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const PASSWORD: &str = "demo123";

struct Options {
    rows: usize,
    load_rows: usize,
    clients: usize,
    csv_rows: usize,
    upload_rows: usize,
    fair_rows: usize,
    register_rows: usize,
    round_trip_rows: usize,
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
    };
    run(&options);
}

/// The server side: the same `assetport::build` the binary runs, on the given database/port.
fn serve(database: &Path, port: u16) {
    let figment = assetport::figment()
        .merge(("database", database))
        .merge(("port", port))
        .merge(("address", "127.0.0.1"))
        .merge(("demo", true))
        .merge(("admin_password", "bench-admin"))
        .merge(("log_level", "off"));
    rocket::execute(async move {
        let (figment, front) = assetport::bind_front(figment).expect("listen");
        let rocket = assetport::build(figment).expect("build server");
        let _ = assetport::launch(rocket, Some(front)).await;
    });
}

struct Server {
    child: Child,
    client: Client,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn start(database: &Path) -> Server {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("free port");
        let child = Command::new(std::env::current_exe().expect("own path"))
            .arg("--serve")
            .arg(database)
            .arg(port.to_string())
            .stdout(Stdio::null())
            .spawn()
            .expect("start server");
        let server = Server {
            child,
            client: Client { port },
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        server
    }

    /// Peak resident memory (VmHWM) of the server process, in MiB.
    fn peak_rss_mb(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        status
            .lines()
            .find(|l| l.starts_with("VmHWM:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map(|kb| kb / 1024.0)
            .unwrap_or(f64::NAN)
    }

    /// Resets the peak-memory mark, so a phase can be measured on its own.
    fn reset_peak(&self) {
        let _ = std::fs::write(format!("/proc/{}/clear_refs", self.child.id()), "5");
    }
}

/// A minimal HTTP/1.1 client: one connection per request, as a browser's fetch may do.
#[derive(Clone, Copy)]
struct Client {
    port: u16,
}

impl Client {
    fn request(&self, method: &str, path: &str, content_type: &str, body: &[u8]) -> (u16, Vec<u8>) {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\
             Content-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        stream.write_all(head.as_bytes()).expect("write");
        stream.write_all(body).expect("write body");
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).expect("read");
        let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("head");
        let status = String::from_utf8_lossy(&raw[..split])
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .expect("status");
        (status, raw[split + 4..].to_vec())
    }

    fn get(&self, path: &str) -> (u16, Vec<u8>) {
        self.request("GET", path, "application/json", b"")
    }

    fn json(&self, method: &str, path: &str, body: &str) -> Value {
        let (status, bytes) = self.request(method, path, "application/json", body.as_bytes());
        let value: Value = serde_json::from_slice(&bytes).expect("JSON answer");
        assert_eq!(status, 200, "{method} {path}: {value}");
        value
    }

    fn login(&self) -> String {
        self.login_as("liusn")
    }

    fn login_as(&self, name: &str) -> String {
        let body = json!({"identity": name, "password": PASSWORD}).to_string();
        self.json("POST", "/api/login", &body)["data"]["session"]
            .as_str()
            .expect("session")
            .to_owned()
    }

    fn wait(&self, session: &str, id: i64) -> Value {
        loop {
            let task =
                self.json("GET", &format!("/api/async_task/{session}/{id}"), "")["data"].clone();
            if task["finish"] != 0 {
                return task;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

/// A CSV file of `n` valid rows named `{prefix}-{i}`.
fn csv_body(prefix: &str, n: usize) -> String {
    let mut csv = String::from(
        "资产名,资产类型,资产价值,资产数量,使用期限,所属品类,描述信息,位置信息,挂账人,所属部门,父资产\n",
    );
    for i in 0..n {
        csv.push_str(&format!(
            "{prefix}-{i},数量型,10.50,3,10,数量型资产,基准测试,A座,liusn,CST,\n"
        ));
    }
    csv
}

/// Logins, one after another with a short pause, until `stop`: their latencies in ms and the
/// statuses that were not 200.
fn login_latencies(port: u16, stop: &std::sync::atomic::AtomicBool) -> (Vec<f64>, Vec<u16>) {
    let client = Client { port };
    let body = json!({"identity": "sysadmin", "password": PASSWORD}).to_string();
    let (mut latencies, mut refused) = (Vec::new(), Vec::new());
    while !stop.load(std::sync::atomic::Ordering::SeqCst) {
        let t = Instant::now();
        let (status, _) = client.request("POST", "/api/login", "application/json", body.as_bytes());
        latencies.push(t.elapsed().as_secs_f64() * 1000.0);
        if status != 200 {
            refused.push(status);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    (latencies, refused)
}

/// `n` valid import rows named `{prefix}-{i}`.
fn import_body(prefix: &str, n: usize) -> String {
    let rows: Vec<Value> = (0..n)
        .map(|i| {
            json!({"name": format!("{prefix}-{i}"), "parent": "", "assetClass": 0, "user": "liusn",
                   "price": 10.5, "description": "基准测试", "position": "A座", "expire": 0,
                   "count": 3, "assetTree": "数量型资产", "department": "CST", "deadline": 10})
        })
        .collect();
    Value::Array(rows).to_string()
}

/// How long a submitted task took: until the POST answered (the rows are stored), and until
/// the task reported finish.
struct Timing {
    accept: f64,
    total: f64,
}

/// Submits a task and waits for it; every row must succeed.
fn submit(
    client: &Client,
    session: &str,
    body: &[u8],
    path: &str,
    content_type: &str,
) -> (i64, Timing) {
    let start = Instant::now();
    let url = match path.split_once('?') {
        Some((route, query)) => format!("{route}/{session}?{query}"),
        None => format!("{path}/{session}"),
    };
    let (status, answer) = client.request("POST", &url, content_type, body);
    let accept = start.elapsed().as_secs_f64();
    let answer: Value = serde_json::from_slice(&answer).expect("JSON");
    assert_eq!(status, 200, "{answer}");
    let id = answer["data"]["id"].as_i64().expect("task id");
    let task = client.wait(session, id);
    let total = start.elapsed().as_secs_f64();
    assert_eq!(task["finish"], 1, "every row must succeed: {task}");
    (id, Timing { accept, total })
}

/// The same rows straight into the asset table: one prepared statement, one transaction.
fn raw_insert(database: &Path, n: usize) -> f64 {
    let mut conn = rusqlite::Connection::open(database).expect("open");
    conn.execute_batch(
        "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 30000;",
    )
    .expect("pragmas");
    // Start from an empty WAL, so the reference does not pay for checkpointing the server's
    // earlier writes. Its own checkpoint uses SQLite's default threshold.
    let _: (i64, i64, i64) = conn
        .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .expect("checkpoint");
    let ids = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).expect(sql) };
    let entity = ids("SELECT id FROM entity WHERE name = '示例企业'");
    let department = ids("SELECT id FROM department WHERE name = 'CST'");
    let category = ids("SELECT c.id FROM category c JOIN department d ON d.id = c.department_id WHERE d.name = 'CST' AND c.name = '数量型资产'");
    let owner = ids("SELECT id FROM user WHERE name = 'liusn'");
    let today = assetport::db::today_day();
    let start = Instant::now();
    let tx = conn.transaction().expect("tx");
    {
        let mut stmt = tx
            .prepare(
                "INSERT INTO asset (entity_id, department_id, category_id, parent_id, owner_id, name,
                     asset_class, initial_price_cents, description, position, count, create_day,
                     deadline, status)
                 VALUES (?1, ?2, ?3, NULL, ?4, ?5, 0, 1050, '基准测试', 'A座', 3, ?6, 10, 1)",
            )
            .expect("prepare");
        for i in 0..n {
            stmt.execute(rusqlite::params![
                entity,
                department,
                category,
                owner,
                format!("raw-{i}"),
                today
            ])
            .expect("insert");
        }
    }
    // Keep the server's department counts right (one statement, as its own inserts would).
    tx.execute(
        "UPDATE department SET asset_count = asset_count + ?1 WHERE id = ?2",
        rusqlite::params![n as i64, department],
    )
    .expect("count");
    tx.execute(
        "UPDATE category SET asset_count = asset_count + ?1 WHERE id = ?2",
        rusqlite::params![n as i64, category],
    )
    .expect("count");
    tx.commit().expect("commit");
    n as f64 / start.elapsed().as_secs_f64()
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// The demo company grown to `n` assets straight into its table (as `raw_insert` does, the
/// counting triggers included): 70% in CST, 30% in 软件组, 10,000 owned by zhangsan, one in a
/// hundred retired, a few named and described apart. Then the median of 20 calls of each
/// everyday read, in ms.
fn register(n: usize) {
    let dir = tempfile::tempdir().expect("temp dir");
    let database: PathBuf = dir.path().join("register.sqlite3");
    let server = Server::start(&database);
    let client = server.client;
    let admin = client.login_as("sysadmin");
    let manager = client.login_as("liusn");
    let staff = client.login_as("zhangsan");
    // A user of 软件组 to own its assets.
    client.json(
        "POST",
        &format!("/api/user/{admin}"),
        &json!({"name": "ruanjian", "password": PASSWORD, "department": "软件组", "character": 1})
            .to_string(),
    );
    let started = Instant::now();
    {
        let mut conn = rusqlite::Connection::open(&database).expect("open");
        conn.execute_batch("PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 30000;")
            .expect("pragmas");
        let ids = |c: &rusqlite::Connection, sql: &str| -> i64 {
            c.query_row(sql, [], |r| r.get(0)).expect(sql)
        };
        let entity = ids(&conn, "SELECT id FROM entity WHERE name = '示例企业'");
        let cst = ids(&conn, "SELECT id FROM department WHERE name = 'CST'");
        let software = ids(&conn, "SELECT id FROM department WHERE name = '软件组'");
        let category = |d: i64| {
            ids(
                &conn,
                &format!(
                    "SELECT id FROM category WHERE department_id = {d} AND name = '数量型资产'"
                ),
            )
        };
        let (cst_category, software_category) = (category(cst), category(software));
        let user = |name: &str| ids(&conn, &format!("SELECT id FROM user WHERE name = '{name}'"));
        let (liusn, zhangsan, ruanjian) = (user("liusn"), user("zhangsan"), user("ruanjian"));
        let today = assetport::db::today_day();
        let tx = conn.transaction().expect("tx");
        {
            let mut stmt = tx
                .prepare(
                    "INSERT INTO asset (entity_id, department_id, category_id, owner_id, name,
                         asset_class, initial_price_cents, description, position, expire, count,
                         create_day, deadline, status)
                     VALUES (?1, ?2, ?3, ?4, ?5, 0, 1050, ?6, 'A座', ?7, 3, ?8, 10, 1)",
                )
                .expect("prepare");
            for i in 0..n {
                let (department, category, owner) = if i % 10 < 7 {
                    let owner = if i % 70 == 0 { zhangsan } else { liusn };
                    (cst, cst_category, owner)
                } else {
                    (software, software_category, ruanjian)
                };
                let name = if i % 1000 == 0 {
                    format!("投影仪-{i}")
                } else {
                    format!("设备-{i}")
                };
                let description = if i % 5000 == 0 {
                    "备用机房"
                } else {
                    "基准测试"
                };
                let expire = i64::from(i % 100 == 0);
                stmt.execute(rusqlite::params![
                    entity,
                    department,
                    category,
                    owner,
                    name,
                    description,
                    expire,
                    today
                ])
                .expect("insert");
            }
        }
        // The departments' kept counts, as the server's own inserts keep them.
        tx.execute_batch(
            "UPDATE department SET asset_count =
                 (SELECT count(*) FROM asset WHERE asset.department_id = department.id);
             UPDATE category SET asset_count =
                 (SELECT count(*) FROM asset WHERE asset.category_id = category.id);",
        )
        .expect("counts");
        tx.commit().expect("commit");
    }
    println!("register_rows={n}");
    println!(
        "register_fill_seconds={:.1}",
        started.elapsed().as_secs_f64()
    );
    // The trigram index of names and descriptions is built in the background once no task
    // runs: wait for it, so substring searches are measured as a settled server answers them.
    let started = Instant::now();
    {
        let conn = rusqlite::Connection::open(&database).expect("open");
        while !conn
            .query_row(
                "SELECT (SELECT indexed_to FROM text_index) >= (SELECT max(id) FROM asset)",
                [],
                |r| r.get::<_, bool>(0),
            )
            .expect("text index")
        {
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    println!(
        "register_text_index_seconds={:.1}",
        started.elapsed().as_secs_f64()
    );
    let median = |method: &str, path: &str, body: &str| -> f64 {
        let mut times: Vec<f64> = (0..20)
            .map(|_| {
                let t = Instant::now();
                let (status, answer) =
                    client.request(method, path, "application/json", body.as_bytes());
                assert_eq!(
                    status,
                    200,
                    "{path} {body}: {}",
                    String::from_utf8_lossy(&answer)
                );
                t.elapsed().as_secs_f64() * 1000.0
            })
            .collect();
        times.sort_by(|a, b| a.total_cmp(b));
        percentile(&times, 50.0)
    };
    let search = |session: &str, body: Value| {
        median(
            "POST",
            &format!("/api/search_assets/{session}"),
            &body.to_string(),
        )
    };
    let last_page = (n as f64 / 6.0).ceil() as i64;
    let keys: Vec<(&str, f64)> = vec![
        ("register_list_page1_ms", search(&admin, json!({"page": 1}))),
        (
            "register_manager_list_page1_ms",
            search(&manager, json!({"page": 1})),
        ),
        (
            "register_filter_department_ms",
            search(&admin, json!({"page": 1, "department": "软件组"})),
        ),
        (
            "register_filter_owner_ms",
            search(&admin, json!({"page": 1, "user": "zhangsan"})),
        ),
        (
            "register_filter_category_ms",
            search(&admin, json!({"page": 1, "asset_tree_node": "数量型资产"})),
        ),
        (
            "register_filter_expire_ms",
            search(&admin, json!({"page": 1, "expire": 1})),
        ),
        (
            "register_name_substring_ms",
            search(&admin, json!({"page": 1, "name": "投影仪"})),
        ),
        (
            "register_description_substring_ms",
            search(&admin, json!({"page": 1, "description": "备用机房"})),
        ),
        (
            "register_middle_page_ms",
            search(&admin, json!({"page": last_page / 2})),
        ),
        (
            "register_last_page_ms",
            search(&admin, json!({"page": last_page})),
        ),
        (
            "register_staff_own_list_ms",
            median("GET", &format!("/api/asset_user_list/{staff}/1"), ""),
        ),
        (
            "register_departments_ms",
            median(
                "GET",
                &format!(
                    "/api/all_departments/{admin}/{}",
                    "%E7%A4%BA%E4%BE%8B%E4%BC%81%E4%B8%9A"
                ),
                "",
            ),
        ),
    ];
    for (key, ms) in keys {
        println!("{key}={ms:.2}");
    }
}

/// The Excel round trip at scale, on a fresh database: a dry run of `n` rows against the real
/// import of the same rows, a confirm, an update import of all `n` assets, and the undo of
/// each (the update's restores, then the import's deletes).
fn round_trip(n: usize) {
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
    let answer = client.json(
        "POST",
        &format!("/api/async_task/{session}/{dry_id}/confirm"),
        "{}",
    );
    assert_eq!(answer["code"], 0, "{answer}");
    let confirmed = client.wait(&session, dry_id);
    assert_eq!(confirmed["number_created"], n as i64, "{confirmed}");
    println!(
        "confirm_rows_per_s={:.0}",
        n as f64 / start.elapsed().as_secs_f64()
    );

    // Every asset of the direct import, its position changed.
    let ids: Vec<i64> = {
        let conn = rusqlite::Connection::open(&database).expect("open");
        let mut stmt = conn
            .prepare("SELECT id FROM asset WHERE name LIKE 'direct-%' ORDER BY id")
            .expect("ids");
        let ids = stmt.query_map([], |r| r.get(0)).expect("ids");
        ids.collect::<Result<_, _>>().expect("ids")
    };
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
        let answer = client.json(
            "POST",
            &format!("/api/async_task/{session}/{id}/undo"),
            "{}",
        );
        assert_eq!(answer["code"], 0, "{answer}");
        let undo = client.wait(&session, answer["data"]["id"].as_i64().expect("undo id"));
        assert_eq!(undo["number_succeed"], n as i64, "{undo}");
        println!("{key}={:.0}", n as f64 / start.elapsed().as_secs_f64());
    }
}

/// Phase 6: logins while three large CSV uploads are being stored, on a server and database of
/// its own (what earlier phases left in the allocator is not the uploads'). Storing is done a
/// chunk per transaction, and a login writes nothing (the session writer stores its session),
/// so a login never waits for an upload.
fn three_uploads(rows: usize) {
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

fn run(o: &Options) {
    if o.register_rows > 0 {
        register(o.register_rows);
    }
    if o.round_trip_rows > 0 {
        round_trip(o.round_trip_rows);
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
    let ids: Vec<i64> = {
        let conn = rusqlite::Connection::open(&database).expect("open");
        let mut stmt = conn
            .prepare("SELECT id FROM asset WHERE name LIKE 'imp-%' ORDER BY id")
            .expect("ids");
        let ids = stmt.query_map([], |r| r.get(0)).expect("ids");
        ids.collect::<Result<_, _>>().expect("ids")
    };
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
            let (status, answer) = client.request(
                "POST",
                &format!("/api/asset/{session}"),
                "application/json",
                body.as_bytes(),
            );
            assert_eq!(status, 200, "{}", String::from_utf8_lossy(&answer));
            let answer: Value = serde_json::from_slice(&answer).expect("JSON");
            big.push(answer["data"]["id"].as_i64().expect("task id"));
        }
        // Both large ones running.
        while big.iter().any(|id| {
            let task = client.json("GET", &format!("/api/async_task/{session}/{id}"), "");
            task["data"]["number_done"] == 0
        }) {
            std::thread::sleep(Duration::from_millis(5));
        }
        let small = import_body("small", 10);
        let (status, answer) = client.request(
            "POST",
            &format!("/api/asset/{session}"),
            "application/json",
            small.as_bytes(),
        );
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&answer));
        let accepted = Instant::now();
        let answer: Value = serde_json::from_slice(&answer).expect("JSON");
        let task = client.wait(&session, answer["data"]["id"].as_i64().expect("task id"));
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
