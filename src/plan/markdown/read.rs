//! Reading a plan out of a Markdown document as people write it, saying what was understood.
//!
//! Agents are found three ways, strongest first: a heading whose own text carries a branch,
//! worktree or owner line; a heading that names a worker (`Agent 2`, `Stream 3`, `Track 4A`,
//! `Batch 1`, `1A — …`) among others like it or inside a wave or phase; a table row keyed by
//! such a name. Waves and phases run in order; dependencies come from labels, table columns,
//! heading notes and sentences, and are resolved by number, name, branch or id. Whatever is
//! read but not used becomes a warning with its line.

use std::collections::{HashMap, HashSet};

use super::tree::{self, Block};
use super::{
    Key, Reader, basename, label_line, reads_as_none, slug, unwrap_code, without_emphasis,
    word_value,
};
use crate::plan::Rates;
use crate::plan::hours::{is_points, parse_estimate_at, split_estimate, split_estimate_at};
use crate::plan::{
    AgentSpec, DependencyEdge, Plan, PlanError, Task, Understanding, Warning, normalize_dir,
    validate_agent_name,
};

/// Words that name one worker of a fleet in a heading or a table.
const UNIT_WORDS: &[&str] = &[
    "agent",
    "subagent",
    "sub-agent",
    "workstream",
    "stream",
    "track",
    "batch",
    "session",
    "worker",
    "lane",
    "prompt",
    "builder",
    "squad",
];
/// Words that name a group of workers that run after the group before it.
const ORDERED_GROUPS: &[&str] = &["wave", "phase", "stage", "round"];
/// Words that name a group of workers that says nothing about order.
const OTHER_GROUPS: &[&str] = &[
    "sprint",
    "week",
    "day",
    "milestone",
    "part",
    "iteration",
    "step",
    "epic",
];

/// How a worker is numbered: `agent` and `2`, `track` and `4a`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Mark {
    kind: String,
    code: String,
}

/// A group heading: `phase` and `1`.
#[derive(Debug, Clone)]
struct Group {
    word: String,
    ordered: bool,
}

/// The label lines of one heading's own text.
#[derive(Debug, Default)]
struct Labels {
    name: Option<String>,
    branch: Option<(usize, String)>,
    worktree: Option<(usize, String)>,
    owner: Option<String>,
    command: Option<String>,
    cli: Option<String>,
    estimate: Option<(usize, String)>,
    /// A `**Total:**` line, to hold against the tasks' sum.
    total: Option<(usize, String)>,
    deps: Vec<(usize, String)>,
    /// A `Tasks:` label or heading.
    tasks: bool,
    /// `**Tasks:** none`: the agent has no tasks, said outright.
    no_tasks: bool,
    title: Option<String>,
}

/// One worker found in the document, before names and dependencies are settled.
#[derive(Debug, Default)]
struct Unit {
    line: usize,
    title: String,
    mark: Option<Mark>,
    /// Short names the document may use for it (`5a`, `core-001`, `search-complete`).
    aliases: Vec<String>,
    /// An explicit name from a `**Name:**` line.
    name_label: Option<String>,
    /// A name the heading or table gives (a code span, an identifier, a table key).
    name: Option<String>,
    branch: Option<String>,
    worktree: Option<(usize, String)>,
    command: Option<String>,
    /// The coding-agent program it names by `**CLI:**`.
    cli: Option<String>,
    /// The whole unit's estimate, when the document gives one figure for it.
    estimate: Option<(usize, f64)>,
    /// A total the document states for the unit, checked against its tasks.
    total: Option<(usize, f64)>,
    tasks: Vec<Task>,
    deps: Vec<(usize, String)>,
    /// The ordered group sequence and position it belongs to.
    group: Option<(usize, usize)>,
    /// Its heading holds a placeholder (`[Component Name]`): a template, not a plan.
    placeholder: bool,
    /// Its tasks are none, said outright (`**Tasks:** none`).
    no_tasks: bool,
    /// Rows of one owner gathered into one unit: a row waiting for another of the same
    /// owner is the order of its tasks, not a dependency on itself.
    owner_rows: bool,
    /// The heading's block and section end, for heading units.
    section: Option<(usize, usize)>,
}

/// How a heading names its unit: `Agent 2`, `1A —`, a code span or an identifier.
struct HeadingNames {
    mark: Option<Mark>,
    code: Option<(String, String)>,
    span: Option<String>,
}

/// One heading with its place in the outline.
#[derive(Debug)]
struct Head {
    block: usize,
    level: usize,
    line: usize,
    text: String,
    /// The block index where its section ends (next heading of the same or a higher level).
    end: usize,
    /// The block index where its own text ends (the next heading of any level).
    body_end: usize,
    parent: Option<usize>,
}

struct Doc<'a> {
    blocks: Vec<Block>,
    heads: Vec<Head>,
    reader: Reader<'a>,
    /// How long a day and a story point of estimate are.
    rates: Rates,
    warnings: Vec<Warning>,
    /// Branches and worktree paths named by `git worktree add` and `git checkout -b` lines.
    worktree_commands: Vec<(String, Option<String>)>,
}

/// Read `text` as a plan, with what was understood and every warning.
pub(super) fn read(
    text: &str,
    path: &str,
    worktrees_dir: &str,
    rates: &Rates,
) -> Result<(Plan, Understanding), PlanError> {
    let blocks = with_bold_headings(tree::blocks(text));
    let heads = outline(&blocks);
    let mut doc = Doc {
        blocks,
        heads,
        rates: *rates,
        reader: Reader { path },
        warnings: Vec::new(),
        worktree_commands: Vec::new(),
    };
    doc.worktree_commands = worktree_commands(&doc.blocks);
    let mut plan = Plan::new(worktrees_dir);
    let mut units = doc.heading_units();
    if units.is_empty() {
        units = doc.table_units();
    }
    doc.apply_settings(&mut plan, &units)?;
    if units.is_empty() {
        return Ok((
            plan,
            Understanding {
                warnings: doc.warnings,
                ..Understanding::default()
            },
        ));
    }
    doc.refuse_templates(&units)?;
    let names = doc.settle(&mut plan, &mut units)?;
    let edges = doc.dependencies(&plan, &units, &names)?;
    let mut understanding = Understanding {
        agents: units
            .iter()
            .zip(&plan.agents)
            .map(|(u, a)| crate::plan::AgentOrigin {
                name: a.name.clone(),
                line: u.line,
            })
            .collect(),
        edges,
        warnings: std::mem::take(&mut doc.warnings),
    };
    let positions: HashMap<String, usize> = plan
        .agents
        .iter()
        .enumerate()
        .map(|(i, a)| (a.name.clone(), i))
        .collect();
    for edge in &understanding.edges {
        if let Some(&at) = positions.get(&edge.agent) {
            let agent = &mut plan.agents[at];
            if !agent.depends_on.contains(&edge.depends_on) {
                agent.depends_on.push(edge.depends_on.clone());
            }
        }
    }
    for agent in &mut plan.agents {
        agent
            .depends_on
            .sort_by_key(|d| positions.get(d).copied().unwrap_or(usize::MAX));
    }
    understanding.warnings.sort_by_key(|w| w.line);
    Ok((plan, understanding))
}

/// What a document that names no agent showed, and the smallest change that would make it a plan.
pub(super) fn describe_refusal(text: &str) -> String {
    let blocks = with_bold_headings(tree::blocks(text));
    let heads = outline(&blocks);
    let workers: Vec<usize> = heads
        .iter()
        .filter(|h| unit_mark(&h.text).is_some() || code_heading(&h.text).is_some())
        .map(|h| h.line)
        .collect();
    let checklists = blocks
        .iter()
        .filter(|b| {
            matches!(
                b,
                Block::Item {
                    checked: Some(_),
                    ..
                }
            )
        })
        .count();
    if !workers.is_empty() {
        return format!(
            "{} heading{} look like agent sections but none has a branch, a worktree, an estimate or a dependency: line{} {}; add a **Branch:** line under each agent's heading",
            workers.len(),
            if workers.len() == 1 { "" } else { "s" },
            if workers.len() == 1 { "" } else { "s" },
            lines_list(&workers)
        );
    }
    let commands = worktree_commands(&blocks).len();
    if commands > 0 {
        return format!(
            "it shows {commands} git worktree command{} but names no agent; give each agent a heading (## Agent 1: Title) with a **Branch:** line",
            if commands == 1 { "" } else { "s" }
        );
    }
    format!(
        "it has {} heading{} and {checklists} checklist item{} but no agent; give each agent a heading (## Agent 1: Title) with a **Branch:** line and its tasks as a list",
        heads.len(),
        if heads.len() == 1 { "" } else { "s" },
        if checklists == 1 { "" } else { "s" },
    )
}

/// A paragraph that opens with a line in bold naming a worker (`**Agent 4: Docs**`) is
/// that worker's heading, one level below the heading it sits under.
fn with_bold_headings(blocks: Vec<Block>) -> Vec<Block> {
    let mut out = Vec::with_capacity(blocks.len());
    let mut level = 0;
    for block in blocks {
        if let Block::Heading { level: real, .. } = &block {
            level = *real;
        }
        let Block::Para { lines } = &block else {
            out.push(block);
            continue;
        };
        let (line, first) = &lines[0];
        let inner = first
            .strip_prefix("**")
            .and_then(|rest| rest.strip_suffix("**"))
            .filter(|inner| !inner.contains("**") && !inner.trim_end().ends_with(':'));
        match inner {
            Some(inner) if unit_mark(inner).is_some() || code_heading(inner).is_some() => {
                out.push(Block::Heading {
                    line: *line,
                    level: level + 1,
                    text: inner.trim().to_owned(),
                });
                if lines.len() > 1 {
                    out.push(Block::Para {
                        lines: lines[1..].to_vec(),
                    });
                }
            }
            _ => out.push(block),
        }
    }
    out
}

fn lines_list(lines: &[usize]) -> String {
    let shown: Vec<String> = lines.iter().take(6).map(usize::to_string).collect();
    let more = if lines.len() > 6 { ", …" } else { "" };
    format!("{}{more}", shown.join(", "))
}

fn outline(blocks: &[Block]) -> Vec<Head> {
    let mut heads: Vec<Head> = Vec::new();
    for (index, block) in blocks.iter().enumerate() {
        if let Block::Heading { line, level, text } = block {
            heads.push(Head {
                block: index,
                level: *level,
                line: *line,
                text: text.trim().to_owned(),
                end: blocks.len(),
                body_end: blocks.len(),
                parent: None,
            });
        }
    }
    for i in 0..heads.len() {
        let level = heads[i].level;
        heads[i].body_end = heads.get(i + 1).map_or(blocks.len(), |h| h.block);
        heads[i].end = heads[i + 1..]
            .iter()
            .find(|h| h.level <= level)
            .map_or(blocks.len(), |h| h.block);
        heads[i].parent = (0..i).rev().find(|&j| heads[j].level < level);
    }
    heads
}

/// `text` without emphasis markers, emoji and leading decoration, for matching words.
fn plain(text: &str) -> String {
    let text = without_emphasis(text).replace("**", "");
    let trimmed = text.trim_start_matches(|c: char| !(c.is_alphanumeric() || c == '`' || c == '['));
    trimmed
        .chars()
        .filter(|c| c.is_ascii() || c.is_alphanumeric() || " –—".contains(*c))
        .collect::<String>()
        .trim()
        .to_owned()
}

/// Split lowercase `text` into words of letters, digits, `-`, `_` and `#`.
fn words(text: &str) -> Vec<&str> {
    text.split(|c: char| !(c.is_alphanumeric() || matches!(c, '-' | '_' | '#' | '\'')))
        .map(|w| {
            w.trim_matches(|c| c == '\'' || c == '-')
                .trim_end_matches("'s")
        })
        .filter(|w| !w.is_empty())
        .collect()
}

/// A worker's number or code: `2`, `#2`, `4a`, `b` (a single letter), `1.1` is not one.
fn code_word(word: &str) -> Option<String> {
    let word = word.trim_start_matches('#').to_ascii_lowercase();
    let digits = word.len() - word.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    let rest = &word[digits..];
    if digits > 0
        && digits <= 9
        && (rest.is_empty() || (rest.len() == 1 && rest.chars().all(|c| c.is_ascii_lowercase())))
    {
        return Some(word);
    }
    if digits == 0 && word.len() == 1 && word.chars().all(|c| c.is_ascii_lowercase()) {
        return Some(word);
    }
    None
}

/// `Agent 2`, `Stream 3: …`, `Post-Merge Integration (Stream 6)`, `BUILDER-1: …`, `Track 4A`.
fn unit_mark(text: &str) -> Option<Mark> {
    let lowered = plain(text).to_lowercase();
    let list = words(&lowered);
    for (i, word) in list.iter().enumerate() {
        let (stem, attached) = match word.split_once('-') {
            Some((stem, code)) if UNIT_WORDS.contains(&stem) && code_word(code).is_some() => {
                (stem, Some(code))
            }
            _ => (*word, None),
        };
        if !UNIT_WORDS.contains(&stem) {
            continue;
        }
        let code = attached
            .map(str::to_owned)
            .or_else(|| list.get(i + 1).and_then(|w| code_word(w)));
        if let Some(code) = code {
            // A single letter only counts right after the word: `Track A`, not `Agent a …`.
            if code.len() == 1
                && code.chars().all(|c| c.is_ascii_lowercase())
                && !is_upper_letter_after(text, stem)
            {
                continue;
            }
            return Some(Mark {
                kind: stem.trim_start_matches("sub-").to_owned(),
                code,
            });
        }
    }
    None
}

fn is_upper_letter_after(text: &str, stem: &str) -> bool {
    let lowered = text.to_lowercase();
    lowered.find(stem).is_some_and(|at| {
        let after = text.get(at + stem.len()..).unwrap_or("").trim_start();
        let mut chars = after.chars();
        chars.next().is_some_and(|c| c.is_ascii_uppercase())
            && chars.next().is_none_or(|c| !c.is_alphanumeric())
    })
}

/// `Phase 1 — …`, `Wave 2: …`, `SPRINT 3`: the group word and whether its groups run in order.
fn group_heading(text: &str) -> Option<Group> {
    let lowered = plain(text).to_lowercase();
    let list = words(&lowered);
    let first = *list.first()?;
    let ordered = ORDERED_GROUPS.contains(&first);
    if !(ordered || OTHER_GROUPS.contains(&first)) {
        return None;
    }
    // A group is numbered (`Phase 1`, `Day 1-2`); `Phase Overview` is a section.
    list.get(1)
        .and_then(|w| code_word(w).or_else(|| w.split('-').next().and_then(code_word)))?;
    Some(Group {
        word: first.to_owned(),
        ordered,
    })
}

/// `1A — Data Layer Audit`, `2B: Refactor`: a short code ending in a letter, then a title.
fn code_heading(text: &str) -> Option<(String, String)> {
    let cleaned = plain(text);
    let (head, title) = cleaned.split_once(char::is_whitespace)?;
    let head = head.trim_end_matches([':', '.', ')']);
    let code = code_word(head)?;
    if !code.ends_with(|c: char| c.is_ascii_lowercase()) || code.len() < 2 {
        return None;
    }
    let title = title
        .trim_start()
        .trim_start_matches(['—', '–', '-', ':', '|'])
        .trim();
    (!title.is_empty()).then(|| (code, title.to_owned()))
}

/// The first code span of a heading when it is a usable agent name (`` 1. `ai-chat` ``).
fn span_name(text: &str) -> Option<String> {
    let start = text.find('`')?;
    let (content, _) = unwrap_code(&text[start..]);
    validate_agent_name(&content).is_ok().then_some(content)
}

/// A heading that is an agent's name: `backend-agent`, or `rag-agent: RAG Completion`.
fn identifier_heading(text: &str) -> Option<String> {
    let cleaned = plain(text);
    let head = cleaned
        .split_once(':')
        .map_or(cleaned.as_str(), |(name, _)| name)
        .trim();
    let looks_like_name = head.contains(['-', '_']) && !head.contains(' ');
    (looks_like_name && validate_agent_name(head).is_ok()).then(|| head.to_owned())
}

/// A heading that labels what follows (`Tasks`, `Dependencies`) rather than naming anything.
fn label_heading(text: &str) -> Option<TaskKind> {
    let cleaned = plain(text).trim_end_matches(':').to_lowercase();
    task_label(&cleaned)
}

/// How strongly a label says "these are the tasks".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum TaskKind {
    Tasks,
    Deliverables,
}

fn task_label(label: &str) -> Option<TaskKind> {
    let label = label.trim().trim_end_matches(':').trim();
    let tasks = [
        "tasks",
        "task list",
        "todo",
        "to do",
        "to-do",
        "key tasks",
        "work items",
        "checklist",
        "subtasks",
        "steps",
        "implementation tasks",
        "task breakdown",
        "action items",
    ];
    let deliverables = [
        "deliverables",
        "scope",
        "responsibilities",
        "work",
        "objectives",
        "goals",
        "implementation",
    ];
    if tasks.contains(&label) {
        Some(TaskKind::Tasks)
    } else if deliverables.contains(&label) {
        Some(TaskKind::Deliverables)
    } else {
        None
    }
}

/// `#### 1.2 Indexing Progress Skeleton` or `Task 3: …`: a heading that is one task.
fn task_heading(text: &str) -> bool {
    let cleaned = plain(text);
    let first = cleaned.split_whitespace().next().unwrap_or("");
    let numbered = first.trim_end_matches([':', '.']);
    let dotted = numbered.split('.').count() >= 2
        && numbered
            .split('.')
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()));
    dotted || first.eq_ignore_ascii_case("task")
}

/// Label lines of one line of text: `**Branch:** x | **Time:** 2h` gives two.
fn labels_in(line: &str) -> Vec<(Key, String, String)> {
    let mut found = Vec::new();
    for part in split_outside_code(line, " | ") {
        if let Some((key, value)) = label_line(part) {
            found.push((key, value.to_owned(), label_text(part)));
        } else if let Some((label, value)) = bold_label(part) {
            found.push((Key::Other, value, label));
        }
    }
    found
}

/// `text` split at each `separator` that is not inside a code span, so that a value
/// written as `` `a | b` `` stays whole.
fn split_outside_code<'a>(text: &'a str, separator: &str) -> Vec<&'a str> {
    let bytes = text.as_bytes();
    let mut parts = Vec::new();
    let mut start = 0;
    let mut at = 0;
    while at < bytes.len() {
        if bytes[at] == b'`' {
            let run = bytes[at..].iter().take_while(|&&b| b == b'`').count();
            let fence = &text[at..at + run];
            // A code span closes at the next run of exactly as many backticks.
            let mut search = at + run;
            let mut closed = None;
            while let Some(found) = text[search..].find(fence) {
                let begin = search + found;
                let end = begin + run;
                let longer = bytes.get(end) == Some(&b'`');
                if !longer {
                    closed = Some(end);
                    break;
                }
                search = end + bytes[end..].iter().take_while(|&&b| b == b'`').count();
            }
            at = closed.unwrap_or(at + run);
            continue;
        }
        if text[at..].starts_with(separator) {
            parts.push(&text[start..at]);
            at += separator.len();
            start = at;
            continue;
        }
        at += text[at..].chars().next().map_or(1, char::len_utf8);
    }
    parts.push(&text[start..]);
    parts
}

/// `**Anything:** value` or `**Anything**: value`: the label and its value.
fn bold_label(text: &str) -> Option<(String, String)> {
    let trimmed = text.trim();
    let trimmed = ["- ", "* ", "+ "]
        .iter()
        .find_map(|bullet| trimmed.strip_prefix(bullet))
        .unwrap_or(trimmed)
        .trim_start();
    let (label, value) = super::bold_parts(trimmed.strip_prefix("**")?)?;
    Some((label.trim().to_owned(), value.trim().to_owned()))
}

fn label_text(text: &str) -> String {
    bold_label(text)
        .map(|(l, _)| l)
        .unwrap_or_else(|| text.split(':').next().unwrap_or("").trim().to_owned())
}

/// `git worktree add PATH [BRANCH]`, `git worktree add -b BRANCH PATH`, `git checkout -b BRANCH`.
fn worktree_commands(blocks: &[Block]) -> Vec<(String, Option<String>)> {
    let mut found = Vec::new();
    for block in blocks {
        let Block::Code { text, .. } = block else {
            continue;
        };
        for line in text.lines() {
            let words: Vec<&str> = line.split_whitespace().collect();
            // `git checkout -b BRANCH` and `git switch -c BRANCH` name a branch alone.
            if let Some(at) = words.windows(4).position(|w| {
                w[0] == "git"
                    && ((w[1] == "checkout" && matches!(w[2], "-b" | "-B"))
                        || (w[1] == "switch" && matches!(w[2], "-c" | "-C")))
            }) {
                let branch = words[at + 3].trim_matches(['"', '\'']);
                if !branch.starts_with(['$', '-']) {
                    let name = basename(branch).unwrap_or(branch).to_owned();
                    found.push((name, Some(branch.to_owned())));
                }
                continue;
            }
            let Some(at) = words
                .windows(3)
                .position(|w| w[0] == "git" && w[1] == "worktree" && w[2] == "add")
            else {
                continue;
            };
            let mut branch = None;
            let mut positional = Vec::new();
            let mut rest = words[at + 3..].iter();
            while let Some(word) = rest.next() {
                match *word {
                    "-b" | "-B" => branch = rest.next().map(|b| (*b).to_owned()),
                    "&&" | ";" | "||" | "|" => break,
                    w if w.starts_with('-') => {}
                    w => positional.push(w.trim_matches(['"', '\'']).to_owned()),
                }
            }
            let Some(path) = positional.first().cloned() else {
                continue;
            };
            let branch = branch
                .or_else(|| positional.get(1).cloned())
                .filter(|b| !b.starts_with('$'));
            if !path.starts_with('$') {
                found.push((path, branch));
            }
        }
    }
    found
}

impl Doc<'_> {
    fn warn(&mut self, line: usize, message: impl Into<String>) {
        self.warnings.push(Warning {
            line: Some(line),
            message: message.into(),
        });
    }

    /// The labels of a heading's own text, up to the next heading.
    fn labels(&self, head: &Head) -> Labels {
        let mut labels = Labels::default();
        let mut deps_list = false;
        let mut command_below = false;
        for block in &self.blocks[head.block + 1..head.end] {
            if std::mem::take(&mut command_below)
                && let Block::Code { text, .. } = block
            {
                // `**Command:**` over a fenced block: a command of several lines.
                labels.command = Some(fenced_value(text)).filter(|c| !c.is_empty());
                continue;
            }
            let lines: Vec<(usize, &str)> = match block {
                Block::Heading { text, .. } => {
                    // Tasks and Dependencies headings belong to the section; any other
                    // heading starts text of its own.
                    let cleaned = plain(text).trim_end_matches(':').to_owned();
                    if Key::from_label(&cleaned) == Key::Dependencies {
                        deps_list = true;
                        continue;
                    }
                    if label_heading(text).is_some() {
                        deps_list = false;
                        labels.tasks = true;
                        continue;
                    }
                    break;
                }
                Block::Para { lines } => lines.iter().map(|(l, t)| (*l, t.as_str())).collect(),
                Block::Item {
                    line,
                    text,
                    checked: None,
                    depth,
                } => {
                    if deps_list && *depth == 0 && bold_label(text).is_none() {
                        labels.deps.push((*line, text.replace('\n', " ")));
                        continue;
                    }
                    vec![(*line, text.lines().next().unwrap_or(""))]
                }
                _ => {
                    deps_list = false;
                    continue;
                }
            };
            for (line, text) in lines {
                let found = labels_in(text);
                if found.is_empty() && deps_list && matches!(block, Block::Para { .. }) {
                    // `**Dependencies:**` with the text on the lines below it.
                    labels.deps.push((line, text.to_owned()));
                    continue;
                }
                for (key, value, label) in found {
                    deps_list = false;
                    match key {
                        Key::Name => {
                            labels.name = labels
                                .name
                                .take()
                                .or(Some(word_value(&value)).filter(|v| !v.is_empty()))
                        }
                        Key::Branch => {
                            let branch = word_value(&value);
                            if !branch.is_empty() && labels.branch.is_none() {
                                labels.branch = Some((line, branch));
                            }
                        }
                        Key::Worktree => {
                            let worktree = word_value(&value);
                            if !worktree.is_empty() && labels.worktree.is_none() {
                                labels.worktree = Some((line, worktree));
                            }
                        }
                        Key::Owner => labels.owner = Some(value),
                        Key::Command if value.trim().is_empty() => command_below = true,
                        Key::Command => {
                            labels.command = Some(unwrap_code(&value).0).filter(|c| !c.is_empty())
                        }
                        Key::Estimate => labels.estimate = Some((line, value)),
                        Key::Cli => labels.cli = Some(word_value(&value)).filter(|c| !c.is_empty()),
                        Key::Tasks => {
                            labels.tasks = true;
                            labels.no_tasks = reads_as_none(&value);
                        }
                        Key::Other if label.to_lowercase().starts_with("total") => {
                            labels.total = Some((line, value));
                        }
                        Key::Title => labels.title = Some(unwrap_code(&value).0),
                        Key::Dependencies if value.trim().is_empty() => deps_list = true,
                        Key::Dependencies => labels.deps.push((line, value)),
                        _ => {}
                    }
                }
            }
        }
        labels
    }

    /// Units from headings: labelled sections, numbered workers among their like, groups.
    fn heading_units(&mut self) -> Vec<Unit> {
        let n = self.heads.len();
        let labels: Vec<Labels> = self.heads.iter().map(|h| self.labels(h)).collect();
        let marks: Vec<Option<Mark>> = self.heads.iter().map(|h| unit_mark(&h.text)).collect();
        let codes: Vec<Option<(String, String)>> =
            self.heads.iter().map(|h| code_heading(&h.text)).collect();
        let groups: Vec<Option<Group>> =
            self.heads.iter().map(|h| group_heading(&h.text)).collect();
        let spans: Vec<Option<String>> = self
            .heads
            .iter()
            .map(|h| span_name(&h.text).or_else(|| identifier_heading(&h.text)))
            .collect();
        let command_names: HashSet<String> = self
            .worktree_commands
            .iter()
            .flat_map(|(path, branch)| {
                let mut names = vec![basename(path).unwrap_or(path).to_lowercase()];
                if let Some(branch) = branch {
                    names.push(branch.to_lowercase());
                    names.push(basename(branch).unwrap_or(branch).to_lowercase());
                }
                names
            })
            .collect();
        let is_label = |i: usize| {
            label_heading(&self.heads[i].text).is_some() || task_heading(&self.heads[i].text)
        };
        let strong: Vec<bool> = (0..n)
            .map(|i| {
                let l = &labels[i];
                !is_label(i)
                    && groups[i].is_none()
                    && (l.branch.is_some()
                        || l.worktree.is_some()
                        || (l.owner.is_some() && (marks[i].is_some() || codes[i].is_some()))
                        || (marks[i].is_some() && (l.estimate.is_some() || !l.deps.is_empty()))
                        || (l.tasks && (marks[i].is_some() || spans[i].is_some()))
                        || spans[i]
                            .as_ref()
                            .is_some_and(|s| command_names.contains(&s.to_lowercase())))
            })
            .collect();
        let inside = |i: usize, j: usize| {
            self.heads[j].block > self.heads[i].block && self.heads[j].block < self.heads[i].end
        };
        let mut chosen: Vec<usize> = (0..n).filter(|&i| strong[i]).collect();
        let mut continuation: Vec<(usize, usize)> = Vec::new();
        // Weak candidates: numbered workers and coded headings outside the chosen sections.
        let weak: Vec<usize> = (0..n)
            .filter(|&i| {
                !strong[i]
                    && !is_label(i)
                    && groups[i].is_none()
                    && (marks[i].is_some() || codes[i].is_some())
                    && !chosen.iter().any(|&c| inside(c, i))
                    && self.heads[i].end > self.heads[i].block + 1
            })
            .collect();
        let in_group = |i: usize| {
            let mut parent = self.heads[i].parent;
            while let Some(p) = parent {
                if groups[p].as_ref().is_some_and(|g| g.ordered) {
                    return true;
                }
                parent = self.heads[p].parent;
            }
            false
        };
        let mut accepted_weak = Vec::new();
        for &i in &weak {
            if let Some(mark) = &marks[i]
                && let Some(&owner) = chosen
                    .iter()
                    .chain(&accepted_weak)
                    .find(|&&c| marks[c].as_ref() == Some(mark))
            {
                continuation.push((i, owner));
                continue;
            }
            let siblings = chosen
                .iter()
                .chain(weak.iter())
                .filter(|&&j| {
                    j != i
                        && self.heads[j].parent == self.heads[i].parent
                        && self.heads[j].level == self.heads[i].level
                })
                .count();
            let nested = accepted_weak.iter().any(|&c| inside(c, i));
            if !nested && (siblings > 0 || in_group(i)) {
                accepted_weak.push(i);
            }
        }
        chosen.extend(accepted_weak);
        chosen.sort_unstable();
        // Ordered groups: sequences of sibling group headings; groups without workers of their
        // own become one when another group of the sequence has workers.
        let mut sequences: Vec<Vec<usize>> = Vec::new();
        for i in 0..n {
            let Some(group) = groups[i].as_ref().filter(|g| g.ordered) else {
                continue;
            };
            let found = sequences.iter_mut().find(|seq| {
                let first = seq[0];
                self.heads[first].parent == self.heads[i].parent
                    && self.heads[first].level == self.heads[i].level
                    && groups[first].as_ref().is_some_and(|g| g.word == group.word)
            });
            match found {
                Some(seq) => seq.push(i),
                None => sequences.push(vec![i]),
            }
        }
        let mut group_units: Vec<usize> = Vec::new();
        let mut pending: Vec<Warning> = Vec::new();
        let mut membership: HashMap<usize, (usize, usize)> = HashMap::new();
        for (seq_id, seq) in sequences.iter().enumerate() {
            let has_workers = seq.iter().any(|&g| chosen.iter().any(|&c| inside(g, c)));
            if !has_workers {
                continue;
            }
            for (position, &g) in seq.iter().enumerate() {
                let members: Vec<usize> =
                    chosen.iter().copied().filter(|&c| inside(g, c)).collect();
                if members.is_empty() {
                    let text = self.heads[g].text.to_lowercase();
                    let manual = ["manual", "(you", "you,", "human", "by hand"]
                        .iter()
                        .any(|w| text.contains(w));
                    if manual {
                        pending.push(Warning {
                            line: Some(self.heads[g].line),
                            message: format!(
                                "{:?} reads as work for a person, not an agent; it is left out",
                                plain(&self.heads[g].text)
                            ),
                        });
                        continue;
                    }
                    if self.heads[g].end > self.heads[g].block + 1 {
                        group_units.push(g);
                        membership.insert(g, (seq_id, position));
                    }
                } else {
                    for c in members {
                        membership.insert(c, (seq_id, position));
                    }
                }
            }
        }
        self.warnings.extend(pending);
        chosen.extend(group_units);
        chosen.sort_unstable();
        let group_marks: Vec<Option<Mark>> = (0..n)
            .map(|i| {
                let group = groups[i].as_ref()?;
                let lowered = plain(&self.heads[i].text).to_lowercase();
                let code = words(&lowered).get(1).and_then(|w| code_word(w))?;
                Some(Mark {
                    kind: group.word.clone(),
                    code,
                })
            })
            .collect();
        let mut units: Vec<Unit> = chosen
            .iter()
            .map(|&i| {
                let mark = marks[i].clone().or_else(|| group_marks[i].clone());
                let next = chosen
                    .get(chosen.partition_point(|&c| c <= i))
                    .map(|&c| self.heads[c].block);
                let end = next.map_or(self.heads[i].end, |b| b.min(self.heads[i].end));
                let names = HeadingNames {
                    mark,
                    code: codes[i].clone(),
                    span: spans[i].clone(),
                };
                self.heading_unit(i, end, &labels[i], names, membership.get(&i).copied())
            })
            .collect();
        // Headings that only name workers, with nothing a plan needs, are a roadmap or notes.
        let weak_only = units.iter().all(|u| {
            u.branch.is_none()
                && u.worktree.is_none()
                && u.estimate.is_none()
                && u.deps.is_empty()
                && u.group.is_none()
        });
        let agentish = units.iter().any(|u| {
            u.mark
                .as_ref()
                .is_some_and(|m| matches!(m.kind.as_str(), "agent" | "subagent" | "worker"))
        });
        let template = units.iter().any(|u| u.placeholder);
        if weak_only && !agentish && !template && chosen.iter().all(|&i| !strong[i]) {
            return Vec::new();
        }
        for (i, owner) in continuation {
            let Some(position) = chosen.iter().position(|&c| c == owner) else {
                continue;
            };
            let head = &self.heads[i];
            if let Some(hours) = window_hours(&head.text)
                .or_else(|| split_estimate(&head.text).ok().and_then(|(_, h)| h))
            {
                let unit = &mut units[position];
                let total = unit.estimate.map_or(0.0, |(_, h)| h) + hours;
                unit.estimate = Some((head.line, total));
            }
        }
        units
    }

    /// The unit of heading `i`, whose text runs to block `end`.
    fn heading_unit(
        &mut self,
        i: usize,
        end: usize,
        labels: &Labels,
        names: HeadingNames,
        group: Option<(usize, usize)>,
    ) -> Unit {
        let HeadingNames { mark, code, span } = names;
        let head = &self.heads[i];
        let (line, block, text) = (head.line, head.block, head.text.clone());
        let mut unit = Unit {
            line,
            title: labels.title.clone().unwrap_or_else(|| {
                clean_title(&heading_title(&text, mark.as_ref(), code.as_ref()))
            }),
            mark,
            name_label: labels.name.clone(),
            no_tasks: labels.no_tasks,
            placeholder: has_placeholder(&text),
            name: span.clone(),
            branch: labels.branch.as_ref().map(|(_, b)| b.clone()),
            worktree: labels.worktree.clone(),
            command: labels.command.clone(),
            cli: labels.cli.clone(),
            deps: labels.deps.clone(),
            group,
            section: Some((block, end)),
            ..Unit::default()
        };
        if let Some((code, _)) = code {
            unit.aliases.push(code);
        }
        if let Some(span) = span {
            unit.aliases.push(span.to_lowercase());
        }
        if let Some((line, value)) = &labels.estimate {
            match figure(value, &self.rates) {
                Some(hours) => unit.estimate = Some((*line, hours)),
                None if is_points(value) => self.warn(*line, points_warning(value.trim(), &self.rates)),
                None => self.warn(*line, format!("cannot read the estimate {:?}; write it as 8h, 4-6 hours, 30 min or 2 days", value.trim())),
            }
        }
        if let Some((line, value)) = &labels.total {
            unit.total = figure(value, &self.rates).map(|hours| (*line, hours));
        }
        if unit.estimate.is_none()
            && labels.title.is_none()
            && let Some(hours) =
                window_hours(&text).or_else(|| split_estimate(&text).ok().and_then(|(_, h)| h))
        {
            unit.estimate = Some((line, hours));
        }
        if let Some(note) = heading_dependency(&text).filter(|_| labels.title.is_none()) {
            unit.deps.push((line, note));
        }
        self.prose_dependencies(&mut unit, block, self.heads[i].body_end);
        self.tasks(&mut unit, block + 1, end);
        if unit.branch.is_none() {
            unit.branch = self.branch_in_section(block + 1, end);
        }
        unit
    }

    /// `Branch: feat/x` written in a sentence or a prompt inside the section.
    fn branch_in_section(&self, start: usize, end: usize) -> Option<String> {
        for block in &self.blocks[start..end] {
            let text = match block {
                Block::Para { lines } => lines
                    .iter()
                    .map(|(_, l)| l.as_str())
                    .collect::<Vec<_>>()
                    .join("\n"),
                Block::Code { text, .. } | Block::Item { text, .. } => text.clone(),
                _ => continue,
            };
            if let Some(at) = text.find("Branch: ") {
                let value = text[at + 8..].split_whitespace().next().unwrap_or("");
                let value =
                    value.trim_matches(|c: char| c == '`' || c == '.' || c == ',' || c == '*');
                if value.contains(['/', '-'])
                    && crate::plan::validate_branch_name("x", value).is_ok()
                {
                    return Some(value.to_owned());
                }
            }
        }
        None
    }

    /// Sentences of the unit's own paragraphs that say what it waits for.
    fn prose_dependencies(&self, unit: &mut Unit, block: usize, body_end: usize) {
        for b in &self.blocks[block + 1..body_end] {
            let Block::Para { lines } = b else { continue };
            for (line, text) in lines {
                if label_line(text).is_some() || bold_label(text).is_some() {
                    continue;
                }
                for sentence in sentences(text) {
                    if let Some(rest) = dependency_phrase(sentence) {
                        unit.deps.push((*line, rest));
                    }
                }
            }
        }
    }

    /// The unit's tasks: lists under task labels first, then deliverables, then free lists.
    fn tasks(&mut self, unit: &mut Unit, start: usize, end: usize) {
        #[derive(Clone, PartialEq)]
        enum Context {
            Free,
            Tasks(TaskKind),
            Deps,
            Other(String, usize),
        }
        let mut context = Context::Free;
        let mut found: Vec<(u8, usize, Task)> = Vec::new();
        let mut skipped: Vec<(String, usize, usize)> = Vec::new();
        let mut notes: Vec<Warning> = Vec::new();
        let rates = self.rates;
        for block in &self.blocks[start..end] {
            match block {
                Block::Heading { text, line, .. } => {
                    if task_heading(text) {
                        let number = plain(text)
                            .split_whitespace()
                            .next()
                            .unwrap_or("")
                            .trim_end_matches([':', '.'])
                            .to_lowercase();
                        if number.contains('.') {
                            unit.aliases.push(number);
                        }
                        let (title, hours) = estimate_of(*line, &plain(text), &rates, &mut notes);
                        found.push((
                            0,
                            *line,
                            Task {
                                title,
                                hours: hours.unwrap_or(0.0),
                                done: false,
                            },
                        ));
                        context = Context::Other(plain(text), *line);
                    } else if let Some(kind) = label_heading(text) {
                        context = Context::Tasks(kind);
                    } else if group_heading(text).is_some() {
                        // `#### Day 1-2`, `### Phase 1`: the work of that stretch.
                        context = Context::Tasks(TaskKind::Tasks);
                    } else {
                        context = Context::Other(plain(text), *line);
                    }
                }
                Block::Para { lines } => {
                    for (line, text) in lines {
                        if let Some((key, value, label)) = labels_in(text).into_iter().next() {
                            context = if let Some(kind) = task_label(&label.to_lowercase()) {
                                Context::Tasks(kind)
                            } else if key == Key::Tasks {
                                Context::Tasks(TaskKind::Tasks)
                            } else if key == Key::Dependencies && value.trim().is_empty() {
                                Context::Deps
                            } else if key == Key::Dependencies
                                || (matches!(
                                    key,
                                    Key::Branch
                                        | Key::Worktree
                                        | Key::Name
                                        | Key::Command
                                        | Key::Estimate
                                        | Key::Owner
                                        | Key::Title
                                ) && context == Context::Free)
                            {
                                Context::Free
                            } else {
                                Context::Other(label, *line)
                            };
                        }
                    }
                }
                Block::Item {
                    line,
                    depth,
                    checked,
                    text,
                } => {
                    if *depth > 0
                        || (checked.is_none()
                            && !labels_in(text.lines().next().unwrap_or("")).is_empty())
                    {
                        continue;
                    }
                    let rank = match &context {
                        Context::Tasks(TaskKind::Tasks) => 0,
                        Context::Tasks(TaskKind::Deliverables) => 1,
                        Context::Free => 2,
                        Context::Other(..) if checked.is_some() => 2,
                        Context::Deps => continue,
                        Context::Other(label, label_line) => {
                            match skipped.iter_mut().find(|(_, l, _)| l == label_line) {
                                Some(entry) => entry.2 += 1,
                                None => skipped.push((label.clone(), *label_line, 1)),
                            }
                            continue;
                        }
                    };
                    let one_line = single_line(text);
                    let (title, hours) = estimate_of(*line, &one_line, &rates, &mut notes);
                    found.push((
                        rank,
                        *line,
                        Task {
                            title,
                            hours: hours.unwrap_or(0.0),
                            done: *checked == Some(true),
                        },
                    ));
                }
                Block::Table { header, rows, .. } => {
                    // A task table inside the section: one task per row.
                    let cols = Columns::read(header);
                    let Some(title_col) = cols.task.or(cols.title) else {
                        continue;
                    };
                    for (line, row) in rows {
                        let Some(title) = row.get(title_col).map(|t| cell_plain(t)) else {
                            continue;
                        };
                        if title.is_empty() {
                            continue;
                        }
                        let hours = cols
                            .estimate
                            .and_then(|c| row.get(c))
                            .and_then(|e| figure(&cell_plain(e), &rates));
                        let (title, stated) = estimate_of(*line, &title, &rates, &mut notes);
                        found.push((
                            0,
                            *line,
                            Task {
                                title,
                                hours: hours.or(stated).unwrap_or(0.0),
                                done: false,
                            },
                        ));
                    }
                }
                Block::Code { .. } => {}
            }
        }
        self.warnings.extend(notes);
        let best = found.iter().map(|(rank, ..)| *rank).min();
        let mut left_out = 0;
        for (rank, _, task) in found {
            if Some(rank) == best {
                unit.tasks.push(task);
            } else {
                left_out += 1;
            }
        }
        if left_out > 0 {
            self.warn(
                unit.line,
                format!("{left_out} list item{} of {:?} not taken as tasks: its task list is the one under its Tasks label or heading", plural(left_out), unit.title),
            );
        }
        for (label, line, count) in skipped {
            self.warn(
                line,
                format!(
                    "{count} list item{} under {label:?} not taken as tasks (not a task list)",
                    plural(count)
                ),
            );
        }
    }

    /// Units from table rows, when no heading names an agent.
    fn table_units(&mut self) -> Vec<Unit> {
        let tables: Vec<(usize, Columns)> = self
            .blocks
            .iter()
            .enumerate()
            .filter_map(|(i, b)| match b {
                Block::Table { header, .. } => Some((i, Columns::read(header))),
                _ => None,
            })
            .collect();
        // Task titles by id from any table with an id and a title column.
        let mut task_titles: HashMap<String, String> = HashMap::new();
        for (i, cols) in &tables {
            let (Some(id), Some(title)) = (cols.id.or(cols.task), cols.title) else {
                continue;
            };
            if let Block::Table { rows, .. } = &self.blocks[*i] {
                for (_, row) in rows {
                    if let (Some(key), Some(value)) = (row.get(id), row.get(title)) {
                        task_titles.insert(cell_plain(key).to_lowercase(), cell_plain(value));
                    }
                }
            }
        }
        let agent_tables: Vec<&(usize, Columns)> = tables
            .iter()
            .filter(|(_, c)| c.agent.is_some() && c.has_work())
            .collect();
        let id_tables: Vec<&(usize, Columns)> = tables
            .iter()
            .filter(|(_, c)| {
                c.agent.is_none() && (c.id.is_some() || c.task.is_some()) && c.deps.is_some()
            })
            .collect();
        let by_agent = !agent_tables.is_empty();
        let chosen = if by_agent { agent_tables } else { id_tables };
        // An agent column whose values repeat names slots, not agents: each row is a unit then.
        let mut seen_agents: HashMap<String, usize> = HashMap::new();
        for (i, cols) in &chosen {
            if let (Some(agent), Block::Table { rows, .. }) = (cols.agent, &self.blocks[*i]) {
                for (_, row) in rows {
                    *seen_agents
                        .entry(
                            row.get(agent)
                                .map(|c| cell_plain(c).to_lowercase())
                                .unwrap_or_default(),
                        )
                        .or_default() += 1;
                }
            }
        }
        let slots = seen_agents.values().any(|&count| count > 1);
        // Rows of work without an agent column but with an owner column that repeats
        // (`Agent Type`, `Assignee`): each owner is an agent, its rows its tasks.
        let mut seen_owners: HashMap<String, usize> = HashMap::new();
        for (i, cols) in &chosen {
            if let (Some(owner), Block::Table { rows, .. }) = (cols.owner, &self.blocks[*i]) {
                for (_, row) in rows {
                    if let Some(value) = row.get(owner).map(|c| cell_plain(c).to_lowercase()) {
                        *seen_owners.entry(value).or_default() += 1;
                    }
                }
            }
        }
        let by_owner = !by_agent && seen_owners.values().any(|&count| count > 1);
        let mut units: Vec<Unit> = Vec::new();
        let group_of = |doc: &Doc<'_>, block: usize| -> Option<(usize, usize)> {
            let head = doc.heads.iter().rposition(|h| {
                h.block < block
                    && block < h.end
                    && group_heading(&h.text).is_some_and(|g| g.ordered)
            })?;
            let h = &doc.heads[head];
            let siblings: Vec<usize> = (0..doc.heads.len())
                .filter(|&j| {
                    doc.heads[j].parent == h.parent
                        && doc.heads[j].level == h.level
                        && group_heading(&doc.heads[j].text).is_some_and(|g| g.ordered)
                })
                .collect();
            let position = siblings.iter().position(|&j| j == head)?;
            Some((h.parent.map_or(0, |p| p + 1), position))
        };
        for (i, cols) in chosen {
            let Block::Table { rows, header, .. } = self.blocks[*i].clone() else {
                continue;
            };
            let heading_group = group_of(self, *i);
            let key_col = if by_owner {
                cols.owner
            } else if slots {
                cols.task.or(cols.id).or(cols.agent)
            } else {
                cols.agent.or(cols.id).or(cols.task)
            };
            let Some(key_col) = key_col else { continue };
            let key_word = header
                .get(key_col)
                .map(|h| cell_plain(h).to_lowercase())
                .unwrap_or_default();
            for (line, row) in rows {
                let cell = |c: Option<usize>| {
                    c.and_then(|c| row.get(c))
                        .map(|v| v.trim().to_owned())
                        .filter(|v| !v.is_empty())
                };
                let Some(key) = cell(Some(key_col)).map(|k| cell_plain(&k)) else {
                    continue;
                };
                let existing = units
                    .iter()
                    .position(|u| u.aliases.first().is_some_and(|a| a == &key.to_lowercase()));
                // A wave column orders the rows as wave headings would.
                let group = cols
                    .wave
                    .and_then(|c| row.get(c))
                    .and_then(|w| cell_plain(w).parse::<usize>().ok())
                    .map(|wave| (usize::MAX - *i, wave.saturating_sub(1)))
                    .or(heading_group);
                let index = match existing {
                    Some(index) => index,
                    None => {
                        let title = cell(cols.title)
                            .map(|t| cell_plain(&t))
                            .unwrap_or_else(|| key.clone());
                        units.push(Unit {
                            line,
                            title: first_sentence(&title),
                            aliases: vec![key.to_lowercase()],
                            name: Some(table_name(&key_word, &key)),
                            // `Agent 2` in a cell, or `2` under an Agent column, is what
                            // other cells call Agent 2.
                            mark: unit_mark(&key).or_else(|| {
                                let kind =
                                    key_word.split_whitespace().next()?.trim_end_matches('s');
                                UNIT_WORDS.contains(&kind).then_some(())?;
                                Some(Mark {
                                    kind: kind.to_owned(),
                                    code: code_word(&key)?,
                                })
                            }),
                            branch: cell(cols.branch).map(|b| word_value(&b)),
                            worktree: cell(cols.worktree).map(|w| (line, word_value(&w))),
                            group,
                            ..Unit::default()
                        });
                        units.len() - 1
                    }
                };
                let hours = cell(cols.estimate).and_then(|e| figure(&cell_plain(&e), &self.rates));
                let mut tasks = Vec::new();
                if let Some(listed) = cell(cols.tasks) {
                    for id in listed
                        .split([',', ';', ' '])
                        .map(cell_plain)
                        .filter(|s| !s.is_empty())
                    {
                        let title = task_titles
                            .get(&id.to_lowercase())
                            .cloned()
                            .unwrap_or(id.clone());
                        tasks.push(Task {
                            title,
                            hours: 0.0,
                            done: false,
                        });
                    }
                }
                units[index].owner_rows = by_owner;
                if by_owner
                    && let Some(id) =
                        cell(cols.id.or(cols.task)).map(|k| cell_plain(&k).to_lowercase())
                    && !units[index].aliases.contains(&id)
                {
                    units[index].aliases.push(id);
                }
                if tasks.is_empty() {
                    let title = {
                        [cols.task, cols.title, cols.id]
                            .into_iter()
                            .filter(|c| *c != Some(key_col))
                            .find_map(cell)
                            .map(|t| cell_plain(&t))
                            .unwrap_or_else(|| units[index].title.clone())
                    };
                    tasks.push(Task {
                        title: first_sentence(&title),
                        hours: hours.unwrap_or(0.0),
                        done: false,
                    });
                } else if let Some(hours) = hours {
                    units[index].estimate = Some((line, hours));
                }
                for task in tasks {
                    if !units[index].tasks.iter().any(|t| t.title == task.title) {
                        units[index].tasks.push(task);
                    }
                }
                if let Some(deps) = cell(cols.deps) {
                    units[index].deps.push((line, deps));
                }
                for c in [cols.title, cols.task] {
                    if let Some(text) = cell(c) {
                        for sentence in sentences(&text) {
                            if let Some(rest) = dependency_phrase(sentence) {
                                units[index].deps.push((line, rest));
                            }
                        }
                    }
                }
            }
        }
        // Task tables that assign tasks to the units by an assignee column.
        for (i, cols) in &tables {
            let (Some(owner), Some(id)) = (cols.owner, cols.id.or(cols.task)) else {
                continue;
            };
            let Block::Table { rows, .. } = &self.blocks[*i] else {
                continue;
            };
            for (_, row) in rows {
                let Some(assignee) = row.get(owner).map(|a| cell_plain(a).to_lowercase()) else {
                    continue;
                };
                let Some(unit) = units
                    .iter_mut()
                    .find(|u| u.aliases.first() == Some(&assignee))
                else {
                    continue;
                };
                let key = row.get(id).map(|k| cell_plain(k)).unwrap_or_default();
                let title = task_titles.get(&key.to_lowercase()).cloned().unwrap_or(key);
                if !unit.tasks.iter().any(|t| t.title == title) {
                    unit.tasks.push(Task {
                        title,
                        hours: 0.0,
                        done: false,
                    });
                }
            }
        }
        units
    }

    /// Plan-wide settings: label lines outside every unit, and YAML merge criteria.
    fn apply_settings(&mut self, plan: &mut Plan, units: &[Unit]) -> Result<(), PlanError> {
        let mut inside = vec![false; self.blocks.len()];
        for (start, end) in units.iter().filter_map(|u| u.section) {
            inside[start + 1..end].iter_mut().for_each(|b| *b = true);
        }
        let mut command_below: Option<Key> = None;
        for (index, block) in self.blocks.iter().enumerate() {
            if inside[index] {
                continue;
            }
            if let (Some(key), Block::Code { text, .. }) = (command_below.take(), block) {
                let command = Some(fenced_value(text)).filter(|c| !c.is_empty());
                match key {
                    Key::TestCommand => plan.test_command = command,
                    Key::ReviewCommand => plan.review_command = command,
                    Key::FixCommand => plan.fix_command = command,
                    Key::Teardown => plan.teardown = command,
                    Key::PreMerge => plan.pre_merge = command,
                    Key::PostMerge => plan.post_merge = command,
                    _ => plan.setup = command,
                }
                continue;
            }
            match block {
                Block::Para { lines } => {
                    for (line, text) in lines {
                        if let Some((key, value)) = label_line(text)
                            && !key.is_agent_key()
                        {
                            let command = matches!(
                                key,
                                Key::TestCommand
                                    | Key::ReviewCommand
                                    | Key::FixCommand
                                    | Key::Setup
                                    | Key::Teardown
                                    | Key::PreMerge
                                    | Key::PostMerge
                            );
                            if command && value.trim().is_empty() {
                                command_below = Some(key);
                            }
                            self.reader.apply_setting(plan, *line, key, value)?;
                        }
                    }
                }
                Block::Item {
                    line,
                    text,
                    depth: 0,
                    checked: None,
                } => {
                    if let Some((key, value)) = label_line(text.lines().next().unwrap_or(""))
                        && !key.is_agent_key()
                        && key != Key::Estimate
                        && key != Key::Owner
                    {
                        // A bullet such as `- **Base branch**: main` in an overview.
                        self.reader.apply_setting(plan, *line, key, value)?;
                    }
                }
                Block::Code { line, lang, text } if matches!(lang.as_str(), "yaml" | "yml") => {
                    let body: Vec<&str> = text.lines().collect();
                    self.reader.apply_auto_merge(plan, *line, &body)?;
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// A template is not a plan: placeholders such as `[Component Name]` in agent headings.
    fn refuse_templates(&self, units: &[Unit]) -> Result<(), PlanError> {
        let placeholders: Vec<usize> = units
            .iter()
            .filter(|u| u.placeholder)
            .map(|u| u.line)
            .collect();
        if placeholders.len() * 2 >= units.len() && !placeholders.is_empty() {
            return Err(self.reader.error(
                placeholders[0],
                format!(
                    "this reads as a template, not a plan: the agent headings on lines {} hold placeholders such as [Component Name]; fill them in and import it again",
                    lines_list(&placeholders)
                ),
            ));
        }
        Ok(())
    }

    /// Names, branches, worktrees and tasks settled into the plan's agents.
    fn settle(&mut self, plan: &mut Plan, units: &mut [Unit]) -> Result<Vec<String>, PlanError> {
        let dir = plan.worktrees_dir.clone();
        let mut taken: HashSet<String> = HashSet::new();
        let mut names = Vec::with_capacity(units.len());
        let known_branches: HashSet<String> = self
            .worktree_commands
            .iter()
            .filter_map(|(_, b)| b.clone())
            .collect();
        for unit in units.iter_mut() {
            // A worktree value that is really a branch name.
            if let Some((line, worktree)) = unit.worktree.clone() {
                let branchy = known_branches.contains(&worktree)
                    || unit.branch.as_deref() == Some(worktree.as_str())
                    || (worktree.contains('/')
                        && !worktree.starts_with(['.', '/', '~'])
                        && worktree
                            .split('/')
                            .next()
                            .is_some_and(|p| BRANCH_PREFIXES.contains(&p)));
                if branchy {
                    if unit.branch.is_none() {
                        unit.branch = Some(worktree.clone());
                    }
                    self.warn(line, format!("the worktree {worktree:?} looks like a branch name; it is read as the branch, and the worktree goes where agents' worktrees go"));
                    unit.worktree = None;
                }
            }
            // A branch named by a `git worktree add` line for this worktree or name.
            if unit.branch.is_none() {
                let keys: Vec<String> = unit
                    .worktree
                    .iter()
                    .map(|(_, w)| basename(w).unwrap_or(w).to_lowercase())
                    .chain(unit.aliases.iter().cloned())
                    .collect();
                unit.branch = self
                    .worktree_commands
                    .iter()
                    .find(|(path, _)| keys.contains(&basename(path).unwrap_or(path).to_lowercase()))
                    .and_then(|(_, b)| b.clone());
            }
            let name = self.unit_name(unit, &taken)?;
            taken.insert(name.clone());
            let worktree = match unit.worktree.clone() {
                Some((line, path)) => {
                    let normal = normalize_dir(&path);
                    let inside = normal.starts_with(&format!("{}/", normalize_dir(&dir)))
                        && !normal.split('/').any(|p| p == "..");
                    if inside {
                        normal
                    } else {
                        let moved = crate::plan::join_dir(&dir, &name);
                        self.warn(
                            line,
                            format!("the worktree {path:?} is outside {dir}/, where agents' worktrees live (excluded from git status); it goes to {moved}"),
                        );
                        moved
                    }
                }
                None => crate::plan::join_dir(&dir, &name),
            };
            let mut tasks = std::mem::take(&mut unit.tasks);
            let one_task = tasks.is_empty() && unit.estimate.is_none() && !unit.no_tasks;
            if one_task {
                // A section of prose or a prompt: its work is one task.
                let title = if unit.title.is_empty() {
                    name.clone()
                } else {
                    single_line(&unit.title)
                };
                self.warn(
                    unit.line,
                    format!("{name} lists no tasks; its section is taken as one task, {title:?} (write **Tasks:** none for an agent without tasks)"),
                );
                tasks.push(Task {
                    title,
                    hours: 0.0,
                    done: false,
                });
            }
            if let Some((line, hours)) = unit.estimate {
                let stated: f64 = tasks.iter().map(|t| t.hours).sum();
                if tasks.is_empty() {
                    tasks.push(Task {
                        title: unit.title.clone(),
                        hours,
                        done: false,
                    });
                } else if stated == 0.0 {
                    let each = hours / tasks.len() as f64;
                    tasks.iter_mut().for_each(|t| t.hours = each);
                } else if (stated - hours).abs() > 0.1 * hours.max(stated) {
                    self.warn(
                        line,
                        format!(
                            "{name}'s estimate is {} but its tasks sum to {}; the tasks' figures are kept",
                            crate::plan::format_hours(hours),
                            crate::plan::format_hours(stated)
                        ),
                    );
                }
            }
            let sum: f64 = tasks.iter().map(|t| t.hours).sum();
            if let Some((line, total)) = unit.total
                && sum > 0.0
                && (sum - total).abs() > 0.1 * total.max(sum)
            {
                self.warn(
                    line,
                    format!(
                        "{name}'s stated total is {} but its tasks sum to {}; the tasks' figures are kept",
                        crate::plan::format_hours(total),
                        crate::plan::format_hours(sum)
                    ),
                );
            }
            let no_estimate = tasks.iter().filter(|t| t.hours == 0.0 && !t.done).count();
            if one_task {
                // Said above: the section is one task without an estimate.
            } else if !tasks.is_empty() && no_estimate == tasks.len() {
                self.warn(
                    unit.line,
                    format!(
                        "{name} has no estimates; its {} task{} count as 0 h in the timeline",
                        tasks.len(),
                        plural(tasks.len())
                    ),
                );
            } else if no_estimate > 0 {
                self.warn(
                    unit.line,
                    format!(
                        "{name}: {no_estimate} of {} tasks have no estimate",
                        tasks.len()
                    ),
                );
            }
            plan.agents.push(AgentSpec {
                branch: unit
                    .branch
                    .clone()
                    .unwrap_or_else(|| format!("agents/{name}")),
                worktree,
                // A heading that is only the name (`## backend-agent`) gives no title;
                // `## Agent 4: q` titles the agent q even when that is its name.
                title: if unit.title == name && unit.mark.is_none() {
                    String::new()
                } else {
                    unit.title.clone()
                },
                depends_on: Vec::new(),
                tasks,
                command: unit.command.clone(),
                cli: unit.cli.clone(),
                name: name.clone(),
            });
            names.push(name);
        }
        Ok(names)
    }

    /// Name line > worktree's last part > the name the heading or table gives > for
    /// `Agent N: Title`, the title (`title-agent`) > branch's last part > kind and number >
    /// the title.
    fn unit_name(&self, unit: &Unit, taken: &HashSet<String>) -> Result<String, PlanError> {
        if let Some(name) = &unit.name_label {
            validate_agent_name(name)?;
            return Ok(name.clone());
        }
        let titled = Some(slug(&without_notes(&unit.title)))
            .filter(|s| !s.is_empty())
            .map(|s| {
                if s == "agent" || s.ends_with("-agent") {
                    s
                } else {
                    format!("{s}-agent")
                }
            });
        let numbered = unit.mark.as_ref().map(|m| format!("{}-{}", m.kind, m.code));
        let branch = unit
            .branch
            .as_ref()
            .and_then(|b| basename(b).map(str::to_owned))
            .filter(|b| !["main", "master", "develop", "trunk"].contains(&b.as_str()));
        let agent_heading = unit.mark.as_ref().is_some_and(|m| m.kind == "agent");
        let mut candidates = vec![
            unit.worktree
                .as_ref()
                .and_then(|(_, w)| basename(w).map(str::to_owned)),
            unit.name.clone(),
        ];
        if agent_heading {
            candidates.extend([titled.clone(), numbered.clone(), branch.clone()]);
        } else {
            candidates.extend([branch.clone(), numbered.clone(), titled.clone()]);
        }
        for candidate in candidates.into_iter().flatten() {
            if validate_agent_name(&candidate).is_ok() && !taken.contains(&candidate) {
                return Ok(candidate);
            }
        }
        let base = slug(&unit.title);
        let base = if base.is_empty() {
            "agent".to_owned()
        } else {
            base
        };
        Ok((1..)
            .map(|n| format!("{base}-{n}"))
            .find(|c| !taken.contains(c) && validate_agent_name(c).is_ok())
            .expect("a free name"))
    }

    /// Every dependency edge with the line it came from; what names no agent is a warning.
    fn dependencies(
        &mut self,
        plan: &Plan,
        units: &[Unit],
        names: &[String],
    ) -> Result<Vec<DependencyEdge>, PlanError> {
        let mut index: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, (unit, agent)) in units.iter().zip(&plan.agents).enumerate() {
            let mut keys = vec![agent.name.to_lowercase(), agent.branch.to_lowercase()];
            keys.extend(basename(&agent.branch).map(str::to_lowercase));
            keys.extend(basename(&agent.worktree).map(str::to_lowercase));
            keys.extend(unit.aliases.iter().cloned());
            keys.sort();
            keys.dedup();
            for key in keys {
                index.entry(key).or_default().push(i);
            }
        }
        let mut edges: Vec<DependencyEdge> = Vec::new();
        let mut seen: HashSet<(usize, usize)> = HashSet::new();
        let mut add =
            |edges: &mut Vec<DependencyEdge>, waiter: usize, on: usize, line: usize, how: &str| {
                if waiter != on && seen.insert((waiter, on)) {
                    edges.push(DependencyEdge {
                        agent: names[waiter].clone(),
                        depends_on: names[on].clone(),
                        line,
                        from: how.to_owned(),
                    });
                }
            };
        let by_name: HashMap<&str, usize> = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.as_str(), i))
            .collect();
        for (me, unit) in units.iter().enumerate() {
            for (line, text) in &unit.deps {
                match resolve(text, me, units, &by_name, &index) {
                    Resolved::Nothing => {}
                    Resolved::Units(found) => {
                        for on in found {
                            if on == me && unit.owner_rows {
                                continue;
                            }
                            if on == me {
                                self.warnings.push(Warning {
                                    line: Some(*line),
                                    message: format!(
                                        "{} names itself among what it waits for; that is left out",
                                        names[me]
                                    ),
                                });
                            } else {
                                add(&mut edges, me, on, *line, "stated");
                            }
                        }
                    }
                    Resolved::Unknown => {
                        let hint = text
                            .split(|c: char| !(c.is_alphanumeric() || c == '-' || c == '_'))
                            .filter(|word| word.contains(['-', '_']))
                            .find_map(|word| {
                                crate::plan::closest_name(word, names.iter().map(String::as_str))
                            })
                            .map_or_else(
                                || "write agent names, Agent N, or branches".to_owned(),
                                |n| format!("did you mean {n}?"),
                            );
                        self.warn(*line, format!("cannot tell which agent {:?} names; {} waits for nothing from it ({hint})", single_line(text), names[me]));
                    }
                }
            }
        }
        // Waves and phases: each unit waits for every unit of the nearest earlier group.
        let mut by_group: HashMap<(usize, usize), Vec<usize>> = HashMap::new();
        for (i, unit) in units.iter().enumerate() {
            if let Some(group) = unit.group {
                by_group.entry(group).or_default().push(i);
            }
        }
        for (i, unit) in units.iter().enumerate() {
            // A unit that says what it waits for is taken at its word; the order of the
            // groups is for the units that say nothing.
            let Some((seq, position)) = unit.group.filter(|_| unit.deps.is_empty()) else {
                continue;
            };
            if let Some(earlier) = (0..position).rev().find_map(|p| by_group.get(&(seq, p))) {
                for &on in earlier {
                    add(&mut edges, i, on, unit.line, "order of waves or phases");
                }
            }
        }
        for (waiter, on, line, how) in self.drawn_dependencies(units, &by_name, &index) {
            add(&mut edges, waiter, on, line, how);
        }
        self.json_dependencies(&index, names, &mut edges)?;
        Ok(edges)
    }

    /// Dependencies drawn rather than written: mermaid graphs, arrow lines (`A → B`: B
    /// waits for A) and YAML blocks with `depends_on`. Only lines whose every end names
    /// exactly one agent count, so a diagram of other things adds nothing.
    fn drawn_dependencies(
        &self,
        units: &[Unit],
        names: &HashMap<&str, usize>,
        index: &HashMap<String, Vec<usize>>,
    ) -> Vec<(usize, usize, usize, &'static str)> {
        let one = |text: &str| match resolve(text, usize::MAX, units, names, index) {
            Resolved::Units(found) if found.len() == 1 => Some(found[0]),
            _ => None,
        };
        let mut found = Vec::new();
        for block in &self.blocks {
            let (start, lang, text) = match block {
                Block::Code { line, lang, text } => (line + 1, lang.as_str(), text.clone()),
                Block::Para { lines } => (
                    lines[0].0,
                    "",
                    lines
                        .iter()
                        .map(|(_, l)| l.as_str())
                        .collect::<Vec<_>>()
                        .join("\n"),
                ),
                _ => continue,
            };
            if matches!(lang, "yaml" | "yml") {
                found.extend(yaml_dependencies(&text, start, &one));
                continue;
            }
            let mermaid = lang == "mermaid";
            let labels = if mermaid {
                mermaid_labels(&text)
            } else {
                HashMap::new()
            };
            for (offset, line) in text.lines().enumerate() {
                let ends = arrow_ends(line);
                if ends.len() < 2 {
                    continue;
                }
                let resolved: Option<Vec<usize>> = ends
                    .iter()
                    .map(|end| {
                        let node = if mermaid {
                            mermaid_node(end)
                        } else {
                            end.clone()
                        };
                        let label = labels.get(&node).cloned().unwrap_or(node);
                        one(&label)
                    })
                    .collect();
                let Some(chain) = resolved else { continue };
                for pair in chain.windows(2) {
                    if pair[0] != pair[1] {
                        found.push((pair[1], pair[0], start + offset, "diagram"));
                    }
                }
            }
        }
        found
    }

    /// The `"dependencies"` object of fenced `json` blocks, by agent name.
    fn json_dependencies(
        &mut self,
        index: &HashMap<String, Vec<usize>>,
        names: &[String],
        edges: &mut Vec<DependencyEdge>,
    ) -> Result<(), PlanError> {
        for block in &self.blocks {
            let Block::Code { line, lang, text } = block else {
                continue;
            };
            if !matches!(lang.as_str(), "json" | "jsonc" | "json5") {
                continue;
            }
            let Ok(value) = serde_json::from_str::<serde_json::Value>(text) else {
                continue;
            };
            let Some(object) = value
                .get("dependencies")
                .and_then(serde_json::Value::as_object)
            else {
                continue;
            };
            let lookup = |name: &str| {
                names.iter().position(|n| n == name).or_else(|| {
                    index
                        .get(&name.to_lowercase())
                        .and_then(|v| v.first().copied())
                })
            };
            for (agent, list) in object {
                let Some(list) = list.as_array() else {
                    continue;
                };
                let entry_line = text
                    .lines()
                    .position(|l| l.contains(&format!("\"{agent}\"")))
                    .map_or(*line, |o| line + 1 + o);
                let hint = |wanted: &str| {
                    crate::plan::closest_name(wanted, names.iter().map(String::as_str))
                        .map(|n| format!(" (did you mean {n}?)"))
                        .unwrap_or_default()
                };
                let Some(waiter) = lookup(agent) else {
                    return Err(self.reader.error(
                        entry_line,
                        format!(
                            "the json dependencies block names unknown agent {agent}{}",
                            hint(agent)
                        ),
                    ));
                };
                for on in list.iter().filter_map(serde_json::Value::as_str) {
                    let Some(on_index) = lookup(on) else {
                        return Err(self.reader.error(entry_line, format!("the json dependencies block makes {agent} depend on unknown agent {on}{}", hint(on))));
                    };
                    if on_index != waiter
                        && !edges
                            .iter()
                            .any(|e| e.agent == names[waiter] && e.depends_on == names[on_index])
                    {
                        edges.push(DependencyEdge {
                            agent: names[waiter].clone(),
                            depends_on: names[on_index].clone(),
                            line: entry_line,
                            from: "json block".to_owned(),
                        });
                    }
                }
            }
        }
        Ok(())
    }
}

/// A task's title and estimate; an estimate that cannot be read is a warning.
fn estimate_of(
    line: usize,
    text: &str,
    rates: &Rates,
    notes: &mut Vec<Warning>,
) -> (String, Option<f64>) {
    match split_estimate_at(text, rates) {
        Ok((title, hours)) => (title, hours),
        Err(unreadable) if is_points(&unreadable) => {
            notes.push(Warning {
                line: Some(line),
                message: points_warning(&unreadable, rates),
            });
            (text.to_owned(), None)
        }
        Err(unreadable) => {
            notes.push(Warning {
                line: Some(line),
                message: format!("cannot read the estimate ({unreadable}) in task {text:?}; write it as (8h), (4-6h), (30 min) or (2d)"),
            });
            (text.to_owned(), None)
        }
    }
}

/// Story points measure size, not time: read them only with a configured rate.
fn points_warning(estimate: &str, rates: &Rates) -> String {
    let how = match rates.point_setting {
        Some(key) => format!("set git config {key} to the hours in a point"),
        None => "say how many hours a point is".to_owned(),
    };
    format!(
        "{estimate:?} is in story points, which measure size, not time; it counts as no estimate ({how} to read points)"
    )
}

/// The ends of an arrow line: `A → B → C`, `A --> B`, `A -->|label| B`, `A ==> B`.
fn arrow_ends(line: &str) -> Vec<String> {
    const ARROWS: &[&str] = &[
        "-.->",
        "--->",
        "-->",
        "==>",
        "──►",
        "──>",
        "─>",
        "->",
        "→",
        "⟶",
        "=>",
    ];
    let mut ends = Vec::new();
    let mut rest = line;
    loop {
        let next = ARROWS
            .iter()
            .filter_map(|arrow| rest.find(arrow).map(|at| (at, arrow.len())))
            .min_by_key(|(at, len)| (*at, usize::MAX - len));
        let Some((at, len)) = next else {
            ends.push(rest.to_owned());
            break;
        };
        ends.push(rest[..at].to_owned());
        rest = &rest[at + len..];
        // A mermaid edge label: `-->|needs| B`.
        if let Some(after) = rest.strip_prefix('|') {
            rest = after.find('|').map_or(after, |close| &after[close + 1..]);
        }
    }
    ends.into_iter()
        .map(|end| {
            end.trim()
                .trim_matches(|c: char| c == '`' || c == '*' || c == ';')
                .trim()
                .to_owned()
        })
        .collect()
}

/// Node labels of a mermaid graph: `A[Agent 1: Core]` gives `A` → `Agent 1: Core`.
fn mermaid_labels(text: &str) -> HashMap<String, String> {
    let mut labels = HashMap::new();
    for line in text.lines() {
        for end in arrow_ends(line) {
            let trimmed = end.trim();
            if let Some(open) = trimmed.find(['[', '(', '{', '>']) {
                let id = trimmed[..open].trim();
                let label = trimmed[open..].trim_matches(|c: char| "[](){}>\"' ".contains(c));
                if !id.is_empty() && !label.is_empty() {
                    labels.insert(id.to_owned(), label.to_owned());
                }
            }
        }
    }
    labels
}

/// The node id of a mermaid edge end: `A[Agent 1]` → `A`.
fn mermaid_node(end: &str) -> String {
    let trimmed = end.trim();
    trimmed[..trimmed.find(['[', '(', '{', '>']).unwrap_or(trimmed.len())]
        .trim()
        .to_owned()
}

/// `depends_on`, `needs`, `after` or `dependencies` entries of YAML agents, read by line:
/// `- name: api` then `depends_on: [db, auth]` or a list below it.
fn yaml_dependencies(
    text: &str,
    start: usize,
    one: &dyn Fn(&str) -> Option<usize>,
) -> Vec<(usize, usize, usize, &'static str)> {
    let mut found = Vec::new();
    let mut current: Option<usize> = None;
    let mut listing = false;
    for (offset, raw) in text.lines().enumerate() {
        let line = raw.split(" #").next().unwrap_or("").trim_end();
        let trimmed = line.trim_start().trim_start_matches("- ").trim();
        let Some((key, value)) = trimmed.split_once(':') else {
            if listing
                && let (Some(me), Some(item)) = (current, line.trim_start().strip_prefix("- "))
            {
                if let Some(on) = one(item.trim().trim_matches(['"', '\''])) {
                    found.push((me, on, start + offset, "yaml block"));
                }
            }
            continue;
        };
        let key = key.trim().trim_matches(['"', '\'']);
        let value = value.trim();
        match key {
            "name" | "id" | "agent" => {
                current = one(value.trim_matches(['"', '\'']));
                listing = false;
            }
            "depends_on" | "depends-on" | "dependencies" | "needs" | "after" | "blocked_by" => {
                listing = value.is_empty();
                if let Some(me) = current {
                    for item in value.trim_matches(['[', ']']).split(',') {
                        if let Some(on) = one(item.trim().trim_matches(['"', '\''])) {
                            found.push((me, on, start + offset, "yaml block"));
                        }
                    }
                }
            }
            _ if value.is_empty() && !line.starts_with(' ')
                || value.is_empty() && one(key).is_some() =>
            {
                current = one(key);
                listing = false;
            }
            _ => listing = false,
        }
    }
    found
}

/// The content of a fenced block as a value: its text without the final line ending.
fn fenced_value(text: &str) -> String {
    text.strip_suffix('\n').unwrap_or(text).to_owned()
}

/// Branch name prefixes people use, to tell a branch written as a worktree.
const BRANCH_PREFIXES: &[&str] = &[
    "feature", "feat", "fix", "bugfix", "hotfix", "agents", "agent", "wip", "release", "chore",
    "refactor", "docs", "test",
];

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn single_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn cell_plain(text: &str) -> String {
    let cleaned = without_emphasis(text).replace("**", "").replace('`', "");
    cleaned
        .trim()
        .trim_matches(|c: char| c == ',' || c == ';')
        .trim()
        .to_owned()
}

fn first_sentence(text: &str) -> String {
    let text = single_line(text);
    if text.chars().count() <= 100 {
        return text;
    }
    if let Some(at) = text.find(". ").filter(|&at| (10..100).contains(&at)) {
        return text[..at].trim().to_owned();
    }
    let mut cut = String::new();
    for word in text.split(' ') {
        if cut.chars().count() + word.chars().count() > 96 {
            break;
        }
        if !cut.is_empty() {
            cut.push(' ');
        }
        cut.push_str(word);
    }
    format!("{}…", cut.trim_end_matches([',', ';', ':']))
}

/// `[Component Name]`, `[FEATURE NAME]`: a bracketed placeholder, not a link or a checkbox.
fn has_placeholder(text: &str) -> bool {
    let mut rest = text;
    while let Some(open) = rest.find('[') {
        let after = &rest[open + 1..];
        let Some(close) = after.find(']') else {
            return false;
        };
        let inner = &after[..close];
        let wordy = inner.len() > 2
            && inner
                .chars()
                .all(|c| c.is_alphabetic() || c == ' ' || c == '_' || c == '-')
            && inner.chars().any(char::is_alphabetic);
        let link = after[close + 1..].starts_with('(');
        if wordy && !link {
            return true;
        }
        rest = &after[close + 1..];
    }
    false
}

/// The heading's title: what follows `Agent 2:` or `1A —`, else the whole heading.
fn heading_title(text: &str, mark: Option<&Mark>, code: Option<&(String, String)>) -> String {
    if let Some((_, title)) = code {
        return title.clone();
    }
    let cleaned = plain(text).replace('`', "");
    if let Some(mark) = mark {
        let lowered = cleaned.to_lowercase();
        if lowered.starts_with(&mark.kind) {
            let after_kind = &cleaned[mark.kind.len()..];
            let after_code = after_kind
                .trim_start()
                .trim_start_matches(['-', '#'])
                .trim_start();
            if after_code.to_lowercase().starts_with(&mark.code) {
                let rest = after_code[mark.code.len()..].trim_start_matches(|c: char| {
                    c == ':'
                        || c == '-'
                        || c == '–'
                        || c == '—'
                        || c == '.'
                        || c == ')'
                        || c == '|'
                        || c.is_whitespace()
                });
                return rest.trim().to_owned();
            }
        }
    }
    cleaned.trim().to_owned()
}

/// `text` without its parenthesised notes: `Data Layer Audit (Sonnet 4.6)` → `Data Layer Audit`.
fn without_notes(text: &str) -> String {
    let mut depth = 0usize;
    let mut kept = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => depth = depth.saturating_sub(1),
            _ if depth == 0 => kept.push(c),
            _ => {}
        }
    }
    single_line(&kept)
}

/// A heading's title without a leading list number and without notes about dependencies
/// (`1. \`ai-chat\` (Depends on: ai-backend)` → `ai-chat`).
fn clean_title(title: &str) -> String {
    let mut title = title.trim();
    let number = title.len() - title.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    if number > 0 && title[number..].starts_with(". ") {
        title = title[number + 2..].trim_start();
    }
    let mut cleaned = title.to_owned();
    while let Some(open) = cleaned.rfind('(') {
        let Some(close) = cleaned[open..].find(')') else {
            break;
        };
        let note = cleaned[open + 1..open + close].to_lowercase();
        let about_order = [
            "depend",
            "independent",
            "foundational",
            "after",
            "blocked",
            "requires",
            "none",
        ]
        .iter()
        .any(|w| note.contains(w));
        if !about_order || !cleaned[open + close + 1..].trim().is_empty() {
            break;
        }
        cleaned = cleaned[..open].trim_end().to_owned();
    }
    cleaned.replace('`', "")
}

/// `Hours 0-2`, `Hour 8-9`: the length of the window.
fn window_hours(text: &str) -> Option<f64> {
    let lowered = text.to_lowercase();
    let at = lowered.find("hour")?;
    let after = lowered[at..]
        .trim_start_matches(|c: char| c.is_alphabetic())
        .trim_start();
    let (from, rest) = after.split_once(['-', '–'])?;
    let from: f64 = from.trim().parse().ok()?;
    let to_text: String = rest
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    let to: f64 = to_text.parse().ok()?;
    (to > from).then_some(to - from)
}

/// One figure for a whole unit: `6-8 hours`, `2 days`, `30 min`, `~3h`, `4h (1 dev)`.
fn figure(text: &str, rates: &Rates) -> Option<f64> {
    let cleaned = without_emphasis(text).replace("**", "").replace('`', "");
    let cleaned = cleaned.trim();
    if let Some(hours) = parse_estimate_at(cleaned, rates) {
        return Some(hours);
    }
    // The leading estimate of a longer value: `6-8 hours (one developer)`.
    let words: Vec<&str> = cleaned.split_whitespace().collect();
    (1..=words.len().min(4))
        .rev()
        .find_map(|n| parse_estimate_at(&words[..n].join(" "), rates))
}

/// `(Depends on: search-complete)` or `— after Agent 2` in a heading: the named part.
fn heading_dependency(text: &str) -> Option<String> {
    let lowered = text.to_lowercase();
    for phrase in [
        "depends on",
        "dependencies:",
        "blocked by",
        "requires",
        "after",
    ] {
        if let Some(at) = lowered.find(phrase) {
            let rest = &text[at + phrase.len()..];
            let rest = rest.trim_start_matches([':', ' ']);
            let end = rest.find([')', ']']).unwrap_or(rest.len());
            let value = rest[..end].trim();
            if !value.is_empty() {
                return Some(value.to_owned());
            }
        }
    }
    None
}

/// The sentences of a line: split at `. `, `;` and a final full stop, so `1.2` stays whole.
fn sentences(text: &str) -> impl Iterator<Item = &str> {
    text.split(". ")
        .flat_map(|part| part.split(';'))
        .map(|part| part.trim().trim_end_matches('.'))
}

/// The part of a sentence naming what its unit waits for: `starts only after Agent 2 merges`.
fn dependency_phrase(sentence: &str) -> Option<String> {
    let lowered = sentence.to_lowercase();
    let phrases = [
        "depends on",
        "dependent on",
        "blocked by",
        "waits for",
        "wait for",
        "starts only after",
        "start only after",
        "starts after",
        "start after",
        "begins after",
        "only after",
        "must wait for",
        "after merging",
    ];
    let (at, len) = phrases
        .iter()
        .filter_map(|p| lowered.find(p).map(|at| (at, p.len())))
        .min()?;
    let rest = sentence[at + len..].trim().trim_start_matches(':').trim();
    (!rest.is_empty()).then(|| rest.to_owned())
}

enum Resolved {
    Nothing,
    Units(Vec<usize>),
    Unknown,
}

/// Whether `## Agent 1: {title}` reads back as exactly that title and nothing more.
pub(super) fn heading_reads_back(title: &str) -> bool {
    let safe = title
        .chars()
        .all(|c| c.is_alphanumeric() || " -:,.'/+()!?%".contains(c))
        && title.trim() == title
        && !title.is_empty();
    let heading = format!("Agent 1: {title}");
    safe && heading_title(&heading, unit_mark(&heading).as_ref(), None) == title
        && window_hours(title).is_none()
        && heading_dependency(title).is_none()
        && matches!(split_estimate(title), Ok((ref bare, None)) if bare == title)
        && group_heading(title).is_none()
}

/// Whether `## {name}` reads back as a heading naming nothing else.
pub(super) fn name_heading_reads_back(name: &str) -> bool {
    heading_reads_back(name)
        && unit_mark(name).is_none()
        && code_heading(name).is_none()
        && heading_title(name, None, None) == name
}

/// Which units a dependency text names.
fn resolve(
    text: &str,
    me: usize,
    units: &[Unit],
    names: &HashMap<&str, usize>,
    index: &HashMap<String, Vec<usize>>,
) -> Resolved {
    // A list of exact names, each plain or in a code span: `a, b and c`.
    let exact: Option<Vec<usize>> = super::listed_values(&text.replace(" and ", ", "))
        .iter()
        .map(|value| names.get(value.as_str()).copied())
        .collect();
    if let Some(mut found) = exact.filter(|f| !f.is_empty()) {
        found.sort_unstable();
        found.dedup();
        return Resolved::Units(found);
    }
    let cleaned = without_emphasis(text).replace("**", "").replace('`', " ");
    let lowered = cleaned.trim().to_lowercase();
    if reads_as_none(&lowered)
        || [
            "independent",
            "no dependenc",
            "immediate",
            "start immediately",
            "anytime",
            "any time",
        ]
        .iter()
        .any(|w| lowered.starts_with(w))
    {
        return Resolved::Nothing;
    }
    if [
        "all other",
        "all previous",
        "all agents",
        "all of the above",
        "everything",
        "all others",
        "every other",
    ]
    .iter()
    .any(|w| lowered.contains(w))
    {
        return Resolved::Units((0..me.min(units.len())).collect());
    }
    let list = words(&lowered);
    let mut found: Vec<usize> = Vec::new();
    let mut i = 0;
    while i < list.len() {
        let word = list[i].trim_end_matches('s');
        let is_unit_word = UNIT_WORDS.contains(&word) || UNIT_WORDS.contains(&list[i]);
        let is_group_word = ORDERED_GROUPS.contains(&word) || OTHER_GROUPS.contains(&word);
        if is_unit_word || is_group_word {
            let mut j = i + 1;
            let mut codes = Vec::new();
            while j < list.len() {
                if let Some(code) = code_word(list[j]) {
                    codes.push(code);
                    j += 1;
                } else if matches!(list[j], "and" | "or" | "&") && !codes.is_empty() {
                    j += 1;
                } else {
                    break;
                }
            }
            for code in codes {
                if is_unit_word {
                    let same_kind: Vec<usize> = (0..units.len())
                        .filter(|&u| {
                            units[u]
                                .mark
                                .as_ref()
                                .is_some_and(|m| m.code == code && m.kind == word)
                        })
                        .collect();
                    let any_kind: Vec<usize> = (0..units.len())
                        .filter(|&u| units[u].mark.as_ref().is_some_and(|m| m.code == code))
                        .collect();
                    let by_alias = index.get(&code).cloned().unwrap_or_default();
                    found.extend(if !same_kind.is_empty() {
                        same_kind
                    } else if !any_kind.is_empty() {
                        any_kind
                    } else {
                        by_alias
                    });
                } else if let Ok(position) = code.parse::<usize>() {
                    // `Wave 1`: every unit of that group, counting groups from their numbers.
                    let groups: Vec<(usize, usize)> = {
                        let mut g: Vec<(usize, usize)> =
                            units.iter().filter_map(|u| u.group).collect();
                        g.sort_unstable();
                        g.dedup();
                        g
                    };
                    if let Some(target) = units[me].group.map(|(seq, _)| seq) {
                        let positions: Vec<usize> = groups
                            .iter()
                            .filter(|(s, _)| *s == target)
                            .map(|(_, p)| *p)
                            .collect();
                        let first = positions.first().copied().unwrap_or(0);
                        let wanted =
                            position.saturating_sub(usize::from(first == 0 && position > 0));
                        found.extend(
                            (0..units.len()).filter(|&u| units[u].group == Some((target, wanted))),
                        );
                    }
                }
            }
            i = j.max(i + 1);
            continue;
        }
        if let Some(hits) = index.get(list[i]) {
            found.extend(hits.iter().copied());
        }
        i += 1;
    }
    // Longer names with spaces or punctuation stripped by the word split.
    for token in lowered.split(|c: char| c.is_whitespace() || ",;()[]".contains(c)) {
        let token = token
            .trim_end_matches(['.', ':', '\''])
            .trim_end_matches("'s");
        if let Some(hits) = index.get(token) {
            found.extend(hits.iter().copied());
        }
    }
    found.sort_unstable();
    found.dedup();
    if found.is_empty() {
        Resolved::Unknown
    } else {
        Resolved::Units(found)
    }
}

/// Which column of a table holds what.
#[derive(Debug, Default, Clone, Copy)]
struct Columns {
    agent: Option<usize>,
    id: Option<usize>,
    task: Option<usize>,
    tasks: Option<usize>,
    title: Option<usize>,
    branch: Option<usize>,
    worktree: Option<usize>,
    deps: Option<usize>,
    estimate: Option<usize>,
    owner: Option<usize>,
    wave: Option<usize>,
}

impl Columns {
    fn read(header: &[String]) -> Columns {
        let mut cols = Columns::default();
        for (i, cell) in header.iter().enumerate() {
            let name = cell_plain(cell).to_lowercase();
            let name = name.trim_end_matches(':').trim();
            let set = |slot: &mut Option<usize>| {
                slot.get_or_insert(i);
            };
            match name {
                "agent" | "agent id" | "agent #" | "track" | "stream" | "workstream" | "worker"
                | "session" | "lane" | "subagent" => set(&mut cols.agent),
                "id" | "task id" | "issue" | "#" | "ticket" | "key" => set(&mut cols.id),
                "task" => set(&mut cols.task),
                "tasks" | "issues" => set(&mut cols.tasks),
                "title" | "component" | "scope" | "owns" | "focus" | "focus area"
                | "description" | "work" | "deliverable" | "deliverables" | "feature"
                | "summary" | "name" | "responsibility" => set(&mut cols.title),
                "dependencies" | "depends on" | "dependency" | "blocked by" | "prerequisites"
                | "requires" | "waits for" | "after" | "deps" | "start condition" => {
                    set(&mut cols.deps)
                }
                "effort" | "estimate" | "estimated hours" | "hours" | "duration" | "time"
                | "est" | "estimated effort" => set(&mut cols.estimate),
                "assignee" | "owner" | "assigned to" | "agent type" | "model" => {
                    set(&mut cols.owner)
                }
                "wave" | "phase" | "stage" | "round" => set(&mut cols.wave),
                _ if name.contains("branch") => set(&mut cols.branch),
                _ if name.contains("worktree") => set(&mut cols.worktree),
                _ => {}
            }
        }
        cols
    }

    fn has_work(&self) -> bool {
        self.branch.is_some()
            || self.worktree.is_some()
            || self.deps.is_some()
            || self.estimate.is_some()
            || self.title.is_some()
            || self.task.is_some()
            || self.tasks.is_some()
    }
}

/// A unit name from a table key: `agent-1` as it is, `1` under `Agent` as `agent-1`,
/// `CORE-001` as `core-001`, `#42` as `issue-42`.
fn table_name(column: &str, key: &str) -> String {
    let key_slug = slug(key);
    let word = column.split_whitespace().next().unwrap_or("agent");
    let word = if word == "#" || word == "id" || word.is_empty() {
        "item"
    } else {
        word
    };
    if key.starts_with('#') {
        return format!("issue-{key_slug}");
    }
    if key_slug.chars().all(|c| c.is_ascii_digit()) || key_slug.len() <= 3 {
        return format!("{word}-{key_slug}");
    }
    key_slug
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_separator_inside_a_code_span_does_not_split_labels() {
        assert_eq!(
            split_outside_code("**Title:** `a | b` | **Branch:** `x`", " | "),
            ["**Title:** `a | b`", "**Branch:** `x`"]
        );
        assert_eq!(
            split_outside_code("**A:** ``x ` | y`` | **B:** 1", " | "),
            ["**A:** ``x ` | y``", "**B:** 1"]
        );
        assert_eq!(
            split_outside_code("**A:** `open | **B:** 2", " | "),
            ["**A:** `open", "**B:** 2"],
            "a backtick that never closes is a backtick"
        );
    }

    #[test]
    fn marks_and_codes() {
        assert_eq!(
            unit_mark("🔵 Agent 1: Core"),
            Some(Mark {
                kind: "agent".into(),
                code: "1".into()
            })
        );
        assert_eq!(
            unit_mark("Stream 2: Weather Services 🌤️"),
            Some(Mark {
                kind: "stream".into(),
                code: "2".into()
            })
        );
        assert_eq!(
            unit_mark("Post-Merge Integration (Stream 6)"),
            Some(Mark {
                kind: "stream".into(),
                code: "6".into()
            })
        );
        assert_eq!(
            unit_mark("BUILDER-1: Parser"),
            Some(Mark {
                kind: "builder".into(),
                code: "1".into()
            })
        );
        assert_eq!(
            unit_mark("Track 4A"),
            Some(Mark {
                kind: "track".into(),
                code: "4a".into()
            })
        );
        assert_eq!(unit_mark("Agent Architecture"), None);
        assert_eq!(
            code_heading("1A — Data Layer Audit (Sonnet 4.6)").map(|c| c.0),
            Some("1a".into())
        );
        assert_eq!(code_heading("1. Setup"), None);
        assert!(group_heading("PHASE 1 — Discovery").is_some_and(|g| g.ordered));
        assert!(group_heading("SPRINT 2: LLM").is_some_and(|g| !g.ordered));
        assert!(group_heading("Phase Overview").is_none());
        assert_eq!(window_hours("Agent 1 Sprint (Hours 0-2)"), Some(2.0));
        assert!(task_heading("1.2 Indexing Progress Skeleton"));
        assert!(has_placeholder("BUILDER-1: [Component Name]"));
        assert!(!has_placeholder("see [the docs](x.md)"));
    }
}
