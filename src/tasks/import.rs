//! One batch of an import task: each row checked by the shared row rules against the task's
//! lookup cache, then stored as an asset or a failed row, in the caller's transaction.

use super::{with_line, Batch};
use crate::auth::Role;
use crate::db::assets::{self as asset_sql, Scope};
use crate::db::{self, tasks as sql, users};
use crate::error::{ApiError, ApiResult};
use crate::rows::{self, Lookups};
use rusqlite::Connection;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// What the task's creator may touch, as of now (a creator moved or demoted since does not keep
/// rights they lost).
pub fn creator_scope(conn: &Connection, task: &sql::TaskState) -> ApiResult<Scope> {
    let creator = users::user_by_id(conn, task.creator_id)?
        .ok_or_else(|| ApiError::Internal(format!("task {} has no creator", task.id)))?;
    let role = Role::from_character(creator.character);
    Ok(match (role, creator.department_id) {
        (Some(Role::Manager), Some(d)) => {
            Scope::Departments(task.entity_id, db::org::department_subtree(conn, d)?)
        }
        (Some(Role::Admin), _) => Scope::Entity(task.entity_id),
        // Anyone else manages nothing: every row fails with the rights rule.
        _ => Scope::Departments(task.entity_id, Vec::new()),
    })
}

/// Runs rows `skip..` of the batch; returns (succeeded, failed).
pub fn run_batch(
    tx: &Connection,
    task: &sql::TaskState,
    lookups: &mut Lookups,
    batch: &Batch,
    skip: usize,
) -> ApiResult<(i64, i64)> {
    let today = db::today_day();
    let mut inserter = asset_sql::AssetInserter::new(tx)?;
    let (mut succeeded, mut failed) = (0, 0);
    for (i, raw) in batch.rows.iter().enumerate().skip(skip) {
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            import_row(tx, &mut inserter, lookups, raw, today)
        }));
        let message = match outcome {
            Ok(Ok(None)) => {
                succeeded += 1;
                continue;
            }
            Ok(Ok(Some(message))) => message,
            Ok(Err(e)) => {
                log::error!("task {} row {}: {e}", task.id, batch.first_seq + i as i64);
                "数据库错误，该行未能导入".to_owned()
            }
            Err(_) => {
                log::error!("task {} row {}: panic", task.id, batch.first_seq + i as i64);
                "内部错误，该行未能导入".to_owned()
            }
        };
        let line = batch.line(i);
        sql::insert_failure(
            tx,
            task.id,
            batch.first_seq + i as i64,
            line,
            raw,
            &with_line(line, &message),
        )?;
        failed += 1;
    }
    Ok((succeeded, failed))
}

/// Creates the row's asset; `Some(message)` when the row breaks a rule.
fn import_row(
    tx: &Connection,
    inserter: &mut asset_sql::AssetInserter,
    lookups: &mut Lookups,
    raw: &str,
    today: i64,
) -> ApiResult<Option<String>> {
    match rows::check_row(tx, lookups, raw, today)? {
        Ok(asset) => {
            let id = inserter.insert(&asset)?;
            lookups.created(id, &asset);
            Ok(None)
        }
        Err(message) => Ok(Some(message)),
    }
}
