//! Version 6 (56dba7b): a task may be an undo (port_type 2), and the rest of `v6.sql`.
//! Frozen: never edit it; a change is a new step.

use super::edit_checks::edit_checks;
use rusqlite::Transaction;

pub(super) const CHECKS: [(&str, &str, &str); 1] = [(
    "task",
    "CHECK (port_type IN (0, 1))",
    "CHECK (port_type = 0 OR port_type = 1 OR port_type = 2)",
)];

pub(super) fn upgrade(tx: &Transaction) -> Result<(), String> {
    edit_checks(tx, &CHECKS)?;
    tx.execute_batch(include_str!("v6.sql"))
        .map_err(|e| e.to_string())
}
