//! The whole register in Excel, on a server and database of its own: the import-compatible
//! XLSX download of every asset and its upload again as a dry run, each timed beside what the
//! XLSX crates alone take for the same cells (rust_xlsxwriter's constant-memory writer,
//! calamine's reader), in the same run, alternating, median of three.

use super::harness::*;
use calamine::{DataRef, Reader, Xlsx};
use std::io::{BufReader, Seek, SeekFrom, Write};
use std::path::Path;
use std::time::Instant;

/// Rounds of each measurement; the medians are reported.
const ROUNDS: usize = 3;

/// One cell of the downloaded sheet, as the reference writer writes it again.
enum Cell {
    Empty,
    Number(f64),
    /// A range of `Cells::text`.
    Text(u32, u32),
}

/// Every cell of the sheet in one allocation of text: 12 million cells kept small.
struct Cells {
    columns: usize,
    cells: Vec<Cell>,
    text: String,
}

pub(crate) fn xlsx(n: usize) {
    println!("xlsx_rows={n}");
    let phase = Phase::start("xlsx.sqlite3", "xl", n);
    let (server, session, database) = (&phase.server, &phase.session, &phase.database);
    let client = &server.client;
    // The trigram index is filled in the background after an import: wait for it, so it does
    // not share the cores with what is measured.
    {
        let conn = rusqlite::Connection::open(database).expect("open");
        let indexed = "SELECT (SELECT indexed_to FROM text_index) >= (SELECT max(id) FROM asset)";
        while !conn
            .query_row(indexed, [], |r| r.get::<_, bool>(0))
            .expect("text index")
        {
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }
    // The phase's memory is that of its export, downloads and dry runs, not the import's body.
    server.reset_peak();
    let body = br#"{"filter": {}}"#;
    let (export_id, _) = submit(
        client,
        session,
        body,
        "/api/export_task",
        "application/json",
    );
    let path = format!("/api/async_task/{session}/{export_id}/file?format=xlsx&layout=import");
    let file_path = phase.dir().join("register.xlsx");

    let (mut export, mut writer, mut dry, mut reader) = (vec![], vec![], vec![], vec![]);
    let mut accept = vec![];
    let mut cells = None;
    for round in 0..ROUNDS {
        let start = Instant::now();
        let (status, bytes) = client.get(&path);
        export.push(start.elapsed().as_secs_f64());
        assert_eq!(
            status,
            200,
            "{}",
            String::from_utf8_lossy(&bytes[..200.min(bytes.len())])
        );
        if round == 0 {
            println!("xlsx_mb={:.1}", bytes.len() as f64 / 1048576.0);
            std::fs::write(&file_path, &bytes).expect("write the download");
            cells = Some(collect(&file_path));
        }
        let sheet = cells.as_ref().expect("cells");
        assert_eq!(sheet.cells.len() / sheet.columns, n + 1, "a row per asset");

        writer.push(write_reference(sheet, phase.dir()));

        let form = multipart("register.xlsx", &bytes);
        drop(bytes);
        let content_type = format!("multipart/form-data; boundary={BOUNDARY}");
        let (_, timing) = submit(
            client,
            session,
            &form,
            "/api/asset_file?dry_run=true",
            &content_type,
        );
        dry.push(timing.total);
        accept.push(timing.accept);
        drop(form);

        reader.push(read_reference(&file_path));
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(|a, b| a.total_cmp(b));
        v[v.len() / 2]
    };
    let mut export_ratio: Vec<f64> = export.iter().zip(&writer).map(|(a, b)| a / b).collect();
    let mut dry_ratio: Vec<f64> = dry.iter().zip(&reader).map(|(a, b)| a / b).collect();
    println!("xlsx_export_seconds={:.3}", median(&mut export));
    println!("xlsx_writer_seconds={:.3}", median(&mut writer));
    println!("xlsx_export_vs_writer={:.3}", median(&mut export_ratio));
    println!("xlsx_dry_run_accept_seconds={:.3}", median(&mut accept));
    println!("xlsx_dry_run_seconds={:.3}", median(&mut dry));
    println!("xlsx_reader_seconds={:.3}", median(&mut reader));
    println!("xlsx_dry_run_vs_reader={:.3}", median(&mut dry_ratio));
    println!("peak_rss_mb_xlsx={:.0}", server.peak_rss_mb());
}

const BOUNDARY: &str = "bench-xlsx-boundary-7f3a";

/// The file as a browser's form sends it: one file field, with its name.
fn multipart(name: &str, bytes: &[u8]) -> Vec<u8> {
    let mut form = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\
         Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet\r\n\r\n"
    )
    .into_bytes();
    form.extend_from_slice(bytes);
    form.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    form
}

fn open(path: &Path) -> Xlsx<BufReader<std::fs::File>> {
    let file = std::fs::File::open(path).expect("open the download");
    Xlsx::new(BufReader::with_capacity(64 << 10, file)).expect("an XLSX")
}

/// Every cell of the first sheet, kept for the reference writer (not timed).
fn collect(path: &Path) -> Cells {
    let mut workbook = open(path);
    let name = workbook.sheet_names()[0].clone();
    let mut reader = workbook.worksheet_cells_reader(&name).expect("sheet");
    let mut out = Cells {
        columns: 0,
        cells: Vec::new(),
        text: String::new(),
    };
    let mut row: Vec<Cell> = Vec::new();
    let mut current = 0u32;
    let flush = |row: &mut Vec<Cell>, out: &mut Cells| {
        if out.columns == 0 {
            out.columns = row.len();
        }
        row.resize_with(out.columns, || Cell::Empty);
        out.cells.append(row);
    };
    while let Some(cell) = reader.next_cell().expect("cell") {
        let (r, c) = cell.get_position();
        if r != current {
            flush(&mut row, &mut out);
            current = r;
        }
        while row.len() < c as usize {
            row.push(Cell::Empty);
        }
        let value = match cell.get_value() {
            DataRef::Int(i) => Cell::Number(*i as f64),
            DataRef::Float(f) => Cell::Number(*f),
            DataRef::String(s) => text(&mut out.text, s),
            DataRef::SharedString(s) => text(&mut out.text, s),
            DataRef::Empty => Cell::Empty,
            other => text(&mut out.text, &format!("{other:?}")),
        };
        row.push(value);
    }
    flush(&mut row, &mut out);
    out
}

fn text(all: &mut String, s: &str) -> Cell {
    let start = all.len() as u32;
    all.push_str(s);
    Cell::Text(start, s.len() as u32)
}

/// rust_xlsxwriter alone: the same cells through its constant-memory worksheet into a file, as
/// the server writes them (header bold, money as 0.00). Seconds.
fn write_reference(sheet: &Cells, dir: &Path) -> f64 {
    let start = Instant::now();
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let money = rust_xlsxwriter::Format::new().set_num_format("0.00");
    let bold = rust_xlsxwriter::Format::new().set_bold();
    let worksheet = workbook
        .add_worksheet_with_constant_memory()
        .expect("worksheet");
    let money_col = {
        let header = &sheet.cells[..sheet.columns];
        header
            .iter()
            .position(|c| matches!(c, Cell::Text(s, l) if &sheet.text[*s as usize..(*s + *l) as usize] == "资产价值"))
    };
    for (i, row) in sheet.cells.chunks(sheet.columns).enumerate() {
        for (col, cell) in row.iter().enumerate() {
            let (r, c) = (i as u32, col as u16);
            match cell {
                Cell::Empty => {}
                Cell::Number(n) if Some(col) == money_col => {
                    worksheet
                        .write_number_with_format(r, c, *n, &money)
                        .expect("cell");
                }
                Cell::Number(n) => {
                    worksheet.write_number(r, c, *n).expect("cell");
                }
                Cell::Text(s, l) => {
                    let s = &sheet.text[*s as usize..(*s + *l) as usize];
                    if i == 0 {
                        worksheet
                            .write_string_with_format(r, c, s, &bold)
                            .expect("cell");
                    } else {
                        worksheet.write_string(r, c, s).expect("cell");
                    }
                }
            }
        }
    }
    let mut file = tempfile::tempfile_in(dir).expect("temp file");
    workbook.save_to_writer(&mut file).expect("save");
    file.flush().expect("flush");
    let seconds = start.elapsed().as_secs_f64();
    file.seek(SeekFrom::Start(0)).expect("seek");
    seconds
}

/// calamine alone: every cell of the file read, as the server's reader reads them. Seconds.
pub(crate) fn read_reference(path: &Path) -> f64 {
    let start = Instant::now();
    let mut workbook = open(path);
    let name = workbook.sheet_names()[0].clone();
    let mut reader = workbook.worksheet_cells_reader(&name).expect("sheet");
    let mut cells = 0u64;
    while let Some(cell) = reader.next_cell().expect("cell") {
        std::hint::black_box(cell.get_value());
        cells += 1;
    }
    std::hint::black_box(cells);
    start.elapsed().as_secs_f64()
}
