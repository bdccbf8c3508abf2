//! `git agents log`: every recorded fact, both sides of a sync, newest first.

use crate::common::Repo;
use crate::sync::Fleet;

#[test]
fn every_review_iteration_test_and_approval_is_in_the_trail() {
    let repo = Repo::new();
    repo.init_example();
    repo.agents(&["spawn", "security-agent"]).ok();
    let dir = repo.worktree("security-agent");
    repo.commit_in(&dir, "auth.rs", "// auth\n", "security: auth");
    // The reviewer gives 7/10 until the fix has landed, then 10/10.
    repo.write(
        "review.sh",
        "#!/bin/sh\nif [ -f fixed.txt ]; then echo 'Score: 10/10'; else echo 'Score: 7/10'; fi\n",
    );
    let review = repo.root.join("review.sh");
    std::fs::set_permissions(&review, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    repo.git(&[
        "config",
        "agents.fixCommand",
        "echo fixed > fixed.txt && git add fixed.txt && git commit -qm fix",
    ]);
    repo.agents_in(&dir, &["test", "--", "true"]).ok();
    repo.agents_in(&dir, &["review", "--", review.to_str().unwrap()])
        .ok();
    repo.agents(&["approve", "security-agent"]).ok();
    let log = repo.agents(&["log", "security-agent"]).ok();
    let review_7 = log.stdout.find("review 7/10").expect(&log.stdout);
    let review_10 = log.stdout.find("review 10/10").expect(&log.stdout);
    assert!(review_10 < review_7, "newest first:\n{}", log.stdout);
    log.prints("(iteration 1)")
        .prints("(iteration 2)")
        .prints("test passed on")
        .prints("approval by Test User on")
        .prints("for security-agent");
    let json = repo.agents(&["log", "--json"]).ok().json();
    let kinds: Vec<&str> = json["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds.iter().filter(|k| **k == "fact").count(),
        4,
        "{kinds:?}"
    );
    assert!(kinds.contains(&"state"));
    let others = repo.agents(&["log", "backend-agent"]).ok();
    assert!(!others.stdout.contains("review"), "{}", others.stdout);
}

#[test]
fn after_a_sync_both_machines_changes_are_in_the_trail() {
    let fleet = Fleet::new();
    fleet.in_a(&["update", "--agent", "rag-agent", "--note", "from machine a"]);
    fleet.in_b(&[
        "update",
        "--agent",
        "docs-agent",
        "--note",
        "from machine b",
    ]);
    fleet.in_b(&["sync"]);
    fleet.in_a(&["sync"]);
    let log = fleet.in_a(&["log"]);
    log.prints("update rag-agent").prints("update docs-agent");
    let only_b = fleet.in_a(&["log", "docs-agent"]);
    only_b.prints("update docs-agent");
    assert!(
        !only_b.stdout.contains("update rag-agent"),
        "{}",
        only_b.stdout
    );
}
