//! Hostile and broken input: names that try to escape or deceive, branch names git
//! rejects, plans that cannot be run, broken state, and repositories of unusual shapes.
//! Each gives a one-line error and the documented exit code, never a panic, and leaves
//! every ref, worktree and file as it was.

use crate::common;

use std::path::Path;

use common::{Repo, Run, example_plan};

/// Everything a failed command must leave alone: refs, worktrees and the files of the
/// worktrees directory.
fn snapshot(repo: &Repo) -> (String, String, Vec<String>) {
    let mut files = Vec::new();
    let mut dirs = vec![repo.root.clone()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.file_name().is_some_and(|n| n == ".git") {
                continue;
            }
            files.push(path.display().to_string());
            if path.is_dir() {
                dirs.push(path);
            }
        }
    }
    files.sort();
    (repo.refs(), repo.worktrees(), files)
}

/// Assert `run` failed with `code`, one line on stderr that mentions `text`.
fn refused(run: Run, code: i32, text: &str) {
    let run = run.fails(code).says(text);
    assert_eq!(
        run.stderr.trim_end().lines().count(),
        1,
        "one line for git agents {}: {}",
        run.args,
        run.stderr
    );
}

fn write_plan(repo: &Repo, file: &str, text: &str) -> String {
    let path = repo.tmp.path().join(file);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

/// Names that would escape the worktrees directory, read as options, or pass for another
/// agent's name; with the reason each is refused.
fn hostile_names() -> Vec<(String, &'static str)> {
    vec![
        ("../escape".to_owned(), "'/'"),
        ("..".to_owned(), "'..'"),
        ("a/../../b".to_owned(), "'/'"),
        ("/etc".to_owned(), "'/'"),
        ("-rf".to_owned(), "starts with '-'"),
        ("--help".to_owned(), "starts with '-'"),
        ("b\u{0430}ckend-agent".to_owned(), "U+0430"),
        ("\u{ff42}ackend-agent".to_owned(), "U+FF42"),
        ("back\u{200b}end-agent".to_owned(), "U+200B"),
        ("backend\u{202e}tnega".to_owned(), "U+202E"),
        ("x".repeat(300), "300 characters"),
        ("agent.lock".to_owned(), ".lock"),
        ("a\\b".to_owned(), "'\\'"),
    ]
}

#[test]
fn hostile_agent_names_are_refused_by_add_and_by_plan_files() {
    let repo = Repo::new();
    repo.agents(&["init"]).ok();
    let before = snapshot(&repo);
    for (name, reason) in hostile_names() {
        refused(
            repo.agents(&["add", "--", &name]),
            2,
            &format!("invalid agent name {:?}", name),
        );
        let run = repo.agents(&["add", "--", &name]);
        assert!(run.stderr.contains(reason), "{name:?}: {}", run.stderr);

        let toml = write_plan(
            &repo,
            "plan.toml",
            &format!(
                "[[agents]]\nname = {}\nbranch = \"b\"\n",
                toml_string(&name)
            ),
        );
        refused(
            repo.agents(&["init", "--force", "--plan", &toml]),
            2,
            "invalid agent name",
        );
        let markdown = write_plan(
            &repo,
            "plan.md",
            &format!("# Plan\n\n## Agent\n**Name:** {name}\n**Branch:** `b`\n"),
        );
        let run = repo.agents(&["init", "--force", "--plan", &markdown]);
        refused(run, 2, "");
        assert_eq!(snapshot(&repo), before, "{name:?} changed something");
    }
}

fn toml_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[test]
fn hostile_agent_names_are_unknown_to_every_command() {
    let repo = Repo::new();
    repo.init_example();
    repo.agents(&["spawn", "backend-agent"]).ok();
    let before = snapshot(&repo);
    for (name, _) in hostile_names() {
        let agent_flag = format!("--agent={name}");
        for args in [
            vec!["spawn", "--", name.as_str()],
            vec!["status", "--", name.as_str()],
            vec!["log", "--", name.as_str()],
            vec!["remove", "--", name.as_str()],
            vec!["task", "done", "1", &agent_flag],
            vec!["update", &agent_flag, "--note", "x"],
        ] {
            refused(repo.agents(&args), 2, "unknown agent");
        }
    }
    let lookalike = repo.agents(&["status", "b\u{0430}ckend-agent"]).fails(2);
    assert!(
        lookalike.stderr.contains("did you mean backend-agent?"),
        "{}",
        lookalike.stderr
    );
    assert_eq!(snapshot(&repo), before);
}

/// Names built from the characters git's ref rules are about, the rules' edge cases
/// first and then random combinations.
fn tricky_branch_names() -> Vec<String> {
    let mut names: Vec<String> = [
        "main",
        "a/b",
        "a.b",
        "a..b",
        ".a",
        "a/.b",
        "a.",
        "a/b.",
        "a.lock",
        "a.lock/b",
        "a/b.lock",
        "a.locks",
        "lock",
        ".lock",
        "a//b",
        "/a",
        "a/",
        "@",
        "@a",
        "a@",
        "a@b",
        "a@{b",
        "a@{",
        "@{",
        "{",
        "}",
        "a{b}",
        "-a",
        "a-",
        "a/-b",
        "HEAD",
        "head",
        "a/HEAD",
        "HEAD/a",
        "refs/heads/a",
        "a b",
        "a\tb",
        "a\u{1}b",
        "a\u{7f}b",
        "a~b",
        "a^b",
        "a:b",
        "a?b",
        "a*b",
        "a[b",
        "a]b",
        "a\\b",
        "über",
        "é/ü",
        "a\u{200b}b",
        "a\u{a0}b",
        "x.y.z",
        "a...b",
        "a/./b",
        "a/../b",
        "./a",
        "a/.",
        "...",
        "a.lock.b",
        "a/b/c/d/e/f",
        "_",
        "a_b",
        "1",
        "a#b",
        "a!b",
        "a$b",
        "a%b",
        "a&b",
        "a'b",
        "a\"b",
        "a,b",
        "a;b",
        "a<b",
        "a=b",
        "a>b",
        "a|b",
        "a`b",
        "a+b",
        "a(b)",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let alphabet: Vec<char> = "ab/.-@{}~^:?*[\\ l\u{7f}ékHE".chars().collect();
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    for _ in 0..400 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let length = 1 + (state % 7) as usize;
        let mut name = String::new();
        let mut bits = state;
        for _ in 0..length {
            name.push(alphabet[(bits % alphabet.len() as u64) as usize]);
            bits /= alphabet.len() as u64;
            if bits == 0 {
                bits = state.rotate_left(17);
            }
        }
        names.push(name);
    }
    names.sort();
    names.dedup();
    names
}

/// Branch names git accepts that git-agents refuses on purpose: `@` is a valid branch
/// name, but most git commands read `@` as HEAD, so an agent on it would be a trap.
const STRICTER_THAN_GIT: [&str; 1] = ["@"];

#[test]
fn branch_names_are_judged_as_git_check_ref_format_judges_them() {
    let repo = Repo::new();
    let mut disagreements = Vec::new();
    let names = tricky_branch_names();
    for name in &names {
        let git = repo
            .command("git", &repo.root)
            .args(["check-ref-format", "--branch", name])
            .output()
            .unwrap();
        let git_accepts =
            git.status.success() && String::from_utf8_lossy(&git.stdout).trim() == name;
        let we_accept = git_agents::plan::validate_branch_name("a", name).is_ok();
        let deliberately_stricter = STRICTER_THAN_GIT.contains(&name.as_str());
        if git_accepts != we_accept && !(deliberately_stricter && git_accepts) {
            disagreements.push(format!("{name:?}: git {git_accepts}, we {we_accept}"));
        }
    }
    assert!(
        disagreements.is_empty(),
        "{} of {} names judged differently:\n{}",
        disagreements.len(),
        names.len(),
        disagreements.join("\n")
    );

    repo.agents(&["init"]).ok();
    let before = snapshot(&repo);
    for bad in ["a..b", "a.lock", "-x", "a b", "@", "HEAD", "a/.b", "x@{1}"] {
        refused(
            repo.agents(&["add", "db", &format!("--branch={bad}")]),
            2,
            "invalid branch name",
        );
    }
    assert_eq!(snapshot(&repo), before);
}

#[test]
fn plans_that_cannot_run_are_refused_in_every_format() {
    let repo = Repo::new();
    let before = snapshot(&repo);
    let cases = [
        (
            "cycle.md",
            "# Plan\n\n## Agent 1: A\n**Branch:** `a`\n**Dependencies:** Agent 2\n\n## Agent 2: B\n**Branch:** `b`\n**Dependencies:** Agent 1\n",
            "dependency cycle: a-agent → b-agent → a-agent",
        ),
        (
            "long-cycle.toml",
            "[[agents]]\nname = \"a\"\ndepends_on = [\"c\"]\n[[agents]]\nname = \"b\"\ndepends_on = [\"a\"]\n[[agents]]\nname = \"c\"\ndepends_on = [\"b\"]\n",
            "dependency cycle: a → c → b → a",
        ),
        (
            "self.toml",
            "[[agents]]\nname = \"a\"\ndepends_on = [\"a\"]\n",
            "agent a depends on itself",
        ),
        (
            "unknown.toml",
            "[[agents]]\nname = \"api\"\n[[agents]]\nname = \"ui\"\ndepends_on = [\"apj\"]\n",
            "agent ui depends on unknown agent apj (did you mean api?)",
        ),
        (
            "unknown.json",
            "{\"agents\": [{\"name\": \"ui\", \"depends_on\": [\"nobody\"]}]}",
            "agent ui depends on unknown agent nobody",
        ),
        (
            "twice.toml",
            "[[agents]]\nname = \"a\"\n[[agents]]\nname = \"a\"\n",
            "agent a is defined twice",
        ),
        (
            "shared.toml",
            "[[agents]]\nname = \"a\"\nbranch = \"x\"\n[[agents]]\nname = \"b\"\nbranch = \"x\"\n",
            "both use branch x",
        ),
        (
            "hours.json",
            "{\"agents\": [{\"name\": \"a\", \"tasks\": [{\"title\": \"t\", \"hours\": -1}]}]}",
            "task hours must be a non-negative number",
        ),
        ("empty.toml", "", "the plan names no agents"),
        (
            "binary.md",
            "\u{0}\u{1}\u{2}\u{fffd}",
            "is not a plan: it has 0 headings",
        ),
    ];
    for (file, text, message) in cases {
        let path = write_plan(&repo, file, text);
        refused(repo.agents(&["init", "--plan", &path]), 2, message);
    }
    assert_eq!(snapshot(&repo), before);
}

#[test]
fn a_markdown_document_that_is_not_a_plan_is_refused() {
    let repo = Repo::new();
    let before = snapshot(&repo);
    let readme = Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
    refused(
        repo.agents(&["init", "--plan", readme.to_str().unwrap()]),
        2,
        "README.md is not a plan: it has",
    );
    let cargo = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
    refused(
        repo.agents(&["init", "--plan", cargo.to_str().unwrap()]),
        2,
        "invalid TOML plan",
    );
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs");
    refused(
        repo.agents(&["init", "--plan", source.to_str().unwrap()]),
        2,
        "unknown plan format",
    );
    assert_eq!(snapshot(&repo), before);
}

#[test]
fn ten_thousand_agents_import_and_show() {
    let repo = Repo::new();
    let mut plan = String::new();
    for i in 0..10_000 {
        plan.push_str(&format!(
            "[[agents]]\nname = \"agent-{i}\"\ntasks = [\"Build (2h)\"]\n"
        ));
        if i >= 100 {
            plan.push_str(&format!("depends_on = [\"agent-{}\"]\n", i - 100));
        }
        plan.push('\n');
    }
    let path = write_plan(&repo, "big.toml", &plan);
    let started = std::time::Instant::now();
    let run = repo.agents(&["init", "--plan", &path]).ok();
    let init = started.elapsed();
    run.prints("10000 agents");
    let started = std::time::Instant::now();
    let status = repo.agents(&["status", "--json"]).ok().json();
    let show = started.elapsed();
    assert_eq!(status["agents"].as_array().unwrap().len(), 10_000);
    assert_eq!(status["summary"]["blocked"], 9_900);
    let started = std::time::Instant::now();
    let text = repo.agents(&["status"]).ok().stdout;
    assert_eq!(text.lines().count(), 10_001);
    let started_one = std::time::Instant::now();
    repo.agents(&["update", "--agent", "agent-9999", "--note", "one write"])
        .ok();
    let one_update = started_one.elapsed();
    eprintln!(
        "10,000 agents: init {init:?}, status --json {show:?}, status {:?}, one update {one_update:?}",
        started_one - started
    );
    // How long these take is measured in benches/, not asserted here.
}

/// Make `refs/agents/state` point at a commit whose tree holds `entries`: (mode, path,
/// content), where a path may be `agents/NAME.json` and a `040000` entry's content is a tree id.
fn set_state_tree(repo: &Repo, entries: &[(&str, &str, &str)]) {
    let line = |mode: &str, name: &str, content: &str| {
        let (kind, id) = if mode == "040000" {
            ("tree", content.to_owned())
        } else {
            let file = repo.tmp.path().join("blob");
            std::fs::write(&file, content).unwrap();
            (
                "blob",
                repo.git(&["hash-object", "-w", file.to_str().unwrap()])
                    .trim()
                    .to_owned(),
            )
        };
        format!("{mode} {kind} {id}\t{name}\n")
    };
    let mut root = String::new();
    let mut agents = String::new();
    for (mode, path, content) in entries {
        match path.strip_prefix("agents/") {
            Some(name) => agents.push_str(&line(mode, name, content)),
            None => root.push_str(&line(mode, path, content)),
        }
    }
    if !agents.is_empty() {
        root.push_str(&format!("040000 tree {}\tagents\n", mktree(repo, &agents)));
    }
    let tree = mktree(repo, &root);
    let commit = repo
        .git(&["commit-tree", &tree, "-m", "hand-made"])
        .trim()
        .to_owned();
    repo.git(&["update-ref", "refs/agents/state", &commit]);
}

fn mktree(repo: &Repo, listing: &str) -> String {
    use std::io::Write;
    let mut child = repo
        .command("git", &repo.root)
        .arg("mktree")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(listing.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "git mktree: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// Every command that reads or writes the state refuses a broken one the same way and
/// writes nothing over it.
fn every_command_refuses(repo: &Repo, message: &str) {
    let before = snapshot(repo);
    for args in [
        vec!["status"],
        vec!["status", "--json"],
        vec!["plan", "show"],
        vec!["spawn", "--ready"],
        vec!["add", "newcomer"],
        vec!["remove", "backend-agent"],
        vec!["update", "--agent", "backend-agent", "--note", "n"],
        vec!["task", "done", "1", "--agent", "backend-agent"],
        vec!["init"],
    ] {
        let run = repo.agents(&args);
        let code = if args == ["init"] { 1 } else { 2 };
        refused(run, code, if code == 1 { "--force" } else { message });
    }
    assert_eq!(
        snapshot(repo),
        before,
        "a broken state is never written over"
    );
    repo.agents(&[
        "init",
        "--force",
        "--plan",
        example_plan().to_str().unwrap(),
    ])
    .ok();
    assert_eq!(repo.status_json()["agents"].as_array().unwrap().len(), 8);
    assert_eq!(
        repo.git(&["cat-file", "-t", "refs/agents/state"]).trim(),
        "commit",
        "init --force is the way out"
    );
}

#[test]
fn broken_state_is_refused_by_every_command_and_recovered_by_init_force() {
    let repo = Repo::new();
    repo.init_example();
    let plan_json = repo.git(&["show", "refs/agents/state:plan.json"]);
    let agent_json = repo.git(&["show", "refs/agents/state:agents/backend-agent.json"]);
    let readme_tree = repo.git(&["rev-parse", "HEAD^{tree}"]).trim().to_owned();

    repo.git(&["update-ref", "refs/agents/state", &readme_tree]);
    every_command_refuses(&repo, "points at a tree, not a commit");

    set_state_tree(&repo, &[("040000", "plan.json", &readme_tree)]);
    every_command_refuses(&repo, "has no plan.json");

    set_state_tree(
        &repo,
        &[
            ("100644", "plan.json", &plan_json),
            ("100644", "agents/backend-agent.json", "{\"status\": 42}"),
        ],
    );
    every_command_refuses(&repo, "agents/backend-agent.json is not valid");

    set_state_tree(
        &repo,
        &[
            ("100644", "plan.json", &plan_json),
            ("100644", "agents/backend-agent.json", "\u{feff}{not json"),
        ],
    );
    every_command_refuses(&repo, "agents/backend-agent.json is not valid");

    let mut value: serde_json::Value = serde_json::from_str(&plan_json).unwrap();
    let agents = value["agents"].as_array_mut().unwrap();
    let backend = agents
        .iter_mut()
        .find(|a| a["name"] == "backend-agent")
        .unwrap();
    backend["depends_on"] = serde_json::json!(["testing-agent"]);
    let cyclic = serde_json::to_string_pretty(&value).unwrap();
    set_state_tree(
        &repo,
        &[
            ("100644", "plan.json", &cyclic),
            ("100644", "agents/backend-agent.json", &agent_json),
        ],
    );
    every_command_refuses(&repo, "dependency cycle");

    let escaping = plan_json.replacen("\"security-agent\"", "\"../../escape\"", 1);
    set_state_tree(&repo, &[("100644", "plan.json", &escaping)]);
    every_command_refuses(&repo, "invalid agent name");

    let future = plan_json.replacen("\"version\": 1", "\"version\": 2", 1);
    set_state_tree(&repo, &[("100644", "plan.json", &future)]);
    every_command_refuses(&repo, "written by a newer git-agents (schema version 2");

    let missing = "0123456789abcdef0123456789abcdef01234567";
    std::fs::write(
        repo.root.join(".git/refs/agents/state"),
        format!("{missing}\n"),
    )
    .unwrap();
    every_command_refuses(&repo, "missing from the object database");

    repo.git(&["symbolic-ref", "refs/agents/state", "refs/heads/main"]);
    every_command_refuses(&repo, "symbolic ref");

    assert_eq!(
        repo.git(&["rev-parse", "main"]),
        repo.git(&["rev-parse", "HEAD"]),
        "replacing the symbolic ref left the branch it pointed to alone"
    );
}

#[test]
fn a_bare_repository_is_refused() {
    let repo = Repo::new();
    let bare = repo.tmp.path().join("bare.git");
    repo.git(&["clone", "-q", "--bare", ".", bare.to_str().unwrap()]);
    let refs = repo.git_in(&bare, &["for-each-ref"]);
    for args in [
        vec!["init", "--plan", example_plan().to_str().unwrap()],
        vec!["status"],
        vec!["spawn", "--ready"],
    ] {
        refused(repo.agents_in(&bare, &args), 2, "is a bare repository");
    }
    assert_eq!(repo.git_in(&bare, &["for-each-ref"]), refs);
}

#[test]
fn a_repository_without_commits_is_refused_by_every_command() {
    let repo = Repo::empty();
    let before = snapshot(&repo);
    refused(
        repo.agents(&["init", "--plan", example_plan().to_str().unwrap()]),
        2,
        "no commits yet",
    );
    refused(repo.agents(&["init"]), 2, "no commits yet");
    for args in [
        vec!["status"],
        vec!["spawn", "--ready"],
        vec!["add", "a"],
        vec!["log"],
        vec!["update", "--agent", "a", "--note", "n"],
    ] {
        refused(repo.agents(&args), 2, "git agents init");
    }
    assert_eq!(snapshot(&repo), before);
}

#[test]
fn a_detached_head_needs_a_base_branch() {
    let repo = Repo::new();
    repo.git(&["checkout", "-q", "--detach"]);
    let before = snapshot(&repo);
    refused(
        repo.agents(&["init", "--plan", example_plan().to_str().unwrap()]),
        2,
        "HEAD is detached",
    );
    refused(
        repo.agents(&[
            "init",
            "--plan",
            example_plan().to_str().unwrap(),
            "--base",
            "nope",
        ]),
        2,
        "base branch \"nope\" does not exist",
    );
    assert_eq!(snapshot(&repo), before);
    repo.agents(&[
        "init",
        "--plan",
        example_plan().to_str().unwrap(),
        "--base",
        "main",
    ])
    .ok();
    repo.agents(&["spawn", "backend-agent"]).ok();
    assert_eq!(
        repo.git(&["rev-parse", "feature/backend-architecture"]),
        repo.git(&["rev-parse", "main"])
    );
    assert_eq!(
        repo.git(&["rev-parse", "--abbrev-ref", "HEAD"]).trim(),
        "HEAD",
        "the main worktree stays detached"
    );
}

#[test]
fn a_task_estimate_with_foreign_letters_is_an_error_not_a_crash() {
    let repo = Repo::new();
    repo.agents(&["init"]).ok();
    let before = snapshot(&repo);
    refused(
        repo.agents(&["add", "greek", "--task", "Thing (3 \u{039c} h)"]),
        2,
        "cannot read the estimate",
    );
    assert_eq!(snapshot(&repo), before);
    repo.agents(&["add", "greek", "--task", "Letters (\u{039c}h) (2h)"])
        .ok();
    let plan = repo.agents(&["plan", "show", "--json"]).ok().json();
    assert_eq!(
        plan["agents"][0]["tasks"][0]["title"],
        "Letters (\u{039c}h)"
    );
    assert_eq!(plan["agents"][0]["tasks"][0]["hours"], 2.0);
}
