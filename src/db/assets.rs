//! Assets: inserts, the asset view (with depreciation computed in SQL), search and lookups.

use super::Page;
use rusqlite::{named_params, params, Connection, OptionalExtension};
use serde::Serialize;

/// An asset ready to be stored (the row rules have accepted it).
#[derive(Debug, Clone, PartialEq)]
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

const INSERT_ASSET: &str = "INSERT INTO asset (entity_id, department_id, category_id, parent_id,
         owner_id, name, asset_class, initial_price_cents, description, position, count,
         create_day, deadline, status)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)";

/// Inserts assets through one prepared statement: an import batch takes it once, rather than
/// looking the statement up (hashing its text) for every row.
pub struct AssetInserter<'c>(rusqlite::CachedStatement<'c>);

impl<'c> AssetInserter<'c> {
    pub fn new(conn: &'c Connection) -> rusqlite::Result<AssetInserter<'c>> {
        Ok(AssetInserter(conn.prepare_cached(INSERT_ASSET)?))
    }

    /// Stores the asset and returns its id.
    pub fn insert(&mut self, a: &NewAsset) -> rusqlite::Result<i64> {
        self.0.insert(params![
            a.entity_id,
            a.department_id,
            a.category_id,
            a.parent_id,
            a.owner_id,
            a.name,
            a.asset_class,
            a.initial_price_cents,
            a.description,
            a.position,
            a.count,
            a.create_day,
            a.deadline,
            a.status
        ])
    }
}

pub fn insert_asset(conn: &Connection, a: &NewAsset) -> rusqlite::Result<i64> {
    AssetInserter::new(conn)?.insert(a)
}

/// Replaces the editable fields of an existing asset.
pub fn update_asset(conn: &Connection, id: i64, a: &NewAsset) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE asset SET category_id = ?2, parent_id = ?3, owner_id = ?4, name = ?5,
             initial_price_cents = ?6, description = ?7, position = ?8, count = ?9,
             deadline = ?10, status = ?11
         WHERE id = ?1",
        params![
            id,
            a.category_id,
            a.parent_id,
            a.owner_id,
            a.name,
            a.initial_price_cents,
            a.description,
            a.position,
            a.count,
            a.deadline,
            a.status
        ],
    )?;
    Ok(())
}

pub fn retire_assets(conn: &Connection, ids: &[i64]) -> rusqlite::Result<()> {
    let mut stmt = conn.prepare_cached("UPDATE asset SET expire = 1 WHERE id = ?1")?;
    for id in ids {
        stmt.execute([id])?;
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
        Ok(AssetRef {
            id: r.get(0)?,
            entity_id: r.get(1)?,
            department_id: r.get(2)?,
            asset_class: r.get(3)?,
            expire: r.get::<_, i64>(4)? != 0,
        })
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
    format!(
        "SELECT a.id, coalesce(p.name, ''), a.name, a.asset_class, u.name, {PRICE_CENTS},
                a.description, a.position, a.expire, a.count, c.name, d.name, a.create_day,
                a.deadline, a.initial_price_cents, a.warning_amount, a.warning_date, a.status,
                a.entity_id, a.department_id
         FROM asset a
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
    let created = super::date_of(create_day);
    let elapsed_years = super::date_of(today)
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

/// Which assets a caller may see and manage.
#[derive(Debug, Clone)]
pub enum Scope {
    /// System admin: the whole entity.
    Entity(i64),
    /// Asset manager: these departments (its own and those below) of the entity.
    Departments(i64, Vec<i64>),
    /// Staff: assets they own.
    Owner(i64, i64),
}

impl Scope {
    pub fn entity_id(&self) -> i64 {
        match self {
            Scope::Entity(e) | Scope::Departments(e, _) | Scope::Owner(e, _) => *e,
        }
    }

    pub fn covers(&self, department_id: i64) -> bool {
        match self {
            Scope::Entity(_) => true,
            Scope::Departments(_, ids) => ids.contains(&department_id),
            Scope::Owner(..) => false,
        }
    }

    fn departments_json(&self) -> Option<String> {
        match self {
            Scope::Departments(_, ids) => serde_json::to_string(ids).ok(),
            _ => None,
        }
    }

    fn owner(&self) -> Option<i64> {
        match self {
            Scope::Owner(_, user) => Some(*user),
            _ => None,
        }
    }
}

#[derive(Debug, Default, Clone)]
pub struct Filter {
    pub department_id: Option<i64>,
    pub category: Option<String>,
    pub id: Option<i64>,
    pub name: Option<String>,
    pub user: Option<String>,
    pub price_inf_cents: Option<i64>,
    pub price_sup_cents: Option<i64>,
    pub description: Option<String>,
    pub expire: Option<i64>,
}

/// Assets in `scope` matching `filter`, by id. Every condition is a fixed SQL text with bound
/// parameters; an absent filter binds NULL and matches everything.
pub fn search(
    conn: &Connection,
    scope: &Scope,
    filter: &Filter,
    page: Page,
    today: i64,
) -> Result<(i64, Vec<AssetView>), crate::error::ApiError> {
    let conditions = format!(
        "a.entity_id = :entity
         AND (:departments IS NULL OR a.department_id IN (SELECT value FROM json_each(:departments)))
         AND (:owner IS NULL OR a.owner_id = :owner)
         AND (:department IS NULL OR a.department_id = :department)
         AND (:category IS NULL OR a.category_id IN (
             WITH RECURSIVE cats(id) AS (
                 SELECT c.id FROM category c JOIN department cd ON cd.id = c.department_id
                 WHERE c.name = :category AND cd.entity_id = :entity
                 UNION SELECT c.id FROM category c JOIN cats ON c.parent_id = cats.id)
             SELECT id FROM cats))
         AND (:id IS NULL OR a.id = :id)
         AND (:name IS NULL OR instr(a.name, :name) > 0)
         AND (:user IS NULL OR a.owner_id IN (SELECT id FROM user WHERE name = :user))
         AND (:price_inf IS NULL OR ({PRICE_CENTS}) >= :price_inf)
         AND (:price_sup IS NULL OR ({PRICE_CENTS}) <= :price_sup)
         AND (:description IS NULL OR instr(a.description, :description) > 0)
         AND (:expire IS NULL OR a.expire = :expire)"
    );
    let departments = scope.departments_json();
    let params = named_params! {
        ":entity": scope.entity_id(),
        ":departments": departments,
        ":owner": scope.owner(),
        ":department": filter.department_id,
        ":category": filter.category,
        ":id": filter.id,
        ":name": filter.name,
        ":user": filter.user,
        ":price_inf": filter.price_inf_cents,
        ":price_sup": filter.price_sup_cents,
        ":description": filter.description,
        ":expire": filter.expire,
        ":today": today,
    };
    let total: i64 = conn.query_row(
        &format!("SELECT count(*) FROM asset a WHERE {conditions}"),
        params,
        |r| r.get(0),
    )?;
    page.check(total)?;
    let mut stmt = conn.prepare(&format!(
        "{} WHERE {conditions} ORDER BY a.id LIMIT :limit OFFSET :offset",
        view_select()
    ))?;
    let mut all = params.to_vec();
    all.push((":limit", &page.size));
    let offset = page.offset();
    all.push((":offset", &offset));
    let rows = stmt.query_map(all.as_slice(), |r| view_row(r, today))?;
    Ok((total, rows.collect::<rusqlite::Result<_>>()?))
}

pub fn parent_of(conn: &Connection, id: i64) -> rusqlite::Result<Option<i64>> {
    Ok(conn
        .prepare_cached("SELECT parent_id FROM asset WHERE id = ?1")?
        .query_row([id], |r| r.get::<_, Option<i64>>(0))
        .optional()?
        .flatten())
}
