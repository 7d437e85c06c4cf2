//! Phase B requests: what the task endpoints accept by design, made only of broken rows.

use super::catalogue::{Ep::*, Who::*};
use super::generator::Gen;
use super::pools::{items, CSV_HEADER, CSV_HEADER_EN};
use super::request::Req;
use rand::seq::IndexedRandom;
use rand::RngExt;
use rocket::http::ContentType;

/// What an accepted phase B request made.
pub enum Made {
    Nothing,
    Import { need: Option<usize> },
    Export { need: usize, succeed: usize },
    Rerun { id: i64 },
}

impl Gen<'_> {
    /// A phase B request: bodies the task endpoints accept, made only of broken rows.
    pub fn task_request(&mut self) -> (Req, Made) {
        let w = self.w;
        let who = self.pick(&[Manager, Admin]);
        let s = self.token(who);
        match self.rng.random_range(0..20) {
            0..=6 => {
                let n = match self.rng.random_range(0..20) {
                    0 => 200,
                    1 => 0,
                    _ => self.rng.random_range(1..6),
                };
                let rows: Vec<String> = (0..n).map(|_| self.element()).collect();
                let body = format!("[{}]", rows.join(","));
                let req = self.req(Import, Import.path(&s, &[]), body, false);
                (req, Made::Import { need: Some(n) })
            }
            7..=10 => {
                // Ids of its assets (as numbers or numeric strings) succeed, all else fails.
                let bad = items(
                    r#"0 | -1 | 999999 | $foreign | "x" | 5.5 | 1e400 | null | true | [] | {} | [5]
                       {"id":5} | "' OR 1=1 --" | 9223372036854775808 | -9223372036854775809
                       "" | "%""#,
                );
                let n = self.rng.random_range(0..9);
                let mut succeed = 0;
                let mut ids = Vec::new();
                for _ in 0..n {
                    let id = self.pick(&[w.chair, w.laptop, w.lamp]);
                    let element = match self.rng.random_range(0..6) {
                        0 => id.to_string(),
                        1 => format!("\"{id}\""),
                        2 => format!("\" {id} \""),
                        _ => {
                            let v = self.pick(&bad);
                            ids.extend(self.expand(v));
                            continue;
                        }
                    };
                    succeed += 1;
                    ids.push(element);
                }
                let body = format!("[{}]", ids.join(","));
                let req = self.req(Export, Export.path(&s, &[]), body, false);
                (req, Made::Export { need: n, succeed })
            }
            11..=14 => {
                let ep = self.pick(&[FailedPut, FailedPutApi]);
                let (id, failed) = match self.imports.choose(&mut self.rng) {
                    Some(&t) if self.rng.random_range(0..10) < 6 => t,
                    _ => (w.import_task, 2),
                };
                let n = if self.chance(80) {
                    failed
                } else {
                    self.rng.random_range(0..4)
                };
                let rows: Vec<String> = (0..n).map(|_| self.element()).collect();
                let body = format!("[{}]", rows.join(","));
                let req = self.req(ep, ep.path(&s, &[&id.to_string()]), body, false);
                (req, Made::Rerun { id })
            }
            15 | 16 => {
                // A readable file of broken rows, or a corrupted spreadsheet of them.
                let (body, query) = if self.chance(60) {
                    let header = self.pick(&[CSV_HEADER, CSV_HEADER_EN]);
                    let mut csv = format!("{header}\n");
                    for _ in 0..self.rng.random_range(0..5) {
                        let cell = self.pick(&[
                            "\"a,b\"",
                            "\"line\nbreak\"",
                            "' OR 1=1 --",
                            "<img src=x onerror=alert(1)>",
                            "\u{0}",
                            "=cmd|' /C calc'!A0",
                            "%",
                        ]);
                        csv.push_str(&format!(
                            "{cell},数量型,-1,0,-1,不存在,{cell},,nobody,不存在,{cell}\n"
                        ));
                    }
                    let mut bytes = csv.into_bytes();
                    if self.chance(20) {
                        bytes.push(0xFF);
                    }
                    (bytes, "?format=csv")
                } else {
                    let mut x = broken_xlsx();
                    if self.chance(50) {
                        x.truncate(self.rng.random_range(0..x.len()));
                    } else {
                        for _ in 0..self.rng.random_range(1..20) {
                            let at = self.rng.random_range(0..x.len());
                            x[at] = self.rng.random();
                        }
                    }
                    (x, self.pick(&["?format=xlsx", ""]))
                };
                let path = format!("{}{query}", Upload.path(&s, &[]));
                let mut req = self.req(Upload, path, body, false);
                req.content_type = Some(ContentType::Binary);
                (req, Made::Import { need: None })
            }
            _ => {
                // Read what the tasks hold now: failed rows of odd values, records, files.
                let ep = self.pick(&[
                    FailedGet,
                    FailedGetApi,
                    ExportRecords,
                    ExportFailed,
                    Download,
                    Task,
                ]);
                let id = self.task_segment();
                let ok = self.task_ok(ep, who, &id);
                let mut path = ep.path(&s, &[&id]);
                if ep == Download {
                    path.push_str(self.pick(&["?format=csv", "?format=xlsx"]));
                }
                (self.req(ep, path, Vec::new(), !ok), Made::Nothing)
            }
        }
    }
}

/// An XLSX of broken rows, to be corrupted: read or not, it may only fail its rows.
fn broken_xlsx() -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    // A fixed creation time: the same bytes every run, so the same corruptions.
    let created = rust_xlsxwriter::ExcelDateTime::from_ymd(2000, 1, 1).expect("date");
    book.set_properties(&rust_xlsxwriter::DocProperties::new().set_creation_datetime(&created));
    let sheet = book.add_worksheet();
    let rows = [
        CSV_HEADER,
        "坏,数量型,-1,0,-1,不存在,,,nobody,不存在,",
        "坏2,条目型,x,2,-1,不存在,,,nobody,不存在,",
    ];
    for (r, line) in rows.iter().enumerate() {
        for (c, cell) in line.split(',').enumerate() {
            sheet.write_string(r as u32, c as u16, cell).expect("cell");
        }
    }
    book.save_to_buffer().expect("xlsx")
}
