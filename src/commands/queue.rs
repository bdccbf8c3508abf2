//! `git agents queue`: the merge order with each entry's criteria, and `queue run`.

use git_agents::Error;
use git_agents::ops::{self, QueueReport};

use super::Context;
use super::merge::{criteria_text, render_outcome};
use crate::output::{self, style};

/// Show the merge order (dependency phases, ties in plan order) with each entry's criteria.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// What to do with the queue [default: show it]
    #[command(subcommand)]
    pub action: Option<Action>,
}

/// Queue actions.
#[derive(Debug, clap::Subcommand)]
pub enum Action {
    /// Merge ready entries one at a time in queue order, checking the rest again after each merge
    Run(RunArgs),
}

/// Options of `queue run`.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Only say which entries are ready now
    #[arg(long)]
    pub dry_run: bool,
}

/// Run `queue`.
pub fn run(args: &Args, ctx: &Context) -> Result<i32, Error> {
    match &args.action {
        None => show(ctx),
        Some(Action::Run(run_args)) => run_queue(run_args, ctx),
    }
}

fn show(ctx: &Context) -> Result<i32, Error> {
    let ws = ctx.workspace()?;
    let report = ops::queue(&ws)?;
    if ctx.out.json(&report) {
        return Ok(0);
    }
    ctx.out.print(queue_text(&report, ctx.out.verbose));
    Ok(0)
}

fn queue_text(report: &QueueReport, verbose: bool) -> String {
    let mut text = String::new();
    if report.entries.is_empty() {
        text.push_str(&format!(
            "The merge queue into {} is empty ({} merged).\n",
            report.base,
            report.merged.len()
        ));
        return text;
    }
    text.push_str(&format!(
        "Merge queue into {} ({} merged, {} waiting)\n",
        report.base,
        report.merged.len(),
        report.entries.len()
    ));
    let width = report
        .entries
        .iter()
        .map(|e| e.agent.chars().count())
        .max()
        .unwrap_or(5);
    for entry in &report.entries {
        let criteria = &entry.criteria;
        let pr = criteria
            .pr
            .as_ref()
            .map(|p| format!("PR #{}", p.number))
            .unwrap_or_else(|| "no PR".to_owned());
        let verdict = if criteria.ready {
            style::good().apply_to("✓ ready").to_string()
        } else {
            let unmet = criteria.unmet().len();
            style::bad()
                .apply_to(format!("✗ {unmet} unmet"))
                .to_string()
        };
        text.push_str(&format!(
            "{:>2}. {:<width$}  phase {}  {:<11}  {:<7}  {verdict}\n",
            entry.position,
            entry.agent,
            entry.phase,
            criteria.status.as_str(),
            pr,
        ));
        text.push_str(&criteria_text(criteria, &report.base, false));
        if verbose {
            for criterion in criteria.criteria.iter().filter(|c| c.ok) {
                text.push_str(&format!(
                    "      ✓ {:<13}{}\n",
                    criterion.name, criterion.reason
                ));
            }
        }
    }
    text
}

fn run_queue(args: &RunArgs, ctx: &Context) -> Result<i32, Error> {
    let ws = ctx.workspace()?;
    let spinner = ctx.out.spinner("judging the merge queue");
    let run = ops::queue_run(
        &ws,
        args.dry_run,
        &mut |line| spinner.step(line),
        &mut |chunk| spinner.output(chunk),
        &mut |report| {
            if !ctx.out.json {
                spinner.suspend(|| render_outcome(report, ctx));
            }
        },
    )?;
    spinner.finish();
    let waiting = run.proposed_waiting().len();
    let code = match run.stopped_code {
        Some(code) => code as i32,
        None if waiting > 0 && !run.dry_run => 1,
        None => 0,
    };
    if ctx.out.json(&run) {
        return Ok(code);
    }
    if run.dry_run {
        if run.merges.is_empty() {
            ctx.out.say("Nothing is ready to merge.");
        }
    } else if run.merges.is_empty() && run.stopped.is_none() {
        ctx.out.say("Nothing was ready to merge.");
    }
    if !run.remaining.entries.is_empty() {
        ctx.out.print(queue_text(&run.remaining, ctx.out.verbose));
    } else {
        ctx.out.say(format!(
            "The merge queue into {} is empty ({} merged).",
            run.remaining.base,
            run.remaining.merged.len()
        ));
    }
    if let Some(reason) = &run.stopped {
        output::error(None, &format!("queue stopped at {reason}"), code);
    } else if code != 0 {
        output::error(
            None,
            &format!(
                "{waiting} agent{} with a PR open cannot merge yet; see the criteria above",
                if waiting == 1 { "" } else { "s" },
            ),
            code,
        );
    }
    Ok(code)
}
