//! The whole example plan brought home on the local forge, the way a person drives it:
//! spawn the independent agents, commit, test, review, approve, open PRs, run the queue;
//! then the unblocked dependents, the same again; then finish everything.

use crate::common;

use common::Repo;

const PHASE_ONE: [&str; 5] = [
    "security-agent",
    "backend-agent",
    "frontend-agent",
    "rag-agent",
    "devops-agent",
];
const PHASE_TWO: [&str; 3] = ["testing-agent", "docs-agent", "github-agent"];

/// Do an agent's work: commit a file of its own, tick its tasks off, and take it
/// through test, review, approval and PR.
fn work(repo: &Repo, name: &str) {
    let dir = repo.worktree(name);
    repo.commit_in(
        &dir,
        &format!("work/{name}.txt"),
        &format!("{name} was here\n"),
        &format!("{name}: do the work"),
    );
    let tasks = repo.agents(&["plan", "show", "--json"]).ok().json()["agents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == name)
        .unwrap()["tasks"]
        .as_array()
        .unwrap()
        .len();
    for number in 1..=tasks {
        repo.agents_in(&dir, &["task", "done", &number.to_string()])
            .ok();
    }
    repo.agents_in(
        &dir,
        &[
            "test",
            "--",
            "sh",
            "-c",
            "test -f \"work/$GIT_AGENTS_AGENT.txt\"",
        ],
    )
    .ok();
    repo.agents_in(
        &dir,
        &[
            "review",
            "--",
            "sh",
            "-c",
            "echo 'Looks good.'; echo 'Score: 10/10'",
        ],
    )
    .ok();
    repo.agents(&["approve", name, "--by", "reviewer"]).ok();
    repo.agents(&["pr", name]).ok();
}

#[test]
fn the_example_plan_goes_from_import_to_every_agent_merged_and_cleaned_up() {
    let repo = Repo::new();
    repo.init_example();

    let spawned = repo.agents(&["spawn", "--ready", "--json"]).ok().json();
    let names: Vec<&str> = spawned["spawned"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, PHASE_ONE);
    for name in PHASE_ONE {
        work(&repo, name);
    }
    let queue = repo.agents(&["queue", "--json"]).ok().json();
    let ready: Vec<&str> = queue["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["criteria"]["ready"] == true)
        .map(|e| e["agent"].as_str().unwrap())
        .collect();
    assert_eq!(ready, PHASE_ONE);

    let run = repo.agents(&["queue", "run"]).ok();
    for name in PHASE_ONE {
        run.prints(&format!("Merged {name} into main"));
    }
    run.prints("Unblocked: github-agent");
    run.prints("Unblocked: testing-agent");
    run.prints("Unblocked: docs-agent");
    let status = repo.status_json();
    for agent in status["agents"].as_array().unwrap() {
        assert_eq!(agent["blocked_by"], serde_json::json!([]), "{agent}");
    }

    let spawned = repo.agents(&["spawn", "--ready", "--json"]).ok().json();
    let names: Vec<&str> = spawned["spawned"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, PHASE_TWO);
    // Dependents start from a base that holds their dependencies' work.
    assert!(
        repo.worktree("testing-agent")
            .join("work/backend-agent.txt")
            .exists()
    );
    for name in PHASE_TWO {
        work(&repo, name);
    }
    repo.agents(&["queue", "run"]).ok();
    repo.agents(&["queue"])
        .ok()
        .says("The merge queue into main is empty (8 merged)");

    repo.agents(&["finish", "--merged"]).ok();
    for (name, status) in repo.statuses() {
        assert_eq!(status, "completed", "{name}");
    }

    // Base holds every agent's work, in one squash commit per agent.
    for name in PHASE_ONE.iter().chain(PHASE_TWO.iter()) {
        assert_eq!(
            repo.git(&["show", &format!("main:work/{name}.txt")]),
            format!("{name} was here\n")
        );
        assert_eq!(
            std::fs::read_to_string(repo.root.join(format!("work/{name}.txt"))).unwrap(),
            format!("{name} was here\n"),
            "the checked-out base came along"
        );
    }
    let history = repo.git(&["log", "--format=%s", "main"]);
    assert_eq!(history.lines().count(), 9, "{history}");
    assert_eq!(repo.git(&["status", "--porcelain"]), "");
    // Every worktree and branch is gone.
    assert_eq!(
        repo.worktrees().matches("worktree ").count(),
        1,
        "{}",
        repo.worktrees()
    );
    assert!(
        !repo
            .root
            .join("worktrees")
            .read_dir()
            .unwrap()
            .any(|_| true)
    );
    assert_eq!(
        repo.git(&["branch", "--format=%(refname:short)"]).trim(),
        "main"
    );

    // The log tells the story in order.
    let log = repo.agents(&["log", "--reverse", "--json"]).ok().json();
    let story: Vec<String> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["summary"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(story[0], "init: import plan with 8 agents");
    let at = |line: &str| -> usize {
        story
            .iter()
            .position(|s| s == line)
            .unwrap_or_else(|| panic!("{line:?} not in the log:\n{}", story.join("\n")))
    };
    let merges: Vec<usize> = PHASE_ONE
        .iter()
        .chain(PHASE_TWO.iter())
        .map(|n| at(&format!("merge {n}")))
        .collect();
    assert!(
        merges.windows(2).all(|w| w[0] < w[1]),
        "merged in queue order:\n{}",
        story.join("\n")
    );
    for name in PHASE_ONE.iter().chain(PHASE_TWO.iter()) {
        let spawn = at(&format!("spawn {name}"));
        let review = at(&format!("review {name}: 10/10 after 1 iteration"));
        let pr = story
            .iter()
            .position(|s| s.starts_with(&format!("pr {name} #")))
            .unwrap();
        let merge = at(&format!("merge {name}"));
        let finish = at(&format!("finish {name}"));
        assert!(
            spawn < review && review < pr && pr < merge && merge < finish,
            "{name}"
        );
    }
    let last_phase_one_merge = PHASE_ONE.iter().map(|n| at(&format!("merge {n}"))).max();
    let first_phase_two_spawn = PHASE_TWO.iter().map(|n| at(&format!("spawn {n}"))).min();
    assert!(last_phase_one_merge < first_phase_two_spawn);
    // The results stay readable with git itself.
    let merged_head = repo.git(&["show", "refs/agents/state:agents/docs-agent.json"]);
    let head: serde_json::Value = serde_json::from_str(&merged_head).unwrap();
    let notes = repo.git(&[
        "notes",
        "--ref",
        "agents",
        "show",
        head["head"].as_str().unwrap(),
    ]);
    assert!(
        notes.contains("\"kind\":\"test\"") && notes.contains("\"kind\":\"review\""),
        "{notes}"
    );
}
