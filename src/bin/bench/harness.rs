//! The benchmark's harness: the server in a child process, a minimal HTTP client, the bodies it
//! sends, and SQLite's own insert rate as the reference.

use super::PASSWORD;
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The server side: the same `assetport::build` the binary runs, on the given database/port.
pub(crate) fn serve(database: &Path, port: u16) {
    let figment = assetport::figment()
        .merge(("database", database))
        .merge(("port", port))
        .merge(("address", "127.0.0.1"))
        .merge(("demo", true))
        .merge(("admin_password", "bench-admin"))
        .merge(("open_browser", false))
        .merge(("log_level", "off"));
    rocket::execute(async move {
        let (figment, front) = assetport::bind_front(figment).expect("listen");
        let rocket = assetport::build(figment).expect("build server");
        let _ = assetport::launch(rocket, Some(front)).await;
    });
}

pub(crate) struct Server {
    pub(crate) child: Child,
    pub(crate) client: Client,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    pub(crate) fn start(database: &Path) -> Server {
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
    pub(crate) fn peak_rss_mb(&self) -> f64 {
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
    pub(crate) fn reset_peak(&self) {
        let _ = std::fs::write(format!("/proc/{}/clear_refs", self.child.id()), "5");
    }
}

/// A minimal HTTP/1.1 client: one connection per request, as a browser's fetch may do.
#[derive(Clone, Copy)]
pub(crate) struct Client {
    pub(crate) port: u16,
}

impl Client {
    pub(crate) fn request(
        &self,
        method: &str,
        path: &str,
        content_type: &str,
        body: &[u8],
    ) -> (u16, Vec<u8>) {
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

    pub(crate) fn get(&self, path: &str) -> (u16, Vec<u8>) {
        self.request("GET", path, "application/json", b"")
    }

    pub(crate) fn json(&self, method: &str, path: &str, body: &str) -> Value {
        let (status, bytes) = self.request(method, path, "application/json", body.as_bytes());
        let value: Value = serde_json::from_slice(&bytes).expect("JSON answer");
        assert_eq!(status, 200, "{method} {path}: {value}");
        value
    }

    pub(crate) fn login(&self) -> String {
        self.login_as("liusn")
    }

    pub(crate) fn login_as(&self, name: &str) -> String {
        let body = json!({"identity": name, "password": PASSWORD}).to_string();
        self.json("POST", "/api/login", &body)["data"]["session"]
            .as_str()
            .expect("session")
            .to_owned()
    }

    /// POSTs a JSON body that creates a task; returns the task's id.
    pub(crate) fn post_task(&self, path: &str, body: &[u8]) -> i64 {
        let (status, answer) = self.request("POST", path, "application/json", body);
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&answer));
        let answer: Value = serde_json::from_slice(&answer).expect("JSON");
        answer["data"]["id"].as_i64().expect("task id")
    }

    /// Asks a task to `act` (confirm, undo) and checks it was accepted; returns the answer.
    pub(crate) fn act(&self, session: &str, id: i64, act: &str) -> Value {
        let answer = self.json(
            "POST",
            &format!("/api/async_task/{session}/{id}/{act}"),
            "{}",
        );
        assert_eq!(answer["code"], 0, "{answer}");
        answer
    }

    pub(crate) fn wait(&self, session: &str, id: i64) -> Value {
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
pub(crate) fn csv_body(prefix: &str, n: usize) -> String {
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
pub(crate) fn login_latencies(
    port: u16,
    stop: &std::sync::atomic::AtomicBool,
) -> (Vec<f64>, Vec<u16>) {
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
pub(crate) fn import_body(prefix: &str, n: usize) -> String {
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
pub(crate) struct Timing {
    pub(crate) accept: f64,
    pub(crate) total: f64,
}

/// A phase of its own: a server on a fresh database (`file` in a temporary folder) with `n`
/// assets imported through the API (named `{prefix}-{i}`), and liusn's session.
pub(crate) struct Phase {
    pub(crate) server: Server,
    pub(crate) session: String,
    pub(crate) database: std::path::PathBuf,
    /// How long the import took.
    pub(crate) import: Timing,
    // Last: removed after the server has stopped.
    _dir: tempfile::TempDir,
}

impl Phase {
    pub(crate) fn start(file: &str, prefix: &str, n: usize) -> Phase {
        let dir = tempfile::tempdir().expect("temp dir");
        let database = dir.path().join(file);
        let server = Server::start(&database);
        let session = server.client.login();
        let body = import_body(prefix, n);
        let (_, import) = submit(
            &server.client,
            &session,
            body.as_bytes(),
            "/api/asset",
            "application/json",
        );
        Phase {
            server,
            session,
            database,
            import,
            _dir: dir,
        }
    }

    /// The phase's temporary folder (its database's).
    pub(crate) fn dir(&self) -> &Path {
        self._dir.path()
    }
}

/// Submits a task and waits for it; every row must succeed.
pub(crate) fn submit(
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

/// The ids of the assets whose names are `{prefix}-…`, in id order, read from the database.
pub(crate) fn asset_ids(database: &Path, prefix: &str) -> Vec<i64> {
    let conn = rusqlite::Connection::open(database).expect("open");
    let mut stmt = conn
        .prepare("SELECT id FROM asset WHERE name LIKE ?1 || '-%' ORDER BY id")
        .expect("ids");
    let ids = stmt.query_map([prefix], |r| r.get(0)).expect("ids");
    ids.collect::<Result<_, _>>().expect("ids")
}

/// The same rows straight into the asset table: one prepared statement, one transaction.
pub(crate) fn raw_insert(database: &Path, n: usize) -> f64 {
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
    let today = assetport::clock::today_day();
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

pub(crate) fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}
