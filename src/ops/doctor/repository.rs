//! The repository and its processes: stopped maintenance, and records of agents' commands no run watches.

use super::*;

/// Whatever stops git's automatic maintenance, which would leave the loose objects every
/// state and notes write adds unpacked; reported against `repository`, for a person to fix.
pub fn stopped_maintenance(survey: &Survey) -> Result<Vec<Problem>> {
    Ok(crate::git::maintenance::blockers(&survey.ws.repo)
        .into_iter()
        .map(|blocker| {
            Problem::manual(
                ProblemKind::MaintenanceStopped,
                "repository",
                blocker.describe(),
                blocker.advice(),
            )
        })
        .collect())
}

/// Records of agents' commands left by runs that are gone: a command still running that
/// no run watches (reported, never stopped unasked), and records of commands that ended
/// which no run will handle (removed). A command that finished while no run was watching
/// is left for the next `run`, which handles its exit.
pub fn run_records(survey: &Survey) -> Result<Vec<Problem>> {
    let dir = record::dir(&survey.ws.common_dir);
    let mut problems = Vec::new();
    for agent in record::agents(&dir) {
        let status = survey.state.agent(&agent).map(|doc| doc.status);
        let active = status == Some(Status::InProgress);
        let path = record::record_path(&dir, &agent);
        let remove = Repair::RemoveRunRecord {
            agent: agent.clone(),
            path: path.clone(),
        };
        let found = match record::RunRecord::read(&dir, &agent) {
            Ok(Some(found)) => found,
            Ok(None) => {
                problems.push(Problem::fixable(
                    ProblemKind::StaleRunRecord,
                    &agent,
                    format!(
                        "{} holds the exit status of a command of {agent} that has no record",
                        record::exit_path(&dir, &agent).display()
                    ),
                    remove,
                ));
                continue;
            }
            Err(err) => {
                problems.push(Problem::manual(
                    ProblemKind::StaleRunRecord,
                    &agent,
                    format!(
                        "the record of {agent}'s command at {} cannot be read: {err}",
                        path.display()
                    ),
                    format!(
                        "if no command of {agent} is running, delete {}",
                        path.display()
                    ),
                ));
                continue;
            }
        };
        if found.run_alive() {
            continue;
        }
        let what = format!("{agent}'s command (pid {})", found.pid);
        match found.condition(&dir) {
            Condition::Running { .. } => {
                let advice = if active {
                    format!(
                        "run git agents run to watch it and bring its work home, or stop it with `kill -TERM -- -{}`",
                        found.pgid
                    )
                } else {
                    format!(
                        "{agent} is {} in the state; if the command should not run, stop it with `kill -TERM -- -{}`",
                        status.map_or("not in the plan".to_owned(), |s| s.to_string()),
                        found.pgid
                    )
                };
                problems.push(Problem::manual(
                    ProblemKind::OrphanCommand,
                    &agent,
                    format!(
                        "{what}, started {}, is still running, but the git agents run that started it (pid {}) is gone",
                        found.started_at, found.run_pid
                    ),
                    advice,
                ));
            }
            Condition::Exited(_) if active => {}
            Condition::Exited(code) => problems.push(Problem::fixable(
                ProblemKind::StaleRunRecord,
                &agent,
                format!(
                    "{what} ended with exit {code} after its run was gone, but {agent} is no longer in progress; the record is left over"
                ),
                remove,
            )),
            Condition::Killed => problems.push(Problem::fixable(
                ProblemKind::StaleRunRecord,
                &agent,
                format!(
                    "{what} was killed before it finished, and so was the run that started it{}",
                    if active {
                        "; the next git agents run launches it again"
                    } else {
                        ""
                    }
                ),
                remove,
            )),
        }
    }
    Ok(problems)
}
