//! Requests with approval (领用, 退库, 维保, 转移, 调拨) and their lines, as stored. Every function
//! runs inside the caller's transaction; the rules are in `crate::requests`.

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

/// A request as stored, with the names a list shows.
#[derive(Debug, Clone, Serialize)]
pub struct RequestRow {
    pub id: i64,
    pub kind: i64,
    pub state: i64,
    pub initiator_id: i64,
    pub initiator: String,
    pub reason: String,
    pub target_user_id: Option<i64>,
    pub target_user: Option<String>,
    pub target_department_id: Option<i64>,
    pub target_department: Option<String>,
    pub created_at: i64,
    pub reviewer: Option<String>,
    pub reviewed_at: Option<i64>,
    pub review_reason: Option<String>,
    pub finished_at: Option<i64>,
    pub lines: i64,
    pub undone_at: Option<i64>,
    pub undoer: Option<String>,
    /// The newest task that executed its lines (a request of many), and that took them back.
    pub approval_task: Option<i64>,
    pub undo_task: Option<i64>,
}

/// One line as stored: its asset, the count asked, what the asset was when asked, and how the
/// line ended.
#[derive(Debug, Clone, Serialize)]
pub struct LineRow {
    pub seq: i64,
    pub asset_id: i64,
    pub count: i64,
    pub owner_id: i64,
    pub department_id: i64,
    pub asset_count: i64,
    pub state: i64,
    pub invalid: Option<String>,
    /// The asset split off for a line asking part of a quantity asset's count.
    pub split_id: Option<i64>,
    /// The revision the executed line left its asset at (a split's part), and a split's rest.
    pub revision: Option<i64>,
    pub rest_revision: Option<i64>,
}

impl LineRow {
    /// The asset the executed line moved: the part split off, or the asset itself.
    pub fn moved_asset(&self) -> i64 {
        self.split_id.unwrap_or(self.asset_id)
    }
}

/// What a new request is.
pub struct NewRequest<'a> {
    pub entity_id: i64,
    pub kind: i64,
    pub initiator_id: i64,
    pub reason: &'a str,
    pub target_user_id: Option<i64>,
    pub target_department_id: Option<i64>,
}

pub fn insert(conn: &Connection, new: &NewRequest, now: i64) -> rusqlite::Result<i64> {
    conn.prepare_cached(
        "INSERT INTO request (entity_id, kind, initiator_id, reason, target_user_id,
             target_department_id, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        new.entity_id,
        new.kind,
        new.initiator_id,
        new.reason,
        new.target_user_id,
        new.target_department_id,
        now
    ])?;
    Ok(conn.last_insert_rowid())
}

pub fn insert_line(conn: &Connection, request_id: i64, line: &LineRow) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO request_line (request_id, seq, asset_id, count, owner_id, department_id,
             asset_count)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        request_id,
        line.seq,
        line.asset_id,
        line.count,
        line.owner_id,
        line.department_id,
        line.asset_count
    ])?;
    Ok(())
}

/// The pending request (of `initiator`, if given) that already asks for asset `asset_id`.
pub fn pending_for_asset(
    conn: &Connection,
    asset_id: i64,
    initiator: Option<i64>,
) -> rusqlite::Result<Option<i64>> {
    conn.prepare_cached(
        "SELECT r.id FROM request_line l JOIN request r ON r.id = l.request_id
         WHERE l.asset_id = ?1 AND l.state = 0 AND (r.state = 0 OR r.state = 6)
           AND (?2 IS NULL OR r.initiator_id = ?2)
         ORDER BY r.id LIMIT 1",
    )?
    .query_row(params![asset_id, initiator], |r| r.get(0))
    .optional()
}

/// The other pending requests with a line on asset `asset_id` (not `except`).
pub fn other_pending_for_asset(
    conn: &Connection,
    asset_id: i64,
    except: i64,
) -> rusqlite::Result<Vec<i64>> {
    let mut stmt = conn.prepare_cached(
        "SELECT DISTINCT l.request_id FROM request_line l JOIN request r ON r.id = l.request_id
         WHERE l.asset_id = ?1 AND l.state = 0 AND r.state = 0 AND r.id != ?2",
    )?;
    let ids = stmt.query_map(params![asset_id, except], |r| r.get(0))?;
    ids.collect()
}

/// What other requests ask of the assets of request `id`'s lines from `first` to `last` (seq):
/// the assets another pending request also asks for (its line loses them when this one
/// executes), and those an approved request still executing has a pending line on (with its
/// id: that one was approved first). Read once per approval batch, so a line on an asset nobody
/// else asks for needs no lookup of its own.
pub struct Contested {
    pub asked: std::collections::HashSet<i64>,
    pub executing: std::collections::HashMap<i64, i64>,
}

pub fn contested(
    conn: &Connection,
    id: i64,
    (first, last): (i64, i64),
) -> rusqlite::Result<Contested> {
    let mut stmt = conn.prepare_cached(
        "SELECT DISTINCT o.asset_id, r.id, r.state FROM request_line m
         JOIN request_line o INDEXED BY request_line_pending
           ON o.asset_id = m.asset_id AND o.state = 0 AND o.request_id != m.request_id
         JOIN request r ON r.id = o.request_id AND (r.state = 0 OR r.state = 6)
         WHERE m.request_id = ?1 AND m.seq >= ?2 AND m.seq <= ?3",
    )?;
    let mut found = Contested {
        asked: Default::default(),
        executing: Default::default(),
    };
    let rows = stmt.query_map(params![id, first, last], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, i64>(2)?,
        ))
    })?;
    for row in rows {
        let (asset, request, state) = row?;
        if state == 6 {
            found.executing.insert(asset, request);
        } else {
            found.asked.insert(asset);
        }
    }
    Ok(found)
}

const REQUEST_COLUMNS: &str = "r.id, r.kind, r.state, r.initiator_id, iu.name, r.reason,
    r.target_user_id, tu.name, r.target_department_id, td.name, r.created_at, ru.name,
    r.reviewed_at, r.review_reason, r.finished_at,
    (SELECT count(*) FROM request_line l WHERE l.request_id = r.id), r.undone_at, uu.name,
    (SELECT max(t.id) FROM task t WHERE t.request_id = r.id AND t.port_type = 3),
    (SELECT max(t.id) FROM task t WHERE t.request_id = r.id AND t.port_type = 4)";

const REQUEST_FROM: &str = "FROM request r
    JOIN user iu ON iu.id = r.initiator_id
    LEFT JOIN user tu ON tu.id = r.target_user_id
    LEFT JOIN department td ON td.id = r.target_department_id
    LEFT JOIN user ru ON ru.id = r.reviewer_id
    LEFT JOIN user uu ON uu.id = r.undoer_id";

fn request_of(r: &rusqlite::Row) -> rusqlite::Result<RequestRow> {
    Ok(from_row!(
        r, RequestRow;
        id, kind, state, initiator_id, initiator, reason, target_user_id, target_user,
        target_department_id, target_department, created_at, reviewer, reviewed_at,
        review_reason, finished_at, lines, undone_at, undoer, approval_task, undo_task
    ))
}

/// Request `id` of the entity.
pub fn request(conn: &Connection, entity_id: i64, id: i64) -> rusqlite::Result<Option<RequestRow>> {
    conn.prepare_cached(&format!(
        "SELECT {REQUEST_COLUMNS} {REQUEST_FROM} WHERE r.id = ?1 AND r.entity_id = ?2"
    ))?
    .query_row(params![id, entity_id], request_of)
    .optional()
}

pub fn lines(conn: &Connection, request_id: i64) -> rusqlite::Result<Vec<LineRow>> {
    // LIMIT -1: no limit.
    lines_page(conn, request_id, (0, -1))
}

/// The departments a request's lines' assets were in when asked, each once.
pub fn line_departments(conn: &Connection, request_id: i64) -> rusqlite::Result<Vec<i64>> {
    let mut stmt = conn
        .prepare_cached("SELECT DISTINCT department_id FROM request_line WHERE request_id = ?1")?;
    let ids = stmt.query_map([request_id], |r| r.get(0))?;
    ids.collect()
}

/// A page of a request's lines, by seq: `limit` from `offset`.
pub fn lines_page(
    conn: &Connection,
    request_id: i64,
    (offset, limit): (i64, i64),
) -> rusqlite::Result<Vec<LineRow>> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, asset_id, count, owner_id, department_id, asset_count, state, invalid,
                split_id, revision, rest_revision
         FROM request_line WHERE request_id = ?1 ORDER BY seq LIMIT ?3 OFFSET ?2",
    )?;
    let rows = stmt.query_map(params![request_id, offset, limit], |r| {
        Ok(from_row!(
            r, LineRow;
            seq, asset_id, count, owner_id, department_id, asset_count, state, invalid, split_id,
            revision, rest_revision
        ))
    })?;
    rows.collect()
}

/// Up to `limit` of a request's lines in line state `state` after seq `after`, by seq: the next
/// batch an approval (pending lines) or an undo (executed ones) works through.
pub fn lines_after(
    conn: &Connection,
    request_id: i64,
    state: i64,
    (after, limit): (i64, i64),
) -> rusqlite::Result<Vec<LineRow>> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, asset_id, count, owner_id, department_id, asset_count, state, invalid,
                split_id, revision, rest_revision
         FROM request_line WHERE request_id = ?1 AND seq > ?3 AND state = ?2
         ORDER BY seq LIMIT ?4",
    )?;
    let rows = stmt.query_map(params![request_id, state, after, limit], |r| {
        Ok(from_row!(
            r, LineRow;
            seq, asset_id, count, owner_id, department_id, asset_count, state, invalid, split_id,
            revision, rest_revision
        ))
    })?;
    rows.collect()
}

/// Whether more than `batch` of a request's lines in line state `state` follow seq `after`: a
/// batch of `batch` from there would not be the last.
pub fn more_than_a_batch_after(
    conn: &Connection,
    request_id: i64,
    state: i64,
    (after, batch): (i64, i64),
) -> rusqlite::Result<bool> {
    conn.prepare_cached(
        "SELECT 1 FROM request_line WHERE request_id = ?1 AND seq > ?3 AND state = ?2
         ORDER BY seq LIMIT 1 OFFSET ?4",
    )?
    .exists(params![request_id, state, after, batch])
}

/// The last seq of a request's lines (0 without lines).
pub fn last_seq(conn: &Connection, request_id: i64) -> rusqlite::Result<i64> {
    conn.prepare_cached("SELECT coalesce(max(seq), 0) FROM request_line WHERE request_id = ?1")?
        .query_row([request_id], |r| r.get(0))
}

/// How many of a request's lines are in each line state (待处理, 已执行, 未执行, 已撤销).
pub fn line_counts(conn: &Connection, request_id: i64) -> rusqlite::Result<[i64; 4]> {
    let mut counts = [0; 4];
    let mut stmt = conn.prepare_cached(
        "SELECT state, count(*) FROM request_line WHERE request_id = ?1 GROUP BY state",
    )?;
    let rows = stmt.query_map([request_id], |r| Ok((r.get::<_, i64>(0)?, r.get(1)?)))?;
    for row in rows {
        let (state, n) = row?;
        if let Some(slot) = counts.get_mut(state as usize) {
            *slot = n;
        }
    }
    Ok(counts)
}

/// Which requests a list shows: of the entity, by state and kind, those the caller asked
/// (`initiator`), or those with a line in `departments` (None: all of the entity's).
pub struct RequestFilter {
    pub entity_id: i64,
    pub state: Option<i64>,
    pub kind: Option<i64>,
    pub initiator: Option<i64>,
    pub departments: Option<Vec<i64>>,
}

impl RequestFilter {
    fn clause(&self) -> (String, Vec<rusqlite::types::Value>) {
        use rusqlite::types::Value;
        let mut sql = String::from("r.entity_id = ?1");
        let mut values = vec![Value::Integer(self.entity_id)];
        let mut add = |text: &str, value: i64| {
            values.push(Value::Integer(value));
            sql.push_str(&format!(" AND {text} ?{}", values.len()));
        };
        if let Some(state) = self.state {
            add("r.state =", state);
        }
        if let Some(kind) = self.kind {
            add("r.kind =", kind);
        }
        if let Some(initiator) = self.initiator {
            add("r.initiator_id =", initiator);
        }
        if let Some(departments) = &self.departments {
            let list = departments
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(",");
            // A 调拨 into one of the departments concerns them too.
            sql.push_str(&format!(
                " AND (EXISTS (SELECT 1 FROM request_line l WHERE l.request_id = r.id
                        AND l.department_id IN ({list}))
                     OR r.target_department_id IN ({list}))"
            ));
        }
        (sql, values)
    }
}

/// One page of the requests a filter finds, newest first, and how many it finds.
pub fn list(
    conn: &Connection,
    filter: &RequestFilter,
    (offset, limit): (i64, i64),
) -> rusqlite::Result<(i64, Vec<RequestRow>)> {
    let (clause, values) = filter.clause();
    let total: i64 = conn.query_row(
        &format!("SELECT count(*) FROM request r WHERE {clause}"),
        rusqlite::params_from_iter(values.iter()),
        |r| r.get(0),
    )?;
    let mut stmt = conn.prepare(&format!(
        "SELECT {REQUEST_COLUMNS} {REQUEST_FROM} WHERE {clause} ORDER BY r.id DESC
         LIMIT {limit} OFFSET {offset}"
    ))?;
    let rows = stmt.query_map(rusqlite::params_from_iter(values.iter()), request_of)?;
    Ok((total, rows.collect::<rusqlite::Result<_>>()?))
}

/// Ends a pending request: its state, who reviewed it and why; its pending lines end unexecuted.
pub fn review(
    conn: &Connection,
    id: i64,
    state: i64,
    (reviewer_id, reason): (Option<i64>, Option<&str>),
    now: i64,
) -> rusqlite::Result<bool> {
    let changed = conn
        .prepare_cached(
            "UPDATE request SET state = ?2, reviewer_id = coalesce(?3, reviewer_id),
                 reviewed_at = ?4, review_reason = coalesce(?5, review_reason)
             WHERE id = ?1 AND state = 0",
        )?
        .execute(params![id, state, reviewer_id, now, reason])?;
    conn.prepare_cached("UPDATE request_line SET state = 2 WHERE request_id = ?1 AND state = 0")?
        .execute([id])?;
    Ok(changed == 1)
}

/// Approves a pending request: it is executing (state 6) from now, by `reviewer_id`; false if
/// it was no longer pending.
pub fn start_execution(
    conn: &Connection,
    id: i64,
    reviewer_id: i64,
    now: i64,
) -> rusqlite::Result<bool> {
    Ok(conn
        .prepare_cached(
            "UPDATE request SET state = 6, reviewer_id = ?2, reviewed_at = ?3
             WHERE id = ?1 AND state = 0",
        )?
        .execute(params![id, reviewer_id, now])?
        == 1)
}

/// Moves a request from state `from` to `to`; false if it was not in `from`.
pub fn settle(conn: &Connection, id: i64, (from, to): (i64, i64)) -> rusqlite::Result<bool> {
    Ok(conn
        .prepare_cached("UPDATE request SET state = ?3 WHERE id = ?1 AND state = ?2")?
        .execute(params![id, from, to])?
        == 1)
}

/// Ends one line: executed, or not with the reason.
pub fn end_line(
    conn: &Connection,
    request_id: i64,
    seq: i64,
    invalid: Option<&str>,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "UPDATE request_line SET state = 2, invalid = ?3 WHERE request_id = ?1 AND seq = ?2",
    )?
    .execute(params![request_id, seq, invalid])?;
    Ok(())
}

/// Ends a line executed: the part split off (if one was), the revision it left that asset at
/// and, for a split, the rest's.
pub fn executed_line(
    conn: &Connection,
    (request_id, seq): (i64, i64),
    split_id: Option<i64>,
    (revision, rest_revision): (i64, Option<i64>),
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "UPDATE request_line SET state = 1, invalid = NULL, split_id = ?3, revision = ?4,
             rest_revision = ?5
         WHERE request_id = ?1 AND seq = ?2",
    )?
    .execute(params![request_id, seq, split_id, revision, rest_revision])?;
    Ok(())
}

/// Ends an executed line's undo: taken back (state 3), or left as it is, saying why.
pub fn undone_line(
    conn: &Connection,
    (request_id, seq): (i64, i64),
    not_undone: Option<&str>,
) -> rusqlite::Result<()> {
    match not_undone {
        None => conn
            .prepare_cached("UPDATE request_line SET state = 3 WHERE request_id = ?1 AND seq = ?2")?
            .execute(params![request_id, seq])?,
        Some(why) => conn
            .prepare_cached(
                "UPDATE request_line SET invalid = ?3 WHERE request_id = ?1 AND seq = ?2",
            )?
            .execute(params![request_id, seq, why])?,
    };
    Ok(())
}

/// Marks an approved request taken back by `undoer_id`: state `to`, 已撤销 (5), or 撤销中 (7)
/// while an undo task works through its lines.
pub fn mark_undone(
    conn: &Connection,
    id: i64,
    (undoer_id, now): (i64, i64),
    to: i64,
) -> rusqlite::Result<bool> {
    Ok(conn
        .prepare_cached(
            "UPDATE request SET state = ?4, undone_at = ?3, undoer_id = ?2 WHERE id = ?1 AND state = 1",
        )?
        .execute(params![id, undoer_id, now, to])?
        == 1)
}

/// Marks a 维保 request finished.
pub fn finish(conn: &Connection, id: i64, now: i64) -> rusqlite::Result<bool> {
    Ok(conn
        .prepare_cached(
            "UPDATE request SET finished_at = ?2
             WHERE id = ?1 AND kind = 3 AND state = 1 AND finished_at IS NULL",
        )?
        .execute(params![id, now])?
        == 1)
}

/// Pending requests the caller may approve: with a line in `departments` (None: all the
/// entity's), or a 调拨 into one of them.
pub fn to_do(
    conn: &Connection,
    entity_id: i64,
    departments: Option<Vec<i64>>,
) -> rusqlite::Result<i64> {
    let filter = RequestFilter {
        entity_id,
        state: Some(0),
        kind: None,
        initiator: None,
        departments,
    };
    let (clause, values) = filter.clause();
    conn.query_row(
        &format!("SELECT count(*) FROM request r WHERE {clause}"),
        rusqlite::params_from_iter(values.iter()),
        |r| r.get(0),
    )
}

/// Ends the pending line of request `request_id` on asset `asset_id` unexecuted, with the
/// reason; returns how many of the request's lines are still pending.
pub fn invalidate_line(
    conn: &Connection,
    request_id: i64,
    asset_id: i64,
    why: &str,
) -> rusqlite::Result<i64> {
    conn.prepare_cached(
        "UPDATE request_line SET state = 2, invalid = ?3
         WHERE request_id = ?1 AND asset_id = ?2 AND state = 0",
    )?
    .execute(params![request_id, asset_id, why])?;
    conn.prepare_cached("SELECT count(*) FROM request_line WHERE request_id = ?1 AND state = 0")?
        .query_row([request_id], |r| r.get(0))
}
