//! Sending a request and checking its answer; digests of the database to prove nothing changed.

use super::request::{describe, Req};
use crate::common::{derived_table, App};
use rocket::http::{Method, Status};
use rusqlite::Connection;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Which tables a digest covers.
#[derive(Clone, Copy)]
pub enum Tables {
    /// All but sessions, the login slowdown and the journal's failed logins (a refused login is
    /// recorded): what a refused request may not change.
    All,
    /// The register (companies, people, categories, assets): what a task of broken rows may
    /// not change, whatever tables the tasks keep their rows and results in.
    Register,
}

const REGISTER: &[&str] = &["entity", "department", "user", "category", "asset"];

pub struct Runner<'a> {
    pub app: &'a App,
    pub conn: Connection,
    pub counts: BTreeMap<&'static str, usize>,
    /// Wrong-method requests per path, by method.
    pub wrong: BTreeMap<&'static str, std::collections::BTreeSet<String>>,
    pub wrong_sent: usize,
    pub answers: BTreeMap<(u16, i64), usize>,
    pub sent: usize,
}

fn fail(req: &Req, status: Status, text: &str, why: &str) -> ! {
    panic!(
        "{why}\n  request: {}\n  answer: {status} {text:.300}",
        describe(req)
    )
}

impl Runner<'_> {
    /// Sends the request and checks the answer; returns the envelope (None: a file or HEAD).
    pub fn send(&mut self, req: &Req) -> Option<Value> {
        if req.wrong_method {
            let methods = self.wrong.entry(req.label).or_default();
            methods.insert(req.method.as_str().to_owned());
            self.wrong_sent += 1;
        } else {
            *self.counts.entry(req.label).or_default() += 1;
        }
        self.sent += 1;
        let mut local = self
            .app
            .client
            .req(req.method, req.path.as_str())
            .body(&req.body);
        if let Some(ct) = &req.content_type {
            local = local.header(ct.clone());
        }
        let res = local.dispatch();
        let status = res.status();
        let content_type = res.content_type();
        let bytes = res.into_bytes().unwrap_or_default();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        if status.code >= 500 {
            fail(req, status, &text, "a 5xx answer");
        }
        if req.method == Method::Head {
            if !bytes.is_empty() {
                fail(req, status, &text, "an answer to HEAD with a body");
            }
            return None;
        }
        let is_json = content_type.as_ref().is_some_and(|c| c.is_json());
        if req.file_ok && status == Status::Ok && !is_json {
            if req.refuse {
                fail(
                    req,
                    status,
                    &text,
                    "a file for a request that must be refused",
                );
            }
            *self.answers.entry((200, 0)).or_default() += 1;
            return None;
        }
        if !is_json {
            fail(req, status, &text, "not a JSON content type");
        }
        let body: Value =
            serde_json::from_slice(&bytes).unwrap_or_else(|_| fail(req, status, &text, "not JSON"));
        let Some(code) = body["code"].as_i64() else {
            fail(req, status, &text, "no integer `code`")
        };
        if !body["info"].is_string() {
            fail(req, status, &text, "no string `info`");
        }
        if (code == 0) != (status == Status::Ok) {
            fail(
                req,
                status,
                &text,
                "code 0 without 200, or 200 without code 0",
            );
        }
        if req.refuse && code == 0 {
            fail(req, status, &text, "an invalid request was accepted");
        }
        if req.expect_empty && code == 0 && body["total"] != json!(0) {
            fail(req, status, &text, "a metacharacter matched as a pattern");
        }
        *self.answers.entry((status.code, code)).or_default() += 1;
        Some(body)
    }

    pub fn data_version(&self) -> i64 {
        self.conn
            .query_row("PRAGMA data_version", [], |r| r.get(0))
            .expect("data_version")
    }

    /// Every row of the tables, as text.
    pub fn digest(&self, which: Tables) -> String {
        let tx = self.conn.unchecked_transaction().expect("read transaction");
        let tables: Vec<String> = tx
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
            .expect("tables");
        let mut out = String::new();
        let covered = |t: &str| match which {
            Tables::All => t != "session" && t != "login_failure" && !derived_table(t),
            Tables::Register => REGISTER.contains(&t),
        };
        if let Tables::Register = which {
            assert!(
                REGISTER.iter().all(|t| tables.iter().any(|x| x == t)),
                "{tables:?}"
            );
        }
        for table in tables.iter().filter(|t| covered(t)) {
            let only = match (which, table.as_str()) {
                (Tables::All, "journal") => " WHERE kind <> 'login_failed'",
                _ => "",
            };
            let mut stmt = tx
                .prepare(&format!("SELECT * FROM \"{table}\"{only} ORDER BY 1"))
                .expect("select");
            let columns = stmt.column_count();
            let mut rows = stmt.query([]).expect("query");
            while let Some(r) = rows.next().expect("row") {
                out.push_str(table);
                for c in 0..columns {
                    let v: rusqlite::types::Value = r.get(c).expect("value");
                    out.push_str(&format!("|{v:?}"));
                }
                out.push('\n');
            }
        }
        out
    }

    /// Panics, naming `req`, if the digest moved.
    pub fn unchanged(&self, which: Tables, before: &str, req: &Req) {
        let after = self.digest(which);
        if after != before {
            let mut lines = before.lines().zip(after.lines());
            let (b, a) = lines
                .find(|(b, a)| b != a)
                .unwrap_or(("(a row less)", "(a row more)"));
            panic!(
                "the database changed (by this request or one before it since the last check)\n  \
                 request: {}\n  before: {b:.300}\n  after:  {a:.300}",
                describe(req)
            );
        }
    }
}
