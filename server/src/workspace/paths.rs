//! Lexical path handling: normalising `.` and `..` without touching the
//! disk, and containment in a root.

use std::path::{Component, Path, PathBuf};

/// `path` with `.` removed and `..` applied, lexically. A `..` above the
/// start of a relative path is kept, so `../x` stays outside.
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                let popped = match out.components().next_back() {
                    Some(Component::Normal(_)) => out.pop(),
                    Some(Component::RootDir) => true, // `/..` is `/`
                    _ => false,
                };
                if !popped {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// Whether the absolute, normalised `path` lies in `root` (or is it).
pub fn is_inside(path: &Path, root: &Path) -> bool {
    path.starts_with(root)
}

/// A path relative to a root, with `/` separators, for messages.
pub fn display_rel(path: &Path, root: &Path) -> String {
    match path.strip_prefix(root) {
        Ok(rel) if rel.as_os_str().is_empty() => ".".to_owned(),
        Ok(rel) => rel.to_string_lossy().replace('\\', "/"),
        Err(_) => path.to_string_lossy().into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_lexically() {
        assert_eq!(
            normalize(Path::new("/ws/src/../a/./b")),
            Path::new("/ws/a/b")
        );
        assert_eq!(
            normalize(Path::new("/ws/../../etc/passwd")),
            Path::new("/etc/passwd")
        );
        assert_eq!(normalize(Path::new("../x")), Path::new("../x"));
        assert!(!is_inside(
            &normalize(Path::new("/ws/../wsx/a")),
            Path::new("/ws")
        ));
        assert!(is_inside(Path::new("/ws/a"), Path::new("/ws")));
    }
}
