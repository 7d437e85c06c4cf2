//! Security properties users rely on (SPEC §2–§4): unguessable sessions; locked users and
//! expired sessions refused on every endpoint; passwords stored only as argon2id hashes; brute
//! force slowed down; user text never read as SQL; no session token in any log.

mod common;

use common::server::Server;
use common::{item, row, Answer, App, ADMIN_PASSWORD, DEMO_PASSWORD};
use rocket::http::{ContentType, Method};
use serde_json::{json, Value};
use std::collections::{BTreeSet, HashMap, HashSet};

const DEMO: &str = "示例企业";
const STAFF: i64 = 1;
const MANAGER: i64 = 2;
const ADMIN: i64 = 3;
const SUPER: i64 = 4;
const LOCKED: &str = "你已被锁定，无法进行该操作";

/// Percent-encodes a path segment.
fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Any request; an answer that is not JSON (a file) is kept as a JSON string.
fn call(app: &App, method: Method, path: &str, body: Option<&str>) -> Answer {
    let mut req = app.client.req(method, path).header(ContentType::JSON);
    if let Some(body) = body {
        req = req.body(body);
    }
    let res = req.dispatch();
    let status = res.status();
    let text = res.into_string().unwrap_or_default();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Answer { status, body }
}

/// The demo account of each role, with its password.
fn account(role: i64) -> (&'static str, &'static str) {
    match role {
        STAFF => ("zhangsan", DEMO_PASSWORD),
        MANAGER => ("liusn", DEMO_PASSWORD),
        ADMIN => ("sysadmin", DEMO_PASSWORD),
        _ => ("admin", ADMIN_PASSWORD),
    }
}

fn login_as(app: &App, role: i64) -> String {
    let (name, password) = account(role);
    app.login(name, password)
}

fn user_id(app: &App, name: &str) -> i64 {
    let conn = rusqlite::Connection::open(app.db_path()).unwrap();
    conn.query_row("SELECT id FROM user WHERE name = ?1", [name], |r| r.get(0))
        .unwrap()
}

/// Things the endpoints act on, so a call that wrongly got through would change data.
struct Fixture {
    task: i64,
    export: i64,
    to_modify: i64,
    to_retire: i64,
    sysadmin_id: i64,
    zhangsan_id: i64,
}

fn fixture(app: &App) -> Fixture {
    let admin = login_as(app, ADMIN);
    let manager = login_as(app, MANAGER);
    app.post(
        &format!("/api/department/{admin}"),
        &json!({"name": "待删部门", "parent": ""}),
    )
    .ok();
    app.post(
        &format!("/api/asset_tree/{manager}"),
        &json!({"name": "待删分类", "parent": "", "department": "CST"}),
    )
    .ok();
    let create = |name: &str| {
        app.post(
            &format!("/api/post_asset/{manager}"),
            &row(name, "liusn", "CST"),
        )
        .ok()["id"]
            .as_i64()
            .unwrap()
    };
    let to_modify = create("待改资产");
    let to_retire = create("待退资产");
    let mut broken = item("坏行");
    broken["count"] = json!(0);
    let task = app.post(
        &format!("/api/asset/{manager}"),
        &json!([item("好行"), broken]),
    );
    let task = task.ok()["id"].as_i64().unwrap();
    app.wait_task(&manager, task);
    let export = app.post(&format!("/api/export_task/{manager}"), &json!([to_modify]));
    let export = export.ok()["id"].as_i64().unwrap();
    app.wait_task(&manager, export);
    Fixture {
        task,
        export,
        to_modify,
        to_retire,
        sysadmin_id: user_id(app, "sysadmin"),
        zhangsan_id: user_id(app, "zhangsan"),
    }
}

/// Every endpoint with a session in its path, one a line: method, route as mounted, the roles
/// (characters) that may call it, and a valid body, so a call that got through would change or
/// show data. In a body `{old}` is the caller's password and the other placeholders are filled
/// from the `Fixture`.
const ENDPOINTS: &str = r#"
GET    /api/character/<_>                           1234
PUT    /api/user_password/<_>                       1234  {"oldpassword": "{old}", "newpassword": "changed-pass"}
POST   /api/entity/<_>                              4     {"name": "新企业"}
GET    /api/entity/<_>                              4
POST   /api/user/<_>                                4     {"name": "新管理员", "password": "secret1", "entity": "示例企业", "character": 3}
POST   /api/user/<_>                                3     {"name": "新员工", "password": "secret1", "department": "CST", "character": 1}
PUT    /api/user/<_>                                4     {"id": {sysadmin}, "password": "reset-pass"}
PUT    /api/user/<_>                                3     {"id": {zhangsan}, "password": "reset-pass"}
GET    /api/user_entity/<_>/<entity>/<page>         34
POST   /api/department/<_>                          3     {"name": "新部门", "parent": ""}
GET    /api/all_departments/<_>/<entity>            234
DELETE /api/department/<_>/<name>                   3
POST   /api/asset_tree/<_>                          23    {"name": "新分类", "parent": "", "department": "CST"}
GET    /api/asset_tree_root/<_>/<department>        23
GET    /api/sub_asset_tree/<_>/<department>/<node>  23
DELETE /api/sub_asset_tree/<_>/<department>/<node>  23
POST   /api/post_asset/<_>                          23    {row}
PUT    /api/asset/<_>                               23    {"id": {asset}, "name": "改名"}
PUT    /api/expire_asset/<_>                        23    [{retire}]
POST   /api/search_assets/<_>                       23    {"page": 1}
GET    /api/asset_user_list/<_>/<page>              1
POST   /api/asset/<_>                               23    [{row}]
POST   /api/export_task/<_>                         23    [{asset}]
GET    /api/async_task/<_>                          23
GET    /api/async_task/<_>/<id>                     23
GET    /failed_task/<_>/<id>                        23
GET    /api/failed_task/<_>/<id>                    23
PUT    /failed_task/<_>/<id>                        23    [{item}]
PUT    /api/failed_task/<_>/<id>                    23    [{item}]
GET    /api/export_task/<_>/<id>                    23
GET    /api/export_task/<_>/<id>/failed             23
GET    /api/asset_template/<_>                      23
POST   /api/asset_file/<_>                          23    {csv}
GET    /api/async_task/<_>/<id>/file                23
"#;

struct Endpoint {
    method: Method,
    route: &'static str,
    roles: Vec<i64>,
    body: &'static str,
}

fn endpoints() -> Vec<Endpoint> {
    ENDPOINTS
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let mut rest = line;
            let mut word = || {
                rest = rest.trim_start();
                let (word, tail) = rest.split_at(rest.find(' ').unwrap_or(rest.len()));
                rest = tail;
                word
            };
            let (method, route, roles) = (word(), word(), word());
            Endpoint {
                method: method.parse().unwrap(),
                route,
                roles: roles.bytes().map(|b| i64::from(b - b'0')).collect(),
                body: rest.trim(),
            }
        })
        .collect()
}

impl Endpoint {
    /// Sends this endpoint's request as `role` with `session`.
    fn send(&self, app: &App, fx: &Fixture, role: i64, session: &str) -> Answer {
        let node = if self.method == Method::Delete {
            "待删分类"
        } else {
            "数量型资产"
        };
        let id = if self.route.starts_with("/api/export_task") {
            fx.export
        } else {
            fx.task
        };
        let mut path = [
            ("<_>", session.to_owned()),
            ("<id>", id.to_string()),
            ("<entity>", enc(DEMO)),
            ("<page>", "1".to_owned()),
            ("<name>", enc("待删部门")),
            ("<department>", "CST".to_owned()),
            ("<node>", enc(node)),
        ]
        .iter()
        .fold(self.route.to_owned(), |p, (from, to)| p.replace(from, to));
        if path.contains("/asset_template/")
            || path.contains("/asset_file/")
            || path.ends_with("/file")
        {
            path.push_str("?format=csv");
        }
        let csv = "name,assetClass,price,count,deadline,assetTree,user,department\n\
                   文件资产,1,5,1,3,条目型资产,liusn,CST\n";
        let body = [
            ("{old}", account(role).1.to_owned()),
            ("{sysadmin}", fx.sysadmin_id.to_string()),
            ("{zhangsan}", fx.zhangsan_id.to_string()),
            ("{asset}", fx.to_modify.to_string()),
            ("{retire}", fx.to_retire.to_string()),
            ("{row}", row("新资产", "liusn", "CST").to_string()),
            ("{item}", item("修好的行").to_string()),
            ("{csv}", csv.to_owned()),
        ]
        .iter()
        .fold(self.body.to_owned(), |b, (from, to)| b.replace(from, to));
        call(
            app,
            self.method,
            &path,
            (!body.is_empty()).then_some(body.as_str()),
        )
    }
}

/// The table above is every route with a session segment (a new endpoint must be added to
/// it), and each of its requests, sent by a live unlocked user, gets past the session checks.
#[test]
fn the_endpoint_table_covers_every_session_route() {
    let mounted: BTreeSet<(String, String)> = assetport::api::routes()
        .iter()
        .filter(|r| r.uri.path().contains("<_>"))
        .map(|r| (r.method.to_string(), r.uri.path().to_owned()))
        .collect();
    let listed: BTreeSet<(String, String)> = endpoints()
        .iter()
        .map(|e| (e.method.to_string(), e.route.to_owned()))
        .collect();
    assert_eq!(listed, mounted);

    let app = App::new();
    let fx = fixture(&app);
    let sessions: HashMap<i64, String> = [STAFF, MANAGER, ADMIN, SUPER]
        .into_iter()
        .map(|role| (role, login_as(&app, role)))
        .collect();
    for e in endpoints() {
        for (n, role) in e.roles.iter().enumerate() {
            let a = e.send(&app, &fx, *role, &sessions[role]);
            let refused = matches!((a.status.code, a.code()), (401, _) | (403, 1 | 4));
            assert!(!refused, "{} {} as {role}: {:?}", e.method, e.route, a.body);
            // The first caller of a line succeeds; later ones may meet what it created, and
            // the second re-run line meets the re-run of the first.
            let rerun_again = e.method == Method::Put && e.route == "/api/failed_task/<_>/<id>";
            if n == 0 && !rerun_again {
                assert_eq!(a.status.code, 200, "{} {}: {:?}", e.method, e.route, a.body);
            }
        }
    }
}

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

/// Locks all four demo roles: staff and manager by the system admin, the system admin by the
/// super admin, and the super admin directly in the database (no API may lock it).
fn lock_everyone(app: &App, fx: &Fixture) {
    let admin = login_as(app, ADMIN);
    let root = login_as(app, SUPER);
    for id in [fx.zhangsan_id, user_id(app, "liusn")] {
        app.put(
            &format!("/api/user/{admin}"),
            &json!({"id": id, "lock": true}),
        )
        .ok();
    }
    app.put(
        &format!("/api/user/{root}"),
        &json!({"id": fx.sysadmin_id, "lock": true}),
    )
    .ok();
    let conn = rusqlite::Connection::open(app.db_path()).unwrap();
    conn.execute("UPDATE user SET lock = 1 WHERE name = 'admin'", [])
        .unwrap();
}

#[test]
fn a_locked_user_is_refused_on_every_endpoint_of_their_role() {
    let app = App::new();
    let fx = fixture(&app);
    let sessions: HashMap<i64, String> = [STAFF, MANAGER, ADMIN, SUPER]
        .into_iter()
        .map(|role| (role, login_as(&app, role)))
        .collect();
    lock_everyone(&app, &fx);
    let before = app.digest();
    let mut checked = 0;
    for e in endpoints() {
        for role in &e.roles {
            let a = e.send(&app, &fx, *role, &sessions[role]);
            assert_eq!(
                (a.status.code, a.code(), a.info()),
                (403, 4, LOCKED),
                "{} {} as {role}: {:?}",
                e.method,
                e.route,
                a.body
            );
            checked += 1;
        }
    }
    assert_eq!(app.digest(), before, "a locked user changed data");
    assert!(checked > 40, "{checked}");
    // And none of them can log in again.
    for role in [STAFF, MANAGER, ADMIN, SUPER] {
        let (name, password) = account(role);
        let a = app.post(
            "/api/login",
            &json!({"identity": name, "password": password}),
        );
        a.err(403, 4, LOCKED);
    }
}

#[test]
fn an_expired_session_is_refused_on_every_endpoint() {
    let app = App::new();
    let fx = fixture(&app);
    let conn = rusqlite::Connection::open(app.db_path()).unwrap();
    // Idle for 169 hours: past the default session_ttl_hours of 168.
    let long_ago = chrono::Utc::now().timestamp() - 169 * 3600;
    let before = app.digest();
    for e in endpoints() {
        for role in &e.roles {
            let session = login_as(&app, *role);
            conn.execute(
                "UPDATE session SET last_seen = ?1 WHERE token = ?2",
                rusqlite::params![long_ago, session],
            )
            .unwrap();
            let a = e.send(&app, &fx, *role, &session);
            assert_eq!(
                (a.status.code, a.code(), a.info()),
                (401, 1, "你无此权限"),
                "{} {} as {role}: {:?}",
                e.method,
                e.route,
                a.body
            );
            // The expired session is gone, not merely refused once.
            let left: i64 = conn
                .query_row(
                    "SELECT count(*) FROM session WHERE token = ?1",
                    [&session],
                    |r| r.get(0),
                )
                .unwrap();
            assert_eq!(left, 0, "{} {}", e.method, e.route);
        }
    }
    assert_eq!(app.digest(), before, "an expired session changed data");
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

/// Quote, comment, statement and LIKE-wildcard characters, and an injection attempt.
const NASTY: &str = r#"'"--/*;%_\ x' OR '1'='1'; DROP TABLE asset; -- */"#;

fn nasty(label: &str) -> String {
    format!("{label}{NASTY}")
}

/// A successful answer's `data` list.
fn list(app: &App, path: &str) -> Vec<Value> {
    app.get(path).ok().as_array().cloned().unwrap_or_default()
}

fn search(app: &App, session: &str, filter: Value) -> Vec<Value> {
    let mut body = filter;
    body["page"] = json!(1);
    body["size"] = json!(1000);
    let a = app.post(&format!("/api/search_assets/{session}"), &body);
    a.ok().as_array().unwrap().clone()
}

fn names(assets: &[Value]) -> BTreeSet<String> {
    assets
        .iter()
        .map(|a| a["name"].as_str().unwrap().to_owned())
        .collect()
}

/// Every row of every table `App::digest` covers, as text, by table.
fn table_rows(app: &App) -> HashMap<String, HashSet<String>> {
    let conn = rusqlite::Connection::open(app.db_path()).unwrap();
    app.table_counts()
        .into_iter()
        .map(|(table, _)| {
            let mut stmt = conn.prepare(&format!("SELECT * FROM \"{table}\"")).unwrap();
            let columns = stmt.column_count();
            let rows = stmt
                .query_map([], |r| {
                    (0..columns)
                        .map(|c| {
                            r.get::<_, rusqlite::types::Value>(c)
                                .map(|v| format!("{v:?}"))
                        })
                        .collect::<Result<Vec<_>, _>>()
                        .map(|v| v.join("|"))
                })
                .unwrap()
                .collect::<Result<HashSet<_>, _>>()
                .unwrap();
            (table, rows)
        })
        .collect()
}

#[test]
fn user_text_is_stored_and_matched_verbatim_never_as_sql() {
    let app = App::new();
    let root = login_as(&app, SUPER);
    let counts_before: HashMap<String, i64> = app.table_counts().into_iter().collect();
    let rows_before = table_rows(&app);

    // Entity and its system admin, whose name and password are nasty too.
    let entity = nasty("企业");
    app.post(&format!("/api/entity/{root}"), &json!({ "name": entity }))
        .ok();
    let entities = list(&app, &format!("/api/entity/{root}"));
    assert!(entities.iter().any(|e| e["name"] == entity));
    let (admin_name, admin_password) = (nasty("管理员"), nasty("密码"));
    app.post(
        &format!("/api/user/{root}"),
        &json!({"name": admin_name, "password": admin_password, "entity": entity,
                "department": "", "character": 3}),
    )
    .ok();
    let admin = app.login(&admin_name, &admin_password);

    // Departments: a top one and a child named by it.
    let (department, child) = (nasty("部门"), nasty("子部门"));
    for (name, parent) in [(&department, ""), (&child, department.as_str())] {
        app.post(
            &format!("/api/department/{admin}"),
            &json!({ "name": name, "parent": parent }),
        )
        .ok();
    }
    let listed = list(
        &app,
        &format!("/api/all_departments/{admin}/{}", enc(&entity)),
    );
    let pairs: Vec<(&Value, &Value)> = listed.iter().map(|d| (&d["name"], &d["parent"])).collect();
    let (top, below) = (json!(department), json!(child));
    assert_eq!(pairs, [(&top, &json!("")), (&below, &top)]);

    // An asset manager with a nasty name, email and password; login by name and by email.
    let (manager_name, manager_password) = (nasty("经理"), nasty("经理密码"));
    let email = format!("{}@example.com", nasty("mail"));
    app.post(
        &format!("/api/user/{admin}"),
        &json!({"name": manager_name, "password": manager_password, "entity": entity,
                "department": department, "character": 2, "email": email}),
    )
    .ok();
    let users = list(
        &app,
        &format!("/api/user_entity/{admin}/{}/1", enc(&entity)),
    );
    let listed = users.iter().find(|u| u["name"] == manager_name).unwrap();
    assert_eq!(listed["email"], email);
    assert_eq!(listed["department"], department);
    assert_eq!(listed["entity"], entity);
    let by_email = app.post(
        "/api/login",
        &json!({"identity": email, "password": manager_password}),
    );
    assert_eq!(by_email.ok()["character"], 2);
    let manager = app.login(&manager_name, &manager_password);

    // Categories: a node under the root and one under it.
    let (category, sub) = (nasty("分类"), nasty("子分类"));
    for (name, parent) in [(&category, ""), (&sub, category.as_str())] {
        app.post(
            &format!("/api/asset_tree/{manager}"),
            &json!({ "name": name, "parent": parent, "department": department }),
        )
        .ok();
    }
    let tree = app.get(&format!(
        "/api/asset_tree_root/{manager}/{}",
        enc(&department)
    ));
    let children = tree.ok()["children"].as_array().unwrap();
    let node = children.iter().find(|c| c["name"] == category).unwrap();
    assert_eq!(node["children"][0]["name"], sub);
    let subtree = app.get(&format!(
        "/api/sub_asset_tree/{manager}/{}/{}",
        enc(&department),
        enc(&category)
    ));
    assert_eq!(subtree.ok()["name"], category);
    assert_eq!(subtree.ok()["children"][0]["name"], sub);

    // post_asset: a nasty parent (by name), owner, department, category, description, position.
    let post = |body: Value| {
        app.post(&format!("/api/post_asset/{manager}"), &body).ok()["id"]
            .as_i64()
            .unwrap()
    };
    let parent = nasty("父资产");
    post(
        json!({"name": parent, "assetClass": 1, "user": manager_name, "price": 1,
                "count": 1, "assetTree": "条目型资产", "department": department,
                "deadline": 1, "description": nasty("父描述"), "position": nasty("父位置")}),
    );
    let asset = json!({"name": nasty("资产"), "parent": parent, "assetClass": 0,
                       "user": manager_name, "price": 2.5, "count": 3, "assetTree": sub,
                       "department": department, "deadline": 5,
                       "description": nasty("描述"), "position": nasty("位置")});
    let id = post(asset.clone());
    let view = search(&app, &manager, json!({ "id": id }));
    assert_eq!(view.len(), 1);
    let view = &view[0];
    for (field, sent) in [
        ("name", "name"),
        ("parentName", "parent"),
        ("userName", "user"),
        ("assetTree", "assetTree"),
        ("departmentName", "department"),
        ("description", "description"),
        ("position", "position"),
    ] {
        assert_eq!(view[field], asset[sent], "{field}");
    }

    // Modify: the new text is stored as sent.
    app.put(
        &format!("/api/asset/{manager}"),
        &json!({"id": id, "description": nasty("新描述"), "position": nasty("新位置")}),
    )
    .ok();
    let view = &search(&app, &manager, json!({ "id": id }))[0];
    assert_eq!(view["description"], nasty("新描述"));
    assert_eq!(view["position"], nasty("新位置"));

    // Import: a good nasty row, and failed ones that come back exactly as sent.
    let good = json!({"name": nasty("导入"), "parent": parent, "assetClass": "数量型",
                      "user": manager_name, "price": "3", "count": "2", "assetTree": category,
                      "department": department, "deadline": 1, "description": nasty("导入描述"),
                      "position": nasty("导入位置")});
    let mut zero = good.clone();
    zero["name"] = json!(nasty("零个"));
    zero["count"] = json!(0);
    let strangers = json!({"name": nasty("陌生"), "parent": "", "assetClass": 0,
                           "user": "' OR '1'='1", "price": 1, "count": 1,
                           "assetTree": "默认分类", "department": "x' OR 1=1 --",
                           "deadline": 1, "description": NASTY, "position": NASTY});
    let lookalike = json!({"name": nasty("同名"), "parent": "", "assetClass": 0,
                           "user": format!("{manager_name}%"), "price": 1, "count": 1,
                           "assetTree": format!("{category}_"), "department": department,
                           "deadline": 1});
    let task = app.import(&manager, &json!([good, zero, strangers, lookalike]));
    assert_eq!(
        (&task["number_succeed"], &task["finish"]),
        (&json!(1), &json!(2))
    );
    let failed = app.get(&format!("/failed_task/{manager}/{}", task["id"]));
    let failed = failed.ok().as_array().unwrap().clone();
    let messages = [
        "资产数量不可小于1",
        "对应部门不存在；未找到该资产挂账人",
        "未找到指定层级分类；未找到该资产挂账人",
    ];
    assert_eq!(failed.len(), 3);
    for ((got, sent), message) in failed
        .iter()
        .zip([&zero, &strangers, &lookalike])
        .zip(messages)
    {
        let mut expected = sent.clone();
        expected["message"] = json!(message);
        assert_eq!(got, &expected);
    }
    let imported = search(&app, &manager, json!({ "name": nasty("导入") }));
    assert_eq!(imported.len(), 1);
    for field in ["name", "description", "position", "assetTree"] {
        assert_eq!(imported[0][field], good[field], "{field}");
    }
    assert_eq!(imported[0]["parentName"], parent);

    // Names with wildcard and escape characters, to search for.
    let literal = ["a%b", "aXb", "a_b", "aYb", r"a\b", "a%%b", "100%", "1000"];
    for name in literal {
        post(
            json!({"name": name, "assetClass": 0, "user": manager_name, "price": 1,
                    "count": 1, "assetTree": "默认分类", "department": department,
                    "deadline": 1, "description": format!("说明{name}")}),
        );
    }

    // Search filters match text literally: the answer is exactly the assets whose name (or
    // description) contains the text, whatever characters it holds.
    let everything = app.assets(&manager);
    assert_eq!(everything.len(), 3 + literal.len());
    let wildcards = ["%", "_", "a%b", "a_b", "%%", "100%", r"\", r"a\b", "*"];
    let sql = [
        NASTY,
        "'",
        "\"",
        "--",
        "/*",
        ";",
        "' OR '1'='1",
        "%' OR '1'='1' --",
    ];
    for needle in wildcards.into_iter().chain(sql) {
        for field in ["name", "description"] {
            let expected: BTreeSet<String> = everything
                .iter()
                .filter(|a| a[field].as_str().unwrap().contains(needle))
                .map(|a| a["name"].as_str().unwrap().to_owned())
                .collect();
            let found = names(&search(&app, &manager, json!({ field: needle })));
            assert_eq!(found, expected, "{field} contains {needle:?}");
        }
    }
    assert_eq!(
        names(&search(&app, &manager, json!({"name": "a%b"}))),
        BTreeSet::from(["a%b".to_owned()])
    );
    // Exact-match filters take the text as a value, never as a condition.
    let count = |filter: Value| search(&app, &manager, filter).len();
    assert_eq!(count(json!({ "user": manager_name })), everything.len());
    assert_eq!(count(json!({ "department": department })), everything.len());
    assert_eq!(count(json!({ "asset_tree_node": category })), 2);
    assert_eq!(count(json!({ "asset_tree_node": sub })), 1);
    for injection in ["' OR '1'='1", "x' OR 1=1 --", "%", "_", "*"] {
        for field in ["user", "department", "asset_tree_node"] {
            assert_eq!(
                count(json!({ field: injection })),
                0,
                "{field} = {injection:?}"
            );
        }
    }

    // Export: ids that are not ids are refused row by row.
    let export = app.post(
        &format!("/api/export_task/{manager}"),
        &json!([id, "1 OR 1=1", "'; DROP TABLE asset; --"]),
    );
    let export = app.wait_task(&manager, export.ok()["id"].as_i64().unwrap());
    assert_eq!(
        (&export["number_succeed"], &export["number_failed"]),
        (&json!(1), &json!(2))
    );

    // Path segments and login identities are values too.
    app.delete(&format!("/api/department/{admin}/{}", enc("' OR '1'='1")))
        .err(404, 7, "部门不存在");
    app.get(&format!(
        "/api/all_departments/{admin}/{}",
        enc("' OR 1=1 --")
    ))
    .err(404, 7, "业务实体不存在");
    app.post(
        "/api/login",
        &json!({"identity": "' OR '1'='1", "password": "' OR '1'='1"}),
    )
    .err(400, 2, "用户名或密码错误");

    // Nothing else changed: every row there before is still there, unchanged, and each table
    // grew by exactly what was created above.
    let rows_after = table_rows(&app);
    for (table, rows) in &rows_before {
        for row in rows {
            assert!(
                rows_after[table].contains(row),
                "{table}: changed or deleted: {row}"
            );
        }
    }
    let created: HashMap<&str, i64> = HashMap::from([
        ("entity", 1),
        ("user", 2),
        ("department", 2),
        ("category", 3 * 2 + 2),
        ("asset", 3 + literal.len() as i64),
        ("task", 2),
        ("task_chunk", 0),
        ("task_failure", 3 + 2),
        ("export_chunk", 1),
    ]);
    for (table, n) in app.table_counts() {
        let grew = n - counts_before.get(&table).copied().unwrap_or(0);
        assert_eq!(
            grew,
            created.get(table.as_str()).copied().unwrap_or(0),
            "{table}"
        );
    }
}

#[test]
fn logs_never_contain_a_session_token() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("db.sqlite3");
    let server = Server::start(&database, &[]);
    let mut tokens = Vec::new();
    for (name, password) in [
        ("liusn", DEMO_PASSWORD),
        ("liusn", DEMO_PASSWORD),
        ("sysadmin", DEMO_PASSWORD),
        ("zhangsan", DEMO_PASSWORD),
        ("admin", ADMIN_PASSWORD),
    ] {
        tokens.push(server.login(name, password));
    }
    let (status, _) = server.post(
        "/api/login",
        &json!({"identity": "liusn", "password": "wrong-pass"}).to_string(),
    );
    assert_eq!(status, 400);
    let asset = row("日志资产", "liusn", "CST").to_string();
    let import = json!([row("日志导入", "liusn", "CST"), {"name": ""}]).to_string();
    let mut statuses = BTreeSet::new();
    for t in &tokens {
        let requests: Vec<(&str, String, Option<&str>)> = vec![
            ("GET", format!("/api/character/{t}"), None),
            ("GET", format!("/api/character/{t}?session={t}"), None),
            (
                "POST",
                format!("/api/search_assets/{t}"),
                Some(r#"{"page":1}"#),
            ),
            ("POST", format!("/api/search_assets/{t}"), Some("not json")),
            ("POST", format!("/api/post_asset/{t}"), Some(&asset)),
            ("POST", format!("/api/asset/{t}"), Some(&import)),
            ("GET", format!("/api/async_task/{t}"), None),
            ("GET", format!("/api/async_task/{t}/1"), None),
            ("GET", format!("/failed_task/{t}/999999"), None),
            ("GET", format!("/api/export_task/{t}/abc"), None),
            ("GET", format!("/api/asset_template/{t}?format=csv"), None),
            ("GET", format!("/api/asset_template/{t}?format=doc"), None),
            ("GET", format!("/api/entity/{t}"), None),
            (
                "DELETE",
                format!("/api/department/{t}/{}", enc("无此部门")),
                None,
            ),
            ("GET", format!("/api/nope/{t}"), None),
            ("GET", format!("/api/character/{t}/extra"), None),
            // A token with something appended, or with a letter percent-encoded (which Rocket
            // decodes, so it logs in).
            ("GET", format!("/api/character/{t}x"), None),
            ("GET", format!("/api/asset_template/{t}.csv"), None),
            ("GET", format!("/api/character/{t};x=1"), None),
            (
                "GET",
                format!("/api/character/%{:02X}{}", t.as_bytes()[0], &t[1..]),
                None,
            ),
            ("GET", format!("/{t}"), None),
            ("GET", format!("/static/{t}"), None),
            ("POST", format!("/api/character/{t}"), Some("{}")),
        ];
        for (method, path, body) in requests {
            let (status, _) = server.request_bytes(method, &path, body.map(str::as_bytes));
            statuses.insert(status);
        }
        let (status, _) = server.request(
            "PUT",
            "/api/logout",
            Some(&json!({ "session": t }).to_string()),
        );
        assert_eq!(status, 200);
        // And once more after logout.
        let (status, _) = server.get(&format!("/api/character/{t}"));
        assert_eq!(status, 401);
        statuses.insert(status);
    }
    // Successes and failures of every kind were logged.
    for status in [200, 400, 401, 403, 404] {
        assert!(statuses.contains(&status), "{statuses:?}");
    }
    let stderr = server.log.clone();
    server.kill();

    let stderr = std::fs::read_to_string(stderr).unwrap();
    let file = std::fs::read_to_string(dir.path().join("assetport.log")).unwrap();
    for (name, log) in [("stderr", &stderr), ("assetport.log", &file)] {
        // The requests are in the log, with the session masked.
        assert!(log.contains("GET /api/nope/********"), "{name}:\n{log}");
        assert!(log.contains("POST /api/search_assets/********"), "{name}");
        for t in &tokens {
            assert!(!log.contains(&t[1..]), "{name} holds the token {t}");
        }
    }
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

    let conn = rusqlite::Connection::open(app.db_path()).unwrap();
    let keys: Vec<String> = conn
        .prepare("SELECT identity FROM login_failure")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(keys.len(), 2, "{keys:?}");
    drop(conn);
    let mut stored = Vec::new();
    for suffix in ["", "-wal"] {
        let path = format!("{}{suffix}", app.db_path().display());
        stored.extend(std::fs::read(path).unwrap_or_default());
    }
    for text in [typed, "liusn"] {
        let kept = keys.iter().any(|k| k.contains(text));
        assert!(!kept, "login_failure holds {text:?}: {keys:?}");
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
