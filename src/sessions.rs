//! Sessions reach the database through one writer thread (`session-writer`), so a login and a
//! request that refreshes its session's idle clock never wait for the write lock: three large
//! uploads being stored once held a login for 20 s. A session just opened is kept here until
//! the writer has stored it, and counts as live meanwhile. A process killed in that moment (a
//! few milliseconds) loses the session; its user logs in again.
//!
//! The journal's entries of logins and failed logins go the same way: a login's in the
//! transaction that stores its session, so a failed login never waits for the write lock
//! either (a guesser's attempts are written a batch at a time).

use crate::db::journal::{self, NewEntry};
use crate::db::{self, users, Pool};
use parking_lot::{Condvar, Mutex};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// Journal entries kept for the writer at most; beyond, while the database cannot be written
/// (a full disk), further ones are dropped (and counted in the log) rather than kept in memory.
const MAX_QUEUED_ENTRIES: usize = 100_000;

/// The queue of session writes, shared with the writer thread.
#[derive(Clone)]
pub struct Sessions(Arc<Shared>);

struct Shared {
    queue: Mutex<Queue>,
    wake: Condvar,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
}

#[derive(Default)]
struct Queue {
    /// Token hash → (user id, last seen): opened, not yet stored.
    opened: HashMap<String, (i64, i64)>,
    /// Token hash → last seen: idle clocks to move forward.
    touched: HashMap<String, i64>,
    /// Journal entries of logins and failed logins, in order.
    entries: Vec<NewEntry>,
    /// Entries dropped since the last one written (`MAX_QUEUED_ENTRIES`).
    dropped: u64,
    stop: bool,
}

impl Queue {
    fn is_empty(&self) -> bool {
        self.opened.is_empty() && self.touched.is_empty() && self.entries.is_empty()
    }

    fn push_entry(&mut self, entry: NewEntry) {
        if self.entries.len() >= MAX_QUEUED_ENTRIES {
            self.dropped += 1;
            return;
        }
        self.entries.push(entry);
    }
}

impl Sessions {
    /// Starts the writer thread on `pool`.
    pub fn start(pool: Pool) -> std::io::Result<Sessions> {
        let sessions = Sessions(Arc::new(Shared {
            queue: Mutex::new(Queue::default()),
            wake: Condvar::new(),
            thread: Mutex::new(None),
        }));
        let writer = sessions.clone();
        let thread = std::thread::Builder::new()
            .name("session-writer".into())
            .spawn(move || writer.write_until_stopped(&pool))?;
        *sessions.0.thread.lock() = Some(thread);
        Ok(sessions)
    }

    /// Opens a session for the user; returns its token. `login` is the journal's entry of the
    /// login, stored with the session.
    pub fn open(&self, user_id: i64, login: NewEntry) -> String {
        let token = crate::auth::new_token();
        let mut queue = self.0.queue.lock();
        queue.opened.insert(
            users::token_hash(&token),
            (user_id, crate::clock::now_secs()),
        );
        queue.push_entry(login);
        self.0.wake.notify_one();
        token
    }

    /// Queues a journal entry (a failed login) for the writer.
    pub fn record(&self, entry: NewEntry) {
        self.0.queue.lock().push_entry(entry);
        self.0.wake.notify_one();
    }

    /// A session opened but not yet stored: (user id, last seen).
    pub fn pending(&self, token_hash: &str) -> Option<(i64, i64)> {
        self.0.queue.lock().opened.get(token_hash).copied()
    }

    /// Moves a session's idle clock to `now`.
    pub fn touch(&self, token_hash: &str, now: i64) {
        let mut queue = self.0.queue.lock();
        if let Some(opened) = queue.opened.get_mut(token_hash) {
            opened.1 = now;
            return;
        }
        queue.touched.insert(token_hash.to_owned(), now);
        self.0.wake.notify_one();
    }

    /// Forgets a session not yet stored (a logout: the stored one is deleted by the caller).
    pub fn end(&self, token_hash: &str) {
        let mut queue = self.0.queue.lock();
        queue.opened.remove(token_hash);
        queue.touched.remove(token_hash);
    }

    /// Forgets the user's sessions not yet stored, but `keep` (a token). Call inside the write
    /// transaction that deletes the user's stored sessions: the writer stores a session only
    /// while it is still queued, in a write transaction of its own, so none slips through.
    pub fn end_user(&self, user_id: i64, keep: Option<&str>) {
        let keep = keep.map(users::token_hash);
        self.0
            .queue
            .lock()
            .opened
            .retain(|hash, (user, _)| *user != user_id || Some(hash) == keep.as_ref());
    }

    /// Stores what is queued and stops the writer.
    pub fn stop(&self) {
        self.0.queue.lock().stop = true;
        self.0.wake.notify_one();
        if let Some(thread) = self.0.thread.lock().take() {
            if thread.join().is_err() {
                log::error!("the session writer panicked");
            }
        }
    }

    fn write_until_stopped(&self, pool: &Pool) {
        loop {
            let (opened, touched, entries, stop) = {
                let mut queue = self.0.queue.lock();
                while queue.is_empty() && !queue.stop {
                    self.0.wake.wait(&mut queue);
                }
                let touched = std::mem::take(&mut queue.touched);
                let entries = std::mem::take(&mut queue.entries);
                if queue.dropped > 0 {
                    log::error!(
                        "{} journal entries of logins were dropped: the database could not be written",
                        queue.dropped
                    );
                    queue.dropped = 0;
                }
                (queue.opened.clone(), touched, entries, queue.stop)
            };
            if opened.is_empty() && touched.is_empty() && entries.is_empty() {
                return;
            }
            match self.write(pool, &opened, &touched, &entries) {
                Ok(()) => {
                    let mut queue = self.0.queue.lock();
                    for (hash, (_, seen)) in &opened {
                        // Touched again since it was stored: that is the writer's next job.
                        if let Some((_, now)) = queue.opened.remove(hash) {
                            if now != *seen {
                                queue.touched.insert(hash.clone(), now);
                            }
                        }
                    }
                }
                Err(e) => {
                    log::error!("cannot store sessions (retrying): {e}");
                    let mut queue = self.0.queue.lock();
                    for (hash, seen) in touched {
                        queue.touched.entry(hash).or_insert(seen);
                    }
                    // Back in front of those queued since, in their order.
                    let newer = std::mem::replace(&mut queue.entries, entries);
                    for entry in newer {
                        queue.push_entry(entry);
                    }
                    if stop {
                        return;
                    }
                    drop(queue);
                    std::thread::sleep(Duration::from_secs(1));
                }
            }
        }
    }

    fn write(
        &self,
        pool: &Pool,
        opened: &HashMap<String, (i64, i64)>,
        touched: &HashMap<String, i64>,
        entries: &[NewEntry],
    ) -> Result<(), String> {
        let mut conn = pool.get().map_err(|e| e.to_string())?;
        let tx = db::write_tx(&mut conn).map_err(|e| e.to_string())?;
        for (hash, (user_id, seen)) in opened {
            // Ended (password changed, user locked, logged out) since it was read: not stored.
            if !self.0.queue.lock().opened.contains_key(hash) {
                continue;
            }
            users::insert_session_hash(&tx, hash, *user_id, *seen).map_err(|e| e.to_string())?;
        }
        for (hash, seen) in touched {
            users::touch_session_hash(&tx, hash, *seen).map_err(|e| e.to_string())?;
        }
        for entry in entries {
            journal::insert(&tx, entry).map_err(|e| e.to_string())?;
        }
        tx.commit().map_err(|e| e.to_string())
    }
}
