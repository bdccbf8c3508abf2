//! Crash safety of `merge` on the local forge and of `run`: each killed at its fault
//! points and at random moments; afterwards `doctor` explains what it finds, running the
//! command again completes, base holds every agent's work exactly once, no lock file is
//! left and `git fsck` is clean.

use crate::common;

use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::time::Duration;

use common::Repo;
use common::crash::{Random, fsck_clean, kill_group, lock_files, start};
use git_agents::fault;

const SUBJECT: &str = "Security Hardening (security-agent) (#1)";

fn worktree(repo: &Repo, name: &str) -> PathBuf {
    repo.root.join("worktrees").join(name)
}

/// A repository where security-agent meets every merge criterion, with a test command
/// for the merged result.
fn ready_to_merge() -> (Repo, String) {
    let repo = Repo::new();
    repo.init_example();
    repo.git(&["config", "agents.testCommand", "test -f a.txt"]);
    repo.agents(&["spawn", "security-agent"]).ok();
    let dir = worktree(&repo, "security-agent");
    let head = repo.commit_in(&dir, "a.txt", "a\n", "security-agent: add a.txt");
    // Tested on the head with another command, so the merged result is tested too.
    repo.agents_in(&dir, &["test", "--", "sh", "-c", "test -f a.txt"])
        .ok();
    repo.agents_in(&dir, &["review", "--", "echo", "Score: 10/10"])
        .ok();
    repo.agents(&["approve", "security-agent"]).ok();
    repo.agents(&["pr", "security-agent"]).ok();
    repo.finish_tasks("security-agent");
    (repo, head)
}

fn agent_doc(repo: &Repo, name: &str) -> serde_json::Value {
    serde_json::from_str(&repo.git(&["show", &format!("refs/agents/state:agents/{name}.json")]))
        .unwrap()
}

fn tip(repo: &Repo, rev: &str) -> String {
    repo.git(&["rev-parse", rev]).trim().to_owned()
}

/// Kill `merge security-agent` at `point`.
fn merge_killed_at(repo: &Repo, point: &str) {
    let mut child = start(
        repo,
        &repo.root,
        &["merge", "security-agent"],
        &[(fault::FAULT_ENV, point)],
    );
    let status = child.wait().unwrap();
    assert_eq!(status.signal(), Some(6), "{point}: the merge aborts there");
}

/// security-agent's work is on base exactly once, the state says merged at base's tip,
/// its branch still holds its head, and nothing blocks the next command.
fn assert_merged_once(repo: &Repo, head: &str) {
    let subjects = repo.git(&["log", "--format=%s", "main"]);
    assert_eq!(
        subjects.lines().filter(|s| *s == SUBJECT).count(),
        1,
        "one squash commit on main: {subjects}"
    );
    assert_eq!(repo.git(&["show", "main:a.txt"]), "a\n");
    assert_eq!(
        repo.git(&["status", "--porcelain"]).trim(),
        "",
        "main's checkout follows"
    );
    let doc = agent_doc(repo, "security-agent");
    assert_eq!(doc["status"], "merged", "{doc}");
    assert_eq!(
        doc["merged_commit"].as_str(),
        Some(tip(repo, "main").as_str()),
        "{doc}"
    );
    assert_eq!(
        tip(repo, "feature/security-hardening"),
        head,
        "the branch is kept"
    );
    let merges = repo
        .git(&["log", "--format=%s", "refs/agents/state"])
        .lines()
        .filter(|m| m.starts_with("merge security-agent"))
        .count();
    assert_eq!(merges, 1, "the merge is recorded once");
    assert!(lock_files(repo).is_empty(), "{:?}", lock_files(repo));
    fsck_clean(repo);
}

#[test]
fn merge_killed_at_each_fault_point_completes_when_run_again() {
    for point in fault::MERGE {
        let (repo, head) = ready_to_merge();
        let before = tip(&repo, "main");
        merge_killed_at(&repo, point);
        assert!(
            lock_files(&repo).is_empty(),
            "{point}: {:?}",
            lock_files(&repo)
        );
        let moved = [fault::BEFORE_CHECKOUT_UPDATE, fault::AFTER_BASE_MOVED].contains(&point);
        assert_eq!(tip(&repo, "main") != before, moved, "{point}");
        assert_eq!(agent_doc(&repo, "security-agent")["status"], "pr_open");

        let doctor = repo.agents(&["doctor"]);
        match point {
            fault::AFTER_MERGE_BUILT => {
                doctor.ok().says("No drift");
            }
            fault::AFTER_MERGE_TESTED => {
                doctor.fails(1).says("merge worktree");
            }
            _ => {
                doctor
                    .fails(1)
                    .says("merged without the state hearing of it");
            }
        }

        let again = repo.agents(&["merge", "security-agent"]).ok();
        assert!(
            again
                .stdout
                .to_lowercase()
                .contains("merged security-agent"),
            "{point}: {}",
            again.stdout
        );
        assert_merged_once(&repo, &head);
        let doctor = repo.agents(&["doctor", "--fix"]).ok();
        assert!(
            !doctor.stderr.contains("could not"),
            "{point}: {}",
            doctor.stderr
        );
        repo.agents(&["doctor"]).ok().says("No drift");
        assert!(
            !repo.worktrees().contains("agents/merge"),
            "{point}: no temporary merge worktree is left: {}",
            repo.worktrees()
        );
        assert_merged_once(&repo, &head);
    }
}

#[test]
fn doctor_records_a_merge_whose_state_write_was_killed() {
    let (repo, head) = ready_to_merge();
    merge_killed_at(&repo, fault::AFTER_BASE_MOVED);
    let report = repo.agents(&["doctor", "--json"]).fails(1).json();
    let problems = report["problems"].as_array().unwrap();
    assert_eq!(problems.len(), 1, "{report}");
    assert_eq!(problems[0]["agent"], "security-agent");
    repo.agents(&["doctor", "--fix"]).ok();
    let doc = agent_doc(&repo, "security-agent");
    assert_eq!(doc["status"], "merged", "{doc}");
    assert_eq!(
        doc["merged_commit"].as_str(),
        Some(tip(&repo, "main").as_str())
    );
    repo.agents(&["merge", "security-agent"])
        .ok()
        .says("already merged");
    let subjects = repo.git(&["log", "--format=%s", "main"]);
    assert_eq!(subjects.lines().filter(|s| *s == SUBJECT).count(), 1);
    assert_eq!(tip(&repo, "feature/security-hardening"), head);
    assert!(lock_files(&repo).is_empty(), "{:?}", lock_files(&repo));
    fsck_clean(&repo);
}

#[test]
fn doctor_removes_a_temporary_merge_worktree_left_by_a_killed_merge() {
    let (repo, head) = ready_to_merge();
    merge_killed_at(&repo, fault::AFTER_MERGE_TESTED);
    assert!(
        repo.all_worktrees().contains("agents/merge"),
        "{}",
        repo.worktrees()
    );
    let report = repo.agents(&["doctor", "--json"]).fails(1).json();
    let problems = report["problems"].as_array().unwrap();
    assert_eq!(problems.len(), 1, "{report}");
    assert_eq!(problems[0]["kind"], "scratch_worktree", "{report}");
    repo.agents(&["doctor", "--fix"]).ok();
    assert!(
        !repo.worktrees().contains("agents/merge"),
        "{}",
        repo.worktrees()
    );
    repo.agents(&["doctor"]).ok().says("No drift");
    repo.agents(&["merge", "security-agent"]).ok();
    assert_merged_once(&repo, &head);
}

/// Each agent writes its own file once, commits it and ticks its task off; while it runs
/// its pid is kept in `pids/`, so a test can wait for commands a killed `run` left behind.
fn agent_command(repo: &Repo) -> String {
    let pids = repo.tmp.path().join("pids");
    std::fs::create_dir_all(&pids).unwrap();
    format!(
        "p={pids}/$GIT_AGENTS_AGENT.$$; touch $p; trap 'rm -f $p' EXIT; \
         if [ ! -f $GIT_AGENTS_AGENT.txt ]; then echo $GIT_AGENTS_AGENT > $GIT_AGENTS_AGENT.txt && \
         git add $GIT_AGENTS_AGENT.txt && git commit -qm \"$GIT_AGENTS_AGENT: work\"; fi && \
         git agents task done 1 >/dev/null",
        pids = pids.display()
    )
}

/// A plan of `count` one-task agents, a1.. depending on a0, ready for `run` to take to merged.
fn run_repo(count: usize) -> Repo {
    run_repo_with(count, true)
}

/// `count` agents for `run`; with `chained`, every agent after the first waits for a0.
/// Independent agents merge onto a base the others moved, so their merged results are
/// tested (a merged result identical to a head already tested is not).
fn run_repo_with(count: usize, chained: bool) -> Repo {
    let repo = Repo::new();
    let mut plan = String::new();
    for i in 0..count {
        let deps = if i == 0 || !chained { "[]" } else { "[\"a0\"]" };
        plan.push_str(&format!(
            "[[agents]]\nname = \"a{i}\"\nbranch = \"agents/a{i}\"\ndepends_on = {deps}\ntasks = [\"Work (1h)\"]\n\n"
        ));
    }
    let plan_file = repo.tmp.path().join("plan.toml");
    std::fs::write(&plan_file, plan).unwrap();
    repo.agents(&["init", "--plan", plan_file.to_str().unwrap()])
        .ok();
    repo.git(&["config", "agents.testCommand", "true"]);
    repo.git(&["config", "agents.reviewCommand", "echo Score: 10/10"]);
    repo.git(&["config", "agents.approvals", "0"]);
    repo.git(&["config", "agents.staleLockSeconds", "1"]);
    repo
}

/// Wait until no agent command a killed `run` left running is still at work.
fn wait_for_orphans(repo: &Repo) {
    let pids = repo.tmp.path().join("pids");
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while std::fs::read_dir(&pids).unwrap().next().is_some() {
        assert!(
            std::time::Instant::now() < deadline,
            "agent commands never finished"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `run` again takes every agent to merged, each agent's work on base exactly once.
fn assert_run_completes(repo: &Repo, exec: &str, count: usize) {
    let run = repo.agents(&["run", "--exec", exec]).ok();
    assert!(
        run.stdout
            .contains(&format!("{count} merged, 0 failed, 0 waiting")),
        "{}{}\nlock files: {:?}",
        run.stdout,
        run.stderr,
        lock_files(repo)
    );
    let log = repo.git(&["log", "--format=%s", "main"]);
    for i in 0..count {
        let name = format!("a{i}");
        assert_eq!(
            repo.git(&["show", &format!("main:{name}.txt")]).trim(),
            name
        );
        let landed = log
            .lines()
            .filter(|s| s.contains(&format!("({name})")) || s.starts_with(&format!("{name} ")))
            .count();
        assert!(landed <= 1, "{name} lands once: {log}");
        assert_eq!(agent_doc(repo, &name)["status"], "merged");
    }
    let squashes = log.lines().count() - 1;
    assert_eq!(squashes, count, "one commit per agent on main: {log}");
    // A `git worktree add` killed inside `spawn` may leave the index lock of an agent's
    // worktree; it blocked nothing above (every agent merged), so only locks elsewhere count.
    let blocking: Vec<PathBuf> = lock_files(repo)
        .into_iter()
        .filter(|l| !(l.ends_with("index.lock") && l.starts_with(repo.root.join(".git/worktrees"))))
        .collect();
    assert!(blocking.is_empty(), "{blocking:?}");
    fsck_clean(repo);
}

#[test]
fn run_killed_after_an_agent_exited_records_it_when_run_again() {
    let repo = run_repo(3);
    let exec = agent_command(&repo);
    let mut child = start(
        &repo,
        &repo.root,
        &["run", "--exec", &exec],
        &[(fault::FAULT_ENV, fault::AFTER_AGENT_EXITED)],
    );
    assert_eq!(child.wait().unwrap().signal(), Some(6));
    wait_for_orphans(&repo);
    assert_eq!(
        agent_doc(&repo, "a0")["status"],
        "in_progress",
        "not recorded yet"
    );
    repo.agents(&["doctor"]).ok().says("No drift");
    assert_run_completes(&repo, &exec, 3);
}

#[test]
fn run_killed_at_each_merge_fault_point_completes_when_run_again() {
    for point in fault::MERGE {
        let repo = run_repo_with(2, false);
        let exec = agent_command(&repo);
        let mut child = start(
            &repo,
            &repo.root,
            &["run", "--exec", &exec],
            &[(fault::FAULT_ENV, point)],
        );
        assert_eq!(child.wait().unwrap().signal(), Some(6), "{point}");
        wait_for_orphans(&repo);
        assert_run_completes(&repo, &exec, 2);
        repo.agents(&["doctor", "--fix"]).ok();
        repo.agents(&["doctor"]).ok().says("No drift");
    }
}

#[test]
fn run_killed_at_random_moments_finishes_every_agent_when_run_again() {
    let count = 5;
    let repo = run_repo(count);
    let exec = agent_command(&repo);
    let mut random = Random::new();
    let mut killed = Vec::new();
    for _ in 0..12 {
        let mut child = start(&repo, &repo.root, &["run", "--exec", &exec], &[]);
        let delay = random.below(400);
        std::thread::sleep(Duration::from_millis(delay));
        if child.try_wait().unwrap().is_some() {
            break;
        }
        killed.push(delay);
        kill_group(&mut child);
        wait_for_orphans(&repo);
    }
    eprintln!("runs killed after {killed:?} ms");
    assert!(
        !killed.is_empty(),
        "at least one run was killed while running"
    );
    repo.agents(&["doctor", "--fix"]).ok();
    assert_run_completes(&repo, &exec, count);
    repo.agents(&["doctor", "--fix"]).ok();
    repo.agents(&["doctor"]).ok().says("No drift");
    assert_eq!(
        lock_files(&repo),
        Vec::<PathBuf>::new(),
        "doctor removed them"
    );
}

#[test]
fn a_half_written_temporary_worktree_record_does_not_block_the_next_merge() {
    let (repo, head) = ready_to_merge();
    // What a `git worktree add` killed mid-way leaves: a record whose commondir is empty,
    // which makes `git worktree list` itself fail.
    let record = repo.root.join(".git/worktrees/security-agent-4194300");
    std::fs::create_dir_all(&record).unwrap();
    let path = repo.root.join(".git/agents/merge/security-agent-4194300");
    std::fs::create_dir_all(&path).unwrap();
    std::fs::write(record.join("gitdir"), format!("{}/.git\n", path.display())).unwrap();
    std::fs::write(record.join("commondir"), "").unwrap();
    std::fs::write(record.join("locked"), "initializing").unwrap();
    let list = repo
        .command("git", &repo.root)
        .args(["worktree", "list"])
        .output()
        .unwrap();
    assert!(!list.status.success(), "git cannot list worktrees now");
    repo.agents(&["merge", "security-agent"]).ok();
    assert!(!record.exists() && !path.exists());
    assert_merged_once(&repo, &head);
    repo.agents(&["doctor"]).ok().says("No drift");
}

#[test]
fn recovery_of_a_left_behind_base_checkout_never_overwrites_the_users_files() {
    let (repo, head) = ready_to_merge();
    merge_killed_at(&repo, fault::BEFORE_CHECKOUT_UPDATE);
    // The merge moved main to a commit that adds a.txt; the checkout still holds the old
    // files, and the user writes an a.txt of their own there.
    std::fs::write(repo.root.join("a.txt"), "mine\n").unwrap();
    repo.agents(&["doctor"])
        .fails(1)
        .says("main's checkout in")
        .says("a merge was killed before it updated the checkout")
        .says("a.txt of yours stands where merged files go");
    repo.agents(&["doctor", "--fix"]).fails(1);
    assert_eq!(
        std::fs::read_to_string(repo.root.join("a.txt")).unwrap(),
        "mine\n"
    );
    // Recording the merge that did happen touches no file either.
    repo.agents(&["merge", "security-agent"])
        .ok()
        .says("already merged");
    assert_eq!(
        std::fs::read_to_string(repo.root.join("a.txt")).unwrap(),
        "mine\n",
        "the user's file is kept"
    );
    // Moved away, the repair brings the checkout up to date.
    std::fs::rename(repo.root.join("a.txt"), repo.tmp.path().join("mine.txt")).unwrap();
    repo.agents(&["doctor", "--fix"]).ok();
    assert_eq!(repo.git(&["status", "--porcelain"]).trim(), "");
    assert_eq!(
        std::fs::read_to_string(repo.root.join("a.txt")).unwrap(),
        "a\n"
    );
    assert_eq!(agent_doc(&repo, "security-agent")["status"], "merged");
    assert_eq!(tip(&repo, "feature/security-hardening"), head);
    assert!(lock_files(&repo).is_empty());
    fsck_clean(&repo);
}
