//! The assets of a user who leaves their department: moved with them, or handed to the old
//! department's asset manager. Each asset is rewritten through `changes::rewrite_asset`, which
//! keeps the departments' and categories' counts and records its history entry.

use super::AssetsMoved;
use crate::db::changes::{self, StoredAsset};
use crate::db::history::{Kind, Source};
use crate::db::org::{self as org_sql, ITEM_CATEGORY, QUANTITY_CATEGORY};
use crate::db::user_changes as sql;
use crate::db::users::UserRow;
use crate::error::{Error, Result};
use rusqlite::Connection;
use std::collections::{HashMap, HashSet};

fn stored(conn: &Connection, id: i64) -> Result<StoredAsset> {
    changes::stored_asset(conn, id)?.ok_or_else(|| Error::internal(format!("asset {id} vanished")))
}

fn department_name(conn: &Connection, id: i64) -> Result<String> {
    Ok(org_sql::department_by_id(conn, id)?
        .ok_or_else(|| Error::internal(format!("department {id} vanished")))?
        .name)
}

/// Moves every asset `user` holds to the department `to`. Each keeps its category where `to`
/// has one of the same name that takes its class, else it goes to `to`'s fixed category of its
/// class (数量型资产 / 条目型资产). A parent that does not move with it is let go, and the
/// assets of other owners below a moved one stay without their parent (an asset's parent is
/// of its own department).
pub(super) fn move_with_owner(
    conn: &Connection,
    source: &Source,
    user: &UserRow,
    to: i64,
) -> Result<AssetsMoved> {
    // Categories of the new department by name: (id, the class it takes; None both).
    let categories: HashMap<String, (i64, Option<i64>)> =
        org_sql::categories_of_department(conn, to)?
            .into_iter()
            .map(|c| (c.name, (c.id, c.class)))
            .collect();
    let fixed = |class: i64| {
        let name = if class == 1 {
            ITEM_CATEGORY
        } else {
            QUANTITY_CATEGORY
        };
        categories
            .get(name)
            .map(|c| c.0)
            .ok_or_else(|| Error::internal(format!("department {to} has no {name}")))
    };
    // Found before any asset moves: children whose parent the user holds.
    let left_behind = sql::children_held_by_others(conn, user.id)?;
    let ids = sql::held_ids(conn, user.id)?;
    let moving: HashSet<i64> = ids.iter().copied().collect();
    for &id in &ids {
        let asset = stored(conn, id)?;
        let mut after = asset.values.clone();
        after.department_id = to;
        after.category_id = match categories.get(&asset.category_name) {
            Some((c, class)) if class.is_none_or(|k| k == asset.values.asset_class) => *c,
            _ => fixed(asset.values.asset_class)?,
        };
        if after.parent_id.is_some_and(|p| !moving.contains(&p)) {
            after.parent_id = None;
        }
        let change = (source, Kind::MovedWithOwner);
        changes::rewrite_asset(conn, id, &asset.values, (&after, None), change)?;
    }
    for id in left_behind {
        let asset = stored(conn, id)?;
        let mut after = asset.values.clone();
        after.parent_id = None;
        changes::rewrite_asset(
            conn,
            id,
            &asset.values,
            (&after, None),
            (source, Kind::Modified),
        )?;
    }
    Ok(AssetsMoved {
        choice: super::AssetsChoice::Move.name(),
        count: ids.len() as i64,
        department: department_name(conn, to)?,
        owner: user.name.clone(),
    })
}

/// Hands every asset `user` holds to the asset manager of the department `from` they leave
/// (`sql::department_manager`). An asset in use becomes idle, as a new asset of a manager's
/// starts.
pub(super) fn hand_over(
    conn: &Connection,
    source: &Source,
    user: &UserRow,
    from: i64,
) -> Result<AssetsMoved> {
    let department = department_name(conn, from)?;
    let ids = sql::held_ids(conn, user.id)?;
    let receiver = sql::department_manager(conn, from, user.id)?.ok_or_else(|| {
        Error::Rule(format!(
            "部门「{department}」没有其他可接收资产的资产管理员（未锁定），无法交接该用户的{}项资产；请先为该部门添加资产管理员",
            ids.len()
        ))
    })?;
    for &id in &ids {
        let asset = stored(conn, id)?;
        let mut after = asset.values.clone();
        after.owner_id = receiver.id;
        if after.status == 2 {
            after.status = 1;
        }
        let change = (source, Kind::HandedOver);
        changes::rewrite_asset(conn, id, &asset.values, (&after, None), change)?;
    }
    Ok(AssetsMoved {
        choice: super::AssetsChoice::Keep.name(),
        count: ids.len() as i64,
        department,
        owner: receiver.name,
    })
}
