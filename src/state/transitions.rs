//! The legal status transitions of an agent: the one table every state write is checked against.

use super::model::Status;

use Status::{Abandoned, Completed, Failed, InProgress, Merged, Planned, PrOpen, Review};

/// Every legal change of status, `(from, to)`. Staying in the same status is always legal.
pub const LEGAL: &[(Status, Status)] = &[
    // spawn; abandoning or failing an agent never started
    (Planned, InProgress),
    (Planned, Abandoned),
    (Planned, Failed),
    // work under way: hand in, open a pull request, fail, merge, give up, or reset
    (InProgress, Review),
    (InProgress, PrOpen),
    (InProgress, Failed),
    (InProgress, Merged),
    (InProgress, Abandoned),
    (InProgress, Planned),
    // in review: back to work when review asks for fixes, on to a pull request or merge
    (Review, InProgress),
    (Review, PrOpen),
    (Review, Failed),
    (Review, Merged),
    (Review, Abandoned),
    (Review, Planned),
    // pull request open: fixes requested, merged, closed
    (PrOpen, InProgress),
    (PrOpen, Review),
    (PrOpen, Failed),
    (PrOpen, Merged),
    (PrOpen, Abandoned),
    (PrOpen, Planned),
    // failed: try again, or give up; work found merged meanwhile
    (Failed, InProgress),
    (Failed, Review),
    (Failed, PrOpen),
    (Failed, Merged),
    (Failed, Abandoned),
    (Failed, Planned),
    // merged: cleaned up; `finish` may also complete active work it has proved is in base
    (Merged, Completed),
    (InProgress, Completed),
    (Review, Completed),
    (PrOpen, Completed),
    (Failed, Completed),
];

/// Why `from → to` is not a legal change, or `None` when it is.
pub fn illegal(from: Status, to: Status) -> Option<&'static str> {
    if from == to || LEGAL.contains(&(from, to)) {
        return None;
    }
    Some(match (from, to) {
        (Abandoned, _) => "an abandoned agent stays abandoned; add a new agent to redo its work",
        (Completed, _) => {
            "a completed agent's work is merged and cleaned up; it does not change again"
        }
        (Merged, _) => "merged work stays merged; only `finish` moves it on, to completed",
        (Planned, Review | PrOpen) => "the agent was never spawned; run `git agents spawn` first",
        (Planned, Merged | Completed) => {
            "the agent was never spawned, so nothing of it can be merged"
        }
        (Planned, Failed) | (_, Completed) => "only merged work can be completed; merge it first",
        _ => "that is not a step an agent's work can take",
    })
}

/// The message for a refused change of `agent` from `from` to `to`, or `None` when legal.
pub fn refusal(agent: &str, from: Status, to: Status) -> Option<String> {
    illegal(from, to).map(|why| format!("{agent} cannot go from {from} to {to}: {why}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_statuses_have_no_way_out() {
        for to in Status::ALL {
            if to != Abandoned {
                assert!(illegal(Abandoned, to).is_some());
            }
            if to != Completed {
                assert!(illegal(Completed, to).is_some());
            }
        }
        assert!(illegal(Merged, Completed).is_none());
        assert!(illegal(Merged, Review).is_some());
    }

    #[test]
    fn the_fix_loop_moves_are_legal() {
        for (from, to) in [
            (Review, InProgress),
            (PrOpen, InProgress),
            (Failed, InProgress),
            (Review, Failed),
        ] {
            assert!(illegal(from, to).is_none(), "{from} -> {to}");
        }
        assert!(illegal(Planned, Merged).is_some());
        assert!(illegal(Planned, Review).is_some());
    }
}
