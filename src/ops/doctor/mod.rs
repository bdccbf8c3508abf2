//! `doctor`: find drift between the state, the agents' branches and their worktrees, and
//! repair what can be repaired without guessing.
//!
//! A [`Survey`] reads everything once: the state, `git worktree list` and the base tip.
//! Each check in [`CHECKS`] looks at the survey and returns the [`Problem`]s it sees,
//! each with at most one [`Repair`] (a problem without one needs a person, and says
//! what to do). Repairs are single steps; [`repair`] applies them and surveys again, so
//! a chain such as "unlock, drop the stale record, check the branch out again" unfolds
//! over a few rounds without any check knowing about the others.
//!
//! A new kind of drift is one more function in [`CHECKS`], and a new way of fixing
//! things one more [`Repair`]. [`forge_merged`] is one: it asks the forge about every
//! agent whose pull request the state still calls open.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use gix::ObjectId;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::forge::{Forge, PrState};
use crate::git::Git;
use crate::git::workspace::Workspace;
use crate::git::worktree::{self, WorktreeInfo};
use crate::process::launcher::record::{self, Condition};
use crate::state::{self, AgentState, Note, State, Status};

/// How many survey-and-repair rounds `repair` runs at most.
pub const MAX_ROUNDS: usize = 6;

/// Everything the checks look at, read once.
pub struct Survey<'a> {
    /// The repository.
    pub ws: &'a Workspace,
    /// The state.
    pub state: State,
    /// Every worktree git knows of.
    pub worktrees: Vec<WorktreeInfo>,
    /// The base branch's tip, if the branch exists.
    pub base_head: Option<ObjectId>,
}

impl<'a> Survey<'a> {
    /// Read the state, the worktrees and the base tip.
    pub fn take(ws: &'a Workspace) -> Result<Survey<'a>> {
        let state = State::load(&ws.repo)?;
        let worktrees = worktree::list(&ws.git())?;
        let base_head = worktree::branch_tip(&ws.repo, state.base())?;
        Ok(Survey {
            ws,
            state,
            worktrees,
            base_head,
        })
    }

    /// A git runner in the main worktree.
    pub fn git(&self) -> Git {
        self.ws.git()
    }
}

/// A check: the problems of one kind that a survey shows.
pub type Check = fn(&Survey) -> Result<Vec<Problem>>;

/// Every check `doctor` runs, in the order their problems are listed and repaired.
pub const CHECKS: &[Check] = &[
    lock_files,
    stale_locks,
    prunable_worktrees,
    missing_branches,
    merged_outside,
    forge_merged,
    missing_worktrees,
    wrong_branches,
    scratch_worktrees,
    run_records,
    stopped_maintenance,
    base_checkout_behind,
];

/// The kinds of drift.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    /// A git lock file (`….lock`) left in the git directory.
    LockFile,
    /// A worktree lock whose holder is gone.
    StaleLock,
    /// A worktree record whose directory was deleted by hand.
    WorktreePrunable,
    /// An active agent's branch is gone.
    BranchMissing,
    /// An active agent's work is in base, but the state does not say merged.
    MergedOutside,
    /// An active agent has no worktree.
    WorktreeMissing,
    /// An active agent's worktree has another branch checked out.
    WrongBranch,
    /// The forge says an agent's pull request is merged, but the state says it is open.
    ForgeMerged,
    /// The forge says an agent's pull request was closed without merging.
    ForgeClosed,
    /// The forge could not be asked about an agent's pull request.
    ForgeUnreachable,
    /// A temporary worktree for testing a merged result, left by a merge that was killed.
    ScratchWorktree,
    /// An agent's command is still running, but the `run` that started it is gone.
    OrphanCommand,
    /// A record of an agent's command that has ended, which no `run` will handle.
    StaleRunRecord,
    /// Git's automatic maintenance, which packs the objects every write adds, has stopped.
    MaintenanceStopped,
    /// The base branch's checkout still holds the files of base's previous commit: a merge
    /// was killed after moving base and before updating the checkout.
    BaseCheckoutBehind,
}

/// One step that repairs a problem.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Repair {
    /// `git worktree unlock PATH`.
    Unlock {
        /// The worktree.
        path: PathBuf,
    },
    /// Drop the record of a worktree whose directory is gone.
    ForgetWorktree {
        /// The worktree.
        path: PathBuf,
    },
    /// Check `branch` out into a new worktree at `path`, provisioned like a spawned one.
    AddWorktree {
        /// The agent it is for.
        agent: String,
        /// Where.
        path: PathBuf,
        /// Which branch.
        branch: String,
    },
    /// Move a worktree to where the plan expects it.
    MoveWorktree {
        /// Where it is.
        from: PathBuf,
        /// Where the plan puts it.
        to: PathBuf,
    },
    /// Create `branch` at commit `at`.
    CreateBranch {
        /// The branch.
        branch: String,
        /// The commit.
        at: String,
    },
    /// Switch the clean worktree at `path` to `branch`.
    SwitchBranch {
        /// The worktree.
        path: PathBuf,
        /// The branch.
        branch: String,
    },
    /// Record in the state that the agent's work is merged into base.
    MarkMerged {
        /// The agent.
        agent: String,
        /// The base commit that holds its work.
        commit: String,
        /// The branch's last commit, when known.
        head: Option<String>,
    },
    /// Remove a temporary merge worktree's directory and git's record of it.
    RemoveScratch {
        /// The worktree.
        path: PathBuf,
        /// Git's record of it.
        record: PathBuf,
    },
    /// Put the agent back to planned, so `spawn` starts it afresh.
    ResetToPlanned {
        /// The agent.
        agent: String,
        /// Why, kept as a note on the agent.
        reason: String,
    },
    /// Remove the record (and exit status) of an agent's command that is no longer running.
    RemoveRunRecord {
        /// The agent.
        agent: String,
        /// The record.
        path: PathBuf,
    },
    /// Remove a lock file no running process holds, once it is stale.
    RemoveLock {
        /// The lock file.
        path: PathBuf,
    },
    /// Bring the base checkout up to base's tip, refusing over any file of the user's.
    UpdateBaseCheckout {
        /// The base branch.
        base: String,
        /// Its checkout.
        path: PathBuf,
    },
}

impl Repair {
    /// What the repair will do, in a few words.
    pub fn describe(&self) -> String {
        match self {
            Repair::Unlock { path } => format!("unlock worktree {}", path.display()),
            Repair::ForgetWorktree { path } => {
                format!("drop the record of deleted worktree {}", path.display())
            }
            Repair::AddWorktree { path, branch, .. } => {
                format!("check {branch} out again into {}", path.display())
            }
            Repair::MoveWorktree { from, to } => {
                format!("move worktree {} to {}", from.display(), to.display())
            }
            Repair::CreateBranch { branch, at } => format!(
                "re-create branch {branch} at {}, the head the state recorded",
                short(at)
            ),
            Repair::SwitchBranch { path, branch } => {
                format!("switch {} back to {branch}", path.display())
            }
            Repair::MarkMerged { agent, commit, .. } => {
                format!("mark {agent} merged (its work is in {})", short(commit))
            }
            Repair::RemoveScratch { path, .. } => {
                format!("remove temporary merge worktree {}", path.display())
            }
            Repair::ResetToPlanned { agent, .. } => {
                format!("reset {agent} to planned, so spawn starts it afresh")
            }
            Repair::RemoveRunRecord { path, .. } => {
                format!("remove the stale record {}", path.display())
            }
            Repair::RemoveLock { path } => format!("remove the lock file {}", path.display()),
            Repair::UpdateBaseCheckout { base, path } => {
                format!("bring {base}'s checkout in {} up to date", path.display())
            }
        }
    }

    /// What the repair did, in a few words.
    pub fn done(&self) -> String {
        match self {
            Repair::Unlock { path } => format!("unlocked worktree {}", path.display()),
            Repair::ForgetWorktree { path } => {
                format!("dropped the record of deleted worktree {}", path.display())
            }
            Repair::AddWorktree { path, branch, .. } => {
                format!("checked {branch} out again into {}", path.display())
            }
            Repair::MoveWorktree { from, to } => {
                format!("moved worktree {} to {}", from.display(), to.display())
            }
            Repair::CreateBranch { branch, at } => format!(
                "re-created branch {branch} at {}, the head the state recorded",
                short(at)
            ),
            Repair::SwitchBranch { path, branch } => {
                format!("switched {} back to {branch}", path.display())
            }
            Repair::MarkMerged { agent, commit, .. } => {
                format!("marked {agent} merged (its work is in {})", short(commit))
            }
            Repair::RemoveScratch { path, .. } => {
                format!("removed temporary merge worktree {}", path.display())
            }
            Repair::ResetToPlanned { agent, .. } => {
                format!("reset {agent} to planned; spawn it again to start over")
            }
            Repair::RemoveRunRecord { path, .. } => {
                format!("removed the stale record {}", path.display())
            }
            Repair::RemoveLock { path } => format!("lock file {} is gone", path.display()),
            Repair::UpdateBaseCheckout { base, path } => {
                format!("{base}'s checkout in {} is up to date", path.display())
            }
        }
    }

    /// Carry the repair out; `progress` hears about the long parts (a checkout, provisioning).
    pub fn apply(&self, ws: &Workspace, progress: &mut dyn FnMut(&str)) -> Result<()> {
        let git = ws.git();
        match self {
            Repair::Unlock { path } => {
                git.run(["worktree".as_ref(), "unlock".as_ref(), path.as_os_str()])?;
            }
            Repair::ForgetWorktree { path } => {
                if path.exists() {
                    return Err(Error::Refused(format!(
                        "{} exists again; not dropping its record",
                        path.display()
                    )));
                }
                worktree::remove(&git, path, true)?;
            }
            Repair::AddWorktree {
                agent,
                path,
                branch,
            } => {
                let state = State::load(&ws.repo)?;
                crate::ops::check_worktree_path(ws, &state.plan, agent, path)?;
                let shown = path.strip_prefix(&ws.main_root).unwrap_or(path);
                progress(&format!("checking out {branch} into {}", shown.display()));
                worktree::add(&git, &ws.repo, path, branch)?;
                crate::ops::provision::provision(ws, agent, true, progress).map_err(|err| {
                    Error::External(format!(
                        "the worktree is back, but provisioning it failed: {err}"
                    ))
                })?;
            }
            Repair::MoveWorktree { from, to } => {
                let state = State::load(&ws.repo)?;
                crate::ops::check_worktree_path(ws, &state.plan, "the agent", to)?;
                if let Some(parent) = to.parent() {
                    fs_err::create_dir_all(parent).map_err(|e| {
                        Error::Usage(format!("cannot create {}: {e}", parent.display()))
                    })?;
                }
                git.run([
                    "worktree".as_ref(),
                    "move".as_ref(),
                    from.as_os_str(),
                    to.as_os_str(),
                ])?;
            }
            Repair::CreateBranch { branch, at } => worktree::create_branch(&git, branch, at)?,
            Repair::SwitchBranch { path, branch } => {
                Git::new(path).run(["switch", "--quiet", branch])?;
            }
            Repair::MarkMerged {
                agent,
                commit,
                head,
            } => {
                let note = self.done();
                update_agent(ws, agent, &format!("doctor: mark {agent} merged"), |doc| {
                    if !doc.status.is_active() {
                        return None;
                    }
                    doc.status = Status::Merged;
                    doc.merged_commit = Some(commit.clone());
                    if head.is_some() {
                        doc.head = head.clone();
                    }
                    doc.failure = None;
                    Some(note.clone())
                })?;
            }
            Repair::RemoveScratch { path, record } => {
                let stale = crate::forge::StaleScratch {
                    label: String::new(),
                    path: path.clone(),
                    admin: record.clone(),
                };
                crate::forge::remove_scratch(&stale).map_err(|e| {
                    Error::External(format!("cannot remove {}: {e}", path.display()))
                })?;
            }
            Repair::ResetToPlanned { agent, reason } => {
                update_agent(ws, agent, &format!("doctor: reset {agent}"), |doc| {
                    if !doc.status.is_active() {
                        return None;
                    }
                    doc.status = Status::Planned;
                    doc.head = None;
                    doc.base_commit = None;
                    doc.current_task = None;
                    doc.failure = None;
                    Some(format!("reset to planned: {reason}"))
                })?;
            }
            Repair::RemoveRunRecord { agent, .. } => {
                let dir = record::dir(&ws.common_dir);
                if let Ok(Some(found)) = record::RunRecord::read(&dir, agent)
                    && found.alive()
                {
                    return Err(Error::Refused(format!(
                        "{agent}'s command (pid {}) is running; not removing its record",
                        found.pid
                    )));
                }
                record::remove(&dir, agent).map_err(|e| Error::External(e.to_string()))?;
            }
            Repair::RemoveLock { path } => {
                let stale_after = crate::git::cas::stale_lock_age(&ws.repo);
                crate::git::locks::wait_for(
                    path,
                    stale_after,
                    &crate::git::locks::locked_name(path),
                )
                .map_err(|e| Error::External(e.to_string()))?;
            }
            Repair::UpdateBaseCheckout { base, .. } => {
                crate::forge::checked_out_clean(ws, base)?;
            }
        }
        Ok(())
    }
}

/// Change one agent's document and leave a note saying why; `change` returns the note,
/// or `None` when the document needs no change any more.
fn update_agent(
    ws: &Workspace,
    agent: &str,
    message: &str,
    change: impl Fn(&mut AgentState) -> Option<String>,
) -> Result<()> {
    let by = crate::git::cas::identity(&ws.repo)?;
    let at = crate::time::now_rfc3339();
    state::update::<_, Error>(&ws.repo, |state| {
        let doc = state
            .agent_mut(agent)
            .ok_or_else(|| Error::Usage(format!("{agent} was removed from the plan meanwhile")))?;
        if let Some(text) = change(doc) {
            doc.notes.push(Note {
                at: at.clone(),
                by: by.clone(),
                text: format!("doctor: {text}"),
            });
        }
        Ok((message.to_owned(), ()))
    })?;
    Ok(())
}

/// One piece of drift.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// What kind of drift.
    pub kind: ProblemKind,
    /// The agent it concerns.
    pub agent: String,
    /// What is wrong, in a sentence.
    pub message: String,
    /// The step that repairs it; `None` when a person has to decide.
    pub repair: Option<Repair>,
    /// What a person should do when there is no automatic repair.
    pub advice: Option<String>,
}

impl Problem {
    fn fixable(kind: ProblemKind, agent: &str, message: String, repair: Repair) -> Problem {
        Problem {
            kind,
            agent: agent.to_owned(),
            message,
            repair: Some(repair),
            advice: None,
        }
    }

    fn manual(kind: ProblemKind, agent: &str, message: String, advice: String) -> Problem {
        Problem {
            kind,
            agent: agent.to_owned(),
            message,
            repair: None,
            advice: Some(advice),
        }
    }
}

/// What `doctor --json` prints without `--fix`.
#[derive(Debug, Serialize)]
pub struct Diagnosis<'a> {
    /// Every problem found, in the order of the checks.
    pub problems: &'a [Problem],
}

/// Every problem the checks find now.
pub fn diagnose(ws: &Workspace) -> Result<Vec<Problem>> {
    let survey = Survey::take(ws)?;
    let mut problems = Vec::new();
    for check in CHECKS {
        problems.extend(check(&survey)?);
    }
    Ok(problems)
}

/// A repair that was carried out, or tried and failed.
#[derive(Debug, Clone, Serialize)]
pub struct Attempt {
    /// The problem.
    pub problem: Problem,
    /// What was done.
    pub action: String,
    /// Why it failed, if it did.
    pub error: Option<String>,
}

/// What `repair` did.
#[derive(Debug, Clone, Serialize)]
pub struct RepairReport {
    /// The problems found before repairing.
    pub found: Vec<Problem>,
    /// Every repair tried, in order.
    pub attempts: Vec<Attempt>,
    /// The problems left afterwards.
    pub remaining: Vec<Problem>,
}

/// Repair what can be repaired, surveying again after each round, until nothing
/// repairable is left (or [`MAX_ROUNDS`] have passed). `progress` hears each repair.
pub fn repair(ws: &Workspace, progress: &mut dyn FnMut(&str)) -> Result<RepairReport> {
    // Repairs check worktrees out where the plan says and run its setup command.
    if let Some(state) = State::read(&ws.repo)? {
        crate::ops::trust::require(ws, &state)?;
    }
    let found = diagnose(ws)?;
    let mut problems = found.clone();
    let mut attempts: Vec<Attempt> = Vec::new();
    let mut tried: HashSet<Repair> = HashSet::new();
    for _ in 0..MAX_ROUNDS {
        let mut failed_agents: HashSet<String> = HashSet::new();
        let mut acted = false;
        for problem in &problems {
            let Some(repair) = &problem.repair else {
                continue;
            };
            if failed_agents.contains(&problem.agent) || !tried.insert(repair.clone()) {
                continue;
            }
            acted = true;
            let error = repair.apply(ws, progress).err().map(|e| e.to_string());
            let action = match error {
                None => repair.done(),
                Some(_) => repair.describe(),
            };
            match &error {
                None => progress(&action),
                Some(error) => {
                    progress(&format!("could not repair {}: {error}", problem.agent));
                    failed_agents.insert(problem.agent.clone());
                }
            }
            attempts.push(Attempt {
                problem: problem.clone(),
                action,
                error,
            });
        }
        problems = diagnose(ws)?;
        if !acted {
            break;
        }
    }
    Ok(RepairReport {
        found,
        attempts,
        remaining: problems,
    })
}

/// What lock-file problems are reported under, in place of an agent's name.
pub const REPOSITORY: &str = "repository";

/// Lock files git left in the git directory: each with its age and whether a running
/// process has it open. One no process holds is removed (once stale); one a live process
/// holds is left to it.
pub fn lock_files(survey: &Survey) -> Result<Vec<Problem>> {
    let mut problems = Vec::new();
    for path in crate::git::locks::find_all(&survey.ws.common_dir) {
        let Some(info) = crate::git::locks::LockInfo::read(&path) else {
            continue;
        };
        let what = format!(
            "lock file {} ({} s old, on {})",
            path.display(),
            info.age.as_secs(),
            crate::git::locks::locked_name(&path)
        );
        let holder = info.holders.as_ref().and_then(|h| h.first());
        problems.push(match (holder, &info.holders) {
            (Some(holder), _) => Problem::manual(
                ProblemKind::LockFile,
                REPOSITORY,
                format!("{what} is held open by {holder}, which is still running"),
                format!(
                    "let {holder} finish; if it is stuck, stop it with `kill {}`, then run git agents doctor --fix",
                    holder.pid
                ),
            ),
            (None, Some(_)) => Problem::fixable(
                ProblemKind::LockFile,
                REPOSITORY,
                format!(
                    "{what} is held by no running process: a git command was killed while holding it"
                ),
                Repair::RemoveLock { path },
            ),
            (None, None) => Problem::fixable(
                ProblemKind::LockFile,
                REPOSITORY,
                format!(
                    "{what} is left over unless a git command is running (which processes hold it cannot be checked here)"
                ),
                Repair::RemoveLock { path },
            ),
        });
    }
    Ok(problems)
}

/// Locks on agents' worktrees whose directory is gone or whose holder is no longer running.
pub fn stale_locks(survey: &Survey) -> Result<Vec<Problem>> {
    let mut problems = Vec::new();
    for spec in &survey.state.plan.agents {
        let path = survey.ws.resolve(&spec.worktree);
        for info in agent_worktrees(survey, &path, &spec.branch) {
            let Some(reason) = &info.locked else {
                continue;
            };
            let why = if !info.path.exists() {
                "its directory is gone".to_owned()
            } else if let Some(pid) = pid_in(reason).filter(|&pid| !crate::process::alive(pid)) {
                format!("process {pid}, which held it, is no longer running")
            } else {
                continue;
            };
            problems.push(Problem::fixable(
                ProblemKind::StaleLock,
                &spec.name,
                format!(
                    "worktree {} is locked ({}) but {why}",
                    info.path.display(),
                    if reason.is_empty() {
                        "no reason given"
                    } else {
                        reason
                    }
                ),
                Repair::Unlock {
                    path: info.path.clone(),
                },
            ));
        }
    }
    Ok(problems)
}

/// Agents' worktrees deleted by hand, which git still records.
pub fn prunable_worktrees(survey: &Survey) -> Result<Vec<Problem>> {
    let mut problems = Vec::new();
    for spec in &survey.state.plan.agents {
        let path = survey.ws.resolve(&spec.worktree);
        for info in agent_worktrees(survey, &path, &spec.branch) {
            if info.prunable.is_none() || info.locked.is_some() {
                continue;
            }
            problems.push(Problem::fixable(
                ProblemKind::WorktreePrunable,
                &spec.name,
                format!(
                    "worktree {} was deleted without `git worktree remove`",
                    info.path.display()
                ),
                Repair::ForgetWorktree {
                    path: info.path.clone(),
                },
            ));
        }
    }
    Ok(problems)
}

/// Active agents whose branch is gone: merged and deleted, or deleted by mistake.
pub fn missing_branches(survey: &Survey) -> Result<Vec<Problem>> {
    let git = survey.git();
    let mut problems = Vec::new();
    for (spec, doc) in active_agents(&survey.state) {
        if worktree::branch_tip(&survey.ws.repo, &spec.branch)?.is_some() {
            continue;
        }
        let recorded = doc.head.as_deref().filter(|head| commit_exists(&git, head));
        let message = format!(
            "{} is {} but its branch {} is gone",
            spec.name, doc.status, spec.branch
        );
        let problem = match (recorded, survey.base_head) {
            (Some(head), Some(base))
                if has_own_work(&git, doc, head) && is_ancestor(&git, head, &base.to_string()) =>
            {
                Problem::fixable(
                    ProblemKind::MergedOutside,
                    &spec.name,
                    format!(
                        "{message}; its last recorded head is in {}",
                        survey.state.base()
                    ),
                    Repair::MarkMerged {
                        agent: spec.name.clone(),
                        commit: base.to_string(),
                        head: Some(head.to_owned()),
                    },
                )
            }
            (Some(head), _) => Problem::fixable(
                ProblemKind::BranchMissing,
                &spec.name,
                message,
                Repair::CreateBranch {
                    branch: spec.branch.clone(),
                    at: head.to_owned(),
                },
            ),
            (None, _) => Problem::fixable(
                ProblemKind::BranchMissing,
                &spec.name,
                format!("{message}, and no commit of it is known"),
                Repair::ResetToPlanned {
                    agent: spec.name.clone(),
                    reason: format!("branch {} was deleted outside git-agents", spec.branch),
                },
            ),
        };
        problems.push(problem);
    }
    Ok(problems)
}

/// Active agents whose branch is already in base: its tip is an ancestor of base, or
/// merging it into base would change nothing (a squash or rebase merge made elsewhere).
pub fn merged_outside(survey: &Survey) -> Result<Vec<Problem>> {
    let Some(base) = survey.base_head else {
        return Ok(Vec::new());
    };
    let base = base.to_string();
    let git = survey.git();
    let mut problems = Vec::new();
    for (spec, doc) in active_agents(&survey.state) {
        if has_open_pr(doc) {
            continue;
        }
        let Some(tip) = worktree::branch_tip(&survey.ws.repo, &spec.branch)? else {
            continue;
        };
        let tip = tip.to_string();
        if !has_own_work(&git, doc, &tip) {
            continue;
        }
        let Some(how) = in_base(&git, &base, &tip) else {
            continue;
        };
        problems.push(Problem::fixable(
            ProblemKind::MergedOutside,
            &spec.name,
            format!(
                "{} is {} but {how} {}: it was merged outside git-agents",
                spec.name,
                doc.status,
                survey.state.base()
            ),
            Repair::MarkMerged {
                agent: spec.name.clone(),
                commit: base.clone(),
                head: Some(tip),
            },
        ));
    }
    Ok(problems)
}

/// How far back along base's first-parent history [`forge_merged`] looks for the
/// commit that brought an agent's work in.
const LANDING_SEARCH: usize = 200;

/// Agents whose pull request the state calls open but the forge has merged (or closed).
/// GitHub is asked with `gh pr view`; on the local forge (and for a GitHub PR still open
/// there) the work is looked for in base: the recorded merged commit, else the commit
/// on base that brought exactly the branch's changes in (a squash, merge or rebase made
/// outside git-agents or interrupted before the state was written), else base itself
/// when it holds every change.
pub fn forge_merged(survey: &Survey) -> Result<Vec<Problem>> {
    let git = survey.git();
    let base_name = survey.state.base();
    let base = survey.base_head.map(|b| b.to_string());
    let mut problems = Vec::new();
    for (spec, doc) in active_agents(&survey.state) {
        let Some(pr) = doc.pr.as_ref().filter(|_| has_open_pr(doc)) else {
            continue;
        };
        let tip = worktree::branch_tip(&survey.ws.repo, &spec.branch)?.map(|t| t.to_string());
        let mark = |commit: String| Repair::MarkMerged {
            agent: spec.name.clone(),
            commit,
            head: tip.clone(),
        };
        if pr.forge == "github" {
            match github_pr_state(survey, pr.number) {
                Ok((PrState::Merged, commit)) => {
                    let commit = commit.or_else(|| tip.clone()).or_else(|| base.clone());
                    let Some(commit) = commit else {
                        continue;
                    };
                    problems.push(Problem::fixable(
                        ProblemKind::ForgeMerged,
                        &spec.name,
                        format!(
                            "PR #{} of {} is merged on GitHub (as {}) but the state says {}",
                            pr.number,
                            spec.name,
                            short(&commit),
                            doc.status
                        ),
                        mark(commit),
                    ));
                    continue;
                }
                Ok((PrState::Closed, _)) => {
                    problems.push(Problem::manual(
                        ProblemKind::ForgeClosed,
                        &spec.name,
                        format!(
                            "PR #{} of {} was closed on GitHub without merging but the state says {}",
                            pr.number, spec.name, doc.status
                        ),
                        format!(
                            "reopen PR #{} on GitHub, open a new one with git agents pr {}, or drop the work with git agents finish {} --abandon",
                            pr.number, spec.name, spec.name
                        ),
                    ));
                    continue;
                }
                Ok((PrState::Open, _)) => {}
                Err(err) => {
                    problems.push(Problem::manual(
                        ProblemKind::ForgeUnreachable,
                        &spec.name,
                        format!(
                            "cannot ask GitHub whether PR #{} of {} is merged: {err}",
                            pr.number, spec.name
                        ),
                        "fix access to GitHub, then run git agents doctor again".to_owned(),
                    ));
                    continue;
                }
            }
        }
        let (Some(base), Some(tip)) = (base.as_deref(), tip.as_deref()) else {
            continue;
        };
        if !has_own_work(&git, doc, tip) {
            continue;
        }
        let recorded = doc
            .merged_commit
            .as_deref()
            .filter(|c| commit_exists(&git, c) && is_ancestor(&git, c, base));
        let found = recorded
            .map(str::to_owned)
            .or_else(|| landing_commit(&git, doc.base_commit.as_deref(), base, tip));
        let (commit, how) = match found {
            Some(commit) => {
                let how = if recorded.is_some() {
                    format!(
                        "its recorded merged commit {} is in {base_name}",
                        short(&commit)
                    )
                } else {
                    format!("{} on {base_name} brought its changes in", short(&commit))
                };
                (commit, how)
            }
            None => match in_base(&git, base, tip) {
                Some(how) => (base.to_owned(), format!("{how} {base_name}")),
                None => continue,
            },
        };
        let (kind, on) = if pr.forge == "github" {
            (ProblemKind::MergedOutside, "still open on GitHub")
        } else {
            (ProblemKind::ForgeMerged, "open on the local forge")
        };
        problems.push(Problem::fixable(
            kind,
            &spec.name,
            format!(
                "{} is {} with PR #{} {on}, but {how}: it was merged without the state hearing of it",
                spec.name, doc.status, pr.number
            ),
            mark(commit),
        ));
    }
    Ok(problems)
}

/// Whether the state says the agent's pull request is open.
fn has_open_pr(doc: &AgentState) -> bool {
    doc.status == Status::PrOpen && doc.pr.is_some()
}

/// Ask GitHub, through gh, what became of PR `number`.
fn github_pr_state(
    survey: &Survey,
    number: u64,
) -> std::result::Result<(PrState, Option<String>), String> {
    let configured = crate::config::forge_kind(&survey.ws.repo, &survey.state.plan)
        .map_err(|e| e.to_string())?;
    match Forge::for_pr(survey.ws, configured, Some("github")) {
        Ok(Forge::GitHub(github)) => github.pr_state(number).map_err(|e| e.to_string()),
        Ok(Forge::Local(_)) => Err("the repository is set to merge locally".to_owned()),
        Err(err) => Err(err.to_string()),
    }
}

/// The commit on base's first-parent history (newest first, back to `since`) whose
/// parent lacks `tip`'s changes and whose tree is exactly its parent with them merged in.
fn landing_commit(git: &Git, since: Option<&str>, base: &str, tip: &str) -> Option<String> {
    let range = match since {
        Some(since) => format!("{since}..{base}"),
        None => base.to_owned(),
    };
    let limit = format!("--max-count={LANDING_SEARCH}");
    let listed = git
        .run([
            "rev-list",
            "--first-parent",
            limit.as_str(),
            range.as_str(),
            "--parents",
        ])
        .ok()?;
    for line in listed.lines() {
        let mut ids = line.split_whitespace();
        let (Some(commit), Some(parent)) = (ids.next(), ids.next()) else {
            continue;
        };
        let tree = tree_of(git, commit)?;
        let parent_tree = tree_of(git, parent)?;
        if tree == parent_tree {
            continue;
        }
        let Ok(Ok(merged)) = crate::forge::merge_tree(git, parent, tip, None) else {
            continue;
        };
        if merged == tree && merged != parent_tree {
            return Some(commit.to_owned());
        }
    }
    None
}

fn tree_of(git: &Git, commit: &str) -> Option<String> {
    git.run(["rev-parse", &format!("{commit}^{{tree}}")])
        .ok()
        .map(|t| t.trim().to_owned())
}

/// How base already holds `tip`'s work, if it does: its tip is an ancestor, or merging
/// it would change nothing.
fn in_base(git: &Git, base: &str, tip: &str) -> Option<&'static str> {
    if is_ancestor(git, tip, base) {
        Some("its tip is in")
    } else if merges_to_nothing(git, base, tip) {
        Some("its changes are already in")
    } else {
        None
    }
}

/// Active agents with a branch but no worktree where the plan puts it.
pub fn missing_worktrees(survey: &Survey) -> Result<Vec<Problem>> {
    let mut problems = Vec::new();
    for (spec, doc) in active_agents(&survey.state) {
        let path = survey.ws.resolve(&spec.worktree);
        if worktree::find_at(&survey.worktrees, &path).is_some()
            || worktree::branch_tip(&survey.ws.repo, &spec.branch)?.is_none()
        {
            continue;
        }
        let message = format!(
            "{} is {} but has no worktree at {}",
            spec.name,
            doc.status,
            path.display()
        );
        if let Some(elsewhere) = worktree::find_with_branch(&survey.worktrees, &spec.branch)
            && elsewhere.prunable.is_none()
        {
            problems.push(Problem::fixable(
                ProblemKind::WorktreeMissing,
                &spec.name,
                format!(
                    "{message}; its branch is checked out at {}",
                    elsewhere.path.display()
                ),
                Repair::MoveWorktree {
                    from: elsewhere.path.clone(),
                    to: path,
                },
            ));
        } else if path.exists() && !is_empty_dir(&path) {
            problems.push(Problem::manual(
                ProblemKind::WorktreeMissing,
                &spec.name,
                format!("{message}; something else is in that directory"),
                format!(
                    "move {} away, then run git agents doctor --fix again",
                    path.display()
                ),
            ));
        } else if worktree::find_with_branch(&survey.worktrees, &spec.branch).is_none() {
            problems.push(Problem::fixable(
                ProblemKind::WorktreeMissing,
                &spec.name,
                message,
                Repair::AddWorktree {
                    agent: spec.name.clone(),
                    path,
                    branch: spec.branch.clone(),
                },
            ));
        }
    }
    Ok(problems)
}

/// Active agents whose worktree has another branch (or a detached HEAD) checked out.
pub fn wrong_branches(survey: &Survey) -> Result<Vec<Problem>> {
    let mut problems = Vec::new();
    for (spec, doc) in active_agents(&survey.state) {
        let path = survey.ws.resolve(&spec.worktree);
        let Some(info) = worktree::find_at(&survey.worktrees, &path) else {
            continue;
        };
        if info.prunable.is_some() || info.branch.as_deref() == Some(spec.branch.as_str()) {
            continue;
        }
        let on = info
            .branch
            .as_deref()
            .map(|b| format!("branch {b}"))
            .unwrap_or_else(|| "a detached HEAD".to_owned());
        let message = format!(
            "{} is {} but its worktree {} has {on} checked out, not {}",
            spec.name,
            doc.status,
            path.display(),
            spec.branch
        );
        if worktree::branch_tip(&survey.ws.repo, &spec.branch)?.is_none() {
            continue;
        }
        if let Some(elsewhere) = worktree::find_with_branch(&survey.worktrees, &spec.branch) {
            problems.push(Problem::manual(
                ProblemKind::WrongBranch,
                &spec.name,
                format!(
                    "{message}; {} is checked out at {}",
                    spec.branch,
                    elsewhere.path.display()
                ),
                format!(
                    "switch {} to another branch, then run git agents doctor --fix again",
                    elsewhere.path.display()
                ),
            ));
        } else if worktree::is_dirty(&path).unwrap_or(true) {
            problems.push(Problem::manual(
                ProblemKind::WrongBranch,
                &spec.name,
                format!("{message}; it has uncommitted changes"),
                format!(
                    "commit or stash them in {}, then `git switch {}` there",
                    path.display(),
                    spec.branch
                ),
            ));
        } else {
            problems.push(Problem::fixable(
                ProblemKind::WrongBranch,
                &spec.name,
                message,
                Repair::SwitchBranch {
                    path,
                    branch: spec.branch.clone(),
                },
            ));
        }
    }
    Ok(problems)
}

/// Temporary worktrees under the git directory where a merged result was tested, left
/// behind because the merge that made them was killed: their maker is no longer running.
pub fn scratch_worktrees(survey: &Survey) -> Result<Vec<Problem>> {
    Ok(crate::forge::stale_scratch(survey.ws)
        .into_iter()
        .map(|stale| {
            Problem::fixable(
                ProblemKind::ScratchWorktree,
                &stale.label,
                format!(
                    "temporary merge worktree {} was left by a merge that did not finish",
                    stale.path.display()
                ),
                Repair::RemoveScratch {
                    path: stale.path,
                    record: stale.admin,
                },
            )
        })
        .collect())
}

/// The base branch's checkout left on base's previous commit by a merge killed half-way.
/// The repair brings it up to date as the next merge would, and refuses where a file of
/// the user's stands where a merged file goes.
pub fn base_checkout_behind(survey: &Survey) -> Result<Vec<Problem>> {
    let base = survey.state.base();
    let Some(found) = crate::git::worktree::find_with_branch(&survey.worktrees, base) else {
        return Ok(Vec::new());
    };
    let Some(behind) = crate::forge::left_behind(&Git::new(&found.path), base) else {
        return Ok(Vec::new());
    };
    let short = |id: &str| id.get(..12).unwrap_or(id).to_owned();
    let message = format!(
        "{base}'s checkout in {} still holds the files of {}, not of {base}'s tip {}: a merge was killed before it updated the checkout",
        found.path.display(),
        short(&behind.old),
        short(&behind.new)
    );
    Ok(vec![if behind.in_the_way.is_empty() {
        Problem::fixable(
            ProblemKind::BaseCheckoutBehind,
            base,
            message,
            Repair::UpdateBaseCheckout {
                base: base.to_owned(),
                path: found.path.clone(),
            },
        )
    } else {
        Problem::manual(
            ProblemKind::BaseCheckoutBehind,
            base,
            message,
            format!(
                "{} of yours {} where merged files go; move {} away, then run git agents doctor --fix",
                behind.in_the_way.join(", "),
                if behind.in_the_way.len() == 1 {
                    "stands"
                } else {
                    "stand"
                },
                if behind.in_the_way.len() == 1 {
                    "it"
                } else {
                    "them"
                }
            ),
        )
    }])
}

/// Whatever stops git's automatic maintenance, which would leave the loose objects every
/// state and notes write adds unpacked; reported against `repository`, for a person to fix.
pub fn stopped_maintenance(survey: &Survey) -> Result<Vec<Problem>> {
    Ok(crate::git::maintenance::blockers(&survey.ws.repo)
        .into_iter()
        .map(|blocker| {
            Problem::manual(
                ProblemKind::MaintenanceStopped,
                "repository",
                blocker.describe(),
                blocker.advice(),
            )
        })
        .collect())
}

/// Records of agents' commands left by runs that are gone: a command still running that
/// no run watches (reported, never stopped unasked), and records of commands that ended
/// which no run will handle (removed). A command that finished while no run was watching
/// is left for the next `run`, which handles its exit.
pub fn run_records(survey: &Survey) -> Result<Vec<Problem>> {
    let dir = record::dir(&survey.ws.common_dir);
    let mut problems = Vec::new();
    for agent in record::agents(&dir) {
        let status = survey.state.agent(&agent).map(|doc| doc.status);
        let active = status == Some(Status::InProgress);
        let path = record::record_path(&dir, &agent);
        let remove = Repair::RemoveRunRecord {
            agent: agent.clone(),
            path: path.clone(),
        };
        let found = match record::RunRecord::read(&dir, &agent) {
            Ok(Some(found)) => found,
            Ok(None) => {
                problems.push(Problem::fixable(
                    ProblemKind::StaleRunRecord,
                    &agent,
                    format!(
                        "{} holds the exit status of a command of {agent} that has no record",
                        record::exit_path(&dir, &agent).display()
                    ),
                    remove,
                ));
                continue;
            }
            Err(err) => {
                problems.push(Problem::manual(
                    ProblemKind::StaleRunRecord,
                    &agent,
                    format!(
                        "the record of {agent}'s command at {} cannot be read: {err}",
                        path.display()
                    ),
                    format!(
                        "if no command of {agent} is running, delete {}",
                        path.display()
                    ),
                ));
                continue;
            }
        };
        if found.run_alive() {
            continue;
        }
        let what = format!("{agent}'s command (pid {})", found.pid);
        match found.condition(&dir) {
            Condition::Running { .. } => {
                let advice = if active {
                    format!(
                        "run git agents run to watch it and bring its work home, or stop it with `kill -TERM -- -{}`",
                        found.pgid
                    )
                } else {
                    format!(
                        "{agent} is {} in the state; if the command should not run, stop it with `kill -TERM -- -{}`",
                        status.map_or("not in the plan".to_owned(), |s| s.to_string()),
                        found.pgid
                    )
                };
                problems.push(Problem::manual(
                    ProblemKind::OrphanCommand,
                    &agent,
                    format!(
                        "{what}, started {}, is still running, but the git agents run that started it (pid {}) is gone",
                        found.started_at, found.run_pid
                    ),
                    advice,
                ));
            }
            Condition::Exited(_) if active => {}
            Condition::Exited(code) => problems.push(Problem::fixable(
                ProblemKind::StaleRunRecord,
                &agent,
                format!(
                    "{what} ended with exit {code} after its run was gone, but {agent} is no longer in progress; the record is left over"
                ),
                remove,
            )),
            Condition::Killed => problems.push(Problem::fixable(
                ProblemKind::StaleRunRecord,
                &agent,
                format!(
                    "{what} was killed before it finished, and so was the run that started it{}",
                    if active {
                        "; the next git agents run launches it again"
                    } else {
                        ""
                    }
                ),
                remove,
            )),
        }
    }
    Ok(problems)
}

fn active_agents(state: &State) -> impl Iterator<Item = (&crate::plan::AgentSpec, &AgentState)> {
    state.plan.agents.iter().filter_map(|spec| {
        state
            .agent(&spec.name)
            .filter(|doc| doc.status.is_active())
            .map(|doc| (spec, doc))
    })
}

/// The worktrees at the agent's path or on its branch.
fn agent_worktrees<'s>(
    survey: &'s Survey,
    path: &Path,
    branch: &str,
) -> impl Iterator<Item = &'s WorktreeInfo> {
    let path = crate::git::workspace::canonical(path);
    let branch = branch.to_owned();
    survey
        .worktrees
        .iter()
        .skip(1)
        .filter(move |w| w.path == path || w.branch.as_deref() == Some(branch.as_str()))
}

/// Whether `tip` holds commits of the agent's own, past the base commit it started from.
fn has_own_work(git: &Git, doc: &AgentState, tip: &str) -> bool {
    let Some(start) = doc.base_commit.as_deref() else {
        return false;
    };
    if start == tip {
        return false;
    }
    git.run(["rev-list", "--count", &format!("{start}..{tip}")])
        .ok()
        .and_then(|n| n.trim().parse::<u64>().ok())
        .is_some_and(|n| n > 0)
}

fn is_ancestor(git: &Git, commit: &str, of: &str) -> bool {
    git.output(["merge-base", "--is-ancestor", commit, of])
        .is_ok_and(|out| out.success())
}

/// Whether merging `tip` into `base` gives `base`'s own tree back.
fn merges_to_nothing(git: &Git, base: &str, tip: &str) -> bool {
    let Ok(out) = git.output(["merge-tree", "--write-tree", "--no-messages", base, tip]) else {
        return false;
    };
    if !out.success() {
        return false;
    }
    let merged = out.stdout.lines().next().unwrap_or("").trim().to_owned();
    let base_tree = git
        .run(["rev-parse", &format!("{base}^{{tree}}")])
        .map(|t| t.trim().to_owned())
        .unwrap_or_default();
    !merged.is_empty() && merged == base_tree
}

fn commit_exists(git: &Git, id: &str) -> bool {
    git.output(["cat-file", "-e", &format!("{id}^{{commit}}")])
        .is_ok_and(|out| out.success())
}

fn is_empty_dir(path: &Path) -> bool {
    fs_err::read_dir(path).is_ok_and(|mut entries| entries.next().is_none())
}

fn short(id: &str) -> &str {
    &id[..id.len().min(12)]
}

/// The process id a lock reason names (`pid 1234`, `pid=1234`, `PID: 1234`), if any.
pub fn pid_in(reason: &str) -> Option<u32> {
    let lower = reason.to_ascii_lowercase();
    let at = lower.find("pid")?;
    let digits: String = lower[at + 3..]
        .trim_start_matches([' ', '=', ':', '#'])
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok().filter(|&pid| pid > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_pids_in_lock_reasons() {
        assert_eq!(pid_in("agent pid 1234"), Some(1234));
        assert_eq!(pid_in("locked by PID=77 on host"), Some(77));
        assert_eq!(pid_in("pid: 9"), Some(9));
        assert_eq!(pid_in("rapid work"), None);
        assert_eq!(pid_in("pid 0"), None);
        assert_eq!(pid_in("on a USB disk"), None);
    }
}
