//! Random sequences of what people and agents do, on two clones that sync through a
//! remote: spawning, committing in worktrees, merging, finishing, abandoning, repairing
//! and syncing, in any order. Nothing in them says `--force`, so no commit that a branch
//! held before a step may be unreachable after it. (Merges make merge commits here, so
//! merged work stays reachable from base; squash and rebase are covered in safety.rs.)

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::common::Run;
use crate::sync::Fleet;

const AGENTS: &[&str] = &[
    "security-agent",
    "backend-agent",
    "frontend-agent",
    "rag-agent",
    "devops-agent",
];

/// A small deterministic generator, so a failing sequence can be replayed by its seed.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, bound: usize) -> usize {
        (self.next() % bound as u64) as usize
    }
}

/// Every commit reachable from a local branch of the repository at `dir`.
fn reachable(fleet: &Fleet, dir: &Path) -> BTreeSet<String> {
    fleet
        .a
        .git_in(dir, &["rev-list", "--branches"])
        .lines()
        .map(str::to_owned)
        .collect()
}

/// A command's exit is one the documentation names: no panic, no unknown code.
fn documented(run: &Run, step: &str) {
    assert!(
        [0, 1, 2, 3, 4].contains(&run.code),
        "{step}: exit {} is not documented\nstdout: {}\nstderr: {}",
        run.code,
        run.stdout,
        run.stderr
    );
}

#[test]
fn random_command_sequences_lose_no_commit() {
    for seed in [
        0x9e37_79b9_7f4a_7c15_u64,
        0x2545_f491_4f6c_dd1d,
        0xdead_beef_cafe_f00d,
    ] {
        let fleet = Fleet::new();
        let clones: [PathBuf; 2] = [fleet.a.root.clone(), fleet.b().to_path_buf()];
        for dir in &clones {
            for (key, value) in [
                ("agents.testCommand", "true"),
                ("agents.reviewCommand", "echo Score: 10/10"),
                ("agents.mergeMethod", "merge"),
                ("agents.requireTasksDone", "false"),
            ] {
                fleet.a.git_in(dir, &["config", key, value]);
            }
        }
        let mut random = Random(seed);
        let mut seen: [BTreeSet<String>; 2] =
            [reachable(&fleet, &clones[0]), reachable(&fleet, &clones[1])];
        let mut log: Vec<String> = Vec::new();
        for step in 0..24 {
            let who = random.below(2);
            let dir = &clones[who];
            let agent = AGENTS[random.below(AGENTS.len())];
            let worktree = dir.join("worktrees").join(agent);
            let run = |args: &[&str]| {
                let run = fleet.a.agents_in(dir, args);
                documented(&run, &format!("seed {seed:x} step {step} {args:?}"));
                run
            };
            let action = random.below(9);
            log.push(format!("{who}:{action}:{agent}"));
            match action {
                0 => {
                    run(&["spawn", agent]);
                }
                1 | 2 | 8 => {
                    if worktree.is_dir() {
                        let file = format!("{agent}-{seed:x}-{step}.txt");
                        std::fs::write(worktree.join(&file), format!("{step}\n")).unwrap();
                        fleet.a.git_in(&worktree, &["add", &file]);
                        fleet.a.git_in(&worktree, &["commit", "-q", "-m", &file]);
                    }
                }
                3 => {
                    for args in [
                        vec!["test", "--agent", agent],
                        vec!["review", "--agent", agent],
                        vec!["approve", agent],
                        vec!["pr", agent],
                        vec!["merge", agent],
                    ] {
                        if run(&args).code != 0 {
                            break;
                        }
                    }
                }
                4 => {
                    run(&["finish", agent]);
                }
                5 => {
                    run(&["finish", "--abandon", agent]);
                }
                6 => {
                    run(&["doctor", "--fix"]);
                }
                _ => {
                    run(&["sync"]);
                }
            }
            for (index, dir) in clones.iter().enumerate() {
                let now = reachable(&fleet, dir);
                let lost: Vec<&String> = seen[index].difference(&now).collect();
                assert!(
                    lost.is_empty(),
                    "seed {seed:x}, after {log:?}: clone {index} lost {lost:?}"
                );
                seen[index].extend(now);
            }
        }
    }
}
