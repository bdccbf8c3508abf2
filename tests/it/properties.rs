//! Property tests: the plan importers and the state decoders never panic on any input,
//! generated valid plans survive export and import in every format, and the dependency
//! graph's answers hold for every graph.
//!
//! The default run tries 64 cases per property; `PROPTEST_CASES=N` runs longer.

use std::collections::{BTreeMap, BTreeSet};

use git_agents::plan::graph::Graph;
use git_agents::plan::{AgentSpec, ForgeKind, Format, MergeMethod, Plan, PortSettings, Task};
use git_agents::state::{decode_agent, decode_plan};
use proptest::prelude::*;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(64),
        ..ProptestConfig::default()
    }
}

/// Lines that look like the parts of a Markdown plan, to reach deep into the parser.
fn markdown_line() -> impl Strategy<Value = String> {
    prop_oneof![
        "#{1,4} (Agent [0-9]{1,2}: )?[A-Za-z -]{0,12}",
        "\\*\\*(Branch|Worktree|Name|Dependencies|Depends on|Base|Estimate|Command):\\*\\* `?[a-z0-9/ ,.-]{0,16}`?",
        "(Branch|Worktree|Dependencies|Base): [A-Za-z0-9/ ,.-]{0,16}",
        "- \\[[ xX]\\] [A-Za-z ()0-9.]{0,20}(\\([0-9.]{1,4} ?(h|min|d|hours|m)\\))?",
        "[0-9]\\. [A-Za-z ()]{0,16}",
        "```(json|toml)?",
        "\\{\"dependencies\": \\{\"[a-z-]{1,8}\": \\[\"[a-z-]{0,8}\"\\]\\}\\}",
        "\\| [a-z]{0,5} \\| [0-9h ]{0,5} \\|",
        "\\PC{0,30}",
        Just(String::new()),
    ]
}

fn markdown_document() -> impl Strategy<Value = String> {
    prop::collection::vec(markdown_line(), 0..40).prop_map(|lines| lines.join("\n"))
}

fn toml_document() -> impl Strategy<Value = String> {
    let line = prop_oneof![
        Just("[[agents]]".to_owned()),
        Just("[merge]".to_owned()),
        "name = \"[a-z0-9.-]{0,10}\"",
        "branch = \"[a-z0-9/.@{}-]{0,10}\"",
        "worktree = \"[a-z0-9/. ]{0,10}\"",
        "depends_on = \\[(\"[a-z0-9-]{0,6}\", ?){0,3}\\]",
        "tasks = \\[(\"[A-Za-z ]{0,8}(\\([0-9.]{1,3} ?(h|min|d)\\))?\", ?){0,3}\\]",
        "(base|worktrees_dir|forge|test_command) = \"[a-z/ ]{0,8}\"",
        "(approvals|review_threshold|max_review_iterations) = -?[0-9]{1,3}",
        "method = \"(squash|merge|rebase|other)\"",
        "\\PC{0,20}",
    ];
    prop::collection::vec(line, 0..30).prop_map(|lines| lines.join("\n"))
}

/// A valid agent name.
fn name() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9_-]{0,10}"
}

fn title() -> impl Strategy<Value = String> {
    prop_oneof![
        "[A-Za-z0-9 ]{0,20}",
        "[A-Za-z (),.:#*`\\[\\]%-]{0,24}",
        "[a-zäöüéßΜλ€ ]{0,12}",
    ]
    .prop_map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// A command as people set them: one line, or a script of several lines.
fn command() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z][a-z \"`|&-]{0,12}",
        "[a-z]{1,6}( [a-z\"`-]{1,6}){0,2}\n[a-z ]{1,8}(\n  [a-z`]{1,6})?",
    ]
}

fn hours() -> impl Strategy<Value = f64> {
    prop_oneof![
        Just(0.0),
        (0u32..200).prop_map(f64::from),
        (0u32..6000).prop_map(|m| f64::from(m) / 60.0),
        (0u32..4000).prop_map(|e| f64::from(e) / 8.0),
    ]
}

/// A valid plan: unique names, branches and worktrees, dependencies only on agents
/// earlier in a random order (so never a cycle).
fn valid_plan() -> impl Strategy<Value = Plan> {
    let agent = (
        title(),
        prop::sample::select(vec!["feature", "agents", "fix/deep", "x.y"]),
        prop::collection::vec((title(), hours(), any::<bool>()), 0..5),
        prop::option::of(prop_oneof![
            "[a-z \"`-]{1,12}",
            "[a-z]{1,6}( [a-z\"`-]{1,6}){0,2}\n[a-z ]{1,8}(\n  [a-z`]{1,6})?",
        ]),
        0usize..3,
    );
    (
        prop::collection::btree_set(name(), 1..10),
        prop::collection::vec(agent, 10),
        prop::collection::vec(any::<prop::sample::Index>(), 0..20),
        (
            prop::sample::select(vec!["worktrees", "build/trees", ".agents"]),
            prop::option::of(prop::sample::select(vec!["main", "release/1.0"])),
            prop::option::of(prop::sample::select(vec![
                ForgeKind::Local,
                ForgeKind::Github,
            ])),
            prop::sample::select(vec![
                MergeMethod::Squash,
                MergeMethod::Merge,
                MergeMethod::Rebase,
            ]),
            (any::<bool>(), 0u32..11, 0u32..9, 0u32..3),
            prop::option::of("[a-z &|`-]{1,16}"),
            (
                any::<bool>(),
                prop::option::of(command()),
                prop::option::of(command()),
                prop::option::of(command()),
                prop::collection::vec("[a-z][a-z._-]{0,8}(/[a-z]{1,5})?", 0..3),
                prop::option::of(1u16..u16::MAX),
            ),
            (
                prop::option::of(command()),
                prop::option::of(command()),
                prop::option::of(command()),
            ),
        ),
    )
        .prop_map(|(names, agents, edges, settings)| {
            let (
                dir,
                base,
                forge,
                method,
                (tests, threshold, iterations, approvals),
                test,
                (tasks_done, review, fix, setup, copy, port),
                (teardown, pre_merge, post_merge),
            ) = settings;
            let mut plan = Plan::new(dir);
            plan.merge.require_tasks_done = tasks_done;
            plan.review_command = review;
            plan.fix_command = fix;
            plan.setup = setup;
            plan.teardown = teardown;
            plan.pre_merge = pre_merge;
            plan.post_merge = post_merge;
            plan.copy = copy;
            plan.ports = port.map(|base| PortSettings { base });
            plan.base = base.map(str::to_owned);
            plan.forge = forge;
            plan.test_command = test;
            plan.merge.method = method;
            plan.merge.require_tests = tests;
            plan.merge.review_threshold = threshold;
            plan.merge.max_review_iterations = iterations;
            plan.merge.approvals = approvals;
            let names: Vec<String> = names.into_iter().collect();
            for (i, name) in names.iter().enumerate() {
                let (title, prefix, tasks, command, worktree) = agents[i].clone();
                // Worktrees live under the worktrees directory: Markdown moves any other there.
                let worktree = match worktree {
                    0 => plan.default_worktree(name),
                    _ => format!("{}/with space/{name}-wt", plan.worktrees_dir),
                };
                plan.agents.push(AgentSpec {
                    name: name.clone(),
                    title,
                    branch: format!("{prefix}/{name}"),
                    worktree,
                    depends_on: Vec::new(),
                    tasks: tasks
                        .into_iter()
                        .map(|(title, hours, done)| Task { title, hours, done })
                        .collect(),
                    cli: command
                        .is_none()
                        .then(|| ["claude", "codex", "my-agent"][i % 3].to_owned()),
                    command,
                });
            }
            let count = names.len();
            let mut deps: BTreeMap<usize, BTreeSet<usize>> = BTreeMap::new();
            for pair in edges.chunks(2) {
                if let [a, b] = pair {
                    let (a, b) = (a.index(count), b.index(count));
                    if a != b {
                        deps.entry(a.max(b)).or_default().insert(a.min(b));
                    }
                }
            }
            for (agent, on) in deps {
                plan.agents[agent].depends_on = on.into_iter().map(|d| names[d].clone()).collect();
            }
            plan
        })
}

/// A graph of up to 24 agents with arbitrary edges, cycles and self-loops included.
fn any_graph() -> impl Strategy<Value = Plan> {
    (
        1usize..24,
        prop::collection::vec((0usize..24, 0usize..24), 0..60),
    )
        .prop_map(|(count, edges)| {
            let mut plan = Plan::new("worktrees");
            for i in 0..count {
                plan.agents.push(AgentSpec {
                    name: format!("n{i}"),
                    title: String::new(),
                    branch: format!("b/{i}"),
                    worktree: format!("w/{i}"),
                    depends_on: Vec::new(),
                    tasks: vec![Task {
                        title: "t".to_owned(),
                        hours: (i % 5) as f64,
                        done: false,
                    }],
                    command: None,
                    cli: None,
                });
            }
            for (from, to) in edges {
                let (from, to) = (from % count, to % count);
                let dependency = format!("n{to}");
                if !plan.agents[from].depends_on.contains(&dependency) {
                    plan.agents[from].depends_on.push(dependency);
                }
            }
            plan
        })
}

/// Whether every agent can be ordered (Kahn's algorithm), computed independently of `Graph`.
fn acyclic(plan: &Plan) -> bool {
    let index: BTreeMap<&str, usize> = plan
        .agents
        .iter()
        .enumerate()
        .map(|(i, a)| (a.name.as_str(), i))
        .collect();
    let mut waiting: Vec<usize> = plan.agents.iter().map(|a| a.depends_on.len()).collect();
    let mut ready: Vec<usize> = (0..waiting.len()).filter(|&i| waiting[i] == 0).collect();
    let mut placed = 0;
    while let Some(node) = ready.pop() {
        placed += 1;
        for (i, agent) in plan.agents.iter().enumerate() {
            for dependency in &agent.depends_on {
                if index[dependency.as_str()] == node {
                    waiting[i] -= 1;
                    if waiting[i] == 0 {
                        ready.push(i);
                    }
                }
            }
        }
    }
    placed == plan.agents.len()
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn markdown_import_never_panics_and_what_it_accepts_round_trips(text in prop_oneof![markdown_document(), any::<String>()]) {
        if let Ok(plan) = Plan::parse(&text, Format::Markdown, "plan.md", "worktrees") {
            prop_assert!(plan.validate().is_ok());
            let exported = plan.export(Format::Markdown);
            let again = Plan::parse(&exported, Format::Markdown, "again.md", "worktrees");
            prop_assert_eq!(again.ok(), Some(plan), "{}", exported);
        }
    }

    #[test]
    fn toml_import_never_panics_and_what_it_accepts_round_trips(text in prop_oneof![toml_document(), any::<String>()]) {
        if let Ok(plan) = Plan::parse(&text, Format::Toml, "plan.toml", "worktrees") {
            prop_assert!(plan.validate().is_ok());
            let exported = plan.export(Format::Toml);
            let again = Plan::parse(&exported, Format::Toml, "again.toml", "worktrees");
            prop_assert_eq!(again.ok(), Some(plan), "{}", exported);
        }
    }

    #[test]
    fn json_import_never_panics(text in any::<String>()) {
        let _ = Plan::parse(&text, Format::Json, "plan.json", "worktrees");
    }

    #[test]
    fn valid_plans_survive_export_and_import_in_every_format(plan in valid_plan()) {
        prop_assert!(plan.validate().is_ok(), "{:?}", plan.validate());
        for format in [Format::Markdown, Format::Toml, Format::Json] {
            let text = plan.export(format);
            match Plan::parse(&text, format, "export", "elsewhere") {
                Ok(again) => prop_assert_eq!(again, plan.clone(), "{:?}:\n{}", format, text),
                Err(e) => prop_assert!(false, "{:?} export does not import: {}\n{}", format, e, text),
            }
        }
    }

    #[test]
    fn state_documents_of_any_bytes_decode_or_fail_cleanly(bytes in prop_oneof![
        prop::collection::vec(any::<u8>(), 0..512),
        "\\{\"version\": ?-?[0-9]{1,20}(, ?\"agents\": ?\\[\\])?\\}".prop_map(String::into_bytes),
        "\\{\"status\": ?\"[a-z_]{0,12}\"(, ?\"done_tasks\": ?\\[-?[0-9]{1,20}\\])?(, ?\"current_task\": ?-?[0-9]{1,3})?\\}".prop_map(String::into_bytes),
    ]) {
        let _ = decode_plan(&bytes);
        let _ = decode_agent("agents/x.json", &bytes);
    }

    #[test]
    fn every_cycle_is_found_and_every_order_respects_dependencies(plan in any_graph()) {
        let mut plan = plan;
        let mut removed = 0;
        while let Some(cycle) = Graph::new(&plan).find_cycle() {
            prop_assert!(cycle.len() >= 2 && cycle.first() == cycle.last(), "{:?}", cycle);
            for pair in cycle.windows(2) {
                let from = plan.agent(&pair[0]).expect("a plan agent");
                prop_assert!(from.depends_on.contains(&pair[1]), "{} → {} is no edge", pair[0], pair[1]);
            }
            let last = &cycle[cycle.len() - 2];
            let broken = cycle[cycle.len() - 1].clone();
            plan.agent_mut(last).expect("a plan agent").depends_on.retain(|d| *d != broken);
            removed += 1;
            prop_assert!(removed <= 60);
        }
        prop_assert!(acyclic(&plan), "find_cycle missed a cycle");

        let graph = Graph::new(&plan);
        let order = graph.topological_order();
        prop_assert_eq!(order.len(), plan.agents.len());
        let place: BTreeMap<&str, usize> = order.iter().enumerate().map(|(i, n)| (*n, i)).collect();
        prop_assert_eq!(place.len(), plan.agents.len());
        for agent in &plan.agents {
            for dependency in &agent.depends_on {
                prop_assert!(place[dependency.as_str()] < place[agent.name.as_str()]);
            }
        }

        let phases = graph.phases();
        let phase_of: BTreeMap<&str, usize> = phases
            .iter()
            .enumerate()
            .flat_map(|(p, names)| names.iter().map(move |n| (*n, p)))
            .collect();
        prop_assert_eq!(phase_of.len(), plan.agents.len());
        prop_assert!(phases.iter().all(|p| !p.is_empty()));
        for agent in &plan.agents {
            let wanted = agent
                .depends_on
                .iter()
                .map(|d| phase_of[d.as_str()] + 1)
                .max()
                .unwrap_or(0);
            prop_assert_eq!(phase_of[agent.name.as_str()], wanted, "{} is in the earliest phase its dependencies allow", agent.name);
        }
    }
}
