//! `queue run --batch N`: merge ready entries up to N at a time, testing each batch's
//! combined result once instead of each entry's, the way bors and Mergify keep a busy
//! queue moving.
//!
//! On the local forge each batch is laid onto base off to the side, tested once, and
//! landed with one compare-and-swap (see [`crate::forge::batch`]); when its tests fail,
//! bisection names the culprit, the others land, and the culprit stays `pr_open` with
//! the reason recorded as its failure. GitHub merges PRs through gh one at a time (only
//! a merge queue configured on the repository batches there), so entries on GitHub are
//! merged one at a time, with a notice saying so.

use crate::progress::{Plain, Progress};
use std::collections::HashSet;

use serde::Serialize;

use super::{QueueRun, queue, queue_run};
use crate::config::Hook;
use crate::error::{Error, Result};
use crate::forge::batch::{self as forge_batch, Rejection};
use crate::forge::{ForgeError, MergeOutcome, Publish};
use crate::git::workspace::Workspace;
use crate::ops::criteria::{self, Judged};
use crate::ops::fleet::{self, Fleet};
use crate::ops::hooks;
use crate::ops::merge::{self, MergeReport};
use crate::state::{self, State};

/// The notice given when entries on GitHub cannot be batched.
pub const GITHUB_NOTICE: &str = "GitHub merges pull requests through gh one at a time; batching there needs a merge queue enabled on the repository's branch rules, so entries on GitHub are merged one at a time";

/// One batch tried.
#[derive(Debug, Clone, Serialize)]
pub struct BatchReport {
    /// The entries tried together, in queue order.
    pub agents: Vec<String>,
    /// The entries that merged, in the order laid on base.
    pub merged: Vec<String>,
    /// The entries set aside, with why.
    pub rejected: Vec<SetAside>,
    /// How many times the test command ran for this batch.
    pub test_runs: usize,
}

/// An entry a batch set aside; it stays unmerged with `reason` recorded as its failure.
#[derive(Debug, Clone, Serialize)]
pub struct SetAside {
    /// The agent.
    pub agent: String,
    /// Why, in words.
    pub reason: String,
    /// Why, in detail (for a test failure: the command, its exit and output tail).
    pub why: Rejection,
}

/// How many times a batch is judged again after base moved on the remote under it.
const MAX_RACES: u32 = 20;

/// Merge every ready entry in batches of at most `size`, in queue order, judging the
/// queue again after each batch; see the module docs. `progress` hears of each merge as an event.
///
/// With a `fleet`, base is shared through its remote: it is brought up to the remote's
/// before each batch, the merged result lands there first (a push with a lease), a batch
/// that lost the race is judged again on the new base, and entries another machine holds
/// are left to it.
pub fn queue_run_batch(
    ws: &Workspace,
    size: usize,
    dry_run: bool,
    fleet: Option<&Fleet>,
    progress: &mut dyn Progress<MergeReport>,
) -> Result<QueueRun> {
    if size == 0 {
        return Err(Error::Usage(
            "--batch needs a size of at least 1 (--batch 4)".to_owned(),
        ));
    }
    if dry_run {
        let mut run = queue_run(ws, true, progress)?;
        run.batch = Some(size);
        return Ok(run);
    }
    let mut run = QueueRun {
        merges: Vec::new(),
        remaining: queue(ws)?,
        stopped: None,
        stopped_by: None,
        dry_run,
        batch: Some(size),
        batches: Vec::new(),
        notices: Vec::new(),
    };
    let mut tried: HashSet<String> = HashSet::new();
    let machine = fleet.map(|f| &f.machine);
    let mut races = 0;
    loop {
        if let Some(fleet) = fleet {
            fleet.catch_up_base(ws, State::load(&ws.repo)?.base())?;
        }
        let current = queue(ws)?;
        let state = State::load(&ws.repo)?;
        let ready: Vec<(String, String)> = current
            .entries
            .iter()
            .filter(|e| e.criteria.ready && !tried.contains(&e.agent))
            .filter(|e| {
                machine.is_none_or(|me| {
                    state
                        .agent(&e.agent)
                        .is_none_or(|doc| fleet::held_elsewhere(doc, me).is_none())
                })
            })
            .map(|e| (e.agent.clone(), e.criteria.forge.clone()))
            .collect();
        run.remaining = current;
        let Some((first, forge)) = ready.first() else {
            return Ok(run);
        };
        if forge != "local" {
            if run.notices.is_empty() {
                progress.step(GITHUB_NOTICE);
                run.notices.push(GITHUB_NOTICE.to_owned());
            }
            tried.insert(first.clone());
            progress.step(&format!("merging {first}"));
            match merge::merge(ws, first, false, &mut Plain(progress)) {
                Ok(report) => {
                    progress.event(report.clone());
                    run.merges.push(report);
                }
                Err(err) => {
                    run.stopped = Some(format!("{first}: {err}"));
                    run.stopped_by = Some(err);
                    run.remaining = queue(ws)?;
                    return Ok(run);
                }
            }
            continue;
        }
        let group: Vec<String> = ready
            .iter()
            .filter(|(_, forge)| forge == "local")
            .take(size)
            .map(|(name, _)| name.clone())
            .collect();
        progress.step(&format!(
            "merging a batch of {}: {}",
            group.len(),
            group.join(", ")
        ));
        let publish = fleet.map(|f| f.publish(state.base()));
        let merged = merge_one_batch(ws, &group, publish.as_ref(), &mut Plain(progress));
        if let Err(Error::Forge(ForgeError::SharedBaseMoved { .. })) = &merged
            && races < MAX_RACES
        {
            races += 1;
            progress.step("base moved on the remote meanwhile; judging the batch again on it");
            continue;
        }
        tried.extend(group.iter().cloned());
        match merged {
            Ok((report, merges)) => {
                for merge in merges {
                    progress.event(merge.clone());
                    run.merges.push(merge);
                }
                run.batches.push(report);
            }
            Err(err) => {
                run.stopped = Some(format!("the batch {}: {err}", group.join(", ")));
                run.stopped_by = Some(err);
                run.remaining = queue(ws)?;
                return Ok(run);
            }
        }
    }
}

/// Merge `group` (local entries, in queue order) as one batch and record the outcome:
/// the merged agents marked merged, the ones set aside given their reason as failure.
fn merge_one_batch(
    ws: &Workspace,
    group: &[String],
    publish: Option<&Publish>,
    progress: &mut dyn Progress,
) -> Result<(BatchReport, Vec<MergeReport>)> {
    let state = State::load(&ws.repo)?;
    let mut judged: Vec<Judged> = Vec::new();
    let mut requests = Vec::new();
    let post_merge_command = hooks::command(ws, &state, Hook::PostMerge)?;
    let mut pre_merge_failed: Vec<(String, Rejection)> = Vec::new();
    for name in group {
        let verdict = criteria::judge(ws, &state, name)?;
        if !verdict.criteria.ready {
            continue;
        }
        let spec = crate::ops::find_agent(&state, name)?;
        let mut request = merge::merge_request(ws, &state, spec, &verdict)?;
        request.publish = publish.cloned();
        if let Some(run) = merge::pre_merge(ws, &state, name, &request.head, progress)?
            && !run.passed
        {
            pre_merge_failed.push((
                name.clone(),
                Rejection::PreMergeFailed {
                    command: run.command,
                    exit: run
                        .exit_code
                        .map_or_else(|| "without an exit code".to_owned(), |c| c.to_string()),
                    log: run.log,
                    tail: run.tail.unwrap_or_default(),
                },
            ));
            continue;
        }
        requests.push(request);
        judged.push(verdict);
    }
    let test = requests.iter().find_map(|r| r.test_command.clone());
    let mut outcome = if requests.is_empty() {
        forge_batch::BatchOutcome::default()
    } else {
        forge_batch::merge_batch(ws, &requests, test.as_ref(), progress)?
    };
    outcome.rejected.extend(pre_merge_failed);
    let judged_for = |name: &str| {
        judged
            .iter()
            .find(|j| j.criteria.agent == name)
            .ok_or_else(|| Error::Refused(format!("{name} was merged without being judged")))
    };
    let mut landed: Vec<(&str, &Judged, MergeOutcome)> = Vec::new();
    for (name, merged) in &outcome.landed {
        landed.push((name.as_str(), judged_for(name)?, merged.clone()));
    }
    let mut reports = Vec::new();
    if !landed.is_empty() {
        let judged_landed: Vec<&Judged> = landed.iter().map(|(_, j, _)| *j).collect();
        let merged = merge::record_merges(ws, landed)?;
        for (verdict, mut merged) in judged_landed.into_iter().zip(merged) {
            let name = verdict.criteria.agent.as_str();
            let mut post_merge = None;
            if let (Some(command), Some(commit)) = (&post_merge_command, &merged.commit) {
                let run = merge::post_merge(ws, &state, name, command, commit, progress)?;
                if !run.passed {
                    merged.warnings.push(format!(
                        "merged, but {}",
                        hooks::failure(Hook::PostMerge, &run)
                    ));
                }
                post_merge = Some(run);
            }
            reports.push(MergeReport {
                agent: verdict.criteria.agent.clone(),
                base: state.base().to_owned(),
                criteria: verdict.criteria.clone(),
                already_merged: false,
                dry_run: false,
                merged: Some(merged),
                pre_merge: None,
                post_merge,
            });
        }
    }
    let rejected: Vec<SetAside> = outcome
        .rejected
        .iter()
        .map(|(agent, why)| SetAside {
            agent: agent.clone(),
            reason: why.to_string(),
            why: why.clone(),
        })
        .collect();
    if !rejected.is_empty() {
        state::update::<_, Error>(&ws.repo, |state| {
            for set_aside in &rejected {
                if let Some(doc) = state.agent_mut(&set_aside.agent) {
                    doc.failure = Some(format!(
                        "not merged by queue run --batch: {}",
                        set_aside.reason
                    ));
                }
            }
            let names: Vec<&str> = rejected.iter().map(|r| r.agent.as_str()).collect();
            Ok((format!("batch set aside {}", names.join(", ")), ()))
        })?;
    }
    Ok((
        BatchReport {
            agents: group.to_vec(),
            merged: outcome
                .landed
                .iter()
                .map(|(name, _)| name.clone())
                .collect(),
            rejected,
            test_runs: outcome.test_runs,
        },
        reports,
    ))
}
