//! `git agents queue`: the merge order with each entry's criteria, and `queue run`.

use crate::cli::exit;
use crate::cli::output::Spinner;
use git_agents::Error;
use git_agents::ops::{self, QueueReport};
use git_agents::progress::Progress;

use super::Context;
use super::merge::{criteria_text, render_outcome};
use crate::cli::output::{self, style};

/// Show the merge order with each entry's criteria, or merge what is ready
///
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
    /// Test the combined merge of up to N ready entries at once; on failure, bisect to
    /// find the entry that broke it, merge the others and report it (local forge; GitHub
    /// entries merge one at a time)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub batch: Option<u64>,
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
        return Ok(exit::OK);
    }
    ctx.out.print(queue_text(&report, ctx.out.verbose));
    Ok(exit::OK)
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
            .map(|p| {
                if p.queued {
                    format!("PR #{} in GitHub's merge queue", p.number)
                } else {
                    format!("PR #{}", p.number)
                }
            })
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

/// What a queue run shows as it goes: its steps and the tests' output on the spinner,
/// and each merge as it lands.
struct QueueWatch<'a> {
    spinner: Spinner,
    ctx: &'a Context,
}

impl Progress<ops::MergeReport> for QueueWatch<'_> {
    fn step(&mut self, what: &str) {
        self.spinner.step(what);
    }

    fn output(&mut self, chunk: &[u8]) {
        self.spinner.output(chunk);
    }

    fn event(&mut self, report: ops::MergeReport) {
        if !self.ctx.out.json {
            self.spinner.suspend(|| render_outcome(&report, self.ctx));
        }
    }
}

fn run_queue(args: &RunArgs, ctx: &Context) -> Result<i32, Error> {
    let ws = ctx.workspace()?;
    let mut watch = QueueWatch {
        spinner: ctx.out.spinner("judging the merge queue"),
        ctx,
    };
    let run = match args.batch {
        Some(size) => {
            let fleet = match git_agents::config::fleet_remote(&ws.repo) {
                Some(remote) => Some(ops::fleet::Fleet::open(&ws, &remote)?),
                None => None,
            };
            ops::queue_run_batch(
                &ws,
                usize::try_from(size).unwrap_or(usize::MAX),
                args.dry_run,
                fleet.as_ref(),
                &mut watch,
            )?
        }
        None => ops::queue_run(&ws, args.dry_run, &mut watch)?,
    };
    let QueueWatch { spinner, .. } = watch;
    spinner.finish();
    let waiting = run.proposed_waiting().len();
    let code = match &run.stopped_by {
        Some(err) => exit::code(err),
        None if waiting > 0 && !run.dry_run => exit::REFUSED,
        None => exit::OK,
    };
    if ctx.out.json(&run) {
        return Ok(code);
    }
    for notice in &run.notices {
        ctx.out.say(
            style::warn()
                .apply_to(format!("Note: {notice}."))
                .to_string(),
        );
    }
    for batch in &run.batches {
        ctx.out.print(batch_text(batch));
    }
    if run.dry_run {
        if run.merges.is_empty() {
            ctx.out.say("Nothing is ready to merge.");
        } else if let Some(size) = run.batch {
            ctx.out.say(format!(
                "Local entries would be tested together in batches of up to {size}."
            ));
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
    let set_aside: Vec<&str> = run
        .batches
        .iter()
        .flat_map(|b| b.rejected.iter().map(|r| r.agent.as_str()))
        .collect();
    if let Some(reason) = &run.stopped {
        output::error(None, &format!("queue stopped at {reason}"), code);
    } else if !set_aside.is_empty() {
        output::error(
            None,
            &format!(
                "the batch left {} unmerged; see why above, fix the branch, then run the queue again",
                set_aside.join(", ")
            ),
            code,
        );
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

/// What one batch did: how many test runs it took, and each entry set aside with why
/// (and, for a test failure, the end of the failing output).
fn batch_text(batch: &ops::BatchReport) -> String {
    let runs = batch.test_runs;
    let mut text = format!(
        "Batch of {} ({}): {} merged, {runs} test run{}\n",
        batch.agents.len(),
        batch.agents.join(", "),
        batch.merged.len(),
        if runs == 1 { "" } else { "s" }
    );
    for set_aside in &batch.rejected {
        text.push_str(&format!(
            "  {} {} not merged: {}\n",
            style::bad().apply_to("✗"),
            style::name().apply_to(&set_aside.agent),
            set_aside.reason
        ));
        if let ops::Rejection::TestsFailed { tail, .. } = &set_aside.why
            && !tail.trim().is_empty()
        {
            for line in tail.lines() {
                text.push_str(&format!("      {line}\n"));
            }
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use git_agents::ops::{Criterion, QueueEntry};
    use git_agents::state::{PullRequest, Status};

    fn criteria(agent: &str, status: Status, unmet: &[(&'static str, &str)]) -> ops::Criteria {
        let mut all: Vec<Criterion> = [
            ("pr", "PR #7 open"),
            ("tests", "passed on 0123456789ab"),
            ("review", "scored 10/10"),
            ("approvals", "1 of 1 (ada)"),
            ("dependencies", "all merged"),
        ]
        .into_iter()
        .map(|(name, reason)| Criterion {
            name,
            ok: true,
            reason: reason.to_owned(),
        })
        .collect();
        for (name, reason) in unmet {
            let criterion = all.iter_mut().find(|c| c.name == *name).unwrap();
            criterion.ok = false;
            criterion.reason = (*reason).to_owned();
        }
        ops::Criteria {
            agent: agent.to_owned(),
            status,
            forge: "local".to_owned(),
            pr: Some(PullRequest {
                forge: "local".to_owned(),
                number: 7,
                url: String::new(),
                draft: false,
                queued: false,
            }),
            head: Some("0123456789abcdef0123456789abcdef01234567".to_owned()),
            ready: unmet.is_empty(),
            criteria: all,
        }
    }

    fn made_up_queue() -> QueueReport {
        QueueReport {
            base: "main".to_owned(),
            merged: vec!["db".to_owned()],
            entries: vec![
                QueueEntry {
                    position: 1,
                    phase: 2,
                    agent: "api".to_owned(),
                    criteria: criteria("api", Status::PrOpen, &[]),
                },
                QueueEntry {
                    position: 2,
                    phase: 3,
                    agent: "frontend".to_owned(),
                    criteria: criteria(
                        "frontend",
                        Status::Review,
                        &[
                            ("review", "scored 7/10; needs 10"),
                            ("dependencies", "waits for api"),
                        ],
                    ),
                },
            ],
        }
    }

    #[test]
    fn the_queue_lists_each_entry_with_what_it_still_needs() {
        console::set_colors_enabled(false);
        insta::assert_snapshot!(queue_text(&made_up_queue(), false), @"
        Merge queue into main (1 merged, 2 waiting)
         1. api       phase 2  pr_open      PR #7    ✓ ready
         2. frontend  phase 3  review       PR #7    ✗ 2 unmet
              ✗ review       scored 7/10; needs 10
              ✗ dependencies waits for api
        ");
    }

    #[test]
    fn an_empty_queue_says_so() {
        let empty = QueueReport {
            entries: Vec::new(),
            ..made_up_queue()
        };
        insta::assert_snapshot!(queue_text(&empty, false), @"The merge queue into main is empty (1 merged).");
    }

    #[test]
    fn every_criterion_of_one_agent() {
        console::set_colors_enabled(false);
        let one = criteria(
            "frontend",
            Status::Review,
            &[("tests", "failed on 0123456789ab")],
        );
        insta::assert_snapshot!(criteria_text(&one, "main", true), @"
        frontend → main (local forge, head 0123456789ab)
          ✓ pr           PR #7 open
          ✗ tests        failed on 0123456789ab
          ✓ review       scored 10/10
          ✓ approvals    1 of 1 (ada)
          ✓ dependencies all merged
        ");
    }
}
