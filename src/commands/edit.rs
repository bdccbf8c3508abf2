//! `git agents edit`: change an agent already in the plan.

use git_agents::Error;
use git_agents::ops::{self, EditOptions, EditReport};
use git_agents::state::State;

use super::Context;
use crate::cli::exit;
use crate::cli::output::style;

/// Change an agent's dependencies, branch, title or command
///
/// Change one agent of the plan in place: who it waits for, its title, the command run
/// launches for it, or its branch (only while it is planned: a spawned agent's branch and
/// worktree stay where they are). Run inside an agent's worktree, AGENT may be left out.
/// To change many things at once, use git agents plan edit.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The agent to change [default: the agent whose worktree this is]
    #[arg(value_name = "AGENT")]
    pub agent: Option<String>,
    /// The agents whose work must merge first, replacing the old list (comma-separated or repeated)
    #[arg(
        long,
        value_name = "A,B",
        value_delimiter = ',',
        conflicts_with = "no_dependencies"
    )]
    pub depends_on: Vec<String>,
    /// Wait for no other agent
    #[arg(long)]
    pub no_dependencies: bool,
    /// A new title
    #[arg(long, value_name = "TEXT")]
    pub title: Option<String>,
    /// A new branch (only while the agent is planned)
    #[arg(long, value_name = "BRANCH")]
    pub branch: Option<String>,
    /// A new command for run to launch in its worktree
    #[arg(long, value_name = "CMD", conflicts_with = "no_command")]
    pub command: Option<String>,
    /// Launch the run's --exec command for it instead of a command of its own
    #[arg(long)]
    pub no_command: bool,
}

/// Run `edit`.
pub fn run(args: &Args, ctx: &Context) -> Result<i32, Error> {
    let ws = ctx.workspace()?;
    let state = State::load(&ws.repo)?;
    let name = ops::infer_agent(&ws, &state, args.agent.as_deref())?;
    let depends_on: Vec<String> = args
        .depends_on
        .iter()
        .map(|d| d.trim().to_owned())
        .filter(|d| !d.is_empty())
        .collect();
    let options = EditOptions {
        title: args.title.clone(),
        branch: args.branch.clone(),
        depends_on: if args.no_dependencies || !args.depends_on.is_empty() {
            Some(depends_on)
        } else {
            None
        },
        command: if args.no_command {
            Some(None)
        } else {
            args.command.clone().map(Some)
        },
    };
    let report = ops::edit(&ws, &name, &options)?;
    if ctx.out.json(&report) {
        return Ok(exit::OK);
    }
    say(&report, ctx);
    Ok(exit::OK)
}

/// Print what an edit changed.
pub fn say(report: &EditReport, ctx: &Context) {
    if report.state_commit.is_none() {
        ctx.out.say("Nothing changed: the plan already says that.");
        return;
    }
    for change in &report.changes {
        let was = if change.from.is_empty() {
            "nothing".to_owned()
        } else {
            change.from.clone()
        };
        let now = if change.to.is_empty() {
            "nothing".to_owned()
        } else {
            change.to.clone()
        };
        ctx.out.say(format!(
            "Changed {} {}: {now} (was {was})",
            style::name().apply_to(&change.agent),
            change.field.replace('_', " "),
        ));
    }
    for name in &report.added {
        ctx.out
            .say(format!("Added {}", style::name().apply_to(name)));
    }
    for name in &report.removed {
        ctx.out
            .say(format!("Removed {}", style::name().apply_to(name)));
    }
    if !report.unblocked.is_empty() {
        ctx.out.say(format!(
            "No longer blocked: {}; start with git agents spawn {}",
            report.unblocked.join(", "),
            report.unblocked.join(" ")
        ));
    }
}
