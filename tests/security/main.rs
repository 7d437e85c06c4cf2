//! What clients may send, through HTTP: every session route refusing a locked user and an expired
//! session (`access`); user text stored and matched verbatim, never as SQL, and no token in a log
//! (`input`); malformed bodies, paths and methods (`bad_input`); and issue 10's findings about
//! request bodies, settings, names in paths, caching, the data folder and the write lock
//! (`requests`). Each test has its own database and, when it starts the binary, its own server.

#[path = "../common/mod.rs"]
mod common;

mod access;
mod bad_input;
mod input;
mod requests;
