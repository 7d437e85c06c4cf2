//! The asset history (资产履历) as stored: one entry per change of an asset, written by the
//! functions that change assets (`assets::insert_asset`, `AssetInserter::finish`,
//! `assets::retire_assets`, `changes::rewrite_asset`, `changes::delete_asset`), in the caller's
//! transaction. Each of them takes the change's `Source`, so no path can change an asset
//! without its entry, nor write an entry without its change.
//!
//! An entry's `changes` is a JSON object of asset columns, each `[old, new]` (null for a side
//! that did not exist). The assets one import batch created are one entry for their id range,
//! without values: the values they were created with are those their later entries take back
//! from the asset as it is (or as its deletion entry kept it). The same walk back gives an
//! asset as it stood on any past date.

use super::assets::NewAsset;
use crate::error::{Error, Result};
use rusqlite::{params, Connection, OptionalExtension};
use serde_json::{json, Map, Value};

/// What a change was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Created,
    Modified,
    Retired,
    Imported,
    ImportUpdated,
    UndoRestored,
    UndoDeleted,
    /// Moved to another department with its owner (a user edit that asked for it).
    MovedWithOwner,
    /// Handed to the department's asset manager by a user who left it (edited or deleted).
    HandedOver,
    /// Taken by its requester (领用), on an approved request.
    Taken,
    /// Returned to the department's asset manager (退库), on an approved request.
    Returned,
    /// Sent for repair (维保), on an approved request.
    RepairStarted,
    /// Back from repair to its holder (维保完成).
    RepairFinished,
    /// Handed to a colleague of the same department (转移), on an approved request.
    Transferred,
    /// Moved to another department (调拨), on an approved request.
    Allocated,
    /// Part of its count (and value) split off into a new asset by an approved request for
    /// part of a quantity asset.
    Split,
    /// Brought into being as the part split off another asset (its entry holds every value).
    SplitCreated,
    /// Given back the values it had before an approved request changed it (撤销申请).
    RequestUndone,
    /// A part split off by a request, merged back into its asset when the request was undone
    /// (its entry holds every value it had, as a deletion's does).
    SplitMerged,
}

/// A kind is answered by its API name.
impl serde::Serialize for Kind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

/// Each kind's stored code, API name and label.
const KINDS: [(Kind, i64, &str, &str); 19] = [
    (Kind::Created, 1, "created", "新建"),
    (Kind::Modified, 2, "modified", "修改"),
    (Kind::Retired, 3, "retired", "清退"),
    (Kind::Imported, 4, "imported", "导入新建"),
    (Kind::ImportUpdated, 5, "import_updated", "导入更新"),
    (
        Kind::UndoRestored,
        6,
        "undo_restored",
        "撤销导入（恢复原值）",
    ),
    (Kind::UndoDeleted, 7, "undo_deleted", "撤销导入（删除）"),
    (Kind::MovedWithOwner, 8, "moved_with_owner", "随挂账人调动"),
    (Kind::HandedOver, 9, "handed_over", "交给部门资产管理员"),
    (Kind::Taken, 10, "taken", "领用"),
    (Kind::Returned, 11, "returned", "退库"),
    (Kind::RepairStarted, 12, "repair_started", "维保"),
    (Kind::RepairFinished, 13, "repair_finished", "维保完成"),
    (Kind::Transferred, 14, "transferred", "转移"),
    (Kind::Allocated, 15, "allocated", "调拨"),
    (Kind::Split, 16, "split", "拆分"),
    (Kind::SplitCreated, 17, "split_created", "拆分新建"),
    (Kind::RequestUndone, 18, "request_undone", "撤销申请"),
    (
        Kind::SplitMerged,
        19,
        "split_merged",
        "撤销申请（并回原资产）",
    ),
];

impl Kind {
    fn row(self) -> (Kind, i64, &'static str, &'static str) {
        KINDS
            .into_iter()
            .find(|(k, ..)| *k == self)
            .unwrap_or(KINDS[0])
    }

    pub fn code(self) -> i64 {
        self.row().1
    }

    pub fn name(self) -> &'static str {
        self.row().2
    }

    pub fn label(self) -> &'static str {
        self.row().3
    }

    fn of_code(code: i64) -> Option<Kind> {
        KINDS.into_iter().find(|(_, c, ..)| *c == code).map(|k| k.0)
    }

    /// The change brought the asset into being.
    pub fn creates(self) -> bool {
        matches!(self, Kind::Created | Kind::Imported | Kind::SplitCreated)
    }

    /// The change took the asset away (its entry holds every value it had).
    pub fn deletes(self) -> bool {
        matches!(self, Kind::UndoDeleted | Kind::SplitMerged)
    }
}

/// Who made a change, in which company, and through which task (None: the page or the API).
#[derive(Debug, Clone, Copy)]
pub struct Source {
    pub entity_id: i64,
    /// The user whose rights applied.
    pub actor_id: i64,
    pub task_id: Option<i64>,
    /// The request (申请) whose approval made the change, if one did.
    pub request_id: Option<i64>,
}

/// An asset's values with its retirement: what the history records changes of.
#[derive(Debug, Clone, PartialEq)]
pub struct State {
    pub values: NewAsset,
    pub expire: bool,
}

/// Calls `$m!(field)` for each column of `NewAsset` a change may record (all but the company).
macro_rules! each_column {
    ($m:ident) => {
        $m!(department_id);
        $m!(category_id);
        $m!(parent_id);
        $m!(owner_id);
        $m!(name);
        $m!(asset_class);
        $m!(initial_price_cents);
        $m!(description);
        $m!(position);
        $m!(count);
        $m!(create_day);
        $m!(deadline);
        $m!(status);
    };
}

/// The columns that differ between `before` and `after` (None: the asset did not exist), each
/// `[old, new]`.
pub fn diff(before: Option<&State>, after: Option<&State>) -> Map<String, Value> {
    diff_parts(
        before.map(|s| (&s.values, s.expire)),
        after.map(|s| (&s.values, s.expire)),
    )
}

/// `diff` of two sets of values that share their retirement (a rewrite's).
pub fn diff_values(before: &NewAsset, after: &NewAsset) -> Map<String, Value> {
    diff_parts(Some((before, false)), Some((after, false)))
}

/// What a deletion records: every column, its new side null.
pub fn deleted(values: &NewAsset, expire: bool) -> Map<String, Value> {
    diff_parts(Some((values, expire)), None)
}

/// `diff` of values and retirement given apart: only the columns that differ are turned into
/// JSON (an import's update or an undo's deletion pays for what it records, not for every
/// column).
fn diff_parts(
    before: Option<(&NewAsset, bool)>,
    after: Option<(&NewAsset, bool)>,
) -> Map<String, Value> {
    let mut changes = Map::new();
    macro_rules! compare {
        ($field:ident) => {
            let old = before.map(|(v, _)| &v.$field);
            let new = after.map(|(v, _)| &v.$field);
            if old != new {
                changes.insert(stringify!($field).into(), json!([old, new]));
            }
        };
    }
    each_column!(compare);
    let old = before.map(|(_, expire)| i64::from(expire));
    let new = after.map(|(_, expire)| i64::from(expire));
    if old != new {
        changes.insert("expire".into(), json!([old, new]));
    }
    changes
}

/// Gives `state` the old side of each change (what the asset was before it).
pub fn take_back(state: &mut State, changes: &Map<String, Value>) -> Result<()> {
    for (column, change) in changes {
        let old = change.get(0).cloned().unwrap_or(Value::Null);
        let bad = |e: serde_json::Error| Error::caused(format!("history column {column}"), e);
        macro_rules! set {
            ($field:ident) => {
                if column == stringify!($field) {
                    state.values.$field = serde_json::from_value(old.clone()).map_err(bad)?;
                }
            };
        }
        each_column!(set);
        if column == "expire" {
            state.expire = old.as_i64() == Some(1);
        }
    }
    Ok(())
}

/// The asset as a change left it whole: one side (0 old, 1 new) of a creation's or deletion's
/// changes, which name every column.
pub fn whole_side(entity_id: i64, changes: &Map<String, Value>, side: usize) -> Result<State> {
    let mut values: Map<String, Value> = changes
        .iter()
        .map(|(k, v)| (k.clone(), v.get(side).cloned().unwrap_or(Value::Null)))
        .collect();
    values.insert("entity_id".into(), json!(entity_id));
    let expire = values.remove("expire").and_then(|v| v.as_i64()) == Some(1);
    let values = serde_json::from_value(Value::Object(values))
        .map_err(|e| Error::caused("history entry of a whole asset", e))?;
    Ok(State { values, expire })
}

fn now() -> i64 {
    crate::clock::now_secs()
}

/// Records one asset's change; returns the entry's id.
pub fn record(
    conn: &Connection,
    source: &Source,
    kind: Kind,
    asset_id: i64,
    changes: &Map<String, Value>,
) -> rusqlite::Result<i64> {
    let text = serde_json::to_string(changes)
        .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
    conn.prepare_cached(
        "INSERT INTO asset_history
             (asset_id, entity_id, at, actor_id, task_id, kind, changes, request_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        asset_id,
        source.entity_id,
        now(),
        source.actor_id,
        source.task_id,
        kind.code(),
        text,
        source.request_id
    ])?;
    Ok(conn.last_insert_rowid())
}

/// Records that one import batch created the assets `first..=last`.
pub fn record_range(
    conn: &Connection,
    source: &Source,
    (first, last): (i64, i64),
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO asset_history (asset_id, last_id, entity_id, at, actor_id, task_id, kind)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        first,
        last,
        source.entity_id,
        now(),
        source.actor_id,
        source.task_id,
        Kind::Imported.code()
    ])?;
    Ok(())
}

/// One stored entry.
#[derive(Debug, Clone)]
pub struct Entry {
    pub id: i64,
    pub asset_id: i64,
    pub entity_id: i64,
    /// Unix seconds.
    pub at: i64,
    pub actor_id: Option<i64>,
    pub task_id: Option<i64>,
    pub request_id: Option<i64>,
    pub kind: Kind,
    /// None for an import batch's created range.
    pub changes: Option<Map<String, Value>>,
}

/// The SELECT of whole entries, with the rest of a query (one literal string, so a cached
/// statement is found without building its text).
macro_rules! select_entries {
    ($rest:literal) => {
        concat!(
            "SELECT id, asset_id, entity_id, at, actor_id, task_id, kind, changes, request_id
             FROM asset_history ",
            $rest
        )
    };
}

fn entry(r: &rusqlite::Row) -> rusqlite::Result<Entry> {
    let code: i64 = r.get(6)?;
    let kind = Kind::of_code(code).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            6,
            rusqlite::types::Type::Integer,
            format!("unknown history kind {code}").into(),
        )
    })?;
    let changes: Option<String> = r.get(7)?;
    let changes = match changes {
        Some(text) => Some(serde_json::from_str(&text).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(7, rusqlite::types::Type::Text, e.into())
        })?),
        None => None,
    };
    Ok(Entry {
        id: r.get(0)?,
        asset_id: r.get(1)?,
        entity_id: r.get(2)?,
        at: r.get(3)?,
        actor_id: r.get(4)?,
        task_id: r.get(5)?,
        request_id: r.get(8)?,
        kind,
        changes,
    })
}

fn entries(conn: &Connection, sql: &str, params: impl rusqlite::Params) -> Result<Vec<Entry>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map(params, entry)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// How many entries of the asset alone there are (its created range not counted).
pub fn count_own(conn: &Connection, asset_id: i64) -> Result<i64> {
    Ok(conn
        .prepare_cached(
            "SELECT count(*) FROM asset_history WHERE asset_id = ?1 AND last_id IS NULL",
        )?
        .query_row([asset_id], |r| r.get(0))?)
}

/// `limit` of the asset's own entries after skipping `skip`, newest first.
pub fn own_page(conn: &Connection, asset_id: i64, limit: i64, skip: i64) -> Result<Vec<Entry>> {
    entries(
        conn,
        select_entries!(
            "WHERE asset_id = ?1 AND last_id IS NULL ORDER BY id DESC LIMIT ?2 OFFSET ?3"
        ),
        params![asset_id, limit, skip],
    )
}

/// One entry by its id.
pub fn entry_by_id(conn: &Connection, id: i64) -> Result<Option<Entry>> {
    Ok(entries(conn, select_entries!("WHERE id = ?1"), [id])?.pop())
}

/// The asset's own entries from entry `from_id` on, newest first.
pub fn own_since(conn: &Connection, asset_id: i64, from_id: i64) -> Result<Vec<Entry>> {
    entries(
        conn,
        select_entries!("WHERE asset_id = ?1 AND last_id IS NULL AND id >= ?2 ORDER BY id DESC"),
        params![asset_id, from_id],
    )
}

/// The asset's own entries later than `end` (Unix seconds), newest first.
pub fn own_after(conn: &Connection, asset_id: i64, end: i64) -> Result<Vec<Entry>> {
    entries(
        conn,
        select_entries!("WHERE asset_id = ?1 AND last_id IS NULL AND at > ?2 ORDER BY id DESC"),
        params![asset_id, end],
    )
}

/// The import batch's entry whose created range holds the asset, if any. Ranges never
/// overlap (an id is given out once), so the nearest range starting at or below it is the one.
pub fn created_range(conn: &Connection, asset_id: i64) -> Result<Option<(Entry, i64)>> {
    let found = conn
        .prepare_cached(
            "SELECT id, asset_id, entity_id, at, actor_id, task_id, kind, changes, request_id,
                    last_id
             FROM asset_history WHERE last_id IS NOT NULL AND asset_id <= ?1
             ORDER BY asset_id DESC LIMIT 1",
        )?
        .query_row([asset_id], |r| Ok((entry(r)?, r.get::<_, i64>(9)?)))
        .optional()?;
    Ok(found.filter(|(_, last)| *last >= asset_id))
}

/// The id ranges import batches created after `end`, in id order (from the ranges' own
/// index: there is one per batch).
pub fn ranges_after(conn: &Connection, end: i64) -> Result<Vec<(i64, i64)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT asset_id, last_id FROM asset_history INDEXED BY asset_history_range
         WHERE last_id IS NOT NULL AND at > ?1 ORDER BY asset_id",
    )?;
    let rows = stmt.query_map([end], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// How far back of a moment the search for what came after it starts: a clock set back by up
/// to this much still leaves every later entry found.
pub const CLOCK_SLACK: i64 = 86_400;

/// The first entry id that may be later than `moment`: where the entries of
/// `moment - CLOCK_SLACK` begin (`db::first_id_at`). Every entry later than `moment` has this
/// id or a higher one; the caller still checks each entry's time.
pub fn first_id_after(conn: &Connection, moment: i64) -> Result<i64> {
    let from = moment.saturating_sub(CLOCK_SLACK).saturating_add(1);
    Ok(super::first_id_at(conn, super::TimeOrdered::History, from)?)
}

/// The assets of the company with an entry of their own later than `end`, in id order.
pub fn changed_after(conn: &Connection, entity_id: i64, end: i64) -> Result<Vec<i64>> {
    let from = first_id_after(conn, end)?;
    let mut stmt = conn.prepare_cached(
        "SELECT DISTINCT asset_id FROM asset_history
         WHERE id >= ?1 AND at > ?2 AND last_id IS NULL AND entity_id = ?3 ORDER BY asset_id",
    )?;
    let rows = stmt.query_map(params![from, end, entity_id], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The asset's newest own entry.
pub fn latest_own(conn: &Connection, asset_id: i64) -> Result<Option<Entry>> {
    Ok(entries(
        conn,
        select_entries!("WHERE asset_id = ?1 AND last_id IS NULL ORDER BY id DESC LIMIT 1"),
        [asset_id],
    )?
    .pop())
}

/// Deletes up to `limit` entries older than `cutoff` (Unix seconds), oldest first; returns how
/// many.
pub fn delete_before(conn: &Connection, cutoff: i64, limit: i64) -> Result<usize> {
    // Past the first entry that may be later than the cutoff, none is older than it.
    let bound = first_id_after(conn, cutoff.saturating_add(CLOCK_SLACK))?;
    Ok(conn
        .prepare_cached(
            "DELETE FROM asset_history WHERE id IN
                 (SELECT id FROM asset_history WHERE id < ?1 AND at < ?2 ORDER BY id LIMIT ?3)",
        )?
        .execute(params![bound, cutoff, limit])?)
}

/// Whether `id` lies in one of `ranges` (sorted, not overlapping).
pub fn in_ranges(ranges: &[(i64, i64)], id: i64) -> bool {
    let i = ranges.partition_point(|(first, _)| *first <= id);
    i > 0 && ranges[i - 1].1 >= id
}

/// The asset as it stood at `end` (Unix seconds), from `now` (as it is, None once deleted)
/// and its own entries after `end`, newest first; None if it did not exist then. `created_later`
/// holds the ranges import batches created after `end`.
pub fn state_at(
    now: Option<State>,
    later: &[Entry],
    created_later: &[(i64, i64)],
    asset_id: i64,
) -> Result<Option<State>> {
    if in_ranges(created_later, asset_id) {
        return Ok(None);
    }
    let mut state = now;
    for entry in later {
        if entry.kind.creates() {
            return Ok(None);
        }
        let Some(changes) = &entry.changes else {
            continue;
        };
        match &mut state {
            Some(s) => take_back(s, changes)?,
            // Deleted since: its deletion entry holds it whole.
            None => state = Some(whole_side(entry.entity_id, changes, 0)?),
        }
    }
    Ok(state)
}
