//! What a user notices in any editor, over the protocol with the built
//! binary: the order and kinds of the code actions, what "Log
//! #FILE_CREATED" says for a file the log already has, and code lenses
//! that follow edits without the editor asking again.

use crate::support;

use std::path::PathBuf;

use serde_json::{Value, json};
use support::{ClientOptions, TestClient, file_uri, start_binary, write};

fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_tagls"))
}

async fn client(root: &std::path::Path) -> TestClient {
    start_binary(
        &bin(),
        ClientOptions {
            root: Some(root.to_path_buf()),
            ..ClientOptions::default()
        },
    )
    .await
}

const LOG: &str = ".orchestration/implementation-log.md";

/// On a line with a missing path, the fix for it comes first, the
/// refactoring of the assumption under the cursor next, and the file-wide
/// source actions last, the cleanup after PASSED among them; asking for
/// quick fixes only gets nothing else.
#[tokio::test]
async fn the_fix_for_the_diagnostic_under_the_cursor_comes_first() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    // A pattern naming a missing file is a warning that does not stop the
    // gate: the workspace PASSES, so the cleanup is offered too.
    let text = "// #COMPLETION_DRIVE: Assuming src/user.ts exists
\
                // #CARGO_CULT: the export list copied from src/gone.ts
\
                export {}
";
    write(root, "src/h.ts", text);
    write(
        root,
        "src/user.ts",
        "export class User {}
",
    );
    write(
        root,
        LOG,
        "# Implementation Log

## Files Created

#FILE_CREATED: src/h.ts (3 lines)
\
         #FILE_CREATED: src/user.ts (1 line)
",
    );
    let mut c = client(root).await;
    let uri = file_uri(&root.join("src/h.ts"));
    c.open(&uri, "typescript", text).await;
    let published = c
        .diagnostics_where(&uri, |d| {
            d["diagnostics"]
                .as_array()
                .is_some_and(|all| all.iter().any(|d| d["code"] == "missing-path"))
        })
        .await;
    let missing = published["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "missing-path")
        .cloned()
        .unwrap();
    // The cursor's selection: both tags.
    let ask = |only: Option<Value>| {
        let mut context = json!({ "diagnostics": [missing.clone()] });
        if let Some(only) = only {
            context["only"] = only;
        }
        json!({
            "textDocument": { "uri": uri },
            "range": { "start": { "line": 0, "character": 0 }, "end": missing["range"]["end"] },
            "context": context,
        })
    };
    let cleanup =
        "Remove the 2 tags the method cleans up after PASSED (decisions and suggestions stay)";
    // The verdict comes from a check of the root on disk.
    let deadline = tokio::time::Instant::now() + support::TIMEOUT;
    let listed = loop {
        let actions = c.request("textDocument/codeAction", ask(None)).await;
        let listed: Vec<(String, String)> = actions
            .as_array()
            .into_iter()
            .flatten()
            .map(|a| {
                (
                    a["kind"].as_str().unwrap_or_default().to_owned(),
                    a["title"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect();
        if listed.iter().any(|(_, t)| t == cleanup) {
            break listed;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no cleanup offered: {listed:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    let expected = [
        ("quickfix", "Create src/gone.ts"),
        ("quickfix", "Create src/gone.ts and log it"),
        ("refactor.move", "Move #COMPLETION_DRIVE to the log"),
        ("source.tagls.cleanup", cleanup),
        ("source.tagls", "Log #FILE_CREATED for src/h.ts"),
        ("source.tagls", "Log #FILE_MODIFIED for src/h.ts"),
    ]
    .map(|(k, t)| (k.to_owned(), t.to_owned()));
    assert_eq!(listed, expected);

    let actions = c
        .request("textDocument/codeAction", ask(Some(json!(["quickfix"]))))
        .await;
    let kinds: Vec<&str> = actions
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["kind"].as_str())
        .collect();
    assert_eq!(kinds, ["quickfix", "quickfix"]);
    c.finish().await;
}

/// "Log #FILE_CREATED" for a file the log already has as it would write
/// it: the log is left as it is, and the user is told where the entry is.
#[tokio::test]
async fn logging_a_file_the_log_already_has_says_where_its_entry_is() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let text = "// #COMPLETION_DRIVE: Assuming the API returns {token, user}\nexport const x = 1\n";
    write(root, "src/a.ts", text);
    let log = "# Implementation Log\n\n## Files Created\n\n#FILE_CREATED: src/a.ts (2 lines)\n  Description: the client\n";
    write(root, LOG, log);
    let mut c = client(root).await;
    let uri = file_uri(&root.join("src/a.ts"));
    c.open(&uri, "typescript", text).await;
    c.diagnostics(&uri).await;
    let file = root.join("src/a.ts");
    c.request(
        "workspace/executeCommand",
        json!({ "command": "tagls.logCreated", "arguments": [{ "file": file }] }),
    )
    .await;
    let shown = c.shown("already logged").await;
    assert_eq!(
        shown["params"]["message"],
        "tagls: src/a.ts is already logged as #FILE_CREATED \
         (.orchestration/implementation-log.md, line 5); nothing to change"
    );
    assert_eq!(shown["params"]["type"], 3, "an information, not an error");
    assert_eq!(std::fs::read_to_string(root.join(LOG)).unwrap(), log);

    // A line count that changed is brought up to date, silently.
    let longer = format!("{text}export const y = 2\n");
    std::fs::write(&file, &longer).unwrap();
    c.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri, "version": 2 }, "contentChanges": [{ "text": longer }] }),
    )
    .await;
    c.request(
        "workspace/executeCommand",
        json!({ "command": "tagls.logCreated", "arguments": [{ "file": file }] }),
    )
    .await;
    let updated = support::file_where(&root.join(LOG), |t| t.contains("(3 lines)")).await;
    assert_eq!(updated, log.replace("(2 lines)", "(3 lines)"));
    c.finish().await;
}

/// The title of the file's code lens.
async fn lens(c: &mut TestClient, uri: &str) -> Value {
    c.request(
        "textDocument/codeLens",
        json!({ "textDocument": { "uri": uri } }),
    )
    .await[0]["command"]["title"]
        .clone()
}

/// The lens of a file says how many tags of each family it has: an edit
/// that changes that makes the server ask the editor to fetch lenses again.
#[tokio::test]
async fn an_edit_that_changes_a_lens_asks_the_editor_to_refresh_lenses() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let text = "// #COMPLETION_DRIVE: Assuming the API returns {token, user}\nexport {}\n";
    write(root, "src/a.ts", text);
    let mut c = client(root).await;
    let uri = file_uri(&root.join("src/a.ts"));
    c.open(&uri, "typescript", text).await;
    c.diagnostics(&uri).await;
    assert_eq!(lens(&mut c, &uri).await, "tagls: 1 assumption");

    let edited = format!("{text}// #CARGO_CULT: the retry loop from the old client\n");
    c.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri, "version": 2 }, "contentChanges": [{ "text": edited }] }),
    )
    .await;
    c.wait_for(
        |m| m["method"] == "workspace/codeLens/refresh",
        "workspace/codeLens/refresh after the edit",
    )
    .await;
    assert_eq!(lens(&mut c, &uri).await, "tagls: 1 assumption · 1 pattern");
    c.finish().await;
}
