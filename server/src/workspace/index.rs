//! The file index: every file and directory of a workspace root, in memory,
//! so that existence checks on keystrokes cost no system call.

use std::path::{Path, PathBuf};

use foldhash::HashMap;

use super::fs::{FileKind, Fs};

/// The files and directories under one root, by relative path.
#[derive(Clone, Debug, Default)]
pub struct FileIndex {
    entries: HashMap<PathBuf, FileKind>,
    by_name: HashMap<String, Vec<PathBuf>>,
}

impl FileIndex {
    /// Walks `root` (slow: run it off the server's message loop).
    pub fn build(fs: &dyn Fs, root: &Path) -> FileIndex {
        FileIndex::from_entries(fs.walk(root))
    }

    /// The index of what a walk found.
    pub fn from_entries(entries: impl IntoIterator<Item = (PathBuf, FileKind)>) -> FileIndex {
        let mut index = FileIndex::default();
        for (rel, kind) in entries {
            index.insert(rel, kind);
        }
        index
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn get(&self, rel: &Path) -> Option<FileKind> {
        self.entries.get(rel).copied()
    }

    pub fn insert(&mut self, rel: PathBuf, kind: FileKind) {
        // Only a path new to the index joins its name's list: the list is
        // never searched, so that names many paths share (`index.ts`,
        // `__init__.py`) cost nothing extra.
        if self.entries.insert(rel.clone(), kind).is_some() {
            return;
        }
        if let Some(name) = rel.file_name() {
            let name = name.to_string_lossy().into_owned();
            self.by_name.entry(name).or_default().push(rel);
        }
    }

    /// Adds `rel`, and the folders it is in that the index lacks: a watcher
    /// may report a new file and not the new folder it is in.
    pub fn insert_with_parents(&mut self, rel: PathBuf, kind: FileKind) {
        let mut dir = rel.parent();
        while let Some(d) = dir.filter(|d| !d.as_os_str().is_empty() && self.get(d).is_none()) {
            self.insert(d.to_path_buf(), FileKind::Dir);
            dir = d.parent();
        }
        self.insert(rel, kind);
    }

    /// Removes `rel` and everything under it.
    pub fn remove(&mut self, rel: &Path) {
        if self.entries.remove(rel).is_none() && !self.entries.keys().any(|p| p.starts_with(rel)) {
            return;
        }
        self.entries.retain(|p, _| !p.starts_with(rel));
        self.by_name.retain(|_, paths| {
            paths.retain(|p| !p.starts_with(rel));
            !paths.is_empty()
        });
    }

    /// Files (not directories) with this exact name, sorted.
    pub fn files_named(&self, name: &str) -> Vec<&Path> {
        let mut out: Vec<&Path> = self
            .by_name
            .get(name)
            .into_iter()
            .flatten()
            .filter(|p| self.entries.get(*p) == Some(&FileKind::File))
            .map(PathBuf::as_path)
            .collect();
        out.sort();
        out
    }

    /// The names directly in a folder (relative; `""` is the root), each
    /// with whether it is a folder, sorted.
    pub fn children(&self, dir: &Path) -> Vec<(String, bool)> {
        let mut out: Vec<(String, bool)> = self
            .entries
            .iter()
            .filter(|(p, _)| p.parent() == Some(dir))
            .filter_map(|(p, k)| {
                Some((
                    p.file_name()?.to_string_lossy().into_owned(),
                    *k == FileKind::Dir,
                ))
            })
            .collect();
        out.sort();
        out
    }

    /// All indexed paths, for completion and tests.
    pub fn paths(&self) -> impl Iterator<Item = (&Path, FileKind)> {
        self.entries.iter().map(|(p, k)| (p.as_path(), *k))
    }
}
