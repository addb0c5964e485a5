//! Secrets never leave the files that hold them: known values are planted in
//! `.env` files, configured env files, `.npmrc`, credentials, keys, and as
//! tokens in source files and in a recipe; every feature that looks at
//! them is exercised, over the protocol and on the command line, with
//! logging turned up, and no response, notification, log line, report or
//! SARIF file may contain one (docs/RELIABILITY.md, "Secrets").

use crate::support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::{Value, json};
use support::{ClientOptions, TestClient, file_uri, start_command};

/// The planted values. Each is distinctive so that any copy is found,
/// whatever surrounds it.
const SECRETS: &[&str] = &[
    "sk_live_CANARY1_a8f3",
    "CANARYPASS2_9d1e",
    "CANARY3 with spaces",
    "CANARY4_exported",
    "CANARY5_example_value",
    "CANARY6_in_a_multiline_key",
    "CANARY7_single_quoted",
    "CANARY8_after_a_comment",
];

fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_tagls"))
}

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

const APP: &str = "// #COMPLETION_DRIVE_INTEGRATION: Assuming API_KEY in environment variables
// #COMPLETION_DRIVE_INTEGRATION: Assuming JWT_SECRET and DATABASE_URL in .env
// #COMPLETION_DRIVE: Assuming .env.local exists
// #COMPLETION_DRIVE: Assuming MISSING_VAR is set
const key = process.env.API_KEY
const jwt = process.env.JWT_SECRET
const db = process.env['DATABASE_URL']
const stripe = process.env.STRIPE_KEY
const pk = process.env.PRIVATE_KEY
export { key, jwt, db, stripe, pk }
";

const WORKER: &str = "import os
# #COMPLETION_DRIVE_INTEGRATION: Assuming DATABASE_URL in environment variables
db = os.environ[\"DATABASE_URL\"]
key = os.getenv(\"API_KEY\")
";

const LOG: &str = "# Implementation Log

## Files Created
#FILE_CREATED: .env (9 lines)
  Verification: grep \"API_KEY\" .env
#FILE_CREATED: .env.local (1 line)
  Verification: grep -n \"JWT_SECRET\" .env.local
#FILE_CREATED: src/app.ts (10 lines)
  Verification: grep -r \"DATABASE_URL\" .
#FILE_CREATED: .env.production (1 line)
  Verification: grep \"sk_live\" .env
#FILE_CREATED: .env.example (3 lines)
  Verification: wc -l .env.example

## Files Modified
#FILE_MODIFIED: .env
  Lines affected: 1-3
  Verification: grep \"NOT_THERE\" .env

## Assumptions Made
#COMPLETION_DRIVE_INTEGRATION: Assuming STRIPE_KEY in .env.production
";

fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        ".env",
        "API_KEY=sk_live_CANARY1_a8f3\n\
         DATABASE_URL=postgres://app:CANARYPASS2_9d1e@db.internal:5432/app\n\
         # a comment, then a key whose value follows it\n\
         PRIVATE_KEY=\"-----BEGIN KEY-----\n\
         CANARY6_in_a_multiline_key\n\
         -----END KEY-----\"\n\
         SINGLE='CANARY7_single_quoted'\n\
         AFTER=CANARY8_after_a_comment # trailing comment\n\
         EMPTY=\n",
    );
    write(root, ".env.local", "JWT_SECRET=\"CANARY3 with spaces\"\n");
    write(
        root,
        ".env.production",
        "export STRIPE_KEY=CANARY4_exported\n",
    );
    write(
        root,
        ".env.example",
        "API_KEY=CANARY5_example_value\nJWT_SECRET=\nDATABASE_URL=\n",
    );
    write(root, "src/app.ts", APP);
    write(root, "worker/main.py", WORKER);
    write(root, ".orchestration/implementation-log.md", LOG);
    dir
}

fn assert_no_secret(what: &str, text: &str) {
    for s in SECRETS {
        assert!(
            !text.contains(s),
            "{what} contains the secret {s:?}:\n{}",
            excerpt(text, s)
        );
    }
}

fn excerpt(text: &str, needle: &str) -> String {
    let i = text.find(needle).unwrap_or(0);
    let start = text[..i]
        .char_indices()
        .rev()
        .nth(200)
        .map_or(0, |(j, _)| j);
    let after: String = text[i..].chars().take(needle.len() + 200).collect();
    format!("{}{after}", &text[start..i])
}

/// Every position of every line of `text`, one hover each, plus the other
/// requests that take a document.
/// Returns how many requests were sent and every response, as text.
async fn exercise(c: &mut TestClient, uri: &str, text: &str) -> (usize, String) {
    let mut sent = 0;
    let mut answers = String::new();
    for (line, l) in text.lines().enumerate() {
        let width = l.encode_utf16().count();
        for character in (0..=width).step_by(3) {
            let at = json!({ "textDocument": { "uri": uri }, "position": { "line": line, "character": character } });
            for method in [
                "textDocument/hover",
                "textDocument/definition",
                "textDocument/completion",
            ] {
                // Completion may be unimplemented; either way nothing leaks.
                let r = c.request_raw(method, at.clone()).await;
                answers.push_str(&r.to_string());
                sent += 1;
            }
        }
    }
    let whole =
        json!({ "start": { "line": 0, "character": 0 }, "end": { "line": 999, "character": 0 } });
    for (method, params) in [
        (
            "textDocument/documentLink",
            json!({ "textDocument": { "uri": uri } }),
        ),
        (
            "textDocument/inlayHint",
            json!({ "textDocument": { "uri": uri }, "range": whole }),
        ),
        (
            "textDocument/semanticTokens/full",
            json!({ "textDocument": { "uri": uri } }),
        ),
        (
            "textDocument/documentSymbol",
            json!({ "textDocument": { "uri": uri } }),
        ),
        (
            "textDocument/codeLens",
            json!({ "textDocument": { "uri": uri } }),
        ),
        (
            "textDocument/diagnostic",
            json!({ "textDocument": { "uri": uri } }),
        ),
        ("workspace/diagnostic", json!({ "previousResultIds": [] })),
        ("workspace/symbol", json!({ "query": "" })),
        ("workspace/symbol", json!({ "query": "CANARY" })),
    ] {
        let r = c.request_raw(method, params).await;
        answers.push_str(&r.to_string());
        sent += 1;
    }
    // Code actions with the diagnostics the server gave, as an editor does.
    let d = c
        .request_raw(
            "textDocument/diagnostic",
            json!({ "textDocument": { "uri": uri } }),
        )
        .await;
    let diags = d["result"]["items"].clone();
    let diags = if diags.is_array() { diags } else { json!([]) };
    let actions = c
        .request_raw(
            "textDocument/codeAction",
            json!({ "textDocument": { "uri": uri }, "range": whole, "context": { "diagnostics": diags } }),
        )
        .await;
    answers.push_str(&d.to_string());
    answers.push_str(&actions.to_string());
    sent += 2;
    // Run every command the server offers.
    for a in actions["result"].as_array().into_iter().flatten() {
        if let Some(cmd) = a.get("command").filter(|c| c.is_object()) {
            let r = c
                .request_raw(
                    "workspace/executeCommand",
                    json!({ "command": cmd["command"], "arguments": cmd["arguments"] }),
                )
                .await;
            answers.push_str(&r.to_string());
            sent += 1;
        }
    }
    (sent, answers)
}

#[tokio::test]
async fn the_server_never_sends_or_logs_a_secret() {
    let ws = workspace();
    let root = ws.path();
    let stderr_path = root.join("../server-stderr.txt");
    let stderr = std::fs::File::create(&stderr_path).unwrap();
    let mut cmd = tokio::process::Command::new(bin());
    cmd.arg("--stdio")
        // Everything tagls itself logs; the framework's raw message trace
        // (tower_lsp_server at trace) echoes what the client sends, which
        // is the client's business, so it stays at debug.
        .env("TAGLS_LOG", "trace,tower_lsp_server=debug")
        .stderr(Stdio::from(stderr));
    let mut c = start_command(
        cmd,
        ClientOptions {
            root: Some(root.to_path_buf()),
            progress: true,
            ..ClientOptions::default()
        },
    )
    .await;
    let mut sent = 0;
    let mut answers = String::new();
    let mut tally = |(n, text): (usize, String)| {
        sent += n;
        answers.push_str(&text);
    };
    for (rel, lang) in [
        ("src/app.ts", "typescript"),
        ("worker/main.py", "python"),
        (".orchestration/implementation-log.md", "markdown"),
    ] {
        let uri = file_uri(&root.join(rel));
        let text = std::fs::read_to_string(root.join(rel)).unwrap();
        c.open(&uri, lang, &text).await;
        c.diagnostics(&uri).await;
        tally(exercise(&mut c, &uri, &text).await);
    }
    // The env files themselves, opened in the editor (the client sends
    // their text; the server must not send it back).
    for rel in [".env", ".env.local", ".env.production", ".env.example"] {
        let uri = file_uri(&root.join(rel));
        let text = std::fs::read_to_string(root.join(rel)).unwrap();
        c.open(&uri, "dotenv", &text).await;
        tally(exercise(&mut c, &uri, &text).await);
    }
    // A change on disk in an env file makes the server read it again.
    std::fs::write(
        root.join(".env"),
        std::fs::read_to_string(root.join(".env")).unwrap() + "NEW=CANARY1_not_planted\n",
    )
    .unwrap();
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({ "changes": [{ "uri": file_uri(&root.join(".env")), "type": 2 }] }),
    )
    .await;
    let app = file_uri(&root.join("src/app.ts"));
    tally(exercise(&mut c, &app, APP).await);
    let seen = c.drain().await;
    c.finish().await;
    assert!(
        answers.contains("API_KEY"),
        "the answers say nothing about env vars: {answers}"
    );
    assert!(answers.contains(".env"), "{answers}");
    assert_no_secret("the server's answers", &answers);
    assert_no_secret("the server's notifications and requests", &seen);
    let logs = std::fs::read_to_string(&stderr_path).unwrap();
    assert!(
        logs.len() > 1000,
        "the server logged almost nothing: {logs}"
    );
    assert_no_secret("the server's log", &logs);
    // Commands may have written files: none of them holds a secret either.
    for rel in [".orchestration/implementation-log.md", "src/app.ts"] {
        assert_no_secret(rel, &std::fs::read_to_string(root.join(rel)).unwrap());
    }
    eprintln!(
        "secrets: {sent} requests to the server, {} bytes of answers, {} bytes of other messages and {} bytes of logs checked",
        answers.len(),
        seen.len(),
        logs.len()
    );
}

#[test]
fn the_cli_never_prints_or_writes_a_secret() {
    let ws = workspace();
    let root = ws.path();
    let mut checked = 0;
    let mut runs = 0;
    let mut run = |args: &[&str]| {
        let out = Command::new(bin())
            .args(args)
            .current_dir(root)
            .env("TAGLS_LOG", "trace")
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_no_secret(&format!("stdout of tagls {args:?}"), &stdout);
        assert_no_secret(&format!("stderr of tagls {args:?}"), &stderr);
        checked += stdout.len() + stderr.len();
        runs += 1;
        (out.status.code(), stdout)
    };
    let (_, text) = run(&["check", "."]);
    assert!(text.contains("API_KEY") || text.contains(".env"), "{text}");
    let (_, json_out) = run(&["check", "--format", "json", "."]);
    let _: Value = serde_json::from_str(&json_out).unwrap();
    let (_, sarif) = run(&["check", "--format", "sarif", "."]);
    let _: Value = serde_json::from_str(&sarif).unwrap();
    run(&["check", ".env"]);
    run(&[
        "check",
        "src/app.ts",
        ".orchestration/implementation-log.md",
    ]);
    run(&["report", "."]);
    let report =
        std::fs::read_to_string(root.join(".orchestration/verification-report.md")).unwrap();
    assert!(report.contains(".env"), "{report}");
    assert_no_secret("verification-report.md", &report);
    std::fs::create_dir_all(root.join(".git")).unwrap();
    run(&["log", "created", ".env"]);
    run(&[
        "log",
        "created",
        ".env.local",
        "--description",
        "local secrets",
    ]);
    run(&["log", "modified", ".env", "--lines", "1-2"]);
    let log = std::fs::read_to_string(root.join(".orchestration/implementation-log.md")).unwrap();
    assert!(log.contains("#FILE_CREATED: .env.local (1 line)"), "{log}");
    assert_no_secret("the implementation log", &log);
    // A second check sees the entries just written.
    run(&["check", "--format", "sarif", "."]);
    eprintln!("secrets: {runs} CLI runs, {checked} bytes of output checked");
}

/// Token-shaped values and files that are secret by name, beyond env files:
/// each planted value is distinctive, and some stand in lines that no
/// pattern would catch, so only the rule for their file can hide them.
const TOKENS: &[&str] = &[
    "T1CANARYsecretsEnvValue",
    "T1CANARY_comment_in_env",
    "T2CANARY_vars_comment",
    "npm_T3CANARYnpmTokenAbCdEf0123456789xyz",
    "T3CANARY_npmrc_comment",
    "T4CANARY_credentials_note",
    "T4CANARYawsSecret",
    "T5CANARYpemBody",
    "T6CANARYsshBody",
    "sk_live_T7CANARYstripeLiveKey0123",
    "ghp_T8CANARYgithubToken0123456789abcdef",
    "sk_live_T9CANARYinTheRecipe0123",
];

const TOKEN_LOG: &str = "# Implementation Log

## Files Created
#FILE_CREATED: src/config.ts (3 lines)
  Verification: grep -r \"API_KEY\" .
#FILE_CREATED: .npmrc (2 lines)
  Verification: grep \"_authToken\" .npmrc
#FILE_CREATED: secrets.env (2 lines)
  Verification: grep -n \"API_KEY\" secrets.env deploy.vars
#FILE_CREATED: credentials.json (4 lines)
  Verification: grep \"API_KEY\" credentials.json
#FILE_CREATED: server.pem (3 lines)
  Verification: grep -n \"MIIEv\" server.pem
#FILE_CREATED: id_rsa (3 lines)
  Verification: grep \"b3BlbnNzaC1rZXk\" id_rsa
#FILE_CREATED: src/deploy.ts (1 line)
  Verification: grep \"token\" src/deploy.ts

## Files Modified
#FILE_MODIFIED: src/config.ts
  Verification: grep \"sk_live_T9CANARYinTheRecipe0123\" src/config.ts
";

fn token_workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        ".tagls.toml",
        "env-files = [\"secrets.env\", \"deploy.vars\"]\n",
    );
    write(
        root,
        "secrets.env",
        "API_KEY=T1CANARYsecretsEnvValue\n# API_KEY rotated by T1CANARY_comment_in_env\n",
    );
    write(
        root,
        "deploy.vars",
        "# API_KEY owner T2CANARY_vars_comment\n",
    );
    write(
        root,
        ".npmrc",
        "//registry.npmjs.org/:_authToken=npm_T3CANARYnpmTokenAbCdEf0123456789xyz\n\
         # _authToken from T3CANARY_npmrc_comment\n",
    );
    write(
        root,
        "credentials.json",
        "{\n  \"note\": \"API_KEY of T4CANARY_credentials_note\",\n  \
         \"aws_secret_access_key\": \"T4CANARYawsSecret\"\n}\n",
    );
    write(
        root,
        "server.pem",
        "-----BEGIN PRIVATE KEY-----\nMIIEvT5CANARYpemBody\n-----END PRIVATE KEY-----\n",
    );
    write(
        root,
        "id_rsa",
        "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXkT6CANARYsshBody\n-----END OPENSSH PRIVATE KEY-----\n",
    );
    write(
        root,
        "src/config.ts",
        "// Reads API_KEY from the environment in production.\n\
         export const stripe = \"sk_live_T7CANARYstripeLiveKey0123\" // API_KEY for tests\n\
         export const key = process.env.API_KEY\n",
    );
    write(
        root,
        "src/deploy.ts",
        "export const token = \"ghp_T8CANARYgithubToken0123456789abcdef\"\n",
    );
    write(root, ".orchestration/implementation-log.md", TOKEN_LOG);
    dir
}

fn assert_no_token(what: &str, text: &str) {
    assert_none_of(TOKENS, what, text);
}

fn assert_none_of(tokens: &[&str], what: &str, text: &str) {
    for s in tokens {
        assert!(
            !text.contains(s),
            "{what} contains the secret {s:?}:\n{}",
            excerpt(text, s)
        );
    }
}

/// The hover over each recipe of [`TOKEN_LOG`], by the text of its line.
async fn recipe_hovers(c: &mut TestClient, uri: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (line, text) in TOKEN_LOG.lines().enumerate() {
        let Some(at) = text.find("Verification: ") else {
            continue;
        };
        let character = at + "Verification: ".len() + 2;
        let hover = c
            .request(
                "textDocument/hover",
                json!({ "textDocument": { "uri": uri }, "position": { "line": line, "character": character } }),
            )
            .await;
        let value = hover["contents"]["value"]
            .as_str()
            .unwrap_or_else(|| panic!("no hover on {text:?}: {hover}"))
            .to_owned();
        out.push((text.trim().to_owned(), value));
    }
    out
}

#[tokio::test]
async fn recipe_hovers_name_the_lines_of_secret_files_and_hide_their_values() {
    let ws = token_workspace();
    let root = ws.path();
    let mut c = start_command(
        {
            let mut cmd = tokio::process::Command::new(bin());
            cmd.arg("--stdio").stderr(Stdio::null());
            cmd
        },
        ClientOptions {
            root: Some(root.to_path_buf()),
            progress: true,
            ..ClientOptions::default()
        },
    )
    .await;
    c.progress_end("the index").await;
    // Before the log is open, its findings come from a workspace pull.
    let pulled = c
        .request("workspace/diagnostic", json!({ "previousResultIds": [] }))
        .await;
    let uri = file_uri(&root.join(".orchestration/implementation-log.md"));
    c.open(&uri, "markdown", TOKEN_LOG).await;
    let published = c
        .diagnostics_where(&uri, |d| d.to_string().contains("grep found no"))
        .await;
    let hovers = recipe_hovers(&mut c, &uri).await;
    let seen = c.drain().await;
    c.finish().await;

    let hover = |recipe: &str| -> &str {
        hovers
            .iter()
            .find(|(line, _)| line.contains(recipe))
            .map(|(_, h)| h.as_str())
            .unwrap_or_else(|| panic!("no hover for {recipe}"))
    };
    for (line, h) in &hovers {
        assert_no_token(&format!("the hover on {line:?}"), h);
    }
    // Where, never what: every secret file is named with its lines.
    let all = hover("grep -r \"API_KEY\" .");
    for shown in [
        "- `secrets.env` line 1\n",
        "- `secrets.env` line 2\n",
        "- `deploy.vars` line 1\n",
        "- `credentials.json` line 2\n",
    ] {
        assert!(all.contains(shown), "{shown:?} in {all}");
    }
    assert!(
        all.contains(
            "- `src/config.ts` line 2: `export const stripe = \"[redacted]\" // API_KEY for tests`"
        ),
        "{all}"
    );
    assert!(
        all.contains("- `src/config.ts` line 3: `export const key = process.env.API_KEY`"),
        "{all}"
    );
    assert!(all.contains("are not shown: "), "{all}");
    assert!(all.contains("replaced with `[redacted]`"), "{all}");
    let npmrc = hover("grep \"_authToken\" .npmrc");
    assert!(npmrc.contains("- `.npmrc` line 1\n"), "{npmrc}");
    assert!(npmrc.contains("- `.npmrc` line 2\n"), "{npmrc}");
    assert!(npmrc.contains("`.npmrc`."), "{npmrc}");
    let configured = hover("secrets.env deploy.vars");
    assert!(
        configured.contains("- `deploy.vars` line 1\n"),
        "{configured}"
    );
    assert!(
        hover("grep \"API_KEY\" credentials.json").contains("- `credentials.json` line 2\n"),
        "{hovers:#?}"
    );
    assert!(
        hover("server.pem").contains("- `server.pem` line 2\n"),
        "{hovers:#?}"
    );
    assert!(
        hover("id_rsa").contains("- `id_rsa` line 2\n"),
        "{hovers:#?}"
    );
    let deploy = hover("src/deploy.ts");
    assert!(
        deploy.contains("- `src/deploy.ts` line 1: `export const token = \"[redacted]\"`"),
        "{deploy}"
    );
    // A recipe that holds a token itself: shown redacted, and it fails.
    let own = hover("sk_live_T9");
    assert!(own.contains("grep \"[redacted]\" src/config.ts"), "{own}");
    assert!(
        own.contains("grep found no \"[redacted]\" in src/config.ts"),
        "{own}"
    );
    assert_no_token("the published diagnostics", &published.to_string());
    assert!(
        published
            .to_string()
            .contains("grep found no \\\"[redacted]\\\" in src/config.ts"),
        "{published}"
    );
    assert_no_token("the pulled diagnostics", &pulled.to_string());
    assert!(
        pulled
            .to_string()
            .contains("grep found no \\\"[redacted]\\\" in src/config.ts"),
        "{pulled}"
    );
    assert_no_token("the server's other messages", &seen);
}

#[test]
fn check_and_report_never_print_a_token() {
    let ws = token_workspace();
    let root = ws.path();
    let run = |args: &[&str]| {
        let out = Command::new(bin())
            .args(args)
            .current_dir(root)
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_no_token(&format!("stdout of tagls {args:?}"), &stdout);
        assert_no_token(&format!("stderr of tagls {args:?}"), &stderr);
        stdout
    };
    let text = run(&["check", "."]);
    assert!(
        text.contains("grep found no \"[redacted]\" in src/config.ts"),
        "{text}"
    );
    let json_out = run(&["check", "--format", "json", "."]);
    let _: Value = serde_json::from_str(&json_out).unwrap();
    assert!(json_out.contains("[redacted]"), "{json_out}");
    let sarif = run(&["check", "--format", "sarif", "."]);
    let _: Value = serde_json::from_str(&sarif).unwrap();
    assert!(sarif.contains("[redacted]"), "{sarif}");
    run(&["report", "."]);
    let report =
        std::fs::read_to_string(root.join(".orchestration/verification-report.md")).unwrap();
    assert!(report.contains("src/config.ts"), "{report}");
    assert!(
        report.contains("- Found: grep found no \"[redacted]\" in src/config.ts"),
        "{report}"
    );
    // The report's `Claim:` and `Check:` lines quote the log's text under a
    // finding, the failing recipe with its token included: hidden too.
    assert_none_of(TOKENS, "verification-report.md", &report);
}
