//! Version 2 (5041a85, then c28873a): CHECKs SQLite evaluates without a temporary b-tree, and
//! export snapshots a chunk per batch (`v2.sql`). Frozen: never edit it; a change is a new step.

use super::edit_checks::edit_checks;
use rusqlite::Transaction;

/// `CHECK (x IN (a, b, c))` made SQLite build a temporary b-tree on every asset insert and task
/// update (about half the cost of an insert); these OR-chains accept the same values.
pub(super) const CHECKS: [(&str, &str, &str); 2] = [
    (
        "asset",
        "CHECK (status IN (1, 2, 3))",
        "CHECK (status = 1 OR status = 2 OR status = 3)",
    ),
    (
        "task",
        "CHECK (finish IN (0, 1, 2))",
        "CHECK (finish = 0 OR finish = 1 OR finish = 2)",
    ),
];

/// 5041a85 stamped version 2 with the CHECK edit alone; step 8 folds the records it left.
pub(super) fn upgrade(tx: &Transaction) -> Result<(), String> {
    tx.execute_batch(include_str!("v2.sql"))
        .map_err(|e| e.to_string())?;
    edit_checks(tx, &CHECKS)
}
