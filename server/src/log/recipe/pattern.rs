//! grep's patterns as regular expressions of the `regex` crate: basic
//! (the default, `-G`) and extended (`-E`) POSIX syntax with GNU's
//! extensions, and fixed strings (`-F`). What has no equivalent
//! (back-references, collating elements, unknown escapes) is refused with
//! the reason, so that a recipe is never failed on a misreading.

use regex::bytes::{Regex, RegexBuilder};

/// How the pattern is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Syntax {
    Basic,
    Extended,
    Fixed,
}

/// How a line must match.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Mode {
    pub ignore_case: bool,
    /// `-w`: the match is a whole word.
    pub word: bool,
    /// `-x`: the match is the whole line.
    pub line: bool,
}

/// The compiled size a pattern may take, at most: a hostile pattern is
/// refused rather than built.
const SIZE_LIMIT: usize = 2 << 20;

/// A regular expression matching a line as grep would select it with any
/// of `patterns` (each may hold several, one a line).
pub(super) fn compile(patterns: &[String], syntax: Syntax, mode: Mode) -> Result<Regex, String> {
    let mut alternatives = Vec::new();
    for p in patterns {
        for one in p.split('\n') {
            alternatives.push(match syntax {
                Syntax::Fixed => regex::escape(one),
                Syntax::Basic => translate(one, false)?,
                Syntax::Extended => translate(one, true)?,
            });
        }
    }
    let any = alternatives
        .iter()
        .map(|a| format!("(?:{a})"))
        .collect::<Vec<_>>()
        .join("|");
    let whole = if mode.line {
        format!("^(?:{any})$")
    } else if mode.word {
        format!(r"(?:^|[^\w])(?:{any})(?:[^\w]|$)")
    } else {
        any
    };
    RegexBuilder::new(&whole)
        .case_insensitive(mode.ignore_case)
        .size_limit(SIZE_LIMIT)
        .dfa_size_limit(SIZE_LIMIT)
        .nest_limit(100)
        .build()
        .map_err(|e| match e {
            regex::Error::CompiledTooBig(_) => "its pattern is too large".to_owned(),
            _ => "its pattern is not a regular expression tagls can read".to_owned(),
        })
}

/// A POSIX pattern (basic or extended, with GNU's extensions) in the
/// `regex` crate's syntax.
pub(super) fn translate(pattern: &str, extended: bool) -> Result<String, String> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::new();
    // Where `*` is an ordinary character and `^` an anchor (basic syntax):
    // at the start, after `\(` or `\|`.
    let mut at_start = true;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let starting = at_start;
        at_start = false;
        match c {
            '\\' => {
                let Some(&e) = chars.get(i + 1) else {
                    return Err("its pattern ends with a backslash".to_owned());
                };
                i += 1;
                match e {
                    '(' | ')' | '|' | '+' | '?' if !extended => {
                        out.push(e);
                        at_start = e == '(' || e == '|';
                    }
                    '{' if !extended => {
                        let (interval, len) = interval(&chars[i + 1..], true).ok_or_else(|| {
                            "its pattern has an interval tagls cannot read".to_owned()
                        })?;
                        if starting {
                            return Err("its pattern starts with an interval".to_owned());
                        }
                        out.push_str(&interval);
                        i += len;
                    }
                    '<' => out.push_str(r"\b{start}"),
                    '>' => out.push_str(r"\b{end}"),
                    'b' | 'B' | 'w' | 'W' | 's' | 'S' => {
                        out.push('\\');
                        out.push(e);
                    }
                    '1'..='9' => {
                        return Err("its pattern has a back-reference".to_owned());
                    }
                    e if e.is_ascii_alphanumeric() => {
                        return Err(format!(
                            "its pattern has `\\{e}`, which grep does not read as tagls would"
                        ));
                    }
                    e => out.push_str(&regex::escape(&e.to_string())),
                }
            }
            '[' => {
                let (class, len) = bracket(&chars[i + 1..])?;
                out.push_str(&class);
                i += len;
            }
            '*' if starting => out.push_str(r"\*"),
            '*' => out.push('*'),
            '^' if starting || extended => {
                out.push('^');
                at_start = !extended;
            }
            '$' if extended || ends_branch(&chars[i + 1..]) => out.push('$'),
            '.' => out.push('.'),
            '(' | '|' if extended => {
                out.push(c);
                at_start = true;
            }
            ')' if extended => out.push(')'),
            '+' | '?' if extended && starting => out.push_str(&regex::escape(&c.to_string())),
            '+' | '?' if extended => out.push(c),
            '{' if extended => match interval(&chars[i + 1..], false) {
                Some(_) if starting => {
                    return Err("its pattern starts with an interval".to_owned());
                }
                Some((interval, len)) => {
                    out.push_str(&interval);
                    i += len;
                }
                None => out.push_str(r"\{"),
            },
            c => out.push_str(&regex::escape(&c.to_string())),
        }
        i += 1;
    }
    Ok(out)
}

/// Whether a `$` before `rest` ends a branch of a basic pattern (so it is
/// an anchor): at the end, or before `\)` or `\|`.
fn ends_branch(rest: &[char]) -> bool {
    matches!(rest, [] | ['\\', ')', ..] | ['\\', '|', ..])
}

/// An interval `{n}`, `{n,}`, `{,m}`, `{n,m}` after its `{`, closed by
/// `\}` (basic) or `}` (extended): the `regex` crate's form and how many
/// characters it took, its closing included.
fn interval(rest: &[char], basic: bool) -> Option<(String, usize)> {
    let close = if basic {
        rest.windows(2).position(|w| w == ['\\', '}'])?
    } else {
        rest.iter().position(|c| *c == '}')?
    };
    let body: String = rest[..close].iter().collect();
    let (lo, hi) = match body.split_once(',') {
        Some((lo, hi)) => (lo, Some(hi)),
        None => (body.as_str(), None),
    };
    let number = |s: &str| -> Option<u32> {
        if s.is_empty() || !s.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        s.parse().ok().filter(|n| *n <= 1000)
    };
    let lo_n = if lo.is_empty() && hi.is_some() {
        0
    } else {
        number(lo)?
    };
    let text = match hi {
        None => format!("{{{lo_n}}}"),
        Some("") => format!("{{{lo_n},}}"),
        Some(hi) => {
            let hi_n = number(hi)?;
            if hi_n < lo_n {
                return None;
            }
            format!("{{{lo_n},{hi_n}}}")
        }
    };
    Some((text, close + if basic { 2 } else { 1 }))
}

/// A bracket expression after its `[`: the `regex` crate's class and how
/// many characters it took, its `]` included.
fn bracket(rest: &[char]) -> Result<(String, usize), String> {
    let unclosed = || "its pattern has a `[` without its `]`".to_owned();
    let mut out = String::from("[");
    let mut i = 0;
    if rest.first() == Some(&'^') {
        out.push('^');
        i += 1;
    }
    let mut first = true;
    loop {
        let Some(&c) = rest.get(i) else {
            return Err(unclosed());
        };
        if c == ']' && !first {
            out.push(']');
            return Ok((out, i + 1));
        }
        first = false;
        if c == '[' {
            match rest.get(i + 1) {
                Some(':') => {
                    let after = &rest[i + 2..];
                    let end = after
                        .windows(2)
                        .position(|w| w == [':', ']'])
                        .ok_or_else(unclosed)?;
                    let name: String = after[..end].iter().collect();
                    const CLASSES: &[&str] = &[
                        "alnum", "alpha", "blank", "cntrl", "digit", "graph", "lower", "print",
                        "punct", "space", "upper", "xdigit",
                    ];
                    if !CLASSES.contains(&name.as_str()) {
                        return Err(format!("its pattern has an unknown class `[:{name}:]`"));
                    }
                    out.push_str(&format!("[:{name}:]"));
                    i += 2 + end + 2;
                    continue;
                }
                Some('=' | '.') => {
                    return Err(
                        "its pattern has an equivalence class or a collating element".to_owned(),
                    );
                }
                _ => {}
            }
        }
        // A range `a-z`, unless the `-` is the last character.
        if rest.get(i + 1) == Some(&'-') && rest.get(i + 2).is_some_and(|e| *e != ']') {
            let end = rest[i + 2];
            if end < c {
                return Err("its pattern has a range that runs backwards".to_owned());
            }
            push_class_char(&mut out, c);
            out.push('-');
            push_class_char(&mut out, end);
            i += 3;
            continue;
        }
        push_class_char(&mut out, c);
        i += 1;
    }
}

/// A character inside a class, escaped when the `regex` crate would read
/// it otherwise (a POSIX bracket has no escapes: `\` is itself).
fn push_class_char(out: &mut String, c: char) {
    if matches!(c, '\\' | '[' | ']' | '^' | '-' | '&' | '~') {
        out.push('\\');
    }
    out.push(c);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(pattern: &str, syntax: Syntax, line: &str) -> bool {
        compile(&[pattern.to_owned()], syntax, Mode::default())
            .expect("a pattern tagls reads")
            .is_match(line.as_bytes())
    }

    #[test]
    fn basic_and_extended_patterns_read_as_grep_reads_them() {
        use Syntax::*;
        assert!(matches("a+b", Basic, "xa+by"));
        assert!(!matches("a+b", Basic, "aab"));
        assert!(matches("a+b", Extended, "aab"));
        assert!(matches(r"a\+b", Basic, "aab"));
        assert!(matches(
            "^export (const|function)",
            Extended,
            "export function f"
        ));
        assert!(matches(
            r"^export \(const\|function\)",
            Basic,
            "export const f"
        ));
        assert!(matches("*x", Basic, "a*x"));
        assert!(matches("a^b$c", Basic, "a^b$c"));
        assert!(matches("x$", Basic, "ax"));
        assert!(matches(r"[\.]", Basic, r"a\b"));
        assert!(matches("[[:digit:]]{3}", Extended, "a123"));
        assert!(matches(r"[0-9]\{2,\}", Basic, "a12"));
        assert!(!matches(r"[0-9]\{2,\}", Basic, "a1b"));
        assert!(matches("a{", Extended, "a{"));
        assert!(matches(r"\<user\>", Basic, "the user is"));
        assert!(!matches(r"\<user\>", Basic, "users"));
        assert!(matches("a.c", Fixed, "a.c"));
        assert!(!matches("a.c", Fixed, "abc"));
        assert!(matches("[]a]", Basic, "]"));
        for refused in [r"(a)\1", r"\d+", "[[=a=]]", "[abc", r"x\", "[[:nope:]]"] {
            assert!(
                translate(refused, refused.contains('(')).is_err(),
                "{refused}"
            );
        }
        let word = Mode {
            word: true,
            ..Mode::default()
        };
        let re = compile(&["user".to_owned()], Basic, word).unwrap();
        assert!(re.is_match(b"a user."));
        assert!(!re.is_match(b"username"));
        let huge = "(a{1000}){1000}".to_owned();
        assert!(compile(&[huge], Extended, Mode::default()).is_err());
    }
}
