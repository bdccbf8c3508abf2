//! The `status` dashboard's layout: one line per agent, columns aligned whatever the
//! names' lengths, with wide characters and control characters in what the plan says,
//! and with setup failures and conflict risks shown on the agent's own line.

use crate::common;

use common::Repo;
use console::measure_text_width;

const PLAN: &str = r#"{"base": "main", "agents": [
  {"name": "a", "title": "Short", "branch": "agents/a", "worktree": "worktrees/a",
   "tasks": [{"title": "界面を作る 🚀 wide", "hours": 1}]},
  {"name": "much-longer-agent-name", "title": "Long\nTitle", "branch": "agents/long",
   "worktree": "worktrees/long",
   "tasks": [{"title": "line one\nline two\ttab \u001b[31mred", "hours": 2}]},
  {"name": "mid_agent", "title": "Mid", "branch": "agents/mid", "worktree": "worktrees/mid",
   "tasks": [{"title": "x\ry", "hours": 2}]},
  {"name": "later", "title": "Later", "branch": "agents/later", "worktree": "worktrees/later",
   "depends_on": ["a"], "tasks": [{"title": "Wait", "hours": 1}]}
]}"#;

/// The display column where `needle` starts in `line`.
fn column(line: &str, needle: &str) -> usize {
    let at = line
        .find(needle)
        .unwrap_or_else(|| panic!("{needle:?} in {line:?}"));
    measure_text_width(&line[..at])
}

#[test]
fn one_aligned_line_per_agent_whatever_the_plan_says() {
    let repo = Repo::new();
    repo.write("shared.txt", "base\n");
    repo.git(&["add", "shared.txt"]);
    repo.git(&["commit", "-q", "-m", "shared file"]);
    repo.write("plan.json", PLAN);
    repo.agents(&["init", "--plan", "plan.json"]).ok();
    repo.git(&["config", "agents.setup", "echo the setup broke; exit 3"]);
    repo.agents(&["spawn", "a", "much-longer-agent-name", "mid_agent"])
        .ok();
    for (agent, text) in [("a", "from a\n"), ("mid_agent", "from mid\n")] {
        let dir = repo
            .root
            .join("worktrees")
            .join(agent.replace("_agent", ""));
        repo.commit_in(&dir, "shared.txt", text, "change the shared file");
    }

    let status = repo.agents(&["status", "--conflicts"]).ok().stdout;
    let lines: Vec<&str> = status.lines().collect();
    assert_eq!(lines.len(), 5, "four agents and the summary:\n{status}");
    assert!(
        !status.chars().any(|c| c.is_control() && c != '\n'),
        "no control characters reach the terminal: {status:?}"
    );
    let agents = &lines[..4];
    for (line, name) in agents
        .iter()
        .zip(["a ", "much-longer-agent-name ", "mid_agent ", "later "])
    {
        assert!(line.starts_with(name), "{line:?}");
    }
    let bars: Vec<usize> = agents.iter().map(|l| column(l, "░")).collect();
    assert!(
        bars.iter().all(|&c| c == bars[0]),
        "bars line up: {bars:?}\n{status}"
    );
    let statuses: Vec<usize> = agents
        .iter()
        .map(|l| {
            column(
                l,
                if l.starts_with("later") {
                    "planned"
                } else {
                    "in_progress"
                },
            )
        })
        .collect();
    assert!(
        statuses.iter().all(|&c| c == statuses[0]),
        "statuses line up: {statuses:?}\n{status}"
    );
    assert!(agents[0].contains("1. 界面を作る 🚀 wide"), "{}", agents[0]);
    assert!(
        agents[1].contains("1. line one line two tab \u{FFFD}[31mred"),
        "{}",
        agents[1]
    );
    assert!(agents[2].contains("1. x y"), "{}", agents[2]);
    for line in &agents[..3] {
        assert!(line.contains("setup failed (exit 3)"), "{line}");
    }
    for (line, other) in [(agents[0], "mid_agent"), (agents[2], "a")] {
        assert!(
            line.contains(&format!("⚠ conflicts with {other}")),
            "{line}"
        );
    }
    assert!(agents[3].contains("blocked by a"), "{}", agents[3]);

    let detail = repo
        .agents(&["status", "much-longer-agent-name"])
        .ok()
        .stdout;
    assert!(detail.contains("  title     Long Title\n"), "{detail}");
}

#[test]
fn an_agents_own_view_says_when_its_worktree_is_gone() {
    let repo = Repo::new();
    repo.write("plan.json", PLAN);
    repo.agents(&["init", "--plan", "plan.json"]).ok();
    repo.agents(&["spawn", "a", "much-longer-agent-name", "mid_agent"])
        .ok();
    let worktrees = repo.root.join("worktrees");
    std::fs::remove_dir_all(worktrees.join("long")).unwrap();
    std::fs::remove_dir_all(worktrees.join("mid")).unwrap();
    std::fs::write(worktrees.join("mid"), "a file where the worktree was\n").unwrap();

    let view = |agent: &str| repo.agents(&["status", agent]).ok().stdout;
    assert!(view("a").contains("worktrees/a\n"), "{}", view("a"));
    for agent in ["much-longer-agent-name", "mid_agent"] {
        assert!(view(agent).contains("(missing)"), "{}", view(agent));
    }
    assert!(
        !view("later").contains("(missing)"),
        "a planned agent has no worktree yet: {}",
        view("later")
    );
    #[cfg(unix)]
    {
        let elsewhere = repo.tmp.path().join("moved-long");
        std::fs::create_dir(&elsewhere).unwrap();
        std::os::unix::fs::symlink(&elsewhere, worktrees.join("long")).unwrap();
        assert!(
            !view("much-longer-agent-name").contains("(missing)"),
            "a symbolic link to a directory is a worktree that is there"
        );
    }
}
