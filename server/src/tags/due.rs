//! Due dates on tags (`#COMPLETION_DRIVE[2026-03-01]: ...`): how the date
//! between the brackets is read, what "today" is, and which tags are past
//! due on a given day.

use jiff::civil::Date;
use smol_str::SmolStr;

use super::Tag;
use crate::text::TextRange;

/// The most bytes between the brackets that are read as a due date; a
/// longer bracket after a name is not a tag's date, and the text is not a
/// tag.
pub const MAX_TEXT: usize = 40;

/// A tag's due date as written between the brackets after its name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Due {
    /// The text between the brackets, as written.
    pub text: SmolStr,
    /// Where that text is (the brackets excluded; empty for `[]`).
    pub range: TextRange,
    /// The date, or why the text is not one.
    pub date: Result<Date, BadDate>,
}

/// Why the text between a tag's brackets is not a due date.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BadDate {
    /// `[]` or blanks only.
    Empty,
    /// `[2026-3-1]`: a real day, written without the zero padding of
    /// `YYYY-MM-DD`; `padded` is how to write it.
    NotPadded { padded: SmolStr },
    /// Shaped as a date, but no day of the calendar: `[2026-13-45]`,
    /// `[2026-02-30]`.
    NoSuchDay,
    /// Anything else: `[tomorrow]`, `[03/01/2026]`.
    NotADate,
}

impl Due {
    /// Reads the text between the brackets, found at `range`.
    pub fn read(text: &str, range: TextRange) -> Due {
        Due {
            text: text.into(),
            range,
            date: parse(text),
        }
    }

    /// Why the date cannot be read, as a finding's message; `None` for a
    /// good date.
    pub fn problem(&self) -> Option<String> {
        let bad = self.date.as_ref().err()?;
        let text = &self.text;
        Some(match bad {
            BadDate::Empty => {
                "the due date is empty: write it as YYYY-MM-DD, e.g. [2026-03-01]".to_owned()
            }
            BadDate::NotPadded { padded } => {
                format!("{text} is not a due date: write it as YYYY-MM-DD, here {padded}")
            }
            BadDate::NoSuchDay => {
                format!("{text} is not a due date: there is no such day (YYYY-MM-DD)")
            }
            BadDate::NotADate => {
                format!("{text} is not a due date: write it as YYYY-MM-DD, e.g. 2026-03-01")
            }
        })
    }
}

/// Reads a due date: exactly `YYYY-MM-DD`, a day of the proleptic
/// Gregorian calendar, as ISO 8601 writes it. Nothing else is a date, so
/// that one text means one day everywhere (`03/01/2026` is March or
/// January depending on who reads it).
pub fn parse(text: &str) -> Result<Date, BadDate> {
    let text = text.trim();
    if text.is_empty() {
        return Err(BadDate::Empty);
    }
    let parts: Vec<&str> = text.split('-').collect();
    let digits = |s: &str, min: usize, max: usize| {
        (min..=max).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
    };
    let [y, m, d] = parts[..] else {
        return Err(BadDate::NotADate);
    };
    if !(digits(y, 4, 4) && digits(m, 1, 2) && digits(d, 1, 2)) {
        return Err(BadDate::NotADate);
    }
    let number = |s: &str| s.parse::<i8>().ok();
    let (Ok(year), Some(month), Some(day)) = (y.parse::<i16>(), number(m), number(d)) else {
        return Err(BadDate::NotADate);
    };
    let date = Date::new(year, month, day).map_err(|_| BadDate::NoSuchDay)?;
    if m.len() == 2 && d.len() == 2 {
        Ok(date)
    } else {
        Err(BadDate::NotPadded {
            padded: format!("{year:04}-{month:02}-{day:02}").into(),
        })
    }
}

/// Today, as the gate counts days: the date in UTC, so that every machine
/// (a laptop, a CI runner) decides the same at the same moment.
pub fn today() -> Date {
    jiff::tz::TimeZone::UTC
        .to_datetime(jiff::Timestamp::now())
        .date()
}

/// The days from `today` to `due`: positive while it is ahead, 0 on the
/// day itself, negative once past.
pub fn days_left(due: Date, today: Date) -> i64 {
    today
        .until(due)
        .map(|span| i64::from(span.get_days()))
        .unwrap_or_default()
}

/// A tag past its due date.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Overdue<'a> {
    pub tag: &'a Tag,
    pub due: Date,
    /// How many days past due: at least 1.
    pub days: i64,
}

/// The tags whose due date is before `today`, in the order given, each with
/// how many days past due it is. A tag is due on its date and overdue from
/// the day after; a date that cannot be read is never overdue (it is a
/// `bad-due-date` finding instead).
///
/// The one rule for "overdue": the `overdue` findings (and so every face
/// that reports them), the hover on a tag and the audit command's list of
/// overdue tags all call this, with [`today`] or a day of their choosing.
pub fn overdue<'a>(tags: impl IntoIterator<Item = &'a Tag>, today: Date) -> Vec<Overdue<'a>> {
    tags.into_iter()
        .filter_map(|tag| {
            let due = *tag.due.as_ref()?.date.as_ref().ok()?;
            let days = -days_left(due, today);
            (days > 0).then_some(Overdue { tag, due, days })
        })
        .collect()
}

/// "1 day" or "N days".
pub fn days_text(n: i64) -> String {
    if n == 1 {
        "1 day".to_owned()
    } else {
        format!("{n} days")
    }
}

/// How a due date stands on `today`, in words: "due in 3 days", "due
/// today", "12 days overdue".
pub fn standing(due: Date, today: Date) -> String {
    match days_left(due, today) {
        0 => "due today".to_owned(),
        n if n > 0 => format!("due in {}", days_text(n)),
        n => format!("{} overdue", days_text(-n)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn only_padded_iso_dates_are_dates() {
        assert_eq!(parse("2026-03-01"), Ok(date(2026, 3, 1)));
        assert_eq!(parse(" 2026-03-01 "), Ok(date(2026, 3, 1)));
        assert_eq!(parse("2024-02-29"), Ok(date(2024, 2, 29)));
        assert_eq!(
            parse("2026-3-1"),
            Err(BadDate::NotPadded {
                padded: "2026-03-01".into()
            })
        );
        assert_eq!(parse("2026-13-45"), Err(BadDate::NoSuchDay));
        assert_eq!(parse("2026-02-30"), Err(BadDate::NoSuchDay));
        assert_eq!(parse("2025-02-29"), Err(BadDate::NoSuchDay));
        assert_eq!(parse("2026-13-1"), Err(BadDate::NoSuchDay));
        assert_eq!(parse(""), Err(BadDate::Empty));
        assert_eq!(parse("  "), Err(BadDate::Empty));
        for bad in [
            "tomorrow",
            "03/01/2026",
            "20260301",
            "2026-03-01T10:00",
            "+2026-03-01",
            "26-03-01",
            "2026-003-01",
            "2026--03",
            "２０２６-03-01",
            "2026-03-01-",
        ] {
            assert_eq!(parse(bad), Err(BadDate::NotADate), "{bad}");
        }
    }

    #[test]
    fn days_are_counted_from_today() {
        let today = date(2026, 3, 10);
        assert_eq!(days_left(date(2026, 3, 13), today), 3);
        assert_eq!(days_left(today, today), 0);
        assert_eq!(days_left(date(2026, 2, 28), today), -10);
        assert_eq!(standing(date(2026, 3, 11), today), "due in 1 day");
        assert_eq!(standing(today, today), "due today");
        assert_eq!(standing(date(2026, 3, 8), today), "2 days overdue");
        // Across a leap day and a year.
        assert_eq!(days_left(date(2025, 3, 10), date(2024, 3, 10)), 365);
        assert_eq!(days_left(date(2024, 3, 10), date(2023, 3, 10)), 366);
    }

    #[test]
    fn overdue_from_the_day_after() {
        let tag = |due: &str| Tag {
            name: "COMPLETION_DRIVE".into(),
            known: true,
            suggestion: None,
            name_range: TextRange::new(0, 0),
            payload: "".into(),
            payload_range: TextRange::new(0, 0),
            continuation: Vec::new(),
            due: Some(Due::read(due, TextRange::new(0, 0))),
        };
        let tags = [
            tag("2026-03-09"),
            tag("2026-03-10"),
            tag("2026-3-1"),
            tag("2001-01-01"),
        ];
        let late = overdue(&tags, date(2026, 3, 10));
        let found: Vec<(Date, i64)> = late.iter().map(|o| (o.due, o.days)).collect();
        assert_eq!(
            found,
            [(date(2026, 3, 9), 1), (date(2001, 1, 1), 9199)],
            "the day itself and an unreadable date are not overdue"
        );
        assert!(std::ptr::eq(late[0].tag, &tags[0]));
    }
}
