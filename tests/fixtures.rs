//! Grammar fixtures: one file per language under `tests/fixtures/languages/`,
//! each beside a `.expected` listing of the tags found, with positions in
//! UTF-16 columns (multi-byte text stands before every target). Set
//! `UPDATE_EXPECT=1` to rewrite the listings, then review the diff.

use std::fmt::Write;
use std::path::Path;

use tagls::document::Document;
use tagls::syntax::Language;
use tagls::tags::Registry;
use tagls::text::{Encoding, pos};

fn render(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let lang = Language::detect(None, &path.to_string_lossy()).unwrap();
    let registry = Registry::builtin();
    let doc = Document::new(lang, &text, &mut lang.parser(), &registry);
    let mut out = String::new();
    for tag in doc.tags() {
        let lc = pos::offset_to_line_col(doc.rope(), tag.name_range.start, Encoding::Utf16);
        let status = match (&tag.known, &tag.suggestion) {
            (true, _) => String::new(),
            (false, Some(s)) => format!(" (unknown; did you mean {s}?)"),
            (false, None) => " (unknown)".to_owned(),
        };
        writeln!(
            out,
            "{}:{} #{}{status}: {}",
            lc.line + 1,
            lc.col + 1,
            tag.name,
            tag.payload
        )
        .unwrap();
        for line in &tag.continuation {
            let lc = pos::offset_to_line_col(doc.rope(), line.range.start, Encoding::Utf16);
            writeln!(out, "  {}:{} | {}", lc.line + 1, lc.col + 1, line.text).unwrap();
        }
    }
    out
}

#[test]
fn every_language_fixture_matches_its_listing() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/languages");
    let mut seen = 0;
    let mut failures = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        // The languages added later have folders of their own, checked
        // through the binary (tests/languages.rs).
        if path.is_dir() || path.extension().is_some_and(|e| e == "expected") {
            continue;
        }
        seen += 1;
        let actual = render(&path);
        let expected_path = path.with_extension(format!(
            "{}.expected",
            path.extension().unwrap().to_string_lossy()
        ));
        if std::env::var_os("UPDATE_EXPECT").is_some() {
            std::fs::write(&expected_path, &actual).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if actual != expected {
            failures.push(format!(
                "{}:\n--- expected\n{expected}--- actual\n{actual}",
                path.display()
            ));
        }
    }
    assert_eq!(
        seen, 6,
        "one fixture per language: ts, tsx, js, jsx, go, py"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
