//! `add` and `remove`: change which agents the plan has.

use crate::config;
use crate::error::{Error, Result};
use crate::git::workspace::Workspace;
use crate::plan::{AgentSpec, Task, join_dir};
use crate::state::{self, State, Status};

/// A new agent, as `add` describes it.
#[derive(Debug, Default, Clone)]
pub struct AddOptions {
    /// The agent's name.
    pub name: String,
    /// What it is for.
    pub title: Option<String>,
    /// Its branch; defaults to `agents/<name>`.
    pub branch: Option<String>,
    /// Its worktree; defaults to `<agents.worktreesDir or the plan's worktrees dir>/<name>`.
    pub worktree: Option<String>,
    /// Agents it depends on.
    pub depends_on: Vec<String>,
    /// Tasks as `Title (8h)`.
    pub tasks: Vec<String>,
    /// The command `run` launches for it.
    pub command: Option<String>,
}

/// Add an agent to the plan.
pub fn add(ws: &Workspace, options: &AddOptions) -> Result<State> {
    let tasks = options
        .tasks
        .iter()
        .map(|t| parse_task(t))
        .collect::<Result<Vec<_>>>()?;
    let configured_dir = config::git_config_string(&ws.repo, config::WORKTREES_DIR);
    let mut before = None;
    let updated = state::update::<_, Error>(&ws.repo, |state| {
        before = Some(state.plan.clone());
        if state.plan.agent(&options.name).is_some() {
            return Err(Error::Usage(format!(
                "the plan already has an agent named {}; change it with git agents edit {}, or choose another name",
                options.name, options.name
            )));
        }
        let spec = AgentSpec {
            name: options.name.clone(),
            title: options.title.clone().unwrap_or_default(),
            branch: options
                .branch
                .clone()
                .unwrap_or_else(|| format!("agents/{}", options.name)),
            worktree: options
                .worktree
                .clone()
                .unwrap_or_else(|| match &configured_dir {
                    Some(dir) => join_dir(dir, &options.name),
                    None => state.plan.default_worktree(&options.name),
                }),
            depends_on: options.depends_on.clone(),
            tasks: tasks.clone(),
            command: options.command.clone(),
            cli: None,
        };
        let branch = spec.branch.clone();
        state.plan.agents.push(spec);
        state.plan.validate()?;
        super::guard::check_agent_branch(ws, state, &options.name, &branch)?;
        Ok((format!("add {}", options.name), ()))
    })?;
    if let Some(before) = &before {
        super::trust::record_local_change(ws, before, &updated.state.plan)?;
    }
    Ok(updated.state)
}

/// Remove an agent from the plan; refused while others depend on it, or while it has
/// work under way unless `force`.
pub fn remove(ws: &Workspace, name: &str, force: bool) -> Result<RemoveReport> {
    let mut before = None;
    let updated = state::update::<_, Error>(&ws.repo, |state| {
        before = Some(state.plan.clone());
        super::find_agent(state, name)?;
        let dependents = state.plan.dependents(name);
        if !dependents.is_empty() {
            return Err(Error::Refused(format!(
                "{} depend{} on {name}; remove {} first",
                dependents.join(", "),
                if dependents.len() == 1 { "s" } else { "" },
                if dependents.len() == 1 { "it" } else { "them" },
            )));
        }
        let status = state
            .agent(name)
            .map(|a| a.status)
            .unwrap_or(Status::Planned);
        if status.is_active() && !force {
            return Err(Error::Refused(format!(
                "{name} is {status} with a branch and worktree; finish or abandon it first, or pass --force (its branch and worktree are left as they are)"
            )));
        }
        state.plan.agents.retain(|a| a.name != name);
        Ok((format!("remove {name}"), ()))
    })?;
    if let Some(before) = &before {
        super::trust::record_local_change(ws, before, &updated.state.plan)?;
    }
    super::finish::drop_merge_checkouts_when_done(ws, &updated.state);
    Ok(RemoveReport {
        removed: name.to_owned(),
        agents: updated.state.plan.agents.len(),
    })
}

/// What `remove` did; `--json` prints it as it is.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RemoveReport {
    /// The agent taken out of the plan.
    pub removed: String,
    /// How many agents the plan has left.
    pub agents: usize,
}

/// Read `Title (8h)` into a task.
pub fn parse_task(text: &str) -> Result<Task> {
    if text.trim().is_empty() {
        return Err(Error::Usage(
            "a task needs a title, e.g. --task \"Create service layer (16h)\"".to_owned(),
        ));
    }
    Ok(crate::plan::parse_task(text)?)
}
