//! Remotes: which remotes and URLs may reach the git program (never one that git would
//! read as an option, nor a transport that runs a command of the remote's choosing), and
//! moving one ref on a remote only if it still holds what we last saw there.

use super::{Git, GitError};

/// How a push with a lease went when git ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pushed {
    /// The remote took it.
    Accepted,
    /// The remote refused: the ref moved since (a lost race) or a rule of the remote; why.
    Refused(String),
}

/// Set `name` on `remote` to `new` if it still holds `expected` (`None`: if it does not
/// exist yet). Git's own failure to run (no such remote, no network) is the error; a
/// refusal by the remote is [`Pushed::Refused`].
pub fn push_with_lease(
    git: &Git,
    remote: &str,
    name: &str,
    new: &str,
    expected: Option<&str>,
) -> Result<Pushed, GitError> {
    let out = git.output([
        "push".to_owned(),
        "--porcelain".to_owned(),
        "--no-verify".to_owned(),
        format!("--force-with-lease={name}:{}", expected.unwrap_or_default()),
        "--".to_owned(),
        remote.to_owned(),
        format!("{new}:{name}"),
    ])?;
    if out.success() {
        return Ok(Pushed::Accepted);
    }
    let refused = out
        .stdout
        .lines()
        .find(|l| l.starts_with('!'))
        .map(|l| l.split('\t').nth(2).unwrap_or("rejected").to_owned());
    match refused {
        Some(why) => Ok(Pushed::Refused(why)),
        None => Err(GitError::Failed {
            command: "push".to_owned(),
            message: super::first_meaningful_line(&out.stderr)
                .unwrap_or_else(|| format!("exit status {}", out.code.unwrap_or(-1))),
            code: out.code,
        }),
    }
}

/// Why `remote` (a remote's name, a URL or a path) can't be used, if it can't.
pub fn refusal(remote: &str) -> Option<String> {
    if remote.trim().is_empty() {
        return Some("the remote is empty; name a remote (origin) or give a URL".to_owned());
    }
    if remote.starts_with('-') {
        return Some(format!(
            "{remote:?} starts with '-' and would reach git as an option; name a remote or give a URL (a path starting with '-' can be written ./{remote})"
        ));
    }
    if remote.chars().any(char::is_control) {
        return Some(format!(
            "{:?} holds control characters; name a remote or give a URL",
            remote
        ));
    }
    // `ext::CMD` runs CMD; `fd::` and other `<helper>::` forms hand the URL to a helper.
    if let Some((transport, _)) = remote.split_once("::")
        && !transport.is_empty()
        && transport
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '+' || c == '.')
    {
        return Some(format!(
            "{remote:?} uses the {transport}:: transport, which git-agents does not use; give an ssh, https, git or file URL, or a path"
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::refusal;

    #[test]
    fn options_and_command_transports_are_refused() {
        for bad in [
            "--upload-pack=touch /tmp/x;:/x",
            "-oProxyCommand=x",
            "ext::sh -c touch% /tmp/x",
            "fd::3",
            "",
            "origin\n--upload-pack=x",
        ] {
            assert!(refusal(bad).is_some(), "{bad:?}");
        }
        for good in [
            "origin",
            "https://github.com/o/r.git",
            "git@github.com:o/r.git",
            "ssh://host/r",
            "/srv/git/r.git",
            "../r",
            "file:///tmp/r",
        ] {
            assert_eq!(refusal(good), None, "{good:?}");
        }
    }
}
