//! `git agents update`: change an agent's status or leave a note.

use crate::cli::exit;
use git_agents::Error;
use git_agents::ops;
use git_agents::state::Status;

use super::Context;
use crate::cli::output::style;

/// Change an agent's status or leave a note
///
/// Change an agent's status and/or leave a note (the agent is the one whose worktree you are in).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The new status: planned, in_progress, review, pr_open, merged, completed, failed, abandoned
    #[arg(long, value_name = "STATUS", value_parser = parse_status)]
    pub status: Option<Status>,
    /// A note to add to the agent's record
    #[arg(long, value_name = "TEXT")]
    pub note: Option<String>,
    /// The agent [default: the one whose worktree this is]
    #[arg(long, value_name = "AGENT")]
    pub agent: Option<String>,
}

fn parse_status(text: &str) -> Result<Status, String> {
    Status::parse(text).ok_or_else(|| {
        format!(
            "unknown status {text:?}; use one of {}",
            Status::ALL
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )
    })
}

/// Run `update`.
pub fn run(args: &Args, ctx: &Context) -> Result<i32, Error> {
    let ws = ctx.workspace()?;
    let report = ops::update(
        &ws,
        args.agent.as_deref(),
        args.status,
        args.note.as_deref(),
        None,
    )?;
    if ctx.out.json(&report) {
        return Ok(exit::OK);
    }
    let note = args
        .note
        .as_deref()
        .map(|n| format!("; note: {}", crate::cli::output::one_line(n)))
        .unwrap_or_default();
    ctx.out.say(format!(
        "Updated {}: {}{note}",
        style::name().apply_to(&report.agent),
        report.status
    ));
    Ok(exit::OK)
}
