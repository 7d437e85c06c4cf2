//! Typed settings, read from Rocket's figment (`Rocket.toml`, then `ROCKET_<KEY>` variables).

use serde::Deserialize;
use std::path::PathBuf;

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Path of the SQLite file; its folder is created on first start.
    pub database: PathBuf,
    /// Worker threads that run import/export tasks.
    pub task_workers: usize,
    /// Password of the super administrator `admin`, used only when the database is created.
    pub admin_password: Option<String>,
    /// Create the demo company on first start.
    pub demo: bool,
    /// Sessions idle longer than this expire.
    pub session_ttl_hours: u64,
    /// Rows per worker transaction.
    pub task_batch_rows: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            database: PathBuf::from("data/assetport.sqlite3"),
            task_workers: 2,
            admin_password: None,
            demo: false,
            session_ttl_hours: 168,
            task_batch_rows: 2000,
        }
    }
}

impl Settings {
    pub fn from_figment(figment: &rocket::figment::Figment) -> Result<Settings, String> {
        let settings: Settings = figment
            .extract()
            .map_err(|e| format!("invalid configuration: {e}"))?;
        if settings.task_workers == 0 {
            return Err("invalid configuration: task_workers must be at least 1".into());
        }
        if settings.task_batch_rows == 0 {
            return Err("invalid configuration: task_batch_rows must be at least 1".into());
        }
        Ok(settings)
    }
}
