//! Agents on a pseudo-terminal of their own: a small holder process owns the terminal's
//! master side, keeps everything the command prints in its log, and lets people join it
//! (`attach`) or type a line to it (`send`) through a unix socket. The holder is a
//! process of its own, so an agent outlives the run that launched it, as without one.

use std::collections::VecDeque;
use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io::{ErrorKind, Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::record::RunRecord;
use super::{Launch, Running, WRAPPER};

/// How much of what the terminal showed last is kept, to show someone who joins.
const SCREEN_BYTES: usize = 64 * 1024;
/// The terminal's size until someone says otherwise.
const COLUMNS: u16 = 120;
const ROWS: u16 = 40;
/// How long the holder keeps reading after the command exited, for output still on its way.
const DRAIN: Duration = Duration::from_millis(300);

/// Where the holder of `agent`'s terminal listens: beside its record when that path is
/// short enough for a unix socket, else in a private directory under the system's
/// temporary directory, named after the record's path.
pub fn socket_path(records: &Path, agent: &str) -> PathBuf {
    let beside = records.join(format!("{agent}.sock"));
    if beside.as_os_str().len() < 100 {
        return beside;
    }
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in beside.as_os_str().as_encoded_bytes() {
        hash = (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3);
    }
    // SAFETY: getuid(2) cannot fail.
    let uid = unsafe { libc::getuid() };
    std::env::temp_dir()
        .join(format!("git-agents-{uid}"))
        .join(format!("{hash:016x}.sock"))
}

/// Start `launch` on a terminal of its own, held by `holder` (the git-agents program,
/// whose hidden `__hold` subcommand runs [`hold`]). The record names the command's own
/// process (which leads its session and process group) and the holder's socket.
pub fn start(launch: &Launch, holder: &Path) -> std::io::Result<Running> {
    let exit_file = super::prepare(launch)?;
    let socket = socket_path(&launch.records, &launch.agent);
    if let Some(dir) = socket.parent() {
        crate::fsutil::private_dir(dir)?;
    }
    let pid_file = launch.records.join(format!("{}.pty-pid", launch.agent));
    let _ = std::fs::remove_file(&pid_file);
    let log = crate::fsutil::append(&launch.log)?;
    let args: Vec<OsString> = vec![
        "__hold".into(),
        "--socket".into(),
        socket.clone().into(),
        "--log".into(),
        launch.log.clone().into(),
        "--pid-file".into(),
        pid_file.clone().into(),
        "--".into(),
        "sh".into(),
        "-c".into(),
        WRAPPER.into(),
        "sh".into(),
        launch.command.clone().into(),
        exit_file.into(),
    ];
    let mut expression = duct::cmd(holder, args)
        .dir(&launch.dir)
        .stdin_null()
        .stdout_null()
        .stderr_file(log)
        .unchecked()
        .before_spawn(|command| {
            command.process_group(0);
            Ok(())
        });
    for (key, value) in &launch.env {
        expression = expression.env(key, value);
    }
    let handle = expression.start()?;
    let deadline = Instant::now() + Duration::from_secs(10);
    let pid = loop {
        if let Some(pid) = std::fs::read_to_string(&pid_file)
            .ok()
            .and_then(|text| text.trim().parse::<u32>().ok())
        {
            break pid;
        }
        if handle.try_wait()?.is_some() || Instant::now() > deadline {
            let _ = handle.kill();
            return Err(std::io::Error::other(format!(
                "the terminal for {}'s command did not start; see {}",
                launch.agent,
                launch.log.display()
            )));
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let _ = std::fs::remove_file(&pid_file);
    let mut record = RunRecord::started(launch, pid, None);
    record.pty = Some(socket);
    super::watched(launch, record, handle)
}

/// A fresh pseudo-terminal: its master side (closed on exec) and its other side.
fn open_pty() -> std::io::Result<(OwnedFd, OwnedFd)> {
    // SAFETY: plain libc calls on descriptors this function owns; each result is checked.
    unsafe {
        let master = libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC);
        if master < 0 {
            return Err(std::io::Error::last_os_error());
        }
        let master = OwnedFd::from_raw_fd(master);
        if libc::grantpt(master.as_raw_fd()) != 0 || libc::unlockpt(master.as_raw_fd()) != 0 {
            return Err(std::io::Error::last_os_error());
        }
        let mut name = [0 as libc::c_char; 128];
        if libc::ptsname_r(master.as_raw_fd(), name.as_mut_ptr(), name.len()) != 0 {
            return Err(std::io::Error::last_os_error());
        }
        let slave = libc::open(
            name.as_ptr(),
            libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC,
        );
        if slave < 0 {
            return Err(std::io::Error::last_os_error());
        }
        let slave = OwnedFd::from_raw_fd(slave);
        let size = libc::winsize {
            ws_row: ROWS,
            ws_col: COLUMNS,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        libc::ioctl(slave.as_raw_fd(), libc::TIOCSWINSZ, &size);
        Ok((master, slave))
    }
}

/// Hold a terminal for `program ARGS`: run it as the leader of a new session whose
/// terminal this is, copy what it prints to `log` (and to everyone attached), type what
/// attached people send, and exit with its status once it has ended. Its process id goes
/// to `pid_file` as soon as it runs.
pub fn hold(
    socket: &Path,
    log: &Path,
    pid_file: &Path,
    program: &OsStr,
    args: &[OsString],
) -> std::io::Result<i32> {
    let (master, slave) = open_pty()?;
    let _ = std::fs::remove_file(socket);
    let listener = UnixListener::bind(socket)?;
    listener.set_nonblocking(true)?;
    let mut command = std::process::Command::new(program);
    command
        .args(args)
        .stdin(slave.try_clone()?)
        .stdout(slave.try_clone()?)
        .stderr(slave);
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        command.pre_exec(|| {
            if libc::setsid() < 0 || libc::ioctl(0, libc::TIOCSCTTY, 0) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = command.spawn()?;
    drop(command);
    crate::fsutil::replace(pid_file, format!("{}\n", child.id()).as_bytes())?;
    let mut terminal = File::from(master);
    let mut log = crate::fsutil::append(log)?;
    let mut screen: VecDeque<u8> = VecDeque::with_capacity(SCREEN_BYTES);
    let mut clients: Vec<UnixStream> = Vec::new();
    let mut exited: Option<(i32, Instant)> = None;
    let mut ended = false;
    let mut carriage = false;
    let mut buffer = [0u8; 8192];
    loop {
        let mut fds = vec![
            libc::pollfd {
                fd: terminal.as_raw_fd(),
                events: if ended { 0 } else { libc::POLLIN },
                revents: 0,
            },
            libc::pollfd {
                fd: listener.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            },
        ];
        fds.extend(clients.iter().map(|c| libc::pollfd {
            fd: c.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        }));
        // SAFETY: `fds` is a valid array of pollfd for its length.
        unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, 100) };
        if !ended && fds[0].revents & (libc::POLLIN | libc::POLLHUP | libc::POLLERR) != 0 {
            match terminal.read(&mut buffer) {
                Ok(0) => ended = true,
                Ok(n) => {
                    let shown = &buffer[..n];
                    write_log(&mut log, shown, &mut carriage);
                    for byte in shown {
                        if screen.len() == SCREEN_BYTES {
                            screen.pop_front();
                        }
                        screen.push_back(*byte);
                    }
                    clients.retain_mut(|c| c.write_all(shown).is_ok());
                }
                Err(err) if err.kind() == ErrorKind::Interrupted => {}
                // EIO: every process that had the terminal open closed it.
                Err(_) => ended = true,
            }
        }
        if fds[1].revents & libc::POLLIN != 0 {
            while let Ok((mut client, _)) = listener.accept() {
                let (front, back) = screen.as_slices();
                let _ = client.set_write_timeout(Some(Duration::from_millis(500)));
                if client.write_all(front).is_ok() && client.write_all(back).is_ok() {
                    clients.push(client);
                }
            }
        }
        let mut gone = Vec::new();
        for (index, fd) in fds.iter().enumerate().skip(2) {
            if fd.revents & (libc::POLLIN | libc::POLLHUP | libc::POLLERR) == 0 {
                continue;
            }
            let client = &mut clients[index - 2];
            match client.read(&mut buffer) {
                Ok(0) | Err(_) => gone.push(index - 2),
                Ok(n) => {
                    if terminal.write_all(&buffer[..n]).is_err() {
                        gone.push(index - 2);
                    }
                }
            }
        }
        for index in gone.into_iter().rev() {
            clients.remove(index);
        }
        if exited.is_none()
            && let Some(status) = child.try_wait()?
        {
            use std::os::unix::process::ExitStatusExt;
            let code = status
                .code()
                .or_else(|| status.signal().map(|s| 128 + s))
                .unwrap_or(1);
            exited = Some((code, Instant::now()));
        }
        if let Some((code, at)) = exited
            && (ended || at.elapsed() > DRAIN)
        {
            let _ = log.flush();
            let _ = std::fs::remove_file(socket);
            return Ok(code);
        }
    }
}

/// Append what the terminal showed to the log, with the terminal's line ends (`\r\n`)
/// written as plain `\n`; `carriage` carries a `\r` left at the end of one piece.
fn write_log(log: &mut File, shown: &[u8], carriage: &mut bool) {
    let mut out = Vec::with_capacity(shown.len() + 1);
    for byte in shown {
        if *carriage && *byte != b'\n' {
            out.push(b'\r');
        }
        *carriage = *byte == b'\r';
        if !*carriage {
            out.push(*byte);
        }
    }
    let _ = log.write_all(&out);
}

/// Join the terminal held at `socket`: what it shows now arrives first, then everything
/// it prints; what is written goes to the command as typed.
pub fn connect(socket: &Path) -> std::io::Result<UnixStream> {
    UnixStream::connect(socket)
}

/// Give the terminal of the command `pid` (a session leader on a terminal a holder keeps)
/// `rows` × `columns`, as a person's window has; the command is told (SIGWINCH).
pub fn resize(pid: u32, rows: u16, columns: u16) -> std::io::Result<()> {
    let path = std::fs::read_link(format!("/proc/{pid}/fd/0"))?;
    if !path.starts_with("/dev/pts") {
        return Err(std::io::Error::other(format!(
            "{} is not a pseudo-terminal",
            path.display()
        )));
    }
    let terminal = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(libc::O_NOCTTY)
        .open(&path)?;
    let size = libc::winsize {
        ws_row: rows,
        ws_col: columns,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCSWINSZ with a valid winsize on a terminal this function opened.
    if unsafe { libc::ioctl(terminal.as_raw_fd(), libc::TIOCSWINSZ, &size) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// Type `text` and Enter to the terminal held at `socket`.
pub fn send(socket: &Path, text: &str) -> std::io::Result<()> {
    let mut stream = connect(socket)?;
    stream.write_all(text.as_bytes())?;
    stream.write_all(b"\r")?;
    stream.flush()?;
    // Give the holder the moment it needs to read before the connection closes.
    let _ = stream.shutdown(std::net::Shutdown::Write);
    let mut sink = [0u8; 4096];
    let deadline = Instant::now() + Duration::from_millis(200);
    let _ = stream.set_read_timeout(Some(Duration::from_millis(50)));
    while Instant::now() < deadline {
        match stream.read(&mut sink) {
            Ok(0) => break,
            Ok(_) => {}
            Err(_) => break,
        }
    }
    Ok(())
}

/// The last `lines` lines of `log` as a person would read them on the screen: escape
/// sequences (colours, cursor moves) left out.
pub fn screen(log: &Path, lines: usize) -> String {
    let text = plain(&super::tail(log, lines.max(1) * 4));
    let all: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// `text` without terminal escape sequences and other control characters but newlines
/// and tabs.
pub fn plain(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => match chars.next() {
                // CSI: parameters, then one final byte in @..~.
                Some('[') => {
                    for c in chars.by_ref() {
                        if ('@'..='~').contains(&c) {
                            break;
                        }
                    }
                }
                // OSC: up to BEL or ESC \.
                Some(']') => {
                    while let Some(c) = chars.next() {
                        if c == '\u{7}' || (c == '\u{1b}' && chars.next_if_eq(&'\\').is_some()) {
                            break;
                        }
                    }
                }
                _ => {}
            },
            '\n' | '\t' => out.push(c),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Whether the record's command runs on a terminal a holder keeps, still running.
pub fn socket_of(found: &RunRecord) -> Option<&Path> {
    found.pty.as_deref().filter(|_| found.alive())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_are_left_out_of_the_screen() {
        assert_eq!(
            plain("\u{1b}[1;32mok\u{1b}[0m done\r\n\u{1b}]0;title\u{7}Proceed? [y/N] "),
            "ok done\nProceed? [y/N] "
        );
    }

    #[test]
    fn terminal_line_ends_reach_the_log_as_newlines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log");
        let mut log = File::create(&path).unwrap();
        let mut carriage = false;
        write_log(&mut log, b"one\r", &mut carriage);
        write_log(&mut log, b"\ntwo\rthree\r\n", &mut carriage);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "one\ntwo\rthree\n");
    }

    #[test]
    fn long_record_paths_get_a_short_socket() {
        let long = Path::new("/tmp").join("x".repeat(120));
        let socket = socket_path(&long, "agent");
        assert!(socket.as_os_str().len() < 108, "{}", socket.display());
        assert_eq!(socket, socket_path(&long, "agent"));
        let short = socket_path(Path::new("/r/.git/agents/run"), "api");
        assert_eq!(short, Path::new("/r/.git/agents/run/api.sock"));
    }
}
