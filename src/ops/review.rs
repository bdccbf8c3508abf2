//! `review`: run the review command until its score reaches the threshold, recording each
//! iteration's score on the commit it reviewed, with an optional fix command in between.

use crate::progress::{Plain, Progress};
use serde::Serialize;

use super::checkout::{Checkout, run_error};
use super::score::parse_score;
use crate::config::{self, CommandKind};
use crate::error::{Error, Result};
use crate::git::Git;
use crate::git::workspace::Workspace;
use crate::state::notes::{self, Record};
use crate::state::{self, State, StateError, Status};

/// What to review and how hard.
#[derive(Debug, Clone, Default)]
pub struct ReviewOptions {
    /// The agent; default: the one whose worktree the command runs in.
    pub agent: Option<String>,
    /// The review command's words after `--`.
    pub command: Vec<String>,
    /// At most this many iterations; default: the merge settings'.
    pub max_iterations: Option<u32>,
    /// The score to reach (out of 10); default: the merge settings'.
    pub threshold: Option<u32>,
}

/// One review iteration.
#[derive(Debug, Clone, Serialize)]
pub struct ReviewIteration {
    /// Which iteration, from 1.
    pub iteration: u32,
    /// The commit reviewed.
    pub commit: String,
    /// The score given.
    pub score: u32,
    /// Out of how many.
    pub out_of: u32,
}

/// What a review run found.
#[derive(Debug, Clone, Serialize)]
pub struct ReviewReport {
    /// The agent.
    pub agent: String,
    /// The review command.
    pub command: String,
    /// The score to reach, out of 10.
    pub threshold: u32,
    /// Every iteration, in order.
    pub iterations: Vec<ReviewIteration>,
    /// Whether the last score reached the threshold.
    pub reached: bool,
    /// Why it stopped short, when it did.
    pub stopped: Option<String>,
}

/// What happens during a review run, for showing progress.
pub enum ReviewEvent {
    /// An iteration starts on a commit.
    Reviewing {
        iteration: u32,
        of: u32,
        commit: String,
    },
    /// An iteration scored.
    Scored {
        iteration: u32,
        score: u32,
        out_of: u32,
    },
    /// The fix command starts.
    Fixing { command: String },
}

/// Review `options.agent`'s work as described in the module docs.
pub fn review(
    ws: &Workspace,
    options: &ReviewOptions,
    progress: &mut dyn Progress<ReviewEvent>,
) -> Result<ReviewReport> {
    let state = State::load(&ws.repo)?;
    let mut checkout = Checkout::find(ws, &state, options.agent.as_deref())?;
    super::trust::require(ws, &state)?;
    let command =
        config::required_command(&ws.repo, &state.plan, CommandKind::Review, &options.command)?;
    let fix = config::command(&ws.repo, &state.plan, CommandKind::Fix, &[]);
    let merge = config::merge_settings(&ws.repo, &state.plan)?;
    let max = options
        .max_iterations
        .unwrap_or(merge.max_review_iterations)
        .max(1);
    let threshold = options.threshold.unwrap_or(merge.review_threshold);
    let mut report = ReviewReport {
        agent: checkout.name.clone(),
        command: command.display(),
        threshold,
        iterations: Vec::new(),
        reached: false,
        stopped: None,
    };
    for iteration in 1..=max {
        checkout.head = head_of(&checkout)?;
        checkout.require_committed("review score")?;
        let commit = checkout.head.to_string();
        progress.event(ReviewEvent::Reviewing {
            iteration,
            of: max,
            commit: commit.clone(),
        });
        let mut env = checkout.env(state.base());
        env.push(("GIT_AGENTS_REVIEW_ITERATION", iteration.to_string()));
        let finished = crate::process::runner::run(
            &command,
            &checkout.path,
            &env,
            None,
            &mut Plain(&mut *progress),
        )
        .map_err(run_error)?;
        checkout.require_unmoved("review score")?;
        let parsed = parse_score(&finished.output).map_err(|unreadable| {
            Error::Refused(format!(
                "the review command `{}` printed a score git-agents will not guess at: {unreadable}; it must print one whole score like `8/10`, `Score: 8` or {{\"score\": 8}}",
                command.display()
            ))
        })?;
        let Some(score) = parsed else {
            let exit = finished
                .exit_code
                .map(|c| format!("exited {c}"))
                .unwrap_or_else(|| "was killed".to_owned());
            return Err(Error::Refused(format!(
                "the review command `{}` {exit} and printed no score; it must print one like `8/10`, `Score: 8` or {{\"score\": 8}}",
                command.display()
            )));
        };
        let record = Record::Review {
            score: score.score,
            out_of: score.out_of,
            iteration,
            command: command.display(),
            at: crate::time::now_rfc3339(),
            agent: Some(checkout.name.clone()),
        };
        notes::append(&ws.repo, checkout.head, &record).map_err(StateError::from)?;
        progress.event(ReviewEvent::Scored {
            iteration,
            score: score.score,
            out_of: score.out_of,
        });
        report.iterations.push(ReviewIteration {
            iteration,
            commit: commit.clone(),
            score: score.score,
            out_of: score.out_of,
        });
        if score.reaches(threshold) {
            report.reached = true;
            break;
        }
        if iteration == max {
            report.stopped = Some(format!(
                "{max} iteration{} without reaching {threshold}/10",
                if max == 1 { "" } else { "s" }
            ));
            break;
        }
        match &fix {
            Some(fix) => {
                let display = fix.display();
                progress.event(ReviewEvent::Fixing {
                    command: display.clone(),
                });
                env.push(("GIT_AGENTS_REVIEW_SCORE", score.score.to_string()));
                let fixed = crate::process::runner::run(
                    fix,
                    &checkout.path,
                    &env,
                    Some(finished.output.as_bytes()),
                    &mut Plain(&mut *progress),
                )
                .map_err(run_error)?;
                if !fixed.success() {
                    report.stopped = Some(format!(
                        "the fix command `{display}` exited {}",
                        fixed
                            .exit_code
                            .map(|c| c.to_string())
                            .unwrap_or_else(|| "by a signal".to_owned())
                    ));
                    break;
                }
            }
            None if head_of(&checkout)? == checkout.head => {
                report.stopped = Some(
                    "no fix command is configured (git config agents.fixCommand, or fix_command in the plan), so another review would judge the same commit".to_owned(),
                );
                break;
            }
            None => {}
        }
    }
    if let Some(last) = report.iterations.last() {
        let name = report.agent.clone();
        let summary = format!(
            "review {name}: {}/{} after {} iteration{}",
            last.score,
            last.out_of,
            report.iterations.len(),
            if report.iterations.len() == 1 {
                ""
            } else {
                "s"
            }
        );
        state::update::<_, Error>(&ws.repo, |state| {
            if let Some(doc) = state.agent_mut(&name)
                && matches!(doc.status, Status::InProgress | Status::Failed)
            {
                doc.status = Status::Review;
                doc.failure = None;
            }
            Ok((summary.clone(), ()))
        })?;
    }
    Ok(report)
}

fn head_of(checkout: &Checkout) -> Result<gix::ObjectId> {
    let head = Git::new(&checkout.path).run(["rev-parse", "--verify", "HEAD^{commit}"])?;
    gix::ObjectId::from_hex(head.trim().as_bytes())
        .map_err(|e| Error::External(format!("git rev-parse printed {head:?}: {e}")))
}
