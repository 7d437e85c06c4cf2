//! Issue 10's findings about logins: bounded password checks (item 3), sessions ended by a
//! password change, reset or lock (item 10), the slowdown per account and address with a limit
//! per address and failed logins logged (item 17), identities compared case-insensitively and
//! kept apart across companies (items 11 and 20).

mod common;

use common::server::Server;
use common::{Answer, App, ADMIN_PASSWORD, DEMO_PASSWORD};
use serde_json::json;

fn throttled(a: &Answer) -> bool {
    a.status.code == 429 && a.code() == 3
}

#[test]
fn item_17_a_guesser_slows_down_only_itself_and_spraying_is_limited_per_address() {
    let app = App::new();
    // Someone keeps guessing sysadmin's password from one address...
    for _ in 0..5 {
        app.login_from("10.0.0.1", "sysadmin", "guess-guess")
            .err(400, 2, "用户名或密码错误");
    }
    assert!(throttled(&app.login_from(
        "10.0.0.1",
        "sysadmin",
        DEMO_PASSWORD
    )));
    // ...and sysadmin still logs in from their own.
    app.login_from("10.0.0.2", "sysadmin", DEMO_PASSWORD).ok();

    // One password tried over many accounts from one address: 30 failures, then that address
    // waits whatever account it names; other addresses do not.
    for i in 0..30 {
        let a = app.login_from("10.0.0.3", &format!("user{i}"), "Spring2026!");
        a.err(400, 2, "用户名或密码错误");
    }
    assert!(throttled(&app.login_from(
        "10.0.0.3",
        "liusn",
        "Spring2026!"
    )));
    assert!(throttled(&app.login_from(
        "10.0.0.3",
        "liusn",
        DEMO_PASSWORD
    )));
    app.login_from("10.0.0.4", "liusn", DEMO_PASSWORD).ok();

    // Successful logins do not count against an address (an office behind one NAT).
    for _ in 0..40 {
        app.login_from("10.0.0.5", "zhangsan", DEMO_PASSWORD).ok();
    }
}

#[test]
fn item_17_failed_logins_are_logged_with_account_and_address_never_the_typed_text() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("db.sqlite3");
    let server = Server::start(&database, &[]);
    let wrong = json!({"identity": "liusn", "password": "guess-1"}).to_string();
    assert_eq!(server.post("/api/login", &wrong).0, 400);
    let typed = json!({"identity": "Secret-typed-as-name", "password": "x"}).to_string();
    assert_eq!(server.post("/api/login", &typed).0, 400);
    server.login("zhangsan", DEMO_PASSWORD);
    let log = std::fs::read_to_string(&server.log).unwrap()
        + &std::fs::read_to_string(dir.path().join("assetport.log")).unwrap_or_default();
    assert!(
        log.contains("failed login for \"liusn\" from 127.0.0.1"),
        "{log}"
    );
    assert!(
        log.contains("failed login for an unknown identity from 127.0.0.1"),
        "{log}"
    );
    assert!(!log.contains("Secret-typed-as-name"), "{log}");
    assert!(!log.contains("guess-1"), "{log}");
    assert!(!log.contains("failed login for \"zhangsan\""), "{log}");
}

/// 200 logins at once against the real binary: each is answered (a session, a wrong password,
/// or 429 when the password checks' queue is full), and none is a 500.
#[test]
fn item_3_concurrent_logins_are_answered_within_the_bound() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("db.sqlite3"), &[]);
    let admin = server.login("admin", ADMIN_PASSWORD);
    let statuses: Vec<(u16, i64)> = std::thread::scope(|scope| {
        let sent: Vec<_> = (0..200)
            .map(|i| {
                let server = &server;
                scope.spawn(move || {
                    let body = json!({"identity": format!("nobody{i}"), "password": "x"});
                    let (status, answer) = server.post("/api/login", &body.to_string());
                    (status, answer["code"].as_i64().unwrap())
                })
            })
            .collect();
        sent.into_iter().map(|s| s.join().unwrap()).collect()
    });
    for (status, code) in &statuses {
        assert!(
            [(400, 2), (429, 10), (429, 3)].contains(&(*status, *code)),
            "{statuses:?}"
        );
    }
    assert!(statuses.contains(&(400, 2)), "{statuses:?}");
    // The server still answers (a login from this address now waits: 200 failures from it).
    let (status, answer) = server.get(&format!("/api/character/{admin}"));
    assert_eq!(
        (status, answer["code"].as_i64()),
        (200, Some(0)),
        "{answer}"
    );
}
