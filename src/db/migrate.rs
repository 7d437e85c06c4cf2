//! The schema. A new database is created whole from `schema.sql`, the schema as one readable
//! file; an older one is upgraded in place, in one transaction, by the steps in `migrate/`: one
//! per version, run in order from the version the database is stamped with (`user_version`).
//!
//! A step that has landed is frozen: the databases it upgraded keep what it did, so changing it
//! would leave them without the change. A change of the schema is a new step and a new version
//! (docs/architecture.md, "Schema and migrations"). `migrate/tests/` fails if a landed step's
//! text changes, and unless a database upgraded step by step from version 1 has exactly the
//! schema of a new one.

use rusqlite::{Connection, Transaction, TransactionBehavior};

mod edit_checks;
#[cfg(test)]
mod tests;
mod v13;
mod v15;
mod v16;
mod v2;
mod v6;
mod v8;

const SCHEMA: &str = include_str!("../../schema.sql");
pub const SCHEMA_VERSION: i64 = 16;

/// One version's upgrade from the version before: SQL, or Rust where SQL alone cannot do it.
enum Step {
    Sql(&'static str),
    Rust(fn(&Transaction) -> Result<(), String>),
}

/// The steps to versions 2 to SCHEMA_VERSION, in order. (Version 1 is `migrate/v1.sql`: new
/// databases start from `schema.sql`, so only the tests create it now.)
const STEPS: [(i64, Step); 15] = [
    (2, Step::Rust(v2::upgrade)),
    (3, Step::Sql(include_str!("migrate/v3.sql"))),
    (4, Step::Sql(include_str!("migrate/v4.sql"))),
    (5, Step::Sql(include_str!("migrate/v5.sql"))),
    (6, Step::Rust(v6::upgrade)),
    (7, Step::Sql(include_str!("migrate/v7.sql"))),
    (8, Step::Rust(v8::upgrade)),
    (9, Step::Sql(include_str!("migrate/v9.sql"))),
    (10, Step::Sql(include_str!("migrate/v10.sql"))),
    (11, Step::Sql(include_str!("migrate/v11.sql"))),
    (12, Step::Sql(include_str!("migrate/v12.sql"))),
    (13, Step::Rust(v13::upgrade)),
    (14, Step::Sql(include_str!("migrate/v14.sql"))),
    (15, Step::Rust(v15::upgrade)),
    (16, Step::Rust(v16::upgrade)),
];

pub(super) fn migrate(conn: &mut Connection) -> Result<(), String> {
    let sql = |e: rusqlite::Error| e.to_string();
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(sql)?;
    super::check_not_newer(version)?;
    if version == SCHEMA_VERSION {
        return Ok(());
    }
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Exclusive)
        .map_err(sql)?;
    if version == 0 {
        tx.execute_batch(SCHEMA).map_err(sql)?;
    } else {
        upgrade(&tx, version, SCHEMA_VERSION)?;
    }
    tx.execute_batch(&format!("PRAGMA user_version = {SCHEMA_VERSION}"))
        .map_err(sql)?;
    tx.commit().map_err(sql)
}

/// A database written by a newer assetport: this one would not know what its schema means.
pub(super) fn newer(version: i64) -> String {
    format!(
        "it has schema version {version}, newer than this assetport {} knows (version \
         {SCHEMA_VERSION}); run the assetport that wrote it, or a newer one",
        env!("CARGO_PKG_VERSION")
    )
}

/// Runs the steps after version `from`, up to version `to`, in order.
fn upgrade(tx: &Transaction, from: i64, to: i64) -> Result<(), String> {
    for (version, step) in STEPS.iter().filter(|(v, _)| (from + 1..=to).contains(v)) {
        match step {
            Step::Sql(sql) => tx.execute_batch(sql).map_err(|e| e.to_string()),
            Step::Rust(upgrade) => upgrade(tx),
        }
        .map_err(|e| format!("schema upgrade {version}: {e}"))?;
    }
    Ok(())
}
