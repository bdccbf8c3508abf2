//! `git agents spawn`: create agents' branches and worktrees.

use git_agents::Error;
use git_agents::ops;

use super::Context;
use crate::output::style;

/// Create each agent's branch (from base) and linked worktree, and mark it in progress.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The agents to spawn
    #[arg(
        value_name = "AGENT",
        required_unless_present = "ready",
        conflicts_with = "ready"
    )]
    pub agents: Vec<String>,
    /// Spawn every planned agent whose dependencies are merged
    #[arg(long)]
    pub ready: bool,
    /// Spawn even though dependencies are not merged yet
    #[arg(long)]
    pub force: bool,
}

/// Run `spawn`.
pub fn run(args: &Args, ctx: &Context) -> Result<i32, Error> {
    let ws = ctx.workspace()?;
    let out = ctx.out;
    let outcomes = ops::spawn(&ws, &args.agents, args.ready, args.force, &mut |line| {
        out.progress(line)
    })?;
    if ctx.out.json(&serde_json::json!({
        "spawned": outcomes.iter().map(|o| serde_json::json!({
            "name": o.name,
            "branch": o.branch,
            "worktree": o.worktree,
            "created_branch": o.created_branch,
            "created_worktree": o.created_worktree,
            "changed": o.state_changed,
        })).collect::<Vec<_>>()
    })) {
        return Ok(0);
    }
    if outcomes.is_empty() {
        ctx.out
            .say("Nothing to spawn: no planned agent has all its dependencies merged.");
    }
    for outcome in &outcomes {
        let verb = if outcome.state_changed || outcome.created_worktree {
            "Spawned"
        } else {
            "Already spawned"
        };
        let branch_note = if outcome.created_branch {
            "new branch"
        } else {
            "existing branch"
        };
        ctx.out.say(format!(
            "{} {} on {} ({branch_note}) in {}",
            style::good().apply_to(verb),
            style::name().apply_to(&outcome.name),
            outcome.branch,
            outcome.worktree.display()
        ));
    }
    Ok(0)
}
