//! Joining a running agent's terminal: the one its holder keeps or its tmux pane, typing
//! a line to it, and what its screen shows.

use std::path::PathBuf;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::git::workspace::Workspace;
use crate::process::launcher::record::{self, RunRecord, TmuxPane};
use crate::process::launcher::{pty, tmux};
use crate::state::State;

/// Where a running agent's terminal is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Terminal {
    /// A terminal of its own, joined through its holder's socket; `pid` is the command's.
    Held { socket: PathBuf, pid: u32 },
    /// A tmux pane.
    Tmux(TmuxPane),
}

/// The terminal `agent`'s running command is on; refused when it runs on none.
pub fn terminal(ws: &Workspace, agent: Option<&str>) -> Result<(String, Terminal)> {
    let state = State::load(&ws.repo)?;
    let name = super::infer_agent(ws, &state, agent)?;
    let found = RunRecord::read(&record::dir(&ws.common_dir), &name)
        .map_err(|e| Error::External(e.to_string()))?;
    match found {
        Some(running) if running.alive() => match (running.tmux, running.pty) {
            (Some(pane), _) => Ok((name, Terminal::Tmux(pane))),
            (None, Some(socket)) => Ok((
                name,
                Terminal::Held {
                    socket,
                    pid: running.pid,
                },
            )),
            (None, None) => Err(Error::Refused(format!(
                "{name}'s command runs without a terminal to join (its output is in .git/agents/logs/{name}.log); agents launched by git agents run get one"
            ))),
        },
        _ => Err(Error::Refused(format!(
            "{name}'s command is not running; start it with git agents run {name}"
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
    let (name, terminal) = terminal(ws, agent)?;
    match &terminal {
        Terminal::Tmux(pane) => tmux::send(pane, text),
        Terminal::Held { socket, .. } => pty::send(socket, text),
    }
    .map_err(|e| Error::External(format!("cannot type to {name}: {e}")))?;
    Ok(SendReport {
        agent: name,
        text: text.to_owned(),
    })
}

/// The last `lines` lines `agent`'s terminal shows.
pub fn screen(ws: &Workspace, agent: Option<&str>, lines: usize) -> Result<String> {
    let (name, terminal) = terminal(ws, agent)?;
    match &terminal {
        Terminal::Tmux(pane) => tmux::screen(pane, lines)
            .map_err(|e| Error::External(format!("cannot read {name}'s screen: {e}"))),
        Terminal::Held { .. } => Ok(pty::screen(
            &crate::process::launcher::log_path(&ws.common_dir, &name),
            lines,
        )),
    }
}

/// An agent whose command waits for someone to type to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Waiting {
    /// How long it has printed nothing, in whole seconds.
    pub quiet_seconds: u64,
    /// The last lines its screen shows: the question, usually.
    pub screen: String,
}

/// Whether `name`'s command, running on a terminal, waits for input: it is reading its
/// terminal and has printed nothing for `quiet` (`agents.waitingSeconds`).
pub fn waiting(ws: &Workspace, name: &str, quiet: std::time::Duration) -> Option<Waiting> {
    let found = RunRecord::read(&record::dir(&ws.common_dir), name).ok()??;
    if (found.tmux.is_none() && found.pty.is_none()) || !found.alive() {
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
        screen: match &found.tmux {
            Some(pane) => tmux::screen(pane, 5).unwrap_or_default(),
            None => pty::screen(&log, 5),
        },
    })
}
