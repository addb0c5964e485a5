//! How tagls walks a workspace: one set of rules ([`Excludes`]) for the
//! index, the watcher and `tagls check`.

use std::path::Path;
use std::sync::Arc;

use ignore::WalkBuilder;

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
