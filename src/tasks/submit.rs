//! What the task endpoints do: store new tasks and re-runs, and read tasks, failed rows and
//! export records back, always within the caller's entity.

use super::lifecycle::{self, Action, Results};
use super::readers::Readers;
use crate::auth::{Caller, Role};
use crate::db::results::{self, ResultRow};
use crate::db::tasks::{self as sql, Finish, NewTask, Seen, TaskKind, TaskView, TaskWriter};
use crate::db::{Page, Paged};
use crate::error::{Error, Result};
use crate::rows::{lossy, missing_field_message};
use rusqlite::Connection;
use serde::de::{self, SeqAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use std::io::Write;
use std::sync::Arc;

/// Feeds every element of a JSON array body to `each` as its raw text, without building the
/// whole array in memory. A body that is not an array is refused.
pub fn for_each_element(bytes: &[u8], mut each: impl FnMut(&str) -> Result<()>) -> Result<()> {
    struct Elements<'f, F>(&'f mut F, Option<Error>);
    impl<'de, F: FnMut(&str) -> Result<()>> Visitor<'de> for &mut Elements<'_, F> {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a JSON array")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            while let Some(raw) = seq.next_element::<&'de RawValue>()? {
                if let Err(e) = (self.0)(raw.get()) {
                    self.1 = Some(e);
                    return Err(de::Error::custom("stopped"));
                }
            }
            Ok(())
        }
    }
    let mut elements = Elements(&mut each, None);
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let parsed = de::Deserializer::deserialize_seq(&mut deserializer, &mut elements)
        .and_then(|_| deserializer.end());
    if let Some(e) = elements.1 {
        return Err(e);
    }
    parsed.map_err(|e| {
        if e.is_syntax() || e.is_eof() {
            Error::BadBody("请求体不是合法的JSON".into())
        } else {
            Error::BadBody(missing_field_message("body", Some("请求体必须是JSON数组")))
        }
    })
}

/// Stores a new task with every element of the JSON array body as a row, a chunk per
/// transaction (`TaskWriter`); returns its id. A body found bad half-way stores nothing.
pub fn create_from_json(
    conn: &mut Connection,
    caller: &Caller,
    kind: TaskKind,
    new: &NewTask,
    bytes: &[u8],
    chunk_rows: usize,
) -> Result<i64> {
    let owner = (caller.entity()?, caller.user_id);
    let mut writer = TaskWriter::create(conn, owner, kind, new, chunk_rows)?;
    store_new(&mut writer, |writer| {
        for_each_element(bytes, |raw| Ok(writer.push(raw, None)?))
    })
}

/// Stores an export task: of the ids of a JSON array body (the seed's), or, for
/// `{"filter": {…}}`, of every asset that search finds. Anything else is answered as a body
/// that is not an array.
pub fn create_export(
    conn: &mut Connection,
    caller: &Caller,
    bytes: &[u8],
    chunk_rows: usize,
) -> Result<i64> {
    #[derive(serde::Deserialize)]
    struct OfSearch {
        filter: Value,
    }
    let of_search = bytes.trim_ascii_start().starts_with(b"{");
    match of_search.then(|| serde_json::from_slice::<OfSearch>(bytes).ok()) {
        Some(Some(OfSearch { filter })) => {
            let search =
                serde_json::from_value(filter).map_err(|_| Error::missing_field("filter"))?;
            create_export_of_search(conn, caller, search, chunk_rows)
        }
        _ => {
            let new = NewTask::default();
            create_from_json(conn, caller, TaskKind::Export, &new, bytes, chunk_rows)
        }
    }
}

/// Stores an export of every asset a search finds (its paging ignored), selected here on the
/// server: the page no longer collects a million ids a thousand at a time. Returns its id.
fn create_export_of_search(
    conn: &mut Connection,
    caller: &Caller,
    search: crate::assets::SearchRequest,
    chunk_rows: usize,
) -> Result<i64> {
    let ids = crate::assets::search_ids(conn, caller, search)?;
    let owner = (caller.entity()?, caller.user_id);
    let mut writer = TaskWriter::create(
        conn,
        owner,
        TaskKind::Export,
        &NewTask::default(),
        chunk_rows,
    )?;
    store_new(&mut writer, |writer| {
        for id in ids {
            writer.push(&id.to_string(), None)?;
        }
        Ok(())
    })
}

/// Runs `push` (which pushes every row into the writer), then makes the new task visible;
/// returns its id. On any failure the half-stored task is taken back.
pub fn store_new(
    writer: &mut TaskWriter,
    push: impl FnOnce(&mut TaskWriter) -> Result<()>,
) -> Result<i64> {
    let stored = push(writer).and_then(|()| Ok(writer.finish_new()?));
    match stored {
        Ok(_) => Ok(writer.task_id),
        Err(e) => {
            writer.abandon(true);
            Err(e)
        }
    }
}

/// Which tasks of their entity the caller sees (`Seen`): a system admin all, an asset manager
/// those of their own department scope.
fn seen(caller: &Caller) -> Result<Seen> {
    match (caller.role, caller.department_id) {
        (Role::Admin, _) => Ok(Seen::All),
        (Role::Manager, Some(department)) => Ok(Seen::Manager(caller.user_id, department)),
        _ => Err(Error::Forbidden),
    }
}

/// A task the caller sees; one of another entity, or outside an asset manager's scope, answers
/// as if it did not exist.
pub fn task_of(conn: &Connection, caller: &Caller, id: i64) -> Result<sql::TaskState> {
    let task = sql::task_state(conn, id)?
        .filter(|t| Some(t.entity_id) == caller.entity_id)
        .ok_or(Error::TaskNotFound)?;
    if !sql::task_seen(conn, id, seen(caller)?)? {
        return Err(Error::TaskNotFound);
    }
    Ok(task)
}

/// The unpaged task list (the seed's form): the newest `TASK_LIST_CAP` tasks, in id order.
pub fn list(conn: &Connection, caller: &Caller) -> Result<Vec<TaskView>> {
    let tasks = sql::tasks_of_entity(conn, caller.entity()?, seen(caller)?)?;
    Ok(tasks.into_iter().map(with_actions).collect())
}

/// The view with the actions its caller may take now. Whoever sees a task may act on it.
fn with_actions(mut view: TaskView) -> TaskView {
    view.actions = lifecycle::actions(&view.status);
    view
}

/// A page of the task list, newest first, filtered.
pub fn list_page(
    conn: &Connection,
    caller: &Caller,
    filter: &sql::TaskFilter,
    page: Page,
) -> Result<Paged<TaskView>> {
    let (total, data) = sql::tasks_page(conn, caller.entity()?, seen(caller)?, filter, page)?;
    let pages = page.check(total)?;
    let data = data.into_iter().map(with_actions).collect();
    Ok(Paged { pages, total, data })
}

/// The task list's query: `None` without any of its keys (the unpaged seed form), else the page
/// and filter it asks for. A malformed value names its key.
pub fn list_query<'a>(
    pairs: impl Iterator<Item = (&'a str, &'a str)>,
) -> Result<Option<(Page, sql::TaskFilter)>> {
    let (mut page, mut size, mut asked) = (None, None, false);
    let mut filter = sql::TaskFilter::default();
    let bad = |key: &str, why: &str| Error::BadBody(missing_field_message(key, Some(why)));
    for (key, value) in pairs {
        let value = value.trim();
        match key {
            "page" => page = Some(value),
            "size" => size = Some(value),
            "type" => {
                filter.kind = Some(match value {
                    "import" | "1" => TaskKind::Import,
                    "export" | "0" => TaskKind::Export,
                    "undo" | "2" => TaskKind::Undo,
                    _ => return Err(bad("type", "import、export 或 undo")),
                })
            }
            "finish" => {
                filter.finish = Some(
                    value
                        .parse()
                        .ok()
                        .and_then(Finish::from_code)
                        .ok_or_else(|| bad("finish", "0、1 或 2"))?,
                )
            }
            "creator" if !value.is_empty() => filter.creator = Some(value.to_owned()),
            "creator" => {}
            "since" if value.is_empty() => {}
            "since" => {
                let date = chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d").is_ok();
                let time =
                    chrono::NaiveDateTime::parse_from_str(value, "%Y-%m-%d %H:%M:%S").is_ok();
                if !date && !time {
                    return Err(bad("since", "YYYY-MM-DD 或 YYYY-MM-DD HH:MM:SS"));
                }
                filter.since = Some(value.to_owned());
            }
            _ => continue,
        }
        asked = true;
    }
    if !asked {
        return Ok(None);
    }
    Ok(Some((Page::parse(page.unwrap_or("1"), size)?, filter)))
}

/// One task, and for a dry run its preview: the first changes it would make.
pub fn one(conn: &Connection, caller: &Caller, id: i64) -> Result<Value> {
    task_of(conn, caller, id)?;
    let view = sql::task_view(conn, caller.entity()?, id)?.ok_or(Error::TaskNotFound)?;
    let view = with_actions(view);
    let mut answer = serde_json::to_value(view).map_err(|e| Error::caused("task view", e))?;
    let preview = crate::db::changes::preview(conn, id)?;
    if let (Value::Object(fields), Some(preview)) = (&mut answer, preview) {
        fields.insert("preview".into(), lossy::value(&preview));
    }
    Ok(answer)
}

/// Checks that the task is an import (or an undo) the caller sees; returns how many failed
/// rows it has.
pub fn import_task(conn: &Connection, caller: &Caller, id: i64) -> Result<i64> {
    let task = task_of(conn, caller, id)?;
    lifecycle::check(&task.status, Action::Read(Results::Failures))?;
    Ok(task.number_failed)
}

/// Checks that the task is an export the caller sees; returns how many ids failed.
pub fn export_task(conn: &Connection, caller: &Caller, id: i64) -> Result<i64> {
    let task = task_of(conn, caller, id)?;
    lifecycle::check(&task.status, Action::Read(Results::Records))?;
    Ok(task.number_failed)
}

/// How a task's result row is shown in a JSON list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    /// An export's record: the snapshot as stored.
    Record,
    /// An import's failed row: the row exactly as submitted plus its `message`.
    ImportFailure,
    /// An export's failed id: the element as sent (`value`) and why (`message`).
    ExportFailure,
}

fn show(shown: Shown, row: String, message: String) -> Value {
    match shown {
        Shown::Record => lossy::value(&row),
        Shown::ImportFailure => with_message(&row, message),
        Shown::ExportFailure => {
            let value = lossy::value(&row);
            serde_json::json!({ "value": value, "message": message })
        }
    }
}

/// One page of a task's failed rows (`total` of them), shown as `shown`.
pub fn failures_page(
    conn: &Connection,
    id: i64,
    total: i64,
    page: Page,
    shown: Shown,
) -> Result<Paged<Value>> {
    let pages = page.check(total)?;
    let data = results::failures_page(conn, id, page)?
        .into_iter()
        .map(|(row, message)| show(shown, row, message))
        .collect();
    Ok(Paged { pages, total, data })
}

/// Writes `{"code":0,"info":"Succeed","data":[…]}` of every row, as it reads them a chunk at a
/// time: a million records or failed rows never sit in memory at once. For `Shown::Record` a row
/// may be several records' text, comma-separated (`Source::SnapshotChunks`).
pub fn write_list(
    rows: &mut dyn Iterator<Item = ResultRow>,
    shown: Shown,
    out: &mut dyn Write,
) -> Result<()> {
    let io = |e: std::io::Error| Error::caused("streamed answer", e);
    out.write_all(br#"{"code":0,"info":"Succeed","data":["#)
        .map_err(io)?;
    for (i, row) in rows.enumerate() {
        let (row, message) = row.map_err(Error::internal)?;
        if i > 0 {
            out.write_all(b",").map_err(io)?;
        }
        if shown == Shown::Record {
            out.write_all(row.as_bytes()).map_err(io)?;
        } else {
            serde_json::to_writer(&mut *out, &show(shown, row, message))
                .map_err(|e| Error::caused("streamed answer", e))?;
        }
    }
    out.write_all(b"]}").and_then(|_| out.flush()).map_err(io)
}

/// The submitted object with `message` set. A row that was not an object (or not readable as
/// one) is returned under `value`.
pub fn with_message(row: &str, message: String) -> Value {
    let object = match serde_json::from_str::<Value>(row) {
        Ok(Value::Object(fields)) => Ok(fields),
        parsed => lossy::object(row).ok_or(parsed),
    };
    match object {
        Ok(mut fields) => {
            fields.insert("message".into(), Value::String(message));
            Value::Object(fields)
        }
        Err(parsed) => {
            let value = parsed.unwrap_or_else(|_| lossy::value(row));
            let mut fields = Map::new();
            fields.insert("value".into(), value);
            fields.insert("message".into(), Value::String(message));
            Value::Object(fields)
        }
    }
}

/// Replaces failed row i by element i of the body and queues those rows again, inside the same
/// task. Returns whether anything was queued. The task is claimed first (it shows as running,
/// so a second re-run is refused), the rows are stored a chunk per transaction, and one last
/// transaction swaps them for the failed rows; a body found bad half-way changes nothing.
pub fn rerun(
    conn: &mut Connection,
    caller: &Caller,
    id: i64,
    bytes: &[u8],
    chunk_rows: usize,
) -> Result<bool> {
    let (task, lines) = {
        let tx = crate::db::write_tx(conn)?;
        let task = task_of(&tx, caller, id)?;
        lifecycle::check(&task.status, Action::Rerun { seed: true })?;
        let lines = sql::failure_lines(&tx, id)?;
        if lines.is_empty() {
            // Nothing to re-run: an empty list is the only body that fits.
            let mut count = 0;
            for_each_element(bytes, |_| {
                count += 1;
                Ok(())
            })?;
            return if count == 0 {
                Ok(false)
            } else {
                Err(Error::RerunLengthMismatch)
            };
        }
        if !sql::claim_for_rerun(&tx, id)? {
            return Err(Error::TaskRunning);
        }
        tx.commit()?;
        (task, lines)
    };
    let mut writer = TaskWriter::append(conn, id, task.end_seq, chunk_rows);
    let stored = store_rerun(&mut writer, caller, &lines, bytes);
    if stored.is_err() {
        writer.abandon(false);
        drop(writer);
        let released =
            crate::db::write_tx(conn).and_then(|tx| sql::release_rerun(&tx, id).and(tx.commit()));
        if let Err(e) = released {
            log::error!("task {id}: cannot release a refused re-run: {e}");
        }
    }
    stored.map(|()| true)
}

fn store_rerun(
    writer: &mut TaskWriter,
    caller: &Caller,
    lines: &[Option<i64>],
    bytes: &[u8],
) -> Result<()> {
    let id = writer.task_id;
    let mut count = 0usize;
    for_each_element(bytes, |raw| {
        // A row's `line` stays the line of the file it first came from.
        let line = lines.get(count).copied().flatten();
        count += 1;
        if count > lines.len() {
            return Err(Error::RerunLengthMismatch);
        }
        Ok(writer.push(raw, line)?)
    })?;
    if count != lines.len() {
        return Err(Error::RerunLengthMismatch);
    }
    let (rows, conn) = writer.finish()?;
    let tx = crate::db::write_tx(conn)?;
    sql::clear_failures_for_rerun(&tx, id, rows)?;
    sql::set_runner(&tx, id, caller.user_id)?;
    tx.commit()?;
    Ok(())
}

/// Cancels a queued or running task of the caller's: its worker stops at the next batch
/// boundary and the rows not run end as failed rows (已取消).
pub fn cancel(conn: &Connection, caller: &Caller, id: i64) -> Result<()> {
    let task = task_of(conn, caller, id)?;
    lifecycle::check(&task.status, Action::Cancel)?;
    if !sql::cancel(conn, id)? {
        return Err(Error::TaskFinished);
    }
    Ok(())
}

/// Runs a finished dry run's stored rows for real, as the same task, with the confirming
/// caller's rights.
pub fn confirm(conn: &Connection, caller: &Caller, id: i64) -> Result<()> {
    let task = task_of(conn, caller, id)?;
    lifecycle::check(&task.status, Action::Confirm)?;
    sql::confirm(conn, id, caller.user_id)?;
    Ok(())
}

/// Stores an undo task of a finished import (its own kind, run by the workers); returns its
/// id.
pub fn undo(conn: &Connection, caller: &Caller, id: i64) -> Result<i64> {
    let task = task_of(conn, caller, id)?;
    lifecycle::check(&task.status, Action::Undo)?;
    let (updated, created) = crate::db::changes::undo_size(conn, id)?;
    let owner = (caller.entity()?, caller.user_id);
    Ok(sql::create_undo(conn, owner, id, updated + created)?)
}

/// Deletes a finished task's stored rows, records and failed rows now, as retention would (the
/// task and its counters stay, marked pruned).
pub fn delete_data(
    conn: &mut Connection,
    caller: &Caller,
    id: i64,
    readers: &Arc<Readers>,
) -> Result<()> {
    let task = task_of(conn, caller, id)?;
    lifecycle::check(&task.status, Action::DeleteData)?;
    let _removing = readers.remove_waiting(id)?;
    super::prune::prune_task(conn, id)?;
    Ok(())
}
