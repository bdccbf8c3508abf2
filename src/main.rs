//! `git-agents`, run by git as `git agents`: parse the command line, apply `-C`, hand
//! the subcommand over, and turn its outcome into an exit code.

mod cli;
mod commands;

use clap::Parser;

use cli::exit;
use cli::output::{self, Output};
use commands::{Cli, Context};

fn main() {
    std::process::exit(run());
}

fn run() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let _ = err.print();
            return if err.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
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
            output::error(Some(&out), &message, exit::USAGE);
            return exit::USAGE;
        }
    }
    let context = Context { out };
    let result = commands::run(cli.command, &context);
    for notice in git_agents::git::cas::take_notices() {
        output::warning(&notice);
    }
    match result {
        Ok(code) => code,
        Err(err) => {
            let code = exit::code(&err);
            output::error(Some(&context.out), &err.to_string(), code);
            code
        }
    }
}
