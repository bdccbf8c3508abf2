//! The audit trail: the state ref's commit history, newest first.

use gix::ObjectId;
use serde::Serialize;

use super::{AGENTS_DIR, STATE_REF, StateError};
use crate::git::cas;

/// One change to the state.
#[derive(Debug, Clone, Serialize)]
pub struct LogEntry {
    /// The state commit.
    pub commit: String,
    /// When it was made (RFC 3339, UTC).
    pub time: String,
    /// Who made it.
    pub author: String,
    /// What happened (the commit message's first line).
    pub summary: String,
    /// Agents whose documents the change touched.
    pub agents: Vec<String>,
}

/// Read up to `limit` entries of the audit trail, newest first, keeping only the changes
/// that touched `agent` when one is given.
pub fn read_log(
    repo: &gix::Repository,
    agent: Option<&str>,
    limit: usize,
) -> Result<Vec<LogEntry>, StateError> {
    let Some(tip) = cas::read_tip(repo, STATE_REF)? else {
        return Err(StateError::NotInitialized);
    };
    let mut entries = Vec::new();
    let mut next = Some(tip.commit);
    while let Some(id) = next {
        if entries.len() >= limit {
            break;
        }
        let commit = repo
            .find_commit(id)
            .map_err(|e| git_err("reading the state history", e))?;
        let parent = commit.parent_ids().next().map(|p| p.detach());
        let tree = commit
            .tree_id()
            .map_err(|e| git_err("reading the state history", e))?
            .detach();
        let parent_tree = match parent {
            Some(parent) => Some(
                repo.find_commit(parent)
                    .and_then(|c| c.tree_id())
                    .map_err(|e| git_err("reading the state history", e))?
                    .detach(),
            ),
            None => None,
        };
        let touched = changed_agents(repo, tree, parent_tree)?;
        let message = commit.message_raw_sloppy().to_string();
        let summary = message.lines().next().unwrap_or("").to_owned();
        let keep = match agent {
            None => true,
            Some(name) => touched.iter().any(|a| a == name) || mentions(&summary, name),
        };
        if keep {
            let author = commit
                .author()
                .map_err(|e| git_err("reading the state history", e))?;
            let seconds = author.time().map(|t| t.seconds).unwrap_or(0);
            entries.push(LogEntry {
                commit: id.to_string(),
                time: crate::time::format_unix(seconds),
                author: author.name.to_string(),
                summary,
                agents: touched,
            });
        }
        next = parent;
    }
    Ok(entries)
}

fn mentions(summary: &str, name: &str) -> bool {
    summary
        .split(|c: char| c.is_whitespace() || c == ',' || c == ':')
        .any(|word| word == name)
}

fn changed_agents(
    repo: &gix::Repository,
    tree: ObjectId,
    parent: Option<ObjectId>,
) -> Result<Vec<String>, StateError> {
    let now = agent_blobs(repo, tree)?;
    let before = match parent {
        Some(parent) => agent_blobs(repo, parent)?,
        None => Vec::new(),
    };
    let mut touched: Vec<String> = now
        .iter()
        .filter(|(name, id)| !before.iter().any(|(n, i)| n == name && i == id))
        .map(|(name, _)| name.clone())
        .collect();
    touched.extend(
        before
            .iter()
            .filter(|(name, _)| !now.iter().any(|(n, _)| n == name))
            .map(|(n, _)| n.clone()),
    );
    Ok(touched)
}

fn agent_blobs(
    repo: &gix::Repository,
    tree: ObjectId,
) -> Result<Vec<(String, ObjectId)>, StateError> {
    let tree = repo
        .find_tree(tree)
        .map_err(|e| git_err("reading the state history", e))?;
    let Some(entry) = tree
        .iter()
        .filter_map(Result::ok)
        .find(|e| e.filename() == AGENTS_DIR && e.mode().is_tree())
        .map(|e| e.oid().to_owned())
    else {
        return Ok(Vec::new());
    };
    let agents = repo
        .find_tree(entry)
        .map_err(|e| git_err("reading the state history", e))?;
    Ok(agents
        .iter()
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.filename().to_string();
            name.strip_suffix(".json")
                .map(|n| (n.to_owned(), e.oid().to_owned()))
        })
        .collect())
}

fn git_err(doing: &str, err: impl std::fmt::Display) -> StateError {
    StateError::Cas(cas::CasError::Git(format!("{doing}: {err}")))
}
