//! `tagls check` beside ripgrep on the same generated trees.
//!
//! Run with `cargo bench -p tagls --bench check` (add `-- --quick` for a
//! smoke run on 1,000 files with 2 runs). Plain std, no harness, no timed
//! assertions: it prints a table and ratios, and plots the growth with the
//! file count (`plot.rs`: `docs/bench/` for a full run).
//!
//! tagls runs three ways: with `--no-cache` (every candidate file parsed:
//! the first check of a tree), with a warm scan cache (nothing changed since
//! the last check), and with 1% of the source files edited since the last
//! check (those are parsed again). ripgrep is timed in pairs with each.
//!
//! For trees of 1,000, 10,000 and 50,000 files (`server/examples/
//! gen_workspace.rs`, cached under `target/bench-workspaces/` like the
//! `workspace` bench), it runs the built binary as
//! `tagls check --format json DIR > /dev/null` and
//! `rg -n '#[A-Z][A-Z_]+:' DIR > /dev/null`, paired: each run of tagls is
//! followed by a run of ripgrep (the order alternates from pair to pair), so
//! that both see the same machine. The page cache is warm: one untimed run
//! of each comes first (it also counts ripgrep's matching lines and tagls's
//! findings). Wall time is taken around spawn + `wait4`; the peak RSS of each
//! child comes from the `rusage` that `wait4` returns for that child alone.

#[path = "plot.rs"]
mod plot;
#[path = "support.rs"]
mod support;

use support::Run;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// The baseline pattern: the start of a tag such as `#TODO_ITEM:`.
const RG_PATTERN: &str = "#[A-Z][A-Z_]+:";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Tool {
    /// `tagls check --no-cache`.
    Tagls,
    /// `tagls check` with its scan cache under the target directory.
    TaglsCached,
    Rg,
}

/// The scan cache of the `TaglsCached` runs, apart from the user's own.
fn cache_dir() -> PathBuf {
    plot::repo_root().join("target").join("bench-check-cache")
}

fn command(tool: Tool, root: &Path) -> Command {
    match tool {
        Tool::Tagls => {
            let mut c = Command::new(env!("CARGO_BIN_EXE_tagls"));
            c.args(["check", "--no-cache", "--format", "json"])
                .arg(root);
            c
        }
        Tool::TaglsCached => {
            let mut c = Command::new(env!("CARGO_BIN_EXE_tagls"));
            c.args(["check", "--format", "json"])
                .arg(root)
                .env("TAGLS_CACHE_DIR", cache_dir());
            c
        }
        Tool::Rg => {
            let mut c = Command::new("rg");
            c.args(["-n", RG_PATTERN]).arg(root);
            c
        }
    }
}

/// One timed run with stdout and stderr on /dev/null; waits with `wait4` so
/// that the peak RSS is this child's own.
fn run(tool: Tool, root: &Path) -> Run {
    support::timed(command(tool, root), &[0, 1])
}

/// The untimed warm-up run: reads the whole tree (so the page cache is
/// warm) and returns how many lines the output has (ripgrep) or how many
/// findings the JSON holds (tagls).
fn warm_up(tool: Tool, root: &Path) -> usize {
    let out = command(tool, root)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .expect("run");
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "warm-up failed: {:?}",
        out.status
    );
    match tool {
        Tool::Rg => out.stdout.iter().filter(|b| **b == b'\n').count(),
        Tool::Tagls | Tool::TaglsCached => serde_json::from_slice::<serde_json::Value>(&out.stdout)
            .ok()
            .and_then(|v| v.get("findings").and_then(|f| f.as_array()).map(Vec::len))
            .unwrap_or(0),
    }
}

fn median<T: Copy + Ord>(v: &[T]) -> T {
    let mut v = v.to_vec();
    v.sort_unstable();
    v[(v.len() - 1) / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn machine() -> String {
    format!(
        "nproc {}, {}; {}; load average {}",
        support::cpus(),
        support::cpu_model(),
        support::version("rg", "ripgrep not found"),
        support::load(3)
    )
}

/// The source files of a tree, in a fixed order, for the edits.
fn sources(root: &Path) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
        entries.sort();
        for p in entries {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            if p.is_dir() {
                if !matches!(name, "node_modules" | "coverage" | ".git") {
                    walk(&p, out);
                }
            } else if [".ts", ".tsx", ".js", ".go", ".py"]
                .iter()
                .any(|e| name.ends_with(e))
            {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(root, &mut out);
    out
}

/// Appends a line comment that is new in this round to every hundredth
/// source file (a different hundredth each round), and returns how to
/// restore them.
fn edit_one_percent(files: &[PathBuf], round: usize) -> Vec<(PathBuf, Vec<u8>)> {
    files
        .iter()
        .skip(round % 100)
        .step_by(100)
        .map(|p| {
            let old = std::fs::read(p).expect("read a source");
            let mut new = old.clone();
            let marker = if p.extension().is_some_and(|e| e == "py") {
                "#"
            } else {
                "//"
            };
            new.extend_from_slice(format!("\n{marker} edited in round {round}\n").as_bytes());
            std::fs::write(p, new).expect("edit a source");
            (p.clone(), old)
        })
        .collect()
}

fn restore(saved: Vec<(PathBuf, Vec<u8>)>) {
    for (p, old) in saved {
        std::fs::write(p, old).expect("restore a source");
    }
}

/// The figures of one way of running tagls at one size.
struct Row {
    n: usize,
    runs: usize,
    tagls: Duration,
    rg: Duration,
    tagls_kb: u64,
    rg_kb: u64,
    ratios: Vec<f64>,
}

/// `pairs` pairs of `tool` (after `before`, which returns what `after`
/// undoes) and ripgrep, alternating which goes first.
fn pairs(
    tool: Tool,
    what: &str,
    root: &Path,
    n: usize,
    count: usize,
    mut before: impl FnMut(usize) -> Vec<(PathBuf, Vec<u8>)>,
    mut after: impl FnMut(Vec<(PathBuf, Vec<u8>)>),
) -> Row {
    let mut tagls = Vec::new();
    let mut rg = Vec::new();
    let mut ratios = Vec::new();
    for p in 0..count {
        let saved = before(p);
        let (t, r) = if p % 2 == 0 {
            let t = run(tool, root);
            (t, run(Tool::Rg, root))
        } else {
            let r = run(Tool::Rg, root);
            (run(tool, root), r)
        };
        after(saved);
        println!(
            "  {n} files, {}, pair {}: tagls {:.1} ms {} KB, rg {:.1} ms {} KB",
            what,
            p + 1,
            ms(t.wall),
            t.maxrss_kb,
            ms(r.wall),
            r.maxrss_kb
        );
        ratios.push(t.wall.as_secs_f64() / r.wall.as_secs_f64());
        tagls.push(t);
        rg.push(r);
    }
    ratios.sort_by(f64::total_cmp);
    Row {
        n,
        runs: count,
        tagls: median(&tagls.iter().map(|r| r.wall).collect::<Vec<_>>()),
        rg: median(&rg.iter().map(|r| r.wall).collect::<Vec<_>>()),
        tagls_kb: median(&tagls.iter().map(|r| r.maxrss_kb).collect::<Vec<_>>()),
        rg_kb: median(&rg.iter().map(|r| r.maxrss_kb).collect::<Vec<_>>()),
        ratios,
    }
}

fn table(title: &str, rows: &[Row]) -> String {
    let mut t = String::new();
    let _ = writeln!(t, "{title}");
    let _ = writeln!(
        t,
        "{:>7} {:>5} {:>12} {:>12} {:>8} {:>21} {:>10} {:>10}",
        "files", "pairs", "tagls ms", "rg ms", "ratio", "per pair (min-max)", "tagls RSS", "rg RSS"
    );
    for r in rows {
        let _ = writeln!(
            t,
            "{:>7} {:>5} {:>12.1} {:>12.1} {:>7.2}x {:>7.2}x ({:.2}-{:.2}x) {:>7.1} MB {:>7.1} MB",
            r.n,
            r.runs,
            ms(r.tagls),
            ms(r.rg),
            ms(r.tagls) / ms(r.rg),
            r.ratios[(r.ratios.len() - 1) / 2],
            r.ratios[0],
            r.ratios[r.ratios.len() - 1],
            r.tagls_kb as f64 / 1024.0,
            r.rg_kb as f64 / 1024.0,
        );
    }
    t
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|a| a == "--quick");
    // (files, pairs without cache, pairs with it)
    let sizes: &[(usize, usize, usize)] = if quick {
        &[(1_000, 2, 2)]
    } else {
        // 3 pairs without the cache at 50k: one run takes many seconds there.
        &[(1_000, 5, 7), (10_000, 5, 7), (50_000, 3, 7)]
    };
    println!(
        "tagls check beside ripgrep{}",
        if quick { " (--quick)" } else { "" }
    );
    println!("machine: {}", machine());
    println!("tagls: {}", env!("CARGO_BIN_EXE_tagls"));
    let _ = std::fs::remove_dir_all(cache_dir());

    let (mut cold, mut warm, mut edited) = (Vec::new(), Vec::new(), Vec::new());
    for &(n, cold_pairs, cached_pairs) in sizes {
        let (root, note) = support::ensure_workspace(n);
        println!("workspace {n}: {} ({note})", root.display());
        let rg_lines = warm_up(Tool::Rg, &root);
        let findings = warm_up(Tool::Tagls, &root);
        // Fills the scan cache; the cached runs must find the same.
        let cached_findings = warm_up(Tool::TaglsCached, &root);
        assert_eq!(findings, cached_findings, "the cache changed the findings");
        println!("  rg lines {rg_lines}, tagls findings {findings}");
        cold.push(pairs(
            Tool::Tagls,
            "no cache",
            &root,
            n,
            cold_pairs,
            |_| Vec::new(),
            |_| {},
        ));
        warm.push(pairs(
            Tool::TaglsCached,
            "cache warm",
            &root,
            n,
            cached_pairs,
            |_| Vec::new(),
            |_| {},
        ));
        let files = sources(&root);
        edited.push(pairs(
            Tool::TaglsCached,
            "1% edited",
            &root,
            n,
            cached_pairs,
            |round| edit_one_percent(&files, round),
            |saved| {
                restore(saved);
                // Untimed: the cache learns the restored files again.
                warm_up(Tool::TaglsCached, &root);
            },
        ));
    }
    println!("\nmedian wall time and peak RSS, warm page cache; ratio = tagls / rg");
    print!(
        "{}",
        table(
            "tagls check --no-cache (every candidate file parsed)",
            &cold
        )
    );
    print!(
        "{}",
        table("tagls check, scan cache warm (nothing changed)", &warm)
    );
    print!(
        "{}",
        table(
            "tagls check, 1% of the source files edited since the last check",
            &edited
        )
    );
    println!("load average at the end {}", support::load(3));
    println!("target: tagls at most 1.2x ripgrep at 50k files");

    let series = |name: &str, rows: &[Row], rg: bool| {
        plot::Series::new(
            name,
            rows.iter()
                .map(|r| (r.n as f64, ms(if rg { r.rg } else { r.tagls })))
                .collect(),
        )
    };
    let path = plot::out_dir(quick).join("check-time.svg");
    plot::lines(
        &path,
        "tagls check and ripgrep: wall time by tree size (median, warm page cache)",
        "files in the tree",
        "wall time (ms)",
        &[
            series("rg -n '#[A-Z][A-Z_]+:'", &warm, true),
            series("tagls check --no-cache", &cold, false),
            series("tagls check, 1% edited", &edited, false),
            series("tagls check, cache warm", &warm, false),
        ],
        true,
        true,
    )
    .expect("write the plot");
    println!("plot: {}", path.display());
}
