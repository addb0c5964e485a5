//! What git says about a root: the files changed against a base (the
//! working tree against `HEAD`, or against a configured revision), the
//! lines each change touched, and which files the base already had. The
//! log's claims are checked against it ([`super::check`]), and the files no
//! entry mentions come from it ([`super::unlogged`]).
//!
//! The real `git` is run with argument lists, never a shell string; its
//! configuration cannot make it run another program (no external diff, no
//! text conversion, no pager).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub use super::unlogged::Unlogged;

/// What git reports for one root.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GitState {
    /// What the changes are against: `HEAD`, or the revision configured as
    /// `git-base` (`tagls check --since REV`).
    pub base: String,
    /// Whether the base names a commit (a repository with no commit yet
    /// has none: every file in it is new).
    pub has_base: bool,
    /// Files added, untracked or modified against the base, relative to the
    /// root with `/` separators, in path order.
    pub changed: Vec<Unlogged>,
    /// For each modified file, the 1-based, inclusive line ranges of the
    /// working tree's text that differ from the base. A deletion touches
    /// the line it follows. Files git cannot show as text have none.
    pub hunks: HashMap<String, Vec<(usize, usize)>>,
    /// Files the base has, relative to the root.
    pub in_base: HashSet<String>,
}

impl GitState {
    /// How `path` (relative to the root) stands against the base.
    pub fn status(&self, path: &str) -> GitStatus {
        let path = path.trim_start_matches("./");
        match self.changed.binary_search_by(|c| c.path.as_str().cmp(path)) {
            Ok(i) if self.changed[i].created => GitStatus::New,
            Ok(_) => GitStatus::Modified,
            Err(_) if self.in_base.contains(path) => GitStatus::Unchanged,
            Err(_) => GitStatus::Untracked,
        }
    }

    /// Whether git shows any change under the root. A tree with none
    /// against `HEAD` is usually work already committed: its claims are
    /// checked against a base revision (`git-base`), not against `HEAD`.
    pub fn is_clean(&self) -> bool {
        self.changed.is_empty()
    }

    /// How git shows a new file (`path` relative to the root), in words:
    /// untracked, or added (staged, or since the base).
    pub fn how_new(&self, path: &str) -> String {
        let path = path.trim_start_matches("./");
        match self.changed.binary_search_by(|c| c.path.as_str().cmp(path)) {
            Ok(i) => self.changed[i].how(&self.base),
            Err(_) => format!("new against {}", self.base_name()),
        }
    }

    /// `HEAD`, or `the revision X`, for messages.
    pub fn base_name(&self) -> String {
        if self.base == "HEAD" {
            "HEAD".to_owned()
        } else {
            format!("the base {}", self.base)
        }
    }
}

/// How a file stands against the base.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GitStatus {
    /// Added or untracked: new since the base.
    New,
    /// The base has it, and it differs.
    Modified,
    /// The base has it, unchanged.
    Unchanged,
    /// Neither in the base nor shown as new: ignored by git, or missing.
    Untracked,
}

/// A `git` command in `root` with the settings that keep it from writing,
/// running another program (external diff, text conversion, pager,
/// fsmonitor) or asking for anything: every git tagls runs starts here.
pub fn command(root: &Path) -> Command {
    let mut cmd = Command::new("git");
    cmd.arg("-C")
        .arg(root)
        .args([
            "--no-pager",
            "--no-optional-locks",
            "-c",
            "core.fsmonitor=false",
            "-c",
            "core.pager=cat",
            "-c",
            "color.ui=never",
            "-c",
            "color.status=never",
            "-c",
            "log.showSignature=false",
        ])
        .env("GIT_PAGER", "cat")
        .env("PAGER", "cat")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_OPTIONAL_LOCKS", "0")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env_remove("GIT_EXTERNAL_DIFF")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .env_remove("GIT_CONFIG_PARAMETERS")
        .env_remove("GIT_CONFIG_COUNT")
        .stdin(Stdio::null());
    cmd
}

/// [`command`], with paths printed as they are (not quoted), for parsing.
fn git(root: &Path) -> Command {
    let mut cmd = command(root);
    cmd.args(["-c", "core.quotePath=false"])
        .stderr(Stdio::null());
    cmd
}

fn output(mut cmd: Command) -> Option<Vec<u8>> {
    let out = cmd.output().ok()?;
    out.status.success().then_some(out.stdout)
}

/// What git says about `root`, against `base` (`None`: the working tree
/// against `HEAD`). `None` when `root` is not in a git work tree, git is
/// missing, or `base` names no revision.
pub fn state(root: &Path, base: Option<&str>) -> Option<GitState> {
    // A revision is never an option: `--output=x` is not a base.
    if base.is_some_and(|b| b.starts_with('-') || b.is_empty()) {
        return None;
    }
    let top = output({
        let mut c = git(root);
        c.args(["rev-parse", "--show-toplevel"]);
        c
    })?;
    let top = PathBuf::from(String::from_utf8_lossy(&top).trim());
    // Paths from git are relative to the repository's top, which may be
    // above the root; only those under the root are kept.
    let root = crate::workspace::paths::normalize(root);
    let under_root = |rel: &str| -> Option<String> {
        let abs = top.join(rel);
        let r = abs.strip_prefix(&root).ok()?;
        Some(r.to_string_lossy().replace('\\', "/"))
    };
    let base_name = base.unwrap_or("HEAD");
    let has_base = output({
        let mut c = git(&root);
        c.args(["rev-parse", "--verify", "--quiet", "--end-of-options"])
            .arg(format!("{base_name}^{{commit}}"));
        c
    })
    .is_some();
    if base.is_some() && !has_base {
        return None;
    }
    let mut changed = Vec::new();
    let status = output({
        let mut c = git(&root);
        c.args([
            "status",
            "--porcelain=v1",
            "-z",
            "--untracked-files=all",
            "--no-renames",
            "--",
            ".",
        ]);
        c
    })?;
    for entry in status.split(|b| *b == 0) {
        if entry.len() < 4 {
            continue;
        }
        let (x, y) = (entry[0], entry[1]);
        let created = match (x, y) {
            (b'?', b'?') | (b'A', _) => true,
            (b'M' | b'T', _) | (_, b'M' | b'T') => false,
            _ => continue,
        };
        // With another base, tracked files are listed by the diff below.
        if base.is_some() && !(x == b'?' && y == b'?') {
            continue;
        }
        if let Some(path) = under_root(&String::from_utf8_lossy(&entry[3..])) {
            changed.push(Unlogged {
                path,
                created,
                untracked: x == b'?',
            });
        }
    }
    if base.is_some() {
        let diff = output({
            let mut c = git(&root);
            c.args([
                "diff",
                "--name-status",
                "-z",
                "--no-renames",
                "--no-ext-diff",
                "--no-textconv",
                base_name,
                "--",
                ".",
            ]);
            c
        })?;
        let mut fields = diff.split(|b| *b == 0);
        while let (Some(st), Some(path)) = (fields.next(), fields.next()) {
            let created = match st.first() {
                Some(b'A') => true,
                Some(b'M' | b'T') => false,
                _ => continue,
            };
            if let Some(path) = under_root(&String::from_utf8_lossy(path)) {
                changed.push(Unlogged {
                    path,
                    created,
                    untracked: false,
                });
            }
        }
    }
    changed.sort_by(|a, b| a.path.cmp(&b.path));
    changed.dedup_by(|a, b| a.path == b.path);
    let mut hunks = HashMap::new();
    let mut in_base = HashSet::new();
    // A tree with no change against `HEAD` has its claims checked against
    // git only with a base (see `check`): the lines and the base's files
    // are not asked for.
    if has_base && !(base.is_none() && changed.is_empty()) {
        if let Some(diff) = output({
            let mut c = git(&root);
            c.args([
                "diff",
                "-U0",
                "--no-color",
                "--no-ext-diff",
                "--no-textconv",
                "--no-renames",
                base_name,
                "--",
                ".",
            ]);
            c
        }) {
            for (path, ranges) in parse_diff(&String::from_utf8_lossy(&diff)) {
                if let Some(path) = under_root(&path) {
                    hunks.insert(path, ranges);
                }
            }
        }
        if let Some(files) = output({
            let mut c = git(&root);
            // The root's part of the tree, named from the repository's top.
            c.args(["ls-tree", "-r", "-z", "--name-only", "--full-name"])
                .arg(base_name);
            c
        }) {
            in_base.extend(
                files
                    .split(|b| *b == 0)
                    .filter(|p| !p.is_empty())
                    .filter_map(|p| under_root(&String::from_utf8_lossy(p))),
            );
        }
    }
    Some(GitState {
        base: base_name.to_owned(),
        has_base,
        changed,
        hunks,
        in_base,
    })
}

/// The new side's lines of a `git diff` hunk header, `@@ -a,b +c,d @@`,
/// 1-based and inclusive; a deletion (`+c,0`) touches the line it follows.
pub fn hunk(line: &str) -> Option<(usize, usize)> {
    let rest = line.strip_prefix("@@ ")?;
    let new = rest.split_whitespace().find(|w| w.starts_with('+'))?;
    let (start, count) = match new[1..].split_once(',') {
        Some((s, n)) => (s.parse::<usize>().ok()?, n.parse::<usize>().ok()?),
        None => (new[1..].parse::<usize>().ok()?, 1),
    };
    Some(if count == 0 {
        (start.max(1), start.max(1))
    } else {
        (start.max(1), start + count - 1)
    })
}

/// The new side's changed line ranges of each file in a `git diff -U0`.
fn parse_diff(diff: &str) -> Vec<(String, Vec<(usize, usize)>)> {
    let mut out: Vec<(String, Vec<(usize, usize)>)> = Vec::new();
    for line in diff.lines() {
        if let Some(path) = line.strip_prefix("+++ ") {
            // `+++ /dev/null` is a deleted file; a quoted name is skipped
            // rather than misread.
            match path.strip_prefix("b/") {
                Some(p) if !path.starts_with('"') => out.push((p.to_owned(), Vec::new())),
                _ => out.push((String::new(), Vec::new())),
            }
            continue;
        }
        let Some(range) = hunk(line) else {
            continue;
        };
        if let Some((_, ranges)) = out.last_mut() {
            ranges.push(range);
        }
    }
    out.retain(|(p, _)| !p.is_empty());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hunks_of_a_diff() {
        let diff = "diff --git a/src/a.ts b/src/a.ts\nindex 1..2 100644\n--- a/src/a.ts\n+++ b/src/a.ts\n@@ -3 +3,2 @@ fn\n-x\n+y\n+z\n@@ -10,2 +11,0 @@\n-a\n-b\n@@ -20 +20 @@\n-c\n+d\ndiff --git a/gone.ts b/gone.ts\n--- a/gone.ts\n+++ /dev/null\n@@ -1 +0,0 @@\n-x\n";
        assert_eq!(
            parse_diff(diff),
            vec![("src/a.ts".to_owned(), vec![(3, 4), (11, 11), (20, 20)])]
        );
    }

    fn run(dir: &Path, args: &[&str]) {
        let ok = Command::new("git")
            .arg("-C")
            .arg(dir)
            .args([
                "-c",
                "user.name=t",
                "-c",
                "user.email=t@e",
                "-c",
                "commit.gpgsign=false",
            ])
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap()
            .success();
        assert!(ok, "git {args:?}");
    }

    #[test]
    fn a_work_tree_against_head_and_against_a_base() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().canonicalize().unwrap();
        assert_eq!(state(&dir, None), None, "not a work tree");
        run(&dir, &["init", "-q"]);
        std::fs::write(dir.join("old.ts"), "1\n2\n3\n4\n").unwrap();
        std::fs::write(dir.join("same.ts"), "x\n").unwrap();
        // No commit yet: everything is new, nothing is in a base.
        let s = state(&dir, None).unwrap();
        assert!(!s.has_base);
        assert_eq!(s.status("old.ts"), GitStatus::New);
        run(&dir, &["add", "."]);
        run(&dir, &["commit", "-q", "-m", "base"]);
        run(&dir, &["tag", "base"]);
        std::fs::write(dir.join("old.ts"), "1\n2\nthree\n4\n5\n").unwrap();
        std::fs::write(dir.join("new.ts"), "n\n").unwrap();
        let s = state(&dir, None).unwrap();
        assert_eq!(s.status("old.ts"), GitStatus::Modified);
        assert_eq!(s.status("new.ts"), GitStatus::New);
        assert_eq!(s.how_new("new.ts"), "untracked (new, not yet added to git)");
        assert_eq!(s.status("same.ts"), GitStatus::Unchanged);
        assert_eq!(s.status("nothing.ts"), GitStatus::Untracked);
        run(&dir, &["add", "new.ts"]);
        assert_eq!(
            state(&dir, None).unwrap().how_new("new.ts"),
            "added (staged)"
        );
        assert_eq!(s.hunks["old.ts"], vec![(3, 3), (5, 5)]);
        // Committed work is still a change against the base it started from.
        run(&dir, &["add", "."]);
        run(&dir, &["commit", "-q", "-m", "work"]);
        assert!(state(&dir, None).unwrap().is_clean());
        let s = state(&dir, Some("base")).unwrap();
        assert_eq!(s.status("old.ts"), GitStatus::Modified);
        assert_eq!(s.status("new.ts"), GitStatus::New);
        assert_eq!(s.how_new("new.ts"), "added since base");
        assert_eq!(s.status("same.ts"), GitStatus::Unchanged);
        assert_eq!(s.base_name(), "the base base");
        assert_eq!(state(&dir, Some("no-such-rev")), None);
        // A root below the repository's top sees its own part, by its own
        // paths.
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        std::fs::write(dir.join("sub/in.ts"), "1\n").unwrap();
        run(&dir, &["add", "."]);
        run(&dir, &["commit", "-q", "-m", "sub"]);
        std::fs::write(dir.join("sub/in.ts"), "2\n").unwrap();
        let s = state(&dir.join("sub"), None).unwrap();
        assert_eq!(s.status("in.ts"), GitStatus::Modified);
        assert_eq!(s.hunks["in.ts"], vec![(1, 1)]);
        assert_eq!(s.status("old.ts"), GitStatus::Untracked, "outside the root");
        assert!(
            s.in_base.iter().all(|p| !p.contains("old.ts")),
            "{:?}",
            s.in_base
        );
        assert_eq!(state(&dir, Some("--output=/tmp/x")), None);
    }
}
