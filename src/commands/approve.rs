//! `git agents approve`: approve an agent's head commit on the local forge.

use crate::cli::exit;
use git_agents::Error;
use git_agents::ops;

use super::Context;
use crate::cli::output::style;

/// Approve an agent's head commit (local forge)
///
/// Approve the head commit of an agent's branch (local forge; on GitHub approve the PR).
/// A later commit needs approving again.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The agent whose work to approve [default: the agent whose worktree this is]
    #[arg(value_name = "AGENT")]
    pub agent: Option<String>,
    /// Who approves [default: your git user.name]
    #[arg(long, value_name = "NAME")]
    pub by: Option<String>,
}

/// Run `approve`.
pub fn run(args: &Args, ctx: &Context) -> Result<i32, Error> {
    let ws = ctx.workspace()?;
    let agent = ctx.agent(&ws, args.agent.as_deref())?;
    let approval = ops::approve(&ws, &agent, args.by.as_deref())?;
    if ctx.out.json(&approval) {
        return Ok(exit::OK);
    }
    let verb = if approval.already_approved {
        "had already approved"
    } else {
        "approved"
    };
    ctx.out.say(format!(
        "{} {} {verb} {} at {} ({} approval{}: {})",
        style::good().apply_to("✓"),
        approval.by,
        style::name().apply_to(&approval.agent),
        &approval.commit[..12],
        approval.approvals.len(),
        if approval.approvals.len() == 1 {
            ""
        } else {
            "s"
        },
        approval.approvals.join(", ")
    ));
    Ok(exit::OK)
}
