//! The trigram index of asset names and descriptions (`asset_text`), filled in the background
//! on a thread of its own (`text-indexer`): a trigram insert costs as much as the asset's own
//! insert, so imports do not pay for it. It indexes the next few thousand assets by id per
//! transaction whenever no task is running or being stored, so a busy server catches up once
//! idle; a search
//! reads the assets past the indexed mark directly, so it is always complete.

use crate::db::{self, Pool};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Assets indexed per transaction.
const PER_TRANSACTION: i64 = 5000;

/// Indexes what it can now; returns how many assets it added.
fn catch_up(pool: &Pool, stop: &AtomicBool) -> Result<usize, String> {
    let mut conn = pool.get().map_err(|e| e.to_string())?;
    let mut added = 0;
    while !stop.load(Ordering::SeqCst) {
        let running: bool = conn
            .query_row(
                // A submission being stored (not yet visible) counts as running too.
                "SELECT EXISTS (SELECT 1 FROM task WHERE finish = 0)",
                [],
                |r| r.get(0),
            )
            .map_err(|e| e.to_string())?;
        if running {
            break;
        }
        let tx = db::write_tx(&mut conn).map_err(|e| e.to_string())?;
        let n = db::text_index::index_text(&tx, PER_TRANSACTION).map_err(|e| e.to_string())?;
        tx.commit().map_err(|e| e.to_string())?;
        added += n;
        if n == 0 {
            break;
        }
    }
    Ok(added)
}

/// Starts the indexer: a look every second, until `stop`.
pub fn start(pool: Pool, stop: Arc<AtomicBool>) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new()
        .name("text-indexer".into())
        .spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                if let Err(e) = catch_up(&pool, &stop) {
                    log::error!("indexing asset names: {e}");
                }
                for _ in 0..10 {
                    if stop.load(Ordering::SeqCst) {
                        return;
                    }
                    std::thread::sleep(Duration::from_millis(100));
                }
            }
        })
}
