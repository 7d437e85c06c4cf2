//! Departments (system admin) and category trees (asset manager, system admin).

use super::{done, ok, Body, Reply};
use crate::auth::{Role, Session, ASSET_ROLES};
use crate::db::Db;
use crate::org::{self, NewCategoryRequest};
use rocket::{delete, get, post, routes, Route, State};
use serde::Deserialize;
use serde_json::json;

pub fn routes() -> Vec<Route> {
    routes![
        create_department,
        list_departments,
        delete_department,
        create_category,
        category_root,
        category_subtree,
        delete_category
    ]
}

#[derive(Deserialize)]
struct NewDepartment {
    name: String,
    #[serde(default)]
    parent: String,
}

#[post("/api/department/<_>", data = "<body>")]
async fn create_department(db: &State<Db>, session: Session, body: Body) -> Reply {
    let caller = session.require(&[Role::Admin])?;
    let NewDepartment { name, parent } = body.json()?;
    let id = db
        .write(move |tx| org::create_department(tx, &caller, &name, &parent))
        .await?;
    ok(json!({ "id": id }))
}

#[get("/api/all_departments/<_>/<entity>")]
async fn list_departments(db: &State<Db>, session: Session, entity: String) -> Reply {
    let caller = session.require(&[Role::Super, Role::Admin, Role::Manager])?;
    ok(db
        .run(move |conn| org::departments(conn, &caller, &entity))
        .await?)
}

#[delete("/api/department/<_>/<name>")]
async fn delete_department(db: &State<Db>, session: Session, name: String) -> Reply {
    let caller = session.require(&[Role::Admin])?;
    db.write(move |tx| org::delete_department(tx, &caller, &name))
        .await?;
    done()
}

#[post("/api/asset_tree/<_>", data = "<body>")]
async fn create_category(db: &State<Db>, session: Session, body: Body) -> Reply {
    let caller = session.require(ASSET_ROLES)?;
    let req: NewCategoryRequest = body.json()?;
    let id = db
        .write(move |tx| org::create_category(tx, &caller, &req))
        .await?;
    ok(json!({ "id": id }))
}

#[get("/api/asset_tree_root/<_>/<department>")]
async fn category_root(db: &State<Db>, session: Session, department: String) -> Reply {
    let caller = session.require(ASSET_ROLES)?;
    ok(db
        .run(move |conn| org::category_tree(conn, &caller, &department, None))
        .await?)
}

#[get("/api/sub_asset_tree/<_>/<department>/<node>")]
async fn category_subtree(
    db: &State<Db>,
    session: Session,
    department: String,
    node: String,
) -> Reply {
    let caller = session.require(ASSET_ROLES)?;
    ok(db
        .run(move |conn| org::category_tree(conn, &caller, &department, Some(&node)))
        .await?)
}

#[rocket::delete("/api/sub_asset_tree/<_>/<department>/<node>")]
async fn delete_category(
    db: &State<Db>,
    session: Session,
    department: String,
    node: String,
) -> Reply {
    let caller = session.require(ASSET_ROLES)?;
    db.write(move |tx| org::delete_category(tx, &caller, &department, &node))
        .await?;
    done()
}
