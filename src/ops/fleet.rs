//! A fleet shared through a remote: this clone's identity as a machine, claims on agents
//! (a compare-and-swap of the remote's state ref), their leases, taking over an agent
//! whose lease ran out, and keeping its branches and base in step with the remote.
//!
//! A claim is decided on the remote alone: the remote's state is fetched into a tracking
//! ref, the claim is written on top of it there, and pushed with a lease on the tip that
//! was fetched. Two machines claiming one agent both build on the same tip; one push wins,
//! the other is refused, fetches again and finds the agent held. Only then is the
//! remote's state merged into ours (the ordinary `sync`), so a claim never exists here
//! that the remote did not take.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::forge::Publish;
use crate::git::remote::{Pushed, push_with_lease};
use crate::git::workspace::Workspace;
use crate::git::worktree;
use crate::git::{Git, GitError};
use crate::progress::Silent;
use crate::state::{self, AgentState, Claim, State, Status};

/// How many fetch-claim-push rounds are tried before a busy remote counts as contended.
const CLAIM_ROUNDS: u32 = 40;

/// How long to wait after losing round `round` of a race for the remote's state: growing
/// with each loss, up to half a second, and spread at random so that the machines that
/// lost together do not come back together.
fn backoff(round: u32) -> Duration {
    let ceiling = (20u64 << round.min(5)).min(500);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::from(d.subsec_nanos()));
    let spread = (nanos ^ u64::from(std::process::id()).wrapping_mul(0x9e37_79b9)) % ceiling;
    Duration::from_millis(ceiling / 2 + spread / 2)
}

/// This clone as one machine of a fleet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Machine {
    /// Stable for the clone: written once under the git directory.
    pub id: String,
    /// What people read: `agents.machineName`, else the host name.
    pub name: String,
}

/// This clone's id, if it ever joined a shared fleet.
pub fn machine_id(ws: &Workspace) -> Option<String> {
    std::fs::read_to_string(machine_id_path(ws))
        .ok()
        .map(|text| text.trim().to_owned())
        .filter(|id| !id.is_empty())
}

fn machine_id_path(ws: &Workspace) -> std::path::PathBuf {
    ws.common_dir.join("agents").join("machine-id")
}

/// This clone's machine: its id (made on first use) and its name.
pub fn machine(ws: &Workspace) -> Result<Machine> {
    let path = machine_id_path(ws);
    let id = match machine_id(ws) {
        Some(id) => id,
        None => {
            let id = fresh_id();
            crate::fsutil::replace(&path, format!("{id}\n").as_bytes())
                .map_err(|e| Error::External(format!("cannot record this machine's id: {e}")))?;
            id
        }
    };
    let name = crate::config::machine_name(&ws.repo).unwrap_or_else(host_name);
    Ok(Machine { id, name })
}

/// Whether `doc` is held by another machine than `me` (whatever its lease).
pub fn held_elsewhere<'d>(doc: &'d AgentState, me: &Machine) -> Option<&'d Claim> {
    doc.claim.as_ref().filter(|c| c.machine_id != me.id)
}

/// Sixteen hex digits from the system's random source (or, without one, from the clock
/// and the process).
fn fresh_id() -> String {
    let mut bytes = [0u8; 8];
    let read = std::fs::File::open("/dev/urandom")
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut bytes));
    if read.is_err() {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let mixed = nanos ^ (u128::from(std::process::id()) << 64);
        bytes.copy_from_slice(&(mixed as u64 ^ (mixed >> 64) as u64).to_be_bytes());
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn host_name() -> String {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .find_map(|p| std::fs::read_to_string(p).ok())
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "this machine".to_owned())
}

/// What a claim came to for one agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Grant {
    /// This machine holds it (claimed, renewed, or taken over from the machine named).
    Granted { took_over_from: Option<String> },
    /// Another machine holds it and keeps its lease.
    Held(Claim),
    /// Merged or given up: there is nothing to hold.
    Settled(Status),
}

/// A run's share of a fleet: the remote, this machine, and the lease it keeps.
#[derive(Debug, Clone)]
pub struct Fleet {
    /// The remote (a name or a URL).
    pub remote: String,
    /// Where the remote's refs are fetched to: `refs/agents-remote/<remote>`.
    pub tracking: String,
    /// This machine.
    pub machine: Machine,
    /// Which run on it.
    pub run: String,
    /// How long a claim lasts unless renewed.
    pub lease: Duration,
    /// How often claims are renewed.
    pub renew: Duration,
}

impl Fleet {
    /// The fleet shared through `remote`, with the lease git config sets.
    pub fn open(ws: &Workspace, remote: &str) -> Result<Fleet> {
        if let Some(why) = crate::git::remote::refusal(remote) {
            return Err(Error::Usage(why));
        }
        let git = ws.git();
        let tracking = format!(
            "{}/{}",
            super::sync::TRACKING_PREFIX,
            super::sync::tracking_name(&git, remote)?
        );
        let lease = crate::config::lease(&ws.repo);
        let renew = crate::config::renew_every(&ws.repo).min(lease);
        Ok(Fleet {
            remote: remote.to_owned(),
            tracking,
            machine: machine(ws)?,
            run: format!(
                "pid {} since {}",
                std::process::id(),
                crate::time::now_rfc3339()
            ),
            lease,
            renew,
        })
    }

    fn state_tracking(&self) -> String {
        format!("{}/agents/state", self.tracking)
    }

    fn branch_tracking(&self, branch: &str) -> String {
        format!("{}/heads/{branch}", self.tracking)
    }

    /// Share the state and notes with the remote (`sync`): what others did comes in, what
    /// this machine did goes out.
    pub fn share(&self, ws: &Workspace) -> Result<()> {
        super::sync::sync(ws, Some(&self.remote), &mut Silent).map(drop)
    }

    /// Claim (or renew, or take over) each of `agents` on the remote, as described in the
    /// module docs, then bring the remote's state in.
    pub fn claim(&self, ws: &Workspace, agents: &[String]) -> Result<BTreeMap<String, Grant>> {
        self.claim_counting(ws, agents).map(|(grants, _)| grants)
    }

    /// [`Fleet::claim`], also telling how many pushes it took (more than one when other
    /// machines moved the remote's state in between).
    pub fn claim_counting(
        &self,
        ws: &Workspace,
        agents: &[String],
    ) -> Result<(BTreeMap<String, Grant>, u32)> {
        let machine = &self.machine;
        let lease = self.lease;
        let run = &self.run;
        self.write_remote(ws, |state| {
            let now = crate::time::now_unix() as i64;
            let mut grants = BTreeMap::new();
            let mut claimed = Vec::new();
            let mut renewed = Vec::new();
            let mut taken = Vec::new();
            for name in agents {
                let doc = state.document(name);
                if matches!(
                    doc.status,
                    Status::Merged | Status::Completed | Status::Abandoned
                ) {
                    grants.insert(name.clone(), Grant::Settled(doc.status));
                    continue;
                }
                let previous = doc.claim.clone();
                let took_over_from = match &previous {
                    Some(c) if c.machine_id == machine.id => None,
                    Some(c) if !c.expired_at(now) => {
                        grants.insert(name.clone(), Grant::Held(c.clone()));
                        continue;
                    }
                    Some(c) => Some(c.machine.clone()),
                    None => None,
                };
                let ours = previous.as_ref().filter(|c| c.machine_id == machine.id);
                let at = crate::time::format_unix(now);
                let claim = Claim {
                    machine: machine.name.clone(),
                    machine_id: machine.id.clone(),
                    run: run.clone(),
                    since: ours.map_or_else(|| at.clone(), |c| c.since.clone()),
                    renewed: at,
                    expires: crate::time::format_unix(now + lease.as_secs_f64().ceil() as i64),
                    took_over_from: took_over_from
                        .clone()
                        .or_else(|| ours.and_then(|c| c.took_over_from.clone())),
                };
                match (&took_over_from, ours) {
                    (Some(from), _) => taken.push(format!("{name} from {from}")),
                    (None, Some(_)) => renewed.push(name.clone()),
                    (None, None) => claimed.push(name.clone()),
                }
                if let Some(doc) = state.agent_mut(name) {
                    doc.claim = Some(claim);
                }
                grants.insert(name.clone(), Grant::Granted { took_over_from });
            }
            let mut parts = Vec::new();
            if !claimed.is_empty() {
                parts.push(format!("claim {}", claimed.join(", ")));
            }
            if !taken.is_empty() {
                parts.push(format!("take over {}", taken.join(", ")));
            }
            if !renewed.is_empty() {
                parts.push(format!("renew {}", renewed.join(", ")));
            }
            Ok((format!("{} on {}", parts.join("; "), machine.name), grants))
        })
    }

    /// Let go of `agents` (those this machine holds), so that another machine's run may
    /// take them over at once rather than when the lease runs out: a run that was
    /// stopped does this, once their branches are pushed.
    pub fn release(&self, ws: &Workspace, agents: &[String]) -> Result<Vec<String>> {
        let machine = &self.machine;
        self.write_remote(ws, |state| {
            let mut released = Vec::new();
            for name in agents {
                if let Some(doc) = state.agent_mut(name)
                    && doc
                        .claim
                        .as_ref()
                        .is_some_and(|c| c.machine_id == machine.id)
                {
                    doc.claim = None;
                    released.push(name.clone());
                }
            }
            let message = format!("release {} on {}", released.join(", "), machine.name);
            Ok((message, released))
        })
        .map(|(released, _)| released)
    }

    /// Change the remote's state with `change`, as described in the module docs: on top
    /// of the tip fetched, pushed with a lease on it, fetched again and redone when
    /// another machine got there first; then the remote's state is brought in. Returns
    /// what `change` returned the last time and how many rounds it took.
    fn write_remote<T>(
        &self,
        ws: &Workspace,
        mut change: impl FnMut(&mut State) -> Result<(String, T)>,
    ) -> Result<(T, u32)> {
        let git = ws.git();
        let tracked = self.state_tracking();
        for round in 1..=CLAIM_ROUNDS {
            super::sync::fetch(&git, &self.remote, &self.tracking)?;
            let Some(seen) = crate::git::cas::read_tip(&ws.repo, &tracked)? else {
                // The remote has no state yet: ours goes there first.
                self.share(ws)?;
                continue;
            };
            let updated = state::update_ref::<_, Error>(&ws.repo, &tracked, None, &mut change)?;
            let Some(commit) = updated.commit else {
                super::sync::take_in(ws, &self.remote, &self.tracking)?;
                return Ok((updated.value, round));
            };
            match push_with_lease(
                &git,
                &self.remote,
                state::STATE_REF,
                &commit.to_string(),
                Some(&seen.commit.to_string()),
            )? {
                Pushed::Accepted => {
                    super::sync::take_in(ws, &self.remote, &self.tracking)?;
                    return Ok((updated.value, round));
                }
                Pushed::Refused(_) => std::thread::sleep(backoff(round)),
            }
        }
        Err(Error::State(crate::state::StateError::Cas(
            crate::git::cas::CasError::Contention {
                name: format!("{}'s agents state", self.remote),
                attempts: CLAIM_ROUNDS,
            },
        )))
    }

    /// Fetch the remote's `base` and bring ours up to it when it is behind. A base that
    /// has commits the remote lacks and lacks some of the remote's is left alone and
    /// named in the error.
    pub fn catch_up_base(&self, ws: &Workspace, base: &str) -> Result<()> {
        let git = ws.git();
        let Some(theirs) = self.fetch_branch(&git, base)? else {
            return Ok(());
        };
        let Some(ours) = worktree::branch_tip(&ws.repo, base)? else {
            worktree::create_branch(&git, base, &theirs)?;
            return Ok(());
        };
        let ours = ours.to_string();
        if ours == theirs || is_ancestor(&git, &theirs, &ours) {
            return Ok(());
        }
        if !is_ancestor(&git, &ours, &theirs) {
            return Err(Error::Refused(format!(
                "{base} here and on {} have each commits the other lacks; bring them together (git pull {} {base}) and run again",
                self.remote, self.remote
            )));
        }
        crate::forge::advance_base(
            ws,
            base,
            &ours,
            &theirs,
            &format!("git agents: {base} from {}", self.remote),
            None,
        )?;
        Ok(())
    }

    /// How a merge into `base` lands on the remote.
    pub fn publish(&self, base: &str) -> Publish {
        Publish {
            remote: self.remote.clone(),
            tracking: self.branch_tracking(base),
        }
    }

    /// Fetch `branch` from the remote into its tracking ref: its tip there, if it has one.
    fn fetch_branch(&self, git: &Git, branch: &str) -> Result<Option<String>> {
        let tracking = self.branch_tracking(branch);
        let out = git.output([
            "fetch",
            "--quiet",
            "--no-tags",
            "--no-write-fetch-head",
            "--",
            &self.remote,
            &format!("+refs/heads/{branch}:{tracking}"),
        ])?;
        if !out.success() {
            let missing = out.stderr.contains("couldn't find remote ref");
            if !missing {
                return Err(GitError::Failed {
                    command: "fetch".to_owned(),
                    message: crate::git::first_meaningful_line(&out.stderr)
                        .unwrap_or_else(|| "fetch failed".to_owned()),
                    code: out.code,
                }
                .into());
            }
            let _ = git.output(["update-ref", "-d", tracking.as_str()]);
            return Ok(None);
        }
        Ok(Some(rev_parse(git, &tracking).unwrap_or_default()).filter(|s| !s.is_empty()))
    }

    /// Push `branch` to the remote when it moved since it was last pushed from here.
    /// A refusal means someone else pushed it meanwhile (the agent was taken over).
    pub fn push_branch(&self, ws: &Workspace, branch: &str) -> Result<Option<Pushed>> {
        let git = ws.git();
        let Some(tip) = worktree::branch_tip(&ws.repo, branch)? else {
            return Ok(None);
        };
        let tip = tip.to_string();
        let tracking = self.branch_tracking(branch);
        let seen = rev_parse(&git, &tracking);
        if seen.as_deref() == Some(tip.as_str()) {
            return Ok(None);
        }
        let full = format!("refs/heads/{branch}");
        let pushed = push_with_lease(&git, &self.remote, &full, &tip, seen.as_deref())?;
        if pushed == Pushed::Accepted {
            let _ = git.output(["update-ref", tracking.as_str(), tip.as_str()]);
        }
        Ok(Some(pushed))
    }

    /// Whether the remote has `name`'s branch with commits this clone's copy lacks (or
    /// this clone has none): work pushed by a machine that held the agent before.
    pub fn has_branch(&self, ws: &Workspace, name: &str) -> Result<bool> {
        let git = ws.git();
        let state = State::load(&ws.repo)?;
        let spec = super::find_agent(&state, name)?;
        let Some(theirs) = self.fetch_branch(&git, &spec.branch)? else {
            return Ok(false);
        };
        Ok(match worktree::branch_tip(&ws.repo, &spec.branch)? {
            None => true,
            Some(ours) => !is_ancestor(&git, &theirs, &ours.to_string()),
        })
    }

    /// Put `branch` aside on the remote under a name of its own, so that work this
    /// machine did after its lease was lost is never lost: the name pushed to.
    pub fn set_aside(&self, ws: &Workspace, branch: &str) -> Result<Option<String>> {
        let git = ws.git();
        let Some(tip) = worktree::branch_tip(&ws.repo, branch)? else {
            return Ok(None);
        };
        let tip = tip.to_string();
        let safe: String = self
            .machine
            .name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '-'
                }
            })
            .collect();
        let aside = format!("{branch}-from-{safe}-{}", &tip[..12.min(tip.len())]);
        match push_with_lease(
            &git,
            &self.remote,
            &format!("refs/heads/{aside}"),
            &tip,
            None,
        )? {
            Pushed::Accepted => Ok(Some(aside)),
            // Kept all the same only if that name already holds this very commit (set
            // aside before); anything else, and the work is not safe there.
            Pushed::Refused(why) => {
                let listed = git.run([
                    "ls-remote",
                    "--",
                    self.remote.as_str(),
                    &format!("refs/heads/{aside}"),
                ])?;
                if listed.split_whitespace().next() == Some(tip.as_str()) {
                    Ok(Some(aside))
                } else {
                    Err(Error::Refused(format!(
                        "{} refused {aside}, where this machine's work on {branch} was to be kept ({why}); {branch} is left as it is",
                        self.remote
                    )))
                }
            }
        }
    }

    /// Take over `name`, whose lease this machine now holds: its branch as the remote has
    /// it, a worktree here, and its command to be launched again.
    pub fn adopt(&self, ws: &Workspace, name: &str) -> Result<()> {
        let git = ws.git();
        let state = State::load(&ws.repo)?;
        let spec = super::find_agent(&state, name)?.clone();
        if let Some(theirs) = self.fetch_branch(&git, &spec.branch)? {
            match worktree::branch_tip(&ws.repo, &spec.branch)? {
                None => worktree::create_branch(&git, &spec.branch, &theirs)?,
                Some(ours) => {
                    let ours = ours.to_string();
                    // Only from the tip read here: a branch that moved meanwhile stays.
                    let move_to_theirs = || {
                        git.run([
                            "update-ref",
                            &format!("refs/heads/{}", spec.branch),
                            &theirs,
                            &ours,
                        ])
                        .map(drop)
                    };
                    if ours != theirs && is_ancestor(&git, &ours, &theirs) {
                        let checked_out = worktree::list_repairing(&git)?
                            .into_iter()
                            .find(|w| w.branch.as_deref() == Some(spec.branch.as_str()));
                        match checked_out {
                            Some(found) => {
                                let moved = Git::new(&found.path).output([
                                    "merge",
                                    "--ff-only",
                                    "--quiet",
                                    theirs.as_str(),
                                ])?;
                                if !moved.success() {
                                    return Err(Error::Refused(format!(
                                        "{name}'s worktree {} has changes in the way of its branch from {}; commit or stash them and run again",
                                        found.path.display(),
                                        self.remote
                                    )));
                                }
                            }
                            None => move_to_theirs()?,
                        }
                    } else if ours != theirs && !is_ancestor(&git, &theirs, &ours) {
                        // Work of ours the remote never got: keep it there before going on
                        // from the remote's branch.
                        self.set_aside(ws, &spec.branch)?;
                        move_to_theirs()?;
                    }
                }
            }
        }
        super::spawn(ws, &[name.to_owned()], false, true, &mut Silent)?;
        state::update::<_, Error>(&ws.repo, |state| {
            if let Some(doc) = state.agent_mut(name)
                && doc.status == Status::Review
            {
                doc.status = Status::InProgress;
            }
            Ok((format!("take over {name}"), ()))
        })?;
        Ok(())
    }
}

/// Whether a dependency of `name` is given up or failed (itself or further up), so that
/// `name` will not start until a person steps in.
pub fn stuck(state: &State, name: &str) -> bool {
    fn walk(state: &State, name: &str, seen: &mut Vec<String>) -> bool {
        if seen.iter().any(|s| s == name) {
            return false;
        }
        seen.push(name.to_owned());
        let Some(spec) = state.plan.agent(name) else {
            return false;
        };
        spec.depends_on.iter().any(|dep| {
            let status = state.agent(dep).map_or(Status::Planned, |d| d.status);
            matches!(status, Status::Failed | Status::Abandoned)
                || (!status.is_merged() && walk(state, dep, seen))
        })
    }
    walk(state, name, &mut Vec::new())
}

fn is_ancestor(git: &Git, commit: &str, of: &str) -> bool {
    git.output(["merge-base", "--is-ancestor", commit, of])
        .is_ok_and(|out| out.success())
}

fn rev_parse(git: &Git, name: &str) -> Option<String> {
    git.output(["rev-parse", "--verify", "--quiet", name])
        .ok()
        .map(|out| out.stdout.trim().to_owned())
        .filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_ids_are_sixteen_hex_digits_and_differ() {
        let (a, b) = (fresh_id(), fresh_id());
        assert_eq!(a.len(), 16);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }
}
