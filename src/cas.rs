//! Compare-and-swap commits on a ref: the one write path for the state ref and the notes ref.
//!
//! A write reads the ref's tip, builds a new tree and commit on top of it, and moves the
//! ref only if it still points at that tip. When another process won the race, the
//! change is rebuilt from the new tip and tried again, with a bounded, jittered backoff,
//! so no update is ever lost and none is applied twice.

use std::time::Duration;

use gix::ObjectId;
use gix::refs::transaction::{Change, LogChange, PreviousValue, RefEdit, RefLog};
use gix::refs::{FullName, Target};

/// How many times a write is rebuilt after losing a race before giving up.
pub const MAX_ATTEMPTS: u32 = 400;

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

/// The tip for commit `id` read from ref `name`.
pub fn tip_of(repo: &gix::Repository, name: &str, id: ObjectId) -> Result<Tip, CasError> {
    let object = repo
        .try_find_object(id)
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
/// exist yet); an error from it ends the write with nothing changed.
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
                return Ok(Written {
                    value,
                    commit: Some(commit),
                    attempts,
                });
            }
            Err(err) => {
                let moved = read_tip(repo, name)?.map(|t| t.commit) != tip.map(|t| t.commit);
                if !(moved || err.is_conflict() || is_lock_busy(&err)) {
                    return Err(git_err(&format!("moving {name}"), err).into());
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

/// Write a commit object (author and committer: the user's git identity) without moving any ref.
pub fn write_commit(
    repo: &gix::Repository,
    message: &str,
    tree: ObjectId,
    parent: Option<ObjectId>,
) -> Result<ObjectId, CasError> {
    let author = repo
        .author()
        .ok_or(CasError::NoIdentity)?
        .map_err(|e| git_err("reading the author", e))?;
    let committer = repo
        .committer()
        .ok_or(CasError::NoIdentity)?
        .map_err(|e| git_err("reading the committer", e))?;
    let commit = repo
        .new_commit_as(committer, author, message, tree, parent)
        .map_err(|e| git_err("writing a commit", e))?;
    Ok(commit.id)
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
    let commit = repo
        .new_commit_as(committer, author, message, tree, parents.iter().copied())
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
    match repo.edit_reference(edit) {
        Ok(_) => Ok(true),
        Err(err) => {
            let now = read_tip(repo, name)?.map(|t| t.commit);
            if now != expected || err.is_conflict() || is_lock_busy(&err) {
                Ok(false)
            } else {
                Err(git_err(&format!("moving {name}"), err))
            }
        }
    }
}

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
        let seed = nanos ^ (u64::from(std::process::id()) << 32) ^ thread_salt();
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

fn thread_salt() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(0);
    hasher.finish()
}
