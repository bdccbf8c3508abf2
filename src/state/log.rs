//! The audit trail: every change to the state ref and every fact recorded in the notes
//! ref, both sides of every merge `sync` made, newest first.
//!
//! The state's history is walked through all parents, in the order the changes were
//! made, so what another machine did before a `sync` shows beside what this one did.
//! The notes ref's history adds one entry per fact (a test run, each review iteration,
//! an approval), read from the lines each notes commit appended.

use std::collections::{BinaryHeap, HashSet};

use gix::ObjectId;
use serde::Serialize;

use super::notes::{self, NOTES_REF, Record};
use super::{AGENTS_DIR, STATE_REF, StateError};
use crate::git::{Git, cas};

/// What kind of change an entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// A commit on the state ref: the plan or an agent's status changed.
    State,
    /// A fact recorded on a commit: a test run, a review, an approval.
    Fact,
}

/// One change to the state, or one fact recorded.
#[derive(Debug, Clone, Serialize)]
pub struct LogEntry {
    /// The state or notes commit.
    pub commit: String,
    /// Which ref it is on.
    pub kind: EntryKind,
    /// When it was made (RFC 3339, UTC).
    pub time: String,
    /// Who made it.
    pub author: String,
    /// What happened (for the state, the commit message's first line).
    pub summary: String,
    /// Agents the change concerns.
    pub agents: Vec<String>,
}

/// An entry with the time it sorts by.
struct Timed {
    seconds: i64,
    /// Later discoveries sort after earlier ones at the same second.
    order: usize,
    /// For a fact, the state commit that was current when it was recorded.
    after: Option<String>,
    entry: LogEntry,
}

/// Read up to `limit` entries of the audit trail, newest first, keeping only those that
/// concern `agent` when one is given.
pub fn read_log(
    repo: &gix::Repository,
    agent: Option<&str>,
    limit: usize,
) -> Result<Vec<LogEntry>, StateError> {
    let Some(tip) = cas::read_tip(repo, STATE_REF)? else {
        return Err(StateError::NotInitialized);
    };
    let mut states = state_entries(repo, tip.commit)?;
    // Newest first; at the same second, the later discovery (the newer commit) first.
    states.sort_by(|a, b| b.seconds.cmp(&a.seconds).then(a.order.cmp(&b.order)));
    let mut facts = fact_entries(repo)?;
    facts.sort_by(|a, b| b.seconds.cmp(&a.seconds).then(a.order.cmp(&b.order)));
    let mut timed = interleave(states, facts);
    timed.retain(|t| match agent {
        None => true,
        Some(name) => t.entry.agents.iter().any(|a| a == name) || mentions(&t.entry.summary, name),
    });
    Ok(timed.into_iter().take(limit).map(|t| t.entry).collect())
}

/// Where an entry sorts, oldest first: after which state change (its slot), state
/// changes before facts in a slot, then by time and order of discovery.
type Place = (usize, u8, i64, std::cmp::Reverse<usize>);

/// Both histories as one, newest first. A fact goes right after the state commit that
/// was current when it was recorded (its trailer says which), so the order holds even
/// when many changes share a second; a fact without one goes by its time.
fn interleave(states: Vec<Timed>, facts: Vec<Timed>) -> Vec<Timed> {
    // Oldest first, each entry gets the slot of the last state change before it.
    let chronological: Vec<Timed> = states.into_iter().rev().collect();
    let slot_of_commit: std::collections::HashMap<&str, usize> = chronological
        .iter()
        .enumerate()
        .map(|(slot, t)| (t.entry.commit.as_str(), slot))
        .collect();
    let mut keyed: Vec<(Place, Timed)> = facts
        .into_iter()
        .map(|fact| {
            let by_time = chronological
                .iter()
                .rposition(|state| state.seconds <= fact.seconds)
                .map_or(0, |slot| slot + 1);
            let slot = fact
                .after
                .as_deref()
                .and_then(|id| slot_of_commit.get(id))
                .map_or(by_time, |slot| slot + 1);
            ((slot, 1, fact.seconds, std::cmp::Reverse(fact.order)), fact)
        })
        .collect();
    keyed.extend(
        chronological
            .into_iter()
            .enumerate()
            .map(|(slot, state)| ((slot + 1, 0, state.seconds, std::cmp::Reverse(0)), state)),
    );
    keyed.sort_by_key(|(place, _)| *place);
    keyed.into_iter().rev().map(|(_, t)| t).collect()
}

/// Every commit reachable from the state ref's `tip`, through all parents.
fn state_entries(repo: &gix::Repository, tip: ObjectId) -> Result<Vec<Timed>, StateError> {
    /// A commit waiting to be visited, newest first.
    #[derive(PartialEq, Eq, PartialOrd, Ord)]
    struct Pending(i64, ObjectId);
    let mut seen = HashSet::new();
    let mut pending = BinaryHeap::new();
    let time_of = |id: ObjectId| -> Result<i64, StateError> {
        let commit = repo
            .find_commit(id)
            .map_err(|e| git_err("reading the state history", e))?;
        Ok(commit.time().map(|t| t.seconds).unwrap_or(0))
    };
    pending.push(Pending(time_of(tip)?, tip));
    seen.insert(tip);
    let mut entries = Vec::new();
    while let Some(Pending(_, id)) = pending.pop() {
        let commit = repo
            .find_commit(id)
            .map_err(|e| git_err("reading the state history", e))?;
        let parents: Vec<ObjectId> = commit.parent_ids().map(|p| p.detach()).collect();
        let tree = commit
            .tree_id()
            .map_err(|e| git_err("reading the state history", e))?
            .detach();
        let parent_tree = match parents.first() {
            Some(parent) => Some(
                repo.find_commit(*parent)
                    .and_then(|c| c.tree_id())
                    .map_err(|e| git_err("reading the state history", e))?
                    .detach(),
            ),
            None => None,
        };
        let touched = changed_agents(repo, tree, parent_tree)?;
        let message = commit.message_raw_sloppy().to_string();
        let summary = message.lines().next().unwrap_or("").to_owned();
        let author = commit
            .author()
            .map_err(|e| git_err("reading the state history", e))?;
        let seconds = author.time().map(|t| t.seconds).unwrap_or(0);
        entries.push(Timed {
            seconds,
            order: entries.len(),
            after: None,
            entry: LogEntry {
                commit: id.to_string(),
                kind: EntryKind::State,
                time: crate::time::format_unix(seconds),
                author: author.name.to_string(),
                summary,
                agents: touched,
            },
        });
        for parent in parents {
            if seen.insert(parent) {
                pending.push(Pending(time_of(parent)?, parent));
            }
        }
    }
    Ok(entries)
}

/// One entry per fact the notes ref's history recorded, newest commit first. Merge
/// commits add nothing of their own: each fact they bring was appended by a commit on
/// one of their sides, which the history holds too.
fn fact_entries(repo: &gix::Repository) -> Result<Vec<Timed>, StateError> {
    if cas::read_tip(repo, NOTES_REF)?.is_none() {
        return Ok(Vec::new());
    }
    let git = Git::new(repo.common_dir());
    let out = git
        .run([
            "log",
            "--raw",
            "-r",
            "--no-abbrev",
            "--no-renames",
            "--format=%x01%H%x00%at%x00%an%x00%(trailers:key=State,valueonly,separator=)",
            NOTES_REF,
            "--",
        ])
        .map_err(|e| git_err("reading the notes history", e))?;
    let mut entries = Vec::new();
    for block in out.split('\u{1}').filter(|b| !b.trim().is_empty()) {
        let mut lines = block.lines();
        let header = lines.next().unwrap_or_default();
        let mut fields = header.split('\0');
        let (Some(commit), Some(seconds), Some(author)) =
            (fields.next(), fields.next(), fields.next())
        else {
            continue;
        };
        let follows = fields
            .next()
            .map(str::trim)
            .filter(|id| !id.is_empty())
            .map(str::to_owned);
        let seconds: i64 = seconds.trim().parse().unwrap_or(0);
        for line in lines.filter(|l| l.starts_with(':')) {
            // `:100644 100644 OLD NEW M\tab/cdef…`
            let Some((meta, path)) = line.split_once('\t') else {
                continue;
            };
            let ids: Vec<&str> = meta.split_whitespace().collect();
            let (Some(old), Some(new)) = (ids.get(2), ids.get(3)) else {
                continue;
            };
            let annotated: String = path.chars().filter(|c| *c != '/').collect();
            let before = records_of(repo, old)?;
            let after = records_of(repo, new)?;
            for record in after.iter().skip(before.len()) {
                let (summary, agents) = describe(record, &annotated);
                entries.push(Timed {
                    seconds,
                    order: entries.len(),
                    after: follows.clone(),
                    entry: LogEntry {
                        commit: commit.to_owned(),
                        kind: EntryKind::Fact,
                        time: crate::time::format_unix(seconds),
                        author: author.to_owned(),
                        summary,
                        agents,
                    },
                });
            }
        }
    }
    Ok(entries)
}

/// The records of the note blob `id` (none for git's all-zero id of a missing side).
fn records_of(repo: &gix::Repository, id: &str) -> Result<Vec<Record>, StateError> {
    let Ok(id) = ObjectId::from_hex(id.as_bytes()) else {
        return Ok(Vec::new());
    };
    if id.is_null() {
        return Ok(Vec::new());
    }
    let Some(object) = cas::find_object(repo, id).map_err(|e| git_err("reading a note", e))? else {
        return Ok(Vec::new());
    };
    Ok(notes::parse_records(&object.detach().data))
}

/// A fact in words, and the agents it concerns.
fn describe(record: &Record, annotated: &str) -> (String, Vec<String>) {
    let short = &annotated[..annotated.len().min(12)];
    match record {
        Record::Test {
            passing,
            command,
            agent,
            merged_result,
            ..
        } => (
            format!(
                "test {} on {short}{}{}: {command}",
                if *passing { "passed" } else { "failed" },
                merged_result
                    .as_deref()
                    .map(|m| format!(" merged onto base as {}", &m[..m.len().min(12)]))
                    .unwrap_or_default(),
                for_agent(agent.as_deref())
            ),
            agent.iter().cloned().collect(),
        ),
        Record::Review {
            score,
            out_of,
            iteration,
            agent,
            ..
        } => (
            format!(
                "review {score}/{out_of} on {short}{} (iteration {iteration})",
                for_agent(agent.as_deref())
            ),
            agent.iter().cloned().collect(),
        ),
        Record::Approval { by, agent, .. } => (
            format!("approval by {by} on {short}{}", for_agent(agent.as_deref())),
            agent.iter().cloned().collect(),
        ),
    }
}

fn for_agent(agent: Option<&str>) -> String {
    agent.map(|a| format!(" for {a}")).unwrap_or_default()
}

fn mentions(summary: &str, name: &str) -> bool {
    summary
        .split(|c: char| c.is_whitespace() || c == ',' || c == ':')
        .any(|word| word == name)
}

fn changed_agents(
    repo: &gix::Repository,
    tree: ObjectId,
    parent: Option<ObjectId>,
) -> Result<Vec<String>, StateError> {
    let now = agent_blobs(repo, tree)?;
    let before = match parent {
        Some(parent) => agent_blobs(repo, parent)?,
        None => Vec::new(),
    };
    let mut touched: Vec<String> = now
        .iter()
        .filter(|(name, id)| !before.iter().any(|(n, i)| n == name && i == id))
        .map(|(name, _)| name.clone())
        .collect();
    touched.extend(
        before
            .iter()
            .filter(|(name, _)| !now.iter().any(|(n, _)| n == name))
            .map(|(n, _)| n.clone()),
    );
    Ok(touched)
}

fn agent_blobs(
    repo: &gix::Repository,
    tree: ObjectId,
) -> Result<Vec<(String, ObjectId)>, StateError> {
    let tree = repo
        .find_tree(tree)
        .map_err(|e| git_err("reading the state history", e))?;
    let Some(entry) = tree
        .iter()
        .filter_map(Result::ok)
        .find(|e| e.filename() == AGENTS_DIR && e.mode().is_tree())
        .map(|e| e.oid().to_owned())
    else {
        return Ok(Vec::new());
    };
    let agents = repo
        .find_tree(entry)
        .map_err(|e| git_err("reading the state history", e))?;
    Ok(agents
        .iter()
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.filename().to_string();
            name.strip_suffix(".json")
                .map(|n| (n.to_owned(), e.oid().to_owned()))
        })
        .collect())
}

fn git_err(doing: &str, err: impl std::fmt::Display) -> StateError {
    StateError::Cas(cas::CasError::Git(format!("{doing}: {err}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(kind: EntryKind, commit: &str, seconds: i64, after: Option<&str>) -> Timed {
        Timed {
            seconds,
            order: 0,
            after: after.map(str::to_owned),
            entry: LogEntry {
                commit: commit.to_owned(),
                kind,
                time: String::new(),
                author: String::new(),
                summary: commit.to_owned(),
                agents: Vec::new(),
            },
        }
    }

    fn order(states: Vec<Timed>, facts: Vec<Timed>) -> Vec<String> {
        interleave(states, facts)
            .into_iter()
            .map(|t| t.entry.summary)
            .collect()
    }

    #[test]
    fn facts_follow_the_state_they_were_recorded_after_within_one_second() {
        // Newest first, all in one second: init, spawn, then a test and an approval, then
        // the merge.
        let mut states = vec![
            entry(EntryKind::State, "merge", 5, None),
            entry(EntryKind::State, "spawn", 5, None),
            entry(EntryKind::State, "init", 5, None),
        ];
        for (order, state) in states.iter_mut().enumerate() {
            state.order = order;
        }
        let mut facts = vec![
            entry(EntryKind::Fact, "approval", 5, Some("spawn")),
            entry(EntryKind::Fact, "test", 5, Some("spawn")),
        ];
        for (order, fact) in facts.iter_mut().enumerate() {
            fact.order = order;
        }
        assert_eq!(
            order(states, facts),
            ["merge", "approval", "test", "spawn", "init"]
        );
    }

    #[test]
    fn facts_without_a_trailer_go_by_their_time() {
        let states = vec![
            entry(EntryKind::State, "later", 9, None),
            entry(EntryKind::State, "earlier", 3, None),
        ];
        let facts = vec![entry(EntryKind::Fact, "old fact", 5, None)];
        assert_eq!(order(states, facts), ["later", "old fact", "earlier"]);
    }
}
