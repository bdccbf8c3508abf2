//! Putting generated files where the system finds them: manual pages into a `man1`
//! directory (no root needed), and the checked-in `man/` and `completions/` trees.

use std::path::{Path, PathBuf};

use git_agents::error::{Error, Result};

/// The manual directory pages go to by default: beside the installed binary when it
/// lives in a `bin` directory (`~/.cargo/bin/git-agents` → `~/.cargo/share/man`, which
/// man-db searches by itself for every `bin` directory on `PATH`), else
/// `$XDG_DATA_HOME/man`, else `~/.local/share/man`; `None` when nothing says where.
pub fn default_man_dir() -> Option<PathBuf> {
    let beside_binary = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(Path::to_path_buf))
        .filter(|dir| dir.file_name().is_some_and(|name| name == "bin"))
        .and_then(|bin| bin.parent().map(|prefix| prefix.join("share/man")));
    if beside_binary.is_some() {
        return beside_binary;
    }
    let non_empty = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    if let Some(data) = non_empty("XDG_DATA_HOME") {
        return Some(PathBuf::from(data).join("man"));
    }
    non_empty("HOME").map(|home| PathBuf::from(home).join(".local/share/man"))
}

/// Write each `(file name, text)` into `dir`, creating it; returns the paths written.
pub fn write_files(dir: &Path, files: &[(String, String)]) -> Result<Vec<PathBuf>> {
    fs_err::create_dir_all(dir).map_err(|e| cannot_write(dir, &e))?;
    let mut written = Vec::new();
    for (name, text) in files {
        let path = dir.join(name);
        let unchanged = fs_err::read_to_string(&path).is_ok_and(|current| current == *text);
        if !unchanged {
            fs_err::write(&path, text).map_err(|e| cannot_write(&path, &e))?;
        }
        written.push(path);
    }
    Ok(written)
}

/// Remove the files in `dir` whose names start with `prefix` and end with `suffix` but
/// are not in `keep` (pages of subcommands that no longer exist); returns their paths.
pub fn remove_others(
    dir: &Path,
    prefix: &str,
    suffix: &str,
    keep: &[String],
) -> Result<Vec<PathBuf>> {
    let mut removed = Vec::new();
    let Ok(entries) = fs_err::read_dir(dir) else {
        return Ok(removed);
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with(prefix) && name.ends_with(suffix) && !keep.contains(&name) {
            let path = entry.path();
            fs_err::remove_file(&path).map_err(|e| cannot_write(&path, &e))?;
            removed.push(path);
        }
    }
    Ok(removed)
}

fn cannot_write(path: &Path, err: &std::io::Error) -> Error {
    Error::Usage(format!(
        "cannot write {}: {}; choose a directory you can write to",
        path.display(),
        err.kind()
    ))
}

/// Whether `man_dir` is on the search path `manpath` prints; `None` when `manpath`
/// cannot be run.
pub fn on_manpath(man_dir: &Path) -> Option<bool> {
    let output = duct::cmd!("manpath")
        .stdout_capture()
        .stderr_null()
        .unchecked()
        .run()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    let wanted = git_agents::git::workspace::canonical(man_dir);
    let text = String::from_utf8_lossy(&output.stdout);
    Some(
        text.trim()
            .split(':')
            .filter(|entry| !entry.is_empty())
            .any(|entry| git_agents::git::workspace::canonical(Path::new(entry)) == wanted),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_files_and_removes_only_stale_ones_of_the_family() {
        let dir = tempfile::tempdir().unwrap();
        let files = vec![
            ("tool.1".to_owned(), "a".to_owned()),
            ("tool-sub.1".to_owned(), "b".to_owned()),
        ];
        let written = write_files(dir.path(), &files).unwrap();
        assert_eq!(written.len(), 2);
        fs_err::write(dir.path().join("tool-gone.1"), "old").unwrap();
        fs_err::write(dir.path().join("other.1"), "keep").unwrap();
        let keep: Vec<String> = files.iter().map(|(n, _)| n.clone()).collect();
        let removed = remove_others(dir.path(), "tool", ".1", &keep).unwrap();
        assert_eq!(removed, [dir.path().join("tool-gone.1")]);
        assert!(dir.path().join("other.1").exists());
        assert_eq!(
            fs_err::read_to_string(dir.path().join("tool-sub.1")).unwrap(),
            "b"
        );
    }

    #[test]
    fn an_unwritable_directory_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("file");
        fs_err::write(&blocker, "x").unwrap();
        let err = write_files(&blocker.join("man1"), &[]).unwrap_err();
        assert!(err.to_string().contains("cannot write"), "{err}");
        assert_eq!(crate::cli::exit::code(&err), crate::cli::exit::USAGE);
    }
}
