//! HTTP handlers: one file per resource, each exposing `routes()`. Handlers parse, check the
//! caller, call one domain function and shape the answer.

pub mod assets;
pub mod backups;
pub mod failed;
pub mod files;
pub mod journal;
pub mod labels;
pub mod org;
pub mod requests;
pub mod session;
pub mod setup;
pub mod stocktake;
pub mod tasks;
pub mod users;

use crate::auth::{self, Session};
use crate::config;
use crate::db::{Conn, Db, Pool};
use crate::error::{ApiError, ApiResult, Error, Result};
use crate::paging::Paged;
use crate::tasks::readers::{Readers, Reading};
use rocket::data::{self, ByteUnit, FromData};
use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::{catch, catchers, Catcher, Data, Request, Route};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};

pub type Reply = ApiResult<Json<Value>>;

pub fn ok<T: Serialize>(data: T) -> Reply {
    Ok(Json(json!({"code": 0, "info": "Succeed", "data": data})))
}

/// A record's id from the path: a positive integer, else `what` is not found (code 7), as an
/// id naming nothing would be.
pub fn positive_id(id: &str, what: &'static str) -> Result<i64> {
    id.trim()
        .parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or(crate::error::Error::NotFound(what))
}

/// A yes/no query value (`?dry_run=`, `?check_duplicate=`): true or 1, false or 0, absent or
/// empty for no; anything else is code -2 naming the key.
pub fn flag(key: &str, value: Option<&str>) -> Result<bool> {
    match value.map(str::trim) {
        None | Some("") | Some("false") | Some("0") => Ok(false),
        Some("true") | Some("1") => Ok(true),
        Some(_) => Err(Error::BadBody(crate::rows::missing_field_message(
            key,
            Some("true 或 false"),
        ))),
    }
}

pub fn done() -> Reply {
    Ok(Json(json!({"code": 0, "info": "Succeed"})))
}

pub fn paged<T: Serialize>(p: Paged<T>) -> Reply {
    Ok(Json(
        json!({"code": 0, "info": "Succeed", "pages": p.pages, "total": p.total, "data": p.data}),
    ))
}

/// Runs `f` on Tokio's blocking thread pool, writing into one end of a pipe; the other end is
/// returned for a response to stream as it is written. `f` gets the pool, not a connection:
/// it reads a chunk at a time (`results::ResultRows`), so while the pipe is full because
/// the client reads slowly or not at all, no connection and no read transaction is held. A
/// client that goes away (or is cut off by the front listener's client timeout) closes the
/// pipe, and `f`'s next write fails and stops it. `permit` (a place among the downloads
/// allowed at once) is held until `f` returns.
pub fn stream<F>(db: &Db, permit: impl Send + 'static, f: F) -> rocket::tokio::io::DuplexStream
where
    F: FnOnce(&Pool, &mut dyn std::io::Write) -> Result<()> + Send + 'static,
{
    let (reader, writer) = rocket::tokio::io::duplex(64 * 1024);
    let pool = db.0.clone();
    rocket::tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let mut out =
            std::io::BufWriter::with_capacity(64 * 1024, tokio_util::io::SyncIoBridge::new(writer));
        if let Err(e) = f(&pool, &mut out) {
            log::warn!("streamed answer stopped: {}", e.cause());
        }
    });
    reader
}

/// A JSON answer streamed as it is written (an export's records can run to hundreds of MiB).
pub struct JsonStream(pub rocket::tokio::io::DuplexStream);

impl<'r> rocket::response::Responder<'r, 'static> for JsonStream {
    fn respond_to(self, _: &'r Request<'_>) -> rocket::response::Result<'static> {
        rocket::Response::build()
            .header(rocket::http::ContentType::JSON)
            .streamed_body(self.0)
            .ok()
    }
}

/// The bound on downloads written at once (`max_downloads`): each holds a blocking thread while
/// its client reads, so a crowd of stalled readers cannot take them all. More answer busy. And
/// which tasks' results are being read, so that nothing removes them under a download.
pub struct Downloads {
    permits: std::sync::Arc<rocket::tokio::sync::Semaphore>,
    readers: std::sync::Arc<Readers>,
}

/// A place among the downloads allowed at once, and the task's results kept from removal,
/// held until the download is written.
pub struct DownloadPermit {
    _permit: rocket::tokio::sync::OwnedSemaphorePermit,
    _reading: Reading,
}

impl Downloads {
    pub fn new(max: usize, readers: std::sync::Arc<Readers>) -> Downloads {
        Downloads {
            permits: std::sync::Arc::new(rocket::tokio::sync::Semaphore::new(max)),
            readers,
        }
    }

    /// Keeps `task`'s results from removal until the download ends: taken before the task is
    /// checked, so that a removal either waits for the download or refuses it.
    pub fn reading(&self, task: i64) -> Result<Reading> {
        self.readers.read(task)
    }

    pub fn start(&self, reading: Reading) -> Result<DownloadPermit> {
        Ok(DownloadPermit {
            _permit: self.place()?,
            _reading: reading,
        })
    }

    /// A place among the downloads allowed at once, for one that reads no task's results (the
    /// journal's).
    pub fn place(&self) -> Result<rocket::tokio::sync::OwnedSemaphorePermit> {
        self.permits
            .clone()
            .try_acquire_owned()
            .map_err(|_| Error::Busy("同时进行的下载过多，请稍后再试"))
    }

    pub fn readers(&self) -> std::sync::Arc<Readers> {
        self.readers.clone()
    }

    /// Runs `f` on a blocking thread once no download of task `id`'s results is under way
    /// (waiting a while for one to end): for a change that removes or replaces them.
    pub async fn removing<T, F>(&self, db: &Db, id: i64, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Conn) -> Result<T> + Send + 'static,
    {
        let readers = self.readers();
        db.run(move |conn| {
            let _removing = readers.remove_waiting(id)?;
            f(conn)
        })
        .await
    }
}

/// The bound on uploaded XLSX files read at once (`max_parsing_uploads`): reading one may take
/// up to an eighth of `upload_max_unpacked_mib` (its shared strings and styles), so uploads
/// beyond it wait for a free place, in the order they arrived, holding no thread and no
/// connection meanwhile (the file waits on disk). One that waits too long answers busy.
pub struct Parsers(std::sync::Arc<rocket::tokio::sync::Semaphore>);

/// A place among the uploads read at once, held until the file is read and stored.
pub type ParserPermit = rocket::tokio::sync::OwnedSemaphorePermit;

impl Parsers {
    pub fn new(max: usize) -> Parsers {
        Parsers(std::sync::Arc::new(rocket::tokio::sync::Semaphore::new(
            max,
        )))
    }

    pub async fn start(&self, wait: std::time::Duration) -> Result<ParserPermit> {
        let place = self.0.clone().acquire_owned();
        match rocket::tokio::time::timeout(wait, place).await {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(Error::Busy("同时导入的文件过多，请稍后再试")),
        }
    }
}

pub fn routes() -> Vec<Route> {
    let mut all = Vec::new();
    all.extend(session::routes());
    all.extend(users::routes());
    all.extend(org::routes());
    all.extend(assets::routes());
    all.extend(tasks::routes());
    // The seed's failed-rows routes, with and without `/api`. `/api` is a valid base, so the
    // second copy is always there (the endpoint table of tests/security/access.rs checks both).
    for route in tasks::seed_routes() {
        all.push(route.clone());
        all.extend(route.map_base(|_| "/api".to_owned()).ok());
    }
    all.extend(failed::routes());
    all.extend(files::routes());
    all.extend(requests::routes());
    all.extend(stocktake::routes());
    all.extend(labels::routes());
    all.extend(journal::routes());
    all.extend(setup::routes());
    all.extend(backups::routes());
    all
}

/// A small request body (login, users, departments, one asset, a search…), read up to the `json`
/// limit (a few KiB by default) but not parsed: a handler parses it only after
/// `Session::require`. On an endpoint with a session, a session that is not live stops the read:
/// a client without an account cannot make the server hold a body.
pub struct Body(Result<Vec<u8>>);

/// A bulk request body (import, export, re-run): read up to the `bulk` limit, and only once the
/// session is live and its user may create tasks and is not locked.
pub struct BulkBody(Body);

/// Reads the body after `admit` passes, never more than `limit` bytes: a declared length over
/// the limit is refused before a byte is read.
async fn read_body<'r>(
    req: &'r Request<'_>,
    data: Data<'r>,
    limit_name: &str,
    default: ByteUnit,
    admit: impl FnOnce(Session) -> Result<()>,
) -> Body {
    if auth::has_session_segment(req) {
        let session = req.guard::<Session>().await;
        let admitted = match session {
            rocket::outcome::Outcome::Success(session) => admit(session),
            _ => Err(Error::NoSession),
        };
        if let Err(e) = admitted {
            return Body(Err(e));
        }
    }
    let limit = req.limits().get(limit_name).unwrap_or(default);
    let declared = req
        .headers()
        .get_one("Content-Length")
        .and_then(|l| l.trim().parse::<u64>().ok());
    if declared.is_some_and(|l| l > limit.as_u64()) {
        return Body(Err(Error::TooLarge));
    }
    Body(match data.open(limit).into_bytes().await {
        Ok(bytes) if bytes.is_complete() => Ok(bytes.into_inner()),
        Ok(_) => Err(Error::TooLarge),
        Err(_) => Err(Error::BadBody("读取请求体失败".into())),
    })
}

#[rocket::async_trait]
impl<'r> FromData<'r> for Body {
    type Error = std::convert::Infallible;

    async fn from_data(req: &'r Request<'_>, data: Data<'r>) -> data::Outcome<'r, Self> {
        let body = read_body(req, data, "json", config::DEFAULT_JSON_LIMIT, |s| {
            s.require(auth::ANY).map(|_| ())
        });
        data::Outcome::Success(body.await)
    }
}

#[rocket::async_trait]
impl<'r> FromData<'r> for BulkBody {
    type Error = std::convert::Infallible;

    async fn from_data(req: &'r Request<'_>, data: Data<'r>) -> data::Outcome<'r, Self> {
        let body = read_body(req, data, "bulk", config::DEFAULT_BULK_LIMIT, |s| {
            s.require(auth::ASSET_ROLES).map(|_| ())
        });
        data::Outcome::Success(BulkBody(body.await))
    }
}

impl BulkBody {
    pub fn bytes(self) -> Result<Vec<u8>> {
        self.0.bytes()
    }
}

impl Body {
    pub fn bytes(self) -> Result<Vec<u8>> {
        self.0
    }

    /// Parses the body as the object `T`; a failure names the offending field.
    pub fn json<T: DeserializeOwned>(self) -> Result<T> {
        let bytes = self.0?;
        require_object(&bytes)?;
        parse_json(&bytes)
    }

    /// `json`, an empty body read as `T`'s default (an action whose details are optional).
    pub fn json_or_default<T: DeserializeOwned + Default>(self) -> Result<T> {
        let bytes = self.0?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(T::default());
        }
        require_object(&bytes)?;
        parse_json(&bytes)
    }

    /// Parses the body as the array `T`.
    pub fn list<T: DeserializeOwned>(self) -> Result<T> {
        parse_json(&self.0?)
    }
}

/// serde fills a struct from a JSON array by position (`["liusn","pw"]` as a login): an object
/// body must be sent as an object, so a client's mistake is named instead of half-understood.
fn require_object(bytes: &[u8]) -> Result<()> {
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first == Some(&b'{') {
        return Ok(());
    }
    if serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_err() {
        return Err(Error::BadBody("请求体不是合法的JSON".into()));
    }
    Err(Error::missing_field("body"))
}

pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            return Error::BadBody("请求体不是合法的JSON".into());
        }
        let text = inner.to_string();
        let field = match text.strip_prefix("missing field `") {
            Some(rest) => rest.split('`').next().unwrap_or("body").to_owned(),
            None if path == "." => "body".to_owned(),
            // An element of a list body: body[0], not [[0]].
            None if path.starts_with('[') => format!("body{path}"),
            None => path,
        };
        Error::missing_field(&field)
    })?;
    de.end()
        .map_err(|_| Error::BadBody("请求体不是合法的JSON".into()))?;
    Ok(value)
}

/// Deserializes an optional field that may be sent as a number or a numeric string.
pub mod lenient {
    use serde::{Deserialize, Deserializer};

    pub fn opt_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum N {
            I(i64),
            S(String),
        }
        match Option::<N>::deserialize(d)? {
            None => Ok(None),
            Some(N::I(i)) => Ok(Some(i)),
            Some(N::S(s)) if s.trim().is_empty() => Ok(None),
            Some(N::S(s)) => s
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| serde::de::Error::custom("not an integer")),
        }
    }

    pub fn opt_f64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum N {
            F(f64),
            S(String),
        }
        let n = match Option::<N>::deserialize(d)? {
            None => return Ok(None),
            Some(N::F(f)) => f,
            Some(N::S(s)) if s.trim().is_empty() => return Ok(None),
            Some(N::S(s)) => s
                .trim()
                .parse()
                .map_err(|_| serde::de::Error::custom("not a number"))?,
        };
        if n.is_finite() && n.abs() <= 1e13 {
            Ok(Some(n))
        } else {
            Err(serde::de::Error::custom("number out of range"))
        }
    }
}

/// Every API answer and download carries company data: no browser or proxy may keep a copy
/// (`Cache-Control: no-store`). The page's own files are left to the browser's cache.
pub struct NoStore;

#[rocket::async_trait]
impl rocket::fairing::Fairing for NoStore {
    fn info(&self) -> rocket::fairing::Info {
        rocket::fairing::Info {
            name: "Cache-Control: no-store on the API",
            kind: rocket::fairing::Kind::Response,
        }
    }

    async fn on_response<'r>(&self, req: &'r Request<'_>, res: &mut rocket::Response<'r>) {
        let path = req.uri().path();
        if path.starts_with("/api/") || path.starts_with("/failed_task/") {
            res.set_raw_header("Cache-Control", "no-store");
        }
    }
}

#[catch(default)]
fn any_error(status: Status, _req: &Request) -> ApiError {
    ApiError(match status.code {
        404 | 405 => Error::UnknownPath,
        413 => Error::TooLarge,
        400 | 411 | 415 | 422 => Error::BadBody("请求格式错误".into()),
        _ => Error::internal(format!("unhandled status {status}")),
    })
}

pub fn catchers() -> Vec<Catcher> {
    catchers![any_error]
}
