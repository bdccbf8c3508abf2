//! The conflict radar on real branches: predictions between active branches and against
//! base, files both sides touch, status marking agents at risk, and nothing touched.

use crate::common;

use common::Repo;
use common::agent;

fn pair<'a>(report: &'a serde_json::Value, a: &str, b: &str) -> &'a serde_json::Value {
    report["pairs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| (p["a"] == a && p["b"] == b) || (p["a"] == b && p["b"] == a))
        .unwrap_or_else(|| panic!("no pair {a} {b} in {report}"))
}

fn strings(value: &serde_json::Value) -> Vec<String> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

/// backend and frontend conflict on app.txt and both add the same same.txt; rag edits
/// README.md, which main changes too.
fn fleet() -> Repo {
    let repo = Repo::new();
    repo.init_example();
    repo.agents(&["spawn", "backend-agent", "frontend-agent", "rag-agent"])
        .ok();
    let wt = |name: &str| repo.root.join("worktrees").join(name);
    repo.commit_in(&wt("backend-agent"), "app.txt", "backend\n", "backend app");
    repo.commit_in(&wt("backend-agent"), "same.txt", "same\n", "same");
    repo.commit_in(
        &wt("frontend-agent"),
        "app.txt",
        "frontend\n",
        "frontend app",
    );
    repo.commit_in(&wt("frontend-agent"), "same.txt", "same\n", "same");
    repo.commit_in(&wt("rag-agent"), "README.md", "# rag\n", "rag readme");
    repo.commit_in(&repo.root, "README.md", "# main moved on\n", "main readme");
    repo
}

#[test]
fn predicts_conflicts_and_overlaps_touching_nothing() {
    let repo = fleet();
    let refs = repo.refs();
    let worktrees = repo.worktrees();
    let dirty = |name: &str| {
        repo.git_in(
            &repo.root.join("worktrees").join(name),
            &["status", "--porcelain"],
        )
    };
    let run = repo.agents(&["conflicts", "--json"]).fails(1);
    let report = run.json();
    assert_eq!(report["base"], "main");
    assert_eq!(report["branches"].as_array().unwrap().len(), 3);
    assert_eq!(report["pairs"].as_array().unwrap().len(), 3 + 3);

    let bf = pair(&report, "backend-agent", "frontend-agent");
    assert_eq!(strings(&bf["conflicts"]), ["app.txt"]);
    assert_eq!(strings(&bf["overlapping"]), ["app.txt", "same.txt"]);
    let rag_main = pair(&report, "rag-agent", "main");
    assert_eq!(rag_main["against_base"], true);
    assert_eq!(strings(&rag_main["conflicts"]), ["README.md"]);
    let backend_main = pair(&report, "backend-agent", "main");
    assert!(backend_main["conflicts"].as_array().unwrap().is_empty());
    assert!(backend_main["overlapping"].as_array().unwrap().is_empty());
    let br = pair(&report, "backend-agent", "rag-agent");
    assert!(br["conflicts"].as_array().unwrap().is_empty());

    assert_eq!(
        strings(&report["at_risk"]["backend-agent"]),
        ["frontend-agent"]
    );
    assert_eq!(
        strings(&report["at_risk"]["frontend-agent"]),
        ["backend-agent"]
    );
    assert_eq!(strings(&report["at_risk"]["rag-agent"]), ["main"]);

    assert_eq!(repo.refs(), refs, "no ref moved");
    assert_eq!(repo.worktrees(), worktrees);
    for name in ["backend-agent", "frontend-agent", "rag-agent"] {
        assert_eq!(dirty(name), "", "{name} untouched");
    }
    assert_eq!(repo.git(&["status", "--porcelain"]), "");

    let text = repo.agents(&["conflicts"]).fails(1).stdout;
    assert!(
        text.contains("Checked 3 active branches against main"),
        "{text}"
    );
    assert!(
        text.contains("✗ backend-agent ↔ frontend-agent: 1 conflicting file"),
        "{text}"
    );
    assert!(text.contains("conflict app.txt"), "{text}");
    assert!(text.contains("both     same.txt"), "{text}");
    assert!(text.contains("✗ rag-agent ↔ main"), "{text}");
}

#[test]
fn status_marks_agents_at_risk_only_for_the_commits_judged() {
    let repo = fleet();
    let before = repo.status_json();
    assert_eq!(agent(&before, "backend-agent")["at_risk"], false);

    let status = repo
        .agents(&["status", "--conflicts", "--json"])
        .ok()
        .json();
    assert_eq!(agent(&status, "backend-agent")["at_risk"], true);
    assert_eq!(
        strings(&agent(&status, "frontend-agent")["conflicts_with"]),
        ["backend-agent"]
    );
    assert_eq!(
        strings(&agent(&status, "rag-agent")["conflicts_with"]),
        ["main"]
    );
    assert_eq!(agent(&status, "security-agent")["at_risk"], false);

    let text = repo.agents(&["status"]).ok().stdout;
    let line = text
        .lines()
        .find(|l| l.starts_with("frontend-agent"))
        .unwrap();
    assert!(line.contains("⚠ conflicts with backend-agent"), "{line}");

    // frontend moves on: the remembered prediction no longer speaks for its new tip.
    repo.commit_in(
        &repo.root.join("worktrees/frontend-agent"),
        "app.txt",
        "backend\n",
        "take backend's app",
    );
    let status = repo.status_json();
    assert_eq!(agent(&status, "frontend-agent")["at_risk"], false);
    assert_eq!(agent(&status, "backend-agent")["at_risk"], false);
    assert_eq!(agent(&status, "rag-agent")["at_risk"], true);

    let fresh = repo.agents(&["conflicts", "--json"]).fails(1).json();
    let bf = pair(&fresh, "backend-agent", "frontend-agent");
    assert!(bf["conflicts"].as_array().unwrap().is_empty());
    assert_eq!(strings(&bf["overlapping"]), ["app.txt", "same.txt"]);
}

#[test]
fn nothing_active_is_clean_and_missing_branches_are_skipped() {
    let repo = Repo::new();
    repo.init_example();
    let run = repo.agents(&["conflicts"]).ok();
    run.prints("Checked 0 active branches");

    repo.agents(&["spawn", "security-agent", "docs-agent", "--force"])
        .ok();
    repo.git(&["worktree", "remove", "worktrees/docs-agent"]);
    repo.git(&["branch", "-D", "feature/documentation-updates"]);
    let report = repo.agents(&["conflicts", "--json"]).ok().json();
    assert_eq!(report["skipped"][0]["agent"], "docs-agent");
    assert_eq!(report["branches"].as_array().unwrap().len(), 1);
    assert_eq!(report["pairs"].as_array().unwrap().len(), 1);
}

#[test]
fn an_old_git_is_refused_with_a_clear_message() {
    let repo = fleet();
    let real_git = String::from_utf8(
        std::process::Command::new("sh")
            .args(["-c", "command -v git"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let shim = repo.tmp.path().join("old-git");
    std::fs::create_dir_all(&shim).unwrap();
    let script = format!(
        "#!/bin/sh\nif [ \"$1\" = --version ]; then echo 'git version 2.30.1'; exit 0; fi\nexec {} \"$@\"\n",
        real_git.trim()
    );
    std::fs::write(shim.join("git"), script).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(shim.join("git"), std::fs::Permissions::from_mode(0o755)).unwrap();
    let binary = common::bin_dir().join("git-agents");
    let out = repo
        .command(binary.to_str().unwrap(), &repo.root)
        .arg("conflicts")
        .env(
            "PATH",
            format!("{}:{}", shim.display(), std::env::var("PATH").unwrap()),
        )
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(stderr.contains("needs git 2.38 or newer"), "{stderr}");
    assert!(stderr.contains("this is git 2.30"), "{stderr}");
}
