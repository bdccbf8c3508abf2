//! Shell completion scripts generated from the command definition: clap_complete's
//! scripts for the subcommands and options, plus what makes them feel native to git —
//! `_git_agents` for git's own bash completion, `_git-agents` for git's zsh completion,
//! fish's `git-agents` completions that fish's git completion hands over to — and agent
//! names completed from the state ref through the hidden `git agents __complete agents`.
//!
//! Any argument whose value name is `AGENT` completes agent names, in every shell,
//! without further code: a new subcommand only has to name its agent argument so.

use clap::{Arg, Command, ValueHint};
use clap_complete::Shell;

/// The value name that marks an argument whose value is an agent's name.
pub const AGENT_VALUE_NAME: &str = "AGENT";

/// The name completions register for, and that git runs for `git agents`.
const PROGRAM: &str = "git-agents";

/// The files `completions/` holds: (file name, shell).
pub const FILES: [(&str, Shell); 3] = [
    ("git-agents.bash", Shell::Bash),
    ("_git-agents", Shell::Zsh),
    ("git-agents.fish", Shell::Fish),
];

/// The completion script for `shell` of the command line `full` defines, exactly as
/// `completions/` ships it.
pub fn script(shell: Shell, full: &Command) -> String {
    let visible = visible_command(full);
    let nodes = nodes(&visible);
    match shell {
        Shell::Bash => bash(&visible, &nodes),
        Shell::Zsh => zsh(&visible),
        Shell::Fish => fish(&visible, &nodes),
        other => generated(other, &visible),
    }
}

/// The command definition without hidden subcommands (clap_complete lists every
/// subcommand, hidden or not, so the root is put together again from the visible ones),
/// built so that every subcommand's arguments are in place.
fn visible_command(full: &Command) -> Command {
    let mut root = Command::new(PROGRAM)
        .bin_name(PROGRAM)
        .subcommand_required(full.is_subcommand_required_set())
        .arg_required_else_help(full.is_arg_required_else_help_set())
        .propagate_version(full.is_propagate_version_set());
    if let Some(about) = full.get_about() {
        root = root.about(about.clone());
    }
    if full.get_version().is_some() {
        root = root.version(env!("CARGO_PKG_VERSION"));
    }
    for arg in full.get_arguments() {
        root = root.arg(arg.clone());
    }
    for group in full.get_groups() {
        root = root.group(group.clone());
    }
    for sub in full.get_subcommands().filter(|s| !s.is_hide_set()) {
        root = root.subcommand(sub.clone());
    }
    root.build();
    root
}

/// clap_complete's script for `shell`.
fn generated(shell: Shell, command: &Command) -> String {
    let mut command = command.clone();
    let mut buffer = Vec::new();
    clap_complete::generate(shell, &mut command, PROGRAM, &mut buffer);
    String::from_utf8_lossy(&buffer).into_owned()
}

/// Whether `arg` takes an agent's name.
fn is_agent(arg: &Arg) -> bool {
    arg.get_value_names()
        .is_some_and(|names| names.iter().any(|n| n.as_str() == AGENT_VALUE_NAME))
}

/// The command with every agent argument marked by a value hint no other argument
/// uses, so the zsh and fish generators leave a recognisable call where agent names go.
fn with_agent_hints(command: &Command) -> Command {
    mark_agents(command.clone())
}

fn mark_agents(mut command: Command) -> Command {
    let agent_ids: Vec<String> = command
        .get_arguments()
        .filter(|a| is_agent(a))
        .map(|a| a.get_id().to_string())
        .collect();
    for id in agent_ids {
        command = command.mut_arg(id, |a| a.value_hint(ValueHint::Username));
    }
    let names: Vec<String> = command
        .get_subcommands()
        .map(|s| s.get_name().to_owned())
        .collect();
    for name in names {
        command = command.mut_subcommand(name, mark_agents);
    }
    command
}

/// What completion needs to know about one command path.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Node {
    /// The subcommand words from the top (`""`, `"task done"`).
    path: String,
    /// Its visible subcommands.
    subcommands: Vec<String>,
    /// Its options that take a value (`-C`, `--color`, `--agent`).
    value_options: Vec<String>,
    /// Its options whose value is an agent.
    agent_options: Vec<String>,
    /// The positional slot (from 0) that takes an agent, and whether every later slot does too.
    agent_slot: Option<(usize, bool)>,
}

/// Every command path of `command`, top level first.
fn nodes(command: &Command) -> Vec<Node> {
    let mut command = command.clone();
    command.build();
    let mut nodes = Vec::new();
    collect(&command, "", &mut nodes);
    nodes
}

fn collect(command: &Command, path: &str, nodes: &mut Vec<Node>) {
    let mut value_options = Vec::new();
    let mut agent_options = Vec::new();
    for arg in command.get_opts() {
        let spellings: Vec<String> = arg
            .get_short_and_visible_aliases()
            .unwrap_or_default()
            .into_iter()
            .map(|c| format!("-{c}"))
            .chain(
                arg.get_long_and_visible_aliases()
                    .unwrap_or_default()
                    .into_iter()
                    .map(|l| format!("--{l}")),
            )
            .collect();
        if is_agent(arg) {
            agent_options.extend(spellings.iter().cloned());
        }
        value_options.extend(spellings);
    }
    let agent_slot = command
        .get_positionals()
        .enumerate()
        .find(|(_, arg)| is_agent(arg))
        .map(|(index, arg)| {
            let repeats = arg.get_num_args().is_some_and(|n| n.max_values() > 1);
            (index, repeats)
        });
    let subcommands: Vec<&Command> = command
        .get_subcommands()
        .filter(|s| !s.is_hide_set() && s.get_name() != "help")
        .collect();
    nodes.push(Node {
        path: path.to_owned(),
        subcommands: subcommands
            .iter()
            .map(|s| s.get_name().to_owned())
            .collect(),
        value_options,
        agent_options,
        agent_slot,
    });
    for sub in subcommands {
        let child = if path.is_empty() {
            sub.get_name().to_owned()
        } else {
            format!("{path} {}", sub.get_name())
        };
        collect(sub, &child, nodes);
    }
}

/// One `case` arm per node that has something to say, printing `words`.
fn case_arms(nodes: &[Node], words: impl Fn(&Node) -> Option<String>) -> String {
    let mut arms = String::new();
    for node in nodes {
        if let Some(words) = words(node).filter(|w| !w.is_empty()) {
            arms.push_str(&format!("\t\"{}\") echo \"{words}\" ;;\n", node.path));
        }
    }
    arms
}

fn bash(visible: &Command, nodes: &[Node]) -> String {
    let base = generated(Shell::Bash, visible);
    // clap_complete 4.6 spells a hyphenated program name one way in the variable its
    // case statement matches (`git__agents__subcmd__task`) and another in the labels
    // (`git__subcmd__agents__subcmd__task`), so no subcommand would ever match.
    let base = base.replace(
        &format!("{}__subcmd__", PROGRAM.replace('-', "__subcmd__")),
        &format!("{}__subcmd__", PROGRAM.replace('-', "__")),
    );
    let clap_function = format!("_{}", PROGRAM.replace('-', "__"));
    let registered = base.replace(
        &format!("complete -F {clap_function} "),
        "complete -F __git_agents_bash ",
    );
    let extra = BASH_GIT
        .replace("@CLAP_FUNCTION@", &clap_function)
        .replace(
            "@SUBCOMMANDS@",
            &case_arms(nodes, |n| Some(n.subcommands.join(" "))),
        )
        .replace(
            "@VALUE_OPTIONS@",
            &case_arms(nodes, |n| Some(n.value_options.join(" "))),
        )
        .replace(
            "@AGENT_OPTIONS@",
            &case_arms(nodes, |n| Some(n.agent_options.join(" "))),
        )
        .replace(
            "@AGENT_SLOTS@",
            &case_arms(nodes, |n| {
                n.agent_slot
                    .map(|(index, repeats)| format!("{index}{}", if repeats { "+" } else { "" }))
            }),
        );
    format!("{registered}{extra}")
}

/// The bash that hooks the generated completion into git's and completes agent names.
const BASH_GIT: &str = r#"
# git integration and agent names, generated from the same command definition.
# `git agents <TAB>`: git's completion calls _git_agents (bash-completion also loads
# this file by itself when it is installed as completions/git-agents).
# `git-agents <TAB>`: __git_agents_bash, registered above.

# The subcommands at a command path ("" is the top level).
__git_agents_subcommands ()
{
	case "$1" in
@SUBCOMMANDS@	esac
}

# The options that take a value at a command path.
__git_agents_value_options ()
{
	case "$1" in
@VALUE_OPTIONS@	esac
}

# The options whose value is an agent name at a command path.
__git_agents_agent_options ()
{
	case "$1" in
@AGENT_OPTIONS@	esac
}

# The positional slot (from 0) holding an agent name at a command path; "N+" means
# slot N and every one after it.
__git_agents_agent_slot ()
{
	case "$1" in
@AGENT_SLOTS@	esac
}

# Read the words up to the cursor ("$@": the program first, the word being completed
# last). Always sets __git_agents_c (the -C options seen) and __git_agents_option (the
# option whose value is being completed, if any); returns 0, with __git_agents_cur set
# to the text to complete, when the cursor is on an agent name.
__git_agents_on_agent ()
{
	local path="" word="" positionals=0 dashdash="" i
	local -a args=("$@")
	local last=$((${#args[@]} - 1))
	__git_agents_c=()
	__git_agents_option=""
	__git_agents_cur="${args[last]}"
	for ((i = 1; i < last; i++)); do
		word="${args[i]}"
		if [ -n "$__git_agents_option" ]; then
			[ "$__git_agents_option" = "-C" ] && __git_agents_c+=(-C "$word")
			__git_agents_option=""
		elif [ -n "$dashdash" ]; then
			positionals=$((positionals + 1))
		elif [ "$word" = "--" ]; then
			dashdash=1
		elif [[ $word == -* ]]; then
			case " $(__git_agents_value_options "$path") " in
			*" $word "*) __git_agents_option="$word" ;;
			esac
		elif [ "$positionals" -eq 0 ] &&
			[[ " $(__git_agents_subcommands "$path") " == *" $word "* ]]; then
			path="${path:+$path }$word"
		else
			positionals=$((positionals + 1))
		fi
	done
	[ -z "$dashdash" ] || return 1
	if [ -n "$__git_agents_option" ]; then
		[[ " $(__git_agents_agent_options "$path") " == *" $__git_agents_option "* ]]
		return
	fi
	case "$__git_agents_cur" in
	--*=*)
		[[ " $(__git_agents_agent_options "$path") " == *" ${__git_agents_cur%%=*} "* ]] || return 1
		__git_agents_cur="${__git_agents_cur#*=}"
		return 0
		;;
	-*)
		return 1
		;;
	esac
	local slot
	slot="$(__git_agents_agent_slot "$path")"
	case "$slot" in
	"") return 1 ;;
	*+) [ "$positionals" -ge "${slot%+}" ] ;;
	*) [ "$positionals" -eq "$slot" ] ;;
	esac
}

# The agent names in the state ref of the repository the command would run in
# ("$@": -C options).
__git_agents_names ()
{
	git "$@" agents __complete agents 2>/dev/null
}

# `git-agents <TAB>`.
__git_agents_bash ()
{
	local cur words cword
	if declare -F _get_comp_words_by_ref >/dev/null; then
		_get_comp_words_by_ref -n =: cur words cword
	else
		words=("${COMP_WORDS[@]}")
		cword=$COMP_CWORD
	fi
	local -a __git_agents_c
	local __git_agents_cur __git_agents_option
	if __git_agents_on_agent "${words[@]:0:cword+1}"; then
		COMPREPLY=($(compgen -W "$(__git_agents_names "${__git_agents_c[@]}")" -- "$__git_agents_cur"))
		return 0
	fi
	@CLAP_FUNCTION@ "$@"
	__git_agents_options_on_dash "$cur"
}

# Like git, offer options only once a dash is typed.
__git_agents_options_on_dash ()
{
	[[ $1 == -* ]] && return
	local i
	for i in "${!COMPREPLY[@]}"; do
		[[ ${COMPREPLY[i]} == -* ]] && unset 'COMPREPLY[i]'
	done
	COMPREPLY=("${COMPREPLY[@]}")
}

# `git agents <TAB>`: called by git's completion with its words, cword and cur, and
# __git_cmd_idx pointing at "agents".
_git_agents ()
{
	local idx=${__git_cmd_idx:-1} i
	local -a args=(git-agents "${words[@]:idx+1:cword-idx}")
	local -a __git_agents_c
	local __git_agents_cur __git_agents_option
	if __git_agents_on_agent "${args[@]}"; then
		__gitcomp_nl "$(__git_agents_names "${__git_C_args[@]}" "${__git_agents_c[@]}")" "" "$__git_agents_cur"
		return
	fi
	local COMP_WORDS=("${args[@]}") COMP_CWORD=$((${#args[@]} - 1))
	@CLAP_FUNCTION@ git-agents "${args[COMP_CWORD]}" "${args[COMP_CWORD-1]}"
	__git_agents_options_on_dash "${args[COMP_CWORD]}"
	# git completes with -o nospace: finished words get their space here, directories a slash.
	for i in "${!COMPREPLY[@]}"; do
		if [ -n "$__git_agents_option" ] && [ -d "${COMPREPLY[i]}" ]; then
			COMPREPLY[i]="${COMPREPLY[i]%/}/"
		else
			COMPREPLY[i]="${COMPREPLY[i]} "
		fi
	done
}
"#;

fn zsh(visible: &Command) -> String {
    let base = generated(Shell::Zsh, &with_agent_hints(visible));
    let base = base.replace(":_users'", ":__git_agents_names'");
    let tail = "if [ \"$funcstack[1]\" = \"_git-agents\" ]; then";
    match base.find(tail) {
        Some(at) => format!("{}{ZSH_NAMES}\n{}", &base[..at], &base[at..]),
        None => format!("{base}\n{ZSH_NAMES}"),
    }
}

/// The zsh function that offers agent names.
const ZSH_NAMES: &str = r#"(( $+functions[__git_agents_names] )) ||
__git_agents_names() {
    local -a names
    names=(${(f)"$(_call_program agent-names git agents __complete agents 2>/dev/null)"})
    _wanted agent-names expl 'agent' compadd -a names
}
"#;

fn fish(visible: &Command, nodes: &[Node]) -> String {
    let base = generated(Shell::Fish, &with_agent_hints(visible));
    let mut script = base.replace("(__fish_complete_users)", "(__fish_git_agents_names)");
    script.push_str(FISH_NAMES);
    for node in nodes.iter().filter(|n| n.agent_slot.is_some()) {
        let mut words = node.path.split(' ');
        let first = words.next().unwrap_or_default();
        let mut condition = format!("__fish_git_agents_using_subcommand {first}");
        for word in words {
            condition.push_str(&format!("; and __fish_seen_subcommand_from {word}"));
        }
        script.push_str(&format!(
            "complete -c {PROGRAM} -n \"{condition}\" -f -a \"(__fish_git_agents_names)\" -d 'Agent'\n"
        ));
    }
    script
}

/// The fish function that lists agent names.
const FISH_NAMES: &str = r#"
function __fish_git_agents_names --description 'Agent names from the state ref'
    git agents __complete agents 2>/dev/null
end

"#;

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;
    use crate::commands::Cli;

    fn visible() -> Command {
        visible_command(&Cli::command())
    }

    fn script(shell: Shell) -> String {
        super::script(shell, &Cli::command())
    }

    fn node<'a>(nodes: &'a [Node], path: &str) -> &'a Node {
        nodes.iter().find(|n| n.path == path).expect(path)
    }

    #[test]
    fn agent_arguments_are_found_wherever_they_are() {
        let nodes = nodes(&visible());
        assert_eq!(node(&nodes, "spawn").agent_slot, Some((0, true)));
        assert_eq!(node(&nodes, "status").agent_slot, Some((0, false)));
        assert_eq!(node(&nodes, "task done").agent_options, ["--agent"]);
        assert_eq!(node(&nodes, "task done").agent_slot, None);
        assert!(node(&nodes, "").value_options.contains(&"-C".to_owned()));
        assert!(
            node(&nodes, "init")
                .value_options
                .contains(&"--plan".to_owned())
        );
        assert!(node(&nodes, "").subcommands.contains(&"spawn".to_owned()));
        assert!(nodes.iter().all(|n| !n.path.starts_with("__")));
        assert!(
            nodes
                .iter()
                .all(|n| n.subcommands.iter().all(|s| !s.starts_with("__")))
        );
    }

    #[test]
    fn hidden_subcommands_stay_out_of_every_script() {
        for (_, shell) in FILES {
            let text = script(shell);
            assert!(!text.contains("__generate"), "{shell}");
            assert!(!text.contains("__complete\""), "{shell}");
            assert!(!text.contains("Complete dynamic values"), "{shell}");
        }
    }

    #[test]
    fn agent_names_replace_the_marker_hint_everywhere() {
        let zsh = script(Shell::Zsh);
        assert!(!zsh.contains("_users"));
        assert!(zsh.contains(":AGENT:__git_agents_names'"));
        let fish = script(Shell::Fish);
        assert!(!fish.contains("__fish_complete_users"));
        assert!(fish.contains("-l agent -d"));
        let bash = script(Shell::Bash);
        assert!(bash.contains("complete -F __git_agents_bash "));
        assert!(!bash.contains("complete -F _git__agents "));
    }
}
