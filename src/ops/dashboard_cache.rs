//! The last dashboard computed, remembered with everything it was computed from, so
//! that showing an unchanged fleet again reads a few refs and one file instead of every
//! document, note and worktree.
//!
//! An agent's line depends on nothing but the state commit, the notes commit, the tips
//! of the plan's branches, which worktree directories exist and where the main worktree
//! is. All of these are recorded beside the lines and compared before the lines are
//! used: any difference, or a file that is missing, damaged or from another build, means
//! the dashboard is computed afresh (and remembered again). Conflict risks are not
//! remembered; they are checked on every reading.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use gix::ObjectId;
use serde::{Deserialize, Serialize};

use super::AgentView;
use crate::git::workspace::Workspace;
use crate::git::worktree;
use crate::state::cache as files;

/// What the dashboard was computed from.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct Inputs {
    /// The build that computed it.
    pub build: String,
    /// The main worktree that relative worktree paths were resolved against.
    pub main_root: PathBuf,
    /// The state commit read.
    pub state: String,
    /// The notes commit read, if there were notes.
    pub notes: Option<String>,
    /// Each branch of the plan, and the base branch, with the tip it had, if it existed.
    /// (Whether each worktree existed is in the agents' lines themselves.)
    pub branches: Vec<(String, Option<String>)>,
}

/// A remembered dashboard: the base branch and every agent's line, without risks.
#[derive(Serialize, Deserialize)]
struct Remembered {
    inputs: Inputs,
    base: String,
    agents: Vec<AgentView>,
}

impl Inputs {
    /// Record what a dashboard is being computed from.
    pub fn new(
        ws: &Workspace,
        state: ObjectId,
        notes: Option<ObjectId>,
        branches: impl Iterator<Item = (String, Option<ObjectId>)>,
    ) -> Inputs {
        Inputs {
            build: files::build(),
            main_root: ws.main_root.clone(),
            state: state.to_string(),
            notes: notes.map(|id| id.to_string()),
            branches: branches
                .map(|(branch, tip)| (branch, tip.map(|id| id.to_string())))
                .collect(),
        }
    }

    /// Whether the repository still holds exactly these inputs, given the current `tips`
    /// of the recorded branches, and each worktree of `agents` still exists or not as
    /// their lines say.
    fn hold(&self, ws: &Workspace, tips: &HashMap<String, ObjectId>, agents: &[AgentView]) -> bool {
        let hex = |id: Option<ObjectId>| id.map(|id| id.to_string());
        self.build == files::build()
            && self.main_root == ws.main_root
            && direct_target(&ws.repo, crate::state::STATE_REF)
                .is_some_and(|id| hex(id).as_deref() == Some(self.state.as_str()))
            && direct_target(&ws.repo, crate::state::notes::NOTES_REF)
                .is_some_and(|id| hex(id) == self.notes)
            && self
                .branches
                .iter()
                .all(|(branch, tip)| hex(tips.get(branch).copied()) == *tip)
            && {
                let paths: Vec<PathBuf> = agents.iter().map(|a| ws.resolve(&a.worktree)).collect();
                let present = worktree::existing_dirs(paths.iter().cloned());
                paths
                    .iter()
                    .zip(agents)
                    .all(|(path, a)| present.contains(path) == a.worktree_exists)
            }
    }
}

/// A dashboard: the base branch, every agent's line, and the tips of the plan's branches
/// and the base branch it was computed with.
pub(super) type Dashboard = (String, Vec<AgentView>, HashMap<String, ObjectId>);

/// What [`recall`] found.
pub(super) enum Recalled {
    /// The remembered dashboard, still true.
    Current(Dashboard),
    /// Nothing usable; the branch tips read on the way (a branch read but absent maps to
    /// `None`), so that computing the dashboard does not read them again.
    Outdated(HashMap<String, Option<ObjectId>>),
}

/// The dashboard remembered for this repository, if everything it was computed from is
/// unchanged.
pub(super) fn recall(ws: &Workspace) -> Recalled {
    let outdated = || Recalled::Outdated(HashMap::new());
    let Some(remembered) = std::fs::read(path(ws.repo.common_dir()))
        .ok()
        .and_then(|bytes| serde_json::from_slice::<Remembered>(&bytes).ok())
    else {
        return outdated();
    };
    let branches = || remembered.inputs.branches.iter().map(|(b, _)| b.as_str());
    let Ok(tips) = worktree::branch_tips(&ws.repo, branches()) else {
        return outdated();
    };
    if remembered.inputs.hold(ws, &tips, &remembered.agents) {
        return Recalled::Current((remembered.base, remembered.agents, tips));
    }
    Recalled::Outdated(
        branches()
            .map(|branch| (branch.to_owned(), tips.get(branch).copied()))
            .collect(),
    )
}

/// Remember the dashboard computed from `inputs`.
pub(super) fn remember(ws: &Workspace, inputs: Inputs, base: &str, agents: &[AgentView]) {
    #[derive(Serialize)]
    struct Out<'a> {
        inputs: Inputs,
        base: &'a str,
        agents: &'a [AgentView],
    }
    if let Ok(bytes) = serde_json::to_vec(&Out {
        inputs,
        base,
        agents,
    }) {
        files::replace_file(&path(ws.repo.common_dir()), &bytes);
    }
}

/// The object a ref points at directly: `Some(None)` when the ref does not exist,
/// `None` when it cannot be read or is symbolic (the caller then reads it the long way,
/// which reports what is wrong). A loose ref file holding a plain id is read directly.
fn direct_target(repo: &gix::Repository, name: &str) -> Option<Option<ObjectId>> {
    if let Some(id) = worktree::read_loose_id(&repo.common_dir().join(name)) {
        return Some(Some(id));
    }
    match repo.try_find_reference(name).ok()? {
        None => Some(None),
        Some(reference) => reference.target().try_id().map(|id| Some(id.to_owned())),
    }
}

fn path(common_dir: &Path) -> PathBuf {
    files::dir(common_dir).join("status.json")
}
