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
