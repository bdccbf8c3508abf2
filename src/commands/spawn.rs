//! `git agents spawn`: create agents' branches and worktrees.

use crate::cli::exit;
use git_agents::Error;
use git_agents::ops;
use git_agents::state::{State, Status};

use super::Context;
use crate::cli::output::style;

/// Create agents' branches and worktrees and mark them in progress
///
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
    let mut spinner = ctx.out.spinner(&if args.ready {
        "looking for agents whose dependencies are merged".to_owned()
    } else {
        format!("spawning {}", args.agents.join(", "))
    });
    let outcomes = ops::spawn(&ws, &args.agents, args.ready, args.force, &mut spinner)?;
    spinner.finish();
    let report = ops::SpawnReport { spawned: outcomes };
    if ctx.out.json(&report) {
        return Ok(exit::OK);
    }
    let outcomes = &report.spawned;
    if outcomes.is_empty() {
        ctx.out.say(nothing_to_spawn(&State::load(&ws.repo)?));
    }
    for outcome in outcomes {
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
        if let Some(done) = &outcome.provisioned {
            for line in provision_lines(done) {
                ctx.out.say(format!("  {line}"));
            }
        }
        if let Some(error) = &outcome.provision_error {
            ctx.out.say(format!(
                "  {} {error}",
                style::bad().apply_to("provisioning failed:")
            ));
        }
    }
    Ok(exit::OK)
}

fn provision_lines(done: &git_agents::ops::provision::Provisioned) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some(port) = done.port {
        lines.push(format!("port {port}"));
    }
    if let Some(copy) = &done.copy {
        if !copy.copied.is_empty() {
            let how = if copy.cloned == copy.files && copy.files > 0 {
                ", cloned"
            } else {
                ""
            };
            lines.push(format!(
                "copied {} ({} file{}{how})",
                copy.copied.join(", "),
                copy.files,
                if copy.files == 1 { "" } else { "s" }
            ));
        }
        if !copy.missing.is_empty() {
            lines.push(format!(
                "not in the main worktree, not copied: {}",
                copy.missing.join(", ")
            ));
        }
    }
    if let Some(setup) = &done.setup {
        if setup.passed {
            lines.push(format!(
                "{} {} (log: {})",
                style::good().apply_to("setup passed:"),
                setup.command,
                setup.log
            ));
        } else {
            lines.push(format!(
                "{} {} exited {} (log: {})",
                style::bad().apply_to("setup failed:"),
                setup.command,
                setup
                    .exit_code
                    .map_or_else(|| "without a code".to_owned(), |c| c.to_string()),
                setup.log
            ));
        }
    }
    lines
}

/// Why `spawn --ready` found nothing to spawn, in the state's own words.
fn nothing_to_spawn(state: &State) -> String {
    let mut spawned = 0;
    let mut finished = 0;
    let mut waiting = Vec::new();
    for spec in &state.plan.agents {
        let status = state.agent(&spec.name).map(|a| a.status);
        match status {
            Some(Status::Planned) | None => {
                let unmerged = state.unmerged_dependencies(&spec.name);
                if !unmerged.is_empty() {
                    waiting.push(format!("{} waits for {}", spec.name, unmerged.join(", ")));
                }
            }
            Some(status) if status.is_active() => spawned += 1,
            Some(_) => finished += 1,
        }
    }
    let mut parts = Vec::new();
    if spawned > 0 {
        parts.push(format!(
            "{spawned} agent{} already spawned",
            if spawned == 1 { " is" } else { "s are" }
        ));
    }
    if finished > 0 {
        parts.push(format!("{finished} merged, finished or given up"));
    }
    if !waiting.is_empty() {
        parts.push(waiting.join("; "));
    }
    if parts.is_empty() {
        return "Nothing to spawn: the plan has no agents yet (git agents add NAME).".to_owned();
    }
    format!("Nothing to spawn: {}.", parts.join("; "))
}
