//! The command-line definition: global flags and one subcommand per module of `commands`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::commands;
use crate::output::ColorChoice;

/// Run a fleet of coding agents in parallel git worktrees and merge their work home in dependency order.
#[derive(Debug, Parser)]
#[command(
    name = "git-agents",
    bin_name = "git agents",
    version,
    propagate_version = true,
    max_term_width = 100,
    after_help = "State lives in git: refs/agents/state (plan and status, one commit per change) and refs/notes/agents (test, review and approval results on the commits they judged).\nSee `git help agents` for exit codes, environment variables and the state layout."
)]
pub struct Cli {
    /// Options every subcommand takes.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Flags accepted before or after any subcommand.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Run as if started in DIR (like git -C; may be repeated)
    #[arg(short = 'C', value_name = "DIR", global = true, action = clap::ArgAction::Append)]
    pub directory: Vec<PathBuf>,
    /// Print machine-readable JSON instead of text
    #[arg(long, global = true)]
    pub json: bool,
    /// Print only errors and what was asked for
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Say more about what is being done
    #[arg(short, long, global = true)]
    pub verbose: bool,
    /// When to use colour
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ColorChoice::Auto, global = true)]
    pub color: ColorChoice,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum Command {
    /// Import a plan and create the fleet's state in this repository
    Init(commands::init::Args),
    /// Show or export the plan
    Plan(commands::plan::Args),
    /// Add an agent to the plan
    Add(commands::add::Args),
    /// Remove an agent from the plan
    Remove(commands::remove::Args),
    /// Create agents' branches and worktrees and mark them in progress
    Spawn(commands::spawn::Args),
    /// Show the dashboard: progress, current task, tests, review, PR, blockers
    Status(commands::status::Args),
    /// Report task progress from an agent's worktree
    Task(commands::task::Args),
    /// Change an agent's status or leave a note
    Update(commands::update::Args),
    /// Show the audit trail of state changes
    Log(commands::log::Args),
    /// Spawn ready agents, run their commands and bring finished work home
    Run(commands::run::Args),
    /// Show the whole product on a throwaway repository: eight scripted agents to merged
    Demo(commands::demo::Args),
    /// Print a shell completion script
    Completions(commands::completions::Args),
    /// Complete dynamic values for shell completion scripts
    #[command(name = "__complete", hide = true)]
    Complete(commands::completions::CompleteArgs),
    /// Print an agent's brief as Markdown: tasks, dependencies, merge criteria
    Brief(commands::brief::Args),
    /// Predict merge conflicts between active branches and against base
    Conflicts(commands::conflicts::Args),
    /// Install the manual pages where man finds them, so git help agents works
    InstallMan(commands::install_man::Args),
    /// Write man/ and completions/ from the command definition
    #[command(name = "__generate", hide = true)]
    Generate(commands::generate::Args),
    /// Find and repair drift between state, branches and worktrees
    Doctor(commands::doctor::Args),
    /// Run the tests in an agent's worktree and record the result on its commit
    Test(commands::test::Args),
    /// Review an agent's work until the score reaches the threshold
    Review(commands::review::Args),
    /// Approve an agent's head commit (local forge)
    Approve(commands::approve::Args),
    /// Open or adopt the pull request for an agent's branch
    Pr(commands::pr::Args),
    /// Check an agent's merge criteria and merge when they all hold
    Merge(commands::merge::Args),
    /// Show the merge order with each entry's criteria, or merge what is ready
    Queue(commands::queue::Args),
    /// Remove a merged agent's worktree and branch and mark it completed
    Finish(commands::finish::Args),
    /// Share the state through a git remote: fetch, merge, push with a lease
    Sync(commands::sync::Args),
}
