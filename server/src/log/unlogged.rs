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

/// How many changed files one finding names; the rest are counted.
const NAMED: usize = 10;

/// The one finding's message for every changed file no entry mentions:
/// `2 files changed in git that no log entry mentions: src/new.go (new,
/// not yet in git), src/b.ts (modified)`.
pub fn message(missing: &[Unlogged]) -> String {
    let n = missing.len();
    let mut named: Vec<String> = missing
        .iter()
        .take(NAMED)
        .map(|f| {
            let how = if f.created { "new" } else { "modified" };
            format!("{} ({how})", f.path)
        })
        .collect();
    if n > NAMED {
        named.push(format!("and {} more", n - NAMED));
    }
    format!(
        "{n} {} changed in git that no #FILE_CREATED or #FILE_MODIFIED entry mentions: {}",
        if n == 1 { "file" } else { "files" },
        named.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_message_names_the_first_ten() {
        let files: Vec<Unlogged> = (0..12)
            .map(|i| Unlogged {
                path: format!("src/f{i:02}.ts"),
                created: i % 2 == 0,
            })
            .collect();
        assert_eq!(
            message(&files[..1]),
            "1 file changed in git that no #FILE_CREATED or #FILE_MODIFIED entry mentions: src/f00.ts (new)"
        );
        let all = message(&files);
        assert!(all.starts_with("12 files changed in git that no #FILE_CREATED or #FILE_MODIFIED entry mentions: src/f00.ts (new), src/f01.ts (modified),"), "{all}");
        assert!(all.ends_with("src/f09.ts (modified), and 2 more"), "{all}");
    }
}
