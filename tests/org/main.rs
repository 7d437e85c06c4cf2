//! Companies and their organisation through HTTP: entities, users, departments and category trees
//! (`structure`), and one company never reaching another's data (`isolation`). Each test has its own
//! database.

#[path = "../common/mod.rs"]
mod common;

mod isolation;
mod structure;
mod users;
