//! The lifecycle hooks — setup, teardown, pre-merge and post-merge commands: where each
//! comes from, the trust it needs, and running it with its output kept in a log.
//!
//! Each hook is `agents.<hook>` from git config, else the plan's. The plan's command runs
//! only once this machine accepted the plan (`git agents trust`), like every other command
//! of the shared plan. A hook gets the placeholders and environment of `run`'s commands
//! (`{agent}`, `{branch}`, `{worktree}`, `{base}`, `{port}`; `GIT_AGENTS_*`), stdin
//! empty, and its output goes to `<git dir>/agents/logs/<agent>-<hook>.log`.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::config::{self, Hook, HookSource};
use crate::error::{Error, Result};
use crate::git::workspace::Workspace;
use crate::ops::provision::AgentVars;
use crate::state::{HookRun, State};

/// How many lines of a failed hook's output are kept.
const TAIL_LINES: usize = 20;

/// The command for `hook` that may run here: `None` when none is set; refused when it is
/// the shared plan's and this machine has not accepted the plan.
pub fn command(ws: &Workspace, state: &State, hook: Hook) -> Result<Option<String>> {
    match config::hook_command(&ws.repo, &state.plan, hook) {
        None => Ok(None),
        Some(HookSource::GitConfig(command)) => Ok(Some(command)),
        Some(HookSource::Plan(command)) => {
            super::trust::require(ws, state)?;
            Ok(Some(command))
        }
    }
}

/// Where the log of `agent`'s `hook` goes.
pub fn log_path(ws: &Workspace, agent: &str, hook: Hook) -> PathBuf {
    ws.common_dir
        .join("agents")
        .join("logs")
        .join(format!("{agent}-{}.log", hook.name()))
}

/// Run `command` (placeholders filled in) in `dir` with the agent's environment, its
/// output written to the hook's log.
pub fn run(
    ws: &Workspace,
    vars: &AgentVars,
    hook: Hook,
    command: &str,
    dir: &Path,
    extra_env: &[(&str, &str)],
) -> Result<HookRun> {
    let log = log_path(ws, &vars.agent, hook);
    let command = vars.expand(command);
    let io_error = |e: io::Error| {
        Error::External(format!(
            "cannot write the {} log {}: {e}",
            hook.name(),
            log.display()
        ))
    };
    if let Some(logs) = log.parent() {
        crate::fsutil::private_dir(logs).map_err(io_error)?;
    }
    let mut output = crate::fsutil::create(&log).map_err(io_error)?;
    writeln!(output, "$ {command}").map_err(io_error)?;
    let mut expression = duct::cmd("sh", ["-c", command.as_str()])
        .dir(dir)
        .stdin_null()
        .stderr_to_stdout()
        .stdout_file(output)
        .unchecked();
    for (key, value) in vars.env() {
        expression = expression.env(key, value);
    }
    expression = expression.env("GIT_AGENTS_HOOK", hook.name());
    for (key, value) in extra_env {
        expression = expression.env(key, value);
    }
    let exit_code = match expression.run() {
        Ok(out) => out.status.code(),
        Err(err) => {
            let mut file = crate::fsutil::append(&log).map_err(io_error)?;
            writeln!(file, "could not start the {} command: {err}", hook.name())
                .map_err(io_error)?;
            None
        }
    };
    let passed = exit_code == Some(0);
    Ok(HookRun {
        command,
        passed,
        exit_code,
        log: log.display().to_string(),
        at: crate::time::now_rfc3339(),
        tail: (!passed)
            .then(|| crate::process::launcher::tail(&log, TAIL_LINES))
            .filter(|t| !t.trim().is_empty()),
    })
}

/// What a failed hook's run says, in one line: its exit and where its output is.
pub fn failure(hook: Hook, run: &HookRun) -> String {
    let exit = match run.exit_code {
        Some(code) => format!("exited {code}"),
        None => "did not finish".to_owned(),
    };
    let last = run
        .tail
        .as_deref()
        .and_then(|t| t.lines().rev().find(|l| !l.trim().is_empty()))
        .map(|l| format!(" ({})", l.trim()))
        .unwrap_or_default();
    format!(
        "the {} command {exit}{last}; its output is in {}",
        hook.name(),
        run.log
    )
}
