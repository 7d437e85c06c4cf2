//! Accounts and logins through HTTP: the first start, sessions, roles and passwords
//! (`accounts`); the bounds on logins, the sessions a password change ends and identities kept apart
//! (`logins`); unguessable sessions, stored hashes and brute force (`secrets`); the operations
//! journal written (`journal`). Each test has its own
//! database and, when it starts the binary, its own server.

#[path = "../common/mod.rs"]
mod common;

mod accounts;
mod journal;
mod logins;
mod secrets;
