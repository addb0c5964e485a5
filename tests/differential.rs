//! One engine, one answer: for the same workspace, what the server pushes
//! for every file opened in it, what the `tagls.gate` command answers and
//! what `tagls check --format json` prints are the same findings: same file,
//! range, code, severity, message and fix data; what it reports when the
//! workspace's diagnostics are pulled (nothing open) is exactly those of them
//! that need attention (`tagls::gate::needs_attention`: they change the
//! verdict, or are warnings or errors). Any disagreement fails, with the
//! lists side by side.
//!
//! Workspaces: the shipped demo, and generated ones that exercise each rule
//! that used to be written twice: a non-default log, custom env files, two
//! roots with different configuration, every claim form, a missing log,
//! misspelt tags, a file that changed in git but is not logged.

use crate::support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};
use support::{ClientOptions, TestClient, file_uri, write};

fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_tagls"))
}

/// One finding, as every face must agree on it: the file, the zero-based
/// range in characters, the code, the severity (LSP's number), the message
/// and the fix data (as canonical JSON).
pub(crate) type Key = (String, [u64; 4], String, u64, String, String);

/// The environment every face runs in: its own cache and user config.
struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Env {
        Env {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn vars(&self) -> [(&'static str, PathBuf); 3] {
        [
            ("TAGLS_CACHE_DIR", self.dir.path().join("cache")),
            ("XDG_CONFIG_HOME", self.dir.path().join("config")),
            ("XDG_CACHE_HOME", self.dir.path().join("cache-home")),
        ]
    }
}

/// A file's URI as the server writes it (a space percent-encoded).
fn uri(path: &Path) -> String {
    file_uri(path).replace(' ', "%20")
}

fn severity_number(name: &str) -> u64 {
    match name {
        "error" => 1,
        "warning" => 2,
        "information" => 3,
        "hint" => 4,
        other => panic!("unknown severity {other}"),
    }
}

/// What `tagls check --format json` finds, keyed by absolute file, its
/// verdict, and the findings of it that need attention.
fn cli_findings(env: &Env, roots: &[PathBuf]) -> (BTreeSet<Key>, String, BTreeSet<Key>) {
    let mut cmd = Command::new(bin());
    cmd.arg("check").arg("--format").arg("json").args(roots);
    for (k, v) in env.vars() {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 1 | 3)),
        "tagls check failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let one_root = roots.len() == 1;
    let verdict = report["verdict"].as_str().unwrap().to_owned();
    let mut attention = BTreeSet::new();
    let findings = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let rel = f["path"].as_str().unwrap();
            // With several roots the JSON path is relative to its root; the
            // root is found by the file existing under it (or the log).
            let path = if one_root {
                roots[0].join(rel)
            } else {
                roots
                    .iter()
                    .map(|r| r.join(rel))
                    .find(|p| p.exists())
                    .unwrap_or_else(|| panic!("no root holds {rel}"))
            };
            let n = |k: &str| f[k].as_u64().unwrap() - 1;
            let key = (
                uri(&path),
                [n("line"), n("column"), n("end_line"), n("end_column")],
                f["code"].as_str().unwrap().to_owned(),
                severity_number(f["severity"].as_str().unwrap()),
                f["message"].as_str().unwrap().to_owned(),
                f["fix"].to_string(),
            );
            if needs_attention(f) {
                attention.insert(key.clone());
            }
            key
        })
        .collect();
    (findings, verdict, attention)
}

/// The core's rule, applied to a finding of `tagls check --format json`.
fn needs_attention(f: &Value) -> bool {
    use tagls::gate::Verdict;
    use tagls::tags::Severity;
    let severity = match f["severity"].as_str().unwrap() {
        "error" => Severity::Error,
        "warning" => Severity::Warning,
        "information" => Severity::Information,
        "hint" => Severity::Hint,
        other => panic!("unknown severity {other}"),
    };
    let gate = match f["gate"].as_str() {
        Some("BLOCKED") => Some(Verdict::Blocked),
        Some("CONDITIONAL") => Some(Verdict::Conditional),
        None => None,
        Some(other) => panic!("unknown gate {other}"),
    };
    tagls::gate::needs_attention(severity, gate)
}

/// What the `tagls.gate` command answers: the findings of every root, and
/// the worst of the roots' verdicts.
async fn gated(c: &mut TestClient) -> (BTreeSet<Key>, String) {
    let answer = c
        .request(
            "workspace/executeCommand",
            json!({ "command": "tagls.gate", "arguments": [] }),
        )
        .await;
    let mut out = BTreeSet::new();
    let mut verdicts = Vec::new();
    for root in answer["roots"].as_array().unwrap() {
        verdicts.push(root["verdict"].as_str().unwrap().to_owned());
        for f in root["findings"].as_array().unwrap() {
            let mut key = key_of(f["uri"].as_str().unwrap(), f);
            key.3 = severity_number(f["severity"].as_str().unwrap());
            key.5 = f["fix"].to_string();
            out.insert(key);
        }
    }
    let rank = |v: &str| {
        ["PASSED", "CONDITIONAL", "BLOCKED"]
            .iter()
            .position(|x| *x == v)
    };
    let worst = verdicts
        .into_iter()
        .max_by_key(|v| rank(v))
        .unwrap_or_else(|| "PASSED".to_owned());
    (out, worst)
}

fn key_of(uri: &str, d: &Value) -> Key {
    let p = |k: &str, f: &str| d["range"][k][f].as_u64().unwrap();
    (
        uri.to_owned(),
        [
            p("start", "line"),
            p("start", "character"),
            p("end", "line"),
            p("end", "character"),
        ],
        d["code"].as_str().unwrap_or_default().to_owned(),
        d["severity"].as_u64().unwrap_or_default(),
        d["message"].as_str().unwrap_or_default().to_owned(),
        d.get("data").cloned().unwrap_or(Value::Null).to_string(),
    )
}

/// The files an editor user would open: every source file and every
/// Markdown file, outside `.git`.
fn files(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.file_name().is_some_and(|n| n == ".git") {
                continue;
            }
            if p.is_dir() {
                stack.push(p);
            } else if language_id(&p).is_some() {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn language_id(p: &Path) -> Option<&'static str> {
    Some(match p.extension()?.to_str()? {
        "ts" => "typescript",
        "tsx" => "typescriptreact",
        "js" => "javascript",
        "go" => "go",
        "py" => "python",
        "html" => "html",
        "vue" => "vue",
        "svelte" => "svelte",
        "md" => "markdown",
        "json" => "json",
        _ => return None,
    })
}

async fn server(env: &Env, roots: &[PathBuf]) -> TestClient {
    let mut cmd = tokio::process::Command::new(bin());
    cmd.arg("--stdio").stderr(std::process::Stdio::inherit());
    for (k, v) in env.vars() {
        cmd.env(k, v);
    }
    let opts = ClientOptions {
        // Columns in characters, as `tagls check` counts them.
        encodings: Some(vec!["utf-32"]),
        folders: roots.to_vec(),
        ..ClientOptions::default()
    };
    support::start_command(cmd, opts).await
}

/// Pulled diagnostics of the whole workspace, nothing open.
async fn pulled(c: &mut TestClient) -> BTreeSet<Key> {
    let report = c
        .request(
            "workspace/diagnostic",
            json!({ "identifier": null, "previousResultIds": [] }),
        )
        .await;
    let mut out = BTreeSet::new();
    for item in report["items"].as_array().unwrap() {
        let uri = item["uri"].as_str().unwrap();
        for d in item["items"].as_array().unwrap() {
            out.insert(key_of(uri, d));
        }
    }
    out
}

/// Opens every file and waits until what the server last published for
/// each is `expected`'s part for that file; returns what it published.
async fn pushed(c: &mut TestClient, roots: &[PathBuf], expected: &BTreeSet<Key>) -> BTreeSet<Key> {
    let mut opened = Vec::new();
    for root in roots {
        for path in files(root) {
            let text = std::fs::read_to_string(&path).unwrap();
            let uri = uri(&path);
            c.open(&uri, language_id(&path).unwrap(), &text).await;
            opened.push(uri);
        }
    }
    let want =
        |uri: &str| -> BTreeSet<Key> { expected.iter().filter(|k| k.0 == uri).cloned().collect() };
    let mut latest: BTreeMap<String, BTreeSet<Key>> = BTreeMap::new();
    let settled = |latest: &BTreeMap<String, BTreeSet<Key>>| {
        opened.iter().all(|u| {
            let w = want(u);
            match latest.get(u) {
                Some(got) => *got == w,
                // Nothing published yet: right only for a file with no
                // findings that tagls does not check (plain Markdown, JSON
                // that is not the phase state).
                None => w.is_empty() && (u.ends_with(".md") || u.ends_with(".json")),
            }
        })
    };
    let deadline = tokio::time::Instant::now() + support::TIMEOUT;
    while !settled(&latest) && tokio::time::Instant::now() < deadline {
        let remaining = deadline - tokio::time::Instant::now();
        let Ok(msg) = tokio::time::timeout(
            remaining,
            c.wait_for(
                |m| m["method"] == "textDocument/publishDiagnostics",
                "diagnostics",
            ),
        )
        .await
        else {
            break;
        };
        let uri = msg["params"]["uri"].as_str().unwrap().to_owned();
        let keys = msg["params"]["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| key_of(&uri, d))
            .collect();
        latest.insert(uri, keys);
    }
    latest.into_values().flatten().collect()
}

/// Runs the three faces on the roots and asserts they agree; returns the
/// findings for the scenario's own assertions.
pub(crate) async fn agree(roots: &[PathBuf]) -> BTreeSet<Key> {
    let env = Env::new();
    let (cli, verdict, attention) = cli_findings(&env, roots);
    let mut c = server(&env, roots).await;
    let pull = pulled(&mut c).await;
    let (gate, gate_verdict) = gated(&mut c).await;
    let push = pushed(&mut c, roots, &cli).await;
    c.finish().await;
    let show = |s: &BTreeSet<Key>| {
        s.iter()
            .map(|k| format!("{k:?}"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(
        pull,
        attention,
        "pulled diagnostics differ from what needs attention in tagls check\n--- pulled\n{}\n--- check (needs attention)\n{}",
        show(&pull),
        show(&attention)
    );
    assert_eq!(
        gate,
        cli,
        "the tagls.gate command differs from tagls check\n--- tagls.gate\n{}\n--- check\n{}",
        show(&gate),
        show(&cli)
    );
    assert_eq!(gate_verdict, verdict, "the verdicts differ");
    assert_eq!(
        push,
        cli,
        "pushed diagnostics differ from tagls check\n--- pushed\n{}\n--- check\n{}",
        show(&push),
        show(&cli)
    );
    cli
}

fn codes(found: &BTreeSet<Key>) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for k in found {
        *out.entry(k.2.clone()).or_default() += 1;
    }
    out
}

pub(crate) fn copy_dir(from: &Path, to: &Path) {
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.path().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}

#[tokio::test]
async fn the_demo_workspace() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("demo");
    std::fs::create_dir_all(&root).unwrap();
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/demo"),
        &root,
    );
    let found = agree(&[root]).await;
    assert!(
        codes(&found).contains_key("missing-path"),
        "the demo is blocked by a missing path: {found:?}"
    );
}

const CONFIG: &str = r#"log = "docs/impl-log.md"
env-files = ["secrets.env", ".env.example"]
"#;

const APP: &str = "// #COMPLETION_DRIVE: Assuming the helper lives at src/b.ts
// #COMPLETION_DRIVE_INTEGRATION: Assuming API_KEY and MISSING_KEY in the environment
// #COMPLETION_DIRVE: a misspelt tag
// #COMPLETION_DRIVE: Assuming the API returns {token, user}
// #CARGO_CULT: copied from src/gone.ts
export const key = process.env.API_KEY
export const other = process.env.NOT_DECLARED
";

const LOG: &str = "# Implementation Log

## Files Created
#FILE_CREATED: src/app.ts (7 lines)
  Verification: ls src/app.ts
#FILE_CREATED: src/a.ts, src/c.ts
#FILE_CREATED: src/b.ts: 2 lines
#FILE_CREATED: `src/my file.ts` (2 lines)
#FILE_CREATED: src/long.ts (90 lines)
#FILE_CREATED: src/never.ts (3 lines)
  Verification: grep \"export\" src/b.ts
  Verification: grep \"nothing here\" src/b.ts
  Verification: curl http://localhost:3000/health

## Files Modified
#FILE_MODIFIED: src/a.ts
  Lines affected: 1, 40-50

## Evidence Captured
#SCREENSHOT_CLAIMED: docs/shot.png

## Assumptions Made
#COMPLETION_DRIVE: Assuming src/c.ts exports a default
#SUGGEST_VERFY: a misspelt tag in the log
";

/// A non-default log, custom env files, every claim form, misspelt tags,
/// and files git reports changed that the log does not mention.
#[tokio::test]
async fn a_configured_workspace_with_every_claim_form() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("ws");
    write(&root, ".tagls.toml", CONFIG);
    write(&root, "secrets.env", "API_KEY=value-not-shown\n");
    write(&root, ".env.example", "DATABASE_URL=\n");
    write(&root, "src/app.ts", APP);
    write(
        &root,
        "src/a.ts",
        "export const a = 1\nexport const b = 2\n",
    );
    write(
        &root,
        "src/b.ts",
        "export const b = 1\nexport const c = 2\n",
    );
    write(&root, "src/c.ts", "export default 1\n");
    write(&root, "src/my file.ts", "// spaced\nexport {}\n");
    write(&root, "src/long.ts", "export {}\n");
    write(&root, "docs/impl-log.md", LOG);
    write(&root, "docs/shot.png", "not an image\n");
    write(
        &root,
        "README.md",
        "# Notes\n\n#COMPLETION_DRIVE: not the log, so not checked\n",
    );
    let git = |args: &[&str]| {
        let ok = Command::new("git")
            .args(args)
            .current_dir(&root)
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.com")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.com")
            .output()
            .unwrap();
        assert!(ok.status.success(), "git {args:?}: {ok:?}");
    };
    git(&["init", "-q"]);
    git(&["add", "src/a.ts", "src/b.ts"]);
    git(&["commit", "-qm", "base"]);
    std::fs::write(
        root.join("src/b.ts"),
        "export const b = 10\nexport const c = 2\n",
    )
    .unwrap();
    let found = agree(std::slice::from_ref(&root)).await;
    let codes = codes(&found);
    for code in [
        "false-claim",
        "unknown-tag",
        "missing-env",
        "undeclared-env",
        "verification-failed",
        "unverifiable",
        "unchecked-assumption",
        "unlogged-change",
    ] {
        assert!(codes.contains_key(code), "no {code} in {codes:?}");
    }
    // The configured log is the log: nothing at the default path, and the
    // other Markdown file is not checked.
    assert!(
        found.iter().all(|k| !k.0.ends_with("README.md")),
        "{found:?}"
    );
    assert!(found.iter().any(|k| k.0.ends_with("docs/impl-log.md")));
    // A variable of a configured env file is defined.
    assert!(
        !found
            .iter()
            .any(|k| k.4.contains("API_KEY") && k.2 == "missing-env"),
        "{found:?}"
    );
}

/// Two roots, each with its own configuration: a tag registered in one is
/// unknown in the other; one root's log is missing.
#[tokio::test]
async fn two_roots_with_their_own_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a");
    let b = dir.path().join("b");
    write(
        &a,
        "src/z.ts",
        "// #QUESTION_SUPPRESSION: did not ask about src/z.ts\nexport {}\n",
    );
    write(
        &a,
        "src/first.py",
        "# #COMPLETION_DRIVE: Assuming src/z.ts exists\nimport os\n",
    );
    write(
        &b,
        ".tagls.toml",
        "env-files = [\"config.env\"]\n[tags.QUESTION_SUPPRESSION]\nfamily = \"assumption\"\nseverity = \"warning\"\n",
    );
    write(&b, "config.env", "TOKEN=x\n");
    write(
        &b,
        "main.go",
        "package main\n\n// #QUESTION_SUPPRESSION: did not ask whether TOKEN is set\nimport \"os\"\n\nvar t = os.Getenv(\"TOKEN\")\n",
    );
    write(
        &b,
        ".orchestration/implementation-log.md",
        "## Files Created\n#FILE_CREATED: main.go (6 lines)\n",
    );
    let found = agree(&[a.clone(), b.clone()]).await;
    let in_root = |root: &Path, code: &str| {
        found
            .iter()
            .filter(|k| k.0.starts_with(&uri(root)) && k.2 == code)
            .count()
    };
    assert_eq!(in_root(&a, "unknown-tag"), 1, "{found:?}");
    assert_eq!(in_root(&b, "unknown-tag"), 0, "{found:?}");
    // The missing log is noted once, on the first tagged file of root a.
    let missing: Vec<&Key> = found.iter().filter(|k| k.2 == "missing-log").collect();
    assert_eq!(missing.len(), 1, "{found:?}");
    assert!(missing[0].0.ends_with("a/src/first.py"), "{missing:?}");
    assert_eq!(missing[0].3, 1, "the missing log blocks: an error");
}

/// Files the gate does not parse (too large, binary) that hold a
/// tag-shaped text are the same `skipped-file` finding in the editor and
/// on the command line, and a path in any script is a reference in both.
#[tokio::test]
async fn skipped_files_and_paths_in_any_script() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("ws");
    write(&root, ".tagls.toml", "max-file-size = 600\n");
    write(
        &root,
        "src/a.ts",
        "// #COMPLETION_DRIVE: Assuming src/données/café.ts exists\n// #COMPLETION_DRIVE: Assuming src/données/là.ts exists\nexport {}\n",
    );
    write(&root, "src/données/là.ts", "export {}\n");
    let mut minified = "var a=1;".repeat(100);
    minified.push_str("/* #COMPLETION_DRIVE: Assuming src/gone.ts exists */");
    write(&root, "src/app.min.js", &minified);
    write(&root, "src/blob.ts", "\0\0 #PATH_DECISION: x\n");
    write(
        &root,
        ".orchestration/implementation-log.md",
        "#FILE_CREATED: src/a.ts (3 lines)\n",
    );
    let found = agree(std::slice::from_ref(&root)).await;
    let codes = codes(&found);
    assert_eq!(codes.get("skipped-file"), Some(&2), "{found:?}");
    let missing: Vec<&str> = found
        .iter()
        .filter(|k| k.2 == "missing-path")
        .map(|k| k.4.as_str())
        .collect();
    assert_eq!(missing.len(), 1, "{found:?}");
    assert!(missing[0].starts_with("src/données/café.ts"), "{missing:?}");
}

/// Due dates: a date that has passed is `overdue`, one that is no date
/// `bad-due-date`, on a built-in tag, a custom one and a misspelt one, in
/// code, in a plan and in the log; every face reports them alike, and the
/// verdict is what the tags alone make it.
#[tokio::test]
async fn due_dates_in_code_plans_and_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("ws");
    write(
        &root,
        ".tagls.toml",
        "[tags.OPEN_QUESTION]\nfamily = \"suggestion\"\n",
    );
    write(
        &root,
        "src/a.ts",
        "// 𝄞 #COMPLETION_DRIVE[2001-01-01]: Assuming src/b.ts exists\n// #OPEN_QUESTION[2002-02-02]: who owns the cache\n// #PATH_DECISION[2999-12-31]: one module\n// #CARGO_CULT[2026-3-1]: copied from src/b.ts\n// #COMPLETION_DIRVE[2003-03-03]: misspelt\n/* #COMPLETION_DRIVE[tomorrow]: Assuming the cache is warm */\nexport {}\n",
    );
    write(&root, "src/b.ts", "export {}\n");
    write(
        &root,
        ".orchestration/plan.md",
        "# Plan\n\n#PATH_DECISION[2004-04-04]: compute the total on the server\n\n`#PATH_DECISION[2005-05-05]: an example, not a tag`\n",
    );
    write(
        &root,
        ".orchestration/implementation-log.md",
        "## Files Created\n#FILE_CREATED: src/b.ts (1 lines)\n\n## Assumptions Made\n#COMPLETION_DRIVE[2006-06-06]: Assuming src/a.ts stays\n",
    );
    let found = agree(std::slice::from_ref(&root)).await;
    let at = |code: &str| -> Vec<(String, u64)> {
        let mut out: Vec<(String, u64)> = found
            .iter()
            .filter(|k| k.2 == code)
            .map(|k| (k.0.rsplit('/').next().unwrap().to_owned(), k.1[0]))
            .collect();
        out.sort();
        out
    };
    let file = |f: &str, line: u64| (f.to_owned(), line);
    assert_eq!(
        at("overdue"),
        [
            file("a.ts", 0),
            file("a.ts", 1),
            file("a.ts", 4),
            file("implementation-log.md", 4),
            file("plan.md", 2),
        ],
        "{found:#?}"
    );
    assert_eq!(
        at("bad-due-date"),
        [file("a.ts", 3), file("a.ts", 5)],
        "{found:#?}"
    );
    // The unchecked assumption in the block comment holds the gate; the
    // dates do not.
    assert_eq!(at("unchecked-assumption"), [file("a.ts", 5)], "{found:#?}");
}
