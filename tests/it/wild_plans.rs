//! Plans people published, read as a careful reader reads them (`../shared/examples/wild`,
//! counts from its SOURCES.md), and the documents that only look like plans, refused.

use std::collections::BTreeSet;
use std::path::PathBuf;

use crate::common::Repo;

fn wild(file: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/examples/wild")
        .join(file)
        .display()
        .to_string()
}

/// `plan check --json` of a wild document.
fn check(repo: &Repo, file: &str) -> serde_json::Value {
    repo.agents(&["plan", "check", &wild(file), "--json"])
        .ok()
        .json()
}

fn names(report: &serde_json::Value) -> Vec<String> {
    report["agents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap().to_owned())
        .collect()
}

/// The dependency edges as `waiter<-prerequisite`.
fn edges(report: &serde_json::Value) -> BTreeSet<String> {
    report["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{}<-{}",
                e["agent"].as_str().unwrap(),
                e["depends_on"].as_str().unwrap()
            )
        })
        .collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn agents_under_headings_with_worktree_and_branch_lines() {
    let repo = Repo::new();
    let report = check(
        &repo,
        "kavanaghpatrick__ar-compare-nextjs__AGENTIC_REBUILD_PLAN.md",
    );
    assert_eq!(
        names(&report),
        [
            "agent-1-foundation",
            "agent-2-components",
            "agent-3-pages",
            "agent-4-features"
        ]
    );
    assert_eq!(
        edges(&report),
        set(&[
            "agent-2-components<-agent-1-foundation",
            "agent-3-pages<-agent-1-foundation",
            "agent-3-pages<-agent-2-components",
            "agent-4-features<-agent-1-foundation",
            "agent-4-features<-agent-2-components",
            "agent-4-features<-agent-3-pages",
        ])
    );
    assert_eq!(report["tasks"], 21, "the numbered Key Tasks");
    // The sprint windows (Hours 0-2, 1-4, 3-6, 5-8) are the agents' hours.
    assert_eq!(report["hours"], 11.0);
}

#[test]
fn batches_inside_phases_that_run_in_order() {
    let repo = Repo::new();
    let report = check(&repo, "ingitdb__ingitdb-cli__spec_plans_cobra-migration.md");
    let names = names(&report);
    assert_eq!(names.len(), 10, "{names:?}");
    assert_eq!(names[0], "phase-0");
    assert_eq!(names[9], "phase-2");
    let edges = edges(&report);
    assert_eq!(edges.len(), 16, "{edges:?}");
    for batch in &names[1..9] {
        assert!(edges.contains(&format!("{batch}<-phase-0")), "{edges:?}");
        assert!(edges.contains(&format!("phase-2<-{batch}")), "{edges:?}");
    }
    // Branches come from the worktree commands; worktrees outside the repository move in.
    assert_eq!(report["agents"][1]["branch"], "feat/cobra-batch-1");
    assert_eq!(report["agents"][1]["worktree"], "worktrees/ingitdb-cli-b1");
}

#[test]
fn wave_tables_with_a_dependencies_column() {
    let repo = Repo::new();
    let report = check(
        &repo,
        "usorama__RADit_Reliable-Agentic-Determinism-Intelligence-Transformation__docs_planning_agent_execution_plan.md",
    );
    assert_eq!(report["tasks"], 47);
    assert_eq!(report["hours"], 161.0);
    assert_eq!(edges(&report).len(), 76);
}

#[test]
fn tracks_in_sprint_tables() {
    let repo = Repo::new();
    let report = check(&repo, "ryacub__brain-salad__PARALLEL_EXECUTION_PLAN.md");
    assert_eq!(names(&report).len(), 13);
    assert_eq!(
        edges(&report),
        set(&[
            "track-5b<-track-5a",
            "track-5c<-track-5a",
            "track-5d<-track-5a",
            "track-5d<-track-5b",
            "track-5d<-track-5c",
            "track-8c<-track-7",
            "track-8c<-track-8a",
            "track-8c<-track-8b",
        ])
    );
}

#[test]
fn sessions_in_phases_with_branches_inside_prompts() {
    let repo = Repo::new();
    let report = check(&repo, "Nehorai3108__nutrition-app__PARALLEL_AGENTS_PLAN.md");
    let names = names(&report);
    assert_eq!(names.len(), 8, "{names:?}");
    assert_eq!(edges(&report).len(), 13);
    // Each session is one prompt: its section is its one task.
    assert_eq!(report["tasks"], 8);
    let branches: Vec<&str> = report["agents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["branch"].as_str().unwrap())
        .collect();
    for branch in [
        "feat/auth-integration",
        "feat/data-layer-multi-user",
        "feat/storage-agents-namespacing",
    ] {
        assert!(branches.contains(&branch), "{branches:?}");
    }
    // Phase 0 is manual work, and the warning says so.
    assert!(
        report["warnings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("work for a person")
    );
}

#[test]
fn worktrees_named_in_headings_with_dependency_notes() {
    let repo = Repo::new();
    let report = check(&repo, "andallen__ai-tutor__WORKTREE_PLAN.md");
    assert_eq!(names(&report).len(), 8);
    assert_eq!(report["agents"][0]["branch"], "feature/dashboard-polish");
    assert_eq!(
        edges(&report),
        set(&[
            "search-canvas<-search-complete",
            "ai-chat<-ai-backend",
            "lessons<-ai-backend",
            "skills<-ai-chat",
        ])
    );
    assert_eq!(report["tasks"], 53, "the top-level checklist items");
}

#[test]
fn streams_with_emoji_headings_and_effort_lines() {
    let repo = Repo::new();
    let report = check(&repo, "jordanhubbard__Aviation__PARALLEL_WORK_PLAN.md");
    let names = names(&report);
    assert_eq!(names.len(), 5, "{names:?}");
    assert_eq!(
        edges(&report),
        set(&[
            "migrate-accident-tracker<-extract-weather-services",
            "migrate-accident-tracker<-extract-navigation-utils",
            "migrate-accident-tracker<-extract-map-patterns",
        ])
    );
    // 6-8, 4-6, 6-8 and 5-7 hours, each range read as its middle.
    assert_eq!(report["hours"], 25.0);
}

#[test]
fn workstreams_with_numbered_task_headings_and_a_fenced_trap() {
    let repo = Repo::new();
    let report = check(&repo, "greplabs__hippo__PARALLEL_WORK_PLAN.md");
    assert_eq!(
        names(&report),
        [
            "loading-empty-states",
            "tag-colors",
            "bulk-tagging",
            "file-type-icons"
        ]
    );
    assert_eq!(report["tasks"], 15);
}

#[test]
fn agent_tables_with_task_tables() {
    let repo = Repo::new();
    let board = check(&repo, "NomadsandVagabonds__botc-bench__.tasks_BOARD.md");
    assert_eq!(names(&board).len(), 7);
    assert_eq!(board["tasks"], 11);
    assert!(edges(&board).is_empty());
    let handoff = check(&repo, "roguekishore__RepoHIVE__FABLE_HANDOFF.md");
    assert_eq!(names(&handoff).len(), 5);
    assert_eq!(handoff["agents"][4]["branch"], "wip/cli");
    assert_eq!(edges(&handoff), set(&["agent-5<-agent-4"]));
}

#[test]
fn issues_in_an_orchestration_matrix_grouped_by_agent_type() {
    let repo = Repo::new();
    let report = check(&repo, "raibid-labs__scarab__ORCHESTRATION_PLAN.md");
    // 17 issues for 13 agents: the agent types that take two issues take them in order.
    assert_eq!(names(&report).len(), 13);
    assert_eq!(report["tasks"], 17);
    let edges = edges(&report);
    for edge in [
        "plugin<-navigation",
        "shell-integration<-navigation",
        "security<-full-stack",
        "multiplexing<-devops-ci",
    ] {
        assert!(edges.contains(edge), "{edge} in {edges:?}");
    }
    assert!(
        report["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|w| !w["message"].as_str().unwrap().contains("names itself")),
        "{report}"
    );
}

#[test]
fn documents_that_only_look_like_plans_are_refused_with_what_was_seen() {
    let repo = Repo::new();
    for (file, seen) in [
        (
            "MolSSI__QCManyBody__PARALLEL_EXECUTION_PLAN.md",
            "69 headings and 38 checklist items but no agent",
        ),
        (
            "darantrute__atomic-agents-tdd__PARALLEL-EXECUTION.md",
            "2 git worktree commands but names no agent",
        ),
        (
            "Wankculator__MOOSHLATEST__templates_MULTI_AGENT_PLAN_TEMPLATE.md",
            "this reads as a template",
        ),
        (
            "raibid-labs__scarab__ROADMAP.md",
            "2 headings look like agent sections but none has a branch",
        ),
    ] {
        repo.agents(&["plan", "check", &wild(file)])
            .fails(2)
            .says(seen);
        // init refuses it the same way and writes nothing.
        repo.agents(&["init", "--plan", &wild(file)])
            .fails(2)
            .says(seen);
        assert!(!repo.refs().contains("refs/agents/state"));
    }
}

#[test]
fn init_says_what_it_could_not_use_and_dry_run_changes_nothing() {
    let repo = Repo::new();
    let plan = wild("kavanaghpatrick__ar-compare-nextjs__AGENTIC_REBUILD_PLAN.md");
    let before = repo.refs();
    repo.agents(&["init", "--plan", &plan, "--dry-run"])
        .ok()
        .says("4 agents, 21 tasks, 11 h, 6 dependencies, 8 warnings")
        .says("agent-4-features waits for agent-3-pages  line 138")
        .says("Nothing changed");
    assert_eq!(repo.refs(), before);
    repo.agents(&["init", "--plan", &plan, "--strict"])
        .fails(2)
        .says("line 24: the worktree \"agent-1-foundation\" is outside worktrees/");
    assert_eq!(repo.refs(), before);
    repo.agents(&["init", "--plan", &plan])
        .ok()
        .says("Imported 4 agents")
        .says("warning: line 27: 7 list items under \"Ownership\" not taken as tasks");
}

#[test]
fn plan_check_shows_agents_dependencies_and_warnings_with_their_lines() {
    let repo = Repo::new();
    let plan = repo.tmp.path().join("plan.md");
    std::fs::write(
        &plan,
        "# Release\n\n## Wave 1\n\n### Agent 1: Parser\n**Branch:** `feat/parser` | **Time:** 4-6 hours\n\
         - [ ] Lexer\n- [ ] Grammar\n\n**Files:**\n- src/lex.rs\n\n\
         ### Agent 2: Docs\n**Worktree:** `../docs`\n- [ ] Guide (3 SP)\n\n\
         ## Wave 2\n\n### Agent 3: Release\n**Branch:** feat/release\n- [x] Notes (1h)\n",
    )
    .unwrap();
    let check = repo
        .agents(&["plan", "check", plan.to_str().unwrap(), "--color", "never"])
        .ok();
    let filters = crate::common::view_filters(&repo);
    let filters: Vec<(&str, &str)> = filters
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    insta::with_settings!({ filters => filters }, {
        insta::assert_snapshot!(check.stdout, @r#"
        [TMP]/plan.md: 3 agents, 4 tasks, 6 h, 2 dependencies, 4 warnings

        Agents
          parser-agent      line 5  feat/parser, 2 tasks, 5 h  Parser
          docs             line 13  agents/docs, 1 task, 0 h  Docs
          release-agent    line 19  feat/release, 1 task, 1 h  Release

        Dependencies
          release-agent waits for parser-agent  line 19 (order of waves or phases)
          release-agent waits for docs  line 19 (order of waves or phases)

        Warnings
          line 10: 1 list item under "Files" not taken as tasks (not a task list)
          line 13: docs has no estimates; its 1 task count as 0 h in the timeline
          line 14: the worktree "../docs" is outside worktrees/, where agents' worktrees live (excluded from git status); it goes to worktrees/docs
          line 15: "3 SP" is in story points, which measure size, not time; it counts as no estimate (set git config agents.hoursPerPoint to the hours in a point to read points)
        "#);
    });
}

#[test]
fn init_example_writes_the_example_and_imports_it() {
    let repo = Repo::new();
    repo.agents(&["init", "--example"])
        .ok()
        .says("Wrote the example plan to parallel-plan.md")
        .says("Imported 8 agents, 38 tasks, 230 h 5 min of work");
    let written = std::fs::read_to_string(repo.root.join("parallel-plan.md")).unwrap();
    let printed = repo.agents(&["plan", "example"]).ok().stdout;
    assert_eq!(written, printed);
    // A file of the user's own under that name is never overwritten.
    let other = Repo::new();
    std::fs::write(other.root.join("parallel-plan.md"), "# my notes\n").unwrap();
    other
        .agents(&["init", "--example"])
        .fails(2)
        .says("parallel-plan.md already exists and is not the example plan");
    assert_eq!(
        std::fs::read_to_string(other.root.join("parallel-plan.md")).unwrap(),
        "# my notes\n"
    );
    assert!(!other.refs().contains("refs/agents/state"));
}
