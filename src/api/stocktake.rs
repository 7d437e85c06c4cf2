//! Stocktakes (盘点): started over a search by asset managers and system admins, counted by scan,
//! completed or voided. Not in the original API; the rules are in `crate::stocktake`.

use super::files::{Body as FileBody, Download};
use super::{ok, paged, Body, Reply};
use crate::auth::{Role, Session};
use crate::db::Db;
use crate::error::Error;
use crate::files::Format;
use crate::paging::Page;
use crate::stocktake::{self, report as sheet, NewStocktake, Scan};
use rocket::{get, post, routes, Route, State};
use serde_json::json;

/// Asset managers and system admins count; staff do not.
const COUNTING: &[Role] = &[Role::Manager, Role::Admin];

pub fn routes() -> Vec<Route> {
    routes![
        start, list, detail, lines, extras, report, template, upload, adjust, scan, complete, void
    ]
}

fn stocktake_id(id: &str) -> Result<i64, Error> {
    super::positive_id(id, "盘点")
}

/// Starts a stocktake: `{"name": "2026年度盘点", "filter": {"department": "CST"}}`; the assets
/// the filter finds are frozen as its expected lines.
/// Over `task_batch_rows` assets it is 准备中 while a task lists them (`task` in the answer).
#[post("/api/stocktake/<_>", data = "<body>")]
async fn start(
    db: &State<Db>,
    workers: &State<std::sync::Arc<crate::tasks::Workers>>,
    settings: &State<crate::config::Settings>,
    session: Session,
    body: Body,
) -> Reply {
    let caller = session.require(COUNTING)?;
    let new: NewStocktake = body.json()?;
    let batch_rows = settings.task_batch_rows;
    let starter = caller.clone();
    let started = db
        .write_many(move |tx| stocktake::start_with(tx, &starter, new, batch_rows))
        .await?;
    let Some(ids) = started.to_freeze else {
        return ok(json!({ "id": started.id }));
    };
    let id = started.id;
    let task = db
        .run(move |conn| stocktake::freeze::create(conn, &caller, id, &ids, batch_rows))
        .await?;
    workers.queue(task)?;
    ok(json!({ "id": id, "task": task }))
}

#[get("/api/stocktake/<_>?<page>&<size>")]
async fn list(db: &State<Db>, session: Session, page: Option<&str>, size: Option<&str>) -> Reply {
    let caller = session.require(COUNTING)?;
    let page = Page::parse(page.unwrap_or("1"), size)?;
    paged(
        db.run(move |conn| stocktake::list(conn, &caller, &page))
            .await?,
    )
}

/// A stocktake with its lines counted by state (the progress: counted of expected).
#[get("/api/stocktake/<_>/<id>", rank = 2)]
async fn detail(db: &State<Db>, session: Session, id: &str) -> Reply {
    let caller = session.require(COUNTING)?;
    let id = stocktake_id(id)?;
    ok(db
        .run(move |conn| stocktake::detail(conn, &caller, id))
        .await?)
}

/// A page of its lines, in one state if asked (`?state=` a code, name or label).
#[get("/api/stocktake/<_>/<id>/lines?<state>&<page>&<size>")]
async fn lines(
    db: &State<Db>,
    session: Session,
    id: &str,
    state: Option<String>,
    page: Option<&str>,
    size: Option<&str>,
) -> Reply {
    let caller = session.require(COUNTING)?;
    let id = stocktake_id(id)?;
    let page = Page::parse(page.unwrap_or("1"), size)?;
    paged(
        db.run(move |conn| stocktake::lines(conn, &caller, id, state.as_deref(), &page))
            .await?,
    )
}

/// The codes found that it did not expect (盘盈).
#[get("/api/stocktake/<_>/<id>/extras?<page>&<size>")]
async fn extras(
    db: &State<Db>,
    session: Session,
    id: &str,
    page: Option<&str>,
    size: Option<&str>,
) -> Reply {
    let caller = session.require(COUNTING)?;
    let id = stocktake_id(id)?;
    let page = Page::parse(page.unwrap_or("1"), size)?;
    paged(
        db.run(move |conn| stocktake::extras(conn, &caller, id, &page))
            .await?,
    )
}

/// The report for the auditor: every line as expected and as found, by state, who counted it
/// and when, and the extras; `?format=xlsx` (the default) or `csv`.
#[get("/api/stocktake/<_>/<id>/report?<format>")]
async fn report(
    db: &State<Db>,
    downloads: &State<super::Downloads>,
    session: Session,
    id: &str,
    format: Option<&str>,
) -> crate::error::ApiResult<Download> {
    let caller = session.require(COUNTING)?;
    let id = stocktake_id(id)?;
    let format = match format.map(str::trim) {
        None | Some("") => Format::Xlsx,
        Some(f) => Format::from_query(Some(f)).map_err(Error::BadBody)?,
    };
    let id = db
        .run(move |conn| stocktake::listed(conn, &caller, id))
        .await?;
    let permit = downloads.place()?;
    let name = sheet::file_name(id, format);
    match format {
        Format::Xlsx => {
            let file = db
                .with_pool(move |pool| {
                    let _permit = permit;
                    sheet::write_xlsx(pool, id)
                })
                .await?;
            Ok(Download::xlsx(file, &name))
        }
        Format::Csv => {
            let body = super::stream(db, permit, move |pool, out| sheet::write_csv(pool, id, out));
            Ok(Download::new(FileBody::Stream(body), format, &name))
        }
    }
}

/// The count sheet template: every expected line (资产编号, 资产名称, what is expected) with the
/// 实盘位置, 实盘数量 and 实盘持有人 columns to fill in where they differ.
#[get("/api/stocktake/<_>/<id>/template?<format>")]
async fn template(
    db: &State<Db>,
    session: Session,
    id: &str,
    format: Option<&str>,
) -> crate::error::ApiResult<Download> {
    let caller = session.require(COUNTING)?;
    let id = stocktake_id(id)?;
    let format = super::files::format_of(format)?;
    let id = db
        .run(move |conn| stocktake::listed(conn, &caller, id))
        .await?;
    let bytes = db
        .with_pool(move |pool| sheet::write_template(pool, id, format))
        .await?;
    let name = format!("stocktake-{id}-count-sheet.{}", format.extension());
    Ok(Download::new(FileBody::Bytes(bytes), format, &name))
}

/// A count sheet (CSV or XLSX, raw or the first file of a multipart form): stored as a count
/// task (its id is the answer) that the workers count a batch at a time.
#[allow(clippy::too_many_arguments)]
#[post("/api/stocktake_file/<_>/<id>?<format>", data = "<data>")]
async fn upload(
    db: &State<Db>,
    workers: &State<std::sync::Arc<crate::tasks::Workers>>,
    parsers: &State<super::Parsers>,
    settings: &State<crate::config::Settings>,
    limits: &rocket::data::Limits,
    session: Session,
    id: &str,
    format: Option<&str>,
    content_type: Option<&rocket::http::ContentType>,
    data: rocket::Data<'_>,
) -> Reply {
    let caller = session.require(COUNTING)?;
    let id = stocktake_id(id)?;
    let upload = super::files::Upload {
        limits,
        settings,
        parsers,
        content_type,
    };
    let (received, format, permit) = upload.receive(data, format).await?;
    let read = (settings.read_limits(), settings.task_batch_rows);
    let (file, name) = (received.file, received.name);
    let task = db
        .run(move |conn| {
            let _permit = permit;
            stocktake::count::create(conn, &caller, id, (format, name), &file, read)
        })
        .await?;
    workers.queue(task)?;
    ok(json!({ "id": task }))
}

/// Corrects the register from a completed stocktake: its accepted differences as an update
/// import (`?dry_run=true`: a preview to confirm); `{"accept": ["misplaced", …]}` optional.
#[post("/api/stocktake/<_>/<id>/adjust?<dry_run>", data = "<body>")]
async fn adjust(
    db: &State<Db>,
    workers: &State<std::sync::Arc<crate::tasks::Workers>>,
    settings: &State<crate::config::Settings>,
    session: Session,
    id: &str,
    dry_run: Option<&str>,
    body: Body,
) -> Reply {
    let caller = session.require(COUNTING)?;
    let id = stocktake_id(id)?;
    let dry_run = super::flag("dry_run", dry_run)?;
    let asked: stocktake::adjust::Adjust = body.json_or_default()?;
    let chunk_rows = settings.task_batch_rows;
    let answer = db
        .run(move |conn| stocktake::adjust::adjust(conn, &caller, id, (dry_run, asked), chunk_rows))
        .await?;
    if let Some(task) = answer["task"].as_i64() {
        workers.queue(task)?;
    }
    ok(answer)
}

/// One scan: `{"code": "1024", "position": "A座301", "count": 1, "holder": "zhangsan"}`.
#[post("/api/stocktake/<_>/<id>/scan", data = "<body>")]
async fn scan(db: &State<Db>, session: Session, id: &str, body: Body) -> Reply {
    let caller = session.require(COUNTING)?;
    let id = stocktake_id(id)?;
    let scan: Scan = body.json()?;
    ok(db
        .write(move |tx| stocktake::scan(tx, &caller, id, &scan))
        .await?)
}

/// Completes it: every line not counted becomes 盘亏, and it is frozen.
#[post("/api/stocktake/<_>/<id>/complete")]
async fn complete(db: &State<Db>, session: Session, id: &str) -> Reply {
    let caller = session.require(COUNTING)?;
    let id = stocktake_id(id)?;
    ok(db
        .write(move |tx| stocktake::end(tx, &caller, id, true))
        .await?)
}

/// Voids it (已作废): nothing it counted is used.
#[post("/api/stocktake/<_>/<id>/void")]
async fn void(db: &State<Db>, session: Session, id: &str) -> Reply {
    let caller = session.require(COUNTING)?;
    let id = stocktake_id(id)?;
    ok(db
        .write(move |tx| stocktake::end(tx, &caller, id, false))
        .await?)
}
