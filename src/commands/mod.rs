//! One module per subcommand: each declares its arguments and renders what the library returns.

pub mod add;
pub mod approve;
pub mod attach;
pub mod brief;
pub mod comment;
pub mod completions;
pub mod conflicts;
pub mod demo;
pub mod diff;
pub mod doctor;
pub mod edit;
pub mod finish;
pub mod generate;
pub mod hold;
pub mod init;
pub mod install_man;
pub mod log;
pub mod merge;
pub mod plan;
pub mod pr;
pub mod queue;
pub mod remove;
pub mod review;
pub mod run;
pub mod send;
pub mod spawn;
pub mod status;
pub mod sync;
pub mod task;
pub mod test;
pub mod trust;
pub mod update;

use clap::{Parser, Subcommand};

use crate::cli::args::GlobalArgs;
use crate::cli::output::Output;
use git_agents::Error;
use git_agents::git::workspace::Workspace;

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

/// The subcommands.
#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum Command {
    /// Import a plan and create the fleet's state in this repository
    Init(init::Args),
    /// Show or export the plan
    Plan(plan::Args),
    /// Add an agent to the plan
    Add(add::Args),
    /// Remove an agent from the plan
    Remove(remove::Args),
    /// Change an agent's dependencies, branch, title or command
    Edit(edit::Args),
    /// Create agents' branches and worktrees and mark them in progress
    Spawn(spawn::Args),
    /// Show the dashboard: progress, current task, tests, review, PR, blockers
    Status(status::Args),
    /// Report task progress from an agent's worktree
    Task(task::Args),
    /// Change an agent's status or leave a note
    Update(update::Args),
    /// Leave a remark for an agent, shown in its brief
    Comment(comment::Args),
    /// Show an agent's change against base
    Diff(diff::Args),
    /// Join a running agent's terminal
    Attach(attach::Args),
    /// Type a line to a running agent's terminal
    Send(send::Args),
    /// Show the audit trail of state changes
    Log(log::Args),
    /// Spawn ready agents, run their commands and bring finished work home
    Run(run::Args),
    /// Show the whole product on a throwaway repository: eight scripted agents to merged
    Demo(demo::Args),
    /// Print a shell completion script
    Completions(completions::Args),
    /// Complete dynamic values for shell completion scripts
    #[command(name = "__complete", hide = true)]
    Complete(completions::CompleteArgs),
    /// Print an agent's brief as Markdown: tasks, dependencies, merge criteria
    Brief(brief::Args),
    /// Predict merge conflicts between active branches and against base
    Conflicts(conflicts::Args),
    /// Install the manual pages where man finds them, so git help agents works
    InstallMan(install_man::Args),
    /// Write man/ and completions/ from the command definition
    #[command(name = "__generate", hide = true)]
    Generate(generate::Args),
    /// Hold the terminal an agent's command runs on
    #[command(name = "__hold", hide = true)]
    Hold(hold::Args),
    /// Find and repair drift between state, branches and worktrees
    Doctor(doctor::Args),
    /// Run the tests in an agent's worktree and record the result on its commit
    Test(test::Args),
    /// Review an agent's work until the score reaches the threshold
    Review(review::Args),
    /// Approve an agent's head commit (local forge)
    Approve(approve::Args),
    /// Open or adopt the pull request for an agent's branch
    Pr(pr::Args),
    /// Check an agent's merge criteria and merge when they all hold
    Merge(merge::Args),
    /// Show the merge order with each entry's criteria, or merge what is ready
    Queue(queue::Args),
    /// Remove a merged agent's worktree and branch and mark it completed
    Finish(finish::Args),
    /// Share the state through a git remote: fetch, merge, push with a lease
    Sync(sync::Args),
    /// Show or accept commands and paths that came with a sync or a clone
    Trust(trust::Args),
}

/// What every command gets: how to print, and where it runs.
pub struct Context {
    /// How to print.
    pub out: Output,
}

impl Context {
    /// Open the repository the command runs in.
    pub fn workspace(&self) -> Result<Workspace, Error> {
        let here = std::env::current_dir()
            .map_err(|e| Error::Usage(format!("cannot read the current directory: {e}")))?;
        Ok(Workspace::discover(&here)?)
    }

    /// The agent `explicit` names, or else the one whose worktree (or branch) this is.
    pub fn agent(&self, ws: &Workspace, explicit: Option<&str>) -> Result<String, Error> {
        let state = git_agents::state::State::load(&ws.repo)?;
        git_agents::ops::infer_agent(ws, &state, explicit)
    }
}

/// Run one subcommand; `Ok` carries the exit code for commands that can succeed with a refusal.
pub fn run(command: Command, ctx: &Context) -> Result<i32, Error> {
    match command {
        Command::Init(args) => init::run(&args, ctx),
        Command::Plan(args) => plan::run(&args, ctx),
        Command::Add(args) => add::run(&args, ctx),
        Command::Remove(args) => remove::run(&args, ctx),
        Command::Edit(args) => edit::run(&args, ctx),
        Command::Spawn(args) => spawn::run(&args, ctx),
        Command::Status(args) => status::run(&args, ctx),
        Command::Task(args) => task::run(&args, ctx),
        Command::Update(args) => update::run(&args, ctx),
        Command::Comment(args) => comment::run(&args, ctx),
        Command::Diff(args) => diff::run(&args, ctx),
        Command::Attach(args) => attach::run(&args, ctx),
        Command::Send(args) => send::run(&args, ctx),
        Command::Log(args) => log::run(&args, ctx),
        Command::Run(args) => run::run(&args, ctx),
        Command::Demo(args) => demo::run(&args, ctx),
        Command::Completions(args) => completions::run(&args, ctx),
        Command::Complete(args) => completions::complete(&args, ctx),
        Command::Brief(args) => brief::run(&args, ctx),
        Command::Conflicts(args) => conflicts::run(&args, ctx),
        Command::InstallMan(args) => install_man::run(&args, ctx),
        Command::Generate(args) => generate::run(&args, ctx),
        Command::Hold(args) => hold::run(&args, ctx),
        Command::Doctor(args) => doctor::run(&args, ctx),
        Command::Test(args) => test::run(&args, ctx),
        Command::Review(args) => review::run(&args, ctx),
        Command::Approve(args) => approve::run(&args, ctx),
        Command::Pr(args) => pr::run(&args, ctx),
        Command::Merge(args) => merge::run(&args, ctx),
        Command::Queue(args) => queue::run(&args, ctx),
        Command::Finish(args) => finish::run(&args, ctx),
        Command::Sync(args) => sync::run(&args, ctx),
        Command::Trust(args) => trust::run(&args, ctx),
    }
}
