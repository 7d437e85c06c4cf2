#![forbid(unsafe_code)]

use assetport::cli::{self, Command};
use assetport::config::Settings;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let command = match cli::parse(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("assetport: {e}");
            std::process::exit(2);
        }
    };
    match command {
        Command::Help | Command::Version => {
            // Answered without reading the settings: a broken configuration still gets help.
            let _ = cli::run(command, &Settings::default());
        }
        Command::Serve => serve(),
        command => {
            let (settings, _) = settings_or_exit(&assetport::figment());
            if let Err(e) = cli::run(command, &settings) {
                eprintln!("assetport: {e}");
                std::process::exit(1);
            }
        }
    }
}

fn settings_or_exit(figment: &rocket::figment::Figment) -> (Settings, Option<String>) {
    match Settings::from_figment_noting(figment) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("assetport: {e}");
            std::process::exit(2);
        }
    }
}

#[rocket::main]
async fn serve() {
    let figment = assetport::figment();
    let (settings, note) = settings_or_exit(&figment);
    if let Err(e) = assetport::logging::init(&settings.database) {
        eprintln!("assetport: {e}");
        std::process::exit(2);
    }
    if let Some(note) = note {
        log::info!("{note}");
    }
    let (figment, front) = match assetport::bind_front(figment) {
        Ok(bound) => bound,
        Err(assetport::BindError::Taken(address)) if assetport::start::is_assetport(address) => {
            // Started again (a second double-click): the running one's page is what was wanted.
            let url = assetport::start::local_url(address, settings.tls.is_some());
            log::info!(
                "assetport is already running on port {}: {url}",
                address.port()
            );
            if assetport::start::should_open_browser(settings.open_browser, address.ip()) {
                assetport::start::open_in_browser(&url);
                // The opener is started; give it a moment before this process ends.
                std::thread::sleep(std::time::Duration::from_millis(500));
            }
            return;
        }
        Err(e) => {
            log::error!("{e}");
            std::process::exit(1);
        }
    };
    let rocket = match assetport::build(figment) {
        Ok(r) => r,
        Err(e) => {
            log::error!("{e}");
            std::process::exit(1);
        }
    };
    match assetport::launch(rocket, Some(front)).await {
        Ok(()) => {}
        // Asked to stop, and stopped (the workers included); only some connections outlived
        // the grace period. Not a failure of the server.
        Err(e) if matches!(e.kind(), rocket::error::ErrorKind::Shutdown(..)) => {
            log::warn!("stopped; {e}");
        }
        Err(e) => {
            log::error!("server stopped: {e}");
            std::process::exit(1);
        }
    }
}
