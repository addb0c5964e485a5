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

#[path = "support.rs"]
mod support;

use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// How long any single wait may take before the bench gives up.
const TIMEOUT: Duration = Duration::from_secs(20);
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

fn file_uri(path: &Path) -> String {
    format!("file://{}", path.display())
}

fn frame(v: &Value) -> Vec<u8> {
    let body = serde_json::to_vec(v).expect("serializable");
    let mut out = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    out.extend_from_slice(&body);
    out
}

// ---------------------------------------------------------------------------
// The client: a binary on stdio, a reader thread that answers the server's
// requests at once (configuration with nulls, anything else with null).

struct Msg {
    at: Instant,
    v: Value,
}

impl Msg {
    fn publish_uri(&self) -> Option<&str> {
        (self.v["method"] == "textDocument/publishDiagnostics")
            .then(|| self.v["params"]["uri"].as_str())
            .flatten()
    }

    fn is_response(&self, id: i64) -> bool {
        self.v.get("method").is_none() && self.v["id"] == json!(id)
    }
}

struct Server {
    child: Child,
    pid: u32,
    stdin: std::sync::Arc<std::sync::Mutex<ChildStdin>>,
    rx: Receiver<Msg>,
    backlog: Vec<Msg>,
    next_id: i64,
}

impl Server {
    fn spawn(bin: &Path) -> (Server, Instant) {
        let t0 = Instant::now();
        let mut child = Command::new(bin)
            .arg("--stdio")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", bin.display()));
        let pid = child.id();
        let stdin = std::sync::Arc::new(std::sync::Mutex::new(
            child.stdin.take().expect("piped stdin"),
        ));
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        let answers = stdin.clone();
        std::thread::spawn(move || {
            let mut r = BufReader::new(stdout);
            let mut line = String::new();
            loop {
                let mut len = None;
                loop {
                    line.clear();
                    match r.read_line(&mut line) {
                        Ok(0) | Err(_) => return,
                        Ok(_) => {}
                    }
                    let l = line.trim_end();
                    if l.is_empty() {
                        break;
                    }
                    if let Some(v) = l.strip_prefix("Content-Length: ") {
                        len = v.trim().parse::<usize>().ok();
                    }
                }
                let Some(len) = len else { return };
                let mut body = vec![0; len];
                if r.read_exact(&mut body).is_err() {
                    return;
                }
                let at = Instant::now();
                let Ok(v) = serde_json::from_slice::<Value>(&body) else {
                    return;
                };
                if v.get("method").is_some() && v.get("id").is_some() {
                    let result = if v["method"] == "workspace/configuration" {
                        let n = v["params"]["items"].as_array().map_or(0, Vec::len);
                        json!(vec![Value::Null; n])
                    } else {
                        Value::Null
                    };
                    let bytes =
                        frame(&json!({ "jsonrpc": "2.0", "id": v["id"], "result": result }));
                    let mut w = answers.lock().unwrap_or_else(|e| e.into_inner());
                    let _ = w.write_all(&bytes).and_then(|()| w.flush());
                }
                if tx.send(Msg { at, v }).is_err() {
                    return;
                }
            }
        });
        let server = Server {
            child,
            pid,
            stdin,
            rx,
            backlog: Vec::new(),
            next_id: 1,
        };
        (server, t0)
    }

    fn send(&self, v: &Value) -> Instant {
        let bytes = frame(v);
        let mut w = self.stdin.lock().unwrap_or_else(|e| e.into_inner());
        let t0 = Instant::now();
        w.write_all(&bytes)
            .and_then(|()| w.flush())
            .expect("the server reads its stdin");
        t0
    }

    fn notify(&self, method: &str, params: Value) -> Instant {
        self.send(&json!({ "jsonrpc": "2.0", "method": method, "params": params }))
    }

    fn request(&mut self, method: &str, params: Value) -> (i64, Instant) {
        let id = self.next_id;
        self.next_id += 1;
        let t0 =
            self.send(&json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        (id, t0)
    }

    /// The first message that satisfies `pred` within `timeout` (the others
    /// are kept for later waits), or None.
    fn wait_for(&mut self, timeout: Duration, pred: impl Fn(&Msg) -> bool) -> Option<Msg> {
        if let Some(i) = self.backlog.iter().position(&pred) {
            return Some(self.backlog.remove(i));
        }
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(m) if pred(&m) => return Some(m),
                Ok(m) => self.backlog.push(m),
                Err(RecvTimeoutError::Timeout) => return None,
                Err(RecvTimeoutError::Disconnected) => {
                    panic!("the server closed its output")
                }
            }
        }
    }

    fn wait(&mut self, what: &str, pred: impl Fn(&Msg) -> bool) -> Msg {
        self.wait_for(TIMEOUT, pred)
            .unwrap_or_else(|| panic!("timed out after {TIMEOUT:?} waiting for {what}"))
    }

    fn response(&mut self, id: i64, what: &str) -> Msg {
        let m = self.wait(what, |m| m.is_response(id));
        if let Some(err) = m.v.get("error") {
            panic!("{what} failed: {err}");
        }
        m
    }

    /// A round trip through the document actor, which handles its messages
    /// in order: every document opened before has been taken in.
    fn sync_actor(&mut self, uri: &str) {
        let (id, _) = self.request(
            "textDocument/semanticTokens/full",
            json!({ "textDocument": { "uri": uri } }),
        );
        self.response(id, "a round trip through the actor");
    }

    fn open(&self, uri: &str, language: &str, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({ "textDocument": { "uri": uri, "languageId": language, "version": 1, "text": text } }),
        );
    }

    /// `VmRSS` and `RssAnon` of the server, in KiB: all its resident pages,
    /// and those that are not pages of a file (heap, stacks, written data).
    fn rss(&self) -> (f64, f64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid))
            .expect("read /proc/<pid>/status");
        let field = |name: &str| {
            status
                .lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or_else(|| panic!("no {name} in /proc/<pid>/status")) as f64
        };
        (field("VmRSS:"), field("RssAnon:"))
    }

    fn finish(mut self) {
        let (id, _) = self.request("shutdown", Value::Null);
        self.response(id, "the response to shutdown");
        self.notify("exit", Value::Null);
        let deadline = Instant::now() + TIMEOUT;
        while self.child.try_wait().expect("waitable").is_none() {
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!("the server did not exit within {TIMEOUT:?} of `exit`");
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
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
    let (mut s, spawned) = Server::spawn(bin);
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
    let first = s.wait("the TypeScript file's first diagnostics", |m| {
        m.publish_uri() == Some(uris[0].as_str())
    });
    f.spawn_to_init.push(ms(answered - spawned));
    f.spawn_to_diagnostics.push(ms(first.at - spawned));
    s.sync_actor(&uris[0]);
    let (rss, anon) = s.rss();
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
    let (rss, anon) = s.rss();
    f.rss_all.push(rss);
    f.anon_all.push(anon);
    f.published = seen.len();
    s.finish();
}

/// RSS right after `initialize`, in a process of its own (opening nothing).
fn idle_round(bin: &Path, ws: &Path, f: &mut Figures) {
    let (mut s, _) = Server::spawn(bin);
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
    let (rss, anon) = s.rss();
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
