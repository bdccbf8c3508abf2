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
