//! A `run` killed outright leaves its agents' commands running. The next `run` takes them
//! over instead of starting a second copy: it watches a command that still runs, handles
//! the exit of one that finished while no run was watching, and launches again only one
//! that was killed; it leaves alone a command another live run watches; Ctrl-C stops
//! what it adopted; `doctor` reports what is left over.

use crate::common;

use std::io::BufRead;
use std::path::PathBuf;
use std::process::{Child, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use common::Repo;
use common::crash::{kill_group, start};
use git_agents::process::launcher::record::{self, RunRecord};

/// How long anything may take on a loaded machine before a test gives up.
const PATIENCE: Duration = Duration::from_secs(60);

const ONE_AGENT: &str = r#"# One service

## Agent 1: Web
**Branch:** `agents/web`
**Worktree:** `worktrees/web`
**Tasks:**
- [ ] Build the page (2h)
"#;

/// A repository whose one agent, web, `run` can take all the way to merged.
fn one_agent() -> Repo {
    let repo = Repo::new();
    repo.write("plan.md", ONE_AGENT);
    repo.agents(&["init", "--plan", "plan.md"]).ok();
    repo.git(&["config", "agents.testCommand", "true"]);
    repo.git(&["config", "agents.reviewCommand", "echo Score: 10/10"]);
    repo.git(&["config", "agents.approvals", "0"]);
    repo
}

/// Paths a scripted agent command and the test share.
struct Script {
    /// One line is appended each time the command starts.
    counter: PathBuf,
    /// The command waits until this file exists.
    gate: PathBuf,
}

impl Script {
    fn new(repo: &Repo) -> Script {
        Script {
            counter: repo.tmp.path().join("started"),
            gate: repo.tmp.path().join("gate"),
        }
    }

    /// The command: count the start, wait for the gate (a minute at most), commit the
    /// agent's work, tick its task off, then run `ending`.
    fn command(&self, ending: &str) -> String {
        format!(
            "echo started >> '{counter}'; n=0; \
             while [ ! -e '{gate}' ] && [ $n -lt 600 ]; do sleep 0.1; n=$((n+1)); done; \
             echo work > web.txt && git add web.txt && git commit -qm 'web: work' && \
             git agents task done 1 >/dev/null; {ending}",
            counter = self.counter.display(),
            gate = self.gate.display(),
        )
    }

    fn starts(&self) -> usize {
        std::fs::read_to_string(&self.counter)
            .unwrap_or_default()
            .lines()
            .count()
    }

    fn release(&self) {
        std::fs::write(&self.gate, "").unwrap();
    }
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        std::thread::sleep(Duration::from_millis(25));
    }
}

fn records(repo: &Repo) -> PathBuf {
    record::dir(&repo.root.join(".git"))
}

fn web_record(repo: &Repo) -> Option<RunRecord> {
    RunRecord::read(&records(repo), "web").unwrap()
}

/// Start `run --exec exec`, wait until web's command has started and is recorded, then
/// kill the run with SIGKILL; returns the record of the command it left running.
fn run_killed_while_web_works(repo: &Repo, script: &Script, exec: &str) -> RunRecord {
    let mut run = start(repo, &repo.root, &["run", "--exec", exec], &[]);
    wait_until("web's command started and was recorded", || {
        script.starts() == 1 && web_record(repo).is_some()
    });
    kill_group(&mut run);
    let left = web_record(repo).unwrap();
    assert!(left.alive(), "the command outlives the run that started it");
    assert!(!left.run_alive(), "the run is gone");
    left
}

fn stop_group(pgid: u32) {
    common::signal_group(pgid, 9);
}

/// `git agents run` running in the background in its own process group, its output
/// read line by line as it comes.
struct Background {
    child: Child,
    lines: Receiver<String>,
    stdout: String,
}

impl Background {
    fn start(repo: &Repo, exec: &str) -> Background {
        let mut command = repo.command("git", &repo.root);
        command
            .args(["agents", "run", "--exec", exec])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(repo.tmp.path().join("run.stderr")).unwrap());
        common::as_foreground_job(&mut command);
        let mut child = command.spawn().unwrap();
        let out = std::io::BufReader::new(child.stdout.take().unwrap());
        let (send, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in out.lines().map_while(Result::ok) {
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        Background {
            child,
            lines,
            stdout: String::new(),
        }
    }

    /// Wait until the run prints a line holding `text`.
    fn wait_for_line(&mut self, text: &str) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.stdout.push_str(&line);
                    self.stdout.push('\n');
                    if line.contains(text) {
                        return;
                    }
                }
                Err(RecvTimeoutError::Timeout) => {
                    panic!("no line with {text:?} in time:\n{}", self.stdout)
                }
                Err(RecvTimeoutError::Disconnected) => {
                    panic!("the run ended without {text:?}:\n{}", self.stdout)
                }
            }
        }
    }

    /// Wait for the run to end; its exit status and everything it printed.
    fn finish(&mut self) -> (std::process::ExitStatus, String) {
        let deadline = Instant::now() + PATIENCE;
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                kill_group(&mut self.child);
                panic!("the run never ended:\n{}", self.stdout);
            }
            std::thread::sleep(Duration::from_millis(25));
        };
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(5)) {
            self.stdout.push_str(&line);
            self.stdout.push('\n');
        }
        (status, std::mem::take(&mut self.stdout))
    }
}

impl Drop for Background {
    /// A test that failed half-way leaves no run behind.
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            kill_group(&mut self.child);
        }
    }
}

fn web_doc(repo: &Repo) -> serde_json::Value {
    repo.status_json()["agents"][0].clone()
}

fn assert_merged(repo: &Repo, stdout: &str) {
    assert!(stdout.contains("1 merged, 0 failed, 0 waiting"), "{stdout}");
    assert_eq!(web_doc(repo)["status"], "merged");
    assert_eq!(repo.git(&["show", "main:web.txt"]), "work\n");
    assert!(
        record::agents(&records(repo)).is_empty(),
        "no record is left once the exit is handled"
    );
}

#[test]
fn a_command_left_running_by_a_killed_run_is_adopted_not_started_again() {
    let repo = one_agent();
    let script = Script::new(&repo);
    let exec = script.command("exit 0");
    let left = run_killed_while_web_works(&repo, &script, &exec);
    assert_eq!(web_doc(&repo)["status"], "in_progress");

    let mut second = Background::start(&repo, &exec);
    second.wait_for_line(&format!(
        "web: still running from an earlier run (pid {}), watching it",
        left.pid
    ));
    assert_eq!(script.starts(), 1, "the second run started no second copy");
    let watched = web_record(&repo).unwrap();
    assert_eq!(watched, left, "the record still names the adopted command");
    script.release();
    let (status, stdout) = second.finish();
    assert!(status.success(), "{stdout}");
    assert!(stdout.contains("web finished"), "{stdout}");
    assert!(!stdout.contains("launched web"), "{stdout}");
    assert_eq!(script.starts(), 1, "the command was started exactly once");
    assert_merged(&repo, &stdout);
}

#[test]
fn a_command_that_succeeded_while_no_run_watched_is_delivered() {
    let repo = one_agent();
    let script = Script::new(&repo);
    let exec = script.command("exit 0");
    let left = run_killed_while_web_works(&repo, &script, &exec);
    script.release();
    wait_until("the command ended", || !left.alive());
    assert_eq!(
        left.condition(&records(&repo)),
        record::Condition::Exited(0)
    );
    repo.agents(&["doctor"]).ok().says("No drift");

    let run = repo.agents(&["run", "--exec", &exec]).ok();
    run.prints("web: its command from an earlier run ended with exit 0 while no run was watching");
    assert!(!run.stdout.contains("launched web"), "{}", run.stdout);
    assert_eq!(script.starts(), 1);
    assert_merged(&repo, &run.stdout);
}

#[test]
fn a_command_that_failed_while_no_run_watched_fails_the_agent_with_its_logs_tail() {
    let repo = one_agent();
    let script = Script::new(&repo);
    let exec = script.command("echo 'compile error: missing semicolon' >&2; exit 1");
    let left = run_killed_while_web_works(&repo, &script, &exec);
    script.release();
    wait_until("the command ended", || !left.alive());

    let run = repo.agents(&["run", "--exec", &exec]).fails(1);
    assert!(
        run.stdout
            .contains("ended with exit 1 while no run was watching"),
        "{}",
        run.stdout
    );
    run.prints("web failed (exit 1)");
    assert!(
        run.stdout.contains("compile error: missing semicolon"),
        "the log's tail is shown: {}",
        run.stdout
    );
    let doc = web_doc(&repo);
    assert_eq!(doc["status"], "failed");
    assert_eq!(
        doc["failure"],
        "command exited with status 1: compile error: missing semicolon"
    );
    assert_eq!(script.starts(), 1);
    assert!(record::agents(&records(&repo)).is_empty());
}

#[test]
fn a_command_killed_with_its_run_is_launched_again() {
    let repo = one_agent();
    let script = Script::new(&repo);
    let exec = script.command("exit 0");
    let left = run_killed_while_web_works(&repo, &script, &exec);
    stop_group(left.pgid);
    wait_until("the command is gone", || !left.alive());
    assert_eq!(left.condition(&records(&repo)), record::Condition::Killed);
    script.release();

    let run = repo.agents(&["run", "--exec", &exec]).ok();
    assert!(
        run.stdout.contains(&format!(
            "web: its command from an earlier run (pid {}) was killed before it finished; launching it again",
            left.pid
        )),
        "{}",
        run.stdout
    );
    run.prints("launched web");
    assert_eq!(script.starts(), 2);
    assert_merged(&repo, &run.stdout);
}

#[test]
fn ctrl_c_stops_an_adopted_command_too() {
    let repo = one_agent();
    let script = Script::new(&repo);
    let exec = script.command("exit 0");
    let left = run_killed_while_web_works(&repo, &script, &exec);

    let mut second = Background::start(&repo, &exec);
    second.wait_for_line("watching it");
    // Ctrl-C on a terminal signals the whole foreground process group: git and git-agents.
    common::signal_group(second.child.id(), 2);
    let (status, stdout) = second.finish();
    use std::os::unix::process::ExitStatusExt;
    assert!(
        status.code() == Some(130) || status.signal() == Some(2),
        "{status:?}: {stdout}"
    );
    assert!(
        !left.alive(),
        "the adopted command was stopped: {}\n{stdout}\n{}",
        std::fs::read_to_string(format!("/proc/{}/stat", left.pid)).unwrap_or_default(),
        std::fs::read_to_string(repo.tmp.path().join("run.stderr")).unwrap_or_default()
    );
    assert!(
        web_record(&repo).is_none(),
        "a stopped command's record is dropped"
    );
    assert_eq!(web_doc(&repo)["status"], "in_progress");

    script.release();
    let run = repo.agents(&["run", "--exec", &exec]).ok();
    run.prints("launched web");
    assert_eq!(script.starts(), 2);
    assert_merged(&repo, &run.stdout);
}

fn problems(repo: &Repo) -> Vec<(String, String)> {
    common::problem_kinds(&repo.agents(&["doctor", "--json"]).json())
}

#[test]
fn doctor_reports_commands_left_running_and_removes_stale_records() {
    let repo = one_agent();
    let script = Script::new(&repo);
    let exec = script.command("exit 0");
    let left = run_killed_while_web_works(&repo, &script, &exec);

    let orphan = vec![("web".to_owned(), "orphan_command".to_owned())];
    assert_eq!(problems(&repo), orphan);
    repo.agents(&["doctor"])
        .fails(1)
        .says(&format!(
            "web's command (pid {}), started {}, is still running",
            left.pid, left.started_at
        ))
        .says(&format!("kill -TERM -- -{}", left.pgid));
    repo.agents(&["doctor", "--fix"]).fails(1);
    assert!(left.alive(), "doctor never stops a command unasked");
    assert_eq!(web_record(&repo), Some(left.clone()));

    stop_group(left.pgid);
    wait_until("the command is gone", || !left.alive());
    assert_eq!(
        problems(&repo),
        vec![("web".to_owned(), "stale_run_record".to_owned())]
    );
    repo.agents(&["doctor", "--fix"])
        .ok()
        .says("removed the stale record");
    assert!(record::agents(&records(&repo)).is_empty());
    repo.agents(&["doctor"]).ok().says("No drift");

    std::fs::create_dir_all(records(&repo)).unwrap();
    std::fs::write(record::exit_path(&records(&repo), "web"), "0\n").unwrap();
    assert_eq!(
        problems(&repo),
        vec![("web".to_owned(), "stale_run_record".to_owned())],
        "an exit status without its record"
    );
    repo.agents(&["doctor", "--fix"]).ok();
    assert!(record::agents(&records(&repo)).is_empty());
}

#[test]
fn a_second_run_leaves_a_command_another_live_run_watches_to_it() {
    let repo = one_agent();
    let script = Script::new(&repo);
    let exec = script.command("exit 0");
    let mut first = Background::start(&repo, &exec);
    first.wait_for_line("launched web");
    wait_until("web's command started and was recorded", || {
        script.starts() == 1 && web_record(&repo).is_some()
    });
    let watched = web_record(&repo).unwrap();
    assert!(watched.run_alive());

    let second = repo.agents(&["run", "--exec", &exec]).ok();
    assert!(
        second.stdout.contains(&format!(
            "web: its command is watched by another git agents run (pid {}); leaving it to that run",
            watched.run_pid
        )),
        "{}",
        second.stdout
    );
    assert!(!second.stdout.contains("launched web"), "{}", second.stdout);
    second.prints("0 merged, 0 failed, 1 waiting");
    assert!(watched.alive(), "the other run's command was left alone");

    script.release();
    let (status, stdout) = first.finish();
    assert!(status.success(), "{stdout}");
    assert_eq!(script.starts(), 1);
    assert_merged(&repo, &stdout);
}
