//! The asset history (资产履历) as the API answers it: an asset's entries, newest first, each
//! with who made it, through what, and its changed fields as old → new in the words of the
//! import columns; and (`as_of.rs`) the register as it stood at the end of a past day.

pub mod as_of;

use crate::auth::Caller;
use crate::db::assets::Scope;
use crate::db::changes;
use crate::db::history::{self as sql, Entry, Kind, State};
use crate::error::{Error, Result};
use crate::files::Cell;
use crate::paging::{Page, Paged};
use rusqlite::{Connection, OptionalExtension};
use serde::Serialize;
use serde_json::{json, Map, Value};
use std::collections::HashMap;

/// One entry as the API answers it.
#[derive(Debug, Serialize)]
pub struct HistoryEntry {
    pub id: i64,
    /// Local time, 'YYYY-MM-DD HH:MM:SS'.
    pub time: String,
    /// The user whose rights applied ('' if no longer known).
    pub actor: String,
    /// The task it came from (None: the page or the API).
    pub task: Option<i64>,
    /// The request (申请) whose approval made it, if one did.
    pub request: Option<i64>,
    /// The stocktake (盘点) an adjustment of the register made it from, if one did.
    pub stocktake: Option<i64>,
    /// 页面/API, 导入任务 #N, 撤销任务 #N or 申请 #N.
    pub source: String,
    /// Its API name (`created`, `modified`, …).
    pub kind: Kind,
    pub kind_label: &'static str,
    pub changes: Vec<FieldChange>,
    /// The entry as one sentence.
    pub text: String,
}

/// One changed field, named as an import row names it, with its header.
#[derive(Debug, Serialize)]
pub struct FieldChange {
    pub field: &'static str,
    pub header: &'static str,
    pub old: Value,
    pub new: Value,
}

/// The history's columns: stored column, import field.
const FIELDS: [(&str, &str); 14] = [
    ("name", "name"),
    ("department_id", "department"),
    ("category_id", "assetTree"),
    ("parent_id", "parent"),
    ("owner_id", "user"),
    ("asset_class", "assetClass"),
    ("initial_price_cents", "price"),
    ("count", "count"),
    ("description", "description"),
    ("position", "position"),
    ("create_day", "create_time"),
    ("deadline", "deadline"),
    ("status", "status"),
    ("expire", "expire"),
];

/// Looks names up once per answer.
struct Names<'c> {
    conn: &'c Connection,
    known: HashMap<(&'static str, i64), String>,
    /// The stocktake each task adjusts the register from, if it does.
    stocktakes: HashMap<i64, Option<i64>>,
}

impl Names<'_> {
    /// The stocktake task `task` adjusts the register from (an import that names one).
    fn stocktake_of(&mut self, task: i64) -> Result<Option<i64>> {
        if let Some(found) = self.stocktakes.get(&task) {
            return Ok(*found);
        }
        let found: Option<i64> = self
            .conn
            .prepare_cached("SELECT stocktake_id FROM task WHERE id = ?1 AND port_type = 1")?
            .query_row([task], |r| r.get(0))
            .optional()?
            .flatten();
        self.stocktakes.insert(task, found);
        Ok(found)
    }

    fn of(&mut self, table: &'static str, id: i64) -> Result<String> {
        if let Some(name) = self.known.get(&(table, id)) {
            return Ok(name.clone());
        }
        let name: Option<String> = self
            .conn
            .prepare_cached(&format!("SELECT name FROM {table} WHERE id = ?1"))?
            .query_row([id], |r| r.get(0))
            .optional()?;
        let name = name.unwrap_or_else(|| format!("#{id}"));
        self.known.insert((table, id), name.clone());
        Ok(name)
    }

    /// A stored value as the page shows it: names for ids, yuan for cents, dates for days.
    fn shown(&mut self, column: &str, value: &Value) -> Result<Value> {
        let Some(n) = value.as_i64() else {
            return Ok(value.clone());
        };
        let table = match column {
            "department_id" => "department",
            "category_id" => "category",
            "owner_id" => "user",
            "parent_id" => "asset",
            "initial_price_cents" => return Ok(json!(n as f64 / 100.0)),
            "create_day" => {
                return Ok(json!(crate::clock::date_of(n)
                    .format("%Y-%m-%d")
                    .to_string()))
            }
            _ => return Ok(value.clone()),
        };
        Ok(json!(self.of(table, n)?))
    }
}

/// The asset as the caller may see it: None if it is not theirs to see. A deleted asset is
/// judged as its deletion left it.
fn visible(scope: &Scope, entity_id: i64, state: &State) -> Result<()> {
    if entity_id != scope.entity_id() {
        return Err(Error::NotFound("资产"));
    }
    let allowed = match scope {
        Scope::Owner(_, user) => state.values.owner_id == *user,
        _ => scope.covers(state.values.department_id),
    };
    if !allowed {
        return Err(Error::Forbidden);
    }
    Ok(())
}

/// The asset as it is, or as its deletion left it, with its company; None if it never was.
fn last_state(conn: &Connection, asset_id: i64) -> Result<Option<(i64, State)>> {
    if let Some(stored) = changes::stored_asset(conn, asset_id)? {
        return Ok(Some((stored.values.entity_id, stored.state())));
    }
    match sql::latest_own(conn, asset_id)? {
        Some(Entry {
            kind,
            entity_id,
            changes: Some(changes),
            ..
        }) if kind.deletes() => Ok(Some((entity_id, sql::whole_side(entity_id, &changes, 0)?))),
        _ => Ok(None),
    }
}

/// A page of the asset's history, newest first: its own entries, then the import batch that
/// created it (if one did).
pub fn page(
    conn: &Connection,
    caller: &Caller,
    asset_id: i64,
    page: Page,
) -> Result<Paged<HistoryEntry>> {
    let ((pages, total), data) = entries_of(
        conn,
        caller,
        asset_id,
        (page.size, page.offset()),
        |total| Ok((page.check(total)?, total)),
    )?;
    Ok(Paged { pages, total, data })
}

/// The asset's whole history, newest first, as an XLSX for the auditor (in a temporary file).
pub fn xlsx(conn: &Connection, caller: &Caller, asset_id: i64) -> Result<std::fs::File> {
    let (_, entries) = entries_of(conn, caller, asset_id, (i64::MAX, 0), |_| Ok(()))?;
    let headers = [
        ("时间", 20.0),
        ("操作人", 12.0),
        ("来源", 16.0),
        ("类型", 16.0),
        ("字段", 12.0),
        ("原值", 24.0),
        ("新值", 24.0),
    ];
    let mut rows = Vec::new();
    for e in &entries {
        let head = [&e.time, &e.actor, &e.source, e.kind_label].map(|t| Cell::Text(t.into()));
        for f in told(e.kind, &e.changes) {
            let mut row = head.to_vec();
            let (old, new) = (worded(f.field, &f.old), worded(f.field, &f.new));
            row.extend([f.header.into(), old, new].map(Cell::Text));
            rows.push(Ok(row));
        }
        if e.changes.is_empty() {
            rows.push(Ok(head.to_vec()));
        }
    }
    // One asset's history fits a worksheet whole: nothing is ever cut.
    crate::files::write_cells_xlsx(&headers, rows.into_iter(), "").map_err(Error::internal)
}

/// `limit` of the asset's entries after `skip`, newest first, once the caller may see the
/// asset, with what `check` makes of their total (it may refuse it before anything is read).
fn entries_of<T>(
    conn: &Connection,
    caller: &Caller,
    asset_id: i64,
    (limit, skip): (i64, i64),
    check: impl FnOnce(i64) -> Result<T>,
) -> Result<(T, Vec<HistoryEntry>)> {
    let scope = crate::org::scope(conn, caller)?;
    let (entity_id, last) = last_state(conn, asset_id)?.ok_or(Error::NotFound("资产"))?;
    visible(&scope, entity_id, &last)?;
    let own = sql::count_own(conn, asset_id)?;
    let created = sql::created_range(conn, asset_id)?;
    let total = own + i64::from(created.is_some());
    let checked = check(total)?;
    let mut names = Names {
        conn,
        known: HashMap::new(),
        stocktakes: HashMap::new(),
    };
    let mut data = Vec::new();
    for entry in sql::own_page(conn, asset_id, limit, skip)? {
        let changes = entry.changes.clone().unwrap_or_default();
        data.push(shown(&mut names, &entry, changes)?);
    }
    if let Some((entry, _)) = created.filter(|_| skip.saturating_add(limit) > own) {
        // The values it was created with: the asset with all its own entries taken back.
        let all = sql::own_since(conn, asset_id, 0)?;
        let first = sql::state_at(Some(last), &all, &[], asset_id)?;
        let changes = sql::diff(None, first.as_ref());
        data.push(shown(&mut names, &entry, changes)?);
    }
    Ok((checked, data))
}

/// An entry with names, yuan and dates, and its sentence.
fn shown(names: &mut Names, entry: &Entry, changes: Map<String, Value>) -> Result<HistoryEntry> {
    let actor = match entry.actor_id {
        Some(id) => names.of("user", id)?,
        None => String::new(),
    };
    // An import that adjusts the register from a stocktake names the stocktake (盘点调整).
    let stocktake = match entry.task_id {
        Some(t) => names.stocktake_of(t)?,
        None => None,
    };
    // A request's change names the request, also when its task made it (`task` names that).
    let source = match (entry.request_id, entry.task_id, entry.kind) {
        (None, Some(t), _) if stocktake.is_some() => {
            format!("盘点 #{} 调整（任务 #{t}）", stocktake.unwrap_or_default())
        }
        (Some(r), _, _) => format!("申请 #{r}"),
        (None, None, _) => "页面/API".to_owned(),
        (None, Some(t), Kind::UndoRestored | Kind::UndoDeleted) => format!("撤销任务 #{t}"),
        (None, Some(t), _) => format!("导入任务 #{t}"),
    };
    let mut fields = Vec::new();
    for (column, field) in FIELDS {
        let Some(change) = changes.get(column) else {
            continue;
        };
        let side = |i: usize| change.get(i).cloned().unwrap_or(Value::Null);
        fields.push(FieldChange {
            field,
            header: crate::columns::header_of(field),
            old: names.shown(column, &side(0))?,
            new: names.shown(column, &side(1))?,
        });
    }
    let time = crate::clock::local_time(entry.at);
    let kind_label = match stocktake {
        Some(_) => "盘点调整",
        None => entry.kind.label(),
    };
    let text = sentence(&time, &actor, &source, (entry.kind, kind_label), &fields);
    Ok(HistoryEntry {
        id: entry.id,
        time,
        actor,
        task: entry.task_id,
        request: entry.request_id,
        stocktake,
        source,
        kind: entry.kind,
        kind_label,
        changes: fields,
        text,
    })
}

fn plain(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// A value as a person reads it: words for the codes, yuan with two decimals.
fn worded(field: &str, v: &Value) -> String {
    let words: &[(i64, &str)] = match field {
        "status" => &[(1, "闲置"), (2, "使用中"), (3, "维保中")],
        "expire" => &[(0, "在用"), (1, "已清退")],
        "assetClass" => &[(0, "数量型"), (1, "条目型")],
        "price" => return v.as_f64().map(|p| format!("{p:.2}")).unwrap_or_default(),
        _ => &[],
    };
    match v
        .as_i64()
        .and_then(|n| words.iter().find(|(code, _)| *code == n))
    {
        Some((_, word)) => (*word).to_owned(),
        None => plain(v),
    }
}

/// The fields a sentence or a file tells: all of a change's; of a creation or deletion, those
/// with a value.
fn told(kind: Kind, fields: &[FieldChange]) -> impl Iterator<Item = &FieldChange> {
    fields.iter().filter(move |f| {
        let whole = match kind {
            Kind::Created | Kind::Imported | Kind::SplitCreated => Some(&f.new),
            Kind::UndoDeleted | Kind::SplitMerged => Some(&f.old),
            _ => None,
        };
        !matches!(whole, Some(Value::Null))
            && !matches!(whole, Some(Value::String(s)) if s.is_empty())
    })
}

/// "2026-12-04 10:00:03 刘思妮（导入任务 #12）导入更新：资产名「旧」→「新」；…".
fn sentence(
    time: &str,
    actor: &str,
    source: &str,
    (kind, label): (Kind, &str),
    fields: &[FieldChange],
) -> String {
    let parts: Vec<String> = told(kind, fields)
        .map(|f| {
            let (old, new) = (worded(f.field, &f.old), worded(f.field, &f.new));
            match kind {
                Kind::Created | Kind::Imported | Kind::SplitCreated => {
                    format!("{}「{new}」", f.header)
                }
                Kind::UndoDeleted | Kind::SplitMerged => format!("{}「{old}」", f.header),
                _ => format!("{}「{old}」→「{new}」", f.header),
            }
        })
        .collect();
    let actor = if actor.is_empty() {
        "（已不存在的用户）"
    } else {
        actor
    };
    format!("{time} {actor}（{source}）{label}：{}", parts.join("；"))
}
