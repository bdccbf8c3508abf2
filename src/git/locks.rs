//! Lock files (`<file>.lock`) that git and gix take while changing a file, and what is
//! done with one a killed process left behind.
//!
//! git never removes such a file by itself: every later command that needs the same file
//! fails at once with "Unable to create '…lock': File exists". A lock is taken as left by
//! a killed process, and removed, only when it is at least [`STALE_LOCK_AGE`] old (or
//! `agents.staleLockSeconds`) and, where this can be checked (Linux, through `/proc`), no
//! running process has it open. A live git holds a ref lock for milliseconds, and keeps an
//! index lock open for as long as a checkout takes, so neither rule alone breaks the lock
//! of a live writer. [`wait_for`] waits, boundedly, for a lock to go away or turn stale;
//! every removal is reported once through [`take_notices`].

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

/// How old a lock file must be before it is taken as left by a killed process, unless
/// `agents.staleLockSeconds` says otherwise (read through [`crate::config`]).
pub const STALE_LOCK_AGE: Duration = crate::config::DEFAULT_STALE_LOCK_AGE;

/// How much longer than the stale age [`wait_for`] waits before giving up.
pub const GRACE: Duration = Duration::from_secs(2);

static NOTICES: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Things this process did that the user should hear about (stale locks removed), oldest
/// first; each is returned once.
pub fn take_notices() -> Vec<String> {
    std::mem::take(&mut *NOTICES.lock().unwrap_or_else(|p| p.into_inner()))
}

/// Keep `text` for [`take_notices`].
pub(crate) fn notice(text: String) {
    NOTICES.lock().unwrap_or_else(|p| p.into_inner()).push(text);
}

/// A running process that has a lock file open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    /// Its process id.
    pub pid: u32,
    /// Its command name, as the system reports it.
    pub command: String,
}

impl std::fmt::Display for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "process {} ({})", self.pid, self.command)
    }
}

/// What is known about one lock file.
#[derive(Debug, Clone)]
pub struct LockInfo {
    /// The lock file.
    pub path: PathBuf,
    /// How long ago it was last written.
    pub age: Duration,
    /// The running processes that have it open; `None` where this cannot be checked.
    pub holders: Option<Vec<Holder>>,
}

impl LockInfo {
    /// Look at the lock file at `path`; `None` when there is none.
    pub fn read(path: &Path) -> Option<LockInfo> {
        let seen = modified(path)?;
        Some(LockInfo {
            path: path.to_path_buf(),
            age: SystemTime::now()
                .duration_since(seen)
                .unwrap_or(Duration::ZERO),
            holders: holders(path),
        })
    }

    /// Whether a running process has it open (`false` where that cannot be checked).
    pub fn is_held(&self) -> bool {
        self.holders.as_ref().is_some_and(|h| !h.is_empty())
    }
}

/// Why a lock could not be got out of the way.
#[derive(Debug, Clone, thiserror::Error)]
pub enum LockError {
    /// A running process has the lock open.
    #[error(
        "{path} is held by {holder}, still running after {waited} s; let it finish (or stop it if it is stuck), then try again"
    )]
    Held {
        path: PathBuf,
        holder: Holder,
        waited: u64,
    },
    /// The lock stayed (or kept coming back) without turning stale.
    #[error(
        "{path} stayed locked for {waited} s; if no git command is running, remove it with `rm '{path}'` and try again"
    )]
    Busy { path: PathBuf, waited: u64 },
    /// The stale lock could not be removed.
    #[error("cannot remove the stale lock {path}: {message}; remove it with `rm '{path}'`")]
    Remove { path: PathBuf, message: String },
}

/// How a wait for a lock ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cleared {
    /// There was no lock, or its holder finished and removed it.
    Gone,
    /// It was stale and was removed.
    Removed,
}

/// Wait until the lock file `lock` is gone or stale (older than `stale_after`, open in no
/// running process), removing a stale one with a notice that says it was left by a process
/// killed while writing `what`. Gives up after `stale_after` plus [`GRACE`].
pub fn wait_for(lock: &Path, stale_after: Duration, what: &str) -> Result<Cleared, LockError> {
    let started = Instant::now();
    let deadline = started + stale_after + GRACE;
    let mut pause = Duration::from_millis(1);
    loop {
        if !lock.exists() {
            return Ok(Cleared::Gone);
        }
        if remove_if_stale(lock, stale_after, what)?.is_some() {
            return Ok(Cleared::Removed);
        }
        if Instant::now() >= deadline {
            break;
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(50));
    }
    let waited = started.elapsed().as_secs();
    let holder = LockInfo::read(lock).and_then(|info| info.holders?.into_iter().next());
    Err(match holder {
        Some(holder) => LockError::Held {
            path: lock.to_path_buf(),
            holder,
            waited,
        },
        None => LockError::Busy {
            path: lock.to_path_buf(),
            waited,
        },
    })
}

/// Remove the lock file at `lock` if it is stale — last written at least `stale_after`
/// ago and open in no running process — with a notice naming `what` it locked, and return
/// its age. The file is first renamed aside, so of several processes that find the same
/// stale lock exactly one removes it; if what was renamed turns out to be a fresh lock
/// taken in between, it is put back.
pub fn remove_if_stale(
    lock: &Path,
    stale_after: Duration,
    what: &str,
) -> Result<Option<Duration>, LockError> {
    let Some(seen) = modified(lock) else {
        return Ok(None);
    };
    let age = SystemTime::now()
        .duration_since(seen)
        .unwrap_or(Duration::ZERO);
    if age < stale_after || holders(lock).is_some_and(|h| !h.is_empty()) {
        return Ok(None);
    }
    let mut aside = lock.as_os_str().to_owned();
    aside.push(format!(".stale-{}-{}", std::process::id(), salt()));
    let aside = PathBuf::from(aside);
    if std::fs::rename(lock, &aside).is_err() {
        return Ok(None);
    }
    if modified(&aside) != Some(seen) {
        let _ = std::fs::hard_link(&aside, lock);
        let _ = std::fs::remove_file(&aside);
        return Ok(None);
    }
    std::fs::remove_file(&aside).map_err(|e| LockError::Remove {
        path: lock.to_path_buf(),
        message: e.to_string(),
    })?;
    notice(format!(
        "removed {}, a lock left {} s ago by a process that was killed while writing {what}",
        lock.display(),
        age.as_secs()
    ));
    Ok(Some(age))
}

/// The lock file git reports in `message` when it could not take it because the file
/// exists ("Unable to create '<path>.lock': File exists."), resolved against `dir`.
pub fn lock_in_message(message: &str, dir: &Path) -> Option<PathBuf> {
    const START: &str = "Unable to create '";
    const END: &str = ".lock': File exists";
    let from = message.find(START)? + START.len();
    let rest = &message[from..];
    let to = rest.find(END)? + ".lock".len();
    let path = Path::new(&rest[..to]);
    Some(if path.is_absolute() {
        path.to_path_buf()
    } else {
        dir.join(path)
    })
}

/// What the lock file at `lock` locks, for messages: the locked file's path inside the
/// git directory (`HEAD`, `refs/heads/main`, `worktrees/a/index`), or its full path.
pub fn locked_name(lock: &Path) -> String {
    let text = lock.to_string_lossy();
    let text = text.strip_suffix(".lock").unwrap_or(&text);
    match text.rfind("/.git/") {
        Some(at) => text[at + "/.git/".len()..].to_owned(),
        None => text.to_owned(),
    }
}

/// The running processes that have the file at `path` open, found through `/proc`;
/// `None` where there is no `/proc` to look in. Processes whose open files cannot be read
/// (another user's) are not seen.
#[cfg(unix)]
pub fn holders(path: &Path) -> Option<Vec<Holder>> {
    use std::os::unix::fs::MetadataExt;
    let procs = std::fs::read_dir("/proc").ok()?;
    let target = std::fs::metadata(path).ok()?;
    let name = path.file_name()?;
    let mut found = Vec::new();
    for entry in procs.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(fds) = std::fs::read_dir(entry.path().join("fd")) else {
            continue;
        };
        let holds = fds.flatten().any(|fd| {
            let Ok(link) = std::fs::read_link(fd.path()) else {
                return false;
            };
            link.file_name() == Some(name)
                && std::fs::metadata(fd.path())
                    .is_ok_and(|m| m.dev() == target.dev() && m.ino() == target.ino())
        });
        if holds {
            let command = std::fs::read_to_string(entry.path().join("comm"))
                .map(|c| c.trim().to_owned())
                .unwrap_or_default();
            found.push(Holder { pid, command });
        }
    }
    Some(found)
}

/// The running processes that have the file at `path` open: unknown on this system.
#[cfg(not(unix))]
pub fn holders(_path: &Path) -> Option<Vec<Holder>> {
    None
}

/// Every lock file git may leave in the git directory `common_dir`: directly in it
/// (`HEAD.lock`, `index.lock`, `packed-refs.lock`, `config.lock`, …), under `refs/` and
/// `logs/`, and the same in each linked worktree's record under `worktrees/`.
pub fn find_all(common_dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut roots = vec![common_dir.to_path_buf()];
    let records = std::fs::read_dir(common_dir.join("worktrees"));
    roots.extend(records.into_iter().flatten().flatten().map(|e| e.path()));
    for root in roots {
        lock_files_in(&root, false, &mut found);
        for sub in ["refs", "logs"] {
            lock_files_in(&root.join(sub), true, &mut found);
        }
    }
    found.sort();
    found.dedup();
    found
}

fn lock_files_in(dir: &Path, deep: bool, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            if deep {
                lock_files_in(&path, true, found);
            }
        } else if path.extension().is_some_and(|e| e == "lock") {
            found.push(path);
        }
    }
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::symlink_metadata(path)
        .and_then(|m| m.modified())
        .ok()
}

/// A number that differs between threads and calls, to name files uniquely.
pub(crate) fn salt() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(0);
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lock_file(age: Duration) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let lock = dir.path().join("state.lock");
        let file = std::fs::File::create(&lock).unwrap();
        file.set_modified(SystemTime::now() - age).unwrap();
        (dir, lock)
    }

    #[test]
    fn a_fresh_lock_is_left_alone() {
        let (_dir, lock) = lock_file(Duration::from_secs(1));
        assert_eq!(remove_if_stale(&lock, STALE_LOCK_AGE, "x").unwrap(), None);
        assert!(lock.exists());
    }

    #[test]
    fn a_stale_lock_is_removed_and_nothing_else() {
        let (dir, lock) = lock_file(Duration::from_secs(60));
        let age = remove_if_stale(&lock, STALE_LOCK_AGE, "x")
            .unwrap()
            .unwrap();
        assert!(age >= Duration::from_secs(60), "{age:?}");
        assert!(!lock.exists());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        assert_eq!(remove_if_stale(&lock, STALE_LOCK_AGE, "x").unwrap(), None);
    }

    #[test]
    fn an_old_lock_this_process_holds_open_is_left_alone() {
        let (_dir, lock) = lock_file(Duration::from_secs(60));
        let open = std::fs::File::open(&lock).unwrap();
        let holders = holders(&lock).unwrap();
        assert!(holders.iter().any(|h| h.pid == std::process::id()));
        assert_eq!(remove_if_stale(&lock, STALE_LOCK_AGE, "x").unwrap(), None);
        drop(open);
        assert!(
            remove_if_stale(&lock, STALE_LOCK_AGE, "x")
                .unwrap()
                .is_some()
        );
    }

    #[test]
    fn many_breakers_remove_one_stale_lock_once() {
        let (dir, lock) = lock_file(Duration::from_secs(60));
        let removed: usize = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..8)
                .map(|_| scope.spawn(|| remove_if_stale(&lock, STALE_LOCK_AGE, "x").unwrap()))
                .collect();
            handles
                .into_iter()
                .map(|h| usize::from(h.join().unwrap().is_some()))
                .sum()
        });
        assert_eq!(removed, 1);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn waiting_for_a_lock_ends_when_it_turns_stale() {
        let (_dir, lock) = lock_file(Duration::ZERO);
        let started = Instant::now();
        let cleared = wait_for(&lock, Duration::from_millis(300), "x").unwrap();
        assert_eq!(cleared, Cleared::Removed);
        assert!(started.elapsed() >= Duration::from_millis(250));
        assert!(!lock.exists());
    }

    #[test]
    fn finds_the_lock_in_gits_messages() {
        let dir = Path::new("/repo");
        assert_eq!(
            lock_in_message(
                "fatal: Unable to create '/repo/.git/index.lock': File exists.\n\nAnother git process",
                dir
            ),
            Some(PathBuf::from("/repo/.git/index.lock"))
        );
        assert_eq!(
            lock_in_message(
                "error: cannot lock ref 'refs/heads/main': Unable to create '.git/refs/heads/main.lock': File exists.",
                dir
            ),
            Some(PathBuf::from("/repo/.git/refs/heads/main.lock"))
        );
        assert_eq!(lock_in_message("fatal: not a git repository", dir), None);
        assert_eq!(
            locked_name(Path::new("/r/.git/refs/heads/main.lock")),
            "refs/heads/main"
        );
    }
}
