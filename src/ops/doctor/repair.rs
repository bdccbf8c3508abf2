//! The single steps that repair drift, and how each is carried out.

use super::*;
use crate::progress::Progress;

/// One step that repairs a problem.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Repair {
    /// `git worktree unlock PATH`.
    Unlock {
        /// The worktree.
        path: PathBuf,
    },
    /// Drop the record of a worktree whose directory is gone.
    ForgetWorktree {
        /// The worktree.
        path: PathBuf,
    },
    /// Check `branch` out into a new worktree at `path`, provisioned like a spawned one.
    AddWorktree {
        /// The agent it is for.
        agent: String,
        /// Where.
        path: PathBuf,
        /// Which branch.
        branch: String,
    },
    /// Move a worktree to where the plan expects it.
    MoveWorktree {
        /// Where it is.
        from: PathBuf,
        /// Where the plan puts it.
        to: PathBuf,
    },
    /// Create `branch` at commit `at`.
    CreateBranch {
        /// The branch.
        branch: String,
        /// The commit.
        at: String,
    },
    /// Switch the clean worktree at `path` to `branch`.
    SwitchBranch {
        /// The worktree.
        path: PathBuf,
        /// The branch.
        branch: String,
    },
    /// Record in the state that the agent's work is merged into base.
    MarkMerged {
        /// The agent.
        agent: String,
        /// The base commit that holds its work.
        commit: String,
        /// The branch's last commit, when known.
        head: Option<String>,
    },
    /// Remove a temporary merge worktree's directory and git's record of it.
    RemoveScratch {
        /// The worktree.
        path: PathBuf,
        /// Git's record of it.
        record: PathBuf,
        /// The lock a killed merge left on it, when it is a kept checkout.
        #[serde(skip_serializing_if = "Option::is_none")]
        lock: Option<PathBuf>,
    },
    /// Put the agent back to planned, so `spawn` starts it afresh.
    ResetToPlanned {
        /// The agent.
        agent: String,
        /// Why, kept as a note on the agent.
        reason: String,
    },
    /// Remove the record (and exit status) of an agent's command that is no longer running.
    RemoveRunRecord {
        /// The agent.
        agent: String,
        /// The record.
        path: PathBuf,
    },
    /// Remove a lock file no running process holds, once it is stale.
    RemoveLock {
        /// The lock file.
        path: PathBuf,
    },
    /// Bring the base checkout up to base's tip, refusing over any file of the user's.
    UpdateBaseCheckout {
        /// The base branch.
        base: String,
        /// Its checkout.
        path: PathBuf,
    },
}

impl Repair {
    /// What the repair will do, in a few words.
    pub fn describe(&self) -> String {
        match self {
            Repair::Unlock { path } => format!("unlock worktree {}", path.display()),
            Repair::ForgetWorktree { path } => {
                format!("drop the record of deleted worktree {}", path.display())
            }
            Repair::AddWorktree { path, branch, .. } => {
                format!("check {branch} out again into {}", path.display())
            }
            Repair::MoveWorktree { from, to } => {
                format!("move worktree {} to {}", from.display(), to.display())
            }
            Repair::CreateBranch { branch, at } => format!(
                "re-create branch {branch} at {}, the head the state recorded",
                short(at)
            ),
            Repair::SwitchBranch { path, branch } => {
                format!("switch {} back to {branch}", path.display())
            }
            Repair::MarkMerged { agent, commit, .. } => {
                format!("mark {agent} merged (its work is in {})", short(commit))
            }
            Repair::RemoveScratch { path, .. } => {
                format!("remove merge worktree {}", path.display())
            }
            Repair::ResetToPlanned { agent, .. } => {
                format!("reset {agent} to planned, so spawn starts it afresh")
            }
            Repair::RemoveRunRecord { path, .. } => {
                format!("remove the stale record {}", path.display())
            }
            Repair::RemoveLock { path } => format!("remove the lock file {}", path.display()),
            Repair::UpdateBaseCheckout { base, path } => {
                format!("bring {base}'s checkout in {} up to date", path.display())
            }
        }
    }

    /// What the repair did, in a few words.
    pub fn done(&self) -> String {
        match self {
            Repair::Unlock { path } => format!("unlocked worktree {}", path.display()),
            Repair::ForgetWorktree { path } => {
                format!("dropped the record of deleted worktree {}", path.display())
            }
            Repair::AddWorktree { path, branch, .. } => {
                format!("checked {branch} out again into {}", path.display())
            }
            Repair::MoveWorktree { from, to } => {
                format!("moved worktree {} to {}", from.display(), to.display())
            }
            Repair::CreateBranch { branch, at } => format!(
                "re-created branch {branch} at {}, the head the state recorded",
                short(at)
            ),
            Repair::SwitchBranch { path, branch } => {
                format!("switched {} back to {branch}", path.display())
            }
            Repair::MarkMerged { agent, commit, .. } => {
                format!("marked {agent} merged (its work is in {})", short(commit))
            }
            Repair::RemoveScratch { path, .. } => {
                format!("removed merge worktree {}", path.display())
            }
            Repair::ResetToPlanned { agent, .. } => {
                format!("reset {agent} to planned; spawn it again to start over")
            }
            Repair::RemoveRunRecord { path, .. } => {
                format!("removed the stale record {}", path.display())
            }
            Repair::RemoveLock { path } => format!("lock file {} is gone", path.display()),
            Repair::UpdateBaseCheckout { base, path } => {
                format!("{base}'s checkout in {} is up to date", path.display())
            }
        }
    }

    /// Carry the repair out; `progress` hears about the long parts (a checkout, provisioning).
    pub fn apply(&self, ws: &Workspace, progress: &mut dyn Progress) -> Result<()> {
        let git = ws.git();
        match self {
            Repair::Unlock { path } => {
                git.run(["worktree".as_ref(), "unlock".as_ref(), path.as_os_str()])?;
            }
            Repair::ForgetWorktree { path } => {
                if path.exists() {
                    return Err(Error::Refused(format!(
                        "{} exists again; not dropping its record",
                        path.display()
                    )));
                }
                worktree::remove(&git, path, true)?;
            }
            Repair::AddWorktree {
                agent,
                path,
                branch,
            } => {
                let state = State::load(&ws.repo)?;
                crate::ops::check_worktree_path(ws, &state.plan, agent, path)?;
                let shown = path.strip_prefix(&ws.main_root).unwrap_or(path);
                progress.step(&format!("checking out {branch} into {}", shown.display()));
                worktree::add(&git, &ws.repo, path, branch)?;
                crate::ops::provision::provision(ws, agent, true, progress).map_err(|err| {
                    Error::External(format!(
                        "the worktree is back, but provisioning it failed: {err}"
                    ))
                })?;
            }
            Repair::MoveWorktree { from, to } => {
                let state = State::load(&ws.repo)?;
                crate::ops::check_worktree_path(ws, &state.plan, "the agent", to)?;
                if let Some(parent) = to.parent() {
                    fs_err::create_dir_all(parent).map_err(|e| {
                        Error::Usage(format!("cannot create {}: {e}", parent.display()))
                    })?;
                }
                git.run([
                    "worktree".as_ref(),
                    "move".as_ref(),
                    from.as_os_str(),
                    to.as_os_str(),
                ])?;
            }
            Repair::CreateBranch { branch, at } => worktree::create_branch(&git, branch, at)?,
            Repair::SwitchBranch { path, branch } => {
                Git::new(path).run(["switch", "--quiet", branch])?;
            }
            Repair::MarkMerged {
                agent,
                commit,
                head,
            } => {
                let note = self.done();
                update_agent(ws, agent, &format!("doctor: mark {agent} merged"), |doc| {
                    if !doc.status.is_active() {
                        return None;
                    }
                    doc.status = Status::Merged;
                    doc.merged_commit = Some(commit.clone());
                    if head.is_some() {
                        doc.head = head.clone();
                    }
                    doc.failure = None;
                    Some(note.clone())
                })?;
            }
            Repair::RemoveScratch { path, record, lock } => {
                let stale = crate::forge::StaleScratch {
                    label: String::new(),
                    path: path.clone(),
                    admin: record.clone(),
                    lock: lock.clone(),
                };
                crate::forge::remove_scratch(&stale).map_err(|e| {
                    Error::External(format!("cannot remove {}: {e}", path.display()))
                })?;
            }
            Repair::ResetToPlanned { agent, reason } => {
                update_agent(ws, agent, &format!("doctor: reset {agent}"), |doc| {
                    if !doc.status.is_active() {
                        return None;
                    }
                    doc.status = Status::Planned;
                    doc.head = None;
                    doc.base_commit = None;
                    doc.current_task = None;
                    doc.failure = None;
                    Some(format!("reset to planned: {reason}"))
                })?;
            }
            Repair::RemoveRunRecord { agent, .. } => {
                let dir = record::dir(&ws.common_dir);
                if let Ok(Some(found)) = record::RunRecord::read(&dir, agent)
                    && found.alive()
                {
                    return Err(Error::Refused(format!(
                        "{agent}'s command (pid {}) is running; not removing its record",
                        found.pid
                    )));
                }
                record::remove(&dir, agent).map_err(|e| Error::External(e.to_string()))?;
            }
            Repair::RemoveLock { path } => {
                let stale_after = crate::git::cas::stale_lock_age(&ws.repo);
                crate::git::locks::wait_for(
                    path,
                    stale_after,
                    &crate::git::locks::locked_name(path),
                )
                .map_err(|e| Error::External(e.to_string()))?;
            }
            Repair::UpdateBaseCheckout { base, .. } => {
                crate::forge::checked_out_clean(ws, base)?;
            }
        }
        Ok(())
    }
}

/// Change one agent's document and leave a note saying why; `change` returns the note,
/// or `None` when the document needs no change any more.
fn update_agent(
    ws: &Workspace,
    agent: &str,
    message: &str,
    change: impl Fn(&mut AgentState) -> Option<String>,
) -> Result<()> {
    let by = crate::git::cas::identity(&ws.repo)?;
    let at = crate::time::now_rfc3339();
    state::update::<_, Error>(&ws.repo, |state| {
        let doc = state
            .agent_mut(agent)
            .ok_or_else(|| Error::Usage(format!("{agent} was removed from the plan meanwhile")))?;
        if let Some(text) = change(doc) {
            doc.notes.push(Note {
                at: at.clone(),
                by: by.clone(),
                text: format!("doctor: {text}"),
            });
        }
        Ok((message.to_owned(), ()))
    })?;
    Ok(())
}
