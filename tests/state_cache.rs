//! The decoded-document cache under `.git/agents/cache`: used when it matches the state
//! ref's blobs, ignored when it is damaged or from another build, never disagreeing with
//! the ref however the ref moves.

mod common;

use common::Repo;

fn cache_path(repo: &Repo) -> std::path::PathBuf {
    repo.root.join(".git/agents/cache/state.json")
}

fn status_of(repo: &Repo, agent: &str) -> String {
    repo.statuses()
        .into_iter()
        .find(|(name, _)| name == agent)
        .map(|(_, status)| status)
        .unwrap()
}

/// A cache file holding `doc` (an agent document's JSON) under blob `id`, written by `build`.
fn forged_cache(build: &str, id: &str, doc: &serde_json::Value) -> String {
    serde_json::json!({ "build": build, "plans": {}, "agents": { id: doc } }).to_string()
}

fn build() -> String {
    format!("{} schema 1", env!("CARGO_PKG_VERSION"))
}

#[test]
fn a_reading_leaves_a_cache_that_follows_the_ref_wherever_it_moves() {
    let repo = Repo::new();
    repo.init_example();
    repo.agents(&["spawn", "security-agent"]).ok();
    assert_eq!(status_of(&repo, "security-agent"), "in_progress");
    assert!(cache_path(&repo).is_file(), "status leaves the cache");
    let before = repo.git(&["rev-parse", "refs/agents/state"]);

    repo.agents(&["update", "--agent", "security-agent", "--status", "failed"])
        .ok();
    assert_eq!(status_of(&repo, "security-agent"), "failed");

    // Moving the ref by hand, behind git-agents' back, is seen at once.
    repo.git(&["update-ref", "refs/agents/state", before.trim()]);
    assert_eq!(status_of(&repo, "security-agent"), "in_progress");
    let plan = repo.agents(&["plan", "show", "--json"]).ok().json();
    assert_eq!(plan["agents"].as_array().unwrap().len(), 8);
}

#[test]
fn a_damaged_cache_is_ignored_and_rewritten() {
    let repo = Repo::new();
    repo.init_example();
    repo.agents(&["spawn", "security-agent"]).ok();
    repo.agents(&["status"]).ok();
    for garbage in ["", "{", "not json at all", "{\"build\": 7}", "[1, 2, 3]"] {
        std::fs::write(cache_path(&repo), garbage).unwrap();
        assert_eq!(status_of(&repo, "security-agent"), "in_progress");
        let text = std::fs::read_to_string(cache_path(&repo)).unwrap();
        let cache: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(cache["build"], build(), "rewritten after {garbage:?}");
    }
}

#[test]
fn documents_are_taken_from_the_cache_only_when_written_by_this_build() {
    let repo = Repo::new();
    repo.init_example();
    repo.agents(&["spawn", "security-agent"]).ok();
    let id = repo.git(&["rev-parse", "refs/agents/state:agents/security-agent.json"]);
    let id = id.trim();
    let text = repo.git(&["cat-file", "-p", id]);
    let mut doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    doc["status"] = "review".into();

    std::fs::write(cache_path(&repo), forged_cache("0.0.1 schema 0", id, &doc)).unwrap();
    assert_eq!(status_of(&repo, "security-agent"), "in_progress");

    // The same entry from this build is believed: the document for that blob is read
    // from the cache rather than decoded again.
    std::fs::write(cache_path(&repo), forged_cache(&build(), id, &doc)).unwrap();
    assert_eq!(status_of(&repo, "security-agent"), "review");
}

#[test]
fn temporary_files_a_killed_reader_left_are_removed_once_old() {
    let repo = Repo::new();
    repo.init_example();
    repo.agents(&["status"]).ok();
    let dir = cache_path(&repo).parent().unwrap().to_path_buf();
    let old = dir.join(".state.json.4242.7");
    let young = dir.join(".state.json.4243.8");
    std::fs::write(&old, "{").unwrap();
    std::fs::write(&young, "{").unwrap();
    let touched = repo
        .command("touch", &repo.root)
        .args(["-d", "2 minutes ago"])
        .arg(&old)
        .status()
        .unwrap();
    assert!(touched.success());
    std::fs::remove_file(cache_path(&repo)).unwrap();
    repo.agents(&["status"]).ok();
    assert!(!old.exists(), "an abandoned temporary file is removed");
    assert!(young.exists(), "one that may still be written is left");
    assert!(cache_path(&repo).is_file());
}
