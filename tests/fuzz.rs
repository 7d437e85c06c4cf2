//! Generated bad input (SPEC §3, §6, §7): thousands of requests from a fixed seed across every
//! endpoint — broken and mistyped JSON, nulls, huge, negative and fractional numbers, 1 MB
//! strings, deep nesting, control characters, SQL and HTML, invalid UTF-8 in bodies, paths and
//! queries, wrong methods, malformed and foreign sessions, bad task ids. Each request starts
//! from a valid one and breaks one to three things, so every check behind the first is reached.
//!
//! Every answer must be the JSON envelope (a file only where a file is asked for) and never a
//! 5xx. Phase A sends requests that must be refused (reads may succeed) and compares the whole
//! database after every one that committed anything. Phase B sends what the task endpoints
//! accept by design — arrays and files of rows that are all broken, ids, re-runs: tasks appear,
//! nothing else changes, and every task finishes with every row counted.

mod common;
#[path = "fuzz/mod.rs"]
mod fuzz;

use common::App;
use fuzz::accepted::Made;
use fuzz::catalogue::{Ep, ENDPOINTS, WRONG_METHODS};
use fuzz::check::{Runner, Tables};
use fuzz::generator::Gen;
use fuzz::request::describe;
use fuzz::world::{all_done, setup};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rusqlite::Connection;
use serde_json::json;
use std::collections::BTreeMap;
use std::time::Instant;

/// The default seed; `FUZZ_SEED=<n>` explores another.
const SEED: u64 = 0x0A55_E7F0_2200_5EED;
/// 1 MB strings are slow to send and parse: this many, then 5,000 characters.
const BIG_STRINGS: usize = 12;
/// Phase A compares the whole database at least this often, besides after every commit.
const CHECKPOINT: usize = 250;
const TASK_REQUESTS: usize = 800;

/// Phase A: requests that must be refused (reads may succeed) and change nothing.
fn refused_phase(runner: &mut Runner, gen: &mut Gen) {
    let mut schedule: Vec<Option<Ep>> = ENDPOINTS
        .iter()
        .flat_map(|&(ep, _, n)| std::iter::repeat_n(Some(ep), n))
        .chain(std::iter::repeat_n(None, WRONG_METHODS))
        .collect();
    schedule.shuffle(&mut gen.rng);
    let before = runner.digest(Tables::All);
    let mut version = runner.data_version();
    for (i, step) in schedule.into_iter().enumerate() {
        let req = match step {
            Some(ep) => gen.request(ep),
            None => gen.wrong_method(),
        };
        runner.send(&req);
        // SQLite's data_version moves when another connection commits: only then, and at a
        // checkpoint, compare everything.
        let now = runner.data_version();
        if now != version || i % CHECKPOINT == 0 {
            version = now;
            runner.unchanged(Tables::All, &before, &req);
        }
    }
}

/// Phase B: what the task endpoints accept, all of broken rows. Returns the tasks made.
fn task_phase(runner: &mut Runner, gen: &mut Gen) -> Vec<(i64, Made)> {
    let admin = gen.w.sessions["sysadmin"].clone();
    let before = runner.digest(Tables::Register);
    let mut made = Vec::new();
    for i in 0..TASK_REQUESTS {
        let (req, what) = gen.task_request();
        let answer = runner.send(&req);
        let accepted = answer.as_ref().is_some_and(|a| a["code"] == json!(0));
        match what {
            // Wait for each re-run and import: the next re-run of it must not find it running.
            Made::Rerun { id } if accepted => {
                let task = runner.app.wait_task(&admin, id);
                let failed = task["number_failed"].as_u64().unwrap_or(0) as usize;
                if let Some(t) = gen.imports.iter_mut().find(|t| t.0 == id) {
                    t.1 = failed;
                }
            }
            Made::Import { .. } | Made::Export { .. } if accepted => {
                let id = answer
                    .as_ref()
                    .and_then(|a| a["data"]["id"].as_i64())
                    .unwrap_or_else(|| panic!("no task id for {}", describe(&req)));
                if let Made::Import { .. } = what {
                    let task = runner.app.wait_task(&admin, id);
                    let failed = task["number_failed"].as_u64().unwrap_or(0) as usize;
                    gen.imports.push((id, failed));
                }
                made.push((id, what));
            }
            _ => {}
        }
        if i % 100 == 0 {
            runner.unchanged(Tables::Register, &before, &req);
        }
    }
    made
}

#[test]
fn generated_bad_input_is_refused_everywhere() {
    let started = Instant::now();
    let seed = std::env::var("FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(SEED);
    // A small unpacked-size cap, so the generated zip bombs stay small and quick.
    let app = App::with(&[("upload_max_unpacked_mib", json!(8))]);
    let world = setup(&app);
    let mut gen = Gen {
        rng: StdRng::seed_from_u64(seed),
        w: &world,
        big_left: BIG_STRINGS,
        imports: Vec::new(),
    };
    let mut runner = Runner {
        app: &app,
        conn: Connection::open(app.db_path()).expect("open db"),
        counts: BTreeMap::new(),
        wrong: BTreeMap::new(),
        wrong_sent: 0,
        answers: BTreeMap::new(),
        sent: 0,
    };
    let assets_before = runner.digest(Tables::Register);

    refused_phase(&mut runner, &mut gen);
    let refused = runner.sent;
    let made = task_phase(&mut runner, &mut gen);

    // Every task of both companies finishes with every row counted.
    // The system admin sees every task of the company, whoever sent it.
    let admin = &world.sessions["sysadmin"];
    let ours = all_done(&app, admin);
    let theirs = all_done(&app, &world.sessions["admin2"]);
    for t in ours.iter().chain(&theirs) {
        let n = |k: &str| t[k].as_i64().unwrap_or(-1);
        assert_eq!(
            n("number_succeed") + n("number_failed"),
            n("number_need"),
            "{t}"
        );
        assert_eq!(n("number_done"), n("number_need"), "{t}");
        assert_eq!(
            n("finish"),
            if n("number_failed") > 0 { 2 } else { 1 },
            "{t}"
        );
    }
    let task = |id: i64| {
        let found = ours.iter().find(|t| t["id"] == json!(id));
        found
            .cloned()
            .unwrap_or_else(|| panic!("task {id} is not listed"))
    };
    let fixture = task(world.import_task);
    assert_eq!(
        (&fixture["number_need"], &fixture["number_succeed"]),
        (&json!(3), &json!(1)),
        "re-runs of broken rows changed the counters"
    );
    assert_eq!(theirs.len(), 1, "{theirs:?}");
    let (mut imports, mut exports) = (0, 0);
    for (id, what) in &made {
        let t = task(*id);
        match what {
            Made::Import { need } => {
                imports += 1;
                if let Some(need) = need {
                    assert_eq!(t["number_need"], json!(need), "{t}");
                }
                assert_eq!(t["number_succeed"], json!(0), "a broken row succeeded: {t}");
                let failed = app.get(&format!("/api/failed_task/{admin}/{id}"));
                let rows = failed.ok().as_array().cloned().unwrap_or_default();
                assert_eq!(json!(rows.len()), t["number_failed"], "{t}");
                assert!(rows.iter().all(|r| r["message"].is_string()), "{t}");
            }
            Made::Export { need, succeed } => {
                exports += 1;
                assert_eq!(t["number_need"], json!(need), "{t}");
                assert_eq!(t["number_succeed"], json!(succeed), "{t}");
                let records = app.get(&format!("/api/export_task/{admin}/{id}"));
                assert_eq!(records.ok().as_array().map(Vec::len), Some(*succeed), "{t}");
                let failed = app.get(&format!("/api/export_task/{admin}/{id}/failed"));
                let failed = failed.ok().as_array().cloned().unwrap_or_default();
                assert_eq!(json!(failed.len()), t["number_failed"], "{t}");
                assert!(failed.iter().all(|f| f["message"].is_string()), "{t}");
            }
            _ => {}
        }
    }
    let assets_after = runner.digest(Tables::Register);
    assert!(
        assets_after == assets_before,
        "assets, users or the organisation changed over the run"
    );

    // The server is still up: a normal login (from another address: the fuzzer's failed
    // logins throttle this one, as they should), its role and the task list work.
    let login = app.login_from("192.0.2.9", "liusn", common::DEMO_PASSWORD);
    let fresh = login.ok()["session"].as_str().expect("session").to_owned();
    let character = app.get(&format!("/api/character/{fresh}"));
    assert_eq!(character.ok()["character"], json!(2));
    // The asset manager sees the tasks they sent, a part of the company's.
    let list = app.get(&format!("/api/async_task/{fresh}"));
    let seen = list.ok().as_array().cloned().unwrap_or_default();
    assert!(
        !seen.is_empty() && seen.len() < ours.len(),
        "{}",
        seen.len()
    );
    assert!(seen.iter().all(|t| ours.iter().any(|o| o["id"] == t["id"])));

    println!(
        "fuzz (seed {seed}): {} requests ({refused} refused-only, {} to the task endpoints) in {:.1} s; \
         {imports} import and {exports} export tasks of broken rows; {} strings of 1 MB",
        runner.sent,
        runner.sent - refused,
        started.elapsed().as_secs_f64(),
        BIG_STRINGS - gen.big_left
    );
    for (label, n) in &runner.counts {
        println!("  {label:<46} {n:>4}");
    }
    let methods: std::collections::BTreeSet<&String> = runner.wrong.values().flatten().collect();
    println!(
        "  wrong methods: {} requests on all {} paths ({})",
        runner.wrong_sent,
        runner.wrong.len(),
        methods.into_iter().cloned().collect::<Vec<_>>().join(" ")
    );
    let answers: Vec<String> = runner
        .answers
        .iter()
        .map(|((status, code), n)| format!("{status}/{code}×{n}"))
        .collect();
    println!("  answers (status/code×n): {}", answers.join(" "));
    assert!(runner.sent >= 5000, "only {} requests", runner.sent);
}
