//! An agent's checked-out worktree, as the commands that judge its work need it.

use std::path::PathBuf;

use crate::error::{Error, Result};
use crate::git::Git;
use crate::git::workspace::Workspace;
use crate::process::runner::RunError;
use crate::state::State;

/// An agent's worktree and the commit checked out there.
#[derive(Debug, Clone)]
pub struct Checkout {
    /// The agent.
    pub name: String,
    /// Its branch.
    pub branch: String,
    /// Its worktree directory.
    pub path: PathBuf,
    /// The commit checked out (HEAD).
    pub head: gix::ObjectId,
}

impl Checkout {
    /// The agent named by `explicit`, or the one whose worktree the command runs in, with
    /// its worktree's HEAD.
    pub fn find(ws: &Workspace, state: &State, explicit: Option<&str>) -> Result<Checkout> {
        let name = super::infer_agent(ws, state, explicit)?;
        let spec = super::find_agent(state, &name)?;
        let path = ws.resolve(&spec.worktree);
        if !path.is_dir() {
            return Err(Error::Refused(format!(
                "{name} has no worktree at {}; spawn it first (git agents spawn {name})",
                path.display()
            )));
        }
        let head = Git::new(&path).run(["rev-parse", "--verify", "HEAD^{commit}"])?;
        let head = gix::ObjectId::from_hex(head.trim().as_bytes())
            .map_err(|e| Error::External(format!("git rev-parse printed {head:?}: {e}")))?;
        Ok(Checkout {
            name,
            branch: spec.branch.clone(),
            path,
            head,
        })
    }

    /// Refuse unless the worktree is exactly its HEAD commit: no uncommitted changes and
    /// no untracked files (ignored ones aside), so a result belongs to the commit it
    /// judged and not to files that only exist here.
    pub fn require_committed(&self, what: &str) -> Result<()> {
        let status =
            Git::new(&self.path).run(["status", "--porcelain", "--untracked-files=all"])?;
        if status.trim().is_empty() {
            return Ok(());
        }
        let files: Vec<&str> = status.lines().filter_map(|l| l.get(3..)).take(5).collect();
        let untracked = status.lines().any(|l| l.starts_with("??"));
        let kind = if untracked {
            "uncommitted changes or untracked files"
        } else {
            "uncommitted changes"
        };
        Err(Error::Refused(format!(
            "{}'s worktree has {kind} ({}); commit them (or ignore them in .gitignore) first so the {what} is recorded on the commit it judged",
            self.name,
            files.join(", ")
        )))
    }

    /// Refuse when the worktree's HEAD is no longer the commit this checkout judged (a
    /// commit landed while the command ran): the result would belong to neither.
    pub fn require_unmoved(&self, what: &str) -> Result<()> {
        let now = Git::new(&self.path).run(["rev-parse", "--verify", "HEAD^{commit}"])?;
        let now = now.trim();
        if self.head == now {
            return Ok(());
        }
        Err(Error::Refused(format!(
            "{}'s HEAD moved from {} to {} while it ran, so no {what} is recorded; run it again on the new commit",
            self.name,
            &self.head.to_string()[..12],
            now.get(..12).unwrap_or(now)
        )))
    }

    /// The environment a command run for this agent gets.
    pub fn env(&self, base: &str) -> Vec<(&'static str, String)> {
        vec![
            ("GIT_AGENTS_AGENT", self.name.clone()),
            ("GIT_AGENTS_BRANCH", self.branch.clone()),
            ("GIT_AGENTS_BASE", base.to_owned()),
            ("GIT_AGENTS_WORKTREE", self.path.display().to_string()),
            ("GIT_AGENTS_COMMIT", self.head.to_string()),
        ]
    }
}

/// A command that could not be run, as an error for the person.
pub fn run_error(err: RunError) -> Error {
    match err {
        RunError::Spawn { .. } => Error::Usage(err.to_string()),
        RunError::Read { .. } => Error::External(err.to_string()),
    }
}
