//! Compare-and-swap throughput in one process: N threads writing the state through the
//! library's `state::update`, and a helper that grows a long state history fast.
//!
//! `cargo bench --bench cas -- threads [WRITERS,…] [UPDATES]` prints one row per writer
//! count: updates per second and lost updates (notes written but not found afterwards).
//! `cargo bench --bench cas -- history DIR COUNT` makes COUNT state commits in the
//! initialized repository at DIR, toggling agents' current tasks; `burst DIR COUNT` makes
//! COUNT commits that each add a note (new content every time); `notes DIR` records a
//! test run on the head commit of every spawned agent.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use git_agents::git::workspace::Workspace;
use git_agents::ops::{self, InitOptions};
use git_agents::state::{self, Note};

const AGENTS: usize = 8;

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    match args.first().map(String::as_str) {
        Some("history") if args.len() == 3 => {
            let count = args[2].parse().expect("COUNT is a number");
            history(Path::new(&args[1]), count);
        }
        Some("burst") if args.len() == 3 => {
            let count = args[2].parse().expect("COUNT is a number");
            burst(Path::new(&args[1]), count);
        }
        Some("notes") if args.len() == 2 => notes(Path::new(&args[1])),
        Some("threads") | None => {
            let writers: Vec<usize> = args
                .get(1)
                .map(|w| {
                    w.split(',')
                        .map(|n| n.parse().expect("writer count"))
                        .collect()
                })
                .unwrap_or_else(|| vec![1, 2, 8, 16]);
            let updates = args
                .get(2)
                .map_or(800, |n| n.parse().expect("update count"));
            println!("| in-process writers | updates | seconds | updates/s | lost |");
            println!("|---|---|---|---|---|");
            for n in writers {
                threads(n, updates);
            }
        }
        _ => {
            eprintln!(
                "usage: cas [threads [WRITERS,…] [UPDATES]] | history DIR COUNT | burst DIR COUNT | notes DIR"
            );
            std::process::exit(2);
        }
    }
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A fresh repository with one commit and an initialized plan of [`AGENTS`] agents.
fn fresh_repo() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("temp dir");
    let root = tmp.path();
    git(root, &["init", "-q", "-b", "main"]);
    git(root, &["config", "user.name", "Bench"]);
    git(root, &["config", "user.email", "bench@example.com"]);
    git(root, &["commit", "-q", "--allow-empty", "-m", "initial"]);
    let mut plan = String::new();
    for i in 0..AGENTS {
        plan.push_str(&format!(
            "[[agents]]\nname = \"a{i}\"\nbranch = \"agents/a{i}\"\ntasks = [\"One (1h)\", \"Two (1h)\"]\n\n"
        ));
    }
    let plan_file = root.join("plan.toml");
    std::fs::write(&plan_file, plan).expect("plan written");
    let ws = Workspace::discover(root).expect("workspace");
    ops::init(
        &ws,
        &InitOptions {
            plan_file: Some(plan_file),
            ..InitOptions::default()
        },
    )
    .expect("init");
    tmp
}

fn threads(writers: usize, total: usize) {
    let tmp = fresh_repo();
    let root = tmp.path();
    let each = total.div_ceil(writers);
    let started = Instant::now();
    std::thread::scope(|scope| {
        for writer in 0..writers {
            scope.spawn(move || {
                let repo = gix::open(root).expect("open");
                for i in 0..each {
                    let agent = format!("a{}", (writer + i) % AGENTS);
                    let text = format!("w{writer} u{i}");
                    state::update::<_, git_agents::Error>(&repo, |state| {
                        let doc = state.agent_mut(&agent).expect("agent exists");
                        doc.notes.push(Note {
                            at: String::new(),
                            by: String::new(),
                            text: text.clone(),
                        });
                        Ok((format!("update {agent}: note {text}"), ()))
                    })
                    .expect("update");
                }
            });
        }
    });
    let seconds = started.elapsed().as_secs_f64();
    let repo = gix::open(root).expect("open");
    let found: usize = state::State::load(&repo)
        .expect("state")
        .agents
        .values()
        .map(|a| a.notes.len())
        .sum();
    let written = writers * each;
    let commits: usize = git(root, &["rev-list", "--count", state::STATE_REF])
        .trim()
        .parse()
        .expect("count");
    assert_eq!(commits, written + 1, "one commit per update");
    println!(
        "| {writers} | {written} | {seconds:.2} | {:.0} | {} |",
        written as f64 / seconds,
        written - found
    );
}

fn history(dir: &Path, count: usize) {
    let repo = gix::open(dir).expect("open the repository");
    let names: Vec<String> = state::State::load(&repo)
        .expect("an initialized repository")
        .plan
        .agents
        .iter()
        .filter(|a| a.tasks.len() >= 2)
        .map(|a| a.name.clone())
        .collect();
    assert!(!names.is_empty(), "the plan needs agents with two tasks");
    let started = Instant::now();
    for i in 0..count {
        let name = &names[i % names.len()];
        state::update::<_, git_agents::Error>(&repo, |state| {
            let doc = state.agent_mut(name).expect("agent exists");
            let task = if doc.current_task == Some(1) { 2 } else { 1 };
            doc.current_task = Some(task);
            Ok((format!("task start {name} #{task}"), ()))
        })
        .expect("update");
    }
    eprintln!(
        "{count} state commits in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

fn burst(dir: &Path, count: usize) {
    let repo = gix::open(dir).expect("open the repository");
    let names: Vec<String> = state::State::load(&repo)
        .expect("an initialized repository")
        .plan
        .names()
        .iter()
        .map(|n| n.to_string())
        .collect();
    for i in 0..count {
        let name = &names[i % names.len()];
        state::update::<_, git_agents::Error>(&repo, |state| {
            let doc = state.agent_mut(name).expect("agent exists");
            doc.notes.push(Note {
                at: String::new(),
                by: String::new(),
                text: format!("burst note {i}"),
            });
            Ok((format!("update {name}: note burst note {i}"), ()))
        })
        .expect("update");
    }
}

fn notes(dir: &Path) {
    let repo = gix::open(dir).expect("open the repository");
    let state = state::State::load(&repo).expect("an initialized repository");
    for (name, doc) in &state.agents {
        let Some(head) = doc.head.as_deref() else {
            continue;
        };
        let record = git_agents::state::notes::Record::Test {
            passing: true,
            exit_code: Some(0),
            command: "cargo test".to_owned(),
            argv: None,
            duration_ms: 1200,
            at: "2026-01-01T00:00:00Z".to_owned(),
            agent: Some(name.clone()),
            merged_result: None,
        };
        let id = gix::ObjectId::from_hex(head.as_bytes()).expect("a commit id");
        git_agents::state::notes::append(&repo, id, &record).expect("note written");
    }
}
