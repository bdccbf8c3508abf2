//! `git agents pr`: open or adopt the pull request for an agent's branch.

use crate::cli::exit;
use git_agents::Error;
use git_agents::ops;

use super::Context;
use crate::cli::output::style;

/// Open or adopt the pull request for an agent's branch
///
/// Push the agent's branch and open a PR with a description built from the state (on the
/// local forge, record a local PR); adopt the PR that already exists for the branch.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The agent whose work to propose [default: the agent whose worktree this is]
    #[arg(value_name = "AGENT")]
    pub agent: Option<String>,
    /// Open it as a draft (not merged until marked ready; `pr` again without --draft marks a local PR ready)
    #[arg(long)]
    pub draft: bool,
}

/// Run `pr`.
pub fn run(args: &Args, ctx: &Context) -> Result<i32, Error> {
    let ws = ctx.workspace()?;
    let agent = ctx.agent(&ws, args.agent.as_deref())?;
    let mut spinner = ctx
        .out
        .spinner(&format!("opening a pull request for {}", agent));
    let report = ops::open_pr(&ws, &agent, args.draft, &mut spinner)?;
    spinner.finish();
    if ctx.out.json(&report) {
        return Ok(exit::OK);
    }
    let verb = if report.adopted {
        "Adopted PR"
    } else {
        "Opened PR"
    };
    ctx.out.say(format!(
        "{} #{} for {} ({} forge{}): {}",
        style::good().apply_to(verb),
        report.number,
        style::name().apply_to(&report.agent),
        report.forge,
        if report.draft { ", draft" } else { "" },
        report.url
    ));
    ctx.out.say(
        style::dim()
            .apply_to(format!(
                "Next: git agents merge {} --dry-run to check the merge criteria",
                report.agent
            ))
            .to_string(),
    );
    Ok(exit::OK)
}
