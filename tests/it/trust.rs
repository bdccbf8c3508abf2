//! Commands and paths that arrive by sync or in a clone run only once accepted here.

use crate::sync::Fleet;

#[test]
fn a_command_a_collaborator_pushed_does_not_run_until_accepted() {
    let fleet = Fleet::new();
    let marker = fleet.a.tmp.path().join("pwned");
    let command = format!("touch {}", marker.display());
    // The collaborator (a) gives an agent a command of their choosing.
    fleet.in_a(&["edit", "security-agent", "--command", &command]);
    fleet.in_a(&["sync"]);
    let before = fleet
        .a
        .git_in(fleet.b(), &["rev-parse", "refs/agents/state"]);
    fleet.in_b(&["sync"]);
    assert_ne!(
        fleet
            .a
            .git_in(fleet.b(), &["rev-parse", "refs/agents/state"]),
        before,
        "the victim took the new plan"
    );

    for args in [
        vec!["spawn", "security-agent"],
        vec!["run", "security-agent"],
    ] {
        fleet
            .a
            .agents_in(fleet.b(), &args)
            .fails(1)
            .says("git agents trust");
    }
    assert!(!marker.exists(), "nothing the remote chose ran");
    assert!(
        !fleet.b().join("worktrees/security-agent").exists(),
        "no worktree was made"
    );

    let shown = fleet.in_b(&["trust"]).stdout;
    assert!(shown.contains("security-agent's command"), "{shown}");
    assert!(shown.contains(&command), "{shown}");
    fleet.in_b(&["trust", "--accept"]);
    fleet.in_b(&["spawn", "security-agent"]);
    fleet
        .in_b(&["trust"])
        .says("Everything the shared plan runs or places here is accepted");
}

#[test]
fn a_fresh_clone_accepts_nothing_by_itself() {
    let fleet = Fleet::new();
    let c = fleet.a.tmp.path().join("c");
    let remote = fleet.a.tmp.path().join("remote.git");
    fleet
        .a
        .git(&["clone", "-q", remote.to_str().unwrap(), c.to_str().unwrap()]);
    fleet.a.agents_in(&c, &["sync"]).ok();
    fleet
        .a
        .agents_in(&c, &["spawn", "security-agent"])
        .fails(1)
        .says("trust --accept");
    // Changes made here are accepted as they are made.
    fleet.in_a(&["edit", "backend-agent", "--command", "echo mine"]);
    fleet.in_a(&["spawn", "backend-agent"]);
}

/// As a collaborator with push access would: rewrite `plan.json` in `dir`'s state by hand
/// (no git-agents involved) and commit it on top of the state.
fn rewrite_plan(fleet: &Fleet, dir: &std::path::Path, change: impl FnOnce(&mut serde_json::Value)) {
    let a = &fleet.a;
    let text = a.git_in(dir, &["show", "refs/agents/state:plan.json"]);
    let mut plan: serde_json::Value = serde_json::from_str(&text).unwrap();
    change(&mut plan);
    let file = a.tmp.path().join("evil-plan.json");
    std::fs::write(&file, serde_json::to_string_pretty(&plan).unwrap()).unwrap();
    let blob = a.git_in(dir, &["hash-object", "-w", file.to_str().unwrap()]);
    let index = a.tmp.path().join("evil-index");
    let with_index = |args: &[&str]| {
        let out = a
            .command("git", dir)
            .env("GIT_INDEX_FILE", &index)
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    };
    with_index(&["read-tree", "refs/agents/state"]);
    with_index(&[
        "update-index",
        "--cacheinfo",
        &format!("100644,{},plan.json", blob.trim()),
    ]);
    let tree = with_index(&["write-tree"]);
    let commit = a.git_in(
        dir,
        &[
            "commit-tree",
            &tree,
            "-p",
            "refs/agents/state",
            "-m",
            "plan tweak",
        ],
    );
    a.git_in(dir, &["update-ref", "refs/agents/state", commit.trim()]);
    let _ = std::fs::remove_file(&index);
}

#[test]
fn a_pushed_plan_with_new_test_and_setup_commands_and_an_outside_worktree_runs_nothing() {
    let fleet = Fleet::new();
    let tmp = fleet.a.tmp.path();
    let ran_setup = tmp.join("setup-ran");
    let ran_test = tmp.join("test-ran");
    let outside = tmp.join("outside");
    rewrite_plan(&fleet, &fleet.a.root, |plan| {
        plan["setup"] = format!("touch '{}'", ran_setup.display()).into();
        plan["test_command"] = format!("touch '{}'", ran_test.display()).into();
        for agent in plan["agents"].as_array_mut().unwrap() {
            if agent["name"] == "security-agent" {
                agent["worktree"] = outside.join("security").display().to_string().into();
            }
        }
    });
    fleet.in_a(&["sync"]);
    fleet.in_b(&["sync"]);

    let b = fleet.b();
    let refused = |args: &[&str]| {
        fleet
            .a
            .agents_in(b, args)
            .fails(1)
            .says("git agents trust --accept");
    };
    refused(&["spawn", "security-agent"]);
    refused(&["spawn", "docs-agent", "--force"]);
    refused(&["test", "--agent", "backend-agent"]);
    refused(&["doctor", "--fix"]);
    assert!(!ran_setup.exists(), "the remote's setup command ran");
    assert!(!ran_test.exists(), "the remote's test command ran");
    assert!(
        !outside.exists(),
        "a directory was made outside the repository"
    );

    let shown = fleet.in_b(&["trust"]).stdout;
    assert!(shown.contains("setup command"), "{shown}");
    assert!(shown.contains("test command"), "{shown}");
    assert!(shown.contains("security-agent's worktree"), "{shown}");

    fleet.in_b(&["trust", "--accept"]);
    // Accepted or not, a worktree goes only inside the worktrees directory.
    fleet
        .a
        .agents_in(b, &["spawn", "security-agent"])
        .fails(1)
        .says("outside the worktrees directory");
    assert!(
        !outside.exists(),
        "a directory was made outside the repository"
    );
    // What was accepted runs.
    fleet.a.agents_in(b, &["test", "--agent", "backend-agent"]);
    assert!(ran_test.exists(), "the accepted test command ran");
}

#[test]
fn a_state_fetched_by_hand_into_a_fresh_clone_is_not_trusted() {
    let fleet = Fleet::new();
    let marker = fleet.a.tmp.path().join("fetched-ran");
    let command = format!("touch '{}'", marker.display());
    fleet.in_a(&["edit", "security-agent", "--command", &command]);
    fleet.in_a(&["sync"]);
    let c = fleet.a.tmp.path().join("c");
    let remote = fleet.a.tmp.path().join("remote.git");
    fleet
        .a
        .git(&["clone", "-q", remote.to_str().unwrap(), c.to_str().unwrap()]);
    fleet.a.git_in(
        &c,
        &[
            "fetch",
            "-q",
            "origin",
            "refs/agents/state:refs/agents/state",
        ],
    );
    fleet
        .a
        .agents_in(&c, &["run", "--no-deliver", "security-agent"])
        .fails(1)
        .says("git agents trust --accept");
    assert!(!marker.exists());
    assert!(!c.join("worktrees/security-agent").exists());
}

#[test]
fn a_worktree_path_climbing_out_of_the_worktrees_directory_is_refused_even_locally() {
    let repo = crate::common::Repo::new();
    repo.init_example();
    let escape = repo.root.join("worktrees/../../escaped");
    repo.agents(&["add", "escaper", "--worktree", escape.to_str().unwrap()])
        .ok();
    let escaped = repo.root.parent().unwrap().join("escaped");
    repo.agents(&["spawn", "escaper"])
        .fails(1)
        .says("outside the worktrees directory");
    assert!(!escaped.exists());
    // A symlink inside the directory that leads out of it is refused too.
    std::fs::create_dir_all(repo.root.join("worktrees")).unwrap();
    let away = repo.tmp.path().join("away");
    std::fs::create_dir_all(&away).unwrap();
    std::os::unix::fs::symlink(&away, repo.root.join("worktrees/link")).unwrap();
    repo.agents(&["add", "linker", "--worktree", "worktrees/link/linker"])
        .ok();
    repo.agents(&["spawn", "linker"])
        .fails(1)
        .says("outside the worktrees directory");
    assert!(!away.join("linker").exists());
}

#[test]
fn accepting_what_was_shown_refuses_a_plan_that_changed_in_between() {
    let fleet = Fleet::new();
    fleet.in_a(&["edit", "security-agent", "--command", "echo first"]);
    fleet.in_a(&["sync"]);
    fleet.in_b(&["sync"]);
    let shown = fleet.in_b(&["trust", "--json"]).json();
    let digest = shown["digest"].as_str().unwrap().to_owned();
    assert!(
        fleet
            .in_b(&["trust"])
            .stdout
            .contains(&format!("git agents trust --accept {digest}"))
    );
    // The collaborator changes the command again after the victim looked.
    fleet.in_a(&["edit", "security-agent", "--command", "echo second"]);
    fleet.in_a(&["sync"]);
    fleet.in_b(&["sync"]);
    fleet
        .a
        .agents_in(fleet.b(), &["trust", "--accept", &digest])
        .fails(1)
        .says(&format!("changed since {digest} was shown"));
    fleet
        .a
        .agents_in(fleet.b(), &["spawn", "security-agent"])
        .fails(1)
        .says("git agents trust");
    // Looked at again, it is accepted.
    let now = fleet.in_b(&["trust", "--json"]).json()["digest"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(now, digest);
    fleet.in_b(&["trust", "--accept", &now]);
    fleet.in_b(&["spawn", "security-agent"]);
}
