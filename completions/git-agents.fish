# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_git_agents_global_optspecs
    string join \n C= json q/quiet v/verbose color= h/help V/version
end

function __fish_git_agents_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_git_agents_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_git_agents_using_subcommand
    set -l cmd (__fish_git_agents_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c git-agents -n "__fish_git_agents_needs_command" -s C -d 'Run as if started in DIR (like git -C; may be repeated)' -r -F
complete -c git-agents -n "__fish_git_agents_needs_command" -l color -d 'When to use colour' -r -f -a "auto\t'On a terminal, unless NO_COLOR is set (CLICOLOR_FORCE forces it)'
always\t'Always'
never\t'Never'"
complete -c git-agents -n "__fish_git_agents_needs_command" -l json -d 'Print machine-readable JSON instead of text'
complete -c git-agents -n "__fish_git_agents_needs_command" -s q -l quiet -d 'Print only errors and what was asked for'
complete -c git-agents -n "__fish_git_agents_needs_command" -s v -l verbose -d 'Say more about what is being done'
complete -c git-agents -n "__fish_git_agents_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c git-agents -n "__fish_git_agents_needs_command" -s V -l version -d 'Print version'
complete -c git-agents -n "__fish_git_agents_needs_command" -f -a "init" -d 'Import a plan and create the fleet\'s state in this repository'
complete -c git-agents -n "__fish_git_agents_needs_command" -f -a "plan" -d 'Show or export the plan'
complete -c git-agents -n "__fish_git_agents_needs_command" -f -a "add" -d 'Add an agent to the plan'
complete -c git-agents -n "__fish_git_agents_needs_command" -f -a "remove" -d 'Remove an agent from the plan'
complete -c git-agents -n "__fish_git_agents_needs_command" -f -a "edit" -d 'Change an agent\'s dependencies, branch, title or command'
complete -c git-agents -n "__fish_git_agents_needs_command" -f -a "spawn" -d 'Create agents\' branches and worktrees and mark them in progress'
complete -c git-agents -n "__fish_git_agents_needs_command" -f -a "status" -d 'Show the dashboard: progress, current task, tests, review, PR, blockers'
complete -c git-agents -n "__fish_git_agents_needs_command" -f -a "task" -d 'Report task progress from an agent\'s worktree'
complete -c git-agents -n "__fish_git_agents_needs_command" -f -a "update" -d 'Change an agent\'s status or leave a note'
complete -c git-agents -n "__fish_git_agents_needs_command" -f -a "comment" -d 'Leave a remark for an agent, shown in its brief'
complete -c git-agents -n "__fish_git_agents_needs_command" -f -a "diff" -d 'Show an agent\'s change against base'
complete -c git-agents -n "__fish_git_agents_needs_command" -f -a "attach" -d 'Join a running agent\'s terminal'
complete -c git-agents -n "__fish_git_agents_needs_command" -f -a "send" -d 'Type a line to a running agent\'s terminal'
complete -c git-agents -n "__fish_git_agents_needs_command" -f -a "log" -d 'Show the audit trail of state changes'
complete -c git-agents -n "__fish_git_agents_needs_command" -f -a "run" -d 'Spawn ready agents, run their commands and bring finished work home'
complete -c git-agents -n "__fish_git_agents_needs_command" -f -a "demo" -d 'Show the whole product on a throwaway repository: eight scripted agents to merged'
complete -c git-agents -n "__fish_git_agents_needs_command" -f -a "completions" -d 'Print a shell completion script'
complete -c git-agents -n "__fish_git_agents_needs_command" -f -a "brief" -d 'Print an agent\'s brief as Markdown: tasks, dependencies, merge criteria'
complete -c git-agents -n "__fish_git_agents_needs_command" -f -a "conflicts" -d 'Predict merge conflicts between active branches and against base'
complete -c git-agents -n "__fish_git_agents_needs_command" -f -a "install-man" -d 'Install the manual pages where man finds them, so git help agents works'
complete -c git-agents -n "__fish_git_agents_needs_command" -f -a "doctor" -d 'Find and repair drift between state, branches and worktrees'
complete -c git-agents -n "__fish_git_agents_needs_command" -f -a "test" -d 'Run the tests in an agent\'s worktree and record the result on its commit'
complete -c git-agents -n "__fish_git_agents_needs_command" -f -a "review" -d 'Review an agent\'s work until the score reaches the threshold'
complete -c git-agents -n "__fish_git_agents_needs_command" -f -a "approve" -d 'Approve an agent\'s head commit (local forge)'
complete -c git-agents -n "__fish_git_agents_needs_command" -f -a "pr" -d 'Open or adopt the pull request for an agent\'s branch'
complete -c git-agents -n "__fish_git_agents_needs_command" -f -a "merge" -d 'Check an agent\'s merge criteria and merge when they all hold'
complete -c git-agents -n "__fish_git_agents_needs_command" -f -a "queue" -d 'Show the merge order with each entry\'s criteria, or merge what is ready'
complete -c git-agents -n "__fish_git_agents_needs_command" -f -a "finish" -d 'Remove a merged agent\'s worktree and branch and mark it completed'
complete -c git-agents -n "__fish_git_agents_needs_command" -f -a "sync" -d 'Share the state through a git remote: fetch, merge, push with a lease'
complete -c git-agents -n "__fish_git_agents_needs_command" -f -a "trust" -d 'Show or accept commands and paths that came with a sync or a clone'
complete -c git-agents -n "__fish_git_agents_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c git-agents -n "__fish_git_agents_using_subcommand init" -s C -d 'Run as if started in DIR (like git -C; may be repeated)' -r -F
complete -c git-agents -n "__fish_git_agents_using_subcommand init" -l color -d 'When to use colour' -r -f -a "auto\t'On a terminal, unless NO_COLOR is set (CLICOLOR_FORCE forces it)'
always\t'Always'
never\t'Never'"
complete -c git-agents -n "__fish_git_agents_using_subcommand init" -l plan -d 'The plan to import (.md as people write it, .toml, or .json); an empty plan when omitted' -r -F
complete -c git-agents -n "__fish_git_agents_using_subcommand init" -l base -d 'The branch agents start from and merge into [default: git config agents.base, the plan\'s, or the current branch]' -r
complete -c git-agents -n "__fish_git_agents_using_subcommand init" -l worktrees-dir -d 'Where agent worktrees go, relative to the main worktree [default: git config agents.worktreesDir, the plan\'s, or worktrees]' -r
complete -c git-agents -n "__fish_git_agents_using_subcommand init" -l json -d 'Print machine-readable JSON instead of text'
complete -c git-agents -n "__fish_git_agents_using_subcommand init" -s q -l quiet -d 'Print only errors and what was asked for'
complete -c git-agents -n "__fish_git_agents_using_subcommand init" -s v -l verbose -d 'Say more about what is being done'
complete -c git-agents -n "__fish_git_agents_using_subcommand init" -l example -d 'Write the example plan (8 agents) to parallel-plan.md and import it'
complete -c git-agents -n "__fish_git_agents_using_subcommand init" -l force -d 'Replace existing state (its history stays in the ref)'
complete -c git-agents -n "__fish_git_agents_using_subcommand init" -l dry-run -d 'Show what the plan imports as (agents, dependencies, warnings) and change nothing'
complete -c git-agents -n "__fish_git_agents_using_subcommand init" -l strict -d 'Refuse the plan when its import gives any warning'
complete -c git-agents -n "__fish_git_agents_using_subcommand init" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c git-agents -n "__fish_git_agents_using_subcommand init" -s V -l version -d 'Print version'
complete -c git-agents -n "__fish_git_agents_using_subcommand plan; and not __fish_seen_subcommand_from show export edit check example timeline help" -s C -d 'Run as if started in DIR (like git -C; may be repeated)' -r -F
complete -c git-agents -n "__fish_git_agents_using_subcommand plan; and not __fish_seen_subcommand_from show export edit check example timeline help" -l color -d 'When to use colour' -r -f -a "auto\t'On a terminal, unless NO_COLOR is set (CLICOLOR_FORCE forces it)'
always\t'Always'
never\t'Never'"
complete -c git-agents -n "__fish_git_agents_using_subcommand plan; and not __fish_seen_subcommand_from show export edit check example timeline help" -l parallel -d 'With --timeline: how many agents work at once [default: one per agent]' -r
complete -c git-agents -n "__fish_git_agents_using_subcommand plan; and not __fish_seen_subcommand_from show export edit check example timeline help" -l json -d 'Print machine-readable JSON instead of text'
complete -c git-agents -n "__fish_git_agents_using_subcommand plan; and not __fish_seen_subcommand_from show export edit check example timeline help" -s q -l quiet -d 'Print only errors and what was asked for'
complete -c git-agents -n "__fish_git_agents_using_subcommand plan; and not __fish_seen_subcommand_from show export edit check example timeline help" -s v -l verbose -d 'Say more about what is being done'
complete -c git-agents -n "__fish_git_agents_using_subcommand plan; and not __fish_seen_subcommand_from show export edit check example timeline help" -l timeline -d 'Print the phases, the critical path and a schedule chart (like `plan timeline`)'
complete -c git-agents -n "__fish_git_agents_using_subcommand plan; and not __fish_seen_subcommand_from show export edit check example timeline help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c git-agents -n "__fish_git_agents_using_subcommand plan; and not __fish_seen_subcommand_from show export edit check example timeline help" -s V -l version -d 'Print version'
complete -c git-agents -n "__fish_git_agents_using_subcommand plan; and not __fish_seen_subcommand_from show export edit check example timeline help" -f -a "show" -d 'Print the agents, their branches, tasks and dependencies'
complete -c git-agents -n "__fish_git_agents_using_subcommand plan; and not __fish_seen_subcommand_from show export edit check example timeline help" -f -a "export" -d 'Write the plan as Markdown, TOML or JSON (importable again with init --plan)'
complete -c git-agents -n "__fish_git_agents_using_subcommand plan; and not __fish_seen_subcommand_from show export edit check example timeline help" -f -a "edit" -d 'Open the plan in your editor (as TOML) and apply it when you save and quit'
complete -c git-agents -n "__fish_git_agents_using_subcommand plan; and not __fish_seen_subcommand_from show export edit check example timeline help" -f -a "check" -d 'Show what a plan file imports as: agents, tasks, hours, dependencies and warnings'
complete -c git-agents -n "__fish_git_agents_using_subcommand plan; and not __fish_seen_subcommand_from show export edit check example timeline help" -f -a "example" -d 'Print the example plan (8 agents, 38 tasks), to start a plan of your own from'
complete -c git-agents -n "__fish_git_agents_using_subcommand plan; and not __fish_seen_subcommand_from show export edit check example timeline help" -f -a "timeline" -d 'Print the phases, the critical path and a schedule chart with N agents at once'
complete -c git-agents -n "__fish_git_agents_using_subcommand plan; and not __fish_seen_subcommand_from show export edit check example timeline help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c git-agents -n "__fish_git_agents_using_subcommand plan; and __fish_seen_subcommand_from show" -s C -d 'Run as if started in DIR (like git -C; may be repeated)' -r -F
complete -c git-agents -n "__fish_git_agents_using_subcommand plan; and __fish_seen_subcommand_from show" -l color -d 'When to use colour' -r -f -a "auto\t'On a terminal, unless NO_COLOR is set (CLICOLOR_FORCE forces it)'
always\t'Always'
never\t'Never'"
complete -c git-agents -n "__fish_git_agents_using_subcommand plan; and __fish_seen_subcommand_from show" -l json -d 'Print machine-readable JSON instead of text'
complete -c git-agents -n "__fish_git_agents_using_subcommand plan; and __fish_seen_subcommand_from show" -s q -l quiet -d 'Print only errors and what was asked for'
complete -c git-agents -n "__fish_git_agents_using_subcommand plan; and __fish_seen_subcommand_from show" -s v -l verbose -d 'Say more about what is being done'
complete -c git-agents -n "__fish_git_agents_using_subcommand plan; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c git-agents -n "__fish_git_agents_using_subcommand plan; and __fish_seen_subcommand_from show" -s V -l version -d 'Print version'
complete -c git-agents -n "__fish_git_agents_using_subcommand plan; and __fish_seen_subcommand_from export" -l format -d 'The format to write' -r -f -a "md\t'Markdown in the shape people write plans in'
toml\t'TOML'
json\t'JSON, as `plan show --json` prints it'"
complete -c git-agents -n "__fish_git_agents_using_subcommand plan; and __fish_seen_subcommand_from export" -s C -d 'Run as if started in DIR (like git -C; may be repeated)' -r -F
complete -c git-agents -n "__fish_git_agents_using_subcommand plan; and __fish_seen_subcommand_from export" -l color -d 'When to use colour' -r -f -a "auto\t'On a terminal, unless NO_COLOR is set (CLICOLOR_FORCE forces it)'
always\t'Always'
never\t'Never'"
complete -c git-agents -n "__fish_git_agents_using_subcommand plan; and __fish_seen_subcommand_from export" -l json -d 'Print machine-readable JSON instead of text'
complete -c git-agents -n "__fish_git_agents_using_subcommand plan; and __fish_seen_subcommand_from export" -s q -l quiet -d 'Print only errors and what was asked for'
complete -c git-agents -n "__fish_git_agents_using_subcommand plan; and __fish_seen_subcommand_from export" -s v -l verbose -d 'Say more about what is being done'
complete -c git-agents -n "__fish_git_agents_using_subcommand plan; and __fish_seen_subcommand_from export" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c git-agents -n "__fish_git_agents_using_subcommand plan; and __fish_seen_subcommand_from export" -s V -l version -d 'Print version'
complete -c git-agents -n "__fish_git_agents_using_subcommand plan; and __fish_seen_subcommand_from edit" -s C -d 'Run as if started in DIR (like git -C; may be repeated)' -r -F
complete -c git-agents -n "__fish_git_agents_using_subcommand plan; and __fish_seen_subcommand_from edit" -l color -d 'When to use colour' -r -f -a "auto\t'On a terminal, unless NO_COLOR is set (CLICOLOR_FORCE forces it)'
always\t'Always'
never\t'Never'"
complete -c git-agents -n "__fish_git_agents_using_subcommand plan; and __fish_seen_subcommand_from edit" -l json -d 'Print machine-readable JSON instead of text'
complete -c git-agents -n "__fish_git_agents_using_subcommand plan; and __fish_seen_subcommand_from edit" -s q -l quiet -d 'Print only errors and what was asked for'
complete -c git-agents -n "__fish_git_agents_using_subcommand plan; and __fish_seen_subcommand_from edit" -s v -l verbose -d 'Say more about what is being done'
complete -c git-agents -n "__fish_git_agents_using_subcommand plan; and __fish_seen_subcommand_from edit" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c git-agents -n "__fish_git_agents_using_subcommand plan; and __fish_seen_subcommand_from edit" -s V -l version -d 'Print version'
complete -c git-agents -n "__fish_git_agents_using_subcommand plan; and __fish_seen_subcommand_from check" -l worktrees-dir -d 'Read worktree paths against this directory [default: git config agents.worktreesDir, or worktrees]' -r
complete -c git-agents -n "__fish_git_agents_using_subcommand plan; and __fish_seen_subcommand_from check" -s C -d 'Run as if started in DIR (like git -C; may be repeated)' -r -F
complete -c git-agents -n "__fish_git_agents_using_subcommand plan; and __fish_seen_subcommand_from check" -l color -d 'When to use colour' -r -f -a "auto\t'On a terminal, unless NO_COLOR is set (CLICOLOR_FORCE forces it)'
always\t'Always'
never\t'Never'"
complete -c git-agents -n "__fish_git_agents_using_subcommand plan; and __fish_seen_subcommand_from check" -l strict -d 'Refuse the plan when the import gives any warning (exit 2)'
complete -c git-agents -n "__fish_git_agents_using_subcommand plan; and __fish_seen_subcommand_from check" -l json -d 'Print machine-readable JSON instead of text'
complete -c git-agents -n "__fish_git_agents_using_subcommand plan; and __fish_seen_subcommand_from check" -s q -l quiet -d 'Print only errors and what was asked for'
complete -c git-agents -n "__fish_git_agents_using_subcommand plan; and __fish_seen_subcommand_from check" -s v -l verbose -d 'Say more about what is being done'
complete -c git-agents -n "__fish_git_agents_using_subcommand plan; and __fish_seen_subcommand_from check" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c git-agents -n "__fish_git_agents_using_subcommand plan; and __fish_seen_subcommand_from check" -s V -l version -d 'Print version'
complete -c git-agents -n "__fish_git_agents_using_subcommand plan; and __fish_seen_subcommand_from example" -s C -d 'Run as if started in DIR (like git -C; may be repeated)' -r -F
complete -c git-agents -n "__fish_git_agents_using_subcommand plan; and __fish_seen_subcommand_from example" -l color -d 'When to use colour' -r -f -a "auto\t'On a terminal, unless NO_COLOR is set (CLICOLOR_FORCE forces it)'
always\t'Always'
never\t'Never'"
complete -c git-agents -n "__fish_git_agents_using_subcommand plan; and __fish_seen_subcommand_from example" -l json -d 'Print machine-readable JSON instead of text'
complete -c git-agents -n "__fish_git_agents_using_subcommand plan; and __fish_seen_subcommand_from example" -s q -l quiet -d 'Print only errors and what was asked for'
complete -c git-agents -n "__fish_git_agents_using_subcommand plan; and __fish_seen_subcommand_from example" -s v -l verbose -d 'Say more about what is being done'
complete -c git-agents -n "__fish_git_agents_using_subcommand plan; and __fish_seen_subcommand_from example" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c git-agents -n "__fish_git_agents_using_subcommand plan; and __fish_seen_subcommand_from example" -s V -l version -d 'Print version'
complete -c git-agents -n "__fish_git_agents_using_subcommand plan; and __fish_seen_subcommand_from timeline" -l parallel -d 'How many agents work at once [default: one per agent]' -r
complete -c git-agents -n "__fish_git_agents_using_subcommand plan; and __fish_seen_subcommand_from timeline" -s C -d 'Run as if started in DIR (like git -C; may be repeated)' -r -F
complete -c git-agents -n "__fish_git_agents_using_subcommand plan; and __fish_seen_subcommand_from timeline" -l color -d 'When to use colour' -r -f -a "auto\t'On a terminal, unless NO_COLOR is set (CLICOLOR_FORCE forces it)'
always\t'Always'
never\t'Never'"
complete -c git-agents -n "__fish_git_agents_using_subcommand plan; and __fish_seen_subcommand_from timeline" -l json -d 'Print machine-readable JSON instead of text'
complete -c git-agents -n "__fish_git_agents_using_subcommand plan; and __fish_seen_subcommand_from timeline" -s q -l quiet -d 'Print only errors and what was asked for'
complete -c git-agents -n "__fish_git_agents_using_subcommand plan; and __fish_seen_subcommand_from timeline" -s v -l verbose -d 'Say more about what is being done'
complete -c git-agents -n "__fish_git_agents_using_subcommand plan; and __fish_seen_subcommand_from timeline" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c git-agents -n "__fish_git_agents_using_subcommand plan; and __fish_seen_subcommand_from timeline" -s V -l version -d 'Print version'
complete -c git-agents -n "__fish_git_agents_using_subcommand plan; and __fish_seen_subcommand_from help" -f -a "show" -d 'Print the agents, their branches, tasks and dependencies'
complete -c git-agents -n "__fish_git_agents_using_subcommand plan; and __fish_seen_subcommand_from help" -f -a "export" -d 'Write the plan as Markdown, TOML or JSON (importable again with init --plan)'
complete -c git-agents -n "__fish_git_agents_using_subcommand plan; and __fish_seen_subcommand_from help" -f -a "edit" -d 'Open the plan in your editor (as TOML) and apply it when you save and quit'
complete -c git-agents -n "__fish_git_agents_using_subcommand plan; and __fish_seen_subcommand_from help" -f -a "check" -d 'Show what a plan file imports as: agents, tasks, hours, dependencies and warnings'
complete -c git-agents -n "__fish_git_agents_using_subcommand plan; and __fish_seen_subcommand_from help" -f -a "example" -d 'Print the example plan (8 agents, 38 tasks), to start a plan of your own from'
complete -c git-agents -n "__fish_git_agents_using_subcommand plan; and __fish_seen_subcommand_from help" -f -a "timeline" -d 'Print the phases, the critical path and a schedule chart with N agents at once'
complete -c git-agents -n "__fish_git_agents_using_subcommand plan; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c git-agents -n "__fish_git_agents_using_subcommand add" -s C -d 'Run as if started in DIR (like git -C; may be repeated)' -r -F
complete -c git-agents -n "__fish_git_agents_using_subcommand add" -l color -d 'When to use colour' -r -f -a "auto\t'On a terminal, unless NO_COLOR is set (CLICOLOR_FORCE forces it)'
always\t'Always'
never\t'Never'"
complete -c git-agents -n "__fish_git_agents_using_subcommand add" -l title -d 'What the agent is for' -r
complete -c git-agents -n "__fish_git_agents_using_subcommand add" -l branch -d 'Its branch [default: agents/NAME]' -r
complete -c git-agents -n "__fish_git_agents_using_subcommand add" -l worktree -d 'Its worktree, relative to the main worktree [default: WORKTREES-DIR/NAME]' -r
complete -c git-agents -n "__fish_git_agents_using_subcommand add" -l depends-on -d 'Agents whose work must merge first (comma-separated or repeated)' -r
complete -c git-agents -n "__fish_git_agents_using_subcommand add" -l task -d 'A task with its estimate, e.g. "Create service layer (16h)" (repeatable)' -r
complete -c git-agents -n "__fish_git_agents_using_subcommand add" -l command -d 'The command `run` launches in its worktree' -r
complete -c git-agents -n "__fish_git_agents_using_subcommand add" -l json -d 'Print machine-readable JSON instead of text'
complete -c git-agents -n "__fish_git_agents_using_subcommand add" -s q -l quiet -d 'Print only errors and what was asked for'
complete -c git-agents -n "__fish_git_agents_using_subcommand add" -s v -l verbose -d 'Say more about what is being done'
complete -c git-agents -n "__fish_git_agents_using_subcommand add" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c git-agents -n "__fish_git_agents_using_subcommand add" -s V -l version -d 'Print version'
complete -c git-agents -n "__fish_git_agents_using_subcommand remove" -s C -d 'Run as if started in DIR (like git -C; may be repeated)' -r -F
complete -c git-agents -n "__fish_git_agents_using_subcommand remove" -l color -d 'When to use colour' -r -f -a "auto\t'On a terminal, unless NO_COLOR is set (CLICOLOR_FORCE forces it)'
always\t'Always'
never\t'Never'"
complete -c git-agents -n "__fish_git_agents_using_subcommand remove" -l json -d 'Print machine-readable JSON instead of text'
complete -c git-agents -n "__fish_git_agents_using_subcommand remove" -s q -l quiet -d 'Print only errors and what was asked for'
complete -c git-agents -n "__fish_git_agents_using_subcommand remove" -s v -l verbose -d 'Say more about what is being done'
complete -c git-agents -n "__fish_git_agents_using_subcommand remove" -l force -d 'Remove it even though it has work under way'
complete -c git-agents -n "__fish_git_agents_using_subcommand remove" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c git-agents -n "__fish_git_agents_using_subcommand remove" -s V -l version -d 'Print version'
complete -c git-agents -n "__fish_git_agents_using_subcommand edit" -s C -d 'Run as if started in DIR (like git -C; may be repeated)' -r -F
complete -c git-agents -n "__fish_git_agents_using_subcommand edit" -l color -d 'When to use colour' -r -f -a "auto\t'On a terminal, unless NO_COLOR is set (CLICOLOR_FORCE forces it)'
always\t'Always'
never\t'Never'"
complete -c git-agents -n "__fish_git_agents_using_subcommand edit" -l depends-on -d 'The agents whose work must merge first, replacing the old list (comma-separated or repeated)' -r
complete -c git-agents -n "__fish_git_agents_using_subcommand edit" -l title -d 'A new title' -r
complete -c git-agents -n "__fish_git_agents_using_subcommand edit" -l branch -d 'A new branch (only while the agent is planned)' -r
complete -c git-agents -n "__fish_git_agents_using_subcommand edit" -l command -d 'A new command for run to launch in its worktree' -r
complete -c git-agents -n "__fish_git_agents_using_subcommand edit" -l json -d 'Print machine-readable JSON instead of text'
complete -c git-agents -n "__fish_git_agents_using_subcommand edit" -s q -l quiet -d 'Print only errors and what was asked for'
complete -c git-agents -n "__fish_git_agents_using_subcommand edit" -s v -l verbose -d 'Say more about what is being done'
complete -c git-agents -n "__fish_git_agents_using_subcommand edit" -l no-dependencies -d 'Wait for no other agent'
complete -c git-agents -n "__fish_git_agents_using_subcommand edit" -l no-command -d 'Launch the run\'s --exec command for it instead of a command of its own'
complete -c git-agents -n "__fish_git_agents_using_subcommand edit" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c git-agents -n "__fish_git_agents_using_subcommand edit" -s V -l version -d 'Print version'
complete -c git-agents -n "__fish_git_agents_using_subcommand spawn" -s C -d 'Run as if started in DIR (like git -C; may be repeated)' -r -F
complete -c git-agents -n "__fish_git_agents_using_subcommand spawn" -l color -d 'When to use colour' -r -f -a "auto\t'On a terminal, unless NO_COLOR is set (CLICOLOR_FORCE forces it)'
always\t'Always'
never\t'Never'"
complete -c git-agents -n "__fish_git_agents_using_subcommand spawn" -l json -d 'Print machine-readable JSON instead of text'
complete -c git-agents -n "__fish_git_agents_using_subcommand spawn" -s q -l quiet -d 'Print only errors and what was asked for'
complete -c git-agents -n "__fish_git_agents_using_subcommand spawn" -s v -l verbose -d 'Say more about what is being done'
complete -c git-agents -n "__fish_git_agents_using_subcommand spawn" -l ready -d 'Spawn every planned agent whose dependencies are merged'
complete -c git-agents -n "__fish_git_agents_using_subcommand spawn" -l force -d 'Spawn even though dependencies are not merged yet'
complete -c git-agents -n "__fish_git_agents_using_subcommand spawn" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c git-agents -n "__fish_git_agents_using_subcommand spawn" -s V -l version -d 'Print version'
complete -c git-agents -n "__fish_git_agents_using_subcommand status" -s C -d 'Run as if started in DIR (like git -C; may be repeated)' -r -F
complete -c git-agents -n "__fish_git_agents_using_subcommand status" -l color -d 'When to use colour' -r -f -a "auto\t'On a terminal, unless NO_COLOR is set (CLICOLOR_FORCE forces it)'
always\t'Always'
never\t'Never'"
complete -c git-agents -n "__fish_git_agents_using_subcommand status" -l json -d 'Print machine-readable JSON instead of text'
complete -c git-agents -n "__fish_git_agents_using_subcommand status" -s q -l quiet -d 'Print only errors and what was asked for'
complete -c git-agents -n "__fish_git_agents_using_subcommand status" -s v -l verbose -d 'Say more about what is being done'
complete -c git-agents -n "__fish_git_agents_using_subcommand status" -l conflicts -d 'Predict merge conflicts first (as `git agents conflicts` does) and mark agents at risk'
complete -c git-agents -n "__fish_git_agents_using_subcommand status" -l watch -d 'Redraw whenever the state or a branch changes, until Ctrl-C'
complete -c git-agents -n "__fish_git_agents_using_subcommand status" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c git-agents -n "__fish_git_agents_using_subcommand status" -s V -l version -d 'Print version'
complete -c git-agents -n "__fish_git_agents_using_subcommand task; and not __fish_seen_subcommand_from start done undo help" -s C -d 'Run as if started in DIR (like git -C; may be repeated)' -r -F
complete -c git-agents -n "__fish_git_agents_using_subcommand task; and not __fish_seen_subcommand_from start done undo help" -l color -d 'When to use colour' -r -f -a "auto\t'On a terminal, unless NO_COLOR is set (CLICOLOR_FORCE forces it)'
always\t'Always'
never\t'Never'"
complete -c git-agents -n "__fish_git_agents_using_subcommand task; and not __fish_seen_subcommand_from start done undo help" -l json -d 'Print machine-readable JSON instead of text'
complete -c git-agents -n "__fish_git_agents_using_subcommand task; and not __fish_seen_subcommand_from start done undo help" -s q -l quiet -d 'Print only errors and what was asked for'
complete -c git-agents -n "__fish_git_agents_using_subcommand task; and not __fish_seen_subcommand_from start done undo help" -s v -l verbose -d 'Say more about what is being done'
complete -c git-agents -n "__fish_git_agents_using_subcommand task; and not __fish_seen_subcommand_from start done undo help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c git-agents -n "__fish_git_agents_using_subcommand task; and not __fish_seen_subcommand_from start done undo help" -s V -l version -d 'Print version'
complete -c git-agents -n "__fish_git_agents_using_subcommand task; and not __fish_seen_subcommand_from start done undo help" -f -a "start" -d 'Mark task N as the one being worked on'
complete -c git-agents -n "__fish_git_agents_using_subcommand task; and not __fish_seen_subcommand_from start done undo help" -f -a "done" -d 'Mark task N done'
complete -c git-agents -n "__fish_git_agents_using_subcommand task; and not __fish_seen_subcommand_from start done undo help" -f -a "undo" -d 'Mark task N not done again'
complete -c git-agents -n "__fish_git_agents_using_subcommand task; and not __fish_seen_subcommand_from start done undo help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c git-agents -n "__fish_git_agents_using_subcommand task; and __fish_seen_subcommand_from start" -s C -d 'Run as if started in DIR (like git -C; may be repeated)' -r -F
complete -c git-agents -n "__fish_git_agents_using_subcommand task; and __fish_seen_subcommand_from start" -l color -d 'When to use colour' -r -f -a "auto\t'On a terminal, unless NO_COLOR is set (CLICOLOR_FORCE forces it)'
always\t'Always'
never\t'Never'"
complete -c git-agents -n "__fish_git_agents_using_subcommand task; and __fish_seen_subcommand_from start" -l agent -d 'The agent [default: the one whose worktree this is]' -r -f -a "(__fish_git_agents_names)"
complete -c git-agents -n "__fish_git_agents_using_subcommand task; and __fish_seen_subcommand_from start" -l json -d 'Print machine-readable JSON instead of text'
complete -c git-agents -n "__fish_git_agents_using_subcommand task; and __fish_seen_subcommand_from start" -s q -l quiet -d 'Print only errors and what was asked for'
complete -c git-agents -n "__fish_git_agents_using_subcommand task; and __fish_seen_subcommand_from start" -s v -l verbose -d 'Say more about what is being done'
complete -c git-agents -n "__fish_git_agents_using_subcommand task; and __fish_seen_subcommand_from start" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c git-agents -n "__fish_git_agents_using_subcommand task; and __fish_seen_subcommand_from start" -s V -l version -d 'Print version'
complete -c git-agents -n "__fish_git_agents_using_subcommand task; and __fish_seen_subcommand_from done" -s C -d 'Run as if started in DIR (like git -C; may be repeated)' -r -F
complete -c git-agents -n "__fish_git_agents_using_subcommand task; and __fish_seen_subcommand_from done" -l color -d 'When to use colour' -r -f -a "auto\t'On a terminal, unless NO_COLOR is set (CLICOLOR_FORCE forces it)'
always\t'Always'
never\t'Never'"
complete -c git-agents -n "__fish_git_agents_using_subcommand task; and __fish_seen_subcommand_from done" -l agent -d 'The agent [default: the one whose worktree this is]' -r -f -a "(__fish_git_agents_names)"
complete -c git-agents -n "__fish_git_agents_using_subcommand task; and __fish_seen_subcommand_from done" -l json -d 'Print machine-readable JSON instead of text'
complete -c git-agents -n "__fish_git_agents_using_subcommand task; and __fish_seen_subcommand_from done" -s q -l quiet -d 'Print only errors and what was asked for'
complete -c git-agents -n "__fish_git_agents_using_subcommand task; and __fish_seen_subcommand_from done" -s v -l verbose -d 'Say more about what is being done'
complete -c git-agents -n "__fish_git_agents_using_subcommand task; and __fish_seen_subcommand_from done" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c git-agents -n "__fish_git_agents_using_subcommand task; and __fish_seen_subcommand_from done" -s V -l version -d 'Print version'
complete -c git-agents -n "__fish_git_agents_using_subcommand task; and __fish_seen_subcommand_from undo" -s C -d 'Run as if started in DIR (like git -C; may be repeated)' -r -F
complete -c git-agents -n "__fish_git_agents_using_subcommand task; and __fish_seen_subcommand_from undo" -l color -d 'When to use colour' -r -f -a "auto\t'On a terminal, unless NO_COLOR is set (CLICOLOR_FORCE forces it)'
always\t'Always'
never\t'Never'"
complete -c git-agents -n "__fish_git_agents_using_subcommand task; and __fish_seen_subcommand_from undo" -l agent -d 'The agent [default: the one whose worktree this is]' -r -f -a "(__fish_git_agents_names)"
complete -c git-agents -n "__fish_git_agents_using_subcommand task; and __fish_seen_subcommand_from undo" -l json -d 'Print machine-readable JSON instead of text'
complete -c git-agents -n "__fish_git_agents_using_subcommand task; and __fish_seen_subcommand_from undo" -s q -l quiet -d 'Print only errors and what was asked for'
complete -c git-agents -n "__fish_git_agents_using_subcommand task; and __fish_seen_subcommand_from undo" -s v -l verbose -d 'Say more about what is being done'
complete -c git-agents -n "__fish_git_agents_using_subcommand task; and __fish_seen_subcommand_from undo" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c git-agents -n "__fish_git_agents_using_subcommand task; and __fish_seen_subcommand_from undo" -s V -l version -d 'Print version'
complete -c git-agents -n "__fish_git_agents_using_subcommand task; and __fish_seen_subcommand_from help" -f -a "start" -d 'Mark task N as the one being worked on'
complete -c git-agents -n "__fish_git_agents_using_subcommand task; and __fish_seen_subcommand_from help" -f -a "done" -d 'Mark task N done'
complete -c git-agents -n "__fish_git_agents_using_subcommand task; and __fish_seen_subcommand_from help" -f -a "undo" -d 'Mark task N not done again'
complete -c git-agents -n "__fish_git_agents_using_subcommand task; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c git-agents -n "__fish_git_agents_using_subcommand update" -s C -d 'Run as if started in DIR (like git -C; may be repeated)' -r -F
complete -c git-agents -n "__fish_git_agents_using_subcommand update" -l color -d 'When to use colour' -r -f -a "auto\t'On a terminal, unless NO_COLOR is set (CLICOLOR_FORCE forces it)'
always\t'Always'
never\t'Never'"
complete -c git-agents -n "__fish_git_agents_using_subcommand update" -l status -d 'The new status: planned, in_progress, review, pr_open, merged, completed, failed, abandoned' -r
complete -c git-agents -n "__fish_git_agents_using_subcommand update" -l note -d 'A note to add to the agent\'s record' -r
complete -c git-agents -n "__fish_git_agents_using_subcommand update" -l agent -d 'The agent [default: the one whose worktree this is]' -r -f -a "(__fish_git_agents_names)"
complete -c git-agents -n "__fish_git_agents_using_subcommand update" -l json -d 'Print machine-readable JSON instead of text'
complete -c git-agents -n "__fish_git_agents_using_subcommand update" -s q -l quiet -d 'Print only errors and what was asked for'
complete -c git-agents -n "__fish_git_agents_using_subcommand update" -s v -l verbose -d 'Say more about what is being done'
complete -c git-agents -n "__fish_git_agents_using_subcommand update" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c git-agents -n "__fish_git_agents_using_subcommand update" -s V -l version -d 'Print version'
complete -c git-agents -n "__fish_git_agents_using_subcommand comment" -s C -d 'Run as if started in DIR (like git -C; may be repeated)' -r -F
complete -c git-agents -n "__fish_git_agents_using_subcommand comment" -l color -d 'When to use colour' -r -f -a "auto\t'On a terminal, unless NO_COLOR is set (CLICOLOR_FORCE forces it)'
always\t'Always'
never\t'Never'"
complete -c git-agents -n "__fish_git_agents_using_subcommand comment" -l json -d 'Print machine-readable JSON instead of text'
complete -c git-agents -n "__fish_git_agents_using_subcommand comment" -s q -l quiet -d 'Print only errors and what was asked for'
complete -c git-agents -n "__fish_git_agents_using_subcommand comment" -s v -l verbose -d 'Say more about what is being done'
complete -c git-agents -n "__fish_git_agents_using_subcommand comment" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c git-agents -n "__fish_git_agents_using_subcommand comment" -s V -l version -d 'Print version'
complete -c git-agents -n "__fish_git_agents_using_subcommand diff" -s C -d 'Run as if started in DIR (like git -C; may be repeated)' -r -F
complete -c git-agents -n "__fish_git_agents_using_subcommand diff" -l color -d 'When to use colour' -r -f -a "auto\t'On a terminal, unless NO_COLOR is set (CLICOLOR_FORCE forces it)'
always\t'Always'
never\t'Never'"
complete -c git-agents -n "__fish_git_agents_using_subcommand diff" -l json -d 'Print machine-readable JSON instead of text'
complete -c git-agents -n "__fish_git_agents_using_subcommand diff" -s q -l quiet -d 'Print only errors and what was asked for'
complete -c git-agents -n "__fish_git_agents_using_subcommand diff" -s v -l verbose -d 'Say more about what is being done'
complete -c git-agents -n "__fish_git_agents_using_subcommand diff" -l stat -d 'Lines added and removed per file instead of the patch'
complete -c git-agents -n "__fish_git_agents_using_subcommand diff" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c git-agents -n "__fish_git_agents_using_subcommand diff" -s V -l version -d 'Print version'
complete -c git-agents -n "__fish_git_agents_using_subcommand attach" -s C -d 'Run as if started in DIR (like git -C; may be repeated)' -r -F
complete -c git-agents -n "__fish_git_agents_using_subcommand attach" -l color -d 'When to use colour' -r -f -a "auto\t'On a terminal, unless NO_COLOR is set (CLICOLOR_FORCE forces it)'
always\t'Always'
never\t'Never'"
complete -c git-agents -n "__fish_git_agents_using_subcommand attach" -l json -d 'Print machine-readable JSON instead of text'
complete -c git-agents -n "__fish_git_agents_using_subcommand attach" -s q -l quiet -d 'Print only errors and what was asked for'
complete -c git-agents -n "__fish_git_agents_using_subcommand attach" -s v -l verbose -d 'Say more about what is being done'
complete -c git-agents -n "__fish_git_agents_using_subcommand attach" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c git-agents -n "__fish_git_agents_using_subcommand attach" -s V -l version -d 'Print version'
complete -c git-agents -n "__fish_git_agents_using_subcommand send" -s C -d 'Run as if started in DIR (like git -C; may be repeated)' -r -F
complete -c git-agents -n "__fish_git_agents_using_subcommand send" -l color -d 'When to use colour' -r -f -a "auto\t'On a terminal, unless NO_COLOR is set (CLICOLOR_FORCE forces it)'
always\t'Always'
never\t'Never'"
complete -c git-agents -n "__fish_git_agents_using_subcommand send" -l json -d 'Print machine-readable JSON instead of text'
complete -c git-agents -n "__fish_git_agents_using_subcommand send" -s q -l quiet -d 'Print only errors and what was asked for'
complete -c git-agents -n "__fish_git_agents_using_subcommand send" -s v -l verbose -d 'Say more about what is being done'
complete -c git-agents -n "__fish_git_agents_using_subcommand send" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c git-agents -n "__fish_git_agents_using_subcommand send" -s V -l version -d 'Print version'
complete -c git-agents -n "__fish_git_agents_using_subcommand log" -s C -d 'Run as if started in DIR (like git -C; may be repeated)' -r -F
complete -c git-agents -n "__fish_git_agents_using_subcommand log" -l color -d 'When to use colour' -r -f -a "auto\t'On a terminal, unless NO_COLOR is set (CLICOLOR_FORCE forces it)'
always\t'Always'
never\t'Never'"
complete -c git-agents -n "__fish_git_agents_using_subcommand log" -s n -l max-count -d 'Show at most N entries' -r
complete -c git-agents -n "__fish_git_agents_using_subcommand log" -l json -d 'Print machine-readable JSON instead of text'
complete -c git-agents -n "__fish_git_agents_using_subcommand log" -s q -l quiet -d 'Print only errors and what was asked for'
complete -c git-agents -n "__fish_git_agents_using_subcommand log" -s v -l verbose -d 'Say more about what is being done'
complete -c git-agents -n "__fish_git_agents_using_subcommand log" -l reverse -d 'Oldest first'
complete -c git-agents -n "__fish_git_agents_using_subcommand log" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c git-agents -n "__fish_git_agents_using_subcommand log" -s V -l version -d 'Print version'
complete -c git-agents -n "__fish_git_agents_using_subcommand run" -s C -d 'Run as if started in DIR (like git -C; may be repeated)' -r -F
complete -c git-agents -n "__fish_git_agents_using_subcommand run" -l color -d 'When to use colour' -r -f -a "auto\t'On a terminal, unless NO_COLOR is set (CLICOLOR_FORCE forces it)'
always\t'Always'
never\t'Never'"
complete -c git-agents -n "__fish_git_agents_using_subcommand run" -s j -l parallel -d 'Run at most N agents\' commands at once' -r
complete -c git-agents -n "__fish_git_agents_using_subcommand run" -l exec -d 'The shell command line for every agent, with {agent}, {branch}, {worktree}, {base} and {port} placeholders (each one shell word)' -r
complete -c git-agents -n "__fish_git_agents_using_subcommand run" -l agent-cli -d 'Run every agent with this coding-agent program, its brief as the prompt: claude, codex, gemini, aider, opencode, or one set with git config agents.cli.NAME' -r
complete -c git-agents -n "__fish_git_agents_using_subcommand run" -l jobs -d 'Run at most N deliveries (tests, reviews, pull requests) at once [default: the number of cores]' -r
complete -c git-agents -n "__fish_git_agents_using_subcommand run" -l remote -d 'Share the fleet with runs on other machines through this remote: each agent is claimed there before it is launched, branches and base are pushed there (also git config agents.remote)' -r
complete -c git-agents -n "__fish_git_agents_using_subcommand run" -l json -d 'Print machine-readable JSON instead of text'
complete -c git-agents -n "__fish_git_agents_using_subcommand run" -s q -l quiet -d 'Print only errors and what was asked for'
complete -c git-agents -n "__fish_git_agents_using_subcommand run" -s v -l verbose -d 'Say more about what is being done'
complete -c git-agents -n "__fish_git_agents_using_subcommand run" -l no-deliver -d 'Leave finished work in review instead of testing, reviewing, opening PRs and merging'
complete -c git-agents -n "__fish_git_agents_using_subcommand run" -l no-retry -d 'Leave agents whose command, tests or review failed before as they are, instead of launching them again'
complete -c git-agents -n "__fish_git_agents_using_subcommand run" -l tmux -d 'Run each agent\'s command in a window of its own in a tmux session named after the repository (also git config agents.tmux)'
complete -c git-agents -n "__fish_git_agents_using_subcommand run" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c git-agents -n "__fish_git_agents_using_subcommand run" -s V -l version -d 'Print version'
complete -c git-agents -n "__fish_git_agents_using_subcommand demo" -s C -d 'Run as if started in DIR (like git -C; may be repeated)' -r -F
complete -c git-agents -n "__fish_git_agents_using_subcommand demo" -l color -d 'When to use colour' -r -f -a "auto\t'On a terminal, unless NO_COLOR is set (CLICOLOR_FORCE forces it)'
always\t'Always'
never\t'Never'"
complete -c git-agents -n "__fish_git_agents_using_subcommand demo" -l dir -d 'Where to create the demo repository [default: a new directory under the temp dir]' -r -F
complete -c git-agents -n "__fish_git_agents_using_subcommand demo" -l json -d 'Print machine-readable JSON instead of text'
complete -c git-agents -n "__fish_git_agents_using_subcommand demo" -s q -l quiet -d 'Print only errors and what was asked for'
complete -c git-agents -n "__fish_git_agents_using_subcommand demo" -s v -l verbose -d 'Say more about what is being done'
complete -c git-agents -n "__fish_git_agents_using_subcommand demo" -l keep -d 'Keep the agents\' worktrees and branches instead of finishing them after the merge'
complete -c git-agents -n "__fish_git_agents_using_subcommand demo" -l fast -d 'Let the scripted agents work without pausing between tasks (for scripts and tests)'
complete -c git-agents -n "__fish_git_agents_using_subcommand demo" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c git-agents -n "__fish_git_agents_using_subcommand demo" -s V -l version -d 'Print version'
complete -c git-agents -n "__fish_git_agents_using_subcommand completions" -s C -d 'Run as if started in DIR (like git -C; may be repeated)' -r -F
complete -c git-agents -n "__fish_git_agents_using_subcommand completions" -l color -d 'When to use colour' -r -f -a "auto\t'On a terminal, unless NO_COLOR is set (CLICOLOR_FORCE forces it)'
always\t'Always'
never\t'Never'"
complete -c git-agents -n "__fish_git_agents_using_subcommand completions" -l json -d 'Print machine-readable JSON instead of text'
complete -c git-agents -n "__fish_git_agents_using_subcommand completions" -s q -l quiet -d 'Print only errors and what was asked for'
complete -c git-agents -n "__fish_git_agents_using_subcommand completions" -s v -l verbose -d 'Say more about what is being done'
complete -c git-agents -n "__fish_git_agents_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c git-agents -n "__fish_git_agents_using_subcommand completions" -s V -l version -d 'Print version'
complete -c git-agents -n "__fish_git_agents_using_subcommand brief" -s C -d 'Run as if started in DIR (like git -C; may be repeated)' -r -F
complete -c git-agents -n "__fish_git_agents_using_subcommand brief" -l color -d 'When to use colour' -r -f -a "auto\t'On a terminal, unless NO_COLOR is set (CLICOLOR_FORCE forces it)'
always\t'Always'
never\t'Never'"
complete -c git-agents -n "__fish_git_agents_using_subcommand brief" -l agent -d 'The agent, as `task` and `update` take it' -r -f -a "(__fish_git_agents_names)"
complete -c git-agents -n "__fish_git_agents_using_subcommand brief" -l json -d 'Print machine-readable JSON instead of text'
complete -c git-agents -n "__fish_git_agents_using_subcommand brief" -s q -l quiet -d 'Print only errors and what was asked for'
complete -c git-agents -n "__fish_git_agents_using_subcommand brief" -s v -l verbose -d 'Say more about what is being done'
complete -c git-agents -n "__fish_git_agents_using_subcommand brief" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c git-agents -n "__fish_git_agents_using_subcommand brief" -s V -l version -d 'Print version'
complete -c git-agents -n "__fish_git_agents_using_subcommand conflicts" -s C -d 'Run as if started in DIR (like git -C; may be repeated)' -r -F
complete -c git-agents -n "__fish_git_agents_using_subcommand conflicts" -l color -d 'When to use colour' -r -f -a "auto\t'On a terminal, unless NO_COLOR is set (CLICOLOR_FORCE forces it)'
always\t'Always'
never\t'Never'"
complete -c git-agents -n "__fish_git_agents_using_subcommand conflicts" -l json -d 'Print machine-readable JSON instead of text'
complete -c git-agents -n "__fish_git_agents_using_subcommand conflicts" -s q -l quiet -d 'Print only errors and what was asked for'
complete -c git-agents -n "__fish_git_agents_using_subcommand conflicts" -s v -l verbose -d 'Say more about what is being done'
complete -c git-agents -n "__fish_git_agents_using_subcommand conflicts" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c git-agents -n "__fish_git_agents_using_subcommand conflicts" -s V -l version -d 'Print version'
complete -c git-agents -n "__fish_git_agents_using_subcommand install-man" -s C -d 'Run as if started in DIR (like git -C; may be repeated)' -r -F
complete -c git-agents -n "__fish_git_agents_using_subcommand install-man" -l color -d 'When to use colour' -r -f -a "auto\t'On a terminal, unless NO_COLOR is set (CLICOLOR_FORCE forces it)'
always\t'Always'
never\t'Never'"
complete -c git-agents -n "__fish_git_agents_using_subcommand install-man" -l dir -d 'The manual directory, as listed on MANPATH; pages go into its man1 [default: share/man beside the binary\'s bin directory (~/.cargo/share/man), else $XDG_DATA_HOME/man or ~/.local/share/man]' -r -F
complete -c git-agents -n "__fish_git_agents_using_subcommand install-man" -l json -d 'Print machine-readable JSON instead of text'
complete -c git-agents -n "__fish_git_agents_using_subcommand install-man" -s q -l quiet -d 'Print only errors and what was asked for'
complete -c git-agents -n "__fish_git_agents_using_subcommand install-man" -s v -l verbose -d 'Say more about what is being done'
complete -c git-agents -n "__fish_git_agents_using_subcommand install-man" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c git-agents -n "__fish_git_agents_using_subcommand install-man" -s V -l version -d 'Print version'
complete -c git-agents -n "__fish_git_agents_using_subcommand doctor" -s C -d 'Run as if started in DIR (like git -C; may be repeated)' -r -F
complete -c git-agents -n "__fish_git_agents_using_subcommand doctor" -l color -d 'When to use colour' -r -f -a "auto\t'On a terminal, unless NO_COLOR is set (CLICOLOR_FORCE forces it)'
always\t'Always'
never\t'Never'"
complete -c git-agents -n "__fish_git_agents_using_subcommand doctor" -l json -d 'Print machine-readable JSON instead of text'
complete -c git-agents -n "__fish_git_agents_using_subcommand doctor" -s q -l quiet -d 'Print only errors and what was asked for'
complete -c git-agents -n "__fish_git_agents_using_subcommand doctor" -s v -l verbose -d 'Say more about what is being done'
complete -c git-agents -n "__fish_git_agents_using_subcommand doctor" -l fix -d 'Repair what can be repaired and say what was done'
complete -c git-agents -n "__fish_git_agents_using_subcommand doctor" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c git-agents -n "__fish_git_agents_using_subcommand doctor" -s V -l version -d 'Print version'
complete -c git-agents -n "__fish_git_agents_using_subcommand test" -s C -d 'Run as if started in DIR (like git -C; may be repeated)' -r -F
complete -c git-agents -n "__fish_git_agents_using_subcommand test" -l color -d 'When to use colour' -r -f -a "auto\t'On a terminal, unless NO_COLOR is set (CLICOLOR_FORCE forces it)'
always\t'Always'
never\t'Never'"
complete -c git-agents -n "__fish_git_agents_using_subcommand test" -l agent -d 'The agent [default: the one whose worktree this is]' -r -f -a "(__fish_git_agents_names)"
complete -c git-agents -n "__fish_git_agents_using_subcommand test" -l json -d 'Print machine-readable JSON instead of text'
complete -c git-agents -n "__fish_git_agents_using_subcommand test" -s q -l quiet -d 'Print only errors and what was asked for'
complete -c git-agents -n "__fish_git_agents_using_subcommand test" -s v -l verbose -d 'Say more about what is being done'
complete -c git-agents -n "__fish_git_agents_using_subcommand test" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c git-agents -n "__fish_git_agents_using_subcommand test" -s V -l version -d 'Print version'
complete -c git-agents -n "__fish_git_agents_using_subcommand review" -s C -d 'Run as if started in DIR (like git -C; may be repeated)' -r -F
complete -c git-agents -n "__fish_git_agents_using_subcommand review" -l color -d 'When to use colour' -r -f -a "auto\t'On a terminal, unless NO_COLOR is set (CLICOLOR_FORCE forces it)'
always\t'Always'
never\t'Never'"
complete -c git-agents -n "__fish_git_agents_using_subcommand review" -l max-iterations -d 'Review at most N times [default: the plan\'s max review iterations, 5]' -r
complete -c git-agents -n "__fish_git_agents_using_subcommand review" -l threshold -d 'The score out of 10 to reach [default: the plan\'s review threshold, 10]' -r
complete -c git-agents -n "__fish_git_agents_using_subcommand review" -l agent -d 'The agent [default: the one whose worktree this is]' -r -f -a "(__fish_git_agents_names)"
complete -c git-agents -n "__fish_git_agents_using_subcommand review" -l json -d 'Print machine-readable JSON instead of text'
complete -c git-agents -n "__fish_git_agents_using_subcommand review" -s q -l quiet -d 'Print only errors and what was asked for'
complete -c git-agents -n "__fish_git_agents_using_subcommand review" -s v -l verbose -d 'Say more about what is being done'
complete -c git-agents -n "__fish_git_agents_using_subcommand review" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c git-agents -n "__fish_git_agents_using_subcommand review" -s V -l version -d 'Print version'
complete -c git-agents -n "__fish_git_agents_using_subcommand approve" -s C -d 'Run as if started in DIR (like git -C; may be repeated)' -r -F
complete -c git-agents -n "__fish_git_agents_using_subcommand approve" -l color -d 'When to use colour' -r -f -a "auto\t'On a terminal, unless NO_COLOR is set (CLICOLOR_FORCE forces it)'
always\t'Always'
never\t'Never'"
complete -c git-agents -n "__fish_git_agents_using_subcommand approve" -l by -d 'Who approves [default: your git user.name]' -r
complete -c git-agents -n "__fish_git_agents_using_subcommand approve" -l json -d 'Print machine-readable JSON instead of text'
complete -c git-agents -n "__fish_git_agents_using_subcommand approve" -s q -l quiet -d 'Print only errors and what was asked for'
complete -c git-agents -n "__fish_git_agents_using_subcommand approve" -s v -l verbose -d 'Say more about what is being done'
complete -c git-agents -n "__fish_git_agents_using_subcommand approve" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c git-agents -n "__fish_git_agents_using_subcommand approve" -s V -l version -d 'Print version'
complete -c git-agents -n "__fish_git_agents_using_subcommand pr" -s C -d 'Run as if started in DIR (like git -C; may be repeated)' -r -F
complete -c git-agents -n "__fish_git_agents_using_subcommand pr" -l color -d 'When to use colour' -r -f -a "auto\t'On a terminal, unless NO_COLOR is set (CLICOLOR_FORCE forces it)'
always\t'Always'
never\t'Never'"
complete -c git-agents -n "__fish_git_agents_using_subcommand pr" -l json -d 'Print machine-readable JSON instead of text'
complete -c git-agents -n "__fish_git_agents_using_subcommand pr" -s q -l quiet -d 'Print only errors and what was asked for'
complete -c git-agents -n "__fish_git_agents_using_subcommand pr" -s v -l verbose -d 'Say more about what is being done'
complete -c git-agents -n "__fish_git_agents_using_subcommand pr" -l draft -d 'Open it as a draft (not merged until marked ready; `pr` again without --draft marks a local PR ready)'
complete -c git-agents -n "__fish_git_agents_using_subcommand pr" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c git-agents -n "__fish_git_agents_using_subcommand pr" -s V -l version -d 'Print version'
complete -c git-agents -n "__fish_git_agents_using_subcommand merge" -s C -d 'Run as if started in DIR (like git -C; may be repeated)' -r -F
complete -c git-agents -n "__fish_git_agents_using_subcommand merge" -l color -d 'When to use colour' -r -f -a "auto\t'On a terminal, unless NO_COLOR is set (CLICOLOR_FORCE forces it)'
always\t'Always'
never\t'Never'"
complete -c git-agents -n "__fish_git_agents_using_subcommand merge" -l json -d 'Print machine-readable JSON instead of text'
complete -c git-agents -n "__fish_git_agents_using_subcommand merge" -s q -l quiet -d 'Print only errors and what was asked for'
complete -c git-agents -n "__fish_git_agents_using_subcommand merge" -s v -l verbose -d 'Say more about what is being done'
complete -c git-agents -n "__fish_git_agents_using_subcommand merge" -l dry-run -d 'Only check the criteria; exit 0 when they hold, 1 when not'
complete -c git-agents -n "__fish_git_agents_using_subcommand merge" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c git-agents -n "__fish_git_agents_using_subcommand merge" -s V -l version -d 'Print version'
complete -c git-agents -n "__fish_git_agents_using_subcommand queue; and not __fish_seen_subcommand_from run help" -s C -d 'Run as if started in DIR (like git -C; may be repeated)' -r -F
complete -c git-agents -n "__fish_git_agents_using_subcommand queue; and not __fish_seen_subcommand_from run help" -l color -d 'When to use colour' -r -f -a "auto\t'On a terminal, unless NO_COLOR is set (CLICOLOR_FORCE forces it)'
always\t'Always'
never\t'Never'"
complete -c git-agents -n "__fish_git_agents_using_subcommand queue; and not __fish_seen_subcommand_from run help" -l json -d 'Print machine-readable JSON instead of text'
complete -c git-agents -n "__fish_git_agents_using_subcommand queue; and not __fish_seen_subcommand_from run help" -s q -l quiet -d 'Print only errors and what was asked for'
complete -c git-agents -n "__fish_git_agents_using_subcommand queue; and not __fish_seen_subcommand_from run help" -s v -l verbose -d 'Say more about what is being done'
complete -c git-agents -n "__fish_git_agents_using_subcommand queue; and not __fish_seen_subcommand_from run help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c git-agents -n "__fish_git_agents_using_subcommand queue; and not __fish_seen_subcommand_from run help" -s V -l version -d 'Print version'
complete -c git-agents -n "__fish_git_agents_using_subcommand queue; and not __fish_seen_subcommand_from run help" -f -a "run" -d 'Merge ready entries one at a time in queue order, checking the rest again after each merge'
complete -c git-agents -n "__fish_git_agents_using_subcommand queue; and not __fish_seen_subcommand_from run help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c git-agents -n "__fish_git_agents_using_subcommand queue; and __fish_seen_subcommand_from run" -l batch -d 'Test the combined merge of up to N ready entries at once; on failure, bisect to find the entry that broke it, merge the others and report it (local forge; GitHub entries merge one at a time)' -r
complete -c git-agents -n "__fish_git_agents_using_subcommand queue; and __fish_seen_subcommand_from run" -s C -d 'Run as if started in DIR (like git -C; may be repeated)' -r -F
complete -c git-agents -n "__fish_git_agents_using_subcommand queue; and __fish_seen_subcommand_from run" -l color -d 'When to use colour' -r -f -a "auto\t'On a terminal, unless NO_COLOR is set (CLICOLOR_FORCE forces it)'
always\t'Always'
never\t'Never'"
complete -c git-agents -n "__fish_git_agents_using_subcommand queue; and __fish_seen_subcommand_from run" -l dry-run -d 'Only say which entries are ready now'
complete -c git-agents -n "__fish_git_agents_using_subcommand queue; and __fish_seen_subcommand_from run" -l json -d 'Print machine-readable JSON instead of text'
complete -c git-agents -n "__fish_git_agents_using_subcommand queue; and __fish_seen_subcommand_from run" -s q -l quiet -d 'Print only errors and what was asked for'
complete -c git-agents -n "__fish_git_agents_using_subcommand queue; and __fish_seen_subcommand_from run" -s v -l verbose -d 'Say more about what is being done'
complete -c git-agents -n "__fish_git_agents_using_subcommand queue; and __fish_seen_subcommand_from run" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c git-agents -n "__fish_git_agents_using_subcommand queue; and __fish_seen_subcommand_from run" -s V -l version -d 'Print version'
complete -c git-agents -n "__fish_git_agents_using_subcommand queue; and __fish_seen_subcommand_from help" -f -a "run" -d 'Merge ready entries one at a time in queue order, checking the rest again after each merge'
complete -c git-agents -n "__fish_git_agents_using_subcommand queue; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c git-agents -n "__fish_git_agents_using_subcommand finish" -s C -d 'Run as if started in DIR (like git -C; may be repeated)' -r -F
complete -c git-agents -n "__fish_git_agents_using_subcommand finish" -l color -d 'When to use colour' -r -f -a "auto\t'On a terminal, unless NO_COLOR is set (CLICOLOR_FORCE forces it)'
always\t'Always'
never\t'Never'"
complete -c git-agents -n "__fish_git_agents_using_subcommand finish" -l json -d 'Print machine-readable JSON instead of text'
complete -c git-agents -n "__fish_git_agents_using_subcommand finish" -s q -l quiet -d 'Print only errors and what was asked for'
complete -c git-agents -n "__fish_git_agents_using_subcommand finish" -s v -l verbose -d 'Say more about what is being done'
complete -c git-agents -n "__fish_git_agents_using_subcommand finish" -l merged -d 'Finish every merged agent (with AGENT: only that one, and only if it is merged)'
complete -c git-agents -n "__fish_git_agents_using_subcommand finish" -l abandon -d 'Give the agent\'s work up: remove its worktree and branch and mark it abandoned'
complete -c git-agents -n "__fish_git_agents_using_subcommand finish" -l force -d 'Delete the branch even with commits base does not have (its tip is printed so it can be restored), and remove the worktree even with uncommitted work'
complete -c git-agents -n "__fish_git_agents_using_subcommand finish" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c git-agents -n "__fish_git_agents_using_subcommand finish" -s V -l version -d 'Print version'
complete -c git-agents -n "__fish_git_agents_using_subcommand sync" -s C -d 'Run as if started in DIR (like git -C; may be repeated)' -r -F
complete -c git-agents -n "__fish_git_agents_using_subcommand sync" -l color -d 'When to use colour' -r -f -a "auto\t'On a terminal, unless NO_COLOR is set (CLICOLOR_FORCE forces it)'
always\t'Always'
never\t'Never'"
complete -c git-agents -n "__fish_git_agents_using_subcommand sync" -l json -d 'Print machine-readable JSON instead of text'
complete -c git-agents -n "__fish_git_agents_using_subcommand sync" -s q -l quiet -d 'Print only errors and what was asked for'
complete -c git-agents -n "__fish_git_agents_using_subcommand sync" -s v -l verbose -d 'Say more about what is being done'
complete -c git-agents -n "__fish_git_agents_using_subcommand sync" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c git-agents -n "__fish_git_agents_using_subcommand sync" -s V -l version -d 'Print version'
complete -c git-agents -n "__fish_git_agents_using_subcommand trust" -s C -d 'Run as if started in DIR (like git -C; may be repeated)' -r -F
complete -c git-agents -n "__fish_git_agents_using_subcommand trust" -l color -d 'When to use colour' -r -f -a "auto\t'On a terminal, unless NO_COLOR is set (CLICOLOR_FORCE forces it)'
always\t'Always'
never\t'Never'"
complete -c git-agents -n "__fish_git_agents_using_subcommand trust" -l accept -d 'Accept what the shared plan says: with DIGEST (printed by `git agents trust`), only while it still says exactly what was shown' -r
complete -c git-agents -n "__fish_git_agents_using_subcommand trust" -l json -d 'Print machine-readable JSON instead of text'
complete -c git-agents -n "__fish_git_agents_using_subcommand trust" -s q -l quiet -d 'Print only errors and what was asked for'
complete -c git-agents -n "__fish_git_agents_using_subcommand trust" -s v -l verbose -d 'Say more about what is being done'
complete -c git-agents -n "__fish_git_agents_using_subcommand trust" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c git-agents -n "__fish_git_agents_using_subcommand trust" -s V -l version -d 'Print version'
complete -c git-agents -n "__fish_git_agents_using_subcommand help; and not __fish_seen_subcommand_from init plan add remove edit spawn status task update comment diff attach send log run demo completions brief conflicts install-man doctor test review approve pr merge queue finish sync trust help" -f -a "init" -d 'Import a plan and create the fleet\'s state in this repository'
complete -c git-agents -n "__fish_git_agents_using_subcommand help; and not __fish_seen_subcommand_from init plan add remove edit spawn status task update comment diff attach send log run demo completions brief conflicts install-man doctor test review approve pr merge queue finish sync trust help" -f -a "plan" -d 'Show or export the plan'
complete -c git-agents -n "__fish_git_agents_using_subcommand help; and not __fish_seen_subcommand_from init plan add remove edit spawn status task update comment diff attach send log run demo completions brief conflicts install-man doctor test review approve pr merge queue finish sync trust help" -f -a "add" -d 'Add an agent to the plan'
complete -c git-agents -n "__fish_git_agents_using_subcommand help; and not __fish_seen_subcommand_from init plan add remove edit spawn status task update comment diff attach send log run demo completions brief conflicts install-man doctor test review approve pr merge queue finish sync trust help" -f -a "remove" -d 'Remove an agent from the plan'
complete -c git-agents -n "__fish_git_agents_using_subcommand help; and not __fish_seen_subcommand_from init plan add remove edit spawn status task update comment diff attach send log run demo completions brief conflicts install-man doctor test review approve pr merge queue finish sync trust help" -f -a "edit" -d 'Change an agent\'s dependencies, branch, title or command'
complete -c git-agents -n "__fish_git_agents_using_subcommand help; and not __fish_seen_subcommand_from init plan add remove edit spawn status task update comment diff attach send log run demo completions brief conflicts install-man doctor test review approve pr merge queue finish sync trust help" -f -a "spawn" -d 'Create agents\' branches and worktrees and mark them in progress'
complete -c git-agents -n "__fish_git_agents_using_subcommand help; and not __fish_seen_subcommand_from init plan add remove edit spawn status task update comment diff attach send log run demo completions brief conflicts install-man doctor test review approve pr merge queue finish sync trust help" -f -a "status" -d 'Show the dashboard: progress, current task, tests, review, PR, blockers'
complete -c git-agents -n "__fish_git_agents_using_subcommand help; and not __fish_seen_subcommand_from init plan add remove edit spawn status task update comment diff attach send log run demo completions brief conflicts install-man doctor test review approve pr merge queue finish sync trust help" -f -a "task" -d 'Report task progress from an agent\'s worktree'
complete -c git-agents -n "__fish_git_agents_using_subcommand help; and not __fish_seen_subcommand_from init plan add remove edit spawn status task update comment diff attach send log run demo completions brief conflicts install-man doctor test review approve pr merge queue finish sync trust help" -f -a "update" -d 'Change an agent\'s status or leave a note'
complete -c git-agents -n "__fish_git_agents_using_subcommand help; and not __fish_seen_subcommand_from init plan add remove edit spawn status task update comment diff attach send log run demo completions brief conflicts install-man doctor test review approve pr merge queue finish sync trust help" -f -a "comment" -d 'Leave a remark for an agent, shown in its brief'
complete -c git-agents -n "__fish_git_agents_using_subcommand help; and not __fish_seen_subcommand_from init plan add remove edit spawn status task update comment diff attach send log run demo completions brief conflicts install-man doctor test review approve pr merge queue finish sync trust help" -f -a "diff" -d 'Show an agent\'s change against base'
complete -c git-agents -n "__fish_git_agents_using_subcommand help; and not __fish_seen_subcommand_from init plan add remove edit spawn status task update comment diff attach send log run demo completions brief conflicts install-man doctor test review approve pr merge queue finish sync trust help" -f -a "attach" -d 'Join a running agent\'s terminal'
complete -c git-agents -n "__fish_git_agents_using_subcommand help; and not __fish_seen_subcommand_from init plan add remove edit spawn status task update comment diff attach send log run demo completions brief conflicts install-man doctor test review approve pr merge queue finish sync trust help" -f -a "send" -d 'Type a line to a running agent\'s terminal'
complete -c git-agents -n "__fish_git_agents_using_subcommand help; and not __fish_seen_subcommand_from init plan add remove edit spawn status task update comment diff attach send log run demo completions brief conflicts install-man doctor test review approve pr merge queue finish sync trust help" -f -a "log" -d 'Show the audit trail of state changes'
complete -c git-agents -n "__fish_git_agents_using_subcommand help; and not __fish_seen_subcommand_from init plan add remove edit spawn status task update comment diff attach send log run demo completions brief conflicts install-man doctor test review approve pr merge queue finish sync trust help" -f -a "run" -d 'Spawn ready agents, run their commands and bring finished work home'
complete -c git-agents -n "__fish_git_agents_using_subcommand help; and not __fish_seen_subcommand_from init plan add remove edit spawn status task update comment diff attach send log run demo completions brief conflicts install-man doctor test review approve pr merge queue finish sync trust help" -f -a "demo" -d 'Show the whole product on a throwaway repository: eight scripted agents to merged'
complete -c git-agents -n "__fish_git_agents_using_subcommand help; and not __fish_seen_subcommand_from init plan add remove edit spawn status task update comment diff attach send log run demo completions brief conflicts install-man doctor test review approve pr merge queue finish sync trust help" -f -a "completions" -d 'Print a shell completion script'
complete -c git-agents -n "__fish_git_agents_using_subcommand help; and not __fish_seen_subcommand_from init plan add remove edit spawn status task update comment diff attach send log run demo completions brief conflicts install-man doctor test review approve pr merge queue finish sync trust help" -f -a "brief" -d 'Print an agent\'s brief as Markdown: tasks, dependencies, merge criteria'
complete -c git-agents -n "__fish_git_agents_using_subcommand help; and not __fish_seen_subcommand_from init plan add remove edit spawn status task update comment diff attach send log run demo completions brief conflicts install-man doctor test review approve pr merge queue finish sync trust help" -f -a "conflicts" -d 'Predict merge conflicts between active branches and against base'
complete -c git-agents -n "__fish_git_agents_using_subcommand help; and not __fish_seen_subcommand_from init plan add remove edit spawn status task update comment diff attach send log run demo completions brief conflicts install-man doctor test review approve pr merge queue finish sync trust help" -f -a "install-man" -d 'Install the manual pages where man finds them, so git help agents works'
complete -c git-agents -n "__fish_git_agents_using_subcommand help; and not __fish_seen_subcommand_from init plan add remove edit spawn status task update comment diff attach send log run demo completions brief conflicts install-man doctor test review approve pr merge queue finish sync trust help" -f -a "doctor" -d 'Find and repair drift between state, branches and worktrees'
complete -c git-agents -n "__fish_git_agents_using_subcommand help; and not __fish_seen_subcommand_from init plan add remove edit spawn status task update comment diff attach send log run demo completions brief conflicts install-man doctor test review approve pr merge queue finish sync trust help" -f -a "test" -d 'Run the tests in an agent\'s worktree and record the result on its commit'
complete -c git-agents -n "__fish_git_agents_using_subcommand help; and not __fish_seen_subcommand_from init plan add remove edit spawn status task update comment diff attach send log run demo completions brief conflicts install-man doctor test review approve pr merge queue finish sync trust help" -f -a "review" -d 'Review an agent\'s work until the score reaches the threshold'
complete -c git-agents -n "__fish_git_agents_using_subcommand help; and not __fish_seen_subcommand_from init plan add remove edit spawn status task update comment diff attach send log run demo completions brief conflicts install-man doctor test review approve pr merge queue finish sync trust help" -f -a "approve" -d 'Approve an agent\'s head commit (local forge)'
complete -c git-agents -n "__fish_git_agents_using_subcommand help; and not __fish_seen_subcommand_from init plan add remove edit spawn status task update comment diff attach send log run demo completions brief conflicts install-man doctor test review approve pr merge queue finish sync trust help" -f -a "pr" -d 'Open or adopt the pull request for an agent\'s branch'
complete -c git-agents -n "__fish_git_agents_using_subcommand help; and not __fish_seen_subcommand_from init plan add remove edit spawn status task update comment diff attach send log run demo completions brief conflicts install-man doctor test review approve pr merge queue finish sync trust help" -f -a "merge" -d 'Check an agent\'s merge criteria and merge when they all hold'
complete -c git-agents -n "__fish_git_agents_using_subcommand help; and not __fish_seen_subcommand_from init plan add remove edit spawn status task update comment diff attach send log run demo completions brief conflicts install-man doctor test review approve pr merge queue finish sync trust help" -f -a "queue" -d 'Show the merge order with each entry\'s criteria, or merge what is ready'
complete -c git-agents -n "__fish_git_agents_using_subcommand help; and not __fish_seen_subcommand_from init plan add remove edit spawn status task update comment diff attach send log run demo completions brief conflicts install-man doctor test review approve pr merge queue finish sync trust help" -f -a "finish" -d 'Remove a merged agent\'s worktree and branch and mark it completed'
complete -c git-agents -n "__fish_git_agents_using_subcommand help; and not __fish_seen_subcommand_from init plan add remove edit spawn status task update comment diff attach send log run demo completions brief conflicts install-man doctor test review approve pr merge queue finish sync trust help" -f -a "sync" -d 'Share the state through a git remote: fetch, merge, push with a lease'
complete -c git-agents -n "__fish_git_agents_using_subcommand help; and not __fish_seen_subcommand_from init plan add remove edit spawn status task update comment diff attach send log run demo completions brief conflicts install-man doctor test review approve pr merge queue finish sync trust help" -f -a "trust" -d 'Show or accept commands and paths that came with a sync or a clone'
complete -c git-agents -n "__fish_git_agents_using_subcommand help; and not __fish_seen_subcommand_from init plan add remove edit spawn status task update comment diff attach send log run demo completions brief conflicts install-man doctor test review approve pr merge queue finish sync trust help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'

function __fish_git_agents_names --description 'Agent names from the state ref'
    git agents __complete agents 2>/dev/null
end

complete -c git-agents -n "__fish_git_agents_using_subcommand remove" -f -a "(__fish_git_agents_names)" -d 'Agent'
complete -c git-agents -n "__fish_git_agents_using_subcommand edit" -f -a "(__fish_git_agents_names)" -d 'Agent'
complete -c git-agents -n "__fish_git_agents_using_subcommand spawn" -f -a "(__fish_git_agents_names)" -d 'Agent'
complete -c git-agents -n "__fish_git_agents_using_subcommand status" -f -a "(__fish_git_agents_names)" -d 'Agent'
complete -c git-agents -n "__fish_git_agents_using_subcommand comment" -f -a "(__fish_git_agents_names)" -d 'Agent'
complete -c git-agents -n "__fish_git_agents_using_subcommand diff" -f -a "(__fish_git_agents_names)" -d 'Agent'
complete -c git-agents -n "__fish_git_agents_using_subcommand attach" -f -a "(__fish_git_agents_names)" -d 'Agent'
complete -c git-agents -n "__fish_git_agents_using_subcommand send" -f -a "(__fish_git_agents_names)" -d 'Agent'
complete -c git-agents -n "__fish_git_agents_using_subcommand log" -f -a "(__fish_git_agents_names)" -d 'Agent'
complete -c git-agents -n "__fish_git_agents_using_subcommand run" -f -a "(__fish_git_agents_names)" -d 'Agent'
complete -c git-agents -n "__fish_git_agents_using_subcommand brief" -f -a "(__fish_git_agents_names)" -d 'Agent'
complete -c git-agents -n "__fish_git_agents_using_subcommand approve" -f -a "(__fish_git_agents_names)" -d 'Agent'
complete -c git-agents -n "__fish_git_agents_using_subcommand pr" -f -a "(__fish_git_agents_names)" -d 'Agent'
complete -c git-agents -n "__fish_git_agents_using_subcommand merge" -f -a "(__fish_git_agents_names)" -d 'Agent'
complete -c git-agents -n "__fish_git_agents_using_subcommand finish" -f -a "(__fish_git_agents_names)" -d 'Agent'
