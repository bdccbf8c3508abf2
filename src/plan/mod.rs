//! The plan: which agents exist, their branches, worktrees, tasks and dependencies.
//!
//! This module owns the in-memory model and its validation; the submodules read and
//! write it in the formats people use (Markdown as written by hand, TOML, JSON).

pub mod graph;
mod hours;
mod markdown;
mod model;
mod names;
pub mod timeline;
mod toml_format;

pub use hours::{Rates, format_hours, parse_estimate};
pub use model::DEFAULT_WORKTREES_DIR;
pub use model::PortSettings;
#[cfg(test)]
pub(crate) use model::test_plan;
pub use model::validate_copy_path;
pub use model::{AgentSpec, ForgeKind, MergeMethod, MergeSettings, Plan, Task};
pub(crate) use model::{join_dir, normalize_dir};
pub use names::{closest_name, validate_agent_name, validate_branch_name};

use std::path::Path;

/// Everything that can go wrong while reading, writing or changing a plan.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// The Markdown document could not be read as a plan.
    #[error("{path}: {message}")]
    Markdown { path: String, message: String },
    /// The TOML document could not be parsed or has the wrong shape.
    #[error("{path}: invalid TOML plan: {message}")]
    Toml { path: String, message: String },
    /// The JSON document could not be parsed or has the wrong shape.
    #[error("{path}: invalid JSON plan: {message}")]
    Json { path: String, message: String },
    /// An agent name cannot be used as a directory name and a ref component.
    #[error("invalid agent name {name:?}: {reason}")]
    InvalidName { name: String, reason: String },
    /// A branch name that git would reject.
    #[error("invalid branch name {name:?} for agent {agent}: {reason}")]
    InvalidBranch {
        agent: String,
        name: String,
        reason: String,
    },
    /// A coding-agent program named by something other than a plain word.
    #[error(
        "{agent}'s cli {cli:?} is not a program name; write one word such as claude, codex, gemini or aider"
    )]
    InvalidCli { agent: String, cli: String },
    /// Two agents share a name.
    #[error("agent {0} is defined twice; give each agent a unique name")]
    DuplicateAgent(String),
    /// A task's estimate is not a number of hours a plan can schedule.
    #[error(
        "{agent}: task {task:?} is estimated at {hours} h; an estimate is a number of hours from 0 to {MAX_TASK_HOURS} (split bigger work into tasks)"
    )]
    Estimate {
        agent: String,
        task: String,
        hours: f64,
    },
    /// An agent would work on the base branch itself.
    #[error(
        "{agent}'s branch is {branch}, the base branch; an agent works on a branch of its own (for example agents/{agent})"
    )]
    BranchIsBase { agent: String, branch: String },
    /// Two agents would work on the same branch or in the same worktree.
    #[error("agents {first} and {second} both use {what} {value}; each agent needs its own")]
    SharedResource {
        first: String,
        second: String,
        what: &'static str,
        value: String,
    },
    /// A dependency names no agent of the plan.
    #[error("agent {agent} depends on unknown agent {dependency}{hint}")]
    UnknownDependency {
        agent: String,
        dependency: String,
        hint: String,
    },
    /// An agent depends on itself.
    #[error("agent {0} depends on itself; remove it from its own dependencies")]
    SelfDependency(String),
    /// The dependencies form a cycle; the path lists it, first agent repeated at the end.
    #[error("dependency cycle: {}", .0.join(" → "))]
    Cycle(Vec<String>),
    /// A task estimate that cannot be read.
    #[error("cannot read the estimate in task {0:?}: write it as (8h), (1.5h), (30 min) or (2d)")]
    BadEstimate(String),
    /// The file extension tells nothing and the content is no known format.
    #[error("{0}: unknown plan format; use a .md, .toml or .json file")]
    UnknownFormat(String),
    /// A path to copy into worktrees that cannot be used.
    #[error("cannot copy {path:?} into agent worktrees: {reason}")]
    BadCopyPath { path: String, reason: String },
    /// A port base of 0.
    #[error("the port base must be a port number from 1 to 65535")]
    BadPortBase,
    /// An import gave warnings and `--strict` asked for none.
    #[error(
        "{path}: {first}; fix the plan, or import it without --strict to accept these readings"
    )]
    Strict { path: String, first: String },
    /// A Markdown document in which no agent could be found.
    #[error("{path} is not a plan: {seen}")]
    NotAPlan { path: String, seen: String },
    /// The plan has no agents at all.
    #[error(
        "{0}: the plan names no agents; each agent needs a heading with a **Branch:** line, or an [[agents]] table in TOML"
    )]
    Empty(String),
}

/// The largest estimate one task may have, in hours (five years of working days): past it
/// an estimate is a typo, and charts and schedules stop meaning anything.
pub const MAX_TASK_HOURS: f64 = 10_000.0;

/// The formats a plan can be read from and written to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Markdown as people write it (headings, checklists, dependency lines).
    Markdown,
    /// The TOML format documented in the README.
    Toml,
    /// The JSON shape of `plan show --json`.
    Json,
}

/// A plan written out in one format; `plan export --json` prints it as it is.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Export {
    /// The format it is in.
    pub format: Format,
    /// The plan in that format.
    pub text: String,
}

impl Format {
    /// Guess the format of `path` from its extension, falling back to sniffing `text`.
    pub fn detect(path: &Path, text: &str) -> Option<Format> {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("md" | "markdown" | "mdown") => Some(Format::Markdown),
            Some("toml") => Some(Format::Toml),
            Some("json") => Some(Format::Json),
            _ => {
                let trimmed = text.trim_start();
                if trimmed.starts_with('{') {
                    Some(Format::Json)
                } else if trimmed.starts_with('#') || trimmed.contains("**Branch") {
                    Some(Format::Markdown)
                } else if trimmed.contains("[[agents]]") {
                    Some(Format::Toml)
                } else {
                    None
                }
            }
        }
    }
}

/// Read a task written as `Title (8h)`; an estimate that cannot be read is an error.
pub fn parse_task(text: &str) -> Result<Task, PlanError> {
    let (title, hours) =
        hours::split_estimate(text).map_err(|_| PlanError::BadEstimate(text.trim().to_owned()))?;
    Ok(Task {
        title,
        hours: hours.unwrap_or(0.0),
        done: false,
    })
}

impl Plan {
    /// Parse `text` (read from `path`, which names it in errors) in `format`, then validate it.
    pub fn parse(
        text: &str,
        format: Format,
        path: &str,
        worktrees_dir: &str,
    ) -> Result<Plan, PlanError> {
        Plan::import(text, format, path, worktrees_dir).map(|imported| imported.plan)
    }

    /// Parse and validate like [`Plan::parse`], saying where each agent and dependency
    /// came from and what was read but not used.
    pub fn import(
        text: &str,
        format: Format,
        path: &str,
        worktrees_dir: &str,
    ) -> Result<Imported, PlanError> {
        Plan::import_at(text, format, path, worktrees_dir, &Rates::default())
    }

    /// [`Plan::import`] reading days and story points of Markdown estimates as `rates` says.
    pub fn import_at(
        text: &str,
        format: Format,
        path: &str,
        worktrees_dir: &str,
        rates: &Rates,
    ) -> Result<Imported, PlanError> {
        let (plan, understanding) = match format {
            Format::Markdown => markdown::parse(text, path, worktrees_dir, rates)?,
            Format::Toml => (
                toml_format::parse(text, path, worktrees_dir)?,
                Understanding::default(),
            ),
            Format::Json => (
                Plan::from_json(text, path, worktrees_dir)?,
                Understanding::default(),
            ),
        };
        if plan.agents.is_empty() {
            return Err(match format {
                Format::Markdown => PlanError::NotAPlan {
                    path: path.to_owned(),
                    seen: markdown::describe_refusal(text),
                },
                _ => PlanError::Empty(path.to_owned()),
            });
        }
        plan.validate()?;
        Ok(Imported {
            plan,
            format,
            understanding,
        })
    }

    /// Render the plan in `format`; parsing the result gives the same plan back.
    pub fn export(&self, format: Format) -> String {
        match format {
            Format::Markdown => markdown::render(self),
            Format::Toml => toml_format::render(self),
            Format::Json => self.to_json_pretty(),
        }
    }
}

/// Where one agent of an imported document was found.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AgentOrigin {
    /// The agent's name in the plan.
    pub name: String,
    /// The line of the document it came from.
    pub line: usize,
}

/// One dependency an import read: `agent` waits for `depends_on`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct DependencyEdge {
    /// The agent that waits.
    pub agent: String,
    /// The agent it waits for.
    pub depends_on: String,
    /// The line that says so.
    pub line: usize,
    /// How it was said: `stated`, `order of waves or phases`, `json block`.
    pub from: String,
}

/// Something an import read but could not use, or used with a guess.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Warning {
    /// The document's line, when there is one.
    pub line: Option<usize>,
    /// What was seen and what was done with it.
    pub message: String,
}

/// What an import understood of a document beyond the plan itself.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Understanding {
    /// Each agent with the line it came from, in plan order.
    pub agents: Vec<AgentOrigin>,
    /// Each dependency with the line it came from.
    pub edges: Vec<DependencyEdge>,
    /// Everything read but not used, in line order.
    pub warnings: Vec<Warning>,
}

impl Understanding {
    /// Refuse the plan at `path` when the import gave any warning (`--strict`).
    pub fn refuse_warnings(&self, path: &str) -> Result<(), PlanError> {
        let Some(first) = self.warnings.first() else {
            return Ok(());
        };
        let at = first
            .line
            .map(|l| format!("line {l}: "))
            .unwrap_or_default();
        let more = match self.warnings.len() {
            1 => String::new(),
            n => format!(" (and {} more)", n - 1),
        };
        Err(PlanError::Strict {
            path: path.to_owned(),
            first: format!("{at}{}{more}", first.message),
        })
    }
}

/// A plan imported from a document, with what was understood of it.
#[derive(Debug, Clone)]
pub struct Imported {
    /// The plan.
    pub plan: Plan,
    /// The format it was read in.
    pub format: Format,
    /// Where its parts came from, and the warnings.
    pub understanding: Understanding,
}
