//! The phase state of the method's newer form
//! (`.claude/orchestration/phase_state.json`), checked end to end: by
//! `tagls check` (text and JSON) and by the server with the file open
//! (diagnostics pushed and updated as it is typed, hover, go-to-definition
//! both ways), and the two agree (crate::differential::agree).
//!
//! The fixture (tests/fixtures/phase-task) is a task as the newer form's
//! agents leave it: TypeScript and Python with `#COMPLETION_DRIVE:` tags, a
//! phase state with an open event, a resolved one, one whose tag is gone
//! from its file, a modified file that does not exist, an assumption no
//! event records, a gate that says CAUTION, a design gate that passes
//! without evidence and one whose evidence is a real PNG and a missing file.

use crate::differential::{agree, copy_dir};
use crate::support::{self, ClientOptions, TestClient, file_uri, write};

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{Value, json};

const PHASE: &str = ".claude/orchestration/phase_state.json";

fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_tagls"))
}

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/phase-task")
}

/// The fixture, copied where a test may change it.
fn task() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("task");
    std::fs::create_dir_all(&root).unwrap();
    copy_dir(&fixture(), &root);
    (tmp, root)
}

fn check(root: &Path, args: &[&str]) -> Output {
    let cache = root.parent().unwrap().join("cache");
    Command::new(bin())
        .arg("check")
        .args(args)
        .arg(root)
        .env("TAGLS_CACHE_DIR", &cache)
        .env("XDG_CONFIG_HOME", root.parent().unwrap().join("config"))
        .output()
        .unwrap()
}

fn check_json(root: &Path) -> Value {
    let out = check(root, &["--format", "json"]);
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// Where `needle` (the `nth` occurrence, from 0) is in `text`: zero-based
/// line, and start and end columns in UTF-16 units and in characters.
struct At {
    line: u64,
    utf16: (u64, u64),
    chars: (u64, u64),
}

fn at(text: &str, needle: &str, nth: usize) -> At {
    let start = text
        .match_indices(needle)
        .nth(nth)
        .unwrap_or_else(|| panic!("{needle} #{nth} not in the text"))
        .0;
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let before = &text[line_start..start];
    let count16 = |s: &str| s.encode_utf16().count() as u64;
    let count32 = |s: &str| s.chars().count() as u64;
    At {
        line: text[..start].matches('\n').count() as u64,
        utf16: (count16(before), count16(before) + count16(needle)),
        chars: (count32(before), count32(before) + count32(needle)),
    }
}

/// The phase state's findings in `tagls check --format json`, as (code,
/// zero-based line, start and end column in characters).
fn phase_findings(report: &Value) -> Vec<(String, u64, u64, u64)> {
    let mut out: Vec<_> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["path"] == PHASE)
        .map(|f| {
            assert_eq!(f["line"], f["end_line"], "{f}");
            (
                f["code"].as_str().unwrap().to_owned(),
                f["line"].as_u64().unwrap() - 1,
                f["column"].as_u64().unwrap() - 1,
                f["end_column"].as_u64().unwrap() - 1,
            )
        })
        .collect();
    out.sort();
    out
}

/// What the fixture's phase state must report, each finding on the value
/// it is about: (code, the value's text, which occurrence of it).
const EXPECTED: [(&str, &str, usize); 6] = [
    // The event whose tag is gone: on its tag (after an emoji).
    ("stale-event", "\"#COMPLETION_DRIVE\"", 3),
    ("missing-modified-file", "\"src/removed.ts\"", 0),
    ("gate-caution", "\"CAUTION\"", 0),
    // design_qa: PASS without evidence.
    ("missing-evidence", "\"PASS\"", 0),
    (
        "bad-evidence",
        "\".claude/orchestration/evidence/before.png\"",
        0,
    ),
    // The assumption no event records: on the last phase.
    ("unrecorded-assumption", "\"implementation_pass1\"", 0),
];

/// [`EXPECTED`] as (code, zero-based line, start and end in characters).
fn expected(text: &str) -> Vec<(String, u64, u64, u64)> {
    let mut out: Vec<_> = EXPECTED
        .iter()
        .map(|(code, needle, nth)| {
            let a = at(text, needle, *nth);
            (code.to_string(), a.line, a.chars.0, a.chars.1)
        })
        .collect();
    out.sort();
    out
}

#[test]
fn check_reports_the_phase_state_on_its_values_and_decides_the_verdict() {
    let (_tmp, root) = task();
    let text = std::fs::read_to_string(root.join(PHASE)).unwrap();
    let report = check_json(&root);
    assert_eq!(report["verdict"], "BLOCKED", "{report}");
    let reason = report["reason"].as_str().unwrap();
    for what in [
        "PASS decision(s) without evidence",
        "missing or invalid evidence file(s)",
        "phase event(s) whose tag is gone",
        "missing modified file(s) in the phase state",
    ] {
        assert!(reason.contains(what), "{reason}");
    }
    assert_eq!(phase_findings(&report), expected(&text));
    // The open event whose tag is still there, the resolved one, the real
    // PNG and the files that exist report nothing.
    let messages: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["path"] == PHASE)
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert!(
        !messages
            .iter()
            .any(|m| m.contains("after.png") || m.contains("VAT") || m.contains("payments")),
        "{messages:?}"
    );
    let unrecorded = messages
        .iter()
        .find(|m| m.contains("recorded by no ra_events entry"))
        .unwrap();
    assert!(
        unrecorded.contains("src/cart.ts:17") && unrecorded.contains("discounts apply before tax"),
        "{unrecorded}"
    );

    // The text report shows the same places, one-based.
    let out = check(&root, &[]);
    assert_eq!(out.status.code(), Some(1), "BLOCKED exits with 1");
    let shown = String::from_utf8_lossy(&out.stdout);
    // A workspace with `.claude/orchestration/` speaks the newer form's
    // verdict words.
    assert!(shown.starts_with("verdict: FAIL"), "{shown}");
    for (code, line, col, _) in expected(&text) {
        let want = format!("{}:{}: ", line + 1, col + 1);
        assert!(
            shown
                .lines()
                .any(|l| l.trim_start().starts_with(&want) && l.contains(&format!("[{code}]"))),
            "{want} [{code}] not in\n{shown}"
        );
    }
}

/// A workspace with no code: only its phase state decides.
fn gates_only(decision: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("ws");
    write(&root, "README.md", "# a task\n");
    write(
        &root,
        PHASE,
        &format!(
            "{{\n  \"gates\": {{\n    \"code_review\": {{ \"gate_decision\": \"{decision}\" }}\n  }}\n}}\n"
        ),
    );
    (tmp, root)
}

#[test]
fn fail_blocks_caution_is_conditional_and_other_decisions_are_errors() {
    for (decision, verdict, code) in [
        ("PASS", "PASSED", None),
        ("CAUTION", "CONDITIONAL", Some("gate-caution")),
        ("FAIL", "BLOCKED", Some("gate-failed")),
        ("pass", "BLOCKED", Some("bad-gate-decision")),
        ("LGTM", "BLOCKED", Some("bad-gate-decision")),
    ] {
        let (_tmp, root) = gates_only(decision);
        let report = check_json(&root);
        assert_eq!(report["verdict"], verdict, "{decision}: {report}");
        let text = std::fs::read_to_string(root.join(PHASE)).unwrap();
        let want: Vec<_> = code
            .map(|c| {
                let a = at(&text, &format!("\"{decision}\""), 0);
                (c.to_owned(), a.line, a.chars.0, a.chars.1)
            })
            .into_iter()
            .collect();
        assert_eq!(phase_findings(&report), want, "{decision}");
    }
}

#[test]
fn which_gates_need_evidence_is_configurable() {
    let (_tmp, root) = gates_only("PASS");
    // By default only a design gate needs evidence.
    assert_eq!(check_json(&root)["verdict"], "PASSED");
    write(&root, ".tagls.toml", "evidence-gates = [\"review\"]\n");
    let report = check_json(&root);
    assert_eq!(report["verdict"], "BLOCKED", "{report}");
    assert_eq!(phase_findings(&report)[0].0, "missing-evidence");
}

/// Broken JSON is one error at the bad place, and the rest of the
/// workspace is still checked.
#[test]
fn malformed_json_is_one_error_at_its_place() {
    let (_tmp, root) = task();
    let text = std::fs::read_to_string(root.join(PHASE)).unwrap();
    // A trailing comma after the last gate.
    let broken = text.replacen("before.png\"] }\n", "before.png\"] },\n", 1);
    assert_ne!(broken, text);
    write(&root, PHASE, &broken);
    let report = check_json(&root);
    let found = phase_findings(&report);
    let comma = at(&broken, "] },\n  }", 0);
    assert_eq!(
        found,
        [(
            "bad-phase-state".to_owned(),
            comma.line,
            comma.chars.0 + 3,
            comma.chars.0 + 4
        )]
    );
    let message = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == PHASE)
        .unwrap()["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        message.contains(&format!("line {}", comma.line + 1)) && message.contains("comma"),
        "{message}"
    );
    assert_eq!(report["verdict"], "BLOCKED");
    // The code is still checked.
    assert!(
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["path"] == "src/cart.ts"),
        "{report}"
    );

    // A phase state of the wrong shape: one error on the bad value.
    write(
        &root,
        PHASE,
        "{ \"impl\": { \"ra_events\": { \"tag\": \"#COMPLETION_DRIVE\" } } }\n",
    );
    let report = check_json(&root);
    let text = std::fs::read_to_string(root.join(PHASE)).unwrap();
    let a = at(&text, "{ \"tag\"", 0);
    let found = phase_findings(&report);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(
        (found[0].0.as_str(), found[0].1, found[0].2),
        ("bad-phase-state", a.line, a.chars.0)
    );
}

/// Paths that leave the workspace are findings, and nothing outside it is
/// read: not by `..`, not by an absolute path, not through a symlink.
#[test]
fn hostile_evidence_paths_are_findings_never_read() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("ws");
    // A real image outside the workspace: if it were read, it would pass.
    let outside = tmp.path().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::copy(
        fixture().join(".claude/orchestration/evidence/after.png"),
        outside.join("secret.png"),
    )
    .unwrap();
    write(&root, ".claude/orchestration/evidence/empty.png", "");
    write(
        &root,
        ".claude/orchestration/evidence/renamed.png",
        "not an image\n",
    );
    std::fs::create_dir_all(root.join(".claude/orchestration/evidence")).unwrap();
    std::os::unix::fs::symlink(
        outside.join("secret.png"),
        root.join(".claude/orchestration/evidence/link.png"),
    )
    .unwrap();
    let absolute = outside.join("secret.png").display().to_string();
    let paths = [
        "../outside/secret.png".to_owned(),
        absolute.clone(),
        ".claude/orchestration/evidence/link.png".to_owned(),
        ".claude/orchestration/evidence/empty.png".to_owned(),
        ".claude/orchestration/evidence/renamed.png".to_owned(),
    ];
    let list = paths
        .iter()
        .map(|p| format!("\"{p}\""))
        .collect::<Vec<_>>()
        .join(", ");
    write(
        &root,
        PHASE,
        &format!(
            "{{\n  \"impl\": {{ \"files_modified\": [\"../../etc/passwd\"] }},\n  \"gates\": {{\n    \"design_qa\": {{ \"gate_decision\": \"PASS\", \"evidence_paths\": [{list}] }}\n  }}\n}}\n"
        ),
    );
    let report = check_json(&root);
    assert_eq!(report["verdict"], "BLOCKED", "{report}");
    let text = std::fs::read_to_string(root.join(PHASE)).unwrap();
    let mut want: Vec<_> = paths
        .iter()
        .map(|p| {
            let a = at(&text, &format!("\"{p}\""), 0);
            ("bad-evidence".to_owned(), a.line, a.chars.0, a.chars.1)
        })
        .collect();
    let a = at(&text, "\"../../etc/passwd\"", 0);
    want.push((
        "missing-modified-file".to_owned(),
        a.line,
        a.chars.0,
        a.chars.1,
    ));
    want.sort();
    assert_eq!(phase_findings(&report), want);
    let messages: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["message"].as_str().unwrap().to_owned())
        .collect();
    let about = |p: &str| {
        messages
            .iter()
            .find(|m| m.contains(&format!(": {p} ")))
            .unwrap_or_else(|| panic!("{p} not in {messages:?}"))
            .clone()
    };
    for p in [
        "../outside/secret.png",
        absolute.as_str(),
        ".claude/orchestration/evidence/link.png",
        "../../etc/passwd",
    ] {
        assert!(about(p).contains("outside the workspace"), "{}", about(p));
    }
    assert!(about(".claude/orchestration/evidence/empty.png").contains("is empty"));
    assert!(about(".claude/orchestration/evidence/renamed.png").contains("is not an image"));
}

fn position(a: &At) -> Value {
    json!({ "line": a.line, "character": a.utf16.0 })
}

fn range(a: &At) -> Value {
    json!({
        "start": { "line": a.line, "character": a.utf16.0 },
        "end": { "line": a.line, "character": a.utf16.1 },
    })
}

/// The diagnostics published for the phase state, as (code, range).
fn diagnostics(params: &Value) -> Vec<(String, Value)> {
    let mut out: Vec<(String, Value)> = params["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["code"].as_str().unwrap().to_owned(), d["range"].clone()))
        .collect();
    out.sort_by_key(|(c, r)| (c.clone(), r.to_string()));
    out
}

/// [`EXPECTED`] but `without`, as (code, LSP range in UTF-16).
fn expected_diagnostics(text: &str, without: &str) -> Vec<(String, Value)> {
    let mut out: Vec<(String, Value)> = EXPECTED
        .iter()
        .filter(|(code, ..)| *code != without)
        .map(|(code, needle, nth)| (code.to_string(), range(&at(text, needle, *nth))))
        .collect();
    out.sort_by_key(|(c, r)| (c.clone(), r.to_string()));
    out
}

async fn server(root: &Path) -> TestClient {
    let mut cmd = tokio::process::Command::new(bin());
    cmd.arg("--stdio")
        .stderr(std::process::Stdio::inherit())
        .env("TAGLS_CACHE_DIR", root.parent().unwrap().join("cache"))
        .env("XDG_CONFIG_HOME", root.parent().unwrap().join("config"));
    support::start_command(
        cmd,
        ClientOptions {
            encodings: Some(vec!["utf-16"]),
            folders: vec![root.to_path_buf()],
            ..ClientOptions::default()
        },
    )
    .await
}

/// The server on `root`, with the root's phase state open: the client, the
/// state's URI and its text.
async fn open_phase_state(root: &Path) -> (TestClient, String, String) {
    let path = root.join(PHASE);
    let text = std::fs::read_to_string(&path).unwrap();
    let uri = file_uri(&path);
    let mut c = server(root).await;
    c.open(&uri, "json", &text).await;
    (c, uri, text)
}

fn hover_text(h: &Value) -> String {
    h["contents"]["value"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn the_open_phase_state_is_checked_live_with_hover_and_definition_both_ways() {
    let (_tmp, root) = task();
    let (mut c, uri, text) = open_phase_state(&root).await;
    // Pushed with exact ranges, in UTF-16 (an emoji and 日本語 come before
    // some of them); the unrecorded assumption once the root's code is known.
    let want = expected_diagnostics(&text, "");
    let got = c
        .diagnostics_where(&uri, |p| diagnostics(p).len() == want.len())
        .await;
    assert_eq!(diagnostics(&got), want);

    // Hover on the open event: the tag's family and meaning, and where it
    // is in code.
    let event = at(&text, "\"#COMPLETION_DRIVE\"", 0);
    let h = c
        .request(
            "textDocument/hover",
            json!({ "textDocument": { "uri": uri }, "position": position(&event) }),
        )
        .await;
    let shown = hover_text(&h);
    assert!(
        shown.contains("#COMPLETION_DRIVE")
            && shown.contains("assumption family")
            && shown.contains("open")
            && shown.contains("src/cart.ts")
            && shown.contains("line 7"),
        "{shown}"
    );
    // On an evidence path: what was checked.
    let png = at(&text, "after.png", 0);
    let h = c
        .request(
            "textDocument/hover",
            json!({ "textDocument": { "uri": uri }, "position": position(&png) }),
        )
        .await;
    let shown = hover_text(&h);
    assert!(shown.contains("PNG, 1×1"), "{shown}");

    // Definition: the event leads to its tag in code, exactly.
    let cart = root.join("src/cart.ts");
    let cart_text = std::fs::read_to_string(&cart).unwrap();
    let tag = at(
        &cart_text,
        "#COMPLETION_DRIVE: Assuming prices include VAT (€, 日本語 shop)",
        0,
    );
    let d = c
        .request(
            "textDocument/definition",
            json!({ "textDocument": { "uri": uri }, "position": position(&event) }),
        )
        .await;
    assert_eq!(
        d,
        json!([{ "uri": file_uri(&cart), "range": range(&tag) }]),
        "{d}"
    );
    // The evidence path leads to the file.
    let d = c
        .request(
            "textDocument/definition",
            json!({ "textDocument": { "uri": uri }, "position": position(&png) }),
        )
        .await;
    assert_eq!(
        d[0]["uri"],
        file_uri(&root.join(".claude/orchestration/evidence/after.png")),
        "{d}"
    );
    // And from the tag in code to its event in the phase state.
    let cart_uri = file_uri(&cart);
    c.open(&cart_uri, "typescript", &cart_text).await;
    let event_line = at(&text, "{ \"tag\": \"#COMPLETION_DRIVE\"", 0);
    let event_end = at(&text, "\"resolved\": false }", 0);
    let d = c
        .request(
            "textDocument/definition",
            json!({ "textDocument": { "uri": cart_uri }, "position": position(&tag) }),
        )
        .await;
    let to_phase: Vec<&Value> = d
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["uri"] == uri.as_str())
        .collect();
    assert_eq!(
        to_phase,
        [&json!({ "uri": uri, "range": {
            "start": { "line": event_line.line, "character": event_line.utf16.0 },
            "end": { "line": event_end.line, "character": event_end.utf16.1 },
        } })],
        "{d}"
    );

    // Live: the gate that said CAUTION says PASS in the editor, unsaved,
    // and its finding goes while the others stay where they are.
    let edited = text.replacen("\"CAUTION\"", "\"PASS\"", 1);
    c.notify(
        "textDocument/didChange",
        json!({
            "textDocument": { "uri": uri, "version": 2 },
            "contentChanges": [ { "text": edited } ],
        }),
    )
    .await;
    let want = expected_diagnostics(&text, "gate-caution");
    let got = c
        .diagnostics_where(&uri, |p| {
            p["version"] == 2 && !diagnostics(p).iter().any(|(c, _)| c == "gate-caution")
        })
        .await;
    assert_eq!(diagnostics(&got), want);
    c.finish().await;
}

#[tokio::test]
async fn a_malformed_open_phase_state_is_one_diagnostic_at_the_bad_place() {
    let (_tmp, root) = task();
    let path = root.join(PHASE);
    let uri = file_uri(&path);
    let text = "{\n  \"impl\": { \"ra_events\": [ { \"tag\": \"#COMPLETION_DRIVE\" ] }\n}\n";
    let mut c = server(&root).await;
    c.open(&uri, "json", text).await;
    let got = c.diagnostics(&uri).await;
    let list = got["diagnostics"].as_array().unwrap();
    assert_eq!(list.len(), 1, "{got}");
    assert_eq!(list[0]["code"], "bad-phase-state");
    assert_eq!(list[0]["severity"], 1);
    let bad = at(text, "]", 0);
    assert_eq!(list[0]["range"]["start"], position(&bad), "{got}");
    // The code files are still checked.
    let cart = root.join("src/cart.ts");
    let cart_uri = file_uri(&cart);
    c.open(
        &cart_uri,
        "typescript",
        &std::fs::read_to_string(&cart).unwrap(),
    )
    .await;
    let got = c.diagnostics(&cart_uri).await;
    assert!(!got["diagnostics"].as_array().unwrap().is_empty(), "{got}");
    c.finish().await;
}

/// One engine: the diagnostics pushed for the open phase state are the
/// findings `tagls check --format json` reports for it.
#[tokio::test]
async fn the_editor_and_the_check_agree_on_the_phase_state() {
    let (_tmp, root) = task();
    let found = agree(std::slice::from_ref(&root)).await;
    let phase_uri = file_uri(&root.join(PHASE));
    let codes: Vec<&str> = found
        .iter()
        .filter(|k| k.0 == phase_uri)
        .map(|k| k.2.as_str())
        .collect();
    let text = std::fs::read_to_string(root.join(PHASE)).unwrap();
    assert_eq!(codes.len(), expected(&text).len(), "{found:?}");
}

/// The open phase state follows the disk: a tag removed from its file makes
/// the event that records it stale, with no edit of the phase state.
#[tokio::test]
async fn the_open_phase_state_follows_the_code_on_disk() {
    let (_tmp, root) = task();
    let (mut c, uri, text) = open_phase_state(&root).await;
    let want = expected_diagnostics(&text, "");
    c.diagnostics_where(&uri, |p| diagnostics(p).len() == want.len())
        .await;
    let cart = root.join("src/cart.ts");
    let code = std::fs::read_to_string(&cart).unwrap();
    let without = code.replacen(
        "// #COMPLETION_DRIVE: Assuming prices include VAT (€, 日本語 shop)\n",
        "",
        1,
    );
    assert_ne!(without, code);
    write(&root, "src/cart.ts", &without);
    let stale = |p: &Value| {
        diagnostics(p)
            .into_iter()
            .filter(|(code, _)| code == "stale-event")
            .map(|(_, r)| r)
            .collect::<Vec<_>>()
    };
    let got = c.diagnostics_where(&uri, |p| stale(p).len() == 2).await;
    let first = range(&at(&text, "\"#COMPLETION_DRIVE\"", 0));
    assert!(stale(&got).contains(&first), "{got}");
    c.finish().await;
}

/// The newer form's own example: an assumption recorded as an event of the
/// phase state only, about a Swift file whose code holds no tag. Only the
/// event says the assumption is open, and `ra_status` says so; once the event
/// is resolved, the assumptions are settled. The same assumption written as a
/// tag in the Swift file is open in the code itself, whatever the event says.
#[test]
fn open_events_make_the_ra_status_unresolved() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("ws");
    let code = "let style = UIImpactFeedbackGenerator.FeedbackStyle.medium\n";
    write(&root, "src/SaveButton.swift", code);
    let state = |resolved: bool| {
        format!(
            "{{\n  \"implementation_pass1\": {{\n    \"files_modified\": [\"src/SaveButton.swift\"],\n    \"ra_events\": [\n      {{ \"tag\": \"#COMPLETION_DRIVE\", \"message\": \"Assuming haptic should be .medium intensity\", \"file\": \"src/SaveButton.swift\", \"resolved\": {resolved} }}\n    ]\n  }}\n}}\n"
        )
    };
    write(&root, PHASE, &state(false));
    let report = check_json(&root);
    assert_eq!(report["ra_status"], "present_unresolved", "{report}");
    write(&root, PHASE, &state(true));
    let report = check_json(&root);
    assert_eq!(report["ra_status"], "present_resolved", "{report}");
    write(
        &root,
        "src/SaveButton.swift",
        &format!("// #COMPLETION_DRIVE: Assuming haptic should be .medium intensity\n{code}"),
    );
    let report = check_json(&root);
    assert_eq!(report["ra_status"], "present_unresolved", "{report}");
    std::fs::remove_file(root.join(PHASE)).unwrap();
    std::fs::write(root.join("src/SaveButton.swift"), code).unwrap();
    assert_eq!(check_json(&root)["ra_status"], "none");
}
