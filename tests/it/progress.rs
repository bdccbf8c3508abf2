//! Progress on long work off a terminal: with -v each step is a plain line on stderr,
//! without it nothing is added; stdout keeps the same results and --json stays clean.
//! (On a terminal the same steps drive a spinner, which needs a real TTY to see.)

use crate::common;

use common::Repo;

/// Take `name` through work, a passing test, review, approval and PR, with a test
/// command that says something, so that it is ready to merge.
/// Commit on base, so that merged results differ from the heads tested (a merged result
/// identical to a tested head is not tested again).
fn move_base(repo: &Repo) {
    repo.write("base.txt", "moved\n");
    repo.git(&["add", "base.txt"]);
    repo.git(&["commit", "-q", "-m", "base moves on"]);
}

fn ready(repo: &Repo, name: &str) {
    repo.agents(&["spawn", name]).ok();
    let dir = repo.worktree(name);
    repo.commit_in(&dir, &format!("{name}.txt"), "work\n", "work");
    repo.agents_in(
        &dir,
        &["test", "--", "echo suite ok from $GIT_AGENTS_AGENT"],
    )
    .ok();
    repo.agents_in(&dir, &["review", "--", "echo", "Score: 10/10"])
        .ok();
    repo.agents(&["approve", name]).ok();
    repo.agents(&["pr", name]).ok();
    repo.finish_tasks(name);
}

#[test]
fn spawn_ready_says_what_it_checks_out_only_with_verbose() {
    let quiet_repo = Repo::new();
    quiet_repo.init_example();
    let plain = quiet_repo.agents(&["spawn", "--ready"]).ok();
    assert_eq!(plain.stderr, "", "nothing but results without -v");

    let repo = Repo::new();
    repo.init_example();
    let verbose = repo.agents(&["spawn", "--ready", "-v"]).ok();
    for line in [
        "creating branch feature/security-hardening from main",
        "checking out feature/security-hardening into",
        "worktrees/security-agent (1 of 5)",
        "worktrees/devops-agent (5 of 5)",
    ] {
        assert!(
            verbose.stderr.contains(line),
            "{line:?} in {}",
            verbose.stderr
        );
    }
    assert!(
        !verbose.stdout.contains("checking out"),
        "progress stays off stdout: {}",
        verbose.stdout
    );
    let shape = |text: &str| -> Vec<String> {
        text.lines()
            .map(|l| l.split(" in ").next().unwrap_or("").to_owned())
            .collect()
    };
    assert_eq!(
        shape(&verbose.stdout),
        shape(&plain.stdout),
        "-v changes nothing on stdout"
    );
    assert_eq!(verbose.stdout.lines().count(), 5, "{}", verbose.stdout);
}

#[test]
fn json_and_quiet_stay_clean_with_verbose() {
    let repo = Repo::new();
    repo.init_example();
    let json = repo
        .agents(&["spawn", "security-agent", "--json", "-v"])
        .ok();
    assert_eq!(json.json()["spawned"][0]["name"], "security-agent");
    assert_eq!(json.stderr, "", "no progress lines with --json");
    let quiet = repo.agents(&["spawn", "rag-agent", "-q"]).ok();
    assert_eq!(quiet.stderr, "");
    assert_eq!(quiet.stdout, "");
}

#[test]
fn queue_run_says_it_tests_the_merged_result_and_passes_the_output_through() {
    let repo = Repo::new();
    repo.init_example();
    ready(&repo, "backend-agent");
    ready(&repo, "security-agent");
    move_base(&repo);
    let run = repo.agents(&["queue", "run", "-v"]).ok();
    for line in [
        "merging security-agent (1st of the queue)",
        "testing the merged result of security-agent with `echo suite ok from $GIT_AGENTS_AGENT`",
        "merging backend-agent (1st of the queue)",
        "testing the merged result of backend-agent with",
    ] {
        assert!(run.stderr.contains(line), "{line:?} in {}", run.stderr);
    }
    assert!(
        run.stderr.contains("suite ok from backend-agent\n"),
        "the test's output is passed through: {}",
        run.stderr
    );
    assert!(
        run.stdout.contains("Merged security-agent into main")
            && run.stdout.contains("Merged backend-agent into main"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("testing the merged result"));
}

#[test]
fn merge_without_verbose_shows_the_tests_output_but_no_steps() {
    let repo = Repo::new();
    repo.init_example();
    ready(&repo, "backend-agent");
    move_base(&repo);
    let run = repo.agents(&["merge", "backend-agent", "--json"]).ok();
    assert!(run.json()["merged"]["commit"].is_string(), "{}", run.stdout);
    assert_eq!(run.stderr, "suite ok from backend-agent\n");
}

#[test]
fn doctor_fix_says_it_checks_a_deleted_worktree_out_again() {
    let repo = Repo::new();
    repo.init_example();
    repo.agents(&["spawn", "backend-agent"]).ok();
    std::fs::remove_dir_all(repo.worktree("backend-agent")).unwrap();
    let fixed = repo.agents(&["doctor", "--fix", "-v"]).ok();
    assert!(
        fixed
            .stderr
            .contains("checking out feature/backend-architecture into worktrees/backend-agent"),
        "{}",
        fixed.stderr
    );
    assert!(
        fixed
            .stdout
            .contains("fixed backend-agent: checked feature/backend-architecture out again"),
        "{}",
        fixed.stdout
    );
    assert!(repo.worktree("backend-agent").join(".git").exists());
}

#[test]
fn run_with_verbose_adds_its_long_steps_on_stderr_only() {
    let repo = Repo::new();
    repo.init_example();
    repo.git(&["config", "agents.testCommand", "echo merged suite ok"]);
    repo.git(&["config", "agents.approvals", "0"]);
    repo.git(&["config", "agents.requireTasksDone", "false"]);
    repo.git(&["config", "agents.reviewThreshold", "0"]);
    let work = "echo done > \"$GIT_AGENTS_AGENT.txt\" && git add . && git commit -qm work";
    let run = repo
        .agents(&["run", "backend-agent", "--exec", work, "-v"])
        .ok();
    for line in [
        "checking out feature/backend-architecture into",
        "opening a pull request for backend-agent",
        "testing backend-agent together on main with `echo merged suite ok`",
    ] {
        assert!(run.stderr.contains(line), "{line:?} in {}", run.stderr);
    }
    run.prints("launched backend-agent");
    assert!(!run.stdout.contains("checking out"), "{}", run.stdout);

    let json = repo
        .agents(&["run", "backend-agent", "--exec", work, "--json", "-v"])
        .ok();
    assert_eq!(json.stderr, "", "no progress lines with --json");
    let lines = json.json_lines();
    assert!(
        lines
            .iter()
            .all(|e| e["event"] != "working" && e["event"] != "tick"),
        "{}",
        json.stdout
    );
    assert_eq!(lines.last().unwrap()["event"], "report");
}
