//! `assetport backup FILE` and `assetport restore FILE`: the library's `backup` module, with
//! what the person at the terminal should read.

use crate::config::Settings;
use std::path::Path;

pub fn backup(settings: &Settings, file: &Path) -> Result<(), String> {
    let manifest = crate::backup::write(&settings.database, file)?;
    println!(
        "assetport: backup of {} written to {} ({} bytes, schema version {}, {} assets, {} \
         tasks, {} unfinished; SHA-256 {}); manifest {}",
        settings.database.display(),
        file.display(),
        manifest.size,
        manifest.schema_version,
        manifest.assets,
        manifest.tasks,
        manifest.unfinished_tasks,
        manifest.sha256,
        crate::backup::manifest_path(file).display()
    );
    Ok(())
}

pub fn restore(settings: &Settings, file: &Path) -> Result<(), String> {
    let restored = crate::backup::restore::restore(file, &settings.database)?;
    let upgraded = if restored.from_version < crate::db::SCHEMA_VERSION {
        format!(
            ", upgraded from schema version {} to {}",
            restored.from_version,
            crate::db::SCHEMA_VERSION
        )
    } else {
        String::new()
    };
    let kept = match restored.kept {
        Some(kept) => format!("; the database it replaced is kept as {}", kept.display()),
        None => String::new(),
    };
    println!(
        "assetport: {} restored as {}{upgraded}{kept}. Every session has ended; unfinished \
         tasks resume when the server starts.",
        file.display(),
        settings.database.display()
    );
    Ok(())
}
