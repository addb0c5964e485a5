//! Working in the editor all day: completion, outlines, workspace symbols,
//! navigation between the log and the code, pull diagnostics, code lenses.

use crate::support;

use std::path::Path;

use serde_json::{Value, json};
use support::{ClientOptions, TestClient, file_uri, start, write};

const LOG: &str = "# Implementation Log

## Files Created
#FILE_CREATED: src/services/user.service.ts (1 line)
  Description: the service

## Files Modified
#FILE_MODIFIED: src/app.ts
  Lines affected: 1
";

const APP: &str =
    "// #COMPLETION_DRIVE: Assuming src/services/user.service.ts and JWT_SECRET in .env
// #PATH_DECISION: plain objects
export {}
";

fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "src/services/user.service.ts",
        "export class UserService {}\n",
    );
    write(
        root,
        "src/services/billing.ts",
        "// #COMPLETION_DRIVE: Assuming src/payments/stripe.ts exists\n",
    );
    write(root, "src/app.ts", APP);
    write(root, ".env.example", "JWT_SECRET=\nJWT_TTL=\n");
    write(root, ".orchestration/implementation-log.md", LOG);
    dir
}

async fn client(root: &Path) -> TestClient {
    start(ClientOptions {
        root: Some(root.to_path_buf()),
        ..ClientOptions::default()
    })
    .await
}

async fn complete(
    c: &mut TestClient,
    uri: &str,
    line: u32,
    character: u32,
) -> Vec<(String, String, Value)> {
    let r = c
        .request("textDocument/completion", json!({ "textDocument": { "uri": uri }, "position": { "line": line, "character": character } }))
        .await;
    r.as_array()
        .into_iter()
        .flatten()
        .map(|i| {
            (
                i["label"].as_str().unwrap().to_owned(),
                i["textEdit"]["newText"].as_str().unwrap().to_owned(),
                i["textEdit"]["range"].clone(),
            )
        })
        .collect()
}

fn range(l1: u32, c1: u32, l2: u32, c2: u32) -> Value {
    json!({ "start": { "line": l1, "character": c1 }, "end": { "line": l2, "character": c2 } })
}

#[tokio::test]
async fn completion_of_tags_fields_paths_and_variables() {
    let ws = workspace();
    let root = ws.path();
    let mut c = client(root).await;
    // Wait for the index, so that path completion sees the files.
    let uri = file_uri(&root.join("src/new.ts"));
    let text = "const s = '#COM';\n// #COM\n// #COMPLETION_DRIVE: Assuming src/se\n// #COMPLETION_DRIVE: Assuming JWT_ in env\n";
    c.open(&uri, "typescript", text).await;
    c.diagnostics(&uri).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;

    // In a string: nothing.
    assert!(complete(&mut c, &uri, 0, 15).await.is_empty());
    // After `#` in a comment: the registered tags that start with what is
    // typed, replacing it.
    let items = complete(&mut c, &uri, 1, 7).await;
    let labels: Vec<&str> = items.iter().map(|i| i.0.as_str()).collect();
    assert_eq!(
        labels,
        [
            "#COMPLETION_DRIVE",
            "#COMPLETION_DRIVE_INTEGRATION",
            "#COMPLETION_DRIVE_SUGGESTION",
            "#COMPLETION_DRIVE_IMPL",
            "#COMPLEXITY_EXCEEDED"
        ]
    );
    // The `#` is replaced too, so no client doubles it.
    let drive = items.iter().find(|i| i.0 == "#COMPLETION_DRIVE").unwrap();
    assert_eq!(
        (drive.1.as_str(), &drive.2),
        ("#COMPLETION_DRIVE: ", &range(1, 3, 1, 7))
    );
    // A path in a payload: the folder's entries.
    let items = complete(&mut c, &uri, 2, 37).await;
    let labels: Vec<&str> = items.iter().map(|i| i.0.as_str()).collect();
    assert_eq!(labels, ["services/"]);
    assert_eq!(items[0].1, "src/services/");
    // An upper-case word: variables from the env files.
    let items = complete(&mut c, &uri, 3, 35).await;
    let labels: Vec<&str> = items.iter().map(|i| i.0.as_str()).collect();
    assert_eq!(labels, ["JWT_SECRET", "JWT_TTL"]);

    // In the log: fields under an entry.
    let log_uri = file_uri(&root.join(".orchestration/implementation-log.md"));
    let log = LOG.replace(
        "  Description: the service\n",
        "  Description: the service\n  Ver\n",
    );
    c.open(&log_uri, "markdown", &log).await;
    c.diagnostics(&log_uri).await;
    let items = complete(&mut c, &log_uri, 5, 5).await;
    assert_eq!(
        items.iter().map(|i| i.0.as_str()).collect::<Vec<_>>(),
        ["Verification:"]
    );
    assert_eq!(items[0].2, range(5, 2, 5, 5));
    c.finish().await;
}

#[tokio::test]
async fn outlines_and_workspace_symbols() {
    let ws = workspace();
    let root = ws.path();
    let mut c = client(root).await;
    let uri = file_uri(&root.join("src/app.ts"));
    c.open(&uri, "typescript", APP).await;
    c.diagnostics(&uri).await;
    let symbols = c
        .request(
            "textDocument/documentSymbol",
            json!({ "textDocument": { "uri": uri } }),
        )
        .await;
    let names: Vec<(&str, &str)> = symbols
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["name"].as_str().unwrap(), s["detail"].as_str().unwrap()))
        .collect();
    assert_eq!(
        names,
        [
            (
                "#COMPLETION_DRIVE",
                "Assuming src/services/user.service.ts and JWT_SECRET in .env"
            ),
            ("#PATH_DECISION", "plain objects")
        ]
    );
    assert_eq!(symbols[0]["selectionRange"], range(0, 3, 0, 21));

    let log_uri = file_uri(&root.join(".orchestration/implementation-log.md"));
    c.open(&log_uri, "markdown", LOG).await;
    c.diagnostics(&log_uri).await;
    let symbols = c
        .request(
            "textDocument/documentSymbol",
            json!({ "textDocument": { "uri": log_uri } }),
        )
        .await;
    let outline: Vec<(String, Vec<String>)> = symbols
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let children = s["children"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|c| c["name"].as_str().unwrap().to_owned())
                .collect();
            (s["name"].as_str().unwrap().to_owned(), children)
        })
        .collect();
    assert_eq!(
        outline,
        [
            ("Implementation Log".to_owned(), vec![]),
            ("Files Created".to_owned(), vec!["#FILE_CREATED".to_owned()]),
            (
                "Files Modified".to_owned(),
                vec!["#FILE_MODIFIED".to_owned()]
            ),
        ]
    );

    // Every tag in the workspace, open or not, searchable by tag and text.
    let found = c
        .request("workspace/symbol", json!({ "query": "stripe" }))
        .await;
    let found: Vec<(&str, &str)> = found
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap(),
                s["location"]["uri"].as_str().unwrap(),
            )
        })
        .collect();
    let billing = file_uri(&root.join("src/services/billing.ts"));
    assert_eq!(
        found,
        [(
            "#COMPLETION_DRIVE: Assuming src/payments/stripe.ts exists",
            billing.as_str()
        )]
    );
    let all = c
        .request("workspace/symbol", json!({ "query": "#path_decision" }))
        .await;
    assert_eq!(all.as_array().unwrap().len(), 1);
    c.finish().await;
}

#[tokio::test]
async fn between_the_log_and_the_code() {
    let ws = workspace();
    let root = ws.path();
    let mut c = client(root).await;
    let log_uri = file_uri(&root.join(".orchestration/implementation-log.md"));
    c.open(&log_uri, "markdown", LOG).await;
    c.diagnostics(&log_uri).await;
    // From an entry to its file.
    let def = c
        .request("textDocument/definition", json!({ "textDocument": { "uri": log_uri }, "position": { "line": 7, "character": 3 } }))
        .await;
    assert_eq!(
        def,
        json!([{ "uri": file_uri(&root.join("src/app.ts")), "range": range(0, 0, 0, 0) }])
    );
    // From a file's tag back to its log entries.
    let uri = file_uri(&root.join("src/app.ts"));
    c.open(&uri, "typescript", APP).await;
    c.diagnostics(&uri).await;
    let def = c
        .request(
            "textDocument/definition",
            json!({ "textDocument": { "uri": uri }, "position": { "line": 1, "character": 6 } }),
        )
        .await;
    assert_eq!(
        def,
        json!([{ "uri": log_uri, "range": range(7, 0, 7, 26) }])
    );
    // The lens at the top counts the file's tags.
    let lenses = c
        .request(
            "textDocument/codeLens",
            json!({ "textDocument": { "uri": uri } }),
        )
        .await;
    assert_eq!(
        lenses[0]["command"]["title"],
        "tagls: 1 assumption · 1 decision"
    );
    assert_eq!(lenses[0]["range"], range(0, 0, 0, 0));
    c.finish().await;
}

/// Pull diagnostics list the problems of files that are not open; open
/// files keep getting theirs pushed.
#[tokio::test]
async fn workspace_diagnostics_without_opening_files() {
    let ws = workspace();
    let root = ws.path();
    let mut c = client(root).await;
    let uri = file_uri(&root.join("src/app.ts"));
    c.open(&uri, "typescript", APP).await;
    c.diagnostics(&uri).await;
    let report = c
        .request("workspace/diagnostic", json!({ "previousResultIds": [] }))
        .await;
    let files: Vec<(&str, Vec<&str>)> = report["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let codes = r["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d["code"].as_str().unwrap())
                .collect();
            (r["uri"].as_str().unwrap(), codes)
        })
        .collect();
    let billing = file_uri(&root.join("src/services/billing.ts"));
    assert!(
        files
            .iter()
            .any(|(u, codes)| *u == billing && codes.contains(&"missing-path")),
        "{files:?}"
    );
    assert!(
        !files.iter().any(|(u, _)| *u == uri),
        "open files are pushed, not pulled: {files:?}"
    );
    let doc = c
        .request(
            "textDocument/diagnostic",
            json!({ "textDocument": { "uri": uri } }),
        )
        .await;
    assert_eq!(doc, json!({ "kind": "full", "items": [] }));
    c.finish().await;
}

/// The method's housekeeping: verified assumptions go, decisions stay; an
/// assumption moves to the log with where it was.
#[tokio::test]
async fn remove_verified_tags_and_move_assumptions_to_the_log() {
    let ws = workspace();
    let root = ws.path();
    let text = "// #COMPLETION_DRIVE: Assuming src/services/user.service.ts exists
// #COMPLETION_DRIVE: Assuming src/gone.ts exists
// #PATH_DECISION: plain objects in src/services/user.service.ts
// #CONTEXT_DEGRADED: the retry count was 3 in the old code
export {}
";
    write(root, "src/h.ts", text);
    let mut c = client(root).await;
    let uri = file_uri(&root.join("src/h.ts"));
    c.open(&uri, "typescript", text).await;
    c.diagnostics(&uri).await;
    let actions = c
        .request(
            "textDocument/codeAction",
            json!({ "textDocument": { "uri": uri }, "range": range(3, 5, 3, 5), "context": { "diagnostics": [] } }),
        )
        .await;
    let titles: Vec<&str> = actions
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["title"].as_str().unwrap())
        .collect();
    // The workspace is BLOCKED (src/services/billing.ts names a missing
    // file): verified tags stay until it passes.
    assert_eq!(
        titles,
        [
            "Move #CONTEXT_DEGRADED to the log",
            "Log #FILE_CREATED for src/h.ts",
            "Log #FILE_MODIFIED for src/h.ts"
        ]
    );

    let cmd = actions[0]["command"].clone();
    c.request(
        "workspace/executeCommand",
        json!({ "command": cmd["command"], "arguments": cmd["arguments"] }),
    )
    .await;
    c.pump_until(|c| c.docs[&uri].0 == 2, "the tag's removal from the buffer")
        .await;
    assert_eq!(
        c.docs[&uri].1,
        text.replace(
            "// #CONTEXT_DEGRADED: the retry count was 3 in the old code\n",
            ""
        )
    );
    let log = support::file_where(&root.join(".orchestration/implementation-log.md"), |t| {
        t.contains("Assumptions Made")
    })
    .await;
    assert!(
        log.contains("\n## Assumptions Made\n\n#CONTEXT_DEGRADED: the retry count was 3 in the old code\n  Context: src/h.ts:4\n\n## Files Created\n"),
        "{log}"
    );
    c.finish().await;
}

/// The titles of the code actions at the start of `uri`.
async fn action_titles(c: &mut TestClient, uri: &str) -> (Vec<String>, Value) {
    let actions = c
        .request(
            "textDocument/codeAction",
            json!({ "textDocument": { "uri": uri }, "range": range(0, 0, 0, 0), "context": { "diagnostics": [] } }),
        )
        .await;
    let titles = actions
        .as_array()
        .into_iter()
        .flatten()
        .map(|a| a["title"].as_str().unwrap_or_default().to_owned())
        .collect();
    (titles, actions)
}

/// Asks for the code actions until `done` holds for their titles.
async fn actions_until(
    c: &mut TestClient,
    uri: &str,
    done: impl Fn(&[String]) -> bool,
    what: &str,
) -> Value {
    let deadline = tokio::time::Instant::now() + support::TIMEOUT;
    loop {
        let (titles, actions) = action_titles(c, uri).await;
        if done(&titles) {
            return actions;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}; the actions are {titles:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// The method cleans up after PASSED and never before: the cleanup is
/// offered once the gate has passed the workspace (the verified assumption
/// and the pattern go, the decision stays), and taken back when the
/// workspace stops passing.
#[tokio::test]
async fn verified_tags_are_removed_only_after_the_gate_passed() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "src/services/user.service.ts",
        "export class UserService {}\n",
    );
    let text = "// #COMPLETION_DRIVE: Assuming src/services/user.service.ts exists
// #PATH_DECISION: plain objects in src/services/user.service.ts
// #CARGO_CULT: the export list copied from src/services/user.service.ts
export {}
";
    write(root, "src/h.ts", text);
    write(
        root,
        ".orchestration/implementation-log.md",
        "# Implementation Log\n\n## Files Created\n#FILE_CREATED: src/h.ts (4 lines)\n#FILE_CREATED: src/services/user.service.ts (1 line)\n",
    );
    let mut c = client(root).await;
    let uri = file_uri(&root.join("src/h.ts"));
    c.open(&uri, "typescript", text).await;
    c.diagnostics(&uri).await;
    const CLEANUP: &str =
        "Remove the 2 tags the method cleans up after PASSED (decisions and suggestions stay)";
    let has_remove = |t: &[String]| t.iter().any(|t| t == CLEANUP);
    let actions = actions_until(&mut c, &uri, has_remove, "the removal, once PASSED").await;
    // A file-wide source action.
    let all = actions.as_array().unwrap();
    let cleanup = all.iter().position(|a| a["title"] == CLEANUP).unwrap();
    assert_eq!(all[cleanup]["kind"], "source.tagls.cleanup");
    // The removal is an edit on this version of the buffer: the verified
    // assumption's line and the pattern's go; the decision stays.
    let edit = &all[cleanup]["edit"]["documentChanges"][0];
    assert_eq!(edit["textDocument"]["version"], 1);
    assert_eq!(
        edit["edits"],
        json!([
            { "range": range(0, 0, 1, 0), "newText": "" },
            { "range": range(2, 0, 3, 0), "newText": "" }
        ])
    );
    // A file on disk that names a missing file BLOCKS the workspace: the
    // removal is no longer offered.
    write(
        root,
        "src/b.ts",
        "// #COMPLETION_DRIVE: Assuming src/gone.ts exists\nexport {}\n",
    );
    actions_until(
        &mut c,
        &uri,
        |t| !has_remove(t),
        "the removal to go when BLOCKED",
    )
    .await;
    c.finish().await;
}

/// Files git reports as changed that no entry mentions are listed on the
/// log, with one action that logs them all.
#[tokio::test]
async fn the_log_lists_what_git_changed_and_it_forgot() {
    let ws = workspace();
    let root = ws.path();
    let git = |args: &[&str]| {
        let out = std::process::Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@t"])
            .args(args)
            .current_dir(root)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    git(&["init", "-q"]);
    git(&["add", "."]);
    git(&["commit", "-qm", "base"]);
    write(root, "src/services/billing.ts", "// changed\nexport {}\n");
    write(root, "src/new.go", "package x\n");
    let mut c = client(root).await;
    let log_uri = file_uri(&root.join(".orchestration/implementation-log.md"));
    c.open(&log_uri, "markdown", LOG).await;
    let d = c.diagnostics(&log_uri).await;
    let unlogged: Vec<Value> = d["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "unlogged-change")
        .cloned()
        .collect();
    let messages: Vec<&str> = unlogged
        .iter()
        .map(|d| d["message"].as_str().unwrap())
        .collect();
    assert_eq!(
        messages,
        [
            "2 files changed in git that no #FILE_CREATED or #FILE_MODIFIED entry mentions: src/new.go (untracked: new, not yet added to git), src/services/billing.ts (modified)"
        ]
    );
    assert!(unlogged.iter().all(|d| d["severity"] == 3));
    let actions = c
        .request(
            "textDocument/codeAction",
            json!({ "textDocument": { "uri": log_uri }, "range": range(0, 0, 0, 0), "context": { "diagnostics": unlogged, "only": ["quickfix"] } }),
        )
        .await;
    assert_eq!(actions.as_array().unwrap().len(), 1);
    assert_eq!(actions[0]["title"], "Log all 2 changed files");
    let cmd = actions[0]["command"].clone();
    c.request(
        "workspace/executeCommand",
        json!({ "command": cmd["command"], "arguments": cmd["arguments"] }),
    )
    .await;
    c.pump_until(|c| c.docs[&log_uri].0 == 3, "two edits to the open log")
        .await;
    let log = &c.docs[&log_uri].1;
    assert!(
        log.contains("#FILE_CREATED: src/new.go (1 line)\n"),
        "{log}"
    );
    assert!(
        log.contains("#FILE_MODIFIED: src/services/billing.ts\n  Lines affected: 1-2\n"),
        "{log}"
    );
    c.diagnostics_where(&log_uri, |p| {
        !p["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["code"] == "unlogged-change")
    })
    .await;
    c.finish().await;
}
