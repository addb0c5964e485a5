//! The workspace: its roots, their file indexes, env files and path
//! aliases, and the one place that decides whether a path may be looked at.
//!
//! A path outside every root is reported as outside without a single system
//! call. A path inside is answered from the index; a path the index does not
//! hold (a gitignored file, a file under a symlinked folder) is probed once,
//! component by component, so that a symlink pointing out of the root is
//! caught before anything beyond the root is statted, and the answer is
//! cached until the file system changes.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::envindex::{EnvIndex, is_env_file};
use super::fs::{FileKind, Fs};
use super::index::FileIndex;
use super::paths::{is_inside, normalize, rel_inside};
use super::tsconfig::Aliases;
use super::walk::Excludes;

/// What is at a path, as far as tagls may know.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lookup {
    Found(FileKind),
    Missing,
    /// Outside every root, or reached through a symlink that leads out.
    Outside,
}

/// A change on disk, from the client or from the server's own watcher.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    Created(PathBuf),
    Changed(PathBuf),
    Removed(PathBuf),
    /// Events were lost: everything must be read again.
    Rescan,
}

#[derive(Clone)]
pub struct Root {
    pub path: PathBuf,
    /// None until the background walk finishes. Shared by the forks of a
    /// workspace ([`Workspace::fork`]); a change copies it only if it is
    /// shared at that moment, which the server's never is.
    pub index: Option<Arc<FileIndex>>,
    pub env: EnvIndex,
    pub aliases: Arc<Aliases>,
    /// Derived from a document's folder because the client named no root.
    pub fallback: bool,
    /// Which files at the root are env files, as its configuration says
    /// (`.env`, `.env.*` unless configured).
    env_files: Option<Arc<globset::GlobSet>>,
    /// The rules of the walk that made `index`, when known: which folders
    /// it did not enter; and how much of what it listed the index still
    /// holds.
    walk_rules: Option<(Arc<Excludes>, Listed)>,
}

impl Root {
    /// Whether a file name at this root is an env file.
    pub fn is_env(&self, name: &str) -> bool {
        match &self.env_files {
            Some(set) => set.is_match(name),
            None => is_env_file(name),
        }
    }
}

/// How much of a walk's listing an index is known to hold (see
/// [`Workspace::set_walk_rules`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Listed {
    /// All of it: the index is the walk, just made (`tagls check`). A name
    /// the index lacks is missing when the nearest folder on its way that
    /// the index holds was walked.
    Whole,
    /// What change events kept up to date since (the server): they may
    /// have missed what a new folder holds, so a name the index lacks is
    /// missing only when its own folder was walked.
    Watched,
}

pub struct Workspace {
    fs: Arc<dyn Fs>,
    roots: Vec<Root>,
    probes: HashMap<PathBuf, Lookup>,
    /// Bumped on every change that can alter a resolution.
    generation: u64,
    /// How many answers came from the disk rather than the index.
    probed: u64,
}

/// Symlink hops followed before a path is given up as missing.
const MAX_HOPS: usize = 40;

impl Workspace {
    pub fn new(fs: Arc<dyn Fs>) -> Workspace {
        Workspace {
            fs,
            roots: Vec::new(),
            probes: HashMap::new(),
            probed: 0,
            generation: 0,
        }
    }

    /// Sets which files at a root are env files, as its configuration
    /// says, and reads them again if that changed.
    pub fn set_env_files(&mut self, root: &Path, env_files: globset::GlobSet) {
        let fs = self.fs.clone();
        let Some(r) = self.roots.iter_mut().find(|r| r.path == root) else {
            return;
        };
        r.env_files = Some(Arc::new(env_files));
        r.env = EnvIndex::load(&*fs, &r.path, &|n| r.is_env(n));
        self.probes.clear();
        self.generation += 1;
    }

    /// Whether a file is an env file of its root, as the root's
    /// configuration says: its name is one (`.env`, `.env.*`, or a name a
    /// configured glob matches), or its path from the root matches a
    /// configured glob (`env-files = ["config/*.env"]`).
    pub fn is_env_path(&self, path: &Path) -> bool {
        let path = normalize(path);
        let name = path.file_name().map(|n| n.to_string_lossy());
        let Some(root) = self.root_for(&path) else {
            return name.is_some_and(|n| is_env_file(&n));
        };
        name.is_some_and(|n| root.is_env(&n))
            || root.env_files.as_ref().is_some_and(|set| {
                rel_inside(&path, &root.path).is_some_and(|rel| set.is_match(rel))
            })
    }

    pub fn fs(&self) -> &dyn Fs {
        &*self.fs
    }

    pub fn generation(&self) -> u64 {
        self.generation
    }

    pub fn roots(&self) -> &[Root] {
        &self.roots
    }

    /// Adds a root (absolute); its env files and aliases are read now, its
    /// index later ([`Workspace::set_index`]). Returns false if it was there.
    pub fn add_root(&mut self, path: &Path, fallback: bool) -> bool {
        let path = normalize(path);
        if self.roots.iter().any(|r| r.path == path) {
            return false;
        }
        let env = EnvIndex::load(&*self.fs, &path, &is_env_file);
        let aliases = Aliases::load(&*self.fs, &path);
        self.roots.push(Root {
            path,
            index: None,
            env,
            aliases: Arc::new(aliases),
            fallback,
            walk_rules: None,
            env_files: None,
        });
        // Longest first, so that nested roots win.
        self.roots
            .sort_by_key(|r| std::cmp::Reverse(r.path.as_os_str().len()));
        self.generation += 1;
        true
    }

    /// A workspace that answers as this one does, for another thread: the
    /// same roots, their indexes shared, and a probe cache of its own.
    pub fn fork(&self) -> Workspace {
        Workspace {
            fs: Arc::clone(&self.fs),
            roots: self.roots.clone(),
            probes: HashMap::new(),
            probed: 0,
            generation: self.generation,
        }
    }

    /// Tells the workspace which folders the walk that made the root's
    /// index did not enter: a name the index lacks in a folder the walk
    /// listed (as far as `listed` says) is then missing without asking the
    /// disk, unless it is such a folder. Without the rules, any name the
    /// index lacks in a folder it holds is missing.
    pub fn set_walk_rules(&mut self, root: &Path, rules: Arc<Excludes>, listed: Listed) {
        if let Some(r) = self.roots.iter_mut().find(|r| r.path == root) {
            r.walk_rules = Some((rules, listed));
            self.probes.clear();
            self.generation += 1;
        }
    }

    pub fn set_index(&mut self, root: &Path, index: FileIndex) {
        if let Some(r) = self.roots.iter_mut().find(|r| r.path == root) {
            r.index = Some(Arc::new(index));
            // Probes made before the index may be older than it.
            self.probes.clear();
            self.generation += 1;
        }
    }

    /// How many lookups so far the index could not answer, so that they
    /// asked the disk: an answer that did not change this count depends on
    /// the roots, their indexes, env files and aliases alone.
    pub fn probed(&self) -> u64 {
        self.probed
    }

    /// Counts an answer the disk gave, kept by a caller.
    pub fn count_probe(&mut self) {
        self.probed += 1;
    }

    /// The root that holds `path`, the innermost when roots nest.
    pub fn root_for(&self, path: &Path) -> Option<&Root> {
        self.roots.iter().find(|r| is_inside(path, &r.path))
    }

    /// What is at an absolute path.
    pub fn lookup(&mut self, path: &Path) -> Lookup {
        let path = normalize(path);
        let Some(root) = self.root_for(&path) else {
            return Lookup::Outside;
        };
        let Some(rel) = rel_inside(&path, &root.path) else {
            return Lookup::Outside;
        };
        if rel.as_os_str().is_empty() {
            return Lookup::Found(FileKind::Dir);
        }
        let indexed = root.index.as_ref().and_then(|i| i.get(rel));
        if let Some(kind) = indexed
            && kind != FileKind::Symlink
        {
            return Lookup::Found(kind);
        }
        // A name missing from a folder the index walked is missing: no
        // system call needed. (Folders the walk did not enter, excluded or
        // behind a symlink, and symlinks, are probed below.)
        if let Some(index) = root.index.as_ref().filter(|_| indexed.is_none()) {
            let whole = matches!(root.walk_rules, Some((_, Listed::Whole)));
            // Under a skipped folder too: change events can put one in the
            // index.
            let skipped = |name: &Path| {
                root.walk_rules
                    .as_ref()
                    .is_some_and(|(rules, _)| rules.is_excluded(&root.path.join(name), true))
            };
            // Up to the nearest folder on the way that the index holds,
            // when it holds the whole walk.
            let mut name = rel;
            loop {
                let parent = name.parent().unwrap_or(Path::new(""));
                let kind = match parent.as_os_str().is_empty() {
                    true => Some(FileKind::Dir),
                    false => index.get(parent),
                };
                match kind {
                    Some(FileKind::Dir) if !skipped(name) => return Lookup::Missing,
                    // Nothing is under a file.
                    Some(FileKind::File) if whole => return Lookup::Missing,
                    None if whole => name = parent,
                    _ => break,
                }
            }
        }
        let answer = match self.probes.get(&path) {
            Some(hit) => *hit,
            None => probe(&*self.fs, &root.path, root.index.as_deref(), &path, 0),
        };
        self.probed += 1;
        self.probes.insert(path, answer);
        answer
    }

    /// Reads a regular file inside a root, after the same checks as
    /// [`Workspace::lookup`]: nothing outside the roots is ever opened.
    pub fn read(&mut self, path: &Path, max: u64) -> Result<Vec<u8>, ReadError> {
        let path = normalize(path);
        match self.lookup(&path) {
            Lookup::Outside => Err(ReadError::Outside),
            Lookup::Missing => Err(ReadError::Missing),
            Lookup::Found(FileKind::Dir) => Err(ReadError::NotAFile),
            Lookup::Found(FileKind::Other) => Err(ReadError::NotAFile),
            Lookup::Found(FileKind::File | FileKind::Symlink) => {
                // Its bytes are the disk's, not the index's.
                self.probed += 1;
                // A file the index holds as a regular file has no symlink on
                // its way from the root: the walk enters no symlinked
                // folder. Anything else was checked by the probe; read its
                // target, which is inside too.
                let target = if self.indexed_as_file(&path) {
                    path
                } else {
                    match self.resolve_inside(&path) {
                        Some(t) => t,
                        None => return Err(ReadError::Outside),
                    }
                };
                self.fs.read(&target, max).map_err(ReadError::from)
            }
        }
    }

    /// Whether the index of `path`'s root holds it as a regular file.
    fn indexed_as_file(&self, path: &Path) -> bool {
        self.root_for(path).is_some_and(|root| {
            path.strip_prefix(&root.path).is_ok_and(|rel| {
                root.index.as_ref().and_then(|i| i.get(rel)) == Some(FileKind::File)
            })
        })
    }

    /// The path with every symlink resolved, if it stays inside its root.
    fn resolve_inside(&self, path: &Path) -> Option<PathBuf> {
        let root = self.root_for(path)?.path.clone();
        resolve_links(&*self.fs, &root, path, 0)
    }

    /// Applies changes on disk; returns whether anything tagls resolves
    /// against may have changed.
    pub fn apply(&mut self, changes: &[Change]) -> bool {
        if changes.is_empty() {
            return false;
        }
        self.probes.clear();
        self.generation += 1;
        let fs = self.fs.clone();
        for change in changes {
            match change {
                Change::Rescan => {
                    for r in &mut self.roots {
                        if r.index.is_some() {
                            r.index = Some(Arc::new(FileIndex::build(&*fs, &r.path)));
                            // The walk read the ignore files as they are now.
                            if let Some((rules, _)) = &mut r.walk_rules {
                                *rules = Arc::new(Excludes::new(&r.path));
                            }
                        }
                        r.env = EnvIndex::load(&*fs, &r.path, &|n| r.is_env(n));
                        r.aliases = Arc::new(Aliases::load(&*fs, &r.path));
                    }
                }
                Change::Created(p) | Change::Changed(p) | Change::Removed(p) => {
                    let p = normalize(p);
                    let Some(r) = self.roots.iter_mut().find(|r| is_inside(&p, &r.path)) else {
                        continue;
                    };
                    let Ok(rel) = p.strip_prefix(&r.path).map(Path::to_path_buf) else {
                        continue;
                    };
                    if let Some(index) = &mut r.index {
                        let index = Arc::make_mut(index);
                        match fs.lstat(&p) {
                            Ok(kind) => {
                                if kind == FileKind::Dir {
                                    // A folder reported as new is walked
                                    // again whole: it may have appeared with
                                    // its contents (a checkout, `mv`), and
                                    // what changed inside it before it was
                                    // watched was never reported.
                                    index.remove(&rel);
                                    for (sub, k) in fs.walk(&p) {
                                        index.insert(rel.join(sub), k);
                                    }
                                }
                                index.insert_with_parents(rel.clone(), kind);
                            }
                            Err(_) => index.remove(&rel),
                        }
                    }
                    let top_level = rel.components().count() == 1;
                    let name = rel.to_string_lossy();
                    if top_level && r.is_env(&name) {
                        r.env = EnvIndex::load(&*fs, &r.path, &|n| r.is_env(n));
                    }
                    if top_level && (name == "tsconfig.json" || name == "jsconfig.json") {
                        r.aliases = Arc::new(Aliases::load(&*fs, &r.path));
                    }
                }
            }
        }
        true
    }
}

/// Why a file could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReadError {
    Outside,
    Missing,
    NotAFile,
    TooLarge,
    Io(String),
}

impl From<std::io::Error> for ReadError {
    /// What [`Fs::read`] reports, as a reason.
    fn from(e: std::io::Error) -> ReadError {
        match e.kind() {
            std::io::ErrorKind::FileTooLarge => ReadError::TooLarge,
            std::io::ErrorKind::NotFound => ReadError::Missing,
            std::io::ErrorKind::InvalidInput => ReadError::NotAFile,
            _ => ReadError::Io(e.to_string()),
        }
    }
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::Outside => write!(f, "outside the workspace"),
            ReadError::Missing => write!(f, "does not exist"),
            ReadError::NotAFile => write!(f, "not a regular file"),
            ReadError::TooLarge => write!(f, "too large to read"),
            ReadError::Io(e) => write!(f, "cannot be read: {e}"),
        }
    }
}

/// `path` with its symlinks resolved, component by component, as long as it
/// stays inside `root`.
fn resolve_links(fs: &dyn Fs, root: &Path, path: &Path, hops: usize) -> Option<PathBuf> {
    if hops > MAX_HOPS {
        return None;
    }
    let rel = path.strip_prefix(root).ok()?;
    let mut cur = root.to_path_buf();
    let comps: Vec<_> = rel.components().collect();
    for (i, comp) in comps.iter().enumerate() {
        let next = cur.join(comp);
        if fs.lstat(&next).ok()? == FileKind::Symlink {
            let target = normalize(&cur.join(fs.read_link(&next).ok()?));
            if !is_inside(&target, root) {
                return None;
            }
            let rest: PathBuf = comps[i + 1..].iter().collect();
            return resolve_links(fs, root, &normalize(&target.join(rest)), hops + 1);
        }
        cur = next;
    }
    Some(cur)
}

/// Resolves `path` (absolute, normalised, inside `root`) one component at a
/// time. Every component is inside the root when it is statted; a symlink
/// is read (the link itself is inside) and its target checked lexically
/// before it is followed. A folder `index` holds was walked: it is there and
/// is no symlink, so it costs no system call.
fn probe(fs: &dyn Fs, root: &Path, index: Option<&FileIndex>, path: &Path, hops: usize) -> Lookup {
    if hops > MAX_HOPS {
        return Lookup::Missing;
    }
    let Ok(rel) = path.strip_prefix(root) else {
        return Lookup::Outside;
    };
    let mut cur = root.to_path_buf();
    let mut kind = FileKind::Dir;
    let comps: Vec<_> = rel.components().collect();
    for (i, comp) in comps.iter().enumerate() {
        let next = cur.join(comp);
        let walked = index.is_some_and(|index| {
            rel_inside(&next, root).is_some_and(|rel| index.get(rel) == Some(FileKind::Dir))
        });
        if walked {
            (kind, cur) = (FileKind::Dir, next);
            continue;
        }
        match fs.lstat(&next) {
            Err(_) => return Lookup::Missing,
            Ok(FileKind::Symlink) => {
                let Ok(target) = fs.read_link(&next) else {
                    return Lookup::Missing;
                };
                let target = normalize(&cur.join(target));
                if !is_inside(&target, root) {
                    return Lookup::Outside;
                }
                let rest: PathBuf = comps[i + 1..].iter().collect();
                return probe(fs, root, index, &normalize(&target.join(rest)), hops + 1);
            }
            Ok(k) => {
                kind = k;
                cur = next;
            }
        }
    }
    Lookup::Found(kind)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workspace::fs::FakeFs;

    fn ws(fs: FakeFs) -> Workspace {
        let mut w = Workspace::new(Arc::new(fs));
        w.add_root(Path::new("/ws"), false);
        w
    }

    #[test]
    fn outside_paths_are_never_statted() {
        // The fake has /etc/passwd; the workspace must still say outside.
        let fs = FakeFs::new();
        fs.file("/etc/passwd", "root").file("/ws/a.ts", "");
        let mut w = ws(fs);
        assert_eq!(w.lookup(Path::new("/ws/../etc/passwd")), Lookup::Outside);
        assert_eq!(w.lookup(Path::new("/etc/passwd")), Lookup::Outside);
        assert_eq!(w.lookup(Path::new("/wsx/a.ts")), Lookup::Outside);
        assert_eq!(
            w.lookup(Path::new("/ws/a.ts")),
            Lookup::Found(FileKind::File)
        );
    }

    #[test]
    fn symlinks_out_of_the_root_are_outside() {
        let fs = Arc::new(FakeFs::new());
        fs.file("/secret/key", "x")
            .symlink("/ws/out", "/secret")
            .symlink("/ws/up", "../secret/key")
            .symlink("/ws/in", "src")
            .file("/ws/src/a.ts", "")
            .symlink("/ws/src/deeper", "../in")
            .symlink("/ws/loop", "loop");
        // The same answers with the index as without: the index holds the
        // symlinks, and they are probed.
        for indexed in [false, true] {
            let mut w = Workspace::new(fs.clone());
            w.add_root(Path::new("/ws"), false);
            if indexed {
                w.set_index(Path::new("/ws"), FileIndex::build(&*fs, Path::new("/ws")));
            }
            assert_eq!(w.lookup(Path::new("/ws/out/key")), Lookup::Outside);
            assert_eq!(w.lookup(Path::new("/ws/up")), Lookup::Outside);
            for found in ["/ws/in", "/ws/src/deeper", "/ws/src/deeper/a.ts"] {
                assert!(
                    matches!(w.lookup(Path::new(found)), Lookup::Found(_)),
                    "{found}, indexed: {indexed}"
                );
            }
            assert_eq!(
                w.lookup(Path::new("/ws/in/a.ts")),
                Lookup::Found(FileKind::File)
            );
            assert_eq!(w.lookup(Path::new("/ws/loop")), Lookup::Missing);
            assert_eq!(w.lookup(Path::new("/ws/in/b.ts")), Lookup::Missing);
        }
    }

    #[test]
    fn with_the_walk_rules_only_folders_the_walk_skips_are_probed() {
        let dir = tempfile::tempdir().unwrap();
        let root = crate::workspace::paths::normalize(dir.path());
        for (rel, text) in [
            ("src/a.ts", ""),
            ("node_modules/pkg/index.js", ""),
            ("node_modules/pkg/other.js", ""),
            ("dist/bundle.js", ""),
            (".gitignore", "dist/\n"),
        ] {
            let path = root.join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        let fs = crate::workspace::fs::RealFs;
        let mut w = Workspace::new(Arc::new(fs));
        w.add_root(&root, false);
        w.set_index(&root, FileIndex::build(&fs, &root));
        w.set_walk_rules(&root, Arc::new(Excludes::new(&root)), Listed::Whole);
        // Missing under folders the walk listed: the index says so.
        for missing in [
            "src/b.ts",
            "src/later.ts/index.ts",
            "lib/x/y.ts",
            "src/a.ts/z",
        ] {
            let probed = w.probed();
            assert_eq!(w.lookup(&root.join(missing)), Lookup::Missing, "{missing}");
            assert_eq!(w.probed(), probed, "{missing}");
        }
        // Folders the walk does not enter: the disk says.
        for found in [
            "node_modules",
            "node_modules/pkg/index.js",
            "dist",
            "dist/bundle.js",
        ] {
            let probed = w.probed();
            assert!(
                matches!(w.lookup(&root.join(found)), Lookup::Found(_)),
                "{found}"
            );
            assert!(w.probed() > probed, "{found}");
        }
        // Kept up to date by change events, the index may lack what a new
        // folder holds: only a name's own folder is trusted. An event can
        // also put a skipped folder in it, which still lists nothing.
        w.set_walk_rules(&root, Arc::new(Excludes::new(&root)), Listed::Watched);
        w.apply(&[Change::Changed(root.join("node_modules/pkg/index.js"))]);
        for (name, probes, exists) in [
            ("src/b.ts", false, false),
            // In the index now, through the event.
            ("node_modules", false, true),
            ("node_modules/pkg/other.js", true, true),
            ("dist", true, true),
            ("lib/x/y.ts", true, false),
            ("src/a.ts/z", true, false),
        ] {
            let probed = w.probed();
            let answer = w.lookup(&root.join(name));
            assert_eq!(w.probed() > probed, probes, "{name}");
            assert_eq!(answer != Lookup::Missing, exists, "{name}");
        }
    }

    #[test]
    fn index_and_changes() {
        let fs = Arc::new(FakeFs::new());
        fs.file("/ws/a.ts", "").file("/ws/.env.example", "A=1\n");
        let mut w = Workspace::new(fs.clone());
        w.add_root(Path::new("/ws"), false);
        let index = FileIndex::build(&*fs, Path::new("/ws"));
        w.set_index(Path::new("/ws"), index);
        assert_eq!(w.lookup(Path::new("/ws/b.ts")), Lookup::Missing);
        fs.file("/ws/b.ts", "");
        fs.file("/ws/.env.example", "A=1\nB=2\n");
        assert!(w.apply(&[
            Change::Created("/ws/b.ts".into()),
            Change::Changed("/ws/.env.example".into())
        ]));
        assert_eq!(
            w.lookup(Path::new("/ws/b.ts")),
            Lookup::Found(FileKind::File)
        );
        assert_eq!(w.roots()[0].env.lookup("B").len(), 1);
        // A file in a new folder, reported without the folder: both are there.
        fs.file("/ws/new/deep/c.ts", "");
        assert!(w.apply(&[Change::Created("/ws/new/deep/c.ts".into())]));
        for dir in ["/ws/new", "/ws/new/deep"] {
            assert_eq!(w.lookup(Path::new(dir)), Lookup::Found(FileKind::Dir));
        }
        assert_eq!(w.lookup(Path::new("/ws/new/x.ts")), Lookup::Missing);
        fs.remove("/ws/a.ts");
        w.apply(&[Change::Removed("/ws/a.ts".into())]);
        assert_eq!(w.lookup(Path::new("/ws/a.ts")), Lookup::Missing);
    }
}
