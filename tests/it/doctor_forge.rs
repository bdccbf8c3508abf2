//! `doctor` asks the forge about every pull request the state still calls open: merged
//! on GitHub (through the fake gh) or on the local forge without the state hearing of
//! it is repaired with `--fix` to merged at the merged commit; a PR closed on GitHub
//! needs a person; an unreachable gh is reported, not fatal.

use crate::common;

use common::gh::{FakeGh, SLUG, github_repo, path_without_gh};
use common::{Repo, problem_kinds};
use serde_json::json;

/// Spawn `name`, commit `file`, record passing tests, a full review and an approval.
fn worked(repo: &Repo, name: &str, file: &str, text: &str) -> String {
    repo.agents(&["spawn", name]).ok();
    let dir = repo.worktree(name);
    let head = repo.commit_in(&dir, file, text, &format!("{name}: add {file}"));
    repo.agents_in(&dir, &["test", "--", "true"]).ok();
    repo.agents_in(&dir, &["review", "--", "echo", "Score: 10/10"])
        .ok();
    head
}

fn pair(agent: &str, kind: &str) -> (String, String) {
    (agent.to_owned(), kind.to_owned())
}

fn doc(repo: &Repo, name: &str) -> serde_json::Value {
    let text = repo.git(&["show", &format!("refs/agents/state:agents/{name}.json")]);
    serde_json::from_str(&text).unwrap()
}

#[test]
fn a_local_merge_the_state_never_heard_of_is_found_at_its_own_commit() {
    let repo = Repo::new();
    repo.init_example();
    for (name, file) in [("security-agent", "sec.py"), ("backend-agent", "api.py")] {
        worked(&repo, name, file, "v1\n");
        repo.agents(&["approve", name]).ok();
        repo.agents(&["pr", name]).ok();
        repo.finish_tasks(name);
    }
    let before_merge = repo.git(&["rev-parse", "refs/agents/state"]);
    repo.agents(&["merge", "security-agent"]).ok();
    let squash = repo.git(&["rev-parse", "main"]).trim().to_owned();
    // The merge moved base, but the state change is lost (as if interrupted).
    repo.git(&["update-ref", "refs/agents/state", before_merge.trim()]);
    // Base moves on and rewrites the same file, so the branch no longer merges to nothing.
    repo.commit_in(&repo.root, "sec.py", "v2\n", "Rework security");
    repo.commit_in(&repo.root, "empty.txt", "", "Unrelated");

    let report = repo.agents(&["doctor", "--json"]).fails(1).json();
    assert_eq!(
        problem_kinds(&report),
        [pair("security-agent", "forge_merged")]
    );
    let problem = &report["problems"][0];
    assert_eq!(problem["repair"]["action"], "mark_merged");
    assert_eq!(problem["repair"]["commit"], squash.as_str());
    let text = repo.agents(&["doctor"]).fails(1).stdout;
    assert!(
        text.contains(&format!("{} on main brought its changes in", &squash[..12])),
        "{text}"
    );
    assert!(text.contains("open on the local forge"), "{text}");

    repo.agents(&["doctor", "--fix"])
        .ok()
        .says("marked security-agent merged");
    let fixed = doc(&repo, "security-agent");
    assert_eq!(fixed["status"], "merged");
    assert_eq!(fixed["merged_commit"], squash.as_str());
    assert_eq!(doc(&repo, "backend-agent")["status"], "pr_open");
    repo.agents(&["doctor"]).ok().says("No drift");
}

#[test]
fn a_local_pr_squashed_by_hand_and_an_open_one_are_told_apart() {
    let repo = Repo::new();
    repo.init_example();
    worked(&repo, "rag-agent", "rag.py", "r\n");
    repo.agents(&["pr", "rag-agent"]).ok();
    worked(&repo, "devops-agent", "ci.yml", "on: push\n");
    repo.agents(&["pr", "devops-agent"]).ok();
    repo.agents(&["doctor"]).ok().says("No drift");
    repo.git(&["merge", "-q", "--squash", "feature/rag-completion"]);
    repo.git(&["commit", "-q", "-m", "Squash rag by hand"]);
    let squash = repo.git(&["rev-parse", "main"]).trim().to_owned();
    let report = repo.agents(&["doctor", "--json"]).fails(1).json();
    assert_eq!(
        problem_kinds(&report),
        [pair("rag-agent", "forge_merged")],
        "reported once, by the forge check"
    );
    assert_eq!(report["problems"][0]["repair"]["commit"], squash.as_str());
    repo.agents(&["doctor", "--fix"]).ok();
    assert_eq!(doc(&repo, "rag-agent")["merged_commit"], squash.as_str());
    assert_eq!(doc(&repo, "devops-agent")["status"], "pr_open");
}

/// A GitHub repository with backend-agent's work proposed as PR #12 on the fake gh.
fn github_pr() -> (Repo, FakeGh, String) {
    let (repo, _bare) = github_repo();
    repo.init_example();
    let head = worked(&repo, "backend-agent", "service.py", "def serve(): pass\n");
    let fake = FakeGh::install(&repo, json!({ "repo": SLUG, "next_number": 12, "prs": [] }));
    fake.run(&repo, &["pr", "backend-agent"]).ok();
    (repo, fake, head)
}

fn set_pr(fake: &FakeGh, key: &str, value: serde_json::Value) {
    fake.edit(|state| {
        for pr in state["prs"].as_array_mut().unwrap() {
            pr[key] = value.clone();
        }
    });
}

#[test]
fn a_pr_merged_on_github_is_marked_merged_with_its_merge_commit() {
    let (repo, fake, head) = github_pr();
    fake.clear_log();
    fake.run(&repo, &["doctor"]).ok().says("No drift");
    let asked = fake.calls_to(&["pr", "view"]);
    assert_eq!(asked.len(), 1, "{asked:?}");
    assert!(asked[0].contains(&"12".to_owned()), "{asked:?}");
    assert!(
        asked[0].contains(&"state,mergeCommit".to_owned()),
        "{asked:?}"
    );

    let merge_commit = "ab".repeat(20);
    set_pr(&fake, "state", json!("MERGED"));
    set_pr(&fake, "mergeCommit", json!({ "oid": merge_commit }));
    let report = fake.run(&repo, &["doctor", "--json"]).fails(1).json();
    assert_eq!(
        problem_kinds(&report),
        [pair("backend-agent", "forge_merged")]
    );
    assert!(
        report["problems"][0]["message"]
            .as_str()
            .unwrap()
            .contains("PR #12 of backend-agent is merged on GitHub"),
        "{report}"
    );
    fake.run(&repo, &["doctor", "--fix"])
        .ok()
        .says("marked backend-agent merged");
    let fixed = doc(&repo, "backend-agent");
    assert_eq!(fixed["status"], "merged");
    assert_eq!(fixed["merged_commit"], merge_commit.as_str());
    assert_eq!(fixed["head"], head.as_str());
    assert!(fake.calls_to(&["pr", "merge"]).is_empty(), "nothing merged");
    fake.run(&repo, &["doctor"]).ok().says("No drift");
}

#[test]
fn a_pr_closed_on_github_needs_a_person_and_a_missing_gh_is_reported() {
    let (repo, fake, _head) = github_pr();
    set_pr(&fake, "state", json!("CLOSED"));
    let report = fake.run(&repo, &["doctor", "--json"]).fails(1).json();
    assert_eq!(
        problem_kinds(&report),
        [pair("backend-agent", "forge_closed")]
    );
    assert_eq!(report["problems"][0]["repair"], serde_json::Value::Null);
    let before = repo.refs();
    let fixed = fake.run(&repo, &["doctor", "--fix"]).fails(1);
    fixed.prints("reopen PR #12");
    assert_eq!(repo.refs(), before, "a closed PR is left for a person");

    let path = path_without_gh(&repo);
    let run = repo.agents_with(
        &repo.root,
        &["doctor", "--json"],
        &[("PATH".to_owned(), path)],
    );
    let report = run.fails(1).json();
    assert_eq!(
        problem_kinds(&report),
        [pair("backend-agent", "forge_unreachable")]
    );
    assert!(
        report["problems"][0]["message"]
            .as_str()
            .unwrap()
            .contains("gh"),
        "{report}"
    );
}
