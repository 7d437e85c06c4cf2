//! Single assets: create, modify, retire, search, and staff's own list; and the asset columns.

use super::files::Download;
use super::{done, ok, paged, Body, Reply};
use crate::assets::{self, SearchRequest};
use crate::auth::{Role, Session, ANY, ASSET_ROLES};
use crate::db::Db;
use crate::error::ApiResult;
use crate::error::Error;
use crate::paging::Page;
use rocket::{get, post, put, routes, Route, State};
use serde_json::{json, Map, Value};

pub fn routes() -> Vec<Route> {
    routes![
        post_asset,
        modify_asset,
        expire_assets,
        search_assets,
        own_assets,
        columns,
        asset_history,
        asset_history_file
    ]
}

#[post("/api/post_asset/<_>", data = "<body>")]
async fn post_asset(db: &State<Db>, session: Session, body: Body) -> Reply {
    let caller = session.require(ASSET_ROLES)?;
    // The row rules read the raw text themselves (as an import does), so one bad field never
    // hides the others; only a body that is not a JSON object is refused here.
    let bytes = body.bytes()?;
    super::parse_json::<Map<String, Value>>(&bytes)?;
    let row =
        String::from_utf8(bytes).map_err(|_| Error::BadBody("请求体不是合法的JSON".into()))?;
    let id = db
        .write(move |tx| assets::create(tx, &caller, &row))
        .await?;
    ok(json!({ "id": id }))
}

#[put("/api/asset/<_>", data = "<body>")]
async fn modify_asset(db: &State<Db>, session: Session, body: Body) -> Reply {
    let caller = session.require(ASSET_ROLES)?;
    let req: Map<String, Value> = body.json()?;
    db.write(move |tx| assets::modify(tx, &caller, req)).await?;
    done()
}

#[put("/api/expire_asset/<_>", data = "<body>")]
async fn expire_assets(db: &State<Db>, session: Session, body: Body) -> Reply {
    let caller = session.require(ASSET_ROLES)?;
    let ids: Vec<i64> = body.list()?;
    db.write(move |tx| assets::retire(tx, &caller, &ids))
        .await?;
    done()
}

/// A search within what the caller sees: staff search their own assets only (`org::scope`).
#[post("/api/search_assets/<_>", data = "<body>")]
async fn search_assets(db: &State<Db>, session: Session, body: Body) -> Reply {
    let caller = session.require(&[Role::Staff, Role::Manager, Role::Admin])?;
    let req: SearchRequest = body.json()?;
    paged(
        db.run(move |conn| assets::search(conn, &caller, req))
            .await?,
    )
}

#[get("/api/asset_user_list/<_>/<page>?<size>")]
async fn own_assets(db: &State<Db>, session: Session, page: &str, size: Option<&str>) -> Reply {
    let caller = session.require(&[Role::Staff])?;
    let page = Page::parse(page, size)?;
    paged(db.run(move |conn| assets::own(conn, &caller, page)).await?)
}

/// The path's asset id: a positive integer, else the asset is not found.
fn asset_id(id: &str) -> Result<i64, Error> {
    id.trim()
        .parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or(Error::NotFound("资产"))
}

/// An asset's history (资产履历), newest first, for anyone who may see the asset.
#[get("/api/asset_history/<_>/<id>?<page>&<size>")]
async fn asset_history(
    db: &State<Db>,
    session: Session,
    id: &str,
    page: Option<&str>,
    size: Option<&str>,
) -> Reply {
    let caller = session.require(&[Role::Staff, Role::Manager, Role::Admin])?;
    let id = asset_id(id)?;
    let page = Page::parse(page.unwrap_or("1"), size)?;
    paged(
        db.run(move |conn| crate::history::page(conn, &caller, id, page))
            .await?,
    )
}

/// The same history as an XLSX, whole.
#[get("/api/asset_history/<_>/<id>/file")]
async fn asset_history_file(db: &State<Db>, session: Session, id: &str) -> ApiResult<Download> {
    let caller = session.require(&[Role::Staff, Role::Manager, Role::Admin])?;
    let id = asset_id(id)?;
    let file = db
        .run(move |conn| crate::history::xlsx(conn, &caller, id))
        .await?;
    Ok(Download::xlsx(file, &format!("asset-{id}-history.xlsx")))
}

/// The asset columns (`crate::columns::COLUMNS`): what the page labels and edits a row's fields
/// with, so that it never keeps a copy of its own.
#[get("/api/columns/<_>")]
async fn columns(session: Session) -> Reply {
    session.require(ANY)?;
    ok(crate::columns::COLUMNS)
}
