//! Writing the import template and a task's results (failed rows, export records) as CSV or
//! XLSX.

use super::*;
use crate::columns::by_field;
use rust_xlsxwriter::{ExcelDateTime, Workbook, Worksheet, XlsxError};
use serde_json::Value;
use std::io::{Seek, SeekFrom, Write};

/// The import template: the Chinese header row and one example row.
pub fn template(format: Format) -> Result<Vec<u8>, String> {
    const EXAMPLE: &str =
        "办公椅,数量型,120.50,10,5,数量型资产,人体工学椅,A座301,liusn,CST,,";
    match format {
        Format::Csv => {
            let mut out = UTF8_BOM.to_vec();
            let mut writer = csv::Writer::from_writer(&mut out);
            writer
                .write_record(TEMPLATE_COLUMNS.iter().map(|c| c.header))
                .and_then(|()| writer.write_record(EXAMPLE.split(',')))
                .map_err(|e| format!("生成模板失败：{e}"))?;
            writer.flush().map_err(|e| format!("生成模板失败：{e}"))?;
            drop(writer);
            Ok(out)
        }
        Format::Xlsx => {
            let build = || -> Result<Vec<u8>, XlsxError> {
                let mut workbook = Workbook::new();
                let header = rust_xlsxwriter::Format::new().set_bold();
                let money = rust_xlsxwriter::Format::new().set_num_format("0.00");
                let sheet = workbook.add_worksheet();
                sheet.set_freeze_panes(1, 0)?;
                for (col, (column, example)) in
                    TEMPLATE_COLUMNS.iter().zip(EXAMPLE.split(',')).enumerate()
                {
                    let col = col as u16;
                    sheet.set_column_width(col, column.width)?;
                    sheet.write_string_with_format(0, col, column.header, &header)?;
                    // Numbers as numbers, so Excel does not flag "number stored as text".
                    match example.parse::<f64>() {
                        Ok(n) if column.field == "price" => {
                            sheet.write_number_with_format(1, col, n, &money)?
                        }
                        Ok(n) => sheet.write_number(1, col, n)?,
                        Err(_) => sheet.write_string(1, col, example)?,
                    };
                }
                workbook.save_to_buffer()
            };
            build().map_err(|e| format!("生成模板失败：{e}"))
        }
    }
}

/// Which file `write_csv` / `write_xlsx` produce.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sheet {
    /// An import task's failed rows plus a 结果 column, ready to fix and upload again.
    Failed,
    /// An export task's asset records.
    Export,
    /// An export task's assets in the import columns (资产编号 first, 原值 the initial
    /// value, 创建时间 the asset's date), to edit and upload again as updates. Retired assets, which an
    /// import cannot change, are left out.
    ForImport,
}

/// One output cell.
enum Out {
    Empty,
    Text(String),
    /// The value, and its JSON text for CSV.
    Number(f64, String),
    /// A date, and its text (YYYY-MM-DD) for CSV.
    Date(ExcelDateTime, String),
}

impl Out {
    fn csv_text(&self) -> &str {
        match self {
            Out::Empty => "",
            Out::Text(s) | Out::Number(_, s) | Out::Date(_, s) => s,
        }
    }
}

/// A number sent as text (a file's cell, as failed rows keep it) as a number cell, so Excel
/// does not flag "number stored as text"; its text is kept for the CSV.
fn numeric(value: Option<&Value>) -> Out {
    match value {
        Some(Value::String(s)) => {
            let plain = !s.is_empty() && s.trim() == s && !s.starts_with('+') && s.len() <= 15;
            match s.parse::<f64>() {
                Ok(n) if plain && n.is_finite() => Out::Number(n, s.clone()),
                _ => plain_text(s),
            }
        }
        other => plain(other),
    }
}

fn plain_text(s: &str) -> Out {
    Out::Text(s.to_owned())
}

/// A date text (YYYY-MM-DD) as a date cell.
fn date(value: Option<&Value>) -> Out {
    match value {
        Some(Value::String(s)) => match ExcelDateTime::parse_from_str(s) {
            Ok(d) if s.len() == 10 => Out::Date(d, s.clone()),
            _ => plain_text(s),
        },
        other => plain(other),
    }
}

/// A warning threshold: -1 (none set) as an empty cell.
fn unless_unset(value: Option<&Value>) -> Out {
    match value {
        Some(Value::Number(n)) if n.as_i64() == Some(-1) => Out::Empty,
        other => plain(other),
    }
}

impl Sheet {
    /// The sheet's columns as (header, width).
    fn headers(self) -> Vec<(&'static str, f64)> {
        let of = |c: &&Column| (c.header, c.width);
        match self {
            Sheet::Failed => IMPORT_COLUMNS
                .iter()
                .map(of)
                .chain([(RESULT_HEADER, RESULT_WIDTH)])
                .collect(),
            Sheet::Export => EXPORT_COLUMNS
                .iter()
                .map(|c| (c.export_header(), c.width))
                .collect(),
            Sheet::ForImport => IMPORT_COLUMNS.iter().map(of).collect(),
        }
    }

    fn is_money(self, col: usize) -> bool {
        match self {
            Sheet::Export => matches!(EXPORT_COLUMNS[col].view, "price" | "initial_price"),
            Sheet::ForImport => IMPORT_COLUMNS[col].field == "price",
            Sheet::Failed => false,
        }
    }

    /// The row's cells, each read on its own: one value that cannot be read (1e400, a lone
    /// surrogate) shows as its text or with U+FFFD, and never blanks the others. None: the row
    /// has no place in this sheet.
    fn cells(self, json: &str, message: String) -> Option<Vec<Out>> {
        let row = crate::rows::lossy::object(json);
        let get = |field: &str| row.as_ref().and_then(|r| r.get(field));
        Some(match self {
            Sheet::Failed => IMPORT_COLUMNS
                .iter()
                .map(|c| match c.field {
                    "assetClass" => label(get(c.field), &[(0, "数量型"), (1, "条目型")]),
                    _ if c.numeric => numeric(get(c.field)),
                    _ => plain(get(c.field)),
                })
                .chain([Out::Text(message)])
                .collect(),
            Sheet::Export => EXPORT_COLUMNS
                .iter()
                .map(|c| c.view)
                .map(|field| match field {
                    "assetClass" => label(get(field), &[(0, "数量型"), (1, "条目型")]),
                    "expire" => label(get(field), &[(0, "否"), (1, "是")]),
                    "status" => label(get(field), &[(1, "闲置"), (2, "使用中"), (3, "维保中")]),
                    "create_time" => date(get(field)),
                    "warning_amount" | "warning_date" => unless_unset(get(field)),
                    _ => plain(get(field)),
                })
                .collect(),
            Sheet::ForImport => {
                if get("expire").and_then(Value::as_i64) == Some(1) {
                    return None;
                }
                // The record's values under the import columns: a thing the view names (owner,
                // department, parent) by its name, so an update row naming its current
                // parent keeps it.
                IMPORT_COLUMNS
                    .iter()
                    .map(|c| match c.field {
                        "assetClass" => label(get(c.view), &[(0, "数量型"), (1, "条目型")]),
                        "price" => plain(get(by_field("initial_price").view)),
                        // The asset's date goes back as a date cell: the round trip keeps it.
                        "create_time" => date(get(c.view)),
                        _ => plain(get(c.view)),
                    })
                    .collect()
            }
        })
    }
}

/// A JSON value as a cell: strings as-is, numbers as numbers, null/missing as empty.
fn plain(value: Option<&Value>) -> Out {
    match value {
        None | Some(Value::Null) => Out::Empty,
        Some(Value::String(s)) => Out::Text(s.clone()),
        Some(Value::Number(n)) => {
            let text = n.to_string();
            match n.as_f64() {
                // Integers beyond f64's exact range stay text rather than lose digits.
                Some(f) if n.is_f64() || f.abs() <= 9_007_199_254_740_992.0 => Out::Number(f, text),
                _ => Out::Text(text),
            }
        }
        Some(other) => Out::Text(other.to_string()),
    }
}

/// A coded value (number or numeric string, as file cells are strings) as its Chinese label;
/// anything else as-is.
fn label(value: Option<&Value>, labels: &[(i64, &str)]) -> Out {
    let code = match value {
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    };
    match labels.iter().find(|(c, _)| Some(*c) == code) {
        Some((_, text)) => Out::Text((*text).to_string()),
        None => plain(value),
    }
}

/// Streams a CSV (UTF-8 BOM first, so Excel reads the Chinese) to `out`. `rows` yields
/// (row JSON, message); the message is ignored for `Sheet::Export`. An `Err` from `rows` stops
/// writing and is returned.
pub fn write_csv<W: Write>(
    sheet: Sheet,
    rows: impl Iterator<Item = Result<(String, String), String>>,
    mut out: W,
) -> Result<(), String> {
    let io = |e: csv::Error| format!("写入CSV失败：{e}");
    out.write_all(UTF8_BOM)
        .map_err(|e| format!("写入CSV失败：{e}"))?;
    let mut writer = csv::Writer::from_writer(out);
    writer
        .write_record(sheet.headers().iter().map(|(header, _)| header))
        .map_err(io)?;
    for row in rows {
        let (json, message) = row?;
        let Some(cells) = sheet.cells(&json, message) else {
            continue;
        };
        for (col, cell) in cells.iter().enumerate() {
            match cell {
                // Money as the XLSX shows it (0.00), not f64's shortest text ("100.0").
                Out::Number(n, _) if sheet.is_money(col) => writer.write_field(format!("{n:.2}")),
                Out::Number(_, text) => writer.write_field(text),
                _ => writer.write_field(csv_cell(cell.csv_text()).as_ref()),
            }
            .map_err(io)?;
        }
        writer.write_record(None::<&[u8]>).map_err(io)?;
    }
    writer.flush().map_err(|e| format!("写入CSV失败：{e}"))
}

/// Writes an XLSX (constant-memory worksheets) to a temporary file and returns it rewound, for
/// the caller to stream. Past Excel's 1,048,576 rows a sheet, rows continue on a new worksheet
/// with the header again.
pub fn write_xlsx(
    sheet: Sheet,
    rows: impl Iterator<Item = Result<(String, String), String>>,
) -> Result<std::fs::File, String> {
    write_xlsx_with_limit(sheet, rows, XLSX_MAX_ROWS)
}

/// `write_xlsx` with `max_rows` rows (header included) per worksheet, so tests can spill early.
pub(super) fn write_xlsx_with_limit(
    sheet: Sheet,
    rows: impl Iterator<Item = Result<(String, String), String>>,
    max_rows: u32,
) -> Result<std::fs::File, String> {
    let xlsx = |e: XlsxError| format!("生成XLSX文件失败：{e}");
    let mut workbook = Workbook::new();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    let money = rust_xlsxwriter::Format::new().set_num_format("0.00");
    let day = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
    let headers = sheet.headers();
    let mut worksheet = new_worksheet(&mut workbook, &headers, &bold).map_err(xlsx)?;
    let mut row: u32 = 1;
    for item in rows {
        let (json, message) = item?;
        if row >= max_rows {
            worksheet = new_worksheet(&mut workbook, &headers, &bold).map_err(xlsx)?;
            row = 1;
        }
        let Some(cells) = sheet.cells(&json, message) else {
            continue;
        };
        for (col, cell) in cells.into_iter().enumerate() {
            let c = col as u16;
            match cell {
                Out::Empty => {}
                Out::Number(n, _) if sheet.is_money(col) => {
                    worksheet
                        .write_number_with_format(row, c, n, &money)
                        .map_err(xlsx)?;
                }
                Out::Number(n, _) => {
                    worksheet.write_number(row, c, n).map_err(xlsx)?;
                }
                Out::Date(d, _) => {
                    worksheet
                        .write_date_with_format(row, c, &d, &day)
                        .map_err(xlsx)?;
                }
                Out::Text(s) => {
                    let s = match s.char_indices().nth(XLSX_MAX_CHARS) {
                        Some((cut, _)) => &s[..cut],
                        None => &s,
                    };
                    worksheet.write_string(row, c, s).map_err(xlsx)?;
                }
            }
        }
        row += 1;
    }
    let mut file = tempfile::tempfile().map_err(|e| format!("创建临时文件失败：{e}"))?;
    workbook.save_to_writer(&mut file).map_err(xlsx)?;
    file.seek(SeekFrom::Start(0))
        .map_err(|e| format!("读取临时文件失败：{e}"))?;
    Ok(file)
}

fn new_worksheet<'a>(
    workbook: &'a mut Workbook,
    headers: &[(&str, f64)],
    bold: &rust_xlsxwriter::Format,
) -> Result<&'a mut Worksheet, XlsxError> {
    let worksheet = workbook.add_worksheet_with_constant_memory()?;
    // The header stays in view while the rows scroll.
    worksheet.set_freeze_panes(1, 0)?;
    for (col, (header, width)) in headers.iter().enumerate() {
        let col = col as u16;
        worksheet.set_column_width(col, *width)?;
        worksheet.write_string_with_format(0, col, *header, bold)?;
    }
    Ok(worksheet)
}
