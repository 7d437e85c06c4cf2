//! Accounts and logins through HTTP: the first start, sessions, roles and passwords
//! (`accounts`); the bounds on logins, the sessions a password change ends and identities kept apart
//! (`logins`); unguessable sessions, stored hashes and brute force (`secrets`); the operations
//! journal written (`journal`) and read (`journal_reads`). Each test has its own
//! database and, when it starts the binary, its own server.

#[path = "../common/mod.rs"]
mod common;
#[path = "../filekit/mod.rs"]
mod filekit;

mod accounts;
mod journal;
mod journal_reads;
mod logins;
mod secrets;
