//! Due dates on tags, through the built binary: `tagls check --format json`
//! and the server over stdio (pulled and pushed diagnostics, hover,
//! semantic tokens, completion) on a workspace with a date long past, one
//! far ahead and one that is no date.
//!
//! "Today" is read from the clock around each request, never written into
//! a test: a result that depends on the day is accepted for the day before
//! the request or the day after it, so that a run across midnight (UTC)
//! passes too.

use crate::support;

use std::path::{Path, PathBuf};
use std::process::Command;

use jiff::civil::{Date, date};
use serde_json::{Value, json};
use support::{ClientOptions, TestClient, file_uri, start_binary, write};

fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_tagls"))
}

/// Today in UTC, from the system clock.
fn today() -> Date {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    date(1970, 1, 1)
        .checked_add(jiff::Span::new().days((secs / 86_400) as i64))
        .unwrap()
}

/// The days from `a` to `b`.
fn days(a: Date, b: Date) -> i64 {
    i64::from(a.until(b).unwrap().get_days())
}

const APP: &str =
    "// 日本語 #COMPLETION_DRIVE[2001-01-01]: Assuming src/app.ts stays the entry point
// #PATH_DECISION[2999-12-31]: one module until src/app.ts grows
// #COMPLETION_DRIVE[2026-13-45]: Assuming src/app.ts is small
export {}
";

const LOG: &str = "# Implementation Log

## Files Created
#FILE_CREATED: src/app.ts (4 lines)
";

fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "src/app.ts", APP);
    write(dir.path(), ".orchestration/implementation-log.md", LOG);
    dir
}

/// Where `needle` is in `text`: zero-based line, and the columns of its
/// start and end in characters (as `tagls check` counts them, and UTF-16
/// here, since the text before it is in the Basic Multilingual Plane).
fn place(text: &str, needle: &str) -> (u64, u64, u64) {
    let at = text.find(needle).unwrap();
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let line = text[..at].matches('\n').count() as u64;
    let col = text[line_start..at].chars().count() as u64;
    (line, col, col + needle.chars().count() as u64)
}

/// The message of the overdue finding on `2001-01-01`, for each day the
/// request may have been answered on.
fn overdue_messages(before: Date, after: Date) -> Vec<String> {
    [before, after]
        .iter()
        .map(|d| {
            format!(
                "#COMPLETION_DRIVE was due on 2001-01-01: {} days past due",
                days(date(2001, 1, 1), *d)
            )
        })
        .collect()
}

const BAD: &str = "2026-13-45 is not a due date: there is no such day (YYYY-MM-DD)";

#[test]
fn check_reports_overdue_and_malformed_dates_and_the_verdict_stands() {
    let ws = workspace();
    let cache = tempfile::tempdir().unwrap();
    let run = || {
        let before = today();
        let out = Command::new(bin())
            .args(["check", "--format", "json"])
            .arg(ws.path())
            .env("TAGLS_CACHE_DIR", cache.path())
            .output()
            .unwrap();
        (before, out, today())
    };
    // Twice: the second run reads the scan cache, and a date's finding is
    // made again, never served stale from it.
    for round in 0..2 {
        let (before, out, after) = run();
        // Warnings about dates do not change the verdict: the tags name a
        // file that exists and the claim holds.
        assert_eq!(
            out.status.code(),
            Some(0),
            "round {round}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(report["verdict"], "PASSED", "{report:#}");
        let dated: Vec<&Value> = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["code"] == "overdue" || f["code"] == "bad-due-date")
            .collect();
        assert_eq!(dated.len(), 2, "round {round}: {dated:#?}");
        let (line, col, end) = place(APP, "2001-01-01");
        let overdue = dated[0];
        assert_eq!(overdue["code"], "overdue");
        assert_eq!(overdue["severity"], "warning");
        assert_eq!(overdue["gate"], Value::Null);
        assert_eq!(overdue["tag"], "COMPLETION_DRIVE");
        assert_eq!(overdue["path"], "src/app.ts");
        assert_eq!(
            [
                &overdue["line"],
                &overdue["column"],
                &overdue["end_line"],
                &overdue["end_column"]
            ],
            [
                &json!(line + 1),
                &json!(col + 1),
                &json!(line + 1),
                &json!(end + 1)
            ]
        );
        let message = overdue["message"].as_str().unwrap().to_owned();
        assert!(
            overdue_messages(before, after).contains(&message),
            "{message}"
        );
        let (line, col, end) = place(APP, "2026-13-45");
        let bad = dated[1];
        assert_eq!(bad["code"], "bad-due-date");
        assert_eq!(bad["severity"], "warning");
        assert_eq!(bad["gate"], Value::Null);
        assert_eq!(bad["message"], BAD);
        assert_eq!(
            [&bad["line"], &bad["column"], &bad["end_column"]],
            [&json!(line + 1), &json!(col + 1), &json!(end + 1)]
        );
        // Dated tags are tags as any other, counted once each, and the date
        // is not in their payload.
        assert_eq!(
            report["summary"]["families"],
            json!({ "assumption": 2, "decision": 1, "claim": 1 })
        );
        let own: Vec<&str> = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["code"] == "assumption")
            .map(|f| f["message"].as_str().unwrap())
            .collect();
        assert_eq!(
            own,
            [
                "Assumption: Assuming src/app.ts stays the entry point",
                "Assumption: Assuming src/app.ts is small"
            ]
        );
    }
}

async fn client(root: &Path) -> TestClient {
    start_binary(
        &bin(),
        ClientOptions {
            root: Some(root.to_path_buf()),
            ..ClientOptions::default()
        },
    )
    .await
}

/// The diagnostics of one code among `all`, as (range, severity, message).
fn of_code(all: &Value, code: &str) -> Vec<(Value, Value, String)> {
    all.as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == code)
        .map(|d| {
            (
                d["range"].clone(),
                d["severity"].clone(),
                d["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn range_of(needle: &str) -> Value {
    let (line, col, end) = place(APP, needle);
    json!({ "start": { "line": line, "character": col }, "end": { "line": line, "character": end } })
}

#[tokio::test]
async fn the_server_pulls_and_pushes_the_same_date_findings() {
    let ws = workspace();
    let root = ws.path();
    let uri = file_uri(&root.join("src/app.ts"));
    let mut c = client(root).await;
    let expect = |all: &Value, before: Date, after: Date| {
        let overdue = of_code(all, "overdue");
        assert_eq!(overdue.len(), 1, "{all:#}");
        assert_eq!(overdue[0].0, range_of("2001-01-01"));
        assert_eq!(overdue[0].1, json!(2));
        assert!(
            overdue_messages(before, after).contains(&overdue[0].2),
            "{}",
            overdue[0].2
        );
        assert_eq!(
            of_code(all, "bad-due-date"),
            [(range_of("2026-13-45"), json!(2), BAD.to_owned())]
        );
    };
    // Nothing open: the workspace's diagnostics hold both, as warnings need
    // attention.
    let before = today();
    let report = c
        .request(
            "workspace/diagnostic",
            json!({ "identifier": null, "previousResultIds": [] }),
        )
        .await;
    let after = today();
    let items = report["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["uri"] == uri.as_str())
        .unwrap_or_else(|| panic!("no report for {uri}: {report:#}"));
    expect(&items["items"], before, after);
    // Open: pushed, the same.
    let before = today();
    c.open(&uri, "typescript", APP).await;
    let pushed = c
        .diagnostics_where(&uri, |p| {
            p["diagnostics"]
                .as_array()
                .is_some_and(|d| d.iter().any(|d| d["code"] == "overdue"))
        })
        .await;
    let after = today();
    expect(&pushed["diagnostics"], before, after);
    // The tags' own findings sit on their heads, the date included.
    let own = of_code(&pushed["diagnostics"], "assumption");
    assert_eq!(own[0].0, range_of("#COMPLETION_DRIVE[2001-01-01]:"));
    c.finish().await;
}

async fn hover(c: &mut TestClient, uri: &str, needle: &str) -> String {
    let (line, col, _) = place(APP, needle);
    let h = c
        .request(
            "textDocument/hover",
            json!({ "textDocument": { "uri": uri }, "position": { "line": line, "character": col + 1 } }),
        )
        .await;
    h["contents"]["value"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn hover_highlighting_and_completion_know_the_date() {
    let ws = workspace();
    let root = ws.path();
    let uri = file_uri(&root.join("src/app.ts"));
    let mut c = client(root).await;
    c.open(&uri, "typescript", APP).await;
    c.diagnostics(&uri).await;

    let before = today();
    let ahead = hover(&mut c, &uri, "#PATH_DECISION").await;
    let past = hover(&mut c, &uri, "#COMPLETION_DRIVE[2001").await;
    let after = today();
    let far = date(2999, 12, 31);
    assert!(
        [before, after].iter().any(|d| ahead.ends_with(&format!(
            "Due **2999-12-31**: due in {} days.",
            days(*d, far)
        ))),
        "{ahead}"
    );
    assert!(
        [before, after].iter().any(|d| past.ends_with(&format!(
            "Due **2001-01-01**: {} days overdue.",
            days(date(2001, 1, 1), *d)
        ))),
        "{past}"
    );
    let bad = hover(&mut c, &uri, "#COMPLETION_DRIVE[2026").await;
    assert!(bad.ends_with(&format!("No due date: {BAD}.")), "{bad}");

    // The date, brackets included, is one token of the legend's `tagField`
    // type, between the tag's name and its colon.
    let legend =
        &c.initialize_result["capabilities"]["semanticTokensProvider"]["legend"]["tokenTypes"];
    let index = |name: &str| {
        legend
            .as_array()
            .unwrap()
            .iter()
            .position(|t| t == name)
            .unwrap() as u64
    };
    let (field, decision) = (index("tagField"), index("tagDecision"));
    let tokens = c
        .request(
            "textDocument/semanticTokens/full",
            json!({ "textDocument": { "uri": uri } }),
        )
        .await;
    let data: Vec<u64> = tokens["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    let (mut line, mut col) = (0, 0);
    let mut absolute = Vec::new();
    for t in data.chunks(5) {
        if t[0] > 0 {
            col = 0;
        }
        line += t[0];
        col += t[1];
        absolute.push((line, col, t[2], t[3]));
    }
    let on_decision: Vec<_> = absolute.iter().filter(|t| t.0 == 1).copied().collect();
    let (l, c0, _) = place(APP, "#PATH_DECISION");
    let (_, open, _) = place(APP, "[2999-12-31]");
    assert_eq!(
        on_decision,
        [
            (l, c0, open - c0, decision),
            (l, open, 12, field),
            (l, open + 12, 1, decision)
        ]
    );

    // After `#NAME[`, a date two weeks ahead, and the bracket closed.
    let new = file_uri(&root.join("src/new.ts"));
    c.open(&new, "typescript", "// #COMPLETION_DRIVE[\nexport {}\n")
        .await;
    c.diagnostics(&new).await;
    let before = today();
    let items = c
        .request(
            "textDocument/completion",
            json!({ "textDocument": { "uri": new }, "position": { "line": 0, "character": 21 } }),
        )
        .await;
    let after = today();
    let items = items.as_array().cloned().unwrap_or_default();
    assert_eq!(items.len(), 1, "{items:#?}");
    let offered = |d: &Date| {
        d.checked_add(jiff::Span::new().days(14))
            .unwrap()
            .to_string()
    };
    let label = items[0]["label"].as_str().unwrap();
    assert!(
        [before, after].iter().any(|d| offered(d) == label),
        "{label}"
    );
    assert_eq!(items[0]["textEdit"]["newText"], format!("{label}]: "));
    assert_eq!(
        items[0]["textEdit"]["range"],
        json!({ "start": { "line": 0, "character": 21 }, "end": { "line": 0, "character": 21 } })
    );
    c.finish().await;
}

/// The date checks are configured as every check is: off drops them, a
/// severity changes how they are shown, and an inline suppression silences
/// the line.
#[test]
fn the_date_checks_follow_the_configuration() {
    let ws = workspace();
    write(
        ws.path(),
        ".tagls.toml",
        "[checks]\noverdue = \"off\"\nbad-due-date = \"error\"\n",
    );
    let out = Command::new(bin())
        .args(["check", "--format", "json", "--no-cache"])
        .arg(ws.path())
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let dated: Vec<(&str, &str)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "overdue" || f["code"] == "bad-due-date")
        .map(|f| (f["code"].as_str().unwrap(), f["severity"].as_str().unwrap()))
        .collect();
    assert_eq!(dated, [("bad-due-date", "error")]);
    // A severity never changes the verdict.
    assert_eq!(report["verdict"], "PASSED");
    assert_eq!(out.status.code(), Some(0));
    write(
        ws.path(),
        "src/app.ts",
        &format!("// tagls: ignore-next-line\n{APP}"),
    );
    let out = Command::new(bin())
        .args(["check", "--format", "json", "--no-cache"])
        .arg(ws.path())
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let codes: Vec<(&str, u64)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["path"] == "src/app.ts")
        .map(|f| (f["code"].as_str().unwrap(), f["line"].as_u64().unwrap()))
        .collect();
    assert_eq!(
        codes,
        [("decision", 3), ("assumption", 4), ("bad-due-date", 4)]
    );
}
