//! A Markdown document as the blocks a plan reader cares about, each with its line number.
//!
//! The document is parsed as CommonMark with GitHub's tables and task lists, so a heading
//! inside a fenced block is code, not a heading, and a table is a table however it is
//! aligned. Inline text keeps `**strong**` markers and `` `code` `` spans, because plans
//! use them to mark labels and values; links keep their text only.

use pulldown_cmark::{CodeBlockKind, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

/// One block of the document.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Block {
    /// A heading: `level` 1 to 6 and its inline text.
    Heading {
        line: usize,
        level: usize,
        text: String,
    },
    /// A paragraph, one entry per source line.
    Para { lines: Vec<(usize, String)> },
    /// A list item's own text (its first paragraph), at `depth` 0 for a top-level item.
    Item {
        line: usize,
        depth: usize,
        checked: Option<bool>,
        text: String,
    },
    /// A table: its header cells and its rows, each with its line.
    Table {
        line: usize,
        header: Vec<String>,
        rows: Vec<(usize, Vec<String>)>,
    },
    /// A fenced or indented code block with its info word (lower case).
    Code {
        line: usize,
        lang: String,
        text: String,
    },
}

impl Block {
    /// The line the block starts on.
    pub(super) fn line(&self) -> usize {
        match self {
            Block::Heading { line, .. }
            | Block::Item { line, .. }
            | Block::Table { line, .. }
            | Block::Code { line, .. } => *line,
            Block::Para { lines } => lines.first().map_or(0, |(line, _)| *line),
        }
    }
}

/// Line numbers of byte offsets.
struct Lines {
    starts: Vec<usize>,
}

impl Lines {
    fn new(text: &str) -> Lines {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Lines { starts }
    }

    fn of(&self, offset: usize) -> usize {
        match self.starts.binary_search(&offset) {
            Ok(index) => index + 1,
            Err(index) => index,
        }
    }
}

/// What the inline text being read belongs to.
#[derive(Clone, Copy, PartialEq)]
enum Target {
    None,
    Block(usize),
    Cell,
}

/// Parse `text` into blocks in document order.
pub(super) fn blocks(text: &str) -> Vec<Block> {
    let lines = Lines::new(text);
    let options =
        Options::ENABLE_TABLES | Options::ENABLE_TASKLISTS | Options::ENABLE_STRIKETHROUGH;
    let mut blocks: Vec<Block> = Vec::new();
    let mut target = Target::None;
    // The source span of the inline text read so far for the target.
    let mut span: Option<(usize, usize)> = None;
    // Open list items: the block index of each, innermost last, and whether its own text
    // may still come.
    let mut items: Vec<(usize, bool)> = Vec::new();
    let mut row: Vec<String> = Vec::new();
    let mut row_line = 0;
    let mut in_head = false;
    let mut table: Option<usize> = None;
    let mut code = String::new();
    let close = |blocks: &mut Vec<Block>,
                 row: &mut Vec<String>,
                 target: Target,
                 span: &mut Option<(usize, usize)>| {
        let raw = span.take().map_or("", |(start, end)| &text[start..end]);
        match target {
            Target::None => {}
            Target::Cell => row.push(raw.trim().to_owned()),
            Target::Block(index) => {
                // A paragraph's text starts on the line the paragraph opened on.
                let first_line = blocks[index].line();
                let cleaned: Vec<String> = raw.lines().map(clean_line).collect();
                let last = index + 1 == blocks.len();
                let mut split_off: Option<Block> = None;
                match &mut blocks[index] {
                    Block::Heading { text, .. } => *text = cleaned.join(" ").trim().to_owned(),
                    Block::Item { text, line, .. } => {
                        // People end a list with a label line and no blank line between
                        // (`**Total:** 40 hours`); CommonMark reads it as part of the last
                        // item, a plan reads it as a line of its own.
                        let split = cleaned
                            .iter()
                            .skip(1)
                            .position(|l| is_label_line(l))
                            .map(|at| at + 1)
                            .filter(|_| last);
                        let (own, rest) = cleaned.split_at(split.unwrap_or(cleaned.len()));
                        *text = own.join("\n").trim().to_owned();
                        let first = *line;
                        if !rest.is_empty() {
                            let lines = rest
                                .iter()
                                .enumerate()
                                .map(|(offset, l)| (first + own.len() + offset, l.clone()))
                                .collect();
                            split_off = Some(Block::Para { lines });
                        }
                    }
                    Block::Para { lines } => {
                        *lines = cleaned
                            .into_iter()
                            .enumerate()
                            .map(|(offset, line)| (first_line + offset, line))
                            .collect();
                    }
                    Block::Code { .. } | Block::Table { .. } => {}
                }
                blocks.extend(split_off);
            }
        }
    };
    for (event, range) in Parser::new_ext(text, options).into_offset_iter() {
        let line = lines.of(range.start);
        let inline = matches!(
            event,
            Event::Text(_)
                | Event::Code(_)
                | Event::InlineHtml(_)
                | Event::SoftBreak
                | Event::HardBreak
                | Event::FootnoteReference(_)
                | Event::InlineMath(_)
                | Event::DisplayMath(_)
                | Event::Start(
                    Tag::Strong
                        | Tag::Emphasis
                        | Tag::Strikethrough
                        | Tag::Link { .. }
                        | Tag::Image { .. }
                )
                | Event::End(
                    TagEnd::Strong
                        | TagEnd::Emphasis
                        | TagEnd::Strikethrough
                        | TagEnd::Link
                        | TagEnd::Image
                )
        );
        if inline {
            if let Target::Block(index) = target
                && let Block::Code { .. } = blocks[index]
            {
                if let Event::Text(content) = &event {
                    code.push_str(content);
                }
                continue;
            }
            if target != Target::None {
                span = Some(span.map_or((range.start, range.end), |(start, end)| {
                    (start, end.max(range.end))
                }));
            }
            continue;
        }
        match event {
            Event::Start(Tag::Heading { level, .. }) => {
                blocks.push(Block::Heading {
                    line,
                    level: heading_level(level),
                    text: String::new(),
                });
                target = Target::Block(blocks.len() - 1);
            }
            Event::Start(Tag::Item) => {
                close(&mut blocks, &mut row, target, &mut span);
                blocks.push(Block::Item {
                    line,
                    depth: items.len(),
                    checked: None,
                    text: String::new(),
                });
                items.push((blocks.len() - 1, true));
                target = Target::Block(blocks.len() - 1);
            }
            Event::Start(Tag::Paragraph) => match items.last() {
                Some((index, true)) if target == Target::Block(*index) && span.is_none() => {}
                _ => {
                    close(&mut blocks, &mut row, target, &mut span);
                    blocks.push(Block::Para {
                        lines: vec![(line, String::new())],
                    });
                    target = Target::Block(blocks.len() - 1);
                }
            },
            Event::End(TagEnd::Paragraph | TagEnd::Heading(_)) => {
                close(&mut blocks, &mut row, target, &mut span);
                if let Some((_, open)) = items.last_mut() {
                    *open = false;
                }
                target = Target::None;
            }
            Event::Start(Tag::List(_) | Tag::BlockQuote(_) | Tag::HtmlBlock) => {
                close(&mut blocks, &mut row, target, &mut span);
                if let Some((_, open)) = items.last_mut() {
                    *open = false;
                }
                target = Target::None;
            }
            Event::End(TagEnd::Item) => {
                close(&mut blocks, &mut row, target, &mut span);
                items.pop();
                target = Target::None;
            }
            Event::TaskListMarker(done) => {
                if let Some((index, _)) = items.last()
                    && let Block::Item { checked, .. } = &mut blocks[*index]
                {
                    *checked = Some(done);
                }
            }
            Event::Start(Tag::CodeBlock(kind)) => {
                close(&mut blocks, &mut row, target, &mut span);
                if let Some((_, open)) = items.last_mut() {
                    *open = false;
                }
                let lang = match kind {
                    CodeBlockKind::Fenced(info) => info
                        .split_whitespace()
                        .next()
                        .unwrap_or("")
                        .to_ascii_lowercase(),
                    CodeBlockKind::Indented => String::new(),
                };
                code.clear();
                blocks.push(Block::Code {
                    line,
                    lang,
                    text: String::new(),
                });
                target = Target::Block(blocks.len() - 1);
            }
            Event::End(TagEnd::CodeBlock) => {
                if let Target::Block(index) = target
                    && let Block::Code { text, .. } = &mut blocks[index]
                {
                    *text = std::mem::take(&mut code);
                }
                target = Target::None;
            }
            Event::Start(Tag::Table(_)) => {
                close(&mut blocks, &mut row, target, &mut span);
                blocks.push(Block::Table {
                    line,
                    header: Vec::new(),
                    rows: Vec::new(),
                });
                table = Some(blocks.len() - 1);
                target = Target::None;
            }
            Event::Start(Tag::TableHead) => {
                in_head = true;
                row.clear();
            }
            Event::Start(Tag::TableRow) => {
                row.clear();
                row_line = line;
            }
            Event::Start(Tag::TableCell) => {
                span = None;
                target = Target::Cell;
            }
            Event::End(TagEnd::TableCell) => {
                close(&mut blocks, &mut row, target, &mut span);
                target = Target::None;
            }
            Event::End(TagEnd::TableHead | TagEnd::TableRow) => {
                if let Some(Block::Table { header, rows, .. }) = table.map(|t| &mut blocks[t]) {
                    if in_head {
                        *header = std::mem::take(&mut row);
                    } else {
                        rows.push((row_line, std::mem::take(&mut row)));
                    }
                }
                in_head = false;
            }
            Event::End(TagEnd::Table) => table = None,
            _ => {}
        }
    }
    close(&mut blocks, &mut row, target, &mut span);
    blocks.retain(
        |block| !matches!(block, Block::Para { lines } if lines.iter().all(|(_, l)| l.is_empty())),
    );
    blocks
}

/// `**Label:** value` or `**Label**: value`.
fn is_label_line(line: &str) -> bool {
    line.strip_prefix("**")
        .and_then(|rest| rest.find("**").map(|close| (rest, close)))
        .is_some_and(|(rest, close)| {
            rest[..close].ends_with(':') || rest[close + 2..].starts_with(':')
        })
}

/// A source line of inline text without the indentation and quote markers around it.
fn clean_line(line: &str) -> String {
    let trimmed = line.trim();
    let unquoted = trimmed.trim_start_matches(|c: char| c == '>' || c.is_whitespace());
    let unquoted = if trimmed.starts_with('>') {
        unquoted
    } else {
        trimmed
    };
    unquoted.trim_end_matches('\\').trim_end().to_owned()
}

fn heading_level(level: HeadingLevel) -> usize {
    match level {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_inside_fences_are_code() {
        let blocks = blocks("# Plan\n\n```bash\n## Summary\n```\n\n## Agent 1\n");
        assert_eq!(
            blocks,
            vec![
                Block::Heading {
                    line: 1,
                    level: 1,
                    text: "Plan".into()
                },
                Block::Code {
                    line: 3,
                    lang: "bash".into(),
                    text: "## Summary\n".into()
                },
                Block::Heading {
                    line: 7,
                    level: 2,
                    text: "Agent 1".into()
                },
            ]
        );
    }

    #[test]
    fn items_paragraphs_and_tables_keep_their_lines_and_markers() {
        let text = "**Branch:** `a/b`\n**Worktree**: x\n\n- [x] Done (2h)\n  - nested\n- open\n\n| Agent | Branch |\n|---|---|\n| 1 | `wip/x` |\n";
        let blocks = blocks(text);
        assert_eq!(
            blocks[0],
            Block::Para {
                lines: vec![
                    (1, "**Branch:** `a/b`".into()),
                    (2, "**Worktree**: x".into())
                ]
            }
        );
        assert_eq!(
            blocks[1],
            Block::Item {
                line: 4,
                depth: 0,
                checked: Some(true),
                text: "Done (2h)".into()
            }
        );
        assert!(matches!(&blocks[2], Block::Item { depth: 1, text, .. } if text == "nested"));
        assert!(matches!(
            &blocks[3],
            Block::Item {
                depth: 0,
                line: 6,
                ..
            }
        ));
        assert_eq!(
            blocks[4],
            Block::Table {
                line: 8,
                header: vec!["Agent".into(), "Branch".into()],
                rows: vec![(10, vec!["1".into(), "`wip/x`".into()])]
            }
        );
    }
}
