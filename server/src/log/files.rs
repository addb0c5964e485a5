//! How the log's checks and its recipes see files: what is at a path, a
//! file's bytes up to [`MAX_FILE`], and its lines as an editor counts them.
//! Everything goes through [`Workspace`], which refuses paths outside its
//! roots.

use std::path::Path;

use crate::workspace::fs::FileKind;
use crate::workspace::model::{Lookup, ReadError, Workspace};

/// Files larger than this are not read: their lines are not counted, their
/// image format is not checked, and `grep -r` skips them.
pub const MAX_FILE: u64 = 10 * 1024 * 1024;

/// Lines as an editor counts them: `wc -l` (newlines) plus one when the last
/// line has no final newline, so a claim is right whichever way its author
/// counted, within [`super::check::tolerance`].
pub fn count_lines(bytes: &[u8]) -> usize {
    let newlines = memchr::memchr_iter(b'\n', bytes).count();
    match bytes.last() {
        Some(b'\n') | None => newlines,
        Some(_) => newlines + 1,
    }
}

/// A real image, by its bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Image {
    /// `PNG`, `JPEG`, `GIF`, `WebP` or `BMP`.
    pub format: &'static str,
    pub width: usize,
    pub height: usize,
}

/// Why bytes are not an image a screenshot can be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotAnImage {
    Empty,
    /// Not one of the formats, whatever the file's name says.
    Unknown,
    /// The start of an image of this format, cut short or damaged.
    Damaged(&'static str),
}

impl std::fmt::Display for NotAnImage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NotAnImage::Empty => f.write_str("it is empty"),
            NotAnImage::Unknown => f.write_str("its bytes are not PNG, JPEG, GIF, WebP or BMP"),
            NotAnImage::Damaged(format) => write!(f, "its {format} data is cut short or damaged"),
        }
    }
}

/// What image `bytes` are, by their content: the one answer for a
/// screenshot claim, the `file` recipe and `tagls log screenshot`.
pub fn image(bytes: &[u8]) -> Result<Image, NotAnImage> {
    use imagesize::ImageType;
    if bytes.is_empty() {
        return Err(NotAnImage::Empty);
    }
    let format = match imagesize::image_type(bytes) {
        Ok(ImageType::Png) => "PNG",
        Ok(ImageType::Jpeg) => "JPEG",
        Ok(ImageType::Gif) => "GIF",
        Ok(ImageType::Webp) => "WebP",
        Ok(ImageType::Bmp) => "BMP",
        _ => return Err(NotAnImage::Unknown),
    };
    match imagesize::blob_size(bytes) {
        Ok(size) if size.width > 0 && size.height > 0 => Ok(Image {
            format,
            width: size.width,
            height: size.height,
        }),
        _ => Err(NotAnImage::Damaged(format)),
    }
}

pub(super) fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {many}")
    }
}

/// What is at a path, for a check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Stat {
    File,
    Dir,
    Other,
    Missing,
    Outside,
}

impl Stat {
    /// What a check says about a path that is not a readable file.
    pub(super) fn problem(self, shown: &str) -> String {
        match self {
            Stat::File => format!("{shown} is a file"),
            Stat::Dir => format!("{shown} is a directory, not a file"),
            Stat::Other => format!("{shown} is not a regular file"),
            Stat::Missing => format!("{shown} does not exist"),
            Stat::Outside => format!("{shown} is outside the workspace; not checked"),
        }
    }
}

/// A file's contents, unless it is too large to read.
pub(super) enum Body {
    Bytes(Vec<u8>),
    TooLarge,
}

pub(super) fn stat(ws: &mut Workspace, path: &Path) -> Stat {
    match ws.lookup(path) {
        Lookup::Found(FileKind::File | FileKind::Symlink) => Stat::File,
        Lookup::Found(FileKind::Dir) => Stat::Dir,
        Lookup::Found(FileKind::Other) => Stat::Other,
        Lookup::Missing => Stat::Missing,
        Lookup::Outside => Stat::Outside,
    }
}

/// Reads a file that [`stat`] found; `Err` with what went wrong, as a
/// [`Stat`] when the file changed in between.
pub(super) fn read(ws: &mut Workspace, path: &Path) -> Result<Body, Result<Stat, String>> {
    match ws.read(path, MAX_FILE) {
        Ok(bytes) => Ok(Body::Bytes(bytes)),
        Err(ReadError::TooLarge) => Ok(Body::TooLarge),
        Err(ReadError::Missing) => Err(Ok(Stat::Missing)),
        Err(ReadError::Outside) => Err(Ok(Stat::Outside)),
        Err(ReadError::NotAFile) => Err(Ok(Stat::Other)),
        Err(ReadError::Io(e)) => Err(Err(e)),
    }
}
