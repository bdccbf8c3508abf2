//! Running the `git` program: an argument vector through duct, never a shell string.
//!
//! A command that fails because a lock file it needs exists ("Unable to create
//! '….lock': File exists") waits for that lock to go away or turn stale, as
//! [`crate::git::locks`] describes, and is run again; a lock that stays taken is named in the
//! error, with how to remove it.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// A git command that failed, with git's own words.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    /// `git` is not installed or could not be started.
    #[error("could not run git: {0}; is git installed and on PATH?")]
    Spawn(std::io::Error),
    /// git ran and exited non-zero.
    #[error("git {command} failed: {message}")]
    Failed {
        command: String,
        message: String,
        code: Option<i32>,
    },
    /// A lock file git needed stayed held by a live process throughout the wait.
    #[error("git {command} failed: {message}")]
    Locked { command: String, message: String },
    /// A git library operation failed.
    #[error("{0}")]
    Library(String),
}

impl GitError {
    /// Wrap an error from the git library with a note of what was being done.
    pub fn library(doing: &str, err: impl std::fmt::Display) -> GitError {
        GitError::Library(format!("{doing}: {err}"))
    }
}

/// What a finished git command printed.
#[derive(Debug, Clone)]
pub struct Captured {
    /// Exit status code, if it exited normally.
    pub code: Option<i32>,
    /// Standard output as text.
    pub stdout: String,
    /// Standard error as text.
    pub stderr: String,
}

impl Captured {
    /// Whether git exited with status 0.
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }
}

/// Runs git in one directory.
#[derive(Debug, Clone)]
pub struct Git {
    dir: PathBuf,
}

impl Git {
    /// A runner for git commands in `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Git {
        Git { dir: dir.into() }
    }

    /// The directory commands run in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Run git with `args` and return what it printed, whatever its exit status, once
    /// no lock file left by a killed process stands in its way.
    pub fn output<I, S>(&self, args: I) -> Result<Captured, GitError>
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
        let mut cleared: Vec<std::path::PathBuf> = Vec::new();
        loop {
            let out = self.output_once(&args)?;
            if out.success() {
                return Ok(out);
            }
            let Some(lock) = crate::git::locks::lock_in_message(&out.stderr, &self.dir) else {
                return Ok(out);
            };
            if cleared.len() >= MAX_LOCKS_CLEARED
                || cleared.iter().filter(|c| **c == lock).count() >= 2
            {
                return Ok(out);
            }
            let name = crate::git::locks::locked_name(&lock);
            crate::git::locks::wait_for(&lock, self.stale_lock_age(), &name).map_err(|err| {
                GitError::Locked {
                    command: subcommand(&args),
                    message: err.to_string(),
                }
            })?;
            cleared.push(lock);
        }
    }

    /// How old a lock must be before it is taken as left by a killed process, as
    /// configured for this repository.
    pub fn stale_lock_age(&self) -> std::time::Duration {
        let configured = self
            .output_once(&[
                "config".into(),
                "--get".into(),
                crate::config::STALE_LOCK_SECONDS.into(),
            ])
            .ok()
            .filter(Captured::success);
        crate::config::stale_lock_age_from(configured.as_ref().map(|o| o.stdout.as_str()))
    }

    fn output_once(&self, args: &[OsString]) -> Result<Captured, GitError> {
        let out = duct::cmd("git", args)
            .dir(&self.dir)
            .env("GIT_TERMINAL_PROMPT", "0")
            .stdin_null()
            .stdout_capture()
            .stderr_capture()
            .unchecked()
            .run()
            .map_err(GitError::Spawn)?;
        Ok(Captured {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        })
    }

    /// Run git with `args`; a non-zero exit becomes an error carrying git's message.
    pub fn run<I, S>(&self, args: I) -> Result<String, GitError>
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
        let out = self.output(args.iter().cloned())?;
        if out.success() {
            Ok(out.stdout)
        } else {
            Err(GitError::Failed {
                command: subcommand(&args),
                message: first_meaningful_line(&out.stderr)
                    .or_else(|| first_meaningful_line(&out.stdout))
                    .unwrap_or_else(|| format!("exit status {}", out.code.unwrap_or(-1))),
                code: out.code,
            })
        }
    }
}

/// How many lock files one command may wait out before its failure is returned as it is.
const MAX_LOCKS_CLEARED: usize = 6;

/// The git subcommand in `args`, past any `-c NAME=VALUE` options before it.
fn subcommand(args: &[OsString]) -> String {
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        if arg == "-c" {
            args.next();
        } else if !arg.to_string_lossy().starts_with('-') {
            return arg.to_string_lossy().into_owned();
        }
    }
    String::new()
}

/// The first line of git's message that says something (skipping hints).
pub fn first_meaningful_line(text: &str) -> Option<String> {
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with("hint:"))
        .map(|l| {
            l.strip_prefix("fatal: ")
                .or_else(|| l.strip_prefix("error: "))
                .unwrap_or(l)
                .to_owned()
        })
}
