//! Processes git-agents starts for the user: the user's own commands run to completion
//! ([`runner`]), and agents' long-running commands started, watched and adopted
//! ([`launcher`], with its records under the git dir).

pub mod launcher;
pub mod runner;
