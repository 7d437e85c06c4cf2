//! Entities, users, sessions and failed-login counters.

use crate::paging::Page;
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

#[derive(Debug, Clone)]
pub struct UserRow {
    pub id: i64,
    pub name: String,
    pub character: i64,
    pub lock: bool,
    pub entity_id: Option<i64>,
    pub department_id: Option<i64>,
}

const USER_COLUMNS: &str = "id, name, character, lock, entity_id, department_id";

fn user_row(r: &rusqlite::Row) -> rusqlite::Result<UserRow> {
    Ok(from_row!(r, UserRow; id, name, character, lock, entity_id, department_id))
}

pub fn entity_id(conn: &Connection, name: &str) -> rusqlite::Result<Option<i64>> {
    conn.prepare_cached("SELECT id FROM entity WHERE name = ?1")?
        .query_row([name], |r| r.get(0))
        .optional()
}

pub fn insert_entity(conn: &Connection, name: &str) -> rusqlite::Result<i64> {
    conn.execute("INSERT INTO entity (name) VALUES (?1)", [name])?;
    Ok(conn.last_insert_rowid())
}

#[derive(Serialize)]
pub struct EntityView {
    pub id: i64,
    pub name: String,
    pub departments: i64,
    pub users: i64,
}

pub fn list_entities(conn: &Connection) -> rusqlite::Result<Vec<EntityView>> {
    let mut stmt = conn.prepare(
        "SELECT e.id, e.name,
                (SELECT count(*) FROM department d WHERE d.entity_id = e.id),
                (SELECT count(*) FROM user u WHERE u.entity_id = e.id)
         FROM entity e ORDER BY e.id",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(from_row!(r, EntityView; id, name, departments, users))
    })?;
    rows.collect()
}

pub fn user_count(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("SELECT count(*) FROM user", [], |r| r.get(0))
}

/// Whether the super admin has no password yet (a first start without `admin_password`).
pub fn super_admin_unset(conn: &Connection) -> rusqlite::Result<bool> {
    conn.prepare_cached(
        "SELECT EXISTS (SELECT 1 FROM user WHERE character = 4 AND password_hash = '')",
    )?
    .query_row([], |r| r.get(0))
}

/// Sets the password of the super admin that has none; its id, or None if none is without one.
pub fn set_unset_super_admin_password(
    conn: &Connection,
    hash: &str,
) -> rusqlite::Result<Option<i64>> {
    conn.query_row(
        "UPDATE user SET password_hash = ?1 WHERE character = 4 AND password_hash = ''
         RETURNING id",
        [hash],
        |r| r.get(0),
    )
    .optional()
}

pub struct NewUser<'a> {
    pub name: &'a str,
    pub email: Option<&'a str>,
    pub password_hash: &'a str,
    pub character: i64,
    pub lock: bool,
    pub entity_id: Option<i64>,
    pub department_id: Option<i64>,
}

pub fn insert_user(conn: &Connection, u: &NewUser) -> rusqlite::Result<i64> {
    conn.execute(
        "INSERT INTO user (name, email, password_hash, character, lock, entity_id, department_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            u.name,
            u.email,
            u.password_hash,
            u.character,
            u.lock as i64,
            u.entity_id,
            u.department_id
        ],
    )?;
    Ok(conn.last_insert_rowid())
}

/// Whether any user, of any company, has `identity` as name or email (ASCII case ignored):
/// a login by either must find one user only.
pub fn identity_taken(conn: &Connection, identity: &str) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM user WHERE name = ?1 COLLATE NOCASE)
             OR EXISTS (SELECT 1 FROM user WHERE email = ?1 COLLATE NOCASE)",
        [identity],
        |r| r.get(0),
    )
}

pub fn user_by_id(conn: &Connection, id: i64) -> rusqlite::Result<Option<UserRow>> {
    conn.query_row(
        &format!("SELECT {USER_COLUMNS} FROM user WHERE id = ?1"),
        [id],
        user_row,
    )
    .optional()
}

pub fn user_by_name(conn: &Connection, name: &str) -> rusqlite::Result<Option<UserRow>> {
    conn.prepare_cached(&format!(
        "SELECT {USER_COLUMNS} FROM user WHERE name = ?1 COLLATE NOCASE
         ORDER BY name = ?1 DESC LIMIT 1"
    ))?
    .query_row([name], user_row)
    .optional()
}

/// The user and password hash for a login identity: a name, or an email.
pub fn login_identity(
    conn: &Connection,
    identity: &str,
) -> rusqlite::Result<Option<(UserRow, String)>> {
    conn.query_row(
        &format!(
            "SELECT {USER_COLUMNS}, password_hash FROM user
             WHERE name = ?1 COLLATE NOCASE OR email = ?1 COLLATE NOCASE
             ORDER BY email = ?1 COLLATE NOCASE DESC, email = ?1 DESC, name = ?1 DESC, id
             LIMIT 1"
        ),
        [identity],
        |r| Ok((user_row(r)?, r.get(6)?)),
    )
    .optional()
}

pub fn password_hash(conn: &Connection, user_id: i64) -> rusqlite::Result<String> {
    conn.query_row(
        "SELECT password_hash FROM user WHERE id = ?1",
        [user_id],
        |r| r.get(0),
    )
}

pub fn set_password(conn: &Connection, user_id: i64, hash: &str) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE user SET password_hash = ?2 WHERE id = ?1",
        params![user_id, hash],
    )?;
    Ok(())
}

pub fn set_lock(conn: &Connection, user_id: i64, lock: bool) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE user SET lock = ?2 WHERE id = ?1",
        params![user_id, lock as i64],
    )?;
    Ok(())
}

#[derive(Serialize)]
pub struct UserView {
    pub id: i64,
    pub name: String,
    pub email: Option<String>,
    pub character: i64,
    pub lock: bool,
    pub entity: String,
    pub department: String,
}

pub fn users_of_entity(
    conn: &Connection,
    entity_id: i64,
    page: Page,
) -> rusqlite::Result<(i64, Vec<UserView>)> {
    let total: i64 = conn.query_row(
        "SELECT count(*) FROM user WHERE entity_id = ?1",
        [entity_id],
        |r| r.get(0),
    )?;
    let mut stmt = conn.prepare(
        "SELECT u.id, u.name, u.email, u.character, u.lock, e.name, coalesce(d.name, '')
         FROM user u JOIN entity e ON e.id = u.entity_id
         LEFT JOIN department d ON d.id = u.department_id
         WHERE u.entity_id = ?1 ORDER BY u.id LIMIT ?2 OFFSET ?3",
    )?;
    let rows = stmt.query_map(params![entity_id, page.size, page.offset()], |r| {
        Ok(from_row!(r, UserView; id, name, email, character, lock, entity, department))
    })?;
    Ok((total, rows.collect::<rusqlite::Result<_>>()?))
}

/// What the session table stores of a token: its SHA-256, in hex.
/// Up to `limit` names of users of the entity (in these departments, when given) whose name
/// contains `part` (ASCII case ignored), by name: an owner's name as it is typed.
pub fn names_containing(
    conn: &Connection,
    entity_id: i64,
    departments: Option<&[i64]>,
    part: &str,
    limit: i64,
) -> rusqlite::Result<Vec<String>> {
    let within =
        departments.map(|ids| ids.iter().map(i64::to_string).collect::<Vec<_>>().join(","));
    let condition = match &within {
        Some(ids) => format!("AND department_id IN ({ids})"),
        None => String::new(),
    };
    let mut stmt = conn.prepare(&format!(
        "SELECT name FROM user WHERE entity_id = ?1 {condition}
           AND instr(lower(name), lower(?2)) > 0
         ORDER BY name LIMIT ?3"
    ))?;
    let names = stmt.query_map(rusqlite::params![entity_id, part, limit], |r| r.get(0))?;
    names.collect()
}

pub fn token_hash(token: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Stores a session by the hash of its token (`token_hash`).
pub fn insert_session_hash(
    conn: &Connection,
    token_hash: &str,
    user_id: i64,
    now: i64,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT OR IGNORE INTO session (token_hash, user_id, last_seen) VALUES (?1, ?2, ?3)",
    )?
    .execute(params![token_hash, user_id, now])?;
    Ok(())
}

/// The session's user and when the session was last used.
pub fn session_user(
    conn: &Connection,
    token_hash: &str,
) -> rusqlite::Result<Option<(UserRow, i64)>> {
    conn.prepare_cached(
        "SELECT u.id, u.name, u.character, u.lock, u.entity_id, u.department_id, s.last_seen
         FROM session s JOIN user u ON u.id = s.user_id WHERE s.token_hash = ?1",
    )?
    .query_row([token_hash], |r| Ok((user_row(r)?, r.get(6)?)))
    .optional()
}

pub fn touch_session_hash(conn: &Connection, token_hash: &str, now: i64) -> rusqlite::Result<()> {
    conn.prepare_cached("UPDATE session SET last_seen = max(last_seen, ?2) WHERE token_hash = ?1")?
        .execute(params![token_hash, now])?;
    Ok(())
}

pub fn delete_session(conn: &Connection, token: &str) -> rusqlite::Result<bool> {
    Ok(conn.execute(
        "DELETE FROM session WHERE token_hash = ?1",
        [token_hash(token)],
    )? > 0)
}

/// Ends every session of a user but `keep` (the token of the session that changed the
/// password); returns how many ended.
pub fn end_sessions(
    conn: &Connection,
    user_id: i64,
    keep: Option<&str>,
) -> rusqlite::Result<usize> {
    conn.execute(
        "DELETE FROM session WHERE user_id = ?1 AND token_hash IS NOT ?2",
        params![user_id, keep.map(token_hash)],
    )
}

/// Ends every session of every user (a restored database: nobody stays signed in).
pub fn end_all_sessions(conn: &Connection) -> rusqlite::Result<usize> {
    conn.execute("DELETE FROM session", [])
}

pub fn delete_idle_sessions(conn: &Connection, older_than: i64) -> rusqlite::Result<usize> {
    conn.execute("DELETE FROM session WHERE last_seen < ?1", [older_than])
}

/// Deletes the failed-login counters versions before 0.2 kept here (they are in memory now).
pub fn forget_login_failures(conn: &Connection) -> rusqlite::Result<usize> {
    conn.execute("DELETE FROM login_failure", [])
}
