//! Launching agents' commands in tmux (`run --tmux`): each in a window of its own in a
//! session named after the repository, so a person can look in, type to it and leave it
//! running. Its output still goes to the agent's log (through `pipe-pane`), and it runs
//! under the same wrapper as any launched command, so it is watched, stopped and adopted
//! the same way.

use std::io;

use super::record::{RunRecord, TmuxPane};
use super::{Launch, Running, WRAPPER, adopt, shell_quote};

/// The tmux session for the repository whose main worktree is called `dir_name`: its
/// name, with what tmux does not allow in a session name made `_`.
pub fn session_name(dir_name: &str) -> String {
    let name: String = dir_name
        .chars()
        .map(|c| {
            if c == '.' || c == ':' || c.is_whitespace() {
                '_'
            } else {
                c
            }
        })
        .collect();
    if name.is_empty() {
        "git-agents".to_owned()
    } else {
        name
    }
}

fn tmux(args: &[String]) -> io::Result<String> {
    let out = duct::cmd("tmux", args)
        .stdin_null()
        .stdout_capture()
        .stderr_capture()
        .unchecked()
        .run()
        .map_err(|e| {
            io::Error::other(format!(
                "cannot run tmux ({e}); install tmux or run without --tmux"
            ))
        })?;
    if !out.status.success() {
        return Err(io::Error::other(format!(
            "tmux {} failed: {}",
            args.first().map(String::as_str).unwrap_or(""),
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// Start `launch` in a new window of tmux session `session` (made when missing), its
/// output appended to the agent's log. The command waits for the log to be attached
/// before it starts, so nothing it prints is lost.
pub fn start(launch: &Launch, session: &str) -> io::Result<Running> {
    let exit_file = super::prepare(launch)?;
    let channel = format!("git-agents-{}-{}", launch.agent, std::process::id());
    let inner = format!(
        "tmux wait-for {}; exec sh -c {} sh {} {}",
        shell_quote(&channel),
        shell_quote(WRAPPER),
        shell_quote(&launch.command),
        shell_quote(&exit_file.display().to_string())
    );
    let exists = tmux(&["has-session".into(), "-t".into(), format!("={session}")]).is_ok();
    let mut args: Vec<String> = if exists {
        vec![
            "new-window".into(),
            "-d".into(),
            "-t".into(),
            format!("={session}:"),
        ]
    } else {
        vec![
            "new-session".into(),
            "-d".into(),
            "-s".into(),
            session.into(),
        ]
    };
    args.extend([
        "-P".into(),
        "-F".into(),
        "#{pane_pid} #{pane_id}".into(),
        "-n".into(),
        launch.agent.clone(),
        "-c".into(),
        launch.dir.display().to_string(),
    ]);
    for (key, value) in &launch.env {
        args.push("-e".into());
        args.push(format!("{key}={value}"));
    }
    args.push(inner);
    let printed = tmux(&args)?;
    let (pid, pane) = printed
        .split_once(' ')
        .and_then(|(pid, pane)| Some((pid.parse::<u32>().ok()?, pane.to_owned())))
        .ok_or_else(|| io::Error::other(format!("tmux printed {printed:?} for a new window")))?;
    let piped = tmux(&[
        "pipe-pane".into(),
        "-t".into(),
        pane.clone(),
        format!("cat >> {}", shell_quote(&launch.log.display().to_string())),
    ]);
    // Whatever happened, let the command go on; a log that could not be attached is said.
    let signalled = tmux(&["wait-for".into(), "-S".into(), channel]);
    piped?;
    signalled?;
    let record = RunRecord::started(
        launch,
        pid,
        Some(TmuxPane {
            session: session.to_owned(),
            pane,
        }),
    );
    record.write(&launch.records)?;
    Ok(adopt(record, &launch.records, &launch.log))
}

/// Type `text` and Enter into `pane`, as a person at its terminal would.
pub fn send(pane: &TmuxPane, text: &str) -> io::Result<()> {
    tmux(&[
        "send-keys".into(),
        "-t".into(),
        pane.pane.clone(),
        "-l".into(),
        text.to_owned(),
    ])?;
    tmux(&[
        "send-keys".into(),
        "-t".into(),
        pane.pane.clone(),
        "Enter".into(),
    ])?;
    Ok(())
}

/// What `pane` shows now, its last `lines` lines.
pub fn screen(pane: &TmuxPane, lines: usize) -> io::Result<String> {
    let shown = tmux(&[
        "capture-pane".into(),
        "-p".into(),
        "-t".into(),
        pane.pane.clone(),
    ])?;
    let all: Vec<&str> = shown.lines().collect();
    Ok(all[all.len().saturating_sub(lines)..].join("\n"))
}

/// Make `pane` the window its session shows, for a person about to attach to it.
pub fn select(pane: &TmuxPane) -> io::Result<()> {
    tmux(&["select-window".into(), "-t".into(), pane.pane.clone()])?;
    Ok(())
}

/// Whether the command leading process group `pid` waits for a line from its terminal:
/// a process of the terminal's foreground group sleeps in the terminal's read. Linux
/// only (read from /proc); elsewhere never.
pub fn reading_terminal(pid: u32) -> bool {
    let stat = |pid: &str| std::fs::read_to_string(format!("/proc/{pid}/stat")).ok();
    // The fields after the command name, which is in parentheses and may hold spaces.
    let fields = |text: &str| -> Vec<String> {
        text.rsplit_once(')')
            .map(|(_, rest)| rest.split_whitespace().map(str::to_owned).collect())
            .unwrap_or_default()
    };
    let Some(leader) = stat(&pid.to_string()) else {
        return false;
    };
    // state is field 3, pgrp 5, tty_nr 7, tpgid 8: here, counted after the name, 0, 2, 4, 5.
    let leader = fields(&leader);
    let (Some(tty), Some(foreground)) = (leader.get(4), leader.get(5)) else {
        return false;
    };
    if tty == "0" {
        return false;
    }
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return false;
    };
    entries.flatten().any(|entry| {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .filter(|n| n.bytes().all(|b| b.is_ascii_digit()))
        else {
            return false;
        };
        let Some(text) = stat(pid) else {
            return false;
        };
        let f = fields(&text);
        let in_foreground = f.get(2) == Some(foreground) && f.get(4) == Some(tty);
        let sleeping = f.first().is_some_and(|s| s == "S");
        in_foreground && sleeping && asleep_in_terminal_read(pid)
    })
}

/// Whether process `pid` sleeps in a read of its terminal: the kernel function it waits
/// in says so, or (where that is hidden) the system call it is in is a read of its
/// standard input.
fn asleep_in_terminal_read(pid: &str) -> bool {
    let wchan = std::fs::read_to_string(format!("/proc/{pid}/wchan")).unwrap_or_default();
    if matches!(wchan.trim(), "wait_woken" | "n_tty_read") {
        return true;
    }
    // `read` is system call 0 on x86-64 and 63 on arm64; its first argument the fd.
    let read = if cfg!(target_arch = "aarch64") {
        "63"
    } else {
        "0"
    };
    std::fs::read_to_string(format!("/proc/{pid}/syscall")).is_ok_and(|call| {
        let mut words = call.split_whitespace();
        words.next() == Some(read) && words.next() == Some("0x0")
    })
}
