//! `git agents plan`: show, export, edit the plan, or chart its timeline.

use crate::cli::exit;
use git_agents::Error;
use git_agents::git::workspace::Workspace;
use git_agents::ops::{self, PlanCheck};
use git_agents::plan::timeline::{self, Timeline};
use git_agents::plan::{Export, Format, Plan, format_hours};
use git_agents::state::State;

use super::Context;
use crate::cli::output::{self, style};

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
    /// Open the plan in your editor (as TOML) and apply it when you save and quit
    ///
    /// The editor is the one git uses (GIT_EDITOR, core.editor, VISUAL, EDITOR). The plan is
    /// checked before anything changes: an edit that does not read back, or that would move
    /// a spawned agent's branch or worktree, changes nothing and is kept in
    /// .git/agents/PLAN_EDIT.toml, where the next plan edit picks it up again.
    Edit,
    /// Show what a plan file imports as: agents, tasks, hours, dependencies and warnings
    ///
    /// Nothing changes. Each agent and each dependency is shown with the line it came from,
    /// and every warning with its line: list items not taken as tasks, tasks without
    /// estimates, dependencies that name no agent, worktrees moved into the worktrees
    /// directory. Works outside a repository too.
    Check {
        /// The plan file (.md as people write it, .toml, or .json)
        #[arg(value_name = "FILE")]
        file: std::path::PathBuf,
        /// Refuse the plan when the import gives any warning (exit 2)
        #[arg(long)]
        strict: bool,
        /// Read worktree paths against this directory [default: git config agents.worktreesDir, or worktrees]
        #[arg(long, value_name = "DIR")]
        worktrees_dir: Option<String>,
    },
    /// Print the example plan (8 agents, 38 tasks), to start a plan of your own from
    Example,
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
    if let Some(Action::Check {
        file,
        strict,
        worktrees_dir,
    }) = &args.action
    {
        // A plan can be checked before there is a repository to import it into.
        let ws = ctx.workspace().ok();
        let report = ops::check_plan(ws.as_ref(), file, worktrees_dir.as_deref(), *strict)?;
        if !ctx.out.json(&report) {
            ctx.out.print(render_check(&report));
        }
        return Ok(exit::OK);
    }
    if let Some(Action::Example) = &args.action {
        let example = Export {
            format: Format::Markdown,
            text: ops::demo::EXAMPLE_PLAN.to_owned(),
        };
        if !ctx.out.json(&example) {
            ctx.out.print_data(example.text);
        }
        return Ok(exit::OK);
    }
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
            if ctx.out.json(&state.plan_view()) {
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
            let export = Export {
                format,
                text: state.plan_view().export(format),
            };
            if !ctx.out.json(&export) {
                ctx.out.print_data(export.text);
            }
        }
        Action::Timeline { parallel } => return show_timeline(&state, *parallel, ctx),
        Action::Check { .. } | Action::Example => {
            unreachable!("answered before the state is read")
        }
        Action::Edit => return edit(&ws, &state, ctx),
    }
    Ok(exit::OK)
}

fn show(state: &State, ctx: &Context) {
    let plan = &state.plan_view();
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
        let label = format!("{} h", (tick * 100.0).round() / 100.0);
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
        // A short last agent starts at the very end: keep its one cell on the chart.
        let start = column(row.start).min(CHART_WIDTH - 1);
        let end = column(row.end)
            .max(start + usize::from(row.end > row.start))
            .min(CHART_WIDTH);
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

/// `plan edit`: the plan as TOML in the user's editor, applied when it reads back.
fn edit(ws: &Workspace, state: &State, ctx: &Context) -> Result<i32, Error> {
    let dir = ws.common_dir.join("agents");
    let path = dir.join("PLAN_EDIT.toml");
    let shown = path.display().to_string();
    let kept = fs_err::read_to_string(&path).ok();
    let original = match &kept {
        Some(text) => {
            output::warning(&format!(
                "going on with the edit kept in {shown} (delete it to start from the plan)"
            ));
            text.clone()
        }
        None => {
            let text = format!("{EDIT_HEADER}{}", state.plan_view().export(Format::Toml));
            fs_err::create_dir_all(&dir).map_err(|e| Error::Usage(e.to_string()))?;
            fs_err::write(&path, &text).map_err(|e| Error::Usage(e.to_string()))?;
            text
        }
    };
    let kept_note = |what: String| {
        format!(
            "{what}; the plan was not changed and your edit is kept in {shown}: run git agents plan edit again to go on from it"
        )
    };
    let keep = |what: String| Error::Usage(kept_note(what));
    let editor = ws
        .git()
        .output(["var", "GIT_EDITOR"])
        .ok()
        .filter(|out| out.code == Some(0))
        .map(|out| out.stdout.trim().to_owned())
        .filter(|editor| !editor.is_empty())
        .ok_or_else(|| {
            Error::Usage(
                "no editor configured; set one with git config --global core.editor vim (or GIT_EDITOR, VISUAL, EDITOR)"
                    .to_owned(),
            )
        })?;
    let status = duct::cmd!("sh", "-c", format!("{editor} \"$@\""), &editor, &path)
        .unchecked()
        .run()
        .map_err(|e| keep(format!("cannot run the editor {editor:?}: {e}")))?
        .status;
    if !status.success() {
        return Err(keep(format!(
            "the editor {editor:?} exited with {}",
            status
                .code()
                .map_or("a signal".to_owned(), |c| format!("status {c}"))
        )));
    }
    let text = fs_err::read_to_string(&path).map_err(|e| keep(e.to_string()))?;
    if kept.is_none() && text == original {
        let _ = fs_err::remove_file(&path);
        let report = git_agents::ops::EditReport::default();
        if !ctx.out.json(&report) {
            ctx.out.say("Nothing changed.");
        }
        return Ok(exit::OK);
    }
    let plan = Plan::parse(&text, Format::Toml, &shown, &state.plan.worktrees_dir)
        .map_err(|e| keep(e.to_string()))?;
    let report = git_agents::ops::set_plan(ws, &plan).map_err(|e| match e {
        Error::Refused(why) => Error::Refused(kept_note(why)),
        other => other,
    })?;
    let _ = fs_err::remove_file(&path);
    if ctx.out.json(&report) {
        return Ok(exit::OK);
    }
    super::edit::say(&report, ctx);
    Ok(exit::OK)
}

/// The comment at the top of the file `plan edit` opens.
const EDIT_HEADER: &str = "# The fleet's plan. Change it, save and quit to apply it; quit without saving to\n# leave it as it was. A spawned agent's branch and worktree can't change here.\n\n";

/// What a plan file imports as, for people: a summary, the agents with their lines, each
/// dependency with its line, then the warnings.
pub(crate) fn render_check(report: &PlanCheck) -> String {
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let mut text = format!(
        "{}: {}, {}, {}, {}, {}\n",
        report.file,
        plural(report.agents.len(), "agent", "agents"),
        plural(report.tasks, "task", "tasks"),
        format_hours(report.hours),
        plural(report.edges.len(), "dependency", "dependencies"),
        plural(report.warnings.len(), "warning", "warnings"),
    );
    let name_width = report
        .agents
        .iter()
        .map(|a| a.name.chars().count())
        .max()
        .unwrap_or(0);
    text.push_str(&format!("\n{}\n", style::dim().apply_to("Agents")));
    for agent in &report.agents {
        let line = agent.line.map(|l| format!("line {l}")).unwrap_or_default();
        let title = if agent.title.is_empty() {
            String::new()
        } else {
            format!("  {}", agent.title)
        };
        text.push_str(&format!(
            "  {:<name_width$}  {:>9}  {}, {}, {}{}\n",
            style::name().apply_to(&agent.name),
            line,
            agent.branch,
            plural(agent.tasks, "task", "tasks"),
            format_hours(agent.hours),
            title,
        ));
    }
    if !report.edges.is_empty() {
        text.push_str(&format!("\n{}\n", style::dim().apply_to("Dependencies")));
        for edge in &report.edges {
            let how = if edge.from == "stated" {
                String::new()
            } else {
                format!(" ({})", edge.from)
            };
            text.push_str(&format!(
                "  {} waits for {}  line {}{how}\n",
                edge.agent, edge.depends_on, edge.line
            ));
        }
    }
    if !report.warnings.is_empty() {
        text.push_str(&format!("\n{}\n", style::warn().apply_to("Warnings")));
        for warning in &report.warnings {
            let at = warning
                .line
                .map(|l| format!("line {l}: "))
                .unwrap_or_default();
            text.push_str(&format!("  {at}{}\n", warning.message));
        }
    }
    text
}
