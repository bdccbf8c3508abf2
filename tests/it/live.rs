//! Looking into an agent's work and leaving it a word: `diff` shows what it produced
//! against base (uncommitted work too), `comment` leaves a remark it sees in its brief.

use crate::common;

use std::path::Path;

use common::Repo;

#[test]
fn diff_shows_the_agents_commits_and_uncommitted_work_against_base() {
    let repo = Repo::new();
    repo.init_example();
    repo.agents(&["diff", "security-agent"])
        .fails(1)
        .says("spawn it first");
    repo.agents(&["spawn", "security-agent"]).ok();
    repo.agents(&["diff", "security-agent"])
        .ok()
        .prints("has changed nothing against main yet");
    let dir = repo.worktree("security-agent");
    repo.commit_in(&dir, "auth.rs", "fn login() {}\n", "login");
    std::fs::write(dir.join("README.md"), "changed, not committed\n").unwrap();
    // Base moves on meanwhile: its change is not the agent's.
    repo.write("base.txt", "base\n");
    repo.git(&["add", "base.txt"]);
    repo.git(&["commit", "-q", "-m", "base moves"]);

    let patch = repo.agents(&["diff", "security-agent"]).ok();
    patch.prints("+fn login() {}");
    patch.prints("+changed, not committed");
    assert!(!patch.stdout.contains("base.txt"), "{}", patch.stdout);
    assert!(!patch.stdout.contains('\u{1b}'), "no colour off a terminal");

    let stat = repo.agents(&["diff", "security-agent", "--stat"]).ok();
    stat.prints("auth.rs");
    stat.prints("2 files changed");

    let json = repo
        .agents(&["diff", "security-agent", "--json"])
        .ok()
        .json();
    let files: Vec<&str> = json["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(files, ["README.md", "auth.rs"]);
    assert_eq!(json["files"][1]["added"], 1);
    assert!(json["worktree"].is_string());

    // From the agent's own worktree, the agent is inferred.
    repo.agents_in(&dir, &["diff", "--stat"])
        .ok()
        .prints("auth.rs");
}

#[test]
fn a_comment_shows_in_the_brief_and_the_audit_log() {
    let repo = Repo::new();
    repo.init_example();
    repo.agents(&["comment", "backend-agent", "keep the v1 routes working"])
        .ok()
        .prints("left a comment for backend-agent");
    repo.agents(&["comment", "backend-agent", " "])
        .fails(2)
        .says("a comment needs text");
    let brief = repo.agents(&["brief", "backend-agent"]).ok().stdout;
    assert!(brief.contains("## Comments"), "{brief}");
    assert!(brief.contains("keep the v1 routes working"), "{brief}");
    let json = repo
        .agents(&["brief", "backend-agent", "--json"])
        .ok()
        .json();
    assert_eq!(json["comments"][0]["text"], "keep the v1 routes working");
    repo.agents(&["log", "backend-agent"])
        .ok()
        .prints("comment backend-agent: keep the v1 routes working");
}

#[test]
fn comments_go_with_the_findings_when_run_sends_the_agent_back() {
    let repo = Repo::new();
    repo.init_example();
    repo.git(&["config", "agents.approvals", "0"]);
    repo.git(&["config", "agents.requireTasksDone", "false"]);
    repo.git(&["config", "agents.requireTests", "false"]);
    repo.git(&[
        "config",
        "agents.reviewCommand",
        "if test -f fixed.txt; then echo 'Score: 10/10'; else echo 'Score: 2/10'; fi",
    ]);
    repo.agents(&["comment", "security-agent", "use argon2, not md5"])
        .ok();
    let seen = repo.tmp.path().join("seen.txt");
    let exec = format!(
        "if test -n \"$GIT_AGENTS_REVIEW_FILE\"; then cp \"$GIT_AGENTS_REVIEW_FILE\" '{}'; echo f > fixed.txt; else echo w > w.txt; fi; git add . && git commit -qm work",
        seen.display()
    );
    repo.agents(&["run", "security-agent", "--exec", &exec])
        .ok();
    let findings = std::fs::read_to_string(&seen).unwrap();
    assert!(findings.contains("use argon2, not md5"), "{findings}");
}

/// Stand-ins for coding-agent programs, first on PATH: each writes the arguments it got,
/// one per line, to `<name>-<agent>.args` beside the repository, then commits a file.
fn fake_agent_programs(repo: &Repo, names: &[&str]) -> Vec<(String, String)> {
    let dir = repo.tmp.path().join("agent-programs");
    std::fs::create_dir_all(&dir).unwrap();
    for name in names {
        let script = dir.join(name);
        std::fs::write(
            &script,
            format!(
                "#!/bin/sh\nprintf '%s\\n' \"$@\" > '{}/{name}-'\"$GIT_AGENTS_AGENT\".args\necho work > \"$GIT_AGENTS_AGENT.txt\"\ngit add . && git commit -qm work\n",
                repo.tmp.path().display()
            ),
        )
        .unwrap();
        let mut mode = std::fs::metadata(&script).unwrap().permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut mode, 0o755);
        std::fs::set_permissions(&script, mode).unwrap();
    }
    let path = repo
        .envs()
        .into_iter()
        .find(|(k, _)| k == "PATH")
        .map(|(_, p)| format!("{}:{p}", dir.display()))
        .unwrap();
    vec![("PATH".to_owned(), path)]
}

fn args_of(repo: &Repo, program: &str, agent: &str) -> Vec<String> {
    std::fs::read_to_string(repo.tmp.path().join(format!("{program}-{agent}.args")))
        .unwrap_or_else(|e| panic!("{program} did not run for {agent}: {e}"))
        .split('\n')
        .map(str::to_owned)
        .collect()
}

#[test]
fn agent_cli_runs_a_known_program_with_the_brief_as_its_prompt() {
    let repo = Repo::new();
    repo.init_example();
    let env = fake_agent_programs(&repo, &["claude", "codex", "gemini", "aider", "opencode"]);
    repo.agents_with(
        &repo.root,
        &[
            "run",
            "security-agent",
            "--agent-cli",
            "claude",
            "--no-deliver",
        ],
        &env,
    )
    .ok();
    let args = args_of(&repo, "claude", "security-agent");
    assert_eq!(args[0], "-p");
    assert!(
        args[1].starts_with("# security-agent"),
        "the brief is the prompt: {args:?}"
    );
    assert!(args.iter().any(|a| a == "## Tasks"), "{args:?}");
    let tail: Vec<&str> = args
        .iter()
        .rev()
        .skip(1)
        .take(2)
        .map(String::as_str)
        .collect();
    assert_eq!(tail, ["acceptEdits", "--permission-mode"]);

    for (program, first) in [
        ("codex", "exec"),
        ("gemini", "--yolo"),
        ("aider", "--yes-always"),
        ("opencode", "run"),
    ] {
        let agent = "frontend-agent";
        repo.agents_with(
            &repo.root,
            &[
                "run",
                agent,
                "--agent-cli",
                program,
                "--no-deliver",
                "--no-retry",
            ],
            &env,
        )
        .ok();
        assert_eq!(args_of(&repo, program, agent)[0], first, "{program}");
        repo.agents(&["update", "--agent", agent, "--status", "in_progress"])
            .ok();
        let dir = repo.worktree(agent);
        repo.git_in(&dir, &["reset", "-q", "--hard", "HEAD~1"]);
    }
}

#[test]
fn a_plans_cli_and_one_named_in_git_config_run_too_and_an_unknown_one_is_refused() {
    let repo = Repo::new();
    let plan = repo.tmp.path().join("plan.toml");
    std::fs::write(
        &plan,
        "[[agents]]\nname = \"api\"\ncli = \"aider\"\ntasks = [\"Routes (2h)\"]\n\n\
         [[agents]]\nname = \"web\"\ncli = \"mine\"\ntasks = [\"Page (1h)\"]\n",
    )
    .unwrap();
    repo.agents(&["init", "--plan", plan.to_str().unwrap()])
        .ok();
    let env = fake_agent_programs(&repo, &["aider", "mine"]);
    repo.agents_with(&repo.root, &["run", "--no-deliver"], &env)
        .fails(2)
        .says("no coding-agent program is called \"mine\"")
        .says("git config agents.cli.mine");
    repo.git(&[
        "config",
        "agents.cli.mine",
        "mine --task {prompt} --who {agent}",
    ]);
    repo.agents_with(&repo.root, &["run", "--no-deliver"], &env)
        .ok();
    let aider = args_of(&repo, "aider", "api");
    assert_eq!(&aider[..2], ["--yes-always", "--message"]);
    assert!(aider[2].starts_with("# api"), "{aider:?}");
    let mine = args_of(&repo, "mine", "web");
    assert_eq!(mine[0], "--task");
    assert!(mine[1].starts_with("# web"), "{mine:?}");
    assert_eq!(&mine[mine.len() - 3..mine.len() - 1], ["--who", "web"]);

    // The plan's cli travels through every format.
    let md = repo
        .agents(&["plan", "export", "--format", "md"])
        .ok()
        .stdout;
    assert!(md.contains("**CLI:** `aider`"), "{md}");
    let toml = repo
        .agents(&["plan", "export", "--format", "toml"])
        .ok()
        .stdout;
    assert!(toml.contains("cli = \"aider\""), "{toml}");
}

/// Whether tmux is here; the tmux tests say so and pass without it (CI installs it).
fn have_tmux() -> bool {
    let found = std::process::Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        eprintln!("tmux is not installed; skipping");
    }
    found
}

/// A tmux server of the test's own (its socket under the test's directory), with the
/// environment the commands get to reach it.
fn tmux_env(repo: &Repo) -> Vec<(String, String)> {
    let dir = repo.tmp.path().join("tmux");
    std::fs::create_dir_all(&dir).unwrap();
    vec![
        ("TMUX_TMPDIR".to_owned(), dir.display().to_string()),
        ("TMUX".to_owned(), String::new()),
    ]
}

fn kill_tmux_server(repo: &Repo, env: &[(String, String)]) {
    let mut command = repo.command("tmux", &repo.root);
    command.arg("kill-server").envs(env.iter().cloned());
    let _ = command.output();
}

/// An agent that asks before it goes on, as interactive programs do.
const ASKS: &str = "printf 'Proceed? [y/N] '; read answer; echo \"got $answer\"; echo \"size $(stty size 2>/dev/null)\"; echo \"$answer\" > answer.txt; git add . && git commit -qm answered";

/// `git agents run` of security-agent asking its question under tmux, in the background,
/// its standard output kept for the test.
fn run_asking_agent(repo: &Repo, env: &[(String, String)]) -> std::process::Child {
    run_asking(repo, env, &["--tmux"])
}

/// The same on the terminal `run` gives each agent by default.
fn run_asking_agent_on_its_terminal(repo: &Repo) -> std::process::Child {
    run_asking(repo, &[], &[])
}

fn run_asking(repo: &Repo, env: &[(String, String)], extra: &[&str]) -> std::process::Child {
    let mut command = repo.command("git", &repo.root);
    command
        .args([
            "agents",
            "run",
            "security-agent",
            "--exec",
            ASKS,
            "--no-deliver",
        ])
        .args(extra)
        .envs(env.iter().cloned())
        .stdout(std::process::Stdio::piped());
    command.spawn().unwrap()
}

/// Wait until the agent's log shows its question.
fn wait_for_question(log: &Path) {
    wait_for("the question", || {
        std::fs::read_to_string(log).is_ok_and(|l| l.contains("Proceed?"))
    });
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !done() {
        assert!(
            std::time::Instant::now() < deadline,
            "{what} never happened"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[test]
fn under_tmux_an_agent_that_asks_is_answered_with_send_and_its_output_is_in_its_log() {
    if !have_tmux() {
        return;
    }
    let repo = Repo::new();
    repo.init_example();
    let env = tmux_env(&repo);
    let run = run_asking_agent(&repo, &env);
    let log = repo.root.join(".git/agents/logs/security-agent.log");
    wait_for_question(&log);
    // It runs in a window named after it, in a session named after the repository.
    let mut windows = repo.command("tmux", &repo.root);
    windows
        .args(["list-windows", "-t", "=repo", "-F", "#{window_name}"])
        .envs(env.iter().cloned());
    let listed = String::from_utf8_lossy(&windows.output().unwrap().stdout).into_owned();
    assert_eq!(listed.trim(), "security-agent");

    // From outside the repository, for a script: -C, --json, and nothing else printed.
    let outside = tempfile::tempdir().unwrap();
    let root = repo.root.display().to_string();
    let quiet = repo.agents_with(
        outside.path(),
        &["-C", &root, "send", "security-agent", "y", "--json", "-q"],
        &env,
    );
    let sent = quiet.ok();
    assert_eq!(sent.json()["text"], "y");
    assert_eq!(sent.stderr, "");
    let out = run.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let log = std::fs::read_to_string(&log).unwrap();
    assert!(log.contains("got y"), "{log}");
    assert_eq!(
        std::fs::read_to_string(repo.worktree("security-agent").join("answer.txt")).unwrap(),
        "y\n"
    );
    kill_tmux_server(&repo, &env);
}

#[test]
fn attach_on_a_terminal_shows_the_agents_screen_and_detaching_leaves_it_running() {
    if !have_tmux() {
        return;
    }
    let repo = Repo::new();
    repo.init_example();
    let env = tmux_env(&repo);
    let mut run = run_asking_agent(&repo, &env);
    let log = repo.root.join(".git/agents/logs/security-agent.log");
    wait_for_question(&log);
    // attach on a pseudo-terminal; a moment later every client of the session is
    // detached, as Ctrl-b d would.
    let mut attach = repo.command("script", &repo.root);
    attach
        .args(["-qec", "git agents attach security-agent", "/dev/null"])
        .envs(env.iter().cloned())
        .env("TERM", "xterm")
        .stdout(std::process::Stdio::piped());
    let attached = attach.spawn().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let mut detach = repo.command("tmux", &repo.root);
    detach
        .args(["detach-client", "-s", "=repo"])
        .envs(env.iter().cloned());
    let _ = detach.output();
    let out = attached.wait_with_output().unwrap();
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(shown.contains("detach with Ctrl-b d"), "{shown}");
    assert!(shown.contains("Proceed?"), "the agent's screen: {shown}");
    assert!(run.try_wait().unwrap().is_none(), "the agent runs on");
    repo.agents_with(&repo.root, &["send", "security-agent", "n"], &env)
        .ok();
    assert!(run.wait().unwrap().success());
    kill_tmux_server(&repo, &env);
}

#[test]
fn send_and_attach_refuse_an_agent_without_a_terminal_to_join() {
    let repo = Repo::new();
    repo.init_example();
    repo.agents(&["send", "security-agent", "y"])
        .fails(1)
        .says("is not running");
    repo.agents(&["attach", "security-agent"])
        .fails(1)
        .says("start it with git agents run security-agent");
}

#[test]
fn by_default_an_agent_runs_on_a_terminal_and_send_answers_its_question() {
    let repo = Repo::new();
    repo.init_example();
    let run = run_asking_agent_on_its_terminal(&repo);
    let log = repo.root.join(".git/agents/logs/security-agent.log");
    wait_for_question(&log);
    // It sees a terminal, as it would with a person at the keyboard.
    let sent = repo
        .agents(&["send", "security-agent", "y", "--json"])
        .ok()
        .json();
    assert_eq!(sent["text"], "y");
    let out = run.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let log = std::fs::read_to_string(&log).unwrap();
    assert!(log.contains("Proceed? [y/N] "), "{log:?}");
    assert!(
        log.contains("got y\n"),
        "the terminal's line ends are plain in the log: {log:?}"
    );
    assert_eq!(
        std::fs::read_to_string(repo.worktree("security-agent").join("answer.txt")).unwrap(),
        "y\n"
    );
}

#[test]
fn attach_on_a_pseudo_terminal_shows_the_screen_and_ctrl_close_bracket_leaves_it_running() {
    let repo = Repo::new();
    repo.init_example();
    let mut run = run_asking_agent_on_its_terminal(&repo);
    let log = repo.root.join(".git/agents/logs/security-agent.log");
    wait_for_question(&log);
    // `attach` on a terminal of its own (script gives it one); after a moment the person
    // presses Ctrl-].
    let mut attach = repo.command("script", &repo.root);
    attach
        .args([
            "-qec",
            "stty rows 30 cols 100; git agents attach security-agent",
            "/dev/null",
        ])
        .env("TERM", "xterm")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped());
    let mut attached = attach.spawn().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let mut keys = attached.stdin.take().unwrap();
    std::io::Write::write_all(&mut keys, b"\x1d").unwrap();
    let out = attached.wait_with_output().unwrap();
    drop(keys);
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(shown.contains("detach with Ctrl-]"), "{shown}");
    assert!(
        shown.contains("Proceed? [y/N]"),
        "the agent's screen: {shown}"
    );
    assert!(shown.contains("security-agent keeps running"), "{shown}");
    assert!(run.try_wait().unwrap().is_none(), "the agent runs on");
    // Typing through attach reaches it: piped input, then the end of the input detaches.
    let mut answer = repo.command("git", &repo.root);
    answer
        .args(["agents", "attach", "security-agent"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped());
    let mut answering = answer.spawn().unwrap();
    std::io::Write::write_all(answering.stdin.as_mut().unwrap(), b"n\r").unwrap();
    drop(answering.stdin.take());
    let answered = answering.wait_with_output().unwrap();
    assert!(answered.status.success());
    assert!(run.wait().unwrap().success());
    assert_eq!(
        std::fs::read_to_string(repo.worktree("security-agent").join("answer.txt")).unwrap(),
        "n\n"
    );
    // It drew for the window of the person who joined it.
    let log = std::fs::read_to_string(&log).unwrap();
    assert!(log.contains("size 30 100"), "{log}");
}

#[test]
fn an_agent_on_its_terminal_waiting_for_input_is_noticed() {
    let repo = Repo::new();
    repo.init_example();
    repo.git(&["config", "agents.waitingSeconds", "1"]);
    let told = repo.tmp.path().join("told.txt");
    repo.git(&[
        "config",
        "agents.notifyCommand",
        &format!(
            "echo \"$GIT_AGENTS_AGENT asks: $GIT_AGENTS_QUESTION\" >> '{}'",
            told.display()
        ),
    ]);
    let run = run_asking_agent_on_its_terminal(&repo);
    let waiting = || {
        let status = repo.agents(&["status", "--json"]).ok().json();
        common::agent(&status, "security-agent")["waiting"].clone()
    };
    wait_for("status showing it waiting", || !waiting().is_null());
    assert!(
        waiting()["screen"]
            .as_str()
            .unwrap()
            .contains("Proceed? [y/N]"),
        "{}",
        waiting()
    );
    wait_for("the notify command", || {
        std::fs::read_to_string(&told)
            .is_ok_and(|t| t.contains("security-agent asks: Proceed? [y/N]"))
    });
    repo.agents(&["send", "security-agent", "y"]).ok();
    let out = run.wait_with_output().unwrap();
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{printed}");
    assert!(
        printed.contains("security-agent is waiting for input: Proceed? [y/N]"),
        "{printed}"
    );
    wait_for("status showing it going on", || waiting().is_null());
}

#[test]
fn an_agent_waiting_for_input_is_noticed_shown_and_announced() {
    if !have_tmux() {
        return;
    }
    let repo = Repo::new();
    repo.init_example();
    let env = tmux_env(&repo);
    let told = repo.tmp.path().join("told.txt");
    repo.git(&["config", "agents.waitingSeconds", "1"]);
    repo.git(&[
        "config",
        "agents.notifyCommand",
        &format!(
            "echo \"$GIT_AGENTS_AGENT asks: $GIT_AGENTS_QUESTION\" >> '{}'",
            told.display()
        ),
    ]);
    let run = run_asking_agent(&repo, &env);
    let waiting = || {
        let status = repo
            .agents_with(&repo.root, &["status", "--json"], &env)
            .ok()
            .json();
        common::agent(&status, "security-agent")["waiting"].clone()
    };
    wait_for("status showing it waiting", || !waiting().is_null());
    let shown = waiting();
    assert!(
        shown["screen"].as_str().unwrap().contains("Proceed? [y/N]"),
        "{shown}"
    );
    repo.agents_with(&repo.root, &["status", "security-agent"], &env)
        .ok()
        .prints("waiting for input: Proceed? [y/N]");
    wait_for("the notify command", || {
        std::fs::read_to_string(&told)
            .is_ok_and(|t| t.contains("security-agent asks: Proceed? [y/N]"))
    });
    repo.agents_with(&repo.root, &["send", "security-agent", "y"], &env)
        .ok();
    let out = run.wait_with_output().unwrap();
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{printed}");
    assert!(
        printed.contains("security-agent is waiting for input: Proceed? [y/N]"),
        "{printed}"
    );
    kill_tmux_server(&repo, &env);
}
