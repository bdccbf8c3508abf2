//! `demo`: a throwaway repository that shows the whole product with nothing but git —
//! a few source files, a test script and a reviewer script, the example plan imported,
//! and a scripted agent command that really commits and reports each task.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::git::Git;
use crate::git::workspace::Workspace;
use crate::plan::{ForgeKind, Format, Plan};

/// The example plan, shipped inside the binary.
pub const EXAMPLE_PLAN: &str = include_str!("../../examples/parallel-plan.md");

/// The command every demo agent runs: for each task, start it, write and commit a file
/// in the agent's own directory, and mark it done, with a pause (`GIT_AGENTS_DEMO_PAUSE`
/// seconds, 1 unless set) so a person can watch the dashboard move. `task start` fails
/// past the last task, which ends the loop. It is each agent's command in the demo's
/// plan, so `git agents run` in the demo repository carries on where the demo stopped.
pub const SCRIPTED_AGENT: &str = r#"n=1
while git agents task start "$n" >/dev/null 2>&1; do
  mkdir -p "work/$GIT_AGENTS_AGENT"
  printf '# %s, task %s\n\nDone by the scripted demo agent.\n' "$GIT_AGENTS_AGENT" "$n" > "work/$GIT_AGENTS_AGENT/task-$n.md"
  git add work && git commit -qm "$GIT_AGENTS_AGENT: task $n"
  git agents task done "$n" >/dev/null
  n=$((n + 1))
  sleep "${GIT_AGENTS_DEMO_PAUSE:-1}"
done
test "$n" -gt 1"#;

const TEST_SCRIPT: &str = r#"#!/bin/sh
# The project's tests: the app runs and every piece of agent work has content.
set -e
sh src/app.sh >/dev/null
for file in $(find work -type f 2>/dev/null); do
  test -s "$file" || { echo "empty: $file"; exit 1; }
done
echo "all checks passed"
"#;

const REVIEW_SCRIPT: &str = r#"#!/bin/sh
# A reviewer that scores the branch: full marks when the tests pass and every commit
# on the branch touches only the agent's own directory.
if ! sh test.sh >/dev/null 2>&1; then echo "Score: 3/10 (tests fail)"; exit 0; fi
base=$(git merge-base HEAD main)
outside=$(git diff --name-only "$base" HEAD | grep -v '^work/' || true)
if [ -n "$outside" ]; then echo "Score: 7/10 (touches shared files: $outside)"; exit 0; fi
echo "Score: 10/10"
"#;

const APP: &str = "#!/bin/sh\necho \"CommandCenter is running\"\n";

/// Where the demo repository was made and the plan it holds.
pub struct DemoRepo {
    /// The repository's top directory.
    pub root: PathBuf,
    /// The plan to import: the example plan with the demo's test and review commands,
    /// on the local forge.
    pub plan: Plan,
}

/// Create the demo repository in `dir` (which must not exist or be empty) with one
/// commit on `main`.
pub fn create(dir: &Path) -> Result<DemoRepo> {
    if dir.exists()
        && fs_err::read_dir(dir)
            .map(|mut d| d.next().is_some())
            .unwrap_or(true)
    {
        return Err(Error::Usage(format!(
            "{} exists and is not empty; give the demo a new directory with --dir",
            dir.display()
        )));
    }
    let io = |e: std::io::Error| Error::External(format!("cannot write the demo repository: {e}"));
    fs_err::create_dir_all(dir.join("src")).map_err(io)?;
    fs_err::write(
        dir.join("README.md"),
        "# CommandCenter\n\nA small project the demo agents work on.\n",
    )
    .map_err(io)?;
    fs_err::write(dir.join("src/app.sh"), APP).map_err(io)?;
    fs_err::write(dir.join("test.sh"), TEST_SCRIPT).map_err(io)?;
    fs_err::write(dir.join("review.sh"), REVIEW_SCRIPT).map_err(io)?;
    let git = Git::new(dir);
    git.run(["init", "-q", "-b", "main"])?;
    let has_identity = git.output(["config", "user.email"])?.success()
        && git.output(["config", "user.name"])?.success();
    if !has_identity {
        git.run(["config", "user.name", "git-agents demo"])?;
        git.run(["config", "user.email", "demo@git-agents.invalid"])?;
    }
    git.run(["add", "."])?;
    git.run(["commit", "-q", "-m", "Initial commit"])?;
    let mut plan = Plan::parse(
        EXAMPLE_PLAN,
        Format::Markdown,
        "examples/parallel-plan.md",
        "worktrees",
    )?;
    plan.forge = Some(ForgeKind::Local);
    plan.test_command = Some("sh test.sh".to_owned());
    plan.review_command = Some("sh review.sh".to_owned());
    for agent in &mut plan.agents {
        agent.command = Some(SCRIPTED_AGENT.to_owned());
    }
    let root = crate::git::workspace::canonical(dir);
    Ok(DemoRepo { root, plan })
}

/// The demo repository already in `dir`, to resume: a repository with the demo's scripts
/// and a fleet's state. `None` when `dir` holds something else (or nothing).
pub fn existing(dir: &Path) -> Result<Option<DemoRepo>> {
    let is_demo = ["test.sh", "review.sh", "src/app.sh", ".git"]
        .iter()
        .all(|file| dir.join(file).exists());
    if !is_demo {
        return Ok(None);
    }
    let root = crate::git::workspace::canonical(dir);
    let ws = Workspace::discover(&root)?;
    match crate::state::State::load(&ws.repo) {
        Ok(state) if state.tip.is_some() => Ok(Some(DemoRepo {
            root,
            plan: state.plan,
        })),
        _ => Ok(None),
    }
}

/// Open the demo repository as a workspace.
pub fn open(demo: &DemoRepo) -> Result<Workspace> {
    Ok(Workspace::discover(&demo.root)?)
}
