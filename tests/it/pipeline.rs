//! `run`'s pipeline under load: deliveries of different agents at the same time, work
//! that falls short of the tests or the review sent back to the agent with what they
//! found, failed agents retried by the next run, and an ending that says, for each agent
//! left unmerged, why and what to run next.

use crate::common;

use std::path::{Path, PathBuf};

use common::Repo;

/// Commit one file, as an agent's first round of work.
const WORK: &str = "echo work > \"$GIT_AGENTS_AGENT.txt\" && git add . && git commit -qm work";

fn out(repo: &Repo, name: &str) -> PathBuf {
    repo.tmp.path().join(name)
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// Criteria that only the gates under test decide.
fn relaxed(repo: &Repo) {
    repo.git(&["config", "agents.approvals", "0"]);
    repo.git(&["config", "agents.requireTasksDone", "false"]);
}

fn status_of(repo: &Repo, name: &str) -> String {
    common::agent(&repo.status_json(), name)["status"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Run security-agent and backend-agent with `jobs` deliveries at once, each review taking
/// `seconds`; the lines the reviews wrote, `start AGENT` and `end AGENT`, in order.
fn review_runs_with_jobs(jobs: &str, seconds: &str) -> Vec<String> {
    let repo = Repo::new();
    repo.init_example();
    let log = out(&repo, "reviews.log");
    repo.git(&[
        "config",
        "agents.reviewCommand",
        &format!(
            "echo \"start $GIT_AGENTS_AGENT\" >> '{0}'; sleep {seconds}; echo \"end $GIT_AGENTS_AGENT\" >> '{0}'; echo 'Score: 10/10'",
            log.display()
        ),
    ]);
    repo.agents(&[
        "run",
        "security-agent",
        "backend-agent",
        "--exec",
        WORK,
        "--jobs",
        jobs,
    ])
    .ok();
    read(&log).lines().map(str::to_owned).collect()
}

#[test]
fn deliveries_of_different_agents_run_at_the_same_time() {
    let lines = review_runs_with_jobs("2", "1");
    assert!(lines.len() >= 4, "{lines:?}");
    assert!(
        lines[0].starts_with("start") && lines[1].starts_with("start"),
        "both agents' reviews were running before either ended: {lines:?}"
    );
}

#[test]
fn with_one_job_deliveries_take_turns() {
    let lines = review_runs_with_jobs("1", "0.3");
    for pair in lines.chunks(2) {
        assert!(
            pair[0].starts_with("start") && pair[1].starts_with("end"),
            "{lines:?}"
        );
    }
}

#[test]
fn a_review_that_falls_short_sends_the_agent_back_with_its_findings_until_it_passes() {
    let repo = Repo::new();
    repo.init_example();
    relaxed(&repo);
    repo.git(&["config", "agents.requireTests", "false"]);
    repo.git(&[
        "config",
        "agents.reviewCommand",
        "if test -f fixed.txt; then echo 'Score: 10/10'; else echo 'fixed.txt is missing'; echo 'Score: 4/10'; fi",
    ]);
    let seen = out(&repo, "seen.txt");
    let brief = out(&repo, "brief.md");
    let exec = format!(
        "if test -n \"$GIT_AGENTS_REVIEW_FILE\"; then cp \"$GIT_AGENTS_REVIEW_FILE\" '{}'; git agents brief > '{}'; echo fixed > fixed.txt; git add fixed.txt; git commit -qm fix; else {WORK}; fi",
        seen.display(),
        brief.display()
    );
    let run = repo
        .agents(&["run", "security-agent", "--exec", &exec, "--json"])
        .ok();
    let events = run.json_lines();
    let again: Vec<&serde_json::Value> = events.iter().filter(|e| e["event"] == "again").collect();
    assert_eq!(again.len(), 1, "{}", run.stdout);
    assert_eq!(again[0]["agent"], "security-agent");
    assert_eq!(again[0]["kind"], "review");
    assert_eq!(again[0]["summary"], "review 4/10, short of 10");
    assert_eq!(again[0]["launch"], 1);
    assert!(
        read(&seen).contains("fixed.txt is missing"),
        "{}",
        read(&seen)
    );
    let brief = read(&brief);
    assert!(brief.contains("## Review findings"), "{brief}");
    assert!(brief.contains("fixed.txt is missing"), "{brief}");
    let launched = events
        .iter()
        .filter(|e| e["event"] == "launched" && e["agent"] == "security-agent")
        .count();
    assert_eq!(launched, 2, "{}", run.stdout);
    assert_eq!(status_of(&repo, "security-agent"), "merged");
    assert_eq!(events.last().unwrap()["merged"][0], "security-agent");
    // Once it passed, its findings are gone from its brief.
    let after = repo.agents(&["brief", "security-agent"]).ok().stdout;
    assert!(!after.contains("Review findings"), "{after}");
}

#[test]
fn failing_tests_send_the_agent_back_with_their_output() {
    let repo = Repo::new();
    repo.init_example();
    relaxed(&repo);
    repo.git(&["config", "agents.reviewThreshold", "0"]);
    // The suite passes on main and fails once the agent's first round is merged onto it.
    repo.git(&[
        "config",
        "agents.testCommand",
        "if test -f broken.txt; then echo 'broken.txt breaks the build'; exit 1; fi",
    ]);
    let seen = out(&repo, "seen.txt");
    let exec = format!(
        "if test -n \"$GIT_AGENTS_TEST_FILE\"; then cp \"$GIT_AGENTS_TEST_FILE\" '{}'; git rm -q broken.txt; git commit -qm fix; else echo x > broken.txt; git add . && git commit -qm work; fi",
        seen.display()
    );
    let run = repo
        .agents(&["run", "security-agent", "--exec", &exec])
        .ok();
    run.prints("security-agent: tests fail on the merged result");
    run.prints("launching its command again (relaunch 1)");
    assert!(
        read(&seen).contains("broken.txt breaks the build"),
        "{}",
        read(&seen)
    );
    assert_eq!(status_of(&repo, "security-agent"), "merged");
    // The merged result that passed is recorded on the head that landed.
    let log = repo.agents(&["log", "security-agent"]).ok().stdout;
    assert!(log.contains("merged onto base as"), "{log}");
}

#[test]
fn work_that_never_passes_fails_after_the_review_iteration_limit() {
    let repo = Repo::new();
    repo.init_example();
    relaxed(&repo);
    repo.git(&["config", "agents.requireTests", "false"]);
    repo.git(&["config", "agents.maxReviewIterations", "2"]);
    repo.git(&["config", "agents.reviewCommand", "echo 'Score: 3/10'"]);
    let count = out(&repo, "launches");
    let exec = format!(
        "echo x >> '{0}'; cp '{0}' w.txt; git add w.txt; git commit -qm w",
        count.display()
    );
    let run = repo
        .agents(&["run", "security-agent", "--exec", &exec])
        .fails(1);
    assert_eq!(read(&count).lines().count(), 2, "launched twice in all");
    run.says("review 3/10, short of 10, after 2 rounds of work and review");
    assert_eq!(status_of(&repo, "security-agent"), "failed");
}

#[test]
fn a_second_run_retries_what_failed_unless_told_not_to() {
    let repo = Repo::new();
    repo.init_example();
    relaxed(&repo);
    repo.git(&["config", "agents.requireTests", "false"]);
    repo.git(&["config", "agents.reviewThreshold", "0"]);
    let mark = out(&repo, "tried");
    let exec = format!(
        "test -f '{0}' || {{ touch '{0}'; echo 'first try breaks'; exit 3; }}; {WORK}",
        mark.display()
    );
    let first = repo
        .agents(&["run", "security-agent", "--exec", &exec])
        .fails(1);
    first.prints("0 merged, 1 failed, 0 waiting");
    first.prints("Not merged:");
    first.prints("security-agent (failed)");
    first.prints("first try breaks");
    first.prints("next: git agents run security-agent");

    let held = repo
        .agents(&["run", "security-agent", "--exec", &exec, "--no-retry"])
        .fails(1);
    held.prints("0 merged, 1 failed");
    assert_eq!(status_of(&repo, "security-agent"), "failed");

    let again = repo
        .agents(&["run", "security-agent", "--exec", &exec])
        .ok();
    again.prints("security-agent: failed before");
    again.prints("1 merged, 0 failed, 0 waiting");
    assert_eq!(status_of(&repo, "security-agent"), "merged");
}

#[test]
fn the_end_of_a_run_names_each_unmet_criterion_and_the_next_command() {
    let repo = Repo::new();
    repo.init_example();
    repo.git(&["config", "agents.testCommand", "true"]);
    repo.git(&["config", "agents.reviewCommand", "echo 'Score: 10/10'"]);
    let run = repo.agents(&["run", "security-agent", "--exec", WORK]).ok();
    run.prints("0 merged, 0 failed, 1 waiting");
    run.prints("security-agent (pr_open)");
    run.prints("approvals:");
    run.prints("tasks:");
    run.prints("next: git agents");
    let json = repo
        .agents(&["run", "security-agent", "--exec", WORK, "--json"])
        .ok()
        .json_lines();
    let report = json.last().unwrap();
    assert_eq!(report["event"], "report");
    let entry = &report["unmerged"][0];
    assert_eq!(entry["agent"], "security-agent");
    let reasons: Vec<&str> = entry["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    assert!(
        reasons.iter().any(|r| r.starts_with("approvals:")),
        "{reasons:?}"
    );
    assert!(entry["next"].as_str().unwrap().starts_with("git agents "));
}

/// A test command that counts, in `count`, the runs on a merged result (not on heads).
fn counting_tests(repo: &Repo) -> PathBuf {
    let count = out(repo, "merged-runs");
    repo.git(&[
        "config",
        "agents.testCommand",
        &format!(
            "if test -n \"$GIT_AGENTS_MERGED_RESULT\"; then echo run >> '{}'; fi",
            count.display()
        ),
    ]);
    count
}

#[test]
fn four_agents_ready_at_once_merge_with_one_test_run_when_all_pass() {
    let repo = Repo::new();
    repo.init_example();
    let count = counting_tests(&repo);
    let four = [
        "security-agent",
        "backend-agent",
        "frontend-agent",
        "rag-agent",
    ];
    for name in four {
        repo.ready(name, &format!("{name}.txt"), "work\n");
    }
    let mut args = vec!["run"];
    args.extend(four);
    args.extend(["--exec", "true", "--json"]);
    let run = repo.agents(&args).ok();
    let report = run.json_lines().pop().unwrap();
    assert_eq!(
        report["merged"].as_array().unwrap().len(),
        4,
        "{}",
        run.stdout
    );
    assert_eq!(
        read(&count).lines().count(),
        1,
        "one test of the combined result"
    );
    for name in four {
        assert!(repo.root.join(format!("{name}.txt")).exists());
    }
}

#[test]
fn a_merged_result_identical_to_a_tested_head_is_not_tested_again() {
    let repo = Repo::new();
    repo.init_example();
    let count = counting_tests(&repo);
    for name in ["security-agent", "backend-agent"] {
        repo.agents(&["spawn", name]).ok();
        let dir = repo.worktree(name);
        repo.commit_in(&dir, &format!("{name}.txt"), "work\n", "work");
        repo.agents_in(&dir, &["test"]).ok();
        repo.agents_in(&dir, &["review", "--", "echo", "Score: 10/10"])
            .ok();
        repo.agents(&["approve", name]).ok();
        repo.agents(&["pr", name]).ok();
        repo.finish_tasks(name);
    }
    // Base has not moved since security-agent branched off: its merged result is its head.
    let first = repo
        .agents(&["merge", "security-agent", "--json"])
        .ok()
        .json();
    assert!(
        first["merged"]["tested_with"]
            .as_str()
            .unwrap()
            .contains("whose tree the merged result is"),
        "{first}"
    );
    assert_eq!(read(&count).lines().count(), 0);
    // Base moved under backend-agent: its merged result is new, and tested.
    repo.agents(&["merge", "backend-agent"]).ok();
    assert_eq!(read(&count).lines().count(), 1);
}

#[test]
fn among_ready_entries_the_one_with_the_longest_waiting_chain_merges_first() {
    let repo = Repo::new();
    let plan = repo.tmp.path().join("plan.toml");
    std::fs::write(
        &plan,
        "[[agents]]\nname = \"alone\"\ntasks = [\"Work (1h)\"]\n\n\
         [[agents]]\nname = \"root\"\ntasks = [\"Work (1h)\"]\n\n\
         [[agents]]\nname = \"middle\"\ndepends_on = [\"root\"]\ntasks = [\"Work (1h)\"]\n\n\
         [[agents]]\nname = \"leaf\"\ndepends_on = [\"middle\"]\ntasks = [\"Work (1h)\"]\n",
    )
    .unwrap();
    repo.agents(&["init", "--plan", plan.to_str().unwrap()])
        .ok();
    let queue = repo.agents(&["queue", "--json"]).ok().json();
    let order: Vec<&str> = queue["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["agent"].as_str().unwrap())
        .collect();
    assert_eq!(order, ["root", "alone", "middle", "leaf"]);
}
