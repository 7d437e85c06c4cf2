//! Reading an uploaded CSV or XLSX file into rows, within the limits it is given.

use super::*;
use calamine::{DataRef, Reader, SheetType, Xlsx};
use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::rc::Rc;

use super::source::{At, ReadAt};

mod xlsx;
#[cfg(test)]
pub(super) use xlsx::cell_text;

/// Which file column feeds which template field, learned from the header row.
struct Columns {
    /// (file column index, index into `IMPORT_COLUMNS`): at most one entry per import
    /// column, so its size never depends on a coordinate written in the file (a header cell at
    /// column ZZZZZZZZ once asked for a 39 GB table).
    by_col: Vec<(usize, usize)>,
    present: [bool; IMPORT_COLUMNS.len()],
    /// The header's texts that name no column of the vocabulary (e.g. 保修期), in file order:
    /// the task names them so nothing is dropped without a word.
    unread: Vec<String>,
}

impl Columns {
    /// The columns a header names; `required`: the fields it must have (None: every import
    /// column not optional).
    fn from_header<'a>(
        cells: impl Iterator<Item = (usize, &'a str)>,
        required: Option<&[&str]>,
    ) -> Result<Columns, String> {
        let mut columns = Columns {
            by_col: Vec::new(),
            present: [false; IMPORT_COLUMNS.len()],
            unread: Vec::new(),
        };
        // A header that stands for 原值 when the file has it: an older full export's 初始价值
        // (its 资产价值 was the depreciated value), so such an export uploaded again keeps the
        // price.
        let price = IMPORT_COLUMNS.iter().position(|c| c.field == "price");
        let mut initial_price = None;
        for (col, text) in cells {
            let text = text.trim();
            if text == crate::columns::LEGACY_INITIAL_PRICE {
                initial_price = Some(col);
                continue;
            }
            let Some(field) = IMPORT_COLUMNS.iter().position(|c| c.named_by(text)) else {
                // The full export's derived columns (剩余年限, 状态, ...) are the vocabulary's
                // own words; anything else is named on the task.
                if !text.is_empty()
                    && !crate::columns::is_known_header(text)
                    && columns.unread.len() < MAX_UNREAD
                    && !columns.unread.iter().any(|t| t == text)
                {
                    columns.unread.push(text.chars().take(40).collect());
                }
                continue;
            };
            if columns.present[field] {
                return Err(format!("列重复：{}", column_label(field)));
            }
            columns.present[field] = true;
            columns.by_col.push((col, field));
        }
        if let (Some(col), Some(price)) = (initial_price, price) {
            columns.by_col.retain(|(_, field)| *field != price);
            columns.by_col.push((col, price));
            columns.present[price] = true;
        }
        let missing: Vec<String> = (0..IMPORT_COLUMNS.len())
            .filter(|&f| {
                let needed = match required {
                    Some(fields) => fields.contains(&IMPORT_COLUMNS[f].field),
                    None => !IMPORT_COLUMNS[f].optional,
                };
                !columns.present[f] && needed
            })
            .map(column_label)
            .collect();
        if missing.is_empty() {
            Ok(columns)
        } else {
            Err(format!("缺少必需的列：{}", missing.join(", ")))
        }
    }

    /// The row's text of each field the header names; None when every cell of a known column
    /// is blank.
    fn raw_row<'a>(
        &self,
        line: u64,
        cells: impl Iterator<Item = (usize, &'a str)>,
    ) -> Option<RawRow> {
        let mut values: [&str; IMPORT_COLUMNS.len()] = [""; IMPORT_COLUMNS.len()];
        for (col, text) in cells {
            if let Some((_, field)) = self.by_col.iter().find(|(c, _)| *c == col) {
                values[*field] = trim(text);
            }
        }
        if values.iter().all(|v| v.is_empty()) {
            return None;
        }
        let mut text = String::with_capacity(values.iter().map(|v| v.len()).sum());
        let mut ends = [0; IMPORT_COLUMNS.len()];
        for (value, end) in values.iter().zip(&mut ends) {
            text.push_str(value);
            *end = text.len();
        }
        Some(RawRow {
            line,
            text,
            ends,
            present: self.present,
        })
    }
}

/// A data row as read, not yet laid out as JSON: the text of each field the header names
/// (trimmed), in one buffer. Laying it out (`Layout::row`) is left to the caller: an upload
/// does it on the storing thread, the reading thread reading on meanwhile.
#[derive(Debug)]
pub struct RawRow {
    /// As `UploadRow::line`.
    pub line: u64,
    text: String,
    /// Where each field's text ends in `text`, by field in `IMPORT_COLUMNS` order.
    ends: [usize; IMPORT_COLUMNS.len()],
    /// The fields the header names.
    present: [bool; IMPORT_COLUMNS.len()],
}

impl RawRow {
    /// The row object, with where each value stands in it verbatim.
    fn json(&self) -> (String, Option<Spans>) {
        let mut json = String::with_capacity(self.text.len() + 200);
        let mut spans = Some([None; IMPORT_COLUMNS.len()]);
        json.push('{');
        let mut start = 0;
        for (field, column) in IMPORT_COLUMNS.iter().enumerate() {
            let value = &self.text[start..self.ends[field]];
            start = self.ends[field];
            if !self.present[field] || (value.is_empty() && column.optional) {
                continue;
            }
            if json.len() > 1 {
                json.push(',');
            }
            // Written straight into the row's text, escaped as serde_json escapes a string.
            json_string(&mut json, column.field);
            json.push(':');
            let from = json.len() + 1;
            let verbatim = json_string(&mut json, value);
            match (
                &mut spans,
                u32::try_from(from),
                u32::try_from(json.len() - 1),
            ) {
                (Some(spans), Ok(from), Ok(end)) if verbatim => spans[field] = Some((from, end)),
                _ => spans = None,
            }
        }
        json.push('}');
        (json, spans)
    }
}

/// Lays a file's rows out as JSON (`UploadRow`), within the limit on the text of all its rows
/// (`ReadLimits::max_unpacked`).
pub struct Layout {
    limits: ReadLimits,
    /// Bytes of row text laid out so far.
    text: u64,
}

impl Layout {
    pub fn new(limits: ReadLimits) -> Layout {
        Layout { limits, text: 0 }
    }

    /// The row as JSON; the file's reason to refuse it once its rows' text passes the limit.
    pub fn row(&mut self, raw: RawRow) -> Result<UploadRow, String> {
        let (json, spans) = raw.json();
        self.text += json.len() as u64;
        if self.text > self.limits.max_unpacked {
            return Err(format!(
                "文件的数据超过{} MiB（设置 upload_max_unpacked_mib），请拆分文件后上传",
                self.limits.unpacked_mib()
            ));
        }
        Ok(UploadRow {
            line: raw.line,
            json,
            spans,
        })
    }
}

/// `text.trim()`, without the search when it starts and ends with no white space (nearly every
/// cell).
fn trim(text: &str) -> &str {
    let mut chars = text.chars();
    match (chars.next(), chars.next_back()) {
        (Some(first), Some(last)) if !first.is_whitespace() && !last.is_whitespace() => text,
        (Some(only), None) if !only.is_whitespace() => text,
        _ => text.trim(),
    }
}

/// A text as a JSON string, appended, escaped as serde_json escapes it; true when the text
/// stands in it verbatim (nothing needed escaping).
fn json_string(out: &mut String, text: &str) -> bool {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    let mut from = 0;
    for (i, b) in text.bytes().enumerate() {
        let short = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0..=0x1f => "",
            _ => continue,
        };
        // An ASCII byte: a character of its own.
        out.push_str(&text[from..i]);
        if short.is_empty() {
            out.push_str("\\u00");
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 15)]));
        } else {
            out.push_str(short);
        }
        from = i + 1;
    }
    out.push_str(&text[from..]);
    out.push('"');
    from == 0
}

/// At most this many unread headers are kept (a sheet may have 16,384 columns).
const MAX_UNREAD: usize = 50;

fn column_label(field: usize) -> String {
    IMPORT_COLUMNS[field].header.to_owned()
}

/// What reading a file found besides its rows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileRead {
    /// The data rows passed to the sink.
    pub rows: u64,
    /// The header's texts the import does not read (e.g. 保修期), in file order.
    pub unread_columns: Vec<String>,
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
/// collecting the rows (nor the file: it is read as it goes, from a temporary file in the server's
/// case). Returns the number of rows passed to the sink and the headers it did not read.
pub fn read_rows<E, S: ReadAt + ?Sized>(
    format: Format,
    file: &S,
    limits: ReadLimits,
    sink: impl FnMut(UploadRow) -> Result<(), E>,
) -> Result<FileRead, FileError<E>> {
    read_rows_needing(format, file, (limits, None), sink)
}

/// `read_rows` of a file whose header must name only the fields `required` (a request file:
/// 资产编号) instead of an import's.
pub fn read_rows_needing<E, S: ReadAt + ?Sized>(
    format: Format,
    file: &S,
    (limits, required): (ReadLimits, Option<&'static [&'static str]>),
    mut sink: impl FnMut(UploadRow) -> Result<(), E>,
) -> Result<FileRead, FileError<E>> {
    let mut layout = Layout::new(limits);
    let read = read_raw_rows(format, file, (limits, required), |raw| {
        match layout.row(raw) {
            Ok(row) => sink(row).map_err(FileError::Sink),
            Err(why) => Err(FileError::Unreadable(why)),
        }
    });
    read.map_err(|e| match e {
        FileError::Unreadable(why) | FileError::Sink(FileError::Unreadable(why)) => {
            FileError::Unreadable(why)
        }
        FileError::Sink(FileError::Sink(e)) => FileError::Sink(e),
    })
}

/// `read_rows_needing`, each row handed over as read (`RawRow`), for the caller to lay out
/// (`Layout`) where it likes.
pub fn read_raw_rows<E, S: ReadAt + ?Sized>(
    format: Format,
    file: &S,
    (limits, required): (ReadLimits, Option<&'static [&'static str]>),
    sink: impl FnMut(RawRow) -> Result<(), E>,
) -> Result<FileRead, FileError<E>> {
    let feeder = RowFeeder {
        columns: None,
        required,
        sink,
        rows: 0,
        limits,
    };
    match format {
        Format::Csv => read_csv(At::new(file), feeder),
        Format::Xlsx => xlsx::read_xlsx(file, feeder),
    }
}

fn io_error<E>(e: std::io::Error) -> FileError<E> {
    FileError::Unreadable(format!("读取上传文件失败：{e}"))
}

/// The first bytes of `file` (fewer if it is shorter), leaving it at its start.
fn head<R: Read + Seek>(file: &mut R, n: usize) -> std::io::Result<Vec<u8>> {
    file.seek(SeekFrom::Start(0))?;
    let mut head = Vec::with_capacity(n);
    file.by_ref().take(n as u64).read_to_end(&mut head)?;
    file.seek(SeekFrom::Start(0))?;
    Ok(head)
}

/// Feeds rows after the header: shared by the CSV and XLSX readers.
struct RowFeeder<E, F: FnMut(RawRow) -> Result<(), E>> {
    columns: Option<Columns>,
    required: Option<&'static [&'static str]>,
    sink: F,
    rows: u64,
    limits: ReadLimits,
}

impl<E, F: FnMut(RawRow) -> Result<(), E>> RowFeeder<E, F> {
    fn line<'a>(
        &mut self,
        line: u64,
        cells: impl Iterator<Item = (usize, &'a str)> + Clone,
    ) -> Result<(), FileError<E>> {
        match &self.columns {
            None => {
                // The header is the first line with any text.
                if cells.clone().any(|(_, t)| !t.trim().is_empty()) {
                    self.columns = Some(
                        Columns::from_header(cells, self.required)
                            .map_err(FileError::Unreadable)?,
                    );
                }
            }
            Some(columns) => {
                if let Some(row) = columns.raw_row(line, cells) {
                    if self.rows >= self.limits.max_rows {
                        return Err(FileError::Unreadable(format!(
                            "文件的数据行超过{}行（设置 upload_max_rows），请拆分文件后上传",
                            self.limits.max_rows
                        )));
                    }
                    (self.sink)(row).map_err(FileError::Sink)?;
                    self.rows += 1;
                }
            }
        }
        Ok(())
    }

    /// Whether a cell of file column `col` can matter: any before the header is found, then
    /// those of the columns the header names.
    fn reads_column(&self, col: usize) -> bool {
        match &self.columns {
            None => true,
            Some(columns) => columns.by_col.iter().any(|(c, _)| *c == col),
        }
    }

    fn finish(self) -> Result<FileRead, FileError<E>> {
        match self.columns {
            None => Err(FileError::Unreadable("文件没有表头行".into())),
            Some(columns) => Ok(FileRead {
                rows: self.rows,
                unread_columns: columns.unread,
            }),
        }
    }
}

fn read_csv<E, F: FnMut(RawRow) -> Result<(), E>, R: Read + Seek>(
    mut file: R,
    mut feeder: RowFeeder<E, F>,
) -> Result<FileRead, FileError<E>> {
    if head(&mut file, UTF8_BOM.len()).map_err(io_error)? == UTF8_BOM {
        file.seek(SeekFrom::Start(UTF8_BOM.len() as u64))
            .map_err(io_error)?;
    }
    let seen = Rc::new(RefCell::new(VecDeque::new()));
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(Tee {
            inner: file,
            seen: seen.clone(),
        });
    let mut record = csv::ByteRecord::new();
    let mut lines = LineCounter {
        seen,
        pos: 0,
        line: 1,
        after_cr: false,
    };
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) if e.is_io_error() => {
                return Err(FileError::Unreadable(format!("读取上传文件失败：{e}")));
            }
            Err(e) => {
                lines.skip_breaks();
                let line = lines.line;
                return Err(FileError::Unreadable(format!("CSV第{line}行格式错误：{e}")));
            }
        }
        // csv's own line numbers drift on CRLF and blank lines, so count line breaks here.
        lines.skip_breaks();
        let line = lines.line;
        lines.advance(reader.position().byte());
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

/// Hands the CSV reader the file, keeping a copy of what it read that the line counter has not
/// passed yet: a record and the reader's buffer at most.
struct Tee<R> {
    inner: R,
    seen: Rc<RefCell<VecDeque<u8>>>,
}

impl<R: Read> Read for Tee<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.seen.borrow_mut().extend(&buf[..n]);
        Ok(n)
    }
}

/// The 1-based line at a byte offset of a CSV file; CRLF, LF and a lone CR each end a line.
struct LineCounter {
    /// The bytes from `pos` on that the CSV reader has read.
    seen: Rc<RefCell<VecDeque<u8>>>,
    pos: u64,
    line: u64,
    /// The last byte passed was a CR: an LF right after it ends no other line.
    after_cr: bool,
}

impl LineCounter {
    fn advance(&mut self, to: u64) {
        let mut seen = self.seen.borrow_mut();
        let n = usize::try_from(to.saturating_sub(self.pos))
            .unwrap_or(usize::MAX)
            .min(seen.len());
        let (a, b) = seen.as_slices();
        for &byte in a.iter().chain(b).take(n) {
            match byte {
                b'\r' => self.line += 1,
                b'\n' if !self.after_cr => self.line += 1,
                _ => {}
            }
            self.after_cr = byte == b'\r';
        }
        seen.drain(..n);
        self.pos += n as u64;
    }

    /// Moves past the line breaks (blank lines included) before a record: an unquoted record
    /// cannot start with one.
    fn skip_breaks(&mut self) {
        while matches!(self.seen.borrow().front(), Some(b'\r' | b'\n')) {
            self.advance(self.pos + 1);
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn row_text_is_escaped_as_serde_json_writes_it() {
        for text in [
            "",
            "a\"b\\c",
            "\u{1}\t\n\u{7f}\u{8}\u{c}\r\u{1f}",
            "长😀",
            "</script>",
            "'=1+2",
            "末\"",
        ] {
            let mut out = String::from("x");
            let verbatim = super::json_string(&mut out, text);
            let expected = serde_json::Value::from(text).to_string();
            assert_eq!(out, format!("x{expected}"));
            assert_eq!(verbatim, expected == format!("\"{text}\""), "{text:?}");
        }
    }

    #[test]
    fn trim_is_str_trim() {
        for text in [
            "",
            " ",
            "a",
            " a",
            "a ",
            "\u{3000}电脑\u{3000}",
            "电脑",
            "a b",
            "\t",
        ] {
            assert_eq!(super::trim(text), text.trim(), "{text:?}");
        }
    }
}
