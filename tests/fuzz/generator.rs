//! The generator's means: picking from pools, sessions of every kind, broken bodies, rows,
//! files and task ids. What each phase sends is in `refused` and `accepted`.

use super::catalogue::{Ep, Ep::*, Who, Who::*};
use super::pools::*;
use super::request::{enc, js, object, set, Fields, Req};
use super::world::World;
use crate::common::row;
use rand::rngs::StdRng;
use rand::seq::{IndexedRandom, SliceRandom};
use rand::RngExt;
use rocket::http::ContentType;
use serde_json::Value;

pub struct Gen<'w> {
    pub rng: StdRng,
    pub w: &'w World,
    pub big_left: usize,
    /// Import tasks of the demo company made in phase B: (id, failed rows when last done).
    pub imports: Vec<(i64, usize)>,
}

impl Gen<'_> {
    pub fn chance(&mut self, percent: u32) -> bool {
        self.rng.random_range(0..100) < percent
    }

    pub fn pick<T: Copy>(&mut self, from: &[T]) -> T {
        *from.choose(&mut self.rng).expect("a non-empty pool")
    }

    pub fn pick_in(&mut self, pool: &'static str) -> &'static str {
        let all = items(pool);
        self.pick(&all)
    }

    pub fn big(&mut self) -> String {
        if self.big_left > 0 {
            self.big_left -= 1;
            "长".repeat((1 << 20) / 3)
        } else {
            "长".repeat(5000)
        }
    }

    /// A pool value as raw JSON text (or path text); None drops the field.
    pub fn expand(&mut self, value: &str) -> Option<String> {
        let w = self.w;
        Some(match value {
            "$missing" => return None,
            "$empty" => String::new(),
            "$big" => js(&self.big()),
            "$long129" => js(&"名".repeat(129)),
            "$long257" => js(&"p".repeat(257)),
            "$long4097" => js(&"d".repeat(4097)),
            "$long5000" => "a".repeat(5000),
            "$chair" => w.chair.to_string(),
            "$laptop" => w.laptop.to_string(),
            "$foreign" => w.foreign_asset.to_string(),
            v if v.starts_with("$user:") => w.users[&v[6..]].to_string(),
            v if v.starts_with('~') => enc(&v[1..]),
            v => v.to_owned(),
        })
    }

    fn segment(&mut self, pool: &'static str) -> String {
        let v = self.pick_in(pool);
        self.expand(v).unwrap_or_default()
    }

    pub fn token(&mut self, who: Who) -> String {
        let live = self.w.sessions["liusn"].clone();
        let name = match who {
            Manager => "liusn",
            Admin => "sysadmin",
            Staff => "zhangsan",
            Root => "admin",
            Admin2 => "admin2",
            Wangwu => "wangwu",
            Locked => "locked1",
            LoggedOut => "logged_out",
            Unknown if self.chance(30) => {
                // A live token with its case flipped is nobody's.
                return live
                    .chars()
                    .map(|c| match c {
                        'a'..='z' => c.to_ascii_uppercase(),
                        _ => c.to_ascii_lowercase(),
                    })
                    .collect();
            }
            Unknown => {
                const ALPHANUMERIC: &[u8] =
                    b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
                return (0..32).map(|_| self.pick(ALPHANUMERIC) as char).collect();
            }
            Malformed => {
                let cut = &live[..31];
                let pool = [
                    String::new(),
                    "abc".into(),
                    "a".repeat(31),
                    "a".repeat(33),
                    cut.to_owned(),
                    format!("{live}0"),
                    format!("{cut}-"),
                    format!("{cut}_"),
                    format!("{cut}%20"),
                    format!("{cut}%00"),
                    format!("{cut}%FF"),
                    format!("{cut}%2F"),
                    "%FF".repeat(32),
                    "%E4%B8%AD".repeat(32),
                    "%C0%80".repeat(16),
                    enc("' OR 1=1 --"),
                    enc("\"; DROP TABLE session; --"),
                    "' OR 1=1 --".into(),
                    "%".into(),
                    "%G1".into(),
                    "..".into(),
                    "%2E%2E".into(),
                    "a b".into(),
                    "不存在".into(),
                    "x".repeat(3000),
                    "0".repeat(2000),
                ];
                return pool.choose(&mut self.rng).cloned().unwrap_or_default();
            }
        };
        self.w.sessions[name].clone()
    }

    /// A session the endpoint must refuse its valid request with.
    pub fn bad_session(&mut self, ep: Ep) -> String {
        let allowed = ep.roles();
        let mut who = vec![LoggedOut, Unknown, Malformed, Malformed, Malformed, Locked];
        who.extend(
            [Manager, Admin, Staff, Root]
                .into_iter()
                .filter(|r| !allowed.contains(r)),
        );
        if ep.names_ours() || !allowed.contains(&Admin) {
            who.push(Admin2);
        }
        if ep.names_ours() || !allowed.contains(&Manager) {
            who.push(Wangwu);
        }
        let pick = self.pick(&who);
        self.token(pick)
    }

    /// A session of the demo company the endpoint serves.
    pub fn right(&mut self, ep: Ep) -> String {
        let who = ep.roles().choose(&mut self.rng).copied().unwrap_or(Manager);
        self.token(who)
    }

    pub fn content_type(&mut self) -> Option<ContentType> {
        match self.rng.random_range(0..10) {
            0 => None,
            1 => Some(ContentType::Plain),
            2 => Some(ContentType::Form),
            3 => Some(ContentType::new("application", "json").with_params(("charset", "latin1"))),
            4 => Some(ContentType::new("x", "y")),
            _ => Some(ContentType::JSON),
        }
    }

    pub fn req(&mut self, ep: Ep, path: String, body: impl Into<Vec<u8>>, refuse: bool) -> Req {
        Req {
            method: ep.method(),
            path,
            body: body.into(),
            content_type: self.content_type(),
            label: ep.label(),
            wrong_method: false,
            refuse,
            file_ok: matches!(ep, Template | Download | Index | Static),
            expect_empty: false,
        }
    }

    /// A body that is not JSON, or JSON that is not an object: every object body refuses it.
    pub fn junk(&mut self, valid: &str) -> Vec<u8> {
        let v = valid.as_bytes();
        match self.rng.random_range(0..18) {
            0 => Vec::new(),
            // Every strict prefix of an object or an array is unfinished.
            1 => v[..self.rng.random_range(0..v.len().max(1))].to_vec(),
            2 => {
                let tail = self.pick(&["x", "}", ",", "{}", "\u{0}", "]", "null"]);
                [v, tail.as_bytes()].concat()
            }
            3 => {
                let mut b = v.to_vec();
                if !b.is_empty() {
                    let at = self.rng.random_range(0..b.len());
                    // Bytes that never occur in UTF-8 (a continuation byte might make another
                    // valid character).
                    b[at] = self.pick(&[0xFF, 0xFE, 0xC0, 0xC1, 0xF5]);
                }
                b
            }
            4 => "[".repeat(10_000).into_bytes(),
            5 => format!("{}{}", "[".repeat(10_000), "]".repeat(10_000)).into_bytes(),
            6 => "{\"a\":".repeat(10_000).into_bytes(),
            7 => self
                .pick(&[
                    "null", "true", "1", "-1e400", "\"x\"", "[]", "[{}]", "[1,2]", "0",
                ])
                .into(),
            8 if valid.contains('"') => valid.replace('"', "'").into_bytes(),
            8 => b"['x']".to_vec(),
            9 => match valid.rfind('}') {
                Some(end) => format!("{},{}", &valid[..end], &valid[end..]).into_bytes(),
                None => b"{,}".to_vec(),
            },
            10 => [b"\0", v].concat(),
            11 => format!("/* comment */{valid}").into_bytes(),
            12 => "{\"page\": NaN, \"name\": Infinity}".into(),
            13 => valid.encode_utf16().flat_map(|u| u.to_le_bytes()).collect(),
            14 => b"{\"name\":\"\xE9\xE8\"}".to_vec(),
            15 => b"\xEF\xBB\xBF{".to_vec(),
            16 => format!("{}{{", " ".repeat(100_000)).into_bytes(),
            _ => {
                let mut b = v.to_vec();
                b.insert(b.len() / 2, 0xFF);
                b
            }
        }
    }

    /// Junk for an endpoint that takes a JSON array: an empty one retires nothing, and the task
    /// endpoints take any array (those go to phase B).
    pub fn list_junk(&mut self, valid: &str) -> Vec<u8> {
        let b = self.junk(valid);
        let array = b.starts_with(b"[")
            && (b.starts_with(b"[[[[") || serde_json::from_slice::<Value>(&b).is_ok());
        if array {
            b"{\"rows\": []}".to_vec()
        } else {
            b
        }
    }

    /// The valid fields with 0..=2 free changes, then 1..=3 breaking ones. Where a missing
    /// field keeps a stored value (an asset modification), `$missing` breaks nothing.
    pub fn broken(
        &mut self,
        valid: Fields,
        bad: &[(&str, &'static str)],
        free: &[(&str, &'static str)],
        missing_breaks: bool,
    ) -> String {
        let mut f = valid;
        for _ in 0..self.rng.random_range(0..3) {
            if let Some(&(key, pool)) = free.choose(&mut self.rng) {
                let v = self.pick_in(pool);
                let v = self.expand(v);
                set(&mut f, key, v);
            }
        }
        for _ in 0..self.rng.random_range(1..=3) {
            let (key, pool) = self.pick(bad);
            let mut v = self.pick_in(pool);
            while v == "$missing" && !missing_breaks {
                v = self.pick_in(pool);
            }
            let v = self.expand(v);
            set(&mut f, key, v);
        }
        if self.chance(20) {
            f.shuffle(&mut self.rng);
        }
        object(&f)
    }

    pub fn spec_fields(&mut self, valid: &[(&str, &str)]) -> Fields {
        valid
            .iter()
            .map(|(k, v)| (k.to_string(), self.expand(v).unwrap_or_default()))
            .collect()
    }

    fn valid_row() -> Fields {
        let row = row("椅子", "liusn", "CST");
        let map = row.as_object().cloned().unwrap_or_default();
        map.into_iter().map(|(k, v)| (k, v.to_string())).collect()
    }

    /// An import row that breaks at least one rule.
    pub fn bad_row(&mut self) -> String {
        if self.chance(8) {
            return self
                .pick(&[
                    "5",
                    "\"x\"",
                    "null",
                    "[]",
                    "true",
                    "[{\"name\":\"x\"}]",
                    "\"\"",
                ])
                .to_owned();
        }
        let row = self.broken(Self::valid_row(), ROW_BAD, ROW_FREE, true);
        if self.chance(5) {
            // A duplicate key, itself broken: first, last or neither wins, the row fails.
            return format!("{},\"name\":null}}", &row[..row.len() - 1]);
        }
        row
    }

    /// One element of an import array in phase B: a broken row, or no row at all.
    pub fn element(&mut self) -> String {
        match self.rng.random_range(0..40) {
            0 => format!("{}1{}", "[".repeat(100), "]".repeat(100)),
            1 if self.chance(10) => format!("{}{}", "[".repeat(10_000), "]".repeat(10_000)),
            2 => format!("{{\"name\":{}1{}}}", "{\"a\":".repeat(60), "}".repeat(60)),
            3 => "1e400".into(),
            4 | 5 => self
                .pick(&[
                    "null",
                    "\"\\u0000\"",
                    "-0",
                    "{}",
                    "[]",
                    "\"<img src=x onerror=alert(1)>\"",
                ])
                .to_owned(),
            _ => self.bad_row(),
        }
    }

    /// A task id segment: one of the fixture's, or any number-like text.
    pub fn task_segment(&mut self) -> String {
        let w = self.w;
        if self.chance(50) {
            let mut pool = vec![
                w.import_task.to_string(),
                w.export_task.to_string(),
                w.foreign_task.to_string(),
                format!("+{}", w.import_task),
                format!("{}%00", w.import_task),
                format!("{}abc", w.export_task),
                format!("{}.0", w.import_task),
                format!("-{}", w.import_task),
            ];
            pool.extend(self.imports.iter().map(|t| t.0.to_string()));
            pool.choose(&mut self.rng).cloned().unwrap_or_default()
        } else {
            self.segment(NUMBER_SEGMENTS)
        }
    }

    /// Whether `segment` names a task of the caller's company that this endpoint serves. An
    /// empty one names none, but Rocket ignores a trailing slash: `/api/async_task/{s}/` lists.
    pub fn task_ok(&self, ep: Ep, who: Who, segment: &str) -> bool {
        if ep == Task && segment.is_empty() {
            return true;
        }
        let Ok(id) = segment.parse::<i64>() else {
            return false;
        };
        let w = self.w;
        let import = id == w.import_task || self.imports.iter().any(|t| t.0 == id);
        let (import, export) = match who {
            Manager | Admin => (import, id == w.export_task),
            Admin2 | Wangwu => (id == w.foreign_task, false),
            _ => (false, false),
        };
        match ep {
            FailedGet | FailedGetApi | FailedPut | FailedPutApi => import,
            ExportRecords | ExportFailed => export,
            _ => import || export,
        }
    }

    pub fn format_query(&mut self) -> (String, Option<bool>) {
        let (q, ok) = self.pick(FORMATS);
        (q.to_owned(), ok)
    }

    /// A readable CSV that would create a task.
    pub fn valid_csv(&mut self) -> String {
        let extra = if self.chance(50) {
            "台灯,0,1,1,1,默认分类,,,liusn,CST,\n"
        } else {
            ""
        };
        format!("{CSV_HEADER}\n办公椅,数量型,120.50,10,5,数量型资产,,,liusn,CST,\n{extra}")
    }

    /// A file upload that cannot be read at all: (body, content type, query).
    pub fn unreadable_file(&mut self) -> (Vec<u8>, ContentType, &'static str) {
        let csv = ContentType::new("text", "csv");
        let body: Vec<u8> = match self.rng.random_range(0..12) {
            0 => Vec::new(),
            1 => (0..self.rng.random_range(50..2000))
                .map(|_| self.rng.random_range(0x80..=0xFFu8))
                .collect(),
            2 => {
                let mut b = b"PK\x03\x04".to_vec();
                b.extend((0..self.rng.random_range(10..500)).map(|_| self.rng.random::<u8>()));
                b
            }
            3 => "资产名,资产类型\n椅子,0\n".into(),
            4 => format!("{CSV_HEADER},资产名\n椅子\n").into_bytes(),
            5 => "\n\n\n   \n,,,\n".into(),
            // Good rows, then a line that is not UTF-8: nothing of the file is stored.
            6 => [self.valid_csv().as_bytes(), b"\xFF\xFE,0\n".as_slice()].concat(),
            7 => "name;assetClass;price\n".into(),
            // A cell past Excel's last column or row (once a 39 GB allocation and an abort).
            8 => {
                let at = self.pick(&["ZZZZZZZZ1", "XFE1", "A1048577", "AAAAAAAAAAAAAAAAAAAA9"]);
                let sheet = format!(
                    "<?xml version=\"1.0\"?><worksheet xmlns=\"{XLSX_NS}\"><sheetData>\
                     <row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>资产名</t></is></c>\
                     <c r=\"{at}\" t=\"inlineStr\"><is><t>x</t></is></c></row></sheetData></worksheet>"
                );
                return (crate::common::xlsx_with(&sheet, None), csv, "?format=xlsx");
            }
            // A decompression bomb: a few KiB that unpack past the fuzz server's 8 MiB cap.
            9 => return (zip_bomb().to_vec(), csv, self.pick(&["", "?format=xlsx"])),
            _ => {
                // A form with the wrong boundary, without a file, or with an empty file name.
                let (boundary, part) = self.pick(&[
                    ("wrong", "--other\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\n\r\nx\r\n--other--\r\n"),
                    ("b", "--b\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n--b--\r\n"),
                    ("b", "--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\"\r\n\r\n\r\n--b--\r\n"),
                ]);
                let ct =
                    ContentType::new("multipart", "form-data").with_params(("boundary", boundary));
                return (part.into(), ct, "");
            }
        };
        (body, csv, self.pick(&["", "?format=csv", "?format=xlsx"]))
    }

    /// Valid path parameters, one or two of them replaced from their pools.
    pub fn params(&mut self, valid: &[(&str, &'static str)]) -> Vec<String> {
        let mut out: Vec<String> = valid.iter().map(|(v, _)| enc(v)).collect();
        let n = if self.chance(80) { 1 } else { 2 };
        for _ in 0..n {
            let i = self.rng.random_range(0..valid.len());
            out[i] = self.segment(valid[i].1);
        }
        out
    }
}

const XLSX_NS: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";

/// An XLSX whose worksheet unpacks to 12 MiB of empty rows (the fuzz server's cap is 8 MiB),
/// made once.
fn zip_bomb() -> &'static [u8] {
    static BOMB: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    BOMB.get_or_init(|| {
        let mut sheet =
            format!("<?xml version=\"1.0\"?><worksheet xmlns=\"{XLSX_NS}\"><sheetData>");
        while sheet.len() < 12 << 20 {
            sheet.push_str("<row><c t=\"inlineStr\"><is><t>x</t></is></c></row>");
        }
        sheet.push_str("</sheetData></worksheet>");
        crate::common::xlsx_with(&sheet, None)
    })
}
