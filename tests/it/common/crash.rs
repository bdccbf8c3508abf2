//! Helpers for crash tests: the binary started in its own process group so it can be
//! killed whole, the lock files a killed git may leave, and a strict `git fsck`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::Repo;

/// The built binary, run directly so that its process id is the one killed.
pub fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_git-agents"))
}

/// `git-agents ARGS` in `dir`, in its own process group, with extra environment.
pub fn start(repo: &Repo, dir: &Path, args: &[&str], env: &[(&str, &str)]) -> std::process::Child {
    use std::os::unix::process::CommandExt;
    let mut cmd = repo.command(binary().to_str().unwrap(), dir);
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0);
    for (key, value) in env {
        cmd.env(key, value);
    }
    cmd.spawn().expect("git-agents starts")
}

/// Kill the whole process group of `child` (it and everything it started) with SIGKILL.
pub fn kill_group(child: &mut std::process::Child) {
    let group = format!("-{}", child.id());
    let _ = Command::new("kill")
        .args(["-KILL", "--", &group])
        .stderr(Stdio::null())
        .status();
    let _ = child.wait();
}

/// Every lock file under the git directory.
pub fn lock_files(repo: &Repo) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut dirs = vec![repo.root.join(".git")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "lock") {
                found.push(path);
            }
        }
    }
    found
}

/// `git fsck` finds nothing wrong (dangling objects are allowed: a crash may leave some).
pub fn fsck_clean(repo: &Repo) {
    let out = repo
        .command("git", &repo.root)
        .args(["fsck", "--no-progress", "--no-dangling"])
        .output()
        .unwrap();
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "git fsck: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A seed from the environment variable `var`, or else from the clock; printed so that a
/// failure can be replayed with `var=SEED`.
pub fn seed(var: &str) -> u64 {
    let seed = std::env::var(var)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        });
    eprintln!("{var}={seed}");
    seed
}

/// A small xorshift generator.
pub struct Random(u64);

impl Random {
    /// A generator seeded from `CRASH_SEED` or the clock (see [`seed`]).
    pub fn new() -> Random {
        Random::from_seed(seed("CRASH_SEED"))
    }

    /// A generator for `seed`.
    pub fn from_seed(seed: u64) -> Random {
        Random(seed | 1)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}
