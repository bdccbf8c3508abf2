//! Every command about one agent finds it the same way: named, or else the agent whose
//! worktree (or branch) the command runs in.

use crate::common::Repo;

#[test]
fn pr_approve_merge_and_finish_know_the_agent_from_its_worktree() {
    let repo = Repo::new();
    repo.init_example();
    repo.agents(&["spawn", "security-agent"]).ok();
    let dir = repo.worktree("security-agent");
    repo.commit_in(&dir, "auth.rs", "// auth\n", "security: auth");
    repo.agents_in(&dir, &["test", "--", "true"]).ok();
    repo.agents_in(&dir, &["review", "--", "echo", "Score: 10/10"])
        .ok();
    repo.agents_in(&dir, &["approve"])
        .ok()
        .prints("approved security-agent");
    repo.finish_tasks("security-agent");
    repo.agents_in(&dir, &["pr"]).ok().prints("security-agent");
    repo.agents_in(&dir, &["merge", "--dry-run"])
        .ok()
        .prints("security-agent → main");
    repo.agents_in(&dir, &["merge"]).ok();
    repo.agents(&["finish", "--merged", "security-agent"])
        .ok()
        .prints("security-agent");
    assert!(!dir.exists());
}

#[test]
fn outside_any_worktree_the_agent_must_be_named() {
    let repo = Repo::new();
    repo.init_example();
    let before = repo.refs();
    for command in [
        &["pr"][..],
        &["approve"],
        &["merge", "--dry-run"],
        &["finish"],
    ] {
        repo.agents(command)
            .fails(2)
            .says("cannot tell which agent")
            .says("name the agent");
    }
    assert_eq!(repo.refs(), before);
}

#[test]
fn finish_merged_with_an_agent_finishes_only_that_merged_agent() {
    let repo = Repo::new();
    repo.init_example();
    repo.agents(&["spawn", "devops-agent"]).ok();
    let dir = repo.worktree("devops-agent");
    repo.commit_in(&dir, "ci.yml", "jobs: {}\n", "devops: ci");
    let before = repo.refs();
    repo.agents(&["finish", "--merged", "devops-agent"])
        .fails(1);
    assert_eq!(repo.refs(), before);
    assert!(repo.worktree("devops-agent").exists());
}
