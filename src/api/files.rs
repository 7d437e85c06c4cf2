//! Files: the import template, import from an uploaded CSV/XLSX (raw body or a multipart form
//! with one file), and a task's results as a download.

use super::{ok, Downloads, Parsers, Reply};
use crate::auth::{Session, ASSET_ROLES};
use crate::config::Settings;
use crate::db::Db;
use crate::error::{ApiResult, Error, Result};
use crate::files::{self, Format};
use crate::private_files;
use crate::tasks::Workers;
use crate::tasks::{create, results};
use rocket::data::{Limits, ToByteUnit};
use rocket::http::ContentType;
use rocket::response::{self, Responder, Response};
use rocket::tokio::io::AsyncWriteExt;
use rocket::{get, post, routes, Data, Request, Route, State};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::io::Cursor;
use std::path::PathBuf;
use std::sync::Arc;

pub fn routes() -> Vec<Route> {
    routes![template, upload, download]
}

/// A file to download: its bytes, a stream written by a blocking thread, or a temporary file.
pub enum Body {
    Bytes(Vec<u8>),
    Stream(rocket::tokio::io::DuplexStream),
    File(rocket::tokio::fs::File),
}

pub struct Download {
    body: Body,
    content_type: ContentType,
    file_name: String,
}

impl Download {
    /// An XLSX written to a temporary file (rewound).
    pub(crate) fn xlsx(file: std::fs::File, file_name: &str) -> Download {
        let body = Body::File(rocket::tokio::fs::File::from_std(file));
        Download::new(body, Format::Xlsx, file_name)
    }

    pub(crate) fn new(body: Body, format: Format, file_name: &str) -> Download {
        let content_type = match format {
            Format::Csv => ContentType::new("text", "csv").with_params(("charset", "utf-8")),
            Format::Xlsx => ContentType::new(
                "application",
                "vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ),
        };
        Download {
            body,
            content_type,
            file_name: file_name.to_owned(),
        }
    }

    /// A PDF (asset labels).
    pub(crate) fn pdf(body: Body, file_name: &str) -> Download {
        Download {
            body,
            content_type: ContentType::PDF,
            file_name: file_name.to_owned(),
        }
    }
}

impl<'r> Responder<'r, 'static> for Download {
    fn respond_to(self, _: &'r Request<'_>) -> response::Result<'static> {
        let mut response = Response::build();
        response.header(self.content_type).raw_header(
            "Content-Disposition",
            format!("attachment; filename=\"{}\"", self.file_name),
        );
        match self.body {
            Body::Bytes(b) => response.sized_body(b.len(), Cursor::new(b)),
            Body::Stream(s) => response.streamed_body(s),
            Body::File(f) => response.sized_body(None, f),
        };
        response.ok()
    }
}

pub(super) fn format_of(query: Option<&str>) -> Result<Format> {
    Format::from_query(query).map_err(Error::BadBody)
}

#[get("/api/asset_template/<_>?<format>")]
async fn template(db: &State<Db>, session: Session, format: Option<&str>) -> ApiResult<Download> {
    let caller = session.require(ASSET_ROLES)?;
    let format = format_of(format)?;
    // The example is the caller's own data; the workbook is built on the same blocking thread.
    let bytes = db
        .run(move |conn| {
            let example = crate::org::template_example(conn, &caller)?;
            files::template(format, example.as_ref()).map_err(Error::internal)
        })
        .await?;
    let name = format!("asset-template.{}", format.extension());
    Ok(Download::new(Body::Bytes(bytes), format, &name))
}

/// An uploaded file, waiting in a private temporary file in the database's folder to be read:
/// a server taking several large uploads at once holds none of them in memory.
pub(super) struct Received {
    pub(super) file: std::fs::File,
    pub(super) name: Option<String>,
    /// The file's first bytes, to tell its format.
    head: Vec<u8>,
    /// The SHA-256 of a named file (multipart), for `check_duplicate`.
    hash: Option<String>,
}

/// Bytes of a file's start kept to tell its format.
const HEAD: usize = 8;

/// A write to the temporary file failed: a full disk is said as such, like the database's.
fn write_error(e: std::io::Error) -> Error {
    use std::io::ErrorKind;
    match e.kind() {
        ErrorKind::StorageFull | ErrorKind::QuotaExceeded => {
            log::error!("upload's temporary file: {e}");
            Error::DiskFull
        }
        _ => Error::caused("upload's temporary file", e),
    }
}

/// The temporary file an upload is written into, and what is learned while writing it.
struct Spool {
    /// Written a MiB at a time: each write of a file is a trip to a blocking thread.
    file: rocket::tokio::io::BufWriter<rocket::tokio::fs::File>,
    head: Vec<u8>,
    hasher: Option<Sha256>,
}

impl Spool {
    async fn create(dir: PathBuf) -> Result<Spool> {
        let file = rocket::tokio::task::spawn_blocking(move || private_files::temp_file_in(&dir))
            .await
            .map_err(|e| Error::caused("blocking task", e))?
            .map_err(write_error)?;
        Ok(Spool {
            file: rocket::tokio::io::BufWriter::with_capacity(
                1 << 20,
                rocket::tokio::fs::File::from_std(file),
            ),
            head: Vec::with_capacity(HEAD),
            hasher: None,
        })
    }

    async fn write(&mut self, chunk: &[u8]) -> Result<()> {
        let missing = HEAD.saturating_sub(self.head.len()).min(chunk.len());
        self.head.extend_from_slice(&chunk[..missing]);
        if let Some(hasher) = &mut self.hasher {
            hasher.update(chunk);
        }
        self.file.write_all(chunk).await.map_err(write_error)
    }

    async fn finish(mut self, name: Option<String>) -> Result<Received> {
        self.file.flush().await.map_err(write_error)?;
        Ok(Received {
            file: self.file.into_inner().into_std().await,
            name,
            head: self.head,
            hash: self.hasher.map(|h| format!("{:x}", h.finalize())),
        })
    }
}

/// What receiving an uploaded file needs: the body limit, the settings, the places to parse.
pub(super) struct Upload<'a> {
    pub(super) limits: &'a Limits,
    pub(super) settings: &'a Settings,
    pub(super) parsers: &'a Parsers,
    pub(super) content_type: Option<&'a ContentType>,
}

impl Upload<'_> {
    /// Receives the file (within the `file` body limit), tells its format (`?format=`, its
    /// name, its first bytes) and, for an XLSX, waits for a place to parse it. A CSV is read as
    /// a stream in little memory: only an XLSX waits. The wait ends before the front
    /// listener's bound on a silent server (`client_timeout_secs`) would.
    pub(super) async fn receive(
        &self,
        data: Data<'_>,
        format: Option<&str>,
    ) -> Result<(Received, Format, Option<super::ParserPermit>)> {
        let limit = self
            .limits
            .get("file")
            .unwrap_or(crate::config::DEFAULT_BODY_LIMIT_MIB.mebibytes());
        let dir = self.settings.data_dir();
        let received = read_upload(data, self.content_type, limit, dir).await?;
        let format = detect_format(format, received.name.as_deref(), &received.head)?;
        let permit = match format {
            Format::Xlsx => {
                let wait = self.settings.client_timeout_secs.saturating_sub(5).max(1);
                Some(
                    self.parsers
                        .start(std::time::Duration::from_secs(wait))
                        .await?,
                )
            }
            Format::Csv => None,
        };
        Ok((received, format, permit))
    }
}

/// Receives the upload into a temporary file: the whole body, or the first file of a multipart
/// form (with its name).
async fn read_upload(
    mut data: Data<'_>,
    content_type: Option<&ContentType>,
    limit: rocket::data::ByteUnit,
    dir: PathBuf,
) -> Result<Received> {
    let boundary = content_type
        .filter(|c| c.top() == "multipart" && c.sub() == "form-data")
        .and_then(|c| {
            c.params()
                .find(|(k, _)| *k == "boundary")
                .map(|(_, v)| v.to_owned())
        });
    let mut spool = Spool::create(dir).await?;
    let Some(boundary) = boundary else {
        spool.head = data.peek(HEAD).await.to_vec();
        let written = data
            .open(limit)
            .stream_to(&mut spool.file)
            .await
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded => {
                    write_error(e)
                }
                _ => Error::BadBody("读取上传文件失败".into()),
            })?;
        if !written.complete {
            return Err(Error::TooLarge);
        }
        return spool.finish(None).await;
    };
    let unreadable = |_| Error::BadBody("上传的表单无法解析".into());
    let mut form = multer::Multipart::with_reader(data.open(limit), boundary);
    let mut received = 0u64;
    while let Some(mut field) = form.next_field().await.map_err(unreadable)? {
        if field.file_name().is_none() && field.name() != Some("file") {
            continue;
        }
        // A browser sends a file field with an empty file name when no file was chosen.
        if field.file_name() == Some("") {
            continue;
        }
        let name = field.file_name().map(str::to_owned);
        if name.is_some() {
            spool.hasher = Some(Sha256::new());
        }
        loop {
            match field.chunk().await {
                Ok(Some(chunk)) => {
                    received += chunk.len() as u64;
                    spool.write(&chunk).await?;
                }
                Ok(None) => return spool.finish(name).await,
                // A stream cut at the limit reads as a broken form.
                Err(_) if received + 1024 >= limit.as_u64() => return Err(Error::TooLarge),
                Err(e) => return Err(unreadable(e)),
            }
        }
    }
    Err(Error::BadBody("上传的表单中没有文件".into()))
}

/// The file's format: as asked, else from its name, else from its first bytes (XLSX is a zip).
fn detect_format(query: Option<&str>, name: Option<&str>, bytes: &[u8]) -> Result<Format> {
    if query.is_some() {
        return format_of(query);
    }
    if let Some(ext) = name.and_then(|n| n.rsplit_once('.')).map(|(_, e)| e) {
        if let Ok(f) = Format::from_query(Some(ext)) {
            return Ok(f);
        }
    }
    // XLSX is a zip; an old Excel (.xls, an OLE file) goes to the XLSX reader too, which says
    // to save it as .xlsx instead of reporting bad UTF-8.
    Ok(
        if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"\xD0\xCF\x11\xE0") {
            Format::Xlsx
        } else {
            Format::Csv
        },
    )
}

#[allow(clippy::too_many_arguments)]
#[post(
    "/api/asset_file/<_>?<format>&<dry_run>&<check_duplicate>",
    data = "<data>"
)]
async fn upload(
    db: &State<Db>,
    workers: &State<Arc<Workers>>,
    parsers: &State<Parsers>,
    settings: &State<Settings>,
    limits: &Limits,
    session: Session,
    format: Option<&str>,
    dry_run: Option<&str>,
    check_duplicate: Option<&str>,
    content_type: Option<&ContentType>,
    data: Data<'_>,
) -> Reply {
    let caller = session.require(ASSET_ROLES)?;
    let dry_run = super::tasks::dry_run(dry_run)?;
    let check_duplicate = super::flag("check_duplicate", check_duplicate)?;
    let upload = Upload {
        limits,
        settings,
        parsers,
        content_type,
    };
    let (received, format, permit) = upload.receive(data, format).await?;
    let chunk_rows = settings.task_batch_rows;
    let limits = settings.read_limits();
    let upload = create::Upload {
        format,
        file_name: received.name,
        file_hash: received.hash,
        dry_run,
        check_duplicate,
    };
    let file = received.file;
    let id = db
        .run(move |conn| {
            let _permit = permit;
            create::create_import(conn, &caller, &upload, &file, limits, chunk_rows)
        })
        .await?;
    workers.queue(id)?;
    ok(json!({ "id": id }))
}

#[get("/api/async_task/<_>/<id>/file?<format>&<layout>")]
async fn download(
    db: &State<Db>,
    downloads: &State<Downloads>,
    session: Session,
    id: &str,
    format: Option<&str>,
    layout: Option<&str>,
) -> ApiResult<Download> {
    let caller = session.require(ASSET_ROLES)?;
    let format = format_of(format)?;
    let task_id = id.parse::<i64>().map_err(|_| Error::TaskNotFound)?;
    // Kept from removal before the task is checked (tasks/readers.rs).
    let reading = downloads.reading(task_id)?;
    let layout = layout.map(str::to_owned);
    let sheet = db
        .run(move |conn| results::result_sheet(conn, &caller, task_id, layout.as_deref()))
        .await?;
    let name = results::file_name(task_id, sheet, format);
    let permit = downloads.start(reading)?;
    match format {
        Format::Xlsx => {
            let file = db
                .with_pool(move |pool| {
                    let _permit = permit;
                    results::write_results_xlsx(pool, task_id, sheet)
                })
                .await?;
            let body = Body::File(rocket::tokio::fs::File::from_std(file));
            Ok(Download::new(body, format, &name))
        }
        Format::Csv => {
            let reader = super::stream(db, permit, move |pool, out| {
                results::write_results_csv(pool, task_id, sheet, out)
            });
            Ok(Download::new(Body::Stream(reader), format, &name))
        }
    }
}
