//! Correcting the register from a completed stocktake (`POST …/{id}/adjust?dry_run=`): the
//! differences the manager accepts (位置不符 → the position found, 数量不符 → the count found,
//! 持有人不符 → the holder found) become an update import of those assets, a task like any import:
//! a dry run previews it and is confirmed, and an undo takes it back. The import names the
//! stocktake, so its history entries read 盘点调整 with the stocktake's id. A line whose asset
//! changed in the register after the snapshot is left out (its found value may be stale), and
//! counted in the answer. 盘亏 and 盘盈 are not taken into the register here: a missing asset is
//! retired, and a found one created, by hand or by import, after a look.

use super::{found, Names, COMPLETED};
use crate::auth::Caller;
use crate::db::stocktake as sql;
use crate::db::tasks::{NewTask, TaskKind, TaskWriter};
use crate::db::Conn;
use crate::error::{Error, Result};
use serde::Deserialize;
use serde_json::{json, Value};

/// Which differences to take into the register: any of `misplaced`, `count_differs`,
/// `holder_differs` (absent: all three).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Adjust {
    pub accept: Option<Vec<String>>,
}

const ACCEPTED: [(&str, i64); 3] = [
    ("misplaced", 2),
    ("count_differs", 3),
    ("holder_differs", 4),
];

/// Stores the adjustment of stocktake `id` as an import task (`dry_run`: checked only, to be
/// confirmed); answers its id, its rows and the lines left out for a change since.
pub fn adjust(
    conn: &mut Conn,
    caller: &Caller,
    id: i64,
    (dry_run, body): (bool, Adjust),
    chunk_rows: usize,
) -> Result<Value> {
    let row = found(conn, caller, id)?;
    if row.state != COMPLETED {
        return Err(Error::Rule(format!(
            "只有已完成的盘点可以调整登记表（该盘点{}）",
            super::state_label(row.state)
        )));
    }
    let states: Vec<i64> = match &body.accept {
        None => ACCEPTED.iter().map(|a| a.1).collect(),
        Some(names) => names
            .iter()
            .map(|n| {
                ACCEPTED
                    .iter()
                    .find(|a| a.0 == n.trim())
                    .map(|a| a.1)
                    .ok_or_else(|| {
                        Error::BadBody(crate::rows::missing_field_message(
                            "accept",
                            Some("可调整的差异为 misplaced、count_differs、holder_differs"),
                        ))
                    })
            })
            .collect::<Result<_>>()?,
    };
    let mut rows = Vec::new();
    let mut left_out = 0;
    let mut names = Names::default();
    for state in states {
        let mut offset = 0;
        loop {
            let lines = sql::lines(conn, id, Some(state), (offset, 5000))?;
            for l in &lines {
                if l.revision_now != Some(l.revision) {
                    left_out += 1;
                    continue;
                }
                let mut r = json!({"id": l.asset_id});
                match state {
                    2 => r["position"] = json!(l.found_position),
                    3 => r["count"] = json!(l.found_count),
                    _ => {
                        let holder = l.found_owner_id.unwrap_or(l.owner_id);
                        r["user"] = json!(names.user(conn, holder)?);
                    }
                }
                rows.push(r.to_string());
            }
            if lines.len() < 5000 {
                break;
            }
            offset += 5000;
        }
    }
    if rows.is_empty() {
        return Err(Error::Rule(format!(
            "没有可调整的差异{}",
            if left_out > 0 {
                format!("（{left_out}项资产在盘点后已被修改，未纳入）")
            } else {
                String::new()
            }
        )));
    }
    let new = NewTask {
        file_name: Some(format!("盘点 #{id} 调整")),
        dry_run,
        stocktake_id: Some(id),
        ..NewTask::default()
    };
    let owner = (caller.entity()?, caller.user_id);
    let mut writer = TaskWriter::create(conn, owner, TaskKind::Import, &new, chunk_rows)?;
    let count = rows.len();
    let task = crate::tasks::create::store_new(&mut writer, |writer| {
        for r in &rows {
            writer.push(r, None)?;
        }
        Ok(())
    })?;
    Ok(json!({"task": task, "rows": count, "left_out": left_out}))
}
