//! `assetport reset-password USER`: a new password for any user, the super admin included, set
//! by whoever can run the program on the machine that holds the database (the recovery of a
//! forgotten password). Every session of the user ends.

use crate::config::Settings;
use std::io::{BufRead, IsTerminal};

pub fn run(settings: &Settings, user: &str) -> Result<(), String> {
    if !settings.database.is_file() {
        return Err(format!(
            "no database at {}; is `database` set as the server's?",
            settings.database.display()
        ));
    }
    let password = read_new_password(user)?;
    let pool = crate::db::open(&settings.database)?;
    let mut conn = pool.get().map_err(|e| e.to_string())?;
    let name =
        crate::org::reset_password_on_machine(&mut conn, user, &password).map_err(|e| match e {
            crate::error::Error::NotFound(_) => {
                format!("no user named `{user}`; nothing was changed")
            }
            e => format!("{}; nothing was changed", e.cause()),
        })?;
    println!(
        "assetport: the password of `{name}` is set and their sessions ended ({})",
        settings.database.display()
    );
    Ok(())
}

/// The new password: typed twice at a terminal (not shown), or the first line of the input
/// when it is not a terminal (a script).
fn read_new_password(user: &str) -> Result<String, String> {
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password(format!("New password for {user}: "))
            .map_err(|e| format!("cannot read the password: {e}"))?;
        let again = rpassword::prompt_password("The same password again: ")
            .map_err(|e| format!("cannot read the password: {e}"))?;
        if first != again {
            return Err("the two passwords differ; nothing was changed".into());
        }
        return Ok(first);
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| format!("cannot read the password: {e}"))?;
    Ok(line.trim_end_matches(['\n', '\r']).to_owned())
}
