//! Processes git-agents starts for the user: the user's own commands run to completion
//! ([`runner`]), and agents' long-running commands started, watched and adopted
//! ([`launcher`], with its records under the git dir).

pub mod claim;
pub mod launcher;
pub mod runner;

/// Whether a process with id `pid` exists on this machine (any process holding that id:
/// [`launcher::record::is_running`] also checks it is the same one).
#[cfg(unix)]
pub fn alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    if pid <= 0 {
        return false;
    }
    // SAFETY: kill with signal 0 sends nothing; it only asks whether the process exists.
    let result = unsafe { libc::kill(pid, 0) };
    result == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
}

/// Whether a process with id `pid` exists (assumed so where it cannot be asked).
#[cfg(not(unix))]
pub fn alive(_pid: u32) -> bool {
    true
}

#[cfg(test)]
mod tests {
    #[test]
    fn knows_live_and_dead_processes() {
        assert!(super::alive(std::process::id()));
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        assert!(!super::alive(pid));
        assert!(!super::alive(0));
    }
}
