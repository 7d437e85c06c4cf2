//! The operations journal (操作日志, schema version 9): an entry is written inside the
//! transaction of the act it records, and read newest first (by id) through the table's
//! indexes. The kinds, and what an entry says, are the domain's (`crate::journal`).
//!
//! Totals are counted only up to a bound (`count`): an exact count of a company's ten million
//! entries reads every one of them (0.3 s), the page itself only its own rows. The time filters
//! become an id range (`first_id_at`), found by a binary search over the ids, which holds
//! because an entry's time never goes back past the one before it (`insert`).

use crate::db::Pool;
use rusqlite::types::Value as Sql;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension};
use std::collections::VecDeque;

/// How far back (seconds) the clock may have been set while an entry's time still follows the
/// last entry's: a correction of a clock that ran fast (NTP). One set back further is taken as
/// it is, and the time filters near that moment follow the ids, not the times.
const CLOCK_BACK_MAX: i64 = 3600;

/// An entry to write.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEntry {
    /// When the act happened (Unix seconds).
    pub at: i64,
    /// The company; None for the super admin's acts and logins naming no company.
    pub entity_id: Option<i64>,
    pub actor_id: Option<i64>,
    pub actor_name: String,
    /// The kind's code (`crate::journal::Kind`).
    pub kind: &'static str,
    pub task_id: Option<i64>,
    /// The client's address (logins and logouts).
    pub address: Option<String>,
    /// A JSON object: what the act did (never a password).
    pub detail: String,
}

/// An entry as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub id: i64,
    pub at: i64,
    pub actor_id: Option<i64>,
    pub actor_name: String,
    pub kind: String,
    pub task_id: Option<i64>,
    pub address: Option<String>,
    pub detail: Option<String>,
}

const COLUMNS: &str = "id, at, actor_id, actor_name, kind, task_id, address, detail";

fn entry(r: &rusqlite::Row) -> rusqlite::Result<Entry> {
    Ok(from_row!(r, Entry; id, at, actor_id, actor_name, kind, task_id, address, detail))
}

/// Writes an entry; returns its id. Its time is the last entry's when the clock reads up to
/// `CLOCK_BACK_MAX` earlier than that, so that times follow ids (see the module).
pub fn insert(conn: &Connection, e: &NewEntry) -> rusqlite::Result<i64> {
    let last: Option<i64> = conn
        .prepare_cached("SELECT at FROM journal ORDER BY id DESC LIMIT 1")?
        .query_row([], |r| r.get(0))
        .optional()?;
    let at = match last {
        Some(last) if last > e.at && last - e.at <= CLOCK_BACK_MAX => last,
        _ => e.at,
    };
    conn.prepare_cached(
        "INSERT INTO journal (at, entity_id, actor_id, actor_name, kind, task_id, address, detail)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        at,
        e.entity_id,
        e.actor_id,
        e.actor_name,
        e.kind,
        e.task_id,
        e.address,
        e.detail
    ])?;
    Ok(conn.last_insert_rowid())
}

/// Which entries a list shows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    /// A company's entries, or (None) those of no company.
    pub entity_id: Option<i64>,
    pub actor_id: Option<i64>,
    pub kind: Option<&'static str>,
    pub task_id: Option<i64>,
    /// Entries at or after this time (Unix seconds).
    pub since: Option<i64>,
    /// Entries before this time (Unix seconds).
    pub until: Option<i64>,
}

/// A filter as SQL: its conditions and their values. Which index serves it is decided here, not
/// left to the planner (which has no statistics): the task's when a task is named (a few
/// entries), else the actor's, else the kind's, else the company's; a term that must not pick
/// another index is written `+column`.
struct Query {
    conditions: String,
    values: Vec<Sql>,
}

impl Query {
    fn new(conn: &Connection, f: &Filter) -> rusqlite::Result<Query> {
        let mut q = Query {
            conditions: String::new(),
            values: Vec::new(),
        };
        let by_task = f.task_id.is_some();
        let by_actor = !by_task && f.actor_id.is_some();
        if let Some(task) = f.task_id {
            q.add("task_id = ?", Sql::Integer(task));
        }
        let entity = f.entity_id.map_or(Sql::Null, Sql::Integer);
        q.add(
            if by_task {
                "+entity_id IS ?"
            } else {
                "entity_id IS ?"
            },
            entity,
        );
        if let Some(actor) = f.actor_id {
            q.add(
                if by_task {
                    "+actor_id = ?"
                } else {
                    "actor_id = ?"
                },
                Sql::Integer(actor),
            );
        }
        if let Some(kind) = f.kind {
            let term = if by_task || by_actor {
                "+kind = ?"
            } else {
                "kind = ?"
            };
            q.add(term, Sql::Text(kind.to_owned()));
        }
        if let Some(since) = f.since {
            q.add("id >= ?", Sql::Integer(first_id_at(conn, since)?));
        }
        if let Some(until) = f.until {
            q.add("id < ?", Sql::Integer(first_id_at(conn, until)?));
        }
        Ok(q)
    }

    fn add(&mut self, term: &str, value: Sql) {
        if !self.conditions.is_empty() {
            self.conditions.push_str(" AND ");
        }
        self.conditions.push_str(term);
        self.values.push(value);
    }

    fn with(&self, more: impl IntoIterator<Item = i64>) -> Vec<Sql> {
        let mut values = self.values.clone();
        values.extend(more.into_iter().map(Sql::Integer));
        values
    }

    fn count_sql(&self) -> String {
        format!(
            "SELECT count(*) FROM (SELECT 1 FROM journal WHERE {} LIMIT ?)",
            self.conditions
        )
    }

    fn page_sql(&self) -> String {
        format!(
            "SELECT {COLUMNS} FROM journal WHERE {} ORDER BY id DESC LIMIT ? OFFSET ?",
            self.conditions
        )
    }

    fn chunk_sql(&self) -> String {
        format!(
            "SELECT {COLUMNS} FROM journal WHERE {} AND id < ? ORDER BY id DESC LIMIT ?",
            self.conditions
        )
    }
}

/// The id of the first entry at or after `at` (one past the last entry when there is none).
pub fn first_id_at(conn: &Connection, at: i64) -> rusqlite::Result<i64> {
    super::first_id_at(conn, super::TimeOrdered::Journal, at)
}

/// How many entries the filter finds, counted up to `bound`: (count, whether there are more).
pub fn count(conn: &Connection, f: &Filter, bound: i64) -> rusqlite::Result<(i64, bool)> {
    let q = Query::new(conn, f)?;
    let n: i64 = conn
        .prepare_cached(&q.count_sql())?
        .query_row(params_from_iter(q.with([bound.saturating_add(1)])), |r| {
            r.get(0)
        })?;
    Ok((n.min(bound), n > bound))
}

/// A page of the entries the filter finds, newest first.
pub fn page(
    conn: &Connection,
    f: &Filter,
    limit: i64,
    offset: i64,
) -> rusqlite::Result<Vec<Entry>> {
    let q = Query::new(conn, f)?;
    let mut stmt = conn.prepare_cached(&q.page_sql())?;
    let rows = stmt.query_map(params_from_iter(q.with([limit, offset])), entry)?;
    rows.collect()
}

/// The last settings recorded at a start (the detail of the newest entry of `kind` without a
/// company).
pub fn last_of_kind(conn: &Connection, kind: &str) -> rusqlite::Result<Option<Entry>> {
    conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM journal WHERE entity_id IS NULL AND kind = ?1
         ORDER BY id DESC LIMIT 1"
    ))?
    .query_row([kind], entry)
    .optional()
}

/// Entries read per chunk by `Entries`.
const CHUNK_ROWS: i64 = 2000;

/// Every entry a filter finds, newest first, up to `max`, read a chunk at a time, each chunk on
/// a connection taken for that read alone (like a task's results): a download whose client
/// reads slowly holds no connection and no read transaction.
pub struct Entries {
    pool: Pool,
    filter: Filter,
    /// The ids of the chunks read so far are above this one.
    before: i64,
    left: i64,
    chunk: VecDeque<Entry>,
    done: bool,
}

impl Entries {
    pub fn new(pool: Pool, filter: Filter, max: i64) -> Entries {
        Entries {
            pool,
            filter,
            before: i64::MAX,
            left: max,
            chunk: VecDeque::new(),
            done: false,
        }
    }

    fn read_chunk(&mut self) -> Result<(), String> {
        let conn = self.pool.get().map_err(|e| e.to_string())?;
        let read = || -> rusqlite::Result<Vec<Entry>> {
            let q = Query::new(&conn, &self.filter)?;
            let mut stmt = conn.prepare_cached(&q.chunk_sql())?;
            let limit = CHUNK_ROWS.min(self.left);
            let rows = stmt.query_map(params_from_iter(q.with([self.before, limit])), entry)?;
            rows.collect()
        };
        let rows = read().map_err(|e| e.to_string())?;
        if (rows.len() as i64) < CHUNK_ROWS.min(self.left) {
            self.done = true;
        }
        if let Some(last) = rows.last() {
            self.before = last.id;
        }
        self.chunk.extend(rows);
        Ok(())
    }
}

impl Iterator for Entries {
    type Item = Result<Entry, String>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.left <= 0 {
            return None;
        }
        if self.chunk.is_empty() && !self.done {
            if let Err(e) = self.read_chunk() {
                self.done = true;
                self.left = 0;
                return Some(Err(e));
            }
        }
        let next = self.chunk.pop_front()?;
        self.left -= 1;
        Some(Ok(next))
    }
}

#[cfg(test)]
mod tests;
