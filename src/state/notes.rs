//! Facts about specific commits — test runs, review scores, approvals — kept as git notes
//! on `refs/notes/agents`, one JSON object per line.
//!
//! A note is appended to, never replaced, so lines written by other tools stay as they
//! were and `git notes --ref agents show COMMIT` stays readable. Writes go through the
//! same compare-and-swap as the state ref.

use gix::ObjectId;
use gix::object::tree::EntryKind;
use serde::{Deserialize, Serialize};

use crate::git::cas::{self, CasError, Step};

/// The notes ref git-agents writes to.
pub const NOTES_REF: &str = "refs/notes/agents";

/// The trailer of a notes commit naming the state commit that was current when the fact
/// was recorded.
pub const STATE_TRAILER: &str = "State";

/// One fact about a commit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Record {
    /// A test run on the commit.
    Test {
        /// Whether the tests passed.
        passing: bool,
        /// The command's exit code (none when killed by a signal).
        exit_code: Option<i32>,
        /// The command that ran.
        command: String,
        /// The command's argument vector, when it was given as one rather than a shell string.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        argv: Option<Vec<String>>,
        /// How long it ran, in milliseconds.
        duration_ms: u64,
        /// When it finished.
        at: String,
        /// The agent it ran for.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        agent: Option<String>,
        /// The merged result it ran on, when the local forge tested this commit merged
        /// onto base rather than the commit alone.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        merged_result: Option<String>,
    },
    /// A review of the commit.
    Review {
        /// The score given.
        score: u32,
        /// The best possible score.
        out_of: u32,
        /// Which review iteration this was, from 1.
        iteration: u32,
        /// The command that reviewed.
        command: String,
        /// When it finished.
        at: String,
        /// The agent it ran for.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        agent: Option<String>,
    },
    /// An approval of the commit.
    Approval {
        /// Who approved.
        by: String,
        /// When.
        at: String,
        /// The agent whose work was approved.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        agent: Option<String>,
    },
}

/// The latest facts recorded on one commit.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Summary {
    /// The latest test run.
    pub test: Option<Record>,
    /// The latest review.
    pub review: Option<Record>,
    /// Every approval, one per approver.
    pub approvals: Vec<String>,
    /// How many review iterations are recorded.
    pub review_iterations: u32,
}

impl Summary {
    /// Whether the latest test run passed; `None` when none is recorded.
    pub fn tests_passing(&self) -> Option<bool> {
        match &self.test {
            Some(Record::Test { passing, .. }) => Some(*passing),
            _ => None,
        }
    }

    /// The latest review score; `None` when none is recorded.
    pub fn review_score(&self) -> Option<u32> {
        match &self.review {
            Some(Record::Review { score, .. }) => Some(*score),
            _ => None,
        }
    }
}

/// Read every record on `commit`, oldest first; lines that are not ours are skipped.
pub fn read(repo: &gix::Repository, commit: ObjectId) -> Result<Vec<Record>, CasError> {
    Reader::open(repo)?.read(commit)
}

/// The latest facts on `commit`.
pub fn summary(repo: &gix::Repository, commit: ObjectId) -> Result<Summary, CasError> {
    Reader::open(repo)?.summary(commit)
}

/// Reads notes from one snapshot of the notes ref, for looking up many commits cheaply;
/// each commit's note is read once however many agents share it.
pub struct Reader<'r> {
    repo: &'r gix::Repository,
    commit: Option<ObjectId>,
    tree: Option<ObjectId>,
    seen: std::cell::RefCell<std::collections::HashMap<ObjectId, Summary>>,
}

impl<'r> Reader<'r> {
    /// Read the notes ref's tip once.
    pub fn open(repo: &'r gix::Repository) -> Result<Reader<'r>, CasError> {
        let tip = cas::read_tip(repo, NOTES_REF)?;
        Ok(Reader {
            repo,
            commit: tip.as_ref().map(|t| t.commit),
            tree: tip.map(|t| t.tree),
            seen: Default::default(),
        })
    }

    /// The notes commit this reader reads from, if there are notes at all.
    pub fn commit(&self) -> Option<ObjectId> {
        self.commit
    }

    /// Every record on `commit`, oldest first.
    pub fn read(&self, commit: ObjectId) -> Result<Vec<Record>, CasError> {
        let Some(tree) = self.tree else {
            return Ok(Vec::new());
        };
        let Some((_, blob)) = find_note(self.repo, tree, commit)? else {
            return Ok(Vec::new());
        };
        let data = cas::find_object(self.repo, blob)
            .map_err(|e| git_err("reading a note", e))?
            .ok_or_else(|| git_err("reading a note", format!("object {blob} is missing")))?
            .detach()
            .data;
        Ok(parse_records(&data))
    }

    /// The latest facts on `commit`.
    pub fn summary(&self, commit: ObjectId) -> Result<Summary, CasError> {
        if let Some(summary) = self.seen.borrow().get(&commit) {
            return Ok(summary.clone());
        }
        let summary = summarize(&self.read(commit)?);
        self.seen.borrow_mut().insert(commit, summary.clone());
        Ok(summary)
    }
}

/// Fold `records` (oldest first) into the latest facts.
pub fn summarize(records: &[Record]) -> Summary {
    let mut summary = Summary::default();
    for record in records {
        match record {
            Record::Test { .. } => summary.test = Some(record.clone()),
            Record::Review { .. } => {
                summary.review_iterations += 1;
                summary.review = Some(record.clone());
            }
            Record::Approval { by, .. } => {
                if !summary.approvals.contains(by) {
                    summary.approvals.push(by.clone());
                }
            }
        }
    }
    summary
}

/// Append `record` to the note on `commit`, keeping whatever the note already says.
pub fn append(repo: &gix::Repository, commit: ObjectId, record: &Record) -> Result<(), CasError> {
    let line = serde_json::to_string(record).map_err(|e| git_err("encoding a note", e))?;
    let kind = match record {
        Record::Test { .. } => "test",
        Record::Review { .. } => "review",
        Record::Approval { .. } => "approval",
    };
    // The state this fact follows, as a trailer, so the audit log can place the fact
    // between state changes made within the same second.
    let after = cas::read_tip(repo, super::STATE_REF)?
        .map(|tip| format!("\n\n{STATE_TRAILER}: {}", tip.commit))
        .unwrap_or_default();
    let message = format!("{kind} {}{after}", commit.to_hex_with_len(12));
    cas::update(repo, NOTES_REF, |tip| -> Result<Step<()>, CasError> {
        let base_tree = tip
            .map(|t| t.tree)
            .unwrap_or_else(|| ObjectId::empty_tree(repo.object_hash()));
        let existing = find_note(repo, base_tree, commit)?;
        let (path, mut text) = match existing {
            Some((path, blob)) => (
                path,
                cas::find_object(repo, blob)
                    .map_err(|e| git_err("reading a note", e))?
                    .ok_or_else(|| git_err("reading a note", format!("object {blob} is missing")))?
                    .detach()
                    .data,
            ),
            None => (commit.to_string(), Vec::new()),
        };
        if !text.is_empty() && !text.ends_with(b"\n") {
            text.push(b'\n');
        }
        text.extend_from_slice(line.as_bytes());
        text.push(b'\n');
        let blob = cas::retry_object_write(|| repo.write_blob(&text))
            .map_err(|e| git_err("writing a note", e))?;
        let mut editor = repo
            .edit_tree(base_tree)
            .map_err(|e| git_err("editing the notes tree", e))?;
        editor
            .upsert(path.as_str(), EntryKind::Blob, blob)
            .map_err(|e| git_err("editing the notes tree", e))?;
        let tree = cas::retry_object_write(|| editor.write())
            .map_err(|e| git_err("writing the notes tree", e))?
            .detach();
        Ok(Step::Commit {
            tree,
            message: message.clone(),
            value: (),
        })
    })?;
    Ok(())
}

/// Parse the lines of a note that are records of ours.
pub fn parse_records(data: &[u8]) -> Vec<Record> {
    String::from_utf8_lossy(data)
        .lines()
        .filter_map(|line| serde_json::from_str::<Record>(line.trim()).ok())
        .collect()
}

/// Where the note for `commit` lives in the notes tree (flat or with git's fan-out
/// directories), and its blob.
fn find_note(
    repo: &gix::Repository,
    tree: ObjectId,
    commit: ObjectId,
) -> Result<Option<(String, ObjectId)>, CasError> {
    let hex = commit.to_string();
    let candidates = [
        hex.clone(),
        format!("{}/{}", &hex[..2], &hex[2..]),
        format!("{}/{}/{}", &hex[..2], &hex[2..4], &hex[4..]),
    ];
    let tree = cas::find_tree(repo, tree).map_err(|e| git_err("reading the notes tree", e))?;
    for path in candidates {
        if let Some(entry) = tree
            .lookup_entry_by_path(path.as_str())
            .map_err(|e| git_err("reading the notes tree", e))?
            && entry.mode().is_blob()
        {
            return Ok(Some((path, entry.object_id())));
        }
    }
    Ok(None)
}

fn git_err(doing: &str, err: impl std::fmt::Display) -> CasError {
    CasError::Git(format!("{doing}: {err}"))
}
