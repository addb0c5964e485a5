//! Property test: after any sequence of content changes, batched into
//! reparses, an open document equals a fresh parse of its text.
//!
//! Texts and inserted pieces come from a vocabulary of what makes incremental
//! comment tracking hard: comment openers and closers, tags with their
//! continuation lines, strings, env reads, suppressions, every kind of line
//! break and multi-byte characters. Changes arrive as a client sends them:
//! line/column ranges in UTF-8, UTF-16 or UTF-32 columns, sometimes past the
//! end of the text or inverted, sometimes replacing the whole text. The fuzz
//! target `document_edits` (server/fuzz) checks the same property without
//! the vocabulary; docs/RELIABILITY.md has the figures.
//!
//! `PROPTEST_CASES` raises the number of cases (256 by default).

use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence};
use ropey::Rope;
use tagls::document::Document;
use tagls::syntax::Language;
use tagls::tags::Registry;
use tagls::text::pos::line_col_to_offset;
use tagls::text::{Encoding, LineCol};

/// Pieces every language shares.
const COMMON: &[&str] = &[
    "\n",
    "\r\n",
    "\r",
    " ",
    "  ",
    "\t",
    "x",
    "'",
    "\"",
    "#COMPLETION_DRIVE: a",
    "#VERIFIED: b",
    "#COMPLETION_DIRVE: typo",
    "#PATH_DECISION: c #PATH_RATIONALE: d",
    "  Description: e",
    "Verification: ls x",
    "tagls: ignore-next-line",
    "tagls: ignore-file",
    "日本語",
    "😀",
    "𝄞",
    "é",
    "(",
    ")",
    "{",
    "}",
];

/// Pieces of TypeScript.
const TYPESCRIPT: &[&str] = &[
    "// ",
    "//   ",
    "/*",
    "*/",
    "/**\n * ",
    " * ",
    "`",
    "${",
    "const a = ",
    "process.env.API_KEY",
    "process.env[\"DB_URL\"]",
    "const { PORT, HOST: h } = process.env;",
    "import.meta.env.VITE_X",
    "function f() {",
    ";",
];

/// Pieces of Python.
const PYTHON: &[&str] = &[
    "# ",
    "#   ",
    "#",
    "\"\"\"",
    "'''",
    "import os\n",
    "os.environ[\"PY_VAR\"]",
    "os.environ.get('PY_GET')",
    "os.getenv(\"PY_GETENV\")",
    "def f():\n    ",
    "class C:\n    ",
    "\"\"\"#COMPLETION_DRIVE: a docstring\"\"\"\n",
    "x = ",
];

/// Pieces of Go.
const GO: &[&str] = &[
    "// ",
    "//   ",
    "/*",
    "*/",
    "`",
    "package main\n",
    "func f() {",
    "_ = os.Getenv(\"GO_VAR\")",
    "v, ok := os.LookupEnv(\"GO_LOOKUP\")",
    "var s = ",
];

/// A starting text per language with tags, continuations, suppressions and
/// env reads in place.
fn base(lang: Language) -> &'static str {
    match lang {
        Language::Python => {
            "import os\n# #COMPLETION_DRIVE: a\n#   Description: b\nx = os.environ['PY_VAR']\n# tagls: ignore-next-line\ny = \"\"\"#VERIFIED: no\"\"\"\n# 日本語 😀 #SUGGEST_VERIFY: f\r\n"
        }
        Language::Go => {
            "package main\n\n// #PATH_DECISION: a\n//   Why: b\nfunc f() { _ = os.Getenv(\"GO_VAR\") }\n/* #VERIFIED: c\n   Note: d */\n// 𝄞 #CARGO_CULT: e\r\n"
        }
        _ => {
            "// #COMPLETION_DRIVE: a\n//   Description: b\nconst s = '#VERIFIED: no' + process.env.API_KEY;\nconst { DB_URL, PORT: p } = process.env;\n/* #PATH_DECISION: c\n * Why: d */\n// tagls: ignore-next-line\n// 日本語 😀 #SUGGEST_VERIFY: f\r\n"
        }
    }
}

fn vocabulary(lang: Language) -> Vec<&'static str> {
    let own = match lang {
        Language::Python => PYTHON,
        Language::Go => GO,
        _ => TYPESCRIPT,
    };
    COMMON.iter().chain(own).copied().collect()
}

/// One content change as a client sends it.
#[derive(Clone, Debug)]
struct Change {
    /// `None` replaces the whole text.
    range: Option<(LineCol, LineCol)>,
    text: String,
    encoding: Encoding,
    /// Whether the batch ends here and the document is reparsed.
    reparse: bool,
}

/// A line or column: usually near the text, sometimes far past it.
fn coordinate(near: u32) -> impl Strategy<Value = u32> {
    prop_oneof![
        8 => 0..near,
        1 => Just(u32::MAX),
        1 => near..1 << 20,
    ]
}

fn position() -> impl Strategy<Value = LineCol> {
    (coordinate(14), coordinate(40)).prop_map(|(line, col)| LineCol { line, col })
}

fn text_from(pieces: Vec<&'static str>, len: std::ops::Range<usize>) -> BoxedStrategy<String> {
    prop::collection::vec(prop::sample::select(pieces), len)
        .prop_map(|p| p.concat())
        .boxed()
}

fn change(lang: Language) -> impl Strategy<Value = Change> {
    let encoding = prop::sample::select(vec![Encoding::Utf8, Encoding::Utf16, Encoding::Utf32]);
    let range = prop_oneof![
        1 => Just(None),
        15 => (position(), position()).prop_map(Some),
    ];
    (
        range,
        text_from(vocabulary(lang), 0..4),
        encoding,
        prop::bool::weighted(0.4),
    )
        .prop_map(|(range, text, encoding, reparse)| Change {
            range,
            text,
            encoding,
            reparse,
        })
}

/// A language, its starting text (the base text or one built from pieces)
/// and the changes.
fn scenario() -> impl Strategy<Value = (Language, String, Vec<Change>)> {
    prop::sample::select(vec![Language::TypeScript, Language::Python, Language::Go]).prop_flat_map(
        |lang| {
            let initial = prop_oneof![
                1 => Just(base(lang).to_owned()),
                1 => text_from(vocabulary(lang), 0..24),
            ];
            (
                Just(lang),
                initial,
                prop::collection::vec(change(lang), 1..20),
            )
        },
    )
}

/// What a client can observe of a document.
fn observe(doc: &Document) -> impl PartialEq + std::fmt::Debug + use<> {
    (
        doc.rope().to_string(),
        doc.tags().cloned().collect::<Vec<_>>(),
        doc.suppressions().collect::<Vec<_>>(),
        doc.env_uses().cloned().collect::<Vec<_>>(),
    )
}

/// The text after a change, computed from the position conversion alone.
fn apply_to_string(text: &mut String, change: &Change) {
    match change.range {
        None => *text = change.text.clone(),
        Some((a, b)) => {
            let rope = Rope::from_str(text);
            let a = line_col_to_offset(&rope, a, change.encoding);
            let b = line_col_to_offset(&rope, b, change.encoding);
            text.replace_range(a.min(b)..a.max(b), &change.text);
        }
    }
}

proptest! {
    #![proptest_config(Config {
        // A failure prints its minimal case; keep it as an example test or
        // as a file under tests/fixtures/fuzz-regressions/.
        failure_persistence: Some(Box::new(FileFailurePersistence::Off)),
        ..Config::default()
    })]

    #[test]
    fn incremental_parse_equals_fresh_parse((lang, initial, changes) in scenario()) {
        edits_equal_a_fresh_parse(lang, &initial, &changes);
    }
}

/// Applies `changes` to a document of `initial` text, reparsing where they
/// say and after the last, and compares it with a fresh parse each time.
fn edits_equal_a_fresh_parse(lang: Language, initial: &str, changes: &[Change]) {
    let registry = Registry::builtin();
    let mut parser = lang.parser();
    let mut doc = Document::new(lang, initial, &mut parser, &registry);
    let mut expected = initial.to_owned();
    let last = changes.len() - 1;
    for (i, change) in changes.iter().enumerate() {
        doc.apply_change(change.range, &change.text, change.encoding);
        apply_to_string(&mut expected, change);
        if !change.reparse && i != last {
            continue;
        }
        doc.reparse(&mut parser, &registry);
        assert_eq!(doc.rope().to_string(), expected, "after change {i}");
        let fresh = Document::new(lang, &expected, &mut lang.parser(), &registry);
        assert_eq!(observe(&doc), observe(&fresh), "after change {i}");
    }
}

/// Found by the property above: an unclosed Python `'''` string before a
/// comment. tree-sitter's incremental parse kept the comment, and with it a
/// tag, that a fresh parse of the same text does not have.
#[test]
fn an_unclosed_python_string_before_a_comment() {
    let at = |line, col| LineCol { line, col };
    let change = |from, to, text: &str, reparse| Change {
        range: Some((from, to)),
        text: text.to_owned(),
        encoding: Encoding::Utf8,
        reparse,
    };
    edits_equal_a_fresh_parse(
        Language::Python,
        "tagls: ignore-next-line",
        &[
            change(
                at(0, 14),
                at(0, 14),
                "'''tagls: ignore-next-line#COMPLETION_DRIVE: a",
                true,
            ),
            change(at(0, u32::MAX), at(1, 0), "\r#COMPLETION_DRIVE: a", false),
            change(at(1, 18), at(2, 0), "os.environ.get('PY_GET')", false),
        ],
    );
}
