//! Read-only views of the plan: an agent's brief and the plan's timeline.

use crate::common;

use common::Repo;

#[test]
fn brief_tells_an_agent_its_work_from_its_worktree() {
    let repo = Repo::new();
    repo.init_example();
    repo.agents(&["spawn", "backend-agent"]).ok();
    let worktree = repo.root.join("worktrees/backend-agent");
    repo.agents_in(&worktree, &["task", "done", "1"]).ok();
    repo.agents_in(&worktree, &["update", "--note", "service layer in place"])
        .ok();
    let brief = repo.agents_in(&worktree, &["brief"]).ok().stdout;
    assert!(
        brief.starts_with("# backend-agent: Backend Architecture\n"),
        "{brief}"
    );
    assert!(brief.contains("**Branch:** `feature/backend-architecture` (from and into `main`)"));
    assert!(brief.contains(&format!("**Worktree:** `{}`", worktree.display())));
    assert!(
        brief.contains("- [x] 1. Create service layer (16 h)\n"),
        "{brief}"
    );
    assert!(brief.contains("- [ ] 2. Implement repository pattern (8 h) **← current**"));
    assert!(brief.contains("None: this work can start at once."));
    assert!(brief.contains("- tests pass"));
    assert!(brief.contains("- review score at least 10/10 (at most 5 review iterations)"));
    assert!(brief.contains("- 1 approval\n"));
    assert!(brief.contains("service layer in place"));
    assert!(brief.contains("`git agents task done N`"));
    assert!(brief.contains("`git agents update --note \"TEXT\"`"));
    assert!(brief.contains("--agent backend-agent"));
}

#[test]
fn brief_shows_which_dependencies_are_merged() {
    let repo = Repo::new();
    repo.init_example();
    // security-agent's work is merged by hand and then recorded as merged.
    repo.agents(&["spawn", "security-agent"]).ok();
    repo.commit_in(
        &repo.worktree("security-agent"),
        "security.txt",
        "hardened",
        "security work",
    );
    repo.git(&[
        "merge",
        "-q",
        "--no-ff",
        "-m",
        "merge security",
        "feature/security-hardening",
    ]);
    repo.agents(&["update", "--agent", "security-agent", "--status", "merged"])
        .ok();
    let brief = repo.agents(&["brief", "docs-agent"]).ok().stdout;
    assert!(
        brief.contains("- `security-agent` (Security Hardening): merged\n"),
        "{brief}"
    );
    assert!(brief.contains("- `backend-agent` (Backend Architecture): not merged yet (planned)"));
    assert!(brief.contains("2 dependencies are not in `main` yet"));
    let json = repo.agents(&["brief", "docs-agent", "--json"]).ok().json();
    let merged: Vec<(String, bool)> = json["dependencies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["name"].as_str().unwrap().to_owned(),
                d["merged"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        merged,
        [
            ("security-agent".to_owned(), true),
            ("backend-agent".to_owned(), false),
            ("rag-agent".to_owned(), false)
        ]
    );
    assert_eq!(json["tasks"].as_array().unwrap().len(), 5);
    assert_eq!(json["merge"]["review_threshold"], 10);
}

#[test]
fn brief_needs_an_agent_it_can_find() {
    let repo = Repo::new();
    repo.init_example();
    repo.agents(&["brief"])
        .fails(2)
        .says("cannot tell which agent");
    repo.agents(&["brief", "backend-agnt"])
        .fails(2)
        .says("did you mean backend-agent?");
}

#[test]
fn timeline_shows_phases_critical_path_and_schedule() {
    let repo = Repo::new();
    repo.init_example();
    let text = repo.agents(&["plan", "--timeline"]).ok().stdout;
    assert!(
        text.contains("Critical path: backend-agent → testing-agent, 83 h"),
        "{text}"
    );
    assert!(
        text.contains("1. security-agent, backend-agent, frontend-agent, rag-agent, devops-agent")
    );
    assert!(text.contains("2. testing-agent, docs-agent, github-agent"));
    assert!(text.contains("Schedule with 8 agents at once: 83 h, against 230 h 5 min in sequence"));
    let rows: Vec<&str> = text.lines().filter(|l| l.contains('█')).collect();
    assert_eq!(rows.len(), 8, "{text}");
    let testing = rows
        .iter()
        .find(|r| r.starts_with("testing-agent"))
        .unwrap();
    assert!(testing.contains("37 h → 83 h  critical"), "{testing}");

    let same = repo.agents(&["plan", "timeline"]).ok().stdout;
    assert_eq!(same, text);
}

#[test]
fn timeline_schedule_respects_slots_and_dependencies() {
    let repo = Repo::new();
    repo.init_example();
    let plan = repo.agents(&["plan", "show", "--json"]).ok().json();
    for parallel in ["1", "2", "3"] {
        let json = repo
            .agents(&["plan", "--timeline", "--parallel", parallel, "--json"])
            .ok()
            .json();
        let slots = json["schedule"].as_array().unwrap();
        assert_eq!(slots.len(), 8);
        let find = |name: &str| slots.iter().find(|s| s["name"] == name).unwrap();
        let limit: u64 = parallel.parse().unwrap();
        for a in slots {
            assert!(a["slot"].as_u64().unwrap() < limit);
            for b in slots {
                if a["name"] != b["name"] && a["slot"] == b["slot"] {
                    let apart = a["end"].as_f64().unwrap() <= b["start"].as_f64().unwrap()
                        || b["end"].as_f64().unwrap() <= a["start"].as_f64().unwrap();
                    assert!(apart, "{a} overlaps {b}");
                }
            }
        }
        for agent in plan["agents"].as_array().unwrap() {
            let start = find(agent["name"].as_str().unwrap())["start"]
                .as_f64()
                .unwrap();
            for dependency in agent["depends_on"].as_array().unwrap() {
                assert!(find(dependency.as_str().unwrap())["end"].as_f64().unwrap() <= start);
            }
        }
        let sequential = json["sequential_hours"].as_f64().unwrap();
        assert!((sequential - (230.0 + 5.0 / 60.0)).abs() < 1e-9);
        let makespan = json["makespan_hours"].as_f64().unwrap();
        if parallel == "1" {
            assert!((makespan - sequential).abs() < 1e-9);
        } else {
            assert!(makespan >= 83.0 && makespan < sequential);
        }
        assert_eq!(json["critical_hours"], 83.0);
    }
}

#[test]
fn timeline_flags_are_checked() {
    let repo = Repo::new();
    repo.init_example();
    repo.agents(&["plan", "--parallel", "2"]).fails(2);
    repo.agents(&["plan", "--timeline", "--parallel", "0"])
        .fails(2);
    repo.agents(&["plan", "--timeline", "show"])
        .fails(2)
        .says("--timeline");
    repo.agents(&["plan", "show"]).ok().says("8 agents");
}
