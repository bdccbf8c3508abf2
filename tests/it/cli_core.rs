//! The core workflow driven through `git agents` on real repositories: import, status,
//! spawn, task reports, the audit log, and every bad input leaving everything as it was.

use crate::common;

use common::agent;
use common::{Repo, example_plan};

fn names(value: &serde_json::Value) -> Vec<String> {
    value["agents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn done_marks_live_in_the_agents_documents_and_show_in_the_plan() {
    let repo = Repo::new();
    repo.agents(&["init", "--plan", example_plan().to_str().unwrap()])
        .ok();
    // A task marked done shows in the plan, and the state keeps the mark in the agent's
    // document only.
    repo.agents(&["spawn", "backend-agent"]).ok();
    repo.agents(&["task", "done", "1", "--agent", "backend-agent"])
        .ok();
    let plan = repo.agents(&["plan", "--json"]).ok().json();
    let backend = agent(&plan, "backend-agent");
    assert_eq!(backend["tasks"][0]["done"], true);
    let stored = repo.git(&["show", "refs/agents/state:plan.json"]);
    assert!(
        !stored.contains("\"done\""),
        "plan.json holds no done marks:\n{stored}"
    );
    let doc = repo.git(&["show", "refs/agents/state:agents/backend-agent.json"]);
    assert!(doc.contains("\"done_tasks\""), "{doc}");

    // Editing the plan by hand keeps the mark where it is.
    repo.agents(&["edit", "backend-agent", "--title", "Backend"])
        .ok();
    let plan = repo.agents(&["plan", "--json"]).ok().json();
    let backend = agent(&plan, "backend-agent");
    assert_eq!(backend["tasks"][0]["done"], true);
    assert_eq!(backend["tasks"][1].get("done"), None);
}

#[test]
fn init_imports_the_example_plan() {
    let repo = Repo::new();
    let run = repo
        .agents(&["init", "--plan", example_plan().to_str().unwrap()])
        .ok();
    run.prints("8 agents, 38 tasks, 230 h 5 min");
    let plan = repo.agents(&["plan", "show", "--json"]).ok().json();
    assert_eq!(
        names(&plan),
        [
            "security-agent",
            "backend-agent",
            "frontend-agent",
            "rag-agent",
            "devops-agent",
            "testing-agent",
            "docs-agent",
            "github-agent"
        ]
    );
    let agents = plan["agents"].as_array().unwrap();
    let tasks: usize = agents
        .iter()
        .map(|a| a["tasks"].as_array().unwrap().len())
        .sum();
    assert_eq!(tasks, 38);
    let hours: f64 = agents
        .iter()
        .flat_map(|a| a["tasks"].as_array().unwrap())
        .map(|t| t["hours"].as_f64().unwrap())
        .sum();
    assert!((hours - (230.0 + 5.0 / 60.0)).abs() < 1e-9, "{hours}");
    let deps = |name: &str| -> Vec<String> {
        agents.iter().find(|a| a["name"] == name).unwrap()["depends_on"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d.as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(deps("testing-agent"), ["backend-agent", "frontend-agent"]);
    assert_eq!(
        deps("docs-agent"),
        ["security-agent", "backend-agent", "rag-agent"]
    );
    assert_eq!(deps("github-agent"), ["backend-agent"]);
    assert!(deps("security-agent").is_empty());
    let backend = agents
        .iter()
        .find(|a| a["name"] == "backend-agent")
        .unwrap();
    assert_eq!(backend["branch"], "feature/backend-architecture");
    assert_eq!(backend["worktree"], "worktrees/backend-agent");
    assert_eq!(backend["title"], "Backend Architecture");
    let license = agents
        .iter()
        .flat_map(|a| a["tasks"].as_array().unwrap())
        .find(|t| t["title"] == "Add LICENSE")
        .unwrap();
    assert!((license["hours"].as_f64().unwrap() - 5.0 / 60.0).abs() < 1e-12);
    assert_eq!(license.get("done"), None, "a task not done carries no mark");

    // State lives in git, and the worktrees dir is excluded so the main worktree stays clean.
    assert_eq!(
        repo.git(&["cat-file", "-t", "refs/agents/state"]).trim(),
        "commit"
    );
    let tree = repo.git(&["ls-tree", "-r", "--name-only", "refs/agents/state"]);
    assert!(
        tree.contains("plan.json") && tree.contains("agents/backend-agent.json"),
        "{tree}"
    );
    let exclude = std::fs::read_to_string(repo.root.join(".git/info/exclude")).unwrap();
    assert!(exclude.lines().any(|l| l == "/worktrees/"), "{exclude}");
    let author = repo.git(&["log", "-1", "--format=%an <%ae> %s", "refs/agents/state"]);
    assert_eq!(
        author.trim(),
        "Test User <test@example.com> init: import plan with 8 agents"
    );
}

#[test]
fn init_refuses_to_clobber_without_force() {
    let repo = Repo::new();
    repo.init_example();
    let before = repo.refs();
    repo.agents(&["init", "--plan", example_plan().to_str().unwrap()])
        .fails(1)
        .says("--force");
    assert_eq!(repo.refs(), before);
    repo.agents(&["init", "--force"]).ok();
    assert_eq!(
        repo.agents(&["plan", "show", "--json"]).ok().json()["agents"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    assert_eq!(
        repo.git(&["rev-list", "--count", "refs/agents/state"])
            .trim(),
        "2"
    );
}

#[test]
fn export_then_init_gives_the_same_plan() {
    let repo = Repo::new();
    repo.init_example();
    let original = repo.agents(&["plan", "show", "--json"]).ok().stdout;
    for format in ["md", "toml", "json"] {
        let exported = repo
            .agents(&["plan", "export", "--format", format])
            .ok()
            .stdout;
        let file = repo.tmp.path().join(format!("plan.{format}"));
        std::fs::write(&file, exported).unwrap();
        repo.agents(&["init", "--force", "--plan", file.to_str().unwrap()])
            .ok();
        assert_eq!(
            repo.agents(&["plan", "show", "--json"]).ok().stdout,
            original,
            "round trip through {format}"
        );
    }
}

#[test]
fn status_shows_the_dashboard_in_text_and_json() {
    let repo = Repo::new();
    repo.init_example();
    let text = repo.agents(&["status"]).ok().stdout;
    assert!(text.contains("security-agent"), "{text}");
    assert!(
        text.contains("blocked by backend-agent, frontend-agent"),
        "{text}"
    );
    assert!(
        text.contains("8 agents: 8 planned · 0/38 tasks · 0 h of 230 h 5 min (0%)"),
        "{text}"
    );
    assert!(
        !text.contains('\u{1b}'),
        "no colour when NO_COLOR is set and stdout is a pipe"
    );
    let status = repo.status_json();
    let testing = agent(&status, "testing-agent");
    for key in [
        "name",
        "status",
        "progress",
        "current_task",
        "blocked_by",
        "branch",
        "worktree",
        "tasks_done",
        "tasks_total",
        "hours_done",
        "hours_total",
    ] {
        assert!(testing.get(key).is_some(), "missing {key}");
    }
    assert_eq!(testing["status"], "planned");
    assert_eq!(
        testing["blocked_by"],
        serde_json::json!(["backend-agent", "frontend-agent"])
    );
    assert_eq!(testing["tasks_total"], 5);
    assert_eq!(testing["hours_total"], 46.0);
    assert_eq!(status["summary"]["tasks_total"], 38);
    let single = repo.agents(&["status", "backend-agent"]).ok().stdout;
    assert!(
        single.contains("feature/backend-architecture") && !single.contains("security-agent"),
        "{single}"
    );
}

#[test]
fn spawn_ready_creates_branches_and_worktrees_for_the_independent_agents() {
    let repo = Repo::new();
    repo.init_example();
    let run = repo.agents(&["spawn", "--ready"]).ok();
    assert_eq!(run.stdout.matches("Spawned").count(), 5, "{}", run.stdout);
    let list = repo.worktrees();
    for (name, branch) in [
        ("security-agent", "feature/security-hardening"),
        ("backend-agent", "feature/backend-architecture"),
        ("frontend-agent", "feature/frontend-improvements"),
        ("rag-agent", "feature/rag-completion"),
        ("devops-agent", "feature/devops-infrastructure"),
    ] {
        let path = repo.root.join("worktrees").join(name);
        assert!(
            list.contains(&format!("worktree {}", path.display())),
            "{list}"
        );
        assert!(
            list.contains(&format!("branch refs/heads/{branch}")),
            "{list}"
        );
        assert_eq!(
            repo.git_in(&path, &["rev-parse", "--abbrev-ref", "HEAD"])
                .trim(),
            branch
        );
    }
    assert!(!list.contains("testing-agent"));
    let status = repo.status_json();
    assert_eq!(agent(&status, "backend-agent")["status"], "in_progress");
    assert_eq!(
        agent(&status, "backend-agent")["current_task"],
        "1. Create service layer"
    );
    assert_eq!(agent(&status, "github-agent")["status"], "planned");
    let head = repo.git(&["rev-parse", "main"]).trim().to_owned();
    let doc = repo.git(&["show", "refs/agents/state:agents/backend-agent.json"]);
    assert!(doc.contains(&head), "head recorded: {doc}");
    assert_eq!(
        repo.git(&["status", "--porcelain"]).trim(),
        "",
        "main worktree stays clean"
    );
    let log = repo.agents(&["log"]).ok().stdout;
    assert_eq!(log.matches("spawn ").count(), 5, "{log}");
}

#[test]
fn spawn_refuses_unmerged_dependencies_and_changes_nothing() {
    let repo = Repo::new();
    repo.init_example();
    let (refs, worktrees) = (repo.refs(), repo.worktrees());
    repo.agents(&["spawn", "testing-agent"])
        .fails(1)
        .says("testing-agent waits for backend-agent, frontend-agent");
    repo.agents(&["spawn", "security-agent", "docs-agent"])
        .fails(1)
        .says("docs-agent waits for security-agent, backend-agent, rag-agent");
    assert_eq!(repo.refs(), refs);
    assert_eq!(repo.worktrees(), worktrees);
    assert!(
        !repo.root.join("worktrees/security-agent").exists(),
        "nothing spawned when one agent is refused"
    );
    repo.agents(&["spawn", "--force", "github-agent"]).ok();
    assert_eq!(
        agent(&repo.status_json(), "github-agent")["status"],
        "in_progress"
    );
}

#[test]
fn spawn_twice_changes_nothing_the_second_time() {
    let repo = Repo::new();
    repo.init_example();
    repo.agents(&["spawn", "backend-agent"]).ok();
    let (refs, worktrees) = (repo.refs(), repo.worktrees());
    let again = repo.agents(&["spawn", "backend-agent"]).ok();
    again.prints("Already spawned");
    assert_eq!(repo.refs(), refs);
    assert_eq!(repo.worktrees(), worktrees);
    let ready = repo.agents(&["spawn", "--ready", "--json"]).ok().json();
    assert_eq!(
        ready["spawned"].as_array().unwrap().len(),
        4,
        "backend-agent is no longer planned"
    );
}

#[test]
fn spawn_checks_out_on_every_core_unless_checkout_workers_is_configured() {
    let repo = Repo::new();
    repo.init_example();
    let trace = repo.root.join("trace.json");
    let env = [("GIT_TRACE2_EVENT".to_owned(), trace.display().to_string())];
    let worktree_adds = || -> Vec<String> {
        let text = std::fs::read_to_string(&trace).unwrap_or_default();
        let adds = text
            .lines()
            .filter(|l| l.contains("\"event\":\"start\"") && l.contains("\"worktree\",\"add\""))
            .map(str::to_owned)
            .collect();
        let _ = std::fs::remove_file(&trace);
        adds
    };
    repo.agents_with(&repo.root, &["spawn", "security-agent"], &env)
        .ok();
    let adds = worktree_adds();
    assert_eq!(adds.len(), 1, "{adds:?}");
    assert!(
        adds[0].contains("\"-c\",\"checkout.workers=0\""),
        "{}",
        adds[0]
    );

    repo.git(&["config", "checkout.workers", "1"]);
    repo.agents_with(&repo.root, &["spawn", "backend-agent"], &env)
        .ok();
    let adds = worktree_adds();
    assert_eq!(adds.len(), 1, "{adds:?}");
    assert!(!adds[0].contains("checkout.workers"), "{}", adds[0]);
}

#[test]
fn spawn_reuses_an_existing_branch() {
    let repo = Repo::new();
    repo.init_example();
    repo.git(&["branch", "feature/rag-completion"]);
    repo.write("rag.txt", "work\n");
    repo.git(&["switch", "-q", "feature/rag-completion"]);
    repo.git(&["add", "rag.txt"]);
    repo.git(&["commit", "-q", "-m", "earlier rag work"]);
    let tip = repo.git(&["rev-parse", "HEAD"]);
    repo.git(&["switch", "-q", "main"]);
    let run = repo.agents(&["spawn", "rag-agent"]).ok();
    run.prints("existing branch");
    assert_eq!(
        repo.git_in(
            &repo.root.join("worktrees/rag-agent"),
            &["rev-parse", "HEAD"]
        ),
        tip
    );
}

#[test]
fn spawn_refuses_a_path_that_is_not_the_agents_worktree() {
    let repo = Repo::new();
    repo.init_example();
    std::fs::create_dir_all(repo.root.join("worktrees/rag-agent")).unwrap();
    std::fs::write(repo.root.join("worktrees/rag-agent/notes.txt"), "mine").unwrap();
    let refs = repo.refs();
    repo.agents(&["spawn", "rag-agent"])
        .fails(1)
        .says("is not rag-agent's worktree");
    assert_eq!(repo.refs(), refs, "no branch was left behind");
    assert_eq!(
        std::fs::read_to_string(repo.root.join("worktrees/rag-agent/notes.txt")).unwrap(),
        "mine"
    );

    repo.git(&[
        "worktree",
        "add",
        "-q",
        "-b",
        "other",
        "worktrees/devops-agent",
    ]);
    repo.agents(&["spawn", "devops-agent"])
        .fails(1)
        .says("is a worktree on branch other");
}

#[test]
fn task_done_inside_a_worktree_moves_progress() {
    let repo = Repo::new();
    repo.init_example();
    repo.agents(&["spawn", "--ready"]).ok();
    let backend = repo.root.join("worktrees/backend-agent");
    let run = repo.agents_in(&backend, &["task", "done", "1"]).ok();
    run.prints("backend-agent #1 Create service layer");
    let text = repo.agents_in(&backend, &["status"]).ok().stdout;
    assert!(text.contains("43%"), "16 of 37 hours: {text}");
    let status = repo.status_json();
    let view = agent(&status, "backend-agent");
    assert_eq!(view["tasks_done"], 1);
    assert_eq!(view["hours_done"], 16.0);
    assert!((view["progress"].as_f64().unwrap() - 16.0 / 37.0).abs() < 1e-9);
    assert_eq!(view["current_task"], "2. Implement repository pattern");

    // From a subdirectory of another worktree, and with --agent from the main worktree.
    let sub = repo.root.join("worktrees/rag-agent/deep/dir");
    std::fs::create_dir_all(&sub).unwrap();
    repo.agents_in(&sub, &["task", "start", "3"]).ok();
    assert_eq!(
        agent(&repo.status_json(), "rag-agent")["current_task"],
        "3. Add query caching"
    );
    repo.agents(&["task", "done", "2", "--agent", "frontend-agent"])
        .ok();
    assert_eq!(
        agent(&repo.status_json(), "frontend-agent")["tasks_done"],
        1
    );
    repo.agents(&["task", "undo", "2", "--agent", "frontend-agent"])
        .ok();
    assert_eq!(
        agent(&repo.status_json(), "frontend-agent")["tasks_done"],
        0
    );

    repo.agents(&["task", "done", "1"])
        .fails(2)
        .says("cannot tell which agent");
    repo.agents_in(&backend, &["task", "done", "9"])
        .fails(2)
        .says("backend-agent has 4 tasks; use a number from 1 to 4");
    let before = repo.refs();
    repo.agents_in(&backend, &["task", "done", "1"])
        .ok()
        .says("no change");
    assert_eq!(
        repo.refs(),
        before,
        "marking a done task done writes nothing"
    );
}

#[test]
fn update_and_log_tell_the_story() {
    let repo = Repo::new();
    repo.init_example();
    repo.agents(&["spawn", "security-agent"]).ok();
    let worktree = repo.root.join("worktrees/security-agent");
    repo.agents_in(&worktree, &["update", "--note", "JWT design: RS256 keys"])
        .ok();
    repo.agents_in(&worktree, &["update", "--status", "review"])
        .ok();
    repo.agents(&["update", "--agent", "security-agent", "--status", "bogus"])
        .fails(2)
        .says("unknown status");
    assert_eq!(
        agent(&repo.status_json(), "security-agent")["status"],
        "review"
    );
    let doc = repo.git(&["show", "refs/agents/state:agents/security-agent.json"]);
    assert!(
        doc.contains("JWT design: RS256 keys") && doc.contains("Test User <test@example.com>"),
        "{doc}"
    );

    let log = repo
        .agents(&["log", "security-agent", "--reverse"])
        .ok()
        .stdout;
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(lines.len(), 4, "{log}");
    assert!(
        lines[0].contains("init: import plan with 8 agents"),
        "{log}"
    );
    assert!(lines[1].contains("spawn security-agent"));
    assert!(lines[2].contains("update security-agent: note JWT design: RS256 keys"));
    assert!(lines[3].contains("update security-agent: status review"));
    let json = repo.agents(&["log", "--json", "-n", "1"]).ok().json();
    assert_eq!(
        json["entries"][0]["agents"],
        serde_json::json!(["security-agent"])
    );
    repo.agents(&["log", "securty-agent"])
        .fails(2)
        .says("did you mean security-agent?");
}

#[test]
fn add_and_remove_validate_everything() {
    let repo = Repo::new();
    repo.agents(&["init"]).ok();
    repo.agents(&[
        "add",
        "api",
        "--task",
        "Build endpoints (8h)",
        "--task",
        "Docs (30 min)",
    ])
    .ok();
    repo.agents(&["add", "ui", "--depends-on", "api", "--branch", "feature/ui"])
        .ok();
    let plan = repo.agents(&["plan", "show", "--json"]).ok().json();
    assert_eq!(plan["agents"][0]["branch"], "agents/api");
    assert_eq!(plan["agents"][0]["worktree"], "worktrees/api");
    assert_eq!(plan["agents"][0]["tasks"][1]["hours"], 0.5);
    assert_eq!(plan["agents"][1]["depends_on"], serde_json::json!(["api"]));

    let before = repo.refs();
    for (args, message) in [
        (vec!["add", "../evil"], "invalid agent name"),
        (vec!["add", "a/b"], "invalid agent name"),
        (vec!["add", "has space"], "invalid agent name"),
        (vec!["add", "--", "-dash"], "invalid agent name"),
        (vec!["add", "tab\there"], "invalid agent name"),
        (vec!["add", "аpi"], "invalid agent name"),
        (vec!["add", &"x".repeat(65)], "invalid agent name"),
        (
            vec!["add", "api"],
            "the plan already has an agent named api",
        ),
        (
            vec!["add", "db", "--depends-on", "apj"],
            "unknown agent apj (did you mean api?)",
        ),
        (vec!["add", "db", "--depends-on", "db"], "depends on itself"),
        (
            vec!["add", "db", "--branch", "bad..branch"],
            "invalid branch name",
        ),
        (
            vec!["add", "db", "--branch", "feature/ui"],
            "both use branch feature/ui",
        ),
        (
            vec!["add", "db", "--task", "Thing (abc h)"],
            "cannot read the estimate",
        ),
    ] {
        let run = repo.agents(&args).fails(2).says(message);
        assert_eq!(
            run.stderr.trim().lines().count(),
            1,
            "one line: {}",
            run.stderr
        );
    }
    assert_eq!(repo.refs(), before, "no bad input wrote anything");
    repo.agents(&["remove", "api"])
        .fails(1)
        .says("ui depends on api");
    repo.agents(&["remove", "ui"]).ok();
    repo.agents(&["remove", "api"]).ok();
    repo.agents(&["remove", "nobody"])
        .fails(2)
        .says("unknown agent");
}

#[test]
fn a_plan_with_a_cycle_is_refused_naming_the_cycle() {
    let repo = Repo::new();
    let plan = repo.tmp.path().join("cycle.toml");
    std::fs::write(
        &plan,
        "[[agents]]\nname = \"a\"\ndepends_on = [\"b\"]\n\n[[agents]]\nname = \"b\"\ndepends_on = [\"a\"]\n",
    )
    .unwrap();
    repo.agents(&["init", "--plan", plan.to_str().unwrap()])
        .fails(2)
        .says("dependency cycle: a → b → a");
    assert_eq!(
        repo.refs()
            .lines()
            .filter(|l| l.contains("refs/agents"))
            .count(),
        0
    );
}

#[test]
fn errors_outside_a_repository_and_without_commits() {
    let outside = tempfile::tempdir().unwrap();
    let repo = Repo::empty();
    repo.agents_in(outside.path(), &["status"])
        .fails(2)
        .says("not a git repository");
    repo.agents(&["init", "--plan", example_plan().to_str().unwrap()])
        .fails(2)
        .says("no commits yet");
    repo.agents(&["status"]).fails(2).says("git agents init");
    repo.agents(&["init", "--plan", "/nonexistent/plan.md"])
        .fails(2)
        .says("cannot read the plan");
}

#[test]
fn dash_c_runs_in_another_directory() {
    let repo = Repo::new();
    repo.init_example();
    let outside = tempfile::tempdir().unwrap();
    let run = repo
        .agents_in(
            outside.path(),
            &["-C", repo.root.to_str().unwrap(), "status", "--json"],
        )
        .ok();
    assert_eq!(run.json()["agents"].as_array().unwrap().len(), 8);
    repo.agents_in(outside.path(), &["-C", "/nonexistent", "status"])
        .fails(2)
        .says("cannot change to /nonexistent");
}

#[test]
fn corrupt_state_gives_clear_errors() {
    let repo = Repo::new();
    repo.init_example();
    let good = repo
        .git(&["rev-parse", "refs/agents/state"])
        .trim()
        .to_owned();
    let set_state = |target: &str| repo.git(&["update-ref", "refs/agents/state", target]);

    let blob = repo.git(&["rev-parse", "HEAD:README.md"]).trim().to_owned();
    set_state(&blob);
    repo.agents(&["status"])
        .fails(2)
        .says("points at a blob, not a commit");

    let empty_tree = repo
        .git(&["hash-object", "-t", "tree", "/dev/null"])
        .trim()
        .to_owned();
    let commit = repo
        .git(&["commit-tree", &empty_tree, "-m", "empty"])
        .trim()
        .to_owned();
    set_state(&commit);
    repo.agents(&["status"]).fails(2).says("has no plan.json");

    let write_plan = |text: &str| {
        let file = repo.tmp.path().join("plan.json");
        std::fs::write(&file, text).unwrap();
        let blob = repo
            .git(&["hash-object", "-w", file.to_str().unwrap()])
            .trim()
            .to_owned();
        let tree = {
            let mut cmd = repo.command("git", &repo.root);
            cmd.args(["mktree"])
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped());
            let mut child = cmd.spawn().unwrap();
            use std::io::Write;
            child
                .stdin
                .take()
                .unwrap()
                .write_all(format!("100644 blob {blob}\tplan.json\n").as_bytes())
                .unwrap();
            String::from_utf8(child.wait_with_output().unwrap().stdout)
                .unwrap()
                .trim()
                .to_owned()
        };
        let commit = repo
            .git(&["commit-tree", &tree, "-m", "hand-made"])
            .trim()
            .to_owned();
        set_state(&commit);
    };
    write_plan("{not json");
    repo.agents(&["status"])
        .fails(2)
        .says("plan.json is not valid");
    write_plan("{\"version\": 99, \"agents\": []}");
    repo.agents(&["status"])
        .fails(2)
        .says("written by a newer git-agents (schema version 99");
    let before = repo.refs();
    repo.agents(&["update", "--agent", "x", "--note", "n"])
        .fails(2);
    assert_eq!(repo.refs(), before, "a refused state is never overwritten");

    set_state(&good);
    repo.agents(&["status"]).ok();
}

#[test]
fn unknown_agent_suggests_the_closest_name() {
    let repo = Repo::new();
    repo.init_example();
    repo.agents(&["spawn", "bakend-agent"])
        .fails(2)
        .says("unknown agent \"bakend-agent\"; did you mean backend-agent?");
    repo.agents(&["status", "frontend"])
        .fails(2)
        .says("did you mean frontend-agent?");
}

#[test]
fn concurrent_updates_are_never_lost() {
    let repo = Repo::new();
    repo.init_example();
    repo.agents(&["spawn", "--ready"]).ok();
    let agents = [
        "security-agent",
        "backend-agent",
        "frontend-agent",
        "rag-agent",
    ];
    let children: Vec<_> = (0..8)
        .map(|writer| {
            let target = agents[writer % agents.len()];
            let dir = repo.root.join("worktrees").join(target);
            let mut cmd = repo.command("sh", &dir);
            let script = format!(
                "for i in $(seq 1 25); do git agents update --note \"writer {writer} update $i\" || exit 1; done"
            );
            cmd.args(["-c", &script]).stdout(std::process::Stdio::null()).stderr(std::process::Stdio::piped());
            cmd.spawn().unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let mut notes = Vec::new();
    for name in agents {
        let doc: serde_json::Value = serde_json::from_str(
            &repo.git(&["show", &format!("refs/agents/state:agents/{name}.json")]),
        )
        .unwrap();
        notes.extend(
            doc["notes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n["text"].as_str().unwrap().to_owned()),
        );
    }
    assert_eq!(notes.len(), 200);
    for writer in 0..8 {
        for i in 1..=25 {
            assert!(
                notes.contains(&format!("writer {writer} update {i}")),
                "lost writer {writer} update {i}"
            );
        }
    }
    let log = repo.agents(&["log", "--json"]).ok().json();
    let updates = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["summary"].as_str().unwrap().starts_with("update "))
        .count();
    assert_eq!(updates, 200, "one state commit per update");
    repo.git(&["fsck", "--no-progress"]);
}

#[test]
fn spawn_works_from_inside_a_linked_worktree() {
    let repo = Repo::new();
    repo.init_example();
    repo.agents(&["spawn", "backend-agent"]).ok();
    let backend = repo.root.join("worktrees/backend-agent");
    repo.agents_in(&backend, &["spawn", "frontend-agent"]).ok();
    let frontend = repo.root.join("worktrees/frontend-agent");
    assert!(
        frontend.join("README.md").is_file(),
        "worktree lands beside the others, not inside backend-agent's"
    );
    assert!(!backend.join("worktrees").exists());
    assert_eq!(
        agent(&repo.status_json(), "frontend-agent")["status"],
        "in_progress"
    );
}

#[test]
fn colour_follows_the_flag_and_the_environment() {
    let repo = Repo::new();
    repo.init_example();
    let coloured = repo.agents(&["status", "--color", "always"]).ok().stdout;
    assert!(coloured.contains('\u{1b}'), "{coloured}");
    let plain = repo.agents(&["status", "--color", "never"]).ok().stdout;
    assert!(!plain.contains('\u{1b}'));
    let mut forced = repo.command("git", &repo.root);
    forced
        .args(["agents", "status"])
        .env_remove("NO_COLOR")
        .env("CLICOLOR_FORCE", "1");
    let out = forced.output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains('\u{1b}'));
    let json = repo
        .agents(&["status", "--json", "--color", "always"])
        .ok()
        .stdout;
    assert!(!json.contains('\u{1b}'), "JSON is never coloured");
}

#[test]
fn an_empty_plan_has_zero_hours_not_negative_zero() {
    let repo = Repo::new();
    let init = repo.agents(&["init", "--json"]).ok().json();
    assert_eq!(init["hours"].to_string(), "0.0");
    repo.agents(&["add", "solo"]).ok();
    let status = repo.status_json();
    assert_eq!(status["summary"]["hours_total"].to_string(), "0.0");
    assert_eq!(status["agents"][0]["hours_done"].to_string(), "0.0");
}

#[test]
fn the_small_examples_in_every_format_import() {
    for (file, tasks) in [
        ("three-agents.md", 7),
        ("three-agents.toml", 8),
        ("three-agents.json", 6),
    ] {
        let repo = Repo::new();
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("examples")
            .join(file);
        repo.agents(&["init", "--plan", path.to_str().unwrap()])
            .ok();
        let plan = repo.agents(&["plan", "show", "--json"]).ok().json();
        assert_eq!(
            names(&plan),
            ["api-agent", "web-agent", "docs-agent"],
            "{file}"
        );
        let count: usize = plan["agents"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["tasks"].as_array().unwrap().len())
            .sum();
        assert_eq!(count, tasks, "{file}");
        assert_eq!(
            plan["agents"][2]["depends_on"],
            serde_json::json!(["api-agent", "web-agent"]),
            "{file}"
        );
    }
}
