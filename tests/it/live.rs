//! Looking into an agent's work and leaving it a word: `diff` shows what it produced
//! against base (uncommitted work too), `comment` leaves a remark it sees in its brief.

use crate::common;

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
