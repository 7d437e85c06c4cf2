//! The first start (`setup`: the super admin's first password, from this machine only) and
//! `GET /api/about`, which says this is assetport (a second start finds its port taken by it).

use super::{ok, Body, Reply};
use crate::db::Db;
use crate::error::Error;
use crate::setup::{self, Setup, SetupForm};
use rocket::request::{FromRequest, Outcome};
use rocket::{get, post, routes, Request, Route, State};
use serde_json::json;
use std::net::IpAddr;

pub fn routes() -> Vec<Route> {
    routes![state, complete, required, about]
}

/// The name the client gave the server (the `Host` header, without the port).
pub struct HostName(Option<String>);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for HostName {
    type Error = std::convert::Infallible;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        Outcome::Success(HostName(req.host().map(|h| h.domain().to_string())))
    }
}

/// Whether the first start is pending, and whether this client may complete it.
#[get("/api/setup")]
async fn state(
    db: &State<Db>,
    setup: &State<Setup>,
    address: Option<IpAddr>,
    host: HostName,
) -> Reply {
    let pending = setup.pending(db).await;
    let local = setup::local(address, host.0.as_deref());
    // Whether the demo company is there already (`demo` at the first start): the page then
    // does not offer it.
    let demo = pending
        && db
            .run(|conn| {
                Ok(crate::db::users::entity_id(
                    conn,
                    crate::bootstrap::DEMO_ENTITY,
                )?)
            })
            .await?
            .is_some();
    ok(json!({"pending": pending, "local": local, "demo": demo}))
}

#[post("/api/setup", data = "<body>")]
async fn complete(
    db: &State<Db>,
    setup: &State<Setup>,
    address: Option<IpAddr>,
    host: HostName,
    body: Body,
) -> Reply {
    if !setup.pending(db).await {
        return Err(Error::SetupDone.into());
    }
    if !setup::local(address, host.0.as_deref()) {
        return Err(Error::SetupNotLocal.into());
    }
    let form: SetupForm = body.json()?;
    let address = crate::login::address_text(address);
    let setup = setup.inner().clone();
    let demo = db
        .run(move |conn| setup::complete(conn, &setup, &form, &address))
        .await?;
    ok(json!({"demo": demo}))
}

/// Where every other request is sent while the first start is pending (`setup::Gate`).
#[get("/api/setup/required")]
async fn required(db: &State<Db>, setup: &State<Setup>) -> Reply {
    if setup.pending(db).await {
        Err(Error::SetupPending.into())
    } else {
        Err(Error::UnknownPath.into())
    }
}

#[get("/api/about")]
fn about() -> Reply {
    ok(json!({
        "name": "assetport",
        "version": env!("CARGO_PKG_VERSION"),
        "schema": crate::db::SCHEMA_VERSION,
    }))
}
