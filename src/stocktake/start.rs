//! Starting a stocktake: the search that chooses its assets, in the caller's reach (a
//! department with those below it), its expected lines frozen at once, or, over
//! `task_batch_rows` assets, left to a task (`freeze`) while it is 准备中.

use super::{scope_of, NewStocktake, IN_PROGRESS, LINES_MAX, NAME_MAX, PREPARING};
use crate::assets::SearchRequest;
use crate::auth::Caller;
use crate::db::assets::Scope;
use crate::db::org as org_sql;
use crate::db::stocktake as sql;
use crate::error::{Error, Result};
use rusqlite::Connection;
use serde_json::{json, Value};

/// A started stocktake: its id, and for one over `task_batch_rows` assets (准备中) the ids its
/// list-freezing task is to take.
pub struct Started {
    pub id: i64,
    pub to_freeze: Option<Vec<i64>>,
}

/// Starts a stocktake: the assets the filter finds in the caller's reach (not retired), frozen
/// as its expected lines, all in the calling transaction. Returns its id.
pub fn start(conn: &Connection, caller: &Caller, new: NewStocktake) -> Result<i64> {
    Ok(start_with(conn, caller, new, usize::MAX)?.id)
}

/// Starts a stocktake; over `batch_rows` assets it is 准备中 and its list is left to a task
/// (`freeze`), with the ids the search found now.
pub fn start_with(
    conn: &Connection,
    caller: &Caller,
    new: NewStocktake,
    batch_rows: usize,
) -> Result<Started> {
    let scope = scope_of(conn, caller)?;
    let name = new.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > NAME_MAX {
        return Err(Error::Rule(format!("盘点名称须为1到{NAME_MAX}个字")));
    }
    if name.contains(crate::names::is_hidden) {
        return Err(Error::Rule("盘点名称不能包含控制字符或不可见字符".into()));
    }
    let mut filter = new.filter.unwrap_or_default();
    let filter_text = serde_json::to_string(&filter_json(&filter))
        .map_err(|e| Error::caused("stocktake filter", e))?;
    let entity = scope.entity_id();
    // A department counts with those below it: the search's scope becomes that subtree.
    let department = filter.department.take().filter(|d| !d.trim().is_empty());
    let (scope, department_id) = match department {
        Some(name) => {
            let found =
                crate::names::find(&name, |n| org_sql::department_by_name(conn, entity, n))?
                    .ok_or_else(|| Error::Rule(format!("部门「{}」不存在", name.trim())))?;
            if !scope.covers(found.id) {
                return Err(Error::Rule(format!("无权盘点部门「{}」的资产", found.name)));
            }
            let subtree = org_sql::department_subtree(conn, found.id)?;
            (Scope::Departments(entity, subtree), Some(found.id))
        }
        None => {
            let root = match &scope {
                Scope::Entity(_) => None,
                _ => caller.department_id,
            };
            (scope, root)
        }
    };
    filter.expire = Some(0);
    filter.page = None;
    filter.size = None;
    let filter = crate::assets::filter_of(conn, &scope, filter)?;
    let ids = crate::db::assets::matching_ids(conn, &scope, &filter, crate::clock::today_day())?;
    if ids.is_empty() {
        return Err(Error::Rule("没有符合条件的资产，无需盘点".into()));
    }
    if ids.len() > LINES_MAX {
        return Err(Error::Rule(format!(
            "一次盘点最多{LINES_MAX}项资产（符合条件的有{}项），请缩小范围",
            ids.len()
        )));
    }
    let now = crate::clock::now_secs();
    let owner = (entity, caller.user_id);
    let large = ids.len() > batch_rows;
    let state = if large { PREPARING } else { IN_PROGRESS };
    let id = sql::insert(
        conn,
        owner,
        (&name, &filter_text, department_id),
        (now, state),
    )?;
    if large {
        return Ok(Started {
            id,
            to_freeze: Some(ids),
        });
    }
    for asset in ids {
        sql::freeze_line(conn, id, asset)?;
    }
    Ok(Started {
        id,
        to_freeze: None,
    })
}

/// The search a stocktake was started with, as it shows it (only the fields given).
fn filter_json(filter: &SearchRequest) -> Value {
    let mut out = serde_json::Map::new();
    let mut put = |key: &str, value: Value| {
        if !value.is_null() && value != json!("") {
            out.insert(key.into(), value);
        }
    };
    put("department", json!(filter.department));
    put("assetTreeNode", json!(filter.asset_tree_node));
    put("name", json!(filter.name));
    put("user", json!(filter.user));
    put("description", json!(filter.description));
    put("status", json!(filter.status));
    put("id", json!(filter.id));
    put("parent", json!(filter.parent));
    put("priceInf", json!(filter.price_inf));
    put("priceSup", json!(filter.price_sup));
    Value::Object(out)
}
