//! Many clients at once against the real binary while one large import runs: every request is
//! answered with success (never "database is locked"), and afterwards every accepted task ends
//! with counters that add up, to the row, to the assets in the database.

use crate::common;

use common::server::Server;
use common::DEMO_PASSWORD;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Mutex;
use std::time::{Duration, Instant};

const CLIENTS: usize = 50;
const LOAD: Duration = Duration::from_secs(4);
const LARGE_ROWS: usize = 100_000;
const SMALL_ROWS: usize = 20;

/// What each client sends, in turn: mostly reads, some single creates and small imports.
const MIX: [Kind; 10] = [
    Kind::List,
    Kind::Search,
    Kind::Task,
    Kind::Create,
    Kind::Search,
    Kind::Task,
    Kind::Import,
    Kind::List,
    Kind::Create,
    Kind::Task,
];

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Kind {
    List,
    Search,
    Task,
    Create,
    Import,
}

/// One request that did not answer `200 / code 0`.
struct Failure {
    method: &'static str,
    path: String,
    body: String,
    answer: String,
}

/// Everything the clients learned: answers per kind, failures, assets created one by one, and
/// each accepted task as (id, rows sent, rows that must fail).
#[derive(Default)]
struct Tally {
    answered: HashMap<Kind, usize>,
    failures: Vec<Failure>,
    created: i64,
    tasks: Vec<(i64, i64, i64)>,
}

/// `rows` import rows for CST with unique names; one in `invalid_every` breaks a rule (count 0
/// or an unknown category). Returns the body and how many rows must fail.
fn import_body(prefix: &str, rows: usize, invalid_every: usize) -> (String, i64) {
    let mut invalid = 0;
    let rows: Vec<Value> = (0..rows)
        .map(|i| {
            let mut row = common::row(&format!("{prefix}-{i}"), "liusn", "CST");
            if i % invalid_every == invalid_every / 2 {
                invalid += 1;
                if invalid % 2 == 0 {
                    row["count"] = json!(0);
                } else {
                    row["assetTree"] = json!("不存在的分类");
                }
            }
            row
        })
        .collect();
    (Value::Array(rows).to_string(), invalid)
}

/// One request that never panics: a broken connection or a non-JSON answer is a failure too.
fn send(
    server: &Server,
    method: &'static str,
    path: &str,
    body: Option<&str>,
) -> Result<Value, Failure> {
    let answer = catch_unwind(AssertUnwindSafe(|| server.request(method, path, body)));
    let failure = |answer: String| Failure {
        method,
        path: path.to_owned(),
        body: body.unwrap_or("").chars().take(200).collect(),
        answer,
    };
    match answer {
        Ok((200, json)) if json["code"] == 0 => Ok(json),
        Ok((status, json)) => Err(failure(format!("{status} {json}"))),
        Err(panic) => {
            let text = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            Err(failure(format!("no answer: {text}")))
        }
    }
}

/// One client: sends MIX in turn (starting at its own offset) until `until`. A task any client
/// made is read with `admin` (a system admin sees every task of the company; an asset manager
/// only those of their scope).
fn client(
    server: &Server,
    (session, admin): (&str, &str),
    n: usize,
    until: Instant,
    tally: &Mutex<Tally>,
) {
    let mut i = n;
    let mut local = Tally::default();
    while Instant::now() < until {
        let kind = MIX[i % MIX.len()];
        i += 1;
        let known = |tally: &Mutex<Tally>| -> Option<i64> {
            let t = tally.lock().unwrap();
            t.tasks.get(i * 7 % t.tasks.len().max(1)).map(|t| t.0)
        };
        let result = match kind {
            Kind::List => send(server, "GET", &format!("/api/async_task/{session}"), None),
            Kind::Search => send(
                server,
                "POST",
                &format!("/api/search_assets/{session}"),
                Some(r#"{"page":1}"#),
            ),
            Kind::Task => match known(tally).or_else(|| local.tasks.first().map(|t| t.0)) {
                Some(id) => send(
                    server,
                    "GET",
                    &format!("/api/async_task/{admin}/{id}"),
                    None,
                ),
                None => send(server, "GET", &format!("/api/async_task/{session}"), None),
            },
            Kind::Create => {
                let row = common::row(&format!("单建-{n}-{i}"), "liusn", "CST").to_string();
                let sent = send(
                    server,
                    "POST",
                    &format!("/api/post_asset/{session}"),
                    Some(&row),
                );
                if sent.is_ok() {
                    local.created += 1;
                }
                sent
            }
            Kind::Import => {
                let (body, invalid) = import_body(&format!("小批-{n}-{i}"), SMALL_ROWS, 5);
                let sent = send(
                    server,
                    "POST",
                    &format!("/api/asset/{session}"),
                    Some(&body),
                );
                if let Ok(answer) = &sent {
                    let id = answer["data"]["id"].as_i64().expect("task id");
                    tally
                        .lock()
                        .unwrap()
                        .tasks
                        .push((id, SMALL_ROWS as i64, invalid));
                    local.tasks.push((id, SMALL_ROWS as i64, invalid));
                }
                sent
            }
        };
        *local.answered.entry(kind).or_default() += 1;
        if let Err(f) = result {
            local.failures.push(f);
        }
    }
    let mut t = tally.lock().unwrap();
    for (kind, count) in local.answered {
        *t.answered.entry(kind).or_default() += count;
    }
    t.failures.extend(local.failures);
    t.created += local.created;
}

#[test]
fn fifty_clients_and_a_large_import_all_succeed_and_add_up() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("db.sqlite3");
    let server = Server::start(&database, &[]);
    let manager = server.login("liusn", DEMO_PASSWORD);
    let admin = server.login("sysadmin", DEMO_PASSWORD);
    let (large, large_invalid) = import_body("大批", LARGE_ROWS, 1000);
    let tally = Mutex::new(Tally::default());

    let started = Instant::now();
    let until = started + LOAD;
    let large_done_during_load = std::thread::scope(|scope| {
        let large = scope.spawn(|| {
            let sent = send(
                &server,
                "POST",
                &format!("/api/asset/{manager}"),
                Some(&large),
            );
            match sent {
                Ok(answer) => {
                    let id = answer["data"]["id"].as_i64().expect("task id");
                    tally
                        .lock()
                        .unwrap()
                        .tasks
                        .push((id, LARGE_ROWS as i64, large_invalid));
                    Some(id)
                }
                Err(f) => {
                    tally.lock().unwrap().failures.push(f);
                    None
                }
            }
        });
        for n in 0..CLIENTS {
            let session = if n % 2 == 0 { &manager } else { &admin };
            let tally = &tally;
            let server = &server;
            let admin = &admin;
            scope.spawn(move || client(server, (session, admin), n, until, tally));
        }
        let id = large.join().expect("large import thread");
        // Whether the large import was still running while the clients were: printed, not
        // asserted (tests never assert on timings).
        while Instant::now() < until {
            std::thread::sleep(Duration::from_millis(20));
        }
        id.map(|id| {
            let (_, body) = server.get(&format!("/api/async_task/{manager}/{id}"));
            body["data"]["finish"] != 0
        })
    });
    let seconds = started.elapsed().as_secs_f64();
    let tally = tally.into_inner().unwrap();

    let total: usize = tally.answered.values().sum();
    let count = |k: Kind| tally.answered.get(&k).copied().unwrap_or(0);
    println!(
        "load: {CLIENTS} clients, {seconds:.1} s: list={} search={} task={} create={} import={} \
         total={total} ({:.0}/s); large import of {LARGE_ROWS} rows finished during the load: {}",
        count(Kind::List),
        count(Kind::Search),
        count(Kind::Task),
        count(Kind::Create),
        count(Kind::Import),
        total as f64 / seconds,
        large_done_during_load.unwrap_or(false),
    );
    let shown: Vec<String> = tally
        .failures
        .iter()
        .take(5)
        .map(|f| format!("{} {} [{}] -> {}", f.method, f.path, f.body, f.answer))
        .collect();
    assert!(
        tally.failures.is_empty(),
        "{} of {total} requests failed, e.g.:\n{}",
        tally.failures.len(),
        shown.join("\n")
    );
    assert!(count(Kind::Create) > 0 && count(Kind::Import) > 0);

    // Every accepted task finishes, and its counters agree with its rows (read by the system
    // admin, who sees every task of the company).
    let mut imported = 0;
    for &(id, need, invalid) in &tally.tasks {
        let task = server.wait_task(&admin, id);
        let field = |f: &str| task[f].as_i64().unwrap_or_else(|| panic!("{f}: {task}"));
        assert_eq!(field("number_need"), need, "{task}");
        assert_eq!(field("number_done"), need, "{task}");
        assert_eq!(
            field("number_succeed") + field("number_failed"),
            need,
            "{task}"
        );
        assert_eq!(field("number_failed"), invalid, "{task}");
        assert_eq!(field("finish"), if invalid > 0 { 2 } else { 1 }, "{task}");
        let (status, failed) = server.get(&format!("/failed_task/{admin}/{id}"));
        assert_eq!(status, 200, "{failed}");
        let failed = failed["data"].as_array().expect("failed rows");
        assert_eq!(failed.len() as i64, field("number_failed"), "task {id}");
        imported += field("number_succeed");
    }

    // Each create that answered OK and each succeeded row is exactly one asset.
    let conn = rusqlite::Connection::open_with_flags(
        &database,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    let assets: i64 = conn
        .query_row("SELECT count(*) FROM asset", [], |r| r.get(0))
        .unwrap();
    assert_eq!(assets, tally.created + imported);

    // No request or worker met a busy database, even one a retry later hid.
    let log = std::fs::read_to_string(&server.log).unwrap();
    for bad in ["locked", "busy", "internal error", "attempt"] {
        let line = log.lines().find(|l| l.contains(bad));
        assert!(line.is_none(), "the server log has {bad:?}: {line:?}");
    }
}
