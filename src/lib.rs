//! git-agents: run a fleet of coding agents in parallel git worktrees and bring their
//! work home through pull requests and a dependency-ordered merge queue.
//!
//! The library knows nothing of the command line or the terminal: it reads and writes
//! the fleet's state in git, and the binary's commands render what it returns.

pub mod cas;
pub mod config;
pub mod conflicts;
pub mod doctor;
pub mod error;
pub mod fault;
pub mod forge;
pub mod git;
pub mod graph;
pub mod install;
pub mod launcher;
pub mod locks;
pub mod maintenance;
pub mod notes;
pub mod ops;
pub mod plan;
pub mod provision;
pub mod runner;
pub mod state;
pub mod sync;
pub mod time;
pub mod timeline;
pub mod watch;
pub mod workspace;
pub mod worktree;

pub use error::{Error, ExitCode};
