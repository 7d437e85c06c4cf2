//! An import's failed rows as the page works on them at scale: a summary by reason, a page of
//! one reason, one row edited, a value replaced in every row, rows dropped.

use crate::paging::Page;
use rusqlite::{params, Connection, OptionalExtension};

/// A failed row's message without the `第N行：` a file row's message starts with.
const BASE: &str = "CASE WHEN message GLOB '第[0-9]*行：*'
     THEN substr(message, instr(message, '：') + 1) ELSE message END";

/// A task's failed rows (task id `?1`) with their `reason` and bad `value`: the first value a
/// message quotes (`资产数量“十”不是整数`) is taken out of it, so rows failing for one reason
/// group together whatever value they had (`资产数量不是整数`, value `十`); a message that
/// quotes nothing is its own reason, with no value. `base` is the message as it was (without
/// its line), which older clients filter by.
fn shaped() -> String {
    format!(
        "(SELECT seq, line, row, message, base,
             CASE WHEN e = 0 THEN base ELSE substr(base, 1, q - 1) || substr(base, q + e + 1) END
                 AS reason,
             CASE WHEN e = 0 THEN NULL ELSE substr(base, q + 1, e - 1) END AS value
         FROM (SELECT seq, line, row, message, base, q,
                      CASE WHEN q = 0 THEN 0 ELSE instr(substr(base, q + 1), '”') END AS e
               FROM (SELECT seq, line, row, message, base, instr(base, '“') AS q
                     FROM (SELECT seq, line, row, message, {BASE} AS base
                           FROM task_failure WHERE task_id = ?1))))"
    )
}

/// Which failed rows: those of a reason (as `summary` names it, or a whole message as before
/// the grouping), and of one bad value of it.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub reason: Option<String>,
    pub value: Option<String>,
}

/// The WHERE of a `Filter` bound as `?2` (reason) and `?3` (value).
const FILTERED: &str = "(?2 IS NULL OR reason = ?2 OR base = ?2) AND (?3 IS NULL OR value = ?3)";

/// How many failed rows each reason and bad value have, most first (a reason's values
/// together).
pub fn summary(
    conn: &Connection,
    task_id: i64,
) -> rusqlite::Result<Vec<(String, Option<String>, i64)>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT reason, value, count(*) AS n, sum(count(*)) OVER (PARTITION BY reason) AS total
         FROM {} GROUP BY reason, value ORDER BY total DESC, reason, n DESC, value",
        shaped()
    ))?;
    let rows = stmt.query_map([task_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    rows.collect()
}

/// How many failed rows the filter takes (all of them for an empty one).
pub fn count(conn: &Connection, task_id: i64, filter: &Filter) -> rusqlite::Result<i64> {
    conn.query_row(
        &format!("SELECT count(*) FROM {} WHERE {FILTERED}", shaped()),
        params![task_id, filter.reason, filter.value],
        |r| r.get(0),
    )
}

/// One failed row: its seq, file line, text and message.
pub type FailedRow = (i64, Option<i64>, String, String);

/// A page of the failed rows a filter takes, in seq order.
pub fn page(
    conn: &Connection,
    task_id: i64,
    filter: &Filter,
    page: Page,
) -> rusqlite::Result<Vec<FailedRow>> {
    let mut stmt = conn.prepare(&format!(
        // The page shows the line in a column of its own: the message comes without `第N行：`.
        "SELECT seq, line, row, CASE WHEN line IS NULL THEN message ELSE base END
         FROM {} WHERE {FILTERED}
         ORDER BY seq LIMIT ?4 OFFSET ?5",
        shaped()
    ))?;
    let args = params![
        task_id,
        filter.reason,
        filter.value,
        page.size,
        page.offset()
    ];
    let rows = stmt.query_map(args, |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
    rows.collect()
}

/// A changed failed row's message until the row runs again: one reason quoting no value, so
/// the summary moves the row out of its reason (and its bad value) at once.
pub const CHANGED: &str = "已修改，待重新执行";

/// Replaces one failed row's text (its message says it was changed until the row runs again);
/// false if the task has no failed row `seq`.
pub fn set_row(conn: &Connection, task_id: i64, seq: i64, row: &str) -> rusqlite::Result<bool> {
    Ok(conn.execute(
        "UPDATE task_failure SET row = ?3, message = ?4 WHERE task_id = ?1 AND seq = ?2",
        params![task_id, seq, row, CHANGED],
    )? == 1)
}

pub fn row_exists(conn: &Connection, task_id: i64, seq: i64) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT 1 FROM task_failure WHERE task_id = ?1 AND seq = ?2",
        params![task_id, seq],
        |_| Ok(()),
    )
    .optional()
    .map(|found| found.is_some())
}

/// The last seq of the next `batch` failed rows after seq `after` (all that are left when fewer);
/// None when no row is left. A batch is a range of seqs, so its statement walks the key.
pub fn batch_end(
    conn: &Connection,
    task_id: i64,
    after: i64,
    batch: usize,
) -> rusqlite::Result<Option<i64>> {
    conn.query_row(
        "SELECT max(seq) FROM (SELECT seq FROM task_failure WHERE task_id = ?1 AND seq > ?2
                               ORDER BY seq LIMIT ?3)",
        params![task_id, after, batch as i64],
        |r| r.get(0),
    )
}

/// Sets `field` to `to` in the failed rows with seq in `(after, last]` (each a JSON object)
/// whose `field` is the text `from` (or the number it spells); returns how many changed.
pub fn replace(
    conn: &Connection,
    task_id: i64,
    (after, last): (i64, i64),
    field: &str,
    (from, to): (&str, &str),
) -> rusqlite::Result<usize> {
    let path = format!("$.\"{field}\"");
    conn.prepare_cached(
        "UPDATE task_failure SET row = json_set(row, ?2, ?4), message = ?7
         WHERE task_id = ?1 AND seq > ?5 AND seq <= ?6
           AND json_valid(row) AND json_type(row) = 'object'
           AND CAST(json_extract(row, ?2) AS TEXT) = ?3",
    )?
    .execute(params![task_id, path, from, to, after, last, CHANGED])
}

/// Deletes these failed rows from the task (they will not be imported): the task's row count
/// and failed count go down with them in the same transaction, so they are right after every
/// batch. Returns how many went.
pub fn drop_rows(conn: &Connection, task_id: i64, seqs: &[i64]) -> rusqlite::Result<i64> {
    let mut delete =
        conn.prepare_cached("DELETE FROM task_failure WHERE task_id = ?1 AND seq = ?2")?;
    let mut dropped = 0;
    for seq in seqs {
        dropped += delete.execute(params![task_id, seq])? as i64;
    }
    lower_counts(conn, task_id, dropped)?;
    Ok(dropped)
}

/// The task's row count and failed count go down by `dropped` rows; a task left with no failed
/// row is a success.
fn lower_counts(conn: &Connection, task_id: i64, dropped: i64) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE task SET number_need = number_need - ?2, number_failed = number_failed - ?2,
             finish = CASE WHEN finish != 0 AND number_failed - ?2 = 0 THEN 1 ELSE finish END
         WHERE id = ?1",
        params![task_id, dropped],
    )?;
    Ok(())
}

/// Deletes every failed row a (non-empty) filter takes, in one statement, the task's counts
/// with them (see `drop_rows`). Returns how many went.
pub fn drop_filtered(conn: &Connection, task_id: i64, filter: &Filter) -> rusqlite::Result<i64> {
    let dropped = conn.execute(
        &format!(
            "DELETE FROM task_failure WHERE task_id = ?1
               AND seq IN (SELECT seq FROM {} WHERE {FILTERED})",
            shaped()
        ),
        params![task_id, filter.reason, filter.value],
    )? as i64;
    lower_counts(conn, task_id, dropped)?;
    Ok(dropped)
}

/// The failed rows a re-run runs as they stand: their seqs and file lines, and their texts as
/// one JSON array (what a re-run's body would send), in seq order.
pub struct Selected {
    pub seqs: Vec<i64>,
    pub lines: Vec<Option<i64>>,
    pub rows: String,
}

/// The failed rows a filter takes (every one with an empty filter), in seq order.
pub fn selected(conn: &Connection, task_id: i64, filter: &Filter) -> rusqlite::Result<Selected> {
    let mut stmt = conn.prepare(&format!(
        "SELECT seq, line, row FROM {} WHERE {FILTERED} ORDER BY seq",
        shaped()
    ))?;
    let mut out = Selected {
        seqs: Vec::new(),
        lines: Vec::new(),
        rows: String::from("["),
    };
    let mut rows = stmt.query(params![task_id, filter.reason, filter.value])?;
    while let Some(r) = rows.next()? {
        if !out.seqs.is_empty() {
            out.rows.push(',');
        }
        out.seqs.push(r.get(0)?);
        out.lines.push(r.get(1)?);
        out.rows.push_str(&r.get::<_, String>(2)?);
    }
    out.rows.push(']');
    Ok(out)
}
