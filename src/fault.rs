//! Fault points for crash testing: named places in the write paths where the process can
//! be made to die on purpose, as if it had been killed with `kill -9` at that moment.
//!
//! The points are always compiled in and do nothing unless the environment variable
//! `GIT_AGENTS_FAULT` names them. Its value is a comma-separated list of `POINT` (die the
//! first time the point is reached) or `POINT@N` (die the N-th time, counting from 1, so
//! a multi-agent spawn can be stopped in the middle). Dying is `std::process::abort()`:
//! no destructor runs, no lock file or temporary file is cleaned up, and the exit status
//! is that of SIGABRT, so the crash looks exactly like a killed process to whatever
//! comes next.
//!
//! The points, in the order a write reaches them:
//!
//! | point | where |
//! |---|---|
//! | `after-branch` | `spawn`: the agent's branch exists, its worktree does not |
//! | `after-worktree` | `spawn`: branch and worktree exist, the state does not say so yet |
//! | `before-ref-update` | any state or notes write: the new commit is written, the ref not moved |
//! | `after-ref-update` | any state or notes write: the ref moved, the command has not reported |
//! | `after-merge-built` | local `merge`: the merged commit exists, nothing else has happened |
//! | `after-merge-tested` | local `merge`: the tests passed on the merged result in a temporary worktree, which is still there |
//! | `before-checkout-update` | local `merge`: base holds the merged commit, the worktree that has base checked out does not |
//! | `after-base-moved` | local `merge`: base holds the merged commit, the state still says the PR is open |
//! | `after-agent-exited` | `run`: an agent's command finished, its status is not recorded |

use std::sync::Mutex;

/// The environment variable that arms fault points.
pub const FAULT_ENV: &str = "GIT_AGENTS_FAULT";

/// `spawn` created the agent's branch and has not added its worktree.
pub const AFTER_BRANCH: &str = "after-branch";
/// `spawn` added the agent's worktree and has not recorded it in the state.
pub const AFTER_WORKTREE: &str = "after-worktree";
/// A compare-and-swap wrote its commit and has not moved the ref.
pub const BEFORE_REF_UPDATE: &str = "before-ref-update";
/// A compare-and-swap moved the ref and has not returned.
pub const AFTER_REF_UPDATE: &str = "after-ref-update";

/// The local forge built the merged commit and has not tested it or moved base.
pub const AFTER_MERGE_BUILT: &str = "after-merge-built";
/// The local forge's tests passed on the merged result; the temporary worktree is still there.
pub const AFTER_MERGE_TESTED: &str = "after-merge-tested";
/// Base moved to the merged commit; the worktree that has it checked out is not updated.
pub const BEFORE_CHECKOUT_UPDATE: &str = "before-checkout-update";
/// The local forge moved base to the merged commit; the state does not record the merge.
pub const AFTER_BASE_MOVED: &str = "after-base-moved";
/// `run` saw an agent's command finish and has not recorded its status.
pub const AFTER_AGENT_EXITED: &str = "after-agent-exited";

/// The fault points `spawn` and every state write reach, for tests that try them all.
pub const ALL: [&str; 4] = [
    AFTER_BRANCH,
    AFTER_WORKTREE,
    BEFORE_REF_UPDATE,
    AFTER_REF_UPDATE,
];

/// The fault points of `merge` on the local forge, in the order a merge reaches them.
pub const MERGE: [&str; 4] = [
    AFTER_MERGE_BUILT,
    AFTER_MERGE_TESTED,
    BEFORE_CHECKOUT_UPDATE,
    AFTER_BASE_MOVED,
];

static HITS: Mutex<Vec<(String, u32)>> = Mutex::new(Vec::new());

/// Die here if `GIT_AGENTS_FAULT` arms `point` for this visit; otherwise do nothing.
pub fn point(point: &str) {
    let Some(armed) = std::env::var_os(FAULT_ENV) else {
        return;
    };
    let armed = armed.to_string_lossy();
    let Some(wanted) = armed.split(',').find_map(|spec| parse_spec(spec, point)) else {
        return;
    };
    let visit = {
        let mut hits = HITS.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        match hits.iter_mut().find(|(name, _)| name == point) {
            Some((_, count)) => {
                *count += 1;
                *count
            }
            None => {
                hits.push((point.to_owned(), 1));
                1
            }
        }
    };
    if visit == wanted {
        std::process::abort();
    }
}

/// The visit number at which `spec` (`POINT` or `POINT@N`) arms `point`, if it names it.
fn parse_spec(spec: &str, point: &str) -> Option<u32> {
    let spec = spec.trim();
    let (name, visit) = match spec.split_once('@') {
        Some((name, n)) => (name, n.trim().parse().ok()?),
        None => (spec, 1),
    };
    (name == point).then_some(visit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_name_a_point_and_a_visit() {
        assert_eq!(parse_spec("after-branch", AFTER_BRANCH), Some(1));
        assert_eq!(parse_spec(" after-branch@3 ", AFTER_BRANCH), Some(3));
        assert_eq!(parse_spec("after-branch", AFTER_WORKTREE), None);
        assert_eq!(parse_spec("after-branch@x", AFTER_BRANCH), None);
        assert_eq!(parse_spec("", AFTER_BRANCH), None);
    }

    #[test]
    fn an_unarmed_point_does_nothing() {
        point("no-such-point");
    }
}
