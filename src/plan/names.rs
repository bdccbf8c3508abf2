//! Agent and branch names: what git and the file system accept, and "did you mean" hints.

use super::PlanError;

/// The longest agent name allowed, in characters.
pub const MAX_AGENT_NAME_LEN: usize = 64;

const REF_SPECIAL_CHARS: [char; 6] = ['~', '^', ':', '?', '*', '['];

/// Check that `name` works as a directory name and as one component of a git ref.
pub fn validate_agent_name(name: &str) -> Result<(), PlanError> {
    agent_name_problem(name).map_or(Ok(()), |reason| {
        Err(PlanError::InvalidName {
            name: name.to_owned(),
            reason,
        })
    })
}

fn agent_name_problem(name: &str) -> Option<String> {
    let length = name.chars().count();
    if name.is_empty() {
        return Some("a name cannot be empty".to_owned());
    }
    if length > MAX_AGENT_NAME_LEN {
        return Some(format!(
            "it is {length} characters long; names are at most {MAX_AGENT_NAME_LEN} characters"
        ));
    }
    if name == "." || name == ".." {
        return Some(
            "'.' and '..' name directories that always exist; choose a real name".to_owned(),
        );
    }
    if let Some(slash) = name.chars().find(|c| matches!(c, '/' | '\\')) {
        return Some(format!(
            "it contains '{slash}'; a name must be a single directory name"
        ));
    }
    if name.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Some("it contains whitespace or a control character".to_owned());
    }
    if let Some(foreign) = name.chars().find(|c| !c.is_ascii()) {
        return Some(format!(
            "it contains '{foreign}' (U+{:04X}), which is not ASCII; only ASCII letters, digits, '-', '_' and '.' \
             are allowed, so letters from other scripts that look like Latin ones are rejected",
            u32::from(foreign)
        ));
    }
    if name.contains("@{") {
        return Some("it contains '@{', which git reads as a reflog expression".to_owned());
    }
    if let Some(special) = name.chars().find(|c| REF_SPECIAL_CHARS.contains(c)) {
        return Some(format!(
            "it contains '{special}', which git does not allow in ref names"
        ));
    }
    if let Some(other) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        return Some(format!(
            "it contains '{other}'; only ASCII letters, digits, '-', '_' and '.' are allowed"
        ));
    }
    if name.contains("..") {
        return Some("it contains '..', which git does not allow in ref names".to_owned());
    }
    if name.starts_with('-') {
        return Some("it starts with '-', which commands would read as an option".to_owned());
    }
    if name.starts_with('.') {
        return Some(
            "it starts with '.', which git does not allow at the start of a ref component"
                .to_owned(),
        );
    }
    if name.ends_with(".lock") {
        return Some("it ends with '.lock', which git reserves for lock files".to_owned());
    }
    if name.ends_with('.') {
        return Some("it ends with '.', which git does not allow in ref names".to_owned());
    }
    None
}

/// Check `branch` (of agent `agent`) by the rules of `git check-ref-format --branch`.
pub fn validate_branch_name(agent: &str, branch: &str) -> Result<(), PlanError> {
    branch_name_problem(branch).map_or(Ok(()), |reason| {
        Err(PlanError::InvalidBranch {
            agent: agent.to_owned(),
            name: branch.to_owned(),
            reason,
        })
    })
}

fn branch_name_problem(branch: &str) -> Option<String> {
    if branch.is_empty() {
        return Some("a branch name cannot be empty".to_owned());
    }
    if branch == "@" {
        return Some("'@' alone means HEAD to git".to_owned());
    }
    if branch == "HEAD" {
        return Some("HEAD is not a branch name".to_owned());
    }
    if branch.starts_with('-') {
        return Some("it starts with '-', which commands would read as an option".to_owned());
    }
    if let Some(bad) = branch.chars().find(|c| c.is_ascii_control() || *c == ' ') {
        let shown = if bad == ' ' {
            "a space".to_owned()
        } else {
            format!("the control character U+{:04X}", u32::from(bad))
        };
        return Some(format!("it contains {shown}"));
    }
    if let Some(special) = branch
        .chars()
        .find(|c| REF_SPECIAL_CHARS.contains(c) || *c == '\\')
    {
        return Some(format!(
            "it contains '{special}', which git does not allow in ref names"
        ));
    }
    if branch.contains("..") {
        return Some("it contains '..'".to_owned());
    }
    if branch.contains("@{") {
        return Some("it contains '@{', which git reads as a reflog expression".to_owned());
    }
    if branch.starts_with('/') || branch.ends_with('/') {
        return Some("it starts or ends with '/'".to_owned());
    }
    if branch.contains("//") {
        return Some("it contains '//'".to_owned());
    }
    if branch.ends_with('.') {
        return Some("it ends with '.'".to_owned());
    }
    for component in branch.split('/') {
        if component.starts_with('.') {
            return Some(format!("its component {component:?} starts with '.'"));
        }
        if component.ends_with(".lock") {
            return Some(format!(
                "its component {component:?} ends with '.lock', which git reserves for lock files"
            ));
        }
    }
    None
}

/// The candidate closest to `wanted`, if it is close enough to be a likely typo.
///
/// Close enough means an edit distance of at most max(2, a third of the length of `wanted`),
/// or one name being a prefix of the other.
/// Ties go to the alphabetically first candidate, so the answer
/// does not depend on the order of `candidates`.
pub fn closest_name<'a>(
    wanted: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    if wanted.is_empty() {
        return None;
    }
    let limit = (wanted.chars().count() / 3).max(2);
    let mut best: Option<(usize, &'a str)> = None;
    for candidate in candidates {
        if candidate.is_empty() {
            continue;
        }
        let distance = edit_distance(wanted, candidate);
        let is_prefix = candidate.starts_with(wanted) || wanted.starts_with(candidate);
        if (distance <= limit || is_prefix) && best.is_none_or(|best| (distance, candidate) < best)
        {
            best = Some((distance, candidate));
        }
    }
    best.map(|(_, name)| name)
}

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        current[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(name: &str) -> String {
        match validate_agent_name(name) {
            Err(PlanError::InvalidName { reason, .. }) => reason,
            other => panic!("{name:?} should be invalid, got {other:?}"),
        }
    }

    #[test]
    fn accepts_ordinary_agent_names() {
        for name in ["backend-agent", "a", "Agent_2", "v1.2", &"x".repeat(64)] {
            assert!(validate_agent_name(name).is_ok(), "{name}");
        }
    }

    #[test]
    fn rejects_bad_agent_names_with_reasons() {
        assert!(reason("").contains("empty"));
        assert!(reason(&"x".repeat(300)).contains("300 characters"));
        assert!(reason(".").contains("'.'"));
        assert!(reason("..").contains("'..'"));
        assert!(reason("a/b").contains("'/'"));
        assert!(reason("a\\b").contains("'\\'"));
        assert!(reason("a b").contains("whitespace"));
        assert!(reason("a\tb").contains("whitespace"));
        assert!(reason("a\u{7}b").contains("control"));
        assert!(reason("bаckend").contains("U+0430"));
        assert!(reason("bаckend").contains("look like Latin"));
        assert!(reason("a..b").contains("'..'"));
        assert!(reason("-a").contains("'-'"));
        assert!(reason(".a").contains("'.'"));
        assert!(reason("a.").contains("ends with '.'"));
        assert!(reason("a.lock").contains(".lock"));
        assert!(reason("a@{b").contains("@{"));
        for special in ['~', '^', ':', '?', '*', '['] {
            assert!(reason(&format!("a{special}b")).contains(special));
        }
        assert!(reason("a@b").contains("'@'"));
    }

    #[test]
    fn branch_rules_follow_git() {
        for good in [
            "main",
            "feature/security-hardening",
            "a.b/c",
            "über",
            "x@y",
            "a/b.c",
        ] {
            assert!(validate_branch_name("a", good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "@",
            "HEAD",
            "-x",
            "a..b",
            "a b",
            "a\u{1}b",
            "a~b",
            "a^b",
            "a:b",
            "a?b",
            "a*b",
            "a[b",
            "a\\b",
            "a@{b",
            "/a",
            "a/",
            "a//b",
            "a.",
            "a/.b",
            ".a",
            "a.lock",
            "a/b.lock/c",
            "a\u{7f}",
        ] {
            assert!(
                matches!(
                    validate_branch_name("a", bad),
                    Err(PlanError::InvalidBranch { .. })
                ),
                "{bad:?} should be rejected"
            );
        }
    }

    #[test]
    fn suggests_close_names() {
        let names = ["security-agent", "backend-agent", "frontend-agent"];
        assert_eq!(closest_name("backend-agnt", names), Some("backend-agent"));
        assert_eq!(closest_name("backend", names), Some("backend-agent"));
        assert_eq!(
            closest_name("frontend-agent-2", names),
            Some("frontend-agent")
        );
        assert_eq!(closest_name("database", names), None);
        assert_eq!(closest_name("", names), None);
        assert_eq!(closest_name("ab", ["xy"]), Some("xy"));
        assert_eq!(closest_name("abc", ["xyz"]), None);
        assert_eq!(
            closest_name("agent-1O", ["agent-15", "agent-10", "agent-11"]),
            Some("agent-10")
        );
    }

    #[test]
    fn edit_distance_counts_edits() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("абв", "абг"), 1);
    }
}
