//! Hooks around an agent's life: a teardown before `finish` removes its worktree, a
//! pre-merge command that gates the merge, a post-merge command after base moved — each
//! with `run`'s placeholders and environment, its output in a log, and the plan's hooks
//! held to the same trust as its other commands.

use crate::common;

use std::path::{Path, PathBuf};

use common::Repo;

/// A file outside the repository a hook writes to.
fn out(repo: &Repo, name: &str) -> PathBuf {
    repo.tmp.path().join(name)
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

fn tip(repo: &Repo, rev: &str) -> String {
    repo.git(&["rev-parse", rev]).trim().to_owned()
}

fn branch_exists(repo: &Repo, branch: &str) -> bool {
    !repo.git(&["branch", "--list", branch]).trim().is_empty()
}

#[test]
fn teardown_runs_in_the_worktree_just_before_finish_removes_it() {
    let repo = Repo::new();
    repo.init_example();
    let record = out(&repo, "teardown.txt");
    repo.git(&[
        "config",
        "agents.teardown",
        &format!(
            "echo \"{{agent}} $GIT_AGENTS_HOOK $GIT_AGENTS_BRANCH $(pwd) $(cat auth.txt)\" >> '{}'; echo stopped services",
            record.display()
        ),
    ]);
    repo.ready("security-agent", "auth.txt", "auth\n");
    repo.agents(&["merge", "security-agent"]).ok();
    let worktree = repo.worktree("security-agent");
    let finished = repo.agents(&["finish", "security-agent"]).ok();
    finished.prints("ran its teardown");
    assert_eq!(
        read(&record),
        format!(
            "security-agent teardown feature/security-hardening {} auth\n",
            worktree.display()
        ),
        "it ran once, in the worktree while the agent's files were still there"
    );
    assert!(!worktree.exists());
    let log = read(
        &repo
            .root
            .join(".git/agents/logs/security-agent-teardown.log"),
    );
    assert!(log.contains("stopped services"), "{log}");
}

#[test]
fn a_failing_teardown_leaves_the_worktree_and_branch_until_forced() {
    let repo = Repo::new();
    repo.init_example();
    repo.git(&[
        "config",
        "agents.teardown",
        "echo 'database still in use'; exit 3",
    ]);
    repo.ready("security-agent", "auth.txt", "auth\n");
    repo.agents(&["merge", "security-agent"]).ok();
    let worktrees = repo.worktrees();
    repo.agents(&["finish", "security-agent"])
        .fails(1)
        .says("security-agent's worktree was left in place: the teardown command exited 3 (database still in use)")
        .says("security-agent-teardown.log")
        .says("--force");
    assert_eq!(repo.worktrees(), worktrees, "nothing was removed");
    assert!(branch_exists(&repo, "feature/security-hardening"));
    assert_eq!(
        common::agent(&repo.status_json(), "security-agent")["status"],
        "merged"
    );

    let forced = repo.agents(&["finish", "security-agent", "--force"]).ok();
    forced.prints("removed all the same (--force)");
    assert!(!repo.worktree("security-agent").exists());
    assert!(!branch_exists(&repo, "feature/security-hardening"));
}

#[test]
fn a_failing_pre_merge_command_stops_the_merge_and_says_why_in_status() {
    let repo = Repo::new();
    repo.init_example();
    let record = out(&repo, "pre-merge.txt");
    repo.git(&[
        "config",
        "agents.preMerge",
        &format!(
            "git rev-parse HEAD >> '{}'; test -f LICENSE || {{ echo 'LICENSE is missing'; exit 1; }}",
            record.display()
        ),
    ]);
    let head = repo.ready("security-agent", "auth.txt", "auth\n");
    let base = tip(&repo, "main");
    repo.agents(&["merge", "security-agent"])
        .fails(1)
        .says("security-agent not merged: the pre-merge command exited 1 (LICENSE is missing)");
    assert_eq!(tip(&repo, "main"), base, "base did not move");
    assert_eq!(
        read(&record),
        format!("{head}\n"),
        "it ran at the head being merged"
    );
    let status = repo.status_json();
    let doc = common::agent(&status, "security-agent");
    assert_ne!(doc["status"], "merged");
    assert!(
        doc["failure"].as_str().unwrap().contains("pre-merge"),
        "{doc}"
    );
    repo.agents(&["status", "security-agent"])
        .ok()
        .prints("pre-merge command exited 1");

    // Fixed on the branch (with the gates passed again on the new head), it merges.
    let dir = repo.worktree("security-agent");
    let fixed = repo.commit_in(&dir, "LICENSE", "MIT\n", "add a licence");
    repo.propose("security-agent");
    let merged = repo
        .agents(&["merge", "security-agent", "--json"])
        .ok()
        .json();
    assert_eq!(merged["pre_merge"]["passed"], true);
    assert!(merged["merged"]["commit"].is_string());
    assert_eq!(read(&record), format!("{head}\n{fixed}\n"));
    assert!(
        common::agent(&repo.status_json(), "security-agent")["failure"].is_null(),
        "the merge cleared the failure"
    );
}

#[test]
fn the_pre_merge_command_needs_the_worktree_at_the_commit_being_merged() {
    let repo = Repo::new();
    repo.init_example();
    repo.git(&["config", "agents.preMerge", "true"]);
    repo.ready("security-agent", "auth.txt", "auth\n");
    let dir = repo.worktree("security-agent");
    repo.git_in(&dir, &["checkout", "-q", "--detach", "HEAD~1"]);
    let base = tip(&repo, "main");
    repo.agents(&["merge", "security-agent"])
        .fails(1)
        .says("runs in its worktree at the commit being merged");
    assert_eq!(tip(&repo, "main"), base);
}

#[test]
fn post_merge_runs_in_the_main_worktree_after_base_moved_and_a_failure_undoes_nothing() {
    let repo = Repo::new();
    repo.init_example();
    let record = out(&repo, "post-merge.txt");
    repo.git(&[
        "config",
        "agents.postMerge",
        &format!(
            "echo \"$(pwd) $(git rev-parse main) $GIT_AGENTS_MERGED_COMMIT {{agent}}\" >> '{}'; echo deploy failed; exit 2",
            record.display()
        ),
    ]);
    repo.ready("security-agent", "auth.txt", "auth\n");
    let merged = repo.agents(&["merge", "security-agent"]).ok();
    merged.prints("merged, but the post-merge command exited 2 (deploy failed)");
    merged.prints("Merged security-agent");
    let main = tip(&repo, "main");
    assert_eq!(
        read(&record),
        format!(
            "{} {main} {main} security-agent\n",
            repo.root.canonicalize().unwrap().display()
        )
    );
    assert_eq!(
        common::agent(&repo.status_json(), "security-agent")["status"],
        "merged"
    );
}

#[test]
fn the_queue_sets_aside_an_entry_whose_pre_merge_fails_and_merges_the_rest() {
    let repo = Repo::new();
    repo.init_example();
    repo.git(&[
        "config",
        "agents.preMerge",
        "if test -f broken.txt; then echo 'broken.txt found'; exit 1; fi",
    ]);
    repo.ready("security-agent", "broken.txt", "x\n");
    repo.ready("backend-agent", "api.txt", "api\n");
    let run = repo
        .agents(&["queue", "run", "--batch", "4", "--json"])
        .fails(1)
        .json();
    let batch = &run["batches"][0];
    assert_eq!(batch["merged"], serde_json::json!(["backend-agent"]));
    assert_eq!(batch["rejected"][0]["agent"], "security-agent");
    assert_eq!(batch["rejected"][0]["why"]["kind"], "pre_merge_failed");
    assert!(repo.root.join("api.txt").exists());
    assert!(!repo.root.join("broken.txt").exists());
}

#[test]
fn hooks_from_the_shared_plan_are_read_in_every_format_and_run_only_once_accepted() {
    let repo = Repo::new();
    let record = out(&repo, "plan-hook.txt");
    repo.write(
        "plan.md",
        &format!(
            "# Hooked plan\n\n\
             **Teardown:** `echo down {{agent}}`\n\
             **Pre-merge:** `echo checked {{agent}} >> '{}'`\n\
             **Post-merge:** `echo landed {{agent}}`\n\n\
             ## Agent 1: Web\n**Name:** `web`\n**Branch:** `agents/web`\n**Tasks:**\n- [ ] Page (2h)\n",
            record.display()
        ),
    );
    repo.agents(&["init", "--plan", "plan.md"]).ok();
    let plan = repo.agents(&["plan", "show", "--json"]).ok().json();
    assert_eq!(plan["teardown"], "echo down {agent}");
    assert_eq!(plan["post_merge"], "echo landed {agent}");
    let toml = repo
        .agents(&["plan", "export", "--format", "toml"])
        .ok()
        .stdout;
    assert!(toml.contains("teardown = \"echo down {agent}\""), "{toml}");
    assert!(toml.contains("pre_merge = "), "{toml}");

    repo.ready("web", "page.txt", "page\n");
    // As if the plan had come from elsewhere: this machine never accepted it.
    std::fs::remove_file(repo.root.join(".git/agents/trusted.json")).unwrap();
    let base = tip(&repo, "main");
    repo.agents(&["merge", "web"])
        .fails(1)
        .says("has not accepted them yet");
    assert_eq!(tip(&repo, "main"), base);
    assert_eq!(read(&record), "", "the plan's pre-merge did not run");
    let trust = repo.agents(&["trust"]).ok();
    trust.prints("pre-merge command");
    trust.prints("post-merge command");
    repo.agents(&["trust", "--accept"]).ok();
    repo.agents(&["merge", "web"]).ok();
    assert_eq!(read(&record), "checked web\n");
}
