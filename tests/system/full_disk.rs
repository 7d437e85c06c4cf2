//! Issue 10, item 13: a full disk. The server runs on a small tmpfs of its own (mounted by the
//! test, which needs root, as CI has); a filler file takes the space away and gives it back.

use crate::common;

use common::server::Server;
use common::DEMO_PASSWORD;
use serde_json::{json, Value};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// A tmpfs mounted for the test and unmounted when it ends.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(dir: &Path, mib: u64) -> Tmpfs {
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={mib}m"), "tmpfs"])
            .arg(dir)
            .status()
            .expect("run mount");
        assert!(
            status.success(),
            "this test mounts a small tmpfs and needs root (as CI runs): mount failed"
        );
        Tmpfs(dir.to_owned())
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// Writes `path` until the file system is full.
fn fill(path: &Path) {
    let mut file = std::fs::File::create(path).expect("filler");
    let block = vec![0u8; 1 << 20];
    while file.write_all(&block).is_ok() {}
    let small = vec![0u8; 4096];
    while file.write_all(&small).is_ok() {}
    let _ = file.sync_all();
}

fn rows(prefix: &str, n: usize) -> String {
    let rows: Vec<Value> = (0..n)
        .map(|i| common::row(&format!("{prefix}{i}"), "liusn", "CST"))
        .collect();
    json!(rows).to_string()
}

#[test]
fn item_13_a_full_disk_answers_clearly_and_a_task_resumes_once_there_is_space() {
    let dir = tempfile::tempdir().unwrap();
    let _tmpfs = Tmpfs::mount(dir.path(), 192);
    let database = dir.path().join("db.sqlite3");
    // Small batches: the import is still running when the disk fills.
    let server = Server::start(&database, &[("ROCKET_TASK_BATCH_ROWS", "100")]);
    let manager = server.login("liusn", DEMO_PASSWORD);
    let filler = dir.path().join("filler");

    // 1. No room to store a submission: a clear answer, and nothing stored.
    fill(&filler);
    let (_, before) = server.get(&format!("/api/async_task/{manager}"));
    let (status, body) = server.post(&format!("/api/asset/{manager}"), &rows("满盘", 20_000));
    assert_eq!(
        (status, &body["code"], &body["info"]),
        (507, &json!(11), &json!("磁盘空间不足，请释放空间后重试")),
        "{body}"
    );
    let (_, after) = server.get(&format!("/api/async_task/{manager}"));
    assert_eq!(after, before, "a refused submission left a task");
    // Reads still work.
    let (status, _) = server.post(
        &format!("/api/search_assets/{manager}"),
        &json!({"page": 1}).to_string(),
    );
    assert_eq!(status, 200);

    // 2. The disk fills while a task runs: the task waits, visibly unfinished, and a re-run
    // of it is refused as running.
    // Whether a task meets the full disk depends on the room SQLite's files already hold (a
    // WAL grown earlier is reused, a checkpoint that cannot grow the file fails unseen): a
    // task that finishes before the disk fills is tried again with a new import, each under
    // its own name.
    let n = 60_000;
    let mut met = None;
    for attempt in 0..5 {
        std::fs::remove_file(&filler).unwrap();
        let prefix = format!("资产{attempt}-");
        let (status, body) = server.post(&format!("/api/asset/{manager}"), &rows(&prefix, n));
        assert_eq!(status, 200, "{body}");
        let id = body["data"]["id"].as_i64().unwrap();
        fill(&filler);
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let log = std::fs::read_to_string(&server.log).unwrap_or_default();
            if log.contains(&format!("task {id}: disk full")) {
                met = Some((id, prefix.clone()));
                break;
            }
            if server.task(&manager, id)["finish"] != 0 {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the worker never met the full disk"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        if met.is_some() {
            break;
        }
    }
    let (id, prefix) = met.expect("no task met the full disk in five imports");
    let task = server.task(&manager, id);
    assert_eq!(task["finish"], 0, "{task}");
    assert!(task["number_done"].as_i64().unwrap() < n as i64, "{task}");
    assert_eq!(task["number_failed"], 0, "a full disk failed rows: {task}");
    let (status, body) = server.request(
        "PUT",
        &format!("/api/failed_task/{manager}/{id}"),
        Some("[]"),
    );
    assert_eq!((status, &body["code"]), (400, &json!(9)), "{body}");

    // 3. Space returns: the task runs to its end without a restart, every row once.
    std::fs::remove_file(&filler).unwrap();
    let task = server.wait_task(&manager, id);
    assert_eq!(task["finish"], 1, "{task}");
    assert_eq!(task["number_succeed"], json!(n), "{task}");
    let (_, body) = server.post(
        &format!("/api/search_assets/{manager}"),
        &json!({"page": 1, "name": prefix}).to_string(),
    );
    assert_eq!(body["total"], json!(n), "{body}");
    server.kill();
}
