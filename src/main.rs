#![forbid(unsafe_code)]

use assetport::config::Settings;

#[rocket::main]
async fn main() {
    let figment = assetport::figment();
    let settings = match Settings::from_figment(&figment) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("assetport: {e}");
            std::process::exit(2);
        }
    };
    if let Err(e) = assetport::logging::init(&settings.database) {
        eprintln!("assetport: {e}");
        std::process::exit(2);
    }
    let (figment, front) = match assetport::bind_front(figment) {
        Ok(bound) => bound,
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
