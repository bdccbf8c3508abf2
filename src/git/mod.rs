//! Git mechanics, below every operation.
//!
//! The rule: our own refs (`refs/agents/state`, `refs/notes/agents`, the base branch the
//! local forge moves) are read through gix and written only by compare-and-swap
//! ([`cas`]); worktrees, checkouts and merges go through the git program ([`command`]),
//! run with an argument vector, so git's own locks, hooks-free plumbing and index rules
//! apply. Locks left by killed processes are found and cleared by [`locks`].

pub mod cas;
pub mod command;
pub mod locks;
pub mod maintenance;
pub mod remote;
pub mod workspace;
pub mod worktree;

pub use command::{Captured, Git, GitError, first_meaningful_line};
