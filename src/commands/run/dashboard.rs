//! The live dashboard of `run` on a terminal: a header with the run's clock, one row per
//! agent (phase, progress, how long its command ran, status, current task) and a line
//! for the long step under way, redrawn from the state as events arrive.

use std::time::{Duration, Instant};

use console::{Alignment, measure_text_width, pad_str};
use git_agents::Error;
use git_agents::git::workspace::Workspace;
use git_agents::ops::{self, AgentView, RunEvent};
use git_agents::state::Status;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

use super::event_line;
use crate::cli::output::{self, clock, one_line, style};

/// The live view: a header with the run's elapsed time, one row per agent (phase, progress,
/// how long its command has run, status, current task) and a line for the long step under
/// way, redrawn from the state as events arrive.
pub(super) struct Dashboard {
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
    /// The step its delivery is at (testing, reviewing, its PR), while it is delivered.
    step: Option<String>,
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
    pub(super) fn new(ws: &Workspace) -> Result<Dashboard, Error> {
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
                    step: None,
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

    pub(super) fn event(&mut self, ws: &Workspace, event: &RunEvent) {
        match event {
            RunEvent::Failed { .. }
            | RunEvent::Held { .. }
            | RunEvent::Again { .. }
            | RunEvent::Retrying { .. }
            | RunEvent::Resumed { .. }
            | RunEvent::Merged { .. }
            | RunEvent::Adopted { .. }
            | RunEvent::EndedUnwatched { .. }
            | RunEvent::Relaunching { .. }
            | RunEvent::WatchedElsewhere { .. }
            | RunEvent::Claimed { .. }
            | RunEvent::HeldElsewhere { .. }
            | RunEvent::TookOver { .. }
            | RunEvent::LeaseLost { .. }
            | RunEvent::Unreachable { .. }
            | RunEvent::Reconnected { .. } => {
                let _ = self.multi.println(output::inert(&event_line(event)));
            }
            RunEvent::Waiting { .. } => {
                // The terminal's bell, then the line that says who asks what.
                let _ = self
                    .multi
                    .println(format!("\u{7}{}", output::inert(&event_line(event))));
            }
            RunEvent::Working { message, .. } => self.show_activity(message),
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
        // The step each agent's delivery is at, shown on its row.
        match event {
            RunEvent::Working {
                agent: Some(agent),
                message,
            }
            | RunEvent::Step { agent, message, .. } => self.set_step(agent, Some(message)),
            RunEvent::Launched { agent, .. }
            | RunEvent::Merged { agent, .. }
            | RunEvent::Failed { agent, .. }
            | RunEvent::Held { agent, .. } => self.set_step(agent, None),
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

    /// Remember the delivery step `agent` is at (`None` once there is none).
    fn set_step(&mut self, agent: &str, step: Option<&str>) {
        if let Some(row) = self.rows.iter_mut().find(|row| row.name == agent) {
            row.step = step.map(str::to_owned);
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
            let took = (!row.running).then(|| row.took.map(clock).unwrap_or_default());
            let room = output::terminal_width()
                .filter(|columns| *columns > self.row_start + 10)
                .map(|columns| columns - self.row_start);
            let message = row_message(agent, row.step.as_deref(), took.as_deref(), room);
            row.bar.set_message(message);
        }
    }

    /// Clear the live area (it is cut to the terminal's height, so agents could be
    /// missing from what stays on screen) and print the final state in full in its place.
    pub(super) fn finish(&mut self, ws: &Workspace) {
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
                    &output::inert(&crate::commands::status::render_fleet(&report, false)),
                    output::terminal_width()
                )
            );
        }
    }
}

/// What an agent's row says after its bar: how long its command took (`took`, once it
/// ended), its status, and what it is on — the step its delivery is at, else its task —
/// or waits for, cut to `room` columns with … rather than wrapped mid-word.
fn row_message(
    agent: &AgentView,
    step: Option<&str>,
    took: Option<&str>,
    room: Option<usize>,
) -> String {
    let detail = if !agent.blocked_by.is_empty() {
        format!("blocked by {}", agent.blocked_by.join(", "))
    } else if let Some(step) = step {
        output::inert(&one_line(step)).into_owned()
    } else {
        output::inert(&one_line(agent.current_task.as_deref().unwrap_or_default())).into_owned()
    };
    let took = took
        .map(|text| format!("{} ", style::dim().apply_to(format!("{text:>7}"))))
        .unwrap_or_default();
    let message = format!(
        "{took}{} {detail}",
        status_style(agent.status).apply_to(format!("{:<11}", agent.status.as_str()))
    );
    match room {
        Some(room) => console::truncate_str(&message, room, "…").into_owned(),
        None => message,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::status::tests::agent;

    #[test]
    fn a_row_says_status_and_task_and_is_cut_to_the_room_it_has() {
        console::set_colors_enabled(false);
        let working = agent(serde_json::json!({
            "status": "in_progress",
            "current_task": "Create the service layer with retries and\nbackoff",
        }));
        let blocked = agent(serde_json::json!({ "blocked_by": ["backend-agent", "rag-agent"] }));
        let merged = agent(serde_json::json!({ "status": "merged" }));
        let delivered = agent(serde_json::json!({ "status": "review" }));
        let rows = [
            row_message(&working, None, None, None),
            row_message(&working, None, None, Some(30)),
            row_message(&blocked, None, None, None),
            row_message(&delivered, Some("testing api's work"), Some("1m 02s"), None),
            row_message(&merged, None, Some("4m 05s"), None),
        ];
        insta::assert_snapshot!(rows.join("\n"), @"
        in_progress Create the service layer with retries and backoff
        in_progress Create the servic…
        planned     blocked by backend-agent, rag-agent
         1m 02s review      testing api's work
         4m 05s merged
        ");
    }
}
