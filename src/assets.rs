//! Single-asset operations: create (through the import-row rules), modify, retire, search.

use crate::auth::Caller;
use crate::db::assets::{self as sql, AssetView, Filter, Scope};
use crate::db::{changes, history, org as org_sql};
use crate::error::{Error, Result};
use crate::org;
use crate::paging::{Page, Paged};
use crate::rows::{self, Lookups};
use rusqlite::Connection;
use serde::Deserialize;
use serde_json::{Map, Value};

/// Creates one asset from a row, exactly as an import row would; a broken rule answers with
/// the row's message.
pub fn create(conn: &Connection, caller: &Caller, row: &str) -> Result<i64> {
    let mut lookups = Lookups::new(org::scope(conn, caller)?);
    match rows::check_row(conn, &mut lookups, row, crate::clock::today_day())? {
        Ok(asset) => Ok(sql::insert_asset(conn, &asset, &source_of(caller)?)?),
        Err(message) => Err(Error::RowRejected(message)),
    }
}

/// The history's source of a change made through the page or the API.
fn source_of(caller: &Caller) -> Result<history::Source> {
    Ok(history::Source {
        entity_id: caller.entity()?,
        actor_id: caller.user_id,
        task_id: None,
        request_id: None,
    })
}

/// An asset the caller manages. Another entity's answers as if it did not exist; one of the
/// entity outside the caller's departments is refused.
fn managed(conn: &Connection, scope: &Scope, id: i64) -> Result<sql::AssetRef> {
    let asset = sql::asset_ref(conn, id)?
        .filter(|a| a.entity_id == scope.entity_id())
        .ok_or(Error::NotFound("资产"))?;
    if !scope.covers(asset.department_id) {
        return Err(Error::Forbidden);
    }
    Ok(asset)
}

/// Fields a modification may not change: moving an asset between departments or classes is
/// not an edit. (Its date, `create_time`, may be corrected: a migrated asset's real date, which
/// its depreciation counts from; a date after today is refused as on create.)
const FIXED_FIELDS: [&str; 2] = ["department", "assetClass"];

/// Modifies an asset: the request's fields replace the current ones and the result must pass
/// the same rules as a new asset.
pub fn modify(conn: &Connection, caller: &Caller, mut req: Map<String, Value>) -> Result<()> {
    let scope = org::scope(conn, caller)?;
    let id = match req.get("id") {
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    }
    .ok_or_else(|| Error::missing_field("id"))?;
    managed(conn, &scope, id)?;
    let today = crate::clock::today_day();
    // The stored values (names included): what the request's fields replace.
    let current = changes::stored_asset(conn, id)?.ok_or(Error::NotFound("资产"))?;
    let now = &current.values;
    let status = match req.remove("status") {
        None | Some(Value::Null) => now.status,
        Some(v) => v
            .as_i64()
            .filter(|s| (1..=3).contains(s))
            .ok_or_else(|| Error::missing_field("status"))?,
    };
    let mut row = serde_json::json!({
        "name": now.name,
        "parent": now.parent_id,
        "user": current.owner_name,
        "price": now.initial_price_cents as f64 / 100.0,
        "description": now.description,
        "position": now.position,
        "count": now.count,
        "assetTree": current.category_name,
        "deadline": now.deadline,
    });
    if let Value::Object(fields) = &mut row {
        for (k, v) in req {
            if k != "id" && !FIXED_FIELDS.contains(&k.as_str()) {
                fields.insert(k, v);
            }
        }
        let created = crate::clock::date_of(now.create_day)
            .format("%Y-%m-%d")
            .to_string();
        fields.insert("department".into(), current.department_name.clone().into());
        fields.insert("assetClass".into(), now.asset_class.into());
        if fields.get("create_time").is_none_or(Value::is_null) {
            fields.insert("create_time".into(), created.into());
        }
        fields.remove("expire");
    }
    let mut lookups = Lookups::new(scope);
    let mut asset = match rows::check_row(conn, &mut lookups, &row.to_string(), today)? {
        Ok(a) => a,
        Err(message) => return Err(Error::RowRejected(message)),
    };
    if rows::creates_cycle(conn, id, asset.parent_id)? {
        return Err(Error::RowRejected("父资产不符合规范".into()));
    }
    asset.status = status;
    // Only what changed is written (and the kept counts follow a category move).
    let history = (&source_of(caller)?, history::Kind::Modified);
    changes::rewrite_asset(conn, id, now, (&asset, None), history)?;
    Ok(())
}

/// Retires the assets (all or none).
pub fn retire(conn: &Connection, caller: &Caller, ids: &[i64]) -> Result<()> {
    let scope = org::scope(conn, caller)?;
    for id in ids {
        managed(conn, &scope, *id)?;
    }
    Ok(sql::retire_assets(conn, ids, &source_of(caller)?)?)
}

#[derive(Deserialize, Default)]
pub struct SearchRequest {
    #[serde(default)]
    pub department: Option<String>,
    #[serde(default)]
    pub asset_tree_node: Option<String>,
    #[serde(default, deserialize_with = "crate::api::lenient::opt_i64")]
    pub id: Option<i64>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub user: Option<String>,
    #[serde(default, deserialize_with = "crate::api::lenient::opt_f64")]
    pub price_inf: Option<f64>,
    #[serde(default, deserialize_with = "crate::api::lenient::opt_f64")]
    pub price_sup: Option<f64>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "crate::api::lenient::opt_i64")]
    pub expire: Option<i64>,
    /// 使用状态 (1 闲置, 2 使用中, 3 维保中); not in the original API.
    #[serde(default, deserialize_with = "crate::api::lenient::opt_i64")]
    pub status: Option<i64>,
    /// The children of this asset id; not in the original API.
    #[serde(default, deserialize_with = "crate::api::lenient::opt_i64")]
    pub parent: Option<i64>,
    #[serde(default, deserialize_with = "crate::api::lenient::opt_i64")]
    pub page: Option<i64>,
    #[serde(default, deserialize_with = "crate::api::lenient::opt_i64")]
    pub size: Option<i64>,
}

fn non_empty(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.is_empty())
}

pub fn search(conn: &Connection, caller: &Caller, req: SearchRequest) -> Result<Paged<AssetView>> {
    let scope = org::scope(conn, caller)?;
    search_in(conn, scope, req)
}

/// The idle assets (闲置, not retired) the caller may ask to take (领用): of their own
/// department for staff, of the departments they manage for a manager, of the company for a
/// system admin; `req` narrows them further (its name, its page).
pub fn idle_to_take(
    conn: &Connection,
    caller: &Caller,
    req: SearchRequest,
) -> Result<Paged<AssetView>> {
    let scope = match (org::scope(conn, caller)?, caller.department_id) {
        (Scope::Owner(entity, _), Some(d)) => Scope::Departments(entity, vec![d]),
        (Scope::Owner(..), None) => {
            return Err(Error::Rule("您不属于任何部门，没有可领用的资产".into()))
        }
        (scope, _) => scope,
    };
    let req = SearchRequest {
        status: Some(1),
        expire: Some(0),
        ..req
    };
    search_in(conn, scope, req)
}

fn search_in(conn: &Connection, scope: Scope, req: SearchRequest) -> Result<Paged<AssetView>> {
    let page = Page::new(req.page.unwrap_or(1), req.size)?;
    let filter = filter_of(conn, &scope, req)?;
    let (total, data) = sql::search(conn, &scope, &filter, page, crate::clock::today_day())?;
    Ok(Paged {
        pages: page.check(total)?,
        total,
        data,
    })
}

/// The ids of every asset the caller sees that matches a search (its paging ignored): what an
/// export of the search results takes.
pub fn search_ids(conn: &Connection, caller: &Caller, req: SearchRequest) -> Result<Vec<i64>> {
    let scope = org::scope(conn, caller)?;
    let filter = filter_of(conn, &scope, req)?;
    Ok(sql::matching_ids(
        conn,
        &scope,
        &filter,
        crate::clock::today_day(),
    )?)
}

/// A search request as the SQL's filter.
pub(crate) fn filter_of(conn: &Connection, scope: &Scope, req: SearchRequest) -> Result<Filter> {
    let department_id = match non_empty(req.department) {
        // A department outside the caller's scope simply has no assets for them.
        Some(name) => Some(
            crate::names::find(&name, |n| {
                org_sql::department_by_name(conn, scope.entity_id(), n)
            })?
            .map(|d| d.id)
            .unwrap_or(-1),
        ),
        None => None,
    };
    if matches!(req.expire, Some(e) if e != 0 && e != 1) {
        return Err(Error::missing_field("expire"));
    }
    if matches!(req.status, Some(st) if !(1..=3).contains(&st)) {
        return Err(Error::missing_field("status"));
    }
    Ok(Filter {
        department_id,
        category: non_empty(req.asset_tree_node),
        id: req.id,
        name: non_empty(req.name),
        user: non_empty(req.user),
        price_inf_cents: req.price_inf.map(|p| (p * 100.0).round() as i64),
        price_sup_cents: req.price_sup.map(|p| (p * 100.0).round() as i64),
        description: non_empty(req.description),
        expire: req.expire,
        status: req.status,
        parent_id: req.parent,
    })
}

/// A staff member's own assets.
pub fn own(conn: &Connection, caller: &Caller, page: Page) -> Result<Paged<AssetView>> {
    let scope = org::scope(conn, caller)?;
    let (total, data) = sql::search(
        conn,
        &scope,
        &Filter::default(),
        page,
        crate::clock::today_day(),
    )?;
    Ok(Paged {
        pages: page.check(total)?,
        total,
        data,
    })
}
