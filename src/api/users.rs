//! Entities (super admin) and users.

use super::{done, ok, paged, Body, Reply};
use crate::auth::{Role, Session};
use crate::db::{users, Db};
use crate::org::{self, ModifyUserRequest, NewUserRequest};
use crate::paging::Page;
use crate::sessions::Sessions;
use crate::user_admin::{self, AssetsChoice, EditUserRequest};
use rocket::{delete, get, post, put, routes, Route, State};
use serde::Deserialize;
use serde_json::json;

pub fn routes() -> Vec<Route> {
    routes![
        create_entity,
        list_entities,
        create_user,
        modify_user,
        user_detail,
        edit_user,
        delete_user,
        users_of_entity,
        owner_names
    ]
}

/// Up to 20 names of users who may own assets the caller manages, containing `q` (ASCII case
/// ignored): suggestions as an owner's name is typed. Not in the original API.
#[get("/api/owner_names/<_>?<q>")]
async fn owner_names(db: &State<Db>, session: Session, q: Option<&str>) -> Reply {
    let caller = session.require(crate::auth::ASSET_ROLES)?;
    let part = q.unwrap_or("").to_owned();
    ok(db
        .run(move |conn| org::owner_names(conn, &caller, &part))
        .await?)
}

#[derive(Deserialize)]
struct NewEntity {
    name: String,
}

#[post("/api/entity/<_>", data = "<body>")]
async fn create_entity(db: &State<Db>, session: Session, body: Body) -> Reply {
    let caller = session.require(&[Role::Super])?;
    let NewEntity { name } = body.json()?;
    let id = db
        .write(move |tx| org::create_entity(tx, &caller, &name))
        .await?;
    ok(json!({ "id": id }))
}

#[get("/api/entity/<_>")]
async fn list_entities(db: &State<Db>, session: Session) -> Reply {
    session.require(&[Role::Super])?;
    ok(db.run(|conn| Ok(users::list_entities(conn)?)).await?)
}

#[post("/api/user/<_>", data = "<body>")]
async fn create_user(db: &State<Db>, session: Session, body: Body) -> Reply {
    let caller = session.require(&[Role::Super, Role::Admin])?;
    let req: NewUserRequest = body.json()?;
    let id = db
        .write(move |tx| org::create_user(tx, &caller, &req))
        .await?;
    ok(json!({ "id": id }))
}

#[put("/api/user/<_>", data = "<body>")]
async fn modify_user(
    db: &State<Db>,
    sessions: &State<Sessions>,
    session: Session,
    body: Body,
) -> Reply {
    let caller = session.require(&[Role::Super, Role::Admin])?;
    let req: ModifyUserRequest = body.json()?;
    let sessions = sessions.inner().clone();
    db.write(move |tx| org::modify_user(tx, &sessions, &caller, &req))
        .await?;
    done()
}

#[get("/api/user_entity/<_>/<entity>/<page>?<size>")]
async fn users_of_entity(
    db: &State<Db>,
    session: Session,
    entity: String,
    page: &str,
    size: Option<&str>,
) -> Reply {
    let caller = session.require(&[Role::Super, Role::Admin])?;
    let page = Page::parse(page, size)?;
    paged(
        db.run(move |conn| org::users_of_entity(conn, &caller, &entity, page))
            .await?,
    )
}

/// The path's user id: a positive integer, else the user is not found.
fn user_id(id: &str) -> Result<i64, crate::error::Error> {
    id.trim()
        .parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or(crate::error::Error::NotFound("用户"))
}

/// One user as the edit dialog needs them (assets held, who would receive them). Not in the
/// original API.
#[get("/api/user/<_>/<id>")]
async fn user_detail(db: &State<Db>, session: Session, id: &str) -> Reply {
    let caller = session.require(&[Role::Super, Role::Admin])?;
    let id = user_id(id)?;
    ok(db
        .run(move |conn| user_admin::detail(conn, &caller, id))
        .await?)
}

/// Edits a user's department, role and email. Not in the original API.
#[post("/api/user/<_>/<id>", data = "<body>")]
async fn edit_user(
    db: &State<Db>,
    sessions: &State<Sessions>,
    session: Session,
    id: &str,
    body: Body,
) -> Reply {
    let caller = session.require(&[Role::Super, Role::Admin])?;
    let req: EditUserRequest = body.json()?;
    let id = user_id(id)?;
    let sessions = sessions.inner().clone();
    let end = move |user: i64| sessions.end_user(user, None);
    ok(db
        .write(move |tx| user_admin::edit(tx, &end, &caller, id, &req))
        .await?)
}

/// Deletes a user; `?assets=keep` hands the assets they hold to their department's asset
/// manager. Not in the original API.
#[delete("/api/user/<_>/<id>?<assets>")]
async fn delete_user(
    db: &State<Db>,
    sessions: &State<Sessions>,
    session: Session,
    id: &str,
    assets: Option<&str>,
) -> Reply {
    let caller = session.require(&[Role::Super, Role::Admin])?;
    let id = user_id(id)?;
    let choice = match assets.map(str::trim) {
        None | Some("") => None,
        Some("keep") => Some(AssetsChoice::Keep),
        Some("move") => Some(AssetsChoice::Move),
        Some(_) => return Err(crate::error::Error::missing_field("assets").into()),
    };
    let sessions = sessions.inner().clone();
    let end = move |user: i64| sessions.end_user(user, None);
    let moved = db
        .write(move |tx| user_admin::delete(tx, &end, &caller, id, choice))
        .await?;
    ok(json!({ "assets": moved }))
}
