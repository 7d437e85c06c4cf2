//! A stocktake counted from a sheet (`POST /api/stocktake_file/{session}/{id}`): a CSV or XLSX
//! of 资产编号 with 实盘位置, 实盘数量 and 实盘持有人 where they differ from what is expected (the
//! stocktake's template, or an offline scanner's export), stored as a task's rows and counted by
//! the workers a batch per transaction, with the engine's guarantees: each batch's lines, failed
//! rows and checkpoint commit together, so after a SIGKILL every row is counted exactly once.
//! A row whose line was already counted (by a scan, or an earlier row) is a failed row saying by
//! whom and when; a code not expected is an extra (盘盈).

use super::{count_code, found, Count, Counted, IN_PROGRESS};
use crate::auth::Caller;
use crate::db::stocktake as sql;
use crate::db::tasks::{self as tasks_sql, Counts, NewTask, TaskKind, TaskState, TaskWriter};
use crate::db::Conn;
use crate::error::{Error, Result};
use crate::files::{Format, ReadLimits};
use crate::tasks::{with_line, Batch};
use rusqlite::Connection;
use serde_json::Value;

/// Stores a count task of stocktake `id` (in progress) with one row per data line of the file,
/// a chunk per transaction; returns its id. A file that cannot be read creates no task.
pub fn create(
    conn: &mut Conn,
    caller: &Caller,
    id: i64,
    (format, file_name): (Format, Option<String>),
    file: &(impl crate::files::ReadAt + ?Sized),
    (limits, chunk_rows): (ReadLimits, usize),
) -> Result<i64> {
    let row = found(conn, caller, id)?;
    if row.state != IN_PROGRESS {
        return Err(Error::Rule(super::not_counting(row.state)));
    }
    let new = NewTask {
        file_name: crate::tasks::create::shown_file_name(file_name.as_deref()),
        stocktake_id: Some(id),
        ..NewTask::default()
    };
    let owner = (caller.entity()?, caller.user_id);
    let mut writer = TaskWriter::create(conn, owner, TaskKind::Count, &new, chunk_rows)?;
    crate::tasks::create::store_new(&mut writer, |writer| {
        let required: &'static [&'static str] = &["id"];
        let read =
            crate::tasks::create::read_beside(format, file, (limits, Some(required)), |r| {
                Ok(writer.push(&r.json, Some(r.line as i64))?)
            })?;
        if read.rows == 0 {
            return Err(Error::BadBody("文件中没有数据行".into()));
        }
        writer.note_unread_columns(read.unread_columns);
        Ok(())
    })
}

/// Counts the rows of one stored chunk from `skip` on, in the calling transaction; returns
/// their outcomes (every row is one: counted, or failed with its reason).
pub fn run_batch(tx: &Connection, task: &TaskState, batch: &Batch, skip: usize) -> Result<Counts> {
    let id = task
        .stocktake_id
        .ok_or_else(|| Error::internal(format!("count task {} names no stocktake", task.id)))?;
    let row = sql::stocktake(tx, task.entity_id, id)?
        .ok_or_else(|| Error::internal(format!("task {}: stocktake {id} is gone", task.id)))?;
    let now = (task.runner_id, crate::clock::now_secs());
    let mut counts = Counts::default();
    for (i, raw) in batch.rows.iter().enumerate().skip(skip) {
        let outcome = if row.state == IN_PROGRESS {
            count_row(tx, (&row, task.entity_id), raw, now)?
        } else {
            Err(super::not_counting(row.state))
        };
        match outcome {
            Ok(()) => counts.succeeded += 1,
            Err(why) => {
                let line = batch.line(i);
                let seq = batch.first_seq + i as i64;
                tasks_sql::insert_failure(tx, task.id, seq, line, raw, &with_line(line, &why))?;
                counts.failed += 1;
            }
        }
    }
    Ok(counts)
}

/// Counts one row (`{"id", "position", "count", "user"}` as read from the sheet): Ok, or why not.
fn count_row(
    tx: &Connection,
    of: (&sql::StocktakeRow, i64),
    raw: &str,
    now: (i64, i64),
) -> Result<std::result::Result<(), String>> {
    let Ok(Value::Object(fields)) = serde_json::from_str::<Value>(raw) else {
        return Ok(Err("行无法读取".into()));
    };
    let text = |key: &str| match fields.get(key) {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    let Some(code) = text("id") else {
        return Ok(Err("缺少资产编号".into()));
    };
    if let Some(why) = super::code_problem(&code) {
        return Ok(Err(why.into()));
    }
    let count = match fields.get("count").map(crate::rows::whole_number) {
        None | Some(Some(None)) => None,
        Some(Some(Some(n))) if n >= 0 => Some(n),
        _ => {
            return Ok(Err(format!(
                "实盘数量“{}”须为不小于0的整数",
                text("count").unwrap_or_default()
            )))
        }
    };
    let (position, holder) = (text("position"), text("user"));
    let found = Count {
        position: position.as_deref(),
        count,
        holder: holder.as_deref(),
        note: None,
    };
    Ok(match count_code(tx, of, &code, &found, now) {
        Ok(Counted::Line(..) | Counted::Extra) => Ok(()),
        Ok(Counted::Already(who)) => Err(match who {
            Some((by, at)) => format!("已盘过（{by}，{}）", crate::clock::local_time(at)),
            None => "已盘过".to_owned(),
        }),
        Err(Error::Rule(why)) => Err(why),
        Err(e) => return Err(e),
    })
}
