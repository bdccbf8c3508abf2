//! One module per subcommand: each declares its arguments and renders what the library returns.

pub mod add;
pub mod approve;
pub mod brief;
pub mod completions;
pub mod conflicts;
pub mod demo;
pub mod doctor;
pub mod finish;
pub mod generate;
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
pub mod spawn;
pub mod status;
pub mod sync;
pub mod task;
pub mod test;
pub mod update;

use clap::Parser;

use crate::cli::{Cli, Command};
use crate::output::{self, Output};
use git_agents::Error;
use git_agents::workspace::Workspace;

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
}

/// Parse the command line, run the command and return the exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let _ = err.print();
            return if err.use_stderr() {
                git_agents::ExitCode::Usage as i32
            } else {
                0
            };
        }
    };
    let out = Output::new(
        cli.global.json,
        cli.global.quiet,
        cli.global.verbose,
        cli.global.color,
    );
    for dir in &cli.global.directory {
        if let Err(err) = std::env::set_current_dir(dir) {
            let message = format!("cannot change to {}: {err}", dir.display());
            output::error(Some(&out), &message, 2);
            return git_agents::ExitCode::Usage as i32;
        }
    }
    let context = Context { out };
    let result = run(cli.command, &context);
    for notice in git_agents::cas::take_notices() {
        output::warning(&notice);
    }
    match result {
        Ok(code) => code,
        Err(err) => {
            let code = err.exit_code() as i32;
            output::error(Some(&context.out), &err.to_string(), code);
            code
        }
    }
}

/// Run one subcommand; `Ok` carries the exit code for commands that can succeed with a refusal.
fn run(command: Command, ctx: &Context) -> Result<i32, Error> {
    match command {
        Command::Init(args) => init::run(&args, ctx),
        Command::Plan(args) => plan::run(&args, ctx),
        Command::Add(args) => add::run(&args, ctx),
        Command::Remove(args) => remove::run(&args, ctx),
        Command::Spawn(args) => spawn::run(&args, ctx),
        Command::Status(args) => status::run(&args, ctx),
        Command::Task(args) => task::run(&args, ctx),
        Command::Update(args) => update::run(&args, ctx),
        Command::Log(args) => log::run(&args, ctx),
        Command::Run(args) => run::run(&args, ctx),
        Command::Demo(args) => demo::run(&args, ctx),
        Command::Completions(args) => completions::run(&args, ctx),
        Command::Complete(args) => completions::complete(&args, ctx),
        Command::Brief(args) => brief::run(&args, ctx),
        Command::Conflicts(args) => conflicts::run(&args, ctx),
        Command::InstallMan(args) => install_man::run(&args, ctx),
        Command::Generate(args) => generate::run(&args, ctx),
        Command::Doctor(args) => doctor::run(&args, ctx),
        Command::Test(args) => test::run(&args, ctx),
        Command::Review(args) => review::run(&args, ctx),
        Command::Approve(args) => approve::run(&args, ctx),
        Command::Pr(args) => pr::run(&args, ctx),
        Command::Merge(args) => merge::run(&args, ctx),
        Command::Queue(args) => queue::run(&args, ctx),
        Command::Finish(args) => finish::run(&args, ctx),
        Command::Sync(args) => sync::run(&args, ctx),
    }
}
