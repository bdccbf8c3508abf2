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

use crate::config;
use crate::error::{Error, Result};
use crate::git::workspace::Workspace;
use crate::ops::provision::AgentVars;
use crate::process::launcher::record::{self, Condition, RunRecord};
use crate::process::launcher::{self, Launch, Running};
use crate::state::{self, FindingsKind, State, Status};

mod shared;
use shared::SharedRun;

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
    /// At most this many deliveries (tests, reviews, pull requests) at once.
    pub jobs: usize,
    /// Launch again the agents whose command, tests or review failed before this run.
    pub retry: bool,
    /// The coding-agent program (`claude`, `codex`, …, or one named in git config) every
    /// agent runs with its brief as the prompt, over the plan's commands; `exec` comes first.
    pub agent_cli: Option<String>,
    /// The tmux session each agent's command runs in, a window each; `None` leaves it to
    /// `holder`.
    pub tmux: Option<String>,
    /// The remote this run shares the fleet through, with runs on other machines.
    pub remote: Option<String>,
    /// The program that holds each agent's terminal (git-agents itself, through its
    /// hidden `__hold`), when agents run on a terminal of their own; `None` runs them
    /// with their output going straight to their logs. `tmux` comes first.
    pub holder: Option<PathBuf>,
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
    /// A delivery step (test, review, approval, pull request) passed.
    Step {
        agent: String,
        stage: Stage,
        message: String,
    },
    /// The tests or the review fell short; the agent's command is launched again with
    /// what they found (`launch` counts these launches).
    Again {
        agent: String,
        kind: FindingsKind,
        summary: String,
        launch: u32,
        file: PathBuf,
    },
    /// An agent that failed before this run is launched again.
    Retrying { agent: String, reason: String },
    /// An agent's command waits on its terminal for someone to type to it; `screen` is
    /// what its terminal shows last.
    Waiting { agent: String, screen: String },
    /// An agent that waited for input goes on.
    Resumed { agent: String },
    /// Long work began (a checkout, a test run, a merge); it lasts until the next event.
    /// `agent` names whose delivery it is, when it is one agent's.
    Working {
        #[serde(skip_serializing_if = "Option::is_none")]
        agent: Option<String>,
        message: String,
    },
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
    /// This machine claimed the agent on the shared remote; only it launches the agent.
    Claimed { agent: String, machine: String },
    /// Another machine holds the agent; this run leaves it to that machine.
    HeldElsewhere { agent: String, machine: String },
    /// The machine holding the agent stopped renewing its lease; this machine took it
    /// over from the branch as the remote has it.
    TookOver { agent: String, from: String },
    /// Another machine took the agent over while this one could not renew its lease:
    /// its command was stopped, and its branch pushed to `set_aside` on the remote.
    LeaseLost {
        agent: String,
        holder: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        set_aside: Option<String>,
    },
    /// The shared remote can't be reached: running agents go on, nothing new is claimed.
    Unreachable { remote: String, reason: String },
    /// The shared remote can be reached again.
    Reconnected { remote: String },
    /// Nothing happened this round; a chance to redraw.
    Tick,
}

/// A step of delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// The tests on the agent's head.
    Test,
    /// The review of its head.
    Review,
    /// An approval.
    Approve,
    /// Its pull request.
    Pr,
    /// Finished work left for a person to take further.
    Ready,
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
    /// Each agent not merged, with why and what to do about it.
    pub unmerged: Vec<Unmerged>,
}

/// An agent a run left unmerged: why, and the command that takes it further.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Unmerged {
    /// The agent.
    pub agent: String,
    /// Its status.
    pub status: Status,
    /// Why it is not merged, one reason each: the failure, the dependencies it waits
    /// for, or each merge criterion unmet.
    pub reasons: Vec<String>,
    /// The command to run next.
    pub next: String,
}

/// What delivering an agent's work came to.
#[derive(Debug, Clone)]
pub enum Delivery {
    /// Tested, reviewed, its pull request open: the merge queue takes it from here.
    Proposed,
    /// The tests or the review fell short; `output` (what they printed) goes to the
    /// agent's command when it is launched again.
    ShortOf {
        /// Which gate.
        kind: FindingsKind,
        /// In one line.
        summary: String,
        /// What the tests or the reviewer printed.
        output: String,
    },
}

/// Brings an agent's finished work home: test, review, pull request, merge. Deliveries of
/// different agents run at the same time, each on a thread of its own.
pub trait Deliver: Sync {
    /// Deliver `agent`'s work, reporting steps through `events`.
    fn deliver(
        &self,
        ws: &Workspace,
        agent: &str,
        events: &mut dyn Progress<RunEvent>,
    ) -> Result<Delivery>;

    /// Merge whatever is ready in the queue, telling of each merge (`RunEvent::Merged`) as
    /// it lands.
    fn merge_ready(
        &self,
        ws: &Workspace,
        events: &mut dyn Progress<RunEvent>,
    ) -> Result<MergeRound>;
}

/// What one turn of the merge queue came to.
#[derive(Debug, Clone, Default)]
pub struct MergeRound {
    /// The agents merged.
    pub merged: Vec<String>,
    /// Agents whose merged result failed the tests: back to work with what they printed.
    pub sent_back: Vec<SentBack>,
}

/// An agent the merge queue sends back to work.
#[derive(Debug, Clone)]
pub struct SentBack {
    /// The agent.
    pub agent: String,
    /// In one line.
    pub summary: String,
    /// What the tests printed.
    pub output: String,
}

/// Drive the plan until every chosen agent is merged, failed or cannot go further, or
/// until `stop` is set (then every running command is stopped and the state left as is).
pub fn run(
    ws: &Workspace,
    options: &RunOptions,
    stop: &AtomicBool,
    deliver: &dyn Deliver,
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
        let command = command_for(ws, &initial, options, name)?;
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
    if options.retry {
        retry_failed(ws, &initial, &chosen, events)?;
    }
    let mut fleet = match &options.remote {
        Some(remote) => Some(SharedRun::start(ws, remote)?),
        None => None,
    };
    let asked = Asked {
        options,
        stop,
        chosen: &chosen,
        deliver,
    };
    match drive(ws, asked, &mut watch, &mut fleet, events) {
        Ok(Some(report)) => return Ok(report),
        Ok(None) => {}
        Err(_) if interrupted(stop) => {}
        Err(err) => return Err(err),
    }
    let stopped = watch.stop_all();
    if let Some(fleet) = &fleet {
        // Their work goes to the remote and another machine may go on with it now.
        fleet.let_go(ws, &stopped);
    }
    events.event(RunEvent::Interrupted { stopped });
    let mut report = report(ws, &State::load(&ws.repo)?, &chosen, options.retry);
    report.interrupted = true;
    Ok(report)
}

/// Put every chosen agent that failed (its command, tests or review) and still has its
/// worktree back to work, so this run launches its command again.
fn retry_failed(
    ws: &Workspace,
    state: &State,
    chosen: &[String],
    events: &mut dyn Progress<RunEvent>,
) -> Result<()> {
    for name in chosen {
        let Some(doc) = state.agent(name).filter(|d| d.status == Status::Failed) else {
            continue;
        };
        let Some(spec) = state.plan.agent(name) else {
            continue;
        };
        if !ws.resolve(&spec.worktree).is_dir() {
            continue;
        }
        let reason = doc
            .failure
            .clone()
            .unwrap_or_else(|| "it failed".to_owned());
        state::update::<_, Error>(&ws.repo, |state| {
            let Some(doc) = state.agent_mut(name) else {
                return Ok((String::new(), ()));
            };
            if doc.status != Status::Failed {
                return Ok((String::new(), ()));
            }
            doc.status = Status::InProgress;
            doc.failure = None;
            if let Some(findings) = &mut doc.findings {
                findings.launches = 0;
            }
            Ok((format!("retry {name}"), ()))
        })?;
        events.event(RunEvent::Retrying {
            agent: name.clone(),
            reason,
        });
    }
    Ok(())
}

/// A delivery or merge under way on a thread of its own.
type Job<'scope, T> = std::thread::ScopedJoinHandle<'scope, Result<T>>;

/// Where a thread's events go: to the run's loop, which shows them.
struct Forward(std::sync::mpsc::Sender<RunEvent>);

impl Progress<RunEvent> for Forward {
    fn event(&mut self, event: RunEvent) {
        let _ = self.0.send(event);
    }
}

/// What a run was asked to do, and how its work is delivered.
#[derive(Clone, Copy)]
struct Asked<'a> {
    options: &'a RunOptions,
    stop: &'a AtomicBool,
    chosen: &'a [String],
    deliver: &'a dyn Deliver,
}

/// The run's loop: take over what earlier runs left, then launch, watch and deliver until
/// nothing more can happen (the report) or `stop` is set (`None`). Deliveries and the
/// merge queue run on threads of their own, so commands keep being launched and watched
/// while tests and reviews run.
fn drive(
    ws: &Workspace,
    asked: Asked<'_>,
    watch: &mut Watch,
    fleet: &mut Option<SharedRun>,
    events: &mut dyn Progress<RunEvent>,
) -> Result<Option<RunReport>> {
    let Asked {
        options,
        stop,
        chosen,
        deliver,
    } = asked;
    let initial = State::load(&ws.repo)?;
    for name in chosen {
        let active = initial
            .agent(name)
            .is_some_and(|a| a.status == Status::InProgress);
        watch.take_over(ws, name, active, events)?;
    }
    let shared = ws.share();
    let (sender, received) = std::sync::mpsc::channel::<RunEvent>();
    std::thread::scope(|scope| {
        let mut deliveries: BTreeMap<String, Job<'_, Delivery>> = BTreeMap::new();
        let mut merging: Option<Job<'_, MergeRound>> = None;
        let mut merge_wanted = true;
        let mut attempted: BTreeSet<String> = BTreeSet::new();
        let queue_poll = config::merge_queue_poll(&ws.repo);
        let quiet = config::waiting_after(&ws.repo);
        let mut waiting: BTreeSet<String> = BTreeSet::new();
        let mut last_look = std::time::Instant::now();
        let mut last_merge = std::time::Instant::now();
        let mut retry_merge_at: Option<std::time::Instant> = None;
        let mut others = Others {
            machine: super::fleet::machine_id(ws),
            told: BTreeSet::new(),
        };
        let fleet_renew = fleet
            .as_ref()
            .map_or(Duration::from_secs(1), |f| f.fleet.renew);
        let outcome = loop {
            if stop.load(Ordering::SeqCst) {
                break Ok(None);
            }
            let mut progressed = false;
            while let Ok(event) = received.try_recv() {
                events.event(event);
            }
            if let Some(fleet) = fleet.as_mut() {
                fleet.tick(ws, chosen, watch, events)?;
            }

            progressed |= handle_exits(ws, watch, fleet, events)?;

            if collect_deliveries(ws, stop, &mut deliveries, &mut attempted, events)? {
                progressed = true;
                merge_wanted = true;
            }
            if stop.load(Ordering::SeqCst) {
                break Ok(None);
            }

            let state = State::load(&ws.repo)?;
            for name in chosen
                .iter()
                .filter(|n| state.agent(n).is_some_and(|a| a.status == Status::Review))
            {
                if deliveries.len() >= options.jobs.max(1) {
                    break;
                }
                if watch.running.contains_key(name)
                    || watch.elsewhere.contains(name)
                    || deliveries.contains_key(name)
                    || attempted.contains(name)
                {
                    continue;
                }
                if let Some(fleet) = fleet.as_mut()
                    && !fleet.hold(ws, &state, name, events)?
                {
                    continue;
                }
                if State::load(&ws.repo)?.document(name).status != Status::Review {
                    // Taken over from a machine that let it go: its command runs again.
                    continue;
                }
                attempted.insert(name.clone());
                progressed = true;
                let (shared, mut forward, agent) =
                    (shared.clone(), Forward(sender.clone()), name.clone());
                let job = scope.spawn(move || {
                    let ws = shared.open()?;
                    deliver.deliver(&ws, &agent, &mut forward)
                });
                deliveries.insert(name.clone(), job);
            }

            if merging.as_ref().is_some_and(|job| job.is_finished())
                && let Some(job) = merging.take()
            {
                progressed = true;
                let merged = job
                    .join()
                    .unwrap_or_else(|_| Err(Error::External("the merge queue panicked".into())));
                match merged {
                    Ok(round) => {
                        if !round.merged.is_empty()
                            && let Some(fleet) = fleet.as_mut()
                        {
                            // Dependents are released for every machine at once.
                            fleet.due();
                        }
                        merge_wanted |= !round.merged.is_empty();
                        for back in round.sent_back {
                            if relaunch_with_findings(
                                ws,
                                &back.agent,
                                FindingsKind::Tests,
                                &back.summary,
                                &back.output,
                                events,
                            )? {
                                attempted.remove(&back.agent);
                            }
                        }
                    }
                    Err(_) if interrupted(stop) => break Ok(None),
                    Err(err) if fleet.is_some() => {
                        // The shared remote did not answer or base moved there: try again
                        // after the next renewal.
                        events.event(RunEvent::Held {
                            agent: "merge queue".to_owned(),
                            reason: err.to_string(),
                        });
                        retry_merge_at = Some(std::time::Instant::now() + fleet_renew);
                    }
                    Err(err) => break Err(err),
                }
            }
            if retry_merge_at.is_some_and(|at| std::time::Instant::now() >= at) {
                retry_merge_at = None;
                merge_wanted = true;
            }
            if merging.is_none() && merge_wanted {
                merge_wanted = false;
                last_merge = std::time::Instant::now();
                let (shared, mut forward) = (shared.clone(), Forward(sender.clone()));
                let job = scope.spawn(move || {
                    let ws = shared.open()?;
                    deliver.merge_ready(&ws, &mut forward)
                });
                merging = Some(job);
                progressed = true;
            }

            progressed |= launch_ready(ws, asked, watch, fleet, &deliveries, &mut others, events)?;

            // Agents on a terminal of their own: notice the ones that wait for input.
            let on_terminals = options.tmux.is_some() || options.holder.is_some();
            if on_terminals && last_look.elapsed() >= Duration::from_secs(1) {
                last_look = std::time::Instant::now();
                notice_waiting(ws, watch, quiet, &mut waiting, events);
            }
            // A PR in GitHub's merge queue lands when the queue says: ask again now and then.
            let state = State::load(&ws.repo)?;
            let queued = chosen.iter().any(|name| {
                state.agent(name).is_some_and(|doc| {
                    !doc.status.is_merged() && doc.pr.as_ref().is_some_and(|pr| pr.queued)
                })
            });
            if queued && merging.is_none() && last_merge.elapsed() >= queue_poll {
                merge_wanted = true;
            }
            let idle = watch.running.is_empty()
                && deliveries.is_empty()
                && merging.is_none()
                && retry_merge_at.is_none();
            let others = fleet
                .as_ref()
                .is_some_and(|f| f.waits_on_others(&state, chosen));
            if idle && !progressed && !merge_wanted && !queued && !others {
                break Ok(Some(report(
                    ws,
                    &State::load(&ws.repo)?,
                    chosen,
                    options.retry,
                )));
            }
            if !progressed {
                events.event(RunEvent::Tick);
                // Wait for the next poll, or less when a delivery or the merge queue has
                // something to say: the loop looks again at once.
                if let Ok(event) = received.recv_timeout(options.poll) {
                    events.event(event);
                }
            }
        };
        // Deliveries and a merge still under way finish before the run returns (their
        // commands got Ctrl-C too); what they say is shown.
        for (_, job) in std::mem::take(&mut deliveries) {
            let _ = job.join();
        }
        if let Some(job) = merging.take() {
            let _ = job.join();
        }
        drop(sender);
        while let Ok(event) = received.try_recv() {
            events.event(event);
        }
        outcome
    })
}

/// Agents that another machine's run holds, for a run that shares no fleet: this clone's
/// machine id, if it ever joined one, and the agents already told of.
struct Others {
    machine: Option<String>,
    told: BTreeSet<String>,
}

/// Spawn and launch every chosen agent that may start now (dependencies merged, not
/// running here or elsewhere, not being delivered), up to `--parallel` commands at once;
/// in a fleet, only the ones this machine holds or claims now. Whether any started.
fn launch_ready(
    ws: &Workspace,
    asked: Asked<'_>,
    watch: &mut Watch,
    fleet: &mut Option<SharedRun>,
    deliveries: &BTreeMap<String, Job<'_, Delivery>>,
    others: &mut Others,
    events: &mut dyn Progress<RunEvent>,
) -> Result<bool> {
    let Asked {
        options,
        stop,
        chosen,
        ..
    } = asked;
    let mut any = false;
    let state = State::load(&ws.repo)?;
    for name in chosen {
        if watch.running.len() >= options.parallel.max(1) || stop.load(Ordering::SeqCst) {
            break;
        }
        if watch.running.contains_key(name)
            || watch.elsewhere.contains(name)
            || deliveries.contains_key(name)
            || !state.unmerged_dependencies(name).is_empty()
        {
            continue;
        }
        let mut status = state
            .agent(name)
            .map(|a| a.status)
            .unwrap_or(Status::Planned);
        if let Some(fleet) = fleet.as_mut() {
            let let_go = matches!(status, Status::Review | Status::PrOpen)
                && fleet.abandoned_elsewhere(&state, name);
            if !matches!(status, Status::Planned | Status::InProgress) && !let_go {
                continue;
            }
            if !fleet.hold(ws, &state, name, events)? {
                continue;
            }
            status = State::load(&ws.repo)?.document(name).status;
            if status == Status::Planned {
                fleet.fleet.catch_up_base(ws, state.base())?;
            }
        } else if let Some(claim) = state.agent(name).and_then(|doc| doc.claim.as_ref())
            && Some(claim.machine_id.as_str()) != others.machine.as_deref()
            && !claim.expired_at(crate::time::now_unix() as i64)
        {
            // Another machine's run holds it (the state came by sync): this run,
            // which shares no fleet, does not start the same work twice.
            if others.told.insert(name.clone()) {
                events.event(RunEvent::HeldElsewhere {
                    agent: name.clone(),
                    machine: claim.machine.clone(),
                });
            }
            continue;
        }
        if status == Status::Planned {
            super::spawn(
                ws,
                std::slice::from_ref(name),
                false,
                false,
                &mut Steps(|line: &str| {
                    events.event(RunEvent::Working {
                        agent: Some(name.clone()),
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
            any = true;
            continue;
        }
        crate::ops::provision::ensure_port(ws, name)?;
        let state = State::load(&ws.repo)?;
        let launch = launch_for(ws, &state, options, name)?;
        let started = match (&options.tmux, &options.holder) {
            (Some(session), _) => launcher::tmux::start(&launch, session),
            // Where no pseudo-terminal can be had (a container without
            // /dev/pts), the command runs as it would without one.
            (None, Some(holder)) => {
                launcher::pty::start(&launch, holder).or_else(|_| launcher::start(&launch))
            }
            (None, None) => launcher::start(&launch),
        };
        let child =
            started.map_err(|e| Error::External(format!("cannot start {name}'s command: {e}")))?;
        events.event(RunEvent::Launched {
            agent: name.clone(),
            log: launch.log.clone(),
        });
        watch.running.insert(name.clone(), child);
        any = true;
    }
    Ok(any)
}

/// Tell of each running agent that started or stopped waiting for someone to type to it
/// (ringing for it and running the notify command when it starts).
fn notice_waiting(
    ws: &Workspace,
    watch: &Watch,
    quiet: Duration,
    waiting: &mut BTreeSet<String>,
    events: &mut dyn Progress<RunEvent>,
) {
    for name in watch.running.keys() {
        match super::terminal::waiting(ws, name, quiet) {
            Some(found) if !waiting.contains(name) => {
                waiting.insert(name.clone());
                notify_waiting(ws, name, &found.screen);
                events.event(RunEvent::Waiting {
                    agent: name.clone(),
                    screen: found.screen,
                });
            }
            None if waiting.remove(name) => {
                events.event(RunEvent::Resumed {
                    agent: name.clone(),
                });
            }
            _ => {}
        }
    }
    waiting.retain(|name| watch.running.contains_key(name));
}

/// Handle the commands that ended: a success goes to review, a failure is recorded with
/// the end of its log. Whether any ended.
fn handle_exits(
    ws: &Workspace,
    watch: &mut Watch,
    fleet: &mut Option<SharedRun>,
    events: &mut dyn Progress<RunEvent>,
) -> Result<bool> {
    let mut any = false;
    for (name, exit) in finished(&watch.running)? {
        let child = watch
            .running
            .remove(&name)
            .expect("a finished child was running");
        any = true;
        if let Some(fleet) = fleet.as_mut() {
            fleet.due();
        }
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
    Ok(any)
}

/// Take the outcome of each delivery that finished: proposed, sent back with what fell
/// short, or failed. Whether any finished.
fn collect_deliveries(
    ws: &Workspace,
    stop: &AtomicBool,
    deliveries: &mut BTreeMap<String, Job<'_, Delivery>>,
    attempted: &mut BTreeSet<String>,
    events: &mut dyn Progress<RunEvent>,
) -> Result<bool> {
    let done: Vec<String> = deliveries
        .iter()
        .filter(|(_, job)| job.is_finished())
        .map(|(name, _)| name.clone())
        .collect();
    let any = !done.is_empty();
    for name in done {
        let job = deliveries.remove(&name).expect("a finished delivery");
        let result = job
            .join()
            .unwrap_or_else(|_| Err(Error::External(format!("the delivery of {name} panicked"))));
        match result {
            Ok(Delivery::Proposed) => clear_findings(ws, &name)?,
            Ok(Delivery::ShortOf {
                kind,
                summary,
                output,
            }) => {
                if relaunch_with_findings(ws, &name, kind, &summary, &output, events)? {
                    attempted.remove(&name);
                }
            }
            Err(_) if interrupted(stop) => {}
            Err(err) => {
                events.event(RunEvent::Held {
                    agent: name.clone(),
                    reason: err.to_string(),
                });
                set_status(ws, &name, Status::Failed, Some(&err.to_string()))?;
            }
        }
    }
    Ok(any)
}

/// Run `agents.notifyCommand`, when set, for `agent` waiting with `screen` showing; it
/// runs on its own (its output goes to `<agent>-notify.log`), the run does not wait.
fn notify_waiting(ws: &Workspace, agent: &str, screen: &str) {
    let Some(command) = config::notify_command(&ws.repo) else {
        return;
    };
    let question = screen
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .to_owned();
    let log = launcher::logs_dir(&ws.common_dir).join(format!("{agent}-notify.log"));
    let Ok(output) = crate::fsutil::append(&log) else {
        return;
    };
    let _ = duct::cmd("sh", ["-c", command.as_str()])
        .dir(&ws.main_root)
        .env("GIT_AGENTS_AGENT", agent)
        .env("GIT_AGENTS_QUESTION", question)
        .env("GIT_AGENTS_SCREEN", screen)
        .stdin_null()
        .stderr_to_stdout()
        .stdout_file(output)
        .unchecked()
        .start();
}

/// Where the findings of `agent`'s last delivery are kept for its command.
pub fn findings_path(ws: &Workspace, agent: &str, kind: FindingsKind) -> PathBuf {
    let name = match kind {
        FindingsKind::Review => format!("{agent}-review-findings.txt"),
        FindingsKind::Tests => format!("{agent}-test-failures.txt"),
    };
    ws.common_dir.join("agents").join("logs").join(name)
}

/// After the tests or the review fell short: keep what they printed for the agent and
/// put it back to work, so its command is launched again with them; or, once it has been
/// launched again as often as the review-iteration limit allows, fail it. Whether it
/// goes back to work.
fn relaunch_with_findings(
    ws: &Workspace,
    name: &str,
    kind: FindingsKind,
    summary: &str,
    output: &str,
    events: &mut dyn Progress<RunEvent>,
) -> Result<bool> {
    let state = State::load(&ws.repo)?;
    let limit = config::merge_settings(&ws.repo, &state.plan)?
        .max_review_iterations
        .max(1);
    let launches = state
        .agent(name)
        .and_then(|d| d.findings.as_ref())
        .map_or(0, |f| f.launches);
    if launches + 1 >= limit {
        let rounds = launches + 1;
        let reason = format!(
            "{summary}, after {rounds} round{} of work and {} (at most {limit}: agents.maxReviewIterations)",
            if rounds == 1 { "" } else { "s" },
            match kind {
                FindingsKind::Review => "review",
                FindingsKind::Tests => "tests",
            }
        );
        events.event(RunEvent::Held {
            agent: name.to_owned(),
            reason: reason.clone(),
        });
        set_status(ws, name, Status::Failed, Some(&reason))?;
        return Ok(false);
    }
    let file = findings_path(ws, name, kind);
    let mut text = format!("{summary}\n\n{output}");
    let comments = &state.document(name).comments;
    if !comments.is_empty() {
        text.push_str("\n\nComments from people:\n");
        for comment in comments {
            text.push_str(&format!("- {}: {}\n", comment.by, comment.text.trim()));
        }
    }
    let write = |file: &PathBuf| -> std::io::Result<()> {
        if let Some(dir) = file.parent() {
            crate::fsutil::private_dir(dir)?;
        }
        crate::fsutil::replace(file, text.as_bytes())
    };
    write(&file).map_err(|e| Error::External(format!("cannot write {}: {e}", file.display())))?;
    let findings = crate::state::Findings {
        kind,
        summary: summary.to_owned(),
        file: file.display().to_string(),
        launches: launches + 1,
    };
    state::update::<_, Error>(&ws.repo, |state| {
        let doc = state
            .agent_mut(name)
            .ok_or_else(|| Error::Usage(format!("{name} was removed from the plan")))?;
        if crate::state::transitions::illegal(doc.status, Status::InProgress).is_some() {
            return Ok((String::new(), ()));
        }
        doc.status = Status::InProgress;
        doc.failure = None;
        doc.findings = Some(findings.clone());
        Ok((format!("again {name}: {summary}"), ()))
    })?;
    events.event(RunEvent::Again {
        agent: name.to_owned(),
        kind,
        summary: summary.to_owned(),
        launch: launches + 1,
        file,
    });
    Ok(true)
}

/// Forget the findings of `name`'s earlier deliveries: its work passed.
fn clear_findings(ws: &Workspace, name: &str) -> Result<()> {
    state::update::<_, Error>(&ws.repo, |state| match state.agent_mut(name) {
        Some(doc) if doc.findings.is_some() => {
            doc.findings = None;
            Ok((format!("passed {name}"), ()))
        }
        _ => Ok((String::new(), ())),
    })?;
    Ok(())
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

/// Where each chosen agent ended up; for each one not merged, why, and what to run next.
fn report(ws: &Workspace, state: &State, chosen: &[String], retry: bool) -> RunReport {
    let mut report = RunReport::default();
    for name in chosen {
        let doc = state.document(name);
        match doc.status {
            Status::Merged | Status::Completed => report.merged.push(name.clone()),
            Status::Abandoned => {}
            status => {
                if status == Status::Failed {
                    report.failed.push(name.clone());
                } else {
                    report.waiting.push(name.clone());
                }
                report.unmerged.push(unmerged(ws, state, name, retry));
            }
        }
    }
    report
}

/// Why `name` is not merged and the command that takes it further.
fn unmerged(ws: &Workspace, state: &State, name: &str, retry: bool) -> Unmerged {
    let doc = state.document(name);
    let mut entry = Unmerged {
        agent: name.to_owned(),
        status: doc.status,
        reasons: Vec::new(),
        next: format!("git agents merge {name} --dry-run"),
    };
    let waiting_for = state.unmerged_dependencies(name);
    if doc.status == Status::Failed {
        entry.reasons.push(
            doc.failure
                .clone()
                .unwrap_or_else(|| "it failed".to_owned()),
        );
        entry.next = if retry {
            format!("git agents run {name}   # launches its command again")
        } else {
            format!("git agents run {name}   # without --no-retry, launches its command again")
        };
        return entry;
    }
    if !waiting_for.is_empty() {
        entry
            .reasons
            .push(format!("waits for {} to merge", waiting_for.join(", ")));
        entry.next = format!("git agents merge {} --dry-run", waiting_for[0]);
        return entry;
    }
    if let Some(pr) = doc.pr.as_ref().filter(|pr| pr.queued) {
        entry.reasons.push(format!(
            "its PR #{} is in GitHub's merge queue, to land when the queue's checks pass",
            pr.number
        ));
        entry.next = format!("git agents merge {name}   # records the merge once it has landed");
        return entry;
    }
    if doc.status == Status::Planned || doc.status == Status::InProgress {
        entry.reasons.push(format!("it is {}", doc.status));
        entry.next = format!("git agents run {name}");
        return entry;
    }
    let Ok(judged) = super::criteria::judge(ws, state, name) else {
        return entry;
    };
    let unmet: Vec<&super::Criterion> = judged.criteria.criteria.iter().filter(|c| !c.ok).collect();
    for criterion in &unmet {
        entry
            .reasons
            .push(format!("{}: {}", criterion.name, criterion.reason));
    }
    if let Some(first) = unmet.first() {
        entry.next = match first.name {
            "tests" => format!("git agents test {name}"),
            "review" => format!("git agents review {name}"),
            "approvals" => format!("git agents approve {name}"),
            "tasks" => format!("git agents task done N --agent {name}"),
            "pr" => format!("git agents pr {name}"),
            "mergeable" => format!(
                "git -C {} rebase {}   # then git agents run {name}",
                ws.resolve(
                    &state
                        .plan
                        .agent(name)
                        .map(|a| a.worktree.clone())
                        .unwrap_or_default()
                )
                .display(),
                state.base()
            ),
            _ => format!("git agents merge {name} --dry-run"),
        };
    } else {
        entry.next = format!("git agents merge {name}");
    }
    entry
}

/// The command template for `name`: `--exec`, else `--agent-cli`'s program, else the
/// plan's command for it, else the program the plan's `cli` names for it.
fn command_for(ws: &Workspace, state: &State, options: &RunOptions, name: &str) -> Result<String> {
    if let Some(exec) = &options.exec {
        return Ok(exec.clone());
    }
    if let Some(cli) = &options.agent_cli {
        return Ok(config::agent_cli(&ws.repo, cli)?);
    }
    let spec = super::find_agent(state, name)?;
    if let Some(command) = &spec.command {
        return Ok(command.clone());
    }
    if let Some(cli) = &spec.cli {
        return Ok(config::agent_cli(&ws.repo, cli)?);
    }
    Err(Error::Usage(format!(
        "{name} has no command to run; give every agent one with --exec CMD or --agent-cli claude (codex, gemini, aider, opencode), or set `command` or `cli` for it in the plan"
    )))
}

/// What to launch for `name`: its command with the placeholders filled in, run in its
/// worktree with the same environment provisioning gives its setup command, plus
/// `GIT_AGENTS_REPO` and `GIT_AGENTS_LOG`.
fn launch_for(ws: &Workspace, state: &State, options: &RunOptions, name: &str) -> Result<Launch> {
    let vars = AgentVars::of(ws, state, name)
        .ok_or_else(|| Error::Usage(format!("{name} was removed from the plan")))?;
    let command = vars.expand(&command_for(ws, state, options, name)?);
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
    if let Some(findings) = state.agent(name).and_then(|d| d.findings.as_ref()) {
        let key = match findings.kind {
            FindingsKind::Review => "GIT_AGENTS_REVIEW_FILE",
            FindingsKind::Tests => "GIT_AGENTS_TEST_FILE",
        };
        env.push((key.to_owned(), findings.file.clone()));
    }
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
