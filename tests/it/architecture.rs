//! The layout's rules, checked on the source: the library knows nothing of the command
//! line or the terminal, and its folders depend on each other in one direction only.

use std::path::{Path, PathBuf};

/// The library's top-level modules, lowest first: each may use only those before it.
const LAYERS: [&str; 12] = [
    "fsutil", "time", "fault", "progress", "plan", "process", "config", "git", "state", "forge",
    "error", "ops",
];

/// Crates only the binary may use.
const BINARY_ONLY: [&str; 4] = ["clap", "clap_complete", "console", "indicatif"];

fn source_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            source_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

/// The library's files with their text, comments and unit tests left out.
fn library() -> Vec<(String, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    source_files(&src, &mut files);
    files.sort();
    files
        .into_iter()
        .filter_map(|path| {
            let relative = path
                .strip_prefix(&src)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let binary = relative == "main.rs"
                || relative.starts_with("cli/")
                || relative.starts_with("commands/");
            if binary {
                return None;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let code = match text.find("#[cfg(test)]\nmod tests") {
                Some(at) => &text[..at],
                None => &text,
            };
            let code: Vec<&str> = code
                .lines()
                .filter(|line| !line.trim_start().starts_with("//"))
                .collect();
            Some((relative, code.join("\n")))
        })
        .collect()
}

fn top_module(relative: &str) -> &str {
    let first = relative.split('/').next().unwrap();
    first.strip_suffix(".rs").unwrap_or(first)
}

#[test]
fn the_library_knows_nothing_of_the_command_line_or_the_terminal() {
    let mut offenders = Vec::new();
    for (file, code) in library() {
        for krate in BINARY_ONLY {
            if code.contains(&format!("{krate}::")) || code.contains(&format!("use {krate}")) {
                offenders.push(format!("src/{file} uses {krate}"));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "the library must leave these to src/cli and src/commands:\n{}",
        offenders.join("\n")
    );
}

#[test]
fn library_folders_depend_on_lower_ones_only() {
    let rank = |name: &str| LAYERS.iter().position(|l| *l == name);
    let mut offenders = Vec::new();
    for (file, code) in library() {
        if file == "lib.rs" {
            continue;
        }
        let module = top_module(&file);
        let own = rank(module)
            .unwrap_or_else(|| panic!("src/{file}: add `{module}` to LAYERS in this test"));
        for (at, _) in code.match_indices("crate::") {
            let used: String = code[at + 7..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            // `crate::Error` is the error module's, re-exported at the root.
            let used = if used == "Error" {
                "error".to_owned()
            } else {
                used
            };
            if used == module || used.is_empty() {
                continue;
            }
            match rank(&used) {
                Some(theirs) if theirs < own => {}
                _ => offenders.push(format!("src/{file} ({module}) uses crate::{used}")),
            }
        }
    }
    offenders.dedup();
    assert!(
        offenders.is_empty(),
        "each library folder may use only the ones below it ({}):\n{}",
        LAYERS.join(" < "),
        offenders.join("\n")
    );
}

/// The `agents.*` names a piece of code spells out: `"agents.` followed by a key.
fn config_keys_in(code: &str) -> Vec<String> {
    let mut keys = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("\"agents.") {
        let after = &rest[at + 1..];
        let key: String = after
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '.')
            .collect();
        let closed = after[key.len()..].starts_with('"');
        if closed && key.len() > "agents.".len() {
            keys.push(key);
        }
        rest = after;
    }
    keys
}

#[test]
fn every_config_key_the_code_reads_is_in_configs_table_and_the_manual() {
    let documented: Vec<&str> = git_agents::config::KEYS.iter().map(|k| k.name).collect();
    let mut missing = Vec::new();
    for (file, code) in library() {
        for key in config_keys_in(&code) {
            // A section of per-name keys (`agents.cli` for `agents.cli.<name>`) counts too.
            let section = documented.iter().any(|d| {
                d.strip_prefix(key.as_str())
                    .is_some_and(|rest| rest.starts_with(".<"))
            });
            if !documented.contains(&key.as_str()) && !section {
                missing.push(format!("src/{file}: {key}"));
            }
            if file != "config.rs" {
                missing.push(format!(
                    "src/{file} names {key}; read it through src/config.rs"
                ));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "every agents.* key is read through config.rs and listed in config::KEYS:\n{}",
        missing.join("\n")
    );
}
