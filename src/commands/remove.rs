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
    let report = ops::remove(&ws, &args.name, args.force)?;
    if ctx.out.json(&report) {
        return Ok(exit::OK);
    }
    ctx.out.say(format!(
        "Removed {}; {} left",
        style::name().apply_to(&report.removed),
        match report.agents {
            1 => "1 agent".to_owned(),
            n => format!("{n} agents"),
        }
    ));
    Ok(exit::OK)
}
