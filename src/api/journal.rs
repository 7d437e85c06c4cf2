//! The operations journal (操作日志): a system admin reads their company's entries, the super
//! admin those of no company (their own acts, the settings at start, failed logins naming no
//! user); a page at a time, newest first, or the whole filtered list as a file; and the kinds
//! it records.

use super::files::{Body as FileBody, Download};
use super::{ok, paged, Downloads, Reply};
use crate::auth::{Role, Session};
use crate::db::Db;
use crate::error::{ApiResult, Error};
use crate::files::Format;
use crate::journal;
use rocket::http::uri::Origin;
use rocket::{get, routes, Route, State};
use serde_json::json;

pub fn routes() -> Vec<Route> {
    routes![list, file, kinds]
}

const READERS: &[Role] = &[Role::Admin, Role::Super];

/// The query's pairs, decoded (`page`, `size`, `actor`, `kind`, `since`, `until`, `task`,
/// `format`); others are ignored.
fn pairs<'a>(uri: &'a Origin<'_>) -> Vec<(&'a str, &'a str)> {
    uri.query()
        .map(|q| q.segments().collect())
        .unwrap_or_default()
}

/// `?page=&size=&actor=&kind=&since=&until=&task=`: a page, newest first, with `total` counted
/// up to a bound (`total_capped` true when there are more).
#[get("/api/journal/<_>")]
async fn list(db: &State<Db>, session: Session, uri: &Origin<'_>) -> Reply {
    let caller = session.require(READERS)?;
    let asked = journal::parse_query(pairs(uri).into_iter())?;
    let listing = db
        .run(move |conn| journal::list(conn, &caller, &asked))
        .await?;
    let mut answer = paged(listing.page)?;
    answer.0["total_capped"] = json!(listing.total_capped);
    Ok(answer)
}

/// The list the same query finds, whole, as a file: `?format=xlsx` (the default) or `csv`.
#[get("/api/journal/<_>/file")]
async fn file(
    db: &State<Db>,
    downloads: &State<Downloads>,
    session: Session,
    uri: &Origin<'_>,
) -> ApiResult<Download> {
    let caller = session.require(READERS)?;
    let pairs = pairs(uri);
    let format = match pairs.iter().find(|(k, _)| *k == "format") {
        None => Format::Xlsx,
        Some((_, v)) if v.trim().is_empty() => Format::Xlsx,
        Some((_, v)) => Format::from_query(Some(v)).map_err(Error::BadBody)?,
    };
    let asked = journal::parse_query(pairs.into_iter())?;
    let filter = db
        .run(move |conn| journal::filter(conn, &caller, &asked))
        .await?;
    let permit = downloads.place()?;
    let name = journal::file_name(format);
    match format {
        Format::Xlsx => {
            let file = db
                .with_pool(move |pool| {
                    let _permit = permit;
                    journal::write_xlsx(pool, filter)
                })
                .await?;
            Ok(Download::xlsx(file, &name))
        }
        Format::Csv => {
            let body = super::stream(db, permit, move |pool, out| {
                journal::write_csv(pool, filter, out)
            });
            Ok(Download::new(FileBody::Stream(body), format, &name))
        }
    }
}

/// The kinds the journal records: `[{kind, label}]`, for the page's filter.
#[get("/api/journal/<_>/kinds")]
async fn kinds(session: Session) -> Reply {
    session.require(READERS)?;
    ok(journal::kinds())
}
