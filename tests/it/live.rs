//! Looking into an agent's work and leaving it a word: `diff` shows what it produced
//! against base (uncommitted work too), `comment` leaves a remark it sees in its brief.

use crate::common;

use common::Repo;

#[test]
fn diff_shows_the_agents_commits_and_uncommitted_work_against_base() {
    let repo = Repo::new();
    repo.init_example();
    repo.agents(&["diff", "security-agent"])
        .fails(1)
        .says("spawn it first");
    repo.agents(&["spawn", "security-agent"]).ok();
    repo.agents(&["diff", "security-agent"])
        .ok()
        .prints("has changed nothing against main yet");
    let dir = repo.worktree("security-agent");
    repo.commit_in(&dir, "auth.rs", "fn login() {}\n", "login");
    std::fs::write(dir.join("README.md"), "changed, not committed\n").unwrap();
    // Base moves on meanwhile: its change is not the agent's.
    repo.write("base.txt", "base\n");
    repo.git(&["add", "base.txt"]);
    repo.git(&["commit", "-q", "-m", "base moves"]);

    let patch = repo.agents(&["diff", "security-agent"]).ok();
    patch.prints("+fn login() {}");
    patch.prints("+changed, not committed");
    assert!(!patch.stdout.contains("base.txt"), "{}", patch.stdout);
    assert!(!patch.stdout.contains('\u{1b}'), "no colour off a terminal");

    let stat = repo.agents(&["diff", "security-agent", "--stat"]).ok();
    stat.prints("auth.rs");
    stat.prints("2 files changed");

    let json = repo
        .agents(&["diff", "security-agent", "--json"])
        .ok()
        .json();
    let files: Vec<&str> = json["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(files, ["README.md", "auth.rs"]);
    assert_eq!(json["files"][1]["added"], 1);
    assert!(json["worktree"].is_string());

    // From the agent's own worktree, the agent is inferred.
    repo.agents_in(&dir, &["diff", "--stat"])
        .ok()
        .prints("auth.rs");
}

#[test]
fn a_comment_shows_in_the_brief_and_the_audit_log() {
    let repo = Repo::new();
    repo.init_example();
    repo.agents(&["comment", "backend-agent", "keep the v1 routes working"])
        .ok()
        .prints("left a comment for backend-agent");
    repo.agents(&["comment", "backend-agent", " "])
        .fails(2)
        .says("a comment needs text");
    let brief = repo.agents(&["brief", "backend-agent"]).ok().stdout;
    assert!(brief.contains("## Comments"), "{brief}");
    assert!(brief.contains("keep the v1 routes working"), "{brief}");
    let json = repo
        .agents(&["brief", "backend-agent", "--json"])
        .ok()
        .json();
    assert_eq!(json["comments"][0]["text"], "keep the v1 routes working");
    repo.agents(&["log", "backend-agent"])
        .ok()
        .prints("comment backend-agent: keep the v1 routes working");
}

#[test]
fn comments_go_with_the_findings_when_run_sends_the_agent_back() {
    let repo = Repo::new();
    repo.init_example();
    repo.git(&["config", "agents.approvals", "0"]);
    repo.git(&["config", "agents.requireTasksDone", "false"]);
    repo.git(&["config", "agents.requireTests", "false"]);
    repo.git(&[
        "config",
        "agents.reviewCommand",
        "if test -f fixed.txt; then echo 'Score: 10/10'; else echo 'Score: 2/10'; fi",
    ]);
    repo.agents(&["comment", "security-agent", "use argon2, not md5"])
        .ok();
    let seen = repo.tmp.path().join("seen.txt");
    let exec = format!(
        "if test -n \"$GIT_AGENTS_REVIEW_FILE\"; then cp \"$GIT_AGENTS_REVIEW_FILE\" '{}'; echo f > fixed.txt; else echo w > w.txt; fi; git add . && git commit -qm work",
        seen.display()
    );
    repo.agents(&["run", "security-agent", "--exec", &exec])
        .ok();
    let findings = std::fs::read_to_string(&seen).unwrap();
    assert!(findings.contains("use argon2, not md5"), "{findings}");
}
