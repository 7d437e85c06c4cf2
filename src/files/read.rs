//! Reading an uploaded CSV or XLSX file into rows, within the limits it is given.

use super::*;
use calamine::{DataRef, Reader, SheetType, Xlsx};
use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::rc::Rc;

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

    /// The row object, or None when every cell of a known column is blank.
    fn row_json<'a>(&self, cells: impl Iterator<Item = (usize, &'a str)>) -> Option<String> {
        let mut values: [&str; IMPORT_COLUMNS.len()] = [""; IMPORT_COLUMNS.len()];
        for (col, text) in cells {
            if let Some((_, field)) = self.by_col.iter().find(|(c, _)| *c == col) {
                values[*field] = text.trim();
            }
        }
        if values.iter().all(|v| v.is_empty()) {
            return None;
        }
        let mut json = Vec::with_capacity(256);
        json.push(b'{');
        for (field, column) in IMPORT_COLUMNS.iter().enumerate() {
            if !self.present[field] || (values[field].is_empty() && column.optional) {
                continue;
            }
            if json.len() > 1 {
                json.push(b',');
            }
            // Written straight into the row's text, escaped as serde_json escapes a string.
            json_string(&mut json, column.field);
            json.push(b':');
            json_string(&mut json, values[field]);
        }
        json.push(b'}');
        String::from_utf8(json).ok()
    }
}

/// A text as a JSON string, appended.
fn json_string(out: &mut Vec<u8>, text: &str) {
    // Writing into a Vec cannot fail, and a str always serializes.
    let _ = serde_json::to_writer(&mut *out, text);
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
pub fn read_rows<E, R: Read + Seek>(
    format: Format,
    file: R,
    limits: ReadLimits,
    sink: impl FnMut(UploadRow) -> Result<(), E>,
) -> Result<FileRead, FileError<E>> {
    read_rows_needing(format, file, (limits, None), sink)
}

/// `read_rows` of a file whose header must name only the fields `required` (a request file:
/// 资产编号) instead of an import's.
pub fn read_rows_needing<E, R: Read + Seek>(
    format: Format,
    file: R,
    (limits, required): (ReadLimits, Option<&'static [&'static str]>),
    sink: impl FnMut(UploadRow) -> Result<(), E>,
) -> Result<FileRead, FileError<E>> {
    let feeder = RowFeeder {
        columns: None,
        required,
        sink,
        rows: 0,
        text: 0,
        limits,
    };
    match format {
        Format::Csv => read_csv(file, feeder),
        Format::Xlsx => read_xlsx(file, feeder),
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
struct RowFeeder<E, F: FnMut(UploadRow) -> Result<(), E>> {
    columns: Option<Columns>,
    required: Option<&'static [&'static str]>,
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
                    self.columns = Some(
                        Columns::from_header(cells, self.required)
                            .map_err(FileError::Unreadable)?,
                    );
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

fn read_csv<E, F: FnMut(UploadRow) -> Result<(), E>, R: Read + Seek>(
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

/// Excel's columns per worksheet (A..XFD).
const XLSX_MAX_COLUMNS: u32 = 16_384;

fn read_xlsx<E, F: FnMut(UploadRow) -> Result<(), E>, R: Read + Seek>(
    file: R,
    feeder: RowFeeder<E, F>,
) -> Result<FileRead, FileError<E>> {
    let mut file = BufReader::with_capacity(64 << 10, file);
    let ole = head(&mut file, OLE_MAGIC.len()).map_err(io_error)? == OLE_MAGIC;
    xlsx_cost::check(&mut file, feeder.limits).map_err(FileError::Unreadable)?;
    file.seek(SeekFrom::Start(0)).map_err(io_error)?;
    // calamine computes a cell's column in a u32 without overflow checks of its own: a reference
    // such as ZZZZZZZZ1 wraps in a release build and panics in a checked one. The panic is
    // about the file, so it becomes the file's error, never the server's.
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        read_xlsx_cells(file, ole, feeder)
    })) {
        Ok(result) => result,
        Err(_) => Err(FileError::Unreadable(
            "无法读取XLSX文件：单元格坐标超出Excel的范围（最多1048576行、16384列）".into(),
        )),
    }
}

/// The first bytes of an old Excel file (.xls, an OLE compound file).
const OLE_MAGIC: &[u8] = b"\xD0\xCF\x11\xE0";

fn read_xlsx_cells<E, F: FnMut(UploadRow) -> Result<(), E>, R: Read + Seek>(
    file: R,
    ole: bool,
    mut feeder: RowFeeder<E, F>,
) -> Result<FileRead, FileError<E>> {
    let unreadable = |e: calamine::XlsxError| FileError::Unreadable(xlsx_reason(ole, &e));
    let mut workbook: Xlsx<_> = Xlsx::new(file).map_err(unreadable)?;
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
    // Cells arrive row by row; gather one row's cells, then hand the row over. The texts of a
    // row share one buffer (`row_cells` holds each cell's column and end in it), kept from row
    // to row: no allocation per cell.
    let mut row: Option<u32> = None;
    let mut row_cells: Vec<(usize, usize)> = Vec::new();
    let mut texts = String::new();
    // Bytes of text in `row_cells`: one long shared string can fill every cell of a row.
    let mut row_text = 0u64;
    loop {
        let cell = cells.next_cell().map_err(unreadable)?;
        let position = cell.as_ref().map(|c| c.get_position());
        if let Some(current) = row {
            if position.map(|p| p.0) != Some(current) {
                let line = u64::from(current) + 1;
                let cells = row_cells.iter().scan(0, |start, &(c, end)| {
                    let text = &texts[*start..end];
                    *start = end;
                    Some((c, text))
                });
                feeder.line(line, cells)?;
                row_cells.clear();
                texts.clear();
                row_text = 0;
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
        let start = texts.len();
        push_cell_text(&mut texts, cell.get_value());
        let len = texts.len() - start;
        // Only a text of more bytes than the limit's characters can have too many characters.
        if len > XLSX_MAX_CHARS && texts[start..].chars().count() > XLSX_MAX_CHARS {
            return Err(FileError::Unreadable(format!(
                "第{}行第{}列的单元格超过Excel的{XLSX_MAX_CHARS}个字符上限",
                r + 1,
                c + 1
            )));
        }
        // Past the header, a column the import does not read is not kept.
        if len == 0 || !feeder.reads_column(c as usize) {
            texts.truncate(start);
        } else {
            row_text += len as u64;
            if row_text > feeder.limits.max_unpacked / 8 {
                return Err(FileError::Unreadable(format!(
                    "XLSX文件第{}行的文本超过{} MiB（设置 upload_max_unpacked_mib 的八分之一），请拆分文件后上传",
                    r + 1,
                    xlsx_cost::mib(feeder.limits.max_unpacked / 8)
                )));
            }
            // A row holds at most one cell per column of the sheet.
            if row_cells.len() >= XLSX_MAX_COLUMNS as usize {
                return Err(FileError::Unreadable(format!(
                    "XLSX文件第{}行的单元格超过16384个",
                    r + 1
                )));
            }
            row_cells.push((c as usize, texts.len()));
        }
    }
    feeder.finish()
}

fn xlsx_reason(ole: bool, e: &calamine::XlsxError) -> String {
    if ole {
        "不支持旧版Excel（.xls）文件，请另存为.xlsx后上传".into()
    } else if matches!(e, calamine::XlsxError::Zip(_)) {
        "无法读取XLSX文件：文件不是有效的xlsx格式".into()
    } else {
        format!("无法读取XLSX文件：{e}")
    }
}

#[cfg(test)]
pub(super) fn cell_text(value: &DataRef<'_>) -> String {
    let mut text = String::new();
    push_cell_text(&mut text, value);
    text
}

/// A cell's value as the text an import reads, appended to `out` (no text made on the way for
/// numbers and strings, the cells nearly every row holds).
fn push_cell_text(out: &mut String, value: &DataRef<'_>) {
    use std::fmt::Write;
    // Writing into a String cannot fail.
    let _ = match value {
        DataRef::Int(i) => {
            out.push_str(itoa::Buffer::new().format(*i));
            Ok(())
        }
        // An integral value is written as f64's Display writes it (no ".0"), the common case
        // without its formatting machinery.
        DataRef::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => {
            out.push_str(itoa::Buffer::new().format(*f as i64));
            Ok(())
        }
        DataRef::Float(f) => write!(out, "{f}"),
        DataRef::String(s) | DataRef::DurationIso(s) => {
            out.push_str(s);
            Ok(())
        }
        DataRef::SharedString(s) => {
            out.push_str(s);
            Ok(())
        }
        DataRef::DateTimeIso(s) => {
            write!(
                out,
                "{}",
                s.strip_suffix("T00:00:00").unwrap_or(s).replace('T', " ")
            )
        }
        DataRef::Bool(b) => write!(out, "{b}"),
        DataRef::DateTime(dt) if dt.is_datetime() => {
            let (y, mo, d, h, mi, s, _) = dt.to_ymd_hms_milli();
            if (h, mi, s) == (0, 0, 0) {
                write!(out, "{y:04}-{mo:02}-{d:02}")
            } else {
                write!(out, "{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}")
            }
        }
        DataRef::DateTime(dt) => write!(out, "{}", dt.as_f64()),
        DataRef::Error(_) | DataRef::Empty => Ok(()),
    };
}

#[cfg(test)]
mod tests {
    #[test]
    fn row_text_is_escaped_as_serde_json_writes_it() {
        for text in [
            "",
            "a\"b\\c",
            "\u{1}\t\n\u{7f}",
            "长😀",
            "</script>",
            "'=1+2",
        ] {
            let mut out = Vec::new();
            super::json_string(&mut out, text);
            let expected = serde_json::Value::from(text).to_string();
            assert_eq!(String::from_utf8(out).unwrap(), expected);
        }
    }
}
