//! `run`: drive the plan. Spawn the agents whose dependencies are merged, launch each
//! one's command in its worktree (at most N at once), hand finished work to delivery
//! (test, review, pull request, merge queue), and spawn dependents as their
//! dependencies merge. Everything it knows comes from the state ref, so a run that was
//! interrupted resumes where the state says.
//!
//! A run that was killed outright leaves its agents' commands running; each has a
//! [`record`](crate::process::launcher::record). The next run takes them over instead of starting
//! a second copy: it watches a command that still runs, takes the exit status of one that
//! finished while no run was watching, and launches again only a command that was killed.

use crate::progress::{Progress, Steps};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::error::{Error, Result};
use crate::git::workspace::Workspace;
use crate::ops::provision::AgentVars;
use crate::process::launcher::record::{self, Condition, RunRecord};
use crate::process::launcher::{self, Launch, Running};
use crate::state::{self, State, Status};

/// What `run` was asked to do.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Only these agents (and nothing else); all agents when empty.
    pub agents: Vec<String>,
    /// At most this many commands at once.
    pub parallel: usize,
    /// The command for every agent, with `{agent}`, `{branch}`, `{worktree}`, `{base}` and
    /// `{port}` placeholders; otherwise each agent's `command` from the plan.
    pub exec: Option<String>,
    /// How often to look at the children and the state.
    pub poll: Duration,
    /// Extra environment for every agent's command.
    pub env: Vec<(String, String)>,
}

/// Something that happened during a run, for the command to show; `run --json` lists
/// each under its `event` name.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum RunEvent {
    /// An agent got its branch and worktree.
    Spawned { agent: String },
    /// An agent's command started.
    Launched {
        agent: String,
        log: std::path::PathBuf,
    },
    /// An agent's command finished successfully.
    Finished {
        agent: String,
        #[serde(rename = "seconds", serialize_with = "as_seconds")]
        elapsed: Duration,
    },
    /// An agent's command failed; `tail` is the end of its log.
    Failed {
        agent: String,
        #[serde(rename = "exit_code")]
        code: Option<i32>,
        tail: String,
    },
    /// A delivery step (test, review, pr, merge) says something.
    Step { agent: String, message: String },
    /// Long work began (a checkout, a test run, a merge); it lasts until the next event.
    Working { message: String },
    /// Delivery of an agent's work stopped short of merging.
    Held { agent: String, reason: String },
    /// An agent merged; `unblocked` are the agents it was the last dependency of.
    Merged {
        agent: String,
        unblocked: Vec<String>,
    },
    /// The run was interrupted; these commands were stopped.
    Interrupted { stopped: Vec<String> },
    /// An agent's command, started by a run that is gone, is still running; this run
    /// watches it instead of launching another.
    Adopted {
        agent: String,
        pid: u32,
        log: std::path::PathBuf,
    },
    /// An agent's command, started by a run that is gone, finished while no run was
    /// watching; its exit is handled now.
    EndedUnwatched {
        agent: String,
        #[serde(rename = "exit_code")]
        code: i32,
    },
    /// An agent's command, started by a run that is gone, was killed before it finished;
    /// it is launched again.
    Relaunching { agent: String, pid: u32 },
    /// An agent's command is watched by another run that is still going; this run leaves
    /// the agent to it.
    WatchedElsewhere { agent: String, run_pid: u32 },
    /// Nothing happened this round; a chance to redraw.
    Tick,
}

fn as_seconds<S: serde::Serializer>(
    elapsed: &Duration,
    to: S,
) -> std::result::Result<S::Ok, S::Error> {
    to.serialize_f64(elapsed.as_secs_f64())
}

/// One event of a run with when it happened, as `run --json` lists it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LoggedEvent {
    /// What happened.
    #[serde(flatten)]
    pub event: RunEvent,
    /// When, in RFC 3339.
    pub at: String,
}

/// Where each chosen agent ended up.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct RunReport {
    /// Agents merged (or completed).
    pub merged: Vec<String>,
    /// Agents that failed.
    pub failed: Vec<String>,
    /// Agents left waiting: blocked, or delivered but not mergeable yet.
    pub waiting: Vec<String>,
    /// Whether the run was interrupted.
    pub interrupted: bool,
}

/// Brings an agent's finished work home: test, review, pull request, merge. Returns the
/// agents merged by this step (a merge queue may merge others that were ready too).
pub trait Deliver {
    /// Deliver `agent`'s work, reporting steps through `events`.
    fn deliver(
        &mut self,
        ws: &Workspace,
        agent: &str,
        events: &mut dyn Progress<RunEvent>,
    ) -> Result<Vec<String>>;

    /// Merge whatever is ready in the queue; returns the agents merged.
    fn merge_ready(
        &mut self,
        ws: &Workspace,
        events: &mut dyn Progress<RunEvent>,
    ) -> Result<Vec<String>>;
}

/// Drive the plan until every chosen agent is merged, failed or cannot go further, or
/// until `stop` is set (then every running command is stopped and the state left as is).
pub fn run(
    ws: &Workspace,
    options: &RunOptions,
    stop: &AtomicBool,
    deliver: &mut dyn Deliver,
    events: &mut dyn Progress<RunEvent>,
) -> Result<RunReport> {
    let initial = State::load(&ws.repo)?;
    super::trust::require(ws, &initial)?;
    let chosen: Vec<String> = if options.agents.is_empty() {
        initial
            .plan
            .names()
            .into_iter()
            .map(str::to_owned)
            .collect()
    } else {
        options
            .agents
            .iter()
            .map(|n| super::find_agent(&initial, n).map(|a| a.name.clone()))
            .collect::<Result<_>>()?
    };
    let port_base = crate::ops::provision::settings(ws, &initial)?.port_base;
    for name in &chosen {
        let command = command_for(&initial, options, name)?;
        if port_base.is_none() && command.contains("{port}") {
            return Err(Error::Usage(format!(
                "{name}'s command uses {{port}}, but no ports are handed out; set `Port base` in the plan or `git config agents.portBase 4100`"
            )));
        }
    }
    let mut watch = Watch {
        records: record::dir(&ws.common_dir),
        running: BTreeMap::new(),
        elsewhere: BTreeSet::new(),
    };
    match drive(ws, options, stop, &chosen, &mut watch, deliver, events) {
        Ok(Some(report)) => return Ok(report),
        Ok(None) => {}
        Err(_) if interrupted(stop) => {}
        Err(err) => return Err(err),
    }
    let stopped = watch.stop_all();
    events.event(RunEvent::Interrupted { stopped });
    let mut report = report(&State::load(&ws.repo)?, &chosen);
    report.interrupted = true;
    Ok(report)
}

/// The run's loop: take over what earlier runs left, then launch, watch and deliver until
/// nothing more can happen (the report) or `stop` is set (`None`).
fn drive(
    ws: &Workspace,
    options: &RunOptions,
    stop: &AtomicBool,
    chosen: &[String],
    watch: &mut Watch,
    deliver: &mut dyn Deliver,
    events: &mut dyn Progress<RunEvent>,
) -> Result<Option<RunReport>> {
    let parallel = options.parallel.max(1);
    let mut attempted: BTreeSet<String> = BTreeSet::new();
    let mut delivered_once = false;
    let initial = State::load(&ws.repo)?;
    for name in chosen {
        let active = initial
            .agent(name)
            .is_some_and(|a| a.status == Status::InProgress);
        watch.take_over(ws, name, active, events)?;
    }
    loop {
        if stop.load(Ordering::SeqCst) {
            return Ok(None);
        }
        let mut progressed = false;

        for (name, exit) in finished(&watch.running)? {
            let child = watch
                .running
                .remove(&name)
                .expect("a finished child was running");
            progressed = true;
            crate::fault::point(crate::fault::AFTER_AGENT_EXITED);
            if exit.success() {
                events.event(RunEvent::Finished {
                    agent: name.clone(),
                    elapsed: child.started.elapsed(),
                });
                set_status(ws, &name, Status::Review, None)?;
            } else {
                let tail = launcher::tail(&child.log, 10);
                let reason = format!("command exited with {}", exit_text(exit.code));
                set_status(
                    ws,
                    &name,
                    Status::Failed,
                    Some(&format!("{reason}: {}", last_line(&tail))),
                )?;
                events.event(RunEvent::Failed {
                    agent: name.clone(),
                    code: exit.code,
                    tail,
                });
            }
            child.forget();
        }

        let state = State::load(&ws.repo)?;
        for name in chosen
            .iter()
            .filter(|n| state.agent(n).is_some_and(|a| a.status == Status::Review))
        {
            if watch.running.contains_key(name)
                || watch.elsewhere.contains(name)
                || !attempted.insert(name.clone())
            {
                continue;
            }
            progressed = true;
            let before = State::load(&ws.repo)?;
            match deliver.deliver(ws, name, events) {
                Ok(merged) => announce_merges(&before, &merged, events),
                Err(_) if interrupted(stop) => return Ok(None),
                Err(err) => {
                    events.event(RunEvent::Held {
                        agent: name.clone(),
                        reason: err.to_string(),
                    });
                    set_status(ws, name, Status::Failed, Some(&err.to_string()))?;
                }
            }
        }
        if !delivered_once || progressed {
            delivered_once = true;
            let before = State::load(&ws.repo)?;
            let merged = deliver.merge_ready(ws, events)?;
            progressed |= !merged.is_empty();
            announce_merges(&before, &merged, events);
        }

        let state = State::load(&ws.repo)?;
        for name in chosen {
            if watch.running.len() >= parallel || stop.load(Ordering::SeqCst) {
                break;
            }
            if watch.running.contains_key(name)
                || watch.elsewhere.contains(name)
                || !state.unmerged_dependencies(name).is_empty()
            {
                continue;
            }
            let status = state
                .agent(name)
                .map(|a| a.status)
                .unwrap_or(Status::Planned);
            if status == Status::Planned {
                super::spawn(
                    ws,
                    std::slice::from_ref(name),
                    false,
                    false,
                    &mut Steps(|line: &str| {
                        events.event(RunEvent::Working {
                            message: line.to_owned(),
                        })
                    }),
                )?;
                events.event(RunEvent::Spawned {
                    agent: name.clone(),
                });
            } else if status != Status::InProgress {
                continue;
            }
            watch.take_over(ws, name, true, events)?;
            if watch.running.contains_key(name) || watch.elsewhere.contains(name) {
                progressed = true;
                continue;
            }
            crate::ops::provision::ensure_port(ws, name)?;
            let state = State::load(&ws.repo)?;
            let launch = launch_for(ws, &state, options, name)?;
            let child = launcher::start(&launch)
                .map_err(|e| Error::External(format!("cannot start {name}'s command: {e}")))?;
            events.event(RunEvent::Launched {
                agent: name.clone(),
                log: launch.log.clone(),
            });
            watch.running.insert(name.clone(), child);
            progressed = true;
        }

        if watch.running.is_empty() && !progressed {
            return Ok(Some(report(&State::load(&ws.repo)?, chosen)));
        }
        if !progressed {
            events.event(RunEvent::Tick);
            std::thread::sleep(options.poll);
        }
    }
}

/// Whether the run is being stopped, asked after something failed. Ctrl-C reaches the
/// processes the run started too, so one of them can fail before the handler, on a
/// thread of its own, has set `stop`: give it a moment. What fails then is the
/// interruption, not the work.
fn interrupted(stop: &AtomicBool) -> bool {
    let deadline = std::time::Instant::now() + Duration::from_millis(500);
    while !stop.load(Ordering::SeqCst) {
        if std::time::Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    true
}

/// The commands a run watches (launched by it or taken over from an earlier run), and
/// the agents it leaves to another run that is still going.
struct Watch {
    records: PathBuf,
    running: BTreeMap<String, Running>,
    elsewhere: BTreeSet<String>,
}

impl Watch {
    /// Take over what an earlier run left of `name`'s command: watch it if it still runs
    /// or finished while no run was watching, leave the agent to the run that started it
    /// if that one still goes, and forget it if it was killed, so that it is launched
    /// again. `active` says whether the agent's command should be running at all; when
    /// it should not, a leftover that has ended is dropped and one still running is left
    /// alone for `doctor` to report.
    fn take_over(
        &mut self,
        ws: &Workspace,
        name: &str,
        active: bool,
        events: &mut dyn Progress<RunEvent>,
    ) -> Result<()> {
        let found = RunRecord::read(&self.records, name).map_err(|err| {
            Error::Refused(format!(
                "cannot read {} ({err}); if no command of {name} is running, delete that file and run again",
                record::record_path(&self.records, name).display()
            ))
        })?;
        let Some(found) = found else {
            return Ok(());
        };
        let log = launcher::log_path(&ws.common_dir, name);
        match found.condition(&self.records) {
            Condition::Running { run_alive: true } => {
                if self.elsewhere.insert(name.to_owned()) {
                    events.event(RunEvent::WatchedElsewhere {
                        agent: name.to_owned(),
                        run_pid: found.run_pid,
                    });
                }
            }
            Condition::Running { run_alive: false } if active => {
                events.event(RunEvent::Adopted {
                    agent: name.to_owned(),
                    pid: found.pid,
                    log: log.clone(),
                });
                let adopted = launcher::adopt(found, &self.records, &log);
                self.running.insert(name.to_owned(), adopted);
            }
            Condition::Running { run_alive: false } => {}
            Condition::Exited(code) if active => {
                events.event(RunEvent::EndedUnwatched {
                    agent: name.to_owned(),
                    code,
                });
                let adopted = launcher::adopt(found, &self.records, &log);
                self.running.insert(name.to_owned(), adopted);
            }
            Condition::Killed if active => {
                self.forget(name)?;
                events.event(RunEvent::Relaunching {
                    agent: name.to_owned(),
                    pid: found.pid,
                });
            }
            Condition::Exited(_) | Condition::Killed => self.forget(name)?,
        }
        Ok(())
    }

    fn forget(&self, name: &str) -> Result<()> {
        record::remove(&self.records, name).map_err(|err| Error::External(err.to_string()))
    }

    /// Stop every watched command. One that was stopped is forgotten, so the next run
    /// launches it afresh; one that had finished by itself keeps its record and exit
    /// status for the next run to handle. Returns the agents whose commands were watched.
    fn stop_all(&mut self) -> Vec<String> {
        for child in self.running.values() {
            child.stop(Duration::from_secs(3));
            if matches!(child.poll(), Ok(Some(launcher::Exit { code: None }))) {
                child.forget();
            }
        }
        std::mem::take(&mut self.running).into_keys().collect()
    }
}

fn finished(running: &BTreeMap<String, Running>) -> Result<Vec<(String, launcher::Exit)>> {
    let mut done = Vec::new();
    for (name, child) in running {
        let exit = child
            .poll()
            .map_err(|e| Error::External(format!("cannot wait for {name}'s command: {e}")))?;
        if let Some(exit) = exit {
            done.push((name.clone(), exit));
        }
    }
    Ok(done)
}

/// Announce each merge in order with the agents it was the last dependency of.
fn announce_merges(before: &State, merged: &[String], events: &mut dyn Progress<RunEvent>) {
    for (index, name) in merged.iter().enumerate() {
        let merged_so_far = &merged[..=index];
        let unblocked = before
            .plan
            .dependents(name)
            .into_iter()
            .filter(|d| {
                before
                    .unmerged_dependencies(d)
                    .iter()
                    .all(|w| merged_so_far.contains(w))
            })
            .map(str::to_owned)
            .collect();
        events.event(RunEvent::Merged {
            agent: name.clone(),
            unblocked,
        });
    }
}

fn report(state: &State, chosen: &[String]) -> RunReport {
    let mut report = RunReport::default();
    for name in chosen {
        match state
            .agent(name)
            .map(|a| a.status)
            .unwrap_or(Status::Planned)
        {
            Status::Merged | Status::Completed => report.merged.push(name.clone()),
            Status::Failed => report.failed.push(name.clone()),
            Status::Abandoned => {}
            _ => report.waiting.push(name.clone()),
        }
    }
    report
}

/// The command template for `name`: `--exec`, else the plan's per-agent command.
fn command_for(state: &State, options: &RunOptions, name: &str) -> Result<String> {
    if let Some(exec) = &options.exec {
        return Ok(exec.clone());
    }
    let spec = super::find_agent(state, name)?;
    spec.command.clone().ok_or_else(|| {
        Error::Usage(format!(
            "{name} has no command to run; give one to every agent with --exec CMD, or set `command` for it in the plan"
        ))
    })
}

/// What to launch for `name`: its command with the placeholders filled in, run in its
/// worktree with the same environment provisioning gives its setup command, plus
/// `GIT_AGENTS_REPO` and `GIT_AGENTS_LOG`.
fn launch_for(ws: &Workspace, state: &State, options: &RunOptions, name: &str) -> Result<Launch> {
    let vars = AgentVars::of(ws, state, name)
        .ok_or_else(|| Error::Usage(format!("{name} was removed from the plan")))?;
    let command = vars.expand(&command_for(state, options, name)?);
    let log = launcher::log_path(&ws.common_dir, name);
    let mut env = options.env.clone();
    env.extend(vars.env());
    env.extend([
        (
            "GIT_AGENTS_REPO".to_owned(),
            ws.main_root.display().to_string(),
        ),
        ("GIT_AGENTS_LOG".to_owned(), log.display().to_string()),
    ]);
    Ok(Launch {
        agent: vars.agent,
        command,
        dir: vars.worktree,
        env,
        log,
        records: record::dir(&ws.common_dir),
    })
}

fn set_status(ws: &Workspace, name: &str, status: Status, failure: Option<&str>) -> Result<()> {
    state::update::<_, Error>(&ws.repo, |state| {
        let doc = state
            .agent_mut(name)
            .ok_or_else(|| Error::Usage(format!("{name} was removed from the plan")))?;
        if crate::state::transitions::illegal(doc.status, status).is_some() {
            // Someone moved the agent on while its command ran (abandoned or merged it):
            // that decision stands over the command's exit.
            return Ok((String::new(), ()));
        }
        doc.status = status;
        doc.failure = failure.map(str::to_owned);
        let what = match failure {
            Some(reason) => format!("failed {name}: {}", last_line(reason)),
            None => format!("finished {name}: ready for {status}"),
        };
        Ok((what, ()))
    })?;
    Ok(())
}

fn exit_text(code: Option<i32>) -> String {
    code.map(|c| format!("status {c}"))
        .unwrap_or_else(|| "a signal".to_owned())
}

fn last_line(text: &str) -> &str {
    text.lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim()
}
