//! The import-row rules, shared by `post_asset`, import tasks and file uploads: one submitted row
//! either becomes a `NewAsset` or is rejected with every rule it breaks, in the SPEC's order.

use crate::columns::{header_of, COLUMNS};
use crate::db::assets::{self, NewAsset, Scope};
use crate::db::{org, users};
use crate::error::Result;
use crate::names;
pub use fields::{Fields, Val};
use rusqlite::Connection;
use std::collections::HashMap;

mod fields;
pub mod lossy;
mod update;
mod values;

use values::*;
pub use values::{money_cents, parse_date, whole_number, yuan_text};

pub use update::{check_import_row, creates_cycle, named_id, read_ahead, RowAction, Update};

pub const NAME_MAX: usize = 128;
pub const POSITION_MAX: usize = 256;
pub const DESCRIPTION_MAX: usize = 4096;
/// Money above this (in yuan) is rejected as malformed: it keeps cents exact in an f64.
const MONEY_MAX: f64 = 1e13;
pub(crate) const INT_MAX: f64 = 1e15;

#[derive(Debug, Clone, PartialEq)]
enum Parent {
    Id(i64),
    Name(String),
}

/// A category found by name: its id and the class it accepts (None: both).
type CategoryHit = Option<(i64, Option<i64>)>;

/// What the rules look up, cached for the life of one task (or one request).
pub struct Lookups {
    pub scope: Scope,
    departments: HashMap<String, Option<i64>>,
    department_names: HashMap<i64, String>,
    // Keyed by department, then name, so a hit costs no allocation.
    categories: HashMap<i64, HashMap<String, CategoryHit>>,
    owners: HashMap<String, Option<Owner>>,
    parents_by_id: HashMap<i64, Option<assets::AssetRef>>,
    parents_by_name: HashMap<i64, HashMap<String, Vec<i64>>>,
    /// The names of departments, categories and owners by id, that an update row's blank cells
    /// fall back to (`update::stored`).
    names: HashMap<(crate::db::changes::Named, i64), String>,
    /// A dry run's task: item assets its earlier batches would have created count as parents
    /// (under stand-in ids below zero), though those batches were never written.
    dry_run: Option<i64>,
    /// A dry run's assets of the chunk being checked, read in one range (`read_ahead`).
    read_ahead: update::ReadAhead,
}

#[derive(Clone, Copy)]
struct Owner {
    id: i64,
    character: i64,
    department_id: Option<i64>,
}

impl Lookups {
    pub fn new(scope: Scope) -> Lookups {
        Lookups {
            scope,
            departments: HashMap::new(),
            department_names: HashMap::new(),
            categories: HashMap::new(),
            owners: HashMap::new(),
            parents_by_id: HashMap::new(),
            parents_by_name: HashMap::new(),
            names: HashMap::new(),
            dry_run: None,
            read_ahead: update::ReadAhead::default(),
        }
    }

    /// Lookups for a dry run of task `task_id`.
    pub fn for_dry_run(mut self, task_id: i64) -> Lookups {
        self.dry_run = Some(task_id);
        self
    }

    /// Forget everything: after a rolled-back batch the cache may name assets that were never
    /// committed.
    pub fn clear(&mut self) {
        let dry_run = self.dry_run;
        *self = Lookups::new(self.scope.clone());
        self.dry_run = dry_run;
    }

    fn department(&mut self, c: &Connection, name: &str) -> Result<Option<i64>> {
        if let Some(hit) = self.departments.get(name) {
            return Ok(*hit);
        }
        let entity = self.scope.entity_id();
        let found = names::find(name, |n| org::department_by_name(c, entity, n))?.map(|d| d.id);
        self.departments.insert(name.to_owned(), found);
        Ok(found)
    }

    /// A department's name by id (an owner's, for a message).
    fn department_name(&mut self, c: &Connection, id: i64) -> Result<String> {
        if let Some(name) = self.department_names.get(&id) {
            return Ok(name.clone());
        }
        let name = org::department_by_id(c, id)?.map_or_else(String::new, |d| d.name);
        self.department_names.insert(id, name.clone());
        Ok(name)
    }

    fn category(&mut self, c: &Connection, department_id: i64, name: &str) -> Result<CategoryHit> {
        let cached = self.categories.entry(department_id).or_default();
        if let Some(hit) = cached.get(name) {
            return Ok(*hit);
        }
        let found = names::find(name, |n| org::category_by_name(c, department_id, n))?
            .map(|cat| (cat.id, cat.class));
        cached.insert(name.to_owned(), found);
        Ok(found)
    }

    fn owner(&mut self, c: &Connection, name: &str) -> Result<Option<Owner>> {
        if let Some(hit) = self.owners.get(name) {
            return Ok(*hit);
        }
        let entity = self.scope.entity_id();
        let found = names::find(name, |n| users::user_by_name(c, n))?
            .filter(|u| u.entity_id == Some(entity))
            .map(|u| Owner {
                id: u.id,
                character: u.character,
                department_id: u.department_id,
            });
        self.owners.insert(name.to_owned(), found);
        Ok(found)
    }

    fn parent_by_id(&mut self, c: &Connection, id: i64) -> Result<Option<assets::AssetRef>> {
        if let Some(hit) = self.parents_by_id.get(&id) {
            return Ok(*hit);
        }
        let found = assets::asset_ref(c, id)?;
        self.parents_by_id.insert(id, found);
        Ok(found)
    }

    fn parents_named(
        &mut self,
        c: &Connection,
        department_id: i64,
        name: &str,
    ) -> Result<Vec<i64>> {
        // Keyed by the name's one spelling, as assets are stored (and `created` records them).
        let normal = names::normalize(name);
        let cached = self.parents_by_name.entry(department_id).or_default();
        if let Some(hit) = cached.get(&normal) {
            return Ok(hit.clone());
        }
        let mut found = assets::item_parents_named(c, department_id, &normal)?;
        if found.is_empty() && normal != name {
            found = assets::item_parents_named(c, department_id, name)?;
        }
        if let Some(task_id) = self.dry_run {
            let would_be = crate::db::changes::dry_items_named(c, task_id, department_id, &normal)?;
            found.extend(would_be.into_iter().map(|seq| -(seq + 1)));
        }
        cached.insert(normal, found.clone());
        Ok(found)
    }

    /// Forgets what it knew of an asset an update row just changed (it may have moved).
    pub fn changed(&mut self, id: i64) {
        self.parents_by_id.remove(&id);
        self.parents_by_name.clear();
    }

    /// Records an asset just created, so later rows of the same task can name it as parent.
    pub fn created(&mut self, id: i64, a: &NewAsset) {
        if a.asset_class != 1 {
            return;
        }
        if let Some(ids) = self
            .parents_by_name
            .get_mut(&a.department_id)
            .and_then(|named| named.get_mut(&a.name))
        {
            ids.push(id);
        }
        self.parents_by_id.insert(
            id,
            Some(assets::AssetRef {
                id,
                entity_id: a.entity_id,
                department_id: a.department_id,
                asset_class: 1,
                expire: false,
            }),
        );
    }
}

/// The message of a field missing or of the wrong type (SPEC §3, and the first row rule),
/// with what was wrong in brackets when there is more to say: `缺少字段或类型错误：[count]`,
/// `缺少字段或类型错误：[count]（资产数量“abc”不是整数）`. Every such message is made here.
pub fn missing_field_message(field: &str, detail: Option<&str>) -> String {
    match detail {
        None => format!("缺少字段或类型错误：[{field}]"),
        Some(detail) => format!("缺少字段或类型错误：[{field}]（{detail}）"),
    }
}

/// Why a field's value was not taken, in the user's words: the column and the value.
fn field_reason(field: &str, value: &Val) -> String {
    let column = header_of(field);
    let wanted = match field {
        "count" | "deadline" => "整数",
        "price" => "金额",
        "assetClass" => "数量型或条目型",
        "expire" => "0或1",
        "create_time" => "日期，如2024-03-05或2024/3/5",
        "parent" => "资产编号或名称",
        _ => "文字",
    };
    // A date that is one, but after today, says so (create_day takes every other date).
    let future = match (field, value) {
        ("create_time", Val::Str(s)) => values::parse_date(s).map(|_| s.to_string()),
        ("create_time", Val::Num(n)) => values::excel_serial_date(*n).map(|_| n.to_string()),
        _ => None,
    };
    if let Some(shown) = future {
        return format!("{column}{}晚于今天", quoted(&shown));
    }
    match value {
        Val::Absent => format!("缺少{column}"),
        Val::Str(s) => format!("{column}{}不是{wanted}", quoted(s)),
        Val::Num(n) => format!("{column}“{n}”不是{wanted}"),
        Val::Other => format!("{column}应为{wanted}"),
    }
}

/// A value as a message quotes it: in “”, its first 40 characters. A message quotes one value
/// (the failed rows' summary groups a reason's messages by it).
fn quoted(value: &str) -> String {
    let shown: String = value.chars().take(40).collect();
    let more = if value.chars().count() > 40 {
        "…"
    } else {
        ""
    };
    format!("“{shown}{more}”")
}

/// Collects the messages of one row in rule order. Each keeps the SPEC's text and adds, in
/// brackets, the column and the value it means.
struct Problems(Vec<String>);

impl Problems {
    fn field(&mut self, field: &str, value: &Val) {
        let reason = field_reason(field, value);
        self.0.push(missing_field_message(field, Some(&reason)));
    }
    fn length(&mut self, field: &str, value: &str) {
        let column = header_of(field);
        let reason = if value.trim().is_empty() {
            format!("{column}不能为空")
        } else {
            let max = match field {
                "name" => NAME_MAX,
                "position" => POSITION_MAX,
                _ => DESCRIPTION_MAX,
            };
            format!("{column}超过{max}字")
        };
        self.0
            .push(format!("字段长度不合法：[{field}]（{reason}）"));
    }
    fn rule(&mut self, message: &str) {
        self.0.push(message.to_owned());
    }
}

/// Checks one submitted row (JSON text). `Ok(Err(message))` is a rejected row; `Err` is a
/// database failure, not the row's fault.
pub fn check_row(
    conn: &Connection,
    lookups: &mut Lookups,
    row: &str,
    today: i64,
) -> Result<Result<NewAsset, String>> {
    check_fields(conn, lookups, &Fields::read(row), today)
}

/// Checks a row already read (an import reads its rows on another thread).
pub fn check_fields(
    conn: &Connection,
    lookups: &mut Lookups,
    raw: &Fields,
    today: i64,
) -> Result<Result<NewAsset, String>> {
    let mut p = Problems(Vec::new());

    // 1. presence and types
    // Stored in its one spelling; the hidden-character rule reads it before trimming.
    let folded_name = text(&raw.name).map(names::fold);
    let name = folded_name.as_deref().map(|n| n.trim().to_owned());
    let parent = parent(&raw.parent);
    let class = asset_class(&raw.asset_class);
    let user = text(&raw.user);
    let price = cents(&raw.price);
    let description = optional_text(&raw.description);
    let position = optional_text(&raw.position);
    let expire = match &raw.expire {
        Val::Absent => Some(0),
        v => integer(v).filter(|e| *e == 0 || *e == 1),
    };
    let count = integer(&raw.count);
    let tree = text(&raw.asset_tree);
    let department = text(&raw.department);
    let deadline = integer(&raw.deadline);
    let created = create_day(&raw.create_time, today);
    // In the table's order; `id` is the update rules' (`update::row_id`).
    let checked = |field: &str| -> Option<(bool, &Val)> {
        Some(match field {
            "name" => (name.is_some(), &raw.name),
            "parent" => (parent.is_some(), &raw.parent),
            "assetClass" => (class.is_some(), &raw.asset_class),
            "user" => (user.is_some(), &raw.user),
            "price" => (price.is_some(), &raw.price),
            "description" => (description.is_some(), &raw.description),
            "position" => (position.is_some(), &raw.position),
            "expire" => (expire.is_some(), &raw.expire),
            "count" => (count.is_some(), &raw.count),
            "assetTree" => (tree.is_some(), &raw.asset_tree),
            "department" => (department.is_some(), &raw.department),
            "deadline" => (deadline.is_some(), &raw.deadline),
            "create_time" => (created.is_some(), &raw.create_time),
            _ => return None,
        })
    };
    for column in COLUMNS {
        if let Some((false, value)) = checked(column.field) {
            p.field(column.field, value);
        }
    }

    // 2. lengths
    let description = description.flatten().unwrap_or_default().to_owned();
    let position = position.flatten().unwrap_or_default().to_owned();
    if let Some(n) = &name {
        if n.trim().is_empty() || n.chars().count() > NAME_MAX {
            p.length("name", n);
        }
    }
    if position.chars().count() > POSITION_MAX {
        p.length("position", &position);
    }
    if description.chars().count() > DESCRIPTION_MAX {
        p.length("description", &description);
    }
    // Control characters (NUL and the like) are invisible in a list and break the files and
    // programs the register feeds; format characters (bidi overrides, zero-width spaces) are
    // invisible too and disguise text (`abc\u{202e}gpj.exe` shows as `abcexe.jpg`). A
    // description may still hold TAB and line breaks.
    let line_break = |c: char| matches!(c, '\t' | '\n' | '\r');
    for (field, control) in [
        (
            "name",
            folded_name
                .as_deref()
                .is_some_and(|n| n.contains(names::is_hidden)),
        ),
        ("position", position.contains(names::is_hidden)),
        (
            "description",
            description.contains(|c: char| names::is_hidden(c) && !line_break(c)),
        ),
    ] {
        if control {
            p.rule(&format!("字段不能包含控制字符：[{field}]"));
        }
    }

    // 3. department and the caller's right to it
    let department_id = match &department {
        Some(d) => {
            let found = lookups.department(conn, d)?;
            if found.is_none() {
                p.rule(&format!("对应部门不存在（本企业没有部门{}）", quoted(d)));
            }
            found
        }
        None => None,
    };
    if let (Some(d), Some(named)) = (department_id, &department) {
        if !lookups.scope.covers(d) {
            p.rule(&format!(
                "无权管理该部门的资产（部门{}不在您管理的部门中）",
                quoted(named)
            ));
        }
    }

    // 4. numbers
    if let Some(c) = count {
        if c < 1 {
            p.rule("资产数量不可小于1");
        }
        if class == Some(1) && c > 1 {
            p.rule("仅数量型资产的数量可大于1");
        }
    }
    if matches!(price, Some(c) if c < 0) {
        p.rule("原值不可为负");
    }
    if matches!(deadline, Some(d) if d < 0) {
        p.rule("资产使用期限不可为负");
    }
    if expire == Some(1) {
        p.rule("不能导入已清退的资产");
    }

    // 5. category
    let mut category_id = None;
    if let (Some(d), Some(t), Some(named)) = (department_id, &tree, &department) {
        match lookups.category(conn, d, t)? {
            // An asset takes a category of its own department's tree.
            None => p.rule(&format!(
                "未找到指定层级分类（分类{}不在部门「{named}」的分类树中）",
                quoted(t)
            )),
            Some((id, accepts)) => {
                category_id = Some(id);
                if let (Some(accepts), Some(c)) = (accepts, class) {
                    if accepts != c {
                        p.rule("资产类别与层级分类不匹配");
                    }
                }
            }
        }
    }

    // 6. owner
    let mut owner = None;
    if let Some(u) = &user {
        match lookups.owner(conn, u)? {
            None => p.rule(&format!(
                "未找到该资产挂账人（本企业没有用户{}）",
                quoted(u)
            )),
            Some(o) => {
                if let (Some(_), Some(named)) = (department_id, &department) {
                    if o.department_id != department_id {
                        let theirs = match o.department_id {
                            Some(id) => {
                                format!("属于部门「{}」", lookups.department_name(conn, id)?)
                            }
                            None => "不属于任何部门".to_owned(),
                        };
                        p.rule(&format!(
                            "指定资产挂账人不处于当前部门（{}{theirs}，资产在部门「{named}」）",
                            quoted(u)
                        ));
                    }
                }
                owner = Some(o);
            }
        }
    }

    // 7. parent
    let mut parent_id = None;
    if let (Some(Some(wanted)), Some(d)) = (&parent, department_id) {
        let entity = lookups.scope.entity_id();
        let found = match wanted {
            Parent::Id(id) => lookups
                .parent_by_id(conn, *id)?
                .filter(|a| {
                    a.entity_id == entity && a.department_id == d && a.asset_class == 1 && !a.expire
                })
                .map(|a| a.id),
            Parent::Name(n) => match lookups.parents_named(conn, d, n)?.as_slice() {
                [one] => Some(*one),
                _ => None,
            },
        };
        if found.is_none() {
            let named = department.unwrap_or_default();
            p.rule(&match wanted {
                Parent::Id(id) => format!(
                    "父资产不符合规范（编号{}不是部门「{named}」在用的条目型资产）",
                    quoted(&id.to_string())
                ),
                Parent::Name(n) => format!(
                    "父资产不符合规范（部门「{named}」没有恰好一项名为{}的在用条目型资产；可写资产编号）",
                    quoted(n)
                ),
            });
        }
        parent_id = found;
    }

    if !p.0.is_empty() {
        return Ok(Err(p.0.join("；")));
    }
    // Every Option below is Some when no problem was recorded; the match keeps that explicit.
    match (
        name,
        class,
        owner,
        price,
        count,
        department_id,
        category_id,
        deadline,
        created,
    ) {
        (
            Some(name),
            Some(asset_class),
            Some(owner),
            Some(initial_price_cents),
            Some(count),
            Some(department_id),
            Some(category_id),
            Some(deadline),
            Some(create_day),
        ) => Ok(Ok(NewAsset {
            entity_id: lookups.scope.entity_id(),
            department_id,
            category_id,
            parent_id,
            owner_id: owner.id,
            name,
            asset_class,
            initial_price_cents,
            description,
            position,
            count,
            create_day,
            deadline,
            status: if owner.character == 2 { 1 } else { 2 },
        })),
        _ => Ok(Err(missing_field_message("row", None))),
    }
}

#[cfg(test)]
mod tests;
