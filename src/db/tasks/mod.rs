//! Tasks: their kinds and states, the lists and views of them, and the changes of a task's
//! state. Writing a task's rows, failed rows, snapshots and counters is `store.rs`.

mod store;

pub use store::*;

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};

/// What a task does; stored (and shown) as `port_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskKind {
    Export = 0,
    Import = 1,
    /// Takes back what an import did (`undo_of`).
    Undo = 2,
}

impl TaskKind {
    pub fn code(self) -> i64 {
        self as i64
    }

    pub fn name(self) -> &'static str {
        match self {
            TaskKind::Export => "export",
            TaskKind::Import => "import",
            TaskKind::Undo => "undo",
        }
    }

    pub fn from_code(code: i64) -> Option<TaskKind> {
        match code {
            0 => Some(TaskKind::Export),
            1 => Some(TaskKind::Import),
            2 => Some(TaskKind::Undo),
            _ => None,
        }
    }
}

/// Where a task stands; stored (and shown) as `finish`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finish {
    /// Queued or running.
    Running = 0,
    /// Every row succeeded.
    Succeeded = 1,
    /// At least one row failed.
    Failed = 2,
}

impl Finish {
    pub fn code(self) -> i64 {
        self as i64
    }

    pub fn from_code(code: i64) -> Option<Finish> {
        match code {
            0 => Some(Finish::Running),
            1 => Some(Finish::Succeeded),
            2 => Some(Finish::Failed),
            _ => None,
        }
    }
}

/// Both enums read and write as their integer codes.
macro_rules! sql_code {
    ($t:ty) => {
        impl FromSql for $t {
            fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
                let code = i64::column_result(value)?;
                <$t>::from_code(code).ok_or(FromSqlError::OutOfRange(code))
            }
        }
        impl ToSql for $t {
            fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
                Ok(ToSqlOutput::from(self.code()))
            }
        }
    };
}
sql_code!(TaskKind);
sql_code!(Finish);

/// A task record as the API shows it. `manager` is the seed's name for its creator.
#[derive(Debug, Clone, Serialize)]
pub struct TaskView {
    pub id: i64,
    pub manager: String,
    pub create_time: String,
    pub number_need: i64,
    pub number_succeed: i64,
    pub finish: i64,
    pub port_type: i64,
    pub number_done: i64,
    pub number_failed: i64,
    /// When its first batch ran, and when it ended (null until then).
    pub start_time: Option<String>,
    pub finish_time: Option<String>,
    /// The uploaded file's name, for a task made from a file.
    pub file_name: Option<String>,
    pub cancelled: bool,
    /// Its stored rows, records and failed rows were deleted; the counters stay.
    pub pruned: bool,
    /// "import", "export" or "undo" (port_type 1, 0, 2).
    pub kind: &'static str,
    /// An import's succeeded rows by what they did (or, in a dry run, would do).
    pub number_created: i64,
    pub number_updated: i64,
    pub number_unchanged: i64,
    /// A dry run: nothing was written; `confirmed` once it was run for real.
    pub dry_run: bool,
    pub confirmed: bool,
    /// An undo task's import, and an undone import's undo task.
    pub undo_of: Option<i64>,
    pub undone_by: Option<i64>,
}

const VIEW_SELECT: &str = "SELECT t.id, u.name, t.create_time, t.number_need, t.number_succeed,
        t.finish, t.port_type, t.number_failed, t.start_time, t.finish_time, t.file_name,
        t.cancelled, t.pruned, t.number_created, t.number_updated, t.number_unchanged,
        t.dry_run, t.confirmed, t.undo_of, t.undone_by
    FROM task t JOIN user u ON u.id = t.creator_id";

fn view_row(r: &rusqlite::Row) -> rusqlite::Result<TaskView> {
    let number_succeed: i64 = r.get(4)?;
    let number_failed: i64 = r.get(7)?;
    let kind: TaskKind = r.get(6)?;
    Ok(TaskView {
        id: r.get(0)?,
        manager: r.get(1)?,
        create_time: r.get(2)?,
        number_need: r.get(3)?,
        number_succeed,
        finish: r.get(5)?,
        port_type: kind.code(),
        number_done: number_succeed + number_failed,
        number_failed,
        start_time: r.get(8)?,
        finish_time: r.get(9)?,
        file_name: r.get(10)?,
        cancelled: r.get(11)?,
        pruned: r.get(12)?,
        kind: kind.name(),
        number_created: r.get(13)?,
        number_updated: r.get(14)?,
        number_unchanged: r.get(15)?,
        dry_run: r.get(16)?,
        confirmed: r.get(17)?,
        undo_of: r.get(18)?,
        undone_by: r.get(19)?,
    })
}

/// Whose tasks a caller sees within their entity: everyone's (a system admin), or those of an
/// asset manager (`Manager(user id, department id)`): the tasks they created or last re-ran, and
/// those created by asset managers of departments within their own subtree, whose rows and
/// snapshots stay within that subtree.
#[derive(Debug, Clone, Copy)]
pub enum Seen {
    All,
    Manager(i64, i64),
}

/// `Seen` as a condition over `task t JOIN user u ON u.id = t.creator_id`, with the
/// parameters it names (:me, :d).
fn seen_sql(seen: &Seen) -> (&'static str, Vec<(&'static str, i64)>) {
    match *seen {
        Seen::All => ("1", Vec::new()),
        Seen::Manager(me, department) => (
            "(t.creator_id = :me OR t.runner_id = :me OR (u.character = 2 AND u.department_id IN (
                 WITH RECURSIVE sub(id) AS (
                     SELECT :d UNION SELECT d.id FROM department d JOIN sub ON d.parent_id = sub.id)
                 SELECT id FROM sub)))",
            vec![(":me", me), (":d", department)],
        ),
    }
}

fn query_params<'a>(
    fixed: &'a [(&'static str, i64)],
    seen: &'a [(&'static str, i64)],
) -> Vec<(&'static str, &'a dyn rusqlite::ToSql)> {
    fixed
        .iter()
        .chain(seen)
        .map(|(name, value)| (*name, value as &dyn rusqlite::ToSql))
        .collect()
}

pub fn tasks_of_entity(
    conn: &Connection,
    entity_id: i64,
    seen: Seen,
) -> rusqlite::Result<Vec<TaskView>> {
    // The newest TASK_LIST_CAP (the first page, newest first), in id order.
    let first = super::Page {
        page: 1,
        size: TASK_LIST_CAP,
    };
    let (_, mut tasks) = tasks_page(conn, entity_id, seen, &TaskFilter::default(), first)?;
    tasks.reverse();
    Ok(tasks)
}

/// At most this many tasks in the unpaged task list (the newest).
pub const TASK_LIST_CAP: i64 = 1000;

/// What a paged task list asks for; every field optional.
#[derive(Debug, Clone, Default)]
pub struct TaskFilter {
    pub kind: Option<TaskKind>,
    pub finish: Option<Finish>,
    /// The creator's name (ASCII case ignored).
    pub creator: Option<String>,
    /// Tasks created at or after this local time ('YYYY-MM-DD' or 'YYYY-MM-DD HH:MM:SS').
    pub since: Option<String>,
}

/// A page of the tasks the caller sees, newest first, and how many there are. The SQL holds only
/// the conditions given; the entity's index on (entity_id, id) serves the order.
pub fn tasks_page(
    conn: &Connection,
    entity_id: i64,
    seen: Seen,
    filter: &TaskFilter,
    page: super::Page,
) -> rusqlite::Result<(i64, Vec<TaskView>)> {
    let (condition, seen_params) = seen_sql(&seen);
    let mut sql = format!("WHERE t.entity_id = :e AND t.stored = 1 AND {condition}");
    let mut fixed: Vec<(&'static str, i64)> = vec![(":e", entity_id)];
    if let Some(kind) = filter.kind {
        sql.push_str(" AND t.port_type = :type");
        fixed.push((":type", kind.code()));
    }
    if let Some(finish) = filter.finish {
        sql.push_str(" AND t.finish = :finish");
        fixed.push((":finish", finish.code()));
    }
    let mut params = query_params(&fixed, &seen_params);
    if let Some(creator) = &filter.creator {
        sql.push_str(" AND u.name = :creator COLLATE NOCASE");
        params.push((":creator", creator as &dyn rusqlite::ToSql));
    }
    if let Some(since) = &filter.since {
        sql.push_str(" AND t.create_time >= :since");
        params.push((":since", since as &dyn rusqlite::ToSql));
    }
    let total: i64 = conn
        .prepare_cached(&format!(
            "SELECT count(*) FROM task t JOIN user u ON u.id = t.creator_id {sql}"
        ))?
        .query_row(params.as_slice(), |r| r.get(0))?;
    let (limit, offset) = (page.size, page.offset());
    params.push((":limit", &limit as &dyn rusqlite::ToSql));
    params.push((":offset", &offset as &dyn rusqlite::ToSql));
    let mut stmt = conn.prepare_cached(&format!(
        "{VIEW_SELECT} {sql} ORDER BY t.id DESC LIMIT :limit OFFSET :offset"
    ))?;
    let rows = stmt.query_map(params.as_slice(), view_row)?;
    Ok((total, rows.collect::<rusqlite::Result<_>>()?))
}

/// Whether the caller sees this task of their entity.
pub fn task_seen(conn: &Connection, id: i64, seen: Seen) -> rusqlite::Result<bool> {
    let (condition, seen_params) = seen_sql(&seen);
    let fixed = [(":id", id)];
    conn.prepare_cached(&format!(
        "SELECT 1 FROM task t JOIN user u ON u.id = t.creator_id
         WHERE t.id = :id AND t.stored = 1 AND {condition}"
    ))?
    .exists(query_params(&fixed, &seen_params).as_slice())
}

/// Marks an unfinished task cancelled; false if it had finished (or does not exist).
pub fn cancel(conn: &Connection, id: i64) -> rusqlite::Result<bool> {
    Ok(conn.execute(
        "UPDATE task SET cancelled = 1 WHERE id = ?1 AND finish = 0 AND stored = 1",
        [id],
    )? == 1)
}

/// Deletes up to `limit` of a task's stored rows, failed rows and snapshot chunks; returns how
/// many went.
pub fn delete_results(conn: &Connection, id: i64, limit: i64) -> rusqlite::Result<usize> {
    let mut deleted = 0;
    for sql in [
        "DELETE FROM task_failure WHERE task_id = ?1 AND seq IN
             (SELECT seq FROM task_failure WHERE task_id = ?1 ORDER BY seq LIMIT ?2)",
        "DELETE FROM export_chunk WHERE task_id = ?1 AND first_seq IN
             (SELECT first_seq FROM export_chunk WHERE task_id = ?1 ORDER BY first_seq LIMIT ?2)",
        "DELETE FROM task_chunk WHERE task_id = ?1 AND first_seq IN
             (SELECT first_seq FROM task_chunk WHERE task_id = ?1 ORDER BY first_seq LIMIT ?2)",
        "DELETE FROM task_change WHERE task_id = ?1 AND asset_id IN
             (SELECT asset_id FROM task_change WHERE task_id = ?1 LIMIT ?2)",
        "DELETE FROM task_created WHERE task_id = ?1 AND first_id IN
             (SELECT first_id FROM task_created WHERE task_id = ?1 LIMIT ?2)",
        "DELETE FROM task_dry_item WHERE task_id = ?1 AND seq IN
             (SELECT seq FROM task_dry_item WHERE task_id = ?1 LIMIT ?2)",
    ] {
        deleted += conn.prepare_cached(sql)?.execute(params![id, limit])?;
        if deleted > 0 {
            break;
        }
    }
    Ok(deleted)
}

pub fn mark_pruned(conn: &Connection, id: i64) -> rusqlite::Result<()> {
    conn.execute("UPDATE task SET pruned = 1 WHERE id = ?1", [id])?;
    Ok(())
}

/// Finished, unpruned tasks that ended before `cutoff` (a local time text), oldest first.
pub fn finished_before(conn: &Connection, cutoff: &str) -> rusqlite::Result<Vec<i64>> {
    let mut stmt = conn.prepare(
        "SELECT id FROM task WHERE finish != 0 AND pruned = 0 AND finish_time < ?1 ORDER BY id",
    )?;
    let ids = stmt.query_map([cutoff], |r| r.get(0))?;
    ids.collect()
}

/// Records who re-ran a task: its remaining rows run with their rights from now on.
pub fn set_runner(conn: &Connection, id: i64, runner_id: i64) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE task SET runner_id = ?2 WHERE id = ?1",
        params![id, runner_id],
    )?;
    Ok(())
}

pub fn task_view(conn: &Connection, entity_id: i64, id: i64) -> rusqlite::Result<Option<TaskView>> {
    conn.prepare_cached(&format!(
        "{VIEW_SELECT} WHERE t.entity_id = ?1 AND t.id = ?2 AND t.stored = 1"
    ))?
    .query_row(params![entity_id, id], view_row)
    .optional()
}

/// What a worker needs to know about a task.
#[derive(Debug, Clone, Copy)]
pub struct TaskState {
    pub id: i64,
    pub entity_id: i64,
    pub creator_id: i64,
    /// Whose rights the task's rows run with: who last re-ran it, else its creator.
    pub runner_id: i64,
    pub kind: TaskKind,
    pub finish: Finish,
    pub number_failed: i64,
    pub next_seq: i64,
    pub end_seq: i64,
    pub cancelled: bool,
    pub pruned: bool,
    /// Checks every row and writes nothing (until confirmed).
    pub dry_run: bool,
    pub confirmed: bool,
    pub undo_of: Option<i64>,
    pub undone_by: Option<i64>,
}

impl TaskState {
    pub fn running(&self) -> bool {
        self.finish == Finish::Running
    }

    /// A dry run not yet confirmed: its batches are rolled back.
    pub fn checks_only(&self) -> bool {
        self.dry_run && !self.confirmed
    }
}

pub fn task_state(conn: &Connection, id: i64) -> rusqlite::Result<Option<TaskState>> {
    conn.prepare_cached(
        "SELECT id, entity_id, creator_id, port_type, finish, number_failed, next_seq, end_seq,
             coalesce(runner_id, creator_id), cancelled, pruned, dry_run, confirmed, undo_of,
             undone_by
         FROM task WHERE id = ?1 AND stored = 1",
    )?
    .query_row([id], |r| {
        Ok(TaskState {
            id: r.get(0)?,
            entity_id: r.get(1)?,
            creator_id: r.get(2)?,
            runner_id: r.get(8)?,
            kind: r.get(3)?,
            finish: r.get(4)?,
            number_failed: r.get(5)?,
            next_seq: r.get(6)?,
            end_seq: r.get(7)?,
            cancelled: r.get(9)?,
            pruned: r.get(10)?,
            dry_run: r.get(11)?,
            confirmed: r.get(12)?,
            undo_of: r.get(13)?,
            undone_by: r.get(14)?,
        })
    })
    .optional()
}

pub fn unfinished_tasks(conn: &Connection) -> rusqlite::Result<Vec<i64>> {
    let mut stmt =
        conn.prepare("SELECT id FROM task WHERE finish = 0 AND stored = 1 ORDER BY id")?;
    let ids = stmt.query_map([], |r| r.get(0))?;
    ids.collect()
}

#[cfg(test)]
mod tests;
