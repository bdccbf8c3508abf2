//! Keeping a busy repository small: every state or notes write adds a few loose objects,
//! and nothing else git-agents does would ever pack them, because git only runs its
//! automatic maintenance after its own porcelain commands.
//!
//! So about one write in [`EVERY`] (chosen by the new commit's id, which is as good as
//! random and costs nothing) starts `git maintenance run --auto`, the same check git makes
//! after a commit. It packs only when git's own thresholds (`gc.auto`, 6,700 loose objects
//! by default) say so, and then in the background. `maintenance.auto = false` or
//! `gc.auto = 0` turn it off, as they do for git.

use std::path::Path;
use std::process::{Command, Stdio};

use gix::ObjectId;

/// About one write in this many runs the automatic maintenance check.
pub const EVERY: u8 = 64;

/// Run git's automatic maintenance check if `commit`, just written, is one of the chosen.
pub fn after_write(repo: &gix::Repository, commit: ObjectId) {
    if !is_chosen(commit) || is_disabled(repo) {
        return;
    }
    run_auto(repo.common_dir());
}

/// Whether the write of `commit` runs the check.
pub fn is_chosen(commit: ObjectId) -> bool {
    commit.as_bytes().first().is_some_and(|b| b % EVERY == 0)
}

fn is_disabled(repo: &gix::Repository) -> bool {
    let config = repo.config_snapshot();
    config.boolean("maintenance.auto") == Some(false) || config.integer("gc.auto") == Some(0)
}

/// Start `git maintenance run --auto` on the repository at `git_dir`; it returns at once,
/// leaving any packing to a background process. Falls back to `git gc --auto` for a git
/// without `maintenance run --detach`. Failures are ignored: this is housekeeping.
pub fn run_auto(git_dir: &Path) {
    let run = |args: &[&str]| {
        Command::new("git")
            .arg("--git-dir")
            .arg(git_dir)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(true)
    };
    if !run(&["maintenance", "run", "--auto", "--quiet", "--detach"]) {
        run(&["gc", "--auto", "--quiet"]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn about_one_commit_in_every_is_chosen() {
        let chosen = (0u16..=255)
            .filter(|&b| {
                let mut bytes = [0u8; 20];
                bytes[0] = b as u8;
                is_chosen(ObjectId::from_bytes_or_panic(&bytes))
            })
            .count();
        assert_eq!(chosen, 256 / usize::from(EVERY));
    }
}
