//! The demo company's roles and their accounts, for tests that go through every role.
#![allow(dead_code)]

use crate::common::{App, ADMIN_PASSWORD, DEMO_PASSWORD};

pub const DEMO: &str = "示例企业";
pub const STAFF: i64 = 1;
pub const MANAGER: i64 = 2;
pub const ADMIN: i64 = 3;
pub const SUPER: i64 = 4;

/// The demo account of each role, with its password.
pub fn account(role: i64) -> (&'static str, &'static str) {
    match role {
        STAFF => ("zhangsan", DEMO_PASSWORD),
        MANAGER => ("liusn", DEMO_PASSWORD),
        ADMIN => ("sysadmin", DEMO_PASSWORD),
        _ => ("admin", ADMIN_PASSWORD),
    }
}

pub fn login_as(app: &App, role: i64) -> String {
    let (name, password) = account(role);
    app.login(name, password)
}

pub fn user_id(app: &App, name: &str) -> i64 {
    let conn = rusqlite::Connection::open(app.db_path()).unwrap();
    conn.query_row("SELECT id FROM user WHERE name = ?1", [name], |r| r.get(0))
        .unwrap()
}
