//! `tagls mcp` driven by a real MCP client: the official Python SDK (PyPI
//! `mcp`, installed by tests/install-mcp.sh) runs tests/mcp/client.py, which
//! starts the built binary over stdio, initializes, lists the tools and
//! resources, calls every tool on a copy of examples/demo and reads the
//! resources. A missing client skips the test, unless
//! `TAGLS_REQUIRE_EDITORS=1`, which makes it a failure.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::{Value, json};

fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_tagls"))
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn python() -> String {
    std::env::var("TAGLS_PYTHON").unwrap_or_else(|_| "python3".to_owned())
}

/// Whether the pinned client can be imported, or the test is skipped (or
/// fails, with `TAGLS_REQUIRE_EDITORS=1`).
fn client_available() -> bool {
    let probe = Command::new(python())
        .args(["-c", "import mcp.client.stdio"])
        .output();
    let problem = match probe {
        Ok(o) if o.status.success() => return true,
        Ok(o) => format!(
            "{} cannot import the MCP SDK: {}",
            python(),
            String::from_utf8_lossy(&o.stderr).trim()
        ),
        Err(e) => format!("{} cannot be run: {e}", python()),
    };
    if std::env::var("TAGLS_REQUIRE_EDITORS").is_ok_and(|v| v.trim() == "1") {
        panic!(
            "the MCP client is required (TAGLS_REQUIRE_EDITORS=1) but missing: {problem}.\n\
             Run `bash tests/install-mcp.sh` in {} to install it.",
            repo().display()
        );
    }
    eprintln!(
        "note: skipping the MCP test: {problem}. Run `bash tests/install-mcp.sh` to install \
         the pinned client (set TAGLS_REQUIRE_EDITORS=1 to make this a failure)."
    );
    false
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// Runs the client with `script` against `tagls mcp` in `ws`; its transcript.
fn session(ws: &Path, script: Value) -> Value {
    let mut child = Command::new(python())
        .arg(repo().join("tests/mcp/client.py"))
        .arg(bin())
        .arg(ws)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(script.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "the MCP client failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "the client's transcript is not JSON ({e}):\n{}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

fn check_json(ws: &Path) -> Value {
    let out = Command::new(bin())
        .args(["check", "--format", "json"])
        .current_dir(ws)
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The answer of one call, which must have succeeded.
fn ok<'a>(t: &'a Value, label: &str) -> &'a Value {
    let call = &t["calls"][label];
    assert_eq!(call["is_error"], json!(false), "{label}: {call}");
    &call["structured"]
}

/// The message of one call, which must have been a tool error.
fn tool_error(t: &Value, label: &str) -> String {
    let call = &t["calls"][label];
    assert_eq!(call["is_error"], json!(true), "{label} should fail: {call}");
    call["text"][0].as_str().unwrap().to_owned()
}

const SECRET: &str = "sk_live_4eC39HqLyjWDarjtT1zdp7dc";

#[test]
fn an_agent_checks_explains_resolves_and_logs_through_mcp() {
    if !client_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("demo");
    copy_dir(&repo().join("examples/demo"), &ws);
    // A secret value in an env file, which no answer may carry.
    write(&ws, ".env", &format!("STRIPE_KEY={SECRET}\n"));
    write(
        &ws,
        "src/new.ts",
        "export const a = 1\nexport const b = 2\n",
    );
    // A file outside the workspace, and a symlink to it from inside.
    write(dir.path(), "outside/secret.ts", "export const s = 1\n");
    std::os::unix::fs::symlink(dir.path().join("outside"), ws.join("src/out")).unwrap();

    let before = check_json(&ws);
    assert_eq!(before["verdict"], "BLOCKED", "{before}");
    // What `tagls check FILE` reports, for the same call through MCP.
    let out = Command::new(bin())
        .args(["check", "--format", "json", "src/api/routes/auth.ts"])
        .current_dir(&ws)
        .output()
        .unwrap();
    let by_cli: Value = serde_json::from_slice(&out.stdout).unwrap();

    let t = session(
        &ws,
        json!({
            "calls": [
                ["check", "check", {}],
                ["check_src", "check", { "paths": ["src"] }],
                ["check_file", "check", { "paths": ["src/api/routes/auth.ts"] }],
                ["open", "unresolved_assumptions", {}],
                ["explain", "explain", { "code": "missing-path" }],
                ["explain_tag", "explain", { "code": "#COMPLETION_DRIVE" }],
                ["resolve_env", "resolve", { "env": "STRIPE_KEY" }],
                ["resolve_undeclared", "resolve", { "env": "NOT_DECLARED_ANYWHERE" }],
                ["resolve_path", "resolve", { "path": "src/services/user.service.ts" }],
                ["resolve_payload", "resolve", { "payload": "Assuming src/missing/thing.ts exists and DATABASE_URL in .env" }],
                ["log_created", "log_created", { "path": "src/new.ts", "description": "Two constants" }],
                ["log_created_again", "log_created", { "path": "src/new.ts" }],
                ["log_modified_lines", "log_modified", { "path": "src/new.ts", "lines": "1-2", "changes": "Both constants" }],
                ["after", "check", {}],
                ["report", "read_report", { "generate": true }],
                ["report_read", "read_report", {}],
                // Bad arguments and paths outside the workspace.
                ["bad_type", "check", { "paths": 3 }],
                ["bad_field", "explain", { "code": "missing-path", "verbose": true }],
                ["missing_field", "log_created", {}],
                ["unknown_code", "explain", { "code": "no-such-code" }],
                ["two_kinds", "resolve", { "env": "A_B", "path": "x.ts" }],
                ["bad_lines", "log_modified", { "path": "src/new.ts", "lines": "many" }],
                ["dotdot", "log_created", { "path": "../outside/secret.ts" }],
                ["absolute", "check", { "paths": [dir.path().join("outside").to_string_lossy()] }],
                ["symlink_out", "log_created", { "path": "src/out/secret.ts" }],
                ["resolve_out", "resolve", { "path": "../outside/secret.ts" }],
                ["unknown_tool", "no_such_tool", {}],
            ],
            "resources": ["tagls://log", "tagls://report", "tagls://nothing"],
        }),
    );

    // The handshake, and every tool with an input schema.
    assert_eq!(t["server"]["name"], "tagls");
    assert_eq!(t["server"]["tools"], json!(true));
    assert_eq!(t["server"]["resources"], json!(true));
    let tools = t["tools"].as_object().unwrap();
    for name in [
        "check",
        "unresolved_assumptions",
        "explain",
        "resolve",
        "log_created",
        "log_modified",
        "read_report",
    ] {
        let schema = &tools.get(name).unwrap_or_else(|| panic!("no tool {name}"))["input_schema"];
        assert_eq!(schema["type"], "object", "{name}: {schema}");
        assert!(schema["properties"].is_object(), "{name}: {schema}");
    }
    assert_eq!(
        tools["explain"]["input_schema"]["required"],
        json!(["code"])
    );
    // check's result follows the schema of `tagls check --format json`,
    // which the client validates it against.
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("docs/check-output.schema.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(tools["check"]["output_schema"], schema);
    assert_eq!(
        tools["log_created"]["input_schema"]["required"],
        json!(["path"])
    );

    // check answers what `tagls check --format json` answers.
    let check = ok(&t, "check");
    for key in [
        "verdict",
        "verdict_word",
        "ra_status",
        "reason",
        "summary",
        "findings",
    ] {
        assert_eq!(check[key], before[key], "{key}");
    }
    let missing: Vec<&Value> = check["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "missing-path")
        .collect();
    assert!(!missing.is_empty(), "{check}");
    for key in [
        "path", "line", "column", "end_line", "severity", "gate", "message", "fix",
    ] {
        assert!(missing[0].get(key).is_some(), "{key} in {}", missing[0]);
    }
    assert!(
        t["calls"]["check"]["text"][0]
            .as_str()
            .unwrap()
            .starts_with("verdict: BLOCKED ("),
        "{}",
        t["calls"]["check"]
    );
    // A folder inside is checked as its own root, as `tagls check src` does.
    let check_src = ok(&t, "check_src");
    assert!(
        check_src["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| !f["path"].as_str().unwrap().starts_with("src/")),
        "{check_src}"
    );

    // A file is checked as part of the workspace, its findings kept, as
    // `tagls check FILE` does (`by_cli`, before the session).
    let check_file = ok(&t, "check_file");
    for key in ["verdict", "findings", "summary"] {
        assert_eq!(check_file[key], by_cli[key], "{key}");
    }
    let files: Vec<&str> = check_file["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert!(
        !files.is_empty() && files.iter().all(|p| p.contains("auth.ts")),
        "{files:?}"
    );

    // The open assumptions: what makes ra_status present_unresolved.
    let open = ok(&t, "open");
    assert_eq!(open["ra_status"], "present_unresolved");
    let assumptions = open["assumptions"].as_array().unwrap();
    assert!(!assumptions.is_empty());
    assert!(
        assumptions
            .iter()
            .any(|a| a["code"] == "missing-path" && a["gate"] == "BLOCKED"),
        "{open}"
    );
    assert!(
        assumptions
            .iter()
            .all(|a| a["path"].is_string() && a["line"].as_u64().is_some_and(|l| l > 0))
    );

    // explain is `tagls explain`'s text.
    let explain = ok(&t, "explain");
    let cli = Command::new(bin())
        .args(["explain", "missing-path"])
        .output()
        .unwrap();
    assert_eq!(
        explain["text"].as_str().unwrap(),
        String::from_utf8_lossy(&cli.stdout)
    );
    assert_eq!(explain["code"], "missing-path");
    assert!(explain["fix"].as_str().is_some_and(|f| !f.is_empty()));
    let tag = ok(&t, "explain_tag");
    assert_eq!(tag["code"], "assumption", "{tag}");

    // resolve: where, never what.
    let env = &ok(&t, "resolve_env")["references"][0];
    assert_eq!(env["status"], "declared", "{env}");
    assert_eq!(env["declared_in"], json!([{ "file": ".env", "line": 1 }]));
    let undeclared = &ok(&t, "resolve_undeclared")["references"][0];
    assert_eq!(undeclared["resolved"], json!(false));
    assert_eq!(undeclared["status"], "undeclared");
    let path = &ok(&t, "resolve_path")["references"][0];
    assert_eq!(path["status"], "exists");
    assert_eq!(path["path"], "src/services/user.service.ts");
    let payload = ok(&t, "resolve_payload")["references"]
        .as_array()
        .unwrap()
        .clone();
    assert!(
        payload
            .iter()
            .any(|r| r["reference"] == "src/missing/thing.ts" && r["status"] == "missing"),
        "{payload:?}"
    );
    assert!(
        payload
            .iter()
            .any(|r| r["reference"] == "DATABASE_URL" && r["status"] == "declared"),
        "{payload:?}"
    );

    // log_created writes the entry, once; `tagls check` then reads it.
    let logged = ok(&t, "log_created");
    assert_eq!(logged["written"], json!(true));
    let again = ok(&t, "log_created_again");
    assert_eq!(again["written"], json!(false));
    assert!(
        again["message"]
            .as_str()
            .unwrap()
            .starts_with("src/new.ts is already logged as #FILE_CREATED (.orchestration/implementation-log.md, line "),
        "{again}"
    );
    assert_eq!(ok(&t, "log_modified_lines")["written"], json!(true));
    let log = std::fs::read_to_string(ws.join(".orchestration/implementation-log.md")).unwrap();
    assert_eq!(
        log.matches("#FILE_CREATED: src/new.ts (2 lines)").count(),
        1,
        "{log}"
    );
    assert!(log.contains("#FILE_MODIFIED: src/new.ts"), "{log}");
    assert!(log.contains("Lines affected: 1-2"), "{log}");
    let after = check_json(&ws);
    assert_eq!(ok(&t, "after")["findings"], after["findings"]);
    assert!(
        after["summary"]["families"]["claim"].as_u64().unwrap()
            > before["summary"]["families"]["claim"].as_u64().unwrap(),
        "the new claims are read: {after}"
    );
    assert!(
        !after["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["path"] == ".orchestration/implementation-log.md"
                && f["message"].as_str().unwrap().contains("src/new.ts")
                && f["gate"] == "BLOCKED"),
        "the logged claims hold: {after}"
    );

    // read_report writes the report as `tagls report` does, then reads it.
    let report = ok(&t, "report");
    assert_eq!(report["generated"], json!(true));
    assert_eq!(report["gate"]["verdict"], after["verdict"]);
    let on_disk =
        std::fs::read_to_string(ws.join(".orchestration/verification-report.md")).unwrap();
    assert_eq!(report["text"].as_str().unwrap(), on_disk);
    assert!(on_disk.starts_with("# Verification Report\n"));
    assert_eq!(ok(&t, "report_read")["text"], report["text"]);

    // Bad arguments: tool errors that name the problem.
    assert!(tool_error(&t, "bad_type").contains("invalid arguments for check"));
    assert!(tool_error(&t, "bad_field").contains("unknown field `verbose`"));
    assert!(tool_error(&t, "missing_field").contains("missing field `path`"));
    assert!(
        tool_error(&t, "unknown_code").starts_with("unknown code `no-such-code`; the codes are: ")
    );
    assert!(tool_error(&t, "two_kinds").contains("exactly one of path, env or payload"));
    assert!(tool_error(&t, "bad_lines").contains("is not a list of line ranges"));
    // Paths outside the workspace are refused, however they leave it.
    for label in ["dotdot", "absolute", "symlink_out", "resolve_out"] {
        let e = tool_error(&t, label);
        assert!(e.contains("is outside the workspace"), "{label}: {e}");
    }
    assert!(!log.contains("secret.ts"), "{log}");
    assert_eq!(t["calls"]["unknown_tool"]["protocol_error"]["code"], -32602);

    // The resources: the log as it is on disk, the report, and an error
    // for anything else.
    assert_eq!(
        t["resources"]["tagls://log"]["texts"][0].as_str().unwrap(),
        log
    );
    assert_eq!(
        t["resources"]["tagls://report"]["texts"][0]
            .as_str()
            .unwrap(),
        on_disk
    );
    assert_eq!(
        t["resources"]["tagls://log"]["mime_types"][0],
        "text/markdown"
    );
    assert!(t["resources"]["tagls://nothing"]["protocol_error"].is_object());
    let listed: Vec<&str> = t["resource_list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["uri"].as_str().unwrap())
        .collect();
    assert_eq!(listed, ["tagls://log", "tagls://report"]);

    // No answer carries the secret value.
    assert!(!t.to_string().contains(SECRET), "a secret left through MCP");
    // The server stayed up through every bad call: the calls after them
    // were answered (the resources were read last).
    assert!(t["resources"]["tagls://report"]["texts"].is_array());
}

/// Without any SDK: a line that is not JSON, arguments of the wrong type
/// and an unknown tool each get an answer or are passed over, and the server
/// answers the next request; the session ends when stdin closes.
#[test]
fn bad_input_never_ends_the_session() {
    use std::io::{BufRead, BufReader};

    let dir = tempfile::tempdir().unwrap();
    copy_dir(&repo().join("examples/demo"), dir.path());
    let mut child = Command::new(bin())
        .arg("mcp")
        .current_dir(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut send = |v: &str| {
        stdin.write_all(v.as_bytes()).unwrap();
        stdin.write_all(b"\n").unwrap();
        stdin.flush().unwrap();
    };
    // The answer to request `id`, skipping anything else.
    let mut answer = |id: u64| -> Value {
        loop {
            let line = lines.next().expect("the server ended the session").unwrap();
            let v: Value = serde_json::from_str(&line).unwrap();
            if v["id"] == json!(id) {
                return v;
            }
        }
    };
    send("this is not JSON {");
    send(
        r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}"#,
    );
    let init = answer(1);
    assert_eq!(init["result"]["serverInfo"]["name"], "tagls", "{init}");
    send(r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#);
    send(
        r#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"explain","arguments":{"code":7}}}"#,
    );
    let bad = answer(2);
    assert_eq!(bad["result"]["isError"], json!(true), "{bad}");
    assert!(
        bad["result"]["content"][0]["text"]
            .as_str()
            .unwrap()
            .starts_with("invalid arguments for explain: invalid type: integer `7`"),
        "{bad}"
    );
    send(
        r#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"rm -rf","arguments":{}}}"#,
    );
    assert_eq!(answer(3)["error"]["code"], json!(-32602));
    send(
        r#"{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"check","arguments":{}}}"#,
    );
    let check = answer(4);
    assert_eq!(
        check["result"]["structuredContent"]["verdict"], "BLOCKED",
        "{check}"
    );
    drop(stdin);
    assert!(child.wait().unwrap().success());
}

#[test]
fn a_root_that_cannot_be_used_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(bin())
        .args(["mcp", "--root"])
        .arg(dir.path().join("no-such-folder"))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no-such-folder: no such file or directory"),
        "{err}"
    );
}
