//! Typed settings, read from Rocket's figment (`Rocket.toml`, then `ROCKET_<KEY>` variables).

use rocket::data::{ByteUnit, Limits};
use rocket::figment::providers::{Env, Format, Serialized, Toml};
use rocket::figment::{Figment, Profile};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Body limit of bulk requests (import, export, re-run: an import of 1,000,000 rows is about
/// 250 MiB) and of uploaded files.
pub const DEFAULT_BODY_LIMIT_MIB: u64 = 512;
pub const DEFAULT_BULK_LIMIT: ByteUnit = ByteUnit::Mebibyte(DEFAULT_BODY_LIMIT_MIB);
/// Body limit of every other JSON request (login, users, departments, one asset, a search): an
/// asset's longest description fits many times over.
pub const DEFAULT_JSON_LIMIT: ByteUnit = ByteUnit::Kibibyte(64);

/// Rocket's figment with assetport's own defaults under `Rocket.toml` and `ROCKET_*`: a binary
/// started from a folder without `Rocket.toml` (a double-click) still takes large imports.
pub fn figment() -> Figment {
    let limits = Limits::default()
        .limit("json", DEFAULT_JSON_LIMIT)
        .limit("bulk", DEFAULT_BULK_LIMIT)
        .limit("file", DEFAULT_BULK_LIMIT);
    // Serialized::default, not a (key, value) tuple: a tuple is global and would override
    // Rocket.toml's [default] table.
    Figment::from(rocket::Config::default())
        .merge(Serialized::default("limits", limits))
        // The binary installs its own logger (logging.rs masks sessions) and Rocket's then stays
        // out; this keeps Rocket's quiet where it is the logger (in-process tests).
        .merge(Serialized::default("log_level", "critical"))
        .merge(Toml::file(Env::var_or("ROCKET_CONFIG", "Rocket.toml")).nested())
        .merge(Env::prefixed("ROCKET_").ignore(&["PROFILE"]).global())
        // Rocket takes no address header from a client and keeps no connection alive: the
        // front listener sets both for the binary (`bind_front`), and nothing else may.
        .merge(("ip_header", false))
        .merge(("keep_alive", 0))
        .select(Profile::from_env_or(
            "ROCKET_PROFILE",
            rocket::Config::DEFAULT_PROFILE,
        ))
}

/// Serialized, every setting is recorded in the journal at start (`journal::record_settings`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default)]
pub struct Settings {
    /// Path of the SQLite file; its folder is created on first start. Absolute as given; a
    /// relative path is in the user's data folder; unset (empty), the data folder's
    /// `assetport.sqlite3`, or `data/assetport.sqlite3` of the working folder when that exists
    /// (`resolve_database`). After `from_figment`, always absolute.
    pub database: PathBuf,
    /// Open the page in the default browser once the server listens. Unset: when listening on
    /// loopback from a desktop session (not under a service).
    pub open_browser: Option<bool>,
    /// Worker threads that run import/export tasks.
    pub task_workers: usize,
    /// Password of the super administrator `admin`, used only when the database is created.
    #[serde(serialize_with = "only_whether_set")]
    pub admin_password: Option<String>,
    /// Create the demo company on first start.
    pub demo: bool,
    /// Sessions idle longer than this expire.
    pub session_ttl_hours: u64,
    /// Rows per worker transaction.
    pub task_batch_rows: usize,
    /// Data rows one uploaded file may hold (Excel's own sheet limit by default).
    pub upload_max_rows: u64,
    /// MiB an uploaded file may unpack to (an XLSX's parts) and its rows' text may take.
    pub upload_max_unpacked_mib: u64,
    /// Uploaded XLSX files read (parsed and stored as a task) at once; more wait their turn, in
    /// order (a CSV is streamed and never waits). Reading one may take up to an eighth of
    /// `upload_max_unpacked_mib` in memory.
    pub max_parsing_uploads: usize,
    /// Client connections open at once (front/).
    pub max_connections: usize,
    /// Client connections open at once from one client address.
    pub max_connections_per_address: usize,
    /// KiB a second a request body must average once `client_timeout_secs` has passed (0: no
    /// minimum).
    pub min_body_rate_kib: u64,
    /// Seconds a client has to send its request head.
    pub header_timeout_secs: u64,
    /// Seconds a client may send nothing (request unfinished) or read nothing (answer waiting).
    pub client_timeout_secs: u64,
    /// Downloads (files, export records, unpaged failed rows) written at once; more answer
    /// busy (503, code 10).
    pub max_downloads: usize,
    /// Finished tasks older than this many days lose their stored rows, records and failed
    /// rows (0 keeps them forever).
    pub task_retention_days: u64,
    /// Seconds between two looks for tasks past their retention.
    pub task_prune_interval_secs: u64,
    /// Asset history entries older than this many days are deleted (0 keeps them forever);
    /// the register as of a day before that can no longer be exported.
    pub history_retention_days: u64,
    /// Hours between two scheduled backups into `backups/` beside the database (0: none).
    pub backup_interval_hours: u64,
    /// Scheduled backups kept in `backups/`: the newest; older ones are deleted.
    pub backup_keep: u64,
    /// PEM files of the certificate chain and private key (`certs`, `key`): with them the
    /// public listener speaks HTTPS (docs/https.md); without them plain HTTP.
    pub tls: Option<crate::front::TlsFiles>,
    /// Addresses or ranges (`10.0.0.0/8`, `fd00::/8`) of proxies whose `X-Forwarded-For` names
    /// the client; nobody else's is believed.
    pub trusted_proxies: Vec<String>,
}

/// The database's name in its folder.
pub const DATABASE_FILE: &str = "assetport.sqlite3";

/// Where versions before 0.2 kept the database: `data/` under the working folder.
pub const LEGACY_DATABASE: &str = "data/assetport.sqlite3";

/// The user's data folder of the platform, for assetport: `~/.local/share/assetport` on Linux
/// (`$XDG_DATA_HOME/assetport`), `~/Library/Application Support/assetport` on macOS,
/// `%APPDATA%\assetport\data` on Windows. None without a home folder.
pub fn user_data_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "assetport").map(|p| p.data_dir().to_path_buf())
}

/// The database file, absolute, whatever folder the process started in: `given` when absolute;
/// a relative `given` inside the user's data folder; unset (empty), the data folder's
/// `assetport.sqlite3` — unless the working folder has the `data/assetport.sqlite3` an older
/// version made there, which keeps being used (the note says so, for the log).
pub fn resolve_database(
    given: &std::path::Path,
    data_home: Option<PathBuf>,
    cwd: &std::path::Path,
) -> Result<(PathBuf, Option<String>), String> {
    if given.is_absolute() {
        return Ok((given.to_path_buf(), None));
    }
    let legacy = cwd.join(LEGACY_DATABASE);
    if given.as_os_str().is_empty() && legacy.is_file() {
        let default = data_home
            .map(|d| d.join(DATABASE_FILE).display().to_string())
            .unwrap_or_else(|| "the user's data folder".into());
        let note = format!(
            "using the existing database {} in the working folder (without it, the default is {default}; set `database` to choose)",
            legacy.display()
        );
        return Ok((legacy, Some(note)));
    }
    let home = data_home.ok_or_else(|| {
        "cannot find the user's data folder (no home folder); set `database` (ROCKET_DATABASE) to an absolute path".to_string()
    })?;
    if given.as_os_str().is_empty() {
        Ok((home.join(DATABASE_FILE), None))
    } else {
        Ok((home.join(given), None))
    }
}

/// A secret, where the settings are recorded: only whether it is set.
fn only_whether_set<S: serde::Serializer>(value: &Option<String>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_bool(value.as_deref().is_some_and(|v| !v.is_empty()))
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            database: PathBuf::new(),
            open_browser: None,
            task_workers: 2,
            admin_password: None,
            demo: false,
            session_ttl_hours: 168,
            task_batch_rows: 2000,
            upload_max_rows: 1_048_575,
            upload_max_unpacked_mib: 2048,
            max_parsing_uploads: 2,
            max_connections: 1024,
            max_connections_per_address: 64,
            min_body_rate_kib: 4,
            header_timeout_secs: 10,
            client_timeout_secs: 60,
            max_downloads: 16,
            task_retention_days: 90,
            task_prune_interval_secs: 3600,
            history_retention_days: 0,
            tls: None,
            trusted_proxies: Vec::new(),
            backup_interval_hours: 24,
            backup_keep: 7,
        }
    }
}

impl Settings {
    pub fn front_limits(&self) -> crate::front::Limits {
        crate::front::Limits {
            max_connections: self.max_connections,
            max_connections_per_address: self.max_connections_per_address,
            header_timeout: std::time::Duration::from_secs(self.header_timeout_secs),
            client_timeout: std::time::Duration::from_secs(self.client_timeout_secs),
            min_body_rate: self.min_body_rate_kib << 10,
        }
    }

    /// What the public listener speaks and whom it believes; the TLS files are read here.
    pub fn front_edge(&self) -> Result<crate::front::Edge, String> {
        Ok(crate::front::Edge {
            tls: self.tls.as_ref().map(crate::front::acceptor).transpose()?,
            trusted: crate::front::TrustedProxies::parse(&self.trusted_proxies)?,
        })
    }

    pub fn read_limits(&self) -> crate::files::ReadLimits {
        crate::files::ReadLimits {
            max_rows: self.upload_max_rows,
            max_unpacked: self.upload_max_unpacked_mib << 20,
        }
    }

    /// The database's folder, where an upload waits in a temporary file while it is read: the
    /// folder the server already keeps private and has room in.
    pub fn data_dir(&self) -> PathBuf {
        match self.database.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
            _ => PathBuf::from("."),
        }
    }

    /// The settings, checked, with `database` made absolute (`resolve_database`); the second
    /// value says where an unset `database` was found, for the log.
    pub fn from_figment_noting(
        figment: &rocket::figment::Figment,
    ) -> Result<(Settings, Option<String>), String> {
        let mut settings: Settings = figment
            .extract()
            .map_err(|e| format!("invalid configuration: {e}"))?;
        settings.check()?;
        crate::front::TrustedProxies::parse(&settings.trusted_proxies)?;
        let cwd =
            std::env::current_dir().map_err(|e| format!("cannot read the working folder: {e}"))?;
        let (database, note) = resolve_database(&settings.database, user_data_dir(), &cwd)?;
        settings.database = database;
        Ok((settings, note))
    }

    pub fn from_figment(figment: &rocket::figment::Figment) -> Result<Settings, String> {
        Self::from_figment_noting(figment).map(|(settings, _)| settings)
    }

    /// Every number within a range the server can work with: a huge `session_ttl_hours` once
    /// overflowed into negative lifetimes and ended every session. Named with its range, so the
    /// start stops with a message a person can act on.
    fn check(&self) -> Result<(), String> {
        let ranges: [(&str, u64, u64, u64); 17] = [
            ("task_retention_days", self.task_retention_days, 0, 36_500),
            ("backup_interval_hours", self.backup_interval_hours, 0, 8760),
            ("backup_keep", self.backup_keep, 1, 1000),
            (
                "history_retention_days",
                self.history_retention_days,
                0,
                36_500,
            ),
            (
                "task_prune_interval_secs",
                self.task_prune_interval_secs,
                1,
                86_400,
            ),
            ("max_downloads", self.max_downloads as u64, 1, 1024),
            ("max_connections", self.max_connections as u64, 16, 100_000),
            (
                "max_connections_per_address",
                self.max_connections_per_address as u64,
                1,
                100_000,
            ),
            ("min_body_rate_kib", self.min_body_rate_kib, 0, 1 << 20),
            ("header_timeout_secs", self.header_timeout_secs, 1, 600),
            ("client_timeout_secs", self.client_timeout_secs, 1, 3600),
            ("upload_max_rows", self.upload_max_rows, 1, 100_000_000),
            (
                "upload_max_unpacked_mib",
                self.upload_max_unpacked_mib,
                1,
                1 << 20,
            ),
            (
                "max_parsing_uploads",
                self.max_parsing_uploads as u64,
                1,
                64,
            ),
            ("task_workers", self.task_workers as u64, 1, 64),
            ("task_batch_rows", self.task_batch_rows as u64, 1, 100_000),
            // Ten years.
            ("session_ttl_hours", self.session_ttl_hours, 1, 87_600),
        ];
        for (key, value, min, max) in ranges {
            if value < min {
                return Err(format!(
                    "invalid configuration: {key} must be at least {min} (got {value})"
                ));
            }
            if value > max {
                return Err(format!(
                    "invalid configuration: {key} must be at most {max} (got {value})"
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn the_database_does_not_depend_on_the_working_folder() {
        let home = tempfile::tempdir().unwrap();
        let (cwd_a, cwd_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let data = Some(home.path().join("assetport"));
        let unset = Path::new("");
        let from = |cwd: &Path, given: &Path| resolve_database(given, data.clone(), cwd).unwrap();
        let expected = home.path().join("assetport").join(DATABASE_FILE);
        assert_eq!(from(cwd_a.path(), unset), (expected.clone(), None));
        assert_eq!(from(cwd_b.path(), unset), (expected, None));
        assert_eq!(
            from(cwd_a.path(), Path::new("one/r.sqlite3")).0,
            home.path().join("assetport/one/r.sqlite3")
        );
        assert_eq!(
            from(cwd_b.path(), Path::new("/srv/r.sqlite3")).0,
            Path::new("/srv/r.sqlite3")
        );
    }

    #[test]
    fn an_existing_register_in_the_working_folder_keeps_being_used() {
        let home = tempfile::tempdir().unwrap();
        let cwd = tempfile::tempdir().unwrap();
        std::fs::create_dir(cwd.path().join("data")).unwrap();
        std::fs::write(cwd.path().join(LEGACY_DATABASE), b"").unwrap();
        let (path, note) =
            resolve_database(Path::new(""), Some(home.path().to_path_buf()), cwd.path()).unwrap();
        assert_eq!(path, cwd.path().join(LEGACY_DATABASE));
        let note = note.expect("the log says so");
        assert!(note.contains(&path.display().to_string()), "{note}");
        // A set `database` is what it says, even then.
        let set = resolve_database(Path::new("/srv/r.sqlite3"), None, cwd.path()).unwrap();
        assert_eq!(set, (Path::new("/srv/r.sqlite3").to_path_buf(), None));
    }

    #[test]
    fn without_a_home_folder_an_unset_database_is_a_plain_error() {
        let cwd = tempfile::tempdir().unwrap();
        let e = resolve_database(Path::new(""), None, cwd.path()).unwrap_err();
        assert!(e.contains("ROCKET_DATABASE"), "{e}");
    }
}
