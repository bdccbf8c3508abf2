//! The exit code each error maps to: the one place the process's exit status is decided.
//!
//! The codes are stable and documented in the manual's EXIT STATUS section:
//! 0 ok · 1 refused · 2 usage or bad input · 3 contention · 4 git or gh failed ·
//! 130 interrupted.

use git_agents::Error;
use git_agents::forge::ForgeError;
use git_agents::git::GitError;
use git_agents::git::cas::CasError;
use git_agents::state::StateError;

/// Everything worked.
pub const OK: i32 = 0;
/// Refused: a criterion is unmet, a dependency is missing, a step is not allowed now.
pub const REFUSED: i32 = 1;
/// Usage or bad input.
pub const USAGE: i32 = 2;
/// The state kept changing under us after every retry, or a lock stayed held.
pub const CONTENTION: i32 = 3;
/// git or gh failed.
pub const EXTERNAL: i32 = 4;
/// Interrupted by Ctrl-C (128 + SIGINT, as a shell reports it).
pub const INTERRUPTED: i32 = 130;

/// The exit code for `err`.
pub fn code(err: &Error) -> i32 {
    match err {
        Error::Config(_) | Error::Plan(_) | Error::Usage(_) | Error::Workspace(_) => USAGE,
        Error::Refused(_) => REFUSED,
        Error::Git(git) => git_code(git),
        Error::External(_) => EXTERNAL,
        Error::Busy(_) => CONTENTION,
        Error::State(state) => state_code(state),
        Error::Forge(forge) => forge_code(forge),
    }
}

fn git_code(err: &GitError) -> i32 {
    match err {
        GitError::Locked { .. } => CONTENTION,
        _ => EXTERNAL,
    }
}

fn state_code(err: &StateError) -> i32 {
    match err {
        StateError::AlreadyInitialized { .. } | StateError::IllegalTransition { .. } => REFUSED,
        StateError::Cas(cas) => cas_code(cas),
        _ => USAGE,
    }
}

fn cas_code(err: &CasError) -> i32 {
    match err {
        CasError::Contention { .. } | CasError::Locked(_) => CONTENTION,
        CasError::Git(_) => EXTERNAL,
        _ => USAGE,
    }
}

fn forge_code(err: &ForgeError) -> i32 {
    match err {
        ForgeError::Conflict { .. }
        | ForgeError::MergedTestsFailed(_)
        | ForgeError::BaseDirty { .. }
        | ForgeError::BaseLeftBehind { .. }
        | ForgeError::Refused(_) => REFUSED,
        ForgeError::BaseMoved { .. } => CONTENTION,
        ForgeError::Git(git) => git_code(git),
        ForgeError::NotGitHub(_) => USAGE,
        _ => EXTERNAL,
    }
}
