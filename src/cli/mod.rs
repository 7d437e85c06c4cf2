//! The command line: `assetport` (serve), and the commands run on the machine that holds the
//! database (`backup`, `restore`, `reset-password`), `--help` and `--version`.

mod backup;
mod reset_password;

use crate::config::Settings;

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Serve,
    Backup(std::path::PathBuf),
    Restore(std::path::PathBuf),
    ResetPassword(String),
    Help,
    Version,
}

pub const HELP: &str = "\
assetport — a fixed-asset register

Usage:
  assetport                      start the server (stop it with Ctrl-C)
  assetport backup FILE          write a verified copy of the database to FILE (while the
                                 server runs or not), with a manifest beside it
  assetport restore FILE         replace the database with the backup FILE (server stopped);
                                 the current database is kept beside it as a copy
  assetport reset-password USER  set a new password for USER (the super admin `admin`
                                 included) and end their sessions
  assetport --help               this text
  assetport --version            the version and the database schema version

Settings come from Rocket.toml and ROCKET_* variables (docs/configuration.md); the commands
use the same `database` setting as the server.
";

/// Reads the command line (without the program name). An unknown command or a missing or
/// extra argument is an error whose message ends with a pointer to `--help`.
pub fn parse(args: &[String]) -> Result<Command, String> {
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    let one = |what: &str, rest: &[&str]| match rest {
        [arg] if !arg.is_empty() => Ok(arg.to_string()),
        [] => Err(format!("{what} needs one argument; see assetport --help")),
        _ => Err(format!("{what} takes one argument; see assetport --help")),
    };
    match words.as_slice() {
        [] | ["serve"] => Ok(Command::Serve),
        ["-h" | "--help" | "help", ..] => Ok(Command::Help),
        ["-V" | "--version" | "version"] => Ok(Command::Version),
        ["backup", rest @ ..] => one("backup", rest).map(|f| Command::Backup(f.into())),
        ["restore", rest @ ..] => one("restore", rest).map(|f| Command::Restore(f.into())),
        ["reset-password", rest @ ..] => one("reset-password", rest).map(Command::ResetPassword),
        [other, ..] => Err(format!("unknown command `{other}`; see assetport --help")),
    }
}

/// `assetport --version`: the program's version and the schema version it writes.
pub fn version() -> String {
    format!(
        "assetport {} (database schema version {})",
        env!("CARGO_PKG_VERSION"),
        crate::db::SCHEMA_VERSION
    )
}

/// Runs a command other than `Serve`; the message of an error is for the person at the
/// terminal.
pub fn run(command: Command, settings: &Settings) -> Result<(), String> {
    match command {
        Command::Serve => Err("serve is not a machine command".into()),
        Command::Help => {
            print!("{HELP}");
            Ok(())
        }
        Command::Version => {
            println!("{}", version());
            Ok(())
        }
        Command::Backup(file) => backup::backup(settings, &file),
        Command::Restore(file) => backup::restore(settings, &file),
        Command::ResetPassword(user) => reset_password::run(settings, &user),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(words: &[&str]) -> Result<Command, String> {
        parse(&words.iter().map(|w| w.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn every_command_is_read_with_its_argument() {
        assert_eq!(parsed(&[]), Ok(Command::Serve));
        assert_eq!(parsed(&["serve"]), Ok(Command::Serve));
        assert_eq!(parsed(&["--help"]), Ok(Command::Help));
        assert_eq!(parsed(&["-h"]), Ok(Command::Help));
        assert_eq!(parsed(&["--version"]), Ok(Command::Version));
        assert_eq!(
            parsed(&["backup", "b.sqlite3"]),
            Ok(Command::Backup("b.sqlite3".into()))
        );
        assert_eq!(
            parsed(&["restore", "b.sqlite3"]),
            Ok(Command::Restore("b.sqlite3".into()))
        );
        assert_eq!(
            parsed(&["reset-password", "admin"]),
            Ok(Command::ResetPassword("admin".into()))
        );
    }

    #[test]
    fn a_wrong_command_line_points_to_help() {
        for words in [
            &["backup"][..],
            &["backup", "a", "b"],
            &["reset-password", ""],
            &["restor", "x"],
            &["--version", "x"],
        ] {
            let e = parsed(words).expect_err("refused");
            assert!(e.contains("assetport --help"), "{words:?}: {e}");
        }
    }

    #[test]
    fn the_help_names_every_command() {
        for name in [
            "backup FILE",
            "restore FILE",
            "reset-password USER",
            "--version",
        ] {
            assert!(HELP.contains(name), "{name}");
        }
        assert!(version().contains(env!("CARGO_PKG_VERSION")));
    }
}
