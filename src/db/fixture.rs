//! A database for unit tests: in memory, foreign keys on, the schema applied by the real
//! migration, and builders that insert through the same SQL functions the server uses (a
//! department gets its three fixed categories, an asset moves the kept counts). Each returns the
//! new row's id, so a test reads as the world it sets up:
//!
//! ```text
//! let conn = fixture::db();
//! let company = fixture::insert_entity(&conn, "示例企业");
//! let cst = fixture::insert_department(&conn, company, None, "CST");
//! let liusn = fixture::insert_user(&conn, "liusn", Role::Manager, Some(company), Some(cst));
//! ```

use super::assets::{self, NewAsset};
use super::tasks::{Finish, TaskKind};
use super::{org, users};
use crate::auth::Role;
use rusqlite::{params, Connection};

/// A fresh, empty database with the current schema (a connection with a write turn of its own).
pub(crate) fn db() -> super::Conn {
    let mut conn = Connection::open_in_memory().expect("in-memory database");
    conn.execute_batch("PRAGMA foreign_keys = ON")
        .expect("foreign keys");
    super::migrate::migrate(&mut conn).expect("schema");
    super::Conn::alone(conn)
}

pub(crate) fn insert_entity(conn: &Connection, name: &str) -> i64 {
    users::insert_entity(conn, name).expect("insert entity")
}

/// A department (under `parent`, or at the top) with its three fixed categories.
pub(crate) fn insert_department(
    conn: &Connection,
    entity_id: i64,
    parent: Option<i64>,
    name: &str,
) -> i64 {
    org::insert_department(conn, entity_id, parent, name).expect("insert department")
}

/// 示例企业's departments, as the demo company has them: CST, 软件组 below it, 财务部 beside it.
pub(crate) struct Company {
    pub(crate) id: i64,
    pub(crate) cst: i64,
    pub(crate) software: i64,
    pub(crate) finance: i64,
}

/// Inserts 示例企业 with its three departments (no users: each test names its own).
pub(crate) fn insert_company(conn: &Connection) -> Company {
    let id = insert_entity(conn, "示例企业");
    let cst = insert_department(conn, id, None, "CST");
    Company {
        id,
        cst,
        software: insert_department(conn, id, Some(cst), "软件组"),
        finance: insert_department(conn, id, None, "财务部"),
    }
}

/// A category below the department's category `parent`, accepting what its parent accepts (as
/// a created category does).
pub(crate) fn insert_category(
    conn: &Connection,
    department_id: i64,
    parent: &str,
    name: &str,
) -> i64 {
    let parent = org::category_by_name(conn, department_id, parent)
        .expect("find parent category")
        .expect("parent category exists");
    org::insert_category(
        conn,
        department_id,
        Some(parent.id),
        name,
        parent.class,
        false,
    )
    .expect("insert category")
}

/// A user who logs in with any password ("x" is no argon2 hash: the rules never read it).
pub(crate) fn insert_user(
    conn: &Connection,
    name: &str,
    role: Role,
    entity_id: Option<i64>,
    department_id: Option<i64>,
) -> i64 {
    users::insert_user(
        conn,
        &users::NewUser {
            name,
            email: None,
            password_hash: "x",
            character: role as i64,
            lock: false,
            entity_id,
            department_id,
        },
    )
    .expect("insert user")
}

/// An asset of `owner` in `department`, in its category `category` (by name): quantity class,
/// 1 of it, ¥10.00, 10 years of service, created on day 0, in use. Adjust the fields before
/// `insert_asset`.
pub(crate) fn new_asset(
    conn: &Connection,
    (department_id, category): (i64, &str),
    owner_id: i64,
    name: &str,
) -> NewAsset {
    let department = org::department_by_id(conn, department_id)
        .expect("find department")
        .expect("department exists");
    let category = org::category_by_name(conn, department_id, category)
        .expect("find category")
        .expect("category exists");
    NewAsset {
        entity_id: department.entity_id,
        department_id,
        category_id: category.id,
        parent_id: None,
        owner_id,
        name: name.to_owned(),
        asset_class: category.class.unwrap_or(0),
        initial_price_cents: 1000,
        description: String::new(),
        position: String::new(),
        count: 1,
        create_day: 0,
        deadline: 10,
        status: 2,
    }
}

/// The history's source of a fixture's changes: the asset's owner, through the API.
pub(crate) fn source(asset: &NewAsset) -> crate::db::history::Source {
    crate::db::history::Source {
        entity_id: asset.entity_id,
        actor_id: asset.owner_id,
        task_id: None,
        request_id: None,
    }
}

pub(crate) fn insert_asset(conn: &Connection, asset: &NewAsset) -> i64 {
    assets::insert_asset(conn, asset, &source(asset)).expect("insert asset")
}

/// A task record as a test wants it, stored whole (no rows: add them with `TaskWriter` or
/// `insert_failure`).
#[derive(Debug, Clone)]
pub(crate) struct TaskRow {
    pub entity_id: i64,
    pub creator_id: i64,
    pub kind: TaskKind,
    pub finish: Finish,
    pub create_time: String,
    pub finish_time: Option<String>,
    pub number_need: i64,
    pub number_succeed: i64,
    pub number_failed: i64,
    pub next_seq: i64,
    pub cancelled: bool,
    pub pruned: bool,
    pub dry_run: bool,
}

impl TaskRow {
    /// A queued task of no rows yet, created 2024-01-01 08:00:00.
    pub fn new(entity_id: i64, creator_id: i64, kind: TaskKind) -> TaskRow {
        TaskRow {
            entity_id,
            creator_id,
            kind,
            finish: Finish::Running,
            create_time: "2024-01-01 08:00:00".to_owned(),
            finish_time: None,
            number_need: 0,
            number_succeed: 0,
            number_failed: 0,
            next_seq: 0,
            cancelled: false,
            pruned: false,
            dry_run: false,
        }
    }
}

/// Stores a task as given (visible: `stored` = 1); `end_seq` is its `number_need`.
pub(crate) fn insert_task(conn: &Connection, t: &TaskRow) -> i64 {
    conn.execute(
        "INSERT INTO task (entity_id, creator_id, create_time, port_type, number_need,
             number_succeed, number_failed, finish, next_seq, end_seq, finish_time, cancelled,
             pruned, dry_run)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?5, ?10, ?11, ?12, ?13)",
        params![
            t.entity_id,
            t.creator_id,
            t.create_time,
            t.kind,
            t.number_need,
            t.number_succeed,
            t.number_failed,
            t.finish,
            t.next_seq,
            t.finish_time,
            t.cancelled,
            t.pruned,
            t.dry_run
        ],
    )
    .expect("insert task");
    conn.last_insert_rowid()
}

mod tests {
    use super::*;

    #[test]
    fn the_fixture_builds_a_company_with_the_real_schema() {
        let conn = db();
        let foreign_keys: i64 = conn
            .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
            .unwrap();
        assert_eq!(foreign_keys, 1);
        let company = insert_entity(&conn, "示例企业");
        let cst = insert_department(&conn, company, None, "CST");
        let chairs = insert_category(&conn, cst, org::QUANTITY_CATEGORY, "椅子类");
        let liusn = insert_user(&conn, "liusn", Role::Manager, Some(company), Some(cst));
        let asset = new_asset(&conn, (cst, "椅子类"), liusn, "椅子");
        assert_eq!(asset.asset_class, 0);
        let id = insert_asset(&conn, &asset);
        let kept: (i64, i64) = conn
            .query_row(
                "SELECT d.asset_count, c.asset_count FROM department d, category c
                 WHERE d.id = ?1 AND c.id = ?2",
                [cst, chairs],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!(kept, (1, 1));
        assert_eq!(assets::asset_ref(&conn, id).unwrap().unwrap().id, id);
        let task = insert_task(&conn, &TaskRow::new(company, liusn, TaskKind::Import));
        let state = crate::db::tasks::task_state(&conn, task).unwrap().unwrap();
        assert_eq!(
            (state.kind(), state.status.finish),
            (TaskKind::Import, Finish::Running)
        );
        // Foreign keys hold: a user of a company that does not exist is refused.
        let orphan = users::insert_user(
            &conn,
            &users::NewUser {
                name: "orphan",
                email: None,
                password_hash: "x",
                character: 1,
                lock: false,
                entity_id: Some(999),
                department_id: None,
            },
        );
        assert!(orphan.is_err());
    }
}

/// A logged-in caller of `role` (entity and department as given), as the API would build one.
pub(crate) fn caller(
    id: i64,
    name: &str,
    role: crate::auth::Role,
    (entity, department): (i64, i64),
) -> crate::auth::Caller {
    crate::auth::Caller {
        user_id: id,
        name: name.into(),
        role,
        entity_id: Some(entity),
        department_id: Some(department),
        token: String::new(),
    }
}
