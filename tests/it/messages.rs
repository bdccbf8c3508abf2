//! Messages say exactly what is true: small things a newcomer tripped on.

use crate::common::Repo;

#[test]
fn adding_an_agent_that_exists_says_so_and_how_to_change_it() {
    let repo = Repo::new();
    repo.init_example();
    repo.agents(&["add", "docs-agent", "--task", "More docs (1h)"])
        .fails(2)
        .says("the plan already has an agent named docs-agent")
        .says("git agents edit docs-agent");
}

#[test]
fn a_second_spawn_ready_says_what_is_spawned_and_what_waits() {
    let repo = Repo::new();
    repo.init_example();
    repo.agents(&["spawn", "--ready"]).ok();
    repo.agents(&["spawn", "--ready"])
        .ok()
        .prints("Nothing to spawn: 5 agents are already spawned")
        .prints("testing-agent waits for backend-agent, frontend-agent");
}

#[test]
fn a_dry_run_would_not_merge_rather_than_did_not() {
    let repo = Repo::new();
    repo.init_example();
    repo.agents(&["spawn", "rag-agent"]).ok();
    let run = repo.agents(&["merge", "rag-agent", "--dry-run"]).fails(1);
    assert!(
        run.stderr.contains("rag-agent would not merge:"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("not merged"), "{}", run.stderr);
}

#[test]
fn a_second_approval_names_the_first() {
    let repo = Repo::new();
    repo.init_example();
    repo.agents(&["spawn", "rag-agent"]).ok();
    let dir = repo.worktree("rag-agent");
    repo.commit_in(&dir, "rag.py", "pass\n", "rag: start");
    repo.agents(&["approve", "rag-agent"])
        .ok()
        .prints("Test User approved rag-agent");
    let again = repo.agents(&["approve", "rag-agent"]).ok();
    again.prints("Test User had already approved rag-agent");
    again.prints("(1 approval: Test User)");
    repo.agents(&["approve", "rag-agent", "--by", "Ada"])
        .ok()
        .prints("(2 approvals: Test User, Ada)");
    let notes = repo.git(&[
        "notes",
        "--ref",
        "agents",
        "show",
        "refs/heads/feature/rag-completion",
    ]);
    assert_eq!(notes.lines().count(), 2, "{notes}");
    assert!(notes.contains("\"agent\":\"rag-agent\""), "{notes}");
}

#[test]
fn the_manual_synopsis_names_every_value() {
    let page = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("man/git-agents-add.1"),
    )
    .unwrap();
    let synopsis = page
        .split(".SH SYNOPSIS\n")
        .nth(1)
        .unwrap()
        .lines()
        .next()
        .unwrap();
    assert!(synopsis.contains(r"[\fB\-C\fR \fIDIR\fR...]"), "{synopsis}");
    assert!(
        synopsis.contains(r"[\fB\-\-color\fR \fIWHEN\fR]"),
        "{synopsis}"
    );
    assert!(
        synopsis.contains(r"[\fB\-\-branch\fR \fIBRANCH\fR]"),
        "{synopsis}"
    );
    assert!(synopsis.contains(r"[\fB\-\-json\fR]"), "{synopsis}");
}
