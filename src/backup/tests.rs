use super::lock::DatabaseLock;
use super::*;
use rusqlite::Connection;

/// A database of the current schema on disk, in WAL mode, with `assets` assets.
fn database(dir: &Path, assets: usize) -> PathBuf {
    let path = dir.join("db.sqlite3");
    let pool = crate::db::open(&path).unwrap();
    let conn = pool.get().unwrap();
    let company = crate::db::fixture::insert_entity(&conn, "示例企业");
    let cst = crate::db::fixture::insert_department(&conn, company, None, "CST");
    let user = crate::db::fixture::insert_user(
        &conn,
        "liusn",
        crate::auth::Role::Manager,
        Some(company),
        Some(cst),
    );
    for i in 0..assets {
        let asset = crate::db::fixture::new_asset(
            &conn,
            (cst, crate::db::org::QUANTITY_CATEGORY),
            user,
            &format!("设备{i}"),
        );
        crate::db::fixture::insert_asset(&conn, &asset);
    }
    path
}

fn count(path: &Path, sql: &str) -> i64 {
    Connection::open(path)
        .unwrap()
        .query_row(sql, [], |r| r.get(0))
        .unwrap()
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn a_backup_is_a_private_verified_copy_with_its_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let db = database(dir.path(), 5);
    let dest = dir.path().join("copy.sqlite3");
    let manifest = write(&db, &dest).unwrap();
    assert_eq!(manifest.assets, 5);
    assert_eq!(manifest.schema_version, crate::db::SCHEMA_VERSION);
    assert_eq!(manifest.assetport_version, env!("CARGO_PKG_VERSION"));
    assert_eq!(
        digest(&dest).unwrap(),
        (manifest.size, manifest.sha256.clone())
    );
    assert_eq!(read_manifest(&dest).unwrap(), Some(manifest));
    assert_eq!(count(&dest, "SELECT count(*) FROM asset"), 5);
    #[cfg(unix)]
    {
        assert_eq!(mode(&dest), 0o600);
        assert_eq!(mode(&manifest_path(&dest)), 0o600);
    }
    // Nothing else was left in the folder, and a second backup does not overwrite the first.
    let e = write(&db, &dest).unwrap_err();
    assert!(e.contains("exists"), "{e}");
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.contains("partial"))
        .collect();
    assert!(names.is_empty(), "{names:?}");
}

#[test]
fn a_restore_replaces_the_database_keeps_the_old_one_and_ends_sessions() {
    let dir = tempfile::tempdir().unwrap();
    let db = database(dir.path(), 3);
    let dest = dir.path().join("copy.sqlite3");
    write(&db, &dest).unwrap();
    {
        let pool = crate::db::open(&db).unwrap();
        let conn = pool.get().unwrap();
        conn.execute("DELETE FROM asset_history", []).unwrap();
        conn.execute(
            "INSERT INTO session (token_hash, user_id, last_seen) SELECT 'x', id, 0 FROM user",
            [],
        )
        .unwrap();
    }
    let before = count(&db, "SELECT count(*) FROM session");
    assert!(before > 0);
    let restored = restore::restore(&dest, &db).unwrap();
    let kept = restored.kept.unwrap();
    assert_eq!(count(&kept, "SELECT count(*) FROM session"), before);
    assert_eq!(count(&db, "SELECT count(*) FROM asset"), 3);
    assert_eq!(count(&db, "SELECT count(*) FROM session"), 0);
}

#[test]
fn a_restore_refuses_a_newer_schema_a_changed_file_and_a_running_server() {
    let dir = tempfile::tempdir().unwrap();
    let db = database(dir.path(), 1);
    let dest = dir.path().join("copy.sqlite3");
    write(&db, &dest).unwrap();
    let original = std::fs::read(&db).unwrap();

    // Held by a server: refused.
    let lock = DatabaseLock::take(&db).unwrap();
    let e = restore::restore(&dest, &db).unwrap_err();
    assert!(e.contains("stop it first"), "{e}");
    drop(lock);

    // A newer schema (the manifest removed, so only the version speaks): refused, naming both.
    let newer = dir.path().join("newer.sqlite3");
    std::fs::copy(&dest, &newer).unwrap();
    Connection::open(&newer)
        .unwrap()
        .execute_batch(&format!(
            "PRAGMA user_version = {}",
            crate::db::SCHEMA_VERSION + 1
        ))
        .unwrap();
    let e = restore::restore(&newer, &db).unwrap_err();
    assert!(
        e.contains(&format!("version {}", crate::db::SCHEMA_VERSION + 1)),
        "{e}"
    );
    assert!(
        e.contains(&format!("version {}", crate::db::SCHEMA_VERSION)),
        "{e}"
    );
    // The server refuses to open it too.
    let Err(e) = crate::db::open(&newer) else {
        panic!("a newer schema was opened");
    };
    assert!(e.contains("newer"), "{e}");

    // Changed after it was written: its manifest's SHA-256 no longer matches.
    Connection::open(&dest)
        .unwrap()
        .execute("DELETE FROM asset", [])
        .unwrap();
    let e = restore::restore(&dest, &db).unwrap_err();
    assert!(e.contains("does not match its manifest"), "{e}");

    // Nothing was changed by the refusals.
    assert_eq!(std::fs::read(&db).unwrap(), original);
}
