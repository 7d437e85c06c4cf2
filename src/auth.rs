//! Sessions, roles and passwords: the session guard every endpoint starts with, and argon2id
//! hashing (login itself: login.rs).

use crate::config::Settings;
use crate::db::{users, Db};
use crate::error::{Error, Result};
use crate::sessions::Sessions;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::Argon2;
use rand::distr::Alphanumeric;
use rand::rand_core::UnwrapErr;
use rand::RngExt;
use rocket::request::{FromRequest, Outcome, Request};
use rocket::State;
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
    pub fn entity(&self) -> Result<i64> {
        self.entity_id.ok_or(Error::Forbidden)
    }
}

/// A live session, not yet checked for role or lock: a handler must call `require`, so no
/// endpoint can forget the role check.
pub struct Session(Result<(Caller, bool), Error>);

impl Session {
    /// The session checks in the SPEC's order: well-formed, live, role, not locked.
    pub fn require(self, roles: &[Role]) -> Result<Caller> {
        let (caller, locked) = self.0?;
        if !roles.contains(&caller.role) {
            return Err(Error::Forbidden);
        }
        if locked {
            return Err(Error::Locked);
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
struct Checked(Result<(Caller, bool), Error>);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Session {
    type Error = std::convert::Infallible;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        let checked = req
            .local_cache_async(async {
                let token = session_segment(req).unwrap_or("").to_owned();
                let (Some(db), Some(settings), Some(sessions)) = (
                    req.guard::<&State<Db>>().await.succeeded(),
                    req.guard::<&State<Settings>>().await.succeeded(),
                    req.guard::<&State<Sessions>>().await.succeeded(),
                ) else {
                    return Checked(Err(Error::internal("state missing")));
                };
                let ttl = settings.session_ttl_hours as i64 * 3600;
                Checked(check_session(db, sessions.inner().clone(), token, ttl).await)
            })
            .await;
        Outcome::Success(Session(checked.0.clone()))
    }
}

/// The caller behind a token, and whether they are locked. Reads only: a session just opened
/// may still be queued (`Sessions`), and the idle clock moves through the session writer.
async fn check_session(
    db: &Db,
    sessions: Sessions,
    token: String,
    ttl: i64,
) -> Result<(Caller, bool)> {
    if !well_formed(&token) {
        return Err(Error::MalformedSession);
    }
    db.run(move |conn| {
        let now = crate::clock::now_secs();
        let hash = users::token_hash(&token);
        // Queued first, then stored: the writer forgets a session only after storing it, so
        // one not queued any more is found stored (the other order could miss it in between).
        let found = match sessions.pending(&hash) {
            Some((user_id, seen)) => users::user_by_id(conn, user_id)?.map(|u| (u, seen)),
            None => users::session_user(conn, &hash)?,
        };
        let Some((user, last_seen)) = found else {
            return Err(Error::NoSession);
        };
        if now - last_seen > ttl {
            users::delete_session(conn, &token)?;
            sessions.end(&hash);
            return Err(Error::NoSession);
        }
        // The idle clock moves at most once a minute.
        if now - last_seen > 60 {
            sessions.touch(&hash, now);
        }
        let role = Role::from_character(user.character)
            .ok_or_else(|| Error::internal(format!("user {} has no role", user.id)))?;
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

pub fn hash_password(password: &str) -> Result<String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| Error::caused("argon2", e))
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

/// `verify_password`, computed in `memory`, which grows to the hash's memory cost once and is
/// reused: a password thread that allocated 19 MiB per check left glibc holding them in its
/// per-thread arenas (a server doing nothing but logins grew from 33 to 243 MiB).
pub fn verify_password_in(password: &str, hash: &str, memory: &mut Vec<argon2::Block>) -> bool {
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (&parsed.salt, &parsed.hash) else {
        return false;
    };
    let Ok(algorithm) = argon2::Algorithm::try_from(parsed.algorithm.as_str()) else {
        return false;
    };
    let version = match parsed.version.map(argon2::Version::try_from) {
        None => argon2::Version::default(),
        Some(Ok(v)) => v,
        Some(Err(_)) => return false,
    };
    let Ok(params) = argon2::Params::try_from(&parsed) else {
        return false;
    };
    let blocks = params.block_count();
    if memory.len() < blocks {
        memory.resize(blocks, argon2::Block::new());
    }
    let expected: &[u8] = expected.as_ref();
    let mut out = vec![0u8; expected.len()];
    let hashed = Argon2::new(algorithm, version, params).hash_password_into_with_memory(
        password.as_bytes(),
        salt.as_ref(),
        &mut out,
        &mut memory[..blocks],
    );
    // Compared in full, whatever differs first.
    hashed.is_ok() && out.iter().zip(expected).fold(0u8, |d, (a, b)| d | (a ^ b)) == 0
}

/// An argon2id hash of a random password, verified against when the identity names no user so
/// that an unknown name costs one argon2 verification like a wrong password.
pub(crate) fn dummy_hash() -> &'static str {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dummy_hash_is_a_real_argon2id_hash() {
        assert!(dummy_hash().starts_with("$argon2id$"), "{}", dummy_hash());
        assert!(!verify_password("", dummy_hash()));
    }

    #[test]
    fn a_reused_working_area_verifies_exactly_as_the_library_does() {
        use argon2::password_hash::CustomizedPasswordHasher;
        let mut memory = Vec::new();
        // The server's own hashes, then hashes of other costs (smaller and larger than the area
        // already grown), each right and wrong.
        let own = hash_password("correct horse").unwrap();
        let mut hashes = vec![own];
        for (m, t, p) in [(64, 1, 1), (256, 2, 2), (32, 3, 1)] {
            let params = argon2::Params::new(m, t, p, None).unwrap();
            let hash = Argon2::default()
                .hash_password_customized(b"correct horse", b"some-salt-here", None, None, params)
                .unwrap()
                .to_string();
            hashes.push(hash);
        }
        for hash in &hashes {
            for password in ["correct horse", "correct horsE", ""] {
                assert_eq!(
                    verify_password_in(password, hash, &mut memory),
                    verify_password(password, hash),
                    "{password:?} against {hash}"
                );
            }
            assert!(verify_password_in("correct horse", hash, &mut memory));
        }
        assert!(!verify_password_in("x", "not a hash", &mut memory));
        assert!(!verify_password_in(
            "x",
            "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ",
            &mut memory
        ));
        assert!(!verify_password_in("", dummy_hash(), &mut memory));
    }
}
