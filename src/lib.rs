//! git-agents: run a fleet of coding agents in parallel git worktrees and bring their
//! work home through pull requests and a dependency-ordered merge queue.
//!
//! The library knows nothing of the command line or the terminal: it reads and writes
//! the fleet's state in git, and the binary's commands render what it returns.
//! `ARCHITECTURE.md` names each folder and the direction of the arrows between them.

pub mod config;
pub mod error;
pub mod fault;
pub mod forge;
pub mod fsutil;
pub mod git;
pub mod ops;
pub mod plan;
pub mod process;
pub mod progress;
pub mod state;
pub mod time;

pub use error::Error;
