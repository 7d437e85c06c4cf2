//! The admin page: files under `static/`, embedded in the binary, served with headers that
//! keep the page from running anything it did not ship.

use rocket::http::{ContentType, Header};
use rocket::{get, routes, Responder, Route};
use rust_embed::RustEmbed;
use std::borrow::Cow;
use std::path::PathBuf;

#[derive(RustEmbed)]
#[folder = "static/"]
struct Static;

pub fn routes() -> Vec<Route> {
    routes![index, file]
}

#[derive(Responder)]
pub struct Asset {
    body: Cow<'static, [u8]>,
    content_type: ContentType,
    csp: Header<'static>,
    nosniff: Header<'static>,
    frame: Header<'static>,
    referrer: Header<'static>,
}

fn serve(path: &str) -> Option<Asset> {
    let file = Static::get(path)?;
    let ext = path.rsplit('.').next().unwrap_or("");
    Some(Asset {
        body: file.data,
        content_type: ContentType::from_extension(ext).unwrap_or(ContentType::Binary),
        csp: Header::new(
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
        ),
        nosniff: Header::new("X-Content-Type-Options", "nosniff"),
        frame: Header::new("X-Frame-Options", "DENY"),
        referrer: Header::new("Referrer-Policy", "no-referrer"),
    })
}

#[get("/")]
fn index() -> Option<Asset> {
    serve("index.html")
}

#[get("/static/<path..>")]
fn file(path: PathBuf) -> Option<Asset> {
    serve(path.to_str()?)
}
