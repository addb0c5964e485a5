//! What the log forgot: files that git reports as new (untracked or
//! added) or modified
//! ([`super::git`]) that no `#FILE_CREATED` / `#FILE_MODIFIED` entry
//! mentions.

/// A changed file the log does not mention.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unlogged {
    /// Relative to the root, with `/` separators.
    pub path: String,
    /// Untracked or added (true), or modified (false).
    pub created: bool,
    /// New and not yet added to git (`??`): git does not track it.
    pub untracked: bool,
}

impl Unlogged {
    /// How git shows the file against `base` (`HEAD` or a revision), in
    /// words: an untracked file is not "added" until `git add` stages it.
    pub fn how(&self, base: &str) -> String {
        match (self.created, self.untracked) {
            (true, true) => "untracked (new, not yet added to git)".to_owned(),
            (true, false) if base == "HEAD" => "added (staged)".to_owned(),
            (true, false) => format!("added since {base}"),
            (false, _) => "modified".to_owned(),
        }
    }
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

/// The one finding's message for every changed file no entry mentions,
/// against `base` (`HEAD` or a revision): `2 files changed in git that no
/// #FILE_CREATED or #FILE_MODIFIED entry mentions: src/new.go (untracked:
/// new, not yet added to git), src/b.ts (modified)`.
pub fn message(missing: &[Unlogged], base: &str) -> String {
    let n = missing.len();
    let mut named: Vec<String> = missing
        .iter()
        .take(NAMED)
        .map(|f| match f.how(base).split_once(" (") {
            // `untracked (new, ...)` reads `untracked: new, ...` in a list
            // that is itself in parentheses.
            Some((what, why)) => format!("{} ({what}: {}", f.path, why),
            None => format!("{} ({})", f.path, f.how(base)),
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
                untracked: i % 4 == 0,
            })
            .collect();
        assert_eq!(
            message(&files[..1], "HEAD"),
            "1 file changed in git that no #FILE_CREATED or #FILE_MODIFIED entry mentions: src/f00.ts (untracked: new, not yet added to git)"
        );
        let all = message(&files, "HEAD");
        assert!(all.starts_with("12 files changed in git that no #FILE_CREATED or #FILE_MODIFIED entry mentions: src/f00.ts (untracked: new, not yet added to git), src/f01.ts (modified), src/f02.ts (added: staged),"), "{all}");
        assert!(
            message(&files[2..3], "origin/main").ends_with("src/f02.ts (added since origin/main)")
        );
        assert!(all.ends_with("src/f09.ts (modified), and 2 more"), "{all}");
    }
}
