//! Lock files: git's own left in the git directory, and worktree locks whose holder is gone.

use super::*;

/// What lock-file problems are reported under, in place of an agent's name.
pub const REPOSITORY: &str = "repository";

/// Lock files git left in the git directory: each with its age and whether a running
/// process has it open. One no process holds is removed (once stale); one a live process
/// holds is left to it.
pub fn lock_files(survey: &Survey) -> Result<Vec<Problem>> {
    let mut problems = Vec::new();
    for path in crate::git::locks::find_all(&survey.ws.common_dir) {
        let Some(info) = crate::git::locks::LockInfo::read(&path) else {
            continue;
        };
        let what = format!(
            "lock file {} ({} s old, on {})",
            path.display(),
            info.age.as_secs(),
            crate::git::locks::locked_name(&path)
        );
        let holder = info.holders.as_ref().and_then(|h| h.first());
        problems.push(match (holder, &info.holders) {
            (Some(holder), _) => Problem::manual(
                ProblemKind::LockFile,
                REPOSITORY,
                format!("{what} is held open by {holder}, which is still running"),
                format!(
                    "let {holder} finish; if it is stuck, stop it with `kill {}`, then run git agents doctor --fix",
                    holder.pid
                ),
            ),
            (None, Some(_)) => Problem::fixable(
                ProblemKind::LockFile,
                REPOSITORY,
                format!(
                    "{what} is held by no running process: a git command was killed while holding it"
                ),
                Repair::RemoveLock { path },
            ),
            (None, None) => Problem::fixable(
                ProblemKind::LockFile,
                REPOSITORY,
                format!(
                    "{what} is left over unless a git command is running (which processes hold it cannot be checked here)"
                ),
                Repair::RemoveLock { path },
            ),
        });
    }
    Ok(problems)
}

/// Locks on agents' worktrees whose directory is gone or whose holder is no longer running.
pub fn stale_locks(survey: &Survey) -> Result<Vec<Problem>> {
    let mut problems = Vec::new();
    for spec in &survey.state.plan.agents {
        let path = survey.ws.resolve(&spec.worktree);
        for info in agent_worktrees(survey, &path, &spec.branch) {
            let Some(reason) = &info.locked else {
                continue;
            };
            let why = if !info.path.exists() {
                "its directory is gone".to_owned()
            } else if let Some(pid) = pid_in(reason).filter(|&pid| !crate::process::alive(pid)) {
                format!("process {pid}, which held it, is no longer running")
            } else {
                continue;
            };
            problems.push(Problem::fixable(
                ProblemKind::StaleLock,
                &spec.name,
                format!(
                    "worktree {} is locked ({}) but {why}",
                    info.path.display(),
                    if reason.is_empty() {
                        "no reason given"
                    } else {
                        reason
                    }
                ),
                Repair::Unlock {
                    path: info.path.clone(),
                },
            ));
        }
    }
    Ok(problems)
}
