//! The error every operation returns, and the exit code each kind maps to.

use crate::{
    cas::CasError, git::GitError, plan::PlanError, state::StateError, workspace::WorkspaceError,
};

/// Exit codes, stable and documented in the man page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    /// Everything worked.
    Ok = 0,
    /// Refused: a criterion is unmet or a dependency is missing.
    Refused = 1,
    /// Usage or bad input.
    Usage = 2,
    /// The state kept changing under us after every retry, or its lock stayed held.
    Contention = 3,
    /// git or gh failed.
    External = 4,
}

/// An error from any operation, with a message written for the person at the terminal.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The plan could not be read or is invalid.
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// The state ref could not be read or written.
    #[error(transparent)]
    State(#[from] StateError),
    /// A git command failed.
    #[error(transparent)]
    Git(#[from] GitError),
    /// Not in a usable repository.
    #[error(transparent)]
    Workspace(#[from] WorkspaceError),
    /// The operation was refused; the message says why and what would allow it.
    #[error("{0}")]
    Refused(String),
    /// The input was wrong; the message says what and how to fix it.
    #[error("{0}")]
    Usage(String),
    /// An external program other than git failed.
    #[error("{0}")]
    External(String),
    /// A forge (GitHub or the local one) failed or refused.
    #[error(transparent)]
    Forge(#[from] crate::forge::ForgeError),
}

impl From<CasError> for Error {
    fn from(err: CasError) -> Self {
        Error::State(StateError::from(err))
    }
}

impl Error {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> ExitCode {
        match self {
            Error::Plan(_) | Error::Usage(_) | Error::Workspace(_) => ExitCode::Usage,
            Error::Refused(_) => ExitCode::Refused,
            Error::Git(GitError::Locked { .. }) => ExitCode::Contention,
            Error::Git(_) | Error::External(_) => ExitCode::External,
            Error::State(state) => state.exit_code(),
            Error::Forge(forge) => forge.exit_code(),
        }
    }
}

/// Shorthand for results of library operations.
pub type Result<T, E = Error> = std::result::Result<T, E>;
