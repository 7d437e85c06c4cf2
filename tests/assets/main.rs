//! Assets through HTTP: the import-row rules as `post_asset` applies them (`rows`), an asset after
//! its creation: depreciation, modify, retire, search and the staff's list (`register`), paged lists
//! (`paging`) and lists at scale with their kept totals (`lists`). Each test has its own database.

#[path = "../common/mod.rs"]
mod common;

mod history;
mod lists;
mod paging;
mod register;
mod rows;
