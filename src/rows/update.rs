//! Import rows that carry 资产编号 (`id`): an update of that asset. A blank or absent cell keeps
//! the current value; the values that result pass the same rules as a new asset, so a move to
//! another department, owner or category is checked like a create.

use super::fields::{Fields, Val};
use super::{check_fields, missing_field_message, Lookups};
use crate::columns::header_of;
use crate::db::assets::{self, NewAsset};
use crate::db::changes::{self, Named, StoredAsset};
use crate::error::Result;
use rusqlite::Connection;
use serde_json::{json, Value};
use std::borrow::Cow;

/// What an import row asks for.
pub enum RowAction {
    Create(NewAsset),
    Update(Box<Update>),
}

/// An accepted update row: the asset as it is, and as the row leaves it.
pub struct Update {
    pub current: StoredAsset,
    pub after: NewAsset,
    /// The names of the department, category and owner after the update, as the row (or the
    /// asset, for a blank cell) spells them.
    names: [String; 3],
}

impl Update {
    /// The row changes nothing.
    pub fn unchanged(&self) -> bool {
        self.after == self.current.values
    }

    /// Old -> new of every field the row changes, by column header (a dry run's preview).
    /// Departments, categories and owners show by name.
    pub fn changes(&self) -> Value {
        let (now, after, c) = (&self.current.values, &self.after, &self.current);
        let money = |cents: i64| json!(cents as f64 / 100.0);
        let name = |i: usize| json!(crate::names::normalize(&self.names[i]));
        let day = |d: i64| json!(crate::clock::day_text(d));
        let fields = [
            ("name", json!(now.name), json!(after.name)),
            (
                "price",
                money(now.initial_price_cents),
                money(after.initial_price_cents),
            ),
            ("count", json!(now.count), json!(after.count)),
            ("deadline", json!(now.deadline), json!(after.deadline)),
            ("assetTree", json!(c.category_name), name(1)),
            (
                "description",
                json!(now.description),
                json!(after.description),
            ),
            ("position", json!(now.position), json!(after.position)),
            ("user", json!(c.owner_name), name(2)),
            ("department", json!(c.department_name), name(0)),
            ("parent", json!(now.parent_id), json!(after.parent_id)),
            ("create_time", day(now.create_day), day(after.create_day)),
        ];
        let changed =
            fields
                .into_iter()
                .filter(|(_, old, new)| old != new)
                .map(|(field, old, new)| {
                    let header = header_of(field).to_owned();
                    (header, json!({ "old": old, "new": new }))
                });
        Value::Object(changed.collect())
    }
}

/// The asset a row names by `id`: None for a new asset (absent or blank), else the id or the
/// row's message.
fn row_id(v: &Val) -> Result<Option<i64>, String> {
    let bad = || missing_field_message("id", Some(&format!("{}须为正整数", header_of("id"))));
    let id = match v {
        Val::Absent => return Ok(None),
        Val::Str(s) if s.trim().is_empty() => return Ok(None),
        Val::Str(s) => s.trim().parse::<i64>().map_err(|_| bad())?,
        Val::Num(n) if n.fract() == 0.0 && *n >= 1.0 && *n < 9e15 => *n as i64,
        _ => return Err(bad()),
    };
    if id < 1 {
        return Err(bad());
    }
    Ok(Some(id))
}

/// Checks one import row: a create, or (with `id`) an update. `Ok(Err(message))` is a rejected
/// row; `Err` a database failure.
pub fn check_import_row(
    conn: &Connection,
    lookups: &mut Lookups,
    raw: &Fields,
    today: i64,
) -> Result<Result<RowAction, String>> {
    match row_id(&raw.id) {
        Err(message) => Ok(Err(message)),
        Ok(None) => Ok(check_fields(conn, lookups, raw, today)?.map(RowAction::Create)),
        Ok(Some(id)) => Ok(check_update(conn, lookups, raw, id, today)?
            .map(|update| RowAction::Update(Box::new(update)))),
    }
}

fn blank(v: &Val) -> bool {
    match v {
        Val::Absent => true,
        Val::Str(s) => s.trim().is_empty(),
        _ => false,
    }
}

fn check_update(
    conn: &Connection,
    lookups: &mut Lookups,
    raw: &Fields,
    id: i64,
    today: i64,
) -> Result<Result<Update, String>> {
    let entity = lookups.scope.entity_id();
    // Another company's asset answers as if it did not exist.
    let Some(current) = stored(conn, lookups, id)?.filter(|a| a.values.entity_id == entity) else {
        return Ok(Err("资产编号不存在".into()));
    };
    if !lookups.scope.covers(current.values.department_id) {
        return Ok(Err("无权修改该资产".into()));
    }
    if current.expire {
        return Ok(Err("已清退的资产不能修改".into()));
    }
    let now = &current.values;
    // The merged row borrows what it keeps (the row's own cells, the asset's values): a row of
    // the whole register merges a dozen fields, and copying each cost as much as checking it.
    // The price and the date are written as text only for a blank cell.
    fn keep<'v>(given: &'v Val<'_>, value: impl FnOnce() -> Val<'v>) -> Val<'v> {
        match given {
            _ if blank(given) => value(),
            Val::Str(s) => Val::Str(Cow::Borrowed(s.as_ref())),
            Val::Num(n) => Val::Num(*n),
            Val::Absent | Val::Other => Val::Other,
        }
    }
    fn text(s: &str) -> Val<'_> {
        Val::Str(Cow::Borrowed(s))
    }
    let owned = |s: String| Val::Str(Cow::Owned(s));
    let department = keep(&raw.department, || text(&current.department_name));
    let moves = !matches!(&department, Val::Str(d)
        if d.as_ref() == current.department_name
            || crate::names::normalize(d) == current.department_name);
    // The parent is checked only when the row changes it (or the asset moves): a parent that
    // has been retired since does not make an untouched row fail.
    let same_parent = match (&raw.parent, now.parent_id) {
        (Val::Num(n), Some(p)) => *n == p as f64,
        (Val::Str(s), Some(p)) => {
            s.trim().parse::<i64>() == Ok(p)
                || s.as_ref() == current.parent_name
                || crate::names::normalize(s) == current.parent_name
        }
        _ => false,
    };
    let parent_kept = blank(&raw.parent) || same_parent;
    let parent = match (parent_kept, now.parent_id) {
        (true, Some(p)) if moves => Val::Num(p as f64),
        (true, _) => Val::Absent,
        (false, _) => keep(&raw.parent, || Val::Absent),
    };
    let merged = Fields {
        id: Val::Absent,
        name: keep(&raw.name, || text(&now.name)),
        parent,
        asset_class: keep(&raw.asset_class, || Val::Num(now.asset_class as f64)),
        user: keep(&raw.user, || text(&current.owner_name)),
        price: keep(&raw.price, || {
            owned(super::yuan_text(now.initial_price_cents))
        }),
        description: keep(&raw.description, || text(&now.description)),
        position: keep(&raw.position, || text(&now.position)),
        expire: keep(&raw.expire, || Val::Absent),
        count: keep(&raw.count, || Val::Num(now.count as f64)),
        asset_tree: keep(&raw.asset_tree, || text(&current.category_name)),
        department,
        deadline: keep(&raw.deadline, || Val::Num(now.deadline as f64)),
        create_time: keep(&raw.create_time, || {
            owned(crate::clock::day_text(now.create_day))
        }),
    };
    let mut after = match check_fields(conn, lookups, &merged, today)? {
        Ok(after) => after,
        Err(message) => return Ok(Err(message)),
    };
    if after.asset_class != now.asset_class {
        return Ok(Err("资产类型不可修改".into()));
    }
    if parent_kept && !moves {
        after.parent_id = now.parent_id;
    }
    if after.department_id != now.department_id && changes::has_children(conn, id)? {
        return Ok(Err("有子资产的资产不能移到其他部门".into()));
    }
    if after.parent_id != now.parent_id && creates_cycle(conn, id, after.parent_id)? {
        return Ok(Err("父资产不符合规范".into()));
    }
    // The status follows the owner only when the owner changes (维保中 stays otherwise).
    if after.owner_id == now.owner_id {
        after.status = now.status;
    }
    // Spelled as written: `changes` (a preview's) puts them in their one spelling.
    let name_of = |v: &Val| match v {
        Val::Str(s) => s.to_string(),
        _ => String::new(),
    };
    let names = [
        name_of(&merged.department),
        name_of(&merged.asset_tree),
        name_of(&merged.user),
    ];
    Ok(Ok(Update {
        current,
        after,
        names,
    }))
}

/// The assets a dry run's chunk of rows names, read in one range before the rows are checked:
/// a re-import of the whole register names every asset in id order, and reading them one
/// statement a row was half of its check. Only a dry run reads ahead: it writes no asset, so
/// what was read stays as stored while its rows are checked.
#[derive(Default)]
pub(super) struct ReadAhead {
    /// The ids read, ascending, and each one's asset until a row takes it.
    ids: Vec<i64>,
    assets: Vec<Option<StoredAsset>>,
}

impl ReadAhead {
    /// The assets read ahead and not yet taken.
    #[cfg(test)]
    pub(super) fn held(&self) -> usize {
        self.assets.iter().filter(|a| a.is_some()).count()
    }

    fn take(&mut self, id: i64) -> Option<StoredAsset> {
        let i = self.ids.binary_search(&id).ok()?;
        self.assets[i].take()
    }
}

/// A range is read ahead only when it holds at most this many ids per row naming one (else,
/// for a file sorted other than by 资产编号, each row reads its own).
const READ_AHEAD_SPREAD: i64 = 4;

/// Reads ahead the assets the rows of a dry run's chunk name (`ids`, in any order), when they
/// lie close together; a row whose asset was not read ahead (or whose id repeats) reads it
/// itself. Does nothing outside a dry run.
pub fn read_ahead(
    conn: &Connection,
    lookups: &mut Lookups,
    ids: impl Iterator<Item = i64>,
) -> Result<()> {
    lookups.read_ahead = ReadAhead::default();
    if lookups.dry_run.is_none() {
        return Ok(());
    }
    let mut ids: Vec<i64> = ids.collect();
    ids.sort_unstable();
    ids.dedup();
    let (Some(&lo), Some(&hi)) = (ids.first(), ids.last()) else {
        return Ok(());
    };
    if hi - lo >= READ_AHEAD_SPREAD * ids.len() as i64 {
        return Ok(());
    }
    let mut ahead = ReadAhead::default();
    for asset in changes::stored_assets_between(conn, lo, hi)? {
        if ids.binary_search(&asset.id).is_ok() {
            ahead.ids.push(asset.id);
            ahead.assets.push(Some(asset));
        }
    }
    lookups.read_ahead = ahead;
    Ok(())
}

/// The asset an import row names by 资产编号, if it names one as a number.
pub fn named_id(raw: &Fields) -> Option<i64> {
    row_id(&raw.id).ok().flatten()
}

/// Asset `id` as stored, with its names: the asset's row alone, its department's, category's
/// and owner's names from those the task keeps (a re-import of the whole register reads one
/// row per row, not four), its parent's read each time (an earlier row may have renamed it).
fn stored(conn: &Connection, lookups: &mut Lookups, id: i64) -> Result<Option<StoredAsset>> {
    let ahead = lookups.read_ahead.take(id);
    let Some(mut asset) =
        ahead.map_or_else(|| changes::stored_asset_unnamed(conn, id), |a| Ok(Some(a)))?
    else {
        return Ok(None);
    };
    let mut name = |what: Named, id: i64| -> Result<String> {
        if let Some(name) = lookups.names.get(&(what, id)) {
            return Ok(name.clone());
        }
        let name = changes::name_by_id(conn, what, id)?;
        lookups.names.insert((what, id), name.clone());
        Ok(name)
    };
    let values = &asset.values;
    asset.department_name = name(Named::Department, values.department_id)?;
    asset.category_name = name(Named::Category, values.category_id)?;
    asset.owner_name = name(Named::User, values.owner_id)?;
    if let Some(parent) = values.parent_id {
        asset.parent_name = changes::name_by_id(conn, Named::Asset, parent)?;
    }
    Ok(Some(asset))
}

/// Whether making `parent` the parent of `id` would put `id` above itself.
pub fn creates_cycle(conn: &Connection, id: i64, parent: Option<i64>) -> Result<bool> {
    let mut next = parent;
    let mut steps = 0;
    while let Some(p) = next {
        if p == id || steps > 10_000 {
            return Ok(true);
        }
        next = assets::parent_of(conn, p)?;
        steps += 1;
    }
    Ok(false)
}
