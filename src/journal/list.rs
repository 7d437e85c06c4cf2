//! Reading the journal: the query a list (and its file) is asked with, the entries a caller
//! may see, a page of them newest first, and the whole list as a file.

use super::view::{self, EntryView};
use super::Kind;
use crate::auth::{Caller, Role};
use crate::db::journal::{self as sql, Entries, Filter};
use crate::db::{users, Pool};
use crate::error::{Error, Result};
use crate::files::{self, Format};
use crate::names;
use crate::paging::{Page, Paged};
use crate::rows::missing_field_message;
use chrono::{NaiveDate, TimeZone};
use rusqlite::Connection;
use std::io::Write;

/// Entries a list's total counts before it stops and says there are more (`total_capped`):
/// enough for every page a person pages through, where an exact count of a company's ten million
/// entries would read them all. A page further on is counted up to its own end.
pub const COUNT_BOUND: i64 = 10_000;

/// A list's query: `?page=&size=&actor=&kind=&since=&until=&task=`, each checked; an empty
/// value is no filter.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Asked {
    pub page: Option<String>,
    pub size: Option<String>,
    /// A user's name (case ignored, as identities are).
    pub actor: Option<String>,
    pub kind: Option<Kind>,
    /// Local days, both included.
    pub since: Option<NaiveDate>,
    pub until: Option<NaiveDate>,
    pub task: Option<i64>,
}

fn bad(key: &str, why: &str) -> Error {
    Error::BadBody(missing_field_message(key, Some(why)))
}

fn day(key: &str, value: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(value, "%Y-%m-%d").map_err(|_| bad(key, "日期格式为YYYY-MM-DD"))
}

/// Reads a list's query; a malformed value is code -2 naming its key. Other keys are ignored.
pub fn parse_query<'a>(pairs: impl Iterator<Item = (&'a str, &'a str)>) -> Result<Asked> {
    let mut asked = Asked::default();
    for (key, value) in pairs {
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        match key {
            "page" => asked.page = Some(value.to_owned()),
            "size" => asked.size = Some(value.to_owned()),
            "actor" => asked.actor = Some(value.to_owned()),
            "kind" => {
                let kind = Kind::from_code(value).ok_or_else(|| bad("kind", "未知的操作类型"))?;
                asked.kind = Some(kind);
            }
            "since" => asked.since = Some(day("since", value)?),
            "until" => asked.until = Some(day("until", value)?),
            "task" => {
                let task = value.parse().map_err(|_| bad("task", "任务编号须为整数"))?;
                asked.task = Some(task);
            }
            _ => {}
        }
    }
    if let (Some(since), Some(until)) = (asked.since, asked.until) {
        if until < since {
            return Err(bad("until", "结束日期不能早于开始日期"));
        }
    }
    Ok(asked)
}

/// The Unix time a local day starts at (a day that starts in a DST gap: its first instant).
fn day_start(day: NaiveDate) -> i64 {
    let local = |hour| {
        let naive = day.and_hms_opt(hour, 0, 0)?;
        chrono::Local.from_local_datetime(&naive).earliest()
    };
    local(0).or_else(|| local(1)).map_or_else(
        || day.and_time(Default::default()).and_utc().timestamp(),
        |t| t.timestamp(),
    )
}

/// The entries `caller` may read that the query asks for: a system admin's company's, or for
/// the super admin those of no company. None: the query names an actor no such entry can have
/// (no such user, or another company's), so there are none.
pub fn filter(conn: &Connection, caller: &Caller, asked: &Asked) -> Result<Option<Filter>> {
    let entity_id = match caller.role {
        Role::Admin => Some(caller.entity()?),
        Role::Super => None,
        _ => return Err(Error::Forbidden),
    };
    let actor_id = match &asked.actor {
        None => None,
        Some(name) => match names::find(name, |n| users::user_by_name(conn, n))? {
            Some(user) if user.entity_id == entity_id => Some(user.id),
            _ => return Ok(None),
        },
    };
    let next_day = |d: NaiveDate| d.succ_opt().unwrap_or(d);
    Ok(Some(Filter {
        entity_id,
        actor_id,
        kind: asked.kind.map(Kind::code),
        task_id: asked.task,
        since: asked.since.map(day_start),
        until: asked.until.map(|d| day_start(next_day(d))),
    }))
}

/// A page of the list, and whether its total was counted only up to a bound (there are more).
pub struct Listing {
    pub page: Paged<EntryView>,
    pub total_capped: bool,
}

/// A page of the entries `caller` may read that the query asks for, newest first.
pub fn list(conn: &Connection, caller: &Caller, asked: &Asked) -> Result<Listing> {
    let page = Page::parse(asked.page.as_deref().unwrap_or("1"), asked.size.as_deref())?;
    let Some(filter) = filter(conn, caller, asked)? else {
        page.check(0)?;
        return Ok(Listing {
            page: Paged {
                pages: 0,
                total: 0,
                data: Vec::new(),
            },
            total_capped: false,
        });
    };
    let bound = COUNT_BOUND.max(page.offset().saturating_add(page.size));
    let (total, total_capped) = sql::count(conn, &filter, bound)?;
    let pages = page.check(total)?;
    let data = sql::page(conn, &filter, page.size, page.offset())?
        .iter()
        .map(EntryView::of)
        .collect();
    Ok(Listing {
        page: Paged { pages, total, data },
        total_capped,
    })
}

/// Every entry of `filter` (None: none) as file rows, newest first, up to `max`, read a chunk
/// at a time.
fn file_rows(
    pool: &Pool,
    filter: Option<Filter>,
    max: i64,
) -> impl Iterator<Item = Result<Vec<files::Cell>, String>> {
    let entries = filter.map(|f| Entries::new(pool.clone(), f, max));
    entries
        .into_iter()
        .flatten()
        .map(|e| e.map(|e| view::file_row(&e)))
}

fn file_failed(e: String) -> Error {
    Error::internal(format!("journal file: {e}"))
}

/// Streams every entry of `filter` (newest first) as CSV into `out`.
pub fn write_csv(pool: &Pool, filter: Option<Filter>, out: &mut dyn Write) -> Result<()> {
    let rows = file_rows(pool, filter, i64::MAX);
    files::write_cells_csv(&view::FILE_COLUMNS, rows, out).map_err(file_failed)
}

/// Writes the entries of `filter` (newest first) as XLSX into a temporary file: one worksheet
/// (Excel's 1,048,575 rows) at most, its last row saying so when there were more.
pub fn write_xlsx(pool: &Pool, filter: Option<Filter>) -> Result<std::fs::File> {
    let cut = "（仅包含最新的记录：超出一个工作表的行数，请按日期分段下载）";
    let rows = file_rows(pool, filter, i64::from(files::XLSX_DATA_ROWS) + 1);
    files::write_cells_xlsx(&view::FILE_COLUMNS, rows, cut).map_err(file_failed)
}

/// The file's name: `journal-YYYYMMDD-HHMMSS.xlsx`.
pub fn file_name(format: Format) -> String {
    let now = chrono::Local::now().format("%Y%m%d-%H%M%S");
    format!("journal-{now}.{}", format.extension())
}
