//! Databases as the builds that stamped versions 5 and 2 early left them: step 8 repairs each
//! to exactly the schema of a new database.

use super::*;

/// What the builds at 92346ad, 9f4e655 and 938978a ran to make version 5 of a version-4
/// database (their `upgrade_to_5`, with the part of their schema.sql it ran). The first of them:
const V5_BY_92346AD: &str = "ALTER TABLE task ADD COLUMN start_time TEXT;
    ALTER TABLE task ADD COLUMN finish_time TEXT;
    ALTER TABLE task ADD COLUMN file_name TEXT;
    ALTER TABLE task ADD COLUMN cancelled INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE task ADD COLUMN pruned INTEGER NOT NULL DEFAULT 0;
    UPDATE task SET start_time = create_time, finish_time = create_time WHERE finish != 0;";

/// ... what 9f4e655 and 938978a added to it ...
const V5_DEPARTMENT_COUNTS: &str =
    "ALTER TABLE department ADD COLUMN asset_count INTEGER NOT NULL DEFAULT 0;
    UPDATE department SET asset_count =
        (SELECT count(*) FROM asset WHERE asset.department_id = department.id);";

/// ... and the part of 9f4e655's schema.sql it ran: departments counted by triggers.
const V5_BY_9F4E655_INDEXES: &str = "
CREATE INDEX asset_entity ON asset(entity_id);
CREATE INDEX asset_department_id ON asset(department_id);
CREATE INDEX asset_retired ON asset(entity_id) WHERE expire = 1;
CREATE TRIGGER asset_counted AFTER INSERT ON asset BEGIN
    UPDATE department SET asset_count = asset_count + 1 WHERE id = new.department_id;
END;
CREATE TRIGGER asset_uncounted AFTER DELETE ON asset BEGIN
    UPDATE department SET asset_count = asset_count - 1 WHERE id = old.department_id;
END;
CREATE TRIGGER asset_moved AFTER UPDATE OF department_id ON asset
    WHEN new.department_id != old.department_id BEGIN
    UPDATE department SET asset_count = asset_count - 1 WHERE id = old.department_id;
    UPDATE department SET asset_count = asset_count + 1 WHERE id = new.department_id;
END;";

/// A version-4 database stamped 5 by a build that ran `sql` for it.
fn stamped_5_by(sql: &[&str]) -> Connection {
    let conn = upgraded_to(version_1(), 4);
    conn.execute_batch(&sql.concat()).unwrap();
    conn.execute_batch("PRAGMA user_version = 5").unwrap();
    conn
}

#[test]
fn version_5_as_92346ad_stamped_it_is_repaired() {
    let mut conn = stamped_5_by(&[V5_BY_92346AD]);
    let columns = |conn: &Connection| {
        count(
            conn,
            "SELECT count(*) FROM pragma_table_info('department') WHERE name = 'asset_count'",
        )
    };
    assert_eq!(columns(&conn), 0);
    migrate(&mut conn).unwrap();
    assert_new_schema(&conn, "version 5 as 92346ad stamped it");
    assert_eq!(kept_counts(&conn), [2, 2, 2, 2]);
    assert_text_search_works(&conn);
}

#[test]
fn version_5_as_9f4e655_stamped_it_is_repaired_and_recounted() {
    let mut conn = stamped_5_by(&[V5_BY_92346AD, V5_DEPARTMENT_COUNTS, V5_BY_9F4E655_INDEXES]);
    // An asset inserted by a later build while the triggers stayed: the trigger counted it,
    // and so did the inserting code.
    conn.execute(INSERT_NAMED_ASSET, ["desk lamp"]).unwrap();
    conn.execute_batch("UPDATE department SET asset_count = asset_count + 1 WHERE id = 1")
        .unwrap();
    let department = "SELECT asset_count, (SELECT count(*) FROM asset) FROM department";
    let counts = |conn: &Connection| -> (i64, i64) {
        conn.query_row(department, [], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
    };
    assert_eq!(counts(&conn), (4, 3));
    migrate(&mut conn).unwrap();
    assert_new_schema(&conn, "version 5 as 9f4e655 stamped it");
    assert_eq!(kept_counts(&conn), [3, 3, 3, 3]);
    // No trigger counts an insert any more.
    conn.execute(INSERT_ASSET, [1]).unwrap();
    assert_eq!(counts(&conn), (3, 4));
    assert_text_search_works(&conn);
}

#[test]
fn version_5_as_938978a_stamped_it_is_repaired() {
    let v5 = include_str!("../v5.sql");
    // 938978a's asset indexes and text index: the same part of its schema.sql as the end of
    // v5.sql was copied from.
    let indexes = &v5[v5.find("-- By entity, and by department alone").unwrap()..];
    let mut conn = stamped_5_by(&[V5_BY_92346AD, V5_DEPARTMENT_COUNTS, indexes]);
    migrate(&mut conn).unwrap();
    assert_new_schema(&conn, "version 5 as 938978a stamped it");
    assert_eq!(kept_counts(&conn), [2, 2, 2, 2]);
    assert_text_search_works(&conn);
}

#[test]
fn version_2_as_5041a85_stamped_it_is_repaired() {
    // 5041a85's version 2: the CHECKs edited, the snapshots still a row each.
    let mut conn = version_1();
    let tx = conn.transaction().unwrap();
    edit_checks::edit_checks(&tx, &v2::CHECKS).unwrap();
    tx.execute_batch("PRAGMA user_version = 2").unwrap();
    tx.commit().unwrap();
    migrate(&mut conn).unwrap();
    assert_new_schema(&conn, "version 2 as 5041a85 stamped it");
    let chunk: (i64, String) = conn
        .query_row(
            "SELECT first_seq, snapshots FROM export_chunk WHERE task_id = 7",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(chunk, (0, r#"[{"id":1},{"id":2}]"#.to_owned()));
}
