//! The register as it stood at the end of a past day, from the history: an asset with no entry
//! since is as it is now; one changed since is walked back through its later entries (newest
//! first) to what it was; one created since (by the page, or in an import batch's range) was
//! not there; one an undo deleted since is rebuilt from its deletion entry.

use crate::assets::SearchRequest;
use crate::auth::Caller;
use crate::db::assets::{self as asset_sql, AssetView};
use crate::db::changes;
use crate::db::history::{self as sql, Entry, State};
use crate::error::{Error, Result};
use chrono::TimeZone;
use rusqlite::Connection;

/// A past day's end, and what was created after it.
pub struct AsOf {
    pub day: i64,
    /// Unix seconds: the first moment of the next local day.
    pub end: i64,
    created_later: Vec<(i64, i64)>,
}

/// The first moment after local day `day` ends, as Unix seconds.
pub fn end_of(day: i64) -> i64 {
    let next = crate::clock::date_of(day + 1);
    let midnight = next.and_hms_opt(0, 0, 0).unwrap_or_default();
    chrono::Local
        .from_local_datetime(&midnight)
        .earliest()
        .map(|t| t.timestamp())
        // A midnight the local clock skips: the UTC one is near enough.
        .unwrap_or_else(|| midnight.and_utc().timestamp())
}

fn bad_date(why: &str) -> Error {
    Error::BadBody(crate::rows::missing_field_message("as_of", Some(why)))
}

/// An `as_of` as a client sends it ('YYYY-MM-DD'): a day no later than today, and (when the
/// history keeps `retention_days` only) no earlier than the oldest day it still covers.
pub fn parse_day(text: &str, retention_days: u64) -> Result<i64> {
    let date = chrono::NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map_err(|_| bad_date("截至日期须为YYYY-MM-DD格式的日期"))?;
    let day = crate::clock::day_of(date);
    let today = crate::clock::today_day();
    if day > today {
        return Err(bad_date("截至日期不能晚于今天"));
    }
    if retention_days > 0 && day < today - retention_days as i64 {
        let why = format!("资产履历只保留{retention_days}天，更早日期的登记表已无法还原");
        return Err(bad_date(&why));
    }
    Ok(day)
}

impl AsOf {
    pub fn new(conn: &Connection, day: i64) -> Result<AsOf> {
        let end = end_of(day);
        Ok(AsOf {
            day,
            end,
            created_later: sql::ranges_after(conn, end)?,
        })
    }

    /// The asset as it stood (None: it did not exist then).
    pub fn state(&self, conn: &Connection, id: i64) -> Result<Option<State>> {
        self.walked_back(conn, id, &sql::own_after(conn, id, self.end)?)
    }

    /// The asset as it is, walked back through its entries `later` than the day's end.
    fn walked_back(&self, conn: &Connection, id: i64, later: &[Entry]) -> Result<Option<State>> {
        let now = changes::stored_asset(conn, id)?.map(|a| a.state());
        sql::state_at(now, later, &self.created_later, id)
    }

    /// The asset view as it stood (with its value as of that day), with its company and
    /// department then; None: it did not exist. `views` reads those unchanged since (one query,
    /// as a plain export's).
    pub fn view(
        &self,
        conn: &Connection,
        views: &mut asset_sql::ViewReader,
        id: i64,
    ) -> Result<Option<(i64, i64, AssetView)>> {
        let later = sql::own_after(conn, id, self.end)?;
        if later.is_empty() {
            if sql::in_ranges(&self.created_later, id) {
                return Ok(None);
            }
            let view = views.read(id)?;
            return Ok(view.map(|(a, view)| (a.entity_id, a.department_id, view)));
        }
        let Some(then) = self.walked_back(conn, id, &later)? else {
            return Ok(None);
        };
        let values = &then.values;
        let view = asset_sql::past_view(conn, id, (values, then.expire), self.day)?;
        Ok(view.map(|view| (values.entity_id, values.department_id, view)))
    }
}

/// The ids of the assets the caller sees that matched the search at the end of `day`, in id
/// order: those unchanged since as the search finds them now (on that day's values), the
/// others as they were, searched in a table of their own.
pub fn search_ids(
    conn: &Connection,
    caller: &Caller,
    search: SearchRequest,
    day: i64,
) -> Result<Vec<i64>> {
    let scope = crate::org::scope(conn, caller)?;
    let filter = crate::assets::filter_of(conn, &scope, search)?;
    let as_of = AsOf::new(conn, day)?;
    let changed = sql::changed_after(conn, scope.entity_id(), as_of.end)?;
    let mut ids: Vec<i64> = asset_sql::matching_ids(conn, &scope, &filter, day)?
        .into_iter()
        .filter(|id| changed.binary_search(id).is_err())
        .filter(|id| !sql::in_ranges(&as_of.created_later, *id))
        .collect();
    let mut past = Vec::new();
    for id in changed {
        if let Some(state) = as_of.state(conn, id)? {
            past.push((id, state));
        }
    }
    let rows = past.iter().map(|(id, s)| (*id, &s.values, s.expire));
    asset_sql::store_past_assets(conn, rows)?;
    ids.extend(asset_sql::matching_past_ids(conn, &scope, &filter, day)?);
    ids.sort_unstable();
    Ok(ids)
}
