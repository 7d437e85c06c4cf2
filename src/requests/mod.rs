//! Requests with approval: a staff member asks to take an idle asset (领用), to return one (退库),
//! to have one repaired (维保) or to hand one to a colleague (转移); a manager may ask any of these
//! for the departments they manage, and to move assets to another department (调拨). The asset
//! manager of the asset's department (for 调拨, of the receiving one) or the system admin
//! approves or rejects. Approval executes every line still valid in the approving transaction,
//! with each asset's history entry; a line whose asset changed since it was asked (owner,
//! department, count, retired) is not executed and says why.

use crate::auth::{Caller, Role};
use crate::db::changes;
use crate::db::history::{Kind as History, Source};
use crate::db::requests::{self as sql, RequestFilter, RequestRow};
use crate::db::tasks::{self as tasks_sql, TaskKind};
use crate::db::{org as org_sql, user_changes, users};
use crate::error::{Error, Result};
use crate::paging::{Page, Paged};
use rusqlite::Connection;
use serde::Deserialize;
use serde_json::{json, Value};

mod asks;
mod execute;
pub mod file;
pub mod task;
#[cfg(test)]
mod tests;
mod undo;

/// The most lines one request made from JSON may have.
pub const LINES_MAX: usize = 10_000;

/// A request's kind: its stored code, API name and label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Take = 1,
    Return = 2,
    Repair = 3,
    Transfer = 4,
    Allocate = 5,
}

const KINDS: [(Kind, &str, &str); 5] = [
    (Kind::Take, "take", "领用"),
    (Kind::Return, "return", "退库"),
    (Kind::Repair, "repair", "维保"),
    (Kind::Transfer, "transfer", "转移"),
    (Kind::Allocate, "allocate", "调拨"),
];

impl Kind {
    pub fn code(self) -> i64 {
        self as i64
    }

    pub fn of(code: i64) -> Option<Kind> {
        KINDS.iter().find(|k| k.0.code() == code).map(|k| k.0)
    }

    pub fn label(self) -> &'static str {
        KINDS.iter().find(|k| k.0 == self).map_or("", |k| k.2)
    }

    pub fn name(self) -> &'static str {
        KINDS.iter().find(|k| k.0 == self).map_or("", |k| k.1)
    }

    /// A kind as a client names it: its code, API name or label.
    pub fn parse(value: &Value) -> Result<Kind> {
        let found = match value {
            Value::Number(n) => n.as_i64().and_then(Kind::of),
            Value::String(s) => {
                let s = s.trim();
                KINDS
                    .iter()
                    .find(|k| k.1 == s || k.2 == s || s.parse::<i64>() == Ok(k.0.code()))
                    .map(|k| k.0)
            }
            _ => None,
        };
        found.ok_or_else(|| {
            Error::BadBody(crate::rows::missing_field_message(
                "kind",
                Some("申请类型须为领用、退库、维保、转移或调拨"),
            ))
        })
    }
}

/// A request's states.
pub const PENDING: i64 = 0;
pub const APPROVED: i64 = 1;
pub const REJECTED: i64 = 2;
pub const WITHDRAWN: i64 = 3;
pub const INVALID: i64 = 4;
pub const UNDONE: i64 = 5;
/// Approved, its lines being executed by a task (a request of more than a batch of lines).
pub const EXECUTING: i64 = 6;
/// Being taken back by a task.
pub const UNDOING: i64 = 7;

pub fn state_label(state: i64) -> &'static str {
    match state {
        PENDING => "待审批",
        APPROVED => "已通过",
        REJECTED => "已驳回",
        WITHDRAWN => "已撤回",
        UNDONE => "已撤销",
        EXECUTING => "执行中",
        UNDOING => "撤销中",
        _ => "已失效",
    }
}

/// A request as a client sends it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestBody {
    pub kind: Value,
    #[serde(default)]
    pub reason: String,
    /// 转移: the receiving user's name.
    pub target_user: Option<String>,
    /// 调拨: the receiving department's name.
    pub target_department: Option<String>,
    pub lines: Vec<LineBody>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LineBody {
    /// The asset's id (资产编号).
    pub asset: i64,
    /// For a quantity asset, how many of its count; absent: all of it.
    pub count: Option<i64>,
}

const REASON_MAX: usize = 500;

/// Stores a new request after checking who may ask what; returns its id. The first line that
/// cannot be asked refuses the whole request, naming it (第N项).
pub fn create(conn: &Connection, caller: &Caller, body: &RequestBody) -> Result<i64> {
    let what = (
        &body.kind,
        body.target_user.as_deref(),
        body.target_department.as_deref(),
    );
    let mut asked = asks::Asked::new(conn, caller, what, &body.reason)?;
    if body.lines.is_empty() {
        return Err(Error::Rule("申请至少要有一项资产".into()));
    }
    if body.lines.len() > LINES_MAX {
        return Err(Error::Rule(format!(
            "一次申请最多{LINES_MAX}项资产，更多请分批或上传文件"
        )));
    }
    let mut lines = Vec::with_capacity(body.lines.len());
    for (i, line) in body.lines.iter().enumerate() {
        match asked.line(conn, line.asset, line.count)? {
            Ok(row) => lines.push(row),
            Err(problem) => return Err(problem.error(&format!("第{}项", i + 1))),
        }
    }
    asked.store(conn, &lines)
}

/// Whether the caller may approve, reject or finish `request`: the system admin, or an asset
/// manager whose departments hold every line's asset (for 调拨, the receiving department).
fn may_review(conn: &Connection, caller: &Caller, request: &RequestRow) -> Result<()> {
    let scope = crate::org::scope(conn, caller)?;
    let allowed = match caller.role {
        Role::Admin => true,
        Role::Manager => match (Kind::of(request.kind), request.target_department_id) {
            (Some(Kind::Allocate), Some(d)) => scope.covers(d),
            _ => sql::line_departments(conn, request.id)?
                .into_iter()
                .all(|d| scope.covers(d)),
        },
        _ => false,
    };
    if allowed {
        Ok(())
    } else {
        Err(Error::Forbidden)
    }
}

/// The request of the caller's entity, or code 7.
fn found(conn: &Connection, caller: &Caller, id: i64) -> Result<RequestRow> {
    sql::request(conn, caller.entity()?, id)?.ok_or(Error::NotFound("申请"))
}

fn pending(request: &RequestRow) -> Result<()> {
    if request.state == PENDING {
        Ok(())
    } else {
        Err(Error::RequestNotPending(state_label(request.state)))
    }
}

/// What an approval or an undo answers: the request, and the task that works through its lines
/// when there are more than a batch of them.
pub struct Reviewed {
    pub request: Value,
    pub task: Option<i64>,
}

/// Approves a pending request: executes its valid lines (see `execute`) in this transaction or,
/// when more than `batch` lines are pending, stores a task that executes them a batch per
/// transaction (the request is 执行中 meanwhile); answers the request.
pub fn approve(conn: &Connection, caller: &Caller, id: i64, batch: usize) -> Result<Reviewed> {
    let request = found(conn, caller, id)?;
    pending(&request)?;
    may_review(conn, caller, &request)?;
    receivers_exist(conn, &request)?;
    sql::start_execution(conn, id, caller.user_id, crate::clock::now_secs())?;
    let [pending_lines, ..] = sql::line_counts(conn, id)?;
    let task = if pending_lines > batch as i64 {
        let last = sql::last_seq(conn, id)?;
        let owner = (caller.entity()?, caller.user_id);
        let kind = TaskKind::Approval;
        Some(tasks_sql::create_request_task(
            conn,
            owner,
            kind,
            id,
            (pending_lines, last),
        )?)
    } else {
        execute::approve_lines(conn, &source(caller, id)?, &request, (0, -1))?;
        execute::settle(conn, id)?;
        None
    };
    let request = detail(conn, caller, id, &FIRST_LINES)?;
    Ok(Reviewed { request, task })
}

/// A 退库 or 调拨 needs an asset manager to receive its assets in each department they go to:
/// refused before anything is executed (the request stays pending) when one has none.
fn receivers_exist(conn: &Connection, request: &RequestRow) -> Result<()> {
    let departments = match (Kind::of(request.kind), request.target_department_id) {
        (Some(Kind::Return), _) => sql::line_departments(conn, request.id)?,
        (Some(Kind::Allocate), Some(to)) => vec![to],
        _ => Vec::new(),
    };
    for department in departments {
        department_receiver(conn, department)?;
    }
    Ok(())
}

/// Who and what the history of a request's changes names.
fn source(caller: &Caller, id: i64) -> Result<Source> {
    Ok(Source {
        entity_id: caller.entity()?,
        actor_id: caller.user_id,
        task_id: None,
        request_id: Some(id),
    })
}

/// Takes back an approved request (see `undo`): by whoever may review it. Its executed lines
/// whose assets nothing changed since get back what they had; the others say why not. More
/// than `batch` executed lines are taken back by a task (the request is 撤销中 meanwhile).
pub fn undo(conn: &Connection, caller: &Caller, id: i64, batch: usize) -> Result<Reviewed> {
    let request = found(conn, caller, id)?;
    if request.state != APPROVED {
        return Err(Error::Rule(format!(
            "只有已通过的申请可以撤销（该申请{}）",
            state_label(request.state)
        )));
    }
    may_review(conn, caller, &request)?;
    let [_, executed, ..] = sql::line_counts(conn, id)?;
    let now = crate::clock::now_secs();
    let task = if executed > batch as i64 {
        sql::mark_undone(conn, id, (caller.user_id, now), UNDOING)?;
        let last = sql::last_seq(conn, id)?;
        let owner = (caller.entity()?, caller.user_id);
        let kind = TaskKind::RequestUndo;
        Some(tasks_sql::create_request_task(
            conn,
            owner,
            kind,
            id,
            (executed, last),
        )?)
    } else {
        undo::undo_lines(conn, &source(caller, id)?, &request, (0, -1))?;
        sql::mark_undone(conn, id, (caller.user_id, now), UNDONE)?;
        None
    };
    let request = detail(conn, caller, id, &FIRST_LINES)?;
    Ok(Reviewed { request, task })
}

/// Rejects a pending request with a reason.
pub fn reject(conn: &Connection, caller: &Caller, id: i64, reason: &str) -> Result<Value> {
    let request = found(conn, caller, id)?;
    pending(&request)?;
    may_review(conn, caller, &request)?;
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(Error::Rule("驳回须写明理由".into()));
    }
    if reason.chars().count() > REASON_MAX {
        return Err(Error::Rule(format!("驳回理由不能超过{REASON_MAX}个字")));
    }
    let now = crate::clock::now_secs();
    sql::review(
        conn,
        id,
        REJECTED,
        (Some(caller.user_id), Some(reason)),
        now,
    )?;
    detail(conn, caller, id, &FIRST_LINES)
}

/// Withdraws one's own pending request.
pub fn withdraw(conn: &Connection, caller: &Caller, id: i64) -> Result<Value> {
    let request = found(conn, caller, id)?;
    if request.initiator_id != caller.user_id {
        return Err(Error::Forbidden);
    }
    pending(&request)?;
    sql::review(conn, id, WITHDRAWN, (None, None), crate::clock::now_secs())?;
    detail(conn, caller, id, &FIRST_LINES)
}

/// How a 维保 ends, asset by asset (absent: as it was).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FinishBody {
    #[serde(default)]
    pub assets: Vec<Repaired>,
}

/// One repaired asset: its value after the repair (yuan, not above its value before) and its
/// service life in years (not shorter than before).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Repaired {
    pub asset: i64,
    pub price: Option<Value>,
    pub deadline: Option<i64>,
}

/// Ends an approved 维保: each asset still in repair goes back to its holder.
pub fn finish(conn: &Connection, caller: &Caller, id: i64, body: &FinishBody) -> Result<Value> {
    let request = found(conn, caller, id)?;
    if Kind::of(request.kind) != Some(Kind::Repair) || request.state != APPROVED {
        return Err(Error::Rule("只有已通过的维保申请可以完成维保".into()));
    }
    if request.finished_at.is_some() {
        return Err(Error::Rule("该维保申请已完成".into()));
    }
    may_review(conn, caller, &request)?;
    execute::finish_repair(conn, &source(caller, id)?, &request, &body.assets)?;
    sql::finish(conn, id, crate::clock::now_secs())?;
    detail(conn, caller, id, &FIRST_LINES)
}

/// Whether the caller may see the request: its initiator, or whoever may review it.
fn may_see(conn: &Connection, caller: &Caller, request: &RequestRow) -> Result<()> {
    if request.initiator_id == caller.user_id {
        return Ok(());
    }
    may_review(conn, caller, request).map_err(|_| Error::NotFound("申请"))
}

/// The lines an action's answer shows: the first thousand (the rest are a page away).
const FIRST_LINES: Page = Page {
    page: 1,
    size: crate::paging::MAX_PAGE_SIZE,
};

/// A request with a page of its lines (each line's asset as it is now) and how many lines are
/// in each state.
pub fn detail(conn: &Connection, caller: &Caller, id: i64, page: &Page) -> Result<Value> {
    let request = found(conn, caller, id)?;
    may_see(conn, caller, &request)?;
    let [pending, executed, not_executed, undone] = sql::line_counts(conn, id)?;
    let total = pending + executed + not_executed + undone;
    let pages = page.check(total)?;
    let mut lines = Vec::new();
    for line in sql::lines_page(conn, id, (page.offset(), page.size))? {
        let asset = changes::stored_asset(conn, line.asset_id)?;
        let label = ["待处理", "已执行", "未执行", "已撤销"][line.state.clamp(0, 3) as usize];
        lines.push(json!({
            "seq": line.seq,
            "asset": line.asset_id,
            "asset_name": asset.as_ref().map(|a| a.values.name.clone()),
            "owner": asset.as_ref().map(|a| a.owner_name.clone()),
            "department": asset.as_ref().map(|a| a.department_name.clone()),
            "count": line.count,
            "split_asset": line.split_id,
            "state": line.state,
            "state_label": label,
            "invalid": line.invalid,
        }));
    }
    let mut out = view(&request);
    out["lines"] = Value::Array(lines);
    out["line_total"] = json!(total);
    out["line_page"] = json!(page.page);
    out["line_pages"] = json!(pages);
    out["line_counts"] = json!({
        "pending": pending,
        "executed": executed,
        "not_executed": not_executed,
        "undone": undone,
    });
    Ok(out)
}

fn view(r: &RequestRow) -> Value {
    let kind = Kind::of(r.kind);
    json!({
        "id": r.id,
        "kind": kind.map(Kind::name),
        "kind_label": kind.map(Kind::label),
        "state": r.state,
        "state_label": state_label(r.state),
        "initiator": r.initiator,
        "reason": r.reason,
        "target_user": r.target_user,
        "target_department": r.target_department,
        "created_at": crate::clock::local_time(r.created_at),
        "reviewer": r.reviewer,
        "reviewed_at": r.reviewed_at.map(crate::clock::local_time),
        "review_reason": r.review_reason,
        "finished_at": r.finished_at.map(crate::clock::local_time),
        "undone_at": r.undone_at.map(crate::clock::local_time),
        "undoer": r.undoer,
        "task": r.approval_task,
        "undo_task": r.undo_task,
        "lines": r.lines,
    })
}

/// What a list of requests asks for.
pub struct ListQuery {
    pub state: Option<i64>,
    pub kind: Option<Kind>,
    /// Only the caller's own requests.
    pub mine: bool,
    pub page: Page,
}

/// The departments whose requests the caller reviews (None: all of the entity's).
fn reviewed_departments(conn: &Connection, caller: &Caller) -> Result<Option<Vec<i64>>> {
    Ok(match (caller.role, caller.department_id) {
        (Role::Admin, _) => None,
        (Role::Manager, Some(d)) => Some(org_sql::department_subtree(conn, d)?),
        _ => Some(Vec::new()),
    })
}

/// A page of the requests the caller asked (`mine`, and always for staff) or reviews.
pub fn list(conn: &Connection, caller: &Caller, query: &ListQuery) -> Result<Paged<Value>> {
    let own = query.mine || caller.role == Role::Staff;
    let filter = RequestFilter {
        entity_id: caller.entity()?,
        state: query.state,
        kind: query.kind.map(Kind::code),
        initiator: own.then_some(caller.user_id),
        departments: if own {
            None
        } else {
            reviewed_departments(conn, caller)?
        },
    };
    let page = &query.page;
    let (total, rows) = sql::list(conn, &filter, (page.offset(), page.size))?;
    let pages = page.check(total)?;
    Ok(Paged {
        pages,
        total,
        data: rows.iter().map(view).collect(),
    })
}

/// The pending requests waiting for the caller's review (the page's badge), and the caller's
/// own pending ones.
pub fn to_do(conn: &Connection, caller: &Caller) -> Result<Value> {
    let entity = caller.entity()?;
    let review = match caller.role {
        Role::Admin | Role::Manager => {
            sql::to_do(conn, entity, reviewed_departments(conn, caller)?)?
        }
        _ => 0,
    };
    let filter = RequestFilter {
        entity_id: entity,
        state: Some(PENDING),
        kind: None,
        initiator: Some(caller.user_id),
        departments: None,
    };
    let (mine, _) = sql::list(conn, &filter, (0, 0))?;
    Ok(json!({ "to_review": review, "mine_pending": mine }))
}

/// The user who receives an asset returned to (退库) or moved into (调拨) `department`: its
/// asset manager (the first not locked).
fn department_receiver(conn: &Connection, department: i64) -> Result<users::UserRow> {
    user_changes::department_manager(conn, department, 0)?.ok_or_else(|| {
        let name = org_sql::department_by_id(conn, department)
            .ok()
            .flatten()
            .map_or_else(String::new, |d| d.name);
        Error::Rule(format!(
            "部门「{name}」没有可接收资产的资产管理员（未锁定），请先为该部门添加资产管理员"
        ))
    })
}

/// The kind of history entry an executed line of `kind` leaves.
fn history_kind(kind: Kind) -> History {
    match kind {
        Kind::Take => History::Taken,
        Kind::Return => History::Returned,
        Kind::Repair => History::RepairStarted,
        Kind::Transfer => History::Transferred,
        Kind::Allocate => History::Allocated,
    }
}
