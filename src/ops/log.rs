//! The `log` operation: the audit trail of the state and the facts recorded on commits.

use serde::Serialize;

use crate::error::Result;
use crate::git::workspace::Workspace;
use crate::state::{LogEntry, State, read_log};

/// The audit trail asked for; `--json` prints it as it is.
#[derive(Debug, Clone, Serialize)]
pub struct LogReport {
    /// The entries, newest first unless asked otherwise.
    pub entries: Vec<LogEntry>,
}

/// Up to `limit` entries of the audit trail, only those about `agent` when one is named
/// (an unknown agent is an error naming the closest one), oldest first with `reverse`.
pub fn log(ws: &Workspace, agent: Option<&str>, limit: usize, reverse: bool) -> Result<LogReport> {
    if let Some(name) = agent {
        super::find_agent(&State::load(&ws.repo)?, name)?;
    }
    let mut entries = read_log(&ws.repo, agent, limit)?;
    if reverse {
        entries.reverse();
    }
    Ok(LogReport { entries })
}
