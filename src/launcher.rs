//! Launching agents' commands: one child process per agent, in its worktree, in a
//! process group of its own, with its output appended to a log under the git dir
//! (never the working tree).

use std::io::{Read, Seek, SeekFrom};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

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
}

/// A launched agent command.
pub struct Running {
    /// The agent.
    pub agent: String,
    /// When it started.
    pub started: Instant,
    /// Its log.
    pub log: PathBuf,
    handle: duct::Handle,
    pid: i32,
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

/// Start `launch` through `sh -c` in a new process group; stdin is empty.
pub fn start(launch: &Launch) -> std::io::Result<Running> {
    if let Some(parent) = launch.log.parent() {
        fs_err::create_dir_all(parent)?;
    }
    let log = fs_err::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&launch.log)?
        .into_parts()
        .0;
    let mut expression = duct::cmd("sh", ["-c", launch.command.as_str()])
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
    let pid = handle.pids().first().copied().unwrap_or(0) as i32;
    Ok(Running {
        agent: launch.agent.clone(),
        started: Instant::now(),
        log: launch.log.clone(),
        handle,
        pid,
    })
}

impl Running {
    /// The exit, if the command has finished.
    pub fn poll(&self) -> std::io::Result<Option<Exit>> {
        Ok(self.handle.try_wait()?.map(|out| Exit {
            code: out.status.code(),
        }))
    }

    /// Stop the command and everything it started: SIGTERM to its process group, then
    /// SIGKILL after `grace`.
    pub fn stop(&self, grace: Duration) {
        if self.pid > 0 {
            // SAFETY: kill(2) with a negative pid signals the process group we created.
            unsafe { libc::kill(-self.pid, libc::SIGTERM) };
        }
        let deadline = Instant::now() + grace;
        while Instant::now() < deadline {
            if matches!(self.handle.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        if self.pid > 0 {
            // SAFETY: as above.
            unsafe { libc::kill(-self.pid, libc::SIGKILL) };
        }
        let _ = self.handle.wait();
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
            agent: "a".into(),
            command: "echo one; echo \"$GREETING\" >&2; exit 3".into(),
            dir: dir.path().to_path_buf(),
            env: vec![("GREETING".into(), "two".into())],
            log: log.clone(),
        };
        let running = start(&launch).unwrap();
        let exit = loop {
            if let Some(exit) = running.poll().unwrap() {
                break exit;
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        assert_eq!(exit, Exit { code: Some(3) });
        assert_eq!(tail(&log, 5), "one\ntwo");
    }

    #[test]
    fn stop_ends_the_whole_process_group() {
        let dir = tempfile::tempdir().unwrap();
        let launch = Launch {
            agent: "a".into(),
            command: "sleep 30 & sleep 30; wait".into(),
            dir: dir.path().to_path_buf(),
            env: Vec::new(),
            log: dir.path().join("a.log"),
        };
        let running = start(&launch).unwrap();
        let begun = Instant::now();
        running.stop(Duration::from_secs(2));
        assert!(running.poll().unwrap().is_some());
        assert!(begun.elapsed() < Duration::from_secs(5));
    }
}
