//! `finish`: once an agent's work is merged, remove its worktree and branch and mark it
//! completed; or, with `--abandon`, drop work that will not merge.
//!
//! "Merged" is decided from the state and the forge, or from base already holding the
//! branch's changes — never from ancestry alone, because a squash merge leaves the
//! branch unmerged in git's eyes (so the branch is force-deleted once merged).

use crate::progress::Progress;
use std::path::PathBuf;

use serde::Serialize;

use crate::config::{self, Hook};
use crate::error::{Error, Result};
use crate::forge::{Forge, PrState};
use crate::git::workspace::Workspace;
use crate::git::worktree;
use crate::ops::guard::{self, UnmergedCommit};
use crate::ops::hooks;
use crate::ops::provision::AgentVars;
use crate::state::{self, HookRun, State, Status};

/// What finishing an agent did.
#[derive(Debug, Clone, Serialize)]
pub struct FinishReport {
    /// The agent.
    pub agent: String,
    /// Its status now: completed or abandoned.
    pub status: Status,
    /// How its work was known to be merged (not for abandoned agents).
    pub merged_because: Option<String>,
    /// The worktree removed.
    pub removed_worktree: Option<PathBuf>,
    /// How the teardown command went, when one ran before the worktree was removed.
    pub teardown: Option<HookRun>,
    /// The branch deleted, and the commit it pointed at.
    pub deleted_branch: Option<DeletedBranch>,
    /// Commits the branch held that base did not, deleted because `--force` said so; the
    /// branch can be restored at `deleted_branch`'s commit.
    pub discarded: Vec<UnmergedCommit>,
    /// Agents that depend on an abandoned agent and stay blocked.
    pub left_blocked: Vec<String>,
    /// Whether the state changed.
    pub changed: bool,
}

/// A branch `finish` deleted: `git branch BRANCH COMMIT` brings it back.
#[derive(Debug, Clone, Serialize)]
pub struct DeletedBranch {
    /// The branch.
    pub branch: String,
    /// The commit it pointed at.
    pub commit: String,
}

/// Finish `name`: see the module docs. The branch is deleted only when nothing on it would
/// be lost (its commits are in base, or are the head that was merged); `force` deletes it
/// all the same and removes a worktree with uncommitted work.
pub fn finish(
    ws: &Workspace,
    name: &str,
    abandon: bool,
    force: bool,
    progress: &mut dyn Progress,
) -> Result<FinishReport> {
    let state = State::load(&ws.repo)?;
    let spec = super::find_agent(&state, name)?.clone();
    let doc = state.document(name);
    let base = state.base().to_owned();
    guard::check_agent_branch(ws, &state, name, &spec.branch)?;
    let tip = worktree::branch_tip(&ws.repo, &spec.branch)?.map(|id| id.to_string());
    let merged_because = if abandon {
        if doc.status.is_merged() {
            return Err(Error::Refused(format!(
                "{name} is already {}; finish it without --abandon",
                doc.status
            )));
        }
        None
    } else {
        if doc.status == Status::Abandoned {
            return Err(Error::Refused(format!(
                "{name} was abandoned; clean it up with git agents finish {name} --abandon"
            )));
        }
        Some(merged_because(
            ws,
            &state,
            name,
            &spec.branch,
            &base,
            tip.as_deref(),
        )?)
    };
    let forge_merge_commit = merged_because
        .as_ref()
        .and_then(|(_, commit)| commit.clone());
    let merged_because = merged_because.map(|(why, _)| why);
    let discarded = match &tip {
        None => Vec::new(),
        Some(tip) => {
            let mut merged_heads: Vec<String> = Vec::new();
            if !abandon {
                merged_heads.extend(doc.head.clone());
                merged_heads.extend(doc.merged_commit.clone());
                merged_heads.extend(forge_merge_commit.clone());
            }
            let unmerged = guard::unmerged_commits(ws, tip, &base, &merged_heads)?;
            if !unmerged.is_empty() && !force {
                let why = if abandon {
                    format!("that {base} does not have")
                } else {
                    "made after its work was merged".to_owned()
                };
                return Err(guard::refuse_unmerged(name, &spec.branch, &unmerged, &why));
            }
            unmerged
        }
    };
    let git = ws.git();
    let worktrees = worktree::list_repairing(&git)?;
    let path = ws.resolve(&spec.worktree);
    let registered = worktree::find_at(&worktrees, &path).cloned();
    if let Some(found) = &registered
        && found.branch.as_deref().is_some_and(|b| b != spec.branch)
    {
        return Err(Error::Refused(format!(
            "{} has branch {} checked out, not {name}'s {}; leave it alone or remove it yourself",
            path.display(),
            found.branch.as_deref().unwrap_or(""),
            spec.branch
        )));
    }
    if let Some(elsewhere) = worktree::find_with_branch(&worktrees, &spec.branch)
        && registered.as_ref().is_none_or(|r| r.path != elsewhere.path)
    {
        return Err(Error::Refused(format!(
            "{} is checked out in {}; switch that worktree to another branch first",
            spec.branch,
            elsewhere.path.display()
        )));
    }
    if let Some(found) = &registered
        && found.path.is_dir()
        && !force
        && worktree::is_dirty(&found.path)?
    {
        let status = crate::git::Git::new(&found.path).run([
            "status",
            "--porcelain",
            "--untracked-files=normal",
        ])?;
        let files: Vec<&str> = status.lines().filter_map(|l| l.get(3..)).take(5).collect();
        return Err(Error::Refused(format!(
            "{name}'s worktree {} has uncommitted work ({}); commit or remove it, or pass --force to discard it",
            found.path.display(),
            files.join(", ")
        )));
    }
    let teardown_command = match &registered {
        Some(found) if found.path.is_dir() => hooks::command(ws, &state, Hook::Teardown)?,
        _ => None,
    };
    if abandon {
        stop_command(ws, name, progress);
    }
    let mut teardown = None;
    if let (Some(found), Some(command)) = (&registered, &teardown_command)
        && let Some(vars) = AgentVars::of(ws, &state, name)
    {
        progress.step(&format!(
            "running the teardown command in {name}'s worktree"
        ));
        let run = hooks::run(ws, &vars, Hook::Teardown, command, &found.path, &[])?;
        if !run.passed && !force {
            return Err(Error::Refused(format!(
                "{name}'s worktree was left in place: {}; fix it and run git agents finish {name}{} again, or pass --force to remove the worktree all the same",
                hooks::failure(Hook::Teardown, &run),
                if abandon { " --abandon" } else { "" }
            )));
        }
        teardown = Some(run);
    }
    let mut removed_worktree = None;
    if let Some(found) = &registered {
        progress.step(&format!("removing worktree {}", found.path.display()));
        worktree::remove(&git, &found.path, true)?;
        removed_worktree = Some(found.path.clone());
    }
    let mut deleted_branch = None;
    if let Some(tip) = &tip {
        progress.step(&format!("deleting branch {}", spec.branch));
        worktree::delete_branch_at(&git, &spec.branch, tip).map_err(|err| {
            Error::Refused(format!(
                "{} moved while {name} was being finished ({err}); nothing was deleted from it, run git agents finish {name} again",
                spec.branch
            ))
        })?;
        deleted_branch = Some(DeletedBranch {
            branch: spec.branch.clone(),
            commit: tip.clone(),
        });
    }
    let (status, verb) = if abandon {
        (Status::Abandoned, "abandon")
    } else {
        (Status::Completed, "finish")
    };
    let updated = state::update::<_, Error>(&ws.repo, |state| {
        let doc = state
            .agent_mut(name)
            .ok_or_else(|| Error::Usage(format!("{name} was removed from the plan meanwhile")))?;
        doc.status = status;
        if let Some(tip) = &tip {
            doc.head = Some(tip.clone());
        }
        if doc.merged_commit.is_none() {
            doc.merged_commit = forge_merge_commit.clone();
        }
        Ok((format!("{verb} {name}"), ()))
    })?;
    drop_merge_checkouts_when_done(ws, &updated.state);
    let left_blocked = if abandon {
        super::merge::waiting_on(&state, name)
    } else {
        Vec::new()
    };
    Ok(FinishReport {
        agent: name.to_owned(),
        status,
        merged_because,
        removed_worktree,
        teardown,
        deleted_branch,
        discarded,
        left_blocked,
        changed: updated.commit.is_some(),
    })
}

/// Finish every merged agent; one that cannot be finished is reported and the rest go on.
pub fn finish_merged(
    ws: &Workspace,
    force: bool,
    progress: &mut dyn Progress,
) -> Result<Vec<(String, Result<FinishReport>)>> {
    let state = State::load(&ws.repo)?;
    let names: Vec<String> = state
        .plan
        .agents
        .iter()
        .filter(|a| {
            state
                .agent(&a.name)
                .is_some_and(|d| d.status == Status::Merged)
        })
        .map(|a| a.name.clone())
        .collect();
    let results = names
        .into_iter()
        .map(|name| {
            let result = finish(ws, &name, false, force, progress);
            (name, result)
        })
        .collect();
    drop_merge_checkouts_when_done(ws, &State::load(&ws.repo)?);
    Ok(results)
}

/// Once nothing in `state` is left to merge, remove the checkouts merged results were
/// tested in: they only keep the next merge from checking out the whole tree again.
pub(crate) fn drop_merge_checkouts_when_done(ws: &Workspace, state: &State) {
    let nothing_to_merge = state.agents.values().all(|doc| {
        matches!(
            doc.status,
            Status::Merged | Status::Completed | Status::Abandoned
        )
    });
    if nothing_to_merge {
        crate::forge::remove_kept_checkouts(ws);
    }
}

/// Why `name`'s work counts as merged (and the merge commit, when the forge names one),
/// or the refusal that says it is not.
fn merged_because(
    ws: &Workspace,
    state: &State,
    name: &str,
    branch: &str,
    base: &str,
    tip: Option<&str>,
) -> Result<(String, Option<String>)> {
    let doc = state.document(name);
    if doc.status.is_merged() {
        let why = match &doc.merged_commit {
            Some(commit) => format!("merged as {}", &commit[..commit.len().min(12)]),
            None => "merged".to_owned(),
        };
        return Ok((why, None));
    }
    if let Some(pr) = doc.pr.as_ref().filter(|p| p.forge == "github") {
        let configured = config::forge_kind(&ws.repo, &state.plan)?;
        if let Forge::GitHub(github) = Forge::for_pr(ws, configured, Some(&pr.forge))? {
            let facts = github.facts(pr.number)?;
            if facts.state == PrState::Merged {
                let why = format!("PR #{} is merged on GitHub", pr.number);
                return Ok((why, facts.merge_commit.or(facts.head)));
            }
        }
    }
    if let Some(tip) = tip
        && worktree::branch_tip(&ws.repo, base)?.is_some()
        && guard::base_holds_changes(&ws.git(), &format!("refs/heads/{base}"), tip)?
    {
        return Ok((format!("{base} already has every change on {branch}"), None));
    }
    Err(Error::Refused(format!(
        "{name} is not merged (status {}); merge it first (git agents merge {name}), or drop its work with --abandon",
        doc.status
    )))
}

/// Stop `name`'s command if `run` started it and it still runs, so that its exit cannot
/// report on work that is being given up.
fn stop_command(ws: &Workspace, name: &str, progress: &mut dyn Progress) {
    use crate::process::launcher;
    let records = launcher::record::dir(&ws.common_dir);
    let Ok(Some(found)) = launcher::record::RunRecord::read(&records, name) else {
        return;
    };
    if !found.alive() {
        return;
    }
    progress.step(&format!("stopping {name}'s command (pid {})", found.pid));
    let log = launcher::log_path(&ws.common_dir, name);
    let running = launcher::adopt(found, &records, &log);
    running.stop(std::time::Duration::from_secs(5));
}
