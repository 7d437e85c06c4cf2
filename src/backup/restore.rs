//! `assetport restore FILE`, with the server stopped: checks the backup (integrity, the SHA-256
//! of its manifest if it has one, its schema version), upgrades a copy of it beside the
//! database to this program's schema, ends every session in it, keeps the current database as
//! `DATABASE.before-restore-YYYYMMDD-HHMMSS` and puts the copy in its place. Unfinished tasks
//! in the backup resume at the next start, like after any stop.

use super::lock::DatabaseLock;
use rusqlite::Connection;
use std::path::{Path, PathBuf};

/// What a restore did, for the person at the terminal.
#[derive(Debug)]
pub struct Restored {
    pub from_version: i64,
    /// Where the database that was replaced is kept (None if there was none).
    pub kept: Option<PathBuf>,
}

/// Restores `file` as `database`. Refuses while a server runs on `database`, and changes
/// nothing when the backup is damaged, altered or of a newer schema.
pub fn restore(file: &Path, database: &Path) -> Result<Restored, String> {
    let _lock = DatabaseLock::take(database)?;
    let from_version = check(file)?;
    let mut partial = database.as_os_str().to_owned();
    partial.push(format!(".restoring-{}", std::process::id()));
    let partial = PathBuf::from(partial);
    let _ = std::fs::remove_file(&partial);
    let prepared = super::copy_into(file, &partial).and_then(|()| prepare(&partial));
    if let Err(e) = prepared {
        let _ = std::fs::remove_file(&partial);
        return Err(e);
    }
    let kept = match keep_current(database) {
        Ok(kept) => kept,
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            return Err(e);
        }
    };
    std::fs::rename(&partial, database)
        .map_err(|e| format!("cannot move the restored database into place: {e}"))?;
    Ok(Restored { from_version, kept })
}

/// Checks the backup and returns its schema version.
fn check(file: &Path) -> Result<i64, String> {
    if !file.is_file() {
        return Err(format!("no backup at {}", file.display()));
    }
    if let Some(manifest) = super::read_manifest(file)? {
        let (_, sha256) = super::digest(file)?;
        if sha256 != manifest.sha256 {
            return Err(format!(
                "{} does not match its manifest (SHA-256 {sha256}, manifest {}): \
                 it was changed or damaged; nothing was restored",
                file.display(),
                manifest.sha256
            ));
        }
    }
    let conn = super::open_read_only(file)?;
    super::check_integrity(&conn, file)?;
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(|e| format!("{} is not a database: {e}", file.display()))?;
    let has_assets: bool = conn
        .query_row(
            "SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = 'asset'",
            [],
            |r| r.get(0),
        )
        .map_err(|e| format!("{} is not a database: {e}", file.display()))?;
    if version < 1 || !has_assets {
        return Err(format!(
            "{} is not an assetport database; nothing was restored",
            file.display()
        ));
    }
    crate::db::check_not_newer(version)
        .map_err(|e| format!("{}: {e}; nothing was restored", file.display()))?;
    Ok(version)
}

/// Upgrades the copy to this program's schema and ends every session in it.
fn prepare(partial: &Path) -> Result<(), String> {
    let mut conn = Connection::open(partial).map_err(|e| format!("{}: {e}", partial.display()))?;
    crate::db::upgrade_schema(&mut conn)?;
    crate::db::users::end_all_sessions(&conn).map_err(|e| e.to_string())?;
    conn.close()
        .map_err(|(_, e)| format!("{}: {e}", partial.display()))
}

/// Keeps the current database (its WAL folded in first) as
/// `DATABASE.before-restore-YYYYMMDD-HHMMSS`; None if there is none.
fn keep_current(database: &Path) -> Result<Option<PathBuf>, String> {
    if !database.exists() {
        return Ok(None);
    }
    {
        let conn =
            Connection::open(database).map_err(|e| format!("{}: {e}", database.display()))?;
        conn.busy_timeout(std::time::Duration::from_secs(30))
            .map_err(|e| e.to_string())?;
        // Every commit in the WAL goes into the file, and the WAL is emptied, so the file
        // alone is the whole database.
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .map_err(|e| format!("cannot fold the WAL into {}: {e}", database.display()))?;
        conn.execute_batch("PRAGMA journal_mode = DELETE;")
            .map_err(|e| format!("{}: {e}", database.display()))?;
        conn.close()
            .map_err(|(_, e)| format!("{}: {e}", database.display()))?;
    }
    let stamp = chrono::Local::now().format("%Y%m%d-%H%M%S");
    let mut kept = database.as_os_str().to_owned();
    kept.push(format!(".before-restore-{stamp}"));
    let kept = PathBuf::from(kept);
    std::fs::rename(database, &kept).map_err(|e| {
        format!(
            "cannot keep the current database as {}: {e}",
            kept.display()
        )
    })?;
    for suffix in ["-wal", "-shm"] {
        let mut side = database.as_os_str().to_owned();
        side.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(side));
    }
    Ok(Some(kept))
}
