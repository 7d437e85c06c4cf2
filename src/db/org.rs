//! Departments and their category trees.

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

pub const ROOT_CATEGORY: &str = "默认分类";
pub const QUANTITY_CATEGORY: &str = "数量型资产";
pub const ITEM_CATEGORY: &str = "条目型资产";

#[derive(Debug, Clone)]
pub struct Department {
    pub id: i64,
    pub entity_id: i64,
    pub parent_id: Option<i64>,
    pub name: String,
}

fn department_row(r: &rusqlite::Row) -> rusqlite::Result<Department> {
    Ok(from_row!(r, Department; id, entity_id, parent_id, name))
}

pub fn department_by_name(
    conn: &Connection,
    entity_id: i64,
    name: &str,
) -> rusqlite::Result<Option<Department>> {
    conn.prepare_cached(
        "SELECT id, entity_id, parent_id, name FROM department WHERE entity_id = ?1 AND name = ?2",
    )?
    .query_row(params![entity_id, name], department_row)
    .optional()
}

pub fn department_by_id(conn: &Connection, id: i64) -> rusqlite::Result<Option<Department>> {
    conn.prepare_cached("SELECT id, entity_id, parent_id, name FROM department WHERE id = ?1")?
        .query_row([id], department_row)
        .optional()
}

pub fn entity_name(conn: &Connection, id: i64) -> rusqlite::Result<Option<String>> {
    conn.prepare_cached("SELECT name FROM entity WHERE id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()
}

/// The department and all departments below it.
pub fn department_subtree(conn: &Connection, root: i64) -> rusqlite::Result<Vec<i64>> {
    let mut stmt = conn.prepare_cached(
        "WITH RECURSIVE sub(id) AS (
             SELECT ?1 UNION SELECT d.id FROM department d JOIN sub ON d.parent_id = sub.id)
         SELECT id FROM sub",
    )?;
    let ids = stmt.query_map([root], |r| r.get(0))?;
    ids.collect()
}

/// Creates a department and the three fixed nodes of its category tree.
pub fn insert_department(
    conn: &Connection,
    entity_id: i64,
    parent_id: Option<i64>,
    name: &str,
) -> rusqlite::Result<i64> {
    conn.execute(
        "INSERT INTO department (entity_id, parent_id, name) VALUES (?1, ?2, ?3)",
        params![entity_id, parent_id, name],
    )?;
    let department_id = conn.last_insert_rowid();
    let root = insert_category(conn, department_id, None, ROOT_CATEGORY, None, true)?;
    insert_category(
        conn,
        department_id,
        Some(root),
        QUANTITY_CATEGORY,
        Some(0),
        true,
    )?;
    insert_category(
        conn,
        department_id,
        Some(root),
        ITEM_CATEGORY,
        Some(1),
        true,
    )?;
    Ok(department_id)
}

#[derive(Serialize)]
pub struct DepartmentView {
    pub id: i64,
    pub name: String,
    pub parent: String,
    pub users: i64,
    pub assets: i64,
}

pub fn departments_of_entity(
    conn: &Connection,
    entity_id: i64,
) -> rusqlite::Result<Vec<DepartmentView>> {
    let mut stmt = conn.prepare(
        "SELECT d.id, d.name, coalesce(p.name, ''),
                (SELECT count(*) FROM user u WHERE u.department_id = d.id),
                d.asset_count
         FROM department d LEFT JOIN department p ON p.id = d.parent_id
         WHERE d.entity_id = ?1 ORDER BY d.id",
    )?;
    let rows = stmt.query_map([entity_id], |r| {
        Ok(from_row!(r, DepartmentView; id, name, parent, users, assets))
    })?;
    rows.collect()
}

/// Why a department cannot be deleted, if it cannot.
pub fn department_in_use(conn: &Connection, id: i64) -> rusqlite::Result<Option<&'static str>> {
    let count = |sql: &str| conn.query_row(sql, [id], |r| r.get::<_, i64>(0));
    if count("SELECT count(*) FROM department WHERE parent_id = ?1")? > 0 {
        return Ok(Some("该部门下还有子部门，无法删除"));
    }
    if count("SELECT count(*) FROM user WHERE department_id = ?1")? > 0 {
        return Ok(Some("该部门下还有用户，无法删除"));
    }
    if count("SELECT count(*) FROM asset WHERE department_id = ?1")? > 0 {
        return Ok(Some("该部门下还有资产，无法删除"));
    }
    Ok(None)
}

pub fn delete_department(conn: &Connection, id: i64) -> rusqlite::Result<()> {
    // One statement for the whole tree: SQLite checks the tree's self-reference when the
    // statement ends, so the order of deletion does not matter.
    conn.execute("DELETE FROM category WHERE department_id = ?1", [id])?;
    conn.execute("DELETE FROM department WHERE id = ?1", [id])?;
    Ok(())
}

#[derive(Debug, Clone)]
pub struct Category {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub name: String,
    /// None accepts both classes.
    pub class: Option<i64>,
    pub fixed: bool,
}

fn category_row(r: &rusqlite::Row) -> rusqlite::Result<Category> {
    Ok(from_row!(r, Category; id, parent_id, name, class, fixed))
}

pub fn insert_category(
    conn: &Connection,
    department_id: i64,
    parent_id: Option<i64>,
    name: &str,
    class: Option<i64>,
    fixed: bool,
) -> rusqlite::Result<i64> {
    conn.execute(
        "INSERT INTO category (department_id, parent_id, name, class, fixed)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![department_id, parent_id, name, class, fixed as i64],
    )?;
    Ok(conn.last_insert_rowid())
}

pub fn category_by_name(
    conn: &Connection,
    department_id: i64,
    name: &str,
) -> rusqlite::Result<Option<Category>> {
    conn.prepare_cached(
        "SELECT id, parent_id, name, class, fixed FROM category
         WHERE department_id = ?1 AND name = ?2",
    )?
    .query_row(params![department_id, name], category_row)
    .optional()
}

pub fn categories_of_department(
    conn: &Connection,
    department_id: i64,
) -> rusqlite::Result<Vec<Category>> {
    let mut stmt = conn.prepare(
        "SELECT id, parent_id, name, class, fixed FROM category
         WHERE department_id = ?1 ORDER BY id",
    )?;
    let rows = stmt.query_map([department_id], category_row)?;
    rows.collect()
}

/// The category and all categories below it.
pub fn category_subtree(conn: &Connection, root: i64) -> rusqlite::Result<Vec<i64>> {
    let mut stmt = conn.prepare_cached(
        "WITH RECURSIVE sub(id) AS (
             SELECT ?1 UNION SELECT c.id FROM category c JOIN sub ON c.parent_id = sub.id)
         SELECT id FROM sub",
    )?;
    let ids = stmt.query_map([root], |r| r.get(0))?;
    ids.collect()
}

/// Why a category cannot be deleted, if it cannot.
pub fn category_in_use(conn: &Connection, c: &Category) -> rusqlite::Result<Option<&'static str>> {
    if c.fixed {
        return Ok(Some("不能删除默认的层级分类"));
    }
    let count = |sql: &str| conn.query_row(sql, [c.id], |r| r.get::<_, i64>(0));
    if count("SELECT count(*) FROM category WHERE parent_id = ?1")? > 0 {
        return Ok(Some("只能删除没有子分类的层级分类"));
    }
    if count("SELECT count(*) FROM asset WHERE category_id = ?1")? > 0 {
        return Ok(Some("该分类下还有资产，无法删除"));
    }
    Ok(None)
}

pub fn delete_category(conn: &Connection, id: i64) -> rusqlite::Result<()> {
    conn.execute("DELETE FROM category WHERE id = ?1", [id])?;
    Ok(())
}

/// What the import template's example row names: a department within the caller's reach, one of
/// its categories, and a user of it who may own assets.
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateExample {
    pub department: String,
    pub category: String,
    /// The classes the category takes (None: both).
    pub class: Option<i64>,
    pub user: String,
}

/// The example for a caller within `departments` of `entity` (None: every department of it):
/// the caller's own department and the caller first, then its asset manager, a category that
/// takes quantity assets before one that does not; None when no department in reach has both a
/// category and a user.
pub fn template_example(
    conn: &Connection,
    entity: i64,
    departments: Option<&[i64]>,
    caller: (i64, Option<i64>),
) -> rusqlite::Result<Option<TemplateExample>> {
    let departments = departments.map(|ids| serde_json::to_string(ids).unwrap_or_default());
    conn.prepare_cached(
        "SELECT d.name, c.name, c.class, u.name
         FROM department d
         JOIN category c ON c.department_id = d.id
         JOIN user u ON u.department_id = d.id AND u.character IN (1, 2)
         WHERE d.entity_id = ?1
           AND (?2 IS NULL OR d.id IN (SELECT value FROM json_each(?2)))
         ORDER BY d.id = ?4 DESC, u.id = ?3 DESC, u.character DESC,
                  coalesce(c.class, 0) = 0 DESC, d.id, c.id, u.id
         LIMIT 1",
    )?
    .query_row(params![entity, departments, caller.0, caller.1], |r| {
        Ok(TemplateExample {
            department: r.get(0)?,
            category: r.get(1)?,
            class: r.get(2)?,
            user: r.get(3)?,
        })
    })
    .optional()
}
