//! `git agents doctor`: find drift between state, branches and worktrees, and repair it.

use crate::cli::exit;
use git_agents::Error;
use git_agents::ops::doctor::{self, Problem};

use super::Context;
use crate::cli::output::style;

/// Find and repair drift between state, branches and worktrees
///
/// Find drift between the state, the agents' branches and their worktrees (worktrees
/// deleted by hand, branches deleted or merged elsewhere, lock files left by killed
/// processes (with their age and any process holding them), wrong branches,
/// pull requests merged on the forge but open in the state, agents' commands left
/// running by a killed `run`).
/// Exits 1 while problems remain.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Repair what can be repaired and say what was done
    #[arg(long)]
    pub fix: bool,
}

/// Run `doctor`.
pub fn run(args: &Args, ctx: &Context) -> Result<i32, Error> {
    let ws = ctx.workspace()?;
    if !args.fix {
        let problems = doctor::diagnose(&ws)?;
        let code = i32::from(!problems.is_empty());
        if ctx.out.json(&doctor::Diagnosis {
            problems: &problems,
        }) {
            return Ok(code);
        }
        if problems.is_empty() {
            ctx.out
                .say("No drift: the state, branches and worktrees agree.");
            return Ok(exit::OK);
        }
        let mut text = String::new();
        for problem in &problems {
            text.push_str(&describe(problem));
        }
        let fixable = problems.iter().filter(|p| p.repair.is_some()).count();
        text.push_str(&format!(
            "\n{} problem{} found; {fixable} can be repaired with `git agents doctor --fix`.\n",
            problems.len(),
            if problems.len() == 1 { "" } else { "s" }
        ));
        ctx.out.print(text);
        return Ok(code);
    }
    let mut spinner = ctx.out.spinner("looking for drift");
    let report = doctor::repair(&ws, &mut spinner)?;
    spinner.finish();
    let code = i32::from(!report.remaining.is_empty());
    if ctx.out.json(&report) {
        return Ok(code);
    }
    if report.found.is_empty() {
        ctx.out
            .say("No drift: the state, branches and worktrees agree.");
        return Ok(exit::OK);
    }
    let mut text = String::new();
    for attempt in &report.attempts {
        match &attempt.error {
            None => text.push_str(&format!(
                "{} {}: {}\n",
                style::good().apply_to("fixed"),
                style::name().apply_to(&attempt.problem.agent),
                attempt.action
            )),
            Some(error) => text.push_str(&format!(
                "{} {}: {} ({error})\n",
                style::bad().apply_to("failed"),
                style::name().apply_to(&attempt.problem.agent),
                attempt.problem.message
            )),
        }
    }
    if report.remaining.is_empty() {
        text.push_str("All drift repaired.\n");
    } else {
        text.push_str("\nStill to do:\n");
        for problem in &report.remaining {
            text.push_str(&describe(problem));
        }
    }
    ctx.out.print(text);
    Ok(code)
}

fn describe(problem: &Problem) -> String {
    let mut text = format!(
        "{} {}: {}\n",
        style::warn().apply_to("✗"),
        style::name().apply_to(&problem.agent),
        problem.message
    );
    match (&problem.repair, &problem.advice) {
        (Some(repair), _) => text.push_str(&format!(
            "  {} {}\n",
            style::dim().apply_to("--fix:"),
            repair.describe()
        )),
        (None, Some(advice)) => {
            text.push_str(&format!("  {} {advice}\n", style::dim().apply_to("to do:")))
        }
        (None, None) => {}
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use git_agents::ops::doctor::{ProblemKind, Repair};

    #[test]
    fn a_problem_says_what_fix_would_do_or_what_a_person_should() {
        console::set_colors_enabled(false);
        let fixable = Problem {
            kind: ProblemKind::StaleLock,
            agent: "api".to_owned(),
            message: "its worktree is locked by process 4242, which is gone".to_owned(),
            repair: Some(Repair::Unlock {
                path: "worktrees/api".into(),
            }),
            advice: None,
        };
        let for_a_person = Problem {
            repair: None,
            advice: Some("look at worktrees/api and commit or remove what is there".to_owned()),
            ..fixable.clone()
        };
        insta::assert_snapshot!(describe(&fixable) + &describe(&for_a_person), @"
        ✗ api: its worktree is locked by process 4242, which is gone
          --fix: unlock worktree worktrees/api
        ✗ api: its worktree is locked by process 4242, which is gone
          to do: look at worktrees/api and commit or remove what is there
        ");
    }
}
