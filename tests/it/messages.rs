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

#[test]
fn parallel_zero_is_refused_as_bad_input_everywhere() {
    let repo = Repo::new();
    repo.init_example();
    repo.agents(&["run", "--parallel", "0"])
        .fails(2)
        .says("0 is not in 1..");
    repo.agents(&["plan", "--timeline", "--parallel", "0"])
        .fails(2)
        .says("0 is not in 1..");
}

#[test]
fn an_empty_fleet_is_told_how_to_get_agents_not_to_spawn_them() {
    let repo = Repo::new();
    let init = repo.agents(&["init"]).ok();
    assert!(!init.stdout.contains("spawn --ready"), "{}", init.stdout);
    init.says("git agents add NAME").says("--example");
}

#[test]
fn init_says_what_merging_needs_and_status_what_is_still_missing() {
    let repo = Repo::new();
    repo.agents(&[
        "init",
        "--plan",
        crate::common::example_plan().to_str().unwrap(),
    ])
    .ok()
    .says("To merge, an agent needs (change each with git config KEY VALUE):")
    .says("a review of 10/10")
    .says("agents.requireTasksDone")
    .says("Not set yet: a test command: git config agents.testCommand");
    repo.git(&["config", "agents.approvals", "0"]);
    repo.agents(&["spawn", "security-agent"]).ok();
    let worktree = repo.root.join("worktrees/security-agent");
    repo.commit_in(&worktree, "a.txt", "a\n", "security-agent: a");
    repo.agents(&["pr", "security-agent"]).ok();
    repo.agents(&["status"])
        .ok()
        .says("PR #1 · ↑1 ↓0 · needs tests, review, tasks");
    repo.agents_in(&worktree, &["test", "--", "true"]).ok();
    repo.agents(&["status", "security-agent"])
        .ok()
        .says("to merge  still needs review, tasks");
    // The criteria are read as configured now, not as the dashboard remembered them.
    repo.git(&["config", "agents.requireTasksDone", "false"]);
    repo.agents(&["status"]).ok().says("needs review");
    assert!(
        !repo
            .agents(&["status"])
            .ok()
            .stdout
            .contains("needs review, tasks")
    );
}

#[test]
fn the_latest_note_shows_where_people_look() {
    let repo = Repo::new();
    repo.init_example();
    repo.agents(&[
        "update",
        "--agent",
        "rag-agent",
        "--note",
        "index rebuilt twice",
    ])
    .ok()
    .says("note: index rebuilt twice");
    repo.agents(&["status", "rag-agent"])
        .ok()
        .says("note      index rebuilt twice");
    let report = repo.agents(&["status", "--json"]).ok().json();
    assert_eq!(
        crate::common::agent(&report, "rag-agent")["note"]["text"],
        "index rebuilt twice"
    );
    repo.agents(&["brief", "--agent", "rag-agent"])
        .ok()
        .says("index rebuilt twice");
}

#[test]
fn status_shows_each_worktree_ahead_behind_and_uncommitted() {
    let repo = Repo::new();
    repo.init_example();
    repo.agents(&["spawn", "rag-agent"]).ok();
    let worktree = repo.root.join("worktrees/rag-agent");
    repo.commit_in(&worktree, "a.txt", "a\n", "rag-agent: a");
    repo.commit_in(&worktree, "b.txt", "b\n", "rag-agent: b");
    repo.commit_in(&repo.root, "base.txt", "base\n", "base moves on");
    repo.agents(&["status"]).ok().says("↑2 ↓1");
    std::fs::write(worktree.join("a.txt"), "changed\n").unwrap();
    std::fs::write(worktree.join("new.txt"), "new\n").unwrap();
    repo.agents(&["status", "rag-agent"])
        .ok()
        .says("commits   2 ahead of base, 1 behind")
        .says("changes   2 uncommitted: a.txt, new.txt");
    // The worktree is read on every look, never remembered.
    std::fs::remove_file(worktree.join("new.txt")).unwrap();
    repo.git_in(&worktree, &["checkout", "--", "a.txt"]);
    repo.agents(&["status", "rag-agent"])
        .ok()
        .says("changes   none uncommitted");
}

#[test]
fn status_fits_the_terminal_width_with_an_ellipsis() {
    let repo = Repo::new();
    repo.init_example();
    repo.agents(&["spawn", "backend-agent"]).ok();
    repo.agents(&[
        "update",
        "--agent",
        "backend-agent",
        "--note",
        &"a long note ".repeat(12),
    ])
    .ok();
    for width in [80usize, 120] {
        for args in [vec!["status"], vec!["status", "backend-agent"]] {
            let out = repo
                .command("git", &repo.root)
                .arg("agents")
                .args(&args)
                .env("COLUMNS", width.to_string())
                .output()
                .unwrap();
            let text = String::from_utf8(out.stdout).unwrap();
            for line in text.lines() {
                assert!(
                    line.chars().count() <= width,
                    "{args:?} at {width}: {line:?} is {} wide",
                    line.chars().count()
                );
            }
            if args.len() == 2 {
                assert!(text.contains('…'), "the note is cut at {width}: {text}");
            }
        }
    }
    // Piped to a program without a width, nothing is cut.
    let full = repo.agents(&["status", "backend-agent"]).ok().stdout;
    assert!(full.contains(&"a long note ".repeat(12).trim_end().to_owned()));
}
