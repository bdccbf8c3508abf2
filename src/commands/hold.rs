//! `git agents __hold`: hold the terminal an agent's command runs on (hidden; `run`
//! starts one per agent).

use std::ffi::OsString;
use std::path::PathBuf;

use git_agents::Error;
use git_agents::process::launcher::pty;

use super::Context;

/// Hold an agent's terminal
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where people join the terminal
    #[arg(long, value_name = "PATH")]
    pub socket: PathBuf,
    /// Where everything the command prints is kept
    #[arg(long, value_name = "FILE")]
    pub log: PathBuf,
    /// Where the command's process id is written once it runs
    #[arg(long, value_name = "FILE")]
    pub pid_file: PathBuf,
    /// The command and its arguments
    #[arg(last = true, required = true, value_name = "COMMAND")]
    pub command: Vec<OsString>,
}

/// Run `__hold`: exit with the command's status.
pub fn run(args: &Args, _: &Context) -> Result<i32, Error> {
    let (program, rest) = args
        .command
        .split_first()
        .ok_or_else(|| Error::Usage("__hold needs a command after --".to_owned()))?;
    pty::hold(&args.socket, &args.log, &args.pid_file, program, rest)
        .map_err(|e| Error::External(format!("cannot hold the terminal: {e}")))
}
