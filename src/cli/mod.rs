//! The binary's own machinery beneath the commands: the global options, output for people
//! and scripts (colour, width, spinners), the exit code each error maps to, and the
//! generators of the manual pages and completion scripts, which read a built
//! `clap::Command` as they are handed it.

pub mod args;
pub mod completion;
pub mod exit;
pub mod install;
pub mod manual;
pub mod output;
