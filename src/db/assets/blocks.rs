//! Where a page of a long list starts. Each department's assets are counted per block of
//! `BLOCK_SIZE` consecutive ids (`asset_block`), kept beside `department.asset_count` by the same
//! code that inserts, moves and deletes assets, in the same transaction. A list whose total the
//! kept counts give (the scope, perhaps one department) finds the block holding its page's first
//! row by adding up the blocks' counts, and skips only the rows of that block before it: any
//! page of ten million assets costs about what page 1 costs, where skipping every row before
//! the middle page took 637 ms.

use super::Scope;
use rusqlite::{params, Connection};
use std::collections::HashMap;

/// Ids per block, as a shift: a block is `id >> BLOCK_BITS` (16,384 ids: a page never skips
/// more rows than that, and ten million assets are 611 blocks a department).
pub const BLOCK_BITS: u32 = 14;

/// The block of an asset id.
pub fn block_of(id: i64) -> i64 {
    id >> BLOCK_BITS
}

/// Assets added (or taken away) per department and block, to be added to `asset_block` at once.
#[derive(Debug, Default)]
pub struct BlockTally(HashMap<(i64, i64), i64>);

impl BlockTally {
    pub fn count(&mut self, department_id: i64, id: i64, step: i64) {
        *self.0.entry((department_id, block_of(id))).or_default() += step;
    }

    /// Adds the tally to the kept block counts (inside the caller's transaction) and clears it.
    pub fn finish(&mut self, conn: &Connection) -> rusqlite::Result<()> {
        for ((department, block), n) in self.0.drain() {
            add(conn, department, block, n)?;
        }
        Ok(())
    }
}

/// Adds `n` (which may be negative) to one department's count in one block.
pub fn add(conn: &Connection, department_id: i64, block: i64, n: i64) -> rusqlite::Result<()> {
    if n == 0 {
        return Ok(());
    }
    conn.prepare_cached(
        "INSERT INTO asset_block (department_id, block, n) VALUES (?1, ?2, ?3)
         ON CONFLICT (department_id, block) DO UPDATE SET n = n + excluded.n",
    )?
    .execute(params![department_id, block, n])?;
    Ok(())
}

/// Where the list of `scope` (within one department when given) holds its row at position
/// `from` (0-based, in id order): the first id of the block that row is in, and how many of the
/// list's rows lie in that block before it. None when `from` is past the list's end.
pub fn start(
    conn: &Connection,
    scope: &Scope,
    department: Option<i64>,
    from: i64,
) -> rusqlite::Result<Option<(i64, i64)>> {
    let departments = match (scope, department) {
        (_, Some(d)) => Some(format!("[{d}]")),
        (Scope::Departments(_, ids), None) => Some(serde_json::to_string(ids).unwrap_or_default()),
        _ => None,
    };
    // Each form lets SQLite take the table's key by department.
    let mut stmt;
    let mut rows = match &departments {
        Some(ids) => {
            stmt = conn.prepare_cached(
                "SELECT block, sum(n) FROM asset_block
                 WHERE department_id IN (SELECT value FROM json_each(?1))
                 GROUP BY block ORDER BY block",
            )?;
            stmt.query([ids])?
        }
        None => {
            stmt = conn.prepare_cached(
                "SELECT block, sum(n) FROM asset_block
                 WHERE department_id IN (SELECT id FROM department WHERE entity_id = ?1)
                 GROUP BY block ORDER BY block",
            )?;
            stmt.query([scope.entity_id()])?
        }
    };
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
    use crate::db::org::QUANTITY_CATEGORY;
    use crate::paging::Page;

    /// The kept block counts, and what a count of the asset table gives, without empty blocks.
    fn kept_and_counted(conn: &Connection) -> (Vec<(i64, i64, i64)>, Vec<(i64, i64, i64)>) {
        let rows = |sql: &str| -> Vec<(i64, i64, i64)> {
            let mut stmt = conn.prepare(sql).unwrap();
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)));
            rows.unwrap().map(Result::unwrap).collect()
        };
        (
            rows("SELECT department_id, block, n FROM asset_block WHERE n <> 0 ORDER BY 1, 2"),
            rows(
                "SELECT department_id, id >> 14, count(*) FROM asset
                 GROUP BY 1, 2 ORDER BY 1, 2",
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
            conn.execute("UPDATE asset_id_floor SET highest = max(highest, ?1)", [floor])
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
        // Some move to another department (the same block, another department), some go.
        for &id in ids.iter().step_by(7) {
            let before = stored_asset(&conn, id).unwrap().unwrap().values;
            let moved = NewAsset {
                department_id: c.finance,
                category_id: in_finance.category_id,
                ..before.clone()
            };
            let source = fixture::source(&before);
            rewrite_asset(&conn, id, &before, (&moved, None), (&source, Kind::Modified)).unwrap();
        }
        for &id in ids.iter().skip(3).step_by(11) {
            let asset = stored_asset(&conn, id).unwrap().unwrap();
            delete_asset(&conn, &asset, &fixture::source(&asset.values)).unwrap();
        }
        let (kept, counted) = kept_and_counted(&conn);
        assert_eq!(kept, counted);

        let lists = [
            (Scope::Entity(c.id), None),
            (Scope::Entity(c.id), Some(c.finance)),
            (Scope::Departments(c.id, vec![c.cst, c.software]), None),
            (Scope::Departments(c.id, vec![c.cst, c.software]), Some(c.software)),
        ];
        for (scope, department) in lists {
            let all: Vec<i64> = {
                let mut stmt = conn
                    .prepare("SELECT id, department_id FROM asset ORDER BY id")
                    .unwrap();
                let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get(1)?)));
                rows.unwrap()
                    .map(Result::unwrap)
                    .filter(|&(_, d): &(i64, i64)| {
                        department.map_or(scope.covers(d), |only| only == d && scope.covers(d))
                    })
                    .map(|(id, _)| id)
                    .collect()
            };
            assert!(all.len() > 30, "{scope:?} {department:?}");
            let filter = Filter {
                department_id: department,
                ..Filter::default()
            };
            for size in [1, 7, 50] {
                let pages = (all.len() as i64 + size - 1) / size;
                for page in 1..=pages {
                    let (total, rows) =
                        search(&conn, &scope, &filter, Page::new(page, Some(size)).unwrap(), 0)
                            .unwrap();
                    assert_eq!(total, all.len() as i64);
                    let got: Vec<i64> = rows.iter().map(|a| a.id).collect();
                    let from = ((page - 1) * size) as usize;
                    let want = &all[from..(from + size as usize).min(all.len())];
                    assert_eq!(got, want, "{scope:?} {department:?} page {page} of size {size}");
                }
            }
        }
        // A position past the end has no block.
        assert_eq!(start(&conn, &Scope::Entity(c.id), None, 10_000).unwrap(), None);
    }
}
