//! Every language tagls reads beyond TypeScript, Go and Python, through the
//! built binary: a fixture of real-looking code per language
//! (tests/fixtures/languages/<lang>/), with tags in line, block, doc and
//! nested block comments, and tag-shaped decoys in strings, raw strings,
//! heredocs, interpolation, attributes, preprocessor lines and colours.
//! The server must report exactly the listed tags at their UTF-16
//! positions, and `tagls check --format json` at the same lines and columns;
//! no decoy may show up in either. Env reads are checked per language
//! against `.env.example`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::differential::copy_dir;
use crate::method::tagls;
use crate::support::{self, file_uri};

pub(crate) fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_tagls"))
}

/// A fixture: its path under tests/fixtures/languages/, the language id an
/// editor sends for it, and the payloads of the tags it holds (each written
/// once in the file), in document order.
pub(crate) struct Case {
    pub(crate) file: &'static str,
    pub(crate) language_id: &'static str,
    pub(crate) tags: &'static [&'static str],
}

const CASES: &[Case] = &[
    Case {
        file: "swift/SaveButton.swift",
        language_id: "swift",
        tags: &[
            "Assuming haptics are wanted on every save",
            "Using the impact generator after emoji",
            "doc comment rationale",
            "nested block inner",
            "nested block after the inner one",
            "doc block suggestion",
        ],
    },
    Case {
        file: "rust/main.rs",
        language_id: "rust",
        tags: &[
            "inner doc decision",
            "Assuming outer doc comment assumption",
            "line comment after emoji",
            "nested block inner",
            "nested block after the inner one",
            "block doc rationale",
            "inner block doc",
        ],
    },
    Case {
        file: "java/UserService.java",
        language_id: "java",
        tags: &[
            "javadoc decision",
            "Assuming line comment after emoji",
            "block comment suggestion",
        ],
    },
    Case {
        file: "kotlin/Repository.kt",
        language_id: "kotlin",
        tags: &[
            "kdoc decision",
            "Assuming line comment after emoji",
            "nested block inner",
            "nested block after the inner one",
        ],
    },
    Case {
        file: "csharp/OrderController.cs",
        language_id: "csharp",
        tags: &[
            "xml doc decision right after the tag",
            "Assuming line comment after emoji",
            "block comment suggestion",
        ],
    },
    Case {
        file: "c/config.c",
        language_id: "c",
        tags: &[
            "Assuming block comment assumption",
            "line comment after emoji",
        ],
    },
    Case {
        file: "cpp/engine.cpp",
        language_id: "cpp",
        tags: &[
            "doc comment decision",
            "Assuming line comment after emoji",
            "doc block suggestion",
        ],
    },
    Case {
        file: "ruby/user.rb",
        language_id: "ruby",
        tags: &[
            "line comment decision",
            "Assuming line comment after emoji",
            "begin end block suggestion",
        ],
    },
    Case {
        file: "php/index.php",
        language_id: "php",
        tags: &[
            "line comment decision",
            "Assuming hash comment assumption",
            "doc block suggestion",
            "line comment after emoji",
        ],
    },
    Case {
        file: "bash/deploy.sh",
        language_id: "shellscript",
        tags: &[
            "Assuming the deploy host accepts ssh keys",
            "line comment after emoji",
            "trailing comment suggestion",
        ],
    },
    Case {
        file: "css/theme.css",
        language_id: "css",
        tags: &["block comment decision", "hard coded colour after a colour"],
    },
    Case {
        file: "css/_buttons.scss",
        language_id: "scss",
        tags: &[
            "Assuming the scss line comment assumption",
            "scss block comment",
        ],
    },
    Case {
        file: "lua/init.lua",
        language_id: "lua",
        tags: &[
            "line comment decision",
            "luadoc comment suggestion",
            "Assuming line comment after emoji",
            "block comment pattern",
            "leveled block comment",
        ],
    },
    Case {
        file: "yaml/ci.yml",
        language_id: "yaml",
        tags: &["yaml comment decision", "Assuming trailing yaml comment"],
    },
    Case {
        file: "toml/config.toml",
        language_id: "toml",
        tags: &["toml comment decision", "Assuming trailing toml comment"],
    },
    Case {
        file: "html/index.html",
        language_id: "html",
        tags: &[
            "html comment decision",
            "Assuming comment after emoji",
            "multi-line html comment",
        ],
    },
    Case {
        file: "markdown/NOTES.md",
        language_id: "markdown",
        tags: &[
            "markdown block comment decision",
            "Assuming inline comment after emoji",
            "multi-line markdown comment",
            "comment inside an html block",
        ],
    },
];

pub(crate) fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/languages")
}

/// Where a tag with this payload starts: its `#`, as a byte offset, with
/// its name. The payload is written once in the file.
pub(crate) fn tag_at(text: &str, payload: &str) -> (usize, String) {
    let found: Vec<_> = text.match_indices(payload).collect();
    assert_eq!(found.len(), 1, "{payload:?} is written once");
    let at = found[0].0;
    let hash = text[..at].rfind('#').unwrap();
    let name = text[hash + 1..at].trim_end().trim_end_matches(':');
    (hash, name.to_owned())
}

/// Line and column of a byte offset: zero-based in UTF-16 units, and
/// one-based in Unicode scalar values (as `tagls check` counts them).
pub(crate) fn positions(text: &str, offset: usize) -> ((u64, u64), (u64, u64)) {
    let before = &text[..offset];
    let line = before.matches('\n').count() as u64;
    let start = before.rfind('\n').map_or(0, |n| n + 1);
    let col = &before[start..];
    (
        (line, col.encode_utf16().count() as u64),
        (line + 1, col.chars().count() as u64 + 1),
    )
}

/// A workspace holding the fixtures of `cases`, at the same paths.
fn workspace(cases: &[Case]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for case in cases {
        let to = dir.path().join(case.file);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(fixtures().join(case.file), to).unwrap();
    }
    dir
}

#[test]
fn every_new_language_has_a_fixture_here() {
    // A fixture folder nobody lists here would be silently untested.
    let mut listed: BTreeSet<String> = BTreeSet::new();
    for case in CASES.iter().chain(crate::embedded::CASES) {
        listed.insert(case.file.split('/').next().unwrap().to_owned());
    }
    let on_disk: BTreeSet<String> = std::fs::read_dir(fixtures())
        .unwrap()
        .filter_map(|e| {
            let e = e.unwrap();
            e.path()
                .is_dir()
                .then(|| e.file_name().to_string_lossy().into_owned())
        })
        .collect();
    assert_eq!(listed, on_disk);
}

#[test]
fn tagls_check_finds_each_tag_once_at_its_line_and_column_and_no_decoy() {
    check_finds_each_tag_once(CASES);
}

/// `tagls check --format json` over a workspace of the fixtures of `cases`
/// reports each of their tags once, at its line and column, and nothing
/// else that names a tag.
pub(crate) fn check_finds_each_tag_once(cases: &[Case]) {
    let ws = workspace(cases);
    let (_, out) = tagls(ws.path(), &["check", "--format", "json", "."]);
    let report: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    let mut failures = Vec::new();
    for case in cases {
        let text = std::fs::read_to_string(fixtures().join(case.file)).unwrap();
        let expected: Vec<(u64, u64, String)> = case
            .tags
            .iter()
            .map(|p| {
                let (at, name) = tag_at(&text, p);
                let (_, (line, col)) = positions(&text, at);
                (line, col, name)
            })
            .collect();
        // One finding per tag (a tag's own finding names it).
        let mut found: Vec<(u64, u64, String)> = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["path"] == case.file && f["tag"].is_string())
            .map(|f| {
                (
                    f["line"].as_u64().unwrap(),
                    f["column"].as_u64().unwrap(),
                    f["tag"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        found.sort();
        found.dedup();
        let mut want = expected.clone();
        want.sort();
        if found != want {
            failures.push(format!(
                "{}:\n  expected {want:?}\n  found    {found:?}",
                case.file
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn the_server_shows_each_tag_at_its_utf16_position_and_no_decoy() {
    server_shows_each_tag(CASES).await;
}

/// The built server, opened on each fixture of `cases` by a UTF-16 client,
/// shows a diagnostic at each of their tags and nowhere else.
pub(crate) async fn server_shows_each_tag(cases: &[Case]) {
    let ws = workspace(cases);
    let mut c = support::start_utf16(&bin(), ws.path()).await;
    let mut failures = Vec::new();
    for case in cases {
        let path = ws.path().join(case.file);
        let text = std::fs::read_to_string(&path).unwrap();
        let uri = file_uri(&path);
        c.open(&uri, case.language_id, &text).await;
        let diags = c
            .diagnostics_where(&uri, |p| {
                p["diagnostics"].as_array().is_some_and(|d| !d.is_empty())
            })
            .await;
        let want: BTreeSet<(u64, u64)> = case
            .tags
            .iter()
            .map(|p| positions(&text, tag_at(&text, p).0).0)
            .collect();
        // The note about the missing log sits on the first tag; every
        // other diagnostic here is a tag's own.
        let found: BTreeSet<(u64, u64)> = crate::embedded::starts(&diags).into_iter().collect();
        if found != want {
            failures.push(format!(
                "{}:\n  expected {want:?}\n  found    {found:?}\n  {diags:#}",
                case.file
            ));
        }
    }
    c.finish().await;
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// One file per language that reads the environment: a declared variable
/// and an undeclared one, each named after the language.
const ENV_READS: &[(&str, &str)] = &[
    (
        "App.swift",
        "import Foundation\nlet a = ProcessInfo.processInfo.environment[\"DECLARED\"]\nlet b = ProcessInfo.processInfo.environment[\"UNDECLARED_SWIFT\"]\n",
    ),
    (
        "main.rs",
        "fn main() {\n    let a = std::env::var(\"DECLARED\");\n    let b = std::env::var(\"UNDECLARED_RUST\");\n}\n",
    ),
    (
        "App.java",
        "class App {\n  String a = System.getenv(\"DECLARED\");\n  String b = System.getenv(\"UNDECLARED_JAVA\");\n}\n",
    ),
    (
        "App.kt",
        "val x = 1\nval a = System.getenv(\"DECLARED\")\nval b = System.getenv(\"UNDECLARED_KOTLIN\")\n",
    ),
    (
        "App.cs",
        "class App {\n  string a = Environment.GetEnvironmentVariable(\"DECLARED\");\n  string b = Environment.GetEnvironmentVariable(\"UNDECLARED_CSHARP\");\n}\n",
    ),
    (
        "app.c",
        "#include <stdlib.h>\nchar *a = getenv(\"DECLARED\");\nchar *b = getenv(\"UNDECLARED_C\");\n",
    ),
    (
        "app.cpp",
        "#include <cstdlib>\nauto a = std::getenv(\"DECLARED\");\nauto b = std::getenv(\"UNDECLARED_CPP\");\n",
    ),
    (
        "app.rb",
        "require 'json'\na = ENV[\"DECLARED\"]\nb = ENV.fetch(\"UNDECLARED_RUBY\")\n",
    ),
    (
        "app.php",
        "<?php\n$a = getenv('DECLARED');\n$b = $_ENV['UNDECLARED_PHP'];\n",
    ),
];

#[test]
fn env_reads_in_every_language_are_checked_against_the_env_files() {
    let ws = tempfile::tempdir().unwrap();
    support::write(ws.path(), ".env.example", "DECLARED=\n");
    for (file, text) in ENV_READS {
        support::write(ws.path(), &format!("src/{file}"), text);
    }
    let (_, out) = tagls(ws.path(), &["check", "--format", "json", "."]);
    let report: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    let found: BTreeSet<(String, u64, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_owned(),
                f["line"].as_u64().unwrap(),
                f["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    for (file, text) in ENV_READS {
        let undeclared = text
            .split('"')
            .chain(text.split('\''))
            .find(|w| w.starts_with("UNDECLARED_"))
            .unwrap();
        let path = format!("src/{file}");
        // Line 3 reads the undeclared variable; line 2 the declared one.
        assert!(
            found
                .iter()
                .any(|(p, l, m)| *p == path && *l == 3 && m.contains(undeclared)),
            "{path}: no finding for {undeclared}: {report:#}"
        );
        assert!(
            !found.iter().any(|(p, l, _)| *p == path && *l == 2),
            "{path}: DECLARED is in .env.example: {report:#}"
        );
    }
}

/// The fixture folder copied whole, as a project would hold it, checks the
/// same as the files one by one: nothing in a language's folder depends on
/// another.
#[test]
fn fixtures_copied_whole_give_the_same_tags() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixtures(), dir.path());
    // The older single-file fixtures hold tags of their own; only the
    // language folders are compared.
    let (_, out) = tagls(dir.path(), &["check", "--format", "json", "."]);
    let report: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    let tagged: BTreeSet<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["tag"].is_string())
        .filter_map(|f| f["path"].as_str())
        .collect();
    for case in CASES.iter().chain(crate::embedded::CASES) {
        assert!(
            tagged.contains(case.file),
            "{} has no tag: {report:#}",
            case.file
        );
    }
}
