//! The proof every destructive step makes first: a branch is deleted only when nothing on
//! it would be lost, and never when it is a branch the user works on.

use serde::Serialize;

use crate::error::{Error, Result};
use crate::git::Git;
use crate::git::workspace::Workspace;
use crate::state::State;

/// A commit on an agent's branch that neither base nor a merged head holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnmergedCommit {
    /// Its id.
    pub commit: String,
    /// Its subject line.
    pub subject: String,
}

/// The commits reachable from `tip` that are in none of `kept` (base, and the heads the
/// forge or the state say were merged), newest first. A branch whose changes base already
/// holds in content (a squash or rebase merge) has none, whatever its ancestry says.
pub fn unmerged_commits(
    ws: &Workspace,
    tip: &str,
    base: &str,
    merged_heads: &[String],
) -> Result<Vec<UnmergedCommit>> {
    if merged_heads.iter().any(|head| head == tip) {
        return Ok(Vec::new());
    }
    let git = ws.git();
    let mut args: Vec<String> = vec![
        "log".into(),
        "--format=%H%x00%s".into(),
        "--end-of-options".into(),
        tip.to_owned(),
    ];
    let base_ref = format!("refs/heads/{base}");
    if crate::git::worktree::branch_tip(&ws.repo, base)?.is_some() {
        args.push(format!("^{base_ref}"));
    }
    // A merged head the forge names but this clone has not fetched can't hold the tip.
    args.extend(
        merged_heads
            .iter()
            .filter(|head| {
                gix::ObjectId::from_hex(head.as_bytes()).is_ok_and(|id| ws.repo.has_object(id))
            })
            .map(|head| format!("^{head}")),
    );
    args.push("--".into());
    let out = git.run(&args)?;
    let commits: Vec<UnmergedCommit> = out
        .lines()
        .filter_map(|line| line.split_once('\0'))
        .map(|(commit, subject)| UnmergedCommit {
            commit: commit.to_owned(),
            subject: subject.to_owned(),
        })
        .collect();
    if commits.is_empty() || !base_holds_changes(&git, &base_ref, tip)? {
        return Ok(commits);
    }
    Ok(Vec::new())
}

/// Whether merging `tip` into `base` would change nothing: base already has every change.
pub(crate) fn base_holds_changes(git: &Git, base: &str, tip: &str) -> Result<bool> {
    let base_tree = git.run([
        "rev-parse",
        "--verify",
        "--end-of-options",
        &format!("{base}^{{tree}}"),
    ])?;
    Ok(crate::forge::merge_tree(git, base, tip, None)?.is_ok_and(|tree| tree == base_tree.trim()))
}

/// The refusal for deleting `branch` with `commits` on it, naming them and the way out.
pub fn refuse_unmerged(name: &str, branch: &str, commits: &[UnmergedCommit], why: &str) -> Error {
    let shown: Vec<String> = commits
        .iter()
        .take(5)
        .map(|c| format!("{} {}", &c.commit[..c.commit.len().min(12)], c.subject))
        .collect();
    let more = match commits.len() {
        n if n > 5 => format!(" and {} more", n - 5),
        _ => String::new(),
    };
    Error::Refused(format!(
        "{branch} has {} commit{} {why}: {}{more}; merge {} first (git agents merge {name}), or pass --force to delete it anyway",
        commits.len(),
        if commits.len() == 1 { "" } else { "s" },
        shown.join("; "),
        if commits.len() == 1 { "it" } else { "them" },
    ))
}

/// The branches no agent may have: base, the main worktree's, the remotes' defaults.
#[derive(Debug, Clone, Default)]
pub struct Protected {
    base: String,
    main_worktree: Option<String>,
    remote_defaults: Vec<String>,
    /// Each agent's branch, and whose it is.
    agent_branches: std::collections::HashMap<String, String>,
}

impl Protected {
    /// Read them once for `state`'s repository.
    pub fn read(ws: &Workspace, state: &State) -> Protected {
        Protected {
            base: state.base().to_owned(),
            main_worktree: main_worktree_branch(ws),
            remote_defaults: remote_default_branches(ws),
            agent_branches: state
                .plan
                .agents
                .iter()
                .map(|a| (a.branch.clone(), a.name.clone()))
                .collect(),
        }
    }

    /// Why `branch` must never be `name`'s branch, if it must not: it is base,
    /// the branch checked out in the main worktree, another agent's branch or the default
    /// branch of a remote.
    pub fn why(&self, name: &str, branch: &str) -> Option<String> {
        if branch == self.base {
            return Some(format!("{branch} is the base branch"));
        }
        if self.main_worktree.as_deref() == Some(branch) {
            return Some(format!("{branch} is checked out in the main worktree"));
        }
        if let Some(other) = self.agent_branches.get(branch).filter(|o| *o != name) {
            return Some(format!("{branch} is {other}'s branch"));
        }
        self.remote_defaults
            .iter()
            .any(|default| default == branch)
            .then(|| format!("{branch} is the default branch of a remote"))
    }

    /// Refuse `name`'s branch when it is one the user works on.
    pub fn check(&self, name: &str, branch: &str) -> Result<()> {
        match self.why(name, branch) {
            Some(why) => Err(Error::Refused(format!(
                "{name}'s branch is {branch}, but {why}; an agent works on a branch of its own: give it one with git agents edit {name} --branch NAME"
            ))),
            None => Ok(()),
        }
    }
}

/// The branch checked out in the main worktree, if one is.
fn main_worktree_branch(ws: &Workspace) -> Option<String> {
    crate::git::worktree::checked_out_branch(&ws.git())
        .ok()
        .flatten()
}

/// The branches the remotes' `HEAD`s point at (`refs/remotes/origin/HEAD` → `main`).
fn remote_default_branches(ws: &Workspace) -> Vec<String> {
    let Ok(refs) = ws.repo.references() else {
        return Vec::new();
    };
    let Ok(remotes) = refs.prefixed("refs/remotes/") else {
        return Vec::new();
    };
    remotes
        .flatten()
        .filter(|r| r.name().as_bstr().ends_with(b"/HEAD"))
        .filter_map(|r| match r.target() {
            gix::refs::TargetRef::Symbolic(target) => {
                let target = target.as_bstr().to_string();
                let rest = target.strip_prefix("refs/remotes/")?;
                rest.split_once('/').map(|(_, branch)| branch.to_owned())
            }
            gix::refs::TargetRef::Object(_) => None,
        })
        .collect()
}

/// Refuse to touch `name`'s branch when it is one the user works on.
pub fn check_agent_branch(ws: &Workspace, state: &State, name: &str, branch: &str) -> Result<()> {
    Protected::read(ws, state).check(name, branch)
}
