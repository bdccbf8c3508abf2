//! Per-agent claims: a process that spawns or drives an agent holds its claim, so a second
//! process finds out plainly instead of racing it; the kernel drops a claim when its holder dies.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Claims this process holds, by file, with how many guards share each: a process that
/// already holds a claim may take it again (`run` spawning the agents it drives).
static HELD: Mutex<BTreeMap<PathBuf, usize>> = Mutex::new(BTreeMap::new());

/// Where claims live, under the shared git dir.
pub fn dir(common_dir: &Path) -> PathBuf {
    common_dir.join("agents").join("claims")
}

/// Another process holds the claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Held {
    /// The agent.
    pub agent: String,
    /// What the holder said it is doing (`spawn`, `run`), if it said.
    pub doing: Option<String>,
    /// The holder's process id, if it wrote one.
    pub pid: Option<u32>,
}

impl std::fmt::Display for Held {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let who = match self.pid {
            Some(pid) => format!("another git-agents process (pid {pid})"),
            None => "another git-agents process".to_owned(),
        };
        let doing = match self.doing.as_deref() {
            Some("run") => "runs",
            _ => "is spawning",
        };
        write!(
            f,
            "{who} {doing} {}; wait for it to finish and try again",
            self.agent
        )
    }
}

/// Why a claim could not be taken.
#[derive(Debug)]
pub enum ClaimError {
    /// Another process holds it.
    Held(Held),
    /// The claim file could not be opened or locked.
    Io(std::io::Error),
}

/// A claim held until dropped (or until the process ends, however it ends).
#[derive(Debug)]
pub struct Claim {
    path: PathBuf,
    file: Option<File>,
}

impl Drop for Claim {
    fn drop(&mut self) {
        let mut held = HELD.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(count) = held.get_mut(&self.path) {
            *count -= 1;
            if *count == 0 {
                held.remove(&self.path);
            }
        }
        // Closing the file releases the lock; the file stays so no one races its removal.
        self.file.take();
    }
}

/// Take `agent`'s claim for `doing`, waiting up to `patience` for a holder to let go.
pub fn acquire(
    dir: &Path,
    agent: &str,
    doing: &str,
    patience: Duration,
) -> Result<Claim, ClaimError> {
    let path = dir.join(format!("{agent}.claim"));
    {
        let mut held = HELD.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(count) = held.get_mut(&path) {
            *count += 1;
            return Ok(Claim { path, file: None });
        }
    }
    fs_err::create_dir_all(dir).map_err(ClaimError::Io)?;
    let mut file = open(&path).map_err(ClaimError::Io)?;
    let deadline = Instant::now() + patience;
    loop {
        if try_lock(&file).map_err(ClaimError::Io)? {
            break;
        }
        if Instant::now() >= deadline {
            return Err(ClaimError::Held(holder(&mut file, agent)));
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    let _ = file.set_len(0);
    let _ = file.rewind();
    let _ = writeln!(file, "{} {doing}", std::process::id());
    HELD.lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(path.clone(), 1);
    Ok(Claim {
        path,
        file: Some(file),
    })
}

#[cfg(unix)]
fn open(path: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
}

#[cfg(not(unix))]
fn open(path: &Path) -> std::io::Result<File> {
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
}

#[cfg(unix)]
fn try_lock(file: &File) -> std::io::Result<bool> {
    use std::os::fd::AsRawFd;
    // SAFETY: flock on a descriptor this function borrows; the kernel drops the lock when
    // the descriptor closes, including when the process dies.
    let result = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if result == 0 {
        return Ok(true);
    }
    let err = std::io::Error::last_os_error();
    if err.raw_os_error() == Some(libc::EWOULDBLOCK) {
        Ok(false)
    } else {
        Err(err)
    }
}

#[cfg(not(unix))]
fn try_lock(_file: &File) -> std::io::Result<bool> {
    Ok(true)
}

/// Who holds the claim, from what the holder wrote into the file.
fn holder(file: &mut File, agent: &str) -> Held {
    let mut text = String::new();
    let _ = file.rewind();
    let _ = file.read_to_string(&mut text);
    let mut words = text.split_whitespace();
    let pid = words.next().and_then(|w| w.parse().ok());
    let doing = words.next().map(str::to_owned);
    Held {
        agent: agent.to_owned(),
        doing,
        pid,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_claim_is_shared_within_the_process_and_released_on_drop() {
        let tmp = tempfile::tempdir().unwrap();
        let first = acquire(tmp.path(), "a1", "spawn", Duration::ZERO).unwrap();
        let again = acquire(tmp.path(), "a1", "spawn", Duration::ZERO).unwrap();
        drop(first);
        drop(again);
        assert!(HELD.lock().unwrap().is_empty());
        let _third = acquire(tmp.path(), "a1", "run", Duration::ZERO).unwrap();
    }
}
