//! `plan check`: what an import of a plan file understands, without changing anything.

use serde::Serialize;
use std::path::Path;

use crate::error::Result;
use crate::git::workspace::Workspace;
use crate::plan::{DEFAULT_WORKTREES_DIR, DependencyEdge, Format, Rates, Warning};

/// What a plan file imports as: every agent and dependency with the line it came from, and
/// every warning. The `--json` contract of `plan check` and `init --dry-run`.
#[derive(Debug, Clone, Serialize)]
pub struct PlanCheck {
    /// The file read.
    pub file: String,
    /// The format it was read in.
    pub format: Format,
    /// The agents, in plan order.
    pub agents: Vec<CheckedAgent>,
    /// Every dependency edge with its line.
    pub edges: Vec<DependencyEdge>,
    /// Everything read but not used.
    pub warnings: Vec<Warning>,
    /// Tasks across all agents.
    pub tasks: usize,
    /// Hours of work across all agents.
    pub hours: f64,
}

/// One agent as the import understood it.
#[derive(Debug, Clone, Serialize)]
pub struct CheckedAgent {
    /// Its name.
    pub name: String,
    /// The line it came from (Markdown only).
    pub line: Option<usize>,
    /// Its title.
    pub title: String,
    /// Its branch.
    pub branch: String,
    /// Its worktree.
    pub worktree: String,
    /// How many tasks it has.
    pub tasks: usize,
    /// Its hours of work.
    pub hours: f64,
    /// The agents it waits for.
    pub depends_on: Vec<String>,
}

/// Import `path` as `init --plan` would in `ws` (or outside any repository), and say what
/// was understood.
pub fn check_plan(
    ws: Option<&Workspace>,
    path: &Path,
    worktrees_dir: Option<&str>,
    strict: bool,
) -> Result<PlanCheck> {
    let (dir, rates) = match ws {
        Some(ws) => (
            super::init::worktrees_dir_for(ws, worktrees_dir),
            crate::config::estimate_rates(&ws.repo)?,
        ),
        None => (
            worktrees_dir.unwrap_or(DEFAULT_WORKTREES_DIR).to_owned(),
            Rates::default(),
        ),
    };
    let imported = super::init::import_plan_file(path, &dir, strict, &rates)?;
    let lines = &imported.understanding.agents;
    let plan = &imported.plan;
    Ok(PlanCheck {
        file: path.display().to_string(),
        format: imported.format,
        agents: plan
            .agents
            .iter()
            .map(|agent| CheckedAgent {
                name: agent.name.clone(),
                line: lines.iter().find(|o| o.name == agent.name).map(|o| o.line),
                title: agent.title.clone(),
                branch: agent.branch.clone(),
                worktree: agent.worktree.clone(),
                tasks: agent.tasks.len(),
                hours: agent.total_hours(),
                depends_on: agent.depends_on.clone(),
            })
            .collect(),
        edges: imported.understanding.edges.clone(),
        warnings: imported.understanding.warnings.clone(),
        tasks: plan.task_count(),
        hours: plan.total_hours(),
    })
}
