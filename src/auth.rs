//! Sessions, roles and passwords: the session guard every endpoint starts with, login with its
//! brute-force slowdown, and argon2id hashing.

use crate::config::Settings;
use crate::db::{self, users, Db};
use crate::error::{ApiError, ApiResult};
use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use rand::distributions::Alphanumeric;
use rand::Rng;
use rocket::request::{FromRequest, Outcome, Request};
use rocket::State;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Staff = 1,
    Manager = 2,
    Admin = 3,
    Super = 4,
}

impl Role {
    pub fn from_character(c: i64) -> Option<Role> {
        match c {
            1 => Some(Role::Staff),
            2 => Some(Role::Manager),
            3 => Some(Role::Admin),
            4 => Some(Role::Super),
            _ => None,
        }
    }
}

pub const ANY: &[Role] = &[Role::Staff, Role::Manager, Role::Admin, Role::Super];
pub const ASSET_ROLES: &[Role] = &[Role::Manager, Role::Admin];

/// The authenticated user behind a request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user_id: i64,
    pub name: String,
    pub role: Role,
    pub entity_id: Option<i64>,
    pub department_id: Option<i64>,
    pub token: String,
}

impl Caller {
    /// The caller's entity; roles without one (super admin) never reach entity data.
    pub fn entity(&self) -> ApiResult<i64> {
        self.entity_id.ok_or(ApiError::Forbidden)
    }
}

/// A live session, not yet checked for role or lock: a handler must call `require`, so no
/// endpoint can forget the role check.
pub struct Session(Result<(Caller, bool), ApiError>);

impl Session {
    /// The session checks in the SPEC's order: well-formed, live, role, not locked.
    pub fn require(self, roles: &[Role]) -> ApiResult<Caller> {
        let (caller, locked) = self.0?;
        if !roles.contains(&caller.role) {
            return Err(ApiError::Forbidden);
        }
        if locked {
            return Err(ApiError::Locked);
        }
        Ok(caller)
    }
}

pub fn well_formed(token: &str) -> bool {
    token.len() == 32 && token.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Finds the session segment of the matched route. Every route writes it as the one ignored
/// segment `<_>` (e.g. `/api/async_task/<_>/<id>`): Rocket would otherwise want it as a handler
/// argument, and this guard, not the handler, reads it.
fn session_segment<'r>(req: &'r Request<'_>) -> Option<&'r str> {
    let route = req.route()?;
    let index = route
        .uri
        .path()
        .split('/')
        .filter(|s| !s.is_empty())
        .position(|s| s == "<_>")?;
    req.routed_segment(index)
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Session {
    type Error = std::convert::Infallible;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        let token = session_segment(req).unwrap_or("").to_owned();
        let (Some(db), Some(settings)) = (
            req.guard::<&State<Db>>().await.succeeded(),
            req.guard::<&State<Settings>>().await.succeeded(),
        ) else {
            return Outcome::Success(Session(Err(ApiError::Internal("state missing".into()))));
        };
        let ttl = settings.session_ttl_hours as i64 * 3600;
        Outcome::Success(Session(check_session(db, token, ttl).await))
    }
}

/// The caller behind a token, and whether they are locked.
async fn check_session(db: &Db, token: String, ttl: i64) -> ApiResult<(Caller, bool)> {
    if !well_formed(&token) {
        return Err(ApiError::MalformedSession);
    }
    db.run(move |conn| {
        let now = db::now_secs();
        let Some((user, last_seen)) = users::session_user(conn, &token)? else {
            return Err(ApiError::NoSession);
        };
        if now - last_seen > ttl {
            users::delete_session(conn, &token)?;
            return Err(ApiError::NoSession);
        }
        // Refresh the idle clock at most once a minute: a write per request would compete
        // with import workers for the write lock.
        if now - last_seen > 60 {
            users::touch_session(conn, &token, now)?;
        }
        let role = Role::from_character(user.character)
            .ok_or_else(|| ApiError::Internal(format!("user {} has no role", user.id)))?;
        let caller = Caller {
            user_id: user.id,
            name: user.name,
            role,
            entity_id: user.entity_id,
            department_id: user.department_id,
            token,
        };
        Ok((caller, user.lock))
    })
    .await
}

pub fn new_token() -> String {
    rand::rngs::OsRng
        .sample_iter(&Alphanumeric)
        .take(32)
        .map(char::from)
        .collect()
}

pub fn hash_password(password: &str) -> ApiResult<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ApiError::Internal(format!("argon2: {e}")))
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Failures allowed before the slowdown starts; each further failure doubles the wait.
const FREE_FAILURES: i64 = 5;
/// The first wait must outlast a scripted retry: a wait of one second let the sixth guess
/// through whenever the clock ticked between the fifth and the sixth.
const FIRST_WAIT_SECS: i64 = 30;
const MAX_WAIT_SECS: i64 = 900;
/// The longest identity that can exist (an email). A longer one fails at once and is not
/// recorded, so a client cannot store huge strings in the failure table.
const IDENTITY_MAX: usize = 254;

fn wait_after(failures: i64) -> i64 {
    if failures < FREE_FAILURES {
        return 0;
    }
    let doublings = (failures - FREE_FAILURES).min(10) as u32;
    (FIRST_WAIT_SECS << doublings).min(MAX_WAIT_SECS)
}

/// Checks the identity and password and opens a session: (token, character).
pub fn login(
    conn: &mut rusqlite::Connection,
    identity: &str,
    password: &str,
) -> ApiResult<(String, i64)> {
    if identity.chars().count() > IDENTITY_MAX {
        return Err(ApiError::LoginFailed);
    }
    let now = db::now_secs();
    let (failures, last) = users::login_failures(conn, identity)?;
    let wait = wait_after(failures) - (now - last);
    if failures >= FREE_FAILURES && wait > 0 {
        return Err(ApiError::LoginThrottled(wait as u64));
    }
    let found = users::login_identity(conn, identity)?;
    let user = match found {
        Some((user, hash)) if verify_password(password, &hash) => user,
        _ => {
            users::record_login_failure(conn, identity, now)?;
            return Err(ApiError::LoginFailed);
        }
    };
    if user.lock {
        return Err(ApiError::Locked);
    }
    let token = new_token();
    let tx = db::write_tx(conn)?;
    users::clear_login_failures(&tx, identity)?;
    users::insert_session(&tx, &token, user.id, now)?;
    tx.commit()?;
    Ok((token, user.character))
}
