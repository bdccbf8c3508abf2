//! The local forge on real repositories: PRs recorded in the state, merges built off to
//! the side and tested before base moves, conflicts named, and cleanup after squash merges.

use crate::common;

use common::Repo;

fn agent(repo: &Repo, name: &str) -> serde_json::Value {
    repo.status_json()["agents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == name)
        .cloned()
        .unwrap()
}

fn tip(repo: &Repo, rev: &str) -> String {
    repo.git(&["rev-parse", rev]).trim().to_owned()
}

#[test]
fn pr_records_a_local_pull_request() {
    let repo = Repo::new();
    repo.init_example();
    repo.agents(&["pr", "backend-agent"])
        .fails(1)
        .says("has not been spawned");
    repo.agents(&["spawn", "backend-agent", "frontend-agent"])
        .ok();
    repo.agents(&["pr", "backend-agent"])
        .fails(1)
        .says("no commits that main lacks");
    repo.commit_in(&repo.worktree("backend-agent"), "api.py", "x\n", "API");
    repo.commit_in(&repo.worktree("frontend-agent"), "ui.js", "y\n", "UI");
    let first = repo.agents(&["pr", "backend-agent", "--json"]).ok().json();
    assert_eq!(first["number"], 1);
    assert_eq!(first["forge"], "local");
    let second = repo.agents(&["pr", "frontend-agent", "--draft"]).ok();
    second.prints("PR #2");
    // Asking again keeps the number.
    let again = repo.agents(&["pr", "backend-agent", "--json"]).ok().json();
    assert_eq!(again["number"], 1);
    assert_eq!(again["adopted"], true);
    let shown = agent(&repo, "backend-agent");
    assert_eq!(shown["status"], "pr_open");
    assert_eq!(shown["pr"]["number"], 1);
    assert_eq!(shown["pr"]["forge"], "local");
    let log = repo.agents(&["log", "--reverse"]).ok().stdout;
    assert!(
        log.contains("pr backend-agent #1") && log.contains("pr frontend-agent #2"),
        "{log}"
    );
    // A draft does not merge.
    let criteria = repo
        .agents(&["merge", "frontend-agent", "--dry-run", "--json"])
        .fails(1)
        .json();
    let pr = &criteria["criteria"]["criteria"][0];
    assert_eq!(pr["ok"], false);
    assert!(pr["reason"].as_str().unwrap().contains("draft"), "{pr}");
}

#[test]
fn merge_checks_every_criterion_then_squashes_into_base() {
    let repo = Repo::new();
    repo.init_example();
    repo.agents(&["spawn", "backend-agent"]).ok();
    let dir = repo.worktree("backend-agent");
    repo.commit_in(&dir, "api.py", "def api(): pass\n", "Add the API");
    repo.agents(&["pr", "backend-agent"]).ok();
    let before = repo.refs();
    let run = repo.agents(&["merge", "backend-agent"]).fails(1);
    for line in [
        "✓ pr           #1 open",
        "✗ tests        no test run recorded",
        "✗ review       no review recorded",
        "✗ tasks        0 of 4 done; open: 1, 2, 3, 4 (git agents task done N)",
        "✓ mergeable    merges cleanly into main",
        "✓ dependencies none",
        "✗ approvals    0 of 1 approvals",
    ] {
        assert!(run.stdout.contains(line), "{line:?} in {}", run.stdout);
    }
    assert!(
        run.stderr
            .contains("4 criteria unmet (tests, review, tasks, approvals)"),
        "{}",
        run.stderr
    );
    assert_eq!(repo.refs(), before, "a refused merge changes nothing");

    repo.propose("backend-agent");
    let dry = repo.agents(&["merge", "backend-agent", "--dry-run"]).ok();
    dry.prints("would merge");
    assert_eq!(tip(&repo, "main"), tip(&repo, "HEAD~0"));
    let old_main = tip(&repo, "main");

    let run = repo.agents(&["merge", "backend-agent"]).ok();
    run.prints("Merged backend-agent into main");
    run.prints("Unblocked: github-agent");
    let new_main = tip(&repo, "main");
    assert_ne!(new_main, old_main);
    assert_eq!(
        tip(&repo, "main^"),
        old_main,
        "a squash has the old base as its only parent"
    );
    assert_eq!(
        repo.git(&["rev-list", "--count", "--parents", "-1", "main"])
            .trim(),
        "1"
    );
    assert_eq!(repo.git(&["show", "main:api.py"]), "def api(): pass\n");
    // The checked-out base worktree came along and is clean.
    assert_eq!(
        std::fs::read_to_string(repo.root.join("api.py")).unwrap(),
        "def api(): pass\n"
    );
    assert_eq!(repo.git(&["status", "--porcelain"]), "");
    let shown = agent(&repo, "backend-agent");
    assert_eq!(shown["status"], "merged");
    let message = repo.git(&["log", "-1", "--format=%s", "main"]);
    assert_eq!(message.trim(), "Backend Architecture (backend-agent) (#1)");
    let state = repo.git(&["show", "refs/agents/state:agents/backend-agent.json"]);
    assert!(
        state.contains(&format!("\"merged_commit\": \"{new_main}\"")),
        "{state}"
    );
    let log = repo.agents(&["log", "-n", "1"]).ok().stdout;
    assert!(log.contains("merge backend-agent"), "{log}");
    // Merging again says so and changes nothing.
    let before = repo.refs();
    repo.agents(&["merge", "backend-agent"])
        .ok()
        .says("already merged");
    assert_eq!(repo.refs(), before);
    // github-agent may now be spawned.
    repo.agents(&["spawn", "--ready"]).ok().says("github-agent");
}

#[test]
fn tests_failing_on_the_merged_result_leave_base_untouched() {
    let repo = Repo::new();
    repo.init_example();
    // Each branch alone passes; together they fail.
    repo.git(&[
        "config",
        "agents.testCommand",
        "! { test -f a.txt && test -f b.txt; }",
    ]);
    repo.ready("security-agent", "a.txt", "a\n");
    repo.ready("rag-agent", "b.txt", "b\n");
    repo.agents(&["merge", "security-agent"]).ok();
    let before = repo.refs();
    let worktrees = repo.worktrees();
    let run = repo.agents(&["merge", "rag-agent"]).fails(1);
    assert!(
        run.stderr
            .contains("tests fail on the result of merging feature/rag-completion into main"),
        "{}",
        run.stderr
    );
    assert_eq!(repo.refs(), before, "base and the state are untouched");
    assert_eq!(repo.worktrees(), worktrees, "the scratch worktree is gone");
    assert!(!repo.root.join("b.txt").exists());
    assert_eq!(agent(&repo, "rag-agent")["status"], "pr_open");
}

#[test]
fn a_conflicting_pair_merges_the_first_and_names_the_files_for_the_second() {
    let repo = Repo::new();
    repo.init_example();
    repo.ready("security-agent", "config/settings.py", "SECURE = True\n");
    repo.ready("backend-agent", "config/settings.py", "POOL = 8\n");
    let run = repo.agents(&["queue", "run"]).fails(1);
    run.prints("Merged security-agent into main");
    assert!(
        run.stdout
            .contains("conflicts with main in config/settings.py"),
        "{}",
        run.stdout
    );
    assert!(run.stderr.contains("cannot merge yet"), "{}", run.stderr);
    assert_eq!(
        repo.git(&["show", "main:config/settings.py"]),
        "SECURE = True\n"
    );
    assert_eq!(agent(&repo, "security-agent")["status"], "merged");
    assert_eq!(agent(&repo, "backend-agent")["status"], "pr_open");
    let before = repo.refs();
    repo.agents(&["merge", "backend-agent"])
        .fails(1)
        .says("mergeable    conflicts with main in config/settings.py");
    assert_eq!(repo.refs(), before);

    // Resolving on the branch, then judging the new head again, lets it through.
    let dir = repo.worktree("backend-agent");
    let conflicted = repo
        .command("git", &dir)
        .args(["merge", "-q", "main"])
        .output()
        .unwrap();
    assert!(!conflicted.status.success());
    std::fs::write(dir.join("config/settings.py"), "SECURE = True\nPOOL = 8\n").unwrap();
    repo.git_in(&dir, &["commit", "-q", "-am", "Merge main into backend"]);
    repo.agents(&["merge", "backend-agent"])
        .fails(1)
        .says("no test run recorded");
    repo.propose("backend-agent");
    repo.agents(&["queue", "run"]).ok();
    assert_eq!(
        repo.git(&["show", "main:config/settings.py"]),
        "SECURE = True\nPOOL = 8\n"
    );
}

#[test]
fn a_dirty_base_worktree_refuses_and_a_clean_one_is_brought_along() {
    let repo = Repo::new();
    repo.init_example();
    repo.ready("devops-agent", "ci.yml", "on: push\n");
    repo.write("README.md", "local edit\n");
    let before = repo.refs();
    repo.agents(&["merge", "devops-agent"])
        .fails(1)
        .says("uncommitted changes");
    assert_eq!(repo.refs(), before);
    assert_eq!(
        std::fs::read_to_string(repo.root.join("README.md")).unwrap(),
        "local edit\n"
    );

    // With base checked out nowhere, only the ref moves.
    repo.git(&["stash", "-q"]);
    repo.git(&["switch", "-q", "--detach"]);
    repo.agents(&["merge", "devops-agent"]).ok();
    assert_eq!(repo.git(&["show", "main:ci.yml"]), "on: push\n");
    assert!(!repo.root.join("ci.yml").exists());
}

#[test]
fn merge_and_rebase_methods_keep_the_branch_history() {
    let repo = Repo::new();
    repo.init_example();
    repo.git(&["config", "agents.mergeMethod", "merge"]);
    let head = repo.ready("frontend-agent", "ui.js", "ui\n");
    repo.agents(&["merge", "frontend-agent"]).ok();
    let parents = repo.git(&["log", "-1", "--format=%P", "main"]);
    assert_eq!(parents.split_whitespace().nth(1), Some(head.as_str()));

    repo.git(&["config", "agents.mergeMethod", "rebase"]);
    repo.agents(&["spawn", "rag-agent"]).ok();
    let dir = repo.worktree("rag-agent");
    repo.commit_in(&dir, "rag/one.py", "1\n", "First step");
    repo.commit_in(&dir, "rag/two.py", "2\n", "Second step");
    repo.propose("rag-agent");
    let before = tip(&repo, "main");
    repo.agents(&["merge", "rag-agent"]).ok();
    let subjects = repo.git(&["log", "--format=%s|%an", &format!("{before}..main")]);
    assert_eq!(subjects, "Second step|Test User\nFirst step|Test User\n");
    assert_eq!(repo.git(&["show", "main:rag/two.py"]), "2\n");
}

#[test]
fn finish_cleans_up_squash_merged_work_and_abandons_on_request() {
    let repo = Repo::new();
    repo.init_example();
    repo.ready("security-agent", "sec.py", "s\n");
    repo.agents(&["finish", "security-agent"])
        .fails(1)
        .says("is not merged");
    repo.agents(&["merge", "security-agent"]).ok();
    // git itself does not see a squash-merged branch as merged.
    let dir = repo.worktree("security-agent");
    std::fs::write(dir.join("scratch.txt"), "notes\n").unwrap();
    let before = repo.refs();
    repo.agents(&["finish", "security-agent"])
        .fails(1)
        .says("uncommitted work (scratch.txt)");
    assert_eq!(repo.refs(), before);
    assert!(dir.exists());
    let run = repo.agents(&["finish", "security-agent", "--force"]).ok();
    run.prints("Finished security-agent");
    assert!(!dir.exists());
    assert!(
        !repo
            .refs()
            .contains("refs/heads/feature/security-hardening")
    );
    assert_eq!(agent(&repo, "security-agent")["status"], "completed");
    // Finishing twice is harmless.
    repo.agents(&["finish", "security-agent"])
        .ok()
        .says("nothing left to clean up");

    // Work already on base by hand counts as merged.
    repo.agents(&["spawn", "devops-agent"]).ok();
    let devops = repo.worktree("devops-agent");
    repo.commit_in(&devops, "ops.sh", "echo ops\n", "Ops");
    repo.git(&["merge", "-q", "--squash", "feature/devops-infrastructure"]);
    repo.git(&["commit", "-q", "-m", "Squash ops by hand"]);
    repo.agents(&["finish", "devops-agent"])
        .ok()
        .says("main already has every change");

    repo.agents(&["spawn", "backend-agent"]).ok();
    let b = repo.commit_in(&repo.worktree("backend-agent"), "b.py", "b\n", "B");
    let before = repo.refs();
    repo.agents(&["finish", "backend-agent", "--abandon"])
        .fails(1)
        .says("1 commit that main does not have");
    assert_eq!(repo.refs(), before, "work is not abandoned without --force");
    let run = repo
        .agents(&["finish", "backend-agent", "--abandon", "--force"])
        .ok();
    run.prints("Abandoned backend-agent");
    run.prints(&format!("git branch feature/backend-architecture {b}"));
    run.prints("stay blocked");
    assert_eq!(agent(&repo, "backend-agent")["status"], "abandoned");
    repo.agents(&["merge", "backend-agent"])
        .fails(1)
        .says("abandoned");
}

#[test]
fn finish_merged_cleans_every_merged_agent() {
    let repo = Repo::new();
    repo.init_example();
    repo.ready("security-agent", "a.py", "a\n");
    repo.ready("frontend-agent", "b.js", "b\n");
    let before = repo.refs();
    let dry = repo
        .agents(&["queue", "run", "--dry-run", "--json"])
        .ok()
        .json();
    let would: Vec<&str> = dry["merges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["agent"].as_str().unwrap())
        .collect();
    assert_eq!(would, ["security-agent", "frontend-agent"]);
    assert_eq!(repo.refs(), before, "a dry run changes nothing");
    repo.agents(&["queue", "run"]).ok();
    repo.agents(&["finish", "--merged"]).ok();
    assert_eq!(agent(&repo, "security-agent")["status"], "completed");
    assert_eq!(agent(&repo, "frontend-agent")["status"], "completed");
    assert!(!repo.worktree("security-agent").exists());
    assert!(!repo.worktree("frontend-agent").exists());
    assert_eq!(repo.worktrees().matches("worktree ").count(), 1);
    repo.agents(&["finish", "--merged"])
        .ok()
        .says("No merged agent");
}

#[test]
fn merged_results_are_tested_in_one_kept_checkout_that_goes_when_nothing_is_left_to_merge() {
    let repo = Repo::new();
    repo.write(".gitignore", "target/\n");
    repo.git(&["add", ".gitignore"]);
    repo.git(&["commit", "-q", "-m", "ignore build output"]);
    repo.init_example();
    let seen = repo.tmp.path().join("seen");
    // Each test run says what it found of the last one: a stray file (not ignored) must
    // be gone, build output (ignored) may stay, and the merged files must be there.
    repo.git(&[
        "config",
        "agents.testCommand",
        &format!(
            "echo \"$GIT_AGENTS_AGENT stray=$(test -e stray.txt && echo yes || echo no) built=$(ls target 2>/dev/null) files=$(ls *.txt | tr '\\n' ' ')\" >> '{}'; touch stray.txt; mkdir -p target; touch \"target/$GIT_AGENTS_AGENT\"",
            seen.display()
        ),
    ]);
    repo.ready("security-agent", "auth.txt", "auth\n");
    repo.agents(&["merge", "security-agent"]).ok();
    let kept = repo.root.join(".git/agents/merge/kept-0");
    assert!(kept.join(".git").is_file(), "{}", repo.all_worktrees());
    repo.ready("backend-agent", "api.txt", "api\n");
    repo.agents(&["merge", "backend-agent"]).ok();
    assert_eq!(
        std::fs::read_to_string(&seen).unwrap(),
        "security-agent stray=no built= files=auth.txt \n\
         backend-agent stray=no built=security-agent files=api.txt auth.txt \n",
        "the second test ran in the same checkout, brought to the new merged result"
    );
    assert!(
        !repo.all_worktrees().contains("kept-1"),
        "one checkout serves merges one after another"
    );
    assert!(!repo.root.join(".git/agents/merge/kept-0.pid").exists());

    // Finishing agents while others still have to merge keeps it; once nothing is left
    // to merge, it goes.
    repo.agents(&["finish", "--merged"]).ok();
    assert!(kept.exists());
    let plan = repo.agents(&["plan", "show", "--json"]).ok().json();
    for spec in plan["agents"].as_array().unwrap().iter().rev() {
        let name = spec["name"].as_str().unwrap();
        if !["security-agent", "backend-agent"].contains(&name) {
            repo.agents(&["remove", name, "--force"]).ok();
        }
    }
    repo.agents(&["finish", "--merged"]).ok();
    assert!(!kept.exists(), "{}", repo.all_worktrees());
    assert!(!repo.all_worktrees().contains("agents/merge"));
}
