//! `tagls audit` on a generated history, beside `git log` over the same
//! range.
//!
//! Run with `cargo bench -p tagls --bench audit` (add `-- --quick` for a
//! smoke run on 1,000 commits). Plain std, no harness, no timed assertions:
//! it prints a table and ratios.
//!
//! The repository is built with `git fast-import` (cached under
//! `target/bench-audit/`): 10,000 commits over 60 TypeScript and Python
//! files, each commit adding a tag, removing one, moving a tag line within
//! its file, or renaming a file, with code between the tags. It runs the
//! built binary as `tagls audit --format json` cold (an empty history and
//! scan cache: every commit and blob read) and warm (the caches of the cold
//! run), and `git log --raw -M HEAD` as the baseline: the one pass over
//! history an audit cannot do without. Each is run 3 times (1 in quick
//! mode); the medians are printed. Wall time is taken around spawn + `wait4`
//! (`support.rs`).

#[path = "plot.rs"]
mod plot;
#[path = "support.rs"]
mod support;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

const FILES: usize = 60;

const TAGS: [&str; 6] = [
    "COMPLETION_DRIVE",
    "COMPLETION_DRIVE_INTEGRATION",
    "CARGO_CULT",
    "PATH_DECISION",
    "SUGGEST_VERIFY",
    "CONTEXT_DEGRADED",
];

/// A small deterministic generator (xorshift).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

struct File {
    path: String,
    lines: Vec<String>,
}

fn comment(path: &str) -> &'static str {
    if path.ends_with(".py") { "#" } else { "//" }
}

/// Builds the repository of `commits` commits in `dir` with fast-import.
fn build(dir: &Path, commits: usize) {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).unwrap();
    let git = |args: &[&str]| {
        let ok = Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .stdout(Stdio::null())
            .status()
            .unwrap()
            .success();
        assert!(ok, "git {args:?}");
    };
    git(&["init", "-q", "-b", "main"]);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut files: Vec<File> = (0..FILES)
        .map(|i| {
            let path = if i % 4 == 0 {
                format!("src/m{i}.py")
            } else {
                format!("src/m{i}.ts")
            };
            let lines = (0..40)
                .map(|l| {
                    if path.ends_with(".py") {
                        format!("v{l} = {l}")
                    } else {
                        format!("export const v{l} = {l};")
                    }
                })
                .collect();
            File { path, lines }
        })
        .collect();
    let mut child = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["fast-import", "--quiet"])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = std::io::BufWriter::new(child.stdin.take().unwrap());
    let start: i64 = 1_700_000_000;
    for n in 0..commits {
        let time = start + n as i64 * 3_600;
        let mut changed: Vec<usize> = Vec::new();
        let mut deleted: Vec<String> = Vec::new();
        if n == 0 {
            changed.extend(0..FILES);
        } else {
            let f = rng.below(FILES);
            let roll = rng.below(100);
            let file = &mut files[f];
            let mark = comment(&file.path);
            let tagged: Vec<usize> = (0..file.lines.len())
                .filter(|&i| file.lines[i].contains(": Assuming") || file.lines[i].contains(" #"))
                .filter(|&i| file.lines[i].starts_with(mark) && file.lines[i].contains('#'))
                .collect();
            if roll < 45 || tagged.is_empty() {
                let tag = TAGS[rng.below(TAGS.len())];
                let at = rng.below(file.lines.len() + 1);
                file.lines.insert(
                    at,
                    format!(
                        "{mark} #{tag}: Assuming item {} of batch {}",
                        rng.below(500),
                        n % 97
                    ),
                );
                // Code as well, so that the file grows like real code.
                file.lines.insert(at, format!("export const c{n} = {n};"));
            } else if roll < 75 {
                let i = tagged[rng.below(tagged.len())];
                file.lines.remove(i);
            } else if roll < 95 {
                let i = tagged[rng.below(tagged.len())];
                let line = file.lines.remove(i);
                let to = rng.below(file.lines.len() + 1);
                file.lines.insert(to, line);
            } else {
                deleted.push(file.path.clone());
                let (stem, ext) = file.path.rsplit_once('.').unwrap();
                file.path = format!("{stem}r.{ext}");
            }
            changed.push(f);
        }
        writeln!(input, "commit refs/heads/main").unwrap();
        writeln!(input, "author Bench <b@e> {time} +0000").unwrap();
        writeln!(input, "committer Bench <b@e> {time} +0000").unwrap();
        let msg = format!("change {n}");
        writeln!(input, "data {}\n{msg}", msg.len()).unwrap();
        for d in &deleted {
            writeln!(input, "D {d}").unwrap();
        }
        for &f in &changed {
            let mut text = files[f].lines.join("\n");
            text.push('\n');
            writeln!(input, "M 100644 inline {}", files[f].path).unwrap();
            writeln!(input, "data {}", text.len()).unwrap();
            input.write_all(text.as_bytes()).unwrap();
            writeln!(input).unwrap();
        }
    }
    input.flush().unwrap();
    drop(input);
    assert!(child.wait().unwrap().success(), "fast-import failed");
    git(&["reset", "-q", "--hard", "main"]);
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1e3)
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let commits = if quick { 1_000 } else { 10_000 };
    let runs = if quick { 1 } else { 3 };
    let base = plot::repo_root().join("target").join("bench-audit");
    let dir = base.join(format!("repo-{commits}"));
    let ready = dir.join(".git").join("bench-ready");
    if !ready.exists() {
        build(&dir, commits);
        std::fs::write(&ready, "").unwrap();
    }
    let cache: PathBuf = base.join(format!("cache-{commits}"));
    let audit = |cache: &Path| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_tagls"));
        c.args(["audit", "--format", "json"])
            .arg(&dir)
            .env("TAGLS_CACHE_DIR", cache);
        c
    };
    let git_log = || {
        let mut c = Command::new("git");
        c.arg("-C")
            .arg(&dir)
            .args(["log", "--raw", "-M", "--no-abbrev", "HEAD"]);
        c
    };
    let mut cold = Vec::new();
    let mut warm = Vec::new();
    let mut log = Vec::new();
    for _ in 0..runs {
        let _ = std::fs::remove_dir_all(&cache);
        log.push(support::timed(git_log(), &[0]).wall);
        cold.push(support::timed(audit(&cache), &[0]).wall);
        warm.push(support::timed(audit(&cache), &[0]).wall);
    }
    let (cold, warm, log) = (median(cold), median(warm), median(log));
    let ratio = |d: Duration| d.as_secs_f64() / log.as_secs_f64().max(1e-9);
    println!(
        "audit bench: {} cores ({}), load {}, {}, {commits} commits, {FILES} files",
        support::cpus(),
        support::cpu_model(),
        support::load(1),
        support::version("git", "git: not found"),
    );
    println!(
        "| commits | git log --raw -M | audit cold | audit warm | cold / git log | warm / git log |"
    );
    println!("|--:|--:|--:|--:|--:|--:|");
    println!(
        "| {commits} | {} | {} | {} | {:.1}x | {:.2}x |",
        ms(log),
        ms(cold),
        ms(warm),
        ratio(cold),
        ratio(warm)
    );
}
