//! Stocktakes (盘点): an asset manager (or the system admin) counts the assets a search finds in
//! the departments they manage. Starting one freezes the expected list: each asset with where it
//! should be, who holds it, how many and its revision. Counting records what was found, once per
//! line, whoever counts: a second scan of the same asset answers 已盘过 (who, when) and counts
//! nothing; a code that was not expected is an extra (盘盈). Completing it marks every line not
//! counted 盘亏 and freezes it; an asset changed in the register after the snapshot is flagged
//! (`changed_since`), not silently compared.

use crate::assets::SearchRequest;
use crate::auth::{Caller, Role};
use crate::db::assets::Scope;
use crate::db::changes::{self, Named};
use crate::db::stocktake::{self as sql, Found, LineRow, StocktakeRow};
use crate::db::users;
use crate::error::{Error, Result};
use crate::paging::{Page, Paged};
use rusqlite::Connection;
use serde::Deserialize;
use serde_json::{json, Value};

pub mod adjust;
pub mod count;
pub mod freeze;
pub mod report;
mod start;

pub use start::{start, start_with, Started};
#[cfg(test)]
mod tests;

/// A stocktake's states.
pub const IN_PROGRESS: i64 = 0;
pub const COMPLETED: i64 = 1;
pub const VOIDED: i64 = 3;
/// Its expected list is being frozen by a task (`freeze`).
pub const PREPARING: i64 = 4;

pub fn state_label(state: i64) -> &'static str {
    match state {
        IN_PROGRESS => "进行中",
        COMPLETED => "已完成",
        2 => "已调整",
        PREPARING => "准备中",
        _ => "已作废",
    }
}

/// Why a stocktake in `state` (not 进行中) takes no count.
pub(crate) fn not_counting(state: i64) -> String {
    match state {
        PREPARING => "盘点清单正在生成，请稍候再盘点".into(),
        _ => format!("该盘点{}，不能再盘点", state_label(state)),
    }
}

/// A line's states, by code: 0 未盘 … 5 盘亏.
pub const LINE_LABELS: [&str; 6] = ["未盘", "相符", "位置不符", "数量不符", "持有人不符", "盘亏"];
const LINE_NAMES: [&str; 6] = [
    "uncounted",
    "matched",
    "misplaced",
    "count_differs",
    "holder_differs",
    "missing",
];

/// The most assets one stocktake expects.
pub const LINES_MAX: usize = 1_000_000;
const NAME_MAX: usize = 100;
const TEXT_MAX: usize = 500;

/// A stocktake as a client starts it: a name and the search that chooses its assets (the
/// fields of `POST /api/search_assets`; `department` counts that department and those below).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewStocktake {
    pub name: String,
    #[serde(default)]
    pub filter: Option<SearchRequest>,
}

/// Who may start and count stocktakes: asset managers and system admins.
fn scope_of(conn: &Connection, caller: &Caller) -> Result<Scope> {
    match caller.role {
        Role::Admin | Role::Manager => crate::org::scope(conn, caller),
        _ => Err(Error::Forbidden),
    }
}

/// The stocktake of the caller's company, if they may see it: the system admin, or an asset
/// manager whose departments hold its department. Otherwise code 7, as if it did not exist.
fn found(conn: &Connection, caller: &Caller, id: i64) -> Result<StocktakeRow> {
    let scope = scope_of(conn, caller)?;
    let row = sql::stocktake(conn, caller.entity()?, id)?.ok_or(Error::NotFound("盘点"))?;
    let seen = match (&scope, row.department_id) {
        (Scope::Entity(_), _) => true,
        (_, Some(d)) => scope.covers(d),
        (_, None) => false,
    };
    if seen {
        Ok(row)
    } else {
        Err(Error::NotFound("盘点"))
    }
}

/// Checks the caller may see stocktake `id` (for its report); returns its id.
pub fn seen(conn: &Connection, caller: &Caller, id: i64) -> Result<i64> {
    found(conn, caller, id).map(|row| row.id)
}

/// `seen`, for a download of its whole list (report, template): not while it is 准备中.
pub fn listed(conn: &Connection, caller: &Caller, id: i64) -> Result<i64> {
    match found(conn, caller, id)? {
        row if row.state == PREPARING => Err(Error::Rule("盘点清单正在生成，请稍候再下载".into())),
        row => Ok(row.id),
    }
}

/// A stocktake with how many lines are in each state and how many extras it found.
pub fn detail(conn: &Connection, caller: &Caller, id: i64) -> Result<Value> {
    let row = found(conn, caller, id)?;
    summary(conn, &row)
}

fn summary(conn: &Connection, row: &StocktakeRow) -> Result<Value> {
    let counts = sql::line_counts(conn, row.id)?;
    let (extras, _) = sql::extras(conn, row.id, (0, 0))?;
    let expected: i64 = counts.iter().sum();
    let mut by_state = serde_json::Map::new();
    for (i, name) in LINE_NAMES.iter().enumerate() {
        by_state.insert((*name).into(), json!(counts[i]));
    }
    let mut out = view(row);
    out["expected"] = json!(expected);
    out["counted"] = json!(expected - counts[0] - counts[5]);
    out["by_state"] = Value::Object(by_state);
    out["extras"] = json!(extras);
    out["freeze_task"] = json!(freeze::task_of(conn, row.id)?);
    Ok(out)
}

fn view(row: &StocktakeRow) -> Value {
    // 已调整 while an adjustment of the register from it stands (confirmed, not undone).
    let state = if row.state == COMPLETED && row.adjusted {
        2
    } else {
        row.state
    };
    json!({
        "id": row.id,
        "name": row.name,
        "filter": serde_json::from_str::<Value>(&row.filter).unwrap_or(Value::Null),
        "department": row.department,
        "creator": row.creator,
        "state": state,
        "state_label": state_label(state),
        "adjust_task": row.adjust_task,
        "created_at": crate::clock::local_time(row.created_at),
        "ended_at": row.ended_at.map(crate::clock::local_time),
        "ender": row.ender,
    })
}

/// A page of the stocktakes the caller may see, newest first.
pub fn list(conn: &Connection, caller: &Caller, page: &Page) -> Result<Paged<Value>> {
    let scope = scope_of(conn, caller)?;
    let departments = match &scope {
        Scope::Departments(_, ids) => Some(ids.as_slice()),
        _ => None,
    };
    let window = (page.offset(), page.size);
    let (total, rows) = sql::list(conn, scope.entity_id(), departments, window)?;
    let pages = page.check(total)?;
    Ok(Paged {
        pages,
        total,
        data: rows.iter().map(view).collect(),
    })
}

/// The names of users and departments a page of lines shows, each read once.
#[derive(Default)]
pub(crate) struct Names {
    known: std::collections::HashMap<(bool, i64), String>,
}

impl Names {
    fn of(&mut self, conn: &Connection, user: bool, id: i64) -> Result<String> {
        if let Some(name) = self.known.get(&(user, id)) {
            return Ok(name.clone());
        }
        let kind = if user { Named::User } else { Named::Department };
        let name = changes::name_by_id(conn, kind, id)?;
        self.known.insert((user, id), name.clone());
        Ok(name)
    }

    fn user(&mut self, conn: &Connection, id: i64) -> Result<String> {
        self.of(conn, true, id)
    }

    fn department(&mut self, conn: &Connection, id: i64) -> Result<String> {
        self.of(conn, false, id)
    }
}

/// A page of a stocktake's lines, in one state if asked (its code or name).
pub fn lines(
    conn: &Connection,
    caller: &Caller,
    id: i64,
    state: Option<&str>,
    page: &Page,
) -> Result<Paged<Value>> {
    let row = found(conn, caller, id)?;
    let state = match state.map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(text) => Some(
            (0..6)
                .find(|&i| {
                    text == LINE_NAMES[i as usize]
                        || text == LINE_LABELS[i as usize]
                        || text.parse::<i64>() == Ok(i)
                })
                .ok_or_else(|| {
                    Error::BadBody(crate::rows::missing_field_message(
                        "state",
                        Some("状态须为0到5，或 uncounted、matched、misplaced、count_differs、holder_differs、missing"),
                    ))
                })?,
        ),
    };
    let counts = sql::line_counts(conn, row.id)?;
    let total = match state {
        Some(s) => counts[s as usize],
        None => counts.iter().sum(),
    };
    let pages = page.check(total)?;
    let mut names = Names::default();
    let mut data = Vec::new();
    for line in sql::lines(conn, row.id, state, (page.offset(), page.size))? {
        data.push(line_view(conn, &mut names, &line)?);
    }
    Ok(Paged { pages, total, data })
}

fn line_view(conn: &Connection, names: &mut Names, l: &LineRow) -> Result<Value> {
    let mut user = |id: Option<i64>| -> Result<Option<String>> {
        Ok(match id {
            Some(id) => Some(names.user(conn, id)?),
            None => None,
        })
    };
    let owner = user(Some(l.owner_id))?;
    let found_owner = user(l.found_owner_id)?;
    let department = names.department(conn, l.department_id)?;
    Ok(json!({
        "asset": l.asset_id,
        "name": l.name,
        "department": department,
        "expected_position": l.position,
        "expected_count": l.count,
        "expected_holder": owner,
        "state": l.state,
        "state_label": LINE_LABELS[l.state.clamp(0, 5) as usize],
        "found_position": l.found_position,
        "found_count": l.found_count,
        "found_holder": found_owner,
        "note": l.note,
        "counted_by": l.counted_by,
        "counted_at": l.counted_at.map(crate::clock::local_time),
        // Changed in the register since the snapshot (or gone): compared with care.
        "changed_since": l.revision_now != Some(l.revision),
    }))
}

/// One scan or count as a client sends it: the code read (an asset's id), and what was found
/// when it differs from what is expected.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scan {
    pub code: Value,
    pub position: Option<String>,
    pub count: Option<i64>,
    /// The user found holding it (name).
    pub holder: Option<String>,
    pub note: Option<String>,
}

const CODE_MAX: usize = 100;

/// Why a code read (a scan's, a count sheet's row's) cannot be one, if it cannot: empty, longer
/// than `CODE_MAX` characters, or holding control characters.
pub(crate) fn code_problem(code: &str) -> Option<&'static str> {
    if code.chars().any(crate::names::is_hidden) {
        return Some("扫描到的编码不能包含控制字符或不可见字符");
    }
    let bad = code.is_empty() || code.chars().count() > CODE_MAX;
    bad.then_some("扫描到的编码须为1到100个字符")
}

/// Records one scan in the calling transaction; answers what it found: the line's new state, or
/// 已盘过 with who counted it and when, or 盘盈 for a code not expected.
pub fn scan(conn: &Connection, caller: &Caller, id: i64, scan: &Scan) -> Result<Value> {
    let row = found(conn, caller, id)?;
    if row.state != IN_PROGRESS {
        return Err(Error::Rule(not_counting(row.state)));
    }
    let code = match &scan.code {
        Value::String(s) => s.trim().to_owned(),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    };
    if let Some(why) = code_problem(&code) {
        return Err(Error::BadBody(crate::rows::missing_field_message(
            "code",
            Some(why),
        )));
    }
    let text = |value: &Option<String>, key: &str| -> Result<Option<String>> {
        match value.as_deref().map(str::trim) {
            None | Some("") => Ok(None),
            Some(t) if t.chars().count() > TEXT_MAX => Err(Error::BadBody(
                crate::rows::missing_field_message(key, Some("不能超过500个字")),
            )),
            Some(t) => Ok(Some(t.to_owned())),
        }
    };
    let position = text(&scan.position, "position")?;
    let note = text(&scan.note, "note")?;
    if matches!(scan.count, Some(c) if !(0..=crate::rows::INT_MAX as i64).contains(&c)) {
        return Err(Error::BadBody(crate::rows::missing_field_message(
            "count",
            Some("实盘数量须为不小于0的整数"),
        )));
    }
    let entity = caller.entity()?;
    let holder = text(&scan.holder, "holder")?;
    let found = Count {
        position: position.as_deref(),
        count: scan.count,
        holder: holder.as_deref(),
        note: note.as_deref(),
    };
    let now = (caller.user_id, crate::clock::now_secs());
    match count_code(conn, (&row, entity), &code, &found, now)? {
        Counted::Extra => Ok(json!({"result": "unexpected", "result_label": "盘盈", "code": code})),
        Counted::Already(who) => Ok(already(who, &code)),
        Counted::Line(asset, state) => {
            let mut names = Names::default();
            let counted = sql::line(conn, row.id, asset)?
                .ok_or_else(|| Error::internal("a counted line is gone"))?;
            Ok(json!({
                "result": LINE_NAMES[state as usize],
                "result_label": LINE_LABELS[state as usize],
                "code": code,
                "line": line_view(conn, &mut names, &counted)?,
            }))
        }
    }
}

/// What a scan or a count sheet's row found, where it differs from what is expected.
pub(crate) struct Count<'a> {
    pub position: Option<&'a str>,
    pub count: Option<i64>,
    /// The name of the user found holding it.
    pub holder: Option<&'a str>,
    pub note: Option<&'a str>,
}

/// How one code counted.
pub(crate) enum Counted {
    /// An expected line, now counted in this state.
    Line(i64, i64),
    /// Counted before (by whom, when), or an extra recorded before: nothing counted now.
    Already(Option<(String, i64)>),
    /// Not expected: recorded as an extra (盘盈).
    Extra,
}

/// Counts `code` in stocktake `row` (of `entity`, in progress) as `user` at `now`, in the calling
/// transaction: an expected line once (the update is conditional on 未盘), else an extra once.
pub(crate) fn count_code(
    conn: &Connection,
    (row, entity): (&StocktakeRow, i64),
    code: &str,
    found: &Count,
    now: (i64, i64),
) -> Result<Counted> {
    // An asset's code is its id (资产编号), as its label's QR code and barcode carry it.
    let line = match code.parse::<i64>() {
        Ok(asset) if asset > 0 => sql::line(conn, row.id, asset)?,
        _ => None,
    };
    let Some(line) = line else {
        let extra = (code, found.position, found.count, found.note);
        if sql::add_extra(conn, row.id, extra, now)? {
            return Ok(Counted::Extra);
        }
        let before = sql::extra(conn, row.id, code)?;
        return Ok(Counted::Already(
            before.map(|e| (e.counted_by, e.counted_at)),
        ));
    };
    if line.state != 0 {
        return Ok(Counted::Already(line.counted_by.zip(line.counted_at)));
    }
    let holder = match found.holder {
        None => line.owner_id,
        Some(name) => users::user_by_name(conn, name)?
            .filter(|u| u.entity_id == Some(entity))
            .map(|u| u.id)
            .ok_or_else(|| Error::Rule(format!("用户「{name}」不存在")))?,
    };
    let found_position = found.position.unwrap_or(&line.position);
    let found_count = found.count.unwrap_or(line.count);
    let state = if found_position != line.position {
        2
    } else if found_count != line.count {
        3
    } else if holder != line.owner_id {
        4
    } else {
        1
    };
    let counted = Found {
        state,
        position: found_position,
        count: found_count,
        owner_id: holder,
        note: found.note,
    };
    if !sql::count_line(conn, (row.id, line.asset_id), &counted, now)? {
        let line = sql::line(conn, row.id, line.asset_id)?;
        return Ok(Counted::Already(
            line.and_then(|l| l.counted_by.zip(l.counted_at)),
        ));
    }
    Ok(Counted::Line(line.asset_id, state))
}

/// A second count of the same code: nothing counted, who counted it and when.
fn already(who: Option<(String, i64)>, code: &str) -> Value {
    let (by, at) = who.unzip();
    json!({
        "result": "already_counted",
        "result_label": "已盘过",
        "code": code,
        "counted_by": by,
        "counted_at": at.map(crate::clock::local_time),
    })
}

/// Ends a stocktake in progress: `complete` (its lines not counted become 盘亏, and it is
/// frozen) or `void` (已作废; also one 准备中).
pub fn end(conn: &Connection, caller: &Caller, id: i64, complete: bool) -> Result<Value> {
    let row = found(conn, caller, id)?;
    let to = if complete { COMPLETED } else { VOIDED };
    let now = (caller.user_id, crate::clock::now_secs());
    if row.state == PREPARING && complete {
        return Err(Error::Rule("盘点清单正在生成，请稍候再完成盘点".into()));
    }
    if !sql::end(conn, row.id, to, now)? {
        return Err(Error::Rule(format!(
            "该盘点{}，不能再{}",
            state_label(row.state),
            if complete { "完成" } else { "作废" }
        )));
    }
    detail(conn, caller, id)
}

/// A page of a stocktake's extras (盘盈): the codes found that it did not expect.
pub fn extras(conn: &Connection, caller: &Caller, id: i64, page: &Page) -> Result<Paged<Value>> {
    let row = found(conn, caller, id)?;
    let (total, rows) = sql::extras(conn, row.id, (page.offset(), page.size))?;
    let pages = page.check(total)?;
    Ok(Paged {
        pages,
        total,
        data: rows
            .iter()
            .map(|e| {
                json!({
                    "code": e.code, "position": e.position, "count": e.count, "note": e.note,
                    "counted_by": e.counted_by,
                    "counted_at": crate::clock::local_time(e.counted_at),
                })
            })
            .collect(),
    })
}
