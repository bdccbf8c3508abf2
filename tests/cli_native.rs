//! Feeling like part of git: settings from git config, man pages that render cleanly,
//! completions that work through git's own completion in bash, zsh and fish, the
//! generated files kept up to date, `install-man`, and the global flags on every command.

mod common;

use std::path::PathBuf;

use common::Repo;

fn plan_json(repo: &Repo) -> serde_json::Value {
    repo.agents(&["plan", "show", "--json"]).ok().json()
}

fn worktree_of(plan: &serde_json::Value, name: &str) -> String {
    plan["agents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == name)
        .unwrap_or_else(|| panic!("no {name} in {plan}"))["worktree"]
        .as_str()
        .unwrap()
        .to_owned()
}

const TOML_PLAN: &str = r#"
base = "main"
worktrees_dir = "from-plan"

[[agents]]
name = "api"
tasks = ["Design endpoints (4h)"]

[[agents]]
name = "web"
worktree = "elsewhere/web"
tasks = ["Build pages (2h)"]
"#;

#[test]
fn git_config_beats_the_plan_and_a_flag_beats_git_config() {
    let repo = Repo::new();
    repo.git(&["branch", "dev"]);
    repo.git(&["branch", "release"]);
    repo.write("plan.toml", TOML_PLAN);
    repo.git(&["config", "agents.base", "dev"]);
    repo.git(&["config", "agents.worktreesDir", "from-config"]);

    let init = repo.agents(&["init", "--plan", "plan.toml", "--json"]).ok();
    assert_eq!(init.json()["base"], "dev");
    assert_eq!(init.json()["worktrees_dir"], "from-config");
    let plan = plan_json(&repo);
    assert_eq!(worktree_of(&plan, "api"), "from-config/api");
    assert_eq!(worktree_of(&plan, "web"), "elsewhere/web");

    let init = repo
        .agents(&[
            "init",
            "--plan",
            "plan.toml",
            "--force",
            "--base",
            "release",
            "--worktrees-dir",
            "from-flag",
            "--json",
        ])
        .ok();
    assert_eq!(init.json()["base"], "release");
    assert_eq!(worktree_of(&plan_json(&repo), "api"), "from-flag/api");

    repo.git(&["config", "--unset", "agents.base"]);
    repo.git(&["config", "--unset", "agents.worktreesDir"]);
    let init = repo
        .agents(&["init", "--plan", "plan.toml", "--force", "--json"])
        .ok();
    assert_eq!(init.json()["base"], "main");
    assert_eq!(init.json()["worktrees_dir"], "from-plan");
    assert_eq!(worktree_of(&plan_json(&repo), "api"), "from-plan/api");
}

#[test]
fn defaults_apply_when_nothing_is_configured() {
    let repo = Repo::new();
    repo.git(&["checkout", "-q", "-b", "trunk"]);
    let init = repo.agents(&["init", "--json"]).ok();
    assert_eq!(init.json()["base"], "trunk");
    assert_eq!(init.json()["worktrees_dir"], "worktrees");
}

#[test]
fn git_dash_c_and_config_env_settings_are_honoured() {
    let repo = Repo::new();
    repo.git(&["branch", "dev"]);
    let run = repo
        .command("git", &repo.root)
        .args(["-c", "agents.base=dev", "agents", "init", "--json"])
        .output()
        .unwrap();
    assert!(run.status.success(), "{run:?}");
    let json: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(json["base"], "dev");

    let run = repo
        .command("git", &repo.root)
        .args(["agents", "init", "--force", "--json"])
        .env("GIT_CONFIG_COUNT", "1")
        .env("GIT_CONFIG_KEY_0", "agents.worktreesDir")
        .env("GIT_CONFIG_VALUE_0", "../trees")
        .output()
        .unwrap();
    assert!(run.status.success(), "{run:?}");
    let json: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(json["worktrees_dir"], "../trees");
}

#[test]
fn a_configured_base_that_does_not_exist_names_the_setting() {
    let repo = Repo::new();
    repo.git(&["config", "agents.base", "nope"]);
    let before = repo.refs();
    repo.agents(&["init"])
        .fails(2)
        .says("\"nope\" does not exist")
        .says("git config agents.base");
    assert_eq!(repo.refs(), before);
}

#[test]
fn add_puts_new_agents_in_the_configured_worktrees_dir() {
    let repo = Repo::new();
    repo.agents(&["init"]).ok();
    repo.agents(&["add", "first"]).ok();
    repo.git(&["config", "agents.worktreesDir", "trees"]);
    repo.agents(&["add", "second"]).ok();
    repo.agents(&["add", "third", "--worktree", "custom/third"])
        .ok();
    let plan = plan_json(&repo);
    assert_eq!(worktree_of(&plan, "first"), "worktrees/first");
    assert_eq!(worktree_of(&plan, "second"), "trees/second");
    assert_eq!(worktree_of(&plan, "third"), "custom/third");
}

#[test]
fn worktrees_a_plan_spells_out_stay_where_it_puts_them() {
    let repo = Repo::new();
    repo.git(&["config", "agents.worktreesDir", "trees"]);
    repo.init_example();
    let plan = plan_json(&repo);
    assert_eq!(plan["worktrees_dir"], "trees");
    assert_eq!(
        worktree_of(&plan, "backend-agent"),
        "worktrees/backend-agent"
    );
    let spawn = repo
        .agents(&["spawn", "backend-agent", "--json"])
        .ok()
        .json();
    let worktree = PathBuf::from(spawn["spawned"][0]["worktree"].as_str().unwrap());
    assert!(
        worktree.ends_with("worktrees/backend-agent"),
        "{worktree:?}"
    );
    assert!(worktree.is_dir());
}
