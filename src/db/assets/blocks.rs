//! Where a page of a long list starts. The assets of each department and category are counted
//! per block of 16,384 consecutive ids (`asset_block`), kept beside `department.asset_count` and
//! `category.asset_count` by the same code that inserts, moves and deletes assets, in the same
//! transaction. A list whose total the kept counts give (the scope, perhaps one department,
//! perhaps one category subtree) finds the block holding its page's first row by adding up the
//! blocks' counts, and skips only the rows of that block before it: any page of ten million
//! assets costs about what page 1 costs, where skipping every row before the middle page took
//! 637 ms.

use super::Scope;
use rusqlite::{params, Connection};
use std::collections::HashMap;

/// Ids per block, as a shift: a block is `id >> BLOCK_BITS` (16,384 ids: a page never skips
/// more rows than that, and ten million assets are 611 blocks).
pub const BLOCK_BITS: u32 = 14;

/// The block of an asset id.
pub fn block_of(id: i64) -> i64 {
    id >> BLOCK_BITS
}

/// Assets added (or taken away) per department, category and block, to be added to
/// `asset_block` at once.
#[derive(Debug, Default)]
pub struct BlockTally(HashMap<(i64, i64, i64), i64>);

impl BlockTally {
    pub fn count(&mut self, (department_id, category_id): (i64, i64), id: i64, step: i64) {
        *self
            .0
            .entry((department_id, category_id, block_of(id)))
            .or_default() += step;
    }

    /// Adds the tally to the kept block counts (inside the caller's transaction) and clears it.
    pub fn finish(&mut self, conn: &Connection) -> rusqlite::Result<()> {
        for ((department, category, block), n) in self.0.drain() {
            add(conn, (department, category), block, n)?;
        }
        Ok(())
    }
}

/// Adds `n` (which may be negative) to one department's and category's count in one block.
pub fn add(
    conn: &Connection,
    (department_id, category_id): (i64, i64),
    block: i64,
    n: i64,
) -> rusqlite::Result<()> {
    if n == 0 {
        return Ok(());
    }
    conn.prepare_cached(
        "INSERT INTO asset_block (department_id, category_id, block, n) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (department_id, category_id, block) DO UPDATE SET n = n + excluded.n",
    )?
    .execute(params![department_id, category_id, block, n])?;
    Ok(())
}

/// The category subtree named `category` in the entity: the ids of its categories.
const SUBTREE: &str = "WITH RECURSIVE cats(id) AS (
         SELECT c.id FROM category c JOIN department cd ON cd.id = c.department_id
         WHERE c.name = :category AND cd.entity_id = :entity
         UNION SELECT c.id FROM category c JOIN cats ON c.parent_id = cats.id)";

/// Where the list of `scope` (within one department, within one category subtree, when given)
/// holds its row at position `from` (0-based, in id order): the first id of the block that row
/// is in, and how many of the list's rows lie in that block before it. None when `from` is past
/// the list's end.
pub fn start(
    conn: &Connection,
    scope: &Scope,
    (department, category): (Option<i64>, Option<&str>),
    from: i64,
) -> rusqlite::Result<Option<(i64, i64)>> {
    let departments = match (scope, department) {
        (_, Some(d)) => Some(format!("[{d}]")),
        (Scope::Departments(_, ids), None) => Some(serde_json::to_string(ids).unwrap_or_default()),
        _ => None,
    };
    // The departments of the scope, for the table's key; the categories only when asked.
    let mut sql = String::from(if category.is_some() { SUBTREE } else { "" });
    sql.push_str(" SELECT block, sum(n) FROM asset_block WHERE department_id IN (");
    sql.push_str(match departments {
        Some(_) => "SELECT value FROM json_each(:departments))",
        None => "SELECT id FROM department WHERE entity_id = :entity)",
    });
    if category.is_some() {
        sql.push_str(" AND category_id IN (SELECT id FROM cats)");
    }
    sql.push_str(" GROUP BY block ORDER BY block");
    let entity = scope.entity_id();
    let mut named: Vec<(&str, &dyn rusqlite::ToSql)> = Vec::new();
    if let Some(ids) = &departments {
        named.push((":departments", ids));
    }
    if departments.is_none() || category.is_some() {
        named.push((":entity", &entity));
    }
    if let Some(category) = &category {
        named.push((":category", category));
    }
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query(named.as_slice())?;
    let mut before = 0;
    while let Some(row) = rows.next()? {
        let (block, n): (i64, i64) = (row.get(0)?, row.get(1)?);
        if before + n > from {
            return Ok(Some((block << BLOCK_BITS, from - before)));
        }
        before += n;
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Role;
    use crate::db::assets::{search, Filter, NewAsset};
    use crate::db::changes::{delete_asset, rewrite_asset, stored_asset};
    use crate::db::fixture;
    use crate::db::history::Kind;
    use crate::db::org::{ITEM_CATEGORY, QUANTITY_CATEGORY};
    use crate::paging::Page;

    /// The kept block counts, and what a count of the asset table gives, without empty blocks.
    fn kept_and_counted(conn: &Connection) -> (Vec<[i64; 4]>, Vec<[i64; 4]>) {
        let rows = |sql: &str| -> Vec<[i64; 4]> {
            let mut stmt = conn.prepare(sql).unwrap();
            let rows = stmt.query_map([], |r| Ok([r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?]));
            rows.unwrap().map(Result::unwrap).collect()
        };
        (
            rows(
                "SELECT department_id, category_id, block, n FROM asset_block
                 WHERE n <> 0 ORDER BY 1, 2, 3",
            ),
            rows(
                "SELECT department_id, category_id, id >> 14, count(*) FROM asset
                 GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
            ),
        )
    }

    /// Every page of a list, found from its block, is the list's rows at those positions.
    #[test]
    fn any_page_starts_from_its_block_and_the_blocks_follow_inserts_moves_and_deletes() {
        let conn = fixture::db();
        let c = fixture::insert_company(&conn);
        let liusn = fixture::insert_user(&conn, "liusn", Role::Manager, Some(c.id), Some(c.cst));
        let in_cst = fixture::new_asset(&conn, (c.cst, QUANTITY_CATEGORY), liusn, "设备");
        let in_software = fixture::new_asset(&conn, (c.software, QUANTITY_CATEGORY), liusn, "设备");
        let in_finance = fixture::new_asset(&conn, (c.finance, QUANTITY_CATEGORY), liusn, "设备");
        // Runs of assets, the departments interleaved, with gaps in the ids that span blocks.
        let mut ids = Vec::new();
        for (run, floor) in [0, 16_370, 40_000, 49_150].into_iter().enumerate() {
            conn.execute(
                "UPDATE asset_id_floor SET highest = max(highest, ?1)",
                [floor],
            )
            .unwrap();
            for i in 0..40 {
                let asset = match (run + i) % 3 {
                    0 => &in_cst,
                    1 => &in_software,
                    _ => &in_finance,
                };
                ids.push(fixture::insert_asset(&conn, asset));
            }
        }
        assert!(block_of(ids[0]) < block_of(ids[159]) - 1, "{ids:?}");
        // Some move to another department or category (the same block), some go.
        let finance_items = fixture::new_asset(&conn, (c.finance, ITEM_CATEGORY), liusn, "设备");
        for (i, &id) in ids.iter().step_by(5).enumerate() {
            let before = stored_asset(&conn, id).unwrap().unwrap().values;
            let to = [&in_finance, &finance_items, &in_cst][i % 3];
            let moved = NewAsset {
                department_id: to.department_id,
                category_id: to.category_id,
                ..before.clone()
            };
            let source = fixture::source(&before);
            rewrite_asset(
                &conn,
                id,
                &before,
                (&moved, None),
                (&source, Kind::Modified),
            )
            .unwrap();
        }
        for &id in ids.iter().skip(3).step_by(11) {
            let asset = stored_asset(&conn, id).unwrap().unwrap();
            delete_asset(&conn, &asset, &fixture::source(&asset.values)).unwrap();
        }
        let (kept, counted) = kept_and_counted(&conn);
        assert_eq!(kept, counted);

        let manager = Scope::Departments(c.id, vec![c.cst, c.software]);
        let lists = [
            (Scope::Entity(c.id), None, None),
            (Scope::Entity(c.id), Some(c.finance), None),
            (manager.clone(), None, None),
            (manager.clone(), Some(c.software), None),
            (Scope::Entity(c.id), None, Some(QUANTITY_CATEGORY)),
            (
                Scope::Entity(c.id),
                Some(c.finance),
                Some(QUANTITY_CATEGORY),
            ),
            (manager.clone(), None, Some(QUANTITY_CATEGORY)),
            (Scope::Entity(c.id), None, Some(ITEM_CATEGORY)),
        ];
        for (scope, department, category) in lists {
            let all: Vec<i64> = {
                let mut stmt = conn
                    .prepare(
                        "SELECT a.id, a.department_id, c.name FROM asset a
                         JOIN category c ON c.id = a.category_id ORDER BY a.id",
                    )
                    .unwrap();
                let rows = stmt.query_map([], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, String>(2)?,
                    ))
                });
                rows.unwrap()
                    .map(Result::unwrap)
                    .filter(|(_, d, name)| {
                        scope.covers(*d)
                            && department.is_none_or(|only| only == *d)
                            && category.is_none_or(|only| only == name)
                    })
                    .map(|(id, ..)| id)
                    .collect()
            };
            assert!(all.len() > 5, "{scope:?} {department:?} {category:?}");
            let filter = Filter {
                department_id: department,
                category: category.map(str::to_owned),
                ..Filter::default()
            };
            for size in [1, 7, 50] {
                let pages = (all.len() as i64 + size - 1) / size;
                for page in 1..=pages {
                    let (total, rows) = search(
                        &conn,
                        &scope,
                        &filter,
                        Page::new(page, Some(size)).unwrap(),
                        0,
                    )
                    .unwrap();
                    assert_eq!(total, all.len() as i64);
                    let got: Vec<i64> = rows.iter().map(|a| a.id).collect();
                    let from = ((page - 1) * size) as usize;
                    let want = &all[from..(from + size as usize).min(all.len())];
                    let list = format!("{scope:?} {department:?} {category:?}");
                    assert_eq!(got, want, "{list} page {page} of size {size}");
                }
            }
        }
        // A position past the end has no block.
        let everything = start(&conn, &Scope::Entity(c.id), (None, None), 10_000);
        assert_eq!(everything.unwrap(), None);
    }
}
