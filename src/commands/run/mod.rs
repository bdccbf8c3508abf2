//! `git agents run`: drive the plan with a live dashboard on a terminal and one plain
//! line per event elsewhere.
//!
//! `dashboard` draws the live view; `lines` writes an event as a line for people or as a
//! logged event for `--json`.

mod dashboard;
mod lines;

use dashboard::Dashboard;
use lines::{event_line, logged};

use crate::cli::exit;
use git_agents::progress::{Events, Progress};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use git_agents::Error;
use git_agents::git::workspace::Workspace;
use git_agents::ops::{self, Deliver, Delivery, RunEvent, RunOptions, Stage};

use super::Context;
use crate::cli::output::{self, one_line, style};

/// Spawn ready agents, run their commands and bring finished work home
///
/// Spawn ready agents, run each one's command in its worktree, and bring finished work home.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only these agents [default: every agent of the plan]
    #[arg(value_name = "AGENT")]
    pub agents: Vec<String>,
    /// Run at most N agents' commands at once
    #[arg(short = 'j', long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..))]
    pub parallel: u32,
    /// The shell command line for every agent, with {agent}, {branch}, {worktree}, {base} and {port} placeholders (each one shell word)
    #[arg(long, value_name = "CMD")]
    pub exec: Option<String>,
    /// Run every agent with this coding-agent program, its brief as the prompt: claude, codex, gemini, aider, opencode, or one set with git config agents.cli.NAME
    #[arg(long, value_name = "NAME", conflicts_with = "exec")]
    pub agent_cli: Option<String>,
    /// Leave finished work in review instead of testing, reviewing, opening PRs and merging
    #[arg(long)]
    pub no_deliver: bool,
    /// Run at most N deliveries (tests, reviews, pull requests) at once [default: the number of cores]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub jobs: Option<u32>,
    /// Leave agents whose command, tests or review failed before as they are, instead of launching them again
    #[arg(long)]
    pub no_retry: bool,
    /// Run each agent's command in a window of its own in a tmux session named after the repository (also git config agents.tmux)
    #[arg(long)]
    pub tmux: bool,
    /// Share the fleet with runs on other machines through this remote: each agent is claimed there before it is launched, branches and base are pushed there (also git config agents.remote)
    #[arg(long, value_name = "REMOTE")]
    pub remote: Option<String>,
}

/// Delivery that leaves finished work in review for a person to take further.
struct HoldForReview;

impl Deliver for HoldForReview {
    fn deliver(
        &self,
        _: &Workspace,
        agent: &str,
        events: &mut dyn Progress<RunEvent>,
    ) -> Result<Delivery, Error> {
        events.event(RunEvent::Step {
            agent: agent.to_owned(),
            stage: Stage::Ready,
            message: "ready for review".to_owned(),
        });
        Ok(Delivery::Proposed)
    }

    fn merge_ready(
        &self,
        _: &Workspace,
        _: &mut dyn Progress<RunEvent>,
    ) -> Result<ops::MergeRound, Error> {
        Ok(ops::MergeRound::default())
    }
}

/// How many deliveries run at once unless `--jobs` says: one per core.
pub(crate) fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// Run `run`.
pub fn run(args: &Args, ctx: &Context) -> Result<i32, Error> {
    let ws = ctx.workspace()?;
    let options = RunOptions {
        agents: args.agents.clone(),
        parallel: args.parallel as usize,
        exec: args.exec.clone(),
        poll: Duration::from_millis(50),
        env: own_binary_on_path(),
        jobs: args.jobs.map_or_else(default_jobs, |n| n as usize),
        retry: !args.no_retry,
        agent_cli: args.agent_cli.clone(),
        tmux: (args.tmux || git_agents::config::tmux(&ws.repo)?).then(|| {
            let dir = ws
                .main_root
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            git_agents::process::launcher::tmux::session_name(&dir)
        }),
        remote: args
            .remote
            .clone()
            .or_else(|| git_agents::config::fleet_remote(&ws.repo)),
        holder: std::env::current_exe().ok(),
    };
    let pipeline = ops::Pipeline {
        remote: options.remote.clone(),
        ..ops::Pipeline::default()
    };
    let deliver: &dyn Deliver = if args.no_deliver {
        &HoldForReview
    } else {
        &pipeline
    };
    let (report, _) = drive(&ws, &options, deliver, ctx, ctx.out.json)?;
    if ctx.out.json {
        // The last line of the stream: where each agent ended up.
        println!(
            "{}",
            serde_json::to_string(&ReportLine {
                event: "report",
                report: &report,
            })
            .map_err(|e| Error::External(e.to_string()))?
        );
        return Ok(exit_code(&report));
    }
    ctx.out.say(summary(&report));
    for line in unmerged_lines(&report) {
        ctx.out.say(line);
    }
    Ok(exit_code(&report))
}

/// The last line of `run --json`.
#[derive(serde::Serialize)]
struct ReportLine<'a> {
    event: &'static str,
    #[serde(flatten)]
    report: &'a ops::RunReport,
}

/// For each agent the run left unmerged: its status, each reason on a line of its own
/// (cut to the terminal's width), and the command to run next (never cut).
pub(crate) fn unmerged_lines(report: &ops::RunReport) -> Vec<String> {
    let width = output::terminal_width();
    let mut lines = Vec::new();
    if !report.unmerged.is_empty() {
        lines.push("Not merged:".to_owned());
    }
    for entry in &report.unmerged {
        lines.push(format!(
            "  {} ({})",
            style::name().apply_to(&entry.agent),
            entry.status
        ));
        for reason in &entry.reasons {
            lines.push(output::fit(
                &format!("    {}", output::inert(&one_line(reason))),
                width,
            ));
        }
        lines.push(format!("    next: {}", style::good().apply_to(&entry.next)));
    }
    lines
}

/// `PATH` with this binary's directory first, so agents' commands that call
/// `git agents` reach the same build that launched them.
pub(crate) fn own_binary_on_path() -> Vec<(String, String)> {
    let Some(dir) = std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(|d| d.to_path_buf()))
    else {
        return Vec::new();
    };
    let mut path = dir.display().to_string();
    if let Some(rest) = std::env::var_os("PATH") {
        path.push(':');
        path.push_str(&rest.to_string_lossy());
    }
    vec![("PATH".to_owned(), path)]
}

/// Drive the plan with Ctrl-C handling and the live dashboard or plain event lines;
/// returns the report and, with --json, the events as JSON — or, with `stream`, prints
/// each event as one line of JSON as it happens.
pub(crate) fn drive(
    ws: &Workspace,
    options: &RunOptions,
    deliver: &dyn Deliver,
    ctx: &Context,
    stream: bool,
) -> Result<(ops::RunReport, Vec<ops::LoggedEvent>), Error> {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst))
        .map_err(|e| Error::External(format!("cannot catch Ctrl-C: {e}")))?;
    let mut dashboard = if ctx.out.live() {
        Some(Dashboard::new(ws)?)
    } else {
        None
    };
    let mut log: Vec<ops::LoggedEvent> = Vec::new();
    let report = ops::run(
        ws,
        options,
        &stop,
        deliver,
        &mut Events(|event: RunEvent| {
            let progress_only = matches!(event, RunEvent::Tick | RunEvent::Working { .. });
            if ctx.out.json && !progress_only {
                if stream {
                    if let Ok(line) = serde_json::to_string(&logged(&event)) {
                        println!("{line}");
                    }
                } else {
                    log.push(logged(&event));
                }
            }
            match (&mut dashboard, &event) {
                (Some(dashboard), _) => dashboard.event(ws, &event),
                (None, RunEvent::Working { message, .. }) => ctx.out.progress(message),
                (None, _) if progress_only => {}
                (None, _) => ctx.out.say(event_line(&event)),
            }
        }),
    );
    if let Some(dashboard) = &mut dashboard {
        dashboard.finish(ws);
    }
    let report = report?;
    Ok((report, log))
}

/// The closing line of a run.
pub(crate) fn summary(report: &ops::RunReport) -> String {
    format!(
        "{} merged, {} failed, {} waiting{}",
        report.merged.len(),
        report.failed.len(),
        report.waiting.len(),
        if report.interrupted {
            " (interrupted: run again to resume)"
        } else {
            ""
        }
    )
}

pub(crate) fn exit_code(report: &ops::RunReport) -> i32 {
    if report.interrupted {
        exit::INTERRUPTED
    } else if report.failed.is_empty() {
        exit::OK
    } else {
        exit::REFUSED
    }
}

/// What `demo --json` shows of its run: every event, then where each agent ended up.
#[derive(serde::Serialize)]
pub(crate) struct RunJson<'a> {
    pub(crate) events: &'a [ops::LoggedEvent],
    #[serde(flatten)]
    pub(crate) report: &'a ops::RunReport,
}
