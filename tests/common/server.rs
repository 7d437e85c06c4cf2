//! The real binary as a child process on a free port, and a minimal HTTP/1.1 client for it.

use serde_json::Value;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Server {
    pub child: Child,
    pub port: u16,
    pub log: PathBuf,
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

impl Server {
    /// Starts `assetport` on `database` with the demo company and waits until it answers.
    pub fn start(database: &Path, extra_env: &[(&str, &str)]) -> Server {
        Self::start_in(Path::new(env!("CARGO_MANIFEST_DIR")), database, extra_env)
    }

    /// Like `start`, with `dir` as the working folder (where `Rocket.toml` is looked for).
    pub fn start_in(dir: &Path, database: &Path, extra_env: &[(&str, &str)]) -> Server {
        let port = free_port();
        // Beside the database, or in its nearest folder that exists (the server creates the
        // rest).
        let mut log_dir = database.parent().unwrap_or(Path::new("."));
        while !log_dir.as_os_str().is_empty() && !log_dir.is_dir() {
            log_dir = log_dir.parent().unwrap_or(Path::new("."));
        }
        let stem = database
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("db");
        let log = log_dir.join(format!("{stem}.stderr-{port}.log"));
        let stderr = std::fs::File::create(&log).expect("log file");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_assetport"));
        cmd.current_dir(dir)
            .env("ROCKET_ADDRESS", "127.0.0.1")
            .env("ROCKET_PORT", port.to_string())
            .env("ROCKET_DATABASE", database)
            .env("ROCKET_DEMO", "true")
            .env("ROCKET_ADMIN_PASSWORD", super::ADMIN_PASSWORD)
            // A test opens no browser (one that checks the opening sets it, and BROWSER).
            .env("ROCKET_OPEN_BROWSER", "false")
            .stdout(Stdio::null())
            .stderr(stderr);
        for (k, v) in extra_env {
            cmd.env(k, v);
        }
        let child = cmd.spawn().expect("start assetport");
        let mut server = Server { child, port, log };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return server;
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                let log = std::fs::read_to_string(&server.log).unwrap_or_default();
                panic!("assetport exited at start ({status}): {log}");
            }
            assert!(Instant::now() < deadline, "assetport did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGKILL: no shutdown, no flush, nothing.
    pub fn kill(mut self) {
        self.child.kill().expect("kill");
        self.child.wait().expect("wait");
    }

    /// One request; returns (status, JSON body).
    pub fn request(&self, method: &str, path: &str, body: Option<&str>) -> (u16, Value) {
        let (status, bytes) = self.request_bytes(method, path, body.map(str::as_bytes));
        let text = String::from_utf8_lossy(&bytes);
        let json = serde_json::from_str(&text)
            .unwrap_or_else(|_| panic!("not JSON ({status}) for {method} {path}: {text:.300}"));
        (status, json)
    }

    pub fn request_bytes(&self, method: &str, path: &str, body: Option<&[u8]>) -> (u16, Vec<u8>) {
        self.try_request_bytes(method, path, body)
            .expect("header end")
    }

    /// `request_bytes`, or None when the server closed the connection without an answer (the
    /// front door takes back the place of a connection still sending its head when its address
    /// is at `max_connections_per_address`).
    pub fn try_request_bytes(
        &self,
        method: &str,
        path: &str,
        body: Option<&[u8]>,
    ) -> Option<(u16, Vec<u8>)> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
        let body = body.unwrap_or(b"");
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        stream.write_all(head.as_bytes()).expect("write head");
        // A server may answer (413, 401) without reading a body it will not take, and close:
        // the rest of the write then fails, and the answer is still there to read.
        let _ = stream.write_all(body);
        let mut raw = Vec::new();
        // A connection the server closed with part of the request unread ends in a reset
        // rather than an end of file: unanswered, like one closed before its answer.
        if let Err(e) = stream.read_to_end(&mut raw) {
            assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset, "read: {e}");
        }
        let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
        let head = String::from_utf8_lossy(&raw[..split]).to_string();
        let status = head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .expect("status");
        let mut body = raw[split + 4..].to_vec();
        if head
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked")
        {
            body = dechunk(&body);
        }
        Some((status, body))
    }

    pub fn get(&self, path: &str) -> (u16, Value) {
        self.request("GET", path, None)
    }

    pub fn post(&self, path: &str, body: &str) -> (u16, Value) {
        self.request("POST", path, Some(body))
    }

    /// One task's record (`GET /api/async_task/{session}/{id}`).
    pub fn task(&self, session: &str, id: i64) -> Value {
        let (status, body) = self.get(&format!("/api/async_task/{session}/{id}"));
        assert_eq!((status, &body["code"]), (200, &Value::from(0)), "{body}");
        body["data"].clone()
    }

    /// Polls a task until it has done part of its rows and not all (to kill the server then);
    /// fails if it ends first.
    pub fn wait_part_done(&self, session: &str, id: i64) {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let t = self.task(session, id);
            assert_eq!(
                t["finish"], 0,
                "the task ended before it could be killed: {t}"
            );
            if t["number_done"].as_i64().unwrap_or(0) > 0 {
                return;
            }
            assert!(Instant::now() < deadline, "never started: {t}");
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// Polls a task until it is done (finish 1 or 2) and returns its record.
    pub fn wait_task(&self, session: &str, id: i64) -> Value {
        let deadline = Instant::now() + Duration::from_secs(300);
        // Small tasks end in a millisecond or two: poll fast first, then back off.
        let mut pause = Duration::from_millis(1);
        loop {
            let task = self.task(session, id);
            if task["finish"] != 0 {
                return task;
            }
            assert!(
                Instant::now() < deadline,
                "task {id} did not finish: {task}"
            );
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(20));
        }
    }

    /// Imports `n` assets of CST with long descriptions as `session` (liusn) and exports them
    /// all: records and CSV of several MiB, far past what socket buffers hold. Returns the
    /// (import, export) task ids.
    pub fn large_export(&self, session: &str, n: usize) -> (i64, i64) {
        let rows: Vec<Value> = (0..n)
            .map(|i| {
                let mut row = super::row(&format!("设备{i}"), "liusn", "CST");
                row["description"] = Value::from("说明".repeat(100));
                row
            })
            .collect();
        let (status, body) = self.post(
            &format!("/api/asset/{session}"),
            &Value::from(rows).to_string(),
        );
        assert_eq!(status, 200, "{body}");
        let import = body["data"]["id"].as_i64().unwrap();
        assert_eq!(self.wait_task(session, import)["number_succeed"], n);
        let ids: Vec<i64> = (1..=n as i64).collect();
        let (status, body) = self.post(
            &format!("/api/export_task/{session}"),
            &Value::from(ids).to_string(),
        );
        assert_eq!(status, 200, "{body}");
        let export = body["data"]["id"].as_i64().unwrap();
        assert_eq!(self.wait_task(session, export)["number_succeed"], n);
        (import, export)
    }

    /// Submits the import `body` (a JSON array of rows) and returns its task's id.
    pub fn import(&self, session: &str, body: &str) -> i64 {
        let (status, answer) = self.post(&format!("/api/asset/{session}"), body);
        assert_eq!(status, 200, "{answer}");
        answer["data"]["id"].as_i64().expect("task id")
    }

    /// The names of every asset `session` sees, read page by page: there must be `total`, and
    /// no name twice (an import that ran a row twice would show it).
    pub fn asset_names_once(&self, session: &str, total: i64) -> std::collections::HashSet<String> {
        let mut names = std::collections::HashSet::new();
        let mut page = 1;
        loop {
            let (status, body) = self.post(
                &format!("/api/search_assets/{session}"),
                &serde_json::json!({"page": page, "size": 1000}).to_string(),
            );
            assert_eq!(status, 200, "{body}");
            assert_eq!(body["total"].as_i64().unwrap(), total);
            for asset in body["data"].as_array().unwrap() {
                let name = asset["name"].as_str().unwrap().to_owned();
                assert!(names.insert(name.clone()), "{name} imported twice");
            }
            if page >= body["pages"].as_i64().unwrap() {
                break;
            }
            page += 1;
        }
        assert_eq!(names.len() as i64, total);
        names
    }

    pub fn login(&self, name: &str, password: &str) -> String {
        let (status, body) = self.post(
            "/api/login",
            &serde_json::json!({"identity": name, "password": password}).to_string(),
        );
        assert_eq!(status, 200, "{body}");
        body["data"]["session"]
            .as_str()
            .expect("session")
            .to_owned()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(eol) = data.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let size =
            usize::from_str_radix(String::from_utf8_lossy(&data[..eol]).trim(), 16).unwrap_or(0);
        if size == 0 {
            return out;
        }
        let start = eol + 2;
        out.extend_from_slice(&data[start..start + size]);
        data = &data[start + size + 2..];
    }
}

/// A connection whose client reads slowly: its receive buffer is kept small, so what the
/// server streams stays in flight instead of ending early inside the kernel's buffers
/// (which autotune to megabytes on loopback).
pub fn slow_reader(port: u16) -> TcpStream {
    let socket =
        socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).expect("socket");
    socket.set_recv_buffer_size(16 * 1024).expect("SO_RCVBUF");
    let address: std::net::SocketAddr = ([127, 0, 0, 1], port).into();
    socket.connect(&address.into()).expect("connect");
    socket.into()
}
