//! The settings that decide how work is judged and merged: commands and merge criteria,
//! from the command line, `git config agents.*`, and the plan, in that order.

use crate::error::{Error, Result};
use crate::plan::{ForgeKind, MergeMethod, MergeSettings, Plan};
use crate::runner::CommandLine;

/// Which kind of command is wanted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommandKind {
    /// The test command.
    Test,
    /// The review command.
    Review,
    /// The command run between review iterations.
    Fix,
}

impl CommandKind {
    fn config_key(self) -> &'static str {
        match self {
            CommandKind::Test => "agents.testCommand",
            CommandKind::Review => "agents.reviewCommand",
            CommandKind::Fix => "agents.fixCommand",
        }
    }

    fn plan_key(self) -> &'static str {
        match self {
            CommandKind::Test => "test_command",
            CommandKind::Review => "review_command",
            CommandKind::Fix => "fix_command",
        }
    }

    fn in_plan(self, plan: &Plan) -> Option<&str> {
        match self {
            CommandKind::Test => plan.test_command.as_deref(),
            CommandKind::Review => plan.review_command.as_deref(),
            CommandKind::Fix => plan.fix_command.as_deref(),
        }
    }
}

/// The command of `kind`: the words after `--`, else `git config agents.<kind>Command`,
/// else the plan's; `None` when none is configured.
pub fn command(
    repo: &gix::Repository,
    plan: &Plan,
    kind: CommandKind,
    words: &[String],
) -> Option<CommandLine> {
    CommandLine::from_words(words)
        .or_else(|| {
            config_string(repo, kind.config_key()).and_then(|t| CommandLine::from_config(&t))
        })
        .or_else(|| kind.in_plan(plan).and_then(CommandLine::from_config))
}

/// The command of `kind`, or an error that says how to configure one.
pub fn required_command(
    repo: &gix::Repository,
    plan: &Plan,
    kind: CommandKind,
    words: &[String],
) -> Result<CommandLine> {
    command(repo, plan, kind, words).ok_or_else(|| {
        let what = match kind {
            CommandKind::Test => ("test", "cargo test"),
            CommandKind::Review => ("review", "./review.sh"),
            CommandKind::Fix => ("fix", "./fix.sh"),
        };
        Error::Usage(format!(
            "no {0} command configured; pass one after -- (git agents {0} -- {1}), or set it with `git config {2} \"{1}\"` or `{3} = \"{1}\"` in the plan",
            what.0,
            what.1,
            kind.config_key(),
            kind.plan_key(),
        ))
    })
}

/// The merge criteria: the plan's, with each `git config agents.*` value taking precedence.
pub fn merge_settings(repo: &gix::Repository, plan: &Plan) -> Result<MergeSettings> {
    let mut settings = plan.merge.clone();
    if let Some(method) = config_string(repo, "agents.mergeMethod") {
        settings.method = match method.trim().to_ascii_lowercase().as_str() {
            "squash" => MergeMethod::Squash,
            "merge" => MergeMethod::Merge,
            "rebase" => MergeMethod::Rebase,
            other => {
                return Err(Error::Usage(format!(
                    "git config agents.mergeMethod is {other:?}; use squash, merge or rebase"
                )));
            }
        };
    }
    if let Some(threshold) = config_count(repo, "agents.reviewThreshold")? {
        settings.review_threshold = threshold;
    }
    if let Some(approvals) = config_count(repo, "agents.approvals")? {
        settings.approvals = approvals;
    }
    if let Some(iterations) = config_count(repo, "agents.maxReviewIterations")? {
        settings.max_review_iterations = iterations;
    }
    if let Some(value) = config_string(repo, "agents.requireTests") {
        settings.require_tests = parse_bool(&value).ok_or_else(|| {
            Error::Usage(format!(
                "git config agents.requireTests is {value:?}; use true or false"
            ))
        })?;
    }
    Ok(settings)
}

/// The forge asked for by `git config agents.forge`, else by the plan; `None` means
/// "decide from the remote".
pub fn forge_kind(repo: &gix::Repository, plan: &Plan) -> Result<Option<ForgeKind>> {
    match config_string(repo, "agents.forge") {
        Some(value) => match value.trim().to_ascii_lowercase().as_str() {
            "github" => Ok(Some(ForgeKind::Github)),
            "local" => Ok(Some(ForgeKind::Local)),
            "" | "auto" => Ok(plan.forge),
            other => Err(Error::Usage(format!(
                "git config agents.forge is {other:?}; use github, local or auto"
            ))),
        },
        None => Ok(plan.forge),
    }
}

/// A string from git config, `None` when unset.
pub fn config_string(repo: &gix::Repository, key: &str) -> Option<String> {
    repo.config_snapshot().string(key).map(|v| v.to_string())
}

fn config_count(repo: &gix::Repository, key: &str) -> Result<Option<u32>> {
    let Some(text) = config_string(repo, key) else {
        return Ok(None);
    };
    text.trim().parse::<u32>().map(Some).map_err(|_| {
        Error::Usage(format!(
            "git config {key} is {text:?}; use a whole number like 1 or 10"
        ))
    })
}

fn parse_bool(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "on" | "1" => Some(true),
        "false" | "no" | "off" | "0" => Some(false),
        _ => None,
    }
}
