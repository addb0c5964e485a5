//! The real server over stdio, as an editor drives it: keystroke latency,
//! memory, start-up and live resolution.
//!
//! Run with `cargo bench -p tagls --bench protocol` (about a minute) or add
//! `-- --quick` for a smoke run (fewer edits, 10 open documents instead of
//! 100, the 2,000-file tree instead of the 1k/10k/50k ones). Plain std, no
//! harness, no timed assertions: it prints tables, ratios and "target
//! met/missed" lines, and draws SVG plots (`plot.rs`) into `docs/bench/`
//! (full run) or `<target>/bench-plots/` (quick run). `-- --only
//! keystrokes,memory,startup,live` runs a subset (for profiling).
//!
//! Every measurement spawns the built binary (`tagls --stdio`) and speaks
//! LSP to it with Content-Length framing. A reader thread reads what the
//! server sends, stamps each message with the instant its body was read, and
//! answers the server's requests at once (`workspace/configuration` with
//! nulls, `window/workDoneProgress/create` and `client/registerCapability`
//! with null), so the server never waits on the bench. The client says it
//! speaks UTF-16, shows work-done progress, answers configuration requests
//! and supports versioned diagnostics.
//!
//! (a) Keystroke latency on generated TypeScript documents of 200, 2,000
//!     and 20,000 lines, opened from a small workspace on disk: one-character
//!     edits in pairs (insert a character, delete it again) through
//!     incremental `didChange`. Semantic tokens: `didChange` and at once
//!     `semanticTokens/full`, timed from writing the change to reading the
//!     response. Diagnostics: one change, timed from writing it to reading
//!     the `publishDiagnostics` of that version, minus the actor's 50 ms
//!     QUIET debounce. Also with an unclosed `{` left open at 20,000 lines.
//! (b) Memory (`VmRSS`, `VmHWM` of the server process): idle, with open
//!     2,000-line documents, and with the index of generated trees.
//! (c) Start-up on a generated tree: `initialize` to the first diagnostics
//!     of a document opened right after `initialized`, and to the index's
//!     progress `end`.
//! (d) Live resolution: creating (and deleting) the file that a tag names,
//!     seen through the server's watcher or through client watch events.

#[path = "lsp.rs"]
mod lsp;
#[path = "plot.rs"]
mod plot;
#[path = "support.rs"]
mod support;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::json;

use lsp::{Msg, Server, file_uri};
use support::{ClassShape, Gen, Rng, Spacing, Stmt, Style, Words, generator};

/// The actor's diagnostics debounce (`QUIET` in server/src/lsp/actor.rs).
const QUIET: Duration = Duration::from_millis(50);
/// How long any single wait may take before the bench gives up.
const TIMEOUT: Duration = Duration::from_secs(10);
/// A document the actor is asked about to make a round trip through it.
const SYNC_URI: &str = "file:///nonexistent/sync.ts";
/// How long an index build of a large tree may take.
const INDEX_TIMEOUT: Duration = Duration::from_secs(180);

// ---------------------------------------------------------------------------
// Statistics and formatting.

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Nearest-rank percentile of unsorted values.
fn pct(v: &[f64], p: f64) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * s.len() as f64).ceil() as usize;
    s[rank.clamp(1, s.len()) - 1]
}

fn median(v: &[f64]) -> f64 {
    pct(v, 50.0)
}

fn max(v: &[f64]) -> f64 {
    v.iter().copied().fold(f64::NEG_INFINITY, f64::max)
}

fn mb(kb: u64) -> f64 {
    kb as f64 / 1024.0
}

fn verdict(met: bool) -> &'static str {
    if met { "target met" } else { "target MISSED" }
}

/// n, p50, p99, max of latencies in ms.
#[derive(Clone, Copy, Default)]
struct Stats {
    n: usize,
    p50: f64,
    p99: f64,
    max: f64,
}

impl Stats {
    fn of(v: &[f64]) -> Stats {
        if v.is_empty() {
            return Stats::default();
        }
        Stats {
            n: v.len(),
            p50: pct(v, 50.0),
            p99: pct(v, 99.0),
            max: max(v),
        }
    }
}

fn machine() -> String {
    format!(
        "nproc {}, {}{}; {}; load average {}",
        support::cpus(),
        support::cpu_model(),
        support::cpu_mhz(),
        support::version("rustc", "rustc not found"),
        support::load(3)
    )
}

/// The commit the binary was built from, and whether server/ had
/// uncommitted changes (the binary is whatever the working tree holds).
fn source_state() -> String {
    let git = |args: &[&str]| {
        Command::new("git")
            .arg("-C")
            .arg(plot::repo_root())
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .and_then(|o| String::from_utf8(o.stdout).ok())
    };
    let Some(head) = git(&["rev-parse", "--short", "HEAD"]) else {
        return "an unknown commit".to_owned();
    };
    let dirty = git(&[
        "status",
        "--porcelain",
        "--",
        "server/src",
        "server/queries",
    ])
    .map_or(0, |s| s.lines().count());
    if dirty == 0 {
        format!("commit {}", head.trim())
    } else {
        format!(
            "commit {} with {dirty} uncommitted change(s) under server/src and server/queries",
            head.trim()
        )
    }
}

/// How the client presents itself.
#[derive(Clone, Default)]
struct Opts {
    root: Option<PathBuf>,
    /// `workspace.didChangeWatchedFiles.dynamicRegistration`.
    watch_registration: bool,
}

/// What only this bench asks of the server.
impl Server {
    /// The next `publishDiagnostics` for `uri` with a version at least
    /// `version` (or without a version).
    fn diagnostics(&mut self, uri: &str, version: i64) -> Msg {
        self.wait(
            &format!("diagnostics of {uri} version {version}"),
            TIMEOUT,
            |m| {
                m.publish_uri() == Some(uri)
                    && m.v["params"]["version"]
                        .as_i64()
                        .is_none_or(|v| v >= version)
            },
        )
    }

    /// Sends `initialize`, waits for its answer, sends `initialized`;
    /// returns when `initialize` was written.
    fn initialize(&mut self, opts: &Opts) -> Instant {
        let root_uri = opts.root.as_deref().map(file_uri);
        let folders = opts.root.as_deref().map(|p| {
            json!([{ "uri": file_uri(p), "name": p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default() }])
        });
        let (id, t0) = self.request(
            "initialize",
            json!({
                "processId": std::process::id(),
                "rootUri": root_uri,
                "workspaceFolders": folders,
                "clientInfo": { "name": "tagls-protocol-bench" },
                "capabilities": {
                    "general": { "positionEncodings": ["utf-16"] },
                    "window": { "workDoneProgress": true },
                    "workspace": {
                        "configuration": true,
                        "workspaceFolders": true,
                        "didChangeWatchedFiles": { "dynamicRegistration": opts.watch_registration },
                    },
                    "textDocument": {
                        "synchronization": { "dynamicRegistration": false },
                        "publishDiagnostics": { "versionSupport": true },
                        "semanticTokens": {
                            "requests": { "full": true, "range": true },
                            "tokenTypes": [], "tokenModifiers": [], "formats": ["relative"]
                        },
                    },
                },
            }),
        );
        let resp = self.response(id, "the response to initialize");
        assert_eq!(
            resp.v["result"]["capabilities"]["positionEncoding"], "utf-16",
            "the server did not take UTF-16"
        );
        self.notify("initialized", json!({}));
        t0
    }

    /// Waits for the index build's progress `end`; returns when it came.
    fn index_end(&mut self, what: &str) -> Instant {
        self.wait(what, INDEX_TIMEOUT, Msg::is_progress_end).at
    }

    fn change(&self, uri: &str, version: i64, e: &Edit) -> Instant {
        self.notify(
            "textDocument/didChange",
            json!({
                "textDocument": { "uri": uri, "version": version },
                "contentChanges": [{
                    "range": {
                        "start": { "line": e.line, "character": e.col },
                        "end": { "line": e.line, "character": e.col + e.del },
                    },
                    "text": e.text,
                }],
            }),
        )
    }
}

// ---------------------------------------------------------------------------
// The documents.

/// What follows `#NAME: ` in the tags; the paths and env names refer to
/// the bench workspace, where some exist and some do not.
const PAYLOADS: &[&str] = &[
    "Assuming src/services/user.service.ts exists",
    "Assuming UserService exists at src/services/user.service.ts",
    "Assuming AuthService exists at src/services/auth.service.ts",
    "Assuming src/services/billing.service.ts exists",
    "Assuming the helpers live in src/utils/format.ts",
    "Assuming src/legacy/old-api.ts was kept",
    "Assuming JWT_SECRET in environment variables",
    "Assuming REDIS_URL in .env",
    "see docs/api.md for the contract",
    "copied retry loop from the payments module",
    "this should handle network timeouts (fetch can reject)",
    "Assuming the API returns {token, user} — vérifié à la main",
    "日本語のテキストを含むペイロード",
    "Assuming Redis is reachable at REDIS_URL 🚀",
];
const CONTINUATIONS: &[&str] = &[
    "Why: the old path loses events under load",
    "Why: the container injects it at start-up",
    "Verification: ls src/services/user.service.ts",
    "Risk: medium — naïve fallback if the env var is missing",
    "Owner: platform team",
];
/// Words of `support::Words::new` that these documents leave out (the
/// `edit` bench uses them all).
const NOT_USED: &[&str] = &[
    "SUGGEST_ERROR_HANDLING",
    "PATH_RATIONALE",
    "CANNOT_VERIFY_WITHOUT_RUNTIME",
    "LCL",
    "Handles the retry budget; see the design notes.",
    "ticket",
    "metric",
    "Record<string, number>",
];

/// A tag about every 40 lines, with 0 to 2 continuation lines.
const STYLE: Style = Style {
    spacing: Spacing::Jittered(36..45),
    continuations: 3,
    tags_in_jsdoc: false,
    prose_each_statement: false,
    statements: &[
        Stmt::Load,
        Stmt::Throw,
        Stmt::Colour(&["FFFFFF"], " // colour, not a tag"),
        Stmt::LineComment,
        Stmt::Loop,
        Stmt::TagInString("in a string"),
        Stmt::TryCatch,
        Stmt::FilterMap,
        Stmt::Env,
        Stmt::Return,
    ],
    class: ClassShape {
        fields: 2..5,
        blank_after_fields: false,
        methods: 2..6,
        statements: 3..9,
    },
    function: 3..11,
};

/// An interface or a theme object.
fn small(g: &mut Gen) {
    let name = g.type_name();
    g.maybe_tag(0);
    if g.rng.chance(50) {
        g.line(0, &format!("export interface {name} {{"));
        for _ in 0..g.count(2..5) {
            let f = g.ident();
            let t = g.rng.pick(&g.words.types);
            g.line(1, &format!("{f}?: {t};"));
        }
        g.line(0, "}");
    } else {
        g.line(0, &format!("export const {name}Theme = {{"));
        let colour = format!("#{:06x}", g.rng.next() & 0xff_ffff);
        g.line(1, &format!("accent: '{colour}',"));
        g.line(1, "label: 'Café ☕ — #1 choice',");
        g.line(0, "} as const;");
    }
    g.line(0, "");
}

/// A TypeScript document of exactly `lines` lines, the same for the same
/// `lines` and `seed`; returns it with its count of tags.
fn document(lines: usize, seed: u64) -> (String, usize) {
    let words = Words::new(PAYLOADS, CONTINUATIONS).without(NOT_USED);
    let mut g = Gen::new(Rng::new(seed), words, STYLE, lines * 48);
    g.line(
        0,
        "// Generated for the protocol benchmark: shaped like code, not real code.",
    );
    g.line(
        0,
        "// #COMPLETION_DRIVE: Assuming src/services/user.service.ts exists",
    );
    g.line(0, "//   Why: the container registers it at start-up");
    g.tags += 1;
    g.since_tag = 0;
    let imports = (lines / 50).clamp(3, 40);
    for i in 0..imports {
        let a = g.type_name();
        let noun = g.words.nouns[i % g.words.nouns.len()];
        g.line(
            0,
            &format!("import {{ {a} }} from './services/{noun}.service';"),
        );
    }
    g.line(0, "import type { Deps } from './core/deps';");
    g.line(0, "");
    while g.lines + 60 < lines {
        match g.rng.below(10) {
            0..=3 => g.class(),
            4..=7 => g.function(),
            _ => small(&mut g),
        }
    }
    while g.lines + 8 < lines {
        small(&mut g);
    }
    while g.lines < lines {
        g.line(0, "");
    }
    (g.out, g.tags)
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Site {
    Code,
    Comment,
    Payload,
}

/// One incremental change on one line: delete `del` UTF-16 units at
/// (`line`, `col`) and insert `text`.
#[derive(Clone, Debug)]
struct Edit {
    line: usize,
    col: usize,
    del: usize,
    text: &'static str,
}

/// Where edits may go: (site, line, UTF-16 columns allowed).
struct Sites {
    by_kind: [Vec<(usize, Vec<usize>)>; 3],
}

impl Sites {
    /// Classifies each line: a tag line (`// #NAME: payload`) gives payload
    /// columns, another comment line gives comment columns, a code line
    /// gives code columns (after the indentation). Blank lines and the lines
    /// in `skip` give none.
    fn of(text: &str, skip: &[usize]) -> Sites {
        let mut by_kind: [Vec<(usize, Vec<usize>)>; 3] = [Vec::new(), Vec::new(), Vec::new()];
        for (i, l) in text.lines().enumerate() {
            if skip.contains(&i) {
                continue;
            }
            let t = l.trim_start();
            if t.is_empty() {
                continue;
            }
            let indent = l.len() - t.len();
            let (kind, from_byte) = if (t.starts_with("// #") || t.starts_with("* #"))
                && let Some(colon) = t.find(": ")
            {
                (Site::Payload, indent + colon + 2)
            } else if t.starts_with("//") || t.starts_with("/*") || t.starts_with('*') {
                (Site::Comment, indent + 3.min(t.len()))
            } else {
                (Site::Code, indent)
            };
            // UTF-16 columns of the character boundaries from `from_byte` on.
            let mut cols = Vec::new();
            let mut units = 0;
            for (b, ch) in l.char_indices() {
                if b >= from_byte {
                    cols.push(units);
                }
                units += ch.len_utf16();
            }
            if !cols.is_empty() {
                by_kind[kind as usize].push((i, cols));
            }
        }
        Sites { by_kind }
    }

    /// `n` edits (n/2 pairs): 40% in code, 30% in comments, 30% in tag
    /// payloads; each pair inserts an ASCII character and deletes it again,
    /// so the document never drifts.
    fn edits(&self, n: usize, rng: &mut Rng) -> Vec<(Site, Edit)> {
        let mut out = Vec::with_capacity(n);
        while out.len() < n {
            let r = rng.below(10);
            let kind = match r {
                0..=3 => Site::Code,
                4..=6 => Site::Comment,
                _ => Site::Payload,
            };
            let pool = &self.by_kind[kind as usize];
            if pool.is_empty() {
                continue;
            }
            let (line, cols) = &pool[rng.below(pool.len())];
            let col = cols[rng.below(cols.len())];
            let text = ["x", "e", "_", "1", " "][rng.below(5)];
            out.push((
                kind,
                Edit {
                    line: *line,
                    col,
                    del: 0,
                    text,
                },
            ));
            out.push((
                kind,
                Edit {
                    line: *line,
                    col,
                    del: 1,
                    text: "",
                },
            ));
        }
        out.truncate(n);
        out
    }
}

/// The small workspace around the keystroke documents: some references in
/// their tags resolve, some do not.
fn small_workspace(dir: &Path) {
    let files: &[(&str, &str)] = &[
        (
            "src/services/user.service.ts",
            "export class UserService {}\n",
        ),
        (
            "src/services/auth.service.ts",
            "export class AuthService {}\n",
        ),
        (
            "src/utils/format.ts",
            "export const format = (s: string) => s.trim();\n",
        ),
        (
            "src/core/deps.ts",
            "export type Deps = Record<string, unknown>;\n",
        ),
        ("src/generated/.gitkeep", ""),
        ("docs/api.md", "# API\n\nThe contract.\n"),
        (
            ".env.example",
            "# settings\nJWT_SECRET=change-me\nDATABASE_URL=postgres://localhost/db\n",
        ),
        (
            ".orchestration/implementation-log.md",
            "# Implementation log\n\n## Files Created\n\n#FILE_CREATED: src/services/user.service.ts (1 lines)\n  Description: the user service\n\n#FILE_CREATED: src/services/auth.service.ts (1 lines)\n  Description: the auth service\n",
        ),
    ];
    for (rel, text) in files {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().expect("has a parent")).expect("mkdir");
        std::fs::write(&p, text).expect("write a workspace file");
    }
}

// ---------------------------------------------------------------------------
// (a) Keystroke latency.

#[derive(Clone, Copy, PartialEq, Eq)]
enum RowKind {
    /// The clean document, the two measurements as specified.
    Clean,
    /// Each edit: semantic tokens, then wait for its publish (typing slower
    /// than the debounce): no publish ever overlaps a request.
    Paced,
    /// The unclosed `{` left open.
    ErrorOpen,
}

struct KeystrokeRow {
    kind: RowKind,
    label: String,
    lines: usize,
    tokens: Stats,
    diags: Stats,
    /// Tokens per response, for the record.
    token_count: usize,
}

/// One edit, then at once `semanticTokens/full`: when the change was
/// written, and the answer.
fn change_then_tokens(s: &mut Server, uri: &str, version: &mut i64, e: &Edit) -> (Instant, Msg) {
    *version += 1;
    let t0 = s.change(uri, *version, e);
    let (id, _) = s.request(
        "textDocument/semanticTokens/full",
        json!({ "textDocument": { "uri": uri } }),
    );
    (t0, s.response(id, "semantic tokens after an edit"))
}

/// Semantic tokens after each edit: `didChange`, then at once
/// `semanticTokens/full`; from writing the change to reading the answer.
fn tokens_latency(
    s: &mut Server,
    uri: &str,
    version: &mut i64,
    edits: &[(Site, Edit)],
) -> (Vec<f64>, usize) {
    let mut lat = Vec::with_capacity(edits.len());
    let mut count = 0;
    for (_, e) in edits {
        let (t0, m) = change_then_tokens(s, uri, version, e);
        lat.push(ms(m.at - t0));
        count = m.v["result"]["data"].as_array().map_or(0, Vec::len) / 5;
        assert!(count > 0, "no semantic tokens for {uri}: {}", m.v);
    }
    // Let the debounced publish of the last edit go out before what follows.
    s.diagnostics(uri, *version);
    (lat, count)
}

/// At typing speed: each edit, then at once `semanticTokens/full` (timed as
/// in [`tokens_latency`]), then its publish (timed from the change, minus
/// QUIET) before the next edit, so that no publish overlaps a request.
fn paced_latency(
    s: &mut Server,
    uri: &str,
    version: &mut i64,
    edits: &[(Site, Edit)],
) -> (Vec<f64>, Vec<f64>) {
    let mut tok = Vec::with_capacity(edits.len());
    let mut diag = Vec::with_capacity(edits.len());
    for (_, e) in edits {
        let (t0, m) = change_then_tokens(s, uri, version, e);
        tok.push(ms(m.at - t0));
        let m = s.diagnostics(uri, *version);
        diag.push(ms(m.at - t0) - ms(QUIET));
    }
    (tok, diag)
}

/// The `k` slowest edits of a run, one line each: latency, site, what the
/// edit did and the text around it (`|` marks the position).
fn slowest(text: &str, edits: &[(Site, Edit)], lat: &[f64], k: usize) -> String {
    let mut order: Vec<usize> = (0..lat.len()).collect();
    order.sort_by(|&a, &b| lat[b].total_cmp(&lat[a]));
    let lines: Vec<&str> = text.lines().collect();
    let mut out = String::new();
    for &i in order.iter().take(k) {
        let (site, e) = &edits[i];
        let line = lines.get(e.line).copied().unwrap_or("");
        // The UTF-16 column as a char index (the same for the BMP text
        // around most edits; close enough for a label otherwise).
        let chars: Vec<char> = line.chars().collect();
        let mut at = chars.len();
        let mut units = 0;
        for (ci, ch) in chars.iter().enumerate() {
            if units >= e.col {
                at = ci;
                break;
            }
            units += ch.len_utf16();
        }
        let from = at.saturating_sub(24);
        let to = (at + 24).min(chars.len());
        let before: String = chars[from..at].iter().collect();
        let after: String = chars[at..to].iter().collect();
        let op = if e.del == 0 {
            format!("insert {:?}", e.text)
        } else {
            "delete it again".to_owned()
        };
        let _ = write!(
            out,
            "{}{:.1} ms {site:?} {op} at {}:{} `{}|{}`",
            if out.is_empty() { "" } else { "; " },
            lat[i],
            e.line + 1,
            e.col,
            before.trim_start(),
            after.trim_end()
        );
    }
    out
}

/// Diagnostics after each edit, one edit at a time: from writing the change
/// to reading the publish of that version, minus QUIET.
fn diagnostics_latency(
    s: &mut Server,
    uri: &str,
    version: &mut i64,
    edits: &[(Site, Edit)],
) -> Vec<f64> {
    edits
        .iter()
        .map(|(_, e)| diagnostics_after(s, uri, version, e))
        .collect()
}

/// One edit, timed from writing it to reading its publish, minus QUIET.
fn diagnostics_after(s: &mut Server, uri: &str, version: &mut i64, e: &Edit) -> f64 {
    *version += 1;
    let t0 = s.change(uri, *version, e);
    let m = s.diagnostics(uri, *version);
    ms(m.at - t0) - ms(QUIET)
}

/// A keystroke document open in the server: what its edits are drawn
/// from, and the version of the last change sent.
struct Typing<'a> {
    uri: &'a str,
    text: &'a str,
    lines: usize,
    version: i64,
    rng: Rng,
    /// Edits per row timed for their semantic tokens, and for their
    /// diagnostics.
    n_tokens: usize,
    n_diags: usize,
}

impl Typing<'_> {
    /// A row of the table: `n_tokens` edits drawn from `sites` timed for
    /// their semantic tokens, then `n_diags` for their diagnostics; the
    /// three slowest of each go to `worst`, as `slowest, {what}, …`.
    fn row(
        &mut self,
        s: &mut Server,
        sites: &Sites,
        kind: RowKind,
        label: String,
        what: &str,
        worst: &mut String,
    ) -> KeystrokeRow {
        let edits = sites.edits(self.n_tokens, &mut self.rng);
        let (tok, token_count) = tokens_latency(s, self.uri, &mut self.version, &edits);
        let _ = writeln!(
            worst,
            "    slowest, {what}, semantic tokens: {}",
            slowest(self.text, &edits, &tok, 3)
        );
        let edits = sites.edits(self.n_diags, &mut self.rng);
        let diag = diagnostics_latency(s, self.uri, &mut self.version, &edits);
        let _ = writeln!(
            worst,
            "    slowest, {what}, diagnostics − QUIET: {}",
            slowest(self.text, &edits, &diag, 3)
        );
        KeystrokeRow {
            kind,
            label,
            lines: self.lines,
            tokens: Stats::of(&tok),
            diags: Stats::of(&diag),
            token_count,
        }
    }
}

struct KeystrokeResults {
    rows: Vec<KeystrokeRow>,
}

fn bench_keystrokes(quick: bool, out: &mut String) -> KeystrokeResults {
    let sizes = [200usize, 2_000, 20_000];
    let (n_tokens, n_diags) = if quick { (40, 10) } else { (400, 100) };
    let n_paced = if quick { 10 } else { 200 };
    let _ = writeln!(
        out,
        "\n(a) keystroke latency: one-character edits in pairs (insert, then delete), 40% code / 30% comments / 30% tag payloads"
    );
    let _ = writeln!(
        out,
        "    semantic tokens: {n_tokens} edits per size, didChange + semanticTokens/full back to back, from writing the change to reading the response"
    );
    let _ = writeln!(
        out,
        "    paced (20,000 lines, {n_paced} edits): each edit, its semantic tokens, then its publish before the next edit (typing slower than the debounce)"
    );
    let _ = writeln!(
        out,
        "    diagnostics: {n_diags} edits per size, one at a time, from writing the change to reading its publishDiagnostics, MINUS the {} ms QUIET debounce",
        QUIET.as_millis()
    );
    let ws = tempfile::tempdir().expect("a temp dir");
    let root = ws.path().canonicalize().expect("canonical temp dir");
    small_workspace(&root);
    let mut rows = Vec::new();
    let mut error_edit = Vec::new();
    let mut doc_facts = String::new();
    let mut worst = String::new();
    for (k, &lines) in sizes.iter().enumerate() {
        let (text, tags) = document(lines, 0x7a67_0000 + lines as u64);
        let path = root.join(format!("src/feature/doc-{lines}.ts"));
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, &text).expect("write the document");
        let uri = file_uri(&path);
        let _ = writeln!(
            doc_facts,
            "    {lines:>6} lines: {:>8} bytes, {:>5} tags (one per {} lines)",
            text.len(),
            tags,
            lines / tags.max(1)
        );
        let mut s = Server::spawn();
        s.initialize(&Opts {
            root: Some(root.clone()),
            ..Opts::default()
        });
        s.index_end("the index of the small workspace");
        let t0 = s.open(&uri, "typescript", &text);
        let first = s.diagnostics(&uri, 1);
        let n_diag = first.v["params"]["diagnostics"]
            .as_array()
            .map_or(0, Vec::len);
        let _ = writeln!(
            doc_facts,
            "            didOpen → first diagnostics {:.1} ms ({n_diag} diagnostics)",
            ms(first.at - t0)
        );
        let mut t = Typing {
            uri: &uri,
            text: &text,
            lines,
            version: 1,
            rng: Rng::new(0xed17 + k as u64),
            n_tokens,
            n_diags,
        };
        let sites = Sites::of(&text, &[]);
        let label = format!("{lines} lines");
        rows.push(t.row(
            &mut s,
            &sites,
            RowKind::Clean,
            label.clone(),
            &label,
            &mut worst,
        ));
        if lines == 20_000 {
            // At typing speed (slower than the debounce): each edit gets its
            // semantic tokens, then its publish, before the next one.
            let edits = sites.edits(n_paced, &mut t.rng);
            let (tok, diag) = paced_latency(&mut s, &uri, &mut t.version, &edits);
            let _ = writeln!(
                worst,
                "    slowest, {lines} lines paced, semantic tokens: {}",
                slowest(&text, &edits, &tok, 3)
            );
            rows.push(KeystrokeRow {
                kind: RowKind::Paced,
                label: format!("{lines} lines, paced (tokens, then publish)"),
                lines,
                tokens: Stats::of(&tok),
                diags: Stats::of(&diag),
                token_count: rows.last().map_or(0, |r| r.token_count),
            });
            // An unclosed `{` at the start of a top-level line in the middle
            // of the file, left open while the edits go on elsewhere.
            let all: Vec<&str> = text.lines().collect();
            let at = (lines / 2..lines)
                .find(|&i| all[i].starts_with("export "))
                .expect("a top-level export line in the second half");
            let brace = |del, text| Edit {
                line: at,
                col: 0,
                del,
                text,
            };
            error_edit.push(diagnostics_after(
                &mut s,
                &uri,
                &mut t.version,
                &brace(0, "{"),
            ));
            let sites = Sites::of(&text, &[at]);
            rows.push(t.row(
                &mut s,
                &sites,
                RowKind::ErrorOpen,
                format!("{lines} lines, `{{` left open at line {}", at + 1),
                &format!("{lines} lines with the `{{` open"),
                &mut worst,
            ));
            error_edit.push(diagnostics_after(
                &mut s,
                &uri,
                &mut t.version,
                &brace(1, ""),
            ));
        }
        s.finish();
    }
    out.push_str("    documents (generated TypeScript, each in a small workspace with an index, an env file and a log):\n");
    out.push_str(&doc_facts);
    let _ = writeln!(
        out,
        "\n    {:<42} {:>5} {:>9} {:>9} {:>9}   {:>5} {:>9} {:>9} {:>9}  {:>7}",
        "document",
        "n",
        "tok p50",
        "tok p99",
        "tok max",
        "n",
        "diag p50",
        "diag p99",
        "diag max",
        "tokens"
    );
    let _ = writeln!(
        out,
        "    {:<42} {:>5} {:>9} {:>9} {:>9}   {:>5} {:>9} {:>9} {:>9}  {:>7}",
        "(ms; diag = publish − 50 ms QUIET)", "", "", "", "", "", "", "", "", ""
    );
    for r in &rows {
        let _ = writeln!(
            out,
            "    {:<42} {:>5} {:>9.2} {:>9.2} {:>9.2}   {:>5} {:>9.2} {:>9.2} {:>9.2}  {:>7}",
            r.label,
            r.tokens.n,
            r.tokens.p50,
            r.tokens.p99,
            r.tokens.max,
            r.diags.n,
            r.diags.p50,
            r.diags.p99,
            r.diags.max,
            r.token_count
        );
    }
    let _ = writeln!(
        out,
        "    typing the unclosed `{{` / removing it (publish − QUIET): {}",
        error_edit
            .iter()
            .map(|v| format!("{v:.2} ms"))
            .collect::<Vec<_>>()
            .join(" / ")
    );
    out.push_str(&worst);
    let clean: Vec<&KeystrokeRow> = rows.iter().filter(|r| r.kind == RowKind::Clean).collect();
    let small = clean.first().expect("a row for 200 lines");
    let big = clean.last().expect("a row for 20,000 lines");
    let err = rows.iter().find(|r| r.kind == RowKind::ErrorOpen);
    let g_tok = big.tokens.p99 / small.tokens.p99;
    let g_diag = big.diags.p99 / small.diags.p99;
    let _ = writeln!(
        out,
        "    growth p99(20k)/p99(200): semantic tokens {g_tok:.1}x, diagnostics {g_diag:.1}x; p50: {:.1}x, {:.1}x",
        big.tokens.p50 / small.tokens.p50,
        big.diags.p50 / small.diags.p50
    );
    let target = |out: &mut String, what: &str, r: &KeystrokeRow| {
        let _ = writeln!(
            out,
            "    target p99 < 5 ms {what}: semantic tokens {:.2} ms: {}; diagnostics (− QUIET) {:.2} ms: {}",
            r.tokens.p99,
            verdict(r.tokens.p99 < 5.0),
            r.diags.p99,
            verdict(r.diags.p99 < 5.0)
        );
    };
    target(out, "at 20,000 lines", big);
    if let Some(e) = err {
        target(out, "with the `{` left open", e);
    }
    let _ = writeln!(
        out,
        "    target growth ≤ 10x from 200 to 20,000 lines (p99): semantic tokens {g_tok:.1}x: {}; diagnostics {g_diag:.1}x: {}",
        verdict(g_tok <= 10.0),
        verdict(g_diag <= 10.0)
    );
    KeystrokeResults { rows }
}

// ---------------------------------------------------------------------------
// (b) Memory.

/// One tree's index: files, VmRSS and VmHWM (KiB) after the progress `end`,
/// and the time from `initialize` to that `end`.
#[derive(Clone, Copy)]
struct IndexRow {
    files: usize,
    rss_kb: u64,
    hwm_kb: u64,
    end_ms: f64,
}

struct MemoryResults {
    idle_kb: u64,
    /// (open documents, RSS KiB).
    docs: Vec<(usize, u64, u64)>,
    docs_base_kb: u64,
    /// (files in the tree, RSS KiB, HWM KiB, index build ms).
    index: Vec<IndexRow>,
}

fn bench_memory(quick: bool, trees: &[usize], out: &mut String) -> MemoryResults {
    let _ = writeln!(
        out,
        "\n(b) memory of the server process (VmRSS and VmHWM from /proc/<pid>/status)"
    );
    // Idle, without a root and with an empty one.
    let mut s = Server::spawn();
    s.initialize(&Opts::default());
    s.wait("the ready message", TIMEOUT, |m| {
        m.method() == "window/logMessage"
            && m.v["params"]["message"]
                .as_str()
                .is_some_and(|t| t.ends_with("ready"))
    });
    s.sync_actor(SYNC_URI);
    std::thread::sleep(Duration::from_millis(200));
    let (idle, idle_hwm) = s.mem();
    s.finish();
    let empty = tempfile::tempdir().expect("a temp dir");
    let mut s = Server::spawn();
    s.initialize(&Opts {
        root: Some(empty.path().to_path_buf()),
        ..Opts::default()
    });
    s.index_end("the index of an empty root");
    s.sync_actor(SYNC_URI);
    std::thread::sleep(Duration::from_millis(200));
    let (idle_root, idle_root_hwm) = s.mem();
    s.finish();
    let _ = writeln!(
        out,
        "    {:<52} {:>9} {:>9} {:>12}",
        "state", "RSS MB", "HWM MB", "RSS − idle"
    );
    let _ = writeln!(
        out,
        "    {:<52} {:>9.1} {:>9.1} {:>12}",
        "idle, after initialize, no root",
        mb(idle),
        mb(idle_hwm),
        "-"
    );
    let _ = writeln!(
        out,
        "    {:<52} {:>9.1} {:>9.1} {:>12.1}",
        "idle, after initialize, an empty root (indexed)",
        mb(idle_root),
        mb(idle_root_hwm),
        mb(idle_root) - mb(idle)
    );

    // Open documents.
    let n_docs = if quick { 10 } else { 100 };
    let checkpoints: Vec<usize> = if quick {
        vec![1, 5, 10]
    } else {
        vec![1, 10, 25, 50, 75, 100]
    };
    let ws = tempfile::tempdir().expect("a temp dir");
    let root = ws.path().canonicalize().expect("canonical temp dir");
    small_workspace(&root);
    let mut docs = Vec::new();
    let mut total_bytes = 0;
    for i in 0..n_docs {
        let (text, _) = document(2_000, 0xd0c0_0000 + i as u64);
        let path = root.join(format!("src/open/doc-{i:03}.ts"));
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, &text).expect("write a document");
        total_bytes += text.len();
        docs.push((file_uri(&path), text));
    }
    let mut s = Server::spawn();
    s.initialize(&Opts {
        root: Some(root.clone()),
        ..Opts::default()
    });
    s.index_end("the index of the documents' workspace");
    s.sync_actor(SYNC_URI);
    let (base, _) = s.mem();
    let mut at_docs = Vec::new();
    for (i, (uri, text)) in docs.iter().enumerate() {
        s.open(uri, "typescript", text);
        s.diagnostics(uri, 1);
        if checkpoints.contains(&(i + 1)) {
            s.sync_actor(SYNC_URI);
            let (rss, hwm) = s.mem();
            at_docs.push((i + 1, rss, hwm));
        }
    }
    s.finish();
    let _ = writeln!(
        out,
        "    open 2,000-line documents ({n_docs} distinct files, {:.1} MB of text in all), each opened after the previous one's first diagnostics:",
        total_bytes as f64 / 1e6
    );
    let _ = writeln!(
        out,
        "    {:<52} {:>9.1} {:>9} {:>12.1}",
        "  0 documents (root indexed)",
        mb(base),
        "",
        mb(base) - mb(idle)
    );
    for &(n, rss, hwm) in &at_docs {
        let _ = writeln!(
            out,
            "    {:<52} {:>9.1} {:>9.1} {:>12.1}   {:.2} MB per document",
            format!("{n:>3} documents"),
            mb(rss),
            mb(hwm),
            mb(rss) - mb(idle),
            (mb(rss) - mb(base)) / n as f64
        );
    }

    // The index of generated trees.
    let mut index = Vec::new();
    for &n in trees {
        let (dir, note) = support::ensure_workspace(n);
        let mut s = Server::spawn();
        let t0 = s.initialize(&Opts {
            root: Some(dir.clone()),
            ..Opts::default()
        });
        let end = s.index_end(&format!("the index of the {n}-file tree"));
        s.sync_actor(SYNC_URI);
        std::thread::sleep(Duration::from_millis(200));
        let (rss, hwm) = s.mem();
        s.finish();
        let _ = writeln!(out, "    tree of {n} files: {} ({note})", dir.display());
        index.push(IndexRow {
            files: n,
            rss_kb: rss,
            hwm_kb: hwm,
            end_ms: ms(end - t0),
        });
    }
    let _ = writeln!(
        out,
        "    {:<52} {:>9} {:>9} {:>12} {:>14}",
        "workspace index (initialize with the tree as root)",
        "RSS MB",
        "HWM MB",
        "RSS − idle",
        "init → end ms"
    );
    for &IndexRow {
        files: n,
        rss_kb: rss,
        hwm_kb: hwm,
        end_ms: t,
    } in &index
    {
        let _ = writeln!(
            out,
            "    {:<52} {:>9.1} {:>9.1} {:>12.1} {:>14.0}",
            format!("  {n} files, after the progress `end`"),
            mb(rss),
            mb(hwm),
            mb(rss) - mb(idle),
            t
        );
    }
    if let Some(&IndexRow {
        files: n,
        rss_kb: rss,
        hwm_kb: hwm,
        ..
    }) = index.last()
    {
        let _ = writeln!(
            out,
            "    target index < 100 MB at 50,000 files: {:.1} MB RSS ({:.1} MB above idle, peak {:.1} MB) at {n} files: {}{}",
            mb(rss),
            mb(rss) - mb(idle),
            mb(hwm),
            verdict(mb(rss) < 100.0),
            if n < 50_000 {
                " (quick run: not the 50k tree)"
            } else {
                ""
            }
        );
    }
    MemoryResults {
        idle_kb: idle,
        docs: at_docs,
        docs_base_kb: base,
        index,
    }
}

// ---------------------------------------------------------------------------
// (c) Start-up.

/// The start-up runs on one tree, in ms from writing `initialize`.
struct StartupTree {
    files: usize,
    /// The first diagnostics of the opened document, per run.
    first: Vec<f64>,
    /// The index's progress `end`, per run.
    end: Vec<f64>,
    /// The first diagnostics when the client names no root, per run.
    control: Vec<f64>,
}

struct StartupResults {
    per_tree: Vec<StartupTree>,
}

fn bench_startup(quick: bool, trees: &[usize], out: &mut String) -> StartupResults {
    let reps = if quick { 3 } else { 5 };
    let _ = writeln!(
        out,
        "\n(c) start-up: initialize (tree as root) → initialized → at once didOpen of one tagged .ts file in the tree; {reps} runs per tree, a fresh process each, warm page cache"
    );
    let _ = writeln!(
        out,
        "    {:<12} {:>4} {:>12} {:>12} {:>12} {:>14} {:>14}",
        "tree", "run", "init resp", "first diag", "index end", "diag < end?", "diagnostics"
    );
    let mut per_tree = Vec::new();
    for &n in trees {
        let (dir, _) = support::ensure_workspace(n);
        let plan = generator::plan(n, generator::DEFAULT_SEED);
        // A tagged TypeScript source with a few tags, the same every run.
        let file = plan
            .files
            .iter()
            .filter(|f| f.tagged && f.path.ends_with(".ts") && f.path.starts_with("src/"))
            .find(|f| {
                std::fs::read_to_string(dir.join(&f.path))
                    .is_ok_and(|t| t.matches("// #").count() >= 2)
            })
            .expect("a tagged TypeScript file in the tree");
        let path = dir.join(&file.path);
        let text = std::fs::read_to_string(&path).expect("read the tagged file");
        let uri = file_uri(&path);
        let mut firsts = Vec::new();
        let mut ends = Vec::new();
        for run in 0..reps {
            let mut s = Server::spawn();
            let t0 = s.initialize(&Opts {
                root: Some(dir.clone()),
                ..Opts::default()
            });
            let t_init = Instant::now();
            s.open(&uri, "typescript", &text);
            let mut first: Option<(Instant, usize)> = None;
            let mut end: Option<Instant> = None;
            s.pump(
                &format!("the first diagnostics and the index end ({n} files)"),
                INDEX_TIMEOUT,
                |m| {
                    if first.is_none() && m.publish_uri() == Some(uri.as_str()) {
                        let k = m.v["params"]["diagnostics"].as_array().map_or(0, Vec::len);
                        first = Some((m.at, k));
                    }
                    if m.is_progress_end() {
                        end = Some(m.at);
                    }
                    first.is_some() && end.is_some()
                },
            );
            s.finish();
            let (f, k) = first.expect("first diagnostics");
            let e = end.expect("index end");
            let fd = ms(f - t0);
            let ie = ms(e - t0);
            firsts.push(fd);
            ends.push(ie);
            let _ = writeln!(
                out,
                "    {:<12} {:>4} {:>9.1} ms {:>9.1} ms {:>9.1} ms {:>14} {:>14}",
                format!("{n} files"),
                run + 1,
                ms(t_init - t0),
                fd,
                ie,
                if f < e { "yes" } else { "NO" },
                k
            );
        }
        let _ = writeln!(
            out,
            "    {:<12} median: first diagnostics {:.1} ms (max {:.1}), index end {:.1} ms (max {:.1}); file {}",
            format!("{n} files"),
            median(&firsts),
            max(&firsts),
            median(&ends),
            max(&ends),
            file.path
        );
        // The control: the same document, opened the same way by a client
        // that names no root, so that only the document's own folder is
        // indexed (a fallback root): what the first diagnostics cost
        // without a large index being built beside them.
        let mut control = Vec::new();
        for _ in 0..reps {
            let mut s = Server::spawn();
            let t0 = s.initialize(&Opts::default());
            s.open(&uri, "typescript", &text);
            let m = s.diagnostics(&uri, 1);
            control.push(ms(m.at - t0));
            s.finish();
        }
        let _ = writeln!(
            out,
            "    {:<12} control, no root named (only the document's folder is indexed): first diagnostics median {:.1} ms (max {:.1}) from initialize",
            format!("{n} files"),
            median(&control),
            max(&control)
        );
        per_tree.push(StartupTree {
            files: n,
            first: firsts,
            end: ends,
            control,
        });
    }
    if let Some(StartupTree {
        files: n,
        first: firsts,
        end: ends,
        control,
    }) = per_tree.last()
    {
        let before = firsts.iter().zip(ends).filter(|(f, e)| f < e).count();
        let not_later = firsts.iter().filter(|&&f| f <= max(control)).count();
        let _ = writeln!(
            out,
            "    target first diagnostics < 100 ms ({n} files): under 100 ms in {} of {} runs (median {:.1} ms, max {:.1} ms): {}{}",
            firsts.iter().filter(|&&f| f < 100.0).count(),
            firsts.len(),
            median(firsts),
            max(firsts),
            verdict(max(firsts) < 100.0),
            if *n < 50_000 {
                " (quick run: not the 50k tree)"
            } else {
                ""
            }
        );
        let _ = writeln!(
            out,
            "    target the index never delays open documents: first diagnostics before the index end in {before} of {} runs, no later than the slowest control run in {not_later} of {}; median {:+.1} ms against the control: {}",
            firsts.len(),
            firsts.len(),
            median(firsts) - median(control),
            verdict(
                firsts
                    .iter()
                    .zip(ends)
                    .all(|(&f, &e)| f < e || f <= max(control))
            )
        );
    }
    StartupResults { per_tree }
}

// ---------------------------------------------------------------------------
// (d) Live resolution.

const LIVE_DOC: &str = "\
// #COMPLETION_DRIVE: Assuming the generated client exists at src/generated/new-thing.ts
//   Why: the code generator writes it before the build
// #COMPLETION_DRIVE: Assuming UserService exists at src/services/user.service.ts
import { UserService } from './services/user.service';

export const users = new UserService();
";

fn has_missing(m: &Msg) -> bool {
    m.v["params"]["diagnostics"]
        .as_array()
        .is_some_and(|d| d.iter().any(|x| x["code"] == "missing-path"))
}

/// (create → cleared ms, delete → back ms) per round.
fn live_rounds(client_watches: bool, rounds: usize) -> (Vec<f64>, Vec<f64>) {
    let ws = tempfile::tempdir().expect("a temp dir");
    let root = ws.path().canonicalize().expect("canonical temp dir");
    small_workspace(&root);
    let doc = root.join("src/feature.ts");
    std::fs::write(&doc, LIVE_DOC).expect("write the document");
    let target = root.join("src/generated/new-thing.ts");
    let target_uri = file_uri(&target);
    let uri = file_uri(&doc);
    let mut s = Server::spawn();
    s.initialize(&Opts {
        root: Some(root.clone()),
        watch_registration: client_watches,
    });
    if client_watches {
        // The index end and the registration may come in either order.
        let (mut registered, mut indexed) = (false, false);
        s.pump(
            "the watch registration and the index end",
            INDEX_TIMEOUT,
            |m| {
                if m.method() == "client/registerCapability" {
                    assert_eq!(
                        m.v["params"]["registrations"][0]["method"],
                        "workspace/didChangeWatchedFiles",
                        "an unexpected registration"
                    );
                    registered = true;
                }
                indexed |= m.is_progress_end();
                registered && indexed
            },
        );
    } else {
        s.index_end("the index of the live-resolution workspace");
    }
    s.open(&uri, "typescript", LIVE_DOC);
    let first = s.diagnostics(&uri, 1);
    assert!(
        has_missing(&first),
        "the document should report src/generated/new-thing.ts missing: {}",
        first.v
    );
    let notify = |s: &Server, typ: u32| {
        if client_watches {
            s.notify(
                "workspace/didChangeWatchedFiles",
                json!({ "changes": [{ "uri": target_uri, "type": typ }] }),
            );
        }
    };
    let mut created = Vec::new();
    let mut deleted = Vec::new();
    for _ in 0..rounds {
        std::thread::sleep(Duration::from_millis(100));
        // Late duplicates of the previous state's publish must not count.
        s.forget();
        let t0 = Instant::now();
        std::fs::write(&target, "export const thing = 1;\n").expect("create the file");
        notify(&s, 1);
        let m = s.wait(
            "the publish without missing-path after the create",
            TIMEOUT,
            |m| m.publish_uri() == Some(uri.as_str()) && !has_missing(m),
        );
        created.push(ms(m.at - t0));
        std::thread::sleep(Duration::from_millis(100));
        s.forget();
        let t0 = Instant::now();
        std::fs::remove_file(&target).expect("delete the file");
        notify(&s, 3);
        let m = s.wait(
            "the publish with missing-path after the delete",
            TIMEOUT,
            |m| m.publish_uri() == Some(uri.as_str()) && has_missing(m),
        );
        deleted.push(ms(m.at - t0));
    }
    s.finish();
    (created, deleted)
}

fn bench_live(quick: bool, out: &mut String) {
    let rounds = if quick { 5 } else { 20 };
    let _ = writeln!(
        out,
        "\n(d) live resolution: a tag names src/generated/new-thing.ts (its folder exists); {rounds} rounds of create, then delete, 100 ms apart"
    );
    let _ = writeln!(
        out,
        "    from the create (delete) on disk to the publishDiagnostics without (with) the missing-path finding; no QUIET subtracted"
    );
    let (a_c, a_d) = live_rounds(false, rounds);
    let (b_c, b_d) = live_rounds(true, rounds);
    let rows = vec![
        (
            "server watcher: create → cleared".to_owned(),
            Stats::of(&a_c),
        ),
        (
            "server watcher: delete → reported".to_owned(),
            Stats::of(&a_d),
        ),
        (
            "client events: create → cleared".to_owned(),
            Stats::of(&b_c),
        ),
        (
            "client events: delete → reported".to_owned(),
            Stats::of(&b_d),
        ),
    ];
    let _ = writeln!(
        out,
        "    {:<40} {:>5} {:>9} {:>9} {:>9}",
        "(ms)", "n", "p50", "p99", "max"
    );
    for (name, st) in &rows {
        let _ = writeln!(
            out,
            "    {:<40} {:>5} {:>9.1} {:>9.1} {:>9.1}",
            name, st.n, st.p50, st.p99, st.max
        );
    }
}

// ---------------------------------------------------------------------------

fn write_plots(
    quick: bool,
    k: Option<&KeystrokeResults>,
    m: Option<&MemoryResults>,
    st: Option<&StartupResults>,
    out: &mut String,
) {
    let dir = plot::out_dir(quick);
    let mut written = Vec::new();
    let mut draw = |name: &str, title: &str, x: &str, y: &str, s: &[plot::Series], lx, ly| {
        let path = dir.join(name);
        match plot::lines(&path, title, x, y, s, lx, ly) {
            Ok(()) => written.push(path),
            Err(e) => eprintln!("cannot write {}: {e}", path.display()),
        }
    };
    if let Some(k) = k {
        let clean: Vec<&KeystrokeRow> =
            k.rows.iter().filter(|r| r.kind == RowKind::Clean).collect();
        let err = k.rows.iter().find(|r| r.kind == RowKind::ErrorOpen);
        let series = |f: &dyn Fn(&KeystrokeRow) -> Stats| {
            let mut v = vec![
                plot::Series::new(
                    "p50",
                    clean.iter().map(|r| (r.lines as f64, f(r).p50)).collect(),
                ),
                plot::Series::new(
                    "p99",
                    clean.iter().map(|r| (r.lines as f64, f(r).p99)).collect(),
                ),
            ];
            if let Some(e) = err {
                v.push(plot::Series::new(
                    "p50, `{` left open",
                    vec![(e.lines as f64, f(e).p50)],
                ));
                v.push(plot::Series::new(
                    "p99, `{` left open",
                    vec![(e.lines as f64, f(e).p99)],
                ));
            }
            v.push(plot::Series::new(
                "target p99 (5 ms)",
                vec![(200.0, 5.0), (20_000.0, 5.0)],
            ));
            v
        };
        draw(
            "protocol-keystroke-semantic-tokens.svg",
            "Keystroke → semanticTokens/full response (real server over stdio)",
            "document lines",
            "latency (ms)",
            &series(&|r| r.tokens),
            true,
            true,
        );
        draw(
            "protocol-keystroke-diagnostics.svg",
            "Keystroke → publishDiagnostics, minus the 50 ms debounce",
            "document lines",
            "latency − 50 ms (ms)",
            &series(&|r| r.diags),
            true,
            true,
        );
    }
    if let Some(m) = m {
        draw(
            "protocol-open-documents-rss.svg",
            "Server RSS with open 2,000-line documents",
            "open documents",
            "RSS (MB)",
            &[
                plot::Series::new(
                    "VmRSS",
                    std::iter::once((0.0, mb(m.docs_base_kb)))
                        .chain(m.docs.iter().map(|&(n, r, _)| (n as f64, mb(r))))
                        .collect(),
                ),
                plot::Series::new(
                    "idle (no root)",
                    vec![
                        (0.0, mb(m.idle_kb)),
                        (m.docs.last().map_or(1.0, |d| d.0 as f64), mb(m.idle_kb)),
                    ],
                ),
            ],
            false,
            false,
        );
        let files = |f: &dyn Fn(&IndexRow) -> f64| -> Vec<(f64, f64)> {
            m.index.iter().map(|x| (x.files as f64, f(x))).collect()
        };
        draw(
            "protocol-index-rss.svg",
            "Server RSS with the workspace index built",
            "files in the tree",
            "MB",
            &[
                plot::Series::new("VmRSS", files(&|x| mb(x.rss_kb))),
                plot::Series::new("VmHWM (peak)", files(&|x| mb(x.hwm_kb))),
                plot::Series::new("VmRSS − idle", files(&|x| mb(x.rss_kb) - mb(m.idle_kb))),
                plot::Series::new(
                    "target (100 MB)",
                    vec![
                        (m.index.first().map_or(1000.0, |x| x.files as f64), 100.0),
                        (m.index.last().map_or(50_000.0, |x| x.files as f64), 100.0),
                    ],
                ),
            ],
            true,
            false,
        );
    }
    if let Some(st) = st {
        let medians = |f: &dyn Fn(&StartupTree) -> &[f64]| {
            st.per_tree
                .iter()
                .map(|x| (x.files as f64, median(f(x))))
                .collect::<Vec<_>>()
        };
        draw(
            "protocol-startup.svg",
            "Start-up: initialize → first diagnostics / index end (median)",
            "files in the tree",
            "ms from initialize",
            &[
                plot::Series::new(
                    "first diagnostics of the opened document",
                    medians(&|x| &x.first),
                ),
                plot::Series::new("index progress end", medians(&|x| &x.end)),
                plot::Series::new(
                    "first diagnostics, control (no root named)",
                    medians(&|x| &x.control),
                ),
                plot::Series::new(
                    "target first diagnostics (100 ms)",
                    vec![
                        (
                            st.per_tree.first().map_or(1000.0, |x| x.files as f64),
                            100.0,
                        ),
                        (
                            st.per_tree.last().map_or(50_000.0, |x| x.files as f64),
                            100.0,
                        ),
                    ],
                ),
            ],
            true,
            true,
        );
    }
    if !written.is_empty() {
        let _ = writeln!(out, "\nplots:");
        for p in written {
            let _ = writeln!(out, "    {}", p.display());
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|a| a == "--quick");
    // `--only keystrokes,memory,startup,live` runs a subset (for profiling).
    let only: Option<Vec<String>> = args
        .iter()
        .position(|a| a == "--only")
        .and_then(|i| args.get(i + 1))
        .map(|v| v.split(',').map(str::to_owned).collect());
    let runs = |part: &str| only.as_ref().is_none_or(|o| o.iter().any(|p| p == part));
    let started = Instant::now();
    let trees: &[usize] = if quick {
        &[2_000]
    } else {
        &[1_000, 10_000, 50_000]
    };
    println!(
        "tagls over LSP stdio{} — {}",
        if quick { " (--quick)" } else { "" },
        machine()
    );
    println!(
        "binary: {} (built from {})",
        env!("CARGO_BIN_EXE_tagls"),
        source_state()
    );
    if runs("memory") || runs("startup") {
        // Generate the trees first, so that no measurement waits on it.
        for &n in trees {
            let (dir, note) = support::ensure_workspace(n);
            println!("tree: {} ({note})", dir.display());
        }
    }
    let mut out = String::new();
    let k = runs("keystrokes").then(|| bench_keystrokes(quick, &mut out));
    print!("{out}");
    out.clear();
    let m = runs("memory").then(|| bench_memory(quick, trees, &mut out));
    print!("{out}");
    out.clear();
    let st = runs("startup").then(|| bench_startup(quick, trees, &mut out));
    print!("{out}");
    out.clear();
    if runs("live") {
        bench_live(quick, &mut out);
    }
    print!("{out}");
    out.clear();
    write_plots(quick, k.as_ref(), m.as_ref(), st.as_ref(), &mut out);
    print!("{out}");
    println!(
        "\ndone in {:.1} s; load average at the end {}",
        started.elapsed().as_secs_f64(),
        support::load(3)
    );
}
