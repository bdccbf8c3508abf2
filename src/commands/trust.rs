//! `git agents trust`: see and accept the commands and paths the shared plan brought.

use crate::cli::exit;
use git_agents::Error;
use git_agents::ops::trust;

use super::Context;
use crate::cli::output::style;

/// Show or accept commands and paths that came with a sync or a clone
///
/// Commands (test, review, fix, setup, each agent's command) and paths (worktrees, copy
/// lists) that arrive in the shared plan by `sync` or in a clone are held until you
/// accept them here; git agents runs nothing a remote chose until then.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Accept what the shared plan says: with DIGEST (printed by `git agents trust`), only
    /// while it still says exactly what was shown
    #[arg(long, value_name = "DIGEST", num_args = 0..=1, default_missing_value = "")]
    pub accept: Option<String>,
}

/// Run `trust`.
pub fn run(args: &Args, ctx: &Context) -> Result<i32, Error> {
    let ws = ctx.workspace()?;
    let acceptance = match args.accept.as_deref() {
        None => trust::Acceptance::Show,
        Some("") => trust::Acceptance::Now,
        Some(digest) => trust::Acceptance::Shown(digest.to_owned()),
    };
    let report = trust::trust(&ws, &acceptance)?;
    if ctx.out.json(&report) {
        return Ok(exit::OK);
    }
    if report.changes.is_empty() {
        ctx.out
            .say("Everything the shared plan runs or places here is accepted.");
        return Ok(exit::OK);
    }
    let shown = |value: &Option<String>| value.clone().unwrap_or_else(|| "(none)".to_owned());
    let mut text = String::new();
    for change in &report.changes {
        text.push_str(&format!(
            "{}\n  accepted: {}\n  now:      {}\n",
            style::name().apply_to(&change.what),
            shown(&change.accepted),
            style::warn().apply_to(shown(&change.now))
        ));
    }
    ctx.out.print(text);
    if report.accepted {
        ctx.out.say(style::good().apply_to("Accepted.").to_string());
    } else {
        ctx.out.say(format!(
            "Nothing of this runs until you accept it: git agents trust --accept {}",
            report.digest
        ));
    }
    Ok(exit::OK)
}
