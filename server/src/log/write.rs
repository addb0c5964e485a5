//! Writing entries into the log: where an entry goes, what text it is, and
//! how the file on disk is changed without ever losing a line.
//!
//! An entry is planned as a list of text edits against the current log
//! text, so the editor can apply them to an open buffer; [`write_to_disk`]
//! applies the same plan to the file under a lock, atomically.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::tags::Registry;
use crate::text::TextRange;
use crate::workspace::fs::{FileKind, Fs, RealFs, read_after_lstat};
use crate::workspace::paths::{display_rel, normalize, rel_inside};

use super::check::SCREENSHOT_WAIVER;
use super::parse::{LogDoc, Section, field_value, parse};

/// An entry to add, or to update when the log already has one for the path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NewEntry {
    /// `#FILE_CREATED: path (N lines)`.
    Created {
        path: String,
        lines: Option<usize>,
        description: Option<String>,
    },
    /// `#FILE_MODIFIED: path` with `Lines affected:` and an empty
    /// `Changes:` (the editor's code action).
    Modified {
        path: String,
        lines_affected: String,
        description: Option<String>,
    },
    /// `#FILE_MODIFIED: path` with `Lines affected:` and `Changes:` saying
    /// what changed, in one line (`tagls log modified --changes "Added
    /// passwordHash"`); see [`NewEntry::with_changes`].
    ModifiedWithChanges {
        path: String,
        lines_affected: String,
        description: Option<String>,
        changes: String,
    },
    /// `#SCREENSHOT_CLAIMED: path` under `## Evidence Captured`, with
    /// `Description:`, `Shows:` and `Timestamp:` (the image's modification
    /// time, ISO 8601 UTC). Build it with [`screenshot_entry`], which checks
    /// that the file is an image inside the workspace.
    Screenshot {
        path: String,
        description: Option<String>,
        shows: Option<String>,
        timestamp: Option<String>,
    },
    /// `#SCREENSHOT_CLAIMED: CANNOT_CAPTURE_SECURITY_POLICY`: a security
    /// policy prevented the capture, with a `Reason:`.
    ScreenshotWaiver { reason: Option<String> },
    /// An assumption moved out of the code, with where it was.
    Assumption {
        tag: String,
        payload: String,
        context: String,
    },
}

/// Why a file cannot be logged as modified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NothingToLog {
    /// git (or the saved file) reports no changed line.
    NoChanges(String),
    /// Not in a git work tree, and no saved text to compare with.
    NoGit(String),
    /// The path has a line break, which would end the entry's first line.
    LineBreak(String),
}

impl std::fmt::Display for NothingToLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NothingToLog::NoChanges(rel) => {
                write!(
                    f,
                    "{rel} has no changes against git HEAD or the saved file; nothing to log"
                )
            }
            NothingToLog::NoGit(rel) => write!(f, "{rel} is not in a git work tree"),
            NothingToLog::LineBreak(rel) => write!(
                f,
                "{} has a line break in its name, which a log entry cannot hold",
                rel.escape_debug()
            ),
        }
    }
}

/// The entry that logs a file, for every face (`tagls log`, the code
/// actions): `#FILE_CREATED` with the line count of `text`, or
/// `#FILE_MODIFIED` with the lines git reports changed against HEAD, else
/// the lines changed against `saved` (the file on disk, when the editor has
/// unsaved changes). Runs `git`: call it off any thread that must not block.
pub fn entry_for(
    root: &Path,
    file: &Path,
    text: &str,
    created: bool,
    saved: Option<&str>,
    description: Option<String>,
) -> Result<NewEntry, NothingToLog> {
    let rel = display_rel(file, root);
    if rel.contains(['\r', '\n']) {
        return Err(NothingToLog::LineBreak(rel));
    }
    let lines = crate::log::check::count_lines(text.as_bytes());
    if created {
        return Ok(NewEntry::Created {
            path: rel,
            lines: Some(lines),
            description,
        });
    }
    let ranges = match git_changed_lines(root, file, lines as u32) {
        Some(r) => r,
        None => match saved {
            Some(saved) => changed_lines(saved, text),
            None => return Err(NothingToLog::NoGit(rel)),
        },
    };
    if ranges.is_empty() {
        return Err(NothingToLog::NoChanges(rel));
    }
    Ok(NewEntry::Modified {
        path: rel,
        lines_affected: format_ranges(&ranges),
        description,
    })
}

/// The largest image tagls logs as a screenshot: what `tagls check`
/// verifies (a larger one is reported there as not checked).
pub const MAX_SCREENSHOT: u64 = 10 << 20;

/// The folder of the workspace where the method keeps its evidence.
pub const EVIDENCE_DIR: &str = ".orchestration/evidence";

/// Why a file cannot be logged as a screenshot. Each names the path as
/// given or relative to the root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NotAScreenshot {
    /// No such file.
    Missing(String),
    /// Outside the root, or reached through a symlink that leads out.
    Outside(String),
    /// A folder, a FIFO, a device.
    NotAFile(String),
    /// Larger than [`MAX_SCREENSHOT`].
    TooLarge(String),
    /// Its bytes are not a PNG, JPEG, GIF, WebP or BMP image (the reason).
    NotAnImage(String, String),
    /// The path has a line break.
    LineBreak(String),
    /// Any other failure to read it.
    Unreadable(String, String),
}

impl std::fmt::Display for NotAScreenshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NotAScreenshot::Missing(p) => write!(f, "{p} does not exist; nothing to log"),
            NotAScreenshot::Outside(p) => write!(
                f,
                "{p} is outside the workspace; a screenshot must be a file of the workspace"
            ),
            NotAScreenshot::NotAFile(p) => write!(f, "{p} is not a regular file"),
            NotAScreenshot::TooLarge(p) => write!(
                f,
                "{p} is larger than {} MiB, which tagls check does not verify",
                MAX_SCREENSHOT >> 20
            ),
            NotAScreenshot::NotAnImage(p, why) => write!(
                f,
                "{p} is not an image: {why}; a screenshot must be a PNG, JPEG, GIF, WebP or BMP file"
            ),
            NotAScreenshot::LineBreak(p) => write!(
                f,
                "{} has a line break in its name, which a log entry cannot hold",
                p.escape_debug()
            ),
            NotAScreenshot::Unreadable(p, e) => write!(f, "{p} cannot be read: {e}"),
        }
    }
}

/// A screenshot checked and ready to log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Screenshot {
    /// A [`NewEntry::Screenshot`].
    pub entry: NewEntry,
    /// `PNG`, `JPEG`, `GIF`, `WebP` or `BMP`.
    pub format: &'static str,
    /// Whether it lies under [`EVIDENCE_DIR`], where the method keeps
    /// evidence.
    pub in_evidence: bool,
}

/// The entry that logs `file` as a screenshot, once it is known to be an
/// image inside the workspace: read through `ws` (which must hold `root`),
/// so a symlink out of the root is not followed and a FIFO or a device is
/// never opened; an image by its bytes (PNG, JPEG, GIF, WebP or BMP, whole
/// enough for its size to be read), whatever its name says. The
/// `Timestamp:` is the file's modification time.
pub fn screenshot_entry(
    ws: &mut crate::workspace::model::Workspace,
    root: &Path,
    file: &Path,
    description: Option<String>,
    shows: Option<String>,
) -> Result<Screenshot, NotAScreenshot> {
    use crate::workspace::model::ReadError;
    let (root, file) = (normalize(root), normalize(file));
    let rel = display_rel(&file, &root);
    if !matches!(rel_inside(&file, &root), Some(r) if !r.as_os_str().is_empty()) {
        return Err(NotAScreenshot::Outside(file.display().to_string()));
    }
    if rel.contains(['\r', '\n']) {
        return Err(NotAScreenshot::LineBreak(rel));
    }
    let bytes = match ws.read(&file, MAX_SCREENSHOT) {
        Ok(b) => b,
        Err(ReadError::Outside) => return Err(NotAScreenshot::Outside(rel)),
        Err(ReadError::Missing) => return Err(NotAScreenshot::Missing(rel)),
        Err(ReadError::NotAFile) => return Err(NotAScreenshot::NotAFile(rel)),
        Err(ReadError::TooLarge) => return Err(NotAScreenshot::TooLarge(rel)),
        Err(ReadError::Io(e)) => return Err(NotAScreenshot::Unreadable(rel, e)),
    };
    let format =
        image_format(&bytes).map_err(|why| NotAScreenshot::NotAnImage(rel.clone(), why))?;
    // The read above followed only symlinks that stay inside the root.
    let timestamp = std::fs::metadata(&file)
        .and_then(|m| m.modified())
        .ok()
        .map(iso8601_utc);
    let in_evidence =
        rel_inside(&file, &root.join(EVIDENCE_DIR)).is_some_and(|r| !r.as_os_str().is_empty());
    Ok(Screenshot {
        entry: NewEntry::Screenshot {
            path: rel,
            description,
            shows,
            timestamp,
        },
        format,
        in_evidence,
    })
}

/// The format of an image by its bytes, or why they are not one tagls
/// accepts as a screenshot.
pub fn image_format(bytes: &[u8]) -> Result<&'static str, String> {
    super::files::image(bytes)
        .map(|i| i.format)
        .map_err(|e| e.to_string())
}

/// A time as ISO 8601 in UTC to the second: `2026-12-04T17:21:15Z`.
pub fn iso8601_utc(time: std::time::SystemTime) -> String {
    // Before 1970, the second that holds the instant.
    jiff::Timestamp::try_from(time)
        .map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

impl NewEntry {
    /// A `#FILE_MODIFIED` entry with its `Changes:` filled (an empty
    /// `changes` leaves the field empty); any other entry as it is.
    pub fn with_changes(self, changes: Option<String>) -> NewEntry {
        match (self, changes) {
            (
                NewEntry::Modified {
                    path,
                    lines_affected,
                    description,
                }
                | NewEntry::ModifiedWithChanges {
                    path,
                    lines_affected,
                    description,
                    ..
                },
                Some(changes),
            ) if !changes.trim().is_empty() => NewEntry::ModifiedWithChanges {
                path,
                lines_affected,
                description,
                changes,
            },
            (entry, _) => entry,
        }
    }

    fn tag(&self) -> &str {
        match self {
            NewEntry::Created { .. } => "FILE_CREATED",
            NewEntry::Modified { .. } | NewEntry::ModifiedWithChanges { .. } => "FILE_MODIFIED",
            NewEntry::Screenshot { .. } | NewEntry::ScreenshotWaiver { .. } => "SCREENSHOT_CLAIMED",
            NewEntry::Assumption { tag, .. } => tag,
        }
    }

    fn path(&self) -> &str {
        match self {
            NewEntry::Created { path, .. }
            | NewEntry::Modified { path, .. }
            | NewEntry::ModifiedWithChanges { path, .. }
            | NewEntry::Screenshot { path, .. } => path,
            NewEntry::ScreenshotWaiver { .. } => SCREENSHOT_WAIVER,
            NewEntry::Assumption { payload, .. } => payload,
        }
    }

    /// The section of the template the entry belongs in.
    fn section(&self) -> &'static str {
        match self {
            NewEntry::Created { .. } => "Files Created",
            NewEntry::Modified { .. } | NewEntry::ModifiedWithChanges { .. } => "Files Modified",
            NewEntry::Screenshot { .. } | NewEntry::ScreenshotWaiver { .. } => "Evidence Captured",
            NewEntry::Assumption { .. } => "Assumptions Made",
        }
    }

    /// The entry's first line, without a line break.
    fn head(&self) -> String {
        match self {
            NewEntry::Created {
                path,
                lines: Some(1),
                ..
            } => format!("#FILE_CREATED: {} (1 line)", written(path)),
            NewEntry::Created {
                path,
                lines: Some(n),
                ..
            } => format!("#FILE_CREATED: {} ({n} lines)", written(path)),
            NewEntry::Created {
                path, lines: None, ..
            } => format!("#FILE_CREATED: {}", written(path)),
            NewEntry::Modified { path, .. } | NewEntry::ModifiedWithChanges { path, .. } => {
                format!("#FILE_MODIFIED: {}", written(path))
            }
            NewEntry::Screenshot { path, .. } => {
                format!("#SCREENSHOT_CLAIMED: {}", written(path))
            }
            NewEntry::ScreenshotWaiver { .. } => {
                format!("#SCREENSHOT_CLAIMED: {SCREENSHOT_WAIVER}")
            }
            NewEntry::Assumption { tag, payload, .. } => {
                format!("#{tag}: {}", payload.replace(['\r', '\n'], " "))
            }
        }
    }

    /// The entry's fields in the order they are written, with their values
    /// (`None`: written empty).
    fn fields(&self) -> Vec<(&'static str, Option<&str>)> {
        match self {
            NewEntry::Created { description, .. } => {
                vec![("Description", description.as_deref()), ("Purpose", None)]
            }
            NewEntry::Modified {
                lines_affected,
                description,
                ..
            } => vec![
                ("Lines affected", Some(lines_affected)),
                ("Description", description.as_deref()),
                ("Changes", None),
            ],
            NewEntry::ModifiedWithChanges {
                lines_affected,
                description,
                changes,
                ..
            } => vec![
                ("Lines affected", Some(lines_affected)),
                ("Description", description.as_deref()),
                ("Changes", Some(changes)),
            ],
            NewEntry::Screenshot {
                description,
                shows,
                timestamp,
                ..
            } => vec![
                ("Description", description.as_deref()),
                ("Shows", shows.as_deref()),
                ("Timestamp", timestamp.as_deref()),
            ],
            NewEntry::ScreenshotWaiver { reason } => vec![("Reason", reason.as_deref())],
            NewEntry::Assumption { context, .. } => vec![("Context", Some(context))],
        }
    }

    /// The fields an update of an existing entry writes, with their value
    /// and how: only those with a value.
    fn updated_fields(&self) -> Vec<(&'static str, &str, Update)> {
        self.fields()
            .into_iter()
            .filter_map(|(key, value)| {
                let value = value.map(str::trim).filter(|v| !v.is_empty())?;
                let how = match key {
                    "Lines affected" | "Timestamp" => Update::Replace,
                    "Changes" => Update::Append,
                    _ => Update::Fill,
                };
                Some((key, value, how))
            })
            .collect()
    }

    /// Every line of the entry.
    fn lines(&self) -> Vec<String> {
        let mut out = vec![self.head()];
        out.extend(self.fields().into_iter().map(|(k, v)| field(k, v)));
        out
    }
}

/// How an update writes a field the entry already has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Update {
    /// What tagls computes (`Lines affected`, `Timestamp`): the new value
    /// replaces the old.
    Replace,
    /// What a person writes (`Description`, `Shows`, `Reason`): the value
    /// fills an empty field; text already there is kept.
    Fill,
    /// `Changes`, which add up: the value is added after `; ` unless the
    /// field holds it already.
    Append,
}

/// A claim's path as the checker reads it back (`log::check::claims`): as
/// it is, or in quotes when it has a space or starts or ends with what the
/// checker takes for punctuation (`` `docs/Release Notes.md` ``).
fn written(path: &str) -> String {
    let plain = !path.is_empty()
        && !path.contains(char::is_whitespace)
        && !path.starts_with(['`', '"', '\''])
        && !path.ends_with([',', ';', ':']);
    if plain {
        return path.to_owned();
    }
    // The first quote the path does not hold; the checker reads up to the
    // next one of the same kind.
    let quote = ['`', '"', '\'']
        .into_iter()
        .find(|q| !path.contains(*q))
        .unwrap_or('`');
    format!("{quote}{path}{quote}")
}

fn field(key: &str, value: Option<&str>) -> String {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        Some(v) => format!("  {key}: {}", inert(v)),
        None => format!("  {key}:"),
    }
}

/// A field's value as text that cannot start an entry: one line (a line
/// break would end the field), and every `#` before a capital escaped as
/// `\#`, which Markdown shows as `#` and the tag scanner does not read as
/// the start of a `#NAME:` tag.
fn inert(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' | '\n' => out.push(' '),
            '#' if chars.peek().is_some_and(char::is_ascii_uppercase) => out.push_str("\\#"),
            c => out.push(c),
        }
    }
    out
}

/// The sections of the method's log, in its template's order: a new log
/// has all of them, and a section added to a log goes where this order
/// puts it.
pub const SKELETON_SECTIONS: &[&str] = &[
    "Assumptions Made",
    "Files Created",
    "Files Modified",
    "Evidence Captured",
    "Integration Points",
];

/// The text of a new, empty log.
pub fn skeleton(eol: &str) -> String {
    let mut s = format!("# Implementation Log{eol}");
    for title in SKELETON_SECTIONS {
        s.push_str(&format!("{eol}## {title}{eol}"));
    }
    s
}

/// One replacement in the log text. Edits of a plan do not overlap and are
/// in ascending order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edit {
    pub range: TextRange,
    pub text: String,
}

/// The line break a log uses: CRLF if its first line break is one.
pub fn line_ending(text: &str) -> &'static str {
    match text.find('\n') {
        Some(i) if i > 0 && text.as_bytes()[i - 1] == b'\r' => "\r\n",
        _ => "\n",
    }
}

/// The edits that add `entry` to `text`, or update the entry already there
/// for the same tag and path.
pub fn plan(text: &str, entry: &NewEntry, registry: &Registry) -> Vec<Edit> {
    let eol = line_ending(text);
    if text.trim().is_empty() {
        // No log yet, or an empty one: the method's skeleton with the entry
        // in its section.
        let skel = skeleton(eol);
        let with_entry = apply(&skel, &plan(&skel, entry, registry));
        return vec![Edit {
            range: TextRange::new(0, text.len()),
            text: with_entry,
        }];
    }
    let log = parse(text, registry);
    if let Some(edits) = update_existing(text, &log, entry, eol) {
        return edits;
    }
    let body: String = entry.lines().iter().map(|l| format!("{l}{eol}")).collect();
    let Some(s) = find_section(&log, entry.section()) else {
        return vec![add_section(text, &log, entry.section(), &body, eol)];
    };
    // After the last non-blank line of the section, one blank line between
    // entries.
    let content = &text[s.heading.end.min(text.len())..s.end.min(text.len())];
    let last_line_end = last_nonblank_line_end(content).map(|e| s.heading.end + e);
    let at = last_line_end.unwrap_or_else(|| line_end(text, s.heading.end));
    let mut insert = String::new();
    if !text[..at].ends_with('\n') && !text[..at].ends_with('\r') {
        insert.push_str(eol);
    }
    insert.push_str(eol);
    insert.push_str(&body);
    // The next heading keeps a blank line before it.
    let rest = &text[at..];
    if !rest.is_empty() && !rest.starts_with(['\n', '\r']) {
        insert.push_str(eol);
    }
    vec![Edit {
        range: TextRange::new(at, at),
        text: insert,
    }]
}

/// The first section whose heading is `title`, whatever its case and the
/// space around it.
fn find_section<'a>(log: &'a LogDoc, title: &str) -> Option<&'a Section> {
    log.sections
        .iter()
        .find(|s| s.title.trim().eq_ignore_ascii_case(title))
}

/// Where a section stands in the template's order, if it is one of its.
fn template_rank(section: &Section) -> Option<usize> {
    SKELETON_SECTIONS
        .iter()
        .position(|t| section.title.trim().eq_ignore_ascii_case(t))
}

/// The edit that adds the missing section `title`, holding `body`, where
/// the template puts it: after the last (in the log's order) of the
/// template's sections that precede it, else before the first of those that
/// follow it, else at the end. It gets the level of the section it is put
/// next to (`##` at the end). Extra sections and odd orders are left as
/// they are.
fn add_section(text: &str, log: &LogDoc, title: &str, body: &str, eol: &str) -> Edit {
    let rank = SKELETON_SECTIONS
        .iter()
        .position(|t| *t == title)
        .unwrap_or(SKELETON_SECTIONS.len());
    let before = log
        .sections
        .iter()
        .filter(|s| template_rank(s).is_some_and(|r| r < rank))
        .max_by_key(|s| s.heading.start);
    let after = log
        .sections
        .iter()
        .filter(|s| template_rank(s).is_some_and(|r| r > rank))
        .min_by_key(|s| s.heading.start);
    let (at, level) = match (before, after) {
        (Some(s), _) if s.end >= text.len() => (text.len(), s.level),
        (Some(s), _) => (line_start(text, s.end), s.level),
        (None, Some(s)) => (line_start(text, s.heading.start), s.level),
        (None, None) => (text.len(), 2),
    };
    let (head, rest) = text.split_at(at);
    let mut insert = String::new();
    // A final line break first if the log lacks one, then a blank line
    // before the heading.
    if !head.is_empty() && !head.ends_with('\n') && !head.ends_with('\r') {
        insert.push_str(eol);
        insert.push_str(eol);
    } else if !head.is_empty() && !ends_with_blank_line(head) {
        insert.push_str(eol);
    }
    let marks = "#".repeat(usize::from(level.clamp(1, 6)));
    insert.push_str(&format!("{marks} {title}{eol}{eol}{body}"));
    // The heading that follows keeps a blank line before it.
    if !rest.is_empty() {
        insert.push_str(eol);
    }
    Edit {
        range: TextRange::new(at, at),
        text: insert,
    }
}

/// The start of the line holding `offset`.
fn line_start(text: &str, offset: usize) -> usize {
    let offset = offset.min(text.len());
    text[..offset].rfind('\n').map_or(0, |i| i + 1)
}

/// Whether `text`, which ends with a line break, ends with a blank line
/// (or is nothing but that line break).
fn ends_with_blank_line(text: &str) -> bool {
    let body = text.strip_suffix('\n').unwrap_or(text);
    let body = body.strip_suffix('\r').unwrap_or(body);
    body.rsplit('\n').next().is_none_or(|l| l.trim().is_empty())
}

/// Where the log already has the entry `entry` would update: the 0-based
/// line of its first line, or `None` when adding it would add a new entry.
pub fn logged_line(text: &str, entry: &NewEntry, registry: &Registry) -> Option<usize> {
    let log = parse(text, registry);
    let existing = existing_entry(&log, entry)?;
    let at = existing.tag.head_range().start.min(text.len());
    Some(
        text.as_bytes()[..at]
            .iter()
            .filter(|b| **b == b'\n')
            .count(),
    )
}

/// The entry already in the log that `entry` would update: the claim for
/// the same tag and path (read as the checker reads it, so a quoted path
/// is one path), or the screenshot waiver.
fn existing_entry<'a>(log: &'a LogDoc, entry: &NewEntry) -> Option<&'a super::parse::Entry> {
    match entry {
        // Each moved assumption is its own entry.
        NewEntry::Assumption { .. } => None,
        NewEntry::ScreenshotWaiver { .. } => log.entries.iter().find(|e| {
            e.tag.name == "SCREENSHOT_CLAIMED"
                && e.tag
                    .payload
                    .split_whitespace()
                    .next()
                    .map(|w| w.trim_matches(['`', '"', '\'']))
                    == Some(SCREENSHOT_WAIVER)
        }),
        _ => {
            let claim = crate::log::check::claims(log)
                .into_iter()
                .find(|c| c.tag == entry.tag() && c.path == entry.path())?;
            log.entries
                .iter()
                .find(|e| e.tag.full_range() == claim.entry)
        }
    }
}

/// Edits that bring an existing entry up to date: the first line of a
/// created file (its count), the fields tagls computes (`Lines affected`,
/// `Timestamp`), an empty field a value is given for, `Changes:` added to;
/// a field it lacks is added after its last line. Text a person wrote is
/// kept.
fn update_existing(text: &str, log: &LogDoc, entry: &NewEntry, eol: &str) -> Option<Vec<Edit>> {
    let existing = existing_entry(log, entry)?;
    let mut edits = Vec::new();
    // Only a created file's first line says more than the path it was
    // found by; any other keeps what follows its path (`- after the fix`).
    if matches!(entry, NewEntry::Created { .. }) {
        edits.push(Edit {
            range: existing.tag.head_range(),
            text: entry.head(),
        });
    }
    let mut added = String::new();
    for (key, value, how) in entry.updated_fields() {
        let value = inert(value);
        let Some(line) = existing.field(key) else {
            added.push_str(&format!("  {key}: {value}{eol}"));
            continue;
        };
        let old = field_value(line);
        match how {
            Update::Replace => edits.push(Edit {
                range: line.range,
                text: format!("{key}: {value}"),
            }),
            Update::Fill | Update::Append if old.is_empty() => edits.push(Edit {
                range: TextRange::new(line.range.end, line.range.end),
                text: format!(" {value}"),
            }),
            Update::Append if !old.contains(&value) => edits.push(Edit {
                range: TextRange::new(line.range.end, line.range.end),
                text: format!("; {value}"),
            }),
            Update::Fill | Update::Append => {}
        }
    }
    if !added.is_empty() {
        let last = existing
            .tag
            .continuation
            .last()
            .map_or(existing.tag.head_range().end, |l| l.range.start);
        let at = line_end(text, last);
        if !text[..at].ends_with('\n') {
            added.insert_str(0, eol);
        }
        edits.push(Edit {
            range: TextRange::new(at, at),
            text: added,
        });
    }
    // In ascending order, as a plan's edits are.
    edits.sort_by_key(|e| (e.range.start, e.range.end));
    Some(edits)
}

/// The offset just after the line break of the line holding `offset`.
fn line_end(text: &str, offset: usize) -> usize {
    match text[offset.min(text.len())..].find('\n') {
        Some(i) => offset + i + 1,
        None => text.len(),
    }
}

/// The offset after the line break of the last line with non-blank text.
fn last_nonblank_line_end(content: &str) -> Option<usize> {
    let trimmed = content.trim_end();
    if trimmed.trim_start().is_empty() {
        return None;
    }
    Some(line_end(content, trimmed.len()))
}

/// The text after applying a plan.
pub fn apply(text: &str, edits: &[Edit]) -> String {
    let mut out =
        String::with_capacity(text.len() + edits.iter().map(|e| e.text.len()).sum::<usize>());
    let mut at = 0;
    for e in edits {
        let start = e.range.start.clamp(at, text.len());
        let end = e.range.end.clamp(start, text.len());
        out.push_str(&text[at..start]);
        out.push_str(&e.text);
        at = end;
    }
    out.push_str(&text[at..]);
    out
}

/// Adds an entry to the log file on disk (see [`update_file`]).
pub fn write_to_disk(
    root: &Path,
    log_path: &Path,
    entry: &NewEntry,
    registry: &Registry,
) -> io::Result<()> {
    update_file(root, log_path, |old| {
        apply(old, &plan(old, entry, registry))
    })
}

/// What [`write_entry`] did to the log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Logged {
    /// The entry was added or updated.
    Written,
    /// The log holds the entry as it would be written, at this zero-based
    /// line.
    AlreadyLogged(usize),
    /// The log's entry for the file needs no change.
    UpToDate,
}

/// What the user is told when an entry needs no change: `line` is where
/// the log holds it (zero-based), when known.
pub fn unchanged_message(rel: &str, tag: &str, log_rel: &str, line: Option<usize>) -> String {
    match line {
        Some(line) => format!(
            "{rel} is already logged as #{tag} ({log_rel}, line {}); nothing to change",
            line + 1
        ),
        None => format!("the log's #{tag} entry for {rel} is up to date"),
    }
}

/// [`write_to_disk`], saying whether the log changed, and where it already
/// holds the entry when it did not.
pub fn write_entry(
    root: &Path,
    log_path: &Path,
    entry: &NewEntry,
    registry: &Registry,
) -> io::Result<Logged> {
    let mut outcome = Logged::Written;
    update_file(root, log_path, |old| {
        let new = apply(old, &plan(old, entry, registry));
        if new == old {
            outcome = match logged_line(old, entry, registry) {
                Some(line) => Logged::AlreadyLogged(line),
                None => Logged::UpToDate,
            };
        }
        new
    })?;
    Ok(outcome)
}

/// The largest file tagls reads in order to rewrite it.
pub const MAX_WRITTEN: u64 = 1 << 30;

/// Why tagls will not write a file (see [`may_write`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unwritable {
    /// Outside the root, or the root itself.
    Outside,
    /// The file is a symlink, or the folder named on its way is.
    Symlink(Option<String>),
    /// A FIFO, a socket, a device or a folder.
    NotAFile,
    /// The name on the way, relative to the root, is not a folder.
    NotAFolder(String),
}

impl std::fmt::Display for Unwritable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unwritable::Outside => write!(f, "it is outside the workspace")?,
            Unwritable::Symlink(None) => write!(f, "it is a symlink")?,
            Unwritable::Symlink(Some(dir)) => write!(f, "{dir} is a symlink")?,
            Unwritable::NotAFile => write!(f, "it is not a regular file")?,
            Unwritable::NotAFolder(name) => write!(f, "{name} is not a folder")?,
        }
        write!(f, "; tagls writes only regular files inside the workspace")
    }
}

impl std::error::Error for Unwritable {}

impl From<Unwritable> for io::Error {
    fn from(e: Unwritable) -> io::Error {
        io::Error::new(io::ErrorKind::InvalidInput, e)
    }
}

/// The one rule for every file tagls writes on disk (the log, the report,
/// the files the editor's commands change): `path` may be written as a file
/// of `root` when it lies inside the root, every name on its way is a real
/// folder (no symlink, whether it points in or out), and the file is a
/// regular file or missing. Nothing beyond the root is looked at: each name
/// is `lstat`ed from the root down, and the walk stops at the first symlink
/// or missing name. Returns whether the file exists; a refusal is an
/// [`Unwritable`] inside the `io::Error`.
pub fn may_write(fs: &dyn Fs, root: &Path, path: &Path) -> io::Result<bool> {
    let (root, path) = (normalize(root), normalize(path));
    let rel = match rel_inside(&path, &root) {
        Some(rel) if !rel.as_os_str().is_empty() => rel.to_path_buf(),
        _ => return Err(Unwritable::Outside.into()),
    };
    let names: Vec<_> = rel.components().collect();
    let mut at = root.clone();
    for (i, name) in names.iter().enumerate() {
        at.push(name);
        let last = i + 1 == names.len();
        let shown = || display_rel(&at, &root);
        let refusal = match fs.lstat(&at) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(e),
            Ok(FileKind::Dir) if !last => continue,
            Ok(FileKind::File) if last => return Ok(true),
            Ok(FileKind::Symlink) if last => Unwritable::Symlink(None),
            Ok(FileKind::Symlink) => Unwritable::Symlink(Some(shown())),
            Ok(_) if last => Unwritable::NotAFile,
            Ok(_) => Unwritable::NotAFolder(shown()),
        };
        return Err(refusal.into());
    }
    Err(Unwritable::Outside.into())
}

/// How often a file replaced between its `lstat` and its read is looked at
/// again before it is given up as not a regular file.
const REPLACED_RETRIES: usize = 100;

/// The text of a file tagls may write (see [`may_write`]), and its
/// metadata; a missing file reads as empty. The read is bounded
/// ([`MAX_WRITTEN`]) and opens only the regular file that was checked, so a
/// FIFO, a device or a symlink put there meanwhile is refused, not read.
pub fn read_writable(root: &Path, path: &Path) -> io::Result<(String, Option<std::fs::Metadata>)> {
    if !may_write(&RealFs, root, path)? {
        return Ok((String::new(), None));
    }
    // An editor saving the log renames a new file over it, or deletes it:
    // a file replaced between the look and the read is looked at again.
    let mut attempts = 0;
    let (bytes, meta) = loop {
        let meta = match std::fs::symlink_metadata(path) {
            Ok(meta) => meta,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok((String::new(), None)),
            Err(e) => return Err(e),
        };
        if !meta.is_file() {
            return Err(Unwritable::NotAFile.into());
        }
        match read_after_lstat(path, &meta, MAX_WRITTEN) {
            Ok(bytes) => break (bytes, meta),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::InvalidInput | io::ErrorKind::NotFound
                ) && attempts < REPLACED_RETRIES =>
            {
                attempts += 1;
            }
            Err(e) if e.kind() == io::ErrorKind::InvalidInput => {
                return Err(Unwritable::NotAFile.into());
            }
            Err(e) => return Err(e),
        }
    };
    let text = String::from_utf8(bytes).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            "it is not UTF-8 text; fix or move it first",
        )
    })?;
    Ok((text, Some(meta)))
}

/// Creates the folders of `dir` that are missing, one at a time, below
/// `root`; [`may_write`] has checked that those there are real folders.
fn create_folders(root: &Path, dir: &Path) -> io::Result<()> {
    let Some(rel) = rel_inside(dir, root) else {
        return Err(Unwritable::Outside.into());
    };
    let mut at: PathBuf = root.to_path_buf();
    for name in rel.components() {
        at.push(name);
        match std::fs::create_dir(&at) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Changes a text file of `root` on disk, if [`may_write`] allows it:
/// under an exclusive lock on its folder (so concurrent writers, editors
/// and `tagls log` commands, take turns), read it ([`read_writable`]),
/// compute the new text, write it to a temporary file in the same folder,
/// flush that to disk, and rename it over the file. A crash leaves the old
/// text or the new one, never a torn or truncated file. An existing file
/// keeps its mode; a new one gets the mode any new file gets (0666 less the
/// umask).
pub fn update_file(
    root: &Path,
    path: &Path,
    change: impl FnOnce(&str) -> String,
) -> io::Result<()> {
    use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
    let (root, path) = (normalize(root), normalize(path));
    let dir = path
        .parent()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "the path has no folder"))?;
    may_write(&RealFs, &root, &path)?;
    create_folders(&root, dir)?;
    let lock = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_DIRECTORY | libc::O_NOFOLLOW)
        .open(dir)?;
    lock.lock()?;
    // Checked again under the lock: the first check only kept the folders
    // from being created through a symlink.
    let (old, meta) = read_writable(&root, &path)?;
    let new = change(&old);
    if new == old {
        return Ok(());
    }
    let mode = match &meta {
        // Set below, where the umask does not apply.
        Some(_) => 0o600,
        None => 0o666,
    };
    let mut tmp = tempfile::Builder::new()
        .permissions(std::fs::Permissions::from_mode(mode))
        .tempfile_in(dir)?;
    tmp.write_all(new.as_bytes())?;
    tmp.as_file().sync_all()?;
    if let Some(meta) = &meta {
        // Keep the file's permissions.
        let _ = std::fs::set_permissions(tmp.path(), meta.permissions());
    }
    tmp.persist(&path).map_err(|e| e.error)?;
    drop(lock);
    Ok(())
}

/// The edit that adds `NAME=` to an env file, or none if it defines the
/// name already.
pub fn plan_env_var(text: &str, name: &str) -> Vec<Edit> {
    if crate::workspace::envfile::scan(text)
        .iter()
        .any(|k| k.name == name)
    {
        return Vec::new();
    }
    let eol = line_ending(text);
    let mut insert = String::new();
    if !text.is_empty() && !text.ends_with('\n') && !text.ends_with('\r') {
        insert.push_str(eol);
    }
    insert.push_str(&format!("{name}={eol}"));
    vec![Edit {
        range: TextRange::new(text.len(), text.len()),
        text: insert,
    }]
}

/// The edit that writes the skeleton into an empty log, or none when the
/// log has text.
pub fn plan_new_log(text: &str) -> Vec<Edit> {
    if !text.trim().is_empty() {
        return Vec::new();
    }
    vec![Edit {
        range: TextRange::new(0, text.len()),
        text: skeleton("\n"),
    }]
}

/// `8, 102-115` from one-based, inclusive line ranges, merging neighbours.
pub fn format_ranges(ranges: &[(u32, u32)]) -> String {
    let mut sorted: Vec<(u32, u32)> = ranges.to_vec();
    sorted.sort_unstable();
    let mut merged: Vec<(u32, u32)> = Vec::new();
    for (a, b) in sorted {
        match merged.last_mut() {
            Some(last) if a <= last.1 + 1 => last.1 = last.1.max(b),
            _ => merged.push((a, b)),
        }
    }
    merged
        .iter()
        .map(|&(a, b)| {
            if a == b {
                a.to_string()
            } else {
                format!("{a}-{b}")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The one-based line ranges of `new` that differ from `old`.
pub fn changed_lines(old: &str, new: &str) -> Vec<(u32, u32)> {
    let diff = similar::TextDiff::from_lines(old, new);
    diff.ops()
        .iter()
        .filter_map(|op| match *op {
            similar::DiffOp::Insert {
                new_index, new_len, ..
            }
            | similar::DiffOp::Replace {
                new_index, new_len, ..
            } => Some((new_index as u32 + 1, (new_index + new_len) as u32)),
            // A deletion touches the line that now stands where it was.
            similar::DiffOp::Delete { new_index, .. } => {
                let line = new_index as u32 + 1;
                Some((line, line))
            }
            similar::DiffOp::Equal { .. } => None,
        })
        .collect()
}

/// The lines of `file` changed since git's HEAD, by running the real `git`
/// with an argument list (never a shell). `None` when `root` is not a git
/// work tree or git is not installed; an untracked file counts as changed
/// in full.
pub fn git_changed_lines(root: &Path, file: &Path, line_count: u32) -> Option<Vec<(u32, u32)>> {
    let rel = file.strip_prefix(root).ok()?;
    let git = |args: &[&str], path: Option<&Path>| {
        let mut cmd = super::git::command(root);
        cmd.args(args);
        if let Some(p) = path {
            cmd.arg(p);
        }
        cmd.stdin(std::process::Stdio::null()).output().ok()
    };
    if !git(&["rev-parse", "--is-inside-work-tree"], None)?
        .status
        .success()
    {
        return None;
    }
    if !git(&["ls-files", "--error-unmatch", "--"], Some(rel))?
        .status
        .success()
    {
        return Some(vec![(1, line_count.max(1))]);
    }
    let out = git(
        &[
            "diff",
            "--no-color",
            "--no-ext-diff",
            "--unified=0",
            "HEAD",
            "--",
        ],
        Some(rel),
    )?;
    if !out.status.success() {
        return None;
    }
    Some(parse_hunks(&String::from_utf8_lossy(&out.stdout)))
}

/// The new-side line ranges of the hunk headers of a one-file diff.
fn parse_hunks(diff: &str) -> Vec<(u32, u32)> {
    let to = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    diff.lines()
        .filter_map(super::git::hunk)
        .map(|(a, b)| (to(a), to(b)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workspace::fs::FakeFs;

    fn add(text: &str, entry: &NewEntry) -> String {
        apply(text, &plan(text, entry, &Registry::builtin()))
    }

    fn created(path: &str, lines: usize) -> NewEntry {
        NewEntry::Created {
            path: path.into(),
            lines: Some(lines),
            description: None,
        }
    }

    #[test]
    fn an_empty_log_gets_the_skeleton() {
        let out = add("", &created("src/a.ts", 12));
        assert_eq!(
            out,
            "# Implementation Log\n\n## Assumptions Made\n\n## Files Created\n\n#FILE_CREATED: src/a.ts (12 lines)\n  Description:\n  Purpose:\n\n## Files Modified\n\n## Evidence Captured\n\n## Integration Points\n"
        );
    }

    #[test]
    fn entries_go_under_their_section() {
        let log = "# Log\n\n## Files Created\n#FILE_CREATED: src/a.ts (3 lines)\n  Description: a\n\n## Files Modified\n";
        let out = add(log, &created("src/b.ts", 1));
        assert_eq!(
            out,
            "# Log\n\n## Files Created\n#FILE_CREATED: src/a.ts (3 lines)\n  Description: a\n\n#FILE_CREATED: src/b.ts (1 line)\n  Description:\n  Purpose:\n\n## Files Modified\n"
        );
        // The existing text is kept, in order.
        assert!(out.starts_with(
            "# Log\n\n## Files Created\n#FILE_CREATED: src/a.ts (3 lines)\n  Description: a\n"
        ));
    }

    #[test]
    fn a_missing_section_is_added_and_a_final_newline_first() {
        let out = add(
            "# Log\nnotes",
            &NewEntry::Modified {
                path: "src/a.ts".into(),
                lines_affected: "8, 102-115".into(),
                description: Some("fix".into()),
            },
        );
        assert_eq!(
            out,
            "# Log\nnotes\n\n## Files Modified\n\n#FILE_MODIFIED: src/a.ts\n  Lines affected: 8, 102-115\n  Description: fix\n  Changes:\n"
        );
    }

    #[test]
    fn an_entry_for_the_same_path_is_updated_not_duplicated() {
        let log = "## Files Created\n#FILE_CREATED: src/a.ts (3 lines)\n  Description: keep me\n";
        let out = add(log, &created("src/a.ts", 40));
        assert_eq!(
            out,
            "## Files Created\n#FILE_CREATED: src/a.ts (40 lines)\n  Description: keep me\n"
        );
        let log = "## Files Modified\n#FILE_MODIFIED: src/a.ts\n  Lines affected: 1-2\n  Description: d\n";
        let out = add(
            log,
            &NewEntry::Modified {
                path: "src/a.ts".into(),
                lines_affected: "5".into(),
                description: None,
            },
        );
        assert_eq!(
            out,
            "## Files Modified\n#FILE_MODIFIED: src/a.ts\n  Lines affected: 5\n  Description: d\n"
        );
    }

    #[test]
    fn crlf_logs_stay_crlf() {
        let log = "# Log\r\n\r\n## Files Created\r\n\r\n## Files Modified\r\n";
        let out = add(log, &created("a.go", 2));
        assert_eq!(
            out,
            "# Log\r\n\r\n## Files Created\r\n\r\n#FILE_CREATED: a.go (2 lines)\r\n  Description:\r\n  Purpose:\r\n\r\n## Files Modified\r\n"
        );
    }

    #[test]
    fn examples_in_code_blocks_are_not_entries() {
        let log = "## Files Created\n```\n#FILE_CREATED: src/a.ts (3 lines)\n```\n";
        let out = add(log, &created("src/a.ts", 9));
        assert!(
            out.contains("```\n#FILE_CREATED: src/a.ts (3 lines)\n```\n"),
            "{out}"
        );
        assert!(
            out.contains("#FILE_CREATED: src/a.ts (9 lines)\n  Description:"),
            "{out}"
        );
    }

    #[test]
    fn ranges_are_merged_and_formatted() {
        assert_eq!(
            format_ranges(&[(102, 110), (8, 8), (111, 115)]),
            "8, 102-115"
        );
        assert_eq!(changed_lines("a\nb\nc\n", "a\nB\nc\nd\n"), [(2, 2), (4, 4)]);
        assert_eq!(
            parse_hunks("@@ -1,0 +2,3 @@\n+x\n@@ -9 +12 @@\n@@ -20,2 +23,0 @@\n"),
            [(2, 4), (12, 12), (23, 23)]
        );
    }

    #[test]
    fn paths_and_fields_read_back_as_written() {
        let registry = Registry::builtin();
        let out = add("", &created("docs/Release Notes.md", 3));
        assert!(
            out.contains("#FILE_CREATED: `docs/Release Notes.md` (3 lines)\n"),
            "{out}"
        );
        // Updated in place, not added again.
        let again = add(&out, &created("docs/Release Notes.md", 4));
        assert_eq!(again.matches("#FILE_CREATED: ").count(), 1, "{again}");
        assert!(
            again.contains("`docs/Release Notes.md` (4 lines)"),
            "{again}"
        );
        for (path, head) in [
            ("a `b` c.ts", "\"a `b` c.ts\""),
            ("list,", "`list,`"),
            ("'quoted'", "`'quoted'`"),
            ("src/plain.ts", "src/plain.ts"),
        ] {
            assert_eq!(written(path), head);
            let log = add("", &created(path, 1));
            let claims = crate::log::check::claims(&crate::log::parse(&log, &registry));
            let paths: Vec<&str> = claims.iter().map(|c| c.path.as_str()).collect();
            assert_eq!(paths, [path], "{log}");
        }
        // A description cannot start an entry of its own.
        let entry = NewEntry::Created {
            path: "src/a.ts".into(),
            lines: Some(1),
            description: Some(
                "x\n#FILE_CREATED: fake.ts (1 lines) and #FILE_MODIFIED: b.ts".into(),
            ),
        };
        let log = add("", &entry);
        assert!(
            log.contains(
                "  Description: x \\#FILE_CREATED: fake.ts (1 lines) and \\#FILE_MODIFIED: b.ts\n"
            ),
            "{log}"
        );
        let claims = crate::log::check::claims(&crate::log::parse(&log, &registry));
        assert_eq!(claims.len(), 1, "{log}");
        assert_eq!(inert("#fff and C# #1"), "#fff and C# #1");
    }

    #[test]
    fn only_regular_files_reached_without_symlinks_may_be_written() {
        let fs = FakeFs::new();
        fs.file("/ws/.orchestration/log.md", "")
            .dir("/ws/empty")
            .file("/ws/plain", "")
            .symlink("/ws/.orchestration/linked.md", "log.md")
            .symlink("/ws/.orchestration/out.md", "/etc/passwd")
            .symlink("/ws/linked", "/elsewhere")
            .fifo("/ws/.orchestration/pipe.md");
        let root = Path::new("/ws");
        let why = |p: &str| {
            may_write(&fs, root, Path::new(p))
                .map_err(|e| {
                    e.get_ref()
                        .and_then(|e| e.downcast_ref::<Unwritable>())
                        .cloned()
                })
                .map_err(|e| e.map_or_else(String::new, |e| e.to_string()))
        };
        assert_eq!(why("/ws/.orchestration/log.md"), Ok(true));
        assert_eq!(why("/ws/.orchestration/new.md"), Ok(false));
        assert_eq!(why("/ws/new/deeper/log.md"), Ok(false));
        let refused = |p: &str| why(p).unwrap_err();
        for (path, reason) in [
            ("/ws/.orchestration/linked.md", "it is a symlink"),
            ("/ws/.orchestration/out.md", "it is a symlink"),
            ("/ws/linked/log.md", "linked is a symlink"),
            ("/ws/.orchestration/pipe.md", "it is not a regular file"),
            ("/ws/empty", "it is not a regular file"),
            ("/ws/plain/log.md", "plain is not a folder"),
            ("/ws", "it is outside the workspace"),
            ("/ws/../etc/log.md", "it is outside the workspace"),
            ("/wsx/log.md", "it is outside the workspace"),
        ] {
            assert_eq!(
                refused(path),
                format!("{reason}; tagls writes only regular files inside the workspace"),
                "{path}"
            );
        }
    }

    #[test]
    fn concurrent_writers_lose_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join(".orchestration/implementation-log.md");
        let handles: Vec<_> = (0..20)
            .map(|i| {
                let log = log.clone();
                let root = dir.path().to_path_buf();
                std::thread::spawn(move || {
                    write_to_disk(
                        &root,
                        &log,
                        &created(&format!("src/f{i}.ts"), i),
                        &Registry::builtin(),
                    )
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap().unwrap();
        }
        let text = std::fs::read_to_string(&log).unwrap();
        for i in 0..20 {
            assert_eq!(
                text.matches(&format!("#FILE_CREATED: src/f{i}.ts ("))
                    .count(),
                1,
                "{text}"
            );
        }
        assert_eq!(text.matches("## Files Created").count(), 1);
    }

    /// A valid 1×1 RGBA PNG.
    const PNG_1X1: &[u8] = &[
        0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44,
        0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f,
        0x15, 0xc4, 0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8,
        0xcf, 0xc0, 0xf0, 0x1f, 0x00, 0x05, 0x00, 0x01, 0xff, 0x89, 0x99, 0x3d, 0x1d, 0x00, 0x00,
        0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
    ];

    /// A 2×1 24-bit BMP: file header, BITMAPINFOHEADER, one padded row.
    fn bmp_2x1() -> Vec<u8> {
        let mut b = b"BM".to_vec();
        b.extend_from_slice(&62u32.to_le_bytes()); // file size
        b.extend_from_slice(&[0; 4]);
        b.extend_from_slice(&54u32.to_le_bytes()); // pixel data offset
        b.extend_from_slice(&40u32.to_le_bytes()); // header size
        b.extend_from_slice(&2i32.to_le_bytes());
        b.extend_from_slice(&1i32.to_le_bytes());
        b.extend_from_slice(&1u16.to_le_bytes()); // planes
        b.extend_from_slice(&24u16.to_le_bytes()); // bits per pixel
        b.extend_from_slice(&[0; 24]);
        b.extend_from_slice(&[0xff; 6]);
        b.extend_from_slice(&[0; 2]);
        b
    }

    fn modified(path: &str, lines: &str, changes: Option<&str>) -> NewEntry {
        NewEntry::Modified {
            path: path.into(),
            lines_affected: lines.into(),
            description: None,
        }
        .with_changes(changes.map(Into::into))
    }

    fn shot(path: &str, description: Option<&str>, timestamp: &str) -> NewEntry {
        NewEntry::Screenshot {
            path: path.into(),
            description: description.map(Into::into),
            shows: None,
            timestamp: Some(timestamp.into()),
        }
    }

    fn assumption() -> NewEntry {
        NewEntry::Assumption {
            tag: "COMPLETION_DRIVE".into(),
            payload: "the retry count is 3".into(),
            context: "src/h.ts:4".into(),
        }
    }

    /// The skeleton without the section `title`.
    fn skeleton_without(title: &str) -> String {
        skeleton("\n")
            .replace(&format!("## {title}\n\n"), "")
            .replace(&format!("\n\n## {title}\n"), "\n")
    }

    #[test]
    fn a_new_log_has_the_five_sections_in_the_templates_order() {
        assert_eq!(
            skeleton("\n"),
            "# Implementation Log\n\n## Assumptions Made\n\n## Files Created\n\n## Files Modified\n\n## Evidence Captured\n\n## Integration Points\n"
        );
        assert_eq!(
            plan_new_log(""),
            [Edit {
                range: TextRange::new(0, 0),
                text: skeleton("\n")
            }]
        );
        let out = add(
            "",
            &shot(
                ".orchestration/evidence/a.png",
                None,
                "2026-01-02T03:04:05Z",
            ),
        );
        assert_eq!(
            out,
            "# Implementation Log\n\n## Assumptions Made\n\n## Files Created\n\n## Files Modified\n\n## Evidence Captured\n\n#SCREENSHOT_CLAIMED: .orchestration/evidence/a.png\n  Description:\n  Shows:\n  Timestamp: 2026-01-02T03:04:05Z\n\n## Integration Points\n"
        );
    }

    /// Whichever section is missing, the entry's section is added where the
    /// template puts it: the log comes out as if it had been there.
    #[test]
    fn a_missing_section_is_added_at_its_place_in_the_template() {
        for entry in [
            assumption(),
            created("src/a.ts", 3),
            modified("src/a.ts", "2", Some("Added passwordHash")),
            shot("ev/a.png", Some("login"), "2026-01-02T03:04:05Z"),
        ] {
            let title = entry.section();
            let full = add(&skeleton("\n"), &entry);
            let without = skeleton_without(title);
            assert!(!without.contains(title), "{without}");
            assert_eq!(add(&without, &entry), full, "{title}");
            // CRLF logs too.
            let crlf = |t: &str| t.replace('\n', "\r\n");
            assert_eq!(add(&crlf(&without), &entry), crlf(&full), "{title}");
        }
    }

    #[test]
    fn sections_go_between_those_before_and_after_them_in_the_template() {
        // Only a later section: before it, after the title.
        let out = add(
            "# Log\n\n## Evidence Captured\n\nshots\n",
            &created("a.ts", 1),
        );
        assert_eq!(
            out,
            "# Log\n\n## Files Created\n\n#FILE_CREATED: a.ts (1 line)\n  Description:\n  Purpose:\n\n## Evidence Captured\n\nshots\n"
        );
        // The first section of the template goes first, even without a blank
        // line under the title.
        let out = add("# Log\n## Files Created\n", &assumption());
        assert_eq!(
            out,
            "# Log\n\n## Assumptions Made\n\n#COMPLETION_DRIVE: the retry count is 3\n  Context: src/h.ts:4\n\n## Files Created\n"
        );
        // A log that starts with a section.
        let out = add("## Files Modified\n", &created("a.ts", 1));
        assert_eq!(
            out,
            "## Files Created\n\n#FILE_CREATED: a.ts (1 line)\n  Description:\n  Purpose:\n\n## Files Modified\n"
        );
        // Only earlier sections: after the last of them, before an extra
        // section that follows it; with its subsections.
        let log = "# Log\n\n## Files Created\n\n### Backend\n#FILE_CREATED: a.ts (1 line)\n\n## Notes\n\nby hand\n";
        let out = add(log, &shot("ev/a.png", None, "2026-01-02T03:04:05Z"));
        assert_eq!(
            out,
            "# Log\n\n## Files Created\n\n### Backend\n#FILE_CREATED: a.ts (1 line)\n\n## Evidence Captured\n\n#SCREENSHOT_CLAIMED: ev/a.png\n  Description:\n  Shows:\n  Timestamp: 2026-01-02T03:04:05Z\n\n## Notes\n\nby hand\n"
        );
        // At the end of a log without a final line break.
        let out = add(
            "## Files Created\n#FILE_CREATED: a.ts (1 line)",
            &modified("a.ts", "1", None),
        );
        assert_eq!(
            out,
            "## Files Created\n#FILE_CREATED: a.ts (1 line)\n\n## Files Modified\n\n#FILE_MODIFIED: a.ts\n  Lines affected: 1\n  Description:\n  Changes:\n"
        );
        // The level of the section it is put next to.
        let out = add(
            "# Files Created\n\n# Evidence Captured\n",
            &modified("a.ts", "1", None),
        );
        assert!(
            out.starts_with("# Files Created\n\n# Files Modified\n\n#FILE_MODIFIED: a.ts\n"),
            "{out}"
        );
        assert!(
            out.ends_with("  Changes:\n\n# Evidence Captured\n"),
            "{out}"
        );
    }

    #[test]
    fn odd_orders_and_extra_sections_keep_entries_under_their_heading() {
        // In another order: the entry still goes under its own heading, and
        // nothing moves.
        let log = "# Log\n\n## Evidence Captured\n\n## Files Modified\n#FILE_MODIFIED: b.ts\n  Lines affected: 1\n\n## Notes\n\n## files created  \n#FILE_CREATED: a.ts (1 line)\n";
        let out = add(log, &created("c.ts", 2));
        assert_eq!(
            out,
            format!("{log}\n#FILE_CREATED: c.ts (2 lines)\n  Description:\n  Purpose:\n")
        );
        let out = add(log, &modified("c.ts", "4", Some("x")));
        assert_eq!(
            out,
            log.replace(
                "  Lines affected: 1\n\n",
                "  Lines affected: 1\n\n#FILE_MODIFIED: c.ts\n  Lines affected: 4\n  Description:\n  Changes: x\n\n"
            )
        );
        // The first section of the template goes before the first of the
        // others, wherever they stand.
        let out = add(log, &assumption());
        assert!(
            out.starts_with("# Log\n\n## Assumptions Made\n\n#COMPLETION_DRIVE: the retry count is 3\n  Context: src/h.ts:4\n\n## Evidence Captured\n"),
            "{out}"
        );
        // Files Created, Files Modified, Assumptions Made in that order: the
        // screenshot's section goes after the last of them.
        let log =
            "## Files Created\n\n## Files Modified\n\n## Assumptions Made\n\nnone\n\n## Notes\n";
        let out = add(log, &shot("a.png", None, "t"));
        assert_eq!(
            out,
            "## Files Created\n\n## Files Modified\n\n## Assumptions Made\n\nnone\n\n## Evidence Captured\n\n#SCREENSHOT_CLAIMED: a.png\n  Description:\n  Shows:\n  Timestamp: t\n\n## Notes\n"
        );
        // A heading in a code block is not a section.
        let log = "# Log\n\n```\n## Files Created\n```\n\n## Evidence Captured\n";
        let out = add(log, &created("a.ts", 1));
        assert!(
            out.starts_with("# Log\n\n```\n## Files Created\n```\n\n## Files Created\n\n#FILE_CREATED: a.ts (1 line)\n"),
            "{out}"
        );
        // The old skeleton (Assumptions Made last) still takes every entry.
        let old = "# Implementation Log\n\n## Files Created\n\n## Files Modified\n\n## Evidence Captured\n\n## Assumptions Made\n";
        let out = add(old, &assumption());
        assert!(out.ends_with("## Assumptions Made\n\n#COMPLETION_DRIVE: the retry count is 3\n  Context: src/h.ts:4\n"), "{out}");
        assert_eq!(out.matches("## ").count(), 4, "{out}");
    }

    #[test]
    fn modified_entries_carry_changes() {
        let out = add(
            "## Files Modified\n",
            &modified("src/user.ts", "12, 34-36", Some("Added passwordHash")),
        );
        assert_eq!(
            out,
            "## Files Modified\n\n#FILE_MODIFIED: src/user.ts\n  Lines affected: 12, 34-36\n  Description:\n  Changes: Added passwordHash\n"
        );
        // Logged again: the lines are replaced, the changes added to those
        // written, once; the description kept.
        let log = "## Files Modified\n#FILE_MODIFIED: src/user.ts\n  Lines affected: 1\n  Description: keep me\n  Changes: old\n";
        let out = add(log, &modified("src/user.ts", "5-6", Some("Added hash")));
        assert_eq!(
            out,
            "## Files Modified\n#FILE_MODIFIED: src/user.ts\n  Lines affected: 5-6\n  Description: keep me\n  Changes: old; Added hash\n"
        );
        assert_eq!(
            add(&out, &modified("src/user.ts", "5-6", Some("Added hash"))),
            out
        );
        // Without --changes, the changes written are kept.
        let again = add(&out, &modified("src/user.ts", "7", None));
        assert!(
            again.contains(
                "  Lines affected: 7\n  Description: keep me\n  Changes: old; Added hash\n"
            ),
            "{again}"
        );
        // An empty field is filled; a description a person wrote is kept.
        let log = "## Files Modified\n#FILE_MODIFIED: a.ts\n  Lines affected: 1\n  Description:\n  Changes:\n\n#FILE_MODIFIED: b.ts\n  Description: mine\n";
        let with = |path: &str| {
            NewEntry::Modified {
                path: path.into(),
                lines_affected: "2".into(),
                description: Some("given".into()),
            }
            .with_changes(Some("c".into()))
        };
        let out = add(&add(log, &with("a.ts")), &with("b.ts"));
        assert_eq!(
            out,
            "## Files Modified\n#FILE_MODIFIED: a.ts\n  Lines affected: 2\n  Description: given\n  Changes: c\n\n#FILE_MODIFIED: b.ts\n  Description: mine\n  Lines affected: 2\n  Changes: c\n"
        );
        // An update writes no empty `Changes:` over anything, and an empty
        // value is no change.
        assert_eq!(
            modified("a.ts", "1", Some("  ")),
            modified("a.ts", "1", None)
        );
        // An entry without the field gets it after its last line, CRLF kept.
        let log = "## Files Modified\r\n#FILE_MODIFIED: src/user.ts\r\n  Description: d\r\n\r\n## Notes\r\n";
        let out = add(log, &modified("src/user.ts", "3", Some("x")));
        assert_eq!(
            out,
            "## Files Modified\r\n#FILE_MODIFIED: src/user.ts\r\n  Description: d\r\n  Lines affected: 3\r\n  Changes: x\r\n\r\n## Notes\r\n"
        );
        // At the very end of a log without a final line break.
        let out = add(
            "## Files Modified\n#FILE_MODIFIED: a.ts",
            &modified("a.ts", "3", None),
        );
        assert_eq!(
            out,
            "## Files Modified\n#FILE_MODIFIED: a.ts\n  Lines affected: 3\n"
        );
        // The value is inert.
        let out = add(
            "",
            &modified("a.ts", "1", Some("x\n#FILE_CREATED: fake.ts (1 line)")),
        );
        assert!(
            out.contains("  Changes: x \\#FILE_CREATED: fake.ts (1 line)\n"),
            "{out}"
        );
        let claims = crate::log::check::claims(&crate::log::parse(&out, &Registry::builtin()));
        assert_eq!(claims.len(), 1, "{out}");
    }

    #[test]
    fn screenshots_and_the_waiver_are_written_once() {
        let entry = NewEntry::Screenshot {
            path: "ev/login page.png".into(),
            description: Some("after the fix".into()),
            shows: Some("the form\n#SCREENSHOT_CLAIMED: fake.png".into()),
            timestamp: Some("2026-01-02T03:04:05Z".into()),
        };
        let out = add("## Evidence Captured\n", &entry);
        assert_eq!(
            out,
            "## Evidence Captured\n\n#SCREENSHOT_CLAIMED: `ev/login page.png`\n  Description: after the fix\n  Shows: the form \\#SCREENSHOT_CLAIMED: fake.png\n  Timestamp: 2026-01-02T03:04:05Z\n"
        );
        let claims = crate::log::check::claims(&crate::log::parse(&out, &Registry::builtin()));
        let paths: Vec<&str> = claims.iter().map(|c| c.path.as_str()).collect();
        assert_eq!(paths, ["ev/login page.png"]);
        // Again, later: the time is updated, what was written is kept.
        let again = add(
            &out,
            &shot("ev/login page.png", None, "2026-02-03T04:05:06Z"),
        );
        assert_eq!(
            again,
            out.replace("2026-01-02T03:04:05Z", "2026-02-03T04:05:06Z")
        );
        // The waiver, twice: one entry, the last reason given.
        let waiver = |r: Option<&str>| NewEntry::ScreenshotWaiver {
            reason: r.map(Into::into),
        };
        let w1 = add(&again, &waiver(None));
        assert!(
            w1.ends_with("  Timestamp: 2026-02-03T04:05:06Z\n\n#SCREENSHOT_CLAIMED: CANNOT_CAPTURE_SECURITY_POLICY\n  Reason:\n"),
            "{w1}"
        );
        let w2 = add(&w1, &waiver(Some("the admin page holds customer data")));
        assert_eq!(
            w2,
            w1.replace(
                "  Reason:\n",
                "  Reason: the admin page holds customer data\n"
            )
        );
        assert_eq!(add(&w2, &waiver(None)), w2);
        // What follows the path on an entry's first line is kept.
        let log = "## Evidence Captured\n#SCREENSHOT_CLAIMED: CANNOT_CAPTURE_SECURITY_POLICY - admin pages\n\n#SCREENSHOT_CLAIMED: a.png (after the fix)\n";
        let out = add(&add(log, &waiver(Some("r"))), &shot("a.png", None, "t"));
        assert_eq!(
            out,
            "## Evidence Captured\n#SCREENSHOT_CLAIMED: CANNOT_CAPTURE_SECURITY_POLICY - admin pages\n  Reason: r\n\n#SCREENSHOT_CLAIMED: a.png (after the fix)\n  Timestamp: t\n"
        );
    }

    #[test]
    fn timestamps_are_iso_8601_utc() {
        use std::time::{Duration, UNIX_EPOCH};
        let at = |s: u64| iso8601_utc(UNIX_EPOCH + Duration::from_secs(s));
        assert_eq!(at(0), "1970-01-01T00:00:00Z");
        assert_eq!(at(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(at(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(at(4_102_444_799), "2099-12-31T23:59:59Z");
        assert_eq!(
            iso8601_utc(UNIX_EPOCH - Duration::from_millis(500)),
            "1969-12-31T23:59:59Z"
        );
    }

    #[test]
    fn screenshots_are_images_inside_the_workspace() {
        use crate::workspace::model::Workspace;
        let dir = tempfile::tempdir().unwrap();
        let root = normalize(&dir.path().canonicalize().unwrap());
        let outside = tempfile::tempdir().unwrap();
        let ev = root.join(EVIDENCE_DIR);
        std::fs::create_dir_all(&ev).unwrap();
        std::fs::write(ev.join("a.png"), PNG_1X1).unwrap();
        std::fs::write(root.join("b.bmp"), bmp_2x1()).unwrap();
        std::fs::write(ev.join("text.png"), "not an image\n").unwrap();
        std::fs::write(ev.join("empty.png"), "").unwrap();
        std::fs::write(ev.join("cut.png"), &PNG_1X1[..12]).unwrap();
        std::fs::write(outside.path().join("o.png"), PNG_1X1).unwrap();
        std::os::unix::fs::symlink(outside.path().join("o.png"), ev.join("out.png")).unwrap();
        std::os::unix::fs::symlink("a.png", ev.join("in.png")).unwrap();
        let mut ws = Workspace::new(std::sync::Arc::new(RealFs));
        ws.add_root(&root, false);
        let mut entry = |p: &Path| screenshot_entry(&mut ws, &root, p, Some("d".into()), None);

        let a = entry(&ev.join("a.png")).unwrap();
        assert_eq!((a.format, a.in_evidence), ("PNG", true));
        let NewEntry::Screenshot {
            path,
            timestamp,
            description,
            ..
        } = &a.entry
        else {
            panic!("{a:?}")
        };
        assert_eq!(path, ".orchestration/evidence/a.png");
        assert_eq!(description.as_deref(), Some("d"));
        let mtime = std::fs::metadata(ev.join("a.png"))
            .unwrap()
            .modified()
            .unwrap();
        assert_eq!(timestamp.as_deref(), Some(iso8601_utc(mtime).as_str()));
        let b = entry(&root.join("b.bmp")).unwrap();
        assert_eq!((b.format, b.in_evidence), ("BMP", false));
        assert_eq!(entry(&ev.join("in.png")).unwrap().format, "PNG");

        let refused = |r: Result<Screenshot, NotAScreenshot>| r.unwrap_err().to_string();
        assert_eq!(
            refused(entry(&ev.join("text.png"))),
            ".orchestration/evidence/text.png is not an image: its bytes are not PNG, JPEG, GIF, WebP or BMP; a screenshot must be a PNG, JPEG, GIF, WebP or BMP file"
        );
        assert!(refused(entry(&ev.join("empty.png"))).contains("is not an image: it is empty"));
        assert!(
            refused(entry(&ev.join("cut.png"))).contains("its PNG data is cut short or damaged")
        );
        assert_eq!(
            refused(entry(&ev.join("none.png"))),
            ".orchestration/evidence/none.png does not exist; nothing to log"
        );
        assert!(refused(entry(&ev.join("out.png"))).contains("out.png is outside the workspace"));
        assert!(refused(entry(&outside.path().join("o.png"))).contains("is outside the workspace"));
        assert!(refused(entry(&ev)).contains("is not a regular file"));
        assert!(image_format(&bmp_2x1()).is_ok());
    }
}
