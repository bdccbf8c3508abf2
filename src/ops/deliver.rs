//! Delivery as `run` does it: test the agent's head, review it until the score holds,
//! open its pull request, and let the merge queue merge whatever meets the criteria.

use super::MergeReport;
use super::run::{Deliver, Delivery, MergeRound, RunEvent, SentBack, Stage};
use super::{ReviewOptions, approve, open_pr, queue_run_batch, review, run_tests};
use crate::config::{self, CommandKind};
use crate::error::Result;
use crate::forge::batch::Rejection;
use crate::git::workspace::Workspace;
use crate::progress::{Progress, Steps};
use crate::state::{FindingsKind, State};

/// The most ready entries the merge queue tests together. When several agents are ready
/// at once they are laid on base one after another and the combined result is tested
/// once (a failure is bisected to the entry that breaks it), rather than tested in
/// parallel speculation: on a machine whose cores already run the agents, one test run
/// for N entries costs less than N runs side by side, and when all pass (the usual case)
/// the queue drains in one test duration.
const MERGE_BATCH: usize = 16;

/// The full pipeline: test, review, pull request, merge queue. Steps whose command is not
/// configured are skipped; the merge criteria still decide what merges.
#[derive(Debug, Default, Clone)]
pub struct Pipeline {
    /// Record an approval by this name once the review passes (the demo's reviewer);
    /// otherwise approvals come from people (`git agents approve`, or GitHub reviews).
    pub approve_as: Option<String>,
    /// The remote base is shared through, when runs on several machines share the fleet.
    pub remote: Option<String>,
}

impl Deliver for Pipeline {
    fn deliver(
        &self,
        ws: &Workspace,
        agent: &str,
        events: &mut dyn Progress<RunEvent>,
    ) -> Result<Delivery> {
        let state = State::load(&ws.repo)?;
        let step = |stage: Stage, message: String| RunEvent::Step {
            agent: agent.to_owned(),
            stage,
            message,
        };
        let working = |message: String| RunEvent::Working {
            agent: Some(agent.to_owned()),
            message,
        };
        // On the local forge the merge queue tests the merged result before base moves, and
        // that test gates the merge: the head is not tested on its own first. Failing
        // tests there send the agent back to work like failing tests here would.
        let local = matches!(
            crate::forge::Forge::for_pr(ws, config::forge_kind(&ws.repo, &state.plan)?, None)?,
            crate::forge::Forge::Local(_)
        );
        let tests =
            !local && config::command(&ws.repo, &state.plan, CommandKind::Test, &[]).is_some();
        let reviews = config::command(&ws.repo, &state.plan, CommandKind::Review, &[]).is_some();
        // A fix command moves the head between review iterations, so the tests must come
        // first then; otherwise the review does not wait for them.
        let together = tests
            && reviews
            && config::command(&ws.repo, &state.plan, CommandKind::Fix, &[]).is_none();
        if together {
            events.event(working(format!("testing and reviewing {agent}'s work")));
            let shared = ws.share();
            let (tested, reviewed) = std::thread::scope(|scope| {
                let review_job = scope.spawn(|| -> Result<Gate> {
                    let ws = shared.open()?;
                    review_gate(&ws, agent)
                });
                let tested = test_gate(ws, agent);
                let reviewed = review_job.join().unwrap_or_else(|_| {
                    Err(crate::error::Error::External(format!(
                        "the review of {agent} panicked"
                    )))
                });
                (tested, reviewed)
            });
            for gate in [tested?, reviewed?] {
                match gate {
                    Gate::Passed(stage, message) => events.event(step(stage, message)),
                    Gate::Short(delivery) => return Ok(delivery),
                }
            }
        } else {
            if tests {
                events.event(working(format!("testing {agent}'s work")));
                match test_gate(ws, agent)? {
                    Gate::Passed(stage, message) => events.event(step(stage, message)),
                    Gate::Short(delivery) => return Ok(delivery),
                }
            }
            if reviews {
                events.event(working(format!("reviewing {agent}'s work")));
                match review_gate(ws, agent)? {
                    Gate::Passed(stage, message) => events.event(step(stage, message)),
                    Gate::Short(delivery) => return Ok(delivery),
                }
            }
        }
        if let Some(by) = &self.approve_as {
            approve(ws, agent, Some(by))?;
            events.event(step(Stage::Approve, format!("approved by {by}")));
        }
        events.event(working(format!("opening a pull request for {agent}")));
        let pr = open_pr(
            ws,
            agent,
            false,
            &mut Steps(|line: &str| events.event(working(format!("{agent}: {line}")))),
        )?;
        events.event(step(
            Stage::Pr,
            format!("PR #{} opened ({})", pr.number, pr.url),
        ));
        Ok(Delivery::Proposed)
    }

    fn merge_ready(
        &self,
        ws: &Workspace,
        events: &mut dyn Progress<RunEvent>,
    ) -> Result<MergeRound> {
        let mut watcher = QueueWatcher {
            events,
            merged: Vec::new(),
        };
        let fleet = match &self.remote {
            Some(remote) => Some(super::fleet::Fleet::open(ws, remote)?),
            None => None,
        };
        let run = queue_run_batch(ws, MERGE_BATCH, false, fleet.as_ref(), &mut watcher)?;
        let QueueWatcher { events, merged } = watcher;
        if let Some(reason) = run.stopped {
            events.event(RunEvent::Held {
                agent: "merge queue".to_owned(),
                reason,
            });
        }
        let sent_back = run
            .batches
            .iter()
            .flat_map(|batch| &batch.rejected)
            .filter_map(|set_aside| match &set_aside.why {
                Rejection::TestsFailed {
                    command,
                    exit,
                    tail,
                    ..
                } => Some(SentBack {
                    agent: set_aside.agent.clone(),
                    summary: format!("tests fail on the merged result (`{command}`, exit {exit})"),
                    output: tail.clone(),
                }),
                _ => None,
            })
            .collect();
        Ok(MergeRound { merged, sent_back })
    }
}

/// How one gate of delivery (tests, review) went.
enum Gate {
    /// It passed: what to tell.
    Passed(Stage, String),
    /// It fell short: the agent goes back to work with what it found.
    Short(Delivery),
}

/// Run the tests in `agent`'s worktree.
fn test_gate(ws: &Workspace, agent: &str) -> Result<Gate> {
    let mut printed = Printed::default();
    let report = run_tests(ws, Some(agent), &[], &mut printed)?;
    let commit = &report.commit[..report.commit.len().min(12)];
    if !report.passing {
        return Ok(Gate::Short(Delivery::ShortOf {
            kind: FindingsKind::Tests,
            summary: format!("tests fail on {commit} ({})", report.command),
            output: printed.text(),
        }));
    }
    Ok(Gate::Passed(Stage::Test, format!("tests pass on {commit}")))
}

/// Review `agent`'s work until the score reaches the threshold or the iterations run out.
fn review_gate(ws: &Workspace, agent: &str) -> Result<Gate> {
    let options = ReviewOptions {
        agent: Some(agent.to_owned()),
        ..ReviewOptions::default()
    };
    let mut printed = Printed::default();
    let report = review(ws, &options, &mut printed)?;
    let last = report.iterations.last().map(|i| i.score).unwrap_or(0);
    if !report.reached {
        return Ok(Gate::Short(Delivery::ShortOf {
            kind: FindingsKind::Review,
            summary: format!("review {last}/10, short of {}", report.threshold),
            output: printed.text(),
        }));
    }
    let rounds = report.iterations.len();
    let plural = if rounds == 1 { "" } else { "s" };
    Ok(Gate::Passed(
        Stage::Review,
        format!("review {last}/10 after {rounds} iteration{plural}"),
    ))
}

/// What a command printed, kept (its last 64 KiB) to hand on as findings.
#[derive(Default)]
struct Printed(Vec<u8>);

impl Printed {
    const KEPT: usize = 64 * 1024;

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0).into_owned()
    }
}

impl<E> Progress<E> for Printed {
    fn output(&mut self, chunk: &[u8]) {
        self.0.extend_from_slice(chunk);
        if self.0.len() > 2 * Self::KEPT {
            self.0.drain(..self.0.len() - Self::KEPT);
        }
    }
}

/// What `run` hears of a merge queue run: its steps as work under way, and each merge as
/// it lands.
struct QueueWatcher<'a> {
    events: &'a mut dyn Progress<RunEvent>,
    merged: Vec<String>,
}

impl Progress<MergeReport> for QueueWatcher<'_> {
    fn step(&mut self, what: &str) {
        self.events.event(RunEvent::Working {
            agent: None,
            message: what.to_owned(),
        });
    }

    fn event(&mut self, report: MergeReport) {
        if let Some(merged) = report.merged.filter(|m| m.commit.is_some()) {
            self.events.event(RunEvent::Merged {
                agent: report.agent.clone(),
                unblocked: merged.unblocked,
            });
            self.merged.push(report.agent);
        }
    }
}
