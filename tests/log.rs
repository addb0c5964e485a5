//! The implementation log over the protocol: its claims checked live, and
//! the code actions that write entries, into an open buffer or onto disk.

use crate::support;

use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};
use support::{ClientOptions, TestClient, file_uri, file_where, start};

const LOG_PATH: &str = ".orchestration/implementation-log.md";

const LOG: &str = "# Implementation Log

## Files Created
#FILE_CREATED: src/a.ts (3 lines)
  Description: constants
  Verification: grep \"export const b\" src/a.ts

#FILE_CREATED: src/big.ts (156 lines)

#FILE_CREATED: src/later.ts (1 line)

## Evidence Captured
#SCREENSHOT_CLAIMED: shots/login.png

## Examples
```
#FILE_CREATED: src/example.ts (1 line)
```
";

fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("src")).unwrap();
    std::fs::create_dir_all(root.join("shots")).unwrap();
    std::fs::create_dir_all(root.join(".orchestration")).unwrap();
    std::fs::write(
        root.join("src/a.ts"),
        "export const a = 1\nexport const b = 2\nexport const c = 3\n",
    )
    .unwrap();
    std::fs::write(root.join("src/big.ts"), "// x\n".repeat(40)).unwrap();
    std::fs::write(root.join("shots/login.png"), "this is not a picture\n").unwrap();
    std::fs::write(root.join(LOG_PATH), LOG).unwrap();
    dir
}

async fn client(root: &Path) -> TestClient {
    start(ClientOptions {
        root: Some(root.to_path_buf()),
        ..ClientOptions::default()
    })
    .await
}

/// (line, code, message) of the diagnostics that are not a tag's own.
fn checks(params: &Value) -> Vec<(u64, String, String)> {
    params["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| {
            ![
                "claim",
                "assumption",
                "verdict",
                "pattern",
                "suggestion",
                "decision",
            ]
            .contains(&d["code"].as_str().unwrap())
        })
        .map(|d| {
            (
                d["range"]["start"]["line"].as_u64().unwrap(),
                d["code"].as_str().unwrap().to_owned(),
                d["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn has_message(params: &Value, needle: &str) -> bool {
    params["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["message"].as_str().unwrap().contains(needle))
}

#[tokio::test]
async fn every_claim_in_the_log_is_checked_live() {
    let ws = workspace();
    let root = ws.path();
    let mut c = client(root).await;
    let uri = file_uri(&root.join(LOG_PATH));
    c.open(&uri, "markdown", LOG).await;
    let d = c.diagnostics(&uri).await;
    let s = |x: &str| x.to_owned();
    assert_eq!(
        checks(&d),
        [
            (7, s("false-claim"), s("src/big.ts has 40 lines, not 156")),
            (9, s("false-claim"), s("src/later.ts does not exist")),
            (
                12,
                s("false-claim"),
                s("shots/login.png is not an image: its bytes are not PNG, JPEG, GIF, WebP or BMP")
            ),
        ]
    );
    // Three claims in prose, one screenshot; the example in the code block
    // is not an entry.
    let claims = d["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "claim")
        .count();
    assert_eq!(claims, 4);

    // Hover shows what a check found.
    let hover = c
        .request(
            "textDocument/hover",
            json!({ "textDocument": { "uri": uri }, "position": { "line": 5, "character": 20 } }),
        )
        .await;
    let text = hover["contents"]["value"].as_str().unwrap();
    assert!(
        text.contains("src/a.ts") && text.contains("line 2"),
        "{text}"
    );

    // The claim comes true on disk: the error goes, with no edit to the log.
    std::fs::write(root.join("src/later.ts"), "export {}\n").unwrap();
    let d = c
        .diagnostics_where(&uri, |p| !has_message(p, "src/later.ts does not exist"))
        .await;
    assert_eq!(checks(&d).len(), 2);
    c.finish().await;
}

async fn code_action_titles(c: &mut TestClient, uri: &str) -> Vec<String> {
    let actions = c
        .request(
            "textDocument/codeAction",
            json!({ "textDocument": { "uri": uri }, "range": { "start": { "line": 0, "character": 0 }, "end": { "line": 0, "character": 0 } }, "context": { "diagnostics": [] } }),
        )
        .await;
    actions
        .as_array()
        .into_iter()
        .flatten()
        .map(|a| a["title"].as_str().unwrap().to_owned())
        .collect()
}

async fn run_command(c: &mut TestClient, command: &str, arg: Value) {
    c.request(
        "workspace/executeCommand",
        json!({ "command": command, "arguments": [arg] }),
    )
    .await;
}

#[tokio::test]
async fn log_created_writes_the_file_on_disk_when_the_log_is_not_open() {
    let ws = workspace();
    let root = ws.path();
    std::fs::write(root.join("src/new.ts"), "a\nb\nc\nd\n").unwrap();
    let mut c = client(root).await;
    let uri = file_uri(&root.join("src/new.ts"));
    c.open(&uri, "typescript", "a\nb\nc\nd\n").await;
    let titles = code_action_titles(&mut c, &uri).await;
    assert_eq!(
        titles,
        [
            "Log #FILE_CREATED for src/new.ts",
            "Log #FILE_MODIFIED for src/new.ts"
        ]
    );
    run_command(
        &mut c,
        "tagls.logCreated",
        json!({ "file": root.join("src/new.ts") }),
    )
    .await;
    let log = file_where(&root.join(LOG_PATH), |t| t.contains("src/new.ts")).await;
    let expected = LOG.replace(
        "#FILE_CREATED: src/later.ts (1 line)\n\n",
        "#FILE_CREATED: src/later.ts (1 line)\n\n#FILE_CREATED: src/new.ts (4 lines)\n  Description:\n  Purpose:\n\n",
    );
    assert_eq!(log, expected);
    // Logging the same file again updates its entry instead of adding one.
    // The commands run in order: once the next one is done, this one is too.
    run_command(
        &mut c,
        "tagls.logCreated",
        json!({ "file": root.join("src/a.ts") }),
    )
    .await;
    run_command(
        &mut c,
        "tagls.logCreated",
        json!({ "file": root.join("src/big.ts") }),
    )
    .await;
    let log = file_where(&root.join(LOG_PATH), |t| {
        t.contains("src/big.ts (40 lines)")
    })
    .await;
    assert_eq!(log.matches("#FILE_CREATED: src/a.ts").count(), 1);
    assert!(log.contains("#FILE_CREATED: src/a.ts (3 lines)\n  Description: constants\n"));
    c.finish().await;
}

#[tokio::test]
async fn log_actions_edit_the_open_log_buffer() {
    let ws = workspace();
    let root = ws.path();
    let mut c = client(root).await;
    let log_uri = file_uri(&root.join(LOG_PATH));
    let crlf = LOG.replace('\n', "\r\n");
    c.open(&log_uri, "markdown", &crlf).await;
    c.diagnostics(&log_uri).await;
    run_command(
        &mut c,
        "tagls.logCreated",
        json!({ "file": root.join("src/big.ts") }),
    )
    .await;
    c.pump_until(|c| c.docs[&log_uri].0 == 2, "the edit to the open log")
        .await;
    let (version, text) = c.docs[&log_uri].clone();
    assert_eq!(version, 2);
    // The existing entry is updated in the buffer, CRLF kept; the disk is untouched.
    assert_eq!(
        text,
        crlf.replace(
            "#FILE_CREATED: src/big.ts (156 lines)",
            "#FILE_CREATED: src/big.ts (40 lines)"
        )
    );
    assert_eq!(std::fs::read_to_string(root.join(LOG_PATH)).unwrap(), LOG);
    c.finish().await;
}

/// 20 actions fired back to back give 20 entries, whether the log is open
/// or not.
#[tokio::test]
async fn twenty_actions_back_to_back_give_twenty_entries() {
    for open in [true, false] {
        let ws = workspace();
        let root = ws.path();
        for i in 0..20 {
            std::fs::write(root.join(format!("src/f{i}.ts")), "x\n".repeat(i + 1)).unwrap();
        }
        let mut c = client(root).await;
        let log_uri = file_uri(&root.join(LOG_PATH));
        if open {
            c.open(&log_uri, "markdown", LOG).await;
            c.diagnostics(&log_uri).await;
        }
        let mut ids = Vec::new();
        for i in 0..20 {
            let arg = json!({ "file": root.join(format!("src/f{i}.ts")) });
            ids.push(
                c.request_nowait(
                    "workspace/executeCommand",
                    json!({ "command": "tagls.logCreated", "arguments": [arg] }),
                )
                .await,
            );
        }
        for id in ids {
            let r = c.response(id).await;
            assert!(r.get("error").is_none(), "{r}");
        }
        let text = if open {
            c.pump_until(|c| c.docs[&log_uri].0 == 21, "20 edits to the open log")
                .await;
            c.docs[&log_uri].1.clone()
        } else {
            file_where(&root.join(LOG_PATH), |t| {
                t.matches("\n  Purpose:\n").count() == 20
            })
            .await
        };
        for i in 0..20 {
            let line = format!("#FILE_CREATED: src/f{i}.ts ({} line", i + 1);
            assert_eq!(text.matches(&line).count(), 1, "open={open}, f{i}: {text}");
        }
        assert_eq!(text.matches("\n  Purpose:\n").count(), 20, "{text}");
        // Nothing that was there before is lost or moved.
        assert!(text.starts_with(&LOG[..LOG.find("## Evidence Captured").unwrap() - 1]));
        assert!(text.ends_with(&LOG[LOG.find("## Evidence Captured").unwrap()..]));
        c.finish().await;
    }
}

fn git(root: &Path, args: &[&str]) {
    let out = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `Lines affected` comes from the real git, against HEAD.
#[tokio::test]
async fn log_modified_takes_its_lines_from_git() {
    let ws = workspace();
    let root = ws.path();
    let before: String = (1..=10).map(|i| format!("line {i}\n")).collect();
    std::fs::write(root.join("src/m.ts"), &before).unwrap();
    git(root, &["init", "-q"]);
    git(
        root,
        &["-c", "user.name=t", "-c", "user.email=t@t", "add", "."],
    );
    git(
        root,
        &[
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "commit",
            "-q",
            "-m",
            "base",
        ],
    );
    let after = before.replace("line 2\n", "line two\n").replace(
        "line 5\nline 6\n",
        "line five\nline six\nline six and a half\n",
    );
    std::fs::write(root.join("src/m.ts"), &after).unwrap();
    let mut c = client(root).await;
    run_command(
        &mut c,
        "tagls.logModified",
        json!({ "file": root.join("src/m.ts") }),
    )
    .await;
    let log = file_where(&root.join(LOG_PATH), |t| t.contains("FILE_MODIFIED")).await;
    assert!(
        log.contains("\n## Files Modified\n\n#FILE_MODIFIED: src/m.ts\n  Lines affected: 2, 5-7\n  Description:\n"),
        "{log}"
    );
    c.finish().await;
}

#[tokio::test]
async fn quick_fixes_create_files_and_env_variables() {
    let ws = workspace();
    let root = ws.path();
    std::fs::write(root.join(".env.example"), "JWT_SECRET=").unwrap();
    let text = "// #COMPLETION_DRIVE: Assuming src/cache/redis.ts and REDIS_URL in .env\n";
    std::fs::write(root.join("src/app.ts"), text).unwrap();
    let mut c = client(root).await;
    let uri = file_uri(&root.join("src/app.ts"));
    c.open(&uri, "typescript", text).await;
    let d = c
        .diagnostics_where(&uri, |p| has_message(p, "environment variable REDIS_URL"))
        .await;
    let diags: Vec<Value> = d["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "missing-path" || d["code"] == "missing-env")
        .cloned()
        .collect();
    assert_eq!(diags.len(), 2);
    let actions = c
        .request(
            "textDocument/codeAction",
            json!({ "textDocument": { "uri": uri }, "range": diags[0]["range"], "context": { "diagnostics": diags, "only": ["quickfix"] } }),
        )
        .await;
    let titles: Vec<&str> = actions
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        [
            "Create src/cache/redis.ts",
            "Create src/cache/redis.ts and log it",
            "Add REDIS_URL= to .env.example"
        ]
    );
    for a in actions.as_array().unwrap().iter().skip(1) {
        let cmd = &a["command"];
        c.request(
            "workspace/executeCommand",
            json!({ "command": cmd["command"], "arguments": cmd["arguments"] }),
        )
        .await;
    }
    file_where(&root.join(".env.example"), |t| {
        t == "JWT_SECRET=\nREDIS_URL=\n"
    })
    .await;
    assert!(root.join("src/cache/redis.ts").is_file());
    let log = file_where(&root.join(LOG_PATH), |t| t.contains("redis")).await;
    assert!(
        log.contains("#FILE_CREATED: src/cache/redis.ts (0 lines)\n"),
        "{log}"
    );
    // Both warnings go once the disk has caught up.
    let codes = |p: &Value| -> Vec<String> {
        p["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["code"].as_str().unwrap().to_owned())
            .collect()
    };
    let d = c
        .diagnostics_where(&uri, |p| {
            !codes(p)
                .iter()
                .any(|c| c == "missing-path" || c == "missing-env")
        })
        .await;
    assert_eq!(codes(&d), ["assumption"]);
    c.finish().await;
}

/// A workspace with tags but no log gets one note, on the first file, with
/// a fix that writes the method's skeleton.
#[tokio::test]
async fn a_missing_log_is_noted_once() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("src")).unwrap();
    let mut c = client(root).await;
    let a = file_uri(&root.join("src/a.ts"));
    let b = file_uri(&root.join("src/b.ts"));
    c.open(&b, "typescript", "// #CARGO_CULT: copied\n").await;
    c.open(&a, "typescript", "// #COMPLETION_DRIVE: assumed\n")
        .await;
    let da = c
        .diagnostics_where(&a, |p| has_message(p, "implementation log"))
        .await;
    let note = da["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "missing-log")
        .unwrap()
        .clone();
    assert_eq!(
        note["message"],
        format!("this workspace uses tags, but its implementation log {LOG_PATH} is missing")
    );
    // b was first, then gave the note up to a, which sorts first.
    c.diagnostics_where(&b, |p| !has_message(p, "implementation log"))
        .await;
    let actions = c
        .request(
            "textDocument/codeAction",
            json!({ "textDocument": { "uri": a }, "range": note["range"], "context": { "diagnostics": [note], "only": ["quickfix"] } }),
        )
        .await;
    assert_eq!(actions[0]["title"], "Create the implementation log");
    let cmd = actions[0]["command"].clone();
    c.request(
        "workspace/executeCommand",
        json!({ "command": cmd["command"], "arguments": cmd["arguments"] }),
    )
    .await;
    assert_eq!(
        file_where(&root.join(LOG_PATH), |t| !t.is_empty()).await,
        "# Implementation Log\n\n## Assumptions Made\n\n## Files Created\n\n## Files Modified\n\n## Evidence Captured\n\n## Integration Points\n"
    );
    // The log exists now but holds no claim: the note says so.
    c.diagnostics_where(&a, |p| has_message(p, "holds no claim"))
        .await;
    c.finish().await;
}

#[tokio::test]
async fn refused_edits_and_hostile_arguments_are_reported() {
    let ws = workspace();
    let root = ws.path();
    let outside = tempfile::tempdir().unwrap();
    let mut c = client(root).await;
    let log_uri = file_uri(&root.join(LOG_PATH));
    c.open(&log_uri, "markdown", LOG).await;
    c.diagnostics(&log_uri).await;
    c.reject_edits = true;
    // Its entry says 156 lines, the file has 40: an edit to the open log.
    run_command(
        &mut c,
        "tagls.logCreated",
        json!({ "file": root.join("src/big.ts") }),
    )
    .await;
    let msg = c.shown("").await;
    assert_eq!(msg["params"]["type"], 1);
    assert!(
        msg["params"]["message"]
            .as_str()
            .unwrap()
            .contains("did not apply the edit"),
        "{msg}"
    );

    for (command, arg) in [
        (
            "tagls.createFile",
            json!({ "path": outside.path().join("x.ts"), "log": false }),
        ),
        (
            "tagls.createFile",
            json!({ "path": format!("{}/../x.ts", root.display()), "log": false }),
        ),
        (
            "tagls.addEnvVar",
            json!({ "name": "X", "file": outside.path().join(".env.example") }),
        ),
        (
            "tagls.addEnvVar",
            json!({ "name": "X", "file": root.join("src/a.ts") }),
        ),
        ("tagls.logCreated", json!({ "file": "relative/path.ts" })),
        ("tagls.createLog", json!({ "path": "/etc/passwd" })),
    ] {
        run_command(&mut c, command, arg.clone()).await;
        let msg = c.shown("").await;
        assert_eq!(msg["params"]["type"], 1, "{command} {arg}");
    }
    assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 0);
    assert!(!root.parent().unwrap().join("x.ts").exists());
    assert_eq!(
        std::fs::read_to_string(root.join("src/a.ts")).unwrap(),
        "export const a = 1\nexport const b = 2\nexport const c = 3\n"
    );
    c.finish().await;
}

/// A log open with unsaved changes that a `tagls log` run changes on disk:
/// the user is told that the editor and the disk now differ.
#[tokio::test]
async fn a_log_changed_on_disk_under_unsaved_edits_is_said() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let log_path = root.join(".orchestration/implementation-log.md");
    let log = "# Implementation Log\n\n## Files Created\n";
    support::write(root, ".orchestration/implementation-log.md", log);
    support::write(root, "src/a.ts", "export {}\n");
    let mut c = start(ClientOptions {
        root: Some(root.to_path_buf()),
        watch_registration: true,
        ..ClientOptions::default()
    })
    .await;
    let uri = file_uri(&log_path);
    c.open(&uri, "markdown", log).await;
    c.diagnostics(&uri).await;
    // An edit in the editor, not saved.
    c.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri, "version": 2 }, "contentChanges": [{ "text": format!("{log}\nnotes\n") }] }),
    )
    .await;
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tagls"))
        .args(["log", "created", "src/a.ts"])
        .current_dir(root)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({ "changes": [{ "uri": uri, "type": 2 }] }),
    )
    .await;
    let shown = c
        .shown("changed on disk while the editor holds unsaved changes")
        .await;
    assert_eq!(shown["params"]["type"], 2, "a warning: {shown}");
    assert!(
        shown["params"]["message"]
            .as_str()
            .unwrap()
            .contains(".orchestration/implementation-log.md"),
        "{shown}"
    );
    c.finish().await;
}
