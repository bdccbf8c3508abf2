//! Operations behind the commands: each takes a [`Workspace`] and options, changes the
//! state through compare-and-swap, and returns a report for the command to render.

mod agents;
mod approve;
mod brief;
mod checkout;
mod comment;
pub mod conflicts;
pub mod criteria;
mod dashboard_cache;
mod deliver;
pub mod demo;
pub mod diff;
pub mod doctor;
mod edit;
mod finish;
pub mod fleet;
pub mod guard;
pub mod hooks;
mod init;
mod log;
mod merge;
mod plan_check;
mod pr;
pub mod provision;
mod queue;
mod review;
mod run;
pub mod score;
mod spawn;
mod status;
pub mod sync;
mod task;
pub mod terminal;
mod test_run;
pub mod trust;
mod update;

pub use crate::forge::batch::Rejection;
pub use agents::{AddOptions, RemoveReport, add, remove};
pub use approve::{Approval, approve};
pub use brief::{Brief, BriefDependency, BriefFindings, BriefTask, brief};
pub use checkout::Checkout;
pub use comment::{CommentReport, comment};
pub use criteria::{Criteria, Criterion};
pub use deliver::Pipeline;
pub use edit::{EditOptions, EditReport, FieldChange, edit, set_plan};
pub use finish::{DeletedBranch, FinishReport, finish, finish_merged};
pub use init::{EXAMPLE_FILE, InitOptions, InitReport, MergeNeeds, init, write_example};
pub use log::{LogReport, log};
pub use merge::{MergeReport, Merged, merge, unblocked_by};
pub use plan_check::{CheckedAgent, PlanCheck, check_plan};
pub use pr::{PrReport, open_pr};
pub use queue::batch::{BatchReport, GITHUB_NOTICE, SetAside, queue_run_batch};
pub use queue::{QueueEntry, QueueReport, QueueRun, queue, queue_run};
pub use review::{ReviewEvent, ReviewIteration, ReviewOptions, ReviewReport, review};
pub use run::{
    Deliver, Delivery, LoggedEvent, MergeRound, RunEvent, RunOptions, RunReport, SentBack, Stage,
    Unmerged, findings_path, run,
};
pub use spawn::{SpawnOutcome, SpawnReport, spawn};
pub use status::{AgentView, StatusReport, StatusTotals, status};
pub use task::{TaskAction, TaskReport, set_task};
pub use test_run::{TestReport, run_tests};
pub use update::{UpdateReport, update};

use crate::error::{Error, Result};
use crate::git::workspace::{Workspace, canonical};
use crate::plan::{AgentSpec, closest_name};
use crate::state::State;

/// The worktrees directory this machine uses: `agents.worktreesDir` from git config, else
/// the plan's (which `trust` holds until accepted), resolved against the main worktree.
pub fn worktrees_dir(ws: &Workspace, plan: &crate::plan::Plan) -> std::path::PathBuf {
    let dir = crate::config::git_config_string(&ws.repo, crate::config::WORKTREES_DIR)
        .unwrap_or_else(|| plan.worktrees_dir.clone());
    lexical(&ws.resolve(&dir))
}

/// Refuse `path` as an agent's worktree unless it lies inside the worktrees directory or
/// the main worktree (where a plan may spell its worktrees out), whatever the state says:
/// `..`, absolute paths elsewhere, the git directory and symlinks leading out are refused.
pub fn check_worktree_path(
    ws: &Workspace,
    plan: &crate::plan::Plan,
    agent: &str,
    path: &std::path::Path,
) -> Result<()> {
    let dir = worktrees_dir(ws, plan);
    let wanted = lexical(path);
    // Symlinks are followed as far as the path exists: a link inside a permitted directory
    // must not lead out of it.
    let within = |root: &std::path::Path| {
        wanted != root && wanted.starts_with(root) && real(&wanted).starts_with(real(root))
    };
    let main = lexical(&ws.main_root);
    let in_git_dir = wanted.starts_with(lexical(&ws.common_dir))
        || real(&wanted).starts_with(real(&ws.common_dir));
    if (within(&dir) || within(&main)) && !in_git_dir {
        return Ok(());
    }
    Err(Error::Refused(format!(
        "{agent}'s worktree {} is outside the worktrees directory {} and the repository; agents' worktrees go only there (change the path with git agents edit {agent}, or the directory with git config agents.worktreesDir)",
        path.display(),
        dir.display()
    )))
}

/// `path` with its deepest existing ancestor's symlinks resolved and the rest as written.
fn real(path: &std::path::Path) -> std::path::PathBuf {
    let mut existing = path;
    let mut rest = Vec::new();
    while !existing.exists() {
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_owned());
                existing = parent;
            }
            _ => return path.to_path_buf(),
        }
    }
    let mut out = canonical(existing);
    out.extend(rest.iter().rev());
    out
}

/// `path` with `.` and `..` taken out without touching the file system.
fn lexical(path: &std::path::Path) -> std::path::PathBuf {
    use std::path::Component;
    let mut out = std::path::PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// The plan entry of agent `name`, or an error naming the closest known agent.
pub fn find_agent<'s>(state: &'s State, name: &str) -> Result<&'s AgentSpec> {
    state
        .plan
        .agent(name)
        .ok_or_else(|| unknown_agent(state, name))
}

/// The error for an agent name the plan does not know.
pub fn unknown_agent(state: &State, name: &str) -> Error {
    let hint = match closest_name(name, state.plan.agents.iter().map(|a| a.name.as_str())) {
        Some(close) => format!("; did you mean {close}?"),
        None if state.plan.agents.is_empty() => {
            "; the plan has no agents yet (git agents add NAME)".to_owned()
        }
        None => format!("; known agents: {}", state.plan.names().join(", ")),
    };
    Error::Usage(format!("unknown agent {name:?}{hint}"))
}

/// The agent named by `explicit`, or else the one whose worktree (or branch) the command runs in.
pub fn infer_agent(ws: &Workspace, state: &State, explicit: Option<&str>) -> Result<String> {
    if let Some(name) = explicit {
        return Ok(find_agent(state, name)?.name.clone());
    }
    let here = canonical(&ws.current_root);
    if let Some(spec) = state
        .plan
        .agents
        .iter()
        .find(|a| canonical(&ws.resolve(&a.worktree)) == here)
    {
        return Ok(spec.name.clone());
    }
    if let Ok(head) = ws.repo.head_name()
        && let Some(head) = head
    {
        let branch = head.shorten().to_string();
        if let Some(spec) = state.plan.agents.iter().find(|a| a.branch == branch) {
            return Ok(spec.name.clone());
        }
    }
    Err(Error::Usage(format!(
        "cannot tell which agent {} belongs to; run this inside an agent's worktree or name the agent",
        here.display()
    )))
}
