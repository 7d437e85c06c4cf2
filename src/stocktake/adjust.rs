//! Correcting the register from a completed stocktake (`POST …/{id}/adjust?dry_run=`): the
//! differences the manager accepts (位置不符 → the position found, 数量不符 → the count found,
//! 持有人不符 → the holder found) become an update import of those assets, a task like any import:
//! a dry run previews it and is confirmed, and an undo takes it back. The import names the
//! stocktake, so its history entries read 盘点调整 with the stocktake's id. A line whose asset
//! changed in the register after the snapshot is left out (its found value may be stale), and
//! counted in the answer.
//!
//! Asked for by name, and only then: 盘亏 (`missing`) marks each missing asset, its description
//! starting `【盘亏·盘点#N】` (found in the register by a search of the description; retiring it
//! stays a decision of its own, after a look), and 盘盈 (`extra`) creates an asset from each code
//! found that the register does not know, in the category `extra.assetTree` (its holder, price
//! and useful life from `extra` too), named by the code with what was scanned. A code that is an
//! asset of the company (expected elsewhere, or retired) is not created again: it is left out and
//! counted (`extras_known`).

use super::{found, Names, COMPLETED};
use crate::auth::Caller;
use crate::db::stocktake as sql;
use crate::db::tasks::{NewTask, TaskKind, TaskWriter};
use crate::db::Conn;
use crate::error::{Error, Result};
use rusqlite::Connection;
use serde::Deserialize;
use serde_json::{json, Value};

/// Which differences to take into the register: any of `misplaced`, `count_differs`,
/// `holder_differs`, `missing`, `extra` (absent: the first three).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Adjust {
    pub accept: Option<Vec<String>>,
    /// What an asset created from a 盘盈 is given (with `extra` accepted).
    pub extra: Option<ExtraAssets>,
}

/// The fields of the assets created from 盘盈 codes that a scan cannot tell.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtraAssets {
    /// The category (required).
    #[serde(rename = "assetTree")]
    pub asset_tree: String,
    /// The holder: by default the caller (an asset manager of the stocktake's department).
    pub user: Option<String>,
    /// The department: by default the stocktake's.
    pub department: Option<String>,
    /// 原值, default 0.
    pub price: Option<f64>,
    /// Years of use, default 0 (not depreciated).
    pub deadline: Option<i64>,
}

/// The line states taken by name; `extra` (盘盈, not a line) is taken apart.
const ACCEPTED: [(&str, i64); 4] = [
    ("misplaced", 2),
    ("count_differs", 3),
    ("holder_differs", 4),
    ("missing", MISSING),
];
const MISSING: i64 = 5;
const EXTRA: i64 = -1;
const ACCEPT_HELP: &str =
    "可调整的差异为 misplaced、count_differs、holder_differs、missing（盘亏）、extra（盘盈）";

/// Stores the adjustment of stocktake `id` as an import task (`dry_run`: checked only, to be
/// confirmed); answers its id, its rows and the lines left out for a change since.
pub fn adjust(
    conn: &mut Conn,
    caller: &Caller,
    id: i64,
    (dry_run, body): (bool, Adjust),
    chunk_rows: usize,
) -> Result<Value> {
    let row = found(conn, caller, id)?;
    if row.state != COMPLETED {
        return Err(Error::Rule(format!(
            "只有已完成的盘点可以调整登记表（该盘点{}）",
            super::state_label(row.state)
        )));
    }
    if let Some(task) = row.adjusted.then_some(row.adjust_task).flatten() {
        return Err(Error::Rule(already_adjusted(id, task)));
    }
    let states: Vec<i64> = match &body.accept {
        None => ACCEPTED[..3].iter().map(|a| a.1).collect(),
        Some(names) => names
            .iter()
            .map(|n| match n.trim() {
                "extra" => Ok(EXTRA),
                n => ACCEPTED
                    .iter()
                    .find(|a| a.0 == n)
                    .map(|a| a.1)
                    .ok_or_else(|| {
                        Error::BadBody(crate::rows::missing_field_message(
                            "accept",
                            Some(ACCEPT_HELP),
                        ))
                    }),
            })
            .collect::<Result<_>>()?,
    };
    // Each difference once, whatever the body repeats.
    let mut states = states;
    states.sort_unstable();
    states.dedup();
    let extra = match (states.contains(&EXTRA), &body.extra) {
        (true, None) => {
            return Err(Error::BadBody(crate::rows::missing_field_message(
                "extra",
                Some("接受盘盈须给出新资产的分类：{\"assetTree\": \"分类名\"}"),
            )))
        }
        (true, Some(given)) => Some(extra_defaults(conn, caller, &row, given)?),
        (false, _) => None,
    };
    let mut rows = Vec::new();
    let mut left_out = 0;
    let mut extras_known = 0;
    let mut names = Names::default();
    if let Some(extra) = &extra {
        extras_known = extra_rows(conn, (caller, id), extra, &mut rows)?;
    }
    for state in states.into_iter().filter(|s| *s != EXTRA) {
        let mut offset = 0;
        loop {
            let lines = sql::lines(conn, id, Some(state), (offset, 5000))?;
            for l in &lines {
                if l.revision_now != Some(l.revision) {
                    left_out += 1;
                    continue;
                }
                let mut r = json!({"id": l.asset_id});
                match state {
                    2 => r["position"] = json!(l.found_position),
                    3 => r["count"] = json!(l.found_count),
                    MISSING => {
                        let now = l.description_now.as_deref().unwrap_or_default();
                        r["description"] = json!(format!("{}{now}", missing_mark(id)));
                    }
                    _ => {
                        let holder = l.found_owner_id.unwrap_or(l.owner_id);
                        r["user"] = json!(names.user(conn, holder)?);
                    }
                }
                rows.push(r.to_string());
            }
            if lines.len() < 5000 {
                break;
            }
            offset += 5000;
        }
    }
    if rows.is_empty() {
        let mut why = Vec::new();
        if left_out > 0 {
            why.push(format!("{left_out}项资产在盘点后已被修改，未纳入"));
        }
        if extras_known > 0 {
            why.push(format!("{extras_known}个盘盈编号已是本企业的资产，未新建"));
        }
        return Err(Error::Rule(match why.is_empty() {
            true => "没有可调整的差异".into(),
            false => format!("没有可调整的差异（{}）", why.join("；")),
        }));
    }
    let new = NewTask {
        file_name: Some(format!("盘点 #{id} 调整")),
        dry_run,
        stocktake_id: Some(id),
        ..NewTask::default()
    };
    let owner = (caller.entity()?, caller.user_id);
    let mut writer = TaskWriter::create(conn, owner, TaskKind::Import, &new, chunk_rows)?;
    let count = rows.len();
    let task = crate::tasks::create::store_new(&mut writer, |writer| {
        for r in &rows {
            writer.push(r, None)?;
        }
        Ok(())
    })?;
    Ok(json!({"task": task, "rows": count, "left_out": left_out, "extras_known": extras_known}))
}

fn already_adjusted(id: i64, task: i64) -> String {
    format!("盘点 #{id} 已由调整任务 #{task} 调整登记表；如需重新调整，请先撤销该任务")
}

/// A preview of an adjustment is confirmed only while no other adjustment of its stocktake
/// stands (two would take the same differences in twice: the 盘盈 assets created again).
pub fn check_confirm(conn: &Connection, stocktake: i64, task: i64) -> Result<()> {
    match sql::standing_adjustment(conn, stocktake, task)? {
        Some(other) => Err(Error::Rule(already_adjusted(stocktake, other))),
        None => Ok(()),
    }
}

/// The mark a missing asset's description starts with.
pub fn missing_mark(stocktake: i64) -> String {
    format!("【盘亏·盘点#{stocktake}】")
}

/// The fields every asset created from a 盘盈 code gets: (category, holder, department, price,
/// deadline), and the category's class (None: it takes both). The department is the stocktake's unless given (a whole-company stocktake must
/// name one); the holder the caller unless given (a system admin, who holds no assets, must
/// name one). The row rules check them as for any import.
fn extra_defaults(
    conn: &Conn,
    caller: &Caller,
    row: &sql::StocktakeRow,
    given: &ExtraAssets,
) -> Result<(Value, Option<i64>)> {
    use crate::db::{org as org_sql, users as users_sql};
    let entity = caller.entity()?;
    let department = match (&given.department, &row.department) {
        (Some(d), _) => d.clone(),
        (None, Some(d)) => d.clone(),
        (None, None) => {
            return Err(Error::BadBody(crate::rows::missing_field_message(
                "extra.department",
                Some("全企业盘点的盘盈须指定新资产的部门"),
            )))
        }
    };
    // What would fail every row is refused here, before a task is made.
    let found = crate::names::find(&department, |n| {
        org_sql::department_by_name(conn, entity, n)
    })?
    .ok_or_else(|| Error::Rule(format!("部门「{}」不存在", department.trim())))?;
    if !crate::org::scope(conn, caller)?.covers(found.id) {
        return Err(Error::Rule(format!("无权管理部门「{}」的资产", found.name)));
    }
    let tree = given.asset_tree.trim();
    let category = crate::names::find(tree, |n| org_sql::category_by_name(conn, found.id, n))?
        .filter(|_| !tree.is_empty())
        .ok_or_else(|| {
            Error::Rule(format!(
                "部门「{}」没有分类「{tree}」：盘盈的新资产须放入该部门的分类",
                found.name
            ))
        })?;
    let user = match (&given.user, caller.role) {
        (Some(u), _) => u.clone(),
        (None, crate::auth::Role::Manager) => {
            crate::db::changes::name_by_id(conn, crate::db::changes::Named::User, caller.user_id)?
        }
        (None, _) => {
            return Err(Error::BadBody(crate::rows::missing_field_message(
                "extra.user",
                Some("请指定盘盈资产的挂账人"),
            )))
        }
    };
    let holder = crate::names::find(&user, |n| users_sql::user_by_name(conn, n))?
        .filter(|u| u.entity_id == Some(entity));
    if holder.is_none() {
        return Err(Error::Rule(format!("用户「{}」不存在", user.trim())));
    }
    let price = given.price.unwrap_or(0.0);
    if !(0.0..=1e12).contains(&price) {
        return Err(Error::BadBody(crate::rows::missing_field_message(
            "extra.price",
            Some("原值须为0到1000000000000之间的数"),
        )));
    }
    let deadline = given.deadline.unwrap_or(0);
    if !(0..=1000).contains(&deadline) {
        return Err(Error::BadBody(crate::rows::missing_field_message(
            "extra.deadline",
            Some("使用年限须为0到1000的整数"),
        )));
    }
    let fields = json!({
        "assetTree": tree,
        "user": user,
        "department": found.name,
        "price": price,
        "deadline": deadline,
    });
    Ok((fields, category.class))
}

/// Pushes a create row for each 盘盈 code the register does not know; returns how many codes
/// were left out as assets of the company already.
fn extra_rows(
    conn: &Conn,
    (caller, id): (&Caller, i64),
    (defaults, class): &(Value, Option<i64>),
    rows: &mut Vec<String>,
) -> Result<i64> {
    let entity = caller.entity()?;
    let mut known = 0;
    let mut offset = 0;
    loop {
        let (_, extras) = sql::extras(conn, id, (offset, 5000))?;
        for e in &extras {
            let asset = e.code.trim().parse::<i64>().ok();
            if let Some(asset) = asset {
                if sql::asset_of_entity(conn, entity, asset)? {
                    known += 1;
                    continue;
                }
            }
            let count = e.count.unwrap_or(1).max(1);
            let mut r = defaults.clone();
            r["name"] = json!(format!("盘盈资产 {}", e.code));
            // The category's class decides the new asset's (one that takes both: the count).
            r["assetClass"] = json!(class.unwrap_or(if count == 1 { 1 } else { 0 }));
            r["count"] = json!(count);
            r["position"] = json!(e.position.clone().unwrap_or_default());
            let note = e
                .note
                .as_deref()
                .map(|n| format!("；备注：{n}"))
                .unwrap_or_default();
            r["description"] = json!(format!(
                "盘点 #{id} 盘盈：编号 {}，{} 扫到{note}",
                e.code, e.counted_by
            ));
            rows.push(r.to_string());
        }
        if extras.len() < 5000 {
            return Ok(known);
        }
        offset += 5000;
    }
}
