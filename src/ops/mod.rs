//! Operations behind the commands: each takes a [`Workspace`] and options, changes the
//! state through compare-and-swap, and returns a report for the command to render.

mod agents;
mod approve;
mod brief;
mod checkout;
pub mod conflicts;
pub mod criteria;
mod dashboard_cache;
mod deliver;
pub mod demo;
pub mod doctor;
mod edit;
mod finish;
pub mod guard;
mod init;
mod log;
mod merge;
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
mod test_run;
pub mod trust;
mod update;

pub use crate::forge::batch::Rejection;
pub use agents::{AddOptions, RemoveReport, add, remove};
pub use approve::{Approval, approve};
pub use brief::{Brief, BriefDependency, BriefTask, brief};
pub use checkout::Checkout;
pub use criteria::{Criteria, Criterion};
pub use deliver::Pipeline;
pub use edit::{EditOptions, EditReport, FieldChange, edit, set_plan};
pub use finish::{FinishReport, finish, finish_merged};
pub use init::{InitOptions, InitReport, init};
pub use log::{LogReport, log};
pub use merge::{MergeReport, Merged, merge, unblocked_by};
pub use pr::{PrReport, open_pr};
pub use queue::batch::{BatchReport, GITHUB_NOTICE, SetAside, queue_run_batch};
pub use queue::{QueueEntry, QueueReport, QueueRun, queue, queue_run};
pub use review::{ReviewEvent, ReviewIteration, ReviewOptions, ReviewReport, review};
pub use run::{Deliver, RunEvent, RunOptions, RunReport, run};
pub use spawn::{SpawnOutcome, SpawnReport, spawn};
pub use status::{AgentView, StatusReport, StatusTotals, status};
pub use task::{TaskAction, TaskReport, set_task};
pub use test_run::{TestReport, run_tests};
pub use update::{UpdateReport, update};

use crate::error::{Error, Result};
use crate::git::workspace::{Workspace, canonical};
use crate::plan::{AgentSpec, closest_name};
use crate::state::State;

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
