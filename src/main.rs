//! `git-agents`, run by git as `git agents`: parse the command line and hand over.

mod cli;
mod commands;
mod completion;
mod manual;
mod output;

fn main() {
    std::process::exit(commands::main());
}
