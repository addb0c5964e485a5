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
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::RecvTimeoutError;
use std::time::Duration;

use rayon::prelude::*;
use tree_sitter::Parser;

use crate::analysis::{self, Analysis};
use crate::config::{ConfigError, ConfigFile, Settings};
use crate::document::Document;
use crate::findings::Finding;
use crate::log;
use crate::scan_cache::{self, Entry, Excerpt, Kept, Reported, ReportedFinding, ScanCache, Slot};
use crate::syntax::Language;
use crate::tags::Registry;
use crate::text::{LineCol, pos};
use crate::workspace::fs::{FileKind, RealFs, read_after_lstat, read_head_after_lstat};
use crate::workspace::index::FileIndex;
use crate::workspace::model::{Listed, ReadError, Workspace};
use crate::workspace::paths::display_rel;
use crate::workspace::walk;

/// Source files larger than this are not read.
pub const MAX_FILE_SIZE: u64 = 2 * 1024 * 1024;
pub use crate::log::MAX_LOG_SIZE;

pub use crate::findings::Verdict;

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
    /// In a Jupyter notebook: the cell the finding is in (its index, from
    /// 0) and the line within the cell (from 1).
    pub cell: Option<(usize, usize)>,
}

pub use crate::text::Spans;

impl Located {
    /// A finding at `span` of the file `path` under `root`, with what it
    /// means for the gate.
    pub fn new(
        root: &Path,
        path: &str,
        span: Spans,
        finding: Finding,
        subject: String,
        registry: &Registry,
    ) -> Located {
        let (start, end) = span[2];
        Located {
            root: root.to_path_buf(),
            path: path.to_owned(),
            line: start.line + 1,
            column: start.col + 1,
            end_line: end.line + 1,
            end_column: end.col + 1,
            gate: gate_of(&finding, registry),
            finding,
            subject,
            span,
            cell: None,
        }
    }
}

/// Converts ranges of one file to [`Spans`], fastest in document order.
struct Spanner<'a> {
    converters: pos::Converters<'a>,
    /// Set when the rope holds the file's excerpt, not the file.
    excerpt: Option<&'a Excerpt>,
}

impl<'a> Spanner<'a> {
    fn new(rope: &'a ropey::Rope, excerpt: Option<&'a Excerpt>) -> Spanner<'a> {
        Spanner {
            converters: pos::Converters::new(rope),
            excerpt,
        }
    }

    fn spans(&mut self, range: crate::text::TextRange) -> Spans {
        let spans = self.converters.ranges(range.start, range.end);
        match self.excerpt {
            // An excerpt holds whole lines: only the line numbers move.
            Some(x) => spans.map(|(start, end)| {
                let at = |p: LineCol| LineCol {
                    line: x.file_line(p.line),
                    col: p.col,
                };
                (at(start), at(end))
            }),
            None => spans,
        }
    }
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
    /// Its family, when the registry knows it.
    pub family: Option<crate::tags::Family>,
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
    /// Source files that were not parsed (too large, binary), in path order.
    pub skipped: Vec<SkippedFile>,
    /// Each root's implementation log, relative to the root, as configured.
    pub logs: BTreeMap<PathBuf, String>,
    /// Tags in the code that the method removes once the gate has PASSED
    /// ([`is_removed_after_passing`]), in path order. Before that, nothing
    /// is cleaned up.
    pub cleanup: Vec<TagPlace>,
    /// The log's recipes as they were evaluated, in path and line order.
    pub commands: Vec<CommandRun>,
    /// Each root's task, as its log names it (its `Task:` line, else its
    /// title).
    pub tasks: BTreeMap<PathBuf, String>,
    /// Each root's dialect of the method.
    pub dialects: BTreeMap<PathBuf, Dialect>,
    /// The events of the roots' phase states, and the open ones among them.
    pub phase_events: Assumptions,
}

pub use crate::dialect::Dialect;

/// Whether the assumptions of a workspace are settled, as the newer
/// dialect's gate reports state it (`ra_status`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum RaStatus {
    /// No tags at all.
    None,
    /// Tags exist, and every one is documentation or resolved.
    PresentResolved,
    /// Assumptions (or high-risk tags) are left open: flag for review.
    PresentUnresolved,
}

impl RaStatus {
    /// The stable name, as every face spells it.
    pub fn name(self) -> &'static str {
        match self {
            RaStatus::None => "none",
            RaStatus::PresentResolved => "present_resolved",
            RaStatus::PresentUnresolved => "present_unresolved",
        }
    }
}

/// Tags and open assumptions counted by one source: the report's own tags
/// and findings ([`Report::assumptions`]), or anything else that records
/// assumptions (a task's phase events), which [`Report::ra_status`] takes
/// as `elsewhere`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Assumptions {
    /// Registered tags (or recorded events) in the source.
    pub tags: usize,
    /// Of them, those left open: an assumption a person must still check,
    /// or a high-risk tag that holds the gate.
    pub open: usize,
}

impl Assumptions {
    /// These counts added up.
    pub fn sum(sources: impl IntoIterator<Item = Assumptions>) -> Assumptions {
        sources
            .into_iter()
            .fold(Assumptions::default(), |sum, a| Assumptions {
                tags: sum.tags + a.tags,
                open: sum.open + a.open,
            })
    }

    /// The RA status of these counts together.
    pub fn status(sources: impl IntoIterator<Item = Assumptions>) -> RaStatus {
        let total = Assumptions::sum(sources);
        if total.open > 0 {
            RaStatus::PresentUnresolved
        } else if total.tags > 0 {
            RaStatus::PresentResolved
        } else {
            RaStatus::None
        }
    }
}

/// One command of a `Verification:` recipe of the log, as tagls evaluated
/// it (in process, never through a shell).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommandRun {
    pub root: PathBuf,
    /// The log, relative to the root.
    pub path: String,
    /// One-based: the recipe's line.
    pub line: u32,
    /// The command, what it did and what it printed, redacted.
    pub run: crate::log::recipe::CommandRun,
}

/// The task a log is about: its `Task:` line, else its first title, with a
/// leading "Implementation Log" dropped.
pub fn task_of(log: &str) -> Option<String> {
    static TASK: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"(?im)^\s*(?:[-*]\s+)?\**task(?:\s+id)?\**\s*:\**\s*(.+?)\s*$")
            .expect("valid regex")
    });
    if let Some(c) = TASK.captures(log) {
        return Some(c[1].trim_matches('*').trim().to_owned()).filter(|t| !t.is_empty());
    }
    let title = log.lines().find_map(|l| l.strip_prefix("# "))?.trim();
    let rest = title
        .strip_prefix("Implementation Log")
        .map(|r| r.trim_start_matches([':', '-', '–', '—', ' ']))
        .unwrap_or(title);
    (!rest.is_empty()).then(|| rest.to_owned())
}

pub use crate::housekeeping::is_removed_after_passing;

impl Report {
    /// Adds what another part of the scan found, after what is here.
    fn merge(&mut self, other: Report) {
        self.tags.extend(other.tags);
        self.findings.extend(other.findings);
        for (family, n) in other.families {
            *self.families.entry(family).or_default() += n;
        }
        self.unknown_tags += other.unknown_tags;
        self.tagged_files += other.tagged_files;
        self.verified.extend(other.verified);
        self.problems.extend(other.problems);
        self.skipped.extend(other.skipped);
        self.logs.extend(other.logs);
        self.cleanup.extend(other.cleanup);
        self.commands.extend(other.commands);
        self.tasks.extend(other.tasks);
        self.dialects.extend(other.dialects);
        self.phase_events = Assumptions::sum([self.phase_events, other.phase_events]);
    }

    /// The implementation log of a root, relative to it.
    pub fn log_of(&self, root: &Path) -> String {
        self.logs
            .get(root)
            .cloned()
            .unwrap_or_else(|| log::DEFAULT_LOG_PATH.to_owned())
    }

    /// The report's registered tags, and the open assumptions among its
    /// findings: those that change the verdict and are about an assumption
    /// (one that names nothing checkable, or names what does not resolve
    /// or fails its check), or are a tag's own finding that holds the gate
    /// (a tag that a person must review, a runtime-only or failed
    /// verification).
    pub fn assumptions(&self) -> Assumptions {
        Assumptions {
            tags: self.tags.iter().filter(|t| t.family.is_some()).count(),
            open: self.open_assumptions().len(),
        }
    }

    /// The findings that leave an assumption open, in path order: those
    /// [`Report::assumptions`] counts as open.
    pub fn open_assumptions(&self) -> Vec<&Located> {
        let families: std::collections::HashMap<(&Path, &str), crate::tags::Family> = self
            .tags
            .iter()
            .filter_map(|t| Some(((t.root.as_path(), t.name.as_str()), t.family?)))
            .collect();
        let family_of = |f: &Located| {
            families
                .get(&(f.root.as_path(), f.finding.tag.as_str()))
                .copied()
        };
        self.findings
            .iter()
            .filter(|f| f.gate.is_some() && !f.finding.tag.is_empty())
            .filter(|f| {
                matches!(f.finding.code, crate::findings::Code::Tag(_))
                    || family_of(f) == Some(crate::tags::Family::Assumption)
            })
            .collect()
    }

    /// The RA status of the workspace: its tags and findings, with the
    /// events of its phase states (an open event is an open assumption).
    pub fn ra_status(&self) -> RaStatus {
        Assumptions::status([self.assumptions(), self.phase_events])
    }

    /// The dialect the verdict is spoken in: the newer one when every root
    /// is written in it, else the original.
    pub fn dialect(&self) -> Dialect {
        if !self.dialects.is_empty() && self.dialects.values().all(|d| *d == Dialect::Os2) {
            Dialect::Os2
        } else {
            Dialect::Original
        }
    }

    /// The verdict in the words of [`Report::dialect`]: PASS / CAUTION /
    /// FAIL in the newer dialect, PASSED / CONDITIONAL / BLOCKED otherwise.
    pub fn verdict_word(&self) -> &'static str {
        self.dialect().verdict_word(self.verdict())
    }

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
            *by_code
                .entry(f.finding.code.gate_label(&f.finding.tag))
                .or_default() += 1;
        }
        by_code
            .iter()
            .map(|(what, n)| format!("{n} {what}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// A source file `scan` did not parse, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SkippedFile {
    pub root: PathBuf,
    /// Relative to the root.
    pub path: String,
    /// Why, in words (`binary content`, `larger than the size limit ...`).
    pub why: String,
    /// Whether the bytes read hold a tag-shaped text, which makes it a
    /// `skipped-file` finding.
    pub tag_shaped: bool,
}

/// What a finding means for the gate, if anything.
pub fn gate_of(f: &Finding, registry: &Registry) -> Option<Verdict> {
    f.gate(registry)
}

/// Whether a finding needs attention: it changes the verdict, or it is a
/// warning or an error. What a tag merely records (an assumption, a
/// decision: information or a hint) does not. The server's workspace-wide
/// diagnostics (`workspace/diagnostic`) report only these for the files that
/// are not open, so that the Problems panel of a large tagged workspace lists
/// what needs doing rather than one line per tag; an open file shows every
/// finding.
pub fn needs_attention(severity: crate::tags::Severity, gate: Option<Verdict>) -> bool {
    use crate::tags::Severity;
    gate.is_some() || matches!(severity, Severity::Error | Severity::Warning)
}

impl Located {
    /// [`needs_attention`] for this finding.
    pub fn needs_attention(&self) -> bool {
        needs_attention(self.finding.severity, self.gate)
    }
}

/// Each root with its configuration read from its files (docs/CONFIG.md),
/// or from `explicit` when given, as `tagls check` reads it; an unusable
/// file is an error.
pub fn configure(
    roots: &[PathBuf],
    explicit: Option<&Path>,
) -> Result<Vec<(PathBuf, ConfigFile)>, ConfigError> {
    roots
        .iter()
        .map(|root| Ok((root.clone(), crate::config::load(root, explicit)?)))
        .collect()
}

/// Scans each root, with its configuration: every source file the walk
/// yields and the root's log. `progress` is told how many files have been
/// read so far. With `cache`, a folder, files unchanged since the last scan
/// are not parsed again ([`crate::scan_cache`]).
///
/// The walk and the files are spread over every core; the report comes out
/// the same whatever the order they finish in.
pub fn scan(
    roots: &[(PathBuf, ConfigFile)],
    cache: Option<&Path>,
    progress: &mut dyn FnMut(usize),
) -> Report {
    let mut report = Report::default();
    let mut files_before = 0;
    for (root, config_file) in roots {
        let settings = Settings::for_root(config_file, root);
        report.dialects.insert(root.clone(), settings.dialect);
        let started = scan_cache::now();
        // The cache is read while the tree is walked. The walk's rules, with
        // the ignore files it read, also say which files are scanned and
        // which lookups need the disk.
        let excludes = Arc::new(walk::Excludes::new(root));
        let (walked, cache) = std::thread::scope(|s| {
            let reading =
                s.spawn(|| cache.map_or_else(ScanCache::off, |dir| ScanCache::open(dir, root)));
            (walk::entries_with(&excludes), joined(reading))
        });
        report
            .problems
            .extend(walked.errors.iter().map(ToString::to_string));
        let log_path = root.join(&settings.log);
        report.logs.insert(root.clone(), settings.log.clone());
        let mut files: Vec<PathBuf> = walked
            .entries
            .iter()
            .filter(|(rel, kind)| *kind == FileKind::File && !settings.is_ignored(rel))
            .map(|(rel, _)| root.join(rel))
            .filter(|path| *path != log_path)
            .collect();
        // Gitignored files are indexed (a path may name one) but not scanned.
        // The index is built while the file list is sorted and filtered, and
        // matched with the cache.
        let (files, rels, slots, (index, index_fingerprint)) = std::thread::scope(|s| {
            let indexing = s.spawn(move || {
                let fingerprint = entries_fingerprint(&walked.entries);
                (FileIndex::from_entries(walked.entries), fingerprint)
            });
            // In the byte order of the paths, as the findings are sorted.
            files.sort_unstable_by(|a, b| a.as_os_str().cmp(b.as_os_str()));
            let mut rules = (PathBuf::new(), Vec::new());
            files.retain(|path| {
                let dir = path.parent().unwrap_or(root);
                if rules.0 != dir {
                    rules = (dir.to_path_buf(), excludes.rules_for(dir));
                }
                !walk::Excludes::excludes_file(&rules.1, path)
            });
            let rels: Vec<String> = files.iter().map(|p| display_rel(p, root)).collect();
            let slots = cache.slots(rels.iter().map(String::as_str));
            (files, rels, slots, joined(indexing))
        });
        let mut ws = Workspace::new(Arc::new(RealFs));
        ws.add_root(root, false);
        ws.set_env_files(root, settings.env_files.clone());
        ws.set_index(root, index);
        ws.set_walk_rules(root, excludes, Listed::Whole);
        let fingerprint = ws.root_for(root).map_or(0, |r| {
            let mut h = xxhash_rust::xxh3::Xxh3::new();
            h.update(&postcard::to_stdvec(config_file).unwrap_or_default());
            h.update(&index_fingerprint.to_le_bytes());
            h.update(format!("{:?}\n{:?}", r.env, r.aliases).as_bytes());
            h.digest128()
        });
        // Reads of variables only matter where the root declares its
        // variables in an env file: without one, a file is not parsed for
        // its env reads alone.
        let env_reads =
            settings.env_in_code && ws.root_for(root).is_some_and(|r| !r.env.files().is_empty());
        let done = AtomicUsize::new(0);
        let (finished, wait) = std::sync::mpsc::channel::<()>();
        let parts: Vec<(Report, Option<Kept>)> = std::thread::scope(|s| {
            let (ws, cache, done, settings) = (&ws, &cache, &done, &settings);
            let files = (&files, &rels, &slots);
            let work = s.spawn(move || {
                // Dropped when the work ends, however it ends.
                let _finished = finished;
                files
                    .into_par_iter()
                    .map_init(
                        || Scanner::new(ws, cache, started, fingerprint, env_reads),
                        |scanner, (path, rel, slot)| {
                            let file = File {
                                root,
                                path,
                                rel,
                                slot: *slot,
                            };
                            let part = scanner.scan(&file, settings);
                            done.fetch_add(1, Ordering::Relaxed);
                            part
                        },
                    )
                    .collect()
            });
            while let Err(RecvTimeoutError::Timeout) = wait.recv_timeout(PROGRESS_EVERY) {
                progress(files_before + done.load(Ordering::Relaxed));
            }
            joined(work)
        });
        files_before += files.len();
        // The first registered tag of the first file that holds one, in
        // path order: where the note about a missing log goes. Only
        // registered tags put a workspace under the method's rules; a
        // `#TODO:` alone does not.
        let mut first_tag = None;
        let mut entries = Vec::with_capacity(parts.len());
        for (part, entry) in parts {
            if first_tag.is_none() {
                first_tag = part
                    .tags
                    .iter()
                    .find(|t| settings.registry.get(&t.name).is_some())
                    .cloned();
            }
            report.merge(part);
            entries.extend(entry);
        }
        // A cache that cannot be written only makes the next run slower.
        let _ = cache.save(entries);
        report.cleanup.extend(
            report
                .tags
                .iter()
                .filter(|t| t.root == *root)
                .filter(|t| {
                    settings
                        .registry
                        .get(&t.name)
                        .is_some_and(|d| is_removed_after_passing(d.family))
                })
                .cloned(),
        );
        scan_plans(&mut report, root, &files, &rels, &mut ws, &settings);
        scan_log(
            &mut report,
            root,
            &log_path,
            &mut ws,
            &settings,
            first_tag.as_ref(),
        );
        scan_phase(&mut report, root, &mut ws, &settings);
        scan_cache::drop_in_background((ws, files, rels, slots));
    }
    progress(files_before);
    report.findings.sort_by(|a, b| {
        (&a.root, &a.path, a.line, a.column).cmp(&(&b.root, &b.path, b.line, b.column))
    });
    report
}

/// What a scoped thread returned; its panic goes on in the caller.
fn joined<T>(thread: std::thread::ScopedJoinHandle<'_, T>) -> T {
    thread
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

/// How often `scan` reports progress.
const PROGRESS_EVERY: Duration = Duration::from_millis(50);

/// A file `scan` looks at.
struct File<'a> {
    root: &'a Path,
    path: &'a Path,
    /// `path` relative to `root`, as reports show it.
    rel: &'a str,
    /// Where the scan cache holds its entry.
    slot: Option<Slot>,
}

/// What is behind the resolution of a root's references besides the files
/// themselves: every path the walk found with its kind, in no order.
fn entries_fingerprint(entries: &[(PathBuf, FileKind)]) -> u128 {
    entries.iter().fold(0u128, |sum, (rel, kind)| {
        let mut h = xxhash_rust::xxh3::Xxh3::new();
        h.update(rel.as_os_str().as_encoded_bytes());
        h.update(&[match kind {
            FileKind::File => 0,
            FileKind::Dir => 1,
            FileKind::Symlink => 2,
            FileKind::Other => 3,
        }]);
        sum.wrapping_add(h.digest128())
    })
}

/// What the scan cache is to keep of one file's part of the report.
fn reported_of(part: &Report, fingerprint: u128) -> Reported {
    Reported {
        fingerprint,
        tags: part
            .tags
            .iter()
            .map(|t| (t.span, t.name.clone(), t.payload.clone()))
            .collect(),
        findings: part
            .findings
            .iter()
            .map(|l| ReportedFinding {
                line: l.line,
                column: l.column,
                end_line: l.end_line,
                end_column: l.end_column,
                finding: l.finding.clone(),
                gate: l.gate,
                subject: l.subject.clone(),
                span: l.span,
            })
            .collect(),
    }
}

/// A file's part of the report again, from what the cache kept.
fn part_of(reported: &Reported, root: &Path, rel: &str, registry: &Registry) -> Report {
    let mut part = Report::default();
    for (span, name, payload) in &reported.tags {
        part.tags.push(TagPlace {
            root: root.to_path_buf(),
            path: rel.to_owned(),
            span: *span,
            name: name.clone(),
            payload: payload.clone(),
            family: registry.get(name).map(|d| d.family),
        });
        match registry.get(name) {
            Some(d) => *part.families.entry(d.family.name()).or_default() += 1,
            None => part.unknown_tags += 1,
        }
    }
    part.tagged_files = usize::from(!reported.tags.is_empty());
    for f in &reported.findings {
        part.findings.push(Located {
            root: root.to_path_buf(),
            path: rel.to_owned(),
            line: f.line,
            column: f.column,
            end_line: f.end_line,
            end_column: f.end_column,
            finding: f.finding.clone(),
            gate: f.gate,
            subject: f.subject.clone(),
            span: f.span,
            cell: None,
        });
    }
    part
}

/// What [`Scanner::analyze`] made of a file.
enum Scanned<'a> {
    /// Nothing to report: not a tagged language, or no candidate in it.
    Nothing,
    /// The document (its excerpt's text when it comes with one) and its
    /// analysis.
    Analyzed(Document, Analysis, Option<&'a Excerpt>),
    /// What the cache kept of the file's report.
    Reported(Report),
    /// Not parsed, for this reason; with the bytes read of its start.
    Skipped(analysis::Skip, Vec<u8>),
}

/// What one worker thread of `scan` keeps from file to file.
struct Scanner<'a> {
    /// When the run started: entries record it as when their file was read.
    started: i128,
    /// Of everything resolution depends on besides the file ([`Reported`]).
    fingerprint: u128,
    /// Whether env reads in code can give a finding (`undeclared-env`): the
    /// check asks for them and the root has an env file.
    env_reads: bool,
    ws: Workspace,
    resolved: crate::resolve::Cache,
    parsers: [Option<Parser>; Language::ALL.len()],
    cache: &'a ScanCache,
}

impl<'a> Scanner<'a> {
    fn new(
        ws: &Workspace,
        cache: &'a ScanCache,
        started: i128,
        fingerprint: u128,
        env_reads: bool,
    ) -> Scanner<'a> {
        Scanner {
            started,
            fingerprint,
            env_reads,
            ws: ws.fork(),
            resolved: Default::default(),
            parsers: Default::default(),
            cache,
        }
    }

    /// One file's part of the report, and what the cache is to keep of it.
    fn scan(&mut self, file: &File, settings: &Settings) -> (Report, Option<Kept>) {
        let mut part = Report::default();
        let mut entry = None;
        let probed = self.ws.probed();
        match self.analyze(file, settings, &mut entry) {
            Ok(Scanned::Analyzed(doc, a, excerpt)) => {
                add(
                    &mut part,
                    file.root,
                    file.rel,
                    doc.rope(),
                    excerpt,
                    &a,
                    settings,
                );
                // An answer from the disk is not in the fingerprint, and
                // whether a due date has passed depends on the day.
                if self.ws.probed() == probed && !a.depends_on_today() {
                    entry = entry.map(|kept| self.remember(file, kept, &part));
                }
            }
            Ok(Scanned::Reported(reported)) => part = reported,
            Ok(Scanned::Skipped(skip, head)) => {
                let a = analysis::skipped(&skip, &head);
                part.skipped.push(SkippedFile {
                    root: file.root.to_path_buf(),
                    path: file.rel.to_owned(),
                    why: skip.why(),
                    tag_shaped: a.skipped.is_some(),
                });
                add(
                    &mut part,
                    file.root,
                    file.rel,
                    &ropey::Rope::new(),
                    None,
                    &a,
                    settings,
                );
            }
            Ok(Scanned::Nothing) => {}
            Err(e) => part.problems.push(format!("{}: {e}", file.rel)),
        }
        (part, entry)
    }

    /// `kept`, with what the file reported.
    fn remember(&self, file: &File, kept: Kept, part: &Report) -> Kept {
        let reported = reported_of(part, self.fingerprint);
        match kept {
            Kept::Same(slot) => match self.cache.entry(Some(slot)) {
                Some(e) if e.reported(self.fingerprint) != Some(&reported) => {
                    Kept::new(file.rel, e.clone().with_reported(reported))
                }
                _ => Kept::Same(slot),
            },
            Kept::New(rel, e) => Kept::new(rel, e.with_reported(reported)),
        }
    }

    /// Reads and analyses one source file, or takes what the cache kept of
    /// it ([`Scanned`]). `entry` receives what the cache is to keep.
    fn analyze(
        &mut self,
        file: &File,
        settings: &Settings,
        entry: &mut Option<Kept>,
    ) -> Result<Scanned<'a>, ReadError> {
        let (path, rel) = (file.path, file.rel);
        let Some(lang) = Language::detect(None, rel) else {
            return Ok(Scanned::Nothing);
        };
        // A file unchanged since the cache read it is not read again: it
        // holds no candidate, or the cache kept what the check needs of it.
        let meta = std::fs::symlink_metadata(path).map_err(ReadError::from)?;
        let stat = if self.cache.is_on() && meta.is_file() {
            scan_cache::Stat::of(&meta)
        } else {
            None
        };
        let known = stat.and_then(|s| self.cache.unchanged(file.slot, s));
        // Too large to parse: its start is read to say whether it may hold
        // tags, and it is reported as skipped.
        if meta.is_file() && meta.len() > settings.max_file_size {
            let head = read_head_after_lstat(path, &meta, analysis::SKIPPED_HEAD)
                .map_err(ReadError::from)?;
            let skip = analysis::Skip::TooLarge {
                size: meta.len(),
                limit: settings.max_file_size,
            };
            *entry = known.map(|(slot, _)| Kept::Same(slot));
            return Ok(Scanned::Skipped(skip, head));
        }
        let env_reads = self.env_reads;
        let shaped = |(tags, env): (bool, bool)| tags || (env && env_reads);
        if let Some((slot, e)) = known
            && !shaped(e.shape())
        {
            *entry = Some(Kept::Same(slot));
            return Ok(Scanned::Nothing);
        }
        let registry = &settings.registry;
        // Unchanged, and so is everything its references resolve against:
        // what it reported last time.
        if let Some((slot, e)) = known
            && let Some(reported) = e.reported(self.fingerprint)
        {
            let part = part_of(reported, file.root, rel, registry);
            *entry = Some(Kept::Same(slot));
            return Ok(Scanned::Reported(part));
        }
        // Parsed before and unchanged: the tags are scanned from the lines
        // the cache kept, and the file is not read.
        if let Some((slot, e)) = known
            && e.serves(self.env_reads)
            && let Some((excerpt, parts)) = e.excerpt_parts()
            && let Some(doc) = Document::from_parts(lang, excerpt.text(), parts, registry)
        {
            *entry = Some(Kept::Same(slot));
            let a = self.resolve(&doc, path, settings);
            return Ok(Scanned::Analyzed(doc, a, Some(excerpt)));
        }
        // The walk that listed the file entered no symlink, so the path
        // stays inside the root; only regular files are opened.
        let bytes =
            read_after_lstat(path, &meta, settings.max_file_size).map_err(ReadError::from)?;
        // Parsing is most of the cost, so a file is parsed only when its
        // bytes can hold a tag (`#NAME:`) or an env read (the identifier
        // every env query compares with).
        let shape = match known {
            Some((_, e)) => e.shape(),
            None => (
                crate::tags::scan::may_hold_tag(&bytes),
                crate::syntax::env::may_read_env(lang, &bytes),
            ),
        };
        // Binary content is not parsed, as the editor does not parse it; one
        // that may hold a tag or an env read is reported as skipped.
        if shaped(shape)
            && let Some(skip) =
                analysis::Skip::of(bytes.len() as u64, &bytes, settings.max_file_size)
        {
            let mut head = bytes;
            head.truncate(analysis::SKIPPED_HEAD as usize);
            return Ok(Scanned::Skipped(skip, head));
        }
        // Text that is not UTF-8 (a Latin-1 `©` in a header) is decoded
        // lossily and still checked, as the editor shows it.
        let text = shaped(shape).then(|| String::from_utf8_lossy(&bytes));
        let Some(text) = text.as_deref() else {
            if self.cache.is_on() {
                *entry = Some(Kept::new(
                    rel.to_owned(),
                    Entry::unparsed(stat, self.started, shape),
                ));
            }
            return Ok(Scanned::Nothing);
        };
        // Parsed before and unchanged, by its metadata or by its bytes.
        let mut hash = None;
        let trusted = known
            .filter(|(_, e)| e.serves(env_reads))
            .and_then(|(slot, e)| Some((slot, e.parts_if_parsed()?)));
        let cached = match trusted {
            Some((slot, parts)) => Some((Kept::Same(slot), parts)),
            None if self.cache.is_on() => {
                let h = *hash.insert(scan_cache::hash(&bytes));
                let found = self.cache.get(file.slot, h);
                found
                    .filter(|(e, _)| e.serves(env_reads))
                    .map(|(e, parts)| {
                        let e = e.read_again(stat, self.started);
                        (Kept::new(rel.to_owned(), e), parts)
                    })
            }
            None => None,
        };
        let cached = cached
            .and_then(|(e, parts)| Some((e, Document::from_parts(lang, text, parts, registry)?)));
        let doc = match cached {
            Some((kept, doc)) => {
                *entry = Some(kept);
                doc
            }
            None => {
                // Where no env read is wanted, the comments are all a tag
                // scan needs, and a lexer finds them where it is sure
                // (`syntax::lex`); the parse is the fallback.
                let env_wanted = shape.1 && env_reads;
                let lexed = (!env_wanted)
                    .then(|| crate::syntax::lex::comments(lang, text))
                    .flatten()
                    .and_then(|comments| {
                        let parts = crate::document::SyntaxParts {
                            comments,
                            env_uses: Vec::new(),
                        };
                        Document::from_parts(lang, text, parts, registry)
                    });
                let env_looked = lexed.is_none() || !shape.1;
                let doc = lexed.unwrap_or_else(|| {
                    let parser = self.parsers[lang as usize].get_or_insert_with(|| lang.parser());
                    Document::new(lang, text, parser, registry)
                });
                if self.cache.is_on() {
                    let h = hash.unwrap_or_else(|| scan_cache::hash(&bytes));
                    *entry = Some(Kept::new(
                        rel.to_owned(),
                        Entry::new(
                            h,
                            stat,
                            self.started,
                            shape,
                            doc.rope(),
                            &doc.syntax_parts(),
                            env_looked,
                        ),
                    ));
                }
                doc
            }
        };
        let a = self.resolve(&doc, path, settings);
        Ok(Scanned::Analyzed(doc, a, None))
    }

    fn resolve(&mut self, doc: &Document, path: &Path, settings: &Settings) -> Analysis {
        analysis::analyze_cached(doc, Some(path), &mut self.ws, &mut self.resolved, settings)
    }
}

/// Scans the files of a root that are read whole for their tags
/// ([`crate::markup::reader`]: Markdown plans and reports, other Markdown,
/// Jupyter notebooks) among its walked `files` (with `rels`, their paths
/// relative to the root): their tags and what those name, as the editor
/// shows them for an open file of the same kind.
fn scan_plans(
    report: &mut Report,
    root: &Path,
    files: &[PathBuf],
    rels: &[String],
    ws: &mut Workspace,
    settings: &Settings,
) {
    let mut resolved = crate::resolve::Cache::default();
    for (path, rel) in files.iter().zip(rels) {
        let Some(reader) = crate::markup::reader(settings, root, path) else {
            continue;
        };
        match log::read(ws, path) {
            Ok(Some(text)) => {
                let read = reader.read(&text, &settings.registry);
                let a = read.analyze(Some(path), ws, &mut resolved, settings);
                let rope = ropey::Rope::from_str(&text);
                let first = report.findings.len();
                add(report, root, rel, &rope, None, &a, settings);
                if reader == crate::markup::Reader::Notebook {
                    let cells = crate::markup::NotebookCells::of(&text);
                    for f in &mut report.findings[first..] {
                        f.cell = cells.at(f.finding.range.start);
                    }
                }
            }
            Ok(None) => {}
            Err(e) => report.problems.push(format!("{rel}: {e}")),
        }
    }
}

/// Checks a root's log, and the method's rule that a workspace that uses
/// tags (`first_tag` is the first tag of its first tagged file) keeps a log
/// with claims.
fn scan_log(
    report: &mut Report,
    root: &Path,
    log_path: &Path,
    ws: &mut Workspace,
    settings: &Settings,
    first_tag: Option<&TagPlace>,
) {
    let registry = &settings.registry;
    let log_rel = display_rel(log_path, root);
    // A log that cannot be read inside the root is a problem of the log,
    // never a pass (`LogProblem::Unreadable`).
    let read = log::read(ws, log_path);
    if let Err(e) = &read {
        report.problems.push(format!("{log_rel}: {e}"));
    }
    let doc = read
        .as_ref()
        .ok()
        .and_then(|t| t.as_deref().map(|t| log::parse(t, registry)));
    let problem = log::LogProblem::of_read(
        read.as_ref().map(|t| doc.as_ref().zip(t.as_deref())),
        registry,
    );
    let text = read.ok().flatten();
    let (doc, text) = (doc.unwrap_or_default(), text.unwrap_or_default());
    // git is asked only where the method is in use: without a log there is
    // no claim to check against it and no log to have forgotten a change.
    let git = if problem == Some(log::LogProblem::Missing) {
        None
    } else {
        crate::log::git::state(root, settings.git_base.as_deref())
    };
    if let Some(base) = &settings.git_base
        && git.is_none()
        && problem != Some(log::LogProblem::Missing)
    {
        report.problems.push(format!(
            "git-base {base}: not a revision of a git work tree here; claims were not checked against git"
        ));
    }
    let a = analysis::analyze_log(&doc, &text, log_path, ws, git.as_ref(), settings);
    let rope = ropey::Rope::from_str(&text);
    add(report, root, &log_rel, &rope, None, &a, settings);
    for c in a.checks.iter().filter(|c| c.finding.is_none()) {
        report.verified.push(strip_markdown(&c.hover));
    }
    for c in a.checks.iter() {
        let line = rope.byte_to_line(c.range.start.min(rope.len_bytes())) as u32 + 1;
        for run in c.runs.iter().flatten() {
            report.commands.push(CommandRun {
                root: root.to_path_buf(),
                path: log_rel.clone(),
                line,
                run: run.clone(),
            });
        }
    }
    if let Some(task) = task_of(&text) {
        report
            .tasks
            .insert(root.to_path_buf(), crate::secrets::redact_string(task));
    }
    let Some(problem) = problem else {
        return;
    };
    // On the first tag. A log that exists is the method in use even when
    // no code holds a tag: one that is empty, holds no claim outside code
    // blocks (the method's zero-tag gate) or cannot be read is reported on
    // itself.
    let (path, span) = match first_tag {
        Some(first) => (first.path.clone(), first.span),
        None if problem.without_tags() => (log_rel.clone(), Spans::default()),
        None => return,
    };
    let finding = log::missing_log(
        problem,
        &settings.log,
        log_path,
        Default::default(),
        first_tag.is_none(),
    );
    let Some(finding) = settings.apply(vec![finding]).pop() else {
        return;
    };
    report
        .findings
        .push(Located::new(root, &path, span, finding, log_rel, registry));
}

/// The tags of a root's code that its phase state must record, from the
/// tags a scan found ([`crate::phase::must_be_recorded`]).
pub fn phase_code_tags(
    tags: &[TagPlace],
    root: &Path,
    settings: &Settings,
) -> Vec<crate::phase::CodeTag> {
    tags.iter()
        .filter(|t| t.root == root)
        .filter(|t| crate::phase::must_be_recorded(&t.path, &t.name, settings))
        .map(|t| crate::phase::CodeTag {
            path: t.path.clone(),
            name: t.name.clone(),
            payload: t.payload.clone(),
            span: t.span,
        })
        .collect()
}

/// Checks a root's phase state, when it has one, against the tags the scan
/// found in its code (docs/PHASE.md).
fn scan_phase(report: &mut Report, root: &Path, ws: &mut Workspace, settings: &Settings) {
    let path = settings.phase_state_path(root);
    let rel = display_rel(&path, root);
    let text = match ws.read(&path, crate::phase::MAX_FILE) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(ReadError::Missing) => return,
        Err(e) => {
            report.problems.push(format!("{rel}: {e}"));
            return;
        }
    };
    if let Ok(state) = crate::phase::parse(&text) {
        let events = state.phases.iter().map(|p| p.events.len()).sum();
        report.phase_events = Assumptions::sum([
            report.phase_events,
            Assumptions {
                tags: events,
                open: crate::phase::open_events(&state).len(),
            },
        ]);
    }
    let tags = phase_code_tags(&report.tags, root, settings);
    let a = analysis::analyze_phase(&text, &path, ws, settings, Some(&tags));
    let rope = ropey::Rope::from_str(&text);
    add(report, root, &rel, &rope, None, &a, settings);
}

/// Adds a file's findings, its tag counts and its unchecked assumptions.
/// With an `excerpt`, `rope` and `a` are of the excerpt's text, and the
/// places are moved to the file's lines.
fn add(
    report: &mut Report,
    root: &Path,
    rel_path: &str,
    rope: &ropey::Rope,
    excerpt: Option<&Excerpt>,
    a: &Analysis,
    settings: &Settings,
) {
    let registry = &settings.registry;
    if !a.tags.is_empty() {
        report.tagged_files += 1;
    }
    let mut spanner = Spanner::new(rope, excerpt);
    for t in a.tags.iter() {
        report.tags.push(TagPlace {
            root: root.to_path_buf(),
            path: rel_path.to_owned(),
            span: spanner.spans(t.head_range()),
            name: t.name.to_string(),
            payload: t.payload.to_string(),
            family: registry.get(&t.name).map(|d| d.family),
        });
        match registry.get(&t.name) {
            Some(d) => *report.families.entry(d.family.name()).or_default() += 1,
            None => report.unknown_tags += 1,
        }
    }
    let all = a.findings(settings);
    let mut spanner = Spanner::new(rope, excerpt);
    for mut f in all {
        let span = spanner.spans(f.range);
        // The text under the finding leaves the core as the report's claim
        // and check lines: token-shaped values in it are hidden.
        let subject = rope
            .get_byte_slice(f.range.start..f.range.end)
            .map(|s| {
                crate::secrets::redact_string(
                    s.to_string()
                        .lines()
                        .next()
                        .unwrap_or_default()
                        .trim()
                        .to_owned(),
                )
            })
            .unwrap_or_default();
        if let Some(x) = excerpt {
            f.range = x.file_range(f.range);
        }
        report
            .findings
            .push(Located::new(root, rel_path, span, f, subject, registry));
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether a due date has passed depends on the day, so what a file
    /// with one reports is never kept: each run makes its findings again.
    #[test]
    fn a_dated_file_is_reported_afresh_on_every_run() {
        let dir = tempfile::tempdir().unwrap();
        let (root, cache) = (dir.path().join("ws"), dir.path().join("cache"));
        let write = |rel: &str, text: &str| {
            let path = root.join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        };
        write(
            "src/dated.ts",
            "// #COMPLETION_DRIVE[2001-01-01]: Assuming src/plain.ts exists\n",
        );
        write(
            "src/plain.ts",
            "// #COMPLETION_DRIVE: Assuming src/dated.ts exists\n",
        );
        write(
            ".orchestration/implementation-log.md",
            "## Files Created\n#FILE_CREATED: src/plain.ts (1 lines)\n",
        );
        let roots = configure(std::slice::from_ref(&root), None).unwrap();
        for run in 0..2 {
            let report = scan(&roots, Some(&cache), &mut |_| {});
            let overdue: Vec<&str> = report
                .findings
                .iter()
                .filter(|f| f.finding.code == crate::findings::Code::Overdue)
                .map(|f| f.path.as_str())
                .collect();
            assert_eq!(overdue, ["src/dated.ts"], "run {run}");
            let kept = ScanCache::open(&cache, &root);
            let slots = kept.slots(["src/dated.ts", "src/plain.ts"]);
            let keeps = |slot| kept.entry(slot).map(|e| e.keeps_report());
            assert_eq!(keeps(slots[0]), Some(false), "run {run}");
            assert_eq!(keeps(slots[1]), Some(true), "run {run}");
        }
    }

    #[test]
    fn ra_status_takes_open_assumptions_from_every_source() {
        let none = Assumptions::default();
        let resolved = Assumptions { tags: 3, open: 0 };
        let open = Assumptions { tags: 1, open: 1 };
        assert_eq!(Assumptions::status([none]), RaStatus::None);
        assert_eq!(
            Assumptions::status([none, resolved]),
            RaStatus::PresentResolved
        );
        assert_eq!(
            Assumptions::status([resolved, open]),
            RaStatus::PresentUnresolved
        );
        // A report with no tags, and the events of a phase state.
        let mut report = Report::default();
        assert_eq!(report.ra_status(), RaStatus::None);
        report.phase_events = resolved;
        assert_eq!(report.ra_status(), RaStatus::PresentResolved);
        report.merge(Report {
            phase_events: open,
            ..Report::default()
        });
        assert_eq!(report.ra_status().name(), "present_unresolved");
    }
}
