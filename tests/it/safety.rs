//! Destructive steps prove they destroy nothing unmerged, and never touch a branch the
//! user works on.

use crate::common::Repo;

fn reachable(repo: &Repo, commit: &str) -> bool {
    !repo
        .git(&["branch", "--all", "--contains", commit])
        .trim()
        .is_empty()
}

#[test]
fn a_commit_made_after_the_merge_keeps_the_branch_until_forced() {
    let repo = Repo::new();
    repo.init_example();
    repo.ready("security-agent", "sec.py", "s\n");
    repo.agents(&["merge", "security-agent"]).ok();
    let dir = repo.worktree("security-agent");
    let late = repo.commit_in(&dir, "late.py", "late\n", "A late fix");

    let before = repo.refs();
    let run = repo.agents(&["finish", "security-agent"]).fails(1);
    assert!(run.stderr.contains(&late[..12]), "{}", run.stderr);
    assert!(run.stderr.contains("A late fix"), "{}", run.stderr);
    assert_eq!(repo.refs(), before, "nothing is deleted");
    assert!(dir.exists(), "the worktree stays");
    assert!(reachable(&repo, &late));

    repo.agents(&["finish", "security-agent", "--merged"])
        .fails(1)
        .says("A late fix");
    assert!(reachable(&repo, &late));

    let run = repo.agents(&["finish", "security-agent", "--force"]).ok();
    run.prints(&format!("git branch feature/security-hardening {late}"));
    assert!(!reachable(&repo, &late));
    repo.git(&["branch", "feature/security-hardening", &late]);
    assert!(reachable(&repo, &late), "the printed id restores the work");
}

#[test]
fn finish_merged_deletes_only_branches_whose_work_is_in_base() {
    let repo = Repo::new();
    repo.init_example();
    repo.ready("security-agent", "sec.py", "s\n");
    repo.ready("devops-agent", "ops.sh", "o\n");
    repo.agents(&["merge", "security-agent"]).ok();
    repo.agents(&["merge", "devops-agent"]).ok();
    let late = repo.commit_in(&repo.worktree("devops-agent"), "late.sh", "l\n", "Late");
    let run = repo.agents(&["finish", "--merged"]).fails(1);
    run.prints("Finished security-agent");
    assert!(reachable(&repo, &late));
    assert!(
        repo.refs()
            .contains("refs/heads/feature/devops-infrastructure")
    );
    assert!(
        !repo
            .refs()
            .contains("refs/heads/feature/security-hardening")
    );
}

#[test]
fn an_agent_branch_that_is_base_or_checked_out_is_never_deleted() {
    let repo = Repo::new();
    repo.write(
        "plan.md",
        "# Plan\n\n### Agent 1: Dev\n**Branch:** `main`\n- [ ] Work (1h)\n",
    );
    let before = repo.refs();
    repo.agents(&["init", "--plan", "plan.md"])
        .fails(2)
        .says("the base branch");
    assert_eq!(repo.refs(), before, "the plan is not imported");

    repo.init_example();
    repo.agents(&["add", "helper", "--branch", "main"])
        .fails(2)
        .says("the base branch");
    repo.agents(&[
        "edit",
        "security-agent",
        "--branch",
        "feature/backend-architecture",
    ])
    .fails(2)
    .says("both use branch feature/backend-architecture");
    repo.agents(&["edit", "security-agent", "--branch", "main"])
        .fails(2)
        .says("the base branch");

    // The user checks out a planned agent's branch in the main worktree.
    repo.git(&["branch", "feature/security-hardening"]);
    repo.git(&["checkout", "-q", "feature/security-hardening"]);
    let work = repo.commit_in(&repo.root, "mine.txt", "mine\n", "My own work");
    let before = repo.refs();
    repo.agents(&["finish", "security-agent", "--abandon", "--force"])
        .fails(1)
        .says("checked out in the main worktree");
    assert_eq!(repo.refs(), before);
    assert!(reachable(&repo, &work));
}

#[test]
fn init_force_says_what_it_discards_and_keeps_the_old_state_reachable() {
    let repo = Repo::new();
    repo.init_example();
    repo.agents(&["spawn", "security-agent"]).ok();
    repo.agents(&["task", "done", "1", "--agent", "security-agent"])
        .ok();
    repo.agents(&["update", "--agent", "security-agent", "--note", "halfway"])
        .ok();
    let old = repo
        .git(&["rev-parse", "refs/agents/state"])
        .trim()
        .to_owned();

    let plan = crate::common::example_plan();
    let run = repo
        .agents(&["init", "--force", "--plan", plan.to_str().unwrap()])
        .ok();
    run.prints("security-agent (in_progress, 1 task done, 1 note)");
    run.prints(&format!("git update-ref refs/agents/state {old}"));
    let json = repo
        .agents(&[
            "init",
            "--force",
            "--json",
            "--plan",
            plan.to_str().unwrap(),
        ])
        .ok()
        .json();
    assert_eq!(json["replaced"], true);
    assert!(json["previous_state"].is_string());

    repo.git(&["update-ref", "refs/agents/state", &old]);
    let status = repo.status_json();
    let security = crate::common::agent(&status, "security-agent");
    assert_eq!(security["status"], "in_progress");
    assert_eq!(security["tasks_done"], 1);
}

#[test]
fn a_users_own_worktree_with_an_unreadable_record_is_never_deleted() {
    let repo = Repo::new();
    repo.init_example();
    repo.git(&["config", "agents.staleLockSeconds", "1"]);
    let mine = repo.root.parent().unwrap().join("mine");
    repo.git(&[
        "worktree",
        "add",
        "-q",
        "-b",
        "mine",
        mine.to_str().unwrap(),
    ]);
    std::fs::write(mine.join("README.md"), "my edits\n").unwrap();
    std::fs::write(mine.join("notes.txt"), "my notes\n").unwrap();
    // A crash leaves its record's commondir empty: git can no longer list worktrees.
    std::fs::write(repo.root.join(".git/worktrees/mine/commondir"), "").unwrap();

    let before = repo.refs();
    repo.agents(&["doctor"]).ok();
    assert_eq!(repo.refs(), before, "a plain doctor changes nothing");
    assert!(
        repo.root.join(".git/worktrees/mine").exists(),
        "the record stays"
    );
    assert_eq!(
        std::fs::read_to_string(mine.join("notes.txt")).unwrap(),
        "my notes\n"
    );

    // A command that must clean up first refuses rather than delete the user's work.
    let run = repo.agents(&["spawn", "security-agent"]);
    assert_ne!(
        run.code, 0,
        "spawn cannot go on while git cannot list worktrees"
    );
    assert!(run.stderr.contains("nothing was removed"), "{}", run.stderr);
    assert_eq!(
        std::fs::read_to_string(mine.join("README.md")).unwrap(),
        "my edits\n"
    );
    assert!(mine.join("notes.txt").exists());
}

#[test]
fn a_rebase_merge_never_drops_a_change_made_in_a_merge_commit() {
    let repo = Repo::new();
    repo.init_example();
    repo.git(&["config", "agents.mergeMethod", "rebase"]);
    repo.agents(&["spawn", "security-agent"]).ok();
    let dir = repo.worktree("security-agent");
    repo.commit_in(&dir, "sec.py", "s\n", "Security work");
    // main moves on; the agent merges it in and adds a file inside that merge commit.
    repo.write("upstream.txt", "u\n");
    repo.git(&["add", "upstream.txt"]);
    repo.git(&["commit", "-q", "-m", "Upstream change"]);
    repo.git_in(&dir, &["merge", "-q", "--no-commit", "main"]);
    std::fs::write(dir.join("in-merge.txt"), "made in the merge\n").unwrap();
    repo.git_in(&dir, &["add", "in-merge.txt"]);
    repo.git_in(&dir, &["commit", "-q", "-m", "Merge main, with a fix"]);
    repo.propose("security-agent");

    let run = repo.agents(&["merge", "security-agent"]).ok();
    assert!(
        format!("{}{}", run.stdout, run.stderr).contains("squashed it instead"),
        "{}{}",
        run.stdout,
        run.stderr
    );
    for file in ["sec.py", "upstream.txt", "in-merge.txt"] {
        assert!(
            !repo.git(&["ls-tree", "main", file]).trim().is_empty(),
            "{file} is on main"
        );
    }
}
