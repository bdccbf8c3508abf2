//! The merge criteria: a PR is open, tests pass on its head commit, the review score on
//! that commit reaches the threshold, it merges without conflicts, every dependency is
//! merged, and it has enough approvals. Each is judged with the reason it holds or not.

use serde::Serialize;

use crate::config;
use crate::error::Result;
use crate::forge::{Checks, Forge, Mergeable, PrFacts, PrState};
use crate::git::workspace::Workspace;
use crate::git::worktree;
use crate::plan::MergeSettings;
use crate::state::notes::{self, Record, Summary};
use crate::state::{PullRequest, State, StateError, Status};

/// One criterion and why it holds or not.
#[derive(Debug, Clone, Serialize)]
pub struct Criterion {
    /// Which criterion: pr, tests, review, mergeable, dependencies, approvals.
    pub name: &'static str,
    /// Whether it holds.
    pub ok: bool,
    /// Why, in words.
    pub reason: String,
}

/// Every criterion for one agent.
#[derive(Debug, Clone, Serialize)]
pub struct Criteria {
    /// The agent.
    pub agent: String,
    /// Its status.
    pub status: Status,
    /// The forge it merges through.
    pub forge: String,
    /// Its PR, if one is open.
    pub pr: Option<PullRequest>,
    /// The commit the criteria were judged on.
    pub head: Option<String>,
    /// Each criterion.
    pub criteria: Vec<Criterion>,
    /// Whether every criterion holds.
    pub ready: bool,
}

impl Criteria {
    /// The names of the criteria that do not hold.
    pub fn unmet(&self) -> Vec<&'static str> {
        self.criteria
            .iter()
            .filter(|c| !c.ok)
            .map(|c| c.name)
            .collect()
    }
}

/// Criteria together with what was learnt judging them, for merging right after.
#[derive(Debug, Clone)]
pub struct Judged {
    /// The criteria.
    pub criteria: Criteria,
    /// The forge.
    pub forge: Forge,
    /// The merge settings in force.
    pub settings: MergeSettings,
    /// What the forge said about the PR, when there is one.
    pub facts: Option<PrFacts>,
    /// The facts recorded in notes on the head commit.
    pub notes: Summary,
}

/// Judge every criterion for `name` against the current state.
pub fn judge(ws: &Workspace, state: &State, name: &str) -> Result<Judged> {
    let spec = super::find_agent(state, name)?;
    let doc = state.document(name);
    let settings = config::merge_settings(&ws.repo, &state.plan)?;
    let configured = config::forge_kind(&ws.repo, &state.plan)?;
    let forge = Forge::for_pr(ws, configured, doc.pr.as_ref().map(|p| p.forge.as_str()))?;
    let base = state.base();
    let tip = worktree::branch_tip(&ws.repo, &spec.branch)?.map(|id| id.to_string());
    let facts = if tip.is_some() || doc.pr.is_some() {
        let mut facts = forge.facts(ws, &spec.branch, base, doc.pr.as_ref().map(|p| p.number))?;
        if let (Forge::Local(_), Some(facts), Some(pr)) = (&forge, facts.as_mut(), &doc.pr) {
            facts.draft = pr.draft;
        }
        facts
    } else {
        None
    };
    let head = facts
        .as_ref()
        .and_then(|f| f.head.clone())
        .or_else(|| tip.clone());
    let notes = match head
        .as_deref()
        .and_then(|h| gix::ObjectId::from_hex(h.as_bytes()).ok())
    {
        Some(id) => notes::summary(&ws.repo, id).map_err(StateError::from)?,
        None => Summary::default(),
    };
    let short = head
        .as_deref()
        .map(|h| h.chars().take(12).collect::<String>())
        .unwrap_or_default();
    let not_started = matches!(doc.status, Status::Planned | Status::Abandoned) || tip.is_none();
    let mut criteria = vec![pr_criterion(
        name,
        doc.status,
        doc.pr.as_ref(),
        facts.as_ref(),
        tip.is_some(),
    )];
    if !not_started {
        // The local forge tests the merged result before base moves: that test is the
        // one that gates the merge, and a run on the head alone is not needed first.
        let on_merge = matches!(forge, Forge::Local(_))
            .then(|| config::command(&ws.repo, &state.plan, config::CommandKind::Test, &[]))
            .flatten()
            .filter(|_| super::trust::is_trusted(ws, &state.plan))
            .map(|command| command.display());
        criteria.push(tests_criterion(
            name,
            &settings,
            facts.as_ref(),
            &notes,
            &short,
            on_merge.as_deref(),
        ));
        criteria.push(review_criterion(name, &settings, &notes, &short));
        criteria.push(tasks_criterion(state, name, &settings));
        criteria.push(mergeable_criterion(base, facts.as_ref(), &doc.pr));
    }
    let waiting = state.unmerged_dependencies(name);
    criteria.push(Criterion {
        name: "dependencies",
        ok: waiting.is_empty(),
        reason: if waiting.is_empty() {
            if spec.depends_on.is_empty() {
                "none".to_owned()
            } else {
                format!("all merged ({})", spec.depends_on.join(", "))
            }
        } else {
            format!("waiting for {} to merge", waiting.join(", "))
        },
    });
    if !not_started {
        criteria.push(approvals_criterion(
            name,
            &settings,
            &forge,
            facts.as_ref(),
            &notes,
            doc.pr.as_ref(),
            &short,
        ));
    }
    let ready = criteria.iter().all(|c| c.ok);
    Ok(Judged {
        criteria: Criteria {
            agent: name.to_owned(),
            status: doc.status,
            forge: forge.name().to_owned(),
            pr: doc.pr.clone(),
            head,
            criteria,
            ready,
        },
        forge,
        settings,
        facts,
        notes,
    })
}

fn pr_criterion(
    name: &str,
    status: Status,
    pr: Option<&PullRequest>,
    facts: Option<&PrFacts>,
    has_branch: bool,
) -> Criterion {
    let (ok, reason) = match (status, pr) {
        (Status::Planned, _) => (false, format!("not spawned yet (git agents spawn {name})")),
        (Status::Abandoned, _) => (false, "abandoned".to_owned()),
        _ if !has_branch => (
            false,
            format!("its branch is missing; recreate it with git agents spawn {name}"),
        ),
        (_, None) => (false, format!("no PR yet (git agents pr {name})")),
        (_, Some(pr)) => match facts {
            Some(f) if f.state == PrState::Closed => (
                false,
                format!("PR #{} was closed without merging", pr.number),
            ),
            Some(f) if f.draft => (
                false,
                format!("PR #{} is a draft; mark it ready for review", pr.number),
            ),
            _ => (true, format!("#{} open", pr.number)),
        },
    };
    Criterion {
        name: "pr",
        ok,
        reason,
    }
}

fn tasks_criterion(state: &State, name: &str, settings: &MergeSettings) -> Criterion {
    let total = state.plan.agent(name).map_or(0, |spec| spec.tasks.len());
    let done = state.done_tasks(name).len();
    let (ok, reason) = if !settings.require_tasks_done {
        (true, "not required".to_owned())
    } else if total == 0 {
        (true, "no tasks in the plan".to_owned())
    } else if done >= total {
        (true, format!("all {total} done"))
    } else {
        let mut open: Vec<String> = (1..=total)
            .filter(|n| !state.task_done(name, *n))
            .map(|n| n.to_string())
            .collect();
        if open.len() > 5 {
            let more = open.len() - 4;
            open.truncate(4);
            open.push(format!("{more} more"));
        }
        (
            false,
            format!(
                "{done} of {total} done; open: {} (git agents task done N)",
                open.join(", ")
            ),
        )
    };
    Criterion {
        name: "tasks",
        ok,
        reason,
    }
}

fn tests_criterion(
    name: &str,
    settings: &MergeSettings,
    facts: Option<&PrFacts>,
    notes: &Summary,
    short: &str,
    on_merge: Option<&str>,
) -> Criterion {
    let on_checks = facts.map(|f| f.checks.clone()).unwrap_or(Checks::None);
    let (ok, reason) = if !settings.require_tests {
        (true, "not required".to_owned())
    } else if short.is_empty() {
        (false, "no commit to test".to_owned())
    } else {
        match on_checks {
            Checks::Passing(names) => (
                true,
                format!(
                    "{} check{} pass on {short}",
                    names.len(),
                    plural(names.len())
                ),
            ),
            Checks::Failing(names) => (
                false,
                format!("failing checks on {short}: {}", names.join(", ")),
            ),
            Checks::Pending(names) => (
                false,
                format!("checks still running on {short}: {}", names.join(", ")),
            ),
            Checks::None => match &notes.test {
                Some(Record::Test {
                    passing: true,
                    command,
                    ..
                }) => (true, format!("passed on {short} (`{command}`)")),
                Some(Record::Test {
                    command, exit_code, ..
                }) => (
                    false,
                    format!(
                        "failed on {short} (`{command}`, exit {}); fix and run git agents test",
                        exit_code
                            .map(|c| c.to_string())
                            .unwrap_or_else(|| "by a signal".to_owned())
                    ),
                ),
                _ => match on_merge {
                    Some(command) => (
                        true,
                        format!("`{command}` runs on the merged result before base moves"),
                    ),
                    None => (
                        false,
                        format!("no test run recorded on {short} (git agents test --agent {name})"),
                    ),
                },
            },
        }
    };
    Criterion {
        name: "tests",
        ok,
        reason,
    }
}

fn review_criterion(
    name: &str,
    settings: &MergeSettings,
    notes: &Summary,
    short: &str,
) -> Criterion {
    let threshold = settings.review_threshold;
    let (ok, reason) = if threshold == 0 {
        (true, "not required".to_owned())
    } else {
        match &notes.review {
            Some(Record::Review { score, out_of, .. }) => {
                let reached = super::score::Score {
                    score: *score,
                    out_of: *out_of,
                }
                .reaches(threshold);
                if reached {
                    (true, format!("{score}/{out_of} on {short}"))
                } else {
                    (
                        false,
                        format!("{score}/{out_of} on {short}, needs {threshold}/10"),
                    )
                }
            }
            _ if short.is_empty() => (false, "no commit to review".to_owned()),
            _ => (
                false,
                format!("no review recorded on {short} (git agents review --agent {name})"),
            ),
        }
    };
    Criterion {
        name: "review",
        ok,
        reason,
    }
}

fn mergeable_criterion(base: &str, facts: Option<&PrFacts>, pr: &Option<PullRequest>) -> Criterion {
    let (ok, reason) = match facts.map(|f| &f.mergeable) {
        Some(Mergeable::Clean) => (true, format!("merges cleanly into {base}")),
        Some(Mergeable::Conflicts(files)) if files.is_empty() => {
            (false, format!("conflicts with {base}"))
        }
        Some(Mergeable::Conflicts(files)) => (
            false,
            format!("conflicts with {base} in {}", files.join(", ")),
        ),
        Some(Mergeable::Unknown(why)) => (false, why.clone()),
        None if pr.is_none() => (false, "unknown until a PR is open".to_owned()),
        None => (false, "unknown".to_owned()),
    };
    Criterion {
        name: "mergeable",
        ok,
        reason,
    }
}

fn approvals_criterion(
    name: &str,
    settings: &MergeSettings,
    forge: &Forge,
    facts: Option<&PrFacts>,
    notes: &Summary,
    pr: Option<&PullRequest>,
    short: &str,
) -> Criterion {
    let needed = settings.approvals as usize;
    let from_forge = facts.and_then(|f| f.approvals.clone());
    let requested = facts
        .map(|f| f.changes_requested.clone())
        .unwrap_or_default();
    let approvers = match (&from_forge, forge) {
        (Some(list), _) => list.clone(),
        (None, Forge::Local(_)) => notes.approvals.clone(),
        (None, Forge::GitHub(_)) => Vec::new(),
    };
    let (ok, reason) = if !requested.is_empty() {
        (
            false,
            format!("changes requested by {}", requested.join(", ")),
        )
    } else if needed == 0 {
        (true, "none required".to_owned())
    } else if approvers.len() >= needed {
        (true, format!("approved by {}", approvers.join(", ")))
    } else {
        let how = match (forge, pr) {
            (Forge::GitHub(_), Some(pr)) => format!("approve PR #{} on GitHub", pr.number),
            (Forge::GitHub(_), None) => "open a PR first".to_owned(),
            (Forge::Local(_), _) => format!("git agents approve {name}"),
        };
        let have = if approvers.is_empty() {
            String::new()
        } else {
            format!(" ({})", approvers.join(", "))
        };
        let on = if short.is_empty() || from_forge.is_some() {
            String::new()
        } else {
            format!(" on {short}")
        };
        (
            false,
            format!("{} of {needed} approvals{on}{have}; {how}", approvers.len()),
        )
    };
    Criterion {
        name: "approvals",
        ok,
        reason,
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
