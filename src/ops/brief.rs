//! `brief`: everything one agent needs to know about its work, as Markdown, so that no
//! file has to be written into its worktree.

use std::path::PathBuf;

use serde::Serialize;

use crate::error::Result;
use crate::git::workspace::Workspace;
use crate::plan::{MergeMethod, MergeSettings, format_hours};
use crate::state::{Note, State, Status};

/// One task as the brief lists it.
#[derive(Debug, Clone, Serialize)]
pub struct BriefTask {
    /// Its number, from 1.
    pub number: usize,
    /// What it is.
    pub title: String,
    /// The estimate in hours.
    pub hours: f64,
    /// Whether it is done.
    pub done: bool,
    /// Whether it is the task being worked on.
    pub current: bool,
}

/// One dependency and whether its work is in base yet.
#[derive(Debug, Clone, Serialize)]
pub struct BriefDependency {
    /// The agent depended on.
    pub name: String,
    /// What it is for.
    pub title: String,
    /// Where it is in its life.
    pub status: Status,
    /// Whether its work is merged into base.
    pub merged: bool,
}

/// An agent's brief: its work, what it waits for, and when its work may merge.
#[derive(Debug, Clone, Serialize)]
pub struct Brief {
    /// The agent.
    pub name: String,
    /// What it is for.
    pub title: String,
    /// Where it is in its life.
    pub status: Status,
    /// Its branch.
    pub branch: String,
    /// The branch it starts from and merges into.
    pub base: String,
    /// Its worktree as the plan gives it.
    pub worktree: String,
    /// Its worktree as an absolute path.
    pub worktree_path: PathBuf,
    /// The command `run` launches for it, if the plan gives one.
    pub command: Option<String>,
    /// Its tasks in order.
    pub tasks: Vec<BriefTask>,
    /// Hours of the tasks done.
    pub hours_done: f64,
    /// Hours of all tasks.
    pub hours_total: f64,
    /// Its direct dependencies, in plan order.
    pub dependencies: Vec<BriefDependency>,
    /// When its work may merge.
    pub merge: MergeSettings,
    /// The command that tests its work.
    pub test_command: Option<String>,
    /// The command that reviews its work.
    pub review_command: Option<String>,
    /// Why it failed, when it did.
    pub failure: Option<String>,
    /// Notes left on it, oldest first.
    pub notes: Vec<Note>,
    /// The port reserved for it, when the plan hands out ports.
    pub port: Option<u16>,
    /// What the review or the tests found short on its last delivery, to fix now.
    pub findings: Option<BriefFindings>,
    /// Remarks people left for it (`git agents comment`), oldest first.
    pub comments: Vec<Note>,
}

/// What the review or the tests found short, as the brief shows it.
#[derive(Debug, Clone, Serialize)]
pub struct BriefFindings {
    /// Which gate.
    pub kind: crate::state::FindingsKind,
    /// In one line.
    pub summary: String,
    /// The file holding all of it (`GIT_AGENTS_REVIEW_FILE` / `GIT_AGENTS_TEST_FILE`).
    pub file: String,
    /// What the reviewer or the tests printed (its last 200 lines).
    pub text: String,
}

/// How many lines of findings the brief shows.
const FINDINGS_LINES: usize = 200;

/// The brief of `agent`, or of the agent whose worktree the command runs in.
pub fn brief(ws: &Workspace, agent: Option<&str>) -> Result<Brief> {
    let state = State::load(&ws.repo)?;
    let name = super::infer_agent(ws, &state, agent)?;
    let spec = super::find_agent(&state, &name)?;
    let doc = state.document(&name);
    let done = &doc.done_tasks;
    let open = |number: usize| number <= spec.tasks.len() && !done.contains(&number);
    let current = doc
        .current_task
        .filter(|n| open(*n))
        .or_else(|| (1..=spec.tasks.len()).find(|n| open(*n)));
    let tasks = spec
        .tasks
        .iter()
        .enumerate()
        .map(|(index, task)| BriefTask {
            number: index + 1,
            title: task.title.clone(),
            hours: task.hours,
            done: done.contains(&(index + 1)),
            current: current == Some(index + 1) && !doc.status.is_merged(),
        })
        .collect();
    let dependencies = spec
        .depends_on
        .iter()
        .map(|dependency| {
            let status = state
                .agent(dependency)
                .map(|d| d.status)
                .unwrap_or(Status::Planned);
            BriefDependency {
                name: dependency.clone(),
                title: state
                    .plan
                    .agent(dependency)
                    .map(|d| d.title.clone())
                    .unwrap_or_default(),
                status,
                merged: status.is_merged(),
            }
        })
        .collect();
    Ok(Brief {
        name: name.clone(),
        title: spec.title.clone(),
        status: doc.status,
        branch: spec.branch.clone(),
        base: state.base().to_owned(),
        worktree: spec.worktree.clone(),
        worktree_path: ws.resolve(&spec.worktree),
        command: spec.command.clone(),
        tasks,
        hours_done: spec
            .tasks
            .iter()
            .enumerate()
            .filter(|(index, _)| done.contains(&(index + 1)))
            .map(|(_, t)| t.hours)
            .sum(),
        hours_total: spec.total_hours(),
        dependencies,
        merge: state.plan.merge.clone(),
        test_command: state.plan.test_command.clone(),
        review_command: state.plan.review_command.clone(),
        failure: doc.failure.clone(),
        notes: doc.notes.clone(),
        port: doc.port,
        comments: doc.comments.clone(),
        findings: doc.findings.as_ref().map(|f| {
            let text = std::fs::read_to_string(&f.file).unwrap_or_default();
            let lines: Vec<&str> = text.lines().collect();
            BriefFindings {
                kind: f.kind,
                summary: f.summary.clone(),
                file: f.file.clone(),
                text: lines[lines.len().saturating_sub(FINDINGS_LINES)..].join("\n"),
            }
        }),
    })
}

impl Brief {
    /// The brief as a Markdown document.
    pub fn to_markdown(&self) -> String {
        let mut md = String::new();
        if self.title.is_empty() {
            md.push_str(&format!("# {}\n\n", self.name));
        } else {
            md.push_str(&format!("# {}: {}\n\n", self.name, self.title));
        }
        md.push_str(&format!("- **Agent:** `{}`\n", self.name));
        md.push_str(&format!("- **Status:** {}\n", self.status));
        md.push_str(&format!(
            "- **Branch:** `{}` (from and into `{}`)\n",
            self.branch, self.base
        ));
        md.push_str(&format!(
            "- **Worktree:** `{}`\n",
            self.worktree_path.display()
        ));
        if let Some(command) = &self.command {
            md.push_str(&format!("- **Command:** `{command}`\n"));
        }
        if let Some(port) = self.port {
            md.push_str(&format!(
                "- **Port:** {port} (yours alone; also in `$GIT_AGENTS_PORT`)\n"
            ));
        }
        let done = self.tasks.iter().filter(|t| t.done).count();
        md.push_str(&format!(
            "- **Progress:** {done}/{} tasks, {} of {}\n",
            self.tasks.len(),
            format_hours(self.hours_done),
            format_hours(self.hours_total)
        ));
        if let Some(failure) = &self.failure {
            md.push_str(&format!("- **Failed:** {}\n", one_line(failure)));
        }

        if let Some(findings) = &self.findings {
            let heading = match findings.kind {
                crate::state::FindingsKind::Review => "Review findings",
                crate::state::FindingsKind::Tests => "Test failures",
            };
            md.push_str(&format!(
                "\n## {heading}\n\n{}. Fix what they say, commit, and finish again; all of it is in `{}`.\n\n",
                one_line(&findings.summary),
                findings.file
            ));
            let longest_run = findings
                .text
                .split(|c| c != '`')
                .map(str::len)
                .max()
                .unwrap_or(0);
            let fence = "`".repeat(longest_run.max(2) + 1);
            md.push_str(&format!("{fence}\n{}\n{fence}\n", findings.text.trim_end()));
        }

        if !self.comments.is_empty() {
            md.push_str("\n## Comments\n\n");
            for comment in &self.comments {
                md.push_str(&format!(
                    "- {} ({}): {}\n",
                    comment.by,
                    comment.at,
                    comment.text.trim().replace('\n', "\n  ")
                ));
            }
        }

        md.push_str("\n## Tasks\n\n");
        if self.tasks.is_empty() {
            md.push_str("No tasks are planned.\n");
        }
        for task in &self.tasks {
            md.push_str(&format!(
                "- [{}] {}. {} ({}){}\n",
                if task.done { "x" } else { " " },
                task.number,
                task.title,
                format_hours(task.hours),
                if task.current { " **← current**" } else { "" }
            ));
        }

        md.push_str("\n## Dependencies\n\n");
        if self.dependencies.is_empty() {
            md.push_str("None: this work can start at once.\n");
        }
        for dependency in &self.dependencies {
            let title = if dependency.title.is_empty() {
                String::new()
            } else {
                format!(" ({})", dependency.title)
            };
            let state = if dependency.merged {
                "merged".to_owned()
            } else {
                format!("not merged yet ({})", dependency.status)
            };
            md.push_str(&format!("- `{}`{title}: {state}\n", dependency.name));
        }
        let waiting = self.dependencies.iter().filter(|d| !d.merged).count();
        if waiting > 0 {
            md.push_str(&format!(
                "\n{waiting} dependenc{} not in `{}` yet: their work is not on your branch.\n",
                if waiting == 1 { "y is" } else { "ies are" },
                self.base
            ));
        }

        md.push_str("\n## Merge criteria\n\n");
        md.push_str(&format!(
            "Your work merges into `{}` by {} when all of these hold on the branch's head commit:\n\n",
            self.base,
            match self.merge.method {
                MergeMethod::Squash => "squash",
                MergeMethod::Merge => "a merge commit",
                MergeMethod::Rebase => "rebase",
            }
        ));
        if self.merge.require_tests {
            match &self.test_command {
                Some(command) => md.push_str(&format!("- tests pass (`{command}`)\n")),
                None => md.push_str("- tests pass\n"),
            }
        }
        if self.merge.review_threshold > 0 {
            md.push_str(&format!(
                "- review score at least {}/10{} (at most {} review iterations)\n",
                self.merge.review_threshold,
                self.review_command
                    .as_deref()
                    .map(|c| format!(" from `{c}`"))
                    .unwrap_or_default(),
                self.merge.max_review_iterations
            ));
        }
        if self.merge.approvals > 0 {
            md.push_str(&format!(
                "- {} approval{}\n",
                self.merge.approvals,
                if self.merge.approvals == 1 { "" } else { "s" }
            ));
        }
        md.push_str("- no merge conflicts with the base branch\n");
        md.push_str("- every dependency merged\n");

        if !self.notes.is_empty() {
            md.push_str("\n## Notes\n\n");
            for note in &self.notes {
                md.push_str(&format!(
                    "- {} ({}, {})\n",
                    one_line(&note.text),
                    note.by,
                    note.at
                ));
            }
        }

        md.push_str("\n## Reporting back\n\n");
        md.push_str(&format!(
            "Run these inside your worktree (anywhere else in the repository, add `--agent {}`):\n\n",
            self.name
        ));
        md.push_str("- `git agents task start N`: you begin task N\n");
        md.push_str("- `git agents task done N`: task N is finished\n");
        md.push_str(
            "- `git agents update --note \"TEXT\"`: leave a note for the people watching\n",
        );
        md.push_str("- `git agents update --status review`: every task is done and the work is ready for review\n");
        md.push_str("- `git agents update --status failed --note \"WHY\"`: you cannot finish\n");
        md.push_str("- `git agents brief`: print this brief again\n");
        md
    }
}

fn one_line(text: &str) -> &str {
    text.lines().next().unwrap_or("")
}
