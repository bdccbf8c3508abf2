//! `git agents init`: import a plan and create the state ref.

use crate::cli::exit;
use std::path::PathBuf;

use git_agents::Error;
use git_agents::ops::{self, InitOptions};
use git_agents::plan::format_hours;

use super::Context;
use crate::cli::output::style;

/// Import a plan and create the fleet's state in this repository
///
/// Import a plan (Markdown, TOML or JSON) into refs/agents/state.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The plan to import (.md as people write it, .toml, or .json); an empty plan when omitted
    #[arg(long, value_name = "FILE")]
    pub plan: Option<PathBuf>,
    /// Write the example plan (8 agents) to parallel-plan.md and import it
    #[arg(long, conflicts_with = "plan")]
    pub example: bool,
    /// The branch agents start from and merge into [default: git config agents.base, the plan's, or the current branch]
    #[arg(long, value_name = "BRANCH")]
    pub base: Option<String>,
    /// Where agent worktrees go, relative to the main worktree [default: git config agents.worktreesDir, the plan's, or worktrees]
    #[arg(long, value_name = "DIR")]
    pub worktrees_dir: Option<String>,
    /// Replace existing state (its history stays in the ref)
    #[arg(long)]
    pub force: bool,
    /// Show what the plan imports as (agents, dependencies, warnings) and change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Refuse the plan when its import gives any warning
    #[arg(long)]
    pub strict: bool,
}

/// Run `init`.
pub fn run(args: &Args, ctx: &Context) -> Result<i32, Error> {
    let ws = ctx.workspace()?;
    let plan_file = if args.example {
        let path = ops::write_example(&ws)?;
        ctx.out.say(format!(
            "Wrote the example plan to {}: edit it, or import your own with --plan FILE",
            ops::EXAMPLE_FILE
        ));
        Some(path)
    } else {
        args.plan.clone()
    };
    if args.dry_run && plan_file.is_none() {
        return Err(Error::Usage(
            "--dry-run shows what a plan imports as; name the plan with --plan FILE".to_owned(),
        ));
    }
    if let (true, Some(file)) = (args.dry_run, &plan_file) {
        let report = ops::check_plan(Some(&ws), file, args.worktrees_dir.as_deref(), args.strict)?;
        if !ctx.out.json(&report) {
            ctx.out.print(super::plan::render_check(&report));
            ctx.out.say(
                style::dim()
                    .apply_to(
                        "Nothing changed (--dry-run); run it again without --dry-run to import",
                    )
                    .to_string(),
            );
        }
        return Ok(exit::OK);
    }
    let options = InitOptions {
        plan_file: plan_file.clone(),
        base: args.base.clone(),
        worktrees_dir: args.worktrees_dir.clone(),
        force: args.force,
        strict: args.strict,
        plan: None,
    };
    let report = ops::init(&ws, &options)?;
    let plan = &report.state.plan;
    if ctx.out.json(&report) {
        return Ok(exit::OK);
    }
    ctx.out.say(format!(
        "{} {} agents, {} tasks, {} of work; base {}, worktrees in {}/",
        style::good().apply_to(if report.replaced {
            "Replaced the plan:"
        } else {
            "Imported"
        }),
        plan.agents.len(),
        plan.task_count(),
        format_hours(plan.total_hours()),
        style::name().apply_to(report.state.base()),
        plan.worktrees_dir.trim_end_matches('/'),
    ));
    if let Some(previous) = &report.previous_state {
        if !report.discarded.is_empty() {
            let lost: Vec<String> = report
                .discarded
                .iter()
                .map(|d| {
                    let mut what = vec![d.status.to_string()];
                    let counted = |n: usize, one: &str, many: &str| {
                        format!("{n} {}", if n == 1 { one } else { many })
                    };
                    if d.tasks_done > 0 {
                        what.push(counted(d.tasks_done, "task done", "tasks done"));
                    }
                    if d.notes > 0 {
                        what.push(counted(d.notes, "note", "notes"));
                    }
                    if let Some(pr) = d.pr {
                        what.push(format!("PR #{pr}"));
                    }
                    format!("{} ({})", d.agent, what.join(", "))
                })
                .collect();
            ctx.out.say(
                style::warn()
                    .apply_to(format!(
                        "The new state starts over for {}: {}",
                        if lost.len() == 1 {
                            "1 agent".to_owned()
                        } else {
                            format!("{} agents", lost.len())
                        },
                        lost.join("; ")
                    ))
                    .to_string(),
            );
        }
        ctx.out.say(format!(
            "The previous state is kept as {previous}; bring it back with: git update-ref refs/agents/state {previous}"
        ));
    }
    const SHOWN: usize = 10;
    for warning in report.warnings.iter().take(SHOWN) {
        let at = warning
            .line
            .map(|l| format!("line {l}: "))
            .unwrap_or_default();
        ctx.out.say(
            style::warn()
                .apply_to(format!("warning: {at}{}", warning.message))
                .to_string(),
        );
    }
    if report.warnings.len() > SHOWN {
        let file = args
            .plan
            .as_deref()
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        ctx.out.say(format!(
            "… and {} more warnings: git agents plan check {file} shows them all",
            report.warnings.len() - SHOWN
        ));
    }
    if let Some(line) = &report.excluded {
        ctx.out.say(
            style::dim()
                .apply_to(format!("Added {line} to .git/info/exclude"))
                .to_string(),
        );
    }
    for line in merge_needs(&report.merge_needs) {
        ctx.out.say(line);
    }
    let next = if plan.agents.is_empty() {
        "Next: add agents with git agents add NAME --task \"Title (2h)\", or start from the example with git agents init --force --example"
    } else {
        "Next: git agents status, then git agents spawn --ready"
    };
    ctx.out.say(style::dim().apply_to(next).to_string());
    Ok(exit::OK)
}

/// What merging needs, a line per criterion in force with the git config key that
/// changes it, then what is missing for a criterion to be met at all.
fn merge_needs(needs: &ops::MergeNeeds) -> Vec<String> {
    let mut needed: Vec<(String, &str)> = Vec::new();
    let mut missing = Vec::new();
    if needs.tests {
        needed.push(("tests passing".to_owned(), "agents.requireTests"));
        if needs.test_command.is_none() {
            missing.push("a test command: git config agents.testCommand \"cargo test\"");
        }
    }
    if needs.review_threshold > 0 {
        needed.push((
            format!("a review of {}/10", needs.review_threshold),
            "agents.reviewThreshold",
        ));
        if needs.review_command.is_none() {
            missing.push("a review command: git config agents.reviewCommand \"my-reviewer\"");
        }
    }
    if needs.approvals > 0 {
        let what = match needs.approvals {
            1 => "1 approval (git agents approve)".to_owned(),
            n => format!("{n} approvals (git agents approve)"),
        };
        needed.push((what, "agents.approvals"));
    }
    if needs.tasks_done {
        needed.push(("every task done".to_owned(), "agents.requireTasksDone"));
    }
    if needed.is_empty() {
        return vec!["To merge, an agent needs only its pull request.".to_owned()];
    }
    let width = needed
        .iter()
        .map(|(what, _)| what.chars().count())
        .max()
        .unwrap_or(0);
    let mut lines =
        vec!["To merge, an agent needs (change each with git config KEY VALUE):".to_owned()];
    for (what, key) in needed {
        lines.push(format!("  {what:<width$}  {key}"));
    }
    for what in missing {
        lines.push(format!("Not set yet: {what}"));
    }
    lines
}
