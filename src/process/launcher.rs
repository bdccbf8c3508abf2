//! Launching agents' commands: one child process per agent, in its worktree, in a
//! process group of its own, with its output appended to a log under the git dir
//! (never the working tree).
//!
//! Each command runs under a small shell wrapper that writes its exit status beside a
//! [`record`] of the process, so a later run can adopt a command whose run was killed
//! and still learn how it ended.

pub mod pty;
pub mod record;
pub mod tmux;

use std::io::{Read, Seek, SeekFrom};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use record::RunRecord;

/// Where agents' logs live, under the shared git dir.
pub fn logs_dir(common_dir: &Path) -> PathBuf {
    common_dir.join("agents").join("logs")
}

/// The log file of `agent`'s command.
pub fn log_path(common_dir: &Path, agent: &str) -> PathBuf {
    logs_dir(common_dir).join(format!("{agent}.log"))
}

/// What to launch for one agent.
#[derive(Debug, Clone)]
pub struct Launch {
    /// The agent.
    pub agent: String,
    /// The shell command line, placeholders already expanded.
    pub command: String,
    /// The directory it runs in (the agent's worktree).
    pub dir: PathBuf,
    /// Extra environment variables.
    pub env: Vec<(String, String)>,
    /// The log its output is appended to.
    pub log: PathBuf,
    /// The directory its [`RunRecord`] and exit status are kept in ([`record::dir`]).
    pub records: PathBuf,
}

/// A command being watched: launched by this process, or adopted from a run that is gone.
pub struct Running {
    /// The agent.
    pub agent: String,
    /// When it started.
    pub started: Instant,
    /// Its log.
    pub log: PathBuf,
    record: RunRecord,
    records: PathBuf,
    handle: Option<duct::Handle>,
}

/// How a command ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exit {
    /// The exit code, `None` when a signal ended it.
    pub code: Option<i32>,
}

impl Exit {
    /// Whether it exited with status 0.
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }
}

/// The wrapper around an agent's command: runs it (`$1`) in a shell of its own, so that
/// an `exit` in it ends only that shell, then writes its status to `$2` and exits with it.
pub(crate) const WRAPPER: &str = r#"sh -c "$1"; s=$?; echo "$s" > "$2"; exit "$s""#;

/// Start `launch` through `sh -c` in a new process group; stdin is empty. The process is
/// recorded under `launch.records` before this returns.
pub fn start(launch: &Launch) -> std::io::Result<Running> {
    let exit_file = prepare(launch)?;
    let log = crate::fsutil::append(&launch.log)?;
    let args = [
        "-c".as_ref(),
        WRAPPER.as_ref(),
        "sh".as_ref(),
        launch.command.as_ref(),
        exit_file.as_os_str(),
    ];
    let mut expression = duct::cmd("sh", args)
        .dir(&launch.dir)
        .stdin_null()
        .stderr_to_stdout()
        .stdout_file(log)
        .unchecked()
        .before_spawn(|command| {
            command.process_group(0);
            Ok(())
        });
    for (key, value) in &launch.env {
        expression = expression.env(key, value);
    }
    let handle = expression.start()?;
    let pid = handle.pids().first().copied().unwrap_or(0);
    watched(launch, RunRecord::started(launch, pid, None), handle)
}

/// Watch the command `handle` started for `launch`, recorded as `record`: the record is
/// written before this returns, or the command is stopped.
pub(crate) fn watched(
    launch: &Launch,
    record: RunRecord,
    handle: duct::Handle,
) -> std::io::Result<Running> {
    let running = Running {
        agent: launch.agent.clone(),
        started: Instant::now(),
        log: launch.log.clone(),
        record,
        records: launch.records.clone(),
        handle: Some(handle),
    };
    if let Err(err) = running.record.write(&launch.records) {
        running.stop(Duration::from_secs(1));
        return Err(err);
    }
    Ok(running)
}

/// Make the log's and records' directories and clear an old exit status; the exit file.
pub(crate) fn prepare(launch: &Launch) -> std::io::Result<PathBuf> {
    if let Some(parent) = launch.log.parent() {
        crate::fsutil::private_dir(parent)?;
    }
    crate::fsutil::private_dir(&launch.records)?;
    let exit_file = record::exit_path(&launch.records, &launch.agent);
    match std::fs::remove_file(&exit_file) {
        Err(err) if err.kind() != std::io::ErrorKind::NotFound => return Err(err),
        _ => {}
    }
    Ok(exit_file)
}

/// Watch the command `record` names, started by an earlier run, as if this process had
/// started it; its output keeps going to `log`.
pub fn adopt(record: RunRecord, records: &Path, log: &Path) -> Running {
    let age = record
        .started_unix()
        .and_then(|started| u64::try_from(crate::time::now_unix() as i64 - started).ok())
        .map(Duration::from_secs)
        .unwrap_or_default();
    let now = Instant::now();
    Running {
        agent: record.agent.clone(),
        started: now.checked_sub(age).unwrap_or(now),
        log: log.to_path_buf(),
        record,
        records: records.to_path_buf(),
        handle: None,
    }
}

impl Running {
    /// The process id of the command's wrapper shell, which leads its process group.
    pub fn pid(&self) -> u32 {
        self.record.pid
    }

    /// Whether an earlier run started the command and this one adopted it.
    pub fn adopted(&self) -> bool {
        self.handle.is_none()
    }

    /// The exit, if the command has finished.
    pub fn poll(&self) -> std::io::Result<Option<Exit>> {
        let status = match &self.handle {
            Some(handle) => match handle.try_wait()? {
                Some(out) => out.status.code(),
                None => return Ok(None),
            },
            None if self.record.alive() => return Ok(None),
            None => None,
        };
        let written = record::exit_status(&self.records, &self.agent);
        Ok(Some(Exit {
            code: written.or(status),
        }))
    }

    /// Stop the command and everything it started: SIGTERM to its process group, then
    /// SIGKILL after `grace`.
    pub fn stop(&self, grace: Duration) {
        self.signal(libc::SIGTERM);
        let deadline = Instant::now() + grace;
        while Instant::now() < deadline {
            if matches!(self.poll(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.signal(libc::SIGKILL);
        match &self.handle {
            Some(handle) => {
                let _ = handle.wait();
            }
            None => {
                let deadline = Instant::now() + grace;
                while self.record.alive() && Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(20));
                }
            }
        }
    }

    /// Remove the command's record and exit status, once its exit has been handled. A
    /// leftover is harmless: the next run or `doctor --fix` drops it.
    pub fn forget(&self) {
        let _ = record::remove(&self.records, &self.agent);
    }

    /// Send `signal` to the command's process group. An adopted command's group is
    /// signalled only while its leader is still the process that was recorded, so a
    /// recycled process id is left alone.
    fn signal(&self, signal: libc::c_int) {
        let Ok(group) = libc::pid_t::try_from(self.record.pgid) else {
            return;
        };
        if group > 0 && (self.handle.is_some() || self.record.alive()) {
            // SAFETY: kill(2) with a negative pid signals the process group we created.
            unsafe { libc::kill(-group, signal) };
        }
    }
}

/// Replace each `{key}` of `values` in `template` with its value, quoted for the shell so
/// that any name stays one word. One pass: a value is never expanded again, and braces
/// around anything else are left as they are.
pub fn expand(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let found = after.find('}').and_then(|close| {
            let key = &after[..close];
            values
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, value)| (close, *value))
        });
        match found {
            Some((close, value)) => {
                out.push_str(&shell_quote(value));
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// `text` as one shell word.
pub fn shell_quote(text: &str) -> String {
    if !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:@%+,".contains(c))
    {
        text.to_owned()
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

/// The last `lines` lines of the file at `path` (reading at most its last 64 KiB).
pub fn tail(path: &Path, lines: usize) -> String {
    let Ok(mut file) = std::fs::File::open(path) else {
        return String::new();
    };
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let _ = file.seek(SeekFrom::Start(len.saturating_sub(64 * 1024)));
    let mut text = String::new();
    let mut bytes = Vec::new();
    if file.read_to_end(&mut bytes).is_ok() {
        text = String::from_utf8_lossy(&bytes).into_owned();
    }
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_quoted_as_one_word() {
        let cmd = expand(
            "run {agent} in {worktree}",
            &[("agent", "a"), ("worktree", "/tmp/my dir/it's")],
        );
        assert_eq!(cmd, "run a in '/tmp/my dir/it'\\''s'");
        assert_eq!(
            expand("{a}{b} {{a}} {c} {a", &[("a", "{b}"), ("b", "x y")]),
            "'{b}''x y' {'{b}'} {c} {a"
        );
        assert_eq!(shell_quote("$(rm -rf /)"), "'$(rm -rf /)'");
        assert_eq!(shell_quote(""), "''");
    }

    #[test]
    fn commands_log_and_report_their_exit() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("logs/a.log");
        let launch = Launch {
            env: vec![("GREETING".into(), "two".into())],
            log: log.clone(),
            ..launch_in(dir.path(), "echo one; echo \"$GREETING\" >&2; exit 3")
        };
        let running = start(&launch).unwrap();
        assert_eq!(wait_for(&running), Exit { code: Some(3) });
        assert_eq!(tail(&log, 5), "one\ntwo");
        let records = dir.path().join("run");
        assert_eq!(record::exit_status(&records, "a"), Some(3));
        let written = RunRecord::read(&records, "a").unwrap().unwrap();
        assert_eq!(written.pid, running.pid());
        assert_eq!(written.run_pid, std::process::id());
        assert_eq!(written.command, launch.command);
        running.forget();
        assert!(record::agents(&records).is_empty());
    }

    /// Agent `a`'s command `command`, run in `dir`, with its log and records there too.
    fn launch_in(dir: &Path, command: impl Into<String>) -> Launch {
        Launch {
            agent: "a".into(),
            command: command.into(),
            dir: dir.to_path_buf(),
            env: Vec::new(),
            log: dir.join("a.log"),
            records: dir.join("run"),
        }
    }

    fn wait_for(running: &Running) -> Exit {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(exit) = running.poll().unwrap() {
                return exit;
            }
            assert!(Instant::now() < deadline, "the command never ended");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    #[test]
    fn an_adopted_command_is_watched_until_it_ends_and_its_status_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let gate = dir.path().join("gate");
        let launch = launch_in(
            dir.path(),
            format!(
                "while [ ! -e {} ]; do sleep 0.05; done; exit 4",
                gate.display()
            ),
        );
        let own = start(&launch).unwrap();
        let record = RunRecord::read(&launch.records, "a").unwrap().unwrap();
        assert_eq!(
            record.condition(&launch.records),
            record::Condition::Running { run_alive: true }
        );
        let adopted = adopt(record, &launch.records, &launch.log);
        assert!(adopted.adopted() && !own.adopted());
        assert_eq!(adopted.poll().unwrap(), None);
        std::fs::write(&gate, "").unwrap();
        assert_eq!(wait_for(&own), Exit { code: Some(4) });
        assert_eq!(wait_for(&adopted), Exit { code: Some(4) });
    }

    #[test]
    fn an_adopted_command_killed_while_watched_has_no_exit_status() {
        let dir = tempfile::tempdir().unwrap();
        let launch = launch_in(dir.path(), "sleep 30");
        let own = start(&launch).unwrap();
        let record = RunRecord::read(&launch.records, "a").unwrap().unwrap();
        let adopted = adopt(record, &launch.records, &launch.log);
        let reaper = std::thread::spawn(move || wait_for(&own));
        adopted.stop(Duration::from_secs(2));
        assert_eq!(reaper.join().unwrap(), Exit { code: None });
        assert_eq!(adopted.poll().unwrap(), Some(Exit { code: None }));
    }

    #[test]
    fn stop_ends_the_whole_process_group() {
        let dir = tempfile::tempdir().unwrap();
        let launch = launch_in(dir.path(), "sleep 30 & sleep 30; wait");
        let running = start(&launch).unwrap();
        let begun = Instant::now();
        running.stop(Duration::from_secs(2));
        assert!(running.poll().unwrap().is_some());
        assert!(begun.elapsed() < Duration::from_secs(5));
    }
}
