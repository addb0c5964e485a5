//! The workspace gate: every tag in the code and the log of a workspace,
//! checked, and the method's verdict on the whole.
//!
//! `tagls check` and `tagls report` render what [`scan`] finds. The verdict
//! follows the method (docs/CHECK.md):
//! - BLOCKED when a claim in the log is false, a recipe fails, a reference in
//!   an assumption does not resolve, a `#FAILED_VERIFICATION` is present, or
//!   the workspace uses tags but its log is missing, empty or holds no claim;
//! - CONDITIONAL when nothing blocks but a person must still look: an
//!   assumption that names nothing checkable, a `#CANNOT_VERIFY_WITHOUT_RUNTIME`
//!   item, a recipe tagls cannot evaluate, a file name several files have;
//! - PASSED otherwise.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::analysis::{self, Analysis};
use crate::config::{ConfigError, Settings};
use crate::document::Document;
use crate::findings::{self, Finding};
use crate::log;
use crate::syntax::Language;
use crate::tags::{Family, Registry, Severity};
use crate::text::{Encoding, LineCol, pos};
use crate::workspace::fs::RealFs;
use crate::workspace::index::FileIndex;
use crate::workspace::model::{ReadError, Workspace};
use crate::workspace::paths::display_rel;
use crate::workspace::walk;

/// Source files larger than this are not read.
pub const MAX_FILE_SIZE: u64 = 2 * 1024 * 1024;
/// The log is read up to this size.
pub const MAX_LOG_SIZE: u64 = 64 * 1024 * 1024;

/// The method's verdict on a workspace.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verdict {
    Passed,
    Conditional,
    Blocked,
}

impl Verdict {
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Passed => "PASSED",
            Verdict::Conditional => "CONDITIONAL",
            Verdict::Blocked => "BLOCKED",
        }
    }
}

/// A finding with its place, as the command line shows it: a path relative
/// to the workspace root, one-based lines and columns counted in characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Located {
    /// The workspace root the path is relative to.
    pub root: PathBuf,
    pub path: String,
    pub line: u32,
    pub column: u32,
    pub end_line: u32,
    pub end_column: u32,
    pub finding: Finding,
    /// What it means for the verdict.
    pub gate: Option<Verdict>,
    /// The text the finding is on (its first line): a path, a variable, a
    /// claim or a recipe.
    pub subject: String,
    /// The same place for the protocol.
    pub span: Spans,
}

/// A zero-based start and end in each position encoding, UTF-8, UTF-16 and
/// UTF-32, so that the protocol layer can answer any client.
pub type Spans = [(LineCol, LineCol); 3];

fn spans(rope: &ropey::Rope, range: crate::text::TextRange) -> Spans {
    [Encoding::Utf8, Encoding::Utf16, Encoding::Utf32].map(|e| {
        (
            pos::offset_to_line_col(rope, range.start, e),
            pos::offset_to_line_col(rope, range.end, e),
        )
    })
}

/// Where a tag is, for workspace symbols.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TagPlace {
    pub root: PathBuf,
    pub path: String,
    /// Zero-based start and end, in each encoding (UTF-8, UTF-16, UTF-32).
    pub span: Spans,
    pub name: String,
    pub payload: String,
}

/// Everything `scan` found.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Every tag, in path order.
    pub tags: Vec<TagPlace>,
    /// Findings in path order, then position.
    pub findings: Vec<Located>,
    /// How many tags of each family, in code and log together.
    pub families: BTreeMap<&'static str, usize>,
    /// Tags that are not registered.
    pub unknown_tags: usize,
    /// Files that hold at least one tag.
    pub tagged_files: usize,
    /// Claims and recipes that were checked and held, for the report.
    pub verified: Vec<String>,
    /// Files that could not be read, with why.
    pub problems: Vec<String>,
}

impl Report {
    pub fn verdict(&self) -> Verdict {
        self.findings
            .iter()
            .filter_map(|f| f.gate)
            .max()
            .unwrap_or(Verdict::Passed)
    }

    /// Why the verdict is what it is, in a sentence.
    pub fn reason(&self) -> String {
        let verdict = self.verdict();
        if verdict == Verdict::Passed {
            return if self.tagged_files == 0 {
                "no tags and no claims: nothing to verify".to_owned()
            } else {
                "every claim holds and every reference resolves".to_owned()
            };
        }
        let mut by_code: BTreeMap<&str, usize> = BTreeMap::new();
        for f in self.findings.iter().filter(|f| f.gate == Some(verdict)) {
            *by_code.entry(gate_label(&f.finding)).or_default() += 1;
        }
        by_code
            .iter()
            .map(|(what, n)| format!("{n} {what}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// What a finding means for the gate, if anything.
pub fn gate_of(f: &Finding, registry: &Registry) -> Option<Verdict> {
    let family = registry.get(&f.tag).map(|d| d.family);
    match f.code {
        log::check::FALSE_CLAIM | log::check::VERIFICATION_FAILED | findings::MISSING_LOG => {
            Some(Verdict::Blocked)
        }
        findings::MISSING_PATH | findings::OUTSIDE_WORKSPACE | findings::MISSING_ENV
            if matches!(family, Some(Family::Assumption | Family::Claim) | None) =>
        {
            Some(Verdict::Blocked)
        }
        "verdict" if f.tag == "FAILED_VERIFICATION" => Some(Verdict::Blocked),
        "verdict" if f.tag == "CANNOT_VERIFY_WITHOUT_RUNTIME" => Some(Verdict::Conditional),
        log::check::UNVERIFIABLE | findings::AMBIGUOUS_PATH | UNCHECKED_ASSUMPTION => {
            Some(Verdict::Conditional)
        }
        _ => None,
    }
}

/// The code of an assumption that names nothing tagls can check.
pub const UNCHECKED_ASSUMPTION: &str = "unchecked-assumption";

fn gate_label(f: &Finding) -> &'static str {
    match f.code {
        log::check::FALSE_CLAIM => "false claim(s)",
        log::check::VERIFICATION_FAILED => "failed verification recipe(s)",
        findings::MISSING_LOG => "missing or empty implementation log",
        findings::MISSING_PATH => "missing path(s)",
        findings::OUTSIDE_WORKSPACE => "path(s) outside the workspace",
        findings::MISSING_ENV => "undefined environment variable(s)",
        findings::AMBIGUOUS_PATH => "ambiguous file name(s)",
        log::check::UNVERIFIABLE => "recipe(s) to check by hand",
        UNCHECKED_ASSUMPTION => "assumption(s) naming nothing checkable",
        "verdict" if f.tag == "FAILED_VERIFICATION" => "#FAILED_VERIFICATION item(s)",
        "verdict" => "item(s) that need a runtime check",
        _ => "finding(s)",
    }
}

/// Scans each root: every source file the walk yields and the root's log.
/// `progress` is told how many files have been read so far.
/// The configuration comes from the root's files (docs/CONFIG.md), or from
/// `config` when given; an unusable file is an error.
pub fn scan(
    roots: &[PathBuf],
    config: Option<&Path>,
    progress: &mut dyn FnMut(usize),
) -> Result<Report, ConfigError> {
    let mut report = Report::default();
    let mut files_read = 0;
    for root in roots {
        let settings = Settings::from_file(&crate::config::load(root, config)?);
        let mut ws = Workspace::new(Arc::new(RealFs));
        ws.set_env_files(settings.env_files.clone());
        ws.add_root(root, false);
        ws.set_index(root, FileIndex::build(&RealFs, root));
        let log_path = root.join(&settings.log);
        let mut cache = crate::resolve::Cache::default();
        let mut code_tags = 0;
        for entry in walk::files(root) {
            let path = match entry {
                Ok(e) => e.into_path(),
                Err(e) => {
                    report.problems.push(e.to_string());
                    continue;
                }
            };
            if path == log_path
                || path
                    .strip_prefix(root)
                    .is_ok_and(|rel| settings.is_ignored(rel))
            {
                continue;
            }
            files_read += 1;
            if files_read % 256 == 0 {
                progress(files_read);
            }
            match scan_file(&path, &settings, &mut ws, &mut cache) {
                Ok(Some((doc, a))) => {
                    code_tags += a.tags.len();
                    add(&mut report, root, &path, doc.rope(), &a, &settings);
                }
                Ok(None) => {}
                Err(e) => report
                    .problems
                    .push(format!("{}: {e}", display_rel(&path, root))),
            }
        }
        scan_log(
            &mut report,
            root,
            &log_path,
            &mut ws,
            &settings,
            code_tags > 0,
        );
    }
    progress(files_read);
    report.findings.sort_by(|a, b| {
        (&a.root, &a.path, a.line, a.column).cmp(&(&b.root, &b.path, b.line, b.column))
    });
    Ok(report)
}

/// Reads and analyses one source file; `None` when it is not a tagged
/// language, too large, not UTF-8, or has nothing to report.
fn scan_file(
    path: &Path,
    settings: &Settings,
    ws: &mut Workspace,
    cache: &mut crate::resolve::Cache,
) -> Result<Option<(Document, Analysis)>, ReadError> {
    let registry = &settings.registry;
    let Some(lang) = Language::detect(None, &path.to_string_lossy()) else {
        return Ok(None);
    };
    let bytes = match ws.read(path, settings.max_file_size) {
        Ok(b) => b,
        Err(ReadError::TooLarge) => return Ok(None),
        Err(e) => return Err(e),
    };
    // A cheap pre-filter: no `#` before a capital letter and no `env`, so no
    // tag and no env read.
    let tag_shaped = memchr::memchr_iter(b'#', &bytes)
        .any(|i| bytes.get(i + 1).is_some_and(u8::is_ascii_uppercase));
    let env_shaped = memchr::memmem::find(&bytes, b"env").is_some()
        || memchr::memmem::find(&bytes, b"Env").is_some();
    if !tag_shaped && !env_shaped {
        return Ok(None);
    }
    let Ok(text) = std::str::from_utf8(&bytes) else {
        return Ok(None);
    };
    let doc = Document::new(lang, text, &mut lang.parser(), registry);
    let a = analysis::analyze_cached(&doc, Some(path), ws, cache, settings);
    Ok(Some((doc, a)))
}

fn scan_log(
    report: &mut Report,
    root: &Path,
    log_path: &Path,
    ws: &mut Workspace,
    settings: &Settings,
    code_has_tags: bool,
) {
    let registry = &settings.registry;
    let log_rel = display_rel(log_path, root);
    let text = match ws.read(log_path, MAX_LOG_SIZE) {
        Ok(bytes) => Some(String::from_utf8_lossy(&bytes).into_owned()),
        Err(ReadError::Missing) => None,
        Err(e) => {
            report.problems.push(format!("{log_rel}: {e}"));
            return;
        }
    };
    let (doc, text) = match text {
        Some(t) => (log::parse(&t, registry), t),
        None => (log::LogDoc::default(), String::new()),
    };
    let changed = crate::log::unlogged::changed_files(root);
    let a = analysis::analyze_log(&doc, &text, log_path, ws, changed);
    let rope = ropey::Rope::from_str(&text);
    add(report, root, log_path, &rope, &a, settings);
    for c in a.checks.iter().filter(|c| c.finding.is_none()) {
        report.verified.push(strip_markdown(&c.hover));
    }
    let has_claim = doc.entries.iter().any(|e| {
        registry
            .get(&e.tag.name)
            .is_some_and(|d| d.family == Family::Claim)
    });
    if code_has_tags && !has_claim {
        let problem = if text.is_empty() && !log_path.exists() {
            "is missing"
        } else if text.trim().is_empty() {
            "is empty"
        } else {
            "holds no claim (#FILE_CREATED, #FILE_MODIFIED or #SCREENSHOT_CLAIMED)"
        };
        let finding = Finding {
            range: Default::default(),
            severity: Severity::Error,
            code: findings::MISSING_LOG,
            tag: String::new(),
            message: format!(
                "this workspace uses tags, but its implementation log {log_rel} {problem}"
            ),
            fix: None,
        };
        let Some(finding) = settings.apply(vec![finding]).pop() else {
            return;
        };
        report.findings.push(Located {
            root: root.to_path_buf(),
            path: log_rel.clone(),
            line: 1,
            column: 1,
            end_line: 1,
            end_column: 1,
            gate: gate_of(&finding, registry),
            finding,
            subject: log_rel.clone(),
            span: Default::default(),
        });
    }
}

/// Adds a file's findings, its tag counts and its unchecked assumptions.
fn add(
    report: &mut Report,
    root: &Path,
    path: &Path,
    rope: &ropey::Rope,
    a: &Analysis,
    settings: &Settings,
) {
    let registry = &settings.registry;
    if !a.tags.is_empty() {
        report.tagged_files += 1;
    }
    let rel_path = display_rel(path, root);
    for t in a.tags.iter() {
        report.tags.push(TagPlace {
            root: root.to_path_buf(),
            path: rel_path.clone(),
            span: spans(rope, t.head_range()),
            name: t.name.clone(),
            payload: t.payload.clone(),
        });
        match registry.get(&t.name) {
            Some(d) => *report.families.entry(d.family.name()).or_default() += 1,
            None => report.unknown_tags += 1,
        }
    }
    let mut all = a.findings(settings);
    let unchecked: Vec<Finding> = a
        .unchecked_assumptions(registry)
        .into_iter()
        .filter(|t| {
            !a.suppressed
                .iter()
                .any(|r| r.contains_inclusive(t.head_range().start))
        })
        .map(|t| Finding {
            range: t.head_range(),
            severity: Severity::Information,
            code: UNCHECKED_ASSUMPTION,
            tag: t.name.clone(),
            message: format!(
                "#{} names nothing tagls can check; a person must verify it",
                t.name
            ),
            fix: None,
        })
        .collect();
    all.extend(settings.apply(unchecked));
    all.sort_by_key(|f| f.range.start);
    let rel = display_rel(path, root);
    for f in all {
        let start = pos::offset_to_line_col(rope, f.range.start, Encoding::Utf32);
        let end = pos::offset_to_line_col(rope, f.range.end, Encoding::Utf32);
        let subject = rope
            .get_byte_slice(f.range.start..f.range.end)
            .map(|s| {
                s.to_string()
                    .lines()
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .to_owned()
            })
            .unwrap_or_default();
        report.findings.push(Located {
            root: root.to_path_buf(),
            path: rel.clone(),
            line: start.line + 1,
            column: start.col + 1,
            end_line: end.line + 1,
            end_column: end.col + 1,
            gate: gate_of(&f, registry),
            span: spans(rope, f.range),
            finding: f,
            subject,
        });
    }
}

/// Hover markdown as plain text for the report.
fn strip_markdown(s: &str) -> String {
    s.replace("**", "")
        .replace('`', "")
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned()
}
