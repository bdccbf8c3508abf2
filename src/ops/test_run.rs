//! `test`: run the test command in an agent's worktree and record the result as a note
//! on the exact commit it tested.

use crate::progress::Progress;
use serde::Serialize;

use super::checkout::{Checkout, run_error};
use crate::config::{self, CommandKind};
use crate::error::Result;
use crate::git::workspace::Workspace;
use crate::state::notes::{self, Record};
use crate::state::{State, StateError};

/// What a test run found.
#[derive(Debug, Clone, Serialize)]
pub struct TestReport {
    /// The agent.
    pub agent: String,
    /// The commit tested.
    pub commit: String,
    /// The command as a person would type it.
    pub command: String,
    /// Whether it passed.
    pub passing: bool,
    /// Its exit code; `None` when a signal ended it.
    pub exit_code: Option<i32>,
    /// How long it ran, in milliseconds.
    pub duration_ms: u64,
}

/// Run the tests for `agent` (or the agent of the current worktree): the command after
/// `--`, else `agents.testCommand`, else the plan's. Output goes to `sink` as it comes.
pub fn run_tests(
    ws: &Workspace,
    agent: Option<&str>,
    words: &[String],
    progress: &mut dyn Progress,
) -> Result<TestReport> {
    let state = State::load(&ws.repo)?;
    let checkout = Checkout::find(ws, &state, agent)?;
    if words.is_empty() {
        super::trust::require(ws, &state)?;
    }
    let command = config::required_command(&ws.repo, &state.plan, CommandKind::Test, words)?;
    checkout.require_committed("test result")?;
    let finished = crate::process::runner::run(
        &command,
        &checkout.path,
        &checkout.env(state.base()),
        None,
        progress,
    )
    .map_err(run_error)?;
    checkout.require_unmoved("test result")?;
    let duration_ms = u64::try_from(finished.duration.as_millis()).unwrap_or(u64::MAX);
    let record = Record::Test {
        passing: finished.success(),
        exit_code: finished.exit_code,
        command: command.display(),
        argv: command.argv(),
        duration_ms,
        at: crate::time::now_rfc3339(),
        agent: Some(checkout.name.clone()),
        merged_result: None,
    };
    notes::append(&ws.repo, checkout.head, &record).map_err(StateError::from)?;
    Ok(TestReport {
        agent: checkout.name,
        commit: checkout.head.to_string(),
        command: command.display(),
        passing: finished.success(),
        exit_code: finished.exit_code,
        duration_ms,
    })
}
