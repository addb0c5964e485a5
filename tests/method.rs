//! The method as it is used: a task written to the method's templates (code
//! with tags, a full implementation log) is checked, fixed and checked again
//! until the verdict is the one a careful reviewer gives. Each version is a
//! real git repository: the base project committed, the agent's work on top
//! (tests/fixtures/task: `base`, the agent's code in `work`, and each
//! version's log and fixes). Every version is also checked for one engine:
//! what the editor shows, what a pull reports and what `tagls check` prints
//! agree (crate::differential::agree).
//!
//! - original: the agent's first report. Its log claims a schema change git
//!   does not show, a method the file lacks, a line count and lines that are
//!   wrong; its recipe fails; a UI file changed with no screenshot; the code
//!   names a missing file and an undefined variable. BLOCKED.
//! - partly: the agent fixed what a checker of files alone would flag (the
//!   counts, the lines, the recipe, the missing file, the variable) but not
//!   the work: the schema is still untouched, `logout()` still missing, and
//!   there is still no screenshot. BLOCKED.
//! - fixed: the work is done and the log says what was done. PASSED, with
//!   the assumptions in the code listed for cleanup.

use crate::differential::{Key, agree, copy_dir};

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_tagls"))
}

const LOG: &str = ".orchestration/implementation-log.md";

/// A valid 1×1 PNG: the screenshot of the fixed version.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xf0,
    0x1f, 0x00, 0x05, 0x00, 0x01, 0xff, 0x89, 0x99, 0x3d, 0x1d, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/task")
}

/// Runs the real git in `root`.
fn git(root: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(root)
        .args([
            "-c",
            "user.name=Task Agent",
            "-c",
            "user.email=agent@example.com",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {out:?}");
    String::from_utf8(out.stdout).unwrap()
}

/// The task's workspace in `version`: the base committed, the agent's
/// code (`work`, the same in every version) and the version's own files
/// (its log, and what it fixed) on top, uncommitted, as an agent leaves
/// them.
fn task(version: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    copy_dir(&fixtures().join("base"), root);
    git(root, &["init", "-q"]);
    git(root, &["add", "-A"]);
    git(
        root,
        &["commit", "-q", "-m", "the shop API before the task"],
    );
    copy_dir(&fixtures().join("work"), root);
    copy_dir(&fixtures().join(version), root);
    if version == "fixed" {
        let shot = root.join(".orchestration/evidence/task-234/login-form.png");
        std::fs::create_dir_all(shot.parent().unwrap()).unwrap();
        std::fs::write(shot, PNG).unwrap();
    }
    dir
}

/// `tagls <args> --format json` (or any command) in its own cache and user
/// configuration; the exit status and stdout.
pub(crate) fn tagls(root: &Path, args: &[&str]) -> (i32, String) {
    let env = tempfile::tempdir().unwrap();
    let out = Command::new(bin())
        .args(args)
        .current_dir(root)
        .env("TAGLS_CACHE_DIR", env.path().join("cache"))
        .env("XDG_CONFIG_HOME", env.path().join("config"))
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
    )
}

fn check_json(root: &Path, extra: &[&str]) -> Value {
    let mut args = vec!["check", "--format", "json"];
    args.extend_from_slice(extra);
    args.push(".");
    let (status, out) = tagls(root, &args);
    let report: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    let expected = match report["verdict"].as_str() {
        Some("PASSED") => 0,
        Some("BLOCKED") => 1,
        Some("CONDITIONAL") => 3,
        v => panic!("verdict {v:?}"),
    };
    assert_eq!(status, expected, "{report:#}");
    report
}

/// The findings that have `gate`, as (path, line, code), in order.
fn gated(report: &Value, gate: &str) -> Vec<(String, u64, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["gate"] == gate)
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_owned(),
                f["line"].as_u64().unwrap(),
                f["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn at(path: &str, line: u64, code: &str) -> (String, u64, String) {
    (path.to_owned(), line, code.to_owned())
}

/// Every face agrees on the version, and `tagls check` gives `verdict`.
async fn checked(root: &Path, verdict: &str) -> (Value, BTreeSet<Key>) {
    let found = agree(&[root.to_path_buf()]).await;
    let report = check_json(root, &[]);
    assert_eq!(report["verdict"], verdict, "{report:#}");
    (report, found)
}

#[tokio::test]
async fn the_first_report_of_a_task_is_blocked_for_every_false_claim() {
    let dir = task("original");
    let root = dir.path();
    let (report, _) = checked(root, "BLOCKED").await;
    assert_eq!(
        gated(&report, "BLOCKED"),
        [
            // `grep "passwordHash" prisma/schema.prisma` fails.
            at(LOG, 6, "verification-failed"),
            // 29 lines, not 156.
            at(LOG, 9, "false-claim"),
            // `Methods: ... logout()`: auth.ts defines no logout.
            at(LOG, 12, "false-claim"),
            // LoginForm.tsx is new and no screenshot shows it.
            at(LOG, 16, "missing-screenshot"),
            // git shows prisma/schema.prisma untouched ...
            at(LOG, 21, "false-claim"),
            // ... and `passwordHash` is not in it.
            at(LOG, 23, "false-claim"),
            // src/app.ts has 10 lines, not 20-24.
            at(LOG, 26, "false-claim"),
            at("src/api/routes/auth.ts", 7, "missing-env"),
            at("src/components/LoginForm.tsx", 2, "missing-path"),
        ]
    );
    // `Verification: Runtime test required` is for a person, not a failure.
    assert_eq!(gated(&report, "CONDITIONAL"), [at(LOG, 34, "unverifiable")]);
    let messages: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    for m in [
        "git shows no change to prisma/schema.prisma against HEAD",
        "src/api/routes/auth.ts defines no logout; it defines login, register",
        "prisma/schema.prisma has no passwordHash, which its Changes name",
    ] {
        assert!(messages.contains(&m), "{m}\n{messages:#?}");
    }

    // The report, in the method's format, says the same.
    let (status, _) = tagls(root, &["report", "."]);
    assert_eq!(status, 1);
    let md = std::fs::read_to_string(root.join(".orchestration/verification-report.md")).unwrap();
    for part in [
        "- Task: Task 234 - Password login for the shop API\n",
        "- Implementation log: `.orchestration/implementation-log.md`\n",
        "- Verdict: **BLOCKED**\n",
        "## Commands Run\n\n- `grep \"passwordHash\" prisma/schema.prisma` (.orchestration/implementation-log.md:6): failed\n",
        "## Runtime-Only Items\n\n### .orchestration/implementation-log.md:34 [unverifiable]\n",
        "- Check: `git status --short -- prisma/schema.prisma`\n",
        "- Check: `wc -l src/api/routes/auth.ts`\n",
        "- Check: `grep -n 'logout' src/api/routes/auth.ts`\n",
        "## Manual Items\n\nNone.\n",
        "## Tag Cleanup\n\nNot yet: the method cleans up only after PASSED",
    ] {
        assert!(md.contains(part), "{part}\n---\n{md}");
    }
    assert!(md.contains("- Timestamp: 20"), "{md}");
    assert!(
        !md.contains("wc -l `"),
        "a check command names its file\n{md}"
    );
}

#[tokio::test]
async fn fixing_only_what_a_file_checker_sees_is_still_blocked() {
    let dir = task("partly");
    let root = dir.path();
    let (report, _) = checked(root, "BLOCKED").await;
    assert_eq!(
        gated(&report, "BLOCKED"),
        [
            at(LOG, 12, "false-claim"),
            at(LOG, 16, "missing-screenshot"),
            at(LOG, 24, "false-claim"),
            at(LOG, 26, "false-claim"),
        ]
    );
    // The work is committed, as in CI: against HEAD git sees nothing, so
    // the claims are checked against the task's base revision.
    let base = git(root, &["rev-parse", "HEAD"]).trim().to_owned();
    git(root, &["add", "-A"]);
    git(root, &["commit", "-q", "-m", "task 234"]);
    let report = check_json(root, &["--since", &base]);
    assert_eq!(report["verdict"], "BLOCKED");
    assert!(
        gated(&report, "BLOCKED").contains(&at(LOG, 24, "false-claim")),
        "{report:#}"
    );
    // A revision that does not exist is a usage error, not a pass.
    let (status, out) = tagls(root, &["check", "--since", "no-such-branch", "."]);
    assert_eq!(status, 2, "{out}");
}

#[tokio::test]
async fn the_task_done_and_logged_passes_and_lists_what_to_clean_up() {
    let dir = task("fixed");
    let root = dir.path();
    let (report, found) = checked(root, "PASSED").await;
    assert_eq!(gated(&report, "BLOCKED"), []);
    assert_eq!(gated(&report, "CONDITIONAL"), []);
    assert!(
        !found.iter().any(|k| k.2 == "unchecked-assumption"),
        "an assumption whose recipe passes is checked: {found:?}"
    );
    let cleanup: Vec<(String, u64, String)> = report["cleanup"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["path"].as_str().unwrap().to_owned(),
                t["line"].as_u64().unwrap(),
                t["tag"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        cleanup,
        [
            at("src/api/routes/auth.ts", 6, "COMPLETION_DRIVE"),
            at("src/api/routes/auth.ts", 7, "COMPLETION_DRIVE_INTEGRATION"),
            at("src/components/LoginForm.tsx", 2, "COMPLETION_DRIVE"),
        ]
    );
    let (status, text) = tagls(root, &["check", "."]);
    assert_eq!(status, 0, "{text}");
    assert!(
        text.contains("cleanup: 3 tags to remove now that the gate passed"),
        "{text}"
    );
    // Committed, and checked against the task's base: still PASSED.
    let base = git(root, &["rev-parse", "HEAD"]).trim().to_owned();
    git(root, &["add", "-A"]);
    git(root, &["commit", "-q", "-m", "task 234"]);
    assert_eq!(check_json(root, &["--since", &base])["verdict"], "PASSED");
    assert_eq!(check_json(root, &[])["verdict"], "PASSED");

    // Undo one change the log claims: the claim is false again.
    std::fs::write(
        root.join("prisma/schema.prisma"),
        std::fs::read_to_string(fixtures().join("base/prisma/schema.prisma")).unwrap(),
    )
    .unwrap();
    let report = check_json(root, &["--since", &base]);
    assert_eq!(report["verdict"], "BLOCKED", "{report:#}");
}

/// A workspace written from `(path, text)` pairs.
fn workspace(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        crate::support::write(dir.path(), path, text);
    }
    dir
}

/// The codes every face agrees on, with the file and one-based line, and
/// the verdict of `tagls check`.
async fn rule(files: &[(&str, &str)]) -> (String, Vec<(String, u64, String)>) {
    let dir = workspace(files);
    let root = dir.path();
    let found = agree(&[root.to_path_buf()]).await;
    let report = check_json(root, &[]);
    let mut codes: Vec<(String, u64, String)> = found
        .iter()
        .map(|k| {
            let prefix = format!("{}/", crate::support::file_uri(root).replace(' ', "%20"));
            let rel = k.0.strip_prefix(&prefix).unwrap_or(&k.0);
            (rel.to_owned(), k.1[0] + 1, k.2.clone())
        })
        .filter(|(_, _, code)| {
            !matches!(
                code.as_str(),
                "assumption" | "claim" | "decision" | "suggestion" | "pattern"
            )
        })
        .collect();
    codes.sort();
    (report["verdict"].as_str().unwrap().to_owned(), codes)
}

/// The method's zero-tag gate: a log that exists puts the workspace under
/// the method, so an empty one, or one whose tags are all examples in code
/// blocks, blocks, even when no code holds a tag; a skeleton of headings
/// alone does not. The editor shows it on the
/// log, where the check puts it.
#[tokio::test]
async fn the_zero_tag_gate() {
    let (verdict, codes) = rule(&[(LOG, "\n"), ("src/a.ts", "export const a = 1;\n")]).await;
    assert_eq!(verdict, "BLOCKED");
    assert_eq!(codes, [at(LOG, 1, "missing-log")]);
    let fenced = "# Log\n\n```\n#FILE_CREATED: src/a.ts (1 line)\n```\n";
    let (verdict, codes) = rule(&[(LOG, fenced), ("src/a.ts", "export const a = 1;\n")]).await;
    assert_eq!(verdict, "BLOCKED");
    assert_eq!(codes, [at(LOG, 1, "missing-log")]);
    // The template's skeleton alone (what `tagls init` writes) is work not
    // yet started: nothing to verify, until code holds a tag.
    let skeleton = "# Implementation Log\n\n## Files Created\n\n## Files Modified\n";
    let (verdict, codes) = rule(&[(LOG, skeleton), ("src/a.ts", "export const a = 1;\n")]).await;
    assert_eq!((verdict.as_str(), codes), ("PASSED", vec![]));
    let tagged = "// #COMPLETION_DRIVE: Assuming the cache is warm\nexport const a = 1;\n";
    let (verdict, codes) = rule(&[(LOG, skeleton), ("src/a.ts", tagged)]).await;
    assert_eq!(verdict, "BLOCKED");
    assert!(
        codes.contains(&at("src/a.ts", 1, "missing-log")),
        "{codes:?}"
    );
}

/// A project that never used the method is never blocked by it: a
/// `#TODO:` and an unknown tag naming a missing file, with no log, pass.
#[tokio::test]
async fn a_project_that_never_used_the_method_passes() {
    let (verdict, codes) = rule(&[
        (
            "src/a.ts",
            "// #TODO: split this module\nexport const a = 1;\n",
        ),
        (
            "src/b.py",
            "# #NOTE: see docs/missing.md for the design\nB = 1\n",
        ),
    ])
    .await;
    assert_eq!(verdict, "PASSED", "{codes:?}");
    assert!(
        codes
            .iter()
            .all(|(_, _, c)| c == "unknown-tag" || c == "missing-path"),
        "{codes:?}"
    );
}

/// The waiver of a screenshot is accepted, never silently: CONDITIONAL, on
/// the waiver; visual work without either blocks.
#[tokio::test]
async fn visual_work_needs_a_screenshot_or_a_visible_waiver() {
    let form = "export function Form() { return <form />; }\n";
    let waived = "# Log\n\n## Files Created\n#FILE_CREATED: src/Form.tsx (1 line)\n\n## Evidence Captured\n#SCREENSHOT_CLAIMED: CANNOT_CAPTURE_SECURITY_POLICY\n  Description: the admin pages are behind the VPN\n";
    let (verdict, codes) = rule(&[(LOG, waived), ("src/Form.tsx", form)]).await;
    assert_eq!(verdict, "CONDITIONAL");
    assert_eq!(codes, [at(LOG, 7, "screenshot-waived")]);
    let bare = "# Log\n\n## Files Created\n#FILE_CREATED: src/Form.tsx (1 line)\n";
    let (verdict, codes) = rule(&[(LOG, bare), ("src/Form.tsx", form)]).await;
    assert_eq!(verdict, "BLOCKED");
    assert_eq!(codes, [at(LOG, 4, "missing-screenshot")]);
    // A change to files that are not UI needs none.
    let api = "# Log\n\n## Files Created\n#FILE_CREATED: src/api.ts (1 line)\n";
    let (verdict, codes) = rule(&[(LOG, api), ("src/api.ts", "export {};\n")]).await;
    assert_eq!((verdict.as_str(), codes), ("PASSED", vec![]));
}

/// Smaller claim forms, each through every face: `(N LOC)` is a count, a
/// BMP is an image, a `#VERIFIED` entry naming a missing file is a false
/// claim, a path in the home folder is outside the workspace, and prose
/// with slashes is no path.
#[tokio::test]
async fn smaller_claim_forms_through_every_face() {
    let mut bmp = b"BM".to_vec();
    bmp.extend_from_slice(&58u32.to_le_bytes());
    bmp.extend_from_slice(&[0; 4]);
    bmp.extend_from_slice(&54u32.to_le_bytes());
    bmp.extend_from_slice(&40u32.to_le_bytes());
    bmp.extend_from_slice(&1i32.to_le_bytes());
    bmp.extend_from_slice(&1i32.to_le_bytes());
    bmp.extend_from_slice(&1u16.to_le_bytes());
    bmp.extend_from_slice(&24u16.to_le_bytes());
    bmp.extend_from_slice(&[0; 28]);
    let log = "# Log

## Files Created
#FILE_CREATED: src/a.ts (3 LOC)
#FILE_CREATED: src/a.ts (30 LOC)
#FILE_CREATED: ~/.claude/agents/helper.md (12 lines)

## Evidence Captured
#SCREENSHOT_CLAIMED: .orchestration/evidence/shot.bmp

#VERIFIED: src/a.ts and src/gone.ts behave
";
    let dir = workspace(&[
        (LOG, log),
        (
            "src/a.ts",
            "// #COMPLETION_DRIVE: Assuming read/write/delete permissions are enough\nexport const a = 1;\nexport const b = 2;\n",
        ),
    ]);
    let root = dir.path();
    std::fs::create_dir_all(root.join(".orchestration/evidence")).unwrap();
    std::fs::write(root.join(".orchestration/evidence/shot.bmp"), &bmp).unwrap();
    let found = agree(&[root.to_path_buf()]).await;
    let report = check_json(root, &[]);
    assert_eq!(
        gated(&report, "BLOCKED"),
        [
            at(LOG, 5, "false-claim"),
            at(LOG, 6, "outside-workspace"),
            at(LOG, 11, "false-claim"),
        ],
        "{report:#}"
    );
    // The assumption names nothing checkable: a person looks, nothing blocks.
    assert_eq!(
        gated(&report, "CONDITIONAL"),
        [at("src/a.ts", 1, "unchecked-assumption")]
    );
    assert!(!found.iter().any(|k| k.2 == "missing-path"), "{found:?}");
}
