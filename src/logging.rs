//! Logs to stderr and to `assetport.log` beside the database, and one line per request with
//! the session segment masked: a token in a log file is a login.

use rocket::fairing::{Fairing, Info, Kind};
use rocket::{Request, Response};
use simplelog::{
    ColorChoice, CombinedLogger, ConfigBuilder, LevelFilter, TermLogger, TerminalMode, WriteLogger,
};
use std::path::Path;

/// Installs the process-wide logger; the log file sits next to the database.
pub fn init(database: &Path) -> Result<(), String> {
    let dir = database.parent().filter(|d| !d.as_os_str().is_empty());
    let dir = dir.unwrap_or_else(|| Path::new("."));
    crate::private_files::create_dir(dir)
        .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let path = dir.join("assetport.log");
    let file = crate::private_files::open_append(&path)
        .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    // Rocket's own request lines print raw paths (with the session): ours replace them.
    let config = ConfigBuilder::new()
        .add_filter_ignore_str("rocket")
        .add_filter_ignore_str("hyper")
        .add_filter_ignore_str("_")
        .set_time_offset_to_local()
        .unwrap_or_else(|b| b)
        .build();
    CombinedLogger::init(vec![
        TermLogger::new(
            LevelFilter::Info,
            config.clone(),
            TerminalMode::Stderr,
            ColorChoice::Never,
        ),
        WriteLogger::new(LevelFilter::Info, config, file),
    ])
    .map_err(|e| format!("cannot start logging: {e}"))
}

/// A path with every segment that holds a session token masked.
pub fn mask_path(path: &str) -> String {
    path.split('/')
        .map(|segment| {
            if holds_token(segment) {
                "********"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Whether a raw path segment, percent-decoded, has 32 ASCII letters/digits in a row. Rocket
/// decodes a segment before the session guard reads it, so `%41bc…` is a working token; and a
/// live token with something appended (`<token>.csv`) is refused but still a login to a reader.
fn holds_token(segment: &str) -> bool {
    let decoded = rocket::http::RawStr::new(segment).percent_decode_lossy();
    let mut run = 0;
    decoded.bytes().any(|b| {
        run = if b.is_ascii_alphanumeric() {
            run + 1
        } else {
            0
        };
        run >= 32
    })
}

pub struct RequestLog;

#[rocket::async_trait]
impl Fairing for RequestLog {
    fn info(&self) -> Info {
        Info {
            name: "request log with masked sessions",
            kind: Kind::Response,
        }
    }

    async fn on_response<'r>(&self, req: &'r Request<'_>, res: &mut Response<'r>) {
        // A request the first-start gate turned away is logged as the client sent it.
        let asked = req.local_cache(|| crate::setup::Asked(None));
        let (method, path) = match &asked.0 {
            Some((method, path)) => (*method, path.as_str()),
            None => (req.method(), req.uri().path().as_str()),
        };
        log::info!("{} {} -> {}", method, mask_path(path), res.status().code);
    }
}
