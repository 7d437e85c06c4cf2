//! Creating a task: its rows stored a chunk per transaction, the task invisible until they are
//! all stored (`TaskWriter`), from a JSON array body, an export's search, or an uploaded file.

use crate::auth::Caller;
use crate::db::tasks::{self as sql, NewTask, TaskKind, TaskWriter};
use crate::db::Conn;
use crate::error::{Error, Result};
use crate::files::beside::{beside, Feed};
use crate::files::{self, FileError, Format, ReadLimits};
use crate::rows::missing_field_message;
use crate::tasks::import::CheckAsStored;
use serde::de::{self, SeqAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::Value;

/// Feeds every element of a JSON array body to `each` as its raw text, without building the
/// whole array in memory. A body that is not an array is refused.
pub fn for_each_element(bytes: &[u8], mut each: impl FnMut(&str) -> Result<()>) -> Result<()> {
    struct Elements<'f, F>(&'f mut F, Option<Error>);
    impl<'de, F: FnMut(&str) -> Result<()>> Visitor<'de> for &mut Elements<'_, F> {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a JSON array")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            while let Some(raw) = seq.next_element::<&'de RawValue>()? {
                if let Err(e) = (self.0)(raw.get()) {
                    self.1 = Some(e);
                    return Err(de::Error::custom("stopped"));
                }
            }
            Ok(())
        }
    }
    let mut elements = Elements(&mut each, None);
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let parsed = de::Deserializer::deserialize_seq(&mut deserializer, &mut elements)
        .and_then(|_| deserializer.end());
    if let Some(e) = elements.1 {
        return Err(e);
    }
    parsed.map_err(|e| {
        if e.is_syntax() || e.is_eof() {
            Error::BadBody("请求体不是合法的JSON".into())
        } else {
            Error::BadBody(missing_field_message("body", Some("请求体必须是JSON数组")))
        }
    })
}

/// Stores a new task with every element of the JSON array body as a row, a chunk per
/// transaction (`TaskWriter`); returns its id. A body found bad half-way stores nothing.
pub fn create_from_json(
    conn: &mut Conn,
    caller: &Caller,
    kind: TaskKind,
    new: &NewTask,
    bytes: &[u8],
    chunk_rows: usize,
) -> Result<i64> {
    let owner = (caller.entity()?, caller.user_id);
    let mut writer = TaskWriter::create(conn, owner, kind, new, chunk_rows)?;
    store_new(&mut writer, |writer| {
        for_each_element(bytes, |raw| Ok(writer.push(raw, None)?))
    })
}

/// Stores an export task: of the ids of a JSON array body (the seed's), or, for
/// `{"filter": {…}}`, of every asset that search finds; with `"as_of": "YYYY-MM-DD"` too, of
/// the register as it stood at the end of that day (`history_retention_days` bounds how far
/// back). Anything else is answered as a body that is not an array.
pub fn create_export(
    conn: &mut Conn,
    caller: &Caller,
    bytes: &[u8],
    (chunk_rows, retention_days): (usize, u64),
) -> Result<i64> {
    #[derive(serde::Deserialize)]
    struct OfSearch {
        filter: Option<Value>,
        as_of: Option<Value>,
    }
    let of_search = bytes.trim_ascii_start().starts_with(b"{");
    let parsed = of_search.then(|| serde_json::from_slice::<OfSearch>(bytes).ok());
    match parsed {
        Some(Some(OfSearch { filter, as_of })) if filter.is_some() || as_of.is_some() => {
            let as_of = match as_of {
                None | Some(Value::Null) => None,
                Some(Value::String(text)) => {
                    Some(crate::history::as_of::parse_day(&text, retention_days)?)
                }
                Some(_) => return Err(Error::missing_field("as_of")),
            };
            let filter = filter.unwrap_or_else(|| Value::Object(Default::default()));
            let search =
                serde_json::from_value(filter).map_err(|_| Error::missing_field("filter"))?;
            create_export_of_search(conn, caller, (search, as_of), chunk_rows)
        }
        _ => {
            let new = NewTask::default();
            create_from_json(conn, caller, TaskKind::Export, &new, bytes, chunk_rows)
        }
    }
}

/// Stores an export of every asset a search finds (its paging ignored), selected here on the
/// server: the page no longer collects a million ids a thousand at a time; as of a past day, of
/// those it would have found then. Returns its id.
fn create_export_of_search(
    conn: &mut Conn,
    caller: &Caller,
    (search, as_of): (crate::assets::SearchRequest, Option<i64>),
    chunk_rows: usize,
) -> Result<i64> {
    let ids = match as_of {
        None => crate::assets::search_ids(conn, caller, search)?,
        Some(day) => {
            // One read transaction: the history and the assets as of one moment.
            let tx = conn.unchecked_transaction()?;
            let ids = crate::history::as_of::search_ids(&tx, caller, search, day)?;
            tx.commit()?;
            ids
        }
    };
    let new = NewTask {
        as_of,
        ..NewTask::default()
    };
    store_ids(conn, caller, (TaskKind::Export, &new), &ids, chunk_rows)
}

/// Stores a new task of `kind` whose rows are asset ids (an export's or labels' search, a
/// stocktake's list), a chunk per transaction; returns its id.
pub fn store_ids(
    conn: &mut Conn,
    caller: &Caller,
    (kind, new): (TaskKind, &NewTask),
    ids: &[i64],
    chunk_rows: usize,
) -> Result<i64> {
    let owner = (caller.entity()?, caller.user_id);
    let mut writer = TaskWriter::create(conn, owner, kind, new, chunk_rows)?;
    store_new(&mut writer, |writer| {
        let mut text = itoa::Buffer::new();
        for id in ids {
            writer.push(text.format(*id), None)?;
        }
        Ok(())
    })
}

/// Runs `push` (which pushes every row into the writer), then makes the new task visible;
/// returns its id. On any failure the half-stored task is taken back.
pub fn store_new(
    writer: &mut TaskWriter,
    push: impl FnOnce(&mut TaskWriter) -> Result<()>,
) -> Result<i64> {
    let stored = push(writer).and_then(|()| Ok(writer.finish_new()?));
    match stored {
        Ok(_) => Ok(writer.task_id),
        Err(e) => {
            writer.abandon(true);
            Err(e)
        }
    }
}

/// How a file was uploaded, beyond its bytes.
#[derive(Debug, Clone)]
pub struct Upload {
    pub format: Format,
    pub file_name: Option<String>,
    /// The SHA-256 of the file (hex), when it came with a name: the same file again the same
    /// day is pointed out.
    pub file_hash: Option<String>,
    /// `?dry_run=true`: check every row, write nothing until confirmed.
    pub dry_run: bool,
    /// `?check_duplicate=true`: refuse (code 16) a file that would create assets (a row without
    /// 资产编号) when a file of the same content (whatever its name) was imported in the last 24
    /// hours and not undone, so the page can ask before creating them twice. Never for a dry
    /// run (it writes nothing), nor for a file whose rows all update.
    pub check_duplicate: bool,
}

/// An uploaded file's name as the task list shows it: its last path segment, no control
/// characters, at most 255 characters (None when nothing is left).
pub(crate) fn shown_file_name(name: Option<&str>) -> Option<String> {
    name.map(|n| n.rsplit(['/', '\\']).next().unwrap_or(n))
        .map(|n| {
            n.chars()
                .filter(|c| !c.is_control())
                .take(255)
                .collect::<String>()
        })
        .filter(|n| !n.trim().is_empty())
}

/// Stores an import task with one row per data line of the file, a chunk per transaction. A
/// file that cannot be read (at all, or at some line) creates no task.
pub fn create_import(
    conn: &mut Conn,
    caller: &Caller,
    upload: &Upload,
    file: &(impl files::ReadAt + ?Sized),
    limits: ReadLimits,
    chunk_rows: usize,
) -> Result<i64> {
    let format = upload.format;
    let file_name = shown_file_name(upload.file_name.as_deref());
    let owner = (caller.entity()?, caller.user_id);
    let file_hash = file_name.as_ref().and(upload.file_hash.clone());
    // The same content (whatever its name) imported for real in the last day and not undone:
    // asked, an upload is refused if it would create assets again. A dry run creates nothing,
    // and a file of update rows alone (each with its 资产编号) changes the same assets again.
    let earlier = match (upload.check_duplicate && !upload.dry_run, &file_hash) {
        (true, Some(hash)) => {
            let since = (chrono::Local::now() - chrono::Duration::hours(24))
                .format("%Y-%m-%d %H:%M:%S")
                .to_string();
            sql::same_upload_since(conn, owner.0, hash, &since)?
        }
        _ => None,
    };
    let new = NewTask {
        file_name,
        dry_run: upload.dry_run,
        file_hash,
        ..NewTask::default()
    };
    let mut writer = TaskWriter::create(conn, owner, TaskKind::Import, &new, chunk_rows)?;
    store_new(&mut writer, |writer| {
        // A dry run is checked as its rows are stored, while the file is still being read.
        let task_id = writer.task_id;
        let mut check = match upload.dry_run {
            true => Some(CheckAsStored::new(writer.conn(), task_id)?),
            false => None,
        };
        let read = read_beside(format, file, (limits, None), |row| {
            // Refused at the first row that would create an asset again, not after the file.
            if let (Some((task, time)), false) = (&earlier, files::row_names_asset(&row.json)) {
                return Err(Error::SameFile {
                    task: *task,
                    time: time.clone(),
                });
            }
            writer.push(&row.json, Some(row.line as i64))?;
            match check.as_mut() {
                Some(check) => check.stored(writer, row),
                None => Ok(()),
            }
        })?;
        // A file of a header alone is a mistake (the wrong sheet, an empty export), not a
        // task of nothing that the list would show as 成功.
        if read.rows == 0 {
            return Err(Error::BadBody("文件中没有数据行".into()));
        }
        writer.note_unread_columns(read.unread_columns);
        if let Some(mut check) = check {
            writer.finish()?;
            check.flushed(writer)?;
            check.end(writer.conn())?;
        }
        Ok(())
    })
}

/// Groups of rows an upload's reader may run ahead of their storing (32,768 rows, a few MB):
/// storing works in bursts (a chunk's commit and check, a WAL checkpoint: tens of
/// milliseconds), and with 8 groups the reader of a large file stood waiting half a second in
/// all.
const UPLOAD_IN_FLIGHT: usize = 128;

/// Reads the file on a thread of its own (`upload-reader`) while this one stores its rows
/// (`store`), in file order: reading (unzipping, XML) takes one core, laying the rows out as
/// JSON and storing them (SQLite) the other. Returns what was read (the rows, the headers not
/// read); a file error or a store error stops both.
/// `required`: the fields the header must name (None: the import's).
pub(crate) fn read_beside<S: files::ReadAt + ?Sized>(
    format: Format,
    file: &S,
    (limits, required): (ReadLimits, Option<&'static [&'static str]>),
    mut store: impl FnMut(files::UploadRow) -> Result<()>,
) -> Result<files::FileRead> {
    let read = move |feed: &mut Feed<files::RawRow>| {
        // A refused push: the storing side stopped, and says why.
        files::read_raw_rows(format, file, (limits, required), |row| {
            feed.push(row).then_some(()).ok_or(())
        })
    };
    // Rows are laid out as JSON here, not on the reading thread: reading an XLSX is the longer
    // half, and the second core has room.
    let store_all = |rows: &mut dyn Iterator<Item = files::RawRow>| -> Result<()> {
        let mut layout = files::Layout::new(limits);
        for row in rows {
            store(layout.row(row).map_err(Error::BadBody)?)?;
        }
        Ok(())
    };
    let (read, stored) =
        beside(("upload-reader", UPLOAD_IN_FLIGHT), read, store_all).map_err(Error::internal)?;
    stored?;
    read.map_err(|e| match e {
        FileError::Unreadable(why) => Error::BadBody(why),
        FileError::Sink(()) => Error::internal("upload rows stopped being stored"),
    })
}
