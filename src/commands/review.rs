//! `git agents review`: review an agent's work until the score reaches the threshold.

use crate::cli::exit;
use crate::cli::output::Output;
use git_agents::progress::Progress;
use std::io::Write;

use git_agents::Error;
use git_agents::ops::{self, ReviewEvent, ReviewOptions};

use super::Context;
use crate::cli::output::style;

/// Review an agent's work until the score reaches the threshold
///
/// Run the review command on an agent's HEAD, reading its score (`8/10`, `Score: 8` or
/// `{"score": 8}`), and repeat after the fix command until the score reaches the threshold.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The agent [default: the one whose worktree this is]
    #[arg(long, value_name = "AGENT")]
    pub agent: Option<String>,
    /// Review at most N times [default: the plan's max review iterations, 5]
    #[arg(long, value_name = "N")]
    pub max_iterations: Option<u32>,
    /// The score out of 10 to reach [default: the plan's review threshold, 10]
    #[arg(long, value_name = "SCORE")]
    pub threshold: Option<u32>,
    /// The review command; one word runs through sh -c, several run as they are
    /// [default: git config agents.reviewCommand, or the plan's review_command]
    #[arg(last = true, value_name = "CMD")]
    pub command: Vec<String>,
}

/// What a review shows as it goes: each iteration and fix as progress, the commands'
/// output on stderr (not with --quiet).
struct ReviewWatch<'a>(&'a Output);

impl Progress<ReviewEvent> for ReviewWatch<'_> {
    fn output(&mut self, chunk: &[u8]) {
        if !self.0.quiet {
            let _ = std::io::stderr().write_all(chunk);
        }
    }

    fn event(&mut self, event: ReviewEvent) {
        let out = self.0;
        match event {
            ReviewEvent::Reviewing {
                iteration,
                of,
                commit,
            } => out.progress(&format!("review {iteration}/{of} of {}", &commit[..12])),
            ReviewEvent::Scored {
                iteration,
                score,
                out_of,
            } => out.progress(&format!("iteration {iteration}: {score}/{out_of}")),
            ReviewEvent::Fixing { command } => out.progress(&format!("fixing with `{command}`")),
        }
    }
}

/// Run `review`.
pub fn run(args: &Args, ctx: &Context) -> Result<i32, Error> {
    let ws = ctx.workspace()?;
    let options = ReviewOptions {
        agent: args.agent.clone(),
        command: args.command.clone(),
        max_iterations: args.max_iterations,
        threshold: args.threshold,
    };
    let report = ops::review(&ws, &options, &mut ReviewWatch(&ctx.out))?;
    let code = if report.reached {
        exit::OK
    } else {
        exit::REFUSED
    };
    if ctx.out.json(&report) {
        return Ok(code);
    }
    let scores: Vec<String> = report
        .iterations
        .iter()
        .map(|i| format!("{}/{}", i.score, i.out_of))
        .collect();
    let last = report.iterations.last();
    let commit = last.map(|i| &i.commit[..12]).unwrap_or("");
    if report.reached {
        ctx.out.say(format!(
            "{} {} reviewed {} on {commit} (threshold {}/10; {})",
            style::good().apply_to("✓"),
            style::name().apply_to(&report.agent),
            scores.last().map(String::as_str).unwrap_or(""),
            report.threshold,
            iterations(&scores)
        ));
    } else {
        ctx.out.say(format!(
            "{} {} reviewed {} on {commit}, below {}/10; {}",
            style::bad().apply_to("✗"),
            style::name().apply_to(&report.agent),
            scores.last().map(String::as_str).unwrap_or(""),
            report.threshold,
            report.stopped.as_deref().unwrap_or("stopped")
        ));
        ctx.out
            .say(style::dim().apply_to(iterations(&scores)).to_string());
    }
    Ok(code)
}

fn iterations(scores: &[String]) -> String {
    match scores.len() {
        1 => "1 iteration".to_owned(),
        n => format!("{n} iterations: {}", scores.join(" → ")),
    }
}
