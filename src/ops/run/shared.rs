//! A run's part in a fleet shared with runs on other machines through a remote: which
//! agents this machine may launch, renewing its leases, and what happens when the remote
//! can't be reached or another machine took an agent over.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use super::{RunEvent, Watch};
use crate::error::{Error, Result};
use crate::git::workspace::Workspace;
use crate::ops::fleet::{self, Fleet, Grant};
use crate::progress::Progress;
use crate::state::{Claim, State, Status};

/// The run's hold on the fleet.
pub(super) struct SharedRun {
    pub(super) fleet: Fleet,
    /// Whether the remote answered the last time it was asked.
    reachable: bool,
    /// When claims were last renewed; `None` when a renewal is due now.
    last_tick: Option<Instant>,
    /// Agents already told to be held by another machine.
    told: BTreeSet<String>,
    /// The branch tip last pushed for each agent whose command runs here.
    pushed: BTreeMap<String, String>,
}

impl SharedRun {
    /// Join the fleet shared through `remote`: share the state and bring base up to the
    /// remote's. A remote that can't be reached now is an error: nothing is known yet.
    pub(super) fn start(ws: &Workspace, remote: &str) -> Result<SharedRun> {
        let fleet = Fleet::open(ws, remote)?;
        fleet.share(ws).map_err(|err| {
            Error::External(format!(
                "cannot share the fleet through {remote}: {err}; check the remote (git remote -v) and run again"
            ))
        })?;
        let state = State::load(&ws.repo)?;
        fleet.catch_up_base(ws, state.base())?;
        Ok(SharedRun {
            fleet,
            reachable: true,
            last_tick: None,
            told: BTreeSet::new(),
            pushed: BTreeMap::new(),
        })
    }

    /// Renew (push branches, share the state) at the next look, not at the next interval.
    pub(super) fn due(&mut self) {
        self.last_tick = None;
    }

    fn ours(&self, state: &State, name: &str) -> bool {
        state
            .agent(name)
            .and_then(|doc| doc.claim.as_ref())
            .is_some_and(|c| c.machine_id == self.fleet.machine.id)
    }

    /// Whether another machine holds `name` with a lease that still runs.
    pub(super) fn held_elsewhere(&self, state: &State, name: &str) -> Option<Claim> {
        let now = crate::time::now_unix() as i64;
        state
            .agent(name)
            .and_then(|doc| fleet::held_elsewhere(doc, &self.fleet.machine))
            .filter(|c| !c.expired_at(now))
            .cloned()
    }

    /// Whether another machine held `name` and let its lease run out.
    pub(super) fn abandoned_elsewhere(&self, state: &State, name: &str) -> bool {
        let now = crate::time::now_unix() as i64;
        state
            .agent(name)
            .and_then(|doc| fleet::held_elsewhere(doc, &self.fleet.machine))
            .is_some_and(|c| c.expired_at(now))
    }

    /// Whether this machine may work on `name` now: it holds it, or claims it now (taking
    /// it over, branch and all, when its holder's lease ran out). Nothing is claimed
    /// while the remote can't be reached.
    pub(super) fn hold(
        &mut self,
        ws: &Workspace,
        state: &State,
        name: &str,
        events: &mut dyn Progress<RunEvent>,
    ) -> Result<bool> {
        if self.ours(state, name) {
            return Ok(true);
        }
        if !self.reachable {
            return Ok(false);
        }
        if let Some(claim) = self.held_elsewhere(state, name) {
            self.tell(name, &claim, events);
            return Ok(false);
        }
        let grants = match self.fleet.claim(ws, &[name.to_owned()]) {
            Ok(grants) => grants,
            // Other machines keep the remote busy: try again at the next look.
            Err(err) if busy(&err) => return Ok(false),
            Err(err) => {
                self.lost_contact(&err, events);
                return Ok(false);
            }
        };
        match grants.get(name) {
            Some(Grant::Granted {
                took_over_from: Some(from),
            }) => {
                self.fleet.adopt(ws, name)?;
                events.event(RunEvent::TookOver {
                    agent: name.to_owned(),
                    from: from.clone(),
                });
                Ok(true)
            }
            Some(Grant::Granted {
                took_over_from: None,
            }) => {
                // Work another machine pushed and then let go of goes on from its branch.
                if self.fleet.has_branch(ws, name)? {
                    self.fleet.adopt(ws, name)?;
                }
                events.event(RunEvent::Claimed {
                    agent: name.to_owned(),
                    machine: self.fleet.machine.name.clone(),
                });
                Ok(true)
            }
            Some(Grant::Held(claim)) => {
                self.tell(name, claim, events);
                Ok(false)
            }
            Some(Grant::Settled(_)) | None => Ok(false),
        }
    }

    fn tell(&mut self, name: &str, claim: &Claim, events: &mut dyn Progress<RunEvent>) {
        if self.told.insert(name.to_owned()) {
            events.event(RunEvent::HeldElsewhere {
                agent: name.to_owned(),
                machine: claim.machine.clone(),
            });
        }
    }

    fn lost_contact(&mut self, err: &Error, events: &mut dyn Progress<RunEvent>) {
        if self.reachable {
            self.reachable = false;
            events.event(RunEvent::Unreachable {
                remote: self.fleet.remote.clone(),
                reason: err.to_string(),
            });
        }
    }

    /// Once per renewal interval (or when due): push the branches of this machine's
    /// agents that moved, renew their leases, stop the ones another machine took over
    /// meanwhile (their branch set aside on the remote), and bring base up to the
    /// remote's. A remote that doesn't answer leaves everything running as it is.
    pub(super) fn tick(
        &mut self,
        ws: &Workspace,
        chosen: &[String],
        watch: &mut Watch,
        events: &mut dyn Progress<RunEvent>,
    ) -> Result<()> {
        if self.reachable {
            self.push_moved(ws, watch)?;
        }
        if self
            .last_tick
            .is_some_and(|at| at.elapsed() < self.fleet.renew)
        {
            return Ok(());
        }
        self.last_tick = Some(Instant::now());
        let state = State::load(&ws.repo)?;
        let ours: Vec<String> = chosen
            .iter()
            .filter(|name| self.ours(&state, name) || watch.running.contains_key(*name))
            .filter(|name| {
                !matches!(
                    state.document(name).status,
                    Status::Merged | Status::Completed | Status::Abandoned
                )
            })
            .cloned()
            .collect();
        let renewed = (|| -> Result<_> {
            for name in &ours {
                if let Some(spec) = state.plan.agent(name) {
                    // A refusal means someone else pushed it: the renewal below tells who
                    // holds the agent now.
                    self.fleet.push_branch(ws, &spec.branch)?;
                }
            }
            let grants = if ours.is_empty() {
                self.fleet.share(ws)?;
                Default::default()
            } else {
                self.fleet.claim(ws, &ours)?
            };
            let base = State::load(&ws.repo)?.base().to_owned();
            self.fleet.catch_up_base(ws, &base)?;
            Ok(grants)
        })();
        let grants = match renewed {
            Ok(grants) => grants,
            Err(err @ Error::Refused(_)) => return Err(err),
            // Other machines keep the remote busy: renew at the next interval.
            Err(err) if busy(&err) => return Ok(()),
            Err(err) => {
                self.lost_contact(&err, events);
                return Ok(());
            }
        };
        if !self.reachable {
            self.reachable = true;
            events.event(RunEvent::Reconnected {
                remote: self.fleet.remote.clone(),
            });
        }
        let now = State::load(&ws.repo)?;
        for (name, grant) in grants {
            match grant {
                Grant::Held(holder) => {
                    self.lose(ws, &state, &name, &holder.machine, watch, events);
                }
                // Merged by the machine that took it over while this one was away.
                Grant::Settled(_) if watch.running.contains_key(&name) => {
                    let holder = now
                        .document(&name)
                        .claim
                        .map_or_else(|| "another machine".to_owned(), |c| c.machine);
                    self.lose(ws, &state, &name, &holder, watch, events);
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Push the branch of every agent whose command runs here as soon as it has a new
    /// commit, so that a machine taking it over starts from the latest work.
    fn push_moved(&mut self, ws: &Workspace, watch: &Watch) -> Result<()> {
        if watch.running.is_empty() {
            return Ok(());
        }
        let state = State::load(&ws.repo)?;
        for name in watch.running.keys() {
            let Some(spec) = state.plan.agent(name) else {
                continue;
            };
            let Some(tip) = crate::git::worktree::branch_tip(&ws.repo, &spec.branch)? else {
                continue;
            };
            let tip = tip.to_string();
            if self.pushed.get(name) == Some(&tip) {
                continue;
            }
            match self.fleet.push_branch(ws, &spec.branch) {
                Ok(_) => {
                    self.pushed.insert(name.clone(), tip);
                }
                // Tried again at the renewal, which tells whether the remote answers.
                Err(_) => break,
            }
        }
        Ok(())
    }

    /// Another machine holds `name` now: stop its command here and keep its branch on the
    /// remote under a name of its own.
    fn lose(
        &mut self,
        ws: &Workspace,
        state: &State,
        name: &str,
        holder: &str,
        watch: &mut Watch,
        events: &mut dyn Progress<RunEvent>,
    ) {
        if let Some(child) = watch.running.remove(name) {
            child.stop(Duration::from_secs(3));
            child.forget();
        }
        let set_aside = state
            .plan
            .agent(name)
            .and_then(|spec| self.fleet.set_aside(ws, &spec.branch).ok().flatten());
        self.told.insert(name.to_owned());
        events.event(RunEvent::LeaseLost {
            agent: name.to_owned(),
            holder: holder.to_owned(),
            set_aside,
        });
    }

    /// Push the branches of `agents`, whose commands this run stopped, and release its
    /// claims on them. Best effort: a claim not released runs out with its lease.
    pub(super) fn let_go(&self, ws: &Workspace, agents: &[String]) {
        let Ok(state) = State::load(&ws.repo) else {
            return;
        };
        for name in agents {
            if let Some(spec) = state.plan.agent(name) {
                let _ = self.fleet.push_branch(ws, &spec.branch);
            }
        }
        let _ = self.fleet.release(ws, agents);
    }

    /// Whether the run should keep going for work other machines hold: an unmerged agent
    /// held elsewhere (or let go, to be taken over), or one waiting on such an agent.
    pub(super) fn waits_on_others(&self, state: &State, chosen: &[String]) -> bool {
        let elsewhere = |name: &str| {
            let doc = state.document(name);
            !matches!(
                doc.status,
                Status::Merged | Status::Completed | Status::Abandoned | Status::Failed
            ) && fleet::held_elsewhere(&doc, &self.fleet.machine).is_some()
        };
        chosen.iter().any(|name| {
            let status = state.document(name).status;
            if matches!(
                status,
                Status::Merged | Status::Completed | Status::Abandoned | Status::Failed
            ) || fleet::stuck(state, name)
            {
                return false;
            }
            elsewhere(name) || depends_on(state, name, &elsewhere)
        })
    }
}

/// Whether `err` says only that other machines kept moving the remote's state while
/// this one tried to write it.
fn busy(err: &Error) -> bool {
    matches!(
        err,
        Error::State(crate::state::StateError::Cas(
            crate::git::cas::CasError::Contention { .. }
        ))
    )
}

/// Whether `name` waits (directly or further up) on an unmerged agent `pred` picks out.
fn depends_on(state: &State, name: &str, pred: &dyn Fn(&str) -> bool) -> bool {
    let mut seen: Vec<String> = Vec::new();
    let mut todo = vec![name.to_owned()];
    while let Some(next) = todo.pop() {
        let Some(spec) = state.plan.agent(&next) else {
            continue;
        };
        for dep in &spec.depends_on {
            if seen.contains(dep) {
                continue;
            }
            seen.push(dep.clone());
            if state.document(dep).status.is_merged() {
                continue;
            }
            if pred(dep) {
                return true;
            }
            todo.push(dep.clone());
        }
    }
    false
}
