//! Records of the agents' commands a `run` started, kept under the git dir so that a later
//! process (another `run`, `doctor`) can find them after the run that started them is gone.
//!
//! Each launched command has `<git common dir>/agents/run/<agent>.json`, a [`RunRecord`]
//! written atomically (a temporary file renamed into place) that names the process (its
//! id, which is also its process group's, and its start time as the kernel reports it, so
//! that a recycled id is never taken for it) and the run that started it. The command runs
//! under a small shell wrapper that writes its exit status to `<agent>.exit` beside the
//! record when it ends, whoever is watching. The status is trusted only once the wrapper
//! is gone, so it is never read half-written. Both files are removed once the command's
//! exit has been handled.

use std::collections::BTreeSet;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Where the records live, under the shared git dir.
pub fn dir(common_dir: &Path) -> PathBuf {
    common_dir.join("agents").join("run")
}

/// The record of `agent`'s command in `dir`.
pub fn record_path(dir: &Path, agent: &str) -> PathBuf {
    dir.join(format!("{agent}.json"))
}

/// The file the wrapper writes `agent`'s exit status to, in `dir`.
pub fn exit_path(dir: &Path, agent: &str) -> PathBuf {
    dir.join(format!("{agent}.exit"))
}

/// One launched command, as another process needs to find it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunRecord {
    /// The agent.
    pub agent: String,
    /// The wrapper shell's process id.
    pub pid: u32,
    /// Its process group, which holds everything the command started.
    pub pgid: u32,
    /// The process's start time in clock ticks since boot (`starttime` of
    /// `/proc/<pid>/stat`); `None` where the kernel does not say.
    pub start_time: Option<u64>,
    /// The command line, placeholders expanded.
    pub command: String,
    /// When it started, as RFC 3339.
    pub started_at: String,
    /// The process id of the `run` that started it.
    pub run_pid: u32,
    /// That run's start time, as for `start_time`.
    pub run_start_time: Option<u64>,
    /// The tmux pane it runs in, when `run --tmux` started it there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tmux: Option<TmuxPane>,
    /// The socket of the holder of its terminal, when it runs on one of its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pty: Option<std::path::PathBuf>,
}

/// Where in tmux a command runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TmuxPane {
    /// The session, named after the repository.
    pub session: String,
    /// The pane's id (`%7`), unique on its tmux server.
    pub pane: String,
}

/// Where a recorded command stands now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Condition {
    /// It is still running; `run_alive` says whether the run that started it is too.
    Running {
        /// Whether the run that started it is still running.
        run_alive: bool,
    },
    /// It finished with this exit status.
    Exited(i32),
    /// It is gone without an exit status: killed, or the machine restarted.
    Killed,
}

impl RunRecord {
    /// The record of `launch`'s command, just started by this process as `pid` (leading
    /// its own process group), in the tmux pane `tmux` if it runs in one.
    pub fn started(launch: &super::Launch, pid: u32, tmux: Option<TmuxPane>) -> RunRecord {
        let run_pid = std::process::id();
        RunRecord {
            agent: launch.agent.clone(),
            pid,
            pgid: pid,
            start_time: start_time(pid),
            command: launch.command.clone(),
            started_at: crate::time::now_rfc3339(),
            run_pid,
            run_start_time: start_time(run_pid),
            tmux,
            pty: None,
        }
    }

    /// The record of `agent`'s command in `dir`, if there is one.
    pub fn read(dir: &Path, agent: &str) -> std::io::Result<Option<RunRecord>> {
        let text = match std::fs::read_to_string(record_path(dir, agent)) {
            Ok(text) => text,
            Err(err) if err.kind() == ErrorKind::NotFound => return Ok(None),
            Err(err) => return Err(err),
        };
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|err| std::io::Error::new(ErrorKind::InvalidData, err))
    }

    /// Write the record into `dir` in one step: a temporary file renamed over the old one.
    pub fn write(&self, dir: &Path) -> std::io::Result<()> {
        let text = serde_json::to_string_pretty(self)
            .map_err(|err| std::io::Error::new(ErrorKind::InvalidData, err))?;
        crate::fsutil::replace(&record_path(dir, &self.agent), (text + "\n").as_bytes())
    }

    /// Whether the recorded process is still running (the same process, not a new one
    /// that was given its id).
    pub fn alive(&self) -> bool {
        is_running(self.pid, self.start_time)
    }

    /// Whether the run that started the command is still running.
    pub fn run_alive(&self) -> bool {
        is_running(self.run_pid, self.run_start_time)
    }

    /// Where the command stands now, from the process table and the exit status in `dir`.
    pub fn condition(&self, dir: &Path) -> Condition {
        if self.alive() {
            Condition::Running {
                run_alive: self.run_alive(),
            }
        } else {
            match exit_status(dir, &self.agent) {
                Some(code) => Condition::Exited(code),
                None => Condition::Killed,
            }
        }
    }

    /// When the command started, in Unix seconds.
    pub fn started_unix(&self) -> Option<i64> {
        crate::time::parse_rfc3339(&self.started_at)
    }
}

/// The exit status the wrapper wrote for `agent`, if it wrote a whole one.
pub fn exit_status(dir: &Path, agent: &str) -> Option<i32> {
    std::fs::read_to_string(exit_path(dir, agent))
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// Remove `agent`'s exit status and then its record; what is already gone is fine. A
/// terminal socket its holder left beside them goes too.
pub fn remove(dir: &Path, agent: &str) -> std::io::Result<()> {
    let _ = std::fs::remove_file(dir.join(format!("{agent}.sock")));
    for path in [exit_path(dir, agent), record_path(dir, agent)] {
        match std::fs::remove_file(&path) {
            Err(err) if err.kind() != ErrorKind::NotFound => {
                return Err(std::io::Error::new(
                    err.kind(),
                    format!("cannot remove {}: {err}", path.display()),
                ));
            }
            _ => {}
        }
    }
    Ok(())
}

/// Every agent with a record or an exit status in `dir`.
pub fn agents(dir: &Path) -> BTreeSet<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return BTreeSet::new();
    };
    entries
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name().to_str()?.to_owned();
            name.strip_suffix(".json")
                .or_else(|| name.strip_suffix(".exit"))
                .filter(|agent| !agent.is_empty())
                .map(str::to_owned)
        })
        .collect()
}

/// The start time of process `pid` in clock ticks since boot, as `/proc/<pid>/stat`
/// reports it; `None` when there is no such process, it has exited and waits to be
/// reaped, or the system has no `/proc`.
pub fn start_time(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_start_time(&stat)
}

/// The `starttime` field of a `/proc/<pid>/stat` line, unless the process is a zombie.
fn parse_start_time(stat: &str) -> Option<u64> {
    // The command name in parentheses may hold spaces and parentheses itself.
    let (_, fields) = stat.rsplit_once(')')?;
    let mut fields = fields.split_whitespace();
    let state = fields.next()?;
    if matches!(state, "Z" | "X" | "x") {
        return None;
    }
    // After the state (field 3) come fields 4 to 21; `starttime` is field 22.
    fields.nth(18)?.parse().ok()
}

/// Whether process `pid` runs and is the one that started at `start_time` (any process
/// with that id, when the start time is unknown).
pub fn is_running(pid: u32, start_time: Option<u64>) -> bool {
    if pid == 0 {
        return false;
    }
    match start_time {
        Some(recorded) => self::start_time(pid) == Some(recorded),
        None => crate::process::alive(pid),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_times_are_read_past_odd_command_names() {
        let line =
            "4242 (a (b) c) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 10";
        assert_eq!(parse_start_time(line), Some(987654));
        let zombie = "4242 (sh) Z 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 0 0";
        assert_eq!(parse_start_time(zombie), None);
        assert_eq!(parse_start_time("4242 (sh) S 1"), None);
        assert_eq!(parse_start_time(""), None);
    }

    #[test]
    fn this_process_is_running_and_a_reaped_one_is_not() {
        let own = std::process::id();
        if std::path::Path::new("/proc/self/stat").exists() {
            let started = start_time(own);
            assert!(started.is_some());
            assert!(is_running(own, started));
            assert!(!is_running(own, started.map(|t| t + 1)));
        }
        assert!(is_running(own, None));
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        assert!(!is_running(pid, None));
        assert!(!is_running(0, None));
    }

    #[test]
    fn records_round_trip_and_are_removed_with_their_exit_status() {
        let dir = tempfile::tempdir().unwrap();
        let dir = dir.path().join("run");
        assert_eq!(RunRecord::read(&dir, "a").unwrap(), None);
        let record = RunRecord {
            tmux: None,
            pty: Some("/tmp/a.sock".into()),
            agent: "a".into(),
            pid: u32::MAX,
            pgid: u32::MAX,
            start_time: Some(1),
            command: "make it".into(),
            started_at: "2026-01-02T03:04:05Z".into(),
            run_pid: u32::MAX,
            run_start_time: None,
        };
        record.write(&dir).unwrap();
        assert_eq!(RunRecord::read(&dir, "a").unwrap(), Some(record.clone()));
        assert_eq!(record.condition(&dir), Condition::Killed);
        std::fs::write(exit_path(&dir, "a"), "3\n").unwrap();
        assert_eq!(record.condition(&dir), Condition::Exited(3));
        std::fs::write(exit_path(&dir, "a"), "").unwrap();
        assert_eq!(record.condition(&dir), Condition::Killed, "half-written");
        assert_eq!(agents(&dir), BTreeSet::from(["a".to_owned()]));
        remove(&dir, "a").unwrap();
        remove(&dir, "a").unwrap();
        assert!(agents(&dir).is_empty());
        std::fs::write(record_path(&dir, "b"), "{").unwrap();
        assert_eq!(
            RunRecord::read(&dir, "b").unwrap_err().kind(),
            ErrorKind::InvalidData
        );
    }
}
