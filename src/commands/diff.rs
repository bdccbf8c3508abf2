//! `git agents diff`: what an agent produced, against base.

use crate::cli::exit;
use git_agents::Error;
use git_agents::ops::diff::{self, DiffForm};

use super::Context;

/// Show an agent's change against base
///
/// Show what an agent produced against the point where its branch left base: its commits
/// and, while its worktree is there, what it has not committed yet.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The agent whose change to show [default: the agent whose worktree this is]
    #[arg(value_name = "AGENT")]
    pub agent: Option<String>,
    /// Lines added and removed per file instead of the patch
    #[arg(long)]
    pub stat: bool,
}

/// Run `diff`.
pub fn run(args: &Args, ctx: &Context) -> Result<i32, Error> {
    let ws = ctx.workspace()?;
    let form = if args.stat {
        DiffForm::Stat
    } else {
        DiffForm::Patch
    };
    let color = !ctx.out.json && console::colors_enabled();
    let report = diff::diff(&ws, args.agent.as_deref(), form, color)?;
    if ctx.out.json(&report) {
        return Ok(exit::OK);
    }
    if report.files.is_empty() {
        ctx.out.say(format!(
            "{} has changed nothing against {} yet",
            report.agent, report.base
        ));
        return Ok(exit::OK);
    }
    ctx.out.print(&report.text);
    Ok(exit::OK)
}
