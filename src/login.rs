//! Login: the failed-login slowdown (per account and client address, and per address across
//! accounts), kept in memory so that a login never waits for the database's write lock before
//! its password check, and a fixed pool of password-check threads, so that concurrent logins
//! cannot take more memory than the pool's argon2 working sets (19 MiB each).

use crate::auth::{dummy_hash, verify_password_in};
use crate::db::{users, Db};
use crate::error::{Error, Result};
use crate::journal::{self, LoginFailure};
use crate::names;
use crate::sessions::Sessions;
use crossbeam_channel::{Receiver, Sender, TrySendError};
use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::hash::BuildHasher;
use std::net::IpAddr;
use std::sync::{Mutex, OnceLock};
use std::thread::JoinHandle;

/// Failures allowed per account and address before the slowdown starts; each further failure
/// doubles the wait.
const FREE_FAILURES: i64 = 5;
/// Failures allowed from one address across all accounts (password spraying), per
/// `MAX_WAIT_SECS` window.
const ADDRESS_FREE_FAILURES: i64 = 30;
/// The first wait must outlast a scripted retry: a wait of one second let the sixth guess
/// through whenever the clock ticked between the fifth and the sixth.
const FIRST_WAIT_SECS: i64 = 30;
/// Also how long a counter lives after its last failure.
const MAX_WAIT_SECS: i64 = 900;
/// The longest identity that can exist (an email). A longer one fails at once.
const IDENTITY_MAX: usize = 254;
/// Counters kept before the stale ones are dropped.
const MAX_COUNTERS: usize = 100_000;
/// Password checks queued per check thread before further logins are turned away (429).
const QUEUE_PER_THREAD: usize = 32;

fn wait_after(failures: i64, free: i64) -> i64 {
    if failures < free {
        return 0;
    }
    let doublings = (failures - free).min(10) as u32;
    (FIRST_WAIT_SECS << doublings).min(MAX_WAIT_SECS)
}

/// The failed-login counters, in memory: (failures, time of the last one) per key. A restart
/// forgets them, as it forgets an attacker's progress through a wait.
#[derive(Default)]
pub struct Throttle {
    counters: Mutex<HashMap<String, (i64, i64)>>,
}

impl Throttle {
    /// Checks every (key, free failures) against its wait and, when none is waiting, counts the
    /// attempt as a failure under each, in one step: concurrent guesses cannot all pass the
    /// check before any of them is counted.
    fn begin(&self, keys: &[(&str, i64)], now: i64) -> Result<()> {
        let mut counters = self.counters.lock().unwrap_or_else(|p| p.into_inner());
        let mut wait = 0;
        for (key, free) in keys {
            if let Some(&(failures, last)) = counters.get(*key) {
                if now - last <= MAX_WAIT_SECS {
                    wait = wait.max(wait_after(failures, *free) - (now - last));
                }
            }
        }
        if wait > 0 {
            return Err(Error::LoginThrottled(wait as u64));
        }
        if counters.len() >= MAX_COUNTERS {
            counters.retain(|_, (_, last)| now - *last <= MAX_WAIT_SECS);
        }
        for (key, _) in keys {
            let counter = counters.entry((*key).to_owned()).or_insert((0, now));
            if now - counter.1 > MAX_WAIT_SECS {
                counter.0 = 0;
            }
            *counter = (counter.0 + 1, now);
        }
        Ok(())
    }

    /// A login that succeeded: its account-and-address counter is cleared, and its count is
    /// taken back from the address (an office behind one address logs in all day).
    fn succeeded(&self, pair: &str, address: &str) {
        let mut counters = self.counters.lock().unwrap_or_else(|p| p.into_inner());
        counters.remove(pair);
        if let Some(counter) = counters.get_mut(address) {
            counter.0 = (counter.0 - 1).max(0);
        }
    }
}

/// The counter key of an identity that names no user: a keyed hash, so that what was typed
/// (often a password typed into the name field) is never kept, even in memory.
fn unknown_identity_key(identity: &str) -> String {
    static KEY: OnceLock<RandomState> = OnceLock::new();
    let key = KEY.get_or_init(RandomState::new);
    // Two domain-separated 64-bit hashes: distinct identities must not share a counter.
    let (a, b) = (key.hash_one((0u8, identity)), key.hash_one((1u8, identity)));
    format!("anon:{a:016x}{b:016x}")
}

type Check = (String, String, rocket::tokio::sync::oneshot::Sender<bool>);

/// Named threads that verify passwords, one per core: the only place a login runs argon2.
pub struct Passwords {
    sender: Option<Sender<Check>>,
    threads: Vec<JoinHandle<()>>,
}

impl Passwords {
    pub fn start() -> std::io::Result<Passwords> {
        let count = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
        let (sender, receiver) = crossbeam_channel::bounded::<Check>(count * QUEUE_PER_THREAD);
        let threads = (0..count)
            .map(|i| {
                let receiver: Receiver<Check> = receiver.clone();
                std::thread::Builder::new()
                    .name(format!("password-{i}"))
                    .spawn(move || {
                        // One argon2 working area per thread, for every check it runs.
                        let mut memory = Vec::new();
                        for (password, hash, answer) in receiver {
                            let right = verify_password_in(&password, &hash, &mut memory);
                            let _ = answer.send(right);
                        }
                    })
            })
            .collect::<std::io::Result<_>>()?;
        Ok(Passwords {
            sender: Some(sender),
            threads,
        })
    }

    /// Whether the password matches the hash; a full queue answers at once (429).
    async fn verify(&self, password: String, hash: String) -> Result<bool> {
        let (answer, checked) = rocket::tokio::sync::oneshot::channel();
        let sender = self.sender.as_ref().ok_or(Error::LoginsBusy)?;
        match sender.try_send((password, hash, answer)) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => return Err(Error::LoginsBusy),
            Err(TrySendError::Disconnected(_)) => {
                return Err(Error::internal("password threads stopped"))
            }
        }
        checked
            .await
            .map_err(|_| Error::internal("password check dropped"))
    }
}

impl Drop for Passwords {
    /// Closes the queue; each thread finishes the check it has and ends.
    fn drop(&mut self) {
        self.sender.take();
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

/// Checks the identity and password and opens a session: (token, character). Failures are
/// counted per account and client address (name and email share the account's counter; an
/// unknown identity counts under a hash of its text) and per address across accounts, so that
/// no one can keep another address's user locked out, and spraying one password over many
/// accounts is slowed down too. Every failure is recorded in the journal (`journal::login_failed`),
/// every success with its session.
pub async fn login(
    db: &Db,
    sessions: &Sessions,
    throttle: &Throttle,
    passwords: &Passwords,
    address: Option<IpAddr>,
    identity: String,
    password: String,
) -> Result<(String, i64)> {
    let address = address_text(address);
    if identity.chars().count() > IDENTITY_MAX {
        let why = LoginFailure::UnknownIdentity;
        sessions.record(journal::login_failed(None, "", &address, why));
        return Err(Error::LoginFailed);
    }
    // Identities are stored in their one spelling: "liusn " and fullwidth ｌｉｕｓｎ are liusn.
    let looked_up = identity.clone();
    let user = db
        .run(move |conn| Ok(names::find(&looked_up, |i| users::login_identity(conn, i))?))
        .await?;
    let account = match &user {
        Some((user, _)) => format!("user:{}", user.id),
        // Look-alikes of one unknown identity share its counter too.
        None => unknown_identity_key(&names::normalize(&identity)),
    };
    let pair = format!("{account}@{address}");
    let by_address = format!("addr:{address}");
    // What the journal says of a failure: the user (and the identity as typed, their name or
    // email), or nothing of what was typed.
    let typed = names::normalize(&identity);
    let failed = |why| {
        let user = user.as_ref().map(|(user, _)| user);
        sessions.record(journal::login_failed(user, &typed, &address, why));
    };
    let began = throttle.begin(
        &[
            (pair.as_str(), FREE_FAILURES),
            (by_address.as_str(), ADDRESS_FREE_FAILURES),
        ],
        crate::clock::now_secs(),
    );
    if let Err(e) = began {
        failed(LoginFailure::Throttled);
        return Err(e);
    }
    let hash = match &user {
        Some((_, hash)) => hash.clone(),
        None => dummy_hash().to_owned(),
    };
    let right = passwords.verify(password, hash).await?;
    let found = match &user {
        Some((found, _)) if right => found,
        // Who and from where, never what was typed for an unknown account (often a password).
        Some((found, _)) => {
            log::warn!("failed login for {:?} from {address}", found.name);
            failed(LoginFailure::Password);
            return Err(Error::LoginFailed);
        }
        None => {
            log::warn!("failed login for an unknown identity from {address}");
            failed(LoginFailure::UnknownIdentity);
            return Err(Error::LoginFailed);
        }
    };
    // After the password, as before: only who knows it learns of the lock. The attempt stays
    // counted, since it opened nothing.
    if found.lock {
        failed(LoginFailure::Locked);
        return Err(Error::Locked);
    }
    throttle.succeeded(&pair, &by_address);
    // Queued for the session writer: a login never waits for the write lock.
    let session = sessions.open(found.id, journal::login(found, &address));
    Ok((session, found.character))
}

/// A client's address as the journal and the log write it.
pub fn address_text(address: Option<IpAddr>) -> String {
    address.map_or_else(|| "unknown".to_owned(), |a| a.to_string())
}

/// Ends the session `token` (stored, or `queued` for the user with that id and just forgotten
/// by the session writer) and records the logout, in the write transaction `conn`. False: no
/// such session.
pub fn logout(
    conn: &rusqlite::Connection,
    token: &str,
    queued: Option<i64>,
    address: &str,
) -> Result<bool> {
    let stored = users::session_user(conn, &users::token_hash(token))?.map(|(user, _)| user);
    let user = match (stored, queued) {
        (Some(user), _) => Some(user),
        (None, Some(id)) => users::user_by_id(conn, id)?,
        (None, None) => None,
    };
    let Some(user) = user else {
        return Ok(false);
    };
    users::delete_session(conn, token)?;
    journal::record_logout(conn, &user, address)?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_doubles_after_the_free_failures_up_to_the_cap() {
        assert_eq!(wait_after(FREE_FAILURES - 1, FREE_FAILURES), 0);
        assert_eq!(wait_after(FREE_FAILURES, FREE_FAILURES), FIRST_WAIT_SECS);
        assert_eq!(
            wait_after(FREE_FAILURES + 1, FREE_FAILURES),
            2 * FIRST_WAIT_SECS
        );
        assert_eq!(wait_after(i64::MAX, FREE_FAILURES), MAX_WAIT_SECS);
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
    fn counters_wait_then_forget_after_the_longest_wait() {
        let throttle = Throttle::default();
        let keys = [("k", 2)];
        throttle.begin(&keys, 0).unwrap();
        throttle.begin(&keys, 0).unwrap();
        assert_eq!(
            throttle.begin(&keys, 1),
            Err(Error::LoginThrottled(FIRST_WAIT_SECS as u64 - 1))
        );
        throttle.begin(&keys, FIRST_WAIT_SECS).unwrap();
        // Long after the last failure the count starts again.
        let later = FIRST_WAIT_SECS + MAX_WAIT_SECS + 1;
        throttle.begin(&keys, later).unwrap();
        throttle.begin(&keys, later).unwrap();
        assert!(throttle.begin(&keys, later).is_err());
    }
}
