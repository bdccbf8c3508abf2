//! Printing for people and for scripts: colour only where it helps, JSON on request,
//! one-line errors.

use std::io::{IsTerminal, Write};

use console::Style;
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

    /// Print a line for people (suppressed by --quiet and --json).
    pub fn say(&self, line: impl AsRef<str>) {
        if !self.quiet && !self.json {
            let _ = writeln!(std::io::stdout(), "{}", line.as_ref());
        }
    }

    /// Print what was asked for (kept with --quiet, suppressed with --json).
    pub fn print(&self, text: impl AsRef<str>) {
        if !self.json {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(text.as_ref().as_bytes());
            let _ = out.flush();
        }
    }

    /// Print a progress note on stderr (only with --verbose, or on a terminal).
    pub fn progress(&self, line: &str) {
        if !self.quiet && !self.json && (self.verbose || std::io::stderr().is_terminal()) {
            let _ = writeln!(std::io::stderr(), "{}", Style::new().dim().apply_to(line));
        }
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

/// Print an error as one line on stderr (and as JSON on stdout with --json).
pub fn error(output: Option<&Output>, message: &str, code: i32) {
    if output.is_some_and(|o| o.json) {
        let _ = writeln!(
            std::io::stdout(),
            "{}",
            serde_json::json!({ "error": message, "exit_code": code })
        );
    }
    let _ = writeln!(
        std::io::stderr(),
        "{} {message}",
        Style::new().red().bold().for_stderr().apply_to("error:")
    );
}

/// Print a warning as one line on stderr, whatever the output mode.
pub fn warning(message: &str) {
    eprintln!(
        "{} {message}",
        Style::new()
            .yellow()
            .bold()
            .for_stderr()
            .apply_to("warning:")
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
