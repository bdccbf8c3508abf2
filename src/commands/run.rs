//! `git agents run`: drive the plan with a live dashboard on a terminal and one plain
//! line per event elsewhere.

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use git_agents::Error;
use git_agents::ops::{self, Deliver, RunEvent, RunOptions};
use git_agents::workspace::Workspace;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::Context;
use crate::output::style;

/// Spawn ready agents, run each one's command in its worktree, and bring finished work home.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only these agents [default: every agent of the plan]
    #[arg(value_name = "AGENT")]
    pub agents: Vec<String>,
    /// Run at most N agents' commands at once
    #[arg(short = 'j', long, value_name = "N", default_value_t = 8)]
    pub parallel: usize,
    /// The shell command line for every agent, with {agent}, {branch} and {worktree} placeholders
    #[arg(long, value_name = "CMD")]
    pub exec: Option<String>,
    /// Leave finished work in review instead of testing, reviewing, opening PRs and merging
    #[arg(long)]
    pub no_deliver: bool,
}

/// Delivery that leaves finished work in review for a person to take further.
struct HoldForReview;

impl Deliver for HoldForReview {
    fn deliver(
        &mut self,
        _: &Workspace,
        agent: &str,
        events: &mut dyn FnMut(RunEvent),
    ) -> Result<Vec<String>, Error> {
        events(RunEvent::Step {
            agent: agent.to_owned(),
            message: "ready for review".to_owned(),
        });
        Ok(Vec::new())
    }

    fn merge_ready(
        &mut self,
        _: &Workspace,
        _: &mut dyn FnMut(RunEvent),
    ) -> Result<Vec<String>, Error> {
        Ok(Vec::new())
    }
}

/// Run `run`.
pub fn run(args: &Args, ctx: &Context) -> Result<i32, Error> {
    let ws = ctx.workspace()?;
    let options = RunOptions {
        agents: args.agents.clone(),
        parallel: args.parallel,
        exec: args.exec.clone(),
        poll: Duration::from_millis(100),
        env: own_binary_on_path(),
    };
    let mut pipeline = ops::Pipeline::default();
    let mut hold = HoldForReview;
    let deliver: &mut dyn Deliver = if args.no_deliver {
        &mut hold
    } else {
        &mut pipeline
    };
    let (report, log) = drive(&ws, &options, deliver, ctx)?;
    if ctx.out.json(&serde_json::json!({
        "events": log,
        "merged": report.merged,
        "failed": report.failed,
        "waiting": report.waiting,
        "interrupted": report.interrupted,
    })) {
        return Ok(exit_code(&report));
    }
    ctx.out.say(summary(&report));
    Ok(exit_code(&report))
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
/// returns the report and, with --json, the events as JSON.
pub(crate) fn drive(
    ws: &Workspace,
    options: &RunOptions,
    deliver: &mut dyn Deliver,
    ctx: &Context,
) -> Result<(ops::RunReport, Vec<serde_json::Value>), Error> {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst))
        .map_err(|e| Error::External(format!("cannot catch Ctrl-C: {e}")))?;
    let live = !ctx.out.json && !ctx.out.quiet && std::io::stderr().is_terminal();
    let mut view = if live {
        View::Live(Dashboard::new(ws)?)
    } else {
        View::Lines
    };
    let mut log: Vec<serde_json::Value> = Vec::new();
    let report = ops::run(ws, options, &stop, deliver, &mut |event| {
        if matches!(event, RunEvent::Tick) {
            if let View::Live(dashboard) = &mut view {
                dashboard.event(ws, &event);
            }
            return;
        }
        if ctx.out.json {
            log.push(event_json(&event));
        }
        match &mut view {
            View::Live(dashboard) => dashboard.event(ws, &event),
            View::Lines => ctx.out.say(event_line(&event)),
        }
    })?;
    if let View::Live(dashboard) = &view {
        dashboard.finish(ws);
    }
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
        130
    } else if report.failed.is_empty() {
        0
    } else {
        1
    }
}

enum View {
    Live(Dashboard),
    Lines,
}

fn event_line(event: &RunEvent) -> String {
    let now = git_agents::time::now_rfc3339();
    let clock = now.get(11..19).unwrap_or("");
    let text = match event {
        RunEvent::Spawned { agent } => format!("spawned {agent}"),
        RunEvent::Launched { agent, log } => format!("launched {agent} (log: {})", log.display()),
        RunEvent::Finished { agent, elapsed } => {
            format!(
                "{agent} finished in {}",
                git_agents::time::format_duration(*elapsed)
            )
        }
        RunEvent::Failed { agent, code, tail } => format!(
            "{agent} failed ({}){}",
            code.map(|c| format!("exit {c}"))
                .unwrap_or_else(|| "killed".to_owned()),
            tail.lines()
                .map(|l| format!("\n    {l}"))
                .collect::<String>()
        ),
        RunEvent::Step { agent, message } => format!("{agent}: {message}"),
        RunEvent::Held { agent, reason } => format!("{agent} held: {reason}"),
        RunEvent::Merged { agent, unblocked } if unblocked.is_empty() => format!("merged {agent}"),
        RunEvent::Merged { agent, unblocked } => {
            format!("merged {agent}; unblocked {}", unblocked.join(", "))
        }
        RunEvent::Interrupted { stopped } => format!("interrupted; stopped {}", stopped.join(", ")),
        RunEvent::Tick => String::new(),
    };
    format!("{} {text}", style::dim().apply_to(clock))
}

fn event_json(event: &RunEvent) -> serde_json::Value {
    let at = git_agents::time::now_rfc3339();
    match event {
        RunEvent::Spawned { agent } => {
            serde_json::json!({ "event": "spawned", "agent": agent, "at": at })
        }
        RunEvent::Launched { agent, log } => {
            serde_json::json!({ "event": "launched", "agent": agent, "log": log, "at": at })
        }
        RunEvent::Finished { agent, elapsed } => {
            serde_json::json!({ "event": "finished", "agent": agent, "seconds": elapsed.as_secs_f64(), "at": at })
        }
        RunEvent::Failed { agent, code, tail } => {
            serde_json::json!({ "event": "failed", "agent": agent, "exit_code": code, "tail": tail, "at": at })
        }
        RunEvent::Step { agent, message } => {
            serde_json::json!({ "event": "step", "agent": agent, "message": message, "at": at })
        }
        RunEvent::Held { agent, reason } => {
            serde_json::json!({ "event": "held", "agent": agent, "reason": reason, "at": at })
        }
        RunEvent::Merged { agent, unblocked } => {
            serde_json::json!({ "event": "merged", "agent": agent, "unblocked": unblocked, "at": at })
        }
        RunEvent::Interrupted { stopped } => {
            serde_json::json!({ "event": "interrupted", "stopped": stopped, "at": at })
        }
        RunEvent::Tick => serde_json::json!({ "event": "tick", "at": at }),
    }
}

/// The live view: one bar per agent, redrawn from the state as events arrive.
struct Dashboard {
    multi: MultiProgress,
    bars: Vec<(String, ProgressBar)>,
    started: Instant,
    last_refresh: Instant,
}

impl Dashboard {
    fn new(ws: &Workspace) -> Result<Dashboard, Error> {
        let report = ops::status(ws, None)?;
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr_with_hz(8));
        let width = report
            .agents
            .iter()
            .map(|a| a.name.len())
            .max()
            .unwrap_or(5);
        let template =
            format!("{{prefix:<{width}.bold}} {{bar:20.green/dim}} {{percent:>3}}% {{msg}}");
        let bar_style = ProgressStyle::with_template(&template)
            .map_err(|e| Error::External(e.to_string()))?
            .progress_chars("█▉▊▋▌▍▎▏░");
        let bars = report
            .agents
            .iter()
            .map(|agent| {
                let bar = multi.add(ProgressBar::new(1000));
                bar.set_style(bar_style.clone());
                bar.set_prefix(agent.name.clone());
                (agent.name.clone(), bar)
            })
            .collect();
        let dashboard = Dashboard {
            multi,
            bars,
            started: Instant::now(),
            last_refresh: Instant::now(),
        };
        dashboard.refresh(ws);
        Ok(dashboard)
    }

    fn event(&mut self, ws: &Workspace, event: &RunEvent) {
        if let RunEvent::Failed { .. } | RunEvent::Held { .. } | RunEvent::Merged { .. } = event {
            let _ = self.multi.println(event_line(event));
        }
        if self.last_refresh.elapsed() > Duration::from_millis(150) {
            self.refresh(ws);
            self.last_refresh = Instant::now();
        }
    }

    fn refresh(&self, ws: &Workspace) {
        let Ok(report) = ops::status(ws, None) else {
            return;
        };
        let elapsed = git_agents::time::format_duration(self.started.elapsed());
        for agent in &report.agents {
            let Some((_, bar)) = self.bars.iter().find(|(name, _)| *name == agent.name) else {
                continue;
            };
            bar.set_position((agent.progress * 1000.0).round() as u64);
            let detail = if !agent.blocked_by.is_empty() {
                format!("waits for {}", agent.blocked_by.join(", "))
            } else {
                agent.current_task.clone().unwrap_or_default()
            };
            bar.set_message(format!(
                "{:<11} {detail} {}",
                agent.status.as_str(),
                style::dim().apply_to(&elapsed)
            ));
        }
    }

    fn finish(&self, ws: &Workspace) {
        self.refresh(ws);
        for (_, bar) in &self.bars {
            bar.abandon();
        }
    }
}
