//! `git agents brief`: print an agent's brief as Markdown.

use crate::cli::exit;
use git_agents::Error;
use git_agents::ops;

use super::Context;

/// Print an agent's brief as Markdown: tasks, dependencies, merge criteria
///
/// Print an agent's brief: tasks, dependencies, merge criteria and how to report back.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The agent [default: the one whose worktree this is]
    #[arg(value_name = "AGENT")]
    pub agent: Option<String>,
    /// The agent, as `task` and `update` take it
    #[arg(
        long = "agent",
        value_name = "AGENT",
        conflicts_with = "agent",
        hide = true
    )]
    pub agent_flag: Option<String>,
}

/// Run `brief`.
pub fn run(args: &Args, ctx: &Context) -> Result<i32, Error> {
    let ws = ctx.workspace()?;
    let agent = args.agent.as_deref().or(args.agent_flag.as_deref());
    let brief = ops::brief(&ws, agent)?;
    if ctx.out.json(&brief) {
        return Ok(exit::OK);
    }
    ctx.out.print(brief.to_markdown());
    Ok(exit::OK)
}
