//! The plan's data model and its checks.

use serde::{Deserialize, Serialize};

use super::{PlanError, closest_name, validate_agent_name, validate_branch_name};

/// A whole plan: settings shared by every agent, and the agents in plan order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// The branch agents start from and merge into; `None` means "decided at init".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base: Option<String>,
    /// Where agent worktrees go, relative to the main worktree unless absolute.
    #[serde(default = "default_worktrees_dir")]
    pub worktrees_dir: String,
    /// Which forge brings work home; `None` means "GitHub when the origin is GitHub, else local".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forge: Option<ForgeKind>,
    /// The command that tests an agent's work.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_command: Option<String>,
    /// The command that reviews an agent's work and prints a score.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review_command: Option<String>,
    /// The command run between review iterations to address findings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix_command: Option<String>,
    /// When an agent's work may merge.
    #[serde(default)]
    pub merge: MergeSettings,
    /// The agents, in the order the plan lists them.
    pub agents: Vec<AgentSpec>,
    /// Paths (usually ignored ones such as `.env` or `node_modules`) copied from the main
    /// worktree into each new agent worktree.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub copy: Vec<String>,
    /// The command run in each new agent worktree to make it ready (`npm ci`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub setup: Option<String>,
    /// The command run in an agent's worktree just before `finish` removes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub teardown: Option<String>,
    /// The command run in an agent's worktree before its work merges; merging waits for
    /// it to pass.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pre_merge: Option<String>,
    /// The command run in the main worktree after an agent's work merged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post_merge: Option<String>,
    /// The ports handed out to agents, one each.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ports: Option<PortSettings>,
}

/// Where agents' ports start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortSettings {
    /// The first port; agents get `base`, `base + 1`, … by their place in the plan.
    pub base: u16,
}

/// One agent of the plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentSpec {
    /// Unique name, usable as a directory and a ref component (`backend-agent`).
    pub name: String,
    /// What the agent is for (`Backend Architecture`).
    #[serde(default)]
    pub title: String,
    /// The branch the agent works on.
    pub branch: String,
    /// The agent's worktree, relative to the main worktree unless absolute.
    pub worktree: String,
    /// Names of the agents whose work must merge before this one starts.
    #[serde(default)]
    pub depends_on: Vec<String>,
    /// The agent's tasks, in order.
    #[serde(default)]
    pub tasks: Vec<Task>,
    /// The command `run` launches in the agent's worktree.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    /// A coding-agent program `run` knows by name (`claude`, `codex`, …), launched with
    /// the agent's brief as its prompt when there is no `command`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cli: Option<String>,
}

/// One task with its estimate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Task {
    /// What the task is.
    pub title: String,
    /// The estimate in hours (5 minutes is 0.0833…).
    #[serde(default)]
    pub hours: f64,
    /// Whether the task is done (left out when it is not). In the state, the agent's
    /// document records this; the plan shows it through `State::plan_view`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub done: bool,
}

/// Where pull requests are opened and merged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ForgeKind {
    /// GitHub, through the `gh` command.
    Github,
    /// Merges made by git-agents itself into the local base branch.
    Local,
}

/// How a pull request is merged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MergeMethod {
    /// One commit on base with the branch's combined change.
    #[default]
    Squash,
    /// A merge commit.
    Merge,
    /// The branch's commits replayed onto base.
    Rebase,
}

/// The criteria an agent's work must meet before it merges.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MergeSettings {
    /// How to merge.
    pub method: MergeMethod,
    /// Tests must pass on the head commit.
    pub require_tests: bool,
    /// Every task of the agent must be marked done.
    pub require_tasks_done: bool,
    /// The lowest review score that may merge; 0 turns the review criterion off.
    pub review_threshold: u32,
    /// How many review iterations `review` runs at most.
    pub max_review_iterations: u32,
    /// Approvals needed on the head commit.
    pub approvals: u32,
}

impl Default for MergeSettings {
    fn default() -> Self {
        MergeSettings {
            method: MergeMethod::Squash,
            require_tests: true,
            require_tasks_done: true,
            review_threshold: 10,
            max_review_iterations: 5,
            approvals: 1,
        }
    }
}

/// The worktrees directory used when a plan names none.
pub const DEFAULT_WORKTREES_DIR: &str = "worktrees";

fn default_worktrees_dir() -> String {
    DEFAULT_WORKTREES_DIR.to_owned()
}

impl Plan {
    /// An empty plan with default settings.
    pub fn new(worktrees_dir: &str) -> Plan {
        Plan {
            base: None,
            worktrees_dir: worktrees_dir.to_owned(),
            forge: None,
            test_command: None,
            review_command: None,
            fix_command: None,
            merge: MergeSettings::default(),
            agents: Vec::new(),
            copy: Vec::new(),
            setup: None,
            teardown: None,
            pre_merge: None,
            post_merge: None,
            ports: None,
        }
    }

    /// The agent called `name`.
    pub fn agent(&self, name: &str) -> Option<&AgentSpec> {
        self.agents.iter().find(|a| a.name == name)
    }

    /// The agent called `name`, for changing it.
    pub fn agent_mut(&mut self, name: &str) -> Option<&mut AgentSpec> {
        self.agents.iter_mut().find(|a| a.name == name)
    }

    /// The names of all agents, in plan order.
    pub fn names(&self) -> Vec<&str> {
        self.agents.iter().map(|a| a.name.as_str()).collect()
    }

    /// The names of the agents that depend directly on `name`.
    pub fn dependents(&self, name: &str) -> Vec<&str> {
        self.agents
            .iter()
            .filter(|a| a.depends_on.iter().any(|d| d == name))
            .map(|a| a.name.as_str())
            .collect()
    }

    /// The default worktree path of an agent called `name`.
    pub fn default_worktree(&self, name: &str) -> String {
        join_dir(&self.worktrees_dir, name)
    }

    /// Sum of all task estimates, in hours.
    pub fn total_hours(&self) -> f64 {
        self.agents.iter().fold(0.0, |sum, a| sum + a.total_hours())
    }

    /// Number of tasks across all agents.
    pub fn task_count(&self) -> usize {
        self.agents.iter().map(|a| a.tasks.len()).sum()
    }

    /// Check every rule a plan must keep: valid unique names, distinct valid branches
    /// and worktrees, known dependencies, no self-dependency and no cycle.
    pub fn validate(&self) -> Result<(), PlanError> {
        let mut seen: Vec<&AgentSpec> = Vec::with_capacity(self.agents.len());
        let mut names = std::collections::HashSet::with_capacity(self.agents.len());
        for agent in &self.agents {
            validate_agent_name(&agent.name)?;
            if let Some(task) = agent
                .tasks
                .iter()
                .find(|t| !(0.0..=super::MAX_TASK_HOURS).contains(&t.hours))
            {
                return Err(PlanError::Estimate {
                    agent: agent.name.clone(),
                    task: task.title.clone(),
                    hours: task.hours,
                });
            }
            validate_branch_name(&agent.name, &agent.branch)?;
            if let Some(cli) = &agent.cli
                && (cli.is_empty()
                    || !cli
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
            {
                return Err(PlanError::InvalidCli {
                    agent: agent.name.clone(),
                    cli: cli.clone(),
                });
            }
            if !names.insert(agent.name.as_str()) {
                return Err(PlanError::DuplicateAgent(agent.name.clone()));
            }
            seen.push(agent);
        }
        let mut branches = std::collections::HashMap::with_capacity(self.agents.len());
        let mut worktrees = std::collections::HashMap::with_capacity(self.agents.len());
        for agent in &self.agents {
            if self.base.as_deref() == Some(agent.branch.as_str()) {
                return Err(PlanError::BranchIsBase {
                    agent: agent.name.clone(),
                    branch: agent.branch.clone(),
                });
            }
            if let Some(first) = branches.insert(agent.branch.as_str(), agent.name.as_str()) {
                return Err(PlanError::SharedResource {
                    first: first.to_owned(),
                    second: agent.name.clone(),
                    what: "branch",
                    value: agent.branch.clone(),
                });
            }
            let worktree = normalize_dir(&agent.worktree);
            if let Some(first) = worktrees.insert(worktree.clone(), agent.name.as_str()) {
                return Err(PlanError::SharedResource {
                    first: first.to_owned(),
                    second: agent.name.clone(),
                    what: "worktree",
                    value: worktree,
                });
            }
        }
        for agent in &self.agents {
            for dependency in &agent.depends_on {
                if dependency == &agent.name {
                    return Err(PlanError::SelfDependency(agent.name.clone()));
                }
                if !names.contains(dependency.as_str()) {
                    let hint = closest_name(dependency, names.iter().copied())
                        .map(|n| format!(" (did you mean {n}?)"))
                        .unwrap_or_default();
                    return Err(PlanError::UnknownDependency {
                        agent: agent.name.clone(),
                        dependency: dependency.clone(),
                        hint,
                    });
                }
            }
        }
        if let Some(cycle) = crate::plan::graph::Graph::new(self).find_cycle() {
            return Err(PlanError::Cycle(cycle));
        }
        for path in &self.copy {
            validate_copy_path(path)?;
        }
        if self.ports.is_some_and(|p| p.base == 0) {
            return Err(PlanError::BadPortBase);
        }
        Ok(())
    }

    /// The JSON shape of `plan show --json`.
    pub fn to_json_pretty(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("a plan always serializes");
        text.push('\n');
        text
    }

    /// Read the JSON shape written by [`Plan::to_json_pretty`]; a missing worktree
    /// defaults to `<worktrees_dir>/<name>`.
    pub fn from_json(text: &str, path: &str, worktrees_dir: &str) -> Result<Plan, PlanError> {
        #[derive(Deserialize)]
        struct Loose {
            #[serde(default)]
            base: Option<String>,
            #[serde(default)]
            worktrees_dir: Option<String>,
            #[serde(default)]
            forge: Option<ForgeKind>,
            #[serde(default)]
            test_command: Option<String>,
            #[serde(default)]
            review_command: Option<String>,
            #[serde(default)]
            fix_command: Option<String>,
            #[serde(default)]
            merge: MergeSettings,
            agents: Vec<LooseAgent>,
            #[serde(default)]
            copy: Vec<String>,
            #[serde(default)]
            setup: Option<String>,
            #[serde(default)]
            teardown: Option<String>,
            #[serde(default)]
            pre_merge: Option<String>,
            #[serde(default)]
            post_merge: Option<String>,
            #[serde(default)]
            ports: Option<PortSettings>,
        }
        #[derive(Deserialize)]
        struct LooseAgent {
            name: String,
            #[serde(default)]
            title: String,
            branch: Option<String>,
            worktree: Option<String>,
            #[serde(default)]
            depends_on: Vec<String>,
            #[serde(default)]
            tasks: Vec<Task>,
            #[serde(default)]
            command: Option<String>,
            #[serde(default)]
            cli: Option<String>,
        }
        let loose: Loose = serde_json::from_str(text).map_err(|e| PlanError::Json {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
        let mut plan = Plan::new(loose.worktrees_dir.as_deref().unwrap_or(worktrees_dir));
        plan.base = loose.base;
        plan.forge = loose.forge;
        plan.test_command = loose.test_command;
        plan.review_command = loose.review_command;
        plan.fix_command = loose.fix_command;
        plan.merge = loose.merge;
        plan.copy = loose.copy;
        plan.setup = loose.setup;
        plan.teardown = loose.teardown;
        plan.pre_merge = loose.pre_merge;
        plan.post_merge = loose.post_merge;
        plan.ports = loose.ports;
        for agent in loose.agents {
            let worktree = agent
                .worktree
                .unwrap_or_else(|| plan.default_worktree(&agent.name));
            let branch = agent
                .branch
                .unwrap_or_else(|| format!("agents/{}", agent.name));
            if agent
                .tasks
                .iter()
                .any(|t| !t.hours.is_finite() || t.hours < 0.0)
            {
                return Err(PlanError::Json {
                    path: path.to_owned(),
                    message: format!(
                        "agent {}: task hours must be a non-negative number",
                        agent.name
                    ),
                });
            }
            plan.agents.push(AgentSpec {
                name: agent.name,
                title: agent.title,
                branch,
                worktree,
                depends_on: agent.depends_on,
                tasks: agent.tasks,
                command: agent.command,
                cli: agent.cli,
            });
        }
        Ok(plan)
    }
}

impl AgentSpec {
    /// Sum of this agent's task estimates, in hours.
    pub fn total_hours(&self) -> f64 {
        self.tasks.iter().fold(0.0, |sum, t| sum + t.hours)
    }
}

/// `dir/name` without doubled or trailing slashes.
pub(crate) fn join_dir(dir: &str, name: &str) -> String {
    let dir = dir.trim_end_matches('/');
    if dir.is_empty() || dir == "." {
        name.to_owned()
    } else {
        format!("{dir}/{name}")
    }
}

/// A worktree path in the one spelling used for comparisons (`./a/b/` → `a/b`).
pub(crate) fn normalize_dir(path: &str) -> String {
    let trimmed = path.trim().trim_end_matches('/');
    let trimmed = trimmed.strip_prefix("./").unwrap_or(trimmed);
    trimmed.to_owned()
}

/// Refuse a path to copy into worktrees that is empty, absolute, climbs out of the
/// worktree or names git's own directory.
pub fn validate_copy_path(path: &str) -> Result<(), PlanError> {
    let bad = |reason: &str| PlanError::BadCopyPath {
        path: path.to_owned(),
        reason: reason.to_owned(),
    };
    let trimmed = path.trim();
    if trimmed.is_empty() {
        return Err(bad("it is empty"));
    }
    let as_path = std::path::Path::new(trimmed);
    if as_path.is_absolute() {
        return Err(bad("it must be relative to the main worktree"));
    }
    if as_path
        .components()
        .any(|c| matches!(c, std::path::Component::ParentDir))
    {
        return Err(bad("it must not climb out of the worktree with .."));
    }
    if as_path
        .components()
        .next()
        .is_some_and(|c| c.as_os_str() == ".git")
    {
        return Err(bad("git's own directory is never copied"));
    }
    Ok(())
}

/// A plan of one-task agents for unit tests: `(name, depends_on, hours)` each.
#[cfg(test)]
pub(crate) fn test_plan(agents: &[(&str, &[&str], f64)]) -> Plan {
    let mut plan = Plan::new("worktrees");
    for (name, depends_on, hours) in agents {
        plan.agents.push(AgentSpec {
            name: (*name).to_owned(),
            title: String::new(),
            branch: format!("agents/{name}"),
            worktree: format!("worktrees/{name}"),
            depends_on: depends_on.iter().map(|d| (*d).to_owned()).collect(),
            tasks: vec![Task {
                title: "work".to_owned(),
                hours: *hours,
                done: false,
            }],
            command: None,
            cli: None,
        });
    }
    plan
}
