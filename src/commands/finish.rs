//! `git agents finish`: clean up after a merge, or abandon an agent's work.

use crate::cli::exit;
use git_agents::Error;
use git_agents::ops::{self, FinishReport};

use super::Context;
use crate::cli::output::{self, style};

/// Remove a merged agent's worktree and branch and mark it completed
///
/// After an agent's work is merged: remove its worktree, delete its branch (squash merges
/// included) and mark it completed. With --abandon, drop work that will not merge.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The agent to finish [default: the agent whose worktree this is]
    #[arg(value_name = "AGENT")]
    pub agent: Option<String>,
    /// Finish every merged agent (with AGENT: only that one, and only if it is merged)
    #[arg(long)]
    pub merged: bool,
    /// Give the agent's work up: remove its worktree and branch and mark it abandoned
    #[arg(long, conflicts_with = "merged")]
    pub abandon: bool,
    /// Delete the branch even with commits base does not have (its tip is printed so it
    /// can be restored), and remove the worktree even with uncommitted work
    #[arg(long)]
    pub force: bool,
}

/// Run `finish`.
pub fn run(args: &Args, ctx: &Context) -> Result<i32, Error> {
    let ws = ctx.workspace()?;
    let out = ctx.out;
    if args.merged && args.agent.is_none() {
        let mut spinner = out.spinner("finishing merged agents");
        let results = ops::finish_merged(&ws, args.force, &mut spinner)?;
        spinner.finish();
        let mut code = exit::OK;
        let mut json = Vec::new();
        for (name, result) in &results {
            match result {
                Ok(report) => {
                    json.push(Finished {
                        agent: name,
                        finished: Some(report),
                        error: None,
                    });
                    say(report, ctx);
                }
                Err(err) => {
                    code = code.max(exit::code(err));
                    json.push(Finished {
                        agent: name,
                        finished: None,
                        error: Some(err.to_string()),
                    });
                    if !ctx.out.json {
                        output::error(None, &format!("{name}: {err}"), exit::code(err));
                    }
                }
            }
        }
        if results.is_empty() {
            ctx.out.say("No merged agent to finish.");
        }
        ctx.out.json(&FinishedAll { results: json });
        return Ok(code);
    }
    let name = ctx.agent(&ws, args.agent.as_deref())?;
    let name = name.as_str();
    let mut spinner = out.spinner(&format!("finishing {name}"));
    let report = ops::finish(&ws, name, args.abandon, args.force, &mut spinner)?;
    spinner.finish();
    if ctx.out.json(&report) {
        return Ok(exit::OK);
    }
    say(&report, ctx);
    Ok(exit::OK)
}

fn say(report: &FinishReport, ctx: &Context) {
    let verb = if report.status.as_str() == "abandoned" {
        style::warn().apply_to("Abandoned")
    } else {
        style::good().apply_to("Finished")
    };
    let mut parts = Vec::new();
    if report.removed_worktree.is_none() && report.deleted_branch.is_none() {
        parts.push("nothing left to clean up".to_owned());
    }
    if let Some(why) = &report.merged_because {
        parts.push(why.clone());
    }
    if report.teardown.as_ref().is_some_and(|run| run.passed) {
        parts.push("ran its teardown".to_owned());
    }
    if let Some(path) = &report.removed_worktree {
        parts.push(format!("removed {}", path.display()));
    }
    if let Some(ops::DeletedBranch {
        branch,
        commit: tip,
    }) = &report.deleted_branch
    {
        parts.push(format!(
            "deleted {branch} (was {})",
            &tip[..tip.len().min(12)]
        ));
    }
    let restore = report
        .deleted_branch
        .as_ref()
        .filter(|_| !report.discarded.is_empty())
        .map(|deleted| {
            format!(
                "{} commit{} not in base went with it; restore the branch with: git branch {} {}",
                report.discarded.len(),
                if report.discarded.len() == 1 { "" } else { "s" },
                deleted.branch,
                deleted.commit
            )
        });
    ctx.out.say(format!(
        "{verb} {}: {}",
        style::name().apply_to(&report.agent),
        parts.join(", ")
    ));
    if let Some(run) = report.teardown.as_ref().filter(|run| !run.passed) {
        ctx.out.say(
            style::warn()
                .apply_to(format!(
                    "The worktree was removed all the same (--force): {}",
                    git_agents::ops::hooks::failure(git_agents::config::Hook::Teardown, run)
                ))
                .to_string(),
        );
    }
    if let Some(restore) = restore {
        ctx.out.say(style::warn().apply_to(restore).to_string());
    }
    if !report.left_blocked.is_empty() {
        ctx.out.say(
            style::warn()
                .apply_to(format!(
                    "{} depend{} on it and stay blocked; change their dependencies with git agents edit {} --depends-on … (or git agents plan edit)",
                    report.left_blocked.join(", "),
                    if report.left_blocked.len() == 1 { "s" } else { "" },
                    report.left_blocked[0]
                ))
                .to_string(),
        );
    }
}

/// One agent of `finish --merged --json`: what finishing it did, or why it could not.
#[derive(serde::Serialize)]
struct Finished<'a> {
    agent: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    finished: Option<&'a ops::FinishReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// What `finish --merged --json` prints.
#[derive(serde::Serialize)]
struct FinishedAll<'a> {
    results: Vec<Finished<'a>>,
}
