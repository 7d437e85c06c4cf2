//! Changes to existing assets made by imports (update rows) and taken back by undo tasks, and
//! the records an undo works from: the id ranges each batch created and the values each updated
//! asset had before. Every function runs inside the caller's transaction.

use super::assets::{blocks, NewAsset};
use super::history::{self, Kind, Source, State};
use rusqlite::{params, Connection, OptionalExtension};

/// The columns `stored_of` reads, in its order.
macro_rules! stored_columns {
    () => {
        "a.entity_id, a.department_id, a.category_id, a.parent_id, a.owner_id, a.name,
         a.asset_class, a.initial_price_cents, a.description, a.position, a.count, a.create_day,
         a.deadline, a.status, a.expire, a.revision"
    };
}

/// An asset as stored, with the names an update row's blank cells fall back to.
#[derive(Debug, Clone)]
pub struct StoredAsset {
    pub id: i64,
    pub values: NewAsset,
    pub expire: bool,
    pub revision: i64,
    pub department_name: String,
    pub category_name: String,
    pub owner_name: String,
    /// The parent's name ('' without one).
    pub parent_name: String,
}

pub fn stored_asset(conn: &Connection, id: i64) -> rusqlite::Result<Option<StoredAsset>> {
    conn.prepare_cached(concat!(
        "SELECT ",
        stored_columns!(),
        ", d.name, c.name, u.name, coalesce(p.name, '')
         FROM asset a
         JOIN department d ON d.id = a.department_id
         JOIN category c ON c.id = a.category_id
         JOIN user u ON u.id = a.owner_id
         LEFT JOIN asset p ON p.id = a.parent_id
         WHERE a.id = ?1"
    ))?
    .query_row([id], |r| {
        let mut stored = stored_of(r, id)?;
        stored.department_name = r.get(16)?;
        stored.category_name = r.get(17)?;
        stored.owner_name = r.get(18)?;
        stored.parent_name = r.get(19)?;
        Ok(stored)
    })
    .optional()
}

/// An asset as stored, its names left blank: one row read, where an update import's check
/// fills them from the names it keeps for the task (`name_by_id`).
/// A statement's text made once (an update import reads an asset a row: no text built and
/// hashed each time).
pub fn stored_asset_unnamed(conn: &Connection, id: i64) -> rusqlite::Result<Option<StoredAsset>> {
    conn.prepare_cached(concat!(
        "SELECT ",
        stored_columns!(),
        " FROM asset a WHERE a.id = ?1"
    ))?
    .query_row([id], |r| stored_of(r, id))
    .optional()
}

/// The assets with ids `lo..=hi`, their names left blank (`stored_asset_unnamed`), in id
/// order: a dry run's chunk of update rows reads its assets in one range instead of one
/// statement a row.
pub fn stored_assets_between(
    conn: &Connection,
    lo: i64,
    hi: i64,
) -> rusqlite::Result<Vec<StoredAsset>> {
    let mut stmt = conn.prepare_cached(concat!(
        "SELECT ",
        stored_columns!(),
        ", a.id FROM asset a WHERE a.id BETWEEN ?1 AND ?2 ORDER BY a.id"
    ))?;
    let rows = stmt.query_map([lo, hi], |r| stored_of(r, r.get(16)?))?;
    rows.collect()
}

fn stored_of(r: &rusqlite::Row, id: i64) -> rusqlite::Result<StoredAsset> {
    Ok(StoredAsset {
        id,
        values: from_row!(
            r, NewAsset;
            entity_id, department_id, category_id, parent_id, owner_id, name,
            asset_class, initial_price_cents, description, position, count, create_day,
            deadline, status
        ),
        expire: r.get::<_, i64>(14)? != 0,
        revision: r.get(15)?,
        department_name: String::new(),
        category_name: String::new(),
        owner_name: String::new(),
        parent_name: String::new(),
    })
}

/// What `name_by_id` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Named {
    Department,
    Category,
    User,
    Asset,
}

/// The name of a department, category, user or asset by id ('' for none).
pub fn name_by_id(conn: &Connection, what: Named, id: i64) -> rusqlite::Result<String> {
    let sql = match what {
        Named::Department => "SELECT name FROM department WHERE id = ?1",
        Named::Category => "SELECT name FROM category WHERE id = ?1",
        Named::User => "SELECT name FROM user WHERE id = ?1",
        Named::Asset => "SELECT name FROM asset WHERE id = ?1",
    };
    let name = conn
        .prepare_cached(sql)?
        .query_row([id], |r| r.get(0))
        .optional()?;
    Ok(name.unwrap_or_default())
}

/// Moves asset `id`'s share of the kept counts from `from` to `to` (department, category, and
/// their count in its block of ids).
fn move_counts(
    conn: &Connection,
    id: i64,
    from: Option<&NewAsset>,
    to: Option<&NewAsset>,
) -> rusqlite::Result<()> {
    let mut moves = CountMoves::default();
    moves.add(id, from, to);
    moves.flush(conn)
}

/// Moves of the kept counts gathered over many rewrites in one transaction (a request's
/// thousands of lines moving assets to one department), written at once by `flush` before the
/// transaction commits: a few statements instead of six per asset.
#[derive(Debug, Default)]
pub struct CountMoves {
    departments: std::collections::HashMap<i64, i64>,
    categories: std::collections::HashMap<i64, i64>,
    blocks: blocks::BlockTally,
}

impl CountMoves {
    fn add(&mut self, id: i64, from: Option<&NewAsset>, to: Option<&NewAsset>) {
        let same_department =
            matches!((from, to), (Some(f), Some(t)) if f.department_id == t.department_id);
        let same_category =
            matches!((from, to), (Some(f), Some(t)) if f.category_id == t.category_id);
        for (asset, step) in [(from, -1), (to, 1)] {
            let Some(a) = asset else { continue };
            if !same_department {
                *self.departments.entry(a.department_id).or_default() += step;
            }
            if !same_category {
                *self.categories.entry(a.category_id).or_default() += step;
            }
            if !(same_department && same_category) {
                self.blocks
                    .count((a.department_id, a.category_id), id, step);
            }
        }
    }

    /// Writes the moves gathered so far.
    pub fn flush(&mut self, conn: &Connection) -> rusqlite::Result<()> {
        let mut department = conn
            .prepare_cached("UPDATE department SET asset_count = asset_count + ?2 WHERE id = ?1")?;
        let mut category = conn
            .prepare_cached("UPDATE category SET asset_count = asset_count + ?2 WHERE id = ?1")?;
        for (id, n) in self.departments.drain().filter(|(_, n)| *n != 0) {
            department.execute(params![id, n])?;
        }
        for (id, n) in self.categories.drain().filter(|(_, n)| *n != 0) {
            category.execute(params![id, n])?;
        }
        self.blocks.finish(conn)
    }
}

impl StoredAsset {
    /// Its values with its retirement, as the history records them.
    pub fn state(&self) -> State {
        State {
            values: self.values.clone(),
            expire: self.expire,
        }
    }
}

/// Gives asset `id` (now holding `from`) the values `to`, moving the kept counts with it, sets
/// its revision (`None`: the next one), and records the change in the history as `kind` made
/// by `source`. Returns the revision it now has and the history entry (None if no value
/// changed).
pub fn rewrite_asset(
    conn: &Connection,
    id: i64,
    from: &NewAsset,
    to: (&NewAsset, Option<i64>),
    change: (&Source, Kind),
) -> rusqlite::Result<(i64, Option<i64>)> {
    let mut moves = CountMoves::default();
    let done = rewrite_asset_moving(conn, id, from, to, change, &mut moves)?;
    moves.flush(conn)?;
    Ok(done)
}

/// `rewrite_asset` gathering its count moves into `moves`, which the caller flushes before its
/// transaction commits.
pub fn rewrite_asset_moving(
    conn: &Connection,
    id: i64,
    from: &NewAsset,
    (to, revision): (&NewAsset, Option<i64>),
    (source, kind): (&Source, Kind),
    moves: &mut CountMoves,
) -> rusqlite::Result<(i64, Option<i64>)> {
    use rusqlite::types::ToSql;
    // Only the columns that change are set: SQLite rewrites every index (and fires the text
    // index's trigger) on a column named in SET, whether or not its value changes.
    macro_rules! column {
        ($field:ident) => {
            (
                stringify!($field),
                from.$field != to.$field,
                &to.$field as &dyn ToSql,
            )
        };
    }
    let columns = [
        column!(department_id),
        column!(category_id),
        column!(parent_id),
        column!(owner_id),
        column!(name),
        column!(initial_price_cents),
        column!(description),
        column!(position),
        column!(count),
        column!(create_day),
        column!(deadline),
        column!(status),
    ];
    let mut sql = String::from("UPDATE asset SET revision = coalesce(?1, revision + 1)");
    let mut values: Vec<&dyn ToSql> = vec![&revision, &id];
    for (column, changed, value) in columns {
        if changed {
            values.push(value);
            sql.push_str(&format!(", {column} = ?{}", values.len()));
        }
    }
    sql.push_str(" WHERE id = ?2 RETURNING revision");
    // The asset first: if its row refuses the values, nothing else was written.
    let revision = conn
        .prepare_cached(&sql)?
        .query_row(values.as_slice(), |r| r.get(0))?;
    moves.add(id, Some(from), Some(to));
    // Retirement is not rewritten here: both sides keep the asset's.
    let changes = history::diff_values(from, to);
    let entry = match changes.is_empty() {
        true => None,
        false => Some(history::record(conn, source, kind, id, &changes)?),
    };
    Ok((revision, entry))
}

/// Deletes an asset an undone task created, with its share of the kept counts, raises the id
/// floor past it (its id is never given out again), and records the deletion (with every value
/// it had) in the history, made by `source`.
pub fn delete_asset(
    conn: &Connection,
    asset: &StoredAsset,
    source: &Source,
) -> rusqlite::Result<()> {
    delete_asset_as(conn, asset, (source, Kind::UndoDeleted))
}

/// `delete_asset` with the kind of its history entry (one that `deletes`).
pub fn delete_asset_as(
    conn: &Connection,
    asset: &StoredAsset,
    (source, kind): (&Source, Kind),
) -> rusqlite::Result<()> {
    let (id, values) = (asset.id, &asset.values);
    let changes = history::deleted(&asset.values, asset.expire);
    history::record(conn, source, kind, id, &changes)?;
    move_counts(conn, id, Some(values), None)?;
    conn.prepare_cached("DELETE FROM asset WHERE id = ?1")?
        .execute([id])?;
    conn.prepare_cached("UPDATE asset_id_floor SET highest = max(highest, ?1)")?
        .execute([id])?;
    Ok(())
}

/// Whether the asset has any child.
pub fn has_children(conn: &Connection, id: i64) -> rusqlite::Result<bool> {
    conn.prepare_cached("SELECT 1 FROM asset WHERE parent_id = ?1 LIMIT 1")?
        .exists([id])
}

/// Whether the asset got a child after `id_mark` (the highest asset id when the task changed
/// it) that the task `task_id` did not create itself.
pub fn child_added_since(
    conn: &Connection,
    id: i64,
    id_mark: i64,
    task_id: i64,
) -> rusqlite::Result<bool> {
    conn.prepare_cached(
        "SELECT 1 FROM asset c WHERE c.parent_id = ?1 AND c.id > ?2
           AND NOT EXISTS (SELECT 1 FROM task_created r
                           WHERE r.task_id = ?3 AND c.id BETWEEN r.first_id AND r.last_id)
         LIMIT 1",
    )?
    .exists(params![id, id_mark, task_id])
}

/// Records that a batch of `task_id` created the assets `first..=last`.
pub fn record_created(
    conn: &Connection,
    task_id: i64,
    (first, last): (i64, i64),
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO task_created (task_id, first_id, last_id) VALUES (?1, ?2, ?3)",
    )?
    .execute(params![task_id, first, last])?;
    Ok(())
}

/// Records that `task_id` updated an asset: its history entry (None: no value changed) and
/// revision before the change (kept from the task's first update of it that changed a value), the revision it left and the highest asset id
/// then (kept from the first).
pub fn record_change(
    conn: &Connection,
    task_id: i64,
    before: &StoredAsset,
    (revision, entry): (i64, Option<i64>),
    id_mark: i64,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO task_change (task_id, asset_id, history_id, before_revision, revision,
             id_mark)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (task_id, asset_id) DO UPDATE SET revision = excluded.revision,
             history_id = coalesce(history_id, excluded.history_id)",
    )?
    .execute(params![
        task_id,
        before.id,
        entry,
        before.revision,
        revision,
        id_mark
    ])?;
    Ok(())
}

/// How many asset changes a task's undo has to take back: updated assets plus created ones.
pub fn undo_size(conn: &Connection, task_id: i64) -> rusqlite::Result<(i64, i64)> {
    let updated = conn.query_row(
        "SELECT count(*) FROM task_change WHERE task_id = ?1",
        [task_id],
        |r| r.get(0),
    )?;
    let created = conn.query_row(
        "SELECT coalesce(sum(last_id - first_id + 1), 0) FROM task_created WHERE task_id = ?1",
        [task_id],
        |r| r.get(0),
    )?;
    Ok((updated, created))
}

/// An updated asset, as its undo record holds it.
pub struct Change {
    pub asset_id: i64,
    /// The values before, as records written before the history (schema 9) kept them.
    pub before: Option<String>,
    /// The history entry of the task's first change of the asset.
    pub history_id: Option<i64>,
    pub before_revision: i64,
    pub revision: i64,
    pub id_mark: i64,
}

/// Up to `limit` of a task's remaining update records, highest asset id first.
pub fn changes(conn: &Connection, task_id: i64, limit: i64) -> rusqlite::Result<Vec<Change>> {
    let mut stmt = conn.prepare_cached(
        "SELECT asset_id, before, history_id, before_revision, revision, id_mark
         FROM task_change WHERE task_id = ?1 ORDER BY asset_id DESC LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![task_id, limit], |r| {
        Ok(from_row!(r, Change; asset_id, before, history_id, before_revision, revision, id_mark))
    })?;
    rows.collect()
}

pub fn forget_change(conn: &Connection, task_id: i64, asset_id: i64) -> rusqlite::Result<()> {
    conn.prepare_cached("DELETE FROM task_change WHERE task_id = ?1 AND asset_id = ?2")?
        .execute(params![task_id, asset_id])?;
    Ok(())
}

/// The task's highest remaining range of created ids.
pub fn last_created(conn: &Connection, task_id: i64) -> rusqlite::Result<Option<(i64, i64)>> {
    conn.prepare_cached(
        "SELECT first_id, last_id FROM task_created WHERE task_id = ?1
         ORDER BY first_id DESC LIMIT 1",
    )?
    .query_row([task_id], |r| Ok((r.get(0)?, r.get(1)?)))
    .optional()
}

/// Shrinks the range starting at `first` to end at `last` (deleted when empty).
pub fn shrink_created(
    conn: &Connection,
    task_id: i64,
    first: i64,
    last: i64,
) -> rusqlite::Result<()> {
    if last < first {
        conn.prepare_cached("DELETE FROM task_created WHERE task_id = ?1 AND first_id = ?2")?
            .execute(params![task_id, first])?;
    } else {
        conn.prepare_cached(
            "UPDATE task_created SET last_id = ?3 WHERE task_id = ?1 AND first_id = ?2",
        )?
        .execute(params![task_id, first, last])?;
    }
    Ok(())
}

/// Records an item asset a dry run would have created, for later batches' parent names.
pub fn record_dry_item(
    conn: &Connection,
    task_id: i64,
    department_id: i64,
    name: &str,
    seq: i64,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT OR IGNORE INTO task_dry_item (task_id, department_id, name, seq)
         VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![task_id, department_id, name, seq])?;
    Ok(())
}

/// The seqs of the rows of a dry run that would have created an item asset of this name in the
/// department (at most 2: enough to tell unique from ambiguous).
pub fn dry_items_named(
    conn: &Connection,
    task_id: i64,
    department_id: i64,
    name: &str,
) -> rusqlite::Result<Vec<i64>> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq FROM task_dry_item WHERE task_id = ?1 AND department_id = ?2 AND name = ?3
         LIMIT 2",
    )?;
    let seqs = stmt.query_map(params![task_id, department_id, name], |r| r.get(0))?;
    seqs.collect()
}

/// Appends entries to a dry run's preview, keeping at most `max` in all.
pub fn add_preview(
    conn: &Connection,
    task_id: i64,
    entries: &[serde_json::Value],
    max: usize,
) -> rusqlite::Result<()> {
    if entries.is_empty() {
        return Ok(());
    }
    let current: Option<String> =
        conn.query_row("SELECT preview FROM task WHERE id = ?1", [task_id], |r| {
            r.get(0)
        })?;
    let mut preview: Vec<serde_json::Value> = current
        .and_then(|p| serde_json::from_str(&p).ok())
        .unwrap_or_default();
    if preview.len() >= max {
        return Ok(());
    }
    preview.extend(entries.iter().take(max - preview.len()).cloned());
    let text = serde_json::Value::from(preview).to_string();
    conn.execute(
        "UPDATE task SET preview = ?2 WHERE id = ?1",
        params![task_id, text],
    )?;
    Ok(())
}

pub fn preview(conn: &Connection, task_id: i64) -> rusqlite::Result<Option<String>> {
    conn.query_row("SELECT preview FROM task WHERE id = ?1", [task_id], |r| {
        r.get(0)
    })
}
