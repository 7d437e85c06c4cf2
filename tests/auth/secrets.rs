//! Security properties of logging in (SPEC §2–§4): unguessable sessions; passwords stored only
//! as salted argon2id hashes; brute force slowed down per account, guesses sent at once
//! included; an unknown identity answered like a wrong password and not kept.

use crate::common;

use common::roles::{login_as, user_id, ADMIN, DEMO, MANAGER, STAFF, SUPER};
use common::server::Server;
use common::{Answer, App, ADMIN_PASSWORD, DEMO_PASSWORD};
use serde_json::{json, Value};
use std::collections::{BTreeSet, HashMap, HashSet};

#[test]
fn session_tokens_are_unique_and_look_random() {
    let app = App::new();
    let tokens: Vec<String> = (0..200)
        .map(|i| login_as(&app, [STAFF, MANAGER, ADMIN, SUPER][i % 4]))
        .collect();
    assert_eq!(tokens.iter().collect::<HashSet<_>>().len(), tokens.len());
    for t in &tokens {
        assert_eq!(t.len(), 32, "{t}");
        assert!(t.bytes().all(|b| b.is_ascii_alphanumeric()), "{t}");
    }
    // 6,400 characters over 62 symbols: about 103 of each (σ ≈ 10). The bounds are 5σ and
    // more, so a fair source never trips them while a biased or narrow one does.
    let mut counts: HashMap<u8, usize> = HashMap::new();
    for b in tokens.iter().flat_map(|t| t.bytes()) {
        *counts.entry(b).or_default() += 1;
    }
    let alphabet: Vec<u8> = (b'0'..=b'9')
        .chain(b'A'..=b'Z')
        .chain(b'a'..=b'z')
        .collect();
    let expected = 200.0 * 32.0 / 62.0;
    let mut chi_square = 0.0;
    for c in &alphabet {
        let n = counts.get(c).copied().unwrap_or(0);
        assert!(
            (45..=165).contains(&n),
            "{:?} appears {n} times",
            *c as char
        );
        chi_square += (n as f64 - expected).powi(2) / expected;
    }
    // 61 degrees of freedom: mean 61, σ ≈ 11.
    assert!(chi_square < 140.0, "χ² = {chi_square:.1}");
    // No position is fixed or narrow (a counter, a timestamp, a user id).
    for position in 0..32 {
        let seen: HashSet<u8> = tokens.iter().map(|t| t.as_bytes()[position]).collect();
        assert!(
            seen.len() >= 35,
            "position {position}: {} symbols",
            seen.len()
        );
    }
    // Two logins of the same user, and logins of different users, never share a token.
    let a = app.demo("liusn");
    let b = app.demo("liusn");
    let c = app.demo("zhangsan");
    assert!(a != b && b != c && a != c);
}

#[test]
fn passwords_are_stored_only_as_salted_argon2id_hashes() {
    let app = App::new();
    let root = login_as(&app, SUPER);
    let admin = login_as(&app, ADMIN);
    // Distinct, unmistakable passwords; two users share one (their hashes must still differ).
    let passwords = [
        "Pw-0f3a9c-root-made",
        "Pw-7d21be-staff-made",
        "Pw-51c8e0-changed-own",
        "Pw-a9e4d7-reset-by-admin",
        "Pw-2b6f13-never-right",
    ];
    app.post(
        &format!("/api/user/{root}"),
        &json!({"name": "admin3", "password": passwords[0], "entity": DEMO,
                "department": "", "character": 3}),
    )
    .ok();
    for name in ["lisi", "wangwu", "zhaoliu"] {
        app.post(
            &format!("/api/user/{admin}"),
            &json!({"name": name, "password": passwords[1], "department": "CST",
                    "character": 1, "email": format!("{name}@example.com")}),
        )
        .ok();
    }
    let lisi = app.login("lisi", passwords[1]);
    app.put(
        &format!("/api/user_password/{lisi}"),
        &json!({"oldpassword": passwords[1], "newpassword": passwords[2]}),
    )
    .ok();
    app.login("lisi", passwords[2]);
    app.put(
        &format!("/api/user/{admin}"),
        &json!({"id": user_id(&app, "zhangsan"), "password": passwords[3]}),
    )
    .ok();
    app.login("zhangsan", passwords[3]);
    app.login("admin3", passwords[0]);
    // A wrong guess is not kept either.
    app.post(
        "/api/login",
        &json!({"identity": "wangwu", "password": passwords[4]}),
    )
    .err(400, 2, "用户名或密码错误");

    let conn = rusqlite::Connection::open(app.db_path()).unwrap();
    let hashes: Vec<(String, String)> = conn
        .prepare("SELECT name, password_hash FROM user")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(hashes.len(), 8);
    for (name, hash) in &hashes {
        assert!(hash.starts_with("$argon2id$"), "{name}: {hash}");
    }
    // Two users given the same password get different hashes: each has its own salt.
    let of = |name: &str| hashes.iter().find(|(n, _)| n == name).map(|(_, h)| h);
    assert!(of("wangwu").is_some() && of("wangwu") != of("zhaoliu"));
    drop(conn);

    let mut stored = Vec::new();
    for suffix in ["", "-wal"] {
        let path = format!("{}{suffix}", app.db_path().display());
        stored.extend(std::fs::read(path).unwrap_or_default());
    }
    assert!(stored.len() > 4096);
    let plain = passwords
        .iter()
        .copied()
        .chain([DEMO_PASSWORD, ADMIN_PASSWORD]);
    for password in plain {
        let found = stored
            .windows(password.len())
            .any(|w| w == password.as_bytes());
        assert!(!found, "the database holds the password {password:?}");
    }
}

#[test]
fn repeated_wrong_passwords_lock_out_that_identity_only() {
    let app = App::new();
    let manager = app.demo("liusn");
    let login = |identity: &str, password: &str| {
        app.post(
            "/api/login",
            &json!({"identity": identity, "password": password}),
        )
    };
    for _ in 0..5 {
        login("liusn", "guess-guess").err(400, 2, "用户名或密码错误");
    }
    // The right password no longer tells the guesser anything.
    let a = login("liusn", DEMO_PASSWORD);
    assert_eq!((a.status.code, a.code()), (429, 3), "{:?}", a.body);
    assert!(a.info().starts_with("登录失败次数过多"), "{}", a.info());
    // Other identities log in as usual, and the user's open session keeps working.
    login("zhangsan", DEMO_PASSWORD).ok();
    app.get(&format!("/api/character/{manager}")).ok();
}

fn login_answer(app: &App, identity: &str, password: &str) -> Answer {
    app.post(
        "/api/login",
        &json!({"identity": identity, "password": password}),
    )
}

fn assert_throttled(status: u16, code: i64, info: &str) {
    assert_eq!((status, code), (429, 3), "{info}");
    assert!(
        info.starts_with("登录失败次数过多，请") && info.ends_with("秒后再试"),
        "{info}"
    );
}

/// Forty wrong passwords sent at once for one user, to the real binary: only the five free
/// failures get a password check, the rest are slowed down, and so is the right password next.
#[test]
fn concurrent_wrong_passwords_get_only_the_free_checks() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("db.sqlite3");
    let server = Server::start(&database, &[]);
    let body = |password: &str| json!({"identity": "liusn", "password": password}).to_string();
    let wrong = body("guess-guess");
    let all_at_once = std::sync::Barrier::new(40);
    let answers: Vec<(u16, Value)> = std::thread::scope(|scope| {
        let sent: Vec<_> = (0..40)
            .map(|_| {
                scope.spawn(|| {
                    all_at_once.wait();
                    server.post("/api/login", &wrong)
                })
            })
            .collect();
        sent.into_iter().map(|s| s.join().unwrap()).collect()
    });
    let mut checked = 0;
    for (status, answer) in &answers {
        let (code, info) = (answer["code"].as_i64().unwrap(), answer["info"].as_str());
        if *status == 400 {
            assert_eq!((code, info), (2, Some("用户名或密码错误")), "{answer}");
            checked += 1;
        } else {
            assert_throttled(*status, code, info.unwrap());
        }
    }
    assert!(
        checked <= 5,
        "{checked} of 40 concurrent guesses were checked"
    );
    let (status, answer) = server.post("/api/login", &body(DEMO_PASSWORD));
    assert_throttled(
        status,
        answer["code"].as_i64().unwrap(),
        answer["info"].as_str().unwrap(),
    );
    // Other accounts are not slowed down.
    server.login("zhangsan", DEMO_PASSWORD);
}

/// An account has one counter, whether its name or its email is typed.
#[test]
fn name_and_email_share_one_failure_counter() {
    let app = App::new();
    let admin = login_as(&app, ADMIN);
    app.post(
        &format!("/api/user/{admin}"),
        &json!({"name": "lisi", "password": "lisi-pass", "department": "CST",
                "character": 1, "email": "lisi@example.com"}),
    )
    .ok();
    for _ in 0..5 {
        login_answer(&app, "lisi", "guess-guess").err(400, 2, "用户名或密码错误");
    }
    for (identity, password) in [
        ("lisi@example.com", "guess-guess"),
        ("lisi@example.com", "lisi-pass"),
        ("lisi", "lisi-pass"),
    ] {
        let a = login_answer(&app, identity, password);
        assert_throttled(a.status.code, a.code(), a.info());
    }
}

/// A name no one has is answered as a wrong password is, slowed down alike, and what was typed
/// (here a password typed into the name field) is not stored.
#[test]
fn an_unknown_identity_is_answered_like_a_wrong_password_and_not_kept() {
    let app = App::new();
    let typed = "Pw-6e1f0b-typed-as-name";
    let answer = |identity: &str| {
        let a = login_answer(&app, identity, "guess-guess");
        (a.status.code, a.code(), a.info().to_owned())
    };
    for _ in 0..5 {
        let unknown = answer(typed);
        assert_eq!(unknown, (400, 2, "用户名或密码错误".to_owned()));
        assert_eq!(unknown, answer("liusn"));
    }
    for identity in [typed, "liusn"] {
        let (status, code, info) = answer(identity);
        assert_throttled(status, code, &info);
    }

    // The counters live in memory: nothing of the attempts reaches the database.
    let conn = rusqlite::Connection::open(app.db_path()).unwrap();
    let kept: i64 = conn
        .query_row("SELECT count(*) FROM login_failure", [], |r| r.get(0))
        .unwrap();
    assert_eq!(kept, 0);
    drop(conn);
    let mut stored = Vec::new();
    for suffix in ["", "-wal"] {
        let path = format!("{}{suffix}", app.db_path().display());
        stored.extend(std::fs::read(path).unwrap_or_default());
    }
    assert!(!stored.windows(typed.len()).any(|w| w == typed.as_bytes()));
}

/// Each demo account gets its own salt, so their hashes do not show they share a password.
#[test]
fn the_demo_accounts_have_different_hashes() {
    let app = App::new();
    let conn = rusqlite::Connection::open(app.db_path()).unwrap();
    let hashes: BTreeSet<String> = ["sysadmin", "liusn", "zhangsan"]
        .iter()
        .map(|name| {
            conn.query_row(
                "SELECT password_hash FROM user WHERE name = ?1",
                [name],
                |r| r.get(0),
            )
            .unwrap()
        })
        .collect();
    assert_eq!(hashes.len(), 3, "{hashes:?}");
    for name in ["sysadmin", "liusn", "zhangsan"] {
        app.demo(name);
    }
}
