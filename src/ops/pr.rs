//! `pr`: open (or adopt) the pull request for an agent's branch, with a description
//! built from the state — tasks, tests, review iterations, checklist, merge readiness.

use crate::progress::Progress;
use serde::Serialize;

use crate::config;
use crate::error::{Error, Result};
use crate::forge::{Forge, Local, PrRequest};
use crate::git::Git;
use crate::git::workspace::Workspace;
use crate::git::worktree;
use crate::plan::{AgentSpec, MergeSettings, format_hours};
use crate::state::notes::{self, Record, Summary};
use crate::state::{self, PullRequest, State, StateError, Status};

/// Commits of a branch searched for review history.
const HISTORY_LIMIT: usize = 200;

/// What `pr` did.
#[derive(Debug, Clone, Serialize)]
pub struct PrReport {
    /// The agent.
    pub agent: String,
    /// The forge: github or local.
    pub forge: String,
    /// The PR number.
    pub number: u64,
    /// Where to see it.
    pub url: String,
    /// Whether an existing PR was adopted rather than a new one opened.
    pub adopted: bool,
    /// Whether it is a draft.
    pub draft: bool,
    /// The head commit it was opened for.
    pub head: String,
    /// Whether the state changed.
    pub changed: bool,
}

/// Open the PR for `name`'s branch (pushing it first on GitHub), or adopt the one that
/// exists, and record it; the agent's status becomes pr_open.
pub fn open_pr(
    ws: &Workspace,
    name: &str,
    draft: bool,
    progress: &mut dyn Progress,
) -> Result<PrReport> {
    let state = State::load(&ws.repo)?;
    let spec = super::find_agent(&state, name)?.clone();
    let doc = state.document(name);
    match doc.status {
        Status::Planned => {
            return Err(Error::Refused(format!(
                "{name} has not been spawned; spawn it and commit its work first (git agents spawn {name})"
            )));
        }
        Status::Merged | Status::Completed | Status::Abandoned => {
            return Err(Error::Refused(format!(
                "{name} is already {}; there is nothing to open a PR for",
                doc.status
            )));
        }
        _ => {}
    }
    let base = state.base().to_owned();
    let head = worktree::branch_tip(&ws.repo, &spec.branch)?
        .ok_or_else(|| {
            Error::Refused(format!(
                "{name}'s branch {} does not exist; recreate it with git agents spawn {name}",
                spec.branch
            ))
        })?
        .to_string();
    let ahead = ws
        .git()
        .run(["rev-list", "--count", &format!("{base}..{head}")])?;
    if ahead.trim() == "0" {
        return Err(Error::Refused(format!(
            "{} has no commits that {base} lacks; commit {name}'s work first",
            spec.branch
        )));
    }
    let configured = config::forge_kind(&ws.repo, &state.plan)?;
    let forge = Forge::for_pr(ws, configured, doc.pr.as_ref().map(|p| p.forge.as_str()))?;
    let merge = config::merge_settings(&ws.repo, &state.plan)?;
    let body = body(ws, &state, &spec, &head, &merge)?;
    let title = if spec.title.is_empty() {
        name.to_owned()
    } else {
        format!("{} ({name})", spec.title)
    };
    let opened = match &forge {
        Forge::GitHub(github) => {
            progress.step("looking for an open pull request");
            let existing = github.find_open(&spec.branch, &base)?;
            progress.step(&format!("pushing {} to origin", spec.branch));
            github.push(ws, &spec.branch)?;
            match existing {
                Some(existing) => Some(existing),
                None => {
                    progress.step("opening the pull request");
                    Some(github.create(&PrRequest {
                        agent: name.to_owned(),
                        branch: spec.branch.clone(),
                        base: base.clone(),
                        title,
                        body,
                        draft,
                    })?)
                }
            }
        }
        Forge::Local(_) => None,
    };
    let forge_name = forge.name();
    let updated = state::update::<_, Error>(&ws.repo, |state| {
        let number = match (&opened, state.agent(name).and_then(|d| d.pr.clone())) {
            (Some(opened), _) => opened.number,
            (None, Some(pr)) if pr.forge == "local" => pr.number,
            (None, _) => Local::next_number(state),
        };
        let url = match &opened {
            Some(opened) => opened.url.clone(),
            None => Local::url(&spec.branch, &base),
        };
        let doc = state
            .agent_mut(name)
            .ok_or_else(|| Error::Usage(format!("{name} was removed from the plan meanwhile")))?;
        doc.pr = Some(PullRequest {
            forge: forge_name.to_owned(),
            number,
            url: url.clone(),
            draft,
            queued: false,
        });
        if !doc.status.is_merged() {
            doc.status = Status::PrOpen;
        }
        doc.head = Some(head.clone());
        doc.failure = None;
        Ok((format!("pr {name} #{number}"), (number, url)))
    })?;
    let (number, url) = updated.value;
    Ok(PrReport {
        agent: name.to_owned(),
        forge: forge_name.to_owned(),
        number,
        url,
        adopted: opened.as_ref().is_some_and(|o| o.adopted)
            || doc.pr.as_ref().is_some_and(|p| p.number == number),
        draft,
        head,
        changed: updated.commit.is_some(),
    })
}

/// The PR description, modelled on the plan's PR template.
fn body(
    ws: &Workspace,
    state: &State,
    spec: &AgentSpec,
    head: &str,
    merge: &MergeSettings,
) -> Result<String> {
    let base = state.base();
    let head_id = gix::ObjectId::from_hex(head.as_bytes())
        .map_err(|e| Error::External(format!("bad commit id {head}: {e}")))?;
    let facts: Summary = notes::summary(&ws.repo, head_id).map_err(StateError::from)?;
    let short: String = head.chars().take(12).collect();
    let score = facts.review_score();
    let mut text = String::new();
    text.push_str(&format!("## Agent: {}\n", spec.name));
    match &facts.review {
        Some(Record::Review { score, out_of, .. }) => {
            text.push_str(&format!("## Review Score: {score}/{out_of}\n\n"))
        }
        _ => text.push_str("## Review Score: not reviewed yet\n\n"),
    }
    if !spec.title.is_empty() {
        text.push_str(&format!("**{}** · ", spec.title));
    }
    text.push_str(&format!("`{}` → `{base}` at `{short}`\n\n", spec.branch));

    text.push_str("### Changes Made\n");
    if spec.tasks.is_empty() {
        text.push_str("- (no tasks in the plan)\n");
    }
    for (index, task) in spec.tasks.iter().enumerate() {
        text.push_str(&format!(
            "- [{}] {} ({})\n",
            if state.task_done(&spec.name, index + 1) {
                "x"
            } else {
                " "
            },
            task.title,
            format_hours(task.hours)
        ));
    }
    let commits = Git::new(&ws.main_root).run([
        "log",
        "--format=%h %s",
        "--max-count=20",
        &format!("{base}..{head}"),
    ])?;
    if !commits.trim().is_empty() {
        text.push_str("\nCommits:\n");
        for line in commits.lines() {
            text.push_str(&format!("- {line}\n"));
        }
    }

    text.push_str("\n### Tests\n");
    match &facts.test {
        Some(Record::Test {
            passing,
            command,
            duration_ms,
            exit_code,
            ..
        }) => text.push_str(&format!(
            "- {} `{command}` {} on `{short}` ({:.1} s{})\n",
            if *passing { "✅" } else { "❌" },
            if *passing { "passed" } else { "failed" },
            *duration_ms as f64 / 1000.0,
            exit_code
                .filter(|c| *c != 0)
                .map(|c| format!(", exit {c}"))
                .unwrap_or_default()
        )),
        _ => text.push_str(&format!(
            "- no test run recorded on `{short}` yet (`git agents test`)\n"
        )),
    }

    let history = review_history(ws, &spec.name, base, head)?;
    if !history.is_empty() {
        text.push_str("\n### Review Iterations\n");
        for (index, (score, out_of, commit)) in history.iter().enumerate() {
            let reached = super::score::Score {
                score: *score,
                out_of: *out_of,
            }
            .reaches(merge.review_threshold);
            let mark = if reached { " ✅" } else { "" };
            text.push_str(&format!(
                "{}. {score}/{out_of} on `{}`{mark}\n",
                index + 1,
                &commit[..commit.len().min(12)]
            ));
        }
    }

    let tests_ok = facts.tests_passing() == Some(true);
    let review_ok = merge.review_threshold == 0
        || match &facts.review {
            Some(Record::Review { score, out_of, .. }) => super::score::Score {
                score: *score,
                out_of: *out_of,
            }
            .reaches(merge.review_threshold),
            _ => false,
        };
    let waiting = state.unmerged_dependencies(&spec.name);
    let check = |ok: bool| if ok { "x" } else { " " };
    text.push_str("\n### Checklist\n");
    text.push_str(&format!("- [{}] All tests passing\n", check(tests_ok)));
    text.push_str(&format!(
        "- [{}] Review score {}/10{}\n",
        check(review_ok),
        merge.review_threshold,
        score.map(|s| format!(" (now {s})")).unwrap_or_default()
    ));
    text.push_str(&format!(
        "- [{}] Dependencies merged{}\n",
        check(waiting.is_empty()),
        if waiting.is_empty() {
            String::new()
        } else {
            format!(" (waiting for {})", waiting.join(", "))
        }
    ));
    text.push_str(&format!(
        "- [ ] {} approval{} ({} merge)\n",
        merge.approvals,
        if merge.approvals == 1 { "" } else { "s" },
        method_word(merge.method)
    ));

    let mark = |ok: bool| if ok { "✅" } else { "❌" };
    text.push_str("\n### Auto-merge Status\n");
    text.push_str(&format!(
        "- Dependencies satisfied: {}\n",
        mark(waiting.is_empty())
    ));
    text.push_str(&format!(
        "- Ready to merge: {} (checked again at merge time: `git agents merge {}`)\n",
        mark(tests_ok && review_ok && waiting.is_empty()),
        spec.name
    ));
    Ok(text)
}

fn method_word(method: crate::plan::MergeMethod) -> &'static str {
    match method {
        crate::plan::MergeMethod::Squash => "squash",
        crate::plan::MergeMethod::Merge => "merge-commit",
        crate::plan::MergeMethod::Rebase => "rebase",
    }
}

/// Every review of `agent` recorded on the branch's commits, oldest first.
fn review_history(
    ws: &Workspace,
    agent: &str,
    base: &str,
    head: &str,
) -> Result<Vec<(u32, u32, String)>> {
    let commits = ws.git().run([
        "rev-list",
        &format!("--max-count={HISTORY_LIMIT}"),
        &format!("{base}..{head}"),
    ])?;
    let mut found: Vec<(String, u32, u32, u32, String)> = Vec::new();
    for commit in commits.lines().map(str::trim).filter(|c| !c.is_empty()) {
        let Ok(id) = gix::ObjectId::from_hex(commit.as_bytes()) else {
            continue;
        };
        for record in notes::read(&ws.repo, id).map_err(StateError::from)? {
            if let Record::Review {
                score,
                out_of,
                at,
                iteration,
                agent: Some(by),
                ..
            } = record
                && by == agent
            {
                found.push((at, iteration, score, out_of, commit.to_owned()));
            }
        }
    }
    found.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
    Ok(found
        .into_iter()
        .map(|(_, _, score, out_of, commit)| (score, out_of, commit))
        .collect())
}
