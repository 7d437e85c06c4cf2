//! Excel and CSV through HTTP (SPEC §9): the template and uploads (`uploads`), results as files and
//! the fix-and-upload-again round trip (`downloads`), formulas and unreadable values in what the
//! server writes (`csv_safety`), XLSX files that would cost too much to read (`xlsx_limits`), and what
//! an upload may cost the server (`upload_costs`). Each test has its own database and, when it starts
//! the binary, its own server.

#[path = "../common/mod.rs"]
mod common;
#[path = "../filekit/mod.rs"]
mod filekit;

mod csv_safety;
mod downloads;
mod dry_upload;
mod upload_costs;
mod uploads;
mod xlsx_limits;
