//! Pathname expansion as a shell does it (`*`, `?`, `[...]`, and `**` for
//! any depth of folders), through [`Workspace`]: a glob whose fixed part is
//! outside the workspace is refused like any outside path, every folder is
//! looked up (and so checked to be inside a root) before it is listed, and
//! the work is bounded.

use std::path::{Path, PathBuf};

use globset::{GlobBuilder, GlobMatcher};

use crate::workspace::fs::FileKind;
use crate::workspace::model::{Lookup, Workspace};
use crate::workspace::paths::normalize;

/// Paths a glob may expand to, at most.
pub(super) const MAX_MATCHES: usize = 2_000;
/// Folder entries a glob, or a `find`, may look at, at most.
pub(super) const MAX_ENTRIES: usize = 50_000;

/// What a glob expands to.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Expanded {
    /// The matching paths, as the shell writes them, sorted.
    Paths(Vec<String>),
    NoMatch,
    /// Its fixed part is outside the workspace.
    Outside,
    /// Why it is not expanded.
    Unsupported(String),
}

enum Comp {
    Literal(String),
    Glob {
        matcher: GlobMatcher,
        hidden: bool,
    },
    /// `**`: any number of folders.
    Globstar,
}

/// Whether a component of a pattern has a glob character that is not
/// escaped.
fn is_glob(comp: &str) -> bool {
    let mut escaped = false;
    for c in comp.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '*' | '?' | '[' => return true,
            _ => {}
        }
    }
    false
}

fn unescape(comp: &str) -> String {
    let mut out = String::new();
    let mut escaped = false;
    for c in comp.chars() {
        if !escaped && c == '\\' {
            escaped = true;
            continue;
        }
        escaped = false;
        out.push(c);
    }
    out
}

/// A component's matcher; `None` when it is not a valid glob, which a
/// shell leaves as it is written.
fn matcher(comp: &str, case_insensitive: bool) -> Option<GlobMatcher> {
    GlobBuilder::new(comp)
        .literal_separator(true)
        .backslash_escape(true)
        .case_insensitive(case_insensitive)
        .build()
        .ok()
        .map(|g| g.compile_matcher())
}

/// Whether a shell would expand `pattern` at all: a `[` without its `]`
/// is an ordinary character.
pub(super) fn is_valid(pattern: &str) -> bool {
    pattern
        .split('/')
        .filter(|c| is_glob(c) && *c != "**")
        .all(|c| matcher(c, false).is_some())
}

/// Expands `pattern` (a word's glob, quoted characters escaped with `\`)
/// against `root`, where recipes run.
pub(super) fn expand(ws: &mut Workspace, root: &Path, pattern: &str) -> Expanded {
    let absolute = pattern.starts_with('/');
    let parts: Vec<&str> = pattern.split('/').filter(|p| !p.is_empty()).collect();
    let first_glob = parts.iter().position(|p| is_glob(p)).unwrap_or(parts.len());
    let fixed: Vec<String> = parts[..first_glob].iter().map(|p| unescape(p)).collect();
    let mut written = fixed.join("/");
    if absolute {
        written.insert(0, '/');
    }
    if !written.is_empty() && pattern.ends_with('/') && first_glob == parts.len() {
        written.push('/');
    }
    let base = normalize(&root.join(if written.is_empty() { "." } else { &written }));
    let mut comps = Vec::new();
    for p in &parts[first_glob..] {
        comps.push(match *p {
            "**" => Comp::Globstar,
            "." => continue,
            ".." => {
                return Expanded::Unsupported("it has `..` after a wildcard".to_owned());
            }
            p if is_glob(p) => match matcher(p, false) {
                Some(matcher) => Comp::Glob {
                    matcher,
                    hidden: p.starts_with('.') || p.starts_with("\\."),
                },
                None => return Expanded::Unsupported(format!("`{p}` is not a valid glob")),
            },
            p => Comp::Literal(unescape(p)),
        });
    }
    match ws.lookup(&base) {
        Lookup::Outside => return Expanded::Outside,
        Lookup::Found(FileKind::Dir) => {}
        _ => return Expanded::NoMatch,
    }
    let mut walk = Walk {
        ws,
        out: Vec::new(),
        entries: 0,
        too_many: false,
    };
    walk.walk(&base, &written, &comps);
    if walk.too_many {
        return Expanded::Unsupported(format!(
            "it matches more than {MAX_MATCHES} paths or needs more than {MAX_ENTRIES} folder entries looked at"
        ));
    }
    let mut out = walk.out;
    out.sort();
    out.dedup();
    if out.is_empty() {
        Expanded::NoMatch
    } else {
        Expanded::Paths(out)
    }
}

/// The path a shell writes for `name` in the folder written `dir`.
pub(super) fn join_written(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_owned()
    } else if dir.ends_with('/') {
        format!("{dir}{name}")
    } else {
        format!("{dir}/{name}")
    }
}

/// The entries of a folder the workspace says is a folder inside a root,
/// sorted by name; `None` when it is not one or cannot be listed.
pub(super) fn list_dir(ws: &mut Workspace, dir: &Path) -> Option<Vec<(String, FileKind)>> {
    if ws.lookup(dir) != Lookup::Found(FileKind::Dir) {
        return None;
    }
    let mut entries = ws.fs().read_dir(dir).ok()?;
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    Some(entries)
}

struct Walk<'a> {
    ws: &'a mut Workspace,
    out: Vec<String>,
    entries: usize,
    too_many: bool,
}

impl Walk<'_> {
    fn push(&mut self, written: String) {
        if self.out.len() >= MAX_MATCHES {
            self.too_many = true;
        } else {
            self.out.push(written);
        }
    }

    fn list(&mut self, dir: &Path) -> Vec<(String, FileKind)> {
        if self.too_many {
            return Vec::new();
        }
        let entries = list_dir(self.ws, dir).unwrap_or_default();
        self.entries += entries.len();
        if self.entries > MAX_ENTRIES {
            self.too_many = true;
            return Vec::new();
        }
        entries
    }

    /// Whether `path`, an entry of a listed folder, is a folder, a symlink
    /// to one inside the workspace included.
    fn is_dir(&mut self, path: &Path, kind: FileKind) -> bool {
        match kind {
            FileKind::Dir => true,
            FileKind::Symlink => self.ws.lookup(path) == Lookup::Found(FileKind::Dir),
            _ => false,
        }
    }

    fn walk(&mut self, dir: &Path, written: &str, comps: &[Comp]) {
        if self.too_many {
            return;
        }
        let Some((comp, rest)) = comps.split_first() else {
            let shown = if written.is_empty() { "." } else { written };
            self.push(shown.to_owned());
            return;
        };
        match comp {
            Comp::Literal(name) => {
                let path = dir.join(name);
                let shown = join_written(written, name);
                match self.ws.lookup(&path) {
                    Lookup::Found(FileKind::Dir) => self.walk(&path, &shown, rest),
                    Lookup::Found(_) if rest.is_empty() => self.push(shown),
                    _ => {}
                }
            }
            Comp::Glob { matcher, hidden } => {
                for (name, kind) in self.list(dir) {
                    if (name.starts_with('.') && !hidden) || !matcher.is_match(&name) {
                        continue;
                    }
                    let path = dir.join(&name);
                    let shown = join_written(written, &name);
                    if rest.is_empty() {
                        self.push(shown);
                    } else if self.is_dir(&path, kind) {
                        self.walk(&path, &shown, rest);
                    }
                }
            }
            Comp::Globstar => {
                if rest.is_empty() {
                    // `dir/**`: everything under it.
                    for (name, kind) in self.list(dir) {
                        if name.starts_with('.') {
                            continue;
                        }
                        let shown = join_written(written, &name);
                        self.push(shown.clone());
                        if kind == FileKind::Dir {
                            self.walk(&dir.join(&name), &shown, comps);
                        }
                    }
                    return;
                }
                // No folder, then one more folder at a time (symlinks to
                // folders are not followed, as bash does).
                self.walk(dir, written, rest);
                for (name, kind) in self.list(dir) {
                    if kind == FileKind::Dir && !name.starts_with('.') {
                        let path: PathBuf = dir.join(&name);
                        self.walk(&path, &join_written(written, &name), comps);
                    }
                }
            }
        }
    }
}
