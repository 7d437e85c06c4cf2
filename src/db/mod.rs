//! The SQLite pool with its write turn, and the helpers that keep blocking SQLite work off
//! Rocket's async threads and take write transactions (the schema is `migrate.rs`). All SQL
//! lives in this module's files.

/// A struct from a row's columns, in the order its fields are named:
/// `from_row!(r, Change; asset_id, before, revision)` reads columns 0, 1 and 2.
macro_rules! from_row {
    ($row:expr, $type:ident; $($field:ident),+ $(,)?) => {
        from_row!(@next $row, $type, 0usize, [], $($field),+)
    };
    (@next $row:expr, $type:ident, $n:expr, [$($done:tt)*], $field:ident $(, $rest:ident)*) => {
        from_row!(@next $row, $type, $n + 1, [$($done)* $field: $row.get($n)?,], $($rest),*)
    };
    (@next $row:expr, $type:ident, $n:expr, [$($done:tt)*], ) => {
        $type { $($done)* }
    };
}

pub mod assets;
pub mod changes;
#[cfg(test)]
mod changes_tests;
pub mod failed;
#[cfg(test)]
pub(crate) mod fixture;
pub mod history;
#[cfg(test)]
mod history_tests;
pub mod journal;
mod migrate;
pub use migrate::SCHEMA_VERSION;
pub mod org;
pub mod requests;
pub mod results;
pub mod stocktake;
pub mod tasks;
pub mod text_index;
pub mod user_changes;
pub mod users;

use crate::error::{Error, Result};
use parking_lot::{FairMutex, RawFairMutex};
use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::{Connection, Transaction, TransactionBehavior};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

pub type Pool = r2d2::Pool<Manager>;

/// The turn to write: SQLite has one write lock, and its busy handler lets whoever polls at
/// the right moment in, so a writer that commits and begins again at once (an upload stored in
/// chunks, a worker's batches) could keep everyone else waiting. Every write transaction on a
/// database first queues on its turn, in order (a fair mutex hands it to the longest waiter),
/// and only then takes SQLite's lock. One turn per database, shared by its pool's connections.
type Turn = Arc<FairMutex<()>>;

/// A connection of a database's pool, with that database's write turn.
pub struct Conn {
    conn: Connection,
    turn: Turn,
}

impl Conn {
    /// A connection with a turn of its own: for a database only it writes to (a test's, a
    /// tool's).
    pub fn alone(conn: Connection) -> Conn {
        Conn {
            conn,
            turn: Turn::default(),
        }
    }
}

impl std::ops::Deref for Conn {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        &self.conn
    }
}

impl std::ops::DerefMut for Conn {
    fn deref_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }
}

/// Opens the pool's connections (`SqliteConnectionManager`), each with the database's turn.
pub struct Manager {
    sqlite: SqliteConnectionManager,
    turn: Turn,
}

impl r2d2::ManageConnection for Manager {
    type Connection = Conn;
    type Error = rusqlite::Error;

    fn connect(&self) -> rusqlite::Result<Conn> {
        Ok(Conn {
            conn: self.sqlite.connect()?,
            turn: self.turn.clone(),
        })
    }

    /// Run on every checkout (`test_on_check_out`): besides testing the connection, puts it
    /// back at the durable level, whatever its last holder (a worker's batches: `Durability`)
    /// left it at. Every connection handed out acknowledges only what a power cut keeps.
    fn is_valid(&self, conn: &mut Conn) -> rusqlite::Result<()> {
        conn.conn.execute_batch(Durability::Durable.pragma())
    }

    fn has_broken(&self, conn: &mut Conn) -> bool {
        self.sqlite.has_broken(&mut conn.conn)
    }
}

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
    // WAL lets readers (the API) run while a worker writes. The journal mode is stored in the
    // file, so one connection sets it (with the schema) before the pool exists: set by each of
    // the pool's connections as they opened in parallel, the switch's lock could fail one of them
    // with "database is locked" despite the busy timeout.
    {
        let mut first =
            Connection::open(path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        first
            .execute_batch("PRAGMA busy_timeout = 30000; PRAGMA journal_mode = WAL;")
            .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        let version: i64 = first
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        // An upgrade is kept from going wrong unseen: the database as it was goes to backups/
        // first. (A newer database is refused by `migrate`.)
        if version > 0 && version < SCHEMA_VERSION {
            let copy = crate::backup::before_upgrade(path, version).map_err(|e| {
                format!("no schema upgrade without a backup first, and the backup failed: {e}")
            })?;
            log::info!(
                "backup before the schema upgrade {version} -> {SCHEMA_VERSION}: {}",
                copy.display()
            );
        }
        migrate::migrate(&mut first)
            .map_err(|e| format!("cannot apply schema to {}: {e}", path.display()))?;
    }
    let sqlite = SqliteConnectionManager::file(path).with_init(|c| {
        // Room for every statement a batch prepares (an update import adds one per set of
        // changed columns), so none is evicted and parsed again per row.
        c.set_prepared_statement_cache_capacity(64);
        // Checkpoints every ~40 MiB of WAL rather than SQLite's 4 MiB: an import rewrites the
        // same index pages in every batch, and each checkpoint copied them again (a third of an
        // import's time); the WAL file is cut back to 64 MiB after a checkpoint.
        c.execute_batch(Durability::Durable.pragma())?;
        c.execute_batch(
            "PRAGMA busy_timeout = 30000;
             PRAGMA foreign_keys = ON;
             PRAGMA cache_size = -32000;
             PRAGMA wal_autocheckpoint = 10000;
             PRAGMA journal_size_limit = 67108864;",
        )
    });
    let manager = Manager {
        sqlite,
        turn: Turn::default(),
    };
    let pool = r2d2::Pool::builder()
        .max_size(16)
        // `is_valid` puts each connection back at the durable level as it is handed out.
        .test_on_check_out(true)
        .connection_timeout(Duration::from_secs(30))
        .build(manager)
        .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    Ok(pool)
}

/// How far a commit is on disk when it returns (`PRAGMA synchronous`, in WAL mode).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// FULL: the WAL is synced at every commit, so a power cut or an OS crash keeps it. Every
    /// pooled connection is at this level when handed out: whatever a client is told succeeded
    /// (an edit, a user, a stored submission, a task's final state) is on disk.
    Durable,
    /// NORMAL: the WAL is synced only at checkpoints; a killed process loses nothing, but a
    /// power cut may roll back the last commits. Only a task's intermediate batches run at this
    /// level: a lost batch is run again, exactly once, from the checkpoint before it.
    Batch,
}

impl Durability {
    pub fn pragma(self) -> &'static str {
        match self {
            Durability::Durable => "PRAGMA synchronous = FULL;",
            Durability::Batch => "PRAGMA synchronous = NORMAL;",
        }
    }

    /// Sets the level of `conn`'s next transactions (SQLite refuses it inside one).
    pub fn set(self, conn: &Connection) -> rusqlite::Result<()> {
        conn.execute_batch(self.pragma())
    }

    /// The level `conn` commits at now.
    pub fn of(conn: &Connection) -> rusqlite::Result<Option<Durability>> {
        let level: i64 = conn.query_row("PRAGMA synchronous", [], |r| r.get(0))?;
        Ok(match level {
            1 => Some(Durability::Batch),
            2 => Some(Durability::Durable),
            _ => None,
        })
    }
}

/// Refuses a database of `version` when it is newer than this program's schema.
pub fn check_not_newer(version: i64) -> Result<(), String> {
    if version > SCHEMA_VERSION {
        return Err(migrate::newer(version));
    }
    Ok(())
}

/// Brings a database opened alone (a backup being restored) to this program's schema; refuses
/// one of a newer schema.
pub fn upgrade_schema(conn: &mut Connection) -> Result<(), String> {
    migrate::migrate(conn)
}

/// Runs `f` on a pooled connection on Tokio's blocking thread pool.
#[derive(Clone)]
pub struct Db(pub Pool);

impl Db {
    pub async fn run<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Conn) -> Result<T> + Send + 'static,
    {
        let pool = self.0.clone();
        rocket::tokio::task::spawn_blocking(move || {
            let mut conn = pool.get()?;
            f(&mut conn)
        })
        .await
        .map_err(|e| Error::caused("blocking task", e))?
    }

    /// Like `run`, inside one write transaction (taken at BEGIN, so it never fails half-way
    /// for lack of the write lock) that commits when `f` succeeds.
    pub async fn write<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction) -> Result<T> + Send + 'static,
    {
        self.run(move |conn| {
            let tx = write_tx(conn)?;
            let out = f(&tx)?;
            tx.commit()?;
            Ok(out)
        })
        .await
    }

    /// `write` for one transaction of many statements that each change many pages (an approval
    /// moving thousands of assets, each through several indexes): SQLite's statement journal,
    /// which spills to a temporary file once one statement's pages pass 64 KiB and then stays a
    /// file for the rest of the transaction (a fifth of its time in `pwrite`), is kept in memory
    /// (`temp_store = MEMORY` while it runs; it holds one statement's pages at a time).
    pub async fn write_many<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction) -> Result<T> + Send + 'static,
    {
        self.run(move |conn| {
            conn.conn.execute_batch("PRAGMA temp_store = MEMORY")?;
            let done = write_tx(conn).map_err(Error::from).and_then(|tx| {
                let out = f(&tx)?;
                tx.commit()?;
                Ok(out)
            });
            let reset = conn.conn.execute_batch("PRAGMA temp_store = DEFAULT");
            let out = done?;
            reset?;
            Ok(out)
        })
        .await
    }
}

impl Db {
    /// Runs `f` with the pool (not a connection) on Tokio's blocking thread pool, for work that
    /// reads a chunk at a time while it builds something (an XLSX file).
    pub async fn with_pool<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Pool) -> Result<T> + Send + 'static,
    {
        let pool = self.0.clone();
        rocket::tokio::task::spawn_blocking(move || f(&pool))
            .await
            .map_err(|e| Error::caused("blocking task", e))?
    }
}

/// A write transaction taken in turn (`Turn`), released when it commits or drops.
pub struct WriteTx<'c> {
    // Declared first, so dropped (rolled back) before the turn passes on.
    tx: Transaction<'c>,
    _turn: parking_lot::lock_api::ArcMutexGuard<RawFairMutex, ()>,
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
/// lack of it), in turn with the other writers of this database.
pub fn write_tx(conn: &mut Conn) -> rusqlite::Result<WriteTx<'_>> {
    // As long as SQLite's own busy timeout; then busy, which the API answers as such.
    write_tx_within(conn, Duration::from_secs(30))
}

fn write_tx_within(conn: &mut Conn, wait: Duration) -> rusqlite::Result<WriteTx<'_>> {
    let Some(turn) = conn.turn.try_lock_arc_for(wait) else {
        return Err(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
            Some(format!("waited {wait:?} for the turn to write")),
        ));
    };
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    Ok(WriteTx { tx, _turn: turn })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whatever level a connection's last holder left it at (a worker's batches run at
    /// `Batch`), every connection handed out commits durably: what a client is told succeeded
    /// survives a power cut.
    #[test]
    fn every_connection_handed_out_commits_durably() {
        let dir = tempfile::tempdir().unwrap();
        let pool = open(&dir.path().join("one.sqlite3")).unwrap();
        let held: Vec<_> = (0..4).map(|_| pool.get().unwrap()).collect();
        for conn in &held {
            assert_eq!(Durability::of(conn).unwrap(), Some(Durability::Durable));
            Durability::Batch.set(conn).unwrap();
            assert_eq!(Durability::of(conn).unwrap(), Some(Durability::Batch));
        }
        drop(held);
        // The pool's every connection, those just left at `Batch` among them.
        let again: Vec<_> = (0..16).map(|_| pool.get().unwrap()).collect();
        for conn in &again {
            assert_eq!(Durability::of(conn).unwrap(), Some(Durability::Durable));
        }
    }

    /// The turn is the database's: a second connection of the same pool waits for it, while
    /// another database (another test's server in the same process) writes at once.
    #[test]
    fn each_database_has_its_own_write_turn_shared_by_its_connections() {
        let dir = tempfile::tempdir().unwrap();
        let one = open(&dir.path().join("one.sqlite3")).unwrap();
        let other = open(&dir.path().join("other.sqlite3")).unwrap();
        let (mut first, mut second) = (one.get().unwrap(), one.get().unwrap());
        let mut elsewhere = other.get().unwrap();
        let wait = Duration::from_millis(50);
        let held = write_tx_within(&mut first, wait).unwrap();
        let refused = write_tx_within(&mut second, wait).err().unwrap();
        assert_eq!(
            refused.sqlite_error_code(),
            Some(rusqlite::ErrorCode::DatabaseBusy)
        );
        write_tx_within(&mut elsewhere, wait)
            .unwrap()
            .commit()
            .unwrap();
        held.commit().unwrap();
        write_tx_within(&mut second, wait)
            .unwrap()
            .commit()
            .unwrap();
    }
}

/// A table whose rows are written in time order: its `at` (Unix seconds) rises with its id, so
/// a moment becomes an id by a binary search, with no index on time for every insert to pay for.
#[derive(Debug, Clone, Copy)]
pub enum TimeOrdered {
    /// The journal: an entry's time never goes back past the one before it (`journal::insert`).
    Journal,
    /// The asset history: times follow the clock, which may be set back (its searches start
    /// early, `history::CLOCK_SLACK`).
    History,
}

impl TimeOrdered {
    fn table(self) -> &'static str {
        match self {
            TimeOrdered::Journal => "journal",
            TimeOrdered::History => "asset_history",
        }
    }

    /// The lowest and highest ids, in two subqueries: SQLite reads min() or max() off the
    /// table's end only when it is a query's one aggregate (both in one query read every row:
    /// 0.8 s for ten million).
    pub fn id_bounds_sql(self) -> String {
        let t = self.table();
        format!("SELECT (SELECT min(id) FROM {t}), (SELECT max(id) FROM {t})")
    }
}

/// The id of the first row of `table` at or after `at` (one past the last row when there is
/// none): a binary search over the ids, each look one step down the primary key.
pub fn first_id_at(conn: &Connection, table: TimeOrdered, at: i64) -> rusqlite::Result<i64> {
    let (first, last): (Option<i64>, Option<i64>) = conn
        .prepare_cached(&table.id_bounds_sql())?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    let (Some(mut low), Some(last)) = (first, last) else {
        return Ok(1);
    };
    let mut from = conn.prepare_cached(&format!(
        "SELECT id, at FROM {} WHERE id >= ?1 ORDER BY id LIMIT 1",
        table.table()
    ))?;
    // Rows below `low` are before `at`; rows from `high` on are not.
    let mut high = last + 1;
    while low < high {
        let middle = low + (high - low) / 2;
        let found: Option<(i64, i64)> = rusqlite::OptionalExtension::optional(
            from.query_row([middle], |r| Ok((r.get(0)?, r.get(1)?))),
        )?;
        match found {
            Some((id, time)) if id < high => {
                if time >= at {
                    high = id;
                } else {
                    low = id + 1;
                }
            }
            // No row in middle..high (ids have gaps where rows were deleted or rolled back).
            _ => high = middle,
        }
    }
    Ok(low)
}
