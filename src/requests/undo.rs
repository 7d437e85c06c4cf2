//! Taking back an approved request (撤销申请), in one transaction (or, for a request of many
//! lines, a batch per transaction of its task): each executed line whose asset
//! nothing changed since the approval (its revision is the one the line left) gets back the
//! values it had before, from the approval's own history entry; a part split off is merged back
//! into its asset (count and value), when neither changed since. A line whose asset changed is
//! left as it is and says why, as an import's undo leaves a changed asset.

use super::execute::LineOutcome;
use crate::db::changes::{self, StoredAsset};
use crate::db::history::{self, Kind as History, Source, State};
use crate::db::requests::{self as sql, LineRow, RequestRow};
use crate::error::Result;
use rusqlite::Connection;

const CHANGED_SINCE: &str = "未撤销：资产在此申请之后已被修改";
const GONE: &str = "未撤销：资产已不存在";
const HISTORY_GONE: &str = "未撤销：资产的履历已超过保留期限被清除，无法还原";

/// Takes back up to `limit` executed lines after seq `after`, in seq order; returns how each
/// ended. A line taken back leaves the executed state, one left keeps it with its reason, in the
/// calling transaction; an undo task's checkpoint (the last seq done) moves in the same one.
pub(super) fn undo_lines(
    conn: &Connection,
    source: &Source,
    request: &RequestRow,
    (after, limit): (i64, i64),
) -> Result<Vec<LineOutcome>> {
    let lines = sql::lines_after(conn, request.id, 1, (after, limit))?;
    let mut outcomes = Vec::with_capacity(lines.len());
    for line in lines {
        let verdict = match line.split_id {
            None => restore(conn, source, request, &line)?,
            Some(part) => merge(conn, source, &line, part)?,
        };
        sql::undone_line(conn, (request.id, line.seq), verdict)?;
        outcomes.push(LineOutcome {
            seq: line.seq,
            asset_id: line.asset_id,
            count: line.count,
            not_done: verdict.map(str::to_owned),
        });
    }
    Ok(outcomes)
}

/// The asset as stored if it is still at `revision` (nothing changed it since), else why not.
fn unchanged(
    conn: &Connection,
    id: i64,
    revision: Option<i64>,
) -> Result<std::result::Result<StoredAsset, &'static str>> {
    Ok(match changes::stored_asset_unnamed(conn, id)? {
        None => Err(GONE),
        Some(a) if a.expire || Some(a.revision) != revision => Err(CHANGED_SINCE),
        Some(a) => Ok(a),
    })
}

/// Gives a line's asset back the values it had before the approval, taken back from the
/// approval's entry (its latest: nothing changed the asset since).
fn restore(
    conn: &Connection,
    source: &Source,
    request: &RequestRow,
    line: &LineRow,
) -> Result<Option<&'static str>> {
    let asset = match unchanged(conn, line.asset_id, line.revision)? {
        Ok(asset) => asset,
        Err(why) => return Ok(Some(why)),
    };
    let entry = history::latest_own(conn, asset.id)?;
    let Some(changes) = entry
        .filter(|e| e.request_id == Some(request.id))
        .and_then(|e| e.changes)
    else {
        return Ok(Some(HISTORY_GONE));
    };
    let mut before = State {
        values: asset.values.clone(),
        expire: asset.expire,
    };
    history::take_back(&mut before, &changes)?;
    let change = (source, History::RequestUndone);
    changes::rewrite_asset(
        conn,
        asset.id,
        &asset.values,
        (&before.values, None),
        change,
    )?;
    Ok(None)
}

/// Merges a part split off by the approval back into its asset: the part goes (its entry
/// holds what it was), the asset gets its count and value back.
fn merge(
    conn: &Connection,
    source: &Source,
    line: &LineRow,
    part: i64,
) -> Result<Option<&'static str>> {
    let part = match unchanged(conn, part, line.revision)? {
        Ok(part) => part,
        Err(why) => return Ok(Some(why)),
    };
    let rest = match unchanged(conn, line.asset_id, line.rest_revision)? {
        Ok(rest) => rest,
        Err(why) => return Ok(Some(why)),
    };
    if changes::has_children(conn, part.id)? {
        return Ok(Some(CHANGED_SINCE));
    }
    changes::delete_asset_as(conn, &part, (source, History::SplitMerged))?;
    let mut whole = rest.values.clone();
    whole.count += part.values.count;
    whole.initial_price_cents += part.values.initial_price_cents;
    let change = (source, History::RequestUndone);
    changes::rewrite_asset(conn, rest.id, &rest.values, (&whole, None), change)?;
    Ok(None)
}
