//! The file system as tagls sees it: one interface, a real implementation
//! and an in-memory one for tests. Nothing else in tagls touches the disk
//! for the workspace model, so the resolver can refuse paths outside the
//! workspace roots in one place.

use std::collections::BTreeMap;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::RwLock;

/// What a directory entry is, without following a symlink.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FileKind {
    File,
    Dir,
    Symlink,
    /// FIFOs, sockets, devices: never read.
    Other,
}

/// File system access for the workspace model.
pub trait Fs: Send + Sync {
    /// The kind of `path`, not following a final symlink.
    fn lstat(&self, path: &Path) -> io::Result<FileKind>;
    fn read_link(&self, path: &Path) -> io::Result<PathBuf>;
    /// The contents of a regular file of at most `max` bytes.
    fn read(&self, path: &Path, max: u64) -> io::Result<Vec<u8>>;
    /// The entries directly in a directory.
    fn read_dir(&self, dir: &Path) -> io::Result<Vec<(String, FileKind)>>;
    /// Every file and directory under `root`, relative to it, as the index
    /// sees them: .gitignore honoured, default excludes skipped, symlinks
    /// not followed.
    fn walk(&self, root: &Path) -> Vec<(PathBuf, FileKind)>;
}

/// The real file system.
#[derive(Clone, Copy, Debug, Default)]
pub struct RealFs;

/// Reads the file at `path`, which `meta` (its `lstat`) says is a regular
/// file of at most `max` bytes. It is opened without following a symlink
/// and without blocking, and read only if what was opened is that same
/// regular file: a file swapped for a FIFO in between is refused, not
/// waited on.
pub fn read_after_lstat(path: &Path, meta: &std::fs::Metadata, max: u64) -> io::Result<Vec<u8>> {
    let not_a_file = || io::Error::new(io::ErrorKind::InvalidInput, "not a regular file");
    let too_large = || {
        io::Error::new(
            io::ErrorKind::FileTooLarge,
            format!("larger than {max} bytes"),
        )
    };
    if !meta.is_file() {
        return Err(not_a_file());
    }
    if meta.len() > max {
        return Err(too_large());
    }
    let file = open_after_lstat(path, meta)?;
    let mut buf = Vec::with_capacity(meta.len().min(max) as usize);
    file.take(max + 1).read_to_end(&mut buf)?;
    if buf.len() as u64 > max {
        return Err(too_large());
    }
    Ok(buf)
}

/// The first `n` bytes of the regular file at `path`, whatever its size,
/// with the same care as [`read_after_lstat`]: what a check says of a file
/// too large to read whole.
pub fn read_head_after_lstat(path: &Path, meta: &std::fs::Metadata, n: u64) -> io::Result<Vec<u8>> {
    let file = open_after_lstat(path, meta)?;
    let mut buf = Vec::with_capacity(meta.len().min(n) as usize);
    file.take(n).read_to_end(&mut buf)?;
    Ok(buf)
}

/// Opens the regular file `meta` (its `lstat`) describes, without
/// following a symlink and without blocking; refuses anything else.
fn open_after_lstat(path: &Path, meta: &std::fs::Metadata) -> io::Result<std::fs::File> {
    use std::os::unix::fs::{MetadataExt as _, OpenOptionsExt as _};
    let not_a_file = || io::Error::new(io::ErrorKind::InvalidInput, "not a regular file");
    if !meta.is_file() {
        return Err(not_a_file());
    }
    let file = match std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
    {
        Ok(f) => f,
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => return Err(not_a_file()),
        Err(e) => return Err(e),
    };
    let opened = file.metadata()?;
    if !opened.is_file() || (opened.dev(), opened.ino()) != (meta.dev(), meta.ino()) {
        return Err(not_a_file());
    }
    Ok(file)
}

pub(crate) fn kind_of(ft: std::fs::FileType) -> FileKind {
    if ft.is_symlink() {
        FileKind::Symlink
    } else if ft.is_dir() {
        FileKind::Dir
    } else if ft.is_file() {
        FileKind::File
    } else {
        FileKind::Other
    }
}

impl Fs for RealFs {
    fn lstat(&self, path: &Path) -> io::Result<FileKind> {
        Ok(kind_of(std::fs::symlink_metadata(path)?.file_type()))
    }

    fn read_link(&self, path: &Path) -> io::Result<PathBuf> {
        std::fs::read_link(path)
    }

    fn read(&self, path: &Path, max: u64) -> io::Result<Vec<u8>> {
        // Checked before opening: opening a FIFO would block, and opening a
        // device may do something.
        read_after_lstat(path, &std::fs::symlink_metadata(path)?, max)
    }

    fn read_dir(&self, dir: &Path) -> io::Result<Vec<(String, FileKind)>> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            let kind = entry.file_type().map_or(FileKind::Other, kind_of);
            out.push((entry.file_name().to_string_lossy().into_owned(), kind));
        }
        Ok(out)
    }

    fn walk(&self, root: &Path) -> Vec<(PathBuf, FileKind)> {
        super::walk::entries(root).entries
    }
}

/// An in-memory file system for tests.
#[derive(Debug, Default)]
pub struct FakeFs {
    nodes: RwLock<BTreeMap<PathBuf, FakeNode>>,
}

#[derive(Clone, Debug)]
enum FakeNode {
    File(Vec<u8>),
    Dir,
    Symlink(PathBuf),
    Fifo,
}

impl FakeFs {
    pub fn new() -> FakeFs {
        FakeFs::default()
    }

    fn insert(&self, path: &Path, node: FakeNode) {
        let mut nodes = self.nodes.write().unwrap_or_else(|e| e.into_inner());
        for anc in path.ancestors().skip(1) {
            if anc.as_os_str().is_empty() {
                break;
            }
            nodes.entry(anc.to_path_buf()).or_insert(FakeNode::Dir);
        }
        nodes.insert(path.to_path_buf(), node);
    }

    pub fn file(&self, path: impl AsRef<Path>, contents: impl AsRef<[u8]>) -> &FakeFs {
        self.insert(path.as_ref(), FakeNode::File(contents.as_ref().to_vec()));
        self
    }

    pub fn dir(&self, path: impl AsRef<Path>) -> &FakeFs {
        self.insert(path.as_ref(), FakeNode::Dir);
        self
    }

    pub fn symlink(&self, path: impl AsRef<Path>, target: impl AsRef<Path>) -> &FakeFs {
        self.insert(
            path.as_ref(),
            FakeNode::Symlink(target.as_ref().to_path_buf()),
        );
        self
    }

    pub fn fifo(&self, path: impl AsRef<Path>) -> &FakeFs {
        self.insert(path.as_ref(), FakeNode::Fifo);
        self
    }

    pub fn remove(&self, path: impl AsRef<Path>) {
        let path = path.as_ref();
        let mut nodes = self.nodes.write().unwrap_or_else(|e| e.into_inner());
        nodes.retain(|p, _| !p.starts_with(path));
    }

    fn get(&self, path: &Path) -> io::Result<FakeNode> {
        let nodes = self.nodes.read().unwrap_or_else(|e| e.into_inner());
        nodes.get(path).cloned().ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::NotFound,
                format!("{} not found", path.display()),
            )
        })
    }
}

impl Fs for FakeFs {
    fn lstat(&self, path: &Path) -> io::Result<FileKind> {
        Ok(match self.get(path)? {
            FakeNode::File(_) => FileKind::File,
            FakeNode::Dir => FileKind::Dir,
            FakeNode::Symlink(_) => FileKind::Symlink,
            FakeNode::Fifo => FileKind::Other,
        })
    }

    fn read_link(&self, path: &Path) -> io::Result<PathBuf> {
        match self.get(path)? {
            FakeNode::Symlink(t) => Ok(t),
            _ => Err(io::Error::new(io::ErrorKind::InvalidInput, "not a symlink")),
        }
    }

    fn read(&self, path: &Path, max: u64) -> io::Result<Vec<u8>> {
        match self.get(path)? {
            FakeNode::File(b) if b.len() as u64 <= max => Ok(b),
            FakeNode::File(_) => Err(io::Error::new(io::ErrorKind::FileTooLarge, "too large")),
            _ => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "not a regular file",
            )),
        }
    }

    fn read_dir(&self, dir: &Path) -> io::Result<Vec<(String, FileKind)>> {
        let nodes = self.nodes.read().unwrap_or_else(|e| e.into_inner());
        Ok(nodes
            .iter()
            .filter(|(p, _)| p.parent() == Some(dir))
            .filter_map(|(p, n)| {
                let kind = match n {
                    FakeNode::File(_) => FileKind::File,
                    FakeNode::Dir => FileKind::Dir,
                    FakeNode::Symlink(_) => FileKind::Symlink,
                    FakeNode::Fifo => FileKind::Other,
                };
                Some((p.file_name()?.to_string_lossy().into_owned(), kind))
            })
            .collect())
    }

    fn walk(&self, root: &Path) -> Vec<(PathBuf, FileKind)> {
        let nodes = self.nodes.read().unwrap_or_else(|e| e.into_inner());
        nodes
            .iter()
            .filter_map(|(p, n)| {
                let rel = p.strip_prefix(root).ok()?;
                if rel.as_os_str().is_empty() {
                    return None;
                }
                let kind = match n {
                    FakeNode::File(_) => FileKind::File,
                    FakeNode::Dir => FileKind::Dir,
                    FakeNode::Symlink(_) => FileKind::Symlink,
                    FakeNode::Fifo => FileKind::Other,
                };
                Some((rel.to_path_buf(), kind))
            })
            .collect()
    }
}
