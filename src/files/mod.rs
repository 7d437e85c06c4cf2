//! CSV / XLSX in and out: reading uploaded import files row by row, the import template, and the
//! failed-rows / export files. The formats and limits both directions share are here, the
//! columns in `crate::columns`; `read.rs` reads uploads and `write.rs` writes files (pure functions: no Rocket, no database);
//! `tasks.rs` joins them to the task engine (an upload stored as an import task, a task's
//! results written as a file).

pub(crate) mod beside;
mod read;
mod source;
mod table;
mod template;
mod write;
mod xlsx_cost;
mod xlsx_gate;

pub use read::{read_raw_rows, read_rows, read_rows_needing, FileRead, Layout, RawRow, ReadLimits};
pub use source::ReadAt;
pub use table::{write_cells_csv, write_cells_xlsx, Cell, XLSX_DATA_ROWS};
pub use template::{example_cells, template};
pub use write::{write_csv, write_xlsx, Sheet};

use crate::columns::{Column, EXPORT_COLUMNS, IMPORT_COLUMNS, TEMPLATE_COLUMNS};
use std::borrow::Cow;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
}

impl Format {
    /// From the `?format=` query value: "csv" | "xlsx" (case-insensitive); absent or empty -> Csv.
    pub fn from_query(q: Option<&str>) -> Result<Format, String> {
        match q.map(str::trim) {
            None | Some("") => Ok(Format::Csv),
            Some(s) if s.eq_ignore_ascii_case("csv") => Ok(Format::Csv),
            Some(s) if s.eq_ignore_ascii_case("xlsx") => Ok(Format::Xlsx),
            Some(s) => Err(format!("不支持的文件格式：{s}，只支持 csv 或 xlsx")),
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
        }
    }
}

/// The 结果 column the failed-rows file adds after the import columns, and its width.
const RESULT_HEADER: &str = "结果";
const RESULT_WIDTH: f64 = 48.0;
const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";
/// Excel's rows per worksheet, header included.
const XLSX_MAX_ROWS: u32 = 1_048_576;
/// Excel's limit on the characters in one cell.
const XLSX_MAX_CHARS: usize = 32_767;

/// One data line of an uploaded file: `line` is the 1-based line of the file (CSV: the line the
/// record starts on; XLSX: the sheet row number), `json` a JSON object with the JSON field names as
/// keys, in `IMPORT_COLUMNS` order, for the columns present in the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UploadRow {
    pub line: u64,
    pub json: String,
    /// Where each field's value stands in `json` verbatim, as reading the JSON back gives it:
    /// a row checked as it is stored needs no second reading (`rows::Fields::from_spans`).
    /// None when a value had to be escaped.
    pub spans: Option<Spans>,
}

/// Byte ranges of `UploadRow::json`, by field in `IMPORT_COLUMNS` order; None for a field the
/// row leaves out.
pub type Spans = [Option<(u32, u32)>; IMPORT_COLUMNS.len()];

/// Whether an upload's row (as the readers write it: a blank optional cell is left out) names
/// an asset by its 资产编号, so that importing it updates that asset rather than creating one.
/// A key is the only place `"id":` can stand unescaped in the row's JSON.
pub fn row_names_asset(json: &str) -> bool {
    json.contains("\"id\":")
}

#[derive(Debug, PartialEq, Eq)]
pub enum FileError<E> {
    /// The file cannot be read at all; the reason is for the client (Chinese).
    Unreadable(String),
    /// The sink refused a row.
    Sink(E),
}

/// What a spreadsheet reads as the start of a formula (OWASP: CSV injection).
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Whether a text, past any `'` it starts with, would start a formula.
fn formula_like(text: &str) -> bool {
    text.trim_start_matches('\'').starts_with(FORMULA_STARTS)
}

/// A text cell as the server writes it into a CSV. One a spreadsheet would run as a formula
/// gets a leading `'` (OWASP's advice), unless it is a plain number ("-5"); one that already
/// starts with `'` before such a character gets another, so reading takes exactly one off
/// (`csv_cell_read`) and a failed-rows file uploaded again holds what was sent. Control
/// characters other than TAB, LF and CR, which spreadsheets show as nothing or choke on, are
/// written as their visible symbols (U+2400…, ␀ for NUL).
fn csv_cell(text: &str) -> Cow<'_, str> {
    let number = text.trim().parse::<f64>().is_ok_and(f64::is_finite);
    let prefix = formula_like(text) && !number;
    let control = |c: char| c.is_control() && !matches!(c, '\t' | '\n' | '\r') && (c as u32) < 0x80;
    if !prefix && !text.contains(control) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 1);
    if prefix {
        out.push('\'');
    }
    for c in text.chars() {
        out.push(match c {
            '\u{7f}' => '\u{2421}',
            c if control(c) => char::from_u32(0x2400 + c as u32).unwrap_or('\u{fffd}'),
            c => c,
        });
    }
    Cow::Owned(out)
}

/// A CSV cell as read: the `'` that `csv_cell` put before a formula-like text is taken off.
fn csv_cell_read(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if formula_like(rest) => rest,
        _ => cell,
    }
}

#[cfg(test)]
mod tests;
