//! Tasks, their pending row chunks, failed rows and export snapshots.

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

/// How a new task was asked for, beyond its rows.
#[derive(Debug, Clone, Default)]
pub struct NewTask {
    /// The uploaded file's name, for a task made from a file.
    pub file_name: Option<String>,
    /// Check every row, write nothing (an import's `?dry_run=true`).
    pub dry_run: bool,
    /// The SHA-256 (hex) of the uploaded file, when it had a name.
    pub file_hash: Option<String>,
}

/// Writes a task's rows in chunks as they are read, each chunk in a write transaction of its
/// own: a big upload is never held twice in memory, and never holds the write lock for more
/// than one chunk (other writers take their turn in between). A new task stays invisible
/// (`stored = 0`: no list, no worker) until `finish_new`; `abandon` takes back what was
/// stored, and a start deletes what a stopped process left half-stored.
pub struct TaskWriter<'c> {
    conn: &'c mut Connection,
    pub task_id: i64,
    chunk_rows: usize,
    rows: String,
    lines: Vec<i64>,
    in_chunk: usize,
    /// The seq of the first row this writer wrote.
    start_seq: i64,
    first_seq: i64,
    next_seq: i64,
}

impl<'c> TaskWriter<'c> {
    /// Stores a new task, not yet visible, for its rows to be pushed.
    pub fn create(
        conn: &'c mut Connection,
        (entity_id, creator_id): (i64, i64),
        kind: TaskKind,
        new: &NewTask,
        chunk_rows: usize,
    ) -> rusqlite::Result<TaskWriter<'c>> {
        let now = super::now_text();
        let tx = super::write_tx(conn)?;
        tx.execute(
            "INSERT INTO task (entity_id, creator_id, create_time, port_type, number_need,
                 end_seq, stored, file_name, dry_run, file_hash)
             VALUES (?1, ?2, ?3, ?4, 0, 0, 0, ?5, ?6, ?7)",
            params![
                entity_id,
                creator_id,
                now,
                kind,
                new.file_name,
                new.dry_run,
                new.file_hash
            ],
        )?;
        let task_id = tx.last_insert_rowid();
        tx.commit()?;
        Ok(Self::append(conn, task_id, 0, chunk_rows))
    }

    /// A writer that appends rows to an existing task from `first_seq` on (a re-run).
    pub fn append(
        conn: &'c mut Connection,
        task_id: i64,
        first_seq: i64,
        chunk_rows: usize,
    ) -> TaskWriter<'c> {
        TaskWriter {
            conn,
            task_id,
            chunk_rows: chunk_rows.max(1),
            rows: String::from("["),
            lines: Vec::new(),
            in_chunk: 0,
            start_seq: first_seq,
            first_seq,
            next_seq: first_seq,
        }
    }

    /// Adds one row: its JSON text exactly as submitted, and the file line it came from.
    pub fn push(&mut self, raw: &str, line: Option<i64>) -> rusqlite::Result<()> {
        if self.in_chunk > 0 {
            self.rows.push(',');
        }
        self.rows.push_str(raw);
        if let Some(l) = line {
            self.lines.push(l);
        }
        self.in_chunk += 1;
        self.next_seq += 1;
        if self.in_chunk >= self.chunk_rows {
            self.flush()?;
        }
        Ok(())
    }

    /// Writes the chunk gathered so far, in a transaction of its own.
    fn flush(&mut self) -> rusqlite::Result<()> {
        if self.in_chunk == 0 {
            return Ok(());
        }
        self.rows.push(']');
        let lines = (self.lines.len() == self.in_chunk)
            .then(|| serde_json::to_string(&self.lines).unwrap_or_default());
        let tx = super::write_tx(self.conn)?;
        tx.prepare_cached(
            "INSERT INTO task_chunk (task_id, first_seq, row_count, rows, lines)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute(params![
            self.task_id,
            self.first_seq,
            self.in_chunk as i64,
            self.rows,
            lines
        ])?;
        tx.commit()?;
        self.rows.clear();
        self.rows.push('[');
        self.lines.clear();
        self.in_chunk = 0;
        self.first_seq = self.next_seq;
        Ok(())
    }

    /// Writes the last chunk; returns the number of rows written and the connection, for the
    /// transaction that makes them count (a re-run's).
    pub fn finish(&mut self) -> rusqlite::Result<(i64, &mut Connection)> {
        self.flush()?;
        Ok((self.next_seq - self.start_seq, self.conn))
    }

    /// Finishes a new task: sets its row count and makes it visible (a task of no rows is done
    /// at once). Returns the number of rows.
    pub fn finish_new(&mut self) -> rusqlite::Result<i64> {
        let task_id = self.task_id;
        let (rows, conn) = self.finish()?;
        let tx = super::write_tx(conn)?;
        tx.execute(
            "UPDATE task SET number_need = ?2, end_seq = ?2, stored = 1,
                 finish = CASE WHEN ?2 = 0 THEN 1 ELSE 0 END,
                 finish_time = CASE WHEN ?2 = 0 THEN create_time END
             WHERE id = ?1",
            params![task_id, rows],
        )?;
        tx.commit()?;
        Ok(rows)
    }

    /// Takes back the chunks this writer stored (and a new task itself), after the submission
    /// turned out bad half-way: nothing of it stays. A failure here (a full disk) is logged; a
    /// start removes what is left.
    pub fn abandon(&mut self, new_task: bool) {
        let (task_id, from) = (self.task_id, self.start_seq);
        let taken_back = super::write_tx(self.conn).and_then(|tx| {
            tx.execute(
                "DELETE FROM task_chunk WHERE task_id = ?1 AND first_seq >= ?2",
                params![task_id, from],
            )?;
            if new_task {
                tx.execute("DELETE FROM task WHERE id = ?1", [task_id])?;
            }
            tx.commit()
        });
        if let Err(e) = taken_back {
            log::error!("task {task_id}: cannot take back a half-stored submission: {e}");
        }
    }
}

/// Deletes what a stopped process left half-stored: new tasks whose submission never finished
/// (their client never got an answer), and chunks a re-run stored past its task's end.
pub fn forget_unstored(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(
        "DELETE FROM task_chunk WHERE task_id IN (SELECT id FROM task WHERE stored = 0);
         DELETE FROM task WHERE stored = 0;
         DELETE FROM task_chunk
             WHERE first_seq >= (SELECT end_seq FROM task WHERE task.id = task_chunk.task_id);",
    )
}

/// Claims a finished task for a re-run: it shows as running (finish 0), so a second re-run is
/// refused while this one stores its rows; chunks an interrupted re-run left are removed.
pub fn claim_for_rerun(conn: &Connection, task_id: i64) -> rusqlite::Result<bool> {
    conn.execute(
        "DELETE FROM task_chunk WHERE task_id = ?1
             AND first_seq >= (SELECT end_seq FROM task WHERE id = ?1)",
        [task_id],
    )?;
    Ok(conn.execute(
        "UPDATE task SET finish = 0 WHERE id = ?1 AND finish != 0",
        [task_id],
    )? == 1)
}

/// Gives a re-run's claim back (the re-run was refused half-way): the task is finished as
/// before, its failed rows untouched.
pub fn release_rerun(conn: &Connection, task_id: i64) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE task SET finish = CASE WHEN number_failed > 0 THEN 2 ELSE 1 END
         WHERE id = ?1 AND next_seq >= end_seq",
        [task_id],
    )?;
    Ok(())
}

/// A pending chunk of a task's rows.
pub struct Chunk {
    pub first_seq: i64,
    pub row_count: i64,
    /// The rows as submitted: a JSON array text.
    pub rows: String,
    /// The file line of each row (a JSON array), for file uploads.
    pub lines: Option<String>,
}

/// The pending chunk holding `seq`.
pub fn chunk_at(conn: &Connection, task_id: i64, seq: i64) -> rusqlite::Result<Option<Chunk>> {
    conn.prepare_cached(
        "SELECT first_seq, row_count, rows, lines FROM task_chunk
         WHERE task_id = ?1 AND first_seq <= ?2 ORDER BY first_seq DESC LIMIT 1",
    )?
    .query_row(params![task_id, seq], |r| {
        Ok(Chunk {
            first_seq: r.get(0)?,
            row_count: r.get(1)?,
            rows: r.get(2)?,
            lines: r.get(3)?,
        })
    })
    .optional()
}

pub fn delete_chunk(conn: &Connection, task_id: i64, first_seq: i64) -> rusqlite::Result<()> {
    conn.prepare_cached("DELETE FROM task_chunk WHERE task_id = ?1 AND first_seq = ?2")?
        .execute(params![task_id, first_seq])?;
    Ok(())
}

pub fn delete_chunks(conn: &Connection, task_id: i64) -> rusqlite::Result<()> {
    conn.execute("DELETE FROM task_chunk WHERE task_id = ?1", [task_id])?;
    Ok(())
}

pub fn insert_failure(
    conn: &Connection,
    task_id: i64,
    seq: i64,
    line: Option<i64>,
    row: &str,
    message: &str,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO task_failure (task_id, seq, line, row, message) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![task_id, seq, line, row, message])?;
    Ok(())
}

/// Collects one batch's export snapshots and stores them as one row.
pub struct SnapshotWriter {
    task_id: i64,
    first_seq: i64,
    /// A JSON array being written (serde_json writes bytes).
    snapshots: Vec<u8>,
}

impl SnapshotWriter {
    pub fn new(task_id: i64, first_seq: i64) -> SnapshotWriter {
        SnapshotWriter {
            task_id,
            first_seq,
            snapshots: b"[".to_vec(),
        }
    }

    /// Adds a snapshot after those already pushed.
    pub fn push(&mut self, snapshot: &impl Serialize) -> serde_json::Result<()> {
        if self.snapshots.len() > 1 {
            self.snapshots.push(b',');
        }
        serde_json::to_writer(&mut self.snapshots, snapshot)
    }

    /// Stores the batch's snapshots, if it had any.
    pub fn finish(mut self, conn: &Connection) -> rusqlite::Result<()> {
        if self.snapshots.len() == 1 {
            return Ok(());
        }
        self.snapshots.push(b']');
        let text = std::str::from_utf8(&self.snapshots)
            .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
        conn.prepare_cached(
            "INSERT INTO export_chunk (task_id, first_seq, snapshots) VALUES (?1, ?2, ?3)",
        )?
        .execute(params![self.task_id, self.first_seq, text])?;
        Ok(())
    }
}

/// What one batch did with its rows. For an import, `succeeded` is created + updated +
/// unchanged.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub succeeded: i64,
    pub failed: i64,
    pub created: i64,
    pub updated: i64,
    pub unchanged: i64,
}

impl Counts {
    pub fn rows(&self) -> i64 {
        self.succeeded + self.failed
    }
}

/// Moves the checkpoint after a batch and adds its outcomes; the task is done (1 or 2) when
/// the checkpoint reaches the end.
pub fn advance(
    conn: &Connection,
    task_id: i64,
    next_seq: i64,
    counts: &Counts,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "UPDATE task SET next_seq = ?2,
             number_succeed = number_succeed + ?3,
             number_failed = number_failed + ?4,
             number_created = number_created + ?5,
             number_updated = number_updated + ?6,
             number_unchanged = number_unchanged + ?7,
             finish = CASE WHEN ?2 < end_seq THEN 0
                           WHEN number_failed + ?4 > 0 THEN 2 ELSE 1 END,
             start_time = coalesce(start_time, datetime('now', 'localtime')),
             finish_time = CASE WHEN ?2 < end_seq THEN NULL ELSE datetime('now', 'localtime') END
         WHERE id = ?1",
    )?
    .execute(params![
        task_id,
        next_seq,
        counts.succeeded,
        counts.failed,
        counts.created,
        counts.updated,
        counts.unchanged
    ])?;
    Ok(())
}

/// Ends a task whose remaining rows were just recorded as `failed` rows: finish 2, the
/// checkpoint at the end.
pub fn end_failed(conn: &Connection, task_id: i64, failed: i64) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE task SET next_seq = end_seq, number_failed = number_failed + ?2,
             number_need = max(number_need, number_succeed + number_failed + ?2), finish = 2,
             start_time = coalesce(start_time, datetime('now', 'localtime')),
             finish_time = datetime('now', 'localtime')
         WHERE id = ?1",
        params![task_id, failed],
    )?;
    Ok(())
}

/// The newest task of the entity made from a file of this name and content since `since` (a
/// local time text): (id, create_time).
pub fn same_upload_since(
    conn: &Connection,
    entity_id: i64,
    (file_name, file_hash): (&str, &str),
    since: &str,
) -> rusqlite::Result<Option<(i64, String)>> {
    conn.prepare_cached(
        "SELECT id, create_time FROM task
         WHERE entity_id = ?1 AND file_name = ?2 AND file_hash = ?3 AND create_time >= ?4
           AND stored = 1
         ORDER BY id DESC LIMIT 1",
    )?
    .query_row(params![entity_id, file_name, file_hash, since], |r| {
        Ok((r.get(0)?, r.get(1)?))
    })
    .optional()
}

/// Ends a dry run's checks: the stand-ins for the item assets it would have created go.
pub fn end_dry_run(conn: &Connection, task_id: i64) -> rusqlite::Result<()> {
    conn.prepare_cached("DELETE FROM task_dry_item WHERE task_id = ?1")?
        .execute([task_id])?;
    Ok(())
}

/// How many rows a task still holds stored (a dry run holds all of them until confirmed).
pub fn stored_rows(conn: &Connection, task_id: i64) -> rusqlite::Result<i64> {
    conn.query_row(
        "SELECT coalesce(sum(row_count), 0) FROM task_chunk WHERE task_id = ?1",
        [task_id],
        |r| r.get(0),
    )
}

/// Turns a finished dry run into a real run of the same stored rows, with the rights of
/// `runner_id`: counters, failed rows and times start again.
pub fn confirm(conn: &Connection, task_id: i64, runner_id: i64) -> rusqlite::Result<()> {
    conn.execute("DELETE FROM task_failure WHERE task_id = ?1", [task_id])?;
    end_dry_run(conn, task_id)?;
    conn.execute(
        "UPDATE task SET confirmed = 1, finish = 0, next_seq = 0, number_succeed = 0,
             number_failed = 0, number_created = 0, number_updated = 0, number_unchanged = 0,
             start_time = NULL, finish_time = NULL, runner_id = ?2
         WHERE id = ?1",
        params![task_id, runner_id],
    )?;
    Ok(())
}

/// Stores an undo task of `import_id` (its `size` asset changes to take back), already
/// visible, and marks the import undone by it; returns the undo task's id.
pub fn create_undo(
    conn: &Connection,
    (entity_id, creator_id): (i64, i64),
    import_id: i64,
    size: i64,
) -> rusqlite::Result<i64> {
    conn.execute(
        "INSERT INTO task (entity_id, creator_id, create_time, port_type, number_need, end_seq,
             undo_of, finish, finish_time)
         VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6, CASE WHEN ?5 = 0 THEN 1 ELSE 0 END,
             CASE WHEN ?5 = 0 THEN ?3 END)",
        params![
            entity_id,
            creator_id,
            super::now_text(),
            TaskKind::Undo,
            size,
            import_id
        ],
    )?;
    let undo_id = conn.last_insert_rowid();
    conn.execute(
        "UPDATE task SET undone_by = ?2 WHERE id = ?1",
        params![import_id, undo_id],
    )?;
    Ok(undo_id)
}

/// The file line of each failed row, in order (None where a row came from a JSON body): what a
/// re-run keeps for the rows that replace them.
pub fn failure_lines(conn: &Connection, task_id: i64) -> rusqlite::Result<Vec<Option<i64>>> {
    let mut stmt =
        conn.prepare_cached("SELECT line FROM task_failure WHERE task_id = ?1 ORDER BY seq")?;
    let lines = stmt.query_map([task_id], |r| r.get(0))?;
    lines.collect()
}

/// Re-queues a task's failed rows for a re-run: the rows are replaced by `rows` (written by
/// the caller with a TaskWriter from the returned seq), failures cleared, counters rewound.
pub fn clear_failures_for_rerun(
    conn: &Connection,
    task_id: i64,
    rerun_rows: i64,
) -> rusqlite::Result<()> {
    conn.execute("DELETE FROM task_failure WHERE task_id = ?1", [task_id])?;
    conn.execute(
        "UPDATE task SET number_failed = 0, next_seq = end_seq, end_seq = end_seq + ?2, finish = 0,
             finish_time = NULL, cancelled = 0
         WHERE id = ?1",
        params![task_id, rerun_rows],
    )?;
    Ok(())
}
