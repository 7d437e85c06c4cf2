//! assetport: a fixed-asset register with durable asynchronous import/export tasks.
#![forbid(unsafe_code)]

pub mod api;
pub mod assets;
pub mod auth;
pub mod bootstrap;
pub mod config;
pub mod db;
pub mod error;
pub mod files;
pub mod logging;
pub mod login;
pub mod org;
pub mod page;
pub mod rows;
pub mod tasks;
pub mod uploads;

use config::Settings;
use rocket::fairing::AdHoc;
use rocket::figment::Figment;
use rocket::{Build, Rocket};
use std::sync::Arc;

/// The configuration: assetport's defaults, then `Rocket.toml`, then `ROCKET_*` variables.
pub fn figment() -> Figment {
    config::figment()
}

/// Opens the database, runs the first-start bootstrap, starts the task workers (resuming
/// unfinished tasks) and assembles the server.
pub fn build(figment: Figment) -> Result<Rocket<Build>, String> {
    let settings = Settings::from_figment(&figment)?;
    let pool = db::open(&settings.database)?;
    // Whatever fails here (a read-only file, a full disk) is about the database: say which.
    let in_file = |e: String| format!("database {}: {e}", settings.database.display());
    {
        let mut conn = pool.get().map_err(|e| in_file(e.to_string()))?;
        bootstrap::first_start(&mut conn, &settings).map_err(in_file)?;
        // Every start: expire idle sessions, and drop the failed-login counters older versions
        // kept in the database (they live in memory now: login.rs).
        let ttl = settings.session_ttl_hours as i64 * 3600;
        db::users::delete_idle_sessions(&conn, db::now_secs() - ttl)
            .map_err(|e| in_file(e.to_string()))?;
        db::users::forget_login_failures(&conn).map_err(|e| in_file(e.to_string()))?;
    }
    auth::prepare_login();
    let workers = Arc::new(tasks::Workers::start(&pool, &settings).map_err(in_file)?);
    let passwords =
        login::Passwords::start().map_err(|e| format!("cannot start password threads: {e}"))?;
    Ok(rocket::custom(figment)
        .manage(db::Db(pool))
        .manage(settings)
        .manage(workers)
        .manage(passwords)
        .manage(login::Throttle::default())
        .mount("/", api::routes())
        .mount("/", page::routes())
        .register("/", api::catchers())
        .attach(logging::RequestLog)
        .attach(api::NoStore)
        .attach(AdHoc::on_liftoff("announce the address", |rocket| {
            Box::pin(async move {
                let config = rocket.config();
                log::info!(
                    "assetport listening on http://{}:{}/",
                    config.address,
                    config.port
                );
            })
        })))
}

/// Runs the server (built, or already ignited) until it shuts down, then lets the task workers
/// finish their current batch and joins them. This, not a shutdown fairing, is where workers
/// stop: Rocket 0.5 skips its shutdown fairings when the signal lands while its accept loop is
/// being polled.
pub async fn launch<P: rocket::Phase>(rocket: Rocket<P>) -> Result<(), rocket::Error> {
    let workers = rocket.state::<Arc<tasks::Workers>>().cloned();
    let launched = rocket.launch().await;
    if let Some(workers) = workers {
        let _ = rocket::tokio::task::spawn_blocking(move || workers.shutdown()).await;
    }
    launched.map(|_| ())
}
