//! The two dialects of the method, as their agents write them
//! (tests/fixtures/dialect-*): the newer form (`.claude/orchestration/`, its
//! log under `temp/`, `#Potential_Issue:` and the research tags, plans in
//! Markdown, verdicts PASS / CAUTION / FAIL) and the original kit's full
//! vocabulary (`#COMPLETION_DRIVE_IMPL:`, the `#`-less
//! `COMPLETION_DRIVE_SUGGESTION:`). Each is checked end to end through the
//! built binary, `tagls check` and the server alike, and the faces agree
//! (crate::differential::agree). A decoy corpus of mixed-case words that
//! are not tags gives none.

use crate::differential::{agree, copy_dir};
use crate::method::tagls;
use crate::support::{self, ClientOptions, file_uri};

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_tagls"))
}

/// A fresh copy of a fixture workspace.
fn workspace(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let from = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures")
        .join(name);
    copy_dir(&from, dir.path());
    dir
}

/// `tagls check --format json .`: the exit status and the report.
fn check_json(root: &Path) -> (i32, Value) {
    let (status, out) = tagls(root, &["check", "--format", "json", "."]);
    let report = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    (status, report)
}

/// The findings of a report as (path, line, code, tag, gate).
fn findings(report: &Value) -> Vec<(String, u64, String, String, Option<String>)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_owned(),
                f["line"].as_u64().unwrap(),
                f["code"].as_str().unwrap().to_owned(),
                f["tag"].as_str().unwrap_or_default().to_owned(),
                f["gate"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

fn has(report: &Value, path: &str, line: u64, code: &str, tag: &str) -> bool {
    findings(report)
        .iter()
        .any(|f| f.0 == path && f.1 == line && f.2 == code && f.3 == tag)
}

const PLAN: &str = ".claude/orchestration/plans/checkout-plan.md";
const OS2_LOG: &str = ".claude/orchestration/temp/implementation-log.md";

#[test]
fn the_newer_form_speaks_caution_for_an_ignored_poison_path() {
    let ws = workspace("dialect-os2");
    let root = ws.path();
    let (status, report) = check_json(root);
    assert_eq!(report["dialect"], "os2", "{report:#}");
    assert_eq!(report["verdict"], "CONDITIONAL");
    assert_eq!(report["verdict_word"], "CAUTION");
    assert_eq!(status, 3, "CAUTION exits as CONDITIONAL does");
    assert_eq!(report["ra_status"], "present_unresolved");
    // The only thing that holds the gate is the poison path, a warning in
    // this dialect.
    let gating: Vec<_> = findings(&report)
        .into_iter()
        .filter(|f| f.4.is_some())
        .collect();
    assert_eq!(
        gating,
        [(
            "src/checkout.ts".to_owned(),
            10,
            "pattern".to_owned(),
            "POISON_PATH".to_owned(),
            Some("CONDITIONAL".to_owned())
        )],
        "{report:#}"
    );
    let poison = &report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["tag"] == "POISON_PATH")
        .unwrap()["severity"];
    assert_eq!(poison, "warning");
    // The newer tags are known, in code and in the plan; the mixed-case one
    // as written.
    assert!(has(
        &report,
        "src/checkout.ts",
        6,
        "suggestion",
        "Potential_Issue"
    ));
    assert!(has(
        &report,
        "src/checkout.ts",
        12,
        "pattern",
        "TOKEN_VIOLATION"
    ));
    assert!(has(
        &report,
        "scripts/rates.py",
        3,
        "assumption",
        "LOW_EVIDENCE"
    ));
    assert!(has(&report, PLAN, 5, "decision", "PATH_DECISION"));
    assert!(has(&report, PLAN, 8, "suggestion", "Potential_Issue"));
    assert_eq!(report["summary"]["unknown_tags"], 0, "{report:#}");
    // The fenced and inline examples in the plan are not tags: nothing in
    // the plan past its prose, and nothing missing.
    assert!(
        findings(&report)
            .iter()
            .all(|f| !(f.0 == PLAN && f.1 > 8) && f.2 != "missing-path"),
        "{report:#}"
    );
    // The log at the newer path is the log: its claims hold, and nothing
    // says that it is missing.
    assert!(
        findings(&report).iter().all(|f| f.2 != "missing-log"),
        "{report:#}"
    );

    let (status, text) = tagls(root, &["check", "."]);
    assert_eq!(status, 3);
    assert!(text.starts_with("verdict: CAUTION ("), "{text}");
    assert!(text.contains("1 high-risk tag(s) to review"), "{text}");
    assert!(text.contains("\nra_status: present_unresolved\n"), "{text}");
    assert!(
        text.contains("warning[pattern] CAUTION: Pattern: the old checkout"),
        "{text}"
    );
}

#[test]
fn the_report_speaks_the_newer_form() {
    let ws = workspace("dialect-os2");
    let root = ws.path();
    let (status, out) = tagls(root, &["report", "."]);
    assert_eq!(status, 3, "{out}");
    assert!(
        out.starts_with(".orchestration/verification-report.md: CAUTION ("),
        "{out}"
    );
    let report =
        std::fs::read_to_string(root.join(".orchestration/verification-report.md")).unwrap();
    assert!(report.contains("- Verdict: **CAUTION**\n"), "{report}");
    assert!(
        report.contains("- RA status: `present_unresolved`\n"),
        "{report}"
    );
    assert!(report.contains("## Verdict\n\n**CAUTION**"), "{report}");
    // The report it wrote is not a plan: checking again finds the same.
    let (_, again) = check_json(root);
    assert!(
        findings(&again)
            .iter()
            .all(|f| !f.0.ends_with("verification-report.md")),
        "{again:#}"
    );
}

#[test]
fn the_newer_form_fails_on_a_false_claim_in_its_log() {
    let ws = workspace("dialect-os2");
    let root = ws.path();
    let log = root.join(OS2_LOG);
    let text = std::fs::read_to_string(&log).unwrap();
    std::fs::write(&log, text.replace("(15 lines)", "(40 lines)")).unwrap();
    let (status, report) = check_json(root);
    assert_eq!(status, 1);
    assert_eq!(report["verdict"], "BLOCKED");
    assert_eq!(report["verdict_word"], "FAIL");
    assert!(
        has(&report, OS2_LOG, 4, "false-claim", "FILE_CREATED"),
        "{report:#}"
    );
    let (_, text) = tagls(root, &["check", "."]);
    assert!(text.starts_with("verdict: FAIL ("), "{text}");
}

#[test]
fn the_dialect_named_in_the_configuration_wins() {
    let ws = workspace("dialect-os2");
    let root = ws.path();
    // In the original form a poison path is a hint that holds nothing, and
    // its log is elsewhere: named here.
    support::write(
        root,
        ".tagls.toml",
        &format!("dialect = \"original\"\nlog = \"{OS2_LOG}\"\n"),
    );
    let (status, report) = check_json(root);
    assert_eq!(report["dialect"], "original");
    assert_eq!(
        (status, report["verdict_word"].as_str()),
        (0, Some("PASSED")),
        "{report:#}"
    );
    assert_eq!(report["ra_status"], "present_resolved");
    assert!(has(
        &report,
        "src/checkout.ts",
        10,
        "pattern",
        "POISON_PATH"
    ));
    // A custom tag can be made one that a person must review, in any
    // dialect.
    support::write(
        root,
        ".tagls.toml",
        &format!(
            "dialect = \"original\"\nlog = \"{OS2_LOG}\"\n[tags.TOKEN_VIOLATION]\nreview = true\n"
        ),
    );
    let (status, report) = check_json(root);
    assert_eq!(
        (status, report["verdict_word"].as_str()),
        (3, Some("CONDITIONAL"))
    );
    assert_eq!(report["ra_status"], "present_unresolved");
}

#[test]
fn the_original_kit_vocabulary_is_known() {
    let ws = workspace("dialect-original");
    let root = ws.path();
    let (status, report) = check_json(root);
    assert_eq!(report["dialect"], "original");
    assert_eq!(report["summary"]["unknown_tags"], 0, "{report:#}");
    assert!(has(
        &report,
        "src/session.ts",
        1,
        "assumption",
        "COMPLETION_DRIVE_IMPL"
    ));
    assert!(has(
        &report,
        "src/session.ts",
        4,
        "suggestion",
        "COMPLETION_DRIVE_SUGGESTION"
    ));
    assert!(has(
        &report,
        "src/session.ts",
        10,
        "decision",
        "ARCHITECTURE_DECISION"
    ));
    assert!(has(&report, "src/session.ts", 11, "pattern", "POISON_PATH"));
    assert!(has(
        &report,
        ".orchestration/plan.md",
        3,
        "decision",
        "PATH_DECISION"
    ));
    assert!(!has(
        &report,
        ".orchestration/plan.md",
        8,
        "decision",
        "PATH_DECISION"
    ));
    // The uncertainty in the code and the plan's assumption name nothing
    // checkable: a person must look.
    let gating: Vec<_> = findings(&report)
        .into_iter()
        .filter(|f| f.4.is_some())
        .map(|f| (f.0, f.2, f.3))
        .collect();
    assert_eq!(
        gating,
        [
            (
                ".orchestration/plan.md".to_owned(),
                "unchecked-assumption".to_owned(),
                "COMPLETION_DRIVE".to_owned()
            ),
            (
                "src/session.ts".to_owned(),
                "unchecked-assumption".to_owned(),
                "PLAN_UNCERTAINTY".to_owned()
            )
        ],
        "{report:#}"
    );
    assert_eq!(
        (status, report["verdict_word"].as_str()),
        (3, Some("CONDITIONAL"))
    );
    assert_eq!(report["ra_status"], "present_unresolved");
    let (_, text) = tagls(root, &["check", "."]);
    assert!(text.starts_with("verdict: CONDITIONAL ("), "{text}");
    // Settled: PASSED, with the tags resolved.
    let session = root.join("src/session.ts");
    let code = std::fs::read_to_string(&session).unwrap();
    std::fs::write(
        &session,
        code.replace(
            "// #PLAN_UNCERTAINTY: the plan does not say whether a second login ends the first session",
            "// a second login keeps the first session, as the plan says",
        ),
    )
    .unwrap();
    support::write(
        root,
        ".orchestration/plan.md",
        "# Session plan\n\n#PATH_DECISION: keep sessions in src/store.ts for now\n",
    );
    let (status, report) = check_json(root);
    assert_eq!(
        (status, report["verdict_word"].as_str()),
        (0, Some("PASSED")),
        "{report:#}"
    );
    assert_eq!(report["ra_status"], "present_resolved");
}

#[test]
fn a_workspace_without_tags_has_ra_status_none() {
    let dir = tempfile::tempdir().unwrap();
    support::write(dir.path(), "src/a.ts", "export const a = 1 // a comment\n");
    let (status, report) = check_json(dir.path());
    assert_eq!(
        (status, report["verdict_word"].as_str()),
        (0, Some("PASSED"))
    );
    assert_eq!(report["ra_status"], "none");
    let (_, text) = tagls(dir.path(), &["check", "."]);
    assert!(text.contains("\nra_status: none\n"), "{text}");
}

#[test]
fn mixed_case_decoys_are_not_tags() {
    let ws = workspace("dialect-decoys");
    let (status, report) = check_json(ws.path());
    assert_eq!(status, 0, "{report:#}");
    assert_eq!(report["findings"], json!([]), "{report:#}");
    assert_eq!(report["summary"]["families"], json!({}));
    assert_eq!(report["summary"]["unknown_tags"], 0);
    assert_eq!(report["ra_status"], "none");
}

#[tokio::test]
async fn the_server_shows_the_newer_tags_in_code_and_plans() {
    let ws = workspace("dialect-os2");
    let root = ws.path().canonicalize().unwrap();
    let env = tempfile::tempdir().unwrap();
    let mut cmd = tokio::process::Command::new(bin());
    cmd.arg("--stdio")
        .env("TAGLS_CACHE_DIR", env.path().join("cache"))
        .env("XDG_CONFIG_HOME", env.path().join("config"));
    let mut c = support::start_command(
        cmd,
        ClientOptions {
            folders: vec![root.clone()],
            ..ClientOptions::default()
        },
    )
    .await;
    let code_uri = file_uri(&root.join("src/checkout.ts"));
    let code = std::fs::read_to_string(root.join("src/checkout.ts")).unwrap();
    c.open(&code_uri, "typescript", &code).await;
    let published = c
        .diagnostics_where(&code_uri, |p| {
            p["diagnostics"].as_array().is_some_and(|d| !d.is_empty())
        })
        .await;
    let codes = line_codes(&published);
    assert!(codes.contains(&(5, "suggestion")), "{published:#}");
    assert!(codes.contains(&(9, "pattern")), "{published:#}");
    // Hover on the poison path says that it holds the gate.
    let hover = c
        .request(
            "textDocument/hover",
            json!({ "textDocument": { "uri": code_uri }, "position": { "line": 9, "character": 6 } }),
        )
        .await;
    let value = hover["contents"]["value"].as_str().unwrap_or_default();
    assert!(value.contains("#POISON_PATH"), "{hover:#}");
    assert!(value.contains("high-risk tag"), "{hover:#}");
    // Hover on the mixed-case tag names it and says what it is.
    let hover = c
        .request(
            "textDocument/hover",
            json!({ "textDocument": { "uri": code_uri }, "position": { "line": 5, "character": 8 } }),
        )
        .await;
    let value = hover["contents"]["value"].as_str().unwrap_or_default();
    assert!(value.contains("#Potential_Issue"), "{hover:#}");
    assert!(value.contains("outside the task's scope"), "{hover:#}");

    // The plan, opened as Markdown: its decision, not its fenced example.
    let plan_uri = file_uri(&root.join(PLAN));
    let plan = std::fs::read_to_string(root.join(PLAN)).unwrap();
    c.open(&plan_uri, "markdown", &plan).await;
    let published = c
        .diagnostics_where(&plan_uri, |p| {
            p["diagnostics"].as_array().is_some_and(|d| !d.is_empty())
        })
        .await;
    let found = line_codes(&published);
    assert_eq!(found, [(4, "decision"), (7, "suggestion")], "{published:#}");
    let hover = c
        .request(
            "textDocument/hover",
            json!({ "textDocument": { "uri": plan_uri }, "position": { "line": 7, "character": 3 } }),
        )
        .await;
    let value = hover["contents"]["value"].as_str().unwrap_or_default();
    assert!(value.contains("#Potential_Issue"), "{hover:#}");
    // Semantic tokens mark the plan's tags.
    let tokens = c
        .request(
            "textDocument/semanticTokens/full",
            json!({ "textDocument": { "uri": plan_uri } }),
        )
        .await;
    let data = tokens["data"].as_array().unwrap();
    assert!(!data.is_empty(), "{tokens:#}");
    assert_eq!(data[0], 4, "the first token is on the decision's line");
    // The whole-project view speaks the dialect too.
    let answer = c
        .request(
            "workspace/executeCommand",
            json!({ "command": "tagls.gate", "arguments": [] }),
        )
        .await;
    let root_answer = &answer["roots"][0];
    assert_eq!(root_answer["verdict"], "CONDITIONAL", "{answer:#}");
    assert_eq!(root_answer["verdict_word"], "CAUTION");
    assert_eq!(root_answer["ra_status"], "present_unresolved");
    assert_eq!(root_answer["log"], OS2_LOG);
    c.finish().await;
}

#[tokio::test]
async fn the_faces_agree_on_the_newer_form() {
    let ws = workspace("dialect-os2");
    let root = ws.path().canonicalize().unwrap();
    let found = agree(&[root]).await;
    assert!(
        found
            .iter()
            .any(|k| k.0.ends_with("checkout-plan.md") && k.2 == "decision"),
        "{found:?}"
    );
}

#[test]
fn init_writes_the_log_at_the_newer_path() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join(".claude/orchestration")).unwrap();
    let (status, out) = tagls(root, &["init"]);
    assert_eq!(status, 0, "{out}");
    assert!(root.join(OS2_LOG).is_file(), "{out}");
    assert!(!root.join(".orchestration/implementation-log.md").exists());
    // The log the gate reads: a claim written there is checked.
    let log = std::fs::read_to_string(root.join(OS2_LOG)).unwrap();
    support::write(root, "src/a.ts", "// #PATH_DECISION: one file\n");
    support::write(
        root,
        OS2_LOG,
        &format!("{log}\n#FILE_CREATED: src/b.ts (3 lines)\n"),
    );
    let (_, report) = check_json(root);
    assert!(
        findings(&report)
            .iter()
            .any(|f| f.0 == OS2_LOG && f.2 == "false-claim"),
        "{report:#}"
    );
    assert_eq!(report["verdict_word"], "FAIL");
}

#[tokio::test]
async fn the_faces_agree_on_two_roots_in_different_dialects() {
    let original = workspace("dialect-original");
    let decoys = workspace("dialect-decoys");
    let roots = [
        original.path().canonicalize().unwrap(),
        decoys.path().canonicalize().unwrap(),
    ];
    let found = agree(&roots).await;
    assert!(
        found
            .iter()
            .any(|k| k.0.ends_with("session.ts") && k.2 == "suggestion"),
        "{found:?}"
    );
    // The plan's open assumption is among what needs attention, pulled or
    // pushed alike.
    assert!(
        found
            .iter()
            .any(|k| k.0.ends_with("plan.md") && k.2 == "unchecked-assumption"),
        "{found:?}"
    );
    // The decoy root holds no tag, so nothing there.
    let decoy_root = file_uri(&roots[1]);
    assert!(
        found.iter().all(|k| !k.0.starts_with(&decoy_root)),
        "{found:?}"
    );
}

#[tokio::test]
async fn the_server_follows_the_dialect_when_its_files_appear() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    support::write(
        &root,
        "src/a.ts",
        "// #POISON_PATH: trusts the client's total\nexport const a = 1\n",
    );
    let env = tempfile::tempdir().unwrap();
    let mut cmd = tokio::process::Command::new(bin());
    cmd.arg("--stdio")
        .env("TAGLS_CACHE_DIR", env.path().join("cache"))
        .env("XDG_CONFIG_HOME", env.path().join("config"));
    let mut c = support::start_command(
        cmd,
        ClientOptions {
            folders: vec![root.clone()],
            ..ClientOptions::default()
        },
    )
    .await;
    let uri = file_uri(&root.join("src/a.ts"));
    let text = std::fs::read_to_string(root.join("src/a.ts")).unwrap();
    c.open(&uri, "typescript", &text).await;
    let severity_of_poison = |p: &Value| {
        p["diagnostics"]
            .as_array()
            .and_then(|d| d.iter().find(|d| d["code"] == "pattern"))
            .and_then(|d| d["severity"].as_u64())
    };
    // The original form: a hint.
    c.diagnostics_where(&uri, |p| severity_of_poison(p) == Some(4))
        .await;
    // The newer form's folder appears, with its first plan: a warning that
    // a person must review.
    support::write(&root, ".claude/orchestration/plans/plan.md", "# Plan\n");
    c.diagnostics_where(&uri, |p| severity_of_poison(p) == Some(2))
        .await;
    let path = c
        .request(
            "workspace/executeCommand",
            json!({ "command": "tagls.logPath", "arguments": [{ "file": uri }] }),
        )
        .await;
    assert_eq!(
        path["path"].as_str().map(PathBuf::from),
        Some(root.join(OS2_LOG)),
        "{path:#}"
    );
    c.finish().await;
}

/// The line and code of each diagnostic a publish holds.
fn line_codes(published: &Value) -> Vec<(u64, &str)> {
    published["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["range"]["start"]["line"].as_u64().unwrap(),
                d["code"].as_str().unwrap(),
            )
        })
        .collect()
}
