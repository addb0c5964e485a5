//! `tagls check`, `tagls report` and `tagls log` as a user runs them: the
//! built binary, real files, exit codes, and output validated against its
//! schemas (the official one for SARIF).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

pub(crate) fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_tagls"))
}

pub(crate) fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn tagls(dir: &Path, args: &[&str]) -> Output {
    Command::new(bin())
        .args(args)
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .output()
        .unwrap()
}

pub(crate) fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

const GOOD_LOG: &str = "## Files Created\n#FILE_CREATED: src/a.ts (2 lines)\n";

/// One workspace per verdict, and the exit status of each.
#[test]
fn exit_status_follows_the_verdict() {
    // No tags and no log: nothing to verify.
    let empty = tempfile::tempdir().unwrap();
    write(empty.path(), "src/a.ts", "export const a = 1\n");
    let out = tagls(empty.path(), &["check"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .starts_with("verdict: PASSED (no tags and no claims: nothing to verify)\n")
    );

    // Everything resolves.
    let passed = tempfile::tempdir().unwrap();
    write(
        passed.path(),
        "src/a.ts",
        "// #COMPLETION_DRIVE: Assuming src/b.ts exists\nexport {}\n",
    );
    write(passed.path(), "src/b.ts", "export {}\n");
    write(
        passed.path(),
        ".orchestration/implementation-log.md",
        GOOD_LOG,
    );
    let out = tagls(passed.path(), &["check"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.starts_with("verdict: PASSED (every claim holds and every reference resolves)\n"),
        "{stdout}"
    );

    // An assumption that names nothing checkable: a person must look.
    let conditional = tempfile::tempdir().unwrap();
    write(
        conditional.path(),
        "src/a.ts",
        "// #COMPLETION_DRIVE: Assuming the API returns {token, user}\nexport {}\n",
    );
    write(
        conditional.path(),
        ".orchestration/implementation-log.md",
        GOOD_LOG,
    );
    let out = tagls(conditional.path(), &["check"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "{stdout}");
    assert!(
        stdout.contains("verdict: CONDITIONAL (1 assumption(s) naming nothing checkable)"),
        "{stdout}"
    );

    // A false claim blocks.
    let blocked = tempfile::tempdir().unwrap();
    write(
        blocked.path(),
        "src/a.ts",
        "// #CARGO_CULT: copied\nexport {}\n",
    );
    write(
        blocked.path(),
        ".orchestration/implementation-log.md",
        "#FILE_CREATED: src/a.ts (156 lines)\n",
    );
    let out = tagls(blocked.path(), &["check"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.starts_with("verdict: BLOCKED (1 false claim(s))\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("\n.orchestration/implementation-log.md\n  1:16: error[false-claim] BLOCKS: src/a.ts has 2 lines, not 156\n"),
        "{stdout}"
    );
    // The one-line form keeps the compiler-style line problem matchers read.
    let out = tagls(blocked.path(), &["check", "--format", "short"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains(".orchestration/implementation-log.md:1:16: error[false-claim]: src/a.ts has 2 lines, not 156\n"),
        "{stdout}"
    );
    assert!(
        stdout.ends_with("verdict: BLOCKED (1 false claim(s))\n"),
        "{stdout}"
    );

    // Tags in code but no log at all blocks too.
    let nolog = tempfile::tempdir().unwrap();
    write(nolog.path(), "main.py", "# #CARGO_CULT: copied\n");
    let out = tagls(nolog.path(), &["check"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("error[missing-log]"));

    // Usage errors and unreadable input.
    let out = tagls(empty.path(), &["check", "does-not-exist"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "tagls: does-not-exist: no such file or directory\n"
    );
    assert_eq!(
        tagls(empty.path(), &["check", "--format", "yaml"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(tagls(empty.path(), &["frobnicate"]).status.code(), Some(2));
}

#[test]
fn help_documents_the_verdicts_and_exit_statuses() {
    let out = tagls(&repo(), &["check", "--help"]);
    let help = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0));
    for needle in [
        "0 PASSED, 1 BLOCKED, 3 CONDITIONAL, 2 usage errors",
        "--format <FORMAT>",
        "sarif",
        "NO_COLOR",
    ] {
        assert!(help.contains(needle), "{needle}: {help}");
    }
}

fn validator(schema_path: &Path) -> jsonschema::Validator {
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(schema_path).unwrap()).unwrap();
    jsonschema::validator_for(&schema).unwrap()
}

fn assert_valid(v: &jsonschema::Validator, doc: &Value) {
    let errors: Vec<String> = v
        .iter_errors(doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}\n{doc:#}");
}

#[test]
fn json_output_matches_its_schema() {
    let out = tagls(&repo(), &["check", "examples/demo", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_valid(
        &validator(&repo().join("docs/check-output.schema.json")),
        &doc,
    );
    assert_eq!(doc["verdict"], "BLOCKED");
    let missing = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "missing-path")
        .unwrap();
    assert_eq!(missing["path"], "src/api/routes/auth.ts");
    assert_eq!(
        (missing["line"].as_u64(), missing["column"].as_u64()),
        (Some(6), Some(62))
    );
    assert_eq!(
        (missing["end_line"].as_u64(), missing["end_column"].as_u64()),
        (Some(6), Some(86))
    );
    assert_eq!(missing["tag"], "COMPLETION_DRIVE");
    assert_eq!(missing["gate"], "BLOCKED");
    assert_eq!(doc["summary"]["families"]["assumption"], 6);
}

#[test]
fn sarif_output_is_valid_sarif_2_1_0() {
    let out = tagls(&repo(), &["check", "examples/demo", "--format", "sarif"]);
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_valid(
        &validator(&repo().join("tests/fixtures/sarif/sarif-2.1.0.json")),
        &doc,
    );
    let results = doc["runs"][0]["results"].as_array().unwrap();
    let missing = results
        .iter()
        .find(|r| r["ruleId"] == "missing-path")
        .unwrap();
    assert_eq!(missing["level"], "warning");
    assert_eq!(
        missing["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "src/api/routes/auth.ts"
    );
    assert_eq!(
        missing["locations"][0]["physicalLocation"]["region"]["startLine"],
        6
    );
    let rules = doc["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    assert_eq!(
        rules[missing["ruleIndex"].as_u64().unwrap() as usize]["id"],
        "missing-path"
    );
}

/// Colour only on a terminal, never with NO_COLOR: run under `script`,
/// which gives the command a real pseudo-terminal.
#[test]
fn colour_only_on_a_terminal_and_never_with_no_color() {
    let run = |no_color: bool| {
        // stderr (progress) goes elsewhere: only stdout is on the terminal.
        let cmd = format!("{} check examples/demo 2>/dev/null", bin().display());
        let mut c = Command::new("script");
        c.args(["-qec", &cmd, "/dev/null"])
            .current_dir(repo())
            .env("TERM", "xterm-256color")
            .env_remove("CLICOLOR_FORCE")
            .env_remove("CLICOLOR");
        if no_color {
            c.env("NO_COLOR", "1");
        } else {
            c.env_remove("NO_COLOR");
        }
        String::from_utf8_lossy(&c.output().unwrap().stdout).into_owned()
    };
    let coloured = run(false);
    // The verdict and the blocking marker in bold red.
    assert!(
        coloured.contains("verdict: \x1b[1m\x1b[31mBLOCKED\x1b[0m"),
        "{coloured}"
    );
    assert!(
        coloured.contains("\x1b[1m\x1b[31mBLOCKS\x1b[0m"),
        "{coloured}"
    );
    assert!(!run(true).contains('\x1b'));
    // Piped, as in CI: no colour either.
    assert!(
        !String::from_utf8_lossy(&tagls(&repo(), &["check", "examples/demo"]).stdout)
            .contains('\x1b')
    );
}

#[test]
fn report_writes_the_method_structure() {
    let ws = tempfile::tempdir().unwrap();
    let root = ws.path();
    write(
        root,
        "src/a.ts",
        "// #COMPLETION_DRIVE: Assuming src/gone.ts exists\nexport {}\n",
    );
    write(
        root,
        "worker.py",
        "# #CANNOT_VERIFY_WITHOUT_RUNTIME: needs the queue running\n",
    );
    write(
        root,
        ".orchestration/implementation-log.md",
        "## Files Created\n#FILE_CREATED: src/a.ts (2 lines)\n  Verification: grep \"export\" src/a.ts\n",
    );
    let out = tagls(root, &["report"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        ".orchestration/verification-report.md: BLOCKED (1 missing path(s))\n"
    );
    let report =
        std::fs::read_to_string(root.join(".orchestration/verification-report.md")).unwrap();
    let order: Vec<usize> = [
        "- Timestamp: ",
        "## Summary",
        "## Commands Run",
        "## Failed Verifications",
        "## Runtime-Only Items",
        "## Manual Items",
        "## Verified",
        "## Suggestions and Potential Issues",
        "## Tag Cleanup",
        "## Verdict",
    ]
    .iter()
    .map(|h| {
        report
            .find(h)
            .unwrap_or_else(|| panic!("{h} missing:\n{report}"))
    })
    .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{report}");
    assert!(report.contains("### src/a.ts:1 [missing-path]\n\n- Claim: `src/gone.ts`\n- Found: src/gone.ts does not exist in the workspace\n- Check: `ls -d src/gone.ts`\n- Fix: Create src/gone.ts, correct the path, or drop the assumption.\n"), "{report}");
    // A runtime-only item, in its own section.
    let runtime = &report
        [report.find("## Runtime-Only Items").unwrap()..report.find("## Manual Items").unwrap()];
    assert!(runtime.contains("### worker.py:1 [verdict]"), "{runtime}");
    assert!(
        report.contains("## Commands Run\n\n- `grep \"export\" src/a.ts` (.orchestration/implementation-log.md:3): passed\n"),
        "{report}"
    );
    assert!(
        report.contains("## Tag Cleanup\n\nNot yet: the method cleans up only after PASSED; 2 tags will be removed then.\n"),
        "{report}"
    );
    assert!(report.contains("| verdict | **BLOCKED** |"), "{report}");
    assert!(
        report.ends_with("## Verdict\n\n**BLOCKED**: 1 missing path(s).\n"),
        "{report}"
    );
    let verified = &report[report.find("## Verified").unwrap()..report.find("## Verdict").unwrap()];
    assert!(verified.contains("src/a.ts"), "{verified}");
}

/// 20 `tagls log` processes at once against one log: every entry arrives,
/// whole, and nothing that was there is lost.
#[test]
fn twenty_parallel_log_commands_lose_nothing() {
    let ws = tempfile::tempdir().unwrap();
    let root = ws.path();
    let prefix = "# Implementation Log\n\nnotes kept by hand\n";
    write(root, ".orchestration/implementation-log.md", prefix);
    for i in 0..20 {
        write(root, &format!("src/f{i}.ts"), &"x\n".repeat(i + 1));
    }
    let children: Vec<_> = (0..20)
        .map(|i| {
            Command::new(bin())
                .args([
                    "log",
                    "created",
                    &format!("src/f{i}.ts"),
                    "--description",
                    &format!("file number {i}"),
                ])
                .current_dir(root)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let log = std::fs::read_to_string(root.join(".orchestration/implementation-log.md")).unwrap();
    assert!(log.starts_with(prefix), "{log}");
    for i in 0..20 {
        let entry = format!(
            "#FILE_CREATED: src/f{i}.ts ({} line{})\n  Description: file number {i}\n  Purpose:\n",
            i + 1,
            if i == 0 { "" } else { "s" }
        );
        assert_eq!(log.matches(&entry).count(), 1, "{entry}\n{log}");
    }
    assert_eq!(log.matches("## Files Created").count(), 1);
}

#[test]
fn log_modified_uses_git_or_takes_lines() {
    let ws = tempfile::tempdir().unwrap();
    let root = ws.path();
    write(root, "src/m.go", "package m\n\nfunc A() {}\n");
    let git = |args: &[&str]| {
        let ok = Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@t"])
            .args(args)
            .current_dir(root)
            .output()
            .unwrap();
        assert!(ok.status.success());
    };
    git(&["init", "-q"]);
    git(&["add", "."]);
    git(&["commit", "-qm", "base"]);
    write(
        root,
        "src/m.go",
        "package m\n\nfunc A() {}\n\nfunc B() {}\n",
    );
    let out = tagls(root, &["log", "modified", "src/m.go"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "logged #FILE_MODIFIED: src/m.go in .orchestration/implementation-log.md\n"
    );
    let log = std::fs::read_to_string(root.join(".orchestration/implementation-log.md")).unwrap();
    assert!(
        log.contains("#FILE_MODIFIED: src/m.go\n  Lines affected: 4-5\n"),
        "{log}"
    );

    // Outside git, the lines must be given.
    let plain = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(plain.path().join(".orchestration")).unwrap();
    write(plain.path(), "a.py", "x = 1\n");
    let out = tagls(plain.path(), &["log", "modified", "a.py"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("pass --lines"));
    let out = tagls(plain.path(), &["log", "modified", "a.py", "--lines", "1"]);
    assert!(out.status.success());
}

/// `tagls log` finds the root of a file the way editors without a root do
/// (`workspace::root::find_root`): here the folder with `.tagls.toml`, the
/// only marker, whichever folder the command runs in.
#[test]
fn log_created_finds_the_root_by_its_tagls_toml() {
    let ws = tempfile::tempdir().unwrap();
    let root = ws.path().canonicalize().unwrap();
    write(&root, ".tagls.toml", "");
    write(&root, "src/deep/a.ts", "x\n");
    let out = tagls(&root.join("src"), &["log", "created", "deep/a.ts"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let log = std::fs::read_to_string(root.join(".orchestration/implementation-log.md")).unwrap();
    assert!(
        log.contains("#FILE_CREATED: src/deep/a.ts (1 line)\n"),
        "{log}"
    );
    assert!(!root.join("src/.orchestration").exists());
}

/// `tagls check` with its scan cache in `cache`.
fn check_json(dir: &Path, cache: &Path, extra: &[&str]) -> String {
    let out = Command::new(bin())
        .args(["check", "--format", "json"])
        .args(extra)
        .arg(".")
        .current_dir(dir)
        .env("TAGLS_CACHE_DIR", cache)
        .output()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 1 | 3)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Sets a file's modification time.
fn set_mtime(path: &Path, at: std::time::SystemTime) {
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(at)
        .unwrap();
}

/// Writes a file and puts its modification time back as it was.
fn write_keeping_mtime(root: &Path, rel: &str, text: &str) {
    let before = std::fs::metadata(root.join(rel))
        .unwrap()
        .modified()
        .unwrap();
    write(root, rel, text);
    set_mtime(&root.join(rel), before);
}

/// Files unchanged since the last check, by size, modification time and
/// inode, are not read again; a change that leaves them as they were is
/// missed only when the modification time is set back to one well before
/// that check, as for git's index. A file written in the same second as the
/// check is always read again.
#[test]
fn the_scan_cache_trusts_old_modification_times_only() {
    let ws = tempfile::tempdir().unwrap();
    let root = ws.path();
    write(root, "src/plain.ts", "export const a = 1;\n");
    write(
        root,
        "src/tagged.ts",
        "// #CARGO_CULT: copied from src/missing.ts\n",
    );
    write(root, ".orchestration/implementation-log.md", GOOD_LOG);
    let hour = std::time::Duration::from_secs(3600);
    for f in ["src/plain.ts", "src/tagged.ts"] {
        set_mtime(&root.join(f), std::time::SystemTime::now() - hour);
    }
    let cache = tempfile::tempdir().unwrap();
    let first = check_json(root, cache.path(), &[]);
    assert!(
        first.contains("src/missing.ts") && !first.contains("\"tag\": \"VERIFIED\""),
        "{first}"
    );

    // Same size, the old modification time put back: trusted, not read.
    let same_size = "// #VERIFIED: copy.\n";
    assert_eq!(same_size.len(), "export const a = 1;\n".len());
    write_keeping_mtime(root, "src/plain.ts", same_size);
    assert_eq!(check_json(root, cache.path(), &[]), first);
    // `--no-cache` reads everything.
    let nocache = tempfile::tempdir().unwrap();
    let fresh = check_json(root, nocache.path(), &["--no-cache"]);
    assert!(fresh.contains("\"tag\": \"VERIFIED\""), "{fresh}");

    // Any other change of size, time or file is seen.
    set_mtime(
        &root.join("src/plain.ts"),
        std::time::SystemTime::now() - hour / 2,
    );
    assert_eq!(check_json(root, cache.path(), &[]), fresh);

    // A change in the same clock tick as the check that read the file
    // (here: the modification time of a file written just before that
    // check, put back after an edit of the same size) is seen too.
    write(root, "src/plain.ts", "export const a = 1;\n");
    assert_eq!(check_json(root, cache.path(), &[]), first);
    write_keeping_mtime(root, "src/plain.ts", same_size);
    assert_eq!(check_json(root, cache.path(), &[]), fresh);
}

/// A file unchanged since the last check is not read: its tags are scanned
/// from the lines the cache kept, and its findings land on the same lines
/// and columns as a full parse puts them, whatever the line breaks and
/// characters before them.
#[test]
fn an_unchanged_file_is_checked_from_the_lines_the_cache_kept() {
    let ws = tempfile::tempdir().unwrap();
    let root = ws.path();
    let files = [
        (
            "src/mixed.ts",
            "import x from 'y';\r\nconst s = \"😀é\"; // #COMPLETION_DRIVE: Assuming src/gone-1.ts exists\r\n\
             \r\n\r\nconst a = 1;\r\n/* #CARGO_CULT: copied from\r\n   src/gone-2.ts */ const b = 2;\r\n\
             // #PATTERN_CONFLICT: one\r\n\r\n// Why: not the same block\r\n\
             // tagls: ignore-next-line\r\nconst k = process.env.UNSET_A;\r\n\
             const j = process.env.UNSET_B;\r\n// #COMPLETION_DRIVE: Assuming src/gone-3.ts exists",
        ),
        (
            "src/cr.py",
            "import os\rx = 1\r# #COMPLETION_DRIVE: Assuming src/gone-4.py exists\r\
             y = os.environ[\"UNSET_C\"]\r\r\r# tagls: ignore-next-line\r# #CARGO_CULT: src/gone-5.py\r",
        ),
        (
            "src/env_only.go",
            "package m\n\nimport \"os\"\n\n// ĉu? 🙂\nvar v = /* 🙂 */ os.Getenv(\"UNSET_D\")\n",
        ),
    ];
    for (rel, text) in files {
        write(root, rel, text);
    }
    write(root, ".env.example", "DECLARED=1\n");
    write(root, ".orchestration/implementation-log.md", GOOD_LOG);
    let hour = std::time::Duration::from_secs(3600);
    for (rel, _) in files {
        set_mtime(&root.join(rel), std::time::SystemTime::now() - hour);
    }
    let cache = tempfile::tempdir().unwrap();
    let first = check_json(root, cache.path(), &[]);
    for found in ["gone-1", "gone-3", "gone-4", "gone-5", "UNSET_B", "UNSET_D"] {
        assert!(first.contains(found), "{first}");
    }
    // Silenced by `tagls: ignore-next-line`.
    assert!(!first.contains("UNSET_A"), "{first}");
    let nocache = tempfile::tempdir().unwrap();
    assert_eq!(check_json(root, nocache.path(), &["--no-cache"]), first);

    // Blanked out, same size, same modification time: what the check finds
    // now comes from the cache alone, and is the same to the byte.
    for (rel, text) in files {
        write_keeping_mtime(root, rel, &" ".repeat(text.len()));
    }
    assert_eq!(check_json(root, cache.path(), &[]), first);
    assert_eq!(check_json(root, cache.path(), &[]), first);
    let fresh = check_json(root, nocache.path(), &["--no-cache"]);
    assert!(!fresh.contains("gone-1"), "{fresh}");
}

/// What a check reported for an unchanged file is kept, and used only while
/// nothing it was resolved against has changed: after each change below a
/// check with the cache answers as one without it.
#[test]
fn findings_kept_in_the_cache_follow_every_change_they_depend_on() {
    let ws = tempfile::tempdir().unwrap();
    let root = ws.path();
    write(
        root,
        "src/a.ts",
        "// #COMPLETION_DRIVE: Assuming src/later.ts exists\n\
         // #COMPLETION_DRIVE: Assuming the helper @app/util.ts exists\n\
         export const k = process.env.LATER_VAR;\n",
    );
    // Resolved on the disk (the walk does not enter node_modules): never kept.
    write(
        root,
        "src/b.ts",
        "// #COMPLETION_DRIVE: Assuming the vendored node_modules/pkg/index.js\n",
    );
    write(root, "src/lib/util.ts", "export {};\n");
    write(
        root,
        "tsconfig.json",
        r#"{ "compilerOptions": { "baseUrl": ".", "paths": { "@app/*": ["src/*"] } } }"#,
    );
    write(root, ".env.example", "OTHER=1\n");
    write(root, ".tagls.toml", "# nothing set\n");
    write(root, ".orchestration/implementation-log.md", GOOD_LOG);
    let hour = std::time::Duration::from_secs(3600);
    for f in ["src/a.ts", "src/b.ts"] {
        set_mtime(&root.join(f), std::time::SystemTime::now() - hour);
    }
    let cache = tempfile::tempdir().unwrap();
    let nocache = tempfile::tempdir().unwrap();
    // With the cache (twice: the second run uses what the first kept), and
    // without it.
    let check = || {
        let fresh = check_json(root, nocache.path(), &["--no-cache"]);
        assert_eq!(check_json(root, cache.path(), &[]), fresh);
        assert_eq!(check_json(root, cache.path(), &[]), fresh);
        fresh
    };
    let gone = |path: &str| format!("{path} does not exist in the workspace");
    let unset = "LATER_VAR is read here but it is not in";
    let out = check();
    for missing in ["src/later.ts", "@app/util.ts", "node_modules/pkg/index.js"] {
        assert!(out.contains(&gone(missing)), "{missing}: {out}");
    }
    assert!(out.contains(unset), "{out}");

    // A file appears: the paths the walk finds change.
    write(root, "src/later.ts", "export {};\n");
    assert!(!check().contains(&gone("src/later.ts")));
    // The env file defines the variable.
    write(root, ".env.example", "OTHER=1\nLATER_VAR=2\n");
    assert!(!check().contains(unset));
    // The alias now points where the file is.
    write(
        root,
        "tsconfig.json",
        r#"{ "compilerOptions": { "baseUrl": ".", "paths": { "@app/*": ["src/lib/*"] } } }"#,
    );
    assert!(!check().contains(&gone("@app/util.ts")));
    // A folder the walk does not enter: the answer came from the disk.
    write(root, "node_modules/pkg/index.js", "module.exports = {};\n");
    assert!(!check().contains(&gone("node_modules/pkg/index.js")));
    // The settings (the same file, so the same paths).
    let before = check();
    assert!(before.contains("assumption"), "{before}");
    write(root, ".tagls.toml", "[families]\nassumption = \"off\"\n");
    let after = check();
    assert_ne!(after, before);
    assert!(!after.contains("Assuming src/later.ts"), "{after}");
}

/// The scan cache saves parsing and nothing else: a check answers the same
/// with it, without it, after an edit, and with a broken cache.
#[test]
fn the_scan_cache_changes_nothing_but_the_time() {
    let ws = tempfile::tempdir().unwrap();
    let root = ws.path();
    write(
        root,
        "src/a.ts",
        "// #COMPLETION_DRIVE: Assuming src/b.ts exists\n//   Why: the router\n\
         const c = '#FFFFFF'; // #CARGO_CULT: copied from src/missing.ts\n\
         export const k = process.env.API_KEY ?? process.env.DECLARED;\n",
    );
    write(
        root,
        "src/b.ts",
        "/* #PATTERN_CONFLICT: two styles */ export {}\n",
    );
    write(
        root,
        "cmd/main.go",
        "package main\n\nimport \"os\"\n\n// #SUGGEST_ERROR_HANDLING: check it\nfunc main() { _ = os.Getenv(\"GO_VAR\") }\n",
    );
    write(
        root,
        "app.py",
        "import os\n# #COMPLETION_DRIVE: Assuming config.py exists\nx = os.environ.get(\"PY_VAR\")\n",
    );
    write(root, ".env.example", "DECLARED=\n");
    write(root, ".orchestration/implementation-log.md", GOOD_LOG);

    let cache = tempfile::tempdir().unwrap();
    let nocache = tempfile::tempdir().unwrap();
    let fresh = || check_json(root, nocache.path(), &["--no-cache"]);
    let first = check_json(root, cache.path(), &[]);
    assert!(
        first.contains("undeclared-env") && first.contains("missing-path"),
        "{first}"
    );
    assert_eq!(first, fresh());
    // --no-cache neither reads nor writes one.
    assert_eq!(std::fs::read_dir(nocache.path()).unwrap().count(), 0);
    let files: Vec<PathBuf> = std::fs::read_dir(cache.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let kept = String::from_utf8_lossy(&std::fs::read(&files[0]).unwrap()).into_owned();
    assert!(
        kept.contains("src/a.ts") && kept.contains("API_KEY"),
        "{kept}"
    );
    assert_eq!(check_json(root, cache.path(), &[]), first);

    // An edit is seen: new tag, other env reads, a tag removed elsewhere.
    write(
        root,
        "src/a.ts",
        "export const k = process.env.OTHER_KEY;\n// #FILE_NOT_REAL: typo of a tag\n",
    );
    write(root, "src/b.ts", "export {}\n");
    let edited = check_json(root, cache.path(), &[]);
    assert_ne!(edited, first);
    assert!(
        edited.contains("OTHER_KEY") && !edited.contains("API_KEY"),
        "{edited}"
    );
    assert_eq!(edited, fresh());

    // A cache damaged anywhere (its entries then fail to decode or do not
    // fit their files), cut short, or not a cache at all, or that cannot be
    // written, is only slower.
    let good = std::fs::read(&files[0]).unwrap();
    for at in (8..good.len()).step_by(good.len() / 24 + 1) {
        let mut bad = good.clone();
        for b in &mut bad[at..(at + 6).min(good.len())] {
            *b = b.wrapping_add(0x5b);
        }
        std::fs::write(&files[0], &bad).unwrap();
        assert_eq!(
            check_json(root, cache.path(), &[]),
            edited,
            "damaged at {at}"
        );
    }
    std::fs::write(&files[0], &good[..good.len() / 2]).unwrap();
    assert_eq!(check_json(root, cache.path(), &[]), edited);
    std::fs::write(&files[0], "{ not a cache").unwrap();
    assert_eq!(check_json(root, cache.path(), &[]), edited);
    let not_a_dir = cache.path().join("a-file");
    std::fs::write(&not_a_dir, "").unwrap();
    assert_eq!(check_json(root, &not_a_dir, &[]), edited);
}

/// A log configured elsewhere (`log = "docs/impl-log.md"`) is the log for
/// every command: `check` asks for it, `report` tells how to look for it,
/// `log` writes to it, and nothing is written at the default path.
#[test]
fn a_configured_log_is_the_log_for_every_command() {
    let ws = tempfile::tempdir().unwrap();
    let root = ws.path();
    write(root, ".tagls.toml", "log = \"docs/impl-log.md\"\n");
    write(
        root,
        "src/a.ts",
        "// #PATH_DECISION: kept simple\nexport {}\n",
    );
    write(root, "src/b.ts", "// #PATH_DECISION: later in path order\n");

    let out = tagls(root, &["check", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "missing log: BLOCKED");
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let missing: Vec<&Value> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "missing-log")
        .collect();
    assert_eq!(missing.len(), 1, "{doc}");
    let f = missing[0];
    assert_eq!(f["path"], "src/a.ts", "on the first tagged file: {f}");
    assert_eq!(
        (f["line"].as_u64(), f["column"].as_u64()),
        (Some(1), Some(4))
    );
    assert_eq!(f["severity"], "error");
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("implementation log docs/impl-log.md is missing"),
        "{f}"
    );
    assert_eq!(f["fix"]["fix"], "create-log");
    assert_eq!(
        f["fix"]["path"].as_str().map(PathBuf::from),
        Some(root.join("docs/impl-log.md"))
    );

    let out = tagls(root, &["report"]);
    assert_eq!(out.status.code(), Some(1));
    let report =
        std::fs::read_to_string(root.join(".orchestration/verification-report.md")).unwrap();
    assert!(
        report.contains("- Check: `ls -l docs/impl-log.md`"),
        "{report}"
    );

    for f in ["src/a.ts", "src/b.ts"] {
        let out = tagls(root, &["log", "created", f]);
        assert!(out.status.success(), "{out:?}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("in docs/impl-log.md"),
            "{out:?}"
        );
    }
    let log = std::fs::read_to_string(root.join("docs/impl-log.md")).unwrap();
    assert!(log.contains("#FILE_CREATED: src/a.ts (2 lines)"), "{log}");
    assert!(!root.join(".orchestration/implementation-log.md").exists());

    let out = tagls(root, &["check"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("verdict: PASSED"), "{text}");
}

/// What `tagls log` writes, `tagls check` reads back as written: a path
/// with a space is one path, a description cannot start a claim of its own,
/// and `--lines` must be line ranges the checker can read.
#[test]
fn the_log_writer_writes_what_the_checker_reads() {
    const LOG: &str = ".orchestration/implementation-log.md";
    let ws = tempfile::tempdir().unwrap();
    let root = ws.path();
    write(root, ".tagls.toml", "");
    write(root, "docs/Release Notes.md", "# Notes\n\nmore\n");
    write(root, "src/a.ts", "export {}\n");
    // The claims `check` reads, and every other finding.
    let codes = |root: &Path| -> (Vec<String>, Vec<String>) {
        let out = tagls(root, &["check", "--format", "json"]);
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| format!("{} {}", f["code"], f["message"]))
            .partition(|f| f.starts_with("\"claim\" "))
    };

    // Twice: the second run updates the entry it wrote.
    for _ in 0..2 {
        let out = tagls(root, &["log", "created", "docs/Release Notes.md"]);
        assert!(out.status.success(), "{out:?}");
    }
    let log = std::fs::read_to_string(root.join(LOG)).unwrap();
    assert_eq!(
        log.matches("#FILE_CREATED: `docs/Release Notes.md` (3 lines)\n")
            .count(),
        1,
        "{log}"
    );
    let (claims, others) = codes(root);
    assert_eq!(claims.len(), 1, "{claims:?}\n{log}");
    assert_eq!(others, Vec::<String>::new(), "{log}");

    // Tag text and a line break in a description stay in the description.
    let out = tagls(
        root,
        &[
            "log",
            "created",
            "src/a.ts",
            "--description",
            "adds a\n#FILE_CREATED: fake.ts (1 lines)\n  Verification: test -f fake.ts #FILE_MODIFIED: b.ts",
        ],
    );
    assert!(out.status.success(), "{out:?}");
    let log = std::fs::read_to_string(root.join(LOG)).unwrap();
    assert_eq!(
        log.lines()
            .filter(|l| l.starts_with("#FILE_CREATED: "))
            .count(),
        2,
        "{log}"
    );
    assert!(
        log.contains("  Description: adds a \\#FILE_CREATED: fake.ts (1 lines)   Verification: test -f fake.ts \\#FILE_MODIFIED: b.ts\n"),
        "{log}"
    );
    let (claims, others) = codes(root);
    assert_eq!(claims.len(), 2, "{claims:?}\n{log}");
    assert_eq!(others, Vec::<String>::new(), "{log}");

    // `--lines` as the checker reads `Lines affected:`.
    let before = std::fs::read_to_string(root.join(LOG)).unwrap();
    for bad in ["most", "10-2", "0", "8, lots", ""] {
        let out = tagls(root, &["log", "modified", "src/a.ts", "--lines", bad]);
        assert_eq!(out.status.code(), Some(2), "{bad}: {out:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("--lines") && stderr.contains("8, 102-115"),
            "{bad}: {stderr}"
        );
    }
    assert_eq!(std::fs::read_to_string(root.join(LOG)).unwrap(), before);
    let out = tagls(root, &["log", "modified", "src/a.ts", "--lines", "1"]);
    assert!(out.status.success(), "{out:?}");
    let (claims, others) = codes(root);
    assert_eq!(claims.len(), 3, "{claims:?}");
    assert_eq!(others, Vec::<String>::new());
}

/// `tagls` run by a shell with the given umask.
fn tagls_with_umask(dir: &Path, umask: &str, args: &[&str]) -> Output {
    Command::new("sh")
        .arg("-c")
        .arg(format!("umask {umask} && exec \"$0\" \"$@\""))
        .arg(bin())
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// A new log and a new report get the mode any new file gets under the
/// umask; an existing one keeps its own.
#[test]
fn new_logs_and_reports_get_the_usual_mode_and_old_ones_keep_theirs() {
    use std::os::unix::fs::PermissionsExt;
    const LOG: &str = ".orchestration/implementation-log.md";
    const REPORT: &str = ".orchestration/verification-report.md";
    let ws = tempfile::tempdir().unwrap();
    let root = ws.path();
    write(root, ".tagls.toml", "");
    write(root, "src/a.ts", "export {}\n");
    for (umask, want) in [("022", 0o644), ("002", 0o664), ("077", 0o600)] {
        let _ = std::fs::remove_file(root.join(LOG));
        let _ = std::fs::remove_file(root.join(REPORT));
        let out = tagls_with_umask(root, umask, &["log", "created", "src/a.ts"]);
        assert!(out.status.success(), "{out:?}");
        assert_eq!(
            mode(&root.join(LOG)),
            want,
            "the new log under umask {umask}"
        );
        let out = tagls_with_umask(root, umask, &["report"]);
        assert_ne!(out.status.code(), Some(2), "{out:?}");
        assert_eq!(
            mode(&root.join(REPORT)),
            want,
            "the new report under umask {umask}"
        );
    }
    // Existing files keep their mode, whatever the umask.
    for (path, kept) in [(LOG, 0o640), (REPORT, 0o604)] {
        std::fs::set_permissions(root.join(path), std::fs::Permissions::from_mode(kept)).unwrap();
    }
    write(root, "src/b.ts", "export {}\n");
    let out = tagls_with_umask(root, "022", &["log", "created", "src/b.ts"]);
    assert!(out.status.success(), "{out:?}");
    let out = tagls_with_umask(root, "022", &["report"]);
    assert_ne!(out.status.code(), Some(2), "{out:?}");
    assert_eq!(mode(&root.join(LOG)), 0o640);
    assert_eq!(mode(&root.join(REPORT)), 0o604);
}

/// `tagls check --no-cache --format json` in `root`: the exit status and the
/// report.
fn check_doc(root: &Path) -> (Option<i32>, Value) {
    let out = tagls(root, &["check", "--no-cache", "--format", "json"]);
    let doc = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code(), doc)
}

/// The codes of the checks a report found, in order; a tag's own finding
/// (its family) is left out.
fn codes_of(doc: &Value) -> Vec<String> {
    checks_of(doc)
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_owned())
        .collect()
}

fn checks_of(doc: &Value) -> Vec<&Value> {
    const FAMILIES: [&str; 6] = [
        "assumption",
        "pattern",
        "suggestion",
        "decision",
        "claim",
        "verdict",
    ];
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| !FAMILIES.contains(&f["code"].as_str().unwrap()))
        .collect()
}

/// One Latin-1 byte in a header does not hide the file's tags from the
/// gate: the text is decoded lossily and checked, as the editor shows it.
#[test]
fn a_file_that_is_not_utf8_is_still_checked() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("src")).unwrap();
    std::fs::write(
        root.join("src/a.ts"),
        b"// Copyright \xa9 2024 Acme\n// #COMPLETION_DRIVE: Assuming src/gone.ts exists\nexport {}\n",
    )
    .unwrap();
    write(
        root,
        ".orchestration/implementation-log.md",
        "#FILE_CREATED: src/a.ts\n",
    );
    let (code, doc) = check_doc(root);
    assert_eq!(code, Some(1), "{doc:#}");
    let f = checks_of(&doc)[0];
    assert_eq!(
        (&f["code"], &f["path"], f["line"].as_u64()),
        (
            &Value::from("missing-path"),
            &Value::from("src/a.ts"),
            Some(2)
        ),
        "{doc:#}"
    );
}

/// A log that is a symlink out of the root is not read, and is not taken
/// for a pass: the workspace uses tags and no claim could be checked.
#[test]
fn a_log_that_links_out_of_the_root_blocks() {
    let outside = tempfile::tempdir().unwrap();
    write(outside.path(), "log.md", "#FILE_CREATED: src/a.ts\n");
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "src/a.ts",
        "// #PATH_DECISION: kept simple\nexport {}\n",
    );
    std::fs::create_dir_all(root.join(".orchestration")).unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("log.md"),
        root.join(".orchestration/implementation-log.md"),
    )
    .unwrap();
    let (code, doc) = check_doc(root);
    assert_eq!(code, Some(1), "{doc:#}");
    let f = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "missing-log")
        .unwrap_or_else(|| panic!("no missing-log: {doc:#}"));
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("cannot be read as a regular file inside the workspace"),
        "{f}"
    );
    assert_eq!(f["fix"], Value::Null, "no offer to create a log over it");

    // With no tagged file, the unreadable log is still reported, on itself.
    std::fs::remove_file(root.join("src/a.ts")).unwrap();
    let (code, doc) = check_doc(root);
    assert_eq!(code, Some(1), "{doc:#}");
    assert_eq!(
        checks_of(&doc)[0]["path"],
        ".orchestration/implementation-log.md"
    );
}

/// What tagls cannot read whole is said to be unverifiable: a grep through
/// a file over 10 MiB does not fail, and a screenshot over 10 MiB of NUL
/// bytes does not pass as an image.
#[test]
fn files_too_large_to_read_are_unverifiable_not_failed_or_passed() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "src/a.ts", "export {}\n");
    let big = 11 * 1024 * 1024;
    std::fs::write(root.join("big.txt"), "x\n".repeat(big / 2)).unwrap();
    std::fs::write(root.join("shot.png"), vec![0u8; big]).unwrap();
    write(
        root,
        ".orchestration/implementation-log.md",
        "#FILE_CREATED: src/a.ts\n  Verification: grep \"needle\" big.txt\n#SCREENSHOT_CLAIMED: shot.png\n",
    );
    let (code, doc) = check_doc(root);
    assert_eq!(code, Some(3), "{doc:#}");
    assert_eq!(codes_of(&doc), ["unverifiable", "unverifiable"], "{doc:#}");
    let messages: Vec<&str> = checks_of(&doc)
        .into_iter()
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert!(messages[0].contains("over 10 MiB"), "{messages:?}");
    assert!(
        messages[1].contains("shot.png cannot be verified"),
        "{messages:?}"
    );
}

/// `max-file-size` has a documented ceiling; a value above it is an error
/// that names it, not a limit that turns the size check off.
#[test]
fn max_file_size_above_its_ceiling_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "src/a.ts", "// #PATH_DECISION: kept\n");
    for value in ["9223372036854775807", "268435457"] {
        write(root, ".tagls.toml", &format!("max-file-size = {value}\n"));
        let out = tagls(root, &["check", "--no-cache"]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{value}: {err}");
        assert!(
            err.contains(&format!("max-file-size {value}")) && err.contains("268435456"),
            "{err}"
        );
    }
    write(root, ".tagls.toml", "max-file-size = 268435456\n");
    assert_ne!(tagls(root, &["check", "--no-cache"]).status.code(), Some(2));
}

/// Files the gate does not parse (too large, binary) are named in every
/// format, and one that holds a tag-shaped text makes the verdict
/// CONDITIONAL at least.
#[test]
fn skipped_files_are_said_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, ".tagls.toml", "max-file-size = 1024\n");
    write(root, "src/a.ts", "// #PATH_DECISION: kept\nexport {}\n");
    write(root, ".orchestration/implementation-log.md", GOOD_LOG);
    let mut minified = "var a=1;".repeat(200);
    minified.push_str("/* #COMPLETION_DRIVE: Assuming src/gone.ts exists */");
    write(root, "src/app.min.js", &minified);
    write(root, "src/blob.ts", "\0\0\0 #COMPLETION_DRIVE: x\n");
    write(root, "src/plain.min.js", &"var b=2;".repeat(200));

    let (code, doc) = check_doc(root);
    assert_eq!(code, Some(3), "{doc:#}");
    assert_valid(
        &validator(&repo().join("docs/check-output.schema.json")),
        &doc,
    );
    let skipped: Vec<(&str, bool)> = doc["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["path"].as_str().unwrap(), s["tag_shaped"] == true))
        .collect();
    assert_eq!(
        skipped,
        [
            ("src/app.min.js", true),
            ("src/blob.ts", true),
            ("src/plain.min.js", false)
        ],
        "{doc:#}"
    );
    assert!(
        doc["skipped"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("size limit of 1024 bytes"),
        "{doc:#}"
    );
    let f: Vec<(&str, &str, &str)> = checks_of(&doc)
        .into_iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap(),
                f["path"].as_str().unwrap(),
                f["gate"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        f,
        [
            ("skipped-file", "src/app.min.js", "CONDITIONAL"),
            ("skipped-file", "src/blob.ts", "CONDITIONAL")
        ]
    );

    let out = tagls(root, &["check", "--no-cache"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(
            "skipped: 3 files not checked: src/app.min.js (larger than the size limit of 1024 bytes"
        ) && text.contains("src/blob.ts (binary content)"),
        "{text}"
    );
    assert!(text.contains("verdict: CONDITIONAL"), "{text}");

    let out = tagls(root, &["check", "--no-cache", "--format", "sarif"]);
    let sarif: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_valid(
        &validator(&repo().join("tests/fixtures/sarif/sarif-2.1.0.json")),
        &sarif,
    );
    let notes = sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .unwrap();
    assert_eq!(notes.len(), 3, "{sarif:#}");
    assert_eq!(
        notes[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "src/app.min.js"
    );
    assert_eq!(notes[0]["level"], "warning");
    assert_eq!(notes[2]["level"], "note");
}

/// SARIF URIs are percent-encoded (RFC 3986), and a file name with a
/// newline does not split a text finding over two lines.
#[test]
fn odd_file_names_in_sarif_uris_and_text_lines() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let tag = "// #COMPLETION_DRIVE: Assuming src/gone.ts exists\n";
    let names = ["a b.ts", "new\nline.ts", "p%41.ts", "x#y.ts"];
    for name in names {
        write(root, name, tag);
    }
    write(
        root,
        ".orchestration/implementation-log.md",
        "#FILE_CREATED: p%41.ts\n",
    );
    let out = tagls(root, &["check", "--no-cache", "--format", "sarif"]);
    let sarif: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_valid(
        &validator(&repo().join("tests/fixtures/sarif/sarif-2.1.0.json")),
        &sarif,
    );
    let mut uris: Vec<&str> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["ruleId"] == "missing-path")
        .map(|r| {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
        })
        .collect();
    uris.sort_unstable();
    assert_eq!(
        uris,
        ["a%20b.ts", "new%0Aline.ts", "p%2541.ts", "x%23y.ts"],
        "{sarif:#}"
    );

    let out = tagls(root, &["check", "--no-cache", "--format", "short"]);
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("[missing-path]"))
        .collect();
    assert_eq!(lines.len(), 4, "{text}");
    for (line, name) in lines
        .iter()
        .zip(["a b.ts", "new\\nline.ts", "p%41.ts", "x#y.ts"])
    {
        assert!(line.starts_with(&format!("{name}:1:")), "{line}\n{text}");
    }
    assert!(!text.lines().any(|l| l.starts_with("line.ts")), "{text}");
}

/// A path written in any script is a reference, checked like any other.
#[test]
fn paths_with_non_ascii_characters_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "src/a.ts",
        "// #COMPLETION_DRIVE: Assuming src/données/café.ts exists\nexport {}\n",
    );
    write(
        root,
        ".orchestration/implementation-log.md",
        "#FILE_CREATED: src/a.ts (2 lines)\n",
    );
    let (code, doc) = check_doc(root);
    assert_eq!(code, Some(1), "{doc:#}");
    assert_eq!(codes_of(&doc), ["missing-path"], "{doc:#}");
    assert!(
        checks_of(&doc)[0]["message"]
            .as_str()
            .unwrap()
            .starts_with("src/données/café.ts"),
        "{doc:#}"
    );
    write(root, "src/données/café.ts", "export const café = 1\n");
    let (code, doc) = check_doc(root);
    assert_eq!(code, Some(0), "{doc:#}");
}

/// `log` names a file inside the root: an absolute path or one that leaves
/// the root is a configuration error, never a log read from elsewhere.
#[test]
fn a_log_outside_the_workspace_is_refused() {
    let ws = tempfile::tempdir().unwrap();
    let root = ws.path();
    write(root, "src/a.ts", "// #PATH_DECISION: kept\n");
    for log in ["/etc/passwd", "../outside.md", ""] {
        write(root, ".tagls.toml", &format!("log = \"{log}\"\n"));
        let out = tagls(root, &["check"]);
        assert_eq!(out.status.code(), Some(2), "{log}: {out:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("must be a path inside the workspace"),
            "{log}: {err}"
        );
    }
}

/// The workspace's `.tagls.toml` is read only as a regular file of the
/// workspace: one that is a symlink to a file outside is refused with a
/// message, and nothing of the outside file is printed.
#[test]
fn a_configuration_file_linked_outside_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("ws");
    write(&root, "src/a.ts", "// #PATH_DECISION: kept\n");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(
        dir.path().join("outside.toml"),
        "log = \"SECRET_CANARY_outside\"\nnot toml at all\n",
    )
    .unwrap();
    std::os::unix::fs::symlink(dir.path().join("outside.toml"), root.join(".tagls.toml")).unwrap();
    let out = tagls(&root, &["check", "--format", "json"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(all.contains("not a regular file"), "{all}");
    assert!(!all.contains("SECRET_CANARY"), "{all}");
}

/// Claims written in bold or in a Markdown table are read as the plain form:
/// a true one passes, a false one is caught at its path.
#[test]
fn claims_in_bold_and_in_tables_are_checked() {
    let ws = tempfile::tempdir().unwrap();
    let root = ws.path();
    write(
        root,
        "src/a.ts",
        "// #COMPLETION_DRIVE: Assuming src/b.ts exists\nexport {}\n",
    );
    write(root, "src/b.ts", "export const b = 1\n");
    let log = "\
# Implementation Log

**#FILE_CREATED:** src/a.ts (2 lines)
- **#FILE_MODIFIED**: `src/b.ts`

| Tag | File | Lines |
|-----|------|-------|
| #FILE_CREATED | src/b.ts | 1 lines |
";
    write(root, ".orchestration/implementation-log.md", log);
    let (status, doc) = check_doc(root);
    assert_eq!(codes_of(&doc), Vec::<String>::new(), "{doc}");
    assert_eq!(doc["verdict"], "PASSED", "{doc}");
    assert_eq!(status, Some(0));

    // The table row's file is missing: the claim is false, at its path.
    write(
        root,
        ".orchestration/implementation-log.md",
        &log.replace("| src/b.ts | 1 lines |", "| src/gone.ts | 1 lines |"),
    );
    let (status, doc) = check_doc(root);
    let found = checks_of(&doc);
    assert_eq!(codes_of(&doc), ["false-claim"], "{doc}");
    assert_eq!(
        (&found[0]["line"], &found[0]["column"]),
        (&Value::from(8), &Value::from(19)),
        "{doc}"
    );
    assert_eq!(doc["verdict"], "BLOCKED");
    assert_eq!(status, Some(1));
}

/// A tagged file is lexed, not parsed, by a check that does not look for env
/// reads (the root has no env file); once an env file appears, the same
/// unchanged file, trusted by the cache, has its env reads looked for and
/// reported, as a check without the cache reports them.
#[test]
fn a_tagged_file_lexed_without_env_reads_has_them_read_once_an_env_file_appears() {
    let ws = tempfile::tempdir().unwrap();
    let root = ws.path();
    let code = "// #PATH_DECISION: read the key from the environment\nexport const key = process.env.API_KEY;\n";
    write(root, "src/key.ts", code);
    write(root, ".orchestration/implementation-log.md", GOOD_LOG);
    set_mtime(
        &root.join("src/key.ts"),
        std::time::SystemTime::now() - std::time::Duration::from_secs(3600),
    );
    let cache = tempfile::tempdir().unwrap();
    let before = check_json(root, cache.path(), &[]);
    assert!(!before.contains("undeclared-env"), "{before}");

    write(root, ".env.example", "OTHER=1\n");
    let after = check_json(root, cache.path(), &[]);
    assert!(
        after.contains("undeclared-env") && after.contains("API_KEY"),
        "{after}"
    );
    let nocache = tempfile::tempdir().unwrap();
    assert_eq!(check_json(root, nocache.path(), &["--no-cache"]), after);
}
