//! Delivery as `run` does it: test the agent's head, review it until the score holds,
//! open its pull request, and let the merge queue merge whatever meets the criteria.

use super::MergeReport;
use super::run::{Deliver, RunEvent};
use super::{ReviewOptions, approve, open_pr, queue_run, review, run_tests};
use crate::config::{self, CommandKind};
use crate::error::{Error, Result};
use crate::git::workspace::Workspace;
use crate::progress::{Progress, Silent, Steps};
use crate::state::State;

/// The full pipeline: test, review, pull request, merge queue. Steps whose command is not
/// configured are skipped; the merge criteria still decide what merges.
#[derive(Debug, Default, Clone)]
pub struct Pipeline {
    /// Record an approval by this name once the review passes (the demo's reviewer);
    /// otherwise approvals come from people (`git agents approve`, or GitHub reviews).
    pub approve_as: Option<String>,
}

impl Deliver for Pipeline {
    fn deliver(
        &mut self,
        ws: &Workspace,
        agent: &str,
        events: &mut dyn Progress<RunEvent>,
    ) -> Result<Vec<String>> {
        let state = State::load(&ws.repo)?;
        let step = |message: String| RunEvent::Step {
            agent: agent.to_owned(),
            message,
        };
        let working = |message: String| RunEvent::Working { message };
        if config::command(&ws.repo, &state.plan, CommandKind::Test, &[]).is_some() {
            events.event(working(format!("testing {agent}'s work")));
            let report = run_tests(ws, Some(agent), &[], &mut Silent)?;
            let commit = &report.commit[..report.commit.len().min(12)];
            if !report.passing {
                return Err(Error::Refused(format!(
                    "tests fail on {commit} ({})",
                    report.command
                )));
            }
            events.event(step(format!("tests pass on {commit}")));
        }
        if config::command(&ws.repo, &state.plan, CommandKind::Review, &[]).is_some() {
            events.event(working(format!("reviewing {agent}'s work")));
            let options = ReviewOptions {
                agent: Some(agent.to_owned()),
                ..ReviewOptions::default()
            };
            let report = review(ws, &options, &mut Silent)?;
            let last = report.iterations.last().map(|i| i.score).unwrap_or(0);
            let rounds = report.iterations.len();
            let plural = if rounds == 1 { "" } else { "s" };
            if !report.reached {
                return Err(Error::Refused(format!(
                    "review stopped at {last}/10 after {rounds} iteration{plural}, short of {}",
                    report.threshold
                )));
            }
            events.event(step(format!(
                "review {last}/10 after {rounds} iteration{plural}"
            )));
        }
        if let Some(by) = &self.approve_as {
            approve(ws, agent, Some(by))?;
            events.event(step(format!("approved by {by}")));
        }
        events.event(working(format!("opening a pull request for {agent}")));
        let pr = open_pr(
            ws,
            agent,
            false,
            &mut Steps(|line: &str| events.event(working(format!("{agent}: {line}")))),
        )?;
        events.event(step(format!("PR #{} opened ({})", pr.number, pr.url)));
        Ok(Vec::new())
    }

    fn merge_ready(
        &mut self,
        ws: &Workspace,
        events: &mut dyn Progress<RunEvent>,
    ) -> Result<Vec<String>> {
        let mut watcher = QueueWatcher {
            events,
            merged: Vec::new(),
        };
        let run = queue_run(ws, false, &mut watcher)?;
        let QueueWatcher { events, merged } = watcher;
        if let Some(reason) = run.stopped {
            events.event(RunEvent::Held {
                agent: "merge queue".to_owned(),
                reason,
            });
        }
        Ok(merged)
    }
}

/// What `run` hears of a merge queue run: its steps as work under way, and which agents
/// it merged.
struct QueueWatcher<'a> {
    events: &'a mut dyn Progress<RunEvent>,
    merged: Vec<String>,
}

impl Progress<MergeReport> for QueueWatcher<'_> {
    fn step(&mut self, what: &str) {
        self.events.event(RunEvent::Working {
            message: what.to_owned(),
        });
    }

    fn event(&mut self, report: MergeReport) {
        if report.merged.is_some() {
            self.merged.push(report.agent);
        }
    }
}
