//! `git agents attach`: join a running agent's terminal.

use git_agents::Error;
use git_agents::ops::terminal;
use git_agents::process::launcher::tmux;

use super::Context;

/// Join a running agent's terminal
///
/// Show a running agent's terminal and type to it; detach with Ctrl-b d, leaving it
/// running (for agents launched with git agents run --tmux). Inside tmux, switch to its
/// window.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The agent to join [default: the agent whose worktree this is]
    #[arg(value_name = "AGENT")]
    pub agent: Option<String>,
}

/// Run `attach`.
pub fn run(args: &Args, ctx: &Context) -> Result<i32, Error> {
    let ws = ctx.workspace()?;
    let (name, pane) = terminal::pane(&ws, args.agent.as_deref())?;
    tmux::select(&pane).map_err(|e| Error::External(e.to_string()))?;
    let inside_tmux = std::env::var_os("TMUX").is_some_and(|v| !v.is_empty());
    let session = format!("={}", pane.session);
    let args: Vec<&str> = if inside_tmux {
        vec!["switch-client", "-t", &session]
    } else {
        ctx.out.say(format!(
            "Joining {name}'s terminal; detach with Ctrl-b d, and {name} keeps running."
        ));
        vec!["attach-session", "-t", &session]
    };
    let status = duct::cmd("tmux", args)
        .unchecked()
        .run()
        .map_err(|e| Error::External(format!("cannot run tmux: {e}")))?
        .status;
    Ok(status.code().unwrap_or(crate::cli::exit::EXTERNAL))
}
