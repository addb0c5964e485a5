//! Findings across changes: the stable fingerprint of a finding (SARIF's
//! `partialFingerprints`, and how `--new-only` matches findings), the
//! findings a set of files touches (`tagls check FILE ...`, as pre-commit
//! runs it), and the findings that were already there at a git revision.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Component, Path, PathBuf};
use std::process::Stdio;

use crate::findings::Code;
use crate::gate::{Located, Report, Verdict};

/// The key of tagls's fingerprint in SARIF's `partialFingerprints`; its
/// version changes if the fingerprint's recipe does.
pub const FINGERPRINT_KEY: &str = "tagls/v1";

/// A hash of what a finding is, not where: its code, its file, its tag and
/// the text it is on. Lines inserted above it do not change it.
fn identity(f: &Located) -> String {
    let mut bytes = Vec::new();
    for part in [
        f.finding.code.as_str(),
        f.path.as_str(),
        f.finding.tag.as_str(),
        f.subject.as_str(),
    ] {
        bytes.extend_from_slice(part.as_bytes());
        bytes.push(0);
    }
    format!("{:032x}", xxhash_rust::xxh3::xxh3_128(&bytes))
}

/// The fingerprint of each finding, in the order given: [`identity`] and
/// which occurrence of that identity it is in its file, in line order (two
/// assumptions naming the same missing path in one file stay apart).
pub fn fingerprints(findings: &[Located]) -> Vec<String> {
    let mut order: Vec<usize> = (0..findings.len()).collect();
    order.sort_by(|&a, &b| {
        let (x, y) = (&findings[a], &findings[b]);
        (&x.root, &x.path, x.line, x.column).cmp(&(&y.root, &y.path, y.line, y.column))
    });
    let mut seen: HashMap<(PathBuf, String), usize> = HashMap::new();
    let mut out = vec![String::new(); findings.len()];
    for i in order {
        let f = &findings[i];
        let id = identity(f);
        let n = seen.entry((f.root.clone(), id.clone())).or_default();
        *n += 1;
        out[i] = format!("{id}:{n}");
    }
    out
}

/// The files `tagls check FILE ...` was given, by workspace root: it checks
/// each workspace whole, with the one engine, and keeps the findings those
/// files touch (see [`Scope::touches`]).
#[derive(Debug, Default)]
pub struct Scope {
    files: BTreeMap<PathBuf, BTreeSet<String>>,
}

impl Scope {
    /// Adds `rel` (relative to `root`, with `/`) to the scope.
    pub fn add(&mut self, root: &Path, rel: String) {
        self.files
            .entry(root.to_path_buf())
            .or_default()
            .insert(rel);
    }

    /// Whether no root is scoped to files: every finding counts.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Forgets the files of `root`: it is checked whole.
    pub fn whole(&mut self, root: &Path) {
        self.files.remove(root);
    }

    /// Whether a finding is one a commit of the given files must answer
    /// for: it is in one of them, it is about one of them (a claim or a
    /// reference whose text starts with the file's path), or it is about the
    /// workspace as a whole (its log is missing, empty or holds no claim).
    pub fn touches(&self, f: &Located) -> bool {
        let Some(files) = self.files.get(&f.root) else {
            return true;
        };
        if files.contains(&f.path) || f.finding.code == Code::MissingLog {
            return true;
        }
        files.iter().any(|rel| names(&f.subject, rel))
    }
}

/// Whether `subject` names `rel` as a path: it is `rel`, or starts with it
/// followed by something that is not part of a path (`src/a.ts (3 lines)`).
fn names(subject: &str, rel: &str) -> bool {
    let subject = subject.trim_start_matches(['`', '"', '\'']);
    let subject = subject.strip_prefix("./").unwrap_or(subject);
    match subject.strip_prefix(rel) {
        Some(rest) => rest
            .chars()
            .next()
            .is_none_or(|c| c.is_whitespace() || "`\"'),:;(".contains(c)),
        None => false,
    }
}

/// Keeps the findings of `report` for which `keep` holds, and their
/// fingerprints in `prints` (one per finding, in the same order).
fn retain(report: &mut Report, prints: &mut Vec<String>, keep: impl Fn(&Located, &str) -> bool) {
    let flags: Vec<bool> = report
        .findings
        .iter()
        .zip(prints.iter())
        .map(|(f, p)| keep(f, p))
        .collect();
    let mut it = flags.iter();
    report
        .findings
        .retain(|_| it.next().copied().unwrap_or(true));
    let mut it = flags.iter();
    prints.retain(|_| it.next().copied().unwrap_or(true));
}

/// Keeps the findings of `report` that `scope` touches. `prints` are
/// their fingerprints, made on the whole report so that they are the same
/// whatever is kept.
pub fn restrict(report: &mut Report, prints: &mut Vec<String>, scope: &Scope) {
    retain(report, prints, |f, _| scope.touches(f));
}

/// What `tagls check` reports of a scan of whole roots when PATH arguments
/// name files (`scope`): the findings `scope` touches, with their
/// fingerprints (made on the whole report), and whether the whole workspace
/// passed. The tags to clean up follow the whole workspace's verdict: a
/// restricted report that passes does not make them due.
pub fn scoped(mut report: Report, scope: &Scope) -> (Report, Vec<String>, bool) {
    let whole_passed = report.verdict() == crate::findings::Verdict::Passed;
    let mut prints = fingerprints(&report.findings);
    restrict(&mut report, &mut prints, scope);
    if !whole_passed && !scope.is_empty() {
        report.cleanup.clear();
    }
    (report, prints, whole_passed)
}

/// Drops the findings of `report` that were already there in `bases` (the
/// report of each root at the base revision), matched by fingerprint,
/// unless they now weigh more on the verdict or the change `touched` their
/// lines. Returns how many were dropped.
pub fn drop_old(
    report: &mut Report,
    prints: &mut Vec<String>,
    bases: &[(PathBuf, Report)],
    touched: impl Fn(&Located) -> bool,
) -> usize {
    let mut old: HashMap<(PathBuf, String), Option<Verdict>> = HashMap::new();
    for (root, base) in bases {
        for (f, print) in base.findings.iter().zip(fingerprints(&base.findings)) {
            old.insert((root.clone(), print), f.gate);
        }
    }
    let before = report.findings.len();
    retain(report, prints, |f, print| {
        match old.get(&(f.root.clone(), print.to_owned())) {
            Some(was) => f.gate > *was || touched(f),
            None => true,
        }
    });
    before - report.findings.len()
}

/// For each file (relative to its root), the 1-based, inclusive ranges of
/// the lines a change added or modified.
pub type ChangedLines = HashMap<String, Vec<(usize, usize)>>;

/// The lines of each file of `root` that the change since `rev` added or
/// modified, as git shows them (`log::git::state`): a finding on them was
/// touched by the change.
pub fn changed_lines(root: &Path, rev: &str) -> ChangedLines {
    crate::log::git::state(root, Some(rev))
        .map(|s| s.hunks)
        .unwrap_or_default()
}

/// Whether a finding lies on lines of `hunks` (1-based, inclusive).
pub fn on_changed_lines(f: &Located, hunks: &HashMap<PathBuf, ChangedLines>) -> bool {
    hunks
        .get(&f.root)
        .and_then(|files| files.get(&f.path))
        .is_some_and(|ranges| {
            let (start, end) = (f.line as usize, f.end_line as usize);
            ranges.iter().any(|&(a, b)| start <= b && a <= end)
        })
}

/// Checks `root` as it was at `rev`: its tree is written into a fresh
/// folder of the system's temporary folder (nothing is written in the
/// workspace) and checked there, without the scan cache and without git.
pub fn base_report(root: &Path, rev: &str, config: Option<&Path>) -> Result<Report, String> {
    // A temporary folder inside the workspace (TMPDIR set there) would be
    // written into it, and walked with it.
    let inside = |p: &Path| {
        std::fs::canonicalize(p)
            .ok()
            .zip(std::fs::canonicalize(root).ok())
            .is_some_and(|(p, r)| p.starts_with(r))
    };
    let tmp = std::env::temp_dir();
    if inside(&tmp) {
        return Err(format!(
            "the temporary folder {} is inside the workspace; set TMPDIR to a folder outside it",
            tmp.display()
        ));
    }
    let dir = tempfile::Builder::new()
        .prefix("tagls-base-")
        .tempdir()
        .map_err(|e| format!("cannot make a folder for {rev}'s tree: {e}"))?;
    export_tree(root, rev, dir.path())?;
    let base_root = crate::workspace::paths::normalize(dir.path());
    let configured = crate::gate::configure(std::slice::from_ref(&base_root), config)
        .map_err(|e| format!("cannot check {rev}'s tree: {e}"))?;
    let report = crate::gate::scan(&configured, None, &mut |_| {});
    Ok(report)
}

fn git_out(root: &Path, args: &[&str]) -> Result<Vec<u8>, String> {
    let out = crate::log::git::command(root)
        .args(args)
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "git {}: {}",
            args.first().copied().unwrap_or_default(),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(out.stdout)
}

/// Writes the files of `root`'s part of the tree at `rev` under `to`:
/// regular files only (no symlink, no submodule), read with `git cat-file`
/// so that no attribute or filter changes them.
fn export_tree(root: &Path, rev: &str, to: &Path) -> Result<(), String> {
    if rev.starts_with('-') || rev.is_empty() {
        return Err(format!("{rev}: not a revision"));
    }
    let commit = git_out(
        root,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            "--end-of-options",
            &format!("{rev}^{{commit}}"),
        ],
    )
    .map_err(|_| format!("{rev} names no commit in {}", root.display()))?;
    let commit = String::from_utf8_lossy(&commit).trim().to_owned();
    let prefix = git_out(root, &["rev-parse", "--show-prefix"])?;
    let prefix = String::from_utf8_lossy(&prefix).trim_end().to_owned();
    let listing = git_out(
        root,
        &[
            "ls-tree",
            "-r",
            "-z",
            "--full-tree",
            "--end-of-options",
            &commit,
        ],
    )?;
    // `<mode> blob <oid>\t<path>` entries, NUL-separated.
    let mut blobs: Vec<(String, PathBuf)> = Vec::new();
    for entry in listing.split(|b| *b == 0).filter(|e| !e.is_empty()) {
        let entry = String::from_utf8_lossy(entry);
        let Some((meta, path)) = entry.split_once('\t') else {
            continue;
        };
        let mut meta = meta.split(' ');
        let (Some(mode), Some("blob"), Some(oid)) = (meta.next(), meta.next(), meta.next()) else {
            continue;
        };
        if !matches!(mode, "100644" | "100755") {
            continue;
        }
        let Some(rel) = path.strip_prefix(prefix.as_str()) else {
            continue;
        };
        let rel = Path::new(rel);
        if !rel
            .components()
            .all(|c| matches!(c, Component::Normal(n) if n != ".git"))
        {
            continue;
        }
        blobs.push((oid.to_owned(), to.join(rel)));
    }
    let mut child = crate::log::git::command(root)
        .args(["cat-file", "--batch"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot run git: {e}"))?;
    let mut stdin = child.stdin.take().ok_or("git cat-file: no input")?;
    let oids: Vec<String> = blobs.iter().map(|(oid, _)| oid.clone()).collect();
    let feeder = std::thread::spawn(move || {
        for oid in oids {
            if writeln!(stdin, "{oid}").is_err() {
                break;
            }
        }
    });
    let mut out = BufReader::new(child.stdout.take().ok_or("git cat-file: no output")?);
    let mut result = Ok(());
    for (_, dest) in &blobs {
        let mut header = String::new();
        if out.read_line(&mut header).map_err(|e| e.to_string())? == 0 {
            result = Err("git cat-file stopped early".to_owned());
            break;
        }
        let size: u64 = header
            .split_whitespace()
            .nth(2)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| format!("git cat-file: unexpected {header:?}"))?;
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        }
        // Streamed, so that a large file of the tree is never held whole.
        let mut file =
            std::fs::File::create(dest).map_err(|e| format!("{}: {e}", dest.display()))?;
        let copied = std::io::copy(&mut (&mut out).take(size), &mut file)
            .map_err(|e| format!("{}: {e}", dest.display()))?;
        let mut newline = [0u8; 1];
        if copied != size || out.read_exact(&mut newline).is_err() {
            result = Err("git cat-file stopped early".to_owned());
            break;
        }
    }
    let _ = feeder.join();
    let _ = child.wait();
    result
}

#[cfg(test)]
mod tests {
    use super::names;

    #[test]
    fn a_subject_names_a_path_only_as_a_whole() {
        assert!(names("src/a.ts (156 lines)", "src/a.ts"));
        assert!(names("src/a.ts", "src/a.ts"));
        assert!(names("`src/a.ts`", "src/a.ts"));
        assert!(!names("src/a.tsx", "src/a.ts"));
        assert!(!names("lib/src/a.ts", "src/a.ts"));
    }
}
