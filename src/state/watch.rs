//! Cheap change detection for live views: a dashboard is redrawn only when one of the
//! refs it is drawn from moves, and finding that out reads refs, never objects.

use gix::ObjectId;

use crate::git::GitError;
use crate::state::notes::NOTES_REF;
use crate::state::{STATE_REF, State};

/// The tips of the watched refs at one moment; equal fingerprints mean nothing moved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint(Vec<Option<ObjectId>>);

/// The refs the dashboard depends on: the state, the notes, the base branch and every
/// agent's branch.
pub fn watched_refs(state: &State) -> Vec<String> {
    let mut names = vec![STATE_REF.to_owned(), NOTES_REF.to_owned()];
    names.push(format!("refs/heads/{}", state.base()));
    names.extend(
        state
            .plan
            .agents
            .iter()
            .map(|a| format!("refs/heads/{}", a.branch)),
    );
    names
}

/// Where each of `names` points now (`None` for a ref that does not exist).
pub fn fingerprint(repo: &gix::Repository, names: &[String]) -> Result<Fingerprint, GitError> {
    let mut tips = Vec::with_capacity(names.len());
    for name in names {
        let tip = match repo
            .try_find_reference(name.as_str())
            .map_err(|e| GitError::library(&format!("reading {name}"), e))?
        {
            Some(reference) => reference.target().try_id().map(ToOwned::to_owned),
            None => None,
        };
        tips.push(tip);
    }
    Ok(Fingerprint(tips))
}
