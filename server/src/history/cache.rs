//! The history cache: what each blob holds and what each commit changed,
//! kept between audits so that a second audit reads only new commits.
//!
//! Blobs and commits are named by their content, so an entry never goes
//! stale: a rewritten history (an amend, a rebase) has new ids, which miss
//! the cache and are read; the old ids are simply never asked for again.
//! What a blob holds also depends on the registry (a team's own tags), so
//! the file is keyed by the registry's names as well as by the root.
//!
//! One file per root and registry (postcard, then a hash of it) in the scan
//! cache's folder ([`crate::scan_cache::default_dir`]), replaced whole and
//! atomically; an unreadable, damaged or foreign file is ignored.

use std::collections::HashMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::blame::Origin;
use super::{BlobTags, Commit};

/// A file's blame is valid for one `HEAD` and one content of the file.
pub type BlameKey = (String, String, u64);
use crate::tags::Registry;

/// Bumped whenever what an entry means changes.
const FORMAT: u32 = 2;

/// At most this many entries of each kind are kept: the newest run's first.
const MAX_ENTRIES: usize = 500_000;

#[derive(Serialize, Deserialize, Default)]
struct CacheFile {
    format: u32,
    tagls: String,
    blobs: Vec<(String, BlobTags)>,
    commits: Vec<Commit>,
    blames: Vec<(BlameKey, Vec<(u32, Origin)>)>,
}

/// The cache of one root, in memory.
#[derive(Default)]
pub struct HistoryCache {
    path: Option<PathBuf>,
    blobs: HashMap<String, BlobTags>,
    commits: HashMap<String, Commit>,
    /// The blames of the last run, and those of this run.
    old_blames: HashMap<BlameKey, Vec<(u32, Origin)>>,
    blames: HashMap<BlameKey, Vec<(u32, Origin)>>,
    changed: bool,
}

impl HistoryCache {
    /// No cache: everything is read, nothing is written.
    pub fn off() -> HistoryCache {
        HistoryCache::default()
    }

    /// The cache of `root` for `registry` in `dir`; empty when there is
    /// none yet or it cannot be used.
    pub fn open(dir: &Path, root: &Path, registry: &Registry) -> HistoryCache {
        let mut key = root.as_os_str().as_encoded_bytes().to_vec();
        let mut names: Vec<(&str, &str)> = registry
            .defs()
            .iter()
            .map(|d| (d.name.as_str(), d.family.name()))
            .collect();
        names.sort_unstable();
        for (n, f) in names {
            key.push(0);
            key.extend_from_slice(n.as_bytes());
            key.push(b'=');
            key.extend_from_slice(f.as_bytes());
        }
        let key = xxhash_rust::xxh3::xxh3_64(&key);
        let path = dir.join(format!("audit-{key:016x}.bin"));
        let file = std::fs::read(&path)
            .ok()
            .and_then(|bytes| {
                let (body, sum) = bytes.split_last_chunk::<8>()?;
                (xxhash_rust::xxh3::xxh3_64(body).to_le_bytes() == *sum)
                    .then(|| postcard::from_bytes::<CacheFile>(body).ok())?
            })
            .filter(|f| f.format == FORMAT && f.tagls == env!("CARGO_PKG_VERSION"))
            .unwrap_or_default();
        HistoryCache {
            path: Some(path),
            blobs: file.blobs.into_iter().collect(),
            commits: file
                .commits
                .into_iter()
                .map(|c| (c.id.clone(), c))
                .collect(),
            old_blames: file.blames.into_iter().collect(),
            blames: HashMap::new(),
            changed: false,
        }
    }

    pub fn is_on(&self) -> bool {
        self.path.is_some()
    }

    pub fn has_commit(&self, id: &str) -> bool {
        self.commits.contains_key(id)
    }

    pub fn commit(&self, id: &str) -> Option<&Commit> {
        self.commits.get(id)
    }

    pub fn put_commit(&mut self, c: Commit) {
        self.changed = true;
        self.commits.insert(c.id.clone(), c);
    }

    pub fn blob(&self, oid: &str) -> Option<&BlobTags> {
        self.blobs.get(oid)
    }

    pub fn put_blob(&mut self, oid: String, tags: BlobTags) {
        self.changed = true;
        self.blobs.insert(oid, tags);
    }

    /// The blame kept for `key`, if any; kept again for the next run.
    pub fn blame(&mut self, key: &BlameKey) -> Option<HashMap<u32, Origin>> {
        let lines = self.old_blames.get(key)?.clone();
        self.blames.insert(key.clone(), lines.clone());
        Some(lines.into_iter().collect())
    }

    pub fn put_blame(&mut self, key: BlameKey, lines: &HashMap<u32, Origin>) {
        self.changed = true;
        self.blames
            .insert(key, lines.iter().map(|(k, v)| (*k, v.clone())).collect());
    }

    /// Writes the cache when this run added to it. Best effort: a cache
    /// that cannot be written only makes the next run slower.
    pub fn save(self) -> std::io::Result<()> {
        let Some(path) = self.path else {
            return Ok(());
        };
        if !self.changed {
            return Ok(());
        }
        let mut blobs: Vec<(String, BlobTags)> = self.blobs.into_iter().collect();
        blobs.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        blobs.truncate(MAX_ENTRIES);
        let mut commits: Vec<Commit> = self.commits.into_values().collect();
        // The newest are the ones the next run asks for.
        commits.sort_unstable_by(|a, b| b.time.cmp(&a.time).then_with(|| a.id.cmp(&b.id)));
        commits.truncate(MAX_ENTRIES);
        let file = CacheFile {
            format: FORMAT,
            tagls: env!("CARGO_PKG_VERSION").to_owned(),
            blobs,
            commits,
            // Only this run's: a blame is for one HEAD, and older ones are
            // not asked for again.
            blames: self.blames.into_iter().collect(),
        };
        let dir = path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir)?;
        let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
        let mut bytes = postcard::to_stdvec(&file).map_err(std::io::Error::other)?;
        let sum = xxhash_rust::xxh3::xxh3_64(&bytes);
        bytes.extend_from_slice(&sum.to_le_bytes());
        tmp.as_file_mut().write_all(&bytes)?;
        tmp.as_file_mut().flush()?;
        tmp.persist(&path).map_err(|e| e.error)?;
        Ok(())
    }
}
