//! How tagls walks a workspace: one set of rules ([`Excludes`]) for the
//! index, the watcher and `tagls check`.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError, mpsc};

use ignore::gitignore::{Gitignore, GitignoreBuilder};
use ignore::{Match, WalkBuilder, WalkState};

use super::fs::{FileKind, kind_of};

/// Whether a directory name is excluded by default.
pub fn is_default_exclude(name: &str) -> bool {
    DEFAULT_EXCLUDES.contains(&name)
}

/// A walker over `root` that never enters an excluded folder (default
/// excludes, .gitignore) nor follows a symlink. It yields every file in the
/// folders it enters, gitignored ones included: the index must know that a
/// gitignored `.env.local` exists. Use [`files`] for the files to scan.
pub fn walker(root: &Path) -> WalkBuilder {
    walk_builder(&Arc::new(Excludes::new(root)))
}

/// What a walk of a root found.
#[derive(Debug, Default)]
pub struct Walked {
    /// Every entry [`walker`] yields, relative to the root, in no order.
    pub entries: Vec<(PathBuf, FileKind)>,
    /// What could not be read on the way (a folder without permission).
    pub errors: Vec<ignore::Error>,
}

/// Walks `root` as [`walker`] does, on every core.
pub fn entries(root: &Path) -> Walked {
    entries_with(&Arc::new(Excludes::new(root)))
}

/// [`entries`] of `excludes.root()`, with these rules: they keep the ignore
/// files as the walk read them.
pub fn entries_with(excludes: &Arc<Excludes>) -> Walked {
    let root = excludes.root();
    let (sender, receiver) = mpsc::channel();
    walk_builder(excludes).build_parallel().run(|| {
        let sender = sender.clone();
        Box::new(move |entry| {
            let item = entry.map(|e| {
                let rel = e.path().strip_prefix(root).map(Path::to_path_buf);
                (e.depth(), rel, e.file_type())
            });
            // The receiver outlives the walk.
            let _ = sender.send(item);
            WalkState::Continue
        })
    });
    drop(sender);
    let mut walked = Walked::default();
    for item in receiver {
        match item {
            Ok((0, _, _)) | Ok((_, Err(_), _)) => {}
            Ok((_, Ok(rel), kind)) => walked
                .entries
                .push((rel, kind.map_or(FileKind::Other, kind_of))),
            Err(e) => walked.errors.push(e),
        }
    }
    walked
}

/// The files under `root` whose tags count: what [`walker`] yields, less
/// the files .gitignore excludes.
pub fn files(root: &Path) -> impl Iterator<Item = Result<ignore::DirEntry, ignore::Error>> {
    let excludes = Arc::new(Excludes::new(root));
    walk_builder(&excludes)
        .build()
        .filter(move |entry| match entry {
            Ok(e) if e.file_type().is_some_and(|t| t.is_file()) => {
                !excludes.is_excluded_entry(e.path(), false)
            }
            Ok(_) => false,
            Err(_) => true,
        })
}

/// Folders never watched or indexed.
pub const DEFAULT_EXCLUDES: &[&str] = &["node_modules", "target", "dist", "vendor", ".git"];

/// The exclusion rules of one workspace root: [`DEFAULT_EXCLUDES`], the `.gitignore` files of the
/// root and of the folders under it, and `.git/info/exclude`.
///
/// Deeper `.gitignore` files take precedence over shallower ones and `.gitignore` over
/// `.git/info/exclude`, as in git. Global git excludes and `.ignore` files are not read, so the
/// rules do not depend on who runs the server. Each folder's `.gitignore` is read once and cached;
/// call [`Excludes::forget`] when one changes or its folder goes away.
pub struct Excludes {
    root: PathBuf,
    /// The matcher of each folder looked at so far, `None` where it has no ignore file. A
    matchers: Mutex<foldhash::HashMap<PathBuf, Option<Arc<Gitignore>>>>,
}

impl Excludes {
    /// The rules of the workspace at `root` (an absolute path); nothing is read until asked.
    pub fn new(root: impl Into<PathBuf>) -> Excludes {
        Excludes {
            root: root.into(),
            matchers: Mutex::default(),
        }
    }

    /// The workspace root these rules belong to.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Whether `path` is excluded: it or one of its folders below the root is a default exclude
    /// or gitignored. Paths outside the root and the root itself are never excluded.
    pub fn is_excluded(&self, path: &Path, is_dir: bool) -> bool {
        let Ok(relative) = path.strip_prefix(&self.root) else {
            return false;
        };
        let mut prefix = self.root.clone();
        let mut components = relative.components().peekable();
        while let Some(component) = components.next() {
            prefix.push(component);
            // Every component but the last is a folder on the way to `path`.
            let last = components.peek().is_none();
            if self.is_excluded_entry(&prefix, !last || is_dir) {
                return true;
            }
        }
        false
    }

    /// Whether `path` is excluded, assuming its parent folder is not: the cheap check for a walk
    /// that never descends into excluded folders.
    pub fn is_excluded_entry(&self, path: &Path, is_dir: bool) -> bool {
        if path == self.root || !path.starts_with(&self.root) {
            return false;
        }
        if is_dir && path.file_name().is_some_and(excluded_by_default) {
            return true;
        }
        let mut dir = path.parent();
        while let Some(current) = dir {
            if let Some(matcher) = self.matcher(current) {
                match matcher.matched(path, is_dir) {
                    Match::Ignore(_) => return true,
                    Match::Whitelist(_) => return false,
                    Match::None => {}
                }
            }
            if current == self.root {
                break;
            }
            dir = current.parent();
        }
        false
    }

    /// The ignore rules that apply to the files directly in `dir` (a folder inside the root),
    /// innermost first: asking [`Excludes::excludes_file`] with them for each file of a folder
    /// looks each ancestor up once per folder rather than once per file.
    pub fn rules_for(&self, dir: &Path) -> Vec<Arc<Gitignore>> {
        let mut rules = Vec::new();
        if !dir.starts_with(&self.root) {
            return rules;
        }
        let mut current = Some(dir);
        while let Some(d) = current {
            rules.extend(self.matcher(d));
            if d == self.root {
                break;
            }
            current = d.parent();
        }
        rules
    }

    /// Whether the file `path`, in the folder whose [`Excludes::rules_for`] are `rules`, is
    /// excluded: the same answer as [`Excludes::is_excluded_entry`] for a file.
    pub fn excludes_file(rules: &[Arc<Gitignore>], path: &Path) -> bool {
        for matcher in rules {
            match matcher.matched(path, false) {
                Match::Ignore(_) => return true,
                Match::Whitelist(_) => return false,
                Match::None => {}
            }
        }
        false
    }

    /// Forgets the ignore files read in `dir` and the folders under it, so they are read again
    /// the next time they matter.
    pub fn forget(&self, dir: &Path) {
        let mut matchers = self.matchers.lock().unwrap_or_else(PoisonError::into_inner);
        matchers.retain(|path, _| !path.starts_with(dir));
    }

    fn matcher(&self, dir: &Path) -> Option<Arc<Gitignore>> {
        let mut matchers = self.matchers.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(known) = matchers.get(dir) {
            return known.clone();
        }
        let loaded = load_matcher(&self.root, dir).map(Arc::new);
        matchers.insert(dir.to_path_buf(), loaded.clone());
        loaded
    }
}

/// Reads the ignore files of one folder into a matcher rooted there, or `None` if it has none.
fn load_matcher(root: &Path, dir: &Path) -> Option<Gitignore> {
    let mut files = Vec::new();
    if dir == root {
        // Added first because later files win, and git ranks .gitignore above info/exclude.
        files.push(root.join(".git").join("info").join("exclude"));
    }
    files.push(dir.join(".gitignore"));
    let mut builder = GitignoreBuilder::new(dir);
    let mut found = false;
    for file in files.iter().filter(|file| file.is_file()) {
        found = true;
        if let Some(err) = builder.add(file) {
            tracing::warn!(
                "cannot read all of {}: {err}; fix or remove the offending lines",
                file.display()
            );
        }
    }
    if !found {
        return None;
    }
    match builder.build() {
        Ok(matcher) if matcher.is_empty() => None,
        Ok(matcher) => Some(matcher),
        Err(err) => {
            tracing::warn!(
                "cannot use the ignore files in {}: {err}; fix the patterns there",
                dir.display()
            );
            None
        }
    }
}

fn excluded_by_default(name: &OsStr) -> bool {
    DEFAULT_EXCLUDES
        .iter()
        .any(|exclude| name == OsStr::new(exclude))
}

/// Whether `path` under `root` is excluded (see [`Excludes`]). Reads the ignore files on the way
/// each time; to ask about many paths keep one [`Excludes`].
pub fn is_excluded(root: &Path, path: &Path, is_dir: bool) -> bool {
    Excludes::new(root).is_excluded(path, is_dir)
}

/// A walk of the workspace under `excludes.root()` that never enters an excluded folder nor
/// follows a symlink. Files are yielded whatever their name, so the caller decides about them
/// (with [`Excludes::is_excluded_entry`], say).
pub fn walk_builder(excludes: &Arc<Excludes>) -> WalkBuilder {
    let excludes = Arc::clone(excludes);
    let mut builder = configured_walk(excludes.root());
    builder.filter_entry(move |entry| {
        !(entry.depth() > 0 && is_dir(entry) && excludes.is_excluded_entry(entry.path(), true))
    });
    builder
}

/// The folders a watch goes into: [`walk_builder`] without the files.
pub(crate) fn dir_walk(excludes: &Arc<Excludes>) -> WalkBuilder {
    let excludes = Arc::clone(excludes);
    let mut builder = configured_walk(excludes.root());
    builder.filter_entry(move |entry| {
        entry.depth() == 0 || (is_dir(entry) && !excludes.is_excluded_entry(entry.path(), true))
    });
    builder
}

fn configured_walk(root: &Path) -> WalkBuilder {
    let mut builder = WalkBuilder::new(root);
    // The ignore crate's own filters are off because `Excludes` is the one rule, shared with the
    // checks made on folders that appear later.
    builder
        .standard_filters(false)
        .hidden(false)
        .follow_links(false);
    builder
}

pub(crate) fn is_dir(entry: &ignore::DirEntry) -> bool {
    entry.file_type().is_some_and(|kind| kind.is_dir())
}
