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

use crate::progress::Progress;
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

mod locks;
mod merges;
mod repair;
mod repository;
mod worktrees;

pub use locks::{REPOSITORY, lock_files, stale_locks};
pub use merges::{forge_merged, merged_outside, missing_branches};
pub use repair::Repair;
pub use repository::{run_records, stopped_maintenance};
pub use worktrees::{
    base_checkout_behind, missing_worktrees, prunable_worktrees, scratch_worktrees, wrong_branches,
};

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
    /// This clone's id in a shared fleet, if it ever joined one.
    pub machine_id: Option<String>,
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
            machine_id: crate::ops::fleet::machine_id(ws),
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
    expired_leases,
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
    /// A machine of a shared fleet stopped renewing its claim on an agent.
    LeaseExpired,
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
pub fn repair(ws: &Workspace, progress: &mut dyn Progress) -> Result<RepairReport> {
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
                None => progress.step(&action),
                Some(error) => {
                    progress.step(&format!("could not repair {}: {error}", problem.agent));
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

/// The active agents whose branch and worktree live here: all of them, except those
/// another machine of a shared fleet holds.
fn active_agents<'s>(
    survey: &'s Survey,
) -> impl Iterator<Item = (&'s crate::plan::AgentSpec, &'s AgentState)> {
    let state = &survey.state;
    state.plan.agents.iter().filter_map(move |spec| {
        state
            .agent(&spec.name)
            .filter(|doc| doc.status.is_active())
            .filter(|doc| {
                doc.claim
                    .as_ref()
                    .is_none_or(|c| survey.machine_id.as_deref() == Some(c.machine_id.as_str()))
            })
            .map(|doc| (spec, doc))
    })
}

/// Agents claimed by a machine whose lease ran out: its run stopped renewing it (the
/// machine died, or lost its network), and no other run has taken the agent over yet.
pub fn expired_leases(survey: &Survey) -> Result<Vec<Problem>> {
    let now = crate::time::now_unix() as i64;
    let remote =
        crate::config::fleet_remote(&survey.ws.repo).unwrap_or_else(|| "REMOTE".to_owned());
    let mut problems = Vec::new();
    for spec in &survey.state.plan.agents {
        let Some(doc) = survey.state.agent(&spec.name) else {
            continue;
        };
        let Some(claim) = doc.claim.as_ref() else {
            continue;
        };
        if matches!(
            doc.status,
            Status::Merged | Status::Completed | Status::Abandoned
        ) || !claim.expired_at(now)
        {
            continue;
        }
        let age = claim.age_at(now).map_or_else(
            || "at an unknown time".to_owned(),
            |secs| {
                format!(
                    "{} ago",
                    crate::time::format_duration(std::time::Duration::from_secs(secs as u64))
                )
            },
        );
        let here = survey.machine_id.as_deref() == Some(claim.machine_id.as_str());
        problems.push(Problem::manual(
            ProblemKind::LeaseExpired,
            &spec.name,
            format!(
                "{} ({}) holds {}, but its lease ran out: last renewed {age}{}",
                claim.machine,
                claim.run,
                spec.name,
                if here { ", by a run on this machine that is gone" } else { "" }
            ),
            if doc.status == Status::Failed {
                format!(
                    "look at why it failed (git agents status {}), then `git agents run --remote {remote} {}` launches it again",
                    spec.name, spec.name
                )
            } else {
                format!(
                    "`git agents run --remote {remote}` on any machine takes it over from its pushed branch"
                )
            },
        ));
    }
    Ok(problems)
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
