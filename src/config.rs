//! Settings people set with `git config agents.*` (the base branch, the worktrees
//! directory, the forge, the commands, the merge criteria, provisioning and lock ages),
//! resolved with one precedence everywhere: command-line flag > git config > plan >
//! built-in default. This is the one module that reads them; everything else asks it.

use serde::Serialize;

use crate::plan::{DEFAULT_WORKTREES_DIR, ForgeKind, MergeMethod, MergeSettings, Plan};
use crate::process::runner::CommandLine;

/// A setting that is missing or can't be used; the message names the key and the fix.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(String);

/// Shorthand for results of reading settings.
pub type Result<T, E = ConfigError> = std::result::Result<T, E>;

/// The git config key for the branch agents start from and merge into.
pub const BASE: &str = "agents.base";
/// The git config key for where pull requests are opened and merged (`github` or `local`).
pub const FORGE: &str = "agents.forge";
/// The git config key for the command that tests an agent's work.
pub const TEST_COMMAND: &str = "agents.testCommand";
/// The git config key for the command that reviews an agent's work.
pub const REVIEW_COMMAND: &str = "agents.reviewCommand";
/// The git config key for where agent worktrees go, relative to the main worktree.
pub const WORKTREES_DIR: &str = "agents.worktreesDir";
/// The git config key for the command run between review iterations.
pub const FIX_COMMAND: &str = "agents.fixCommand";
/// The git config key for how PRs merge (`squash`, `merge` or `rebase`).
pub const MERGE_METHOD: &str = "agents.mergeMethod";
/// The git config key for whether tests must pass before a merge.
pub const REQUIRE_TESTS: &str = "agents.requireTests";
/// The git config key for whether every task must be done before a merge.
pub const REQUIRE_TASKS_DONE: &str = "agents.requireTasksDone";
/// The git config key for the lowest review score that may merge.
pub const REVIEW_THRESHOLD: &str = "agents.reviewThreshold";
/// The git config key for how many review iterations `review` runs at most.
pub const MAX_REVIEW_ITERATIONS: &str = "agents.maxReviewIterations";
/// The git config key for how many approvals a merge needs.
pub const APPROVALS: &str = "agents.approvals";

/// The git config key for files copied from the main worktree into each new worktree.
pub const COPY: &str = "agents.copy";
/// The git config key for the command run once in each new worktree.
pub const SETUP: &str = "agents.setup";
/// The git config key for the command run in a worktree before `finish` removes it.
pub const TEARDOWN: &str = "agents.teardown";
/// The git config key for the command run in an agent's worktree before its work merges.
pub const PRE_MERGE: &str = "agents.preMerge";
/// The git config key for the command run in the main worktree after an agent merged.
pub const POST_MERGE: &str = "agents.postMerge";
/// The git config key for the first port handed to agents.
pub const PORT_BASE: &str = "agents.portBase";
/// The git config key for how old, in seconds, a lock file must be to count as abandoned.
pub const STALE_LOCK_SECONDS: &str = "agents.staleLockSeconds";
/// The git config key for whether `run` runs each agent in a tmux window.
pub const TMUX: &str = "agents.tmux";
/// The git config key for how long an agent reading its terminal must print nothing to
/// count as waiting for input.
pub const WAITING_SECONDS: &str = "agents.waitingSeconds";
/// The git config key for the command run when an agent waits for input.
pub const NOTIFY_COMMAND: &str = "agents.notifyCommand";
/// The git config section whose keys name coding-agent programs: `agents.cli.NAME`.
pub const CLI_SECTION: &str = "agents.cli";
/// The git config key for how often `run` asks whether a PR in GitHub's merge queue merged.
pub const MERGE_QUEUE_POLL_SECONDS: &str = "agents.mergeQueuePollSeconds";
/// The git config key for the remote a run shares its fleet through.
pub const REMOTE: &str = "agents.remote";
/// The git config key for how long a claim on an agent lasts unless renewed.
pub const LEASE_SECONDS: &str = "agents.leaseSeconds";
/// The git config key for how often a run renews its claims and shares its state.
pub const RENEW_SECONDS: &str = "agents.renewSeconds";
/// The git config key for the name this machine goes by in a shared fleet.
pub const MACHINE_NAME: &str = "agents.machineName";
/// The git config key for the hours in a day of estimate when a plan is imported.
pub const HOURS_PER_DAY: &str = "agents.hoursPerDay";
/// The git config key for the hours in a story point when a plan is imported.
pub const HOURS_PER_POINT: &str = "agents.hoursPerPoint";

/// One `agents.*` key: its name and what the manual says of it.
#[derive(Debug, Clone, Copy)]
pub struct Key {
    /// The key as git config spells it.
    pub name: &'static str,
    /// What it sets, its values and its default, as the manual prints it.
    pub doc: &'static str,
}

/// Every key git-agents reads, in the order the manual lists them. The manual's
/// CONFIGURATION section is rendered from this table, and a test keeps every `agents.*`
/// name the code uses in it.
pub const KEYS: &[Key] = &[
    Key {
        name: BASE,
        doc: "The branch agents start from and merge into. Default: the branch checked out in the main worktree when the plan is imported. Read by init (--base overrides it).",
    },
    Key {
        name: WORKTREES_DIR,
        doc: "Where agent worktrees go, relative to the main worktree unless absolute. Default: worktrees. Read by init (--worktrees-dir overrides it), where it also moves the agents the plan places in its own worktrees directory, and by add for agents without --worktree.",
    },
    Key {
        name: FORGE,
        doc: "Where pull requests are opened and merged: github (through gh) or local (merges made by git agents into the base branch). Default: github when origin is on GitHub, local otherwise.",
    },
    Key {
        name: TEST_COMMAND,
        doc: "The command that tests an agent's work, run in its worktree. Default: none.",
    },
    Key {
        name: REVIEW_COMMAND,
        doc: "The command that reviews an agent's work and prints a score. Default: none.",
    },
    Key {
        name: FIX_COMMAND,
        doc: "The command run in the agent's worktree between review iterations, to act on the review. Default: none.",
    },
    Key {
        name: MERGE_METHOD,
        doc: "How pull requests merge: squash (one commit per agent on base), merge or rebase. Default: the plan's, else squash.",
    },
    Key {
        name: REQUIRE_TESTS,
        doc: "Whether tests must pass before an agent merges: true or false. With GitHub, on its head commit; on the local forge, on its work merged onto base, which every local merge tests (a run on the head alone counts when recorded). Default: the plan's, else true.",
    },
    Key {
        name: REQUIRE_TASKS_DONE,
        doc: "Whether every task of an agent must be marked done (git agents task done N) before it merges: true or false. Default: the plan's, else true.",
    },
    Key {
        name: REVIEW_THRESHOLD,
        doc: "The lowest review score out of 10 that may merge; 0 turns the review criterion off. Default: the plan's, else 10.",
    },
    Key {
        name: MAX_REVIEW_ITERATIONS,
        doc: "How many iterations git agents review runs at most. Default: the plan's, else 5.",
    },
    Key {
        name: APPROVALS,
        doc: "How many approvals an agent's head commit needs before it merges. Default: the plan's, else 1.",
    },
    Key {
        name: COPY,
        doc: "A file or directory, relative to the main worktree, copied into each new worktree (set it once per path with git config --add). Added to the plan's copy list. Default: none.",
    },
    Key {
        name: SETUP,
        doc: "A command run once in each new worktree after the copies, with its output in the agent's setup log. Default: the plan's setup, else none.",
    },
    Key {
        name: TEARDOWN,
        doc: "A command run in an agent's worktree just before git agents finish removes it (stop its services, drop its database); when it fails the worktree stays, unless --force. Default: the plan's teardown, else none.",
    },
    Key {
        name: PRE_MERGE,
        doc: "A command run in an agent's worktree, at the head being merged, before its work merges; the merge waits for it to pass. Default: the plan's pre-merge, else none.",
    },
    Key {
        name: POST_MERGE,
        doc: "A command run in the main worktree after an agent's work merged (deploy, notify); a failure is reported and undoes nothing. Default: the plan's post-merge, else none.",
    },
    Key {
        name: PORT_BASE,
        doc: "The first port handed out: each active agent gets its own port from here, as GIT_AGENTS_PORT. Default: the plan's, else none.",
    },
    Key {
        name: HOURS_PER_DAY,
        doc: "How many hours a day of estimate is when a plan is imported (2d, 3 days). Default: 8.",
    },
    Key {
        name: HOURS_PER_POINT,
        doc: "How many hours a story point is when a plan is imported (5 SP, 3 points); unset, estimates in points are read as no estimate, with a warning. Default: unset.",
    },
    Key {
        name: TMUX,
        doc: "Whether git agents run starts each agent's command in a window of its own in a tmux session named after the repository, as --tmux does: true or false. Default: false.",
    },
    Key {
        name: WAITING_SECONDS,
        doc: "How many seconds an agent that is reading its terminal must print nothing before it is shown as waiting for input. Default: 5.",
    },
    Key {
        name: REMOTE,
        doc: "The remote git agents run shares its fleet through, as --remote does: agents are claimed there before they are launched, branches and base are pushed there. Default: none (the fleet is this clone's alone).",
    },
    Key {
        name: LEASE_SECONDS,
        doc: "How many seconds a claim on an agent lasts when its machine stops renewing it; after that another machine's run takes the agent over. Default: 300.",
    },
    Key {
        name: RENEW_SECONDS,
        doc: "How often, in seconds, a run sharing a fleet renews its claims, pushes its agents' branches and shares its state. Default: a third of the lease.",
    },
    Key {
        name: MACHINE_NAME,
        doc: "The name this clone goes by in a shared fleet's claims, status and audit log. Default: the host name.",
    },
    Key {
        name: NOTIFY_COMMAND,
        doc: "A command git agents run runs when an agent starts waiting for input, with GIT_AGENTS_AGENT and GIT_AGENTS_QUESTION (the last lines of its screen) in its environment. Default: none.",
    },
    Key {
        name: "agents.cli.<name>",
        doc: "The command line run --agent-cli NAME (or an agent's cli in the plan) launches, with {prompt} for the agent's brief and the placeholders of run's commands; adds to the built-in claude, codex, gemini, aider and opencode, or replaces one. Default: none.",
    },
    Key {
        name: MERGE_QUEUE_POLL_SECONDS,
        doc: "How often, in seconds, git agents run asks GitHub whether a PR waiting in its merge queue has merged. Default: 30.",
    },
    Key {
        name: STALE_LOCK_SECONDS,
        doc: "How old, in whole seconds, a lock file must be before a write takes it as left by a killed process and removes it. Default: 10.",
    },
];

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
    /// The git config key that sets it.
    pub fn config_key(self) -> &'static str {
        match self {
            CommandKind::Test => TEST_COMMAND,
            CommandKind::Review => REVIEW_COMMAND,
            CommandKind::Fix => FIX_COMMAND,
        }
    }

    /// The plan key that sets it.
    pub fn plan_key(self) -> &'static str {
        match self {
            CommandKind::Test => "test_command",
            CommandKind::Review => "review_command",
            CommandKind::Fix => "fix_command",
        }
    }

    /// What it is called, and an example of one.
    fn example(self) -> (&'static str, &'static str) {
        match self {
            CommandKind::Test => ("test", "cargo test"),
            CommandKind::Review => ("review", "./review.sh"),
            CommandKind::Fix => ("fix", "./fix.sh"),
        }
    }
}

/// Where a resolved value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// A command-line flag.
    Flag,
    /// git config (any scope git reads: `-c`, worktree, local, global, system).
    GitConfig,
    /// The plan in the state ref (or the plan file being imported).
    Plan,
    /// The built-in default.
    Default,
}

/// A resolved value and where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Setting<T> {
    /// The value in force.
    pub value: T,
    /// Which layer supplied it.
    pub source: Source,
}

/// One value per setting from a single layer; `None` where that layer says nothing.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Layer {
    /// The base branch.
    pub base: Option<String>,
    /// The forge.
    pub forge: Option<ForgeKind>,
    /// The test command.
    pub test_command: Option<String>,
    /// The review command.
    pub review_command: Option<String>,
    /// The worktrees directory.
    pub worktrees_dir: Option<String>,
    /// The fix command.
    pub fix_command: Option<String>,
    /// How PRs merge.
    pub merge_method: Option<MergeMethod>,
    /// Whether tests must pass.
    pub require_tests: Option<bool>,
    /// Whether every task must be done.
    pub require_tasks_done: Option<bool>,
    /// The lowest review score that may merge.
    pub review_threshold: Option<u32>,
    /// Review iterations at most.
    pub max_review_iterations: Option<u32>,
    /// Approvals needed.
    pub approvals: Option<u32>,
}

impl Layer {
    /// The `agents.*` values git config sets for `repo`; an unusable value is an error
    /// naming the key and how to fix it.
    pub fn from_git_config(repo: &gix::Repository) -> Result<Layer> {
        let config = GitConfig::open(repo);
        Ok(Layer {
            base: config.string(BASE),
            forge: config.forge()?,
            test_command: config.string(TEST_COMMAND),
            review_command: config.string(REVIEW_COMMAND),
            worktrees_dir: config.string(WORKTREES_DIR),
            ..config.merge_layer()?
        })
    }

    /// The values a plan sets.
    pub fn from_plan(plan: &Plan) -> Layer {
        Layer {
            base: plan.base.clone(),
            forge: plan.forge,
            test_command: plan.test_command.clone(),
            review_command: plan.review_command.clone(),
            worktrees_dir: Some(plan.worktrees_dir.clone()),
            fix_command: plan.fix_command.clone(),
            merge_method: Some(plan.merge.method),
            require_tests: Some(plan.merge.require_tests),
            require_tasks_done: Some(plan.merge.require_tasks_done),
            review_threshold: Some(plan.merge.review_threshold),
            max_review_iterations: Some(plan.merge.max_review_iterations),
            approvals: Some(plan.merge.approvals),
        }
    }
}

/// The value git config gives `key` (`agents.worktreesDir`), trimmed; `None` when unset or blank.
pub fn git_config_string(repo: &gix::Repository, key: &str) -> Option<String> {
    GitConfig::open(repo).string(key)
}

/// The command of `kind`: the words after `--`, else git config's, else the plan's;
/// `None` when none is configured.
pub fn command(
    repo: &gix::Repository,
    plan: &Plan,
    kind: CommandKind,
    words: &[String],
) -> Option<CommandLine> {
    if let Some(command) = CommandLine::from_words(words) {
        return Some(command);
    }
    let config = GitConfig::open(repo);
    let git = Layer {
        test_command: config.string(TEST_COMMAND),
        review_command: config.string(REVIEW_COMMAND),
        fix_command: config.string(FIX_COMMAND),
        ..Layer::default()
    };
    let settings = Settings::from_layers(&Layer::default(), &git, &Layer::from_plan(plan));
    settings
        .command(kind)
        .value
        .as_deref()
        .and_then(CommandLine::from_config)
}

/// The command of `kind`, or an error that says how to configure one.
pub fn required_command(
    repo: &gix::Repository,
    plan: &Plan,
    kind: CommandKind,
    words: &[String],
) -> Result<CommandLine> {
    command(repo, plan, kind, words).ok_or_else(|| {
        let (what, example) = kind.example();
        ConfigError(format!(
            "no {what} command configured; pass one after -- (git agents {what} -- {example}), or set it with `git config {} \"{example}\"` or `{} = \"{example}\"` in the plan",
            kind.config_key(),
            kind.plan_key(),
        ))
    })
}

/// The merge criteria: each from git config, else the plan.
pub fn merge_settings(repo: &gix::Repository, plan: &Plan) -> Result<MergeSettings> {
    let git = GitConfig::open(repo).merge_layer()?;
    Ok(Settings::from_layers(&Layer::default(), &git, &Layer::from_plan(plan)).merge_settings())
}

/// The forge asked for by git config, else by the plan; `None` means "decide from the
/// remote".
pub fn forge_kind(repo: &gix::Repository, plan: &Plan) -> Result<Option<ForgeKind>> {
    let git = Layer {
        forge: GitConfig::open(repo).forge()?,
        ..Layer::default()
    };
    Ok(
        Settings::from_layers(&Layer::default(), &git, &Layer::from_plan(plan))
            .forge
            .value,
    )
}

/// The paths `agents.copy` lists, in the order git config gives them, blanks left out.
pub fn copy_paths(repo: &gix::Repository) -> Vec<String> {
    GitConfig::open(repo).strings(COPY)
}

/// A command run at a point of an agent's life, with the same placeholders and
/// environment as `run`'s commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Hook {
    /// Once in each new worktree.
    Setup,
    /// In a worktree, just before `finish` removes it.
    Teardown,
    /// In an agent's worktree before its work merges.
    PreMerge,
    /// In the main worktree after an agent's work merged.
    PostMerge,
}

impl Hook {
    /// Its name in logs and messages: `setup`, `teardown`, `pre-merge`, `post-merge`.
    pub fn name(self) -> &'static str {
        match self {
            Hook::Setup => "setup",
            Hook::Teardown => "teardown",
            Hook::PreMerge => "pre-merge",
            Hook::PostMerge => "post-merge",
        }
    }

    /// The git config key that sets it.
    pub fn config_key(self) -> &'static str {
        match self {
            Hook::Setup => SETUP,
            Hook::Teardown => TEARDOWN,
            Hook::PreMerge => PRE_MERGE,
            Hook::PostMerge => POST_MERGE,
        }
    }

    /// The plan's command for it.
    pub fn in_plan(self, plan: &Plan) -> Option<&str> {
        match self {
            Hook::Setup => plan.setup.as_deref(),
            Hook::Teardown => plan.teardown.as_deref(),
            Hook::PreMerge => plan.pre_merge.as_deref(),
            Hook::PostMerge => plan.post_merge.as_deref(),
        }
        .filter(|c| !c.trim().is_empty())
    }
}

/// Where a hook's command comes from: this machine's git config runs as it is; the
/// plan's runs only once this machine accepted it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HookSource {
    /// `agents.<hook>` in git config.
    GitConfig(String),
    /// The shared plan.
    Plan(String),
}

impl HookSource {
    /// The command.
    pub fn command(&self) -> &str {
        match self {
            HookSource::GitConfig(command) | HookSource::Plan(command) => command,
        }
    }
}

/// The command for `hook`: `agents.<hook>` when set and not blank, else the plan's.
pub fn hook_command(repo: &gix::Repository, plan: &Plan, hook: Hook) -> Option<HookSource> {
    if let Some(command) = GitConfig::open(repo).string(hook.config_key()) {
        return Some(HookSource::GitConfig(command));
    }
    hook.in_plan(plan)
        .map(|command| HookSource::Plan(command.to_owned()))
}

/// `agents.portBase`: a port from 1 to 65535, `None` when unset.
pub fn port_base(repo: &gix::Repository) -> Result<Option<u16>> {
    let Some(text) = GitConfig::open(repo).string(PORT_BASE) else {
        return Ok(None);
    };
    text.parse::<u16>()
        .ok()
        .filter(|port| *port > 0)
        .map(Some)
        .ok_or_else(|| {
            ConfigError(format!(
                "git config {PORT_BASE} is {text:?}; set it to a port from 1 to 65535"
            ))
        })
}

/// How long a day and a story point of estimate are when plans are imported:
/// `agents.hoursPerDay` (default 8) and `agents.hoursPerPoint` (default none).
pub fn estimate_rates(repo: &gix::Repository) -> Result<crate::plan::Rates> {
    let config = GitConfig::open(repo);
    let hours = |key: &str| -> Result<Option<f64>> {
        let Some(text) = config.string(key) else {
            return Ok(None);
        };
        text.trim()
            .parse::<f64>()
            .ok()
            .filter(|h| h.is_finite() && *h > 0.0 && *h <= 24.0 * 7.0)
            .map(Some)
            .ok_or_else(|| {
                ConfigError(format!(
                    "git config {key} is {text:?}; set it to a number of hours such as 8 or 2.5"
                ))
            })
    };
    let mut rates = crate::plan::Rates {
        point_setting: Some(HOURS_PER_POINT),
        ..crate::plan::Rates::default()
    };
    if let Some(day) = hours(HOURS_PER_DAY)? {
        rates.hours_per_day = day;
    }
    rates.hours_per_point = hours(HOURS_PER_POINT)?;
    Ok(rates)
}

/// How old a lock file must be in `repo` before a write takes it as abandoned:
/// `agents.staleLockSeconds`, else [`DEFAULT_STALE_LOCK_AGE`].
pub fn stale_lock_age(repo: &gix::Repository) -> std::time::Duration {
    stale_lock_age_from(GitConfig::open(repo).string(STALE_LOCK_SECONDS).as_deref())
}

/// The lock age an `agents.staleLockSeconds` value gives (for callers that read git
/// config through the git program): whole seconds, else the default.
pub fn stale_lock_age_from(value: Option<&str>) -> std::time::Duration {
    value
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map_or(DEFAULT_STALE_LOCK_AGE, std::time::Duration::from_secs)
}

/// The coding-agent programs `run --agent-cli NAME` knows without configuration, each as
/// the command line that works from a prompt without asking anything, `{prompt}` standing
/// for the agent's brief.
pub const AGENT_CLIS: &[(&str, &str)] = &[
    ("claude", "claude -p {prompt} --permission-mode acceptEdits"),
    ("codex", "codex exec --full-auto {prompt}"),
    ("gemini", "gemini --yolo -p {prompt}"),
    ("aider", "aider --yes-always --message {prompt}"),
    ("opencode", "opencode run {prompt}"),
];

/// What `{prompt}` becomes: the agent's brief, read when its command starts.
pub const PROMPT: &str = "\"$(git agents brief)\"";

/// The command line for coding-agent program `name`: `agents.cli.NAME` from git config,
/// else the built-in entry, `{prompt}` filled in; an error naming the known ones.
pub fn agent_cli(repo: &gix::Repository, name: &str) -> Result<String> {
    let configured = GitConfig::open(repo).string(&format!("{CLI_SECTION}.{name}"));
    let template = configured.or_else(|| {
        AGENT_CLIS
            .iter()
            .find(|(known, _)| *known == name)
            .map(|(_, command)| (*command).to_owned())
    });
    let Some(template) = template else {
        let known: Vec<&str> = AGENT_CLIS.iter().map(|(known, _)| *known).collect();
        return Err(ConfigError(format!(
            "no coding-agent program is called {name:?}; use one of {}, or add it with git config {CLI_SECTION}.{name} 'PROGRAM ARGS {{prompt}}'",
            known.join(", ")
        )));
    };
    Ok(template.replace("{prompt}", PROMPT))
}

/// `agents.waitingSeconds`: how long a quiet agent reading its terminal takes to count
/// as waiting for input; 5 seconds unless set.
pub fn waiting_after(repo: &gix::Repository) -> std::time::Duration {
    GitConfig::open(repo)
        .string(WAITING_SECONDS)
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map_or(
            std::time::Duration::from_secs(5),
            std::time::Duration::from_secs,
        )
}

/// `agents.remote`, when set and not blank.
pub fn fleet_remote(repo: &gix::Repository) -> Option<String> {
    GitConfig::open(repo)
        .string(REMOTE)
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// How long a claim lasts unless renewed: `agents.leaseSeconds` (fractions allowed), else
/// five minutes.
pub fn lease(repo: &gix::Repository) -> std::time::Duration {
    seconds(repo, LEASE_SECONDS).unwrap_or(std::time::Duration::from_secs(300))
}

/// How often claims are renewed: `agents.renewSeconds`, else a third of the lease.
pub fn renew_every(repo: &gix::Repository) -> std::time::Duration {
    seconds(repo, RENEW_SECONDS).unwrap_or_else(|| lease(repo) / 3)
}

/// `agents.machineName`, when set and not blank.
pub fn machine_name(repo: &gix::Repository) -> Option<String> {
    GitConfig::open(repo)
        .string(MACHINE_NAME)
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// A positive number of seconds (fractions allowed) under `key`.
fn seconds(repo: &gix::Repository, key: &str) -> Option<std::time::Duration> {
    GitConfig::open(repo)
        .string(key)
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|v| v.is_finite() && *v > 0.0)
        .map(std::time::Duration::from_secs_f64)
}

/// `agents.notifyCommand`, when set and not blank.
pub fn notify_command(repo: &gix::Repository) -> Option<String> {
    GitConfig::open(repo).string(NOTIFY_COMMAND)
}

/// `agents.tmux`: whether `run` starts agents in tmux windows.
pub fn tmux(repo: &gix::Repository) -> Result<bool> {
    match GitConfig::open(repo).string(TMUX) {
        None => Ok(false),
        Some(text) => parse_bool(&text).ok_or_else(|| {
            ConfigError(format!(
                "git config {TMUX} is {text:?}; set it to true or false"
            ))
        }),
    }
}

/// How often `run` asks whether a PR in GitHub's merge queue merged: whole seconds from
/// `agents.mergeQueuePollSeconds`, else 30.
pub fn merge_queue_poll(repo: &gix::Repository) -> std::time::Duration {
    GitConfig::open(repo)
        .string(MERGE_QUEUE_POLL_SECONDS)
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map_or(
            std::time::Duration::from_secs(30),
            std::time::Duration::from_secs,
        )
}

/// How old a lock file must be before it is taken as left by a killed process, unless
/// `agents.staleLockSeconds` says otherwise.
pub const DEFAULT_STALE_LOCK_AGE: std::time::Duration = std::time::Duration::from_secs(10);

/// git config as git-agents reads it: `git -c` values first, then the config files.
struct GitConfig<'r> {
    command_line: Vec<(String, Option<String>)>,
    snapshot: gix::config::Snapshot<'r>,
}

impl<'r> GitConfig<'r> {
    fn open(repo: &'r gix::Repository) -> GitConfig<'r> {
        GitConfig {
            command_line: command_line_config(),
            snapshot: repo.config_snapshot(),
        }
    }

    /// `key`, trimmed; `None` when unset or blank.
    fn string(&self, key: &str) -> Option<String> {
        lookup(&self.command_line, &self.snapshot, key)
    }

    /// Every value of a key that may be given many times: the config files' in order,
    /// then `git -c`'s, as `git config --get-all` lists them; trimmed, blanks left out.
    fn strings(&self, key: &str) -> Vec<String> {
        let from_files = self
            .snapshot
            .strings(key)
            .unwrap_or_default()
            .into_iter()
            .map(|v| v.to_string());
        let from_command_line = self
            .command_line
            .iter()
            .filter(|(name, _)| name.eq_ignore_ascii_case(key))
            .filter_map(|(_, value)| value.clone());
        from_files
            .chain(from_command_line)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
            .collect()
    }

    /// `agents.forge`; `auto` means unset.
    fn forge(&self) -> Result<Option<ForgeKind>> {
        let Some(text) = self.string(FORGE) else {
            return Ok(None);
        };
        if text.eq_ignore_ascii_case("auto") {
            return Ok(None);
        }
        parse_forge(&text).map(Some).ok_or_else(|| {
            ConfigError(format!(
                "git config {FORGE} is {text:?}; set it to github, local or auto (git config {FORGE} local) or unset it (git config --unset {FORGE})"
            ))
        })
    }

    /// The merge criteria git config sets.
    fn merge_layer(&self) -> Result<Layer> {
        let merge_method = match self.string(MERGE_METHOD) {
            None => None,
            Some(text) => Some(match text.to_ascii_lowercase().as_str() {
                "squash" => MergeMethod::Squash,
                "merge" => MergeMethod::Merge,
                "rebase" => MergeMethod::Rebase,
                other => {
                    return Err(ConfigError(format!(
                        "git config {MERGE_METHOD} is {other:?}; use squash, merge or rebase"
                    )));
                }
            }),
        };
        let require_tests = match self.string(REQUIRE_TESTS) {
            None => None,
            Some(text) => Some(parse_bool(&text).ok_or_else(|| {
                ConfigError(format!(
                    "git config {REQUIRE_TESTS} is {text:?}; use true or false"
                ))
            })?),
        };
        let require_tasks_done = match self.string(REQUIRE_TASKS_DONE) {
            None => None,
            Some(text) => Some(parse_bool(&text).ok_or_else(|| {
                ConfigError(format!(
                    "git config {REQUIRE_TASKS_DONE} is {text:?}; use true or false"
                ))
            })?),
        };
        Ok(Layer {
            fix_command: self.string(FIX_COMMAND),
            merge_method,
            require_tests,
            require_tasks_done,
            review_threshold: self.count(REVIEW_THRESHOLD)?,
            max_review_iterations: self.count(MAX_REVIEW_ITERATIONS)?,
            approvals: self.count(APPROVALS)?,
            ..Layer::default()
        })
    }

    /// A whole number.
    fn count(&self, key: &str) -> Result<Option<u32>> {
        let Some(text) = self.string(key) else {
            return Ok(None);
        };
        text.parse::<u32>().map(Some).map_err(|_| {
            ConfigError(format!(
                "git config {key} is {text:?}; use a whole number like 1 or 10"
            ))
        })
    }
}

fn parse_bool(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "on" | "1" => Some(true),
        "false" | "no" | "off" | "0" => Some(false),
        _ => None,
    }
}

/// `key` from `git -c` first (the last one given wins), then from the config files.
fn lookup(
    command_line: &[(String, Option<String>)],
    config: &gix::config::Snapshot<'_>,
    key: &str,
) -> Option<String> {
    let from_command_line = command_line
        .iter()
        .rev()
        .find(|(name, _)| name.eq_ignore_ascii_case(key))
        .and_then(|(_, value)| value.clone());
    from_command_line
        .or_else(|| config.string(key).map(|v| v.to_string()))
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// The settings `git -c KEY=VALUE` passes to the commands it runs (in
/// `GIT_CONFIG_PARAMETERS`), which gix does not read by itself.
fn command_line_config() -> Vec<(String, Option<String>)> {
    std::env::var("GIT_CONFIG_PARAMETERS")
        .map(|text| parse_config_parameters(&text))
        .unwrap_or_default()
}

/// Parse git's shell-quoted `GIT_CONFIG_PARAMETERS`: `'key'='value'` pairs (git 2.31
/// and later) or `'key=value'` words (older git); a key without a value maps to `None`.
/// Parsing stops at the first malformed word, keeping what came before it.
pub fn parse_config_parameters(text: &str) -> Vec<(String, Option<String>)> {
    let mut pairs = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.peek().is_none() {
            return pairs;
        }
        let Some(word) = quoted_word(&mut chars) else {
            return pairs;
        };
        if chars.next_if_eq(&'=').is_some() {
            let value = if chars.peek() == Some(&'\'') {
                match quoted_word(&mut chars) {
                    Some(value) => value,
                    None => return pairs,
                }
            } else {
                String::new()
            };
            pairs.push((word, Some(value)));
        } else {
            match word.split_once('=') {
                Some((key, value)) => pairs.push((key.to_owned(), Some(value.to_owned()))),
                None => pairs.push((word, None)),
            }
        }
    }
}

/// One single-quoted word, where `'\''` and `'\!'` stand for `'` and `!`.
fn quoted_word(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Option<String> {
    if chars.next()? != '\'' {
        return None;
    }
    let mut word = String::new();
    loop {
        match chars.next()? {
            '\'' => {
                if chars.next_if_eq(&'\\').is_none() {
                    return Some(word);
                }
                word.push(chars.next()?);
                if chars.next()? != '\'' {
                    return None;
                }
            }
            c => word.push(c),
        }
    }
}

/// `github` or `local`, in any case.
pub fn parse_forge(text: &str) -> Option<ForgeKind> {
    match text.trim().to_ascii_lowercase().as_str() {
        "github" => Some(ForgeKind::Github),
        "local" => Some(ForgeKind::Local),
        _ => None,
    }
}

/// Every setting resolved: flag > git config > plan > default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Settings {
    /// The base branch; `None` means the branch checked out in the main worktree.
    pub base: Setting<Option<String>>,
    /// The forge; `None` means GitHub when `origin` is on GitHub, else local merges.
    pub forge: Setting<Option<ForgeKind>>,
    /// The test command; `None` means there is none.
    pub test_command: Setting<Option<String>>,
    /// The review command; `None` means there is none.
    pub review_command: Setting<Option<String>>,
    /// Where agent worktrees go, relative to the main worktree unless absolute.
    pub worktrees_dir: Setting<String>,
    /// The fix command; `None` means there is none.
    pub fix_command: Setting<Option<String>>,
    /// How PRs merge.
    pub merge_method: Setting<MergeMethod>,
    /// Whether tests must pass before a merge.
    pub require_tests: Setting<bool>,
    /// Whether every task must be done before a merge.
    pub require_tasks_done: Setting<bool>,
    /// The lowest review score that may merge; 0 turns the review criterion off.
    pub review_threshold: Setting<u32>,
    /// How many review iterations `review` runs at most.
    pub max_review_iterations: Setting<u32>,
    /// Approvals needed on the head commit.
    pub approvals: Setting<u32>,
}

impl Settings {
    /// Resolve every setting from the layers, highest precedence first.
    pub fn from_layers(flags: &Layer, git_config: &Layer, plan: &Layer) -> Settings {
        let layers = [
            (flags, Source::Flag),
            (git_config, Source::GitConfig),
            (plan, Source::Plan),
        ];
        fn pick<T: Clone>(
            layers: &[(&Layer, Source); 3],
            get: impl Fn(&Layer) -> Option<T>,
        ) -> Setting<Option<T>> {
            layers
                .iter()
                .find_map(|(layer, source)| {
                    get(layer).map(|value| Setting {
                        value: Some(value),
                        source: *source,
                    })
                })
                .unwrap_or(Setting {
                    value: None,
                    source: Source::Default,
                })
        }
        fn or_default<T>(setting: Setting<Option<T>>, default: T) -> Setting<T> {
            Setting {
                value: setting.value.unwrap_or(default),
                source: setting.source,
            }
        }
        let defaults = MergeSettings::default();
        let worktrees_dir = pick(&layers, |l| l.worktrees_dir.clone());
        Settings {
            base: pick(&layers, |l| l.base.clone()),
            forge: pick(&layers, |l| l.forge),
            test_command: pick(&layers, |l| l.test_command.clone()),
            review_command: pick(&layers, |l| l.review_command.clone()),
            worktrees_dir: or_default(worktrees_dir, DEFAULT_WORKTREES_DIR.to_owned()),
            fix_command: pick(&layers, |l| l.fix_command.clone()),
            merge_method: or_default(pick(&layers, |l| l.merge_method), defaults.method),
            require_tests: or_default(pick(&layers, |l| l.require_tests), defaults.require_tests),
            require_tasks_done: or_default(
                pick(&layers, |l| l.require_tasks_done),
                defaults.require_tasks_done,
            ),
            review_threshold: or_default(
                pick(&layers, |l| l.review_threshold),
                defaults.review_threshold,
            ),
            max_review_iterations: or_default(
                pick(&layers, |l| l.max_review_iterations),
                defaults.max_review_iterations,
            ),
            approvals: or_default(pick(&layers, |l| l.approvals), defaults.approvals),
        }
    }

    /// The command of `kind`.
    pub fn command(&self, kind: CommandKind) -> &Setting<Option<String>> {
        match kind {
            CommandKind::Test => &self.test_command,
            CommandKind::Review => &self.review_command,
            CommandKind::Fix => &self.fix_command,
        }
    }

    /// The merge criteria in force.
    pub fn merge_settings(&self) -> MergeSettings {
        MergeSettings {
            method: self.merge_method.value,
            require_tests: self.require_tests.value,
            require_tasks_done: self.require_tasks_done.value,
            review_threshold: self.review_threshold.value,
            max_review_iterations: self.max_review_iterations.value,
            approvals: self.approvals.value,
        }
    }

    /// Resolve every setting for `repo`: `flags` from the command line, then git
    /// config, then `plan` (when there is one), then the defaults.
    pub fn resolve(repo: &gix::Repository, plan: Option<&Plan>, flags: &Layer) -> Result<Settings> {
        let git_config = Layer::from_git_config(repo)?;
        let plan = plan.map(Layer::from_plan).unwrap_or_default();
        Ok(Settings::from_layers(flags, &git_config, &plan))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layer(base: Option<&str>, dir: Option<&str>) -> Layer {
        Layer {
            base: base.map(str::to_owned),
            worktrees_dir: dir.map(str::to_owned),
            ..Layer::default()
        }
    }

    #[test]
    fn stale_lock_age_comes_from_the_setting() {
        use std::time::Duration;
        assert_eq!(stale_lock_age_from(Some("2\n")), Duration::from_secs(2));
        assert_eq!(stale_lock_age_from(Some("soon")), DEFAULT_STALE_LOCK_AGE);
        assert_eq!(stale_lock_age_from(None), DEFAULT_STALE_LOCK_AGE);
    }

    #[test]
    fn a_flag_beats_git_config_which_beats_the_plan() {
        let flags = layer(Some("flag"), None);
        let config = layer(Some("config"), Some("config-trees"));
        let plan = Layer {
            forge: Some(ForgeKind::Local),
            ..layer(Some("plan"), Some("plan-trees"))
        };
        let settings = Settings::from_layers(&flags, &config, &plan);
        assert_eq!(settings.base.value.as_deref(), Some("flag"));
        assert_eq!(settings.base.source, Source::Flag);
        assert_eq!(settings.worktrees_dir.value, "config-trees");
        assert_eq!(settings.worktrees_dir.source, Source::GitConfig);
        assert_eq!(settings.forge.value, Some(ForgeKind::Local));
        assert_eq!(settings.forge.source, Source::Plan);
        assert_eq!(settings.test_command.value, None);
        assert_eq!(settings.test_command.source, Source::Default);
    }

    #[test]
    fn defaults_fill_what_no_layer_sets() {
        let none = Layer::default();
        let settings = Settings::from_layers(&none, &none, &none);
        assert_eq!(settings.worktrees_dir.value, DEFAULT_WORKTREES_DIR);
        assert_eq!(settings.worktrees_dir.source, Source::Default);
        assert_eq!(settings.base.value, None);
        assert_eq!(settings.forge.value, None);
    }

    #[test]
    fn git_dash_c_parameters_are_read_in_both_spellings() {
        let pairs = parse_config_parameters(
            "'agents.base'='dev' 'user.name'='O'\\''Brien' 'old.style=x y' 'flag.only' 'empty.value'=",
        );
        let owned = |k: &str, v: Option<&str>| (k.to_owned(), v.map(str::to_owned));
        assert_eq!(
            pairs,
            [
                owned("agents.base", Some("dev")),
                owned("user.name", Some("O'Brien")),
                owned("old.style", Some("x y")),
                owned("flag.only", None),
                owned("empty.value", Some("")),
            ]
        );
    }

    #[test]
    fn malformed_parameters_keep_what_came_before() {
        let pairs = parse_config_parameters("'agents.base'='dev' unquoted 'x'='y'");
        assert_eq!(pairs, [("agents.base".to_owned(), Some("dev".to_owned()))]);
        assert!(parse_config_parameters("'unterminated").is_empty());
        assert!(parse_config_parameters("").is_empty());
    }

    fn repo_with_config(config: &str) -> (tempfile::TempDir, gix::Repository) {
        let dir = tempfile::tempdir().unwrap();
        let status = std::process::Command::new("git")
            .args(["init", "-q"])
            .arg(dir.path())
            .status()
            .unwrap();
        assert!(status.success());
        let path = dir.path().join(".git/config");
        let mut text = std::fs::read_to_string(&path).unwrap();
        text.push_str(config);
        std::fs::write(&path, text).unwrap();
        let repo = gix::open_opts(dir.path(), gix::open::Options::isolated()).unwrap();
        (dir, repo)
    }

    #[test]
    fn git_config_keys_are_read_whatever_their_case() {
        let (_dir, repo) = repo_with_config(
            "[agents]\n\tbase = dev\n\tForge = Local\n\ttestcommand = cargo test\n\treviewCommand = \"  \"\n\tworktreesDir = trees\n",
        );
        let layer = Layer::from_git_config(&repo).unwrap();
        assert_eq!(layer.base.as_deref(), Some("dev"));
        assert_eq!(layer.forge, Some(ForgeKind::Local));
        assert_eq!(layer.test_command.as_deref(), Some("cargo test"));
        assert_eq!(layer.review_command, None, "blank means unset");
        assert_eq!(layer.worktrees_dir.as_deref(), Some("trees"));

        let mut plan = Plan::new("plan-trees");
        plan.test_command = Some("make test".to_owned());
        plan.review_command = Some("review.sh".to_owned());
        let flags = Layer {
            forge: Some(ForgeKind::Github),
            ..Layer::default()
        };
        let settings = Settings::resolve(&repo, Some(&plan), &flags).unwrap();
        assert_eq!(settings.forge.value, Some(ForgeKind::Github));
        assert_eq!(settings.forge.source, Source::Flag);
        assert_eq!(settings.test_command.value.as_deref(), Some("cargo test"));
        assert_eq!(settings.test_command.source, Source::GitConfig);
        assert_eq!(settings.review_command.value.as_deref(), Some("review.sh"));
        assert_eq!(settings.review_command.source, Source::Plan);
        assert_eq!(settings.worktrees_dir.value, "trees");
    }

    #[test]
    fn an_unknown_forge_in_git_config_names_the_key() {
        let (_dir, repo) = repo_with_config("[agents]\n\tforge = gitlab\n");
        let err = Layer::from_git_config(&repo).unwrap_err();
        assert!(err.to_string().contains("agents.forge"), "{err}");
        assert!(err.to_string().contains("gitlab"), "{err}");
        assert!(matches!(err, ConfigError(_)), "{err:?}");
        assert_eq!(
            git_config_string(&repo, WORKTREES_DIR),
            None,
            "other keys still read"
        );
    }

    #[test]
    fn merge_criteria_and_commands_come_from_git_config_before_the_plan() {
        let (_dir, repo) = repo_with_config(
            "[agents]\n\tmergeMethod = Rebase\n\tapprovals = 0\n\trequireTests = no\n\tfixCommand = ./fix.sh\n\tforge = auto\n",
        );
        let mut plan = Plan::new("trees");
        plan.merge.review_threshold = 8;
        plan.merge.approvals = 3;
        plan.forge = Some(ForgeKind::Local);
        plan.fix_command = Some("plan-fix".to_owned());
        plan.review_command = Some("plan-review".to_owned());
        let merge = merge_settings(&repo, &plan).unwrap();
        assert_eq!(merge.method, MergeMethod::Rebase);
        assert_eq!(merge.approvals, 0, "git config beats the plan");
        assert!(!merge.require_tests);
        assert_eq!(
            merge.review_threshold, 8,
            "the plan fills what git config leaves"
        );
        assert_eq!(
            merge.max_review_iterations,
            MergeSettings::default().max_review_iterations
        );
        assert_eq!(
            forge_kind(&repo, &plan).unwrap(),
            Some(ForgeKind::Local),
            "auto defers to the plan"
        );
        let fix = command(&repo, &plan, CommandKind::Fix, &[]);
        assert_eq!(fix, Some(CommandLine::Shell("./fix.sh".to_owned())));
        let review = command(&repo, &plan, CommandKind::Review, &[]);
        assert_eq!(review, Some(CommandLine::Shell("plan-review".to_owned())));
        let words = ["make".to_owned(), "check".to_owned()];
        assert_eq!(
            command(&repo, &plan, CommandKind::Review, &words),
            Some(CommandLine::Argv(words.to_vec())),
            "words after -- beat both"
        );
        let err = required_command(&repo, &Plan::new("trees"), CommandKind::Test, &[]).unwrap_err();
        assert!(err.to_string().contains("agents.testCommand"), "{err}");
    }

    #[test]
    fn unusable_merge_criteria_name_their_key() {
        for (config, key) in [
            ("mergeMethod = fast-forward", MERGE_METHOD),
            ("approvals = two", APPROVALS),
            ("reviewThreshold = -1", REVIEW_THRESHOLD),
            ("requireTests = maybe", REQUIRE_TESTS),
        ] {
            let (_dir, repo) = repo_with_config(&format!("[agents]\n\t{config}\n"));
            let err = merge_settings(&repo, &Plan::new("trees")).unwrap_err();
            assert!(err.to_string().contains(key), "{err}");
            assert!(matches!(err, ConfigError(_)), "{err:?}");
            assert!(
                command(&repo, &Plan::new("trees"), CommandKind::Test, &[]).is_none(),
                "reading a command does not trip over another key"
            );
        }
    }

    #[test]
    fn forge_names_are_read_in_any_case_and_others_refused() {
        assert_eq!(parse_forge("GitHub"), Some(ForgeKind::Github));
        assert_eq!(parse_forge(" local "), Some(ForgeKind::Local));
        assert_eq!(parse_forge("gitlab"), None);
        assert_eq!(parse_forge(""), None);
    }
}
