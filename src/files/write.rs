//! Writing the import template and a task's results (failed rows, export records) as CSV or
//! XLSX.

use super::beside::{beside, Feed, IN_FLIGHT};
use super::*;
use crate::columns::by_field;
use rust_xlsxwriter::{ExcelDateTime, Workbook, Worksheet, XlsxError};
use serde_json::Value;
use std::io::{Seek, SeekFrom, Write};

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
    /// The value, and its text for CSV.
    Number(f64, NumberText),
    /// A date, and its text (YYYY-MM-DD) for CSV.
    Date(ExcelDateTime, String),
}

/// A number cell's text for CSV, made only when a CSV is written.
enum NumberText {
    /// As JSON writes the number.
    Json(serde_json::Number),
    /// As the row sent it (a file's cell).
    Sent(String),
}

impl Out {
    fn csv_text(&self) -> Cow<'_, str> {
        match self {
            Out::Empty => Cow::Borrowed(""),
            Out::Text(s) | Out::Date(_, s) | Out::Number(_, NumberText::Sent(s)) => {
                Cow::Borrowed(s)
            }
            Out::Number(_, NumberText::Json(n)) => Cow::Owned(n.to_string()),
        }
    }
}

/// A number sent as text (a file's cell, as failed rows keep it) as a number cell, so Excel
/// does not flag "number stored as text"; its text is kept for the CSV.
fn numeric(value: Option<Value>) -> Out {
    match value {
        Some(Value::String(s)) => {
            let plain = !s.is_empty() && s.trim() == s && !s.starts_with('+') && s.len() <= 15;
            match s.parse::<f64>() {
                Ok(n) if plain && n.is_finite() => Out::Number(n, NumberText::Sent(s)),
                _ => Out::Text(s),
            }
        }
        other => plain(other),
    }
}

/// A date text (YYYY-MM-DD) as a date cell.
fn date(value: Option<Value>) -> Out {
    match value {
        Some(Value::String(s)) => match ExcelDateTime::parse_from_str(&s) {
            Ok(d) if s.len() == 10 => Out::Date(d, s),
            _ => Out::Text(s),
        },
        other => plain(other),
    }
}

/// A warning threshold: -1 (none set) as an empty cell.
fn unless_unset(value: Option<Value>) -> Out {
    match value {
        Some(Value::Number(ref n)) if n.as_i64() == Some(-1) => Out::Empty,
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

    /// Whether a row's field can show in this sheet.
    fn shows(self, key: &str) -> bool {
        match self {
            Sheet::Failed => IMPORT_COLUMNS.iter().any(|c| c.field == key),
            Sheet::Export => EXPORT_COLUMNS.iter().any(|c| c.view == key),
            Sheet::ForImport => {
                key == "expire"
                    || key == by_field("initial_price").view
                    || IMPORT_COLUMNS.iter().any(|c| c.view == key)
            }
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
        // Most rows (every snapshot the server wrote) read strictly, keeping only the fields
        // this sheet shows; a row that does not (a lone surrogate, 1e400, an escaped key) is
        // read value by value.
        let fields = picked(json, &|key| self.shows(key));
        let lossy = match fields {
            Some(_) => None,
            None => crate::rows::lossy::object(json),
        };
        let (mut fields, mut lossy) = (fields, lossy);
        // Each field is taken once: its value moves into its cell.
        let mut get = |field: &str| match (&mut fields, &mut lossy) {
            (Some(fields), _) => fields
                .iter_mut()
                .rev()
                .find(|(k, _)| *k == field)
                .map(|(_, v)| v.take()),
            (None, lossy) => lossy
                .as_mut()
                .and_then(|r| r.get_mut(field))
                .map(Value::take),
        };
        Some(match self {
            Sheet::Failed => IMPORT_COLUMNS
                .iter()
                .map(|c| match c.field {
                    "assetClass" => label(get(c.field), &[(0, "数量型"), (1, "条目型")]),
                    _ if c.numeric => numeric(get(c.field)),
                    _ => plain(get(c.field)),
                })
                .chain([Out::Text(match crate::columns::readable(&message) {
                    std::borrow::Cow::Borrowed(_) => message,
                    std::borrow::Cow::Owned(named) => named,
                })])
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
                if get("expire").as_ref().and_then(Value::as_i64) == Some(1) {
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

/// The fields of a JSON object that `keep` wants, in the order written, read strictly: None
/// when the text is not an object that serde_json reads as it stands (its keys unescaped).
fn picked<'a>(json: &'a str, keep: &dyn Fn(&str) -> bool) -> Option<Vec<(&'a str, Value)>> {
    use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
    struct Pick<'k>(&'k dyn Fn(&str) -> bool);
    impl<'de> Visitor<'de> for Pick<'_> {
        type Value = Vec<(&'de str, Value)>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut fields = Vec::with_capacity(16);
            while let Some(key) = map.next_key::<&'de str>()? {
                if (self.0)(key) {
                    fields.push((key, map.next_value::<Value>()?));
                } else {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            Ok(fields)
        }
    }
    impl<'de> DeserializeSeed<'de> for Pick<'_> {
        type Value = Vec<(&'de str, Value)>;
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_map(self)
        }
    }
    let mut de = serde_json::Deserializer::from_str(json);
    let fields = Pick(keep).deserialize(&mut de).ok()?;
    de.end().ok()?;
    Some(fields)
}

/// A JSON value as a cell: strings as-is, numbers as numbers, null/missing as empty.
fn plain(value: Option<Value>) -> Out {
    match value {
        None | Some(Value::Null) => Out::Empty,
        Some(Value::String(s)) => Out::Text(s),
        Some(Value::Number(n)) => {
            match n.as_f64() {
                // Integers beyond f64's exact range stay text rather than lose digits.
                Some(f) if n.is_f64() || f.abs() <= 9_007_199_254_740_992.0 => {
                    Out::Number(f, NumberText::Json(n))
                }
                _ => Out::Text(n.to_string()),
            }
        }
        Some(other) => Out::Text(other.to_string()),
    }
}

/// A coded value (number or numeric string, as file cells are strings) as its Chinese label;
/// anything else as-is.
fn label(value: Option<Value>, labels: &[(i64, &str)]) -> Out {
    let code = match &value {
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
                Out::Number(..) => writer.write_field(cell.csv_text().as_ref()),
                _ => writer.write_field(csv_cell(&cell.csv_text()).as_ref()),
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
    rows: impl Iterator<Item = Result<(String, String), String>> + Send,
) -> Result<std::fs::File, String> {
    write_xlsx_with_limit(sheet, rows, XLSX_MAX_ROWS)
}

/// A row laid out as cells (None: it has no place in the sheet), or why reading stopped.
type LaidOut = Result<Option<Vec<Out>>, String>;

/// `write_xlsx` with `max_rows` rows (header included) per worksheet, so tests can spill early.
/// The rows are read and laid out as cells on a second thread (`xlsx-cells`) while this one
/// writes them: the XLSX writer (its XML and the zip's deflate) is the larger half of the work,
/// and would otherwise wait for every row's JSON to be read.
pub(super) fn write_xlsx_with_limit(
    sheet: Sheet,
    rows: impl Iterator<Item = Result<(String, String), String>> + Send,
    max_rows: u32,
) -> Result<std::fs::File, String> {
    let lay_out = move |feed: &mut Feed<LaidOut>| {
        for item in rows {
            let cells = item.map(|(json, message)| sheet.cells(&json, message));
            let failed = cells.is_err();
            if !feed.push(cells) || failed {
                return;
            }
        }
    };
    let ((), written) = beside(("xlsx-cells", IN_FLIGHT), lay_out, |cells| {
        write_rows(sheet, cells, max_rows)
    })
    .map_err(|e| format!("生成XLSX文件失败：{e}"))?;
    written
}

/// Writes the laid-out rows as the sheet, a new worksheet every `max_rows`; the first error
/// stops it.
fn write_rows(
    sheet: Sheet,
    rows: &mut dyn Iterator<Item = LaidOut>,
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
    for cells in rows {
        let cells = cells?;
        if row >= max_rows {
            worksheet = new_worksheet(&mut workbook, &headers, &bold).map_err(xlsx)?;
            row = 1;
        }
        let Some(cells) = cells else {
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
                Out::Text(mut s) => {
                    if let Some((cut, _)) = s.char_indices().nth(XLSX_MAX_CHARS) {
                        s.truncate(cut);
                    }
                    // Handed over whole: the writer keeps the string it is given.
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Each cell's kind and CSV text.
    fn texts(sheet: Sheet, json: &str) -> Option<Vec<(u8, String)>> {
        let kind = |c: &Out| match c {
            Out::Empty => 0,
            Out::Text(_) => 1,
            Out::Number(..) => 2,
            Out::Date(..) => 3,
        };
        let cells = sheet.cells(json, "原因".into())?;
        Some(
            cells
                .iter()
                .map(|c| (kind(c), c.csv_text().into_owned()))
                .collect(),
        )
    }

    #[test]
    fn strict_and_value_by_value_reads_give_the_same_cells() {
        // Every field any sheet shows, numbers and texts in turn, and one no sheet shows.
        let mut row = serde_json::Map::new();
        let keys = IMPORT_COLUMNS.iter().map(|c| c.field);
        let keys = keys.chain(EXPORT_COLUMNS.iter().map(|c| c.view));
        for (i, key) in keys.enumerate() {
            let value = match i % 3 {
                0 => json!(i as f64 + 0.25),
                1 => json!(format!("值\"{i}\\")),
                _ => json!(i),
            };
            row.insert(key.to_owned(), value);
        }
        row.insert("create_time".into(), json!("2026-01-02"));
        row.insert("warning_amount".into(), json!(-1));
        row.insert("assetClass".into(), json!(1));
        row.insert("expire".into(), json!(0));
        row.insert("extra".into(), json!([1, {"a": "\\ud800"}]));
        let strict = Value::Object(row).to_string();
        // An escaped key is not read strictly: the same row is then read value by value.
        let escaped = strict.replacen("\"name\"", "\"n\\u0061me\"", 1);
        assert!(picked(&strict, &|_| true).is_some());
        assert!(picked(&escaped, &|_| true).is_none());
        for sheet in [Sheet::Failed, Sheet::Export, Sheet::ForImport] {
            let cells = texts(sheet, &strict).unwrap();
            assert!(cells.iter().any(|(kind, _)| *kind == 2), "{sheet:?}");
            assert_eq!(Some(cells), texts(sheet, &escaped), "{sheet:?}");
        }
        // A retired asset has no row in the import layout, read either way.
        let retired = strict.replace("\"expire\":0", "\"expire\":1");
        assert_eq!(texts(Sheet::ForImport, &retired), None);
    }

    #[test]
    fn a_row_serde_json_refuses_is_read_value_by_value() {
        // A lone surrogate, a number beyond f64, a repeated key (the last one counts).
        let row = r#"{"name":"a\ud800","count":1e400,"price":"1","price":"12.5","position":1e20}"#;
        assert!(picked(row, &|_| true).is_none());
        let cells = texts(Sheet::Failed, row).unwrap();
        let at = |field: &str| {
            IMPORT_COLUMNS
                .iter()
                .position(|c| c.field == field)
                .unwrap()
        };
        assert_eq!(cells[at("name")], (1, "a\u{fffd}".into()));
        assert_eq!(cells[at("count")], (1, "1e400".into()));
        assert_eq!(cells[at("price")], (2, "12.5".into()));
        assert_eq!(cells[at("position")], (2, "1e+20".into()));
        let strict = r#"{"price":"1","price":"12.5","position":1e20}"#;
        let cells = texts(Sheet::Failed, strict).unwrap();
        assert_eq!(cells[at("price")], (2, "12.5".into()));
        assert_eq!(cells[at("position")], (2, "1e+20".into()));
    }
}
