//! `git agents test`: run the tests in an agent's worktree and record the result.

use crate::cli::exit;
use git_agents::Error;
use git_agents::ops;

use super::Context;
use crate::cli::output::style;

/// Run the tests in an agent's worktree and record the result on its commit
///
/// Run the test command in an agent's worktree and record pass/fail as a note on its HEAD.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The agent [default: the one whose worktree this is]
    #[arg(long, value_name = "AGENT")]
    pub agent: Option<String>,
    /// The test command; one word runs through sh -c, several run as they are
    /// [default: git config agents.testCommand, or the plan's test_command]
    #[arg(last = true, value_name = "CMD")]
    pub command: Vec<String>,
}

/// Run `test`.
pub fn run(args: &Args, ctx: &Context) -> Result<i32, Error> {
    let ws = ctx.workspace()?;
    let mut spinner = ctx.out.spinner(&match &args.agent {
        Some(agent) => format!("testing {agent}'s work"),
        None => "running the tests".to_owned(),
    });
    let report = ops::run_tests(&ws, args.agent.as_deref(), &args.command, &mut spinner)?;
    spinner.finish();
    let code = if report.passing {
        exit::OK
    } else {
        exit::REFUSED
    };
    if ctx.out.json(&report) {
        return Ok(code);
    }
    let seconds = report.duration_ms as f64 / 1000.0;
    let commit = &report.commit[..12];
    if report.passing {
        ctx.out.say(format!(
            "{} tests pass for {} on {commit} (`{}`, {seconds:.1} s)",
            style::good().apply_to("✓"),
            style::name().apply_to(&report.agent),
            report.command
        ));
    } else {
        let exit = report
            .exit_code
            .map(|c| format!("exit {c}"))
            .unwrap_or_else(|| "killed by a signal".to_owned());
        ctx.out.say(format!(
            "{} tests fail for {} on {commit} (`{}`, {exit}, {seconds:.1} s)",
            style::bad().apply_to("✗"),
            style::name().apply_to(&report.agent),
            report.command
        ));
    }
    Ok(code)
}
