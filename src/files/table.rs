//! A table of typed cells (a header row, then rows of text and numbers) as CSV or XLSX: the
//! operations journal's download. Like the task files: a UTF-8 BOM for Excel, text that a
//! spreadsheet would run as a formula defused in the CSV, an XLSX written in constant memory.
//! Unlike `write_table_xlsx` (rows of text continued on further worksheets), an XLSX here is one
//! worksheet at most, its last row saying so when rows were left out: a journal grows without
//! end, and an auditor narrows it by dates.

use super::{csv_cell, UTF8_BOM, XLSX_MAX_CHARS, XLSX_MAX_ROWS};
use rust_xlsxwriter::{Workbook, XlsxError};
use std::io::{Seek, SeekFrom, Write};

/// The data rows one worksheet holds (its first row is the header).
pub const XLSX_DATA_ROWS: u32 = XLSX_MAX_ROWS - 1;

/// One cell of a table.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Number(f64),
}

/// Streams the table as CSV into `out`. An `Err` from `rows` stops writing and is returned.
pub fn write_cells_csv(
    headers: &[(&str, f64)],
    rows: impl Iterator<Item = Result<Vec<Cell>, String>>,
    out: &mut dyn Write,
) -> Result<(), String> {
    let io = |e: csv::Error| format!("写入CSV失败：{e}");
    out.write_all(UTF8_BOM)
        .map_err(|e| format!("写入CSV失败：{e}"))?;
    let mut writer = csv::Writer::from_writer(out);
    writer
        .write_record(headers.iter().map(|(header, _)| header))
        .map_err(io)?;
    for row in rows {
        for cell in row? {
            match cell {
                Cell::Empty => writer.write_field(""),
                Cell::Number(n) => writer.write_field(n.to_string()),
                Cell::Text(s) => writer.write_field(csv_cell(&s).as_ref()),
            }
            .map_err(io)?;
        }
        writer.write_record(None::<&[u8]>).map_err(io)?;
    }
    writer.flush().map_err(|e| format!("写入CSV失败：{e}"))
}

/// Writes the table as XLSX (one worksheet, header frozen) to a temporary file and returns it
/// rewound. Rows past what the worksheet holds are not written: its last row is then `cut`
/// instead, so a reader knows the file is not the whole list.
pub fn write_cells_xlsx(
    headers: &[(&str, f64)],
    rows: impl Iterator<Item = Result<Vec<Cell>, String>>,
    cut: &str,
) -> Result<std::fs::File, String> {
    write_cells_xlsx_with_limit(headers, rows, cut, XLSX_DATA_ROWS)
}

/// `write_cells_xlsx` with `max_rows` data rows, so tests can reach the end of a sheet.
pub(super) fn write_cells_xlsx_with_limit(
    headers: &[(&str, f64)],
    rows: impl Iterator<Item = Result<Vec<Cell>, String>>,
    cut: &str,
    max_rows: u32,
) -> Result<std::fs::File, String> {
    let xlsx = |e: XlsxError| format!("生成XLSX文件失败：{e}");
    let mut workbook = Workbook::new();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    let sheet = workbook
        .add_worksheet_with_constant_memory()
        .map_err(xlsx)?;
    sheet.set_freeze_panes(1, 0).map_err(xlsx)?;
    for (col, (header, width)) in headers.iter().enumerate() {
        let col = col as u16;
        sheet.set_column_width(col, *width).map_err(xlsx)?;
        sheet
            .write_string_with_format(0, col, *header, &bold)
            .map_err(xlsx)?;
    }
    let mut row: u32 = 1;
    let mut rows = rows.peekable();
    while let Some(cells) = rows.next() {
        let cells = cells?;
        // The sheet's last place: the last row if it is, else the note that more were left out.
        if row == max_rows && rows.peek().is_some() {
            sheet.write_string(row, 0, cut).map_err(xlsx)?;
            break;
        }
        for (col, cell) in cells.into_iter().enumerate() {
            let col = col as u16;
            match cell {
                Cell::Empty => {}
                Cell::Number(n) => {
                    sheet.write_number(row, col, n).map_err(xlsx)?;
                }
                Cell::Text(s) => {
                    let s = match s.char_indices().nth(XLSX_MAX_CHARS) {
                        Some((end, _)) => &s[..end],
                        None => &s,
                    };
                    sheet.write_string(row, col, s).map_err(xlsx)?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::{Reader, Xlsx};
    use std::io::{Cursor, Read};

    const HEADERS: [(&str, f64); 2] = [("编号", 8.0), ("说明", 30.0)];

    fn rows(n: usize) -> impl Iterator<Item = Result<Vec<Cell>, String>> {
        (1..=n).map(|i| Ok(vec![Cell::Number(i as f64), Cell::Text(format!("第{i}行"))]))
    }

    fn sheet(mut file: std::fs::File) -> Vec<Vec<String>> {
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).unwrap();
        let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).unwrap();
        let names = book.sheet_names();
        assert_eq!(names.len(), 1);
        let range = book.worksheet_range(&names[0]).unwrap();
        range
            .rows()
            .map(|r| r.iter().map(|c| c.to_string()).collect())
            .collect()
    }

    #[test]
    fn a_table_fills_one_sheet_and_says_when_rows_were_left_out() {
        let whole = write_cells_xlsx_with_limit(&HEADERS, rows(3), "省略", 3).unwrap();
        let whole = sheet(whole);
        assert_eq!(whole.len(), 4);
        assert_eq!(whole[0], ["编号", "说明"]);
        assert_eq!(whole[3], ["3", "第3行"]);

        let cut = sheet(write_cells_xlsx_with_limit(&HEADERS, rows(5), "省略", 3).unwrap());
        assert_eq!(cut.len(), 4);
        assert_eq!(cut[2], ["2", "第2行"]);
        assert_eq!(cut[3][0], "省略");
    }

    #[test]
    fn a_csv_table_has_a_bom_and_defuses_formulas() {
        let mut out = Vec::new();
        let formula = Ok(vec![Cell::Empty, Cell::Text("=1+1".into())]);
        write_cells_csv(&HEADERS, rows(1).chain([formula]), &mut out).unwrap();
        assert!(out.starts_with(UTF8_BOM));
        let text = String::from_utf8(out[UTF8_BOM.len()..].to_vec()).unwrap();
        assert_eq!(text, "编号,说明\n1,第1行\n,'=1+1\n");
    }
}
