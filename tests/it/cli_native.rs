//! Feeling like part of git: settings from git config, man pages that render cleanly,
//! completions that work through git's own completion in bash, zsh and fish, the
//! generated files kept up to date, `install-man`, and the global flags on every command.

use crate::common;

use std::path::{Path, PathBuf};

use common::{Repo, bin_dir};

fn plan_json(repo: &Repo) -> serde_json::Value {
    repo.agents(&["plan", "show", "--json"]).ok().json()
}

fn worktree_of(plan: &serde_json::Value, name: &str) -> String {
    plan["agents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == name)
        .unwrap_or_else(|| panic!("no {name} in {plan}"))["worktree"]
        .as_str()
        .unwrap()
        .to_owned()
}

const TOML_PLAN: &str = r#"
base = "main"
worktrees_dir = "from-plan"

[[agents]]
name = "api"
tasks = ["Design endpoints (4h)"]

[[agents]]
name = "web"
worktree = "elsewhere/web"
tasks = ["Build pages (2h)"]
"#;

#[test]
fn git_config_beats_the_plan_and_a_flag_beats_git_config() {
    let repo = Repo::new();
    repo.git(&["branch", "dev"]);
    repo.git(&["branch", "release"]);
    repo.write("plan.toml", TOML_PLAN);
    repo.git(&["config", "agents.base", "dev"]);
    repo.git(&["config", "agents.worktreesDir", "from-config"]);

    let init = repo.agents(&["init", "--plan", "plan.toml", "--json"]).ok();
    assert_eq!(init.json()["base"], "dev");
    assert_eq!(init.json()["worktrees_dir"], "from-config");
    let plan = plan_json(&repo);
    assert_eq!(worktree_of(&plan, "api"), "from-config/api");
    assert_eq!(worktree_of(&plan, "web"), "elsewhere/web");

    let init = repo
        .agents(&[
            "init",
            "--plan",
            "plan.toml",
            "--force",
            "--base",
            "release",
            "--worktrees-dir",
            "from-flag",
            "--json",
        ])
        .ok();
    assert_eq!(init.json()["base"], "release");
    assert_eq!(worktree_of(&plan_json(&repo), "api"), "from-flag/api");

    repo.git(&["config", "--unset", "agents.base"]);
    repo.git(&["config", "--unset", "agents.worktreesDir"]);
    let init = repo
        .agents(&["init", "--plan", "plan.toml", "--force", "--json"])
        .ok();
    assert_eq!(init.json()["base"], "main");
    assert_eq!(init.json()["worktrees_dir"], "from-plan");
    assert_eq!(worktree_of(&plan_json(&repo), "api"), "from-plan/api");
}

#[test]
fn defaults_apply_when_nothing_is_configured() {
    let repo = Repo::new();
    repo.git(&["checkout", "-q", "-b", "trunk"]);
    let init = repo.agents(&["init", "--json"]).ok();
    assert_eq!(init.json()["base"], "trunk");
    assert_eq!(init.json()["worktrees_dir"], "worktrees");
}

#[test]
fn git_dash_c_and_config_env_settings_are_honoured() {
    let repo = Repo::new();
    repo.git(&["branch", "dev"]);
    let run = repo
        .command("git", &repo.root)
        .args(["-c", "agents.base=dev", "agents", "init", "--json"])
        .output()
        .unwrap();
    assert!(run.status.success(), "{run:?}");
    let json: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(json["base"], "dev");

    let run = repo
        .command("git", &repo.root)
        .args(["agents", "init", "--force", "--json"])
        .env("GIT_CONFIG_COUNT", "1")
        .env("GIT_CONFIG_KEY_0", "agents.worktreesDir")
        .env("GIT_CONFIG_VALUE_0", "../trees")
        .output()
        .unwrap();
    assert!(run.status.success(), "{run:?}");
    let json: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(json["worktrees_dir"], "../trees");
}

#[test]
fn a_configured_base_that_does_not_exist_names_the_setting() {
    let repo = Repo::new();
    repo.git(&["config", "agents.base", "nope"]);
    let before = repo.refs();
    repo.agents(&["init"])
        .fails(2)
        .says("\"nope\" does not exist")
        .says("git config agents.base");
    assert_eq!(repo.refs(), before);
}

#[test]
fn add_puts_new_agents_in_the_configured_worktrees_dir() {
    let repo = Repo::new();
    repo.agents(&["init"]).ok();
    repo.agents(&["add", "first"]).ok();
    repo.git(&["config", "agents.worktreesDir", "trees"]);
    repo.agents(&["add", "second"]).ok();
    repo.agents(&["add", "third", "--worktree", "custom/third"])
        .ok();
    let plan = plan_json(&repo);
    assert_eq!(worktree_of(&plan, "first"), "worktrees/first");
    assert_eq!(worktree_of(&plan, "second"), "trees/second");
    assert_eq!(worktree_of(&plan, "third"), "custom/third");
}

#[test]
fn worktrees_a_plan_puts_outside_the_worktrees_dir_move_into_it() {
    let repo = Repo::new();
    repo.git(&["config", "agents.worktreesDir", "trees"]);
    repo.init_example();
    let plan = plan_json(&repo);
    assert_eq!(plan["worktrees_dir"], "trees");
    // The example says worktrees/backend-agent; the configured directory is trees, the
    // one excluded from git status, so the worktree goes there.
    assert_eq!(worktree_of(&plan, "backend-agent"), "trees/backend-agent");
    let spawn = repo
        .agents(&["spawn", "backend-agent", "--json"])
        .ok()
        .json();
    let worktree = PathBuf::from(spawn["spawned"][0]["worktree"].as_str().unwrap());
    assert!(worktree.ends_with("trees/backend-agent"), "{worktree:?}");
    assert!(worktree.is_dir());
}

// ---------------------------------------------------------------------------
// Tools the shell tests drive. .ci/run installs them; elsewhere a missing one skips
// its test with a note, and in CI (CI set) a missing one fails it.

fn available(what: &str, present: bool) -> bool {
    if present {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{what} is not installed; .ci/run installs it"
    );
    eprintln!("skipped: {what} is not installed");
    false
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}

fn source_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// git's own bash completion script, wherever this system keeps it.
fn git_bash_completion() -> Option<PathBuf> {
    let mut candidates = vec![
        PathBuf::from("/usr/share/bash-completion/completions/git"),
        PathBuf::from("/usr/share/git-core/contrib/completion/git-completion.bash"),
        PathBuf::from("/usr/share/git/completion/git-completion.bash"),
        PathBuf::from("/etc/bash_completion.d/git"),
    ];
    if let Ok(out) = std::process::Command::new("git")
        .arg("--exec-path")
        .output()
    {
        let exec = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if let Some(prefix) = exec.parent().and_then(|p| p.parent()) {
            candidates.push(prefix.join("share/git-core/contrib/completion/git-completion.bash"));
        }
    }
    candidates.into_iter().find(|p| p.is_file())
}

/// Run `command`, killing it after `seconds`; returns (exit code, stdout, stderr).
fn run_with_timeout(mut command: std::process::Command, seconds: u64) -> (i32, String, String) {
    use std::io::Read;
    let mut child = command
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("starts");
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out_reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stdout.read_to_string(&mut text);
        text
    });
    let err_reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(seconds);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{command:?} did not finish within {seconds}s");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    (
        status.code().unwrap_or(-1),
        out_reader.join().unwrap(),
        err_reader.join().unwrap(),
    )
}

/// A repository with the example plan's eight agents in its state ref.
fn repo_with_agents() -> Repo {
    let repo = Repo::new();
    repo.init_example();
    repo
}

use crate::common::EXAMPLE_AGENTS as AGENTS;

fn sorted(items: impl IntoIterator<Item = impl Into<String>>) -> Vec<String> {
    let mut items: Vec<String> = items.into_iter().map(Into::into).collect();
    items.sort();
    items
}

// ---------------------------------------------------------------------------
// bash

/// The bash that completes a command line the way pressing TAB does: COMP_* set from
/// the line, then git's completion entry point (or ours for `git-agents`), then
/// COMPREPLY printed one entry per line between brackets.
const BASH_DRIVER: &str = r#"
complete_line () {
	local line="$1"
	COMP_LINE="$line"
	COMP_POINT=${#line}
	read -ra COMP_WORDS <<< "$line"
	[[ $line == *" " ]] && COMP_WORDS+=("")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMPREPLY=()
	local function
	function=$(complete -p "${COMP_WORDS[0]}" 2>/dev/null | sed -n 's/.*-F \([^ ]*\) .*/\1/p')
	if [ -z "$function" ]; then
		_completion_loader "${COMP_WORDS[0]}"
		function=$(complete -p "${COMP_WORDS[0]}" 2>/dev/null | sed -n 's/.*-F \([^ ]*\) .*/\1/p')
	fi
	"$function" "${COMP_WORDS[0]}" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
	local reply
	for reply in "${COMPREPLY[@]}"; do
		printf '[%s]\n' "$reply"
	done
	printf '%s\n' '--'
}
"#;

/// Complete each line in bash; returns one list of COMPREPLY entries per line.
fn bash_complete(repo: &Repo, dir: &Path, prelude: &str, lines: &[&str]) -> Vec<Vec<String>> {
    let mut script = String::from(prelude);
    script.push_str(BASH_DRIVER);
    for line in lines {
        script.push_str(&format!("complete_line '{line}'\n"));
    }
    let mut command = repo.command("bash", dir);
    command.args(["--norc", "--noprofile", "-c", &script]);
    let (code, stdout, stderr) = run_with_timeout(command, 60);
    assert_eq!(code, 0, "bash failed:\n{stdout}\n{stderr}");
    let replies: Vec<Vec<String>> = stdout
        .split("--\n")
        .map(|block| {
            block
                .lines()
                .filter_map(|l| l.strip_prefix('[').and_then(|l| l.strip_suffix(']')))
                .map(str::to_owned)
                .collect()
        })
        .take(lines.len())
        .collect();
    assert_eq!(replies.len(), lines.len(), "{stdout}\n{stderr}");
    replies
}

fn bash_prelude(git_completion: &Path, ours: Option<&Path>) -> String {
    let mut prelude = format!(
        "source /usr/share/bash-completion/bash_completion\nsource '{}'\n",
        git_completion.display()
    );
    if let Some(ours) = ours {
        prelude.push_str(&format!("source '{}'\n", ours.display()));
    }
    prelude
}

#[test]
fn bash_completes_git_agents_through_gits_own_completion() {
    let bash_completion = Path::new("/usr/share/bash-completion/bash_completion").is_file();
    let git_completion = git_bash_completion();
    if !available("bash-completion", bash_completion)
        || !available("git's bash completion", git_completion.is_some())
    {
        return;
    }
    let repo = repo_with_agents();
    let ours = source_dir().join("completions/git-agents.bash");
    let prelude = bash_prelude(&git_completion.unwrap(), Some(&ours));
    let root = repo.root.display().to_string();
    let outside = format!("git -C {root} agents log ");
    let replies = bash_complete(
        &repo,
        &repo.root,
        &prelude,
        &[
            "git agents sp",
            "git agents spawn ",
            "git agents spawn security-agent back",
            "git agents status fr",
            "git agents task done 1 --agent rag",
            "git agents task done 1 --agent=doc",
            "git agents update --agent ",
            "git agents task ",
            "git agents --color ",
            "git agents plan export --format t",
            "git agents ",
            "git-agents sp",
            "git-agents remove git",
            "git agents task done ",
        ],
    );
    let with_space = |names: &[&str]| sorted(names.iter().map(|n| format!("{n} ")));
    assert_eq!(replies[0], ["spawn "]);
    assert_eq!(sorted(replies[1].clone()), with_space(&AGENTS));
    assert_eq!(replies[2], ["backend-agent "]);
    assert_eq!(replies[3], ["frontend-agent "]);
    assert_eq!(replies[4], ["rag-agent "]);
    assert_eq!(replies[5], ["docs-agent "]);
    assert_eq!(sorted(replies[6].clone()), with_space(&AGENTS));
    assert_eq!(
        sorted(replies[7].clone()),
        with_space(&["done", "help", "start", "undo"])
    );
    assert_eq!(
        sorted(replies[8].clone()),
        with_space(&["always", "auto", "never"])
    );
    assert_eq!(replies[9], ["toml "]);
    assert!(
        replies[10].contains(&"spawn ".to_owned()),
        "{:?}",
        replies[10]
    );
    assert!(
        replies[10].iter().all(|r| !r.starts_with('-')),
        "options only after a dash, like git: {:?}",
        replies[10]
    );
    assert!(
        replies[10].iter().all(|r| !r.starts_with("__")),
        "{:?}",
        replies[10]
    );
    assert_eq!(replies[11], ["spawn"]);
    assert_eq!(replies[12], ["github-agent"]);
    assert!(
        replies[13].iter().all(|r| !AGENTS.contains(&r.trim())),
        "a task number is not an agent: {:?}",
        replies[13]
    );

    let outside_dir = tempfile::tempdir().unwrap();
    let replies = bash_complete(
        &repo,
        outside_dir.path(),
        &prelude,
        &[&outside, "git agents status "],
    );
    assert_eq!(sorted(replies[0].clone()), with_space(&AGENTS));
    assert!(
        replies[1].is_empty(),
        "no repository, no names: {:?}",
        replies[1]
    );
}

#[test]
fn bash_completion_loads_the_installed_script_by_itself() {
    let bash_completion = Path::new("/usr/share/bash-completion/bash_completion").is_file();
    let git_completion = git_bash_completion();
    if !available("bash-completion", bash_completion)
        || !available("git's bash completion", git_completion.is_some())
    {
        return;
    }
    let repo = repo_with_agents();
    let installed = repo
        .home
        .join(".local/share/bash-completion/completions/git-agents");
    std::fs::create_dir_all(installed.parent().unwrap()).unwrap();
    std::fs::copy(source_dir().join("completions/git-agents.bash"), &installed).unwrap();
    let prelude = bash_prelude(&git_completion.unwrap(), None);
    let replies = bash_complete(
        &repo,
        &repo.root,
        &prelude,
        &["git agents spawn dev", "git-agents status sec"],
    );
    assert_eq!(replies[0], ["devops-agent "]);
    assert_eq!(replies[1], ["security-agent"]);
}

// ---------------------------------------------------------------------------
// zsh

/// Sourced inside an interactive zsh on a pseudo-terminal: compinit with our
/// completions first on fpath, and every match printed as <hit>…</hit>.
const ZSH_SETUP: &str = r#"
PROMPT='' RPROMPT=''
fpath=("$ZSH_TEST_COMPLETIONS" $fpath)
autoload -Uz compinit && compinit -u -D
zstyle ':completion:*' list-grouped false
zstyle ':completion:*' insert-tab false
zstyle ':completion:*' list-prompt ''
zstyle ':completion:*' menu no
compadd () {
	if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then
		builtin compadd "$@"
		return $?
	fi
	local -a hits
	builtin compadd -A hits "$@"
	local ret=$? hit
	for hit in $hits; do print -r -- "<hit>$hit</hit>"; done
	builtin compadd "$@"
	return $ret
}
__test_done () { print -r -- "<done>" }
comppostfuncs=(__test_done)
bindkey '^I' complete-word
print -r -- "<ready>"
"#;

/// Types "$1" and TAB into an interactive zsh and prints what completion offered.
const ZSH_DRIVER: &str = r#"
zmodload zsh/zpty
zpty shell zsh -f -i
zpty -w shell "source ${(q)ZSH_TEST_SETUP}"
zpty -r -m shell out '*<ready>*' || exit 3
zpty -w -n shell "$1"$'\t'
zpty -r -m shell out '*<done>*' || exit 4
print -r -- "$out"
zpty -d shell
"#;

fn zsh_complete(repo: &Repo, line: &str) -> Vec<String> {
    let scripts = tempfile::tempdir().unwrap();
    let setup = scripts.path().join("setup.zsh");
    let driver = scripts.path().join("driver.zsh");
    std::fs::write(&setup, ZSH_SETUP).unwrap();
    std::fs::write(&driver, ZSH_DRIVER).unwrap();
    let mut command = repo.command("zsh", &repo.root);
    command
        .args(["-f", driver.to_str().unwrap(), line])
        .env("ZSH_TEST_SETUP", &setup)
        .env("ZSH_TEST_COMPLETIONS", source_dir().join("completions"));
    let (code, stdout, stderr) = run_with_timeout(command, 60);
    assert_eq!(code, 0, "zsh failed on {line:?}:\n{stdout}\n{stderr}");
    let mut hits = Vec::new();
    for piece in stdout.split("<hit>").skip(1) {
        if let Some((hit, _)) = piece.split_once("</hit>") {
            hits.push(hit.to_owned());
        }
    }
    hits
}

#[test]
fn zsh_completes_git_agents_through_gits_zsh_completion() {
    if !available("zsh", on_path("zsh")) {
        return;
    }
    let repo = repo_with_agents();
    assert_eq!(zsh_complete(&repo, "git agents sp"), ["spawn"]);
    assert_eq!(
        sorted(zsh_complete(&repo, "git agents status ")),
        sorted(AGENTS)
    );
    assert_eq!(
        zsh_complete(&repo, "git agents task done 1 --agent fr"),
        ["frontend-agent"]
    );
    assert_eq!(
        zsh_complete(&repo, "git-agents spawn dev"),
        ["devops-agent"]
    );
}

// ---------------------------------------------------------------------------
// fish

fn fish_complete(repo: &Repo, line: &str) -> Vec<String> {
    let completions = repo.home.join(".config/fish/completions");
    std::fs::create_dir_all(&completions).unwrap();
    std::fs::copy(
        source_dir().join("completions/git-agents.fish"),
        completions.join("git-agents.fish"),
    )
    .unwrap();
    let mut command = repo.command("fish", &repo.root);
    command.args(["--no-config", "-c"]).arg(format!(
        "set fish_complete_path {} $fish_complete_path; complete -C '{line}'",
        completions.display()
    ));
    let (code, stdout, stderr) = run_with_timeout(command, 60);
    assert_eq!(code, 0, "fish failed on {line:?}:\n{stdout}\n{stderr}");
    stdout
        .lines()
        .map(|l| l.split('\t').next().unwrap_or_default().to_owned())
        .collect()
}

fn fish_version() -> Option<String> {
    let out = std::process::Command::new("fish")
        .args(["--no-config", "-c", "echo $version"])
        .output()
        .ok()?;
    Some(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

#[test]
fn fish_completes_git_agents() {
    if !available("fish", on_path("fish")) {
        return;
    }
    let repo = repo_with_agents();
    assert_eq!(fish_complete(&repo, "git-agents sp"), ["spawn"]);
    assert_eq!(
        sorted(fish_complete(&repo, "git-agents spawn ")),
        sorted(AGENTS)
    );
    assert_eq!(fish_complete(&repo, "git-agents status rag"), ["rag-agent"]);
    assert_eq!(
        fish_complete(&repo, "git-agents update --agent doc"),
        ["docs-agent"]
    );
    // fish 3.6.0 alone does not hand `git agents …` to git-agents completions
    // (fish-shell issue 9457); every other fish since 3.2 does.
    if fish_version().as_deref() != Some("3.6.0") {
        assert_eq!(fish_complete(&repo, "git agents sp"), ["spawn"]);
        assert_eq!(fish_complete(&repo, "git agents status rag"), ["rag-agent"]);
    }
}

// ---------------------------------------------------------------------------
// The generated files

fn checked_in(dir: &str) -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = std::fs::read_dir(source_dir().join(dir))
        .map(|entries| {
            entries
                .flatten()
                .map(|e| {
                    (
                        e.file_name().to_string_lossy().into_owned(),
                        std::fs::read_to_string(e.path()).unwrap_or_default(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

#[test]
fn checked_in_man_pages_and_completions_match_the_cli() {
    let repo = Repo::new();
    let out = tempfile::tempdir().unwrap();
    repo.agents(&["__generate", "--out", out.path().to_str().unwrap()])
        .ok();
    for dir in ["man", "completions"] {
        let mut generated: Vec<(String, String)> = std::fs::read_dir(out.path().join(dir))
            .unwrap()
            .flatten()
            .map(|e| {
                (
                    e.file_name().to_string_lossy().into_owned(),
                    std::fs::read_to_string(e.path()).unwrap(),
                )
            })
            .collect();
        generated.sort();
        let shipped = checked_in(dir);
        let names = |files: &[(String, String)]| -> Vec<String> {
            files.iter().map(|(n, _)| n.clone()).collect()
        };
        let stale: Vec<String> = generated
            .iter()
            .filter(|file| !shipped.contains(file))
            .map(|(name, _)| name.clone())
            .chain(
                shipped
                    .iter()
                    .filter(|(name, _)| !names(&generated).contains(name))
                    .map(|(name, _)| name.clone()),
            )
            .collect();
        assert!(
            stale.is_empty(),
            "{dir}/ is out of date with the command definition ({}); regenerate it with:\n    cargo run -q -- __generate\nand commit the result",
            stale.join(", ")
        );
    }
}

#[test]
fn completions_command_prints_the_shipped_scripts() {
    let repo = Repo::new();
    for (shell, file) in [
        ("bash", "git-agents.bash"),
        ("zsh", "_git-agents"),
        ("fish", "git-agents.fish"),
    ] {
        let printed = repo.agents(&["completions", shell]).ok().stdout;
        let shipped = std::fs::read_to_string(source_dir().join("completions").join(file)).unwrap();
        assert!(
            printed == shipped,
            "completions {shell} differs from completions/{file}"
        );
        let json = repo.agents(&["completions", shell, "--json"]).ok().json();
        assert_eq!(json["shell"], shell);
        assert_eq!(json["script"], shipped.as_str());
    }
    let zsh = std::fs::read_to_string(source_dir().join("completions/_git-agents")).unwrap();
    assert!(zsh.starts_with("#compdef git-agents"));
    assert!(zsh.contains("_git-agents()"));
    let fish = std::fs::read_to_string(source_dir().join("completions/git-agents.fish")).unwrap();
    assert!(fish.contains("complete -c git-agents"));
    let bash = std::fs::read_to_string(source_dir().join("completions/git-agents.bash")).unwrap();
    assert!(bash.contains("_git_agents ()"));
}

#[test]
fn every_man_page_renders_without_warnings() {
    if !available("groff", on_path("groff")) || !available("man", on_path("man")) {
        return;
    }
    let repo = Repo::new();
    let pages = checked_in("man");
    assert!(pages.len() > 10, "{pages:?}");
    for (name, _) in &pages {
        let path = source_dir().join("man").join(name);
        let run = repo
            .command("groff", &repo.root)
            .args(["-man", "-Tutf8", "-ww", "-z"])
            .arg(&path)
            .output()
            .unwrap();
        let warnings = String::from_utf8_lossy(&run.stderr);
        assert!(
            run.status.success() && warnings.trim().is_empty(),
            "groff warns about {name}:\n{warnings}"
        );
        let run = repo
            .command("man", &repo.root)
            .arg("-l")
            .arg(&path)
            .env("MANPAGER", "cat")
            .env("MANWIDTH", "80")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&run.stdout);
        assert!(run.status.success(), "man -l {name}: {run:?}");
        assert!(
            text.contains("NAME") && text.contains("SYNOPSIS"),
            "{name}: {text}"
        );
        assert!(
            String::from_utf8_lossy(&run.stderr).trim().is_empty(),
            "man -l {name}: {}",
            String::from_utf8_lossy(&run.stderr)
        );
    }
}

// ---------------------------------------------------------------------------
// install-man and git help agents

#[test]
fn install_man_makes_git_help_agents_work_without_root() {
    if !available("man", on_path("man")) {
        return;
    }
    let repo = Repo::new();
    let run = repo.agents(&["install-man"]).ok();
    let man_dir = repo.home.join(".local/share/man");
    let page = man_dir.join("man1/git-agents.1");
    assert!(page.is_file(), "{}", run.stdout);
    assert_eq!(
        std::fs::read_to_string(&page).unwrap(),
        std::fs::read_to_string(source_dir().join("man/git-agents.1")).unwrap()
    );
    for (name, text) in checked_in("man") {
        assert_eq!(
            std::fs::read_to_string(man_dir.join("man1").join(&name)).unwrap(),
            text,
            "{name}"
        );
    }
    let manpath = man_dir.display().to_string();
    let run_with_manpath = |program: &str, args: &[&str]| {
        repo.command(program, &repo.root)
            .args(args)
            .env("MANPATH", &manpath)
            .env("MANPAGER", "cat")
            .env("PAGER", "cat")
            .env("GIT_PAGER", "cat")
            .env("MANWIDTH", "80")
            .output()
            .unwrap()
    };
    let found = run_with_manpath("man", &["-w", "git-agents"]);
    assert!(found.status.success(), "{found:?}");
    assert_eq!(
        PathBuf::from(String::from_utf8_lossy(&found.stdout).trim()),
        page
    );
    let found = run_with_manpath("man", &["-w", "git-agents-spawn"]);
    assert!(found.status.success(), "{found:?}");
    for args in [&["help", "agents"][..], &["agents", "--help"][..]] {
        let help = run_with_manpath("git", args);
        let text = String::from_utf8_lossy(&help.stdout);
        assert!(help.status.success(), "git {args:?}: {help:?}");
        assert!(text.contains("STATE LAYOUT"), "git {args:?}: {text}");
    }

    let custom = repo.tmp.path().join("custom-man");
    let json = repo
        .agents(&["install-man", "--dir", custom.to_str().unwrap(), "--json"])
        .ok()
        .json();
    assert_eq!(json["dir"], custom.to_str().unwrap());
    assert!(custom.join("man1/git-agents-task-done.1").is_file());
    assert_eq!(
        json["pages"].as_array().unwrap().len(),
        checked_in("man").len()
    );
    if json["on_manpath"] == false {
        repo.agents(&["install-man", "--dir", custom.to_str().unwrap()])
            .ok()
            .says("export MANPATH=");
    }
    let blocked = repo.tmp.path().join("a-file");
    std::fs::write(&blocked, "").unwrap();
    repo.agents(&["install-man", "--dir", blocked.to_str().unwrap()])
        .fails(2)
        .says("cannot write");
}

#[test]
fn installed_in_a_bin_directory_the_pages_go_where_man_looks_by_itself() {
    if !available("man", on_path("man")) {
        return;
    }
    let repo = Repo::new();
    let prefix = repo.tmp.path().join("prefix");
    let bin = prefix.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::copy(bin_dir().join("git-agents"), bin.join("git-agents")).unwrap();
    // Only the installed copy on PATH, as after `cargo install`.
    let path = format!("{}:/usr/bin:/bin", bin.display());
    let env = [("PATH".to_owned(), path.clone())];
    let run = repo.agents_with(&repo.root, &["install-man"], &env).ok();
    let page = prefix.join("share/man/man1/git-agents.1");
    assert!(page.is_file(), "{}", run.stdout);
    run.prints("git help agents and git agents --help now show the manual.");
    let help = repo
        .command("git", &repo.root)
        .args(["agents", "--help"])
        .env("PATH", &path)
        .env_remove("MANPATH")
        .env("MANPAGER", "cat")
        .env("PAGER", "cat")
        .env("MANWIDTH", "80")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&help.stdout);
    assert!(help.status.success(), "{help:?}");
    assert!(text.contains("STATE LAYOUT"), "{text}");
}

// ---------------------------------------------------------------------------
// Global flags on every subcommand

/// Every subcommand as a user runs it on the example plan, in an order that works:
/// (its man page's name without `git-agents-`, its arguments, whether it only reads).
fn every_subcommand(repo: &Repo) -> Vec<(&'static str, Vec<String>, bool)> {
    let example = common::example_plan().display().to_string();
    let man_dir = repo.tmp.path().join("man").display().to_string();
    let demo_dir = repo.tmp.path().join("demo").display().to_string();
    let owned = |args: &[&str]| args.iter().map(|a| a.to_string()).collect::<Vec<_>>();
    let remote = repo.tmp.path().join("remote.git");
    repo.git(&["init", "-q", "--bare", remote.to_str().unwrap()]);
    repo.git(&["remote", "add", "origin", remote.to_str().unwrap()]);
    repo.git(&["config", "agents.testCommand", "true"]);
    repo.git(&["config", "agents.reviewCommand", "echo Score: 10/10"]);
    repo.git(&["config", "core.editor", "true"]);
    // Only task 1 is ever marked done here; the walk is about the command line.
    repo.git(&["config", "agents.requireTasksDone", "false"]);
    vec![
        (
            "init",
            owned(&["init", "--force", "--plan", &example]),
            false,
        ),
        ("plan", owned(&["plan"]), true),
        ("plan-show", owned(&["plan", "show"]), true),
        ("plan-check", owned(&["plan", "check", &example]), true),
        ("plan-example", owned(&["plan", "example"]), true),
        (
            "plan-export",
            owned(&["plan", "export", "--format", "toml"]),
            true,
        ),
        ("status", owned(&["status"]), true),
        ("status", owned(&["status", "backend-agent"]), true),
        (
            "add",
            owned(&["add", "zed", "--task", "Write it (1h)"]),
            false,
        ),
        ("remove", owned(&["remove", "zed"]), false),
        (
            "edit",
            owned(&["edit", "docs-agent", "--title", "Docs"]),
            false,
        ),
        ("plan-edit", owned(&["plan", "edit"]), false),
        ("spawn", owned(&["spawn", "security-agent"]), false),
        (
            "task-start",
            owned(&["task", "start", "1", "--agent", "security-agent"]),
            false,
        ),
        (
            "task-done",
            owned(&["task", "done", "1", "--agent", "security-agent"]),
            false,
        ),
        (
            "task-undo",
            owned(&["task", "undo", "1", "--agent", "security-agent"]),
            false,
        ),
        (
            "update",
            owned(&["update", "--agent", "security-agent", "--note", "n"]),
            false,
        ),
        (
            "comment",
            owned(&["comment", "security-agent", "keep the old endpoint"]),
            false,
        ),
        ("brief", owned(&["brief", "security-agent"]), true),
        (
            "run",
            owned(&[
                "run",
                "security-agent",
                "--exec",
                "echo work > work.txt && git add work.txt && git commit -qm work",
            ]),
            false,
        ),
        ("diff", owned(&["diff", "security-agent", "--stat"]), true),
        ("test", owned(&["test", "--agent", "security-agent"]), false),
        (
            "review",
            owned(&["review", "--agent", "security-agent"]),
            false,
        ),
        ("approve", owned(&["approve", "security-agent"]), false),
        ("pr", owned(&["pr", "security-agent"]), false),
        ("queue", owned(&["queue"]), true),
        ("queue-run", owned(&["queue", "run", "--dry-run"]), true),
        (
            "merge",
            owned(&["merge", "security-agent", "--dry-run"]),
            true,
        ),
        (
            "finish",
            owned(&["finish", "security-agent", "--abandon", "--force"]),
            false,
        ),
        (
            "plan-timeline",
            owned(&["plan", "timeline", "--parallel", "3"]),
            true,
        ),
        ("conflicts", owned(&["conflicts"]), true),
        ("doctor", owned(&["doctor"]), false),
        ("log", owned(&["log", "-n", "3"]), true),
        ("sync", owned(&["sync"]), false),
        ("trust", owned(&["trust"]), false),
        (
            "demo",
            owned(&["demo", "--fast", "--dir", &demo_dir]),
            false,
        ),
        ("completions", owned(&["completions", "fish"]), true),
        (
            "install-man",
            owned(&["install-man", "--dir", &man_dir]),
            false,
        ),
    ]
}

#[test]
fn every_subcommand_is_covered_by_the_global_flag_tests() {
    let repo = Repo::new();
    let covered: Vec<&str> = every_subcommand(&repo)
        .iter()
        .map(|(page, _, _)| *page)
        .collect();
    for (name, _) in checked_in("man") {
        let Some(stem) = name
            .strip_prefix("git-agents-")
            .and_then(|n| n.strip_suffix(".1"))
        else {
            continue;
        };
        // attach and send need an agent running in tmux; live.rs drives them, send with
        // -C, --json and -q from outside the repository.
        if ["attach", "send"].contains(&stem) {
            continue;
        }
        assert!(
            covered
                .iter()
                .any(|c| *c == stem || c.starts_with(&format!("{stem}-"))),
            "git agents {} has no entry in every_subcommand() in tests/it/cli_native.rs; add one so -C, --json and -q are checked for it",
            stem.replace('-', " ")
        );
    }
}

#[test]
fn every_subcommand_runs_from_outside_with_dash_c_and_prints_json() {
    let repo = Repo::new();
    let outside = tempfile::tempdir().unwrap();
    let root = repo.root.display().to_string();
    for (_, args, _) in every_subcommand(&repo) {
        let mut full = vec!["-C", root.as_str()];
        full.extend(args.iter().map(String::as_str));
        full.push("--json");
        let run = repo.agents_in(outside.path(), &full).ok();
        if args[0] == "run" {
            let lines = run.json_lines();
            assert_eq!(lines.last().unwrap()["event"], "report", "{}", run.stdout);
        } else {
            run.json();
        }
    }
    let status = repo.status_json();
    assert_eq!(status["agents"].as_array().unwrap().len(), 8);
    let log = repo.agents(&["log", "--json"]).ok().json();
    let summaries: Vec<&str> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["summary"].as_str().unwrap())
        .collect();
    assert!(
        summaries.iter().any(|s| s.contains("spawn security-agent")),
        "{summaries:?}"
    );
}

#[test]
fn quiet_keeps_only_what_was_asked_for_and_flags_go_after_the_subcommand_too() {
    let repo = Repo::new();
    let outside = tempfile::tempdir().unwrap();
    let root = repo.root.display().to_string();
    for (_, args, reads) in every_subcommand(&repo) {
        let mut full: Vec<&str> = args.iter().map(String::as_str).collect();
        full.extend(["-q", "-C", root.as_str()]);
        let run = repo.agents_in(outside.path(), &full).ok();
        if reads {
            assert!(!run.stdout.trim().is_empty(), "{args:?} printed nothing");
        } else {
            assert_eq!(run.stdout, "", "{args:?} is not quiet");
        }
        assert_eq!(run.stderr, "", "{args:?} wrote to stderr");
    }
}

#[test]
fn json_errors_carry_the_exit_code() {
    let repo = Repo::new();
    repo.agents(&["init"]).ok();
    let run = repo.agents(&["status", "nobody", "--json"]).fails(2);
    let json = run.json();
    assert_eq!(json["exit_code"], 2);
    assert!(json["error"].as_str().unwrap().contains("nobody"));
}

#[test]
fn a_closed_pipe_ends_output_quietly() {
    let repo = Repo::new();
    for args in [
        &["completions", "bash", "--json"][..],
        &["completions", "zsh"][..],
    ] {
        let mut child = repo
            .command("git", &repo.root)
            .arg("agents")
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
    }
}

#[test]
fn git_dir_and_work_tree_choose_the_repository_like_git() {
    let repo = repo_with_agents();
    let outside = tempfile::tempdir().unwrap();
    let git_dir = repo.root.join(".git");
    let status = repo
        .command("git", outside.path())
        .args(["--git-dir", git_dir.to_str().unwrap()])
        .args(["--work-tree", repo.root.to_str().unwrap()])
        .args(["agents", "status", "--json"])
        .output()
        .unwrap();
    assert!(status.status.success(), "{status:?}");
    let json: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(json["agents"].as_array().unwrap().len(), 8);
    let names = repo
        .command("git", outside.path())
        .args(["agents", "__complete", "agents"])
        .env("GIT_DIR", &git_dir)
        .output()
        .unwrap();
    assert_eq!(
        sorted(String::from_utf8_lossy(&names.stdout).lines()),
        sorted(AGENTS)
    );
}

#[test]
fn colour_follows_the_flag_then_no_color_then_clicolor_force() {
    let repo = repo_with_agents();
    let status = |args: &[&str], env: &[(&str, &str)]| -> bool {
        let mut command = repo.command("git", &repo.root);
        command
            .args(["agents", "status"])
            .args(args)
            .env_remove("NO_COLOR");
        for (key, value) in env {
            command.env(key, value);
        }
        let out = command.output().unwrap();
        assert!(out.status.success(), "{out:?}");
        String::from_utf8_lossy(&out.stdout).contains('\u{1b}')
    };
    assert!(!status(&[], &[]), "a pipe gets no colour by default");
    assert!(status(&["--color", "always"], &[("NO_COLOR", "1")]));
    assert!(status(&[], &[("CLICOLOR_FORCE", "1")]));
    assert!(!status(&[], &[("CLICOLOR_FORCE", "0")]));
    assert!(!status(&[], &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]));
    assert!(!status(&["--color=never"], &[("CLICOLOR_FORCE", "1")]));
}

#[test]
fn verbose_reports_progress_and_quiet_and_verbose_conflict() {
    let repo = repo_with_agents();
    let run = repo.agents(&["spawn", "security-agent", "-v"]).ok();
    assert!(
        !run.stderr.trim().is_empty(),
        "spawn -v said nothing on stderr"
    );
    let quiet = repo.agents(&["spawn", "rag-agent", "-q"]).ok();
    assert_eq!(quiet.stderr, "");
    repo.agents(&["status", "-q", "-v"]).fails(2);
}

/// Each subcommand's options are put together only when it runs, so its summary is
/// given twice in the source: once for the list in `git agents --help`, once for its
/// own help. The two must say the same thing.
#[test]
fn each_subcommand_summary_is_the_same_in_the_list_and_in_its_own_help() {
    let repo = Repo::new();
    let list = repo.agents(&["-h"]).ok().stdout;
    let mut summaries: Vec<(String, String)> = Vec::new();
    for line in list
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
    {
        let indent = line.len() - line.trim_start().len();
        match (indent, summaries.last_mut()) {
            (2, _) => {
                let (name, summary) = line.trim().split_once(' ').unwrap();
                summaries.push((name.to_owned(), summary.trim().to_owned()));
            }
            (_, Some((_, summary))) => {
                summary.push(' ');
                summary.push_str(line.trim());
            }
            _ => panic!("unexpected line in the command list: {line}"),
        }
    }
    assert!(summaries.len() > 20, "{list}");
    for (name, summary) in summaries.iter().filter(|(name, _)| name != "help") {
        let own = repo.agents(&[name.as_str(), "-h"]).ok().stdout;
        let first = own
            .lines()
            .take_while(|l| !l.trim().is_empty())
            .map(str::trim)
            .collect::<Vec<_>>()
            .join(" ");
        assert_eq!(&first, summary, "git agents {name} -h");
    }
}
