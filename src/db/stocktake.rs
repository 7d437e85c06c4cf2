//! Stocktakes (盘点), their expected lines and their extras (盘盈), as stored. Every function runs
//! inside the caller's transaction; the rules are in `crate::stocktake`.

use rusqlite::{params, Connection, OptionalExtension};

/// A stocktake as stored, with its creator's name.
#[derive(Debug, Clone)]
pub struct StocktakeRow {
    pub id: i64,
    pub name: String,
    pub filter: String,
    pub department_id: Option<i64>,
    pub department: Option<String>,
    pub creator: String,
    pub state: i64,
    pub created_at: i64,
    pub ended_at: Option<i64>,
    pub ender: Option<String>,
    /// The newest import that adjusts the register from it, and whether one did so (ran for
    /// real or was confirmed, and is not undone).
    pub adjust_task: Option<i64>,
    pub adjusted: bool,
}

/// An adjustment of stocktake `s` that stands: ran for real (or confirmed), not undone, and
/// running or having written something (a confirmed preview whose every row failed does not).
macro_rules! standing {
    () => {
        "t.stocktake_id = s.id AND t.port_type = 1 AND t.stored = 1
         AND (t.dry_run = 0 OR t.confirmed = 1) AND t.undone_by IS NULL
         AND (t.finish = 0 OR t.number_succeed > 0)"
    };
}

const COLUMNS: &str = concat!(
    "s.id, s.name, s.filter, s.department_id, d.name, cu.name, s.state,
    s.created_at, s.ended_at, eu.name,
    coalesce((SELECT max(t.id) FROM task t WHERE ",
    standing!(),
    "), (SELECT max(t.id) FROM task t WHERE t.stocktake_id = s.id AND t.port_type = 1
        AND t.stored = 1)),
    EXISTS (SELECT 1 FROM task t WHERE ",
    standing!(),
    ")"
);

/// The adjustment of stocktake `id` that stands, other than task `except`.
pub fn standing_adjustment(
    conn: &Connection,
    id: i64,
    except: i64,
) -> rusqlite::Result<Option<i64>> {
    conn.prepare_cached(concat!(
        "SELECT max(t.id) FROM task t JOIN stocktake s ON s.id = ?1 WHERE t.id != ?2 AND ",
        standing!()
    ))?
    .query_row(params![id, except], |r| r.get(0))
}

const FROM: &str = "FROM stocktake s
    JOIN user cu ON cu.id = s.creator_id
    LEFT JOIN department d ON d.id = s.department_id
    LEFT JOIN user eu ON eu.id = s.ender_id";

fn row_of(r: &rusqlite::Row) -> rusqlite::Result<StocktakeRow> {
    Ok(from_row!(
        r, StocktakeRow;
        id, name, filter, department_id, department, creator, state, created_at, ended_at, ender,
        adjust_task, adjusted
    ))
}

/// Stores a new stocktake; returns its id.
pub fn insert(
    conn: &Connection,
    (entity_id, creator_id): (i64, i64),
    (name, filter, department_id): (&str, &str, Option<i64>),
    (now, state): (i64, i64),
) -> rusqlite::Result<i64> {
    conn.execute(
        "INSERT INTO stocktake (entity_id, name, filter, department_id, creator_id, created_at,
             state)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            entity_id,
            name,
            filter,
            department_id,
            creator_id,
            now,
            state
        ],
    )?;
    Ok(conn.last_insert_rowid())
}

/// Freezes asset `asset_id` as it is now as one expected line of the stocktake; false if the
/// asset does not exist or is retired.
pub fn freeze_line(conn: &Connection, stocktake_id: i64, asset_id: i64) -> rusqlite::Result<bool> {
    Ok(conn
        .prepare_cached(
            "INSERT INTO stocktake_line (stocktake_id, asset_id, name, department_id, owner_id,
                 position, count, revision)
             SELECT ?1, id, name, department_id, owner_id, position, count, revision
             FROM asset WHERE id = ?2 AND expire = 0",
        )?
        .execute(params![stocktake_id, asset_id])?
        == 1)
}

pub fn stocktake(
    conn: &Connection,
    entity_id: i64,
    id: i64,
) -> rusqlite::Result<Option<StocktakeRow>> {
    conn.prepare_cached(&format!(
        "SELECT {COLUMNS} {FROM} WHERE s.id = ?1 AND s.entity_id = ?2"
    ))?
    .query_row(params![id, entity_id], row_of)
    .optional()
}

/// A page of the entity's stocktakes within `departments` (None: all), newest first, and how
/// many there are. A stocktake of the whole company (no department) is in no manager's list.
pub fn list(
    conn: &Connection,
    entity_id: i64,
    departments: Option<&[i64]>,
    (offset, limit): (i64, i64),
) -> rusqlite::Result<(i64, Vec<StocktakeRow>)> {
    let within = match departments {
        None => String::new(),
        Some(ids) => format!(
            " AND s.department_id IN ({})",
            ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
        ),
    };
    let total = conn.query_row(
        &format!("SELECT count(*) FROM stocktake s WHERE s.entity_id = ?1{within}"),
        [entity_id],
        |r| r.get(0),
    )?;
    let mut stmt = conn.prepare(&format!(
        "SELECT {COLUMNS} {FROM} WHERE s.entity_id = ?1{within}
         ORDER BY s.id DESC LIMIT ?2 OFFSET ?3"
    ))?;
    let rows = stmt.query_map(params![entity_id, limit, offset], row_of)?;
    Ok((total, rows.collect::<rusqlite::Result<_>>()?))
}

/// One expected line, as frozen and as found.
#[derive(Debug, Clone)]
pub struct LineRow {
    pub asset_id: i64,
    pub name: String,
    pub department_id: i64,
    pub owner_id: i64,
    pub position: String,
    pub count: i64,
    pub revision: i64,
    pub state: i64,
    pub found_position: Option<String>,
    pub found_count: Option<i64>,
    pub found_owner_id: Option<i64>,
    pub note: Option<String>,
    pub counted_by: Option<String>,
    pub counted_at: Option<i64>,
    /// The asset's revision now (None: it no longer exists).
    pub revision_now: Option<i64>,
    /// The asset's description now (a 盘亏 mark goes before it).
    pub description_now: Option<String>,
}

const LINE_SELECT: &str = "SELECT l.asset_id, l.name, l.department_id, l.owner_id, l.position,
    l.count, l.revision, l.state, l.found_position, l.found_count, l.found_owner_id, l.note,
    cu.name, l.counted_at, a.revision, a.description
    FROM stocktake_line l
    LEFT JOIN user cu ON cu.id = l.counted_by
    LEFT JOIN asset a ON a.id = l.asset_id";

fn line_of(r: &rusqlite::Row) -> rusqlite::Result<LineRow> {
    Ok(from_row!(
        r, LineRow;
        asset_id, name, department_id, owner_id, position, count, revision, state,
        found_position, found_count, found_owner_id, note, counted_by, counted_at, revision_now,
        description_now
    ))
}

pub fn line(
    conn: &Connection,
    stocktake_id: i64,
    asset_id: i64,
) -> rusqlite::Result<Option<LineRow>> {
    conn.prepare_cached(&format!(
        "{LINE_SELECT} WHERE l.stocktake_id = ?1 AND l.asset_id = ?2"
    ))?
    .query_row(params![stocktake_id, asset_id], line_of)
    .optional()
}

/// A page of the lines (in `state`, if given), by asset id.
pub fn lines(
    conn: &Connection,
    stocktake_id: i64,
    state: Option<i64>,
    (offset, limit): (i64, i64),
) -> rusqlite::Result<Vec<LineRow>> {
    let mut stmt = conn.prepare_cached(&format!(
        "{LINE_SELECT} WHERE l.stocktake_id = ?1 AND (?2 IS NULL OR l.state = ?2)
         ORDER BY l.asset_id LIMIT ?3 OFFSET ?4"
    ))?;
    let rows = stmt.query_map(params![stocktake_id, state, limit, offset], line_of)?;
    rows.collect()
}

/// How many lines are in each line state (未盘, 相符, 位置不符, 数量不符, 持有人不符, 盘亏).
pub fn line_counts(conn: &Connection, stocktake_id: i64) -> rusqlite::Result<[i64; 6]> {
    let mut counts = [0; 6];
    let mut stmt = conn.prepare_cached(
        "SELECT state, count(*) FROM stocktake_line WHERE stocktake_id = ?1 GROUP BY state",
    )?;
    let rows = stmt.query_map([stocktake_id], |r| Ok((r.get::<_, i64>(0)?, r.get(1)?)))?;
    for row in rows {
        let (state, n) = row?;
        if let Some(slot) = counts.get_mut(state as usize) {
            *slot = n;
        }
    }
    Ok(counts)
}

/// What a count found for one line.
pub struct Found<'a> {
    pub state: i64,
    pub position: &'a str,
    pub count: i64,
    pub owner_id: i64,
    pub note: Option<&'a str>,
}

/// Records a line counted by `user` at `now`; false if it had been counted already (a second
/// scan counts nothing).
pub fn count_line(
    conn: &Connection,
    (stocktake_id, asset_id): (i64, i64),
    found: &Found,
    (user, now): (i64, i64),
) -> rusqlite::Result<bool> {
    Ok(conn
        .prepare_cached(
            "UPDATE stocktake_line SET state = ?3, found_position = ?4, found_count = ?5,
                 found_owner_id = ?6, note = ?7, counted_by = ?8, counted_at = ?9
             WHERE stocktake_id = ?1 AND asset_id = ?2 AND state = 0",
        )?
        .execute(params![
            stocktake_id,
            asset_id,
            found.state,
            found.position,
            found.count,
            found.owner_id,
            found.note,
            user,
            now
        ])?
        == 1)
}

/// An extra (盘盈) as recorded.
#[derive(Debug, Clone)]
pub struct ExtraRow {
    pub code: String,
    pub position: Option<String>,
    pub count: Option<i64>,
    pub note: Option<String>,
    pub counted_by: String,
    pub counted_at: i64,
}

fn extra_of(r: &rusqlite::Row) -> rusqlite::Result<ExtraRow> {
    Ok(from_row!(r, ExtraRow; code, position, count, note, counted_by, counted_at))
}

/// Records a code found that was not expected; false if it had been recorded already.
pub fn add_extra(
    conn: &Connection,
    stocktake_id: i64,
    (code, position, count, note): (&str, Option<&str>, Option<i64>, Option<&str>),
    (user, now): (i64, i64),
) -> rusqlite::Result<bool> {
    Ok(conn
        .prepare_cached(
            "INSERT OR IGNORE INTO stocktake_extra
                 (stocktake_id, code, position, count, note, counted_by, counted_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?
        .execute(params![
            stocktake_id,
            code,
            position,
            count,
            note,
            user,
            now
        ])?
        == 1)
}

pub fn extra(
    conn: &Connection,
    stocktake_id: i64,
    code: &str,
) -> rusqlite::Result<Option<ExtraRow>> {
    conn.prepare_cached(
        "SELECT e.code, e.position, e.count, e.note, u.name, e.counted_at
         FROM stocktake_extra e JOIN user u ON u.id = e.counted_by
         WHERE e.stocktake_id = ?1 AND e.code = ?2",
    )?
    .query_row(params![stocktake_id, code], extra_of)
    .optional()
}

/// A page of the extras, by code, and how many there are.
pub fn extras(
    conn: &Connection,
    stocktake_id: i64,
    (offset, limit): (i64, i64),
) -> rusqlite::Result<(i64, Vec<ExtraRow>)> {
    let total = conn
        .prepare_cached("SELECT count(*) FROM stocktake_extra WHERE stocktake_id = ?1")?
        .query_row([stocktake_id], |r| r.get(0))?;
    let mut stmt = conn.prepare_cached(
        "SELECT e.code, e.position, e.count, e.note, u.name, e.counted_at
         FROM stocktake_extra e JOIN user u ON u.id = e.counted_by
         WHERE e.stocktake_id = ?1 ORDER BY e.code LIMIT ?2 OFFSET ?3",
    )?;
    let rows = stmt.query_map(params![stocktake_id, limit, offset], extra_of)?;
    Ok((total, rows.collect::<rusqlite::Result<_>>()?))
}

/// Ends a stocktake in progress: `to` 已完成 (its lines not counted become 盘亏) or 已作废
/// (also one 准备中); false if it was not in progress.
pub fn end(conn: &Connection, id: i64, to: i64, (user, now): (i64, i64)) -> rusqlite::Result<bool> {
    let changed = conn.execute(
        "UPDATE stocktake SET state = ?2, ended_at = ?4, ender_id = ?3
         WHERE id = ?1 AND (state = 0 OR (state = 4 AND ?2 = 3))",
        params![id, to, user, now],
    )? == 1;
    if changed && to == 1 {
        conn.execute(
            "UPDATE stocktake_line SET state = 5 WHERE stocktake_id = ?1 AND state = 0",
            [id],
        )?;
    }
    Ok(changed)
}

/// Whether `asset` is an asset of company `entity` (retired or not).
pub fn asset_of_entity(conn: &Connection, entity: i64, asset: i64) -> rusqlite::Result<bool> {
    conn.prepare_cached("SELECT 1 FROM asset WHERE id = ?1 AND entity_id = ?2")?
        .exists(params![asset, entity])
}

/// A stocktake 准备中 whose expected list is complete becomes 进行中; false if it was not
/// 准备中 (voided meanwhile).
pub fn ready(conn: &Connection, id: i64) -> rusqlite::Result<bool> {
    Ok(conn.execute(
        "UPDATE stocktake SET state = 0 WHERE id = ?1 AND state = 4",
        [id],
    )? == 1)
}
