//! Compare-and-swap commits on a ref: the one write path for the state ref and the notes ref.
//!
//! A write reads the ref's tip, builds a new tree and commit on top of it, and moves the
//! ref only if it still points at that tip. When another process won the race, the
//! change is rebuilt from the new tip and tried again, with a bounded, jittered backoff,
//! so no update is ever lost and none is applied twice.
//!
//! Moving the ref takes git's lock file, `<ref>.lock`, for a moment. A process killed
//! while holding it leaves the file behind, and git never removes such a file by itself.
//! A write that meets a lock waits for it to go away or turn stale ([`crate::git::locks`]),
//! removes a stale one, says so through [`take_notices`], and carries on.

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use gix::ObjectId;
use gix::refs::transaction::{Change, LogChange, PreviousValue, RefEdit, RefLog};
use gix::refs::{FullName, Target};

/// How many times a write is rebuilt after losing a race before giving up.
pub const MAX_ATTEMPTS: u32 = 400;

pub use crate::git::locks::STALE_LOCK_AGE;

/// Things this process did that the user should hear about (stale locks removed), oldest
/// first; each is returned once.
pub fn take_notices() -> Vec<String> {
    crate::git::locks::take_notices()
}

/// What can go wrong reading or moving a commit-chain ref.
#[derive(Debug, thiserror::Error)]
pub enum CasError {
    /// The ref points at something that is not a commit.
    #[error(
        "{name} points at a {kind}, not a commit; inspect it with `git cat-file -t {name}` and restore it from a backup or with `git update-ref`"
    )]
    NotACommit { name: String, kind: String },
    /// The ref points at an object that does not exist.
    #[error("{name} points at {id}, which is missing from the object database; run `git fsck`")]
    Missing { name: String, id: String },
    /// No user identity is configured for commits.
    #[error(
        "no git identity for the audit log: set one with `git config --global user.name \"Your Name\"` and `git config --global user.email you@example.com`"
    )]
    NoIdentity,
    /// Other writers kept moving the ref for every attempt.
    #[error("{name} kept changing under us after {attempts} attempts; try again")]
    Contention { name: String, attempts: u32 },
    /// A lock the write needs stayed taken.
    #[error("{0}")]
    Locked(#[from] crate::git::locks::LockError),
    /// The object database or ref store failed.
    #[error("{0}")]
    Git(String),
}

fn git_err(doing: &str, err: impl std::fmt::Display) -> CasError {
    CasError::Git(format!("{doing}: {err}"))
}

/// The commit a ref points at, and that commit's tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tip {
    /// The commit.
    pub commit: ObjectId,
    /// Its root tree.
    pub tree: ObjectId,
}

/// What one attempt of a write decided.
pub enum Step<T> {
    /// Commit `tree` with `message` on top of the tip, then return `value`.
    Commit {
        tree: ObjectId,
        message: String,
        value: T,
    },
    /// Nothing to write; return `value` as it is.
    Unchanged(T),
}

/// The result of a write: the value its last attempt produced and the new tip, if one was written.
pub struct Written<T> {
    /// What the closure returned on the attempt that succeeded.
    pub value: T,
    /// The new commit, or `None` when nothing changed.
    pub commit: Option<ObjectId>,
    /// How many attempts it took.
    pub attempts: u32,
}

/// Read the tip of the commit-chain ref `name`, or `None` if it does not exist.
pub fn read_tip(repo: &gix::Repository, name: &str) -> Result<Option<Tip>, CasError> {
    let Some(reference) = repo
        .try_find_reference(name)
        .map_err(|e| git_err(&format!("reading {name}"), e))?
    else {
        return Ok(None);
    };
    let id = match reference.target() {
        gix::refs::TargetRef::Object(id) => id.to_owned(),
        gix::refs::TargetRef::Symbolic(target) => {
            return Err(CasError::NotACommit {
                name: name.to_owned(),
                kind: format!("symbolic ref to {target}"),
            });
        }
    };
    tip_of(repo, name, id).map(Some)
}

/// Look object `id` up, looking again a few times when it is missing at first: a
/// concurrent `git gc` may move it from a loose file into a new pack between the
/// store's look at its packs and its look at loose objects. git re-reads its packs and
/// looks again in the same case.
pub fn find_object(repo: &gix::Repository, id: ObjectId) -> gix::Result<Option<gix::Object<'_>>> {
    for wait_ms in [1, 2, 4, 8, 16] {
        if let Some(object) = repo.try_find_object(id)? {
            return Ok(Some(object));
        }
        std::thread::sleep(Duration::from_millis(wait_ms));
    }
    repo.try_find_object(id)
}

/// The tree `id`, looked up as [`find_object`] does; a missing tree is an error.
pub fn find_tree(repo: &gix::Repository, id: ObjectId) -> gix::Result<gix::Tree<'_>> {
    match find_object(repo, id)? {
        Some(object) => object.try_into_tree(),
        None => repo.find_tree(id),
    }
}

/// The tip for commit `id` read from ref `name`.
pub fn tip_of(repo: &gix::Repository, name: &str, id: ObjectId) -> Result<Tip, CasError> {
    let object = find_object(repo, id)
        .map_err(|e| git_err(&format!("reading {name}"), e))?
        .ok_or_else(|| CasError::Missing {
            name: name.to_owned(),
            id: id.to_string(),
        })?;
    if object.kind != gix::object::Kind::Commit {
        return Err(CasError::NotACommit {
            name: name.to_owned(),
            kind: object.kind.to_string(),
        });
    }
    let commit = object.into_commit();
    let tree = commit
        .tree_id()
        .map_err(|e| git_err(&format!("reading the commit of {name}"), e))?
        .detach();
    Ok(Tip { commit: id, tree })
}

/// Apply `attempt` to the tip of `name` and move the ref with compare-and-swap,
/// rebuilding from the new tip whenever another writer moved it first.
///
/// `attempt` is called once per try with the current tip (or `None` when the ref does not
/// exist yet); an error from it ends the write with nothing changed. Threads of one process
/// writing the same ref take turns, so `attempt` must not itself write that ref.
pub fn update<T, E>(
    repo: &gix::Repository,
    name: &str,
    mut attempt: impl FnMut(Option<&Tip>) -> Result<Step<T>, E>,
) -> Result<Written<T>, E>
where
    E: From<CasError>,
{
    let full_name: FullName = name
        .try_into()
        .map_err(|e| git_err(&format!("ref name {name}"), e))?;
    let turn = writer_turn(repo, name);
    let _turn = turn.lock().unwrap_or_else(|p| p.into_inner());
    let mut backoff = Backoff::new();
    for attempts in 1..=MAX_ATTEMPTS {
        let tip = read_tip(repo, name)?;
        let (tree, message, value) = match attempt(tip.as_ref())? {
            Step::Unchanged(value) => {
                return Ok(Written {
                    value,
                    commit: None,
                    attempts,
                });
            }
            Step::Commit {
                tree,
                message,
                value,
            } => (tree, message, value),
        };
        let commit = write_commit(repo, &message, tree, tip.map(|t| t.commit))?;
        crate::fault::point(crate::fault::BEFORE_REF_UPDATE);
        let expected = match tip {
            Some(tip) => PreviousValue::MustExistAndMatch(Target::Object(tip.commit)),
            None => PreviousValue::MustNotExist,
        };
        let edit = RefEdit {
            change: Change::Update {
                log: LogChange {
                    mode: RefLog::AndReference,
                    force_create_reflog: false,
                    message: first_line(&message).into(),
                },
                expected,
                new: Target::Object(commit),
            },
            name: full_name.clone(),
            deref: false,
        };
        match repo.edit_reference(edit) {
            Ok(_) => {
                crate::fault::point(crate::fault::AFTER_REF_UPDATE);
                crate::git::maintenance::after_write(repo, commit);
                return Ok(Written {
                    value,
                    commit: Some(commit),
                    attempts,
                });
            }
            Err(err) => {
                let moved = read_tip(repo, name)?.map(|t| t.commit) != tip.map(|t| t.commit);
                let busy = is_lock_busy(&err);
                if !(moved || busy || lost_to_pack_refs(&err) || err.is_conflict()) {
                    return Err(git_err(&format!("moving {name}"), err).into());
                }
                if busy && wait_for_ref_locks(repo, name)? {
                    continue;
                }
                backoff.wait();
            }
        }
    }
    Err(CasError::Contention {
        name: name.to_owned(),
        attempts: MAX_ATTEMPTS,
    }
    .into())
}

type Turns = Vec<(PathBuf, std::sync::Arc<Mutex<()>>)>;

static TURNS: Mutex<Turns> = Mutex::new(Vec::new());

/// The mutex that threads of this process writing ref `name` of `repo` take turns on.
/// Threads would otherwise race each other through the compare-and-swap and throw away
/// each other's work; other processes are still handled by the compare-and-swap itself.
fn writer_turn(repo: &gix::Repository, name: &str) -> std::sync::Arc<Mutex<()>> {
    let key = lock_path(repo, name);
    let mut turns = TURNS.lock().unwrap_or_else(|p| p.into_inner());
    if let Some((_, turn)) = turns.iter().find(|(path, _)| *path == key) {
        return turn.clone();
    }
    let turn = std::sync::Arc::new(Mutex::new(()));
    turns.push((key, turn.clone()));
    turn
}

/// Point ref `name`, which holds something other than a commit chain (another kind of
/// object, a missing object, a symbolic ref), at a new root commit of `tree`, unless it
/// changed meanwhile. For replacing a broken ref on the user's request: there is no
/// history to keep.
pub fn overwrite(
    repo: &gix::Repository,
    name: &str,
    message: &str,
    tree: ObjectId,
) -> Result<ObjectId, CasError> {
    let full_name: FullName = name
        .try_into()
        .map_err(|e| git_err(&format!("ref name {name}"), e))?;
    let expected = match repo
        .try_find_reference(name)
        .map_err(|e| git_err(&format!("reading {name}"), e))?
    {
        Some(reference) => PreviousValue::MustExistAndMatch(reference.target().into_owned()),
        None => PreviousValue::MustNotExist,
    };
    let commit = write_commit(repo, message, tree, None)?;
    crate::fault::point(crate::fault::BEFORE_REF_UPDATE);
    let edit = RefEdit {
        change: Change::Update {
            log: LogChange {
                mode: RefLog::AndReference,
                force_create_reflog: false,
                message: first_line(message).into(),
            },
            expected,
            new: Target::Object(commit),
        },
        name: full_name,
        deref: false,
    };
    for _ in 0..LOCK_TRIES {
        match repo.edit_reference(edit.clone()) {
            Err(err) if is_lock_busy(&err) => {
                wait_for_ref_locks(repo, name)?;
            }
            result => {
                result.map_err(|e| git_err(&format!("replacing {name}"), e))?;
                return Ok(commit);
            }
        }
    }
    repo.edit_reference(edit)
        .map_err(|e| git_err(&format!("replacing {name}"), e))?;
    Ok(commit)
}

/// Write a commit object (author and committer: the user's git identity) without moving any ref.
pub fn write_commit(
    repo: &gix::Repository,
    message: &str,
    tree: ObjectId,
    parent: Option<ObjectId>,
) -> Result<ObjectId, CasError> {
    write_merge_commit(repo, message, tree, parent.as_slice())
}

/// Run an object write again when it lost a race with a concurrent `git gc`: gix creates
/// an object's fan-out directory and then moves the object into it, and `git prune-packed`
/// may remove that directory in between. The next try creates it again.
pub fn retry_object_write<T, E: std::fmt::Display>(
    mut write: impl FnMut() -> Result<T, E>,
) -> Result<T, E> {
    let mut tries = 0u32;
    loop {
        match write() {
            Err(err) if tries < 5 && err.to_string().contains("persist loose object") => {
                tries += 1;
                std::thread::sleep(Duration::from_millis(1 << tries));
            }
            result => return result,
        }
    }
}

/// Write a commit with any number of parents (a merge has two) without moving any ref.
pub fn write_merge_commit(
    repo: &gix::Repository,
    message: &str,
    tree: ObjectId,
    parents: &[ObjectId],
) -> Result<ObjectId, CasError> {
    let author = repo
        .author()
        .ok_or(CasError::NoIdentity)?
        .map_err(|e| git_err("reading the author", e))?;
    let committer = repo
        .committer()
        .ok_or(CasError::NoIdentity)?
        .map_err(|e| git_err("reading the committer", e))?;
    let commit = retry_object_write(|| {
        repo.new_commit_as(committer, author, message, tree, parents.iter().copied())
    })
    .map_err(|e| git_err("writing a commit", e))?;
    Ok(commit.id)
}

/// Move `name` from `expected` (`None`: the ref must not exist) to `new` in one
/// compare-and-swap. Returns `false`, changing nothing, when another writer got there first.
pub fn swap(
    repo: &gix::Repository,
    name: &str,
    expected: Option<ObjectId>,
    new: ObjectId,
    message: &str,
) -> Result<bool, CasError> {
    let full_name: FullName = name
        .try_into()
        .map_err(|e| git_err(&format!("ref name {name}"), e))?;
    let edit = RefEdit {
        change: Change::Update {
            log: LogChange {
                mode: RefLog::AndReference,
                force_create_reflog: false,
                message: first_line(message).into(),
            },
            expected: match expected {
                Some(id) => PreviousValue::MustExistAndMatch(Target::Object(id)),
                None => PreviousValue::MustNotExist,
            },
            new: Target::Object(new),
        },
        name: full_name,
        deref: false,
    };
    for _ in 0..LOCK_TRIES {
        match repo.edit_reference(edit.clone()) {
            Ok(_) => return Ok(true),
            Err(err) => {
                let now = read_tip(repo, name)?.map(|t| t.commit);
                if now != expected || err.is_conflict() {
                    return Ok(false);
                }
                if lost_to_pack_refs(&err) {
                    continue;
                }
                if !is_lock_busy(&err) {
                    return Err(git_err(&format!("moving {name}"), err));
                }
                wait_for_ref_locks(repo, name)?;
            }
        }
    }
    Ok(false)
}

/// How many times a single ref edit is tried again after waiting out a lock.
const LOCK_TRIES: u32 = 4;

/// The user's name and email as `Name <email>`, for `updated_by` fields.
pub fn identity(repo: &gix::Repository) -> Result<String, CasError> {
    let author = repo
        .author()
        .ok_or(CasError::NoIdentity)?
        .map_err(|e| git_err("reading the author", e))?;
    Ok(format!("{} <{}>", author.name, author.email))
}

fn first_line(message: &str) -> &str {
    message.lines().next().unwrap_or("")
}

/// The lock file git and gix take while moving ref `name`.
pub fn lock_path(repo: &gix::Repository, name: &str) -> PathBuf {
    repo.common_dir().join(format!("{name}.lock"))
}

/// How old a lock file must be in `repo` before a write removes it.
pub fn stale_lock_age(repo: &gix::Repository) -> Duration {
    crate::config::stale_lock_age(repo)
}

/// Wait while another process holds the lock of ref `name` (its path relative to the git
/// directory), removing the lock once it is stale: for callers about to have git itself
/// move that ref. Fails, naming the lock, when it stays taken past the stale age.
pub fn wait_for_lock(repo: &gix::Repository, name: &str) -> Result<(), CasError> {
    crate::git::locks::wait_for(&lock_path(repo, name), stale_lock_age(repo), name)?;
    Ok(())
}

/// Wait out the lock files that moving `name` needs — `<name>.lock`, and
/// `packed-refs.lock` — removing stale ones; whether one was removed.
fn wait_for_ref_locks(repo: &gix::Repository, name: &str) -> Result<bool, CasError> {
    let stale_after = stale_lock_age(repo);
    let mut removed = false;
    for lock in [
        lock_path(repo, name),
        repo.common_dir().join("packed-refs.lock"),
    ] {
        let cleared = crate::git::locks::wait_for(&lock, stale_after, name)?;
        removed |= cleared == crate::git::locks::Cleared::Removed;
    }
    Ok(removed)
}

/// Whether an edit found the ref missing only because `git pack-refs --prune` (part of the
/// gc that automatic maintenance starts) moved it into packed-refs after gix had read
/// packed-refs and before it read the loose ref; reading again finds it.
fn lost_to_pack_refs(err: &gix::Error) -> bool {
    err.is_not_found()
}

fn is_lock_busy(err: &gix::Error) -> bool {
    let text = format!("{err:?}");
    text.contains("lock") || text.contains("Lock")
}

/// Exponential backoff with full jitter, capped so a busy ref still moves quickly.
struct Backoff {
    step: u32,
    seed: u64,
}

impl Backoff {
    fn new() -> Backoff {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos() as u64)
            .unwrap_or(0);
        let seed = nanos ^ (u64::from(std::process::id()) << 32) ^ crate::git::locks::salt();
        Backoff {
            step: 0,
            seed: seed | 1,
        }
    }

    fn wait(&mut self) {
        self.seed ^= self.seed << 13;
        self.seed ^= self.seed >> 7;
        self.seed ^= self.seed << 17;
        let cap_us = (500u64 << self.step.min(6)).min(20_000);
        self.step += 1;
        std::thread::sleep(Duration::from_micros(self.seed % cap_us));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_that_lost_its_directory_to_gc_is_tried_again() {
        let mut calls = 0;
        let result: Result<u32, String> = retry_object_write(|| {
            calls += 1;
            if calls < 3 {
                Err("Could not persist loose object, path=x".to_owned())
            } else {
                Ok(7)
            }
        });
        assert_eq!(result, Ok(7));
        assert_eq!(calls, 3);
    }

    #[test]
    fn other_errors_and_endless_failures_are_returned() {
        let mut calls = 0;
        let other: Result<(), String> = retry_object_write(|| {
            calls += 1;
            Err("disk full".to_owned())
        });
        assert_eq!((other, calls), (Err("disk full".to_owned()), 1));
        let mut calls = 0;
        let endless: Result<(), String> = retry_object_write(|| {
            calls += 1;
            Err("Could not persist loose object".to_owned())
        });
        assert!(endless.is_err());
        assert_eq!(calls, 6, "bounded");
    }
}
