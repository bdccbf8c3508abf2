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
    let proof = if status == Some(Status::Merged) {
        merge_proof(ws, &known, &name)?
    } else {
        None
    };
    let by = crate::git::cas::identity(&ws.repo)?;
    let at = crate::time::now_rfc3339();
    let updated = state::update_from::<_, Error>(&ws.repo, Some(known), |state| {
        let doc = state
            .agent_mut(&name)
            .ok_or_else(|| Error::Usage(format!("{name} has no status document")))?;
        let mut parts = Vec::new();
        if let Some(status) = status {
            if status == Status::Merged && doc.status != Status::Merged {
                if doc.merged_commit.is_none() && proof.is_none() {
                    return Err(Error::Refused(format!(
                        "{name} cannot be marked merged: its branch is not contained in the base and no merge is recorded; merge it first (git agents merge {name})"
                    )));
                }
                if doc.merged_commit.is_none() {
                    doc.merged_commit = proof.clone();
                }
            }
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

/// The base commit that contains `name`'s branch, if its branch exists, moved on from where
/// it started, and is in base.
fn merge_proof(ws: &Workspace, state: &State, name: &str) -> Result<Option<String>> {
    let spec = super::find_agent(state, name)?;
    let Some(tip) = crate::git::worktree::branch_tip(&ws.repo, &spec.branch)? else {
        return Ok(None);
    };
    let Some(base) = crate::git::worktree::branch_tip(&ws.repo, state.base())? else {
        return Ok(None);
    };
    if let Some(recorded) = state.agent(name).and_then(|d| d.base_commit.as_deref())
        && tip == recorded
    {
        // The branch never moved from where it started: there is nothing to merge.
        return Ok(None);
    }
    let contained = ws
        .git()
        .output([
            "merge-base",
            "--is-ancestor",
            &tip.to_string(),
            &base.to_string(),
        ])
        .map(|out| out.success())
        .unwrap_or(false);
    Ok(contained.then(|| base.to_string()))
}

fn one_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or("");
    if line.chars().count() > 60 {
        format!("{}…", line.chars().take(60).collect::<String>())
    } else {
        line.to_owned()
    }
}
