//! Typed settings, read from Rocket's figment (`Rocket.toml`, then `ROCKET_<KEY>` variables).

use rocket::data::{Limits, ToByteUnit};
use rocket::figment::providers::{Env, Format, Serialized, Toml};
use rocket::figment::{Figment, Profile};
use serde::Deserialize;
use std::path::PathBuf;

/// Body limit of JSON requests (an import of 1,000,000 rows is about 250 MiB) and of uploads.
pub const DEFAULT_BODY_LIMIT_MIB: u64 = 512;

/// Rocket's figment with assetport's own defaults under `Rocket.toml` and `ROCKET_*`: a binary
/// started from a folder without `Rocket.toml` (a double-click) still takes large imports.
pub fn figment() -> Figment {
    let body = DEFAULT_BODY_LIMIT_MIB.mebibytes();
    let limits = Limits::default().limit("json", body).limit("file", body);
    // Serialized::default, not a (key, value) tuple: a tuple is global and would override
    // Rocket.toml's [default] table.
    Figment::from(rocket::Config::default())
        .merge(Serialized::default("limits", limits))
        // The binary installs its own logger (logging.rs masks sessions) and Rocket's then stays
        // out; this keeps Rocket's quiet where it is the logger (in-process tests).
        .merge(Serialized::default("log_level", "critical"))
        .merge(Toml::file(Env::var_or("ROCKET_CONFIG", "Rocket.toml")).nested())
        .merge(Env::prefixed("ROCKET_").ignore(&["PROFILE"]).global())
        .select(Profile::from_env_or(
            "ROCKET_PROFILE",
            rocket::Config::DEFAULT_PROFILE,
        ))
}

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
