//! Worktree provisioning: what makes a fresh agent worktree usable at once — ignored
//! files copied from the main worktree, a setup command run in it, and a port of its own.
//!
//! Provisioning come from the plan (`copy`, `setup`, `ports.base`) and from git config
//! (`agents.copy`, multi-valued, adds paths; `agents.setup` and `agents.portBase`
//! replace the plan's), so a machine can adjust them without changing the plan.
//!
//! On Linux, files are cloned with the FICLONE ioctl where the filesystem can share data
//! blocks between files (btrfs, XFS with reflink, bcachefs); elsewhere, and where the
//! clone is refused, they are copied.
//! The setup command's output goes to `<git dir>/agents/logs/<agent>-setup.log`, never
//! into a working tree, and its result is kept in the agent's document so `status`
//! shows a failure. Ports are allocated inside the state's compare-and-swap, so two
//! active agents never hold the same one, and an agent keeps its port while it is free.

use crate::progress::Progress;
use std::collections::HashSet;
use std::io;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::config;
use crate::config::Hook;
use crate::error::{Error, Result};
use crate::git::workspace::Workspace;
use crate::state::{self, HookRun, State};

/// The provisioning settings in effect: the plan's, adjusted by git config.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Provisioning {
    /// Paths copied from the main worktree.
    pub copy: Vec<String>,
    /// The setup command.
    pub setup: Option<String>,
    /// The first port handed out, if ports are handed out.
    pub port_base: Option<u16>,
}

impl Provisioning {
    /// Whether there is anything to do for a new worktree.
    pub fn is_empty(&self) -> bool {
        self.copy.is_empty() && self.setup.is_none() && self.port_base.is_none()
    }
}

/// The settings for this repository: the plan's, then `agents.copy`, `agents.setup` and
/// `agents.portBase` from git config.
pub fn settings(ws: &Workspace, state: &State) -> Result<Provisioning> {
    let mut copy = state.plan.copy.clone();
    for path in config::copy_paths(&ws.repo) {
        if !copy.contains(&path) {
            copy.push(path);
        }
    }
    for path in &copy {
        crate::plan::validate_copy_path(path)?;
    }
    let setup =
        config::hook_command(&ws.repo, &state.plan, Hook::Setup).map(|h| h.command().to_owned());
    let port_base = match config::port_base(&ws.repo)? {
        Some(port) => Some(port),
        None => state.plan.ports.map(|p| p.base),
    };
    Ok(Provisioning {
        copy,
        setup,
        port_base,
    })
}

/// Give `name` a port no other active agent holds: the one it has if still free, else
/// `base` plus its place in the plan, else the lowest free port from `base`. Call this
/// inside a state update, so the choice is part of the compare-and-swap.
pub fn assign_port(state: &mut State, name: &str, base: u16) -> Option<u16> {
    let taken: HashSet<u16> = state
        .agents
        .iter()
        .filter(|(other, doc)| other.as_str() != name && doc.status.is_active())
        .filter_map(|(_, doc)| doc.port)
        .collect();
    let free = |port: &u16| !taken.contains(port);
    let current = state.agent(name)?.port;
    let port = match current.filter(free) {
        Some(port) => port,
        None => {
            let place = state.plan.agents.iter().position(|a| a.name == name)?;
            u16::try_from(place)
                .ok()
                .and_then(|place| base.checked_add(place))
                .filter(free)
                .or_else(|| (base..=u16::MAX).find(free))?
        }
    };
    state.agent_mut(name)?.port = Some(port);
    Some(port)
}

/// The values `{agent}`, `{branch}`, `{worktree}`, `{base}` and `{port}` stand for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentVars {
    /// The agent's name.
    pub agent: String,
    /// Its branch.
    pub branch: String,
    /// Its worktree's absolute path.
    pub worktree: PathBuf,
    /// The base branch.
    pub base: String,
    /// Its port, if it has one.
    pub port: Option<u16>,
}

impl AgentVars {
    /// The values for agent `name` in `state`.
    pub fn of(ws: &Workspace, state: &State, name: &str) -> Option<AgentVars> {
        let spec = state.plan.agent(name)?;
        Some(AgentVars {
            agent: spec.name.clone(),
            branch: spec.branch.clone(),
            worktree: ws.resolve(&spec.worktree),
            base: state.base().to_owned(),
            port: state.agent(name).and_then(|d| d.port),
        })
    }

    /// The shell command line `template` with the placeholders filled in, each value one
    /// shell word (`{port}` stays as it is without a port).
    pub fn expand(&self, template: &str) -> String {
        let worktree = self.worktree.display().to_string();
        let port = self.port.map(|p| p.to_string());
        let mut values = vec![
            ("agent", self.agent.as_str()),
            ("branch", self.branch.as_str()),
            ("worktree", worktree.as_str()),
            ("base", self.base.as_str()),
        ];
        if let Some(port) = &port {
            values.push(("port", port.as_str()));
        }
        crate::process::launcher::expand(template, &values)
    }

    /// The environment an agent's commands run with: `GIT_AGENTS_AGENT`, `_BRANCH`,
    /// `_WORKTREE`, `_BASE`, and `GIT_AGENTS_PORT` when it has a port.
    pub fn env(&self) -> Vec<(String, String)> {
        let mut env = vec![
            ("GIT_AGENTS_AGENT".to_owned(), self.agent.clone()),
            ("GIT_AGENTS_BRANCH".to_owned(), self.branch.clone()),
            (
                "GIT_AGENTS_WORKTREE".to_owned(),
                self.worktree.display().to_string(),
            ),
            ("GIT_AGENTS_BASE".to_owned(), self.base.clone()),
        ];
        if let Some(port) = self.port {
            env.push(("GIT_AGENTS_PORT".to_owned(), port.to_string()));
        }
        env
    }
}

/// The port agent `name` holds, handing it one first when ports are handed out and it has
/// none (an agent spawned before ports were configured); `None` when ports are not handed out.
pub fn ensure_port(ws: &Workspace, name: &str) -> Result<Option<u16>> {
    let state = State::load(&ws.repo)?;
    let Some(base) = settings(ws, &state)?.port_base else {
        return Ok(None);
    };
    if let Some(port) = state.agent(name).and_then(|d| d.port) {
        return Ok(Some(port));
    }
    let updated = state::update::<_, Error>(&ws.repo, |state| {
        let port = assign_port(state, name, base);
        Ok((format!("port {name}"), port))
    })?;
    Ok(updated.value)
}

/// What copying into a worktree did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CopyReport {
    /// Paths copied.
    pub copied: Vec<String>,
    /// Paths the main worktree does not have.
    pub missing: Vec<String>,
    /// Paths the new worktree already had (tracked files), left alone.
    pub present: Vec<String>,
    /// Files written (symlinks included).
    pub files: u64,
    /// Of those, files cloned without copying their data.
    pub cloned: u64,
    /// Bytes of file content.
    pub bytes: u64,
}

/// Copy each of `paths` from `from` into `to`, cloning file data where the filesystem can.
pub fn copy_paths(from: &Path, to: &Path, paths: &[String]) -> Result<CopyReport> {
    let mut report = CopyReport::default();
    for path in paths {
        let relative = path.trim().trim_end_matches('/');
        let source = from.join(relative);
        let target = to.join(relative);
        if fs_err::symlink_metadata(&source).is_err() {
            report.missing.push(path.clone());
            continue;
        }
        if fs_err::symlink_metadata(&target).is_ok() {
            report.present.push(path.clone());
            continue;
        }
        if let Some(parent) = target.parent() {
            fs_err::create_dir_all(parent).map_err(|e| copy_error(path, e))?;
        }
        copy_tree(&source, &target, &mut report).map_err(|e| copy_error(path, e))?;
        report.copied.push(path.clone());
    }
    Ok(report)
}

fn copy_error(path: &str, err: io::Error) -> Error {
    Error::External(format!(
        "copying {path} into the new worktree failed: {err}"
    ))
}

fn copy_tree(source: &Path, target: &Path, report: &mut CopyReport) -> io::Result<()> {
    let mut pending = vec![(source.to_path_buf(), target.to_path_buf())];
    while let Some((from, to)) = pending.pop() {
        let meta = fs_err::symlink_metadata(&from)?;
        let kind = meta.file_type();
        if kind.is_symlink() {
            let points_to = fs_err::read_link(&from)?;
            make_symlink(&points_to, &to)?;
            report.files += 1;
        } else if kind.is_dir() {
            fs_err::create_dir(&to)?;
            for entry in fs_err::read_dir(&from)? {
                let entry = entry?;
                pending.push((entry.path(), to.join(entry.file_name())));
            }
            fs_err::set_permissions(&to, meta.permissions())?;
        } else if kind.is_file() {
            if clone_file(&from, &to)? {
                report.cloned += 1;
            } else {
                fs_err::copy(&from, &to)?;
            }
            fs_err::set_permissions(&to, meta.permissions())?;
            report.files += 1;
            report.bytes += meta.len();
        }
    }
    Ok(())
}

#[cfg(unix)]
fn make_symlink(points_to: &Path, at: &Path) -> io::Result<()> {
    std::os::unix::fs::symlink(points_to, at)
}

#[cfg(not(unix))]
fn make_symlink(points_to: &Path, at: &Path) -> io::Result<()> {
    fs_err::copy(points_to, at).map(drop)
}

/// Clone `from` into a new file `to` sharing its data blocks; `false` (and no file left
/// behind) where the filesystem cannot.
#[cfg(target_os = "linux")]
fn clone_file(from: &Path, to: &Path) -> io::Result<bool> {
    use std::os::fd::AsRawFd;
    let source = std::fs::File::open(from)?;
    let target = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(to)?;
    // SAFETY: both descriptors are open for the duration of the call; FICLONE reads the
    // source descriptor number as its argument and touches no memory of ours.
    let result = unsafe { libc::ioctl(target.as_raw_fd(), libc::FICLONE, source.as_raw_fd()) };
    if result == 0 {
        return Ok(true);
    }
    drop(target);
    std::fs::remove_file(to)?;
    Ok(false)
}

#[cfg(not(target_os = "linux"))]
fn clone_file(_from: &Path, _to: &Path) -> io::Result<bool> {
    Ok(false)
}

/// What provisioning one worktree did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Provisioned {
    /// The port the agent holds.
    pub port: Option<u16>,
    /// What was copied (nothing when the worktree already existed).
    pub copy: Option<CopyReport>,
    /// How the setup command went, if it ran.
    pub setup: Option<HookRun>,
}

/// Provision agent `name`'s worktree: copy and set up a worktree that was just created
/// (`fresh`), or run the setup again where it failed last time. The setup result is
/// recorded in the agent's document. `None` when there was nothing to do.
pub fn provision(
    ws: &Workspace,
    name: &str,
    fresh: bool,
    progress: &mut dyn Progress,
) -> Result<Option<Provisioned>> {
    let state = State::load(&ws.repo)?;
    let settings = settings(ws, &state)?;
    let Some(vars) = AgentVars::of(ws, &state, name) else {
        return Ok(None);
    };
    let failed_before = state
        .agent(name)
        .and_then(|d| d.setup.as_ref())
        .is_some_and(|s| !s.passed);
    if !fresh && !failed_before {
        return Ok(None);
    }
    let mut done = Provisioned {
        port: vars.port,
        ..Provisioned::default()
    };
    if fresh && !settings.copy.is_empty() {
        progress.step(&format!(
            "copying {} into {name}'s worktree",
            settings.copy.join(", ")
        ));
        done.copy = Some(copy_paths(&ws.main_root, &vars.worktree, &settings.copy)?);
    }
    if let Some(command) = &settings.setup {
        progress.step(&format!("running the setup command in {name}'s worktree"));
        let run = super::hooks::run(ws, &vars, Hook::Setup, command, &vars.worktree, &[])?;
        let recorded = run.clone();
        state::update::<_, Error>(&ws.repo, |state| {
            if let Some(doc) = state.agent_mut(name) {
                doc.setup = Some(recorded.clone());
            }
            let verdict = if recorded.passed { "passed" } else { "failed" };
            Ok((format!("setup {name}: {verdict}"), ()))
        })?;
        done.setup = Some(run);
    }
    let anything = done.copy.is_some() || done.setup.is_some() || done.port.is_some();
    Ok(anything.then_some(done))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{AgentSpec, Plan};
    use crate::state::Status;

    fn state(names: &[&str]) -> State {
        let mut plan = Plan::new("worktrees");
        for name in names {
            plan.agents.push(AgentSpec {
                name: (*name).to_owned(),
                title: String::new(),
                branch: format!("agents/{name}"),
                worktree: format!("worktrees/{name}"),
                depends_on: Vec::new(),
                tasks: Vec::new(),
                command: None,
                cli: None,
            });
        }
        State::new(plan)
    }

    fn activate(state: &mut State, name: &str) {
        state.agent_mut(name).unwrap().status = Status::InProgress;
    }

    #[test]
    fn ports_follow_plan_order_and_are_never_shared() {
        let mut s = state(&["a", "b", "c"]);
        assert_eq!(assign_port(&mut s, "b", 3000), Some(3001));
        activate(&mut s, "b");
        assert_eq!(assign_port(&mut s, "b", 3000), Some(3001), "stable");
        s.agent_mut("a").unwrap().port = Some(3002);
        activate(&mut s, "a");
        assert_eq!(
            assign_port(&mut s, "c", 3000),
            Some(3000),
            "3002 is taken by an active agent, so the lowest free port"
        );
        s.agent_mut("a").unwrap().status = Status::Merged;
        assert_eq!(assign_port(&mut s, "a", 3000), Some(3002));
        assert_eq!(assign_port(&mut s, "ghost", 3000), None);
    }

    #[test]
    fn ports_run_out_gracefully() {
        let mut s = state(&["a", "b"]);
        activate(&mut s, "a");
        s.agent_mut("a").unwrap().port = Some(u16::MAX);
        assert_eq!(assign_port(&mut s, "b", u16::MAX), None);
        assert_eq!(s.agent("b").unwrap().port, None);
    }

    #[test]
    fn placeholders_and_environment() {
        let vars = AgentVars {
            agent: "web".to_owned(),
            branch: "agents/web".to_owned(),
            worktree: PathBuf::from("/tmp/w"),
            base: "main".to_owned(),
            port: Some(4100),
        };
        assert_eq!(
            vars.expand("serve --port {port} {agent} {branch} {worktree} {base} {other}"),
            "serve --port 4100 web agents/web /tmp/w main {other}"
        );
        assert!(
            vars.env()
                .contains(&("GIT_AGENTS_PORT".to_owned(), "4100".to_owned()))
        );
        let spaced = AgentVars {
            worktree: PathBuf::from("/tmp/my work"),
            ..vars.clone()
        };
        assert_eq!(spaced.expand("cd {worktree}"), "cd '/tmp/my work'");
        let no_port = AgentVars { port: None, ..vars };
        assert_eq!(no_port.expand("{port}"), "{port}");
        assert!(no_port.env().iter().all(|(k, _)| k != "GIT_AGENTS_PORT"));
    }

    #[test]
    fn copies_trees_files_and_links() {
        let tmp = tempfile::tempdir().unwrap();
        let from = tmp.path().join("from");
        let to = tmp.path().join("to");
        fs_err::create_dir_all(from.join("deps/pkg/lib")).unwrap();
        fs_err::write(from.join(".env"), "SECRET=1\n").unwrap();
        fs_err::write(from.join("deps/pkg/lib/index.js"), "x".repeat(5000)).unwrap();
        fs_err::create_dir_all(&to).unwrap();
        fs_err::write(to.join("tracked.txt"), "mine").unwrap();
        fs_err::write(from.join("tracked.txt"), "theirs").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink("pkg/lib/index.js", from.join("deps/link.js")).unwrap();
        let report = copy_paths(
            &from,
            &to,
            &[
                ".env".to_owned(),
                "deps/".to_owned(),
                "absent".to_owned(),
                "tracked.txt".to_owned(),
            ],
        )
        .unwrap();
        assert_eq!(report.copied, [".env", "deps/"]);
        assert_eq!(report.missing, ["absent"]);
        assert_eq!(report.present, ["tracked.txt"]);
        assert_eq!(
            fs_err::read_to_string(to.join(".env")).unwrap(),
            "SECRET=1\n"
        );
        assert_eq!(
            fs_err::read_to_string(to.join("deps/pkg/lib/index.js"))
                .unwrap()
                .len(),
            5000
        );
        assert_eq!(
            fs_err::read_to_string(to.join("tracked.txt")).unwrap(),
            "mine"
        );
        #[cfg(unix)]
        assert_eq!(
            fs_err::read_link(to.join("deps/link.js")).unwrap(),
            PathBuf::from("pkg/lib/index.js")
        );
        assert_eq!(report.bytes, 9 + 5000);
    }
}
