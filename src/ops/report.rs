//! Agent-side reporting: task progress, status changes and notes, and working out which
//! agent the current worktree belongs to.

use crate::error::{Error, Result};
use crate::git::workspace::{Workspace, canonical};
use crate::state::{self, Note, State, Status};

/// What to do with a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskAction {
    /// Make it the current task.
    Start,
    /// Mark it done.
    Done,
    /// Mark it not done.
    Undo,
}

/// The agent named by `explicit`, or else the one whose worktree (or branch) the command runs in.
pub fn infer_agent(ws: &Workspace, state: &State, explicit: Option<&str>) -> Result<String> {
    if let Some(name) = explicit {
        return Ok(super::find_agent(state, name)?.name.clone());
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

/// Start, finish or reopen task `number` (from 1) of the agent.
pub fn set_task(
    ws: &Workspace,
    agent: Option<&str>,
    number: usize,
    action: TaskAction,
) -> Result<(String, State, bool)> {
    let known = State::load(&ws.repo)?;
    let name = infer_agent(ws, &known, agent)?;
    let updated = state::update_from::<_, Error>(&ws.repo, Some(known), |state| {
        let spec = state
            .plan
            .agent_mut(&name)
            .ok_or_else(|| Error::Usage(format!("{name} was removed from the plan")))?;
        let count = spec.tasks.len();
        if number == 0 || number > count {
            return Err(Error::Usage(match count {
                0 => format!("{name} has no tasks"),
                1 => format!("{name} has 1 task; use task number 1"),
                _ => format!("{name} has {count} tasks; use a number from 1 to {count}"),
            }));
        }
        let task = &mut spec.tasks[number - 1];
        let title = task.title.clone();
        let verb = match action {
            TaskAction::Start => "start",
            TaskAction::Done => {
                task.done = true;
                "done"
            }
            TaskAction::Undo => {
                task.done = false;
                "undo"
            }
        };
        let doc = state
            .agent_mut(&name)
            .ok_or_else(|| Error::Usage(format!("{name} has no status document")))?;
        match action {
            TaskAction::Start => doc.current_task = Some(number),
            TaskAction::Done if doc.current_task == Some(number) => doc.current_task = None,
            _ => {}
        }
        Ok((format!("task {verb} {name} #{number}: {title}"), ()))
    })?;
    Ok((name, updated.state, updated.commit.is_some()))
}

/// Change the agent's status and/or leave a note.
pub fn update(
    ws: &Workspace,
    agent: Option<&str>,
    status: Option<Status>,
    note: Option<&str>,
    failure: Option<&str>,
) -> Result<(String, State, bool)> {
    if status.is_none() && note.is_none() {
        return Err(Error::Usage(
            "nothing to update; pass --status STATUS and/or --note TEXT".to_owned(),
        ));
    }
    let known = State::load(&ws.repo)?;
    let name = infer_agent(ws, &known, agent)?;
    let by = crate::git::cas::identity(&ws.repo)?;
    let at = crate::time::now_rfc3339();
    let updated = state::update_from::<_, Error>(&ws.repo, Some(known), |state| {
        let doc = state
            .agent_mut(&name)
            .ok_or_else(|| Error::Usage(format!("{name} has no status document")))?;
        let mut parts = Vec::new();
        if let Some(status) = status {
            doc.status = status;
            if status == Status::Failed {
                doc.failure = failure.or(note).map(str::to_owned);
            } else {
                doc.failure = None;
            }
            parts.push(format!("status {status}"));
        }
        if let Some(text) = note {
            doc.notes.push(Note {
                at: at.clone(),
                by: by.clone(),
                text: text.to_owned(),
            });
            parts.push(format!("note {}", one_line(text)));
        }
        Ok((format!("update {name}: {}", parts.join(", ")), ()))
    })?;
    Ok((name, updated.state, updated.commit.is_some()))
}

fn one_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or("");
    if line.chars().count() > 60 {
        format!("{}…", line.chars().take(60).collect::<String>())
    } else {
        line.to_owned()
    }
}
