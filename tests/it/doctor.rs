//! `doctor` on real drift: worktrees deleted by hand, branches deleted or merged outside
//! the tool, stale locks, worktrees on the wrong branch; `--fix` repairs and says so.

use crate::common;

use common::agent;
use common::{Repo, problem_kinds};

fn spawned(names: &[&str]) -> Repo {
    let repo = Repo::new();
    repo.init_example();
    let mut args = vec!["spawn"];
    args.extend(names);
    repo.agents(&args).ok();
    repo
}

fn pair(agent: &str, kind: &str) -> (String, String) {
    (agent.to_owned(), kind.to_owned())
}

#[test]
fn a_clean_fleet_has_no_drift() {
    let repo = spawned(&["security-agent", "backend-agent"]);
    repo.agents(&["doctor"]).ok().says("No drift");
    let refs = repo.refs();
    repo.agents(&["doctor", "--fix"]).ok().says("No drift");
    assert_eq!(repo.refs(), refs);
}

#[test]
fn a_worktree_deleted_by_hand_is_checked_out_again() {
    let repo = spawned(&["backend-agent"]);
    let wt = repo.root.join("worktrees/backend-agent");
    let head = repo.commit_in(&wt, "work.txt", "work\n", "work");
    std::fs::remove_dir_all(&wt).unwrap();

    let report = repo.agents(&["doctor", "--json"]).fails(1).json();
    assert_eq!(
        problem_kinds(&report),
        [pair("backend-agent", "worktree_prunable")]
    );
    let text = repo.agents(&["doctor"]).fails(1).stdout;
    assert!(
        text.contains("was deleted without `git worktree remove`"),
        "{text}"
    );
    assert!(
        text.contains("--fix: drop the record of deleted worktree"),
        "{text}"
    );

    let fixed = repo.agents(&["doctor", "--fix"]).ok().stdout;
    assert!(
        fixed.contains("fixed backend-agent: dropped the record"),
        "{fixed}"
    );
    assert!(
        fixed.contains("fixed backend-agent: checked feature/backend-architecture out again"),
        "{fixed}"
    );
    assert!(fixed.contains("All drift repaired."), "{fixed}");
    assert_eq!(repo.git_in(&wt, &["rev-parse", "HEAD"]).trim(), head);
    assert_eq!(
        std::fs::read_to_string(wt.join("work.txt")).unwrap(),
        "work\n"
    );
    repo.agents(&["doctor"]).ok();
}

#[test]
fn a_deleted_branch_is_re_created_at_the_recorded_head() {
    let repo = spawned(&["frontend-agent"]);
    let recorded = agent(&repo.status_json(), "frontend-agent")["head"]
        .as_str()
        .unwrap()
        .to_owned();
    repo.git(&["worktree", "remove", "worktrees/frontend-agent"]);
    repo.git(&["branch", "-D", "feature/frontend-improvements"]);
    let report = repo.agents(&["doctor", "--json"]).fails(1).json();
    assert_eq!(
        problem_kinds(&report),
        [pair("frontend-agent", "branch_missing")]
    );

    let fixed = repo.agents(&["doctor", "--fix", "--json"]).ok().json();
    let actions: Vec<&str> = fixed["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["problem"]["repair"]["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["create_branch", "add_worktree"]);
    assert!(fixed["remaining"].as_array().unwrap().is_empty());
    assert_eq!(
        repo.git(&["rev-parse", "feature/frontend-improvements"])
            .trim(),
        recorded
    );
    assert!(repo.root.join("worktrees/frontend-agent").is_dir());
}

#[test]
fn branches_merged_outside_the_tool_are_marked_merged() {
    let repo = spawned(&["backend-agent", "rag-agent", "security-agent"]);
    let wt = |name: &str| repo.root.join("worktrees").join(name);
    repo.commit_in(&wt("backend-agent"), "backend.txt", "b\n", "backend work");
    repo.commit_in(&wt("rag-agent"), "rag.txt", "r\n", "rag work");
    repo.commit_in(&repo.root, "main.txt", "m\n", "main moves on");
    repo.git(&[
        "merge",
        "-q",
        "--no-ff",
        "-m",
        "merge backend",
        "feature/backend-architecture",
    ]);
    repo.git(&["merge", "-q", "--squash", "feature/rag-completion"]);
    repo.git(&["commit", "-q", "-m", "squash rag"]);
    let main = repo.git(&["rev-parse", "main"]).trim().to_owned();

    let report = repo.agents(&["doctor", "--json"]).fails(1).json();
    assert_eq!(
        problem_kinds(&report),
        [
            pair("backend-agent", "merged_outside"),
            pair("rag-agent", "merged_outside")
        ],
        "security-agent has no work of its own yet, so it is not merged"
    );
    let text = repo.agents(&["doctor"]).fails(1).stdout;
    assert!(text.contains("its tip is in main"), "{text}");
    assert!(text.contains("its changes are already in main"), "{text}");

    repo.agents(&["doctor", "--fix"])
        .ok()
        .says("marked rag-agent merged");
    let status = repo.status_json();
    for name in ["backend-agent", "rag-agent"] {
        assert_eq!(agent(&status, name)["status"], "merged");
    }
    assert_eq!(agent(&status, "security-agent")["status"], "in_progress");
    let log = repo.agents(&["log"]).ok().stdout;
    assert!(log.contains("doctor: mark backend-agent merged"), "{log}");
    let brief = repo.agents(&["brief", "rag-agent", "--json"]).ok().json();
    assert!(
        brief["notes"][0]["text"]
            .as_str()
            .unwrap()
            .contains(&main[..12])
    );
}

#[test]
fn stale_locks_are_unlocked_and_live_ones_left_alone() {
    let repo = spawned(&["security-agent", "devops-agent"]);
    repo.agents(&["spawn", "docs-agent", "--force"]).ok();
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let dead = child.id();
    child.wait().unwrap();
    let live = std::process::id();
    repo.git(&[
        "worktree",
        "lock",
        "--reason",
        &format!("agent pid {dead}"),
        "worktrees/security-agent",
    ]);
    repo.git(&[
        "worktree",
        "lock",
        "--reason",
        &format!("agent pid {live}"),
        "worktrees/devops-agent",
    ]);
    repo.git(&["worktree", "lock", "worktrees/docs-agent"]);
    std::fs::remove_dir_all(repo.root.join("worktrees/docs-agent")).unwrap();

    let report = repo.agents(&["doctor", "--json"]).fails(1).json();
    assert_eq!(
        problem_kinds(&report),
        [
            pair("security-agent", "stale_lock"),
            pair("docs-agent", "stale_lock")
        ]
    );
    let fixed = repo.agents(&["doctor", "--fix"]).ok().stdout;
    assert!(
        fixed.contains("fixed security-agent: unlocked worktree"),
        "{fixed}"
    );
    assert!(
        fixed.contains("fixed docs-agent: checked feature/documentation-updates out again"),
        "{fixed}"
    );
    let list = repo.worktrees();
    assert_eq!(list.matches("locked").count(), 1, "{list}");
    assert!(list.contains(&format!("locked agent pid {live}")));
    assert!(repo.root.join("worktrees/docs-agent").is_dir());
}

#[test]
fn a_worktree_on_another_branch_is_switched_back_when_clean() {
    let repo = spawned(&["security-agent", "devops-agent"]);
    let security = repo.root.join("worktrees/security-agent");
    let devops = repo.root.join("worktrees/devops-agent");
    repo.git_in(&security, &["switch", "-q", "-c", "side"]);
    repo.git_in(&devops, &["switch", "-q", "--detach"]);
    std::fs::write(devops.join("scratch.txt"), "unsaved\n").unwrap();

    let report = repo.agents(&["doctor", "--json"]).fails(1).json();
    assert_eq!(
        problem_kinds(&report),
        [
            pair("security-agent", "wrong_branch"),
            pair("devops-agent", "wrong_branch")
        ]
    );
    let run = repo.agents(&["doctor", "--fix"]).fails(1);
    run.prints("fixed security-agent: switched");
    run.prints("Still to do:");
    run.prints("it has uncommitted changes");
    run.prints("commit or stash them");
    assert_eq!(
        repo.git_in(&security, &["branch", "--show-current"]).trim(),
        "feature/security-hardening"
    );
    assert_eq!(
        std::fs::read_to_string(devops.join("scratch.txt")).unwrap(),
        "unsaved\n"
    );
}

#[test]
fn a_worktree_moved_away_is_moved_back() {
    let repo = spawned(&["backend-agent"]);
    let moved = repo.tmp.path().join("elsewhere");
    repo.git(&[
        "worktree",
        "move",
        "worktrees/backend-agent",
        moved.to_str().unwrap(),
    ]);
    let report = repo.agents(&["doctor", "--json"]).fails(1).json();
    assert_eq!(
        problem_kinds(&report),
        [pair("backend-agent", "worktree_missing")]
    );
    assert_eq!(report["problems"][0]["repair"]["action"], "move_worktree");
    repo.agents(&["doctor", "--fix"])
        .ok()
        .says("moved worktree");
    assert!(
        repo.root
            .join("worktrees/backend-agent/README.md")
            .is_file()
    );
    assert!(!moved.exists());
}

#[test]
fn stopped_automatic_maintenance_is_reported() {
    let repo = spawned(&["backend-agent"]);
    repo.agents(&["doctor"]).ok();
    let gc_log = repo.root.join(".git/gc.log");
    std::fs::write(
        &gc_log,
        "warning: There are too many unreachable loose objects; run 'git prune' to remove them.\n",
    )
    .unwrap();

    let report = repo.agents(&["doctor", "--json"]).fails(1).json();
    assert_eq!(
        problem_kinds(&report),
        [pair("repository", "maintenance_stopped")]
    );
    assert!(report["problems"][0]["repair"].is_null());
    let text = repo.agents(&["doctor"]).fails(1).stdout;
    assert!(
        text.contains("background `git gc --auto` does nothing while"),
        "{text}"
    );
    assert!(
        text.contains("too many unreachable loose objects"),
        "{text}"
    );
    assert!(text.contains("then delete"), "{text}");
    let fixed = repo.agents(&["doctor", "--fix"]).fails(1).stdout;
    assert!(fixed.contains("Still to do"), "{fixed}");
    assert!(gc_log.exists(), "doctor leaves the decision to a person");

    repo.git(&["config", "gc.logExpiry", "now"]);
    repo.agents(&["doctor"]).ok();
    repo.git(&["config", "gc.logExpiry", "2.weeks.ago"]);
    repo.agents(&["doctor", "--json"]).fails(1);
    let old = std::time::SystemTime::now() - std::time::Duration::from_secs(3 * 7 * 24 * 3600);
    std::fs::File::options()
        .write(true)
        .open(&gc_log)
        .unwrap()
        .set_modified(old)
        .unwrap();
    repo.agents(&["doctor"]).ok();
    std::fs::remove_file(&gc_log).unwrap();

    let lock = repo.root.join(".git/objects/maintenance.lock");
    std::fs::write(&lock, "").unwrap();
    repo.agents(&["doctor"]).ok();
    let hours_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(2 * 3600);
    std::fs::File::options()
        .write(true)
        .open(&lock)
        .unwrap()
        .set_modified(hours_ago)
        .unwrap();
    let report = repo.agents(&["doctor", "--json"]).fails(1).json();
    assert_eq!(
        problem_kinds(&report),
        [pair("repository", "maintenance_stopped")]
    );
    let text = repo.agents(&["doctor"]).fails(1).stdout;
    assert!(
        text.contains("automatic git maintenance is skipped while") && text.contains("2h 00m ago"),
        "{text}"
    );
    std::fs::remove_file(&lock).unwrap();
    repo.agents(&["doctor"]).ok();
}
