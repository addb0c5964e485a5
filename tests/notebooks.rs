//! Jupyter notebooks through the built binary: tags in code-cell comments
//! (sources written as an array of strings and as one string, with JSON
//! escapes, after non-ASCII text) and in Markdown cells' HTML comments;
//! decoys in code strings, in outputs, in raw cells, in Markdown prose and
//! code spans. `tagls check --format json` must report each tag at the
//! `.ipynb` file's own line and column with its cell; the server the same
//! places (UTF-16) when the notebook is opened as a text document, and the
//! same tags on the cells themselves when it is opened as a notebook
//! (LSP 3.17 notebook sync). A malformed notebook is one finding at the bad
//! place, never a crash.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::languages::{positions, tag_at};
use crate::method::tagls;
use crate::support::{self, ClientOptions, file_uri};

fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_tagls"))
}

const NOTEBOOK: &str = "analysis.ipynb";

/// The tags of the fixture: each payload as the file writes it (with its
/// JSON escapes), written once.
const TAGS: &[&str] = &[
    "use the March export for churn",
    "Assuming the \\\"churned\\\" column is boolean in data/customers.csv",
    "single string source na\\u00efve check",
    "multi-line comment in a cell",
];

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/notebooks")
}

/// The notebook in a workspace that declares its variables (not the one
/// the notebook reads) and has no `data/customers.csv`.
fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(fixture().join(NOTEBOOK), dir.path().join(NOTEBOOK)).unwrap();
    support::write(dir.path(), ".env.example", "DATABASE_URL=\n");
    dir
}

/// What `tagls check --format json` reports for the notebook.
fn checked(ws: &Path) -> Vec<Value> {
    let (_, out) = tagls(ws, &["check", "--format", "json", "."]);
    let report: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["path"] == NOTEBOOK)
        .cloned()
        .collect()
}

/// A one-based line and column in Unicode scalar values as a zero-based
/// line and UTF-16 column.
fn utf16(text: &str, line: u64, column: u64) -> (u64, u64) {
    let l = text.lines().nth(line as usize - 1).unwrap();
    let before: String = l.chars().take(column as usize - 1).collect();
    (line - 1, before.encode_utf16().count() as u64)
}

/// The notebook's cells as Jupyter reads them (serde_json, not tagls):
/// each cell's type and its source joined into one text.
fn cells(text: &str) -> Vec<(String, String)> {
    let nb: Value = serde_json::from_str(text).unwrap();
    nb["cells"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let source = match &c["source"] {
                Value::String(s) => s.clone(),
                Value::Array(lines) => lines.iter().map(|l| l.as_str().unwrap()).collect(),
                other => panic!("a source is text: {other}"),
            };
            (c["cell_type"].as_str().unwrap().to_owned(), source)
        })
        .collect()
}

/// Where a tag is in the cells: the cell's index, and the zero-based line
/// and UTF-16 column of its `#` in the cell's text.
fn in_cell(cells: &[(String, String)], written: &str) -> (usize, u64, u64) {
    let payload: String = serde_json::from_str(&format!("\"{written}\"")).unwrap();
    let (index, source) = cells
        .iter()
        .map(|(_, s)| s)
        .enumerate()
        .find(|(_, s)| s.contains(&payload))
        .unwrap();
    let at = source.find(&payload).unwrap();
    let hash = source[..at].rfind('#').unwrap();
    let ((line, col), _) = positions(source, hash);
    (index, line, col)
}

struct Expected {
    name: String,
    /// One-based line and column in Unicode scalar values, as `tagls check`
    /// counts them.
    check: (u64, u64),
    /// Zero-based line and UTF-16 column in the file.
    utf16: (u64, u64),
    cell: (usize, u64, u64),
}

fn expected(text: &str) -> Vec<Expected> {
    let cells = cells(text);
    TAGS.iter()
        .map(|written| {
            let (at, name) = tag_at(text, written);
            let (utf16, check) = positions(text, at);
            Expected {
                name,
                check,
                utf16,
                cell: in_cell(&cells, written),
            }
        })
        .collect()
}

#[test]
fn tagls_check_reports_notebook_tags_at_the_files_places_with_their_cells() {
    let ws = workspace();
    let text = std::fs::read_to_string(ws.path().join(NOTEBOOK)).unwrap();
    let (_, out) = tagls(ws.path(), &["check", "--format", "json", "."]);
    let report: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    let mut found: Vec<(u64, u64, String, Value)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        // A tag's own finding (a reference's finding names its tag too).
        .filter(|f| f["path"] == NOTEBOOK && f["tag"].is_string())
        .filter(|f| f["code"] != "missing-path" && f["code"] != "undeclared-env")
        .map(|f| {
            (
                f["line"].as_u64().unwrap(),
                f["column"].as_u64().unwrap(),
                f["tag"].as_str().unwrap().to_owned(),
                f["cell"].clone(),
            )
        })
        .collect();
    found.sort_by_key(|a| (a.0, a.1));
    let want: Vec<(u64, u64, String, Value)> = expected(&text)
        .into_iter()
        .map(|e| {
            (
                e.check.0,
                e.check.1,
                e.name,
                json!({ "index": e.cell.0, "line": e.cell.1 + 1 }),
            )
        })
        .collect();
    // Exactly the tags: no decoy from a string, an output, a raw cell,
    // Markdown prose or a code span.
    assert_eq!(found, want, "{report:#}");

    // What the payload and the code name, at the file's own places: the
    // path after an escaped quote, the variable's name.
    let findings = checked(ws.path());
    for (code, subject) in [
        ("missing-path", "data/customers.csv in data"),
        ("undeclared-env", "CHURN_API_TOKEN"),
    ] {
        let f = findings
            .iter()
            .find(|f| f["code"] == code)
            .unwrap_or_else(|| panic!("no {code}: {findings:#?}"));
        let line = text
            .lines()
            .nth(f["line"].as_u64().unwrap() as usize - 1)
            .unwrap();
        let from: String = line
            .chars()
            .skip(f["column"].as_u64().unwrap() as usize - 1)
            .collect();
        let word = subject.split(' ').next().unwrap();
        assert!(from.starts_with(word), "{code} at {from:?}: {f:#}");
        assert_eq!(f["cell"]["index"], 1, "{f:#}");
    }

    // People read the cell in the message.
    let (_, text_out) = tagls(ws.path(), &["check", "."]);
    for e in expected(&text) {
        let place = format!("  {}:{}: ", e.check.0, e.check.1);
        let cell = format!("(cell index {}, line {})", e.cell.0, e.cell.1 + 1);
        assert!(
            text_out
                .lines()
                .any(|l| l.starts_with(&place) && l.ends_with(&cell)),
            "{place}… {cell}: {text_out}"
        );
    }
}

#[tokio::test]
async fn the_server_shows_notebook_tags_at_the_json_positions_of_a_text_document() {
    let ws = workspace();
    let path = ws.path().join(NOTEBOOK);
    let text = std::fs::read_to_string(&path).unwrap();
    let mut c = support::start_utf16(&bin(), ws.path()).await;
    // Neovim and Helix open a notebook as JSON.
    let uri = file_uri(&path);
    c.open(&uri, "json", &text).await;
    let diags = c
        .diagnostics_where(&uri, |p| {
            p["diagnostics"].as_array().is_some_and(|d| !d.is_empty())
        })
        .await;
    let mut found: Vec<(u64, u64, String)> = diags["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let s = &d["range"]["start"];
            (
                s["line"].as_u64().unwrap(),
                s["character"].as_u64().unwrap(),
                d["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    found.sort();
    // Every tag at its UTF-16 place.
    let tags: Vec<(u64, u64)> = expected(&text).iter().map(|e| e.utf16).collect();
    for at in &tags {
        assert!(
            found.iter().any(|f| (f.0, f.1) == *at),
            "no diagnostic at {at:?}: {diags:#}"
        );
    }
    // And exactly what the check reports, place by place.
    let mut codes: Vec<(u64, u64, String)> = checked(ws.path())
        .iter()
        .map(|f| {
            let (l, c) = utf16(
                &text,
                f["line"].as_u64().unwrap(),
                f["column"].as_u64().unwrap(),
            );
            (l, c, f["code"].as_str().unwrap().to_owned())
        })
        .collect();
    codes.sort();
    assert_eq!(found, codes);

    // No action edits the JSON line by line: moving the assumption to the
    // log would take the string's closing quote with it.
    let e = &expected(&text)[1];
    let at = json!({ "line": e.utf16.0, "character": e.utf16.1 });
    let actions = c
        .request(
            "textDocument/codeAction",
            json!({
                "textDocument": { "uri": uri },
                "range": { "start": at, "end": at },
                "context": { "diagnostics": [], "only": ["refactor.move", "source.tagls.cleanup"] },
            }),
        )
        .await;
    assert!(
        actions.as_array().is_none_or(|a| a.is_empty()),
        "{actions:#}"
    );
    c.finish().await;
}

/// A cell's URI as VS Code makes it: the notebook's path, the cell in the
/// fragment.
fn cell_uri(notebook: &str, index: usize) -> String {
    format!(
        "vscode-notebook-cell:{}#W{index}sZmlsZQ%3D%3D",
        notebook.trim_start_matches("file://")
    )
}

#[tokio::test]
async fn the_server_shows_notebook_tags_on_the_cells_of_an_open_notebook() {
    let ws = workspace();
    let path = ws.path().join(NOTEBOOK);
    let text = std::fs::read_to_string(&path).unwrap();
    let mut c = support::start_utf16(&bin(), ws.path()).await;
    let sync = &c.initialize_result["capabilities"]["notebookDocumentSync"];
    let selector = &sync["notebookSelector"][0];
    assert_eq!(selector["notebook"], "jupyter-notebook", "{sync:#}");
    let languages: Vec<&str> = selector["cells"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["language"].as_str().unwrap())
        .collect();
    for lang in ["python", "markdown", "rust", "typescript"] {
        assert!(languages.contains(&lang), "{lang}: {sync:#}");
    }

    let nb_uri = file_uri(&path);
    let cells = cells(&text);
    let (docs, cell_items): (Vec<Value>, Vec<Value>) = cells
        .iter()
        .enumerate()
        .map(|(i, (kind, source))| {
            let language = if kind == "markdown" {
                "markdown"
            } else {
                "python"
            };
            let uri = cell_uri(&nb_uri, i);
            (
                json!({ "uri": uri, "languageId": language, "version": 1, "text": source }),
                json!({ "kind": if kind == "markdown" { 1 } else { 2 }, "document": uri }),
            )
        })
        .unzip();
    c.notify(
        "notebookDocument/didOpen",
        json!({
            "notebookDocument": {
                "uri": nb_uri, "notebookType": "jupyter-notebook", "version": 1, "cells": cell_items
            },
            "cellTextDocuments": docs,
        }),
    )
    .await;
    // Each tag on its cell, at its place in the cell's text; the same tags
    // `tagls check` reports with that cell.
    let (_, out) = tagls(ws.path(), &["check", "--format", "json", "."]);
    let report: Value = serde_json::from_str(&out).unwrap();
    for e in expected(&text) {
        let (index, line, col) = e.cell;
        let uri = cell_uri(&nb_uri, index);
        let diags = c
            .diagnostics_where(&uri, |p| {
                p["diagnostics"].as_array().is_some_and(|d| !d.is_empty())
            })
            .await;
        let starts: Vec<(u64, u64, &str)> = diags["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                (
                    d["range"]["start"]["line"].as_u64().unwrap(),
                    d["range"]["start"]["character"].as_u64().unwrap(),
                    d["code"].as_str().unwrap(),
                )
            })
            .collect();
        let checked = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| {
                f["cell"]["index"] == index
                    && f["tag"] == e.name.as_str()
                    && f["code"] != "missing-path"
            })
            .unwrap();
        assert_eq!(checked["cell"]["line"], line + 1);
        assert!(
            starts.contains(&(line, col, checked["code"].as_str().unwrap())),
            "{uri}: {diags:#}"
        );
    }

    // Every finding of the check on its cell's line, with its code: the
    // missing path and the undeclared variable too.
    let findings = checked(ws.path());
    for (index, _) in cells.iter().enumerate() {
        let mut want: Vec<(u64, String)> = findings
            .iter()
            .filter(|f| f["cell"]["index"] == index)
            .map(|f| {
                (
                    f["cell"]["line"].as_u64().unwrap() - 1,
                    f["code"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        want.sort();
        if want.is_empty() {
            continue;
        }
        let uri = cell_uri(&nb_uri, index);
        let diags = c
            .diagnostics_where(&uri, |p| {
                p["diagnostics"].as_array().is_some_and(|d| !d.is_empty())
            })
            .await;
        let mut got: Vec<(u64, String)> = diags["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                (
                    d["range"]["start"]["line"].as_u64().unwrap(),
                    d["code"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        got.sort();
        assert_eq!(got, want, "{uri}: {diags:#}");
    }

    // An edit to a cell: a tag added on a new first line moves the other.
    let (index, line, col) = expected(&text)[2].cell;
    let uri = cell_uri(&nb_uri, index);
    c.notify(
        "notebookDocument/didChange",
        json!({
            "notebookDocument": { "uri": nb_uri, "version": 2 },
            "change": { "cells": { "textContent": [ {
                "document": { "uri": uri, "version": 2 },
                "changes": [ {
                    "range": { "start": { "line": 0, "character": 0 }, "end": { "line": 0, "character": 0 } },
                    "text": "# #PATH_DECISION: added in the editor\n"
                } ]
            } ] } }
        }),
    )
    .await;
    let diags = c
        .diagnostics_where(&uri, |p| {
            p["diagnostics"].as_array().is_some_and(|d| d.len() == 2)
        })
        .await;
    let mut starts: Vec<(u64, u64)> = diags["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["range"]["start"]["line"].as_u64().unwrap(),
                d["range"]["start"]["character"].as_u64().unwrap(),
            )
        })
        .collect();
    starts.sort();
    assert_eq!(starts, [(0, 2), (line + 1, col)], "{diags:#}");

    // Closing the notebook clears its cells' diagnostics.
    c.notify(
        "notebookDocument/didClose",
        json!({
            "notebookDocument": { "uri": nb_uri },
            "cellTextDocuments": cells.iter().enumerate().map(|(i, _)| json!({ "uri": cell_uri(&nb_uri, i) })).collect::<Vec<_>>(),
        }),
    )
    .await;
    c.diagnostics_where(&uri, |p| {
        p["diagnostics"].as_array().is_some_and(|d| d.is_empty())
    })
    .await;
    c.finish().await;
}

#[tokio::test]
async fn a_malformed_notebook_is_one_finding_at_the_bad_place() {
    let ws = tempfile::tempdir().unwrap();
    // A trailing comma after the last cell, as a hand edit leaves it.
    let text = "{\n \"cells\": [\n  {\"cell_type\": \"code\", \"source\": \"# #COMPLETION_DRIVE: Assuming x\"},\n ],\n \"metadata\": {}\n}\n";
    support::write(ws.path(), "broken.ipynb", text);
    let (_, out) = tagls(ws.path(), &["check", "--format", "json", "."]);
    let report: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{report:#}");
    let f = &findings[0];
    assert_eq!(f["code"], "bad-notebook");
    assert!(
        f["message"].as_str().unwrap().contains("not valid JSON"),
        "{f:#}"
    );
    // At the comma or the bracket after it, on the lines the file has them.
    let bad_line = |l: u64| {
        let line = text.lines().nth(l as usize - 1).unwrap();
        line.trim_start().starts_with(']') || line.trim_end().ends_with("},")
    };
    assert!(bad_line(f["line"].as_u64().unwrap()), "{f:#}");

    let mut c = support::start_binary(
        &bin(),
        ClientOptions {
            root: Some(ws.path().to_path_buf()),
            ..ClientOptions::default()
        },
    )
    .await;
    let uri = file_uri(&ws.path().join("broken.ipynb"));
    c.open(&uri, "json", text).await;
    let diags = c
        .diagnostics_where(&uri, |p| {
            p["diagnostics"].as_array().is_some_and(|d| !d.is_empty())
        })
        .await;
    let d = &diags["diagnostics"].as_array().unwrap();
    assert_eq!(d.len(), 1, "{diags:#}");
    assert_eq!(d[0]["code"], "bad-notebook");
    assert_eq!(
        d[0]["range"]["start"]["line"],
        f["line"].as_u64().unwrap() - 1
    );
    assert_eq!(d[0]["message"], f["message"]);
    c.finish().await;
}
