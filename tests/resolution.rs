//! Resolution over the protocol: what tags name is checked against a real
//! workspace on disk, and the answers follow the disk without any edit.

use crate::support;

use std::path::Path;

use serde_json::{Value, json};
use support::{ClientOptions, TestClient, file_uri, start, write};

const APP: &str = "\
// #COMPLETION_DRIVE: Assuming UserService exists at src/services/user.service.ts
// #COMPLETION_DRIVE: Assuming the cache lives in src/cache/redis.ts
// #COMPLETION_DRIVE_INTEGRATION: Assuming JWT_SECRET in environment variables
// #COMPLETION_DRIVE_INTEGRATION: Assuming REDIS_URL in .env
// #CONTEXT_DEGRADED: config copied from ../../../etc/passwd
const secret = process.env.JWT_SECRET
const region = process.env.AWS_REGION
";

fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("src/services")).unwrap();
    std::fs::write(
        root.join("src/services/user.service.ts"),
        "export class UserService {}\n",
    )
    .unwrap();
    std::fs::write(
        root.join(".env.example"),
        "# settings\nJWT_SECRET=do-not-show-this-value\n",
    )
    .unwrap();
    std::fs::write(root.join("src/app.ts"), APP).unwrap();
    dir
}

async fn open_app(root: &Path, opts: ClientOptions) -> (TestClient, String) {
    let mut c = start(ClientOptions {
        root: Some(root.to_path_buf()),
        ..opts
    })
    .await;
    let uri = file_uri(&root.join("src/app.ts"));
    c.open(&uri, "typescript", APP).await;
    (c, uri)
}

/// The diagnostics that are not about the tags themselves: code, line,
/// start and end character, message.
fn reference_diagnostics(params: &Value) -> Vec<(String, u64, u64, u64, String)> {
    params["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| {
            ![
                "assumption",
                "pattern",
                "suggestion",
                "decision",
                "claim",
                "verdict",
            ]
            .contains(&d["code"].as_str().unwrap())
        })
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_owned(),
                d["range"]["start"]["line"].as_u64().unwrap(),
                d["range"]["start"]["character"].as_u64().unwrap(),
                d["range"]["end"]["character"].as_u64().unwrap(),
                d["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn has_code(params: &Value, code: &str) -> bool {
    params["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["code"] == code)
}

#[tokio::test]
async fn unresolved_references_are_reported_on_their_span() {
    let ws = workspace();
    let (mut c, uri) = open_app(ws.path(), ClientOptions::default()).await;
    let d = c.diagnostics(&uri).await;
    let s = |x: &str| x.to_owned();
    assert_eq!(
        reference_diagnostics(&d),
        [
            (
                s("missing-path"),
                1,
                50,
                68,
                s("src/cache/redis.ts does not exist in the workspace")
            ),
            (
                s("missing-env"),
                3,
                43,
                52,
                s("environment variable REDIS_URL: it is not in .env.example")
            ),
            (
                s("outside-workspace"),
                4,
                41,
                60,
                s("../../../etc/passwd is outside the workspace; tagls does not look there")
            ),
            (
                s("undeclared-env"),
                6,
                27,
                37,
                s("environment variable AWS_REGION is read here but it is not in .env.example")
            ),
        ]
    );
    // The tag diagnostics are still there, one per tag.
    let tags = d["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "assumption")
        .count();
    assert_eq!(tags, 5);
    c.finish().await;
}

#[tokio::test]
async fn hover_definition_links_and_hints() {
    let ws = workspace();
    let root = ws.path();
    let (mut c, uri) = open_app(root, ClientOptions::default()).await;
    c.diagnostics(&uri).await;
    let at = |line: u32, character: u32| json!({ "textDocument": { "uri": uri }, "position": { "line": line, "character": character } });

    let hover = c.request("textDocument/hover", at(0, 60)).await;
    assert_eq!(
        hover["contents"]["value"],
        "`src/services/user.service.ts`: exists (file `src/services/user.service.ts`)"
    );
    let hover = c.request("textDocument/hover", at(2, 45)).await;
    assert_eq!(
        hover["contents"]["value"],
        "`JWT_SECRET`: environment variable defined in .env.example line 2"
    );
    let hover = c.request("textDocument/hover", at(5, 30)).await;
    assert_eq!(
        hover["contents"]["value"],
        "`JWT_SECRET`: environment variable defined in .env.example line 2"
    );

    let def = c.request("textDocument/definition", at(0, 60)).await;
    assert_eq!(
        def,
        json!([{ "uri": file_uri(&root.join("src/services/user.service.ts")), "range": { "start": { "line": 0, "character": 0 }, "end": { "line": 0, "character": 0 } } }])
    );
    let def = c.request("textDocument/definition", at(5, 30)).await;
    assert_eq!(
        def,
        json!([{ "uri": file_uri(&root.join(".env.example")), "range": { "start": { "line": 1, "character": 0 }, "end": { "line": 1, "character": 10 } } }])
    );
    assert_eq!(
        c.request("textDocument/definition", at(1, 60)).await,
        Value::Null
    );

    let links = c
        .request(
            "textDocument/documentLink",
            json!({ "textDocument": { "uri": uri } }),
        )
        .await;
    assert_eq!(
        links,
        json!([{
            "range": { "start": { "line": 0, "character": 53 }, "end": { "line": 0, "character": 81 } },
            "target": file_uri(&root.join("src/services/user.service.ts")),
            "tooltip": "src/services/user.service.ts",
        }])
    );

    let hints = c
        .request(
            "textDocument/inlayHint",
            json!({ "textDocument": { "uri": uri }, "range": { "start": { "line": 0, "character": 0 }, "end": { "line": 7, "character": 0 } } }),
        )
        .await;
    let labels: Vec<(u64, &str)> = hints
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["position"]["line"].as_u64().unwrap(),
                h["label"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        labels,
        [
            (0, "✓"),
            (1, "✗ missing"),
            (2, "✓ .env.example:2"),
            (3, "✗ not in env files"),
            (4, "✗ outside workspace")
        ]
    );
    c.finish().await;
}

/// Files created, deleted and renamed on disk by something other than the
/// editor change the diagnostics of an open document, with no edit, through
/// the server's own watcher.
#[tokio::test]
async fn the_server_watches_the_disk_when_the_client_does_not() {
    let ws = workspace();
    let root = ws.path();
    let (mut c, uri) = open_app(root, ClientOptions::default()).await;
    let d = c.diagnostics(&uri).await;
    assert!(has_code(&d, "missing-path"));

    std::fs::create_dir_all(root.join("src/cache")).unwrap();
    std::fs::write(root.join("src/cache/redis.ts"), "export {}\n").unwrap();
    c.diagnostics_where(&uri, |p| !has_code(p, "missing-path"))
        .await;

    std::fs::rename(
        root.join("src/cache/redis.ts"),
        root.join("src/cache/memory.ts"),
    )
    .unwrap();
    c.diagnostics_where(&uri, |p| has_code(p, "missing-path"))
        .await;
    std::fs::rename(
        root.join("src/cache/memory.ts"),
        root.join("src/cache/redis.ts"),
    )
    .unwrap();
    c.diagnostics_where(&uri, |p| !has_code(p, "missing-path"))
        .await;
    std::fs::remove_file(root.join("src/cache/redis.ts")).unwrap();
    c.diagnostics_where(&uri, |p| has_code(p, "missing-path"))
        .await;

    // Env files are watched too.
    std::fs::write(
        root.join(".env.example"),
        "JWT_SECRET=x\nREDIS_URL=y\nAWS_REGION=z\n",
    )
    .unwrap();
    c.diagnostics_where(&uri, |p| {
        !has_code(p, "missing-env") && !has_code(p, "undeclared-env")
    })
    .await;
    c.finish().await;
}

/// `src/app.ts` opened by a client that offers to watch files.
async fn open_app_watching(root: &Path) -> (TestClient, String) {
    let opts = ClientOptions {
        watch_registration: true,
        ..ClientOptions::default()
    };
    open_app(root, opts).await
}

/// Creates or deletes `src/cache/redis.ts`, which a tag of the app names,
/// and tells the server as a watching client does.
async fn redis_on_disk(c: &mut TestClient, root: &Path, exists: bool) {
    let path = root.join("src/cache/redis.ts");
    if exists {
        std::fs::create_dir_all(root.join("src/cache")).unwrap();
        std::fs::write(&path, "export {}\n").unwrap();
    } else {
        std::fs::remove_file(&path).unwrap();
    }
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({ "changes": [{ "uri": file_uri(&path), "type": if exists { 1 } else { 3 } }] }),
    )
    .await;
}

/// A client that offers to watch gets a registration, and its events drive
/// the same updates.
#[tokio::test]
async fn a_client_that_watches_gets_a_registration() {
    let ws = workspace();
    let root = ws.path();
    let (mut c, uri) = open_app_watching(root).await;
    let reg = c
        .wait_for(
            |m| m["method"] == "client/registerCapability",
            "a watch registration",
        )
        .await;
    assert_eq!(
        reg["params"]["registrations"][0]["method"],
        "workspace/didChangeWatchedFiles"
    );
    assert_eq!(
        reg["params"]["registrations"][0]["registerOptions"]["watchers"],
        json!([{ "globPattern": "**/*" }])
    );
    let d = c.diagnostics(&uri).await;
    assert!(has_code(&d, "missing-path"));

    redis_on_disk(&mut c, root, true).await;
    c.diagnostics_where(&uri, |p| !has_code(p, "missing-path"))
        .await;
    redis_on_disk(&mut c, root, false).await;
    c.diagnostics_where(&uri, |p| has_code(p, "missing-path"))
        .await;
    c.finish().await;
}

/// Diagnostics are worked out while the document is quiet and only sent
/// when the debounce ends; a change on disk in between is not lost.
#[tokio::test]
async fn a_change_on_disk_during_the_quiet_time_is_in_the_publish() {
    let ws = workspace();
    let root = ws.path();
    let (mut c, uri) = open_app_watching(root).await;
    let d = c.diagnostics(&uri).await;
    assert!(has_code(&d, "missing-path"));
    for round in 0..3 {
        // An edit, then the file the tag names appears once the diagnostics
        // of the edit have been worked out (15 ms) and before they are due
        // (50 ms).
        let version = 2 + round;
        c.notify(
            "textDocument/didChange",
            json!({
                "textDocument": { "uri": uri, "version": version },
                "contentChanges": [{ "range": { "start": { "line": 0, "character": 0 }, "end": { "line": 0, "character": 0 } }, "text": " " }]
            }),
        )
        .await;
        tokio::time::sleep(std::time::Duration::from_millis(30)).await;
        let exists = round % 2 == 0;
        redis_on_disk(&mut c, root, exists).await;
        // However the machine schedules the edit and the disk event, a
        // publish of this version that knows the disk follows: the change
        // is never lost.
        c.diagnostics_where(&uri, |p| {
            p["version"] == version && has_code(p, "missing-path") != exists
        })
        .await;
    }
    c.finish().await;
}

#[tokio::test]
async fn indexing_reports_progress() {
    let ws = workspace();
    let (mut c, _uri) = open_app(
        ws.path(),
        ClientOptions {
            progress: true,
            ..ClientOptions::default()
        },
    )
    .await;
    let create = c
        .wait_for(
            |m| m["method"] == "window/workDoneProgress/create",
            "a progress token",
        )
        .await;
    let token = create["params"]["token"].clone();
    let begin = c
        .wait_for(
            |m| m["method"] == "$/progress" && m["params"]["value"]["kind"] == "begin",
            "progress begin",
        )
        .await;
    assert_eq!(begin["params"]["token"], token);
    assert_eq!(begin["params"]["value"]["title"], "tagls: indexing");
    let end = c.progress_end("progress end").await;
    assert!(
        end["params"]["value"]["message"]
            .as_str()
            .unwrap()
            .ends_with("files and folders"),
        "{end}"
    );
    c.finish().await;
}

/// The index leaves out the folders the walk does not enter (`node_modules`,
/// a gitignored `dist/`), but they exist: a tag that names one is answered
/// from the disk, while a name the walk would have listed is missing.
#[tokio::test]
async fn folders_the_walk_skips_are_not_missing_paths() {
    let ws = tempfile::tempdir().unwrap();
    let root = ws.path();
    let text = "// #COMPLETION_DRIVE: Assuming the bundle goes to dist/ and packages to node_modules/, not to missing/\nexport {};\n";
    for (rel, content) in [
        ("node_modules/pkg/index.js", ""),
        ("dist/bundle.js", ""),
        (".gitignore", "dist/\n"),
        ("src/app.ts", text),
    ] {
        write(root, rel, content);
    }
    let mut c = start(ClientOptions {
        root: Some(root.to_path_buf()),
        progress: true,
        ..ClientOptions::default()
    })
    .await;
    // The document comes after the index: its lookups go to the index.
    c.progress_end("the index").await;
    let uri = file_uri(&root.join("src/app.ts"));
    c.open(&uri, "typescript", text).await;
    let d = c.diagnostics(&uri).await;
    let missing: Vec<(String, String)> = reference_diagnostics(&d)
        .into_iter()
        .map(|(code, _, _, _, message)| (code, message))
        .collect();
    assert_eq!(
        missing,
        [(
            "missing-path".to_owned(),
            "missing/ does not exist in the workspace".to_owned()
        )]
    );
    c.finish().await;
}

/// Helix sends `rootUri: null` without a root marker: the document's folder
/// stands in, and the log says so once.
#[tokio::test]
async fn without_a_root_the_document_folder_is_used() {
    let ws = workspace();
    let root = ws.path();
    let mut c = start(ClientOptions::default()).await;
    let uri = file_uri(&root.join("src/app.ts"));
    c.open(
        &uri,
        "typescript",
        "// #COMPLETION_DRIVE: Assuming ./services/user.service.ts and ./nope.ts\n",
    )
    .await;
    let log = c
        .wait_for(
            |m| {
                m["method"] == "window/logMessage"
                    && m["params"]["message"]
                        .as_str()
                        .unwrap()
                        .contains("no workspace root")
            },
            "the no-root note",
        )
        .await;
    assert!(
        log["params"]["message"]
            .as_str()
            .unwrap()
            .contains(&root.join("src").display().to_string())
    );
    let d = c
        .diagnostics_where(&uri, |p| has_code(p, "missing-path"))
        .await;
    let missing: Vec<_> = reference_diagnostics(&d).into_iter().map(|d| d.4).collect();
    assert_eq!(missing, ["./nope.ts does not exist in the workspace"]);
    c.finish().await;
}

/// No message the server sends ever carries an env value.
#[tokio::test]
async fn env_values_never_leave_the_server() {
    let ws = workspace();
    let (mut c, uri) = open_app(ws.path(), ClientOptions::default()).await;
    c.diagnostics(&uri).await;
    for line in 0..7 {
        for character in [10, 30, 45, 60] {
            let hover = c
                .request(
                    "textDocument/hover",
                    json!({ "textDocument": { "uri": uri }, "position": { "line": line, "character": character } }),
                )
                .await;
            assert!(!hover.to_string().contains("do-not-show-this-value"));
        }
    }
    let hints = c
        .request(
            "textDocument/inlayHint",
            json!({ "textDocument": { "uri": uri }, "range": { "start": { "line": 0, "character": 0 }, "end": { "line": 9, "character": 0 } } }),
        )
        .await;
    assert!(!hints.to_string().contains("do-not-show-this-value"));
    let everything = c.drain().await;
    assert!(!everything.contains("do-not-show-this-value"));
    c.finish().await;
}

async fn inlay_labels(c: &mut TestClient, uri: &str) -> Vec<String> {
    let h = c
        .request(
            "textDocument/inlayHint",
            json!({ "textDocument": { "uri": uri }, "range": { "start": { "line": 0, "character": 0 }, "end": { "line": 9, "character": 0 } } }),
        )
        .await;
    h.as_array()
        .unwrap()
        .iter()
        .map(|h| h["label"].as_str().unwrap().to_owned())
        .collect()
}

/// Inlay hints and code lenses show whether references resolve: when the
/// disk changes, the server asks the client to refresh them together with
/// the diagnostics, and the hints it then gives say what the disk says.
#[tokio::test]
async fn hints_and_lenses_follow_the_disk() {
    let ws = workspace();
    let root = ws.path();
    let (mut c, uri) = open_app(root, ClientOptions::default()).await;
    c.diagnostics_where(&uri, |p| has_code(p, "missing-path"))
        .await;
    assert!(
        inlay_labels(&mut c, &uri)
            .await
            .contains(&"✗ missing".to_owned())
    );

    std::fs::create_dir_all(root.join("src/cache")).unwrap();
    std::fs::write(root.join("src/cache/redis.ts"), "export {}\n").unwrap();
    c.diagnostics_where(&uri, |p| !has_code(p, "missing-path"))
        .await;
    for method in ["workspace/inlayHint/refresh", "workspace/codeLens/refresh"] {
        c.wait_for(|m| m["method"] == method, method).await;
    }
    assert!(
        !inlay_labels(&mut c, &uri)
            .await
            .contains(&"✗ missing".to_owned())
    );
    c.finish().await;
}

/// Go to definition between a file and the log entries that claim it, in
/// both directions, for every form of claim the checker reads.
#[tokio::test]
async fn definition_between_files_and_their_log_entries() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let log = "# Implementation Log\n\n## Files Created\n\
#FILE_CREATED: src/a.ts, src/x.ts\n\
#FILE_CREATED: src/b.ts: 2 lines\n\
#FILE_CREATED: `src/my file.ts` (2 lines)\n\
#FILE_CREATED: src/c.ts (2 lines)\n";
    write(root, ".orchestration/implementation-log.md", log);
    let tagged = "// #PATH_DECISION: kept here\nexport {}\n";
    for f in ["src/a.ts", "src/b.ts", "src/my file.ts", "src/c.ts"] {
        write(root, f, tagged);
    }
    let mut c = start(ClientOptions {
        root: Some(root.to_path_buf()),
        ..ClientOptions::default()
    })
    .await;
    let log_uri = file_uri(&root.join(".orchestration/implementation-log.md"));
    // From each file's tag to its entry, on the entry's line.
    for (file, line) in [
        ("src/a.ts", 3),
        ("src/b.ts", 4),
        ("src/my file.ts", 5),
        ("src/c.ts", 6),
    ] {
        let uri = file_uri(&root.join(file)).replace(' ', "%20");
        c.open(&uri, "typescript", tagged).await;
        let at = c
            .request(
                "textDocument/definition",
                json!({ "textDocument": { "uri": uri }, "position": { "line": 0, "character": 6 } }),
            )
            .await;
        let found: Vec<(String, u64)> = at
            .as_array()
            .unwrap_or_else(|| panic!("no log entry for {file}: {at}"))
            .iter()
            .map(|l| {
                (
                    l["uri"].as_str().unwrap().to_owned(),
                    l["range"]["start"]["line"].as_u64().unwrap(),
                )
            })
            .collect();
        assert_eq!(found, [(log_uri.clone(), line)], "{file}");
    }
    // From each entry to its file.
    c.open(&log_uri, "markdown", log).await;
    for (line, file) in [
        (3, "src/a.ts"),
        (4, "src/b.ts"),
        (5, "src/my file.ts"),
        (6, "src/c.ts"),
    ] {
        let at = c
            .request(
                "textDocument/definition",
                json!({ "textDocument": { "uri": log_uri }, "position": { "line": line, "character": 3 } }),
            )
            .await;
        let target = at[0]["uri"]
            .as_str()
            .unwrap_or_default()
            .replace("%20", " ");
        assert_eq!(target, file_uri(&root.join(file)), "line {line}: {at}");
    }
    c.finish().await;
}

const PROSE: &str = "\
// #COMPLETION_DRIVE: Assuming read/write/delete permissions are enough
// #COMPLETION_DRIVE: Assuming CPU/memory/disk and/or TCP/IP stay fine for client/server/worker 3/4/5
// #COMPLETION_DRIVE: Assuming rows of 2024/01/15 are 1/2 N/A, w/o retries, at 5 km/h
// #COMPLETION_DRIVE: Assuming the worker lives in src/missing/thing
// #COMPLETION_DRIVE: Assuming src/services/user.service and src/services are there
// #COMPLETION_DRIVE: Assuming the hooks are in ~/.claude/settings.json
export const prose = 1;
";

const PROSE_LOG: &str = "\
# Implementation Log

## Files Created
#FILE_CREATED: src/prose.ts (7 lines)

## Assumptions
#COMPLETION_DRIVE: Assuming read/write/delete and CPU/memory/disk, src/missing/log and ~/.claude/settings.json
";

/// One finding as both the editor and `tagls check` show it: file (from the
/// root), zero-based start line and character, end line and character,
/// code, message.
type Shown = (String, [u64; 4], String, String);

/// What `tagls check --format json` finds in `root`.
fn checked(root: &Path) -> Vec<Shown> {
    let cache = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tagls"))
        .args(["check", "--format", "json"])
        .arg(root)
        .env("TAGLS_CACHE_DIR", cache.path().join("cache"))
        .env("XDG_CONFIG_HOME", cache.path().join("config"))
        .env("XDG_CACHE_HOME", cache.path().join("cache-home"))
        .output()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 1 | 3)),
        "tagls check failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut found: Vec<Shown> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let n = |k: &str| f[k].as_u64().unwrap() - 1;
            (
                f["path"].as_str().unwrap().to_owned(),
                [n("line"), n("column"), n("end_line"), n("end_column")],
                f["code"].as_str().unwrap().to_owned(),
                f["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    found.sort();
    found
}

fn shown(rel: &str, params: &Value) -> Vec<Shown> {
    params["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let p = |k: &str, f: &str| d["range"][k][f].as_u64().unwrap();
            (
                rel.to_owned(),
                [
                    p("start", "line"),
                    p("start", "character"),
                    p("end", "line"),
                    p("end", "character"),
                ],
                d["code"].as_str().unwrap().to_owned(),
                d["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// Prose joined by slashes is no path, in code and in the log, for the
/// editor and for `tagls check` alike: `read/write/delete` has no `read/`
/// folder to make it one. A path under an existing `src/` still is, and is
/// missing when absent; a home path is outside the workspace.
#[tokio::test]
async fn prose_with_slashes_is_no_path_for_the_editor_or_the_check() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "src/services/user.service.ts", "export {}\n");
    write(root, "src/prose.ts", PROSE);
    write(root, ".orchestration/implementation-log.md", PROSE_LOG);

    let check = checked(root);
    let references: Vec<(&str, &str)> = check
        .iter()
        .filter(|f| ["missing-path", "outside-workspace"].contains(&f.2.as_str()))
        .map(|f| (f.2.as_str(), f.3.as_str()))
        .collect();
    assert_eq!(
        references,
        [
            (
                "missing-path",
                "src/missing/log does not exist in the workspace"
            ),
            (
                "outside-workspace",
                "~/.claude/settings.json is outside the workspace; tagls does not look there"
            ),
            (
                "missing-path",
                "src/missing/thing does not exist in the workspace"
            ),
            (
                "outside-workspace",
                "~/.claude/settings.json is outside the workspace; tagls does not look there"
            ),
        ],
        "{check:#?}"
    );

    let mut c = start(ClientOptions {
        root: Some(root.to_path_buf()),
        progress: true,
        ..ClientOptions::default()
    })
    .await;
    c.progress_end("the index").await;
    let mut editor = Vec::new();
    for (rel, language, text) in [
        ("src/prose.ts", "typescript", PROSE),
        (
            ".orchestration/implementation-log.md",
            "markdown",
            PROSE_LOG,
        ),
    ] {
        let uri = file_uri(&root.join(rel));
        c.open(&uri, language, text).await;
        let want: Vec<Shown> = check.iter().filter(|f| f.0 == rel).cloned().collect();
        // The last publish is the whole answer; wait for the one that
        // settles, and compare it whatever it is.
        let settled = tokio::time::timeout(
            std::time::Duration::from_secs(20),
            c.diagnostics_where(&uri, |p| {
                let mut got = shown(rel, p);
                got.sort();
                got == want
            }),
        )
        .await;
        let params = match settled {
            Ok(params) => params,
            // Shown side by side below.
            Err(_) => c
                .unread()
                .filter(|m| {
                    m["method"] == "textDocument/publishDiagnostics"
                        && m["params"]["uri"] == uri.as_str()
                })
                .last()
                .map(|m| m["params"].clone())
                .unwrap_or_else(|| json!({ "diagnostics": [] })),
        };
        editor.extend(shown(rel, &params));
    }
    editor.sort();
    assert_eq!(editor, check);

    // No hover, definition or hint for the prose; all three for a path.
    let uri = file_uri(&root.join("src/prose.ts"));
    let at = |line: u32, character: u32| json!({ "textDocument": { "uri": uri }, "position": { "line": line, "character": character } });
    for (line, character) in [(0, 35), (1, 33), (1, 88)] {
        let def = c
            .request("textDocument/definition", at(line, character))
            .await;
        assert_eq!(def, Value::Null, "{line}:{character}");
        let hover = c.request("textDocument/hover", at(line, character)).await;
        let shown = hover["contents"]["value"].as_str().unwrap_or_default();
        assert!(!shown.contains("exist"), "{line}:{character}: {shown}");
    }
    let def = c.request("textDocument/definition", at(4, 40)).await;
    assert_eq!(
        def[0]["uri"],
        file_uri(&root.join("src/services/user.service.ts"))
    );
    let hints: Vec<String> = inlay_labels(&mut c, &uri).await;
    assert_eq!(hints, ["✗ missing", "✓", "✓", "✗ outside workspace"]);
    c.finish().await;
}

/// Whether a word is a path by its first folder follows the disk, through
/// the server's own watcher: a `read/` folder that appears makes
/// `read/write/delete` a (missing) path, with no edit, and its removal makes
/// it prose again; `src/` going makes `src/missing/thing` prose.
#[tokio::test]
async fn a_first_folder_that_appears_or_goes_changes_what_is_a_path() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "src/services/user.service.ts", "export {}\n");
    let text = "\
// #COMPLETION_DRIVE: Assuming read/write/delete permissions are enough
// #COMPLETION_DRIVE: Assuming the worker lives in src/missing/thing
";
    write(root, "src/prose.ts", text);
    let mut c = start(ClientOptions {
        root: Some(root.to_path_buf()),
        progress: true,
        ..ClientOptions::default()
    })
    .await;
    c.progress_end("the index").await;
    let uri = file_uri(&root.join("src/prose.ts"));
    c.open(&uri, "typescript", text).await;
    let missing = |p: &Value| -> Vec<String> {
        reference_diagnostics(p)
            .into_iter()
            .filter(|d| d.0 == "missing-path")
            .map(|d| d.4)
            .collect()
    };
    let thing = "src/missing/thing does not exist in the workspace".to_owned();
    let rwd = "read/write/delete does not exist in the workspace".to_owned();
    c.diagnostics_where(&uri, |p| missing(p) == [thing.clone()])
        .await;

    // (The server's own watcher reports files, not empty folders.)
    write(root, "read/notes.md", "# notes\n");
    c.diagnostics_where(&uri, |p| missing(p) == [rwd.clone(), thing.clone()])
        .await;
    std::fs::remove_dir_all(root.join("read")).unwrap();
    c.diagnostics_where(&uri, |p| missing(p) == [thing.clone()])
        .await;

    // The document itself lives in `src/`: move it out first.
    let moved = root.join("prose.ts");
    std::fs::rename(root.join("src/prose.ts"), &moved).unwrap();
    let uri = file_uri(&moved);
    c.open(&uri, "typescript", text).await;
    c.diagnostics_where(&uri, |p| missing(p) == [thing.clone()])
        .await;
    std::fs::remove_dir_all(root.join("src")).unwrap();
    c.diagnostics_where(&uri, |p| missing(p).is_empty()).await;
    c.finish().await;
}
