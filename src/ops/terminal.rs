//! Joining a running agent's terminal: where in tmux its command runs, typing a line to
//! it, and what its screen shows.

use serde::Serialize;

use crate::error::{Error, Result};
use crate::git::workspace::Workspace;
use crate::process::launcher::record::{self, RunRecord, TmuxPane};
use crate::process::launcher::tmux;
use crate::state::State;

/// The tmux pane `agent`'s running command is in; refused when it runs in none.
pub fn pane(ws: &Workspace, agent: Option<&str>) -> Result<(String, TmuxPane)> {
    let state = State::load(&ws.repo)?;
    let name = super::infer_agent(ws, &state, agent)?;
    let found = RunRecord::read(&record::dir(&ws.common_dir), &name)
        .map_err(|e| Error::External(e.to_string()))?;
    match found {
        Some(running) if running.alive() => match running.tmux {
            Some(pane) => Ok((name, pane)),
            None => Err(Error::Refused(format!(
                "{name}'s command runs without a terminal to join (its output is in .git/agents/logs/{name}.log); launch agents with git agents run --tmux to join them"
            ))),
        },
        _ => Err(Error::Refused(format!(
            "{name}'s command is not running; start it with git agents run {name} --tmux"
        ))),
    }
}

/// What `send` did; `--json` prints it as it is.
#[derive(Debug, Clone, Serialize)]
pub struct SendReport {
    /// The agent.
    pub agent: String,
    /// The line typed to it.
    pub text: String,
}

/// Type `text` and Enter to `agent`'s running command.
pub fn send(ws: &Workspace, agent: Option<&str>, text: &str) -> Result<SendReport> {
    let (name, pane) = pane(ws, agent)?;
    tmux::send(&pane, text).map_err(|e| Error::External(format!("cannot type to {name}: {e}")))?;
    Ok(SendReport {
        agent: name,
        text: text.to_owned(),
    })
}

/// The last `lines` lines `agent`'s terminal shows.
pub fn screen(ws: &Workspace, agent: Option<&str>, lines: usize) -> Result<String> {
    let (name, pane) = pane(ws, agent)?;
    tmux::screen(&pane, lines)
        .map_err(|e| Error::External(format!("cannot read {name}'s screen: {e}")))
}
