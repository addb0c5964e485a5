//! Where a workspace's root is when nobody says: the nearest folder above
//! a file that holds `.orchestration/`, `.git` or `.tagls.toml`. `tagls log`
//! and the server (for a client that names no root) find it the same way.

use std::path::{Path, PathBuf};

/// The names whose presence makes a folder a workspace root.
pub const MARKERS: [&str; 3] = [".orchestration", ".git", CONFIG_FILE];

/// The workspace configuration file.
pub const CONFIG_FILE: &str = ".tagls.toml";

/// The nearest folder above `file` that holds a root marker.
pub fn find_root(file: &Path) -> Option<PathBuf> {
    file.ancestors()
        .skip(1)
        .find(|dir| MARKERS.iter().any(|m| dir.join(m).exists()))
        .map(Path::to_path_buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nearest_folder_with_a_marker() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("ws");
        std::fs::create_dir_all(root.join("src/deep")).unwrap();
        std::fs::write(root.join(".tagls.toml"), "").unwrap();
        assert_eq!(find_root(&root.join("src/deep/a.ts")), Some(root.clone()));
        std::fs::create_dir_all(root.join("src/.orchestration")).unwrap();
        assert_eq!(
            find_root(&root.join("src/deep/a.ts")),
            Some(root.join("src"))
        );
    }
}
