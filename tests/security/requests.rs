//! Issue 10's findings about request bodies, settings, names in paths, caching and the start-up
//! error, each proved through the real binary or the in-process client on a fresh database.

use crate::common;

use common::server::Server;
use common::{App, DEMO_PASSWORD};
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// Sends the head of a request that declares `length` body bytes and only the first 64 of them
/// (Rocket peeks at a body's first bytes before routing), then reads the answer. A server that
/// reads the body before answering never answers: the read times out and this returns None.
fn answer_without_body(server: &Server, method: &str, path: &str, length: u64) -> Option<Value> {
    let mut stream = TcpStream::connect(("127.0.0.1", server.port)).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {length}\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(&[b'['; 64]).unwrap();
    let mut raw = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => raw.extend_from_slice(&buf[..n]),
            // Answered, then the server closed while the body was still owed: fine.
            Err(_) if !raw.is_empty() => break,
            Err(_) => return None,
        }
    }
    let text = String::from_utf8_lossy(&raw).to_string();
    let (head, body) = text.split_once("\r\n\r\n")?;
    let status: u16 = head.split_whitespace().nth(1)?.parse().ok()?;
    let mut body: Value = serde_json::from_str(body.trim()).ok()?;
    body["status"] = json!(status);
    Some(body)
}

#[test]
fn item_2_no_body_is_read_before_the_session_and_role_pass() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("db.sqlite3"), &[]);
    let staff = server.login("zhangsan", DEMO_PASSWORD);
    let manager = server.login("liusn", DEMO_PASSWORD);
    let hundred_mib = 100 << 20;
    let unknown = "A".repeat(32);
    let cases = [
        // No account: a bulk body is never read.
        ("POST", format!("/api/asset/{unknown}"), hundred_mib, 401, 1),
        (
            "POST",
            format!("/api/export_task/{unknown}"),
            hundred_mib,
            401,
            1,
        ),
        (
            "PUT",
            format!("/failed_task/{unknown}/1"),
            hundred_mib,
            401,
            1,
        ),
        (
            "POST",
            format!("/api/asset_file/{unknown}"),
            hundred_mib,
            401,
            1,
        ),
        ("POST", "/api/asset/short".to_owned(), hundred_mib, 401, 2),
        // A small endpoint with a dead session.
        (
            "POST",
            format!("/api/post_asset/{unknown}"),
            hundred_mib,
            401,
            1,
        ),
        // A live session whose role may not create tasks: refused before the body too.
        ("POST", format!("/api/asset/{staff}"), hundred_mib, 403, 1),
        (
            "POST",
            format!("/api/asset_file/{staff}"),
            hundred_mib,
            403,
            1,
        ),
        // Login takes a small body only; a declared length past it is refused at once.
        ("POST", "/api/login".to_owned(), hundred_mib, 413, -2),
        ("POST", "/api/login".to_owned(), 1 << 20, 413, -2),
        // A manager's small endpoint is small too.
        (
            "POST",
            format!("/api/post_asset/{manager}"),
            1 << 20,
            413,
            -2,
        ),
        (
            "POST",
            format!("/api/search_assets/{manager}"),
            1 << 20,
            413,
            -2,
        ),
    ];
    for (method, path, length, status, code) in cases {
        let answer = answer_without_body(&server, method, &path, length)
            .unwrap_or_else(|| panic!("{method} {path}: no answer without the body"));
        assert_eq!(
            (answer["status"].as_u64(), answer["code"].as_i64()),
            (Some(status), Some(code)),
            "{method} {path}: {answer}"
        );
    }
    // Still up, and a real import of the manager still goes through.
    let rows = json!([common::row("椅子", "liusn", "CST")]).to_string();
    let (status, body) = server.post(&format!("/api/asset/{manager}"), &rows);
    assert_eq!(status, 200, "{body}");
}

#[test]
fn item_2_small_endpoints_have_a_small_limit_and_bulk_ones_a_large_one() {
    let app = App::new();
    let manager = app.demo("liusn");
    let before = app.digest();
    let big = "x".repeat(70 * 1024);
    app.post("/api/login", &json!({"identity": big, "password": "p"}))
        .err(413, -2, "请求体超过大小限制");
    let mut row = common::row("椅子", "liusn", "CST");
    row["description"] = json!(big);
    app.post(&format!("/api/post_asset/{manager}"), &row)
        .err(413, -2, "请求体超过大小限制");
    assert_eq!(app.digest(), before);
    // The same 70 KiB is a small import: the bulk limit takes it (the row fails its length rule).
    let id = app
        .post(&format!("/api/asset/{manager}"), &json!([row]))
        .ok()["id"]
        .as_i64()
        .unwrap();
    let task = app.wait_task(&manager, id);
    assert_eq!(task["number_failed"], 1, "{task}");
}

fn start_with(env: &[(&str, &str)]) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_assetport"));
    cmd.current_dir(dir.path())
        .env("ROCKET_DATABASE", dir.path().join("db.sqlite3"))
        .env("ROCKET_PORT", common::server::free_port().to_string());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

#[test]
fn item_18_settings_out_of_range_stop_the_start_with_their_reason() {
    for (key, value, says) in [
        (
            "ROCKET_SESSION_TTL_HOURS",
            "18446744073709551615",
            "session_ttl_hours must be at most 87600",
        ),
        (
            "ROCKET_SESSION_TTL_HOURS",
            "0",
            "session_ttl_hours must be at least 1",
        ),
        (
            "ROCKET_TASK_WORKERS",
            "100000",
            "task_workers must be at most",
        ),
        (
            "ROCKET_TASK_BATCH_ROWS",
            "100000000",
            "task_batch_rows must be at most",
        ),
    ] {
        let output = start_with(&[(key, value)]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{key}={value}: {stderr}");
        assert!(stderr.contains(says), "{key}={value}: {stderr}");
    }
}

#[test]
fn item_19_names_that_cannot_travel_in_a_path_are_refused() {
    let app = App::new();
    let admin = app.demo("sysadmin");
    let manager = app.demo("liusn");
    let root = app.login("admin", common::ADMIN_PASSWORD);
    let before = app.digest();
    let refused =
        |field: &str| format!("名称不合法：[{field}]（不能是.或..，不能包含 / \\ ? # % 字符）");
    for name in ["..", ".", "a/b", "研发/二部", "a\\b", "a?b", "a#b", "100%"] {
        app.post(
            &format!("/api/department/{admin}"),
            &json!({"name": name, "parent": ""}),
        )
        .err(400, -2, &refused("name"));
        app.post(
            &format!("/api/asset_tree/{manager}"),
            &json!({"name": name, "parent": "", "department": "CST"}),
        )
        .err(400, -2, &refused("name"));
        app.post(&format!("/api/entity/{root}"), &json!({"name": name}))
            .err(400, -2, &refused("name"));
    }
    assert_eq!(app.digest(), before);
    // A name with dots and spaces inside is fine, and can be managed and deleted by its path.
    app.post(
        &format!("/api/department/{admin}"),
        &json!({"name": "研发 v1.2", "parent": ""}),
    )
    .ok();
    app.delete(&format!(
        "/api/department/{admin}/{}",
        common::enc("研发 v1.2")
    ))
    .ok();
}

#[test]
fn item_21_api_answers_and_downloads_are_not_cached() {
    let app = App::new();
    let manager = app.demo("liusn");
    for path in [
        format!("/api/character/{manager}"),
        format!("/api/async_task/{manager}"),
        format!("/api/asset_template/{manager}?format=csv"),
        format!("/api/asset_user_list/{manager}/1"),
        format!("/failed_task/{manager}/999"),
        "/api/no_such_endpoint".to_owned(),
    ] {
        let res = app.client.get(path.as_str()).dispatch();
        assert_eq!(
            res.headers().get_one("Cache-Control"),
            Some("no-store"),
            "{path}"
        );
    }
    let res = app
        .client
        .post("/api/login")
        .body(json!({"identity": "liusn", "password": DEMO_PASSWORD}).to_string())
        .dispatch();
    assert_eq!(res.headers().get_one("Cache-Control"), Some("no-store"));
}

/// As root, file modes do not stop writes: the start runs as `nobody` (through runuser), which is
/// how a service account meets a database it may only read.
#[test]
fn item_22_a_read_only_database_stops_the_start_naming_the_file() {
    let root = std::process::Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false);
    let runuser = std::path::Path::new("/usr/sbin/runuser").exists()
        || std::path::Path::new("/sbin/runuser").exists();
    if !root || !runuser {
        println!("SKIPPED: needs root and runuser to start the server as another user");
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("db.sqlite3");
    // Made by a first start, as root.
    drop(Server::start(&database, &[]));
    let binary = dir.path().join("assetport");
    std::fs::copy(env!("CARGO_BIN_EXE_assetport"), &binary).unwrap();
    let mode = |path: &std::path::Path, m: u32| {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(m)).unwrap()
    };
    mode(dir.path(), 0o755);
    mode(&binary, 0o755);
    mode(&database, 0o444);
    for extra in ["db.sqlite3-wal", "db.sqlite3-shm"] {
        let _ = std::fs::remove_file(dir.path().join(extra));
    }
    // The log file stays writable: this is about the database.
    let log = dir.path().join("assetport.log");
    if log.exists() {
        mode(&log, 0o666);
    }
    let output = std::process::Command::new("runuser")
        .args(["-u", "nobody", "--", "env"])
        .arg(format!("ROCKET_DATABASE={}", database.display()))
        .arg(format!("ROCKET_PORT={}", common::server::free_port()))
        .arg(&binary)
        .current_dir(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&database.display().to_string()),
        "the error does not name the file: {stderr}"
    );
    // SQLite's word for it, or the lock's beside it (which is met first when the folder is
    // read-only too).
    assert!(
        stderr.contains("readonly") || stderr.contains("read-only"),
        "{stderr}"
    );
}

/// Reads until the server closes the connection (true) or `within` passes (false).
fn closed_within(stream: &mut TcpStream, within: Duration) -> bool {
    stream.set_read_timeout(Some(within)).unwrap();
    let mut buf = [0u8; 1024];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return true,
            Err(_) => return false,
        }
    }
}

/// A login over its own connection, with a read timeout: None if the server never answers.
fn login_within(server: &Server, within: Duration) -> Option<u16> {
    let mut stream = TcpStream::connect(("127.0.0.1", server.port)).ok()?;
    stream.set_read_timeout(Some(within)).unwrap();
    let body = json!({"identity": "liusn", "password": DEMO_PASSWORD}).to_string();
    let request = format!(
        "POST /api/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).ok()?;
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw);
    text.split_whitespace().nth(1)?.parse().ok()
}

#[test]
fn item_14_half_open_and_slow_clients_cannot_starve_the_others() {
    let _ = rlimit::increase_nofile_limit(u64::MAX);
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(
        &dir.path().join("db.sqlite3"),
        &[
            ("ROCKET_MAX_CONNECTIONS", "200"),
            ("ROCKET_HEADER_TIMEOUT_SECS", "2"),
            ("ROCKET_CLIENT_TIMEOUT_SECS", "3"),
        ],
    );
    // 1,100 connections that start a request head and never finish it: more than the server
    // keeps open. The oldest make room for newcomers, and a real client still gets in.
    let mut half_open = Vec::new();
    for _ in 0..1100 {
        let mut stream = TcpStream::connect(("127.0.0.1", server.port)).expect("connect");
        stream.write_all(b"GET /api/character/").unwrap();
        half_open.push(stream);
    }
    assert_eq!(login_within(&server, Duration::from_secs(20)), Some(200));
    // Each of them is closed by the head timeout (or was closed to make room).
    for stream in half_open.iter_mut().rev().take(50) {
        assert!(closed_within(stream, Duration::from_secs(10)));
    }

    // A client that sends a head but not the body it announced is cut off, and so is one
    // that never reads its answer.
    let mut slow = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    slow.write_all(
        b"POST /api/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
          Content-Length: 1000\r\n\r\n{\"identity\":",
    )
    .unwrap();
    assert!(closed_within(&mut slow, Duration::from_secs(10)));

    // A head larger than 64 KiB is refused in the envelope.
    let mut big = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    let head = format!(
        "GET /api/character/x HTTP/1.1\r\nHost: x\r\nX-Padding: {}\r\n\r\n",
        "a".repeat(70_000)
    );
    let _ = big.write_all(head.as_bytes());
    big.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut raw = Vec::new();
    let _ = big.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw);
    assert!(text.starts_with("HTTP/1.1 431"), "{text}");
    assert!(text.contains("\"code\":-2"), "{text}");

    assert_eq!(login_within(&server, Duration::from_secs(20)), Some(200));
}

fn names_of_tasks(app: &App, session: &str) -> Vec<i64> {
    common::ids(app.get(&format!("/api/async_task/{session}")).ok())
}

#[test]
fn item_5_a_rerun_runs_with_the_senders_rights_and_managers_see_only_their_scope() {
    let app = App::new();
    let sysadmin = app.demo("sysadmin");
    let liusn = app.demo("liusn");
    app.post(
        &format!("/api/department/{sysadmin}"),
        &json!({"name": "行政部", "parent": ""}),
    )
    .ok();
    app.post(
        &format!("/api/user/{sysadmin}"),
        &json!({"name": "xingzheng", "password": "secret1", "department": "行政部", "character": 1}),
    )
    .ok();
    app.post(
        &format!("/api/user/{sysadmin}"),
        &json!({"name": "wangwu", "password": "secret1", "department": "软件组", "character": 2}),
    )
    .ok();
    let wangwu = app.login("wangwu", "secret1");

    // The finding: the system admin's failed import, re-run by a manager of CST, created an
    // asset in 行政部. Now the manager does not see that task at all.
    let mut bad = common::row("打印机", "xingzheng", "行政部");
    bad["count"] = json!("abc");
    let admins = app.import(&sysadmin, &json!([bad]));
    let admins = admins["id"].as_i64().unwrap();
    let before = app.digest();
    let mut fixed = common::row("打印机", "xingzheng", "行政部");
    fixed["count"] = json!(1);
    for answer in [
        app.get(&format!("/api/async_task/{liusn}/{admins}")),
        app.get(&format!("/failed_task/{liusn}/{admins}")),
        app.put(&format!("/failed_task/{liusn}/{admins}"), &json!([fixed])),
        app.get(&format!("/api/async_task/{liusn}/{admins}/file?format=csv")),
    ] {
        answer.err(404, 6, "对应id的异步任务不存在");
    }
    assert!(!names_of_tasks(&app, &liusn).contains(&admins));
    assert_eq!(app.digest(), before);

    // A manager's row for 行政部 fails on the manager's rights; the system admin re-runs the
    // same row, and it runs with the admin's rights.
    let mine = app.import(&liusn, &json!([fixed]));
    assert_eq!(mine["number_failed"], 1, "{mine}");
    let mine = mine["id"].as_i64().unwrap();
    let failed = app
        .get(&format!("/failed_task/{liusn}/{mine}"))
        .ok()
        .clone();
    assert_eq!(
        failed[0]["message"], "无权管理该部门的资产（部门“行政部”不在您管理的部门中）",
        "{failed}"
    );
    app.put(&format!("/failed_task/{sysadmin}/{mine}"), &json!([fixed]))
        .ok();
    let task = app.wait_task(&sysadmin, mine);
    assert_eq!(task["number_succeed"], 1, "{task}");

    // The other way round: a task re-run by the manager runs with the manager's rights, even
    // when its creator (here: the same manager, once more) had more. A task of wangwu (软件组,
    // under CST) is liusn's to see; liusn's is not wangwu's.
    let sub = app.import(&wangwu, &json!([common::row("键盘", "wangwu", "软件组")]));
    let sub = sub["id"].as_i64().unwrap();
    assert!(names_of_tasks(&app, &liusn).contains(&sub));
    assert!(names_of_tasks(&app, &sysadmin).contains(&sub));
    let wangwus = names_of_tasks(&app, &wangwu);
    assert_eq!(wangwus, vec![sub]);
    app.get(&format!("/failed_task/{wangwu}/{mine}"))
        .err(404, 6, "对应id的异步任务不存在");

    // A task re-run by a manager is checked with that manager's rights: liusn re-runs their
    // own task's failed row for 行政部 and it fails again, though sysadmin ran it last.
    let again = app.import(&liusn, &json!([fixed]));
    let again = again["id"].as_i64().unwrap();
    app.put(&format!("/failed_task/{sysadmin}/{again}"), &json!([bad]))
        .ok();
    app.wait_task(&sysadmin, again);
    let mut fixed2 = fixed.clone();
    fixed2["name"] = json!("打印机2");
    app.put(&format!("/failed_task/{liusn}/{again}"), &json!([fixed2]))
        .ok();
    let task = app.wait_task(&liusn, again);
    assert_eq!(task["number_succeed"], 0, "{task}");
    let failed = app
        .get(&format!("/failed_task/{liusn}/{again}"))
        .ok()
        .clone();
    assert_eq!(
        failed[0]["message"], "无权管理该部门的资产（部门“行政部”不在您管理的部门中）",
        "{failed}"
    );
}

#[test]
fn item_7_failed_rows_are_paged_and_the_whole_list_keeps_the_seeds_shape() {
    let app = App::new();
    let liusn = app.demo("liusn");
    // 25 rows that fail (an unknown department), in order.
    let rows: Vec<Value> = (0..25)
        .map(|i| common::row(&format!("坏行{i}"), "liusn", "没有这个部门"))
        .collect();
    let task = app.import(&liusn, &json!(rows));
    assert_eq!(task["number_failed"], 25, "{task}");
    let id = task["id"].as_i64().unwrap();

    for base in [
        format!("/failed_task/{liusn}/{id}"),
        format!("/api/failed_task/{liusn}/{id}"),
    ] {
        // Page 2 of 10: rows 10..20, with the list's page count and total.
        let page = app.get(&format!("{base}?page=2&size=10"));
        assert_eq!(page.status.code, 200);
        assert_eq!(
            (&page.body["pages"], &page.body["total"]),
            (&json!(3), &json!(25))
        );
        let data = page.data().as_array().unwrap();
        assert_eq!(data.len(), 10);
        assert_eq!(data[0]["name"], "坏行10");
        assert!(data[0]["message"].is_string(), "{}", data[0]);
        // The last page holds the rest; the default size is the other lists' (6).
        let last = app.get(&format!("{base}?page=3&size=10"));
        assert_eq!(last.data().as_array().unwrap().len(), 5);
        let first = app.get(&format!("{base}?page=1"));
        assert_eq!(first.body["pages"], 5);
        assert_eq!(first.data().as_array().unwrap().len(), 6);
        let sized = app.get(&format!("{base}?size=20"));
        assert_eq!(sized.data().as_array().unwrap().len(), 20);
        // Out of range and malformed pages answer as the other lists do.
        app.get(&format!("{base}?page=4&size=10"))
            .err(400, 4, "请求的页码超出范围");
        app.get(&format!("{base}?page=0"))
            .err(400, 4, "请求的页码超出范围");
        let bad = app.get(&format!("{base}?page=1&size=5000"));
        assert_eq!((bad.status.code, bad.code()), (400, -2), "{:?}", bad.body);
        let bad = app.get(&format!("{base}?page=x"));
        assert_eq!((bad.status.code, bad.code()), (400, -2), "{:?}", bad.body);
        // Without page or size: every row, as the seed answers (streamed, same shape).
        let all = app.get(&base);
        let all = all.ok().as_array().unwrap().clone();
        assert_eq!(all.len(), 25);
        assert_eq!(all[24]["name"], "坏行24");
        assert_eq!(all[10], data[0]);
    }

    // An export's failed ids page the same way; its records come whole.
    let export = app.post(
        &format!("/api/export_task/{liusn}"),
        &json!([999_991, 999_992, 999_993]),
    );
    let export = export.ok()["id"].as_i64().unwrap();
    app.wait_task(&liusn, export);
    let page = app.get(&format!(
        "/api/export_task/{liusn}/{export}/failed?page=2&size=2"
    ));
    assert_eq!(
        (&page.body["pages"], &page.body["total"]),
        (&json!(2), &json!(3))
    );
    assert_eq!(page.data()[0]["value"], 999_993);
    let all = app.get(&format!("/api/export_task/{liusn}/{export}/failed"));
    assert_eq!(all.ok().as_array().unwrap().len(), 3);
    let records = app.get(&format!("/api/export_task/{liusn}/{export}"));
    assert_eq!(records.ok(), &json!([]));
    // Records are not paged: the seed's answer is the whole list, whatever the query says.
    let records = app.get(&format!("/api/export_task/{liusn}/{export}?page=1"));
    assert_eq!(records.ok(), &json!([]));
}

/// The permission bits of a path.
fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

#[test]
fn item_9_the_data_folder_and_its_files_are_private_and_sessions_stored_hashed() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    // A fresh start creates the folder (two levels) 0700, and the database, its WAL and
    // shared-memory files and the log 0600.
    let data = dir.path().join("srv").join("data");
    let database = data.join("db.sqlite3");
    let server = Server::start(&database, &[]);
    let token = server.login("liusn", DEMO_PASSWORD);
    assert_eq!(mode(&dir.path().join("srv")), 0o700);
    assert_eq!(mode(&data), 0o700);
    for file in [
        "db.sqlite3",
        "db.sqlite3-wal",
        "db.sqlite3-shm",
        "db.sqlite3.lock",
        "assetport.log",
    ] {
        assert_eq!(mode(&data.join(file)), 0o600, "{file}");
    }
    // The session is stored (by the session writer, a moment after the login) as the SHA-256
    // of its token, never the token.
    let conn = rusqlite::Connection::open(&database).unwrap();
    let digest = sha2_hex(&token);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !conn
        .prepare("SELECT 1 FROM session WHERE token_hash = ?1")
        .unwrap()
        .exists([&digest])
        .unwrap()
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the session was never stored"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let stored: Vec<String> = conn
        .prepare("SELECT token_hash FROM session")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    drop(conn);
    assert!(!stored.is_empty());
    assert!(
        stored.iter().all(|h| h.len() == 64 && *h != token),
        "{stored:?}"
    );
    let digest = sha2_hex(&token);
    assert!(stored.contains(&digest), "{stored:?}");
    server.kill();

    // Files an older version left readable to all are made private at the next start.
    for file in ["db.sqlite3", "assetport.log"] {
        std::fs::set_permissions(data.join(file), std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    let server = Server::start(&database, &[]);
    server.login("liusn", DEMO_PASSWORD);
    for file in ["db.sqlite3", "db.sqlite3-wal", "assetport.log"] {
        assert_eq!(mode(&data.join(file)), 0o600, "{file}");
    }
    server.kill();
}

/// SHA-256 of a text, as lowercase hex.
fn sha2_hex(text: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn item_12_a_login_needs_no_write_lock_and_writers_wait_their_turn() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("db.sqlite3");
    let server = Server::start(&database, &[]);
    let admin = server.login("sysadmin", DEMO_PASSWORD);
    // Another process holds the database's write lock (as a long write would).
    let mut holder = rusqlite::Connection::open(&database).unwrap();
    holder.busy_timeout(Duration::from_secs(10)).unwrap();
    let held = holder
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .unwrap();
    held.execute("UPDATE entity SET name = name", []).unwrap();

    // A login and the requests of its session answer while the lock is held: they only read.
    let manager = server.login("liusn", DEMO_PASSWORD);
    let (status, body) = server.get(&format!("/api/character/{manager}"));
    assert_eq!(
        (status, &body["data"]["character"]),
        (200, &json!(2)),
        "{body}"
    );
    let (status, _) = server.get(&format!("/api/async_task/{manager}"));
    assert_eq!(status, 200);

    // A write waits for the lock (no 500) and goes through once it is free.
    let (status, body) = std::thread::scope(|scope| {
        let waiting = scope.spawn(|| {
            server.post(
                &format!("/api/department/{admin}"),
                &json!({"name": "等锁部门", "parent": ""}).to_string(),
            )
        });
        std::thread::sleep(Duration::from_millis(500));
        assert!(
            !waiting.is_finished(),
            "the write did not wait for the lock"
        );
        held.commit().unwrap();
        waiting.join().unwrap()
    });
    assert_eq!((status, &body["code"]), (200, &json!(0)), "{body}");
    // The session opened meanwhile is stored (by the session writer, once the lock is free)
    // and survives a restart.
    common::wait_session_stored(&database, &manager);
    server.kill();
    let server = Server::start(&database, &[]);
    let (status, _) = server.get(&format!("/api/character/{manager}"));
    assert_eq!(status, 200);
    server.kill();
}
