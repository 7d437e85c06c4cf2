//! The trigram index of asset names and descriptions, filled behind the imports.

use rusqlite::Connection;

/// Adds the next assets (by id) to the trigram index, at most `limit`; returns how many.
pub fn index_text(conn: &Connection, limit: i64) -> rusqlite::Result<usize> {
    let upto: Option<i64> = conn.query_row(
        "SELECT max(id) FROM (SELECT id FROM asset
             WHERE id > (SELECT indexed_to FROM text_index) ORDER BY id LIMIT ?1)",
        [limit],
        |r| r.get(0),
    )?;
    let Some(upto) = upto else {
        return Ok(0);
    };
    let added = conn.execute(
        "INSERT INTO asset_text(rowid, name, description)
         SELECT id, name, description FROM asset
         WHERE id > (SELECT indexed_to FROM text_index) AND id <= ?1",
        [upto],
    )?;
    conn.execute("UPDATE text_index SET indexed_to = ?1", [upto])?;
    Ok(added)
}
