//! The error every operation returns, written for the person at the terminal; the
//! binary decides which exit code each kind maps to.

use crate::config::ConfigError;
use crate::git::GitError;
use crate::git::cas::CasError;
use crate::git::workspace::WorkspaceError;
use crate::plan::PlanError;
use crate::state::StateError;

/// An error from any operation, with a message written for the person at the terminal.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A setting is missing or can't be used.
    #[error(transparent)]
    Config(#[from] ConfigError),
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
    /// Another process is doing the same thing to the same agent right now.
    #[error("{0}")]
    Busy(String),
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

impl From<crate::process::claim::ClaimError> for Error {
    fn from(err: crate::process::claim::ClaimError) -> Self {
        match err {
            crate::process::claim::ClaimError::Held(held) => Error::Busy(held.to_string()),
            crate::process::claim::ClaimError::Io(err) => {
                Error::External(format!("cannot take an agent's claim: {err}"))
            }
        }
    }
}

/// Shorthand for results of library operations.
pub type Result<T, E = Error> = std::result::Result<T, E>;
