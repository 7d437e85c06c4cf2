//! Issue 10's findings about logins: bounded password checks (item 3), sessions ended by a
//! password change, reset or lock (item 10), the slowdown per account and address with a limit
//! per address and failed logins logged (item 17), identities compared case-insensitively and
//! kept apart across companies (items 11 and 20).

use crate::common;

use common::server::Server;
use common::{Answer, App, ADMIN_PASSWORD, DEMO_PASSWORD};
use serde_json::{json, Value};

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
/// 429 when the password checks' queue is full, or 503 code 10 past the connections one address
/// may hold at once, `max_connections_per_address`), and none is a 500.
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
                    let body = body.to_string();
                    // Closed unanswered (0, 0): the address was at its bound and this
                    // connection was still sending its head, so its place was taken back.
                    let Some((status, answer)) =
                        server.try_request_bytes("POST", "/api/login", Some(body.as_bytes()))
                    else {
                        return (0, 0);
                    };
                    let answer: Value = serde_json::from_slice(&answer).unwrap();
                    (status, answer["code"].as_i64().unwrap())
                })
            })
            .collect();
        sent.into_iter().map(|s| s.join().unwrap()).collect()
    });
    for (status, code) in &statuses {
        assert!(
            [(400, 2), (429, 10), (429, 3), (503, 10), (0, 0)].contains(&(*status, *code)),
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

/// Whether a session still opens (GET /api/character).
fn live(app: &App, session: &str) -> bool {
    let a = app.get(&format!("/api/character/{session}"));
    match a.status.code {
        200 => true,
        401 => false,
        _ => panic!("{:?}", a.body),
    }
}

#[test]
fn item_10_a_password_change_ends_other_sessions_and_a_reset_or_lock_ends_all() {
    let app = App::new();
    let sysadmin = app.demo("sysadmin");
    let liusn = app.demo("liusn");
    let zhangsan = app.demo("zhangsan");
    let (phone, laptop) = (app.demo("liusn"), app.demo("liusn"));

    // Own change: the session that asked stays, every other of that user ends; others'
    // sessions are untouched.
    app.put(
        &format!("/api/user_password/{liusn}"),
        &json!({"oldpassword": DEMO_PASSWORD, "newpassword": "new-pass-1"}),
    )
    .ok();
    assert!(live(&app, &liusn));
    assert!(!live(&app, &phone) && !live(&app, &laptop));
    assert!(live(&app, &zhangsan) && live(&app, &sysadmin));
    let again = app.login("liusn", "new-pass-1");

    // An admin's reset ends all of them, the one that changed the password included.
    let id_of = |name: &str| {
        let users = app.get(&format!(
            "/api/user_entity/{sysadmin}/{}/1?size=100",
            common::enc("示例企业")
        ));
        let users = users.ok().as_array().unwrap().clone();
        users.iter().find(|u| u["name"] == name).unwrap()["id"]
            .as_i64()
            .unwrap()
    };
    let liusn_id = id_of("liusn");
    app.put(
        &format!("/api/user/{sysadmin}"),
        &json!({"id": liusn_id, "password": "reset-pass"}),
    )
    .ok();
    assert!(!live(&app, &liusn) && !live(&app, &again));
    assert!(live(&app, &sysadmin));

    // A lock ends all sessions; the locked user's login says so; after the unlock a new
    // login works.
    let zhangsan_id = id_of("zhangsan");
    app.put(
        &format!("/api/user/{sysadmin}"),
        &json!({"id": zhangsan_id, "lock": true}),
    )
    .ok();
    assert!(!live(&app, &zhangsan));
    app.post(
        "/api/login",
        &json!({"identity": "zhangsan", "password": DEMO_PASSWORD}),
    )
    .err(403, 4, "你已被锁定，无法进行该操作");
    app.put(
        &format!("/api/user/{sysadmin}"),
        &json!({"id": zhangsan_id, "lock": false}),
    )
    .ok();
    assert!(live(&app, &app.demo("zhangsan")));
    // An unlock alone ends nothing.
    assert!(live(&app, &sysadmin));
}

#[test]
fn items_11_and_20_identities_are_case_insensitive_and_kept_apart_across_companies() {
    let app = App::new();
    let root = app.login("admin", ADMIN_PASSWORD);
    let sysadmin = app.demo("sysadmin");
    // Company A's user with an email.
    app.post(
        &format!("/api/user/{sysadmin}"),
        &json!({"name": "victim", "password": "secret1", "department": "CST",
                "character": 1, "email": "Victim@Corp.cn"}),
    )
    .ok();
    // Company B's system admin.
    app.post(&format!("/api/entity/{root}"), &json!({"name": "另一企业"}))
        .ok();
    app.post(
        &format!("/api/user/{root}"),
        &json!({"name": "admin2", "password": "secret1", "entity": "另一企业",
                "department": "", "character": 3}),
    )
    .ok();
    let admin2 = app.login("admin2", "secret1");
    app.post(
        &format!("/api/department/{admin2}"),
        &json!({"name": "销售部", "parent": ""}),
    )
    .ok();
    let before = app.digest();
    let user = |name: &str, email: Option<&str>| {
        let mut u = json!({"name": name, "password": "secret1", "department": "销售部",
                           "character": 1});
        if let Some(e) = email {
            u["email"] = json!(e);
        }
        app.post(&format!("/api/user/{admin2}"), &u)
    };
    // The finding: a user *named* as A's email. Refused, as is any name with @.
    let named = user("victim@corp.cn", None);
    assert_eq!(
        (named.status.code, named.code()),
        (400, -2),
        "{:?}",
        named.body
    );
    assert!(named.info().contains("@"), "{:?}", named.body);
    // A name or email equal to an existing one in another case is taken; an email equal to an
    // existing name too.
    user("VICTIM", None).err(400, 5, "用户名已存在");
    user("SysAdmin", None).err(400, 5, "用户名已存在");
    user("someone", Some("victim@CORP.CN")).err(400, 5, "邮箱已被使用");
    assert_eq!(app.digest(), before);

    // Company A's user logs in by email and by name, in any case.
    for identity in ["victim@corp.cn", "VICTIM@CORP.CN", "Victim", "victim"] {
        let a = app.post(
            "/api/login",
            &json!({"identity": identity, "password": "secret1"}),
        );
        assert_eq!(a.ok()["character"], 1, "{identity}");
    }
    let a = app.post(
        "/api/login",
        &json!({"identity": "SYSADMIN", "password": DEMO_PASSWORD}),
    );
    assert_eq!(a.ok()["character"], 3);
    // Owners in imported rows are names too, matched the same way.
    let manager = app.demo("liusn");
    let task = app.import(&manager, &json!([common::row("大小写", "LiuSN", "CST")]));
    assert_eq!(task["number_succeed"], 1, "{task}");
}
