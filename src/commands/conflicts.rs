//! `git agents conflicts`: the conflict radar.

use git_agents::Error;
use git_agents::ops::conflicts::{self, PairReport};

use super::Context;
use crate::cli::output::style;

/// Predict merge conflicts between active branches and against base
///
/// Predict merge conflicts between every pair of active branches and each against base,
/// touching no worktree (needs git 2.38 or newer). Exits 1 when a conflict is predicted.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Run `conflicts`.
pub fn run(_args: &Args, ctx: &Context) -> Result<i32, Error> {
    let ws = ctx.workspace()?;
    let report = conflicts::check(&ws)?;
    let code = i32::from(report.pairs.iter().any(PairReport::conflicts));
    if ctx.out.json(&report) {
        return Ok(code);
    }
    let mut text = String::new();
    let count = report.branches.len();
    text.push_str(&format!(
        "Checked {count} active branch{} against {} and each other ({} merge{}).\n",
        if count == 1 { "" } else { "es" },
        report.base,
        report.pairs.len(),
        if report.pairs.len() == 1 { "" } else { "s" },
    ));
    for skipped in &report.skipped {
        text.push_str(&format!(
            "{} {}: {}\n",
            style::warn().apply_to("skipped"),
            style::name().apply_to(&skipped.agent),
            skipped.reason
        ));
    }
    let mut clean = 0;
    let mut overlapping = 0;
    let mut conflicting = 0;
    for pair in &report.pairs {
        let heading = format!(
            "{} ↔ {}",
            style::name().apply_to(&pair.a),
            style::name().apply_to(&pair.b)
        );
        if pair.conflicts() {
            conflicting += 1;
            text.push_str(&format!(
                "\n{} {heading}: {} conflicting file{}\n",
                style::bad().apply_to("✗"),
                pair.conflicts.len(),
                if pair.conflicts.len() == 1 { "" } else { "s" }
            ));
        } else if !pair.overlapping.is_empty() {
            overlapping += 1;
            text.push_str(&format!(
                "\n{} {heading}: merges clean, but both change {} file{}\n",
                style::warn().apply_to("!"),
                pair.overlapping.len(),
                if pair.overlapping.len() == 1 { "" } else { "s" }
            ));
        } else {
            clean += 1;
            if ctx.out.verbose {
                text.push_str(&format!(
                    "\n{} {heading}: clean\n",
                    style::good().apply_to("✓")
                ));
            }
            continue;
        }
        for file in &pair.conflicts {
            text.push_str(&format!(
                "    {} {file}\n",
                style::bad().apply_to("conflict")
            ));
        }
        for file in pair
            .overlapping
            .iter()
            .filter(|f| !pair.conflicts.contains(f))
        {
            text.push_str(&format!(
                "    {}     {file}\n",
                style::dim().apply_to("both")
            ));
        }
    }
    text.push_str(&format!(
        "\n{conflicting} conflicting, {overlapping} overlapping but clean, {clean} clean\n"
    ));
    if !report.at_risk.is_empty() {
        let risks: Vec<String> = report
            .at_risk
            .iter()
            .map(|(agent, with)| format!("{agent} (with {})", with.join(", ")))
            .collect();
        text.push_str(&format!(
            "{} {}\n",
            style::bad().apply_to("At risk:"),
            risks.join("; ")
        ));
    }
    ctx.out.print(text);
    Ok(code)
}
