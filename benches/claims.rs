//! Claims per second on one shared remote: N clones of a repository, each its own
//! machine, claim distinct agents one at a time against one local bare remote, all at
//! once. Every claim is a push with a lease on the remote's state ref, so they queue on
//! that one ref; a claim that loses the race fetches and tries again.
//!
//! `cargo bench --bench claims -- [CLONES,…] [CLAIMS]` prints one row per clone count:
//! claims, seconds, claims per second, pushes per claim, and claims lost (agents the
//! remote does not show held by the machine that was granted them: must be 0).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use git_agents::git::workspace::Workspace;
use git_agents::ops::fleet::{Fleet, Grant};
use git_agents::ops::{self, InitOptions};
use git_agents::state::State;

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let clones: Vec<usize> = args
        .first()
        .map(|w| {
            w.split(',')
                .map(|n| n.parse().expect("clone count"))
                .collect()
        })
        .unwrap_or_else(|| vec![1, 4, 16]);
    let claims = args.get(1).map_or(96, |n| n.parse().expect("claim count"));
    println!("| clones | claims | seconds | claims/s | pushes per claim | lost |");
    println!("|---|---|---|---|---|---|");
    for n in clones {
        measure(n, claims);
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

/// A bare remote holding a repository whose state plans `agents` agents, and `clones`
/// clones of it named m1, m2, ….
fn setup(root: &Path, agents: usize, clones: usize) -> Vec<PathBuf> {
    let first = root.join("m1");
    let remote = root.join("remote.git");
    git(root, &["init", "-q", "--bare", remote.to_str().unwrap()]);
    git(root, &["init", "-q", "-b", "main", first.to_str().unwrap()]);
    git(&first, &["config", "user.name", "Bench"]);
    git(&first, &["config", "user.email", "bench@example.com"]);
    git(&first, &["commit", "-q", "--allow-empty", "-m", "initial"]);
    git(
        &first,
        &["remote", "add", "origin", remote.to_str().unwrap()],
    );
    git(&first, &["push", "-q", "origin", "main"]);
    let mut plan = String::new();
    for i in 0..agents {
        plan.push_str(&format!(
            "[[agents]]\nname = \"a{i}\"\nbranch = \"agents/a{i}\"\ntasks = [\"One (1h)\"]\n\n"
        ));
    }
    let plan_file = root.join("plan.toml");
    std::fs::write(&plan_file, plan).expect("plan written");
    let ws = Workspace::discover(&first).expect("workspace");
    ops::init(
        &ws,
        &InitOptions {
            plan_file: Some(plan_file),
            ..InitOptions::default()
        },
    )
    .expect("init");
    ops::sync::sync(&ws, Some("origin"), &mut git_agents::progress::Silent).expect("sync");
    let mut dirs = vec![first];
    for i in 2..=clones {
        let dir = root.join(format!("m{i}"));
        git(
            root,
            &[
                "clone",
                "-q",
                remote.to_str().unwrap(),
                dir.to_str().unwrap(),
            ],
        );
        dirs.push(dir);
    }
    for (i, dir) in dirs.iter().enumerate() {
        git(dir, &["config", "user.name", "Bench"]);
        git(dir, &["config", "user.email", "bench@example.com"]);
        git(
            dir,
            &["config", "agents.machineName", &format!("m{}", i + 1)],
        );
    }
    dirs
}

fn measure(clones: usize, claims: usize) {
    let tmp = tempfile::tempdir().expect("temp dir");
    let each = claims.div_ceil(clones);
    let dirs = setup(tmp.path(), each * clones, clones);
    let started = Instant::now();
    let pushes: Vec<(u32, Vec<String>)> = std::thread::scope(|scope| {
        let jobs: Vec<_> = dirs
            .iter()
            .enumerate()
            .map(|(index, dir)| {
                scope.spawn(move || {
                    let ws = Workspace::discover(dir).expect("workspace");
                    let fleet = Fleet::open(&ws, "origin").expect("fleet");
                    let mut pushes = 0;
                    let mut granted = Vec::new();
                    for i in 0..each {
                        let agent = format!("a{}", index + i * clones);
                        let (grants, rounds) = fleet
                            .claim_counting(&ws, std::slice::from_ref(&agent))
                            .expect("claim");
                        pushes += rounds;
                        if matches!(grants.get(&agent), Some(Grant::Granted { .. })) {
                            granted.push(agent);
                        }
                    }
                    (pushes, granted)
                })
            })
            .collect();
        jobs.into_iter()
            .map(|j| j.join().expect("claims"))
            .collect()
    });
    let seconds = started.elapsed().as_secs_f64();
    let total_pushes: u32 = pushes.iter().map(|(p, _)| p).sum();
    // What the remote holds: fetched into the first clone, read there.
    let ws = Workspace::discover(&dirs[0]).expect("workspace");
    ops::sync::sync(&ws, Some("origin"), &mut git_agents::progress::Silent).expect("sync");
    let state = State::load(&ws.repo).expect("state");
    let mut lost = 0;
    for (index, (_, granted)) in pushes.iter().enumerate() {
        for agent in granted {
            let holder = state.document(agent).claim.map(|c| c.machine);
            if holder.as_deref() != Some(format!("m{}", index + 1).as_str()) {
                lost += 1;
            }
        }
    }
    let made = clones * each;
    println!(
        "| {clones} | {made} | {seconds:.2} | {:.1} | {:.2} | {lost} |",
        made as f64 / seconds,
        f64::from(total_pushes) / made as f64
    );
}
