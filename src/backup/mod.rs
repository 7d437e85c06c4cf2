//! Backups: a consistent copy of the database, taken while the server writes, through SQLite's
//! online backup (never a file copy, which could catch a page half-written or miss the WAL).
//! Every copy is private (0600), checked (`PRAGMA integrity_check` on the copy) and described by
//! a manifest beside it, `FILE.manifest.json` (docs/backup.md). `restore.rs` puts one back,
//! `lock.rs` keeps it from happening under a running server.

pub mod lock;
pub mod restore;
pub mod schedule;

use rusqlite::{Connection, OpenFlags};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::{Path, PathBuf};

/// What a backup holds, written beside it as `FILE.manifest.json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Manifest {
    pub assetport_version: String,
    pub schema_version: i64,
    /// When the copy was taken, local time 'YYYY-MM-DD HH:MM:SS'.
    pub time: String,
    pub size: u64,
    /// SHA-256 of the file, lowercase hex.
    pub sha256: String,
    pub assets: i64,
    pub tasks: i64,
    pub unfinished_tasks: i64,
}

/// The manifest's path for the backup `file`: `FILE.manifest.json`.
pub fn manifest_path(file: &Path) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(".manifest.json");
    PathBuf::from(name)
}

/// Writes a verified copy of the database `source` to `dest` (which must not exist) with its
/// manifest, and returns the manifest. The copy is taken in one step of the online backup, under
/// one read transaction: it is the database as of one commit, whatever the server writes
/// meanwhile. It is written to a private temporary file in `dest`'s folder, checked, and only
/// then given its name: a failed backup leaves nothing behind.
pub fn write(source: &Path, dest: &Path) -> Result<Manifest, String> {
    if !source.is_file() {
        return Err(format!("no database at {}", source.display()));
    }
    if dest.exists() {
        return Err(format!(
            "{} exists; a backup does not overwrite a file",
            dest.display()
        ));
    }
    let partial = partial_path(dest);
    let written = copy_into(source, &partial).and_then(|()| verify_and_describe(&partial));
    let manifest = match written {
        Ok(manifest) => manifest,
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            return Err(e);
        }
    };
    std::fs::rename(&partial, dest).map_err(|e| {
        let _ = std::fs::remove_file(&partial);
        format!("cannot name the backup {}: {e}", dest.display())
    })?;
    write_manifest(dest, &manifest)?;
    // The copy's pages were synced by its own commits; its name and the manifest's are synced
    // with their folder's entries.
    if let Some(dir) = dest.parent().filter(|d| !d.as_os_str().is_empty()) {
        if let Ok(folder) = std::fs::File::open(dir) {
            let _ = folder.sync_all();
        }
    }
    Ok(manifest)
}

/// `dest`'s temporary name while it is written: beside it, so the rename stays in one file
/// system.
fn partial_path(dest: &Path) -> PathBuf {
    let mut name = dest.as_os_str().to_owned();
    name.push(format!(".partial-{}", std::process::id()));
    PathBuf::from(name)
}

/// Copies `source` into the new private file `to` through the online backup API, all pages in
/// one step (so under one read transaction), and makes the copy a self-contained file (rollback
/// journal, no WAL beside it).
pub fn copy_into(source: &Path, to: &Path) -> Result<(), String> {
    create_private(to)?;
    let from = open_read_only(source)?;
    let mut copy = Connection::open(to).map_err(|e| format!("{}: {e}", to.display()))?;
    {
        let backup = rusqlite::backup::Backup::new(&from, &mut copy)
            .map_err(|e| format!("cannot start the backup: {e}"))?;
        loop {
            // -1: every page in one step; Busy/Locked only while another connection holds a
            // lock the read cannot share (a checkpoint's moment): try again.
            match backup.step(-1) {
                Ok(rusqlite::backup::StepResult::Done) => break,
                Ok(_) => std::thread::sleep(std::time::Duration::from_millis(20)),
                Err(e) => return Err(format!("the backup failed: {e}")),
            }
        }
    }
    copy.execute_batch("PRAGMA journal_mode = DELETE;")
        .map_err(|e| format!("{}: {e}", to.display()))?;
    copy.close()
        .map_err(|(_, e)| format!("{}: {e}", to.display()))
}

/// Opens `path` read-only (a backup never changes what it copies, nor a file being restored).
pub(crate) fn open_read_only(path: &Path) -> Result<Connection, String> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    conn.busy_timeout(std::time::Duration::from_secs(30))
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(conn)
}

/// Creates `path` empty and private (0600); it must not exist.
fn create_private(path: &Path) -> Result<(), String> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
        .open(path)
        .map(drop)
        .map_err(|e| format!("cannot create {}: {e}", path.display()))
}

/// Checks the copy (`PRAGMA integrity_check`) and returns its manifest.
pub(crate) fn verify_and_describe(file: &Path) -> Result<Manifest, String> {
    // The check and the SHA-256 both read the whole file: side by side, they take the time of
    // the longer one.
    let (checked, digested) = std::thread::scope(|s| {
        let digest = s.spawn(|| digest(file));
        let checked = describe(file);
        let digested = digest
            .join()
            .unwrap_or_else(|_| Err("the SHA-256 thread failed".into()));
        (checked, digested)
    });
    let mut manifest = checked?;
    (manifest.size, manifest.sha256) = digested?;
    Ok(manifest)
}

/// Checks the copy and reads its counts; the size and SHA-256 are left to `digest`.
fn describe(file: &Path) -> Result<Manifest, String> {
    let conn = open_read_only(file)?;
    // The check looks up every index entry in its table: the file mapped, and a cache of 128
    // MiB, keep those lookups from reading the same pages again and again.
    conn.execute_batch("PRAGMA mmap_size = 4294967296; PRAGMA cache_size = -131072;")
        .map_err(|e| format!("{}: {e}", file.display()))?;
    check_integrity(&conn, file)?;
    let count = |sql: &str| -> Result<i64, String> {
        conn.query_row(sql, [], |r| r.get(0))
            .map_err(|e| format!("{}: {e}", file.display()))
    };
    let schema_version = count("PRAGMA user_version")?;
    let assets = count("SELECT count(*) FROM asset")?;
    let tasks = count("SELECT count(*) FROM task")?;
    let unfinished_tasks = count("SELECT count(*) FROM task WHERE finish = 0")?;
    Ok(Manifest {
        assetport_version: env!("CARGO_PKG_VERSION").to_owned(),
        schema_version,
        time: crate::clock::now_text(),
        size: 0,
        sha256: String::new(),
        assets,
        tasks,
        unfinished_tasks,
    })
}

/// `PRAGMA integrity_check` must answer exactly "ok".
pub(crate) fn check_integrity(conn: &Connection, file: &Path) -> Result<(), String> {
    let mut statement = conn
        .prepare("PRAGMA integrity_check")
        .map_err(|e| format!("{} is not a database: {e}", file.display()))?;
    let lines: Vec<String> = statement
        .query_map([], |r| r.get(0))
        .and_then(|rows| rows.collect())
        .map_err(|e| format!("{} is not a database: {e}", file.display()))?;
    if lines != ["ok"] {
        let first: Vec<&str> = lines.iter().take(3).map(String::as_str).collect();
        return Err(format!(
            "{} fails its integrity check: {}",
            file.display(),
            first.join("; ")
        ));
    }
    Ok(())
}

/// The file's size and SHA-256 (lowercase hex).
pub fn digest(file: &Path) -> Result<(u64, String), String> {
    let mut f = std::fs::File::open(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 20];
    let mut size = 0u64;
    loop {
        let n = f
            .read(&mut buffer)
            .map_err(|e| format!("{}: {e}", file.display()))?;
        if n == 0 {
            break;
        }
        size += n as u64;
        hasher.update(&buffer[..n]);
    }
    Ok((size, format!("{:x}", hasher.finalize())))
}

/// Writes `FILE.manifest.json` (0600) beside the backup `file`.
fn write_manifest(file: &Path, manifest: &Manifest) -> Result<(), String> {
    let path = manifest_path(file);
    let text = serde_json::to_string_pretty(manifest).map_err(|e| e.to_string())?;
    let _ = std::fs::remove_file(&path);
    create_private(&path)?;
    let written = std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .and_then(|mut f| {
            std::io::Write::write_all(&mut f, (text + "\n").as_bytes())?;
            f.sync_all()
        });
    written.map_err(|e| format!("{}: {e}", path.display()))
}

/// The manifest beside the backup `file`, if there is one.
pub fn read_manifest(file: &Path) -> Result<Option<Manifest>, String> {
    let path = manifest_path(file);
    match std::fs::read_to_string(&path) {
        Ok(text) => serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| format!("{} is not a manifest: {e}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

/// The folder of scheduled and pre-upgrade backups: `backups/` beside the database.
pub fn folder(database: &Path) -> PathBuf {
    database.parent().unwrap_or(Path::new("")).join("backups")
}

/// Before a schema upgrade at start: a backup of the database as it is, in `backups/`, named
/// with its schema version. Called with the database not yet opened by the pool.
pub fn before_upgrade(database: &Path, from_version: i64) -> Result<PathBuf, String> {
    let dir = folder(database);
    crate::private_files::create_dir(&dir)
        .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let stamp = chrono::Local::now().format("%Y%m%d-%H%M%S");
    let dest = dir.join(format!("assetport-{stamp}-schema{from_version}.sqlite3"));
    write(database, &dest)?;
    Ok(dest)
}

#[cfg(test)]
mod tests;
