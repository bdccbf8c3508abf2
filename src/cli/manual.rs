//! The manual pages, generated from the command definition with clap_mangen:
//! `git-agents.1` with the sections a git command's page has (state layout,
//! configuration, environment, files, exit status), and one page per subcommand
//! (`git-agents-spawn.1`, nested ones as `git-agents-plan-export.1`).

use clap::Command;
use clap_mangen::Man;
use clap_mangen::roff::{Inline, Roff, bold, italic, roman};

/// The manual section every page belongs to.
const SECTION: &str = "1";

/// The name of the manual the pages belong to.
const MANUAL: &str = "Git Agents Manual";

/// One rendered page: its file name (`git-agents-spawn.1`) and its roff source.
pub struct Page {
    /// The file name, as `man` looks it up.
    pub file_name: String,
    /// The roff source.
    pub text: String,
}

/// Every page of the command line `root` defines: the main one first, then one per
/// visible subcommand, depth first.
pub fn pages(root: Command) -> Vec<Page> {
    let mut root = root.disable_help_subcommand(true);
    root.build();
    let mut pages = vec![Page {
        file_name: format!("git-agents.{SECTION}"),
        text: main_page(&root),
    }];
    for sub in visible_subcommands(&root) {
        subcommand_pages(sub, None, &mut pages);
    }
    pages
}

fn visible_subcommands(command: &Command) -> impl Iterator<Item = &Command> {
    command
        .get_subcommands()
        .filter(|s| !s.is_hide_set() && s.get_name() != "help")
}

fn page_name(command: &Command) -> String {
    command
        .get_display_name()
        .unwrap_or_else(|| command.get_name())
        .to_owned()
}

fn man(command: &Command) -> Man {
    Man::new(command.clone())
        .title(page_name(command).to_uppercase())
        .section(SECTION)
        .manual(MANUAL)
        .source(format!("git-agents {}", env!("CARGO_PKG_VERSION")))
}

/// A section rendered on its own, without the preamble every clap_mangen render starts with.
fn piece(render: impl FnOnce(&mut Vec<u8>) -> std::io::Result<()>) -> String {
    let mut buffer = Vec::new();
    // Writing into a Vec cannot fail.
    let _ = render(&mut buffer);
    let text = String::from_utf8_lossy(&buffer).into_owned();
    let preamble = Roff::new().render();
    text.strip_prefix(&preamble)
        .map(str::to_owned)
        .unwrap_or(text)
}

fn has_options(command: &Command) -> bool {
    command.get_arguments().any(|a| !a.is_hide_set())
}

/// The parts clap_mangen renders for every page, up to and including SUBCOMMANDS.
fn generated_sections(man: &Man, command: &Command, description: bool) -> String {
    let mut text = String::new();
    let mut buffer = Vec::new();
    let _ = man.render_title(&mut buffer);
    text.push_str(&String::from_utf8_lossy(&buffer));
    text.push_str(&piece(|w| man.render_name_section(w)));
    text.push_str(&synopsis(command));
    if description {
        text.push_str(&piece(|w| man.render_description_section(w)));
    }
    if has_options(command) {
        text.push_str(&piece(|w| man.render_options_section(w)));
    }
    if visible_subcommands(command).next().is_some() {
        text.push_str(&piece(|w| man.render_subcommands_section(w)));
    }
    text
}

/// The SYNOPSIS section: the command, then every visible option with its value's name
/// (`[-C DIR]`, `[--color WHEN]`), the positional arguments and the subcommand slot.
fn synopsis(command: &Command) -> String {
    let name = command.get_bin_name().unwrap_or_else(|| command.get_name());
    let mut line: Vec<Inline> = vec![bold(name)];
    for arg in command.get_arguments().filter(|a| !a.is_hide_set()) {
        let takes_values = arg.get_num_args().is_some_and(|n| n.takes_values());
        let values: Vec<String> = match arg.get_value_names() {
            _ if !takes_values => Vec::new(),
            Some(names) => names.iter().map(|n| n.to_string()).collect(),
            None => vec![arg.get_id().as_str().to_uppercase().replace('-', "_")],
        };
        let repeats = matches!(arg.get_action(), clap::ArgAction::Append)
            || arg.get_num_args().is_some_and(|n| n.max_values() > 1);
        let (open, close) = if arg.is_required_set() {
            ("", "")
        } else {
            ("[", "]")
        };
        line.push(roman(format!(" {open}")));
        if arg.is_positional() {
            let name = values
                .first()
                .cloned()
                .unwrap_or_else(|| arg.get_id().to_string());
            line.push(italic(name));
        } else {
            let flag = match (arg.get_short(), arg.get_long()) {
                (Some(short), Some(long)) => format!("-{short}|--{long}"),
                (Some(short), None) => format!("-{short}"),
                (None, Some(long)) => format!("--{long}"),
                (None, None) => arg.get_id().to_string(),
            };
            line.push(bold(flag));
            for value in &values {
                line.push(roman(" "));
                line.push(italic(value.clone()));
            }
        }
        if repeats {
            line.push(roman("..."));
        }
        line.push(roman(close));
    }
    if visible_subcommands(command).next().is_some() {
        let (open, close) = if command.is_subcommand_required_set() {
            ("<", ">")
        } else {
            ("[", "]")
        };
        line.push(roman(format!(" {open}")));
        line.push(italic("SUBCOMMAND"));
        line.push(roman(close));
    }
    let mut roff = Roff::new();
    roff.control("SH", ["SYNOPSIS"]);
    roff.text(line);
    roff.to_roff()
}

fn subcommand_pages(command: &Command, parent: Option<&Command>, pages: &mut Vec<Page>) {
    let man = man(command);
    let mut text = generated_sections(&man, command, true);
    let mut see_also = Roff::new();
    see_also.control("SH", ["SEE ALSO"]);
    let mut references = vec![
        bold("git-agents"),
        roman("(1) for the state layout, configuration, environment and exit status"),
    ];
    if let Some(parent) = parent {
        references.extend([roman("; "), bold(page_name(parent)), roman("(1)")]);
    }
    see_also.text(references);
    text.push_str(&see_also.to_roff());
    text.push_str(&piece(|w| man.render_version_section(w)));
    pages.push(Page {
        file_name: man.get_filename(),
        text,
    });
    for sub in visible_subcommands(command) {
        subcommand_pages(sub, Some(command), pages);
    }
}

fn main_page(root: &Command) -> String {
    let man = man(root);
    let mut text = generated_sections(&man, root, false);
    let description = section("DESCRIPTION", DESCRIPTION);
    let at = text.find(".SH OPTIONS").unwrap_or(text.len());
    text.insert_str(at, &description);
    for (title, blocks) in main_sections() {
        text.push_str(&section(title, &blocks));
    }
    text.push_str(&piece(|w| man.render_version_section(w)));
    text
}

/// A piece of hand-written manual text.
#[derive(Clone, Copy)]
enum Block {
    /// A paragraph.
    Para(&'static str),
    /// A term in bold with its description.
    Item(&'static str, &'static str),
    /// Lines shown as they are, in a literal display.
    Example(&'static str),
}

use Block::{Example, Item, Para};

fn section(title: &str, blocks: &[Block]) -> String {
    let mut roff = Roff::new();
    roff.control("SH", [title]);
    let literal_keys = title == "JSON OUTPUT";
    if literal_keys {
        roff.control("nh", []);
    }
    let mut first = true;
    for block in blocks {
        match block {
            Para(text) => {
                if !first {
                    roff.control("PP", []);
                }
                roff.text([roman(*text)]);
            }
            Item(term, text) => {
                roff.control("TP", []);
                roff.text([bold(*term)]);
                roff.text([roman(*text)]);
            }
            Example(lines) => {
                roff.control("PP", []);
                roff.control("RS", ["4"]);
                roff.control("nf", []);
                for line in lines.lines() {
                    roff.text([roman(line)]);
                }
                roff.control("fi", []);
                roff.control("RE", []);
            }
        }
        first = false;
    }
    if literal_keys {
        roff.control("hy", []);
    }
    roff.to_roff()
}

const DESCRIPTION: &[Block] = &[
    Para(
        "git agents runs a fleet of coding agents in parallel, each in its own git worktree and branch, and brings their work home through pull requests and a dependency-ordered merge queue.",
    ),
    Para(
        "The plan (agents, their branches and worktrees, tasks with estimates, and which agents wait for which) is imported once with git agents init. From then on the fleet's state lives in the repository itself, under refs that every worktree shares, so agents working in different worktrees can report progress at the same time without losing an update.",
    ),
    Para(
        "git runs git-agents for git agents, in the directory it was started in. git agents --help and git help agents show this page; each subcommand has a page of its own, listed under SUBCOMMANDS, and git agents SUBCOMMAND -h prints a summary.",
    ),
    Example(
        "git agents init --plan plan.md\ngit agents status\ngit agents spawn --ready\ncd worktrees/backend-agent\ngit agents task done 1\ngit agents log backend-agent",
    ),
];

/// The main page's sections after the generated ones, in order.
fn main_sections() -> Vec<(&'static str, Vec<Block>)> {
    vec![
        ("STATE LAYOUT", STATE_LAYOUT.to_vec()),
        ("JSON OUTPUT", JSON_OUTPUT.to_vec()),
        ("CONFIGURATION", configuration()),
        ("ENVIRONMENT", ENVIRONMENT.to_vec()),
        ("FILES", FILES.to_vec()),
        ("EXIT STATUS", EXIT_STATUS.to_vec()),
        ("SEE ALSO", SEE_ALSO.to_vec()),
    ]
}

const STATE_LAYOUT: &[Block] = &[
    Para(
        "Nothing is written into any working tree. The fleet's state is kept in two refs, shared by every worktree of the repository:",
    ),
    Item(
        "refs/agents/state",
        "A chain of commits, one per change. Each commit's tree holds plan.json (the plan, with a schema version) and agents/NAME.json for every agent (status, current task, done tasks, head commit, base commit, pull request, merged commit, failure, notes). Each commit is made with your git identity and its message says what happened (spawn backend-agent), so git agents log and git log refs/agents/state show the audit trail.",
    ),
    Item(
        "refs/notes/agents",
        "git notes on the exact commits that were tested, reviewed or approved. Each note holds one JSON object per line, with a kind of test, review or approval; lines are only ever appended. Read them with git notes --ref agents show COMMIT.",
    ),
    Para(
        "Every write is a compare-and-swap: the ref moves only if it still points where it did when the change was built; otherwise the change is rebuilt on the new tip and tried again, a bounded number of times with jittered backoff. Derived facts (progress, which agents are blocked, merge order) are computed when read and never stored.",
    ),
    Para(
        "To share the state with another clone, push and fetch both refs like any other: git push origin refs/agents/state refs/notes/agents.",
    ),
];

const JSON_OUTPUT: &[Block] = &[
    Para(
        "With --json every command prints one JSON document on standard output instead of text. Keys are snake_case and stable: later versions add keys but do not rename or remove them. Unknown values are null (the plan leaves unset settings out); times are RFC 3339 in UTC; hours are decimal numbers.",
    ),
    Item(
        "status",
        "{\"base\", \"agents\": [{\"name\", \"title\", \"status\", \"progress\", \"current_task\", \"blocked_by\", \"branch\", \"worktree\", \"worktree_exists\", \"tasks_done\", \"tasks_total\", \"hours_done\", \"hours_total\", \"head\", \"tests_passing\", \"review_score\", \"review_iterations\", \"approvals\", \"pr\", \"failure\", \"depends_on\", \"updated_at\"}], \"summary\": {\"agents\", \"by_status\", \"tasks_done\", \"tasks_total\", \"hours_done\", \"hours_total\", \"progress\", \"prs_open\", \"blocked\"}}",
    ),
    Item(
        "plan show",
        "The plan: {\"base\", \"worktrees_dir\", \"forge\", \"test_command\", \"review_command\", \"merge\", \"agents\": [{\"name\", \"title\", \"branch\", \"worktree\", \"depends_on\", \"tasks\": [{\"title\", \"hours\", \"done\"}], \"command\", \"cli\"}]}; like the plan's unset settings, \"done\" is left out of a task that is not done.",
    ),
    Item("plan export", "{\"format\", \"text\"}"),
    Item(
        "run",
        "The one exception to one document: a stream, one JSON object per line as things happen, each with its \"event\" (spawned, launched, finished, failed, step with its \"stage\", again with its \"kind\" and \"file\", retrying, held with its \"reason\", merged with what it \"unblocked\", interrupted, adopted, ...), the \"agent\" and the time \"at\" to the millisecond; the last line is {\"event\": \"report\", \"merged\", \"failed\", \"waiting\", \"interrupted\", \"unmerged\": [{\"agent\", \"status\", \"reasons\", \"next\"}]}.",
    ),
    Item(
        "log",
        "{\"entries\": [{\"commit\", \"kind\" (state or fact), \"time\", \"author\", \"summary\", \"agents\"}]}: every state change and every fact recorded in the notes (test runs, each review iteration, approvals), both sides of every sync, newest first.",
    ),
    Item(
        "errors",
        "{\"error\", \"exit_code\"}, on standard output, while the message also goes to standard error.",
    ),
    Para(
        "Standard output carries only results. Progress on long work (a checkout, a test of a merged result, a push) goes to standard error: a spinner saying what is being done and for how long on a terminal, one plain line per step with --verbose elsewhere, and nothing with --json or --quiet. run shows a live dashboard there on a terminal.",
    ),
    Para(
        "Commands that change the state print what they did: init {\"agents\", \"tasks\", \"hours\", \"base\", \"worktrees_dir\", \"replaced\", \"state_commit\"}, spawn {\"spawned\": [...]}, task and update {\"agent\", \"changed\", ...}, add the new agent, remove {\"removed\", \"agents\"}, install-man {\"dir\", \"pages\", \"on_manpath\"}.",
    ),
];

const CONFIGURATION_INTRO: &str = "Settings are read from git config, in every scope git reads (git -c, the repository, the user's and the system's files), so they are set like any other git setting: git config agents.base develop. Each setting is resolved in one order: a command-line flag first, then git config, then the plan, then the built-in default.";

/// The CONFIGURATION section: every key from config's own table, so none can be missing.
fn configuration() -> Vec<Block> {
    std::iter::once(Para(CONFIGURATION_INTRO))
        .chain(
            git_agents::config::KEYS
                .iter()
                .map(|key| Item(key.name, key.doc)),
        )
        .collect()
}

const ENVIRONMENT: &[Block] = &[
    Item(
        "NO_COLOR",
        "When set to a non-empty value, output is not coloured unless --color=always is given.",
    ),
    Item(
        "CLICOLOR_FORCE",
        "When set to a value other than 0, output is coloured even when it does not go to a terminal (NO_COLOR and --color=never win over it).",
    ),
    Item(
        "TERM",
        "When dumb, output is not coloured unless --color=always is given, and long work shows no spinner or live dashboard.",
    ),
    Item(
        "GIT_DIR, GIT_WORK_TREE",
        "The repository and working tree to use instead of the ones found from the current directory, as for git itself (git --git-dir=DIR agents sets GIT_DIR).",
    ),
    Item(
        "GIT_CONFIG_PARAMETERS, GIT_CONFIG_COUNT, GIT_CONFIG_KEY_N, GIT_CONFIG_VALUE_N",
        "Settings given with git -c KEY=VALUE agents, or through the environment, take precedence over the config files.",
    ),
    Item(
        "GIT_AUTHOR_NAME, GIT_AUTHOR_EMAIL, GIT_COMMITTER_NAME, GIT_COMMITTER_EMAIL",
        "The identity recorded on state commits, as for git commit; otherwise user.name and user.email.",
    ),
    Item(
        "MANPATH",
        "Where man looks for pages; git agents install-man says what to add when the directory it installs into is not on it.",
    ),
];

const FILES: &[Block] = &[
    Item(
        "$GIT_COMMON_DIR/info/exclude",
        "init adds the worktrees directory here, so agent worktrees never show as untracked files in the main worktree.",
    ),
    Item(
        "$GIT_COMMON_DIR/agents/logs/",
        "The output of each agent's command under run (NAME.log) and of its worktree's setup command (NAME-setup.log).",
    ),
    Item(
        "$GIT_COMMON_DIR/agents/run/",
        "One record per command run has launched (process group, start time, exit status), so that a run started after a killed one adopts the commands still running instead of starting them twice.",
    ),
    Item(
        "$GIT_COMMON_DIR/agents/merge/",
        "Temporary worktrees where the local forge tests merged results; doctor reports and removes any a killed process left.",
    ),
    Item(
        "$GIT_COMMON_DIR/agents/conflicts.json and agents/cache/",
        "Derived files that only save work: the last conflict prediction, the agent documents already decoded (cache/state.json, by blob id) and the last dashboard with the commits, branch tips and worktrees it was computed from (cache/status.json). Each is used only while it matches the refs, branches and worktrees; removing them is always safe.",
    ),
    Item(
        "~/.local/share/man/man1/git-agents*.1",
        "Where git agents install-man puts these pages by default.",
    ),
    Item(
        "~/.local/share/bash-completion/completions/git-agents",
        "The bash completion script (git agents completions bash), which bash-completion loads for both git agents and git-agents.",
    ),
    Item(
        "_git-agents in a directory on zsh's fpath",
        "The zsh completion script (git agents completions zsh), which git's zsh completion calls for git agents.",
    ),
    Item(
        "~/.config/fish/completions/git-agents.fish",
        "The fish completion script (git agents completions fish), which fish's git completion hands git agents to.",
    ),
];

const EXIT_STATUS: &[Block] = &[
    Item("0", "Success."),
    Item(
        "1",
        "Refused: a dependency is not merged, a criterion is unmet, or state already exists. The message names what is missing.",
    ),
    Item(
        "2",
        "Usage or bad input: an unknown agent or option, an invalid plan, not a repository, corrupt state.",
    ),
    Item(
        "3",
        "The state kept changing under the command after every retry, or a live process held its lock throughout; run it again.",
    ),
    Item("4", "git or gh failed."),
    Item(
        "130",
        "run or demo was interrupted (Ctrl-C); the agents' commands were stopped and the state left consistent, so running it again resumes.",
    ),
];

const SEE_ALSO: &[Block] = &[Para(
    "git(1), git-worktree(1), git-notes(1), git-config(1), gh(1)",
)];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::Cli;
    use clap::CommandFactory;

    #[test]
    fn every_visible_subcommand_has_a_page() {
        let names: Vec<String> = pages(Cli::command())
            .into_iter()
            .map(|p| p.file_name)
            .collect();
        for expected in [
            "git-agents.1",
            "git-agents-spawn.1",
            "git-agents-plan-export.1",
            "git-agents-task-done.1",
        ] {
            assert!(
                names.iter().any(|n| n == expected),
                "{expected} in {names:?}"
            );
        }
        assert!(names.iter().all(|n| !n.contains("__")), "{names:?}");
        assert!(names.iter().all(|n| !n.contains("help")), "{names:?}");
    }

    #[test]
    fn the_main_page_has_the_sections_a_git_command_documents() {
        let main = &pages(Cli::command())[0].text;
        for title in [
            ".SH NAME",
            ".SH SYNOPSIS",
            ".SH DESCRIPTION",
            ".SH OPTIONS",
            ".SH SUBCOMMANDS",
            ".SH \"STATE LAYOUT\"",
            ".SH CONFIGURATION",
            ".SH ENVIRONMENT",
            ".SH FILES",
            ".SH \"EXIT STATUS\"",
            ".SH \"SEE ALSO\"",
        ] {
            assert!(main.contains(title), "{title}");
        }
        assert_eq!(main.matches(".ds Aq").count(), 2, "one preamble");
        for key in git_agents::config::KEYS {
            assert!(main.contains(key.name), "{} is not documented", key.name);
        }
    }
}
