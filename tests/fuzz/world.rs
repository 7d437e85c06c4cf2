//! The fixture: sessions of every kind, and the users, assets and tasks the requests name.

use crate::common::{item, row, App, ADMIN_PASSWORD};
use rusqlite::Connection;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// Sessions of every kind and ids of users, assets and tasks.
pub struct World {
    pub sessions: BTreeMap<&'static str, String>,
    pub users: BTreeMap<String, i64>,
    pub chair: i64,
    pub laptop: i64,
    pub lamp: i64,
    pub foreign_asset: i64,
    pub import_task: i64,
    pub export_task: i64,
    pub foreign_task: i64,
}

pub fn setup(app: &App) -> World {
    let mut sessions = BTreeMap::new();
    for name in ["liusn", "sysadmin", "zhangsan"] {
        sessions.insert(name, app.demo(name));
    }
    sessions.insert("admin", app.login("admin", ADMIN_PASSWORD));
    let (admin2, wangwu, foreign_asset) = app.second_entity();
    sessions.insert("admin2", admin2);
    sessions.insert("wangwu", wangwu.clone());
    let logged_out = app.demo("liusn");
    app.put("/api/logout", &json!({ "session": logged_out }))
        .ok();
    sessions.insert("logged_out", logged_out);
    let (manager, admin) = (sessions["liusn"].clone(), sessions["sysadmin"].clone());
    app.post(
        &format!("/api/user/{admin}"),
        &json!({"name": "locked1", "password": "secret1", "department": "CST", "character": 1}),
    )
    .ok();
    sessions.insert("locked1", app.login("locked1", "secret1"));
    let conn = Connection::open(app.db_path()).expect("open db");
    let users: BTreeMap<String, i64> = conn
        .prepare("SELECT name, id FROM user")
        .and_then(|mut s| s.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect())
        .expect("users");
    app.put(
        &format!("/api/user/{admin}"),
        &json!({"id": users["locked1"], "lock": true}),
    )
    .ok();
    let post = |r: Value| {
        app.post(&format!("/api/post_asset/{manager}"), &r).ok()["id"]
            .as_i64()
            .expect("asset id")
    };
    let chair = post(row("椅子", "liusn", "CST"));
    let laptop = post(item("笔记本"));
    let lamp = post(row("台灯", "zhangsan", "CST"));
    app.post(
        &format!("/api/asset_tree/{manager}"),
        &json!({"name": "可删分类", "parent": "", "department": "CST"}),
    )
    .ok();
    let broken = json!({"name": "坏行", "department": "不存在"});
    let import = app.import(
        &manager,
        &json!([row("桌子", "liusn", "CST"), broken, broken]),
    );
    assert_eq!(import["number_failed"], json!(2), "{import}");
    let export = app.post(
        &format!("/api/export_task/{manager}"),
        &json!([chair, 999_999]),
    );
    let export_task = export.ok()["id"].as_i64().expect("task id");
    app.wait_task(&manager, export_task);
    let foreign = app.import(&wangwu, &json!([broken]));
    World {
        users,
        chair,
        laptop,
        lamp,
        foreign_asset,
        import_task: import["id"].as_i64().expect("id"),
        export_task,
        foreign_task: foreign["id"].as_i64().expect("id"),
        sessions,
    }
}

/// Waits for every task of the company and returns the list.
pub fn all_done(app: &App, session: &str) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let list = app.get(&format!("/api/async_task/{session}")).ok().clone();
        let list = list.as_array().cloned().unwrap_or_default();
        if list.iter().all(|t| t["finish"] != json!(0)) {
            return list;
        }
        assert!(Instant::now() < deadline, "tasks did not finish");
        std::thread::sleep(Duration::from_millis(10));
    }
}
