//! The backups of `backups/` beside the database: taken every `backup_interval_hours` by the
//! `backup` thread, or at once by the super admin (API), one at a time; the newest `backup_keep`
//! stay. Named `assetport-YYYYMMDD-HHMMSS.sqlite3`, each with its manifest.

use super::Manifest;
use parking_lot::{Condvar, Mutex};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// The server's backups folder and the one backup it may be writing.
pub struct Backups {
    database: PathBuf,
    keep: usize,
    /// Held while a backup is written: a second waits (the schedule) or is refused (the API).
    writing: Mutex<()>,
    stop: Mutex<bool>,
    wake: Condvar,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
}

/// A backup in the folder, as listed.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Listed {
    pub name: String,
    pub size: u64,
    pub manifest: Option<Manifest>,
}

/// The answer when a backup is asked for while one is being written.
#[derive(Debug)]
pub enum Refused {
    Busy,
    Failed(String),
}

impl Backups {
    /// Starts the `backup` thread unless `interval_hours` is 0.
    pub fn start(database: &Path, interval_hours: u64, keep: u64) -> Result<Arc<Backups>, String> {
        let every = (interval_hours > 0).then(|| Duration::from_secs(interval_hours * 3600));
        Self::start_every(database, every, keep)
    }

    /// Starts the `backup` thread writing one every `every` (none: no thread).
    fn start_every(
        database: &Path,
        every: Option<Duration>,
        keep: u64,
    ) -> Result<Arc<Backups>, String> {
        let backups = Arc::new(Backups {
            database: database.to_path_buf(),
            keep: keep.max(1) as usize,
            writing: Mutex::new(()),
            stop: Mutex::new(false),
            wake: Condvar::new(),
            thread: Mutex::new(None),
        });
        if let Some(every) = every {
            let me = backups.clone();
            let thread = std::thread::Builder::new()
                .name("backup".into())
                .spawn(move || me.run(every))
                .map_err(|e| format!("cannot start the backup thread: {e}"))?;
            *backups.thread.lock() = Some(thread);
        }
        Ok(backups)
    }

    fn run(&self, every: Duration) {
        loop {
            {
                let mut stop = self.stop.lock();
                if !*stop {
                    self.wake.wait_for(&mut stop, every);
                }
                if *stop {
                    return;
                }
            }
            let _writing = self.writing.lock();
            match self.write_one() {
                Ok((name, manifest)) => log::info!(
                    "scheduled backup {name}: {} bytes, {} assets, {} tasks",
                    manifest.size,
                    manifest.assets,
                    manifest.tasks
                ),
                Err(e) => log::error!("scheduled backup failed: {e}"),
            }
        }
    }

    /// Stops the thread (a backup being written is finished first) and waits for it.
    pub fn stop(&self) {
        *self.stop.lock() = true;
        self.wake.notify_all();
        if let Some(thread) = self.thread.lock().take() {
            let _ = thread.join();
        }
    }

    /// A backup now (blocking: call it off Rocket's async threads); refused while another is
    /// being written.
    pub fn now(&self) -> Result<(String, Manifest), Refused> {
        let Some(_writing) = self.writing.try_lock() else {
            return Err(Refused::Busy);
        };
        self.write_one().map_err(Refused::Failed)
    }

    pub fn folder(&self) -> PathBuf {
        super::folder(&self.database)
    }

    /// Writes `assetport-YYYYMMDD-HHMMSS.sqlite3` and deletes the oldest beyond `keep`.
    fn write_one(&self) -> Result<(String, Manifest), String> {
        let dir = self.folder();
        crate::private_files::create_dir(&dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let mut name = format!(
            "assetport-{}.sqlite3",
            chrono::Local::now().format("%Y%m%d-%H%M%S")
        );
        if dir.join(&name).exists() {
            // Two in one second (立即备份 twice): the second waits for the next second.
            std::thread::sleep(Duration::from_millis(1100));
            name = format!(
                "assetport-{}.sqlite3",
                chrono::Local::now().format("%Y%m%d-%H%M%S")
            );
        }
        let manifest = super::write(&self.database, &dir.join(&name))?;
        self.prune(&dir);
        Ok((name, manifest))
    }

    fn prune(&self, dir: &Path) {
        let mut names: Vec<String> = self
            .list()
            .into_iter()
            .map(|b| b.name)
            .filter(|n| is_rotated(n))
            .collect();
        names.sort();
        let excess = names.len().saturating_sub(self.keep);
        for name in &names[..excess] {
            let file = dir.join(name);
            match std::fs::remove_file(&file) {
                Ok(()) => log::info!("old backup {name} deleted (backup_keep {})", self.keep),
                Err(e) => log::warn!("cannot delete old backup {name}: {e}"),
            }
            let _ = std::fs::remove_file(super::manifest_path(&file));
        }
    }

    /// The backups in the folder, newest first.
    pub fn list(&self) -> Vec<Listed> {
        let dir = self.folder();
        let Ok(entries) = std::fs::read_dir(&dir) else {
            return Vec::new();
        };
        let mut list: Vec<Listed> = entries
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                let name = e.file_name().into_string().ok()?;
                let meta = e.metadata().ok()?;
                (is_backup_name(&name) && meta.is_file()).then(|| Listed {
                    manifest: super::read_manifest(&dir.join(&name)).ok().flatten(),
                    name,
                    size: meta.len(),
                })
            })
            .collect();
        list.sort_by(|a, b| b.name.cmp(&a.name));
        list
    }

    /// The path of the backup `name` of the folder, if `name` is one (nothing else of the
    /// folder or beyond it can be named).
    pub fn file(&self, name: &str) -> Option<PathBuf> {
        if !is_backup_name(name) {
            return None;
        }
        let path = self.folder().join(name);
        path.is_file().then_some(path)
    }
}

/// `assetport-` then digits and dashes, with `-schemaN` for those taken before an upgrade, then
/// `.sqlite3`: nothing with a path separator or a dot elsewhere.
pub fn is_backup_name(name: &str) -> bool {
    let Some(middle) = name
        .strip_prefix("assetport-")
        .and_then(|n| n.strip_suffix(".sqlite3"))
    else {
        return false;
    };
    let middle = middle.replacen("-schema", "-", 1);
    !middle.is_empty() && middle.chars().all(|c| c.is_ascii_digit() || c == '-')
}

/// A scheduled or on-demand backup (`assetport-YYYYMMDD-HHMMSS.sqlite3`), which `backup_keep`
/// rotates; a pre-upgrade one is kept.
fn is_rotated(name: &str) -> bool {
    is_backup_name(name) && !name.contains("schema")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_backup_names_are_backups() {
        assert!(is_backup_name("assetport-20261204-201500.sqlite3"));
        assert!(is_backup_name("assetport-20261204-201500-schema8.sqlite3"));
        for name in [
            "../db.sqlite3",
            "assetport-20261204-201500.sqlite3.manifest.json",
            "assetport-../x.sqlite3",
            "assetport-.sqlite3",
            "db.sqlite3",
            "assetport-2026/1.sqlite3",
        ] {
            assert!(!is_backup_name(name), "{name}");
        }
        assert!(!is_rotated("assetport-20261204-201500-schema8.sqlite3"));
    }

    /// The thread writes one every interval (none at start), keeps the newest, and stops at
    /// once when asked, though its next one is far off.
    #[test]
    fn the_thread_writes_one_every_interval_and_stops_when_asked() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("db.sqlite3");
        drop(crate::db::open(&db).unwrap());
        let every = Duration::from_millis(300);
        let backups = Backups::start_every(&db, Some(every), 2).unwrap();
        assert!(backups.list().is_empty(), "none at start");
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while backups.list().len() < 2 {
            assert!(std::time::Instant::now() < deadline, "no scheduled backups");
            std::thread::sleep(Duration::from_millis(50));
        }
        // Two are kept, whatever more the thread writes; each verified with its manifest.
        std::thread::sleep(every * 3);
        let listed = backups.list();
        assert_eq!(listed.len(), 2, "{listed:?}");
        assert!(listed.iter().all(|b| b.manifest.is_some()));
        let quiet = Backups::start_every(&db, Some(Duration::from_secs(3600)), 2).unwrap();
        let asked = std::time::Instant::now();
        quiet.stop();
        backups.stop();
        assert!(asked.elapsed() < Duration::from_secs(10));
    }

    #[test]
    fn the_newest_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("db.sqlite3");
        drop(crate::db::open(&db).unwrap());
        let backups = Backups::start(&db, 0, 2).unwrap();
        let folder = backups.folder();
        std::fs::create_dir_all(&folder).unwrap();
        for old in [
            "assetport-20200101-000000.sqlite3",
            "assetport-20200101-000000-schema3.sqlite3",
        ] {
            std::fs::write(folder.join(old), b"x").unwrap();
        }
        let (first, _) = backups.now().map_err(|e| format!("{e:?}")).unwrap();
        let (second, _) = backups.now().map_err(|e| format!("{e:?}")).unwrap();
        let names: Vec<String> = backups.list().into_iter().map(|b| b.name).collect();
        assert_eq!(
            names,
            [
                second.as_str(),
                first.as_str(),
                "assetport-20200101-000000-schema3.sqlite3"
            ]
        );
        assert!(backups.list()[0].manifest.is_some());
        assert!(backups.file("../db.sqlite3").is_none());
        assert!(backups.file(&first).is_some());
    }
}
