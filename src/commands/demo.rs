//! `git agents demo`: the whole product in one command, with nothing but git.

use git_agents::progress::Silent;
use std::path::PathBuf;
use std::time::Duration;

use git_agents::Error;
use git_agents::ops::{self, InitOptions, Pipeline, RunOptions, demo};
use git_agents::plan::timeline;
use git_agents::state::{State, read_log};

use super::Context;
use crate::cli::output::style;

/// Show the whole product on a throwaway repository: eight scripted agents to merged
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where to create the demo repository [default: a new directory under the temp dir]
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Keep the agents' worktrees and branches instead of finishing them after the merge
    #[arg(long)]
    pub keep: bool,
    /// Let the scripted agents work without pausing between tasks (for scripts and tests)
    #[arg(long)]
    pub fast: bool,
}

/// Run `demo`.
pub fn run(args: &Args, ctx: &Context) -> Result<i32, Error> {
    let dir = match &args.dir {
        Some(dir) => dir.clone(),
        None => std::env::temp_dir().join(format!(
            "git-agents-demo-{}-{}",
            std::process::id(),
            git_agents::time::now_unix()
        )),
    };
    // A directory that already holds the demo (an interrupted one, or one kept) resumes.
    let resumed = match &args.dir {
        Some(dir) => demo::existing(dir)?,
        None => None,
    };
    let repo = match resumed {
        Some(repo) => {
            ctx.out.say(format!(
                "{} the demo in {}.",
                style::good().apply_to("Resuming"),
                style::name().apply_to(repo.root.display())
            ));
            repo
        }
        None => {
            let repo = demo::create(&dir)?;
            let ws = demo::open(&repo)?;
            ctx.out.say(format!(
                "{} a demo repository at {} and imported the example plan: 8 agents, 38 tasks.",
                style::good().apply_to("Created"),
                style::name().apply_to(repo.root.display())
            ));
            ops::init(
                &ws,
                &InitOptions {
                    plan: Some(repo.plan.clone()),
                    ..InitOptions::default()
                },
            )?;
            repo
        }
    };
    let ws = demo::open(&repo)?;
    ctx.out.say(style::dim().apply_to(
        "Each agent ticks its tasks off, committing a file per task; finished work is tested, \
         reviewed, approved and merged in dependency order on the local forge.",
    ).to_string());

    let options = RunOptions {
        agents: Vec::new(),
        parallel: 8,
        exec: None,
        poll: Duration::from_millis(50),
        jobs: super::run::default_jobs(),
        retry: true,
        agent_cli: None,
        tmux: None,
        remote: None,
        holder: None,
        env: {
            let mut env = super::run::own_binary_on_path();
            let pause = if args.fast { "0.25" } else { "1" };
            env.push(("GIT_AGENTS_DEMO_PAUSE".to_owned(), pause.to_owned()));
            env
        },
    };
    let pipeline = Pipeline {
        remote: None,
        approve_as: Some("demo-reviewer".to_owned()),
    };
    let (report, events) = super::run::drive(&ws, &options, &pipeline, ctx, false)?;
    let finished = if args.keep || report.interrupted {
        Vec::new()
    } else {
        ops::finish_merged(&ws, false, &mut Silent)?
            .into_iter()
            .filter(|(_, result)| result.is_ok())
            .map(|(agent, _)| agent)
            .collect()
    };
    let state = State::load(&ws.repo)?;
    if ctx.out.json(&DemoJson {
        repository: &repo.root,
        run: super::run::RunJson {
            events: &events,
            report: &report,
        },
        finished: &finished,
        timeline: timeline::timeline(&state.plan, None),
    }) {
        return Ok(super::run::exit_code(&report));
    }
    ctx.out.say(super::run::summary(&report));
    if report.interrupted {
        ctx.out.say(format!(
            "Resume with: git agents demo --dir {}",
            repo.root.display()
        ));
        return Ok(super::run::exit_code(&report));
    }
    if !ctx.out.quiet {
        ctx.out.say("");
        ctx.out.print(super::plan::render_timeline(
            &state,
            &timeline::timeline(&state.plan, None),
        ));
        ctx.out.say(
            "\nThe audit trail without the task reports (all of it: git agents log), oldest first:",
        );
        let mut entries = read_log(&ws.repo, None, usize::MAX)?;
        entries.reverse();
        for entry in entries.iter().filter(|e| !e.summary.starts_with("task ")) {
            ctx.out.say(format!(
                "  {} {}",
                style::warn().apply_to(&entry.commit[..10]),
                entry.summary
            ));
        }
        let root = repo.root.display();
        let judged = state
            .agent("backend-agent")
            .and_then(|a| a.head.clone())
            .map(|h| h[..12].to_owned())
            .unwrap_or_else(|| "feature/backend-architecture".to_owned());
        ctx.out.say(format!(
            "\nLook around:\n  cd {root}\n  git log --oneline --graph --all\n  git agents status\n  git agents log backend-agent\n  git notes --ref agents show {judged}\n  git log --oneline refs/agents/state\n\nRemove it with: rm -rf {root}"
        ));
    }
    Ok(super::run::exit_code(&report))
}

/// What `demo --json` prints: where the repository is, the run, the agents finished and
/// the timeline.
#[derive(serde::Serialize)]
struct DemoJson<'a> {
    repository: &'a std::path::Path,
    #[serde(flatten)]
    run: super::run::RunJson<'a>,
    finished: &'a [String],
    timeline: timeline::Timeline,
}
