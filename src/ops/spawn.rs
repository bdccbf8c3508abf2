//! `spawn`: give agents their branch and linked worktree and mark them in progress.

use crate::progress::Progress;
use serde::Serialize;

use std::path::PathBuf;

use crate::error::{Error, Result};
use crate::git::workspace::Workspace;
use crate::git::worktree::{self, WorktreeInfo};
use crate::state::{self, State, Status};

/// What one `spawn` did, agent by agent; `--json` prints it as it is.
#[derive(Debug, Clone, Serialize)]
pub struct SpawnReport {
    /// Each agent spawned (or found spawned already), in the order asked.
    pub spawned: Vec<SpawnOutcome>,
}

/// What spawning one agent did.
#[derive(Debug, Clone, Serialize)]
pub struct SpawnOutcome {
    /// The agent.
    pub name: String,
    /// Its branch.
    pub branch: String,
    /// Its worktree directory.
    pub worktree: PathBuf,
    /// Whether the branch was created (otherwise an existing one was reused).
    pub created_branch: bool,
    /// Whether the worktree was created (otherwise it already existed).
    pub created_worktree: bool,
    /// Whether the state changed (otherwise the agent was already spawned).
    #[serde(rename = "changed")]
    pub state_changed: bool,
    /// What provisioning the worktree did (copies, setup, port), if anything.
    pub provisioned: Option<crate::ops::provision::Provisioned>,
    /// Why provisioning failed, if it did; the agent is spawned all the same.
    pub provision_error: Option<String>,
}

/// How long a spawn waits for another process spawning the same agent.
const CLAIM_PATIENCE: std::time::Duration = std::time::Duration::from_secs(30);

/// Spawn `names` (or, with `ready`, every planned agent whose dependencies are merged).
/// Unless `force`, an agent with unmerged dependencies is refused before anything is done.
pub fn spawn(
    ws: &Workspace,
    names: &[String],
    ready: bool,
    force: bool,
    progress: &mut dyn Progress,
) -> Result<Vec<SpawnOutcome>> {
    let first = State::load(&ws.repo)?;
    let mut wanted = choose(&first, names, ready)?;
    wanted.sort();
    wanted.dedup();
    // Hold each agent's claim for the whole spawn: a second spawn (or run) of the same
    // agent waits here and then finds it spawned, instead of racing git.
    let claims = crate::process::claim::dir(&ws.common_dir);
    let _held = wanted
        .iter()
        .map(|name| crate::process::claim::acquire(&claims, name, "spawn", CLAIM_PATIENCE))
        .collect::<Result<Vec<_>, _>>()?;
    let state = State::load(&ws.repo)?;
    super::trust::require(ws, &state)?;
    let mut chosen = choose(&state, names, ready)?;
    chosen.retain(|name| wanted.contains(name));
    if !force {
        let blocked: Vec<String> = chosen
            .iter()
            .filter_map(|name| {
                let waiting = state.unmerged_dependencies(name);
                (!waiting.is_empty()).then(|| format!("{name} waits for {}", waiting.join(", ")))
            })
            .collect();
        if !blocked.is_empty() {
            return Err(Error::Refused(format!(
                "dependencies not merged: {}; merge them first or pass --force",
                blocked.join("; ")
            )));
        }
    }
    for name in &chosen {
        let status = state
            .agent(name)
            .map(|a| a.status)
            .unwrap_or(Status::Planned);
        if matches!(
            status,
            Status::Merged | Status::Completed | Status::Abandoned
        ) {
            return Err(Error::Refused(format!(
                "{name} is already {status}; nothing to spawn"
            )));
        }
        let spec = super::find_agent(&state, name)?;
        super::check_worktree_path(ws, &state.plan, name, &ws.resolve(&spec.worktree))?;
    }
    let base = state.base().to_owned();
    let base_tip = worktree::branch_tip(&ws.repo, &base)?.ok_or_else(|| {
        Error::Usage(format!(
            "base branch {base:?} does not exist; create it or change the plan's base"
        ))
    })?;
    let git = ws.git();
    let port_base = crate::ops::provision::settings(ws, &state)?.port_base;
    let mut worktrees = worktree::list_repairing(&git)?;
    let mut outcomes = Vec::with_capacity(chosen.len());
    let count = chosen.len();
    for (index, name) in chosen.into_iter().enumerate() {
        let place = if count > 1 {
            format!(" ({} of {count})", index + 1)
        } else {
            String::new()
        };
        let spec = super::find_agent(&state, &name)?.clone();
        super::guard::check_agent_branch(ws, &state, &name, &spec.branch)?;
        let path = ws.resolve(&spec.worktree);
        if let Some(half_made) = worktree::find_at(&worktrees, &path).filter(|w| w.is_half_made()) {
            progress.step(&format!(
                "removing {}, a worktree whose checkout was interrupted",
                half_made.path.display()
            ));
            worktree::remove(&git, &path, true)?;
            worktrees = worktree::list_repairing(&git)?;
        }
        check_path(&worktrees, &path, &name, &spec.branch)?;
        let existing_worktree = worktree::find_at(&worktrees, &path).is_some();
        let branch_tip = worktree::branch_tip(&ws.repo, &spec.branch)?;
        let created_branch = branch_tip.is_none();
        let starts_at_base = branch_tip.is_none_or(|tip| tip == base_tip);
        if created_branch || !existing_worktree {
            crate::git::cas::wait_for_lock(&ws.repo, &format!("refs/heads/{}", spec.branch))?;
        }
        if created_branch {
            progress.step(&format!("creating branch {} from {base}", spec.branch));
            worktree::create_branch(&git, &spec.branch, &base_tip.to_string())?;
            crate::fault::point(crate::fault::AFTER_BRANCH);
        }
        if !existing_worktree {
            progress.step(&format!(
                "checking out {} into {}{place}",
                spec.branch,
                path.strip_prefix(&ws.main_root).unwrap_or(&path).display()
            ));
            if let Err(err) = worktree::add(&git, &ws.repo, &path, &spec.branch) {
                if created_branch {
                    let _ = worktree::delete_branch_at(&git, &spec.branch, &base_tip.to_string());
                }
                return Err(err.into());
            }
            crate::fault::point(crate::fault::AFTER_WORKTREE);
        }
        let head = worktree::branch_tip(&ws.repo, &spec.branch)?.map(|id| id.to_string());
        let recorded = state::update::<_, Error>(&ws.repo, |state| {
            let doc = state.agent_mut(&name).ok_or_else(|| {
                Error::Usage(format!("{name} was removed from the plan meanwhile"))
            })?;
            if !doc.status.is_active() {
                doc.status = Status::InProgress;
                doc.head = head.clone();
                doc.failure = None;
                if created_branch || (doc.base_commit.is_none() && starts_at_base) {
                    doc.base_commit = Some(base_tip.to_string());
                }
            }
            if let Some(base) = port_base {
                crate::ops::provision::assign_port(state, &name, base);
            }
            Ok((format!("spawn {name}"), ()))
        });
        let updated = match recorded {
            Ok(updated) => updated,
            Err(err) => {
                if !existing_worktree {
                    let _ = worktree::remove(&git, &path, true);
                }
                if created_branch {
                    let _ = worktree::delete_branch_at(&git, &spec.branch, &base_tip.to_string());
                }
                return Err(err);
            }
        };
        if !existing_worktree {
            worktrees = worktree::list_repairing(&git)?;
        }
        let (provisioned, provision_error) =
            match crate::ops::provision::provision(ws, &name, !existing_worktree, progress) {
                Ok(done) => (done, None),
                Err(err) => (None, Some(err.to_string())),
            };
        outcomes.push(SpawnOutcome {
            name,
            branch: spec.branch,
            worktree: path,
            created_branch,
            created_worktree: !existing_worktree,
            state_changed: updated.commit.is_some(),
            provisioned,
            provision_error,
        });
    }
    Ok(outcomes)
}

fn choose(state: &State, names: &[String], ready: bool) -> Result<Vec<String>> {
    if ready {
        if !names.is_empty() {
            return Err(Error::Usage(
                "give agent names or --ready, not both".to_owned(),
            ));
        }
        return Ok(state
            .plan
            .agents
            .iter()
            .filter(|a| {
                state
                    .agent(&a.name)
                    .is_some_and(|d| d.status == Status::Planned)
            })
            .filter(|a| state.unmerged_dependencies(&a.name).is_empty())
            .map(|a| a.name.clone())
            .collect());
    }
    if names.is_empty() {
        return Err(Error::Usage("name the agents to spawn, or pass --ready for every agent whose dependencies are merged".to_owned()));
    }
    let mut chosen: Vec<String> = Vec::with_capacity(names.len());
    for name in names {
        super::find_agent(state, name)?;
        if !chosen.contains(name) {
            chosen.push(name.clone());
        }
    }
    Ok(chosen)
}

/// Refuse a worktree path that holds something other than this agent's worktree, and a
/// branch checked out somewhere else.
fn check_path(
    worktrees: &[WorktreeInfo],
    path: &std::path::Path,
    name: &str,
    branch: &str,
) -> Result<()> {
    if let Some(existing) = worktree::find_at(worktrees, path) {
        if existing.branch.as_deref() == Some(branch) {
            return Ok(());
        }
        let what = existing
            .branch
            .as_deref()
            .map(|b| format!("branch {b}"))
            .unwrap_or_else(|| "a detached HEAD".to_owned());
        return Err(Error::Refused(format!(
            "{} is a worktree on {what}, not {name}'s branch {branch}; remove it (git worktree remove) or give {name} another worktree",
            path.display()
        )));
    }
    if let Some(elsewhere) = worktree::find_with_branch(worktrees, branch) {
        return Err(Error::Refused(format!(
            "branch {branch} is already checked out in {}; {name} needs it in {}: remove that worktree or switch it to another branch",
            elsewhere.path.display(),
            path.display()
        )));
    }
    if path.exists() {
        let empty_dir = path.is_dir()
            && fs_err::read_dir(path)
                .map(|mut d| d.next().is_none())
                .unwrap_or(false);
        if !empty_dir {
            return Err(Error::Refused(format!(
                "{} exists and is not {name}'s worktree; move it away or give {name} another worktree",
                path.display()
            )));
        }
    }
    Ok(())
}
