//! A first start as a double-click makes it, on the real binary: the database in the user's
//! data folder whatever folder the program starts in, no invented password (the first-start
//! page, for this machine only, sets it; every other endpoint answers code 17 until then), the
//! page opened in the browser, start lines a person can use, and a taken port answered plainly
//! (or, taken by assetport itself, with its page).

use crate::common;

use common::server::{free_port, Server};
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const PENDING: i64 = 17;

/// A request with the `Host` the client names the server by.
fn request_as(server: &Server, host: &str, method: &str, path: &str, body: &str) -> (u16, Value) {
    let mut stream = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    let mut raw = String::new();
    stream.read_to_string(&mut raw).unwrap();
    let status = raw.split_whitespace().nth(1).unwrap().parse().unwrap();
    let body = raw.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

fn log_of(server: &Server) -> String {
    std::fs::read_to_string(&server.log).unwrap_or_default()
}

/// Waits until the server's log has `text`.
fn wait_log(server: &Server, text: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let log = log_of(server);
        if log.contains(text) || Instant::now() > deadline {
            return log;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A `BROWSER` that writes the URL it is given to `file`.
fn recording_browser(dir: &Path, file: &Path) -> String {
    let script = dir.join("browser.sh");
    std::fs::write(
        &script,
        format!("#!/bin/sh\necho \"$1\" >> '{}'\n", file.display()),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    script.display().to_string()
}

fn wait_file(file: &Path) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if let Ok(text) = std::fs::read_to_string(file) {
            if !text.is_empty() {
                return text;
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("{} was never written", file.display());
}

#[test]
fn without_admin_password_only_the_first_start_page_answers_until_it_is_done() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("db.sqlite3");
    let opened = dir.path().join("opened.txt");
    let browser = recording_browser(dir.path(), &opened);
    let env = [
        ("ROCKET_ADMIN_PASSWORD", ""),
        ("ROCKET_DEMO", "false"),
        ("ROCKET_OPEN_BROWSER", "true"),
        ("BROWSER", browser.as_str()),
    ];
    let server = Server::start(&database, &env);
    let local = format!("http://localhost:{}/", server.port);
    assert_eq!(
        wait_file(&opened).trim(),
        local,
        "the page opened in the browser"
    );
    let log = wait_log(&server, "Ctrl-C");
    assert!(!log.contains("password:"), "no password invented: {log}");
    for part in [
        database.display().to_string(),
        format!("http://127.0.0.1:{}/", server.port),
        format!("first start: open {local}"),
        "reset-password admin".into(),
        "Ctrl-C".into(),
    ] {
        assert!(log.contains(&part), "{part}: {log}");
    }

    // Every other endpoint, with or without /api, answers the code; the page and about do not.
    let login = json!({"identity": "admin", "password": "whatever1"}).to_string();
    for (method, path, body) in [
        ("POST", "/api/login", login.as_str()),
        ("GET", "/api/character/abcdefghijabcdefghijabcdefghij12", ""),
        ("GET", "/async_task/abcdefghijabcdefghijabcdefghij12/1", ""),
        ("GET", "/api/no_such_thing", ""),
        ("GET", "/api/setup/required", ""),
    ] {
        let (status, answer) = request_as(&server, "127.0.0.1", method, path, body);
        assert_eq!(
            (status, answer["code"].as_i64()),
            (503, Some(PENDING)),
            "{path}: {answer}"
        );
        assert!(answer["info"]
            .as_str()
            .unwrap()
            .contains("reset-password admin"));
    }
    // The log says what was asked, not where the gate sent it.
    let log = wait_log(&server, "POST /api/login -> 503");
    assert!(log.contains("POST /api/login -> 503"), "{log}");
    assert!(log.contains("GET /async_task/********/1 -> 503"), "{log}");
    assert_eq!(server.request_bytes("GET", "/", None).0, 200);
    let (status, about) = server.get("/api/about");
    assert_eq!(status, 200);
    assert_eq!(about["data"]["name"], "assetport");
    let (_, state) = server.get("/api/setup");
    assert_eq!(
        state["data"],
        json!({"pending": true, "local": true, "demo": false})
    );

    // Refused, changing nothing: another machine's name for the server (a proxy, a page that
    // rebound its name to 127.0.0.1), a short password, two that differ.
    let form = |p: &str, again: &str| {
        json!({"password": p, "password_again": again, "demo": true}).to_string()
    };
    let (status, answer) = request_as(
        &server,
        "assets.example.com",
        "POST",
        "/api/setup",
        &form("secret-1", "secret-1"),
    );
    assert_eq!(
        (status, answer["code"].as_i64()),
        (403, Some(19)),
        "{answer}"
    );
    let (_, state) = request_as(&server, "assets.example.com", "GET", "/api/setup", "");
    assert_eq!(state["data"]["local"], false);
    let (status, answer) = server.post("/api/setup", &form("short", "short"));
    assert_eq!(
        (status, answer["code"].as_i64()),
        (400, Some(-2)),
        "{answer}"
    );
    let (status, answer) = server.post("/api/setup", &form("secret-1", "secret-2"));
    assert_eq!(
        (status, answer["code"].as_i64()),
        (400, Some(-2)),
        "{answer}"
    );
    assert_eq!(server.post("/api/login", &login).1["code"], PENDING);

    // Done from this machine, with the demo company.
    let (status, answer) = server.post("/api/setup", &form("secret-1", "secret-1"));
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["data"]["demo"], true);
    let admin = server.login("admin", "secret-1");
    server.login("liusn", common::DEMO_PASSWORD);
    let (status, answer) = server.post("/api/setup", &form("secret-3", "secret-3"));
    assert_eq!(
        (status, answer["code"].as_i64()),
        (409, Some(18)),
        "{answer}"
    );
    server.login("admin", "secret-1");
    let (_, journal) = server.get(&format!("/api/journal/{admin}?kind=setup_done"));
    assert_eq!(journal["total"], 1, "{journal}");
    assert_eq!(journal["data"][0]["address"], "127.0.0.1");
    assert_eq!(server.get("/api/setup").1["data"]["pending"], false);
}

/// A headless server: `assetport reset-password admin` on the machine ends the first start too,
/// while the server runs.
#[test]
fn reset_password_on_the_machine_completes_the_first_start() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("db.sqlite3");
    let server = Server::start(&database, &[("ROCKET_ADMIN_PASSWORD", "")]);
    let login = json!({"identity": "liusn", "password": common::DEMO_PASSWORD}).to_string();
    assert_eq!(server.post("/api/login", &login).1["code"], PENDING);
    let mut child = Command::new(env!("CARGO_BIN_EXE_assetport"))
        .args(["reset-password", "admin"])
        .env("ROCKET_DATABASE", &database)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"from-the-shell\n")
        .unwrap();
    assert!(child.wait().unwrap().success());
    server.login("admin", "from-the-shell");
    server.login("liusn", common::DEMO_PASSWORD);
}

#[test]
fn the_database_is_in_the_users_data_folder_whatever_the_working_folder() {
    let dir = tempfile::tempdir().unwrap();
    let xdg = dir.path().join("xdg");
    let cwd = dir.path().join("anywhere");
    std::fs::create_dir(&cwd).unwrap();
    let expected = xdg.join("assetport").join("assetport.sqlite3");
    let env = [
        ("ROCKET_DATABASE", ""),
        ("XDG_DATA_HOME", xdg.to_str().unwrap()),
    ];
    let server = Server::start_in(&cwd, &expected, &env);
    let log = wait_log(&server, "Ctrl-C");
    assert!(expected.is_file(), "{log}");
    assert!(
        log.contains(&format!("database: {}", expected.display())),
        "{log}"
    );
    assert!(!cwd.join("data").exists());
    drop(server);

    // A register an older version made in the working folder keeps being used, and the log
    // says so.
    let legacy = cwd.join("data/assetport.sqlite3");
    std::fs::create_dir(cwd.join("data")).unwrap();
    std::fs::copy(&expected, &legacy).unwrap();
    let server = Server::start_in(&cwd, &legacy, &env);
    let log = wait_log(&server, "Ctrl-C");
    assert!(log.contains("using the existing database"), "{log}");
    assert!(
        log.contains(&format!("database: {}", legacy.display())),
        "{log}"
    );
}

/// Runs the binary on `port` until it exits (it must, the port being taken).
fn start_on_taken(dir: &Path, port: u16, env: &[(&str, &str)]) -> (Option<i32>, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_assetport"));
    command
        .env("ROCKET_ADDRESS", "127.0.0.1")
        .env("ROCKET_PORT", port.to_string())
        .env("ROCKET_DATABASE", dir.join("second.sqlite3"))
        .env("ROCKET_ADMIN_PASSWORD", "second-pass")
        .env("ROCKET_OPEN_BROWSER", "false")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (k, v) in env {
        command.env(k, v);
    }
    let out = command.output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_taken_port_is_named_with_its_setting_and_another_assetport_is_opened_instead() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let holder = std::net::TcpListener::bind(("127.0.0.1", port)).unwrap();
    let (code, said) = start_on_taken(dir.path(), port, &[]);
    assert_eq!(code, Some(1), "{said}");
    assert!(
        said.contains(&format!("port {port}")) && said.contains("ROCKET_PORT"),
        "{said}"
    );
    drop(holder);

    let server = Server::start(&dir.path().join("db.sqlite3"), &[]);
    let opened = dir.path().join("opened.txt");
    let browser = recording_browser(dir.path(), &opened);
    let env = [
        ("ROCKET_OPEN_BROWSER", "true"),
        ("BROWSER", browser.as_str()),
    ];
    let (code, said) = start_on_taken(dir.path(), server.port, &env);
    assert_eq!(code, Some(0), "{said}");
    assert!(said.contains("already running"), "{said}");
    assert_eq!(
        wait_file(&opened).trim(),
        format!("http://localhost:{}/", server.port)
    );
}
