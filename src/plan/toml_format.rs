//! TOML plans: a format pleasant to write by hand, read strictly (unknown keys are errors).

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};

use super::hours::{join_estimate, split_estimate};
use super::{AgentSpec, ForgeKind, MergeMethod, Plan, PlanError, Task};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PlanFile {
    base: Option<String>,
    worktrees_dir: Option<String>,
    forge: Option<ForgeKind>,
    test_command: Option<String>,
    review_command: Option<String>,
    fix_command: Option<String>,
    #[serde(default)]
    merge: MergeFile,
    #[serde(default)]
    agents: Vec<AgentFile>,
    #[serde(default)]
    copy: Vec<String>,
    setup: Option<String>,
    teardown: Option<String>,
    pre_merge: Option<String>,
    post_merge: Option<String>,
    ports: Option<PortsFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PortsFile {
    base: u16,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct MergeFile {
    method: Option<MergeMethod>,
    require_tests: Option<bool>,
    require_tasks_done: Option<bool>,
    review_threshold: Option<u32>,
    max_review_iterations: Option<u32>,
    approvals: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AgentFile {
    name: String,
    #[serde(default)]
    title: String,
    branch: Option<String>,
    worktree: Option<String>,
    #[serde(default, alias = "dependencies")]
    depends_on: Vec<String>,
    #[serde(default)]
    tasks: Vec<TaskEntry>,
    command: Option<String>,
    cli: Option<String>,
}

/// A task written as `"Title (8h)"` or as `{ title = "Title", hours = 8, done = true }`.
enum TaskEntry {
    Line(String),
    Table(TaskTable),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TaskTable {
    title: String,
    #[serde(default)]
    hours: f64,
    #[serde(default)]
    done: bool,
}

impl<'de> Deserialize<'de> for TaskEntry {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EntryVisitor;

        impl<'de> Visitor<'de> for EntryVisitor {
            type Value = TaskEntry;

            fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                formatter.write_str(
                    "a task: \"Title (8h)\" or { title = \"Title\", hours = 8, done = false }",
                )
            }

            fn visit_str<E: de::Error>(self, value: &str) -> Result<TaskEntry, E> {
                Ok(TaskEntry::Line(value.to_owned()))
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<TaskEntry, A::Error> {
                TaskTable::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(TaskEntry::Table)
            }
        }

        deserializer.deserialize_any(EntryVisitor)
    }
}

/// Read a TOML plan; a missing branch is `agents/<name>`, a missing worktree `<worktrees_dir>/<name>`.
pub(super) fn parse(text: &str, path: &str, worktrees_dir: &str) -> Result<Plan, PlanError> {
    let error = |message: String| PlanError::Toml {
        path: path.to_owned(),
        message,
    };
    let file: PlanFile = toml::from_str(text).map_err(|e| error(describe(text, &e)))?;
    let mut plan = Plan::new(file.worktrees_dir.as_deref().unwrap_or(worktrees_dir));
    plan.base = file.base;
    plan.forge = file.forge;
    plan.test_command = file.test_command;
    plan.review_command = file.review_command;
    plan.fix_command = file.fix_command;
    plan.copy = file.copy;
    plan.setup = file.setup;
    plan.teardown = file.teardown;
    plan.pre_merge = file.pre_merge;
    plan.post_merge = file.post_merge;
    plan.ports = file.ports.map(|p| super::PortSettings { base: p.base });
    let merge = &mut plan.merge;
    merge.method = file.merge.method.unwrap_or(merge.method);
    merge.require_tests = file.merge.require_tests.unwrap_or(merge.require_tests);
    merge.require_tasks_done = file
        .merge
        .require_tasks_done
        .unwrap_or(merge.require_tasks_done);
    merge.review_threshold = file
        .merge
        .review_threshold
        .unwrap_or(merge.review_threshold);
    merge.max_review_iterations = file
        .merge
        .max_review_iterations
        .unwrap_or(merge.max_review_iterations);
    merge.approvals = file.merge.approvals.unwrap_or(merge.approvals);
    for agent in file.agents {
        let mut tasks = Vec::with_capacity(agent.tasks.len());
        for entry in agent.tasks {
            tasks.push(match entry {
                TaskEntry::Line(line) => {
                    let (title, hours) = split_estimate(&line).map_err(|unreadable| {
                        error(format!(
                            "{}agent {}: cannot read the estimate ({unreadable}) in task {line:?}; \
                             write it as (8h), (1.5h), (30 min) or (2d)",
                            line_prefix(text, &quoted(&line)),
                            agent.name
                        ))
                    })?;
                    Task { title, hours: hours.unwrap_or(0.0), done: false }
                }
                TaskEntry::Table(table) => {
                    if !table.hours.is_finite() || table.hours < 0.0 {
                        return Err(error(format!(
                            "{}agent {}: task {:?} has hours = {}; hours must be a number of 0 or more",
                            line_prefix(text, &quoted(&table.title)),
                            agent.name,
                            table.title,
                            table.hours
                        )));
                    }
                    Task { title: table.title, hours: table.hours, done: table.done }
                }
            });
        }
        plan.agents.push(AgentSpec {
            branch: agent
                .branch
                .unwrap_or_else(|| format!("agents/{}", agent.name)),
            worktree: agent
                .worktree
                .unwrap_or_else(|| plan.default_worktree(&agent.name)),
            name: agent.name,
            title: agent.title,
            depends_on: agent.depends_on,
            tasks,
            command: agent.command,
            cli: agent.cli,
        });
    }
    Ok(plan)
}

/// The TOML parser's message with the line and column it points at.
fn describe(text: &str, error: &toml::de::Error) -> String {
    let message = error.message().trim();
    match error.span() {
        Some(span) => {
            let (line, column) = line_and_column(text, span.start);
            format!("line {line}, column {column}: {message}")
        }
        None => message.to_owned(),
    }
}

fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// `line N: ` for the first line holding `needle`, or nothing when it is not found.
fn line_prefix(text: &str, needle: &str) -> String {
    text.find(needle)
        .map(|offset| format!("line {}: ", line_and_column(text, offset).0))
        .unwrap_or_default()
}

/// Write `plan` as TOML that [`parse`] reads back as the same plan.
pub(super) fn render(plan: &Plan) -> String {
    let mut out = String::new();
    if let Some(base) = &plan.base {
        push_key(&mut out, "base", &quoted(base));
    }
    push_key(&mut out, "worktrees_dir", &quoted(&plan.worktrees_dir));
    if let Some(forge) = plan.forge {
        let word = match forge {
            ForgeKind::Github => "github",
            ForgeKind::Local => "local",
        };
        push_key(&mut out, "forge", &quoted(word));
    }
    for (key, command) in [
        ("test_command", &plan.test_command),
        ("review_command", &plan.review_command),
        ("fix_command", &plan.fix_command),
    ] {
        if let Some(command) = command {
            push_key(&mut out, key, &quoted(command));
        }
    }
    if !plan.copy.is_empty() {
        let paths: Vec<String> = plan.copy.iter().map(|p| quoted(p)).collect();
        push_key(&mut out, "copy", &format!("[{}]", paths.join(", ")));
    }
    for (key, command) in [
        ("setup", &plan.setup),
        ("teardown", &plan.teardown),
        ("pre_merge", &plan.pre_merge),
        ("post_merge", &plan.post_merge),
    ] {
        if let Some(command) = command {
            push_key(&mut out, key, &quoted(command));
        }
    }
    let method = match plan.merge.method {
        MergeMethod::Squash => "squash",
        MergeMethod::Merge => "merge",
        MergeMethod::Rebase => "rebase",
    };
    out.push_str("\n[merge]\n");
    push_key(&mut out, "method", &quoted(method));
    push_key(
        &mut out,
        "review_threshold",
        &plan.merge.review_threshold.to_string(),
    );
    push_key(&mut out, "approvals", &plan.merge.approvals.to_string());
    push_key(
        &mut out,
        "require_tests",
        &plan.merge.require_tests.to_string(),
    );
    push_key(
        &mut out,
        "require_tasks_done",
        &plan.merge.require_tasks_done.to_string(),
    );
    push_key(
        &mut out,
        "max_review_iterations",
        &plan.merge.max_review_iterations.to_string(),
    );
    if let Some(ports) = plan.ports {
        out.push_str("\n[ports]\n");
        push_key(&mut out, "base", &ports.base.to_string());
    }
    for agent in &plan.agents {
        out.push_str("\n[[agents]]\n");
        push_key(&mut out, "name", &quoted(&agent.name));
        if !agent.title.is_empty() {
            push_key(&mut out, "title", &quoted(&agent.title));
        }
        push_key(&mut out, "branch", &quoted(&agent.branch));
        push_key(&mut out, "worktree", &quoted(&agent.worktree));
        if !agent.depends_on.is_empty() {
            let names: Vec<String> = agent.depends_on.iter().map(|d| quoted(d)).collect();
            push_key(&mut out, "depends_on", &format!("[{}]", names.join(", ")));
        }
        if let Some(command) = &agent.command {
            push_key(&mut out, "command", &quoted(command));
        }
        if let Some(cli) = &agent.cli {
            push_key(&mut out, "cli", &quoted(cli));
        }
        if !agent.tasks.is_empty() {
            out.push_str("tasks = [\n");
            for task in &agent.tasks {
                out.push_str("    ");
                out.push_str(&task_entry(task));
                out.push_str(",\n");
            }
            out.push_str("]\n");
        }
    }
    out
}

fn push_key(out: &mut String, key: &str, value: &str) {
    out.push_str(key);
    out.push_str(" = ");
    out.push_str(value);
    out.push('\n');
}

/// `"Title (8h)"` when that reads back exactly, else the table form.
fn task_entry(task: &Task) -> String {
    let line = join_estimate(&task.title, task.hours);
    let reads_back = matches!(split_estimate(&line), Ok((ref title, hours)) if *title == task.title && hours.unwrap_or(0.0) == task.hours);
    if !task.done && reads_back {
        quoted(&line)
    } else {
        format!(
            "{{ title = {}, hours = {}, done = {} }}",
            quoted(&task.title),
            float(task.hours),
            task.done
        )
    }
}

fn float(value: f64) -> String {
    if value.is_nan() {
        "nan".to_owned()
    } else if value.is_infinite() {
        if value > 0.0 {
            "inf".to_owned()
        } else {
            "-inf".to_owned()
        }
    } else {
        format!("{value:?}")
    }
}

/// A TOML basic string.
fn quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"
base = "main"
worktrees_dir = "trees"
forge = "local"
test_command = "cargo test"

[merge]
method = "rebase"
approvals = 2

[[agents]]
name = "backend-agent"
title = "Backend Architecture"
branch = "feature/backend-architecture"
tasks = ["Create service layer (16h)", { title = "Add indexes", hours = 1, done = true }, "Plan"]

[[agents]]
name = "testing-agent"
depends_on = ["backend-agent"]
command = "run-agent testing"
"#;

    #[test]
    fn reads_the_documented_shape() {
        let plan = parse(SAMPLE, "plan.toml", "worktrees").expect("the sample reads");
        assert_eq!(plan.base.as_deref(), Some("main"));
        assert_eq!(plan.forge, Some(ForgeKind::Local));
        assert_eq!(plan.merge.method, MergeMethod::Rebase);
        assert_eq!((plan.merge.approvals, plan.merge.review_threshold), (2, 10));
        let backend = &plan.agents[0];
        assert_eq!(backend.worktree, "trees/backend-agent");
        assert_eq!(
            backend.tasks[0],
            Task {
                title: "Create service layer".to_owned(),
                hours: 16.0,
                done: false
            }
        );
        assert_eq!(
            backend.tasks[1],
            Task {
                title: "Add indexes".to_owned(),
                hours: 1.0,
                done: true
            }
        );
        assert_eq!(backend.tasks[2].hours, 0.0);
        let testing = &plan.agents[1];
        assert_eq!(testing.branch, "agents/testing-agent");
        assert_eq!(testing.depends_on, ["backend-agent"]);
        assert_eq!(testing.command.as_deref(), Some("run-agent testing"));
    }

    #[test]
    fn round_trips() {
        let mut plan = parse(SAMPLE, "plan.toml", "worktrees").expect("the sample reads");
        plan.agents[1].title = "Quotes \" and \\ and \n newlines\u{7f}".to_owned();
        plan.agents[1].tasks.push(Task {
            title: "Odd (5 min)".to_owned(),
            hours: 0.0,
            done: false,
        });
        plan.agents[1].tasks.push(Task {
            title: "Third".to_owned(),
            hours: 1.0 / 3.0,
            done: false,
        });
        let text = render(&plan);
        assert_eq!(
            parse(&text, "again.toml", "elsewhere").expect("the rendering reads"),
            plan,
            "{text}"
        );
    }

    #[test]
    fn unknown_keys_are_named_with_their_position() {
        let message = parse("[[agents]]\nname = \"a\"\nbrnch = \"x\"\n", "p.toml", "w")
            .expect_err("rejected")
            .to_string();
        assert!(
            message
                .starts_with("p.toml: invalid TOML plan: line 3, column 1: unknown field `brnch`"),
            "{message}"
        );
        let message = parse(
            "[[agents]]\nname = \"a\"\ntasks = [{ title = \"t\", hour = 1 }]\n",
            "p.toml",
            "w",
        )
        .expect_err("rejected")
        .to_string();
        assert!(
            message.contains("line 3") && message.contains("unknown field `hour`"),
            "{message}"
        );
        let message = parse("[merge]\nthreshold = 3\n", "p.toml", "w")
            .expect_err("rejected")
            .to_string();
        assert!(
            message.contains("line 2") && message.contains("`threshold`"),
            "{message}"
        );
    }

    #[test]
    fn bad_estimates_and_hours_are_errors() {
        let message = parse(
            "[[agents]]\nname = \"a\"\ntasks = [\"Fix (abc h)\"]\n",
            "p.toml",
            "w",
        )
        .expect_err("rejected")
        .to_string();
        assert!(
            message.contains("line 3: agent a: cannot read the estimate (abc h)"),
            "{message}"
        );
        let message = parse(
            "[[agents]]\nname = \"a\"\ntasks = [{ title = \"t\", hours = -1 }]\n",
            "p.toml",
            "w",
        )
        .expect_err("rejected")
        .to_string();
        assert!(
            message.contains("hours must be a number of 0 or more"),
            "{message}"
        );
        assert!(
            parse(
                "[[agents]]\nname = \"a\"\ntasks = [{ title = \"t\", hours = nan }]\n",
                "p",
                "w"
            )
            .is_err()
        );
        assert!(parse("[[agents]]\nname = \"a\"\ntasks = [3]\n", "p", "w").is_err());
    }

    #[test]
    fn empty_documents_have_no_agents() {
        assert!(
            parse("", "p.toml", "w")
                .expect("empty reads")
                .agents
                .is_empty()
        );
        assert!(parse("= broken", "p.toml", "w").is_err());
    }
}
