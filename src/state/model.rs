//! The per-agent status document, `agents/<name>.json`.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

/// Where an agent is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// In the plan, not started.
    Planned,
    /// Branch and worktree exist; work is under way.
    InProgress,
    /// Work is done and being reviewed.
    Review,
    /// A pull request is open.
    PrOpen,
    /// The work is merged into base.
    Merged,
    /// Merged and cleaned up: worktree removed, branch deleted.
    Completed,
    /// The agent's work failed; see `failure`.
    Failed,
    /// Given up; its work will not merge.
    Abandoned,
}

impl Status {
    /// Every status, in life order.
    pub const ALL: [Status; 8] = [
        Status::Planned,
        Status::InProgress,
        Status::Review,
        Status::PrOpen,
        Status::Merged,
        Status::Completed,
        Status::Failed,
        Status::Abandoned,
    ];

    /// The spelling used in JSON and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Planned => "planned",
            Status::InProgress => "in_progress",
            Status::Review => "review",
            Status::PrOpen => "pr_open",
            Status::Merged => "merged",
            Status::Completed => "completed",
            Status::Failed => "failed",
            Status::Abandoned => "abandoned",
        }
    }

    /// Read a status from its spelling (`in-progress` is accepted for `in_progress`).
    pub fn parse(text: &str) -> Option<Status> {
        let wanted = text.trim().to_ascii_lowercase().replace('-', "_");
        Status::ALL.into_iter().find(|s| s.as_str() == wanted)
    }

    /// Whether the agent's work is in base (merged, or merged and cleaned up).
    pub fn is_merged(self) -> bool {
        matches!(self, Status::Merged | Status::Completed)
    }

    /// Whether the agent has a branch and worktree that may be worked in.
    pub fn is_active(self) -> bool {
        matches!(
            self,
            Status::InProgress | Status::Review | Status::PrOpen | Status::Failed
        )
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A pull request for the agent's branch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullRequest {
    /// Which forge holds it: `github` or `local`.
    pub forge: String,
    /// Its number.
    pub number: u64,
    /// Where to see it.
    pub url: String,
    /// Whether it is a draft, not to be merged yet.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub draft: bool,
    /// Whether the forge's merge queue holds it, to merge once the queue's checks pass.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub queued: bool,
}

/// A free-text note an agent or person left, as `update --note` records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    /// When it was written.
    pub at: String,
    /// Who wrote it.
    pub by: String,
    /// What it says.
    pub text: String,
}

/// An agent's status document. Task done marks live here, not in the plan, so that
/// reporting progress never touches the plan document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentState {
    /// Where the agent is in its life.
    pub status: Status,
    /// The task being worked on, numbered from 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_task: Option<usize>,
    /// Numbers (from 1) of the tasks that are done.
    #[serde(default)]
    pub done_tasks: BTreeSet<usize>,
    /// The branch head when last recorded (spawn, merge).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub head: Option<String>,
    /// The base commit the branch started from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_commit: Option<String>,
    /// The pull request, once opened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pr: Option<PullRequest>,
    /// The commit on base that holds the agent's work, once merged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged_commit: Option<String>,
    /// Why the agent failed, when it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
    /// Notes left with `update --note`, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<Note>,
    /// Remarks people left for the agent with `comment`, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub comments: Vec<Note>,
    /// When this document last changed.
    #[serde(default)]
    pub updated_at: String,
    /// Who changed it last.
    #[serde(default)]
    pub updated_by: String,
    /// The port reserved for the agent when the plan hands out ports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// How the worktree's setup command last went.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub setup: Option<HookRun>,
    /// What the tests or the review found short when `run` last delivered the agent's
    /// work; its command is launched again with them, until they pass.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub findings: Option<Findings>,
    /// Which machine's run holds the agent, when runs on several machines share the fleet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claim: Option<Claim>,
}

/// A machine's hold on an agent in a fleet shared through a remote: only the holder
/// launches the agent's command, and it renews the lease while the agent is unmerged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claim {
    /// The machine's readable name.
    pub machine: String,
    /// The machine's stable id (one per clone).
    pub machine_id: String,
    /// Which run on it: process id and start time.
    pub run: String,
    /// When this machine claimed the agent.
    pub since: String,
    /// When the lease was last renewed.
    pub renewed: String,
    /// When the lease runs out unless renewed again.
    pub expires: String,
    /// The machine it was taken over from, when its lease had run out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub took_over_from: Option<String>,
}

impl Claim {
    /// Whether the lease has run out at `now` (Unix seconds).
    pub fn expired_at(&self, now: i64) -> bool {
        crate::time::parse_rfc3339(&self.expires).is_none_or(|expires| expires <= now)
    }

    /// Seconds since the lease was last renewed, at `now`.
    pub fn age_at(&self, now: i64) -> Option<i64> {
        crate::time::parse_rfc3339(&self.renewed).map(|renewed| (now - renewed).max(0))
    }
}

/// What a delivery found short, handed to the agent's command on its next launch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Findings {
    /// Which gate fell short.
    pub kind: FindingsKind,
    /// In one line: "review 6/10, short of 10", "tests fail on 1a2b3c4d5e6f".
    pub summary: String,
    /// The file holding what the reviewer or the tests printed.
    pub file: String,
    /// How many times the command was launched again for findings so far.
    pub launches: u32,
}

/// The gate whose findings an agent is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingsKind {
    /// The review scored below the threshold.
    Review,
    /// The tests failed.
    Tests,
}

/// One run of the setup command in an agent's new worktree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HookRun {
    /// The command as run, placeholders filled in.
    pub command: String,
    /// Whether it exited 0.
    pub passed: bool,
    /// Its exit code (none when killed by a signal or not started).
    pub exit_code: Option<i32>,
    /// The log of its output, under the git directory.
    pub log: String,
    /// When it finished.
    pub at: String,
    /// The last lines of its output, when it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tail: Option<String>,
}

impl AgentState {
    /// A freshly planned agent.
    pub fn planned() -> AgentState {
        AgentState {
            status: Status::Planned,
            current_task: None,
            done_tasks: BTreeSet::new(),
            head: None,
            base_commit: None,
            pr: None,
            merged_commit: None,
            failure: None,
            notes: Vec::new(),
            comments: Vec::new(),
            updated_at: String::new(),
            updated_by: String::new(),
            port: None,
            setup: None,
            findings: None,
            claim: None,
        }
    }
}
