//! `queue run --batch N` on the local forge with real repositories: a batch tested once
//! on its combined result, bisection to the entry that breaks it, entries that fail only
//! together, conflicts inside a batch, a broken base, and GitHub falling back to one at
//! a time.

use crate::common;

use std::path::PathBuf;

use common::Repo;
use common::gh::{FakeGh, SLUG, github_repo};
use serde_json::json;

/// The phase-1 agents of the example plan, in queue order.
const QUEUE: [&str; 5] = [
    "security-agent",
    "backend-agent",
    "frontend-agent",
    "rag-agent",
    "devops-agent",
];

/// A repository with the example plan whose test command counts its runs in a file
/// outside the repository and fails when any file named in `breaks` exists, or when
/// every file in `together` exists.
fn counted(breaks: &[&str], together: &[&str]) -> (Repo, PathBuf) {
    let repo = Repo::new();
    repo.init_example();
    let count = repo.tmp.path().join("test-runs");
    let mut script = format!("echo run >> '{}'", count.display());
    for file in breaks {
        script.push_str(&format!(
            "; if test -f {file}; then echo '{file} breaks the build'; exit 1; fi"
        ));
    }
    if !together.is_empty() {
        let all: Vec<String> = together.iter().map(|f| format!("test -f {f}")).collect();
        script.push_str(&format!(
            "; if {}; then echo 'together they break the build'; exit 1; fi",
            all.join(" && ")
        ));
    }
    repo.git(&["config", "agents.testCommand", &script]);
    (repo, count)
}

fn runs(count: &PathBuf) -> usize {
    std::fs::read_to_string(count)
        .map(|t| t.lines().count())
        .unwrap_or(0)
}

fn agent_doc(repo: &Repo, name: &str) -> serde_json::Value {
    let text = repo.git(&["show", &format!("refs/agents/state:agents/{name}.json")]);
    serde_json::from_str(&text).unwrap()
}

fn tip(repo: &Repo, rev: &str) -> String {
    repo.git(&["rev-parse", rev]).trim().to_owned()
}

/// The subjects of the commits base gained since `old`, oldest first.
fn subjects_since(repo: &Repo, old: &str) -> Vec<String> {
    repo.git(&["log", "--reverse", "--format=%s", &format!("{old}..main")])
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn a_passing_batch_merges_every_entry_with_one_test_run() {
    let (repo, count) = counted(&["bad.txt"], &[]);
    for name in QUEUE.iter().take(4) {
        repo.ready(name, &format!("{name}.txt"), "work\n");
    }
    let old = tip(&repo, "main");
    let run = repo
        .agents(&["queue", "run", "--batch", "4", "--json"])
        .ok()
        .json();
    assert_eq!(runs(&count), 1, "one test run on the combined result");
    assert_eq!(run["batch"], 4);
    let batch = &run["batches"][0];
    assert_eq!(batch["test_runs"], 1);
    assert_eq!(batch["agents"], json!(QUEUE[..4]));
    assert_eq!(batch["merged"], json!(QUEUE[..4]));
    assert_eq!(batch["rejected"], json!([]));

    // One squash commit per agent, in queue order, each agent's own merged commit.
    let subjects = subjects_since(&repo, &old);
    assert_eq!(subjects.len(), 4, "{subjects:?}");
    let history: Vec<String> = repo
        .git(&["rev-list", "--reverse", &format!("{old}..main")])
        .lines()
        .map(str::to_owned)
        .collect();
    for (name, commit) in QUEUE.iter().zip(&history) {
        let doc = agent_doc(&repo, name);
        assert_eq!(doc["status"], "merged", "{name}");
        assert_eq!(doc["merged_commit"], commit.as_str(), "{name}");
        let changed = repo.git(&["show", "--format=", "--name-only", commit]);
        assert_eq!(changed.trim(), format!("{name}.txt"), "{name}");
        assert_eq!(
            repo.git(&["rev-list", "--count", "--parents", "-1", commit])
                .trim(),
            "1"
        );
    }
    // The base worktree came along; one reflog entry moved base for the whole batch.
    assert!(repo.root.join("rag-agent.txt").exists());
    let reflog = repo.git(&["reflog", "--format=%gs", "-n", "1", "main"]);
    assert!(reflog.contains("--batch"), "{reflog}");
    assert_eq!(
        repo.git(&["rev-parse", "main@{1}"]).trim(),
        old,
        "base moved once"
    );
    // The fifth, not proposed, is still waiting.
    let shown = repo.agents(&["queue"]).ok().stdout;
    assert!(shown.contains("devops-agent"), "{shown}");
}

#[test]
fn bisection_names_the_culprit_and_merges_the_others() {
    let (repo, count) = counted(&["bad.txt"], &[]);
    repo.ready("security-agent", "a.txt", "a\n");
    repo.ready("backend-agent", "b.txt", "b\n");
    repo.ready("frontend-agent", "bad.txt", "oops\n");
    repo.ready("rag-agent", "d.txt", "d\n");
    let old = tip(&repo, "main");
    let run = repo.agents(&["queue", "run", "--batch", "4"]).fails(1);
    assert!(
        run.stdout
            .contains("frontend-agent not merged: tests fail when it is merged after security-agent, backend-agent"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("bad.txt breaks the build"),
        "the test output tail is shown: {}",
        run.stdout
    );
    assert!(
        run.stderr
            .contains("the batch left frontend-agent unmerged"),
        "{}",
        run.stderr
    );
    // Whole batch, then the first two (pass), then the first three (fail), then the
    // rest laid again without the culprit.
    assert_eq!(runs(&count), 4);
    assert_eq!(
        subjects_since(&repo, &old).len(),
        3,
        "one commit per merged agent"
    );
    for name in ["security-agent", "backend-agent", "rag-agent"] {
        assert_eq!(agent_doc(&repo, name)["status"], "merged", "{name}");
    }
    assert!(repo.git(&["ls-tree", "main", "d.txt"]).contains("d.txt"));
    assert!(repo.git(&["ls-tree", "main", "bad.txt"]).is_empty());
    let culprit = agent_doc(&repo, "frontend-agent");
    assert_eq!(culprit["status"], "pr_open");
    let failure = culprit["failure"].as_str().unwrap();
    assert!(
        failure.contains("not merged by queue run --batch"),
        "{failure}"
    );
    let status = repo.agents(&["status"]).ok().stdout;
    assert!(
        status.contains("not merged by queue run --batch"),
        "{status}"
    );
    // A later run does not lose it: it is tried again (and fails again, alone).
    let main = tip(&repo, "main");
    repo.agents(&["queue", "run", "--batch", "4"])
        .fails(1)
        .says("frontend-agent not merged: tests fail when it is merged (");
    assert_eq!(tip(&repo, "main"), main, "base is untouched");
    assert_eq!(agent_doc(&repo, "frontend-agent")["status"], "pr_open");
}

#[test]
fn entries_that_fail_only_together_set_aside_the_later_one() {
    // backend and rag each pass alone; together they fail.
    let (repo, count) = counted(&[], &["x.txt", "y.txt"]);
    repo.ready("security-agent", "s.txt", "s\n");
    repo.ready("backend-agent", "x.txt", "x\n");
    repo.ready("frontend-agent", "f.txt", "f\n");
    repo.ready("rag-agent", "y.txt", "y\n");
    let run = repo
        .agents(&["queue", "run", "--batch", "4", "--json"])
        .fails(1)
        .json();
    let batch = &run["batches"][0];
    assert_eq!(
        batch["merged"],
        json!(["security-agent", "backend-agent", "frontend-agent"])
    );
    let rejected = &batch["rejected"][0];
    assert_eq!(rejected["agent"], "rag-agent");
    assert_eq!(rejected["why"]["kind"], "tests_failed");
    assert_eq!(
        rejected["why"]["after"],
        json!(["security-agent", "backend-agent", "frontend-agent"])
    );
    assert!(
        rejected["why"]["tail"]
            .as_str()
            .unwrap()
            .contains("together they break the build"),
        "{rejected}"
    );
    assert_eq!(batch["test_runs"], runs(&count));
    assert_eq!(agent_doc(&repo, "rag-agent")["status"], "pr_open");
    assert_eq!(agent_doc(&repo, "backend-agent")["status"], "merged");
}

#[test]
fn conflicts_inside_a_batch_set_aside_only_the_conflicting_entry() {
    let (repo, _count) = counted(&["bad.txt"], &[]);
    repo.ready("security-agent", "config.py", "SECURE = True\n");
    repo.ready("backend-agent", "b.txt", "b\n");
    repo.ready("frontend-agent", "config.py", "THEME = 'dark'\n");
    let run = repo
        .agents(&["queue", "run", "--batch", "3", "--json"])
        .fails(1)
        .json();
    let batch = &run["batches"][0];
    assert_eq!(batch["merged"], json!(["security-agent", "backend-agent"]));
    let rejected = &batch["rejected"][0];
    assert_eq!(rejected["agent"], "frontend-agent");
    assert_eq!(rejected["why"]["kind"], "conflict");
    assert_eq!(rejected["why"]["files"], json!(["config.py"]));
    assert_eq!(batch["test_runs"], 1);
    assert_eq!(repo.git(&["show", "main:config.py"]), "SECURE = True\n");
    assert_eq!(agent_doc(&repo, "frontend-agent")["status"], "pr_open");
    repo.agents(&["merge", "frontend-agent", "--dry-run"])
        .fails(1)
        .says("conflicts with main in config.py");
}

#[test]
fn an_entry_conflicting_only_with_the_culprit_still_merges() {
    let (repo, count) = counted(&["bad.txt"], &[]);
    // backend breaks the tests; frontend conflicts with backend only.
    repo.ready("security-agent", "s.txt", "s\n");
    repo.agents(&["spawn", "backend-agent"]).ok();
    let dir = repo.worktree("backend-agent");
    repo.commit_in(&dir, "bad.txt", "oops\n", "Break the build");
    repo.commit_in(&dir, "shared.txt", "backend\n", "Share");
    repo.propose("backend-agent");
    repo.ready("frontend-agent", "shared.txt", "frontend\n");
    let run = repo
        .agents(&["queue", "run", "--batch", "3", "--json"])
        .fails(1)
        .json();
    let batch = &run["batches"][0];
    assert_eq!(batch["merged"], json!(["security-agent", "frontend-agent"]));
    assert_eq!(batch["rejected"].as_array().unwrap().len(), 1, "{batch}");
    assert_eq!(batch["rejected"][0]["agent"], "backend-agent");
    assert_eq!(repo.git(&["show", "main:shared.txt"]), "frontend\n");
    assert_eq!(batch["test_runs"], runs(&count));
}

#[test]
fn a_base_that_fails_its_own_tests_merges_nothing() {
    let (repo, count) = counted(&["README.md"], &[]);
    repo.ready("security-agent", "s.txt", "s\n");
    repo.ready("backend-agent", "b.txt", "b\n");
    let before = repo.refs();
    let worktrees = repo.worktrees();
    let run = repo.agents(&["queue", "run", "--batch", "2"]).fails(1);
    assert!(
        run.stderr.contains("tests fail on main itself"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("nothing was merged"), "{}", run.stderr);
    assert_eq!(repo.refs(), before, "nothing moved");
    assert_eq!(repo.worktrees(), worktrees, "no scratch worktree is left");
    assert_eq!(runs(&count), 3, "the batch, its first entry, and base");
}

#[test]
fn batch_is_refused_at_zero_and_a_dry_run_changes_nothing() {
    let repo = Repo::new();
    repo.init_example();
    repo.agents(&["queue", "run", "--batch", "0"]).fails(2);
    repo.ready("security-agent", "s.txt", "s\n");
    let before = repo.refs();
    let dry = repo
        .agents(&["queue", "run", "--batch", "2", "--dry-run", "--json"])
        .ok()
        .json();
    assert_eq!(dry["batch"], 2);
    assert_eq!(dry["merges"][0]["agent"], "security-agent");
    assert_eq!(repo.refs(), before);
}

#[test]
fn github_entries_fall_back_to_one_at_a_time_with_a_notice() {
    let (repo, _bare) = github_repo();
    repo.init_example();
    let fake = FakeGh::install(&repo, json!({ "repo": SLUG, "next_number": 5, "prs": [] }));
    for (name, file) in [("security-agent", "s.txt"), ("backend-agent", "b.txt")] {
        repo.agents(&["spawn", name]).ok();
        let dir = repo.worktree(name);
        repo.commit_in(&dir, file, "work\n", "Work");
        repo.agents_in(&dir, &["test", "--", "true"]).ok();
        repo.agents_in(&dir, &["review", "--", "echo", "Score: 10/10"])
            .ok();
        fake.run(&repo, &["pr", name]).ok();
    }
    fake.edit(|state| {
        for pr in state["prs"].as_array_mut().unwrap() {
            pr["reviews"] = json!([{
                "author": {"login": "ann"}, "state": "APPROVED",
                "submittedAt": "2024-10-02T00:00:00Z", "commit": {"oid": "x"}
            }]);
        }
    });
    let run = fake.run(&repo, &["queue", "run", "--batch", "4"]).ok();
    assert!(
        run.stdout
            .contains("Note: GitHub merges pull requests through gh one at a time"),
        "{}",
        run.stdout
    );
    let merges = fake.calls_to(&["pr", "merge"]);
    assert_eq!(merges.len(), 2, "{merges:?}");
    let json = fake
        .run(&repo, &["queue", "run", "--batch", "4", "--json"])
        .ok()
        .json();
    assert_eq!(json["notices"], json!([]), "nothing was left to merge");
}
