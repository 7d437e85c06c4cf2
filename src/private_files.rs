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

/// A new temporary file in `dir`, private to the server's user (0600), with no name in the
/// folder where the platform allows (Linux: `O_TMPFILE`; elsewhere it is unlinked at once): it
/// goes when its last handle is closed, even if the process is killed, and nobody else can open
/// it meanwhile. An uploaded file waits in one while it is read.
pub fn temp_file_in(dir: &Path) -> io::Result<File> {
    let file = tempfile::tempfile_in(dir)?;
    // O_TMPFILE takes the process's umask (0644 as a rule): nobody can reach a file without a
    // name, but one that is given a name (linkat) must not be readable by others either.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(file)
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Seek, SeekFrom, Write};

    #[test]
    fn a_temp_file_is_private_and_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let mut file = temp_file_in(dir.path()).unwrap();
        file.write_all(b"asset data").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = file.metadata().unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{mode:o}");
        }
        // Nothing in the folder, while it is open and once it is closed.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        file.seek(SeekFrom::Start(0)).unwrap();
        let mut text = String::new();
        file.read_to_string(&mut text).unwrap();
        assert_eq!(text, "asset data");
        drop(file);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
