use super::*;

mod old_builds;
use rusqlite::types::Value;

const V1: &str = include_str!("../v1.sql");

/// Each landed step's files with the SHA-256 of their text as it landed (line ends read as
/// `\n`, so a checkout with CRLF line ends does not count as a change). A step is frozen from the
/// moment it reaches main; before that, its hash here may follow its edits.
const LANDED: [(&str, &str, &str); 21] = [
    (
        "v1.sql",
        V1,
        "58e1526386f12e2a6a53719bee09c2e0753945405e30b15b7c7d20452dfae151",
    ),
    (
        "v2.sql",
        include_str!("../v2.sql"),
        "f389ea620ff92f6b92908aab33e247f25fb253fde2dda130d077107463dbfbb0",
    ),
    (
        "v2.rs",
        include_str!("../v2.rs"),
        "103fdbde087a5cce052dc909cafcf116ca69b70f01ab20d44bcce0ef20f6180d",
    ),
    (
        "edit_checks.rs",
        include_str!("../edit_checks.rs"),
        "78d781ad855a09855f6e09d7255fb58e5b3ab5ed1470dc165cba6cd7e1e87ecc",
    ),
    (
        "v3.sql",
        include_str!("../v3.sql"),
        "39c779424b8dd19268dde5eb86044d83d95a7a19e90c60162ccba625a8b584b2",
    ),
    (
        "v4.sql",
        include_str!("../v4.sql"),
        "d73adc738828b87de44a599812b70cd338786e5ce877857af3dd1974c172962d",
    ),
    (
        "v5.sql",
        include_str!("../v5.sql"),
        "53cbde4d14ff841589f1fe7c6ad84d05c250553989ec9173d2c9f2ea6b573cec",
    ),
    (
        "v6.sql",
        include_str!("../v6.sql"),
        "e1ef50358b3fbfeb330afa63cec63f8ff853caed09d91af5757d8493d404244f",
    ),
    (
        "v6.rs",
        include_str!("../v6.rs"),
        "f2d3ff091cacb60a1ee97d5d213c4640b3658b574bb069ae85815dce11008b24",
    ),
    (
        "v7.sql",
        include_str!("../v7.sql"),
        "217ee506fef1029a9b6b9f63ab41b42eca689b31b9b4fb92cb5360f9fcaf9638",
    ),
    (
        "v8.sql",
        include_str!("../v8.sql"),
        "cbbdbaa0b247b3b91b7ed4146e3b0a6ed87f101ff675254087984e977500bad2",
    ),
    (
        "v8.rs",
        include_str!("../v8.rs"),
        "1825848bbafe529fc65026e0ba5d15880f70417cf4658c29bb6a4196375949cd",
    ),
    (
        "v9.sql",
        include_str!("../v9.sql"),
        "c6ed5d1bc1d7a006f736f902ef1b2f5ad247e1079b3322735092447082ab01df",
    ),
    (
        "v10.sql",
        include_str!("../v10.sql"),
        "238db6d7ea2e0fca3ecb2a9f07adf3ede1228012d48bedbe3d14cec98f2aa236",
    ),
    (
        "v11.sql",
        include_str!("../v11.sql"),
        "e543078b4258a3f2b5fe80e4d3bd81d2b7c78e6ede2b87f483cd55c586c170b8",
    ),
    (
        "v12.sql",
        include_str!("../v12.sql"),
        "bd5809c2191173a3e6d958b08207788db936892702e0c53b02a4025464ec1cd9",
    ),
    (
        "v13.sql",
        include_str!("../v13.sql"),
        "987784657f0a08d435fa4a5a8b90518671f9ab4e810de7397ff8e4e6612e4405",
    ),
    (
        "v13.rs",
        include_str!("../v13.rs"),
        "2bda89df665d8f8e76b1d1828c9add07e795ab2fd2e75247776050f054c2a44e",
    ),
    (
        "v14.sql",
        include_str!("../v14.sql"),
        "78163ae67fc17ee8bb8b323d2b98215bf4a7317409df9a6e045410a061dac26c",
    ),
    (
        "v15.rs",
        include_str!("../v15.rs"),
        "1c70a4e6c28153ddf4e6e391705e3bc618740e2897456c1742c651dc673a59f7",
    ),
    (
        "v16.rs",
        include_str!("../v16.rs"),
        "37157f3cd2bc2080bc5867910e59fa602dcc0e625de808e9c5f5bb602d4e4053",
    ),
];

fn sha256_hex(text: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(text.replace("\r\n", "\n").as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn landed_steps_are_frozen() {
    for (file, text, landed) in LANDED {
        assert_eq!(
            sha256_hex(text),
            landed,
            "src/db/migrate/{file} changed after it landed. The databases it already upgraded \
             keep what it did then and would never get the change: put its text back and add \
             a new step instead (docs/architecture.md, \"Schema and migrations\")"
        );
    }
    // Every version's step and every file of the folder is listed above, so a new step is
    // frozen as it lands.
    for version in 1..=SCHEMA_VERSION {
        assert!(
            LANDED
                .iter()
                .any(|(file, ..)| file.starts_with(&format!("v{version}."))),
            "step {version} has no file in LANDED"
        );
    }
    let folder = concat!(env!("CARGO_MANIFEST_DIR"), "/src/db/migrate");
    for entry in std::fs::read_dir(folder).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap();
        if !(name.ends_with(".sql") || name.ends_with(".rs")) {
            continue; // an editor's file
        }
        assert!(
            name == "tests.rs" || LANDED.iter().any(|(file, ..)| *file == name),
            "src/db/migrate/{name} is not in LANDED: add it there with its hash, {}",
            sha256_hex(&std::fs::read_to_string(&path).unwrap())
        );
    }
}

#[test]
fn steps_lead_one_version_at_a_time_to_the_schema_version() {
    let versions: Vec<i64> = STEPS.iter().map(|(v, _)| *v).collect();
    assert_eq!(versions, (2..=SCHEMA_VERSION).collect::<Vec<_>>());
    assert!(
        SCHEMA.starts_with(&format!("-- assetport schema, version {SCHEMA_VERSION}.")),
        "schema.sql's first line names another version than SCHEMA_VERSION"
    );
}

fn user_version(conn: &Connection) -> i64 {
    conn.query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap()
}

const INSERT_ASSET: &str = "INSERT INTO asset (entity_id, department_id, category_id,
    owner_id, name, asset_class, initial_price_cents, count, create_day, deadline, status)
    VALUES (1, 1, 1, 1, 'a', 0, 100, 1, 0, 0, ?1)";

/// An asset with a name a trigram search can find (3 characters or more).
const INSERT_NAMED_ASSET: &str = "INSERT INTO asset (entity_id, department_id, category_id,
    owner_id, name, asset_class, initial_price_cents, count, create_day, deadline, status)
    VALUES (1, 1, 1, 1, ?1, 0, 100, 1, 0, 0, 1)";

/// A database as version 1 left it, made by `v1.sql`: a company with a department, a category,
/// a user, two assets, and an export task with two snapshots, stored out of request order.
fn version_1() -> Connection {
    let conn = Connection::open_in_memory().unwrap();
    conn.execute_batch(V1).unwrap();
    conn.execute_batch(
        "PRAGMA user_version = 1;
         INSERT INTO entity (id, name) VALUES (1, 'e');
         INSERT INTO department (id, entity_id, name) VALUES (1, 1, 'd');
         INSERT INTO category (id, department_id, name) VALUES (1, 1, 'c');
         INSERT INTO user (id, name, password_hash, character, entity_id, department_id)
             VALUES (1, 'u', 'x', 2, 1, 1);
         INSERT INTO session (token, user_id, last_seen) VALUES ('clear', 1, 0);",
    )
    .unwrap();
    conn.execute(INSERT_ASSET, [2]).unwrap();
    conn.execute(INSERT_NAMED_ASSET, ["laptop"]).unwrap();
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

/// `conn` taken by the steps up to version `to` and stamped with it, as the build that landed
/// version `to` would have left it.
fn upgraded_to(mut conn: Connection, to: i64) -> Connection {
    let from = user_version(&conn);
    let tx = conn.transaction().unwrap();
    upgrade(&tx, from, to).unwrap();
    tx.execute_batch(&format!("PRAGMA user_version = {to}"))
        .unwrap();
    tx.commit().unwrap();
    conn
}

fn new_database() -> Connection {
    let mut conn = Connection::open_in_memory().unwrap();
    migrate(&mut conn).unwrap();
    conn
}

/// Every row a query returns, each as one line.
fn lines(conn: &Connection, sql: &str, param: &str) -> Vec<String> {
    let mut stmt = conn.prepare(sql).unwrap();
    let columns = stmt.column_count();
    stmt.query_map([param], |r| {
        (0..columns)
            .map(|i| r.get::<_, Value>(i).map(|v| format!("{v:?}")))
            .collect::<Result<Vec<_>, _>>()
            .map(|values| values.join(" "))
    })
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap()
}

/// A `CREATE TABLE` text as its tokens: comments and whitespace left out, keywords and names
/// in lower case and unquoted, string literals as written. The one normalization of the schema
/// comparison, and only for tables: ALTER TABLE writes a column it adds or renames into the
/// stored text in its own layout (`, name TYPE …` before the table constraints, without the
/// comments schema.sql has, a renamed column maybe quoted). A column, type, constraint, CHECK or
/// default that differs still differs here, as does their order.
fn table_tokens(sql: &str) -> String {
    let chars: Vec<char> = sql.chars().collect();
    let mut tokens: Vec<String> = Vec::new();
    let mut i = 0;
    let run = |i: &mut usize, keep: &dyn Fn(char) -> bool| {
        let start = *i;
        while *i < chars.len() && keep(chars[*i]) {
            *i += 1;
        }
        chars[start..*i].iter().collect::<String>()
    };
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c.is_whitespace() {
            i += 1;
        } else if c == '-' && next == Some('-') {
            run(&mut i, &|c| c != '\n');
        } else if c == '/' && next == Some('*') {
            i += 2;
            while i < chars.len() && !(chars[i] == '*' && chars.get(i + 1) == Some(&'/')) {
                i += 1;
            }
            i += 2;
        } else if c == '\'' {
            let start = i;
            i += 1;
            loop {
                if chars[i] == '\'' && chars.get(i + 1) == Some(&'\'') {
                    i += 2;
                } else if chars[i] == '\'' {
                    i += 1;
                    break;
                } else {
                    i += 1;
                }
            }
            tokens.push(chars[start..i].iter().collect());
        } else if matches!(c, '"' | '`' | '[') {
            let close = if c == '[' { ']' } else { c };
            i += 1;
            tokens.push(run(&mut i, &|c| c != close).to_lowercase());
            i += 1;
        } else if c.is_alphanumeric() || c == '_' {
            tokens.push(run(&mut i, &|c| c.is_alphanumeric() || c == '_').to_lowercase());
        } else if "<>=!|".contains(c) {
            tokens.push(run(&mut i, &|c| "<>=!|".contains(c)));
        } else {
            tokens.push(c.to_string());
            i += 1;
        }
    }
    tokens.join(" ")
}

/// What a database's schema is, one line per fact: its version; every object of `sqlite_schema`
/// with its SQL (exact, but for tables' token form); every table's columns as SQLite reads them
/// (name, type, not null, default, key, hidden) and foreign keys; every index's columns,
/// collations and order; and how many rows the tables schema.sql seeds hold.
fn shape(conn: &Connection) -> Vec<String> {
    let mut shape = vec![format!("user_version {}", user_version(conn))];
    let mut stmt = conn
        .prepare("SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY type, name")
        .unwrap();
    let objects: Vec<(String, String, String, Option<String>)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for (kind, name, table, sql) in objects {
        let sql = match sql {
            Some(sql) if sql.starts_with("CREATE TABLE") => table_tokens(&sql),
            Some(sql) => sql,
            None => "(made by SQLite)".to_owned(),
        };
        shape.push(format!("{kind} {name} on {table}: {sql}"));
        let details: &[(&str, &str)] = match kind.as_str() {
            "table" => &[
                (
                    "column",
                    "SELECT * FROM pragma_table_xinfo(?1) ORDER BY cid",
                ),
                (
                    "foreign key",
                    "SELECT * FROM pragma_foreign_key_list(?1) ORDER BY id, seq",
                ),
            ],
            "index" => &[("key", "SELECT * FROM pragma_index_xinfo(?1) ORDER BY seqno")],
            _ => &[],
        };
        for (what, query) in details {
            for line in lines(conn, query, &name) {
                shape.push(format!("{kind} {name} {what}: {line}"));
            }
        }
    }
    // Their one row each (its value moves with use: the text index's mark, the id floor).
    for seeded in ["text_index", "asset_id_floor"] {
        let rows: Result<i64, _> =
            conn.query_row(&format!("SELECT count(*) FROM {seeded}"), [], |r| r.get(0));
        shape.push(format!("rows of {seeded}: {rows:?}"));
    }
    shape
}

/// Fails, naming what differs, unless `conn` has exactly the schema of a new database.
fn assert_new_schema(conn: &Connection, what: &str) {
    let new = shape(&new_database());
    let upgraded = shape(conn);
    let missing: Vec<&String> = new.iter().filter(|l| !upgraded.contains(l)).collect();
    let extra: Vec<&String> = upgraded.iter().filter(|l| !new.contains(l)).collect();
    assert!(
        missing.is_empty() && extra.is_empty() && upgraded == new,
        "{what}: its schema is not a new database's.\nOnly in a new database: \
         {missing:#?}\nOnly in the upgraded one: {extra:#?}"
    );
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

fn count(conn: &Connection, sql: &str) -> i64 {
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

/// The kept asset counts of department 1 and category 1, and their true counts (the block
/// counts of department 1 must add up to its count: version 10 fills them).
fn kept_counts(conn: &Connection) -> [i64; 4] {
    assert_eq!(
        count(
            conn,
            "SELECT coalesce(sum(n), 0) FROM asset_block WHERE department_id = 1"
        ),
        count(conn, "SELECT count(*) FROM asset WHERE department_id = 1"),
        "the block counts of department 1"
    );
    [
        count(conn, "SELECT asset_count FROM department WHERE id = 1"),
        count(conn, "SELECT count(*) FROM asset WHERE department_id = 1"),
        count(conn, "SELECT asset_count FROM category WHERE id = 1"),
        count(conn, "SELECT count(*) FROM asset WHERE category_id = 1"),
    ]
}

/// Fills the trigram index as the text indexer does (with its SQL, so that these tests depend on
/// the schema alone, not on where the indexer's code lives).
fn fill_text_index(conn: &Connection) {
    conn.execute_batch(
        "INSERT INTO asset_text(rowid, name, description)
             SELECT id, name, description FROM asset
             WHERE id > (SELECT indexed_to FROM text_index);
         UPDATE text_index SET indexed_to = (SELECT max(id) FROM asset);",
    )
    .unwrap();
}

/// The trigram index, once filled, finds the named asset.
fn assert_text_search_works(conn: &Connection) {
    fill_text_index(conn);
    let found = count(
        conn,
        "SELECT count(*) FROM asset_text WHERE asset_text MATCH '\"apto\"'",
    );
    assert_eq!(found, 1);
}

#[test]
fn version_1_upgrades_step_by_step_to_a_new_database_and_keeps_its_data() {
    let mut conn = version_1();
    assert!(builds_a_temporary_btree(&conn, INSERT_ASSET));
    migrate(&mut conn).unwrap();
    assert_eq!(user_version(&conn), SCHEMA_VERSION);
    assert_new_schema(&conn, "version 1 upgraded");
    assert!(!builds_a_temporary_btree(&conn, INSERT_ASSET));
    assert!(!builds_a_temporary_btree(
        &conn,
        "UPDATE task SET finish = ?1 WHERE id = 1"
    ));
    // The assets are still there, counted, and the constraints still hold.
    assert_eq!(
        count(&conn, "SELECT count(*) FROM asset WHERE status = 2"),
        1
    );
    assert_eq!(kept_counts(&conn), [2, 2, 2, 2]);
    // The export's snapshots are one chunk, in request order.
    let chunk: (i64, String) = conn
        .query_row(
            "SELECT first_seq, snapshots FROM export_chunk WHERE task_id = 7",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(chunk, (0, r#"[{"id":1},{"id":2}]"#.to_owned()));
    // Version 3 dropped the clear session tokens.
    assert_eq!(count(&conn, "SELECT count(*) FROM session"), 0);
    conn.execute(INSERT_ASSET, [3]).unwrap();
    conn.execute_batch(
        "INSERT INTO session (token_hash, user_id, last_seen) VALUES ('h', 1, 0);
         UPDATE task SET runner_id = 1, stored = 1, port_type = 2, file_hash = 'f' WHERE id = 7;",
    )
    .unwrap();
    for bad in [0, 4] {
        let err = conn.execute(INSERT_ASSET, [bad]).unwrap_err();
        assert!(err.to_string().contains("CHECK"), "{err}");
    }
    assert_text_search_works(&conn);
    // Running it again is a no-op.
    migrate(&mut conn).unwrap();
    assert_new_schema(&conn, "version 1 upgraded, migrated twice");
}

#[test]
fn every_version_upgrades_to_a_new_database() {
    for version in 1..SCHEMA_VERSION {
        let mut conn = upgraded_to(version_1(), version);
        assert_eq!(user_version(&conn), version);
        migrate(&mut conn).unwrap();
        assert_new_schema(&conn, &format!("version {version} upgraded"));
        assert_eq!(kept_counts(&conn), [2, 2, 2, 2], "version {version}");
    }
}

#[test]
fn a_new_database_gets_the_current_schema() {
    let conn = new_database();
    assert_eq!(user_version(&conn), SCHEMA_VERSION);
    assert!(!builds_a_temporary_btree(
        &conn,
        "INSERT INTO task (entity_id, creator_id, create_time, port_type, end_seq)
         VALUES (1, 1, '', 1, ?1)"
    ));
}

#[test]
fn step_8_leaves_a_whole_database_as_it_is() {
    // A version-7 database, made by the steps up to 7 (version 7's schema.sql was that).
    let empty = Connection::open_in_memory().unwrap();
    empty.execute_batch(V1).unwrap();
    empty.execute_batch("PRAGMA user_version = 1").unwrap();
    let mut conn = upgraded_to(empty, 7);
    conn.execute_batch(
        "INSERT INTO entity (id, name) VALUES (1, 'e');
         INSERT INTO department (id, entity_id, name, asset_count) VALUES (1, 1, 'd', 1);
         INSERT INTO category (id, department_id, name, asset_count) VALUES (1, 1, 'c', 1);
         INSERT INTO user (id, name, password_hash, character, entity_id, department_id)
             VALUES (1, 'u', 'x', 2, 1, 1);",
    )
    .unwrap();
    conn.execute(INSERT_NAMED_ASSET, ["laptop"]).unwrap();
    fill_text_index(&conn);
    migrate(&mut conn).unwrap();
    assert_new_schema(&conn, "a whole version 7");
    assert_eq!(kept_counts(&conn), [1, 1, 1, 1]);
    assert_eq!(count(&conn, "SELECT indexed_to FROM text_index"), 1);
    let tx = conn.transaction().unwrap();
    v8::upgrade(&tx).unwrap();
    tx.commit().unwrap();
    assert_new_schema(&conn, "a whole version 7, step 8 run twice");
}

#[test]
fn table_tokens_ignore_layout_only() {
    assert_eq!(
        table_tokens("CREATE TABLE t (\n    a   INTEGER, -- why\n    \"b\" TEXT /* x */ )"),
        table_tokens("CREATE TABLE t (a INTEGER, b TEXT)")
    );
    for differs in [
        "CREATE TABLE t (a INTEGER, b TEXT NOT NULL)",
        "CREATE TABLE t (a INTEGER, b TEXT DEFAULT 'x')",
        "CREATE TABLE t (a INTEGER, b TEXT DEFAULT 'X')",
        "CREATE TABLE t (a INTEGER CHECK (a >= 0), b TEXT)",
        "CREATE TABLE t (b TEXT, a INTEGER)",
        "CREATE TABLE t (a INTEGER, b TEXT, UNIQUE (a))",
    ] {
        assert_ne!(
            table_tokens(differs),
            table_tokens("CREATE TABLE t (a INTEGER, b TEXT)"),
            "{differs}"
        );
    }
}

#[test]
fn a_start_backs_up_an_older_database_before_it_upgrades_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.sqlite3");
    upgraded_to(version_1(), 8)
        .execute("VACUUM INTO ?1", [path.to_str().unwrap()])
        .unwrap();
    drop(crate::db::open(&path).unwrap());
    assert_eq!(
        user_version(&Connection::open(&path).unwrap()),
        SCHEMA_VERSION
    );

    let backups: Vec<_> = std::fs::read_dir(dir.path().join("backups"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "sqlite3"))
        .collect();
    assert_eq!(backups.len(), 1, "{backups:?}");
    let name = backups[0].file_name().unwrap().to_str().unwrap();
    assert!(name.ends_with("-schema8.sqlite3"), "{name}");
    let manifest = crate::backup::read_manifest(&backups[0]).unwrap().unwrap();
    assert_eq!((manifest.schema_version, manifest.assets), (8, 2));
    let copy = Connection::open(&backups[0]).unwrap();
    assert_eq!(user_version(&copy), 8);
    assert_eq!(count(&copy, "SELECT count(*) FROM asset"), 2);
}
