//! `tagls check` beside ripgrep on real code, seeded: speed and precision.
//!
//! Run with `cargo bench -p tagls --bench real` (add `-- --quick` for the
//! smallest corpus, rxjs, with 2 pairs of each kind). Plain std, no harness,
//! no timed assertions: it prints a table.
//!
//! For each corpus (`tests/real-corpus.sh` fetches Django, rxjs and Go's
//! standard library from the package registries and caches them under
//! `target/real-corpus/`), the whole release is copied into
//! `target/real-corpus/work/NAME/` and about 300 of its source files are
//! seeded with tags, together with decoys that must not be findings
//! (`tests/support/real_corpus.rs`, shared with `tests/real_code.rs`). Then
//! `tagls check --format json DIR` runs two ways, each paired with
//! `rg -n '#[A-Z][A-Z_]+:' DIR` (the order alternates from pair to pair):
//!
//! - cold: an empty scan cache (`TAGLS_CACHE_DIR` emptied before each run),
//!   so every candidate file is parsed and the cache is written;
//! - warm: the scan cache of the previous run, nothing changed.
//!
//! The page cache is warm in both: an untimed run of each tool comes first.
//! The findings of that first run are scored against the seeded list
//! (precision and recall), and the warm runs must report the same. Wall
//! time is taken around spawn + `wait4`; the peak RSS of each child comes
//! from the `rusage` that `wait4` returns for that child alone.

#[path = "plot.rs"]
mod plot;
#[path = "../../tests/support/real_corpus.rs"]
mod real_corpus;
#[path = "support.rs"]
mod support;

use support::Run;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const RG_PATTERN: &str = "#[A-Z][A-Z_]+:";

/// About this many source files of each corpus get tags.
const SEEDED_FILES: usize = 300;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Tool {
    /// `tagls check` with an empty scan cache.
    Cold,
    /// `tagls check` with the scan cache of the run before.
    Warm,
    Rg,
}

fn work_dir() -> PathBuf {
    plot::repo_root()
        .join("target")
        .join("real-corpus")
        .join("work")
}

fn cache_dir(tool: Tool) -> PathBuf {
    work_dir().join(if tool == Tool::Cold {
        ".cache-cold"
    } else {
        ".cache-warm"
    })
}

fn command(tool: Tool, root: &Path) -> Command {
    match tool {
        Tool::Cold | Tool::Warm => {
            let mut c = Command::new(env!("CARGO_BIN_EXE_tagls"));
            c.args(["check", "--format", "json"])
                .arg(root)
                .env("TAGLS_CACHE_DIR", cache_dir(tool));
            c
        }
        Tool::Rg => {
            let mut c = Command::new("rg");
            c.args(["-n", RG_PATTERN]).arg(root);
            c
        }
    }
}

/// One timed run with stdout and stderr on /dev/null; a cold run starts
/// from an empty scan cache (emptied before the clock starts).
fn run(tool: Tool, root: &Path) -> Run {
    if tool == Tool::Cold {
        let _ = std::fs::remove_dir_all(cache_dir(tool));
    }
    support::timed(command(tool, root), &[0, 1, 3])
}

/// The untimed first run: the JSON report of tagls, the line count of rg.
fn output(tool: Tool, root: &Path) -> Vec<u8> {
    if tool == Tool::Cold {
        let _ = std::fs::remove_dir_all(cache_dir(tool));
    }
    let out = command(tool, root)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .expect("run");
    assert!(
        out.status.code().is_some_and(|c| c != 2),
        "first run failed: {:?}",
        out.status
    );
    out.stdout
}

fn median<T: Copy + Ord>(v: &[T]) -> T {
    let mut v = v.to_vec();
    v.sort_unstable();
    v[(v.len() - 1) / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// The medians of `count` pairs of `tool` and ripgrep.
fn pairs(tool: Tool, what: &str, name: &str, root: &Path, count: usize) -> (Run, Run, Vec<f64>) {
    let (mut tagls, mut rg, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for p in 0..count {
        let (t, r) = if p % 2 == 0 {
            let t = run(tool, root);
            (t, run(Tool::Rg, root))
        } else {
            let r = run(Tool::Rg, root);
            (run(tool, root), r)
        };
        println!(
            "  {name}, {what}, pair {}: tagls {:.1} ms {} KB, rg {:.1} ms {} KB",
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
    let med = |v: &[Run]| Run {
        wall: median(&v.iter().map(|r| r.wall).collect::<Vec<_>>()),
        maxrss_kb: median(&v.iter().map(|r| r.maxrss_kb).collect::<Vec<_>>()),
    };
    (med(&tagls), med(&rg), ratios)
}

struct Row {
    name: &'static str,
    files: usize,
    sources: usize,
    seeded: usize,
    expected: usize,
    precision: f64,
    recall: f64,
    cold: Run,
    cold_rg: Run,
    cold_ratios: Vec<f64>,
    warm: Run,
    warm_rg: Run,
    warm_ratios: Vec<f64>,
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|a| a == "--quick");
    let (names, cold_pairs, warm_pairs): (&[&str], usize, usize) = if quick {
        (&["rxjs"], 2, 2)
    } else {
        (real_corpus::ALL, 5, 7)
    };
    println!(
        "tagls check beside ripgrep on seeded real code{}",
        if quick { " (--quick)" } else { "" }
    );
    println!(
        "machine: nproc {}, {}; {}; load average {}",
        support::cpus(),
        support::cpu_model(),
        support::version("rg", "ripgrep not found"),
        support::load(3)
    );
    let t0 = Instant::now();
    let base = real_corpus::ensure(names);
    println!(
        "corpus: {} ({:.1} s to fetch or find)",
        base.display(),
        t0.elapsed().as_secs_f64()
    );
    let mut rows = Vec::new();
    for &name in names {
        let root = work_dir().join(name);
        let _ = std::fs::remove_dir_all(&root);
        let t0 = Instant::now();
        let copied = real_corpus::copy(
            &base,
            &[real_corpus::Part {
                corpus: name,
                under: &[],
            }],
            &root,
        );
        let every = (copied.sources.len() / SEEDED_FILES).max(1);
        let seeded = real_corpus::seed(&root, &copied, every);
        // As in a repository whose files were not written in the last
        // seconds, which the scan cache would read again.
        real_corpus::age(&root);
        println!(
            "{name}: {} files ({:.1} MB), {} source files, {} seeded with {} expected findings, {} decoys ({:.1} s to copy and seed)",
            copied.files,
            copied.bytes as f64 / 1e6,
            copied.sources.len(),
            seeded.files,
            seeded.expected.len(),
            seeded.decoys,
            t0.elapsed().as_secs_f64()
        );
        // Untimed: warms the page cache, scores the findings, fills the
        // warm runs' cache.
        let rg_lines = output(Tool::Rg, &root)
            .iter()
            .filter(|b| **b == b'\n')
            .count();
        let report = |bytes: Vec<u8>| {
            let doc: serde_json::Value = serde_json::from_slice(&bytes).expect("tagls's JSON");
            real_corpus::findings_of(&doc)
        };
        let cold = report(output(Tool::Cold, &root));
        let _ = std::fs::remove_dir_all(cache_dir(Tool::Warm));
        let warm = report(output(Tool::Warm, &root));
        let again = report(output(Tool::Warm, &root));
        assert!(
            cold == warm && warm == again,
            "the scan cache changed the findings"
        );
        let score = real_corpus::Score::of(&seeded.expected, &cold);
        println!(
            "  rg lines {rg_lines}; tagls findings {}, expected {}: precision {:.4}, recall {:.4}",
            score.found,
            score.expected,
            score.precision(),
            score.recall()
        );
        for f in score.noise.iter().take(10) {
            println!("  not seeded: {f}");
        }
        for f in score.missed.iter().take(10) {
            println!("  missed: {f}");
        }
        let (cold, cold_rg, cold_ratios) = pairs(Tool::Cold, "cold", name, &root, cold_pairs);
        let (warm, warm_rg, warm_ratios) = pairs(Tool::Warm, "warm", name, &root, warm_pairs);
        rows.push(Row {
            name,
            files: copied.files,
            sources: copied.sources.len(),
            seeded: seeded.files,
            expected: seeded.expected.len(),
            precision: score.precision(),
            recall: score.recall(),
            cold,
            cold_rg,
            cold_ratios,
            warm,
            warm_rg,
            warm_ratios,
        });
    }
    println!(
        "\nmedian wall time and peak RSS; page cache warm in every run; cold = empty scan cache, warm = nothing changed since the last check; ratio = tagls / rg of the same pairs"
    );
    println!(
        "{:>7} {:>6} {:>7} {:>6} {:>8} {:>9} {:>7} {:>9} {:>8} {:>9} {:>7} {:>9} {:>8} {:>10} {:>9} {:>9}",
        "corpus",
        "files",
        "sources",
        "seeded",
        "expected",
        "precision",
        "recall",
        "cold ms",
        "rg ms",
        "cold/rg",
        "warm ms",
        "rg ms",
        "warm/rg",
        "tagls RSS",
        "cold RSS",
        "rg RSS"
    );
    for r in &rows {
        println!(
            "{:>7} {:>6} {:>7} {:>6} {:>8} {:>9.4} {:>7.4} {:>9.1} {:>8.1} {:>8.2}x {:>7.1} {:>9.1} {:>7.2}x {:>7.1} MB {:>6.1} MB {:>6.1} MB",
            r.name,
            r.files,
            r.sources,
            r.seeded,
            r.expected,
            r.precision,
            r.recall,
            ms(r.cold.wall),
            ms(r.cold_rg.wall),
            ms(r.cold.wall) / ms(r.cold_rg.wall),
            ms(r.warm.wall),
            ms(r.warm_rg.wall),
            ms(r.warm.wall) / ms(r.warm_rg.wall),
            r.warm.maxrss_kb as f64 / 1024.0,
            r.cold.maxrss_kb as f64 / 1024.0,
            r.warm_rg.maxrss_kb as f64 / 1024.0,
        );
    }
    for r in &rows {
        let span = |v: &[f64]| format!("{:.2}-{:.2}x", v[0], v[v.len() - 1]);
        println!(
            "{}: per pair cold {}, warm {}",
            r.name,
            span(&r.cold_ratios),
            span(&r.warm_ratios)
        );
    }
    println!("load average at the end {}", support::load(3));
    println!("targets: warm at most 1.2x rg, cold at most 2x rg, precision and recall 1");
}
