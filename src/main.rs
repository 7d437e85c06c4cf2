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
    let rocket = match assetport::build(figment) {
        Ok(r) => r,
        Err(e) => {
            log::error!("{e}");
            std::process::exit(1);
        }
    };
    if let Err(e) = rocket.launch().await {
        log::error!("server stopped: {e}");
        std::process::exit(1);
    }
}
