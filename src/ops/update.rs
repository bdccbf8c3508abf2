//! The `update` operation: change an agent's status or leave a note on its record.

use serde::Serialize;

use crate::error::{Error, Result};
use crate::git::workspace::Workspace;
use crate::state::{self, Note, State, Status};

/// What an update changed; `--json` prints it as it is.
#[derive(Debug, Clone, Serialize)]
pub struct UpdateReport {
    /// The agent updated.
    pub agent: String,
    /// Its status now.
    pub status: Status,
    /// Whether the state changed.
    pub changed: bool,
    /// How many notes its record holds now.
    pub notes: usize,
}

/// Change the agent's status and/or leave a note.
pub fn update(
    ws: &Workspace,
    agent: Option<&str>,
    status: Option<Status>,
    note: Option<&str>,
    failure: Option<&str>,
) -> Result<UpdateReport> {
    if status.is_none() && note.is_none() {
        return Err(Error::Usage(
            "nothing to update; pass --status STATUS and/or --note TEXT".to_owned(),
        ));
    }
    let known = State::load(&ws.repo)?;
    let name = super::infer_agent(ws, &known, agent)?;
    let by = crate::git::cas::identity(&ws.repo)?;
    let at = crate::time::now_rfc3339();
    let updated = state::update_from::<_, Error>(&ws.repo, Some(known), |state| {
        let doc = state
            .agent_mut(&name)
            .ok_or_else(|| Error::Usage(format!("{name} has no status document")))?;
        let mut parts = Vec::new();
        if let Some(status) = status {
            doc.status = status;
            if status == Status::Failed {
                doc.failure = failure.or(note).map(str::to_owned);
            } else {
                doc.failure = None;
            }
            parts.push(format!("status {status}"));
        }
        if let Some(text) = note {
            doc.notes.push(Note {
                at: at.clone(),
                by: by.clone(),
                text: text.to_owned(),
            });
            parts.push(format!("note {}", one_line(text)));
        }
        Ok((format!("update {name}: {}", parts.join(", ")), ()))
    })?;
    let doc = updated
        .state
        .agent(&name)
        .ok_or_else(|| Error::Usage(format!("{name} has no status document")))?;
    Ok(UpdateReport {
        status: doc.status,
        changed: updated.commit.is_some(),
        notes: doc.notes.len(),
        agent: name,
    })
}

fn one_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or("");
    if line.chars().count() > 60 {
        format!("{}…", line.chars().take(60).collect::<String>())
    } else {
        line.to_owned()
    }
}
