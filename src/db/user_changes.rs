//! What editing or deleting a user touches: the assets they hold (counted and listed, with the
//! children other users hold below them), who in a department may receive them, the tasks
//! that keep their name, and the user's own row. Every function runs in the caller's
//! transaction.

use super::users::UserRow;
use rusqlite::{params, Connection, OptionalExtension};

/// How many assets the user holds (retired ones too).
pub fn assets_held(conn: &Connection, user_id: i64) -> rusqlite::Result<i64> {
    conn.prepare_cached("SELECT count(*) FROM asset WHERE owner_id = ?1")?
        .query_row([user_id], |r| r.get(0))
}

/// The ids of the assets the user holds, in id order.
pub fn held_ids(conn: &Connection, user_id: i64) -> rusqlite::Result<Vec<i64>> {
    let mut stmt = conn.prepare_cached("SELECT id FROM asset WHERE owner_id = ?1 ORDER BY id")?;
    let ids = stmt.query_map([user_id], |r| r.get(0))?;
    ids.collect()
}

/// The assets of other owners whose parent the user holds, in id order: what stays behind when
/// the user's assets move to another department.
pub fn children_held_by_others(conn: &Connection, user_id: i64) -> rusqlite::Result<Vec<i64>> {
    let mut stmt = conn.prepare_cached(
        "SELECT c.id FROM asset p JOIN asset c ON c.parent_id = p.id AND c.parent_id IS NOT NULL
         WHERE p.owner_id = ?1 AND c.owner_id != ?1 ORDER BY c.id",
    )?;
    let ids = stmt.query_map([user_id], |r| r.get(0))?;
    ids.collect()
}

/// The asset manager of the department who receives the assets of a user who leaves it: the
/// first (by id) who is not locked, other than `except`.
pub fn department_manager(
    conn: &Connection,
    department_id: i64,
    except: i64,
) -> rusqlite::Result<Option<UserRow>> {
    conn.prepare_cached(
        "SELECT id, name, character, lock, entity_id, department_id FROM user
         WHERE department_id = ?1 AND character = 2 AND lock = 0 AND id != ?2
         ORDER BY id LIMIT 1",
    )?
    .query_row(params![department_id, except], |r| {
        Ok(from_row!(r, UserRow; id, name, character, lock, entity_id, department_id))
    })
    .optional()
}

/// Whether the user created or last re-ran a task: the task keeps its creator and runner, so
/// such a user stays (locked, if they must not log in).
pub fn has_tasks(conn: &Connection, user_id: i64) -> rusqlite::Result<bool> {
    conn.prepare_cached(
        "SELECT EXISTS (SELECT 1 FROM task WHERE creator_id = ?1)
             OR EXISTS (SELECT 1 FROM task WHERE runner_id = ?1)",
    )?
    .query_row([user_id], |r| r.get(0))
}

pub fn email_of(conn: &Connection, user_id: i64) -> rusqlite::Result<Option<String>> {
    conn.prepare_cached("SELECT email FROM user WHERE id = ?1")?
        .query_row([user_id], |r| r.get(0))
        .optional()
        .map(Option::flatten)
}

/// Gives the user a role, a department (None: none) and an email (None: none).
pub fn set_user(
    conn: &Connection,
    user_id: i64,
    character: i64,
    department_id: Option<i64>,
    email: Option<&str>,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "UPDATE user SET character = ?2, department_id = ?3, email = ?4 WHERE id = ?1",
    )?
    .execute(params![user_id, character, department_id, email])?;
    Ok(())
}

/// Deletes the user; their stored sessions go with them (`ON DELETE CASCADE`).
pub fn delete_user(conn: &Connection, user_id: i64) -> rusqlite::Result<()> {
    conn.prepare_cached("DELETE FROM user WHERE id = ?1")?
        .execute([user_id])?;
    Ok(())
}
