//! First start on an empty database: the super administrator and, with `demo`, a demo company.

use crate::auth;
use crate::config::Settings;
use crate::db::Conn;
use crate::db::{org, users};

pub const DEMO_PASSWORD: &str = "demo123";

pub fn first_start(conn: &mut Conn, settings: &Settings) -> Result<(), String> {
    let fail = |e: &dyn std::fmt::Display| format!("first start: {e}");
    let tx = crate::db::write_tx(conn).map_err(|e| fail(&e))?;
    if users::user_count(&tx).map_err(|e| fail(&e))? > 0 {
        return Ok(());
    }
    let (password, generated) = match &settings.admin_password {
        Some(p) if !p.is_empty() => (p.clone(), false),
        _ => (auth::new_token()[..16].to_owned(), true),
    };
    let hash = |p: &str| auth::hash_password(p).map_err(|e| fail(&e));
    users::insert_user(
        &tx,
        &users::NewUser {
            name: "admin",
            email: None,
            password_hash: &hash(&password)?,
            character: 4,
            lock: false,
            entity_id: None,
            department_id: None,
        },
    )
    .map_err(|e| fail(&e))?;
    if settings.demo {
        let entity = users::insert_entity(&tx, "示例企业").map_err(|e| fail(&e))?;
        let cst = org::insert_department(&tx, entity, None, "CST").map_err(|e| fail(&e))?;
        org::insert_department(&tx, entity, Some(cst), "软件组").map_err(|e| fail(&e))?;
        for (name, character, department) in [
            ("sysadmin", 3, None),
            ("liusn", 2, Some(cst)),
            ("zhangsan", 1, Some(cst)),
        ] {
            users::insert_user(
                &tx,
                &users::NewUser {
                    name,
                    email: None,
                    // One hash (one salt) each: a shared hash would show they share a password.
                    password_hash: &hash(DEMO_PASSWORD)?,
                    character,
                    lock: false,
                    entity_id: Some(entity),
                    department_id: department,
                },
            )
            .map_err(|e| fail(&e))?;
        }
    }
    tx.commit().map_err(|e| fail(&e))?;
    if generated {
        let line = format!("created super administrator `admin` with password: {password}");
        log::warn!("{line}");
        // Said on stderr too, in case logging is filtered: it is shown only this once.
        eprintln!("{line}");
    } else {
        log::info!("created super administrator `admin` with the configured admin_password");
    }
    if settings.demo {
        log::warn!(
            "created demo company 示例企业: sysadmin, liusn, zhangsan with password {DEMO_PASSWORD} — change them"
        );
    }
    Ok(())
}
