//! The "live resolution" benchmarks: the file index of a large workspace,
//! and resolution of a document with 1,000 references on every keystroke.
//!
//! Run with `cargo bench -p tagls --bench workspace` (add `-- --quick` for a
//! smoke run on 2,000 files with 200 keystrokes). Plain std, no harness, no
//! timed assertions: it prints tables and ratios.
//!
//! (a) `FileIndex::build(&RealFs, root)` on a generated tree of 50,000 files
//! (`server/examples/gen_workspace.rs`, cached under
//! `target/bench-workspaces/`), beside `rg --files` and a plain recursive
//! `std::fs::read_dir` walk. Every measurement runs in its own process (this
//! binary, re-executed with `--child ...`), which reports its wall time and
//! its peak RSS (`VmHWM`); ripgrep's peak RSS comes from `getrusage` in the
//! process that waited for it. The page cache is warm: one untimed round of
//! every method runs first.
//!
//! (b) A TypeScript document of 1,000 tags whose payloads name paths
//! (existing, missing, extensionless, `@/` aliases, bare file names,
//! relative) and env vars, inside the generated workspace. One keystroke is
//! a one-character edit + `reparse` + `analysis::analyze` +
//! `Analysis::findings` (default `Settings`), beside the same keystroke
//! without resolution (edit + reparse + `findings::for_tags`). The workspace
//! model persists across keystrokes, as in the server, so its probe cache
//! is warm; separate rows show the first analysis and the analysis right
//! after a change on disk (which clears that cache).

#[path = "support.rs"]
mod support;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tagls::analysis;
use tagls::config::Settings;
use tagls::document::Document;
use tagls::findings;
use tagls::resolve::{self, RefKind, Reference, Resolution};
use tagls::syntax::Language;
use tagls::tags::Tag;
use tagls::workspace::fs::{FileKind, Fs, RealFs};
use tagls::workspace::index::FileIndex;
use tagls::workspace::model::{Change, Workspace};
use tagls::workspace::walk::is_default_exclude;

use support::generator::{self, Kind, Lang, Rng};
use support::{max, pct};

// ---------------------------------------------------------------------------
// Child processes: one measurement each.

/// This process's peak resident set, in KiB.
fn vm_hwm_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// `struct rusage` on Linux (x86_64 and aarch64): two `timeval`s, then 14
/// longs, of which `ru_maxrss` is the first.
#[repr(C)]
struct RUsage {
    fields: [i64; 18],
}

unsafe extern "C" {
    fn getrusage(who: i32, usage: *mut RUsage) -> i32;
}

/// The largest peak RSS (KiB) among the children this process waited for.
fn children_maxrss_kb() -> u64 {
    let mut u = RUsage { fields: [0; 18] };
    // SAFETY: `u` is a valid, writable `struct rusage`; -1 is RUSAGE_CHILDREN.
    let rc = unsafe { getrusage(-1, &mut u) };
    if rc == 0 { u.fields[4] as u64 } else { 0 }
}

/// A plain recursive walk with `std::fs::read_dir`, skipping the default
/// excludes by name (no .gitignore), collecting every entry like the index.
fn read_dir_walk(dir: &Path, out: &mut Vec<(PathBuf, FileKind)>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in rd.flatten() {
        let Ok(ft) = entry.file_type() else { continue };
        let path = entry.path();
        if ft.is_dir() {
            if entry.file_name().to_str().is_some_and(is_default_exclude) {
                continue;
            }
            out.push((path.clone(), FileKind::Dir));
            read_dir_walk(&path, out);
        } else {
            out.push((
                path,
                if ft.is_file() {
                    FileKind::File
                } else {
                    FileKind::Other
                },
            ));
        }
    }
}

fn rg_args(root: &Path, threads: Option<usize>) -> Vec<String> {
    // --hidden, --no-require-git and --no-ignore-parent make ripgrep list the
    // set the index holds: dot files included, the tree's .gitignore honoured
    // although it is no git repository, and nothing above the root read.
    let mut v: Vec<String> = [
        "--files",
        "--hidden",
        "--no-require-git",
        "--no-ignore-parent",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    if let Some(j) = threads {
        v.push(format!("-j{j}"));
    }
    v.push(root.display().to_string());
    v
}

/// Runs one measurement and prints `RESULT wall_us files entries hwm_kb
/// [extra_us]` on stdout.
fn child(args: &[String]) {
    let mode = args.first().map(String::as_str).unwrap_or("");
    let root = args.get(1).map(PathBuf::from).unwrap_or_default();
    let (wall, files, entries, hwm, extra) = match mode {
        "noop" => (Duration::ZERO, 0, 0, vm_hwm_kb(), 0),
        "index" => {
            let t0 = Instant::now();
            let index = FileIndex::build(&RealFs, &root);
            let wall = t0.elapsed();
            let files = index.paths().filter(|(_, k)| *k == FileKind::File).count();
            let n = index.len();
            std::hint::black_box(&index);
            (wall, files, n, vm_hwm_kb(), 0)
        }
        "index-split" => {
            // FileIndex::build, in its two steps: the walk, then the inserts.
            let t0 = Instant::now();
            let walked = RealFs.walk(&root);
            let t1 = Instant::now();
            let mut index = FileIndex::default();
            for (rel, kind) in walked {
                index.insert(rel, kind);
            }
            let t2 = Instant::now();
            let files = index.paths().filter(|(_, k)| *k == FileKind::File).count();
            let n = index.len();
            std::hint::black_box(&index);
            (t1 - t0, files, n, vm_hwm_kb(), (t2 - t1).as_micros() as u64)
        }
        "readdir" => {
            let t0 = Instant::now();
            let mut out = Vec::new();
            read_dir_walk(&root, &mut out);
            let wall = t0.elapsed();
            let files = out.iter().filter(|(_, k)| *k == FileKind::File).count();
            let n = out.len();
            std::hint::black_box(&out);
            (wall, files, n, vm_hwm_kb(), 0)
        }
        "rg" | "rg1" => {
            let threads = (mode == "rg1").then_some(1);
            let t0 = Instant::now();
            let out = Command::new("rg")
                .args(rg_args(&root, threads))
                .stderr(Stdio::null())
                .output()
                .expect("run rg");
            let wall = t0.elapsed();
            let files = out.stdout.iter().filter(|b| **b == b'\n').count();
            (wall, files, files, children_maxrss_kb(), 0)
        }
        _ => panic!("unknown child mode {mode:?}"),
    };
    println!(
        "RESULT {} {files} {entries} {hwm} {extra}",
        wall.as_micros()
    );
}

#[derive(Clone, Copy, Debug, Default)]
struct Measured {
    wall_us: u64,
    files: usize,
    entries: usize,
    hwm_kb: u64,
    extra_us: u64,
}

fn measure(mode: &str, root: &Path) -> Measured {
    let exe = std::env::current_exe().expect("current exe");
    let out = Command::new(exe)
        .arg("--child")
        .arg(mode)
        .arg(root)
        .stderr(Stdio::inherit())
        .output()
        .expect("spawn child");
    assert!(out.status.success(), "child {mode} failed");
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("RESULT "))
        .unwrap_or_else(|| panic!("child {mode} printed no RESULT: {text}"));
    let v: Vec<u64> = line
        .split_whitespace()
        .map(|x| x.parse().expect("number"))
        .collect();
    Measured {
        wall_us: v[0],
        files: v[1] as usize,
        entries: v[2] as usize,
        hwm_kb: v[3],
        extra_us: v[4],
    }
}

// ---------------------------------------------------------------------------
// Statistics and machine.

fn median_u64(v: &[u64]) -> u64 {
    let mut v = v.to_vec();
    v.sort_unstable();
    v[(v.len() - 1) / 2]
}

fn machine() -> String {
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
        })
        .map(|kb| format!(", {:.0} GiB RAM", kb as f64 / 1024.0 / 1024.0))
        .unwrap_or_default();
    format!(
        "nproc {}, {}{}{mem}; {}; load average at start {}",
        support::cpus(),
        support::cpu_model(),
        support::cpu_mhz(),
        support::version("rg", "ripgrep not found"),
        support::load(1)
    )
}

// ---------------------------------------------------------------------------
// (a) Index build.

fn bench_index(root: &Path, runs: usize, out: &mut String) {
    let modes: [(&str, String); 6] = [
        ("index", "tagls FileIndex::build (parallel walk)".to_owned()),
        (
            "index-split",
            "  its walk alone (RealFs::walk, ignore crate)".to_owned(),
        ),
        (
            "readdir",
            "std::fs::read_dir recursive walk (1 thread)".to_owned(),
        ),
        (
            "rg",
            format!(
                "rg --files ({} threads)",
                std::thread::available_parallelism().map_or(1, |n| n.get())
            ),
        ),
        ("rg1", "rg --files -j1".to_owned()),
        ("noop", "process baseline (this binary, idle)".to_owned()),
    ];
    // Warm the page cache and the binaries.
    for (m, _) in &modes {
        measure(m, root);
    }
    let mut results: Vec<Vec<Measured>> = vec![Vec::new(); modes.len()];
    for run in 0..runs {
        // Rotate the order so that no method always runs first.
        for k in 0..modes.len() {
            let i = (k + run) % modes.len();
            results[i].push(measure(modes[i].0, root));
        }
    }
    let med = |i: usize, f: fn(&Measured) -> u64| -> u64 {
        median_u64(&results[i].iter().map(f).collect::<Vec<_>>())
    };
    let _ = writeln!(
        out,
        "\n(a) index build: median of {runs} runs, each in its own process, warm page cache"
    );
    let _ = writeln!(
        out,
        "{:<46} {:>9} {:>9} {:>9} {:>10} {:>8} {:>8}",
        "method", "wall ms", "min", "max", "peak RSS", "files", "entries"
    );
    for (i, (mode, name)) in modes.iter().enumerate() {
        let walls: Vec<u64> = results[i].iter().map(|m| m.wall_us).collect();
        let (lo, hi) = (
            walls.iter().min().copied().unwrap_or(0),
            walls.iter().max().copied().unwrap_or(0),
        );
        let m = results[i][0];
        let wall = if *mode == "noop" {
            "-".to_owned()
        } else {
            format!("{:.1}", med(i, |m| m.wall_us) as f64 / 1e3)
        };
        let _ = writeln!(
            out,
            "{name:<46} {wall:>9} {:>9.1} {:>9.1} {:>7.1} MB {:>8} {:>8}",
            lo as f64 / 1e3,
            hi as f64 / 1e3,
            med(i, |m| m.hwm_kb) as f64 / 1024.0,
            m.files,
            m.entries
        );
        if *mode == "index-split" {
            let _ = writeln!(
                out,
                "{:<46} {:>9.1}",
                "  then the FileIndex::insert of every entry",
                med(i, |m| m.extra_us) as f64 / 1e3
            );
        }
    }
    let w = |i: usize| med(i, |m| m.wall_us) as f64;
    let r = |i: usize| med(i, |m| m.hwm_kb) as f64;
    let base = r(5);
    let _ = writeln!(out, "ratios (tagls index / baseline):");
    for (i, name) in [
        (2, "read_dir walk"),
        (3, "rg --files"),
        (4, "rg --files -j1"),
    ] {
        let _ = writeln!(
            out,
            "  vs {name:<16} wall {:>5.2}x   peak RSS {:>5.2}x   RSS above the idle process {:>5.2}x",
            w(0) / w(i),
            r(0) / r(i),
            (r(0) - base).max(1.0) / (r(i) - if i == 2 { base } else { 0.0 }).max(1.0)
        );
    }
    let same = results[0][0].files == results[3][0].files;
    let _ = writeln!(
        out,
        "  the index holds {} files and {} folders; rg lists {} files ({})",
        results[0][0].files,
        results[0][0].entries - results[0][0].files,
        results[3][0].files,
        if same {
            "the same set size"
        } else {
            "DIFFERENT: check the ignore rules"
        }
    );
}

// ---------------------------------------------------------------------------
// (b) Resolution per keystroke.

/// What kind of reference a tag's payload carries, for the counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RefShape {
    Existing,
    Missing,
    ExtensionlessExisting,
    ExtensionlessMissing,
    AliasExisting,
    AliasMissing,
    BareName,
    BareNameMissing,
    Relative,
    EnvDefined,
    EnvMissing,
    GoOrPython,
    Prose,
}

const SHAPES: [RefShape; 13] = [
    RefShape::Existing,
    RefShape::Missing,
    RefShape::ExtensionlessExisting,
    RefShape::ExtensionlessMissing,
    RefShape::AliasExisting,
    RefShape::AliasMissing,
    RefShape::BareName,
    RefShape::BareNameMissing,
    RefShape::Relative,
    RefShape::EnvDefined,
    RefShape::EnvMissing,
    RefShape::GoOrPython,
    RefShape::Prose,
];

/// Where a keystroke may land.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Site {
    /// Inside a word that is a reference (changes what is looked up).
    RefWord,
    /// Elsewhere in a tag payload.
    Payload,
    Code,
}

struct ResolutionDoc {
    text: String,
    /// The absolute path the document is analysed at.
    path: PathBuf,
    sites: Vec<(Site, std::ops::Range<usize>)>,
    shapes: Vec<RefShape>,
}

fn without_ext(p: &str) -> &str {
    p.rsplit_once('.').map_or(p, |(s, _)| s)
}

/// The document: 1,000 tags, each followed by a few lines of code.
fn resolution_doc(root: &Path, plan: &generator::Plan, tags: usize) -> ResolutionDoc {
    let mut rng = Rng::new(0x005e_ed0f_1000);
    let files = &plan.files;
    let src_ts: Vec<&str> = files
        .iter()
        .filter(|f| f.kind == Kind::Source(Lang::Ts) && f.path.starts_with("src/"))
        .map(|f| f.path.as_str())
        .collect();
    let others: Vec<&str> = files
        .iter()
        .filter(|f| matches!(f.kind, Kind::Source(Lang::Go | Lang::Py)))
        .map(|f| f.path.as_str())
        .collect();
    // The document sits beside a real TypeScript file.
    let home = src_ts[src_ts.len() / 2];
    let home_dir = home.rsplit_once('/').map_or("", |(d, _)| d).to_owned();
    let siblings: Vec<&str> = src_ts
        .iter()
        .filter(|p| p.rsplit_once('/').map(|(d, _)| d) == Some(home_dir.as_str()))
        .map(|p| p.rsplit('/').next().unwrap_or(p))
        .collect();
    let path = root.join(&home_dir).join("live-resolution.ts");

    let mut text = String::new();
    let mut sites = Vec::new();
    let mut shapes = Vec::new();
    text.push_str("import { z } from 'zod';\nimport { logger } from '../lib/logger';\n\n");
    text.push_str("export interface Row {\n  id: string;\n  amount: number;\n}\n\n");
    for i in 0..tags {
        let shape = SHAPES[rng.below(SHAPES.len())];
        shapes.push(shape);
        let ts = *rng.pick(&src_ts);
        let missing = |p: &str| p.replacen('.', "-old.", 1);
        let name_of = |p: &str| p.rsplit('/').next().unwrap_or(p).to_owned();
        let (tag, word, before, after) = match shape {
            RefShape::Existing => (
                "COMPLETION_DRIVE",
                ts.to_owned(),
                "Assuming the service exists at ",
                "",
            ),
            RefShape::Missing => (
                "COMPLETION_DRIVE",
                missing(ts),
                "Assuming the service exists at ",
                "",
            ),
            RefShape::ExtensionlessExisting => (
                "COMPLETION_DRIVE",
                without_ext(ts).to_owned(),
                "Assuming the module ",
                " exports the client",
            ),
            RefShape::ExtensionlessMissing => (
                "COMPLETION_DRIVE",
                without_ext(&missing(ts)).to_owned(),
                "Assuming the module ",
                " exports the client",
            ),
            RefShape::AliasExisting => (
                "COMPLETION_DRIVE",
                format!("@/{}", without_ext(ts.trim_start_matches("src/"))),
                "Assuming ",
                " keeps its signature",
            ),
            RefShape::AliasMissing => (
                "COMPLETION_DRIVE",
                format!("@/{}", without_ext(&missing(ts.trim_start_matches("src/")))),
                "Assuming ",
                " keeps its signature",
            ),
            RefShape::BareName => (
                "CONTEXT_DEGRADED",
                name_of(ts),
                "Lost track of where ",
                " went",
            ),
            RefShape::BareNameMissing => (
                "CONTEXT_DEGRADED",
                format!("legacy-{}", name_of(ts)),
                "Lost track of where ",
                " went",
            ),
            RefShape::Relative => (
                "COMPLETION_DRIVE",
                format!("./{}", rng.pick(&siblings)),
                "Assuming the helper in ",
                " is pure",
            ),
            RefShape::EnvDefined => (
                "COMPLETION_DRIVE_INTEGRATION",
                (*rng.pick(generator::ENV_DEFINED)).to_owned(),
                "Assuming ",
                " in environment variables",
            ),
            RefShape::EnvMissing => (
                "COMPLETION_DRIVE_INTEGRATION",
                (*rng.pick(generator::ENV_MISSING)).to_owned(),
                "Assuming ",
                " in environment variables",
            ),
            RefShape::GoOrPython => (
                "COMPLETION_DRIVE",
                (*rng.pick(&others)).to_owned(),
                "Assuming the backend handler at ",
                " validates input",
            ),
            RefShape::Prose => (
                "COMPLETION_DRIVE",
                "idempotent".to_owned(),
                "Assuming the API is ",
                " and returns {data, error}",
            ),
        };
        let line_start = text.len();
        let _ = write!(text, "// #{tag}: {before}");
        let word_start = text.len();
        text.push_str(&word);
        let word_end = text.len();
        text.push_str(after);
        text.push('\n');
        let payload_start = line_start + 6 + tag.len();
        let kind = if shape == RefShape::Prose {
            Site::Payload
        } else {
            Site::RefWord
        };
        sites.push((kind, word_start + 1..word_end));
        sites.push((Site::Payload, payload_start..word_start.saturating_sub(1)));
        if rng.chance(25) {
            text.push_str("//   Description: checked by hand once, never since\n");
        }
        let code_start = text.len();
        let _ = write!(
            text,
            "export async function step{i}(rows: Row[]): Promise<number> {{\n  const total = rows.reduce((sum, r) => sum + r.amount, 0);\n"
        );
        if rng.chance(20) {
            let v = if rng.chance(80) {
                *rng.pick(generator::ENV_DEFINED)
            } else {
                *rng.pick(generator::ENV_MISSING)
            };
            let _ = writeln!(text, "  const limit = Number(process.env.{v} ?? 0);");
        } else {
            text.push_str("  const limit = 100;\n");
        }
        text.push_str(
            "  logger.debug('step', { total, limit });\n  return Math.min(total, limit);\n}\n\n",
        );
        sites.push((Site::Code, code_start + 16..text.len() - 3));
    }
    ResolutionDoc {
        text,
        path,
        sites,
        shapes,
    }
}

/// Pairs of edits at random sites (insert then delete a character, or
/// delete then retype one), so the document never drifts: 40% in reference
/// words, 20% elsewhere in payloads, 40% in code.
fn keystrokes(d: &ResolutionDoc, pairs: usize, rng: &mut Rng) -> Vec<(Site, usize, usize, String)> {
    let by = |s: Site| -> Vec<&std::ops::Range<usize>> {
        d.sites
            .iter()
            .filter(|(k, r)| *k == s && r.end > r.start)
            .map(|(_, r)| r)
            .collect()
    };
    let refs = by(Site::RefWord);
    let payload = by(Site::Payload);
    let code = by(Site::Code);
    let mut out = Vec::new();
    for _ in 0..pairs {
        let roll = rng.below(10);
        let (site, pool) = match roll {
            0..=3 => (Site::RefWord, &refs),
            4..=5 => (Site::Payload, &payload),
            _ => (Site::Code, &code),
        };
        let r = pool[rng.below(pool.len())];
        let at = rng.range(r.start, r.end - 1);
        if rng.chance(50) {
            let ch = rng.pick(&["x", "e", "_", "1", "s"]).to_string();
            out.push((site, at, at, ch.clone()));
            out.push((site, at, at + ch.len(), String::new()));
        } else {
            let old = d.text[at..at + 1].to_owned();
            out.push((site, at, at + 1, String::new()));
            out.push((site, at, at, old));
        }
    }
    out
}

#[derive(Default)]
struct Parts {
    edit: Vec<Duration>,
    reparse: Vec<Duration>,
    analyze: Vec<Duration>,
    tags_clone: Vec<Duration>,
    find_refs: Vec<Duration>,
    resolve_refs: Vec<Duration>,
    resolve_env: Vec<Duration>,
    findings: Vec<Duration>,
}

/// What `analysis::analyze` + `Analysis::findings` spend their time on: the
/// real calls timed whole, then the public steps they are made of, repeated
/// one by one on the same document (so the parts are measured, not guessed).
fn analyze_in_parts(
    doc: &Document,
    path: &Path,
    ws: &mut Workspace,
    settings: &Settings,
    p: &mut Parts,
) {
    let t0 = Instant::now();
    let a = analysis::analyze(doc, Some(path), ws, settings);
    let t1 = Instant::now();
    let f = a.findings(settings);
    let t2 = Instant::now();
    std::hint::black_box(f);
    let tags: Arc<[Tag]> = doc.tags().cloned().collect();
    let t3 = Instant::now();
    let lang = Some(doc.language());
    let aliases = ws
        .root_for(path)
        .map(|r| r.aliases.clone())
        .unwrap_or_default();
    let is_alias = |w: &str| aliases.matches(w);
    let refs: Vec<Reference> = tags
        .iter()
        .flat_map(|t| resolve::refs::find(&t.payload, t.payload_range.start, lang, &is_alias))
        .collect();
    let t4 = Instant::now();
    let tag_refs = resolve::resolve_all(ws, path, lang, refs);
    let t5 = Instant::now();
    let uses: Vec<Reference> = doc
        .env_uses()
        .map(|u| Reference {
            kind: RefKind::Env(u.name.clone()),
            range: u.name_range,
        })
        .collect();
    let env_uses = resolve::resolve_all(ws, path, lang, uses);
    let t6 = Instant::now();
    std::hint::black_box((a, tag_refs, env_uses));
    p.analyze.push(t1 - t0);
    p.findings.push(t2 - t1);
    p.tags_clone.push(t3 - t2);
    p.find_refs.push(t4 - t3);
    p.resolve_refs.push(t5 - t4);
    p.resolve_env.push(t6 - t5);
}

fn row(out: &mut String, name: &str, v: &[Duration]) {
    if v.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "{name:<58} {:>6} {:>9.0} {:>9.0} {:>9.0}",
        v.len(),
        pct(v, 50.0),
        pct(v, 99.0),
        max(v)
    );
}

fn bench_resolution(root: &Path, plan: &generator::Plan, pairs: usize, out: &mut String) {
    let settings = Settings::default();
    let reg = &settings.registry;
    let lang = Language::TypeScript;
    let d = resolution_doc(root, plan, 1000);
    let mut parser = lang.parser();

    let t0 = Instant::now();
    let fs: Arc<dyn Fs> = Arc::new(RealFs);
    let mut ws = Workspace::new(fs);
    ws.add_root(root, false);
    ws.set_index(root, FileIndex::build(&RealFs, root));
    let ws_build = t0.elapsed();

    let mut plain_doc = Document::new(lang, &d.text, &mut parser, reg);
    let mut res_doc = plain_doc.clone();
    let mut parts_doc = plain_doc.clone();
    let ntags = plain_doc.tags().count();
    assert_eq!(ntags, 1000, "the document must hold 1,000 tags");
    assert!(
        !plain_doc.tree().expect("tree").root_node().has_error(),
        "the document must parse cleanly"
    );

    // The first analysis: every missing candidate is probed on disk once.
    let t0 = Instant::now();
    let first = analysis::analyze(&res_doc, Some(&d.path), &mut ws, &settings);
    let first_findings = first.findings(&settings);
    let cold = t0.elapsed();

    // What the document holds.
    let mut counts = [0usize; 6];
    for r in first.all_refs() {
        let i = match &*r.resolution {
            Resolution::Exists { .. } => 0,
            Resolution::Missing { .. } => 1,
            Resolution::Ambiguous { .. } => 2,
            Resolution::Outside { .. } => 3,
            Resolution::EnvDefined(_) => 4,
            Resolution::EnvMissing { .. } => 5,
        };
        counts[i] += 1;
    }
    let shape_count = |s: RefShape| d.shapes.iter().filter(|x| **x == s).count();
    let _ = writeln!(
        out,
        "\n(b) resolution per keystroke: {} ({} lines, {} bytes, {ntags} tags, {} env uses in code)",
        d.path.strip_prefix(root).unwrap_or(&d.path).display(),
        d.text.lines().count(),
        d.text.len(),
        first.env_uses.len()
    );
    let shapes: Vec<String> = SHAPES
        .iter()
        .map(|s| format!("{s:?} {}", shape_count(*s)))
        .collect();
    let _ = writeln!(out, "payloads: {}", shapes.join(", "));
    let _ = writeln!(
        out,
        "references: {} in tags + {} in code; exists {}, missing {}, ambiguous {}, outside {}, env defined {}, env missing {}; {} findings",
        first.tag_refs.len(),
        first.env_uses.len(),
        counts[0],
        counts[1],
        counts[2],
        counts[3],
        counts[4],
        counts[5],
        first_findings.len()
    );
    let _ = writeln!(
        out,
        "workspace model built in {:.0} ms (add_root + FileIndex::build + set_index)",
        ws_build.as_secs_f64() * 1e3
    );

    let mut rng = Rng::new(0x6b65_7973);
    let edits = keystrokes(&d, pairs, &mut rng);
    // Warm-up on a few edits (both pipelines), then the measured run,
    // alternating the two pipelines edit by edit so that both see the same
    // machine.
    let mut plain = Vec::new();
    let mut plain_by: Vec<(Site, Vec<Duration>)> = Vec::new();
    let mut with = Vec::new();
    let mut with_by: Vec<(Site, Vec<Duration>)> = Vec::new();
    let mut nfind = 0;
    for (k, (site, start, end, ins)) in edits.iter().enumerate() {
        let t0 = Instant::now();
        plain_doc.edit_bytes(*start, *end, ins);
        plain_doc.reparse(&mut parser, reg);
        let f = findings::for_tags(plain_doc.tags(), reg);
        let t1 = Instant::now();
        std::hint::black_box(f);

        let t2 = Instant::now();
        res_doc.edit_bytes(*start, *end, ins);
        res_doc.reparse(&mut parser, reg);
        let a = analysis::analyze(&res_doc, Some(&d.path), &mut ws, &settings);
        let f = a.findings(&settings);
        let t3 = Instant::now();
        nfind = f.len();
        std::hint::black_box((a, f));
        if k < 20 {
            continue;
        }
        plain.push(t1 - t0);
        with.push(t3 - t2);
        for (by, v) in [(&mut plain_by, t1 - t0), (&mut with_by, t3 - t2)] {
            match by.iter_mut().find(|(s, _)| s == site) {
                Some((_, x)) => x.push(v),
                None => by.push((*site, vec![v])),
            }
        }
    }
    assert_eq!(
        res_doc.rope().to_string(),
        d.text,
        "the edits must not drift"
    );
    assert_eq!(nfind, first_findings.len(), "same findings after the edits");

    // The same keystrokes again, with analyze taken apart.
    let mut parts = Parts::default();
    for (start, end, ins) in edits.iter().map(|(_, s, e, i)| (s, e, i)) {
        let t0 = Instant::now();
        parts_doc.edit_bytes(*start, *end, ins);
        let t1 = Instant::now();
        parts_doc.reparse(&mut parser, reg);
        let t2 = Instant::now();
        parts.edit.push(t1 - t0);
        parts.reparse.push(t2 - t1);
        analyze_in_parts(&parts_doc, &d.path, &mut ws, &settings, &mut parts);
    }

    // After a change on disk the probe cache is cleared: the next analysis
    // probes every missing candidate again.
    let some_file = root.join(
        plan.files
            .iter()
            .find(|f| matches!(f.kind, Kind::Source(_)))
            .map(|f| f.path.as_str())
            .unwrap_or("README.md"),
    );
    let mut after_change = Vec::new();
    let mut apply = Vec::new();
    for _ in 0..(pairs / 10).max(20) {
        let t0 = Instant::now();
        ws.apply(&[Change::Changed(some_file.clone())]);
        let t1 = Instant::now();
        let a = analysis::analyze(&res_doc, Some(&d.path), &mut ws, &settings);
        let f = a.findings(&settings);
        let t2 = Instant::now();
        std::hint::black_box((a, f));
        apply.push(t1 - t0);
        after_change.push(t2 - t1);
    }

    let _ = writeln!(
        out,
        "{:<58} {:>6} {:>9} {:>9} {:>9}",
        "per keystroke (times in µs)", "n", "p50", "p99", "max"
    );
    row(out, "without resolution: edit + reparse + for_tags", &plain);
    for (s, v) in &plain_by {
        row(out, &format!("    at {s:?}"), v);
    }
    row(
        out,
        "with resolution: edit + reparse + analyze + findings",
        &with,
    );
    for (s, v) in &with_by {
        row(out, &format!("    at {s:?}"), v);
    }
    let _ = writeln!(out, "  the same keystrokes, analyze taken apart:");
    row(out, "    edit_bytes", &parts.edit);
    row(out, "    reparse", &parts.reparse);
    row(out, "    analysis::analyze (whole)", &parts.analyze);
    row(out, "      of which: clone the tags", &parts.tags_clone);
    row(
        out,
        "      of which: refs::find over every payload",
        &parts.find_refs,
    );
    row(
        out,
        "      of which: resolve_all (tag references)",
        &parts.resolve_refs,
    );
    row(
        out,
        "      of which: resolve_all (env uses in code)",
        &parts.resolve_env,
    );
    row(out, "    Analysis::findings", &parts.findings);
    row(out, "first analyze + findings (cold probe cache)", &[cold]);
    row(out, "Workspace::apply(one file changed)", &apply);
    row(
        out,
        "analyze + findings right after it (probe cache cleared)",
        &after_change,
    );
    let _ = writeln!(
        out,
        "ratio with / without resolution:  p50 {:.1}x   p99 {:.1}x",
        pct(&with, 50.0) / pct(&plain, 50.0),
        pct(&with, 99.0) / pct(&plain, 99.0)
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--child") {
        child(&args[i + 1..]);
        return;
    }
    let quick = args.iter().any(|a| a == "--quick");
    let (n, runs, pairs) = if quick {
        (2_000, 3, 100)
    } else {
        (50_000, 5, 1_000)
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "tagls workspace benchmark{}",
        if quick { " (--quick)" } else { "" }
    );
    let _ = writeln!(out, "machine: {}", machine());
    let (root, note) = support::ensure_workspace(n);
    let _ = writeln!(out, "workspace: {} ({note})", root.display());
    let plan = generator::plan(n, generator::DEFAULT_SEED);
    print!("{out}");
    out.clear();
    bench_index(&root, runs, &mut out);
    print!("{out}");
    out.clear();
    bench_resolution(&root, &plan, pairs, &mut out);
    print!("{out}");
}
