//! A backup of a register of `n` assets, taken while the server runs: assetport's (online
//! backup, integrity check of the copy, SHA-256, manifest), and its copy alone, against SQLite's
//! own online backup of the same file with every page in one step (what the sqlite3 shell's
//! `.backup` does), and against the sqlite3 shell's `.backup` itself when the shell is installed
//! (Debian package `sqlite3`).

use super::harness::*;
use super::register::add_register_owner;
use std::path::Path;
use std::time::Instant;

/// Runs each three times, alternating, and prints the medians and their ratio.
pub(crate) fn backup(n: usize) {
    let dir = tempfile::tempdir().expect("temp dir");
    let database = dir.path().join("backup.sqlite3");
    let server = Server::start(&database);
    let client = server.client;
    let admin = client.login_as("sysadmin");
    add_register_owner(&client, &admin);
    super::register::fill(&database, n);
    let shell = std::process::Command::new("sqlite3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    let (mut ours, mut copy, mut raw, mut cli) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let time = |f: &mut dyn FnMut()| {
        let t = Instant::now();
        f();
        t.elapsed().as_secs_f64()
    };
    for round in 0..3 {
        let dest = dir.path().join(format!("ours-{round}.sqlite3"));
        let mut manifest = None;
        ours.push(time(&mut || {
            manifest = Some(assetport::backup::write(&database, &dest).expect("backup"));
        }));
        let manifest = manifest.expect("manifest");
        assert!(manifest.assets >= n as i64);
        let dest = dir.path().join(format!("copy-{round}.sqlite3"));
        copy.push(time(&mut || {
            assetport::backup::copy_into(&database, &dest).expect("copy");
        }));
        let dest = dir.path().join(format!("raw-{round}.sqlite3"));
        raw.push(time(&mut || raw_backup(&database, &dest)));
        if shell {
            let dest = dir.path().join(format!("cli-{round}.sqlite3"));
            cli.push(time(&mut || {
                let done = std::process::Command::new("sqlite3")
                    .arg(&database)
                    .arg(format!(".backup '{}'", dest.display()))
                    .status()
                    .expect("sqlite3");
                assert!(done.success());
            }));
        }
        if round == 0 {
            println!("backup_mb={:.1}", manifest.size as f64 / 1048576.0);
        }
        for name in ["ours", "copy", "raw", "cli"] {
            let _ = std::fs::remove_file(dir.path().join(format!("{name}-{round}.sqlite3")));
        }
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(|a, b| a.total_cmp(b));
        v[v.len() / 2]
    };
    let (ours, copy, raw) = (median(&mut ours), median(&mut copy), median(&mut raw));
    println!("backup_rows={n}");
    println!("backup_seconds={ours:.3}");
    println!("backup_copy_seconds={copy:.3}");
    println!("backup_raw_seconds={raw:.3}");
    println!("backup_vs_raw={:.2}", ours / raw);
    println!("backup_copy_vs_raw={:.2}", copy / raw);
    if shell {
        let cli = median(&mut cli);
        println!("backup_cli_seconds={cli:.3}");
        println!("backup_vs_cli={:.2}", ours / cli);
        println!("backup_copy_vs_cli={:.2}", copy / cli);
    }
}

/// SQLite's online backup, all pages in one step (the sqlite3 shell's `.backup`).
fn raw_backup(source: &Path, dest: &Path) {
    let from = rusqlite::Connection::open(source).expect("open");
    let mut to = rusqlite::Connection::open(dest).expect("open");
    let backup = rusqlite::backup::Backup::new(&from, &mut to).expect("backup");
    while backup.step(-1).expect("step") != rusqlite::backup::StepResult::Done {}
}
