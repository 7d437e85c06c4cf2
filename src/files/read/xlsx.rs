//! Reading an uploaded XLSX: calamine behind the pricing (`xlsx_gate`), its cells as the texts
//! an import reads.

use super::*;
use crate::files::xlsx_gate::{Gate, Gated};

/// Excel's columns per worksheet (A..XFD).
const XLSX_MAX_COLUMNS: u32 = 16_384;

/// Reads an XLSX while it is priced (`xlsx_cost`) on a thread of its own (`upload-pricer`):
/// calamine reads only what the pricing passed (`xlsx_gate`), and a file the pricing refuses is
/// refused for its reason whatever calamine made of it.
pub(super) fn read_xlsx<E, F: FnMut(RawRow) -> Result<(), E>, S: ReadAt + ?Sized>(
    file: &S,
    feeder: RowFeeder<E, F>,
) -> Result<FileRead, FileError<E>> {
    let ole = head(&mut At::new(file), OLE_MAGIC.len()).map_err(io_error)? == OLE_MAGIC;
    let limits = feeder.limits;
    let gate = Gate::default();
    let price = || {
        let verdict = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            xlsx_cost::price(At::new(file), limits, Some(&gate))
        }))
        .unwrap_or_else(|_| Err("无法读取XLSX文件：内部错误".into()));
        // Whatever happened, calamine's reads stop waiting.
        gate.end(verdict.clone());
        verdict
    };
    std::thread::scope(|scope| {
        let pricer = std::thread::Builder::new()
            .name("upload-pricer".into())
            .spawn_scoped(scope, price);
        let pricer = match pricer {
            Ok(pricer) => Some(pricer),
            // No thread to spare: priced first, then read.
            Err(_) => {
                price().map_err(FileError::Unreadable)?;
                None
            }
        };
        let read = read_xlsx_behind(
            BufReader::with_capacity(64 << 10, Gated::new(file, &gate)),
            ole,
            feeder,
        );
        let priced = match pricer {
            Some(pricer) => pricer
                .join()
                .unwrap_or_else(|_| Err("无法读取XLSX文件：内部错误".into())),
            None => Ok(()),
        };
        priced.map_err(FileError::Unreadable)?;
        read
    })
}

/// calamine's read of the cells, through the gate.
fn read_xlsx_behind<E, F: FnMut(RawRow) -> Result<(), E>, R: Read + Seek>(
    file: R,
    ole: bool,
    feeder: RowFeeder<E, F>,
) -> Result<FileRead, FileError<E>> {
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

fn read_xlsx_cells<E, F: FnMut(RawRow) -> Result<(), E>, R: Read + Seek>(
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
pub(in crate::files) fn cell_text(value: &DataRef<'_>) -> String {
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
            // As `{y:04}-{mo:02}-{d:02}[ {h:02}:{mi:02}:{s:02}]` writes it, digit by digit (the
            // formatting machinery took a tenth of a large file's read, a date a row).
            let (y, mo, d, h, mi, s, _) = dt.to_ymd_hms_milli();
            push_padded(out, y, 4);
            for (before, n) in [('-', mo), ('-', d)] {
                out.push(before);
                push_padded(out, n.into(), 2);
            }
            if (h, mi, s) != (0, 0, 0) {
                for (before, n) in [(' ', h), (':', mi), (':', s)] {
                    out.push(before);
                    push_padded(out, n.into(), 2);
                }
            }
            Ok(())
        }
        DataRef::DateTime(dt) => write!(out, "{}", dt.as_f64()),
        DataRef::Error(_) | DataRef::Empty => Ok(()),
    };
}

/// `n` with leading zeros to `width` digits.
fn push_padded(out: &mut String, n: u16, width: usize) {
    let mut digits = itoa::Buffer::new();
    let digits = digits.format(n);
    out.extend(std::iter::repeat_n('0', width.saturating_sub(digits.len())));
    out.push_str(digits);
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_date_cell_is_written_as_its_format_would() {
        use calamine::{DataRef, ExcelDateTime, ExcelDateTimeType};
        // Whole days, times of day, Excel's 1900-02-29, the last day it knows, the 1904 system.
        for (value, is_1904) in [
            (1.0, false),
            (45943.0, false),
            (45943.5, false),
            (45943.999988, false),
            (60.0, false),
            (2958465.0, false),
            (0.25, true),
        ] {
            let dt = ExcelDateTime::new(value, ExcelDateTimeType::DateTime, is_1904);
            let (y, mo, d, h, mi, s, _) = dt.to_ymd_hms_milli();
            let expected = match (h, mi, s) {
                (0, 0, 0) => format!("{y:04}-{mo:02}-{d:02}"),
                _ => format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}"),
            };
            assert_eq!(
                super::cell_text(&DataRef::DateTime(dt)),
                expected,
                "{value}"
            );
        }
    }
}
