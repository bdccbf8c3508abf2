//! `sync` through a bare remote between two clones: different agents, the same agent,
//! a true conflict, notes, and a push that loses a race and tries again.

use crate::common;

use std::path::{Path, PathBuf};

use common::Repo;

/// Clone `a` (the fixture's repository) with the example plan, a bare remote both push
/// to, and clone `b` that took the state from it.
pub(crate) struct Fleet {
    pub(crate) a: Repo,
    pub(crate) b: PathBuf,
}

impl Fleet {
    pub(crate) fn new() -> Fleet {
        let a = Repo::new();
        let remote = a.tmp.path().join("remote.git");
        let remote = remote.to_str().unwrap();
        a.git(&["init", "-q", "--bare", remote]);
        a.git(&["remote", "add", "origin", remote]);
        a.git(&["push", "-q", "origin", "main"]);
        a.init_example();
        // The agents the tests report on are under way, as they would be when people sync.
        a.agents(&[
            "spawn",
            "backend-agent",
            "frontend-agent",
            "rag-agent",
            "devops-agent",
        ])
        .ok();
        let first = a.agents(&["sync"]).ok().stdout;
        assert!(first.contains("state  ours was ahead, pushed"), "{first}");
        let b = a.tmp.path().join("b");
        a.git(&["clone", "-q", remote, b.to_str().unwrap()]);
        let took = a.agents_in(&b, &["sync"]).ok().stdout;
        assert!(took.contains("state  taken from origin"), "{took}");
        // A clone runs nothing the shared plan says until its user accepts it.
        a.agents_in(&b, &["trust", "--accept"]).ok();
        a.agents_in(
            &b,
            &[
                "spawn",
                "backend-agent",
                "frontend-agent",
                "rag-agent",
                "devops-agent",
            ],
        )
        .ok();
        Fleet { a, b }
    }

    pub(crate) fn in_a(&self, args: &[&str]) -> common::Run {
        self.a.agents(args).ok()
    }

    /// The clone that took the state.
    pub(crate) fn b(&self) -> &Path {
        &self.b
    }

    pub(crate) fn in_b(&self, args: &[&str]) -> common::Run {
        self.a.agents_in(&self.b, args).ok()
    }

    fn state(&self, dir: &Path) -> String {
        self.a
            .git_in(dir, &["rev-parse", "refs/agents/state"])
            .trim()
            .to_owned()
    }

    fn agent(&self, dir: &Path, name: &str) -> serde_json::Value {
        let status = self.a.agents_in(dir, &["status", "--json"]).ok().json();
        status["agents"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["name"] == name)
            .unwrap()
            .clone()
    }

    /// Sync a, then b, then a again, and check both hold the same state.
    fn sync_both_ways(&self) -> common::Run {
        self.in_a(&["sync"]);
        let merged = self.in_b(&["sync"]);
        self.in_a(&["sync"]);
        assert_eq!(self.state(&self.a.root), self.state(&self.b));
        assert_eq!(
            self.a.agents(&["status", "--json"]).ok().json(),
            self.in_b(&["status", "--json"]).json()
        );
        merged
    }
}

fn notes(agent: &serde_json::Value, dir_state: &Fleet, dir: &Path) -> Vec<String> {
    let brief = dir_state
        .a
        .agents_in(dir, &["brief", agent["name"].as_str().unwrap(), "--json"])
        .ok()
        .json();
    brief["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["text"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn changes_to_different_agents_all_arrive_on_both_sides() {
    let fleet = Fleet::new();
    fleet.in_a(&["task", "done", "1", "--agent", "backend-agent"]);
    fleet.in_a(&["update", "--agent", "backend-agent", "--note", "from a"]);
    fleet.in_b(&["task", "done", "2", "--agent", "frontend-agent"]);
    fleet.in_b(&["update", "--agent", "rag-agent", "--note", "from b"]);

    let merged = fleet.sync_both_ways();
    merged.prints("state  merged with origin's");
    assert!(!merged.stdout.contains("conflict"), "{}", merged.stdout);
    for dir in [fleet.a.root.clone(), fleet.b.clone()] {
        let backend = fleet.agent(&dir, "backend-agent");
        assert_eq!(backend["tasks_done"], 1);
        assert_eq!(notes(&backend, &fleet, &dir), ["from a"]);
        assert_eq!(fleet.agent(&dir, "frontend-agent")["tasks_done"], 1);
        let rag = fleet.agent(&dir, "rag-agent");
        assert_eq!(notes(&rag, &fleet, &dir), ["from b"]);
    }
    let parents = fleet
        .a
        .git(&["rev-list", "--parents", "-n", "1", "refs/agents/state"]);
    assert_eq!(parents.split_whitespace().count(), 3, "a two-parent merge");

    let again = fleet.in_a(&["sync", "--json"]).json();
    assert_eq!(again["state"]["action"], "in_sync");
    assert_eq!(again["notes"]["action"], "absent");
}

#[test]
fn changes_to_different_fields_of_one_agent_merge() {
    let fleet = Fleet::new();
    fleet.in_a(&["task", "done", "1", "--agent", "backend-agent"]);
    fleet.in_a(&["update", "--agent", "backend-agent", "--note", "a's note"]);
    fleet.in_b(&["task", "start", "3", "--agent", "backend-agent"]);
    fleet.in_b(&["task", "done", "4", "--agent", "backend-agent"]);
    fleet.in_b(&["update", "--agent", "backend-agent", "--note", "b's note"]);

    let merged = fleet.sync_both_ways();
    assert!(!merged.stdout.contains("conflict"), "{}", merged.stdout);
    let backend = fleet.agent(&fleet.b, "backend-agent");
    assert_eq!(backend["tasks_done"], 2);
    assert_eq!(backend["current_task"], "3. Add database indexes");
    let mut both = notes(&backend, &fleet, &fleet.b);
    both.sort();
    assert_eq!(both, ["a's note", "b's note"]);
    let brief = fleet.in_b(&["brief", "backend-agent", "--json"]).json();
    let done: Vec<u64> = brief["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["done"] == true)
        .map(|t| t["number"].as_u64().unwrap())
        .collect();
    assert_eq!(done, [1, 4]);
}

#[test]
fn a_true_conflict_is_reported_and_both_sides_agree_on_the_result() {
    let fleet = Fleet::new();
    fleet.in_a(&["update", "--agent", "rag-agent", "--status", "review"]);
    fleet.in_b(&[
        "update",
        "--agent",
        "rag-agent",
        "--status",
        "failed",
        "--note",
        "index broken",
    ]);
    fleet.in_a(&["sync"]);
    let run = fleet.in_b(&["sync", "--json"]);
    let report = run.json();
    let conflicts = report["conflicts"].as_array().unwrap();
    assert_eq!(conflicts.len(), 1, "{report}");
    assert_eq!(conflicts[0]["document"], "agents/rag-agent.json");
    assert_eq!(conflicts[0]["field"], "status");
    assert_eq!(conflicts[0]["ours"], "failed");
    assert_eq!(conflicts[0]["theirs"], "review");
    let kept = if conflicts[0]["kept"] == "ours" {
        "failed"
    } else {
        "review"
    };
    let message = fleet
        .a
        .git_in(&fleet.b, &["log", "-1", "--format=%B", "refs/agents/state"]);
    assert!(
        message.contains("Conflicts (same field changed on both sides):"),
        "{message}"
    );
    assert!(
        message.contains("agents/rag-agent.json status: ours \"failed\", theirs \"review\""),
        "{message}"
    );

    fleet.in_a(&["sync"]);
    assert_eq!(fleet.state(&fleet.a.root), fleet.state(&fleet.b));
    for dir in [fleet.a.root.clone(), fleet.b.clone()] {
        let rag = fleet.agent(&dir, "rag-agent");
        assert_eq!(rag["status"], kept);
        assert_eq!(notes(&rag, &fleet, &dir), ["index broken"], "nothing lost");
    }

    // The text form names the conflict too.
    fleet.in_a(&["update", "--agent", "devops-agent", "--status", "review"]);
    fleet.in_b(&["update", "--agent", "devops-agent", "--status", "abandoned"]);
    fleet.in_a(&["sync"]);
    let text = fleet.in_b(&["sync"]).stdout;
    assert!(
        text.contains("conflict: agents/devops-agent.json status:"),
        "{text}"
    );
}

#[test]
fn notes_merge_as_a_union_of_lines() {
    let fleet = Fleet::new();
    let line = |by: &str, second: u32| {
        format!(
            "{{\"kind\":\"approval\",\"by\":\"{by}\",\"at\":\"2030-01-01T00:00:{second:02}Z\"}}"
        )
    };
    fleet.a.git(&[
        "notes",
        "--ref",
        "agents",
        "add",
        "-m",
        &line("alice", 2),
        "main",
    ]);
    fleet.a.git_in(
        &fleet.b,
        &[
            "notes",
            "--ref",
            "agents",
            "add",
            "-m",
            &line("bob", 1),
            "main",
        ],
    );
    fleet.sync_both_ways();
    let expected = format!("{}\n{}\n", line("bob", 1), line("alice", 2));
    for dir in [fleet.a.root.clone(), fleet.b.clone()] {
        let text = fleet
            .a
            .git_in(&dir, &["notes", "--ref", "agents", "show", "main"]);
        assert_eq!(text, expected);
    }
}

#[test]
fn a_push_that_loses_a_race_fetches_merges_and_pushes_again() {
    let fleet = Fleet::new();
    fleet.in_b(&["update", "--agent", "docs-agent", "--note", "b was first"]);
    fleet.in_b(&["sync"]);
    fleet.in_b(&["update", "--agent", "docs-agent", "--note", "b again"]);
    fleet.in_a(&[
        "update",
        "--agent",
        "github-agent",
        "--note",
        "a was slower",
    ]);
    // The first time a's fetch moves a ref, b syncs: a's lease is stale by the time it pushes.
    let marker = fleet.a.tmp.path().join("raced");
    let hook = fleet.a.root.join(".git/hooks/reference-transaction");
    std::fs::write(
        &hook,
        format!(
            "#!/bin/sh\n[ \"$1\" = committed ] || exit 0\n[ -e '{marker}' ] && exit 0\ntouch '{marker}'\nunset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE GIT_PREFIX\ncd '{b}' && git agents sync >/dev/null 2>&1\nexit 0\n",
            marker = marker.display(),
            b = fleet.b.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();

    let report = fleet.in_a(&["sync", "--json"]).json();
    assert!(marker.exists(), "the race was staged");
    assert_eq!(report["rounds"], 2, "{report}");
    assert_eq!(report["state"]["action"], "merged");
    assert_eq!(report["state"]["pushed"], true);
    fleet.in_b(&["sync"]);
    assert_eq!(fleet.state(&fleet.a.root), fleet.state(&fleet.b));
    for dir in [fleet.a.root.clone(), fleet.b.clone()] {
        assert_eq!(
            notes(&fleet.agent(&dir, "docs-agent"), &fleet, &dir),
            ["b was first", "b again"]
        );
        assert_eq!(
            notes(&fleet.agent(&dir, "github-agent"), &fleet, &dir),
            ["a was slower"]
        );
    }
}

#[test]
fn bad_remotes_and_empty_sides_are_refused_clearly() {
    let repo = Repo::new();
    repo.agents(&["sync"])
        .fails(2)
        .says("no remote named \"origin\"");
    let remote = repo.tmp.path().join("empty.git");
    repo.git(&["init", "-q", "--bare", remote.to_str().unwrap()]);
    repo.git(&["remote", "add", "upstream", remote.to_str().unwrap()]);
    repo.agents(&["sync", "elsewhere"])
        .fails(2)
        .says("known remotes: upstream");
    repo.agents(&["sync", "upstream"])
        .fails(2)
        .says("neither this repository nor upstream has git-agents state");
    let refs = repo.refs();
    repo.init_example();
    repo.agents(&["sync", remote.to_str().unwrap()]).ok();
    assert!(
        repo.refs().contains("refs/agents-remote/url-"),
        "a URL gets its own tracking namespace"
    );
    assert_ne!(repo.refs(), refs);
}
