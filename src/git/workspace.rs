//! The repository the user is in: which worktree, where the main worktree is, and
//! the gix handle every other layer reads and writes through.

use std::path::{Path, PathBuf};

use crate::git::Git;

/// Why the current directory is no place to run in.
#[derive(Debug, thiserror::Error)]
pub enum WorkspaceError {
    /// No repository here or above.
    #[error(
        "not a git repository (or any parent up to the filesystem root): {0}; run this inside a repository or pass -C DIR"
    )]
    NotARepository(String),
    /// A bare repository has no worktree to branch agents from.
    #[error(
        "{0} is a bare repository; git agents needs a repository with a working tree (clone it without --bare)"
    )]
    Bare(String),
    /// The repository could not be opened.
    #[error("cannot open the repository: {0}")]
    Open(String),
}

/// An opened repository with the paths the operations need.
pub struct Workspace {
    /// The gix repository, opened at the current worktree.
    pub repo: gix::Repository,
    /// The top directory of the worktree the command runs in.
    pub current_root: PathBuf,
    /// The top directory of the main worktree; agent worktree paths are relative to it.
    pub main_root: PathBuf,
    /// The git directory shared by all worktrees.
    pub common_dir: PathBuf,
}

impl Workspace {
    /// Find the repository containing `dir`, or the one `GIT_DIR` (and `GIT_WORK_TREE`)
    /// name, as git does.
    pub fn discover(dir: &Path) -> Result<Workspace, WorkspaceError> {
        let options = gix::discover::upwards::Options {
            match_ceiling_dir_or_error: false,
            ..Default::default()
        };
        let repo = gix::ThreadSafeRepository::discover_with_environment_overrides_opts(
            dir,
            options,
            Default::default(),
        )
        .map(gix::Repository::from)
        .map_err(|e| {
            let text = e.to_string();
            if text.contains("not a git repository")
                || text.contains("Could not find")
                || text.contains("not find")
            {
                WorkspaceError::NotARepository(dir.display().to_string())
            } else {
                WorkspaceError::Open(text)
            }
        })?;
        let Some(current_root) = repo.workdir().map(Path::to_path_buf) else {
            return Err(WorkspaceError::Bare(repo.git_dir().display().to_string()));
        };
        let common_dir = repo.common_dir().to_path_buf();
        let main_root = if repo.git_dir() == repo.common_dir() {
            current_root.clone()
        } else if common_dir.file_name().is_some_and(|n| n == ".git") {
            common_dir
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_else(|| current_root.clone())
        } else {
            repo.main_repo()
                .ok()
                .and_then(|main| main.workdir().map(Path::to_path_buf))
                .unwrap_or_else(|| current_root.clone())
        };
        Ok(Workspace {
            current_root: canonical(&current_root),
            main_root: canonical(&main_root),
            common_dir: canonical(&common_dir),
            repo,
        })
    }

    /// A git runner in the main worktree.
    pub fn git(&self) -> Git {
        Git::new(&self.main_root)
    }

    /// The absolute path of a worktree path from the plan.
    pub fn resolve(&self, plan_path: &str) -> PathBuf {
        let path = Path::new(plan_path);
        if path.is_absolute() {
            path.to_path_buf()
        } else {
            self.main_root.join(path)
        }
    }

    /// This workspace in a form another thread can open for itself.
    pub fn share(&self) -> SharedWorkspace {
        SharedWorkspace {
            current_root: self.current_root.clone(),
        }
    }

    /// Whether the command runs in a linked worktree rather than the main one.
    pub fn in_linked_worktree(&self) -> bool {
        self.current_root != self.main_root
    }
}

/// A workspace on its way to another thread, which opens the repository again for itself
/// with [`SharedWorkspace::open`] (a repository handle belongs to one thread).
#[derive(Debug, Clone)]
pub struct SharedWorkspace {
    current_root: PathBuf,
}

impl SharedWorkspace {
    /// The workspace, for this thread.
    pub fn open(&self) -> Result<Workspace, WorkspaceError> {
        Workspace::discover(&self.current_root)
    }
}

/// `path` with symlinks resolved when it exists, as it is otherwise.
pub fn canonical(path: &Path) -> PathBuf {
    fs_err::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}
