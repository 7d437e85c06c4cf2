//! Sessions, roles and passwords: the session guard every endpoint starts with, login with its
//! brute-force slowdown, and argon2id hashing.

use crate::config::Settings;
use crate::db::{self, users, Db};
use crate::error::{ApiError, ApiResult};
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::Argon2;
use rand::distr::Alphanumeric;
use rand::rand_core::UnwrapErr;
use rand::RngExt;
use rocket::request::{FromRequest, Outcome, Request};
use rocket::State;
use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::OnceLock;

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

/// Whether the matched route carries a session segment.
pub fn has_session_segment(req: &Request<'_>) -> bool {
    session_segment(req).is_some()
}

/// The session check of one request, made once: the handler's guard and the body reader (which
/// must not read a body for a dead session) share it.
struct Checked(Result<(Caller, bool), ApiError>);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Session {
    type Error = std::convert::Infallible;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        let checked = req
            .local_cache_async(async {
                let token = session_segment(req).unwrap_or("").to_owned();
                let (Some(db), Some(settings)) = (
                    req.guard::<&State<Db>>().await.succeeded(),
                    req.guard::<&State<Settings>>().await.succeeded(),
                ) else {
                    return Checked(Err(ApiError::Internal("state missing".into())));
                };
                let ttl = settings.session_ttl_hours as i64 * 3600;
                Checked(check_session(db, token, ttl).await)
            })
            .await;
        Outcome::Success(Session(checked.0.clone()))
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
    // The OS source, as the SPEC asks; it failing is not something to recover from.
    UnwrapErr(rand::rngs::SysRng)
        .sample_iter(&Alphanumeric)
        .take(32)
        .map(char::from)
        .collect()
}

pub fn hash_password(password: &str) -> ApiResult<String> {
    Argon2::default()
        .hash_password(password.as_bytes())
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

/// The failed-login counter key of an identity that names no user: a keyed hash, so the table
/// never holds what was typed (often a password typed into the name field). The key is random
/// per process: these counters only need to outlive a burst of guesses, and the start-up
/// deletes the ones an earlier process left (`users::forget_unknown_login_failures`).
fn unknown_identity_key(identity: &str) -> String {
    static KEY: OnceLock<RandomState> = OnceLock::new();
    let key = KEY.get_or_init(RandomState::new);
    // Two domain-separated 64-bit hashes: distinct identities must not share a counter.
    let (a, b) = (key.hash_one((0u8, identity)), key.hash_one((1u8, identity)));
    format!("anon:{a:016x}{b:016x}")
}

/// An argon2id hash of a random password, verified against when the identity names no user so
/// that an unknown name costs one argon2 verification like a wrong password.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        hash_password(&new_token()).unwrap_or_else(|e| {
            log::error!("cannot make the dummy password hash: {e}");
            String::new()
        })
    })
}

/// Computes the dummy hash now, at start, rather than in the first login for an unknown name
/// (which would then answer slower than a wrong password, once).
pub fn prepare_login() {
    dummy_hash();
}

/// A login attempt let through the slowdown, already counted as a failure.
struct Attempt {
    key: String,
    user: Option<(users::UserRow, String)>,
}

/// Throttles and counts an attempt in one write transaction, before the password is checked:
/// concurrent guesses cannot all read the count before any of them records its failure.
fn begin_login(tx: &rusqlite::Connection, identity: &str, now: i64) -> ApiResult<Attempt> {
    let user = users::login_identity(tx, identity)?;
    let key = match &user {
        Some((user, _)) => users::account_key(user.id),
        None => unknown_identity_key(identity),
    };
    let (failures, last) = users::login_failures(tx, &key)?;
    let wait = wait_after(failures) - (now - last);
    if failures >= FREE_FAILURES && wait > 0 {
        return Err(ApiError::LoginThrottled(wait as u64));
    }
    users::record_login_failure(tx, &key, now)?;
    Ok(Attempt { key, user })
}

/// Checks the identity and password and opens a session: (token, character). The failure
/// counter is per account (name and email share it), or per typed text when it names no one.
pub async fn login(db: &Db, identity: String, password: String) -> ApiResult<(String, i64)> {
    if identity.chars().count() > IDENTITY_MAX {
        return Err(ApiError::LoginFailed);
    }
    let Attempt { key, user } = db
        .write(move |tx| begin_login(tx, &identity, db::now_secs()))
        .await?;
    let (user, hash) = match user {
        Some((user, hash)) => (Some(user), hash),
        None => (None, dummy_hash().to_owned()),
    };
    // Off the async threads, and without holding a pooled connection for its length.
    let right = rocket::tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .map_err(|e| ApiError::Internal(format!("blocking task: {e}")))?;
    let user = match user {
        Some(user) if right => user,
        _ => return Err(ApiError::LoginFailed),
    };
    // After the password, as before: only who knows it learns of the lock. The attempt stays
    // counted, since it opened nothing.
    if user.lock {
        return Err(ApiError::Locked);
    }
    db.write(move |tx| {
        let token = new_token();
        users::clear_login_failures(tx, &key)?;
        users::insert_session(tx, &token, user.id, db::now_secs())?;
        Ok((token, user.character))
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_doubles_after_the_free_failures_up_to_the_cap() {
        assert_eq!(wait_after(FREE_FAILURES - 1), 0);
        assert_eq!(wait_after(FREE_FAILURES), FIRST_WAIT_SECS);
        assert_eq!(wait_after(FREE_FAILURES + 1), 2 * FIRST_WAIT_SECS);
        assert_eq!(wait_after(i64::MAX), MAX_WAIT_SECS);
    }

    #[test]
    fn unknown_identities_are_keyed_by_a_hash_not_their_text() {
        let key = unknown_identity_key("Secret-Pass-1");
        assert_eq!(key, unknown_identity_key("Secret-Pass-1"));
        assert_ne!(key, unknown_identity_key("secret-pass-1"));
        assert!(!key.to_lowercase().contains("secret"), "{key}");
        assert!(!key.starts_with("user:"), "{key}");
        assert_eq!(key.len(), 37);
    }

    #[test]
    fn the_dummy_hash_is_a_real_argon2id_hash() {
        assert!(dummy_hash().starts_with("$argon2id$"), "{}", dummy_hash());
        assert!(!verify_password("", dummy_hash()));
    }
}
