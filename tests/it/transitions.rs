//! Status changes follow the state machine: illegal ones are refused with the reason and
//! leave the state as it was; abandoning a watched agent is not undone when its command exits.

use crate::common;

use std::time::{Duration, Instant};

use common::Repo;

fn state_tip(repo: &Repo) -> String {
    repo.git(&["rev-parse", "refs/agents/state"])
}

fn status_of(repo: &Repo, name: &str) -> String {
    repo.statuses()
        .into_iter()
        .find(|(n, _)| n == name)
        .map(|(_, s)| s)
        .unwrap()
}

#[test]
fn task_done_on_a_planned_unspawned_agent_is_refused() {
    let repo = Repo::new();
    repo.init_example();
    let before = state_tip(&repo);
    repo.agents(&["task", "done", "1", "--agent", "testing-agent"])
        .fails(1)
        .says("not spawned");
    assert_eq!(state_tip(&repo), before, "the state did not move");
    let json = repo.status_json();
    let testing = json["agents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "testing-agent")
        .unwrap()
        .clone();
    assert_eq!(testing["status"], "planned");
}

#[test]
fn marking_merged_with_nothing_merged_is_refused() {
    let repo = Repo::new();
    repo.init_example();
    repo.agents(&["spawn", "backend-agent"]).ok();
    let before = state_tip(&repo);
    repo.agents(&["update", "--agent", "backend-agent", "--status", "merged"])
        .fails(1)
        .says("not contained in the base");
    assert_eq!(state_tip(&repo), before);
    repo.commit_in(
        &repo.worktree("backend-agent"),
        "b.txt",
        "b",
        "backend work",
    );
    repo.agents(&["update", "--agent", "backend-agent", "--status", "merged"])
        .fails(1);
    assert_eq!(state_tip(&repo), before);
    assert_eq!(status_of(&repo, "backend-agent"), "in_progress");
    // Dependents stay blocked.
    repo.agents(&["spawn", "github-agent"]).fails(1);
}

#[test]
fn each_illegal_transition_is_refused_and_changes_nothing() {
    let repo = Repo::new();
    repo.init_example();
    for (status, why) in [
        ("review", "never spawned"),
        ("pr_open", "never spawned"),
        ("merged", "cannot be marked merged"),
        ("completed", "cannot go from planned to completed"),
    ] {
        let before = state_tip(&repo);
        repo.agents(&["update", "--agent", "backend-agent", "--status", status])
            .fails(1)
            .says(why);
        assert_eq!(state_tip(&repo), before, "{status}");
        assert_eq!(status_of(&repo, "backend-agent"), "planned");
    }
    repo.agents(&["spawn", "backend-agent"]).ok();
    repo.agents(&["finish", "backend-agent", "--abandon"]).ok();
    for status in ["in_progress", "review", "planned", "failed", "pr_open"] {
        let before = state_tip(&repo);
        repo.agents(&["update", "--agent", "backend-agent", "--status", status])
            .fails(1)
            .says("stays abandoned");
        assert_eq!(state_tip(&repo), before, "{status}");
        assert_eq!(status_of(&repo, "backend-agent"), "abandoned");
    }
    repo.agents(&["spawn", "backend-agent"]).fails(1);
    assert_eq!(status_of(&repo, "backend-agent"), "abandoned");
}

#[test]
fn the_review_loop_moves_are_legal() {
    let repo = Repo::new();
    repo.init_example();
    repo.agents(&["spawn", "backend-agent"]).ok();
    for status in [
        "review",
        "in_progress",
        "pr_open",
        "in_progress",
        "failed",
        "in_progress",
        "review",
        "failed",
    ] {
        repo.agents(&["update", "--agent", "backend-agent", "--status", status])
            .ok();
        assert_eq!(status_of(&repo, "backend-agent"), status);
    }
}

#[test]
fn abandoning_an_agent_whose_command_run_watches_stops_it_and_stays_abandoned() {
    let repo = Repo::new();
    repo.init_example();
    let marker = repo.root.join("finished-anyway");
    let command = format!("sleep 60; touch '{}'", marker.display());
    let mut run = common::crash::start(
        &repo,
        &repo.root,
        &["run", "--no-deliver", "--exec", &command, "backend-agent"],
        &[],
    );
    let record = repo.root.join(".git/agents/run/backend-agent.json");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !record.is_file() {
        assert!(Instant::now() < deadline, "run never launched the command");
        std::thread::sleep(Duration::from_millis(50));
    }
    repo.agents(&["finish", "backend-agent", "--abandon"]).ok();
    run.wait().unwrap();
    assert!(
        !marker.exists(),
        "the command was stopped, not left to finish"
    );
    std::thread::sleep(Duration::from_millis(200));
    assert!(
        !marker.exists(),
        "the command was stopped, not left to finish"
    );
    assert_eq!(status_of(&repo, "backend-agent"), "abandoned");
    let branches = repo.git(&["branch", "--list", "feature/backend-architecture"]);
    assert!(branches.trim().is_empty(), "{branches}");
    repo.agents(&["doctor", "--fix"]);
    assert_eq!(status_of(&repo, "backend-agent"), "abandoned");
    let branches = repo.git(&["for-each-ref", "refs/heads/"]);
    assert!(
        !branches.contains("backend"),
        "doctor --fix re-created it: {branches}"
    );
}
