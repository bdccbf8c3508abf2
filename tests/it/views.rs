//! What people see, as snapshots: the dashboard, an agent's merge criteria, doctor's
//! findings and the timeline, with paths, commit ids and times filtered out.

use crate::common::{self, Repo};

/// Assert `text` against the inline snapshot, with what varies between runs filtered out.
macro_rules! assert_view {
    ($repo:expr, $text:expr, @$snapshot:literal) => {
        let filters = common::view_filters(&$repo);
        let filters: Vec<(&str, &str)> =
            filters.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        insta::with_settings!({ filters => filters }, {
            insta::assert_snapshot!($text, @$snapshot);
        })
    };
}

#[test]
fn a_fresh_fleet_on_the_dashboard() {
    let repo = Repo::new();
    repo.init_example();
    let status = repo.agents(&["status"]).ok();
    assert_view!(repo, status.stdout, @"
    security-agent  ░░░░░░░░░░   0%  planned
    backend-agent   ░░░░░░░░░░   0%  planned
    frontend-agent  ░░░░░░░░░░   0%  planned
    rag-agent       ░░░░░░░░░░   0%  planned
    devops-agent    ░░░░░░░░░░   0%  planned
    testing-agent   ░░░░░░░░░░   0%  planned      blocked by backend-agent, frontend-agent
    docs-agent      ░░░░░░░░░░   0%  planned      blocked by security-agent, backend-agent, rag-agent
    github-agent    ░░░░░░░░░░   0%  planned      blocked by backend-agent
    8 agents: 8 planned · 0/38 tasks · 0 h of 230 h 5 min (0%) · 0 PRs open · 3 blocked
    ");
}

#[test]
fn an_agent_at_work_on_the_dashboard() {
    let repo = Repo::new();
    repo.init_example();
    repo.agents(&["spawn", "backend-agent"]).ok();
    let dir = repo.worktree("backend-agent");
    repo.agents_in(&dir, &["task", "start", "1"]).ok();
    repo.agents_in(&dir, &["task", "done", "1"]).ok();
    repo.agents_in(&dir, &["task", "start", "2"]).ok();
    repo.commit_in(&dir, "api.rs", "fn main() {}\n", "backend: api");
    let status = repo.agents(&["status"]).ok();
    assert_view!(repo, status.stdout, @"
    security-agent  ░░░░░░░░░░   0%  planned
    backend-agent   ████░░░░░░  43%  in_progress  2. Implement repository pattern · ↑1 ↓0
    frontend-agent  ░░░░░░░░░░   0%  planned
    rag-agent       ░░░░░░░░░░   0%  planned
    devops-agent    ░░░░░░░░░░   0%  planned
    testing-agent   ░░░░░░░░░░   0%  planned      blocked by backend-agent, frontend-agent
    docs-agent      ░░░░░░░░░░   0%  planned      blocked by security-agent, backend-agent, rag-agent
    github-agent    ░░░░░░░░░░   0%  planned      blocked by backend-agent
    8 agents: 7 planned, 1 in_progress · 1/38 tasks · 16 h of 230 h 5 min (7%) · 0 PRs open · 3 blocked
    ");
    let one = repo.agents(&["status", "backend-agent"]).ok();
    assert_view!(repo, one.stdout, @"
    backend-agent  ████░░░░░░  43%  in_progress  2. Implement repository pattern · ↑1 ↓0
      title     Backend Architecture
      branch    feature/backend-architecture
      worktree  worktrees/backend-agent
      head      [SHA]
      tasks     1/4 done, 16 h of 37 h
      commits   1 ahead of base, 0 behind
      changes   none uncommitted
    1 agent: 1 in_progress · 1/4 tasks · 16 h of 37 h (43%) · 0 PRs open · 0 blocked
    ");
}

#[test]
fn merge_criteria_one_line_each() {
    let repo = Repo::new();
    repo.init_example();
    repo.agents(&["spawn", "security-agent"]).ok();
    let dir = repo.worktree("security-agent");
    repo.commit_in(&dir, "auth.rs", "// auth\n", "security: auth");
    repo.agents_in(&dir, &["test", "--", "sh", "-c", "exit 0"])
        .ok();
    repo.agents_in(&dir, &["review", "--", "echo", "Score: 7/10"])
        .fails(1);
    let dry = repo
        .agents(&["merge", "security-agent", "--dry-run"])
        .fails(1);
    assert_view!(repo, dry.stdout, @"
    security-agent → main (local forge, head [SHA])
      ✗ pr           no PR yet (git agents pr security-agent)
      ✓ tests        passed on [SHA] (`sh -c 'exit 0'`)
      ✗ review       7/10 on [SHA], needs 10/10
      ✗ tasks        0 of 6 done; open: 1, 2, 3, 4, 2 more (git agents task done N)
      ✓ mergeable    merges cleanly into main
      ✓ dependencies none
      ✗ approvals    0 of 1 approvals on [SHA]; git agents approve security-agent
    ");
}

#[test]
fn doctor_names_each_problem() {
    let repo = Repo::new();
    repo.init_example();
    repo.agents(&["spawn", "rag-agent", "devops-agent"]).ok();
    std::fs::remove_dir_all(repo.worktree("rag-agent")).unwrap();
    repo.git(&["worktree", "prune"]);
    let doctor = repo.agents(&["doctor"]).fails(1);
    assert_view!(repo, doctor.stdout, @"
    ✗ rag-agent: rag-agent is in_progress but has no worktree at [REPO]/worktrees/rag-agent
      --fix: check feature/rag-completion out again into [REPO]/worktrees/rag-agent

    1 problem found; 1 can be repaired with `git agents doctor --fix`.
    ");
}

#[test]
fn the_timeline_of_the_example_plan() {
    let repo = Repo::new();
    repo.init_example();
    let timeline = repo.agents(&["plan", "--timeline"]).ok();
    assert_view!(repo, timeline.stdout, @"
    8 agents · 230 h 5 min of work · base main

    Phases
      1. security-agent, backend-agent, frontend-agent, rag-agent, devops-agent  (longest 40 h)
      2. testing-agent, docs-agent, github-agent  (longest 46 h)

    Critical path: backend-agent → testing-agent, 83 h
    Schedule with 8 agents at once: 83 h, against 230 h 5 min in sequence (2.8× faster)

                    0 h          20 h          40 h         60 h          80 h
                    ┬────────────┬─────────────┬────────────┬─────────────┬──
    backend-agent   █████████████████████████                                 0 h → 37 h  critical
    frontend-agent  █████████████                                             0 h → 19 h
    rag-agent       ███████████████████████                                   0 h → 34 h
    devops-agent    ███████████████████████████                               0 h → 40 h
    security-agent  ████████████                                              0 h → 18 h
    testing-agent                            ███████████████████████████████  37 h → 83 h  critical
    github-agent                             ███████████████                  37 h → 59 h
    docs-agent                               █████████                        37 h → 51 h 5 min
    ");
    let two = repo.agents(&["plan", "--timeline", "--parallel", "2"]).ok();
    assert_view!(repo, two.stdout, @"
    8 agents · 230 h 5 min of work · base main

    Phases
      1. security-agent, backend-agent, frontend-agent, rag-agent, devops-agent  (longest 40 h)
      2. testing-agent, docs-agent, github-agent  (longest 46 h)

    Critical path: backend-agent → testing-agent, 83 h
    Schedule with 2 agents at once: 115 h 5 min, against 230 h 5 min in sequence (2.0× faster)

                    0 h       20 h     40 h      60 h      80 h      100 h
                    ┬─────────┬────────┬─────────┬─────────┬─────────┬───────
    backend-agent   ██████████████████                                        0 h → 37 h  critical
    frontend-agent  █████████                                                 0 h → 19 h
    rag-agent                █████████████████                                19 h → 53 h
    testing-agent                     ██████████████████████                  37 h → 83 h  critical
    devops-agent                              ███████████████████             53 h → 93 h
    security-agent                                          █████████         83 h → 101 h
    github-agent                                                 ███████████  93 h → 115 h
    docs-agent                                                       ███████  101 h → 115 h 5 min
    ");
}
