//! Markdown plans: reading the shape people write by hand, and writing that shape back.
//!
//! An agent is a heading of any level whose own text has a `**Branch:**` or `**Worktree:**`
//! line or a `**Tasks:**` list. Fenced code blocks never define agents; only a fenced `json`
//! block with a `"dependencies"` object and a fenced `yaml` block with `auto_merge` are read.

use std::collections::{HashMap, HashSet};

use super::hours::{join_estimate, split_estimate};
use super::{
    AgentSpec, ForgeKind, MergeMethod, Plan, PlanError, Task, closest_name, validate_agent_name,
};

const ESTIMATE_HELP: &str = "write it as (8h), (1.5h), (30 min) or (2d)";

/// Read a Markdown plan; a document without agent sections gives a plan without agents.
///
/// A carriage return ends a line whether or not a line feed follows, as in CommonMark.
pub(super) fn parse(text: &str, path: &str, worktrees_dir: &str) -> Result<Plan, PlanError> {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    Reader { path }.parse(&text, worktrees_dir)
}

/// Write `plan` as Markdown that [`parse`] reads back as the same plan.
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
            push_label(&mut out, label, &code_span(command));
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
        "Max review iterations",
        &plan.merge.max_review_iterations.to_string(),
    );
    if !plan.copy.is_empty() {
        let paths: Vec<String> = plan.copy.iter().map(|p| code_span(p)).collect();
        push_label(&mut out, "Copy", &paths.join(", "));
    }
    if let Some(setup) = plan.setup.as_deref().filter(|c| !c.is_empty()) {
        push_label(&mut out, "Setup", &code_span(setup));
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
    let heading = if title.is_empty() {
        HeadingInfo::read(&agent.name)
    } else {
        HeadingInfo::read(&format!("Agent {number}: {title}"))
    };
    out.push('\n');
    out.push_str("## ");
    out.push_str(&heading.raw);
    if heading.raw.ends_with('#') {
        out.push_str(" #");
    }
    out.push('\n');
    if heading.agent_name(None, Some(&agent.worktree), number) != agent.name {
        push_label(out, "Name", &code_span(&agent.name));
    }
    push_label(out, "Branch", &code_span(&agent.branch));
    push_label(out, "Worktree", &code_span(&agent.worktree));
    if let Some(command) = agent.command.as_deref().filter(|c| !c.is_empty()) {
        push_label(out, "Command", &code_span(command));
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
    if !agent.tasks.is_empty() {
        out.push_str("**Tasks:**\n");
        for task in &agent.tasks {
            let mark = if task.done { "x" } else { " " };
            let line = join_estimate(&single_line(&task.title), task.hours);
            let separator = if line.is_empty() { "" } else { " " };
            out.push_str(&format!("- [{mark}]{separator}{line}\n"));
        }
    }
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

/// One piece of the document: fenced blocks are kept whole so nothing inside them counts.
enum Block<'t> {
    Heading {
        line: usize,
        level: usize,
        text: &'t str,
    },
    Text {
        line: usize,
        text: &'t str,
    },
    Fence {
        line: usize,
        info: String,
        body: Vec<&'t str>,
    },
}

fn blocks(text: &str) -> Vec<Block<'_>> {
    let mut blocks = Vec::new();
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(index, line)| (index + 1, line));
    while let Some((number, line)) = lines.next() {
        let trimmed = line.trim_start();
        if let Some((fence_char, fence_len)) = fence_opening(trimmed) {
            let info = trimmed[fence_len..]
                .split_whitespace()
                .next()
                .unwrap_or("")
                .to_ascii_lowercase();
            let mut body = Vec::new();
            for (_, inner) in lines.by_ref() {
                if is_fence_closing(inner.trim(), fence_char, fence_len) {
                    break;
                }
                body.push(inner);
            }
            blocks.push(Block::Fence {
                line: number,
                info,
                body,
            });
        } else if let Some((level, heading)) = heading(line) {
            blocks.push(Block::Heading {
                line: number,
                level,
                text: heading,
            });
        } else {
            blocks.push(Block::Text {
                line: number,
                text: line,
            });
        }
    }
    blocks
}

fn fence_opening(trimmed: &str) -> Option<(char, usize)> {
    let fence_char = trimmed.chars().next().filter(|c| matches!(c, '`' | '~'))?;
    let length = trimmed.len() - trimmed.trim_start_matches(fence_char).len();
    let info = &trimmed[length..];
    (length >= 3 && !(fence_char == '`' && info.contains('`'))).then_some((fence_char, length))
}

fn is_fence_closing(trimmed: &str, fence_char: char, fence_len: usize) -> bool {
    trimmed.len() >= fence_len && trimmed.chars().all(|c| c == fence_char)
}

fn heading(line: &str) -> Option<(usize, &str)> {
    let indent = line.len() - line.trim_start_matches(' ').len();
    if indent > 3 {
        return None;
    }
    let rest = &line[indent..];
    let level = rest.len() - rest.trim_start_matches('#').len();
    let after = &rest[level..];
    if !(1..=6).contains(&level) || !(after.is_empty() || after.starts_with([' ', '\t'])) {
        return None;
    }
    let content = after.trim();
    let without_closing = content.trim_end_matches('#');
    let content = if without_closing.is_empty() {
        ""
    } else if without_closing.len() < content.len() && without_closing.ends_with([' ', '\t']) {
        without_closing.trim_end()
    } else {
        content
    };
    Some((level, content))
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
    MaxReviewIterations,
    Copy,
    Setup,
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
            "branch" => Key::Branch,
            "worktree" | "worktree path" => Key::Worktree,
            "tasks" | "task list" | "todo" => Key::Tasks,
            "dependencies" | "dependency" | "depends on" | "depends" | "deps" | "requires"
            | "blocked by" => Key::Dependencies,
            "command" | "agent command" => Key::Command,
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
            "max review iterations" | "review iterations" => Key::MaxReviewIterations,
            "copy" | "copy paths" | "copy into worktrees" => Key::Copy,
            "setup" | "setup command" => Key::Setup,
            "port base" | "base port" | "ports from" => Key::PortBase,
            _ => Key::Other,
        }
    }

    fn is_agent_key(self) -> bool {
        matches!(
            self,
            Key::Name | Key::Branch | Key::Worktree | Key::Tasks | Key::Dependencies | Key::Command
        )
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
        let close = bold.find("**")?;
        let inner = bold[..close].trim();
        let after = &bold[close + 2..];
        let (label, value) = match inner.strip_suffix(':') {
            Some(label) => (label, after),
            None => (inner, after.strip_prefix(':')?),
        };
        return Some((Key::from_label(label), value.trim()));
    }
    let (label, value) = trimmed.split_once(':')?;
    let plain = label
        .chars()
        .all(|c| c.is_ascii_alphabetic() || matches!(c, ' ' | '-' | '_'));
    let key = Key::from_label(label);
    (plain && key != Key::Other && !label.starts_with(' ')).then(|| (key, value.trim()))
}

fn heading_label(text: &str) -> Option<Key> {
    let cleaned = text.replace("**", "");
    let key = Key::from_label(cleaned.trim().trim_end_matches(':'));
    matches!(key, Key::Tasks | Key::Dependencies).then_some(key)
}

/// A list item: its indentation, whether it has a checkbox (and whether ticked), and its text.
struct ListItem<'t> {
    indent: usize,
    checkbox: Option<bool>,
    content: &'t str,
}

fn list_item(line: &str) -> Option<ListItem<'_>> {
    let trimmed = line.trim_start();
    let indent = line[..line.len() - trimmed.len()]
        .chars()
        .map(|c| if c == '\t' { 4 } else { 1 })
        .sum();
    let after_marker = if let Some(rest) = trimmed.strip_prefix(['-', '*', '+']) {
        rest
    } else {
        let digits = trimmed.len()
            - trimmed
                .trim_start_matches(|c: char| c.is_ascii_digit())
                .len();
        if digits == 0 || digits > 9 {
            return None;
        }
        trimmed[digits..].strip_prefix(['.', ')'])?
    };
    if !(after_marker.is_empty() || after_marker.starts_with([' ', '\t'])) {
        return None;
    }
    let content = after_marker.trim();
    let (checkbox, content) = match content.get(..3) {
        Some("[ ]") => (Some(false), &content[3..]),
        Some("[x]" | "[X]") => (Some(true), &content[3..]),
        _ => (None, content),
    };
    if checkbox.is_some() && !(content.is_empty() || content.starts_with([' ', '\t'])) {
        return Some(ListItem {
            indent,
            checkbox: None,
            content: after_marker.trim(),
        });
    }
    Some(ListItem {
        indent,
        checkbox,
        content: content.trim(),
    })
}

/// How an agent heading names the agent: `Agent 1: Security Hardening`, `backend-agent`,
/// `backend-agent: Backend`, or any title.
struct HeadingInfo {
    raw: String,
    number: Option<u32>,
    name: Option<String>,
    title: String,
    title_is_name: bool,
}

impl HeadingInfo {
    fn read(text: &str) -> HeadingInfo {
        let raw = text.trim();
        let unbolded = raw
            .strip_prefix("**")
            .and_then(|t| t.strip_suffix("**"))
            .unwrap_or(raw)
            .trim();
        if let Some((number, title)) = agent_number_prefix(unbolded) {
            return HeadingInfo {
                raw: raw.to_owned(),
                number: Some(number),
                name: None,
                title,
                title_is_name: false,
            };
        }
        let cleaned = unbolded.replace('`', "");
        if validate_agent_name(&cleaned).is_ok() {
            return HeadingInfo {
                raw: raw.to_owned(),
                number: None,
                name: Some(cleaned),
                title: raw.to_owned(),
                title_is_name: true,
            };
        }
        if let Some((before, after)) = unbolded.split_once(':') {
            let name = before.replace('`', "").trim().to_owned();
            if validate_agent_name(&name).is_ok() && !after.trim().is_empty() {
                return HeadingInfo {
                    raw: raw.to_owned(),
                    number: None,
                    name: Some(name),
                    title: after.trim().to_owned(),
                    title_is_name: false,
                };
            }
        }
        HeadingInfo {
            raw: raw.to_owned(),
            number: None,
            name: None,
            title: raw.to_owned(),
            title_is_name: false,
        }
    }

    /// Name line > basename of the worktree > the heading itself > slug of the title + `-agent`.
    fn agent_name(
        &self,
        name_line: Option<&str>,
        worktree: Option<&str>,
        position: usize,
    ) -> String {
        if let Some(name) = name_line.filter(|n| !n.is_empty()) {
            return name.to_owned();
        }
        if let Some(base) = worktree.and_then(basename) {
            return base.to_owned();
        }
        if let Some(name) = &self.name {
            return name.clone();
        }
        let slug = slug(&self.title);
        if slug.is_empty() {
            format!("agent-{}", self.number.map_or(position, |n| n as usize))
        } else if slug == "agent" || slug.ends_with("-agent") {
            slug
        } else {
            format!("{slug}-agent")
        }
    }

    /// The agent's title: empty when the heading only gave its name.
    fn agent_title(&self, name: &str) -> String {
        if self.title_is_name && self.name.as_deref() == Some(name) {
            String::new()
        } else {
            self.title.clone()
        }
    }
}

/// `Agent 3: Title` → (3, `Title`); also `Agent #3 - Title`, `Agent 3.` and `Agent 3`.
fn agent_number_prefix(text: &str) -> Option<(u32, String)> {
    let prefix = text.get(..5).filter(|p| p.eq_ignore_ascii_case("agent"))?;
    let rest = &text[prefix.len()..];
    let after_space = rest.trim_start();
    if after_space.len() == rest.len() {
        return None;
    }
    let after_hash = after_space.strip_prefix('#').unwrap_or(after_space);
    let digits = after_hash.len()
        - after_hash
            .trim_start_matches(|c: char| c.is_ascii_digit())
            .len();
    let number = after_hash[..digits].parse().ok()?;
    let tail = &after_hash[digits..];
    if tail.starts_with(|c: char| c.is_alphanumeric() || c == '_') {
        return None;
    }
    let title = tail
        .trim_start()
        .trim_start_matches([':', '-', '–', '—', '.', ')', '|'])
        .trim();
    Some((number, title.to_owned()))
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

/// An agent section as written, before names and dependencies are resolved.
struct Draft {
    heading_line: usize,
    heading: HeadingInfo,
    name_line: Option<String>,
    branch: Option<String>,
    worktree: Option<String>,
    command: Option<String>,
    tasks: Vec<Task>,
    dependencies: Vec<(usize, String)>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Context {
    Free,
    Tasks,
    Dependencies,
    Other,
}

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

    fn parse(&self, text: &str, worktrees_dir: &str) -> Result<Plan, PlanError> {
        let blocks = blocks(text);
        let sections = agent_sections(&blocks);
        let mut plan = Plan::new(worktrees_dir);
        if sections.is_empty() {
            return Ok(plan);
        }
        let mut in_section = vec![false; blocks.len()];
        for &(start, end) in &sections {
            in_section[start..end]
                .iter_mut()
                .for_each(|inside| *inside = true);
        }
        for (index, block) in blocks.iter().enumerate() {
            match block {
                Block::Text { line, text } if !in_section[index] => {
                    if let Some((key, value)) = label_line(text) {
                        self.apply_setting(&mut plan, *line, key, value)?;
                    }
                }
                Block::Fence { line, info, body } if matches!(info.as_str(), "yaml" | "yml") => {
                    self.apply_auto_merge(&mut plan, *line, body)?;
                }
                _ => {}
            }
        }
        let drafts: Vec<Draft> = sections
            .iter()
            .map(|&(start, end)| self.read_section(&blocks, start, end))
            .collect::<Result<_, _>>()?;
        for (position, draft) in drafts.iter().enumerate() {
            let name = draft.heading.agent_name(
                draft.name_line.as_deref(),
                draft.worktree.as_deref(),
                position + 1,
            );
            plan.agents.push(AgentSpec {
                title: draft.heading.agent_title(&name),
                branch: draft
                    .branch
                    .clone()
                    .unwrap_or_else(|| format!("agents/{name}")),
                worktree: draft
                    .worktree
                    .clone()
                    .unwrap_or_else(|| plan.default_worktree(&name)),
                depends_on: Vec::new(),
                tasks: draft.tasks.clone(),
                command: draft.command.clone(),
                name,
            });
        }
        let mut dependencies = self.resolve_dependencies(&plan, &drafts)?;
        self.add_json_dependencies(&plan, &blocks, &mut dependencies)?;
        let names: Vec<String> = plan.agents.iter().map(|a| a.name.clone()).collect();
        for (agent, mut indices) in plan.agents.iter_mut().zip(dependencies) {
            indices.sort_unstable();
            indices.dedup();
            agent.depends_on = indices.into_iter().map(|i| names[i].clone()).collect();
        }
        Ok(plan)
    }

    fn read_section(
        &self,
        blocks: &[Block<'_>],
        start: usize,
        end: usize,
    ) -> Result<Draft, PlanError> {
        let (heading_line, heading_text) = match blocks[start] {
            Block::Heading { line, text, .. } => (line, text),
            _ => (0, ""),
        };
        let mut draft = Draft {
            heading_line,
            heading: HeadingInfo::read(heading_text),
            name_line: None,
            branch: None,
            worktree: None,
            command: None,
            tasks: Vec::new(),
            dependencies: Vec::new(),
        };
        let mut context = Context::Free;
        let mut list_indent: Option<usize> = None;
        let mut after_blank = false;
        for block in &blocks[start + 1..end] {
            let (line, text) = match block {
                Block::Fence { .. } => {
                    after_blank = false;
                    continue;
                }
                Block::Heading { text, .. } => {
                    context = match heading_label(text) {
                        Some(Key::Tasks) => Context::Tasks,
                        Some(Key::Dependencies) => Context::Dependencies,
                        _ => Context::Free,
                    };
                    list_indent = None;
                    after_blank = false;
                    continue;
                }
                Block::Text { line, text } => (*line, *text),
            };
            if text.trim().is_empty() {
                after_blank = true;
                continue;
            }
            let follows_blank = std::mem::replace(&mut after_blank, false);
            if let Some(item) = list_item(text) {
                let in_list = matches!(context, Context::Tasks | Context::Dependencies);
                let label = label_line(text)
                    .filter(|(key, _)| item.checkbox.is_none() && (key.is_agent_key() || !in_list));
                if let Some((key, value)) = label {
                    context = apply_agent_label(&mut draft, line, key, value);
                    list_indent = None;
                    continue;
                }
                let base = *list_indent.get_or_insert(item.indent);
                if item.indent > base + 1 {
                    continue;
                }
                list_indent = Some(base.min(item.indent));
                match context {
                    Context::Tasks => draft.tasks.push(self.task(line, &item)?),
                    Context::Free if item.checkbox.is_some() => {
                        draft.tasks.push(self.task(line, &item)?)
                    }
                    Context::Dependencies => {
                        draft.dependencies.push((line, item.content.to_owned()))
                    }
                    _ => {}
                }
                continue;
            }
            if let Some((key, value)) = label_line(text) {
                context = apply_agent_label(&mut draft, line, key, value);
                list_indent = None;
                continue;
            }
            let indented = text.starts_with([' ', '\t']);
            match context {
                Context::Dependencies if follows_blank => context = Context::Free,
                Context::Dependencies if !indented => {
                    draft.dependencies.push((line, text.trim().to_owned()))
                }
                Context::Tasks if follows_blank && !indented => context = Context::Free,
                _ => {}
            }
        }
        Ok(draft)
    }

    fn task(&self, line: usize, item: &ListItem<'_>) -> Result<Task, PlanError> {
        let (title, hours) = split_estimate(item.content).map_err(|unreadable| {
            self.error(
                line,
                format!(
                    "cannot read the estimate ({unreadable}) in task {:?}; {ESTIMATE_HELP}",
                    item.content
                ),
            )
        })?;
        Ok(Task {
            title,
            hours: hours.unwrap_or(0.0),
            done: item.checkbox == Some(true),
        })
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
            Key::Copy => plan.copy.extend(listed_values(value)),
            Key::Setup => plan.setup = command(),
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

    /// The agents each agent depends on, as plan positions, from the sections' dependency lines.
    fn resolve_dependencies(
        &self,
        plan: &Plan,
        drafts: &[Draft],
    ) -> Result<Vec<Vec<usize>>, PlanError> {
        let positions = name_positions(plan);
        let mut numbered: HashMap<u32, Vec<usize>> = HashMap::new();
        for (position, draft) in drafts.iter().enumerate() {
            if let Some(number) = draft.heading.number {
                numbered.entry(number).or_default().push(position);
            }
        }
        let mut resolved = Vec::with_capacity(drafts.len());
        for (agent, draft) in plan.agents.iter().zip(drafts) {
            let mut indices = Vec::new();
            for (line, text) in &draft.dependencies {
                let line = *line;
                match read_dependency_text(text, &positions) {
                    DependencyText::Nothing => {}
                    DependencyText::Unreadable => {
                        let hint = text
                            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
                            .filter(|word| word.contains(['-', '_']))
                            .find_map(|word| closest_name(word, positions.keys().copied()))
                            .map(|name| format!(" (did you mean {name}?)"))
                            .unwrap_or_default();
                        return Err(self.error(
                            line,
                            format!(
                                "cannot tell which agent {text:?} names; write agent names (backend-agent, rag-agent) \
                                 or Agent N as numbered in the headings{hint}"
                            ),
                        ));
                    }
                    DependencyText::Refs { numbers, names } => {
                        for number in numbers {
                            match numbered.get(&number).map(Vec::as_slice) {
                                Some([position]) => indices.push(*position),
                                Some(several) => {
                                    let lines: Vec<String> = several
                                        .iter()
                                        .map(|&p| drafts[p].heading_line.to_string())
                                        .collect();
                                    return Err(self.error(
                                        line,
                                        format!(
                                            "Agent {number} is ambiguous: the headings on lines {} all use that number",
                                            lines.join(", ")
                                        ),
                                    ));
                                }
                                None => {
                                    return Err(self.error(
                                        line,
                                        format!(
                                            "there is no Agent {number}; {}",
                                            numbering(&numbered)
                                        ),
                                    ));
                                }
                            }
                        }
                        for name in names {
                            match positions.get(name.as_str()) {
                                Some(&position) => indices.push(position),
                                None => {
                                    let hint = closest_name(&name, positions.keys().copied())
                                        .map(|n| format!(" (did you mean {n}?)"))
                                        .unwrap_or_default();
                                    return Err(self.error(
                                        line,
                                        format!(
                                            "agent {} depends on unknown agent {name}{hint}",
                                            agent.name
                                        ),
                                    ));
                                }
                            }
                        }
                    }
                }
            }
            resolved.push(indices);
        }
        Ok(resolved)
    }

    /// Union in the `"dependencies"` object of fenced `json` blocks; other JSON is skipped.
    fn add_json_dependencies(
        &self,
        plan: &Plan,
        blocks: &[Block<'_>],
        dependencies: &mut [Vec<usize>],
    ) -> Result<(), PlanError> {
        let positions = name_positions(plan);
        for block in blocks {
            let Block::Fence { line, info, body } = block else {
                continue;
            };
            if !matches!(info.as_str(), "json" | "jsonc" | "json5") {
                continue;
            }
            let Ok(value) = serde_json::from_str::<serde_json::Value>(&body.join("\n")) else {
                continue;
            };
            let Some(object) = value
                .get("dependencies")
                .and_then(serde_json::Value::as_object)
            else {
                continue;
            };
            let entries: Option<Vec<(&String, Vec<&str>)>> = object
                .iter()
                .map(|(agent, list)| {
                    let names = list
                        .as_array()?
                        .iter()
                        .map(serde_json::Value::as_str)
                        .collect::<Option<Vec<_>>>()?;
                    Some((agent, names))
                })
                .collect();
            let Some(entries) = entries else {
                continue;
            };
            for (agent, names) in entries {
                let quoted = format!("\"{agent}\"");
                let entry_line = body
                    .iter()
                    .position(|l| l.contains(&quoted))
                    .map_or(*line, |offset| line + 1 + offset);
                let hint = |wanted: &str| {
                    closest_name(wanted, positions.keys().copied())
                        .map(|n| format!(" (did you mean {n}?)"))
                        .unwrap_or_default()
                };
                let Some(&position) = positions.get(agent.as_str()) else {
                    return Err(self.error(
                        entry_line,
                        format!(
                            "the json dependencies block names unknown agent {agent}{}",
                            hint(agent)
                        ),
                    ));
                };
                for name in names {
                    let Some(&dependency) = positions.get(name) else {
                        return Err(self.error(
                            entry_line,
                            format!("the json dependencies block makes {agent} depend on unknown agent {name}{}", hint(name)),
                        ));
                    };
                    dependencies[position].push(dependency);
                }
            }
        }
        Ok(())
    }
}

fn name_positions(plan: &Plan) -> HashMap<&str, usize> {
    let mut positions = HashMap::with_capacity(plan.agents.len());
    for (position, agent) in plan.agents.iter().enumerate() {
        positions.entry(agent.name.as_str()).or_insert(position);
    }
    positions
}

/// How the headings number their agents, for error messages.
fn numbering(numbered: &HashMap<u32, Vec<usize>>) -> String {
    let mut numbers: Vec<u32> = numbered.keys().copied().collect();
    numbers.sort_unstable();
    match numbers.as_slice() {
        [] => "no agent heading is numbered like \"Agent 1: Title\"; name the agent instead"
            .to_owned(),
        [only] => format!("the only numbered agent heading is Agent {only}"),
        [first, .., last] if (*last - *first) as usize + 1 == numbers.len() => {
            format!("the agent headings are numbered {first} to {last}")
        }
        _ => {
            let listed: Vec<String> = numbers.iter().map(u32::to_string).collect();
            format!("the agent headings are numbered {}", listed.join(", "))
        }
    }
}

fn apply_agent_label(draft: &mut Draft, line: usize, key: Key, value: &str) -> Context {
    let word = || Some(word_value(value)).filter(|w| !w.is_empty());
    match key {
        Key::Name => {
            draft.name_line = draft.name_line.take().or_else(word);
        }
        Key::Branch => {
            draft.branch = draft.branch.take().or_else(word);
        }
        Key::Worktree => {
            let worktree = word().map(|w| {
                let trimmed = w.trim_end_matches('/');
                if trimmed.is_empty() {
                    w.clone()
                } else {
                    trimmed.to_owned()
                }
            });
            draft.worktree = draft.worktree.take().or(worktree);
        }
        Key::Command => {
            draft.command = draft
                .command
                .take()
                .or_else(|| Some(unwrap_code(value).0).filter(|c| !c.is_empty()));
        }
        Key::Tasks => return Context::Tasks,
        Key::Dependencies if value.is_empty() => return Context::Dependencies,
        Key::Dependencies => draft.dependencies.push((line, value.to_owned())),
        _ => {}
    }
    Context::Other
}

/// The agent sections as (heading block, end block) ranges, in document order.
fn agent_sections(blocks: &[Block<'_>]) -> Vec<(usize, usize)> {
    let is_agent: Vec<bool> = (0..blocks.len())
        .map(|index| is_agent_heading(blocks, index))
        .collect();
    let mut sections = Vec::new();
    for (index, block) in blocks.iter().enumerate() {
        let Block::Heading { level, .. } = block else {
            continue;
        };
        if !is_agent[index] {
            continue;
        }
        let end = (index + 1..blocks.len())
            .find(|&later| {
                is_agent[later]
                    || matches!(blocks[later], Block::Heading { level: l, .. } if l <= *level)
            })
            .unwrap_or(blocks.len());
        sections.push((index, end));
    }
    sections
}

/// A heading is an agent when its own text (up to the next heading that is not a deeper
/// `Tasks`/`Dependencies` heading) has a Branch or Worktree line or a `Tasks:` line with a list.
fn is_agent_heading(blocks: &[Block<'_>], index: usize) -> bool {
    let Block::Heading { level, text, .. } = blocks[index] else {
        return false;
    };
    if heading_label(text).is_some() {
        return false;
    }
    let mut expecting_tasks = false;
    for block in &blocks[index + 1..] {
        match block {
            Block::Heading {
                level: inner, text, ..
            } => match heading_label(text) {
                Some(_) if *inner > level => expecting_tasks = false,
                _ => return false,
            },
            Block::Fence { .. } => expecting_tasks = false,
            Block::Text { text, .. } => {
                if text.trim().is_empty() {
                    continue;
                }
                if expecting_tasks && list_item(text).is_some() {
                    return true;
                }
                expecting_tasks = false;
                match label_line(text) {
                    Some((Key::Branch | Key::Worktree, _)) => return true,
                    Some((Key::Tasks, _)) => expecting_tasks = true,
                    _ => {}
                }
            }
        }
    }
    false
}

/// What one dependency line or value says.
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

#[derive(Debug, PartialEq)]
enum DependencyText {
    /// `None`, `None (CI/CD can run independently)`, `-`.
    Nothing,
    /// Agent numbers from `Agent 1, 2 & 4` and agent names.
    Refs {
        numbers: Vec<u32>,
        names: Vec<String>,
    },
    /// Words that name no agent.
    Unreadable,
}

fn read_dependency_text(text: &str, known: &HashMap<&str, usize>) -> DependencyText {
    let unemphasized = text
        .split('`')
        .enumerate()
        .map(|(i, part)| {
            if i % 2 == 0 {
                without_emphasis(part)
            } else {
                part.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("`");
    if reads_as_none(&unemphasized) {
        return DependencyText::Nothing;
    }
    let plain = without_parentheses(&unemphasized.replace('`', " "));
    let words: Vec<&str> = plain
        .split(|c: char| c.is_whitespace() || ",;&/+[]{}<>\"'*!?".contains(c))
        .map(|w| w.trim_end_matches(['.', ':']))
        .filter(|w| !w.is_empty())
        .collect();
    let mut numbers = Vec::new();
    let mut consumed = vec![false; words.len()];
    let mut index = 0;
    while index < words.len() {
        if !(words[index].eq_ignore_ascii_case("agent")
            || words[index].eq_ignore_ascii_case("agents"))
        {
            index += 1;
            continue;
        }
        let mut next = index + 1;
        while next < words.len() {
            if let Some(number) = agent_number(words[next]) {
                numbers.push(number);
                consumed[next] = true;
                next += 1;
            } else if next > index + 1
                && (words[next].eq_ignore_ascii_case("and")
                    || words[next].eq_ignore_ascii_case("or"))
                && words.get(next + 1).and_then(|w| agent_number(w)).is_some()
            {
                consumed[next] = true;
                next += 1;
            } else {
                break;
            }
        }
        if next > index + 1 {
            consumed[index] = true;
        }
        index = next.max(index + 1);
    }
    if let Some(names) = name_list(&plain).filter(|_| numbers.is_empty()) {
        return DependencyText::Refs { numbers, names };
    }
    let mut names: Vec<String> = Vec::new();
    for (word, _) in words
        .iter()
        .zip(&consumed)
        .filter(|(_, consumed)| !**consumed)
    {
        let lowered = word.to_ascii_lowercase();
        let looks_like_agent = (lowered.ends_with("-agent") || lowered.ends_with("_agent"))
            && validate_agent_name(word).is_ok();
        if (known.contains_key(word) || looks_like_agent) && !names.iter().any(|n| n == word) {
            names.push((*word).to_owned());
        }
    }
    if numbers.is_empty() && names.is_empty() {
        DependencyText::Unreadable
    } else {
        DependencyText::Refs { numbers, names }
    }
}

/// `a, b and c` → the names, when the text is nothing but a list of single words.
fn name_list(text: &str) -> Option<Vec<String>> {
    let mut names = Vec::new();
    for piece in text.split([',', ';', '&']) {
        let mut expecting_name = true;
        for word in piece.split_whitespace() {
            if expecting_name {
                names.push(word.trim_end_matches('.').to_owned());
                expecting_name = false;
            } else if word.eq_ignore_ascii_case("and") {
                expecting_name = true;
            } else {
                return None;
            }
        }
    }
    let mut seen = HashSet::new();
    names.retain(|name| !name.is_empty() && seen.insert(name.clone()));
    (!names.is_empty()).then_some(names)
}

fn agent_number(word: &str) -> Option<u32> {
    let digits = word.strip_prefix('#').unwrap_or(word);
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

fn without_parentheses(text: &str) -> String {
    let mut depth = 0usize;
    let mut kept = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '(' => {
                depth += 1;
                kept.push(' ');
            }
            ')' => {
                depth = depth.saturating_sub(1);
                kept.push(' ');
            }
            _ if depth > 0 => {}
            _ => kept.push(c),
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ok(text: &str) -> Plan {
        parse(text, "plan.md", "worktrees").expect("the plan reads")
    }

    fn parse_err(text: &str) -> String {
        parse(text, "plan.md", "worktrees")
            .expect_err("the plan is rejected")
            .to_string()
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
    fn reads_list_items() {
        let item = list_item("- [ ] Fix CORS (1h)").expect("an item");
        assert_eq!(
            (item.checkbox, item.content),
            (Some(false), "Fix CORS (1h)")
        );
        let item = list_item("  * [X] Done").expect("an item");
        assert_eq!(
            (item.indent, item.checkbox, item.content),
            (2, Some(true), "Done")
        );
        let item = list_item("12. Numbered").expect("an item");
        assert_eq!((item.checkbox, item.content), (None, "Numbered"));
        assert_eq!(
            list_item("- [x]").map(|i| (i.checkbox, i.content)),
            Some((Some(true), ""))
        );
        assert_eq!(list_item("- [link](x)").map(|i| i.checkbox), Some(None));
        assert!(list_item("**Branch:** x").is_none());
        assert!(list_item("---").is_none());
        assert!(list_item("2024 was a year").is_none());
    }

    #[test]
    fn reads_headings() {
        assert_eq!(
            heading("#### Agent 1: Security"),
            Some((4, "Agent 1: Security"))
        );
        assert_eq!(heading("## Title ##"), Some((2, "Title")));
        assert_eq!(heading("# C#"), Some((1, "C#")));
        assert_eq!(heading("#hashtag"), None);
        assert_eq!(heading("####### seven"), None);
        assert_eq!(heading("    # code"), None);
    }

    #[test]
    fn names_agents_from_headings() {
        let numbered = HeadingInfo::read("Agent 1: Security Hardening");
        assert_eq!(
            (numbered.number, numbered.title.as_str()),
            (Some(1), "Security Hardening")
        );
        assert_eq!(
            numbered.agent_name(None, None, 1),
            "security-hardening-agent"
        );
        assert_eq!(
            numbered.agent_name(None, Some("worktrees/security-agent"), 1),
            "security-agent"
        );
        assert_eq!(
            numbered.agent_name(Some("sec"), Some("worktrees/security-agent"), 1),
            "sec"
        );
        let named = HeadingInfo::read("`backend-agent`");
        assert_eq!(named.agent_name(None, None, 1), "backend-agent");
        assert_eq!(named.agent_title("backend-agent"), "");
        let titled = HeadingInfo::read("rag-agent: RAG Completion");
        assert_eq!(
            (
                titled.agent_name(None, None, 1).as_str(),
                titled.agent_title("rag-agent").as_str()
            ),
            ("rag-agent", "RAG Completion")
        );
        assert_eq!(
            HeadingInfo::read("Agent 3").agent_name(None, None, 7),
            "agent-3"
        );
        assert_eq!(
            HeadingInfo::read("Тест").agent_name(None, None, 7),
            "agent-7"
        );
        assert_eq!(
            HeadingInfo::read("Testing Agent").agent_name(None, None, 1),
            "testing-agent"
        );
        assert!(agent_number_prefix("Agent 3rd").is_none());
        assert!(agent_number_prefix("agent-3").is_none());
        assert_eq!(
            agent_number_prefix("Agent #12 — Docs"),
            Some((12, "Docs".to_owned()))
        );
    }

    #[test]
    fn a_lone_carriage_return_ends_a_line() {
        let plan = parse(
            "## a\r**Branch:** `b`\r\n**Tasks:**\r- [ ] One (1h)\r- [ ] Two\rthree (2h)\n",
            "plan.md",
            "w",
        )
        .unwrap();
        let titles: Vec<&str> = plan.agents[0]
            .tasks
            .iter()
            .map(|t| t.title.as_str())
            .collect();
        assert_eq!(titles, ["One", "Two"]);
        assert_eq!(plan.agents[0].branch, "b");
        assert_eq!(parse(&render(&plan), "again.md", "w").unwrap(), plan);
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
    fn reads_dependency_text() {
        let known: HashMap<&str, usize> = [("backend-agent", 0), ("rag-agent", 1)]
            .into_iter()
            .collect();
        let refs = |numbers: &[u32], names: &[&str]| DependencyText::Refs {
            numbers: numbers.to_vec(),
            names: names.iter().map(|n| (*n).to_owned()).collect(),
        };
        assert_eq!(
            read_dependency_text("None", &known),
            DependencyText::Nothing
        );
        assert_eq!(
            read_dependency_text("None (CI/CD can run independently)", &known),
            DependencyText::Nothing
        );
        assert_eq!(
            read_dependency_text("Needs Agent 2 (service layer) for backend tests", &known),
            refs(&[2], &[])
        );
        assert_eq!(
            read_dependency_text("Needs Agent 1, 2, 4 merged", &known),
            refs(&[1, 2, 4], &[])
        );
        assert_eq!(
            read_dependency_text("Needs Agent 2 & 3", &known),
            refs(&[2, 3], &[])
        );
        assert_eq!(
            read_dependency_text("Needs agents 2 and 3", &known),
            refs(&[2, 3], &[])
        );
        assert_eq!(
            read_dependency_text("Needs backend-agent", &known),
            refs(&[], &["backend-agent"])
        );
        assert_eq!(
            read_dependency_text("backend-agent, rag-agent", &known),
            refs(&[], &["backend-agent", "rag-agent"])
        );
        assert_eq!(read_dependency_text("`none`", &known), refs(&[], &["none"]));
        assert_eq!(
            read_dependency_text("Agent 2 and rag-agent", &known),
            refs(&[2], &["rag-agent"])
        );
        assert_eq!(
            read_dependency_text("after the backend is done", &known),
            DependencyText::Unreadable
        );
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
    fn precise_errors() {
        assert_eq!(
            parse_err("## a\n**Branch:** a\n**Tasks:**\n- [ ] Fix (abc h)\n"),
            "plan.md: line 4: cannot read the estimate (abc h) in task \"Fix (abc h)\"; write it as (8h), (1.5h), (30 min) or (2d)"
        );
        assert_eq!(
            parse_err("## Agent 1: A\n**Branch:** a\n**Dependencies:**\n- Needs Agent 3\n"),
            "plan.md: line 4: there is no Agent 3; the only numbered agent heading is Agent 1"
        );
        assert!(
            parse_err("**Forge:** gitlab\n## a\nBranch: a\n")
                .contains("line 1: the forge must be local or github")
        );
        assert!(
            parse_err("## a\nBranch: a\nDependencies: after lunch\n")
                .contains("line 3: cannot tell which agent")
        );
        assert!(
            parse_err("## a\nBranch: a\n## b\nBranch: b\nDependencies: a-agnt-x\n")
                .contains("unknown agent a-agnt-x")
        );
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
}
