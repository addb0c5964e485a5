//! Protocol tests: the server in process, over the real codec.

use crate::support;

use serde_json::{Value, json};
use support::{ClientOptions, file_uri, markers, start, write};

const URI: &str = "file:///ws/src/app.ts";

fn opts(encodings: Option<Vec<&'static str>>) -> ClientOptions {
    ClientOptions {
        encodings,
        ..ClientOptions::default()
    }
}

#[tokio::test]
async fn advertises_exactly_what_it_implements() {
    let c = start(ClientOptions::default()).await;
    let caps = &c.initialize_result["capabilities"];
    let mut keys: Vec<&str> = caps
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "codeActionProvider",
            "codeLensProvider",
            "completionProvider",
            "definitionProvider",
            "diagnosticProvider",
            "documentLinkProvider",
            "documentSymbolProvider",
            "executeCommandProvider",
            "hoverProvider",
            "inlayHintProvider",
            "notebookDocumentSync",
            "positionEncoding",
            "semanticTokensProvider",
            "textDocumentSync",
            "workspaceSymbolProvider"
        ]
    );
    assert_eq!(
        caps["textDocumentSync"],
        json!({ "openClose": true, "change": 2, "save": true })
    );
    assert_eq!(
        caps["codeActionProvider"]["codeActionKinds"],
        json!(["quickfix", "source.tagls", "refactor.move"])
    );
    assert_eq!(
        caps["executeCommandProvider"]["commands"],
        json!([
            "tagls.logCreated",
            "tagls.logModified",
            "tagls.createFile",
            "tagls.addEnvVar",
            "tagls.createLog",
            "tagls.logChanged",
            "tagls.moveAssumption",
            "tagls.logPath",
            "tagls.gate"
        ])
    );
    assert_eq!(
        caps["semanticTokensProvider"]["legend"]["tokenTypes"],
        json!([
            "tagAssumption",
            "tagPattern",
            "tagSuggestion",
            "tagDecision",
            "tagClaim",
            "tagVerdict",
            "tagUnknown",
            "tagField"
        ])
    );
    assert_eq!(c.initialize_result["serverInfo"]["name"], "tagls");
    c.finish().await;
}

#[tokio::test]
async fn negotiates_the_position_encoding() {
    for (offered, chosen) in [
        (Some(vec!["utf-16", "utf-8"]), "utf-8"),
        (Some(vec!["utf-16"]), "utf-16"),
        (None, "utf-16"),
        (Some(vec!["utf-32"]), "utf-32"),
        (Some(vec!["utf-32", "utf-16"]), "utf-16"),
    ] {
        let c = start(opts(offered.clone())).await;
        assert_eq!(
            c.initialize_result["capabilities"]["positionEncoding"], chosen,
            "offered {offered:?}"
        );
        c.finish().await;
    }
}

/// The same document under UTF-8 and UTF-16: the ranges differ exactly by the
/// multi-byte text before the tag.
#[tokio::test]
async fn diagnostics_in_each_encoding() {
    let (text, m) =
        markers("const s = '日本語 😀 𝄞'; // $0#COMPLETION_DRIVE:$0 Assuming 𝄞 X\nlet x = 1;\n");
    for (enc, utf8) in [("utf-16", false), ("utf-8", true)] {
        let col = |m: (u32, u32, u32)| if utf8 { m.2 } else { m.1 };
        let mut c = start(opts(Some(vec![enc]))).await;
        c.open(URI, "typescript", &text).await;
        let d = c.diagnostics(URI).await;
        assert_eq!(d["version"], 1);
        // One finding, on the tag: an assumption that names nothing
        // checkable, as `tagls check` reports it.
        let diags = d["diagnostics"].as_array().unwrap();
        let codes: Vec<&str> = diags.iter().map(|d| d["code"].as_str().unwrap()).collect();
        assert_eq!(codes, ["unchecked-assumption"], "{d}");
        let diag = &diags[0];
        assert_eq!(diag["source"], "tagls");
        assert_eq!(diag["code"], "unchecked-assumption");
        assert_eq!(diag["severity"], 3);
        assert_eq!(diag["message"], "Assumption: Assuming 𝄞 X");
        assert_eq!(
            diag["range"],
            json!({ "start": { "line": 0, "character": col(m[0]) }, "end": { "line": 0, "character": col(m[1]) } }),
            "{enc}"
        );
        c.finish().await;
    }
}

#[tokio::test]
async fn hover_explains_the_tag() {
    let (text, m) =
        markers("# 日本語\n# #PATH_DECISION: use sqlite\n#   Why: small $0data\nx = 1\n");
    let mut c = start(ClientOptions::default()).await;
    c.open("file:///ws/a.py", "python", &text).await;
    c.diagnostics("file:///ws/a.py").await;
    let hover = c
        .request(
            "textDocument/hover",
            json!({ "textDocument": { "uri": "file:///ws/a.py" }, "position": { "line": m[0].0, "character": m[0].1 } }),
        )
        .await;
    let value = hover["contents"]["value"].as_str().unwrap();
    assert!(value.contains("**#PATH_DECISION**"), "{value}");
    assert!(value.contains("decision family"), "{value}");
    assert!(value.contains("Keep it"), "{value}");
    assert_eq!(
        hover["range"]["start"],
        json!({ "line": 1, "character": 2 })
    );
    // Outside any tag there is nothing to say, and a position past the end of
    // the file is clamped rather than refused.
    for (line, character) in [(3, 0), (9999, 9999)] {
        let none = c
            .request(
                "textDocument/hover",
                json!({ "textDocument": { "uri": "file:///ws/a.py" }, "position": { "line": line, "character": character } }),
            )
            .await;
        assert_eq!(none, Value::Null);
    }
    c.finish().await;
}

#[tokio::test]
async fn semantic_tokens_full_and_range() {
    let text =
        "/**\n * 😀 #COMPLETION_DRIVE: a\n *   Description: b\n */\nlet x = 1; // #CARGO_CULT: c\n";
    let mut c = start(ClientOptions::default()).await;
    c.open(URI, "typescript", text).await;
    c.diagnostics(URI).await;
    let full = c
        .request(
            "textDocument/semanticTokens/full",
            json!({ "textDocument": { "uri": URI } }),
        )
        .await;
    // [deltaLine, deltaStart, length, type, modifiers]: the JSDoc block's two
    // lines give separate tokens.
    assert_eq!(
        full["data"],
        json!([1, 6, 18, 0, 0, 1, 5, 12, 7, 0, 2, 14, 12, 1, 0])
    );
    let range = c
        .request(
            "textDocument/semanticTokens/range",
            json!({ "textDocument": { "uri": URI }, "range": { "start": { "line": 4, "character": 0 }, "end": { "line": 5, "character": 0 } } }),
        )
        .await;
    assert_eq!(range["data"], json!([4, 14, 12, 1, 0]));
    c.finish().await;
}

/// Highlighting does not wait for a parse that takes long (here, a whole
/// new text of 1.5 MB): the request is answered from the last parse, and
/// once the parse is done the client is asked to refresh, and then gets the
/// new tags.
#[tokio::test]
async fn highlighting_does_not_wait_for_a_slow_parse() {
    let mut c = start(ClientOptions::default()).await;
    c.open(URI, "typescript", "// #COMPLETION_DRIVE: a\nconst x = 1;\n")
        .await;
    c.diagnostics(URI).await;
    let first = c
        .request(
            "textDocument/semanticTokens/full",
            json!({ "textDocument": { "uri": URI } }),
        )
        .await;
    assert_eq!(first["data"], json!([0, 3, 18, 0, 0]));
    let big = "const y = 2;\n".repeat(120_000) + "// #CARGO_CULT: b\n";
    c.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": URI, "version": 2 }, "contentChanges": [{ "text": big }] }),
    )
    .await;
    let id = c
        .request_nowait(
            "textDocument/semanticTokens/full",
            json!({ "textDocument": { "uri": URI } }),
        )
        .await;
    let answered = c.response(id).await["result"].clone();
    let new_tag = json!([120_000, 3, 12, 1, 0]);
    if answered["data"] != new_tag {
        // The last parse's tags, moved along by the edit: the replaced text
        // took them all.
        assert_eq!(answered["data"], json!([]), "{answered}");
        c.wait_for(
            |m| m["method"] == "workspace/semanticTokens/refresh",
            "a request to refresh the semantic tokens",
        )
        .await;
    }
    let after = c
        .request(
            "textDocument/semanticTokens/full",
            json!({ "textDocument": { "uri": URI } }),
        )
        .await;
    assert_eq!(after["data"], new_tag);
    c.finish().await;
}

#[tokio::test]
async fn unknown_tag_has_a_quick_fix() {
    let text = "// #COMPLETION_DIRVE: Assuming X\n";
    let mut c = start(ClientOptions::default()).await;
    c.open(URI, "typescript", text).await;
    let d = c.diagnostics(URI).await;
    let diag = d["diagnostics"][0].clone();
    assert_eq!(diag["code"], "unknown-tag");
    assert_eq!(diag["severity"], 2);
    assert_eq!(
        diag["message"],
        "unknown tag #COMPLETION_DIRVE: did you mean #COMPLETION_DRIVE?"
    );
    let actions = c
        .request(
            "textDocument/codeAction",
            json!({ "textDocument": { "uri": URI }, "range": diag["range"], "context": { "diagnostics": [diag] } }),
        )
        .await;
    assert_eq!(actions[0]["title"], "Change to #COMPLETION_DRIVE");
    assert_eq!(actions[0]["kind"], "quickfix");
    assert_eq!(
        actions[0]["edit"]["changes"][URI],
        json!([{ "range": { "start": { "line": 0, "character": 3 }, "end": { "line": 0, "character": 21 } }, "newText": "#COMPLETION_DRIVE:" }])
    );
    // Diagnostics that are not ours, or carry data we did not write, get no fix.
    let mut forged = diag.clone();
    forged["data"] = json!({ "fix": "rename-tag", "to": "X\nY" });
    let none = c
        .request(
            "textDocument/codeAction",
            json!({ "textDocument": { "uri": URI }, "range": diag["range"], "context": { "diagnostics": [forged], "only": ["quickfix"] } }),
        )
        .await;
    assert_eq!(none, Value::Null);
    c.finish().await;
}

/// Changes are applied strictly in wire order: 60 notifications back to back,
/// then a request that must see the final text.
#[tokio::test]
async fn many_changes_then_a_request_sees_the_final_text() {
    let mut c = start(ClientOptions::default()).await;
    c.open(URI, "typescript", "// #COMPLETION_DRIVE: \nlet x = 1;\n")
        .await;
    c.diagnostics(URI).await;
    let word: Vec<char> = "Assuming the payload is typed one character at a time, in order"
        .chars()
        .collect();
    assert!(word.len() >= 60);
    for (i, ch) in word.iter().enumerate() {
        c.notify(
            "textDocument/didChange",
            json!({
                "textDocument": { "uri": URI, "version": i + 2 },
                "contentChanges": [{ "range": { "start": { "line": 0, "character": 22 + i }, "end": { "line": 0, "character": 22 + i } }, "text": ch.to_string() }]
            }),
        )
        .await;
    }
    let hover = c
        .request(
            "textDocument/hover",
            json!({ "textDocument": { "uri": URI }, "position": { "line": 0, "character": 5 } }),
        )
        .await;
    let end = 22 + word.len() as u32;
    assert_eq!(
        hover["range"]["end"],
        json!({ "line": 0, "character": end })
    );
    let last_version = word.len() as i64 + 1;
    let d = c
        .diagnostics_where(URI, |p| p["version"] == last_version)
        .await;
    let expected: String = word.iter().collect();
    assert_eq!(
        d["diagnostics"][0]["message"],
        format!("Assumption: {expected}")
    );
    c.finish().await;
}

#[tokio::test]
async fn several_changes_in_one_notification_apply_in_sequence() {
    let mut c = start(ClientOptions::default()).await;
    c.open(URI, "typescript", "let a = 1;\n").await;
    c.diagnostics(URI).await;
    c.notify(
        "textDocument/didChange",
        json!({
            "textDocument": { "uri": URI, "version": 2 },
            "contentChanges": [
                { "range": { "start": { "line": 1, "character": 0 }, "end": { "line": 1, "character": 0 } }, "text": "// #VERIFIED: one\n" },
                // This position exists only after the first change.
                { "range": { "start": { "line": 1, "character": 17 }, "end": { "line": 1, "character": 17 } }, "text": " two" },
                { "range": { "start": { "line": 0, "character": 0 }, "end": { "line": 1, "character": 0 } }, "text": "" },
            ]
        }),
    )
    .await;
    let d = c.diagnostics_where(URI, |p| p["version"] == 2).await;
    assert_eq!(d["diagnostics"][0]["message"], "Verdict: one two");
    assert_eq!(
        d["diagnostics"][0]["range"]["start"],
        json!({ "line": 0, "character": 3 })
    );
    // A whole-document replacement is a change too.
    c.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": URI, "version": 3 }, "contentChanges": [{ "text": "// #CARGO_CULT: x\n" }] }),
    )
    .await;
    let d = c.diagnostics_where(URI, |p| p["version"] == 3).await;
    assert_eq!(d["diagnostics"][0]["code"], "pattern");
    c.finish().await;
}

#[tokio::test]
async fn close_clears_diagnostics_and_other_languages_are_ignored() {
    let mut c = start(ClientOptions::default()).await;
    c.open(
        "file:///ws/build.zig",
        "zig",
        "// #COMPLETION_DRIVE: not ours\n",
    )
    .await;
    c.open(
        "file:///ws/main.go",
        "go",
        "package main\n// #COMPLETION_DRIVE: ours\n",
    )
    .await;
    // The actor handles documents in order: had the Zig file been checked,
    // its diagnostics would have come first.
    let first = c
        .wait_for(
            |m| m["method"] == "textDocument/publishDiagnostics",
            "the first diagnostics",
        )
        .await;
    assert_eq!(first["params"]["uri"], "file:///ws/main.go");
    assert_eq!(
        first["params"]["diagnostics"][0]["code"],
        "unchecked-assumption"
    );
    c.notify(
        "textDocument/didClose",
        json!({ "textDocument": { "uri": "file:///ws/main.go" } }),
    )
    .await;
    // A publish for the open document may still be on its way; the close
    // is followed by an empty one, without a version.
    let d = c
        .diagnostics_where("file:///ws/main.go", |p| p["diagnostics"] == json!([]))
        .await;
    assert!(d.get("version").is_none_or(Value::is_null), "{d:#}");
    c.finish().await;
}

/// A document over the size limit, or with binary content, is not parsed,
/// and the server goes on answering.
#[tokio::test]
async fn oversized_and_binary_documents_are_skipped() {
    let mut c = start(ClientOptions::default()).await;
    let big = "// #COMPLETION_DRIVE: big\n".repeat(3 * 1024 * 1024 / 26 + 1);
    c.open("file:///ws/big.ts", "typescript", &big).await;
    let log = c
        .wait_for(
            |m| {
                m["method"] == "window/logMessage"
                    && m["params"]["message"]
                        .as_str()
                        .is_some_and(|s| s.contains("big.ts"))
            },
            "a log line",
        )
        .await;
    assert!(
        log["params"]["message"]
            .as_str()
            .unwrap()
            .contains("size limit"),
        "{log}"
    );
    // Not parsed, and said so: its text holds tags.
    let d = c.diagnostics("file:///ws/big.ts").await;
    assert_eq!(d["diagnostics"][0]["code"], "skipped-file", "{d}");
    assert_eq!(d["diagnostics"].as_array().unwrap().len(), 1, "{d}");
    c.open(
        "file:///ws/bin.js",
        "javascript",
        "\u{0}\u{1}// #VERIFIED: x\n",
    )
    .await;
    let d = c.diagnostics("file:///ws/bin.js").await;
    assert_eq!(d["diagnostics"][0]["code"], "skipped-file", "{d}");
    assert_eq!(d["diagnostics"].as_array().unwrap().len(), 1, "{d}");
    // Shrinking the big document under the limit brings its tags back.
    c.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": "file:///ws/big.ts", "version": 2 }, "contentChanges": [{ "text": "// #VERIFIED: small\n" }] }),
    )
    .await;
    let d = c
        .diagnostics_where("file:///ws/big.ts", |p| p["version"] == 2)
        .await;
    assert_eq!(d["diagnostics"][0]["message"], "Verdict: small");
    c.open(URI, "typescript", "// #VERIFIED: still here\n")
        .await;
    assert_eq!(
        c.diagnostics(URI).await["diagnostics"][0]["message"],
        "Verdict: still here"
    );
    c.finish().await;
}

/// Positions that do not exist, from a confused client, are clamped.
#[tokio::test]
async fn out_of_range_changes_are_clamped() {
    let mut c = start(ClientOptions::default()).await;
    c.open(URI, "typescript", "// #VERIFIED: a\n").await;
    c.diagnostics(URI).await;
    c.notify(
        "textDocument/didChange",
        json!({
            "textDocument": { "uri": URI, "version": 2 },
            "contentChanges": [{ "range": { "start": { "line": 0, "character": 999 }, "end": { "line": 50, "character": 3 } }, "text": "b" }]
        }),
    )
    .await;
    let d = c.diagnostics_where(URI, |p| p["version"] == 2).await;
    assert_eq!(d["diagnostics"][0]["message"], "Verdict: ab");
    c.finish().await;
}

/// The demo's route file: one path that exists from the root, one that does
/// not exist anywhere.
const ROUTE_TS: &str = "\
// #COMPLETION_DRIVE: Assuming UserService exists at src/services/user.service.ts
// #COMPLETION_DRIVE: Assuming rate limits are configured in src/config/rate-limit.ts
export {}
";

/// The paths that `missing-path` diagnostics name, in order.
fn missing_paths(params: &Value) -> Vec<String> {
    params["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "missing-path")
        .map(|d| d["message"].as_str().unwrap().to_owned())
        .collect()
}

/// Helix without a root marker sends `rootUri: null`, no folders, and its
/// working folder as `rootPath`: paths resolve against that folder, not
/// against the document's own.
#[tokio::test]
async fn a_root_path_alone_is_the_root() {
    let ws = tempfile::tempdir().unwrap();
    let root = ws.path().canonicalize().unwrap();
    write(
        &root,
        "src/services/user.service.ts",
        "export class UserService {}\n",
    );
    write(&root, "src/api/routes/auth.ts", ROUTE_TS);
    let mut c = start(ClientOptions {
        root: None,
        root_path: Some(root.clone()),
        ..ClientOptions::default()
    })
    .await;
    let uri = file_uri(&root.join("src/api/routes/auth.ts"));
    c.open(&uri, "typescript", ROUTE_TS).await;
    let d = c
        .diagnostics_where(&uri, |p| !missing_paths(p).is_empty())
        .await;
    assert_eq!(
        missing_paths(&d),
        ["src/config/rate-limit.ts does not exist in the workspace"],
        "{d:#}"
    );
    c.finish().await;
}

/// `tagls.logPath` answers where the log is, as configured for the root:
/// for the root that holds the file given (a path or a URI), else for the
/// first root; the log need not exist.
#[tokio::test]
async fn log_path_answers_with_the_configured_log() {
    let ws = tempfile::tempdir().unwrap();
    let root = ws.path().canonicalize().unwrap();
    write(&root, ".tagls.toml", "log = \"docs/impl-log.md\"\n");
    write(&root, "src/a.ts", "// #VERIFIED: a\n");
    let mut c = start(ClientOptions {
        root: Some(root.clone()),
        ..ClientOptions::default()
    })
    .await;
    // Once a document's diagnostics are in, the root and its configuration are.
    let uri = file_uri(&root.join("src/a.ts"));
    c.open(&uri, "typescript", "// #VERIFIED: a\n").await;
    c.diagnostics(&uri).await;
    let expected = json!({ "path": root.join("docs/impl-log.md") });
    for args in [
        json!([{ "file": uri }]),
        json!([{ "file": root.join("src/a.ts") }]),
        json!([{ "file": "/elsewhere/b.ts" }]),
        json!([{}]),
        json!([]),
    ] {
        let answer = c
            .request(
                "workspace/executeCommand",
                json!({ "command": "tagls.logPath", "arguments": args }),
            )
            .await;
        assert_eq!(answer, expected, "{args}");
    }
    // An argument that is not a path is refused with a reason.
    let refused = c
        .request_raw(
            "workspace/executeCommand",
            json!({ "command": "tagls.logPath", "arguments": [{ "file": 7 }] }),
        )
        .await;
    assert_eq!(refused["error"]["code"], -32602, "{refused}");
    // The answer follows the configuration.
    write(&root, ".tagls.toml", "log = \"notes/log.md\"\n");
    let deadline = tokio::time::Instant::now() + support::TIMEOUT;
    loop {
        let answer = c
            .request(
                "workspace/executeCommand",
                json!({ "command": "tagls.logPath", "arguments": [{ "file": uri }] }),
            )
            .await;
        if answer == json!({ "path": root.join("notes/log.md") }) {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{answer}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    c.finish().await;
}

/// Without any root (no folder, no root URI, no root path, no document),
/// there is no log to name.
#[tokio::test]
async fn log_path_without_a_root_is_null() {
    let mut c = start(ClientOptions::default()).await;
    let answer = c
        .request(
            "workspace/executeCommand",
            json!({ "command": "tagls.logPath", "arguments": [{ "file": "/nowhere/a.ts" }] }),
        )
        .await;
    assert_eq!(answer, Value::Null);
    c.finish().await;
}

/// For a client that watches files for the server (VS Code): once it reports
/// the new `.tagls.toml`, the log is where that file says, at once.
#[tokio::test]
async fn log_path_follows_the_configuration_a_watching_client_reports() {
    let ws = tempfile::tempdir().unwrap();
    let root = ws.path().canonicalize().unwrap();
    write(&root, "src/a.ts", "// #VERIFIED: a\n");
    write(&root, ".orchestration/implementation-log.md", "# Log\n");
    let mut c = start(ClientOptions {
        root: Some(root.clone()),
        watch_registration: true,
        ..ClientOptions::default()
    })
    .await;
    let log_uri = file_uri(&root.join(".orchestration/implementation-log.md"));
    c.open(&log_uri, "markdown", "# Log\n").await;
    c.diagnostics(&log_uri).await;
    write(&root, "docs/impl-log.md", "# Log\n");
    write(&root, ".tagls.toml", "log = \"docs/impl-log.md\"\n");
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({ "changes": [
        { "uri": file_uri(&root.join("docs/impl-log.md")), "type": 1 },
        { "uri": file_uri(&root.join(".tagls.toml")), "type": 1 } ] }),
    )
    .await;
    let answer = c
        .request(
            "workspace/executeCommand",
            json!({ "command": "tagls.logPath", "arguments": [{ "file": log_uri }] }),
        )
        .await;
    assert_eq!(answer, json!({ "path": root.join("docs/impl-log.md") }));
    c.finish().await;
}

/// A file over 8 KiB whose byte 8192 falls inside a multi-byte character
/// (where the server looks for binary content) is checked, and keeps being
/// checked after a keystroke, in every encoding.
#[tokio::test]
async fn multi_byte_text_across_the_binary_sniff_is_checked() {
    for (enc, wide) in [("utf-16", '日'), ("utf-8", '😀'), ("utf-32", 'é')] {
        let mut c = start(opts(Some(vec![enc]))).await;
        let line = "// #COMPLETION_DRIVE: Assuming the cache is warm\n";
        let mut text = String::new();
        while text.len() + line.len() < 8190 {
            text.push_str(line);
        }
        while text.len() < 8191 {
            text.push('a');
        }
        text.push(wide);
        assert!(!text.is_char_boundary(8192), "byte 8192 is inside {wide}");
        text.push_str("\n// #COMPLETION_DRIVE: Assuming the end is checked too\n");
        c.open(URI, "typescript", &text).await;
        let d = c.diagnostics(URI).await;
        let last = |d: &Value| {
            d["diagnostics"]
                .as_array()
                .unwrap()
                .iter()
                .any(|d| d["message"] == "Assumption: Assuming the end is checked too")
        };
        assert!(last(&d), "{enc}: the whole file is checked");
        // One keystroke right before the wide character.
        let line_no = text[..8191].matches('\n').count();
        c.notify(
            "textDocument/didChange",
            json!({
                "textDocument": { "uri": URI, "version": 2 },
                "contentChanges": [{ "range": { "start": { "line": line_no, "character": 0 }, "end": { "line": line_no, "character": 0 } }, "text": "b" }]
            }),
        )
        .await;
        let d = c.diagnostics_where(URI, |p| p["version"] == 2).await;
        assert!(last(&d), "{enc}: still checked after the edit: {d}");
        assert!(
            !c.drain().await.contains("internal error"),
            "{enc}: no internal error"
        );
        c.finish().await;
    }
}

/// `tagls.gate` answers the whole-project view: each root's verdict and
/// reason, its findings with what they mean for the gate, and every tag by
/// family, at LSP positions in the negotiated encoding; `file` narrows it to
/// the root that holds the file.
#[tokio::test]
async fn the_gate_command_answers_for_each_root() {
    let ws = tempfile::tempdir().unwrap();
    let base = ws.path().canonicalize().unwrap();
    let (a, b) = (base.join("a"), base.join("b"));
    // "é" and "😀" put UTF-16 columns apart from character columns.
    write(
        &a,
        "src/app.ts",
        "// é😀 #COMPLETION_DRIVE: Assuming the helper exists at src/missing.ts\n",
    );
    write(&b, "src/ok.py", "# #PATTERN_MOMENTUM: two retry loops\n");
    write(
        &b,
        ".orchestration/implementation-log.md",
        "#FILE_CREATED: src/ok.py (1 lines)\n",
    );
    let mut c = start(ClientOptions {
        folders: vec![a.clone(), b.clone()],
        ..ClientOptions::default()
    })
    .await;
    // Once a document's diagnostics are in, the roots and their
    // configuration are.
    let app = file_uri(&a.join("src/app.ts"));
    c.open(
        &app,
        "typescript",
        &std::fs::read_to_string(a.join("src/app.ts")).unwrap(),
    )
    .await;
    c.diagnostics(&app).await;
    let gate = |args: Value| json!({ "command": "tagls.gate", "arguments": args });
    let all = c.request("workspace/executeCommand", gate(json!([]))).await;
    let roots = all["roots"].as_array().unwrap();
    assert_eq!(roots.len(), 2, "{all:#}");
    let of = |dir: &std::path::Path| {
        roots
            .iter()
            .find(|r| r["root"] == file_uri(dir))
            .unwrap_or_else(|| panic!("no answer for {}: {all:#}", dir.display()))
            .clone()
    };
    let (ra, rb) = (of(&a), of(&b));
    assert_eq!(ra["verdict"], "BLOCKED", "{ra:#}");
    assert_eq!(rb["verdict"], "PASSED", "{rb:#}");
    let missing = ra["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "missing-path")
        .unwrap_or_else(|| panic!("{ra:#}"));
    assert_eq!(missing["gate"], "BLOCKED");
    assert_eq!(missing["uri"], file_uri(&a.join("src/app.ts")));
    // "// é😀 " is 7 UTF-16 units before the tag, 6 characters.
    let tag = &ra["tags"][0];
    assert_eq!(tag["tag"], "COMPLETION_DRIVE");
    assert_eq!(tag["family"], "assumption");
    assert_eq!(
        tag["range"]["start"],
        json!({ "line": 0, "character": 7 }),
        "{tag:#}"
    );
    // The missing path and the missing log block.
    assert_eq!(ra["summary"]["blocking"], 2, "{ra:#}");
    let families: Vec<&Value> = rb["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| &t["family"])
        .collect();
    assert_eq!(families, [&json!("pattern"), &json!("claim")], "{rb:#}");
    // Narrowed to the root of a file.
    let only_b = c
        .request(
            "workspace/executeCommand",
            gate(json!([{ "file": file_uri(&b.join("src/ok.py")) }])),
        )
        .await;
    assert_eq!(only_b["roots"].as_array().unwrap().len(), 1, "{only_b:#}");
    assert_eq!(only_b["roots"][0]["root"], file_uri(&b));
    let refused = c
        .request_raw("workspace/executeCommand", gate(json!([{ "file": 7 }])))
        .await;
    assert_eq!(refused["error"]["code"], -32602, "{refused}");
    c.finish().await;
}

/// A false line count in the log has a quick fix that writes the file's count
/// in its place, as a versioned edit of the open log; once applied, the claim
/// is true. `(N LOC)` is corrected the same way. The real binary, over stdio.
#[tokio::test]
async fn a_false_line_count_has_a_quick_fix_that_corrects_it() {
    let ws = tempfile::tempdir().unwrap();
    let root = ws.path().canonicalize().unwrap();
    write(&root, "src/a.ts", &"let x = 1;\n".repeat(29));
    write(&root, "src/b.ts", "a\nb\n");
    let log = "# Log\n\n## Files Created\n#FILE_CREATED: src/a.ts (156 lines)\n#FILE_CREATED: src/b.ts (9 LOC)\n";
    write(&root, ".orchestration/implementation-log.md", log);
    let mut c = support::start_binary(
        std::path::Path::new(env!("CARGO_BIN_EXE_tagls")),
        ClientOptions {
            root: Some(root.clone()),
            ..ClientOptions::default()
        },
    )
    .await;
    let log_uri = file_uri(&root.join(".orchestration/implementation-log.md"));
    c.open(&log_uri, "markdown", log).await;
    let false_claims = |d: &Value| -> Vec<Value> {
        d["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["code"] == "false-claim")
            .cloned()
            .collect()
    };
    let d = c
        .diagnostics_where(&log_uri, |d| false_claims(d).len() == 2)
        .await;
    let mut version = 1;
    for (claims, title, line, fixed) in [
        (
            "src/a.ts has 29 lines, not 156",
            "Correct to 29 lines",
            3,
            "#FILE_CREATED: src/a.ts (29 lines)",
        ),
        (
            "src/b.ts has 2 lines, not 9",
            "Correct to 2 lines",
            4,
            "#FILE_CREATED: src/b.ts (2 LOC)",
        ),
    ] {
        let diag = false_claims(&d)
            .into_iter()
            .find(|x| x["message"] == claims)
            .unwrap_or_else(|| panic!("no {claims:?} in {d}"));
        let actions = c
            .request(
                "textDocument/codeAction",
                json!({ "textDocument": { "uri": log_uri }, "range": diag["range"], "context": { "diagnostics": [diag], "only": ["quickfix"] } }),
            )
            .await;
        let action = actions
            .as_array()
            .and_then(|a| a.iter().find(|a| a["title"] == title))
            .unwrap_or_else(|| panic!("no {title:?} in {actions}"));
        assert_eq!(action["kind"], "quickfix");
        assert_eq!(action["isPreferred"], true);
        let change = &action["edit"]["documentChanges"][0];
        assert_eq!(
            change["textDocument"],
            json!({ "uri": log_uri, "version": version })
        );
        let edits = change["edits"].as_array().unwrap();
        assert_eq!(edits.len(), 1, "{action}");
        // Apply it, as the editor does.
        let text = c.docs[&log_uri].1.clone();
        let (s, e) = (&edits[0]["range"]["start"], &edits[0]["range"]["end"]);
        assert_eq!(
            (s["line"].as_u64(), e["line"].as_u64()),
            (Some(line), Some(line))
        );
        let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
        let l = &mut lines[line as usize];
        let (a, b) = (
            s["character"].as_u64().unwrap() as usize,
            e["character"].as_u64().unwrap() as usize,
        );
        l.replace_range(a..b, edits[0]["newText"].as_str().unwrap());
        assert_eq!(l, fixed);
        let new_text = lines.join("\n") + "\n";
        version += 1;
        c.docs.insert(log_uri.clone(), (version, new_text.clone()));
        c.notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": log_uri, "version": version }, "contentChanges": [{ "text": new_text }] }),
        )
        .await;
    }
    c.diagnostics_where(&log_uri, |d| false_claims(d).is_empty())
        .await;
    // A stale diagnostic, whose place no longer reads as the claimed count,
    // gets no fix.
    let stale = json!({
        "range": { "start": { "line": 3, "character": 15 }, "end": { "line": 3, "character": 34 } },
        "severity": 1, "code": "false-claim", "source": "tagls",
        "message": "src/a.ts has 29 lines, not 156",
        "data": { "fix": "correct-count", "claimed": 156, "lines": 29 },
    });
    let none = c
        .request(
            "textDocument/codeAction",
            json!({ "textDocument": { "uri": log_uri }, "range": stale["range"], "context": { "diagnostics": [stale], "only": ["quickfix"] } }),
        )
        .await;
    assert_eq!(none, Value::Null);
    c.finish().await;
}

/// A Python docstring holds tags, at their places in each encoding, however
/// many lines come before the tag; any other string never does.
#[tokio::test]
async fn docstring_tags_in_each_encoding() {
    let (text, m) = markers(
        "def load(path):\n    \"\"\"日本語 😀 𝄞 loads.\n\n    𝄞 $0#COMPLETION_DRIVE:$0 Assuming UTF-8\n    \"\"\"\n    s = \"#VERIFIED: a decoy\"\n",
    );
    for (enc, utf8) in [("utf-16", false), ("utf-8", true)] {
        let col = |m: (u32, u32, u32)| if utf8 { m.2 } else { m.1 };
        let mut c = start(opts(Some(vec![enc]))).await;
        let uri = "file:///ws/src/load.py";
        c.open(uri, "python", &text).await;
        let d = c.diagnostics(uri).await;
        let diags = d["diagnostics"].as_array().unwrap();
        assert_eq!(diags.len(), 1, "{d}");
        assert_eq!(diags[0]["code"], "unchecked-assumption");
        assert_eq!(diags[0]["message"], "Assumption: Assuming UTF-8");
        assert_eq!(
            diags[0]["range"],
            json!({ "start": { "line": m[0].0, "character": col(m[0]) }, "end": { "line": m[1].0, "character": col(m[1]) } }),
            "{enc}"
        );
        c.finish().await;
    }
}
