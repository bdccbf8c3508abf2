//! The fake `gh` (tests/support/fake-gh, whose header documents the contract) and a
//! repository whose origin is a GitHub URL, for driving the GitHub forge without a network.
//!
//! origin's URL is `https://github.com/acme/widgets.git`, so git-agents sees GitHub; a
//! `url.<bare>.insteadOf` rewrite makes pushes and fetches land in a local bare repository.

use std::path::{Path, PathBuf};

use super::{Repo, Run};

/// The GitHub repository the fixtures pretend to be.
pub const SLUG: &str = "acme/widgets";
/// What `-R` names: the host too, so a GH_HOST set elsewhere cannot redirect the calls.
pub const HOST_SLUG: &str = "github.com/acme/widgets";
/// Its URL, as origin names it.
pub const URL: &str = "https://github.com/acme/widgets.git";

/// A fake gh installed in a directory of its own, with its scenario and call log.
pub struct FakeGh {
    /// The directory put first on PATH; it holds `gh`.
    pub dir: PathBuf,
    /// The scenario file the fake reads and updates.
    pub state: PathBuf,
    /// One JSON array of arguments per call.
    pub log: PathBuf,
}

impl FakeGh {
    /// Install the fake for `repo` with `scenario` (see the script's header).
    pub fn install(repo: &Repo, scenario: serde_json::Value) -> FakeGh {
        let dir = repo.tmp.path().join("fake-gh-bin");
        std::fs::create_dir_all(&dir).unwrap();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/fake-gh");
        let wrapper = dir.join("gh");
        std::fs::write(
            &wrapper,
            format!(
                "#!/bin/sh\nexec '{}' '{}' \"$@\"\n",
                python().display(),
                script.display()
            ),
        )
        .unwrap();
        let mut mode = std::fs::metadata(&wrapper).unwrap().permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut mode, 0o755);
        std::fs::set_permissions(&wrapper, mode).unwrap();
        let fake = FakeGh {
            state: repo.tmp.path().join("fake-gh-state.json"),
            log: repo.tmp.path().join("fake-gh-calls.jsonl"),
            dir,
        };
        fake.set_state(&scenario);
        std::fs::write(&fake.log, "").unwrap();
        fake
    }

    /// The environment that puts the fake first on PATH and keeps retries quick.
    pub fn envs(&self, repo: &Repo) -> Vec<(String, String)> {
        let path = repo
            .envs()
            .into_iter()
            .find(|(k, _)| k == "PATH")
            .map(|(_, v)| v)
            .unwrap_or_default();
        vec![
            ("PATH".into(), format!("{}:{path}", self.dir.display())),
            ("FAKE_GH_STATE".into(), self.state.display().to_string()),
            ("FAKE_GH_LOG".into(), self.log.display().to_string()),
            ("GIT_AGENTS_GH_BACKOFF_MS".into(), "5".into()),
        ]
    }

    /// Run `git agents ARGS` in the repository with the fake on PATH.
    pub fn run(&self, repo: &Repo, args: &[&str]) -> Run {
        repo.agents_with(&repo.root, args, &self.envs(repo))
    }

    /// Run `git agents ARGS` with the fake on PATH and extra environment.
    pub fn run_with(&self, repo: &Repo, args: &[&str], extra: &[(&str, &str)]) -> Run {
        let mut env = self.envs(repo);
        env.extend(
            extra
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        repo.agents_with(&repo.root, args, &env)
    }

    /// Every call so far, oldest first.
    pub fn calls(&self) -> Vec<Vec<String>> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    /// The calls whose arguments start with `words`.
    pub fn calls_to(&self, words: &[&str]) -> Vec<Vec<String>> {
        self.calls()
            .into_iter()
            .filter(|c| c.len() >= words.len() && c.iter().zip(words).all(|(a, b)| a == b))
            .collect()
    }

    /// Forget the calls so far.
    pub fn clear_log(&self) {
        std::fs::write(&self.log, "").unwrap();
    }

    /// The scenario as the fake left it.
    pub fn state(&self) -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(&self.state).unwrap()).unwrap()
    }

    /// Replace the scenario.
    pub fn set_state(&self, value: &serde_json::Value) {
        std::fs::write(&self.state, serde_json::to_string_pretty(value).unwrap()).unwrap();
    }

    /// Change the scenario in place.
    pub fn edit(&self, change: impl FnOnce(&mut serde_json::Value)) {
        let mut state = self.state();
        change(&mut state);
        self.set_state(&state);
    }

    /// The PR numbered `number` in the scenario.
    pub fn pr(&self, number: u64) -> serde_json::Value {
        self.state()["prs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["number"] == number)
            .cloned()
            .unwrap_or_else(|| panic!("no PR #{number} in the fake"))
    }
}

/// The Python interpreter itself (not a version manager's shim, which is slow to start).
fn python() -> &'static Path {
    static PYTHON: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    PYTHON.get_or_init(|| {
        let out = std::process::Command::new("python3")
            .args(["-c", "import sys; print(sys.executable)"])
            .output()
            .expect("python3 runs the fake gh; install python3");
        PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
    })
}

/// A repository whose origin is GitHub's URL for [`SLUG`], rewritten to a local bare
/// repository that already holds main.
pub fn github_repo() -> (Repo, PathBuf) {
    let repo = Repo::new();
    let bare = repo.tmp.path().join("remote.git");
    repo.git(&["init", "-q", "--bare", bare.to_str().unwrap()]);
    repo.git(&["remote", "add", "origin", URL]);
    repo.git(&["config", &format!("url.{}.insteadOf", bare.display()), URL]);
    repo.git(&["push", "-q", "origin", "main"]);
    // What these tests check is what gh says and does; task marks are a local criterion,
    // tested with the local forge.
    repo.git(&["config", "agents.requireTasksDone", "false"]);
    (repo, bare)
}

/// A PATH holding git and the git-agents binary but no gh at all.
pub fn path_without_gh(repo: &Repo) -> String {
    let tools = repo.tmp.path().join("tools-without-gh");
    std::fs::create_dir_all(&tools).unwrap();
    for tool in ["git", "sh"] {
        let found = std::env::var("PATH")
            .unwrap_or_default()
            .split(':')
            .map(|d| Path::new(d).join(tool))
            .find(|p| p.is_file())
            .unwrap_or_else(|| panic!("{tool} is not on PATH"));
        let link = tools.join(tool);
        if !link.exists() {
            std::os::unix::fs::symlink(found, link).unwrap();
        }
    }
    format!("{}:{}", super::bin_dir().display(), tools.display())
}
