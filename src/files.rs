//! CSV / XLSX in and out: reading uploaded import files row by row, the import template, and the
//! failed-rows / export files. Pure functions: no Rocket, no database.

use std::borrow::Cow;
use std::io::{Cursor, Seek, SeekFrom, Write};

use calamine::{DataRef, Reader, SheetType, Xlsx};
use rust_xlsxwriter::{Workbook, Worksheet, XlsxError};
use serde_json::Value;

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

/// (Chinese template header, JSON field name) in template column order.
pub const TEMPLATE_COLUMNS: [(&str, &str); 11] = [
    ("资产名", "name"),
    ("资产类型", "assetClass"),
    ("资产价值", "price"),
    ("资产数量", "count"),
    ("使用期限", "deadline"),
    ("所属品类", "assetTree"),
    ("描述信息", "description"),
    ("位置信息", "position"),
    ("挂账人", "user"),
    ("所属部门", "department"),
    ("父资产", "parent"),
];

/// Columns an uploaded file may leave out; every other template column is required.
const OPTIONAL_FIELDS: [&str; 3] = ["description", "position", "parent"];

/// (Chinese header, asset view field) of the export file.
const EXPORT_COLUMNS: [(&str, &str); 19] = [
    ("资产编号", "id"),
    ("父资产", "parentName"),
    ("资产名", "name"),
    ("资产类型", "assetClass"),
    ("挂账人", "userName"),
    ("资产价值", "price"),
    ("描述信息", "description"),
    ("位置信息", "position"),
    ("是否清退", "expire"),
    ("资产数量", "count"),
    ("所属品类", "assetTree"),
    ("所属部门", "departmentName"),
    ("创建时间", "create_time"),
    ("使用期限", "deadline"),
    ("初始价值", "initial_price"),
    ("预警数量", "warning_amount"),
    ("预警时间", "warning_date"),
    ("剩余年限", "expire_date"),
    ("状态", "status"),
];

const RESULT_HEADER: &str = "结果";
const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";
/// Excel's rows per worksheet, header included.
const XLSX_MAX_ROWS: u32 = 1_048_576;
/// Excel's limit on the characters in one cell.
const XLSX_MAX_CHARS: usize = 32_767;
const COLUMN_WIDTH: f64 = 14.0;

/// One data line of an uploaded file: `line` is the 1-based line of the file (CSV: the line the
/// record starts on; XLSX: the sheet row number), `json` a JSON object with the JSON field names as
/// keys, in `TEMPLATE_COLUMNS` order, for the columns present in the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UploadRow {
    pub line: u64,
    pub json: String,
}

#[derive(Debug, PartialEq, Eq)]
pub enum FileError<E> {
    /// The file cannot be read at all; the reason is for the client (Chinese).
    Unreadable(String),
    /// The sink refused a row.
    Sink(E),
}

/// Which file column feeds which template field, learned from the header row.
struct Columns {
    /// (file column index, index into `TEMPLATE_COLUMNS`): at most one entry per template
    /// column, so its size never depends on a coordinate written in the file (a header cell at
    /// column ZZZZZZZZ once asked for a 39 GB table).
    by_col: Vec<(usize, usize)>,
    present: [bool; 11],
}

impl Columns {
    fn from_header<'a>(cells: impl Iterator<Item = (usize, &'a str)>) -> Result<Columns, String> {
        let mut columns = Columns {
            by_col: Vec::new(),
            present: [false; 11],
        };
        for (col, text) in cells {
            let text = text.trim();
            let Some(field) = TEMPLATE_COLUMNS
                .iter()
                .position(|(zh, en)| text == *zh || text.eq_ignore_ascii_case(en))
            else {
                continue;
            };
            if columns.present[field] {
                return Err(format!("列重复：{}", column_label(field)));
            }
            columns.present[field] = true;
            columns.by_col.push((col, field));
        }
        let missing: Vec<String> = (0..TEMPLATE_COLUMNS.len())
            .filter(|&f| !columns.present[f] && !OPTIONAL_FIELDS.contains(&TEMPLATE_COLUMNS[f].1))
            .map(column_label)
            .collect();
        if missing.is_empty() {
            Ok(columns)
        } else {
            Err(format!("缺少必需的列：{}", missing.join(", ")))
        }
    }

    /// The row object, or None when every cell of a known column is blank.
    fn row_json<'a>(&self, cells: impl Iterator<Item = (usize, &'a str)>) -> Option<String> {
        let mut values: [&str; 11] = [""; 11];
        for (col, text) in cells {
            if let Some((_, field)) = self.by_col.iter().find(|(c, _)| *c == col) {
                values[*field] = text.trim();
            }
        }
        if values.iter().all(|v| v.is_empty()) {
            return None;
        }
        let mut json = String::from("{");
        for (field, (_, name)) in TEMPLATE_COLUMNS.iter().enumerate() {
            if !self.present[field] || (values[field].is_empty() && OPTIONAL_FIELDS.contains(name))
            {
                continue;
            }
            if json.len() > 1 {
                json.push(',');
            }
            json.push_str(&Value::from(*name).to_string());
            json.push(':');
            json.push_str(&Value::from(values[field]).to_string());
        }
        json.push('}');
        Some(json)
    }
}

fn column_label(field: usize) -> String {
    let (zh, en) = TEMPLATE_COLUMNS[field];
    format!("{zh}({en})")
}

/// Bounds on what one uploaded file may put into a task, from the settings `upload_max_rows` and
/// `upload_max_unpacked_mib`: a small compressed file must not be able to take gigabytes of
/// memory or of database (an XLSX is a zip, and one shared string can fill any number of cells).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReadLimits {
    /// Data rows (the header not counted).
    pub max_rows: u64,
    /// Bytes: the uncompressed parts of an XLSX file together, and the text of all rows read
    /// (JSON) in either format. An XLSX part held in memory while reading (shared strings,
    /// workbook, styles; not the streamed worksheets) may take an eighth of it.
    pub max_unpacked: u64,
}

impl Default for ReadLimits {
    fn default() -> Self {
        ReadLimits {
            // A full sheet less its header row.
            max_rows: u64::from(XLSX_MAX_ROWS) - 1,
            max_unpacked: 2048 << 20,
        }
    }
}

impl ReadLimits {
    fn unpacked_mib(self) -> u64 {
        self.max_unpacked >> 20
    }
}

/// Reads an uploaded file and calls `sink` once per non-blank data line, in file order, without
/// collecting the rows. Returns the number of rows passed to the sink.
pub fn read_rows<E>(
    format: Format,
    bytes: &[u8],
    limits: ReadLimits,
    sink: impl FnMut(UploadRow) -> Result<(), E>,
) -> Result<u64, FileError<E>> {
    let feeder = RowFeeder {
        columns: None,
        sink,
        rows: 0,
        text: 0,
        limits,
    };
    match format {
        Format::Csv => read_csv(bytes, feeder),
        Format::Xlsx => read_xlsx(bytes, feeder),
    }
}

/// Feeds rows after the header: shared by the CSV and XLSX readers.
struct RowFeeder<E, F: FnMut(UploadRow) -> Result<(), E>> {
    columns: Option<Columns>,
    sink: F,
    rows: u64,
    /// Bytes of row text passed to the sink so far.
    text: u64,
    limits: ReadLimits,
}

impl<E, F: FnMut(UploadRow) -> Result<(), E>> RowFeeder<E, F> {
    fn line<'a>(
        &mut self,
        line: u64,
        cells: impl Iterator<Item = (usize, &'a str)> + Clone,
    ) -> Result<(), FileError<E>> {
        match &self.columns {
            None => {
                // The header is the first line with any text.
                if cells.clone().any(|(_, t)| !t.trim().is_empty()) {
                    self.columns =
                        Some(Columns::from_header(cells).map_err(FileError::Unreadable)?);
                }
            }
            Some(columns) => {
                if let Some(json) = columns.row_json(cells) {
                    if self.rows >= self.limits.max_rows {
                        return Err(FileError::Unreadable(format!(
                            "文件的数据行超过{}行（设置 upload_max_rows），请拆分文件后上传",
                            self.limits.max_rows
                        )));
                    }
                    self.text += json.len() as u64;
                    if self.text > self.limits.max_unpacked {
                        return Err(FileError::Unreadable(format!(
                            "文件的数据超过{} MiB（设置 upload_max_unpacked_mib），请拆分文件后上传",
                            self.limits.unpacked_mib()
                        )));
                    }
                    (self.sink)(UploadRow { line, json }).map_err(FileError::Sink)?;
                    self.rows += 1;
                }
            }
        }
        Ok(())
    }

    fn finish(self) -> Result<u64, FileError<E>> {
        match self.columns {
            None => Err(FileError::Unreadable("文件没有表头行".into())),
            Some(_) => Ok(self.rows),
        }
    }
}

fn read_csv<E, F: FnMut(UploadRow) -> Result<(), E>>(
    bytes: &[u8],
    mut feeder: RowFeeder<E, F>,
) -> Result<u64, FileError<E>> {
    let data = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(data);
    let mut record = csv::ByteRecord::new();
    let mut lines = LineCounter {
        data,
        pos: 0,
        line: 1,
    };
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                lines.skip_breaks();
                let line = lines.line;
                return Err(FileError::Unreadable(format!("CSV第{line}行格式错误：{e}")));
            }
        }
        // csv's own line numbers drift on CRLF and blank lines, so count line breaks here.
        lines.skip_breaks();
        let line = lines.line;
        lines.advance(usize::try_from(reader.position().byte()).unwrap_or(usize::MAX));
        let mut cells = Vec::with_capacity(record.len());
        for field in record.iter() {
            cells.push(std::str::from_utf8(field).map(csv_cell_read).map_err(|_| {
                FileError::Unreadable(format!(
                    "文件不是UTF-8编码（第{line}行），请另存为“CSV UTF-8”格式或上传xlsx文件"
                ))
            })?);
        }
        feeder.line(line, cells.iter().copied().enumerate())?;
    }
    feeder.finish()
}

/// The 1-based line at a byte offset of a CSV file; CRLF, LF and a lone CR each end a line.
struct LineCounter<'a> {
    data: &'a [u8],
    pos: usize,
    line: u64,
}

impl LineCounter<'_> {
    fn advance(&mut self, to: usize) {
        let to = to.min(self.data.len());
        while self.pos < to {
            match self.data[self.pos] {
                b'\n' => self.line += 1,
                b'\r' if self.data.get(self.pos + 1) != Some(&b'\n') => self.line += 1,
                _ => {}
            }
            self.pos += 1;
        }
    }

    /// Moves past the line breaks (blank lines included) before a record: an unquoted record
    /// cannot start with one.
    fn skip_breaks(&mut self) {
        while matches!(self.data.get(self.pos), Some(b'\r' | b'\n')) {
            self.advance(self.pos + 1);
        }
    }
}

/// Excel's columns per worksheet (A..XFD).
const XLSX_MAX_COLUMNS: u32 = 16_384;

fn read_xlsx<E, F: FnMut(UploadRow) -> Result<(), E>>(
    bytes: &[u8],
    feeder: RowFeeder<E, F>,
) -> Result<u64, FileError<E>> {
    check_unpacked_size(bytes, feeder.limits).map_err(FileError::Unreadable)?;
    // calamine computes a cell's column in a u32 without overflow checks of its own: a reference
    // such as ZZZZZZZZ1 wraps in a release build and panics in a checked one. The panic is
    // about the file, so it becomes the file's error, never the server's.
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        read_xlsx_cells(bytes, feeder)
    })) {
        Ok(result) => result,
        Err(_) => Err(FileError::Unreadable(
            "无法读取XLSX文件：单元格坐标超出Excel的范围（最多1048576行、16384列）".into(),
        )),
    }
}

/// Refuses an XLSX whose parts unpack to more than the limit, by unpacking each part into
/// nothing (memory stays flat) before calamine reads any of it: the sizes a zip declares can
/// lie, what comes out of the decompressor cannot.
fn check_unpacked_size(bytes: &[u8], limits: ReadLimits) -> Result<(), String> {
    let Ok(mut zip) = zip::ZipArchive::new(Cursor::new(bytes)) else {
        // Not a zip: calamine says so in its own words (an old .xls, a broken file).
        return Ok(());
    };
    let too_big = || {
        format!(
            "XLSX文件解压后超过{} MiB（设置 upload_max_unpacked_mib），请拆分文件后上传",
            limits.unpacked_mib()
        )
    };
    let in_memory_cap = limits.max_unpacked / 8;
    let mut total = 0u64;
    for i in 0..zip.len() {
        let mut part = zip
            .by_index(i)
            .map_err(|e| format!("无法读取XLSX文件：{e}"))?;
        // Worksheets are streamed; every other part calamine keeps whole in memory.
        let streamed = part.name().is_ok_and(|n| n.starts_with("xl/worksheets/"));
        let cap = if streamed {
            limits.max_unpacked - total
        } else {
            in_memory_cap.min(limits.max_unpacked - total)
        };
        let mut limited = std::io::Read::take(&mut part, cap + 1);
        let size = std::io::copy(&mut limited, &mut std::io::sink())
            .map_err(|e| format!("无法读取XLSX文件：{e}"))?;
        if size > cap {
            return Err(too_big());
        }
        total += size;
    }
    Ok(())
}

fn read_xlsx_cells<E, F: FnMut(UploadRow) -> Result<(), E>>(
    bytes: &[u8],
    mut feeder: RowFeeder<E, F>,
) -> Result<u64, FileError<E>> {
    let unreadable = |e: calamine::XlsxError| FileError::Unreadable(xlsx_reason(bytes, &e));
    let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(unreadable)?;
    let Some(sheet) = workbook
        .sheets_metadata()
        .iter()
        .find(|s| s.typ == SheetType::WorkSheet)
        .map(|s| s.name.clone())
    else {
        return Err(FileError::Unreadable("XLSX文件中没有工作表".into()));
    };
    let mut cells = workbook
        .worksheet_cells_reader(&sheet)
        .map_err(unreadable)?;
    // Cells arrive row by row; gather one row's cells, then hand the row over.
    let mut row: Option<u32> = None;
    let mut row_cells: Vec<(usize, String)> = Vec::new();
    loop {
        let cell = cells.next_cell().map_err(unreadable)?;
        let position = cell.as_ref().map(|c| c.get_position());
        if let Some(current) = row {
            if position.map(|p| p.0) != Some(current) {
                let line = u64::from(current) + 1;
                feeder.line(line, row_cells.iter().map(|(c, t)| (*c, t.as_str())))?;
                row_cells.clear();
            }
        }
        let Some(cell) = cell else { break };
        let (r, c) = cell.get_position();
        if r >= XLSX_MAX_ROWS || c >= XLSX_MAX_COLUMNS {
            return Err(FileError::Unreadable(
                "XLSX文件中有单元格超出Excel的范围（最多1048576行、16384列，即XFD列）".into(),
            ));
        }
        row = Some(r);
        let text = cell_text(cell.get_value());
        if text.chars().count() > XLSX_MAX_CHARS {
            return Err(FileError::Unreadable(format!(
                "第{}行第{}列的单元格超过Excel的{XLSX_MAX_CHARS}个字符上限",
                r + 1,
                c + 1
            )));
        }
        if !text.is_empty() {
            // A row holds at most one cell per column of the sheet.
            if row_cells.len() >= XLSX_MAX_COLUMNS as usize {
                return Err(FileError::Unreadable(format!(
                    "XLSX文件第{}行的单元格超过16384个",
                    r + 1
                )));
            }
            row_cells.push((c as usize, text));
        }
    }
    feeder.finish()
}

fn xlsx_reason(bytes: &[u8], e: &calamine::XlsxError) -> String {
    if bytes.starts_with(b"\xD0\xCF\x11\xE0") {
        "不支持旧版Excel（.xls）文件，请另存为.xlsx后上传".into()
    } else if matches!(e, calamine::XlsxError::Zip(_)) {
        "无法读取XLSX文件：文件不是有效的xlsx格式".into()
    } else {
        format!("无法读取XLSX文件：{e}")
    }
}

fn cell_text(value: &DataRef<'_>) -> String {
    match value {
        DataRef::Int(i) => i.to_string(),
        // f64's Display writes integral values without ".0".
        DataRef::Float(f) => f.to_string(),
        DataRef::String(s) | DataRef::DurationIso(s) => s.clone(),
        DataRef::DateTimeIso(s) => s.strip_suffix("T00:00:00").unwrap_or(s).replace('T', " "),
        DataRef::SharedString(s) => (*s).to_string(),
        DataRef::Bool(b) => b.to_string(),
        DataRef::DateTime(dt) if dt.is_datetime() => {
            let (y, mo, d, h, mi, s, _) = dt.to_ymd_hms_milli();
            if (h, mi, s) == (0, 0, 0) {
                format!("{y:04}-{mo:02}-{d:02}")
            } else {
                format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}")
            }
        }
        DataRef::DateTime(dt) => dt.as_f64().to_string(),
        DataRef::Error(_) | DataRef::Empty => String::new(),
    }
}

/// The import template: the Chinese header row and one example row.
pub fn template(format: Format) -> Result<Vec<u8>, String> {
    const EXAMPLE: &str = "办公椅,数量型,120.50,10,5,数量型资产,人体工学椅,A座301,liusn,CST,";
    match format {
        Format::Csv => {
            let mut out = UTF8_BOM.to_vec();
            let mut writer = csv::Writer::from_writer(&mut out);
            writer
                .write_record(TEMPLATE_COLUMNS.iter().map(|(zh, _)| *zh))
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
                for (col, ((zh, _), example)) in
                    TEMPLATE_COLUMNS.iter().zip(EXAMPLE.split(',')).enumerate()
                {
                    let col = col as u16;
                    sheet.set_column_width(col, COLUMN_WIDTH)?;
                    sheet.write_string_with_format(0, col, *zh, &header)?;
                    // Numbers as numbers, so Excel does not flag "number stored as text".
                    match example.parse::<f64>() {
                        Ok(n) if col == 2 => sheet.write_number_with_format(1, col, n, &money)?,
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
}

/// One output cell.
enum Out {
    Empty,
    Text(String),
    /// The value, and its JSON text for CSV.
    Number(f64, String),
}

impl Out {
    fn csv_text(&self) -> &str {
        match self {
            Out::Empty => "",
            Out::Text(s) | Out::Number(_, s) => s,
        }
    }
}

impl Sheet {
    fn headers(self) -> Vec<&'static str> {
        match self {
            Sheet::Failed => TEMPLATE_COLUMNS
                .iter()
                .map(|(zh, _)| *zh)
                .chain([RESULT_HEADER])
                .collect(),
            Sheet::Export => EXPORT_COLUMNS.iter().map(|(zh, _)| *zh).collect(),
        }
    }

    fn is_money(self, col: usize) -> bool {
        self == Sheet::Export && matches!(EXPORT_COLUMNS[col].1, "price" | "initial_price")
    }

    /// The row's cells, each read on its own: one value that cannot be read (1e400, a lone
    /// surrogate) shows as its text or with U+FFFD, and never blanks the others.
    fn cells(self, json: &str, message: String) -> Vec<Out> {
        let row = crate::rows::lossy::object(json);
        let get = |field: &str| row.as_ref().and_then(|r| r.get(field));
        match self {
            Sheet::Failed => TEMPLATE_COLUMNS
                .iter()
                .map(|(_, field)| match *field {
                    "assetClass" => label(get(field), &[(0, "数量型"), (1, "条目型")]),
                    _ => plain(get(field)),
                })
                .chain([Out::Text(message)])
                .collect(),
            Sheet::Export => EXPORT_COLUMNS
                .iter()
                .map(|(_, field)| match *field {
                    "assetClass" => label(get(field), &[(0, "数量型"), (1, "条目型")]),
                    "expire" => label(get(field), &[(0, "否"), (1, "是")]),
                    "status" => label(get(field), &[(1, "闲置"), (2, "使用中"), (3, "维保中")]),
                    _ => plain(get(field)),
                })
                .collect(),
        }
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
    writer.write_record(sheet.headers()).map_err(io)?;
    for row in rows {
        let (json, message) = row?;
        for (col, cell) in sheet.cells(&json, message).iter().enumerate() {
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
fn write_xlsx_with_limit(
    sheet: Sheet,
    rows: impl Iterator<Item = Result<(String, String), String>>,
    max_rows: u32,
) -> Result<std::fs::File, String> {
    let xlsx = |e: XlsxError| format!("生成XLSX文件失败：{e}");
    let mut workbook = Workbook::new();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    let money = rust_xlsxwriter::Format::new().set_num_format("0.00");
    let headers = sheet.headers();
    let mut worksheet = new_worksheet(&mut workbook, &headers, &bold).map_err(xlsx)?;
    let mut row: u32 = 1;
    for item in rows {
        let (json, message) = item?;
        if row >= max_rows {
            worksheet = new_worksheet(&mut workbook, &headers, &bold).map_err(xlsx)?;
            row = 1;
        }
        for (col, cell) in sheet.cells(&json, message).into_iter().enumerate() {
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
    headers: &[&str],
    bold: &rust_xlsxwriter::Format,
) -> Result<&'a mut Worksheet, XlsxError> {
    let worksheet = workbook.add_worksheet_with_constant_memory()?;
    for (col, header) in headers.iter().enumerate() {
        let col = col as u16;
        worksheet.set_column_width(col, COLUMN_WIDTH)?;
        worksheet.write_string_with_format(0, col, *header, bold)?;
    }
    Ok(worksheet)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn read_all(format: Format, bytes: &[u8]) -> Result<Vec<(u64, String)>, FileError<()>> {
        let mut rows = Vec::new();
        let n = read_rows(format, bytes, ReadLimits::default(), |r: UploadRow| {
            rows.push((r.line, r.json));
            Ok::<(), ()>(())
        })?;
        assert_eq!(n, rows.len() as u64);
        Ok(rows)
    }

    fn lines_of(csv: &str) -> Vec<u64> {
        let rows = read_all(Format::Csv, csv.as_bytes()).unwrap();
        rows.iter().map(|r| r.0).collect()
    }

    fn unreadable(result: Result<Vec<(u64, String)>, FileError<()>>) -> String {
        match result {
            Err(FileError::Unreadable(reason)) => reason,
            other => panic!("expected Unreadable, got {other:?}"),
        }
    }

    /// Every sheet of an XLSX as (name, rows of cell texts).
    fn xlsx_sheets(bytes: Vec<u8>) -> Vec<(String, Vec<Vec<String>>)> {
        let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).unwrap();
        let names = workbook.sheet_names();
        names
            .into_iter()
            .map(|name| {
                let range = workbook.worksheet_range(&name).unwrap();
                let rows = range
                    .rows()
                    .map(|r| r.iter().map(|c| c.to_string()).collect())
                    .collect();
                (name, rows)
            })
            .collect()
    }

    fn file_bytes(mut file: std::fs::File) -> Vec<u8> {
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).unwrap();
        bytes
    }

    fn csv_rows(bytes: &[u8]) -> Vec<Vec<String>> {
        assert!(bytes.starts_with(UTF8_BOM));
        csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(&bytes[3..])
            .records()
            .map(|r| r.unwrap().iter().map(String::from).collect())
            .collect()
    }

    /// One expected row, cells separated by '|'.
    fn cells(row: &str) -> Vec<String> {
        row.split('|').map(String::from).collect()
    }

    const HEADER: &str = "资产名,资产类型,资产价值,资产数量,使用期限,所属品类,描述信息,位置信息,挂账人,所属部门,父资产";

    #[test]
    fn format_from_query() {
        assert_eq!(Format::from_query(None), Ok(Format::Csv));
        assert_eq!(Format::from_query(Some("CSV")), Ok(Format::Csv));
        assert_eq!(Format::from_query(Some("Xlsx")), Ok(Format::Xlsx));
        let err = Format::from_query(Some("xyz")).unwrap_err();
        assert_eq!(err, "不支持的文件格式：xyz，只支持 csv 或 xlsx");
        assert_eq!(Format::Xlsx.extension(), "xlsx");
        assert!(Format::Csv.content_type().starts_with("text/csv"));
    }

    #[test]
    fn csv_template_round_trips() {
        let bytes = template(Format::Csv).unwrap();
        assert!(bytes.starts_with(UTF8_BOM));
        let rows = read_all(Format::Csv, &bytes).unwrap();
        let expected = r#"{"name":"办公椅","assetClass":"数量型","price":"120.50","count":"10","deadline":"5","assetTree":"数量型资产","description":"人体工学椅","position":"A座301","user":"liusn","department":"CST"}"#;
        assert_eq!(rows, vec![(2, expected.to_string())]);
    }

    #[test]
    fn xlsx_template_round_trips() {
        let bytes = template(Format::Xlsx).unwrap();
        let rows = read_all(Format::Xlsx, &bytes).unwrap();
        let expected = r#"{"name":"办公椅","assetClass":"数量型","price":"120.5","count":"10","deadline":"5","assetTree":"数量型资产","description":"人体工学椅","position":"A座301","user":"liusn","department":"CST"}"#;
        assert_eq!(rows, vec![(2, expected.to_string())]);
        let sheets = xlsx_sheets(bytes);
        assert_eq!(sheets[0].1[0], cells(&HEADER.replace(',', "|")));
    }

    #[test]
    fn csv_with_and_without_bom() {
        let body = format!("{HEADER}\n椅子,1,5,1,3,条目型资产,,,u1,D1,7\n");
        let expected = r#"{"name":"椅子","assetClass":"1","price":"5","count":"1","deadline":"3","assetTree":"条目型资产","user":"u1","department":"D1","parent":"7"}"#;
        let plain = read_all(Format::Csv, body.as_bytes()).unwrap();
        assert_eq!(plain, vec![(2, expected.to_string())]);
        let with_bom = [UTF8_BOM, body.as_bytes()].concat();
        assert_eq!(read_all(Format::Csv, &with_bom).unwrap(), plain);
    }

    #[test]
    fn csv_reordered_english_headers_and_unknown_column() {
        let body = "department, USER ,备注,deadline,count,price,assetclass,assetTree,Name\r\n\
                    D1,u1,ignored,3,2, 9.5 ,0,数量型资产,桌子\r\n";
        let rows = read_all(Format::Csv, body.as_bytes()).unwrap();
        let expected = r#"{"name":"桌子","assetClass":"0","price":"9.5","count":"2","deadline":"3","assetTree":"数量型资产","user":"u1","department":"D1"}"#;
        assert_eq!(rows, vec![(2, expected.to_string())]);
    }

    #[test]
    fn blank_csv_lines_are_skipped_and_lines_counted() {
        let body = format!(
            "{HEADER}\na,0,1,1,1,t,,,u,d,\n,,,,,,,,,,\n\n  , ,\nb,0,1,1,1,t,,,u,d,\n,,,,,,,,,,\n\n"
        );
        assert_eq!(lines_of(&body), vec![2, 6]);
        // Excel writes CRLF; truly empty lines count too.
        let crlf = body.replace('\n', "\r\n");
        assert_eq!(lines_of(&crlf), vec![2, 6]);
        let body = format!("\n{HEADER}\n\n\na,0,1,1,1,t,,,u,d,\r\n\r\nb,0,1,1,1,t,,,u,d,");
        assert_eq!(lines_of(&body), vec![5, 7]);
    }

    #[test]
    fn required_cell_empty_is_kept_as_empty_string() {
        let body = "name,assetClass,price,count,deadline,assetTree,user,department,position\n,0,1,1,1,t,u,d,\n";
        let rows = read_all(Format::Csv, body.as_bytes()).unwrap();
        let expected = r#"{"name":"","assetClass":"0","price":"1","count":"1","deadline":"1","assetTree":"t","user":"u","department":"d"}"#;
        assert_eq!(rows, vec![(2, expected.to_string())]);
    }

    #[test]
    fn csv_quoted_field_with_comma_quote_and_newline() {
        let body =
            format!("{HEADER}\n\"a, \"\"b\"\"\nc\",0,1,1,1,t,\"x\ny\",,u,d,\nz,0,1,1,1,t,,,u,d,\n");
        let rows = read_all(Format::Csv, body.as_bytes()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].0, 2);
        let first: Value = serde_json::from_str(&rows[0].1).unwrap();
        assert_eq!(first["name"], "a, \"b\"\nc");
        assert_eq!(first["description"], "x\ny");
        assert_eq!(rows[1].0, 5, "line where the next record starts");
    }

    #[test]
    fn missing_required_columns_are_named() {
        let body = "资产类型,资产价值,资产数量,使用期限,所属品类,所属部门\n0,1,1,1,t,d\n";
        let reason = unreadable(read_all(Format::Csv, body.as_bytes()));
        assert_eq!(reason, "缺少必需的列：资产名(name), 挂账人(user)");
        let reason = unreadable(read_all(Format::Csv, b"name,name\n"));
        assert_eq!(reason, "列重复：资产名(name)");
        assert_eq!(unreadable(read_all(Format::Csv, b"\n\n")), "文件没有表头行");
        assert_eq!(
            unreadable(read_all(Format::Xlsx, &[])),
            "无法读取XLSX文件：文件不是有效的xlsx格式"
        );
    }

    #[test]
    fn unreadable_files() {
        let reason = unreadable(read_all(Format::Xlsx, b"this is not a zip file at all"));
        assert!(reason.starts_with("无法读取XLSX文件"), "{reason}");
        let reason = unreadable(read_all(
            Format::Xlsx,
            b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1rest",
        ));
        assert!(reason.contains(".xls"), "{reason}");
        // "资产名" in GBK.
        let reason = unreadable(read_all(Format::Csv, b"\xD7\xCA\xB2\xFA\xC3\xFB\n"));
        assert!(reason.starts_with("文件不是UTF-8编码"), "{reason}");
    }

    #[test]
    fn sink_error_stops_reading() {
        let body = format!("{HEADER}\na,0,1,1,1,t,,,u,d,\nb,0,1,1,1,t,,,u,d,\n");
        let mut seen = 0;
        let result = read_rows(Format::Csv, body.as_bytes(), ReadLimits::default(), |_| {
            seen += 1;
            Err("full")
        });
        assert_eq!(result, Err(FileError::Sink("full")));
        assert_eq!(seen, 1);
    }

    #[test]
    fn xlsx_cells_become_strings() {
        let mut workbook = Workbook::new();
        let date = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
        let sheet = workbook.add_worksheet();
        // A blank first row and a title-less layout: the header is the first row with text.
        let header = "count,price,name,资产类型,deadline,所属品类,user,department,描述信息";
        for (c, h) in header.split(',').enumerate() {
            sheet.write_string(1, c as u16, h).unwrap();
        }
        sheet.write_number(2, 0, 10.0).unwrap();
        sheet.write_number(2, 1, 12.5).unwrap();
        sheet.write_string(2, 2, " 电脑 ").unwrap();
        sheet.write_boolean(2, 3, true).unwrap();
        sheet
            .write_number_with_format(2, 4, 45943.0, &date)
            .unwrap();
        sheet.write_string(2, 5, "t").unwrap();
        sheet.write_string(2, 6, "u").unwrap();
        sheet.write_number(2, 7, -3.0).unwrap();
        sheet.write_string(3, 8, "   ").unwrap(); // whitespace only: skipped
        sheet.write_string(4, 2, "only name").unwrap();
        let bytes = workbook.save_to_buffer().unwrap();
        let rows = read_all(Format::Xlsx, &bytes).unwrap();
        let first = r#"{"name":"电脑","assetClass":"true","price":"12.5","count":"10","deadline":"2025-10-13","assetTree":"t","user":"u","department":"-3"}"#;
        let last = r#"{"name":"only name","assetClass":"","price":"","count":"","deadline":"","assetTree":"","user":"","department":""}"#;
        assert_eq!(rows, vec![(3, first.to_string()), (5, last.to_string())]);
    }

    const FAILED_ROWS: [(&str, &str); 3] = [
        (
            r#"{"name":"椅子","assetClass":0,"price":12.5,"count":"3","deadline":5,"assetTree":"t","description":null,"user":"u","department":"d","parent":"p,\"q\"","extra":1}"#,
            "未找到该资产挂账人；资产价值不可为负",
        ),
        (
            r#"{"name":"x","assetClass":1,"price":[1,2],"count":true}"#,
            "缺少字段或类型错误：price",
        ),
        (r#"[1,2]"#, "缺少字段或类型错误：name"),
    ];

    fn failed_expected() -> Vec<Vec<String>> {
        vec![
            cells(&format!("{}|结果", HEADER.replace(',', "|"))),
            cells(&format!(
                "椅子|数量型|12.5|3|5|t|||u|d|p,\"q\"|{}",
                FAILED_ROWS[0].1
            )),
            cells(&format!("x|条目型|[1,2]|true||||||||{}", FAILED_ROWS[1].1)),
            cells(&format!("|||||||||||{}", FAILED_ROWS[2].1)),
        ]
    }

    fn failed_rows() -> impl Iterator<Item = Result<(String, String), String>> {
        FAILED_ROWS
            .iter()
            .map(|(j, m)| Ok((j.to_string(), m.to_string())))
    }

    const EXPORT_ROW: &str = r#"{"id":7,"parentName":"","name":"电脑","assetClass":1,"userName":"u","price":1234.5,"description":"d","position":null,"expire":0,"count":1,"assetTree":"条目型资产","departmentName":"D","create_time":"2024-01-02","deadline":5,"initial_price":2000,"warning_amount":-1,"warning_date":-1,"expire_date":4,"status":3}"#;

    fn export_expected() -> Vec<Vec<String>> {
        let header: Vec<&str> = EXPORT_COLUMNS.iter().map(|(zh, _)| *zh).collect();
        vec![
            cells(&header.join("|")),
            cells("7||电脑|条目型|u|1234.5|d||否|1|条目型资产|D|2024-01-02|5|2000|-1|-1|4|维保中"),
            cells("8|||数量型|||||是||||||||||闲置"),
        ]
    }

    fn export_rows() -> impl Iterator<Item = Result<(String, String), String>> {
        let second = r#"{"id":8,"assetClass":0,"expire":1,"status":1}"#;
        [EXPORT_ROW, second]
            .into_iter()
            .map(|j| Ok((j.to_string(), "ignored".to_string())))
    }

    #[test]
    fn csv_output_round_trips() {
        let mut out = Vec::new();
        write_csv(Sheet::Failed, failed_rows(), &mut out).unwrap();
        assert_eq!(csv_rows(&out), failed_expected());
        let mut out = Vec::new();
        write_csv(Sheet::Export, export_rows(), &mut out).unwrap();
        let mut expected = export_expected();
        // Money with two decimals, as the XLSX's number format shows it.
        expected[1][5] = "1234.50".into();
        expected[1][14] = "2000.00".into();
        assert_eq!(csv_rows(&out), expected);
    }

    #[test]
    fn failed_csv_reimports() {
        let mut out = Vec::new();
        write_csv(Sheet::Failed, failed_rows().take(1), &mut out).unwrap();
        let rows = read_all(Format::Csv, &out).unwrap();
        let expected = r#"{"name":"椅子","assetClass":"数量型","price":"12.5","count":"3","deadline":"5","assetTree":"t","user":"u","department":"d","parent":"p,\"q\""}"#;
        assert_eq!(rows, vec![(2, expected.to_string())]);
    }

    #[test]
    fn xlsx_output_round_trips() {
        let file = write_xlsx(Sheet::Failed, failed_rows()).unwrap();
        let sheets = xlsx_sheets(file_bytes(file));
        assert_eq!(sheets.len(), 1);
        assert_eq!(sheets[0].1, failed_expected());
        let file = write_xlsx(Sheet::Export, export_rows()).unwrap();
        let sheets = xlsx_sheets(file_bytes(file));
        assert_eq!(sheets[0].1, export_expected());
    }

    #[test]
    fn writers_stop_on_row_error() {
        let rows = failed_rows().take(1).chain([Err("数据库错误".to_string())]);
        assert_eq!(
            write_csv(Sheet::Failed, rows, Vec::new()),
            Err("数据库错误".to_string())
        );
        let rows = failed_rows().take(1).chain([Err("数据库错误".to_string())]);
        assert_eq!(write_xlsx(Sheet::Failed, rows).unwrap_err(), "数据库错误");
    }

    #[test]
    fn long_text_is_cut_to_excel_limit() {
        let long = "长".repeat(XLSX_MAX_CHARS + 10);
        let json = serde_json::json!({ "name": long }).to_string();
        let file = write_xlsx(Sheet::Failed, [Ok((json, String::new()))].into_iter()).unwrap();
        let sheets = xlsx_sheets(file_bytes(file));
        assert_eq!(sheets[0].1[1][0].chars().count(), XLSX_MAX_CHARS);
    }

    #[test]
    fn xlsx_spills_to_new_worksheets() {
        let rows = (0..7).map(|i| Ok((format!(r#"{{"id":{i}}}"#), String::new())));
        let file = write_xlsx_with_limit(Sheet::Export, rows, 3).unwrap();
        let sheets = xlsx_sheets(file_bytes(file));
        let names: Vec<&str> = sheets.iter().map(|s| s.0.as_str()).collect();
        assert_eq!(names, ["Sheet1", "Sheet2", "Sheet3", "Sheet4"]);
        let ids: Vec<Vec<&str>> = sheets
            .iter()
            .map(|(_, rows)| {
                assert_eq!(rows[0][0], "资产编号");
                rows[1..].iter().map(|r| r[0].as_str()).collect()
            })
            .collect();
        assert_eq!(
            ids,
            [vec!["0", "1"], vec!["2", "3"], vec!["4", "5"], vec!["6"]]
        );
    }

    #[test]
    fn xlsx_spills_past_excel_row_limit() {
        let rows = (0..1_100_000u32).map(|i| Ok((format!(r#"{{"id":{i}}}"#), String::new())));
        let file = write_xlsx(Sheet::Export, rows).unwrap();
        let bytes = file_bytes(file);
        let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).unwrap();
        assert_eq!(workbook.sheet_names(), ["Sheet1", "Sheet2"]);
        let mut cells = workbook.worksheet_cells_reader("Sheet2").unwrap();
        let mut rows = 0;
        let mut last = String::new();
        while let Some(cell) = cells.next_cell().unwrap() {
            if cell.get_position().1 == 0 {
                rows += 1;
                last = cell_text(cell.get_value());
            }
        }
        assert_eq!(rows, 1 + 1_100_000 - (XLSX_MAX_ROWS - 1));
        assert_eq!(last, "1099999");
    }
}
