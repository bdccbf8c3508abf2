//! Settings people set with `git config` (`agents.base`, `agents.forge`,
//! `agents.testCommand`, `agents.reviewCommand`, `agents.worktreesDir`), resolved with
//! one precedence everywhere: command-line flag > git config > plan > built-in default.

use serde::Serialize;

use crate::error::{Error, Result};
use crate::plan::{DEFAULT_WORKTREES_DIR, ForgeKind, Plan};

/// The git config key for the branch agents start from and merge into.
pub const BASE: &str = "agents.base";
/// The git config key for where pull requests are opened and merged (`github` or `local`).
pub const FORGE: &str = "agents.forge";
/// The git config key for the command that tests an agent's work.
pub const TEST_COMMAND: &str = "agents.testCommand";
/// The git config key for the command that reviews an agent's work.
pub const REVIEW_COMMAND: &str = "agents.reviewCommand";
/// The git config key for where agent worktrees go, relative to the main worktree.
pub const WORKTREES_DIR: &str = "agents.worktreesDir";

/// Every key this module reads, in the order the manual lists them.
pub const KEYS: [&str; 5] = [BASE, FORGE, TEST_COMMAND, REVIEW_COMMAND, WORKTREES_DIR];

/// Where a resolved value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// A command-line flag.
    Flag,
    /// git config (any scope git reads: `-c`, worktree, local, global, system).
    GitConfig,
    /// The plan in the state ref (or the plan file being imported).
    Plan,
    /// The built-in default.
    Default,
}

/// A resolved value and where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Setting<T> {
    /// The value in force.
    pub value: T,
    /// Which layer supplied it.
    pub source: Source,
}

/// One value per setting from a single layer; `None` where that layer says nothing.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Layer {
    /// The base branch.
    pub base: Option<String>,
    /// The forge.
    pub forge: Option<ForgeKind>,
    /// The test command.
    pub test_command: Option<String>,
    /// The review command.
    pub review_command: Option<String>,
    /// The worktrees directory.
    pub worktrees_dir: Option<String>,
}

impl Layer {
    /// The `agents.*` values git config sets for `repo`; an unusable value is an error
    /// naming the key and how to fix it.
    pub fn from_git_config(repo: &gix::Repository) -> Result<Layer> {
        let config = repo.config_snapshot();
        let command_line = command_line_config();
        let string = |key: &str| lookup(&command_line, &config, key);
        let forge = match string(FORGE) {
            None => None,
            Some(text) => Some(parse_forge(&text).ok_or_else(|| {
                Error::Usage(format!(
                    "git config {FORGE} is {text:?}; set it to github or local (git config {FORGE} local) or unset it (git config --unset {FORGE})"
                ))
            })?),
        };
        Ok(Layer {
            base: string(BASE),
            forge,
            test_command: string(TEST_COMMAND),
            review_command: string(REVIEW_COMMAND),
            worktrees_dir: string(WORKTREES_DIR),
        })
    }

    /// The values a plan sets.
    pub fn from_plan(plan: &Plan) -> Layer {
        Layer {
            base: plan.base.clone(),
            forge: plan.forge,
            test_command: plan.test_command.clone(),
            review_command: plan.review_command.clone(),
            worktrees_dir: Some(plan.worktrees_dir.clone()),
        }
    }
}

/// The value git config gives `key` (`agents.worktreesDir`), trimmed; `None` when unset or blank.
pub fn git_config_string(repo: &gix::Repository, key: &str) -> Option<String> {
    lookup(&command_line_config(), &repo.config_snapshot(), key)
}

/// `key` from `git -c` first (the last one given wins), then from the config files.
fn lookup(
    command_line: &[(String, Option<String>)],
    config: &gix::config::Snapshot<'_>,
    key: &str,
) -> Option<String> {
    let from_command_line = command_line
        .iter()
        .rev()
        .find(|(name, _)| name.eq_ignore_ascii_case(key))
        .and_then(|(_, value)| value.clone());
    from_command_line
        .or_else(|| config.string(key).map(|v| v.to_string()))
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// The settings `git -c KEY=VALUE` passes to the commands it runs (in
/// `GIT_CONFIG_PARAMETERS`), which gix does not read by itself.
fn command_line_config() -> Vec<(String, Option<String>)> {
    std::env::var("GIT_CONFIG_PARAMETERS")
        .map(|text| parse_config_parameters(&text))
        .unwrap_or_default()
}

/// Parse git's shell-quoted `GIT_CONFIG_PARAMETERS`: `'key'='value'` pairs (git 2.31
/// and later) or `'key=value'` words (older git); a key without a value maps to `None`.
/// Parsing stops at the first malformed word, keeping what came before it.
pub fn parse_config_parameters(text: &str) -> Vec<(String, Option<String>)> {
    let mut pairs = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.peek().is_none() {
            return pairs;
        }
        let Some(word) = quoted_word(&mut chars) else {
            return pairs;
        };
        if chars.next_if_eq(&'=').is_some() {
            let value = if chars.peek() == Some(&'\'') {
                match quoted_word(&mut chars) {
                    Some(value) => value,
                    None => return pairs,
                }
            } else {
                String::new()
            };
            pairs.push((word, Some(value)));
        } else {
            match word.split_once('=') {
                Some((key, value)) => pairs.push((key.to_owned(), Some(value.to_owned()))),
                None => pairs.push((word, None)),
            }
        }
    }
}

/// One single-quoted word, where `'\''` and `'\!'` stand for `'` and `!`.
fn quoted_word(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Option<String> {
    if chars.next()? != '\'' {
        return None;
    }
    let mut word = String::new();
    loop {
        match chars.next()? {
            '\'' => {
                if chars.next_if_eq(&'\\').is_none() {
                    return Some(word);
                }
                word.push(chars.next()?);
                if chars.next()? != '\'' {
                    return None;
                }
            }
            c => word.push(c),
        }
    }
}

/// `github` or `local`, in any case.
pub fn parse_forge(text: &str) -> Option<ForgeKind> {
    match text.trim().to_ascii_lowercase().as_str() {
        "github" => Some(ForgeKind::Github),
        "local" => Some(ForgeKind::Local),
        _ => None,
    }
}

/// Every setting resolved: flag > git config > plan > default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Settings {
    /// The base branch; `None` means the branch checked out in the main worktree.
    pub base: Setting<Option<String>>,
    /// The forge; `None` means GitHub when `origin` is on GitHub, else local merges.
    pub forge: Setting<Option<ForgeKind>>,
    /// The test command; `None` means there is none.
    pub test_command: Setting<Option<String>>,
    /// The review command; `None` means there is none.
    pub review_command: Setting<Option<String>>,
    /// Where agent worktrees go, relative to the main worktree unless absolute.
    pub worktrees_dir: Setting<String>,
}

impl Settings {
    /// Resolve every setting from the layers, highest precedence first.
    pub fn from_layers(flags: &Layer, git_config: &Layer, plan: &Layer) -> Settings {
        let layers = [
            (flags, Source::Flag),
            (git_config, Source::GitConfig),
            (plan, Source::Plan),
        ];
        fn pick<T: Clone>(
            layers: &[(&Layer, Source); 3],
            get: impl Fn(&Layer) -> Option<T>,
        ) -> Setting<Option<T>> {
            layers
                .iter()
                .find_map(|(layer, source)| {
                    get(layer).map(|value| Setting {
                        value: Some(value),
                        source: *source,
                    })
                })
                .unwrap_or(Setting {
                    value: None,
                    source: Source::Default,
                })
        }
        let worktrees_dir = pick(&layers, |l| l.worktrees_dir.clone());
        Settings {
            base: pick(&layers, |l| l.base.clone()),
            forge: pick(&layers, |l| l.forge),
            test_command: pick(&layers, |l| l.test_command.clone()),
            review_command: pick(&layers, |l| l.review_command.clone()),
            worktrees_dir: Setting {
                value: worktrees_dir
                    .value
                    .unwrap_or_else(|| DEFAULT_WORKTREES_DIR.to_owned()),
                source: worktrees_dir.source,
            },
        }
    }

    /// Resolve every setting for `repo`: `flags` from the command line, then git
    /// config, then `plan` (when there is one), then the defaults.
    pub fn resolve(repo: &gix::Repository, plan: Option<&Plan>, flags: &Layer) -> Result<Settings> {
        let git_config = Layer::from_git_config(repo)?;
        let plan = plan.map(Layer::from_plan).unwrap_or_default();
        Ok(Settings::from_layers(flags, &git_config, &plan))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layer(base: Option<&str>, dir: Option<&str>) -> Layer {
        Layer {
            base: base.map(str::to_owned),
            worktrees_dir: dir.map(str::to_owned),
            ..Layer::default()
        }
    }

    #[test]
    fn a_flag_beats_git_config_which_beats_the_plan() {
        let flags = layer(Some("flag"), None);
        let config = layer(Some("config"), Some("config-trees"));
        let plan = Layer {
            forge: Some(ForgeKind::Local),
            ..layer(Some("plan"), Some("plan-trees"))
        };
        let settings = Settings::from_layers(&flags, &config, &plan);
        assert_eq!(settings.base.value.as_deref(), Some("flag"));
        assert_eq!(settings.base.source, Source::Flag);
        assert_eq!(settings.worktrees_dir.value, "config-trees");
        assert_eq!(settings.worktrees_dir.source, Source::GitConfig);
        assert_eq!(settings.forge.value, Some(ForgeKind::Local));
        assert_eq!(settings.forge.source, Source::Plan);
        assert_eq!(settings.test_command.value, None);
        assert_eq!(settings.test_command.source, Source::Default);
    }

    #[test]
    fn defaults_fill_what_no_layer_sets() {
        let none = Layer::default();
        let settings = Settings::from_layers(&none, &none, &none);
        assert_eq!(settings.worktrees_dir.value, DEFAULT_WORKTREES_DIR);
        assert_eq!(settings.worktrees_dir.source, Source::Default);
        assert_eq!(settings.base.value, None);
        assert_eq!(settings.forge.value, None);
    }

    #[test]
    fn git_dash_c_parameters_are_read_in_both_spellings() {
        let pairs = parse_config_parameters(
            "'agents.base'='dev' 'user.name'='O'\\''Brien' 'old.style=x y' 'flag.only' 'empty.value'=",
        );
        let owned = |k: &str, v: Option<&str>| (k.to_owned(), v.map(str::to_owned));
        assert_eq!(
            pairs,
            [
                owned("agents.base", Some("dev")),
                owned("user.name", Some("O'Brien")),
                owned("old.style", Some("x y")),
                owned("flag.only", None),
                owned("empty.value", Some("")),
            ]
        );
    }

    #[test]
    fn malformed_parameters_keep_what_came_before() {
        let pairs = parse_config_parameters("'agents.base'='dev' unquoted 'x'='y'");
        assert_eq!(pairs, [("agents.base".to_owned(), Some("dev".to_owned()))]);
        assert!(parse_config_parameters("'unterminated").is_empty());
        assert!(parse_config_parameters("").is_empty());
    }

    fn repo_with_config(config: &str) -> (tempfile::TempDir, gix::Repository) {
        let dir = tempfile::tempdir().unwrap();
        let status = std::process::Command::new("git")
            .args(["init", "-q"])
            .arg(dir.path())
            .status()
            .unwrap();
        assert!(status.success());
        let path = dir.path().join(".git/config");
        let mut text = std::fs::read_to_string(&path).unwrap();
        text.push_str(config);
        std::fs::write(&path, text).unwrap();
        let repo = gix::open_opts(dir.path(), gix::open::Options::isolated()).unwrap();
        (dir, repo)
    }

    #[test]
    fn git_config_keys_are_read_whatever_their_case() {
        let (_dir, repo) = repo_with_config(
            "[agents]\n\tbase = dev\n\tForge = Local\n\ttestcommand = cargo test\n\treviewCommand = \"  \"\n\tworktreesDir = trees\n",
        );
        let layer = Layer::from_git_config(&repo).unwrap();
        assert_eq!(layer.base.as_deref(), Some("dev"));
        assert_eq!(layer.forge, Some(ForgeKind::Local));
        assert_eq!(layer.test_command.as_deref(), Some("cargo test"));
        assert_eq!(layer.review_command, None, "blank means unset");
        assert_eq!(layer.worktrees_dir.as_deref(), Some("trees"));

        let mut plan = Plan::new("plan-trees");
        plan.test_command = Some("make test".to_owned());
        plan.review_command = Some("review.sh".to_owned());
        let flags = Layer {
            forge: Some(ForgeKind::Github),
            ..Layer::default()
        };
        let settings = Settings::resolve(&repo, Some(&plan), &flags).unwrap();
        assert_eq!(settings.forge.value, Some(ForgeKind::Github));
        assert_eq!(settings.forge.source, Source::Flag);
        assert_eq!(settings.test_command.value.as_deref(), Some("cargo test"));
        assert_eq!(settings.test_command.source, Source::GitConfig);
        assert_eq!(settings.review_command.value.as_deref(), Some("review.sh"));
        assert_eq!(settings.review_command.source, Source::Plan);
        assert_eq!(settings.worktrees_dir.value, "trees");
    }

    #[test]
    fn an_unknown_forge_in_git_config_names_the_key() {
        let (_dir, repo) = repo_with_config("[agents]\n\tforge = gitlab\n");
        let err = Layer::from_git_config(&repo).unwrap_err();
        assert!(err.to_string().contains("agents.forge"), "{err}");
        assert!(err.to_string().contains("gitlab"), "{err}");
        assert_eq!(err.exit_code(), crate::ExitCode::Usage);
        assert_eq!(
            git_config_string(&repo, WORKTREES_DIR),
            None,
            "other keys still read"
        );
    }

    #[test]
    fn forge_names_are_read_in_any_case_and_others_refused() {
        assert_eq!(parse_forge("GitHub"), Some(ForgeKind::Github));
        assert_eq!(parse_forge(" local "), Some(ForgeKind::Local));
        assert_eq!(parse_forge("gitlab"), None);
        assert_eq!(parse_forge(""), None);
    }
}
