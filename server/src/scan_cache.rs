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
//! Most files hold neither a tag nor an env read, and reading them is then
//! most of a check's work. An entry also keeps the file's size, modification
//! time and inode as they were when its bytes were read ([`Stat`]); while
//! they are the same, a file without candidates is not read at all, and a
//! file with them is not hashed. A modification time less than 2 s before
//! that read is not trusted (a write in the same clock tick leaves it
//! unchanged), the way git treats "racily clean" files.
//!
//! One file per workspace root (postcard, a compact binary serde format),
//! under [`default_dir`], is replaced
//! whole and atomically at the end of a run, and removed once no run has
//! written it for 30 days; an unreadable or foreign file is ignored, and entries that do not fit their text are not used
//! ([`Document::from_parts`]). Nothing of an env file and no value is kept.

use std::collections::HashMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::document::SyntaxParts;
use crate::syntax::env::EnvUse;
use crate::text::TextRange;

/// Bumped whenever what an entry means changes.
const FORMAT: u32 = 2;

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
    files: HashMap<String, Entry>,
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
        }
    }

    /// Whether the bytes can hold a tag, and an env read.
    pub fn shape(&self) -> (bool, bool) {
        self.shape
    }

    /// What the parse found, if the file was parsed.
    pub fn parts_if_parsed(&self) -> Option<SyntaxParts> {
        self.hash.map(|_| self.parts())
    }

    /// The same entry for a file whose bytes were read again at `read_at`
    /// and found the same.
    pub fn read_again(mut self, stat: Option<Stat>, read_at: i128) -> Entry {
        self.stat = stat.map(|s| (s, read_at));
        self
    }

    pub fn new(
        hash: u128,
        stat: Option<Stat>,
        read_at: i128,
        shape: (bool, bool),
        parts: &SyntaxParts,
    ) -> Entry {
        Entry {
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

/// What a run keeps of one file.
#[derive(Debug)]
pub enum Kept {
    /// The entry the cache holds for this path, as it is.
    Same(String),
    /// A new or changed entry.
    New(String, Entry),
}

/// The cache of one workspace root for one run.
#[derive(Debug, Default)]
pub struct ScanCache {
    /// The file it was read from and is written to; `None` when off.
    path: Option<PathBuf>,
    old: HashMap<String, Entry>,
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
        let old = std::fs::read(&path)
            .ok()
            .and_then(|bytes| postcard::from_bytes::<CacheFile>(&bytes).ok())
            .filter(|f| f.format == FORMAT && f.tagls == env!("CARGO_PKG_VERSION"))
            .map(|f| f.files)
            .unwrap_or_default();
        ScanCache {
            path: Some(path),
            old,
        }
    }

    pub fn is_on(&self) -> bool {
        self.path.is_some()
    }

    /// The entry of `rel` if it was made for these bytes.
    pub fn get(&self, rel: &str, hash: u128) -> Option<(Entry, SyntaxParts)> {
        let entry = self.old.get(rel)?;
        (entry.hash == Some(hash)).then(|| (entry.clone(), entry.parts()))
    }

    /// The entry of `rel` if the file's metadata says it has not changed
    /// since its bytes were read, long enough before that read.
    pub fn unchanged(&self, rel: &str, now: Stat) -> Option<&Entry> {
        self.old.get(rel).filter(|e| {
            e.stat
                .is_some_and(|(then, read_at)| then == now && then.mtime + RACY < read_at)
        })
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
            return Ok(());
        }
        let mut old = self.old;
        let files: HashMap<String, Entry> = kept
            .into_iter()
            .filter_map(|k| match k {
                Kept::Same(rel) => old.remove_entry(&rel),
                Kept::New(rel, entry) => Some((rel, entry)),
            })
            .collect();
        let dir = path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir)?;
        let file = CacheFile {
            format: FORMAT,
            tagls: env!("CARGO_PKG_VERSION").to_owned(),
            files,
        };
        let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
        let bytes = postcard::to_stdvec(&file).map_err(std::io::Error::other)?;
        tmp.as_file_mut().write_all(&bytes)?;
        tmp.as_file_mut().flush()?;
        tmp.persist(&path).map_err(|e| e.error)?;
        prune(dir, UNUSED_FOR);
        Ok(())
    }
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
        let files = vec![Kept::New(
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
