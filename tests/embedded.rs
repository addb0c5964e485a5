//! Code embedded in markup, through the built binary: the `<script>` and
//! `<style>` elements of HTML pages, Vue and Svelte components, with tags in
//! markup comments, script line, block and JSDoc comments and style
//! comments, and tag-shaped decoys in script strings, template literals,
//! JSON and template scripts, attribute values, interpolations, Svelte
//! expressions, CSS strings and colours, and text. The server and
//! `tagls check` report exactly the listed tags at their positions, agree
//! with each other, read env reads in scripts, and keep up with edits
//! inside a `<script>`.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::languages::{Case, bin, fixtures, positions};
use crate::method::tagls;
use crate::support::{self, file_uri};

pub(crate) const CASES: &[Case] = &[
    Case {
        file: "html/checkout.html",
        language_id: "html",
        tags: &[
            "style block decision",
            "markup comment suggestion",
            "Assuming line comment after emoji in a module script",
            "jsdoc rationale",
            "block comment suggestion",
            "Assuming typescript script comment",
        ],
    },
    Case {
        file: "vue/UserCard.vue",
        language_id: "vue",
        tags: &[
            "vue top level comment decision",
            "vue template comment",
            "Assuming script setup comment after emoji",
            "jsdoc in script setup",
            "block comment in script setup",
            "scss line comment pattern",
            "scss block comment decision",
        ],
    },
    Case {
        file: "svelte/Counter.svelte",
        language_id: "svelte",
        tags: &[
            "module script decision",
            "Assuming instance script comment after emoji",
            "jsdoc in svelte script",
            "svelte markup comment",
            "style comment in svelte",
        ],
    },
];

#[test]
fn tagls_check_finds_each_embedded_tag_at_its_line_and_column_and_no_decoy() {
    crate::languages::check_finds_each_tag_once(CASES);
}

#[tokio::test]
async fn the_server_shows_each_embedded_tag_at_its_utf16_position_and_no_decoy() {
    crate::languages::server_shows_each_tag(CASES).await;
}

/// The fixtures with an env file, as a project holds them.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for case in CASES {
        let text = std::fs::read_to_string(fixtures().join(case.file)).unwrap();
        support::write(dir.path(), case.file, &text);
    }
    support::write(dir.path(), ".env.example", "DECLARED=\n");
    dir
}

/// Pushed and pulled diagnostics, the `tagls.gate` command and
/// `tagls check` report the same findings for the components.
#[tokio::test]
async fn every_face_agrees_on_embedded_code() {
    let ws = project();
    support::write(
        ws.path(),
        "vue/Env.vue",
        "<template><p>{{ process.env.NOT_READ }}</p></template>\n<script setup>\nconst url = import.meta.env.DECLARED\nconst key = process.env.UNDECLARED_VUE\n</script>\n",
    );
    let found = crate::differential::agree(&[ws.path().to_path_buf()]).await;
    for case in CASES {
        assert!(
            found.iter().any(|k| k.0.ends_with(case.file)),
            "{}: {found:?}",
            case.file
        );
    }
    assert!(
        found
            .iter()
            .any(|k| k.0.ends_with("vue/Env.vue") && k.4.contains("UNDECLARED_VUE")),
        "{found:?}"
    );
}

/// A file per host that reads a declared and an undeclared variable in its
/// script; the same words in markup text and attributes read nothing.
const ENV_READS: &[(&str, &str, &str)] = &[
    (
        "page.html",
        "html",
        "<p data-env=\"process.env.IN_ATTRIBUTE\">process.env.IN_TEXT</p>\n<script>const a = process.env.DECLARED;\nconst b = process.env.UNDECLARED_HTML;</script>\n",
    ),
    (
        "Page.vue",
        "vue",
        "<template><p>{{ process.env.IN_TEXT }}</p></template>\n<script setup lang=\"ts\">const a: string = import.meta.env.DECLARED\nconst b = import.meta.env.UNDECLARED_VUE</script>\n",
    ),
    (
        "Page.svelte",
        "svelte",
        "<p title={process.env.IN_EXPRESSION}>process.env.IN_TEXT</p>\n<script>const a = process.env.DECLARED;\nconst b = process.env.UNDECLARED_SVELTE;</script>\n",
    ),
];

#[tokio::test]
async fn env_reads_in_scripts_are_checked_and_markup_reads_none() {
    let ws = tempfile::tempdir().unwrap();
    support::write(ws.path(), ".env.example", "DECLARED=\n");
    for (file, _, text) in ENV_READS {
        support::write(ws.path(), file, text);
    }
    let (_, out) = tagls(ws.path(), &["check", "--format", "json", "."]);
    let report: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    let found: BTreeSet<(String, u64, u64, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_owned(),
                f["line"].as_u64().unwrap(),
                f["column"].as_u64().unwrap(),
                f["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let mut c = support::start_utf16(&bin(), ws.path()).await;
    for (file, language_id, text) in ENV_READS {
        let undeclared = text
            .split(['.', ';', '<', '\n'])
            .find(|w| w.starts_with("UNDECLARED_"))
            .unwrap();
        let at = text.find(undeclared).unwrap();
        let ((line, character), (cli_line, cli_column)) = positions(text, at);
        let mine: Vec<_> = found.iter().filter(|f| f.0 == *file).collect();
        assert_eq!(mine.len(), 1, "{file}: {mine:?}");
        assert_eq!(
            (mine[0].1, mine[0].2),
            (cli_line, cli_column),
            "{file}: {mine:?}"
        );
        assert!(mine[0].3.contains(undeclared), "{file}: {mine:?}");

        let uri = file_uri(&ws.path().join(file));
        c.open(&uri, language_id, text).await;
        let diags = c
            .diagnostics_where(&uri, |p| {
                p["diagnostics"].as_array().is_some_and(|d| !d.is_empty())
            })
            .await;
        let starts: Vec<(u64, u64)> = diags["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                let s = &d["range"]["start"];
                (
                    s["line"].as_u64().unwrap(),
                    s["character"].as_u64().unwrap(),
                )
            })
            .collect();
        assert_eq!(starts, [(line, character)], "{file}: {diags:#}");
    }
    c.finish().await;
}

/// Where a diagnostic starts: line and character.
type Start = (u64, u64);

/// The starts of the diagnostics in a publication (but the note about a
/// missing log), sorted.
pub(crate) fn starts(diags: &Value) -> Vec<Start> {
    let mut out: Vec<(u64, u64)> = diags["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] != "missing-log")
        .map(|d| {
            let s = &d["range"]["start"];
            (
                s["line"].as_u64().unwrap(),
                s["character"].as_u64().unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

/// Edits inside a `<script>`, and above it, one notification at a time:
/// after each, the diagnostics are those of a fresh open of the same text.
/// An edit that opens a template literal far above a comment takes the
/// comment's tag away once the literal is closed; an edit above the script
/// moves its tags.
#[tokio::test]
async fn edits_inside_a_script_update_its_tags() {
    let ws = tempfile::tempdir().unwrap();
    let text = "<template>\n  <p>{{ a }}</p>\n</template>\n<script setup lang=\"ts\">\nconst a = 1\nconst b = 2\n// #COMPLETION_DRIVE: Assuming the first\nconst c = 3\n// #PATH_DECISION: the second\n</script>\n<!-- #SUGGEST_VERIFY: after the script -->\n";
    support::write(ws.path(), "Card.vue", text);
    let mut c = support::start_utf16(&bin(), ws.path()).await;
    let uri = file_uri(&ws.path().join("Card.vue"));
    c.open(&uri, "vue", text).await;
    let first = c
        .diagnostics_where(&uri, |p| {
            p["diagnostics"].as_array().is_some_and(|d| d.len() >= 3)
        })
        .await;
    assert_eq!(starts(&first), [(6, 3), (8, 3), (10, 5)], "{first:#}");

    // (line, character, inserted text, the starts after it, where the
    // text is whole)
    let edits: &[(u64, u64, &str, Option<&[Start]>)] = &[
        // A new tag typed inside the script.
        (
            5,
            11,
            " // #SUGGEST_ERROR_HANDLING: typed",
            Some(&[(5, 15), (6, 3), (8, 3), (10, 5)]),
        ),
        // A template literal opened above the tags: the script is broken
        // until it is closed, and shows what a fresh parse shows.
        (4, 10, "`", None),
        // Closed at the end of the script: the three line comments are now
        // its text.
        (9, 0, "`\n", Some(&[(11, 5)])),
        // A line above the script moves what is after it.
        (0, 0, "<!-- plain -->\n", Some(&[(12, 5)])),
        // A tag typed after the literal, on the last line of the script.
        (
            10,
            1,
            " // #CARGO_CULT: at the end",
            Some(&[(10, 5), (12, 5)]),
        ),
    ];
    let mut version = 1;
    let mut current = text.to_owned();
    for (line, character, insert, want) in edits {
        version += 1;
        c.notify(
            "textDocument/didChange",
            json!({
                "textDocument": { "uri": uri, "version": version },
                "contentChanges": [{
                    "range": {
                        "start": { "line": line, "character": character },
                        "end": { "line": line, "character": character }
                    },
                    "text": insert
                }]
            }),
        )
        .await;
        let at = support::offset_utf16(&current, *line as usize, *character as usize);
        current.insert_str(at, insert);
        let diags = c.diagnostics_where(&uri, |p| p["version"] == version).await;
        if let Some(want) = want {
            assert_eq!(
                starts(&diags),
                *want,
                "after {insert:?}:\n{current}\n{diags:#}"
            );
        }
        // The same text, parsed afresh, shows the same.
        let fresh = file_uri(&ws.path().join(format!("Fresh{version}.vue")));
        c.open(&fresh, "vue", &current).await;
        let fresh_diags = c.diagnostics(&fresh).await;
        assert_eq!(
            starts(&fresh_diags),
            starts(&diags),
            "fresh:\n{current}\n{fresh_diags:#}"
        );
    }
    c.finish().await;
}
