//! Tasks: their kinds and states, the lists and views of them, and the changes of a task's
//! state. Writing a task's rows, failed rows, snapshots and counters is `store.rs`.

mod kind;
mod made;
mod store;

pub use kind::TaskKind;

pub use made::*;
pub use store::*;

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};

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

/// The fields a task's lifecycle (`tasks::lifecycle`) is decided by, read with every task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Status {
    pub kind: TaskKind,
    pub finish: Finish,
    /// A cancel was asked for (the rows not run end as failed rows).
    pub cancelled: bool,
    /// How its stored rows, records and failed rows went, if they did (the counters stay).
    pub removed: Option<Removed>,
    pub dry_run: bool,
    pub confirmed: bool,
    /// An import that an undo task took back.
    pub undone: bool,
    /// A finished dry run still holds every row it was submitted with (what a confirm runs);
    /// true for every other task.
    pub rows_complete: bool,
    /// A finished import that wrote something keeps the records an undo needs (imports made
    /// before version 6 do not); true for every other task.
    pub undo_records: bool,
    /// An import created or updated at least one asset (or, a dry run, would).
    pub wrote: bool,
    /// Some rows did not succeed: there are failed rows to read, fix or run again.
    pub unsucceeded: bool,
}

impl Status {
    /// Its stored rows, records and failed rows were deleted (retention, a user, a discard).
    pub fn pruned(&self) -> bool {
        self.removed.is_some()
    }
}

/// `Status`'s columns over `task t`, in its order. The two subqueries run only for the
/// finished tasks they concern, never for a running one (a worker reads its task every batch).
macro_rules! status_columns {
    () => {
        "t.port_type, t.finish, t.cancelled, t.pruned, t.dry_run,
        t.confirmed, t.undone_by IS NOT NULL,
        CASE WHEN t.dry_run = 1 AND t.confirmed = 0 AND t.finish != 0 THEN
            (SELECT coalesce(sum(row_count), 0) FROM task_chunk WHERE task_id = t.id) = t.end_seq
        ELSE 1 END,
        CASE WHEN t.port_type = 1 AND t.finish != 0 AND t.undone_by IS NULL
                AND t.number_created + t.number_updated > 0 THEN
            EXISTS (SELECT 1 FROM task_change WHERE task_id = t.id)
                OR EXISTS (SELECT 1 FROM task_created WHERE task_id = t.id)
        ELSE 1 END,
        t.number_created + t.number_updated > 0,
        t.number_failed > 0 OR t.number_succeed != t.number_need"
    };
}
const STATUS_COLUMNS: &str = status_columns!();

/// Reads `STATUS_COLUMNS` from column `first` on.
fn status_at(r: &rusqlite::Row, first: usize) -> rusqlite::Result<Status> {
    Ok(Status {
        kind: r.get(first)?,
        finish: r.get(first + 1)?,
        cancelled: r.get(first + 2)?,
        removed: Removed::of(r.get(first + 3)?),
        dry_run: r.get(first + 4)?,
        confirmed: r.get(first + 5)?,
        undone: r.get(first + 6)?,
        rows_complete: r.get(first + 7)?,
        undo_records: r.get(first + 8)?,
        wrote: r.get(first + 9)?,
        unsucceeded: r.get(first + 10)?,
    })
}

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
    /// How they went, when `pruned`: `retention` (the retention period ended), `deleted` (a
    /// user deleted them), `discarded` (a dry run its user discarded).
    pub removed: Option<&'static str>,
    /// "import", "export", "undo", "approval", "request_undo" or "count" (port_type 1, 0, 2, 3,
    /// 4, 5).
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
    /// An approval's or request undo's request.
    pub request: Option<i64>,
    /// A count sheet's stocktake.
    pub stocktake: Option<i64>,
    /// A label task's layout and the labels of its first sheet already used:
    /// `{"layout": "a4-3x8", "offset": 5}`.
    pub labels: Option<serde_json::Value>,
    /// An export of the register as it stood at the end of this day ('YYYY-MM-DD').
    pub as_of: Option<String>,
    /// An import from a file: the file's headers the import did not read (e.g. 保修期).
    pub unread_columns: Vec<String>,
    /// What its caller may do with it now (`tasks::lifecycle::actions`); set by the task
    /// engine, not here.
    pub actions: Vec<&'static str>,
    #[serde(skip)]
    pub status: Status,
}

const VIEW_SELECT: &str = concat!(
    "SELECT t.id, u.name, t.create_time, t.number_need, t.number_succeed,
        t.finish, t.port_type, t.number_failed, t.start_time, t.finish_time, t.file_name,
        t.cancelled, t.pruned, t.number_created, t.number_updated, t.number_unchanged,
        t.dry_run, t.confirmed, t.undo_of, t.undone_by, t.as_of, t.unread_columns, t.request_id, t.stocktake_id,
        t.label_layout, t.label_offset, ",
    status_columns!(),
    " FROM task t JOIN user u ON u.id = t.creator_id"
);

fn view_row(r: &rusqlite::Row) -> rusqlite::Result<TaskView> {
    let number_succeed: i64 = r.get(4)?;
    let number_failed: i64 = r.get(7)?;
    let kind: TaskKind = r.get(6)?;
    let status = status_at(r, 26)?;
    let layout: Option<String> = r.get(24)?;
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
        pruned: status.pruned(),
        removed: status.removed.map(Removed::name),
        kind: kind.name(),
        number_created: r.get(13)?,
        number_updated: r.get(14)?,
        number_unchanged: r.get(15)?,
        dry_run: r.get(16)?,
        confirmed: r.get(17)?,
        undo_of: r.get(18)?,
        undone_by: r.get(19)?,
        as_of: r
            .get::<_, Option<i64>>(20)?
            .map(|day| crate::clock::date_of(day).format("%Y-%m-%d").to_string()),
        unread_columns: r
            .get::<_, Option<String>>(21)?
            .and_then(|json| serde_json::from_str(&json).ok())
            .unwrap_or_default(),
        request: r.get(22)?,
        stocktake: r.get(23)?,
        labels: match layout {
            Some(layout) => {
                let offset = r.get::<_, Option<i64>>(25)?.unwrap_or(0);
                Some(serde_json::json!({ "layout": layout, "offset": offset }))
            }
            None => None,
        },
        actions: Vec::new(),
        status,
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
    let first = crate::paging::Page {
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
    page: crate::paging::Page,
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

/// How a task's stored data went, as `task.pruned` keeps it (0 while it is kept).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Removed {
    /// The retention period ended (1; also every task pruned before the others existed).
    Retention,
    /// A user deleted it (`DELETE /api/async_task/…`).
    Deleted,
    /// A user discarded the dry run it was (`POST …/discard`): it will never be confirmed.
    Discarded,
}

impl Removed {
    pub fn code(self) -> i64 {
        match self {
            Removed::Retention => 1,
            Removed::Deleted => 2,
            Removed::Discarded => 3,
        }
    }

    pub fn of(code: i64) -> Option<Removed> {
        match code {
            0 => None,
            2 => Some(Removed::Deleted),
            3 => Some(Removed::Discarded),
            _ => Some(Removed::Retention),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Removed::Retention => "retention",
            Removed::Deleted => "deleted",
            Removed::Discarded => "discarded",
        }
    }
}

pub fn mark_pruned(conn: &Connection, id: i64, how: Removed) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE task SET pruned = ?2 WHERE id = ?1",
        [id, how.code()],
    )?;
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
/// The day an export's register is taken as of (None: as it is when it runs).
pub fn as_of(conn: &Connection, id: i64) -> rusqlite::Result<Option<i64>> {
    conn.prepare_cached("SELECT as_of FROM task WHERE id = ?1")?
        .query_row([id], |r| r.get(0))
}

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

/// What a worker, and the lifecycle's checks, need to know about a task.
#[derive(Debug, Clone, Copy)]
pub struct TaskState {
    pub id: i64,
    pub entity_id: i64,
    pub creator_id: i64,
    /// Whose rights the task's rows run with: who last re-ran it, else its creator.
    pub runner_id: i64,
    pub number_failed: i64,
    pub next_seq: i64,
    pub end_seq: i64,
    pub undo_of: Option<i64>,
    /// An approval's or request undo's request.
    pub request_id: Option<i64>,
    /// A count sheet's stocktake.
    pub stocktake_id: Option<i64>,
    pub status: Status,
}

impl TaskState {
    pub fn kind(&self) -> TaskKind {
        self.status.kind
    }

    pub fn running(&self) -> bool {
        self.status.finish == Finish::Running
    }

    /// A dry run not yet confirmed: its batches are rolled back.
    pub fn checks_only(&self) -> bool {
        self.status.dry_run && !self.status.confirmed
    }
}

pub fn task_state(conn: &Connection, id: i64) -> rusqlite::Result<Option<TaskState>> {
    state_of(conn, id, true)
}

/// The state of a task still being stored (invisible): a dry run checks its rows as they are
/// stored.
pub fn new_task_state(conn: &Connection, id: i64) -> rusqlite::Result<Option<TaskState>> {
    state_of(conn, id, false)
}

fn state_of(conn: &Connection, id: i64, stored: bool) -> rusqlite::Result<Option<TaskState>> {
    conn.prepare_cached(&format!(
        "SELECT t.id, t.entity_id, t.creator_id, coalesce(t.runner_id, t.creator_id),
             t.number_failed, t.next_seq, t.end_seq, t.undo_of, t.request_id, t.stocktake_id,
             {STATUS_COLUMNS}
         FROM task t WHERE t.id = ?1 AND t.stored = ?2"
    ))?
    .query_row(params![id, stored], |r| {
        Ok(TaskState {
            id: r.get(0)?,
            entity_id: r.get(1)?,
            creator_id: r.get(2)?,
            runner_id: r.get(3)?,
            number_failed: r.get(4)?,
            next_seq: r.get(5)?,
            end_seq: r.get(6)?,
            undo_of: r.get(7)?,
            request_id: r.get(8)?,
            stocktake_id: r.get(9)?,
            status: status_at(r, 10)?,
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
