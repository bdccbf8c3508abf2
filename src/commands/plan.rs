//! `git agents plan`: show or export the plan.

use crate::cli::exit;
use git_agents::Error;
use git_agents::plan::timeline::{self, Timeline};
use git_agents::plan::{Format, format_hours};
use git_agents::state::State;

use super::Context;
use crate::cli::output::style;

/// Show or export the plan
#[derive(Debug, clap::Args)]
pub struct Args {
    /// What to do with the plan [default: show]
    #[command(subcommand)]
    pub action: Option<Action>,
    /// Print the phases, the critical path and a schedule chart (like `plan timeline`)
    #[arg(long)]
    pub timeline: bool,
    /// With --timeline: how many agents work at once [default: one per agent]
    #[arg(long, value_name = "N", requires = "timeline", value_parser = clap::value_parser!(u32).range(1..))]
    pub parallel: Option<u32>,
}

/// What `plan` does.
#[derive(Debug, clap::Subcommand)]
pub enum Action {
    /// Print the agents, their branches, tasks and dependencies
    Show,
    /// Write the plan as Markdown, TOML or JSON (importable again with init --plan)
    Export {
        /// The format to write
        #[arg(long, value_enum, default_value_t = ExportFormat::Md)]
        format: ExportFormat,
    },
    /// Print the phases, the critical path and a schedule chart with N agents at once
    Timeline {
        /// How many agents work at once [default: one per agent]
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
        parallel: Option<u32>,
    },
}

/// Export formats.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ExportFormat {
    /// Markdown in the shape people write plans in
    Md,
    /// TOML
    Toml,
    /// JSON, as `plan show --json` prints it
    Json,
}

/// Run `plan`.
pub fn run(args: &Args, ctx: &Context) -> Result<i32, Error> {
    let ws = ctx.workspace()?;
    let state = State::load(&ws.repo)?;
    if args.timeline {
        if args.action.is_some() {
            return Err(Error::Usage(
                "--timeline is a view of its own; drop the subcommand or use `plan timeline`"
                    .to_owned(),
            ));
        }
        return show_timeline(&state, args.parallel, ctx);
    }
    match args.action.as_ref().unwrap_or(&Action::Show) {
        Action::Show => {
            if ctx.out.json(&state.plan) {
                return Ok(exit::OK);
            }
            show(&state, ctx);
        }
        Action::Export { format } => {
            let format = match format {
                ExportFormat::Md => Format::Markdown,
                ExportFormat::Toml => Format::Toml,
                ExportFormat::Json => Format::Json,
            };
            let text = state.plan.export(format);
            if !ctx.out.json(
                &serde_json::json!({ "format": format!("{format:?}").to_lowercase(), "text": text }),
            ) {
                ctx.out.print(text);
            }
        }
        Action::Timeline { parallel } => return show_timeline(&state, *parallel, ctx),
    }
    Ok(exit::OK)
}

fn show(state: &State, ctx: &Context) {
    let plan = &state.plan;
    let mut text = String::new();
    text.push_str(&format!(
        "{} agents · {} tasks · {} · base {} · worktrees in {}/\n",
        plan.agents.len(),
        plan.task_count(),
        format_hours(plan.total_hours()),
        state.base(),
        plan.worktrees_dir.trim_end_matches('/')
    ));
    for agent in &plan.agents {
        text.push('\n');
        let title = if agent.title.is_empty() {
            String::new()
        } else {
            format!(" — {}", agent.title)
        };
        text.push_str(&format!(
            "{}{}\n",
            style::name().apply_to(&agent.name),
            title
        ));
        text.push_str(&format!(
            "  branch    {}\n  worktree  {}\n",
            agent.branch, agent.worktree
        ));
        if !agent.depends_on.is_empty() {
            text.push_str(&format!("  needs     {}\n", agent.depends_on.join(", ")));
        }
        if let Some(command) = &agent.command {
            text.push_str(&format!("  command   {command}\n"));
        }
        for (index, task) in agent.tasks.iter().enumerate() {
            let mark = if task.done {
                style::good().apply_to("[x]").to_string()
            } else {
                "[ ]".to_owned()
            };
            text.push_str(&format!(
                "  {mark} {:>2}. {} {}\n",
                index + 1,
                task.title,
                style::dim().apply_to(format!("({})", format_hours(task.hours)))
            ));
        }
        text.push_str(&format!(
            "  {}\n",
            style::dim().apply_to(format!("{} in all", format_hours(agent.total_hours())))
        ));
    }
    ctx.out.print(text);
}

/// Columns of the chart's hour axis.
const CHART_WIDTH: usize = 56;

fn show_timeline(state: &State, parallel: Option<u32>, ctx: &Context) -> Result<i32, Error> {
    let timeline = timeline::timeline(&state.plan, parallel.map(|n| n as usize));
    if ctx.out.json(&timeline) {
        return Ok(exit::OK);
    }
    ctx.out.print(render_timeline(state, &timeline));
    Ok(exit::OK)
}

pub(crate) fn render_timeline(state: &State, timeline: &Timeline) -> String {
    let plan = &state.plan;
    let mut text = format!(
        "{} agents · {} of work · base {}\n",
        plan.agents.len(),
        format_hours(timeline.sequential_hours),
        state.base()
    );
    text.push_str("\nPhases\n");
    for phase in &timeline.phases {
        text.push_str(&format!(
            "  {}. {}  {}\n",
            phase.number,
            phase.agents.join(", "),
            style::dim().apply_to(format!("(longest {})", format_hours(phase.hours)))
        ));
    }
    text.push_str(&format!(
        "\nCritical path: {}, {}\n",
        if timeline.critical_path.is_empty() {
            "none".to_owned()
        } else {
            timeline.critical_path.join(" → ")
        },
        format_hours(timeline.critical_hours)
    ));
    text.push_str(&format!(
        "Schedule with {} agent{} at once: {}, against {} in sequence ({:.1}× faster)\n",
        timeline.parallel,
        if timeline.parallel == 1 { "" } else { "s" },
        format_hours(timeline.makespan_hours),
        format_hours(timeline.sequential_hours),
        timeline.speedup
    ));
    if timeline.schedule.is_empty() || timeline.makespan_hours <= 0.0 {
        return text;
    }
    let name_width = timeline
        .schedule
        .iter()
        .map(|s| s.name.chars().count())
        .max()
        .unwrap_or(0)
        .max(5);
    let scale = timeline.makespan_hours / CHART_WIDTH as f64;
    let column = |hours: f64| ((hours / scale).round() as usize).min(CHART_WIDTH);
    let step = tick_step(timeline.makespan_hours);
    let mut labels = vec![' '; CHART_WIDTH + 8];
    let mut ruler = vec!['─'; CHART_WIDTH + 1];
    let mut tick = 0.0;
    let mut next_free = 0;
    while tick <= timeline.makespan_hours + 1e-9 {
        let at = column(tick);
        ruler[at] = '┬';
        let label = format!("{tick} h");
        if at >= next_free && at + label.len() <= labels.len() {
            for (offset, ch) in label.chars().enumerate() {
                labels[at + offset] = ch;
            }
            next_free = at + label.len() + 1;
        }
        tick += step;
    }
    let indent = " ".repeat(name_width + 2);
    text.push('\n');
    text.push_str(&format!(
        "{indent}{}\n",
        labels.iter().collect::<String>().trim_end()
    ));
    text.push_str(&format!(
        "{indent}{}\n",
        style::dim().apply_to(ruler.iter().collect::<String>())
    ));
    let mut rows: Vec<_> = timeline.schedule.iter().collect();
    rows.sort_by(|a, b| a.start.total_cmp(&b.start).then(a.slot.cmp(&b.slot)));
    for row in rows {
        let start = column(row.start);
        let end = column(row.end).max(start + usize::from(row.end > row.start));
        let critical = timeline.critical_path.contains(&row.name);
        let cells = "█".repeat(end - start);
        let bar = if critical {
            style::warn().apply_to(cells).to_string()
        } else {
            cells
        };
        text.push_str(&format!(
            "{:<name_width$}  {}{bar}{}  {}{}\n",
            row.name,
            " ".repeat(start),
            " ".repeat(CHART_WIDTH - end),
            style::dim().apply_to(format!(
                "{} → {}",
                format_hours(row.start),
                format_hours(row.end)
            )),
            if critical { "  critical" } else { "" }
        ));
    }
    text
}

/// A round hour step that puts at most seven ticks on an axis of `hours`.
fn tick_step(hours: f64) -> f64 {
    let mut magnitude = 1.0;
    while hours / (magnitude * 10.0) > 7.0 {
        magnitude *= 10.0;
    }
    while magnitude > 0.01 && hours / magnitude < 2.0 {
        magnitude /= 10.0;
    }
    [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .map(|f| f * magnitude)
        .find(|step| hours / step <= 7.0)
        .unwrap_or(magnitude * 10.0)
}
