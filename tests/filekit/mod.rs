//! Helpers for the file tests: uploads (raw body or a hand-built multipart form), downloads,
//! building XLSX files with rust_xlsxwriter and reading CSV / XLSX back with csv and calamine.
#![allow(dead_code)]

use crate::common::{Answer, App};
use calamine::{Data, Reader, Xlsx};
use rocket::http::{ContentType, Status};
use serde_json::{json, Value};
use std::io::Cursor;

/// The template's headers, in order (SPEC §9).
pub const TEMPLATE_HEADERS: [&str; 12] = [
    "资产名",
    "资产类型",
    "原值",
    "资产数量",
    "使用期限",
    "所属品类",
    "描述信息",
    "位置信息",
    "挂账人",
    "所属部门",
    "父资产",
    "创建时间",
];

/// The JSON field name of each template column, in the same order.
pub const TEMPLATE_FIELDS: [&str; 12] = [
    "name",
    "assetClass",
    "price",
    "count",
    "deadline",
    "assetTree",
    "description",
    "position",
    "user",
    "department",
    "parent",
    "create_time",
];

pub const BOM: &[u8] = b"\xEF\xBB\xBF";
pub const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

fn answer(res: rocket::local::blocking::LocalResponse) -> Answer {
    let status = res.status();
    let text = res.into_string().unwrap_or_default();
    let body =
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text:.300}"));
    Answer { status, body }
}

/// Posts a file as the raw request body; `query` is e.g. "?format=csv" or "".
pub fn upload(app: &App, session: &str, query: &str, bytes: &[u8]) -> Answer {
    let content_type = if bytes.starts_with(b"PK") {
        ContentType::Binary
    } else {
        ContentType::new("text", "csv")
    };
    answer(
        app.client
            .post(format!("/api/asset_file/{session}{query}"))
            .header(content_type)
            .body(bytes)
            .dispatch(),
    )
}

/// One part of a multipart form: (field name, file name, bytes).
pub type Part<'a> = (&'a str, Option<&'a str>, &'a [u8]);

pub const BOUNDARY: &str = "----assetportTestBoundary7MA4YWxkTrZu0gW";

/// A multipart/form-data body as a browser sends it.
pub fn multipart_body(parts: &[Part]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, file_name, bytes) in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        match file_name {
            Some(f) => body.extend_from_slice(
                format!(
                    "Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\n\
                     Content-Type: application/octet-stream\r\n\r\n"
                )
                .as_bytes(),
            ),
            None => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
            ),
        }
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

/// Posts a multipart form.
pub fn upload_form(app: &App, session: &str, query: &str, parts: &[Part]) -> Answer {
    let content_type =
        ContentType::new("multipart", "form-data").with_params(("boundary", BOUNDARY));
    answer(
        app.client
            .post(format!("/api/asset_file/{session}{query}"))
            .header(content_type)
            .body(multipart_body(parts))
            .dispatch(),
    )
}

/// Uploads a file, waits for its task and returns the task record.
pub fn import_file(app: &App, session: &str, query: &str, bytes: &[u8]) -> Value {
    let id = task_id(upload(app, session, query, bytes).ok());
    app.wait_task(session, id)
}

pub fn task_id(data: &Value) -> i64 {
    data["id"].as_i64().expect("task id")
}

/// The failed rows of an import task (GET /failed_task).
pub fn failed(app: &App, session: &str, id: i64) -> Vec<Value> {
    app.get(&format!("/failed_task/{session}/{id}"))
        .ok()
        .as_array()
        .expect("failed rows")
        .clone()
}

/// A file download: status, Content-Type, Content-Disposition and bytes.
pub struct Download {
    pub status: Status,
    pub content_type: String,
    pub disposition: String,
    pub bytes: Vec<u8>,
}

impl Download {
    /// Asserts a successful download of this format and file name.
    pub fn expect(&self, format: &str, file_name: &str) {
        assert_eq!(
            self.status,
            Status::Ok,
            "{}",
            String::from_utf8_lossy(&self.bytes)
        );
        let content_type = match format {
            "csv" => "text/csv; charset=utf-8",
            _ => XLSX_TYPE,
        };
        assert_eq!(self.content_type, content_type);
        assert_eq!(
            self.disposition,
            format!("attachment; filename=\"{file_name}\"")
        );
    }

    /// The body as an error answer.
    pub fn answer(&self) -> Answer {
        Answer {
            status: self.status,
            body: serde_json::from_slice(&self.bytes).expect("JSON error body"),
        }
    }
}

pub fn fetch(app: &App, path: &str) -> Download {
    let res = app.client.get(path.to_owned()).dispatch();
    let status = res.status();
    let header = |name: &str| res.headers().get_one(name).unwrap_or("").to_owned();
    let content_type = header("Content-Type");
    let disposition = header("Content-Disposition");
    let bytes = res.into_bytes().unwrap_or_default();
    Download {
        status,
        content_type,
        disposition,
        bytes,
    }
}

/// GET /api/async_task/{session}/{id}/file?format=…
pub fn download(app: &App, session: &str, id: i64, format: &str) -> Download {
    fetch(
        app,
        &format!("/api/async_task/{session}/{id}/file?format={format}"),
    )
}

pub fn template(app: &App, session: &str, format: &str) -> Download {
    fetch(
        app,
        &format!("/api/asset_template/{session}?format={format}"),
    )
}

/// A CSV download read back with the csv crate: it starts with a BOM; every record as strings.
pub fn read_csv(bytes: &[u8]) -> Vec<Vec<String>> {
    assert!(bytes.starts_with(BOM), "CSV download without a BOM");
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(&bytes[BOM.len()..])
        .records()
        .map(|r| r.expect("CSV record").iter().map(String::from).collect())
        .collect()
}

/// The first worksheet of an XLSX, cell by cell, from A1.
pub fn read_xlsx(bytes: &[u8]) -> Vec<Vec<Data>> {
    let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(bytes.to_vec())).expect("an XLSX file");
    let range = workbook
        .worksheet_range_at(0)
        .expect("a worksheet")
        .expect("readable worksheet");
    assert_eq!(range.start(), Some((0, 0)), "the sheet starts at A1");
    range.rows().map(|r| r.to_vec()).collect()
}

/// Cells as the text a user sees (numbers without a trailing ".0").
pub fn texts(rows: &[Vec<Data>]) -> Vec<Vec<String>> {
    rows.iter()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect()
}

/// A cell to write into a test XLSX.
#[derive(Clone, Debug)]
pub enum Cell {
    Text(String),
    Number(f64),
    Empty,
}

pub fn t(s: &str) -> Cell {
    Cell::Text(s.to_owned())
}

pub fn n(v: f64) -> Cell {
    Cell::Number(v)
}

/// An XLSX with one worksheet of these rows from `first_row` (0-based) on.
pub fn build_xlsx(first_row: u32, rows: &[Vec<Cell>]) -> Vec<u8> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    for (r, row) in rows.iter().enumerate() {
        let r = first_row + r as u32;
        for (c, cell) in row.iter().enumerate() {
            let c = c as u16;
            match cell {
                Cell::Text(s) => {
                    sheet.write_string(r, c, s).expect("write string");
                }
                Cell::Number(v) => {
                    sheet.write_number(r, c, *v).expect("write number");
                }
                Cell::Empty => {}
            }
        }
    }
    workbook.save_to_buffer().expect("xlsx")
}

/// Text rows as CSV text (the csv crate quotes what needs quoting), with or without a BOM.
pub fn csv_bytes(rows: &[Vec<String>], bom: bool) -> Vec<u8> {
    let mut out = if bom { BOM.to_vec() } else { Vec::new() };
    // Rows may be shorter than the header (a file that leaves its last columns out).
    let mut writer = csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(&mut out);
    for r in rows {
        writer.write_record(r).expect("csv record");
    }
    writer.flush().expect("flush");
    drop(writer);
    out
}

/// A row of the template's columns from '|'-separated cells.
pub fn cells(row: &str) -> Vec<String> {
    row.split('|').map(String::from).collect()
}

pub fn header_row() -> Vec<String> {
    TEMPLATE_HEADERS.iter().map(|h| h.to_string()).collect()
}

/// The row object a file line becomes, as the failed-rows API shows it: every column present
/// in the file as a string, optional columns (描述信息, 位置信息, 父资产) left out when blank.
pub fn row_object(template_cells: &[String]) -> Value {
    let mut object = serde_json::Map::new();
    for (i, field) in TEMPLATE_FIELDS.iter().enumerate() {
        let value = template_cells.get(i).map_or("", |v| v.trim());
        if value.is_empty()
            && matches!(
                *field,
                "description" | "position" | "parent" | "create_time"
            )
        {
            continue;
        }
        object.insert(field.to_string(), Value::from(value));
    }
    Value::Object(object)
}

/// Asserts an answer refused with code -2 and this info.
pub fn refused(a: &Answer, info: &str) {
    a.err(400, -2, info);
}

/// The one asset of this name the session sees.
pub fn asset(app: &App, session: &str, name: &str) -> Value {
    let a = app.post(
        &format!("/api/search_assets/{session}"),
        &json!({"name": name, "page": 1, "size": 1000}),
    );
    let found: Vec<Value> = a
        .ok()
        .as_array()
        .expect("assets")
        .iter()
        .filter(|a| a["name"] == name)
        .cloned()
        .collect();
    assert_eq!(found.len(), 1, "assets named {name}: {found:?}");
    found[0].clone()
}

pub fn asset_total(app: &App, session: &str) -> i64 {
    let a = app.post(
        &format!("/api/search_assets/{session}"),
        &json!({"page": 1, "size": 1}),
    );
    a.ok();
    a.body["total"].as_i64().expect("total")
}

/// Asserts the asset was made from this line of template cells (an empty 父资产 = no parent).
pub fn assert_made_from(asset: &Value, cells: &[String]) {
    let class = match cells[1].as_str() {
        "数量型" | "0" => 0,
        "条目型" | "1" => 1,
        other => panic!("class {other}"),
    };
    let number = |s: &str| s.trim().parse::<f64>().expect("number");
    assert_eq!(asset["name"], cells[0].trim(), "{asset}");
    assert_eq!(asset["assetClass"], class, "{asset}");
    assert_eq!(asset["initial_price"].as_f64(), Some(number(&cells[2])));
    assert_eq!(
        asset["price"].as_f64(),
        Some(number(&cells[2])),
        "new: no wear"
    );
    assert_eq!(asset["count"].as_f64(), Some(number(&cells[3])));
    assert_eq!(asset["deadline"].as_f64(), Some(number(&cells[4])));
    assert_eq!(asset["assetTree"], cells[5].trim());
    assert_eq!(asset["description"], cells[6].trim());
    assert_eq!(asset["position"], cells[7].trim());
    assert_eq!(asset["userName"], cells[8].trim());
    assert_eq!(asset["departmentName"], cells[9].trim());
    assert_eq!(asset["parentName"], cells[10].trim());
    assert_eq!(asset["expire"], 0);
}

/// POST /api/stocktake_file/{session}/{id}?format=csv with `bytes` as the body.
pub fn upload_count(app: &App, session: &str, id: i64, bytes: &[u8]) -> Answer {
    app.post_raw(
        &format!("/api/stocktake_file/{session}/{id}?format=csv"),
        bytes.to_vec(),
    )
}
