//! The rights rules (`rights`) and the edits and deletions with the assets they move
//! (`assets`), on the in-memory fixture.

mod assets;
mod rights;

use super::*;
use crate::db::fixture;
use crate::db::history::Kind as History;
use crate::db::org::{ITEM_CATEGORY, QUANTITY_CATEGORY, ROOT_CATEGORY};
use std::cell::RefCell;

/// 示例企业 (CST, 软件组 below it, 财务部) with sysadmin, the managers liusn (CST) and caiwu
/// (财务部), the staff zhangsan (CST); 另一企业 with admin2 and its staff wangwu; the super
/// admin. Both CST and 财务部 have a category 椅子类 below 数量型资产; CST also 电脑类 below
/// 条目型资产.
struct World {
    conn: crate::db::Conn,
    cst: i64,
    finance: i64,
    software: i64,
    zhangsan: i64,
    liusn: i64,
}

fn world() -> World {
    let conn = fixture::db();
    let demo = fixture::insert_company(&conn);
    fixture::insert_user(&conn, "admin", Role::Super, None, None);
    fixture::insert_user(&conn, "sysadmin", Role::Admin, Some(demo.id), None);
    let liusn = fixture::insert_user(&conn, "liusn", Role::Manager, Some(demo.id), Some(demo.cst));
    fixture::insert_user(
        &conn,
        "caiwu",
        Role::Manager,
        Some(demo.id),
        Some(demo.finance),
    );
    let zhangsan = fixture::insert_user(
        &conn,
        "zhangsan",
        Role::Staff,
        Some(demo.id),
        Some(demo.cst),
    );
    let other = fixture::insert_entity(&conn, "另一企业");
    let sales = fixture::insert_department(&conn, other, None, "销售部");
    fixture::insert_user(&conn, "admin2", Role::Admin, Some(other), None);
    fixture::insert_user(&conn, "wangwu", Role::Staff, Some(other), Some(sales));
    for department in [demo.cst, demo.finance] {
        fixture::insert_category(&conn, department, QUANTITY_CATEGORY, "椅子类");
    }
    fixture::insert_category(&conn, demo.cst, ITEM_CATEGORY, "电脑类");
    World {
        conn,
        cst: demo.cst,
        finance: demo.finance,
        software: demo.software,
        zhangsan,
        liusn,
    }
}

fn caller(conn: &Connection, name: &str) -> Caller {
    let user = users::user_by_name(conn, name).unwrap().unwrap();
    Caller {
        user_id: user.id,
        name: user.name,
        role: Role::from_character(user.character).unwrap(),
        entity_id: user.entity_id,
        department_id: user.department_id,
        token: String::new(),
    }
}

fn user(conn: &Connection, name: &str) -> UserRow {
    users::user_by_name(conn, name).unwrap().unwrap()
}

/// Runs an edit as `who`, recording whose pending sessions it ended.
fn edit_as(w: &World, who: &str, id: i64, req: EditUserRequest) -> (Result<Edited>, Vec<i64>) {
    let ended = RefCell::new(Vec::new());
    let end = |user: i64| ended.borrow_mut().push(user);
    let result = edit(&w.conn, &end, &caller(&w.conn, who), id, &req);
    (result, ended.into_inner())
}

fn delete_as(
    w: &World,
    who: &str,
    id: i64,
    choice: Option<AssetsChoice>,
) -> Result<Option<AssetsMoved>> {
    delete(&w.conn, &|_| {}, &caller(&w.conn, who), id, choice)
}

fn move_to(department: &str, assets: Option<AssetsChoice>) -> EditUserRequest {
    EditUserRequest {
        department: Some(department.into()),
        assets,
        ..Default::default()
    }
}

/// (asset id, department, category name, owner, parent, status) of every asset, by id.
fn assets_now(conn: &Connection) -> Vec<(i64, i64, String, i64, Option<i64>, i64)> {
    let mut stmt = conn
        .prepare(
            "SELECT a.id, a.department_id, c.name, a.owner_id, a.parent_id, a.status
             FROM asset a JOIN category c ON c.id = a.category_id ORDER BY a.id",
        )
        .unwrap();
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })
        .unwrap();
    rows.collect::<rusqlite::Result<_>>().unwrap()
}

/// (asset, kind code) of every history entry after `after`, by id.
fn history_after(conn: &Connection, after: i64) -> Vec<(i64, i64)> {
    let mut stmt = conn
        .prepare("SELECT asset_id, kind FROM asset_history WHERE id > ?1 ORDER BY id")
        .unwrap();
    let rows = stmt
        .query_map([after], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap();
    rows.collect::<rusqlite::Result<_>>().unwrap()
}

fn last_history_id(conn: &Connection) -> i64 {
    conn.query_row("SELECT coalesce(max(id), 0) FROM asset_history", [], |r| {
        r.get(0)
    })
    .unwrap()
}

fn journal_kinds(conn: &Connection) -> Vec<String> {
    let mut stmt = conn
        .prepare("SELECT kind FROM journal ORDER BY id")
        .unwrap();
    let rows = stmt.query_map([], |r| r.get(0)).unwrap();
    rows.collect::<rusqlite::Result<_>>().unwrap()
}

fn journal_detail(conn: &Connection) -> Value {
    let text: String = conn
        .query_row(
            "SELECT detail FROM journal ORDER BY id DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    serde_json::from_str(&text).unwrap()
}

fn kept_counts(conn: &Connection, department: i64) -> i64 {
    conn.query_row(
        "SELECT asset_count FROM department WHERE id = ?1",
        [department],
        |r| r.get(0),
    )
    .unwrap()
}

fn session_count(conn: &Connection, user: i64) -> i64 {
    conn.query_row(
        "SELECT count(*) FROM session WHERE user_id = ?1",
        [user],
        |r| r.get(0),
    )
    .unwrap()
}

/// zhangsan's assets in CST: a chair (椅子类), a laptop (电脑类) with a charger of his below
/// it and a mouse of liusn's below it, and a lamp below liusn's desk. Returns their ids in that
/// order: chair, laptop, charger, mouse, desk, lamp.
fn zhangsans_assets(w: &World) -> [i64; 6] {
    let conn = &w.conn;
    let mut chair = fixture::new_asset(conn, (w.cst, "椅子类"), w.zhangsan, "椅子");
    chair.count = 4;
    let chair = fixture::insert_asset(conn, &chair);
    let laptop = fixture::insert_asset(
        conn,
        &fixture::new_asset(conn, (w.cst, "电脑类"), w.zhangsan, "笔记本"),
    );
    let mut charger = fixture::new_asset(conn, (w.cst, ITEM_CATEGORY), w.zhangsan, "充电器");
    charger.parent_id = Some(laptop);
    let charger = fixture::insert_asset(conn, &charger);
    let mut mouse = fixture::new_asset(conn, (w.cst, ITEM_CATEGORY), w.liusn, "鼠标");
    mouse.parent_id = Some(laptop);
    let mouse = fixture::insert_asset(conn, &mouse);
    let desk = fixture::insert_asset(
        conn,
        &fixture::new_asset(conn, (w.cst, ITEM_CATEGORY), w.liusn, "桌子"),
    );
    let mut lamp = fixture::new_asset(conn, (w.cst, ITEM_CATEGORY), w.zhangsan, "台灯");
    lamp.parent_id = Some(desk);
    let lamp = fixture::insert_asset(conn, &lamp);
    [chair, laptop, charger, mouse, desk, lamp]
}
