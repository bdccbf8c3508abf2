//! `git agents run`: drive the plan with a live dashboard on a terminal and one plain
//! line per event elsewhere.

use crate::cli::exit;
use git_agents::progress::{Events, Progress};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use git_agents::Error;
use git_agents::git::workspace::Workspace;
use git_agents::ops::{self, Deliver, RunEvent, RunOptions};
use git_agents::state::Status;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

use console::{Alignment, measure_text_width, pad_str};

use super::Context;
use crate::cli::output::{self, clock, one_line, style};

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
        events: &mut dyn Progress<RunEvent>,
    ) -> Result<Vec<String>, Error> {
        events.event(RunEvent::Step {
            agent: agent.to_owned(),
            message: "ready for review".to_owned(),
        });
        Ok(Vec::new())
    }

    fn merge_ready(
        &mut self,
        _: &Workspace,
        _: &mut dyn Progress<RunEvent>,
    ) -> Result<Vec<String>, Error> {
        Ok(Vec::new())
    }
}

/// Run `run`.
pub fn run(args: &Args, ctx: &Context) -> Result<i32, Error> {
    let ws = ctx.workspace()?;
    let options = RunOptions {
        agents: args.agents.clone(),
        parallel: args.parallel as usize,
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
    if ctx.out.json(&RunJson {
        events: &log,
        report: &report,
    }) {
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
                log.push(logged(&event));
            }
            match (&mut dashboard, &event) {
                (Some(dashboard), _) => dashboard.event(ws, &event),
                (None, RunEvent::Working { message }) => ctx.out.progress(message),
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
        RunEvent::Adopted { agent, pid, log } => format!(
            "{agent}: still running from an earlier run (pid {pid}), watching it (log: {})",
            log.display()
        ),
        RunEvent::EndedUnwatched { agent, code } => {
            format!(
                "{agent}: its command from an earlier run ended with exit {code} while no run was watching"
            )
        }
        RunEvent::Relaunching { agent, pid } => format!(
            "{agent}: its command from an earlier run (pid {pid}) was killed before it finished; launching it again"
        ),
        RunEvent::WatchedElsewhere { agent, run_pid } => format!(
            "{agent}: its command is watched by another git agents run (pid {run_pid}); leaving it to that run"
        ),
        RunEvent::Working { message } => message.clone(),
        RunEvent::Tick => String::new(),
    };
    format!("{} {text}", style::dim().apply_to(clock))
}

fn logged(event: &RunEvent) -> ops::LoggedEvent {
    ops::LoggedEvent {
        event: event.clone(),
        at: git_agents::time::now_rfc3339(),
    }
}

/// What `run --json` prints: every event, then where each agent ended up.
#[derive(serde::Serialize)]
pub(crate) struct RunJson<'a> {
    pub(crate) events: &'a [ops::LoggedEvent],
    #[serde(flatten)]
    pub(crate) report: &'a ops::RunReport,
}

/// The live view: a header with the run's elapsed time, one row per agent (phase, progress,
/// how long its command has run, status, current task) and a line for the long step under
/// way, redrawn from the state as events arrive.
struct Dashboard {
    multi: MultiProgress,
    header: ProgressBar,
    rows: Vec<Row>,
    activity: ProgressBar,
    activity_text: String,
    running_style: ProgressStyle,
    still_style: ProgressStyle,
    last_refresh: Instant,
    /// Columns a row has before its message: the padded name, the phase, the bar, the
    /// percentage and the clock.
    row_start: usize,
}

/// One agent's row.
struct Row {
    name: String,
    bar: ProgressBar,
    /// How long its command ran, once it has finished.
    took: Option<Duration>,
    running: bool,
}

impl Row {
    /// Its command started: its clock starts and ticks.
    fn launched(&mut self, running_style: &ProgressStyle) {
        self.running = true;
        self.took = None;
        self.bar.reset_elapsed();
        self.bar.set_style(running_style.clone());
        self.bar.enable_steady_tick(TICK);
    }

    /// Its command ended (or was left running): its clock stops where it is.
    fn ended(&mut self, still_style: &ProgressStyle) {
        self.running = false;
        self.took = Some(self.bar.elapsed());
        self.bar.disable_steady_tick();
        self.bar.set_style(still_style.clone());
    }
}

/// How often rows whose command is running redraw their clock.
const TICK: Duration = Duration::from_millis(250);

impl Dashboard {
    fn new(ws: &Workspace) -> Result<Dashboard, Error> {
        let report = ops::status(ws, None)?;
        let state = git_agents::state::State::load(&ws.repo)?;
        let phases = git_agents::plan::graph::Graph::new(&state.plan).phases();
        let phase_of = |name: &str| {
            phases
                .iter()
                .position(|phase| phase.contains(&name))
                .map_or(0, |index| index + 1)
        };
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr_with_hz(8));
        let width = report
            .agents
            .iter()
            .map(|a| measure_text_width(&a.name))
            .max()
            .unwrap_or(5);
        let template = |took: &str| {
            format!("{{prefix}} {{bar:20.green/dim}} {{percent:>3}}% {took}{{wide_msg}}")
        };
        let style_of = |template: String| {
            ProgressStyle::with_template(&template)
                .map_err(|e| Error::External(e.to_string()))
                .map(|style| style.progress_chars("█▉▊▋▌▍▎▏░").with_key("took", took_key))
        };
        let running_style = style_of(template("{took:>7.cyan} "))?;
        let still_style = style_of(template(""))?;
        let header = multi.add(ProgressBar::new_spinner());
        header.set_style(
            ProgressStyle::with_template("{msg} · {took:.dim} elapsed")
                .map_err(|e| Error::External(e.to_string()))?
                .with_key("took", took_key),
        );
        header.enable_steady_tick(Duration::from_secs(1));
        let rows = report
            .agents
            .iter()
            .map(|agent| {
                let bar = multi.add(ProgressBar::new(1000));
                bar.set_style(still_style.clone());
                bar.set_prefix(format!(
                    "{} {}",
                    style::name().apply_to(pad_str(&agent.name, width, Alignment::Left, None)),
                    style::dim().apply_to(format!("phase {}", phase_of(&agent.name)))
                ));
                Row {
                    name: agent.name.clone(),
                    bar,
                    took: None,
                    running: false,
                }
            })
            .collect();
        let activity = multi.add(ProgressBar::new_spinner());
        activity.set_style(crate::cli::output::spinner_style());
        activity.enable_steady_tick(Duration::from_millis(100));
        let mut dashboard = Dashboard {
            multi,
            header,
            rows,
            activity,
            activity_text: String::new(),
            running_style,
            still_style,
            last_refresh: Instant::now(),
            row_start: width + " phase 9".len() + 1 + 20 + " 100% ".len() + 8,
        };
        dashboard.show_activity("starting");
        dashboard.refresh(ws);
        Ok(dashboard)
    }

    fn event(&mut self, ws: &Workspace, event: &RunEvent) {
        match event {
            RunEvent::Failed { .. }
            | RunEvent::Held { .. }
            | RunEvent::Merged { .. }
            | RunEvent::Adopted { .. }
            | RunEvent::EndedUnwatched { .. }
            | RunEvent::Relaunching { .. }
            | RunEvent::WatchedElsewhere { .. } => {
                let _ = self.multi.println(output::inert(&event_line(event)));
            }
            RunEvent::Working { message } => self.show_activity(message),
            RunEvent::Tick => {
                let running: Vec<&str> = self
                    .rows
                    .iter()
                    .filter(|r| r.running)
                    .map(|r| r.name.as_str())
                    .collect();
                let text = if running.is_empty() {
                    "waiting".to_owned()
                } else {
                    format!("waiting for {}", running.join(", "))
                };
                self.show_activity(&text);
            }
            _ => {}
        }
        match event {
            RunEvent::Launched { agent, .. } | RunEvent::Adopted { agent, .. } => {
                if let Some(row) = self.rows.iter_mut().find(|row| row.name == *agent) {
                    row.launched(&self.running_style);
                }
                self.refresh(ws);
            }
            RunEvent::Finished { agent, .. } | RunEvent::Failed { agent, .. } => {
                if let Some(row) = self.rows.iter_mut().find(|row| row.name == *agent) {
                    row.ended(&self.still_style);
                }
                self.refresh(ws);
            }
            _ if self.last_refresh.elapsed() > Duration::from_millis(150) => self.refresh(ws),
            _ => {}
        }
    }

    /// Show `text` as the step under way; its clock starts again when the step changes.
    fn show_activity(&mut self, text: &str) {
        if self.activity_text != text {
            self.activity
                .set_message(format!("{}…", output::inert(text)));
            self.activity.reset_elapsed();
            self.activity_text = text.to_owned();
        }
    }

    fn refresh(&mut self, ws: &Workspace) {
        self.last_refresh = Instant::now();
        let Ok(report) = ops::status(ws, None) else {
            return;
        };
        let count =
            |wanted: fn(Status) -> bool| report.agents.iter().filter(|a| wanted(a.status)).count();
        let running = self.rows.iter().filter(|r| r.running).count();
        self.header.set_message(format!(
            "{} {running} running, {} merged, {} failed of {}",
            style::name().apply_to("git agents run:"),
            count(Status::is_merged),
            count(|s| s == Status::Failed),
            report.agents.len()
        ));
        for agent in &report.agents {
            let Some(row) = self.rows.iter().find(|row| row.name == agent.name) else {
                continue;
            };
            row.bar
                .set_position((agent.progress * 1000.0).round() as u64);
            let detail = if !agent.blocked_by.is_empty() {
                format!("blocked by {}", agent.blocked_by.join(", "))
            } else {
                output::inert(&one_line(agent.current_task.as_deref().unwrap_or_default()))
                    .into_owned()
            };
            let took = if row.running {
                String::new()
            } else {
                let text = row.took.map(clock).unwrap_or_default();
                format!("{} ", style::dim().apply_to(format!("{text:>7}")))
            };
            let message = format!(
                "{took}{} {detail}",
                status_style(agent.status).apply_to(format!("{:<11}", agent.status.as_str()))
            );
            // Cut to what the terminal leaves for it, with …, rather than mid-word.
            let message = match output::terminal_width() {
                Some(columns) if columns > self.row_start + 10 => {
                    console::truncate_str(&message, columns - self.row_start, "…").into_owned()
                }
                _ => message,
            };
            row.bar.set_message(message);
        }
    }

    /// Clear the live area (it is cut to the terminal's height, so agents could be
    /// missing from what stays on screen) and print the final state in full in its place.
    fn finish(&mut self, ws: &Workspace) {
        self.activity.finish_and_clear();
        self.header.finish_and_clear();
        for row in &self.rows {
            row.bar.finish_and_clear();
        }
        let _ = self.multi.clear();
        if let Ok(report) = ops::status(ws, None) {
            eprint!(
                "{}",
                output::fit(
                    &output::inert(&super::status::render_fleet(&report, false)),
                    output::terminal_width()
                )
            );
        }
    }
}

/// The `{took}` template key: how long the bar has run, as a short clock.
fn took_key(state: &ProgressState, w: &mut dyn std::fmt::Write) {
    let _ = w.write_str(&clock(state.elapsed()));
}

/// The colour of a status on the dashboard.
fn status_style(status: Status) -> console::Style {
    match status {
        Status::Merged | Status::Completed => style::good(),
        Status::Failed => style::bad(),
        Status::Review | Status::PrOpen => style::warn(),
        _ => console::Style::new(),
    }
}
