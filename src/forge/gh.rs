//! Running the GitHub CLI: found with `which`, always an argument vector through duct,
//! never prompting, with a time limit, and retried with bounded backoff on the failures
//! GitHub itself calls transient (5xx, secondary rate limits) and never on the others.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::de::DeserializeOwned;

use super::ForgeError;

/// How long one gh call may run before it is stopped, unless `GIT_AGENTS_GH_TIMEOUT` says otherwise.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);
/// How many times one call is tried in all.
const MAX_ATTEMPTS: u32 = 4;
/// The first wait before a retry, unless `GIT_AGENTS_GH_BACKOFF_MS` says otherwise.
const DEFAULT_BACKOFF: Duration = Duration::from_secs(2);
/// The longest git-agents waits in all for one call to succeed.
const MAX_TOTAL_WAIT: Duration = Duration::from_secs(180);

/// What a gh call printed.
#[derive(Debug, Clone)]
pub struct GhOutput {
    /// Its exit code; `None` when a signal ended it.
    pub code: Option<i32>,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl GhOutput {
    /// Whether gh exited with status 0.
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }

    /// The first line of stderr that says something.
    pub fn message(&self) -> String {
        self.stderr
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .or_else(|| self.stdout.lines().map(str::trim).find(|l| !l.is_empty()))
            .map(str::to_owned)
            .unwrap_or_else(|| format!("exit status {}", self.code.unwrap_or(-1)))
    }
}

/// How to react to a failed call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Failure {
    /// Try again after the usual backoff.
    Transient,
    /// Try again, but GitHub asks for minutes of patience.
    SubmittedTooQuickly,
    /// Try again once the rate limit resets.
    RateLimited,
    /// gh has no usable credentials.
    Unauthenticated,
    /// gh does not know a flag or field we use.
    TooOld,
    /// Anything else: not retried; the caller decides what it means.
    Final,
}

fn classify(out: &GhOutput) -> Failure {
    let text = &out.stderr;
    if out.code == Some(4)
        || text.contains("HTTP 401")
        || text.contains("Bad credentials")
        || text.contains("gh auth login")
    {
        return Failure::Unauthenticated;
    }
    if text.contains("unknown flag") || text.contains("Unknown JSON field") {
        return Failure::TooOld;
    }
    let never = [
        "Could not resolve to a PullRequest",
        "no pull requests found",
        "already exists",
        "Head branch was modified",
        "is not mergeable",
    ];
    if never.iter().any(|p| text.contains(p)) {
        return Failure::Final;
    }
    if text.contains("was submitted too quickly") {
        return Failure::SubmittedTooQuickly;
    }
    if text.contains("API rate limit exceeded") {
        return Failure::RateLimited;
    }
    let transient = [
        "non-200 OK status code: 5",
        "Something went wrong while executing your query",
        "error connecting to",
        "secondary rate limit",
    ];
    if transient.iter().any(|p| text.contains(p)) || has_http_5xx(text) {
        return Failure::Transient;
    }
    Failure::Final
}

fn has_http_5xx(text: &str) -> bool {
    text.match_indices("HTTP 5").any(|(at, _)| {
        let rest = &text.as_bytes()[at + 6..];
        rest.len() >= 2 && rest[0].is_ascii_digit() && rest[1].is_ascii_digit()
    })
}

/// The GitHub CLI, ready to run in one directory.
#[derive(Debug, Clone)]
pub struct Gh {
    program: PathBuf,
    dir: PathBuf,
    timeout: Duration,
    backoff: Duration,
}

/// Where `gh` is, or the error that says how to get it.
pub fn find() -> Result<PathBuf, ForgeError> {
    which::which("gh").map_err(|_| ForgeError::GhMissing)
}

impl Gh {
    /// gh from PATH, run in `dir`.
    pub fn new(dir: &Path) -> Result<Gh, ForgeError> {
        Ok(Gh {
            program: find()?,
            dir: dir.to_path_buf(),
            timeout: env_duration("GIT_AGENTS_GH_TIMEOUT", 1000).unwrap_or(DEFAULT_TIMEOUT),
            backoff: env_duration("GIT_AGENTS_GH_BACKOFF_MS", 1).unwrap_or(DEFAULT_BACKOFF),
        })
    }

    /// Run gh with `args` (and `input` on stdin), retrying transient failures; returns
    /// what the last attempt printed, whatever its exit status. Missing credentials, a gh
    /// too old for our flags, and a time-out are errors.
    pub fn call(&self, args: &[String], input: Option<&str>) -> Result<GhOutput, ForgeError> {
        let started = Instant::now();
        let mut waited = Duration::ZERO;
        let mut attempt = 1;
        loop {
            let out = self.once(args, input)?;
            if out.success() {
                return Ok(out);
            }
            let wait = match classify(&out) {
                Failure::Final => return Ok(out),
                Failure::Unauthenticated => {
                    return Err(ForgeError::NotAuthenticated {
                        detail: out.message(),
                    });
                }
                Failure::TooOld => {
                    return Err(ForgeError::GhTooOld {
                        command: describe(args),
                        message: out.message(),
                    });
                }
                Failure::Transient => self.backoff * 2u32.pow(attempt - 1),
                Failure::SubmittedTooQuickly => self.backoff * 30 * attempt,
                Failure::RateLimited => self.rate_limit_wait()?,
            };
            let wait = jitter(wait);
            if attempt >= MAX_ATTEMPTS || waited + wait > MAX_TOTAL_WAIT {
                return Err(ForgeError::GaveUp {
                    command: describe(args),
                    attempts: attempt,
                    seconds: started.elapsed().as_secs(),
                    message: out.message(),
                });
            }
            std::thread::sleep(wait);
            waited += wait;
            attempt += 1;
        }
    }

    /// Run gh and fail unless it exits 0.
    pub fn run(&self, args: &[String], input: Option<&str>) -> Result<GhOutput, ForgeError> {
        let out = self.call(args, input)?;
        if out.success() {
            Ok(out)
        } else {
            Err(ForgeError::GhFailed {
                command: describe(args),
                message: out.message(),
            })
        }
    }

    /// Run gh and read its stdout as JSON of type `T`.
    pub fn json<T: DeserializeOwned>(&self, args: &[String]) -> Result<T, ForgeError> {
        let out = self.run(args, None)?;
        parse_json(&out.stdout, args)
    }

    fn once(&self, args: &[String], input: Option<&str>) -> Result<GhOutput, ForgeError> {
        let mut expression = duct::cmd(&self.program, args)
            .dir(&self.dir)
            .env("GH_PROMPT_DISABLED", "1")
            .env("GH_NO_UPDATE_NOTIFIER", "1")
            .env("GH_SPINNER_DISABLED", "1")
            .env("NO_COLOR", "1")
            .env_remove("GH_FORCE_TTY")
            .env_remove("GH_DEBUG")
            .env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE")
            .env_remove("GIT_INDEX_FILE")
            .stdout_capture()
            .stderr_capture()
            .unchecked();
        expression = match input {
            Some(text) => expression.stdin_bytes(text.as_bytes().to_vec()),
            None => expression.stdin_null(),
        };
        let handle = expression.start().map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => ForgeError::GhMissing,
            _ => ForgeError::GhFailed {
                command: describe(args),
                message: format!("could not start gh: {e}"),
            },
        })?;
        let deadline = Instant::now() + self.timeout;
        let mut pause = Duration::from_millis(2);
        loop {
            let finished = handle.try_wait().map_err(|e| ForgeError::GhFailed {
                command: describe(args),
                message: e.to_string(),
            })?;
            if let Some(out) = finished {
                return Ok(GhOutput {
                    code: out.status.code(),
                    stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
                    stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
                });
            }
            if Instant::now() >= deadline {
                let _ = handle.kill();
                let _ = handle.wait();
                return Err(ForgeError::Timeout {
                    command: describe(args),
                    seconds: self.timeout.as_secs_f64(),
                });
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(50));
        }
    }

    /// How long until the exhausted rate limit resets, from `gh api rate_limit`.
    fn rate_limit_wait(&self) -> Result<Duration, ForgeError> {
        let args = vec!["api".to_owned(), "rate_limit".to_owned()];
        let out = self.once(&args, None)?;
        if !out.success() {
            return Ok(self.backoff * 30);
        }
        let value: serde_json::Value = parse_json(&out.stdout, &args)?;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let reset = ["graphql", "core"]
            .iter()
            .filter_map(|k| value["resources"].get(*k))
            .filter(|r| r["remaining"].as_u64() == Some(0))
            .filter_map(|r| r["reset"].as_u64())
            .max();
        match reset {
            Some(reset) => {
                let wait = Duration::from_secs(reset.saturating_sub(now));
                if wait > MAX_TOTAL_WAIT {
                    Err(ForgeError::RateLimited {
                        reset: crate::time::format_unix(reset as i64),
                    })
                } else {
                    Ok(wait + Duration::from_secs(1).min(self.backoff))
                }
            }
            None => Ok(self.backoff),
        }
    }
}

/// Read `text`, printed by `gh ARGS`, as JSON of type `T`.
pub fn parse_json<T: DeserializeOwned>(text: &str, args: &[String]) -> Result<T, ForgeError> {
    serde_json::from_str(text.trim()).map_err(|e| ForgeError::Garbage {
        command: describe(args),
        detail: format!("{e}; it printed {:?}", shorten(text.trim(), 80)),
    })
}

/// `gh` and its first words, for messages.
pub fn describe(args: &[String]) -> String {
    let words: Vec<&str> = args
        .iter()
        .take_while(|a| !a.starts_with('-'))
        .take(3)
        .map(String::as_str)
        .collect();
    format!("gh {}", words.join(" "))
}

fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        format!("{}…", text.chars().take(max).collect::<String>())
    }
}

fn env_duration(name: &str, millis_per_unit: u64) -> Option<Duration> {
    let value: f64 = std::env::var(name).ok()?.trim().parse().ok()?;
    (value.is_finite() && value >= 0.0)
        .then(|| Duration::from_secs_f64(value * millis_per_unit as f64 / 1000.0))
}

fn jitter(wait: Duration) -> Duration {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let fraction = 0.75 + f64::from(nanos % 1000) / 2000.0;
    wait.mul_f64(fraction)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed(code: i32, stderr: &str) -> GhOutput {
        GhOutput {
            code: Some(code),
            stdout: String::new(),
            stderr: stderr.to_owned(),
        }
    }

    #[test]
    fn transient_failures_are_told_from_final_ones() {
        for text in [
            "HTTP 502: Bad Gateway (https://api.github.com/graphql)",
            "non-200 OK status code: 503 Service Unavailable",
            "GraphQL: Something went wrong while executing your query. (repository)",
            "error connecting to api.github.com",
            "You have exceeded a secondary rate limit.",
        ] {
            assert_eq!(classify(&failed(1, text)), Failure::Transient, "{text}");
        }
        for text in [
            "GraphQL: Could not resolve to a PullRequest with the number of 9. (repository.pullRequest)",
            "no pull requests found for branch \"x\"",
            "a pull request for branch \"x\" into branch \"main\" already exists:",
            "GraphQL: Head branch was modified. Review and try the merge again.",
            "Pull request o/r#3 is not mergeable: the merge commit cannot be cleanly created.",
            "HTTP 404: Not Found",
            "HTTP 5: odd",
        ] {
            assert_eq!(classify(&failed(1, text)), Failure::Final, "{text}");
        }
        assert_eq!(
            classify(&failed(
                4,
                "To get started with GitHub CLI, please run:  gh auth login"
            )),
            Failure::Unauthenticated
        );
        assert_eq!(
            classify(&failed(
                1,
                "HTTP 401: Bad credentials (https://api.github.com/graphql)"
            )),
            Failure::Unauthenticated
        );
        assert_eq!(
            classify(&failed(1, "API rate limit exceeded for user ID 1.")),
            Failure::RateLimited
        );
    }

    #[test]
    fn messages_name_the_subcommand_only() {
        let args: Vec<String> = ["pr", "view", "12", "-R", "o/r", "--json", "state"]
            .map(String::from)
            .to_vec();
        assert_eq!(describe(&args), "gh pr view 12");
    }
}
