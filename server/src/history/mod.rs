//! What git history says about the tags of a workspace: for each commit of
//! a range, the tags it added and removed, and for each line of a file the
//! commit that introduced it.
//!
//! History is read incrementally. One `git log` lists the range; the
//! commits the cache does not know are read with one `git log --raw -M`,
//! their blobs through one long-lived `git cat-file --batch`, and each blob
//! is scanned with the scanner `tagls check` uses (comments only: a
//! tag-shaped string in code is not a tag). What a blob holds and what a
//! commit changed are kept on disk ([`cache`]): blobs and commits are
//! immutable, so a second run reads only new commits, and a rewritten
//! history merely leaves entries nobody asks for.
//!
//! Every git runs through [`crate::log::git::command`], with argument
//! lists, never a shell string.

pub mod blame;
pub mod cache;

use std::collections::HashMap;
use std::io::{BufRead as _, BufReader, BufWriter, Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use serde::{Deserialize, Serialize};

use crate::document::Document;
use crate::syntax::Language;
use crate::tags::Registry;

/// Blobs larger than this are not read: the limit `tagls check` has.
pub const MAX_BLOB_SIZE: u64 = crate::gate::MAX_FILE_SIZE;

/// A tag as history compares it: the file, the name and the payload with
/// its white space collapsed. Tags are compared as a multiset of these.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TagKey {
    pub path: String,
    pub name: String,
    pub payload: String,
}

/// A tag in a blob: name and normalised payload.
pub type BlobTag = (String, String);

/// What a blob holds, as the scanner found it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BlobTags {
    /// The tags, in document order (none for a file no grammar reads).
    Tags(Vec<BlobTag>),
    /// Not read: larger than [`MAX_BLOB_SIZE`] or binary.
    NotSeen,
}

/// One commit of the range and what it changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Commit {
    pub id: String,
    /// Author time, seconds since the Unix epoch.
    pub time: i64,
    pub author: String,
    /// Tags this commit added (against its parent; a root commit adds
    /// everything it holds; a merge shows no change of its own, as its
    /// changes are counted in the commits it merges).
    pub added: Vec<TagKey>,
    pub removed: Vec<TagKey>,
    /// Files of this commit that could hold tags but were not read (too
    /// large, binary).
    pub not_seen: Vec<String>,
}

/// What was asked: the range of history to read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Range {
    /// Every commit reachable from `HEAD`.
    #[default]
    All,
    /// The commits after this revision, up to `HEAD`.
    Since(String),
    /// The last N commits up to `HEAD`.
    Last(usize),
}

/// What git knows about the repository around a root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Repo {
    /// The root, as given (absolute).
    pub root: PathBuf,
    /// The root's path below the repository's top, with a trailing `/`
    /// (empty at the top).
    pub prefix: String,
    /// `HEAD`'s commit, `None` in a repository with no commit yet.
    pub head: Option<String>,
    /// The branch `HEAD` is on, `None` when it is detached.
    pub branch: Option<String>,
    /// Whether the clone is shallow: history before its graft is not there.
    pub shallow: bool,
}

/// Why history cannot be read at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HistoryError {
    /// No git, or the root is not in a work tree.
    NotARepository(PathBuf),
    /// `--since` names no commit.
    UnknownRevision(String),
    /// git failed in a way that leaves no answer.
    Git(String),
}

impl std::fmt::Display for HistoryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HistoryError::NotARepository(root) => write!(
                f,
                "{} is not in a git work tree (or git is not installed): the audit reads history from git; run it inside a clone",
                root.display()
            ),
            HistoryError::UnknownRevision(rev) => write!(
                f,
                "--since {rev}: names no commit here; give a branch, tag or commit id"
            ),
            HistoryError::Git(why) => write!(f, "git failed: {why}"),
        }
    }
}

impl std::error::Error for HistoryError {}

/// A git command in `root` that prints paths as they are, for parsing.
fn git(root: &Path) -> Command {
    let mut cmd = crate::log::git::command(root);
    cmd.args(["-c", "core.quotePath=false"])
        .stderr(Stdio::null());
    cmd
}

fn output(mut cmd: Command) -> Option<Vec<u8>> {
    let out = cmd.output().ok()?;
    out.status.success().then_some(out.stdout)
}

fn text(bytes: Vec<u8>) -> String {
    String::from_utf8_lossy(&bytes).trim().to_owned()
}

/// What git knows about the repository `root` is in.
pub fn repo(root: &Path) -> Result<Repo, HistoryError> {
    let not_repo = || HistoryError::NotARepository(root.to_path_buf());
    let inside = output({
        let mut c = git(root);
        c.args(["rev-parse", "--is-inside-work-tree"]);
        c
    })
    .map(text)
    .ok_or_else(not_repo)?;
    if inside != "true" {
        return Err(not_repo());
    }
    let prefix = output({
        let mut c = git(root);
        c.args(["rev-parse", "--show-prefix"]);
        c
    })
    .map(text)
    .unwrap_or_default();
    let head = output({
        let mut c = git(root);
        c.args(["rev-parse", "--verify", "--quiet", "HEAD^{commit}"]);
        c
    })
    .map(text)
    .filter(|h| !h.is_empty());
    let branch = output({
        let mut c = git(root);
        c.args(["symbolic-ref", "--quiet", "--short", "HEAD"]);
        c
    })
    .map(text)
    .filter(|b| !b.is_empty());
    let shallow = output({
        let mut c = git(root);
        c.args(["rev-parse", "--is-shallow-repository"]);
        c
    })
    .map(text)
    .is_some_and(|s| s == "true");
    Ok(Repo {
        root: root.to_path_buf(),
        prefix,
        head,
        branch,
        shallow,
    })
}

/// Resolves a revision to its commit id; `None` when it names none (an
/// option-shaped revision names none).
pub fn resolve(repo: &Repo, rev: &str) -> Option<String> {
    if rev.is_empty() || rev.starts_with('-') {
        return None;
    }
    output({
        let mut c = git(&repo.root);
        c.args(["rev-parse", "--verify", "--quiet", "--end-of-options"])
            .arg(format!("{rev}^{{commit}}"));
        c
    })
    .map(text)
    .filter(|h| !h.is_empty())
}

/// A commit of the range as the first, cheap `git log` lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listed {
    pub id: String,
    pub time: i64,
    pub author: String,
}

const HEADER: u8 = 0x01;

/// The commits of `range`, newest first, touching the root.
pub fn list(repo: &Repo, range: &Range) -> Result<Vec<Listed>, HistoryError> {
    if repo.head.is_none() {
        return Ok(Vec::new());
    }
    let mut c = git(&repo.root);
    c.args(["log", "-z", "--format=%H%x1f%at%x1f%an"]);
    match range {
        Range::All => {
            c.arg("HEAD");
        }
        Range::Since(rev) => {
            let id =
                resolve(repo, rev).ok_or_else(|| HistoryError::UnknownRevision(rev.clone()))?;
            c.arg(format!("{id}..HEAD"));
        }
        Range::Last(n) => {
            c.arg(format!("--max-count={n}")).arg("HEAD");
        }
    }
    c.args(["--", "."]);
    let out = output(c)
        .ok_or_else(|| HistoryError::Git("git log could not list the history".to_owned()))?;
    Ok(out
        .split(|b| *b == 0)
        .filter_map(|rec| {
            let rec = String::from_utf8_lossy(rec);
            let rec = rec.trim_start_matches('\n');
            let mut f = rec.split('\x1f');
            let id = f.next()?.to_owned();
            if id.len() < 40 {
                return None;
            }
            let time = f.next()?.parse().ok()?;
            let author = f.next().unwrap_or("").to_owned();
            Some(Listed { id, time, author })
        })
        .collect())
}

/// One file a commit changed, as `git log --raw` shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Change {
    old_blob: Option<String>,
    new_blob: Option<String>,
    old_path: String,
    new_path: String,
}

fn is_zero(oid: &str) -> bool {
    oid.bytes().all(|b| b == b'0')
}

/// Parses `git log --raw -z` with a `%x01%H` header per commit.
fn parse_raw(out: &[u8]) -> HashMap<String, Vec<Change>> {
    let mut commits: HashMap<String, Vec<Change>> = HashMap::new();
    let mut current: Option<String> = None;
    let mut fields = out.split(|b| *b == 0).peekable();
    while let Some(field) = fields.next() {
        let field = field.strip_prefix(b"\n").unwrap_or(field);
        if let Some(id) = field.strip_prefix(&[HEADER]) {
            let id = String::from_utf8_lossy(id).trim().to_owned();
            commits.entry(id.clone()).or_default();
            current = Some(id);
            continue;
        }
        let Some(meta) = field.strip_prefix(b":") else {
            continue;
        };
        let meta = String::from_utf8_lossy(meta);
        let parts: Vec<&str> = meta.split(' ').collect();
        let (Some(old), Some(new), Some(status)) = (parts.get(2), parts.get(3), parts.get(4))
        else {
            continue;
        };
        let two_paths = status.starts_with('R') || status.starts_with('C');
        let Some(first) = fields.next() else { break };
        let first = String::from_utf8_lossy(first).into_owned();
        let second = if two_paths {
            match fields.next() {
                Some(p) => String::from_utf8_lossy(p).into_owned(),
                None => break,
            }
        } else {
            first.clone()
        };
        // A copy leaves its source in place: only the new side changed.
        let old_blob = (!is_zero(old) && !status.starts_with('C')).then(|| (*old).to_owned());
        let new_blob = (!is_zero(new)).then(|| (*new).to_owned());
        if let Some(id) = &current {
            commits.entry(id.clone()).or_default().push(Change {
                old_blob,
                new_blob,
                old_path: first,
                new_path: second,
            });
        }
    }
    commits
}

/// The files each of `ids` changed against its first parent, with renames
/// found (`-M`), from one `git log --raw`.
fn raw_changes(repo: &Repo, ids: &[String]) -> Result<HashMap<String, Vec<Change>>, HistoryError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut c = git(&repo.root);
    c.args([
        "log",
        "--no-walk=unsorted",
        "--stdin",
        "--raw",
        "-z",
        "--no-abbrev",
        "-M",
        "--no-ext-diff",
        "--no-textconv",
        "--format=%x01%H",
        "--",
        ".",
    ])
    .stdin(Stdio::piped())
    .stdout(Stdio::piped());
    let mut child = c
        .spawn()
        .map_err(|e| HistoryError::Git(format!("cannot run git log: {e}")))?;
    let mut stdin = child.stdin.take();
    let input: Vec<u8> = ids
        .iter()
        .flat_map(|id| format!("{id}\n").into_bytes())
        .collect();
    // Written on a thread of its own: git may answer before it has read
    // every id, and a full pipe both ways would stall both.
    let writer = std::thread::spawn(move || {
        if let Some(mut s) = stdin.take() {
            let _ = s.write_all(&input);
        }
    });
    let mut out = Vec::new();
    if let Some(mut so) = child.stdout.take() {
        let _ = so.read_to_end(&mut out);
    }
    let _ = writer.join();
    let status = child
        .wait()
        .map_err(|e| HistoryError::Git(format!("git log: {e}")))?;
    if !status.success() {
        return Err(HistoryError::Git("git log --raw failed".to_owned()));
    }
    Ok(parse_raw(&out))
}

/// A long-lived `git cat-file --batch`: blob contents by id, one at a time.
pub struct Blobs {
    child: Child,
    stdin: BufWriter<ChildStdin>,
    stdout: BufReader<ChildStdout>,
}

/// A blob read from [`Blobs`].
pub enum Blob {
    Bytes(Vec<u8>),
    /// Larger than the limit: its bytes were skipped, not kept.
    TooLarge(u64),
    Missing,
}

impl Blobs {
    pub fn start(root: &Path) -> std::io::Result<Blobs> {
        let mut c = git(root);
        c.args(["cat-file", "--batch"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped());
        let mut child = c.spawn()?;
        let stdin = child
            .stdin
            .take()
            .ok_or_else(|| std::io::Error::other("no stdin"))?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| std::io::Error::other("no stdout"))?;
        Ok(Blobs {
            child,
            stdin: BufWriter::new(stdin),
            stdout: BufReader::new(stdout),
        })
    }

    /// The blob `oid`; one larger than `limit` is read past, not kept.
    pub fn get(&mut self, oid: &str, limit: u64) -> std::io::Result<Blob> {
        writeln!(self.stdin, "{oid}")?;
        self.stdin.flush()?;
        let mut header = String::new();
        self.stdout.read_line(&mut header)?;
        let mut parts = header.split_whitespace();
        let (_, kind, size) = (parts.next(), parts.next(), parts.next());
        if kind == Some("missing") || size.is_none() {
            return Ok(Blob::Missing);
        }
        let size: u64 = size
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| std::io::Error::other("cat-file answered without a size"))?;
        if size > limit {
            std::io::copy(&mut (&mut self.stdout).take(size + 1), &mut std::io::sink())?;
            return Ok(Blob::TooLarge(size));
        }
        let mut bytes = vec![0; size as usize];
        self.stdout.read_exact(&mut bytes)?;
        let mut nl = [0u8; 1];
        self.stdout.read_exact(&mut nl)?;
        Ok(Blob::Bytes(bytes))
    }
}

impl Drop for Blobs {
    fn drop(&mut self) {
        let _ = self.stdin.flush();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Collapses the white space of a payload: a re-wrapped tag is the same tag.
pub fn normalise(payload: &str) -> String {
    payload.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The tags of a file's bytes, with the scanner `tagls check` uses;
/// `NotSeen` for a binary file. A path no grammar reads holds none.
pub fn scan_blob(path: &str, bytes: &[u8], registry: &Registry) -> BlobTags {
    let Some(lang) = Language::detect(None, path) else {
        return BlobTags::Tags(Vec::new());
    };
    if crate::analysis::Skip::of(bytes.len() as u64, bytes, MAX_BLOB_SIZE).is_some() {
        return BlobTags::NotSeen;
    }
    if !crate::tags::scan::may_hold_tag(bytes) {
        return BlobTags::Tags(Vec::new());
    }
    let text = String::from_utf8_lossy(bytes);
    let doc = Document::new(lang, &text, &mut lang.parser(), registry);
    BlobTags::Tags(
        doc.tags()
            .map(|t| (t.name.to_string(), normalise(&t.payload)))
            .collect(),
    )
}

/// Whether a path may hold tags at all: a grammar reads it.
pub fn may_hold_tags(path: &str) -> bool {
    Language::detect(None, path).is_some()
}

/// What history reads, with what it could not see.
#[derive(Clone, Debug, Default)]
pub struct History {
    /// The commits of the range, newest first.
    pub commits: Vec<Commit>,
    /// How many commits came from the cache.
    pub cached: usize,
    /// How many blobs were read from git this run.
    pub blobs_read: usize,
}

/// Reads the commits of `range` and what each changed in the tags under
/// the root, with `cache` (read before, written after by the caller).
pub fn read(
    repo: &Repo,
    range: &Range,
    registry: &Registry,
    cache: &mut cache::HistoryCache,
) -> Result<History, HistoryError> {
    let listed = list(repo, range)?;
    let missing: Vec<String> = listed
        .iter()
        .filter(|l| !cache.has_commit(&l.id))
        .map(|l| l.id.clone())
        .collect();
    let raw = raw_changes(repo, &missing)?;
    let mut blobs: Option<Blobs> = None;
    let mut blobs_read = 0;
    let strip =
        |p: &str| -> Option<String> { p.strip_prefix(repo.prefix.as_str()).map(str::to_owned) };
    let wanted: std::collections::HashSet<&str> = missing.iter().map(String::as_str).collect();
    for l in listed.iter().filter(|l| wanted.contains(l.id.as_str())) {
        let mut added = Vec::new();
        let mut removed = Vec::new();
        let mut not_seen = Vec::new();
        for ch in raw.get(&l.id).map(Vec::as_slice).unwrap_or_default() {
            let (Some(old_path), Some(new_path)) = (strip(&ch.old_path), strip(&ch.new_path))
            else {
                continue;
            };
            if !may_hold_tags(&old_path) && !may_hold_tags(&new_path) {
                continue;
            }
            let mut side =
                |oid: &Option<String>, path: &str| -> Result<Vec<BlobTag>, HistoryError> {
                    let Some(oid) = oid else {
                        return Ok(Vec::new());
                    };
                    if !may_hold_tags(path) {
                        return Ok(Vec::new());
                    }
                    if let Some(t) = cache.blob(oid) {
                        return Ok(match t {
                            BlobTags::Tags(t) => t.clone(),
                            BlobTags::NotSeen => {
                                not_seen.push(path.to_owned());
                                Vec::new()
                            }
                        });
                    }
                    if blobs.is_none() {
                        blobs = Some(Blobs::start(&repo.root).map_err(|e| {
                            HistoryError::Git(format!("cannot run git cat-file: {e}"))
                        })?);
                    }
                    let reader = blobs
                        .as_mut()
                        .ok_or_else(|| HistoryError::Git("git cat-file".to_owned()))?;
                    let got = reader
                        .get(oid, MAX_BLOB_SIZE)
                        .map_err(|e| HistoryError::Git(format!("git cat-file: {e}")))?;
                    blobs_read += 1;
                    let tags = match got {
                        Blob::Bytes(b) => scan_blob(path, &b, registry),
                        Blob::TooLarge(_) | Blob::Missing => BlobTags::NotSeen,
                    };
                    cache.put_blob(oid.clone(), tags.clone());
                    Ok(match tags {
                        BlobTags::Tags(t) => t,
                        BlobTags::NotSeen => {
                            not_seen.push(path.to_owned());
                            Vec::new()
                        }
                    })
                };
            let old = side(&ch.old_blob, &old_path)?;
            let new = side(&ch.new_blob, &new_path)?;
            let (a, r) = difference(&old, &new);
            // A renamed file's tags move with it: counted at its new path.
            added.extend(a.into_iter().map(|(name, payload)| TagKey {
                path: new_path.clone(),
                name,
                payload,
            }));
            removed.extend(r.into_iter().map(|(name, payload)| TagKey {
                path: if ch.new_blob.is_some() {
                    new_path.clone()
                } else {
                    old_path.clone()
                },
                name,
                payload,
            }));
        }
        cache.put_commit(Commit {
            id: l.id.clone(),
            time: l.time,
            author: l.author.clone(),
            added,
            removed,
            not_seen,
        });
    }
    let cached = listed.len() - missing.len();
    let commits = listed
        .iter()
        .filter_map(|l| cache.commit(&l.id).cloned())
        .collect();
    Ok(History {
        commits,
        cached,
        blobs_read,
    })
}

/// What `new` holds that `old` does not, and what `old` held that `new`
/// does not, as multisets.
pub fn difference(old: &[BlobTag], new: &[BlobTag]) -> (Vec<BlobTag>, Vec<BlobTag>) {
    let mut count: HashMap<&BlobTag, isize> = HashMap::new();
    for t in new {
        *count.entry(t).or_default() += 1;
    }
    for t in old {
        *count.entry(t).or_default() -= 1;
    }
    let mut added = Vec::new();
    let mut removed = Vec::new();
    // In document order, for a stable answer.
    let mut seen: HashMap<&BlobTag, isize> = HashMap::new();
    for t in new {
        let n = count.get(t).copied().unwrap_or(0);
        let s = seen.entry(t).or_default();
        if *s < n {
            *s += 1;
            added.push(t.clone());
        }
    }
    let mut seen: HashMap<&BlobTag, isize> = HashMap::new();
    for t in old {
        let n = -count.get(t).copied().unwrap_or(0);
        let s = seen.entry(t).or_default();
        if *s < n {
            *s += 1;
            removed.push(t.clone());
        }
    }
    (added, removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(name: &str, p: &str) -> BlobTag {
        (name.to_owned(), p.to_owned())
    }

    #[test]
    fn tags_compare_as_a_multiset() {
        let old = vec![t("A", "x"), t("A", "x"), t("B", "y")];
        let new = vec![t("A", "x"), t("C", "z"), t("B", "y")];
        assert_eq!(
            difference(&old, &new),
            (vec![t("C", "z")], vec![t("A", "x")])
        );
        assert_eq!(difference(&new, &new), (vec![], vec![]));
    }

    #[test]
    fn only_comments_hold_tags() {
        let reg = Registry::builtin();
        let src = b"// #COMPLETION_DRIVE: Assuming   the cache\nconst s = \"#COMPLETION_DRIVE: decoy\";\n";
        assert_eq!(
            scan_blob("a.ts", src, &reg),
            BlobTags::Tags(vec![t("COMPLETION_DRIVE", "Assuming the cache")])
        );
        assert_eq!(scan_blob("a.bin", src, &reg), BlobTags::Tags(vec![]));
        assert_eq!(scan_blob("a.ts", b"\0\0#X: y", &reg), BlobTags::NotSeen);
    }

    #[test]
    fn raw_log_with_a_rename() {
        let z = "0".repeat(40);
        let a = "a".repeat(40);
        let b = "b".repeat(40);
        let out = format!(
            "\x01{a}\0\n:100644 100644 {a} {a} R100\0x.ts\0y.ts\0:000000 100644 {z} {b} A\0n.ts\0\x01{b}\0\n:100644 000000 {b} {z} D\0n.ts\0"
        );
        let got = parse_raw(out.as_bytes());
        assert_eq!(got[&a].len(), 2);
        assert_eq!(got[&a][0].old_path, "x.ts");
        assert_eq!(got[&a][0].new_path, "y.ts");
        assert_eq!(got[&a][1].old_blob, None);
        assert_eq!(got[&b][0].new_blob, None);
    }
}
