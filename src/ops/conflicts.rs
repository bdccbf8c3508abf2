//! The conflict radar: which active branches would conflict with each other or with the
//! base branch if merged now, predicted with `git merge-tree --write-tree` so that no
//! worktree, index or ref is touched.
//!
//! A prediction is a fact about exact commits, so it is kept in a small cache under the
//! git directory keyed by the commits it judged; `status` reads it and shows agents at
//! risk only while every commit involved is still the branch's tip, which keeps the
//! dashboard both cheap and never stale.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use gix::ObjectId;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::git::workspace::Workspace;
use crate::git::worktree;
use crate::git::{Git, GitError};
use crate::state::State;

/// The oldest git whose `merge-tree` has `--write-tree`.
pub const MIN_GIT: (u32, u32) = (2, 38);

/// An active agent's branch as the radar checked it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckedBranch {
    /// The agent.
    pub agent: String,
    /// Its branch.
    pub branch: String,
    /// The branch's tip that was checked.
    pub head: String,
}

/// An active agent the radar could not check, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// The agent.
    pub agent: String,
    /// Why it was left out.
    pub reason: String,
}

/// The prediction for merging two branches (or a branch and the base).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PairReport {
    /// The first agent.
    pub a: String,
    /// The second agent, or the base branch's name when `against_base`.
    pub b: String,
    /// Whether `b` is the base branch.
    pub against_base: bool,
    /// The commit checked for `a`.
    pub a_head: String,
    /// The commit checked for `b`.
    pub b_head: String,
    /// Files that would conflict.
    pub conflicts: Vec<String>,
    /// Files both sides changed since they parted, conflicting or not.
    pub overlapping: Vec<String>,
}

impl PairReport {
    /// Whether merging the two would conflict.
    pub fn conflicts(&self) -> bool {
        !self.conflicts.is_empty()
    }
}

/// Everything the radar found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConflictReport {
    /// The base branch.
    pub base: String,
    /// Its tip when checked.
    pub base_head: String,
    /// The active branches checked, in plan order.
    pub branches: Vec<CheckedBranch>,
    /// Active agents left out, with the reason.
    pub skipped: Vec<Skipped>,
    /// Every pair of checked branches, then each branch against the base.
    pub pairs: Vec<PairReport>,
    /// For each agent at risk, what it would conflict with.
    pub at_risk: BTreeMap<String, Vec<String>>,
}

/// The cache of the last prediction, stored under the git directory.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Cache {
    base: String,
    base_head: String,
    pairs: Vec<PairReport>,
}

/// Predict conflicts between every pair of active branches and between each and the base.
/// The result is also remembered for `status`.
pub fn check(ws: &Workspace) -> Result<ConflictReport> {
    let git = ws.git();
    require_git(&git)?;
    let state = State::load(&ws.repo)?;
    let base = state.base().to_owned();
    let base_head = worktree::branch_tip(&ws.repo, &base)?
        .ok_or_else(|| {
            Error::Usage(format!(
                "base branch {base:?} does not exist; create it or change the plan's base"
            ))
        })?
        .to_string();
    let mut branches = Vec::new();
    let mut skipped = Vec::new();
    for spec in &state.plan.agents {
        let Some(doc) = state.agent(&spec.name) else {
            continue;
        };
        if !doc.status.is_active() {
            continue;
        }
        match worktree::branch_tip(&ws.repo, &spec.branch)? {
            Some(head) => branches.push(CheckedBranch {
                agent: spec.name.clone(),
                branch: spec.branch.clone(),
                head: head.to_string(),
            }),
            None => skipped.push(Skipped {
                agent: spec.name.clone(),
                reason: format!(
                    "branch {} does not exist (git agents doctor can tell why)",
                    spec.branch
                ),
            }),
        }
    }

    let diffs: Vec<(usize, bool)> = (0..branches.len())
        .flat_map(|i| [(i, true), (i, false)])
        .collect();
    let mut changes = parallel_map(&diffs, |&(i, own)| {
        let head = branches[i].head.as_str();
        if own {
            changed_files(&git, &base_head, head)
        } else {
            changed_files(&git, head, &base_head)
        }
    })
    .into_iter();
    let mut own_changes = Vec::with_capacity(branches.len());
    let mut base_changes = Vec::with_capacity(branches.len());
    while let (Some(own), Some(base_side)) = (changes.next(), changes.next()) {
        own_changes.push(own?);
        base_changes.push(base_side?);
    }

    let mut jobs: Vec<(usize, Option<usize>)> = Vec::new();
    for i in 0..branches.len() {
        for j in i + 1..branches.len() {
            jobs.push((i, Some(j)));
        }
    }
    jobs.extend((0..branches.len()).map(|i| (i, None)));
    let merged = parallel_map(&jobs, |&(i, j)| {
        let other = j.map_or(base_head.as_str(), |j| branches[j].head.as_str());
        merge_conflicts(&git, &branches[i].head, other)
    });
    let mut pairs = Vec::with_capacity(jobs.len());
    for (&(i, j), conflicts) in jobs.iter().zip(merged) {
        let conflicts = conflicts?;
        let (b, b_head, theirs) = match j {
            Some(j) => (
                branches[j].agent.clone(),
                branches[j].head.clone(),
                &own_changes[j],
            ),
            None => (base.clone(), base_head.clone(), &base_changes[i]),
        };
        pairs.push(PairReport {
            a: branches[i].agent.clone(),
            b,
            against_base: j.is_none(),
            a_head: branches[i].head.clone(),
            b_head,
            conflicts,
            overlapping: own_changes[i].intersection(theirs).cloned().collect(),
        });
    }
    let at_risk = risks(&pairs);
    let report = ConflictReport {
        base: base.clone(),
        base_head: base_head.clone(),
        branches,
        skipped,
        pairs,
        at_risk,
    };
    remember(
        ws,
        &Cache {
            base,
            base_head,
            pairs: report.pairs.clone(),
        },
    );
    Ok(report)
}

/// What each active agent would conflict with, from the last prediction, counting only
/// pairs whose commits are still the tips of their branches. `active` names each
/// active agent with its branch; `tips` holds the tips of those branches and of `base`
/// (a branch missing from it does not exist). Cheap: without a remembered prediction it
/// reads nothing but one missing file.
pub fn current_risks<'a>(
    ws: &Workspace,
    base: &str,
    active: impl Iterator<Item = (&'a str, &'a str)>,
    tips: &HashMap<String, ObjectId>,
) -> BTreeMap<String, Vec<String>> {
    let Some(cache) = recall(ws) else {
        return BTreeMap::new();
    };
    let base_head = tips.get(base).map(|id| id.to_string());
    if cache.base != base || base_head.as_deref() != Some(cache.base_head.as_str()) {
        return BTreeMap::new();
    }
    let heads: BTreeMap<&str, String> = active
        .filter_map(|(name, branch)| tips.get(branch).map(|id| (name, id.to_string())))
        .collect();
    let current: Vec<PairReport> = cache
        .pairs
        .into_iter()
        .filter(|p| heads.get(p.a.as_str()) == Some(&p.a_head))
        .filter(|p| {
            if p.against_base {
                p.b_head == cache.base_head
            } else {
                heads.get(p.b.as_str()) == Some(&p.b_head)
            }
        })
        .collect();
    risks(&current)
}

fn risks(pairs: &[PairReport]) -> BTreeMap<String, Vec<String>> {
    let mut risks: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for pair in pairs.iter().filter(|p| p.conflicts()) {
        risks
            .entry(pair.a.clone())
            .or_default()
            .push(pair.b.clone());
        if !pair.against_base {
            risks
                .entry(pair.b.clone())
                .or_default()
                .push(pair.a.clone());
        }
    }
    risks
}

fn cache_path(ws: &Workspace) -> PathBuf {
    ws.common_dir.join("agents").join("conflicts.json")
}

fn remember(ws: &Workspace, cache: &Cache) {
    let path = cache_path(ws);
    let Ok(text) = serde_json::to_vec(cache) else {
        return;
    };
    // The cache only saves work for `status`; failing to write it changes no answer.
    let _ = crate::fsutil::replace(&path, &text);
}

fn recall(ws: &Workspace) -> Option<Cache> {
    let text = std::fs::read(cache_path(ws)).ok()?;
    serde_json::from_slice(&text).ok()
}

/// Refuse a git too old for `merge-tree --write-tree`.
pub fn require_git(git: &Git) -> Result<()> {
    let text = git.run(["--version"])?;
    match parse_version(&text) {
        Some(version) if version >= MIN_GIT => Ok(()),
        Some((major, minor)) => Err(Error::External(format!(
            "predicting conflicts needs git {}.{} or newer (for merge-tree --write-tree); this is git {major}.{minor}: upgrade git",
            MIN_GIT.0, MIN_GIT.1
        ))),
        None => Err(Error::External(format!(
            "cannot read the git version from {:?}; predicting conflicts needs git {}.{} or newer",
            text.trim(),
            MIN_GIT.0,
            MIN_GIT.1
        ))),
    }
}

/// `(major, minor)` from `git version 2.47.3` (vendor suffixes allowed).
pub fn parse_version(text: &str) -> Option<(u32, u32)> {
    let rest = text.trim().strip_prefix("git version ")?;
    let mut parts = rest.split(|c: char| !c.is_ascii_digit());
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((major, minor))
}

/// Files changed on `to` since it parted from `from`.
fn changed_files(git: &Git, from: &str, to: &str) -> Result<BTreeSet<String>, GitError> {
    let range = format!("{from}...{to}");
    let text = git.run([
        "diff",
        "--name-only",
        "--no-renames",
        "--no-ext-diff",
        "-z",
        &range,
    ])?;
    Ok(text
        .split('\0')
        .filter(|f| !f.is_empty())
        .map(str::to_owned)
        .collect())
}

/// The files that merging `a` and `b` would leave conflicted (empty when it merges clean).
fn merge_conflicts(git: &Git, a: &str, b: &str) -> Result<Vec<String>, GitError> {
    let out = git.output([
        "merge-tree",
        "--write-tree",
        "--name-only",
        "--no-messages",
        "-z",
        a,
        b,
    ])?;
    match out.code {
        Some(0) => Ok(Vec::new()),
        Some(1) => {
            let mut files: Vec<String> = out
                .stdout
                .split('\0')
                .skip(1)
                .take_while(|f| !f.is_empty())
                .map(str::to_owned)
                .collect();
            files.sort();
            files.dedup();
            Ok(files)
        }
        code => Err(GitError::Failed {
            command: "merge-tree".to_owned(),
            message: crate::git::first_meaningful_line(&out.stderr)
                .unwrap_or_else(|| format!("exit status {}", code.unwrap_or(-1))),
            code,
        }),
    }
}

/// `f` applied to every item on a few threads, results in the items' order.
fn parallel_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .clamp(1, 4)
        .min(items.len().max(1));
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<R>>> = Mutex::new((0..items.len()).map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = items.get(index) else {
                        break;
                    };
                    let result = f(item);
                    if let Ok(mut results) = results.lock() {
                        results[index] = Some(result);
                    }
                }
            });
        }
    });
    results
        .into_inner()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .into_iter()
        .flatten()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_git_versions() {
        assert_eq!(parse_version("git version 2.47.3\n"), Some((2, 47)));
        assert_eq!(parse_version("git version 2.39.2.windows.1"), Some((2, 39)));
        assert_eq!(
            parse_version("git version 2.50.1 (Apple Git-155)"),
            Some((2, 50))
        );
        assert_eq!(parse_version("hub version 2.14"), None);
        assert!(parse_version("git version 2.37.1").unwrap() < MIN_GIT);
    }

    #[test]
    fn maps_keep_order_whatever_the_threads() {
        let items: Vec<u32> = (0..100).collect();
        assert_eq!(
            parallel_map(&items, |n| n * 2),
            (0..100).map(|n| n * 2).collect::<Vec<_>>()
        );
        assert!(parallel_map(&Vec::<u32>::new(), |n| *n).is_empty());
    }

    #[test]
    fn risks_name_both_sides_of_a_conflict() {
        let pair = |a: &str, b: &str, base: bool, conflicts: &[&str]| PairReport {
            a: a.to_owned(),
            b: b.to_owned(),
            against_base: base,
            a_head: "1".to_owned(),
            b_head: "2".to_owned(),
            conflicts: conflicts.iter().map(|c| (*c).to_owned()).collect(),
            overlapping: Vec::new(),
        };
        let risks = risks(&[
            pair("x", "y", false, &["f"]),
            pair("x", "main", true, &["g"]),
            pair("y", "z", false, &[]),
        ]);
        assert_eq!(risks["x"], ["y", "main"]);
        assert_eq!(risks["y"], ["x"]);
        assert!(!risks.contains_key("z"));
    }
}
