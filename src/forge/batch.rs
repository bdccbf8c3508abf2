//! Batched merges on the local forge: several ready PRs laid onto base one after
//! another, tested once together, and landed with a single compare-and-swap of base.
//!
//! Each entry is laid with its own merge method onto the commit the entry before it
//! produced, so a squash batch leaves one commit per agent on base, in queue order, and
//! every agent keeps its own merged commit. When the tests fail on the whole stack, the
//! stack is bisected by prefix: the culprit is the entry whose addition turns a passing
//! prefix into a failing one. The entries before it land, the culprit is set aside with
//! the failing output, and the entries after it are laid again onto the passing prefix
//! and tested together; this repeats until a stack passes or nothing is left. With tests
//! that depend only on the code, the result is what merging one at a time would give,
//! in at most about log₂ N extra test runs per culprit.
//!
//! An entry that conflicts with the stack laid before it is set aside the same way
//! (it is laid again if a culprit before it is taken out). Nothing moves until the
//! final stack is known: a conflict, failing tests or a moved base leave every ref
//! and worktree as they were.

use crate::progress::Progress;
use std::collections::BTreeMap;

use serde::Serialize;

use super::local::{
    TAIL_LINES, exit_text, scratch_env, short, test_in_scratch_worktree, tested_on_head,
};
use super::{ForgeError, Local, MergeOutcome, MergeRequest, advance_base, checked_out_clean};
use crate::git::workspace::Workspace;
use crate::git::worktree;
use crate::process::runner::{CommandLine, Finished};

/// Why an entry of a batch did not land.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Rejection {
    /// It conflicts with the entries laid before it.
    Conflict {
        /// The entries laid before it on base.
        after: Vec<String>,
        /// The files that conflict.
        files: Vec<String>,
    },
    /// The tests pass on the entries before it and fail once it is added.
    TestsFailed {
        /// The entries laid before it on base, whose stack passes.
        after: Vec<String>,
        /// The test command.
        command: String,
        /// How the command exited.
        exit: String,
        /// The end of its output.
        tail: String,
    },
    /// Its pre-merge command failed.
    PreMergeFailed {
        /// The command as run.
        command: String,
        /// How it exited.
        exit: String,
        /// Where its output is.
        log: String,
        /// The end of its output.
        tail: String,
    },
    /// Its branch moved after its criteria were judged.
    Moved {
        /// The head its criteria were judged on.
        expected: String,
    },
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let after = |names: &[String]| {
            if names.is_empty() {
                String::new()
            } else {
                format!(" after {}", names.join(", "))
            }
        };
        match self {
            Rejection::Conflict {
                after: names,
                files,
            } => write!(
                f,
                "conflicts when merged{} in {}",
                after(names),
                files.join(", ")
            ),
            Rejection::TestsFailed {
                after: names,
                command,
                exit,
                ..
            } => write!(
                f,
                "tests fail when it is merged{} (`{command}` exited {exit}), and pass without it",
                after(names)
            ),
            Rejection::PreMergeFailed { exit, log, .. } => write!(
                f,
                "its pre-merge command failed (exited {exit}); its output is in {log}"
            ),
            Rejection::Moved { expected } => write!(
                f,
                "its branch moved while merging (expected {}); check the criteria again",
                short(expected)
            ),
        }
    }
}

/// What a batch did.
#[derive(Debug, Clone, Default)]
pub struct BatchOutcome {
    /// The entries that landed, in the order laid on base, each with its outcome.
    pub landed: Vec<(String, MergeOutcome)>,
    /// The entries set aside, each with why.
    pub rejected: Vec<(String, Rejection)>,
    /// How many times the test command ran.
    pub test_runs: usize,
}

/// Merge every request in `requests` (all into the same base, in queue order) as one
/// batch as described in the module docs; `test` runs on each stack tried, `None`
/// lands the stack untested.
pub fn merge_batch(
    ws: &Workspace,
    requests: &[MergeRequest],
    test: Option<&CommandLine>,
    progress: &mut dyn Progress,
) -> Result<BatchOutcome, ForgeError> {
    let mut outcome = BatchOutcome {
        landed: Vec::new(),
        rejected: Vec::new(),
        test_runs: 0,
    };
    let Some(first) = requests.first() else {
        return Ok(outcome);
    };
    let base = first.base.clone();
    let git = ws.git();
    let old = worktree::branch_tip(&ws.repo, &base)?
        .ok_or_else(|| {
            ForgeError::Refused(format!(
                "base branch {base} does not exist; create it or change the plan's base"
            ))
        })?
        .to_string();
    checked_out_clean(ws, &base)?;
    let mut pending = Vec::new();
    for (index, request) in requests.iter().enumerate() {
        let tip = worktree::branch_tip(&ws.repo, &request.branch)?.map(|id| id.to_string());
        if tip.as_deref() == Some(request.head.as_str()) {
            pending.push(index);
        } else {
            outcome.rejected.push((
                request.agent.clone(),
                Rejection::Moved {
                    expected: request.head.clone(),
                },
            ));
        }
    }
    let mut tester = Tester {
        ws,
        requests,
        command: test,
        runs: 0,
        passed: None,
    };
    let mut good_tip = old.clone();
    let mut good: Vec<Laid> = Vec::new();
    let mut base_checked = false;
    let mut conflicts: BTreeMap<usize, Rejection> = BTreeMap::new();
    while !pending.is_empty() {
        let stack = lay_all(
            &Local,
            &git,
            &good_tip,
            &pending,
            &good,
            requests,
            &mut conflicts,
        )?;
        let Some(top) = stack.last() else {
            break;
        };
        crate::fault::point(crate::fault::AFTER_MERGE_BUILT);
        let names = names_of(requests, stack.iter().map(|l| l.index));
        progress.step(&match test {
            Some(command) => format!(
                "testing {} together on {base} with `{}`",
                names.join(", "),
                command.display()
            ),
            None => format!("merging {} together into {base}", names.join(", ")),
        });
        let Some(failed) = tester.run(&stack, top, progress)? else {
            good.extend(stack);
            break;
        };
        let (culprit_at, failure) = bisect(&mut tester, &stack, failed, progress)?;
        if culprit_at == 0 && good.is_empty() && !base_checked {
            base_checked = true;
            progress.step(&format!("checking that the tests pass on {base} itself"));
            if let Some(broken) = tester.run_on(&old, &[], progress)? {
                return Err(ForgeError::Refused(format!(
                    "tests fail on {base} itself (`{}` exited {}), so no batch can pass; fix {base} first, nothing was merged{}",
                    tester.display(),
                    exit_text(&broken),
                    tail_text(&broken)
                )));
            }
        }
        let mut stack = stack;
        let rest: Vec<Laid> = stack.split_off(culprit_at);
        let mut rest = rest.into_iter();
        let culprit = rest.next().ok_or_else(|| {
            ForgeError::Refused("a failing batch has no entry to blame".to_owned())
        })?;
        good.extend(stack);
        if let Some(last) = good.last() {
            good_tip = last.commit.clone();
        }
        outcome.rejected.push((
            requests[culprit.index].agent.clone(),
            Rejection::TestsFailed {
                after: names_of(requests, good.iter().map(|l| l.index)),
                command: tester.display(),
                exit: exit_text(&failure),
                tail: failure.tail(TAIL_LINES),
            },
        ));
        pending = rest.map(|l| l.index).collect();
        pending.extend(conflicts.keys().copied());
        pending.sort_unstable();
        conflicts.clear();
    }
    for (index, rejection) in conflicts {
        outcome
            .rejected
            .push((requests[index].agent.clone(), rejection));
    }
    outcome.test_runs = tester.runs;
    let Some(new) = good.last().map(|l| l.commit.clone()) else {
        return Ok(outcome);
    };
    if new != old {
        let names = names_of(requests, good.iter().map(|l| l.index));
        advance_base(
            ws,
            &base,
            &old,
            &new,
            &format!("git agents queue run --batch: {}", names.join(", ")),
            first.publish.as_ref(),
        )?;
        crate::fault::point(crate::fault::AFTER_BASE_MOVED);
    }
    let tested_with = test.map(CommandLine::display);
    let good_top = good.last().map(|l| l.commit.clone());
    for laid in good {
        outcome.landed.push((
            requests[laid.index].agent.clone(),
            MergeOutcome {
                queued: false,
                tested_on: tester
                    .passed
                    .clone()
                    .filter(|(commit, _)| Some(commit) == good_top.as_ref()),
                merged_commit: Some(laid.commit),
                already_in_base: !laid.changed,
                tested_with: tested_with.clone(),
                warnings: Vec::new(),
            },
        ));
    }
    Ok(outcome)
}

/// One entry laid on the stack.
#[derive(Debug, Clone)]
struct Laid {
    /// Its index in the requests.
    index: usize,
    /// The stack's tip once it is laid.
    commit: String,
    /// Whether it added anything.
    changed: bool,
}

/// Lay every pending entry onto `onto` in order; entries that conflict go to `conflicts`.
fn lay_all(
    local: &Local,
    git: &crate::git::Git,
    onto: &str,
    pending: &[usize],
    good: &[Laid],
    requests: &[MergeRequest],
    conflicts: &mut BTreeMap<usize, Rejection>,
) -> Result<Vec<Laid>, ForgeError> {
    let mut stack: Vec<Laid> = Vec::new();
    let mut tip = onto.to_owned();
    for &index in pending {
        match local.lay(git, &tip, &requests[index]) {
            Ok(Some((commit, _))) => {
                tip = commit.clone();
                stack.push(Laid {
                    index,
                    commit,
                    changed: true,
                });
            }
            Ok(None) => stack.push(Laid {
                index,
                commit: tip.clone(),
                changed: false,
            }),
            Err(ForgeError::Conflict { files, .. }) => {
                let after = names_of(requests, good.iter().chain(&stack).map(|l| l.index));
                conflicts.insert(index, Rejection::Conflict { after, files });
            }
            Err(err) => return Err(err),
        }
    }
    Ok(stack)
}

/// Find the first prefix of `stack` that fails, knowing the whole stack fails with
/// `failed` and the empty prefix passes: the culprit's position and its failing run.
fn bisect(
    tester: &mut Tester<'_>,
    stack: &[Laid],
    failed: Finished,
    progress: &mut dyn Progress,
) -> Result<(usize, Finished), ForgeError> {
    let (mut passing, mut failing) = (0, stack.len());
    let mut failure = failed;
    while failing - passing > 1 {
        let middle = passing + (failing - passing) / 2;
        let prefix = &stack[..middle];
        progress.step(&format!(
            "bisecting: testing the first {middle} of {}",
            stack.len()
        ));
        match tester.run(prefix, &prefix[middle - 1], progress)? {
            None => passing = middle,
            Some(finished) => {
                failing = middle;
                failure = finished;
            }
        }
    }
    Ok((failing - 1, failure))
}

/// Runs the test command on stacks and counts the runs.
struct Tester<'a> {
    ws: &'a Workspace,
    requests: &'a [MergeRequest],
    command: Option<&'a CommandLine>,
    runs: usize,
    /// The last commit the tests passed on, and how long they took (milliseconds).
    passed: Option<(String, u64)>,
}

impl Tester<'_> {
    fn display(&self) -> String {
        self.command.map(CommandLine::display).unwrap_or_default()
    }

    /// Test the stack whose top entry is `top`: `None` when it passes (or there is no
    /// test command), else the failing run.
    fn run(
        &mut self,
        stack: &[Laid],
        top: &Laid,
        progress: &mut dyn Progress,
    ) -> Result<Option<Finished>, ForgeError> {
        if let [only] = stack
            && let Some(command) = self.command
            && tested_on_head(
                &self.ws.git(),
                &self.requests[only.index],
                &only.commit,
                command,
            )?
        {
            return Ok(None);
        }
        let mut env = scratch_env(&self.requests[top.index], &top.commit);
        let names = names_of(self.requests, stack.iter().map(|l| l.index));
        env.push(("GIT_AGENTS_BATCH", names.join(" ")));
        self.run_on(&top.commit, &env, progress)
    }

    fn run_on(
        &mut self,
        commit: &str,
        env: &[(&'static str, String)],
        progress: &mut dyn Progress,
    ) -> Result<Option<Finished>, ForgeError> {
        let Some(command) = self.command else {
            return Ok(None);
        };
        self.runs += 1;
        let finished = test_in_scratch_worktree(self.ws, commit, command, "batch", env, progress)?;
        if finished.success() {
            self.passed = Some((
                commit.to_owned(),
                u64::try_from(finished.duration.as_millis()).unwrap_or(u64::MAX),
            ));
            return Ok(None);
        }
        Ok(Some(finished))
    }
}

fn names_of(requests: &[MergeRequest], indices: impl Iterator<Item = usize>) -> Vec<String> {
    indices.map(|i| requests[i].agent.clone()).collect()
}

fn tail_text(finished: &Finished) -> String {
    let tail = finished.tail(TAIL_LINES);
    if tail.trim().is_empty() {
        String::new()
    } else {
        format!("; its output ended with:\n{tail}")
    }
}
