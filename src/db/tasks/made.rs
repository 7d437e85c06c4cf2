//! Tasks another act makes and stores whole, already visible: the undo of an import, and a
//! request's approval or undo when it has more than a batch of lines. They store no rows: an
//! undo works through its import's records, a request's task through the request's lines.

use super::TaskKind;
use rusqlite::{params, Connection, OptionalExtension};

/// Stores an undo task of `import_id` (its `size` asset changes to take back), already
/// visible, and marks the import undone by it; returns the undo task's id.
pub fn create_undo(
    conn: &Connection,
    (entity_id, creator_id): (i64, i64),
    import_id: i64,
    size: i64,
) -> rusqlite::Result<i64> {
    conn.execute(
        "INSERT INTO task (entity_id, creator_id, create_time, port_type, number_need, end_seq,
             undo_of, finish, finish_time)
         VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6, CASE WHEN ?5 = 0 THEN 1 ELSE 0 END,
             CASE WHEN ?5 = 0 THEN ?3 END)",
        params![
            entity_id,
            creator_id,
            crate::clock::now_text(),
            TaskKind::Undo,
            size,
            import_id
        ],
    )?;
    let undo_id = conn.last_insert_rowid();
    conn.execute(
        "UPDATE task SET undone_by = ?2 WHERE id = ?1",
        params![import_id, undo_id],
    )?;
    Ok(undo_id)
}

/// Stores a task that works through request `request_id`'s lines (an approval, or its undo),
/// already visible: `need` lines, whose seqs run up to `last_seq` (its checkpoint is the seq of
/// the last line done). Returns its id.
pub fn create_request_task(
    conn: &Connection,
    (entity_id, creator_id): (i64, i64),
    kind: TaskKind,
    request_id: i64,
    (need, last_seq): (i64, i64),
) -> rusqlite::Result<i64> {
    conn.execute(
        "INSERT INTO task (entity_id, creator_id, create_time, port_type, number_need, end_seq,
             request_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            entity_id,
            creator_id,
            crate::clock::now_text(),
            kind,
            need,
            last_seq,
            request_id
        ],
    )?;
    Ok(conn.last_insert_rowid())
}

/// A label task's layout, the labels of its first sheet already used, and how many assets it
/// snapshotted (its labels).
pub fn label_spec(conn: &Connection, task_id: i64) -> rusqlite::Result<Option<(String, i64, i64)>> {
    conn.query_row(
        "SELECT label_layout, label_offset, number_succeed FROM task
         WHERE id = ?1 AND label_layout IS NOT NULL",
        [task_id],
        |r| {
            Ok((
                r.get(0)?,
                r.get::<_, Option<i64>>(1)?.unwrap_or(0),
                r.get(2)?,
            ))
        },
    )
    .optional()
}

/// The newest task of `kind` naming stocktake `id`.
pub fn newest_of_stocktake(
    conn: &Connection,
    id: i64,
    kind: TaskKind,
) -> rusqlite::Result<Option<i64>> {
    conn.prepare_cached(
        "SELECT id FROM task WHERE stocktake_id = ?1 AND port_type = ?2 AND stored = 1
         ORDER BY id DESC LIMIT 1",
    )?
    .query_row(params![id, kind], |r| r.get(0))
    .optional()
}
