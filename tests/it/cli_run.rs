//! `git agents run`: launching agents' commands in their worktrees, logs under the git
//! dir, the parallel limit, failures with the log's tail, and Ctrl-C then resume.

use crate::common;

use std::time::{Duration, Instant};

use common::Repo;

const WORK: &str = "echo \"working on $GIT_AGENTS_AGENT in $PWD\"; \
    echo done > \"$GIT_AGENTS_AGENT.txt\" && git add . && git commit -qm \"$GIT_AGENTS_AGENT work\" && \
    git agents task done 1";

#[test]
fn run_launches_ready_agents_in_their_worktrees_and_holds_their_work_for_review() {
    let repo = Repo::new();
    repo.init_example();
    let run = repo.agents(&["run", "--no-deliver", "--exec", WORK]).ok();
    run.prints("launched backend-agent");
    run.prints("0 merged, 0 failed, 8 waiting");
    for (name, status) in repo.statuses() {
        let expected = if ["testing-agent", "docs-agent", "github-agent"].contains(&name.as_str()) {
            "planned"
        } else {
            "review"
        };
        assert_eq!(status, expected, "{name}");
    }
    let backend = repo.root.join("worktrees/backend-agent");
    assert!(
        backend.join("backend-agent.txt").is_file(),
        "the command ran in the agent's worktree"
    );
    assert_eq!(
        repo.git_in(&backend, &["log", "-1", "--format=%s"]).trim(),
        "backend-agent work"
    );
    let log = repo.root.join(".git/agents/logs/backend-agent.log");
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        text.contains(&format!(
            "working on backend-agent in {}",
            backend.display()
        )),
        "{text}"
    );
    assert_eq!(
        repo.git(&["status", "--porcelain"]).trim(),
        "",
        "nothing written into the main worktree"
    );
    assert_eq!(repo.status_json()["agents"][1]["tasks_done"], 1);

    let again = repo.agents(&["run", "--no-deliver", "--exec", WORK]).ok();
    assert!(
        !again.stdout.contains("launched"),
        "finished agents are not launched again: {}",
        again.stdout
    );
}

#[test]
fn a_failing_command_marks_the_agent_failed_with_the_logs_tail() {
    let repo = Repo::new();
    repo.init_example();
    let exec = "if [ \"$GIT_AGENTS_AGENT\" = rag-agent ]; then echo 'index build failed: out of memory' >&2; exit 3; fi";
    let run = repo
        .agents(&[
            "run",
            "--no-deliver",
            "security-agent",
            "rag-agent",
            "--exec",
            exec,
        ])
        .fails(1);
    run.prints("rag-agent failed (exit 3)");
    run.prints("index build failed: out of memory");
    let status = repo.status_json();
    let rag = status["agents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "rag-agent")
        .unwrap();
    assert_eq!(rag["status"], "failed");
    assert!(
        rag["failure"].as_str().unwrap().contains("out of memory"),
        "{rag}"
    );
    let text = repo.agents(&["status"]).ok().stdout;
    assert!(
        text.contains("command exited with status 3: index build failed: out of memory"),
        "{text}"
    );
    let others: Vec<_> = repo
        .statuses()
        .into_iter()
        .filter(|(_, s)| s != "planned")
        .collect();
    assert_eq!(others.len(), 2, "only the named agents ran: {others:?}");
}

#[test]
fn the_parallel_limit_is_kept() {
    let repo = Repo::new();
    repo.init_example();
    // Each command waits (up to 3 s) for a second one to be running, so that the test
    // sees two at once however slowly a loaded machine launches them.
    let shared = repo.tmp.path().join("shared");
    std::fs::create_dir_all(&shared).unwrap();
    let exec = format!(
        "d={dir}; mkdir \"$d/run-$GIT_AGENTS_AGENT\"; for i in $(seq 30); do [ $(ls -d \"$d\"/run-* | wc -l) -ge 2 ] && break; sleep 0.1; done; ls -d \"$d\"/run-* | wc -l >> \"$d/counts\"; sleep 0.2; rmdir \"$d/run-$GIT_AGENTS_AGENT\"",
        dir = shared.display()
    );
    repo.agents(&["run", "--no-deliver", "--parallel", "2", "--exec", &exec])
        .ok();
    let counts = std::fs::read_to_string(shared.join("counts")).unwrap();
    let counts: Vec<usize> = counts
        .split_whitespace()
        .map(|n| n.parse().unwrap())
        .collect();
    assert_eq!(counts.len(), 5, "the five independent agents ran");
    assert!(counts.iter().all(|&n| n <= 2), "{counts:?}");
    assert!(counts.contains(&2), "two ran at once: {counts:?}");
}

#[test]
fn names_and_quotes_reach_the_command_as_one_word() {
    let repo = Repo::new();
    repo.agents(&["init"]).ok();
    repo.agents(&["add", "it's", "--branch", "feature/$(touch pwned)"])
        .fails(2);
    repo.agents(&["add", "quoted.agent", "--branch", "feature/we-ird_1"])
        .ok();
    let out = repo.tmp.path().join("args");
    let exec = format!(
        "printf '%s\\n' {{agent}} {{branch}} {{worktree}} > {}",
        out.display()
    );
    repo.agents(&["run", "--no-deliver", "--exec", &exec]).ok();
    let args = std::fs::read_to_string(out).unwrap();
    let lines: Vec<&str> = args.lines().collect();
    assert_eq!(lines[0], "quoted.agent");
    assert_eq!(lines[1], "feature/we-ird_1");
    assert_eq!(
        lines[2],
        repo.root
            .join("worktrees/quoted.agent")
            .display()
            .to_string()
    );
}

#[test]
fn ctrl_c_stops_the_commands_and_run_resumes_where_the_state_says() {
    let repo = Repo::new();
    repo.init_example();
    let marker = repo.tmp.path().join("marker");
    let pid_file = repo.tmp.path().join("sleeper.pid");
    let exec = format!(
        "if [ -e {m} ]; then git agents task done 1; exit 0; fi; sleep 30 & echo $! > {p}; wait",
        m = marker.display(),
        p = pid_file.display()
    );
    // Ctrl-C on a terminal signals the whole foreground process group: git and git-agents.
    let mut command = repo.command("git", &repo.root);
    command
        .args([
            "agents",
            "run",
            "--no-deliver",
            "backend-agent",
            "--exec",
            &exec,
        ])
        .stdout(std::process::Stdio::piped());
    common::as_foreground_job(&mut command);
    let mut child = command.spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !pid_file.exists() {
        assert!(Instant::now() < deadline, "the command never started");
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(300));
    common::signal_group(child.id(), 2);
    let begun = Instant::now();
    let status = child.wait().unwrap();
    assert!(
        begun.elapsed() < Duration::from_secs(10),
        "stopping took {:?}",
        begun.elapsed()
    );
    // git waits for git-agents to finish cleaning up, then re-raises the signal itself.
    use std::os::unix::process::ExitStatusExt;
    assert!(
        status.code() == Some(130) || status.signal() == Some(2),
        "{status:?}"
    );
    let sleeper: i32 = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    // The whole group was signalled; on a loaded machine a signalled process may need a
    // moment to be scheduled and die.
    let alive = || {
        let state = std::fs::read_to_string(format!("/proc/{sleeper}/stat")).unwrap_or_default();
        let running = state
            .rsplit(')')
            .next()
            .is_some_and(|rest| !rest.trim_start().starts_with('Z'));
        running.then_some(state)
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while let Some(state) = alive() {
        assert!(
            Instant::now() < deadline,
            "the agent's command and its children were stopped: {state}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(
        repo.status_json()["agents"][1]["status"],
        "in_progress",
        "state left consistent"
    );

    std::fs::write(&marker, "").unwrap();
    let resumed = repo
        .agents(&["run", "--no-deliver", "backend-agent", "--exec", &exec])
        .ok();
    resumed.prints("launched backend-agent");
    let status = repo.status_json();
    assert_eq!(status["agents"][1]["status"], "review");
    assert_eq!(status["agents"][1]["tasks_done"], 1);
}

#[test]
fn run_without_a_command_says_how_to_give_one() {
    let repo = Repo::new();
    repo.init_example();
    let before = repo.refs();
    repo.agents(&["run"]).fails(2).says("--exec CMD");
    assert_eq!(repo.refs(), before);
}

/// Each agent ticks its tasks off one by one, committing a file per task in its own directory.
const SCRIPTED: &str = "n=1; while git agents task start $n >/dev/null 2>&1; do \
    mkdir -p work/$GIT_AGENTS_AGENT && echo \"task $n\" > work/$GIT_AGENTS_AGENT/task-$n.md && \
    git add work && git commit -qm \"$GIT_AGENTS_AGENT: task $n\" && git agents task done $n >/dev/null; \
    n=$((n+1)); done";

#[test]
fn run_takes_the_whole_example_plan_to_merged_in_dependency_order() {
    let repo = Repo::new();
    repo.write(
        "test.sh",
        "#!/bin/sh\nfor f in $(find work -type f 2>/dev/null); do test -s \"$f\" || exit 1; done\n",
    );
    repo.git(&["add", "test.sh"]);
    repo.git(&["commit", "-qm", "Add tests"]);
    repo.init_example();
    repo.git(&["config", "agents.testCommand", "sh test.sh"]);
    repo.git(&["config", "agents.reviewCommand", "echo Score: 10/10"]);
    repo.git(&["config", "agents.approvals", "0"]);
    let run = repo.agents(&["run", "--exec", SCRIPTED]).ok();
    run.prints("8 merged, 0 failed, 0 waiting");
    let backend_merge = run
        .stdout
        .lines()
        .find(|l| l.contains("merged backend-agent; unblocked"))
        .unwrap_or_else(|| panic!("{}", run.stdout));
    assert!(backend_merge.contains("github-agent"), "{backend_merge}");
    for line in run.stdout.lines().filter(|l| l.contains(" merged ")) {
        let unblocked = line.split("unblocked ").nth(1).unwrap_or("");
        for name in unblocked.split(", ").filter(|n| !n.is_empty()) {
            let announced = run
                .stdout
                .lines()
                .filter(|l| l.contains("unblocked") && l.contains(name))
                .count();
            assert_eq!(
                announced, 1,
                "{name} is unblocked once, by its last dependency: {}",
                run.stdout
            );
        }
    }

    // Dependents were merged only after everything they depend on.
    let order: Vec<String> = run
        .stdout
        .lines()
        .filter_map(|l| {
            l.split_whitespace()
                .nth(2)
                .filter(|_| l.split_whitespace().nth(1) == Some("merged"))
                .map(str::to_owned)
        })
        .map(|name| name.trim_end_matches(';').to_owned())
        .collect();
    assert_eq!(order.len(), 8, "{}", run.stdout);
    let position = |name: &str| order.iter().position(|n| n == name).unwrap();
    for (dependent, dependency) in [
        ("testing-agent", "backend-agent"),
        ("testing-agent", "frontend-agent"),
        ("docs-agent", "security-agent"),
        ("docs-agent", "rag-agent"),
        ("github-agent", "backend-agent"),
    ] {
        assert!(
            position(dependency) < position(dependent),
            "{dependency} before {dependent}: {order:?}"
        );
    }

    // Base holds every agent's work, one commit per task file, and every head was judged.
    let files = repo.git(&["ls-tree", "-r", "--name-only", "main", "work"]);
    assert_eq!(files.lines().count(), 38, "{files}");
    let status = repo.status_json();
    for agent in status["agents"].as_array().unwrap() {
        assert_eq!(agent["status"], "merged", "{agent}");
        assert_eq!(agent["tasks_done"], agent["tasks_total"], "{agent}");
    }
    let notes = repo.git(&["notes", "--ref", "agents", "list"]);
    assert!(notes.lines().count() >= 8, "{notes}");
}

const TWO_AGENTS: &str = r#"# Two services

## Agent 1: Web
**Branch:** `agents/web`
**Worktree:** `worktrees/web`
**Tasks:**
- [ ] Build the page (2h)

## Agent 2: Api
**Branch:** `agents/api`
**Worktree:** `worktrees/api`
**Tasks:**
- [ ] Build the endpoint (3h)
"#;

/// Writes what the command was given into `launched.txt` in the agent's worktree.
const REPORT_LAUNCH: &str = "printf 'port=%s env=%s agent=%s base=%s worktree=%s\\n' \
    {port} \"$GIT_AGENTS_PORT\" {agent} {base} {worktree} > launched.txt";

fn two_agents() -> Repo {
    let repo = Repo::new();
    repo.write("plan.md", TWO_AGENTS);
    repo.agents(&["init", "--plan", "plan.md"]).ok();
    repo
}

fn launched(repo: &Repo, agent: &str) -> String {
    std::fs::read_to_string(repo.root.join("worktrees").join(agent).join("launched.txt")).unwrap()
}

#[test]
fn commands_get_the_agents_port_as_placeholder_and_environment() {
    let repo = two_agents();
    repo.git(&["config", "agents.portBase", "4300"]);
    repo.agents(&["run", "--no-deliver", "--exec", REPORT_LAUNCH])
        .ok();
    for (agent, port) in [("web", 4300), ("api", 4301)] {
        let worktree = repo.root.join("worktrees").join(agent);
        assert_eq!(
            launched(&repo, agent),
            format!(
                "port={port} env={port} agent={agent} base=main worktree={}\n",
                worktree.display()
            )
        );
    }
    let status = repo.status_json();
    assert_eq!(status["agents"][0]["port"], 4300);
    assert_eq!(status["agents"][1]["port"], 4301);
}

#[test]
fn an_agent_spawned_before_ports_were_configured_gets_one_when_launched() {
    let repo = two_agents();
    repo.agents(&["spawn", "web"]).ok();
    assert!(repo.status_json()["agents"][0]["port"].is_null());
    repo.git(&["config", "agents.portBase", "5100"]);
    repo.agents(&["run", "--no-deliver", "web", "--exec", REPORT_LAUNCH])
        .ok();
    assert!(
        launched(&repo, "web").starts_with("port=5100 env=5100 agent=web"),
        "{}",
        launched(&repo, "web")
    );
    assert_eq!(repo.status_json()["agents"][0]["port"], 5100);
}

#[test]
fn a_port_placeholder_without_ports_is_refused_before_anything_starts() {
    let repo = two_agents();
    let before = repo.refs();
    repo.agents(&["run", "--exec", REPORT_LAUNCH])
        .fails(2)
        .says("no ports are handed out")
        .says("agents.portBase");
    assert_eq!(repo.refs(), before, "nothing was spawned");
    let plain = repo
        .agents(&["run", "--no-deliver", "--exec", "env > launched.txt"])
        .ok();
    plain.prints("launched web");
    assert!(
        !launched(&repo, "web").contains("GIT_AGENTS_PORT="),
        "no port, no GIT_AGENTS_PORT"
    );
}

/// Run `args` under a pseudo-terminal of `rows` × `cols` (util-linux `script`), so the
/// live dashboard draws; stdout and stderr come back together.
fn in_terminal(repo: &Repo, rows: u16, cols: u16, args: &str) -> Option<String> {
    let script = std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !script {
        assert!(
            std::env::var_os("CI").is_none(),
            "script is not installed; .ci/run installs it"
        );
        eprintln!("skipped: script (util-linux) is not installed");
        return None;
    }
    let out = repo
        .command("script", &repo.root)
        .args([
            "-qec",
            &format!("stty rows {rows} cols {cols}; git agents {args}"),
            "/dev/null",
        ])
        .env("TERM", "xterm")
        .output()
        .unwrap();
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn the_final_frame_of_run_shows_every_agent_in_full_on_a_short_terminal() {
    let repo = Repo::new();
    repo.init_example();
    let Some(text) = in_terminal(
        &repo,
        6,
        80,
        &format!("run --no-deliver --exec '{}'", WORK.replace('\'', "'\\''")),
    ) else {
        return;
    };
    // What stays on screen after the live area is cleared (its last erase): the whole
    // fleet and its totals, every line within the width, then the closing line.
    let cleared = text
        .rfind("\x1b[2K")
        .expect("the live area drew and was cleared");
    let final_frame = &text[cleared..];
    for name in common::EXAMPLE_AGENTS
        .iter()
        .chain(&["8 agents:", "waiting"])
    {
        assert!(
            final_frame.contains(name),
            "{name} in the final frame:\n{final_frame}"
        );
    }
    for line in final_frame.lines() {
        let shown = line.trim_start_matches("\x1b[2K").trim_end_matches('\r');
        assert!(
            console::measure_text_width(shown) <= 80,
            "{shown:?} is wider than the terminal"
        );
    }
}
