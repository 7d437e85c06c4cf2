//! A request of many lines uploaded as a file (a 调拨单 or 领用单 in CSV or XLSX): one row per
//! asset, by its 资产编号, with 数量 for part of a quantity asset (other columns, such as an
//! export's, are read and left alone). Checked like an import's dry run, every line that cannot
//! be asked named with its file line and reason; submitted, it becomes one request, or nothing
//! at all while any line has a problem.

use super::asks::Asked;
use crate::auth::Caller;
use crate::error::{Error, Result};
use crate::files::{self, Cell, FileError, Format, ReadLimits, UploadRow};
use rusqlite::Connection;
use serde::Serialize;
use serde_json::{json, Value};

/// The most lines one uploaded request may have.
pub const FILE_LINES_MAX: u64 = 200_000;
/// The problems a dry run lists (all are counted).
const PROBLEMS_SHOWN: usize = 1000;

/// What an uploaded request asks besides its lines.
pub struct FileAsk {
    pub kind: Value,
    pub target_user: Option<String>,
    pub target_department: Option<String>,
    pub reason: String,
    pub dry_run: bool,
}

/// One line that cannot be asked.
#[derive(Debug, Serialize)]
pub struct LineProblem {
    /// The file's line (the header is line 1).
    pub line: u64,
    pub asset: Option<i64>,
    pub reason: String,
}

/// Reads and checks the file; a dry run answers what it found, a submission the new request
/// (`{"id", "lines"}`), or is refused naming the first problems when any line has one.
pub fn ask_file(
    conn: &Connection,
    caller: &Caller,
    ask: &FileAsk,
    (format, file, limits): (Format, std::fs::File, ReadLimits),
) -> Result<Value> {
    let what = (
        &ask.kind,
        ask.target_user.as_deref(),
        ask.target_department.as_deref(),
    );
    let mut asked = Asked::new(conn, caller, what, &ask.reason)?;
    let mut lines = Vec::new();
    let mut problems = Vec::new();
    let mut rows = 0;
    let file = &file;
    let read = files::read_rows_needing(format, file, (limits, Some(&["id"])), |row: UploadRow| {
        // A request's own bound, said as such (the reader's names the import setting).
        rows += 1;
        if rows > FILE_LINES_MAX {
            return Err(Error::Rule(format!(
                "一份申请单最多{FILE_LINES_MAX}行，请拆分为多份申请"
            )));
        }
        let (asset, count) = match asset_and_count(&row.json) {
            Ok(found) => found,
            Err((asset, why)) => {
                problems.push(LineProblem {
                    line: row.line,
                    asset,
                    reason: why,
                });
                return Ok(());
            }
        };
        match asked.line(conn, asset, count)? {
            Ok(line) => lines.push(line),
            Err(problem) => problems.push(LineProblem {
                line: row.line,
                asset: Some(asset),
                reason: problem.text(),
            }),
        }
        Ok(())
    });
    let read = match read {
        Ok(read) => read,
        Err(FileError::Unreadable(why)) => return Err(Error::BadBody(why)),
        Err(FileError::Sink(e)) => return Err(e),
    };
    if read.rows == 0 {
        return Err(Error::Rule(
            "文件中没有资产行：每行一项资产，填写资产编号（数量型资产可填数量）".into(),
        ));
    }
    let kind = asked.kind();
    if ask.dry_run {
        let count = problems.len();
        problems.truncate(PROBLEMS_SHOWN);
        return Ok(json!({
            "dry_run": true,
            "kind": kind.name(),
            "kind_label": kind.label(),
            "lines": read.rows,
            "valid": lines.len(),
            "problem_count": count,
            "problems": problems,
            "unread_columns": read.unread_columns.iter().filter(|c| c.trim() != NOTE).collect::<Vec<_>>(),
        }));
    }
    if let Some(first) = problems.first() {
        return Err(Error::Rule(format!(
            "文件中有{}行不能申请（第{}行：{}），请先仅校验，修正或删去这些行后再提交",
            problems.len(),
            first.line,
            first.reason
        )));
    }
    let id = asked.store(conn, &lines)?;
    Ok(json!({ "id": id, "lines": lines.len() }))
}

/// A row's 资产编号 and 数量 (None: all of it), or why they cannot be read (with the asset,
/// when it could be).
fn asset_and_count(json: &str) -> std::result::Result<(i64, Option<i64>), (Option<i64>, String)> {
    let row: Value = serde_json::from_str(json).map_err(|_| (None, "该行无法读取".to_owned()))?;
    let whole = |field: &str| -> std::result::Result<Option<i64>, String> {
        let value = &row[field];
        crate::rows::whole_number(value).ok_or_else(|| {
            format!(
                "{}“{}”不是整数",
                crate::columns::header_of(field),
                plain(value)
            )
        })
    };
    let asset = whole("id")
        .and_then(|id| id.ok_or_else(|| "缺少资产编号".to_owned()))
        .map_err(|why| (None, why))?;
    let count = whole("count").map_err(|why| (Some(asset), why))?;
    Ok((asset, count))
}

fn plain(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The template's column for the asker's own notes, which nothing reads.
const NOTE: &str = "备注";

/// The headers of a request file and their widths.
const HEADERS: [(&str, f64); 3] = [("资产编号", 12.0), ("数量", 10.0), (NOTE, 30.0)];

/// The template of a request file: its header and one example row explaining the columns.
pub fn template(format: Format) -> Result<Vec<u8>> {
    let example = vec![
        Cell::Number(1.0),
        Cell::Empty,
        Cell::Text("示例：每行一项资产；数量留空表示全部，数量型资产可只填一部分".into()),
    ];
    let rows = std::iter::once(Ok(example));
    match format {
        Format::Csv => {
            let mut out = Vec::new();
            files::write_cells_csv(&HEADERS, rows, &mut out).map_err(Error::internal)?;
            Ok(out)
        }
        Format::Xlsx => {
            use std::io::Read;
            let mut file = files::write_cells_xlsx(&HEADERS, rows, "").map_err(Error::internal)?;
            let mut out = Vec::new();
            file.read_to_end(&mut out)
                .map_err(|e| Error::caused("request template", e))?;
            Ok(out)
        }
    }
}
