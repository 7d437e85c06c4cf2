//! Issue 20's operations journal, as it is written: every act of administration and every login
//! writes exactly one entry with its kind, actor and detail, and a refused act none; a failed
//! login keeps who and from where, never what was typed as a password. (Reading it:
//! `journal_reads.rs`.)

use crate::common;

use common::roles::user_id;
use common::{item, row, App, ADMIN_PASSWORD, DEMO_PASSWORD};
use rusqlite::OptionalExtension;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// An entry as stored.
#[derive(Debug, Clone)]
pub struct Row {
    pub id: i64,
    pub entity_id: Option<i64>,
    pub actor_id: Option<i64>,
    pub actor: String,
    pub kind: String,
    pub task: Option<i64>,
    pub address: Option<String>,
    pub detail: Value,
}

/// The journal of a test's database, read from where the last look ended.
pub struct Journal {
    conn: rusqlite::Connection,
    seen: i64,
}

impl Journal {
    pub fn new(app: &App) -> Journal {
        let conn = rusqlite::Connection::open(app.db_path()).unwrap();
        let seen = conn
            .query_row("SELECT coalesce(max(id), 0) FROM journal", [], |r| r.get(0))
            .unwrap();
        Journal { conn, seen }
    }

    fn read(&self) -> Vec<Row> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT id, entity_id, actor_id, actor_name, kind, task_id, address, detail
                 FROM journal WHERE id > ?1 ORDER BY id",
            )
            .unwrap();
        let rows = stmt
            .query_map([self.seen], |r| {
                Ok(Row {
                    id: r.get(0)?,
                    entity_id: r.get(1)?,
                    actor_id: r.get(2)?,
                    actor: r.get(3)?,
                    kind: r.get(4)?,
                    task: r.get(5)?,
                    address: r.get(6)?,
                    detail: serde_json::from_str(&r.get::<_, String>(7)?).unwrap(),
                })
            })
            .unwrap();
        rows.map(Result::unwrap).collect()
    }

    /// The entries written since the last look: `n` of them, waited for (a login's entry is
    /// written a moment after it answers, with its session), and no more.
    pub fn since(&mut self, n: usize) -> Vec<Row> {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut rows = self.read();
        while rows.len() < n && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(2));
            rows = self.read();
        }
        assert_eq!(rows.len(), n, "{rows:#?}");
        if let Some(last) = rows.last() {
            self.seen = last.id;
        }
        rows
    }

    /// The one entry written since the last look, of `kind` by `actor`.
    pub fn one(&mut self, kind: &str, actor: &str) -> Row {
        let row = self.since(1).remove(0);
        assert_eq!(
            (row.kind.as_str(), row.actor.as_str()),
            (kind, actor),
            "{row:?}"
        );
        row
    }

    /// Nothing written since the last look.
    pub fn none(&mut self) {
        self.since(0);
    }
}

/// `detail` holds every field of `part` with its value.
fn has(detail: &Value, part: Value) {
    for (key, value) in part.as_object().unwrap() {
        assert_eq!(&detail[key], value, "{key} in {detail}");
    }
}

fn entity_id(app: &App, name: &str) -> i64 {
    let conn = rusqlite::Connection::open(app.db_path()).unwrap();
    conn.query_row("SELECT id FROM entity WHERE name = ?1", [name], |r| {
        r.get(0)
    })
    .unwrap()
}

fn task_id(answer: &Value) -> i64 {
    answer["id"].as_i64().expect("task id")
}

#[test]
fn every_act_of_administration_writes_one_entry_and_a_refused_act_none() {
    let app = App::with(&[("task_batch_rows", json!(50)), ("task_workers", json!(1))]);
    let demo = Some(entity_id(&app, "示例企业"));
    let mut j = Journal::new(&app);

    // Logins, from an address; the super admin's acts belong to no company.
    let root = app.login_from("10.1.0.1", "admin", ADMIN_PASSWORD).ok()["session"]
        .as_str()
        .unwrap()
        .to_owned();
    let login = j.one("login", "admin");
    assert_eq!(
        (login.entity_id, login.address.as_deref()),
        (None, Some("10.1.0.1"))
    );
    app.post(&format!("/api/entity/{root}"), &json!({"name": "审计企业"}))
        .ok();
    let created = j.one("entity_created", "admin");
    assert_eq!(created.entity_id, None);
    has(&created.detail, json!({"entity": "审计企业"}));
    app.post(&format!("/api/entity/{root}"), &json!({"name": "审计企业"}))
        .err(400, 5, "业务实体名称已存在");
    j.none();
    let body = json!({"name": "sysadmin2", "password": "secret22", "entity": "示例企业",
                      "department": "", "character": 3});
    app.post(&format!("/api/user/{root}"), &body).ok();
    let user = j.one("user_created", "admin");
    assert_eq!(user.entity_id, None);
    has(
        &user.detail,
        json!({"user": "sysadmin2", "character": 3, "entity": "示例企业"}),
    );

    // The system admin's acts belong to their company.
    let admin = app.demo("sysadmin");
    let login = j.one("login", "sysadmin");
    assert_eq!(login.entity_id, demo);
    let department = |name: &str, parent: &str| {
        app.post(
            &format!("/api/department/{admin}"),
            &json!({"name": name, "parent": parent}),
        )
    };
    department("审计部", "").ok();
    let made = j.one("department_created", "sysadmin");
    assert_eq!(made.entity_id, demo);
    has(&made.detail, json!({"department": "审计部", "parent": ""}));
    department("审计组", "审计部").ok();
    has(
        &j.one("department_created", "sysadmin").detail,
        json!({"parent": "审计部"}),
    );
    department("审计部", "").err(400, 5, "部门名称已存在");
    j.none();
    let staff = json!({"name": "lisi", "password": "secret33", "department": "审计部",
                       "character": 1, "email": "lisi@example.com"});
    app.post(&format!("/api/user/{admin}"), &staff).ok();
    let user = j.one("user_created", "sysadmin");
    has(
        &user.detail,
        json!({"user": "lisi", "character": 1, "department": "审计部", "email": "lisi@example.com"}),
    );
    assert!(!user.detail.to_string().contains("secret33"));

    // Locks, unlocks and resets: one entry each, none for what changes nothing or is refused.
    let lisi = user_id(&app, "lisi");
    let modify = |body: Value| app.put(&format!("/api/user/{admin}"), &body);
    modify(json!({"id": lisi, "lock": true})).ok();
    has(
        &j.one("user_locked", "sysadmin").detail,
        json!({"user": "lisi", "user_id": lisi}),
    );
    modify(json!({"id": lisi, "lock": true})).ok();
    j.none();
    modify(json!({"id": lisi, "lock": false})).ok();
    j.one("user_unlocked", "sysadmin");
    modify(json!({"id": lisi, "password": "reset-pass-1"})).ok();
    let reset = j.one("password_reset", "sysadmin");
    assert!(!reset.detail.to_string().contains("reset-pass-1"));
    modify(json!({"id": lisi, "password": "reset-pass-2", "lock": true})).ok();
    let both: Vec<String> = j.since(2).into_iter().map(|r| r.kind).collect();
    assert_eq!(both, ["password_reset", "user_locked"]);
    let sysadmin2 = user_id(&app, "sysadmin2");
    modify(json!({"id": sysadmin2, "lock": true})).err(403, 1, "你无此权限");
    modify(json!({"id": lisi, "password": "short"})).err(
        400,
        -2,
        "字段长度不合法：[password]（密码长度须在6到128之间）",
    );
    j.none();

    // Categories (an asset manager's) and departments.
    let manager = app.demo("liusn");
    j.one("login", "liusn");
    let tree = |name: &str| format!("/api/sub_asset_tree/{manager}/CST/{}", common::enc(name));
    let category = json!({"name": "审计分类", "parent": "", "department": "CST"});
    app.post(&format!("/api/asset_tree/{manager}"), &category)
        .ok();
    let made = j.one("category_created", "liusn");
    has(
        &made.detail,
        json!({"department": "CST", "category": "审计分类", "parent": "默认分类"}),
    );
    app.delete(&tree("默认分类"))
        .err(400, 20, "不能删除默认的层级分类");
    j.none();
    app.delete(&tree("审计分类")).ok();
    has(
        &j.one("category_deleted", "liusn").detail,
        json!({"department": "CST", "category": "审计分类"}),
    );
    app.delete(&format!(
        "/api/department/{admin}/{}",
        common::enc("审计部")
    ))
    .err(400, 20, "该部门下还有子部门，无法删除");
    j.none();
    app.delete(&format!(
        "/api/department/{admin}/{}",
        common::enc("审计组")
    ))
    .ok();
    has(
        &j.one("department_deleted", "sysadmin").detail,
        json!({"department": "审计组"}),
    );

    // One's own password, and a logout.
    let change = |old: &str| {
        app.put(
            &format!("/api/user_password/{manager}"),
            &json!({"oldpassword": old, "newpassword": "changed-pass-1"}),
        )
    };
    change("wrong-old-pass").err(400, 2, "用户名或密码错误");
    j.none();
    change(DEMO_PASSWORD).ok();
    assert_eq!(j.one("password_changed", "liusn").entity_id, demo);
    let logout = app
        .client
        .put("/api/logout")
        .remote("10.1.0.2:5000".parse().unwrap())
        .header(rocket::http::ContentType::JSON)
        .body(json!({"session": admin}).to_string())
        .dispatch();
    assert_eq!(logout.status().code, 200);
    let out = j.one("logout", "sysadmin");
    assert_eq!(out.address.as_deref(), Some("10.1.0.2"));
    app.put("/api/logout", &json!({"session": admin}))
        .err(401, 1, "你无此权限");
    j.none();

    tasks(&app, &manager, &mut j, demo);
}

/// Task acts, as the asset manager liusn (session `s`): each in the company `demo`, naming its
/// task.
fn tasks(app: &App, s: &str, j: &mut Journal, demo: Option<i64>) {
    let mut broken = item("坏行");
    broken["count"] = json!(0);
    let import = task_id(
        app.post(&format!("/api/asset/{s}"), &json!([item("好行"), broken]))
            .ok(),
    );
    let created = j.one("task_created", "liusn");
    assert_eq!((created.task, created.entity_id), (Some(import), demo));
    has(&created.detail, json!({"type": "import", "rows": 2}));
    app.wait_task(s, import);
    app.put(
        &format!("/failed_task/{s}/{import}"),
        &json!([item("修好的行")]),
    )
    .ok();
    let rerun = j.one("task_rerun", "liusn");
    assert_eq!(rerun.task, Some(import));
    has(&rerun.detail, json!({"rows": 1}));
    app.wait_task(s, import);

    let asset = app.create_asset(s, &row("待导出", "liusn", "CST"));
    j.none();
    let export = task_id(
        app.post(&format!("/api/export_task/{s}"), &json!([asset]))
            .ok(),
    );
    has(
        &j.one("task_created", "liusn").detail,
        json!({"type": "export", "rows": 1}),
    );
    app.wait_task(s, export);
    let csv = "name,assetClass,price,count,deadline,assetTree,user,department\n\
               文件资产,1,5,1,3,条目型资产,liusn,CST\n";
    let upload = task_id(
        app.post_raw(&format!("/api/asset_file/{s}?format=csv&dry_run=true"), csv)
            .ok(),
    );
    let dry = j.one("task_created", "liusn");
    assert_eq!(dry.task, Some(upload));
    has(
        &dry.detail,
        json!({"type": "import", "rows": 1, "dry_run": true}),
    );
    app.wait_task(s, upload);
    let confirm = format!("/api/async_task/{s}/{upload}/confirm");
    app.post(&confirm, &json!({})).ok();
    assert_eq!(j.one("task_confirmed", "liusn").task, Some(upload));
    app.wait_task(s, upload);
    app.post(&confirm, &json!({}))
        .err(400, 14, "该任务已确认执行，不能再次确认");
    j.none();

    // An undo names the import, and its own task in the detail (no task_created of its own).
    let undo = task_id(
        app.post(&format!("/api/async_task/{s}/{import}/undo"), &json!({}))
            .ok(),
    );
    let undone = j.one("task_undone", "liusn");
    assert_eq!(undone.task, Some(import));
    has(&undone.detail, json!({"undo_task": undo}));
    app.wait_task(s, undo);
    app.post(&format!("/api/async_task/{s}/{import}/undo"), &json!({}))
        .err(400, 15, "该任务已撤销，不能再次撤销");
    j.none();

    // A running import cancelled; a finished one is refused.
    let rows: Vec<Value> = (0..20_000)
        .map(|i| row(&format!("取消{i}"), "liusn", "CST"))
        .collect();
    let big = task_id(app.post(&format!("/api/asset/{s}"), &json!(rows)).ok());
    j.one("task_created", "liusn");
    app.post(&format!("/api/async_task/{s}/{big}/cancel"), &json!({}))
        .ok();
    assert_eq!(j.one("task_cancelled", "liusn").task, Some(big));
    app.wait_task(s, big);
    app.post(&format!("/api/async_task/{s}/{big}/cancel"), &json!({}))
        .err(400, 12, "该异步任务已结束，无法取消");
    j.none();

    // Deleting a task's data: once; again changes nothing.
    app.delete(&format!("/api/async_task/{s}/{export}")).ok();
    let deleted = j.one("task_deleted", "liusn");
    assert_eq!((deleted.task, deleted.entity_id), (Some(export), demo));
    app.delete(&format!("/api/async_task/{s}/{export}")).ok();
    j.none();
    app.delete(&format!("/api/async_task/{s}/999999"))
        .err(404, 6, "对应id的异步任务不存在");
    j.none();
}

/// Every byte of the database file and its WAL.
fn stored_bytes(app: &App) -> Vec<u8> {
    stored_bytes_at(&app.db_path())
}

#[test]
fn a_failed_login_is_recorded_with_who_and_where_and_never_what_was_typed() {
    let app = App::new();
    let demo = Some(entity_id(&app, "示例企业"));
    let liusn = user_id(&app, "liusn");
    let mut j = Journal::new(&app);
    let typed = [
        "Typed-Pw-81f3",
        "Pw-as-name-2c9e",
        "Typed-Pw-07aa",
        "Typed-Pw-5d21",
    ];

    app.login_from("10.2.0.1", "LiuSN", typed[0])
        .err(400, 2, "用户名或密码错误");
    let wrong = j.one("login_failed", "liusn");
    assert_eq!(
        (wrong.entity_id, wrong.actor_id, wrong.address.as_deref()),
        (demo, Some(liusn), Some("10.2.0.1"))
    );
    has(
        &wrong.detail,
        json!({"reason": "password", "identity": "LiuSN"}),
    );

    // A name no one has (here a password typed into the name field) is not kept: the entry
    // belongs to no company (the super admin reads it), with the address alone.
    app.login_from("10.2.0.2", typed[1], typed[2])
        .err(400, 2, "用户名或密码错误");
    let unknown = j.one("login_failed", "");
    assert_eq!((unknown.entity_id, unknown.actor_id), (None, None));
    assert_eq!(unknown.address.as_deref(), Some("10.2.0.2"));
    assert_eq!(unknown.detail, json!({"reason": "unknown_identity"}));

    // A locked user with the right password, and a guesser slowed down: each recorded too.
    let conn = rusqlite::Connection::open(app.db_path()).unwrap();
    conn.execute("UPDATE user SET lock = 1 WHERE name = 'zhangsan'", [])
        .unwrap();
    app.login_from("10.2.0.3", "zhangsan", DEMO_PASSWORD)
        .err(403, 4, "你已被锁定，无法进行该操作");
    has(
        &j.one("login_failed", "zhangsan").detail,
        json!({"reason": "locked"}),
    );
    for _ in 0..4 {
        app.login_from("10.2.0.1", "liusn", typed[3])
            .err(400, 2, "用户名或密码错误");
    }
    let throttled = app.login_from("10.2.0.1", "liusn", typed[3]);
    assert_eq!((throttled.status.code, throttled.code()), (429, 3));
    let reasons: Vec<String> = j
        .since(5)
        .iter()
        .map(|r| r.detail["reason"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        reasons,
        ["password", "password", "password", "password", "throttled"]
    );

    // The successful login after them, from elsewhere.
    app.login_from("10.2.0.4", "liusn", DEMO_PASSWORD).ok();
    assert_eq!(j.one("login", "liusn").address.as_deref(), Some("10.2.0.4"));

    // Nothing that was typed as a password, nor the unknown name, is anywhere in the file.
    let stored = stored_bytes(&app);
    for text in typed {
        let found = stored.windows(text.len()).any(|w| w == text.as_bytes());
        assert!(!found, "{text} is stored");
    }
    let count: Option<i64> = conn
        .query_row(
            "SELECT count(*) FROM journal WHERE kind = 'login_failed'",
            [],
            |r| r.get(0),
        )
        .optional()
        .unwrap();
    assert_eq!(count, Some(8));
}

#[test]
fn a_start_records_the_settings_when_they_changed_and_keeps_the_password_out() {
    let dir = tempfile::tempdir().unwrap();
    let start = |workers: i64| {
        let figment = assetport::figment()
            .merge(("database", dir.path().join("db.sqlite3")))
            .merge(("admin_password", "Start-secret-9"))
            .merge(("task_workers", workers))
            .merge(("log_level", "off"));
        let rocket = assetport::build(figment).expect("build");
        drop(rocket::local::blocking::Client::tracked(rocket).expect("client"));
    };
    start(2);
    start(2);
    start(3);
    let conn = rusqlite::Connection::open(dir.path().join("db.sqlite3")).unwrap();
    let mut stmt = conn
        .prepare(
            "SELECT actor_name, entity_id, detail FROM journal
             WHERE kind = 'settings_changed' ORDER BY id",
        )
        .unwrap();
    let entries: Vec<(String, Option<i64>, Value)> = stmt
        .query_map([], |r| {
            let detail: String = r.get(2)?;
            Ok((r.get(0)?, r.get(1)?, serde_json::from_str(&detail).unwrap()))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(entries.len(), 2, "{entries:#?}");
    assert_eq!((entries[0].0.as_str(), entries[0].1), ("系统", None));
    has(&entries[0].2, json!({"first": true}));
    has(
        &entries[0].2["settings"],
        json!({"task_workers": 2, "admin_password": true}),
    );
    assert_eq!(entries[1].2["changed"], json!({"task_workers": [2, 3]}));
    let stored = stored_bytes_at(&dir.path().join("db.sqlite3"));
    assert!(!stored
        .windows("Start-secret-9".len())
        .any(|w| w == b"Start-secret-9"));
}

fn stored_bytes_at(path: &std::path::Path) -> Vec<u8> {
    let mut stored = Vec::new();
    for suffix in ["", "-wal"] {
        let path = format!("{}{suffix}", path.display());
        stored.extend(std::fs::read(path).unwrap_or_default());
    }
    stored
}
