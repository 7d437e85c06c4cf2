//! Assets: inserts, the asset view (with depreciation computed in SQL) and lookups. Searching
//! and listing them is `search.rs`.

pub mod blocks;
mod search;

pub use search::*;

use super::history;
use crate::paging::Page;
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

/// An asset ready to be stored (the row rules have accepted it); also an asset's stored values,
/// as an undo record keeps them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewAsset {
    pub entity_id: i64,
    pub department_id: i64,
    pub category_id: i64,
    pub parent_id: Option<i64>,
    pub owner_id: i64,
    pub name: String,
    pub asset_class: i64,
    pub initial_price_cents: i64,
    pub description: String,
    pub position: String,
    pub count: i64,
    pub create_day: i64,
    pub deadline: i64,
    pub status: i64,
}

/// An asset's columns in `NewAsset`'s order, as statements bind them (`NewAsset::columns`).
pub(crate) const COLUMNS: &str = "entity_id, department_id, category_id, parent_id, owner_id,
     name, asset_class, initial_price_cents, description, position, count, create_day, deadline,
     status";

impl NewAsset {
    /// Its values for a statement's parameters ?1 to ?14, in the order of `COLUMNS`.
    pub fn columns(&self) -> [&dyn rusqlite::ToSql; 14] {
        [
            &self.entity_id,
            &self.department_id,
            &self.category_id,
            &self.parent_id,
            &self.owner_id,
            &self.name,
            &self.asset_class,
            &self.initial_price_cents,
            &self.description,
            &self.position,
            &self.count,
            &self.create_day,
            &self.deadline,
            &self.status,
        ]
    }

    /// `columns` followed by `more` (?15 on).
    pub fn columns_and<'a>(
        &'a self,
        more: &'a [&'a dyn rusqlite::ToSql],
    ) -> rusqlite::ParamsFromIter<impl Iterator<Item = &'a dyn rusqlite::ToSql>> {
        rusqlite::params_from_iter(self.columns().into_iter().chain(more.iter().copied()))
    }
}

const INSERT_ASSET: &str = "INSERT INTO asset (entity_id, department_id, category_id, parent_id,
         owner_id, name, asset_class, initial_price_cents, description, position, count,
         create_day, deadline, status, id)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)";

/// The id the next new asset takes: above every asset and above every id an undo deleted, so
/// an id once given out (in an exported file, say) never names another asset.
pub fn next_asset_id(conn: &Connection) -> rusqlite::Result<i64> {
    conn.prepare_cached(
        "SELECT max(coalesce((SELECT max(id) FROM asset), 0),
                    coalesce((SELECT highest FROM asset_id_floor), 0)) + 1",
    )?
    .query_row([], |r| r.get(0))
}

/// Inserts assets through one prepared statement: an import batch takes it once, rather than
/// looking the statement up (hashing its text) for every row. It tallies the assets per
/// department and category (and block of ids), and `finish` adds them to the kept counts
/// (`asset_count`, `asset_block`) in the
/// same transaction, one update per department and category rather than per asset. (A trigger
/// would keep them too, but an insert trigger on `asset` made every insert four times slower.)
pub struct AssetInserter<'c> {
    conn: &'c Connection,
    insert: rusqlite::CachedStatement<'c>,
    /// Assets inserted since the last `finish`, by (department, category).
    added: std::collections::HashMap<(i64, i64), i64>,
    /// The same, by department, category and block of ids (`asset_block`).
    blocks: blocks::BlockTally,
    /// The ids are given here, consecutively from `first_id`, so the assets one inserter
    /// created are the range `first_id..next_id` (what an undo record keeps).
    first_id: i64,
    next_id: i64,
    /// The ids below this one have their history entry.
    recorded_to: i64,
}

impl<'c> AssetInserter<'c> {
    pub fn new(conn: &'c Connection) -> rusqlite::Result<AssetInserter<'c>> {
        let first_id = next_asset_id(conn)?;
        Ok(AssetInserter {
            conn,
            insert: conn.prepare_cached(INSERT_ASSET)?,
            added: std::collections::HashMap::new(),
            blocks: blocks::BlockTally::default(),
            first_id,
            next_id: first_id,
            recorded_to: first_id,
        })
    }

    /// The ids of the assets inserted so far (first, last), if any.
    pub fn created(&self) -> Option<(i64, i64)> {
        (self.next_id > self.first_id).then_some((self.first_id, self.next_id - 1))
    }

    /// The highest asset id there is now.
    pub fn highest_id(&self) -> i64 {
        self.next_id - 1
    }

    /// Stores the asset and returns its id.
    pub fn insert(&mut self, a: &NewAsset) -> rusqlite::Result<i64> {
        let id = self.next_id;
        self.insert.execute(a.columns_and(&[&id]))?;
        self.next_id += 1;
        *self
            .added
            .entry((a.department_id, a.category_id))
            .or_default() += 1;
        self.blocks.count((a.department_id, a.category_id), id, 1);
        Ok(id)
    }

    /// Adds the assets inserted so far to their departments' and categories' kept counts, and
    /// records their creation by an import batch (`source`) as one history entry for their id
    /// range. Must run before the transaction commits.
    pub fn finish(&mut self, source: &history::Source) -> rusqlite::Result<()> {
        self.finish_counts()?;
        if self.next_id > self.recorded_to {
            history::record_range(self.conn, source, (self.recorded_to, self.next_id - 1))?;
            self.recorded_to = self.next_id;
        }
        Ok(())
    }

    fn finish_counts(&mut self) -> rusqlite::Result<()> {
        let mut department = self
            .conn
            .prepare_cached("UPDATE department SET asset_count = asset_count + ?2 WHERE id = ?1")?;
        let mut category = self
            .conn
            .prepare_cached("UPDATE category SET asset_count = asset_count + ?2 WHERE id = ?1")?;
        for ((d, c), n) in self.added.drain() {
            department.execute(params![d, n])?;
            category.execute(params![c, n])?;
        }
        self.blocks.finish(self.conn)
    }
}

/// Creates one asset (through the page or the API), with its history entry (新建: every value).
pub fn insert_asset(
    conn: &Connection,
    a: &NewAsset,
    source: &history::Source,
) -> rusqlite::Result<i64> {
    insert_asset_as(conn, a, (source, history::Kind::Created))
}

/// `insert_asset` with the kind of its history entry (one that `creates`).
pub fn insert_asset_as(
    conn: &Connection,
    a: &NewAsset,
    (source, kind): (&history::Source, history::Kind),
) -> rusqlite::Result<i64> {
    let mut inserter = AssetInserter::new(conn)?;
    let id = inserter.insert(a)?;
    inserter.finish_counts()?;
    let created = history::State {
        values: a.clone(),
        expire: false,
    };
    let changes = history::diff(None, Some(&created));
    history::record(conn, source, kind, id, &changes)?;
    Ok(id)
}

/// Retires the assets not retired yet, each with its history entry (清退); the others are left
/// as they are.
pub fn retire_assets(
    conn: &Connection,
    ids: &[i64],
    source: &history::Source,
) -> rusqlite::Result<()> {
    let mut stmt = conn.prepare_cached(
        "UPDATE asset SET expire = 1, revision = revision + 1 WHERE id = ?1 AND expire = 0",
    )?;
    let mut changes = serde_json::Map::new();
    changes.insert("expire".into(), serde_json::json!([0, 1]));
    for id in ids {
        if stmt.execute([id])? == 1 {
            history::record(conn, source, history::Kind::Retired, *id, &changes)?;
        }
    }
    Ok(())
}

/// What the rules need to know about an existing asset.
#[derive(Debug, Clone, Copy)]
pub struct AssetRef {
    pub id: i64,
    pub entity_id: i64,
    pub department_id: i64,
    pub asset_class: i64,
    pub expire: bool,
}

pub fn asset_ref(conn: &Connection, id: i64) -> rusqlite::Result<Option<AssetRef>> {
    conn.prepare_cached(
        "SELECT id, entity_id, department_id, asset_class, expire FROM asset WHERE id = ?1",
    )?
    .query_row([id], |r| {
        Ok(from_row!(r, AssetRef; id, entity_id, department_id, asset_class, expire))
    })
    .optional()
}

/// Ids of unretired item-class assets with this name in the department (at most 2: enough to
/// tell "unique" from "ambiguous").
pub fn item_parents_named(
    conn: &Connection,
    department_id: i64,
    name: &str,
) -> rusqlite::Result<Vec<i64>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id FROM asset WHERE department_id = ?1 AND name = ?2
           AND asset_class = 1 AND expire = 0 LIMIT 2",
    )?;
    let ids = stmt.query_map(params![department_id, name], |r| r.get(0))?;
    ids.collect()
}

/// The asset view every endpoint returns (field names are the API's).
#[derive(Debug, Clone, Serialize)]
pub struct AssetView {
    pub id: i64,
    #[serde(rename = "parentName")]
    pub parent_name: String,
    pub name: String,
    #[serde(rename = "assetClass")]
    pub asset_class: i64,
    #[serde(rename = "userName")]
    pub user_name: String,
    pub price: f64,
    pub description: String,
    pub position: String,
    pub expire: i64,
    pub count: i64,
    #[serde(rename = "assetTree")]
    pub asset_tree: String,
    #[serde(rename = "departmentName")]
    pub department_name: String,
    pub create_time: String,
    pub deadline: i64,
    pub initial_price: f64,
    pub warning_amount: i64,
    pub warning_date: i64,
    pub expire_date: i64,
    pub status: i64,
}

/// Current value in cents: straight-line over `deadline` years from the creation day, 0 once
/// retired, no depreciation for deadline 0. Computed here so search filters and views agree.
const PRICE_CENTS: &str = "CASE WHEN a.expire = 1 THEN 0
     WHEN a.deadline = 0 THEN a.initial_price_cents
     ELSE CAST(round(max(0.0, a.initial_price_cents *
          (1.0 - max(0, :today - a.create_day) / (a.deadline * 365.0)))) AS INTEGER) END";

fn view_select() -> String {
    view_select_from("asset a")
}

/// The asset view's SELECT, reading the assets from `from` (aliased `a`).
fn view_select_from(from: &str) -> String {
    format!(
        "SELECT a.id, coalesce(p.name, ''), a.name, a.asset_class, u.name, {PRICE_CENTS},
                a.description, a.position, a.expire, a.count, c.name, d.name, a.create_day,
                a.deadline, a.initial_price_cents, a.warning_amount, a.warning_date, a.status,
                a.entity_id, a.department_id
         FROM {from}
         JOIN user u ON u.id = a.owner_id
         JOIN category c ON c.id = a.category_id
         JOIN department d ON d.id = a.department_id
         LEFT JOIN asset p ON p.id = a.parent_id"
    )
}

fn cents(c: i64) -> f64 {
    c as f64 / 100.0
}

/// "YYYY-MM-DD" without chrono's strftime parser (an export formats one per row).
fn ymd(date: chrono::NaiveDate) -> String {
    use chrono::Datelike;
    format!("{:04}-{:02}-{:02}", date.year(), date.month(), date.day())
}

fn view_row(r: &rusqlite::Row, today: i64) -> rusqlite::Result<AssetView> {
    let create_day: i64 = r.get(12)?;
    let deadline: i64 = r.get(13)?;
    let created = crate::clock::date_of(create_day);
    let elapsed_years = crate::clock::date_of(today)
        .years_since(created)
        .map(i64::from)
        .unwrap_or(0);
    Ok(AssetView {
        id: r.get(0)?,
        parent_name: r.get(1)?,
        name: r.get(2)?,
        asset_class: r.get(3)?,
        user_name: r.get(4)?,
        price: cents(r.get(5)?),
        description: r.get(6)?,
        position: r.get(7)?,
        expire: r.get(8)?,
        count: r.get(9)?,
        asset_tree: r.get(10)?,
        department_name: r.get(11)?,
        create_time: ymd(created),
        deadline,
        initial_price: cents(r.get(14)?),
        warning_amount: r.get(15)?,
        warning_date: r.get(16)?,
        expire_date: (deadline - elapsed_years).max(0),
        status: r.get(17)?,
    })
}

pub fn asset_view(conn: &Connection, id: i64, today: i64) -> rusqlite::Result<Option<AssetView>> {
    Ok(ViewReader::new(conn, today)?
        .read(id)?
        .map(|(_, view)| view))
}

/// Reads asset views, with what the rules need to know of each asset, through one prepared
/// statement: an export
/// batch prepares it once instead of building, hashing and binding by name per row.
pub struct ViewReader<'c> {
    stmt: rusqlite::CachedStatement<'c>,
    id_index: usize,
    today: i64,
}

impl<'c> ViewReader<'c> {
    pub fn new(conn: &'c Connection, today: i64) -> rusqlite::Result<ViewReader<'c>> {
        let mut stmt = conn.prepare_cached(&format!("{} WHERE a.id = :id", view_select()))?;
        let index = |stmt: &rusqlite::Statement, name: &str| {
            stmt.parameter_index(name)?
                .ok_or_else(|| rusqlite::Error::InvalidParameterName(name.to_owned()))
        };
        let id_index = index(&stmt, ":id")?;
        let today_index = index(&stmt, ":today")?;
        // Bindings outlive each query's reset: `today` is bound once.
        stmt.raw_bind_parameter(today_index, today)?;
        Ok(ViewReader {
            stmt,
            id_index,
            today,
        })
    }

    pub fn read(&mut self, id: i64) -> rusqlite::Result<Option<(AssetRef, AssetView)>> {
        self.stmt.raw_bind_parameter(self.id_index, id)?;
        let mut rows = self.stmt.raw_query();
        let Some(r) = rows.next()? else {
            return Ok(None);
        };
        let asset = AssetRef {
            id: r.get(0)?,
            entity_id: r.get(18)?,
            department_id: r.get(19)?,
            asset_class: r.get(3)?,
            expire: r.get::<_, i64>(8)? != 0,
        };
        Ok(Some((asset, view_row(r, self.today)?)))
    }
}

/// The asset view of values no longer stored as they are (an asset as it stood on a past day,
/// `today` that day): computed by the same SQL as any view, from the values bound as a row.
pub fn past_view(
    conn: &Connection,
    id: i64,
    (a, expire): (&NewAsset, bool),
    today: i64,
) -> rusqlite::Result<Option<AssetView>> {
    let from = "(SELECT ?1 AS entity_id, ?2 AS department_id, ?3 AS category_id,
          ?4 AS parent_id, ?5 AS owner_id, ?6 AS name, ?7 AS asset_class,
          ?8 AS initial_price_cents, ?9 AS description, ?10 AS position, ?11 AS count,
          ?12 AS create_day, ?13 AS deadline, ?14 AS status, ?15 AS id, ?16 AS expire,
          coalesce((SELECT warning_amount FROM asset WHERE id = ?15), -1) AS warning_amount,
          coalesce((SELECT warning_date FROM asset WHERE id = ?15), -1) AS warning_date) a";
    let sql = view_select_from(from).replace(":today", "?17");
    conn.prepare_cached(&sql)?
        .query_row(a.columns_and(&[&id, &expire, &today]), |r| {
            view_row(r, today)
        })
        .optional()
}

pub fn parent_of(conn: &Connection, id: i64) -> rusqlite::Result<Option<i64>> {
    Ok(conn
        .prepare_cached("SELECT parent_id FROM asset WHERE id = ?1")?
        .query_row([id], |r| r.get::<_, Option<i64>>(0))
        .optional()?
        .flatten())
}
