//! `comment`: a person's remark to an agent, kept on its record for its brief and for
//! the findings its command is launched again with.

use serde::Serialize;

use crate::error::{Error, Result};
use crate::git::workspace::Workspace;
use crate::state::{self, Note, State};

/// What `comment` recorded; `--json` prints it as it is.
#[derive(Debug, Clone, Serialize)]
pub struct CommentReport {
    /// The agent.
    pub agent: String,
    /// The remark as recorded.
    pub comment: Note,
    /// How many remarks the agent has now.
    pub comments: usize,
}

/// Leave `text` for `agent` (or the agent whose worktree this is).
pub fn comment(ws: &Workspace, agent: Option<&str>, text: &str) -> Result<CommentReport> {
    if text.trim().is_empty() {
        return Err(Error::Usage(
            "a comment needs text, e.g. git agents comment api-agent \"keep the old endpoint\""
                .to_owned(),
        ));
    }
    let known = State::load(&ws.repo)?;
    let name = super::infer_agent(ws, &known, agent)?;
    let note = Note {
        at: crate::time::now_rfc3339(),
        by: crate::git::cas::identity(&ws.repo)?,
        text: text.to_owned(),
    };
    let updated = state::update_from::<_, Error>(&ws.repo, Some(known), |state| {
        let doc = state
            .agent_mut(&name)
            .ok_or_else(|| Error::Usage(format!("{name} has no status document")))?;
        doc.comments.push(note.clone());
        let first = text.lines().next().unwrap_or("");
        Ok((format!("comment {name}: {first}"), doc.comments.len()))
    })?;
    Ok(CommentReport {
        agent: name,
        comment: note,
        comments: updated.value,
    })
}
