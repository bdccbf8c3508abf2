//! `queue`: the merge order (dependency phases; within a phase, the entry with the longest
//! chain of agents waiting behind it first, then plan order) with each entry's
//! criteria, and `queue run`, which merges ready entries one at a time in that order,
//! judging the rest again after every merge because each merge changes base.

pub mod batch;

use crate::progress::{Plain, Progress};
use std::collections::HashSet;

use serde::Serialize;

use crate::error::Result;
use crate::git::workspace::Workspace;
use crate::ops::criteria::{self, Criteria};
use crate::ops::merge::{self, MergeReport};
use crate::plan::graph::Graph;
use crate::state::{State, Status};
use batch::BatchReport;

/// One agent waiting to merge.
#[derive(Debug, Clone, Serialize)]
pub struct QueueEntry {
    /// Its place in the merge order, from 1.
    pub position: usize,
    /// Its dependency phase, from 1.
    pub phase: usize,
    /// The agent.
    pub agent: String,
    /// Its criteria.
    pub criteria: Criteria,
}

/// The merge queue.
#[derive(Debug, Clone, Serialize)]
pub struct QueueReport {
    /// The base branch.
    pub base: String,
    /// Agents not merged or abandoned, in merge order.
    pub entries: Vec<QueueEntry>,
    /// Agents already merged, in merge order.
    pub merged: Vec<String>,
}

/// The queue as it stands.
pub fn queue(ws: &Workspace) -> Result<QueueReport> {
    let state = State::load(&ws.repo)?;
    let graph = Graph::new(&state.plan);
    let mut entries = Vec::new();
    let mut merged = Vec::new();
    let chains = waiting_chains(&state);
    for (index, phase) in graph.phases().iter().enumerate() {
        let mut phase = phase.clone();
        // The entry with the longest chain of agents waiting behind it goes first: its
        // merge releases the most work. Ties keep plan order (the sort is stable).
        phase.sort_by_key(|name| std::cmp::Reverse(chains.get(*name).copied().unwrap_or(0)));
        for name in &phase {
            let status = state
                .agent(name)
                .map(|a| a.status)
                .unwrap_or(Status::Planned);
            if status.is_merged() {
                merged.push((*name).to_owned());
                continue;
            }
            if status == Status::Abandoned {
                continue;
            }
            let judged = criteria::judge(ws, &state, name)?;
            entries.push(QueueEntry {
                position: entries.len() + 1,
                phase: index + 1,
                agent: (*name).to_owned(),
                criteria: judged.criteria,
            });
        }
    }
    Ok(QueueReport {
        base: state.base().to_owned(),
        entries,
        merged,
    })
}

/// For each agent, the length of the longest chain of agents that wait for it (directly
/// or through others) and are neither merged nor abandoned.
fn waiting_chains(state: &State) -> std::collections::HashMap<String, usize> {
    fn chain(
        state: &State,
        name: &str,
        memo: &mut std::collections::HashMap<String, usize>,
    ) -> usize {
        if let Some(known) = memo.get(name) {
            return *known;
        }
        // A cycle cannot be in an imported plan; this guards the walk all the same.
        memo.insert(name.to_owned(), 0);
        let longest = merge::waiting_on(state, name)
            .iter()
            .map(|d| 1 + chain(state, d, memo))
            .max()
            .unwrap_or(0);
        memo.insert(name.to_owned(), longest);
        longest
    }
    let mut memo = std::collections::HashMap::new();
    for spec in &state.plan.agents {
        chain(state, &spec.name, &mut memo);
    }
    memo
}

/// What `queue run` did.
#[derive(Debug, Serialize)]
pub struct QueueRun {
    /// Each merge made (or, with a dry run, each entry ready now), in order.
    pub merges: Vec<MergeReport>,
    /// The queue afterwards.
    pub remaining: QueueReport,
    /// Why the run stopped early, when a merge failed.
    pub stopped: Option<String>,
    /// The failure that stopped the run, for the caller to judge.
    #[serde(skip)]
    pub stopped_by: Option<crate::Error>,
    /// Whether this was only a check.
    pub dry_run: bool,
    /// The most entries tested together, with `--batch`.
    pub batch: Option<usize>,
    /// Each batch tried, with `--batch`.
    pub batches: Vec<BatchReport>,
    /// Things to know about how the run went (batching not possible, …).
    pub notices: Vec<String>,
}

impl QueueRun {
    /// Agents with a PR open that still cannot merge.
    pub fn proposed_waiting(&self) -> Vec<&QueueEntry> {
        self.remaining
            .entries
            .iter()
            .filter(|e| e.criteria.status == Status::PrOpen)
            .collect()
    }
}

/// Merge every ready entry, one at a time in queue order, judging the queue again after
/// each merge; stop at the first merge that fails. `progress` hears of each merge made as an event.
pub fn queue_run(
    ws: &Workspace,
    dry_run: bool,
    progress: &mut dyn Progress<MergeReport>,
) -> Result<QueueRun> {
    let mut merges = Vec::new();
    let mut tried: HashSet<String> = HashSet::new();
    if dry_run {
        let remaining = queue(ws)?;
        for entry in remaining.entries.iter().filter(|e| e.criteria.ready) {
            let report = merge::merge(ws, &entry.agent, true, &mut Plain(progress))?;
            progress.event(report.clone());
            merges.push(report);
        }
        return Ok(QueueRun {
            merges,
            remaining,
            stopped: None,
            stopped_by: None,
            dry_run,
            batch: None,
            batches: Vec::new(),
            notices: Vec::new(),
        });
    }
    loop {
        let current = queue(ws)?;
        let Some(next) = current
            .entries
            .iter()
            .find(|e| e.criteria.ready && !tried.contains(&e.agent))
        else {
            return Ok(QueueRun {
                merges,
                remaining: current,
                stopped: None,
                stopped_by: None,
                dry_run,
                batch: None,
                batches: Vec::new(),
                notices: Vec::new(),
            });
        };
        let agent = next.agent.clone();
        tried.insert(agent.clone());
        progress.step(&format!(
            "merging {agent} ({} of the queue)",
            ordinal(next.position)
        ));
        match merge::merge(ws, &agent, false, &mut Plain(progress)) {
            Ok(report) => {
                progress.event(report.clone());
                merges.push(report);
            }
            Err(err) => {
                let remaining = queue(ws)?;
                return Ok(QueueRun {
                    merges,
                    remaining,
                    stopped: Some(format!("{agent}: {err}")),
                    stopped_by: Some(err),
                    dry_run,
                    batch: None,
                    batches: Vec::new(),
                    notices: Vec::new(),
                });
            }
        }
    }
}

pub(crate) fn ordinal(n: usize) -> String {
    let suffix = match (n % 10, n % 100) {
        (1, 11) | (2, 12) | (3, 13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}
