//! An import's failed rows worked on where they are stored, for tasks with thousands of them:
//! a summary by reason, pages of one reason, one row edited, a value replaced in every row,
//! rows dropped, and a re-run of the rows as they now stand (`submit::rerun` underneath).

use super::submit;
use crate::auth::Caller;
use crate::db::failed as sql;
use crate::db::tasks::{TaskKind, TaskState};
use crate::db::{Page, Paged};
use crate::error::{ApiError, ApiResult};
use rusqlite::Connection;
use serde_json::{json, Value};

/// An import task of the caller's whose failed rows may be changed now.
fn editable(conn: &Connection, caller: &Caller, id: i64) -> ApiResult<TaskState> {
    let task = readable(conn, caller, id)?;
    submit::failed_rows_changeable(&task)?;
    Ok(task)
}

/// An import task of the caller's whose failed rows may be read.
fn readable(conn: &Connection, caller: &Caller, id: i64) -> ApiResult<TaskState> {
    let task = submit::task_of(conn, caller, id)?;
    if task.kind != TaskKind::Import {
        return Err(ApiError::NotAnImportTask { rerun: false });
    }
    if task.pruned {
        return Err(ApiError::TaskPruned);
    }
    Ok(task)
}

/// `[{"reason": …, "count": n}]`, most first.
pub fn summary(conn: &Connection, caller: &Caller, id: i64) -> ApiResult<Value> {
    readable(conn, caller, id)?;
    let reasons = sql::summary(conn, id)?
        .into_iter()
        .map(|(reason, count)| json!({ "reason": reason, "count": count }))
        .collect();
    Ok(Value::Array(reasons))
}

/// A page of failed rows, of one reason or all: each the row as submitted (or as edited since),
/// with its `seq` (to edit or drop it), file `line` and `message`.
pub fn page(
    conn: &Connection,
    caller: &Caller,
    id: i64,
    reason: Option<&str>,
    page: Page,
) -> ApiResult<Paged<Value>> {
    readable(conn, caller, id)?;
    let total = sql::count(conn, id, reason)?;
    let pages = page.check(total)?;
    let data = sql::page(conn, id, reason, page)?
        .into_iter()
        .map(|(seq, line, row, message)| {
            let mut shown = submit::with_message(&row, message);
            if let Value::Object(fields) = &mut shown {
                fields.insert("seq".into(), seq.into());
                fields.insert("line".into(), line.into());
            }
            shown
        })
        .collect();
    Ok(Paged { pages, total, data })
}

/// Replaces failed row `seq` by `row` (a JSON object; `seq`, `line` and `message` in it are
/// ignored). It runs again with the next re-run.
pub fn set_row(conn: &Connection, caller: &Caller, id: i64, seq: i64, row: Value) -> ApiResult<()> {
    editable(conn, caller, id)?;
    let Value::Object(mut fields) = row else {
        return Err(ApiError::missing_field("body"));
    };
    for key in ["seq", "line", "message"] {
        fields.remove(key);
    }
    if !sql::row_exists(conn, id, seq)? {
        return Err(ApiError::NotFound("失败行"));
    }
    sql::set_row(conn, id, seq, &Value::Object(fields).to_string())?;
    Ok(())
}

/// Sets `field` to `to` in every failed row where it is `from`; returns how many changed.
pub fn replace(
    conn: &Connection,
    caller: &Caller,
    id: i64,
    (field, from, to): (&str, &str, &str),
) -> ApiResult<usize> {
    editable(conn, caller, id)?;
    // The import columns, and nothing else.
    if !crate::files::IMPORT_COLUMNS
        .iter()
        .any(|(_, f)| *f == field)
    {
        return Err(ApiError::BadBody(format!(
            "缺少字段或类型错误：[field]（{field}不是可替换的列）"
        )));
    }
    Ok(sql::replace(conn, id, field, (from, to))?)
}

/// Drops the failed rows whose `seq`s the body lists from the task; returns how many went.
pub fn drop_rows(conn: &Connection, caller: &Caller, id: i64, body: &[u8]) -> ApiResult<i64> {
    editable(conn, caller, id)?;
    let seqs: Vec<i64> = serde_json::from_slice(body).map_err(|_| {
        ApiError::BadBody("缺少字段或类型错误：[body]（请求体必须是失败行seq的数组）".into())
    })?;
    let seqs = seqs.as_slice();
    Ok(sql::drop_rows(conn, id, seqs)?)
}

/// Runs every failed row again as it now stands; false when there is none.
pub fn rerun_stored(
    conn: &mut Connection,
    caller: &Caller,
    id: i64,
    chunk_rows: usize,
) -> ApiResult<bool> {
    editable(conn, caller, id)?;
    let rows = sql::rows_as_array(conn, id)?;
    submit::rerun(conn, caller, id, rows.as_bytes(), chunk_rows)
}
