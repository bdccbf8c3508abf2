//! Worktree provisioning in `spawn`: ignored files copied in, a setup command run with
//! its log under the git dir, a port per agent, and a failed setup shown in `status`.

use crate::common;

use common::Repo;
use common::agent;

const PLAN: &str = r#"# Provisioned plan

**Copy:** `.env`, `deps`
**Setup:** `printf 'port=%s agent=%s env=%s\n' {port} "$GIT_AGENTS_AGENT" "$(cat .env)" > setup-out.txt; echo set up {agent}`
**Port base:** 4100

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

fn repo() -> Repo {
    let repo = Repo::new();
    repo.write(".gitignore", ".env\ndeps/\n");
    repo.git(&["add", ".gitignore"]);
    repo.git(&["commit", "-q", "-m", "ignore local files"]);
    repo.write(".env", "TOKEN=abc");
    repo.write("deps/lib/index.js", "module.exports = 1;\n");
    repo.write("plan.md", PLAN);
    repo.agents(&["init", "--plan", "plan.md"]).ok();
    repo
}

#[test]
fn spawn_copies_ignored_files_runs_setup_and_hands_out_ports() {
    let repo = repo();
    let run = repo.agents(&["spawn", "web", "api"]).ok();
    run.prints("port 4100");
    assert!(
        run.stdout.contains("copied .env, deps (2 files"),
        "{}",
        run.stdout
    );
    run.prints("setup passed:");
    for (name, port) in [("web", 4100), ("api", 4101)] {
        let wt = repo.root.join("worktrees").join(name);
        assert_eq!(
            std::fs::read_to_string(wt.join(".env")).unwrap(),
            "TOKEN=abc"
        );
        assert_eq!(
            std::fs::read_to_string(wt.join("deps/lib/index.js")).unwrap(),
            "module.exports = 1;\n"
        );
        assert_eq!(
            std::fs::read_to_string(wt.join("setup-out.txt")).unwrap(),
            format!("port={port} agent={name} env=TOKEN=abc\n")
        );
        let log = repo.root.join(format!(".git/agents/logs/{name}-setup.log"));
        let log = std::fs::read_to_string(log).unwrap();
        assert!(log.starts_with("$ printf"), "{log}");
        assert!(log.contains(&format!("set up {name}")), "{log}");
        assert_eq!(
            repo.git_in(&wt, &["status", "--porcelain"]),
            "?? setup-out.txt\n",
            "copies are ignored files, not changes"
        );
    }
    let status = repo.status_json();
    assert_eq!(agent(&status, "web")["port"], 4100);
    assert_eq!(agent(&status, "api")["port"], 4101);
    assert_eq!(agent(&status, "web")["setup"]["passed"], true);

    let brief = repo.agents(&["brief", "api"]).ok().stdout;
    assert!(brief.contains("- **Port:** 4101"), "{brief}");

    // Spawning again does not copy or set up again, and the port stays.
    let again = repo.agents(&["spawn", "web", "--json"]).ok().json();
    assert!(again["spawned"][0]["provisioned"].is_null(), "{again}");
    assert_eq!(agent(&repo.status_json(), "web")["port"], 4100);
}

#[test]
fn git_config_adds_copies_and_replaces_the_setup() {
    let repo = repo();
    repo.write("local.txt", "only here\n");
    repo.git(&["config", "--add", "agents.copy", "local.txt"]);
    repo.git(&[
        "config",
        "agents.setup",
        "echo from config > from-config.txt",
    ]);
    repo.git(&["config", "agents.portBase", "5200"]);
    repo.agents(&["spawn", "api"]).ok();
    let wt = repo.root.join("worktrees/api");
    assert_eq!(
        std::fs::read_to_string(wt.join("local.txt")).unwrap(),
        "only here\n"
    );
    assert!(wt.join(".env").is_file());
    assert!(wt.join("from-config.txt").is_file());
    assert!(!wt.join("setup-out.txt").exists());
    assert_eq!(agent(&repo.status_json(), "api")["port"], 5201);

    repo.git(&["config", "agents.portBase", "nonsense"]);
    repo.agents(&["spawn", "web"])
        .fails(2)
        .says("agents.portBase");
}

#[test]
fn a_failed_setup_shows_in_status_and_runs_again_on_the_next_spawn() {
    let repo = repo();
    repo.git(&[
        "config",
        "agents.setup",
        "echo dependency missing >&2; exit 3",
    ]);
    let run = repo.agents(&["spawn", "web"]).ok();
    run.prints("setup failed:");
    run.prints("exited 3");
    let status = repo.status_json();
    let web = agent(&status, "web");
    assert_eq!(web["status"], "in_progress");
    assert_eq!(web["setup"]["passed"], false);
    assert_eq!(web["setup"]["exit_code"], 3);
    assert!(
        web["setup"]["tail"]
            .as_str()
            .unwrap()
            .contains("dependency missing")
    );
    let line = repo.agents(&["status"]).ok().stdout;
    let line = line
        .lines()
        .find(|l| l.starts_with("web"))
        .unwrap()
        .to_owned();
    assert!(line.contains("setup failed (exit 3)"), "{line}");
    let detail = repo.agents(&["status", "web"]).ok().stdout;
    assert!(detail.contains("dependency missing"), "{detail}");

    repo.git(&["config", "agents.setup", "true"]);
    let again = repo.agents(&["spawn", "web"]).ok();
    again.prints("setup passed");
    assert_eq!(agent(&repo.status_json(), "web")["setup"]["passed"], true);
}

#[test]
fn provisioning_settings_round_trip_through_every_format() {
    let repo = repo();
    let original = repo.agents(&["plan", "show", "--json"]).ok().json();
    assert_eq!(original["copy"], serde_json::json!([".env", "deps"]));
    assert_eq!(original["ports"]["base"], 4100);
    assert!(original["setup"].as_str().unwrap().starts_with("printf"));
    for (format, file) in [
        ("md", "again.md"),
        ("toml", "again.toml"),
        ("json", "again.json"),
    ] {
        let text = repo
            .agents(&["plan", "export", "--format", format])
            .ok()
            .stdout;
        repo.write(file, &text);
        repo.agents(&["init", "--force", "--plan", file]).ok();
        let back = repo.agents(&["plan", "show", "--json"]).ok().json();
        assert_eq!(back, original, "{format}:\n{text}");
    }
}

#[test]
fn unsafe_copy_paths_are_refused() {
    let repo = Repo::new();
    repo.write(
        "plan.toml",
        "copy = [\"../outside\"]\n\n[[agents]]\nname = \"web\"\n",
    );
    repo.agents(&["init", "--plan", "plan.toml"])
        .fails(2)
        .says("must not climb out of the worktree");
    repo.write(
        "plan.md",
        "**Copy:** `/etc/passwd`\n\n## web\n**Branch:** `agents/web`\n",
    );
    repo.agents(&["init", "--plan", "plan.md"])
        .fails(2)
        .says("relative to the main worktree");
    repo.git(&["config", "agents.copy", ".git/config"]);
    repo.write("ok.toml", "[[agents]]\nname = \"web\"\n");
    repo.agents(&["init", "--plan", "ok.toml"]).ok();
    let refs = repo.refs();
    repo.agents(&["spawn", "web"])
        .fails(2)
        .says("git's own directory is never copied");
    assert_eq!(repo.refs(), refs, "refused before anything was done");
    assert!(!repo.root.join("worktrees/web").exists());
}

#[test]
fn doctor_provisions_a_worktree_it_checks_out_again() {
    let repo = repo();
    repo.agents(&["spawn", "web"]).ok();
    let wt = repo.root.join("worktrees/web");
    std::fs::remove_dir_all(&wt).unwrap();
    repo.agents(&["doctor", "--fix"])
        .ok()
        .says("checked agents/web out again");
    assert_eq!(
        std::fs::read_to_string(wt.join(".env")).unwrap(),
        "TOKEN=abc"
    );
    assert!(wt.join("setup-out.txt").is_file());
    assert_eq!(agent(&repo.status_json(), "web")["port"], 4100);
}
