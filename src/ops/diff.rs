//! `diff`: what an agent produced, against the point where its branch left base — its
//! commits and, while its worktree is there, what it has not committed yet.

use std::path::PathBuf;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::git::Git;
use crate::git::workspace::Workspace;
use crate::state::State;

/// How `diff` shows the change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DiffForm {
    /// The patch.
    #[default]
    Patch,
    /// Lines added and removed per file, as `git diff --stat`.
    Stat,
}

/// One file the agent changed.
#[derive(Debug, Clone, Serialize)]
pub struct ChangedFile {
    /// Its path.
    pub path: String,
    /// Lines added (`None` for a binary file).
    pub added: Option<u64>,
    /// Lines removed (`None` for a binary file).
    pub removed: Option<u64>,
}

/// What `diff` found; `--json` prints it as it is.
#[derive(Debug, Clone, Serialize)]
pub struct DiffReport {
    /// The agent.
    pub agent: String,
    /// The base branch.
    pub base: String,
    /// Where its branch left base: the commit the change is against.
    pub merge_base: String,
    /// The worktree whose files were compared, when it is there (uncommitted work
    /// included); otherwise the branch's last commit was.
    pub worktree: Option<PathBuf>,
    /// Each file changed.
    pub files: Vec<ChangedFile>,
    /// The patch or the stat, as git prints it.
    pub text: String,
}

/// The change `agent` made against base, as `form` says; `color` asks git for colour.
pub fn diff(
    ws: &Workspace,
    agent: Option<&str>,
    form: DiffForm,
    color: bool,
) -> Result<DiffReport> {
    let state = State::load(&ws.repo)?;
    let name = super::infer_agent(ws, &state, agent)?;
    let spec = super::find_agent(&state, &name)?;
    let base = state.base().to_owned();
    let git = ws.git();
    let branch = format!("refs/heads/{}", spec.branch);
    let merge_base = git
        .run(["merge-base", "--", &format!("refs/heads/{base}"), &branch])
        .map_err(|_| {
            Error::Refused(format!(
                "{name}'s branch {} does not exist or shares no history with {base}; spawn it first (git agents spawn {name})",
                spec.branch
            ))
        })?
        .trim()
        .to_owned();
    let path = ws.resolve(&spec.worktree);
    let on_branch = path.is_dir()
        && Git::new(&path)
            .run(["symbolic-ref", "-q", "HEAD"])
            .is_ok_and(|head| head.trim() == branch);
    // In the worktree, the comparison is with its files (uncommitted work too); without
    // it, with the branch's last commit.
    let (runner, against): (Git, Vec<String>) = if on_branch {
        (Git::new(&path), vec![merge_base.clone()])
    } else {
        (git, vec![merge_base.clone(), branch.clone()])
    };
    let run = |extra: &[&str]| -> Result<String> {
        let mut args: Vec<String> = vec!["diff".into()];
        args.extend(extra.iter().map(|s| (*s).to_owned()));
        args.extend(against.iter().cloned());
        args.push("--".into());
        Ok(runner.run(&args)?)
    };
    let numstat = run(&["--numstat", "--no-color"])?;
    let files = numstat
        .lines()
        .filter_map(|line| {
            let mut parts = line.splitn(3, '\t');
            let (added, removed, path) = (parts.next()?, parts.next()?, parts.next()?);
            Some(ChangedFile {
                path: path.to_owned(),
                added: added.parse().ok(),
                removed: removed.parse().ok(),
            })
        })
        .collect();
    let colour = if color {
        "--color=always"
    } else {
        "--no-color"
    };
    let text = match form {
        DiffForm::Patch => run(&[colour])?,
        DiffForm::Stat => run(&["--stat", colour])?,
    };
    Ok(DiffReport {
        agent: name,
        base,
        merge_base,
        worktree: on_branch.then_some(path),
        files,
        text,
    })
}
