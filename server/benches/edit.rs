//! Edit latency on a large TypeScript document.
//!
//! Target: for a 20,000-line TypeScript file, a one-character edit followed by
//! the incremental reparse and the tag recomputation has p50 < 2.5 ms and
//! p99 < 5 ms, and is at least 10x faster than a full reparse of the same
//! file, measured in the same run.
//!
//! Run with `cargo bench -p tagls --bench edit` (add `-- --quick` for a smoke
//! run with fewer iterations). Plain std, no harness: it prints a table.
//!
//! Every timed edit is `Document::edit_bytes` + `Document::reparse` +
//! `findings::for_tags(doc.tags(), ..)` collected into a `Vec`, which is what
//! the server does for one keystroke before it publishes diagnostics. Edits
//! come in pairs (insert a character then delete it, or delete one then put
//! it back), so the document does not drift and every edit site stays valid.

#[path = "support.rs"]
mod support;

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use tagls::document::Document;
use tagls::findings::{self, Finding};
use tagls::syntax::Language;
use tagls::tags::Registry;
use tree_sitter::{InputEdit, Parser, Point, Tree};

use support::{ClassShape, Gen, Rng, Spacing, Stmt, Style, Words, max, pct};

const LINES: usize = 20_000;

// ---------------------------------------------------------------------------
// The document
// ---------------------------------------------------------------------------

/// What follows `#NAME: ` in the tags (`support::Words` has the other words).
const PAYLOADS: &[&str] = &[
    "Assuming UserService exists at src/services/user.service.ts",
    "Assuming JWT_SECRET in environment variables",
    "Assuming the API returns {token, user} — vérifié à la main",
    "copied retry loop from the payments module",
    "this should handle network timeouts (fetch can reject)",
    "check that the cache key includes the tenant id",
    "kept the callback style for compatibility with v1 clients",
    "日本語のテキストを含むペイロード",
    "reads config from ./config/default.json at startup",
    "Assuming Redis is reachable at REDIS_URL 🚀",
];
const CONTINUATIONS: &[&str] = &[
    "Description: the service is injected by the container",
    "Verification: ls src/services/user.service.ts",
    "Lines affected: 12, 40-52",
    "Why: the old path loses events under load",
    "Risk: medium — naïve fallback if the env var is missing",
    "Owner: platform team",
];

/// About one tag per 40 lines, with 0 to 3 continuation lines, some of them
/// in JSDoc comments.
const STYLE: Style = Style {
    spacing: Spacing::Drawn {
        first: 35,
        gap: 30..51,
    },
    continuations: 4,
    tags_in_jsdoc: true,
    prose_each_statement: true,
    statements: &[
        Stmt::Load,
        Stmt::Throw,
        Stmt::Colour(&["FFFFFF", "ff8800", "fff", "1e1e1e"], ""),
        Stmt::LineComment,
        Stmt::Loop,
        Stmt::TagInString("in a string, not a tag"),
        Stmt::TryCatch,
        Stmt::FilterMap,
        Stmt::Spread,
        Stmt::IssueRef,
        Stmt::BlockComment,
        Stmt::Return,
    ],
    class: ClassShape {
        fields: 2..6,
        blank_after_fields: true,
        methods: 3..9,
        statements: 3..11,
    },
    function: 3..13,
};

fn interface(g: &mut Gen) {
    let name = g.type_name();
    g.maybe_tag(0);
    g.line(0, &format!("export interface {name} {{"));
    for _ in 0..g.count(3..9) {
        let f = g.ident();
        let t = g.rng.pick(&g.words.types);
        if g.rng.chance(30) {
            let p = g.rng.pick(&g.words.prose);
            g.line(1, &format!("/** {p} */"));
        }
        g.line(1, &format!("{f}?: {t};"));
    }
    g.line(0, "}");
    g.line(0, "");
}

fn config(g: &mut Gen) {
    let name = g.ident();
    g.maybe_tag(0);
    g.line(0, &format!("export const {name}Theme = {{"));
    for _ in 0..g.count(3..8) {
        let f = g.ident();
        let colour = format!("#{:06x}", g.rng.next() & 0xff_ffff);
        g.line(1, &format!("{f}: '{colour}', // colour, not a tag"));
    }
    g.line(1, "label: 'Café ☕ — #1 choice',");
    g.line(0, "} as const;");
    g.line(0, "");
}

/// A realistic TypeScript file of exactly `lines` lines (plus or minus a
/// few), the same on every run.
fn generate(lines: usize) -> (String, usize) {
    let words = Words::new(PAYLOADS, CONTINUATIONS);
    let mut g = Gen::new(
        Rng::from_state(0x5eed_1234_abcd_ef01),
        words,
        STYLE,
        lines * 45,
    );
    g.line(
        0,
        "// Generated for the edit benchmark: not real code, but shaped like it.",
    );
    g.line(
        0,
        "// #PATH_DECISION: one big module so the benchmark measures the worst case",
    );
    g.line(
        0,
        "//   Why: editors open such files; the server must stay responsive",
    );
    for i in 0..40 {
        let a = g.type_name();
        let b = g.ident();
        g.line(
            0,
            &format!(
                "import {{ {a}, {b} }} from '@/services/{}{i}.service';",
                g.words.nouns[i % g.words.nouns.len()]
            ),
        );
    }
    g.line(0, "import type { Deps } from '@/core/deps';");
    g.line(0, "");
    // Large items while there is room for the largest, then small ones, then
    // blank lines: exactly `lines` lines, all of them whole declarations.
    while g.lines < lines - 500 {
        match g.rng.below(10) {
            0..=3 => g.class(),
            4..=6 => g.function(),
            7 | 8 => interface(&mut g),
            _ => config(&mut g),
        }
    }
    while g.lines < lines - 20 {
        if g.rng.chance(50) {
            interface(&mut g)
        } else {
            config(&mut g)
        }
    }
    while g.lines < lines {
        g.line(0, "");
    }
    let tags = g.tags + 1;
    (g.out, tags)
}

// ---------------------------------------------------------------------------
// Edit sites
// ---------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Site {
    TagName,
    TagPayload,
    Comment,
    Code,
}

/// One pair of edits at `at`: insert `ch` then delete it, or (when `ch` is
/// `None`) delete the one-byte character there and put it back.
#[derive(Clone, Copy, Debug)]
struct Pair {
    kind: Site,
    at: usize,
    ch: Option<char>,
}

/// Positions of ASCII alphanumerics, classified by what they are inside.
fn sites(
    text: &str,
    doc: &Document,
    rng: &mut Rng,
    pairs: usize,
    avoid: Option<(usize, usize)>,
) -> Vec<Pair> {
    let tree = doc.tree().expect("parsed");
    let bytes = text.as_bytes();
    let mut names = Vec::new();
    let mut payloads = Vec::new();
    let mut in_tags = std::collections::HashSet::new();
    for t in doc.tags() {
        // Inside the name, after `#` and before `:`.
        names.extend(t.name_range.start + 2..t.name_range.end - 1);
        in_tags.extend(t.name_range.start..t.payload_range.end);
        let payload = t.payload_range.start..t.payload_range.end;
        payloads.extend(payload.filter(|&o| bytes[o].is_ascii_alphanumeric()));
    }
    let mut comments = Vec::new();
    let mut code = Vec::new();
    while comments.len() < 4 * pairs || code.len() < 4 * pairs {
        let o = rng.below(bytes.len());
        if !bytes[o].is_ascii_alphanumeric() {
            continue;
        }
        let node = tree
            .root_node()
            .descendant_for_byte_range(o, o + 1)
            .expect("node");
        if node.kind() == "comment" {
            if !in_tags.contains(&o) {
                comments.push(o);
            }
        } else {
            code.push(o);
        }
    }
    let mut out = Vec::with_capacity(pairs);
    let inserts = ['x', 'e', '_', '1', ' ', 'é'];
    while out.len() < pairs {
        let (kind, list) = match rng.below(100) {
            0..=9 => (Site::TagName, &names),
            10..=34 => (Site::TagPayload, &payloads),
            35..=59 => (Site::Comment, &comments),
            _ => (Site::Code, &code),
        };
        let at = list[rng.below(list.len())];
        if let Some((lo, hi)) = avoid
            && (lo..hi).contains(&at)
        {
            continue;
        }
        let ch = if rng.chance(50) {
            Some(inserts[rng.below(inserts.len())])
        } else {
            None
        };
        out.push(Pair { kind, at, ch });
    }
    out
}

/// The edits of a pair, as (start, old_end, inserted text).
fn pair_edits(text: &str, p: Pair) -> [(usize, usize, String); 2] {
    match p.ch {
        Some(c) => [
            (p.at, p.at, c.to_string()),
            (p.at, p.at + c.len_utf8(), String::new()),
        ],
        None => {
            let c = text[p.at..].chars().next().expect("char");
            [
                (p.at, p.at + c.len_utf8(), String::new()),
                (p.at, p.at, c.to_string()),
            ]
        }
    }
}

// ---------------------------------------------------------------------------
// Measurement
// ---------------------------------------------------------------------------

#[derive(Default)]
struct Samples {
    total: Vec<Duration>,
    edit: Vec<Duration>,
    reparse: Vec<Duration>,
    findings: Vec<Duration>,
}

/// One timed edit: edit + reparse + findings.
fn timed_edit(
    doc: &mut Document,
    parser: &mut Parser,
    reg: &Registry,
    (start, end, text): &(usize, usize, String),
    s: &mut Samples,
) -> Vec<Finding> {
    let t0 = Instant::now();
    doc.edit_bytes(*start, *end, text);
    let t1 = Instant::now();
    doc.reparse(parser, reg);
    let t2 = Instant::now();
    let f = findings::for_tags(doc.tags(), reg);
    let t3 = Instant::now();
    s.edit.push(t1 - t0);
    s.reparse.push(t2 - t1);
    s.findings.push(t3 - t2);
    s.total.push(t3 - t0);
    f
}

/// Runs the pairs on `doc` (whose text is `text`) and returns the samples,
/// overall and by kind of site.
fn run_pairs(
    doc: &mut Document,
    text: &str,
    parser: &mut Parser,
    reg: &Registry,
    pairs: &[Pair],
) -> (Samples, Vec<(Site, Samples)>) {
    let mut all = Samples::default();
    let mut by_kind: Vec<(Site, Samples)> =
        [Site::TagName, Site::TagPayload, Site::Comment, Site::Code]
            .into_iter()
            .map(|k| (k, Samples::default()))
            .collect();
    let mut published = 0usize;
    for &p in pairs {
        for e in pair_edits(text, p) {
            let mut one = Samples::default();
            let f = timed_edit(doc, parser, reg, &e, &mut one);
            published += f.len();
            std::hint::black_box(&f);
            let slot = &mut by_kind
                .iter_mut()
                .find(|(k, _)| *k == p.kind)
                .expect("kind")
                .1;
            for (dst, src) in [
                (&mut all.total, &one.total),
                (&mut all.edit, &one.edit),
                (&mut all.reparse, &one.reparse),
                (&mut all.findings, &one.findings),
                (&mut slot.total, &one.total),
            ] {
                dst.extend_from_slice(src);
            }
        }
    }
    std::hint::black_box(published);
    (all, by_kind)
}

/// The tree-sitter floor: the same edits on a `String`, with `Tree::edit`,
/// an incremental `parse` and `changed_ranges`, and nothing of tagls.
/// Returns (total, parse, changed_ranges) per edit.
fn ts_floor(text: &str, lang: Language, pairs: &[Pair]) -> [Vec<Duration>; 3] {
    let mut parser = lang.parser();
    let mut s = text.to_owned();
    let mut tree: Tree = parser.parse(&s, None).expect("parse");
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    // Points in the original text; edits never cross a line break and the
    // text returns to the original after each pair.
    let point = |o: usize| {
        let row = line_starts.partition_point(|&l| l <= o) - 1;
        Point::new(row, o - line_starts[row])
    };
    let mut out = Vec::with_capacity(pairs.len() * 2);
    let mut parse = Vec::with_capacity(pairs.len() * 2);
    let mut ranges = Vec::with_capacity(pairs.len() * 2);
    for &p in pairs {
        for (start, end, ins) in pair_edits(text, p) {
            let t0 = Instant::now();
            let sp = point(start);
            let new_end = start + ins.len();
            let ep = Point::new(sp.row, sp.column + (end - start));
            let np = Point::new(sp.row, sp.column + ins.len());
            s.replace_range(start..end, &ins);
            tree.edit(&InputEdit {
                start_byte: start,
                old_end_byte: end,
                new_end_byte: new_end,
                start_position: sp,
                old_end_position: ep,
                new_end_position: np,
            });
            let t1 = Instant::now();
            let new = parser.parse(&s, Some(&tree)).expect("parse");
            let t2 = Instant::now();
            let n = tree.changed_ranges(&new).count();
            let t3 = Instant::now();
            std::hint::black_box(n);
            tree = new;
            out.push(t3 - t0);
            parse.push(t2 - t1);
            ranges.push(t3 - t2);
        }
    }
    assert_eq!(s, text);
    [out, parse, ranges]
}

fn machine() -> String {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    format!(
        "{} CPUs, {}{}; {}; load average at start {}",
        support::cpus(),
        support::cpu_model(),
        support::cpu_mhz(),
        support::version(&rustc, "rustc (unknown)"),
        support::load(1)
    )
}

fn row(out: &mut String, name: &str, n: usize, v: &[Duration]) {
    let slow = v.iter().filter(|d| **d > Duration::from_millis(5)).count();
    let _ = writeln!(
        out,
        "{name:<52} {n:>6} {:>10.0} {:>10.0} {:>10.0} {slow:>7}",
        pct(v, 50.0),
        pct(v, 99.0),
        max(v)
    );
}

fn breakdown(out: &mut String, s: &Samples) {
    for (name, v) in [
        ("    of which edit_bytes", &s.edit),
        ("    of which reparse (parse + rescan)", &s.reparse),
        ("    of which findings::for_tags", &s.findings),
    ] {
        row(out, name, v.len(), v);
    }
}

/// Checks that the incremental document equals a fresh parse of its text.
fn check_same(doc: &Document, lang: Language, reg: &Registry, what: &str) {
    let text = doc.rope().to_string();
    let mut p = lang.parser();
    let fresh = Document::new(lang, &text, &mut p, reg);
    let a: Vec<_> = doc.tags().collect();
    let b: Vec<_> = fresh.tags().collect();
    assert!(a == b, "{what}: incremental tags differ from a fresh parse");
}

/// A syntax error typed into the clean document and left there while the
/// user edits elsewhere.
#[derive(Clone, Copy, Debug)]
struct ErrorCase {
    name: &'static str,
    start: usize,
    old_end: usize,
    insert: &'static str,
}

/// `per_kind` places for each kind of error, in the middle half of the file.
fn error_cases(text: &str, rng: &mut Rng, per_kind: usize) -> Vec<ErrorCase> {
    let lo = text.len() / 4;
    let hi = 3 * text.len() / 4;
    // (name, pattern to find, offset of the edit in the match, bytes removed, text inserted)
    let kinds: [(&str, &str, usize, usize, &str); 5] = [
        (
            "unclosed `{` before a top-level export",
            "\nexport ",
            1,
            0,
            "{",
        ),
        (
            "unclosed `{` after a statement in a method",
            ";\n    ",
            1,
            0,
            " {",
        ),
        ("unclosed `(` in an expression", " = await ", 3, 0, "("),
        ("deleted `}` closing a method", "\n  }\n", 3, 1, ""),
        ("unclosed template literal", "const ", 6, 0, "`"),
    ];
    let mut out = Vec::new();
    for (name, pat, off, del, insert) in kinds {
        let found: Vec<usize> = text[lo..hi]
            .match_indices(pat)
            .map(|(i, _)| lo + i + off)
            .collect();
        assert!(!found.is_empty(), "no place for {name}");
        for k in 0..per_kind {
            // Spread the places out, with some jitter.
            let slot = found.len() * (2 * k + 1) / (2 * per_kind);
            let j = (slot + rng.below(5)).min(found.len() - 1);
            let start = found[j];
            out.push(ErrorCase {
                name,
                start,
                old_end: start + del,
                insert,
            });
        }
    }
    out
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    // (full parses, clean pairs, places per error kind, pairs per place, pairs with `/*` open)
    let (full_n, pairs_n, places, err_pairs_n, open_n) = if quick {
        (5, 100, 1, 20, 20)
    } else {
        (30, 1000, 2, 100, 150)
    };
    let lang = Language::TypeScript;
    let reg = Registry::builtin();
    let (text, generated_tags) = generate(LINES);
    let mut parser = lang.parser();

    let mut out = String::new();
    let _ = writeln!(
        out,
        "tagls edit benchmark{}",
        if quick { " (--quick)" } else { "" }
    );
    let _ = writeln!(out, "machine: {}", machine());

    // --- full parse -------------------------------------------------------
    let mut full = Vec::new();
    let mut full_ts = Vec::new();
    let mut doc = Document::new(lang, &text, &mut parser, &reg); // warm-up
    for _ in 0..full_n {
        let t0 = Instant::now();
        let d = Document::new(lang, &text, &mut parser, &reg);
        let f = findings::for_tags(d.tags(), &reg);
        full.push(t0.elapsed());
        std::hint::black_box((d, f));
        let t0 = Instant::now();
        let t = parser.parse(&text, None);
        full_ts.push(t0.elapsed());
        std::hint::black_box(t);
    }
    let ntags = doc.tags().count();
    let nfindings = findings::for_tags(doc.tags(), &reg).len();
    let nlines = text.lines().count();
    let _ = writeln!(
        out,
        "document: {nlines} lines, {} bytes, {} chars, {ntags} tags ({generated_tags} generated), {nfindings} findings, one tag per {} lines",
        text.len(),
        text.chars().count(),
        nlines / ntags.max(1)
    );
    assert!(
        !doc.tree().expect("tree").root_node().has_error(),
        "the generated file must parse cleanly"
    );

    // --- incremental, clean document -------------------------------------
    let mut rng = Rng::from_state(0x0bad_cafe_1234_5678);
    let pairs = sites(&text, &doc, &mut rng, pairs_n, None);
    // Warm-up on a few pairs, then the measured run.
    let _ = run_pairs(
        &mut doc,
        &text,
        &mut parser,
        &reg,
        &pairs[..pairs.len().min(20)],
    );
    let (clean, clean_by_kind) = run_pairs(&mut doc, &text, &mut parser, &reg, &pairs);
    assert_eq!(
        doc.rope().to_string(),
        text,
        "the edits must not drift the document"
    );
    check_same(&doc, lang, &reg, "clean");
    let [floor, floor_parse, floor_ranges] = ts_floor(&text, lang, &pairs);

    // --- incremental, with a syntax error left open ----------------------
    let mut err = Samples::default();
    let mut err_by_case: Vec<(&str, Vec<Duration>)> = Vec::new();
    let mut err_floor = Vec::new();
    let mut err_floor_parse = Vec::new();
    let mut err_floor_ranges = Vec::new();
    let mut typing_error = Vec::new();
    let mut removing_error = Vec::new();
    for case in error_cases(&text, &mut rng, places) {
        let mut s = Samples::default();
        let removed = text[case.start..case.old_end].to_owned();
        timed_edit(
            &mut doc,
            &mut parser,
            &reg,
            &(case.start, case.old_end, case.insert.to_owned()),
            &mut s,
        );
        typing_error.extend(s.total);
        let broken = doc.rope().to_string();
        assert!(
            doc.tree().expect("tree").root_node().has_error(),
            "{} must be a syntax error",
            case.name
        );
        let avoid = (case.start.saturating_sub(200), case.start + 200);
        let err_pairs = sites(&broken, &doc, &mut rng, err_pairs_n, Some(avoid));
        let (e, _) = run_pairs(&mut doc, &broken, &mut parser, &reg, &err_pairs);
        assert_eq!(doc.rope().to_string(), broken);
        check_same(&doc, lang, &reg, case.name);
        let [f, fp, fr] = ts_floor(&broken, lang, &err_pairs);
        err_floor.extend(f);
        err_floor_parse.extend(fp);
        err_floor_ranges.extend(fr);
        match err_by_case.iter_mut().find(|(n, _)| *n == case.name) {
            Some((_, v)) => v.extend_from_slice(&e.total),
            None => err_by_case.push((case.name, e.total.clone())),
        }
        err.total.extend(e.total);
        err.edit.extend(e.edit);
        err.reparse.extend(e.reparse);
        err.findings.extend(e.findings);
        let mut s = Samples::default();
        timed_edit(
            &mut doc,
            &mut parser,
            &reg,
            &(case.start, case.start + case.insert.len(), removed),
            &mut s,
        );
        removing_error.extend(s.total);
        assert_eq!(doc.rope().to_string(), text);
    }

    // --- a typo in a keyword, on the clean document ----------------------
    // Deleting the `o` of `for (const x of y)` and typing it again: a local
    // error for which tree-sitter's recovery reparses much of the file.
    let mut typo = Vec::new();
    let typo_places: Vec<usize> = text
        .match_indices(" of ")
        .map(|(i, _)| i + 1)
        .step_by(7)
        .take(if quick { 2 } else { 10 })
        .collect();
    for &at in &typo_places {
        let p = Pair {
            kind: Site::Code,
            at,
            ch: None,
        };
        for e in pair_edits(&text, p) {
            let mut s = Samples::default();
            timed_edit(&mut doc, &mut parser, &reg, &e, &mut s);
            typo.extend(s.total);
        }
    }
    assert_eq!(doc.rope().to_string(), text);
    check_same(&doc, lang, &reg, "keyword typo");

    // --- incremental, with an unclosed `/*` in the middle ----------------
    // Everything after it is one comment: the worst case for the rescan.
    let mid = text[text.len() / 2..]
        .find("\nexport ")
        .map(|i| text.len() / 2 + i + 1)
        .expect("mid");
    doc.edit_bytes(mid, mid, "/*");
    doc.reparse(&mut parser, &reg);
    let open = doc.rope().to_string();
    let open_pairs = sites(
        &open,
        &doc,
        &mut rng,
        open_n,
        Some((mid.saturating_sub(200), mid + 200)),
    );
    let (open_s, _) = run_pairs(&mut doc, &open, &mut parser, &reg, &open_pairs);
    assert_eq!(doc.rope().to_string(), open);
    check_same(&doc, lang, &reg, "open comment");

    // --- report ----------------------------------------------------------
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "{:<52} {:>6} {:>10} {:>10} {:>10} {:>7}",
        "case (times in µs)", "n", "p50", "p99", "max", ">5 ms"
    );
    row(
        &mut out,
        "full: Document::new + findings",
        full.len(),
        &full,
    );
    row(
        &mut out,
        "  (tree-sitter parse alone, from a &str)",
        full_ts.len(),
        &full_ts,
    );
    row(
        &mut out,
        "incremental: edit + reparse + findings",
        clean.total.len(),
        &clean.total,
    );
    breakdown(&mut out, &clean);
    for (k, s) in &clean_by_kind {
        row(&mut out, &format!("    at {k:?}"), s.total.len(), &s.total);
    }
    row(
        &mut out,
        "  (tree-sitter alone: edit + parse + changed_ranges)",
        floor.len(),
        &floor,
    );
    row(
        &mut out,
        "    of which parse",
        floor_parse.len(),
        &floor_parse,
    );
    row(
        &mut out,
        "    of which changed_ranges",
        floor_ranges.len(),
        &floor_ranges,
    );
    row(
        &mut out,
        "syntax error left open: edit + reparse + findings",
        err.total.len(),
        &err.total,
    );
    breakdown(&mut out, &err);
    for (name, v) in &err_by_case {
        row(&mut out, &format!("    {name}"), v.len(), v);
    }
    row(
        &mut out,
        "  (tree-sitter alone, same edits)",
        err_floor.len(),
        &err_floor,
    );
    row(
        &mut out,
        "    of which parse",
        err_floor_parse.len(),
        &err_floor_parse,
    );
    row(
        &mut out,
        "    of which changed_ranges",
        err_floor_ranges.len(),
        &err_floor_ranges,
    );
    row(
        &mut out,
        "clean, typo in `of` (delete `o`, type it again)",
        typo.len(),
        &typo,
    );
    row(
        &mut out,
        "typing the syntax error (one edit)",
        typing_error.len(),
        &typing_error,
    );
    row(
        &mut out,
        "removing it again (one edit)",
        removing_error.len(),
        &removing_error,
    );
    row(
        &mut out,
        "unclosed `/*` left open: edit + reparse + findings",
        open_s.total.len(),
        &open_s.total,
    );
    breakdown(&mut out, &open_s);

    let full50 = pct(&full, 50.0);
    let inc50 = pct(&clean.total, 50.0);
    let inc99 = pct(&clean.total, 99.0);
    let err50 = pct(&err.total, 50.0);
    let err99 = pct(&err.total, 99.0);
    let verdict = |ok: bool| if ok { "PASS" } else { "MISS" };
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "ratio full_p50 / incremental_p50:   {:>8.1}x",
        full50 / inc50
    );
    let _ = writeln!(
        out,
        "ratio full_p50 / syntax-error_p50:  {:>8.1}x",
        full50 / err50
    );
    let _ = writeln!(out);
    let _ = writeln!(out, "targets, clean document:");
    let _ = writeln!(
        out,
        "  p50 < 2500 µs          {inc50:>8.0} µs  {}",
        verdict(inc50 < 2500.0)
    );
    let _ = writeln!(
        out,
        "  p99 < 5000 µs          {inc99:>8.0} µs  {}",
        verdict(inc99 < 5000.0)
    );
    let _ = writeln!(
        out,
        "  >= 10x faster than full {:>7.1}x     {}",
        full50 / inc50,
        verdict(full50 / inc50 >= 10.0)
    );
    let _ = writeln!(out, "same targets, document with a syntax error left open:");
    let _ = writeln!(
        out,
        "  p50 < 2500 µs          {err50:>8.0} µs  {}",
        verdict(err50 < 2500.0)
    );
    let _ = writeln!(
        out,
        "  p99 < 5000 µs          {err99:>8.0} µs  {}",
        verdict(err99 < 5000.0)
    );
    let _ = writeln!(
        out,
        "  >= 10x faster than full {:>7.1}x     {}",
        full50 / err50,
        verdict(full50 / err50 >= 10.0)
    );
    print!("{out}");
}
