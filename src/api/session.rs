//! Login, logout, the caller's role and own password.

use super::{done, ok, Body, Reply};
use crate::auth::{self, Session, ANY};
use crate::db::{users, Db};
use crate::error::Error;
use crate::login::{Passwords, Throttle};
use crate::sessions::Sessions;
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
    sessions: &State<Sessions>,
    throttle: &State<Throttle>,
    passwords: &State<Passwords>,
    address: Option<IpAddr>,
    body: Body,
) -> Reply {
    let Login { identity, password } = body.json()?;
    let (session, character) = crate::login::login(
        db, sessions, throttle, passwords, address, identity, password,
    )
    .await?;
    ok(json!({"session": session, "character": character}))
}

#[derive(Deserialize)]
struct Logout {
    session: String,
}

#[put("/api/logout", data = "<body>")]
async fn logout(
    db: &State<Db>,
    sessions: &State<Sessions>,
    address: Option<IpAddr>,
    body: Body,
) -> Reply {
    let Logout { session } = body.json()?;
    if !auth::well_formed(&session) {
        return Err(Error::MalformedSession.into());
    }
    let hash = users::token_hash(&session);
    let queued = sessions.pending(&hash).map(|(user, _)| user);
    sessions.end(&hash);
    let address = crate::login::address_text(address);
    let ended = db
        .write(move |tx| crate::login::logout(tx, &session, queued, &address))
        .await?;
    if !ended {
        return Err(Error::NoSession.into());
    }
    done()
}

/// The caller's role and name (the seed's answer), plus company, own department and the
/// departments they may manage, so the page never has to guess them.
#[get("/api/character/<_>")]
async fn character(db: &State<Db>, session: Session) -> Reply {
    let caller = session.require(ANY)?;
    ok(db.run(move |conn| crate::org::me(conn, &caller)).await?)
}

#[derive(Deserialize)]
struct ChangePassword {
    oldpassword: String,
    newpassword: String,
}

#[put("/api/user_password/<_>", data = "<body>")]
async fn change_password(
    db: &State<Db>,
    sessions: &State<Sessions>,
    session: Session,
    body: Body,
) -> Reply {
    let caller = session.require(ANY)?;
    let ChangePassword {
        oldpassword,
        newpassword,
    } = body.json()?;
    let sessions = sessions.inner().clone();
    db.run(move |conn| {
        crate::org::change_password(conn, &sessions, &caller, &oldpassword, &newpassword)
    })
    .await?;
    done()
}
