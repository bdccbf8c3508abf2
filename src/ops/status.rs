//! `status`: the fleet at a glance, every derived fact computed from the state on read.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::dashboard_cache::Recalled;
use crate::error::Result;
use crate::git::workspace::Workspace;
use crate::git::worktree;
use crate::plan::AgentSpec;
use crate::state::notes;
use crate::state::{PullRequest, State, Status};

/// One agent as the dashboard shows it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AgentView {
    /// Name.
    pub name: String,
    /// What it is for.
    pub title: String,
    /// Where it is in its life.
    pub status: Status,
    /// Done task hours over all task hours, 0 to 1 (task count when no hours are given).
    pub progress: f64,
    /// The task being worked on, as `N. Title`.
    pub current_task: Option<String>,
    /// Dependencies that are not merged yet.
    pub blocked_by: Vec<String>,
    /// Its branch.
    pub branch: String,
    /// Its worktree, as the plan gives it.
    pub worktree: String,
    /// Whether the worktree directory exists.
    pub worktree_exists: bool,
    /// Tasks done.
    pub tasks_done: usize,
    /// Tasks in all.
    pub tasks_total: usize,
    /// Hours of the tasks done.
    pub hours_done: f64,
    /// Hours of all tasks.
    pub hours_total: f64,
    /// The branch's current head commit.
    pub head: Option<String>,
    /// Whether the tests passed on the head commit; `None` when not run on it.
    pub tests_passing: Option<bool>,
    /// The review score on the head commit.
    pub review_score: Option<u32>,
    /// Review iterations recorded on the head commit.
    pub review_iterations: u32,
    /// Approvals recorded on the head commit.
    pub approvals: Vec<String>,
    /// The pull request.
    pub pr: Option<PullRequest>,
    /// Why it failed.
    pub failure: Option<String>,
    /// What the tests or the review found short, while `run` has it working on them.
    #[serde(default)]
    pub findings: Option<crate::state::Findings>,
    /// Its command waits for someone to type to it on its terminal.
    #[serde(default)]
    pub waiting: Option<super::terminal::Waiting>,
    /// Which machine holds it, when runs on several machines share the fleet.
    #[serde(default)]
    pub claim: Option<crate::state::Claim>,
    /// Seconds since that machine last renewed its lease (computed when shown).
    #[serde(default)]
    pub lease_age: Option<i64>,
    /// Whether that lease has run out: the machine stopped renewing it.
    #[serde(default)]
    pub lease_expired: bool,
    /// The names it depends on.
    pub depends_on: Vec<String>,
    /// When its document last changed.
    pub updated_at: String,
    /// Whether a merge conflict is predicted for its branch (see `conflicts`).
    pub at_risk: bool,
    /// The agents, or the base branch, its branch is predicted to conflict with.
    pub conflicts_with: Vec<String>,
    /// For an agent whose work is in review: the merge criteria it does not meet yet
    /// (`tests`, `review`, `approvals`, `tasks`), from the criteria configured now.
    #[serde(default)]
    pub unmet: Vec<String>,
    /// Commits its branch has that base lacks, and base has that it lacks (active agents
    /// whose branch exists).
    #[serde(default)]
    pub ahead_behind: Option<(u32, u32)>,
    /// Files changed in its worktree and not committed (only `status AGENT` looks, since
    /// it means reading the worktree; never remembered).
    #[serde(default)]
    pub uncommitted: Option<Vec<String>>,
    /// The latest note left with `update --note`.
    #[serde(default)]
    pub note: Option<crate::state::Note>,
    /// The port reserved for it.
    pub port: Option<u16>,
    /// How its worktree's setup command last went.
    pub setup: Option<crate::state::HookRun>,
}

/// Totals over the shown agents.
#[derive(Debug, Clone, Default, Serialize)]
pub struct StatusTotals {
    /// Agents shown.
    pub agents: usize,
    /// Agents per status, in life order, only those present (a map in JSON).
    #[serde(serialize_with = "status_counts")]
    pub by_status: Vec<(Status, usize)>,
    /// Tasks done.
    pub tasks_done: usize,
    /// Tasks in all.
    pub tasks_total: usize,
    /// Hours done.
    pub hours_done: f64,
    /// Hours in all.
    pub hours_total: f64,
    /// Hours done out of hours in all, from 0 to 1.
    pub progress: f64,
    /// Agents with a pull request open.
    pub prs_open: usize,
    /// Agents blocked by unmerged dependencies.
    pub blocked: usize,
}

/// The dashboard's content.
#[derive(Debug, Clone, Serialize)]
pub struct StatusReport {
    /// The base branch.
    pub base: String,
    /// The agents shown, in plan order.
    pub agents: Vec<AgentView>,
    /// Totals (`summary` in JSON).
    #[serde(rename = "summary")]
    pub totals: StatusTotals,
}

/// Compute the dashboard for every agent, or for `only`.
pub fn status(ws: &Workspace, only: Option<&str>) -> Result<StatusReport> {
    let (base, mut agents, tips) = match super::dashboard_cache::recall(ws) {
        Recalled::Current(dashboard) => dashboard,
        Recalled::Outdated(read) => compute(ws, read)?,
    };
    if let Some(name) = only {
        agents.retain(|a| a.name == name);
        if agents.is_empty() {
            return Err(super::unknown_agent(&State::load(&ws.repo)?, name));
        }
    }
    if let [agent] = agents.as_mut_slice()
        && only.is_some()
        && agent.worktree_exists
        && agent.status.is_active()
    {
        agent.uncommitted = uncommitted(&ws.resolve(&agent.worktree));
    }
    let risks = crate::ops::conflicts::current_risks(
        ws,
        &base,
        agents
            .iter()
            .filter(|a| a.status.is_active())
            .map(|a| (a.name.as_str(), a.branch.as_str())),
        &tips,
    );
    for agent in &mut agents {
        if let Some(with) = risks.get(&agent.name) {
            agent.at_risk = true;
            agent.conflicts_with = with.clone();
        }
    }
    // Worked out on every reading, never remembered: whether an agent on its terminal waits
    // for input changes without any ref moving.
    let quiet = crate::config::waiting_after(&ws.repo);
    for agent in agents.iter_mut().filter(|a| a.status == Status::InProgress) {
        agent.waiting = super::terminal::waiting(ws, &agent.name, quiet);
    }
    // And how old each machine's lease is, which changes with the clock alone.
    let now = crate::time::now_unix() as i64;
    for agent in &mut agents {
        if let Some(claim) = &agent.claim {
            agent.lease_age = claim.age_at(now);
            agent.lease_expired = claim.expired_at(now);
        }
    }
    // Worked out on every reading, never remembered: the criteria live in git config,
    // which the remembered dashboard does not follow.
    if agents
        .iter()
        .any(|a| matches!(a.status, Status::Review | Status::PrOpen))
    {
        let state = State::load(&ws.repo)?;
        let criteria = crate::config::merge_settings(&ws.repo, &state.plan)?;
        for agent in &mut agents {
            if matches!(agent.status, Status::Review | Status::PrOpen) {
                agent.unmet = unmet(agent, &criteria);
            }
        }
    }
    let totals = totals(&agents);
    Ok(StatusReport {
        base,
        agents,
        totals,
    })
}

/// Every agent's line, computed from the state, the notes, the branches and the
/// worktrees, and remembered with what it was computed from; `read` holds branch tips
/// already read (`None`: the branch does not exist).
fn compute(
    ws: &Workspace,
    read: HashMap<String, Option<gix::ObjectId>>,
) -> Result<super::dashboard_cache::Dashboard> {
    let state = State::load(&ws.repo)?;
    let notes = notes::Reader::open(&ws.repo).map_err(crate::state::StateError::from)?;
    let branches: Vec<&str> = state
        .plan
        .agents
        .iter()
        .map(|a| a.branch.as_str())
        .chain([state.base()])
        .collect();
    let mut tips = worktree::branch_tips(
        &ws.repo,
        branches.iter().copied().filter(|b| !read.contains_key(*b)),
    )?;
    tips.extend(read.into_iter().filter_map(|(b, tip)| Some((b, tip?))));
    let present =
        worktree::existing_dirs(state.plan.agents.iter().map(|a| ws.resolve(&a.worktree)));
    let mut agents = Vec::with_capacity(state.plan.agents.len());
    for spec in &state.plan.agents {
        agents.push(view(ws, &state, &notes, &tips, &present, spec)?);
    }
    if let Some(tip) = &state.tip {
        let inputs = super::dashboard_cache::Inputs::new(
            ws,
            tip.commit,
            notes.commit(),
            branches
                .iter()
                .map(|branch| (branch.to_string(), tips.get(*branch).copied())),
        );
        super::dashboard_cache::remember(ws, inputs, state.base(), &agents);
    }
    Ok((state.base().to_owned(), agents, tips))
}

fn view(
    ws: &Workspace,
    state: &State,
    notes: &notes::Reader<'_>,
    tips: &HashMap<String, gix::ObjectId>,
    worktrees: &HashSet<PathBuf>,
    spec: &AgentSpec,
) -> Result<AgentView> {
    let name = spec.name.as_str();
    let planned;
    let doc = match state.agent(name) {
        Some(doc) => doc,
        None => {
            planned = crate::state::AgentState::planned();
            &planned
        }
    };
    let hours_total: f64 = spec.total_hours();
    let done = &doc.done_tasks;
    let is_done = |number: usize| done.contains(&number);
    let hours_done: f64 = spec
        .tasks
        .iter()
        .enumerate()
        .filter(|(index, _)| is_done(index + 1))
        .fold(0.0, |sum, (_, t)| sum + t.hours);
    let tasks_done = (1..=spec.tasks.len()).filter(|n| is_done(*n)).count();
    let progress = if hours_total > 0.0 {
        hours_done / hours_total
    } else if !spec.tasks.is_empty() {
        tasks_done as f64 / spec.tasks.len() as f64
    } else if doc.status.is_merged() {
        1.0
    } else {
        0.0
    };
    let current = doc
        .current_task
        .filter(|n| *n <= spec.tasks.len() && !is_done(*n))
        .or_else(|| {
            doc.status
                .is_active()
                .then(|| (1..=spec.tasks.len()).find(|n| !is_done(*n)))
                .flatten()
        });
    let current_task =
        current.and_then(|n| spec.tasks.get(n - 1).map(|t| format!("{n}. {}", t.title)));
    let head = if doc.status.is_merged() {
        doc.head.clone().or_else(|| doc.merged_commit.clone())
    } else {
        tips.get(&spec.branch).map(|id| id.to_string())
    };
    let facts = match head
        .as_deref()
        .and_then(|h| gix::ObjectId::from_hex(h.as_bytes()).ok())
    {
        Some(id) if doc.status != Status::Planned => {
            notes.summary(id).map_err(crate::state::StateError::from)?
        }
        _ => notes::Summary::default(),
    };
    Ok(AgentView {
        name: spec.name.clone(),
        title: spec.title.clone(),
        status: doc.status,
        progress,
        current_task,
        blocked_by: if doc.status.is_merged() {
            Vec::new()
        } else {
            state.unmerged_dependencies_of(spec)
        },
        branch: spec.branch.clone(),
        worktree: spec.worktree.clone(),
        worktree_exists: worktrees.contains(&ws.resolve(&spec.worktree)),
        tasks_done,
        tasks_total: spec.tasks.len(),
        hours_done,
        hours_total,
        head,
        tests_passing: facts.tests_passing(),
        review_score: facts.review_score(),
        review_iterations: facts.review_iterations,
        approvals: facts.approvals,
        pr: doc.pr.clone(),
        failure: doc.failure.clone(),
        findings: doc.findings.clone(),
        waiting: None,
        claim: doc.claim.clone().filter(|_| !doc.status.is_merged()),
        lease_age: None,
        lease_expired: false,
        depends_on: spec.depends_on.clone(),
        updated_at: doc.updated_at.clone(),
        at_risk: false,
        conflicts_with: Vec::new(),
        unmet: Vec::new(),
        note: doc.notes.last().cloned(),
        ahead_behind: if doc.status.is_active() {
            tips.get(&spec.branch)
                .zip(tips.get(state.base()))
                .and_then(|(branch, base)| ahead_behind(ws, *branch, *base))
        } else {
            None
        },
        uncommitted: None,
        port: doc.port,
        setup: doc.setup.clone(),
    })
}

/// Commits `branch` has that `base` lacks, and the other way round.
fn ahead_behind(ws: &Workspace, branch: gix::ObjectId, base: gix::ObjectId) -> Option<(u32, u32)> {
    if branch == base {
        return Some((0, 0));
    }
    let range = format!("{branch}...{base}");
    let counted = ws
        .git()
        .run(["rev-list", "--left-right", "--count", range.as_str()])
        .ok()?;
    let mut numbers = counted.split_whitespace().map(|n| n.parse::<u32>().ok());
    Some((numbers.next()??, numbers.next()??))
}

/// The files changed and not committed in the worktree at `path` (untracked ones too,
/// ignored ones not).
fn uncommitted(path: &std::path::Path) -> Option<Vec<String>> {
    let status = crate::git::Git::new(path)
        .run(["status", "--porcelain", "--untracked-files=all"])
        .ok()?;
    Some(
        status
            .lines()
            .filter_map(|line| line.get(3..))
            .map(str::to_owned)
            .collect(),
    )
}

/// The merge criteria `agent`'s head does not meet yet.
fn unmet(agent: &AgentView, criteria: &crate::plan::MergeSettings) -> Vec<String> {
    let mut unmet = Vec::new();
    if criteria.require_tests && agent.tests_passing != Some(true) {
        unmet.push("tests".to_owned());
    }
    if criteria.review_threshold > 0
        && agent
            .review_score
            .is_none_or(|s| s < criteria.review_threshold)
    {
        unmet.push("review".to_owned());
    }
    if (agent.approvals.len() as u64) < u64::from(criteria.approvals) {
        unmet.push("approvals".to_owned());
    }
    if criteria.require_tasks_done && agent.tasks_done < agent.tasks_total {
        unmet.push("tasks".to_owned());
    }
    unmet
}

fn totals(agents: &[AgentView]) -> StatusTotals {
    let mut totals = StatusTotals {
        agents: agents.len(),
        ..StatusTotals::default()
    };
    for status in Status::ALL {
        let count = agents.iter().filter(|a| a.status == status).count();
        if count > 0 {
            totals.by_status.push((status, count));
        }
    }
    for agent in agents {
        totals.tasks_done += agent.tasks_done;
        totals.tasks_total += agent.tasks_total;
        totals.hours_done += agent.hours_done;
        totals.hours_total += agent.hours_total;
        totals.prs_open += usize::from(agent.status == Status::PrOpen);
        totals.blocked += usize::from(!agent.blocked_by.is_empty());
    }
    if totals.hours_total > 0.0 {
        totals.progress = totals.hours_done / totals.hours_total;
    }
    totals
}

/// Status counts as a JSON object keyed by status, in life order.
fn status_counts<S: serde::Serializer>(
    counts: &[(Status, usize)],
    serializer: S,
) -> std::result::Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut map = serializer.serialize_map(Some(counts.len()))?;
    for (status, count) in counts {
        map.serialize_entry(status.as_str(), count)?;
    }
    map.end()
}
