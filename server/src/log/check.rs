//! Checking the log's claims against the workspace: created and modified
//! files, screenshots, `Verification:` recipes and the assumptions written
//! in the log.
//!
//! Nothing is ever run and nothing is read from outside the workspace: every
//! check goes through [`Workspace`], which refuses paths outside its roots,
//! and the recipes (`ls`, `test`, `wc -l`, `grep`) are evaluated in-process
//! by [`super::recipe`]. Every hover and message is redacted
//! ([`crate::secrets::redact`]) before it leaves.

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use regex::Regex;

use super::files::{self, Body, Stat, plural};
use super::git::{GitState, GitStatus};
use super::parse::{Entry, LogDoc, field_value, field_value_offset};
use super::recipe;
use crate::findings::{self, Finding};
use crate::resolve::{self, refs};
use crate::secrets::redact_string;
use crate::tags::scan::ContinuationLine;
use crate::tags::{Family, Severity};
use crate::text::TextRange;
use crate::workspace::model::Workspace;
use crate::workspace::paths::normalize;

pub use super::files::{MAX_FILE, count_lines};

pub use crate::findings::Code;

/// A claim that the workspace contradicts (the codes' own documentation is
/// in [`Code`]).
pub const FALSE_CLAIM: Code = Code::FalseClaim;
/// A `Verification:` recipe that fails when tagls evaluates it.
pub const VERIFICATION_FAILED: Code = Code::VerificationFailed;
/// A `Verification:` recipe tagls cannot evaluate, or a file it cannot read.
pub const UNVERIFIABLE: Code = Code::Unverifiable;
/// A field or claim that tagls cannot read, such as `Lines affected: most`.
pub const BAD_FIELD: Code = Code::BadField;

/// Written in place of a screenshot's path when a security policy forbids
/// capturing one; the method accepts it as a waiver.
pub const SCREENSHOT_WAIVER: &str = "CANNOT_CAPTURE_SECURITY_POLICY";

/// What one check found, on a span of the log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
    pub range: TextRange,
    /// Where the tag of the entry it checks starts (its `#`), when it
    /// checks an entry: an assumption whose entry was checked names
    /// something checkable.
    pub entry: Option<usize>,
    /// For the evaluation of a recipe (a `Verification:` line), what each
    /// of its commands did: the report lists them as the commands it ran.
    pub runs: Option<Vec<recipe::CommandRun>>,
    pub finding: Option<Finding>,
    /// Markdown for hover: what was checked and what was found.
    pub hover: String,
}

/// Checks every claim of a parsed log against the workspace. Paths in
/// claims are relative to the root that holds the log; `./x` and `../x` are
/// relative to the log's folder. Paths in `Verification:` recipes are
/// relative to the root, where such commands are run. With `git`, what git
/// says about the root, claims are also checked against git: a modified
/// file changed, a created file is new, the lines affected are the changed
/// ones. The checks come back in document order.
pub fn check(
    log: &LogDoc,
    log_text: &str,
    log_path: &Path,
    ws: &mut Workspace,
    git: Option<&GitState>,
) -> Vec<Check> {
    let log_path = normalize(log_path);
    let log_dir = log_path
        .parent()
        .map_or_else(|| log_path.clone(), Path::to_path_buf);
    // A log outside every root has nothing it may look at: with its own
    // folder as the base, every lookup answers "outside".
    let root = ws
        .root_for(&log_path)
        .map_or_else(|| log_dir.clone(), |r| r.path.clone());
    // A tree with no change against `HEAD` is work already committed:
    // its claims are checked against git only with a base (`git-base`).
    let git = git.filter(|g| !(g.base == "HEAD" && g.is_clean()));
    let mut cx = Checker {
        ws,
        text: log_text,
        root,
        log_dir,
        git,
        entry: None,
        out: Vec::new(),
    };
    for entry in &log.entries {
        cx.entry = Some(entry.tag.name_range.start);
        match entry.tag.name.as_str() {
            "FILE_CREATED" => cx.file_created(entry),
            "FILE_MODIFIED" => cx.file_modified(entry),
            "SCREENSHOT_CLAIMED" => cx.screenshot(entry),
            "VERIFIED" => cx.verified(entry, &log_path),
            _ => {}
        }
        for key in RECIPE_FIELDS {
            for line in entry.fields(key) {
                cx.verification(entry, line);
            }
        }
        if entry.family == Some(Family::Assumption) {
            cx.assumption(entry, &log_path);
        }
    }
    let mut out = cx.out;
    out.sort_by_key(|c| c.range.start);
    out
}

/// The fields whose value is a recipe: the template's `Verification:`, and
/// the `Verifiable by:` and `Verification method:` that logs also write.
pub const RECIPE_FIELDS: [&str; 3] = ["Verification", "Verifiable by", "Verification method"];

/// Where the method keeps evidence, relative to the root: a screenshot
/// shows visual work only from there.
pub const EVIDENCE_DIRS: [&str; 2] = [
    ".orchestration/evidence/",
    ".claude/orchestration/evidence/",
];

/// The method's rule for visual work: a change to UI files (`ui`, matched
/// against what git reports changed and what the log claims) needs a
/// `#SCREENSHOT_CLAIMED` image under `.orchestration/evidence/`. The
/// waiver `CANNOT_CAPTURE_SECURITY_POLICY` is accepted, never silently: it
/// is a check for a person. Only a log that holds a claim is under the
/// rule; a workspace that does not use the method is never held to it.
pub fn visual_work(
    log: &LogDoc,
    git: Option<&GitState>,
    ui: &globset::GlobSet,
    registry: &crate::tags::Registry,
) -> Vec<Check> {
    if super::LogProblem::of_parsed(log, super::Shape::Prose, registry).is_some() {
        return Vec::new();
    }
    let all = claims(log);
    let trimmed = |p: &str| p.trim_start_matches("./").to_owned();
    let mut ui_files: Vec<String> = git
        .map(|g| g.changed.iter().map(|c| c.path.clone()).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .chain(
            all.iter()
                .filter(|c| c.tag != "SCREENSHOT_CLAIMED")
                .map(|c| trimmed(&c.path)),
        )
        .filter(|p| !p.starts_with(".orchestration/") && ui.is_match(Path::new(p)))
        .collect();
    ui_files.sort();
    ui_files.dedup();
    let shown = match ui_files.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [first, rest @ ..] => format!("{first} and {} more", rest.len()),
    };
    let mut out = Vec::new();
    let waivers: Vec<&Entry> = log
        .entries
        .iter()
        .filter(|e| {
            e.tag.name == "SCREENSHOT_CLAIMED"
                && e.tag.payload.trim_start().starts_with(SCREENSHOT_WAIVER)
        })
        .collect();
    for e in &waivers {
        let start =
            e.tag.payload_range.start + (e.tag.payload.len() - e.tag.payload.trim_start().len());
        let range = TextRange::new(start, start + SCREENSHOT_WAIVER.len());
        let what = if shown.is_empty() {
            "the visual change".to_owned()
        } else {
            format!("the visual change to {shown}")
        };
        let message = format!(
            "screenshot waived ({SCREENSHOT_WAIVER}): a person must check {what}; the method makes this CONDITIONAL"
        );
        out.push(Check {
            range,
            entry: Some(e.tag.name_range.start),
            runs: None,
            hover: format!("**#{}**: {message}", e.tag.name),
            finding: Some(Finding {
                range,
                severity: Severity::Warning,
                code: Code::ScreenshotWaived,
                tag: e.tag.name.clone(),
                message,
                fix: None,
            }),
        });
    }
    if ui_files.is_empty() || !waivers.is_empty() {
        return out;
    }
    let screenshots: Vec<&Claim> = all
        .iter()
        .filter(|c| c.tag == "SCREENSHOT_CLAIMED")
        .collect();
    let evidence = screenshots.iter().any(|c| {
        EVIDENCE_DIRS
            .iter()
            .any(|d| trimmed(&c.path).starts_with(d))
    });
    if evidence {
        return out;
    }
    let elsewhere = if screenshots.is_empty() {
        ""
    } else {
        " (its screenshots are not under .orchestration/evidence/)"
    };
    let message = format!(
        "visual work without a screenshot: {shown} changed, but no #SCREENSHOT_CLAIMED image under .orchestration/evidence/ shows it{elsewhere}"
    );
    // On the claim of the first UI file the log names, else at its start.
    let range = all
        .iter()
        .find(|c| ui_files.contains(&trimmed(&c.path)))
        .map_or(TextRange::new(0, 0), |c| c.range);
    out.push(Check {
        range,
        entry: None,
        runs: None,
        hover: message.clone(),
        finding: Some(Finding {
            range,
            severity: Severity::Error,
            code: Code::MissingScreenshot,
            tag: Default::default(),
            message,
            fix: None,
        }),
    });
    out
}

/// A claim's path as written in the log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claim {
    /// `FILE_CREATED`, `FILE_MODIFIED` or `SCREENSHOT_CLAIMED`.
    pub tag: String,
    /// The path as written, without quotes or backticks.
    pub path: String,
    /// Where the path is written in the log.
    pub range: TextRange,
    /// The whole entry's tag: the claim's `#NAME: payload`.
    pub entry: TextRange,
}

/// Every claim that names a path, in document order, read exactly as the
/// checker reads it: `src/a.ts (2 lines)`, `src/a.ts, src/c.ts`,
/// `src/b.ts: 2 lines`, `` `src/my file.ts` (2 lines) ``.
pub fn claims(log: &LogDoc) -> Vec<Claim> {
    log.entries
        .iter()
        .filter(|e| {
            matches!(
                e.tag.name.as_str(),
                "FILE_CREATED" | "FILE_MODIFIED" | "SCREENSHOT_CLAIMED"
            )
        })
        .filter_map(|e| {
            let (written, _) = written_path(&e.tag.payload, e.tag.payload_range.start)?;
            (written.path != SCREENSHOT_WAIVER).then(|| Claim {
                tag: e.tag.name.to_string(),
                path: written.path,
                range: written.range,
                entry: e.tag.full_range(),
            })
        })
        .collect()
}

/// The path of every claim that names one, as `(tag, path)` in document
/// order: what the log says was created, modified or captured.
pub fn claimed_paths(log: &LogDoc) -> Vec<(String, String)> {
    claims(log).into_iter().map(|c| (c.tag, c.path)).collect()
}

/// The file a claim's path names: relative to the root, or to the log's
/// folder (`log_dir`) when it starts with `./` or `../`.
pub fn claim_target(root: &Path, log_dir: &Path, written: &str) -> PathBuf {
    let p = Path::new(written);
    if written == "~" || crate::resolve::refs::is_home(written) {
        // A home folder is outside every workspace; the path is not looked
        // up, so it can only answer "outside".
        return PathBuf::from("/~").join(p.strip_prefix("~").unwrap_or(p));
    }
    if p.is_absolute() {
        normalize(p)
    } else if written == "." || written.starts_with("./") || written.starts_with("../") {
        normalize(&log_dir.join(p))
    } else {
        normalize(&root.join(p))
    }
}

/// How far a claimed line count may be from the file's: two lines, or 5%
/// of the claim when that is more. Tools disagree by one on whether a last
/// line without a final newline counts, and files are often touched after
/// they were logged (a formatter run, an import added), so a small gap is
/// noise. A gap larger than that means the claim describes a different file
/// from the one on disk.
pub fn tolerance(claimed: usize) -> usize {
    (claimed / 20).max(2)
}

/// A path as written in the log, and where.
struct Written {
    path: String,
    range: TextRange,
}

/// The path at the start of `text` (which starts at byte `offset` of the
/// log): a word, or text in backticks or quotes. Returns the path and the
/// length of `text` it used.
fn written_path(text: &str, offset: usize) -> Option<(Written, usize)> {
    let lead = text.len() - text.trim_start().len();
    let s = &text[lead..];
    let first = s.chars().next()?;
    let quoted = matches!(first, '`' | '"' | '\'');
    let close = if quoted {
        s[1..].find(first).map(|i| i + 1)
    } else {
        None
    };
    let (inner, range, used) = if let Some(close) = close {
        (&s[1..close], lead..lead + close + 1, lead + close + 1)
    } else {
        // A quote that never closes is a typo: the word after it is still
        // the path.
        let open = if quoted { first.len_utf8() } else { 0 };
        let end = s.find(char::is_whitespace).unwrap_or(s.len());
        // `src/a.ts, src/b.ts` lists paths and `src/a.ts: 40 lines` states a
        // count; the punctuation is not part of the path.
        let word = s[..end].trim_end_matches([',', ';', ':']);
        let word = word.get(open..).unwrap_or("");
        (word, lead + open..lead + open + word.len(), lead + end)
    };
    let path = inner.trim();
    if path.is_empty() {
        return None;
    }
    Some((
        Written {
            path: path.to_owned(),
            range: TextRange::new(offset + range.start, offset + range.end),
        },
        used,
    ))
}

/// What a `#FILE_CREATED` says about the file's size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Size {
    Lines(usize),
    Binary,
    Unstated,
}

/// `(156 lines)`, `(1 line)`, `(~40 lines)` or `- 156 lines`.
static LINE_COUNT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^[\s:,\-–—]*([(\[]?\s*(?:~|about\s+|approx\.?\s+|approximately\s+)?(\d[\d,_]*)\s*(?:lines?|LOC|loc|lines\s+of\s+code)\b\s*[)\]]?)",
    )
    .expect("valid regex")
});

/// The count a `#FILE_CREATED` states, and where its digits are written,
/// inside `range` of the log: the path and the size, as a `false-claim` about
/// the count covers them. `None` when that text no longer reads as a path and
/// a count. The quick fix of [`findings::Fix::CorrectCount`] edits these digits.
pub fn count_at(log: &str, range: TextRange) -> Option<(usize, TextRange)> {
    let text = log.get(range.start..range.end)?;
    let (_, used) = written_path(text, range.start)?;
    let rest = text.get(used..)?;
    let caps = LINE_COUNT.captures(rest)?;
    let digits = caps.get(2)?;
    let n = digits
        .as_str()
        .chars()
        .filter(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .ok()?;
    let start = range.start + used + digits.start();
    Some((n, TextRange::new(start, start + digits.len())))
}

/// `(binary)`.
static BINARY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^[\s:,\-–—]*([(\[]?\s*binary\b\s*[)\]]?)").expect("valid regex")
});

/// The size stated after a path, and where it is written; `Err` when the
/// text talks about lines without a count tagls can read.
fn stated_size(rest: &str, offset: usize) -> Result<(Size, Option<TextRange>), ()> {
    let at = |m: regex::Match<'_>| TextRange::new(offset + m.start(), offset + m.end());
    if let Some(caps) = LINE_COUNT.captures(rest) {
        let digits: String = caps
            .get(2)
            .map_or("", |m| m.as_str())
            .chars()
            .filter(char::is_ascii_digit)
            .collect();
        let n = digits.parse::<usize>().map_err(|_| ())?;
        return Ok((Size::Lines(n), caps.get(1).map(at)));
    }
    if let Some(caps) = BINARY.captures(rest) {
        return Ok((Size::Binary, caps.get(1).map(at)));
    }
    if rest.to_lowercase().contains("line") {
        return Err(());
    }
    Ok((Size::Unstated, None))
}

/// `8`, `102-115`, `L8-L12`, `3..7` or `3–7`.
static LINE_RANGE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^L?(\d+)\s*(?:(?:-|–|—|\.\.)\s*L?(\d+))?$").expect("valid regex")
});

/// The 1-based, inclusive line ranges of a `Lines affected:` field, such as
/// `8, 102-115`; `None` when any part is not a range. `tagls log modified
/// --lines` takes only what this reads.
pub fn parse_ranges(s: &str) -> Option<Vec<(usize, usize)>> {
    let mut out = Vec::new();
    for item in s.split([',', ';']) {
        let item = item.trim();
        if item.is_empty() {
            continue;
        }
        let caps = LINE_RANGE.captures(item)?;
        let start: usize = caps.get(1)?.as_str().parse().ok()?;
        let end: usize = match caps.get(2) {
            Some(m) => m.as_str().parse().ok()?,
            None => start,
        };
        if start == 0 || end < start {
            return None;
        }
        out.push((start, end));
    }
    (!out.is_empty()).then_some(out)
}

fn show_range((start, end): (usize, usize)) -> String {
    if start == end {
        start.to_string()
    } else {
        format!("{start}-{end}")
    }
}

fn show_ranges(ranges: &[(usize, usize)]) -> String {
    ranges
        .iter()
        .map(|r| show_range(*r))
        .collect::<Vec<_>>()
        .join(", ")
}

/// How far, in lines, a `Lines affected` range may be from a changed line:
/// a line added above shifts the rest, and a deletion has no line of its own.
pub const HUNK_SLACK: usize = 2;

/// Items of `Changes:` that say something is gone: what they quote is not
/// looked for.
static GONE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:remov|delet|drop|renam|replac|deprecat)").expect("valid regex")
});

/// A function a field names: `login()`, `AuthService.login()`.
static CALLED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|[^\w$.])(?:[A-Za-z_$][\w$]*\.)*([A-Za-z_$][\w$]*)\(\)").expect("valid regex")
});

/// What `Changes:` quotes or names, with its byte offset: text in backticks
/// or double quotes, and functions written `name()`.
fn quoted_changes(item: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    for quote in ['`', '"'] {
        let mut from = 0;
        while let Some(open) = item[from..].find(quote).map(|i| from + i) {
            let Some(close) = item[open + 1..].find(quote).map(|i| open + 1 + i) else {
                break;
            };
            let inner = item[open + 1..close].trim();
            // Quotes inside code (`` `f("x")` ``) are part of it.
            let nested = out
                .iter()
                .any(|&(at, q): &(usize, &str)| at <= open && close <= at + q.len());
            if !inner.is_empty() && inner.len() <= 200 && !nested {
                let at = open
                    + 1
                    + (item[open + 1..close].len() - item[open + 1..close].trim_start().len());
                out.push((at, inner));
            }
            from = close + 1;
        }
    }
    for caps in CALLED.captures_iter(item) {
        if let Some(m) = caps.get(1)
            && !out
                .iter()
                .any(|&(at, q)| at <= m.start() && m.end() <= at + q.len())
        {
            out.push((m.start(), m.as_str()));
        }
    }
    out.sort_unstable();
    out
}

/// The names in a `Methods:` field, with their byte offsets: `login(),
/// register(email, password)`, `AuthService.login()`. When the field
/// writes calls, only the called names count (not their parameters); a
/// plain list (`login, register`) counts every word but linking prose.
fn method_names(value: &str) -> Vec<(usize, &str)> {
    static NAME: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?:[A-Za-z_$][\w$]*\.)*([A-Za-z_$][\w$]*)(\s*\()?").expect("valid regex")
    });
    const PROSE: [&str; 8] = [
        "and", "or", "the", "with", "plus", "async", "static", "methods",
    ];
    let calls = value.contains('(');
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut last = 0;
    for caps in NAME.captures_iter(value) {
        let whole = caps.get(0).expect("a match");
        for c in value[last..whole.start()].chars() {
            match c {
                '(' => depth += 1,
                ')' => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
        last = whole.end();
        let opens = caps.get(2).is_some();
        let at_top = depth == 0;
        if opens {
            depth += 1;
        }
        let Some(name) = caps.get(1) else { continue };
        if at_top && (opens || (!calls && !PROSE.contains(&name.as_str()))) {
            out.push((name.start(), name.as_str()));
        }
    }
    out
}

/// How an `unverifiable` message starts when the recipe is a check that
/// needs the system running (`Runtime test required`): the report lists
/// those as runtime-only, the rest as manual.
pub const RUNTIME_ONLY: &str = "needs a running system";

/// Commands a recipe may start with; a recipe that starts with another
/// word and reads as prose is a check for a person.
const COMMANDS: &[&str] = &[
    "ls",
    "test",
    "[",
    "wc",
    "grep",
    "egrep",
    "fgrep",
    "rg",
    "file",
    "find",
    "sed",
    "head",
    "tail",
    "cat",
    "git",
    "stat",
    "du",
    "diff",
    "jq",
    "npm",
    "npx",
    "yarn",
    "pnpm",
    "node",
    "python",
    "python3",
    "pytest",
    "go",
    "cargo",
    "make",
    "curl",
    "docker",
    "bash",
    "sh",
    "tsc",
    "eslint",
    "swift",
    "xcodebuild",
];

/// What a recipe written as prose (`Runtime test required`, `Manual check
/// of the login page`) asks of a person; `None` for a command.
fn prose_recipe(recipe: &str) -> Option<String> {
    static RUNTIME: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)\b(?:runtime|running|browser|e2e|end[- ]to[- ]end|deploy\w*|staging|integration tests?|live)\b")
            .expect("valid regex")
    });
    let first = recipe.split_whitespace().next()?;
    if COMMANDS.contains(&first) || first.contains('/') || !recipe.contains(' ') {
        return None;
    }
    let prose = first.chars().next().is_some_and(char::is_uppercase)
        || RUNTIME.is_match(recipe)
        || recipe.to_lowercase().starts_with("manual");
    if !prose {
        return None;
    }
    Some(if RUNTIME.is_match(recipe) {
        format!(
            "{RUNTIME_ONLY} (\"{}\"); check it when it runs",
            shorten(recipe)
        )
    } else {
        format!(
            "a check for a person (\"{}\"); do it by hand and record the result",
            shorten(recipe)
        )
    })
}

fn shorten(s: &str) -> String {
    let mut out: String = s.chars().take(80).collect();
    if out.len() < s.len() {
        out.push('…');
    }
    out
}

/// Whether `word` is in `text` as a whole word.
fn contains_word(text: &str, word: &str) -> bool {
    let is_word = |c: char| c.is_alphanumeric() || c == '_' || c == '$';
    text.match_indices(word).any(|(i, _)| {
        !text[..i].chars().next_back().is_some_and(is_word)
            && !text[i + word.len()..].chars().next().is_some_and(is_word)
    })
}

struct Checker<'a> {
    ws: &'a mut Workspace,
    text: &'a str,
    root: PathBuf,
    log_dir: PathBuf,
    git: Option<&'a GitState>,
    /// The entry being checked ([`Check::entry`]).
    entry: Option<usize>,
    out: Vec<Check>,
}

impl Checker<'_> {
    /// Adds a check. Its hover and its message may quote the log or a
    /// file, so both are redacted here, whichever check made them.
    fn push(&mut self, range: TextRange, finding: Option<Finding>, hover: String) {
        let finding = finding.map(|f| Finding {
            message: redact_string(f.message),
            ..f
        });
        self.out.push(Check {
            range,
            entry: self.entry,
            runs: None,
            finding,
            hover: redact_string(hover),
        });
    }

    fn finding(
        entry: &Entry,
        range: TextRange,
        severity: Severity,
        code: Code,
        message: String,
    ) -> Option<Finding> {
        Some(Finding {
            range,
            severity,
            code,
            tag: entry.tag.name.clone(),
            message,
            fix: None,
        })
    }

    /// A path of a claim: relative to the root, or to the log's folder when
    /// it starts with `./` or `../`.
    fn claim_path(&self, written: &str) -> PathBuf {
        claim_target(&self.root, &self.log_dir, written)
    }

    fn stat(&mut self, path: &Path) -> Stat {
        files::stat(self.ws, path)
    }

    fn read(&mut self, path: &Path) -> Result<Body, Result<Stat, String>> {
        files::read(self.ws, path)
    }

    /// Stats and reads the file a claim names; on failure pushes the check
    /// that says why and returns `None`.
    /// The claimed file's bytes. A file too large to read gets a hover that
    /// says it exists and what was not checked (`unchecked`), and `None`.
    fn claimed_bytes(
        &mut self,
        entry: &Entry,
        written: &Written,
        range: TextRange,
        head: &str,
        unchecked: &str,
    ) -> Option<Vec<u8>> {
        match self.claimed_file(entry, written, range)? {
            Body::Bytes(b) => Some(b),
            Body::TooLarge => {
                let hover = format!("{head}: exists; larger than 10 MiB, so its {unchecked}");
                self.push(range, None, hover);
                None
            }
        }
    }

    fn claimed_file(&mut self, entry: &Entry, written: &Written, range: TextRange) -> Option<Body> {
        let path = self.claim_path(&written.path);
        let shown = &written.path;
        let stat = self.stat(&path);
        let failure = if stat == Stat::File {
            match self.read(&path) {
                Ok(body) => return Some(body),
                Err(Ok(stat)) => stat,
                Err(Err(e)) => {
                    let message = format!("{shown} cannot be read: {e}");
                    let hover = format!("**#{}** `{shown}`: {message}", entry.tag.name);
                    let finding =
                        Self::finding(entry, range, Severity::Warning, UNVERIFIABLE, message);
                    self.push(range, finding, hover);
                    return None;
                }
            }
        } else {
            stat
        };
        let code = if failure == Stat::Outside {
            Code::OutsideWorkspace
        } else {
            FALSE_CLAIM
        };
        let message = failure.problem(shown);
        let hover = format!("**#{}** `{shown}`: **{message}**", entry.tag.name);
        let finding = Self::finding(entry, range, Severity::Error, code, message);
        self.push(range, finding, hover);
        None
    }

    fn no_path(&mut self, entry: &Entry, form: &str) {
        let range = entry.tag.head_range();
        let message = format!(
            "#{} names no file: write #{}: {form}",
            entry.tag.name, entry.tag.name
        );
        let hover = format!("**#{}**: {message}", entry.tag.name);
        let finding = Self::finding(entry, range, Severity::Warning, BAD_FIELD, message);
        self.push(range, finding, hover);
    }

    /// `#FILE_CREATED: <path> (<N> lines)`: the file exists, with about
    /// that many lines.
    fn file_created(&mut self, entry: &Entry) {
        let tag = &entry.tag;
        let Some((written, used)) = written_path(&tag.payload, tag.payload_range.start) else {
            self.no_path(entry, "<path> (<N> lines)");
            return;
        };
        let rest = tag.payload.get(used..).unwrap_or("");
        let rest_offset = tag.payload_range.start + used;
        let (size, size_range) = match stated_size(rest, rest_offset) {
            Ok(s) => s,
            Err(()) => {
                let range = TextRange::new(rest_offset, tag.payload_range.end);
                let message = format!(
                    "cannot read the line count in \"{}\": write it as (<N> lines)",
                    rest.trim()
                );
                let hover = format!("**#{}**: {message}", tag.name);
                let finding = Self::finding(entry, range, Severity::Warning, BAD_FIELD, message);
                self.push(range, finding, hover);
                (Size::Unstated, None)
            }
        };
        let range = size_range.map_or(written.range, |r| written.range.cover(r));
        let shown = &written.path;
        let head = format!("**#{}** `{shown}`", tag.name);
        let Some(bytes) =
            self.claimed_bytes(entry, &written, range, &head, "lines are not counted")
        else {
            return;
        };
        let actual = count_lines(&bytes);
        let (finding, hover) = match size {
            Size::Lines(claimed) => {
                let gap = actual.abs_diff(claimed);
                if gap == 0 {
                    (
                        None,
                        format!("{head}: exists, {}", plural(actual, "line", "lines")),
                    )
                } else if gap <= tolerance(claimed) {
                    (
                        None,
                        format!(
                            "{head}: exists, {}; the log says {claimed}, within the tolerance of {}",
                            plural(actual, "line", "lines"),
                            tolerance(claimed)
                        ),
                    )
                } else {
                    let message = format!(
                        "{shown} has {}, not {claimed}",
                        plural(actual, "line", "lines")
                    );
                    let fix = findings::Fix::CorrectCount {
                        claimed,
                        lines: actual,
                    };
                    (
                        Self::finding(entry, range, Severity::Error, FALSE_CLAIM, message.clone())
                            .map(|f| Finding {
                                fix: Some(fix),
                                ..f
                            }),
                        format!(
                            "{head}: **{message}** (a gap of up to {} is tolerated)",
                            tolerance(claimed)
                        ),
                    )
                }
            }
            Size::Binary => (
                None,
                format!(
                    "{head}: exists, binary, {}",
                    plural(bytes.len(), "byte", "bytes")
                ),
            ),
            Size::Unstated => (
                None,
                format!("{head}: exists, {}", plural(actual, "line", "lines")),
            ),
        };
        self.push(range, finding, hover);
        self.against_git(entry, &written, true);
        self.methods(entry, shown, &bytes);
    }

    /// `#FILE_MODIFIED: <path>` with `Lines affected: 8, 102-115`: the file
    /// exists and every range fits inside it.
    fn file_modified(&mut self, entry: &Entry) {
        let tag = &entry.tag;
        let Some((written, _)) = written_path(&tag.payload, tag.payload_range.start) else {
            self.no_path(entry, "<path>");
            return;
        };
        let Some(body) = self.claimed_file(entry, &written, written.range) else {
            return;
        };
        let shown = &written.path;
        let head = format!("**#{}** `{shown}`", tag.name);
        let lines = match &body {
            Body::Bytes(b) => Some(count_lines(b)),
            Body::TooLarge => None,
        };
        let hover = match lines {
            Some(n) => format!("{head}: exists, {}", plural(n, "line", "lines")),
            None => format!("{head}: exists; larger than 10 MiB, so its lines are not counted"),
        };
        self.push(written.range, None, hover);
        let status = self.against_git(entry, &written, false);
        if let Body::Bytes(bytes) = &body {
            self.changes(entry, shown, bytes);
        }

        let Some(field) = entry.field("Lines affected") else {
            return;
        };
        let value = field_value(field);
        let start = field_value_offset(field);
        let range = if value.is_empty() {
            field.range
        } else {
            TextRange::new(start, start + value.len())
        };
        let Some(ranges) = parse_ranges(value) else {
            let message = format!(
                "cannot read the line ranges in \"{}\": write them as 8, 102-115",
                field.text
            );
            let hover = format!("**Lines affected** of `{shown}`: {message}");
            let finding = Self::finding(entry, range, Severity::Warning, BAD_FIELD, message);
            self.push(range, finding, hover);
            return;
        };
        let Some(n) = lines else {
            let hover = format!(
                "**Lines affected** of `{shown}`: not checked; the file is larger than 10 MiB"
            );
            self.push(range, None, hover);
            return;
        };
        let past: Vec<(usize, usize)> = ranges.iter().copied().filter(|r| r.1 > n).collect();
        if past.is_empty() {
            let hunks = match (status, self.git) {
                (Some(GitStatus::Modified), Some(git)) => self
                    .rel(&self.claim_path(shown))
                    .and_then(|rel| git.hunks.get(&rel)),
                _ => None,
            };
            if let (Some(hunks), Some(git)) = (hunks, self.git) {
                self.affected_in_git(entry, range, shown, &ranges, hunks, git);
                return;
            }
            let hover = format!(
                "**Lines affected** of `{shown}`: {} all inside its {}",
                show_ranges(&ranges),
                plural(n, "line", "lines")
            );
            self.push(range, None, hover);
            return;
        }
        let which = match past.as_slice() {
            [(a, b)] if a == b => format!("line {a} is"),
            _ => format!("lines {} are", show_ranges(&past)),
        };
        let message = format!(
            "{shown} has {}; {which} past its end",
            plural(n, "line", "lines")
        );
        let hover = format!("**Lines affected** of `{shown}`: **{message}**");
        let finding = Self::finding(entry, range, Severity::Error, FALSE_CLAIM, message);
        self.push(range, finding, hover);
    }

    /// The claimed file relative to the root, as git names it.
    fn rel(&self, path: &Path) -> Option<String> {
        let rel = path.strip_prefix(&self.root).ok()?;
        Some(rel.to_string_lossy().replace('\\', "/"))
    }

    /// A created file is new to git, a modified one changed: what git says
    /// of a claim's file, checked. Returns the file's status, `None` when
    /// git is not asked (no work tree, work already committed without a
    /// base).
    fn against_git(
        &mut self,
        entry: &Entry,
        written: &Written,
        created: bool,
    ) -> Option<GitStatus> {
        let git = self.git?;
        let rel = self.rel(&self.claim_path(&written.path))?;
        let status = git.status(&rel);
        let shown = &written.path;
        let base = git.base_name();
        let head = format!("**#{}** `{shown}`", entry.tag.name);
        let problem = match (created, status) {
            (true, GitStatus::Unchanged | GitStatus::Modified) => Some(format!(
                "{shown} is not new: {base} already has it; log it as #FILE_MODIFIED"
            )),
            (false, GitStatus::Unchanged) => {
                Some(format!("git shows no change to {shown} against {base}"))
            }
            _ => None,
        };
        let range = written.range;
        match problem {
            Some(message) => {
                let hover = format!("{head}: **{message}**");
                let finding = Self::finding(entry, range, Severity::Error, FALSE_CLAIM, message);
                self.push(range, finding, hover);
            }
            None => {
                let said = match status {
                    GitStatus::New => git.how_new(&rel),
                    GitStatus::Modified => format!("changed against {base}"),
                    GitStatus::Unchanged => format!("unchanged against {base}"),
                    GitStatus::Untracked => {
                        "not tracked by git (ignored), so not checked against git".to_owned()
                    }
                };
                self.push(range, None, format!("{head}: git: {said}"));
            }
        }
        Some(status)
    }

    /// `Lines affected` of a modified file: each range touches a line git
    /// shows changed (or is at most [`HUNK_SLACK`] lines from one).
    fn affected_in_git(
        &mut self,
        entry: &Entry,
        range: TextRange,
        shown: &str,
        ranges: &[(usize, usize)],
        hunks: &[(usize, usize)],
        git: &GitState,
    ) {
        let near = |(a, b): (usize, usize)| {
            hunks
                .iter()
                .any(|&(c, d)| a <= d + HUNK_SLACK && c <= b + HUNK_SLACK)
        };
        let unchanged: Vec<(usize, usize)> = ranges.iter().copied().filter(|r| !near(*r)).collect();
        let changed = show_ranges(&hunks[..hunks.len().min(8)]);
        let more = if hunks.len() > 8 { ", ..." } else { "" };
        if unchanged.is_empty() {
            let hover = format!(
                "**Lines affected** of `{shown}`: {} match what git shows changed against {} ({changed}{more})",
                show_ranges(ranges),
                git.base_name()
            );
            self.push(range, None, hover);
            return;
        }
        let which = match unchanged.as_slice() {
            [(a, b)] if a == b => format!("line {a} is"),
            _ => format!("lines {} are", show_ranges(&unchanged)),
        };
        let message = format!(
            "{which} unchanged in {shown} against {}; git shows lines {changed}{more} changed",
            git.base_name()
        );
        let hover = format!("**Lines affected** of `{shown}`: **{message}**");
        let finding = Self::finding(entry, range, Severity::Error, FALSE_CLAIM, message);
        self.push(range, finding, hover);
    }

    /// `Methods: login(), register()` of a created file: each is defined in
    /// it (by its syntax tree, for the languages tagls parses; as a word
    /// elsewhere).
    fn methods(&mut self, entry: &Entry, shown: &str, bytes: &[u8]) {
        let Some(field) = entry.field("Methods") else {
            return;
        };
        let value = field_value(field);
        let offset = field_value_offset(field);
        let text = String::from_utf8_lossy(bytes);
        let lang = crate::syntax::Language::detect(None, shown)
            .filter(|&l| crate::syntax::defs::covers(l));
        let defined = lang.map(|l| crate::syntax::defs::definitions(l, &text));
        for (at, name) in method_names(value) {
            let range = TextRange::new(offset + at, offset + at + name.len());
            let found = match &defined {
                Some(defs) => defs.iter().any(|d| d == name),
                None => contains_word(&text, name),
            };
            let how = if defined.is_some() { "defines" } else { "has" };
            if found {
                self.push(
                    range,
                    None,
                    format!("**Methods** `{name}`: {shown} {how} it"),
                );
                continue;
            }
            let message = match &defined {
                Some(defs) if !defs.is_empty() => {
                    let mut names: Vec<&str> = defs.iter().map(String::as_str).collect();
                    names.dedup();
                    names.truncate(10);
                    format!("{shown} defines no {name}; it defines {}", names.join(", "))
                }
                Some(_) => format!("{shown} defines no {name}; it defines no function"),
                None => format!("{shown} has no {name}"),
            };
            let hover = format!("**Methods** `{name}`: **{message}**");
            let finding = Self::finding(entry, range, Severity::Error, FALSE_CLAIM, message);
            self.push(range, finding, hover);
        }
    }

    /// `Changes:` of a modified file (one line, or `- Line 12: ...` items
    /// under it): what it quotes (`` `passwordHash` ``, `"x"`) and the
    /// functions it names (`validate()`) are in the file. Items that say
    /// something was removed, renamed or replaced are not looked for.
    fn changes(&mut self, entry: &Entry, shown: &str, bytes: &[u8]) {
        let lines = &entry.tag.continuation;
        let Some(start) = lines.iter().position(|l| {
            super::parse::line_key(l).is_some_and(|k| k.eq_ignore_ascii_case("changes"))
        }) else {
            return;
        };
        let text = String::from_utf8_lossy(bytes);
        let mut items = vec![(
            field_value(&lines[start]),
            field_value_offset(&lines[start]),
        )];
        items.extend(
            lines[start + 1..]
                .iter()
                .take_while(|l| l.text.trim_start().starts_with(['-', '*']))
                .map(|l| (l.text.as_str(), l.range.start)),
        );
        for (item, offset) in items {
            if GONE.is_match(item) {
                continue;
            }
            for (at, needle) in quoted_changes(item) {
                let range = TextRange::new(offset + at, offset + at + needle.len());
                if text.contains(needle) {
                    self.push(range, None, format!("**Changes** `{needle}`: in {shown}"));
                    continue;
                }
                let message = format!("{shown} has no {needle}, which its Changes name");
                let hover = format!("**Changes** `{needle}`: **{message}**");
                let finding = Self::finding(entry, range, Severity::Error, FALSE_CLAIM, message);
                self.push(range, finding, hover);
            }
        }
    }

    /// `#VERIFIED` in the log: what it names exists. A verification of a
    /// file that is not there is a false claim.
    fn verified(&mut self, entry: &Entry, log_path: &Path) {
        let tag = &entry.tag;
        for r in self.references(entry, log_path) {
            let finding = findings::for_references(std::slice::from_ref(&r), false)
                .into_iter()
                .next()
                .map(|f| {
                    let (code, severity) = if f.code == Code::OutsideWorkspace {
                        (f.code, f.severity)
                    } else {
                        (FALSE_CLAIM, Severity::Error)
                    };
                    Finding {
                        code,
                        severity,
                        tag: tag.name.clone(),
                        message: format!("#VERIFIED names what is not there: {}", f.message),
                        ..f
                    }
                });
            self.push(r.reference.range, finding, findings::explain_reference(&r));
        }
    }

    /// `#SCREENSHOT_CLAIMED: <path>`: a real PNG, JPEG, GIF, WebP or BMP, by its
    /// bytes, whatever its name says.
    fn screenshot(&mut self, entry: &Entry) {
        let tag = &entry.tag;
        let Some((written, _)) = written_path(&tag.payload, tag.payload_range.start) else {
            self.no_path(entry, "<path>");
            return;
        };
        let range = written.range;
        if written.path == SCREENSHOT_WAIVER {
            let hover = format!(
                "**#{}**: waived (`{SCREENSHOT_WAIVER}`): a security policy prevented the capture, which the method accepts",
                tag.name
            );
            self.push(range, None, hover);
            return;
        }
        let shown = &written.path;
        let head = format!("**#{}** `{shown}`", tag.name);
        // A file too large to read is not taken for an image: what cannot
        // be checked is said.
        let bytes = match self.claimed_file(entry, &written, range) {
            None => return,
            Some(Body::Bytes(b)) => b,
            Some(Body::TooLarge) => {
                let message = format!(
                    "{shown} cannot be verified: it is larger than 10 MiB, so its format is not checked"
                );
                let hover = format!("{head}: **{message}**");
                let finding = Self::finding(entry, range, Severity::Warning, UNVERIFIABLE, message);
                self.push(range, finding, hover);
                return;
            }
        };
        let problem = files::image(&bytes)
            .map(|i| format!("{}, {}×{}", i.format, i.width, i.height))
            .map_err(|e| e.to_string());
        match problem {
            Ok(what) => self.push(range, None, format!("{head}: {what}")),
            Err(why) => {
                let message = format!("{shown} is not an image: {why}");
                let hover = format!("{head}: **{message}**");
                let finding = Self::finding(entry, range, Severity::Error, FALSE_CLAIM, message);
                self.push(range, finding, hover);
            }
        }
    }

    /// A `Verification:` line: every command in it is evaluated; the first
    /// failure, else the first command tagls cannot evaluate, is reported.
    fn verification(&mut self, entry: &Entry, line: &ContinuationLine) {
        let value = field_value(line);
        let offset = field_value_offset(line);
        // The recipe is often written as inline code.
        let (recipe, offset) = match value.strip_prefix('`').and_then(|v| v.strip_suffix('`')) {
            Some(inner) if !inner.contains('`') => (
                inner.trim(),
                offset + 1 + (inner.len() - inner.trim_start().len()),
            ),
            _ => (value, offset),
        };
        if recipe.is_empty() {
            return;
        }
        let range = TextRange::new(offset, offset + recipe.len());
        // A log parsed from another version of the text would put the
        // finding on the wrong bytes: better no check than a misplaced one.
        if self.text.get(range.start..range.end) != Some(recipe) {
            return;
        }
        if let Some(message) = prose_recipe(recipe) {
            let hover = format!("**Verification** {recipe}: {message}");
            let run = recipe::CommandRun {
                command: redact_string(recipe.to_owned()),
                status: recipe::RunStatus::NotEvaluated,
                output: redact_string(message.clone()),
            };
            let finding = Self::finding(entry, range, Severity::Information, UNVERIFIABLE, message);
            self.push(range, finding, hover);
            self.ran(vec![run]);
            return;
        }
        let evaluation = recipe::evaluate(recipe, &self.root, self.ws);
        let finding = match (evaluation.failed, evaluation.unverifiable) {
            (Some(m), _) => Self::finding(entry, range, Severity::Error, VERIFICATION_FAILED, m),
            (None, Some(m)) => Self::finding(entry, range, Severity::Information, UNVERIFIABLE, m),
            (None, None) => None,
        };
        self.push(range, finding, evaluation.hover);
        self.ran(evaluation.commands);
    }

    /// Records on the last check pushed, a recipe's, what its commands did.
    fn ran(&mut self, runs: Vec<recipe::CommandRun>) {
        if let Some(c) = self.out.last_mut() {
            c.runs = Some(runs);
        }
    }

    /// What an entry's payload names, resolved as references in code are,
    /// with the aliases of the log's root.
    fn references(&mut self, entry: &Entry, log_path: &Path) -> Vec<resolve::Resolved> {
        let aliases = self
            .ws
            .root_for(log_path)
            .map(|r| r.aliases.clone())
            .unwrap_or_default();
        let is_alias = |w: &str| aliases.matches(w);
        let tag = &entry.tag;
        let found = refs::find(&tag.payload, tag.payload_range.start, None, &is_alias);
        resolve::resolve_all(self.ws, log_path, None, found)
    }

    /// References in an assumption written in the log resolve as they do
    /// in code.
    fn assumption(&mut self, entry: &Entry, log_path: &Path) {
        let tag = &entry.tag;
        for r in self.references(entry, log_path) {
            let finding = findings::for_references(std::slice::from_ref(&r), false)
                .into_iter()
                .next()
                .map(|mut f| {
                    f.tag = tag.name.clone();
                    f
                });
            self.push(r.reference.range, finding, findings::explain_reference(&r));
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::log::parse;
    use crate::tags::Registry;
    use crate::workspace::fs::FakeFs;
    use crate::workspace::index::FileIndex;

    use crate::log::testing::{PNG_1X1, bmp_1x1, workspace};

    /// The start of a PNG that says it is 1280×720: what the format check
    /// reads.
    fn png_header(width: u32, height: u32) -> Vec<u8> {
        let mut b = PNG_1X1[..16].to_vec();
        b.extend_from_slice(&width.to_be_bytes());
        b.extend_from_slice(&height.to_be_bytes());
        b.extend_from_slice(&PNG_1X1[24..]);
        b
    }

    const LOG: &str = "/ws/.orchestration/implementation-log.md";

    fn run_on(ws: &mut Workspace, log: &str) -> Vec<Check> {
        let doc = parse(log, &Registry::builtin());
        check(&doc, log, Path::new(LOG), ws, None)
    }

    fn run(fs: FakeFs, log: &str) -> Vec<Check> {
        run_on(&mut workspace(fs, false), log)
    }

    /// The findings as (1-based line, code, message).
    fn findings(checks: &[Check], log: &str) -> Vec<(usize, Code, String)> {
        checks
            .iter()
            .filter_map(|c| c.finding.as_ref())
            .map(|f| (line_of(log, f.range.start), f.code, f.message.clone()))
            .collect()
    }

    fn line_of(text: &str, offset: usize) -> usize {
        text[..offset].matches('\n').count() + 1
    }

    fn hover_at<'a>(checks: &'a [Check], log: &str, needle: &str) -> &'a str {
        let at = log
            .find(needle)
            .unwrap_or_else(|| panic!("{needle} not in log"));
        checks
            .iter()
            .find(|c| c.range.contains_inclusive(at))
            .map(|c| c.hover.as_str())
            .unwrap_or_else(|| panic!("no check at {needle}"))
    }

    fn lines(n: usize) -> String {
        (1..=n).map(|i| format!("line {i}\n")).collect()
    }

    #[test]
    fn created_files_exist_with_about_their_line_count() {
        let fs = FakeFs::new();
        fs.file("/ws/src/exact.ts", lines(156))
            .file("/ws/src/close.ts", lines(150))
            .file("/ws/src/short.ts", lines(40))
            .file("/ws/src/one.ts", "x")
            .file("/ws/logo.bin", [0u8, 1, 2])
            .file("/ws/.orchestration/notes.md", "a\n")
            .dir("/ws/src/dir");
        let log = "\
## Files Created
#FILE_CREATED: src/exact.ts (156 lines)
#FILE_CREATED: `src/close.ts` (156 lines)
#FILE_CREATED: src/short.ts (156 lines)
#FILE_CREATED: src/one.ts (1 line)
#FILE_CREATED: src/missing.ts (10 lines)
#FILE_CREATED: logo.bin (binary)
#FILE_CREATED: ./notes.md
#FILE_CREATED: src/dir
#FILE_CREATED: ../../etc/passwd (1 line)
#FILE_CREATED: src/exact.ts (many lines)
#FILE_CREATED:
";
        let checks = run(fs, log);
        assert_eq!(
            findings(&checks, log),
            [
                (4, FALSE_CLAIM, "src/short.ts has 40 lines, not 156".into()),
                (6, FALSE_CLAIM, "src/missing.ts does not exist".into()),
                (9, FALSE_CLAIM, "src/dir is a directory, not a file".into()),
                (
                    10,
                    Code::OutsideWorkspace,
                    "../../etc/passwd is outside the workspace; not checked".into()
                ),
                (
                    11,
                    BAD_FIELD,
                    "cannot read the line count in \"(many lines)\": write it as (<N> lines)"
                        .into()
                ),
                (
                    12,
                    BAD_FIELD,
                    "#FILE_CREATED names no file: write #FILE_CREATED: <path> (<N> lines)".into()
                ),
            ]
        );
        let f = checks
            .iter()
            .find_map(|c| c.finding.as_ref())
            .map(|f| f.severity);
        assert_eq!(f, Some(Severity::Error));
        assert_eq!(
            hover_at(&checks, log, "src/exact.ts (156"),
            "**#FILE_CREATED** `src/exact.ts`: exists, 156 lines"
        );
        assert_eq!(
            hover_at(&checks, log, "src/close.ts"),
            "**#FILE_CREATED** `src/close.ts`: exists, 150 lines; the log says 156, within the tolerance of 7"
        );
        assert_eq!(
            hover_at(&checks, log, "src/one.ts"),
            "**#FILE_CREATED** `src/one.ts`: exists, 1 line"
        );
        assert_eq!(
            hover_at(&checks, log, "logo.bin"),
            "**#FILE_CREATED** `logo.bin`: exists, binary, 3 bytes"
        );
        assert_eq!(
            hover_at(&checks, log, "./notes.md"),
            "**#FILE_CREATED** `./notes.md`: exists, 1 line"
        );
        // The finding covers the path and the count.
        let short = checks
            .iter()
            .find_map(|c| c.finding.as_ref().filter(|f| f.message.contains("short")))
            .map(|f| &log[f.range.start..f.range.end]);
        assert_eq!(short, Some("src/short.ts (156 lines)"));
        // Its fix writes the file's count over the digits of the claim's.
        let finding = checks
            .iter()
            .find_map(|c| c.finding.as_ref().filter(|f| f.message.contains("short")))
            .unwrap();
        assert_eq!(
            finding.fix,
            Some(findings::Fix::CorrectCount {
                claimed: 156,
                lines: 40
            })
        );
        let (n, digits) = count_at(log, finding.range).unwrap();
        assert_eq!((n, &log[digits.start..digits.end]), (156, "156"));
    }

    #[test]
    fn count_at_reads_every_count_form() {
        for (text, digits) in [
            ("src/a.ts (1,560 lines)", "1,560"),
            ("`src/my file.ts` (~40 LOC)", "40"),
            ("src/a.ts: 12 lines of code", "12"),
        ] {
            let log = format!("#FILE_CREATED: {text}\n");
            let range = TextRange::new(15, 15 + text.len());
            let (_, at) = count_at(&log, range).unwrap_or_else(|| panic!("{text}"));
            assert_eq!(&log[at.start..at.end], digits, "{text}");
        }
        // A range that no longer holds a count, or is not in the text.
        assert_eq!(
            count_at("#FILE_CREATED: src/a.ts\n", TextRange::new(15, 23)),
            None
        );
        assert_eq!(count_at("short", TextRange::new(2, 40)), None);
    }

    #[test]
    fn tolerance_and_line_counting() {
        assert_eq!(tolerance(1), 2);
        assert_eq!(tolerance(40), 2);
        assert_eq!(tolerance(156), 7);
        assert_eq!(tolerance(1000), 50);
        assert_eq!(count_lines(b""), 0);
        assert_eq!(count_lines(b"a"), 1);
        assert_eq!(count_lines(b"a\n"), 1);
        assert_eq!(count_lines(b"a\nb"), 2);
        assert_eq!(count_lines(b"a\r\nb\r\n"), 2);
    }

    #[test]
    fn large_files_are_not_counted() {
        let fs = FakeFs::new();
        fs.file("/ws/big.log", vec![b'\n'; MAX_FILE as usize + 1]);
        let log = "#FILE_CREATED: big.log (3 lines)\n";
        let checks = run(fs, log);
        assert_eq!(findings(&checks, log), []);
        assert_eq!(
            hover_at(&checks, log, "big.log"),
            "**#FILE_CREATED** `big.log`: exists; larger than 10 MiB, so its lines are not counted"
        );
    }

    #[test]
    fn modified_ranges_fit_inside_the_file() {
        let fs = FakeFs::new();
        fs.file("/ws/src/x.ts", lines(90))
            .file("/ws/src/y.ts", lines(120));
        let log = "\
#FILE_MODIFIED: src/y.ts
  Lines affected: 8, 102-115
#FILE_MODIFIED: src/x.ts
  Lines affected: 8, 102-115
#FILE_MODIFIED: src/x.ts
  Lines: 91
#FILE_MODIFIED: src/x.ts
  Lines: 3, 85-95, 100
#FILE_MODIFIED: src/x.ts
  Lines affected: the login handler
#FILE_MODIFIED: src/x.ts
  Lines affected: 10-2
#FILE_MODIFIED: src/gone.ts
  Lines affected: 1
#FILE_MODIFIED: src/x.ts
";
        let checks = run(fs, log);
        assert_eq!(
            findings(&checks, log),
            [
                (
                    4,
                    FALSE_CLAIM,
                    "src/x.ts has 90 lines; lines 102-115 are past its end".into()
                ),
                (6, FALSE_CLAIM, "src/x.ts has 90 lines; line 91 is past its end".into()),
                (
                    8,
                    FALSE_CLAIM,
                    "src/x.ts has 90 lines; lines 85-95, 100 are past its end".into()
                ),
                (
                    10,
                    BAD_FIELD,
                    "cannot read the line ranges in \"Lines affected: the login handler\": write them as 8, 102-115".into()
                ),
                (
                    12,
                    BAD_FIELD,
                    "cannot read the line ranges in \"Lines affected: 10-2\": write them as 8, 102-115".into()
                ),
                (13, FALSE_CLAIM, "src/gone.ts does not exist".into()),
            ]
        );
        assert_eq!(
            hover_at(&checks, log, "8, 102-115"),
            "**Lines affected** of `src/y.ts`: 8, 102-115 all inside its 120 lines"
        );
        let bad = checks
            .iter()
            .find_map(|c| c.finding.as_ref().filter(|f| f.code == BAD_FIELD))
            .map(|f| (f.severity, &log[f.range.start..f.range.end]));
        assert_eq!(bad, Some((Severity::Warning, "the login handler")));
    }

    #[test]
    fn screenshots_are_real_images() {
        let mut gif = b"GIF89a".to_vec();
        gif.extend_from_slice(&[0x40, 0x01, 0xf0, 0x00, 0, 0, 0, 0, 0, 0]);
        let fs = FakeFs::new();
        fs.file("/ws/ev/login.png", png_header(1280, 720))
            .file("/ws/ev/tiny.png", PNG_1X1)
            .file("/ws/ev/anim.png", gif)
            .file("/ws/ev/empty.png", "")
            .file("/ws/ev/fake.png", "this is not an image\n")
            .file("/ws/ev/cut.png", &PNG_1X1[..14]);
        let log = "\
## Evidence Captured
#SCREENSHOT_CLAIMED: ev/login.png
  Description: POST /api/login returns 200
#SCREENSHOT_CLAIMED: ev/tiny.png
#SCREENSHOT_CLAIMED: ev/anim.png
#SCREENSHOT_CLAIMED: ev/empty.png
#SCREENSHOT_CLAIMED: ev/fake.png
#SCREENSHOT_CLAIMED: ev/cut.png
#SCREENSHOT_CLAIMED: ev/none.png
#SCREENSHOT_CLAIMED: CANNOT_CAPTURE_SECURITY_POLICY
";
        let checks = run(fs, log);
        assert_eq!(
            findings(&checks, log),
            [
                (
                    6,
                    FALSE_CLAIM,
                    "ev/empty.png is not an image: it is empty".into()
                ),
                (
                    7,
                    FALSE_CLAIM,
                    "ev/fake.png is not an image: its bytes are not PNG, JPEG, GIF, WebP or BMP"
                        .into()
                ),
                (
                    8,
                    FALSE_CLAIM,
                    "ev/cut.png is not an image: its PNG data is cut short or damaged".into()
                ),
                (9, FALSE_CLAIM, "ev/none.png does not exist".into()),
            ]
        );
        assert_eq!(
            hover_at(&checks, log, "ev/login.png"),
            "**#SCREENSHOT_CLAIMED** `ev/login.png`: PNG, 1280×720"
        );
        assert_eq!(
            hover_at(&checks, log, "ev/tiny.png"),
            "**#SCREENSHOT_CLAIMED** `ev/tiny.png`: PNG, 1×1"
        );
        // A GIF named .png is still a real image.
        assert_eq!(
            hover_at(&checks, log, "ev/anim.png"),
            "**#SCREENSHOT_CLAIMED** `ev/anim.png`: GIF, 320×240"
        );
        assert!(hover_at(&checks, log, "CANNOT_CAPTURE").contains("waived"));
    }

    #[test]
    fn verification_recipes_are_evaluated_in_process() {
        let fs = FakeFs::new();
        fs.file(
            "/ws/src/api/auth.ts",
            "import x\nconst s = process.env.JWT_SECRET\n",
        )
        .file("/ws/.env.example", "PORT=3000\nJWT_SECRET=changeme\n")
        .file("/ws/README.md", "no newline at the end")
        .dir("/ws/src/empty");
        let log = "\
#FILE_CREATED: src/api/auth.ts (2 lines)
  Verification: ls src/api/auth.ts
  Verification: `test -f src/api/auth.ts && test -d src`
  Verification: wc -l README.md
  Verification: grep \"JWT_SECRET\" .env.example
  Verification: grep -n 'JWT_SECRET' src/api/auth.ts
  Verification: grep -rn \"process.env\" src
  Verification: ls src/api/missing.ts
  Verification: test -d src/api/auth.ts
  Verification: grep \"REDIS_URL\" .env.example
  Verification: grep -r \"nothing here\" src
  Verification: grep x src
  Verification: ls /etc/passwd
  Verification: wc -l ../outside.txt
  Verification: npm test
  Verification: ls src | wc -l
  Verification: grep -E \"a+b\" README.md
  Verification: grep \"^PORT=\" .env.example
  Verification: ls -la src/ # the folder
";
        let checks = run(fs, log);
        assert_eq!(
            findings(&checks, log),
            [
                (
                    8,
                    VERIFICATION_FAILED,
                    "ls: src/api/missing.ts does not exist".into()
                ),
                (
                    9,
                    VERIFICATION_FAILED,
                    "test -d: src/api/auth.ts is not a directory; it is a file".into()
                ),
                (
                    10,
                    VERIFICATION_FAILED,
                    "grep found no \"REDIS_URL\" in .env.example".into()
                ),
                (
                    11,
                    VERIFICATION_FAILED,
                    "grep found no \"nothing here\" in src".into()
                ),
                (
                    12,
                    VERIFICATION_FAILED,
                    "grep: src is a directory; add -r to search it".into()
                ),
                (
                    13,
                    VERIFICATION_FAILED,
                    "ls: /etc/passwd is outside the workspace; not checked".into()
                ),
                (
                    14,
                    VERIFICATION_FAILED,
                    "wc: ../outside.txt is outside the workspace; not checked".into()
                ),
                (
                    15,
                    UNVERIFIABLE,
                    "tagls cannot evaluate `npm test`; check it by hand".into()
                ),
                // `ls src | wc -l` counts 2 and passes; `-E a+b` is a real
                // regular expression.
                (
                    17,
                    VERIFICATION_FAILED,
                    "grep found no \"a+b\" in README.md".into()
                ),
            ]
        );
        let severity = |line: usize| {
            checks
                .iter()
                .filter_map(|c| c.finding.as_ref())
                .find(|f| line_of(log, f.range.start) == line)
                .map(|f| f.severity)
        };
        assert_eq!(severity(8), Some(Severity::Error));
        assert_eq!(severity(15), Some(Severity::Information));
        assert_eq!(
            hover_at(&checks, log, "ls src/api/auth.ts"),
            "**Verification** `ls src/api/auth.ts`\n\n`src/api/auth.ts`: exists (file)"
        );
        assert_eq!(
            hover_at(&checks, log, "test -f"),
            "**Verification** `test -f src/api/auth.ts && test -d src`\n\n`src/api/auth.ts`: exists (file)\n\n`src`: exists (directory)"
        );
        assert_eq!(
            hover_at(&checks, log, "wc -l README.md"),
            "**Verification** `wc -l README.md`\n\n`wc -l README.md`: 0 (1 line; the last has no final newline)"
        );
        // Env files: line numbers, never values.
        let env = hover_at(&checks, log, "grep \"JWT_SECRET\"");
        assert!(env.contains("- `.env.example` line 2"), "{env}");
        assert!(!env.contains("changeme"), "{env}");
        assert!(env.contains("not shown"), "{env}");
        assert_eq!(
            hover_at(&checks, log, "grep -rn"),
            "**Verification** `grep -rn \"process.env\" src`\n\ngrep found \"process.env\" in src (1 line):\n\n- `src/api/auth.ts` line 2: `const s = process.env.JWT_SECRET`"
        );
        assert!(hover_at(&checks, log, "^PORT=").contains("`.env.example` line 1"));
        assert!(hover_at(&checks, log, "ls -la").contains("`src/`: exists (directory)"));
    }

    #[test]
    fn assumptions_in_the_log_resolve_like_code() {
        let fs = FakeFs::new();
        fs.file("/ws/src/services/user.ts", "")
            .file("/ws/.env.example", "PORT=1\n");
        let log = "\
## Assumptions
#COMPLETION_DRIVE: Assuming UserService exists at src/services/user.ts
#COMPLETION_DRIVE_INTEGRATION: Assuming src/services/auth.ts exports login
#COMPLETION_DRIVE_INTEGRATION: Assuming JWT_SECRET in environment variables
";
        let checks = run(fs, log);
        assert_eq!(
            findings(&checks, log),
            [
                (
                    3,
                    Code::MissingPath,
                    "src/services/auth.ts does not exist in the workspace".into()
                ),
                (
                    4,
                    Code::MissingEnv,
                    "environment variable JWT_SECRET: it is not in .env.example".into()
                ),
            ]
        );
        assert!(hover_at(&checks, log, "src/services/user.ts").contains("exists"));
        let tags: Vec<_> = checks
            .iter()
            .filter_map(|c| c.finding.as_ref())
            .map(|f| f.tag.as_str())
            .collect();
        assert_eq!(
            tags,
            [
                "COMPLETION_DRIVE_INTEGRATION",
                "COMPLETION_DRIVE_INTEGRATION"
            ]
        );
    }

    #[test]
    fn examples_in_code_blocks_are_not_checked() {
        let log = "\
Write claims like this:

```markdown
#FILE_CREATED: src/example.ts (156 lines)
  Verification: ls src/example.ts
```

    #SCREENSHOT_CLAIMED: shot.png

Or inline: `#FILE_MODIFIED: src/inline.ts`.
";
        assert!(run(FakeFs::new(), log).is_empty());
    }

    #[test]
    fn crlf_logs_are_checked() {
        let fs = FakeFs::new();
        fs.file("/ws/src/a.ts", "a\r\nb\r\n");
        let log = "## Files Created\r\n#FILE_CREATED: src/a.ts (9 lines)\r\n  Verification: grep -n \"b\" src/a.ts\r\n";
        let checks = run(fs, log);
        assert_eq!(
            findings(&checks, log),
            [(2, FALSE_CLAIM, "src/a.ts has 2 lines, not 9".into())]
        );
        assert!(hover_at(&checks, log, "grep -n").contains("line 2: `b`"));
    }

    #[test]
    fn a_log_outside_every_root_checks_nothing_on_disk() {
        let fs = FakeFs::new();
        fs.file("/elsewhere/src/a.ts", "a\n");
        let mut ws = Workspace::new(Arc::new(fs));
        ws.add_root(Path::new("/ws"), false);
        let log = "#FILE_CREATED: src/a.ts (1 line)\n";
        let doc = parse(log, &Registry::builtin());
        let checks = check(&doc, log, Path::new("/elsewhere/log.md"), &mut ws, None);
        assert_eq!(
            findings(&checks, log),
            [(
                1,
                Code::OutsideWorkspace,
                "src/a.ts is outside the workspace; not checked".into()
            )]
        );
    }

    #[test]
    fn claimed_paths_lists_what_the_log_says_was_done() {
        let log = "\
#FILE_CREATED: src/a.ts (3 lines)
#FILE_MODIFIED: `src/b.ts`
#SCREENSHOT_CLAIMED: ev/c.png
#SCREENSHOT_CLAIMED: CANNOT_CAPTURE_SECURITY_POLICY
#COMPLETION_DRIVE: Assuming src/d.ts
#FILE_CREATED:
";
        let doc = parse(log, &Registry::builtin());
        let got = claimed_paths(&doc);
        let got: Vec<_> = got.iter().map(|(t, p)| (t.as_str(), p.as_str())).collect();
        assert_eq!(
            got,
            [
                ("FILE_CREATED", "src/a.ts"),
                ("FILE_MODIFIED", "src/b.ts"),
                ("SCREENSHOT_CLAIMED", "ev/c.png")
            ]
        );
    }

    /// The fixture workspace on disk, read through the real file system.
    #[test]
    fn fixture_workspace_with_true_and_false_claims() {
        use crate::workspace::fs::RealFs;

        let root =
            normalize(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/log/claims"));
        let log_path = root.join(".orchestration/implementation-log.md");
        let log = std::fs::read_to_string(&log_path).expect("the fixture log is readable");
        let mut ws = Workspace::new(Arc::new(RealFs));
        ws.add_root(&root, false);
        ws.set_index(&root, FileIndex::build(&RealFs, &root));
        let doc = parse(&log, &Registry::builtin());
        let checks = check(&doc, &log, &log_path, &mut ws, None);
        assert_eq!(
            findings(&checks, &log),
            [
                (11, FALSE_CLAIM, "src/services/user.ts has 6 lines, not 40".into()),
                (13, FALSE_CLAIM, "src/api/routes.ts does not exist".into()),
                (
                    21,
                    FALSE_CLAIM,
                    "src/services/user.ts has 6 lines; lines 30-34 are past its end".into()
                ),
                (
                    23,
                    BAD_FIELD,
                    "cannot read the line ranges in \"Lines: around the login handler\": write them as 8, 102-115".into()
                ),
                (
                    29,
                    FALSE_CLAIM,
                    ".orchestration/evidence/fake.png is not an image: its bytes are not PNG, JPEG, GIF, WebP or BMP".into()
                ),
                (
                    30,
                    FALSE_CLAIM,
                    ".orchestration/evidence/empty.png is not an image: it is empty".into()
                ),
                (
                    31,
                    FALSE_CLAIM,
                    ".orchestration/evidence/missing.png does not exist".into()
                ),
                (
                    39,
                    VERIFICATION_FAILED,
                    "grep found no \"REDIS_URL\" in .env.example".into()
                ),
                (
                    40,
                    VERIFICATION_FAILED,
                    "test -d: src/api/auth.ts is not a directory; it is a file".into()
                ),
                (
                    41,
                    VERIFICATION_FAILED,
                    "ls: ../../../README.md is outside the workspace; not checked".into()
                ),
                (42, UNVERIFIABLE, "tagls cannot evaluate `npm test`; check it by hand".into()),
                (
                    47,
                    Code::MissingEnv,
                    "environment variable REDIS_URL: it is not in .env.example".into()
                ),
            ]
        );
        assert_eq!(
            hover_at(&checks, &log, "src/api/auth.ts (15"),
            "**#FILE_CREATED** `src/api/auth.ts`: exists, 15 lines"
        );
        assert_eq!(
            hover_at(&checks, &log, "wc -l src"),
            "**Verification** `wc -l src/api/auth.ts`\n\n`wc -l src/api/auth.ts`: 15"
        );
        assert_eq!(
            hover_at(&checks, &log, ".orchestration/evidence/login.png"),
            "**#SCREENSHOT_CLAIMED** `.orchestration/evidence/login.png`: PNG, 1×1"
        );
        assert_eq!(
            hover_at(&checks, &log, "./evidence/login.png"),
            "**#SCREENSHOT_CLAIMED** `./evidence/login.png`: PNG, 1×1"
        );
        assert!(hover_at(&checks, &log, "CANNOT_CAPTURE").contains("waived"));
        let secret = hover_at(&checks, &log, "grep \"JWT_SECRET\"");
        assert!(secret.contains("`.env.example` line 2"), "{secret}");
        assert!(!secret.contains("replace-me"), "{secret}");
        assert_eq!(
            hover_at(&checks, &log, "grep -rn"),
            "**Verification** `grep -rn \"UserService\" src`\n\n\
             grep found \"UserService\" in src (3 lines):\n\n\
             - `src/api/auth.ts` line 4: `import { UserService } from '../services/user'`\n\
             - `src/api/auth.ts` line 9: `const user = await UserService.find(req.body.email)`\n\
             - `src/services/user.ts` line 2: `export const UserService = {`"
        );
        // Nothing from the examples at the end of the log was checked.
        let examples = log.find("## Examples").expect("the fixture has examples");
        assert!(checks.iter().all(|c| c.range.start < examples));
        assert_eq!(
            claimed_paths(&doc).len(),
            12,
            "every claim but the waiver names a path"
        );
    }

    #[test]
    fn paths_as_written() {
        let path = |s: &str| written_path(s, 100).map(|(w, used)| (w.path, w.range, used));
        assert_eq!(
            path("src/a.ts (3 lines)"),
            Some(("src/a.ts".into(), TextRange::new(100, 108), 8))
        );
        assert_eq!(
            path("`src/my file.ts` (3 lines)"),
            Some(("src/my file.ts".into(), TextRange::new(100, 116), 16))
        );
        assert_eq!(
            path("src/a.ts: 40 lines"),
            Some(("src/a.ts".into(), TextRange::new(100, 108), 9))
        );
        assert_eq!(
            path("`src/a.ts (3 lines)"),
            Some(("src/a.ts".into(), TextRange::new(101, 109), 9))
        );
        assert_eq!(path("``"), None);
        assert_eq!(path(""), None);
        let size = |s: &str| stated_size(s, 0).map(|(size, _)| size);
        assert_eq!(size(" (156 lines)"), Ok(Size::Lines(156)));
        assert_eq!(size(" (1,200 lines)"), Ok(Size::Lines(1200)));
        assert_eq!(size(" - ~40 lines"), Ok(Size::Lines(40)));
        assert_eq!(size(" (binary)"), Ok(Size::Binary));
        assert_eq!(size(" - the login page"), Ok(Size::Unstated));
        assert_eq!(size(" (some lines)"), Err(()));
        assert_eq!(parse_ranges("8, 102-115"), Some(vec![(8, 8), (102, 115)]));
        assert_eq!(
            parse_ranges("L3-L7; 9..10, 12–14,"),
            Some(vec![(3, 7), (9, 10), (12, 14)])
        );
        assert_eq!(parse_ranges("0"), None);
        assert_eq!(parse_ranges(""), None);
        assert_eq!(parse_ranges("most of it"), None);
    }

    fn git_state(
        changed: &[(&str, bool)],
        hunks: &[(&str, Vec<(usize, usize)>)],
        base: &[&str],
    ) -> GitState {
        GitState {
            base: "HEAD".into(),
            has_base: true,
            changed: changed
                .iter()
                .map(|&(p, created)| super::super::git::Unlogged {
                    path: p.into(),
                    created,
                    untracked: created,
                })
                .collect(),
            hunks: hunks
                .iter()
                .map(|(p, h)| (p.to_string(), h.clone()))
                .collect(),
            in_base: base.iter().map(|p| p.to_string()).collect(),
        }
    }

    fn run_git(fs: FakeFs, log: &str, git: &GitState) -> Vec<Check> {
        let doc = parse(log, &Registry::builtin());
        check(
            &doc,
            log,
            Path::new(LOG),
            &mut workspace(fs, false),
            Some(git),
        )
    }

    #[test]
    fn claims_are_checked_against_git() {
        let fs = FakeFs::new();
        fs.file("/ws/prisma/schema.prisma", lines(30))
            .file("/ws/src/auth.ts", lines(50))
            .file("/ws/src/old.ts", lines(10))
            .file("/ws/src/new.ts", lines(5))
            .file("/ws/dist/out.js", lines(3));
        let git = git_state(
            &[("src/auth.ts", false), ("src/new.ts", true)],
            &[("src/auth.ts", vec![(10, 14), (40, 40)])],
            &["prisma/schema.prisma", "src/auth.ts", "src/old.ts"],
        );
        let log = "\
## Files Modified
#FILE_MODIFIED: prisma/schema.prisma
  Changes: Added passwordHash
#FILE_MODIFIED: src/auth.ts
  Lines affected: 11-12, 38
#FILE_MODIFIED: src/auth.ts
  Lines affected: 20-25, 41
## Files Created
#FILE_CREATED: src/old.ts (10 lines)
#FILE_CREATED: src/new.ts (5 lines)
#FILE_CREATED: dist/out.js (3 lines)
";
        let checks = run_git(fs, log, &git);
        assert_eq!(
            findings(&checks, log),
            [
                (
                    2,
                    FALSE_CLAIM,
                    "git shows no change to prisma/schema.prisma against HEAD".into()
                ),
                (
                    7,
                    FALSE_CLAIM,
                    "lines 20-25 are unchanged in src/auth.ts against HEAD; git shows lines 10-14, 40 changed"
                        .into()
                ),
                (
                    9,
                    FALSE_CLAIM,
                    "src/old.ts is not new: HEAD already has it; log it as #FILE_MODIFIED".into()
                ),
            ]
        );
        let hovers = |needle: &str| {
            let at = log.find(needle).unwrap();
            checks
                .iter()
                .filter(|c| c.range.contains_inclusive(at))
                .map(|c| c.hover.clone())
                .collect::<Vec<_>>()
                .join("\n")
        };
        assert!(hovers("dist/out.js").contains("not tracked by git"));
        assert!(hovers("src/new.ts").contains("git: untracked (new, not yet added to git)"));
        assert!(hovers("11-12, 38").contains("match what git shows changed"));
    }

    #[test]
    fn work_already_committed_is_not_checked_against_head() {
        let fs = || {
            let fs = FakeFs::new();
            fs.file("/ws/src/old.ts", lines(10));
            fs
        };
        let log = "## Files Modified\n#FILE_MODIFIED: src/old.ts\n";
        let clean = git_state(&[], &[], &["src/old.ts"]);
        assert_eq!(findings(&run_git(fs(), log, &clean), log), []);
        // Against a base, the same claim is checked.
        let based = GitState {
            base: "main".into(),
            ..clean
        };
        assert_eq!(
            findings(&run_git(fs(), log, &based), log),
            [(
                2,
                FALSE_CLAIM,
                "git shows no change to src/old.ts against the base main".into()
            )]
        );
    }

    #[test]
    fn methods_and_changes_name_what_the_file_has() {
        let fs = FakeFs::new();
        fs.file(
            "/ws/src/auth.ts",
            "export async function login(email: string) {}\nexport const register = () => {};\nconst passwordHash = 1;\n",
        )
        .file("/ws/schema.prisma", "model User {\n  passwordHash String\n}\n");
        let log = "\
## Files Created
#FILE_CREATED: src/auth.ts (3 lines)
  Methods: login(email), register(), logout()
#FILE_CREATED: schema.prisma (3 lines)
  Methods: User, Session
## Files Modified
#FILE_MODIFIED: src/auth.ts
  Changes:
  - Line 3: added `passwordHash` and `saltRounds`
  - Removed `oldHash`
  - Calls validateToken() now
";
        let checks = run(fs, log);
        assert_eq!(
            findings(&checks, log),
            [
                (
                    3,
                    FALSE_CLAIM,
                    "src/auth.ts defines no logout; it defines login, register".into()
                ),
                (5, FALSE_CLAIM, "schema.prisma has no Session".into()),
                (
                    9,
                    FALSE_CLAIM,
                    "src/auth.ts has no saltRounds, which its Changes name".into()
                ),
                (
                    11,
                    FALSE_CLAIM,
                    "src/auth.ts has no validateToken, which its Changes name".into()
                ),
            ]
        );
    }

    #[test]
    fn smaller_claim_forms() {
        let bmp = bmp_1x1();
        let fs = FakeFs::new();
        fs.file("/ws/.orchestration/evidence/shot.bmp", bmp)
            .file("/ws/src/big.ts", lines(500))
            .file("/ws/src/a.ts", "x\n");
        let log = "\
#FILE_CREATED: src/big.ts (500 LOC)
#FILE_CREATED: src/big.ts (300 LOC)
#FILE_CREATED: ~/.claude/agents/x.md (3 lines)
#SCREENSHOT_CLAIMED: .orchestration/evidence/shot.bmp
#VERIFIED: src/a.ts and src/gone.ts work
#VERIFIED: login works
";
        let checks = run(fs, log);
        assert_eq!(
            findings(&checks, log),
            [
                (2, FALSE_CLAIM, "src/big.ts has 500 lines, not 300".into()),
                (
                    3,
                    Code::OutsideWorkspace,
                    "~/.claude/agents/x.md is outside the workspace; not checked".into()
                ),
                (
                    5,
                    FALSE_CLAIM,
                    "#VERIFIED names what is not there: src/gone.ts does not exist in the workspace"
                        .into()
                ),
            ]
        );
        assert!(hover_at(&checks, log, "shot.bmp").contains("BMP, 1×1"));
    }

    #[test]
    fn prose_recipes_are_for_a_person_and_an_assumption_checked_by_its_recipe_is_checked() {
        let fs = FakeFs::new();
        fs.file("/ws/prisma/schema.prisma", "model User {\n}\n");
        let log = "\
## Assumptions Made
#COMPLETION_DRIVE: User model has the fields auth needs
  Verification: grep \"model User\" prisma/schema.prisma
#COMPLETION_DRIVE_INTEGRATION: the session survives a reload
  Verification: Runtime test required
#COMPLETION_DRIVE: the copy reads well
  Verifiable by: Manual review of the login page
";
        let checks = run(fs, log);
        let found = findings(&checks, log);
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(found[0].0, 5);
        assert!(found[0].2.starts_with(RUNTIME_ONLY), "{found:?}");
        assert_eq!(found[1].0, 7);
        assert!(found[1].2.starts_with("a check for a person"), "{found:?}");
        // Every assumption's entry was checked, so none is unchecked.
        let a = crate::analysis::Analysis {
            tags: parse(log, &Registry::builtin())
                .entries
                .iter()
                .map(|e| e.tag.clone())
                .collect(),
            checks: checks.into(),
            ..Default::default()
        };
        assert_eq!(a.unchecked_assumptions(&Registry::builtin()).len(), 0);
    }

    #[test]
    fn visual_work_needs_a_screenshot() {
        let settings = crate::config::Settings::default();
        let registry = Registry::builtin();
        let run_visual = |log: &str, git: Option<&GitState>| {
            let doc = parse(log, &registry);
            visual_work(&doc, git, &settings.ui_files, &registry)
                .into_iter()
                .filter_map(|c| c.finding)
                .map(|f| (f.code, f.message))
                .collect::<Vec<_>>()
        };
        let ui = "## Files Modified\n#FILE_MODIFIED: src/components/Login.tsx\n";
        let found = run_visual(ui, None);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].0, Code::MissingScreenshot);
        assert!(
            found[0].1.contains("src/components/Login.tsx changed"),
            "{found:?}"
        );
        // A change git reports counts even when the log does not name it.
        let git = git_state(&[("src/styles/app.css", false)], &[], &[]);
        let api = "## Files Modified\n#FILE_MODIFIED: src/api.ts\n";
        assert_eq!(run_visual(api, Some(&git))[0].0, Code::MissingScreenshot);
        assert_eq!(run_visual(api, None), []);
        let shot = format!(
            "{ui}## Evidence Captured\n#SCREENSHOT_CLAIMED: .orchestration/evidence/login.png\n"
        );
        assert_eq!(run_visual(&shot, None), []);
        let waived = format!("{ui}#SCREENSHOT_CLAIMED: CANNOT_CAPTURE_SECURITY_POLICY\n");
        let found = run_visual(&waived, None);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].0, Code::ScreenshotWaived);
        assert!(
            found[0]
                .1
                .contains("a person must check the visual change to src/components/Login.tsx")
        );
        // A log with no claim is not held to the rule.
        assert_eq!(run_visual("# Log\n", Some(&git)), []);
    }
}
