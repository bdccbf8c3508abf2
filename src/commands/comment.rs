//! `git agents comment`: leave a remark for an agent.

use crate::cli::exit;
use git_agents::Error;
use git_agents::ops;

use super::Context;
use crate::cli::output::style;

/// Leave a remark for an agent, shown in its brief
///
/// Leave a remark for an agent: it is kept on the agent's record, shown under "Comments" in
/// its brief, and handed to its command with the findings when `run` launches it again.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The agent the remark is for
    #[arg(value_name = "AGENT")]
    pub agent: String,
    /// What to tell it
    #[arg(value_name = "TEXT", required = true)]
    pub text: String,
}

/// Run `comment`.
pub fn run(args: &Args, ctx: &Context) -> Result<i32, Error> {
    let ws = ctx.workspace()?;
    let report = ops::comment(&ws, Some(&args.agent), &args.text)?;
    if ctx.out.json(&report) {
        return Ok(exit::OK);
    }
    ctx.out.say(format!(
        "{} left a comment for {} ({} in all); it shows in git agents brief {}",
        style::good().apply_to("✓"),
        style::name().apply_to(&report.agent),
        report.comments,
        report.agent
    ));
    Ok(exit::OK)
}
