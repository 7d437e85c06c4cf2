//! The CHECK edit steps 2 and 6 make. Frozen with them: what it does is part of what they did.

use rusqlite::Transaction;

/// Replaces `old` by `new` in each `table`'s `CREATE TABLE` text, in place (SQLite's documented
/// `writable_schema` way to change a CHECK constraint without copying the table), then checks
/// the database's integrity. Only for constraints that accept exactly the same values: the
/// stored rows are not checked again.
pub(super) fn edit_checks(tx: &Transaction, edits: &[(&str, &str, &str)]) -> Result<(), String> {
    let sql = |e: rusqlite::Error| e.to_string();
    let cookie: i64 = tx
        .query_row("PRAGMA schema_version", [], |r| r.get(0))
        .map_err(sql)?;
    tx.execute_batch("PRAGMA writable_schema = ON")
        .map_err(sql)?;
    for (table, old, new) in edits {
        let changed = tx
            .execute(
                "UPDATE sqlite_schema SET sql = replace(sql, ?2, ?3)
                 WHERE type = 'table' AND name = ?1 AND instr(sql, ?2) > 0",
                rusqlite::params![table, old, new],
            )
            .map_err(sql)?;
        if changed != 1 {
            return Err(format!("table {table} does not hold `{old}`"));
        }
    }
    // Other connections reload the schema when the cookie moves.
    tx.execute_batch(&format!(
        "PRAGMA schema_version = {}; PRAGMA writable_schema = OFF;",
        cookie + 1
    ))
    .map_err(sql)?;
    let check: String = tx
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .map_err(sql)?;
    if check != "ok" {
        return Err(format!("integrity check: {check}"));
    }
    Ok(())
}
