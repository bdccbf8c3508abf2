//! `init`: import a plan and create the state ref.

use serde::Serialize;
use std::path::{Path, PathBuf};

use crate::config::{self, Layer, Settings, Source};
use crate::error::{Error, Result};
use crate::git::workspace::Workspace;
use crate::git::worktree;
use crate::plan::{
    DEFAULT_WORKTREES_DIR, Format, Imported, Plan, Rates, Warning, join_dir, normalize_dir,
};
use crate::state::{self, State, StateError};

/// What `init` was asked to do.
#[derive(Debug, Default, Clone)]
pub struct InitOptions {
    /// The plan file to import; an empty plan when absent.
    pub plan_file: Option<PathBuf>,
    /// A plan already read, imported instead of `plan_file`.
    pub plan: Option<Plan>,
    /// The base branch; defaults to `agents.base`, then the plan's, then the current branch.
    pub base: Option<String>,
    /// Where worktrees go; defaults to `agents.worktreesDir`, then the plan's, then `worktrees`.
    pub worktrees_dir: Option<String>,
    /// Replace existing state.
    pub force: bool,
    /// Refuse a plan whose import gives warnings.
    pub strict: bool,
}

/// The merge criteria in force after `init`, with the settings that change them, so a
/// newcomer learns what merging needs before it is needed.
#[derive(Debug, Clone, Serialize)]
pub struct MergeNeeds {
    /// Tests must pass on the head commit.
    pub tests: bool,
    /// The test command, when one is set.
    pub test_command: Option<String>,
    /// The lowest review score that merges; 0 turns the review off.
    pub review_threshold: u32,
    /// The review command, when one is set.
    pub review_command: Option<String>,
    /// Approvals needed.
    pub approvals: u32,
    /// Every task must be done.
    pub tasks_done: bool,
}

/// What `init` did.
#[derive(Debug, Clone, Serialize)]
pub struct InitReport {
    /// The state written.
    #[serde(skip)]
    pub state: State,
    /// Agents in the plan.
    pub agents: usize,
    /// Tasks in the plan.
    pub tasks: usize,
    /// Hours of work in the plan.
    pub hours: f64,
    /// The base branch.
    pub base: String,
    /// Where worktrees go.
    pub worktrees_dir: String,
    /// The state commit written.
    pub state_commit: Option<String>,
    /// Whether an existing state was replaced.
    pub replaced: bool,
    /// The state commit replaced: still in `refs/agents/state`'s history, and restored
    /// with `git update-ref refs/agents/state ID`.
    pub previous_state: Option<String>,
    /// What the replaced state knew of its agents that the new one does not.
    pub discarded: Vec<Discarded>,
    /// The line added to `.git/info/exclude`, if one was.
    pub excluded: Option<String>,
    /// What the import read but could not use, with its lines.
    pub warnings: Vec<Warning>,
    /// What merging needs, as configured now.
    pub merge_needs: MergeNeeds,
}

/// One agent's progress a replaced state held.
#[derive(Debug, Clone, Serialize)]
pub struct Discarded {
    /// The agent.
    pub agent: String,
    /// Its status then.
    pub status: crate::state::Status,
    /// How many of its tasks were done.
    pub tasks_done: usize,
    /// How many notes it had.
    pub notes: usize,
    /// Its pull request, if it had one.
    pub pr: Option<u64>,
}

/// The progress in `state` that a fresh state loses: every agent not still planned with
/// nothing recorded.
fn progress_in(state: &State) -> Vec<Discarded> {
    state
        .agents
        .iter()
        .filter(|(_, doc)| {
            doc.status != crate::state::Status::Planned
                || !doc.done_tasks.is_empty()
                || !doc.notes.is_empty()
                || doc.pr.is_some()
        })
        .map(|(name, doc)| Discarded {
            agent: name.clone(),
            status: doc.status,
            tasks_done: doc.done_tasks.len(),
            notes: doc.notes.len(),
            pr: doc.pr.as_ref().map(|pr| pr.number),
        })
        .collect()
}

/// Import the plan and write the first state commit.
pub fn init(ws: &Workspace, options: &InitOptions) -> Result<InitReport> {
    let flags = Layer {
        base: options.base.clone(),
        worktrees_dir: options.worktrees_dir.clone(),
        ..Layer::default()
    };
    let git_config = Layer {
        base: config::git_config_string(&ws.repo, config::BASE),
        worktrees_dir: config::git_config_string(&ws.repo, config::WORKTREES_DIR),
        ..Layer::default()
    };
    let parse_dir = flags
        .worktrees_dir
        .clone()
        .or_else(|| git_config.worktrees_dir.clone())
        .unwrap_or_else(|| DEFAULT_WORKTREES_DIR.to_owned());
    let mut warnings = Vec::new();
    let mut plan = match (&options.plan, &options.plan_file) {
        (Some(plan), _) => plan.clone(),
        (None, Some(path)) => {
            let rates = config::estimate_rates(&ws.repo)?;
            let imported = import_plan_file(path, &parse_dir, options.strict, &rates)?;
            warnings = imported.understanding.warnings;
            imported.plan
        }
        (None, None) => Plan::new(&parse_dir),
    };
    let settings = Settings::from_layers(&flags, &git_config, &Layer::from_plan(&plan));
    move_worktrees_dir(&mut plan, &settings.worktrees_dir.value);
    let base = settings
        .base
        .value
        .map(Ok)
        .unwrap_or_else(|| current_branch(ws))?;
    if worktree::branch_tip(&ws.repo, &base)?.is_none() {
        if ws.repo.head_id().is_err() {
            return Err(Error::Usage(
                "this repository has no commits yet; make a first commit (git commit --allow-empty -m \"Initial commit\") before git agents init".to_owned(),
            ));
        }
        let hint = match settings.base.source {
            Source::GitConfig => format!(
                "create it, pass --base BRANCH, or change git config {}",
                config::BASE
            ),
            _ => "create it or pass --base BRANCH".to_owned(),
        };
        return Err(Error::Usage(format!(
            "base branch {base:?} does not exist; {hint}"
        )));
    }
    plan.base = Some(base);
    plan.validate()?;
    let planned = State::new(plan.clone());
    let protected = super::guard::Protected::read(ws, &planned);
    for agent in &plan.agents {
        protected.check(&agent.name, &agent.branch)?;
    }

    let existing = State::read(&ws.repo);
    let (previous_state, discarded) = match &existing {
        Ok(Some(old)) => (old.tip.map(|tip| tip.commit.to_string()), progress_in(old)),
        _ => (None, Vec::new()),
    };
    if !options.force {
        match existing {
            Ok(Some(state)) => {
                return Err(StateError::AlreadyInitialized {
                    agents: state.plan.agents.len(),
                }
                .into());
            }
            Err(StateError::NotInitialized) | Ok(None) => {}
            Err(_) => {
                return Err(Error::Refused(format!(
                    "{} exists but cannot be read; pass --force to start a new state on top of it",
                    state::STATE_REF
                )));
            }
        }
    }
    let count = plan.agents.len();
    let message = format!(
        "init: import plan with {count} agent{}",
        if count == 1 { "" } else { "s" }
    );
    let mut replaced = false;
    let force = options.force;
    let updated = state::replace::<Error>(&ws.repo, &message, State::new(plan), |exists| {
        replaced = exists;
        if exists && !force {
            return Err(StateError::AlreadyInitialized { agents: 0 }.into());
        }
        Ok(())
    })?;
    // The plan file is the user's own: what it runs is accepted on this machine.
    super::trust::accept(ws, &updated.state.plan)?;
    let excluded = exclude_worktrees_dir(ws, &updated.state.plan.worktrees_dir)?;
    let plan = &updated.state.plan;
    let criteria = config::merge_settings(&ws.repo, plan)?;
    let shown = |kind| config::command(&ws.repo, plan, kind, &[]).map(|command| command.display());
    let merge_needs = MergeNeeds {
        tests: criteria.require_tests,
        test_command: shown(config::CommandKind::Test),
        review_threshold: criteria.review_threshold,
        review_command: shown(config::CommandKind::Review),
        approvals: criteria.approvals,
        tasks_done: criteria.require_tasks_done,
    };
    Ok(InitReport {
        merge_needs,
        agents: plan.agents.len(),
        tasks: plan.task_count(),
        hours: plan.total_hours(),
        base: updated.state.base().to_owned(),
        worktrees_dir: plan.worktrees_dir.clone(),
        state_commit: updated.state.tip.map(|t| t.commit.to_string()),
        previous_state: previous_state.filter(|_| replaced),
        discarded: if replaced { discarded } else { Vec::new() },
        replaced,
        excluded,
        warnings,
        state: updated.state,
    })
}

/// Read and import a plan file in the format its name or content says; with `strict`, a
/// warning refuses it.
pub fn import_plan_file(
    path: &Path,
    worktrees_dir: &str,
    strict: bool,
    rates: &Rates,
) -> Result<Imported> {
    let text = fs_err::read_to_string(path)
        .map_err(|e| Error::Usage(format!("cannot read the plan: {e}")))?;
    let shown = path.display().to_string();
    let format = Format::detect(path, &text)
        .ok_or_else(|| crate::plan::PlanError::UnknownFormat(shown.clone()))?;
    let imported = Plan::import_at(&text, format, &shown, worktrees_dir, rates)?;
    if strict {
        imported.understanding.refuse_warnings(&shown)?;
    }
    Ok(imported)
}

/// The file `init --example` writes the shipped example plan to, in the main worktree.
pub const EXAMPLE_FILE: &str = "parallel-plan.md";

/// Write the shipped example plan to [`EXAMPLE_FILE`] in the main worktree, for a first
/// plan to start from; a file already there is left alone unless it is the example.
pub fn write_example(ws: &Workspace) -> Result<PathBuf> {
    let path = ws.main_root.join(EXAMPLE_FILE);
    match crate::fsutil::write_new(&path, super::demo::EXAMPLE_PLAN.as_bytes()) {
        Ok(()) => Ok(path),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let same = fs_err::read(&path).is_ok_and(|b| b == super::demo::EXAMPLE_PLAN.as_bytes());
            if same {
                Ok(path)
            } else {
                Err(Error::Usage(format!(
                    "{EXAMPLE_FILE} already exists and is not the example plan; import it with --plan {EXAMPLE_FILE}, or move it away and run --example again"
                )))
            }
        }
        Err(e) => Err(Error::Usage(format!(
            "cannot write the example plan to {}: {e}",
            path.display()
        ))),
    }
}

/// The worktrees directory a plan is read with: `--worktrees-dir`, else
/// `agents.worktreesDir`, else the default.
pub fn worktrees_dir_for(ws: &Workspace, flag: Option<&str>) -> String {
    flag.map(str::to_owned)
        .or_else(|| config::git_config_string(&ws.repo, config::WORKTREES_DIR))
        .unwrap_or_else(|| DEFAULT_WORKTREES_DIR.to_owned())
}

/// The branch the main worktree has checked out.
fn current_branch(ws: &Workspace) -> Result<String> {
    worktree::checked_out_branch(&ws.git())?.ok_or_else(|| {
        Error::Usage(
            "HEAD is detached, so there is no branch to start agents from; pass --base BRANCH"
                .to_owned(),
        )
    })
}

/// Make `dir` the plan's worktrees directory, moving along every agent that lives in the
/// old one under its own name; agents placed elsewhere stay where the plan put them.
fn move_worktrees_dir(plan: &mut Plan, dir: &str) {
    if plan.worktrees_dir == dir {
        return;
    }
    let old = plan.worktrees_dir.clone();
    for agent in &mut plan.agents {
        if normalize_dir(&agent.worktree) == normalize_dir(&join_dir(&old, &agent.name)) {
            agent.worktree = join_dir(dir, &agent.name);
        }
    }
    plan.worktrees_dir = dir.to_owned();
}

/// Add the worktrees directory to `info/exclude` so agent worktrees never show as
/// untracked files in the main worktree.
fn exclude_worktrees_dir(ws: &Workspace, worktrees_dir: &str) -> Result<Option<String>> {
    let dir = Path::new(worktrees_dir);
    if dir.is_absolute() {
        match dir.strip_prefix(&ws.main_root) {
            Ok(relative) => return exclude_line(ws, &relative.to_string_lossy()),
            Err(_) => return Ok(None),
        }
    }
    exclude_line(ws, worktrees_dir)
}

fn exclude_line(ws: &Workspace, relative: &str) -> Result<Option<String>> {
    let relative = relative.trim_start_matches("./").trim_end_matches('/');
    if relative.is_empty() || relative == "." || relative.starts_with("..") {
        return Ok(None);
    }
    let line = format!("/{relative}/");
    let info = ws.common_dir.join("info");
    let path = info.join("exclude");
    let current = fs_err::read_to_string(&path).unwrap_or_default();
    if current
        .lines()
        .any(|l| l.trim() == line || l.trim() == format!("/{relative}"))
    {
        return Ok(None);
    }
    fs_err::create_dir_all(&info).map_err(|e| Error::External(e.to_string()))?;
    let mut text = current;
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(&line);
    text.push('\n');
    fs_err::write(&path, text).map_err(|e| Error::External(e.to_string()))?;
    Ok(Some(line))
}
