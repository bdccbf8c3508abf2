//! `approve`: on the local forge, record an approval of an agent's head commit as a note
//! (a later commit needs approving again). On GitHub approvals are the PR's reviews.

use serde::Serialize;

use crate::config;
use crate::error::{Error, Result};
use crate::forge::Forge;
use crate::git::workspace::Workspace;
use crate::git::worktree;
use crate::state::notes::{self, Record};
use crate::state::{State, StateError};

/// An approval that was recorded.
#[derive(Debug, Clone, Serialize)]
pub struct Approval {
    /// The agent.
    pub agent: String,
    /// The commit approved.
    pub commit: String,
    /// Who approved it.
    pub by: String,
    /// Everyone who has approved that commit now.
    pub approvals: Vec<String>,
    /// Whether `by` had already approved this commit, so nothing new was recorded.
    pub already_approved: bool,
}

/// Approve the head of `agent`'s branch as `by` (default: the git identity's name).
pub fn approve(ws: &Workspace, agent: &str, by: Option<&str>) -> Result<Approval> {
    let state = State::load(&ws.repo)?;
    let spec = super::find_agent(&state, agent)?.clone();
    let doc = state.document(agent);
    let configured = config::forge_kind(&ws.repo, &state.plan)?;
    let forge = Forge::for_pr(ws, configured, doc.pr.as_ref().map(|p| p.forge.as_str()))?;
    if !forge.approvals_are_notes() {
        let how = match &doc.pr {
            Some(pr) => format!("gh pr review {} --approve", pr.number),
            None => format!(
                "open it with `git agents pr {agent}`, then `gh pr review NUMBER --approve`"
            ),
        };
        return Err(Error::Refused(format!(
            "{agent}'s work merges on GitHub, where approvals are the PR's reviews: {how}"
        )));
    }
    let head = worktree::branch_tip(&ws.repo, &spec.branch)?.ok_or_else(|| {
        Error::Refused(format!(
            "{agent} has no branch {} yet; spawn it first (git agents spawn {agent})",
            spec.branch
        ))
    })?;
    let by = match by.map(str::trim) {
        Some("") => return Err(Error::Usage("--by needs a name".to_owned())),
        Some(name) => name.to_owned(),
        None => {
            let identity = crate::git::cas::identity(&ws.repo).map_err(StateError::from)?;
            identity.split(" <").next().unwrap_or(&identity).to_owned()
        }
    };
    let before = notes::summary(&ws.repo, head)
        .map_err(StateError::from)?
        .approvals;
    if before.contains(&by) {
        return Ok(Approval {
            agent: agent.to_owned(),
            commit: head.to_string(),
            by,
            approvals: before,
            already_approved: true,
        });
    }
    let record = Record::Approval {
        by: by.clone(),
        at: crate::time::now_rfc3339(),
        agent: Some(agent.to_owned()),
    };
    notes::append(&ws.repo, head, &record).map_err(StateError::from)?;
    let approvals = notes::summary(&ws.repo, head)
        .map_err(StateError::from)?
        .approvals;
    Ok(Approval {
        agent: agent.to_owned(),
        commit: head.to_string(),
        by,
        approvals,
        already_approved: false,
    })
}
