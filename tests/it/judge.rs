//! Judging an agent's work: `test`, `review` and `approve` record their results as notes
//! on the exact commit they judged, on real repositories and worktrees.

use crate::common;

use common::Repo;

fn agent(repo: &Repo, name: &str) -> serde_json::Value {
    let status = repo.status_json();
    status["agents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == name)
        .cloned()
        .unwrap_or_else(|| panic!("no {name}"))
}

fn spawned_backend() -> (Repo, std::path::PathBuf) {
    let repo = Repo::new();
    repo.init_example();
    repo.agents(&["spawn", "backend-agent"]).ok();
    let worktree = repo.root.join("worktrees/backend-agent");
    repo.commit_in(
        &worktree,
        "service.py",
        "def serve(): pass\n",
        "Add service layer",
    );
    (repo, worktree)
}

fn note(repo: &Repo, commit: &str) -> String {
    repo.git(&["notes", "--ref", "agents", "show", commit])
}

#[test]
fn test_results_belong_to_the_commit_they_judged() {
    let (repo, worktree) = spawned_backend();
    let head = repo.head_in(&worktree);
    let run = repo
        .agents_in(&worktree, &["test", "--json", "--", "sh", "-c", "exit 0"])
        .ok();
    let report = run.json();
    assert_eq!(report["passing"], true);
    assert_eq!(report["commit"], head.as_str());
    assert_eq!(report["agent"], "backend-agent");
    let record: serde_json::Value =
        serde_json::from_str(note(&repo, &head).lines().last().unwrap()).unwrap();
    assert_eq!(record["kind"], "test");
    assert_eq!(record["passing"], true);
    assert_eq!(record["exit_code"], 0);
    assert_eq!(record["command"], "sh -c 'exit 0'");
    assert!(record["duration_ms"].is_u64() && record["at"].is_string());
    assert_eq!(agent(&repo, "backend-agent")["tests_passing"], true);

    // A failing run exits 1 and is the latest fact on that commit.
    repo.agents(&[
        "test",
        "--agent",
        "backend-agent",
        "--",
        "sh",
        "-c",
        "exit 3",
    ])
    .fails(1)
    .says("tests fail");
    assert_eq!(agent(&repo, "backend-agent")["tests_passing"], false);

    // A new commit has no results until they are recorded again.
    repo.commit_in(&worktree, "more.py", "x = 1\n", "More work");
    assert_eq!(
        agent(&repo, "backend-agent")["tests_passing"],
        serde_json::Value::Null
    );
    repo.agents_in(&worktree, &["test", "--", "true"]).ok();
    assert_eq!(agent(&repo, "backend-agent")["tests_passing"], true);
}

#[test]
fn command_words_reach_the_program_unchanged() {
    let (repo, worktree) = spawned_backend();
    let tricky = "it's \"$(rm -rf /)\" `x`\nsecond line";
    repo.agents_in(
        &worktree,
        &[
            "test",
            "--",
            "sh",
            "-c",
            "printf '%s' \"$1\" > ../arg.txt",
            "sh",
            tricky,
        ],
    )
    .ok();
    let seen = std::fs::read_to_string(repo.root.join("worktrees/arg.txt")).unwrap();
    assert_eq!(seen, tricky);
}

#[test]
fn the_test_command_comes_from_git_config_or_the_words_after_dashes() {
    let (repo, worktree) = spawned_backend();
    let before = repo.refs();
    repo.agents_in(&worktree, &["test"])
        .fails(2)
        .says("no test command configured")
        .says("git config agents.testCommand");
    assert_eq!(repo.refs(), before, "nothing recorded without a command");

    repo.git(&[
        "config",
        "agents.testCommand",
        "test -f service.py && echo configured",
    ]);
    let run = repo.agents_in(&worktree, &["test"]).ok();
    assert!(run.stderr.contains("configured"), "{}", run.stderr);
    let head = repo.head_in(&worktree);
    assert!(note(&repo, &head).contains("test -f service.py && echo configured"));

    // The words after -- win over the configured command.
    repo.agents_in(&worktree, &["test", "--", "false"]).fails(1);
    assert!(
        note(&repo, &head)
            .lines()
            .last()
            .unwrap()
            .contains("\"command\":\"false\"")
    );
}

#[test]
fn uncommitted_changes_are_refused_and_other_notes_are_kept() {
    let (repo, worktree) = spawned_backend();
    let head = repo.head_in(&worktree);
    repo.git(&[
        "notes",
        "--ref",
        "agents",
        "add",
        "-m",
        "written by hand",
        &head,
    ]);
    std::fs::write(worktree.join("service.py"), "changed\n").unwrap();
    let before = repo.refs();
    repo.agents_in(&worktree, &["test", "--", "true"])
        .fails(1)
        .says("uncommitted changes")
        .says("service.py");
    assert_eq!(repo.refs(), before);
    repo.git_in(&worktree, &["checkout", "--", "service.py"]);

    repo.agents_in(&worktree, &["test", "--", "true"]).ok();
    let text = note(&repo, &head);
    assert!(text.starts_with("written by hand\n"), "{text}");
    assert!(text.contains("\"kind\":\"test\""), "{text}");
}

#[test]
fn a_pass_is_recorded_only_for_what_was_tested() {
    let (repo, worktree) = spawned_backend();
    let head = repo.head_in(&worktree);
    let notes_before = repo.refs();
    // The tests would pass only because of a file that is not in the commit.
    std::fs::write(worktree.join("fixture.json"), "{}\n").unwrap();
    repo.agents_in(&worktree, &["test", "--", "test", "-f", "fixture.json"])
        .fails(1)
        .says("untracked files (fixture.json)")
        .says(".gitignore");
    assert_eq!(repo.refs(), notes_before, "no note on {head}");
    // Ignored files are the worktree's own business (dependencies, copied .env files).
    std::fs::write(worktree.join(".git-agents-ignore-test"), "").unwrap();
    std::fs::remove_file(worktree.join("fixture.json")).unwrap();
    std::fs::write(
        repo.root.join(".git/info/exclude"),
        ".git-agents-ignore-test\n/worktrees/\n",
    )
    .unwrap();
    repo.agents_in(&worktree, &["test", "--", "true"]).ok();
    assert!(note(&repo, &head).contains("\"passing\":true"));

    // A commit landing while the tests run: the result belongs to neither commit.
    let notes = repo.git(&["rev-parse", "refs/notes/agents"]);
    repo.agents_in(
        &worktree,
        &[
            "test",
            "--",
            "sh",
            "-c",
            "echo x > late.txt && git add late.txt && git commit -qm late",
        ],
    )
    .fails(1)
    .says("HEAD moved from");
    assert_eq!(repo.git(&["rev-parse", "refs/notes/agents"]), notes);
}

#[test]
fn review_iterates_with_the_fix_command_until_the_threshold() {
    let (repo, worktree) = spawned_backend();
    repo.commit_in(&worktree, "score.txt", "7\n", "Start the score");
    repo.git(&[
        "config",
        "agents.fixCommand",
        "echo $(( $(cat score.txt) + 1 )) > score.txt && git commit -qam \"Address review ($GIT_AGENTS_REVIEW_SCORE)\"",
    ]);
    let report = repo
        .agents_in(
            &worktree,
            &[
                "review",
                "--json",
                "--",
                "sh",
                "-c",
                "echo \"Score: $(cat score.txt)/10\"",
            ],
        )
        .ok()
        .json();
    let scores: Vec<u64> = report["iterations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["score"].as_u64().unwrap())
        .collect();
    assert_eq!(scores, [7, 8, 9, 10]);
    assert_eq!(report["reached"], true);
    // Each iteration is recorded on the commit it reviewed.
    for iteration in report["iterations"].as_array().unwrap() {
        let commit = iteration["commit"].as_str().unwrap();
        let text = note(&repo, commit);
        assert!(
            text.contains(&format!("\"score\":{}", iteration["score"])),
            "{commit}: {text}"
        );
        assert_eq!(text.lines().count(), 1, "{text}");
    }
    let shown = agent(&repo, "backend-agent");
    assert_eq!(shown["review_score"], 10);
    assert_eq!(shown["status"], "review");
    let log = repo.agents(&["log", "-n", "1"]).ok();
    assert!(
        log.stdout
            .contains("review backend-agent: 10/10 after 4 iterations"),
        "{}",
        log.stdout
    );
}

#[test]
fn review_gives_up_after_its_iterations_and_needs_a_score() {
    let (repo, worktree) = spawned_backend();
    repo.git(&[
        "config",
        "agents.fixCommand",
        "git commit -q --allow-empty -m 'Try again'",
    ]);
    let run = repo
        .agents_in(
            &worktree,
            &[
                "review",
                "--max-iterations",
                "2",
                "--",
                "echo",
                "{\"score\": 6, \"issues\": 3}",
            ],
        )
        .fails(1);
    assert!(
        run.stdout.contains("6/10") && run.stdout.contains("2 iterations"),
        "{}",
        run.stdout
    );

    // A lower threshold is met by the same score.
    repo.agents_in(
        &worktree,
        &["review", "--threshold", "6", "--", "echo", "6/10"],
    )
    .ok();

    let before = repo.refs();
    repo.agents_in(&worktree, &["review", "--", "echo", "looks fine to me"])
        .fails(1)
        .says("`echo 'looks fine to me'`")
        .says("printed no score");
    assert_eq!(repo.refs(), before);

    // The stated score is the score; one that can't be read is refused, not guessed.
    repo.agents_in(
        &worktree,
        &[
            "review",
            "--",
            "printf",
            "Score: 1e9\nAll 10/10 tests pass\n",
        ],
    )
    .fails(1)
    .says("not a whole number");
    assert_eq!(repo.refs(), before);
    let run = repo
        .agents_in(
            &worktree,
            &["review", "--", "printf", "Score: 3\nAll 10/10 tests pass\n"],
        )
        .fails(1);
    assert!(run.stdout.contains("3/10"), "{}", run.stdout);
    let head = repo.git_in(&worktree, &["rev-parse", "HEAD"]);
    let note = repo.git(&["notes", "--ref", "agents", "show", head.trim()]);
    assert!(
        note.lines().last().unwrap().contains("\"score\":3"),
        "{note}"
    );
    repo.agents_in(&worktree, &["review"])
        .fails(2)
        .says("git config agents.reviewCommand");
}

#[test]
fn approvals_hold_for_the_commit_approved_only() {
    let (repo, worktree) = spawned_backend();
    let run = repo
        .agents(&["approve", "backend-agent", "--by", "Ada", "--json"])
        .ok()
        .json();
    assert_eq!(run["by"], "Ada");
    assert_eq!(run["approvals"], serde_json::json!(["Ada"]));
    repo.agents(&["approve", "backend-agent"])
        .ok()
        .says("Test User approved");
    assert_eq!(
        agent(&repo, "backend-agent")["approvals"],
        serde_json::json!(["Ada", "Test User"])
    );
    repo.commit_in(&worktree, "later.py", "y = 2\n", "Later work");
    assert_eq!(
        agent(&repo, "backend-agent")["approvals"],
        serde_json::json!([])
    );
    repo.agents(&["approve", "nobody-agent"])
        .fails(2)
        .says("unknown agent");
    repo.agents(&["approve", "security-agent"])
        .fails(1)
        .says("spawn it first");
}
