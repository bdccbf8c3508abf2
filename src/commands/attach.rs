//! `git agents attach`: join a running agent's terminal.

use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::path::Path;

use git_agents::Error;
use git_agents::ops::terminal::{self, Terminal};
use git_agents::process::launcher::{pty, tmux};

use super::Context;

/// The key that leaves an agent's terminal: Ctrl-].
const DETACH: u8 = 0x1d;

/// Join a running agent's terminal
///
/// Show what a running agent's terminal shows now and everything it prints next, and type
/// to it; detach with Ctrl-], leaving it running. For agents launched with git agents run
/// --tmux, attach to (or, inside tmux, switch to) its window; detach with Ctrl-b d.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The agent to join [default: the agent whose worktree this is]
    #[arg(value_name = "AGENT")]
    pub agent: Option<String>,
}

/// Run `attach`.
pub fn run(args: &Args, ctx: &Context) -> Result<i32, Error> {
    let ws = ctx.workspace()?;
    let (name, found) = terminal::terminal(&ws, args.agent.as_deref())?;
    match found {
        Terminal::Tmux(pane) => attach_tmux(&name, &pane, ctx),
        Terminal::Held { socket, pid } => attach_held(&name, &socket, pid, ctx),
    }
}

fn attach_tmux(
    name: &str,
    pane: &git_agents::process::launcher::record::TmuxPane,
    ctx: &Context,
) -> Result<i32, Error> {
    tmux::select(pane).map_err(|e| Error::External(e.to_string()))?;
    let inside_tmux = std::env::var_os("TMUX").is_some_and(|v| !v.is_empty());
    let session = format!("={}", pane.session);
    let args: Vec<&str> = if inside_tmux {
        vec!["switch-client", "-t", &session]
    } else {
        ctx.out.say(format!(
            "Joining {name}'s terminal; detach with Ctrl-b d, and {name} keeps running."
        ));
        vec!["attach-session", "-t", &session]
    };
    let status = duct::cmd("tmux", args)
        .unchecked()
        .run()
        .map_err(|e| Error::External(format!("cannot run tmux: {e}")))?
        .status;
    Ok(status.code().unwrap_or(crate::cli::exit::EXTERNAL))
}

/// Join the terminal a holder keeps (that of command `pid`): its screen first, then
/// whatever it prints; what is typed goes to it until Ctrl-] (or the end of the input).
fn attach_held(name: &str, socket: &Path, pid: u32, ctx: &Context) -> Result<i32, Error> {
    let mut stream = pty::connect(socket)
        .map_err(|e| Error::External(format!("cannot join {name}'s terminal: {e}")))?;
    ctx.out.say(format!(
        "Joined {name}'s terminal; detach with Ctrl-], and {name} keeps running."
    ));
    let raw = RawMode::enter();
    let stdin = std::io::stdin();
    let mut stdout = std::io::stdout();
    let mut buffer = [0u8; 8192];
    let mut input_open = true;
    let mut leave_at = None;
    // The agent draws for the window that joined it, and follows it when it is resized
    // (best effort: looked at on every turn, a fifth of a second at most apart).
    let mut window = None;
    let ended = loop {
        let now = window_size();
        if now.is_some() && now != window {
            window = now;
            if let Some((rows, columns)) = now {
                let _ = pty::resize(pid, rows, columns);
            }
        }
        let mut fds = [
            libc::pollfd {
                fd: stream.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            },
            libc::pollfd {
                fd: stdin.as_raw_fd(),
                events: if input_open { libc::POLLIN } else { 0 },
                revents: 0,
            },
        ];
        // SAFETY: `fds` is a valid array of two pollfd.
        unsafe { libc::poll(fds.as_mut_ptr(), 2, 200) };
        if fds[0].revents & (libc::POLLIN | libc::POLLHUP | libc::POLLERR) != 0 {
            match stream.read(&mut buffer) {
                Ok(0) | Err(_) => break true,
                Ok(n) => {
                    let _ = stdout.write_all(&buffer[..n]);
                    let _ = stdout.flush();
                }
            }
        }
        if input_open && fds[1].revents & (libc::POLLIN | libc::POLLHUP | libc::POLLERR) != 0 {
            match read_input(&mut buffer) {
                Ok(0) | Err(_) => input_open = false,
                Ok(n) => {
                    let typed = &buffer[..n];
                    let (before, detach) = match typed.iter().position(|b| *b == DETACH) {
                        Some(at) => (&typed[..at], true),
                        None => (typed, false),
                    };
                    if stream.write_all(before).is_err() {
                        break true;
                    }
                    if detach {
                        break false;
                    }
                }
            }
            if !input_open {
                // Piped input ran out: show what the agent answers for a moment, then leave.
                leave_at = Some(std::time::Instant::now() + std::time::Duration::from_millis(500));
            }
        }
        if leave_at.is_some_and(|at| std::time::Instant::now() >= at) {
            break false;
        }
    };
    drop(raw);
    if ended {
        ctx.out.say(format!("\n{name}'s command ended."));
    } else {
        ctx.out.say(format!("\nDetached; {name} keeps running."));
    }
    Ok(0)
}

/// The size of the window standard output is shown in, when it is a terminal.
fn window_size() -> Option<(u16, u16)> {
    // SAFETY: TIOCGWINSZ fills in a zeroed winsize for standard output.
    unsafe {
        let mut size: libc::winsize = std::mem::zeroed();
        (libc::ioctl(1, libc::TIOCGWINSZ, &mut size) == 0 && size.ws_row > 0 && size.ws_col > 0)
            .then_some((size.ws_row, size.ws_col))
    }
}

/// Read what was typed straight from standard input (no buffer that `poll` can't see).
fn read_input(buffer: &mut [u8]) -> std::io::Result<usize> {
    // SAFETY: read(2) into a buffer of the length given.
    let n = unsafe { libc::read(0, buffer.as_mut_ptr().cast(), buffer.len()) };
    if n < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(n as usize)
}

/// The terminal in raw mode while attached (keys go to the agent as typed), as it was
/// again when dropped. Nothing happens when standard input is not a terminal.
struct RawMode(Option<libc::termios>);

impl RawMode {
    fn enter() -> RawMode {
        let fd = std::io::stdin().as_raw_fd();
        // SAFETY: termios calls on standard input, with a zeroed struct they fill in.
        unsafe {
            if libc::isatty(fd) != 1 {
                return RawMode(None);
            }
            let mut saved: libc::termios = std::mem::zeroed();
            if libc::tcgetattr(fd, &mut saved) != 0 {
                return RawMode(None);
            }
            let mut raw = saved;
            libc::cfmakeraw(&mut raw);
            if libc::tcsetattr(fd, libc::TCSANOW, &raw) != 0 {
                return RawMode(None);
            }
            RawMode(Some(saved))
        }
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        if let Some(saved) = self.0 {
            // SAFETY: restores the settings read in `enter`.
            unsafe { libc::tcsetattr(std::io::stdin().as_raw_fd(), libc::TCSANOW, &saved) };
        }
    }
}
