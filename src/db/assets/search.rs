//! Asset lists and searches within a caller's scope: only the conditions given, each able to
//! use an index, totals from the kept counts where they suffice, and the trigram index for
//! substrings.

use super::*;

/// Which assets a caller may see and manage.
#[derive(Debug, Clone)]
pub enum Scope {
    /// System admin: the whole entity.
    Entity(i64),
    /// Asset manager: these departments (its own and those below) of the entity.
    Departments(i64, Vec<i64>),
    /// Staff: assets they own.
    Owner(i64, i64),
}

impl Scope {
    pub fn entity_id(&self) -> i64 {
        match self {
            Scope::Entity(e) | Scope::Departments(e, _) | Scope::Owner(e, _) => *e,
        }
    }

    pub fn covers(&self, department_id: i64) -> bool {
        match self {
            Scope::Entity(_) => true,
            Scope::Departments(_, ids) => ids.contains(&department_id),
            Scope::Owner(..) => false,
        }
    }
}

#[derive(Debug, Default, Clone)]
pub struct Filter {
    pub department_id: Option<i64>,
    pub category: Option<String>,
    pub id: Option<i64>,
    pub name: Option<String>,
    pub user: Option<String>,
    pub price_inf_cents: Option<i64>,
    pub price_sup_cents: Option<i64>,
    pub description: Option<String>,
    pub expire: Option<i64>,
    /// 使用状态: 1 闲置, 2 使用中, 3 维保中.
    pub status: Option<i64>,
    /// Children of this asset.
    pub parent_id: Option<i64>,
}

/// Assets in `scope` matching `filter`, by id. The SQL holds only the conditions given, each
/// with bound parameters, so SQLite can use an index for each (a `(:x IS NULL OR …)` form
/// stopped it). The total comes from the departments' kept counts when nothing but the scope
/// (and perhaps one department) narrows the list; a page's ids are found on the asset table
/// alone, from whichever end is nearer, before its rows are joined.
pub fn search(
    conn: &Connection,
    scope: &Scope,
    filter: &Filter,
    page: Page,
    today: i64,
) -> Result<(i64, Vec<AssetView>), crate::error::Error> {
    let query = ListQuery::new(scope, filter, today);
    let bound = query.bound();
    if query.text_indexed {
        return text_search(conn, &query, page, today);
    }
    let total = match (query.narrowed, &filter.category) {
        (false, _) => kept_count(conn, scope, filter.department_id)?,
        (true, Some(category)) if query.by_category => {
            kept_category_count(conn, scope, filter.department_id, category)?
        }
        (true, _) => conn
            .prepare_cached(&query.count_sql())?
            .query_row(bound.as_slice(), |r| r.get(0))?,
    };
    page.check(total)?;
    // The page's positions [from, to) in id order.
    let from = page.offset().min(total);
    let to = from.saturating_add(page.size).min(total);
    if from >= to {
        return Ok((total, Vec::new()));
    }
    // A list the kept counts total starts from the block holding its first row; another walks
    // from whichever end is nearer.
    let start = match (query.narrowed, &filter.category) {
        (false, _) => super::blocks::start(conn, scope, (filter.department_id, None), from)?,
        (true, Some(category)) if query.by_category => {
            let by = (filter.department_id, Some(category.as_str()));
            super::blocks::start(conn, scope, by, from)?
        }
        (true, _) => None,
    };
    let ids = match start {
        Some((first_id, skip)) => query.ids_from_sql(first_id, to - from, skip),
        None if from > total / 2 => query.ids_sql(true, to - from, total - to),
        None => query.ids_sql(false, to - from, from),
    };
    let view = format!("{} WHERE a.id IN ({ids}) ORDER BY a.id", view_select());
    let mut all = bound;
    if !query.uses_price {
        all.push((":today", &today));
    }
    let mut stmt = conn.prepare_cached(&view)?;
    let rows = stmt.query_map(all.as_slice(), |r| view_row(r, today))?;
    Ok((total, rows.collect::<rusqlite::Result<_>>()?))
}

/// A search the trigram index narrows: its matches are checked once, row by row (their entity,
/// the exact substring), counting them and keeping the page's ids on the way, rather than
/// counted in one pass and walked to the page in another. Their number is bounded by what the
/// index found, not by the register.
fn text_search(
    conn: &Connection,
    query: &ListQuery,
    page: Page,
    today: i64,
) -> Result<(i64, Vec<AssetView>), crate::error::Error> {
    let bound = query.bound();
    let from = page.offset();
    let to = from.saturating_add(page.size);
    let (mut total, mut ids) = (0i64, Vec::new());
    {
        let mut stmt = conn.prepare_cached(&query.ids_sql(false, -1, 0))?;
        let mut rows = stmt.query(bound.as_slice())?;
        while let Some(row) = rows.next()? {
            if (from..to).contains(&total) {
                ids.push(row.get::<_, i64>(0)?.to_string());
            }
            total += 1;
        }
    }
    page.check(total)?;
    if ids.is_empty() {
        return Ok((total, Vec::new()));
    }
    let view = format!(
        "{} WHERE a.id IN ({}) ORDER BY a.id",
        view_select(),
        ids.join(",")
    );
    let mut stmt = conn.prepare(&view)?;
    let rows = stmt.query_map(&[(":today", &today)], |r| view_row(r, today))?;
    Ok((total, rows.collect::<rusqlite::Result<_>>()?))
}

/// The ids of every asset in `scope` matching `filter`, in id order (an export of a search).
pub fn matching_ids(
    conn: &Connection,
    scope: &Scope,
    filter: &Filter,
    today: i64,
) -> rusqlite::Result<Vec<i64>> {
    let query = ListQuery::new(scope, filter, today);
    let bound = query.bound();
    let mut stmt = conn.prepare(&query.ids_sql(false, -1, 0))?;
    let ids = stmt.query_map(bound.as_slice(), |r| r.get(0))?;
    ids.collect()
}

/// Assets as they stood on a past day, for `matching_ids_as_of`: this connection's own table,
/// with the asset table's columns, of the few assets that changed since.
const PAST_TABLE: &str = "temp.past_asset";

/// Holds assets as they stood (`NewAsset` with retirement and id) in a table of this
/// connection, for a search to pick from; dropped again by `finish`.
pub fn store_past_assets<'a>(
    conn: &Connection,
    assets: impl Iterator<Item = (i64, &'a NewAsset, bool)>,
) -> rusqlite::Result<()> {
    conn.execute_batch(&format!(
        "DROP TABLE IF EXISTS {PAST_TABLE};
         CREATE TABLE {PAST_TABLE} (id INTEGER PRIMARY KEY, entity_id, department_id,
             category_id, parent_id, owner_id, name, asset_class, initial_price_cents,
             description, position, count, create_day, deadline, status, expire);"
    ))?;
    let mut insert = conn.prepare(&format!(
        "INSERT INTO {PAST_TABLE} ({COLUMNS}, id, expire)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)"
    ))?;
    for (id, a, expire) in assets {
        insert.execute(a.columns_and(&[&id, &expire]))?;
    }
    Ok(())
}

/// The ids of the assets `store_past_assets` holds that match the filter (with `today` the
/// past day), in id order; the table is dropped.
pub fn matching_past_ids(
    conn: &Connection,
    scope: &Scope,
    filter: &Filter,
    today: i64,
) -> rusqlite::Result<Vec<i64>> {
    let mut query = ListQuery::new(scope, filter, today);
    query.table = PAST_TABLE;
    let bound = query.bound();
    let ids = {
        let mut stmt = conn.prepare(&query.ids_sql(false, -1, 0))?;
        let ids = stmt.query_map(bound.as_slice(), |r| r.get(0))?;
        ids.collect::<rusqlite::Result<Vec<i64>>>()?
    };
    conn.execute_batch(&format!("DROP TABLE {PAST_TABLE}"))?;
    Ok(ids)
}

/// A name or description substring of 3 or more characters: the assets the trigram index
/// (`asset_text`) finds, and those past what it has indexed yet; `instr` then checks each
/// exactly (the index ignores ASCII case). A shorter one has no trigram: `instr` reads the rows.
const TEXT_INDEXED: &str =
    "a.id IN (SELECT rowid FROM asset_text WHERE asset_text MATCH :name_match
     UNION ALL SELECT id FROM asset WHERE id > (SELECT indexed_to FROM text_index))";
const TEXT_INDEXED_DESCRIPTION: &str = "a.id IN (SELECT rowid FROM asset_text
         WHERE asset_text MATCH :description_match
     UNION ALL SELECT id FROM asset WHERE id > (SELECT indexed_to FROM text_index))";

/// The FTS5 query for `text` as a substring of `column`: a quoted phrase of its trigrams. None
/// for a text of fewer than 3 characters (no trigram) or with a control character (NUL ends an
/// FTS5 query early; no stored name holds one): `instr` alone answers those.
fn trigram_phrase(column: &str, text: &str) -> Option<String> {
    if text.chars().count() < 3 || text.contains(char::is_control) {
        return None;
    }
    Some(format!("{column}:\"{}\"", text.replace('"', "\"\"")))
}

/// The scope's and department's conditions as an index takes them (`[0]`), and as checked on a
/// row found by id (`[1]`, after a trigram search: see `ListQuery::new`).
const ENTITY: [&str; 2] = ["a.entity_id = :entity", "+a.entity_id = :entity"];
const DEPARTMENTS: [&str; 2] = [
    "a.department_id IN (SELECT value FROM json_each(:departments))",
    "+a.department_id IN (SELECT value FROM json_each(:departments))",
];
const DEPARTMENT: [&str; 2] = [
    "a.department_id = :department",
    "+a.department_id = :department",
];

/// The conditions of an asset list, only those given, with their parameters.
struct ListQuery {
    conditions: String,
    params: Vec<(&'static str, Box<dyn rusqlite::ToSql>)>,
    /// Something narrows the list beyond the scope and one department: the total is counted.
    narrowed: bool,
    /// What narrows it is a category subtree alone: its kept counts give the total.
    by_category: bool,
    uses_price: bool,
    /// The trigram index narrows it (a name or description substring of 3 or more characters).
    text_indexed: bool,
    /// The table the assets are read from: `asset`, or assets as they stood (`PAST_TABLE`),
    /// which the text index does not cover: there `instr` alone checks a name.
    table: &'static str,
}

impl ListQuery {
    fn new(scope: &Scope, filter: &Filter, today: i64) -> ListQuery {
        let name_phrase = filter
            .name
            .as_deref()
            .and_then(|n| trigram_phrase("name", n));
        let description_phrase =
            (filter.description.as_deref()).and_then(|d| trigram_phrase("description", d));
        // With the trigram index to go by, each asset it found is looked up by id and its
        // entity and department are checked on the row: `+` keeps SQLite from taking their
        // index for that, which costs a page of the index per asset found, twice the row's own.
        let on_row = usize::from(name_phrase.is_some() || description_phrase.is_some());
        let mut conditions = vec![ENTITY[on_row]];
        let mut params: Vec<(&'static str, Box<dyn rusqlite::ToSql>)> =
            vec![(":entity", Box::new(scope.entity_id()))];
        let mut narrowed = false;
        match scope {
            Scope::Entity(_) => {}
            Scope::Departments(_, ids) => {
                conditions.push(DEPARTMENTS[on_row]);
                let ids = serde_json::to_string(ids).unwrap_or_default();
                params.push((":departments", Box::new(ids)));
            }
            Scope::Owner(_, user) => {
                narrowed = true;
                conditions.push("a.owner_id = :owner");
                params.push((":owner", Box::new(*user)));
            }
        }
        let mut add =
            |condition: &'static str, name: &'static str, value: Box<dyn rusqlite::ToSql>| {
                conditions.push(condition);
                params.push((name, value));
            };
        if let Some(d) = filter.department_id {
            add(DEPARTMENT[on_row], ":department", Box::new(d));
        }
        if let Some(c) = &filter.category {
            add(
                "a.category_id IN (
                     WITH RECURSIVE cats(id) AS (
                         SELECT c.id FROM category c JOIN department cd ON cd.id = c.department_id
                         WHERE c.name = :category AND cd.entity_id = :entity
                         UNION SELECT c.id FROM category c JOIN cats ON c.parent_id = cats.id)
                     SELECT id FROM cats)",
                ":category",
                Box::new(c.clone()),
            );
        }
        if let Some(id) = filter.id {
            add("a.id = :id", ":id", Box::new(id));
        }
        if let Some(name) = &filter.name {
            if let Some(phrase) = name_phrase {
                add(TEXT_INDEXED, ":name_match", Box::new(phrase));
            }
            add("instr(a.name, :name) > 0", ":name", Box::new(name.clone()));
        }
        if let Some(user) = &filter.user {
            add(
                "a.owner_id IN (SELECT id FROM user
                                WHERE name = :user COLLATE NOCASE AND entity_id = :entity)",
                ":user",
                Box::new(user.clone()),
            );
        }
        if let Some(p) = filter.price_inf_cents {
            add("(PRICE) >= :price_inf", ":price_inf", Box::new(p));
        }
        if let Some(p) = filter.price_sup_cents {
            add("(PRICE) <= :price_sup", ":price_sup", Box::new(p));
        }
        if let Some(d) = &filter.description {
            if let Some(phrase) = description_phrase {
                add(
                    TEXT_INDEXED_DESCRIPTION,
                    ":description_match",
                    Box::new(phrase),
                );
            }
            add(
                "instr(a.description, :description) > 0",
                ":description",
                Box::new(d.clone()),
            );
        }
        if let Some(st) = filter.status {
            add("a.status = :status", ":status", Box::new(st));
        }
        if let Some(p) = filter.parent_id {
            // `IS NOT NULL` lets SQLite take the partial index of assets with a parent.
            add(
                "a.parent_id = :parent AND a.parent_id IS NOT NULL",
                ":parent",
                Box::new(p),
            );
        }
        match filter.expire {
            // Written as the partial index's own condition, so SQLite can take that index.
            Some(1) => conditions.push("a.expire = 1"),
            Some(e) => add("a.expire = :expire", ":expire", Box::new(e)),
            None => {}
        }
        let uses_price = filter.price_inf_cents.is_some() || filter.price_sup_cents.is_some();
        if uses_price {
            params.push((":today", Box::new(today)));
        }
        // Anything past the scope and the department filter narrows it.
        let scoped = 1 + usize::from(matches!(scope, Scope::Departments(..)));
        let department = usize::from(filter.department_id.is_some());
        // Only a category subtree narrows it: its categories' kept counts give the total.
        let by_category =
            !narrowed && filter.category.is_some() && conditions.len() == scoped + department + 1;
        narrowed |= conditions.len() > scoped + department;
        // With an owner or a category to go by, their index finds the rows, and the entity
        // condition goes: the owner (the caller, or a user found within the entity) and the
        // category subtree (found within the entity) hold only the entity's assets, and
        // checking it would read every row the index found.
        if matches!(scope, Scope::Owner(..)) || filter.user.is_some() || filter.category.is_some() {
            conditions.remove(0);
            if !conditions.iter().any(|c| c.contains(":entity")) {
                params.retain(|(name, _)| *name != ":entity");
            }
        }
        let conditions = conditions.join(" AND ");
        ListQuery {
            conditions: conditions.replace("PRICE", PRICE_CENTS),
            params,
            narrowed,
            by_category,
            uses_price,
            text_indexed: on_row == 1,
            table: "asset",
        }
    }

    fn bound(&self) -> Vec<(&str, &dyn rusqlite::ToSql)> {
        let text_index = [":name_match", ":description_match"];
        self.params
            .iter()
            .filter(|(n, _)| self.table == "asset" || !text_index.contains(n))
            .map(|(n, v)| (*n, v.as_ref()))
            .collect()
    }

    /// The conditions, without the text index's where the table is not `asset`.
    fn conditions(&self) -> String {
        if self.table == "asset" {
            return self.conditions.clone();
        }
        self.conditions
            .replace(TEXT_INDEXED, "1")
            .replace(TEXT_INDEXED_DESCRIPTION, "1")
    }

    fn count_sql(&self) -> String {
        format!("SELECT count(*) FROM asset a WHERE {}", self.conditions)
    }

    /// The ids of one page: `limit` of them after skipping `skip` from id `first_id` on (a
    /// block's first id: `blocks::start`).
    fn ids_from_sql(&self, first_id: i64, limit: i64, skip: i64) -> String {
        format!(
            "SELECT a.id FROM {} a WHERE {} AND a.id >= {first_id}
             ORDER BY a.id LIMIT {limit} OFFSET {skip}",
            self.table,
            self.conditions()
        )
    }

    /// The ids of one page: `limit` of them after `skip`, from the low or the high end.
    fn ids_sql(&self, descending: bool, limit: i64, skip: i64) -> String {
        let order = if descending { "DESC" } else { "ASC" };
        format!(
            "SELECT a.id FROM {} a WHERE {} ORDER BY a.id {order} LIMIT {limit} OFFSET {skip}",
            self.table,
            self.conditions()
        )
    }
}

/// The number of assets in the category subtree named `category` within `scope` (and one
/// department when given), from the categories' kept counts. An asset's category belongs to
/// its department, so a category's department stands for its assets'.
fn kept_category_count(
    conn: &Connection,
    scope: &Scope,
    department: Option<i64>,
    category: &str,
) -> rusqlite::Result<i64> {
    let departments = match scope {
        Scope::Departments(_, ids) => Some(serde_json::to_string(ids).unwrap_or_default()),
        _ => None,
    };
    conn.prepare_cached(
        "WITH RECURSIVE cats(id) AS (
             SELECT c.id FROM category c JOIN department cd ON cd.id = c.department_id
             WHERE c.name = ?1 AND cd.entity_id = ?2
             UNION SELECT c.id FROM category c JOIN cats ON c.parent_id = cats.id)
         SELECT coalesce(sum(c.asset_count), 0) FROM category c
         WHERE c.id IN (SELECT id FROM cats)
           AND (?3 IS NULL OR c.department_id IN (SELECT value FROM json_each(?3)))
           AND (?4 IS NULL OR c.department_id = ?4)",
    )?
    .query_row(
        params![category, scope.entity_id(), departments, department],
        |r| r.get(0),
    )
}

/// The number of assets in `scope` (within one department when `department` is given), from
/// the departments' kept counts.
fn kept_count(conn: &Connection, scope: &Scope, department: Option<i64>) -> rusqlite::Result<i64> {
    let entity = scope.entity_id();
    match (scope, department) {
        (_, Some(d)) if scope.covers(d) => conn
            .prepare_cached(
                "SELECT coalesce(sum(asset_count), 0) FROM department WHERE id = ?1 AND entity_id = ?2",
            )?
            .query_row(params![d, entity], |r| r.get(0)),
        (_, Some(_)) => Ok(0),
        (Scope::Departments(_, ids), None) => conn
            .prepare_cached(
                "SELECT coalesce(sum(asset_count), 0) FROM department
                 WHERE entity_id = ?1 AND id IN (SELECT value FROM json_each(?2))",
            )?
            .query_row(
                params![entity, serde_json::to_string(ids).unwrap_or_default()],
                |r| r.get(0),
            ),
        _ => conn
            .prepare_cached(
                "SELECT coalesce(sum(asset_count), 0) FROM department WHERE entity_id = ?1",
            )?
            .query_row([entity], |r| r.get(0)),
    }
}

#[cfg(test)]
#[path = "search_tests.rs"]
mod tests;
