//! First start on an empty database: the super administrator and, with `demo`, a demo company.
//! Without `admin_password` no password is invented: the super admin has none until the
//! first-start page (`setup`) or `assetport reset-password admin` on the machine sets one.

use crate::auth;
use crate::config::Settings;
use crate::db::Conn;
use crate::db::{org, users};
use rusqlite::Connection;

pub const DEMO_PASSWORD: &str = "demo123";

/// The demo company's name.
pub const DEMO_ENTITY: &str = "示例企业";

pub fn first_start(conn: &mut Conn, settings: &Settings) -> Result<(), String> {
    let fail = |e: &dyn std::fmt::Display| format!("first start: {e}");
    let tx = crate::db::write_tx(conn).map_err(|e| fail(&e))?;
    if users::user_count(&tx).map_err(|e| fail(&e))? > 0 {
        return Ok(());
    }
    let password = settings.admin_password.as_deref().filter(|p| !p.is_empty());
    let hash = match password {
        Some(p) => auth::hash_password(p).map_err(|e| fail(&e))?,
        // No hash verifies against an empty one: nobody logs in as `admin` until it is set.
        None => String::new(),
    };
    users::insert_user(
        &tx,
        &users::NewUser {
            name: "admin",
            email: None,
            password_hash: &hash,
            character: 4,
            lock: false,
            entity_id: None,
            department_id: None,
        },
    )
    .map_err(|e| fail(&e))?;
    if settings.demo {
        insert_demo(&tx).map_err(|e| fail(&e))?;
    }
    tx.commit().map_err(|e| fail(&e))?;
    if password.is_some() {
        log::info!("created super administrator `admin` with the configured admin_password");
    } else {
        log::info!(
            "created super administrator `admin`; its password is set on the first-start page"
        );
    }
    if settings.demo {
        log::warn!(
            "created demo company {DEMO_ENTITY}: sysadmin, liusn, zhangsan with password {DEMO_PASSWORD} — change them"
        );
    }
    Ok(())
}

/// Creates the demo company 示例企业 (departments CST and 软件组 below it; sysadmin, liusn and
/// zhangsan with `DEMO_PASSWORD`), unless a company of that name exists; true if it did.
pub fn insert_demo(tx: &Connection) -> crate::error::Result<bool> {
    if users::entity_id(tx, DEMO_ENTITY)?.is_some() {
        return Ok(false);
    }
    let entity = users::insert_entity(tx, DEMO_ENTITY)?;
    let cst = org::insert_department(tx, entity, None, "CST")?;
    org::insert_department(tx, entity, Some(cst), "软件组")?;
    for (name, character, department) in [
        ("sysadmin", 3, None),
        ("liusn", 2, Some(cst)),
        ("zhangsan", 1, Some(cst)),
    ] {
        users::insert_user(
            tx,
            &users::NewUser {
                name,
                email: None,
                // One hash (one salt) each: a shared hash would show they share a password.
                password_hash: &auth::hash_password(DEMO_PASSWORD)?,
                character,
                lock: false,
                entity_id: Some(entity),
                department_id: department,
            },
        )?;
    }
    Ok(true)
}
