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

use super::parse::{LogDoc, parse};

/// An entry to add, or to update when the log already has one for the path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NewEntry {
    /// `#FILE_CREATED: path (N lines)`.
    Created {
        path: String,
        lines: Option<usize>,
        description: Option<String>,
    },
    /// `#FILE_MODIFIED: path` with `Lines affected:`.
    Modified {
        path: String,
        lines_affected: String,
        description: Option<String>,
    },
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

impl NewEntry {
    fn tag(&self) -> &str {
        match self {
            NewEntry::Created { .. } => "FILE_CREATED",
            NewEntry::Modified { .. } => "FILE_MODIFIED",
            NewEntry::Assumption { tag, .. } => tag,
        }
    }

    fn path(&self) -> &str {
        match self {
            NewEntry::Created { path, .. } | NewEntry::Modified { path, .. } => path,
            NewEntry::Assumption { payload, .. } => payload,
        }
    }

    fn section(&self) -> &'static str {
        match self {
            NewEntry::Created { .. } => "Files Created",
            NewEntry::Modified { .. } => "Files Modified",
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
            NewEntry::Modified { path, .. } => format!("#FILE_MODIFIED: {}", written(path)),
            NewEntry::Assumption { tag, payload, .. } => {
                format!("#{tag}: {}", payload.replace(['\r', '\n'], " "))
            }
        }
    }

    /// Every line of the entry.
    fn lines(&self) -> Vec<String> {
        let mut out = vec![self.head()];
        match self {
            NewEntry::Created { description, .. } => {
                out.push(field("Description", description.as_deref()));
                out.push(field("Purpose", None));
            }
            NewEntry::Modified {
                lines_affected,
                description,
                ..
            } => {
                out.push(field("Lines affected", Some(lines_affected)));
                out.push(field("Description", description.as_deref()));
            }
            NewEntry::Assumption { context, .. } => out.push(field("Context", Some(context))),
        }
        out
    }
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

/// The sections of a new log, in the method's order.
pub const SKELETON_SECTIONS: &[&str] = &[
    "Files Created",
    "Files Modified",
    "Evidence Captured",
    "Assumptions Made",
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
    let section = log
        .sections
        .iter()
        .find(|s| s.title.trim().eq_ignore_ascii_case(entry.section()));
    match section {
        Some(s) => {
            // After the last non-blank line of the section, one blank line
            // between entries.
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
        None => {
            let mut insert = String::new();
            if !text.ends_with('\n') && !text.ends_with('\r') {
                insert.push_str(eol);
            }
            insert.push_str(&format!("{eol}## {}{eol}{eol}{body}", entry.section()));
            vec![Edit {
                range: TextRange::new(text.len(), text.len()),
                text: insert,
            }]
        }
    }
}

/// Edits that bring an existing entry for the same path up to date.
fn update_existing(text: &str, log: &LogDoc, entry: &NewEntry, eol: &str) -> Option<Vec<Edit>> {
    if matches!(entry, NewEntry::Assumption { .. }) {
        // Each moved assumption is its own entry.
        return None;
    }
    // The entry whose claim names the path, read as the checker reads it
    // (a quoted path is one path).
    let claim = crate::log::check::claims(log)
        .into_iter()
        .find(|c| c.tag == entry.tag() && c.path == entry.path())?;
    let existing = log
        .entries
        .iter()
        .find(|e| e.tag.full_range() == claim.entry)?;
    let mut edits = vec![Edit {
        range: existing.tag.head_range(),
        text: entry.head(),
    }];
    if let NewEntry::Modified { lines_affected, .. } = entry {
        let new_field = field("Lines affected", Some(lines_affected))
            .trim_start()
            .to_owned();
        match existing.field("Lines affected") {
            Some(line) => edits.push(Edit {
                range: line.range,
                text: new_field,
            }),
            None => {
                let at = line_end(text, existing.tag.head_range().end);
                edits.push(Edit {
                    range: TextRange::new(at, at),
                    text: format!("  {new_field}{eol}"),
                });
            }
        }
    }
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
        let mut cmd = std::process::Command::new("git");
        cmd.arg("-C").arg(root).args(args);
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

/// The new-side line ranges of `@@ -a,b +c,d @@` hunk headers.
fn parse_hunks(diff: &str) -> Vec<(u32, u32)> {
    diff.lines()
        .filter_map(|l| {
            let rest = l.strip_prefix("@@ ")?;
            let plus = rest.split_whitespace().find(|w| w.starts_with('+'))?;
            let (start, len) = match plus[1..].split_once(',') {
                Some((s, n)) => (s.parse::<u32>().ok()?, n.parse::<u32>().ok()?),
                None => (plus[1..].parse::<u32>().ok()?, 1),
            };
            // A pure deletion (`+c,0`) touches the line after it.
            Some(if len == 0 {
                (start.max(1), start.max(1))
            } else {
                (start, start + len - 1)
            })
        })
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
            "# Implementation Log\n\n## Files Created\n\n#FILE_CREATED: src/a.ts (12 lines)\n  Description:\n  Purpose:\n\n## Files Modified\n\n## Evidence Captured\n\n## Assumptions Made\n"
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
            "# Log\nnotes\n\n## Files Modified\n\n#FILE_MODIFIED: src/a.ts\n  Lines affected: 8, 102-115\n  Description: fix\n"
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
}
