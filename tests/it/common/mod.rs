//! Shared test fixtures: real repositories in temp dirs, and the built binary run as
//! `git agents` the way a user runs it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Output;

/// The example plan shipped with the project.
pub fn example_plan() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/parallel-plan.md")
}

/// The example plan's agents, in plan order.
pub const EXAMPLE_AGENTS: [&str; 8] = [
    "security-agent",
    "backend-agent",
    "frontend-agent",
    "rag-agent",
    "devops-agent",
    "testing-agent",
    "docs-agent",
    "github-agent",
];

/// A scratch home with a git identity, and a repository with one commit on `main`.
pub struct Repo {
    pub tmp: tempfile::TempDir,
    pub root: PathBuf,
    pub home: PathBuf,
}

/// The directory holding the built `git-agents` binary.
pub fn bin_dir() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_git-agents"))
        .parent()
        .expect("binary has a directory")
        .to_path_buf()
}

impl Repo {
    /// A new repository with an initial commit on main.
    pub fn new() -> Repo {
        let repo = Repo::empty();
        repo.write("README.md", "# project\n");
        repo.git(&["add", "."]);
        repo.git(&["commit", "-q", "-m", "Initial commit"]);
        repo
    }

    /// A new repository with no commits.
    pub fn empty() -> Repo {
        let tmp = tempfile::tempdir().expect("temp dir");
        let home = tmp.path().join("home");
        let root = tmp.path().join("repo");
        std::fs::create_dir_all(&home).unwrap();
        std::fs::create_dir_all(&root).unwrap();
        std::fs::write(
            home.join(".gitconfig"),
            "[user]\n\tname = Test User\n\temail = test@example.com\n[init]\n\tdefaultBranch = main\n[advice]\n\tdetachedHead = false\n",
        )
        .unwrap();
        let root = root.canonicalize().unwrap();
        let repo = Repo { tmp, root, home };
        repo.git(&["init", "-q", "-b", "main"]);
        repo
    }

    /// The environment every command runs with: our home, no system config, the binary on PATH.
    pub fn envs(&self) -> Vec<(String, String)> {
        let path = format!(
            "{}:{}",
            bin_dir().display(),
            std::env::var("PATH").unwrap_or_default()
        );
        vec![
            ("HOME".into(), self.home.display().to_string()),
            (
                "XDG_CONFIG_HOME".into(),
                self.home.join(".config").display().to_string(),
            ),
            ("GIT_CONFIG_NOSYSTEM".into(), "1".into()),
            ("PATH".into(), path),
            ("NO_COLOR".into(), "1".into()),
            ("LC_ALL".into(), "C.UTF-8".into()),
        ]
    }

    /// A command for `program` in `dir` with the test environment.
    pub fn command(&self, program: &str, dir: &Path) -> std::process::Command {
        let mut cmd = std::process::Command::new(program);
        cmd.current_dir(dir);
        for (key, value) in self.envs() {
            cmd.env(key, value);
        }
        for key in [
            "GIT_DIR",
            "GIT_WORK_TREE",
            "GIT_INDEX_FILE",
            "CLICOLOR_FORCE",
            "GIT_AUTHOR_NAME",
            "GIT_AUTHOR_EMAIL",
            "GIT_COMMITTER_NAME",
            "GIT_COMMITTER_EMAIL",
            // Views fit a width only when asked; a test says which width it wants.
            "COLUMNS",
        ] {
            cmd.env_remove(key);
        }
        cmd
    }

    /// Run git in the repository and return stdout; panics when git fails.
    pub fn git(&self, args: &[&str]) -> String {
        self.git_in(&self.root, args)
    }

    /// Run git in `dir` and return stdout; panics when git fails.
    pub fn git_in(&self, dir: &Path, args: &[&str]) -> String {
        let out = self
            .command("git", dir)
            .args(args)
            .output()
            .expect("git runs");
        assert!(
            out.status.success(),
            "git {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Run `git agents ARGS` in the repository.
    pub fn agents(&self, args: &[&str]) -> Run {
        self.agents_in(&self.root, args)
    }

    /// Run `git agents ARGS` in `dir`.
    pub fn agents_in(&self, dir: &Path, args: &[&str]) -> Run {
        let out = self
            .command("git", dir)
            .arg("agents")
            .args(args)
            .output()
            .expect("git agents runs");
        Run::from(out, args)
    }

    /// Write a file in the repository.
    pub fn write(&self, path: &str, text: &str) {
        let path = self.root.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    /// Every ref with its target, for checking that nothing moved.
    pub fn refs(&self) -> String {
        self.git(&["for-each-ref", "--format=%(refname) %(objectname)"])
    }

    /// The worktree list, for checking that nothing changed; the checkouts merged results
    /// are tested in (`.git/agents/merge/kept-N`, a cache of the last merged result) left
    /// out. [`Repo::all_worktrees`] has them too.
    pub fn worktrees(&self) -> String {
        self.all_worktrees()
            .split("\n\n")
            .filter(|block| !block.contains("/agents/merge/kept-"))
            .map(|block| format!("{}\n\n", block.trim_end()))
            .collect::<String>()
    }

    /// `git worktree list --porcelain`, as it is.
    pub fn all_worktrees(&self) -> String {
        self.git(&["worktree", "list", "--porcelain"])
    }

    /// Import the example plan.
    pub fn init_example(&self) {
        self.agents(&["init", "--plan", example_plan().to_str().unwrap()])
            .ok();
    }

    /// Parse `git agents status --json`.
    pub fn status_json(&self) -> serde_json::Value {
        self.agents(&["status", "--json"]).ok().json()
    }

    /// The worktree directory of agent `name` (under the default worktrees dir).
    pub fn worktree(&self, name: &str) -> PathBuf {
        self.root.join("worktrees").join(name)
    }

    /// Every agent's name and status, in plan order.
    pub fn statuses(&self) -> Vec<(String, String)> {
        self.status_json()["agents"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                (
                    a["name"].as_str().unwrap().to_owned(),
                    a["status"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    }

    /// Spawn `name`, commit `file` in its worktree, and take it through test, review,
    /// approval and PR so that every merge criterion holds; returns the head commit.
    pub fn ready(&self, name: &str, file: &str, text: &str) -> String {
        self.agents(&["spawn", name]).ok();
        let head = self.commit_in(
            &self.worktree(name),
            file,
            text,
            &format!("{name}: add {file}"),
        );
        self.propose(name);
        head
    }

    /// Mark every task of `name` done.
    pub fn finish_tasks(&self, name: &str) {
        let plan = self.agents(&["plan", "show", "--json"]).ok().json();
        let count = agent(&plan, name)["tasks"].as_array().unwrap().len();
        for number in 1..=count {
            self.agents(&["task", "done", &number.to_string(), "--agent", name])
                .ok();
        }
    }

    /// Mark `name`'s tasks done, record passing tests, a full review score and an
    /// approval on its head, and open its PR.
    pub fn propose(&self, name: &str) {
        self.finish_tasks(name);
        let dir = self.worktree(name);
        self.agents_in(&dir, &["test", "--", "sh", "-c", "exit 0"])
            .ok();
        self.agents_in(&dir, &["review", "--", "echo", "Score: 10/10"])
            .ok();
        self.agents(&["approve", name]).ok();
        self.agents(&["pr", name]).ok();
    }

    /// The commit checked out in `dir` (an agent's worktree).
    pub fn head_in(&self, dir: &Path) -> String {
        self.git_in(dir, &["rev-parse", "HEAD"]).trim().to_owned()
    }

    /// Commit a file in `dir` (an agent's worktree).
    pub fn commit_in(&self, dir: &Path, file: &str, text: &str, message: &str) -> String {
        let path = dir.join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        self.git_in(dir, &["add", file]);
        self.git_in(dir, &["commit", "-q", "-m", message]);
        self.head_in(dir)
    }
}

/// The entry named `name` in a report's `agents` list (`status --json`, `plan --json`).
pub fn agent<'a>(report: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    report["agents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == name)
        .unwrap_or_else(|| panic!("no {name} in {report}"))
}

/// What a run of the binary printed and how it exited.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub args: String,
}

impl Run {
    fn from(out: Output, args: &[&str]) -> Run {
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            args: args.join(" "),
        }
    }

    /// Assert success and return self.
    pub fn ok(self) -> Run {
        assert_eq!(
            self.code, 0,
            "git agents {} failed:\nstdout: {}\nstderr: {}",
            self.args, self.stdout, self.stderr
        );
        self
    }

    /// Assert the exit code, a one-line error on stderr and no panic; return self.
    pub fn fails(self, code: i32) -> Run {
        assert_eq!(
            self.code, code,
            "git agents {}: expected exit {code}\nstdout: {}\nstderr: {}",
            self.args, self.stdout, self.stderr
        );
        assert!(!self.stderr.contains("panicked"), "panic: {}", self.stderr);
        assert!(
            !self.stderr.contains("RUST_BACKTRACE"),
            "backtrace hint: {}",
            self.stderr
        );
        self
    }

    /// Assert that standard output (not standard error) contains `text`.
    pub fn prints(&self, text: &str) -> &Run {
        assert!(
            self.stdout.contains(text),
            "expected {text:?} on stdout of git agents {}\nstdout: {}",
            self.args,
            self.stdout
        );
        self
    }

    /// Assert standard error or standard output mentions `text`; return self.
    pub fn says(self, text: &str) -> Run {
        assert!(
            self.stderr.contains(text) || self.stdout.contains(text),
            "expected {text:?} in output of git agents {}\nstdout: {}\nstderr: {}",
            self.args,
            self.stdout,
            self.stderr
        );
        self
    }

    /// Parse stdout as newline-delimited JSON (`run --json`): one value per line.
    pub fn json_lines(&self) -> Vec<serde_json::Value> {
        self.stdout
            .lines()
            .map(|line| {
                serde_json::from_str(line)
                    .unwrap_or_else(|e| panic!("not a line of JSON ({e}): {line}"))
            })
            .collect()
    }

    /// Parse stdout as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.stdout))
    }
}

pub mod gh;

impl Repo {
    /// Run `git agents ARGS` in `dir` with `env` added to (or replacing) the test environment.
    pub fn agents_with(&self, dir: &Path, args: &[&str], env: &[(String, String)]) -> Run {
        let mut command = self.command("git", dir);
        command.arg("agents").args(args);
        for (key, value) in env {
            command.env(key, value);
        }
        Run::from(command.output().expect("git agents runs"), args)
    }
}
pub mod crash;

/// The (agent, kind) of every problem in a `doctor --json` report, in order.
pub fn problem_kinds(report: &serde_json::Value) -> Vec<(String, String)> {
    report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["agent"].as_str().unwrap().to_owned(),
                p["kind"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// Send `signal` to every process of the group `pgid` leads, as a terminal does for Ctrl-C
/// (2) or as a machine going away does (9).
pub fn signal_group(pgid: u32, signal: i32) {
    unsafe extern "C" {
        fn kill(pid: i32, signal: i32) -> i32;
    }
    // SAFETY: kill only sends a signal; the group is one the test started.
    unsafe { kill(-(pgid as i32), signal) };
}

/// Make `command` run as a terminal's foreground job does: in a process group of its own
/// (so Ctrl-C can be sent to the whole group) and with SIGINT and SIGQUIT at their
/// defaults even when the tests themselves run as a background job, which ignores them.
pub fn as_foreground_job(command: &mut std::process::Command) {
    use std::os::unix::process::CommandExt;
    unsafe extern "C" {
        fn signal(signum: i32, handler: usize) -> usize;
    }
    const SIGINT: i32 = 2;
    const SIGQUIT: i32 = 3;
    const SIG_DFL: usize = 0;
    command.process_group(0);
    // SAFETY: signal() is async-signal-safe, and nothing else runs in the forked child.
    unsafe {
        command.pre_exec(|| {
            signal(SIGINT, SIG_DFL);
            signal(SIGQUIT, SIG_DFL);
            Ok(())
        });
    }
}

/// Filters for snapshots of what the user sees: the repository's paths, commit ids and
/// times differ on every run.
pub fn view_filters(repo: &Repo) -> Vec<(String, String)> {
    let escape = |path: &Path| regex_escape(&path.display().to_string());
    vec![
        (escape(&repo.root), "[REPO]".to_owned()),
        (escape(repo.tmp.path()), "[TMP]".to_owned()),
        (r"\b[0-9a-f]{7,40}\b".to_owned(), "[SHA]".to_owned()),
        (
            r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ".to_owned(),
            "[TIME]".to_owned(),
        ),
        (
            r"\b\d+(\.\d+)? ?(ms|s|min|h|d) ago\b".to_owned(),
            "[AGO]".to_owned(),
        ),
    ]
}

/// `text` with every character a regular expression gives a meaning escaped.
fn regex_escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if r"\.+*?()|[]{}^$#&-~".contains(c) {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}
