//! `git agents plan`: show or export the plan.

use git_agents::Error;
use git_agents::plan::{Format, format_hours};
use git_agents::state::State;

use super::Context;
use crate::output::style;

/// Show or export the plan.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// What to do with the plan [default: show]
    #[command(subcommand)]
    pub action: Option<Action>,
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
    match args.action.as_ref().unwrap_or(&Action::Show) {
        Action::Show => {
            if ctx.out.json(&state.plan) {
                return Ok(0);
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
    }
    Ok(0)
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
