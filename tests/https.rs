//! Issue 21, item 7: HTTPS without a proxy, and a proxy's forwarded client address believed only
//! from `trusted_proxies`, proved on the real binary.

mod common;

use common::server::{free_port, Server};
use common::DEMO_PASSWORD;
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_rustls::rustls;

/// A self-signed certificate for localhost and 127.0.0.1, written as `cert.pem` and `key.pem`
/// in `dir`; its DER form, for the client to trust.
fn certificate(dir: &Path) -> rustls::pki_types::CertificateDer<'static> {
    let names = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
    let generated = rcgen::generate_simple_self_signed(names).unwrap();
    std::fs::write(dir.join("cert.pem"), generated.cert.pem()).unwrap();
    std::fs::write(dir.join("key.pem"), generated.signing_key.serialize_pem()).unwrap();
    generated.cert.der().clone()
}

fn tls_setting(dir: &Path) -> String {
    format!(
        "{{certs={:?},key={:?}}}",
        dir.join("cert.pem").to_str().unwrap(),
        dir.join("key.pem").to_str().unwrap()
    )
}

fn client_config(
    trusted: &rustls::pki_types::CertificateDer<'static>,
) -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(trusted.clone()).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    Arc::new(config)
}

/// One request over TLS; the raw answer (head and body) once the server closes.
fn https(config: &Arc<rustls::ClientConfig>, port: u16, request: &str) -> String {
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let connection = rustls::ClientConnection::new(config.clone(), name).unwrap();
    let socket = TcpStream::connect(("127.0.0.1", port)).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let mut stream = rustls::StreamOwned::new(connection, socket);
    stream.write_all(request.as_bytes()).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    String::from_utf8_lossy(&raw).into_owned()
}

fn login_request(identity: &str, password: &str, extra_header: &str) -> String {
    let body = json!({"identity": identity, "password": password}).to_string();
    format!(
        "POST /api/login HTTP/1.1\r\nHost: localhost\r\n{extra_header}\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

fn status(answer: &str) -> u16 {
    answer
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

fn body(answer: &str) -> Value {
    let at = answer.find("\r\n\r\n").expect("head end");
    serde_json::from_str(&answer[at + 4..]).unwrap_or_else(|_| panic!("{answer}"))
}

/// Everything the server sends on a plain connection until it closes, and how long that took.
fn plain_until_closed(port: u16, send: &[u8]) -> (Vec<u8>, Duration) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let start = Instant::now();
    stream.write_all(send).unwrap();
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    (raw, start.elapsed())
}

/// The server's stderr once it says where it listens (its port accepts connections a moment
/// before).
fn start_lines(server: &Server) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let log = std::fs::read_to_string(&server.log).unwrap_or_default();
        if log.contains("listening on") || Instant::now() > deadline {
            // The warning follows its start line.
            std::thread::sleep(Duration::from_millis(100));
            return std::fs::read_to_string(&server.log).unwrap_or_default();
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn item_7_with_a_certificate_the_listener_speaks_tls_and_the_page_works_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let trusted = certificate(dir.path());
    let tls = tls_setting(dir.path());
    let server = Server::start(
        &dir.path().join("db.sqlite3"),
        &[("ROCKET_TLS", &tls), ("ROCKET_HEADER_TIMEOUT_SECS", "2")],
    );
    let config = client_config(&trusted);

    let page = https(
        &config,
        server.port,
        "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n",
    );
    assert_eq!(status(&page), 200, "{page:.300}");
    assert!(page.to_ascii_lowercase().contains("<html"), "{page:.300}");
    let login = https(
        &config,
        server.port,
        &login_request("liusn", DEMO_PASSWORD, ""),
    );
    assert_eq!(status(&login), 200, "{login}");
    let session = body(&login)["data"]["session"].as_str().unwrap().to_owned();
    let tasks = https(
        &config,
        server.port,
        &format!("GET /api/async_task/{session} HTTP/1.1\r\nHost: localhost\r\n\r\n"),
    );
    assert_eq!(
        body(&tasks),
        json!({"code": 0, "info": "Succeed", "data": []})
    );

    // Plain HTTP to the TLS port: no answer, closed at once, nothing reached Rocket.
    let (raw, took) = plain_until_closed(server.port, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    assert!(
        !raw.starts_with(b"HTTP/"),
        "{:?}",
        String::from_utf8_lossy(&raw)
    );
    assert!(took < Duration::from_secs(2), "{took:?}");
    // A client that starts no handshake holds its place no longer than the head timeout.
    let (raw, took) = plain_until_closed(server.port, b"");
    assert!(raw.is_empty());
    assert!(
        took >= Duration::from_millis(1500) && took < Duration::from_secs(6),
        "{took:?}"
    );

    // The server goes on answering over TLS.
    let again = https(
        &config,
        server.port,
        &login_request("liusn", DEMO_PASSWORD, ""),
    );
    assert_eq!(status(&again), 200, "{again}");
    let log = start_lines(&server);
    assert!(log.contains("listening on https://127.0.0.1:"), "{log}");
    assert!(!log.contains("clear text"), "{log}");
}

#[test]
fn item_7_a_certificate_or_key_at_fault_stops_the_start_naming_file_and_setting() {
    let dir = tempfile::tempdir().unwrap();
    certificate(dir.path());
    let other = tempfile::tempdir().unwrap();
    certificate(other.path());
    let start = |tls: String| {
        std::process::Command::new(env!("CARGO_BIN_EXE_assetport"))
            .current_dir(dir.path())
            .env("ROCKET_DATABASE", dir.path().join("db.sqlite3"))
            .env("ROCKET_PORT", free_port().to_string())
            .env("ROCKET_TLS", tls)
            .output()
            .unwrap()
    };
    let cert = dir.path().join("cert.pem");
    let missing = dir.path().join("missing.pem");
    let cases = [
        (
            format!(
                "{{certs={:?},key={:?}}}",
                missing,
                dir.path().join("key.pem")
            ),
            "tls.certs",
            "missing.pem",
        ),
        (
            format!("{{certs={cert:?},key={:?}}}", missing),
            "tls.key",
            "missing.pem",
        ),
        // A key that belongs to another certificate.
        (
            format!("{{certs={cert:?},key={:?}}}", other.path().join("key.pem")),
            "tls.key",
            "key.pem",
        ),
    ];
    for (tls, setting, file) in cases {
        let output = start(tls.clone());
        assert_eq!(output.status.code(), Some(1), "{tls}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains(setting) && stderr.contains(file),
            "{tls}: {stderr}"
        );
    }
}

/// A failed login through the "proxy" at 127.0.0.1 for the client it names in
/// X-Forwarded-For; the answer's status.
fn login_via(port: u16, forwarded_for: &str, identity: &str, password: &str) -> u16 {
    let header = format!("X-Forwarded-For: {forwarded_for}\r\n");
    let request = login_request(identity, password, &header);
    let (raw, _) = plain_until_closed(port, request.as_bytes());
    status(&String::from_utf8_lossy(&raw))
}

#[test]
fn item_7_only_a_trusted_proxy_names_the_client_whose_logins_slow_down() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(
        &dir.path().join("db.sqlite3"),
        &[("ROCKET_TRUSTED_PROXIES", "[\"127.0.0.1\", \"10.0.0.0/8\"]")],
    );
    // Five wrong guesses from 203.0.113.5 (behind the proxy) slow that client down...
    for _ in 0..5 {
        assert_eq!(
            login_via(server.port, "203.0.113.5", "sysadmin", "wrong"),
            400
        );
    }
    assert_eq!(
        login_via(server.port, "203.0.113.5", "sysadmin", DEMO_PASSWORD),
        429
    );
    // ...not another client of the same proxy, nor one whose forged entry sits left of what
    // the proxy appended (a second proxy in 10/8 skipped).
    assert_eq!(
        login_via(
            server.port,
            "203.0.113.5, 198.51.100.7, 10.1.1.1",
            "sysadmin",
            DEMO_PASSWORD
        ),
        200
    );
    assert_eq!(
        login_via(server.port, "198.51.100.8", "sysadmin", DEMO_PASSWORD),
        200
    );
    let log = std::fs::read_to_string(dir.path().join("assetport.log")).unwrap();
    assert!(log.contains("from 203.0.113.5"), "{log}");

    // Anyone not trusted (127.0.0.2 here) names no one: its header changes nothing. (Plain
    // HTTP on every address: the start line warns.)
    let untrusted = Server::start(
        &dir.path().join("other.sqlite3"),
        &[
            ("ROCKET_TRUSTED_PROXIES", "[\"127.0.0.2\"]"),
            ("ROCKET_ADDRESS", "0.0.0.0"),
        ],
    );
    let log = start_lines(&untrusted);
    assert!(
        log.contains("travel in clear text") && log.contains("docs/https.md"),
        "{log}"
    );
    for _ in 0..5 {
        assert_eq!(
            login_via(untrusted.port, "203.0.113.5", "sysadmin", "wrong"),
            400
        );
    }
    assert_eq!(
        login_via(untrusted.port, "198.51.100.8", "sysadmin", DEMO_PASSWORD),
        429
    );
}

#[test]
fn item_7_an_invalid_trusted_proxy_stops_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_assetport"))
        .current_dir(dir.path())
        .env("ROCKET_DATABASE", dir.path().join("db.sqlite3"))
        .env("ROCKET_PORT", free_port().to_string())
        .env("ROCKET_TRUSTED_PROXIES", "[\"10.0.0.0/40\"]")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("trusted_proxies") && stderr.contains("10.0.0.0/40"),
        "{stderr}"
    );
}
