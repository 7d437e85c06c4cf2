//! Requests with approval through HTTP (issue 23): 领用, 退库, 维保, 转移 and 调拨 asked by staff
//! and managers, approved, rejected or withdrawn; who may ask and review what; a line whose
//! asset changed is not executed; the first approval wins; each executed line's history entry.
//! Each test has its own database.

#[path = "../common/mod.rs"]
mod common;

mod crash;
mod files;
mod kinds;
mod quantity;
mod race;
mod rules;
mod tasks;
mod undo;
