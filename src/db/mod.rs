//! The SQLite pool, the write turn, and the helpers that keep blocking SQLite work off Rocket's
//! async threads (the schema is `migrate.rs`, paging `paging.rs`). All SQL lives in this module's
//! files.

pub mod assets;
pub mod changes;
#[cfg(test)]
mod changes_tests;
pub mod failed;
#[cfg(test)]
pub(crate) mod fixture;
mod migrate;
pub mod org;
mod paging;

pub use paging::{Page, Paged, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};
pub mod results;
pub mod tasks;
pub mod users;

use crate::error::{ApiError, ApiResult};
use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::{Connection, Transaction, TransactionBehavior};
use std::path::Path;
use std::time::Duration;

pub type Pool = r2d2::Pool<SqliteConnectionManager>;

/// Opens (creating if needed) the database file and its folder, applies the schema, and returns
/// a pool whose connections all have foreign keys on and a generous busy timeout.
pub fn open(path: &Path) -> Result<Pool, String> {
    if let Some(dir) = path.parent() {
        if !dir.as_os_str().is_empty() {
            crate::private_files::create_dir(dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
    }
    // Created 0600 before SQLite opens it: SQLite gives the WAL and shared-memory files the
    // database's mode. Those an older version left 0644 are tightened.
    crate::private_files::create_file(path)
        .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    for suffix in ["-wal", "-shm"] {
        let mut side = path.as_os_str().to_owned();
        side.push(suffix);
        crate::private_files::tighten(Path::new(&side));
    }
    // WAL + synchronous=NORMAL survives a killed process (not a power cut) with no lost commit,
    // and lets readers (the API) run while a worker writes. The journal mode is stored in the
    // file, so one connection sets it (with the schema) before the pool exists: set by each of
    // the pool's connections as they opened in parallel, the switch's lock could fail one of them
    // with "database is locked" despite the busy timeout.
    {
        let mut first =
            Connection::open(path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        first
            .execute_batch("PRAGMA busy_timeout = 30000; PRAGMA journal_mode = WAL;")
            .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        migrate::migrate(&mut first)
            .map_err(|e| format!("cannot apply schema to {}: {e}", path.display()))?;
    }
    let manager = SqliteConnectionManager::file(path).with_init(|c| {
        // Room for every statement a batch prepares (an update import adds one per set of
        // changed columns), so none is evicted and parsed again per row.
        c.set_prepared_statement_cache_capacity(64);
        // Checkpoints every ~40 MiB of WAL rather than SQLite's 4 MiB: an import rewrites the
        // same index pages in every batch, and each checkpoint copied them again (a third of an
        // import's time); the WAL file is cut back to 64 MiB after a checkpoint.
        c.execute_batch(
            "PRAGMA busy_timeout = 30000;
             PRAGMA synchronous = NORMAL;
             PRAGMA foreign_keys = ON;
             PRAGMA cache_size = -32000;
             PRAGMA wal_autocheckpoint = 10000;
             PRAGMA journal_size_limit = 67108864;",
        )
    });
    let pool = r2d2::Pool::builder()
        .max_size(16)
        .connection_timeout(Duration::from_secs(30))
        .build(manager)
        .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    Ok(pool)
}

/// Adds the next assets (by id) to the trigram index, at most `limit`; returns how many.
pub fn index_text(conn: &Connection, limit: i64) -> rusqlite::Result<usize> {
    let upto: Option<i64> = conn.query_row(
        "SELECT max(id) FROM (SELECT id FROM asset
             WHERE id > (SELECT indexed_to FROM text_index) ORDER BY id LIMIT ?1)",
        [limit],
        |r| r.get(0),
    )?;
    let Some(upto) = upto else {
        return Ok(0);
    };
    let added = conn.execute(
        "INSERT INTO asset_text(rowid, name, description)
         SELECT id, name, description FROM asset
         WHERE id > (SELECT indexed_to FROM text_index) AND id <= ?1",
        [upto],
    )?;
    conn.execute("UPDATE text_index SET indexed_to = ?1", [upto])?;
    Ok(added)
}

/// Now, local time, as the task times are stored ('YYYY-MM-DD HH:MM:SS').
pub fn now_text() -> String {
    chrono::Local::now().format("%Y-%m-%d %H:%M:%S").to_string()
}

/// Runs `f` on a pooled connection on Tokio's blocking thread pool.
#[derive(Clone)]
pub struct Db(pub Pool);

impl Db {
    pub async fn run<T, F>(&self, f: F) -> ApiResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> ApiResult<T> + Send + 'static,
    {
        let pool = self.0.clone();
        rocket::tokio::task::spawn_blocking(move || {
            let mut conn = pool.get()?;
            f(&mut conn)
        })
        .await
        .map_err(|e| ApiError::Internal(format!("blocking task: {e}")))?
    }

    /// Like `run`, inside one write transaction (taken at BEGIN, so it never fails half-way
    /// for lack of the write lock) that commits when `f` succeeds.
    pub async fn write<T, F>(&self, f: F) -> ApiResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction) -> ApiResult<T> + Send + 'static,
    {
        self.run(move |conn| {
            let tx = write_tx(conn)?;
            let out = f(&tx)?;
            tx.commit()?;
            Ok(out)
        })
        .await
    }
}

impl Db {
    /// Runs `f` on Tokio's blocking thread pool, writing into one end of a pipe; the other end is
    /// returned for a response to stream as it is written. `f` gets the pool, not a connection:
    /// it reads a chunk at a time (`results::ResultRows`), so while the pipe is full because
    /// the client reads slowly or not at all, no connection and no read transaction is held. A
    /// client that goes away (or is cut off by the front listener's client timeout) closes the
    /// pipe, and `f`'s next write fails and stops it. `permit` (a place among the downloads
    /// allowed at once) is held until `f` returns.
    pub fn stream<F>(&self, permit: impl Send + 'static, f: F) -> rocket::tokio::io::DuplexStream
    where
        F: FnOnce(&Pool, &mut dyn std::io::Write) -> ApiResult<()> + Send + 'static,
    {
        let (reader, writer) = rocket::tokio::io::duplex(64 * 1024);
        let pool = self.0.clone();
        rocket::tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let mut out = std::io::BufWriter::with_capacity(
                64 * 1024,
                tokio_util::io::SyncIoBridge::new(writer),
            );
            if let Err(e) = f(&pool, &mut out) {
                log::warn!("streamed answer stopped: {}", e.cause());
            }
        });
        reader
    }

    /// Runs `f` with the pool (not a connection) on Tokio's blocking thread pool, for work that
    /// reads a chunk at a time while it builds something (an XLSX file).
    pub async fn with_pool<T, F>(&self, f: F) -> ApiResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Pool) -> ApiResult<T> + Send + 'static,
    {
        let pool = self.0.clone();
        rocket::tokio::task::spawn_blocking(move || f(&pool))
            .await
            .map_err(|e| ApiError::Internal(format!("blocking task: {e}")))?
    }
}

/// The turn to write: SQLite has one write lock, and its busy handler lets whoever polls at
/// the right moment in, so a writer that commits and begins again at once (an upload stored in
/// chunks, a worker's batches) could keep everyone else waiting. Every write transaction of
/// this process first queues here, in order (a fair mutex hands the turn to the longest
/// waiter), and only then takes SQLite's lock.
static WRITE_TURN: parking_lot::FairMutex<()> = parking_lot::const_fair_mutex(());

/// A write transaction taken in turn (`WRITE_TURN`), released when it commits or drops.
pub struct WriteTx<'c> {
    // Declared first, so dropped (rolled back) before the turn passes on.
    tx: Transaction<'c>,
    _turn: parking_lot::FairMutexGuard<'static, ()>,
}

impl<'c> std::ops::Deref for WriteTx<'c> {
    type Target = Transaction<'c>;
    fn deref(&self) -> &Transaction<'c> {
        &self.tx
    }
}

impl WriteTx<'_> {
    pub fn commit(self) -> rusqlite::Result<()> {
        self.tx.commit()
    }
}

/// Begins a write transaction (taking the write lock at BEGIN, so it never fails half-way for
/// lack of it), in turn with the other writers of this process.
pub fn write_tx(conn: &mut Connection) -> rusqlite::Result<WriteTx<'_>> {
    // As long as SQLite's own busy timeout; then busy, which the API answers as such.
    let Some(turn) = WRITE_TURN.try_lock_for(Duration::from_secs(30)) else {
        return Err(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
            Some("waited 30 s for the turn to write".into()),
        ));
    };
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    Ok(WriteTx { tx, _turn: turn })
}

/// Unix seconds now.
pub fn now_secs() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Today's local date as days since 1970-01-01.
pub fn today_day() -> i64 {
    day_of(chrono::Local::now().date_naive())
}

pub fn day_of(date: chrono::NaiveDate) -> i64 {
    date.signed_duration_since(epoch()).num_days()
}

pub fn date_of(day: i64) -> chrono::NaiveDate {
    epoch() + chrono::Duration::days(day)
}

fn epoch() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default()
}
