//! `git agents demo`: the whole product on a throwaway repository, with nothing but git.

use crate::common;

use common::Repo;

#[test]
fn demo_merges_all_eight_agents_and_leaves_a_repository_to_explore() {
    let fixture = Repo::new();
    let dir = fixture.tmp.path().join("demo");
    let run = fixture
        .agents(&["demo", "--fast", "--dir", dir.to_str().unwrap()])
        .ok();
    run.prints("8 merged, 0 failed, 0 waiting");
    assert!(
        run.stdout.contains(&format!("cd {}", dir.display())),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("Critical path: backend-agent → testing-agent, 83 h"),
        "{}",
        run.stdout
    );

    let status = fixture.agents_in(&dir, &["status", "--json"]).ok().json();
    let agents = status["agents"].as_array().unwrap();
    assert_eq!(agents.len(), 8);
    let work = fixture.git_in(&dir, &["ls-tree", "-r", "--name-only", "main", "work"]);
    for agent in agents {
        let name = agent["name"].as_str().unwrap();
        assert_eq!(agent["status"], "completed", "{agent}");
        assert_eq!(agent["tests_passing"], true, "{agent}");
        assert_eq!(agent["review_score"], 10, "{agent}");
        let tasks = agent["tasks_total"].as_u64().unwrap() as usize;
        assert_eq!(
            work.lines()
                .filter(|f| f.starts_with(&format!("work/{name}/")))
                .count(),
            tasks,
            "{work}"
        );
        // The notes are on the exact head that was merged.
        let head = fixture.git_in(
            &dir,
            &["show", &format!("refs/agents/state:agents/{name}.json")],
        );
        let head: serde_json::Value = serde_json::from_str(&head).unwrap();
        let notes = fixture.git_in(
            &dir,
            &[
                "notes",
                "--ref",
                "agents",
                "show",
                head["head"].as_str().unwrap(),
            ],
        );
        assert!(
            notes.contains("\"kind\":\"test\"") && notes.contains("\"kind\":\"review\""),
            "{notes}"
        );
        assert!(notes.contains("\"kind\":\"approval\""), "{notes}");
    }
    let order = fixture.git_in(&dir, &["log", "--format=%s", "main"]);
    let position = |name: &str| {
        order
            .lines()
            .position(|l| l.contains(&format!("({name})")))
            .unwrap()
    };
    assert!(
        position("testing-agent") < position("backend-agent"),
        "newest first: {order}"
    );
    assert!(position("docs-agent") < position("rag-agent"), "{order}");
    assert_eq!(
        fixture.git_in(&dir, &["worktree", "list"]).lines().count(),
        1,
        "every worktree finished"
    );
    assert_eq!(
        fixture
            .git_in(&dir, &["branch", "--format=%(refname:short)"])
            .trim(),
        "main"
    );
}

#[test]
fn demo_keep_leaves_the_worktrees_and_refuses_a_directory_of_other_things() {
    let fixture = Repo::new();
    let dir = fixture.tmp.path().join("kept");
    fixture
        .agents(&[
            "demo",
            "--fast",
            "--keep",
            "--dir",
            dir.to_str().unwrap(),
            "-q",
        ])
        .ok();
    assert_eq!(
        fixture
            .git_in(&dir, &["worktree", "list"])
            .lines()
            .filter(|l| !l.contains("agents/merge/kept-"))
            .count(),
        9,
        "the main worktree and the eight agents' (merge checkouts aside)"
    );
    // The same directory again resumes the demo (there is nothing left to do).
    fixture
        .agents(&["demo", "--fast", "--keep", "--dir", dir.to_str().unwrap()])
        .ok()
        .says("Resuming the demo in");
    let other = fixture.tmp.path().join("notes");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::write(other.join("mine.txt"), "mine\n").unwrap();
    fixture
        .agents(&["demo", "--fast", "--dir", other.to_str().unwrap()])
        .fails(2)
        .says("exists and is not empty");
    assert_eq!(
        std::fs::read_to_string(other.join("mine.txt")).unwrap(),
        "mine\n"
    );
}

#[test]
fn an_interrupted_demo_resumes_where_it_stopped() {
    let fixture = Repo::new();
    let dir = fixture.tmp.path().join("interrupted");
    let mut command = fixture.command(env!("CARGO_BIN_EXE_git-agents"), &fixture.root);
    command
        .args(["demo", "--fast", "--dir", dir.to_str().unwrap()])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    common::as_foreground_job(&mut command);
    let child = command.spawn().unwrap();
    // Interrupt it once the agents are at work.
    let started = std::time::Instant::now();
    while !dir.join("worktrees/backend-agent/work").exists() {
        assert!(
            started.elapsed().as_secs() < 60,
            "the demo never started working"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
    // Ctrl-C as a terminal sends it: to the whole foreground process group.
    let group = -i32::try_from(child.id()).unwrap();
    // SAFETY: signals the process group this test started and still owns.
    unsafe { libc::kill(group, libc::SIGINT) };
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("interrupted"),
        "{text}\n{}\n{:?}",
        String::from_utf8_lossy(&out.stderr),
        out.status
    );
    assert!(
        text.contains(&format!(
            "Resume with: git agents demo --dir {}",
            dir.display()
        )),
        "{text}"
    );
    // The resume it promised works.
    fixture
        .agents(&["demo", "--fast", "--dir", dir.to_str().unwrap()])
        .ok()
        .says("Resuming the demo in")
        .says("8 merged, 0 failed, 0 waiting");
}
