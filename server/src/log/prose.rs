//! Claims made in prose: what an agent says it did in a message ("I created
//! src/a.ts", "updated src/b.ts lines 10-40", "I set DATABASE_URL in
//! .env.example"), read as claims and checked by the log checker's own rules.
//!
//! Reading is conservative, since a claim that is not one would stop an agent
//! for nothing: a sentence counts only when it is affirmative and in the past
//! tense (no "not", "will", "if", question), a path only when it names a
//! folder (`src/a.ts`, `./a.ts`; a bare `a.ts` does not say where it is), and
//! nothing inside a fenced code block counts. Nothing in the text is ever run.
//!
//! Checking writes the claims as the log's own entries (`#FILE_CREATED`,
//! `#FILE_MODIFIED` with `Lines affected:`) and runs [`super::check::check`]
//! on them, so a claim in a message and the same claim in the log get the
//! same answer; a variable is resolved as a reference in a tag is
//! ([`crate::resolve::resolve`]), from the names of the env files only.

use std::path::Path;
use std::sync::{Arc, LazyLock};

use regex::Regex;

use crate::findings::{self, Finding, Verdict};
use crate::resolve::{self, RefKind, Reference, Resolved};
use crate::tags::{Family, Registry};
use crate::text::TextRange;
use crate::workspace::model::Workspace;

use super::git::GitState;

/// What a sentence claims.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A file was created, with this many lines when the sentence says.
    Created { lines: Option<usize> },
    /// A file was changed, at these lines when the sentence says
    /// (`10-40, 52`, as `Lines affected:` reads them).
    Modified { lines: Option<String> },
    /// An environment variable was set (declared in an env file).
    Env,
}

/// One claim read from prose.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claim {
    pub kind: Kind,
    /// The path as written (without a leading `./`), or the variable's name.
    pub subject: String,
    /// The sentence that makes the claim, on one line.
    pub sentence: String,
}

/// A claim and what checking it found: `None` when it holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checked {
    pub claim: Claim,
    pub finding: Option<Finding>,
    /// What the finding means for the gate: a claim in prose is a claim.
    pub gate: Option<Verdict>,
}

/// Words that make a sentence something other than a statement of what
/// was done: a negation, the future, a condition, a wish.
static NOT_DONE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b(?:not|never|no longer|cannot|won't|will|would|should|could|might|may|if|unless|need(?:s)? to|plan(?:s|ned)? to|going to|yet to|todo|instead of)\b|n't\b",
    )
    .expect("valid regex")
});

/// A verb of creation.
static CREATED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(?:created|wrote|scaffolded|generated)$").expect("valid regex")
});

/// A verb of change.
static MODIFIED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(?:updated|modified|edited|changed|fixed|refactored|extended|rewrote|rewritten|patched|added)$")
        .expect("valid regex")
});

/// A verb that sets a variable.
static SETS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(?:set|added|defined|declared|documented|configured|exported)$")
        .expect("valid regex")
});

/// Words that say a sentence is about environment variables.
static ENV_CUE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\.env\b|\benv\b|\benvironment\b|\bvariables?\b").expect("valid regex")
});

/// A variable's name: upper case with an underscore (`DATABASE_URL`).
static VAR: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$").expect("valid regex"));

/// A path that names its folder, with a file extension.
static PATH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:\./)?[A-Za-z0-9_@.+\-~]+(?:/[A-Za-z0-9_@.+\-\[\]()]+)*\.[A-Za-z0-9]{1,10}$")
        .expect("valid regex")
});

/// `(40 lines)` or `40 lines` after a created file's path.
static COUNT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)^\W*\(?\s*(\d{1,7})\s+lines?\b").expect("valid regex"));

/// `lines 10-40`, `line 12`, `(lines 10-40, 52)` after a changed file's path.
static LINES: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\W*(?:at\s+|on\s+)?\(?\s*(?:lines?|L)\s*(\d+(?:\s*[-–]\s*\d+)?(?:\s*(?:,|and)\s*\d+(?:\s*[-–]\s*\d+)?)*)")
        .expect("valid regex")
});

/// Articles and fillers between a verb and what it acts on.
const FILLERS: [&str; 6] = ["a", "an", "the", "new", "file", "files"];

/// How many words may stand between a verb and the first path it claims.
const MAX_GAP: usize = 6;

/// Words that end a verb's clause: what follows is another statement.
const ENDS_CLAUSE: [&str; 14] = [
    "that", "which", "who", "whose", "where", "when", "so", "because", "since", "while", "after",
    "before", "but", "then",
];

/// Whether a word only links the items of a list, or states the size or
/// the lines of the path before it.
fn is_connector(word: &str) -> bool {
    static SIZE: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?i)^(?:lines?|L?\d+(?:[-–]\d+)?)$").expect("valid regex"));
    matches!(
        word.to_lowercase().as_str(),
        "" | "and" | "&" | "plus" | "also" | "as" | "well"
    ) || SIZE.is_match(word)
}

/// The text outside fenced code blocks, line by line.
fn prose_lines(text: &str) -> Vec<&str> {
    let mut fence: Option<&str> = None;
    let mut out = Vec::new();
    for line in text.lines() {
        let t = line.trim_start();
        let marker = ["```", "~~~"].into_iter().find(|m| t.starts_with(m));
        match (fence, marker) {
            (None, Some(m)) => fence = Some(m),
            (Some(open), Some(m)) if open == m => fence = None,
            (None, None) => out.push(line),
            _ => {}
        }
    }
    out
}

/// The sentences of a line: split after `.`, `!`, `?` or `;` followed by a
/// space (a path's dots are not followed by one).
fn sentences(line: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let bytes = line.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        if matches!(b, b'.' | b'!' | b'?' | b';')
            && bytes.get(i + 1).is_none_or(|n| n.is_ascii_whitespace())
        {
            out.push(&line[start..=i]);
            start = i + 1;
        }
    }
    out.push(&line[start..]);
    out.into_iter()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect()
}

/// A word without the punctuation and quotes around it.
fn bare(word: &str) -> &str {
    word.trim_matches(|c: char| {
        matches!(
            c,
            '`' | '"' | '\'' | ',' | ';' | ':' | '(' | ')' | '*' | '!' | '?' | '“' | '”'
        )
    })
    .trim_end_matches('.')
}

fn is_path(word: &str) -> bool {
    !word.contains("://") && word.contains('/') && !word.ends_with('/') && PATH.is_match(word)
}

/// The claims in a message, in order; the same path is claimed once.
pub fn claims(text: &str) -> Vec<Claim> {
    let mut out: Vec<Claim> = Vec::new();
    for line in prose_lines(text) {
        // A list item's marker is not part of its sentence.
        let line = line
            .trim_start()
            .trim_start_matches(['-', '*', '+', '>'])
            .trim_start();
        for sentence in sentences(line) {
            if NOT_DONE.is_match(sentence) || sentence.ends_with('?') {
                continue;
            }
            for claim in sentence_claims(sentence) {
                if !out
                    .iter()
                    .any(|c| c.subject == claim.subject && c.kind == claim.kind)
                {
                    out.push(claim);
                }
            }
        }
    }
    out
}

fn sentence_claims(sentence: &str) -> Vec<Claim> {
    let words: Vec<(usize, &str)> = sentence
        .split_whitespace()
        .map(|w| {
            let at = w.as_ptr() as usize - sentence.as_ptr() as usize;
            (at, w)
        })
        .collect();
    let env_cue = ENV_CUE.is_match(sentence);
    let mut out = Vec::new();
    // The kind of claim the last verb makes.
    let mut verb: Option<(Kind, usize)> = None;
    let mut sets: Option<usize> = None;
    let mut claimed_since_verb = false;
    for (i, &(at, raw)) in words.iter().enumerate() {
        let word = bare(raw);
        if CREATED.is_match(word) || MODIFIED.is_match(word) {
            claimed_since_verb = false;
        }
        if CREATED.is_match(word) {
            verb = Some((Kind::Created { lines: None }, i));
        } else if MODIFIED.is_match(word) {
            // "added src/a.ts" creates it; "added a check to src/a.ts"
            // changes it.
            let creates = word.eq_ignore_ascii_case("added")
                && words[i + 1..]
                    .iter()
                    .map(|(_, w)| bare(w))
                    .find(|w| !FILLERS.contains(&w.to_lowercase().as_str()))
                    .is_some_and(is_path);
            verb = Some((
                if creates {
                    Kind::Created { lines: None }
                } else {
                    Kind::Modified { lines: None }
                },
                i,
            ));
        }
        if SETS.is_match(word) {
            sets = Some(i);
        }
        if let Some(s) = sets
            && VAR.is_match(word)
            && (env_cue || (i == s + 1 && words[s].1.eq_ignore_ascii_case("set")))
        {
            out.push(Claim {
                kind: Kind::Env,
                subject: word.to_owned(),
                sentence: sentence.to_owned(),
            });
            continue;
        }
        // A verb's clause ends at a word that starts another one.
        if ENDS_CLAUSE.contains(&word.to_lowercase().as_str()) {
            verb = None;
            continue;
        }
        let Some((kind, since)) = &verb else { continue };
        if !is_path(word) {
            continue;
        }
        // The first path close to its verb ("updated the login form in
        // src/app.tsx"); the next ones only in a list ("created src/a.ts,
        // src/b.ts and src/c.ts"): in "updated src/a.ts to import
        // src/b.ts", src/b.ts is not claimed.
        let gap = &words[since + 1..i];
        let close = if claimed_since_verb {
            gap.iter().all(|(_, w)| is_connector(bare(w)))
        } else {
            gap.len() <= MAX_GAP
        };
        if !close {
            verb = None;
            continue;
        }
        let kind = kind.clone();
        verb = Some((kind.clone(), i));
        claimed_since_verb = true;
        let rest = &sentence[at + raw.len()..];
        let kind = match kind {
            Kind::Created { .. } => Kind::Created {
                lines: COUNT
                    .captures(rest)
                    .and_then(|c| c.get(1)?.as_str().parse().ok()),
            },
            _ => Kind::Modified {
                lines: LINES
                    .captures(rest)
                    .and_then(|c| Some(c.get(1)?.as_str().replace(" and ", ", "))),
            },
        };
        out.push(Claim {
            kind,
            subject: word.trim_start_matches("./").to_owned(),
            sentence: sentence.to_owned(),
        });
    }
    out
}

/// Checks each claim against the workspace of `root`: files by the log
/// checker's rules (with `git` as the checker uses it), variables against
/// the env files' names. `log_path` stands for the log the claims would be
/// written in (inside `root`).
pub fn check(
    claims: &[Claim],
    root: &Path,
    log_path: &Path,
    ws: &mut Workspace,
    git: Option<&GitState>,
) -> Vec<Checked> {
    // The file claims, written as the log writes them.
    let mut text = String::new();
    let mut entries: Vec<(TextRange, usize)> = Vec::new();
    for (i, c) in claims.iter().enumerate() {
        let start = text.len();
        match &c.kind {
            Kind::Created { lines } => {
                text.push_str(&format!("#FILE_CREATED: `{}`", c.subject));
                if let Some(n) = lines {
                    text.push_str(&format!(" ({n} lines)"));
                }
                text.push('\n');
            }
            Kind::Modified { lines } => {
                text.push_str(&format!("#FILE_MODIFIED: `{}`\n", c.subject));
                if let Some(l) = lines {
                    text.push_str(&format!("  Lines affected: {l}\n"));
                }
            }
            Kind::Env => continue,
        }
        entries.push((TextRange::new(start, text.len()), i));
        text.push('\n');
    }
    let doc = super::parse(&text, &Registry::builtin());
    let checks = super::check::check(&doc, &text, log_path, ws, git);
    let mut found: Vec<Option<Finding>> = vec![None; claims.len()];
    for f in checks.into_iter().filter_map(|c| c.finding) {
        if let Some((_, i)) = entries
            .iter()
            .find(|(r, _)| r.start <= f.range.start && f.range.start < r.end)
            && found[*i].is_none()
        {
            found[*i] = Some(f);
        }
    }
    for (i, c) in claims.iter().enumerate() {
        if c.kind != Kind::Env {
            continue;
        }
        let kind = RefKind::Env(c.subject.clone());
        let Some(resolution) = resolve::resolve(ws, log_path, None, &kind) else {
            continue;
        };
        let resolved = Resolved {
            reference: Reference {
                kind,
                range: TextRange::new(0, 0),
            },
            resolution: Arc::new(resolution),
            root: Some(Arc::from(root)),
        };
        found[i] = findings::for_references([&resolved], false)
            .into_iter()
            .next();
    }
    claims
        .iter()
        .cloned()
        .zip(found)
        .map(|(claim, finding)| {
            let gate = finding
                .as_ref()
                .and_then(|f| f.code.gate(&f.tag, Some(Family::Claim)));
            Checked {
                claim,
                finding,
                gate,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Vec<(Kind, String)> {
        claims(text)
            .into_iter()
            .map(|c| (c.kind, c.subject))
            .collect()
    }

    #[test]
    fn statements_of_what_was_done_are_claims() {
        let text = "Done! I created `src/api/auth.ts` (40 lines) and updated src/app.ts lines 10-40.\n\
                    - Added src/routes/login.ts\n\
                    - Added a check to ./src/db.ts (lines 3-5 and 9)\n\
                    I set DATABASE_URL; I declared JWT_SECRET in .env.example.\n\
                    Updated src/g.ts to import src/h.ts. Created src/i.ts (3 lines), src/j.ts and src/k.ts.\n";
        assert_eq!(
            read(text),
            [
                (
                    Kind::Created { lines: Some(40) },
                    "src/api/auth.ts".to_owned()
                ),
                (
                    Kind::Modified {
                        lines: Some("10-40".into())
                    },
                    "src/app.ts".to_owned()
                ),
                (Kind::Created { lines: None }, "src/routes/login.ts".into()),
                (
                    Kind::Modified {
                        lines: Some("3-5, 9".into())
                    },
                    "src/db.ts".into()
                ),
                (Kind::Env, "DATABASE_URL".into()),
                (Kind::Env, "JWT_SECRET".into()),
                (Kind::Modified { lines: None }, "src/g.ts".into()),
                (Kind::Created { lines: Some(3) }, "src/i.ts".into()),
                (Kind::Created { lines: None }, "src/j.ts".into()),
                (Kind::Created { lines: None }, "src/k.ts".into()),
            ]
        );
    }

    #[test]
    fn plans_negations_questions_examples_and_bare_names_are_not() {
        let text = "I did not create src/a.ts. I will create src/b.ts next.\n\
                    Should I update src/c.ts? If you want, I could add src/d.ts.\n\
                    I created auth.ts and read https://example.com/x.ts.\n\
                    ```\nI created src/e.ts\n```\n\
                    The config sets MAX_RETRIES to 3.\n\
                    I created a pull request that updates src/f.ts.\n";
        assert_eq!(read(text), []);
    }
}
