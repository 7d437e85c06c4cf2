//! Bootstrap, login, sessions and roles through HTTP: SPEC §2, §3 (session checks) and §4.

use crate::common;

use common::{row, Answer, App, ADMIN_PASSWORD, DEMO_PASSWORD};
use serde_json::{json, Value};

use common::enc;

const DEMO: &str = "示例企业";

/// The id of a user of the demo company, as the system admin's user list shows it.
fn user_id(app: &App, sysadmin: &str, name: &str) -> i64 {
    let list = app.get(&format!(
        "/api/user_entity/{sysadmin}/{}/1?size=1000",
        enc(DEMO)
    ));
    list.ok()
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["name"] == name)
        .unwrap_or_else(|| panic!("no user {name}"))["id"]
        .as_i64()
        .unwrap()
}

fn login_answer(app: &App, identity: &str, password: &str) -> Answer {
    app.post(
        "/api/login",
        &json!({"identity": identity, "password": password}),
    )
}

fn character(app: &App, session: &str) -> Answer {
    app.get(&format!("/api/character/{session}"))
}

#[test]
fn bootstrap_creates_admin_and_the_demo_company() {
    let app = App::new();
    let a = login_answer(&app, "admin", ADMIN_PASSWORD);
    let data = a.ok();
    assert_eq!(data["character"], 4);
    let token = data["session"].as_str().unwrap();
    assert_eq!(token.len(), 32);
    assert!(token.bytes().all(|b| b.is_ascii_alphanumeric()), "{token}");
    assert_eq!(
        character(&app, token).ok(),
        &json!({"character": 4, "name": "admin", "entity": null, "department": null,
                "departments": []})
    );

    // Who each demo user is: company, own department, and the departments whose assets they
    // manage (tree order, parents by name), so the page never guesses them.
    let both = json!([{"name": "CST", "parent": ""}, {"name": "软件组", "parent": "CST"}]);
    for (name, expected, department, manages) in [
        ("sysadmin", 3, Value::Null, both.clone()),
        ("liusn", 2, json!("CST"), both.clone()),
        ("zhangsan", 1, json!("CST"), json!([])),
    ] {
        let a = login_answer(&app, name, DEMO_PASSWORD);
        assert_eq!(a.ok()["character"], expected, "{name}");
        let session = a.ok()["session"].as_str().unwrap().to_owned();
        assert_eq!(
            character(&app, &session).ok(),
            &json!({"character": expected, "name": name, "entity": "示例企业",
                    "department": department, "departments": manages})
        );
    }

    let root = app.login("admin", ADMIN_PASSWORD);
    let entities = app.get(&format!("/api/entity/{root}"));
    let entities = entities.ok().as_array().unwrap().clone();
    assert_eq!(entities.len(), 1);
    assert_eq!(entities[0]["name"], DEMO);
    assert_eq!(entities[0]["departments"], 2);
    assert_eq!(entities[0]["users"], 3);

    let sysadmin = app.demo("sysadmin");
    let departments = app.get(&format!("/api/all_departments/{sysadmin}/{}", enc(DEMO)));
    let names: Vec<(String, String)> = departments
        .ok()
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["name"].as_str().unwrap().to_owned(),
                d["parent"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        names,
        [
            ("CST".to_owned(), String::new()),
            ("软件组".to_owned(), "CST".to_owned())
        ]
    );
    let users = app.get(&format!("/api/user_entity/{sysadmin}/{}/1", enc(DEMO)));
    let users: Vec<(String, String)> = users
        .ok()
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u["name"].as_str().unwrap().to_owned(),
                u["department"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        users,
        [
            ("sysadmin".to_owned(), String::new()),
            ("liusn".to_owned(), "CST".to_owned()),
            ("zhangsan".to_owned(), "CST".to_owned())
        ]
    );
}

#[test]
fn without_demo_there_is_only_the_super_admin() {
    let app = App::with(&[("demo", false.into())]);
    for name in ["sysadmin", "liusn", "zhangsan"] {
        login_answer(&app, name, DEMO_PASSWORD).err(400, 2, "用户名或密码错误");
    }
    let root = app.login("admin", ADMIN_PASSWORD);
    assert_eq!(app.get(&format!("/api/entity/{root}")).ok(), &json!([]));
}

#[test]
fn without_admin_password_none_is_invented_and_only_the_first_start_answers() {
    let app = App::with(&[("admin_password", "".into())]);
    let conn = rusqlite::Connection::open(app.db_path()).unwrap();
    let (character, hash): (i64, String) = conn
        .query_row(
            "SELECT character, password_hash FROM user WHERE name = 'admin'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(character, 4);
    assert_eq!(hash, "", "no password made up, none printed");
    // Nobody logs in, the demo's users included, until the first start is done.
    let pending = "尚未完成首次设置：请在运行 assetport 的电脑上用浏览器打开本页设置超级管理员密码，或在该电脑上运行 assetport reset-password admin";
    login_answer(&app, "admin", "").err(503, 17, pending);
    login_answer(&app, "sysadmin", DEMO_PASSWORD).err(503, 17, pending);
    let state = app.get("/api/setup");
    assert_eq!(state.ok()["pending"], true);
    assert_eq!(
        state.ok()["demo"],
        true,
        "the demo company is there already"
    );
    // This in-process client has no address: not this machine, so the setup is refused.
    let form = serde_json::json!({"password": "secret-1", "password_again": "secret-1"});
    app.post("/api/setup", &form).err(
        403,
        19,
        "首次设置只能在运行 assetport 的电脑上进行（用 localhost 或 127.0.0.1 打开本页）",
    );
    assert_eq!(app.get("/api/setup").ok()["pending"], true);
}

#[test]
fn wrong_name_or_password_is_refused_alike() {
    let app = App::new();
    let before = app.digest();
    login_answer(&app, "sysadmin", "wrong-pass").err(400, 2, "用户名或密码错误");
    login_answer(&app, "nobody", DEMO_PASSWORD).err(400, 2, "用户名或密码错误");
    login_answer(&app, "", "").err(400, 2, "用户名或密码错误");
    // Identities ignore case (issue 10, item 20): a wrong password in another case is still
    // just wrong.
    login_answer(&app, "SYSADMIN", "wrong-pass").err(400, 2, "用户名或密码错误");
    // A huge identity is answered the same way and leaves nothing behind.
    login_answer(&app, &"x".repeat(60_000), "whatever").err(400, 2, "用户名或密码错误");
    let conn = rusqlite::Connection::open(app.db_path()).unwrap();
    let longest: i64 = conn
        .query_row(
            "SELECT coalesce(max(length(identity)), 0) FROM login_failure",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(longest < 100, "{longest}");
    assert_eq!(app.digest(), before);
}

#[test]
fn login_by_email() {
    let app = App::new();
    let sysadmin = app.demo("sysadmin");
    app.post(
        &format!("/api/user/{sysadmin}"),
        &json!({"name": "lisi", "password": "lisi-pass", "department": "CST",
                "character": 1, "email": "lisi@example.com"}),
    )
    .ok();
    let a = login_answer(&app, "lisi@example.com", "lisi-pass");
    assert_eq!(a.ok()["character"], 1);
    let session = a.ok()["session"].as_str().unwrap().to_owned();
    assert_eq!(character(&app, &session).ok()["name"], "lisi");
}

#[test]
fn malformed_session_tokens_answer_code_2() {
    let app = App::new();
    let good = app.demo("sysadmin");
    let mut with_dash = good.clone();
    with_dash.replace_range(5..6, "-");
    let mut non_ascii = good[..31].to_owned();
    non_ascii.push('é');
    let bad = [
        "abc".to_owned(),
        good[..31].to_owned(),
        format!("{good}a"),
        with_dash,
        enc(&non_ascii),
        enc(&format!("{} ", &good[..31])),
        "_".repeat(32),
    ];
    for token in &bad {
        for a in [
            character(&app, token),
            app.get(&format!("/api/user_entity/{token}/{}/1", enc(DEMO))),
            app.post(
                &format!("/api/post_asset/{token}"),
                &row("x", "liusn", "CST"),
            ),
            app.put("/api/logout", &json!({ "session": token })),
        ] {
            a.err(401, 2, "用户的会话标识符信息不正确");
        }
    }
}

#[test]
fn unknown_and_ended_sessions_answer_code_1() {
    let app = App::new();
    let unknown = "A".repeat(32);
    character(&app, &unknown).err(401, 1, "你无此权限");
    app.put("/api/logout", &json!({ "session": unknown }))
        .err(401, 1, "你无此权限");

    let first = app.demo("liusn");
    let second = app.demo("liusn");
    assert_ne!(first, second);
    app.put("/api/logout", &json!({ "session": first })).ok();
    character(&app, &first).err(401, 1, "你无此权限");
    app.post(&format!("/api/search_assets/{first}"), &json!({"page": 1}))
        .err(401, 1, "你无此权限");
    app.put("/api/logout", &json!({ "session": first }))
        .err(401, 1, "你无此权限");
    // Logout ends one session, not the user's others.
    assert_eq!(character(&app, &second).ok()["name"], "liusn");
}

#[test]
fn session_is_checked_before_the_body() {
    let app = App::new();
    let before = app.digest();
    app.post_raw("/api/post_asset/short", "not json")
        .err(401, 2, "用户的会话标识符信息不正确");
    let unknown = "b".repeat(32);
    app.post_raw(&format!("/api/department/{unknown}"), "{")
        .err(401, 1, "你无此权限");
    let staff = app.demo("zhangsan");
    app.post_raw(&format!("/api/department/{staff}"), "[1,2")
        .err(403, 1, "你无此权限");
    assert_eq!(app.digest(), before);
}

#[test]
fn a_locked_user_loses_every_session_and_is_refused_at_login() {
    let app = App::new();
    let sysadmin = app.demo("sysadmin");
    let staff = app.demo("zhangsan");
    let manager = app.demo("liusn");
    let zhangsan = user_id(&app, &sysadmin, "zhangsan");
    let liusn = user_id(&app, &sysadmin, "liusn");
    for id in [zhangsan, liusn] {
        app.put(
            &format!("/api/user/{sysadmin}"),
            &json!({"id": id, "lock": true}),
        )
        .ok();
    }
    let listed = app.get(&format!("/api/user_entity/{sysadmin}/{}/1", enc(DEMO)));
    let locks: Vec<(&str, bool)> = listed
        .ok()
        .as_array()
        .unwrap()
        .iter()
        .map(|u| (u["name"].as_str().unwrap(), u["lock"].as_bool().unwrap()))
        .collect();
    assert_eq!(
        locks,
        [("sysadmin", false), ("liusn", true), ("zhangsan", true)]
    );

    // The lock ended their sessions (issue 10, item 10): every request asks for a login.
    let locked = "你已被锁定，无法进行该操作";
    let before = app.digest();
    character(&app, &staff).err(401, 1, "你无此权限");
    app.post(
        &format!("/api/post_asset/{manager}"),
        &row("椅子", "liusn", "CST"),
    )
    .err(401, 1, "你无此权限");
    // The login says why, after the password: only who knows it learns of the lock.
    login_answer(&app, "zhangsan", DEMO_PASSWORD).err(403, 4, locked);
    login_answer(&app, "zhangsan", "nope-nope").err(400, 2, "用户名或密码错误");
    assert_eq!(app.digest(), before);

    // Unlocked, the user logs in again; the other stays locked.
    app.put(
        &format!("/api/user/{sysadmin}"),
        &json!({"id": zhangsan, "lock": false}),
    )
    .ok();
    let staff = app.demo("zhangsan");
    assert_eq!(character(&app, &staff).ok()["character"], 1);
    login_answer(&app, "liusn", DEMO_PASSWORD).err(403, 4, locked);
}

#[test]
fn password_change() {
    let app = App::new();
    let s = app.demo("zhangsan");
    let path = format!("/api/user_password/{s}");
    let before = app.digest();
    app.put(
        &path,
        &json!({"oldpassword": "wrong-pass", "newpassword": "brand-new"}),
    )
    .err(400, 2, "用户名或密码错误");
    app.put(
        &path,
        &json!({"oldpassword": DEMO_PASSWORD, "newpassword": "short"}),
    )
    .err(
        400,
        -2,
        "字段长度不合法：[password]（密码长度须在6到128之间）",
    );
    app.put(&path, &json!({"oldpassword": DEMO_PASSWORD})).err(
        400,
        -2,
        "缺少字段或类型错误：[newpassword]",
    );
    assert_eq!(app.digest(), before);

    app.put(
        &path,
        &json!({"oldpassword": DEMO_PASSWORD, "newpassword": "brand-new"}),
    )
    .ok();
    login_answer(&app, "zhangsan", DEMO_PASSWORD).err(400, 2, "用户名或密码错误");
    assert_eq!(
        login_answer(&app, "zhangsan", "brand-new").ok()["character"],
        1
    );
    // The session that changed it is still good.
    assert_eq!(character(&app, &s).ok()["name"], "zhangsan");
}

#[test]
fn admins_reset_passwords_of_those_below_them() {
    let app = App::new();
    let root = app.login("admin", ADMIN_PASSWORD);
    let sysadmin = app.demo("sysadmin");
    let sysadmin_id = user_id(&app, &sysadmin, "sysadmin");
    let liusn = user_id(&app, &sysadmin, "liusn");

    app.put(
        &format!("/api/user/{sysadmin}"),
        &json!({"id": liusn, "password": "reset-by-admin"}),
    )
    .ok();
    app.login("liusn", "reset-by-admin");
    app.put(
        &format!("/api/user/{root}"),
        &json!({"id": sysadmin_id, "password": "reset-by-root"}),
    )
    .ok();
    // The reset ended the system admin's sessions: they log in with the new password.
    let sysadmin = app.login("sysadmin", "reset-by-root");

    let before = app.digest();
    // A system admin is listed to another system admin, but is not theirs to change.
    app.put(
        &format!("/api/user/{root}"),
        &json!({"id": liusn, "lock": true}),
    )
    .err(403, 1, "你无此权限");
    app.put(
        &format!("/api/user/{sysadmin}"),
        &json!({"id": sysadmin_id, "lock": true}),
    )
    .err(403, 1, "你无此权限");
    app.put(
        &format!("/api/user/{sysadmin}"),
        &json!({"id": 999_999, "lock": true}),
    )
    .err(404, 7, "用户不存在");
    app.put(
        &format!("/api/user/{sysadmin}"),
        &json!({"id": liusn, "password": "12345"}),
    )
    .err(
        400,
        -2,
        "字段长度不合法：[password]（密码长度须在6到128之间）",
    );
    assert_eq!(app.digest(), before);
}

#[test]
fn repeated_failed_logins_slow_one_identity_down() {
    let app = App::new();
    for _ in 0..5 {
        login_answer(&app, "liusn", "guess-guess").err(400, 2, "用户名或密码错误");
    }
    for password in [DEMO_PASSWORD, "guess-guess"] {
        let a = login_answer(&app, "liusn", password);
        assert_eq!(a.status.code, 429, "{:?}", a.body);
        assert_eq!(a.code(), 3, "{:?}", a.body);
        assert!(
            a.info().starts_with("登录失败次数过多，请") && a.info().ends_with("秒后再试"),
            "{}",
            a.info()
        );
    }
    // Other identities are not affected.
    app.demo("zhangsan");
    // Four failures and a success start the count again.
    for _ in 0..4 {
        login_answer(&app, "sysadmin", "guess-guess").err(400, 2, "用户名或密码错误");
    }
    app.demo("sysadmin");
    for _ in 0..4 {
        login_answer(&app, "sysadmin", "guess-guess").err(400, 2, "用户名或密码错误");
    }
    app.demo("sysadmin");
}

/// Who may call what: every endpoint group, called by every role.
#[test]
fn each_role_is_allowed_and_refused_per_endpoint() {
    let app = App::new();
    let roles: Vec<(&str, String, &str)> = vec![
        ("staff", app.demo("zhangsan"), DEMO_PASSWORD),
        ("manager", app.demo("liusn"), DEMO_PASSWORD),
        ("admin", app.demo("sysadmin"), DEMO_PASSWORD),
        ("super", app.login("admin", ADMIN_PASSWORD), ADMIN_PASSWORD),
    ];
    let sysadmin = roles[2].1.clone();
    let manager = roles[1].1.clone();
    let zhangsan_id = user_id(&app, &sysadmin, "zhangsan");
    let sysadmin_id = user_id(&app, &sysadmin, "sysadmin");
    app.post(
        &format!("/api/department/{sysadmin}"),
        &json!({"name": "待删部门", "parent": ""}),
    )
    .ok();
    let asset = |name: &str| app.create_asset(&manager, &row(name, "liusn", "CST"));
    let to_modify = asset("待改资产");
    let to_retire = asset("待退资产");

    type Send<'a> = Box<dyn Fn(&str, &str, &str) -> Answer + 'a>;
    let calls: Vec<(&str, &[&str], Send)> = vec![
        (
            "GET character",
            &["staff", "manager", "admin", "super"],
            Box::new(|_, s, _| character(&app, s)),
        ),
        (
            "PUT user_password",
            &["staff", "manager", "admin", "super"],
            Box::new(|_, s, pw| {
                app.put(
                    &format!("/api/user_password/{s}"),
                    &json!({"oldpassword": pw, "newpassword": pw}),
                )
            }),
        ),
        (
            "POST entity",
            &["super"],
            Box::new(|role, s, _| {
                app.post(
                    &format!("/api/entity/{s}"),
                    &json!({ "name": format!("企业-{role}") }),
                )
            }),
        ),
        (
            "GET entity",
            &["super"],
            Box::new(|_, s, _| app.get(&format!("/api/entity/{s}"))),
        ),
        (
            "POST user",
            &["admin", "super"],
            Box::new(|role, s, _| {
                let body = if role == "super" {
                    json!({"name": "新系统管理员", "password": "secret1", "entity": DEMO,
                           "department": "", "character": 3})
                } else {
                    json!({"name": format!("新员工-{role}"), "password": "secret1",
                           "department": "CST", "character": 1})
                };
                app.post(&format!("/api/user/{s}"), &body)
            }),
        ),
        (
            "PUT user",
            &["admin", "super"],
            Box::new(|role, s, _| {
                let id = if role == "super" {
                    sysadmin_id
                } else {
                    zhangsan_id
                };
                app.put(&format!("/api/user/{s}"), &json!({"id": id, "lock": false}))
            }),
        ),
        (
            "GET user_entity",
            &["admin", "super"],
            Box::new(|_, s, _| app.get(&format!("/api/user_entity/{s}/{}/1", enc(DEMO)))),
        ),
        (
            "POST department",
            &["admin"],
            Box::new(|role, s, _| {
                app.post(
                    &format!("/api/department/{s}"),
                    &json!({"name": format!("部门-{role}"), "parent": "CST"}),
                )
            }),
        ),
        (
            "GET all_departments",
            &["manager", "admin", "super"],
            Box::new(|_, s, _| app.get(&format!("/api/all_departments/{s}/{}", enc(DEMO)))),
        ),
        (
            "DELETE department",
            &["admin"],
            Box::new(|_, s, _| app.delete(&format!("/api/department/{s}/{}", enc("待删部门")))),
        ),
        (
            "POST asset_tree",
            &["manager", "admin"],
            Box::new(|role, s, _| {
                app.post(
                    &format!("/api/asset_tree/{s}"),
                    &json!({"name": format!("分类-{role}"), "parent": "", "department": "CST"}),
                )
            }),
        ),
        (
            "GET asset_tree_root",
            &["manager", "admin"],
            Box::new(|_, s, _| app.get(&format!("/api/asset_tree_root/{s}/CST"))),
        ),
        (
            "GET sub_asset_tree",
            &["manager", "admin"],
            Box::new(|_, s, _| {
                app.get(&format!(
                    "/api/sub_asset_tree/{s}/CST/{}",
                    enc("数量型资产")
                ))
            }),
        ),
        (
            "DELETE sub_asset_tree",
            &["manager", "admin"],
            Box::new(|role, s, _| {
                app.delete(&format!(
                    "/api/sub_asset_tree/{s}/CST/{}",
                    enc(&format!("分类-{role}"))
                ))
            }),
        ),
        (
            "POST post_asset",
            &["manager", "admin"],
            Box::new(|role, s, _| {
                app.post(
                    &format!("/api/post_asset/{s}"),
                    &row(&format!("资产-{role}"), "liusn", "CST"),
                )
            }),
        ),
        (
            "PUT asset",
            &["manager", "admin"],
            Box::new(|role, s, _| {
                app.put(
                    &format!("/api/asset/{s}"),
                    &json!({"id": to_modify, "name": format!("改-{role}")}),
                )
            }),
        ),
        (
            "PUT expire_asset",
            &["manager", "admin"],
            Box::new(|_, s, _| app.put(&format!("/api/expire_asset/{s}"), &json!([to_retire]))),
        ),
        (
            "POST search_assets",
            &["staff", "manager", "admin"],
            Box::new(|_, s, _| app.post(&format!("/api/search_assets/{s}"), &json!({"page": 1}))),
        ),
        (
            "GET asset_user_list",
            &["staff"],
            Box::new(|_, s, _| app.get(&format!("/api/asset_user_list/{s}/1"))),
        ),
        (
            "GET async_task",
            &["manager", "admin"],
            Box::new(|_, s, _| app.get(&format!("/api/async_task/{s}"))),
        ),
        (
            "POST export_task",
            &["manager", "admin"],
            Box::new(|_, s, _| app.post(&format!("/api/export_task/{s}"), &json!([]))),
        ),
    ];

    for (endpoint, allowed, send) in &calls {
        for (role, session, password) in &roles {
            let before = app.digest();
            let a = send(role, session, password);
            if allowed.contains(role) {
                assert_eq!(
                    (a.status.code, a.code()),
                    (200, 0),
                    "{endpoint} as {role}: {:?}",
                    a.body
                );
            } else {
                assert_eq!(
                    (a.status.code, a.code(), a.info()),
                    (403, 1, "你无此权限"),
                    "{endpoint} as {role}: {:?}",
                    a.body
                );
                assert_eq!(app.digest(), before, "{endpoint} as {role} changed data");
            }
        }
    }
    let staff_list = app.get(&format!("/api/asset_user_list/{}/1", roles[0].1));
    assert_eq!(staff_list.ok(), &Value::Array(vec![]));
}

#[test]
fn an_idle_session_expires() {
    let app = App::new();
    let idle = app.demo("liusn");
    let active = app.demo("liusn");
    app.wait_stored(&idle);
    // 169 hours without a request: past the default session_ttl_hours of 168.
    let conn = rusqlite::Connection::open(app.db_path()).unwrap();
    let long_ago = chrono::Utc::now().timestamp() - 169 * 3600;
    conn.execute(
        "UPDATE session SET last_seen = ?1 WHERE token_hash = ?2",
        rusqlite::params![long_ago, assetport::db::users::token_hash(&idle)],
    )
    .unwrap();
    character(&app, &idle).err(401, 1, "你无此权限");
    // It stays ended, and the user's other session is untouched.
    character(&app, &idle).err(401, 1, "你无此权限");
    assert_eq!(character(&app, &active).ok()["name"], "liusn");
}
