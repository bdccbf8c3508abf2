//! One fleet across several machines: clones of one repository, each its own machine,
//! sharing a bare remote with `run --remote`. Every agent runs exactly once, the work of
//! each lands on the remote's base tested, a machine killed mid-command is taken over
//! after its lease, and a machine that loses the remote for a while catches up.

use crate::common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::Repo;
use common::crash::kill_group;

/// The first clone, the bare remote, and every clone (the first one included).
struct Machines {
    repo: Repo,
    remote: PathBuf,
    clones: Vec<PathBuf>,
}

/// Six agents: three on their own, two after one of them each, one after those two.
const SIX: &str = "\
[[agents]]\nname = \"api\"\nbranch = \"agents/api\"\ntasks = [\"Build the API (2h)\"]\n\n\
[[agents]]\nname = \"web\"\nbranch = \"agents/web\"\ntasks = [\"Build the pages (2h)\"]\n\n\
[[agents]]\nname = \"ops\"\nbranch = \"agents/ops\"\ntasks = [\"Write the deploy (2h)\"]\n\n\
[[agents]]\nname = \"auth\"\nbranch = \"agents/auth\"\ndepends_on = [\"api\"]\ntasks = [\"Add logins (1h)\"]\n\n\
[[agents]]\nname = \"docs\"\nbranch = \"agents/docs\"\ndepends_on = [\"web\"]\ntasks = [\"Write the guide (1h)\"]\n\n\
[[agents]]\nname = \"e2e\"\nbranch = \"agents/e2e\"\ndepends_on = [\"auth\", \"docs\"]\ntasks = [\"Test it all (1h)\"]\n";

impl Machines {
    /// `count` clones named m1, m2, … of a repository whose state (the `plan`) is on a
    /// bare remote, with a lease of `lease` seconds renewed every `renew`.
    fn new(count: usize, plan: &str, lease: &str, renew: &str) -> Machines {
        let repo = Repo::new();
        let remote = repo.tmp.path().join("remote.git");
        repo.git(&["init", "-q", "--bare", remote.to_str().unwrap()]);
        repo.git(&["remote", "add", "origin", remote.to_str().unwrap()]);
        repo.git(&["push", "-q", "origin", "main"]);
        let plan_file = repo.tmp.path().join("plan.toml");
        std::fs::write(&plan_file, plan).unwrap();
        repo.agents(&["init", "--plan", plan_file.to_str().unwrap()])
            .ok();
        repo.agents(&["sync"]).ok();
        let mut clones = vec![repo.root.clone()];
        for i in 2..=count {
            let dir = repo.tmp.path().join(format!("m{i}"));
            repo.git(&[
                "clone",
                "-q",
                remote.to_str().unwrap(),
                dir.to_str().unwrap(),
            ]);
            repo.agents_in(&dir, &["sync"]).ok();
            repo.agents_in(&dir, &["trust", "--accept"]).ok();
            clones.push(dir);
        }
        let tests = repo.tmp.path().join("tests.log");
        for (i, dir) in clones.iter().enumerate() {
            for (key, value) in [
                ("agents.machineName", format!("m{}", i + 1)),
                ("agents.leaseSeconds", lease.to_owned()),
                ("agents.renewSeconds", renew.to_owned()),
                (
                    "agents.testCommand",
                    format!("git rev-parse 'HEAD^{{tree}}' >> '{}'", tests.display()),
                ),
                ("agents.reviewCommand", "echo Score: 10/10".to_owned()),
                ("agents.approvals", "0".to_owned()),
                ("agents.requireTasksDone", "false".to_owned()),
            ] {
                repo.git_in(dir, &["config", key, &value]);
            }
        }
        Machines {
            repo,
            remote,
            clones,
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.repo.tmp.path().join(name)
    }

    /// Git in the bare remote.
    fn on_remote(&self, args: &[&str]) -> String {
        let mut all = vec!["--git-dir", self.remote.to_str().unwrap()];
        all.extend_from_slice(args);
        self.repo.git(&all)
    }

    /// Whether the remote has `name`.
    fn remote_has(&self, name: &str) -> bool {
        let out = self
            .repo
            .command("git", &self.repo.root)
            .args(["--git-dir", self.remote.to_str().unwrap()])
            .args(["rev-parse", "--verify", "--quiet", name])
            .output()
            .unwrap();
        out.status.success()
    }

    /// `git agents run --remote origin --exec EXEC ARGS…` in `dir`, in its own process group.
    fn start_run(&self, dir: &Path, exec: &str, extra: &[&str]) -> (std::process::Child, PathBuf) {
        let out = dir.with_extension("run.out");
        let mut args = vec!["run", "--remote", "origin", "--json", "--exec", exec];
        args.extend_from_slice(extra);
        let mut cmd = self
            .repo
            .command(common::crash::binary().to_str().unwrap(), dir);
        {
            use std::os::unix::process::CommandExt;
            cmd.args(&args)
                .stdin(std::process::Stdio::null())
                .stdout(std::fs::File::create(&out).unwrap())
                .stderr(std::fs::File::create(out.with_extension("err")).unwrap())
                .process_group(0);
        }
        (cmd.spawn().expect("git-agents starts"), out)
    }

    /// Wait until the agent's first part (see [`resumable_work`]) is on the remote.
    fn wait_for_first_part(&self) {
        wait_for(
            "the first part on the remote",
            Duration::from_secs(30),
            || {
                self.remote_has("refs/heads/agents/api")
                    && self
                        .on_remote(&["log", "--format=%s", "agents/api"])
                        .contains("first part")
            },
        );
    }

    /// Every tree the test command ran on.
    fn tested_trees(&self) -> Vec<String> {
        std::fs::read_to_string(self.path("tests.log"))
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// Every commit on the remote's main after the first, but those made outside
    /// git-agents, has a tree the tests ran on.
    fn assert_each_merge_tested(&self) {
        let tested = self.tested_trees();
        let log = self.on_remote(&["log", "--first-parent", "--format=%H %T %s", "main"]);
        let merges: Vec<&str> = log
            .lines()
            .filter(|l| !l.ends_with("Initial commit") && !l.contains(" an outside commit "))
            .collect();
        assert!(!merges.is_empty(), "{log}");
        for line in merges {
            let tree = line.split(' ').nth(1).unwrap();
            assert!(
                tested.iter().any(|t| t == tree),
                "{line} landed untested; tested: {tested:?}"
            );
        }
    }
}

/// Wait for `child` to exit, at most `limit`; kill it and fail when it does not.
fn wait(child: &mut std::process::Child, limit: Duration, out: &Path) -> std::process::ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            kill_group(child);
            panic!(
                "the run did not end in {limit:?}:\n{}\n{}",
                std::fs::read_to_string(out).unwrap_or_default(),
                std::fs::read_to_string(out.with_extension("err")).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn wait_for(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn events(out: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(out)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// A command that logs who launched it, commits the agent's file and takes a moment.
fn logging_work(launches: &Path) -> String {
    format!(
        "echo \"$GIT_AGENTS_AGENT $(git config agents.machineName)\" >> '{}'; \
         echo \"$GIT_AGENTS_AGENT\" > \"$GIT_AGENTS_AGENT.txt\"; git add .; git commit -qm \"$GIT_AGENTS_AGENT: work\"; sleep 1.5",
        launches.display()
    )
}

#[test]
fn three_machines_share_a_six_agent_plan_each_agent_launched_once() {
    let fleet = Machines::new(3, SIX, "30", "0.5");
    let launches = fleet.path("launches.log");
    let exec = logging_work(&launches);
    let mut runs: Vec<(std::process::Child, PathBuf)> = fleet
        .clones
        .iter()
        .map(|dir| fleet.start_run(dir, &exec, &["--parallel", "1"]))
        .collect();
    for (child, out) in &mut runs {
        let status = wait(child, Duration::from_secs(120), out);
        assert!(
            status.success(),
            "{}\n{}",
            std::fs::read_to_string(&*out).unwrap(),
            std::fs::read_to_string(out.with_extension("err")).unwrap()
        );
    }
    let launched = std::fs::read_to_string(&launches).unwrap();
    let mut per_agent: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for line in launched.lines() {
        let (agent, machine) = line.split_once(' ').unwrap();
        per_agent.entry(agent).or_default().push(machine);
    }
    assert_eq!(per_agent.len(), 6, "{launched}");
    for (agent, machines) in &per_agent {
        assert_eq!(machines.len(), 1, "{agent} launched once: {launched}");
    }
    let machines: std::collections::BTreeSet<&str> =
        per_agent.values().flatten().copied().collect();
    assert!(
        machines.len() >= 2,
        "more than one machine worked: {launched}"
    );
    for agent in ["api", "web", "ops", "auth", "docs", "e2e"] {
        assert_eq!(
            fleet
                .on_remote(&["show", &format!("main:{agent}.txt")])
                .trim(),
            agent
        );
    }
    fleet.assert_each_merge_tested();
    // Every clone's state says merged, and the claims went through the remote's log.
    let status = fleet
        .repo
        .agents_in(&fleet.clones[1], &["status", "--json"])
        .ok()
        .json();
    for agent in status["agents"].as_array().unwrap() {
        assert_eq!(agent["status"], "merged", "{agent}");
    }
    let audit = fleet.on_remote(&["log", "--format=%s", "refs/agents/state"]);
    assert!(audit.lines().any(|l| l.starts_with("claim ")), "{audit}");
}

/// A command that commits a first part and then works on for a long time, unless the
/// first part is already there (it was taken over): then it commits the rest and ends.
fn resumable_work() -> &'static str {
    "if test -f \"$GIT_AGENTS_AGENT.txt\"; then echo second >> \"$GIT_AGENTS_AGENT.txt\"; git commit -qam \"$GIT_AGENTS_AGENT: second part\"; \
     else echo first > \"$GIT_AGENTS_AGENT.txt\"; git add .; git commit -qm \"$GIT_AGENTS_AGENT: first part\"; sleep 60; fi"
}

const ONE: &str =
    "[[agents]]\nname = \"api\"\nbranch = \"agents/api\"\ntasks = [\"Build the API (2h)\"]\n";

#[test]
fn a_machine_killed_mid_command_is_taken_over_after_its_lease_and_nothing_is_lost() {
    let fleet = Machines::new(2, ONE, "2", "0.3");
    let (mut first, _) = fleet.start_run(&fleet.clones[0], resumable_work(), &[]);
    fleet.wait_for_first_part();
    kill_group(&mut first);
    let (mut second, out) = fleet.start_run(&fleet.clones[1], resumable_work(), &[]);
    let status = wait(&mut second, Duration::from_secs(60), &out);
    assert!(
        status.success(),
        "{}",
        std::fs::read_to_string(&out).unwrap()
    );
    let events = events(&out);
    let took: Vec<&serde_json::Value> = events
        .iter()
        .filter(|e| e["event"] == "took_over")
        .collect();
    assert_eq!(took.len(), 1, "{events:?}");
    assert_eq!(took[0]["from"], "m1");
    let landed = fleet.on_remote(&["show", "main:api.txt"]);
    assert_eq!(landed, "first\nsecond\n", "both machines' work is on base");
    let audit = fleet.on_remote(&["log", "--format=%s", "refs/agents/state"]);
    assert!(audit.contains("take over api from m1 on m2"), "{audit}");
    fleet.assert_each_merge_tested();
}

#[test]
fn a_machine_that_loses_the_remote_keeps_working_and_catches_up() {
    let fleet = Machines::new(1, ONE, "30", "0.2");
    let dir = &fleet.clones[0];
    let exec = "echo work > \"$GIT_AGENTS_AGENT.txt\"; git add .; git commit -qm work; sleep 2";
    let (mut run, out) = fleet.start_run(dir, exec, &[]);
    wait_for("the claim", Duration::from_secs(30), || {
        events(&out).iter().any(|e| e["event"] == "launched")
    });
    let elsewhere = fleet.path("nowhere.git");
    fleet
        .repo
        .git(&["remote", "set-url", "origin", elsewhere.to_str().unwrap()]);
    wait_for("the run to notice", Duration::from_secs(30), || {
        events(&out).iter().any(|e| e["event"] == "unreachable")
    });
    fleet.repo.git(&[
        "remote",
        "set-url",
        "origin",
        fleet.remote.to_str().unwrap(),
    ]);
    let status = wait(&mut run, Duration::from_secs(60), &out);
    assert!(
        status.success(),
        "{}",
        std::fs::read_to_string(&out).unwrap()
    );
    let events = events(&out);
    assert!(
        events.iter().any(|e| e["event"] == "reconnected"),
        "{events:?}"
    );
    assert_eq!(fleet.on_remote(&["show", "main:api.txt"]).trim(), "work");
}

#[test]
fn a_lease_lost_while_away_stops_the_agent_here_and_sets_its_branch_aside() {
    let fleet = Machines::new(2, ONE, "2", "0.3");
    let (mut away, away_out) = fleet.start_run(&fleet.clones[0], resumable_work(), &[]);
    fleet.wait_for_first_part();
    let elsewhere = fleet.path("nowhere.git");
    fleet
        .repo
        .git(&["remote", "set-url", "origin", elsewhere.to_str().unwrap()]);
    let (mut other, out) = fleet.start_run(&fleet.clones[1], resumable_work(), &[]);
    let status = wait(&mut other, Duration::from_secs(60), &out);
    assert!(
        status.success(),
        "{}",
        std::fs::read_to_string(&out).unwrap()
    );
    assert_eq!(
        fleet.on_remote(&["show", "main:api.txt"]),
        "first\nsecond\n"
    );
    fleet.repo.git(&[
        "remote",
        "set-url",
        "origin",
        fleet.remote.to_str().unwrap(),
    ]);
    let status = wait(&mut away, Duration::from_secs(60), &away_out);
    assert!(
        status.success(),
        "{}",
        std::fs::read_to_string(&away_out).unwrap()
    );
    let lost: Vec<serde_json::Value> = events(&away_out)
        .into_iter()
        .filter(|e| e["event"] == "lease_lost")
        .collect();
    assert_eq!(lost.len(), 1, "{lost:?}");
    assert_eq!(lost[0]["holder"], "m2");
    let aside = lost[0]["set_aside"].as_str().unwrap();
    assert!(aside.starts_with("agents/api-from-m1-"), "{aside}");
    assert!(fleet.remote_has(&format!("refs/heads/{aside}")));
}

#[test]
fn status_shows_each_agents_machine_and_doctor_an_expired_lease() {
    let fleet = Machines::new(2, ONE, "4", "0.2");
    let (mut run, out) = fleet.start_run(&fleet.clones[0], resumable_work(), &[]);
    wait_for("the claim", Duration::from_secs(30), || {
        events(&out).iter().any(|e| e["event"] == "launched")
    });
    let other = &fleet.clones[1];
    fleet.repo.agents_in(other, &["sync"]).ok();
    let view = fleet
        .repo
        .agents_in(other, &["status", "--json"])
        .ok()
        .json();
    let api = common::agent(&view, "api");
    assert_eq!(api["claim"]["machine"], "m1");
    assert!(api["lease_age"].as_i64().is_some(), "{api}");
    fleet
        .repo
        .agents_in(other, &["status"])
        .ok()
        .prints("on m1 (lease renewed");
    // The machine dies; its claim stays until someone takes the agent over.
    kill_group(&mut run);
    std::thread::sleep(Duration::from_millis(4500));
    let doctor = fleet
        .repo
        .agents_in(other, &["doctor", "--json"])
        .fails(1)
        .json();
    let kinds = common::problem_kinds(&doctor);
    assert!(
        kinds.contains(&("api".to_owned(), "lease_expired".to_owned())),
        "{kinds:?}"
    );
    // Agents another machine holds are not this clone's to repair: no missing worktree.
    assert!(
        !kinds.iter().any(|(_, kind)| kind == "worktree_missing"),
        "{kinds:?}"
    );
}

#[test]
fn a_merge_that_loses_the_race_for_the_shared_base_is_judged_again_on_it() {
    let fleet = Machines::new(1, ONE, "30", "0.5");
    let outsider = fleet.path("outsider");
    fleet.repo.git(&[
        "clone",
        "-q",
        fleet.remote.to_str().unwrap(),
        outsider.to_str().unwrap(),
    ]);
    // The test command: the first two runs (the head's, then the merged result's) each
    // let someone else push a commit to the remote's main while they run.
    let script = fleet.path("test.sh");
    std::fs::write(
        &script,
        format!(
            "git rev-parse 'HEAD^{{tree}}' >> '{tests}'\n\
             n=$(cat '{count}' 2>/dev/null || echo 0); n=$((n+1)); echo $n > '{count}'\n\
             if [ $n -le 2 ]; then\n\
               unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE\n\
               cd '{outsider}' && echo $n > outside-$n.txt && git add . && git commit -qm \"an outside commit $n\" && git push -q origin HEAD:main\n\
             fi\n",
            tests = fleet.path("tests.log").display(),
            count = fleet.path("count").display(),
            outsider = outsider.display(),
        ),
    )
    .unwrap();
    fleet.repo.git(&[
        "config",
        "agents.testCommand",
        &format!("sh '{}'", script.display()),
    ]);
    let exec = "echo api > api.txt; git add .; git commit -qm 'api: work'";
    let (mut run, out) = fleet.start_run(&fleet.clones[0], exec, &[]);
    let status = wait(&mut run, Duration::from_secs(60), &out);
    assert!(
        status.success(),
        "{}",
        std::fs::read_to_string(&out).unwrap()
    );
    for file in ["outside-1.txt", "outside-2.txt", "api.txt"] {
        fleet.on_remote(&["show", &format!("main:{file}")]);
    }
    let runs = std::fs::read_to_string(fleet.path("count")).unwrap();
    assert_eq!(
        runs.trim(),
        "3",
        "the head, the lost race, the merge that landed"
    );
    let merged: Vec<serde_json::Value> = events(&out)
        .into_iter()
        .filter(|e| e["event"] == "merged")
        .collect();
    assert_eq!(merged.len(), 1, "{merged:?}");
    fleet.assert_each_merge_tested();
}

#[test]
fn a_run_that_shares_no_fleet_leaves_an_agent_another_machine_holds() {
    let fleet = Machines::new(2, ONE, "30", "0.2");
    let (mut holder, out) = fleet.start_run(&fleet.clones[0], resumable_work(), &[]);
    wait_for("the claim", Duration::from_secs(30), || {
        events(&out).iter().any(|e| e["event"] == "launched")
    });
    let other = &fleet.clones[1];
    fleet.repo.agents_in(other, &["sync"]).ok();
    let launches = fleet.path("second.log");
    let exec = format!("echo launched >> '{}'", launches.display());
    let run = fleet
        .repo
        .agents_in(other, &["run", "--exec", &exec, "--json"])
        .ok();
    let held: Vec<serde_json::Value> = run
        .json_lines()
        .into_iter()
        .filter(|e| e["event"] == "held_elsewhere")
        .collect();
    assert_eq!(held.len(), 1, "{}", run.stdout);
    assert_eq!(held[0]["machine"], "m1");
    assert!(
        !launches.exists(),
        "the agent was not launched a second time"
    );
    kill_group(&mut holder);
}

#[test]
fn a_run_stopped_with_ctrl_c_lets_another_machine_go_on_at_once() {
    // A lease far longer than the test: only a release lets the second machine start.
    let fleet = Machines::new(2, ONE, "600", "0.2");
    let (mut first, out) = fleet.start_run(&fleet.clones[0], resumable_work(), &[]);
    fleet.wait_for_first_part();
    common::signal_group(first.id(), 2);
    let status = wait(&mut first, Duration::from_secs(30), &out);
    assert!(
        events(&out).iter().any(|e| e["event"] == "interrupted"),
        "{status:?}"
    );
    let audit = fleet.on_remote(&["log", "--format=%s", "refs/agents/state"]);
    assert!(audit.contains("release api on m1"), "{audit}");
    let (mut second, second_out) = fleet.start_run(&fleet.clones[1], resumable_work(), &[]);
    let status = wait(&mut second, Duration::from_secs(60), &second_out);
    assert!(
        status.success(),
        "{}",
        std::fs::read_to_string(&second_out).unwrap()
    );
    assert_eq!(
        fleet.on_remote(&["show", "main:api.txt"]),
        "first\nsecond\n"
    );
}
