//! `git agents remove`: remove an agent from the plan.

use crate::cli::exit;
use git_agents::Error;
use git_agents::ops;

use super::Context;
use crate::cli::output::style;

/// Remove an agent from the plan
///
/// Remove an agent from the plan (its branch and worktree are left alone).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The agent to remove
    #[arg(value_name = "AGENT")]
    pub name: String,
    /// Remove it even though it has work under way
    #[arg(long)]
    pub force: bool,
}

/// Run `remove`.
pub fn run(args: &Args, ctx: &Context) -> Result<i32, Error> {
    let ws = ctx.workspace()?;
    let state = ops::remove(&ws, &args.name, args.force)?;
    if ctx
        .out
        .json(&serde_json::json!({ "removed": args.name, "agents": state.plan.agents.len() }))
    {
        return Ok(exit::OK);
    }
    ctx.out.say(format!(
        "Removed {}; {} agents left",
        style::name().apply_to(&args.name),
        state.plan.agents.len()
    ));
    Ok(exit::OK)
}
