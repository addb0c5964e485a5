//! What the languages cost a running server: start-up time and the memory of
//! an idle server, for the built binary and, when `TAGLS_BENCH_BASELINE`
//! names another `tagls` binary, for that one too, side by side with the
//! ratio.
//!
//! Run with `cargo bench -p tagls --bench languages` (10 rounds) or add
//! `-- --quick` for a smoke run (2 rounds). The "before" figures come from a
//! binary built from the commit before the 16 languages were added:
//!
//! ```sh
//! git worktree add --detach /tmp/tagls-baseline c2347c6
//! (cd /tmp/tagls-baseline && CARGO_TARGET_DIR=$PWD/../target-baseline cargo build --release)
//! TAGLS_BENCH_BASELINE=/tmp/target-baseline/release/tagls cargo bench -p tagls --bench languages
//! ```
//!
//! `TAGLS_BENCH_BINARY=/path/to/tagls` measures that binary in place of the
//! one cargo built for the bench. Plain std, no harness, no timed assertions:
//! it prints tables.
//!
//! Each round starts a fresh process of each binary in turn (so that both
//! see the same load), on a small workspace that holds one tagged file of
//! each of the 21 languages (the fixtures of `tests/fixtures/languages/`):
//!
//! - `initialize` answered: from starting the process (its `initialize` is
//!   written at once) to reading the response;
//! - first diagnostics: from starting the process to reading the first
//!   `publishDiagnostics` of a TypeScript file opened right after
//!   `initialized`;
//! - RSS (`VmRSS` of `/proc/<pid>/status`, and its anonymous part,
//!   `RssAnon`: what is not a page of the binary or another file) after
//!   `initialize` and a round
//!   trip through the document actor; after the TypeScript file's
//!   diagnostics; and after opening one file of each of the other 20
//!   languages, each followed by a round trip through the actor (so that it
//!   has been parsed, where the binary knows its language) and, where the
//!   binary publishes for it, its diagnostics.
//!
//! The TypeScript-only figures of the two binaries are the cost of the
//! grammars a workspace does not use.

#[path = "lsp.rs"]
mod lsp;
#[path = "support.rs"]
mod support;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use lsp::{Server, TIMEOUT, file_uri};
use serde_json::json;
/// How long to wait for the diagnostics of a file whose language the binary
/// may not know (it then publishes none); not part of any figure.
const MAYBE: Duration = Duration::from_millis(1500);

/// One file of each language: the fixture, the name it gets in the
/// workspace, the language id an editor sends.
const FILES: &[(&str, &str, &str)] = &[
    ("typescript.ts", "app.ts", "typescript"),
    ("tsx.tsx", "view.tsx", "typescriptreact"),
    ("javascript.js", "util.js", "javascript"),
    ("go.go", "main.go", "go"),
    ("python.py", "worker.py", "python"),
    ("swift/SaveButton.swift", "SaveButton.swift", "swift"),
    ("rust/main.rs", "main.rs", "rust"),
    ("java/UserService.java", "UserService.java", "java"),
    ("kotlin/Repository.kt", "Repository.kt", "kotlin"),
    ("csharp/OrderController.cs", "OrderController.cs", "csharp"),
    ("c/config.c", "config.c", "c"),
    ("cpp/engine.cpp", "engine.cpp", "cpp"),
    ("ruby/user.rb", "user.rb", "ruby"),
    ("php/index.php", "index.php", "php"),
    ("bash/deploy.sh", "deploy.sh", "shellscript"),
    ("css/theme.css", "theme.css", "css"),
    ("css/_buttons.scss", "_buttons.scss", "scss"),
    ("lua/init.lua", "init.lua", "lua"),
    ("yaml/ci.yml", "ci.yml", "yaml"),
    ("toml/config.toml", "config.toml", "toml"),
    ("html/index.html", "index.html", "html"),
];

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn mb(kb: f64) -> f64 {
    kb / 1024.0
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    if n == 0 {
        f64::NAN
    } else if n % 2 == 1 {
        s[n / 2]
    } else {
        (s[n / 2 - 1] + s[n / 2]) / 2.0
    }
}

fn min(v: &[f64]) -> f64 {
    v.iter().copied().fold(f64::INFINITY, f64::min)
}

fn max(v: &[f64]) -> f64 {
    v.iter().copied().fold(f64::NEG_INFINITY, f64::max)
}

// ---------------------------------------------------------------------------
// One round of one binary.

#[derive(Default)]
struct Figures {
    /// Process start (spawn) to the `initialize` response, ms.
    spawn_to_init: Vec<f64>,
    /// Process start to the TypeScript file's first diagnostics, ms.
    spawn_to_diagnostics: Vec<f64>,
    /// RSS after `initialize`, KiB, and the anonymous part of it.
    rss_init: Vec<f64>,
    anon_init: Vec<f64>,
    /// RSS with the TypeScript file open, KiB, and the anonymous part.
    rss_ts: Vec<f64>,
    anon_ts: Vec<f64>,
    /// RSS with one file of each language open, KiB, and the anonymous part.
    rss_all: Vec<f64>,
    anon_all: Vec<f64>,
    /// How many of the 21 files had diagnostics published (last round).
    published: usize,
}

/// A row of the table: its label, its figures, whether they are KiB.
type Row = (&'static str, fn(&Figures) -> &Vec<f64>, bool);

fn round(bin: &Path, ws: &Path, texts: &[String], f: &mut Figures) {
    let (mut s, spawned) = Server::spawn_binary(bin, Stdio::null());
    let (id, _) = s.request(
        "initialize",
        json!({
            "processId": std::process::id(),
            "rootUri": file_uri(ws),
            "workspaceFolders": [{ "uri": file_uri(ws), "name": "ws" }],
            "clientInfo": { "name": "tagls-languages-bench" },
            "capabilities": {
                "general": { "positionEncodings": ["utf-16"] },
                "workspace": { "configuration": true, "workspaceFolders": true },
                "textDocument": { "publishDiagnostics": { "versionSupport": true } },
            },
        }),
    );
    let answered = s.response(id, "the response to initialize").at;
    s.notify("initialized", json!({}));
    let uris: Vec<String> = FILES
        .iter()
        .map(|(_, name, _)| file_uri(&ws.join("src").join(name)))
        .collect();
    // The TypeScript file, at once.
    s.open(&uris[0], FILES[0].2, &texts[0]);
    let first = s.wait("the TypeScript file's first diagnostics", TIMEOUT, |m| {
        m.publish_uri() == Some(uris[0].as_str())
    });
    f.spawn_to_init.push(ms(answered - spawned));
    f.spawn_to_diagnostics.push(ms(first.at - spawned));
    s.sync_actor(&uris[0]);
    let (rss, anon) = memory(&s);
    f.rss_ts.push(rss);
    f.anon_ts.push(anon);

    for (i, (_, _, language)) in FILES.iter().enumerate().skip(1) {
        s.open(&uris[i], language, &texts[i]);
        s.sync_actor(&uris[i]);
    }
    // The diagnostics of every file whose language the binary knows (each
    // fixture has a tag); a binary that does not know a language publishes
    // nothing for it, and the wait ends `MAYBE` after the last publish.
    let mut seen = std::collections::HashSet::from([uris[0].clone()]);
    while seen.len() < uris.len() {
        let got = s.wait_for(MAYBE, |m| {
            m.publish_uri().is_some_and(|u| !seen.contains(u))
                && m.v["params"]["diagnostics"]
                    .as_array()
                    .is_some_and(|d| !d.is_empty())
        });
        match got.and_then(|m| m.publish_uri().map(str::to_owned)) {
            Some(uri) => seen.insert(uri),
            None => break,
        };
    }
    s.sync_actor(&uris[0]);
    let (rss, anon) = memory(&s);
    f.rss_all.push(rss);
    f.anon_all.push(anon);
    f.published = seen.len();
    s.finish();
}

/// RSS right after `initialize`, in a process of its own (opening nothing).
fn idle_round(bin: &Path, ws: &Path, f: &mut Figures) {
    let (mut s, _) = Server::spawn_binary(bin, Stdio::null());
    let (id, _) = s.request(
        "initialize",
        json!({
            "processId": std::process::id(),
            "rootUri": file_uri(ws),
            "workspaceFolders": [{ "uri": file_uri(ws), "name": "ws" }],
            "capabilities": { "general": { "positionEncodings": ["utf-16"] } },
        }),
    );
    s.response(id, "the response to initialize");
    s.notify("initialized", json!({}));
    s.sync_actor(&file_uri(&ws.join("src/none.ts")));
    let (rss, anon) = memory(&s);
    f.rss_init.push(rss);
    f.anon_init.push(anon);
    s.finish();
}

// ---------------------------------------------------------------------------

fn workspace() -> (tempfile::TempDir, PathBuf, Vec<String>) {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/languages");
    let tmp = tempfile::Builder::new()
        .prefix("tagls-languages-bench-")
        .tempdir()
        .expect("a temporary folder");
    let ws = tmp.path().canonicalize().expect("canonical path");
    std::fs::create_dir_all(ws.join("src")).expect("create src/");
    std::fs::create_dir_all(ws.join(".git")).expect("create .git/");
    let mut texts = Vec::new();
    for (fixture, name, _) in FILES {
        let text = std::fs::read_to_string(fixtures.join(fixture))
            .unwrap_or_else(|e| panic!("read tests/fixtures/languages/{fixture}: {e}"));
        std::fs::write(ws.join("src").join(name), &text).expect("write a fixture");
        texts.push(text);
    }
    (tmp, ws, texts)
}

fn size(bin: &Path) -> String {
    std::fs::metadata(bin).map_or_else(
        |_| "?".to_owned(),
        |m| format!("{:.1} MB", m.len() as f64 / 1e6),
    )
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let rounds = if quick { 2 } else { 10 };
    // TAGLS_BENCH_BINARY measures another build of this source in place of the
    // bench's own (a release build made elsewhere, say).
    let current = std::env::var_os("TAGLS_BENCH_BINARY")
        .filter(|v| !v.is_empty())
        .map_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_tagls")), PathBuf::from);
    let baseline = std::env::var_os("TAGLS_BENCH_BASELINE")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from);
    if let Some(b) = &baseline {
        assert!(
            b.is_file(),
            "TAGLS_BENCH_BASELINE={} is not a file",
            b.display()
        );
    }
    println!(
        "tagls start-up and idle memory by language{} — nproc {}, {}{}; {}; load average {}",
        if quick { " (--quick)" } else { "" },
        support::cpus(),
        support::cpu_model(),
        support::cpu_mhz(),
        support::version("rustc", "rustc not found"),
        support::load(3)
    );
    println!("this binary: {} ({})", current.display(), size(&current));
    match &baseline {
        Some(b) => println!("baseline:    {} ({})", b.display(), size(b)),
        None => println!(
            "baseline:    none (set TAGLS_BENCH_BASELINE=/path/to/another/tagls to compare)"
        ),
    }
    let (_tmp, ws, texts) = workspace();
    let mut bins = vec![("this", current, Figures::default())];
    if let Some(b) = baseline {
        bins.push(("baseline", b, Figures::default()));
    }
    let started = Instant::now();
    // A warm-up process of each, so that the first measured one does not
    // pay for the page cache.
    for (_, bin, _) in &mut bins {
        let mut scratch = Figures::default();
        idle_round(bin, &ws, &mut scratch);
    }
    for _ in 0..rounds {
        for (_, bin, f) in &mut bins {
            idle_round(bin, &ws, f);
            round(bin, &ws, &texts, f);
        }
    }

    let mut out = String::new();
    let _ = writeln!(
        out,
        "\n{rounds} rounds, a fresh process each; median (min–max). Workspace: one tagged file \
         of each of the {} languages.",
        FILES.len()
    );
    let rows: [Row; 8] = [
        (
            "process start → initialize answered (ms)",
            |f| &f.spawn_to_init,
            false,
        ),
        (
            "process start → first diagnostics of app.ts (ms)",
            |f| &f.spawn_to_diagnostics,
            false,
        ),
        ("RSS after initialize (MB)", |f| &f.rss_init, true),
        ("  of it anonymous (MB)", |f| &f.anon_init, true),
        ("RSS with app.ts open (MB)", |f| &f.rss_ts, true),
        ("  of it anonymous (MB)", |f| &f.anon_ts, true),
        (
            "RSS with 21 files open, one per language (MB)",
            |f| &f.rss_all,
            true,
        ),
        ("  of it anonymous (MB)", |f| &f.anon_all, true),
    ];
    let _ = write!(out, "{:<50}", "");
    for (name, _, _) in &bins {
        let _ = write!(out, " {name:>22}");
    }
    if bins.len() == 2 {
        let _ = write!(out, " {:>8}", "ratio");
    }
    let _ = writeln!(out);
    for (label, get, is_kb) in rows {
        let _ = write!(out, "{label:<50}");
        let mut medians = Vec::new();
        for (_, _, f) in &bins {
            let v: Vec<f64> = get(f)
                .iter()
                .map(|&x| if is_kb { mb(x) } else { x })
                .collect();
            let m = median(&v);
            medians.push(m);
            let cell = format!("{m:.1} ({:.1}–{:.1})", min(&v), max(&v));
            let _ = write!(out, " {cell:>22}");
        }
        if let [a, b] = medians[..] {
            let _ = write!(out, " {:>7.2}x", a / b);
        }
        let _ = writeln!(out);
    }
    let _ = write!(out, "{:<50}", "files with tagls diagnostics (of 21)");
    for (_, _, f) in &bins {
        let _ = write!(out, " {:>22}", f.published);
    }
    let _ = writeln!(out);
    if bins.len() == 2 {
        let _ = writeln!(out, "ratio: this binary / the baseline (medians)");
    }
    let _ = writeln!(
        out,
        "\ndone in {:.1} s; load average at the end {}",
        started.elapsed().as_secs_f64(),
        support::load(3)
    );
    print!("{out}");
}

/// `VmRSS` and `RssAnon` of the server, in KiB: all its resident pages, and
/// those that are not pages of a file (heap, stacks, written data).
fn memory(s: &Server) -> (f64, f64) {
    (s.status("VmRSS:") as f64, s.status("RssAnon:") as f64)
}
