//! Crash safety: `spawn` and state writes killed at every fault point and at random
//! moments; afterwards re-running the command completes, nothing is lost, and no lock
//! file blocks the next command.

use crate::common;

use std::time::{Duration, Instant};

use common::Repo;
use common::crash::{Random, fsck_clean, kill_group, lock_files, start};

fn state_messages(repo: &Repo) -> Vec<String> {
    repo.git(&["log", "--format=%s", "refs/agents/state"])
        .lines()
        .map(str::to_owned)
        .collect()
}

fn agent_doc(repo: &Repo, name: &str) -> serde_json::Value {
    serde_json::from_str(&repo.git(&["show", &format!("refs/agents/state:agents/{name}.json")]))
        .unwrap()
}

/// A spawned agent is whole: its worktree is on its branch with a complete checkout and
/// the state says in progress, recorded by exactly one spawn commit.
fn assert_spawned(repo: &Repo, name: &str, branch: &str) {
    let path = repo.root.join("worktrees").join(name);
    assert_eq!(
        repo.git_in(&path, &["rev-parse", "--abbrev-ref", "HEAD"])
            .trim(),
        branch
    );
    assert_eq!(
        repo.git_in(&path, &["status", "--porcelain"]).trim(),
        "",
        "complete checkout in {}",
        path.display()
    );
    let list = repo.worktrees();
    assert!(!list.contains("locked"), "{list}");
    let doc = agent_doc(repo, name);
    assert_eq!(doc["status"], "in_progress", "{doc}");
    assert_eq!(
        doc["base_commit"].as_str(),
        Some(repo.git(&["rev-parse", "main"]).trim()),
        "{doc}"
    );
    let spawns = state_messages(repo)
        .iter()
        .filter(|m| *m == &format!("spawn {name}"))
        .count();
    assert_eq!(spawns, 1, "{:?}", state_messages(repo));
}

#[test]
fn spawn_killed_at_each_fault_point_completes_when_run_again() {
    for point in git_agents::fault::ALL {
        let repo = Repo::new();
        repo.init_example();
        let before = state_messages(&repo).len();
        let mut child = start(
            &repo,
            &repo.root,
            &["spawn", "backend-agent"],
            &[(git_agents::fault::FAULT_ENV, point)],
        );
        let status = child.wait().unwrap();
        assert_eq!(
            std::os::unix::process::ExitStatusExt::signal(&status),
            Some(6),
            "{point}: the process aborts at the fault point"
        );
        match point {
            "after-branch" | "after-worktree" | "before-ref-update" => {
                assert_eq!(state_messages(&repo).len(), before, "{point}")
            }
            _ => assert_eq!(state_messages(&repo).len(), before + 1, "{point}"),
        }
        assert!(lock_files(&repo).is_empty(), "{:?}", lock_files(&repo));
        repo.agents(&["spawn", "backend-agent"]).ok();
        assert_spawned(&repo, "backend-agent", "feature/backend-architecture");
        let (refs, worktrees) = (repo.refs(), repo.worktrees());
        repo.agents(&["spawn", "backend-agent"])
            .ok()
            .says("Already spawned");
        assert_eq!(repo.refs(), refs);
        assert_eq!(repo.worktrees(), worktrees);
        fsck_clean(&repo);
    }
}

#[test]
fn a_spawn_of_many_killed_halfway_finishes_the_rest_when_run_again() {
    let repo = Repo::new();
    repo.init_example();
    let mut child = start(
        &repo,
        &repo.root,
        &["spawn", "--ready"],
        &[(git_agents::fault::FAULT_ENV, "after-worktree@3")],
    );
    assert!(!child.wait().unwrap().success());
    let status = repo.status_json();
    let in_progress = status["agents"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["status"] == "in_progress")
        .count();
    assert_eq!(in_progress, 2, "two spawns were recorded before the crash");
    let run = repo.agents(&["spawn", "--ready", "--json"]).ok().json();
    assert_eq!(run["spawned"].as_array().unwrap().len(), 3);
    for (name, branch) in [
        ("security-agent", "feature/security-hardening"),
        ("backend-agent", "feature/backend-architecture"),
        ("frontend-agent", "feature/frontend-improvements"),
        ("rag-agent", "feature/rag-completion"),
        ("devops-agent", "feature/devops-infrastructure"),
    ] {
        assert_spawned(&repo, name, branch);
    }
    fsck_clean(&repo);
}

#[test]
fn a_write_killed_before_the_ref_moves_loses_nothing_already_written() {
    let repo = Repo::new();
    repo.init_example();
    repo.agents(&["update", "--agent", "docs-agent", "--note", "first"])
        .ok();
    let mut child = start(
        &repo,
        &repo.root,
        &["update", "--agent", "docs-agent", "--note", "second"],
        &[(git_agents::fault::FAULT_ENV, "before-ref-update")],
    );
    assert!(!child.wait().unwrap().success());
    let doc = agent_doc(&repo, "docs-agent");
    assert_eq!(doc["notes"].as_array().unwrap().len(), 1, "{doc}");
    repo.agents(&["update", "--agent", "docs-agent", "--note", "second"])
        .ok();
    let doc = agent_doc(&repo, "docs-agent");
    let notes: Vec<&str> = doc["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["text"].as_str().unwrap())
        .collect();
    assert_eq!(notes, ["first", "second"]);
    fsck_clean(&repo);
}

#[test]
fn a_stale_lock_left_by_a_killed_writer_is_removed_with_a_warning() {
    let repo = Repo::new();
    repo.init_example();
    let lock = repo.root.join(".git/refs/agents/state.lock");
    let old = std::fs::File::create(&lock).unwrap();
    old.set_modified(std::time::SystemTime::now() - Duration::from_secs(120))
        .unwrap();
    drop(old);
    let blocked = repo
        .command("git", &repo.root)
        .args(["update-ref", "refs/agents/state", "HEAD"])
        .output()
        .unwrap();
    assert!(
        !blocked.status.success(),
        "git itself is blocked by the lock"
    );

    let run = repo
        .agents(&[
            "update",
            "--agent",
            "rag-agent",
            "--note",
            "after the crash",
        ])
        .ok();
    assert!(
        run.stderr.contains("warning: removed") && run.stderr.contains("state.lock"),
        "{}",
        run.stderr
    );
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(!lock.exists());
    assert_eq!(
        agent_doc(&repo, "rag-agent")["notes"][0]["text"],
        "after the crash"
    );
    let quiet = repo
        .agents(&["update", "--agent", "rag-agent", "--note", "again"])
        .ok();
    assert_eq!(quiet.stderr, "", "the warning is given once");
}

#[test]
fn a_fresh_orphaned_lock_is_waited_out_then_removed() {
    let repo = Repo::new();
    repo.init_example();
    repo.git(&["config", "agents.staleLockSeconds", "1"]);
    let lock = repo.root.join(".git/refs/agents/state.lock");
    std::fs::File::create(&lock).unwrap();
    let branch_lock = repo
        .root
        .join(".git/refs/heads/feature/security-hardening.lock");
    std::fs::create_dir_all(branch_lock.parent().unwrap()).unwrap();
    std::fs::File::create(&branch_lock).unwrap();
    let started = Instant::now();
    repo.agents(&["spawn", "security-agent"])
        .ok()
        .says("warning: removed");
    assert!(started.elapsed() >= Duration::from_millis(900));
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(lock_files(&repo).is_empty(), "{:?}", lock_files(&repo));
    assert_spawned(&repo, "security-agent", "feature/security-hardening");
}

#[test]
fn a_branch_lock_left_by_a_killed_worktree_add_is_waited_out() {
    let repo = Repo::new();
    repo.init_example();
    repo.git(&["config", "agents.staleLockSeconds", "1"]);
    repo.git(&["branch", "feature/devops-infrastructure"]);
    std::fs::File::create(
        repo.root
            .join(".git/refs/heads/feature/devops-infrastructure.lock"),
    )
    .unwrap();
    repo.agents(&["spawn", "devops-agent"])
        .ok()
        .says("warning: removed");
    assert_spawned(&repo, "devops-agent", "feature/devops-infrastructure");
    assert!(lock_files(&repo).is_empty(), "{:?}", lock_files(&repo));
}

#[test]
fn a_half_made_worktree_is_replaced_by_the_next_spawn() {
    let repo = Repo::new();
    repo.init_example();
    repo.git(&["branch", "feature/rag-completion"]);
    repo.git(&[
        "worktree",
        "add",
        "-q",
        "--lock",
        "--reason",
        "initializing",
        "worktrees/rag-agent",
        "feature/rag-completion",
    ]);
    std::fs::remove_file(repo.root.join("worktrees/rag-agent/README.md")).unwrap();
    repo.agents(&["spawn", "rag-agent"]).ok();
    assert_spawned(&repo, "rag-agent", "feature/rag-completion");
}

#[test]
fn spawn_killed_at_random_moments_completes_when_run_again() {
    let repo = Repo::new();
    for dir in 0..20 {
        for file in 0..50 {
            repo.write(
                &format!("src/d{dir}/f{file}.txt"),
                &format!("{dir} {file}\n"),
            );
        }
    }
    repo.git(&["add", "."]);
    repo.git(&["commit", "-q", "-m", "a thousand files"]);
    let mut plan = String::new();
    let count = 10;
    for i in 0..count {
        plan.push_str(&format!(
            "[[agents]]\nname = \"a{i}\"\nbranch = \"agents/a{i}\"\ntasks = [\"Work (1h)\"]\n\n"
        ));
    }
    let plan_file = repo.tmp.path().join("plan.toml");
    std::fs::write(&plan_file, plan).unwrap();
    repo.agents(&["init", "--plan", plan_file.to_str().unwrap()])
        .ok();
    repo.git(&["config", "agents.staleLockSeconds", "1"]);
    let mut random = Random::new();
    let mut killed_while_running = 0;
    for i in 0..count {
        let name = format!("a{i}");
        let mut child = start(&repo, &repo.root, &["spawn", &name], &[]);
        std::thread::sleep(Duration::from_millis(random.below(150)));
        if child.try_wait().unwrap().is_none() {
            killed_while_running += 1;
        }
        kill_group(&mut child);
        repo.agents(&["spawn", &name]).ok();
        assert_spawned(&repo, &name, &format!("agents/{name}"));
    }
    eprintln!("{killed_while_running} of {count} spawns were killed while running");
    assert!(lock_files(&repo).is_empty(), "{:?}", lock_files(&repo));
    fsck_clean(&repo);
}

#[test]
fn writers_killed_at_random_moments_lose_no_finished_update() {
    let repo = Repo::new();
    repo.init_example();
    repo.git(&["config", "agents.staleLockSeconds", "1"]);
    let mut random = Random::new();
    let mut finished: Vec<String> = Vec::new();
    let mut attempted = 0;
    for round in 0..6 {
        let mut children: Vec<(String, std::process::Child)> = (0..6)
            .map(|writer| {
                let text = format!("round {round} writer {writer}");
                let child = start(
                    &repo,
                    &repo.root,
                    &["update", "--agent", "docs-agent", "--note", &text],
                    &[],
                );
                (text, child)
            })
            .collect();
        attempted += children.len();
        std::thread::sleep(Duration::from_millis(random.below(40)));
        for (text, child) in &mut children {
            if random.below(2) == 0 {
                kill_group(child);
            }
            let status = child.wait().unwrap();
            if status.success() {
                finished.push(text.clone());
            }
        }
    }
    repo.agents(&["update", "--agent", "docs-agent", "--note", "after"])
        .ok();
    let doc = agent_doc(&repo, "docs-agent");
    let notes: Vec<String> = doc["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["text"].as_str().unwrap().to_owned())
        .collect();
    for text in &finished {
        assert_eq!(
            notes.iter().filter(|n| *n == text).count(),
            1,
            "{text} finished and must be recorded exactly once: {notes:?}"
        );
    }
    let updates = state_messages(&repo)
        .iter()
        .filter(|m| m.starts_with("update docs-agent"))
        .count();
    assert_eq!(updates, notes.len(), "one commit per recorded note");
    eprintln!(
        "{} of {attempted} killed writers finished, {} recorded",
        finished.len(),
        notes.len() - 1
    );
    assert!(lock_files(&repo).is_empty(), "{:?}", lock_files(&repo));
    fsck_clean(&repo);
}

#[test]
fn fault_points_fire_only_when_named() {
    let repo = Repo::new();
    repo.init_example();
    let mut child = start(
        &repo,
        &repo.root,
        &["update", "--agent", "docs-agent", "--note", "n"],
        &[(git_agents::fault::FAULT_ENV, "no-such-point,after-branch")],
    );
    assert!(child.wait().unwrap().success());
}

#[test]
fn a_stale_packed_refs_lock_does_not_stall_writes_to_a_packed_state_ref() {
    let repo = Repo::new();
    repo.init_example();
    repo.git(&["pack-refs", "--all"]);
    assert!(
        !repo.root.join(".git/refs/agents/state").exists(),
        "the state ref is packed"
    );
    let lock = repo.root.join(".git/packed-refs.lock");
    let old = std::fs::File::create(&lock).unwrap();
    old.set_modified(std::time::SystemTime::now() - Duration::from_secs(120))
        .unwrap();
    drop(old);
    let begun = std::time::Instant::now();
    let run = repo
        .agents(&[
            "update",
            "--agent",
            "rag-agent",
            "--note",
            "after gc was killed",
        ])
        .ok();
    assert!(
        begun.elapsed() < Duration::from_secs(20),
        "took {:?}",
        begun.elapsed()
    );
    assert!(
        run.stderr.contains("warning: removed") && run.stderr.contains("packed-refs.lock"),
        "{}",
        run.stderr
    );
    assert!(!lock.exists());
    assert_eq!(
        agent_doc(&repo, "rag-agent")["notes"][0]["text"],
        "after gc was killed"
    );
}
