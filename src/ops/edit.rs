//! `edit` and `plan edit`: change agents already in the plan — one agent's title, branch,
//! dependencies or command, or the whole plan at once — without losing what they did.
//!
//! What a spawned agent stands on can't move under it: its branch and worktree change
//! only while it is planned, and an agent with work under way can't leave the plan here
//! (finish or abandon it first). Everything else — titles, tasks, estimates, who waits
//! for whom, commands — may change at any time; the change is one state commit.

use serde::Serialize;

use crate::error::{Error, Result};
use crate::git::workspace::Workspace;
use crate::plan::{AgentSpec, Plan};
use crate::state::{self, State, Status};

/// What `edit` changes; `None` leaves a field as it is.
#[derive(Debug, Default, Clone)]
pub struct EditOptions {
    /// A new title.
    pub title: Option<String>,
    /// A new branch (only while the agent is planned).
    pub branch: Option<String>,
    /// The agent's dependencies, replacing the old list.
    pub depends_on: Option<Vec<String>>,
    /// A new command for `run` to launch; `Some(None)` removes it.
    pub command: Option<Option<String>>,
}

impl EditOptions {
    /// Whether the options change nothing at all.
    pub fn is_empty(&self) -> bool {
        self.title.is_none()
            && self.branch.is_none()
            && self.depends_on.is_none()
            && self.command.is_none()
    }
}

/// One field that changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldChange {
    /// The agent the field belongs to.
    pub agent: String,
    /// The field (`title`, `branch`, `depends_on`, …).
    pub field: String,
    /// Its value before, as text.
    pub from: String,
    /// Its value after, as text.
    pub to: String,
}

/// What an edit did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct EditReport {
    /// Each field that changed, in plan order.
    pub changes: Vec<FieldChange>,
    /// Agents the edit added to the plan.
    pub added: Vec<String>,
    /// Agents the edit took out of the plan.
    pub removed: Vec<String>,
    /// Agents that waited and may start now, because the edit left them no unmerged
    /// dependency.
    pub unblocked: Vec<String>,
    /// The new state commit; `None` when the edit changed nothing.
    pub state_commit: Option<String>,
}

/// Change agent `name` as `options` say.
pub fn edit(ws: &Workspace, name: &str, options: &EditOptions) -> Result<EditReport> {
    if options.is_empty() {
        return Err(Error::Usage(format!(
            "nothing to change; say what, e.g. git agents edit {name} --depends-on A,B or --title \"…\" or --branch B"
        )));
    }
    super::find_agent(&State::load(&ws.repo)?, name)?;
    replace_plan(ws, |plan| {
        let spec = plan.agent_mut(name).ok_or_else(|| {
            Error::Refused(format!("{name} left the plan while it was being edited"))
        })?;
        if let Some(title) = &options.title {
            spec.title = title.clone();
        }
        if let Some(branch) = &options.branch {
            spec.branch = branch.clone();
        }
        if let Some(depends_on) = &options.depends_on {
            spec.depends_on = depends_on.clone();
        }
        if let Some(command) = &options.command {
            spec.command = command.clone();
        }
        Ok(format!("edit {name}"))
    })
}

/// Replace the whole plan with `plan` (as `plan edit` reads it back from the editor).
pub fn set_plan(ws: &Workspace, plan: &Plan) -> Result<EditReport> {
    replace_plan(ws, |current| {
        *current = plan.clone();
        Ok("edit the plan".to_owned())
    })
}

/// Apply `change` to a fresh reading of the plan under compare-and-swap, refusing what
/// would pull the ground from under a spawned agent, and report what changed.
fn replace_plan(
    ws: &Workspace,
    change: impl Fn(&mut Plan) -> Result<String>,
) -> Result<EditReport> {
    let mut previous = None;
    let updated = state::update::<_, Error>(&ws.repo, |state| {
        previous = Some(state.plan.clone());
        let before = state.plan_view();
        let mut after = before.clone();
        let message = change(&mut after)?;
        after.validate()?;
        for agent in &after.agents {
            let moved = before
                .agent(&agent.name)
                .is_none_or(|b| b.branch != agent.branch);
            if moved {
                super::guard::check_agent_branch(ws, state, &agent.name, &agent.branch)?;
            }
        }
        check_spawned_agents(state, &before, &after)?;
        let report = compare(state, &before, &after);
        if report.changes.is_empty() && report.added.is_empty() && report.removed.is_empty() {
            return Ok((message, report));
        }
        state.adopt_plan(after);
        let summary = summary(&report);
        Ok((format!("{message}: {summary}"), report))
    })?;
    if let Some(previous) = &previous {
        super::trust::record_local_change(ws, previous, &updated.state.plan)?;
    }
    let mut report = updated.value;
    report.state_commit = updated.commit.map(|c| c.to_string());
    Ok(report)
}

/// Refuse a plan that moves a spawned agent's branch or worktree, or drops an agent whose
/// work is under way.
fn check_spawned_agents(state: &State, before: &Plan, after: &Plan) -> Result<()> {
    for old in &before.agents {
        let status = state
            .agent(&old.name)
            .map(|a| a.status)
            .unwrap_or(Status::Planned);
        if status == Status::Planned {
            continue;
        }
        match after.agent(&old.name) {
            None if status.is_active() => {
                return Err(Error::Refused(format!(
                    "{} is {status} with a branch and worktree and can't leave the plan; finish or abandon it first (git agents finish {} --abandon)",
                    old.name, old.name
                )));
            }
            None => {}
            Some(new) => {
                if new.branch != old.branch {
                    return Err(Error::Refused(format!(
                        "{} is {status} on branch {}; its branch can change only while it is planned",
                        old.name, old.branch
                    )));
                }
                if new.worktree != old.worktree {
                    return Err(Error::Refused(format!(
                        "{} is {status} in {}; its worktree can change only while it is planned",
                        old.name, old.worktree
                    )));
                }
            }
        }
    }
    Ok(())
}

/// What differs between `before` and `after`, field by field.
fn compare(state: &State, before: &Plan, after: &Plan) -> EditReport {
    let mut changes = Vec::new();
    for new in &after.agents {
        let Some(old) = before.agent(&new.name) else {
            continue;
        };
        let mut field = |name: &str, from: String, to: String| {
            if from != to {
                changes.push(FieldChange {
                    agent: new.name.clone(),
                    field: name.to_owned(),
                    from,
                    to,
                });
            }
        };
        field("title", old.title.clone(), new.title.clone());
        field("branch", old.branch.clone(), new.branch.clone());
        field("worktree", old.worktree.clone(), new.worktree.clone());
        field(
            "depends_on",
            old.depends_on.join(", "),
            new.depends_on.join(", "),
        );
        field(
            "command",
            old.command.clone().unwrap_or_default(),
            new.command.clone().unwrap_or_default(),
        );
        field("tasks", tasks_text(old), tasks_text(new));
    }
    let added = after
        .agents
        .iter()
        .filter(|a| before.agent(&a.name).is_none())
        .map(|a| a.name.clone())
        .collect();
    let removed = before
        .agents
        .iter()
        .filter(|a| after.agent(&a.name).is_none())
        .map(|a| a.name.clone())
        .collect();
    let waiting = |plan: &Plan, name: &str| {
        plan.agent(name).is_some_and(|spec| {
            spec.depends_on
                .iter()
                .any(|d| !state.agent(d).is_some_and(|a| a.status.is_merged()))
        })
    };
    let unblocked = after
        .agents
        .iter()
        .filter(|a| {
            state
                .agent(&a.name)
                .is_none_or(|doc| doc.status == Status::Planned)
        })
        .filter(|a| before.agent(&a.name).is_some())
        .filter(|a| waiting(before, &a.name) && !waiting(after, &a.name))
        .map(|a| a.name.clone())
        .collect();
    EditReport {
        changes,
        added,
        removed,
        unblocked,
        state_commit: None,
    }
}

fn tasks_text(spec: &AgentSpec) -> String {
    spec.tasks
        .iter()
        .map(|t| format!("{} ({} h)", t.title, t.hours))
        .collect::<Vec<_>>()
        .join("; ")
}

/// The commit message's summary of an edit.
fn summary(report: &EditReport) -> String {
    let mut parts: Vec<String> = report
        .changes
        .iter()
        .map(|c| match c.field.as_str() {
            "depends_on" if c.to.is_empty() => format!("{} depends on nothing", c.agent),
            "depends_on" => format!("{} depends on {}", c.agent, c.to),
            field => format!("{} {field}", c.agent),
        })
        .collect();
    if !report.added.is_empty() {
        parts.push(format!("add {}", report.added.join(", ")));
    }
    if !report.removed.is_empty() {
        parts.push(format!("remove {}", report.removed.join(", ")));
    }
    parts.join("; ")
}
