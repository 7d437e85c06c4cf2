//! An import's failed rows worked on where they are stored, for tasks with thousands of them:
//! a summary by reason, pages of one reason, one row edited, a value replaced in every row,
//! rows dropped, and a re-run of the rows as they now stand (`lifecycle::rerun` underneath).

use super::lifecycle::{self, Action, RerunRows, Results};
use super::results;
use crate::auth::Caller;
use crate::db;
use crate::db::failed as sql;
use crate::db::tasks::TaskState;
use crate::db::Conn;
use crate::error::{Error, Result};
use crate::paging::{Page, Paged};
use crate::rows::missing_field_message;
use rusqlite::Connection;
use serde_json::{json, Value};

/// An import task of the caller's whose failed rows may be changed now.
fn editable(conn: &Connection, caller: &Caller, id: i64) -> Result<TaskState> {
    let task = results::task_of(conn, caller, id)?;
    lifecycle::check(&task.status, Action::EditFailed)?;
    Ok(task)
}

/// An import task of the caller's whose failed rows may be read.
fn readable(conn: &Connection, caller: &Caller, id: i64) -> Result<TaskState> {
    let task = results::task_of(conn, caller, id)?;
    lifecycle::check(&task.status, Action::Read(Results::FailedRows))?;
    Ok(task)
}

/// Bad values listed under a reason in the summary (the most frequent); the rest are counted
/// as `others`.
pub const SUMMARY_VALUES: usize = 20;

/// `[{"reason": …, "count": n, "values": [{"value": …, "count": n}], "others": n}]`, most
/// first: the failed rows by reason, the bad values each reason quoted inside it (a reason
/// that quotes none has no values).
pub fn summary(conn: &Connection, caller: &Caller, id: i64) -> Result<Value> {
    #[derive(serde::Serialize)]
    struct Reason {
        reason: String,
        count: i64,
        values: Vec<BadValue>,
        others: i64,
    }
    #[derive(serde::Serialize)]
    struct BadValue {
        value: String,
        count: i64,
    }
    readable(conn, caller, id)?;
    let mut reasons: Vec<Reason> = Vec::new();
    // The rows come a reason's values together, the reasons most first.
    for (reason, value, count) in sql::summary(conn, id)? {
        if reasons.last().is_none_or(|group| group.reason != reason) {
            reasons.push(Reason {
                reason,
                count: 0,
                values: Vec::new(),
                others: 0,
            });
        }
        let Some(group) = reasons.last_mut() else {
            continue;
        };
        group.count += count;
        match value {
            Some(value) if group.values.len() < SUMMARY_VALUES => {
                group.values.push(BadValue { value, count })
            }
            Some(_) => group.others += count,
            None => {}
        }
    }
    Ok(json!(reasons))
}

/// A page of failed rows, of one reason or all: each the row as submitted (or as edited since),
/// with its `seq` (to edit or drop it), file `line` and `message`.
pub fn page(
    conn: &Connection,
    caller: &Caller,
    id: i64,
    filter: &sql::Filter,
    page: Page,
) -> Result<Paged<Value>> {
    readable(conn, caller, id)?;
    let total = sql::count(conn, id, filter)?;
    let pages = page.check(total)?;
    let data = sql::page(conn, id, filter, page)?
        .into_iter()
        .map(|(seq, line, row, message)| {
            let mut shown = results::with_message(&row, message);
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
pub fn set_row(conn: &Connection, caller: &Caller, id: i64, seq: i64, row: Value) -> Result<()> {
    editable(conn, caller, id)?;
    let Value::Object(mut fields) = row else {
        return Err(Error::missing_field("body"));
    };
    for key in ["seq", "line", "message"] {
        fields.remove(key);
    }
    if !sql::row_exists(conn, id, seq)? {
        return Err(Error::NotFound("失败行"));
    }
    sql::set_row(conn, id, seq, &Value::Object(fields).to_string())?;
    Ok(())
}

/// Failed rows written per transaction by a replace or a drop. A task may have a million failed
/// rows: one statement over all of them held the write lock for seconds while every other
/// writer (an asset edit, a login's session) waited; in batches, they take turns in between.
pub const WRITE_BATCH_ROWS: usize = 5_000;

/// Sets `field` to `to` in every failed row where it is `from`; returns how many changed.
pub fn replace(
    conn: &mut Conn,
    caller: &Caller,
    id: i64,
    change: (&str, &str, &str),
) -> Result<usize> {
    replace_in_batches(conn, caller, id, change, WRITE_BATCH_ROWS)
}

/// `replace`, `batch` rows (by seq) per write transaction. Each batch checks again that the
/// rows may be changed: a re-run begun in between stops the rest (a retry finishes the job, as
/// replacing twice is replacing once).
fn replace_in_batches(
    conn: &mut Conn,
    caller: &Caller,
    id: i64,
    (field, from, to): (&str, &str, &str),
    batch: usize,
) -> Result<usize> {
    editable(conn, caller, id)?;
    // The import columns, and nothing else.
    if !crate::columns::IMPORT_COLUMNS
        .iter()
        .any(|c| c.field == field)
    {
        let why = format!("{field}不是可替换的列");
        return Err(Error::BadBody(missing_field_message("field", Some(&why))));
    }
    let mut replaced = 0;
    let mut after = i64::MIN;
    loop {
        let tx = db::write_tx(conn)?;
        editable(&tx, caller, id)?;
        let Some(last) = sql::batch_end(&tx, id, after, batch)? else {
            break;
        };
        replaced += sql::replace(&tx, id, (after, last), field, (from, to))?;
        tx.commit()?;
        after = last;
    }
    Ok(replaced)
}

/// Drops failed rows from the task; returns how many went. The body lists their `seq`s, or
/// selects them by reason: `{"reason": …}` (every row of it, in one transaction), with
/// `"value"` only those of one bad value. A reason with no row is refused, nothing dropped.
pub fn drop_rows(conn: &mut Conn, caller: &Caller, id: i64, body: &[u8]) -> Result<i64> {
    if body.trim_ascii_start().starts_with(b"{") {
        let filter = selection(body, "请求体必须是失败行seq的数组")?;
        let tx = db::write_tx(conn)?;
        editable(&tx, caller, id)?;
        let dropped = sql::drop_filtered(&tx, id, &filter)?;
        if dropped == 0 {
            return Err(Error::NotFound(lifecycle::NO_SUCH_REASON));
        }
        tx.commit()?;
        return Ok(dropped);
    }
    drop_in_batches(conn, caller, id, body, WRITE_BATCH_ROWS)
}

/// A selection of failed rows by reason: `{"reason": …, "value": …}`, `reason` required (any
/// other object is a bad body, as before).
fn selection(body: &[u8], shape: &str) -> Result<sql::Filter> {
    #[derive(serde::Deserialize)]
    struct Selection {
        reason: String,
        value: Option<String>,
    }
    let bad = || {
        Error::BadBody(missing_field_message(
            "reason",
            Some("请指定失败原因（summary 中的 reason）"),
        ))
    };
    let Selection { reason, value } = serde_json::from_slice(body)
        .map_err(|_| Error::BadBody(missing_field_message("body", Some(shape))))?;
    if reason.is_empty() {
        return Err(bad());
    }
    Ok(sql::Filter {
        reason: Some(reason),
        value,
    })
}

/// `drop_rows`, `batch` listed seqs per write transaction; the task's counts follow each batch.
fn drop_in_batches(
    conn: &mut Conn,
    caller: &Caller,
    id: i64,
    body: &[u8],
    batch: usize,
) -> Result<i64> {
    editable(conn, caller, id)?;
    let seqs: Vec<i64> = serde_json::from_slice(body).map_err(|_| {
        Error::BadBody(missing_field_message(
            "body",
            Some("请求体必须是失败行seq的数组"),
        ))
    })?;
    let mut dropped = 0;
    for seqs in seqs.chunks(batch.max(1)) {
        let tx = db::write_tx(conn)?;
        editable(&tx, caller, id)?;
        dropped += sql::drop_rows(&tx, id, seqs)?;
        tx.commit()?;
    }
    Ok(dropped)
}

/// Runs failed rows again as they now stand: every one (an empty body, or `{}`), or those of a
/// reason, `{"reason": …}`, and of one bad value of it with `"value"`; the others stay failed.
/// False when there is none; a reason with no row is refused.
pub fn rerun_stored(
    conn: &mut Conn,
    caller: &Caller,
    id: i64,
    body: &[u8],
    chunk_rows: usize,
) -> Result<bool> {
    let filter = match body.trim_ascii() {
        b"" => sql::Filter::default(),
        body => match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(o)) if o.is_empty() => sql::Filter::default(),
            _ => selection(body, "请求体须为空，或为{\"reason\": …}")?,
        },
    };
    editable(conn, caller, id)?;
    lifecycle::rerun(conn, caller, id, RerunRows::Stored(&filter), chunk_rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Role;

    /// A company's import task that finished with `failed` failed rows (seqs 1..=failed, every
    /// 3rd row's owner "nobody", the others "liusn"), and its system admin.
    fn import_with_failures(failed: i64) -> (tempfile::TempDir, Conn, Caller) {
        let dir = tempfile::tempdir().unwrap();
        let pool = crate::db::open(&dir.path().join("t.sqlite3")).unwrap();
        drop(pool);
        let conn = Connection::open(dir.path().join("t.sqlite3")).unwrap();
        conn.execute_batch(
            "INSERT INTO entity (id, name) VALUES (1, 'e');
             INSERT INTO user (id, name, password_hash, character, entity_id)
                 VALUES (1, 'sysadmin', 'x', 3, 1);",
        )
        .unwrap();
        conn.execute(
            "INSERT INTO task (id, entity_id, creator_id, create_time, port_type, number_need,
                 number_failed, finish, next_seq, end_seq)
             VALUES (7, 1, 1, '2024-01-01 00:00:00', 1, ?1 + 10, ?1, 2, ?1 + 10, ?1 + 10)",
            [failed],
        )
        .unwrap();
        for seq in 1..=failed {
            let user = if seq % 3 == 0 { "nobody" } else { "liusn" };
            conn.execute(
                "INSERT INTO task_failure (task_id, seq, line, row, message)
                 VALUES (7, ?1, ?1, json_object('name', 'chair', 'user', ?2), '未找到该资产挂账人')",
                rusqlite::params![seq, user],
            )
            .unwrap();
        }
        let caller = Caller {
            user_id: 1,
            name: "sysadmin".into(),
            role: Role::Admin,
            entity_id: Some(1),
            department_id: None,
            token: String::new(),
        };
        (dir, Conn::alone(conn), caller)
    }

    fn users(conn: &Connection) -> Vec<String> {
        let mut stmt = conn
            .prepare("SELECT row ->> 'user' FROM task_failure WHERE task_id = 7 ORDER BY seq")
            .unwrap();
        let rows = stmt.query_map([], |r| r.get(0)).unwrap();
        rows.map(Result::unwrap).collect()
    }

    fn counts(conn: &Connection) -> (i64, i64, i64) {
        conn.query_row(
            "SELECT number_need, number_failed, finish FROM task WHERE id = 7",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap()
    }

    #[test]
    fn a_replace_in_small_batches_changes_every_matching_row_across_the_boundaries() {
        let (_dir, mut conn, caller) = import_with_failures(23);
        // 23 rows in batches of 5: four full batches and a short one; 7 rows match.
        let change = ("user", "nobody", "zhangsan");
        let replaced = replace_in_batches(&mut conn, &caller, 7, change, 5).unwrap();
        assert_eq!(replaced, 7);
        let expected: Vec<String> = (1..=23)
            .map(|seq| if seq % 3 == 0 { "zhangsan" } else { "liusn" }.to_owned())
            .collect();
        assert_eq!(users(&conn), expected);
        // The same as one batch over everything: nothing is left to replace.
        assert_eq!(
            replace_in_batches(&mut conn, &caller, 7, change, 1000).unwrap(),
            0
        );
        assert_eq!(counts(&conn), (33, 23, 2));
        // A batch that ends exactly at the last row.
        let (_dir, mut conn, caller) = import_with_failures(10);
        let change = ("user", "liusn", "x");
        assert_eq!(
            replace_in_batches(&mut conn, &caller, 7, change, 5).unwrap(),
            7
        );
        assert_eq!(
            replace_in_batches(&mut conn, &caller, 7, change, 5).unwrap(),
            0
        );
    }

    #[test]
    fn a_drop_in_small_batches_drops_every_listed_row_and_keeps_the_counts_right() {
        let (_dir, mut conn, caller) = import_with_failures(12);
        // 9 distinct rows listed (one twice, one that does not exist) in batches of 4.
        let body = b"[1, 2, 3, 4, 5, 6, 7, 8, 8, 99, 12]";
        assert_eq!(drop_in_batches(&mut conn, &caller, 7, body, 4).unwrap(), 9);
        let left: Vec<i64> = conn
            .prepare("SELECT seq FROM task_failure WHERE task_id = 7 ORDER BY seq")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(left, [9, 10, 11]);
        assert_eq!(counts(&conn), (22 - 9, 3, 2));
        // Dropping the last failed rows, across a boundary, makes the task a success.
        assert_eq!(
            drop_in_batches(&mut conn, &caller, 7, b"[9, 10, 11]", 2).unwrap(),
            3
        );
        assert_eq!(counts(&conn), (10, 0, 1));
    }

    #[test]
    fn a_rerun_by_reason_queues_only_its_rows_and_keeps_the_others_failed() {
        let (_dir, mut conn, caller) = import_with_failures(9);
        // Rows 3, 6 and 9 (owner "nobody") fail for a reason of their own.
        conn.execute(
            "UPDATE task_failure SET message = '第' || seq || '行：对应部门不存在'
             WHERE row ->> 'user' = 'nobody'",
            [],
        )
        .unwrap();
        let seqs = |conn: &Connection| -> Vec<i64> {
            let mut stmt = conn
                .prepare("SELECT seq FROM task_failure WHERE task_id = 7 ORDER BY seq")
                .unwrap();
            let seqs = stmt.query_map([], |r| r.get(0)).unwrap();
            seqs.map(Result::unwrap).collect()
        };
        // A reason no row has, or a selector that is not one: refused, nothing changed.
        for (body, refused) in [
            (r#"{"reason": "没有这个原因"}"#, "not found"),
            (r#"{"reason": "对应部门不存在", "value": "x"}"#, "not found"),
            (r#"{"reason": ""}"#, "bad"),
            (r#"{"value": "x"}"#, "bad"),
            ("[1, 2]", "bad"),
            ("{oops", "bad"),
        ] {
            let e = rerun_stored(&mut conn, &caller, 7, body.as_bytes(), 2).unwrap_err();
            match refused {
                "not found" => assert!(matches!(e, Error::NotFound(_)), "{e:?}"),
                _ => assert!(matches!(e, Error::BadBody(_)), "{e:?}"),
            }
            assert_eq!(seqs(&conn), (1..=9).collect::<Vec<_>>());
            assert_eq!(counts(&conn), (19, 9, 2));
        }

        let body = r#"{"reason": "对应部门不存在"}"#.as_bytes();
        assert!(rerun_stored(&mut conn, &caller, 7, body, 2).unwrap());
        // The reason's three rows are queued after the task's end, with their file lines;
        // the six of the other reason stay failed and counted.
        assert_eq!(seqs(&conn), [1, 2, 4, 5, 7, 8]);
        assert_eq!(counts(&conn), (19, 6, 0));
        let (next, end): (i64, i64) = conn
            .query_row("SELECT next_seq, end_seq FROM task WHERE id = 7", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_eq!((next, end), (19, 22));
        let lines: Vec<String> = conn
            .prepare("SELECT lines FROM task_chunk WHERE task_id = 7 ORDER BY first_seq")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(lines.concat().replace("][", ","), "[3,6,9]");
        // While it runs, the rows are not touched again.
        assert!(rerun_stored(&mut conn, &caller, 7, b"", 2).is_err());
    }
}
