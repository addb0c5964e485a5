//! The scan cache: what the parse of each file found, kept between runs of
//! `tagls check` so that an unchanged file is not parsed again.
//!
//! Parsing is most of what a check costs (docs/BENCHMARKS.md), and most
//! files do not change between two checks. For every file it parsed, a check
//! keeps the hash of its bytes, the comments that can hold a tag, and the
//! env reads ([`SyntaxParts`]): they depend on the text and the grammar
//! alone, never on the configuration or on the rest of the workspace. Tags
//! are scanned again from those comments, and every reference is resolved
//! again, on every run.
//!
//! Reading the files is then most of a check's work. An entry also keeps the
//! file's size, modification time and inode as they were when its bytes
//! were read ([`Stat`]); while they are the same, the file is not read at
//! all: a file with candidates is checked from its [`Excerpt`], the lines
//! its comments and env reads are on. A modification time less than 2 s before
//! that read is not trusted (a write in the same clock tick leaves it
//! unchanged), the way git treats "racily clean" files.
//!
//! What a check reported for a file ([`Reported`]) is kept too, with a
//! fingerprint of everything else its references were resolved against:
//! the settings, every path the walk found, the env files and the tsconfig
//! aliases. While the file and that fingerprint are unchanged, the report is
//! used as it is, and nothing of the file is resolved again. A file one of
//! whose answers came from the disk rather than the index (a path into a
//! folder the walk does not enter, a symlink) is never kept this way.
//!
//! One file per workspace root (postcard, a compact binary serde format,
//! followed by a hash of it), under [`default_dir`], is replaced
//! whole and atomically at the end of a run, and removed once no run has
//! written it for 30 days; an unreadable or foreign file is ignored, and entries that do not fit their text are not used
//! ([`Document::from_parts`]). Nothing of an env file is kept; the file is
//! readable by its owner only, as it holds lines of source.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use ropey::Rope;
use serde::{Deserialize, Serialize};

use crate::document::SyntaxParts;
use crate::findings::{Finding, Verdict};
use crate::syntax::env::EnvUse;
use crate::text::Spans;
use crate::text::TextRange;

/// Bumped whenever what an entry means changes.
const FORMAT: u32 = 13;

/// Where the cache lives: `$TAGLS_CACHE_DIR`, else `tagls` in the user's
/// cache folder (`$XDG_CACHE_HOME`, else `~/.cache`).
pub fn default_dir() -> Option<PathBuf> {
    match std::env::var_os("TAGLS_CACHE_DIR") {
        Some(dir) if !dir.is_empty() => Some(PathBuf::from(dir)),
        _ => dirs::cache_dir().map(|d| d.join("tagls")),
    }
}

/// The hash of a file's bytes that an entry is valid for. The cache file
/// also names the tagls version, which stands for its grammars.
pub fn hash(bytes: &[u8]) -> u128 {
    xxhash_rust::xxh3::xxh3_128(bytes)
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct CacheFile {
    format: u32,
    /// The tagls version that wrote it: another version's grammars may find
    /// other comments.
    tagls: String,
    /// By path relative to the root, in byte order.
    files: Vec<(String, Entry)>,
}

/// A file's metadata, as an entry remembers it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stat {
    pub size: u64,
    /// Modification time, in nanoseconds since the epoch.
    pub mtime: i128,
    pub inode: u64,
}

impl Stat {
    pub fn of(meta: &std::fs::Metadata) -> Option<Stat> {
        use std::os::unix::fs::MetadataExt as _;
        Some(Stat {
            size: meta.len(),
            mtime: nanos(meta.modified().ok()?),
            inode: meta.ino(),
        })
    }
}

fn nanos(t: std::time::SystemTime) -> i128 {
    match t.duration_since(std::time::UNIX_EPOCH) {
        Ok(d) => d.as_nanos() as i128,
        Err(e) => -(e.duration().as_nanos() as i128),
    }
}

/// How long before the read that an entry records a file's modification
/// time must lie for the entry to be trusted without reading the file:
/// coarse file system clocks tick in up to 2 s.
const RACY: i128 = 2_000_000_000;

/// Now, in nanoseconds since the epoch.
pub fn now() -> i128 {
    nanos(std::time::SystemTime::now())
}

/// What the cache keeps of one file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// [`hash`] of the bytes; `None` when the file was not parsed.
    hash: Option<u128>,
    /// The file's metadata when its bytes were read, and when that was.
    stat: Option<(Stat, i128)>,
    /// Whether the bytes can hold a tag, and an env read: a file with
    /// neither is not parsed.
    shape: (bool, bool),
    comments: Vec<[usize; 2]>,
    /// Name, name range, match range.
    env: Vec<(String, [usize; 2], [usize; 2])>,
    /// Whether `env` is every env read of the file: false when its comments
    /// were lexed, not parsed, and its bytes may read env (a check without an
    /// env file does not look for them).
    env_looked: bool,
    /// The lines of `comments` and `env`, for a run that trusts the
    /// metadata; `None` when the file was not parsed.
    excerpt: Option<Excerpt>,
    /// What the check reported for the file, if it is to be kept.
    reported: Option<Reported>,
}

impl Entry {
    /// A file read at `read_at` and not parsed: its bytes have the `shape`
    /// that the settings do not parse.
    pub fn unparsed(stat: Option<Stat>, read_at: i128, shape: (bool, bool)) -> Entry {
        Entry {
            hash: None,
            stat: stat.map(|s| (s, read_at)),
            shape,
            comments: Vec::new(),
            env: Vec::new(),
            env_looked: false,
            excerpt: None,
            reported: None,
        }
    }

    /// Whether the bytes can hold a tag, and an env read.
    pub fn shape(&self) -> (bool, bool) {
        self.shape
    }

    /// Whether what the parse found serves a check that does (`env_reads`)
    /// or does not look for env reads.
    pub fn serves(&self, env_reads: bool) -> bool {
        self.env_looked || !env_reads
    }

    /// What the parse found, if the file was parsed.
    pub fn parts_if_parsed(&self) -> Option<SyntaxParts> {
        self.hash.map(|_| self.parts())
    }

    /// What the parse found, on the lines of its [`Excerpt`]: enough to
    /// scan the file's tags and place them without reading it. `None` if the
    /// file was not parsed, or the parts do not fit the excerpt.
    pub fn excerpt_parts(&self) -> Option<(&Excerpt, SyntaxParts)> {
        self.hash?;
        let excerpt = self.excerpt.as_ref()?;
        let parts = excerpt.parts(self.parts())?;
        Some((excerpt, parts))
    }

    /// What the check reported for the parsed file, if it is kept and the
    /// `fingerprint` of the rest is the same.
    pub fn reported(&self, fingerprint: u128) -> Option<&Reported> {
        self.hash?;
        self.reported
            .as_ref()
            .filter(|r| r.fingerprint() == fingerprint)
    }

    pub fn with_reported(mut self, reported: Reported) -> Entry {
        self.reported = Some(reported);
        self
    }

    /// The same entry for a file whose bytes were read again at `read_at`
    /// and found the same.
    pub fn read_again(mut self, stat: Option<Stat>, read_at: i128) -> Entry {
        self.stat = stat.map(|s| (s, read_at));
        self
    }

    /// The entry of a file parsed as `rope`, whose parse found `parts`;
    /// `env_looked` says whether they hold every env read.
    pub fn new(
        hash: u128,
        stat: Option<Stat>,
        read_at: i128,
        shape: (bool, bool),
        rope: &Rope,
        parts: &SyntaxParts,
        env_looked: bool,
    ) -> Entry {
        Entry {
            env_looked,
            excerpt: Excerpt::of(rope, parts),
            reported: None,
            hash: Some(hash),
            stat: stat.map(|s| (s, read_at)),
            shape,
            comments: parts.comments.iter().map(|c| [c.start, c.end]).collect(),
            env: parts
                .env_uses
                .iter()
                .map(|u| {
                    (
                        u.name.clone(),
                        [u.name_range.start, u.name_range.end],
                        [u.match_range.start, u.match_range.end],
                    )
                })
                .collect(),
        }
    }

    fn parts(&self) -> SyntaxParts {
        let range = |[start, end]: [usize; 2]| TextRange { start, end };
        SyntaxParts {
            comments: self.comments.iter().copied().map(range).collect(),
            env_uses: self
                .env
                .iter()
                .map(|(name, n, m)| EnvUse {
                    name: name.clone(),
                    name_range: range(*n),
                    match_range: range(*m),
                })
                .collect(),
        }
    }
}

/// The lines of a file that a check needs when the file has not changed:
/// every line of the comments and env reads its entry keeps, and the line
/// after each (`tagls: ignore-next-line` silences it).
///
/// They are whole lines, so a column on them counts the same characters as
/// in the file, and its tags are scanned from the same comments. The runs
/// of lines are kept apart by at least one line the file has between them,
/// so comments of different runs are never one block.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Excerpt {
    /// The runs of lines, one after the other.
    text: String,
    /// Where each run starts, in order.
    runs: Vec<Run>,
}

/// Where a run of lines starts: in the excerpt, and in the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Run {
    at: usize,
    line: u32,
    file_at: usize,
    file_line: u32,
}

impl Excerpt {
    /// The excerpt of a file parsed as `rope` whose parse found `parts`;
    /// `None` if its lines would not come out as the file has them.
    pub fn of(rope: &Rope, parts: &SyntaxParts) -> Option<Excerpt> {
        let last = rope.len_lines() - 1;
        let mut lines = parts
            .comments
            .iter()
            .copied()
            .chain(parts.env_uses.iter().map(|u| u.match_range))
            .map(|r| {
                let first = rope.try_byte_to_line(r.start).ok()?;
                let end = rope.try_byte_to_line(r.end).ok()?;
                Some((first, (end + 1).min(last)))
            })
            .collect::<Option<Vec<_>>>()?;
        lines.sort_unstable();
        let mut merged: Vec<(usize, usize)> = Vec::with_capacity(lines.len());
        for (first, end) in lines {
            match merged.last_mut() {
                Some(run) if first <= run.1 + 1 => run.1 = run.1.max(end),
                _ => merged.push((first, end)),
            }
        }
        let mut text = String::new();
        let mut runs = Vec::with_capacity(merged.len());
        let mut line = 0;
        for &(first, end) in &merged {
            let file_at = rope.line_to_byte(first);
            runs.push(Run {
                at: text.len(),
                line: u32::try_from(line).ok()?,
                file_at,
                file_line: u32::try_from(first).ok()?,
            });
            text.extend(
                rope.byte_slice(file_at..rope.line_to_byte(end + 1))
                    .chunks(),
            );
            line += end + 1 - first;
        }
        // Each run must start a line of the excerpt, and the last must end
        // where it ends in the file: a `\r` that ends one run could otherwise
        // join a `\n` that starts the next.
        let excerpt = Rope::from_str(&text);
        let ends_file = merged.last().is_some_and(|&(_, end)| end == last);
        let fits = runs
            .iter()
            .all(|r| excerpt.try_line_to_byte(r.line as usize).ok() == Some(r.at))
            && excerpt.len_lines() == if ends_file { line } else { line + 1 };
        fits.then_some(Excerpt { text, runs })
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// The run that holds the excerpt's byte `at`.
    fn run_at(&self, at: usize) -> Option<&Run> {
        let i = self.runs.partition_point(|r| r.at <= at).checked_sub(1)?;
        self.runs.get(i)
    }

    /// The file's range of the excerpt's range `r`.
    pub fn file_range(&self, r: TextRange) -> TextRange {
        let at = |at: usize| {
            self.run_at(at)
                .map_or(at, |run| run.file_at + (at - run.at))
        };
        TextRange {
            start: at(r.start),
            end: at(r.end),
        }
    }

    /// The file's line of the excerpt's `line`.
    pub fn file_line(&self, line: u32) -> u32 {
        let i = self.runs.partition_point(|r| r.line <= line);
        match i.checked_sub(1).and_then(|i| self.runs.get(i)) {
            Some(run) => run.file_line + (line - run.line),
            None => line,
        }
    }

    /// The excerpt's range of the file's range `r`, if one run holds it.
    fn range(&self, r: TextRange) -> Option<TextRange> {
        let i = self.runs.partition_point(|run| run.file_at <= r.start);
        let run = self.runs.get(i.checked_sub(1)?)?;
        let len = self.runs.get(i).map_or(self.text.len(), |next| next.at) - run.at;
        (r.start <= r.end && r.end <= run.file_at + len).then(|| TextRange {
            start: r.start - run.file_at + run.at,
            end: r.end - run.file_at + run.at,
        })
    }

    /// `parts` of the file, placed in the excerpt.
    fn parts(&self, parts: SyntaxParts) -> Option<SyntaxParts> {
        Some(SyntaxParts {
            comments: parts
                .comments
                .into_iter()
                .map(|c| self.range(c))
                .collect::<Option<_>>()?,
            env_uses: parts
                .env_uses
                .into_iter()
                .map(|u| {
                    Some(EnvUse {
                        name_range: self.range(u.name_range)?,
                        match_range: self.range(u.match_range)?,
                        name: u.name,
                    })
                })
                .collect::<Option<_>>()?,
        })
    }
}

/// What a run keeps of one file.
#[derive(Debug)]
pub enum Kept {
    /// The entry the cache holds in this [`Slot`], as it is.
    Same(Slot),
    /// A new or changed entry, for this path.
    New(String, Box<Entry>),
}

impl Kept {
    pub fn new(rel: impl Into<String>, entry: Entry) -> Kept {
        Kept::New(rel.into(), Box::new(entry))
    }
}

/// Where the cache holds the entry of a path, if it does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slot(usize);

/// The cache of one workspace root for one run.
#[derive(Debug, Default)]
pub struct ScanCache {
    /// The file it was read from and is written to; `None` when off.
    path: Option<PathBuf>,
    /// As the file has them: by path, in byte order.
    old: Vec<(String, Entry)>,
}

impl ScanCache {
    /// No cache: every file is parsed and nothing is written.
    pub fn off() -> ScanCache {
        ScanCache::default()
    }

    /// The cache of `root` in `dir`; empty when there is none yet or it
    /// cannot be used.
    pub fn open(dir: &Path, root: &Path) -> ScanCache {
        let key = xxhash_rust::xxh3::xxh3_64(root.as_os_str().as_encoded_bytes());
        let path = dir.join(format!("check-{key:016x}.bin"));
        let mut old = std::fs::read(&path)
            .ok()
            .and_then(|bytes| {
                // The last 8 bytes are the hash of the rest: a damaged file
                // could otherwise decode to other lines or findings.
                let (body, sum) = bytes.split_last_chunk::<8>()?;
                (xxhash_rust::xxh3::xxh3_64(body).to_le_bytes() == *sum)
                    .then(|| postcard::from_bytes::<CacheFile>(body).ok())?
            })
            .filter(|f| f.format == FORMAT && f.tagls == env!("CARGO_PKG_VERSION"))
            .map(|f| f.files)
            .unwrap_or_default();
        // A file not written by tagls may hold the paths in any order.
        if !old.is_sorted_by(|a, b| a.0 < b.0) {
            old.sort_unstable_by(|a, b| a.0.cmp(&b.0));
            old.dedup_by(|a, b| a.0 == b.0);
        }
        ScanCache {
            path: Some(path),
            old,
        }
    }

    pub fn is_on(&self) -> bool {
        self.path.is_some()
    }

    /// Where the entry of each path is, for paths in byte order: one pass
    /// over both lists. (A path out of order only misses its entry.)
    pub fn slots<'p>(&self, rels: impl IntoIterator<Item = &'p str>) -> Vec<Option<Slot>> {
        let mut at = 0;
        rels.into_iter()
            .map(|rel| {
                while self.old.get(at).is_some_and(|(key, _)| key.as_str() < rel) {
                    at += 1;
                }
                let (key, _) = self.old.get(at)?;
                (key == rel).then_some(Slot(at))
            })
            .collect()
    }

    pub fn entry(&self, slot: Option<Slot>) -> Option<&Entry> {
        self.old.get(slot?.0).map(|(_, e)| e)
    }

    /// The entry in `slot` if it was made for these bytes.
    pub fn get(&self, slot: Option<Slot>, hash: u128) -> Option<(Entry, SyntaxParts)> {
        let entry = self.entry(slot)?;
        (entry.hash == Some(hash)).then(|| (entry.clone(), entry.parts()))
    }

    /// The entry in `slot` if the file's metadata says it has not changed
    /// since its bytes were read, long enough before that read.
    pub fn unchanged(&self, slot: Option<Slot>, now: Stat) -> Option<(Slot, &Entry)> {
        let entry = self.entry(slot).filter(|e| {
            e.stat
                .is_some_and(|(then, read_at)| then == now && then.mtime + RACY < read_at)
        })?;
        Some((slot?, entry))
    }

    /// Replaces the cache with this run's entries, unless they are what it
    /// already holds. Best effort: a cache that cannot be written only makes
    /// the next run slower.
    pub fn save(self, kept: Vec<Kept>) -> std::io::Result<()> {
        let Some(path) = self.path else {
            return Ok(());
        };
        // One `Same` per file, each of a path the cache holds: as many as
        // it holds means every entry, unchanged.
        if kept.len() == self.old.len() && kept.iter().all(|k| matches!(k, Kept::Same(_))) {
            drop_in_background(self.old);
            return Ok(());
        }
        let mut old: Vec<Option<(String, Entry)>> = self.old.into_iter().map(Some).collect();
        let mut files: Vec<(String, Entry)> = kept
            .into_iter()
            .filter_map(|k| match k {
                Kept::Same(Slot(i)) => old.get_mut(i)?.take(),
                Kept::New(rel, entry) => Some((rel, *entry)),
            })
            .collect();
        files.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        files.dedup_by(|a, b| a.0 == b.0);
        let dir = path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir)?;
        let file = CacheFile {
            format: FORMAT,
            tagls: env!("CARGO_PKG_VERSION").to_owned(),
            files,
        };
        let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
        let mut bytes = postcard::to_stdvec(&file).map_err(std::io::Error::other)?;
        let sum = xxhash_rust::xxh3::xxh3_64(&bytes);
        bytes.extend_from_slice(&sum.to_le_bytes());
        tmp.as_file_mut().write_all(&bytes)?;
        tmp.as_file_mut().flush()?;
        tmp.persist(&path).map_err(|e| e.error)?;
        prune(dir, UNUSED_FOR);
        Ok(())
    }
}

/// Drops `value` on a thread of its own: freeing a large structure takes
/// time nobody needs to wait for.
pub fn drop_in_background<T: Send + 'static>(value: T) {
    // Without a thread, it is dropped here.
    let _ = std::thread::Builder::new()
        .name("tagls-drop".to_owned())
        .spawn(move || drop(value));
}

/// How long the cache of a workspace is kept without a check writing it.
const UNUSED_FOR: std::time::Duration = std::time::Duration::from_secs(30 * 24 * 3600);

/// Removes the cache files of workspaces not checked for `unused_for` (a
/// workspace deleted or moved leaves its file behind). Best effort.
fn prune(dir: &Path, unused_for: std::time::Duration) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let now = std::time::SystemTime::now();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        // `.json` is the format of tagls 0.1 before the binary cache.
        if !(name.starts_with("check-") && (name.ends_with(".bin") || name.ends_with(".json"))) {
            continue;
        }
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|t| now.duration_since(t).is_ok_and(|age| age > unused_for));
        if old {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// What a check reported for one file, as the scan cache keeps it: valid while
/// the file is unchanged and the fingerprint of the rest is the same (the
/// settings, the paths the walk found, the env files and the aliases), for a
/// file none of whose answers needed the disk.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reported {
    pub fingerprint: u128,
    /// Span, name and payload of each tag.
    pub tags: Vec<(Spans, String, String)>,
    pub findings: Vec<ReportedFinding>,
}

impl Reported {
    pub fn fingerprint(&self) -> u128 {
        self.fingerprint
    }
}

/// A finding of the check with its place in the file (`gate::Located`
/// without the root and path).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportedFinding {
    pub line: u32,
    pub column: u32,
    pub end_line: u32,
    pub end_column: u32,
    pub finding: Finding,
    pub gate: Option<Verdict>,
    pub subject: String,
    pub span: Spans,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caches_of_workspaces_not_checked_for_long_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let stale = dir.path().join("check-00000000000000aa.bin");
        let recent = dir.path().join("check-00000000000000bb.json");
        let other = dir.path().join("notes.txt");
        for p in [&stale, &recent, &other] {
            std::fs::write(p, "{}").unwrap();
        }
        let long_ago = std::time::SystemTime::now() - UNUSED_FOR * 2;
        for p in [&stale, &other] {
            std::fs::File::options()
                .write(true)
                .open(p)
                .unwrap()
                .set_modified(long_ago)
                .unwrap();
        }
        let cache = ScanCache::open(dir.path(), Path::new("/some/root"));
        let files = vec![Kept::new(
            "a.ts".to_owned(),
            Entry::unparsed(None, now(), (false, false)),
        )];
        cache.save(files).unwrap();
        assert!(!stale.exists());
        assert!(recent.exists());
        // Only the cache's own files are touched.
        assert!(other.exists());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 3);
    }
}
