//! The commands run on the server's machine: `--help`, `--version` and `reset-password`, the
//! recovery of a forgotten password (the super admin's included), run beside the live server.

use crate::common;

use common::server::Server;
use common::{ADMIN_PASSWORD, DEMO_PASSWORD};
use serde_json::json;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

/// Runs `assetport ARGS` on `database` with `input` on its standard input.
fn assetport(database: &Path, args: &[&str], input: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_assetport"))
        .args(args)
        .env("ROCKET_DATABASE", database)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run assetport");
    // A command that refuses before it reads (no database) may have gone already: its input
    // then has no reader, which is not the test's concern.
    let _ = child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes());
    child.wait_with_output().expect("assetport ends")
}

fn text(out: &[u8]) -> String {
    String::from_utf8_lossy(out).into_owned()
}

#[test]
fn help_lists_every_command_and_version_names_the_schema() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("db.sqlite3");
    let help = assetport(&database, &["--help"], "");
    assert!(help.status.success());
    for command in [
        "backup FILE",
        "restore FILE",
        "reset-password USER",
        "--version",
    ] {
        assert!(text(&help.stdout).contains(command), "{command}");
    }
    let version = assetport(&database, &["--version"], "");
    assert!(version.status.success());
    let line = text(&version.stdout);
    assert!(line.contains(env!("CARGO_PKG_VERSION")), "{line}");
    assert!(line.contains("schema version"), "{line}");
    let wrong = assetport(&database, &["frobnicate"], "");
    assert_eq!(wrong.status.code(), Some(2));
    assert!(text(&wrong.stderr).contains("assetport --help"));
    // None of them made a database.
    assert!(!database.exists());
}

fn session_lives(server: &Server, session: &str) -> bool {
    server.get(&format!("/api/character/{session}")).0 == 200
}

fn login_status(server: &Server, name: &str, password: &str) -> u16 {
    let body = json!({"identity": name, "password": password}).to_string();
    server.post("/api/login", &body).0
}

#[test]
fn reset_password_recovers_the_super_admin_and_ends_only_their_sessions() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("db.sqlite3");
    let server = Server::start(&database, &[]);
    let admin = server.login("admin", ADMIN_PASSWORD);
    let staff = server.login("zhangsan", DEMO_PASSWORD);
    // A command on the machine reaches the database, not the server's memory.
    common::wait_session_stored(&database, &admin);
    common::wait_session_stored(&database, &staff);

    // Refusals change nothing: a weak password, two that differ… (typed at a terminal only),
    // a user that does not exist.
    let weak = assetport(&database, &["reset-password", "admin"], "short\n");
    assert_eq!(weak.status.code(), Some(1));
    assert!(text(&weak.stderr).contains("nothing was changed"));
    let nobody = assetport(&database, &["reset-password", "nobody"], "long-enough\n");
    assert_eq!(nobody.status.code(), Some(1));
    assert!(text(&nobody.stderr).contains("no user named `nobody`"));
    assert!(session_lives(&server, &admin));
    assert_eq!(login_status(&server, "admin", ADMIN_PASSWORD), 200);

    // While the server runs.
    let reset = assetport(&database, &["reset-password", "admin"], "a-new-secret\n");
    assert!(reset.status.success(), "{}", text(&reset.stderr));
    assert!(text(&reset.stdout).contains("`admin`"));
    assert!(!session_lives(&server, &admin), "the old session ended");
    assert!(session_lives(&server, &staff), "nobody else's did");
    assert_eq!(login_status(&server, "admin", ADMIN_PASSWORD), 400);
    let admin = server.login("admin", "a-new-secret");

    // Any user, by name; and the journal says it was done on the machine.
    let reset = assetport(&database, &["reset-password", "zhangsan"], "zhangsan-2\n");
    assert!(reset.status.success(), "{}", text(&reset.stderr));
    assert!(!session_lives(&server, &staff));
    server.login("zhangsan", "zhangsan-2");
    let sysadmin = server.login("sysadmin", DEMO_PASSWORD);
    let (status, journal) = server.get(&format!("/api/journal/{sysadmin}?kind=password_reset"));
    assert_eq!(status, 200, "{journal}");
    let entry = &journal["data"][0];
    assert_eq!(entry["actor"], "本机命令", "{journal}");
    let (_, journal) = server.get(&format!("/api/journal/{admin}?kind=password_reset"));
    assert_eq!(
        journal["total"], 1,
        "the super admin's own reset: {journal}"
    );
}

#[test]
fn reset_password_without_a_database_creates_none() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("missing.sqlite3");
    let out = assetport(&database, &["reset-password", "admin"], "a-new-secret\n");
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("no database at"));
    assert!(!database.exists());
}
