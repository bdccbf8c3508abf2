//! Many writers, one repository: processes in different worktrees report task progress,
//! change status, leave notes and read the dashboard at the same time, while threads
//! record test results on the notes ref. Afterwards every operation's effect is in the
//! state, the state ref has exactly one commit per write that changed something, and
//! `git fsck` is clean.
//!
//! `STRESS_WRITERS` and `STRESS_OPS` size the run (16 × 50 by default); the bench script
//! runs it at 16 × 200.

use crate::common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use common::Repo;
use common::crash::Random;

const HUB: &str = "hub";
const TASKS: usize = 6;

fn setting(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// One operation a writer runs as a `git agents` process.
#[derive(Debug, Clone)]
enum Op {
    Done(usize),
    Undo(usize),
    Start(usize),
    Note(String),
    HubNote(String),
    Status(&'static str),
    Read,
}

/// What a writer's own agent document must look like, as its operations predict.
#[derive(Debug, Default, Clone)]
struct Model {
    done: BTreeSet<usize>,
    current: Option<usize>,
    status: String,
    notes: Vec<String>,
}

impl Model {
    /// Apply `op` and return whether it changes the document (`None` for reads).
    fn apply(&mut self, op: &Op) -> Option<bool> {
        match op {
            Op::Done(n) => {
                let changed = !self.done.contains(n) || self.current == Some(*n);
                self.done.insert(*n);
                if self.current == Some(*n) {
                    self.current = None;
                }
                Some(changed)
            }
            Op::Undo(n) => Some(self.done.remove(n)),
            Op::Start(n) => {
                let changed = self.current != Some(*n);
                self.current = Some(*n);
                Some(changed)
            }
            Op::Note(text) => {
                self.notes.push(text.clone());
                Some(true)
            }
            Op::HubNote(_) => Some(true),
            Op::Status(status) => {
                let changed = self.status != *status;
                self.status = (*status).to_owned();
                Some(changed)
            }
            Op::Read => None,
        }
    }
}

fn script(writer: usize, ops: usize, seed: u64) -> Vec<Op> {
    let mut random =
        Random::from_seed(seed ^ (writer as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15));
    (0..ops)
        .map(|i| {
            let task = random.below(TASKS as u64) as usize + 1;
            match random.below(10) {
                0 | 1 => Op::Done(task),
                2 => Op::Undo(task),
                3 => Op::Start(task),
                4 | 5 => Op::Note(format!("w{writer} op{i}")),
                6 => Op::HubNote(format!("w{writer} op{i} hub")),
                7 => Op::Status(["in_progress", "review"][random.below(2) as usize]),
                _ => Op::Read,
            }
        })
        .collect()
}

fn args(op: &Op) -> Vec<String> {
    let own = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    match op {
        Op::Done(n) => own(&["task", "done", &n.to_string(), "--json"]),
        Op::Undo(n) => own(&["task", "undo", &n.to_string(), "--json"]),
        Op::Start(n) => own(&["task", "start", &n.to_string(), "--json"]),
        Op::Note(text) => own(&["update", "--note", text, "--json"]),
        Op::HubNote(text) => own(&["update", "--agent", HUB, "--note", text, "--json"]),
        Op::Status(status) => own(&["update", "--status", status, "--json"]),
        Op::Read => own(&["status", "--json"]),
    }
}

/// The state commit message an operation that changed something writes.
fn message(name: &str, op: &Op) -> String {
    let title = |n: &usize| format!("Task {n}");
    match op {
        Op::Done(n) => format!("task done {name} #{n}: {}", title(n)),
        Op::Undo(n) => format!("task undo {name} #{n}: {}", title(n)),
        Op::Start(n) => format!("task start {name} #{n}: {}", title(n)),
        Op::Note(text) => format!("update {name}: note {text}"),
        Op::HubNote(text) => format!("update {HUB}: note {text}"),
        Op::Status(status) => format!("update {name}: status {status}"),
        Op::Read => unreachable!("reads write nothing"),
    }
}

fn plan(writers: usize) -> String {
    let mut text = String::new();
    for agent in (0..writers)
        .map(|w| format!("w{w}"))
        .chain([HUB.to_owned()])
    {
        let tasks: Vec<String> = (1..=TASKS).map(|n| format!("\"Task {n} (1h)\"")).collect();
        text.push_str(&format!(
            "[[agents]]\nname = \"{agent}\"\nbranch = \"agents/{agent}\"\ntasks = [{}]\n\n",
            tasks.join(", ")
        ));
    }
    text
}

fn doc(repo: &Repo, name: &str) -> serde_json::Value {
    serde_json::from_str(&repo.git(&["show", &format!("refs/agents/state:agents/{name}.json")]))
        .unwrap()
}

fn texts(doc: &serde_json::Value) -> Vec<String> {
    doc["notes"]
        .as_array()
        .map(|notes| {
            notes
                .iter()
                .map(|n| n["text"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn many_writers_in_many_worktrees_lose_nothing() {
    let writers = setting("STRESS_WRITERS", 16);
    let ops = setting("STRESS_OPS", 50);
    let seed = common::crash::seed("STRESS_SEED");
    let repo = Repo::new();
    let plan_file = repo.tmp.path().join("plan.toml");
    std::fs::write(&plan_file, plan(writers)).unwrap();
    repo.agents(&["init", "--plan", plan_file.to_str().unwrap()])
        .ok();
    repo.agents(&["spawn", "--ready"]).ok();
    repo.git(&["config", "user.name", "Test User"]);
    repo.git(&["config", "user.email", "test@example.com"]);
    let start = repo
        .git(&["rev-parse", "refs/agents/state"])
        .trim()
        .to_owned();
    let heads: Vec<String> = (0..4)
        .map(|i| {
            repo.git(&[
                "commit-tree",
                "HEAD^{tree}",
                "-p",
                "HEAD",
                "-m",
                &format!("c{i}"),
            ])
            .trim()
            .to_owned()
        })
        .collect();
    let scripts: Vec<Vec<Op>> = (0..writers).map(|w| script(w, ops, seed)).collect();
    let note_threads = 4;
    let notes_each = (writers * ops / 32).max(5);
    let started = std::time::Instant::now();

    let results: Vec<Result<Model, String>> = std::thread::scope(|scope| {
        let note_writers: Vec<_> = (0..note_threads)
            .map(|t| {
                let repo = &repo;
                let heads = &heads;
                scope.spawn(move || record_test_runs(repo, heads, t, notes_each))
            })
            .collect();
        let handles: Vec<_> = scripts
            .iter()
            .enumerate()
            .map(|(writer, script)| {
                let repo = &repo;
                scope.spawn(move || run_writer(repo, writer, script))
            })
            .collect();
        for handle in note_writers {
            handle.join().unwrap();
        }
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let elapsed = started.elapsed();
    let models: Vec<Model> = results
        .into_iter()
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("{e}"));

    let mut expected_messages: BTreeMap<String, usize> = BTreeMap::new();
    let mut hub_expected: Vec<Vec<String>> = vec![Vec::new(); writers];
    for (writer, script) in scripts.iter().enumerate() {
        let name = format!("w{writer}");
        let mut model = Model {
            status: "in_progress".to_owned(),
            ..Model::default()
        };
        for op in script {
            if model.apply(op) == Some(true) {
                *expected_messages.entry(message(&name, op)).or_default() += 1;
            }
            if let Op::HubNote(text) = op {
                hub_expected[writer].push(text.clone());
            }
        }
    }
    for (writer, model) in models.iter().enumerate() {
        let doc = doc(&repo, &format!("w{writer}"));
        let done: BTreeSet<usize> = doc["done_tasks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_u64().unwrap() as usize)
            .collect();
        assert_eq!(done, model.done, "w{writer} done tasks");
        assert_eq!(
            doc["current_task"].as_u64().map(|n| n as usize),
            model.current,
            "w{writer} current task"
        );
        assert_eq!(doc["status"], model.status.as_str(), "w{writer} status");
        assert_eq!(texts(&doc), model.notes, "w{writer} notes, in order");
    }
    let hub = texts(&doc(&repo, HUB));
    for (writer, expected) in hub_expected.iter().enumerate() {
        let prefix = format!("w{writer} ");
        let seen: Vec<&String> = hub.iter().filter(|t| t.starts_with(&prefix)).collect();
        assert_eq!(
            seen,
            expected.iter().collect::<Vec<_>>(),
            "w{writer} hub notes"
        );
    }

    let history = repo.git(&[
        "log",
        "--format=%P %s",
        &format!("{start}..refs/agents/state"),
    ]);
    let mut written: BTreeMap<String, usize> = BTreeMap::new();
    for line in history.lines() {
        let (parents, subject) = line.split_once(' ').unwrap();
        assert!(!parents.contains(' '), "a linear history: {line}");
        *written.entry(subject.to_owned()).or_default() += 1;
    }
    let changes: usize = expected_messages.values().sum();
    assert_eq!(
        history.lines().count(),
        changes,
        "one state commit per write that changed something"
    );
    assert_eq!(written, expected_messages);

    let mut recorded = BTreeSet::new();
    for head in &heads {
        let id = gix::ObjectId::from_hex(head.as_bytes()).unwrap();
        for record in git_agents::state::notes::read(&open(&repo), id).unwrap() {
            if let git_agents::state::notes::Record::Test { command, .. } = record {
                assert!(recorded.insert(command.clone()), "{command} recorded twice");
            }
        }
    }
    assert_eq!(
        recorded.len(),
        note_threads * notes_each,
        "every test run noted"
    );
    assert_eq!(
        repo.git(&["rev-list", "--count", "refs/notes/agents"])
            .trim(),
        (note_threads * notes_each).to_string(),
        "one notes commit per record"
    );
    assert_fsck_clean(&repo);
    eprintln!(
        "{writers} writers × {ops} operations: {} state commits, {} notes in {:.1} s",
        changes,
        note_threads * notes_each,
        elapsed.as_secs_f64()
    );
}

/// `git fsck` finds nothing wrong. A background gc started by the last writes may still be
/// moving loose objects into a pack, which fsck reports as missing when it lists one and
/// then cannot open it; so fsck runs again, once no gc holds the repository, until a
/// deadline. Real damage fails every time.
fn assert_fsck_clean(repo: &Repo) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    loop {
        while repo.root.join(".git/gc.pid").exists() && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
        let fsck = repo
            .command("git", &repo.root)
            .args(["fsck", "--no-progress", "--no-dangling"])
            .output()
            .unwrap();
        if fsck.status.success() && fsck.stderr.is_empty() {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{}",
            String::from_utf8_lossy(&fsck.stderr)
        );
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
}

fn open(repo: &Repo) -> gix::Repository {
    gix::open(&repo.root).unwrap()
}

/// Run `script` in writer `writer`'s worktree and return the model of its document,
/// or what went wrong.
fn run_writer(repo: &Repo, writer: usize, script: &[Op]) -> Result<Model, String> {
    let name = format!("w{writer}");
    let dir: PathBuf = repo.root.join("worktrees").join(&name);
    let mut model = Model {
        status: "in_progress".to_owned(),
        ..Model::default()
    };
    for (i, op) in script.iter().enumerate() {
        let args = args(op);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let run = repo.agents_in(&dir, &args);
        if run.code != 0 {
            return Err(format!(
                "{name} op {i} {op:?} exited {}: {}",
                run.code, run.stderr
            ));
        }
        let json = run.json();
        match model.apply(op) {
            Some(expected) => {
                if json["changed"] != expected {
                    return Err(format!(
                        "{name} op {i} {op:?}: changed is {}, expected {expected}",
                        json["changed"]
                    ));
                }
            }
            None => {
                let view = json["agents"]
                    .as_array()
                    .and_then(|a| a.iter().find(|v| v["name"] == name.as_str()))
                    .ok_or_else(|| format!("{name} missing from status"))?;
                if view["tasks_done"] != model.done.len() || view["status"] != model.status.as_str()
                {
                    return Err(format!(
                        "{name} op {i}: status shows {} done, {}; expected {} done, {}",
                        view["tasks_done"],
                        view["status"],
                        model.done.len(),
                        model.status
                    ));
                }
            }
        }
    }
    Ok(model)
}

/// Append `count` test records from thread `thread` to the notes of the agents' head commits.
fn record_test_runs(repo: &Repo, heads: &[String], thread: usize, count: usize) {
    let git = open(repo);
    for i in 0..count {
        let head = &heads[(thread + i) % heads.len()];
        let record = git_agents::state::notes::Record::Test {
            passing: i % 3 != 0,
            exit_code: Some(0),
            command: format!("t{thread} r{i}"),
            argv: None,
            duration_ms: 1,
            at: "2026-01-01T00:00:00Z".to_owned(),
            agent: None,
            merged_result: None,
        };
        git_agents::state::notes::append(
            &git,
            gix::ObjectId::from_hex(head.as_bytes()).unwrap(),
            &record,
        )
        .unwrap();
    }
}

fn count_objects(repo: &Repo) -> (usize, usize) {
    let text = repo.git(&["count-objects", "-v"]);
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0)
    };
    (field("count:"), field("in-pack:"))
}

/// The loose objects in `objects/17`: `git gc --auto` counts only these, and packs once
/// there are more than `gc.auto / 256` (rounded up) of them.
fn loose_in_sample(repo: &Repo) -> usize {
    std::fs::read_dir(repo.root.join(".git/objects/17"))
        .map(|entries| {
            entries
                .flatten()
                .filter(|e| {
                    let name = e.file_name();
                    let name = name.to_string_lossy();
                    name.len() == 38 && name.bytes().all(|b| b.is_ascii_hexdigit())
                })
                .count()
        })
        .unwrap_or(0)
}

/// Add a note to docs-agent in-process and return the new state commit.
fn write_note(git: &gix::Repository, i: usize) -> gix::ObjectId {
    git_agents::state::update::<_, git_agents::Error>(git, |state| {
        let doc = state.agent_mut("docs-agent").unwrap();
        doc.notes.push(git_agents::state::Note {
            at: String::new(),
            by: String::new(),
            text: format!("note {i}"),
        });
        Ok((format!("update docs-agent: note {i}"), ()))
    })
    .unwrap()
    .commit
    .unwrap()
}

#[test]
fn bursts_of_writes_get_packed_by_automatic_maintenance() {
    let repo = Repo::new();
    repo.init_example();
    repo.git(&["config", "user.name", "Test User"]);
    repo.git(&["config", "user.email", "test@example.com"]);
    // The writes run in this process, so the maintenance they start reads this machine's
    // global config too; the repository's own settings win over it. gc.auto = 1 is git's
    // lowest threshold: pack once objects/17 holds two loose objects.
    repo.git(&["config", "gc.auto", "1"]);
    repo.git(&["config", "maintenance.auto", "true"]);
    repo.git(&["config", "maintenance.gc.enabled", "true"]);
    assert_eq!(
        count_objects(&repo).1,
        0,
        "nothing is packed before the burst"
    );
    let git = open(&repo);

    // Git decides from objects/17 alone whether packing is due, so the burst goes on until
    // a write chosen to start maintenance lands while that directory says it is.
    let mut writes = 0;
    loop {
        let due = loose_in_sample(&repo) > 1;
        let chosen = git_agents::git::maintenance::is_chosen(write_note(&git, writes));
        writes += 1;
        if due && chosen {
            break;
        }
        assert!(
            writes < 4000,
            "in {writes} writes none chosen to start maintenance landed while packing was due"
        );
    }

    // Maintenance packs in the background: wait for a pack and for gc to finish with it.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    let (loose, packed) = loop {
        let (loose, packed) = count_objects(&repo);
        let running = repo.root.join(".git/gc.pid").exists();
        if (packed > 0 && !running) || std::time::Instant::now() > deadline {
            break (loose, packed);
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    assert!(
        packed > 0 && loose < 4 * writes,
        "{writes} writes add {} loose objects; automatic maintenance did not pack them within two minutes: {loose} loose, {packed} packed",
        4 * writes
    );
    assert_eq!(
        repo.git(&["rev-list", "--count", "refs/agents/state"])
            .trim(),
        (writes + 1).to_string(),
        "every write is still in the history"
    );
    assert_fsck_clean(&repo);
}

/// How many `git maintenance run --auto` processes the trace2 files in `dir` record.
fn maintenance_runs(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .filter(|file| {
            let text = std::fs::read_to_string(file.path()).unwrap_or_default();
            text.lines()
                .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
                .find(|event| event["event"] == "start")
                .and_then(|start| {
                    let argv: Vec<String> = start["argv"]
                        .as_array()?
                        .iter()
                        .filter_map(|a| a.as_str().map(str::to_owned))
                        .collect();
                    Some(
                        argv.iter().any(|a| a == "maintenance")
                            && argv.iter().any(|a| a == "--auto"),
                    )
                })
                .unwrap_or(false)
        })
        .count()
}

/// Write notes through the binary until at least one new state commit is chosen to start
/// maintenance; return how many were.
fn write_until_chosen(repo: &Repo, env: &[(String, String)], label: &str) -> usize {
    let start = repo
        .git(&["rev-parse", "refs/agents/state"])
        .trim()
        .to_owned();
    for round in 0..48 {
        for i in 0..16 {
            let text = format!("{label} {round}.{i}");
            repo.agents_with(
                &repo.root,
                &["update", "--agent", "docs-agent", "--note", &text],
                env,
            )
            .ok();
        }
        let commits = repo.git(&["rev-list", &format!("{start}..refs/agents/state")]);
        let chosen = commits
            .lines()
            .filter(|id| {
                git_agents::git::maintenance::is_chosen(
                    gix::ObjectId::from_hex(id.as_bytes()).unwrap(),
                )
            })
            .count();
        if chosen > 0 {
            return chosen;
        }
    }
    panic!("768 writes and none chosen to start maintenance");
}

#[test]
fn chosen_writes_start_maintenance_unless_git_config_turns_it_off() {
    let repo = Repo::new();
    repo.init_example();
    let traces = repo.tmp.path().join("trace2");
    std::fs::create_dir_all(&traces).unwrap();
    let env = [("GIT_TRACE2_EVENT".to_owned(), traces.display().to_string())];

    let chosen = write_until_chosen(&repo, &env, "on");
    assert_eq!(
        maintenance_runs(&traces),
        chosen,
        "each chosen write starts `git maintenance run --auto`, and no other write does"
    );

    for (key, value) in [("maintenance.auto", "false"), ("gc.auto", "0")] {
        repo.git(&["config", key, value]);
        let before = maintenance_runs(&traces);
        let chosen = write_until_chosen(&repo, &env, key);
        assert!(chosen > 0);
        assert_eq!(
            maintenance_runs(&traces),
            before,
            "with {key} = {value}, the {chosen} chosen writes must start no maintenance"
        );
        repo.git(&["config", "--unset", key]);
    }
}

#[test]
fn a_state_returned_by_a_write_can_start_the_next_write() {
    let repo = Repo::new();
    repo.init_example();
    repo.git(&["config", "user.name", "Test User"]);
    repo.git(&["config", "user.email", "test@example.com"]);
    let git = open(&repo);
    let known = git_agents::state::State::load(&git).unwrap();
    let first =
        git_agents::state::update_from::<_, git_agents::Error>(&git, Some(known), |state| {
            state.agent_mut("rag-agent").unwrap().current_task = Some(2);
            Ok(("task start rag-agent #2".to_owned(), ()))
        })
        .unwrap();
    assert!(first.commit.is_some());
    let fresh = git_agents::state::State::load(&git).unwrap();
    assert_eq!(first.state.tip, fresh.tip);
    assert_eq!(first.state.agents, fresh.agents);
    assert_eq!(first.state.plan, fresh.plan);

    let unchanged = git_agents::state::update_from::<_, git_agents::Error>(
        &git,
        Some(first.state.clone()),
        |state| {
            state.agent_mut("rag-agent").unwrap().current_task = Some(2);
            Ok(("task start rag-agent #2".to_owned(), ()))
        },
    )
    .unwrap();
    assert_eq!(unchanged.commit, None, "nothing changed, nothing written");

    let second =
        git_agents::state::update_from::<_, git_agents::Error>(&git, Some(first.state), |state| {
            state.agent_mut("docs-agent").unwrap().current_task = Some(1);
            Ok(("task start docs-agent #1".to_owned(), ()))
        })
        .unwrap();
    let commit = second.commit.unwrap().to_string();
    let touched = repo.git(&["diff-tree", "-r", "--name-only", "--no-commit-id", &commit]);
    assert_eq!(touched.trim(), "agents/docs-agent.json");

    repo.agents(&["update", "--agent", "docs-agent", "--note", "elsewhere"])
        .ok();
    let stale =
        git_agents::state::update_from::<_, git_agents::Error>(&git, Some(second.state), |state| {
            state.agent_mut("docs-agent").unwrap().current_task = Some(2);
            Ok(("task start docs-agent #2".to_owned(), ()))
        })
        .unwrap();
    assert!(stale.commit.is_some());
    let doc = repo.git(&["show", "refs/agents/state:agents/docs-agent.json"]);
    assert!(
        doc.contains("elsewhere") && doc.contains("\"current_task\": 2"),
        "a known state the ref has moved past is read again: {doc}"
    );
}

/// Take git's lock on `path` (`path.lock`, created exclusively), or `None` if it is held.
fn git_lock(path: &std::path::Path) -> Option<PathBuf> {
    let mut lock = path.as_os_str().to_owned();
    lock.push(".lock");
    let lock = PathBuf::from(lock);
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&lock)
        .ok()
        .map(|_| lock)
}

/// Move `name` out of packed-refs into a loose ref holding git's locks on both, as a ref
/// is before its first `git pack-refs`; `false` if it was loose already or a lock was busy.
fn unpack_ref(git_dir: &std::path::Path, name: &str) -> bool {
    let loose = git_dir.join(name);
    let packed_refs = git_dir.join("packed-refs");
    let Some(ref_lock) = git_lock(&loose) else {
        return false;
    };
    let Some(packed_lock) = git_lock(&packed_refs) else {
        std::fs::remove_file(&ref_lock).unwrap();
        return false;
    };
    let packed = std::fs::read_to_string(&packed_refs).unwrap_or_default();
    let suffix = format!(" {name}");
    let tip = packed
        .lines()
        .find_map(|l| l.strip_suffix(suffix.as_str()))
        .filter(|_| !loose.exists());
    let Some(tip) = tip else {
        std::fs::remove_file(&packed_lock).unwrap();
        std::fs::remove_file(&ref_lock).unwrap();
        return false;
    };
    let rest: String = packed
        .lines()
        .filter(|l| !l.ends_with(suffix.as_str()))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&ref_lock, format!("{tip}\n")).unwrap();
    std::fs::write(&packed_lock, rest).unwrap();
    std::fs::rename(&ref_lock, &loose).unwrap();
    std::fs::rename(&packed_lock, &packed_refs).unwrap();
    true
}

#[test]
fn writes_survive_git_pack_refs_moving_the_state_ref() {
    let repo = Repo::new();
    repo.init_example();
    repo.git(&["config", "user.name", "Test User"]);
    repo.git(&["config", "user.email", "test@example.com"]);
    repo.git(&["config", "maintenance.auto", "false"]);
    let git_dir = repo.root.join(".git");
    let writers = 4;
    let each = 150;
    let done = std::sync::atomic::AtomicBool::new(false);
    // The gc that automatic maintenance starts runs `git pack-refs --all --prune`; the
    // first one to pack the state ref is the moment a writer can find it neither loose nor
    // in the packed-refs it read a moment before. Unpacking it again repeats that moment.
    let moves = std::thread::scope(|scope| {
        let packer = scope.spawn(|| {
            let mut moves = 0;
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                repo.git(&["pack-refs", "--all", "--prune"]);
                if unpack_ref(&git_dir, "refs/agents/state") {
                    moves += 1;
                }
            }
            moves
        });
        let handles: Vec<_> = (0..writers)
            .map(|w| {
                let repo = &repo;
                scope.spawn(move || {
                    let git = open(repo);
                    let write = |i: usize| {
                        git_agents::state::update::<_, git_agents::Error>(&git, |state| {
                            let doc = state.agent_mut("docs-agent").unwrap();
                            doc.notes.push(git_agents::state::Note {
                                at: String::new(),
                                by: String::new(),
                                text: format!("w{w} {i}"),
                            });
                            Ok((format!("update docs-agent: note w{w} {i}"), ()))
                        })
                        .map(|_| ())
                        .map_err(|e| format!("w{w} write {i}: {e}"))
                    };
                    (0..each)
                        .map(|i| {
                            // Unpacking, unlike anything git does, leaves an instant in
                            // which a reader can miss the ref both loose and packed; a
                            // write that read nothing then wrote nothing and goes again.
                            let mut result = write(i);
                            for _ in 0..20 {
                                match &result {
                                    Err(e) if e.contains("no git-agents state") => {
                                        result = write(i)
                                    }
                                    _ => break,
                                }
                            }
                            result
                        })
                        .collect::<Result<Vec<()>, String>>()
                })
            })
            .collect();
        let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        done.store(true, std::sync::atomic::Ordering::Relaxed);
        let moves = packer.join().unwrap();
        for result in results {
            result.unwrap_or_else(|e| panic!("{e}"));
        }
        moves
    });
    assert!(moves > 0, "the state ref was never packed and unpacked");
    let notes = texts(&doc(&repo, "docs-agent"));
    assert_eq!(notes.len(), writers * each, "every write is in the state");
}
