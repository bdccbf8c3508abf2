//! Keeping a busy repository small: every state or notes write adds a few loose objects,
//! and nothing else git-agents does would ever pack them, because git only runs its
//! automatic maintenance after its own porcelain commands.
//!
//! So about one write in [`EVERY`] (chosen by the new commit's id, which is as good as
//! random and costs nothing) starts `git maintenance run --auto`, the same check git makes
//! after a commit. It packs only when git's own thresholds (`gc.auto`, 6,700 loose objects
//! by default) say so, and then in the background. Git does not count every loose object
//! for that: it counts those in one of the 256 fan-out directories (`objects/17`) and packs
//! once that holds more than `gc.auto / 256`, so the real trigger is a few hundred objects
//! either side of `gc.auto`. `maintenance.auto = false` or `gc.auto = 0` turn it off, as
//! they do for git.
//!
//! Automatic maintenance can also stop by itself and say nothing, because it runs in the
//! background; [`blockers`] finds the two files that do that, for `doctor` to report.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime};

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
/// without `maintenance run --detach`. Failures are ignored: this is housekeeping. The
/// process runs in `git_dir`, so it keeps no worktree of the caller's busy.
pub fn run_auto(git_dir: &Path) {
    let run = |args: &[&str]| {
        Command::new("git")
            .current_dir(git_dir)
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

/// How old `objects/maintenance.lock` must be before it counts as left by a run that died.
pub const STALE_MAINTENANCE_LOCK: Duration = Duration::from_secs(60 * 60);

/// How long git ignores automatic gc after a background gc reported a problem, when
/// `gc.logExpiry` does not say.
pub const DEFAULT_GC_LOG_EXPIRY: Duration = Duration::from_secs(24 * 60 * 60);

/// Something that stops git's automatic maintenance in a repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Blocker {
    /// `gc.log`, written by a background `git gc --auto` whose run ended with a warning:
    /// until it is removed or older than `gc.logExpiry`, every `git gc --auto` that would
    /// run in the background prints it and packs nothing. Before git 2.47 that is all
    /// automatic maintenance, git-agents' included; from 2.47 on, `git maintenance run`
    /// runs gc in the foreground of its own background process and is not stopped.
    GcLog {
        /// The file.
        path: PathBuf,
        /// How long ago it was written.
        age: Duration,
        /// Its first line: what the last background gc reported.
        report: String,
    },
    /// `objects/maintenance.lock`, left by a maintenance run that did not finish: while it
    /// exists every `git maintenance run --auto` skips the repository without a word.
    StaleLock {
        /// The file.
        path: PathBuf,
        /// How long ago it was taken.
        age: Duration,
    },
}

impl Blocker {
    /// What stops maintenance, in a sentence.
    pub fn describe(&self) -> String {
        match self {
            Blocker::GcLog { path, age, report } => format!(
                "background `git gc --auto` does nothing while {} exists (written {} ago by one that reported: {report}); before git 2.47 that stops all automatic maintenance",
                path.display(),
                crate::time::format_duration(*age)
            ),
            Blocker::StaleLock { path, age } => format!(
                "automatic git maintenance is skipped while {} exists; a maintenance run took it {} ago and has not let go",
                path.display(),
                crate::time::format_duration(*age)
            ),
        }
    }

    /// What a person should do about it.
    pub fn advice(&self) -> String {
        match self {
            Blocker::GcLog { path, .. } => format!(
                "deal with what it reports (`git gc` packs the repository now), then delete {}",
                path.display()
            ),
            Blocker::StaleLock { path, .. } => format!(
                "if no `git maintenance` or `git gc` is running, delete {}",
                path.display()
            ),
        }
    }
}

/// What stops git's automatic maintenance in `repo` now.
pub fn blockers(repo: &gix::Repository) -> Vec<Blocker> {
    let now = SystemTime::now();
    let age_of = |path: &Path| {
        let modified = std::fs::metadata(path).and_then(|m| m.modified()).ok()?;
        Some(now.duration_since(modified).unwrap_or(Duration::ZERO))
    };
    let mut found = Vec::new();
    let gc_log = repo.common_dir().join("gc.log");
    if let Some(age) = age_of(&gc_log)
        && gc_log_expiry(repo).is_none_or(|expiry| age < expiry)
    {
        let text = std::fs::read_to_string(&gc_log).unwrap_or_default();
        let report = text
            .lines()
            .map(str::trim)
            .find(|line| !line.is_empty())
            .unwrap_or("nothing readable")
            .to_owned();
        found.push(Blocker::GcLog {
            path: gc_log,
            age,
            report,
        });
    }
    let lock = repo.objects.store_ref().path().join("maintenance.lock");
    if let Some(age) = age_of(&lock).filter(|age| *age >= STALE_MAINTENANCE_LOCK) {
        found.push(Blocker::StaleLock { path: lock, age });
    }
    found
}

/// How long a `gc.log` stops automatic gc: `gc.logExpiry` when it is `now`, `never` or a
/// relative time such as `1.day.ago` or `3 hours`, else a day; `None` for `never`.
fn gc_log_expiry(repo: &gix::Repository) -> Option<Duration> {
    let config = repo.config_snapshot();
    let Some(text) = config.string("gc.logExpiry") else {
        return Some(DEFAULT_GC_LOG_EXPIRY);
    };
    parse_expiry(&text.to_string()).unwrap_or(Some(DEFAULT_GC_LOG_EXPIRY))
}

/// Parse a relative git date (`now`, `never`, `2.weeks.ago`, `3 hours`); the outer `None`
/// when it is not one, the inner `None` for `never`.
fn parse_expiry(text: &str) -> Option<Option<Duration>> {
    let text = text.trim().to_ascii_lowercase();
    match text.as_str() {
        "now" => return Some(Some(Duration::ZERO)),
        "never" => return Some(None),
        _ => {}
    }
    let words: Vec<&str> = text
        .split(['.', ' '])
        .filter(|w| !w.is_empty() && *w != "ago")
        .collect();
    let [count, unit] = words.as_slice() else {
        return None;
    };
    let count: u64 = count.parse().ok()?;
    let seconds: u64 = match unit.trim_end_matches('s') {
        "second" | "sec" => 1,
        "minute" | "min" => 60,
        "hour" => 60 * 60,
        "day" => 24 * 60 * 60,
        "week" => 7 * 24 * 60 * 60,
        "month" => 30 * 24 * 60 * 60,
        "year" => 365 * 24 * 60 * 60,
        _ => return None,
    };
    Some(Some(Duration::from_secs(count.checked_mul(seconds)?)))
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

    #[test]
    fn gc_log_expiry_reads_like_git() {
        let day = Duration::from_secs(24 * 60 * 60);
        assert_eq!(parse_expiry("1.day.ago"), Some(Some(day)));
        assert_eq!(parse_expiry("2.weeks.ago"), Some(Some(day * 14)));
        assert_eq!(
            parse_expiry("3 hours"),
            Some(Some(Duration::from_secs(3 * 3600)))
        );
        assert_eq!(parse_expiry("now"), Some(Some(Duration::ZERO)));
        assert_eq!(parse_expiry("never"), Some(None));
        assert_eq!(parse_expiry("last tuesday"), None);
        assert_eq!(parse_expiry("99999999999999999.years"), None);
    }
}
