//! What the log forgot: files that git reports as added or modified
//! ([`super::git`]) that no `#FILE_CREATED` / `#FILE_MODIFIED` entry
//! mentions.

/// A changed file the log does not mention.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unlogged {
    /// Relative to the root, with `/` separators.
    pub path: String,
    /// Untracked or added (true), or modified (false).
    pub created: bool,
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
