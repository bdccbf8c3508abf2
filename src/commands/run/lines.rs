//! One run event as people read it (a timestamped line) and as `--json` logs it.

use git_agents::ops::{self, RunEvent};

use crate::cli::output::style;

/// `event` as one line for people, after the time of day.
pub(super) fn event_line(event: &RunEvent) -> String {
    let now = git_agents::time::now_rfc3339();
    let clock = now.get(11..19).unwrap_or("");
    let text = match event {
        RunEvent::Spawned { agent } => format!("spawned {agent}"),
        RunEvent::Launched { agent, log } => format!("launched {agent} (log: {})", log.display()),
        RunEvent::Finished { agent, elapsed } => {
            format!(
                "{agent} finished in {}",
                git_agents::time::format_duration(*elapsed)
            )
        }
        RunEvent::Failed { agent, code, tail } => format!(
            "{agent} failed ({}){}",
            code.map(|c| format!("exit {c}"))
                .unwrap_or_else(|| "killed".to_owned()),
            tail.lines()
                .map(|l| format!("\n    {l}"))
                .collect::<String>()
        ),
        RunEvent::Step { agent, message, .. } => format!("{agent}: {message}"),
        RunEvent::Again {
            agent,
            summary,
            launch,
            file,
            ..
        } => format!(
            "{agent}: {summary}; launching its command again (relaunch {launch}) with the findings in {}",
            file.display()
        ),
        RunEvent::Waiting { agent, screen } => format!(
            "{agent} is waiting for input: {} (answer with git agents send {agent} TEXT, or join it with git agents attach {agent})",
            screen
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("")
                .trim()
        ),
        RunEvent::Resumed { agent } => format!("{agent} goes on"),
        RunEvent::Retrying { agent, reason } => {
            format!("{agent}: failed before ({reason}); launching it again")
        }
        RunEvent::Held { agent, reason } => format!("{agent} held: {reason}"),
        RunEvent::Merged { agent, unblocked } if unblocked.is_empty() => format!("merged {agent}"),
        RunEvent::Merged { agent, unblocked } => {
            format!("merged {agent}; unblocked {}", unblocked.join(", "))
        }
        RunEvent::Interrupted { stopped } => format!("interrupted; stopped {}", stopped.join(", ")),
        RunEvent::Adopted { agent, pid, log } => format!(
            "{agent}: still running from an earlier run (pid {pid}), watching it (log: {})",
            log.display()
        ),
        RunEvent::EndedUnwatched { agent, code } => {
            format!(
                "{agent}: its command from an earlier run ended with exit {code} while no run was watching"
            )
        }
        RunEvent::Relaunching { agent, pid } => format!(
            "{agent}: its command from an earlier run (pid {pid}) was killed before it finished; launching it again"
        ),
        RunEvent::WatchedElsewhere { agent, run_pid } => format!(
            "{agent}: its command is watched by another git agents run (pid {run_pid}); leaving it to that run"
        ),
        RunEvent::Claimed { agent, machine } => format!("claimed {agent} for {machine}"),
        RunEvent::HeldElsewhere { agent, machine } => {
            format!("{agent}: held by {machine}; leaving it to that machine")
        }
        RunEvent::TookOver { agent, from } => format!(
            "{agent}: {from} stopped renewing its lease; took it over from its pushed branch"
        ),
        RunEvent::LeaseLost {
            agent,
            holder,
            set_aside,
        } => match set_aside {
            Some(branch) => format!(
                "{agent}: {holder} took it over while this machine was away; stopped it here, its branch is kept as {branch}"
            ),
            None => format!(
                "{agent}: {holder} took it over while this machine was away; stopped it here"
            ),
        },
        RunEvent::Unreachable { remote, reason } => format!(
            "cannot reach {remote} ({reason}); running agents go on, nothing new is claimed until it answers"
        ),
        RunEvent::Reconnected { remote } => format!("{remote} answers again; catching up"),
        RunEvent::Working { message, .. } => message.clone(),
        RunEvent::Tick => String::new(),
    };
    format!("{} {text}", style::dim().apply_to(clock))
}

/// `event` with the time it happened, for `--json`.
pub(super) fn logged(event: &RunEvent) -> ops::LoggedEvent {
    ops::LoggedEvent {
        event: event.clone(),
        at: git_agents::time::now_rfc3339_millis(),
    }
}
