//! One batch of an undo task: it takes back what an import did, from the records the import's
//! batches wrote (`db/changes.rs`). Updated assets get back their values first, then created
//! assets are deleted, newest first (so a child the import created goes before its parent). An
//! asset changed since the import (its revision moved, or it got a child the import did not
//! create) is left as it is and becomes a failed row saying why. Each record is consumed in
//! the transaction that acts on it, so a restart resumes exactly where the undo stopped.

use crate::db::assets::{NewAsset, Scope};
use crate::db::changes::{self, Change, StoredAsset};
use crate::db::history::{self, Kind, Source};
use crate::db::tasks::{self as sql, Counts};
use crate::error::{Error, Result};
use rusqlite::Connection;
use serde_json::json;

/// Asset changes taken back per transaction.
const UNDO_BATCH: i64 = 2000;

const CHANGED_SINCE: &str = "该资产在此任务之后已被修改（修改、清退或其他导入），未撤销";
const CHILD_ADDED: &str = "该资产在此任务之后新增了子资产，未撤销";
const HAS_CHILDREN: &str = "该资产下有不是此任务创建的子资产，未删除";
const GONE: &str = "该资产已不存在";
const OUT_OF_REACH: &str = "无权修改该资产";
const RECORDS_GONE: &str = "撤销记录已被清除，该项未撤销";
const HISTORY_GONE: &str = "该资产的履历已超过保留期限被清除，无法还原原值，未撤销";

/// Runs the next batch of the undo task; returns its new checkpoint and counts.
pub fn run_batch(tx: &Connection, task: &sql::TaskState, scope: &Scope) -> Result<(i64, Counts)> {
    let import_id = task
        .undo_of
        .ok_or_else(|| Error::internal(format!("undo task {} names no import", task.id)))?;
    let mut undo = Undo {
        tx,
        task_id: task.id,
        import_id,
        scope,
        source: Source {
            entity_id: task.entity_id,
            actor_id: task.runner_id,
            task_id: Some(task.id),
            request_id: None,
        },
        seq: task.next_seq,
        counts: Counts::default(),
    };
    let mut budget = UNDO_BATCH;
    for change in changes::changes(tx, import_id, budget)? {
        let verdict = undo.restore(&change)?;
        changes::forget_change(tx, import_id, change.asset_id)?;
        undo.record(change.asset_id, verdict)?;
        budget -= 1;
    }
    while budget > 0 {
        let Some((first, last)) = changes::last_created(tx, import_id)? else {
            break;
        };
        let mut id = last;
        while id >= first && budget > 0 {
            let verdict = undo.remove(id)?;
            undo.record(id, verdict)?;
            id -= 1;
            budget -= 1;
        }
        changes::shrink_created(tx, import_id, first, id)?;
    }
    // The records ran out before the count did (they were pruned meanwhile): the rest fail,
    // so the counters still add up.
    if budget > 0 {
        while undo.seq < task.end_seq {
            undo.record(0, Err(RECORDS_GONE.into()))?;
        }
    }
    Ok((undo.seq, undo.counts))
}

/// Whether one change was taken back, else why not.
type Verdict = Result<(), String>;

struct Undo<'a> {
    tx: &'a Connection,
    task_id: i64,
    import_id: i64,
    scope: &'a Scope,
    /// Who the history names for the undo's changes.
    source: Source,
    seq: i64,
    counts: Counts,
}

impl Undo<'_> {
    /// Gives an updated asset back the values it had before the import.
    fn restore(&self, change: &Change) -> Result<Verdict> {
        let id = change.asset_id;
        let Some(current) = changes::stored_asset(self.tx, id)? else {
            return Ok(Err(GONE.into()));
        };
        if !self.scope.covers(current.values.department_id) {
            return Ok(Err(OUT_OF_REACH.into()));
        }
        if current.revision != change.revision || current.expire {
            return Ok(Err(CHANGED_SINCE.into()));
        }
        if changes::child_added_since(self.tx, id, change.id_mark, self.import_id)? {
            return Ok(Err(CHILD_ADDED.into()));
        }
        let Some(before) = self.before(&current, change)? else {
            return Ok(Err(HISTORY_GONE.into()));
        };
        let restored = (&before, Some(change.before_revision));
        let history = (&self.source, Kind::UndoRestored);
        changes::rewrite_asset(self.tx, id, &current.values, restored, history)?;
        Ok(Ok(()))
    }

    /// The values an updated asset had before the import: taken back from its history, every
    /// entry from the import's first change of it on (none came after the import's last: its
    /// revision has not moved), or as an undo record from before the history kept them. None
    /// if `history_retention_days` has deleted the import's entry.
    fn before(&self, current: &StoredAsset, change: &Change) -> Result<Option<NewAsset>> {
        let id = change.asset_id;
        if let Some(before) = &change.before {
            return serde_json::from_str(before)
                .map(Some)
                .map_err(|e| Error::caused(format!("undo record of asset {id}"), e));
        }
        let mut state = current.state();
        let Some(first) = change.history_id else {
            return Ok(Some(state.values));
        };
        // Every change moves the revision by one: one step since the values before means the
        // task's change was the only one, and its entry is read by its id.
        let entries: Vec<_> = match change.revision == change.before_revision + 1 {
            true => history::entry_by_id(self.tx, first)?.into_iter().collect(),
            false => history::own_since(self.tx, id, first)?,
        };
        if entries.last().map(|e| e.id) != Some(first) {
            return Ok(None);
        }
        for entry in entries {
            if let Some(changes) = &entry.changes {
                history::take_back(&mut state, changes)?;
            }
        }
        Ok(Some(state.values))
    }

    /// Deletes an asset the import created.
    fn remove(&self, id: i64) -> Result<Verdict> {
        let Some(current) = changes::stored_asset(self.tx, id)? else {
            return Ok(Err(GONE.into()));
        };
        if !self.scope.covers(current.values.department_id) {
            return Ok(Err(OUT_OF_REACH.into()));
        }
        // A new asset starts at revision 0: any modify, retire or import since moved it (and
        // an undo of such an import moved it back).
        if current.revision != 0 || current.expire {
            return Ok(Err(CHANGED_SINCE.into()));
        }
        if changes::has_children(self.tx, id)? {
            return Ok(Err(HAS_CHILDREN.into()));
        }
        changes::delete_asset(self.tx, &current, &self.source)?;
        Ok(Ok(()))
    }

    /// Counts one change; one not taken back becomes a failed row naming the asset.
    fn record(&mut self, id: i64, verdict: Verdict) -> Result<()> {
        match verdict {
            Ok(_) => self.counts.succeeded += 1,
            Err(message) => {
                // The failed row names the asset (by name too, while it exists).
                let name = changes::stored_asset(self.tx, id)?.map(|a| a.values.name);
                let row = match (id > 0, name) {
                    (true, Some(name)) => json!({ "id": id, "name": name }),
                    (true, None) => json!({ "id": id }),
                    (false, _) => json!({}),
                };
                sql::insert_failure(
                    self.tx,
                    self.task_id,
                    self.seq,
                    None,
                    &row.to_string(),
                    &message,
                )?;
                self.counts.failed += 1;
            }
        }
        self.seq += 1;
        Ok(())
    }
}
