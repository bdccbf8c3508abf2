//! `sync`: share the fleet's state through an ordinary git remote, with no server of our own.
//!
//! One round fetches the remote's `refs/agents/*` and `refs/notes/agents` into a private
//! namespace (`refs/agents-remote/<remote>/…`, never our own refs), reconciles each ref
//! with ours, and pushes the result back atomically with a lease on exactly the remote
//! values it merged. If someone else pushed in between, the lease fails and the round
//! starts again from a fresh fetch (a bounded number of times).
//!
//! How diverged histories merge: git-bug keeps every change as an operation ordered by
//! Lamport clocks and replays the operations after a merge; git-appraise keeps
//! records as JSON lines in notes and merges them as a sorted union. Our state is a
//! snapshot of small documents, not a log of operations, so replaying is not possible
//! without changing every writer. Instead the documents are merged three-way against
//! the merge base of the two histories (see [`merge`]): per document, per field inside
//! an agent's document, with task marks and notes merged as sets. That needs no clocks,
//! keeps the state readable as plain JSON, and leaves only true conflicts (the same
//! field set to different values on both sides), which are decided by a rule both
//! sides agree on and written into the merge commit's message and the report, never
//! dropped silently. Notes are what git-appraise does: JSON lines merged as a union,
//! here ordered by their time so that "the latest test result" stays the latest.
//!
//! Both merges are two-parent commits moved with the same compare-and-swap as every
//! other write ([`crate::git::cas::swap`]); a local writer racing the merge makes it start
//! over from the new local tip.

pub mod merge;

use crate::progress::Progress;
use std::collections::BTreeMap;

use gix::ObjectId;
use gix::object::tree::EntryKind;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::git::cas::{self, Tip};
use crate::git::workspace::Workspace;
use crate::git::{Git, GitError};
use crate::state::STATE_REF;
use crate::state::notes::NOTES_REF;

pub use merge::{Conflict, Side};

/// The remote used when none is named.
pub const DEFAULT_REMOTE: &str = "origin";
/// Where fetched refs are kept: `refs/agents-remote/<remote>/…`.
pub const TRACKING_PREFIX: &str = "refs/agents-remote";
/// How many fetch-merge-push rounds are tried before giving up on a busy remote.
pub const MAX_ROUNDS: u32 = 6;
/// How many times a merge is rebuilt when a local writer moves the ref meanwhile.
const MAX_LOCAL_RETRIES: u32 = 50;

/// What happened to one ref.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Neither side has it.
    Absent,
    /// Both sides already agree.
    InSync,
    /// Ours is ahead of theirs (or theirs does not exist): ours is pushed.
    Ahead,
    /// We had none: theirs was taken.
    TookRemote,
    /// Theirs was ahead: ours was fast-forwarded to it.
    FastForwarded,
    /// Both had moved on: a merge commit joins them, and is pushed.
    Merged,
}

/// How one ref was synchronized.
#[derive(Debug, Clone, Serialize)]
pub struct RefSync {
    /// The ref.
    pub name: String,
    /// What happened (in the last round).
    pub action: Action,
    /// Our tip before the sync.
    pub local_before: Option<String>,
    /// The remote's tip as last fetched.
    pub remote_before: Option<String>,
    /// The tip both sides have now.
    pub result: Option<String>,
    /// Documents (or, for notes, annotated commits) whose content changed locally.
    pub changed: Vec<String>,
    /// Whether the result was pushed.
    pub pushed: bool,
}

/// What `sync` did.
#[derive(Debug, Clone, Serialize)]
pub struct SyncReport {
    /// The remote.
    pub remote: String,
    /// Where its refs were fetched to.
    pub tracking: String,
    /// The state ref.
    pub state: RefSync,
    /// The notes ref.
    pub notes: RefSync,
    /// Every true conflict met, with the side kept.
    pub conflicts: Vec<Conflict>,
    /// Fetch-merge-push rounds it took.
    pub rounds: u32,
}

/// Synchronize the state and notes with `remote` (default `origin`).
pub fn sync(
    ws: &Workspace,
    remote: Option<&str>,
    progress: &mut dyn Progress,
) -> Result<SyncReport> {
    let git = ws.git();
    let remote = remote.unwrap_or(DEFAULT_REMOTE).to_owned();
    if let Some(why) = crate::git::remote::refusal(&remote) {
        return Err(Error::Usage(why));
    }
    let tracking = format!("{TRACKING_PREFIX}/{}", tracking_name(&git, &remote)?);
    let tracked_state = format!("{tracking}/agents/state");
    let tracked_notes = format!("{tracking}/notes/agents");
    let local_state = tip_id(&ws.repo, STATE_REF)?;
    let local_notes = tip_id(&ws.repo, NOTES_REF)?;
    let mut conflicts = Vec::new();
    let mut state_changed = Vec::new();
    let mut notes_changed = Vec::new();
    for round in 1..=MAX_ROUNDS {
        progress.step(&format!("fetching the agents refs from {remote}"));
        fetch(&git, &remote, &tracking)?;
        let remote_state = tip_id(&ws.repo, &tracked_state)?;
        let remote_notes = tip_id(&ws.repo, &tracked_notes)?;
        if round == 1 && local_state.is_none() && remote_state.is_none() {
            return Err(Error::Usage(format!(
                "neither this repository nor {remote} has git-agents state; run `git agents init --plan FILE` first"
            )));
        }
        let state = reconcile(
            ws,
            STATE_REF,
            remote_state,
            &remote,
            &mut |base, ours, theirs| merge_state_trees(ws, base, ours, theirs),
        )?;
        conflicts.extend(state.conflicts);
        extend_unique(&mut state_changed, state.changed);
        let notes = reconcile(
            ws,
            NOTES_REF,
            remote_notes,
            &remote,
            &mut |base, ours, theirs| merge_notes_trees(ws, base, ours, theirs),
        )?;
        extend_unique(&mut notes_changed, notes.changed);

        let mut pushes = Vec::new();
        for (name, result, before) in [
            (STATE_REF, state.result, remote_state),
            (NOTES_REF, notes.result, remote_notes),
        ] {
            if let Some(result) = result
                && Some(result) != before
            {
                pushes.push((name, result, before));
            }
        }
        let pushed = if pushes.is_empty() {
            true
        } else {
            progress.step(&format!("pushing to {remote}"));
            match push(&git, &remote, &pushes)? {
                Ok(()) => true,
                Err(refused) => {
                    fetch(&git, &remote, &tracking)?;
                    let moved = tip_id(&ws.repo, &tracked_state)? != remote_state
                        || tip_id(&ws.repo, &tracked_notes)? != remote_notes;
                    if !moved {
                        return Err(refused.into());
                    }
                    false
                }
            }
        };
        if pushed {
            for (name, result, _) in &pushes {
                let tracked = if *name == STATE_REF {
                    &tracked_state
                } else {
                    &tracked_notes
                };
                let before = tip_id(&ws.repo, tracked)?;
                // Only a cache of the remote: the next fetch corrects it if this fails.
                let _ = cas::swap(&ws.repo, tracked, before, *result, "sync: pushed");
            }
            let was_pushed = |name: &str| pushes.iter().any(|(n, _, _)| *n == name);
            return Ok(SyncReport {
                remote,
                tracking,
                state: RefSync {
                    name: STATE_REF.to_owned(),
                    action: state.action,
                    local_before: local_state.map(|id| id.to_string()),
                    remote_before: remote_state.map(|id| id.to_string()),
                    result: state.result.map(|id| id.to_string()),
                    changed: state_changed,
                    pushed: was_pushed(STATE_REF),
                },
                notes: RefSync {
                    name: NOTES_REF.to_owned(),
                    action: notes.action,
                    local_before: local_notes.map(|id| id.to_string()),
                    remote_before: remote_notes.map(|id| id.to_string()),
                    result: notes.result.map(|id| id.to_string()),
                    changed: notes_changed,
                    pushed: was_pushed(NOTES_REF),
                },
                conflicts,
                rounds: round,
            });
        }
        progress.step(&format!("{remote} moved while we merged; fetching again"));
        std::thread::sleep(std::time::Duration::from_millis(50 * u64::from(round)));
    }
    Err(Error::State(crate::state::StateError::Cas(
        cas::CasError::Contention {
            name: format!("{remote}'s agents refs"),
            attempts: MAX_ROUNDS,
        },
    )))
}

/// Bring the remote's state as last fetched into `tracking` into ours, pushing nothing:
/// what this clone changed meanwhile goes out with the next [`sync`].
pub(crate) fn take_in(ws: &Workspace, remote: &str, tracking: &str) -> Result<()> {
    let tracked = format!("{tracking}/agents/state");
    let theirs = tip_id(&ws.repo, &tracked)?;
    reconcile(ws, STATE_REF, theirs, remote, &mut |base, ours, theirs| {
        merge_state_trees(ws, base, ours, theirs)
    })
    .map(drop)
}

fn extend_unique(into: &mut Vec<String>, items: Vec<String>) {
    for item in items {
        if !into.contains(&item) {
            into.push(item);
        }
    }
}

/// The path component naming `remote` under [`TRACKING_PREFIX`]: a configured remote's
/// own name, or a URL or path made safe for a ref name.
pub(crate) fn tracking_name(git: &Git, remote: &str) -> Result<String> {
    let remotes = git.run(["remote"])?;
    if remotes.lines().any(|r| r.trim() == remote) {
        return Ok(remote.to_owned());
    }
    let looks_like_location =
        remote.contains('/') || remote.contains(':') || remote.ends_with(".git");
    if !looks_like_location {
        let known: Vec<&str> = remotes
            .lines()
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .collect();
        return Err(Error::Usage(if known.is_empty() {
            format!(
                "no remote named {remote:?}; add one with `git remote add {remote} URL` or pass a URL"
            )
        } else {
            format!(
                "no remote named {remote:?}; known remotes: {}; or pass a URL",
                known.join(", ")
            )
        }));
    }
    let safe: String = remote
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let safe = safe.trim_matches('-');
    Ok(format!(
        "url-{}",
        if safe.is_empty() { "remote" } else { safe }
    ))
}

pub(crate) fn fetch(git: &Git, remote: &str, tracking: &str) -> Result<(), GitError> {
    git.run([
        "fetch",
        "--quiet",
        "--no-tags",
        "--no-write-fetch-head",
        "--prune",
        "--",
        remote,
        &format!("+refs/agents/*:{tracking}/agents/*"),
        &format!("+refs/notes/agents*:{tracking}/notes/agents*"),
    ])
    .map(drop)
}

/// Push `(ref, new tip, remote tip it replaces)` atomically with a lease on each remote
/// tip. The inner error is the remote's refusal (a lost race, or a rule of the remote).
fn push(
    git: &Git,
    remote: &str,
    pushes: &[(&str, ObjectId, Option<ObjectId>)],
) -> Result<Result<(), GitError>, GitError> {
    let mut args = vec![
        "push".to_owned(),
        "--atomic".to_owned(),
        "--porcelain".to_owned(),
        "--no-verify".to_owned(),
    ];
    for (name, _, before) in pushes {
        args.push(format!(
            "--force-with-lease={name}:{}",
            before.map(|id| id.to_string()).unwrap_or_default()
        ));
    }
    args.push("--".to_owned());
    args.push(remote.to_owned());
    for (name, tip, _) in pushes {
        args.push(format!("{tip}:{name}"));
    }
    let out = git.output(&args)?;
    if out.success() {
        return Ok(Ok(()));
    }
    let rejected = out
        .stdout
        .lines()
        .find(|l| l.starts_with('!'))
        .and_then(|l| l.split('\t').nth(2))
        .map(str::to_owned);
    Ok(Err(GitError::Failed {
        command: "push".to_owned(),
        message: rejected
            .or_else(|| crate::git::first_meaningful_line(&out.stderr))
            .unwrap_or_else(|| format!("exit status {}", out.code.unwrap_or(-1))),
        code: out.code,
    }))
}

/// How one ref was reconciled locally.
struct Reconciled {
    action: Action,
    result: Option<ObjectId>,
    changed: Vec<String>,
    conflicts: Vec<Conflict>,
}

/// A merge of two trees: the merged tree, the paths it changed against ours, and conflicts.
type TreeMerge = (ObjectId, Vec<String>, Vec<Conflict>);

/// Merges two tips' trees against their merge base's tree.
type TreeMerger<'a> = dyn FnMut(Option<ObjectId>, &Tip, &Tip) -> Result<TreeMerge> + 'a;

/// Bring our `name` together with the remote's tip: take theirs, keep ours, or merge them.
fn reconcile(
    ws: &Workspace,
    name: &str,
    remote: Option<ObjectId>,
    remote_name: &str,
    merge: &mut TreeMerger,
) -> Result<Reconciled> {
    let git = ws.git();
    for _ in 0..MAX_LOCAL_RETRIES {
        let local = cas::read_tip(&ws.repo, name)?;
        let done = |action, result| Reconciled {
            action,
            result,
            changed: Vec::new(),
            conflicts: Vec::new(),
        };
        let (ours, theirs) = match (local, remote) {
            (None, None) => return Ok(done(Action::Absent, None)),
            (Some(ours), None) => return Ok(done(Action::Ahead, Some(ours.commit))),
            (None, Some(theirs)) => {
                if cas::swap(
                    &ws.repo,
                    name,
                    None,
                    theirs,
                    &format!("sync: take {remote_name}"),
                )? {
                    return Ok(done(Action::TookRemote, Some(theirs)));
                }
                continue;
            }
            (Some(ours), Some(theirs)) => (ours, theirs),
        };
        if ours.commit == theirs {
            return Ok(done(Action::InSync, Some(theirs)));
        }
        if is_ancestor(&git, theirs, ours.commit) {
            return Ok(done(Action::Ahead, Some(ours.commit)));
        }
        if is_ancestor(&git, ours.commit, theirs) {
            if cas::swap(
                &ws.repo,
                name,
                Some(ours.commit),
                theirs,
                &format!("sync: fast-forward to {remote_name}"),
            )? {
                return Ok(done(Action::FastForwarded, Some(theirs)));
            }
            continue;
        }
        let their_tip = cas::tip_of(&ws.repo, name, theirs)?;
        let base = merge_base(&git, ours.commit, theirs)?;
        let base_tree = match base {
            Some(base) => Some(cas::tip_of(&ws.repo, name, base)?.tree),
            None => None,
        };
        let (tree, changed, conflicts) = merge(base_tree, &ours, &their_tip)?;
        let message = merge_message(name, remote_name, &changed, &conflicts);
        let commit = cas::write_merge_commit(&ws.repo, &message, tree, &[ours.commit, theirs])?;
        if cas::swap(&ws.repo, name, Some(ours.commit), commit, &message)? {
            return Ok(Reconciled {
                action: Action::Merged,
                result: Some(commit),
                changed,
                conflicts,
            });
        }
    }
    Err(Error::State(crate::state::StateError::Cas(
        cas::CasError::Contention {
            name: name.to_owned(),
            attempts: MAX_LOCAL_RETRIES,
        },
    )))
}

fn merge_message(name: &str, remote: &str, changed: &[String], conflicts: &[Conflict]) -> String {
    let what = if name == STATE_REF { "state" } else { "notes" };
    let mut message = format!("sync: merge {what} from {remote}\n");
    if !changed.is_empty() {
        message.push_str(&format!("\nTaken from {remote}: {}\n", changed.join(", ")));
    }
    if !conflicts.is_empty() {
        message.push_str("\nConflicts (same field changed on both sides):\n");
        for conflict in conflicts {
            message.push_str(&format!("- {}\n", conflict.describe()));
        }
    }
    message
}

fn merge_state_trees(
    ws: &Workspace,
    base: Option<ObjectId>,
    ours: &Tip,
    theirs: &Tip,
) -> Result<TreeMerge> {
    let read = |tree: Option<ObjectId>| -> Result<merge::Documents> {
        let mut documents = merge::Documents::new();
        if let Some(tree) = tree {
            for (path, id) in blobs(&ws.repo, tree)? {
                documents.insert(path, blob_bytes(&ws.repo, id)?);
            }
        }
        Ok(documents)
    };
    let plan_winner = newer_side(&ws.git(), ours.commit, theirs.commit)?;
    let merged = merge::merge_state(
        &read(base)?,
        &read(Some(ours.tree))?,
        &read(Some(theirs.tree))?,
        plan_winner,
    );
    let mut editor = ws
        .repo
        .edit_tree(ObjectId::empty_tree(ws.repo.object_hash()))
        .map_err(|e| GitError::library("building the merged state", e))?;
    for (path, bytes) in &merged.documents {
        let id = crate::git::cas::retry_object_write(|| ws.repo.write_blob(bytes))
            .map_err(|e| GitError::library("writing a merged document", e))?;
        editor
            .upsert(path.as_str(), EntryKind::Blob, id)
            .map_err(|e| GitError::library("building the merged state", e))?;
    }
    let tree = crate::git::cas::retry_object_write(|| editor.write())
        .map_err(|e| GitError::library("writing the merged state", e))?
        .detach();
    Ok((tree, merged.changed, merged.conflicts))
}

fn merge_notes_trees(
    ws: &Workspace,
    base: Option<ObjectId>,
    ours: &Tip,
    theirs: &Tip,
) -> Result<TreeMerge> {
    let mut paths: BTreeMap<String, String> = BTreeMap::new();
    let mut read = |tree: Option<ObjectId>, remember: bool| -> Result<BTreeMap<String, Vec<u8>>> {
        let mut notes = BTreeMap::new();
        if let Some(tree) = tree {
            for (path, id) in blobs(&ws.repo, tree)? {
                let object: String = path.chars().filter(|c| *c != '/').collect();
                if remember {
                    paths.entry(object.clone()).or_insert(path);
                }
                notes.insert(object, blob_bytes(&ws.repo, id)?);
            }
        }
        Ok(notes)
    };
    let base = read(base, false)?;
    let our_notes = read(Some(ours.tree), true)?;
    let their_notes = read(Some(theirs.tree), true)?;
    let merged = merge::merge_notes(&base, &our_notes, &their_notes);
    let changed: Vec<String> = merged
        .iter()
        .filter(|(object, text)| our_notes.get(*object) != Some(*text))
        .map(|(object, _)| object.clone())
        .collect();
    let mut editor = ws
        .repo
        .edit_tree(ObjectId::empty_tree(ws.repo.object_hash()))
        .map_err(|e| GitError::library("building the merged notes", e))?;
    for (object, text) in &merged {
        let id = crate::git::cas::retry_object_write(|| ws.repo.write_blob(text))
            .map_err(|e| GitError::library("writing a merged note", e))?;
        let path = paths.get(object).cloned().unwrap_or_else(|| object.clone());
        editor
            .upsert(path.as_str(), EntryKind::Blob, id)
            .map_err(|e| GitError::library("building the merged notes", e))?;
    }
    let tree = crate::git::cas::retry_object_write(|| editor.write())
        .map_err(|e| GitError::library("writing the merged notes", e))?
        .detach();
    Ok((tree, changed, Vec::new()))
}

/// Every blob under `tree`, by its slash-separated path.
fn blobs(repo: &gix::Repository, tree: ObjectId) -> Result<BTreeMap<String, ObjectId>> {
    let mut found = BTreeMap::new();
    let mut pending = vec![(String::new(), tree)];
    while let Some((prefix, id)) = pending.pop() {
        let tree = repo
            .find_tree(id)
            .map_err(|e| GitError::library("reading a tree", e))?;
        for entry in tree.iter() {
            let entry = entry.map_err(|e| GitError::library("reading a tree", e))?;
            let path = format!("{prefix}{}", entry.filename());
            if entry.mode().is_tree() {
                pending.push((format!("{path}/"), entry.oid().to_owned()));
            } else if entry.mode().is_blob() {
                found.insert(path, entry.oid().to_owned());
            }
        }
    }
    Ok(found)
}

fn blob_bytes(repo: &gix::Repository, id: ObjectId) -> Result<Vec<u8>> {
    Ok(repo
        .find_object(id)
        .map_err(|e| GitError::library("reading a blob", e))?
        .detach()
        .data)
}

fn tip_id(repo: &gix::Repository, name: &str) -> Result<Option<ObjectId>> {
    Ok(cas::read_tip(repo, name)?.map(|tip| tip.commit))
}

pub(crate) fn is_ancestor(git: &Git, commit: ObjectId, of: ObjectId) -> bool {
    git.output([
        "merge-base",
        "--is-ancestor",
        &commit.to_string(),
        &of.to_string(),
    ])
    .is_ok_and(|out| out.success())
}

fn merge_base(git: &Git, a: ObjectId, b: ObjectId) -> Result<Option<ObjectId>> {
    let out = git.output(["merge-base", &a.to_string(), &b.to_string()])?;
    if !out.success() {
        return Ok(None);
    }
    Ok(ObjectId::from_hex(out.stdout.trim().as_bytes()).ok())
}

/// The side whose commit was made last (ties: the greater id), which wins true conflicts
/// in documents that carry no time of their own.
fn newer_side(git: &Git, ours: ObjectId, theirs: ObjectId) -> Result<Side> {
    let time = |id: ObjectId| -> Result<(u64, String)> {
        let text = git.run(["log", "-1", "--format=%ct", &id.to_string()])?;
        Ok((text.trim().parse().unwrap_or(0), id.to_string()))
    };
    Ok(if time(ours)? >= time(theirs)? {
        Side::Ours
    } else {
        Side::Theirs
    })
}
