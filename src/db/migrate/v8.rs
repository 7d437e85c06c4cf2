//! Version 8: the repair `v8.sql` describes, with the parts SQL cannot make conditional.
//! Frozen: never edit it; a change is a new step.

use rusqlite::Transaction;

pub(super) fn upgrade(tx: &Transaction) -> Result<(), String> {
    let sql = |e: rusqlite::Error| e.to_string();
    // 92346ad counted neither departments' nor categories' assets, 9f4e655 and 938978a not
    // categories'. Added as step 5 adds them; v8.sql recounts them.
    for table in ["department", "category"] {
        let has_count: bool = tx
            .query_row(
                "SELECT count(*) > 0 FROM pragma_table_info(?1) WHERE name = 'asset_count'",
                [table],
                |r| r.get(0),
            )
            .map_err(sql)?;
        if !has_count {
            tx.execute_batch(&format!(
                "ALTER TABLE {table} ADD COLUMN asset_count INTEGER NOT NULL DEFAULT 0;"
            ))
            .map_err(sql)?;
        }
    }
    tx.execute_batch(include_str!("v8.sql")).map_err(sql)?;
    // 5041a85 kept a row per export snapshot: folded as step 2 folds them.
    let has_records: bool = tx
        .query_row(
            "SELECT count(*) > 0 FROM sqlite_schema WHERE type = 'table' AND name = 'export_record'",
            [],
            |r| r.get(0),
        )
        .map_err(sql)?;
    if has_records {
        tx.execute_batch(
            "INSERT INTO export_chunk (task_id, first_seq, snapshots)
                 SELECT task_id, min(seq), '[' || group_concat(snapshot, ',' ORDER BY seq) || ']'
                 FROM export_record GROUP BY task_id;
             DROP TABLE export_record;",
        )
        .map_err(sql)?;
    }
    Ok(())
}
