//! Importing plans: the largest published plan of `../shared/examples/wild` (or any files
//! named on the command line) and a generated plan of many agents, each read as
//! `git agents init --plan` reads it.
//!
//! `cargo bench --bench import -- [AGENTS] [FILE…]` prints one row per document: its size,
//! what it imports as, and the median and slowest of repeated imports.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use git_agents::plan::{AgentSpec, Format, Plan, Task};

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let agents: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let mut files: Vec<PathBuf> = args.iter().skip(1).map(PathBuf::from).collect();
    if files.is_empty() {
        files.push(
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../shared/examples/wild/greplabs__hippo__PARALLEL_WORK_PLAN.md"),
        );
        files.push(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/parallel-plan.md"));
    }
    println!("| document | bytes | agents | tasks | edges | median | slowest |");
    println!("|---|---|---|---|---|---|---|");
    for file in files {
        let text = std::fs::read_to_string(&file).expect("the document reads");
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        row(&name, &text, 200);
    }
    row(
        &format!("generated, {agents} agents"),
        &generated(agents),
        5,
    );
}

/// Import `text` `runs` times and print its row.
fn row(name: &str, text: &str, runs: usize) {
    let mut times: Vec<Duration> = Vec::with_capacity(runs);
    let mut last = None;
    for _ in 0..runs {
        let start = Instant::now();
        let imported =
            Plan::import(text, Format::Markdown, name, "worktrees").expect("the plan imports");
        times.push(start.elapsed());
        last = Some(imported);
    }
    times.sort();
    let imported = last.expect("at least one run");
    println!(
        "| {name} | {} | {} | {} | {} | {:.2} ms | {:.2} ms |",
        text.len(),
        imported.plan.agents.len(),
        imported.plan.task_count(),
        imported.understanding.edges.len(),
        times[times.len() / 2].as_secs_f64() * 1e3,
        times[times.len() - 1].as_secs_f64() * 1e3,
    );
}

/// A plan of `count` agents as `plan export` writes it: three tasks each, each agent
/// waiting for the one before it and the one seven before it.
fn generated(count: usize) -> String {
    let mut plan = Plan::new("worktrees");
    let names: Vec<String> = (0..count).map(|i| format!("agent-{i}")).collect();
    for (i, name) in names.iter().enumerate() {
        plan.agents.push(AgentSpec {
            name: name.clone(),
            title: format!("Part {i} of the work"),
            branch: format!("feature/{name}"),
            worktree: format!("worktrees/{name}"),
            depends_on: [i.checked_sub(7), i.checked_sub(1)]
                .into_iter()
                .flatten()
                .map(|d| names[d].clone())
                .collect(),
            tasks: (1..=3)
                .map(|t| Task {
                    title: format!("Step {t}"),
                    hours: t as f64,
                    done: false,
                })
                .collect(),
            command: None,
            cli: None,
        });
    }
    plan.export(Format::Markdown)
}
