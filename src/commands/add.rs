//! `git agents add`: add an agent to the plan.

use crate::cli::exit;
use git_agents::Error;
use git_agents::ops::{self, AddOptions};

use super::Context;
use crate::cli::output::style;

/// Add an agent to the plan
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The agent's name (letters, digits, - _ .; used for its directory and in refs)
    pub name: String,
    /// What the agent is for
    #[arg(long)]
    pub title: Option<String>,
    /// Its branch [default: agents/NAME]
    #[arg(long, value_name = "BRANCH")]
    pub branch: Option<String>,
    /// Its worktree, relative to the main worktree [default: WORKTREES-DIR/NAME]
    #[arg(long, value_name = "PATH")]
    pub worktree: Option<String>,
    /// Agents whose work must merge first (comma-separated or repeated)
    #[arg(long, value_name = "A,B", value_delimiter = ',')]
    pub depends_on: Vec<String>,
    /// A task with its estimate, e.g. "Create service layer (16h)" (repeatable)
    #[arg(long = "task", value_name = "TITLE (ESTIMATE)")]
    pub tasks: Vec<String>,
    /// The command `run` launches in its worktree
    #[arg(long, value_name = "CMD")]
    pub command: Option<String>,
}

/// Run `add`.
pub fn run(args: &Args, ctx: &Context) -> Result<i32, Error> {
    let ws = ctx.workspace()?;
    let options = AddOptions {
        name: args.name.clone(),
        title: args.title.clone(),
        branch: args.branch.clone(),
        worktree: args.worktree.clone(),
        depends_on: args
            .depends_on
            .iter()
            .map(|d| d.trim().to_owned())
            .filter(|d| !d.is_empty())
            .collect(),
        tasks: args.tasks.clone(),
        command: args.command.clone(),
    };
    let state = ops::add(&ws, &options)?;
    let spec = state
        .plan
        .agent(&args.name)
        .ok_or_else(|| Error::Usage(format!("{} vanished from the plan", args.name)))?;
    if ctx.out.json(spec) {
        return Ok(exit::OK);
    }
    ctx.out.say(format!(
        "Added {} on branch {} in {}",
        style::name().apply_to(&spec.name),
        spec.branch,
        spec.worktree
    ));
    Ok(exit::OK)
}
