//! Input from users and remotes can't become an option to git, hang, or panic; bad input
//! exits 2 and changes nothing.

use crate::common::Repo;

#[test]
fn a_remote_that_looks_like_an_option_never_reaches_git() {
    let repo = Repo::new();
    repo.init_example();
    let marker = repo.root.join("pwned");
    let before = repo.refs();
    for remote in [
        format!("--upload-pack=touch {};:/x", marker.display()),
        format!("ext::sh -c touch% {}", marker.display()),
        "-oProxyCommand=x".to_owned(),
    ] {
        repo.agents(&["sync", "--", &remote]).fails(2);
    }
    assert!(!marker.exists(), "no command of the remote's choosing ran");
    assert_eq!(repo.refs(), before);
}

#[test]
fn a_base_that_is_not_a_branch_name_is_bad_input() {
    let repo = Repo::new();
    let plan = crate::common::example_plan();
    for base in ["main..x", "-x", "a b", "main~1"] {
        repo.agents(&[
            "init",
            "--plan",
            plan.to_str().unwrap(),
            &format!("--base={base}"),
        ])
        .fails(2)
        .says("does not exist");
    }
    assert!(!repo.refs().contains("refs/agents/state"));
}

#[test]
fn absurd_estimates_are_refused_and_the_timeline_is_total() {
    let repo = Repo::new();
    for hours in ["1e308", "inf", "nan", "-1", "20000"] {
        repo.write(
            "plan.toml",
            &format!(
                "[[agents]]\nname = \"a\"\ntasks = [{{ title = \"Work\", hours = {hours} }}]\n"
            ),
        );
        repo.agents(&["init", "--plan", "plan.toml"]).fails(2);
    }
    assert!(!repo.refs().contains("refs/agents/state"));

    // A long agent and a short one that starts when it ends: the short one sits at the very
    // end of the chart.
    repo.write(
        "plan.toml",
        "[[agents]]\nname = \"long\"\ntasks = [\"Work (100h)\"]\n\n[[agents]]\nname = \"short\"\ndepends_on = [\"long\"]\ntasks = [\"Tidy (1 min)\"]\n",
    );
    repo.agents(&["init", "--plan", "plan.toml"]).ok();
    let chart = repo.agents(&["plan", "--timeline"]).ok().stdout;
    assert!(chart.contains("short"), "{chart}");
    repo.write(
        "plan.toml",
        "[[agents]]\nname = \"a\"\ntasks = [\"Work (36 min)\"]\n",
    );
    repo.agents(&["init", "--force", "--plan", "plan.toml"])
        .ok();
    let chart = repo.agents(&["plan", "--timeline"]).ok().stdout;
    assert!(
        !chart.contains("0000000"),
        "axis labels are rounded:\n{chart}"
    );
}

#[test]
fn text_from_agents_is_shown_not_obeyed() {
    let repo = Repo::new();
    repo.init_example();
    let hostile = "\u{1b}]0;pwned\u{7}\u{1b}[2J\u{1b}]52;c;ZXZpbA==\u{7}done\rfake";
    repo.agents(&["update", "--agent", "backend-agent", "--note", hostile])
        .ok();
    repo.agents(&[
        "edit",
        "backend-agent",
        "--title",
        &format!("API {hostile}"),
    ])
    .ok();
    for args in [
        vec!["log"],
        vec!["plan", "show"],
        vec!["brief", "backend-agent"],
        vec!["status"],
        vec!["status", "backend-agent"],
    ] {
        let run = repo.agents(&args).ok();
        let shown = format!("{}{}", run.stdout, run.stderr);
        for raw in ['\u{1b}', '\u{7}', '\r'] {
            assert!(
                !shown.contains(raw),
                "git agents {}: {raw:?} reached the terminal:\n{shown:?}",
                args.join(" ")
            );
        }
    }
    let log = repo.agents(&["log"]).ok().stdout;
    assert!(
        log.contains("^[]0;pwned^G"),
        "shown in caret notation: {log}"
    );
    // --json keeps the text as it was written.
    let json = repo.agents(&["status", "--json"]).ok().json();
    assert!(json["agents"].to_string().contains("\\u001b]0;pwned"));
}

#[test]
fn a_symlink_planted_under_the_git_directory_is_not_followed() {
    let repo = Repo::new();
    repo.init_example();
    repo.git(&["config", "agents.setup", "echo set up"]);
    let outside = repo.root.parent().unwrap().join("precious.txt");
    std::fs::write(&outside, "precious\n").unwrap();
    let logs = repo.root.join(".git/agents/logs");
    std::fs::create_dir_all(&logs).unwrap();
    std::os::unix::fs::symlink(&outside, logs.join("security-agent-setup.log")).unwrap();

    let run = repo.agents(&["spawn", "security-agent"]);
    assert!(
        run.stderr.contains("symlink") || run.stdout.contains("symlink"),
        "{}{}",
        run.stdout,
        run.stderr
    );
    assert_eq!(std::fs::read_to_string(&outside).unwrap(), "precious\n");
}
