//! Branches and linked worktrees: listing, creating and removing them with git itself,
//! so hooks, locks and `git worktree` bookkeeping behave exactly as users expect.

use std::path::{Path, PathBuf};

use gix::ObjectId;

use crate::git::{Git, GitError};
use crate::workspace::canonical;

/// One entry of `git worktree list`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorktreeInfo {
    /// Top directory of the worktree.
    pub path: PathBuf,
    /// Its HEAD commit, if it has one.
    pub head: Option<String>,
    /// The branch checked out (short name), if not detached.
    pub branch: Option<String>,
    /// Why it is locked, if it is.
    pub locked: Option<String>,
    /// Why git considers it prunable (its directory is gone), if it does.
    pub prunable: Option<String>,
}

/// The reason `git worktree add` locks a worktree with until its checkout is complete.
pub const INITIALIZING: &str = "initializing";

impl WorktreeInfo {
    /// Whether this is a worktree `git worktree add` was stopped in the middle of making:
    /// still locked as initializing, so its checkout may be incomplete and nobody worked in it.
    pub fn is_half_made(&self) -> bool {
        self.locked.as_deref() == Some(INITIALIZING)
    }
}

/// Every worktree git knows of, the main one first.
pub fn list(git: &Git) -> Result<Vec<WorktreeInfo>, GitError> {
    let text = git.run(["worktree", "list", "--porcelain"])?;
    let mut worktrees = Vec::new();
    let mut current: Option<WorktreeInfo> = None;
    for line in text.lines() {
        if let Some(path) = line.strip_prefix("worktree ") {
            worktrees.extend(current.take());
            current = Some(WorktreeInfo {
                path: canonical(Path::new(path)),
                head: None,
                branch: None,
                locked: None,
                prunable: None,
            });
        } else if let Some(info) = current.as_mut() {
            if let Some(head) = line.strip_prefix("HEAD ") {
                info.head = Some(head.to_owned());
            } else if let Some(branch) = line.strip_prefix("branch ") {
                info.branch = Some(
                    branch
                        .strip_prefix("refs/heads/")
                        .unwrap_or(branch)
                        .to_owned(),
                );
            } else if line == "locked" || line.starts_with("locked ") {
                info.locked = Some(line.strip_prefix("locked ").unwrap_or("").to_owned());
            } else if line == "prunable" || line.starts_with("prunable ") {
                info.prunable = Some(line.strip_prefix("prunable ").unwrap_or("").to_owned());
            }
        }
    }
    worktrees.extend(current);
    Ok(worktrees)
}

/// The worktree at `path`, if git knows one there.
pub fn find_at<'a>(worktrees: &'a [WorktreeInfo], path: &Path) -> Option<&'a WorktreeInfo> {
    let path = canonical(path);
    worktrees.iter().find(|w| w.path == path)
}

/// The worktree that has `branch` checked out, if any.
pub fn find_with_branch<'a>(
    worktrees: &'a [WorktreeInfo],
    branch: &str,
) -> Option<&'a WorktreeInfo> {
    worktrees
        .iter()
        .find(|w| w.branch.as_deref() == Some(branch))
}

/// Check out `branch` into a new linked worktree at `path`, writing files on every core
/// (git's parallel checkout) unless `checkout.workers` is configured.
pub fn add(git: &Git, repo: &gix::Repository, path: &Path, branch: &str) -> Result<(), GitError> {
    let mut args: Vec<&std::ffi::OsStr> = Vec::new();
    if repo.config_snapshot().string("checkout.workers").is_none() {
        args.push("-c".as_ref());
        args.push("checkout.workers=0".as_ref());
    }
    args.push("worktree".as_ref());
    args.push("add".as_ref());
    args.push("--quiet".as_ref());
    args.push(path.as_os_str());
    args.push(branch.as_ref());
    git.run(args).map(drop)
}

/// Remove the linked worktree at `path`; `force` discards uncommitted changes.
pub fn remove(git: &Git, path: &Path, force: bool) -> Result<(), GitError> {
    let mut args: Vec<&std::ffi::OsStr> = vec!["worktree".as_ref(), "remove".as_ref()];
    if force {
        args.push("--force".as_ref());
        args.push("--force".as_ref());
    }
    args.push(path.as_os_str());
    git.run(args).map(drop)
}

/// Whether the worktree at `path` has uncommitted changes or untracked files.
pub fn is_dirty(path: &Path) -> Result<bool, GitError> {
    let out = Git::new(path).run(["status", "--porcelain", "--untracked-files=normal"])?;
    Ok(!out.trim().is_empty())
}

/// The commit `refs/heads/<branch>` points at, if the branch exists.
pub fn branch_tip(repo: &gix::Repository, branch: &str) -> Result<Option<ObjectId>, GitError> {
    let name = format!("refs/heads/{branch}");
    let reference = repo
        .try_find_reference(name.as_str())
        .map_err(|e| GitError::library(&format!("reading {name}"), e))?;
    match reference {
        None => Ok(None),
        Some(mut reference) => {
            if let Some(id) = reference.target().try_id() {
                return Ok(Some(id.to_owned()));
            }
            let id = reference
                .peel_to_id()
                .map_err(|e| GitError::library(&format!("reading {name}"), e))?;
            Ok(Some(id.detach()))
        }
    }
}

/// Create `branch` at `start`, failing if it exists.
pub fn create_branch(git: &Git, branch: &str, start: &str) -> Result<(), GitError> {
    git.run(["branch", "--no-track", branch, start]).map(drop)
}

/// Delete `branch`; `force` deletes it even when git thinks it unmerged.
pub fn delete_branch(git: &Git, branch: &str, force: bool) -> Result<(), GitError> {
    git.run(["branch", if force { "-D" } else { "-d" }, branch])
        .map(drop)
}
