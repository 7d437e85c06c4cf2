//! The schema: created whole from `schema.sql` on a new database, and upgraded in place, one
//! version at a time, on an older one.

use rusqlite::{Connection, Transaction, TransactionBehavior};

const SCHEMA: &str = include_str!("../../schema.sql");
const SCHEMA_VERSION: i64 = 7;

/// Version 2 rewrites two CHECKs of version 1 into equivalent ones SQLite evaluates without a
/// temporary b-tree per row (halving the cost of an asset insert). The constraints accept the
/// same values, so the stored rows stay valid and the tables need no rebuild: this is SQLite's
/// documented `writable_schema` edit for constraint changes. It also moves export snapshots
/// from one row each (`export_record`) to one row per batch (`export_chunk`).
/// Version 6: a task may be an undo (port_type 2).
const UPGRADE_6: [(&str, &str, &str); 1] = [(
    "task",
    "CHECK (port_type IN (0, 1))",
    "CHECK (port_type = 0 OR port_type = 1 OR port_type = 2)",
)];

const UPGRADE_2: [(&str, &str, &str); 2] = [
    (
        "asset",
        "CHECK (status IN (1, 2, 3))",
        "CHECK (status = 1 OR status = 2 OR status = 3)",
    ),
    (
        "task",
        "CHECK (finish IN (0, 1, 2))",
        "CHECK (finish = 0 OR finish = 1 OR finish = 2)",
    ),
];

pub(super) fn migrate(conn: &mut Connection) -> Result<(), String> {
    let sql = |e: rusqlite::Error| e.to_string();
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(sql)?;
    if version >= SCHEMA_VERSION {
        return Ok(());
    }
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Exclusive)
        .map_err(sql)?;
    if version == 0 {
        tx.execute_batch(SCHEMA).map_err(sql)?;
    } else {
        if version < 2 {
            upgrade_to_2(&tx)?;
        }
        if version < 3 {
            upgrade_to_3(&tx)?;
        }
        if version < 4 {
            upgrade_to_4(&tx)?;
        }
        if version < 5 {
            upgrade_to_5(&tx)?;
        }
        if version < 6 {
            upgrade_to_6(&tx)?;
        }
        tx.execute_batch("ALTER TABLE task ADD COLUMN file_hash TEXT;")
            .map_err(|e| format!("schema upgrade 7: {e}"))?;
    }
    tx.execute_batch(&format!("PRAGMA user_version = {SCHEMA_VERSION}"))
        .map_err(sql)?;
    tx.commit().map_err(sql)
}

/// The `CREATE TABLE name (…);` statement of schema.sql, so an upgrade creates a table exactly
/// as a new database has it.
fn schema_table(name: &str) -> Result<&'static str, String> {
    let start = SCHEMA
        .find(&format!("CREATE TABLE {name} ("))
        .ok_or_else(|| format!("schema.sql has no table {name}"))?;
    let end = SCHEMA[start..]
        .find(";\n")
        .ok_or_else(|| format!("schema.sql: table {name} does not end"))?;
    Ok(&SCHEMA[start..=start + end])
}

fn upgrade_to_2(tx: &Transaction) -> Result<(), String> {
    let sql = |e: rusqlite::Error| format!("schema upgrade 2: {e}");
    tx.execute_batch(schema_table("export_chunk")?)
        .map_err(sql)?;
    tx.execute_batch(
        "INSERT INTO export_chunk (task_id, first_seq, snapshots)
             SELECT task_id, min(seq), '[' || group_concat(snapshot, ',' ORDER BY seq) || ']'
             FROM export_record GROUP BY task_id;
         DROP TABLE export_record;",
    )
    .map_err(sql)?;
    rewrite_tables(tx, 2, &UPGRADE_2)
}

/// Edits tables' `CREATE TABLE` text in place (SQLite's documented `writable_schema` way to
/// change a CHECK constraint without copying the table), then checks the database's integrity.
fn rewrite_tables(
    tx: &Transaction,
    upgrade: i64,
    edits: &[(&str, &str, &str)],
) -> Result<(), String> {
    let sql = |e: rusqlite::Error| format!("schema upgrade {upgrade}: {e}");
    let cookie: i64 = tx
        .query_row("PRAGMA schema_version", [], |r| r.get(0))
        .map_err(sql)?;
    tx.execute_batch("PRAGMA writable_schema = ON")
        .map_err(sql)?;
    for (table, old, new) in edits {
        let changed = tx
            .execute(
                "UPDATE sqlite_schema SET sql = replace(sql, ?2, ?3)
                 WHERE type = 'table' AND name = ?1 AND instr(sql, ?2) > 0",
                rusqlite::params![table, old, new],
            )
            .map_err(sql)?;
        if changed != 1 {
            return Err(format!(
                "schema upgrade {upgrade}: table {table} does not hold `{old}`"
            ));
        }
    }
    // Other connections reload the schema when the cookie moves.
    tx.execute_batch(&format!(
        "PRAGMA schema_version = {}; PRAGMA writable_schema = OFF;",
        cookie + 1
    ))
    .map_err(sql)?;
    let check: String = tx
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .map_err(sql)?;
    if check != "ok" {
        return Err(format!(
            "schema upgrade {upgrade}: integrity check: {check}"
        ));
    }
    Ok(())
}

/// Version 3: sessions are stored by the hash of their token (the clear tokens of version 2
/// are dropped, so everyone logs in again once), and a task records whose rights its pending
/// rows run with and whether its submission is completely stored.
fn upgrade_to_3(tx: &Transaction) -> Result<(), String> {
    let sql = |e: rusqlite::Error| format!("schema upgrade 3: {e}");
    tx.execute_batch(
        "DELETE FROM session;
         ALTER TABLE session RENAME COLUMN token TO token_hash;
         ALTER TABLE task ADD COLUMN runner_id INTEGER REFERENCES user(id);
         ALTER TABLE task ADD COLUMN stored INTEGER NOT NULL DEFAULT 1;",
    )
    .map_err(sql)
}

/// Version 4: identities (user names and emails) are compared case-insensitively, through
/// indexes in NOCASE order. Not unique indexes: an older database may hold names differing only
/// in case, which keep working (the exact spelling wins a login); new ones are refused.
fn upgrade_to_4(tx: &Transaction) -> Result<(), String> {
    tx.execute_batch(
        "CREATE INDEX user_name_nocase ON user(name COLLATE NOCASE);
         CREATE INDEX user_email_nocase ON user(email COLLATE NOCASE);",
    )
    .map_err(|e| format!("schema upgrade 4: {e}"))
}

/// Version 5: a task records when it started and finished, the file it came from, whether it
/// was cancelled and whether its stored data was pruned (finished tasks of older versions get
/// their creation time as start and finish: close enough for retention); departments count
/// their assets (kept by triggers) and assets are indexed by entity and by department in id
/// order, for lists of a million assets.
fn upgrade_to_5(tx: &Transaction) -> Result<(), String> {
    tx.execute_batch(
        "ALTER TABLE task ADD COLUMN start_time TEXT;
         ALTER TABLE task ADD COLUMN finish_time TEXT;
         ALTER TABLE task ADD COLUMN file_name TEXT;
         ALTER TABLE task ADD COLUMN cancelled INTEGER NOT NULL DEFAULT 0;
         ALTER TABLE task ADD COLUMN pruned INTEGER NOT NULL DEFAULT 0;
         UPDATE task SET start_time = create_time, finish_time = create_time WHERE finish != 0;
         ALTER TABLE department ADD COLUMN asset_count INTEGER NOT NULL DEFAULT 0;
         UPDATE department SET asset_count =
             (SELECT count(*) FROM asset WHERE asset.department_id = department.id);
         ALTER TABLE category ADD COLUMN asset_count INTEGER NOT NULL DEFAULT 0;
         UPDATE category SET asset_count =
             (SELECT count(*) FROM asset WHERE asset.category_id = category.id);",
    )
    .map_err(|e| format!("schema upgrade 5: {e}"))?;
    // The asset indexes and counting triggers, exactly as schema.sql has them.
    let start = SCHEMA
        .find("-- By entity, and by department alone")
        .ok_or("schema.sql has no asset list indexes")?;
    let end = SCHEMA[start..]
        .find("\n\n")
        .map_or(SCHEMA.len(), |e| start + e);
    tx.execute_batch(&SCHEMA[start..end])
        .map_err(|e| format!("schema upgrade 5: {e}"))
}

/// Version 6, the Excel round trip: imports update assets (a revision on each asset tells an
/// undo whether it changed since), count created / updated / unchanged rows, run as dry runs,
/// and are undone by a task of a third kind, from the records of what each batch did.
fn upgrade_to_6(tx: &Transaction) -> Result<(), String> {
    rewrite_tables(tx, 6, &UPGRADE_6)?;
    tx.execute_batch(
        "ALTER TABLE asset ADD COLUMN revision INTEGER NOT NULL DEFAULT 0;
         ALTER TABLE task ADD COLUMN number_created INTEGER NOT NULL DEFAULT 0;
         ALTER TABLE task ADD COLUMN number_updated INTEGER NOT NULL DEFAULT 0;
         ALTER TABLE task ADD COLUMN number_unchanged INTEGER NOT NULL DEFAULT 0;
         ALTER TABLE task ADD COLUMN dry_run INTEGER NOT NULL DEFAULT 0;
         ALTER TABLE task ADD COLUMN confirmed INTEGER NOT NULL DEFAULT 0;
         ALTER TABLE task ADD COLUMN preview TEXT;
         ALTER TABLE task ADD COLUMN undo_of INTEGER REFERENCES task(id);
         ALTER TABLE task ADD COLUMN undone_by INTEGER REFERENCES task(id);
         UPDATE task SET number_created = number_succeed WHERE port_type = 1;",
    )
    .map_err(|e| format!("schema upgrade 6: {e}"))?;
    tx.execute_batch(schema_section(UNDO_TABLES)?)
        .map_err(|e| format!("schema upgrade 6: {e}"))
}

/// Where schema.sql's tables for undo and dry runs begin (they end where the export snapshots'
/// comment begins).
const UNDO_TABLES: (&str, &str) = (
    "-- What an import's undo needs",
    "-- Snapshots of the asset view",
);

/// The text of schema.sql from one marker up to (not including) the other.
fn schema_section((from, to): (&str, &str)) -> Result<&'static str, String> {
    let start = SCHEMA
        .find(from)
        .ok_or_else(|| format!("schema.sql has no `{from}`"))?;
    let end = SCHEMA[start..]
        .find(to)
        .ok_or_else(|| format!("schema.sql has no `{to}`"))?;
    Ok(&SCHEMA[start..start + end])
}

#[cfg(test)]
mod tests {
    use super::*;

    const INSERT_ASSET: &str = "INSERT INTO asset (entity_id, department_id, category_id,
        owner_id, name, asset_class, initial_price_cents, count, create_day, deadline, status)
        VALUES (1, 1, 1, 1, 'a', 0, 100, 1, 0, 0, ?1)";

    /// Version 1's export table.
    const EXPORT_RECORD_V1: &str = "CREATE TABLE export_record (
        task_id  INTEGER NOT NULL REFERENCES task(id),
        seq      INTEGER NOT NULL,
        snapshot TEXT NOT NULL,
        PRIMARY KEY (task_id, seq)
    ) WITHOUT ROWID;";

    /// A database as version 1 of the schema left it, holding one asset and an export task
    /// with two snapshots.
    fn version_1() -> Connection {
        let mut schema = SCHEMA.replace(schema_table("export_chunk").unwrap(), EXPORT_RECORD_V1);
        // Version 3's changes, undone.
        let task_v3 = schema_table("task").unwrap();
        let cut = task_v3.find(",\n    -- Whose rights").unwrap();
        schema = schema.replace(task_v3, &format!("{}\n);", &task_v3[..cut]));
        schema = schema.replace("token_hash TEXT PRIMARY KEY", "token TEXT PRIMARY KEY");
        // Version 4's indexes, undone.
        for index in [
            "user_name_nocase ON user(name",
            "user_email_nocase ON user(email",
        ] {
            schema = schema.replace(&format!("CREATE INDEX {index} COLLATE NOCASE);"), "");
        }
        assert!(!schema.contains("NOCASE"));
        // Version 5's asset indexes, triggers and department counts, undone.
        let start = schema
            .find("-- By entity, and by department alone")
            .unwrap();
        let end = start + schema[start..].find("\n\n").unwrap();
        schema.replace_range(start..end, "");
        let count = schema
            .find("    -- Assets held by this department")
            .unwrap();
        let end = count
            + schema[count..]
                .find("    UNIQUE (entity_id, name)")
                .unwrap();
        schema.replace_range(count..end, "");
        let count = schema.find("    -- Assets in this category").unwrap();
        let end = count
            + schema[count..]
                .find("    UNIQUE (department_id, name)")
                .unwrap();
        schema.replace_range(count..end, "");
        // Version 6's tables, asset revision and task kinds, undone.
        let undo_tables = schema_section(UNDO_TABLES).unwrap();
        schema = schema.replace(undo_tables, "");
        let revision = schema.find(",\n    -- Moved by every change").unwrap();
        let end = revision + schema[revision..].find("\n);").unwrap();
        schema.replace_range(revision..end, "");
        for (_, old, new) in UPGRADE_2.iter().chain(&UPGRADE_6) {
            schema = schema.replace(new, old);
        }
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(&schema).unwrap();
        conn.execute_batch(
            "PRAGMA user_version = 1;
             INSERT INTO entity (id, name) VALUES (1, 'e');
             INSERT INTO department (id, entity_id, name) VALUES (1, 1, 'd');
             INSERT INTO category (id, department_id, name) VALUES (1, 1, 'c');
             INSERT INTO user (id, name, password_hash, character, entity_id, department_id)
                 VALUES (1, 'u', 'x', 2, 1, 1);",
        )
        .unwrap();
        conn.execute(INSERT_ASSET, [2]).unwrap();
        conn.execute_batch(
            "INSERT INTO task (id, entity_id, creator_id, create_time, port_type, number_need,
                 number_succeed, finish, next_seq, end_seq)
                 VALUES (7, 1, 1, '', 0, 3, 2, 2, 3, 3);
             INSERT INTO export_record (task_id, seq, snapshot)
                 VALUES (7, 2, '{\"id\":2}'), (7, 0, '{\"id\":1}');",
        )
        .unwrap();
        conn
    }

    fn builds_a_temporary_btree(conn: &Connection, sql: &str) -> bool {
        let mut stmt = conn.prepare(&format!("EXPLAIN {sql}")).unwrap();
        let ops: Vec<String> = stmt
            .query_map([2], |r| r.get(1))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        ops.iter().any(|op| op == "OpenEphemeral")
    }

    #[test]
    fn version_1_upgrades_in_place_and_inserts_stop_building_temporary_btrees() {
        let mut conn = version_1();
        assert!(builds_a_temporary_btree(&conn, INSERT_ASSET));
        migrate(&mut conn).unwrap();
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, SCHEMA_VERSION);
        assert!(!builds_a_temporary_btree(&conn, INSERT_ASSET));
        assert!(!builds_a_temporary_btree(
            &conn,
            "UPDATE task SET finish = ?1 WHERE id = 1"
        ));
        // The asset is still there and the constraints still hold.
        let assets: i64 = conn
            .query_row("SELECT count(*) FROM asset WHERE status = 2", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(assets, 1);
        // The export's snapshots are one chunk, in request order.
        let chunk: (i64, String) = conn
            .query_row(
                "SELECT first_seq, snapshots FROM export_chunk WHERE task_id = 7",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!(chunk, (0, r#"[{"id":1},{"id":2}]"#.to_owned()));
        conn.execute(INSERT_ASSET, [3]).unwrap();
        // Version 3: sessions by hash, tasks with a runner and a stored flag.
        conn.execute_batch(
            "INSERT INTO session (token_hash, user_id, last_seen) VALUES ('h', 1, 0);
             UPDATE task SET runner_id = 1, stored = 1 WHERE id = 7;",
        )
        .unwrap();
        for bad in [0, 4] {
            let err = conn.execute(INSERT_ASSET, [bad]).unwrap_err();
            assert!(err.to_string().contains("CHECK"), "{err}");
        }
        // Running it again is a no-op.
        migrate(&mut conn).unwrap();
    }

    #[test]
    fn a_new_database_gets_the_current_schema() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn).unwrap();
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, SCHEMA_VERSION);
        assert!(!builds_a_temporary_btree(
            &conn,
            "INSERT INTO task (entity_id, creator_id, create_time, port_type, end_seq)
             VALUES (1, 1, '', 1, ?1)"
        ));
    }
}
