//! Lock files left by a killed process: the next command waits until they are stale,
//! removes them with a warning and completes; a lock a live process holds open is never
//! removed, and the command fails naming it. `doctor` explains both kinds.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use common::Repo;

/// A repository where security-agent meets every merge criterion, locks turning stale
/// after one second.
fn ready_to_merge() -> (Repo, String) {
    let repo = Repo::new();
    repo.init_example();
    repo.git(&["config", "agents.staleLockSeconds", "1"]);
    let head = repo.ready("security-agent", "a.txt", "a\n");
    (repo, head)
}

/// An empty lock file at `path`, just made: what a git process killed right after taking
/// its lock leaves.
fn left_lock(path: &Path) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, "").unwrap();
}

/// A live process (a shell sleeping) with the file at `path` open.
struct Holder(Child);

impl Holder {
    fn new(repo: &Repo, path: &Path) -> Holder {
        left_lock(path);
        let child = repo
            .command("sh", &repo.root)
            .args(["-c", "exec 3<\"$0\"; exec sleep 60"])
            .arg(path)
            .stdin(Stdio::null())
            .spawn()
            .unwrap();
        let holder = Holder(child);
        let fd3 = PathBuf::from(format!("/proc/{}/fd/3", holder.0.id()));
        let deadline = Instant::now() + Duration::from_secs(10);
        while !fd3.exists() {
            assert!(
                Instant::now() < deadline,
                "the holder never opened the lock"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        holder
    }
}

impl Drop for Holder {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn tip(repo: &Repo, rev: &str) -> String {
    repo.git(&["rev-parse", rev]).trim().to_owned()
}

fn status_of(repo: &Repo, agent: &str) -> String {
    repo.statuses()
        .into_iter()
        .find(|(name, _)| name == agent)
        .map(|(_, status)| status)
        .unwrap()
}

/// Merging security-agent completes despite the lock at `lock`, after waiting for it to
/// turn stale, and warns about removing it.
fn merge_completes_despite(repo: &Repo, lock: &Path) {
    left_lock(lock);
    let started = Instant::now();
    repo.agents(&["merge", "security-agent"])
        .ok()
        .says("removed")
        .says(&lock.display().to_string());
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "waited for the lock to turn stale"
    );
    assert!(!lock.exists(), "{} is gone", lock.display());
    assert_eq!(status_of(repo, "security-agent"), "merged");
    assert!(repo.git(&["show", "main:a.txt"]).contains('a'));
}

#[test]
fn a_base_branch_lock_left_by_a_killed_update_ref_is_waited_out() {
    let (repo, _) = ready_to_merge();
    merge_completes_despite(&repo, &repo.root.join(".git/refs/heads/main.lock"));
}

#[test]
fn a_head_lock_in_the_base_checkout_is_waited_out() {
    let (repo, _) = ready_to_merge();
    merge_completes_despite(&repo, &repo.root.join(".git/HEAD.lock"));
}

#[test]
fn an_index_lock_in_the_base_checkout_is_waited_out() {
    let (repo, _) = ready_to_merge();
    merge_completes_despite(&repo, &repo.root.join(".git/index.lock"));
    assert!(
        repo.git(&["status", "--porcelain", "--untracked-files=no"])
            .trim()
            .is_empty(),
        "the base checkout was brought along"
    );
}

#[test]
fn a_state_lock_left_by_a_killed_write_is_waited_out() {
    let repo = Repo::new();
    repo.init_example();
    repo.git(&["config", "agents.staleLockSeconds", "1"]);
    let lock = repo.root.join(".git/refs/agents/state.lock");
    left_lock(&lock);
    repo.agents(&[
        "update",
        "--agent",
        "security-agent",
        "--note",
        "after a crash",
    ])
    .ok()
    .says("removed")
    .says("refs/agents/state");
    assert!(!lock.exists());
    let shown = repo.git(&["show", "refs/agents/state:agents/security-agent.json"]);
    assert!(shown.contains("after a crash"), "{shown}");
}

#[test]
fn a_lock_a_live_process_holds_is_left_and_named() {
    let (repo, head) = ready_to_merge();
    let lock = repo.root.join(".git/refs/heads/main.lock");
    let base = tip(&repo, "main");
    let holder = Holder::new(&repo, &lock);
    let started = Instant::now();
    let failed = repo.agents(&["merge", "security-agent"]).fails(3);
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "the wait is bounded"
    );
    let failed = failed
        .says(&lock.display().to_string())
        .says(&format!("process {}", holder.0.id()));
    assert!(!failed.stderr.contains("removed"), "{}", failed.stderr);
    assert!(lock.exists(), "a held lock is never removed");
    assert_eq!(tip(&repo, "main"), base, "base did not move");
    assert_eq!(status_of(&repo, "security-agent"), "pr_open");
    drop(holder);
    repo.agents(&["merge", "security-agent"]).ok();
    assert!(!lock.exists());
    assert_eq!(
        repo.git(&["rev-list", "--count", &format!("{base}..main")])
            .trim(),
        "1"
    );
    assert_eq!(tip(&repo, "feature/security-hardening"), head);
    assert!(repo.git(&["show", "main:a.txt"]).contains('a'));
}

#[test]
fn a_state_lock_a_live_process_holds_fails_as_contention_and_changes_nothing() {
    let repo = Repo::new();
    repo.init_example();
    repo.git(&["config", "agents.staleLockSeconds", "1"]);
    let lock = repo.root.join(".git/refs/agents/state.lock");
    let before = tip(&repo, "refs/agents/state");
    let holder = Holder::new(&repo, &lock);
    repo.agents(&["update", "--agent", "security-agent", "--note", "held"])
        .fails(3)
        .says(&lock.display().to_string());
    assert!(lock.exists(), "a held lock is never removed");
    assert_eq!(tip(&repo, "refs/agents/state"), before);
    drop(holder);
    repo.agents(&["update", "--agent", "security-agent", "--note", "held"])
        .ok();
    assert_ne!(tip(&repo, "refs/agents/state"), before);
}

#[test]
fn doctor_explains_locks_and_removes_only_those_no_process_holds() {
    let (repo, _) = ready_to_merge();
    let left = repo.root.join(".git/HEAD.lock");
    let held = repo.root.join(".git/refs/heads/main.lock");
    left_lock(&left);
    let holder = Holder::new(&repo, &held);
    let report = repo.agents(&["doctor"]).fails(1);
    let report = report
        .says(&format!("{} (0 s old, on HEAD)", left.display()))
        .says("held by no running process")
        .says(&format!(
            "{} (0 s old, on refs/heads/main) is held open by process {}",
            held.display(),
            holder.0.id()
        ));
    assert!(left.exists() && held.exists(), "{}", report.stdout);
    repo.agents(&["doctor", "--fix"])
        .says(&format!("lock file {} is gone", left.display()));
    assert!(!left.exists(), "the left lock was removed");
    assert!(held.exists(), "the held lock was left to its holder");
    drop(holder);
    repo.agents(&["doctor", "--fix"]).ok();
    assert!(!held.exists());
    repo.agents(&["doctor"]).ok().says("No drift");
}

/// What a `git worktree add` of security-agent killed part-way leaves: its worktree
/// directory and a record still locked as initializing, with `commondir` as given (none
/// when `None`) and the worktree's `.git` file pointing at the record or cut off empty.
/// Returns the worktree and the record.
fn half_made_worktree(
    repo: &Repo,
    commondir: Option<&str>,
    git_file_written: bool,
) -> (PathBuf, PathBuf) {
    repo.git(&["config", "agents.staleLockSeconds", "1"]);
    let path = repo.worktree("security-agent");
    let record = repo.root.join(".git/worktrees/security-agent");
    std::fs::create_dir_all(&path).unwrap();
    std::fs::create_dir_all(&record).unwrap();
    std::fs::write(record.join("gitdir"), format!("{}/.git\n", path.display())).unwrap();
    let git_file = if git_file_written {
        format!("gitdir: {}\n", record.display())
    } else {
        String::new()
    };
    std::fs::write(path.join(".git"), git_file).unwrap();
    if let Some(commondir) = commondir {
        std::fs::write(record.join("commondir"), commondir).unwrap();
    }
    std::fs::write(record.join("locked"), "initializing").unwrap();
    (path, record)
}

/// security-agent's worktree is checked out on its branch and doctor finds nothing.
fn assert_spawned_cleanly(repo: &Repo, path: &Path) {
    assert_eq!(
        repo.git_in(path, &["rev-parse", "--abbrev-ref", "HEAD"])
            .trim(),
        "feature/security-hardening"
    );
    repo.agents(&["doctor"]).ok().says("No drift");
}

#[test]
fn a_half_made_agent_worktree_record_is_replaced_by_the_next_spawn() {
    let repo = Repo::new();
    repo.init_example();
    // Killed while writing HEAD: a record without HEAD, which `git worktree remove`
    // refuses to remove.
    let (path, record) = half_made_worktree(&repo, Some("../..\n"), true);
    std::fs::create_dir_all(record.join("refs")).unwrap();
    left_lock(&record.join("HEAD.lock"));
    repo.agents(&["spawn", "security-agent"]).ok();
    assert_spawned_cleanly(&repo, &path);
}

#[test]
fn an_agent_worktree_record_git_cannot_read_is_removed_before_use() {
    let repo = Repo::new();
    repo.init_example();
    // Killed while writing commondir: `git worktree list` fails.
    let (path, _) = half_made_worktree(&repo, Some(""), true);
    let list = repo
        .command("git", &repo.root)
        .args(["worktree", "list"])
        .output()
        .unwrap();
    assert!(!list.status.success(), "git cannot list worktrees now");
    repo.agents(&["spawn", "security-agent"])
        .ok()
        .says("half-made");
    assert_spawned_cleanly(&repo, &path);
}

#[test]
fn an_agent_worktree_whose_git_file_was_cut_off_is_replaced_by_the_next_spawn() {
    let repo = Repo::new();
    repo.init_example();
    // Killed while writing the worktree's `.git` file: the file is empty, and the record
    // has neither commondir nor HEAD.
    let (path, record) = half_made_worktree(&repo, None, false);
    repo.agents(&["spawn", "security-agent"]).ok();
    assert!(!record.exists() || record.join("HEAD").exists());
    assert_spawned_cleanly(&repo, &path);
}
