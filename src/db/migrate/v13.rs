//! Version 13: a task may approve a request (port_type 3) or take an approved one back (4), and
//! a request may be executing (state 6) or being taken back (7); then `v13.sql`. Each CHECK
//! only widens (every stored row met the narrower one), so the rows need no second look.
//! Frozen: never edit it; a change is a new step.

use super::edit_checks::edit_checks;
use rusqlite::Transaction;

pub(super) const CHECKS: [(&str, &str, &str); 2] = [
    (
        "task",
        "CHECK (port_type = 0 OR port_type = 1 OR port_type = 2)",
        "CHECK (port_type >= 0 AND port_type <= 4)",
    ),
    (
        "request",
        "CHECK (state >= 0 AND state <= 5)",
        "CHECK (state >= 0 AND state <= 7)",
    ),
];

pub(super) fn upgrade(tx: &Transaction) -> Result<(), String> {
    edit_checks(tx, &CHECKS)?;
    tx.execute_batch(include_str!("v13.sql"))
        .map_err(|e| e.to_string())
}
