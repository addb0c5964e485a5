//! Lexical path handling: normalising `.` and `..` without touching the
//! disk, and containment in a root.

use std::path::{Component, Path, PathBuf};

/// `path` with `.` removed and `..` applied, lexically. A `..` above the
/// start of a relative path is kept, so `../x` stays outside.
pub fn normalize(path: &Path) -> PathBuf {
    // Most paths are normal already: no `.` or `..`, no empty name.
    let bytes = path.as_os_str().as_encoded_bytes();
    let normal = bytes.split(|&b| b == b'/').enumerate().all(|(i, name)| {
        !matches!(name, b"." | b"..") && (!name.is_empty() || (i == 0 && bytes.len() > 1))
    });
    if normal {
        path.to_path_buf()
    } else {
        normalize_components(path)
    }
}

fn normalize_components(path: &Path) -> PathBuf {
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
    rel_inside(path, root).is_some()
}

/// `path` relative to `root`, if it lies in it: [`Path::strip_prefix`],
/// without taking the paths apart when `root` is a plain prefix.
pub fn rel_inside<'a>(path: &'a Path, root: &Path) -> Option<&'a Path> {
    let (p, r) = (
        path.as_os_str().as_encoded_bytes(),
        root.as_os_str().as_encoded_bytes(),
    );
    match p.strip_prefix(r) {
        Some([]) => Some(Path::new("")),
        Some([b'/', rest @ ..])
            if !r.is_empty()
                && !rest.starts_with(b"/")
                && rest != b"."
                && !rest.starts_with(b"./") =>
        {
            // Split off at a separator, so the rest is whole names of `path`.
            use std::os::unix::ffi::OsStrExt as _;
            Some(Path::new(std::ffi::OsStr::from_bytes(rest)))
        }
        _ => path.strip_prefix(root).ok(),
    }
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

    #[test]
    fn relative_paths_are_what_strip_prefix_gives() {
        let paths = [
            "", "/", "/ws", "/ws/", "/ws/a", "/ws//a", "/ws/./a", "/wsx/a", "/ws/a/b", "ws/a",
            "/ws/..",
        ];
        for p in paths {
            for r in paths {
                let (p, r) = (Path::new(p), Path::new(r));
                assert_eq!(rel_inside(p, r), p.strip_prefix(r).ok(), "{p:?} in {r:?}");
                assert_eq!(is_inside(p, r), p.starts_with(r), "{p:?} in {r:?}");
            }
        }
    }

    #[test]
    fn paths_normal_already_come_back_as_they_are() {
        let names = ["", ".", "..", "a", ".a", "a.", "...", "é"];
        let mut paths = vec![String::new(), "/".to_owned()];
        for a in names {
            for b in names {
                for c in names {
                    paths.push(format!("{a}/{b}/{c}"));
                    paths.push(format!("/{a}/{b}"));
                    paths.push(format!("{a}/{b}/"));
                    paths.push(format!("/{a}//{b}{c}"));
                }
            }
        }
        for p in paths {
            let p = Path::new(&p);
            assert_eq!(normalize(p), normalize_components(p), "{p:?}");
        }
    }
}
