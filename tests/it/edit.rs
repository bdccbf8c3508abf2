//! `git agents edit` and `git agents plan edit`: changing agents already in the plan.

use crate::common::Repo;

fn depends_on(repo: &Repo, name: &str) -> Vec<String> {
    let plan = repo.agents(&["plan", "show", "--json"]).ok().json();
    plan["agents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == name)
        .unwrap()["depends_on"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap().to_owned())
        .collect()
}

fn blocked_by(repo: &Repo, name: &str) -> serde_json::Value {
    let status = repo.status_json();
    status["agents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == name)
        .unwrap()["blocked_by"]
        .clone()
}

#[test]
fn an_abandoned_dependency_can_be_dropped_so_dependents_start() {
    let repo = Repo::new();
    repo.init_example();
    repo.agents(&["spawn", "frontend-agent"]).ok();
    assert_eq!(
        blocked_by(&repo, "testing-agent"),
        serde_json::json!(["backend-agent", "frontend-agent"])
    );
    let run = repo
        .agents(&["edit", "testing-agent", "--depends-on", "frontend-agent"])
        .ok();
    run.prints(
        "Changed testing-agent depends on: frontend-agent (was backend-agent, frontend-agent)",
    );
    assert_eq!(depends_on(&repo, "testing-agent"), ["frontend-agent"]);
    assert_eq!(
        blocked_by(&repo, "testing-agent"),
        serde_json::json!(["frontend-agent"])
    );
    let log = repo.agents(&["log", "testing-agent", "-n", "1"]).ok();
    log.prints("edit testing-agent: testing-agent depends on frontend-agent");
    let run = repo
        .agents(&["edit", "testing-agent", "--no-dependencies"])
        .ok();
    run.prints("No longer blocked: testing-agent");
    assert!(depends_on(&repo, "testing-agent").is_empty());
    repo.agents(&["spawn", "testing-agent"]).ok();
}

#[test]
fn a_spawned_agents_branch_stays_and_bad_edits_change_nothing() {
    let repo = Repo::new();
    repo.init_example();
    repo.agents(&["spawn", "backend-agent"]).ok();
    let before = repo.refs();
    repo.agents(&["edit", "backend-agent", "--branch", "other"])
        .fails(1)
        .says("its branch can change only while it is planned");
    repo.agents(&["edit", "backend-agent", "--depends-on", "testing-agent"])
        .fails(2)
        .says("backend-agent → testing-agent → backend-agent");
    repo.agents(&["edit", "backend-agent", "--depends-on", "nobody"])
        .fails(2);
    repo.agents(&["edit", "bakend-agent", "--title", "x"])
        .fails(2)
        .says("did you mean backend-agent?");
    repo.agents(&["edit", "backend-agent"])
        .fails(2)
        .says("nothing to change");
    assert_eq!(repo.refs(), before);
    repo.agents(&["edit", "rag-agent", "--branch", "feature/rag-v2"])
        .ok();
    let plan = repo.agents(&["plan", "show", "--json"]).ok().json();
    assert!(plan.to_string().contains("feature/rag-v2"));
}

#[test]
fn inside_a_worktree_the_agent_is_inferred() {
    let repo = Repo::new();
    repo.init_example();
    repo.agents(&["spawn", "devops-agent"]).ok();
    repo.agents_in(
        &repo.worktree("devops-agent"),
        &["edit", "--title", "Pipelines"],
    )
    .ok()
    .prints("Changed devops-agent title: Pipelines");
}

fn editor_env(script: &str) -> Vec<(String, String)> {
    vec![("GIT_EDITOR".to_owned(), script.to_owned())]
}

#[test]
fn plan_edit_applies_what_the_editor_saved() {
    let repo = Repo::new();
    repo.init_example();
    let sed = "sed -i -e 's/^title = \"Documentation Updates\"$/title = \"Docs and guides\"/'";
    let run = repo.agents_with(&repo.root, &["plan", "edit"], &editor_env(sed));
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    run.prints("Changed docs-agent title: Docs and guides (was Documentation Updates)");
    assert!(!repo.root.join(".git/agents/PLAN_EDIT.toml").exists());
    let unchanged = repo.agents_with(&repo.root, &["plan", "edit"], &editor_env("true"));
    unchanged.prints("Nothing changed.");
}

#[test]
fn a_broken_plan_edit_changes_nothing_and_is_kept_for_the_next_one() {
    let repo = Repo::new();
    repo.init_example();
    let before = repo.refs();
    let breaks = "sed -i -e '/^name = \"security-agent\"$/a depends_on = [\"ghost\"]'";
    repo.agents_with(&repo.root, &["plan", "edit"], &editor_env(breaks))
        .fails(2)
        .says("your edit is kept in");
    assert_eq!(repo.refs(), before);
    let kept = repo.root.join(".git/agents/PLAN_EDIT.toml");
    assert!(
        std::fs::read_to_string(&kept)
            .unwrap()
            .contains("\"ghost\"")
    );
    let mends = "sed -i -e '/ghost/d'";
    repo.agents_with(&repo.root, &["plan", "edit"], &editor_env(mends))
        .ok()
        .says("going on with the edit kept in");
    assert!(!kept.exists());
    repo.agents_with(&repo.root, &["plan", "edit"], &editor_env("false"))
        .fails(2)
        .says("exited with status 1");
    assert_eq!(repo.refs().lines().count(), before.lines().count());
}
