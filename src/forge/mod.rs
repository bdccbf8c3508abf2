//! Where pull requests live and how they merge: GitHub through `gh`, or the local forge
//! that merges into the local base branch itself.
//!
//! Both answer the same questions — open or adopt a PR, report the facts the merge
//! criteria need, merge — so the operations above never care which one they talk to.

pub mod batch;
pub mod gh;
mod github;
mod local;

pub use github::GitHub;
pub use local::Local;
pub use local::{StaleScratch, remove_kept_checkouts, remove_scratch, scratch_dir, stale_scratch};

use crate::progress::Progress;
use std::path::PathBuf;

use serde::Serialize;

use crate::git::GitError;
use crate::git::workspace::Workspace;
use crate::plan::{ForgeKind, MergeMethod};
use crate::process::runner::CommandLine;

/// What can go wrong talking to a forge or merging.
#[derive(Debug, thiserror::Error)]
pub enum ForgeError {
    /// gh is not installed.
    #[error(
        "the GitHub CLI `gh` is not installed or not on PATH; install it from https://cli.github.com (brew install gh, apt install gh, winget install GitHub.cli), or merge locally with `git config agents.forge local` (or forge = \"local\" in the plan)"
    )]
    GhMissing,
    /// gh has no usable credentials.
    #[error(
        "gh is not logged in to GitHub ({detail}); run `gh auth login` (or set GH_TOKEN) and try again, or merge locally with `git config agents.forge local`"
    )]
    NotAuthenticated { detail: String },
    /// gh does not know a flag or JSON field that git-agents uses.
    #[error(
        "{command}: {message}; this gh is too old, upgrade to gh 2.50 or newer (https://cli.github.com)"
    )]
    GhTooOld { command: String, message: String },
    /// gh failed.
    #[error("{command} failed: {message}")]
    GhFailed { command: String, message: String },
    /// gh printed something that is not what it should.
    #[error("{command} printed output git-agents cannot read: {detail}")]
    Garbage { command: String, detail: String },
    /// gh did not finish in time.
    #[error(
        "{command} did not finish within {seconds} s and was stopped; check your network and `gh auth status`, or raise GIT_AGENTS_GH_TIMEOUT (seconds)"
    )]
    Timeout { command: String, seconds: f64 },
    /// Transient failures did not stop.
    #[error(
        "{command} kept failing after {attempts} attempts over {seconds} s: {message}; GitHub may be having trouble, try again later"
    )]
    GaveUp {
        command: String,
        attempts: u32,
        seconds: u64,
        message: String,
    },
    /// The GitHub API rate limit is used up for longer than git-agents waits.
    #[error("the GitHub API rate limit is used up until {reset}; try again then")]
    RateLimited { reset: String },
    /// The origin is not a GitHub repository git-agents can name.
    #[error("{0}")]
    NotGitHub(String),
    /// The merge would conflict.
    #[error("{branch} conflicts with {base} in {}; merge {base} into {branch} and resolve them, then try again", .files.join(", "))]
    Conflict {
        branch: String,
        base: String,
        files: Vec<String>,
    },
    /// The tests failed on the merged result.
    #[error("{0}")]
    MergedTestsFailed(Box<MergedTestFailure>),
    /// The base branch's worktree has uncommitted changes.
    #[error("{base} is checked out in {} with uncommitted changes; commit or stash them there, then merge again", .path.display())]
    BaseDirty { base: String, path: PathBuf },
    /// The base checkout was left behind by a killed merge, and files of the user's stand
    /// where bringing it up to date would write.
    #[error("{base}'s checkout in {} was left behind by a merge that was killed, and {} of yours {} where the merged files go; move {} away, then run again", .path.display(), .files.join(", "), if .files.len() == 1 { "is" } else { "are" }, if .files.len() == 1 { "it" } else { "them" })]
    BaseLeftBehind {
        base: String,
        path: PathBuf,
        files: Vec<String>,
    },
    /// The base branch moved while merging.
    #[error(
        "{base} moved while merging (it was {expected}); nothing was changed, run the merge again"
    )]
    BaseMoved { base: String, expected: String },
    /// The shared base moved on the remote while the merge was tested.
    #[error(
        "{base} moved on {remote} while the merge was tested; nothing was changed here, run the merge again to judge it on the new {base}"
    )]
    SharedBaseMoved { remote: String, base: String },
    /// The forge refused the merge.
    #[error("{0}")]
    Refused(String),
    /// A git command failed.
    #[error(transparent)]
    Git(#[from] GitError),
    /// Running the test command failed.
    #[error(transparent)]
    Run(#[from] crate::process::runner::RunError),
}

/// Tests that failed on a merge result, which therefore did not land.
#[derive(Debug, Clone)]
pub struct MergedTestFailure {
    /// The branch being merged.
    pub branch: String,
    /// The branch it was merging into.
    pub base: String,
    /// The test command.
    pub command: String,
    /// How it exited.
    pub exit: String,
    /// Where base was left.
    pub old: String,
    /// The end of its output.
    pub tail: String,
}

impl std::fmt::Display for MergedTestFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "tests fail on the result of merging {} into {} (`{}` exited {}); {} was left at {}",
            self.branch, self.base, self.command, self.exit, self.base, self.old
        )?;
        if !self.tail.trim().is_empty() {
            write!(f, "; its output ended with:\n{}", self.tail)?;
        }
        Ok(())
    }
}

/// A pull request to open.
#[derive(Debug, Clone)]
pub struct PrRequest {
    /// The agent.
    pub agent: String,
    /// Its branch.
    pub branch: String,
    /// The branch to merge into.
    pub base: String,
    /// The title.
    pub title: String,
    /// The description.
    pub body: String,
    /// Open it as a draft.
    pub draft: bool,
}

/// A pull request that was opened or found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OpenedPr {
    /// Its number.
    pub number: u64,
    /// Where to see it.
    pub url: String,
    /// Whether it already existed and was adopted.
    pub adopted: bool,
}

/// Whether the PR can merge without conflicts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "detail")]
pub enum Mergeable {
    /// It merges cleanly.
    Clean,
    /// It conflicts in these files (empty when the forge does not say which).
    Conflicts(Vec<String>),
    /// The forge does not know yet, or says why not.
    Unknown(String),
}

/// What CI checks on the PR head say.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "names")]
pub enum Checks {
    /// No checks are reported.
    None,
    /// Every check passed.
    Passing(Vec<String>),
    /// These checks failed.
    Failing(Vec<String>),
    /// These checks have not finished.
    Pending(Vec<String>),
}

/// Where a PR is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PrState {
    /// Open.
    Open,
    /// Closed without merging.
    Closed,
    /// Merged.
    Merged,
}

/// The facts about a PR that the merge criteria need.
#[derive(Debug, Clone, Serialize)]
pub struct PrFacts {
    /// Open, closed or merged.
    pub state: PrState,
    /// Whether GitHub's merge queue (or auto-merge) holds it, to merge once it may.
    pub queued: bool,
    /// The commit the PR would merge.
    pub head: Option<String>,
    /// Whether it is a draft.
    pub draft: bool,
    /// Whether it merges cleanly.
    pub mergeable: Mergeable,
    /// CI checks on the head.
    pub checks: Checks,
    /// Who approved it; `None` when approvals come from git-agents' own notes.
    pub approvals: Option<Vec<String>>,
    /// Who asked for changes.
    pub changes_requested: Vec<String>,
    /// The merge commit, once merged.
    pub merge_commit: Option<String>,
}

/// A merge to make.
#[derive(Debug, Clone)]
pub struct MergeRequest {
    /// The agent.
    pub agent: String,
    /// Its branch.
    pub branch: String,
    /// The branch to merge into.
    pub base: String,
    /// The PR number.
    pub number: u64,
    /// The head commit the criteria were checked on; the merge refuses any other.
    pub head: String,
    /// How to merge.
    pub method: MergeMethod,
    /// The commit message for squash and merge commits: subject, blank line, body.
    pub message: String,
    /// The command that tests the merged result (local forge).
    pub test_command: Option<CommandLine>,
    /// The test command that passed on the head commit, as recorded: a merged result
    /// with the head's very tree is not tested again with it.
    pub head_passed: Option<String>,
    /// Where base is shared with other machines: the merged result goes there first.
    pub publish: Option<Publish>,
}

/// A base branch shared through a remote: a merge lands there (by a push with a lease on
/// what the remote held when last fetched) before base moves here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Publish {
    /// The remote.
    pub remote: String,
    /// The ref that holds the remote's base as last fetched.
    pub tracking: String,
}

/// What a merge did.
#[derive(Debug, Clone, Serialize)]
pub struct MergeOutcome {
    /// The commit on base that holds the work; `None` when the forge only queued the merge.
    pub merged_commit: Option<String>,
    /// Whether the forge's merge queue took the PR, to merge it later.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub queued: bool,
    /// Whether base already held every change, so no commit was made.
    pub already_in_base: bool,
    /// The command that tested the merged result, if one ran.
    pub tested_with: Option<String>,
    /// The merged commit that test ran on and how long it took (milliseconds), when it
    /// ran for this merge (not when the head's own passing run stood for it).
    #[serde(skip)]
    pub tested_on: Option<(String, u64)>,
    /// Things the person should know (a local base not brought along, …).
    pub warnings: Vec<String>,
}

/// A forge.
#[derive(Debug, Clone)]
pub enum Forge {
    /// GitHub through gh.
    GitHub(GitHub),
    /// Merges into the local base branch.
    Local(Local),
}

impl Forge {
    /// The forge for this repository: `configured` when given (see
    /// [`crate::config::forge_kind`]), else GitHub when origin is a GitHub URL and
    /// gh is installed, else local.
    pub fn select(ws: &Workspace, configured: Option<ForgeKind>) -> Result<Forge, ForgeError> {
        match configured {
            Some(ForgeKind::Local) => Ok(Forge::Local(Local)),
            Some(ForgeKind::Github) => Ok(Forge::GitHub(GitHub::new(ws)?)),
            None => {
                if github::origin_slug(ws).is_some() && gh::find().is_ok() {
                    Ok(Forge::GitHub(GitHub::new(ws)?))
                } else {
                    Ok(Forge::Local(Local))
                }
            }
        }
    }

    /// The forge a recorded PR lives on, else [`Forge::select`].
    pub fn for_pr(
        ws: &Workspace,
        configured: Option<ForgeKind>,
        recorded: Option<&str>,
    ) -> Result<Forge, ForgeError> {
        match recorded {
            Some("github") => Forge::select(ws, Some(ForgeKind::Github)),
            Some("local") => Ok(Forge::Local(Local)),
            _ => Forge::select(ws, configured),
        }
    }

    /// `github` or `local`, as recorded in the state.
    pub fn name(&self) -> &'static str {
        match self {
            Forge::GitHub(_) => "github",
            Forge::Local(_) => "local",
        }
    }

    /// Whether approvals come from git-agents' notes rather than the forge.
    pub fn approvals_are_notes(&self) -> bool {
        matches!(self, Forge::Local(_))
    }

    /// The facts the criteria need about `branch` as a PR into `base`: from the PR
    /// numbered `number` on GitHub (none without one), from the branch itself locally.
    pub fn facts(
        &self,
        ws: &Workspace,
        branch: &str,
        base: &str,
        number: Option<u64>,
    ) -> Result<Option<PrFacts>, ForgeError> {
        match (self, number) {
            (Forge::GitHub(github), Some(number)) => github.facts(number).map(Some),
            (Forge::GitHub(_), None) => Ok(None),
            (Forge::Local(local), _) => local.facts(ws, branch, base).map(Some),
        }
    }

    /// Merge as `request` says; `progress` hears what is being done and `output` gets the
    /// output of the test command run on a local merge result.
    pub fn merge(
        &self,
        ws: &Workspace,
        request: &MergeRequest,
        progress: &mut dyn Progress,
    ) -> Result<MergeOutcome, ForgeError> {
        match self {
            Forge::GitHub(github) => github.merge(ws, request),
            Forge::Local(local) => local.merge(ws, request, progress),
        }
    }
}

/// Merge `head` into `base` in memory with `git merge-tree --write-tree`: the merged
/// tree, or the files that conflict.
pub fn merge_tree(
    git: &crate::git::Git,
    base: &str,
    head: &str,
    merge_base: Option<&str>,
) -> Result<Result<String, Vec<String>>, GitError> {
    let mut args = vec![
        "merge-tree".to_owned(),
        "--write-tree".to_owned(),
        "--name-only".to_owned(),
        "--no-messages".to_owned(),
        "-z".to_owned(),
    ];
    if let Some(merge_base) = merge_base {
        args.push(format!("--merge-base={merge_base}"));
    }
    args.push(base.to_owned());
    args.push(head.to_owned());
    let out = git.output(&args)?;
    let mut fields = out.stdout.split('\0');
    let tree = fields.next().unwrap_or("").trim().to_owned();
    match out.code {
        Some(0) => Ok(Ok(tree)),
        Some(1) => {
            let mut files: Vec<String> = Vec::new();
            for field in fields {
                if field.is_empty() {
                    break;
                }
                if !files.iter().any(|f| f == field) {
                    files.push(field.to_owned());
                }
            }
            Ok(Err(files))
        }
        code => Err(GitError::Failed {
            command: "merge-tree".to_owned(),
            message: crate::git::first_meaningful_line(&out.stderr)
                .unwrap_or_else(|| format!("exit status {}", code.unwrap_or(-1))),
            code,
        }),
    }
}

/// Move `base` from `old` to `new` (a descendant) with compare-and-swap, bringing a clean
/// worktree that has it checked out along. A dirty one refuses before anything moves.
pub(crate) fn advance_base(
    ws: &Workspace,
    base: &str,
    old: &str,
    new: &str,
    reason: &str,
    publish: Option<&Publish>,
) -> Result<(), ForgeError> {
    let git = ws.git();
    let checked_out = checked_out_clean(ws, base)?;
    let full = format!("refs/heads/{base}");
    if let Some(publish) = publish {
        let seen = git
            .output([
                "rev-parse",
                "--verify",
                "--quiet",
                publish.tracking.as_str(),
            ])?
            .stdout
            .trim()
            .to_owned();
        let seen = (!seen.is_empty()).then_some(seen);
        match crate::git::remote::push_with_lease(
            &git,
            &publish.remote,
            &full,
            new,
            seen.as_deref(),
        )? {
            crate::git::remote::Pushed::Accepted => {
                // Only a cache of the remote: the next fetch corrects it if this fails.
                let _ = git.output(["update-ref", publish.tracking.as_str(), new]);
            }
            crate::git::remote::Pushed::Refused(_) => {
                return Err(ForgeError::SharedBaseMoved {
                    remote: publish.remote.clone(),
                    base: base.to_owned(),
                });
            }
        }
    }
    let moved = git.output(["update-ref", "-m", reason, full.as_str(), new, old])?;
    if !moved.success() {
        return Err(ForgeError::BaseMoved {
            base: base.to_owned(),
            expected: old.to_owned(),
        });
    }
    if let Some(path) = checked_out {
        crate::fault::point(crate::fault::BEFORE_CHECKOUT_UPDATE);
        let updated = crate::git::Git::new(&path).output(["read-tree", "-m", "-u", old, new])?;
        if !updated.success() {
            let _ = git.output(["update-ref", "-m", "undo", full.as_str(), old, new]);
            return Err(ForgeError::BaseDirty {
                base: base.to_owned(),
                path,
            });
        }
    }
    Ok(())
}

/// A base checkout that a killed merge left behind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeftBehind {
    /// Base's commit before the merge: what the checkout's index still holds.
    pub old: String,
    /// Base's tip now.
    pub new: String,
    /// Files not tracked in the checkout that stand where the update would write other
    /// content: the user's own, never overwritten.
    pub in_the_way: Vec<String>,
}

/// When `base`'s checkout in `checkout` was left behind by a process killed between
/// moving base and updating the checkout: base's last move was made by git-agents, the
/// checkout's index is base's previous commit, and every file that differs from the
/// index already has its content in base's tip (an update cut off half-way).
pub(crate) fn left_behind(checkout: &crate::git::Git, base: &str) -> Option<LeftBehind> {
    let full = format!("refs/heads/{base}");
    let last_move = checkout
        .run(["reflog", "show", "-n1", "--format=%gs", full.as_str()])
        .ok()?;
    if !last_move.trim().starts_with("git agents") {
        return None;
    }
    let old_tree = checkout
        .run([
            "rev-parse",
            "--verify",
            "-q",
            &format!("{full}@{{1}}^{{tree}}"),
        ])
        .ok()?;
    let index = checkout.run(["write-tree"]).ok()?;
    if index.trim() != old_tree.trim() {
        return None;
    }
    let old = checkout
        .run(["rev-parse", "--verify", "-q", &format!("{full}@{{1}}")])
        .ok()?;
    let new = checkout
        .run(["rev-parse", "--verify", "-q", full.as_str()])
        .ok()?;
    let (old, new) = (old.trim().to_owned(), new.trim().to_owned());
    if old == new {
        return None;
    }
    let content_in_new = |file: &str| -> Option<bool> {
        let now = checkout.run(["hash-object", "--", file]).ok()?;
        let wanted = checkout
            .run(["rev-parse", "--verify", "-q", &format!("{new}:{file}")])
            .ok();
        Some(wanted.as_deref().map(str::trim) == Some(now.trim()))
    };
    let changed = checkout.run(["diff-files", "--name-only", "-z"]).ok()?;
    for file in changed.split('\0').filter(|f| !f.is_empty()) {
        let present = checkout.dir().join(file).exists();
        let matches = if present {
            content_in_new(file)?
        } else {
            checkout
                .run(["rev-parse", "--verify", "-q", &format!("{new}:{file}")])
                .is_err()
        };
        if !matches {
            return None;
        }
    }
    // Files the merge adds: one already on disk is either written by the cut-off update
    // (same content) or the user's own, which is never overwritten.
    let added = checkout
        .run([
            "diff",
            "--name-only",
            "-z",
            "--diff-filter=A",
            old.as_str(),
            new.as_str(),
        ])
        .ok()?;
    let mut in_the_way = Vec::new();
    for file in added.split('\0').filter(|f| !f.is_empty()) {
        let path = checkout.dir().join(file);
        if path.is_dir() || (path.exists() && !content_in_new(file)?) {
            in_the_way.push(file.to_owned());
        }
    }
    Some(LeftBehind {
        old,
        new,
        in_the_way,
    })
}

/// Remove the index lock of the worktree `checkout` once it is stale, as a process killed
/// while updating that worktree leaves it.
fn clear_index_lock(ws: &Workspace, checkout: &crate::git::Git) {
    let Ok(git_dir) = checkout.run(["rev-parse", "--absolute-git-dir"]) else {
        return;
    };
    let git_dir = PathBuf::from(git_dir.trim());
    let common = ws
        .common_dir
        .canonicalize()
        .unwrap_or(ws.common_dir.clone());
    let git_dir = git_dir.canonicalize().unwrap_or(git_dir);
    let Ok(relative) = git_dir.strip_prefix(&common) else {
        return;
    };
    let name = relative.join("index");
    let _ = crate::git::cas::wait_for_lock(&ws.repo, &name.to_string_lossy());
}

/// The worktree that has `base` checked out, after checking it has no uncommitted
/// changes to tracked files.
pub(crate) fn checked_out_clean(ws: &Workspace, base: &str) -> Result<Option<PathBuf>, ForgeError> {
    let worktrees = crate::git::worktree::list_repairing(&ws.git())?;
    let Some(found) = crate::git::worktree::find_with_branch(&worktrees, base) else {
        return Ok(None);
    };
    let path = found.path.clone();
    let checkout = crate::git::Git::new(&path);
    let status_of = |checkout: &crate::git::Git| {
        checkout.run([
            "status",
            "--porcelain",
            "--untracked-files=no",
            "--ignore-submodules=none",
        ])
    };
    clear_index_lock(ws, &checkout);
    let mut status = status_of(&checkout)?;
    if !status.trim().is_empty()
        && let Some(behind) = left_behind(&checkout, base)
    {
        if !behind.in_the_way.is_empty() {
            return Err(ForgeError::BaseLeftBehind {
                base: base.to_owned(),
                path,
                files: behind.in_the_way,
            });
        }
        if checkout
            .output(["read-tree", "--reset", "-u", behind.new.as_str()])?
            .success()
        {
            status = status_of(&checkout)?;
        }
    }
    if status.trim().is_empty() {
        Ok(Some(path))
    } else {
        Err(ForgeError::BaseDirty {
            base: base.to_owned(),
            path,
        })
    }
}
