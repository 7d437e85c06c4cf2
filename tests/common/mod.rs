//! Test fixture: a fresh temporary database per test, the in-process client, and a seeded
//! company (the demo company plus a second, foreign entity).
#![allow(dead_code)]

pub mod roles;
pub mod server;

use rocket::http::{ContentType, Status};
use rocket::local::blocking::Client;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

pub const ADMIN_PASSWORD: &str = "admin-pass";
pub const DEMO_PASSWORD: &str = "demo123";

pub struct App {
    pub client: Client,
    pub dir: tempfile::TempDir,
}

/// An answer: HTTP status and the JSON body.
#[derive(Debug)]
pub struct Answer {
    pub status: Status,
    pub body: Value,
}

impl Answer {
    pub fn code(&self) -> i64 {
        self.body["code"].as_i64().unwrap_or(i64::MIN)
    }
    pub fn info(&self) -> &str {
        self.body["info"].as_str().unwrap_or("")
    }
    pub fn data(&self) -> &Value {
        &self.body["data"]
    }
    /// Asserts success and returns `data`.
    pub fn ok(&self) -> &Value {
        assert_eq!(self.status, Status::Ok, "{:?}", self.body);
        assert_eq!(self.code(), 0, "{:?}", self.body);
        assert_eq!(self.info(), "Succeed");
        &self.body["data"]
    }
    /// Asserts an error envelope with this status, code and info.
    pub fn err(&self, status: u16, code: i64, info: &str) {
        assert_eq!(self.status.code, status, "{:?}", self.body);
        assert_eq!(self.code(), code, "{:?}", self.body);
        assert_eq!(self.info(), info, "{:?}", self.body);
    }
    /// Like `err` for a row's message given in the SPEC's words (`spec_message`).
    pub fn err_spec(&self, status: u16, code: i64, spec: &str) {
        assert_eq!(self.status.code, status, "{:?}", self.body);
        assert_eq!(self.code(), code, "{:?}", self.body);
        assert_spec_message(self.info(), spec);
    }
}

/// A row message with the explanations taken out: the one each field message carries
/// (`…：[count]（资产数量“x”不是整数）`) and a lookup's (`未找到该资产挂账人（本企业没有用户
/// “nobody”）`). What is left is the SPEC's own words, which hold no `（`.
pub fn spec_message(message: &str) -> String {
    let mut out = String::new();
    let mut rest = message;
    while let Some(at) = rest.find('（') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        match rest.find('）') {
            Some(end) => rest = &rest[end + '）'.len_utf8()..],
            None => break,
        }
    }
    out.push_str(rest);
    out
}

/// The lookup rules' messages, each of which names the value and where it was looked for.
pub const LOOKUP_MESSAGES: [&str; 5] = [
    "对应部门不存在",
    "无权管理该部门的资产",
    "未找到指定层级分类",
    "未找到该资产挂账人",
    "指定资产挂账人不处于当前部门",
];

/// The message says `spec` in the SPEC's words, and every field message and lookup message in
/// it carries its explanation.
pub fn assert_spec_message(message: &str, spec: &str) {
    assert_eq!(spec_message(message), spec, "{message}");
    let fields =
        spec.matches("缺少字段或类型错误：[").count() + spec.matches("字段长度不合法：[").count();
    assert_eq!(message.matches("]（").count(), fields, "{message}");
    for lookup in LOOKUP_MESSAGES {
        assert_eq!(
            message.matches(&format!("{lookup}（")).count(),
            spec.matches(lookup).count(),
            "{message}"
        );
    }
}

impl App {
    /// A server on a fresh database with the demo company.
    pub fn new() -> App {
        Self::with(&[])
    }

    pub fn with(extra: &[(&str, Value)]) -> App {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut figment = assetport::figment()
            .merge(("database", dir.path().join("db.sqlite3")))
            .merge(("demo", true))
            .merge(("admin_password", ADMIN_PASSWORD))
            .merge(("log_level", "off"));
        for (k, v) in extra {
            figment = figment.merge((*k, v.clone()));
        }
        let rocket = assetport::build(figment).expect("build");
        let client = Client::tracked(rocket).expect("client");
        App { client, dir }
    }

    /// Makes zhaoliu (password secret5) the asset manager of 软件组, the demo's department below
    /// CST, as the system admin `admin`: a 调拨 needs someone to receive, and a department below
    /// another needs a manager of its own.
    pub fn add_software_manager(&self, admin: &str) {
        self.post(
            &format!("/api/user/{admin}"),
            &json!({"name": "zhaoliu", "password": "secret5", "entity": "示例企业",
                    "department": "软件组", "character": 2, "lock": false}),
        )
        .ok();
    }

    pub fn db_path(&self) -> std::path::PathBuf {
        self.dir.path().join("db.sqlite3")
    }

    fn answer(res: rocket::local::blocking::LocalResponse) -> Answer {
        let status = res.status();
        let text = res.into_string().unwrap_or_default();
        let body = serde_json::from_str(&text)
            .unwrap_or_else(|_| panic!("not JSON ({status}): {text:.300}"));
        Answer { status, body }
    }

    pub fn get(&self, path: &str) -> Answer {
        Self::answer(self.client.get(path).dispatch())
    }

    pub fn delete(&self, path: &str) -> Answer {
        Self::answer(self.client.delete(path).dispatch())
    }

    pub fn post(&self, path: &str, body: &Value) -> Answer {
        self.post_raw(path, body.to_string())
    }

    pub fn put(&self, path: &str, body: &Value) -> Answer {
        self.put_raw(path, body.to_string())
    }

    pub fn post_raw(&self, path: &str, body: impl Into<Vec<u8>>) -> Answer {
        let body: Vec<u8> = body.into();
        Self::answer(
            self.client
                .post(path)
                .header(ContentType::JSON)
                .body(body)
                .dispatch(),
        )
    }

    pub fn put_raw(&self, path: &str, body: impl Into<Vec<u8>>) -> Answer {
        let body: Vec<u8> = body.into();
        Self::answer(
            self.client
                .put(path)
                .header(ContentType::JSON)
                .body(body)
                .dispatch(),
        )
    }

    pub fn login(&self, name: &str, password: &str) -> String {
        let a = self.post(
            "/api/login",
            &json!({"identity": name, "password": password}),
        );
        a.ok()["session"].as_str().expect("session").to_owned()
    }

    /// A login as sent from the client address `from` (in the binary, the front listener passes
    /// the connection's address on; the in-process client sets it as the request's remote).
    pub fn login_from(&self, from: &str, identity: &str, password: &str) -> Answer {
        let res = self
            .client
            .post("/api/login")
            .header(ContentType::JSON)
            .remote(std::net::SocketAddr::new(
                from.parse().expect("an IP address"),
                40_000,
            ))
            .body(json!({"identity": identity, "password": password}).to_string())
            .dispatch();
        Self::answer(res)
    }

    /// Waits until the session writer has stored `session` in the database (a login queues it:
    /// src/sessions.rs), for tests that change the stored row.
    pub fn wait_stored(&self, session: &str) {
        wait_session_stored(&self.db_path(), session);
        // The writer forgets the session just after storing it: until then it is still found
        // among those pending (with its fresh clock), whatever the stored row says.
        let sessions = self
            .client
            .rocket()
            .state::<assetport::sessions::Sessions>()
            .expect("sessions");
        let hash = assetport::db::users::token_hash(session);
        let deadline = Instant::now() + Duration::from_secs(30);
        while sessions.pending(&hash).is_some() {
            assert!(Instant::now() < deadline, "session never left the queue");
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// Logs in a demo account.
    pub fn demo(&self, name: &str) -> String {
        self.login(name, DEMO_PASSWORD)
    }

    /// Creates a second company: entity 另一企业 with system admin `admin2`, department 销售部,
    /// asset manager `wangwu` and one asset owned by him. Returns (admin2, wangwu) sessions and
    /// the asset id.
    pub fn second_entity(&self) -> (String, String, i64) {
        let root = self.login("admin", ADMIN_PASSWORD);
        self.post(&format!("/api/entity/{root}"), &json!({"name": "另一企业"}))
            .ok();
        self.post(
            &format!("/api/user/{root}"),
            &json!({"name": "admin2", "password": "secret2", "entity": "另一企业",
                    "department": "", "character": 3, "lock": false}),
        )
        .ok();
        let admin2 = self.login("admin2", "secret2");
        self.post(
            &format!("/api/department/{admin2}"),
            &json!({"name": "销售部", "parent": ""}),
        )
        .ok();
        self.post(
            &format!("/api/user/{admin2}"),
            &json!({"name": "wangwu", "password": "secret3", "entity": "另一企业",
                    "department": "销售部", "character": 2, "lock": false}),
        )
        .ok();
        let wangwu = self.login("wangwu", "secret3");
        let id = self.create_asset(&wangwu, &row("外企资产", "wangwu", "销售部"));
        (admin2, wangwu, id)
    }

    /// As the demo system admin (session `admin`): a department (under the root when `parent`
    /// is empty, none when `department` already exists) and a staff member in it.
    pub fn staff_in(&self, admin: &str, (department, parent): (&str, &str), name: &str) {
        self.post(
            &format!("/api/department/{admin}"),
            &json!({"name": department, "parent": parent}),
        );
        self.post(
            &format!("/api/user/{admin}"),
            &json!({"name": name, "password": "secret4", "entity": "示例企业",
                    "department": department, "character": 1, "lock": false}),
        )
        .ok();
    }

    /// Creates one asset through `post_asset` (which must accept it) and returns its id.
    pub fn create_asset(&self, session: &str, row: &Value) -> i64 {
        self.post(&format!("/api/post_asset/{session}"), row).ok()["id"]
            .as_i64()
            .expect("asset id")
    }

    /// Polls one task until it is done (finish 1 or 2) and returns its record.
    pub fn wait_task(&self, session: &str, id: i64) -> Value {
        let deadline = Instant::now() + Duration::from_secs(300);
        // Small tasks end in a millisecond or two: poll fast first, then back off.
        let mut pause = Duration::from_millis(1);
        loop {
            let a = self.get(&format!("/api/async_task/{session}/{id}"));
            let task = a.ok().clone();
            if task["finish"].as_i64() != Some(0) {
                return task;
            }
            assert!(
                Instant::now() < deadline,
                "task {id} did not finish: {task}"
            );
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(20));
        }
    }

    /// Imports rows as a task, waits for it and returns its record.
    pub fn import(&self, session: &str, rows: &Value) -> Value {
        self.import_with(session, "", rows)
    }

    /// `import` with a query (e.g. "?dry_run=true").
    pub fn import_with(&self, session: &str, query: &str, rows: &Value) -> Value {
        let id = self
            .post(&format!("/api/asset/{session}{query}"), rows)
            .ok()["id"]
            .as_i64()
            .expect("task id");
        self.wait_task(session, id)
    }

    /// Every asset the session may see (search with no filter).
    pub fn assets(&self, session: &str) -> Vec<Value> {
        let a = self.post(
            &format!("/api/search_assets/{session}"),
            &json!({"page": 1, "size": 1000}),
        );
        a.ok().as_array().cloned().unwrap_or_default()
    }

    /// Row counts of every table: equal before and after a refused request means it changed
    /// nothing.
    pub fn table_counts(&self) -> Vec<(String, i64)> {
        let conn = rusqlite::Connection::open(self.db_path()).expect("open db");
        let tables: Vec<String> = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .and_then(|mut s| {
                s.query_map([], |r| r.get(0))
                    .and_then(|rows| rows.collect())
            })
            .expect("tables");
        tables
            .into_iter()
            // The journal records logins too, written a moment after they answer (as their
            // sessions are): what it records is checked where it is tested (tests/auth/journal.rs).
            .filter(|t| {
                t != "session" && t != "login_failure" && t != "journal" && !derived_table(t)
            })
            .map(|t| {
                let n = conn
                    .query_row(&format!("SELECT count(*) FROM \"{t}\""), [], |r| r.get(0))
                    .expect("count");
                (t, n)
            })
            .collect()
    }

    /// A digest of every row of every table but sessions: unchanged digest, unchanged data.
    pub fn digest(&self) -> String {
        let conn = rusqlite::Connection::open(self.db_path()).expect("open db");
        let mut out = String::new();
        for (table, _) in self.table_counts() {
            let mut stmt = conn
                .prepare(&format!("SELECT * FROM \"{table}\" ORDER BY 1"))
                .expect("select");
            let columns = stmt.column_count();
            let mut rows = stmt.query([]).expect("query");
            out.push_str(&table);
            while let Some(r) = rows.next().expect("row") {
                for c in 0..columns {
                    let v: rusqlite::types::Value = r.get(c).expect("value");
                    out.push_str(&format!("|{v:?}"));
                }
                out.push('\n');
            }
        }
        out
    }
}

/// Tables that only mirror others and change in the background: the trigram index of asset
/// names (filled by the text-indexer thread whenever it catches up). Data digests leave them
/// out.
pub fn derived_table(table: &str) -> bool {
    table.starts_with("asset_text") || table == "text_index"
}

/// The `id` of each element of a JSON list (tasks, assets), in order.
pub fn ids(list: &Value) -> Vec<i64> {
    list.as_array()
        .expect("a list")
        .iter()
        .map(|t| t["id"].as_i64().expect("an id"))
        .collect()
}

/// Percent-encodes a path segment (company and department names are Chinese).
pub fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A valid import row for the demo company.
/// `n` import rows of liusn's in CST named `prefix-i`, every 7th breaking a rule (count 0): the
/// JSON body, and how many will fail.
/// Waits until the session writer has stored `session` in `database` (a login queues it:
/// src/sessions.rs): a test that reads or changes the stored row, kills the server, or acts on
/// the database from outside the server (a command on the machine) needs it there.
pub fn wait_session_stored(database: &std::path::Path, session: &str) {
    let conn = rusqlite::Connection::open(database).expect("open db");
    let hash = assetport::db::users::token_hash(session);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let stored: i64 = conn
            .query_row(
                "SELECT count(*) FROM session WHERE token_hash = ?1",
                [&hash],
                |r| r.get(0),
            )
            .expect("read session");
        if stored == 1 {
            return;
        }
        assert!(Instant::now() < deadline, "the session was never stored");
        std::thread::sleep(Duration::from_millis(2));
    }
}

pub fn rows_every_seventh_invalid(prefix: &str, n: usize) -> (String, usize) {
    let mut invalid = 0;
    let rows: Vec<Value> = (0..n)
        .map(|i| {
            let mut row = row(&format!("{prefix}-{i}"), "liusn", "CST");
            if i % 7 == 3 {
                row["count"] = json!(0);
                invalid += 1;
            }
            row
        })
        .collect();
    (Value::Array(rows).to_string(), invalid)
}

pub fn row(name: &str, user: &str, department: &str) -> Value {
    json!({
        "name": name, "parent": "", "assetClass": 0, "user": user, "price": 10.0,
        "description": "", "position": "", "expire": 0, "count": 10,
        "assetTree": "默认分类", "department": department, "deadline": 10
    })
}

/// A valid item-class row (count 1) for CST owned by liusn.
pub fn item(name: &str) -> Value {
    json!({
        "name": name, "assetClass": 1, "user": "liusn", "price": 100,
        "count": 1, "assetTree": "条目型资产", "department": "CST", "deadline": 5
    })
}

/// An XLSX made by rust_xlsxwriter, with its first worksheet and shared strings replaced by
/// hand-written XML: what an attacker can put in a file, not what a spreadsheet program writes.
pub fn xlsx_with(sheet_xml: &str, shared_strings: Option<&str>) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    book.add_worksheet().write_string(0, 0, "x").expect("cell");
    let base = book.save_to_buffer().expect("xlsx");
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(base)).expect("zip");
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let deflated = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true);
    for i in 0..zip.len() {
        let mut part = zip.by_index(i).expect("part");
        let name = part.name().expect("name").to_string();
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut part, &mut bytes).expect("read part");
        let bytes = match name.as_str() {
            "xl/worksheets/sheet1.xml" => sheet_xml.as_bytes().to_vec(),
            "xl/sharedStrings.xml" => shared_strings.map_or(bytes, |s| s.as_bytes().to_vec()),
            _ => bytes,
        };
        out.start_file(name, deflated).expect("start");
        std::io::Write::write_all(&mut out, &bytes).expect("write");
    }
    out.finish().expect("finish").into_inner()
}

/// The asset history matches the changes made, whole (what a SIGKILL must not break): every
/// asset was created by exactly one entry (its own 新建 or an import batch's range), every id
/// a range created still exists or has exactly one deletion entry (and no existing asset has
/// one), each finished import has as many created ids and update entries as it counts created
/// and updated rows, and each undo as many entries as it counts changes taken back.
pub fn assert_history_matches_changes(database: &std::path::Path) {
    let conn = rusqlite::Connection::open(database).expect("open db");
    let count = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).unwrap() };
    // Ranges never overlap.
    assert_eq!(
        count(
            "SELECT count(*) FROM asset_history a JOIN asset_history b ON a.id < b.id
             WHERE a.last_id IS NOT NULL AND b.last_id IS NOT NULL
               AND a.asset_id <= b.last_id AND b.asset_id <= a.last_id"
        ),
        0,
        "overlapping created ranges"
    );
    let creations = "(SELECT count(*) FROM asset_history h WHERE
           (h.last_id IS NULL AND h.asset_id = a.id AND h.kind = 1)
        OR (h.last_id IS NOT NULL AND a.id BETWEEN h.asset_id AND h.last_id))";
    assert_eq!(
        count(&format!(
            "SELECT count(*) FROM asset a WHERE {creations} <> 1"
        )),
        0,
        "an asset without exactly one creation entry"
    );
    assert_eq!(
        count(
            "SELECT count(*) FROM asset_history WHERE kind = 7
               AND asset_id IN (SELECT id FROM asset)"
        ),
        0,
        "a deletion entry of an asset that exists"
    );
    assert_eq!(
        count(
            "SELECT count(*) FROM (SELECT asset_id FROM asset_history WHERE kind = 7
               GROUP BY asset_id HAVING count(*) > 1)"
        ),
        0,
        "an asset deleted twice"
    );
    let ranged: i64 = count(
        "SELECT coalesce(sum(last_id - asset_id + 1), 0) FROM asset_history
         WHERE last_id IS NOT NULL",
    );
    let kept = count(
        "SELECT count(*) FROM asset a WHERE EXISTS (SELECT 1 FROM asset_history h
           WHERE h.last_id IS NOT NULL AND a.id BETWEEN h.asset_id AND h.last_id)",
    );
    let deleted = count(
        "SELECT count(*) FROM asset_history d WHERE d.kind = 7 AND EXISTS (
           SELECT 1 FROM asset_history h
           WHERE h.last_id IS NOT NULL AND d.asset_id BETWEEN h.asset_id AND h.last_id)",
    );
    assert_eq!(
        ranged,
        kept + deleted,
        "a created id neither kept nor deleted"
    );
    // Each finished real import: its counters are its entries.
    assert_eq!(
        count(
            "SELECT count(*) FROM task t WHERE t.port_type = 1 AND t.finish <> 0
               AND (t.dry_run = 0 OR t.confirmed = 1) AND (
                 t.number_created <> (SELECT coalesce(sum(last_id - asset_id + 1), 0)
                     FROM asset_history WHERE task_id = t.id AND last_id IS NOT NULL)
              OR t.number_updated <> (SELECT count(*) FROM asset_history
                     WHERE task_id = t.id AND kind = 5))"
        ),
        0,
        "an import whose counters differ from its history entries"
    );
    assert_eq!(
        count(
            "SELECT count(*) FROM task t WHERE t.port_type = 2 AND t.finish <> 0
               AND t.number_succeed <> (SELECT count(*) FROM asset_history
                     WHERE task_id = t.id AND (kind = 6 OR kind = 7))"
        ),
        0,
        "an undo whose counter differs from its history entries"
    );
}
