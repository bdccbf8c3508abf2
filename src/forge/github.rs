//! GitHub through `gh`: open or adopt a PR, read the facts the criteria need from
//! `gh pr view --json`, and merge with `--match-head-commit` so nothing unchecked merges.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;

use super::gh::{self, Gh};
use super::{
    Checks, ForgeError, MergeOutcome, MergeRequest, Mergeable, OpenedPr, PrFacts, PrRequest,
    PrState, advance_base,
};
use crate::git::workspace::Workspace;
use crate::git::worktree;
use crate::plan::MergeMethod;

/// The remote PR branches are pushed to and whose URL names the GitHub repository.
pub const REMOTE: &str = "origin";

/// The fields read from `gh pr view`.
const VIEW_FIELDS: &str = "number,url,state,mergeable,mergeStateStatus,reviewDecision,reviews,statusCheckRollup,headRefName,headRefOid,baseRefName,isDraft,mergeCommit,isInMergeQueue,autoMergeRequest";

/// How often an `UNKNOWN` mergeability is asked again before giving up.
const MERGEABLE_POLLS: u32 = 3;

/// A GitHub repository reached through gh.
#[derive(Debug, Clone)]
pub struct GitHub {
    gh: Gh,
    slug: Option<String>,
}

impl GitHub {
    /// gh for the repository origin points at.
    pub fn new(ws: &Workspace) -> Result<GitHub, ForgeError> {
        Ok(GitHub {
            gh: Gh::new(&ws.main_root)?,
            slug: origin_slug(ws),
        })
    }

    /// `OWNER/REPO`, when origin's URL names one.
    pub fn slug(&self) -> Option<&str> {
        self.slug.as_deref()
    }

    fn args(&self, words: &[&str], rest: &[&str]) -> Vec<String> {
        let mut args: Vec<String> = words.iter().map(|w| (*w).to_owned()).collect();
        if let Some(slug) = &self.slug {
            args.push("-R".to_owned());
            args.push(slug.clone());
        }
        args.extend(rest.iter().map(|w| (*w).to_owned()));
        args
    }

    /// Push `branch` to origin under the same name.
    pub fn push(&self, ws: &Workspace, branch: &str) -> Result<(), ForgeError> {
        let spec = format!("refs/heads/{branch}:refs/heads/{branch}");
        ws.git()
            .run(["push", "--quiet", "--", REMOTE, spec.as_str()])?;
        Ok(())
    }

    /// The open PR from `branch` into `base`, if there is one.
    pub fn find_open(&self, branch: &str, base: &str) -> Result<Option<OpenedPr>, ForgeError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Listed {
            number: u64,
            url: String,
            #[serde(default)]
            base_ref_name: Option<String>,
        }
        let args = self.args(
            &["pr", "list"],
            &[
                "--head",
                branch,
                "--state",
                "open",
                "--json",
                "number,url,state,baseRefName",
            ],
        );
        let listed: Vec<Listed> = self.gh.json(&args)?;
        Ok(listed
            .into_iter()
            .find(|pr| pr.base_ref_name.as_deref().is_none_or(|b| b == base))
            .map(|pr| OpenedPr {
                number: pr.number,
                url: pr.url,
                adopted: true,
            }))
    }

    /// Open a PR for the request; when gh says one already exists for the branch, adopt it.
    pub fn create(&self, request: &PrRequest) -> Result<OpenedPr, ForgeError> {
        let mut rest = vec![
            "--base",
            request.base.as_str(),
            "--head",
            request.branch.as_str(),
            "--title",
            request.title.as_str(),
            "--body-file",
            "-",
        ];
        if request.draft {
            rest.push("--draft");
        }
        let args = self.args(&["pr", "create"], &rest);
        let out = self.gh.call(&args, Some(&request.body))?;
        if let Some(url) = pr_url_in(&out.stdout) {
            return opened(&url, false, &args);
        }
        if out.stderr.contains("already exists") {
            if let Some(url) = pr_url_in(&out.stderr) {
                return opened(&url, true, &args);
            }
            if let Some(existing) = self.find_open(&request.branch, &request.base)? {
                return Ok(existing);
            }
        }
        if out.success() {
            return Err(ForgeError::Garbage {
                command: gh::describe(&args),
                detail: format!("no PR URL in {:?}", out.stdout.trim()),
            });
        }
        Err(ForgeError::GhFailed {
            command: gh::describe(&args),
            message: out.message(),
        })
    }

    /// The facts about PR `number`, asking again while GitHub is still computing mergeability.
    pub fn facts(&self, number: u64) -> Result<PrFacts, ForgeError> {
        let mut facts = self.view(number)?;
        let mut poll = 0;
        while matches!(facts.mergeable, Mergeable::Unknown(_))
            && facts.state == PrState::Open
            && poll < MERGEABLE_POLLS
        {
            poll += 1;
            std::thread::sleep(poll_pause() * poll);
            facts = self.view(number)?;
        }
        Ok(facts)
    }

    /// Whether PR `number` is open, closed or merged, and its merge commit once merged:
    /// one light `gh pr view --json state,mergeCommit`.
    pub fn pr_state(&self, number: u64) -> Result<(PrState, Option<String>), ForgeError> {
        let number = number.to_string();
        let args = self.args(&["pr", "view", &number], &["--json", "state,mergeCommit"]);
        let view: StateView = self.gh.json(&args)?;
        let state = pr_state_from(&view.state);
        let commit = view
            .merge_commit
            .map(|c| c.oid)
            .filter(|oid| !oid.is_empty());
        Ok((state, commit))
    }

    fn view(&self, number: u64) -> Result<PrFacts, ForgeError> {
        let number = number.to_string();
        let args = self.args(&["pr", "view", &number], &["--json", VIEW_FIELDS]);
        let view: View = self.gh.json(&args)?;
        Ok(view.into_facts())
    }

    /// Merge PR `request.number` with the request's method, refusing any head but
    /// `request.head`, then bring the local base branch up to date when it can be.
    pub fn merge(
        &self,
        ws: &Workspace,
        request: &MergeRequest,
    ) -> Result<MergeOutcome, ForgeError> {
        let number = request.number.to_string();
        let method = match request.method {
            MergeMethod::Squash => "--squash",
            MergeMethod::Merge => "--merge",
            MergeMethod::Rebase => "--rebase",
        };
        let args = self.args(
            &["pr", "merge", &number],
            &[method, "--match-head-commit", &request.head],
        );
        let out = self.gh.call(&args, None)?;
        if !out.success() {
            let message = out.message();
            return Err(if out.stderr.contains("Head branch was modified") {
                ForgeError::Refused(format!(
                    "{} moved on GitHub since the criteria were checked ({message}); push, test and review the new head, then merge again",
                    request.branch
                ))
            } else if out.stderr.contains("is not mergeable") {
                ForgeError::Refused(message)
            } else {
                ForgeError::GhFailed {
                    command: gh::describe(&args),
                    message,
                }
            });
        }
        // On a branch with a merge queue gh enables auto-merge and exits 0 with the PR
        // still open; whether it is queued is asked, not read from gh's words.
        let facts = self.view(request.number)?;
        let mut outcome = MergeOutcome {
            queued: false,
            merged_commit: None,
            already_in_base: false,
            tested_with: None,
            tested_on: None,
            warnings: Vec::new(),
        };
        match facts.state {
            PrState::Merged => {
                outcome.merged_commit = facts.merge_commit.or(facts.head);
                if let Some(warning) = self.sync_base(ws, &request.base) {
                    outcome.warnings.push(warning);
                }
            }
            PrState::Open if facts.queued => outcome.queued = true,
            PrState::Open => {
                return Err(ForgeError::Garbage {
                    command: gh::describe(&args),
                    detail: format!("it exited 0 but PR #{number} is still open"),
                });
            }
            PrState::Closed => {
                return Err(ForgeError::Refused(format!(
                    "PR #{number} was closed without merging"
                )));
            }
        }
        Ok(outcome)
    }

    /// Fetch base from origin and fast-forward the local base branch (and a clean
    /// worktree that has it checked out) to it; a warning when that cannot be done.
    fn sync_base(&self, ws: &Workspace, base: &str) -> Option<String> {
        let git = ws.git();
        let tracking = format!("refs/remotes/{REMOTE}/{base}");
        let spec = format!("+refs/heads/{base}:{tracking}");
        if let Err(err) = git.run(["fetch", "--quiet", "--", REMOTE, spec.as_str()]) {
            return Some(format!(
                "could not fetch {base} from {REMOTE} ({err}); update it with `git pull`"
            ));
        }
        let fetched = git
            .run(["rev-parse", "--verify", "--quiet", &tracking])
            .ok()?;
        let fetched = fetched.trim();
        let local = worktree::branch_tip(&ws.repo, base)
            .ok()
            .flatten()?
            .to_string();
        if local == fetched {
            return None;
        }
        let ancestor = git
            .output(["merge-base", "--is-ancestor", local.as_str(), fetched])
            .map(|o| o.success())
            .unwrap_or(false);
        if !ancestor {
            return Some(format!(
                "local {base} has commits that {REMOTE}/{base} lacks; it was not updated"
            ));
        }
        advance_base(
            ws,
            base,
            &local,
            fetched,
            "git agents: fast-forward after merge",
            None,
        )
        .err()
        .map(|err| format!("local {base} was not fast-forwarded: {err}"))
    }
}

fn opened(url: &str, adopted: bool, args: &[String]) -> Result<OpenedPr, ForgeError> {
    let number = number_from_url(url).ok_or_else(|| ForgeError::Garbage {
        command: gh::describe(args),
        detail: format!("{url:?} is not a pull request URL"),
    })?;
    Ok(OpenedPr {
        number,
        url: url.to_owned(),
        adopted,
    })
}

fn poll_pause() -> Duration {
    std::env::var("GIT_AGENTS_GH_BACKOFF_MS")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_millis)
        .unwrap_or(Duration::from_secs(2))
}

/// The last pull request URL in `text`.
fn pr_url_in(text: &str) -> Option<String> {
    text.split_whitespace()
        .rev()
        .map(|w| w.trim_matches(|c: char| c == '"' || c == '\'' || c == '<' || c == '>'))
        .find(|w| w.starts_with("http") && number_from_url(w).is_some())
        .map(str::to_owned)
}

/// The number at the end of `https://HOST/OWNER/REPO/pull/N`.
fn number_from_url(url: &str) -> Option<u64> {
    let (_, tail) = url.trim_end_matches('/').rsplit_once("/pull/")?;
    tail.parse().ok()
}

/// `HOST/OWNER/REPO` when origin's configured URL is a GitHub URL (github.com or `GH_HOST`).
pub fn origin_slug(ws: &Workspace) -> Option<String> {
    let url = ws
        .repo
        .config_snapshot()
        .string(format!("remote.{REMOTE}.url").as_str())?
        .to_string();
    github_slug(&url, std::env::var("GH_HOST").ok().as_deref())
}

/// `HOST/OWNER/REPO` from a GitHub remote URL in any of git's spellings.
fn github_slug(url: &str, extra_host: Option<&str>) -> Option<String> {
    let url = url.trim();
    let rest = if let Some(rest) = url.split_once("://").map(|(_, r)| r) {
        rest.rsplit_once('@')
            .map(|(_, r)| r)
            .unwrap_or(rest)
            .to_owned()
    } else {
        let (host_part, path) = url.split_once(':')?;
        let host = host_part
            .rsplit_once('@')
            .map(|(_, h)| h)
            .unwrap_or(host_part);
        format!("{host}/{path}")
    };
    let (host, path) = rest.split_once('/')?;
    let host = host.split(':').next().unwrap_or(host).to_ascii_lowercase();
    let known = host == "github.com"
        || host == "www.github.com"
        || extra_host.is_some_and(|h| h.eq_ignore_ascii_case(&host));
    if !known {
        return None;
    }
    let path = path.trim_end_matches('/');
    let path = path.strip_suffix(".git").unwrap_or(path);
    let mut parts = path.split('/');
    let (owner, repo) = (parts.next()?, parts.next()?);
    if owner.is_empty() || repo.is_empty() || parts.next().is_some() {
        return None;
    }
    // The host is named too, so that a GH_HOST set for another host cannot send the
    // calls there.
    let host = if host == "www.github.com" {
        "github.com"
    } else {
        host.as_str()
    };
    Some(format!("{host}/{owner}/{repo}"))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct View {
    state: String,
    #[serde(default)]
    mergeable: String,
    #[serde(default)]
    merge_state_status: String,
    #[serde(default)]
    reviews: Vec<ReviewJson>,
    #[serde(default)]
    status_check_rollup: Vec<CheckJson>,
    #[serde(default)]
    head_ref_oid: String,
    #[serde(default)]
    is_draft: bool,
    #[serde(default)]
    merge_commit: Option<CommitJson>,
    #[serde(default)]
    is_in_merge_queue: bool,
    #[serde(default)]
    auto_merge_request: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct StateView {
    state: String,
    #[serde(default)]
    merge_commit: Option<CommitJson>,
}

/// GitHub's `state` field as a [`PrState`]; anything unknown counts as open.
fn pr_state_from(state: &str) -> PrState {
    match state {
        "MERGED" => PrState::Merged,
        "CLOSED" => PrState::Closed,
        _ => PrState::Open,
    }
}

#[derive(Debug, Deserialize)]
struct CommitJson {
    #[serde(default)]
    oid: String,
}

#[derive(Debug, Deserialize)]
struct AuthorJson {
    #[serde(default)]
    login: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReviewJson {
    #[serde(default)]
    author: Option<AuthorJson>,
    #[serde(default)]
    state: String,
    #[serde(default)]
    submitted_at: String,
}

#[derive(Debug, Deserialize)]
struct CheckJson {
    #[serde(default, rename = "__typename")]
    typename: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    context: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    conclusion: Option<String>,
    #[serde(default)]
    state: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Pass,
    Fail,
    Pending,
}

impl CheckJson {
    fn name(&self) -> String {
        self.name
            .clone()
            .or_else(|| self.context.clone())
            .unwrap_or_else(|| "unnamed check".to_owned())
    }

    fn verdict(&self) -> Verdict {
        if self.typename == "StatusContext" || (self.status.is_none() && self.state.is_some()) {
            return match self.state.as_deref().unwrap_or("") {
                "SUCCESS" => Verdict::Pass,
                "FAILURE" | "ERROR" => Verdict::Fail,
                _ => Verdict::Pending,
            };
        }
        if self.status.as_deref() != Some("COMPLETED") {
            return Verdict::Pending;
        }
        match self.conclusion.as_deref().unwrap_or("") {
            "SUCCESS" | "NEUTRAL" | "SKIPPED" => Verdict::Pass,
            "" => Verdict::Pending,
            _ => Verdict::Fail,
        }
    }
}

impl View {
    fn into_facts(self) -> PrFacts {
        let state = pr_state_from(&self.state);
        let mergeable = match (self.mergeable.as_str(), self.merge_state_status.as_str()) {
            ("CONFLICTING", _) | (_, "DIRTY") => Mergeable::Conflicts(Vec::new()),
            ("MERGEABLE", _) => Mergeable::Clean,
            _ => Mergeable::Unknown(
                "GitHub has not worked out whether it merges cleanly yet; try again in a minute"
                    .to_owned(),
            ),
        };
        let mut latest: BTreeMap<String, Verdict> = BTreeMap::new();
        for check in &self.status_check_rollup {
            latest.insert(check.name(), check.verdict());
        }
        let named = |wanted: Verdict| -> Vec<String> {
            latest
                .iter()
                .filter(|(_, v)| **v == wanted)
                .map(|(n, _)| n.clone())
                .collect()
        };
        let checks = if latest.is_empty() {
            Checks::None
        } else if !named(Verdict::Fail).is_empty() {
            Checks::Failing(named(Verdict::Fail))
        } else if !named(Verdict::Pending).is_empty() {
            Checks::Pending(named(Verdict::Pending))
        } else {
            Checks::Passing(named(Verdict::Pass))
        };
        let mut reviews: Vec<&ReviewJson> = self
            .reviews
            .iter()
            .filter(|r| {
                matches!(
                    r.state.as_str(),
                    "APPROVED" | "CHANGES_REQUESTED" | "DISMISSED"
                )
            })
            .collect();
        reviews.sort_by(|a, b| a.submitted_at.cmp(&b.submitted_at));
        let mut by_author: BTreeMap<String, &str> = BTreeMap::new();
        for review in reviews {
            let login = review
                .author
                .as_ref()
                .map(|a| a.login.clone())
                .unwrap_or_default();
            by_author.insert(login, review.state.as_str());
        }
        let with = |wanted: &str| -> Vec<String> {
            by_author
                .iter()
                .filter(|(_, s)| **s == wanted)
                .map(|(a, _)| a.clone())
                .collect()
        };
        let queued = self.is_in_merge_queue || self.auto_merge_request.is_some();
        PrFacts {
            state,
            queued,
            head: (!self.head_ref_oid.is_empty()).then_some(self.head_ref_oid),
            draft: self.is_draft,
            mergeable,
            checks,
            approvals: Some(with("APPROVED")),
            changes_requested: with("CHANGES_REQUESTED"),
            merge_commit: self
                .merge_commit
                .map(|c| c.oid)
                .filter(|oid| !oid.is_empty()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_urls_in_every_spelling_name_the_repository() {
        for url in [
            "https://github.com/acme/widgets.git",
            "https://github.com/acme/widgets",
            "https://user:tok@github.com/acme/widgets/",
            "git@github.com:acme/widgets.git",
            "ssh://git@github.com/acme/widgets.git",
            "ssh://git@github.com:22/acme/widgets",
        ] {
            assert_eq!(
                github_slug(url, None).as_deref(),
                Some("github.com/acme/widgets"),
                "{url}"
            );
        }
        for url in [
            "https://gitlab.com/acme/widgets.git",
            "/srv/git/widgets.git",
            "file:///srv/git/widgets.git",
            "https://github.com/acme",
        ] {
            assert_eq!(github_slug(url, None), None, "{url}");
        }
        assert_eq!(
            github_slug(
                "git@ghe.example.com:acme/widgets.git",
                Some("ghe.example.com")
            )
            .as_deref(),
            Some("ghe.example.com/acme/widgets")
        );
    }

    #[test]
    fn pr_urls_are_found_in_gh_messages() {
        let stderr = "a pull request for branch \"x\" into branch \"main\" already exists:\nhttps://github.com/acme/widgets/pull/7\n";
        assert_eq!(
            pr_url_in(stderr).as_deref(),
            Some("https://github.com/acme/widgets/pull/7")
        );
        assert_eq!(
            number_from_url("https://github.com/acme/widgets/pull/7"),
            Some(7)
        );
        assert_eq!(pr_url_in("Warning: 1 uncommitted change\n"), None);
    }

    #[test]
    fn the_latest_review_of_each_author_counts_and_checks_are_deduplicated() {
        let view: View = serde_json::from_str(
            r#"{"state":"OPEN","mergeable":"MERGEABLE","mergeStateStatus":"CLEAN","headRefOid":"abc",
            "isDraft":false,
            "reviews":[
              {"author":{"login":"ann"},"state":"CHANGES_REQUESTED","submittedAt":"2024-01-01T00:00:00Z"},
              {"author":{"login":"ann"},"state":"APPROVED","submittedAt":"2024-01-02T00:00:00Z"},
              {"author":{"login":"bob"},"state":"APPROVED","submittedAt":"2024-01-01T00:00:00Z"},
              {"author":{"login":"bob"},"state":"COMMENTED","submittedAt":"2024-01-03T00:00:00Z"},
              {"author":{"login":"cy"},"state":"APPROVED","submittedAt":"2024-01-01T00:00:00Z"},
              {"author":{"login":"cy"},"state":"DISMISSED","submittedAt":"2024-01-04T00:00:00Z"}],
            "statusCheckRollup":[
              {"__typename":"CheckRun","name":"ci","status":"COMPLETED","conclusion":"FAILURE"},
              {"__typename":"CheckRun","name":"ci","status":"COMPLETED","conclusion":"SUCCESS"},
              {"__typename":"StatusContext","context":"lint","state":"SUCCESS"}]}"#,
        )
        .unwrap();
        let facts = view.into_facts();
        assert_eq!(
            facts.approvals,
            Some(vec!["ann".to_owned(), "bob".to_owned()])
        );
        assert_eq!(
            facts.checks,
            Checks::Passing(vec!["ci".to_owned(), "lint".to_owned()])
        );
        assert_eq!(facts.mergeable, Mergeable::Clean);
    }
}
