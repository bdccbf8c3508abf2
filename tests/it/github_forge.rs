//! The GitHub forge driven through a fake `gh` (tests/support/fake-gh): PRs opened and
//! adopted, every merge criterion failing alone, merges pinned to the head commit,
//! transient failures retried, and gh missing, logged out, hanging or talking nonsense.

use crate::common;

use common::Repo;
use common::gh::{FakeGh, HOST_SLUG, SLUG, github_repo, path_without_gh};
use serde_json::json;

const BRANCH: &str = "feature/backend-architecture";

/// A GitHub repository with the example plan, backend-agent's work committed, tested and
/// reviewed, and a fake gh with no PRs yet.
fn backend_ready() -> (Repo, FakeGh, String) {
    let (repo, _bare) = github_repo();
    repo.init_example();
    repo.agents(&["spawn", "backend-agent"]).ok();
    let dir = repo.worktree("backend-agent");
    let head = repo.commit_in(
        &dir,
        "service.py",
        "def serve(): pass\n",
        "Add the service layer",
    );
    repo.agents_in(&dir, &["task", "done", "1"]).ok();
    repo.agents_in(&dir, &["test", "--", "true"]).ok();
    repo.agents_in(&dir, &["review", "--", "echo", "Score: 10/10"])
        .ok();
    let fake = FakeGh::install(&repo, json!({ "repo": SLUG, "next_number": 12, "prs": [] }));
    (repo, fake, head)
}

fn approve_on_github(fake: &FakeGh, number: u64) {
    fake.edit(|state| {
        for pr in state["prs"].as_array_mut().unwrap() {
            if pr["number"] == number {
                pr["reviews"] = json!([{
                    "author": {"login": "ann"}, "state": "APPROVED",
                    "submittedAt": "2024-10-02T00:00:00Z", "commit": {"oid": "x"}
                }]);
            }
        }
    });
}

fn edit_pr(fake: &FakeGh, number: u64, key: &str, value: serde_json::Value) {
    fake.edit(|state| {
        for pr in state["prs"].as_array_mut().unwrap() {
            if pr["number"] == number {
                pr[key] = value.clone();
            }
        }
    });
}

fn unmet(report: &serde_json::Value) -> Vec<String> {
    report["criteria"]["criteria"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["ok"] == false)
        .map(|c| c["name"].as_str().unwrap().to_owned())
        .collect()
}

fn agent(repo: &Repo, fake: &FakeGh, name: &str) -> serde_json::Value {
    fake.run(repo, &["status", "--json"]).ok().json()["agents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == name)
        .cloned()
        .unwrap()
}

#[test]
fn pr_pushes_the_branch_and_opens_a_pr_with_a_body_from_the_state() {
    let (repo, fake, head) = backend_ready();
    let run = fake.run(&repo, &["pr", "backend-agent"]).ok();
    assert!(
        run.stdout
            .contains("Opened PR #12 for backend-agent (github forge)"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("https://github.com/acme/widgets/pull/12"),
        "{}",
        run.stdout
    );
    let creates = fake.calls_to(&["pr", "create"]);
    assert_eq!(
        creates,
        [[
            "pr",
            "create",
            "-R",
            HOST_SLUG,
            "--base",
            "main",
            "--head",
            BRANCH,
            "--title",
            "Backend Architecture (backend-agent)",
            "--body-file",
            "-"
        ]
        .map(String::from)
        .to_vec()]
    );
    assert_eq!(
        fake.calls_to(&["pr", "list"]).len(),
        1,
        "it looked for an existing PR first"
    );
    let body = fake.pr(12)["body"].as_str().unwrap().to_owned();
    for part in [
        "## Agent: backend-agent",
        "## Review Score: 10/10",
        "- [x] Create service layer (16 h)",
        "- [ ] Add database indexes (1 h)",
        "Add the service layer",
        "`true` passed",
        "1. 10/10 on",
        "- [x] All tests passing",
        "- Dependencies satisfied: ✅",
    ] {
        assert!(body.contains(part), "{part:?} in\n{body}");
    }
    // The branch was pushed before gh was asked.
    let pushed = repo.git(&["ls-remote", common::gh::URL, BRANCH]);
    assert!(pushed.starts_with(&head), "{pushed}");
    let shown = agent(&repo, &fake, "backend-agent");
    assert_eq!(shown["status"], "pr_open");
    assert_eq!(
        shown["pr"],
        json!({"forge": "github", "number": 12, "url": "https://github.com/acme/widgets/pull/12"})
    );
    let log = repo.agents(&["log", "-n", "1"]).ok().stdout;
    assert!(log.contains("pr backend-agent #12"), "{log}");
}

#[test]
fn names_with_quotes_and_newlines_reach_gh_unchanged() {
    let (repo, _bare) = github_repo();
    let plan = repo.tmp.path().join("plan.json");
    let title = "Say \"hi\" $(touch pwned) `x`\nand 'more'";
    std::fs::write(
        &plan,
        serde_json::to_string(&json!({
            "agents": [{"name": "quote-agent", "title": title, "branch": "feature/it's-$(x)"}]
        }))
        .unwrap(),
    )
    .unwrap();
    repo.agents(&["init", "--plan", plan.to_str().unwrap()])
        .ok();
    repo.agents(&["spawn", "quote-agent"]).ok();
    repo.commit_in(&repo.worktree("quote-agent"), "q.txt", "q\n", "Quote");
    let fake = FakeGh::install(&repo, json!({ "repo": SLUG, "prs": [] }));
    fake.run(&repo, &["pr", "quote-agent"]).ok();
    let create = &fake.calls_to(&["pr", "create"])[0];
    assert!(
        create.contains(&"feature/it's-$(x)".to_owned()),
        "{create:?}"
    );
    assert!(
        create.contains(&format!("{title} (quote-agent)")),
        "{create:?}"
    );
    assert!(!repo.root.join("pwned").exists());
}

#[test]
fn an_existing_pr_is_adopted_not_duplicated() {
    let (repo, fake, _head) = backend_ready();
    fake.set_state(&json!({
        "repo": SLUG, "next_number": 30,
        "prs": [{"number": 7, "url": "https://github.com/acme/widgets/pull/7", "state": "OPEN",
                 "headRefName": BRANCH, "baseRefName": "main", "title": "old"}]
    }));
    let run = fake
        .run(&repo, &["pr", "backend-agent", "--json"])
        .ok()
        .json();
    assert_eq!(run["number"], 7);
    assert_eq!(run["adopted"], true);
    assert!(fake.calls_to(&["pr", "create"]).is_empty());

    // When the list misses it (it was opened a moment ago), gh's "already exists" error
    // carries the URL to adopt.
    let (repo, fake, _head) = backend_ready();
    fake.set_state(&json!({
        "repo": SLUG, "next_number": 30,
        "prs": [{"number": 8, "url": "https://github.com/acme/widgets/pull/8", "state": "OPEN",
                 "headRefName": BRANCH, "baseRefName": "main", "title": "old"}],
        "failures": [{"command": ["pr", "list"], "times": 1, "stdout": "[]\n", "exit": 0}]
    }));
    let run = fake
        .run(&repo, &["pr", "backend-agent", "--json"])
        .ok()
        .json();
    assert_eq!(run["number"], 8);
    assert_eq!(fake.calls_to(&["pr", "create"]).len(), 1);
    assert_eq!(fake.state()["prs"].as_array().unwrap().len(), 1);
}

#[test]
fn every_criterion_fails_alone_and_merge_pins_the_head_commit() {
    let (repo, fake, head) = backend_ready();
    fake.run(&repo, &["pr", "backend-agent"]).ok();
    approve_on_github(&fake, 12);
    let dry = fake
        .run(&repo, &["merge", "backend-agent", "--dry-run", "--json"])
        .ok()
        .json();
    assert_eq!(unmet(&dry), Vec::<String>::new());
    assert_eq!(dry["criteria"]["head"], head.as_str());
    assert!(
        fake.calls_to(&["pr", "merge"]).is_empty(),
        "a dry run merges nothing"
    );

    // tests: a failing CI check on the PR head.
    edit_pr(
        &fake,
        12,
        "statusCheckRollup",
        json!([
            {"__typename": "CheckRun", "name": "ci", "status": "COMPLETED", "conclusion": "FAILURE"}
        ]),
    );
    let report = fake
        .run(&repo, &["merge", "backend-agent", "--dry-run", "--json"])
        .fails(1)
        .json();
    assert_eq!(unmet(&report), ["tests"]);
    edit_pr(
        &fake,
        12,
        "statusCheckRollup",
        json!([
            {"__typename": "CheckRun", "name": "ci", "status": "COMPLETED", "conclusion": "SUCCESS"}
        ]),
    );

    // review: a lower score recorded on the same commit.
    let dir = repo.worktree("backend-agent");
    repo.agents_in(&dir, &["review", "--", "echo", "Score: 8/10"])
        .fails(1);
    let run = fake
        .run(&repo, &["merge", "backend-agent", "--dry-run"])
        .fails(1);
    run.prints("✗ review       8/10 on");
    repo.agents_in(&dir, &["review", "--", "echo", "Score: 10/10"])
        .ok();

    // mergeable: GitHub reports a conflict.
    edit_pr(&fake, 12, "mergeable", json!("CONFLICTING"));
    let report = fake
        .run(&repo, &["merge", "backend-agent", "--dry-run", "--json"])
        .fails(1)
        .json();
    assert_eq!(unmet(&report), ["mergeable"]);
    edit_pr(&fake, 12, "mergeable", json!("MERGEABLE"));

    // approvals: none on the PR.
    edit_pr(&fake, 12, "reviews", json!([]));
    let run = fake
        .run(&repo, &["merge", "backend-agent", "--dry-run"])
        .fails(1);
    assert!(
        run.stdout
            .contains("✗ approvals    0 of 1 approvals; approve PR #12 on GitHub"),
        "{}",
        run.stdout
    );
    approve_on_github(&fake, 12);

    // dependencies: github-agent waits for backend-agent.
    repo.agents(&["spawn", "--force", "github-agent"]).ok();
    let gdir = repo.worktree("github-agent");
    repo.commit_in(&gdir, "hooks.py", "h\n", "Webhooks");
    repo.agents_in(&gdir, &["test", "--", "true"]).ok();
    repo.agents_in(&gdir, &["review", "--", "echo", "10/10"])
        .ok();
    fake.run(&repo, &["pr", "github-agent"]).ok();
    approve_on_github(&fake, 13);
    let report = fake
        .run(&repo, &["merge", "github-agent", "--dry-run", "--json"])
        .fails(1)
        .json();
    assert_eq!(unmet(&report), ["dependencies"]);
    fake.run(&repo, &["merge", "github-agent"])
        .fails(1)
        .says("waiting for backend-agent to merge");
    assert!(fake.calls_to(&["pr", "merge"]).is_empty());

    // On GitHub approvals are the PR's reviews.
    fake.run(&repo, &["approve", "backend-agent"])
        .fails(1)
        .says("gh pr review 12 --approve");

    // All hold: merge with the method and the head commit the criteria were judged on.
    let run = fake.run(&repo, &["merge", "backend-agent"]).ok();
    run.prints("Merged backend-agent into main");
    run.prints("Unblocked: github-agent");
    assert_eq!(
        fake.calls_to(&["pr", "merge"]),
        [[
            "pr",
            "merge",
            "12",
            "-R",
            HOST_SLUG,
            "--squash",
            "--match-head-commit",
            head.as_str()
        ]
        .map(String::from)
        .to_vec()]
    );
    assert_eq!(fake.pr(12)["state"], "MERGED");
    let shown = agent(&repo, &fake, "backend-agent");
    assert_eq!(shown["status"], "merged");
    let doc = repo.git(&["show", "refs/agents/state:agents/backend-agent.json"]);
    assert!(
        doc.contains(&format!(
            "\"merged_commit\": \"{:040x}\"",
            0xC0FFEE00u64 + 12
        )),
        "{doc}"
    );
    let report = fake
        .run(&repo, &["merge", "github-agent", "--dry-run", "--json"])
        .ok()
        .json();
    assert_eq!(unmet(&report), Vec::<String>::new());
}

#[test]
fn a_head_that_moved_on_github_is_not_merged_and_not_retried() {
    let (repo, fake, _head) = backend_ready();
    fake.run(&repo, &["pr", "backend-agent"]).ok();
    approve_on_github(&fake, 12);
    fake.edit(|state| {
        state["failures"] = json!([{
            "command": ["pr", "merge"],
            "stderr": "GraphQL: Head branch was modified. Review and try the merge again. (mergePullRequest)\n",
            "exit": 1
        }]);
    });
    let before = repo.refs();
    fake.run(&repo, &["merge", "backend-agent"])
        .fails(1)
        .says("moved on GitHub since the criteria were checked");
    assert_eq!(fake.calls_to(&["pr", "merge"]).len(), 1, "never retried");
    assert_eq!(repo.refs(), before);
}

#[test]
fn transient_failures_are_retried_until_they_pass() {
    let (repo, fake, _head) = backend_ready();
    // The first create fails with a 502 after GitHub did make the PR; the retry learns
    // that from "already exists" and adopts it.
    fake.edit(|state| {
        state["failures"] = json!([{
            "command": ["pr", "create"], "times": 1, "also_apply": true,
            "stderr": "HTTP 502: Bad Gateway (https://api.github.com/graphql)\n", "exit": 1
        }]);
    });
    let run = fake
        .run(&repo, &["pr", "backend-agent", "--json"])
        .ok()
        .json();
    assert_eq!(run["number"], 12);
    assert_eq!(fake.calls_to(&["pr", "create"]).len(), 2);
    assert_eq!(
        fake.state()["prs"].as_array().unwrap().len(),
        1,
        "no duplicate PR"
    );

    approve_on_github(&fake, 12);
    fake.edit(|state| {
        state["failures"] = json!([
            {"command": ["pr", "view"], "times": 1, "exit": 1,
             "stderr": "GraphQL: Something went wrong while executing your query. (repository)\n"},
            {"command": ["pr", "merge"], "times": 2, "exit": 1,
             "stderr": "non-200 OK status code: 503 Service Unavailable\n"},
            {"command": ["pr", "view"], "times": 0}
        ]);
    });
    fake.clear_log();
    fake.run(&repo, &["merge", "backend-agent"])
        .ok()
        .says("Merged backend-agent");
    assert_eq!(fake.calls_to(&["pr", "merge"]).len(), 3);

    // A rate limit waits for the reset (the fake's resets at once) and goes on.
    let (repo, fake, _head) = backend_ready();
    fake.edit(|state| {
        state["failures"] = json!([{
            "command": ["pr", "list"], "times": 1, "exit": 1,
            "stderr": "GraphQL: API rate limit exceeded for user ID 1. (repository)\n"
        }]);
    });
    fake.run(&repo, &["pr", "backend-agent"]).ok();
    assert_eq!(fake.calls_to(&["api", "rate_limit"]).len(), 1);
    assert_eq!(fake.calls_to(&["pr", "list"]).len(), 2);

    // Failures that do not stop are given up on, boundedly.
    let (repo, fake, _head) = backend_ready();
    fake.edit(|state| {
        state["failures"] = json!([{
            "command": ["pr", "list"], "exit": 1,
            "stderr": "HTTP 504: Gateway Timeout (https://api.github.com/graphql)\n"
        }]);
    });
    let before = repo.refs();
    fake.run(&repo, &["pr", "backend-agent"])
        .fails(4)
        .says("gh pr list kept failing after 4 attempts")
        .says("HTTP 504");
    assert_eq!(fake.calls_to(&["pr", "list"]).len(), 4);
    assert_eq!(repo.refs(), before, "nothing pushed or recorded");
}

#[test]
fn gh_missing_logged_out_hanging_or_garbled_gives_a_clear_error() {
    let (repo, fake, _head) = backend_ready();

    // Missing: chosen explicitly, the error says how to install it or go local.
    repo.git(&["config", "agents.forge", "github"]);
    let no_gh = [("PATH".to_owned(), path_without_gh(&repo))];
    let before = repo.refs();
    let run = repo
        .agents_with(&repo.root, &["pr", "backend-agent"], &no_gh)
        .fails(4);
    assert!(
        run.stderr.contains("`gh` is not installed"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("https://cli.github.com"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("forge = \"local\""), "{}", run.stderr);
    assert_eq!(run.stderr.trim().lines().count(), 1, "{}", run.stderr);
    assert_eq!(repo.refs(), before);
    // Missing with a GitHub origin and no choice made: the local forge takes over.
    repo.git(&["config", "--unset", "agents.forge"]);
    let run = repo
        .agents_with(&repo.root, &["pr", "backend-agent", "--json"], &no_gh)
        .ok()
        .json();
    assert_eq!(run["forge"], "local");

    let (repo, fake2, _head) = backend_ready();
    drop(fake);
    let fake = fake2;
    fake.edit(|state| state["auth"] = json!("none"));
    let before = repo.refs();
    fake.run(&repo, &["pr", "backend-agent"])
        .fails(4)
        .says("gh auth login");
    assert_eq!(
        fake.calls_to(&["pr"]).len(),
        1,
        "no retry without credentials"
    );
    fake.edit(|state| state["auth"] = json!("bad"));
    fake.run(&repo, &["pr", "backend-agent"])
        .fails(4)
        .says("gh auth login");
    assert_eq!(repo.refs(), before, "nothing pushed or recorded");

    fake.edit(|state| {
        state["auth"] = json!("ok");
        state["failures"] = json!([{"command": ["pr", "list"], "mode": "garbage"}]);
    });
    fake.run(&repo, &["pr", "backend-agent"])
        .fails(4)
        .says("gh pr list printed output git-agents cannot read")
        .says("<html>");

    fake.edit(|state| state["failures"] = json!([{"command": ["pr", "list"], "mode": "hang"}]));
    let started = std::time::Instant::now();
    fake.run_with(
        &repo,
        &["pr", "backend-agent"],
        &[("GIT_AGENTS_GH_TIMEOUT", "1")],
    )
    .fails(4)
    .says("gh pr list did not finish within 1 s");
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
    let state = repo.git(&["show", "refs/agents/state:agents/backend-agent.json"]);
    assert!(
        state.contains("\"status\": \"review\""),
        "nothing recorded: {state}"
    );
}

#[test]
fn work_merged_on_github_by_hand_is_recognised() {
    let (repo, fake, _head) = backend_ready();
    fake.run(&repo, &["pr", "backend-agent"]).ok();
    fake.run(&repo, &["finish", "backend-agent"])
        .fails(1)
        .says("is not merged");
    edit_pr(&fake, 12, "state", json!("MERGED"));
    edit_pr(&fake, 12, "mergeCommit", json!({"oid": "ab".repeat(20)}));
    let run = fake.run(&repo, &["finish", "backend-agent"]).ok();
    run.prints("PR #12 is merged on GitHub");
    assert!(!repo.refs().contains(&format!("refs/heads/{BRANCH}")));
    let doc = repo.git(&["show", "refs/agents/state:agents/backend-agent.json"]);
    assert!(doc.contains("\"status\": \"completed\""), "{doc}");
    assert!(
        doc.contains(&format!("\"merged_commit\": \"{}\"", "ab".repeat(20))),
        "{doc}"
    );

    // merge notices a PR merged outside too, and records it without merging again.
    let (repo, fake, _head) = backend_ready();
    fake.run(&repo, &["pr", "backend-agent"]).ok();
    edit_pr(&fake, 12, "state", json!("MERGED"));
    fake.run(&repo, &["merge", "backend-agent"])
        .ok()
        .says("already been merged on GitHub");
    assert!(fake.calls_to(&["pr", "merge"]).is_empty());
    assert_eq!(agent(&repo, &fake, "backend-agent")["status"], "merged");
}

/// What gh 2.102 does on a base protected by a merge queue: auto-merge enabled, exit 0,
/// the PR still open; git-agents records it as queued, shows it, and records the merge
/// once the queue has landed it.
#[test]
fn a_pr_in_githubs_merge_queue_is_recorded_as_queued_and_merged_once_it_lands() {
    let (repo, fake, _head) = backend_ready();
    fake.edit(|state| state["merge_queue"] = json!(true));
    fake.run(&repo, &["pr", "backend-agent"]).ok();
    approve_on_github(&fake, 12);
    let run = fake.run(&repo, &["merge", "backend-agent"]).ok();
    run.prints("Queued:");
    run.prints("PR #12 is in GitHub's merge queue");
    let doc = agent(&repo, &fake, "backend-agent");
    assert_eq!(doc["status"], "pr_open");
    assert_eq!(doc["pr"]["queued"], true, "{doc}");
    fake.run(&repo, &["status"])
        .ok()
        .prints("PR #12 queued to merge");
    fake.run(&repo, &["queue"])
        .ok()
        .prints("PR #12 in GitHub's merge queue");

    // Asked again while it waits, git-agents does not call gh pr merge a second time.
    let calls = fake.calls_to(&["pr", "merge"]).len();
    fake.run(&repo, &["merge", "backend-agent"])
        .ok()
        .prints("Queued:");
    assert_eq!(fake.calls_to(&["pr", "merge"]).len(), calls);

    // The queue lands it.
    edit_pr(&fake, 12, "state", json!("MERGED"));
    edit_pr(&fake, 12, "mergeCommit", json!({"oid": "cd".repeat(20)}));
    fake.run(&repo, &["merge", "backend-agent"])
        .ok()
        .says("already been merged on GitHub");
    let doc = agent(&repo, &fake, "backend-agent");
    assert_eq!(doc["status"], "merged");
}

#[test]
fn a_second_gh_pr_merge_on_a_queued_pr_is_understood() {
    let (repo, fake, _head) = backend_ready();
    fake.edit(|state| state["merge_queue"] = json!(true));
    fake.run(&repo, &["pr", "backend-agent"]).ok();
    approve_on_github(&fake, 12);
    // Queued by someone else's call before git-agents asks: gh says "already queued".
    edit_pr(&fake, 12, "isInMergeQueue", json!(false));
    fake.edit(|state| {
        state["failures"] = json!([{
            "command": ["pr", "merge"], "times": 1, "mode": "fail", "exit": 0,
            "stderr": "! Pull request acme/widgets#12 is already queued to merge\n",
            "also_apply": true
        }])
    });
    fake.run(&repo, &["merge", "backend-agent"])
        .ok()
        .prints("Queued:");
    assert_eq!(agent(&repo, &fake, "backend-agent")["pr"]["queued"], true);
}

#[test]
fn run_waits_for_a_queued_pr_to_land() {
    let (repo, fake, _head) = backend_ready();
    fake.edit(|state| state["merge_queue"] = json!(true));
    repo.git(&["config", "agents.mergeQueuePollSeconds", "1"]);
    fake.run(&repo, &["pr", "backend-agent"]).ok();
    approve_on_github(&fake, 12);
    fake.run(&repo, &["merge", "backend-agent"]).ok();
    // The queue lands the PR a moment after run starts waiting.
    let state = fake.state.clone();
    let lander = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(1500));
        let mut scenario: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&state).unwrap()).unwrap();
        for pr in scenario["prs"].as_array_mut().unwrap() {
            if pr["number"] == 12 {
                pr["state"] = json!("MERGED");
                pr["mergeCommit"] = json!({"oid": "ef".repeat(20)});
            }
        }
        std::fs::write(&state, scenario.to_string()).unwrap();
    });
    let run = fake
        .run(&repo, &["run", "backend-agent", "--exec", "true"])
        .ok();
    lander.join().unwrap();
    run.prints("merged backend-agent");
    assert_eq!(agent(&repo, &fake, "backend-agent")["status"], "merged");
}

#[test]
fn gh_host_set_for_another_host_cannot_redirect_the_calls() {
    let (repo, fake, _head) = backend_ready();
    let run = fake.run_with(
        &repo,
        &["pr", "backend-agent"],
        &[("GH_HOST", "ghe.example.com")],
    );
    run.ok().prints("PR #12");
}

#[test]
fn a_run_stopped_while_a_pr_waits_in_the_merge_queue_says_so() {
    let (repo, fake, _head) = backend_ready();
    fake.edit(|state| state["merge_queue"] = json!(true));
    fake.run(&repo, &["pr", "backend-agent"]).ok();
    approve_on_github(&fake, 12);
    fake.run(&repo, &["merge", "backend-agent"]).ok();
    let mut command = repo.command("git", &repo.root);
    command
        .args(["agents", "run", "backend-agent", "--exec", "true", "--json"])
        .stdout(std::process::Stdio::piped());
    for (key, value) in fake.envs(&repo) {
        command.env(key, value);
    }
    common::as_foreground_job(&mut command);
    let child = command.spawn().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    common::signal_group(child.id(), 2);
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let report: serde_json::Value =
        serde_json::from_str(stdout.lines().last().expect("a report line")).unwrap();
    assert_eq!(report["interrupted"], true, "{stdout}");
    let entry = &report["unmerged"][0];
    assert_eq!(entry["agent"], "backend-agent");
    assert!(
        entry["reasons"][0]
            .as_str()
            .unwrap()
            .contains("PR #12 is in GitHub's merge queue"),
        "{entry}"
    );
    assert!(
        entry["next"]
            .as_str()
            .unwrap()
            .starts_with("git agents merge backend-agent")
    );
}
