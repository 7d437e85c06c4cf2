//! Version 16: a task may print labels (port_type 6) in a layout (`label_layout`, e.g.
//! `a4-3x8`) from a position of the first sheet on (`label_offset`, the labels already used),
//! or list a large stocktake's expected assets batch by batch (port_type 7), while the stocktake
//! is 准备中 (state 4); a stocktake's tasks are found by an index. Each CHECK only widens (every
//! stored row met the narrower one), so the rows need no second look. Frozen: never edit it; a
//! change is a new step.

use super::edit_checks::edit_checks;
use rusqlite::Transaction;

pub(super) const CHECKS: [(&str, &str, &str); 2] = [
    (
        "task",
        "CHECK (port_type >= 0 AND port_type <= 5)",
        "CHECK (port_type >= 0 AND port_type <= 7)",
    ),
    (
        "stocktake",
        "CHECK (state >= 0 AND state <= 3)",
        "CHECK (state >= 0 AND state <= 4)",
    ),
];

pub(super) fn upgrade(tx: &Transaction) -> Result<(), String> {
    edit_checks(tx, &CHECKS)?;
    tx.execute_batch(
        "ALTER TABLE task ADD COLUMN label_layout TEXT;
         ALTER TABLE task ADD COLUMN label_offset INTEGER;
         CREATE INDEX task_stocktake ON task(stocktake_id) WHERE stocktake_id IS NOT NULL;",
    )
    .map_err(|e| e.to_string())
}
