//! One batch of an export task: each requested id either snapshots the asset view as it is
//! now (or, for an export as of a past day, as it stood at that day's end), or fails with the
//! reason.

use super::{with_line, Batch};
use crate::db::assets::{self as asset_sql, Scope};
use crate::db::tasks as sql;
use crate::error::{Error, Result};
use rusqlite::Connection;

/// Runs rows `skip..` of the batch; returns (succeeded, failed).
pub fn run_batch(
    tx: &Connection,
    task: &sql::TaskState,
    scope: &Scope,
    batch: &Batch,
    skip: usize,
) -> Result<crate::db::tasks::Counts> {
    let as_of = match sql::as_of(tx, task.id)? {
        Some(day) => Some(crate::history::as_of::AsOf::new(tx, day)?),
        None => None,
    };
    let today = as_of
        .as_ref()
        .map_or_else(crate::clock::today_day, |a| a.day);
    let mut views = asset_sql::ViewReader::new(tx, today)?;
    let mut snapshots = sql::SnapshotWriter::new(task.id, batch.first_seq + skip as i64);
    let (mut succeeded, mut failed) = (0, 0);
    for (i, raw) in batch.rows.iter().enumerate().skip(skip) {
        let seq = batch.first_seq + i as i64;
        match snapshot(tx, as_of.as_ref(), &mut views, scope, raw)?.map_err(|why| {
            match (task.kind(), why) {
                (sql::TaskKind::Label, NOT_YOURS) => "无权打印该资产的标签",
                (_, why) => why,
            }
        }) {
            Ok(view) => {
                snapshots
                    .push(&view)
                    .map_err(|e| Error::caused("snapshot", e))?;
                succeeded += 1;
            }
            Err(message) => {
                let line = batch.line(i);
                sql::insert_failure(tx, task.id, seq, line, raw, &with_line(line, message))?;
                failed += 1;
            }
        }
    }
    snapshots.finish(tx)?;
    Ok(crate::db::tasks::Counts {
        succeeded,
        failed,
        ..Default::default()
    })
}

/// Why an asset outside the caller's departments is not exported.
const NOT_YOURS: &str = "无权导出该资产";

/// An asset id: an integer, or a string holding one.
fn asset_id(raw: &str) -> Option<i64> {
    match serde_json::from_str::<serde_json::Value>(raw).ok()? {
        serde_json::Value::Number(n) => n.as_i64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .filter(|id| *id > 0)
}

/// The asset view as it is now (or as it stood at the end of `as_of`'s day), or why the id
/// cannot be exported.
fn snapshot(
    tx: &Connection,
    as_of: Option<&crate::history::as_of::AsOf>,
    views: &mut asset_sql::ViewReader,
    scope: &Scope,
    raw: &str,
) -> Result<Result<asset_sql::AssetView, &'static str>> {
    let Some(id) = asset_id(raw) else {
        return Ok(Err("资产编号不合法"));
    };
    // (company, department, view)
    let found = match as_of {
        None => views
            .read(id)?
            .map(|(a, view)| (a.entity_id, a.department_id, view)),
        Some(as_of) => as_of.view(tx, views, id)?,
    };
    let Some((_, department_id, view)) = found.filter(|(e, ..)| *e == scope.entity_id()) else {
        return Ok(Err(match as_of {
            None => "资产不存在",
            Some(_) => "截至该日该资产不存在",
        }));
    };
    if !scope.covers(department_id) {
        return Ok(Err(NOT_YOURS));
    }
    Ok(Ok(view))
}
