//! Reading a review score out of whatever a review command printed.
//!
//! Three spellings are understood anywhere in the output: `8/10`, `Score: 8` (also
//! `score = 8`, `Score: 45/50`, `score 8 out of 10`), and JSON `"score": 8`. A stated
//! score (one labelled `score`) is the score: a bare fraction elsewhere (`All 10/10 tests
//! pass`) never overrides it, and the last stated one wins, so a running tally ends with
//! its verdict. A bare fraction counts only when nothing is labelled, and only out of 10,
//! so `3/4 tests passed` is not mistaken for a score. A labelled score that is not a whole
//! number in range (`Score: 1e9`, `Score: 12/10`) is refused, not guessed at.

/// A score and the best possible score.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Score {
    /// The score given.
    pub score: u32,
    /// Out of how many.
    pub out_of: u32,
}

impl Score {
    /// Whether the score, scaled to 10, reaches `threshold`.
    pub fn reaches(&self, threshold: u32) -> bool {
        u64::from(self.score) * 10 >= u64::from(threshold) * u64::from(self.out_of.max(1))
    }
}

/// The score `text` states: the last labelled one, else the last bare `N/10`; `None` if
/// there is none, and an error naming what was printed when a labelled one can't be read.
pub fn parse_score(text: &str) -> Result<Option<Score>, String> {
    let bytes = text.as_bytes();
    let lower = text.to_ascii_lowercase();
    let lower = lower.as_bytes();
    let mut stated: Option<Score> = None;
    let mut bare: Option<Score> = None;
    let mut at = 0;
    while at < bytes.len() {
        if lower[at..].starts_with(b"score") && !word_char_before(lower, at) {
            let quoted = at > 0 && bytes[at - 1] == b'"' && lower.get(at + 5) == Some(&b'"');
            let mut next = at + 5 + usize::from(quoted);
            if lower
                .get(next)
                .is_none_or(|c| !c.is_ascii_alphanumeric() && *c != b'_')
            {
                next = skip(lower, next, b" \t:=");
                let shown = || {
                    let end = text[at..]
                        .find('\n')
                        .map_or(text.len(), |n| at + n)
                        .min(at + 40);
                    text[at..end].trim().to_owned()
                };
                if let Some((score, after)) = number(bytes, next) {
                    if bytes.get(after).is_some_and(u8::is_ascii_alphanumeric) {
                        return Err(format!("`{}` is not a whole number of points", shown()));
                    }
                    let out_of = fraction_tail(lower, after).unwrap_or(10);
                    if out_of == 0 || score > out_of {
                        return Err(format!("`{}` is out of range", shown()));
                    }
                    stated = Some(Score { score, out_of });
                } else if bytes
                    .get(next)
                    .is_some_and(|c| c.is_ascii_digit() || *c == b'-' || *c == b'.')
                {
                    return Err(format!("`{}` is not a whole number of points", shown()));
                }
            }
            at += 5;
            continue;
        }
        if bytes[at].is_ascii_digit()
            && (at == 0
                || !(bytes[at - 1].is_ascii_alphanumeric() || b"./".contains(&bytes[at - 1])))
            && let Some((score, after)) = number(bytes, at)
        {
            if let Some(slash) =
                Some(skip(lower, after, b" ")).filter(|&s| bytes.get(s) == Some(&b'/'))
                && let Some((out_of, end)) = number(bytes, skip(lower, slash + 1, b" "))
                && out_of == 10
                && bytes.get(end).is_none_or(|c| {
                    !(c.is_ascii_alphanumeric()
                        || *c == b'/'
                        || *c == b'.' && bytes.get(end + 1).is_some_and(u8::is_ascii_digit))
                })
                && score <= out_of
            {
                bare = Some(Score { score, out_of });
            }
            at = after;
            continue;
        }
        at += 1;
    }
    Ok(stated.or(bare))
}

fn word_char_before(text: &[u8], at: usize) -> bool {
    at > 0 && (text[at - 1].is_ascii_alphanumeric() || text[at - 1] == b'_')
}

fn skip(text: &[u8], mut at: usize, set: &[u8]) -> usize {
    while text.get(at).is_some_and(|c| set.contains(c)) {
        at += 1;
    }
    at
}

/// A whole number starting at `at` (not followed by a decimal point and digit), and where it ends.
fn number(text: &[u8], at: usize) -> Option<(u32, usize)> {
    let mut end = at;
    while text.get(end).is_some_and(u8::is_ascii_digit) {
        end += 1;
    }
    if end == at || end - at > 6 {
        return None;
    }
    if text.get(end) == Some(&b'.') && text.get(end + 1).is_some_and(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(&text[at..end])
        .ok()?
        .parse()
        .ok()
        .map(|n| (n, end))
}

/// `/ N` or `out of N` after a score.
fn fraction_tail(lower: &[u8], at: usize) -> Option<u32> {
    let at = skip(lower, at, b" ");
    if lower.get(at) == Some(&b'/') {
        return number(lower, skip(lower, at + 1, b" ")).map(|(n, _)| n);
    }
    if lower[at..].starts_with(b"out of") {
        return number(lower, skip(lower, at + 6, b" ")).map(|(n, _)| n);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn score(text: &str) -> Option<(u32, u32)> {
        parse_score(text).unwrap().map(|s| (s.score, s.out_of))
    }

    #[test]
    fn the_stated_score_is_the_score() {
        assert_eq!(score("Score: 3\nAll 10/10 tests pass\n"), Some((3, 10)));
        assert_eq!(score("10/10 checks\nscore = 7/10"), Some((7, 10)));
    }

    #[test]
    fn a_stated_score_that_cannot_be_read_is_refused() {
        for text in [
            "Score: 1e9",
            "Score: 12/10",
            "Score: 5/0",
            "Score: -3",
            "Score: 8.5",
            "score: 11",
        ] {
            assert!(parse_score(text).is_err(), "{text:?}");
        }
    }

    #[test]
    fn every_spelling_is_read() {
        assert_eq!(score("Overall: 8/10"), Some((8, 10)));
        assert_eq!(score("Score: 8"), Some((8, 10)));
        assert_eq!(score("score=9"), Some((9, 10)));
        assert_eq!(score("SCORE 7 out of 10"), Some((7, 10)));
        assert_eq!(score("Score: 45/50"), Some((45, 50)));
        assert_eq!(score(r#"{"issues": [], "score": 8}"#), Some((8, 10)));
        assert_eq!(score(r#"{"score":10}"#), Some((10, 10)));
        assert_eq!(score("Review Score: 10/10 ✅"), Some((10, 10)));
    }

    #[test]
    fn the_last_score_wins() {
        assert_eq!(
            score("Initial score: 6/10\nAfter fixes: 8/10\nFinal score: 10/10\n"),
            Some((10, 10))
        );
        assert_eq!(score("score: 3\n{\"score\": 9}"), Some((9, 10)));
    }

    #[test]
    fn things_that_are_not_scores_are_ignored() {
        assert_eq!(score("3/4 tests passed"), None);
        assert_eq!(score("see src/10/file and 2024/10/01"), None);
        assert_eq!(score("scores were high; underscore 8"), None);
        assert_eq!(score("8.5/10"), None);
        assert_eq!(score("12/10"), None);
        assert_eq!(score("nothing here"), None);
        assert_eq!(score(""), None);
        assert_eq!(score("score:"), None);
    }

    #[test]
    fn reaching_a_threshold_scales_to_ten() {
        assert!(
            Score {
                score: 10,
                out_of: 10
            }
            .reaches(10)
        );
        assert!(
            !Score {
                score: 9,
                out_of: 10
            }
            .reaches(10)
        );
        assert!(
            Score {
                score: 45,
                out_of: 50
            }
            .reaches(9)
        );
        assert!(
            Score {
                score: 0,
                out_of: 10
            }
            .reaches(0)
        );
    }
}
