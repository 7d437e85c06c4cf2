//! A stocktake's report for the auditor (`GET …/report?format=xlsx|csv`): every expected line,
//! by state (未盘 … 盘亏), as expected and as found, who counted it and when, and whether the
//! asset changed in the register after the snapshot; then the extras (盘盈). Read a page of
//! lines at a time from its own connection, so a million lines stream in flat memory.

use super::{Names, LINE_LABELS};
use crate::db::stocktake as sql;
use crate::db::Pool;
use crate::error::{Error, Result};
use crate::files::{self, Cell, Format};
use std::collections::VecDeque;

/// The report's columns, with their widths in the XLSX.
pub const COLUMNS: [(&str, f64); 14] = [
    ("盘点结果", 10.0),
    ("资产编号", 10.0),
    ("资产名称", 24.0),
    ("所属部门", 14.0),
    ("应盘位置", 16.0),
    ("实盘位置", 16.0),
    ("应盘数量", 9.0),
    ("实盘数量", 9.0),
    ("应盘持有人", 12.0),
    ("实盘持有人", 12.0),
    ("盘点后登记表已变更", 10.0),
    ("盘点人", 12.0),
    ("盘点时间", 20.0),
    ("备注", 24.0),
];

/// Lines read per query.
const PAGE: i64 = 5000;

/// One line as a row of cells.
type LineCells = fn(&rusqlite::Connection, &mut Names, &sql::LineRow) -> Result<Vec<Cell>>;

/// A file's rows, read as they are written: the lines of each state in `states` (None: all of
/// them), then, with `extras`, the extras.
struct Rows {
    pool: Pool,
    id: i64,
    states: Vec<Option<i64>>,
    /// Which of `states` is being read; past them, the extras.
    at: usize,
    extras: bool,
    offset: i64,
    ready: VecDeque<Vec<Cell>>,
    names: Names,
    cells: LineCells,
    failed: bool,
}

fn text(s: impl Into<String>) -> Cell {
    let s = s.into();
    if s.is_empty() {
        Cell::Empty
    } else {
        Cell::Text(s)
    }
}

fn opt_text(s: Option<String>) -> Cell {
    s.map_or(Cell::Empty, text)
}

fn number(n: Option<i64>) -> Cell {
    n.map_or(Cell::Empty, |n| Cell::Number(n as f64))
}

/// The report's cells of one line.
fn report_cells(
    conn: &rusqlite::Connection,
    names: &mut Names,
    l: &sql::LineRow,
) -> Result<Vec<Cell>> {
    let department = names.department(conn, l.department_id)?;
    let owner = names.user(conn, l.owner_id)?;
    let found_owner = match l.found_owner_id {
        Some(id) => Some(names.user(conn, id)?),
        None => None,
    };
    let changed = if l.revision_now != Some(l.revision) {
        "是"
    } else {
        "否"
    };
    Ok(vec![
        text(LINE_LABELS[l.state.clamp(0, 5) as usize]),
        Cell::Number(l.asset_id as f64),
        text(l.name.clone()),
        text(department),
        text(l.position.clone()),
        opt_text(l.found_position.clone()),
        Cell::Number(l.count as f64),
        number(l.found_count),
        text(owner),
        opt_text(found_owner),
        text(changed),
        opt_text(l.counted_by.clone()),
        opt_text(l.counted_at.map(crate::clock::local_time)),
        opt_text(l.note.clone()),
    ])
}

/// The count sheet template's columns: the asset and what is expected, then what a counter
/// fills in where it differs (the import's words: 资产编号, 资产名称, 实盘位置 …).
pub const TEMPLATE_COLUMNS: [(&str, f64); 8] = [
    ("资产编号", 10.0),
    ("资产名称", 24.0),
    ("应盘位置", 16.0),
    ("应盘数量", 9.0),
    ("应盘持有人", 12.0),
    ("实盘位置", 16.0),
    ("实盘数量", 9.0),
    ("实盘持有人", 12.0),
];

/// The template's cells of one line: what is expected, the 实盘 columns left blank.
fn template_cells(
    conn: &rusqlite::Connection,
    names: &mut Names,
    l: &sql::LineRow,
) -> Result<Vec<Cell>> {
    let owner = names.user(conn, l.owner_id)?;
    Ok(vec![
        Cell::Number(l.asset_id as f64),
        text(l.name.clone()),
        text(l.position.clone()),
        Cell::Number(l.count as f64),
        text(owner),
        Cell::Empty,
        Cell::Empty,
        Cell::Empty,
    ])
}

impl Rows {
    /// Reads the next page into `ready`; false when nothing is left.
    fn fill(&mut self) -> Result<bool> {
        let conn = self.pool.get()?;
        while self.ready.is_empty() {
            let window = (self.offset, PAGE);
            let read = match self.states.get(self.at) {
                Some(state) => {
                    let lines = sql::lines(&conn, self.id, *state, window)?;
                    for l in &lines {
                        let cells = (self.cells)(&conn, &mut self.names, l)?;
                        self.ready.push_back(cells);
                    }
                    lines.len() as i64
                }
                None if self.extras => {
                    let (_, extras) = sql::extras(&conn, self.id, window)?;
                    for e in &extras {
                        self.ready.push_back(vec![
                            text("盘盈"),
                            text(e.code.clone()),
                            Cell::Empty,
                            Cell::Empty,
                            Cell::Empty,
                            opt_text(e.position.clone()),
                            Cell::Empty,
                            number(e.count),
                            Cell::Empty,
                            Cell::Empty,
                            Cell::Empty,
                            text(e.counted_by.clone()),
                            text(crate::clock::local_time(e.counted_at)),
                            opt_text(e.note.clone()),
                        ]);
                    }
                    extras.len() as i64
                }
                None => return Ok(false),
            };
            if read < PAGE {
                if self.at >= self.states.len() {
                    self.extras = false;
                }
                self.at += 1;
                self.offset = 0;
            } else {
                self.offset += read;
            }
        }
        Ok(true)
    }
}

impl Iterator for Rows {
    type Item = std::result::Result<Vec<Cell>, String>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        if self.ready.is_empty() {
            match self.fill() {
                Ok(true) => {}
                Ok(false) => return None,
                Err(e) => {
                    self.failed = true;
                    return Some(Err(e.cause()));
                }
            }
        }
        self.ready.pop_front().map(Ok)
    }
}

/// The report's rows: the lines by state, then the extras.
fn rows(pool: &Pool, id: i64) -> Rows {
    Rows {
        pool: pool.clone(),
        id,
        states: (0..6).map(Some).collect(),
        at: 0,
        extras: true,
        offset: 0,
        ready: VecDeque::new(),
        names: Names::default(),
        cells: report_cells,
        failed: false,
    }
}

/// Writes the count sheet template of stocktake `id` (already checked as the caller's): every
/// expected line, by asset id.
pub fn write_template(pool: &Pool, id: i64, format: Format) -> Result<Vec<u8>> {
    let rows = Rows {
        states: vec![None],
        extras: false,
        cells: template_cells,
        ..rows(pool, id)
    };
    match format {
        Format::Csv => {
            let mut out = Vec::new();
            files::write_cells_csv(&TEMPLATE_COLUMNS, rows, &mut out).map_err(Error::internal)?;
            Ok(out)
        }
        Format::Xlsx => {
            let cut = "（行数超出一个工作表：请下载 CSV）";
            let mut file =
                files::write_cells_xlsx(&TEMPLATE_COLUMNS, rows, cut).map_err(Error::internal)?;
            let mut out = Vec::new();
            std::io::Read::read_to_end(&mut file, &mut out)
                .map_err(|e| Error::caused("template file", e))?;
            Ok(out)
        }
    }
}

/// Streams the report of stocktake `id` (already checked as the caller's) as CSV into `out`.
pub fn write_csv(pool: &Pool, id: i64, out: &mut dyn std::io::Write) -> Result<()> {
    files::write_cells_csv(&COLUMNS, rows(pool, id), out).map_err(Error::internal)
}

/// Writes the report as XLSX into a temporary file.
pub fn write_xlsx(pool: &Pool, id: i64) -> Result<std::fs::File> {
    let cut = "（行数超出一个工作表：完整报告请下载 CSV）";
    files::write_cells_xlsx(&COLUMNS, rows(pool, id), cut).map_err(Error::internal)
}

/// The file's name: `stocktake-{id}.xlsx`.
pub fn file_name(id: i64, format: Format) -> String {
    format!("stocktake-{id}.{}", format.extension())
}
