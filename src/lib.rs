//! assetport: a fixed-asset register with durable asynchronous import/export tasks.
#![forbid(unsafe_code)]

pub mod api;
pub mod assets;
pub mod auth;
pub mod backup;
pub mod bootstrap;
pub mod cli;
pub mod clock;
pub mod columns;
pub mod config;
pub mod db;
pub mod error;
pub mod files;
pub mod front;
pub mod history;
pub mod journal;
pub mod labels;
pub mod logging;
pub mod login;
pub mod names;
pub mod org;
pub mod page;
pub mod paging;
pub mod private_files;
pub mod requests;
pub mod rows;
pub mod sessions;
pub mod setup;
pub mod start;
pub mod stocktake;
pub mod tasks;
pub mod user_admin;

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
    // Before the database: a TLS file at fault stops the start having changed nothing.
    let edge = settings.front_edge()?;
    // Held for the server's life: `assetport restore` refuses while it is.
    let lock = backup::lock::DatabaseLock::take(&settings.database)?;
    let pool = db::open(&settings.database)?;
    // Whatever fails here (a read-only file, a full disk) is about the database: say which.
    let in_file = |e: String| format!("database {}: {e}", settings.database.display());
    let first_start;
    {
        let mut conn = pool.get().map_err(|e| in_file(e.to_string()))?;
        bootstrap::first_start(&mut conn, &settings).map_err(in_file)?;
        let pending = db::users::super_admin_unset(&conn).map_err(|e| in_file(e.to_string()))?;
        first_start = setup::Setup::new(pending);
        journal::record_settings(&mut conn, &settings).map_err(in_file)?;
        // Every start: expire idle sessions, and drop the failed-login counters older versions
        // kept in the database (they live in memory now: login.rs).
        let ttl = settings.session_ttl_hours as i64 * 3600;
        db::users::delete_idle_sessions(&conn, crate::clock::now_secs() - ttl)
            .map_err(|e| in_file(e.to_string()))?;
        db::users::forget_login_failures(&conn).map_err(|e| in_file(e.to_string()))?;
        // Submissions a stopped process was still storing: never answered, so never there.
        db::tasks::forget_unstored(&conn).map_err(|e| in_file(e.to_string()))?;
    }
    auth::prepare_login();
    let readers = Arc::new(tasks::readers::Readers::default());
    let workers =
        Arc::new(tasks::Workers::start(&pool, &settings, readers.clone()).map_err(in_file)?);
    let passwords =
        login::Passwords::start().map_err(|e| format!("cannot start password threads: {e}"))?;
    let downloads = api::Downloads::new(settings.max_downloads, readers);
    let parsers = api::Parsers::new(settings.max_parsing_uploads);
    let sessions = sessions::Sessions::start(pool.clone())
        .map_err(|e| format!("cannot start the session writer: {e}"))?;
    let backups = backup::schedule::Backups::start(
        &settings.database,
        settings.backup_interval_hours,
        settings.backup_keep,
    )?;
    Ok(rocket::custom(figment)
        .manage(lock)
        .manage(backups)
        .manage(db::Db(pool))
        .manage(downloads)
        .manage(parsers)
        .manage(sessions)
        .manage(settings)
        .manage(workers)
        .manage(passwords)
        .manage(login::Throttle::default())
        .mount("/", api::routes())
        .mount("/", page::routes())
        .register("/", api::catchers())
        .manage(first_start)
        .attach(setup::Gate)
        .attach(logging::RequestLog)
        .attach(api::NoStore)
        .manage(front::Ready::default())
        .manage(edge)
        .attach(AdHoc::on_liftoff("front listener", |rocket| {
            Box::pin(async move {
                if let Some(ready) = rocket.state::<front::Ready>() {
                    let config = rocket.config();
                    let backend = std::net::SocketAddr::new(config.address, config.port);
                    ready.started(backend, rocket.shutdown());
                }
            })
        })))
}

/// Why the public listener could not be bound.
#[derive(Debug)]
pub enum BindError {
    /// The port is taken (by another program, or another assetport: `start::is_assetport`).
    Taken(std::net::SocketAddr),
    Failed(String),
}

impl std::fmt::Display for BindError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BindError::Taken(address) => f.write_str(&start::port_taken(*address)),
            BindError::Failed(e) => f.write_str(e),
        }
    }
}

/// Binds the public listener at the figment's `address` and `port`, and returns the figment
/// with Rocket moved to a loopback port of its own, behind the front listener (front/), and
/// reading the client's address from a header name drawn for this process, which only the front
/// listener writes.
pub fn bind_front(figment: Figment) -> Result<(Figment, std::net::TcpListener), BindError> {
    let config = rocket::Config::from(&figment);
    let address = std::net::SocketAddr::new(config.address, config.port);
    let listener = std::net::TcpListener::bind(address).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AddrInUse {
            BindError::Taken(address)
        } else {
            BindError::Failed(format!(
                "cannot listen on {}:{} (settings `address` and `port`): {e}",
                config.address, config.port
            ))
        }
    })?;
    listener
        .set_nonblocking(true)
        .map_err(|e| BindError::Failed(format!("cannot listen: {e}")))?;
    let inner = figment
        .merge(("address", "127.0.0.1"))
        .merge(("port", 0))
        .merge(("ip_header", front::address_header_name()));
    Ok((inner, listener))
}

/// Runs the server (built, or already ignited) until it shuts down, then lets the task workers
/// finish their current batch and joins them. This, not a shutdown fairing, is where workers
/// stop: Rocket 0.5 skips its shutdown fairings when the signal lands while its accept loop is
/// being polled. With `front` (from `bind_front`) clients reach Rocket through the front
/// listener, which starts once Rocket listens.
pub async fn launch<P: rocket::Phase>(
    rocket: Rocket<P>,
    front: Option<std::net::TcpListener>,
) -> Result<(), rocket::Error> {
    let workers = rocket.state::<Arc<tasks::Workers>>().cloned();
    let limits = rocket.state::<Settings>().map(Settings::front_limits);
    let edge = rocket.state::<front::Edge>().cloned().unwrap_or_default();
    // The name `bind_front` chose (absent, `false`, where Rocket takes no address header).
    let address_header = rocket.figment().extract_inner::<String>("ip_header").ok();
    let mut listening = rocket.state::<front::Ready>().map(front::Ready::subscribe);
    let starting = rocket.state::<Settings>().map(|settings| Starting {
        database: settings.database.clone(),
        open_browser: settings.open_browser,
        setup_pending: rocket
            .state::<setup::Setup>()
            .is_some_and(setup::Setup::flagged),
    });
    if let (Some(listener), Some(limits)) = (front, limits) {
        front::raise_file_limit();
        let listener = rocket::tokio::net::TcpListener::from_std(listener);
        rocket::tokio::spawn(async move {
            let started = match listening.as_mut() {
                Some(ready) => ready
                    .wait_for(Option::is_some)
                    .await
                    .ok()
                    .and_then(|r| r.clone()),
                None => None,
            };
            let (Ok(listener), Some((backend, shutdown))) = (listener, started) else {
                log::error!("the front listener did not start");
                return;
            };
            if let Ok(address) = listener.local_addr() {
                let tls = edge.tls.is_some();
                let scheme = if tls { "https" } else { "http" };
                log::info!("assetport listening on {scheme}://{address}/");
                if let Some(warning) = front::plain_http_warning(address, tls) {
                    log::warn!("{warning}");
                }
                if let Some(starting) = starting {
                    // Reads the interfaces and may start a browser: not on an async thread.
                    rocket::tokio::task::spawn_blocking(move || starting.announce(address, tls));
                }
            }
            front::serve(listener, backend, address_header, limits, edge, shutdown).await;
        });
    }
    let sessions = rocket.state::<sessions::Sessions>().cloned();
    let backups = rocket.state::<Arc<backup::schedule::Backups>>().cloned();
    let launched = rocket.launch().await;
    if let Some(backups) = backups {
        let _ = rocket::tokio::task::spawn_blocking(move || backups.stop()).await;
    }
    if let Some(workers) = workers {
        let _ = rocket::tokio::task::spawn_blocking(move || workers.shutdown()).await;
    }
    // Sessions opened in the last moment are stored before the process ends.
    if let Some(sessions) = sessions {
        let _ = rocket::tokio::task::spawn_blocking(move || sessions.stop()).await;
    }
    launched.map(|_| ())
}

/// What the start lines say and do once the public listener is bound.
struct Starting {
    database: std::path::PathBuf,
    open_browser: Option<bool>,
    setup_pending: bool,
}

impl Starting {
    fn announce(self, address: std::net::SocketAddr, tls: bool) {
        let urls = start::urls(address, tls, &start::lan_ips());
        let local = start::local_url(address, tls);
        let pending = self.setup_pending.then_some(local.as_str());
        for line in start::lines(&self.database, &urls, pending) {
            log::info!("{line}");
        }
        if start::should_open_browser(self.open_browser, address.ip()) {
            start::open_in_browser(&local);
        }
    }
}
