//! Configuration: the documented examples against the schema and the
//! parser, precedence between the files and the editor, custom tags end to
//! end, live reload, and inline suppressions in the server and the CLI.

use crate::support;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};
use support::{ClientOptions, TestClient, file_uri, start, write};
use tagls::config::ConfigFile;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Every ```toml block of docs/CONFIG.md parses, and validates against
/// docs/tagls.schema.json.
#[test]
fn every_documented_example_matches_the_schema_and_the_parser() {
    let doc = std::fs::read_to_string(repo().join("docs/CONFIG.md")).unwrap();
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("docs/tagls.schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let blocks: Vec<&str> = doc
        .split("```toml\n")
        .skip(1)
        .map(|b| b.split("```").next().unwrap())
        .collect();
    assert!(blocks.len() >= 3, "{}", blocks.len());
    let mut checked = 0;
    for block in blocks {
        let parsed = ConfigFile::parse(block, Path::new("docs/CONFIG.md"));
        let as_json: Value =
            serde_json::to_value(toml::from_str::<toml::Value>(block).unwrap()).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&as_json)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{errors:?}\n{block}");
        assert!(parsed.is_ok(), "{parsed:?}\n{block}");
        checked += 1;
    }
    assert!(checked >= 3);
    // And the schema rejects what the parser rejects.
    for bad in [
        "[checks]\nmissing-pth = \"warning\"\n",
        "[tags.lower]\nfamily = \"assumption\"\n",
        "colour = true\n",
    ] {
        assert!(ConfigFile::parse(bad, Path::new("x")).is_err(), "{bad}");
        let as_json: Value =
            serde_json::to_value(toml::from_str::<toml::Value>(bad).unwrap()).unwrap();
        assert!(!validator.is_valid(&as_json), "{bad}");
    }
}

fn check_json(root: &Path, user_config_home: &Path) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_tagls"))
        .args(["check", "--format", "json"])
        .current_dir(root)
        .env("XDG_CONFIG_HOME", user_config_home)
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)))
}

fn severity_of(doc: &Value, code: &str) -> Option<String> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == code)
        .map(|f| f["severity"].as_str().unwrap().to_owned())
}

/// The user file is below the workspace file, for the CLI as for the editor.
#[test]
fn the_workspace_file_overrides_the_user_file() {
    let ws = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let root = ws.path();
    write(
        root,
        "src/a.ts",
        "// #COMPLETION_DRIVE: Assuming src/gone.ts exists\n// #MY_NOTE: project tag\n",
    );
    write(
        root,
        ".orchestration/implementation-log.md",
        "#FILE_CREATED: src/a.ts (2 lines)\n",
    );
    write(
        home.path(),
        "tagls/config.toml",
        "[checks]\nmissing-path = \"off\"\n[tags.MY_NOTE]\nfamily = \"decision\"\n",
    );
    let doc = check_json(root, home.path());
    assert_eq!(severity_of(&doc, "missing-path"), None);
    assert_eq!(doc["verdict"], "PASSED", "{doc:#}");
    assert_eq!(doc["summary"]["families"]["decision"], 1);
    write(root, ".tagls.toml", "[checks]\nmissing-path = \"error\"\n");
    let doc = check_json(root, home.path());
    assert_eq!(severity_of(&doc, "missing-path").as_deref(), Some("error"));
    assert_eq!(doc["verdict"], "BLOCKED");
    // Tables merge key by key: the user file's tag is still there.
    assert_eq!(doc["summary"]["families"]["decision"], 1);
    // An unusable file is a usage error that says where.
    write(root, ".tagls.toml", "[checks]\nmissing-path = \"loud\"\n");
    let out = Command::new(env!("CARGO_BIN_EXE_tagls"))
        .arg("check")
        .current_dir(root)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(".tagls.toml"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

async fn client(root: &Path) -> TestClient {
    start(ClientOptions {
        root: Some(root.to_path_buf()),
        ..ClientOptions::default()
    })
    .await
}

fn codes(p: &Value) -> Vec<(String, u64)> {
    p["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_owned(),
                d["severity"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// The editor's settings sit on top of the workspace file.
#[tokio::test]
async fn editor_settings_override_the_workspace_file() {
    let ws = tempfile::tempdir().unwrap();
    let root = ws.path();
    write(root, ".tagls.toml", "[checks]\nmissing-path = \"error\"\n");
    let text = "// #COMPLETION_DRIVE: Assuming src/gone.ts exists\n";
    let mut c = start(ClientOptions {
        root: Some(root.to_path_buf()),
        initialization_options: Some(json!({ "checks": { "missing-path": "hint" } })),
        ..ClientOptions::default()
    })
    .await;
    let uri = file_uri(&root.join("src/a.ts"));
    c.open(&uri, "typescript", text).await;
    c.diagnostics_where(&uri, |p| codes(p).contains(&("missing-path".to_owned(), 4)))
        .await;
    // A pushed change of the editor's settings applies at once.
    c.notify(
        "workspace/didChangeConfiguration",
        json!({ "settings": { "tagls": { "checks": { "missing-path": "off" } } } }),
    )
    .await;
    c.diagnostics_where(&uri, |p| !codes(p).iter().any(|(c, _)| c == "missing-path"))
        .await;
    c.finish().await;
}

/// Settings that say nothing (`[]`: Neovim's encoding of Lua's empty table,
/// as `require("tagls").setup({})` sends it; `{}`; `null`) are no settings:
/// nothing is shown to the user, and the workspace file stays in force.
#[tokio::test]
async fn editor_settings_that_say_nothing_are_no_settings() {
    let ws = tempfile::tempdir().unwrap();
    let root = ws.path();
    write(root, ".tagls.toml", "[checks]\nmissing-path = \"error\"\n");
    let text = "// #COMPLETION_DRIVE: Assuming src/gone.ts exists\n";
    let mut c = start(ClientOptions {
        root: Some(root.to_path_buf()),
        initialization_options: Some(json!([])),
        ..ClientOptions::default()
    })
    .await;
    for nothing in [json!([]), json!({}), Value::Null] {
        c.notify(
            "workspace/didChangeConfiguration",
            json!({ "settings": { "tagls": nothing } }),
        )
        .await;
    }
    let uri = file_uri(&root.join("src/a.ts"));
    c.open(&uri, "typescript", text).await;
    // The settings were taken before the document: a warning about them
    // would have come before its diagnostics.
    c.diagnostics_where(&uri, |p| codes(p).contains(&("missing-path".to_owned(), 1)))
        .await;
    let shown: Vec<&Value> = c
        .unread()
        .filter(|m| m["method"] == "window/showMessage")
        .collect();
    assert!(shown.is_empty(), "{shown:#?}");
    // A settings value of the wrong shape is still reported.
    c.notify(
        "workspace/didChangeConfiguration",
        json!({ "settings": { "tagls": ["log"] } }),
    )
    .await;
    let msg = c.shown("settings are not valid").await;
    assert_eq!(msg["params"]["type"], 2, "{msg}");
    c.finish().await;
}

/// A custom tag defined in the file is found, highlighted, hovered (and
/// counted by check, above); the file is reloaded live, and a broken file
/// gets a diagnostic while the last good settings hold.
#[tokio::test]
async fn custom_tags_and_live_reload() {
    let ws = tempfile::tempdir().unwrap();
    let root = ws.path();
    let text = "// #QUESTION_SUPPRESSION: why is the retry count 3?\nexport {}\n";
    write(root, "src/a.ts", text);
    write(
        root,
        ".orchestration/implementation-log.md",
        "#FILE_CREATED: src/a.ts (2 lines)\n",
    );
    let mut c = client(root).await;
    let uri = file_uri(&root.join("src/a.ts"));
    c.open(&uri, "typescript", text).await;
    c.diagnostics_where(&uri, |p| codes(p).contains(&("unknown-tag".to_owned(), 2)))
        .await;

    let config = "[tags.QUESTION_SUPPRESSION]\nfamily = \"assumption\"\nseverity = \"warning\"\ndescription = \"A question the author chose not to ask.\"\n";
    write(root, ".tagls.toml", config);
    // A custom assumption that names nothing checkable is, as in `tagls
    // check`, an item for a person: one finding, with the tag's severity.
    let custom = |severity: u64| vec![("unchecked-assumption".to_owned(), severity)];
    c.diagnostics_where(&uri, |p| codes(p) == custom(2)).await;
    let hover = c
        .request(
            "textDocument/hover",
            json!({ "textDocument": { "uri": uri }, "position": { "line": 0, "character": 5 } }),
        )
        .await;
    assert!(
        hover["contents"]["value"]
            .as_str()
            .unwrap()
            .contains("A question the author chose not to ask."),
        "{hover}"
    );
    let tokens = c
        .request(
            "textDocument/semanticTokens/full",
            json!({ "textDocument": { "uri": uri } }),
        )
        .await;
    assert_eq!(
        tokens["data"],
        json!([0, 3, 22, 0, 0]),
        "tagAssumption, the custom tag's family"
    );

    // Broken: a diagnostic on the file, at the bad value, and the tag is
    // still an assumption.
    write(
        root,
        ".tagls.toml",
        &config.replace("\"assumption\"", "\"assumptoin\""),
    );
    let config_uri = file_uri(&root.join(".tagls.toml"));
    let d = c.diagnostics(&config_uri).await;
    let diag = &d["diagnostics"][0];
    assert_eq!(diag["severity"], 1);
    assert_eq!(diag["range"]["start"], json!({ "line": 1, "character": 9 }));
    assert!(
        diag["message"]
            .as_str()
            .unwrap()
            .contains("last good configuration stays in force"),
        "{diag}"
    );
    let hover = c
        .request(
            "textDocument/hover",
            json!({ "textDocument": { "uri": uri }, "position": { "line": 0, "character": 5 } }),
        )
        .await;
    assert!(
        hover["contents"]["value"]
            .as_str()
            .unwrap()
            .contains("A question the author chose not to ask.")
    );

    // Fixed: the diagnostic goes.
    write(root, ".tagls.toml", &config.replace("warning", "hint"));
    c.diagnostics_where(&config_uri, |p| {
        p["diagnostics"].as_array().unwrap().is_empty()
    })
    .await;
    c.diagnostics_where(&uri, |p| codes(p) == custom(4)).await;
    c.finish().await;
}

const SUPPRESSED: &str = "// tagls: ignore-next-line
// #COMPLETION_DRIVE: Assuming src/gone.ts exists
// #COMPLETION_DRIVE: Assuming src/also-gone.ts exists
export {}
";

#[tokio::test]
async fn suppressions_in_the_server_and_the_cli_agree() {
    let ws = tempfile::tempdir().unwrap();
    let root = ws.path();
    write(root, "src/a.ts", SUPPRESSED);
    write(
        root,
        "src/b.ts",
        "// tagls: ignore-file\n// #COMPLETION_DRIVE: Assuming src/gone.ts exists\n",
    );
    write(
        root,
        ".orchestration/implementation-log.md",
        "#FILE_CREATED: src/a.ts (4 lines)\n",
    );
    let mut c = client(root).await;
    let a = file_uri(&root.join("src/a.ts"));
    let b = file_uri(&root.join("src/b.ts"));
    c.open(&a, "typescript", SUPPRESSED).await;
    let d = c
        .diagnostics_where(&a, |p| codes(p).iter().any(|(c, _)| c == "missing-path"))
        .await;
    let lines: Vec<(u64, String)> = d["diagnostics"]
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
    assert_eq!(
        lines,
        [(2, "assumption".to_owned()), (2, "missing-path".to_owned())]
    );
    c.open(
        &b,
        "typescript",
        "// tagls: ignore-file\n// #COMPLETION_DRIVE: Assuming src/gone.ts exists\n",
    )
    .await;
    assert_eq!(c.diagnostics(&b).await["diagnostics"], json!([]));
    c.finish().await;

    let out = Command::new(env!("CARGO_BIN_EXE_tagls"))
        .args(["check", "--format", "json"])
        .current_dir(root)
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let cli: Vec<(String, u64, String)> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["path"] != ".orchestration/implementation-log.md")
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_owned(),
                f["line"].as_u64().unwrap() - 1,
                f["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        cli,
        [
            ("src/a.ts".to_owned(), 2, "assumption".to_owned()),
            ("src/a.ts".to_owned(), 2, "missing-path".to_owned()),
        ]
    );
}
