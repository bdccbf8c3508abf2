//! `git agents send`: type a line to a running agent, from a script.

use crate::cli::exit;
use git_agents::Error;
use git_agents::ops::terminal;

use super::Context;
use crate::cli::output::style;

/// Type a line to a running agent's terminal
///
/// Type TEXT and Enter to an agent's running command, as a person at its terminal would
/// (for agents launched with git agents run --tmux).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The agent to type to
    #[arg(value_name = "AGENT")]
    pub agent: String,
    /// The line to type
    #[arg(value_name = "TEXT")]
    pub text: String,
}

/// Run `send`.
pub fn run(args: &Args, ctx: &Context) -> Result<i32, Error> {
    let ws = ctx.workspace()?;
    let report = terminal::send(&ws, Some(&args.agent), &args.text)?;
    if ctx.out.json(&report) {
        return Ok(exit::OK);
    }
    ctx.out.say(format!(
        "{} typed to {}",
        style::good().apply_to("✓"),
        style::name().apply_to(&report.agent)
    ));
    Ok(exit::OK)
}
