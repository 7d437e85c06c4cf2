//! The systemd unit in `deploy/`: systemd reads it without a complaint, and the settings it
//! gives start the real binary with its data where the unit says.

use crate::common;

use common::server::Server;
use std::path::Path;
use std::process::Command;

const UNIT: &str = include_str!("../../deploy/assetport.service");

fn unit_values(key: &str) -> Vec<&'static str> {
    UNIT.lines()
        .filter_map(|line| line.strip_prefix(key)?.strip_prefix('='))
        .collect()
}

#[test]
fn the_unit_runs_as_its_own_user_restarts_and_is_sandboxed() {
    for (key, value) in [
        ("User", "assetport"),
        ("StateDirectory", "assetport"),
        ("Restart", "on-failure"),
        ("NoNewPrivileges", "yes"),
        ("ProtectSystem", "strict"),
        ("ProtectHome", "yes"),
        ("PrivateTmp", "yes"),
        ("Environment", "ROCKET_OPEN_BROWSER=false"),
    ] {
        assert!(unit_values(key).contains(&value), "{key}={value}");
    }
    let database = unit_values("Environment")
        .into_iter()
        .find_map(|e| e.strip_prefix("ROCKET_DATABASE="))
        .expect("the unit names the database");
    assert!(
        database.starts_with("/var/lib/assetport/"),
        "the data is in the state directory: {database}"
    );
}

/// `systemd-analyze verify` reads the unit (with the binary it would start) and finds nothing
/// to ignore or refuse.
#[test]
fn systemd_reads_the_unit_without_a_complaint() {
    if Command::new("systemd-analyze")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipped: systemd-analyze is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let unit = dir.path().join("assetport.service");
    let binary = env!("CARGO_BIN_EXE_assetport");
    let text: String = UNIT
        .lines()
        .map(|line| match line.strip_prefix("ExecStart=") {
            Some(_) => format!("ExecStart={binary}\n"),
            None => format!("{line}\n"),
        })
        .collect();
    std::fs::write(&unit, text).unwrap();
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .arg(&unit)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && said.trim().is_empty(), "{said}");
}

/// The unit's settings, with its state directory moved to a temporary one (and a free port),
/// start the binary: every key it sets is one the server reads.
#[test]
fn the_units_settings_start_the_server_with_its_data_in_the_state_directory() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    std::fs::create_dir(&state).unwrap();
    let state_text = state.to_str().unwrap();
    let env: Vec<(String, String)> = unit_values("Environment")
        .into_iter()
        .filter_map(|e| e.split_once('='))
        // The test's server takes a free port of its own.
        .filter(|(k, _)| *k != "ROCKET_PORT")
        .map(|(k, v)| match k {
            "ROCKET_CONFIG" => (k.to_owned(), format!("{state_text}/Rocket.toml")),
            _ => (k.to_owned(), v.replace("/var/lib/assetport", state_text)),
        })
        .collect();
    let database = env
        .iter()
        .find(|(k, _)| k == "ROCKET_DATABASE")
        .map(|(_, v)| Path::new(v).to_path_buf())
        .expect("the unit names the database");
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let server = Server::start_in(&state, &database, &env);
    assert_eq!(server.get("/api/character/x").0, 401);
    assert!(database.is_file());
    assert!(state.join("assetport.log").is_file());
}
