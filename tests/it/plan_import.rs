//! Importing, exporting and validating plans, and the dependency graph, through the library API.

use git_agents::plan::graph::*;
use git_agents::plan::*;

const EXAMPLE_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/parallel-plan.md");

use crate::common::EXAMPLE_AGENTS as EXAMPLE_NAMES;

fn example_text() -> String {
    std::fs::read_to_string(EXAMPLE_PATH).expect("the example plan is part of the crate")
}

fn example() -> Plan {
    Plan::parse(
        &example_text(),
        Format::Markdown,
        "examples/parallel-plan.md",
        "worktrees",
    )
    .expect("the example imports")
}

fn markdown(text: &str) -> Result<Plan, PlanError> {
    Plan::parse(text, Format::Markdown, "plan.md", "worktrees")
}

fn markdown_error(text: &str) -> String {
    markdown(text)
        .expect_err("the plan is rejected")
        .to_string()
}

fn toml_plan(text: &str) -> Result<Plan, PlanError> {
    Plan::parse(text, Format::Toml, "plan.toml", "worktrees")
}

fn agent(name: &str, depends_on: &[&str], hours: f64) -> AgentSpec {
    AgentSpec {
        name: name.to_owned(),
        title: String::new(),
        branch: format!("agents/{name}"),
        worktree: format!("worktrees/{name}"),
        depends_on: depends_on.iter().map(|d| (*d).to_owned()).collect(),
        tasks: vec![Task {
            title: "work".to_owned(),
            hours,
            done: false,
        }],
        command: None,
        cli: None,
    }
}

fn plan_of(agents: Vec<AgentSpec>) -> Plan {
    let mut plan = Plan::new("worktrees");
    plan.agents = agents;
    plan
}

#[test]
fn example_imports_with_every_number() {
    let plan = example();
    assert_eq!(plan.names(), EXAMPLE_NAMES);
    let branches: Vec<&str> = plan.agents.iter().map(|a| a.branch.as_str()).collect();
    assert_eq!(
        branches,
        [
            "feature/security-hardening",
            "feature/backend-architecture",
            "feature/frontend-improvements",
            "feature/rag-completion",
            "feature/devops-infrastructure",
            "feature/testing-coverage",
            "feature/documentation-updates",
            "feature/github-optimization",
        ]
    );
    for agent in &plan.agents {
        assert_eq!(agent.worktree, format!("worktrees/{}", agent.name));
    }
    assert_eq!(plan.agents[0].title, "Security Hardening");
    assert_eq!(plan.task_count(), 38);
    assert!((plan.total_hours() - (230.0 + 5.0 / 60.0)).abs() < 1e-9);
    assert_eq!(format_hours(plan.total_hours()), "230 h 5 min");
    let docs = plan.agent("docs-agent").expect("docs-agent exists");
    assert_eq!(
        docs.tasks[2],
        Task {
            title: "Add LICENSE".to_owned(),
            hours: 5.0 / 60.0,
            done: false
        }
    );
    for agent in &plan.agents {
        let expected: &[&str] = match agent.name.as_str() {
            "testing-agent" => &["backend-agent", "frontend-agent"],
            "docs-agent" => &["security-agent", "backend-agent", "rag-agent"],
            "github-agent" => &["backend-agent"],
            _ => &[],
        };
        assert_eq!(agent.depends_on, expected, "{}", agent.name);
    }
    assert_eq!(plan.merge.review_threshold, 10);
    assert_eq!(plan.merge.approvals, 1);
    assert!(plan.merge.require_tests);
    assert_eq!(plan.worktrees_dir, "worktrees");
}

#[test]
fn example_graph() {
    let plan = example();
    let graph = Graph::new(&plan);
    assert_eq!(graph.find_cycle(), None);
    assert_eq!(
        graph.phases(),
        vec![
            vec![
                "security-agent",
                "backend-agent",
                "frontend-agent",
                "rag-agent",
                "devops-agent"
            ],
            vec!["testing-agent", "docs-agent", "github-agent"],
        ]
    );
    assert_eq!(graph.topological_order(), EXAMPLE_NAMES);
    assert_eq!(
        graph.critical_path(),
        (vec!["backend-agent", "testing-agent"], 83.0)
    );
    assert_eq!(
        graph.dependents("backend-agent"),
        ["testing-agent", "docs-agent", "github-agent"]
    );
    assert_eq!(
        graph.transitive_dependencies("docs-agent"),
        ["security-agent", "backend-agent", "rag-agent"]
    );
    for parallel in [5, 8, 100] {
        let schedule = graph.schedule(parallel);
        assert_eq!(schedule.makespan, 83.0, "parallel {parallel}");
        assert_eq!(format_hours(schedule.sequential), "230 h 5 min");
        assert_eq!(schedule.slots.len(), 8);
    }
    let single = graph.schedule(1);
    assert!((single.makespan - single.sequential).abs() < 1e-9);
}

#[test]
fn example_round_trips_through_every_format() {
    let plan = example();
    for format in [Format::Markdown, Format::Toml, Format::Json] {
        let text = plan.export(format);
        let again =
            Plan::parse(&text, format, "exported", "elsewhere").expect("an export reads back");
        assert_eq!(again, plan, "{format:?}:\n{text}");
    }
}

#[test]
fn detects_formats() {
    let path = std::path::Path::new;
    assert_eq!(Format::detect(path("p.md"), ""), Some(Format::Markdown));
    assert_eq!(Format::detect(path("p.toml"), ""), Some(Format::Toml));
    let plan = example();
    for format in [Format::Markdown, Format::Toml, Format::Json] {
        assert_eq!(
            Format::detect(path("plan"), &plan.export(format)),
            Some(format)
        );
    }
}

#[test]
fn checked_boxes_are_done() {
    let plan = markdown("## a\n**Branch:** a\n**Tasks:**\n- [x] One (1h)\n* [X] Two (5 min)\n- [ ] Three (2d)\n+ [ ] Four\n")
        .expect("reads");
    let tasks = &plan.agents[0].tasks;
    let done: Vec<bool> = tasks.iter().map(|t| t.done).collect();
    assert_eq!(done, [true, true, false, false]);
    let hours: Vec<f64> = tasks.iter().map(|t| t.hours).collect();
    assert_eq!(hours, [1.0, 5.0 / 60.0, 16.0, 0.0]);
}

#[test]
fn any_heading_level_and_defaults_for_missing_lines() {
    let text = "# api-agent\nBranch: `api`\n\n###### db-agent\n**Worktree:** `trees/db/`\n\n\
                ### Agent 3: Search\n**Tasks:**\n- Index (2h)\n- Query (1h 30m)\n";
    let plan = markdown(text).expect("reads");
    assert_eq!(plan.names(), ["api-agent", "db", "search-agent"]);
    assert_eq!(plan.agents[0].worktree, "worktrees/api-agent");
    assert_eq!(plan.agents[1].branch, "agents/db");
    // A worktree outside the worktrees directory goes inside it (with a warning).
    assert_eq!(plan.agents[1].worktree, "worktrees/db");
    assert_eq!(plan.agents[2].title, "Search");
    assert_eq!(plan.agents[2].total_hours(), 3.5);
}

#[test]
fn explicit_name_lines_win() {
    let plan =
        markdown("## Agent 1: Security\n**Name:** sec\n**Worktree:** worktrees/security-agent/\n")
            .expect("reads");
    assert_eq!(plan.agents[0].name, "sec");
    assert_eq!(plan.agents[0].worktree, "worktrees/security-agent");
}

#[test]
fn dependencies_by_number_and_by_name() {
    let text = "\
## Agent 1: One
Branch: one
## Agent 2: Two
Branch: two
## Agent 3: Three
Branch: three
**Dependencies:** one-agent, two-agent
## Agent 4: Four
Branch: four
**Dependencies:**
- Needs Agent 2 & 3
## Agent 5: Five
Branch: five
**Dependencies:**
Needs agents 1 and 3
- Needs four-agent (after review)
## Agent 6: Six
Branch: six
Dependencies: None (runs alone)
";
    let plan = markdown(text).expect("reads");
    let depends_on: Vec<Vec<&str>> = plan
        .agents
        .iter()
        .map(|a| a.depends_on.iter().map(String::as_str).collect())
        .collect();
    assert_eq!(
        depends_on,
        [
            vec![],
            vec![],
            vec!["one-agent", "two-agent"],
            vec!["two-agent", "three-agent"],
            vec!["one-agent", "three-agent", "four-agent"],
            vec![],
        ]
    );
}

#[test]
fn json_dependency_blocks_are_unioned() {
    let text = "\
## a-agent
Branch: a
## b-agent
Branch: b
## c-agent
Branch: c
Dependencies: b-agent

```json
{ \"dependencies\": { \"c-agent\": [\"a-agent\"] } }
```

```json
{ \"dependencies\": { \"lodash\": \"^4.0\" } }
```
";
    let plan = markdown(text).expect("reads");
    assert_eq!(plan.agents[2].depends_on, ["a-agent", "b-agent"]);

    let unknown = text.replace("[\"a-agent\"]", "[\"a-agnt\"]");
    assert_eq!(
        markdown_error(&unknown),
        "plan.md: line 10: the json dependencies block makes c-agent depend on unknown agent a-agnt (did you mean a-agent?)"
    );
}

#[test]
fn fenced_blocks_never_make_agents() {
    let text = "## real-agent\nBranch: real\n\n```markdown\n## fake-agent\n**Branch:** fake\n**Tasks:**\n- [ ] Fake (1h)\n```\n";
    let plan = markdown(text).expect("reads");
    assert_eq!(plan.names(), ["real-agent"]);
    assert!(
        plan.agents[0]
            .tasks
            .iter()
            .all(|t| !t.title.contains("Fake")),
        "{:?}",
        plan.agents[0].tasks
    );
}

/// The warnings an import of `text` gives, as `line: message`.
fn warnings(text: &str) -> Vec<String> {
    Plan::import(text, Format::Markdown, "plan.md", "worktrees")
        .expect("the plan imports")
        .understanding
        .warnings
        .iter()
        .map(|w| format!("{}: {}", w.line.unwrap_or(0), w.message))
        .collect()
}

#[test]
fn what_cannot_be_read_is_a_warning_with_its_line() {
    assert_eq!(
        warnings("# Plan\n\n## a\nBranch: a\nTasks:\n- [ ] Fix (abc h) \n- [ ] Ship (1h)\n"),
        [
            "3: a: 1 of 2 tasks have no estimate",
            "6: cannot read the estimate (abc h) in task \"Fix (abc h)\"; write it as (8h), (4-6h), (30 min) or (2d)"
        ]
    );
    assert_eq!(
        warnings(
            "## Agent 1: A\nBranch: a\n## Agent 2: B\nBranch: b\n**Dependencies:**\n- Needs Agent 7\n"
        ),
        [
            "1: a-agent lists no tasks; its section is taken as one task, \"A\" (write **Tasks:** none for an agent without tasks)",
            "3: b-agent lists no tasks; its section is taken as one task, \"B\" (write **Tasks:** none for an agent without tasks)",
            "6: cannot tell which agent \"Needs Agent 7\" names; b-agent waits for nothing from it (write agent names, Agent N, or branches)"
        ]
    );
    assert_eq!(
        warnings(
            "## backend-agent\nBranch: a\nTasks: none\n## b\nBranch: b\nTasks: none\nDependencies: backend-agnt\n"
        ),
        [
            "7: cannot tell which agent \"backend-agnt\" names; b waits for nothing from it (did you mean backend-agent?)"
        ]
    );
    assert!(
        markdown_error("**Approvals:** many\n## a\nBranch: a\n")
            .starts_with("plan.md: line 1: approvals must be a whole number")
    );
}

#[test]
fn a_document_that_is_no_plan() {
    let readme = "# Project\n\nSome text with a [link](x).\n\n## Tasks\n\n- [ ] Write docs (2h)\n- [x] Ship\n\n\
                  ```json\n{\"dependencies\": {\"x\": [\"y\"]}}\n```\n\n| a | b |\n|---|---|\n";
    assert!(
        matches!(markdown(readme), Err(PlanError::NotAPlan { path, seen }) if path == "plan.md" && seen.contains("no agent"))
    );
    for odd in [
        "",
        "\n\n",
        "#",
        "```",
        "```json\n{",
        "- [ ] (",
        "## \u{0}\u{7f}",
        "**Branch:**",
        "**",
        "(((8h)",
    ] {
        assert!(markdown(odd).is_err(), "{odd:?}");
    }
}

#[test]
fn unicode_lookalike_names_are_rejected() {
    let lookalike = "b\u{0430}ckend-agent";
    let error = validate_agent_name(lookalike)
        .expect_err("a Cyrillic a is rejected")
        .to_string();
    assert!(
        error.contains("U+0430") && error.contains("look like Latin"),
        "{error}"
    );
    let text = format!("## backend\n**Name:** {lookalike}\nBranch: be\n");
    assert!(
        matches!(markdown(&text), Err(PlanError::InvalidName { name, .. }) if name == lookalike)
    );
}

#[test]
fn overlong_names_are_rejected() {
    let long = "a".repeat(300);
    let error = validate_agent_name(&long)
        .expect_err("too long")
        .to_string();
    assert!(
        error.contains("300 characters") && error.contains("at most 64"),
        "{error}"
    );
    let plan = plan_of(vec![agent(&long, &[], 1.0)]);
    assert!(matches!(
        plan.validate(),
        Err(PlanError::InvalidName { .. })
    ));
}

#[test]
fn bad_branch_names_are_rejected() {
    for branch in [
        "feature/a..b",
        "-x",
        "a.lock",
        "a b",
        "a~1",
        "a:b",
        "a//b",
        "a/",
        "@",
        "x@{1}",
        ".hidden",
        "a/.b",
        "a.",
    ] {
        let mut plan = plan_of(vec![agent("a", &[], 1.0)]);
        plan.agents[0].branch = branch.to_owned();
        match plan.validate() {
            Err(PlanError::InvalidBranch { agent, name, .. }) => {
                assert_eq!((agent.as_str(), name.as_str()), ("a", branch))
            }
            other => panic!("{branch:?} gave {other:?}"),
        }
    }
    assert!(validate_branch_name("a", "feature/ok-1.2").is_ok());
}

#[test]
fn cycles_are_reported_as_a_path() {
    let plan = plan_of(vec![agent("a", &["b"], 1.0), agent("b", &["a"], 1.0)]);
    assert_eq!(
        plan.validate().expect_err("a cycle").to_string(),
        "dependency cycle: a → b → a"
    );
    let text = "## a\nBranch: a\nDependencies: b\n## b\nBranch: b\nDependencies: c\n## c\nBranch: c\nDependencies: a\n";
    assert_eq!(markdown_error(text), "dependency cycle: a → b → c → a");
}

#[test]
fn self_dependency_is_reported() {
    let plan = plan_of(vec![agent("a", &["a"], 1.0)]);
    assert!(matches!(plan.validate(), Err(PlanError::SelfDependency(name)) if name == "a"));
    assert_eq!(
        Graph::new(&plan).find_cycle(),
        Some(vec!["a".to_owned(), "a".to_owned()])
    );
    assert_eq!(
        warnings(
            "## Agent 1: A\n**Worktree:** worktrees/a\n**Dependencies:** Agent 1\n**Tasks:** none\n"
        ),
        ["3: a names itself among what it waits for; that is left out"]
    );
}

#[test]
fn unknown_dependencies_get_a_suggestion() {
    let text = "[[agents]]\nname = \"backend-agent\"\n\n[[agents]]\nname = \"testing-agent\"\ndepends_on = [\"backend-agnt\"]\n";
    assert_eq!(
        toml_plan(text).expect_err("unknown dependency").to_string(),
        "agent testing-agent depends on unknown agent backend-agnt (did you mean backend-agent?)"
    );
    let plan = plan_of(vec![agent("a", &["zzzzzzzz"], 1.0)]);
    assert_eq!(
        plan.validate().expect_err("unknown").to_string(),
        "agent a depends on unknown agent zzzzzzzz"
    );
}

#[test]
fn toml_unknown_keys_are_errors() {
    let error = toml_plan("worktree_dir = \"w\"\n")
        .expect_err("unknown key")
        .to_string();
    assert!(
        error.starts_with(
            "plan.toml: invalid TOML plan: line 1, column 1: unknown field `worktree_dir`"
        ),
        "{error}"
    );
    assert!(matches!(
        toml_plan("base = \"main\"\n"),
        Err(PlanError::Empty(_))
    ));
}

#[test]
fn ten_thousand_agents() {
    let names: Vec<String> = (0..10_000).map(|i| format!("agent-{i}")).collect();
    let agents = names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let depends_on: Vec<&str> = [i.checked_sub(7), i.checked_sub(1)]
                .into_iter()
                .flatten()
                .map(|d| names[d].as_str())
                .collect();
            agent(name, &depends_on, 1.0)
        })
        .collect();
    let plan = plan_of(agents);
    plan.validate().expect("a long chain is valid");
    let graph = Graph::new(&plan);
    assert_eq!(graph.phases().len(), 10_000);
    assert_eq!(graph.critical_path().1, 10_000.0);
    assert_eq!(graph.schedule(8).makespan, 10_000.0);
    for format in [Format::Markdown, Format::Toml] {
        let again = Plan::parse(&plan.export(format), format, "big", "worktrees")
            .expect("the export reads back");
        assert!(
            again == plan,
            "{format:?} export of 10,000 agents reads back differently"
        );
    }
}

/// A small deterministic generator, so property checks need no extra crate.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, bound: usize) -> usize {
        (self.next() % bound.max(1) as u64) as usize
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const TITLE_PIECES: [&str; 20] = [
    "#",
    "Agent 2:",
    ": x",
    "**Branch:** b",
    "- [ ]",
    "Needs Agent 9",
    "Fix",
    "the",
    "API",
    "(service layer)",
    "(5 min)",
    "(abc h)",
    "f(x)",
    "a) b",
    "`code`",
    "**bold**",
    "Über",
    "C#",
    "[link](x)",
    "100%",
];

fn title(random: &mut Random) -> String {
    let words: Vec<&str> = (0..random.below(5))
        .map(|_| random.pick(&TITLE_PIECES))
        .collect();
    words.join(" ")
}

fn hours(random: &mut Random) -> f64 {
    match random.below(5) {
        0 => 0.0,
        1 => random.below(40) as f64,
        2 => random.below(600) as f64 / 60.0,
        3 => random.below(1000) as f64 / 8.0,
        _ => (random.next() % 1_000_000) as f64 / 7919.0,
    }
}

fn random_plan(random: &mut Random, size: usize) -> Plan {
    let mut plan = Plan::new(random.pick(&["worktrees", "build/trees", ".agents"]));
    plan.base = random
        .chance(50)
        .then(|| random.pick(&["main", "release/1.0", "develop"]).to_owned());
    plan.forge = [None, Some(ForgeKind::Local), Some(ForgeKind::Github)][random.below(3)];
    plan.test_command = random.chance(50).then(|| {
        random
            .pick(&["cargo test", "echo `date` && make", "` odd `"])
            .to_owned()
    });
    plan.review_command = random.chance(30).then(|| "review --score".to_owned());
    plan.fix_command = random.chance(30).then(|| "fix \"all\"".to_owned());
    plan.merge.method =
        [MergeMethod::Squash, MergeMethod::Merge, MergeMethod::Rebase][random.below(3)];
    plan.merge.require_tests = random.chance(50);
    plan.merge.review_threshold = random.below(11) as u32;
    plan.merge.approvals = random.below(3) as u32;
    plan.merge.max_review_iterations = random.below(9) as u32;
    let names: Vec<String> = (0..size)
        .map(|i| format!("{}-{i}", random.pick(&["agent", "none", "x", "Agent"])))
        .collect();
    let rank: Vec<usize> = {
        let mut rank: Vec<usize> = (0..size).collect();
        for i in (1..size).rev() {
            rank.swap(i, random.below(i + 1));
        }
        rank
    };
    for (i, name) in names.iter().enumerate() {
        let depends_on: Vec<String> = (0..size)
            .filter(|&j| rank[j] < rank[i] && random.chance(25))
            .map(|j| names[j].clone())
            .collect();
        let worktree = match random.below(2) {
            0 => plan.default_worktree(name),
            _ => format!("{}/with space/{name}-wt", plan.worktrees_dir),
        };
        plan.agents.push(AgentSpec {
            name: name.clone(),
            title: title(random),
            branch: format!("{}/{name}", random.pick(&["feature", "agents", "fix/deep"])),
            worktree,
            depends_on,
            tasks: (0..random.below(5))
                .map(|_| Task {
                    title: title(random),
                    hours: hours(random),
                    done: random.chance(30),
                })
                .collect(),
            command: random.chance(30).then(|| {
                random
                    .pick(&["claude -p \"go\"", "run `x`", "a  b"])
                    .to_owned()
            }),
            cli: None,
        });
    }
    plan
}

#[test]
fn random_plans_round_trip_through_markdown_and_toml() {
    let mut random = Random(7);
    for round in 0..300 {
        let size = random.below(12);
        let plan = random_plan(&mut random, size);
        if size > 0 {
            plan.validate().expect("generated plans are valid");
        }
        for format in [Format::Markdown, Format::Toml] {
            let text = plan.export(format);
            let again = Plan::parse(&text, format, "random", "other");
            if size == 0 {
                assert!(matches!(
                    again,
                    Err(PlanError::Empty(_) | PlanError::NotAPlan { .. })
                ));
            } else {
                assert_eq!(
                    again.expect("the export reads back"),
                    plan,
                    "round {round}, {format:?}:\n{text}"
                );
            }
        }
    }
}

#[test]
fn random_graphs_keep_their_properties() {
    let mut random = Random(42);
    for _ in 0..300 {
        let size = 1 + random.below(30);
        let plan = random_plan(&mut random, size);
        let graph = Graph::new(&plan);
        assert_eq!(graph.find_cycle(), None);
        let position = |name: &str| {
            plan.agents
                .iter()
                .position(|a| a.name == name)
                .expect("a plan agent")
        };

        let order = graph.topological_order();
        assert_eq!(order.len(), size);
        let place: Vec<usize> = (0..size)
            .map(|i| {
                order
                    .iter()
                    .position(|n| *n == plan.agents[i].name)
                    .expect("ordered")
            })
            .collect();
        for (i, agent) in plan.agents.iter().enumerate() {
            for dependency in &agent.depends_on {
                assert!(place[position(dependency)] < place[i]);
            }
        }

        let phases = graph.phases();
        let mut phase_of = vec![usize::MAX; size];
        for (phase, names) in phases.iter().enumerate() {
            assert!(!names.is_empty());
            let positions: Vec<usize> = names.iter().map(|n| position(n)).collect();
            assert!(
                positions.windows(2).all(|w| w[0] < w[1]),
                "each phase is in plan order"
            );
            for p in positions {
                phase_of[p] = phase;
            }
        }
        for (i, agent) in plan.agents.iter().enumerate() {
            let earliest = agent
                .depends_on
                .iter()
                .map(|d| phase_of[position(d)] + 1)
                .max()
                .unwrap_or(0);
            assert_eq!(phase_of[i], earliest, "phases are minimal");
        }

        let (chain, chain_hours) = graph.critical_path();
        for pair in chain.windows(2) {
            assert!(
                plan.agents[position(pair[1])]
                    .depends_on
                    .iter()
                    .any(|d| d == pair[0])
            );
        }
        let sum: f64 = chain
            .iter()
            .map(|n| plan.agents[position(n)].total_hours())
            .sum();
        assert!((sum - chain_hours).abs() < 1e-6);
        let mut longest = vec![0.0f64; size];
        for name in &order {
            let i = position(name);
            let before = plan.agents[i]
                .depends_on
                .iter()
                .map(|d| longest[position(d)])
                .fold(0.0, f64::max);
            longest[i] = before + plan.agents[i].total_hours();
        }
        let expected = longest.iter().copied().fold(0.0, f64::max);
        assert!((expected - chain_hours).abs() < 1e-6);

        for parallel in [1, 2, 3, size] {
            let schedule = graph.schedule(parallel);
            assert_eq!(schedule.slots.len(), size);
            let mut end_of = vec![f64::NAN; size];
            for slot in &schedule.slots {
                assert!(slot.slot < parallel);
                end_of[position(&slot.name)] = slot.end;
            }
            for slot in &schedule.slots {
                let agent = &plan.agents[position(&slot.name)];
                assert!((slot.end - slot.start - agent.total_hours()).abs() < 1e-6);
                for dependency in &agent.depends_on {
                    assert!(
                        end_of[position(dependency)] <= slot.start + 1e-9,
                        "dependencies end first"
                    );
                }
                for other in &schedule.slots {
                    let overlaps = other.slot == slot.slot
                        && other.name != slot.name
                        && other.start < slot.end
                        && slot.start < other.end;
                    assert!(!overlaps, "one agent at a time per slot");
                }
            }
            assert!(schedule.makespan + 1e-6 >= chain_hours);
            assert!(schedule.makespan <= schedule.sequential + 1e-6);
            if parallel >= size {
                assert!((schedule.makespan - chain_hours).abs() < 1e-6);
            }
        }

        let last = order[size - 1];
        let start = graph
            .transitive_dependencies(last)
            .first()
            .copied()
            .unwrap_or(last);
        let mut cyclic = plan.clone();
        cyclic.agents[position(start)]
            .depends_on
            .push(last.to_owned());
        let cycle = Graph::new(&cyclic)
            .find_cycle()
            .expect("a back edge makes a cycle");
        assert_eq!(cycle.first(), cycle.last());
        for pair in cycle.windows(2) {
            assert!(
                cyclic.agents[position(&pair[0])]
                    .depends_on
                    .iter()
                    .any(|d| *d == pair[1])
            );
        }
    }
}

const FRAGMENTS: [&str; 40] = [
    "# ",
    "## ",
    "###### ",
    "Agent 1: ",
    "Agent ",
    "**Branch:** ",
    "Branch: ",
    "**Worktree:** ",
    "**Name:** ",
    "**Tasks:**",
    "**Dependencies:** ",
    "Dependencies:",
    "- [ ] ",
    "- [x] ",
    "* ",
    "1. ",
    "(8h)",
    "(5 min)",
    "(abc h)",
    "(é h)",
    "Needs Agent 2 & 3",
    "None",
    "backend-agent",
    "`",
    "```",
    "```json",
    "```yaml",
    "auto_merge:",
    "review_score: x",
    "{\"dependencies\": {\"a\": [\"b\"]}}",
    "**Approvals:** 2",
    "**Forge:** local",
    "é",
    "\u{0}",
    "    ",
    "\t",
    "#",
    "(",
    ")",
    "\n",
];

#[test]
fn arbitrary_documents_never_panic() {
    let mut random = Random(99);
    for _ in 0..3000 {
        let mut text = String::new();
        for _ in 0..random.below(60) {
            text.push_str(random.pick(&FRAGMENTS));
            if random.chance(40) {
                text.push('\n');
            }
        }
        let _ = Plan::parse(&text, Format::Toml, "fuzz.toml", "worktrees");
        let _ = parse_estimate(&text);
        if let Ok(plan) = Plan::parse(&text, Format::Markdown, "fuzz.md", "worktrees") {
            let again = Plan::parse(
                &plan.export(Format::Markdown),
                Format::Markdown,
                "again.md",
                "worktrees",
            );
            assert!(
                again.is_ok(),
                "an imported plan exports to Markdown that reads back:\n{text}"
            );
        }
    }
}
