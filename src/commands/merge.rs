//! `git agents merge`: check an agent's merge criteria and merge when they all hold.

use crate::cli::exit;
use git_agents::Error;
use git_agents::ops::{self, Criteria, MergeReport};

use super::Context;
use crate::cli::output::style;

/// Check an agent's merge criteria and merge when they all hold
///
/// Print every merge criterion, met or not, with its reason; when all hold, merge the agent's PR
/// (squash by default), mark it merged and name the agents that unblocks.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The agent whose work to merge [default: the agent whose worktree this is]
    #[arg(value_name = "AGENT")]
    pub agent: Option<String>,
    /// Only check the criteria; exit 0 when they hold, 1 when not
    #[arg(long)]
    pub dry_run: bool,
}

/// Run `merge`.
pub fn run(args: &Args, ctx: &Context) -> Result<i32, Error> {
    let ws = ctx.workspace()?;
    let agent = ctx.agent(&ws, args.agent.as_deref())?;
    let mut spinner = ctx
        .out
        .spinner(&format!("checking {}'s merge criteria", agent));
    let report = ops::merge(&ws, &agent, args.dry_run, &mut spinner)?;
    spinner.finish();
    let queued = report.merged.as_ref().is_some_and(|m| m.queued);
    let code = if report.is_merged() || queued || (report.dry_run && report.criteria.ready) {
        0
    } else {
        1
    };
    if ctx.out.json(&report) {
        return Ok(code);
    }
    if report.already_merged {
        ctx.out.say(format!(
            "{} is already {}",
            style::name().apply_to(&report.agent),
            report.criteria.status
        ));
        return Ok(exit::OK);
    }
    ctx.out
        .print(criteria_text(&report.criteria, &report.base, true));
    render_outcome(&report, ctx);
    if let Some(run) = report.pre_merge.as_ref().filter(|run| !run.passed) {
        return Err(Error::Refused(format!(
            "{} not merged: {}; fix it and run git agents merge {} again",
            report.agent,
            git_agents::ops::hooks::failure(git_agents::config::Hook::PreMerge, run),
            report.agent
        )));
    }
    if code != 0 && report.merged.is_none() {
        let unmet = report.criteria.unmet();
        return Err(Error::Refused(format!(
            "{} {}: {} criteri{} unmet ({})",
            report.agent,
            if report.dry_run {
                "would not merge"
            } else {
                "not merged"
            },
            unmet.len(),
            if unmet.len() == 1 { "on" } else { "a" },
            unmet.join(", ")
        )));
    }
    Ok(code)
}

/// The criteria block: a heading and one ✓/✗ line per criterion (`all` = false shows
/// only the unmet ones).
pub fn criteria_text(criteria: &Criteria, base: &str, all: bool) -> String {
    let mut text = String::new();
    if all {
        let head = criteria
            .head
            .as_deref()
            .map(|h| format!(", head {}", &h[..h.len().min(12)]))
            .unwrap_or_default();
        text.push_str(&format!(
            "{} → {base} ({} forge{head})\n",
            style::name().apply_to(&criteria.agent),
            criteria.forge
        ));
    }
    for criterion in criteria.criteria.iter().filter(|c| all || !c.ok) {
        let mark = if criterion.ok {
            style::good().apply_to("✓")
        } else {
            style::bad().apply_to("✗")
        };
        text.push_str(&format!(
            "  {}{mark} {:<13}{}\n",
            if all { "" } else { "    " },
            criterion.name,
            criterion.reason
        ));
    }
    text
}

/// Say what a merge did, or would do.
pub fn render_outcome(report: &MergeReport, ctx: &Context) {
    let name = style::name().apply_to(&report.agent);
    if report.dry_run {
        if report.criteria.ready {
            ctx.out.say(format!(
                "{} {name} would merge into {}",
                style::good().apply_to("Ready:"),
                report.base
            ));
        }
        return;
    }
    let Some(merged) = &report.merged else {
        return;
    };
    for warning in &merged.warnings {
        ctx.out.say(style::warn().apply_to(warning).to_string());
    }
    if merged.queued {
        let pr = report
            .criteria
            .pr
            .as_ref()
            .map(|p| format!("PR #{}", p.number))
            .unwrap_or_else(|| "its PR".to_owned());
        ctx.out.say(format!(
            "{} {name}'s {pr} is in GitHub's merge queue and lands when the queue's checks pass; git agents run waits for it, or run git agents merge {} again then",
            style::warn().apply_to("Queued:"),
            report.agent
        ));
        return;
    }
    let Some(commit) = &merged.commit else {
        return;
    };
    let how = if merged.already_in_base {
        format!("{} already had every change", report.base)
    } else {
        let method = format!("{:?}", merged.method).to_lowercase();
        match &merged.tested_with {
            Some(command) => format!("{method}; tests pass on the merged result with `{command}`"),
            None => method,
        }
    };
    ctx.out.say(format!(
        "{} {name} into {} as {} ({how})",
        style::good().apply_to("Merged"),
        report.base,
        &commit[..commit.len().min(12)]
    ));
    if !merged.unblocked.is_empty() {
        ctx.out.say(format!(
            "Unblocked: {} (git agents spawn --ready)",
            merged.unblocked.join(", ")
        ));
    }
}
