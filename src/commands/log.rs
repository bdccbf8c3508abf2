//! `git agents log`: the audit trail.

use crate::cli::exit;
use git_agents::Error;
use git_agents::ops;

use super::Context;
use crate::cli::output::style;

/// Show the audit trail of state changes
///
/// Show the audit trail, newest first: every change to the state and every fact recorded
/// on a commit (test runs, each review iteration, approvals), with what other machines
/// did before a sync beside what this one did.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only the changes that concern this agent
    #[arg(value_name = "AGENT")]
    pub agent: Option<String>,
    /// Show at most N entries
    #[arg(short = 'n', long, value_name = "N", default_value_t = usize::MAX, hide_default_value = true)]
    pub max_count: usize,
    /// Oldest first
    #[arg(long)]
    pub reverse: bool,
}

/// Run `log`.
pub fn run(args: &Args, ctx: &Context) -> Result<i32, Error> {
    let ws = ctx.workspace()?;
    let report = ops::log(&ws, args.agent.as_deref(), args.max_count, args.reverse)?;
    if ctx.out.json(&report) {
        return Ok(exit::OK);
    }
    let mut text = String::new();
    for entry in &report.entries {
        text.push_str(&format!(
            "{} {}  {}  {}\n",
            style::warn().apply_to(&entry.commit[..12]),
            style::dim().apply_to(&entry.time),
            entry.summary,
            style::dim().apply_to(format!("({})", entry.author)),
        ));
    }
    ctx.out.print(text);
    Ok(exit::OK)
}
