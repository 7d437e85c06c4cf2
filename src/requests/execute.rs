//! What an approval does, in the approving transaction (or, for a request of many lines, a batch
//! of lines per transaction of its task): each pending line whose asset is as it was when asked
//! is executed (the asset rewritten through `changes::rewrite_asset`, which keeps
//! the kept counts and writes the history entry), the others end with their reason; the other
//! pending requests on an executed asset lose that line (the first approval wins), and end
//! 已失效 when none is left.

use super::{department_receiver, history_kind, Kind, Repaired, APPROVED, EXECUTING, INVALID};
use crate::db::assets::NewAsset;
use crate::db::changes::{self, Named, StoredAsset};
use crate::db::history::{Kind as History, Source};
use crate::db::org::{self as org_sql, ITEM_CATEGORY, QUANTITY_CATEGORY};
use crate::db::requests::{self as sql, LineRow, RequestRow};
use crate::db::users;
use crate::error::{Error, Result};
use rusqlite::Connection;
use std::collections::HashMap;

/// How one line of an approval (or of its undo) ended: None when it was done, else why not.
pub struct LineOutcome {
    pub seq: i64,
    pub asset_id: i64,
    pub count: i64,
    pub not_done: Option<String>,
}

/// Executes up to `limit` pending lines of an approved (executing) request after seq `after`,
/// in seq order; returns how each ended. Each line leaves the pending state in the calling
/// transaction, so a batch run again after a crash finds only the lines not yet done.
pub(super) fn approve_lines(
    conn: &Connection,
    source: &Source,
    request: &RequestRow,
    (after, limit): (i64, i64),
) -> Result<Vec<LineOutcome>> {
    let kind = Kind::of(request.kind).ok_or_else(|| {
        Error::internal(format!("request {} has kind {}", request.id, request.kind))
    })?;
    let now = crate::clock::now_secs();
    let mut known = Known::default();
    let mut moves = changes::CountMoves::default();
    let lines = sql::lines_after(conn, request.id, 0, (after, limit))?;
    let (Some(first), Some(last)) = (lines.first(), lines.last()) else {
        return Ok(Vec::new());
    };
    let contested = sql::contested(conn, request.id, (first.seq, last.seq))?;
    let mut outcomes = Vec::with_capacity(lines.len());
    for line in lines {
        // One row read: the few names a line needs are looked up (and kept) as needed.
        let asset = changes::stored_asset_unnamed(conn, line.asset_id)?;
        let why = match (&asset, contested.executing.get(&line.asset_id)) {
            (None, _) => Some("资产已不存在".to_owned()),
            (Some(_), Some(other)) => Some(format!("资产正由先通过的申请#{other}执行")),
            (Some(asset), None) => stale(conn, &mut known, (kind, request), &line, asset)?,
        };
        let mut outcome = LineOutcome {
            seq: line.seq,
            asset_id: line.asset_id,
            count: line.count,
            not_done: None,
        };
        let (Some(asset), None) = (asset, &why) else {
            sql::end_line(conn, request.id, line.seq, why.as_deref())?;
            outcome.not_done = why;
            outcomes.push(outcome);
            continue;
        };
        // What the line makes of the asset; a department left without an asset manager to
        // receive it since the approval began (a task's later batch) ends the line, saying so.
        let mut after = match changed(conn, &mut known, (kind, request), &asset) {
            Ok(after) => after,
            Err(Error::Rule(why)) => {
                sql::end_line(conn, request.id, line.seq, Some(&why))?;
                outcome.not_done = Some(why);
                outcomes.push(outcome);
                continue;
            }
            Err(e) => return Err(e),
        };
        let (moved, split_id, rest_revision) = if line.count < asset.values.count {
            let (part, rest_revision) = split(conn, source, &asset, line.count)?;
            let id = part.id;
            (part, Some(id), Some(rest_revision))
        } else {
            (asset.clone(), None, None)
        };
        // A part split off differs from the whole only in its count and value.
        after.count = moved.values.count;
        after.initial_price_cents = moved.values.initial_price_cents;
        let change = (source, history_kind(kind));
        let to = (&after, None);
        let (revision, _) =
            changes::rewrite_asset_moving(conn, moved.id, &moved.values, to, change, &mut moves)?;
        let revisions = (revision, rest_revision);
        sql::executed_line(conn, (request.id, line.seq), split_id, revisions)?;
        outcomes.push(outcome);
        if !contested.asked.contains(&asset.id) {
            continue;
        }
        let why = format!("资产已由申请#{}处理", request.id);
        for other in sql::other_pending_for_asset(conn, asset.id, request.id)? {
            if sql::invalidate_line(conn, other, asset.id, &why)? == 0 {
                sql::review(conn, other, INVALID, (None, None), now)?;
            }
        }
    }
    moves.flush(conn)?;
    Ok(outcomes)
}

/// Ends up to `limit` pending lines after seq `after` unexecuted with `why` (a cancelled or
/// failed approval task); returns how each ended.
pub(super) fn end_lines(
    conn: &Connection,
    request: &RequestRow,
    (after, limit): (i64, i64),
    why: &str,
) -> Result<Vec<LineOutcome>> {
    let lines = sql::lines_after(conn, request.id, 0, (after, limit))?;
    let mut outcomes = Vec::with_capacity(lines.len());
    for line in lines {
        sql::end_line(conn, request.id, line.seq, Some(why))?;
        outcomes.push(LineOutcome {
            seq: line.seq,
            asset_id: line.asset_id,
            count: line.count,
            not_done: Some(why.to_owned()),
        });
    }
    Ok(outcomes)
}

/// Ends an executing request once no line is pending: 已通过 if a line was executed, else
/// 已失效.
pub(super) fn settle(conn: &Connection, request_id: i64) -> Result<()> {
    let [_, executed, ..] = sql::line_counts(conn, request_id)?;
    let state = if executed > 0 { APPROVED } else { INVALID };
    sql::settle(conn, request_id, (EXECUTING, state))?;
    Ok(())
}

/// Splits `part` of a quantity asset's count off into a new asset, with its share of the value
/// (the rest stays with the asset, so count and value keep their totals); returns the new
/// asset, which the line then moves, and the revision the rest is left at. Both get their
/// history entry (拆分, 拆分新建).
fn split(
    conn: &Connection,
    source: &Source,
    asset: &StoredAsset,
    part: i64,
) -> Result<(StoredAsset, i64)> {
    let whole = &asset.values;
    let share = i128::from(whole.initial_price_cents) * i128::from(part) / i128::from(whole.count);
    let share = i64::try_from(share).map_err(|e| Error::caused("split value", e))?;
    let mut rest = whole.clone();
    rest.count -= part;
    rest.initial_price_cents -= share;
    let (rest_revision, _) = changes::rewrite_asset(
        conn,
        asset.id,
        whole,
        (&rest, None),
        (source, History::Split),
    )?;
    let mut values = whole.clone();
    values.count = part;
    values.initial_price_cents = share;
    let id = crate::db::assets::insert_asset_as(conn, &values, (source, History::SplitCreated))?;
    let part = StoredAsset {
        id,
        values,
        ..asset.clone()
    };
    Ok((part, rest_revision))
}

/// What one approval looks up again and again, read once: the departments' receivers and
/// categories, the receiving users.
#[derive(Default)]
struct Known {
    receivers: HashMap<i64, i64>,
    categories: HashMap<i64, Vec<org_sql::Category>>,
    users: HashMap<i64, Option<users::UserRow>>,
    category_names: HashMap<i64, String>,
}

impl Known {
    /// The user who receives assets returned to or moved into `department`.
    fn receiver(&mut self, conn: &Connection, department: i64) -> Result<i64> {
        if let Some(id) = self.receivers.get(&department) {
            return Ok(*id);
        }
        let id = department_receiver(conn, department)?.id;
        self.receivers.insert(department, id);
        Ok(id)
    }

    fn categories(&mut self, conn: &Connection, department: i64) -> Result<&[org_sql::Category]> {
        let found = match self.categories.entry(department) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(org_sql::categories_of_department(conn, department)?)
            }
        };
        Ok(found.as_slice())
    }

    fn category_name(&mut self, conn: &Connection, id: i64) -> Result<String> {
        if let Some(name) = self.category_names.get(&id) {
            return Ok(name.clone());
        }
        let name = changes::name_by_id(conn, Named::Category, id)?;
        self.category_names.insert(id, name.clone());
        Ok(name)
    }

    fn user(&mut self, conn: &Connection, id: i64) -> Result<Option<&users::UserRow>> {
        let found = match self.users.entry(id) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => e.insert(users::user_by_id(conn, id)?),
        };
        Ok(found.as_ref())
    }
}

/// Why a line can no longer be executed: its asset changed since it was asked, or no longer
/// allows what it asks.
fn stale(
    conn: &Connection,
    known: &mut Known,
    (kind, request): (Kind, &RequestRow),
    line: &LineRow,
    asset: &StoredAsset,
) -> Result<Option<String>> {
    let a = &asset.values;
    let why = if asset.expire {
        "资产已清退".to_owned()
    } else if a.owner_id != line.owner_id {
        let owner = changes::name_by_id(conn, Named::User, a.owner_id)?;
        format!("挂账人已变更（现为{owner}）")
    } else if a.department_id != line.department_id {
        let department = changes::name_by_id(conn, Named::Department, a.department_id)?;
        format!("所属部门已变更（现为「{department}」）")
    } else if a.count != line.asset_count {
        format!(
            "资产数量已变更（申请时{}，现为{}）",
            line.asset_count, a.count
        )
    } else if kind == Kind::Take && a.status != 1 {
        "资产已不是闲置资产".to_owned()
    } else if kind == Kind::Repair && a.status == 3 {
        "资产已在维保中".to_owned()
    } else if kind != Kind::Repair && a.status == 3 {
        "资产在维保中".to_owned()
    } else {
        let receiver = match kind {
            Kind::Take => Some(request.initiator_id),
            Kind::Transfer => request.target_user_id,
            _ => None,
        };
        match receiver {
            Some(id) => match known.user(conn, id)? {
                Some(u) if u.lock => format!("{}已被锁定", u.name),
                Some(u) if u.department_id != Some(a.department_id) => {
                    format!("{}已不在资产所属的部门", u.name)
                }
                Some(_) => return Ok(None),
                None => "接收人已不存在".to_owned(),
            },
            None => return Ok(None),
        }
    };
    Ok(Some(why))
}

/// The asset as the executed line leaves it.
fn changed(
    conn: &Connection,
    known: &mut Known,
    (kind, request): (Kind, &RequestRow),
    asset: &StoredAsset,
) -> Result<NewAsset> {
    let mut after = asset.values.clone();
    let missing = || Error::internal(format!("request {} lacks its target", request.id));
    match kind {
        Kind::Take => {
            after.owner_id = request.initiator_id;
            after.status = 2;
        }
        Kind::Return => {
            after.owner_id = known.receiver(conn, after.department_id)?;
            after.status = 1;
        }
        Kind::Repair => after.status = 3,
        Kind::Transfer => {
            after.owner_id = request.target_user_id.ok_or_else(missing)?;
            after.status = 2;
        }
        Kind::Allocate => {
            let to = request.target_department_id.ok_or_else(missing)?;
            after.department_id = to;
            after.owner_id = known.receiver(conn, to)?;
            let name = known.category_name(conn, asset.values.category_id)?;
            after.category_id = category_in(known.categories(conn, to)?, to, (asset, &name))?;
            after.parent_id = None;
            after.status = 1;
        }
    }
    Ok(after)
}

/// The category an asset moved to department `to` goes to: one of the same name there that
/// takes its class, else `to`'s fixed category of its class.
fn category_in(
    categories: &[org_sql::Category],
    to: i64,
    (asset, category_name): (&StoredAsset, &str),
) -> Result<i64> {
    let class = asset.values.asset_class;
    let takes = |c: &org_sql::Category| c.class.is_none_or(|k| k == class);
    if let Some(same) = categories
        .iter()
        .find(|c| c.name == category_name && takes(c))
    {
        return Ok(same.id);
    }
    let fixed = if class == 1 {
        ITEM_CATEGORY
    } else {
        QUANTITY_CATEGORY
    };
    categories
        .iter()
        .find(|c| c.name == fixed)
        .map(|c| c.id)
        .ok_or_else(|| Error::internal(format!("department {to} has no {fixed}")))
}

/// Gives a repaired asset its value and service life after the repair, refusing a value above
/// the one before or a shorter service life.
fn repaired_values(after: &mut NewAsset, r: &Repaired) -> Result<()> {
    let name = after.name.clone();
    if let Some(price) = r.price.as_ref().filter(|p| !p.is_null()) {
        let cents = crate::rows::money_cents(price)
            .filter(|c| *c >= 0)
            .ok_or_else(|| Error::Rule(format!("资产“{name}”的维保后价值须为不小于0的金额")))?;
        if cents > after.initial_price_cents {
            return Err(Error::Rule(format!(
                "资产“{name}”的维保后价值不能高于维保前的{}元",
                crate::rows::yuan_text(after.initial_price_cents)
            )));
        }
        after.initial_price_cents = cents;
    }
    if let Some(deadline) = r.deadline {
        // The bound an import or an edit puts on an integer.
        if deadline as f64 > crate::rows::INT_MAX {
            return Err(Error::Rule(format!(
                "资产“{name}”的使用期限须为不大于{}的整数",
                crate::rows::INT_MAX as i64
            )));
        }
        if deadline < after.deadline {
            return Err(Error::Rule(format!(
                "资产“{name}”的使用期限不能短于维保前的{}年",
                after.deadline
            )));
        }
        after.deadline = deadline;
    }
    Ok(())
}

/// Ends a 维保: each executed line's asset still in repair goes back to its holder, in use (or
/// idle, when its holder is an asset manager).
pub(super) fn finish_repair(
    conn: &Connection,
    source: &Source,
    request: &RequestRow,
    repaired: &[Repaired],
) -> Result<()> {
    let lines = sql::lines(conn, request.id)?;
    let executed = |id: i64| lines.iter().any(|l| l.state == 1 && l.moved_asset() == id);
    let mut seen = std::collections::HashSet::new();
    for (i, r) in repaired.iter().enumerate() {
        if !executed(r.asset) {
            return Err(Error::Rule(format!(
                "第{}项：资产{}不在该维保申请已执行的资产中",
                i + 1,
                r.asset
            )));
        }
        if !seen.insert(r.asset) {
            return Err(Error::Rule(format!("第{}项：资产{}重复", i + 1, r.asset)));
        }
    }
    for line in &lines {
        if line.state != 1 {
            continue;
        }
        let Some(asset) = changes::stored_asset(conn, line.moved_asset())? else {
            continue;
        };
        if asset.values.status != 3 || asset.expire {
            continue;
        }
        let holder = users::user_by_id(conn, asset.values.owner_id)?;
        let mut after = asset.values.clone();
        after.status = if holder.is_some_and(|u| u.character == 2) {
            1
        } else {
            2
        };
        if let Some(r) = repaired.iter().find(|r| r.asset == asset.id) {
            repaired_values(&mut after, r)?;
        }
        let change = (source, History::RepairFinished);
        changes::rewrite_asset(conn, asset.id, &asset.values, (&after, None), change)?;
    }
    Ok(())
}
