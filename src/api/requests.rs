//! Requests with approval (领用, 退库, 维保, 转移, 调拨): asked by staff and managers, approved,
//! rejected or withdrawn. Not in the original API; the rules are in `crate::requests`.

use super::{ok, paged, Body, Reply};
use crate::auth::{Role, Session};
use crate::db::Db;
use crate::error::Error;
use crate::paging::Page;
use crate::requests::file::FileAsk;
use crate::requests::{self, FinishBody, Kind, ListQuery, RequestBody};
use crate::tasks::Workers;
use rocket::{get, post, routes, Route, State};
use serde::Deserialize;
use serde_json::json;

/// Everyone of a company may ask; only asset managers and system admins review.
const ASKING: &[Role] = &[Role::Staff, Role::Manager, Role::Admin];

pub fn routes() -> Vec<Route> {
    routes![
        create, upload, template, list, to_do, idle, detail, approve, reject, withdraw, finish,
        undo
    ]
}

fn request_id(id: &str) -> Result<i64, Error> {
    super::positive_id(id, "申请")
}

#[post("/api/requests/<_>", data = "<body>")]
async fn create(db: &State<Db>, session: Session, body: Body) -> Reply {
    let caller = session.require(ASKING)?;
    let request: RequestBody = body.json()?;
    let id = db
        .write(move |tx| requests::create(tx, &caller, &request))
        .await?;
    ok(json!({ "id": id }))
}

/// A request of many lines as a CSV or XLSX file (资产编号, 数量): `?dry_run=true` checks every
/// line and names those that cannot be asked; otherwise the request is stored, or refused
/// whole while any line has a problem.
#[allow(clippy::too_many_arguments)]
#[post(
    "/api/request_file/<_>?<kind>&<dry_run>&<target_user>&<target_department>&<reason>&<format>",
    data = "<data>"
)]
async fn upload(
    db: &State<Db>,
    parsers: &State<super::Parsers>,
    settings: &State<crate::config::Settings>,
    limits: &rocket::data::Limits,
    session: Session,
    kind: Option<&str>,
    dry_run: Option<&str>,
    target_user: Option<String>,
    target_department: Option<String>,
    reason: Option<String>,
    format: Option<&str>,
    content_type: Option<&rocket::http::ContentType>,
    data: rocket::Data<'_>,
) -> Reply {
    let caller = session.require(ASKING)?;
    let ask = FileAsk {
        kind: json!(kind.ok_or_else(|| Error::missing_field("kind"))?),
        target_user,
        target_department,
        reason: reason.unwrap_or_default(),
        dry_run: super::flag("dry_run", dry_run)?,
    };
    let upload = super::files::Upload {
        limits,
        settings,
        parsers,
        content_type,
    };
    let (received, format, permit) = upload.receive(data, format).await?;
    let read_limits = settings.read_limits();
    let file = received.file;
    let dry_run = ask.dry_run;
    let work = move |conn: &rusqlite::Connection| {
        let _permit = permit;
        requests::file::ask_file(conn, &caller, &ask, (format, file, read_limits))
    };
    // A dry run only reads; a submission writes the request in one transaction.
    ok(if dry_run {
        db.run(move |conn| work(conn)).await?
    } else {
        db.write(move |tx| work(tx)).await?
    })
}

/// The template of a request file (资产编号, 数量, 备注).
#[get("/api/request_template/<_>?<format>")]
async fn template(
    session: Session,
    format: Option<&str>,
) -> crate::error::ApiResult<super::files::Download> {
    session.require(ASKING)?;
    let format = super::files::format_of(format)?;
    let bytes = rocket::tokio::task::spawn_blocking(move || requests::file::template(format))
        .await
        .map_err(|e| Error::internal(e.to_string()))??;
    let name = format!("request-template.{}", format.extension());
    Ok(super::files::Download::new(
        super::files::Body::Bytes(bytes),
        format,
        &name,
    ))
}

/// `?state=` 0 待审批, 1 已通过, 2 已驳回, 3 已撤回, 4 已失效, 5 已撤销, 6 执行中, 7 撤销中; `?kind=` a kind's code, name or
/// label; `?mine=true` only the caller's own (staff see only theirs anyway).
#[get("/api/requests/<_>?<state>&<kind>&<mine>&<page>&<size>")]
async fn list(
    db: &State<Db>,
    session: Session,
    state: Option<&str>,
    kind: Option<&str>,
    mine: Option<&str>,
    page: Option<&str>,
    size: Option<&str>,
) -> Reply {
    let caller = session.require(ASKING)?;
    let state = match state.map(str::trim) {
        None | Some("") => None,
        Some(text) => Some(
            text.parse::<i64>()
                .ok()
                .filter(|s| (0..=7).contains(s))
                .ok_or_else(|| {
                    Error::BadBody(crate::rows::missing_field_message(
                        "state",
                        Some("状态须为0到7"),
                    ))
                })?,
        ),
    };
    let kind = match kind.map(str::trim) {
        None | Some("") => None,
        Some(text) => Some(Kind::parse(&json!(text))?),
    };
    let query = ListQuery {
        state,
        kind,
        mine: super::flag("mine", mine)?,
        page: Page::parse(page.unwrap_or("1"), size)?,
    };
    paged(
        db.run(move |conn| requests::list(conn, &caller, &query))
            .await?,
    )
}

/// The page's badge: pending requests waiting for the caller's review, and their own pending.
#[get("/api/requests/<_>/to_do")]
async fn to_do(db: &State<Db>, session: Session) -> Reply {
    let caller = session.require(ASKING)?;
    ok(db.run(move |conn| requests::to_do(conn, &caller)).await?)
}

/// The idle assets the caller may ask to take (领用), a page at a time, maybe by name.
#[get("/api/requests/<_>/idle?<name>&<page>&<size>")]
async fn idle(
    db: &State<Db>,
    session: Session,
    name: Option<String>,
    page: Option<&str>,
    size: Option<&str>,
) -> Reply {
    let caller = session.require(ASKING)?;
    let page = Page::parse(page.unwrap_or("1"), size)?;
    let req = crate::assets::SearchRequest {
        name: name.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty()),
        page: Some(page.page),
        size: Some(page.size),
        ..Default::default()
    };
    paged(
        db.run(move |conn| crate::assets::idle_to_take(conn, &caller, req))
            .await?,
    )
}

/// A request with a page of its lines (`?page=`, `?size=` up to 1000, all 1000 by default).
#[get("/api/requests/<_>/<id>?<page>&<size>", rank = 2)]
async fn detail(
    db: &State<Db>,
    session: Session,
    id: &str,
    page: Option<&str>,
    size: Option<&str>,
) -> Reply {
    let caller = session.require(ASKING)?;
    let id = request_id(id)?;
    let size = size.filter(|s| !s.trim().is_empty()).or(Some("1000"));
    let page = Page::parse(page.unwrap_or("1"), size)?;
    ok(db
        .run(move |conn| requests::detail(conn, &caller, id, &page))
        .await?)
}

/// Approves a pending request. A request of more than `task_batch_rows` pending lines is
/// executed by a task (its id is the answer's `task`; the request is 执行中 until it ends).
#[post("/api/requests/<_>/<id>/approve")]
async fn approve(
    db: &State<Db>,
    workers: &State<std::sync::Arc<Workers>>,
    settings: &State<crate::config::Settings>,
    session: Session,
    id: &str,
) -> Reply {
    reviewed(db, (workers, settings), session, id, requests::approve).await
}

/// Takes back an approved request: what its lines changed, where nothing changed it since; a
/// task when more than `task_batch_rows` lines were executed.
#[post("/api/requests/<_>/<id>/undo")]
async fn undo(
    db: &State<Db>,
    workers: &State<std::sync::Arc<Workers>>,
    settings: &State<crate::config::Settings>,
    session: Session,
    id: &str,
) -> Reply {
    reviewed(db, (workers, settings), session, id, requests::undo).await
}

/// What an approval or an undo does, either way: `act` in one write of many statements, with
/// the batch above which it leaves the lines to a task, then that task queued.
async fn reviewed(
    db: &Db,
    (workers, settings): (&Workers, &crate::config::Settings),
    session: Session,
    id: &str,
    act: fn(
        &rusqlite::Connection,
        &crate::auth::Caller,
        i64,
        usize,
    ) -> crate::error::Result<requests::Reviewed>,
) -> Reply {
    let caller = session.require(ASKING)?;
    let id = request_id(id)?;
    let batch = settings.task_batch_rows;
    let reviewed = db.write_many(move |tx| act(tx, &caller, id, batch)).await?;
    queued(workers, reviewed)
}

/// Hands the task an approval or undo stored (if it did) to the workers; answers the request.
fn queued(workers: &Workers, reviewed: requests::Reviewed) -> Reply {
    if let Some(task) = reviewed.task {
        workers.queue(task)?;
    }
    ok(reviewed.request)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Rejection {
    reason: String,
}

#[post("/api/requests/<_>/<id>/reject", data = "<body>")]
async fn reject(db: &State<Db>, session: Session, id: &str, body: Body) -> Reply {
    let caller = session.require(ASKING)?;
    let id = request_id(id)?;
    let Rejection { reason } = body.json()?;
    ok(db
        .write(move |tx| requests::reject(tx, &caller, id, &reason))
        .await?)
}

#[post("/api/requests/<_>/<id>/withdraw")]
async fn withdraw(db: &State<Db>, session: Session, id: &str) -> Reply {
    let caller = session.require(ASKING)?;
    let id = request_id(id)?;
    ok(db
        .write(move |tx| requests::withdraw(tx, &caller, id))
        .await?)
}

/// Ends an approved 维保: the assets go back to their holders, each maybe with its value after
/// the repair and a longer service life (an empty body: as they were).
#[post("/api/requests/<_>/<id>/finish", data = "<body>")]
async fn finish(db: &State<Db>, session: Session, id: &str, body: Body) -> Reply {
    let caller = session.require(ASKING)?;
    let id = request_id(id)?;
    let body: FinishBody = body.json_or_default()?;
    ok(db
        .write(move |tx| requests::finish(tx, &caller, id, &body))
        .await?)
}
