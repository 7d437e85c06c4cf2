//! Login, logout, the caller's role and own password.

use super::{done, ok, Body, Reply};
use crate::auth::{self, Session, ANY};
use crate::db::{users, Db};
use crate::error::ApiError;
use crate::login::{Passwords, Throttle};
use rocket::{get, post, put, routes, Route, State};
use serde::Deserialize;
use serde_json::json;
use std::net::IpAddr;

pub fn routes() -> Vec<Route> {
    routes![login, logout, character, change_password]
}

#[derive(Deserialize)]
struct Login {
    identity: String,
    password: String,
}

#[post("/api/login", data = "<body>")]
async fn login(
    db: &State<Db>,
    throttle: &State<Throttle>,
    passwords: &State<Passwords>,
    address: Option<IpAddr>,
    body: Body,
) -> Reply {
    let Login { identity, password } = body.json()?;
    let (session, character) =
        crate::login::login(db, throttle, passwords, address, identity, password).await?;
    ok(json!({"session": session, "character": character}))
}

#[derive(Deserialize)]
struct Logout {
    session: String,
}

#[put("/api/logout", data = "<body>")]
async fn logout(db: &State<Db>, body: Body) -> Reply {
    let Logout { session } = body.json()?;
    if !auth::well_formed(&session) {
        return Err(ApiError::MalformedSession);
    }
    let ended = db
        .run(move |conn| Ok(users::delete_session(conn, &session)?))
        .await?;
    if !ended {
        return Err(ApiError::NoSession);
    }
    done()
}

#[get("/api/character/<_>")]
async fn character(session: Session) -> Reply {
    let caller = session.require(ANY)?;
    ok(json!({
        "character": caller.role as i64,
        "name": caller.name,
    }))
}

#[derive(Deserialize)]
struct ChangePassword {
    oldpassword: String,
    newpassword: String,
}

#[put("/api/user_password/<_>", data = "<body>")]
async fn change_password(db: &State<Db>, session: Session, body: Body) -> Reply {
    let caller = session.require(ANY)?;
    let ChangePassword {
        oldpassword,
        newpassword,
    } = body.json()?;
    db.run(move |conn| crate::org::change_password(conn, &caller, &oldpassword, &newpassword))
        .await?;
    done()
}
