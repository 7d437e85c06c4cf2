//! One batch of an import task: each row checked by the shared row rules against the task's
//! lookup cache, then stored as an asset or a failed row, in the caller's transaction.

use super::{with_line, Batch};
use crate::auth::Role;
use crate::db::assets::{self as asset_sql, Scope};
use crate::db::tasks::{Chunk, Counts, TaskWriter};
use crate::db::{self, tasks as sql, users};
use crate::db::{changes, history};
use crate::error::{Error, Result};
use crate::files::UploadRow;
use crate::rows::{self, Fields, Lookups, RowAction, Val};
use rusqlite::Connection;
use serde_json::{json, Value};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// What the task's runner (who last re-ran it, else its creator) may touch, as of now (a user
/// moved or demoted since does not keep rights they lost; a re-run never borrows the
/// creator's).
pub fn runner_scope(conn: &Connection, task: &sql::TaskState) -> Result<Scope> {
    let creator = users::user_by_id(conn, task.runner_id)?
        .ok_or_else(|| Error::internal(format!("task {} has no runner", task.id)))?;
    let role = Role::from_character(creator.character);
    Ok(match (role, creator.department_id) {
        (Some(Role::Manager), Some(d)) => {
            Scope::Departments(task.entity_id, db::org::department_subtree(conn, d)?)
        }
        (Some(Role::Admin), _) => Scope::Entity(task.entity_id),
        // Anyone else manages nothing: every row fails with the rights rule.
        _ => Scope::Departments(task.entity_id, Vec::new()),
    })
}

/// A dry run's rows checked as they are stored, on the storing thread, chunk by chunk: the
/// check overlaps the reading of the file (on the other core) instead of following it, and the
/// task is done when it becomes visible. Each chunk's check (its counts, failed rows and
/// preview, and the checkpoint) commits in a transaction of its own; an upload stopped half-way
/// takes all of it back with the task (`TaskWriter::abandon`, `forget_unstored`).
pub struct CheckAsStored {
    task: sql::TaskState,
    lookups: Lookups,
    /// The rows of the chunk being filled, as read: checked from their fields as the reader
    /// found them (no second reading of their JSON) once the chunk is stored.
    rows: Vec<UploadRow>,
}

impl CheckAsStored {
    /// For new dry-run task `task_id`, with the rights of its creator.
    pub fn new(conn: &Connection, task_id: i64) -> Result<CheckAsStored> {
        let task = sql::new_task_state(conn, task_id)?
            .ok_or_else(|| Error::internal(format!("new task {task_id} vanished")))?;
        let scope = runner_scope(conn, &task)?;
        let lookups = Lookups::new(scope).for_dry_run(task_id);
        Ok(CheckAsStored {
            task,
            lookups,
            rows: Vec::new(),
        })
    }

    /// A row the writer was just given; checked with its chunk once that is stored.
    pub fn stored(&mut self, writer: &mut TaskWriter, row: UploadRow) -> Result<()> {
        self.rows.push(row);
        self.flushed(writer)
    }

    /// Checks the chunk the writer stored last, if it stored one since.
    pub fn flushed(&mut self, writer: &mut TaskWriter) -> Result<()> {
        let Some(chunk) = writer.take_flushed() else {
            return Ok(());
        };
        let rows = std::mem::take(&mut self.rows);
        if rows.len() as i64 != chunk.row_count {
            return Err(Error::internal(format!(
                "task {}: the chunk at {} holds {} rows, {} were given",
                self.task.id,
                chunk.first_seq,
                chunk.row_count,
                rows.len()
            )));
        }
        let read: Vec<ReadRow> = rows
            .iter()
            .enumerate()
            .map(|(index, row)| ReadRow {
                index,
                raw: &row.json,
                line: Some(row.line as i64),
                fields: match &row.spans {
                    Some(spans) => Fields::from_spans(&row.json, spans),
                    None => Fields::read(&row.json),
                },
            })
            .collect();
        let conn = writer.conn();
        let tx = db::write_tx(conn)?;
        let named = read.iter().filter_map(|row| rows::named_id(&row.fields));
        rows::read_ahead(&tx, &mut self.lookups, named)?;
        let first_seq = chunk.first_seq;
        let groups = std::iter::once(Ok(read));
        let counts = run_rows(&tx, &self.task, &mut self.lookups, first_seq, groups)?;
        sql::advance(&tx, self.task.id, first_seq + chunk.row_count, &counts)?;
        tx.commit()?;
        Ok(())
    }

    /// Ends the checks, every row seen: what stood in for the assets it would have created
    /// goes.
    pub fn end(self, conn: &mut db::Conn) -> Result<()> {
        let tx = db::write_tx(conn)?;
        sql::end_dry_run(&tx, self.task.id)?;
        tx.commit()?;
        Ok(())
    }
}

/// Rows travel from the reader to the worker in groups, so the channel costs little per row.
const GROUP_ROWS: usize = 64;

/// One row as the reader thread hands it over: where it sits, its text as submitted, the file
/// line it came from, and its fields.
struct ReadRow<'a> {
    index: usize,
    raw: &'a str,
    line: Option<i64>,
    fields: Fields<'a>,
}

/// How many changes a dry run's preview keeps.
const PREVIEW_MAX: usize = 50;

/// What an accepted row did (or, in a dry run, would do).
enum Done {
    Created,
    Updated,
    Unchanged,
}

/// One batch's place in its task: which task, whether it only checks, and the preview it adds
/// to.
struct BatchRun<'t> {
    task: &'t sql::TaskState,
    /// Who the history names for this batch's changes.
    source: history::Source,
    dry_run: bool,
    preview: Vec<Value>,
    today: i64,
}

/// Runs rows `skip..` of a stored chunk; returns its counts. Reading the rows' JSON (a third
/// of the work) happens on a second thread while this one checks and writes: SQLite writes on
/// one thread, so the second core would otherwise sit idle. A dry run writes no asset: rows
/// are checked, counted and previewed only. A real run records what an undo needs (the ids
/// it created, the values it replaced) in the same transaction.
pub fn run_batch(
    tx: &Connection,
    task: &sql::TaskState,
    lookups: &mut Lookups,
    chunk: &Chunk,
    skip: usize,
) -> Result<Counts> {
    std::thread::scope(|scope| -> Result<Counts> {
        let (send, receive) = crossbeam_channel::bounded(4);
        let reader = std::thread::Builder::new()
            .name(format!("task-{}-reader", task.id))
            .spawn_scoped(scope, move || read_rows(chunk, skip, send))
            .map_err(|e| Error::caused("cannot start row reader", e))?;
        let counts = run_rows(tx, task, lookups, chunk.first_seq, receive.into_iter());
        reader
            .join()
            .map_err(|_| Error::internal(format!("task {}: row reader panicked", task.id)))?;
        counts
    })
}

/// Checks (and, unless a dry run, writes) rows of the chunk starting at `first_seq`, as they
/// arrive in groups; returns their counts.
fn run_rows<'r>(
    tx: &Connection,
    task: &sql::TaskState,
    lookups: &mut Lookups,
    first_seq: i64,
    groups: impl Iterator<Item = Result<Vec<ReadRow<'r>>>>,
) -> Result<Counts> {
    let mut run = BatchRun {
        task,
        source: history::Source {
            entity_id: task.entity_id,
            actor_id: task.runner_id,
            task_id: Some(task.id),
            request_id: None,
        },
        dry_run: task.checks_only(),
        preview: Vec::new(),
        today: crate::clock::today_day(),
    };
    let mut inserter = asset_sql::AssetInserter::new(tx)?;
    let mut counts = Counts::default();
    for group in groups {
        for row in group? {
            let seq = first_seq + row.index as i64;
            let outcome = catch_unwind(AssertUnwindSafe(|| {
                run.row(tx, &mut inserter, lookups, &row, seq)
            }));
            let message = match outcome {
                Ok(Ok(Ok(done))) => {
                    match done {
                        Done::Created => counts.created += 1,
                        Done::Updated => counts.updated += 1,
                        Done::Unchanged => counts.unchanged += 1,
                    }
                    continue;
                }
                Ok(Ok(Err(message))) => message,
                // A full disk or a database too busy to write is no fault of the row, and an
                // update that failed half-written must not be kept: the batch stops, and the
                // task waits and resumes (tasks/mod.rs).
                Ok(Err(e @ (Error::DiskFull | Error::Busy(_)))) => return Err(e),
                Ok(Err(e)) if row.fields.id != Val::Absent => return Err(e),
                Ok(Err(e)) => {
                    log::error!("task {} row {seq}: {}", task.id, e.cause());
                    "数据库错误，该行未能导入".to_owned()
                }
                Err(_) => {
                    log::error!("task {} row {seq}: panic", task.id);
                    "内部错误，该行未能导入".to_owned()
                }
            };
            let message = with_line(row.line, &message);
            sql::insert_failure(tx, task.id, seq, row.line, row.raw, &message)?;
            counts.failed += 1;
        }
    }
    counts.succeeded = counts.created + counts.updated + counts.unchanged;
    if run.dry_run {
        changes::add_preview(tx, task.id, &run.preview, PREVIEW_MAX)?;
    } else {
        inserter.finish(&run.source)?;
        if let Some(range) = inserter.created() {
            changes::record_created(tx, task.id, range)?;
        }
    }
    Ok(counts)
}

impl BatchRun<'_> {
    /// Checks one row and, unless this is a dry run, writes it.
    fn row(
        &mut self,
        tx: &Connection,
        inserter: &mut asset_sql::AssetInserter,
        lookups: &mut Lookups,
        row: &ReadRow,
        seq: i64,
    ) -> Result<Result<Done, String>> {
        let action = match rows::check_import_row(tx, lookups, &row.fields, self.today)? {
            Ok(action) => action,
            Err(message) => return Ok(Err(message)),
        };
        let previewing = self.dry_run && self.preview.len() < PREVIEW_MAX;
        let line = row.line.unwrap_or(seq + 1);
        match action {
            RowAction::Create(asset) if self.dry_run => {
                // A stand-in id below zero: later rows of this batch may name it as parent,
                // and later batches find it by name in task_dry_item.
                lookups.created(-(seq + 1), &asset);
                if asset.asset_class == 1 {
                    changes::record_dry_item(
                        tx,
                        self.task.id,
                        asset.department_id,
                        &asset.name,
                        seq,
                    )?;
                }
                if previewing {
                    self.preview
                        .push(json!({ "line": line, "action": "create", "name": asset.name }));
                }
                Ok(Ok(Done::Created))
            }
            RowAction::Create(asset) => {
                let id = inserter.insert(&asset)?;
                lookups.created(id, &asset);
                Ok(Ok(Done::Created))
            }
            RowAction::Update(update) if update.unchanged() => Ok(Ok(Done::Unchanged)),
            RowAction::Update(update) => {
                let id = update.current.id;
                if self.dry_run {
                    if previewing {
                        self.preview.push(json!({
                            "line": line, "action": "update", "id": id, "changes": update.changes()
                        }));
                    }
                } else {
                    let before = &update.current;
                    let after = (&update.after, None);
                    let change = (&self.source, history::Kind::ImportUpdated);
                    let done = changes::rewrite_asset(tx, id, &before.values, after, change)?;
                    let id_mark = inserter.highest_id();
                    changes::record_change(tx, self.task.id, before, done, id_mark)?;
                    // Only an item asset can be a parent: another's change leaves the cache right.
                    if before.values.asset_class == 1 {
                        lookups.changed(id);
                    }
                }
                Ok(Ok(Done::Updated))
            }
        }
    }
}

/// The reader thread: parses the chunk and each row's fields, in groups.
fn read_rows<'a>(
    chunk: &'a Chunk,
    skip: usize,
    send: crossbeam_channel::Sender<Result<Vec<ReadRow<'a>>>>,
) {
    let batch = match Batch::parse(chunk.first_seq, &chunk.rows, chunk.lines.as_deref()) {
        Ok(batch) => batch,
        Err(e) => {
            let _ = send.send(Err(e));
            return;
        }
    };
    let mut group = Vec::with_capacity(GROUP_ROWS);
    for (index, raw) in batch.rows.iter().copied().enumerate().skip(skip) {
        group.push(ReadRow {
            index,
            raw,
            line: batch.line(index),
            fields: Fields::read(raw),
        });
        // A closed channel means the worker gave up on this batch: stop reading.
        if group.len() == GROUP_ROWS && send.send(Ok(std::mem::take(&mut group))).is_err() {
            return;
        }
    }
    if !group.is_empty() {
        let _ = send.send(Ok(group));
    }
}
