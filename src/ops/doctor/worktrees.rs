//! Worktrees: records of deleted ones, missing ones, the wrong branch checked out, temporary merge worktrees and a base checkout left behind.

use super::*;

/// Agents' worktrees deleted by hand, which git still records.
pub fn prunable_worktrees(survey: &Survey) -> Result<Vec<Problem>> {
    let mut problems = Vec::new();
    for spec in &survey.state.plan.agents {
        let path = survey.ws.resolve(&spec.worktree);
        for info in agent_worktrees(survey, &path, &spec.branch) {
            if info.prunable.is_none() || info.locked.is_some() {
                continue;
            }
            problems.push(Problem::fixable(
                ProblemKind::WorktreePrunable,
                &spec.name,
                format!(
                    "worktree {} was deleted without `git worktree remove`",
                    info.path.display()
                ),
                Repair::ForgetWorktree {
                    path: info.path.clone(),
                },
            ));
        }
    }
    Ok(problems)
}

/// Active agents with a branch but no worktree where the plan puts it.
pub fn missing_worktrees(survey: &Survey) -> Result<Vec<Problem>> {
    let mut problems = Vec::new();
    for (spec, doc) in active_agents(survey) {
        let path = survey.ws.resolve(&spec.worktree);
        if worktree::find_at(&survey.worktrees, &path).is_some()
            || worktree::branch_tip(&survey.ws.repo, &spec.branch)?.is_none()
        {
            continue;
        }
        let message = format!(
            "{} is {} but has no worktree at {}",
            spec.name,
            doc.status,
            path.display()
        );
        if let Some(elsewhere) = worktree::find_with_branch(&survey.worktrees, &spec.branch)
            && elsewhere.prunable.is_none()
        {
            problems.push(Problem::fixable(
                ProblemKind::WorktreeMissing,
                &spec.name,
                format!(
                    "{message}; its branch is checked out at {}",
                    elsewhere.path.display()
                ),
                Repair::MoveWorktree {
                    from: elsewhere.path.clone(),
                    to: path,
                },
            ));
        } else if path.exists() && !is_empty_dir(&path) {
            problems.push(Problem::manual(
                ProblemKind::WorktreeMissing,
                &spec.name,
                format!("{message}; something else is in that directory"),
                format!(
                    "move {} away, then run git agents doctor --fix again",
                    path.display()
                ),
            ));
        } else if worktree::find_with_branch(&survey.worktrees, &spec.branch).is_none() {
            problems.push(Problem::fixable(
                ProblemKind::WorktreeMissing,
                &spec.name,
                message,
                Repair::AddWorktree {
                    agent: spec.name.clone(),
                    path,
                    branch: spec.branch.clone(),
                },
            ));
        }
    }
    Ok(problems)
}

/// Active agents whose worktree has another branch (or a detached HEAD) checked out.
pub fn wrong_branches(survey: &Survey) -> Result<Vec<Problem>> {
    let mut problems = Vec::new();
    for (spec, doc) in active_agents(survey) {
        let path = survey.ws.resolve(&spec.worktree);
        let Some(info) = worktree::find_at(&survey.worktrees, &path) else {
            continue;
        };
        if info.prunable.is_some() || info.branch.as_deref() == Some(spec.branch.as_str()) {
            continue;
        }
        let on = info
            .branch
            .as_deref()
            .map(|b| format!("branch {b}"))
            .unwrap_or_else(|| "a detached HEAD".to_owned());
        let message = format!(
            "{} is {} but its worktree {} has {on} checked out, not {}",
            spec.name,
            doc.status,
            path.display(),
            spec.branch
        );
        if worktree::branch_tip(&survey.ws.repo, &spec.branch)?.is_none() {
            continue;
        }
        if let Some(elsewhere) = worktree::find_with_branch(&survey.worktrees, &spec.branch) {
            problems.push(Problem::manual(
                ProblemKind::WrongBranch,
                &spec.name,
                format!(
                    "{message}; {} is checked out at {}",
                    spec.branch,
                    elsewhere.path.display()
                ),
                format!(
                    "switch {} to another branch, then run git agents doctor --fix again",
                    elsewhere.path.display()
                ),
            ));
        } else if worktree::is_dirty(&path).unwrap_or(true) {
            problems.push(Problem::manual(
                ProblemKind::WrongBranch,
                &spec.name,
                format!("{message}; it has uncommitted changes"),
                format!(
                    "commit or stash them in {}, then `git switch {}` there",
                    path.display(),
                    spec.branch
                ),
            ));
        } else {
            problems.push(Problem::fixable(
                ProblemKind::WrongBranch,
                &spec.name,
                message,
                Repair::SwitchBranch {
                    path,
                    branch: spec.branch.clone(),
                },
            ));
        }
    }
    Ok(problems)
}

/// Worktrees under the git directory where a merged result was tested, left in use by a
/// merge that was killed: their maker (or the holder of a kept one's lock) is gone.
pub fn scratch_worktrees(survey: &Survey) -> Result<Vec<Problem>> {
    Ok(crate::forge::stale_scratch(survey.ws)
        .into_iter()
        .map(|stale| {
            Problem::fixable(
                ProblemKind::ScratchWorktree,
                &stale.label,
                format!(
                    "merge worktree {} was left by a merge that did not finish",
                    stale.path.display()
                ),
                Repair::RemoveScratch {
                    path: stale.path,
                    record: stale.admin,
                    lock: stale.lock,
                },
            )
        })
        .collect())
}

/// The base branch's checkout left on base's previous commit by a merge killed half-way.
/// The repair brings it up to date as the next merge would, and refuses where a file of
/// the user's stands where a merged file goes.
pub fn base_checkout_behind(survey: &Survey) -> Result<Vec<Problem>> {
    let base = survey.state.base();
    let Some(found) = crate::git::worktree::find_with_branch(&survey.worktrees, base) else {
        return Ok(Vec::new());
    };
    let Some(behind) = crate::forge::left_behind(&Git::new(&found.path), base) else {
        return Ok(Vec::new());
    };
    let short = |id: &str| id.get(..12).unwrap_or(id).to_owned();
    let message = format!(
        "{base}'s checkout in {} still holds the files of {}, not of {base}'s tip {}: a merge was killed before it updated the checkout",
        found.path.display(),
        short(&behind.old),
        short(&behind.new)
    );
    Ok(vec![if behind.in_the_way.is_empty() {
        Problem::fixable(
            ProblemKind::BaseCheckoutBehind,
            base,
            message,
            Repair::UpdateBaseCheckout {
                base: base.to_owned(),
                path: found.path.clone(),
            },
        )
    } else {
        Problem::manual(
            ProblemKind::BaseCheckoutBehind,
            base,
            message,
            format!(
                "{} of yours {} where merged files go; move {} away, then run git agents doctor --fix",
                behind.in_the_way.join(", "),
                if behind.in_the_way.len() == 1 {
                    "stands"
                } else {
                    "stand"
                },
                if behind.in_the_way.len() == 1 {
                    "it"
                } else {
                    "them"
                }
            ),
        )
    }])
}
