//! The checks behind the fuzz targets: each one decodes raw bytes into an
//! input for one parser that sees user text, runs it, and asserts properties
//! that hold for every input (ranges slice the text they came from, nothing
//! the user wrote is lost, an incremental parse equals a fresh one).
//!
//! The same file is compiled into the regression test
//! (`tests/fuzz_regressions.rs`), so a crashing input kept under
//! `tests/fixtures/fuzz-regressions/` replays through exactly the check that
//! found it. It therefore depends only on crates tagls itself depends on.

use std::path::Path;

use ropey::Rope;
use tagls::config::{ConfigFile, Settings};
use tagls::document::Document;
use tagls::log::write::{self, NewEntry};
use tagls::resolve::refs::{self, RefKind};
use tagls::syntax::{CommentStyle, Language};
use tagls::tags::scan::{content_lines, scan_lines};
use tagls::tags::{Registry, Tag};
use tagls::text::pos::{line_col_to_offset, offset_to_line_col};
use tagls::text::{Encoding, LineCol, TextRange};
use tagls::workspace::envfile;

/// A check: runs one input and panics when a property does not hold.
pub type Check = fn(&[u8]);

/// The targets, by the name used for `cargo fuzz run` and for regression
/// files (`<target>-<short>.bin`).
pub const TARGETS: &[(&str, Check)] = &[
    ("tags", tags),
    ("document_edits", document_edits),
    ("refs", refs),
    ("log", log),
    ("envfile", envfile),
    ("positions", positions),
    ("config", config),
    ("thresholds", thresholds),
];

/// Reads structured values out of fuzzer bytes. Running out of bytes reads
/// zeros, so every byte string is a valid input.
struct Input<'a> {
    data: &'a [u8],
}

impl<'a> Input<'a> {
    fn new(data: &'a [u8]) -> Self {
        Input { data }
    }

    fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    fn byte(&mut self) -> u8 {
        let Some((&b, rest)) = self.data.split_first() else {
            return 0;
        };
        self.data = rest;
        b
    }

    fn take(&mut self, n: usize) -> &'a [u8] {
        let (head, rest) = self.data.split_at(n.min(self.data.len()));
        self.data = rest;
        head
    }

    /// Text of up to 255 bytes, with invalid UTF-8 replaced.
    fn short_text(&mut self) -> String {
        let n = self.byte() as usize;
        String::from_utf8_lossy(self.take(n)).into_owned()
    }

    /// Text of up to 64 KiB, with invalid UTF-8 replaced.
    fn long_text(&mut self) -> String {
        let n = u16::from_le_bytes([self.byte(), self.byte()]) as usize;
        String::from_utf8_lossy(self.take(n)).into_owned()
    }

    /// All remaining bytes as text.
    fn rest_text(&mut self) -> String {
        let rest = std::mem::take(&mut self.data);
        String::from_utf8_lossy(rest).into_owned()
    }

    fn encoding(&mut self) -> Encoding {
        [Encoding::Utf8, Encoding::Utf16, Encoding::Utf32][self.byte() as usize % 3]
    }

    /// A position that is usually near the text and sometimes far past it.
    fn line_col(&mut self) -> LineCol {
        let line = match self.byte() {
            0xff => u32::MAX,
            0xfe => 1 << 20,
            b => u32::from(b % 24),
        };
        let col = match self.byte() {
            0xff => u32::MAX,
            0xfe => 1 << 20,
            b => u32::from(b % 96),
        };
        LineCol { line, col }
    }

    /// Text to insert: a piece of the vocabulary, or raw bytes.
    fn piece(&mut self) -> String {
        let b = self.byte();
        if b < 0x80 {
            VOCABULARY[b as usize % VOCABULARY.len()].to_owned()
        } else {
            let n = (b & 0x7f) as usize;
            String::from_utf8_lossy(self.take(n)).into_owned()
        }
    }
}

/// Pieces of text that change how a document parses: comment openers and
/// closers, tags and their continuation lines, string quotes, env reads,
/// suppressions, line breaks of each kind and multi-byte characters.
pub const VOCABULARY: &[&str] = &[
    "// ",
    "/*",
    "*/",
    "/**\n * ",
    " * ",
    "# ",
    "#",
    "#COMPLETION_DRIVE: x",
    "#VERIFIED: y",
    "#COMPLETION_DIRVE: typo",
    "#PATH_DECISION: sqlite #PATH_RATIONALE: small",
    "  Description: d",
    "//   Verification: ls x\n",
    "#   Note: n\n",
    "\n",
    "\r\n",
    "\r",
    " ",
    "\t",
    "'",
    "\"",
    "`",
    "\"\"\"",
    "${",
    "}",
    "{",
    "(",
    ")",
    ";",
    "process.env.API_KEY",
    "process.env[\"DB_URL\"]",
    "const { PORT, HOST: h } = process.env;\n",
    "import.meta.env.VITE_X",
    "os.Getenv(\"GO_VAR\")",
    "os.environ[\"PY_VAR\"]",
    "os.environ.get('PY_GET')",
    "os.getenv(\"PY_GETENV\")",
    "import os\n",
    "package main\n",
    "func f() {\n",
    "def f():\n    ",
    "function g() {\n",
    "x = 1\n",
    "// tagls: ignore-next-line\n",
    "# tagls: ignore-file\n",
    "/* tagls: ignore-next-line */",
    "日本語",
    "😀",
    "𝄞",
    "é",
    "\u{feff}",
    "\u{2028}",
    "\u{c}",
];

/// `tags`: comment text scanned in each style.
///
/// Input: one byte of options (the style, and where the block starts in its
/// document), then the comments of one block, separated by NUL bytes. The
/// comments are laid out one per line in a virtual document.
///
/// Checked: every content line and every tag range slices the document to
/// the text it reports, tags come in document order, and `known` agrees with
/// the registry.
pub fn tags(data: &[u8]) {
    let mut input = Input::new(data);
    let opts = input.byte();
    let style = if opts & 1 == 0 {
        CommentStyle::CFamily
    } else {
        CommentStyle::Hash
    };
    let lead = " ".repeat((opts >> 1) as usize % 16);
    let text = input.rest_text();
    let mut doc = lead.clone();
    let mut comments = Vec::new();
    for c in text.split('\0') {
        comments.push((doc.len(), c));
        doc.push_str(c);
        doc.push('\n');
    }
    let registry = Registry::builtin();
    let mut lines = Vec::new();
    for &(offset, comment) in &comments {
        for line in content_lines(style, comment, offset) {
            assert!(
                !line.text.contains(['\n', '\r']),
                "a content line holds a line break: {line:?}"
            );
            let end = line.offset + line.text.len();
            assert_eq!(
                doc.get(line.offset..end),
                Some(line.text),
                "content line {line:?} does not slice the comment {comment:?}"
            );
            assert!(
                line.offset >= offset && end <= offset + comment.len(),
                "content line {line:?} lies outside its comment at {offset}"
            );
            lines.push(line);
        }
    }
    let found = scan_lines(&lines, &registry);
    check_tags(&doc, &found, &registry);
}

/// Tag ranges slice `doc` to the text the tag reports.
fn check_tags<'a>(doc: &str, tags: impl IntoIterator<Item = &'a Tag>, registry: &Registry) {
    let mut last = 0;
    for t in tags {
        let slice = |r: TextRange| {
            assert!(r.start <= r.end, "inverted range {r:?} in {t:?}");
            doc.get(r.start..r.end)
                .unwrap_or_else(|| panic!("range {r:?} does not slice the text: {t:?}"))
        };
        assert!(
            t.name_range.start >= last,
            "tags out of order at {t:?} (previous at {last})"
        );
        last = t.name_range.start;
        assert_eq!(slice(t.name_range), format!("#{}:", t.name));
        assert_eq!(slice(t.payload_range), t.payload);
        assert_eq!(t.payload, t.payload.trim(), "payload not trimmed: {t:?}");
        assert!(t.payload_range.start >= t.name_range.end);
        assert_eq!(t.known, registry.get(&t.name).is_some(), "{t:?}");
        for line in &t.continuation {
            assert_eq!(slice(line.range), line.text);
            assert!(!line.text.is_empty() && line.text == line.text.trim());
            assert!(line.range.start > t.name_range.start, "{t:?}");
            if let Some(key) = line.key {
                assert_eq!(key.start, line.range.start, "{t:?}");
                let k = slice(key);
                assert!(k.ends_with(':') && line.text.starts_with(k), "{t:?}");
            }
        }
    }
}

/// `document_edits`: an open document under a random sequence of content
/// changes, as a client would send them.
///
/// Input: a language, an initial text, then changes: an options byte (the
/// encoding, a whole-text replacement one time in eight, whether a reparse
/// follows), a range of two positions that may lie past the end of the text
/// or be inverted, and the text to insert.
///
/// Checked: after every reparse the document's text, tags, suppressions and
/// env uses equal those of a fresh parse of the same text.
pub fn document_edits(data: &[u8]) {
    let mut input = Input::new(data);
    let lang = Language::ALL[input.byte() as usize % Language::ALL.len()];
    let initial = input.long_text();
    let registry = Registry::builtin();
    let mut parser = lang.parser();
    let mut doc = Document::new(lang, &initial, &mut parser, &registry);
    let mut expected = initial;
    assert_matches_fresh(&doc, &expected, &registry);
    let mut pending = false;
    while !input.is_empty() {
        let op = input.byte();
        let enc = [Encoding::Utf8, Encoding::Utf16, Encoding::Utf32][op as usize % 3];
        let range = if (op >> 2) & 7 == 0 {
            None
        } else {
            Some((input.line_col(), input.line_col()))
        };
        let text = input.piece();
        // The expected text, computed through the position conversion alone.
        match range {
            None => expected = text.clone(),
            Some((a, b)) => {
                let rope = Rope::from_str(&expected);
                let a = line_col_to_offset(&rope, a, enc);
                let b = line_col_to_offset(&rope, b, enc);
                expected.replace_range(a.min(b)..a.max(b), &text);
            }
        }
        doc.apply_change(range, &text, enc);
        pending = true;
        if op & 0x20 != 0 {
            doc.reparse(&mut parser, &registry);
            assert_matches_fresh(&doc, &expected, &registry);
            pending = false;
        }
    }
    if pending {
        doc.reparse(&mut parser, &registry);
        assert_matches_fresh(&doc, &expected, &registry);
    }
}

/// What a client can observe of a document: its text, tags, suppressions and
/// env uses.
pub fn observe(doc: &Document) -> impl PartialEq + std::fmt::Debug + use<> {
    (
        doc.rope().to_string(),
        doc.tags().cloned().collect::<Vec<_>>(),
        doc.suppressions().collect::<Vec<_>>(),
        doc.env_uses().cloned().collect::<Vec<_>>(),
    )
}

/// The document holds `text` and equals a fresh parse of it.
pub fn assert_matches_fresh(doc: &Document, text: &str, registry: &Registry) {
    let lang = doc.language();
    assert_eq!(
        doc.rope().to_string(),
        text,
        "the edits were applied wrongly"
    );
    let fresh = Document::new(lang, text, &mut lang.parser(), registry);
    assert_eq!(
        observe(doc),
        observe(&fresh),
        "incremental and fresh parses differ ({lang:?}, {text:?})"
    );
    check_tags(text, fresh.tags(), registry);
}

/// `refs`: reference extraction from a tag payload.
///
/// Input: an options byte (the language or none, whether `~app/` is a path
/// alias), two bytes of document offset, then the payload text.
///
/// Checked: every reference lies inside the payload on character
/// boundaries, names what it reports (`Env(NAME)` covers `NAME`, a path
/// covers the path), and the references come sorted without overlapping.
pub fn refs(data: &[u8]) {
    let mut input = Input::new(data);
    let opts = input.byte();
    let lang = match opts % 6 {
        0 => None,
        i => Some(Language::ALL[i as usize - 1]),
    };
    let alias = opts & 0x80 != 0;
    let offset = u16::from_le_bytes([input.byte(), input.byte()]) as usize;
    let text = input.rest_text();
    let is_alias = |w: &str| alias && w.starts_with("~app/");
    let found = refs::find(&text, offset, lang, &is_alias);
    let mut last_end = offset;
    for r in &found {
        assert!(
            r.range.start >= offset && r.range.start <= r.range.end,
            "{r:?} lies before the payload at {offset}"
        );
        let local = r.range.start - offset..r.range.end - offset;
        let slice = text
            .get(local)
            .unwrap_or_else(|| panic!("{r:?} does not slice the payload"));
        let name = match &r.kind {
            RefKind::Path(s) | RefKind::FileName(s) | RefKind::Module(s) | RefKind::Env(s) => s,
        };
        assert_eq!(slice, name, "{r:?}");
        assert!(!name.is_empty(), "{r:?}");
        assert!(
            r.range.start >= last_end,
            "references overlap or are out of order at {r:?}: {found:?}"
        );
        last_end = r.range.end;
    }
}

/// `log`: the implementation log parser and the log writer.
///
/// Input: an options byte (entry kind, line count, description), a path, a
/// `Lines affected` value, a description and an env variable name, then the
/// log text.
///
/// Checked: entries and sections slice the text; the planned edits are in
/// order and inside the text; an added entry loses no byte of the old text
/// (it is a subsequence of the new one) and is found again by the parser; an
/// update touches only the entry's head and `Lines affected:` line; planning
/// the same entry again changes nothing. The same for `plan_env_var` on the
/// text read as an env file.
pub fn log(data: &[u8]) {
    let mut input = Input::new(data);
    let opts = input.byte();
    let path = restrict(&input.short_text(), |c| {
        c.is_ascii_alphanumeric() || "./_-@~".contains(c)
    });
    let path = if path.is_empty() {
        "src/a.ts".to_owned()
    } else {
        path
    };
    let lines_affected = restrict(&input.short_text(), |c| {
        c.is_ascii_digit() || ", -".contains(c)
    });
    let description = input.short_text();
    let var = restrict(&input.short_text(), |c| {
        c.is_ascii_alphanumeric() || c == '_'
    });
    let text = input.rest_text();
    let registry = Registry::builtin();

    let doc = tagls::log::parse(&text, &registry);
    check_tags(&text, doc.entries.iter().map(|e| &e.tag), &registry);
    for s in &doc.sections {
        assert!(
            s.heading.start <= s.heading.end && s.heading.end <= s.end && s.end <= text.len(),
            "section out of the text: {s:?}"
        );
        assert!(text.get(s.heading.start..s.end).is_some(), "{s:?}");
    }
    for e in &doc.entries {
        assert!(e.section.is_none_or(|i| i < doc.sections.len()), "{e:?}");
    }

    let description = (opts & 2 != 0).then_some(description);
    let entry = if opts & 1 == 0 {
        NewEntry::Created {
            path: path.clone(),
            lines: (opts & 4 != 0).then_some((opts >> 3) as usize),
            description,
        }
    } else {
        NewEntry::Modified {
            path: path.clone(),
            lines_affected,
            description,
        }
    };
    let tag = if opts & 1 == 0 {
        "FILE_CREATED"
    } else {
        "FILE_MODIFIED"
    };
    let edits = write::plan(&text, &entry, &registry);
    check_edits(&text, &edits);
    let new = write::apply(&text, &edits);
    let existing = doc
        .entries
        .iter()
        .find(|e| e.tag.name == tag && e.tag.payload.split_whitespace().next() == Some(&path));
    match existing {
        Some(e) => {
            // An update replaces the head and the `Lines affected:` line of
            // the entry, and nothing else.
            let allowed = |r: TextRange| {
                r.is_empty()
                    || r == e.tag.head_range()
                    || e.field("Lines affected").is_some_and(|l| l.range == r)
            };
            for edit in &edits {
                assert!(allowed(edit.range), "an update touches {edit:?} of {e:?}");
            }
        }
        None if text.trim().is_empty() => {
            // A blank log is replaced by the skeleton.
        }
        None => assert!(
            is_subsequence(&text, &new),
            "adding {entry:?} lost text:\n{text:?}\n->\n{new:?}"
        ),
    }
    let again = write::apply(&new, &write::plan(&new, &entry, &registry));
    if existing.is_none() {
        // Whether the new entry is visible: a fence or an HTML comment left
        // open in the section can swallow it, which the parser rightly
        // treats as an example.
        let reparsed = tagls::log::parse(&new, &registry);
        let visible = reparsed
            .entries
            .iter()
            .any(|e| e.tag.name == tag && e.tag.payload.split_whitespace().next() == Some(&path));
        if visible {
            assert_eq!(again, new, "planning {entry:?} twice changed the log");
        }
    }

    // The same text as an env file.
    if !var.is_empty() && !var.starts_with(|c: char| c.is_ascii_digit()) {
        let edits = write::plan_env_var(&text, &var);
        check_edits(&text, &edits);
        let new = write::apply(&text, &edits);
        assert!(new.starts_with(&text), "adding {var} changed the env file");
        assert!(
            envfile::scan(&new).iter().any(|k| k.name == var),
            "after adding {var} the env file does not define it: {new:?}"
        );
        assert!(
            write::plan_env_var(&new, &var).is_empty(),
            "{var} would be added twice"
        );
    }
}

fn restrict(s: &str, keep: impl Fn(char) -> bool) -> String {
    s.chars().filter(|&c| keep(c)).collect()
}

/// Edits are in order, do not overlap and lie on character boundaries.
fn check_edits(text: &str, edits: &[write::Edit]) {
    let mut at = 0;
    for e in edits {
        assert!(
            at <= e.range.start && e.range.start <= e.range.end && e.range.end <= text.len(),
            "edit {e:?} out of order or out of the text ({} bytes)",
            text.len()
        );
        assert!(text.get(e.range.start..e.range.end).is_some(), "{e:?}");
        at = e.range.end;
    }
}

/// Whether `small` can be obtained from `big` by deleting characters.
fn is_subsequence(small: &str, big: &str) -> bool {
    let mut it = big.chars();
    small.chars().all(|c| it.any(|b| b == c))
}

/// `envfile`: the dotenv scanner.
///
/// Input: the file's text.
///
/// Checked: each key's range slices the text to its name, on the line it
/// reports (counting `\n`, `\r\n` and `\r` as tagls does everywhere else),
/// in document order; names are ASCII words.
pub fn envfile(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let rope = Rope::from_str(&text);
    let mut last = 0;
    for k in envfile::scan(&text) {
        assert_eq!(
            text.get(k.range.start..k.range.end),
            Some(k.name.as_str()),
            "{k:?}"
        );
        assert!(!k.name.is_empty() && k.name.is_ascii(), "{k:?}");
        assert!(k.range.start >= last, "keys out of order at {k:?}");
        last = k.range.end;
        assert_eq!(
            k.line as usize,
            rope.byte_to_line(k.range.start),
            "wrong line for {k:?} in {text:?}"
        );
    }
}

/// `positions`: conversion between byte offsets and line/columns.
///
/// Input: a count of arbitrary positions (each a line, a two-byte column and
/// an encoding), then the text.
///
/// Checked, in each encoding: every offset on a character boundary round-
/// trips (except between `\r` and `\n`, which is no LSP position) and lies
/// on the line ropey counts; offsets past the end or inside a character
/// clamp to the end or round down; arbitrary positions map to a character
/// boundary inside the text, on the requested line or the last one, and
/// further columns never map to earlier offsets.
pub fn positions(data: &[u8]) {
    let mut input = Input::new(data);
    let count = input.byte() % 16;
    let mut probes = Vec::new();
    for _ in 0..count {
        let line = match input.byte() {
            0xff => u32::MAX,
            b => u32::from(b % 32),
        };
        let col = u32::from(u16::from_le_bytes([input.byte(), input.byte()]));
        let col = if col == 0xffff { u32::MAX } else { col % 512 };
        probes.push((LineCol { line, col }, input.encoding()));
    }
    let text = input.rest_text();
    let rope = Rope::from_str(&text);
    let len = text.len();
    let last_line = rope.len_lines() - 1;
    for enc in [Encoding::Utf8, Encoding::Utf16, Encoding::Utf32] {
        let end = offset_to_line_col(&rope, len, enc);
        assert_eq!(end.line as usize, last_line);
        assert_eq!(offset_to_line_col(&rope, len + 1, enc), end);
        assert_eq!(offset_to_line_col(&rope, usize::MAX, enc), end);
        for (i, c) in text.char_indices().take(4096) {
            let lc = offset_to_line_col(&rope, i, enc);
            assert_eq!(lc.line as usize, rope.byte_to_line(i), "{enc:?} at {i}");
            let between_cr_lf = text[..i].ends_with('\r') && c == '\n';
            if !between_cr_lf {
                assert_eq!(
                    line_col_to_offset(&rope, lc, enc),
                    i,
                    "{enc:?}: {i} -> {lc:?} does not round-trip in {text:?}"
                );
            }
            for inside in i + 1..i + c.len_utf8() {
                assert_eq!(offset_to_line_col(&rope, inside, enc), lc, "{enc:?}");
            }
        }
    }
    for (p, enc) in probes {
        let o = line_col_to_offset(&rope, p, enc);
        assert!(o <= len && text.is_char_boundary(o), "{p:?} {enc:?} -> {o}");
        if (p.line as usize) > last_line {
            assert_eq!(o, len, "{p:?} past the last line");
            continue;
        }
        let back = offset_to_line_col(&rope, o, enc);
        assert_eq!(back.line, p.line, "{p:?} {enc:?} -> {o} -> {back:?}");
        assert!(back.col <= p.col, "{p:?} {enc:?} -> {back:?}");
        let next = LineCol {
            line: p.line,
            col: p.col.saturating_add(1),
        };
        assert!(line_col_to_offset(&rope, next, enc) >= o, "{p:?} {enc:?}");
    }
}

/// `config`: `.tagls.toml` and the JSON settings an editor sends.
///
/// Input: an options byte (TOML or JSON), then the text.
///
/// Checked: an error's range lies inside the text on character boundaries;
/// a file that parses builds settings, and survives a round trip through
/// TOML and JSON unchanged.
pub fn config(data: &[u8]) {
    let mut input = Input::new(data);
    let json = input.byte() & 1 == 1;
    let text = input.rest_text();
    let file = if json {
        let Ok(value) = serde_json::from_str::<serde_json::Value>(&text) else {
            return;
        };
        match ConfigFile::from_json(&value) {
            Ok(file) => file,
            Err(_) => return,
        }
    } else {
        match ConfigFile::parse(&text, Path::new(".tagls.toml")) {
            Ok(file) => file,
            Err(e) => {
                if let Some(r) = e.range {
                    assert!(
                        r.start <= r.end && text.get(r.start..r.end).is_some(),
                        "error range {r:?} outside the text: {e}"
                    );
                }
                return;
            }
        }
    };
    let settings = Settings::from_file(&file);
    let _ = settings.is_ignored(Path::new("src/a.ts"));
    let as_toml = toml::to_string(&file).unwrap_or_else(|e| panic!("{file:?}: {e}"));
    let back = ConfigFile::parse(&as_toml, Path::new(".tagls.toml"))
        .unwrap_or_else(|e| panic!("{as_toml:?} does not parse again: {e}"));
    assert_eq!(back, file, "TOML round trip");
    let value = serde_json::to_value(&file).unwrap_or_else(|e| panic!("{file:?}: {e}"));
    let back = ConfigFile::from_json(&value).unwrap_or_else(|e| panic!("{value}: {e}"));
    assert_eq!(back, file, "JSON round trip");
}

/// Every size at which tagls treats a text differently: the bytes looked at
/// for binary content, the largest document parsed afresh when its
/// incremental tree is broken, and a few powers of two around them.
const THRESHOLDS: [usize; 5] = [
    tagls::analysis::BINARY_HEAD,
    tagls::document::FRESH_IF_BROKEN,
    4096,
    32 * 1024,
    64 * 1024,
];

/// Characters of one to four bytes.
const WIDE: [char; 5] = ['é', '日', '😀', '𝄞', 'ß'];

/// `thresholds`: multi-byte text across every internal size threshold, then
/// edits around it, as a client sends them.
///
/// Input: which threshold, which character and how far before the
/// threshold it starts (so that the threshold falls inside it), a language,
/// then edits: a byte offset near the threshold, how much to delete, and a
/// piece of text to insert.
///
/// Checked: deciding whether the text is parsed, parsing it, every edit and
/// reparse, and the scan cache's parts of the document never panic, and an
/// incremental parse equals a fresh one.
pub fn thresholds(data: &[u8]) {
    let mut input = Input::new(data);
    let threshold = THRESHOLDS[input.byte() as usize % THRESHOLDS.len()];
    let wide = WIDE[input.byte() as usize % WIDE.len()];
    let into = 1 + input.byte() as usize % wide.len_utf8().max(1);
    let lang = Language::ALL[input.byte() as usize % Language::ALL.len()];
    let comment = match lang {
        Language::Python => "# #COMPLETION_DRIVE: Assuming src/日本/x.ts exists\n",
        _ => "// #COMPLETION_DRIVE: Assuming src/日本/x.ts exists\n",
    };
    // Comment lines up to just before the threshold, then the wide
    // character across it, then more text.
    let mut text = String::new();
    let start = threshold.saturating_sub(into.min(wide.len_utf8() - 1).max(1));
    while text.len() + comment.len() < start.saturating_sub(2) {
        text.push_str(comment);
    }
    while text.len() < start {
        text.push('a');
    }
    text.push(wide);
    text.push_str(&comment.replace('x', &wide.to_string()));
    let rope = Rope::from_str(&text);
    let skip = |rope: &Rope, limit: u64| {
        let head = tagls::text::head_bytes(rope, tagls::analysis::BINARY_HEAD);
        tagls::analysis::Skip::of(rope.len_bytes() as u64, &head, limit)
    };
    for limit in [0, threshold as u64, u64::MAX] {
        let _ = skip(&rope, limit);
    }
    let registry = Registry::builtin();
    let mut parser = lang.parser();
    let mut doc = Document::new(lang, &text, &mut parser, &registry);
    let mut expected = text;
    while !input.is_empty() {
        // Byte offsets near the threshold, on or off character boundaries:
        // the document must keep them to its own characters.
        let at = (threshold + input.byte() as usize).saturating_sub(128);
        let at = at.min(expected.len());
        let at = (0..=at)
            .rev()
            .find(|&i| expected.is_char_boundary(i))
            .unwrap_or(0);
        let mut end = (at + input.byte() as usize % 8).min(expected.len());
        while !expected.is_char_boundary(end) {
            end += 1;
        }
        let insert = input.piece();
        let rope = Rope::from_str(&expected);
        let enc = input.encoding();
        let a = offset_to_line_col(&rope, at, enc);
        let b = offset_to_line_col(&rope, end, enc);
        expected.replace_range(at..end, &insert);
        doc.apply_change(Some((a, b)), &insert, enc);
        doc.reparse(&mut parser, &registry);
        let _ = skip(doc.rope(), threshold as u64);
        let _ = Document::from_parts(lang, &expected, doc.syntax_parts(), &registry);
        assert_matches_fresh(&doc, &expected, &registry);
    }
}
