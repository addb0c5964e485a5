//! Where a file's workspace root is when nobody names one: the nearest folder
//! above it that holds a marker of a tagls workspace.

use std::path::{Path, PathBuf};

/// What marks a workspace root: the folder of the default implementation
/// log, a git work tree (`.git` is a folder, or a file in a linked work tree
/// or a submodule), or tagls's configuration file.
pub const MARKERS: [&str; 3] = [".orchestration", ".git", CONFIG_FILE];

/// The workspace configuration file (`config::FILE_NAME`).
pub const CONFIG_FILE: &str = ".tagls.toml";

/// The nearest ancestor folder of `file` (an absolute path) that holds
/// `.orchestration/`, `.git` or `.tagls.toml`; `None` when no folder above
/// it does. The nearest wins, so a project inside another one is its own
/// root.
pub fn find_root(file: &Path) -> Option<PathBuf> {
    file.ancestors()
        .skip(1)
        .filter(|dir| !dir.as_os_str().is_empty())
        .find(|dir| is_root(dir))
        .map(Path::to_path_buf)
}

fn is_root(dir: &Path) -> bool {
    dir.join(".orchestration").is_dir()
        || dir.join(".git").exists()
        || dir.join(CONFIG_FILE).is_file()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(path: &Path) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, "").unwrap();
    }

    #[test]
    fn each_marker_makes_a_root() {
        let tmp = tempfile::tempdir().unwrap();
        let top = tmp.path().canonicalize().unwrap();
        let orchestration = top.join("a");
        std::fs::create_dir_all(orchestration.join(".orchestration")).unwrap();
        let git_dir = top.join("b");
        std::fs::create_dir_all(git_dir.join(".git")).unwrap();
        // A linked work tree or a submodule has a `.git` file.
        let git_file = top.join("c");
        touch(&git_file.join(".git"));
        let config = top.join("d");
        touch(&config.join(".tagls.toml"));
        for root in [&orchestration, &git_dir, &git_file, &config] {
            let file = root.join("src/deep/app.ts");
            touch(&file);
            assert_eq!(find_root(&file).as_deref(), Some(root.as_path()));
        }
    }

    #[test]
    fn the_nearest_marker_wins_and_markers_of_the_wrong_kind_do_not_count() {
        let tmp = tempfile::tempdir().unwrap();
        let top = tmp.path().canonicalize().unwrap();
        std::fs::create_dir_all(top.join(".git")).unwrap();
        let inner = top.join("packages/web");
        touch(&inner.join(".tagls.toml"));
        let file = inner.join("src/app.ts");
        touch(&file);
        assert_eq!(find_root(&file), Some(inner.clone()));
        // `.orchestration` as a file and `.tagls.toml` as a folder mark nothing.
        let other = top.join("other");
        touch(&other.join(".orchestration"));
        std::fs::create_dir_all(other.join(".tagls.toml")).unwrap();
        let file = other.join("app.ts");
        touch(&file);
        assert_eq!(find_root(&file), Some(top.clone()));
    }

    #[test]
    fn a_file_outside_any_marked_folder_has_no_root() {
        let tmp = tempfile::tempdir().unwrap();
        let top = tmp.path().canonicalize().unwrap();
        let file = top.join("lonely/app.ts");
        touch(&file);
        // No root below the temporary folder; whatever is above it (on a
        // test machine, normally nothing) is not this test's business.
        let above = top.ancestors().find(|d| is_root(d)).map(Path::to_path_buf);
        assert_eq!(find_root(&file), above);
        // A relative path never gives the empty path as its root.
        assert_eq!(find_root(Path::new("app.ts")), None);
    }
}
