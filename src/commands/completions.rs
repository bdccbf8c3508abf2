//! `git agents completions`: shell completion scripts, and the hidden helper they call
//! for agent names.

use crate::cli::exit;
use clap::CommandFactory;
use clap_complete::Shell;
use git_agents::Error;
use git_agents::state::State;

use super::Context;

/// Print a shell completion script
///
/// Print the completion script for SHELL (bash, zsh, fish, elvish, powershell).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The shell to complete in
    #[arg(value_enum)]
    pub shell: Shell,
}

/// Complete dynamic values for shell completion scripts
#[derive(Debug, clap::Args)]
pub struct CompleteArgs {
    /// What to list: `agents`
    pub what: String,
}

/// Run `completions`.
pub fn run(args: &Args, ctx: &Context) -> Result<i32, Error> {
    let text = script(args.shell);
    if ctx.out.json(&Completion {
        shell: args.shell.to_string(),
        script: &text,
    }) {
        return Ok(exit::OK);
    }
    ctx.out.print_data(text);
    Ok(exit::OK)
}

/// The completion script for `shell`, the same text `completions/` ships.
pub fn script(shell: Shell) -> String {
    crate::cli::completion::script(shell, &super::Cli::command())
}

/// Run `__complete`: print one value per line, reading only the state ref; print
/// nothing (and succeed) wherever there is nothing to offer.
pub fn complete(args: &CompleteArgs, ctx: &Context) -> Result<i32, Error> {
    if args.what != "agents" {
        return Ok(exit::OK);
    }
    let Ok(ws) = ctx.workspace() else {
        return Ok(exit::OK);
    };
    if let Ok(Some(state)) = State::read(&ws.repo) {
        let mut text = String::new();
        for agent in &state.plan.agents {
            text.push_str(&agent.name);
            text.push('\n');
        }
        ctx.out.print_data(text);
    }
    Ok(exit::OK)
}

/// A completion script; `completions --json` prints it as it is.
#[derive(serde::Serialize)]
struct Completion<'a> {
    /// The shell it is for.
    shell: String,
    /// The script.
    script: &'a str,
}
