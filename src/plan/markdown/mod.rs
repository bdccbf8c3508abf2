//! Markdown plans: reading the shapes people write by hand, and writing one shape back.
//!
//! Reading lives in `read` (on the block tree of `tree`); this module holds the writer and
//! the small readers of values both share (code spans, label lines, names).

mod read;
mod tree;

use super::hours::join_estimate;
use super::{AgentSpec, ForgeKind, MergeMethod, Plan, PlanError, Rates, Understanding};

/// Read a Markdown plan with what was understood; a document without agents gives a plan
/// without agents.
///
/// A carriage return ends a line whether or not a line feed follows, as in CommonMark.
pub(super) fn parse(
    text: &str,
    path: &str,
    worktrees_dir: &str,
    rates: &Rates,
) -> Result<(Plan, Understanding), PlanError> {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    read::read(&text, path, worktrees_dir, rates)
}

/// What a document without agents showed, for the refusal.
pub(super) fn describe_refusal(text: &str) -> String {
    read::describe_refusal(text)
}

pub(super) fn render(plan: &Plan) -> String {
    let mut out = String::from("# Agent plan\n\n");
    if let Some(base) = &plan.base {
        push_label(&mut out, "Base", &code_span(base));
    }
    push_label(&mut out, "Worktrees dir", &code_span(&plan.worktrees_dir));
    if let Some(forge) = plan.forge {
        push_label(&mut out, "Forge", forge_word(forge));
    }
    for (label, command) in [
        ("Test command", &plan.test_command),
        ("Review command", &plan.review_command),
        ("Fix command", &plan.fix_command),
    ] {
        if let Some(command) = command.as_deref().filter(|c| !c.is_empty()) {
            push_command(&mut out, label, command);
        }
    }
    push_label(&mut out, "Merge method", method_word(plan.merge.method));
    push_label(
        &mut out,
        "Review threshold",
        &plan.merge.review_threshold.to_string(),
    );
    push_label(&mut out, "Approvals", &plan.merge.approvals.to_string());
    push_label(
        &mut out,
        "Require tests",
        if plan.merge.require_tests {
            "true"
        } else {
            "false"
        },
    );
    push_label(
        &mut out,
        "Require tasks done",
        if plan.merge.require_tasks_done {
            "true"
        } else {
            "false"
        },
    );
    push_label(
        &mut out,
        "Max review iterations",
        &plan.merge.max_review_iterations.to_string(),
    );
    if !plan.copy.is_empty() {
        let paths: Vec<String> = plan.copy.iter().map(|p| code_span(p)).collect();
        push_label(&mut out, "Copy", &paths.join(", "));
    }
    for (label, command) in [
        ("Setup", &plan.setup),
        ("Teardown", &plan.teardown),
        ("Pre-merge", &plan.pre_merge),
        ("Post-merge", &plan.post_merge),
    ] {
        if let Some(command) = command.as_deref().filter(|c| !c.is_empty()) {
            push_command(&mut out, label, command);
        }
    }
    if let Some(ports) = plan.ports {
        push_label(&mut out, "Port base", &ports.base.to_string());
    }
    for (position, agent) in plan.agents.iter().enumerate() {
        render_agent(&mut out, position, agent);
    }
    out
}

fn render_agent(out: &mut String, position: usize, agent: &AgentSpec) {
    let number = position + 1;
    let title = single_line(&agent.title);
    out.push('\n');
    if title.is_empty() && read::name_heading_reads_back(&agent.name) {
        out.push_str(&format!("## {}\n", agent.name));
    } else if title.is_empty() {
        out.push_str(&format!("## Agent {number}\n"));
    } else if read::heading_reads_back(&title) {
        out.push_str(&format!("## Agent {number}: {title}\n"));
    } else {
        out.push_str(&format!("## Agent {number}\n"));
        push_label(out, "Title", &code_span(&title));
    }
    if basename(&agent.worktree) != Some(agent.name.as_str()) {
        push_label(out, "Name", &code_span(&agent.name));
    }
    push_label(out, "Branch", &code_span(&agent.branch));
    push_label(out, "Worktree", &code_span(&agent.worktree));
    if let Some(command) = agent.command.as_deref().filter(|c| !c.is_empty()) {
        push_command(out, "Command", command);
    }
    if let Some(cli) = agent.cli.as_deref().filter(|c| !c.is_empty()) {
        push_label(out, "CLI", &code_span(cli));
    }
    if agent.depends_on.is_empty() {
        push_label(out, "Dependencies", "None");
    } else {
        let names: Vec<String> = agent
            .depends_on
            .iter()
            .map(|name| {
                if reads_as_none(name) || name.contains("__") {
                    code_span(name)
                } else {
                    name.clone()
                }
            })
            .collect();
        push_label(out, "Dependencies", &names.join(", "));
    }
    if agent.tasks.is_empty() {
        // Said outright, so the reader does not take the section as one task.
        push_label(out, "Tasks", "none");
    } else {
        out.push_str("**Tasks:**\n");
        for task in &agent.tasks {
            let mark = if task.done { "x" } else { " " };
            let line = join_estimate(&single_line(&task.title), task.hours);
            let separator = if line.is_empty() { "" } else { " " };
            out.push_str(&format!("- [{mark}]{separator}{line}\n"));
        }
    }
}

/// A command as a label: in a code span on one line, or in a fenced block below the
/// label when it has several lines (a code span would join them).
fn push_command(out: &mut String, label: &str, command: &str) {
    if !command.contains(['\n', '\r']) {
        push_label(out, label, &code_span(command));
        return;
    }
    let longest = command.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest.max(2) + 1);
    out.push_str(&format!("**{label}:**\n{fence}sh\n{command}\n{fence}\n"));
}

fn push_label(out: &mut String, label: &str, value: &str) {
    out.push_str(&format!("**{label}:** {value}\n"));
}

fn single_line(text: &str) -> String {
    text.split(['\n', '\r'])
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn forge_word(forge: ForgeKind) -> &'static str {
    match forge {
        ForgeKind::Github => "github",
        ForgeKind::Local => "local",
    }
}

fn method_word(method: MergeMethod) -> &'static str {
    match method {
        MergeMethod::Squash => "squash",
        MergeMethod::Merge => "merge",
        MergeMethod::Rebase => "rebase",
    }
}

/// `text` as an inline code span that [`unwrap_code`] reads back unchanged.
fn code_span(text: &str) -> String {
    let longest_run = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest_run + 1);
    if text.starts_with(['`', ' ']) || text.ends_with(['`', ' ']) {
        format!("{fence} {text} {fence}")
    } else {
        format!("{fence}{text}{fence}")
    }
}

/// The value of a setting: the content of a leading code span, else the trimmed text.
fn unwrap_code(value: &str) -> (String, bool) {
    let value = value.trim();
    let run = value.len() - value.trim_start_matches('`').len();
    if run == 0 {
        return (value.to_owned(), false);
    }
    let after = &value[run..];
    let mut search = 0;
    while let Some(offset) = after[search..].find('`') {
        let start = search + offset;
        let length = after[start..].len() - after[start..].trim_start_matches('`').len();
        if length == run {
            let content = &after[..start];
            let content =
                if content.len() >= 2 && content.starts_with(' ') && content.ends_with(' ') {
                    &content[1..content.len() - 1]
                } else {
                    content
                };
            return (content.to_owned(), true);
        }
        search = start + length;
    }
    (value.to_owned(), false)
}

/// A list of values separated by commas, each a code span or plain text.
fn listed_values(value: &str) -> Vec<String> {
    let mut values = Vec::new();
    let mut rest = value.trim();
    while !rest.is_empty() {
        let run = rest.len() - rest.trim_start_matches('`').len();
        let (item, after) = if run > 0 {
            let fence = &rest[..run];
            match rest[run..].find(fence) {
                Some(close) => {
                    let end = run + close + run;
                    (unwrap_code(&rest[..end]).0, &rest[end..])
                }
                None => (rest.trim_matches('`').trim().to_owned(), ""),
            }
        } else {
            match rest.find(',') {
                Some(comma) => (rest[..comma].trim().to_owned(), &rest[comma..]),
                None => (rest.trim().to_owned(), ""),
            }
        };
        if !item.is_empty() {
            values.push(item);
        }
        rest = after.trim_start().trim_start_matches(',').trim_start();
    }
    values
}

/// A single-word value such as a branch or a name: a code span, else the first word.
fn word_value(value: &str) -> String {
    match unwrap_code(value) {
        (content, true) => content,
        (text, false) => text.split_whitespace().next().unwrap_or("").to_owned(),
    }
}

/// What a label line such as `**Branch:** x` or `Tasks:` is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    Name,
    Branch,
    Worktree,
    Tasks,
    Dependencies,
    Command,
    Title,
    Owner,
    Estimate,
    Base,
    WorktreesDir,
    Forge,
    TestCommand,
    ReviewCommand,
    FixCommand,
    MergeMethod,
    ReviewThreshold,
    Approvals,
    RequireTests,
    RequireTasksDone,
    MaxReviewIterations,
    Copy,
    Cli,
    Setup,
    Teardown,
    PreMerge,
    PostMerge,
    PortBase,
    Other,
}

impl Key {
    fn from_label(label: &str) -> Key {
        let normalized: String = label
            .to_ascii_lowercase()
            .replace(['_', '-'], " ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        match normalized.as_str() {
            "name" | "agent name" => Key::Name,
            "branch" | "source branch" | "integration branch" | "feature branch" | "git branch" => {
                Key::Branch
            }
            "worktree" | "worktree path" | "worktree dir" | "worktree directory" => Key::Worktree,
            "tasks" | "task list" | "todo" => Key::Tasks,
            "dependencies" | "dependency" | "depends on" | "depends" | "deps" | "requires"
            | "blocked by" | "prerequisites" | "waits for" | "waits on" => Key::Dependencies,
            "title" => Key::Title,
            "agent" | "owner" | "assignee" | "assigned to" | "model" | "agent type" => Key::Owner,
            "estimate" | "estimated effort" | "effort" | "time" | "duration" | "eta"
            | "estimated time" | "time estimate" | "estimated hours" => Key::Estimate,
            "command" | "agent command" => Key::Command,
            "cli" | "agent cli" => Key::Cli,
            "base" | "base branch" => Key::Base,
            "worktrees dir" | "worktrees directory" | "worktrees" => Key::WorktreesDir,
            "forge" => Key::Forge,
            "test command" => Key::TestCommand,
            "review command" => Key::ReviewCommand,
            "fix command" => Key::FixCommand,
            "merge method" => Key::MergeMethod,
            "review threshold" | "review score" | "min review score" => Key::ReviewThreshold,
            "approvals" | "required approvals" => Key::Approvals,
            "require tests" | "tests passing" => Key::RequireTests,
            "require tasks done" | "tasks done" => Key::RequireTasksDone,
            "max review iterations" | "review iterations" => Key::MaxReviewIterations,
            "copy" | "copy paths" | "copy into worktrees" => Key::Copy,
            "setup" | "setup command" => Key::Setup,
            "teardown" | "teardown command" => Key::Teardown,
            "pre merge" | "pre merge command" => Key::PreMerge,
            "post merge" | "post merge command" => Key::PostMerge,
            "port base" | "base port" | "ports from" => Key::PortBase,
            _ => Key::Other,
        }
    }

    fn is_agent_key(self) -> bool {
        matches!(
            self,
            Key::Name
                | Key::Branch
                | Key::Worktree
                | Key::Tasks
                | Key::Dependencies
                | Key::Command
                | Key::Cli
                | Key::Title
                | Key::Owner
                | Key::Estimate
        )
    }
}

/// The label and the rest of text that opened with `**` (already taken off):
/// `Label:** value` or `Label**: value`.
fn bold_parts(bold: &str) -> Option<(&str, &str)> {
    let close = bold.find("**")?;
    let inner = bold[..close].trim();
    let after = &bold[close + 2..];
    match inner.strip_suffix(':') {
        Some(label) => Some((label, after)),
        None => Some((inner, after.strip_prefix(':')?)),
    }
}

/// A label line: `**Label:** value`, `**Label**: value`, `- **Label:** value`, or a known `Label: value`.
fn label_line(text: &str) -> Option<(Key, &str)> {
    let trimmed = text.trim();
    let unbulleted = ["- **", "* **", "+ **"]
        .iter()
        .find_map(|bullet| {
            trimmed
                .strip_prefix(&bullet[..2])
                .filter(|_| trimmed.starts_with(bullet))
        })
        .unwrap_or(trimmed);
    if let Some(bold) = unbulleted.strip_prefix("**") {
        let (label, value) = bold_parts(bold)?;
        return Some((Key::from_label(label), value.trim()));
    }
    let (label, value) = trimmed.split_once(':')?;
    let plain = label
        .chars()
        .all(|c| c.is_ascii_alphabetic() || matches!(c, ' ' | '-' | '_'));
    let key = Key::from_label(label);
    (plain && key != Key::Other && !label.starts_with(' ')).then(|| (key, value.trim()))
}

fn basename(path: &str) -> Option<&str> {
    path.trim_end_matches(['/', '\\'])
        .rsplit(['/', '\\'])
        .next()
        .filter(|b| !b.is_empty() && *b != "." && *b != "..")
}

fn slug(title: &str) -> String {
    let mut slug = String::new();
    for c in title.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let mut slug = slug.trim_end_matches('-').to_owned();
    const LONGEST: usize = 48;
    if slug.len() > LONGEST {
        slug.truncate(LONGEST);
        slug = slug.trim_end_matches('-').to_owned();
    }
    slug
}

fn reads_as_none(text: &str) -> bool {
    let lowered = text.trim().to_ascii_lowercase();
    if lowered.is_empty() || lowered.chars().all(|c| matches!(c, '-' | '–' | '—')) {
        return true;
    }
    ["none", "nothing", "n/a", "no dependencies", "no deps"]
        .iter()
        .any(|word| {
            lowered.strip_prefix(word).is_some_and(|rest| {
                !rest.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            })
        })
}

/// Names the document in errors and applies plan-wide settings.
struct Reader<'p> {
    path: &'p str,
}

impl Reader<'_> {
    fn error(&self, line: usize, message: impl std::fmt::Display) -> PlanError {
        PlanError::Markdown {
            path: self.path.to_owned(),
            message: format!("line {line}: {message}"),
        }
    }

    fn apply_setting(
        &self,
        plan: &mut Plan,
        line: usize,
        key: Key,
        value: &str,
    ) -> Result<(), PlanError> {
        let command = || Some(unwrap_code(value).0).filter(|c| !c.is_empty());
        match key {
            Key::Base => plan.base = Some(word_value(value)).filter(|b| !b.is_empty()),
            Key::WorktreesDir => {
                let dir = unwrap_code(value).0;
                if !dir.is_empty() {
                    plan.worktrees_dir = dir;
                }
            }
            Key::Forge => plan.forge = Some(self.forge(line, &word_value(value))?),
            Key::TestCommand => plan.test_command = command(),
            Key::ReviewCommand => plan.review_command = command(),
            Key::FixCommand => plan.fix_command = command(),
            Key::MergeMethod => plan.merge.method = self.merge_method(line, &word_value(value))?,
            Key::ReviewThreshold => {
                plan.merge.review_threshold = self.count(line, "the review threshold", value)?
            }
            Key::Approvals => plan.merge.approvals = self.count(line, "approvals", value)?,
            Key::MaxReviewIterations => {
                plan.merge.max_review_iterations =
                    self.count(line, "max review iterations", value)?;
            }
            Key::RequireTests => {
                plan.merge.require_tests = self.flag(line, "require tests", value)?
            }
            Key::RequireTasksDone => {
                plan.merge.require_tasks_done = self.flag(line, "require tasks done", value)?
            }
            Key::Copy => plan.copy.extend(listed_values(value)),
            Key::Setup => plan.setup = command(),
            Key::Teardown => plan.teardown = command(),
            Key::PreMerge => plan.pre_merge = command(),
            Key::PostMerge => plan.post_merge = command(),
            Key::PortBase => {
                let base = self.count(line, "the port base", value)?;
                let base = u16::try_from(base).ok().filter(|b| *b > 0).ok_or_else(|| {
                    self.error(
                        line,
                        format!("the port base must be from 1 to 65535, not {base}"),
                    )
                })?;
                plan.ports = Some(super::PortSettings { base });
            }
            _ => {}
        }
        Ok(())
    }

    /// Merge criteria from a YAML block with an `auto_merge:` key, read line by line.
    fn apply_auto_merge(
        &self,
        plan: &mut Plan,
        fence_line: usize,
        body: &[&str],
    ) -> Result<(), PlanError> {
        if !body
            .iter()
            .any(|line| line.trim_start().starts_with("auto_merge:"))
        {
            return Ok(());
        }
        for (offset, raw) in body.iter().enumerate() {
            let line = fence_line + 1 + offset;
            let without_comment = raw.split(" #").next().unwrap_or("").trim();
            let entry = without_comment
                .strip_prefix("- ")
                .unwrap_or(without_comment)
                .trim();
            let Some((key, value)) = entry.split_once(':') else {
                continue;
            };
            let value = value.trim().trim_matches(['"', '\'']);
            match key.trim() {
                "review_score" | "review_threshold" | "min_review_score" => {
                    plan.merge.review_threshold = self.count(line, "review_score", value)?;
                }
                "approvals" => plan.merge.approvals = self.count(line, "approvals", value)?,
                "tests_passing" | "require_tests" => {
                    plan.merge.require_tests = self.flag(line, key.trim(), value)?
                }
                "max_review_iterations" => {
                    plan.merge.max_review_iterations =
                        self.count(line, "max_review_iterations", value)?;
                }
                "method" | "merge_method" => plan.merge.method = self.merge_method(line, value)?,
                _ => {}
            }
        }
        Ok(())
    }

    fn forge(&self, line: usize, value: &str) -> Result<ForgeKind, PlanError> {
        match value.to_ascii_lowercase().as_str() {
            "github" => Ok(ForgeKind::Github),
            "local" => Ok(ForgeKind::Local),
            _ => Err(self.error(
                line,
                format!("the forge must be local or github, not {value:?}"),
            )),
        }
    }

    fn merge_method(&self, line: usize, value: &str) -> Result<MergeMethod, PlanError> {
        match value.to_ascii_lowercase().as_str() {
            "squash" => Ok(MergeMethod::Squash),
            "merge" => Ok(MergeMethod::Merge),
            "rebase" => Ok(MergeMethod::Rebase),
            _ => Err(self.error(
                line,
                format!("the merge method must be squash, merge or rebase, not {value:?}"),
            )),
        }
    }

    /// A whole number such as `10`, also written as a score `10/10`.
    fn count(&self, line: usize, what: &str, value: &str) -> Result<u32, PlanError> {
        let word = word_value(value);
        let number = word
            .split_once('/')
            .map_or(word.as_str(), |(score, _)| score);
        number.parse().map_err(|_| {
            self.error(
                line,
                format!("{what} must be a whole number, not {value:?}"),
            )
        })
    }

    fn flag(&self, line: usize, what: &str, value: &str) -> Result<bool, PlanError> {
        match word_value(value).to_ascii_lowercase().as_str() {
            "true" | "yes" | "on" => Ok(true),
            "false" | "no" | "off" => Ok(false),
            _ => Err(self.error(line, format!("{what} must be true or false, not {value:?}"))),
        }
    }
}

/// `text` without the `**` and `__` markers that open and close an emphasised span,
/// leaving runs that are part of a name (`a__b`, `build__`) as they are.
fn without_emphasis(text: &str) -> String {
    let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '*');
    let mut out = text.to_owned();
    for marker in ["**", "__"] {
        let mut from = 0;
        loop {
            let opener = out[from..]
                .match_indices(marker)
                .map(|(i, _)| from + i)
                .find(|&i| {
                    !word(out[..i].chars().next_back())
                        && out[i + 2..]
                            .chars()
                            .next()
                            .is_some_and(char::is_alphanumeric)
                });
            let Some(open) = opener else { break };
            let closer = out[open + 2..]
                .match_indices(marker)
                .map(|(i, _)| open + 2 + i)
                .find(|&j| {
                    j > open + 2
                        && out[..j]
                            .chars()
                            .next_back()
                            .is_some_and(char::is_alphanumeric)
                        && !word(out[j + 2..].chars().next())
                });
            match closer {
                Some(close) => {
                    out.replace_range(close..close + 2, "");
                    out.replace_range(open..open + 2, "");
                    from = open;
                }
                None => from = open + 2,
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Task;

    fn parse_ok(text: &str) -> Plan {
        parse(text, "plan.md", "worktrees", &Rates::default())
            .expect("the plan reads")
            .0
    }

    fn understood(text: &str) -> (Plan, Understanding) {
        parse(text, "plan.md", "worktrees", &Rates::default()).expect("the plan reads")
    }

    fn parse_err(text: &str) -> String {
        parse(text, "plan.md", "worktrees", &Rates::default())
            .expect_err("the plan is rejected")
            .to_string()
    }

    /// Each agent's dependencies, as `name<-a,b`.
    fn graph(plan: &Plan) -> Vec<String> {
        plan.agents
            .iter()
            .map(|a| format!("{}<-{}", a.name, a.depends_on.join(",")))
            .collect()
    }

    #[test]
    fn reads_label_lines() {
        assert_eq!(label_line("**Branch:** `x`"), Some((Key::Branch, "`x`")));
        assert_eq!(label_line("**Branch**: x"), Some((Key::Branch, "x")));
        assert_eq!(
            label_line("- **Worktree:** w/"),
            Some((Key::Worktree, "w/"))
        );
        assert_eq!(label_line("Branch: x"), Some((Key::Branch, "x")));
        assert_eq!(label_line("Depends on: a"), Some((Key::Dependencies, "a")));
        assert_eq!(
            label_line("**PR Target:** main"),
            Some((Key::Other, "main"))
        );
        assert_eq!(
            label_line("**Test command:** `cargo test`"),
            Some((Key::TestCommand, "`cargo test`"))
        );
        assert_eq!(label_line("Hour 0: launch"), None);
        assert_eq!(label_line("**Initialize Worktrees** (5 min)"), None);
        assert_eq!(label_line("- Needs Agent 2"), None);
    }

    #[test]
    fn emphasis_is_removed_but_underscores_in_names_stay() {
        for (text, plain) in [
            ("**backend-agent**", "backend-agent"),
            ("__backend-agent__, **ui**", "backend-agent, ui"),
            ("a__", "a__"),
            ("a__b, c__", "a__b, c__"),
            ("__a__ and x__", "a and x__"),
            ("** spaced **", "** spaced **"),
            ("a-__, b__", "a-__, b__"),
            ("**", "**"),
            ("Ü__ber", "Ü__ber"),
        ] {
            assert_eq!(without_emphasis(text), plain, "{text:?}");
        }
    }

    #[test]
    fn code_spans_read_back() {
        for text in [
            "cargo test",
            "echo `date`",
            "`x`",
            " lead",
            "trail ",
            " both ",
            " ",
            "a``b",
            "ends`",
        ] {
            assert_eq!(
                unwrap_code(&code_span(text)),
                (text.to_owned(), true),
                "{text:?}"
            );
        }
        assert_eq!(
            unwrap_code("`feature/x` (from main)"),
            ("feature/x".to_owned(), true)
        );
        assert_eq!(word_value("feature/x (Agent 1)"), "feature/x");
    }

    #[test]
    fn any_heading_level_and_missing_lines() {
        let plan = parse_ok(
            "# Plan\n\n###### backend-agent\nBranch: be\n\n# rag-agent\n**Tasks:**\n- Write (2h)\n",
        );
        assert_eq!(plan.names(), ["backend-agent", "rag-agent"]);
        assert_eq!(plan.agents[0].branch, "be");
        assert_eq!(plan.agents[0].worktree, "worktrees/backend-agent");
        assert_eq!(plan.agents[1].branch, "agents/rag-agent");
        assert_eq!(
            plan.agents[1].tasks,
            [Task {
                title: "Write".to_owned(),
                hours: 2.0,
                done: false
            }]
        );
    }

    #[test]
    fn label_headings_and_nested_items() {
        let plan = parse_ok(
            "## api-agent\n### Tasks\n- [ ] Build (3h)\n  - [ ] detail (1h)\n- [x] Ship (30 min)\n\
             ### Dependencies\n- Needs db-agent\n\n**Branch:** api\n## db-agent\n**Branch:** db\n",
        );
        assert_eq!(plan.agents[0].tasks.len(), 2);
        assert!(plan.agents[0].tasks[1].done);
        assert_eq!(plan.agents[0].depends_on, ["db-agent"]);
    }

    #[test]
    fn settings_and_auto_merge() {
        let plan = parse_ok(
            "**Base:** develop\n**Test command:** `cargo test --all`\n**Forge:** GitHub\n**Worktrees dir:** trees\n\
             ```yaml\nauto_merge:\n  conditions:\n    - review_score: 8\n    - approvals: 2 # two\n    - tests_passing: false\n```\n\
             ## a-agent\n**Branch:** a\n**Command:** `claude -p \"go\"`\n**Approvals:** 9\n",
        );
        assert_eq!(plan.base.as_deref(), Some("develop"));
        assert_eq!(plan.test_command.as_deref(), Some("cargo test --all"));
        assert_eq!(plan.forge, Some(ForgeKind::Github));
        assert_eq!(plan.worktrees_dir, "trees");
        assert_eq!(plan.agents[0].worktree, "trees/a-agent");
        assert_eq!(plan.agents[0].command.as_deref(), Some("claude -p \"go\""));
        assert_eq!(
            (
                plan.merge.review_threshold,
                plan.merge.approvals,
                plan.merge.require_tests
            ),
            (8, 2, false)
        );
    }

    #[test]
    fn a_lone_carriage_return_ends_a_line() {
        let plan = parse_ok(
            "## a\r**Branch:** `b`\r\n**Tasks:**\r- [ ] One (1h)\r- [ ] Two\rthree (2h)\n",
        );
        let titles: Vec<&str> = plan.agents[0]
            .tasks
            .iter()
            .map(|t| t.title.as_str())
            .collect();
        // A line without a marker continues the item before it, as CommonMark reads it.
        assert_eq!(titles, ["One", "Two three"]);
        assert_eq!(plan.agents[0].branch, "b");
        assert_eq!(parse_ok(&render(&plan)), plan);
    }

    #[test]
    fn documents_without_agents_read_as_empty() {
        for text in [
            "",
            "# README\n\nSome text.\n\n## Tasks\n- [ ] one\n",
            "```\n## a\nBranch: a\n```\n",
            "# \n#\n- [ ]",
        ] {
            assert!(parse_ok(text).agents.is_empty(), "{text:?}");
        }
    }

    #[test]
    fn names_come_from_the_name_line_worktree_heading_title_or_number() {
        let plan = parse_ok(
            "## Agent 1: Security Hardening\n**Name:** sec\n**Branch:** a\n\
             ## Agent 2: Docs\n**Worktree:** worktrees/docs-agent\n\
             ## Agent 3: Api\n**Branch:** feature/api-v2\n\
             ## Agent 4\n**Branch:** main-line\n**Tasks:**\n- one\n\
             ## `backend-agent`\n**Branch:** be\n\
             ## Testing Agent\n**Worktree:** worktrees/testing-agent\n",
        );
        assert_eq!(
            plan.names(),
            [
                "sec",
                "docs-agent",
                "api-agent",
                "agent-4",
                "backend-agent",
                "testing-agent"
            ]
        );
        assert_eq!(plan.agents[0].title, "Security Hardening");
        assert_eq!(plan.agents[4].title, "");
    }

    #[test]
    fn dialect_headings_with_emoji_numbers_and_bold_labels() {
        let (plan, seen) = understood(
            "# Plan\n\n### 🔵 Agent 1: Core\n**Branch**: `feat/core` | **Time:** 2-3 hours\n\
             - [ ] Parser\n- [ ] Lexer\n\n### 🟢 Agent 2: CLI 🌤️\n**Branch:** feat/cli\n\
             **Depends on:** Agent 1's parser\n- [x] Flags (1h)\n",
        );
        assert_eq!(plan.names(), ["core-agent", "cli-agent"]);
        assert_eq!(graph(&plan), ["core-agent<-", "cli-agent<-core-agent"]);
        // One figure per agent is spread over its tasks: 2.5 h for two tasks.
        assert_eq!(plan.agents[0].tasks[0].hours, 1.25);
        assert!(plan.agents[1].tasks[0].done);
        assert_eq!(seen.edges[0].line, 10);
        assert_eq!(seen.agents[1].line, 8);
    }

    #[test]
    fn dialect_workstreams_and_streams_by_number_in_prose() {
        let plan = parse_ok(
            "## Workstream 1: Loading\n**Branch**: `feature/loading`\n### Tasks\n#### 1.1 Spinner\n\
             text\n#### 1.2 Skeleton (2h)\n\n## Workstream 2: Tags\n**Branch**: `feature/tags`\n\
             This workstream starts only after Workstream 1 merges.\n\n\
             ## Post-Merge Integration (Stream 3)\n**Branch:** feature/final\n\
             **Dependencies:** Workstreams 1 and 2 must complete first\n",
        );
        assert_eq!(plan.names(), ["loading", "tags", "final"]);
        assert_eq!(plan.agents[0].tasks.len(), 2);
        assert_eq!(plan.agents[0].tasks[1].hours, 2.0);
        assert_eq!(
            graph(&plan),
            ["loading<-", "tags<-loading", "final<-loading,tags"]
        );
    }

    #[test]
    fn dialect_agent_tables_with_branches_and_dependency_cells() {
        let plan = parse_ok(
            "# Handoff\n\n| Agent | Branch | Owns | Depends on |\n|---|---|---|---|\n\
             | 1 | `wip/engine` | The engine | — |\n| 2 | `wip/cli` | The CLI. Starts only after `wip/engine` builds | |\n\
             | 3 | `wip/docs` | Docs | 1, 2 |\n",
        );
        assert_eq!(plan.names(), ["agent-1", "agent-2", "agent-3"]);
        assert_eq!(plan.agents[1].branch, "wip/cli");
        assert_eq!(
            graph(&plan),
            ["agent-1<-", "agent-2<-agent-1", "agent-3<-agent-1,agent-2"]
        );
        assert_eq!(plan.agents[0].tasks[0].title, "The engine");
    }

    #[test]
    fn dialect_track_tables_with_ranges_and_task_tables() {
        let plan = parse_ok(
            "### Sprint 1\n| Track | Component | Dependencies | Effort |\n|---|---|---|---|\n\
             | 4A | Health | None | 8-10h |\n| 4B | Logs | 4A (types) | 30 min |\n\
             ### Sprint 2\n| Track | Component | Dependencies | Effort |\n|---|---|---|---|\n\
             | 5A | Client | 4A, 4B | 2 days |\n",
        );
        assert_eq!(plan.names(), ["track-4a", "track-4b", "track-5a"]);
        assert_eq!(
            graph(&plan),
            [
                "track-4a<-",
                "track-4b<-track-4a",
                "track-5a<-track-4a,track-4b"
            ]
        );
        let hours: Vec<f64> = plan.agents.iter().map(|a| a.total_hours()).collect();
        assert_eq!(hours, [9.0, 0.5, 16.0]);
        let assigned = parse_ok(
            "| ID | Title | Assignee |\n|---|---|---|\n| T-1 | Debrief | agent-1 |\n| T-2 | Names | agent-2 |\n\n\
             | Agent | Tasks | Focus Area |\n|---|---|---|\n| agent-1 | T-1 | Backend |\n| agent-2 | T-2 | Frontend |\n",
        );
        assert_eq!(assigned.names(), ["agent-1", "agent-2"]);
        assert_eq!(assigned.agents[1].tasks[0].title, "Names");
    }

    #[test]
    fn dialect_waves_and_phases_run_in_order() {
        let plan = parse_ok(
            "## Phase 0 — Setup (engineer, main branch)\nCreate the base.\n\
             ## Phase 1 — Parallel\n### Batch 1 — Parser\n**Worktree**: `../repo-b1`\n\
             ### Batch 2 — Lexer\n**Worktree**: `../repo-b2`\n\
             ```bash\ngit worktree add ../repo-b1 feat/batch-1\ngit worktree add ../repo-b2 -b feat/batch-2\n```\n\
             ## Phase 2 — Integration\nMerge everything.\n",
        );
        assert_eq!(plan.names(), ["phase-0", "repo-b1", "repo-b2", "phase-2"]);
        assert_eq!(
            graph(&plan),
            [
                "phase-0<-",
                "repo-b1<-phase-0",
                "repo-b2<-phase-0",
                "phase-2<-repo-b1,repo-b2"
            ]
        );
        assert_eq!(plan.agents[1].branch, "feat/batch-1");
        assert_eq!(plan.agents[2].branch, "feat/batch-2");
        assert_eq!(plan.agents[1].worktree, "worktrees/repo-b1");
        let sessions = parse_ok(
            "## PHASE 0 — Manual setup (you, ~20 min)\nDo things.\n\
             ## PHASE 1 — Discovery\n### 1A — Audit data\nprompt\n### 1B — Audit auth\nprompt\n\
             ## PHASE 2 — Build\n### Prompt 2 — Build it\nprompt\n",
        );
        assert_eq!(
            sessions.names(),
            ["audit-data-agent", "audit-auth-agent", "prompt-2"]
        );
        assert_eq!(
            graph(&sessions)[2],
            "prompt-2<-audit-data-agent,audit-auth-agent"
        );
    }

    #[test]
    fn dialect_worktree_commands_and_heading_notes() {
        let plan = parse_ok(
            "## Worktree Details\n### 1. `search` (Independent - No Dependencies)\n- [ ] index\n\
             ### 2. `canvas` (Depends on: search)\n- [ ] draw\n\
             ## Setup\n```bash\ngit worktree add worktrees/search -b feature/search\n\
             git worktree add worktrees/canvas -b feature/canvas\n```\n",
        );
        assert_eq!(plan.names(), ["search", "canvas"]);
        assert_eq!(plan.agents[1].branch, "feature/canvas");
        assert_eq!(plan.agents[1].title, "");
        assert_eq!(graph(&plan), ["search<-", "canvas<-search"]);
    }

    #[test]
    fn fenced_markdown_never_makes_agents() {
        let plan = parse_ok(
            "## Workstream 1: A\n**Branch**: `a`\n```bash\ncat <<EOF\n## Summary\n**Branch:** x\n## Agent 9\nEOF\n```\n",
        );
        assert_eq!(plan.names(), ["a"]);
    }

    #[test]
    fn warnings_say_what_was_not_used() {
        let (plan, seen) = understood(
            "## Agent 1: A\n**Branch:** a\n**Worktree:** feature/a-tree\n**Tasks:**\n- [ ] Fix (abc h)\n\n\
             **Files:**\n- src/a.rs\n- src/b.rs\n\
             ## Agent 2: B\n**Branch:** b\n**Dependencies:** after lunch\n**Estimate:** 4h\n- [ ] one (1h)\n",
        );
        assert_eq!(plan.agents[0].worktree, "worktrees/a-agent");
        let messages: Vec<String> = seen
            .warnings
            .iter()
            .map(|w| format!("{}: {}", w.line.unwrap_or(0), w.message))
            .collect();
        let all = messages.join("\n");
        assert!(
            all.contains("3: the worktree \"feature/a-tree\" looks like a branch name"),
            "{all}"
        );
        assert!(all.contains("5: cannot read the estimate (abc h)"), "{all}");
        assert!(
            all.contains("7: 2 list items under \"Files\" not taken as tasks"),
            "{all}"
        );
        assert!(
            all.contains("12: cannot tell which agent \"after lunch\" names"),
            "{all}"
        );
        assert!(
            all.contains("13: b-agent's estimate is 4 h but its tasks sum to 1 h"),
            "{all}"
        );
    }

    #[test]
    fn dialect_bold_lines_as_agents_and_day_headings_as_tasks() {
        let plan = parse_ok(
            "## Team\n\n**Agent 1: Parser**\n**Owner:** go-coder | **Source Branch:** `feat/parser`\n\
             #### Day 1-2\n- Lexer (4h)\n- Grammar (1d)\n\n**Agent 2: Docs**\n**Branch:** feat/docs\n\
             | Task | Estimate |\n|---|---|\n| Guide | 3h |\n| Reference | 30 min |\n",
        );
        assert_eq!(plan.names(), ["parser-agent", "docs-agent"]);
        assert_eq!(plan.agents[0].branch, "feat/parser");
        assert_eq!(plan.agents[0].total_hours(), 12.0);
        let titles: Vec<&str> = plan.agents[1]
            .tasks
            .iter()
            .map(|t| t.title.as_str())
            .collect();
        assert_eq!(titles, ["Guide", "Reference"]);
        assert_eq!(plan.agents[1].total_hours(), 3.5);
    }

    #[test]
    fn dialect_task_numbers_arrows_mermaid_and_yaml() {
        let plan = parse_ok(
            "## Workstream 1: Api\n**Branch:** `feature/api`\n#### 1.1 Routes\n#### 1.2 Auth\n\
             ## Workstream 2: Ui\n**Branch:** `feature/ui`\nStarts only after 1.2 merged.\n\
             ## Workstream 3: Docs\n**Branch:** `feature/docs`\n\
             ## Workstream 4: Ops\n**Branch:** `feature/ops`\n\
             ## Workstream 5: Web\n**Branch:** `feature/web`\n\
             ```mermaid\ngraph TD\n  A[api] --> D[docs]\n  U[ui] -->|needs| D\n```\n\
             Release order: docs → ops\n\
             ```yaml\nagents:\n  - name: web\n    depends_on: [api, ui]\n```\n",
        );
        assert_eq!(
            graph(&plan),
            [
                "api<-",
                "ui<-api",
                "docs<-api,ui",
                "ops<-docs",
                "web<-api,ui"
            ]
        );
    }

    #[test]
    fn days_points_and_totals() {
        let text = "## Agent 1: A\n**Branch:** a\n**Tasks:**\n- [ ] Design (2 days)\n- [ ] Build (5 SP)\n\
                    **Total:** 30 hours\n";
        let (plan, seen) = understood(text);
        assert_eq!(plan.agents[0].tasks[0].hours, 16.0);
        assert_eq!(plan.agents[0].tasks[1].hours, 0.0);
        let all: Vec<&str> = seen.warnings.iter().map(|w| w.message.as_str()).collect();
        assert!(
            all.iter()
                .any(|m| m.contains("\"5 SP\" is in story points")),
            "{all:?}"
        );
        assert!(
            all.iter()
                .any(|m| m.contains("stated total is 30 h but its tasks sum to 16 h")),
            "{all:?}"
        );
        let rates = Rates {
            hours_per_day: 6.0,
            hours_per_point: Some(2.0),
            point_setting: None,
        };
        let (plan, _) = parse(text, "plan.md", "worktrees", &rates).expect("reads");
        let hours: Vec<f64> = plan.agents[0].tasks.iter().map(|t| t.hours).collect();
        assert_eq!(hours, [12.0, 10.0]);
    }

    #[test]
    fn dialect_issue_matrix_grouped_by_owner_with_a_wave_column() {
        let plan = parse_ok(
            "| Wave | Agent Type | Issue | Hours | Start Condition |\n|---|---|---|---|---|\n\
             | 1 | Navigation | #40 | 4h | Immediate |\n| 1 | Config | #38 | 3-4h | Immediate |\n\
             | 2 | Plugin | #42 | 4-5h | #40 done |\n| 2 | Navigation | #43 | 4h | #40 done |\n\
             | 3 | Graphics | #28 | 12h | Wave 2 done |\n",
        );
        assert_eq!(plan.names(), ["navigation", "config", "plugin", "graphics"]);
        let titles: Vec<&str> = plan.agents[0]
            .tasks
            .iter()
            .map(|t| t.title.as_str())
            .collect();
        assert_eq!(titles, ["#40", "#43"]);
        assert_eq!(
            graph(&plan),
            [
                "navigation<-",
                "config<-",
                "plugin<-navigation",
                "graphics<-plugin"
            ]
        );
    }

    #[test]
    fn dialect_agent_rows_named_agent_n_with_scope_estimate_and_depends_on() {
        let plan = parse_ok(
            "| Agent | Scope | Branch | Estimate | Depends on |\n|---|---|---|---|---|\n\
             | Agent 1 | Core parser | feat/parser | 4-5h | — |\n\
             | Agent 2 | CLI | feat/cli | 2 days | Agent 1 |\n\
             | Agent 3 | Docs | feat/docs | 30 min | Agents 1 and 2 |\n",
        );
        assert_eq!(plan.names(), ["agent-1", "agent-2", "agent-3"]);
        assert_eq!(
            graph(&plan),
            ["agent-1<-", "agent-2<-agent-1", "agent-3<-agent-1,agent-2"]
        );
        let hours: Vec<f64> = plan.agents.iter().map(|a| a.total_hours()).collect();
        assert_eq!(hours, [4.5, 16.0, 0.5]);
        assert_eq!(plan.agents[1].tasks[0].title, "CLI");
    }

    #[test]
    fn dialect_branches_from_checkout_and_switch_commands() {
        let plan = parse_ok(
            "### 1. `search` (Independent)\n- [ ] index (2h)\n\
             ### 2. `canvas` (Depends on: search)\n- [ ] draw (3h)\n\
             ```bash\ngit checkout -b feature/search\ngit switch -c feature/canvas\n```\n",
        );
        let branches: Vec<&str> = plan.agents.iter().map(|a| a.branch.as_str()).collect();
        assert_eq!(branches, ["feature/search", "feature/canvas"]);
        assert_eq!(graph(&plan), ["search<-", "canvas<-search"]);
    }

    #[test]
    fn precise_errors() {
        assert!(
            parse_err("**Forge:** gitlab\n## a\nBranch: a\n")
                .contains("line 1: the forge must be local or github")
        );
        assert!(
            parse_err("# T\n### BUILDER-1: [Component Name]\n- [ ] Task 1 description\n### BUILDER-2: [Component Name]\n- [ ] x\n")
                .contains("reads as a template")
        );
    }
}
