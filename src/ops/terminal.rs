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

/// An agent whose command waits for someone to type to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Waiting {
    /// How long it has printed nothing, in whole seconds.
    pub quiet_seconds: u64,
    /// The last lines its screen shows: the question, usually.
    pub screen: String,
}

/// Whether `name`'s command, running in tmux, waits for input: it is reading its
/// terminal and has printed nothing for `quiet` (`agents.waitingSeconds`).
pub fn waiting(ws: &Workspace, name: &str, quiet: std::time::Duration) -> Option<Waiting> {
    let found = RunRecord::read(&record::dir(&ws.common_dir), name).ok()??;
    let pane = found.tmux.clone()?;
    if !found.alive() {
        return None;
    }
    let log = crate::process::launcher::log_path(&ws.common_dir, name);
    let idle = std::fs::metadata(&log)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|at| at.elapsed().ok())
        .unwrap_or_default();
    if idle < quiet || !tmux::reading_terminal(found.pid) {
        return None;
    }
    Some(Waiting {
        quiet_seconds: idle.as_secs(),
        screen: tmux::screen(&pane, 5).unwrap_or_default(),
    })
}
