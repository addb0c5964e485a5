//! `tagls check` in CI pipelines, as a pipeline runs it: SARIF fingerprints
//! that survive lines moving, reviewdog's rdjsonl, `--new-only` against a
//! real git base, and the example GitHub Actions workflow.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

use crate::cli::{bin, repo, write};

fn tagls(dir: &Path, args: &[&str]) -> Output {
    Command::new(bin())
        .args(args)
        .current_dir(dir)
        .env(
            "TAGLS_CACHE_DIR",
            std::env::temp_dir().join("tagls-ci-formats-cache"),
        )
        .output()
        .unwrap()
}

fn git(root: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .current_dir(root)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

fn sarif_validator() -> jsonschema::Validator {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("tests/fixtures/sarif/sarif-2.1.0.json")).unwrap(),
    )
    .unwrap();
    jsonschema::validator_for(&schema).unwrap()
}

fn sarif_of(root: &Path) -> Value {
    let out = tagls(root, &["check", "--no-cache", "--format", "sarif"]);
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let errors: Vec<String> = sarif_validator()
        .iter_errors(&doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}\n{doc:#}");
    doc
}

/// (ruleId, startLine, fingerprint) of every result.
fn results(doc: &Value) -> Vec<(String, u64, String)> {
    doc["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["ruleId"].as_str().unwrap().to_owned(),
                r["locations"][0]["physicalLocation"]["region"]["startLine"]
                    .as_u64()
                    .unwrap(),
                r["partialFingerprints"]["tagls/v1"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            )
        })
        .collect()
}

const LOG: &str = "## Files Created\n#FILE_CREATED: src/a.ts (3 lines)\n";

#[test]
fn sarif_fingerprints_survive_lines_moving() {
    let ws = tempfile::tempdir().unwrap();
    let root = ws.path();
    let a = "// #COMPLETION_DRIVE: Assuming src/gone.ts exists\n// #COMPLETION_DRIVE: Assuming src/gone.ts exists\n// #COMPLETION_DRIVE: Assuming src/other.ts exists\n";
    write(root, "src/a.ts", a);
    write(root, ".orchestration/implementation-log.md", LOG);
    let before = results(&sarif_of(root));
    let missing: Vec<&(String, u64, String)> =
        before.iter().filter(|r| r.0 == "missing-path").collect();
    assert_eq!(missing.len(), 3, "{before:?}");
    // The same finding twice, and another: three fingerprints.
    let mut prints: Vec<&str> = missing.iter().map(|r| r.2.as_str()).collect();
    prints.sort_unstable();
    prints.dedup();
    assert_eq!(prints.len(), 3, "{missing:?}");

    // Five lines inserted above: every finding moves down, and keeps its
    // fingerprint.
    write(root, "src/a.ts", &format!("\n\n\n\n\n{a}"));
    let after = results(&sarif_of(root));
    let moved: Vec<&(String, u64, String)> =
        after.iter().filter(|r| r.0 == "missing-path").collect();
    assert_eq!(moved.len(), 3);
    for (old, new) in missing.iter().zip(&moved) {
        assert_eq!(new.1, old.1 + 5, "{old:?} {new:?}");
        assert_eq!(new.2, old.2, "{old:?} {new:?}");
    }

    // What the finding is about changes: so does its fingerprint.
    write(
        root,
        "src/a.ts",
        &a.replacen("src/gone.ts", "src/went.ts", 1),
    );
    let changed = results(&sarif_of(root));
    assert!(
        !changed.iter().any(|r| r.1 == 1 && r.2 == missing[0].2),
        "{changed:?}"
    );
}

#[test]
fn rdjsonl_is_reviewdogs_diagnostic_format() {
    let ws = tempfile::tempdir().unwrap();
    let root = ws.path();
    write(
        root,
        "src/a.ts",
        "// 日本 #COMPLETION_DRIVE: Assuming src/gone.ts exists\n// #COMPLETION_DRIV: Assuming it works\nexport {}\n",
    );
    write(
        root,
        ".orchestration/implementation-log.md",
        "## Files Created\n#FILE_CREATED: src/a.ts (12 lines)\n",
    );
    let out = tagls(root, &["check", "--no-cache", "--format", "rdjsonl"]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert!(!lines.is_empty());
    for d in &lines {
        assert_eq!(d["source"]["name"], "tagls", "{d}");
        assert!(
            ["ERROR", "WARNING", "INFO"].contains(&d["severity"].as_str().unwrap()),
            "{d}"
        );
        assert!(
            d["message"].is_string() && d["code"]["value"].is_string(),
            "{d}"
        );
        assert!(d["location"]["range"]["start"]["line"].as_u64().unwrap() >= 1);
    }
    let missing = lines
        .iter()
        .find(|d| d["code"]["value"] == "missing-path")
        .unwrap();
    assert_eq!(missing["location"]["path"], "src/a.ts");
    assert_eq!(missing["severity"], "WARNING");
    // Columns count UTF-8 bytes: `// 日本 #COMPLETION_DRIVE: Assuming ` is
    // 38 bytes before the path (34 characters).
    let start = &missing["location"]["range"]["start"];
    assert_eq!(
        (start["line"].as_u64(), start["column"].as_u64()),
        (Some(1), Some(39))
    );
    let end = &missing["location"]["range"]["end"];
    assert_eq!(
        end["column"].as_u64(),
        Some(39 + "src/gone.ts".len() as u64)
    );
    // The misspelt tag comes with its rename, as the editor's quick fix.
    let unknown = lines
        .iter()
        .find(|d| d["code"]["value"] == "unknown-tag")
        .unwrap();
    assert_eq!(unknown["suggestions"][0]["text"], "#COMPLETION_DRIVE:");
    assert_eq!(
        unknown["suggestions"][0]["range"],
        unknown["location"]["range"]
    );
    // So does a wrong line count: the digits, corrected.
    let count = lines
        .iter()
        .find(|d| d["code"]["value"] == "false-claim")
        .unwrap();
    assert_eq!(count["severity"], "ERROR");
    assert_eq!(
        count["suggestions"][0],
        serde_json::json!({
            "range": { "start": { "line": 2, "column": 26 }, "end": { "line": 2, "column": 28 } },
            "text": "3"
        })
    );
    // Like JSON and SARIF, it holds every finding.
    let out = tagls(root, &["check", "--format", "rdjsonl", "--quiet"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn new_only_gates_on_what_the_change_added() {
    let ws = tempfile::tempdir().unwrap();
    let root = ws.path();
    git(root, &["init", "-q", "-b", "main"]);
    write(
        root,
        "src/a.ts",
        "// #COMPLETION_DRIVE: Assuming src/gone.ts exists\nexport {}\n",
    );
    write(
        root,
        ".orchestration/implementation-log.md",
        LOG.replace("3 lines", "2 lines").as_str(),
    );
    git(root, &["add", "."]);
    git(root, &["commit", "-qm", "base"]);
    git(root, &["checkout", "-q", "-b", "work"]);

    // A change that leaves the old finding where it was, moved down.
    write(
        root,
        "src/a.ts",
        "// A header.\n\n// #COMPLETION_DRIVE: Assuming src/gone.ts exists\nexport {}\n",
    );
    write(root, "src/b.ts", "export const b = 1\n");
    write(
        root,
        ".orchestration/implementation-log.md",
        "## Files Created\n#FILE_CREATED: src/b.ts (1 line)\n\n## Files Modified\n#FILE_MODIFIED: src/a.ts\n  Lines affected: 1-2\n",
    );
    git(root, &["add", "."]);
    git(root, &["commit", "-qm", "work"]);
    // Without --new-only the old finding blocks.
    let all = tagls(
        root,
        &["check", "--no-cache", "--since", "main", "--format", "json"],
    );
    assert_eq!(
        all.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&all.stdout)
    );
    let doc: Value = serde_json::from_slice(&all.stdout).unwrap();
    assert!(
        doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["code"] == "missing-path")
    );
    // With it, the finding already there at main does not.
    let new = tagls(
        root,
        &["check", "--no-cache", "--since", "main", "--new-only"],
    );
    let text = String::from_utf8_lossy(&new.stdout);
    assert_eq!(
        new.status.code(),
        Some(0),
        "{text}{}",
        String::from_utf8_lossy(&new.stderr)
    );
    assert!(text.contains("new-only: "), "{text}");
    assert!(!text.contains("missing-path"), "{text}");

    // A new missing path does block.
    write(
        root,
        "src/b.ts",
        "// #COMPLETION_DRIVE: Assuming src/absent.ts exists\nexport const b = 1\n",
    );
    write(
        root,
        ".orchestration/implementation-log.md",
        "## Files Created\n#FILE_CREATED: src/b.ts (2 lines)\n\n## Files Modified\n#FILE_MODIFIED: src/a.ts\n  Lines affected: 1-2\n",
    );
    git(root, &["commit", "-qam", "more"]);
    let new = tagls(
        root,
        &[
            "check",
            "--no-cache",
            "--since",
            "main",
            "--new-only",
            "--format",
            "json",
        ],
    );
    assert_eq!(new.status.code(), Some(1));
    let doc: Value = serde_json::from_slice(&new.stdout).unwrap();
    let blocking: Vec<(&str, &str)> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["gate"] == "BLOCKED")
        .map(|f| (f["path"].as_str().unwrap(), f["code"].as_str().unwrap()))
        .collect();
    assert_eq!(blocking, [("src/b.ts", "missing-path")], "{doc:#}");
    // The same assumption a second time in a.ts: the second is new, and its
    // SARIF fingerprint is the one the full report gives it (the second
    // occurrence), not that of the first, which code scanning already has.
    write(
        root,
        "src/a.ts",
        "// A header.\n\n// #COMPLETION_DRIVE: Assuming src/gone.ts exists\nexport {}\n// #COMPLETION_DRIVE: Assuming src/gone.ts exists\n",
    );
    git(root, &["commit", "-qam", "again"]);
    let prints = |extra: &[&str]| -> Vec<String> {
        let mut args = vec![
            "check",
            "--no-cache",
            "--since",
            "main",
            "--format",
            "sarif",
        ];
        args.extend_from_slice(extra);
        let doc: Value = serde_json::from_slice(&tagls(root, &args).stdout).unwrap();
        doc["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| {
                r["ruleId"] == "missing-path"
                    && r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                        == "src/a.ts"
            })
            .map(|r| {
                r["partialFingerprints"]["tagls/v1"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect()
    };
    let full = prints(&[]);
    assert_eq!(full.len(), 2);
    assert_ne!(full[0], full[1]);
    let new = prints(&["--new-only"]);
    assert_eq!(new.len(), 1);
    assert!(
        full.contains(&new[0]) && new[0].ends_with(":2"),
        "{full:?} {new:?}"
    );

    // A line the change edits is touched: its finding counts, though what it
    // names is the same.
    write(
        root,
        "src/a.ts",
        "// A header.\n\n// #COMPLETION_DRIVE: Assuming src/gone.ts exists, for now\nexport {}\n// #COMPLETION_DRIVE: Assuming src/gone.ts exists\n",
    );
    git(root, &["commit", "-qam", "touched"]);
    assert_eq!(prints(&["--new-only"]).len(), 2);

    // Nothing was written into the workspace, and --new-only needs --since.
    assert_eq!(git(root, &["status", "--porcelain", "--ignored"]), "");
    let usage = tagls(root, &["check", "--new-only"]);
    assert_eq!(usage.status.code(), Some(2));
    // Nor is it when the temporary folder is inside the workspace.
    std::fs::create_dir_all(root.join("tmp")).unwrap();
    let inside = Command::new(bin())
        .args(["check", "--no-cache", "--since", "main", "--new-only"])
        .current_dir(root)
        .env("TMPDIR", root.join("tmp"))
        .output()
        .unwrap();
    assert_eq!(inside.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&inside.stderr).contains("set TMPDIR to a folder outside it"),
        "{}",
        String::from_utf8_lossy(&inside.stderr)
    );
    assert_eq!(std::fs::read_dir(root.join("tmp")).unwrap().count(), 0);
}

/// Files as arguments, as commit hooks pass them: their workspace is
/// checked whole, and the findings in them or about them count.
#[test]
fn files_as_arguments_gate_on_what_they_touch() {
    let ws = tempfile::tempdir().unwrap();
    let root = ws.path();
    std::fs::create_dir_all(root.join(".git")).unwrap();
    write(
        root,
        "src/a.ts",
        "// #COMPLETION_DRIVE: Assuming src/b.ts exists\nexport {}\n",
    );
    write(root, "src/b.ts", "export {}\n");
    write(
        root,
        "src/c.ts",
        "// #COMPLETION_DRIVE: Assuming src/gone.ts exists\nexport {}\n",
    );
    write(
        root,
        ".orchestration/implementation-log.md",
        "## Files Created\n#FILE_CREATED: src/b.ts (9 lines)\n",
    );
    let codes = |args: &[&str], dir: &Path| -> (Option<i32>, Vec<(String, String)>) {
        let mut all = vec!["check", "--no-cache", "--format", "json"];
        all.extend_from_slice(args);
        let out = tagls(dir, &all);
        let doc: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
        let mut found: Vec<(String, String)> = doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["gate"] == "BLOCKED")
            .map(|f| {
                (
                    f["path"].as_str().unwrap().into(),
                    f["code"].as_str().unwrap().into(),
                )
            })
            .collect();
        found.sort();
        (out.status.code(), found)
    };
    let log = ".orchestration/implementation-log.md".to_owned();
    // The whole workspace: the missing path in c.ts and the false claim.
    let (status, all) = codes(&[], root);
    assert_eq!(status, Some(1));
    assert_eq!(
        all,
        [
            (log.clone(), "false-claim".to_owned()),
            ("src/c.ts".to_owned(), "missing-path".to_owned())
        ]
    );
    // a.ts: nothing in it or about it blocks.
    assert_eq!(codes(&["src/a.ts"], root), (Some(0), vec![]));
    // Its PASSED does not make the workspace's cleanup due.
    let cleanup = |args: &[&str]| {
        let mut all = vec!["check", "--no-cache", "--format", "json"];
        all.extend_from_slice(args);
        let doc: Value = serde_json::from_slice(&tagls(root, &all).stdout).unwrap();
        doc["cleanup"].as_array().unwrap().len()
    };
    assert!(cleanup(&[]) > 0);
    assert_eq!(cleanup(&["src/a.ts"]), 0);
    // b.ts: the log's claim about it, from a folder below the root too.
    assert_eq!(
        codes(&["b.ts"], &root.join("src")),
        (Some(1), vec![(log.clone(), "false-claim".to_owned())])
    );
    // c.ts, and the log itself.
    assert_eq!(
        codes(&["src/c.ts"], root).1,
        [("src/c.ts".to_owned(), "missing-path".to_owned())]
    );
    assert_eq!(
        codes(&[log.as_str()], root).1,
        [(log.clone(), "false-claim".to_owned())]
    );
    // A file and its workspace's folder: the folder wins.
    assert_eq!(codes(&["src/a.ts", "."], root).1, all);
    // A file that is not there is a usage error.
    assert_eq!(
        tagls(root, &["check", "src/nope.ts"]).status.code(),
        Some(2)
    );
}

/// Every `uses:` step of the example workflow, and the keys a step reads.
#[test]
fn the_example_workflow_is_valid_and_complete() {
    use yaml_rust2::{Yaml, YamlLoader};
    let text = std::fs::read_to_string(repo().join("examples/ci/github-actions.yml")).unwrap();
    let docs = YamlLoader::load_from_str(&text).unwrap();
    assert_eq!(docs.len(), 1);
    let wf = &docs[0];
    assert!(wf["name"].as_str().is_some());
    assert!(!wf["on"].is_badvalue(), "no trigger");
    assert_eq!(
        wf["permissions"]["security-events"].as_str(),
        Some("write"),
        "upload-sarif needs security-events: write"
    );
    let jobs = wf["jobs"].as_hash().unwrap();
    assert!(!jobs.is_empty());
    let mut uses = Vec::new();
    let mut runs = Vec::new();
    for (_, job) in jobs {
        assert!(job["runs-on"].as_str().is_some());
        for step in job["steps"].as_vec().unwrap() {
            if let Some(u) = step["uses"].as_str() {
                uses.push((u.split('@').next().unwrap().to_owned(), step.clone()));
                assert!(u.contains('@'), "{u} is not pinned");
            }
            if let Some(r) = step["run"].as_str() {
                runs.push(r.to_owned());
            }
        }
    }
    let step = |name: &str| -> &Yaml {
        &uses
            .iter()
            .find(|(u, _)| u == name)
            .unwrap_or_else(|| panic!("no {name} step"))
            .1
    };
    assert_eq!(
        step("actions/checkout")["with"]["fetch-depth"].as_i64(),
        Some(0)
    );
    let cache = uses
        .iter()
        .filter(|(u, _)| u == "actions/cache")
        .map(|(_, s)| &s["with"])
        .find(|w| {
            w["path"]
                .as_str()
                .is_some_and(|p| p.contains("tagls-cache"))
        })
        .expect("a cache step keeps the scan cache");
    assert!(cache["key"].as_str().is_some() && cache["restore-keys"].as_str().is_some());
    let upload = &step("github/codeql-action/upload-sarif")["with"];
    assert_eq!(upload["sarif_file"].as_str(), Some("tagls.sarif"));
    assert!(upload["category"].as_str().is_some());
    let all = runs.join("\n");
    assert!(all.contains("cargo install"), "{all}");
    assert!(
        all.contains("tagls check") && all.contains("--format sarif"),
        "{all}"
    );
    assert!(all.contains("> tagls.sarif"), "{all}");
    assert_eq!(
        step("github/codeql-action/upload-sarif")["if"].as_str(),
        Some("always()")
    );
    assert!(
        all.contains("--new-only") && all.contains("--since"),
        "{all}"
    );
    // The cache folder the steps use is the one the cache step keeps.
    let env = &wf["env"]["TAGLS_CACHE_DIR"];
    assert!(env.as_str().unwrap().contains("tagls-cache"), "{env:?}");

    // The steps' scripts, run as a runner runs them (`bash -e`), on a pull
    // request whose base is main: the SARIF is written and valid, and the
    // gate fails on the missing path the pull request adds.
    let script = |name: &str| -> (String, Vec<(String, String)>) {
        let (_, job) = jobs.iter().next().unwrap();
        let step = job["steps"]
            .as_vec()
            .unwrap()
            .iter()
            .find(|s| s["name"].as_str() == Some(name))
            .unwrap_or_else(|| panic!("no step {name}"));
        let env = step["env"]
            .as_hash()
            .map(|h| {
                h.iter()
                    .map(|(k, v)| {
                        (
                            k.as_str().unwrap().to_owned(),
                            v.as_str().unwrap().to_owned(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        (step["run"].as_str().unwrap().to_owned(), env)
    };
    let ws = tempfile::tempdir().unwrap();
    let root = ws.path();
    git(root, &["init", "-q", "-b", "main"]);
    write(root, "src/a.ts", "export {}\n");
    git(root, &["add", "."]);
    git(root, &["commit", "-qm", "base"]);
    git(root, &["update-ref", "refs/remotes/origin/main", "main"]);
    git(root, &["checkout", "-q", "-b", "work"]);
    write(
        root,
        "src/b.ts",
        "// #COMPLETION_DRIVE: Assuming src/gone.ts exists\nexport {}\n",
    );
    write(
        root,
        ".orchestration/implementation-log.md",
        "## Files Created\n#FILE_CREATED: src/b.ts (2 lines)\n",
    );
    git(root, &["add", "."]);
    git(root, &["commit", "-qm", "work"]);
    let cache = tempfile::tempdir().unwrap();
    let path = std::env::join_paths(
        std::iter::once(bin().parent().unwrap().to_path_buf()).chain(std::env::split_paths(
            &std::env::var_os("PATH").unwrap_or_default(),
        )),
    )
    .unwrap();
    let run_step = |name: &str| -> Output {
        let (run, env) = script(name);
        let mut c = Command::new("bash");
        c.args(["-e", "-c", &run])
            .current_dir(root)
            .env("PATH", &path)
            .env("TAGLS_CACHE_DIR", cache.path());
        for (k, v) in env {
            // `${{ github.base_ref }}` on a pull request against main.
            let v = v.replace("${{ github.base_ref }}", "main");
            c.env(k, v);
        }
        c.output().unwrap()
    };
    let sarif = run_step("tagls check (SARIF)");
    assert!(
        sarif.status.success(),
        "{}",
        String::from_utf8_lossy(&sarif.stderr)
    );
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("tagls.sarif")).unwrap()).unwrap();
    let errors: Vec<String> = sarif_validator()
        .iter_errors(&doc)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    assert!(
        doc["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["ruleId"] == "missing-path"),
        "{doc:#}"
    );
    std::fs::remove_file(root.join("tagls.sarif")).unwrap();
    let gate = run_step("tagls gate");
    let said = String::from_utf8_lossy(&gate.stdout);
    assert_eq!(gate.status.code(), Some(1), "{said}");
    assert!(said.contains("src/gone.ts does not exist"), "{said}");
    assert!(
        std::fs::read_dir(cache.path()).unwrap().count() > 0,
        "no scan cache kept"
    );
}
