//! The database, its WAL and the log hold company data, and on a first start the log holds the
//! generated admin password: only the server's own user may read them. On Unix a folder the
//! server creates is 0700 and its files 0600; files an older version left readable to others
//! are tightened at start. (Elsewhere the platform's defaults apply.)

use std::fs::File;
use std::io;
use std::path::Path;

/// Creates `dir` and any missing parents, those it creates private to the server's user.
pub fn create_dir(dir: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Opens `path` for appending, created private to the server's user (or made so).
pub fn open_append(path: &Path) -> io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options.open(path)?;
    tighten(path);
    Ok(file)
}

/// Creates `path` empty and private if it does not exist (SQLite then gives its WAL and
/// shared-memory files the same mode); makes it private if it does. A missing file's folder
/// must exist.
pub fn create_file(path: &Path) -> io::Result<()> {
    if !path.exists() {
        let mut options = std::fs::OpenOptions::new();
        options.create(true).append(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        options.open(path)?;
    }
    tighten(path);
    Ok(())
}

/// Takes away what group and others may do with `path`, if it exists. A file the server may
/// not change (another user's) is left as it is, with a warning: it is still the owner's call.
pub fn tighten(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let Ok(meta) = std::fs::metadata(path) else {
            return;
        };
        let mode = meta.permissions().mode();
        if mode & 0o077 == 0 {
            return;
        }
        let private = std::fs::Permissions::from_mode(mode & !0o077);
        match std::fs::set_permissions(path, private) {
            Ok(()) => log::info!("{} made readable by its owner only", path.display()),
            Err(e) => log::warn!("{} is readable by others and stays so: {e}", path.display()),
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}
