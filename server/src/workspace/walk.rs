//! How tagls walks a workspace: one set of rules ([`Excludes`]) for the
//! index, the watcher and `tagls check`.

use std::path::{Path, PathBuf};
use std::sync::{Arc, mpsc};

use ignore::{WalkBuilder, WalkState};

use super::fs::{FileKind, kind_of};

pub use super::watch::{DEFAULT_EXCLUDES, Excludes};

/// Whether a directory name is excluded by default.
pub fn is_default_exclude(name: &str) -> bool {
    DEFAULT_EXCLUDES.contains(&name)
}

/// A walker over `root` that never enters an excluded folder (default
/// excludes, .gitignore) nor follows a symlink. It yields every file in the
/// folders it enters, gitignored ones included: the index must know that a
/// gitignored `.env.local` exists. Use [`files`] for the files to scan.
pub fn walker(root: &Path) -> WalkBuilder {
    super::watch::walk_builder(&Arc::new(Excludes::new(root)))
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
    super::watch::walk_builder(excludes)
        .build_parallel()
        .run(|| {
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
    super::watch::walk_builder(&excludes)
        .build()
        .filter(move |entry| match entry {
            Ok(e) if e.file_type().is_some_and(|t| t.is_file()) => {
                !excludes.is_excluded_entry(e.path(), false)
            }
            Ok(_) => false,
            Err(_) => true,
        })
}
