//! Version 15: a task may count a stocktake from an uploaded count sheet (port_type 5), naming
//! the stocktake it counts. The CHECK only widens (every stored row met the narrower one), so
//! the rows need no second look. Frozen: never edit it; a change is a new step.

use super::edit_checks::edit_checks;
use rusqlite::Transaction;

pub(super) const CHECKS: [(&str, &str, &str); 1] = [(
    "task",
    "CHECK (port_type >= 0 AND port_type <= 4)",
    "CHECK (port_type >= 0 AND port_type <= 5)",
)];

pub(super) fn upgrade(tx: &Transaction) -> Result<(), String> {
    edit_checks(tx, &CHECKS)?;
    tx.execute_batch("ALTER TABLE task ADD COLUMN stocktake_id INTEGER REFERENCES stocktake(id);")
        .map_err(|e| e.to_string())
}
