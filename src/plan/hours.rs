//! Task estimates: reading `8h`, `5 min`, `2d` or `1h 30m`, and writing hours for people.

/// Working hours in a day of estimate unless configured (`2d` is 16 hours).
pub const HOURS_PER_DAY: f64 = 8.0;
/// Working days in a week of estimate (`1w` is five days).
const DAYS_PER_WEEK: f64 = 5.0;

/// How long the units of an estimate are: a working day, and a story point if points are
/// read at all.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rates {
    /// Hours in a day of estimate.
    pub hours_per_day: f64,
    /// Hours in a story point; `None` refuses points, which measure size, not time.
    pub hours_per_point: Option<f64>,
    /// Where people set the hours in a point, for the warning that points were not read.
    pub point_setting: Option<&'static str>,
}

impl Default for Rates {
    fn default() -> Self {
        Rates {
            hours_per_day: HOURS_PER_DAY,
            hours_per_point: None,
            point_setting: None,
        }
    }
}

#[derive(Clone, Copy)]
enum Unit {
    Minutes,
    Hours,
    Days,
    Weeks,
    Points,
}

impl Unit {
    fn from_word(word: &str) -> Option<Unit> {
        match word {
            "m" | "min" | "mins" | "minute" | "minutes" => Some(Unit::Minutes),
            "h" | "hr" | "hrs" | "hour" | "hours" => Some(Unit::Hours),
            "d" | "day" | "days" => Some(Unit::Days),
            "w" | "wk" | "wks" | "week" | "weeks" => Some(Unit::Weeks),
            "sp" | "pt" | "pts" | "point" | "points" => Some(Unit::Points),
            _ => None,
        }
    }

    fn to_hours(self, amount: f64, rates: &Rates) -> Option<f64> {
        Some(match self {
            Unit::Minutes => amount / 60.0,
            Unit::Hours => amount,
            Unit::Days => amount * rates.hours_per_day,
            Unit::Weeks => amount * rates.hours_per_day * DAYS_PER_WEEK,
            Unit::Points => amount * rates.hours_per_point?,
        })
    }
}

/// Whether `text` is an estimate in story points (`3 points`, `5 SP`, `(8 pts)`).
pub fn is_points(text: &str) -> bool {
    let lowered = text.trim().trim_matches(['(', ')']).to_ascii_lowercase();
    let unit = lowered.trim_start_matches(|c: char| {
        c.is_ascii_digit() || c == '.' || c == ' ' || c == '-' || c == '~'
    });
    lowered.starts_with(|c: char| c.is_ascii_digit() || c == '~')
        && matches!(Unit::from_word(unit.trim()), Some(Unit::Points))
        || lowered.ends_with("story points") && lowered.starts_with(|c: char| c.is_ascii_digit())
}

/// Read an estimate such as `8h`, `1.5 hours`, `5 min`, `2d` or `1h 30m` as hours; `None` if it is none.
pub fn parse_estimate(text: &str) -> Option<f64> {
    parse_estimate_at(text, &Rates::default())
}

/// [`parse_estimate`] with days and points as long as `rates` says.
pub fn parse_estimate_at(text: &str, rates: &Rates) -> Option<f64> {
    let lowered = text.trim().to_ascii_lowercase();
    let mut rest = lowered.strip_prefix('~').unwrap_or(&lowered).trim_start();
    if rest.is_empty() {
        return None;
    }
    if let Some(hours) = parse_range(rest, rates) {
        return Some(hours);
    }
    let mut total = 0.0;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if number_len == 0 {
            return None;
        }
        let amount: f64 = rest[..number_len].parse().ok()?;
        rest = rest[number_len..].trim_start();
        let unit_len = rest
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(rest.len());
        total += Unit::from_word(&rest[..unit_len])?.to_hours(amount, rates)?;
        rest = rest[unit_len..].trim_start();
        if let Some(after) = rest.strip_prefix(',').or_else(|| rest.strip_prefix("and ")) {
            rest = after.trim_start();
            if rest.is_empty() {
                return None;
            }
        }
    }
    total.is_finite().then_some(total)
}

/// A range such as `4-5h`, `6–8 hours` or `2 to 3 days`: its midpoint, because an estimate
/// stands for the likely time and the middle of a range is the likeliest figure in it.
fn parse_range(text: &str, rates: &Rates) -> Option<f64> {
    let number = |s: &str| -> Option<(f64, usize)> {
        let len = s
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(s.len());
        (len > 0).then(|| s[..len].parse().ok().map(|n| (n, len)))?
    };
    let (low, len) = number(text)?;
    let rest = text[len..].trim_start();
    let rest = ["-", "–", "—", "to "]
        .iter()
        .find_map(|sep| rest.strip_prefix(sep))?
        .trim_start();
    let (high, len) = number(rest)?;
    let unit_word = rest[len..].trim();
    let unit = Unit::from_word(unit_word)?;
    if high < low {
        return None;
    }
    unit.to_hours((low + high) / 2.0, rates)
}

/// Hours for people, rounded to whole minutes: `230 h 5 min`, `83 h`, `5 min`, `0 h`.
pub fn format_hours(hours: f64) -> String {
    if !hours.is_finite() {
        return format!("{hours} h");
    }
    let minutes = (hours.abs() * 60.0).round();
    if minutes == 0.0 {
        return "0 h".to_owned();
    }
    let sign = if hours < 0.0 { "-" } else { "" };
    let whole_hours = (minutes / 60.0).floor();
    let rest_minutes = minutes - whole_hours * 60.0;
    match (whole_hours > 0.0, rest_minutes > 0.0) {
        (true, true) => format!("{sign}{whole_hours} h {rest_minutes} min"),
        (true, false) => format!("{sign}{whole_hours} h"),
        _ => format!("{sign}{rest_minutes} min"),
    }
}

/// An estimate that reads back as exactly `hours`: `8h`, `5 min`, `1h 30 min`, else decimal hours.
pub(crate) fn estimate_text(hours: f64) -> String {
    let minutes = (hours * 60.0).round();
    if (0.0..1e12).contains(&minutes) {
        let whole_hours = (minutes / 60.0).floor();
        let rest_minutes = minutes - whole_hours * 60.0;
        let human = match (whole_hours > 0.0, rest_minutes > 0.0) {
            (true, true) => format!("{whole_hours}h {rest_minutes} min"),
            (false, true) => format!("{rest_minutes} min"),
            _ => format!("{whole_hours}h"),
        };
        if parse_estimate(&human) == Some(hours) {
            return human;
        }
    }
    format!("{hours}h")
}

/// What a parenthesised group in a task line is.
enum Group {
    Estimate(f64),
    LooksLikeEstimate,
    Other,
}

fn classify(content: &str, rates: &Rates) -> Group {
    if let Some(hours) = parse_estimate_at(content, rates) {
        return Group::Estimate(hours);
    }
    let lowered = content.trim().to_ascii_lowercase();
    let word_start = lowered
        .char_indices()
        .rev()
        .find(|(_, c)| !c.is_ascii_alphabetic())
        .map_or(0, |(index, c)| index + c.len_utf8());
    let before = lowered[..word_start].trim_end();
    let separated =
        lowered[..word_start].ends_with(|c: char| c.is_whitespace() || c.is_ascii_digit());
    if !before.is_empty() && separated && Unit::from_word(&lowered[word_start..]).is_some() {
        Group::LooksLikeEstimate
    } else {
        Group::Other
    }
}

/// Split a task line into its title and its parenthesised estimate (`Add LICENSE (5 min)`).
///
/// The last group that reads as an estimate is the estimate; other parenthesised text stays
/// in the title. A group that looks like an estimate but cannot be read (`(abc h)`) is
/// returned as the error, without its parentheses.
pub(crate) fn split_estimate(text: &str) -> Result<(String, Option<f64>), String> {
    split_estimate_at(text, &Rates::default())
}

/// [`split_estimate`] with days and points as long as `rates` says.
pub(crate) fn split_estimate_at(
    text: &str,
    rates: &Rates,
) -> Result<(String, Option<f64>), String> {
    let mut open = Vec::new();
    let mut chosen: Option<(usize, usize, Group)> = None;
    for (index, c) in text.char_indices() {
        match c {
            '(' => open.push(index),
            ')' => {
                if let Some(start) = open.pop() {
                    match classify(&text[start + 1..index], rates) {
                        Group::Other => {}
                        group => chosen = Some((start, index, group)),
                    }
                }
            }
            _ => {}
        }
    }
    match chosen {
        None => Ok((text.trim().to_owned(), None)),
        Some((start, end, Group::LooksLikeEstimate | Group::Other)) => {
            Err(text[start + 1..end].trim().to_owned())
        }
        Some((start, end, Group::Estimate(hours))) => {
            let left = text[..start].trim();
            let right = text[end + 1..].trim();
            let title = if left.is_empty()
                || right.is_empty()
                || right.starts_with([',', '.', ';', ':', '!', '?'])
            {
                format!("{left}{right}")
            } else {
                format!("{left} {right}")
            };
            Ok((title, Some(hours)))
        }
    }
}

/// A task line that [`split_estimate`] reads back as exactly `title` and `hours`.
pub(crate) fn join_estimate(title: &str, hours: f64) -> String {
    if hours == 0.0 && matches!(split_estimate(title), Ok((ref bare, None)) if bare == title) {
        return title.to_owned();
    }
    let estimate = estimate_text(hours);
    if title.is_empty() {
        format!("({estimate})")
    } else {
        format!("{title} ({estimate})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_spelling() {
        let cases = [
            ("8h", 8.0),
            ("8 h", 8.0),
            ("1.5h", 1.5),
            ("8 hours", 8.0),
            ("1 hour", 1.0),
            ("5 min", 5.0 / 60.0),
            ("5 mins", 5.0 / 60.0),
            ("30m", 0.5),
            ("45 minutes", 0.75),
            ("2d", 16.0),
            ("2 days", 16.0),
            ("1h 30m", 1.5),
            ("1h30m", 1.5),
            ("1 hour and 30 minutes", 1.5),
            ("~3h", 3.0),
            ("  4 HRS ", 4.0),
            ("1w", 40.0),
            ("4-5h", 4.5),
            ("6-8 hours", 7.0),
            ("6–8 hours", 7.0),
            ("2 to 3 days", 20.0),
            ("~10-12h", 11.0),
        ];
        for (text, hours) in cases {
            assert_eq!(parse_estimate(text), Some(hours), "{text}");
        }
    }

    #[test]
    fn rejects_what_is_no_estimate() {
        for text in [
            "",
            "8",
            "h",
            "abc h",
            "service layer",
            "-2h",
            "1.2.3h",
            "8h,",
            "1e5h",
            "8 hours estimated",
        ] {
            assert_eq!(parse_estimate(text), None, "{text}");
        }
    }

    #[test]
    fn formats_for_people() {
        assert_eq!(format_hours(230.0 + 5.0 / 60.0), "230 h 5 min");
        assert_eq!(format_hours(83.0), "83 h");
        assert_eq!(format_hours(5.0 / 60.0), "5 min");
        assert_eq!(format_hours(1.5), "1 h 30 min");
        assert_eq!(format_hours(0.0), "0 h");
        assert_eq!(format_hours(0.001), "0 h");
        assert_eq!(format_hours(-1.5), "-1 h 30 min");
        assert_eq!(format_hours(f64::NAN), "NaN h");
    }

    #[test]
    fn splits_task_lines() {
        assert_eq!(
            split_estimate("Add LICENSE (5 min)"),
            Ok(("Add LICENSE".to_owned(), Some(5.0 / 60.0)))
        );
        assert_eq!(
            split_estimate("Create service layer (16h) for tests"),
            Ok(("Create service layer for tests".to_owned(), Some(16.0)))
        );
        assert_eq!(
            split_estimate("Refactor (service layer)"),
            Ok(("Refactor (service layer)".to_owned(), None))
        );
        assert_eq!(
            split_estimate("Fix thing (2h)."),
            Ok(("Fix thing.".to_owned(), Some(2.0)))
        );
        assert_eq!(split_estimate("Fix thing (abc h)"), Err("abc h".to_owned()));
        assert_eq!(
            split_estimate("Wait (5 min) (0h)"),
            Ok(("Wait (5 min)".to_owned(), Some(0.0)))
        );
        assert_eq!(
            split_estimate("Fix (abc h) (2h)"),
            Ok(("Fix (abc h)".to_owned(), Some(2.0)))
        );
        assert_eq!(split_estimate("Café (é) (ü h)"), Err("ü h".to_owned()));
        assert_eq!(
            split_estimate("Café (é)"),
            Ok(("Café (é)".to_owned(), None))
        );
        assert_eq!(
            split_estimate("unbalanced ( (3h)"),
            Ok(("unbalanced (".to_owned(), Some(3.0)))
        );
    }

    #[test]
    fn estimates_read_back_exactly() {
        for hours in [
            0.0,
            1.0,
            8.0,
            0.5,
            5.0 / 60.0,
            1.5,
            230.0 + 5.0 / 60.0,
            0.1,
            1.0 / 3.0,
            1e-9,
            12345.678,
            1e300,
        ] {
            assert_eq!(
                parse_estimate(&estimate_text(hours)),
                Some(hours),
                "{hours}"
            );
        }
        assert_eq!(estimate_text(5.0 / 60.0), "5 min");
        assert_eq!(estimate_text(16.0), "16h");
        assert_eq!(estimate_text(1.5), "1h 30 min");
    }

    #[test]
    fn joined_titles_split_back() {
        for title in [
            "Add LICENSE",
            "Wait (5 min)",
            "Fix (abc h)",
            "((2h)",
            "x (8h",
            "",
            "f(x)",
            "a) b",
        ] {
            for hours in [0.0, 2.0, 5.0 / 60.0, 0.3] {
                let line = join_estimate(title, hours);
                let (read_title, read_hours) =
                    split_estimate(&line).expect("joined lines always split");
                assert_eq!(
                    (read_title.as_str(), read_hours.unwrap_or(0.0)),
                    (title, hours),
                    "{line}"
                );
            }
        }
    }
}
