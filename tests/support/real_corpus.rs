//! The real-code corpus: released sources of Django (Python), rxjs
//! (TypeScript and the JavaScript built from it) and Go's standard library,
//! fetched by `tests/real-corpus.sh`, copied into a work folder and seeded
//! with tags at known places and with decoys that must not be findings.
//!
//! Shared by `tests/real_code.rs` and the `real` benchmark
//! (`#[path = "../../tests/support/real_corpus.rs"]`), so that both score
//! `tagls check` against the same list: what the seeding wrote.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The corpora, smallest first.
pub const ALL: &[&str] = &["rxjs", "django", "go"];

/// The repository's root.
fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Makes sure the corpora are unpacked (downloading what is not cached yet)
/// and returns the folder that holds one folder per corpus. Panics with the
/// script's message when a download fails.
pub fn ensure(names: &[&str]) -> PathBuf {
    let script = repo().join("tests").join("real-corpus.sh");
    let out = Command::new("bash")
        .arg(&script)
        .args(names)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
    assert!(
        out.status.success(),
        "{} {} failed:\n{}",
        script.display(),
        names.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    let base = std::env::var_os("TAGLS_REAL_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("target").join("real-corpus"));
    base.canonicalize().expect("the corpus folder")
}

/// A part of a corpus to copy: the folders under it (all of it when empty).
#[derive(Clone, Copy, Debug)]
pub struct Part {
    pub corpus: &'static str,
    pub under: &'static [&'static str],
}

/// What was copied: every file, and the source files among them that may
/// be seeded, as paths relative to the work folder, sorted.
#[derive(Debug, Default)]
pub struct Copied {
    pub files: usize,
    pub bytes: u64,
    pub sources: Vec<String>,
}

/// Copies `parts` of the corpora in `base` into `dst` (which must not
/// exist), each under a folder named after its corpus.
pub fn copy(base: &Path, parts: &[Part], dst: &Path) -> Copied {
    assert!(!dst.exists(), "{} exists already", dst.display());
    std::fs::create_dir_all(dst).expect("create the work folder");
    let mut copied = Copied::default();
    for part in parts {
        let from = base.join(part.corpus);
        let unders: Vec<&str> = if part.under.is_empty() {
            vec![""]
        } else {
            part.under.to_vec()
        };
        for under in unders {
            copy_tree(
                &from.join(under),
                &dst.join(part.corpus).join(under),
                format!("{}/{}", part.corpus, under).trim_end_matches('/'),
                &mut copied,
            );
        }
    }
    copied.sources.sort();
    copied
}

fn copy_tree(from: &Path, to: &Path, rel: &str, copied: &mut Copied) {
    std::fs::create_dir_all(to).expect("create a folder");
    let entries = std::fs::read_dir(from).unwrap_or_else(|e| panic!("{}: {e}", from.display()));
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let kind = entry.file_type().expect("file type");
        let rel = format!("{rel}/{name}");
        if kind.is_dir() {
            copy_tree(&entry.path(), &to.join(&name), &rel, copied);
        } else if kind.is_file() {
            copied.bytes += std::fs::copy(entry.path(), to.join(&name)).expect("copy a file");
            copied.files += 1;
            if seedable(&rel) {
                copied.sources.push(rel);
            }
        }
    }
}

/// Sets the modification time of every file under `dir` an hour back, as
/// in a tree whose files were not written just now: the scan cache trusts no
/// modification time from the 2 s before it read the file.
pub fn age(dir: &Path) {
    let then = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    for entry in std::fs::read_dir(dir).expect("read a folder").flatten() {
        let kind = entry.file_type().expect("file type");
        if kind.is_dir() {
            age(&entry.path());
        } else if kind.is_file() {
            std::fs::File::options()
                .write(true)
                .open(entry.path())
                .and_then(|f| f.set_modified(then))
                .expect("set a modification time");
        }
    }
}

/// A source file the seeding may write into: a language tagls checks, not
/// a declaration file, not test data (which may be broken on purpose), and
/// not in a folder `tagls check` does not walk (`dist`, `vendor` ...).
fn seedable(rel: &str) -> bool {
    Lang::of(rel).is_some()
        && !rel.ends_with(".d.ts")
        && !rel.starts_with("go/test/")
        && !rel.split('/').any(|c| {
            matches!(
                c,
                "testdata" | "dist" | "vendor" | "node_modules" | "target"
            )
        })
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Lang {
    Python,
    Go,
    Script,
}

impl Lang {
    fn of(rel: &str) -> Option<Lang> {
        let ext = rel.rsplit_once('.')?.1;
        match ext {
            "py" => Some(Lang::Python),
            "go" => Some(Lang::Go),
            "ts" | "js" => Some(Lang::Script),
            _ => None,
        }
    }

    fn comment(self) -> &'static str {
        match self {
            Lang::Python => "#",
            Lang::Go | Lang::Script => "//",
        }
    }

    fn ext(self) -> &'static str {
        match self {
            Lang::Python => "py",
            Lang::Go => "go",
            Lang::Script => "ts",
        }
    }

    /// Statements that hold tag-shaped text in strings, valid at the top
    /// level of a file of this language (never a docstring: they come after
    /// the file's first statement).
    fn decoy_code(self) -> &'static [&'static str] {
        match self {
            Lang::Python => &[
                "_tagls_decoy = \"#COMPLETION_DRIVE: Assuming decoy/missing.py exists\"",
                "_tagls_decoy_env = f'#COMPLETION_DRIVE_INTEGRATION: Assuming {_tagls_decoy} in .env'",
                "_tagls_decoy_url = 'https://example.com/docs#CARGO_CULT: an anchor'",
            ],
            Lang::Go => &[
                "var _ = `#COMPLETION_DRIVE: Assuming decoy/missing.go exists",
                "#CARGO_CULT: a raw string's second line`",
                "var _ = \"#PATTERN_MOMENTUM: in an interpreted string\"",
            ],
            Lang::Script => &[
                "var __taglsDecoy = \"#COMPLETION_DRIVE: Assuming decoy/missing.ts exists\";",
                "var __taglsTemplate = `#CARGO_CULT: ${__taglsDecoy}",
                "#COMPLETION_DIRVE: a template's second line`;",
                "var __taglsColour = '#FFF: white';",
            ],
        }
    }
}

/// Comment lines that hold `#` without being tags: a URL's anchor, colours,
/// an issue number.
const DECOY_COMMENTS: &[&str] = &[
    "see https://example.com/guide#COMPLETION_DRIVE: an anchor in a URL",
    "colours: #fff: white, #FFFFFF: white, #c0ffee: coffee",
    "fixed in #1234: the retry loop",
];

/// A finding the seeding expects: where, and its code.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Expected {
    pub path: String,
    pub line: usize,
    pub code: String,
}

impl fmt::Display for Expected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.path, self.line, self.code)
    }
}

/// What the seeding wrote.
#[derive(Debug, Default)]
pub struct Seeded {
    /// Every finding `tagls check` must report, and no other.
    pub expected: Vec<Expected>,
    /// Files that received tags.
    pub files: usize,
    /// Tag-shaped texts that must not be findings.
    pub decoys: usize,
}

/// The tags the seeding writes in comments, in turn, and the codes of the
/// findings each gives. `{other}` is replaced by the path of an existing
/// file, `{missing}` by a path that does not exist, `{n}` by a number.
const TAGS: &[(&str, &[&str])] = &[
    (
        "#COMPLETION_DRIVE: Assuming the helpers in {other} keep their signatures",
        &["assumption"],
    ),
    (
        "#COMPLETION_DRIVE: Assuming the settings live in {missing}",
        &["assumption", "missing-path"],
    ),
    (
        "#COMPLETION_DRIVE_INTEGRATION: Assuming SEEDED_TOKEN_{n} in environment variables",
        &["assumption", "missing-env"],
    ),
    (
        "#CARGO_CULT: retry loop copied from the old client",
        &["pattern"],
    ),
    ("#COMPLETION_DIRVE: a misspelt tag", &["unknown-tag"]),
    (
        "#CONTEXT_DEGRADED: the format is written from memory",
        // One finding per tag: the assumption's own is the unchecked one.
        &["unchecked-assumption"],
    ),
    (
        "#SUGGEST_VERIFY: check the cache after a restart",
        &["suggestion"],
    ),
    ("#PATH_DECISION: keep the simple loop", &["decision"]),
    (
        "#CANNOT_VERIFY_WITHOUT_RUNTIME: needs a running database",
        &["verdict"],
    ),
];

/// The line count as the log checker counts it (`wc -l`, plus one for a
/// last line without a newline).
fn line_count(text: &str) -> usize {
    text.matches('\n').count() + usize::from(!text.is_empty() && !text.ends_with('\n'))
}

/// Seeds every `every`-th file of `copied.sources` in `dst` with a tag (two
/// for one file in three), in a comment at its end or, for one file in two,
/// at its start; adds decoys after them, writes the implementation log with
/// true and false claims about other files, and files in languages tagls
/// does not check that hold tag-shaped text. Returns the findings
/// `tagls check` must report.
pub fn seed(dst: &Path, copied: &Copied, every: usize) -> Seeded {
    let every = every.max(1);
    let mut seeded = Seeded::default();
    let mut k = 0usize;
    let sources = &copied.sources;
    let mut claimed = Vec::new();
    for (i, rel) in sources.iter().enumerate() {
        if i % every != every / 2 {
            if i.is_multiple_of(every) && claimed.len() < 8 {
                claimed.push(rel.clone());
            }
            continue;
        }
        let lang = Lang::of(rel).expect("a seedable file");
        let path = dst.join(rel);
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        if text.contains('\r') || text.starts_with("#!") {
            continue;
        }
        let other = &sources[(i + 1) % sources.len()];
        let dir = rel.rsplit_once('/').map_or("", |(d, _)| d);
        let tags: Vec<usize> = (0..if k.is_multiple_of(3) { 2 } else { 1 })
            .map(|j| (k + j * 4) % TAGS.len())
            .collect();
        let lines: Vec<String> = tags
            .iter()
            .map(|&t| {
                let payload = TAGS[t]
                    .0
                    .replace("{other}", other)
                    .replace(
                        "{missing}",
                        &format!("{dir}/seeded_missing_{k}.{}", lang.ext()),
                    )
                    .replace("{n}", &k.to_string());
                format!("{} {payload}", lang.comment())
            })
            .collect();
        let decoy_comments: Vec<String> = DECOY_COMMENTS
            .iter()
            .map(|c| format!("{} {c}", lang.comment()))
            .collect();
        let at_start = k % 2 == 1;
        let (new, first_line) = if at_start {
            let mut new = lines.join("\n");
            new.push('\n');
            new.push_str(&text);
            (new, 1)
        } else {
            let mut new = text.clone();
            if !new.is_empty() && !new.ends_with('\n') {
                new.push('\n');
            }
            let first = line_count(&new) + 1;
            for l in &lines {
                new.push_str(l);
                new.push('\n');
            }
            (new, first)
        };
        // The decoys go at the end, after every statement of the file.
        let mut new = new;
        if !new.ends_with('\n') {
            new.push('\n');
        }
        for l in lang
            .decoy_code()
            .iter()
            .map(|s| s.to_string())
            .chain(decoy_comments)
        {
            new.push_str(&l);
            new.push('\n');
        }
        seeded.decoys += lang.decoy_code().len() + DECOY_COMMENTS.len();
        std::fs::write(&path, new).expect("write a seeded file");
        for (j, &t) in tags.iter().enumerate() {
            for code in TAGS[t].1 {
                seeded.expected.push(Expected {
                    path: rel.clone(),
                    line: first_line + j,
                    code: (*code).to_owned(),
                });
            }
        }
        seeded.files += 1;
        k += 1;
    }
    write_log(dst, &claimed, &mut seeded);
    write_other_files(dst, &mut seeded);
    seeded.expected.sort();
    seeded
}

/// The implementation log: for each claimed file, a true or a false line
/// count, and a modified file, and claims about files that do not exist.
fn write_log(dst: &Path, claimed: &[String], seeded: &mut Seeded) {
    const LOG: &str = ".orchestration/implementation-log.md";
    let mut log =
        String::from("# Implementation Log\n\nTask: seeded real code\n\n## Files Created\n");
    let mut expect = |log: &str, codes: &[&str]| {
        let line = line_count(log) + 1;
        for code in codes {
            seeded.expected.push(Expected {
                path: LOG.to_owned(),
                line,
                code: (*code).to_owned(),
            });
        }
    };
    for (i, rel) in claimed.iter().enumerate() {
        let text = std::fs::read_to_string(dst.join(rel)).unwrap_or_default();
        let n = line_count(&text);
        if i % 2 == 0 {
            expect(&log, &["claim"]);
            log.push_str(&format!(
                "#FILE_CREATED: {rel} ({n} lines)\n  Description: a file of the corpus\n"
            ));
        } else {
            expect(&log, &["claim", "false-claim"]);
            log.push_str(&format!(
                "#FILE_CREATED: {rel} ({} lines)\n  Description: a count far off\n",
                n * 2 + 10
            ));
        }
    }
    expect(&log, &["claim", "false-claim"]);
    log.push_str("#FILE_CREATED: seeded/never-written.py (12 lines)\n");
    log.push_str("\n## Files Modified\n");
    if let Some(rel) = claimed.first() {
        expect(&log, &["claim"]);
        log.push_str(&format!("#FILE_MODIFIED: {rel}\n  Lines affected: 1-2\n"));
    }
    expect(&log, &["claim", "false-claim"]);
    log.push_str("#FILE_MODIFIED: seeded/gone.go\n  Lines affected: 3\n");
    std::fs::create_dir_all(dst.join(".orchestration")).expect("create .orchestration");
    std::fs::write(dst.join(LOG), log).expect("write the log");
}

/// Tag-shaped text that is no tag: Markdown headings (of a file that is no
/// log), CSS colours (in rules and in a comment), plain text (a file tagls
/// does not check).
fn write_other_files(dst: &Path, seeded: &mut Seeded) {
    let files = [
        (
            "seeded/NOTES.md",
            "#COMPLETION_DRIVE: a heading, not a comment\n\n## #FILE_CREATED: src/a.ts (3 lines)\n\n# TODO: later\n",
        ),
        (
            "seeded/theme.css",
            ".a { color: #FFF; }\n.b:hover { background: #C0FFEE; }\n/* brand: #ABCDEF; accent: #FFFFFF: */\n",
        ),
        ("seeded/notes.txt", "#CARGO_CULT: plain text\n"),
    ];
    for (rel, text) in files {
        let path = dst.join(rel);
        std::fs::create_dir_all(path.parent().expect("a folder")).expect("create a folder");
        std::fs::write(path, text).expect("write a decoy file");
        seeded.decoys += 1;
    }
}

/// The (path, line, code) of each finding in `tagls check --format json`
/// output, sorted.
pub fn findings_of(json: &serde_json::Value) -> Vec<Expected> {
    let mut out: Vec<Expected> = json["findings"]
        .as_array()
        .map(|a| a.as_slice())
        .unwrap_or_default()
        .iter()
        .map(|f| Expected {
            path: f["path"].as_str().unwrap_or_default().to_owned(),
            line: f["line"].as_u64().unwrap_or_default() as usize,
            code: f["code"].as_str().unwrap_or_default().to_owned(),
        })
        .collect();
    out.sort();
    out
}

/// Findings against the expected ones, as multisets.
#[derive(Debug, Default)]
pub struct Score {
    pub expected: usize,
    pub found: usize,
    pub true_positives: usize,
    /// Found and not expected.
    pub noise: Vec<Expected>,
    /// Expected and not found.
    pub missed: Vec<Expected>,
}

impl Score {
    pub fn of(expected: &[Expected], found: &[Expected]) -> Score {
        let mut want: BTreeMap<&Expected, usize> = BTreeMap::new();
        for e in expected {
            *want.entry(e).or_default() += 1;
        }
        let mut score = Score {
            expected: expected.len(),
            found: found.len(),
            ..Score::default()
        };
        for f in found {
            match want.get_mut(f) {
                Some(n) if *n > 0 => {
                    *n -= 1;
                    score.true_positives += 1;
                }
                _ => score.noise.push(f.clone()),
            }
        }
        for (e, n) in want {
            score.missed.extend(std::iter::repeat_n(e.clone(), n));
        }
        score
    }

    /// The share of findings that were expected (1 when there are none).
    pub fn precision(&self) -> f64 {
        if self.found == 0 {
            1.0
        } else {
            self.true_positives as f64 / self.found as f64
        }
    }

    /// The share of expected findings that were found (1 when none was).
    pub fn recall(&self) -> f64 {
        if self.expected == 0 {
            1.0
        } else {
            self.true_positives as f64 / self.expected as f64
        }
    }
}
