//! Asynchronous tasks through HTTP: the seed's six endpoints, their codes and who sees which task
//! (`endpoints`); imports and their failed rows fixed and run again (`import`); exports (`export`);
//! failed rows worked on in place (`failed_rows`); the task list, cancel, turns and retention
//! (`admin`); update rows, dry runs, confirms and undo (`round_trip`); and failures in one row, one
//! task or at shutdown (`failures`). Each test has its own database and, when it starts the binary,
//! its own server.

#[path = "../common/mod.rs"]
mod common;
#[path = "../filekit/mod.rs"]
mod filekit;

mod admin;
mod as_of;
mod discard;
mod endpoints;
mod export;
mod failed_rows;
mod failures;
mod import;
mod import_dates;
mod round_trip;
