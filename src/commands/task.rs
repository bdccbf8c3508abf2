//! `git agents task`: report task progress.

use crate::cli::exit;
use git_agents::Error;
use git_agents::ops::{self, TaskAction};

use super::Context;
use crate::cli::output::style;

/// Report task progress from an agent's worktree
///
/// Report progress on a task (the agent is the one whose worktree you are in).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// What happened to the task
    #[command(subcommand)]
    pub action: Action,
}

/// Task progress reports.
#[derive(Debug, clap::Subcommand)]
pub enum Action {
    /// Mark task N as the one being worked on
    Start(TaskArgs),
    /// Mark task N done
    Done(TaskArgs),
    /// Mark task N not done again
    Undo(TaskArgs),
}

/// The task and agent a report is about.
#[derive(Debug, clap::Args)]
pub struct TaskArgs {
    /// The task's number, from 1 (as `git agents plan` lists them)
    #[arg(value_name = "N")]
    pub number: usize,
    /// The agent [default: the one whose worktree this is]
    #[arg(long, value_name = "AGENT")]
    pub agent: Option<String>,
}

/// Run `task`.
pub fn run(args: &Args, ctx: &Context) -> Result<i32, Error> {
    let ws = ctx.workspace()?;
    let (task, action) = match &args.action {
        Action::Start(task) => (task, TaskAction::Start),
        Action::Done(task) => (task, TaskAction::Done),
        Action::Undo(task) => (task, TaskAction::Undo),
    };
    let report = ops::set_task(&ws, task.agent.as_deref(), task.number, action)?;
    if ctx.out.json(&report) {
        return Ok(exit::OK);
    }
    let verb = match action {
        TaskAction::Start => "Started",
        TaskAction::Done => "Done",
        TaskAction::Undo => "Reopened",
    };
    let unchanged = if report.changed { "" } else { " (no change)" };
    ctx.out.say(format!(
        "{verb}: {} #{} {}{unchanged} — {}/{} tasks done",
        style::name().apply_to(&report.agent),
        report.task,
        report.title,
        report.tasks_done,
        report.tasks_total
    ));
    Ok(exit::OK)
}
