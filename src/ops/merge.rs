//! `merge`: check an agent's merge criteria and, when every one holds, merge its PR
//! through the forge, mark it merged, and name the agents that unblocks.

use crate::progress::Progress;
use serde::Serialize;

use super::criteria::{self, Criteria, Judged};
use crate::config::{self, CommandKind, Hook};
use crate::error::{Error, Result};
use crate::forge::{MergeOutcome, MergeRequest, PrState};
use crate::git::Git;
use crate::git::workspace::Workspace;
use crate::ops::hooks;
use crate::ops::provision::AgentVars;
use crate::plan::{AgentSpec, MergeMethod};
use crate::process::runner::CommandLine;
use crate::state::notes::Record;
use crate::state::{self, HookRun, State, Status};

/// What `merge` found and did.
#[derive(Debug, Clone, Serialize)]
pub struct MergeReport {
    /// The agent.
    pub agent: String,
    /// The base branch.
    pub base: String,
    /// The criteria as judged before merging.
    pub criteria: Criteria,
    /// Whether it was merged before this run.
    pub already_merged: bool,
    /// Whether this was only a check.
    pub dry_run: bool,
    /// What the merge did, when one was made.
    pub merged: Option<Merged>,
    /// How the pre-merge command went, when one ran; a failed one stopped the merge.
    pub pre_merge: Option<HookRun>,
    /// How the post-merge command went, when one ran after the merge.
    pub post_merge: Option<HookRun>,
}

impl MergeReport {
    /// Whether the agent's work is in base now (or was already).
    pub fn is_merged(&self) -> bool {
        self.already_merged || self.merged.as_ref().is_some_and(|m| m.commit.is_some())
    }
}

/// A merge that was made.
#[derive(Debug, Clone, Serialize)]
pub struct Merged {
    /// The commit on base holding the work; `None` when the forge only queued it.
    pub commit: Option<String>,
    /// How it was merged.
    pub method: MergeMethod,
    /// Whether base already held every change.
    pub already_in_base: bool,
    /// The command that tested the merged result.
    pub tested_with: Option<String>,
    /// Things to know.
    pub warnings: Vec<String>,
    /// Agents whose dependencies are now all merged.
    pub unblocked: Vec<String>,
    /// Whether the forge's merge queue took it, to merge later (`commit` is `None`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub queued: bool,
}

/// Check `name`'s criteria and merge when all hold (never with `dry_run`). Unmet criteria
/// are not an error: the report says which, and `merged` stays `None`.
pub fn merge(
    ws: &Workspace,
    name: &str,
    dry_run: bool,
    progress: &mut dyn Progress,
) -> Result<MergeReport> {
    let state = State::load(&ws.repo)?;
    let spec = super::find_agent(&state, name)?.clone();
    let doc = state.document(name);
    let base = state.base().to_owned();
    if doc.status == Status::Abandoned {
        return Err(Error::Refused(format!(
            "{name} was abandoned; its work does not merge"
        )));
    }
    let judged = criteria::judge(ws, &state, name)?;
    let mut report = MergeReport {
        agent: name.to_owned(),
        base: base.clone(),
        criteria: judged.criteria.clone(),
        already_merged: doc.status.is_merged(),
        dry_run,
        merged: None,
        pre_merge: None,
        post_merge: None,
    };
    if report.already_merged {
        return Ok(report);
    }
    if let Some(facts) = &judged.facts
        && facts.state == PrState::Merged
        && !dry_run
    {
        let outcome = MergeOutcome {
            queued: false,
            merged_commit: facts.merge_commit.clone().or(facts.head.clone()),
            already_in_base: false,
            tested_with: None,
            tested_on: None,
            warnings: vec!["the PR had already been merged on GitHub".to_owned()],
        };
        report.merged = Some(record_merge(ws, name, &judged, outcome)?);
        return Ok(report);
    }
    if !judged.criteria.ready || dry_run {
        return Ok(report);
    }
    if judged
        .facts
        .as_ref()
        .is_some_and(|f| f.queued && f.state == PrState::Open)
    {
        // Already in GitHub's merge queue: it lands when the queue says, not by asking again.
        mark_queued(ws, name)?;
        report.merged = Some(Merged {
            commit: None,
            method: judged.settings.method,
            already_in_base: false,
            tested_with: None,
            warnings: Vec::new(),
            unblocked: Vec::new(),
            queued: true,
        });
        return Ok(report);
    }
    let mut request = merge_request(ws, &state, &spec, &judged)?;
    if judged.criteria.forge == "local"
        && let Some(remote) = crate::config::fleet_remote(&ws.repo)
    {
        // Base is shared through a remote (agents.remote): merge onto the remote's base
        // and land there first.
        let fleet = super::fleet::Fleet::open(ws, &remote)?;
        fleet.catch_up_base(ws, &base)?;
        request = merge_request(ws, &state, &spec, &criteria::judge(ws, &state, name)?)?;
        request.publish = Some(fleet.publish(&base));
    }
    let post_merge_command = hooks::command(ws, &state, Hook::PostMerge)?;
    report.pre_merge = pre_merge(ws, &state, name, &request.head, progress)?;
    if report.pre_merge.as_ref().is_some_and(|run| !run.passed) {
        return Ok(report);
    }
    progress.step(&format!(
        "merging {} into {base} ({} forge)",
        spec.branch,
        judged.forge.name()
    ));
    let outcome = judged.forge.merge(ws, &request, progress)?;
    if outcome.merged_commit.is_none() {
        if outcome.queued {
            mark_queued(ws, name)?;
        }
        report.merged = Some(Merged {
            commit: None,
            method: request.method,
            already_in_base: false,
            tested_with: None,
            warnings: outcome.warnings,
            unblocked: Vec::new(),
            queued: outcome.queued,
        });
        return Ok(report);
    }
    let mut merged = record_merge(ws, name, &judged, outcome)?;
    if let (Some(command), Some(commit)) = (&post_merge_command, &merged.commit) {
        let run = post_merge(ws, &state, name, command, commit, progress)?;
        if !run.passed {
            merged.warnings.push(format!(
                "merged, but {}",
                hooks::failure(Hook::PostMerge, &run)
            ));
        }
        report.post_merge = Some(run);
    }
    report.merged = Some(merged);
    Ok(report)
}

/// Record that `name`'s PR waits in the forge's merge queue.
fn mark_queued(ws: &Workspace, name: &str) -> Result<()> {
    state::update::<_, Error>(&ws.repo, |state| {
        match state.agent_mut(name).and_then(|doc| doc.pr.as_mut()) {
            Some(pr) if !pr.queued => {
                pr.queued = true;
                Ok((format!("queued {name}: in the forge's merge queue"), ()))
            }
            _ => Ok((String::new(), ())),
        }
    })?;
    Ok(())
}

/// Run the pre-merge command, when one is set, in `name`'s worktree, which must be at
/// `head` (the commit about to merge). A failure is kept as the agent's failure, so
/// `status` shows why it did not merge. `None` when no pre-merge command is set.
pub(crate) fn pre_merge(
    ws: &Workspace,
    state: &State,
    name: &str,
    head: &str,
    progress: &mut dyn Progress,
) -> Result<Option<HookRun>> {
    let Some(command) = hooks::command(ws, state, Hook::PreMerge)? else {
        return Ok(None);
    };
    let vars = AgentVars::of(ws, state, name)
        .ok_or_else(|| Error::Usage(format!("{name} is not in the plan")))?;
    let at = if vars.worktree.is_dir() {
        Git::new(&vars.worktree)
            .run(["rev-parse", "--verify", "HEAD^{commit}"])
            .ok()
            .map(|h| h.trim().to_owned())
    } else {
        None
    };
    if at.as_deref() != Some(head) {
        let there = match &at {
            None => format!("it has no worktree at {}", vars.worktree.display()),
            Some(other) => format!("its worktree is at {}", &other[..other.len().min(12)]),
        };
        return Err(Error::Refused(format!(
            "{name}'s pre-merge command runs in its worktree at the commit being merged ({}), but {there}; check that commit out there (git agents spawn {name} restores a missing worktree)",
            &head[..head.len().min(12)]
        )));
    }
    progress.step(&format!(
        "running the pre-merge command in {name}'s worktree"
    ));
    let run = hooks::run(ws, &vars, Hook::PreMerge, &command, &vars.worktree, &[])?;
    if !run.passed {
        let failure = format!("not merged: {}", hooks::failure(Hook::PreMerge, &run));
        state::update::<_, Error>(&ws.repo, |state| {
            if let Some(doc) = state.agent_mut(name) {
                doc.failure = Some(failure.clone());
            }
            Ok((format!("pre-merge {name}: failed"), ()))
        })?;
    }
    Ok(Some(run))
}

/// Run the post-merge `command` in the main worktree for `name`, merged as `commit`
/// (given to it as `GIT_AGENTS_MERGED_COMMIT`).
pub(crate) fn post_merge(
    ws: &Workspace,
    state: &State,
    name: &str,
    command: &str,
    commit: &str,
    progress: &mut dyn Progress,
) -> Result<HookRun> {
    let vars = AgentVars::of(ws, state, name)
        .ok_or_else(|| Error::Usage(format!("{name} is not in the plan")))?;
    progress.step(&format!("running the post-merge command for {name}"));
    hooks::run(
        ws,
        &vars,
        Hook::PostMerge,
        command,
        &ws.main_root,
        &[("GIT_AGENTS_MERGED_COMMIT", commit)],
    )
}

/// The merge of `spec`'s work that its judged criteria allow: the head they were judged
/// on, the merge method, the commit message and the command that tests the result.
pub(crate) fn merge_request(
    ws: &Workspace,
    state: &State,
    spec: &AgentSpec,
    judged: &Judged,
) -> Result<MergeRequest> {
    let name = &spec.name;
    let head = judged
        .criteria
        .head
        .clone()
        .ok_or_else(|| Error::Refused(format!("{name} has no head commit to merge")))?;
    let number = judged.criteria.pr.as_ref().map(|p| p.number).unwrap_or(0);
    Ok(MergeRequest {
        agent: name.clone(),
        branch: spec.branch.clone(),
        base: state.base().to_owned(),
        number,
        head,
        method: judged.settings.method,
        message: commit_message(state, spec, number, judged.settings.method),
        test_command: merged_result_test(ws, state, judged),
        head_passed: match &judged.notes.test {
            Some(Record::Test {
                passing: true,
                command,
                ..
            }) => Some(command.clone()),
            _ => None,
        },
        publish: None,
    })
}

/// Mark `name` merged at the outcome's commit and work out whom that unblocks.
fn record_merge(
    ws: &Workspace,
    name: &str,
    judged: &Judged,
    outcome: MergeOutcome,
) -> Result<Merged> {
    record_merges(ws, vec![(name, judged, outcome)])?
        .pop()
        .ok_or_else(|| Error::Refused(format!("{name} was not recorded as merged")))
}

/// Mark every agent in `merges` merged at its own outcome's commit in one state change,
/// and work out whom each unblocks (an agent unblocked by several is named once, by the
/// first).
pub(crate) fn record_merges(
    ws: &Workspace,
    merges: Vec<(&str, &Judged, MergeOutcome)>,
) -> Result<Vec<Merged>> {
    // A merged result tested for this merge is a test of the head merged onto base: it
    // goes on the head, as `git agents test` would have recorded a run on it alone.
    for (name, judged, outcome) in &merges {
        if let (Some((merged, duration_ms)), Some(command), Some(head)) = (
            &outcome.tested_on,
            &outcome.tested_with,
            judged.criteria.head.as_deref(),
        ) && let Ok(head) = gix::ObjectId::from_hex(head.as_bytes())
        {
            let record = Record::Test {
                passing: true,
                exit_code: Some(0),
                command: command.clone(),
                argv: None,
                duration_ms: *duration_ms,
                at: crate::time::now_rfc3339(),
                agent: Some((*name).to_owned()),
                merged_result: Some(merged.clone()),
            };
            crate::state::notes::append(&ws.repo, head, &record)
                .map_err(crate::state::StateError::from)?;
        }
    }
    let updated = state::update::<_, Error>(&ws.repo, |state| {
        for (name, judged, outcome) in &merges {
            let doc = state.agent_mut(name).ok_or_else(|| {
                Error::Usage(format!("{name} was removed from the plan meanwhile"))
            })?;
            doc.status = Status::Merged;
            doc.merged_commit = outcome.merged_commit.clone();
            if judged.criteria.head.is_some() {
                doc.head = judged.criteria.head.clone();
            }
            doc.failure = None;
        }
        let mut named: Vec<String> = Vec::new();
        let mut unblocked = Vec::new();
        for (name, _, _) in &merges {
            let fresh: Vec<String> = unblocked_by(state, name)
                .into_iter()
                .filter(|d| !named.contains(d))
                .collect();
            named.extend(fresh.iter().cloned());
            unblocked.push(fresh);
        }
        let names: Vec<&str> = merges.iter().map(|(name, _, _)| *name).collect();
        Ok((format!("merge {}", names.join(", ")), unblocked))
    })?;
    Ok(merges
        .into_iter()
        .zip(updated.value)
        .map(|((_, judged, outcome), unblocked)| Merged {
            queued: false,
            commit: outcome.merged_commit,
            method: judged.settings.method,
            already_in_base: outcome.already_in_base,
            tested_with: outcome.tested_with,
            warnings: outcome.warnings,
            unblocked,
        })
        .collect())
}

/// Agents that depend on `name` and are neither merged nor abandoned.
pub fn waiting_on(state: &State, name: &str) -> Vec<String> {
    state
        .plan
        .dependents(name)
        .into_iter()
        .filter(|d| {
            state
                .agent(d)
                .is_some_and(|a| !a.status.is_merged() && a.status != Status::Abandoned)
        })
        .map(str::to_owned)
        .collect()
}

/// Agents waiting on `name` (see [`waiting_on`]) that have every dependency merged.
pub fn unblocked_by(state: &State, name: &str) -> Vec<String> {
    waiting_on(state, name)
        .into_iter()
        .filter(|d| state.unmerged_dependencies(d).is_empty())
        .collect()
}

/// The test command for a merged result: the configured one, else the command that
/// passed on the head commit.
fn merged_result_test(ws: &Workspace, state: &State, judged: &Judged) -> Option<CommandLine> {
    if let Some(command) = config::command(&ws.repo, &state.plan, CommandKind::Test, &[])
        .filter(|_| super::trust::is_trusted(ws, &state.plan))
    {
        return Some(command);
    }
    match &judged.notes.test {
        Some(Record::Test {
            passing: true,
            argv: Some(argv),
            ..
        }) if !argv.is_empty() => Some(CommandLine::Argv(argv.clone())),
        Some(Record::Test {
            passing: true,
            command,
            argv: None,
            ..
        }) => CommandLine::from_config(command),
        _ => None,
    }
}

fn commit_message(state: &State, spec: &AgentSpec, number: u64, method: MergeMethod) -> String {
    let what = if spec.title.is_empty() {
        spec.name.clone()
    } else {
        format!("{} ({})", spec.title, spec.name)
    };
    let pr = if number > 0 {
        format!(" (#{number})")
    } else {
        String::new()
    };
    let subject = match method {
        MergeMethod::Merge => format!("Merge {}: {what}{pr}", spec.branch),
        _ => format!("{what}{pr}"),
    };
    let mut body = String::new();
    let done: Vec<&str> = spec
        .tasks
        .iter()
        .enumerate()
        .filter(|(index, _)| state.task_done(&spec.name, index + 1))
        .map(|(_, t)| t.title.as_str())
        .collect();
    if !done.is_empty() {
        body.push_str("Tasks done:\n");
        for task in done {
            body.push_str(&format!("- {task}\n"));
        }
        body.push('\n');
    }
    body.push_str(&format!(
        "Merged from {} into {} by git agents merge {}.",
        spec.branch,
        state.base(),
        spec.name
    ));
    format!("{subject}\n\n{body}")
}
