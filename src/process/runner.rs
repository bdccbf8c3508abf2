//! Running the user's own commands (tests, reviews, fixes) in a worktree.
//!
//! A command given as one string is the user's shell command and runs through `sh -c`;
//! a command given as several words is an argument vector and runs without a shell.
//! Output (stdout and stderr together) is handed to a sink as it arrives and kept for
//! the caller, so results can be parsed and shown at once.

use crate::progress::Progress;
use std::io::Read;
use std::path::Path;
use std::time::{Duration, Instant};

/// How much of a command's output is kept for parsing (the end is kept).
const KEPT_OUTPUT: usize = 4 << 20;

/// A command line as the user gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandLine {
    /// One string, run by `sh -c`.
    Shell(String),
    /// Program and arguments, run directly.
    Argv(Vec<String>),
}

impl CommandLine {
    /// The command for the words after `--`: one word is a shell string, more are an
    /// argument vector, none is `None`.
    pub fn from_words(words: &[String]) -> Option<CommandLine> {
        match words {
            [] => None,
            [one] => Some(CommandLine::Shell(one.clone())),
            many => Some(CommandLine::Argv(many.to_vec())),
        }
    }

    /// A configured command string; blank is `None`.
    pub fn from_config(text: &str) -> Option<CommandLine> {
        let text = text.trim();
        (!text.is_empty()).then(|| CommandLine::Shell(text.to_owned()))
    }

    /// The command as a person would type it.
    pub fn display(&self) -> String {
        match self {
            CommandLine::Shell(text) => text.clone(),
            CommandLine::Argv(words) => words
                .iter()
                .map(|w| crate::process::launcher::shell_quote(w))
                .collect::<Vec<_>>()
                .join(" "),
        }
    }

    /// The argument vector when the command is one, for recording it exactly.
    pub fn argv(&self) -> Option<Vec<String>> {
        match self {
            CommandLine::Shell(_) => None,
            CommandLine::Argv(words) => Some(words.clone()),
        }
    }

    fn expression(&self) -> duct::Expression {
        match self {
            CommandLine::Shell(text) => duct::cmd("sh", ["-c", text.as_str()]),
            CommandLine::Argv(words) => duct::cmd(&words[0], &words[1..]),
        }
    }
}

/// How a command ended.
#[derive(Debug, Clone)]
pub struct Finished {
    /// Its exit code; `None` when a signal ended it.
    pub exit_code: Option<i32>,
    /// Its output, stdout and stderr interleaved (the end, when it was very long).
    pub output: String,
    /// How long it ran.
    pub duration: Duration,
}

impl Finished {
    /// Whether it exited with status 0.
    pub fn success(&self) -> bool {
        self.exit_code == Some(0)
    }

    /// The last `lines` lines of its output.
    pub fn tail(&self, lines: usize) -> String {
        let all: Vec<&str> = self.output.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }
}

/// Why a command could not be run.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The program could not be started.
    #[error("cannot run `{command}`: {reason}")]
    Spawn { command: String, reason: String },
    /// Reading its output failed.
    #[error("lost the output of `{command}`: {reason}")]
    Read { command: String, reason: String },
}

/// Run `command` in `dir` with `env` added (and git's repository variables removed, so
/// git inside the command works on the worktree it runs in). `input` is fed to its
/// stdin; every chunk of output is passed to `sink` as it arrives.
pub fn run(
    command: &CommandLine,
    dir: &Path,
    env: &[(&str, String)],
    input: Option<&[u8]>,
    progress: &mut dyn Progress,
) -> Result<Finished, RunError> {
    if let CommandLine::Argv(words) = command
        && words.first().is_none_or(|w| w.is_empty())
    {
        return Err(RunError::Spawn {
            command: command.display(),
            reason: "the command is empty".to_owned(),
        });
    }
    let mut expression = command.expression().dir(dir);
    for key in [
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_INDEX_FILE",
        "GIT_PREFIX",
        "GIT_COMMON_DIR",
    ] {
        expression = expression.env_remove(key);
    }
    for (key, value) in env {
        expression = expression.env(key, value);
    }
    expression = match input {
        Some(bytes) => expression.stdin_bytes(bytes.to_vec()),
        None => expression.stdin_null(),
    };
    let started = Instant::now();
    let reader = expression
        .stderr_to_stdout()
        .unchecked()
        .reader()
        .map_err(|e| RunError::Spawn {
            command: command.display(),
            reason: spawn_reason(&e),
        })?;
    let mut kept: Vec<u8> = Vec::new();
    let mut buffer = [0u8; 8192];
    loop {
        match (&reader).read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => {
                progress.output(&buffer[..n]);
                kept.extend_from_slice(&buffer[..n]);
                if kept.len() > KEPT_OUTPUT * 2 {
                    kept.drain(..kept.len() - KEPT_OUTPUT);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                let _ = reader.kill();
                return Err(RunError::Read {
                    command: command.display(),
                    reason: e.to_string(),
                });
            }
        }
    }
    let status = reader
        .try_wait()
        .map_err(|e| RunError::Read {
            command: command.display(),
            reason: e.to_string(),
        })?
        .map(|out| out.status.code())
        .ok_or_else(|| RunError::Read {
            command: command.display(),
            reason: "the command closed its output but did not exit".to_owned(),
        })?;
    if kept.len() > KEPT_OUTPUT {
        kept.drain(..kept.len() - KEPT_OUTPUT);
    }
    Ok(Finished {
        exit_code: status,
        output: String::from_utf8_lossy(&kept).into_owned(),
        duration: started.elapsed(),
    })
}

fn spawn_reason(err: &std::io::Error) -> String {
    match err.kind() {
        std::io::ErrorKind::NotFound => "program not found; check the command and PATH".to_owned(),
        std::io::ErrorKind::PermissionDenied => {
            "permission denied; is the program executable?".to_owned()
        }
        _ => err.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_word_is_a_shell_command_and_more_are_an_argv() {
        assert_eq!(CommandLine::from_words(&[]), None);
        assert_eq!(
            CommandLine::from_words(&["make test".to_owned()]),
            Some(CommandLine::Shell("make test".to_owned()))
        );
        let argv = CommandLine::from_words(&["echo".to_owned(), "it's $(here)".to_owned()]);
        assert_eq!(
            argv.as_ref().map(CommandLine::display).as_deref(),
            Some(r"echo 'it'\''s $(here)'")
        );
    }

    #[test]
    fn argv_words_reach_the_program_unchanged() {
        let dir = std::env::temp_dir();
        let command = CommandLine::Argv(vec![
            "printf".into(),
            "%s|".into(),
            "a b".into(),
            "$(x)".into(),
            "\"q\"".into(),
        ]);
        struct Seen(Vec<u8>);
        impl Progress for Seen {
            fn output(&mut self, chunk: &[u8]) {
                self.0.extend_from_slice(chunk);
            }
        }
        let mut seen = Seen(Vec::new());
        let done = run(&command, &dir, &[], None, &mut seen).unwrap();
        assert!(done.success());
        assert_eq!(done.output, "a b|$(x)|\"q\"|");
        assert_eq!(seen.0, done.output.as_bytes());
    }

    #[test]
    fn exit_codes_and_missing_programs_are_reported() {
        let dir = std::env::temp_dir();
        let failed = run(
            &CommandLine::Shell("echo out; echo err >&2; exit 3".into()),
            &dir,
            &[],
            None,
            &mut crate::progress::Silent,
        )
        .unwrap();
        assert_eq!(failed.exit_code, Some(3));
        assert!(failed.output.contains("out") && failed.output.contains("err"));
        let missing = run(
            &CommandLine::Argv(vec!["no-such-program-here".into()]),
            &dir,
            &[],
            None,
            &mut crate::progress::Silent,
        );
        assert!(matches!(missing, Err(RunError::Spawn { .. })));
    }
}
