//! What the log forgot: files that git reports as added or modified in the
//! working tree that no `#FILE_CREATED` / `#FILE_MODIFIED` entry mentions.

use std::path::Path;
use std::process::{Command, Stdio};

/// A changed file the log does not mention.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unlogged {
    /// Relative to the root, with `/` separators.
    pub path: String,
    /// Untracked or added (true), or modified (false).
    pub created: bool,
}

/// Runs the real `git status` in `root` (an argument list, never a shell).
/// `None` when `root` is not a git work tree or git is missing.
pub fn changed_files(root: &Path) -> Option<Vec<Unlogged>> {
    let out = Command::new("git")
        .arg("-C")
        .arg(root)
        .args([
            "status",
            "--porcelain=v1",
            "-z",
            "--untracked-files=all",
            "--no-renames",
            "--",
            ".",
        ])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    // git prints paths relative to the repository's top, which may be above
    // the root.
    let top = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["rev-parse", "--show-toplevel"])
        .output()
        .ok()?;
    let top = std::path::PathBuf::from(String::from_utf8_lossy(&top.stdout).trim());
    let mut files = Vec::new();
    for entry in out.stdout.split(|b| *b == 0) {
        if entry.len() < 4 {
            continue;
        }
        let (x, y) = (entry[0], entry[1]);
        let rel = String::from_utf8_lossy(&entry[3..]).into_owned();
        let created = match (x, y) {
            (b'?', b'?') | (b'A', _) => true,
            (b'M', _) | (_, b'M') => false,
            _ => continue,
        };
        let abs = top.join(&rel);
        let Ok(in_root) = abs.strip_prefix(root) else {
            continue;
        };
        files.push(Unlogged {
            path: in_root.to_string_lossy().replace('\\', "/"),
            created,
        });
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Some(files)
}

/// The changed files no entry mentions, leaving out the `.orchestration/`
/// folder itself.
pub fn unlogged(changed: Vec<Unlogged>, claimed: &[(String, String)]) -> Vec<Unlogged> {
    changed
        .into_iter()
        .filter(|f| !f.path.starts_with(".orchestration/"))
        .filter(|f| {
            !claimed
                .iter()
                .any(|(_, p)| p.trim_start_matches("./") == f.path)
        })
        .collect()
}
