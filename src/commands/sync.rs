//! `git agents sync`: share the state and notes through a git remote.

use crate::cli::exit;
use git_agents::Error;
use git_agents::ops::sync::{self, Action, RefSync};

use super::Context;
use crate::cli::output::style;

/// Share the state through a git remote: fetch, merge, push with a lease
///
/// Fetch the agents refs from REMOTE, merge them with ours (per document, per field;
/// true conflicts are reported), and push the result with a lease.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The remote, or a URL or path [default: origin]
    #[arg(value_name = "REMOTE")]
    pub remote: Option<String>,
}

/// Run `sync`.
pub fn run(args: &Args, ctx: &Context) -> Result<i32, Error> {
    let ws = ctx.workspace()?;
    let mut spinner = ctx.out.spinner("syncing the agents' state");
    let report = sync::sync(&ws, args.remote.as_deref(), &mut spinner)?;
    spinner.finish();
    if ctx.out.json(&report) {
        return Ok(exit::OK);
    }
    ctx.out.say(format!(
        "Synced with {}:\n  state  {}\n  notes  {}",
        style::name().apply_to(&report.remote),
        describe(&report.state, &report.remote),
        describe(&report.notes, &report.remote)
    ));
    let mut text = String::new();
    for conflict in &report.conflicts {
        text.push_str(&format!(
            "{} {}\n",
            style::warn().apply_to("conflict:"),
            conflict.describe()
        ));
    }
    if !report.conflicts.is_empty() {
        text.push_str(
            "Each conflict is also recorded in the merge commit's message (git agents log).\n",
        );
    }
    ctx.out.print(text);
    Ok(exit::OK)
}

fn describe(sync: &RefSync, remote: &str) -> String {
    let changed = if sync.changed.is_empty() {
        String::new()
    } else {
        format!(" ({} changed)", sync.changed.len())
    };
    let pushed = if sync.pushed { ", pushed" } else { "" };
    match sync.action {
        Action::Absent => "none on either side".to_owned(),
        Action::InSync => "already in sync".to_owned(),
        Action::Ahead => format!("ours was ahead{pushed}"),
        Action::TookRemote => format!("taken from {remote}"),
        Action::FastForwarded => format!("fast-forwarded to {remote}'s{changed}"),
        Action::Merged => format!("merged with {remote}'s{changed}{pushed}"),
    }
}
