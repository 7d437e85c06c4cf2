//! Issue 18, the front door, proved on the real binary: no client can smuggle a request past
//! the front listener or claim an address, a client that goes away frees its place at once, one
//! address cannot take every place, and a download is never cut short into a document that
//! looks complete.

mod common;

use common::server::Server;
use common::DEMO_PASSWORD;
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// A connection to the server from the loopback address `from` (127.0.0.x): a second client
/// machine, as far as the server can tell.
fn connect_from(from: &str, port: u16) -> TcpStream {
    let local: IpAddr = from.parse().unwrap();
    rocket::tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .unwrap()
        .block_on(async {
            let socket = rocket::tokio::net::TcpSocket::new_v4().unwrap();
            socket.bind(SocketAddr::new(local, 0)).unwrap();
            let stream = socket
                .connect(SocketAddr::from(([127, 0, 0, 1], port)))
                .await
                .unwrap();
            let stream = stream.into_std().unwrap();
            stream.set_nonblocking(false).unwrap();
            stream
        })
}

/// Everything the server sends until it closes (or 20 s pass).
fn read_to_close(stream: &mut TcpStream) -> String {
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    String::from_utf8_lossy(&raw).into_owned()
}

fn login_request(identity: &str, password: &str, extra_header: &str) -> String {
    let body = json!({"identity": identity, "password": password}).to_string();
    format!(
        "POST /api/login HTTP/1.1\r\nHost: x\r\n{extra_header}Content-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

/// A login over its own connection from `from`; its status.
fn login_from(server: &Server, from: &str, identity: &str, password: &str) -> u16 {
    let mut stream = connect_from(from, server.port);
    stream
        .write_all(login_request(identity, password, "").as_bytes())
        .unwrap();
    let answer = read_to_close(&mut stream);
    answer
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

fn status_lines(answer: &str) -> usize {
    answer.matches("HTTP/1.1 ").count()
}

#[test]
fn item_1_smuggled_requests_are_refused_and_no_client_can_claim_an_address() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("db.sqlite3"), &[]);
    // The finding: a head ended by bare LFs with 40 pipelined guesses behind it, each claiming
    // an address of its own.
    let mut smuggled = format!(
        "GET /api/character/{} HTTP/1.1\nHost: x\nContent-Length: 55\n\nAAAA\r\n\r\n",
        "a".repeat(32)
    );
    for i in 0..40 {
        let forged = format!("X-Real-IP: 10.0.0.{i}\r\n");
        smuggled.push_str(&login_request("sysadmin", "wrong", &forged));
    }
    let mut stream = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    stream.write_all(smuggled.as_bytes()).unwrap();
    let answer = read_to_close(&mut stream);
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains("\"code\":-2"), "{answer}");
    assert_eq!(status_lines(&answer), 1, "{answer}");

    // Well-formed pipelining: one answer, for the first request only.
    let mut pipelined = login_request("sysadmin", "wrong", "");
    for i in 0..10 {
        pipelined.push_str(&login_request(
            "sysadmin",
            "wrong",
            &format!("X-Real-IP: 10.1.0.{i}\r\n"),
        ));
    }
    let mut stream = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    stream.write_all(pipelined.as_bytes()).unwrap();
    let answer = read_to_close(&mut stream);
    assert_eq!(status_lines(&answer), 1, "{answer}");
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");

    // Four more wrong guesses make five; the sixth is slowed down (429): no smuggled guess
    // reached the login, and none escaped the count under a forged address.
    for _ in 0..4 {
        let mut stream = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
        let forged = "X-Real-IP: 10.2.0.1\r\nX-Forwarded-For: 10.2.0.2\r\n";
        stream
            .write_all(login_request("sysadmin", "wrong", forged).as_bytes())
            .unwrap();
        assert!(read_to_close(&mut stream).starts_with("HTTP/1.1 400"));
    }
    assert_eq!(login_from(&server, "127.0.0.1", "sysadmin", "wrong"), 429);

    // An attacker at 127.0.0.1 claiming 127.0.0.7 cannot lock liusn out there.
    for _ in 0..8 {
        let mut stream = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
        stream
            .write_all(login_request("liusn", "wrong", "X-Real-IP: 127.0.0.7\r\n").as_bytes())
            .unwrap();
        read_to_close(&mut stream);
    }
    assert_eq!(
        login_from(&server, "127.0.0.7", "liusn", DEMO_PASSWORD),
        200
    );
    assert_eq!(
        login_from(&server, "127.0.0.1", "liusn", DEMO_PASSWORD),
        429
    );

    // The log names the real addresses only.
    let log = std::fs::read_to_string(dir.path().join("assetport.log")).unwrap();
    assert!(log.contains("from 127.0.0.1"), "{log}");
    for forged in ["10.0.0.", "10.1.0.", "10.2.0.", "from 127.0.0.7"] {
        assert!(!log.contains(forged), "{forged} in the log:\n{log}");
    }
}

#[test]
fn item_2_a_client_that_closes_before_its_request_is_complete_frees_its_place() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(
        &dir.path().join("db.sqlite3"),
        &[("ROCKET_MAX_CONNECTIONS", "16")],
    );
    let session = server.login("liusn", DEMO_PASSWORD);
    let start = Instant::now();
    for i in 0..40 {
        let mut stream = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
        let head = if i % 2 == 0 {
            "POST /api/login HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{".to_owned()
        } else {
            // An upload abandoned half-way.
            format!(
                "POST /api/asset_file/{session} HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\n\
                 Content-Length: 10000000\r\n\r\n资产名称,所属部门\r\n"
            )
        };
        stream.write_all(head.as_bytes()).unwrap();
        drop(stream);
    }
    // Every place comes back within seconds: 16 clients at the same time are all answered.
    let all_answered = || {
        let clients: Vec<_> = (0..16)
            .map(|_| {
                let port = server.port;
                std::thread::spawn(move || {
                    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
                    let request = "GET /api/character/x HTTP/1.1\r\nHost: x\r\n\r\n";
                    stream.write_all(request.as_bytes()).unwrap();
                    read_to_close(&mut stream)
                })
            })
            .collect();
        let answers: Vec<String> = clients.into_iter().map(|c| c.join().unwrap()).collect();
        for answer in &answers {
            assert!(answer.starts_with("HTTP/1.1 "), "no answer: {answer:?}");
        }
        answers.iter().all(|a| !a.starts_with("HTTP/1.1 503"))
    };
    while !all_answered() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "places taken by clients long gone"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    // Nothing of the abandoned uploads became a task.
    let (_, tasks) = server.get(&format!("/api/async_task/{session}"));
    assert_eq!(tasks["data"], json!([]), "{tasks}");
}

#[test]
fn item_3_one_address_cannot_take_every_place() {
    let _ = rlimit::increase_nofile_limit(u64::MAX);
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(
        &dir.path().join("db.sqlite3"),
        &[
            ("ROCKET_MAX_CONNECTIONS", "64"),
            ("ROCKET_MAX_CONNECTIONS_PER_ADDRESS", "1000"),
            ("ROCKET_CLIENT_TIMEOUT_SECS", "3"),
        ],
    );
    // 200 trickling logins from one address: a complete head announcing 65,000 bytes and one
    // byte of body. More than every place.
    let trickle = |n: usize| -> Vec<TcpStream> {
        (0..n)
            .map(|_| {
                let mut stream = connect_from("127.0.0.1", server.port);
                let head =
                    "POST /api/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
                            Content-Length: 65000\r\n\r\n{";
                let _ = stream.write_all(head.as_bytes());
                stream
            })
            .collect()
    };
    let attackers = trickle(200);
    // Another address still gets in: the address holding the most gives way.
    assert_eq!(
        login_from(&server, "127.0.0.2", "liusn", DEMO_PASSWORD),
        200
    );

    // The per-address bound: with it at 8, a second address is never short of places.
    drop(attackers);
    let dir2 = tempfile::tempdir().unwrap();
    let bounded = Server::start(
        &dir2.path().join("db.sqlite3"),
        &[
            ("ROCKET_MAX_CONNECTIONS", "16"),
            ("ROCKET_MAX_CONNECTIONS_PER_ADDRESS", "8"),
            ("ROCKET_CLIENT_TIMEOUT_SECS", "3"),
        ],
    );
    let open = |port| {
        let mut stream = connect_from("127.0.0.1", port);
        let head = "POST /api/login HTTP/1.1\r\nHost: x\r\nContent-Length: 65000\r\n\r\n{";
        let _ = stream.write_all(head.as_bytes());
        stream
    };
    let _held: Vec<TcpStream> = (0..8).map(|_| open(bounded.port)).collect();
    // Once their heads are in, a ninth from the same address is refused at once, in the
    // envelope. (While one of them is still sending its head, that one gives way instead: on a
    // loaded machine a head may take a moment to be read, so a few tries are allowed.)
    std::thread::sleep(Duration::from_millis(500));
    let mut refused = String::new();
    for _ in 0..10 {
        refused = read_to_close(&mut open(bounded.port));
        if refused.starts_with("HTTP/1.1 503") {
            break;
        }
    }
    assert!(refused.starts_with("HTTP/1.1 503"), "{refused}");
    assert!(refused.contains("max_connections_per_address"), "{refused}");
    let again = read_to_close(&mut open(bounded.port));
    assert!(again.starts_with("HTTP/1.1 503"), "{again}");
    assert_eq!(
        login_from(&bounded, "127.0.0.3", "liusn", DEMO_PASSWORD),
        200
    );

    // A body that trickles in (a byte every half second) is cut off once client_timeout_secs
    // has passed and it stays under min_body_rate_kib, though it never stalls.
    let mut slow = connect_from("127.0.0.4", bounded.port);
    slow.write_all(b"POST /api/login HTTP/1.1\r\nHost: x\r\nContent-Length: 65000\r\n\r\n{")
        .unwrap();
    let started = Instant::now();
    let mut cut = false;
    while started.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(500));
        if slow.write_all(b" ").is_err() {
            cut = true;
            break;
        }
        slow.set_read_timeout(Some(Duration::from_millis(1)))
            .unwrap();
        let mut byte = [0u8; 1];
        if matches!(slow.read(&mut byte), Ok(0)) {
            cut = true;
            break;
        }
    }
    assert!(cut, "a trickling body was never cut off");
}

/// Reads an answer's head, then only `bytes` of its body: a client reading slowly.
fn start_download(port: u16, path: &str, bytes: usize) -> (TcpStream, Vec<u8>) {
    let mut stream = common::server::slow_reader(port);
    stream
        .write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes())
        .unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let mut got = vec![0u8; bytes];
    stream.read_exact(&mut got).unwrap();
    (stream, got)
}

/// The body of a chunked answer; None if its last chunk never came.
fn dechunk(raw: &[u8]) -> Option<Vec<u8>> {
    let head_end = raw.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let mut at = head_end;
    let mut body = Vec::new();
    loop {
        let line_end = at + raw[at..].windows(2).position(|w| w == b"\r\n")?;
        let size = usize::from_str_radix(std::str::from_utf8(&raw[at..line_end]).ok()?, 16).ok()?;
        at = line_end + 2;
        if size == 0 {
            return Some(body);
        }
        body.extend_from_slice(raw.get(at..at + size)?);
        at += size + 2;
    }
}

#[test]
fn item_5_a_download_is_never_cut_short_by_a_deletion() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("db.sqlite3"), &[]);
    let manager = server.login("liusn", DEMO_PASSWORD);
    let (_, export) = server.large_export(&manager, 20_000);

    for path in [
        format!("/api/export_task/{manager}/{export}"),
        format!("/api/async_task/{manager}/{export}/file?format=csv"),
    ] {
        // A download under way, its client reading slowly: a deletion waits, then gives up
        // with a clear answer and deletes nothing.
        let (mut stream, mut got) = start_download(server.port, &path, 4096);
        let (status, body) = server.request(
            "DELETE",
            &format!("/api/async_task/{manager}/{export}"),
            None,
        );
        assert_eq!((status, &body["code"]), (503, &json!(10)), "{body}");
        // The download goes on to its real end.
        let mut rest = Vec::new();
        stream.read_to_end(&mut rest).unwrap();
        got.extend_from_slice(&rest);
        let body = dechunk(&got).expect("the download ended without its last chunk");
        if path.contains("/file") {
            let text = String::from_utf8(body).unwrap();
            assert_eq!(text.lines().count(), 20_001, "header and every record");
        } else {
            let list: Value = serde_json::from_slice(&body).unwrap();
            assert_eq!(list["data"].as_array().unwrap().len(), 20_000);
        }
    }

    // A deletion while a client reads at full speed waits for the download, then deletes.
    let path = format!("/api/export_task/{manager}/{export}");
    let (mut stream, mut got) = start_download(server.port, &path, 1024);
    let deleting = {
        let port = server.port;
        let path = format!("/api/async_task/{manager}/{export}");
        std::thread::spawn(move || {
            let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
            s.write_all(format!("DELETE {path} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes())
                .unwrap();
            read_to_close(&mut s)
        })
    };
    std::thread::sleep(Duration::from_millis(300));
    let mut rest = Vec::new();
    stream.read_to_end(&mut rest).unwrap();
    got.extend_from_slice(&rest);
    let list: Value = serde_json::from_slice(&dechunk(&got).unwrap()).unwrap();
    assert_eq!(list["data"].as_array().unwrap().len(), 20_000);
    let deleted = deleting.join().unwrap();
    assert!(deleted.starts_with("HTTP/1.1 200"), "{deleted}");
    // Once deleted, a download is refused in the envelope, never an empty document.
    let (status, body) = server.get(&path);
    assert_ne!(status, 200, "{body}");
}

#[test]
fn item_6_rocket_takes_no_address_header_and_keeps_no_connection_alive() {
    // In-process (no front listener): Rocket reads no address header at all.
    let figment = assetport::figment();
    let config = rocket::Config::from(&figment);
    assert_eq!(config.ip_header, None);
    assert_eq!(config.keep_alive, 0);
    // Behind the front: a header name drawn for each process, never the well-known ones.
    let (inner, _listener) = assetport::bind_front(figment.clone().merge(("port", 0))).unwrap();
    let (again, _listener2) = assetport::bind_front(figment.merge(("port", 0))).unwrap();
    let name =
        |f: &rocket::figment::Figment| rocket::Config::from(f).ip_header.unwrap().to_string();
    assert!(name(&inner).starts_with("X-Assetport-Client-"));
    assert_ne!(name(&inner), name(&again));
    assert_eq!(rocket::Config::from(&inner).keep_alive, 0);
}
