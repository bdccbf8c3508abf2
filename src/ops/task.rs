//! The `task` operation: an agent starts, finishes or reopens one of its tasks.

use serde::Serialize;

use crate::error::{Error, Result};
use crate::git::workspace::Workspace;
use crate::state::{self, State, Status};

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

/// What a task report changed; `--json` prints it as it is.
#[derive(Debug, Clone, Serialize)]
pub struct TaskReport {
    /// The agent whose task it is.
    pub agent: String,
    /// The task's number, from 1.
    pub task: usize,
    /// The task's title.
    pub title: String,
    /// Whether the state changed (false when the task already was so).
    pub changed: bool,
    /// How many of the agent's tasks are done now.
    pub tasks_done: usize,
    /// How many tasks the agent has.
    pub tasks_total: usize,
}

/// Start, finish or reopen task `number` (from 1) of the agent.
pub fn set_task(
    ws: &Workspace,
    agent: Option<&str>,
    number: usize,
    action: TaskAction,
) -> Result<TaskReport> {
    let known = State::load(&ws.repo)?;
    let name = super::infer_agent(ws, &known, agent)?;
    let updated = state::update_from::<_, Error>(&ws.repo, Some(known), |state| {
        let spec = state
            .plan
            .agent(&name)
            .ok_or_else(|| Error::Usage(format!("{name} was removed from the plan")))?;
        let count = spec.tasks.len();
        if number == 0 || number > count {
            return Err(Error::Usage(match count {
                0 => format!("{name} has no tasks"),
                1 => format!("{name} has 1 task; use task number 1"),
                _ => format!("{name} has {count} tasks; use a number from 1 to {count}"),
            }));
        }
        let title = spec.tasks[number - 1].title.clone();
        let doc = state
            .agent_mut(&name)
            .ok_or_else(|| Error::Usage(format!("{name} has no status document")))?;
        if action != TaskAction::Start && doc.status == Status::Planned {
            return Err(Error::Refused(format!(
                "{name} is planned and not spawned; its tasks change once it is spawned (git agents spawn {name})"
            )));
        }
        if action != TaskAction::Start
            && matches!(doc.status, Status::Completed | Status::Abandoned)
        {
            return Err(Error::Refused(format!(
                "{name} is {}; its tasks no longer change",
                doc.status
            )));
        }
        let verb = match action {
            TaskAction::Start => {
                doc.current_task = Some(number);
                "start"
            }
            TaskAction::Done => {
                doc.done_tasks.insert(number);
                if doc.current_task == Some(number) {
                    doc.current_task = None;
                }
                "done"
            }
            TaskAction::Undo => {
                doc.done_tasks.remove(&number);
                "undo"
            }
        };
        Ok((format!("task {verb} {name} #{number}: {title}"), ()))
    })?;
    let spec = updated
        .state
        .plan
        .agent(&name)
        .ok_or_else(|| Error::Usage(format!("{name} was removed from the plan")))?;
    Ok(TaskReport {
        task: number,
        title: spec.tasks[number - 1].title.clone(),
        changed: updated.commit.is_some(),
        tasks_done: updated.state.done_tasks(&name).len(),
        tasks_total: spec.tasks.len(),
        agent: name,
    })
}
