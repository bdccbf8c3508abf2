//! Two processes on one agent at once: both succeed (the second finds the work done) or the
//! loser says plainly that another process has the agent (exit 3); never git's raw errors.

use crate::common;

use std::process::{Output, Stdio};

use common::Repo;

fn start(repo: &Repo, args: &[&str]) -> std::process::Child {
    repo.command("git", &repo.root)
        .arg("agents")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("git agents starts")
}

fn judge(round: usize, out: &Output, doing: &str) -> bool {
    let stderr = String::from_utf8_lossy(&out.stderr);
    match out.status.code() {
        Some(0) => true,
        Some(3) => {
            assert!(
                stderr.contains("another git-agents process")
                    && stderr.contains(doing)
                    && stderr.lines().filter(|l| !l.trim().is_empty()).count() == 1,
                "round {round}: the loser must say plainly who holds the agent: {stderr}"
            );
            for raw in ["fatal:", "already exists", "cannot lock ref", "worktree"] {
                assert!(
                    !stderr.contains(raw),
                    "round {round}: raw git error: {stderr}"
                );
            }
            false
        }
        other => panic!("round {round}: exit {other:?}: {stderr}"),
    }
}

#[test]
fn two_spawns_of_one_agent_at_once_never_show_git_errors() {
    for round in 0..20 {
        let repo = Repo::new();
        repo.init_example();
        let first = start(&repo, &["spawn", "backend-agent"]);
        let second = start(&repo, &["spawn", "backend-agent"]);
        let first = first.wait_with_output().unwrap();
        let second = second.wait_with_output().unwrap();
        let wins = [&first, &second]
            .into_iter()
            .filter(|out| judge(round, out, "is spawning backend-agent"))
            .count();
        assert!(wins >= 1, "round {round}: neither spawn succeeded");
        let statuses = repo.statuses();
        assert!(
            statuses.contains(&("backend-agent".to_owned(), "in_progress".to_owned())),
            "round {round}: {statuses:?}"
        );
        let worktree = repo.worktree("backend-agent");
        assert_eq!(
            repo.git_in(&worktree, &["branch", "--show-current"]).trim(),
            "feature/backend-architecture",
            "round {round}"
        );
        let listed = repo.worktrees();
        assert_eq!(
            listed.matches("worktrees/backend-agent\n").count(),
            1,
            "round {round}: one worktree: {listed}"
        );
    }
}

#[test]
fn two_runs_started_together_launch_the_command_once() {
    let repo = Repo::new();
    repo.init_example();
    let tally = repo.root.join("launches");
    let command = format!("echo launched >> '{}'; sleep 1", tally.display());
    let args = ["run", "--no-deliver", "--exec", &command, "backend-agent"];
    let first = start(&repo, &args);
    let second = start(&repo, &args);
    let first = first.wait_with_output().unwrap();
    let second = second.wait_with_output().unwrap();
    let wins = [&first, &second]
        .into_iter()
        .filter(|out| judge(0, out, "runs backend-agent"))
        .count();
    assert!(wins >= 1, "neither run succeeded");
    let launches = std::fs::read_to_string(&tally).unwrap();
    assert_eq!(
        launches.lines().count(),
        1,
        "the command ran once: {launches}"
    );
    let statuses = repo.statuses();
    assert!(statuses.contains(&("backend-agent".to_owned(), "review".to_owned())));
}

#[test]
fn a_claim_left_by_a_killed_process_does_not_block() {
    let repo = Repo::new();
    repo.init_example();
    let claims = repo.root.join(".git/agents/claims");
    std::fs::create_dir_all(&claims).unwrap();
    std::fs::write(claims.join("backend-agent.claim"), "999999 spawn\n").unwrap();
    repo.agents(&["spawn", "backend-agent"]).ok();
    assert!(repo.worktree("backend-agent").is_dir());
}
