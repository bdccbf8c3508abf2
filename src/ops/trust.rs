//! Which commands and paths of the shared plan this machine has accepted: what arrives
//! by `sync` or in a clone is held until the user accepts it, as git never runs what it
//! fetches.
//!
//! The accepted copy lives in `.git/agents/trusted.json`, which no remote can write.
//! Changes made here (`init`, `add`, `edit`, `plan edit`, `remove`) are accepted as they
//! are made, as long as what they changed was accepted already.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::git::workspace::Workspace;
use crate::plan::Plan;
use crate::state::State;

/// What in a plan runs on this machine or decides where files go.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Surface {
    test_command: Option<String>,
    review_command: Option<String>,
    fix_command: Option<String>,
    setup: Option<String>,
    #[serde(default)]
    teardown: Option<String>,
    #[serde(default)]
    pre_merge: Option<String>,
    #[serde(default)]
    post_merge: Option<String>,
    copy: Vec<String>,
    worktrees_dir: String,
    /// Each agent's command and worktree.
    agents: BTreeMap<String, (Option<String>, String)>,
    /// The coding-agent program each agent names, for those that name one.
    #[serde(default)]
    clis: BTreeMap<String, String>,
}

impl Surface {
    /// The surface of `plan`.
    pub fn of(plan: &Plan) -> Surface {
        Surface {
            test_command: plan.test_command.clone(),
            review_command: plan.review_command.clone(),
            fix_command: plan.fix_command.clone(),
            setup: plan.setup.clone(),
            teardown: plan.teardown.clone(),
            pre_merge: plan.pre_merge.clone(),
            post_merge: plan.post_merge.clone(),
            copy: plan.copy.clone(),
            worktrees_dir: plan.worktrees_dir.clone(),
            agents: plan
                .agents
                .iter()
                .map(|a| (a.name.clone(), (a.command.clone(), a.worktree.clone())))
                .collect(),
            clis: plan
                .agents
                .iter()
                .filter_map(|a| Some((a.name.clone(), a.cli.clone()?)))
                .collect(),
        }
    }

    /// Each setting that differs from `accepted`: (what, accepted value, value now).
    fn changes_from(&self, accepted: &Surface) -> Vec<Change> {
        let mut changes = Vec::new();
        let mut compare = |what: String, before: Option<String>, now: Option<String>| {
            if before != now {
                changes.push(Change {
                    what,
                    accepted: before,
                    now,
                });
            }
        };
        compare(
            "test command".into(),
            accepted.test_command.clone(),
            self.test_command.clone(),
        );
        compare(
            "review command".into(),
            accepted.review_command.clone(),
            self.review_command.clone(),
        );
        compare(
            "fix command".into(),
            accepted.fix_command.clone(),
            self.fix_command.clone(),
        );
        compare(
            "setup command".into(),
            accepted.setup.clone(),
            self.setup.clone(),
        );
        for (what, before, now) in [
            ("teardown command", &accepted.teardown, &self.teardown),
            ("pre-merge command", &accepted.pre_merge, &self.pre_merge),
            ("post-merge command", &accepted.post_merge, &self.post_merge),
        ] {
            compare(what.into(), before.clone(), now.clone());
        }
        let list = |paths: &[String]| (!paths.is_empty()).then(|| paths.join(", "));
        compare("copy list".into(), list(&accepted.copy), list(&self.copy));
        compare(
            "worktrees directory".into(),
            Some(accepted.worktrees_dir.clone()),
            Some(self.worktrees_dir.clone()),
        );
        let names: std::collections::BTreeSet<&String> =
            accepted.agents.keys().chain(self.agents.keys()).collect();
        for name in names {
            let before = accepted.agents.get(name);
            let now = self.agents.get(name);
            compare(
                format!("{name}'s command"),
                before.and_then(|(c, _)| c.clone()),
                now.and_then(|(c, _)| c.clone()),
            );
            compare(
                format!("{name}'s worktree"),
                before.map(|(_, w)| w.clone()),
                now.map(|(_, w)| w.clone()),
            );
            compare(
                format!("{name}'s cli"),
                accepted.clis.get(name).cloned(),
                self.clis.get(name).cloned(),
            );
        }
        changes
    }
}

/// One setting of the shared plan that differs from what this machine accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// Which setting.
    pub what: String,
    /// Its value when last accepted.
    pub accepted: Option<String>,
    /// Its value now.
    pub now: Option<String>,
}

/// What `trust` found, or accepted; `--json` prints it as it is.
#[derive(Debug, Clone, Serialize)]
pub struct TrustReport {
    /// Whether everything in the plan is accepted now.
    pub trusted: bool,
    /// What differs from what was accepted (before accepting it, with `--accept`).
    pub changes: Vec<Change>,
    /// Whether this call accepted them.
    pub accepted: bool,
    /// A short fingerprint of the commands and paths shown: `trust --accept DIGEST`
    /// accepts them only while the plan still says exactly that.
    pub digest: String,
}

fn path(ws: &Workspace) -> PathBuf {
    ws.common_dir.join("agents").join("trusted.json")
}

fn read_accepted(ws: &Workspace) -> Option<Surface> {
    let text = std::fs::read_to_string(path(ws)).ok()?;
    serde_json::from_str(&text).ok()
}

/// Whether everything in `plan` that runs here or places files was accepted on this
/// machine.
pub fn is_trusted(ws: &Workspace, plan: &Plan) -> bool {
    match read_accepted(ws) {
        Some(accepted) => accepted == Surface::of(plan),
        // A state this machine never accepted (it came with a clone, a sync or a fetch of
        // refs/agents/state) is not trusted; `init` accepts what it imports.
        None => false,
    }
}

/// Refuse to run or place anything from `state`'s plan until this machine accepted it.
pub fn require(ws: &Workspace, state: &State) -> Result<()> {
    if is_trusted(ws, &state.plan) {
        return Ok(());
    }
    let changed: Vec<String> = changes(ws, &state.plan)
        .into_iter()
        .map(|c| c.what)
        .take(4)
        .collect();
    Err(Error::Refused(format!(
        "the shared plan's commands or paths came from elsewhere (a sync or a clone) and this machine has not accepted them yet{}; see them with git agents trust, and accept them with git agents trust --accept",
        if changed.is_empty() {
            String::new()
        } else {
            format!(" ({})", changed.join(", "))
        }
    )))
}

/// What in `plan` differs from what this machine accepted.
pub fn changes(ws: &Workspace, plan: &Plan) -> Vec<Change> {
    Surface::of(plan).changes_from(&read_accepted(ws).unwrap_or_default())
}

/// Accept `plan`'s commands and paths on this machine.
pub fn accept(ws: &Workspace, plan: &Plan) -> Result<()> {
    let text = serde_json::to_string_pretty(&Surface::of(plan))
        .map_err(|e| Error::External(e.to_string()))?;
    crate::fsutil::replace(&path(ws), text.as_bytes())
        .map_err(|e| Error::External(format!("cannot record what is accepted: {e}")))
}

/// After a change made on this machine turned `before` into `after`: accept `after`, as
/// long as `before` was accepted (a local edit never launders a remote's commands).
pub fn record_local_change(ws: &Workspace, before: &Plan, after: &Plan) -> Result<()> {
    if is_trusted(ws, before) {
        accept(ws, after)?;
    }
    Ok(())
}

/// A short fingerprint of what in `plan` runs here or places files.
pub fn digest(plan: &Plan) -> String {
    let bytes = serde_json::to_vec(&Surface::of(plan)).unwrap_or_default();
    gix::objs::compute_hash(gix::hash::Kind::Sha1, gix::objs::Kind::Blob, &bytes)
        .map(|id| id.to_hex_with_len(12).to_string())
        .unwrap_or_default()
}

/// What `trust` is asked to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Acceptance {
    /// Only show.
    Show,
    /// Accept whatever the plan says now.
    Now,
    /// Accept only if the plan still says what the digest (shown earlier) stands for.
    Shown(String),
}

/// `git agents trust`: show what is not accepted, and accept it as `acceptance` says.
pub fn trust(ws: &Workspace, acceptance: &Acceptance) -> Result<TrustReport> {
    let state = State::load(&ws.repo)?;
    let changes = if is_trusted(ws, &state.plan) {
        Vec::new()
    } else {
        changes(ws, &state.plan)
    };
    let digest = digest(&state.plan);
    if let Acceptance::Shown(shown) = acceptance {
        let shown = shown.trim().to_ascii_lowercase();
        if shown.len() < 7 || !digest.starts_with(&shown) {
            return Err(Error::Refused(format!(
                "the shared plan's commands and paths changed since {shown} was shown (it is {digest} now); look again with git agents trust before accepting"
            )));
        }
    }
    let accept_now = *acceptance != Acceptance::Show;
    if accept_now {
        accept(ws, &state.plan)?;
    }
    Ok(TrustReport {
        trusted: accept_now || changes.is_empty() && is_trusted(ws, &state.plan),
        accepted: accept_now && !changes.is_empty(),
        changes,
        digest,
    })
}
