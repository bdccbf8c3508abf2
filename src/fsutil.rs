//! Files git-agents writes under the git directory, never through a symlink someone
//! planted there: a log, a record or a cache path that is a link is refused, not followed.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// Create the directory `dir` (and its parents) and refuse it when it, or its parent, is
/// a symlink: what goes in it must stay under the git directory.
pub fn private_dir(dir: &Path) -> io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for checked in [Some(dir), dir.parent()].into_iter().flatten() {
        if std::fs::symlink_metadata(checked)?.file_type().is_symlink() {
            return Err(io::Error::other(format!(
                "{} is a symlink; git-agents writes only into real directories under the git directory (remove the link)",
                checked.display()
            )));
        }
    }
    Ok(())
}

fn options(
    write: impl FnOnce(&mut OpenOptions) -> &mut OpenOptions,
    path: &Path,
) -> io::Result<File> {
    let mut options = OpenOptions::new();
    write(&mut options).custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC);
    options.open(path).map_err(|err| {
        if err.raw_os_error() == Some(libc::ELOOP) {
            io::Error::other(format!(
                "{} is a symlink; git-agents does not write through links under the git directory (remove it)",
                path.display()
            ))
        } else {
            err
        }
    })
}

/// Open `path` for a fresh log: created or emptied, never through a symlink.
pub fn create(path: &Path) -> io::Result<File> {
    options(|o| o.write(true).create(true).truncate(true), path)
}

/// Open `path` to add to a log: created if missing, never through a symlink.
pub fn append(path: &Path) -> io::Result<File> {
    options(|o| o.append(true).create(true), path)
}

/// Write a new file `path` that must not exist yet (a temporary about to be renamed
/// into place): a symlink or file already there is an error, never written through.
pub fn write_new(path: &Path, bytes: &[u8]) -> io::Result<()> {
    use std::io::Write;
    let mut file = options(|o| o.write(true).create_new(true), path)?;
    file.write_all(bytes)
}

/// Replace `path` with `bytes` in one step: a fresh temporary beside it (never written
/// through a link) renamed over it, in a directory [`private_dir`] has checked. A reader
/// sees the old file or the new one, never half of one.
pub fn replace(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return Err(io::Error::other(format!(
            "{} names no file",
            path.display()
        )));
    };
    private_dir(dir)?;
    let temporary = dir.join(format!(
        "{}.{}.tmp",
        name.to_string_lossy(),
        std::process::id()
    ));
    let _ = std::fs::remove_file(&temporary);
    write_new(&temporary, bytes)?;
    std::fs::rename(&temporary, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&temporary);
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_planted_symlink_is_refused_and_its_target_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("outside.txt");
        std::fs::write(&target, "precious").unwrap();
        let link = dir.path().join("agent.log");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        assert!(create(&link).is_err());
        assert!(append(&link).is_err());
        assert!(write_new(&link, b"x").is_err());
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "precious");

        let logs = dir.path().join("logs");
        std::os::unix::fs::symlink(dir.path(), &logs).unwrap();
        assert!(private_dir(&logs).is_err());
    }
}
