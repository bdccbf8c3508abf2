//! The derived files under `.git/agents/cache`: decoded documents, used when they match
//! the state ref's blobs, and the last dashboard, used while nothing it shows has changed.
//! Both are ignored when damaged or from another build and never disagree with the refs,
//! the branches or the worktrees however these move.

use crate::common;

use common::Repo;

fn cache_path(repo: &Repo) -> std::path::PathBuf {
    repo.root.join(".git/agents/cache/state.json")
}

fn dashboard_path(repo: &Repo) -> std::path::PathBuf {
    repo.root.join(".git/agents/cache/status.json")
}

/// An agent's status, read from the state's documents (the remembered dashboard is put
/// aside first, so that the documents are read).
fn status_of(repo: &Repo, agent: &str) -> String {
    let _ = std::fs::remove_file(dashboard_path(repo));
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
    std::fs::remove_file(dashboard_path(&repo)).unwrap();
    repo.agents(&["status"]).ok();
    assert!(!old.exists(), "an abandoned temporary file is removed");
    assert!(young.exists(), "one that may still be written is left");
    assert!(cache_path(&repo).is_file());
}

/// The remembered dashboard, parsed.
fn dashboard(repo: &Repo) -> serde_json::Value {
    let text = std::fs::read_to_string(dashboard_path(repo)).expect("status leaves a dashboard");
    serde_json::from_str(&text).unwrap()
}

/// Rewrite the remembered line of `agent` with a title no document holds, so that a
/// status showing it can only have taken the line from the file.
fn plant_title(repo: &Repo, agent: &str, title: &str) {
    let mut remembered = dashboard(repo);
    for line in remembered["agents"].as_array_mut().unwrap() {
        if line["name"] == agent {
            line["title"] = title.into();
        }
    }
    std::fs::write(dashboard_path(repo), remembered.to_string()).unwrap();
}

/// `agent`'s line in `status --json`.
fn line_of(repo: &Repo, agent: &str) -> serde_json::Value {
    repo.status_json()["agents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == agent)
        .unwrap()
        .clone()
}

const PLANTED: &str = "planted in the remembered dashboard";

/// A change to the repository, named for the failure message.
type Change<'a> = (&'a str, Box<dyn Fn() + 'a>);

#[test]
fn the_dashboard_is_shown_again_only_while_nothing_it_shows_has_changed() {
    let repo = Repo::new();
    repo.init_example();
    repo.agents(&["spawn", "security-agent"]).ok();
    let agent = "security-agent";
    let worktree = repo.worktree(agent);
    repo.agents(&["status"]).ok();

    // Nothing changed: the remembered line is what is shown, for the whole fleet and
    // for the agent alone.
    plant_title(&repo, agent, PLANTED);
    assert_eq!(line_of(&repo, agent)["title"], PLANTED);
    repo.agents(&["status", agent]).ok().prints(PLANTED);

    // Each thing a line is computed from, changed in turn, is seen at once.
    let changes: Vec<Change> = vec![
        (
            "a state change",
            Box::new(|| {
                repo.agents(&["task", "done", "1", "--agent", agent]).ok();
            }),
        ),
        (
            "a commit on the agent's branch",
            Box::new(|| {
                repo.commit_in(&worktree, "fix.txt", "fixed\n", "fix");
            }),
        ),
        (
            "a test result noted on the head",
            Box::new(|| {
                repo.agents_in(&worktree, &["test", "--", "true"]).ok();
            }),
        ),
        (
            "the worktree removed by hand",
            Box::new(|| {
                std::fs::rename(&worktree, repo.tmp.path().join("moved-away")).unwrap();
            }),
        ),
        (
            "the file from another build",
            Box::new(|| {
                let mut remembered = dashboard(&repo);
                remembered["inputs"]["build"] = "0.0.1 schema 0".into();
                std::fs::write(dashboard_path(&repo), remembered.to_string()).unwrap();
            }),
        ),
        (
            "a damaged file",
            Box::new(|| std::fs::write(dashboard_path(&repo), "{\"inputs\": [").unwrap()),
        ),
    ];
    for (what, change) in changes {
        plant_title(&repo, agent, PLANTED);
        change();
        let line = line_of(&repo, agent);
        assert_ne!(line["title"], PLANTED, "after {what}");
        assert_eq!(dashboard(&repo)["agents"][0]["name"], "security-agent");
    }
    let line = line_of(&repo, agent);
    assert_eq!(line["tasks_done"], 1);
    assert_eq!(line["tests_passing"], true);
    assert_eq!(line["worktree_exists"], false);
    let tip = repo.git(&["rev-parse", "feature/security-hardening"]);
    assert_eq!(line["head"], tip.trim());
    assert_eq!(
        repo.git(&["log", "-1", "--format=%s", tip.trim()]).trim(),
        "fix"
    );

    // A broken state ref is reported as before, whatever was remembered.
    plant_title(&repo, agent, PLANTED);
    let tree = repo.git(&["rev-parse", "HEAD^{tree}"]).trim().to_owned();
    repo.git(&["update-ref", "refs/agents/state", &tree]);
    repo.agents(&["status"])
        .fails(2)
        .says("points at a tree, not a commit");
}
