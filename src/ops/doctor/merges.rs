//! Branches and merges: an agent's branch gone, its work in base unrecorded, its pull request merged or closed on the forge.

use super::*;

/// Active agents whose branch is gone: merged and deleted, or deleted by mistake.
pub fn missing_branches(survey: &Survey) -> Result<Vec<Problem>> {
    let git = survey.git();
    let mut problems = Vec::new();
    for (spec, doc) in active_agents(survey) {
        if worktree::branch_tip(&survey.ws.repo, &spec.branch)?.is_some() {
            continue;
        }
        let recorded = doc.head.as_deref().filter(|head| commit_exists(&git, head));
        let message = format!(
            "{} is {} but its branch {} is gone",
            spec.name, doc.status, spec.branch
        );
        let problem = match (recorded, survey.base_head) {
            (Some(head), Some(base))
                if has_own_work(&git, doc, head) && is_ancestor(&git, head, &base.to_string()) =>
            {
                Problem::fixable(
                    ProblemKind::MergedOutside,
                    &spec.name,
                    format!(
                        "{message}; its last recorded head is in {}",
                        survey.state.base()
                    ),
                    Repair::MarkMerged {
                        agent: spec.name.clone(),
                        commit: base.to_string(),
                        head: Some(head.to_owned()),
                    },
                )
            }
            (Some(head), _) => Problem::fixable(
                ProblemKind::BranchMissing,
                &spec.name,
                message,
                Repair::CreateBranch {
                    branch: spec.branch.clone(),
                    at: head.to_owned(),
                },
            ),
            (None, _) => Problem::fixable(
                ProblemKind::BranchMissing,
                &spec.name,
                format!("{message}, and no commit of it is known"),
                Repair::ResetToPlanned {
                    agent: spec.name.clone(),
                    reason: format!("branch {} was deleted outside git-agents", spec.branch),
                },
            ),
        };
        problems.push(problem);
    }
    Ok(problems)
}

/// Active agents whose branch is already in base: its tip is an ancestor of base, or
/// merging it into base would change nothing (a squash or rebase merge made elsewhere).
pub fn merged_outside(survey: &Survey) -> Result<Vec<Problem>> {
    let Some(base) = survey.base_head else {
        return Ok(Vec::new());
    };
    let base = base.to_string();
    let git = survey.git();
    let mut problems = Vec::new();
    for (spec, doc) in active_agents(survey) {
        if has_open_pr(doc) {
            continue;
        }
        let Some(tip) = worktree::branch_tip(&survey.ws.repo, &spec.branch)? else {
            continue;
        };
        let tip = tip.to_string();
        if !has_own_work(&git, doc, &tip) {
            continue;
        }
        let Some(how) = in_base(&git, &base, &tip) else {
            continue;
        };
        problems.push(Problem::fixable(
            ProblemKind::MergedOutside,
            &spec.name,
            format!(
                "{} is {} but {how} {}: it was merged outside git-agents",
                spec.name,
                doc.status,
                survey.state.base()
            ),
            Repair::MarkMerged {
                agent: spec.name.clone(),
                commit: base.clone(),
                head: Some(tip),
            },
        ));
    }
    Ok(problems)
}

/// How far back along base's first-parent history [`forge_merged`] looks for the
/// commit that brought an agent's work in.
const LANDING_SEARCH: usize = 200;

/// Agents whose pull request the state calls open but the forge has merged (or closed).
/// GitHub is asked with `gh pr view`; on the local forge (and for a GitHub PR still open
/// there) the work is looked for in base: the recorded merged commit, else the commit
/// on base that brought exactly the branch's changes in (a squash, merge or rebase made
/// outside git-agents or interrupted before the state was written), else base itself
/// when it holds every change.
pub fn forge_merged(survey: &Survey) -> Result<Vec<Problem>> {
    let git = survey.git();
    let base_name = survey.state.base();
    let base = survey.base_head.map(|b| b.to_string());
    let mut problems = Vec::new();
    for (spec, doc) in active_agents(survey) {
        let Some(pr) = doc.pr.as_ref().filter(|_| has_open_pr(doc)) else {
            continue;
        };
        let tip = worktree::branch_tip(&survey.ws.repo, &spec.branch)?.map(|t| t.to_string());
        let mark = |commit: String| Repair::MarkMerged {
            agent: spec.name.clone(),
            commit,
            head: tip.clone(),
        };
        if pr.forge == "github" {
            match github_pr_state(survey, pr.number) {
                Ok((PrState::Merged, commit)) => {
                    let commit = commit.or_else(|| tip.clone()).or_else(|| base.clone());
                    let Some(commit) = commit else {
                        continue;
                    };
                    problems.push(Problem::fixable(
                        ProblemKind::ForgeMerged,
                        &spec.name,
                        format!(
                            "PR #{} of {} is merged on GitHub (as {}) but the state says {}",
                            pr.number,
                            spec.name,
                            short(&commit),
                            doc.status
                        ),
                        mark(commit),
                    ));
                    continue;
                }
                Ok((PrState::Closed, _)) => {
                    problems.push(Problem::manual(
                        ProblemKind::ForgeClosed,
                        &spec.name,
                        format!(
                            "PR #{} of {} was closed on GitHub without merging but the state says {}",
                            pr.number, spec.name, doc.status
                        ),
                        format!(
                            "reopen PR #{} on GitHub, open a new one with git agents pr {}, or drop the work with git agents finish {} --abandon",
                            pr.number, spec.name, spec.name
                        ),
                    ));
                    continue;
                }
                Ok((PrState::Open, _)) => {}
                Err(err) => {
                    problems.push(Problem::manual(
                        ProblemKind::ForgeUnreachable,
                        &spec.name,
                        format!(
                            "cannot ask GitHub whether PR #{} of {} is merged: {err}",
                            pr.number, spec.name
                        ),
                        "fix access to GitHub, then run git agents doctor again".to_owned(),
                    ));
                    continue;
                }
            }
        }
        let (Some(base), Some(tip)) = (base.as_deref(), tip.as_deref()) else {
            continue;
        };
        if !has_own_work(&git, doc, tip) {
            continue;
        }
        let recorded = doc
            .merged_commit
            .as_deref()
            .filter(|c| commit_exists(&git, c) && is_ancestor(&git, c, base));
        let found = recorded
            .map(str::to_owned)
            .or_else(|| landing_commit(&git, doc.base_commit.as_deref(), base, tip));
        let (commit, how) = match found {
            Some(commit) => {
                let how = if recorded.is_some() {
                    format!(
                        "its recorded merged commit {} is in {base_name}",
                        short(&commit)
                    )
                } else {
                    format!("{} on {base_name} brought its changes in", short(&commit))
                };
                (commit, how)
            }
            None => match in_base(&git, base, tip) {
                Some(how) => (base.to_owned(), format!("{how} {base_name}")),
                None => continue,
            },
        };
        let (kind, on) = if pr.forge == "github" {
            (ProblemKind::MergedOutside, "still open on GitHub")
        } else {
            (ProblemKind::ForgeMerged, "open on the local forge")
        };
        problems.push(Problem::fixable(
            kind,
            &spec.name,
            format!(
                "{} is {} with PR #{} {on}, but {how}: it was merged without the state hearing of it",
                spec.name, doc.status, pr.number
            ),
            mark(commit),
        ));
    }
    Ok(problems)
}

/// Whether the state says the agent's pull request is open.
fn has_open_pr(doc: &AgentState) -> bool {
    doc.status == Status::PrOpen && doc.pr.is_some()
}

/// Ask GitHub, through gh, what became of PR `number`.
fn github_pr_state(
    survey: &Survey,
    number: u64,
) -> std::result::Result<(PrState, Option<String>), String> {
    let configured = crate::config::forge_kind(&survey.ws.repo, &survey.state.plan)
        .map_err(|e| e.to_string())?;
    match Forge::for_pr(survey.ws, configured, Some("github")) {
        Ok(Forge::GitHub(github)) => github.pr_state(number).map_err(|e| e.to_string()),
        Ok(Forge::Local(_)) => Err("the repository is set to merge locally".to_owned()),
        Err(err) => Err(err.to_string()),
    }
}

/// The commit on base's first-parent history (newest first, back to `since`) whose
/// parent lacks `tip`'s changes and whose tree is exactly its parent with them merged in.
fn landing_commit(git: &Git, since: Option<&str>, base: &str, tip: &str) -> Option<String> {
    let range = match since {
        Some(since) => format!("{since}..{base}"),
        None => base.to_owned(),
    };
    let limit = format!("--max-count={LANDING_SEARCH}");
    let listed = git
        .run([
            "rev-list",
            "--first-parent",
            limit.as_str(),
            range.as_str(),
            "--parents",
        ])
        .ok()?;
    for line in listed.lines() {
        let mut ids = line.split_whitespace();
        let (Some(commit), Some(parent)) = (ids.next(), ids.next()) else {
            continue;
        };
        let tree = tree_of(git, commit)?;
        let parent_tree = tree_of(git, parent)?;
        if tree == parent_tree {
            continue;
        }
        let Ok(Ok(merged)) = crate::forge::merge_tree(git, parent, tip, None) else {
            continue;
        };
        if merged == tree && merged != parent_tree {
            return Some(commit.to_owned());
        }
    }
    None
}

fn tree_of(git: &Git, commit: &str) -> Option<String> {
    git.run(["rev-parse", &format!("{commit}^{{tree}}")])
        .ok()
        .map(|t| t.trim().to_owned())
}

/// How base already holds `tip`'s work, if it does: its tip is an ancestor, or merging
/// it would change nothing.
fn in_base(git: &Git, base: &str, tip: &str) -> Option<&'static str> {
    if is_ancestor(git, tip, base) {
        Some("its tip is in")
    } else if merges_to_nothing(git, base, tip) {
        Some("its changes are already in")
    } else {
        None
    }
}
