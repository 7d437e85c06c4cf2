//! The server's hold on its database: an exclusive OS lock on `DATABASE.lock` beside it, taken
//! at start and kept for the process's life (the OS lets go when the process ends, even by
//! SIGKILL). `assetport restore` takes the same lock, so it refuses to run under a server, and no
//! server starts while a restore runs.

use std::fs::{File, TryLockError};
use std::path::{Path, PathBuf};

/// Held while it lives.
#[derive(Debug)]
pub struct DatabaseLock {
    _file: File,
}

/// `DATABASE.lock`.
pub fn lock_path(database: &Path) -> PathBuf {
    let mut name = database.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

impl DatabaseLock {
    /// Takes the lock (creating the database's folder if needed), or says that a running
    /// assetport holds it.
    pub fn take(database: &Path) -> Result<DatabaseLock, String> {
        if let Some(dir) = database.parent() {
            if !dir.as_os_str().is_empty() {
                crate::private_files::create_dir(dir)
                    .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
            }
        }
        let path = lock_path(database);
        let file = crate::private_files::open_append(&path).map_err(|e| {
            let why = match e.kind() {
                std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem => {
                    format!(
                        "; the folder of {} is read-only for this user (assetport writes its lock, log and backups beside the database)",
                        database.display()
                    )
                }
                _ => String::new(),
            };
            format!("cannot open {}: {e}{why}", path.display())
        })?;
        match file.try_lock() {
            Ok(()) => Ok(DatabaseLock { _file: file }),
            Err(TryLockError::WouldBlock) => Err(format!(
                "{} is in use by a running assetport (it holds {}); stop it first",
                database.display(),
                path.display()
            )),
            Err(TryLockError::Error(e)) => Err(format!("cannot lock {}: {e}", path.display())),
        }
    }
}
