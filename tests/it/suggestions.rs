//! Every command a message suggests exists: each `git agents …` written in the source is
//! checked against the built binary's own help, subcommand and flags alike.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::common::bin_dir;

/// Words that follow "git agents" in prose rather than in a suggested command.
const PROSE: [&str; 5] = ["runs", "to", "needs", "into", "and"];

fn rust_files(dir: &Path, found: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

/// The help text of `git-agents WORDS`, or `None` when that is not a command.
fn help(words: &[&str]) -> Option<String> {
    let out = std::process::Command::new(bin_dir().join("git-agents"))
        .args(words)
        .arg("--help")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The subcommands a help text lists.
fn subcommands(help: &str) -> BTreeSet<String> {
    let Some(at) = help.find("Commands:") else {
        return BTreeSet::new();
    };
    help[at..]
        .lines()
        .skip(1)
        .take_while(|line| line.starts_with("  "))
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_owned)
        .collect()
}

#[test]
fn every_suggested_command_exists() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    // Each suggestion: the words after "git agents", up to where the command ends.
    let mut suggestions: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let shown = file.strip_prefix(&src).unwrap().display().to_string();
        for (at, _) in text.match_indices("git agents ") {
            let rest = &text[at + "git agents ".len()..];
            let end = rest
                .find(['"', '`', ';', ')', '\n', '\\', '(', '·', ','])
                .unwrap_or(rest.len());
            let words: Vec<String> = rest[..end]
                .split_whitespace()
                .map(|w| w.trim_end_matches(['.', ':']).to_owned())
                .collect();
            let Some(first) = words.first() else {
                continue;
            };
            // A placeholder (`{what}`, `<TAB>`, `SUBCOMMAND`) or a word of prose.
            let placeholder = first.starts_with(['{', '<'])
                || first.chars().next().is_some_and(|c| c.is_ascii_uppercase());
            if placeholder || PROSE.contains(&first.as_str()) {
                continue;
            }
            suggestions
                .entry(words.join(" "))
                .or_default()
                .push(shown.clone());
        }
    }
    let mut helps: BTreeMap<Vec<String>, Option<String>> = BTreeMap::new();
    let mut wrong = Vec::new();
    for (suggestion, files) in &suggestions {
        let words: Vec<&str> = suggestion.split(' ').collect();
        if words[0].starts_with('-') {
            let top = helps.entry(Vec::new()).or_insert_with(|| help(&[])).clone();
            let text = top.expect("git-agents --help works");
            for flag in words.iter().take_while(|w| w.starts_with('-')) {
                if !text.contains(&format!("{flag} ")) && !text.contains(&format!("{flag}\n")) {
                    wrong.push(format!(
                        "`git agents {suggestion}` ({}): no flag {flag}",
                        files[0]
                    ));
                }
            }
            continue;
        }
        let mut path: Vec<String> = vec![words[0].to_owned()];
        let top = helps
            .entry(path.clone())
            .or_insert_with(|| help(&[words[0]]))
            .clone();
        let Some(mut text) = top else {
            wrong.push(format!(
                "`git agents {suggestion}` ({}): no such command",
                files[0]
            ));
            continue;
        };
        let mut rest = &words[1..];
        if let Some(next) = rest.first()
            && !next.starts_with('-')
            && !subcommands(&text).is_empty()
            && !next.starts_with('{')
        {
            if !subcommands(&text).contains(*next) {
                wrong.push(format!(
                    "`git agents {suggestion}` ({}): {} has no subcommand {next}",
                    files[0], words[0]
                ));
                continue;
            }
            path.push((*next).to_owned());
            let words: Vec<&str> = path.iter().map(String::as_str).collect();
            text = helps
                .entry(path.clone())
                .or_insert_with(|| help(&words))
                .clone()
                .expect("a listed subcommand has help");
            rest = &rest[1..];
        }
        for flag in rest.iter().filter(|w| w.starts_with("--")) {
            let flag = flag.split('=').next().unwrap();
            if !text.contains(&format!("{flag} ")) && !text.contains(&format!("{flag}\n")) {
                wrong.push(format!(
                    "`git agents {suggestion}` ({}): {} takes no {flag}",
                    files[0],
                    path.join(" ")
                ));
            }
        }
    }
    assert!(
        suggestions.len() > 30,
        "found only {} suggestions; is the scan broken?",
        suggestions.len()
    );
    assert!(
        wrong.is_empty(),
        "messages suggest commands that don't exist:\n{}",
        wrong.join("\n")
    );
}
