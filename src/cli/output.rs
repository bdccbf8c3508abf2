//! Printing for people and for scripts: colour only where it helps, JSON on request,
//! one-line errors.

use std::borrow::Cow;
use std::cell::RefCell;
use std::io::{IsTerminal, Write};
use std::time::Duration;

use console::Style;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use serde::Serialize;

/// When to colour output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ColorChoice {
    /// On a terminal, unless NO_COLOR is set (CLICOLOR_FORCE forces it).
    #[default]
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// How the command's output should look.
#[derive(Debug, Clone, Copy)]
pub struct Output {
    /// Print JSON instead of text.
    pub json: bool,
    /// Print only errors and what was asked for.
    pub quiet: bool,
    /// Print more detail.
    pub verbose: bool,
}

impl Output {
    /// Decide colour from the flag, the environment and whether stdout is a terminal.
    pub fn new(json: bool, quiet: bool, verbose: bool, choice: ColorChoice) -> Output {
        let env_set =
            |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty() && v != "0");
        let color = match choice {
            ColorChoice::Never => false,
            ColorChoice::Always => true,
            ColorChoice::Auto => {
                if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) {
                    false
                } else if env_set("CLICOLOR_FORCE") {
                    true
                } else {
                    std::io::stdout().is_terminal()
                        && std::env::var("TERM").map(|t| t != "dumb").unwrap_or(true)
                }
            }
        };
        console::set_colors_enabled(color);
        console::set_colors_enabled_stderr(
            color && std::io::stderr().is_terminal() || choice == ColorChoice::Always,
        );
        Output {
            json,
            quiet,
            verbose,
        }
    }

    /// Print a line for people (suppressed by --quiet and --json); text from agents and
    /// remotes in it is made [`inert`].
    pub fn say(&self, line: impl AsRef<str>) {
        if !self.quiet && !self.json {
            let _ = writeln!(std::io::stdout(), "{}", inert(line.as_ref()));
        }
    }

    /// Print a view that was asked for (kept with --quiet, suppressed with --json), with
    /// text from agents and remotes in it made [`inert`].
    pub fn print(&self, text: impl AsRef<str>) {
        self.print_data(inert(text.as_ref()));
    }

    /// Print data that was asked for exactly as it is (an exported plan, a completion
    /// script): made to be saved or read by a program, not shown.
    pub fn print_data(&self, text: impl AsRef<str>) {
        if !self.json {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(text.as_ref().as_bytes());
            let _ = out.flush();
        }
    }

    /// Print a progress note on stderr (only with --verbose, or on a terminal).
    pub fn progress(&self, line: &str) {
        if !self.quiet && !self.json && (self.verbose || std::io::stderr().is_terminal()) {
            let _ = writeln!(
                std::io::stderr(),
                "{}",
                Style::new().dim().apply_to(inert(line))
            );
        }
    }

    /// Whether stderr gets a live, redrawn display: a terminal, and neither --json nor --quiet.
    pub fn live(&self) -> bool {
        !self.quiet
            && !self.json
            && std::io::stderr().is_terminal()
            && std::env::var("TERM").map(|t| t != "dumb").unwrap_or(true)
    }

    /// A spinner on stderr saying what long work is under way and for how long: redrawn in
    /// place on a terminal, a plain line per step with --verbose elsewhere, and nothing
    /// with --json or --quiet.
    pub fn spinner(&self, message: &str) -> Spinner {
        let bar = self.live().then(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr_with_hz(10));
            bar.set_style(spinner_style());
            bar.enable_steady_tick(Duration::from_millis(100));
            bar
        });
        let spinner = Spinner {
            bar,
            lines: self.verbose && !self.quiet && !self.json,
            pass_output: !self.quiet,
            pending: RefCell::new(Vec::new()),
            current: RefCell::new(String::new()),
        };
        spinner.step(message);
        spinner
    }

    /// Print `value` as JSON when --json was given; returns whether it printed.
    pub fn json<T: Serialize>(&self, value: &T) -> bool {
        if self.json {
            let text = serde_json::to_string_pretty(value)
                .unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
            let _ = writeln!(std::io::stdout(), "{text}");
        }
        self.json
    }
}

/// The look of a spinner: what is being done, then how long it has taken.
pub fn spinner_style() -> ProgressStyle {
    ProgressStyle::with_template("{spinner:.cyan} {wide_msg} {took:.dim}")
        .unwrap_or_else(|_| ProgressStyle::default_spinner())
        .with_key(
            "took",
            |state: &ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = w.write_str(&clock(state.elapsed()));
            },
        )
}

/// A duration as a short clock for live displays: `42s`, `3m 05s`, `1h 02m`.
pub fn clock(duration: Duration) -> String {
    let secs = duration.as_secs();
    match secs {
        0..60 => format!("{secs}s"),
        60..3600 => format!("{}m {:02}s", secs / 60, secs % 60),
        _ => format!("{}h {:02}m", secs / 3600, secs % 3600 / 60),
    }
}

/// Long work under way, shown on stderr (see [`Output::spinner`]); cleared when dropped.
pub struct Spinner {
    bar: Option<ProgressBar>,
    lines: bool,
    pass_output: bool,
    pending: RefCell<Vec<u8>>,
    current: RefCell<String>,
}

impl Spinner {
    /// Say that the work has moved on to `message`; its clock starts again. With
    /// --verbose on a terminal, the step it replaces stays on screen with its time.
    pub fn step(&self, message: &str) {
        if let Some(bar) = &self.bar {
            self.keep_current_step(bar);
            let message = inert(message);
            *self.current.borrow_mut() = message.to_string();
            bar.set_message(format!("{message}…"));
            bar.reset_elapsed();
        } else if self.lines {
            let _ = writeln!(
                std::io::stderr(),
                "{}",
                Style::new().dim().for_stderr().apply_to(inert(message))
            );
        }
    }

    /// With --verbose, print the step under way with the time it took, above the spinner.
    fn keep_current_step(&self, bar: &ProgressBar) {
        let current = self.current.borrow();
        if self.lines && !current.is_empty() {
            bar.println(
                Style::new()
                    .dim()
                    .for_stderr()
                    .apply_to(format!(
                        "{current} ({})",
                        git_agents::time::format_duration(bar.elapsed())
                    ))
                    .to_string(),
            );
        }
    }

    /// Pass a command's output through to stderr (not with --quiet), whole lines at a
    /// time so the spinner is never drawn into the middle of one.
    pub fn output(&self, chunk: &[u8]) {
        if !self.pass_output {
            return;
        }
        let Some(bar) = &self.bar else {
            let _ = std::io::stderr().write_all(chunk);
            return;
        };
        let mut pending = self.pending.borrow_mut();
        pending.extend_from_slice(chunk);
        if let Some(end) = pending.iter().rposition(|&b| b == b'\n') {
            let lines: Vec<u8> = pending.drain(..=end).collect();
            bar.suspend(|| {
                let _ = std::io::stderr().write_all(&lines);
            });
        }
    }

    /// Run `print` with the spinner out of the way, for printing results while it shows.
    pub fn suspend<R>(&self, print: impl FnOnce() -> R) -> R {
        match &self.bar {
            Some(bar) => bar.suspend(print),
            None => print(),
        }
    }

    /// Clear the spinner and print any unfinished line of output.
    pub fn finish(self) {
        drop(self);
    }
}

impl git_agents::progress::Progress for Spinner {
    fn step(&mut self, what: &str) {
        Spinner::step(self, what);
    }

    fn output(&mut self, chunk: &[u8]) {
        Spinner::output(self, chunk);
    }
}

impl Drop for Spinner {
    fn drop(&mut self) {
        if let Some(bar) = &self.bar {
            self.keep_current_step(bar);
            bar.finish_and_clear();
        }
        let pending = std::mem::take(self.pending.get_mut());
        if !pending.is_empty() {
            let mut err = std::io::stderr().lock();
            let _ = err.write_all(&pending);
            let _ = err.write_all(b"\n");
        }
    }
}

/// The width to fit views to: the terminal's when stdout is one, else `COLUMNS` when set
/// (as shells export it); `None` means any width (output piped to a program).
pub fn terminal_width() -> Option<usize> {
    let term = console::Term::stdout();
    if term.is_term()
        && let Some((_, columns)) = term.size_checked()
    {
        return Some(usize::from(columns));
    }
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse().ok())
        .filter(|c| *c > 0)
}

/// `text` with every line longer than `width` columns cut to it, ending in `…`, colours
/// kept intact; so a view never wraps in the middle of a word.
pub fn fit(text: &str, width: Option<usize>) -> String {
    let Some(width) = width else {
        return text.to_owned();
    };
    let mut fitted = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let (body, end) = match line.strip_suffix('\n') {
            Some(body) => (body, "\n"),
            None => (line, ""),
        };
        if console::measure_text_width(body) > width {
            fitted.push_str(&console::truncate_str(body, width, "…"));
        } else {
            fitted.push_str(body);
        }
        fitted.push_str(end);
    }
    fitted
}

/// An error as `--json` prints it.
#[derive(Serialize)]
struct ErrorJson<'a> {
    error: &'a str,
    exit_code: i32,
}

/// Print an error as one line on stderr (and as JSON on stdout with --json).
pub fn error(output: Option<&Output>, message: &str, code: i32) {
    if output.is_some_and(|o| o.json) {
        let json = ErrorJson {
            error: message,
            exit_code: code,
        };
        let _ = writeln!(
            std::io::stdout(),
            "{}",
            serde_json::to_string(&json).unwrap_or_default()
        );
    }
    let _ = writeln!(
        std::io::stderr(),
        "{} {}",
        Style::new().red().bold().for_stderr().apply_to("error:"),
        inert(message)
    );
}

/// Print a warning as one line on stderr, whatever the output mode.
pub fn warning(message: &str) {
    eprintln!(
        "{} {}",
        Style::new()
            .yellow()
            .bold()
            .for_stderr()
            .apply_to("warning:"),
        inert(message)
    );
}

/// Styles used across commands.
pub mod style {
    use console::Style;

    /// Agent names.
    pub fn name() -> Style {
        Style::new().bold()
    }
    /// Good news.
    pub fn good() -> Style {
        Style::new().green()
    }
    /// Bad news.
    pub fn bad() -> Style {
        Style::new().red()
    }
    /// Needs attention.
    pub fn warn() -> Style {
        Style::new().yellow()
    }
    /// Less important detail.
    pub fn dim() -> Style {
        Style::new().dim()
    }
}

/// `text` made safe to show inside one line of a dashboard: line breaks and tabs become
/// spaces, and other control characters (a terminal escape, a carriage return that would
/// overwrite the line) become U+FFFD.
pub fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\n' | '\r' | '\t' => ' ',
            c if c.is_control() => '\u{FFFD}',
            c => c,
        })
        .collect::<String>()
        .trim()
        .to_owned()
}

/// A bar of `width` cells filled to `fraction`.
pub fn bar(fraction: f64, width: usize) -> String {
    let fraction = if fraction.is_finite() {
        fraction.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let filled = (fraction * width as f64).round() as usize;
    format!("{}{}", "█".repeat(filled), "░".repeat(width - filled))
}

/// `text` safe to show on a terminal: control characters that could move the cursor,
/// clear the screen, set the title, write the clipboard or hide text (ESC sequences other
/// than colours, BEL, CR, backspace, C1 codes) are shown in caret notation (`^[`, `^G`)
/// instead of acting. Colour sequences pass only while output is coloured, so a note,
/// title or log line from an agent or a remote is read, never obeyed.
pub fn inert(text: &str) -> Cow<'_, str> {
    inert_with(
        text,
        console::colors_enabled() || console::colors_enabled_stderr(),
    )
}

/// [`inert`], with colour sequences let through or not.
fn inert_with(text: &str, colours: bool) -> Cow<'_, str> {
    let harmless = |c: char| !c.is_control() || c == '\n' || c == '\t';
    if text.chars().all(harmless) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if c == '\u{1b}'
            && colours
            && let Some(len) = colour_sequence(rest)
        {
            out.push_str(&rest[..len]);
            rest = &rest[len..];
            continue;
        }
        match c {
            c if harmless(c) => out.push(c),
            '\u{7f}' => out.push_str("^?"),
            c if (c as u32) < 0x20 => {
                out.push('^');
                out.push(char::from(b'@' + c as u8));
            }
            c => out.push_str(&format!("<U+{:04X}>", c as u32)),
        }
        rest = &rest[c.len_utf8()..];
    }
    Cow::Owned(out)
}

/// The length of the colour sequence (`ESC [ 1;31 m`) `text` starts with, if it does.
fn colour_sequence(text: &str) -> Option<usize> {
    let body = text.strip_prefix("\u{1b}[")?;
    let params = body
        .find(|c: char| !(c.is_ascii_digit() || c == ';'))
        .unwrap_or(body.len());
    (body[params..].starts_with('m')).then_some(2 + params + 1)
}

#[cfg(test)]
mod inert_tests {
    use super::inert_with;

    #[test]
    fn control_characters_are_shown_in_caret_notation() {
        let inert = |text| inert_with(text, false);
        assert_eq!(inert("plain\ttext\n"), "plain\ttext\n");
        assert_eq!(inert("\u{1b}]0;title\u{7}"), "^[]0;title^G");
        assert_eq!(inert("a\rb\u{8}\u{7f}"), "a^Mb^H^?");
        assert_eq!(inert("\u{9b}2J"), "<U+009B>2J");
        assert_eq!(inert("\u{1b}[31mred\u{1b}[0m"), "^[[31mred^[[0m");
    }

    #[test]
    fn colours_pass_only_while_output_is_coloured() {
        let inert = |text| inert_with(text, true);
        assert_eq!(
            inert("\u{1b}[1;31mred\u{1b}[0m"),
            "\u{1b}[1;31mred\u{1b}[0m"
        );
        assert_eq!(inert("\u{1b}[2J"), "^[[2J");
    }
}
