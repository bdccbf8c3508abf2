//! The local forge: pull requests recorded in the state, merged by git-agents itself.
//!
//! A merge is built off to the side — `git merge-tree --write-tree` and `commit-tree`,
//! touching no worktree — then tested in a checkout kept under the git directory,
//! and only when the tests pass is the base branch moved, with compare-and-swap. A
//! conflict, a failing test or a moved base leaves every ref and worktree as it was.

use crate::progress::Progress;
use std::path::PathBuf;

use super::{
    Checks, ForgeError, MergeOutcome, MergeRequest, Mergeable, MergedTestFailure, PrFacts, PrState,
    advance_base, checked_out_clean, merge_tree,
};
use crate::git::Git;
use crate::git::workspace::Workspace;
use crate::git::worktree;
use crate::plan::MergeMethod;
use crate::process::runner;
use crate::state::State;

/// Lines of a failing test run's output quoted in the error.
pub(crate) const TAIL_LINES: usize = 12;

/// The local forge.
#[derive(Debug, Clone, Copy, Default)]
pub struct Local;

impl Local {
    /// The number the next local PR gets: one more than any local PR recorded.
    pub fn next_number(state: &State) -> u64 {
        state
            .agents
            .values()
            .filter_map(|a| a.pr.as_ref())
            .filter(|pr| pr.forge == "local")
            .map(|pr| pr.number)
            .max()
            .unwrap_or(0)
            + 1
    }

    /// How a local PR is shown.
    pub fn url(branch: &str, base: &str) -> String {
        format!("local:{branch}→{base}")
    }

    /// The facts about `branch` as a PR into `base`: its tip, and whether it merges cleanly.
    pub fn facts(&self, ws: &Workspace, branch: &str, base: &str) -> Result<PrFacts, ForgeError> {
        let head = worktree::branch_tip(&ws.repo, branch)?.map(|id| id.to_string());
        let base_tip = worktree::branch_tip(&ws.repo, base)?.map(|id| id.to_string());
        let mergeable = match (&head, &base_tip) {
            (Some(head), Some(base_tip)) => match merge_tree(&ws.git(), base_tip, head, None)? {
                Ok(_) => Mergeable::Clean,
                Err(files) => Mergeable::Conflicts(files),
            },
            (None, _) => Mergeable::Unknown(format!("branch {branch} does not exist")),
            (_, None) => Mergeable::Unknown(format!("base branch {base} does not exist")),
        };
        Ok(PrFacts {
            state: PrState::Open,
            queued: false,
            head,
            draft: false,
            mergeable,
            checks: Checks::None,
            approvals: None,
            changes_requested: Vec::new(),
            merge_commit: None,
        })
    }

    /// Merge `request.branch` into `request.base` as described in the module docs.
    pub fn merge(
        &self,
        ws: &Workspace,
        request: &MergeRequest,
        progress: &mut dyn Progress,
    ) -> Result<MergeOutcome, ForgeError> {
        for stale in stale_scratch(ws) {
            let _ = remove_scratch(&stale);
        }
        let git = ws.git();
        let base = &request.base;
        let old = worktree::branch_tip(&ws.repo, base)?
            .ok_or_else(|| {
                ForgeError::Refused(format!(
                    "base branch {base} does not exist; create it or change the plan's base"
                ))
            })?
            .to_string();
        let tip = worktree::branch_tip(&ws.repo, &request.branch)?.map(|id| id.to_string());
        if tip.as_deref() != Some(request.head.as_str()) {
            return Err(ForgeError::Refused(format!(
                "{} moved while merging (expected {}); check the criteria again",
                request.branch,
                short(&request.head)
            )));
        }
        checked_out_clean(ws, base)?;
        let Some((new, method_note)) = self.lay(&git, &old, request)? else {
            return Ok(MergeOutcome {
                queued: false,
                merged_commit: Some(old),
                already_in_base: true,
                tested_with: None,
                tested_on: None,
                warnings: Vec::new(),
            });
        };
        crate::fault::point(crate::fault::AFTER_MERGE_BUILT);
        let mut tested_on = None;
        let tested_with = match &request.test_command {
            Some(command) if tested_on_head(&git, request, &new, command)? => Some(format!(
                "{} (passed on {}, whose tree the merged result is)",
                command.display(),
                short(&request.head)
            )),
            Some(command) => {
                progress.step(&format!(
                    "testing the merged result of {} with `{}`",
                    request.agent,
                    command.display()
                ));
                let env = scratch_env(request, &new);
                let finished =
                    test_in_scratch_worktree(ws, &new, command, &request.agent, &env, progress)?;
                if !finished.success() {
                    return Err(ForgeError::MergedTestsFailed(Box::new(MergedTestFailure {
                        branch: request.branch.clone(),
                        base: base.clone(),
                        command: command.display(),
                        exit: exit_text(&finished),
                        old: short(&old),
                        tail: finished.tail(TAIL_LINES),
                    })));
                }
                tested_on = Some((
                    new.clone(),
                    u64::try_from(finished.duration.as_millis()).unwrap_or(u64::MAX),
                ));
                Some(command.display())
            }
            None => None,
        };
        advance_base(
            ws,
            base,
            &old,
            &new,
            &format!("git agents merge {}", request.agent),
            request.publish.as_ref(),
        )?;
        crate::fault::point(crate::fault::AFTER_BASE_MOVED);
        Ok(MergeOutcome {
            queued: false,
            merged_commit: Some(new),
            already_in_base: false,
            tested_with,
            tested_on,
            warnings: method_note.into_iter().collect(),
        })
    }

    /// Lay `request`'s work onto commit `onto` the way its merge method says, touching no
    /// ref or worktree: the new commit (with a note when the method had to change), or
    /// `None` when `onto` already holds every change. Whatever the method, the new commit's
    /// tree holds every change of the head: a rebase that would drop some (changes made in
    /// a merge commit, which a replay of the other commits skips) is squashed instead.
    /// A conflict is [`ForgeError::Conflict`].
    pub(crate) fn lay(
        &self,
        git: &Git,
        onto: &str,
        request: &MergeRequest,
    ) -> Result<Option<(String, Option<String>)>, ForgeError> {
        let conflict = |files: Vec<String>| ForgeError::Conflict {
            branch: request.branch.clone(),
            base: request.base.clone(),
            files,
        };
        let tree = merge_tree(git, onto, &request.head, None)?.map_err(conflict)?;
        let onto_tree = git.run(["rev-parse", &format!("{onto}^{{tree}}")])?;
        if tree == onto_tree.trim() {
            return Ok(None);
        }
        let new = match request.method {
            MergeMethod::Squash => commit_tree(git, &tree, &[onto], &request.message)?,
            MergeMethod::Merge => {
                commit_tree(git, &tree, &[onto, &request.head], &request.message)?
            }
            MergeMethod::Rebase => {
                let replayed = replay(git, onto, &request.head).map_err(|e| match e {
                    Replay::Conflict(files) => conflict(files),
                    Replay::Git(e) => ForgeError::Git(e),
                })?;
                let replayed_tree = git.run(["rev-parse", &format!("{replayed}^{{tree}}")])?;
                if replayed_tree.trim() != tree {
                    let squashed = commit_tree(git, &tree, &[onto], &request.message)?;
                    return Ok(Some((
                        squashed,
                        Some(format!(
                            "{} has changes made in a merge commit, which a rebase would drop; squashed it instead",
                            request.branch
                        )),
                    )));
                }
                replayed
            }
        };
        Ok(Some((new, None)))
    }
}

/// Whether the merged result `commit` is, file for file, `request`'s head commit, on which
/// `command` already passed: base had not moved since the branch was made from it, so a
/// second run would test the same tree.
pub(crate) fn tested_on_head(
    git: &Git,
    request: &MergeRequest,
    commit: &str,
    command: &runner::CommandLine,
) -> Result<bool, ForgeError> {
    if request.head_passed.as_deref() != Some(command.display().as_str()) {
        return Ok(false);
    }
    let tree = |commit: &str| git.run(["rev-parse", &format!("{commit}^{{tree}}")]);
    Ok(tree(commit)?.trim() == tree(&request.head)?.trim())
}

/// How a finished command exited, in words: its code, or "by a signal".
pub(crate) fn exit_text(finished: &runner::Finished) -> String {
    finished
        .exit_code
        .map(|c| c.to_string())
        .unwrap_or_else(|| "by a signal".to_owned())
}

/// The environment a test of a merged result runs with, for `request` merged as `commit`.
pub(crate) fn scratch_env(request: &MergeRequest, commit: &str) -> Vec<(&'static str, String)> {
    vec![
        ("GIT_AGENTS_AGENT", request.agent.clone()),
        ("GIT_AGENTS_BRANCH", request.branch.clone()),
        ("GIT_AGENTS_BASE", request.base.clone()),
        ("GIT_AGENTS_COMMIT", commit.to_owned()),
        ("GIT_AGENTS_MERGED_RESULT", "1".to_owned()),
    ]
}

pub(crate) fn short(id: &str) -> String {
    id.chars().take(12).collect()
}

fn commit_tree(
    git: &Git,
    tree: &str,
    parents: &[&str],
    message: &str,
) -> Result<String, ForgeError> {
    let mut args = vec!["commit-tree".to_owned(), tree.to_owned()];
    for parent in parents {
        args.push("-p".to_owned());
        args.push((*parent).to_owned());
    }
    args.push("-m".to_owned());
    args.push(message.to_owned());
    Ok(git.run(&args)?.trim().to_owned())
}

enum Replay {
    Conflict(Vec<String>),
    Git(crate::git::GitError),
}

impl From<crate::git::GitError> for Replay {
    fn from(err: crate::git::GitError) -> Self {
        Replay::Git(err)
    }
}

/// Replay the branch's own commits (merges skipped) onto `onto`, keeping authors and messages.
fn replay(git: &Git, onto: &str, head: &str) -> Result<String, Replay> {
    let range = format!("{onto}..{head}");
    let commits = git.run([
        "rev-list",
        "--reverse",
        "--no-merges",
        "--topo-order",
        &range,
    ])?;
    let mut current = onto.to_owned();
    for commit in commits.lines().map(str::trim).filter(|c| !c.is_empty()) {
        let parent = git.run(["rev-parse", &format!("{commit}^")])?;
        let tree =
            merge_tree(git, &current, commit, Some(parent.trim()))?.map_err(Replay::Conflict)?;
        let info = git.run([
            "log",
            "-1",
            "--format=%an%x00%ae%x00%ad%x00%B",
            "--date=raw",
            commit,
        ])?;
        let mut parts = info.splitn(4, '\0');
        let (name, email, date, message) = (
            parts.next().unwrap_or(""),
            parts.next().unwrap_or(""),
            parts.next().unwrap_or(""),
            parts.next().unwrap_or("").trim_end(),
        );
        let out = duct::cmd(
            "git",
            [
                "commit-tree",
                tree.as_str(),
                "-p",
                current.as_str(),
                "-m",
                message,
            ],
        )
        .dir(git.dir())
        .env("GIT_AUTHOR_NAME", name)
        .env("GIT_AUTHOR_EMAIL", email)
        .env("GIT_AUTHOR_DATE", date)
        .stdin_null()
        .stderr_capture()
        .stdout_capture()
        .unchecked()
        .run()
        .map_err(|e| Replay::Git(crate::git::GitError::Spawn(e)))?;
        if !out.status.success() {
            return Err(Replay::Git(crate::git::GitError::Failed {
                command: "commit-tree".to_owned(),
                message: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
                code: out.status.code(),
            }));
        }
        current = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    }
    Ok(current)
}

/// The directory under the git directory that holds the checkouts merged results are
/// tested in: kept ones, `kept-N`, each taken by one process at a time through its lock
/// file `kept-N.pid` (holding the process id and what it tests); and the temporary
/// `LABEL-PID` ones older versions made.
pub fn scratch_dir(ws: &Workspace) -> PathBuf {
    ws.common_dir.join("agents").join("merge")
}

/// How many kept checkouts there may be: one per merge testing at the same moment.
const MOST_KEPT: usize = 64;

/// A merge checkout nobody is using any more: a temporary one whose maker is gone, or a
/// kept one whose lock a process that is gone still holds (it was killed mid-test).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaleScratch {
    /// What it was testing: an agent's name, or `batch`.
    pub label: String,
    /// The worktree's directory (it may be gone).
    pub path: PathBuf,
    /// Git's record of it under `worktrees/` in the git directory.
    pub admin: PathBuf,
    /// The lock a killed process left on a kept checkout.
    pub lock: Option<PathBuf>,
}

/// Who holds a kept checkout's lock: the process id and what it tests.
fn lock_holder(lock: &std::path::Path) -> Option<(u32, String)> {
    let text = std::fs::read_to_string(lock).ok()?;
    let (pid, label) = text.trim().split_once(' ').unwrap_or((text.trim(), ""));
    Some((pid.parse().ok()?, label.to_owned()))
}

/// Every merge checkout nobody uses any more (see [`StaleScratch`]), found from git's
/// records directly so that a half-written one (which makes `git worktree list` fail)
/// is found too.
pub fn stale_scratch(ws: &Workspace) -> Vec<StaleScratch> {
    let dir = scratch_dir(ws);
    let dir = dir.canonicalize().unwrap_or(dir);
    let mut found = Vec::new();
    let records = std::fs::read_dir(ws.common_dir.join("worktrees"));
    for admin in records.into_iter().flatten().flatten().map(|e| e.path()) {
        let Ok(gitdir) = std::fs::read_to_string(admin.join("gitdir")) else {
            continue;
        };
        let Some(path) = std::path::Path::new(gitdir.trim()).parent() else {
            continue;
        };
        let parent = path
            .parent()
            .map(|p| p.canonicalize().unwrap_or(p.to_path_buf()));
        if parent.as_deref() != Some(dir.as_path()) {
            continue;
        }
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if name.starts_with("kept-") {
            let lock = dir.join(format!("{name}.pid"));
            match lock_holder(&lock) {
                Some((pid, label)) if !crate::process::alive(pid) => found.push(StaleScratch {
                    label: if label.is_empty() { name } else { label },
                    path: path.to_path_buf(),
                    admin,
                    lock: Some(lock),
                }),
                _ => {}
            }
            continue;
        }
        let (label, pid) = match name.rsplit_once('-') {
            Some((label, pid)) => (label.to_owned(), pid.parse::<u32>().ok()),
            None => (name.clone(), None),
        };
        if pid.is_some_and(crate::process::alive) {
            continue;
        }
        found.push(StaleScratch {
            label,
            path: path.to_path_buf(),
            admin,
            lock: None,
        });
    }
    found.sort_by(|a, b| a.path.cmp(&b.path));
    found
}

/// Remove a merge checkout nobody uses: its directory, git's record of it, and the lock
/// a killed process left on it.
pub fn remove_scratch(scratch: &StaleScratch) -> std::io::Result<()> {
    for dir in [&scratch.path, &scratch.admin] {
        match std::fs::remove_dir_all(dir) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
    }
    if let Some(lock) = &scratch.lock {
        match std::fs::remove_file(lock) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
    }
    Ok(())
}

/// A kept merge checkout this process holds; its lock goes when it is dropped.
struct KeptCheckout {
    path: PathBuf,
    lock: PathBuf,
}

impl Drop for KeptCheckout {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.lock);
    }
}

impl KeptCheckout {
    /// Take the first kept checkout no other process holds, recording `label` as what it
    /// tests. A lock whose holder is gone is taken over.
    fn take(dir: &std::path::Path, label: &str) -> Result<KeptCheckout, ForgeError> {
        let io = |what: String, e: std::io::Error| {
            ForgeError::Git(crate::git::GitError::Library(format!("{what}: {e}")))
        };
        crate::fsutil::private_dir(dir)
            .map_err(|e| io(format!("cannot create {}", dir.display()), e))?;
        for slot in 0..MOST_KEPT {
            let lock = dir.join(format!("kept-{slot}.pid"));
            for _attempt in 0..2 {
                let holder = format!("{} {label}\n", std::process::id());
                match crate::fsutil::write_new(&lock, holder.as_bytes()) {
                    Ok(()) => {
                        return Ok(KeptCheckout {
                            path: dir.join(format!("kept-{slot}")),
                            lock,
                        });
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                        let gone =
                            lock_holder(&lock).is_some_and(|(pid, _)| !crate::process::alive(pid));
                        if !gone {
                            break;
                        }
                        let _ = std::fs::remove_file(&lock);
                    }
                    Err(e) => return Err(io(format!("cannot write {}", lock.display()), e)),
                }
            }
        }
        Err(ForgeError::Refused(format!(
            "all {MOST_KEPT} merge checkouts under {} are in use; wait for a merge to finish",
            dir.display()
        )))
    }

    /// Bring the checkout to `commit`: only the paths that differ from what it holds are
    /// written (with git's parallel checkout), files left by an earlier test that git
    /// does not ignore are removed, ignored ones (build output) are kept. A checkout
    /// that cannot be brought there is made again.
    fn bring_to(&self, git: &Git, commit: &str) -> Result<(), ForgeError> {
        if self.path.join(".git").is_file() {
            let here = Git::new(&self.path);
            let updated = here
                .output([
                    "-c",
                    "checkout.workers=0",
                    "checkout",
                    "--quiet",
                    "--force",
                    "--detach",
                    commit,
                ])
                .map(|o| o.success())
                .unwrap_or(false)
                && here
                    .output(["clean", "-ffdq"])
                    .map(|o| o.success())
                    .unwrap_or(false);
            if updated {
                return Ok(());
            }
            let _ = worktree::remove(git, &self.path, true);
        }
        if self.path.exists() {
            let _ = fs_err::remove_dir_all(&self.path);
            let _ = git.output(["worktree", "prune"]);
        }
        git.run([
            "-c".as_ref(),
            "checkout.workers=0".as_ref(),
            "worktree".as_ref(),
            "add".as_ref(),
            "--detach".as_ref(),
            "--quiet".as_ref(),
            self.path.as_os_str(),
            commit.as_ref(),
        ])?;
        Ok(())
    }
}

/// Remove every kept merge checkout no process is using, once nothing is left to merge
/// (they are only a cache of the last merged results); how many went.
pub fn remove_kept_checkouts(ws: &Workspace) -> usize {
    let dir = scratch_dir(ws);
    let git = ws.git();
    let mut removed = 0;
    for slot in 0..MOST_KEPT {
        let path = dir.join(format!("kept-{slot}"));
        let lock = dir.join(format!("kept-{slot}.pid"));
        if !path.exists() {
            continue;
        }
        let holder = format!("{} removing\n", std::process::id());
        if crate::fsutil::write_new(&lock, holder.as_bytes()).is_err() {
            continue;
        }
        let held = KeptCheckout { path, lock };
        if worktree::remove(&git, &held.path, true).is_err() {
            let _ = fs_err::remove_dir_all(&held.path);
            let _ = git.output(["worktree", "prune"]);
        }
        removed += 1;
    }
    removed
}

/// Run the test command on `commit` in a kept checkout under the git directory, brought
/// to that commit by writing only what differs from the last merged result it held, so a
/// merge costs what changed rather than the size of the repository.
pub(crate) fn test_in_scratch_worktree(
    ws: &Workspace,
    commit: &str,
    command: &runner::CommandLine,
    label: &str,
    env: &[(&str, String)],
    progress: &mut dyn Progress,
) -> Result<runner::Finished, ForgeError> {
    let git = ws.git();
    for stale in stale_scratch(ws) {
        let _ = remove_scratch(&stale);
    }
    let checkout = KeptCheckout::take(&scratch_dir(ws), label)?;
    checkout.bring_to(&git, commit)?;
    let result = runner::run(command, &checkout.path, env, None, progress);
    if result.as_ref().is_ok_and(|finished| finished.success()) {
        crate::fault::point(crate::fault::AFTER_MERGE_TESTED);
    }
    drop(checkout);
    Ok(result?)
}
