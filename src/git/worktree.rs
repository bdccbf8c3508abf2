//! Branches and linked worktrees: listing, creating and removing them with git itself,
//! so hooks, locks and `git worktree` bookkeeping behave exactly as users expect.
//!
//! A `git worktree add` killed half-way leaves a record under `worktrees/` in the git
//! directory that git itself may then refuse to use: an empty `commondir` makes
//! `git worktree list` fail, and a record without `HEAD` makes `git worktree remove`
//! refuse. Once such a record is old enough not to belong to a live `git worktree add`
//! (the stale age of [`crate::git::locks`]), [`list`] and [`remove`] take it away by hand.

use std::path::{Path, PathBuf};

use gix::ObjectId;

use crate::git::workspace::canonical;
use crate::git::{Git, GitError};

/// One entry of `git worktree list`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorktreeInfo {
    /// Top directory of the worktree.
    pub path: PathBuf,
    /// Its HEAD commit, if it has one.
    pub head: Option<String>,
    /// The branch checked out (short name), if not detached.
    pub branch: Option<String>,
    /// Why it is locked, if it is.
    pub locked: Option<String>,
    /// Why git considers it prunable (its directory is gone), if it does.
    pub prunable: Option<String>,
}

/// The reason `git worktree add` locks a worktree with until its checkout is complete.
pub const INITIALIZING: &str = "initializing";

impl WorktreeInfo {
    /// Whether this is a worktree `git worktree add` was stopped in the middle of making:
    /// still locked as initializing, so its checkout may be incomplete and nobody worked in it.
    pub fn is_half_made(&self) -> bool {
        self.locked.as_deref() == Some(INITIALIZING)
    }
}

/// Every worktree git knows of, the main one first, changing nothing: when a record left
/// by a killed `git worktree add` makes git fail to list them, the records are read by
/// hand and the unreadable one is listed as prunable, with why.
pub fn list(git: &Git) -> Result<Vec<WorktreeInfo>, GitError> {
    match git.run(["worktree", "list", "--porcelain"]) {
        Ok(text) => Ok(parse_list(&text)),
        Err(err) => {
            let common_dir = common_dir(git)?;
            let found = records(&common_dir);
            if !found.iter().any(AdminDir::is_unreadable) {
                return Err(err);
            }
            let top = git.run(["rev-parse", "--path-format=absolute", "--show-toplevel"])?;
            let mut worktrees = vec![WorktreeInfo {
                path: canonical(Path::new(top.trim())),
                head: None,
                branch: None,
                locked: None,
                prunable: None,
            }];
            worktrees.extend(found.iter().map(|record| WorktreeInfo {
                path: canonical(record.worktree.as_deref().unwrap_or(&record.admin)),
                head: None,
                branch: record.branch(),
                locked: record.locked.clone(),
                prunable:
                    record.is_unreadable().then(|| {
                        "git cannot read its record (its commondir file is empty)".to_owned()
                    }),
            }));
            Ok(worktrees)
        }
    }
}

/// Like [`list`], for commands about to change worktrees: a record left unreadable by a
/// killed `git worktree add` is removed first (with the directory only when it holds
/// nothing but that checkout's own files), since git can do nothing while it is there.
pub fn list_repairing(git: &Git) -> Result<Vec<WorktreeInfo>, GitError> {
    match git.run(["worktree", "list", "--porcelain"]) {
        Ok(text) => Ok(parse_list(&text)),
        Err(err) => {
            if !remove_unreadable_records(git)? {
                return Err(err);
            }
            Ok(parse_list(&git.run(["worktree", "list", "--porcelain"])?))
        }
    }
}

fn parse_list(text: &str) -> Vec<WorktreeInfo> {
    let mut worktrees = Vec::new();
    let mut current: Option<WorktreeInfo> = None;
    for line in text.lines() {
        if let Some(path) = line.strip_prefix("worktree ") {
            worktrees.extend(current.take());
            current = Some(WorktreeInfo {
                path: canonical(Path::new(path)),
                head: None,
                branch: None,
                locked: None,
                prunable: None,
            });
        } else if let Some(info) = current.as_mut() {
            if let Some(head) = line.strip_prefix("HEAD ") {
                info.head = Some(head.to_owned());
            } else if let Some(branch) = line.strip_prefix("branch ") {
                info.branch = Some(
                    branch
                        .strip_prefix("refs/heads/")
                        .unwrap_or(branch)
                        .to_owned(),
                );
            } else if line == "locked" || line.starts_with("locked ") {
                info.locked = Some(line.strip_prefix("locked ").unwrap_or("").to_owned());
            } else if line == "prunable" || line.starts_with("prunable ") {
                info.prunable = Some(line.strip_prefix("prunable ").unwrap_or("").to_owned());
            }
        }
    }
    worktrees.extend(current);
    worktrees
}

/// The worktree at `path`, if git knows one there.
pub fn find_at<'a>(worktrees: &'a [WorktreeInfo], path: &Path) -> Option<&'a WorktreeInfo> {
    let path = canonical(path);
    worktrees.iter().find(|w| w.path == path)
}

/// The worktree that has `branch` checked out, if any.
pub fn find_with_branch<'a>(
    worktrees: &'a [WorktreeInfo],
    branch: &str,
) -> Option<&'a WorktreeInfo> {
    worktrees
        .iter()
        .find(|w| w.branch.as_deref() == Some(branch))
}

/// Check out `branch` into a new linked worktree at `path`, writing files on every core
/// (git's parallel checkout) unless `checkout.workers` is configured.
pub fn add(git: &Git, repo: &gix::Repository, path: &Path, branch: &str) -> Result<(), GitError> {
    let mut args: Vec<&std::ffi::OsStr> = Vec::new();
    if repo.config_snapshot().string("checkout.workers").is_none() {
        args.push("-c".as_ref());
        args.push("checkout.workers=0".as_ref());
    }
    args.push("worktree".as_ref());
    args.push("add".as_ref());
    args.push("--quiet".as_ref());
    args.push(path.as_os_str());
    args.push(branch.as_ref());
    git.run(args).map(drop)
}

/// Remove the linked worktree at `path`; `force` discards uncommitted changes, and
/// removes by hand a worktree whose `git worktree add` was killed before its record was
/// complete, which git refuses to remove.
pub fn remove(git: &Git, path: &Path, force: bool) -> Result<(), GitError> {
    let mut args: Vec<&std::ffi::OsStr> = vec!["worktree".as_ref(), "remove".as_ref()];
    if force {
        args.push("--force".as_ref());
        args.push("--force".as_ref());
    }
    args.push(path.as_os_str());
    let err = match git.run(args) {
        Ok(_) => return Ok(()),
        Err(err) => err,
    };
    if !force {
        return Err(err);
    }
    let common_dir = common_dir(git)?;
    let wanted = canonical(path);
    let record = records(&common_dir)
        .into_iter()
        .find(|r| r.worktree.as_deref().map(canonical).as_ref() == Some(&wanted));
    match record {
        Some(record) if record.is_half_made() => {
            remove_record(git, &record)?;
            Ok(())
        }
        _ => Err(err),
    }
}

/// Git's record of one linked worktree, read from its files directly.
#[derive(Debug, Clone)]
struct AdminDir {
    /// The record's directory under `worktrees/`.
    admin: PathBuf,
    /// The worktree's top directory, from the record's `gitdir` file, if it names one.
    worktree: Option<PathBuf>,
    /// Whether `commondir` holds something.
    has_commondir: bool,
    /// Whether the record has a `HEAD`.
    has_head: bool,
    /// Why it is locked, if it is.
    locked: Option<String>,
}

impl AdminDir {
    fn read(admin: PathBuf) -> AdminDir {
        let text = |name: &str| std::fs::read_to_string(admin.join(name)).ok();
        let worktree = text("gitdir")
            .map(|g| g.trim().to_owned())
            .filter(|g| !g.is_empty())
            .and_then(|g| Path::new(&g).parent().map(Path::to_path_buf));
        AdminDir {
            has_commondir: text("commondir").is_some_and(|c| !c.trim().is_empty()),
            has_head: admin.join("HEAD").exists(),
            locked: text("locked").map(|l| l.trim().to_owned()),
            worktree,
            admin,
        }
    }

    /// Whether `git worktree add` was stopped before the record was complete.
    fn is_half_made(&self) -> bool {
        self.locked.as_deref() == Some(INITIALIZING)
            && (!self.has_commondir || !self.has_head || self.worktree.is_none())
    }

    /// The branch its `HEAD` names, if it names one.
    fn branch(&self) -> Option<String> {
        std::fs::read_to_string(self.admin.join("HEAD"))
            .ok()?
            .trim()
            .strip_prefix("ref: refs/heads/")
            .map(str::to_owned)
    }

    /// Whether git fails to read this record at all.
    fn is_unreadable(&self) -> bool {
        std::fs::read_to_string(self.admin.join("commondir")).is_ok_and(|c| c.trim().is_empty())
    }

    /// How long ago anything in the record was last written.
    fn age(&self) -> std::time::Duration {
        let newest = std::fs::read_dir(&self.admin)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| e.metadata().and_then(|m| m.modified()).ok())
            .chain(std::fs::metadata(&self.admin).and_then(|m| m.modified()))
            .max();
        newest
            .and_then(|t| std::time::SystemTime::now().duration_since(t).ok())
            .unwrap_or_default()
    }
}

/// Every worktree record in the git directory `common_dir`.
fn records(common_dir: &Path) -> Vec<AdminDir> {
    let mut found: Vec<AdminDir> = std::fs::read_dir(common_dir.join("worktrees"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .map(AdminDir::read)
        .collect();
    found.sort_by(|a, b| a.admin.cmp(&b.admin));
    found
}

fn common_dir(git: &Git) -> Result<PathBuf, GitError> {
    let out = git.run(["rev-parse", "--path-format=absolute", "--git-common-dir"])?;
    Ok(PathBuf::from(out.trim()))
}

/// Remove the half-made worktree `record`, once nothing in it has changed for the stale
/// lock age (a live `git worktree add` finishes it in moments): its directory, if it
/// holds nothing but git's `.git` file and what the interrupted checkout wrote, and the
/// record itself.
fn remove_record(git: &Git, record: &AdminDir) -> Result<(), GitError> {
    let stale_after = git.stale_lock_age();
    let deadline = std::time::Instant::now() + stale_after + crate::git::locks::GRACE;
    while record.age() < stale_after {
        if std::time::Instant::now() >= deadline {
            return Err(GitError::Library(format!(
                "{} is the record of a worktree still being made; try again once `git worktree add` has finished",
                record.admin.display()
            )));
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let now = AdminDir::read(record.admin.clone());
    if !(now.is_half_made() || now.is_unreadable()) {
        return Ok(());
    }
    let cannot = |path: &Path, e: std::io::Error| {
        GitError::Library(format!(
            "cannot remove {}, left by a killed `git worktree add`: {e}; remove it by hand",
            path.display()
        ))
    };
    if let Some(path) = &record.worktree
        && points_at(path, &record.admin)
    {
        if let Some(kept) = foreign_file(git, record, path) {
            return Err(GitError::Library(format!(
                "{} is the worktree of a record git cannot read, and it holds {} that its checkout did not write; nothing was removed: move your work out, then remove it with `rm -r` and `git worktree prune`",
                path.display(),
                kept.display()
            )));
        }
        match std::fs::remove_dir_all(path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(cannot(path, e)),
            _ => {}
        }
    }
    match std::fs::remove_dir_all(&record.admin) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(cannot(&record.admin, e)),
        _ => {
            crate::git::locks::notice(format!(
                "removed {}, a worktree record left half-made by a killed `git worktree add`",
                record.admin.display()
            ));
            Ok(())
        }
    }
}

/// A file in the worktree `dir` of `record` that is not exactly what checking out the
/// record's `HEAD` writes (a change or a new file someone made there), if there is one.
fn foreign_file(git: &Git, record: &AdminDir, dir: &Path) -> Option<PathBuf> {
    let head = std::fs::read_to_string(record.admin.join("HEAD")).unwrap_or_default();
    let head = head.trim();
    let commit = head.strip_prefix("ref: ").unwrap_or(head);
    let listing = (!commit.is_empty())
        .then(|| {
            git.run([
                "ls-tree",
                "-r",
                "-z",
                "--full-tree",
                "--end-of-options",
                &format!("{commit}^{{commit}}"),
            ])
            .ok()
        })
        .flatten()
        .unwrap_or_default();
    let checkout: std::collections::HashMap<PathBuf, String> = listing
        .split('\0')
        .filter_map(|entry| {
            let (meta, path) = entry.split_once('\t')?;
            let id = meta.split_whitespace().nth(2)?;
            Some((PathBuf::from(path), id.to_owned()))
        })
        .collect();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&current) else {
            return Some(current);
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let relative = path.strip_prefix(dir).unwrap_or(&path).to_path_buf();
            if relative == Path::new(".git") {
                continue;
            }
            let Ok(kind) = entry.file_type() else {
                return Some(relative);
            };
            if kind.is_dir() {
                pending.push(path);
                continue;
            }
            let written = std::fs::read(&path).ok().and_then(|bytes| {
                gix::objs::compute_hash(gix::hash::Kind::Sha1, gix::object::Kind::Blob, &bytes).ok()
            });
            let expected = checkout.get(&relative);
            if written.map(|id| id.to_string()).as_ref() != expected {
                return Some(relative);
            }
        }
    }
    None
}

/// Whether the directory `path` is the worktree of record `admin`: its `.git` file points
/// there, or it holds nothing but a `.git` file still empty (`git worktree add` was
/// killed while writing it, before any checkout), or nothing at all.
fn points_at(path: &Path, admin: &Path) -> bool {
    match std::fs::read_to_string(path.join(".git")) {
        Ok(text) if text.trim().is_empty() => std::fs::read_dir(path)
            .is_ok_and(|entries| entries.flatten().all(|e| e.file_name() == ".git")),
        Ok(text) => text
            .trim()
            .strip_prefix("gitdir:")
            .is_some_and(|target| canonical(Path::new(target.trim())) == canonical(admin)),
        Err(_) => std::fs::read_dir(path).is_ok_and(|mut e| e.next().is_none()),
    }
}

/// Remove the records that make `git worktree list` fail (an empty `commondir`, as a
/// killed `git worktree add` leaves); whether any were found.
fn remove_unreadable_records(git: &Git) -> Result<bool, GitError> {
    let broken: Vec<AdminDir> = records(&common_dir(git)?)
        .into_iter()
        .filter(AdminDir::is_unreadable)
        .collect();
    for record in &broken {
        remove_record(git, record)?;
    }
    Ok(!broken.is_empty())
}

/// Whether the worktree at `path` has uncommitted changes or untracked files.
pub fn is_dirty(path: &Path) -> Result<bool, GitError> {
    let out = Git::new(path).run(["status", "--porcelain", "--untracked-files=normal"])?;
    Ok(!out.trim().is_empty())
}

/// The commit `refs/heads/<branch>` points at, if the branch exists.
/// A name git can't have as a branch (`main..x`, `-x`, `a b`) names no branch.
pub fn branch_tip(repo: &gix::Repository, branch: &str) -> Result<Option<ObjectId>, GitError> {
    let name = format!("refs/heads/{branch}");
    if branch.starts_with('-') || gix::validate::reference::name(name.as_bytes().into()).is_err() {
        return Ok(None);
    }
    let reference = repo
        .try_find_reference(name.as_str())
        .map_err(|e| GitError::library(&format!("reading {name}"), e))?;
    match reference {
        None => Ok(None),
        Some(mut reference) => {
            if let Some(id) = reference.target().try_id() {
                return Ok(Some(id.to_owned()));
            }
            let id = reference
                .peel_to_id()
                .map_err(|e| GitError::library(&format!("reading {name}"), e))?;
            Ok(Some(id.detach()))
        }
    }
}

/// The tips of `branches` (those that exist), for looking up many branches at once.
///
/// A branch's loose ref file is read directly when a listing of its directory shows one
/// (one listing per directory, one read per branch: a third of the system calls of a
/// general lookup), otherwise its packed-refs entry; a symbolic ref, a file that is not
/// a plain object id or a repository without packed-refs is read through gix as usual.
pub fn branch_tips<'a>(
    repo: &gix::Repository,
    branches: impl IntoIterator<Item = &'a str>,
) -> Result<std::collections::HashMap<String, ObjectId>, GitError> {
    use std::collections::HashMap;
    let heads = repo.common_dir().join("refs").join("heads");
    let packed = repo.refs.cached_packed_buffer().ok().flatten();
    let mut listed: HashMap<PathBuf, Listing> = HashMap::new();
    let mut tips = HashMap::new();
    for branch in branches {
        if tips.contains_key(branch) {
            continue;
        }
        let file = heads.join(branch);
        let loose = match (file.parent(), file.file_name()) {
            (Some(dir), Some(name)) => listed
                .entry(dir.to_path_buf())
                .or_insert_with(|| listing(dir))
                .contains_key(name),
            _ => true,
        };
        let tip = match (loose, &packed) {
            (true, _) => match read_loose_id(&file) {
                Some(id) => Some(id),
                None => branch_tip(repo, branch)?,
            },
            (false, Some(packed)) => packed
                .try_find(format!("refs/heads/{branch}").as_str())
                .ok()
                .flatten()
                .map(|entry| entry.target()),
            (false, None) => branch_tip(repo, branch)?,
        };
        if let Some(tip) = tip {
            tips.insert(branch.to_owned(), tip);
        }
    }
    Ok(tips)
}

/// The entries of one directory: each name with its kind.
type Listing = std::collections::HashMap<std::ffi::OsString, std::fs::FileType>;

/// What directory `dir` holds (nothing when it cannot be listed).
fn listing(dir: &Path) -> Listing {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .filter_map(|e| Some((e.file_name(), e.file_type().ok()?)))
                .collect()
        })
        .unwrap_or_default()
}

/// The object id a loose ref file holds, if it holds a plain one. One read is enough:
/// a ref file is a few dozen bytes, and a read of a regular file comes back short only
/// at its end.
pub(crate) fn read_loose_id(file: &Path) -> Option<ObjectId> {
    use std::io::Read;
    let mut buffer = [0u8; 130];
    let read = std::fs::File::open(file).ok()?.read(&mut buffer).ok()?;
    if read == buffer.len() {
        return None;
    }
    ObjectId::from_hex(buffer[..read].trim_ascii()).ok()
}

/// Which of `paths` are directories, found by reading each parent directory once
/// rather than asking about every path: worktrees of one plan share a parent, so a
/// hundred of them cost one directory listing instead of a hundred lookups.
pub fn existing_dirs<I>(paths: I) -> std::collections::HashSet<PathBuf>
where
    I: IntoIterator<Item = PathBuf>,
{
    let mut by_parent: std::collections::HashMap<PathBuf, Vec<PathBuf>> =
        std::collections::HashMap::new();
    let mut found = std::collections::HashSet::new();
    for path in paths {
        match (path.parent(), path.file_name()) {
            (Some(parent), Some(_)) if !parent.as_os_str().is_empty() => by_parent
                .entry(parent.to_path_buf())
                .or_default()
                .push(path),
            _ => {
                if path.is_dir() {
                    found.insert(path);
                }
            }
        }
    }
    for (parent, wanted) in by_parent {
        let listed = listing(&parent);
        for path in wanted {
            let is_dir = match path.file_name().and_then(|name| listed.get(name)) {
                Some(kind) if kind.is_symlink() => path.is_dir(),
                Some(kind) => kind.is_dir(),
                None => false,
            };
            if is_dir {
                found.insert(path);
            }
        }
    }
    found
}

/// The branch checked out in the worktree `git` runs in; `None` when HEAD is detached.
pub fn checked_out_branch(git: &Git) -> Result<Option<String>, GitError> {
    let head = git.output(["symbolic-ref", "--quiet", "--short", "HEAD"])?;
    Ok(head.success().then(|| head.stdout.trim().to_owned()))
}

/// Create `branch` at `start`, failing if it exists.
pub fn create_branch(git: &Git, branch: &str, start: &str) -> Result<(), GitError> {
    git.run(["branch", "--no-track", "--end-of-options", branch, start])
        .map(drop)
}

/// Delete `branch` only if it still points at `expected`: a commit made after the caller
/// checked the branch is never lost.
pub fn delete_branch_at(git: &Git, branch: &str, expected: &str) -> Result<(), GitError> {
    git.run([
        "update-ref",
        "-d",
        "--end-of-options",
        &format!("refs/heads/{branch}"),
        expected,
    ])
    .map(drop)
}
