//! Real-editor tests: a headless Neovim (0.11.4 and 0.7.2) starts tagls over stdio,
//! opens a TypeScript file with a `#COMPLETION_DRIVE` tag and must show tagls'
//! diagnostic and hover; and a path named in a tag that is missing must stop being
//! reported once the file appears on disk, with no edit in the editor (Neovim on Linux
//! does not watch files for the server: the server watches the disk itself); and the
//! `Log #FILE_CREATED` code action, applied the way Neovim's own code-action UI applies
//! it, must make the server write the entry into the implementation log on disk.
//! A Rust, a Swift and a Java file, their filetype detected by Neovim itself (0.11 and
//! 0.7), show the tag in a comment only their own grammar reads as one, on its line and
//! column, with its hover.
//!
//! The editors come from `tests/install-editors.sh`, which writes their paths to
//! `target/editors.env` (`TAGLS_NVIM_011=...`, `TAGLS_NVIM_07=...`); the same variables
//! in the environment take precedence. A missing editor skips its test, unless
//! `TAGLS_REQUIRE_EDITORS=1`, which turns that into a failure.
//!
//! The shipped plugin, used as its README says (`require("tagls").setup({})`, `tagls` on
//! `PATH`), must show the user no warning about its settings, and `:TaglsOpenLog` must open
//! the log where `.tagls.toml` puts it, with tagls attached to it.
//!
//! Everyday use through the plugin, in both releases: `// #COMP` typed and completed with
//! `<C-x><C-o>` (with one `#`), the fix first in the code-action menu on a missing path,
//! code lenses shown and kept current without a refresh by hand, patterns coloured as
//! hints (0.11), and the quickfix lists of `:TaglsGate` and `:TaglsTags`.
//!
//! The Neovim side lives in `tests/nvim/lsp_core.lua`, `tests/nvim/lsp_resolution.lua`,
//! `tests/nvim/lsp_log_action.lua`, `tests/nvim/plugin_settings_log.lua` and
//! `tests/nvim/plugin_everyday.lua` (with `tests/nvim/common.lua`).

use std::ffi::OsStr;
use std::fs;
use std::path::Path;

use serde_json::Value;

use crate::nvim_support;

use nvim_support::{NVIM_TIMEOUT, SEVERITY_INFO, SEVERITY_WARN, find_nvim, run_nvim, tail};

const APP_TS: &str = "\
// 日本語 😀 𝄞 multi-byte text before the tag
import { UserService } from './services/user.service'
// #COMPLETION_DRIVE: Assuming UserService exists at src/services/user.service.ts
export const service = new UserService()
";

/// A tag naming a file that is not there yet: `src/cache/redis.ts` is bytes
/// `MISSING_COLS` of line 0.
const MISSING_APP_TS: &str = "\
// #COMPLETION_DRIVE: Assuming the cache lives in src/cache/redis.ts
export const cache = null
";
const MISSING_FILE: &str = "src/cache/redis.ts";
const MISSING_COLS: (i64, i64) = (50, 68);

/// A file with one tag, to log as created: `LOG_APP_TS_LINES` lines.
const LOG_APP_TS: &str = "\
// #COMPLETION_DRIVE: Assuming the API returns {token, user}
export const x = 1
";
const LOG_APP_TS_LINES: usize = 2;
/// The implementation log, relative to the workspace root.
const LOG_PATH: &str = ".orchestration/implementation-log.md";

#[test]
fn neovim_0_11_shows_diagnostic_and_hover() {
    run_editor_test("TAGLS_NVIM_011", "0.11");
}

/// Files of other languages, their filetype detected by Neovim itself (0.7 and
/// 0.11 both know these three), from `tests/fixtures/editors/`: the tag stands in
/// a comment only the file's own grammar reads as one (after a nested block
/// comment's inner `*/` in Rust, a Swift doc comment after a nested block comment, a
/// line of Javadoc), and again in a string, where it is no tag.
const LANGUAGE_FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/editors");

#[test]
fn neovim_0_11_shows_a_tag_in_a_nested_rust_comment() {
    run_language_test("TAGLS_NVIM_011", "0.11", "lib.rs", "rust");
}

#[test]
fn neovim_0_7_shows_a_tag_in_a_nested_rust_comment() {
    run_language_test("TAGLS_NVIM_07", "0.7", "lib.rs", "rust");
}

#[test]
fn neovim_0_11_shows_a_tag_in_a_swift_doc_comment() {
    run_language_test("TAGLS_NVIM_011", "0.11", "Cart.swift", "swift");
}

#[test]
fn neovim_0_7_shows_a_tag_in_a_swift_doc_comment() {
    run_language_test("TAGLS_NVIM_07", "0.7", "Cart.swift", "swift");
}

#[test]
fn neovim_0_11_shows_a_tag_in_javadoc() {
    run_language_test("TAGLS_NVIM_011", "0.11", "Orders.java", "java");
}

#[test]
fn neovim_0_7_shows_a_tag_in_javadoc() {
    run_language_test("TAGLS_NVIM_07", "0.7", "Orders.java", "java");
}

/// Opens `tests/fixtures/editors/<name>` in Neovim `version`, which must detect the
/// filetype `filetype`; tagls' one diagnostic for the tag must stand on the tag's
/// line and column (the first `#COMPLETION_DRIVE` of the file; the second is in a
/// string), and its hover must explain the tag.
fn run_language_test(key: &str, version: &str, name: &str, filetype: &str) {
    let Some(nvim) = find_nvim(key, version, "test") else {
        return;
    };
    let text = fs::read_to_string(Path::new(LANGUAGE_FIXTURES).join(name)).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().canonicalize().unwrap();
    fs::create_dir_all(dir.join("src")).unwrap();
    fs::write(dir.join("src").join(name), &text).unwrap();
    let (result, context) = run_driver(
        &nvim,
        version,
        &dir,
        "lsp_core.lua",
        &format!("src/{name}"),
        &[("TAGLS_DETECT_FILETYPE", OsStr::new("1"))],
    );
    assert_eq!(
        result["filetype"], filetype,
        "the filetype Neovim detected\n{context}"
    );
    let (line, col) = text
        .lines()
        .enumerate()
        .find_map(|(n, l)| l.find("#COMPLETION_DRIVE:").map(|c| (n, c)))
        .expect("the fixture has a tag");
    let diagnostics = result["diagnostics"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    // Nothing on the string's line: every tagls diagnostic stands on the tag's.
    let string_line = text
        .lines()
        .enumerate()
        .filter(|(_, l)| l.contains("#COMPLETION_DRIVE:"))
        .map(|(n, _)| n)
        .last()
        .unwrap();
    assert_ne!(
        string_line, line,
        "the fixture has its decoy on a line of its own"
    );
    assert!(
        diagnostics
            .iter()
            .filter(|d| d["source"] == "tagls")
            .all(|d| d["lnum"] == line),
        "a tagls diagnostic off the tag's line (the string holds no tag)\n{context}"
    );
    let tag = diagnostics
        .iter()
        .find(|d| d["source"] == "tagls" && d["code"] == "unchecked-assumption")
        .unwrap_or_else(|| panic!("no tagls diagnostic for the tag\n{context}"));
    // 0-based line, byte column of `#`.
    assert_eq!(tag["lnum"], line, "diagnostic line\n{context}");
    assert_eq!(
        tag["col"], col,
        "diagnostic column (byte of `#`)\n{context}"
    );
    assert_eq!(
        tag["severity"], SEVERITY_INFO,
        "diagnostic severity\n{context}"
    );
    let hover = result["hover"].as_str().unwrap_or_default();
    assert!(
        hover.contains("#COMPLETION_DRIVE") && hover.to_lowercase().contains("assumption"),
        "hover {hover:?}\n{context}"
    );
}

#[test]
fn neovim_0_7_shows_diagnostic_and_hover() {
    run_editor_test("TAGLS_NVIM_07", "0.7");
}

#[test]
fn neovim_0_11_sees_a_missing_path_resolve_when_the_file_appears() {
    run_resolution_test("TAGLS_NVIM_011", "0.11");
}

#[test]
fn neovim_0_7_sees_a_missing_path_resolve_when_the_file_appears() {
    run_resolution_test("TAGLS_NVIM_07", "0.7");
}

#[test]
fn neovim_0_11_logs_file_created_from_a_code_action() {
    run_log_action_test("TAGLS_NVIM_011", "0.11");
}

#[test]
fn neovim_0_7_logs_file_created_from_a_code_action() {
    run_log_action_test("TAGLS_NVIM_07", "0.7");
}

/// Runs the Lua driver `script` in Neovim `version` on `file` (relative to `dir`) and
/// returns its JSON result, once it is sure that the driver ran to the end without an
/// error, with a description of the run for assertion messages.
fn run_driver(
    nvim: &Path,
    version: &str,
    dir: &Path,
    script: &str,
    file: &str,
    env: &[(&str, &OsStr)],
) -> (Value, String) {
    let result_path = dir.join("result.json");
    let run = run_nvim(nvim, dir, script, file, &result_path, env);
    let result_text = fs::read_to_string(&result_path).unwrap_or_default();
    let context = format!(
        "Neovim {version} ({}) running {script}\nexit: {:?}{}\nresult: {result_text}\n\
         --- stdout ---\n{}\n--- stderr ---\n{}\n--- lsp.log (tail) ---\n{}",
        nvim.display(),
        run.status,
        if run.timed_out {
            " (killed after the timeout)"
        } else {
            ""
        },
        tail(&run.stdout, 4000),
        tail(&run.stderr, 8000),
        tail(&run.lsp_log, 8000),
    );

    assert!(
        !run.timed_out,
        "nvim did not finish within {NVIM_TIMEOUT:?}\n{context}"
    );
    assert!(
        run.status.is_some_and(|s| s.success()),
        "nvim failed\n{context}"
    );
    let result: Value = serde_json::from_str(&result_text)
        .unwrap_or_else(|e| panic!("result is not JSON: {e}\n{context}"));

    assert!(
        result["error"].is_null(),
        "the Lua driver reported an error\n{context}"
    );
    let reported = result["nvim_version"].as_str().unwrap_or_default();
    assert!(
        reported.starts_with(&format!("{version}.")),
        "expected Neovim {version}, got {reported:?}\n{context}"
    );
    (result, context)
}

fn run_editor_test(key: &str, version: &str) {
    let Some(nvim) = find_nvim(key, version, "test") else {
        return;
    };

    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().canonicalize().unwrap();
    fs::create_dir_all(dir.join("src")).unwrap();
    fs::write(dir.join("src/app.ts"), APP_TS).unwrap();

    let (result, context) = run_driver(&nvim, version, &dir, "lsp_core.lua", "src/app.ts", &[]);

    let diagnostics = result["diagnostics"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let assumption = diagnostics
        .iter()
        .find(|d| d["source"] == "tagls" && d["code"] == "assumption")
        .unwrap_or_else(|| panic!("no tagls assumption diagnostic\n{context}"));
    // vim.diagnostic positions: 0-based line, byte column.
    assert_eq!(assumption["lnum"], 2, "diagnostic line\n{context}");
    assert_eq!(
        assumption["col"], 3,
        "diagnostic column (byte of `#`)\n{context}"
    );
    assert_eq!(
        (
            assumption["end_lnum"].clone(),
            assumption["end_col"].clone()
        ),
        (serde_json::json!(2), serde_json::json!(21)),
        "diagnostic end: the tag `#COMPLETION_DRIVE:`, not the whole comment\n{context}"
    );
    assert_eq!(
        assumption["severity"], SEVERITY_INFO,
        "diagnostic severity\n{context}"
    );
    let message = assumption["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("Assuming UserService exists"),
        "diagnostic message {message:?}\n{context}"
    );

    let hover = result["hover"]
        .as_str()
        .unwrap_or_else(|| panic!("no hover text\n{context}"));
    assert!(
        hover.contains("#COMPLETION_DRIVE"),
        "hover {hover:?}\n{context}"
    );
    assert!(
        hover.to_lowercase().contains("assumption"),
        "hover {hover:?}\n{context}"
    );
}

/// The diagnostics in `result[key]` with the tagls code `code`.
fn tagls_diagnostics<'a>(result: &'a Value, key: &str, code: &str) -> Vec<&'a Value> {
    result[key]
        .as_array()
        .map(|all| {
            all.iter()
                .filter(|d| d["source"] == "tagls" && d["code"] == code)
                .collect()
        })
        .unwrap_or_default()
}

fn run_resolution_test(key: &str, version: &str) {
    let Some(nvim) = find_nvim(key, version, "test") else {
        return;
    };

    // The workspace root is `dir/ws`, one level above the file; Neovim's own files and
    // the result stay outside it, so the server's watcher sees only the workspace.
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().canonicalize().unwrap();
    let root = dir.join("ws");
    fs::create_dir_all(root.join("src")).unwrap();
    fs::write(root.join("src/app.ts"), MISSING_APP_TS).unwrap();
    let created = root.join(MISSING_FILE);
    let (start, end) = MISSING_COLS;
    assert_eq!(
        &MISSING_APP_TS[start as usize..end as usize],
        MISSING_FILE,
        "MISSING_COLS must be the span of the path in MISSING_APP_TS"
    );

    let (result, context) = run_driver(
        &nvim,
        version,
        &dir,
        "lsp_resolution.lua",
        "ws/src/app.ts",
        &[
            ("TAGLS_ROOT", root.as_os_str()),
            ("TAGLS_CREATE", OsStr::new(MISSING_FILE)),
        ],
    );

    // Before: exactly one missing-path warning, on the path.
    let missing = tagls_diagnostics(&result, "before", "missing-path");
    assert_eq!(
        missing.len(),
        1,
        "missing-path diagnostics before the file exists\n{context}"
    );
    let missing = missing[0];
    // vim.diagnostic positions: 0-based line, byte columns.
    assert_eq!(missing["lnum"], 0, "missing-path line\n{context}");
    assert_eq!(
        missing["col"], start,
        "missing-path start column\n{context}"
    );
    assert_eq!(missing["end_lnum"], 0, "missing-path end line\n{context}");
    assert_eq!(
        missing["end_col"], end,
        "missing-path end column\n{context}"
    );
    assert_eq!(
        missing["message"], "src/cache/redis.ts does not exist in the workspace",
        "missing-path message\n{context}"
    );
    assert_eq!(
        missing["severity"], SEVERITY_WARN,
        "missing-path severity\n{context}"
    );

    // After the file appeared on disk: the warning is gone, the tag's own diagnostic stays.
    assert!(
        created.is_file(),
        "{} was not created\n{context}",
        created.display()
    );
    assert_eq!(result["file_exists"], true, "file_exists\n{context}");
    assert_eq!(
        result["resolved"], true,
        "the missing-path diagnostic did not go away\n{context}"
    );
    assert!(
        tagls_diagnostics(&result, "after", "missing-path").is_empty(),
        "a missing-path diagnostic is left after the file appeared\n{context}"
    );
    let assumption = tagls_diagnostics(&result, "after", "assumption");
    assert_eq!(
        assumption.len(),
        1,
        "assumption diagnostics after the file appeared\n{context}"
    );
    assert_eq!(assumption[0]["lnum"], 0, "assumption line\n{context}");
    assert_eq!(
        assumption[0]["severity"], SEVERITY_INFO,
        "assumption severity\n{context}"
    );

    // Nothing went through the buffer.
    assert_eq!(
        result["modified"], false,
        "the buffer was modified\n{context}"
    );
}

fn run_log_action_test(key: &str, version: &str) {
    let Some(nvim) = find_nvim(key, version, "test") else {
        return;
    };

    // The workspace root is `dir/ws`, with no log yet; Neovim's own files and the result
    // stay outside it.
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().canonicalize().unwrap();
    let root = dir.join("ws");
    fs::create_dir_all(root.join("src")).unwrap();
    let file = root.join("src/app.ts");
    fs::write(&file, LOG_APP_TS).unwrap();
    assert_eq!(
        LOG_APP_TS.lines().count(),
        LOG_APP_TS_LINES,
        "LOG_APP_TS_LINES must be the line count of LOG_APP_TS"
    );
    let log_path = root.join(LOG_PATH);

    let (result, context) = run_driver(
        &nvim,
        version,
        &dir,
        "lsp_log_action.lua",
        "ws/src/app.ts",
        &[("TAGLS_ROOT", root.as_os_str())],
    );

    // The actions offered.
    let titles: Vec<&str> = result["titles"]
        .as_array()
        .map(|t| t.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    for wanted in [
        "Log #FILE_CREATED for src/app.ts",
        "Log #FILE_MODIFIED for src/app.ts",
    ] {
        assert!(
            titles.contains(&wanted),
            "no code action {wanted:?} in {titles:?}\n{context}"
        );
    }

    // The one applied: a source action carrying the command, naming the file.
    let action = &result["action"];
    assert_eq!(
        action["title"], "Log #FILE_CREATED for src/app.ts",
        "chosen action\n{context}"
    );
    assert_eq!(action["kind"], "source.tagls", "action kind\n{context}");
    assert_eq!(
        action["command"]["command"], "tagls.logCreated",
        "action command\n{context}"
    );
    assert_eq!(
        action["command"]["arguments"],
        serde_json::json!([{ "file": file.to_str().unwrap() }]),
        "command arguments\n{context}"
    );
    let expected_path = if version == "0.7" {
        "client.request"
    } else {
        "exec_cmd"
    };
    assert_eq!(
        result["apply_path"], expected_path,
        "how the command went out\n{context}"
    );
    assert!(
        result["command_response"].is_object() && result["command_response"]["err"].is_null(),
        "workspace/executeCommand did not answer without an error\n{context}"
    );

    // The log, written on disk by the server: the skeleton with the one entry.
    let expected = format!(
        "# Implementation Log\n\
         \n\
         ## Assumptions Made\n\
         \n\
         ## Files Created\n\
         \n\
         #FILE_CREATED: src/app.ts ({LOG_APP_TS_LINES} lines)\n\
         \x20 Description:\n\
         \x20 Purpose:\n\
         \n\
         ## Files Modified\n\
         \n\
         ## Evidence Captured\n\
         \n\
         ## Integration Points\n"
    );
    assert_eq!(result["logged"], true, "no log entry appeared\n{context}");
    let on_disk = fs::read_to_string(&log_path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}\n{context}", log_path.display()));
    assert_eq!(on_disk, expected, "the log on disk\n{context}");
    assert_eq!(
        result["log_text"], expected,
        "the log as the editor read it\n{context}"
    );
    assert_eq!(
        result["line_count"], LOG_APP_TS_LINES,
        "the buffer's line count\n{context}"
    );

    // Nothing went through the editor, and nobody complained.
    assert_eq!(
        result["log_buffer"], false,
        "the log was opened in the editor\n{context}"
    );
    assert_eq!(
        result["modified"], false,
        "the source buffer was modified\n{context}"
    );
    assert_eq!(
        result["errors"],
        serde_json::json!([]),
        "error messages from the server\n{context}"
    );
    assert_eq!(
        result["notifications"],
        serde_json::json!([]),
        "warnings or errors from Neovim\n{context}"
    );
}

/// An open file with a tag whose payload ends in a partial path (`src/se`, ending at
/// `DEPTH_PATH_POSITION`) and an empty tag (`#` ending at `DEPTH_HASH_POSITION`).
const DEPTH_APP_TS: &str = "// #COMPLETION_DRIVE: Assuming src/se\n// #\nexport {}\n";
/// (line, character) right after `src/se`.
const DEPTH_PATH_POSITION: (i64, i64) = (0, 37);
/// (line, character) right after `// #`.
const DEPTH_HASH_POSITION: (i64, i64) = (1, 4);
/// A file that is never opened in the editor, with the one tag matching `stripe`.
const DEPTH_BILLING_TS: &str = "// #COMPLETION_DRIVE: Assuming src/payments/stripe.ts exists\n";
const DEPTH_BILLING_FILE: &str = "src/services/billing.ts";

#[test]
fn neovim_0_11_requests_workspace_symbols_and_completion() {
    run_depth_test("TAGLS_NVIM_011", "0.11");
}

#[test]
fn neovim_0_7_requests_workspace_symbols_and_completion() {
    run_depth_test("TAGLS_NVIM_07", "0.7");
}

/// The completion items in `result[key]`, as `(label, newText)`.
fn completion_items<'a>(result: &'a Value, key: &str) -> Vec<(&'a str, Option<&'a str>)> {
    result[key]
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|i| {
                    (
                        i["label"].as_str().unwrap_or_default(),
                        i["new_text"].as_str(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn run_depth_test(key: &str, version: &str) {
    let Some(nvim) = find_nvim(key, version, "test") else {
        return;
    };

    // The workspace root is `dir/ws` (with a `.git` marker); Neovim's own files and the
    // result stay outside it.
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().canonicalize().unwrap();
    let root = dir.join("ws");
    fs::create_dir_all(root.join(".git")).unwrap();
    fs::create_dir_all(root.join("src/services")).unwrap();
    fs::write(root.join("src/app.ts"), DEPTH_APP_TS).unwrap();
    let billing = root.join(DEPTH_BILLING_FILE);
    fs::write(&billing, DEPTH_BILLING_TS).unwrap();

    let (result, context) = run_driver(
        &nvim,
        version,
        &dir,
        "lsp_depth.lua",
        "ws/src/app.ts",
        &[("TAGLS_ROOT", root.as_os_str())],
    );

    // workspace/symbol "stripe": the one tag of the file that is not open.
    let symbols = result["symbols"].as_array().cloned().unwrap_or_default();
    assert_eq!(
        symbols.len(),
        1,
        "workspace symbols for \"stripe\"\n{context}"
    );
    assert_eq!(
        symbols[0]["name"], "#COMPLETION_DRIVE: Assuming src/payments/stripe.ts exists",
        "symbol name\n{context}"
    );
    assert_eq!(
        symbols[0]["path"],
        billing.to_str().unwrap(),
        "symbol file\n{context}"
    );

    // After `#`: the registered tag names.
    let (line, character) = DEPTH_HASH_POSITION;
    assert_eq!(
        result["hash_position"],
        serde_json::json!({ "line": line, "character": character }),
        "tag-name completion position\n{context}"
    );
    let hash = completion_items(&result, "hash_items");
    assert_eq!(
        hash.len(),
        tagls::tags::Registry::builtin().defs().len(),
        "tag-name completion items {hash:?}\n{context}"
    );
    assert!(
        hash.contains(&("#COMPLETION_DRIVE", Some("#COMPLETION_DRIVE: "))),
        "no COMPLETION_DRIVE item in {hash:?}\n{context}"
    );

    // After `src/se`: the workspace folder.
    let (line, character) = DEPTH_PATH_POSITION;
    assert_eq!(
        result["path_position"],
        serde_json::json!({ "line": line, "character": character }),
        "path completion position\n{context}"
    );
    let paths = completion_items(&result, "path_items");
    assert!(
        paths.contains(&("services/", Some("src/services/"))),
        "no services/ item in {paths:?}\n{context}"
    );
}

#[test]
fn neovim_0_11_plugin_setup_warns_nothing_and_opens_a_configured_log() {
    run_plugin_settings_log_test("TAGLS_NVIM_011", "0.11");
}

#[test]
fn neovim_0_7_plugin_setup_warns_nothing_and_opens_a_configured_log() {
    run_plugin_settings_log_test("TAGLS_NVIM_07", "0.7");
}

/// A tag in a workspace whose `.tagls.toml` moves the log to `docs/impl-log.md`.
const CONFIGURED_LOG_APP_TS: &str =
    "// #COMPLETION_DRIVE: Assuming the API returns {token, user}\n";
const CONFIGURED_LOG_MD: &str =
    "# Implementation Log\n\n## Files Created\n\n#FILE_CREATED: src/app.ts (1 lines)\n";

fn run_plugin_settings_log_test(key: &str, version: &str) {
    let Some(nvim) = find_nvim(key, version, "plugin test") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().canonicalize().unwrap();
    let root = dir.join("ws");
    fs::create_dir_all(root.join(".git")).unwrap();
    fs::create_dir_all(root.join("src")).unwrap();
    fs::create_dir_all(root.join("docs")).unwrap();
    fs::write(root.join(".tagls.toml"), "log = \"docs/impl-log.md\"\n").unwrap();
    fs::write(root.join("src/app.ts"), CONFIGURED_LOG_APP_TS).unwrap();
    fs::write(root.join("docs/impl-log.md"), CONFIGURED_LOG_MD).unwrap();
    fs::write(root.join("README.md"), "# A project\n").unwrap();

    // `tagls` on PATH, as the plugin's default `cmd = { 'tagls' }` expects.
    let bin_dir = Path::new(nvim_support::TAGLS).parent().unwrap();
    let path = std::env::join_paths(std::iter::once(bin_dir.to_path_buf()).chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))
    .unwrap();
    let (result, context) = run_driver(
        &nvim,
        version,
        &dir,
        "plugin_settings_log.lua",
        "ws/src/app.ts",
        &[("TAGLS_ROOT", root.as_os_str()), ("PATH", path.as_os_str())],
    );

    assert_eq!(
        result["root_dir"],
        root.to_string_lossy().as_ref(),
        "root_dir\n{context}"
    );
    // No settings: none sent as initializationOptions, an empty object for `tagls`.
    assert_eq!(
        result["init_options"],
        Value::Null,
        "init_options\n{context}"
    );
    assert_eq!(
        result["settings"], "{\"tagls\":{}}",
        "settings as sent\n{context}"
    );
    // Neovim 0.7 does not answer workspace/configuration, so it is not asked.
    let answered = if version == "0.7" {
        Value::Null
    } else {
        Value::from("[{}]")
    };
    assert_eq!(
        result["configuration_answered"], answered,
        "the answer to workspace/configuration\n{context}"
    );
    // The server worked (its diagnostic is there) and showed the user nothing.
    assert!(
        !tagls_diagnostics(&result, "diagnostics", "unchecked-assumption").is_empty(),
        "no tagls assumption diagnostic\n{context}"
    );
    assert_eq!(
        result["shown"],
        serde_json::json!([]),
        "window/showMessage from the server\n{context}"
    );
    assert_eq!(
        result["notified"],
        serde_json::json!([]),
        "vim.notify at WARN or above\n{context}"
    );
    // :TaglsOpenLog opened the configured log, and tagls serves it.
    assert_eq!(
        result["opened"],
        root.join("docs/impl-log.md").to_string_lossy().as_ref(),
        "the buffer :TaglsOpenLog opened\n{context}"
    );
    assert_eq!(result["log_clients"], 1, "clients on the log\n{context}");
    assert_eq!(
        result["log_same_client"], true,
        "the log reuses the client\n{context}"
    );
    assert_eq!(
        result["readme_clients"], 1,
        "clients on README.md\n{context}"
    );
    assert_eq!(result["client_count"], 1, "tagls clients in all\n{context}");
}

/// A tag naming a path that is not there (after text that is wider in bytes than in
/// UTF-16), in a workspace with a pattern in another file and a log that has both.
const EVERYDAY_APP_TS: &str = "\
// #COMPLETION_DRIVE: 日本語 Assuming the cache lives in src/cache/redis.ts
export const cache = null
";
const EVERYDAY_B_TS: &str = "// #CARGO_CULT: retry loop copied from src/app.ts\nexport {}\n";
const EVERYDAY_LOG: &str = "# Implementation Log\n\n## Files Created\n\n\
#FILE_CREATED: src/app.ts (2 lines)\n#FILE_CREATED: src/b.ts (2 lines)\n";

#[test]
fn neovim_0_11_everyday_completion_actions_lenses_colours_and_the_project_view() {
    run_everyday_test("TAGLS_NVIM_011", "0.11");
}

#[test]
fn neovim_0_7_everyday_completion_actions_lenses_and_the_project_view() {
    run_everyday_test("TAGLS_NVIM_07", "0.7");
}

fn run_everyday_test(key: &str, version: &str) {
    let Some(nvim) = find_nvim(key, version, "test") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().canonicalize().unwrap();
    let root = dir.join("ws");
    fs::create_dir_all(root.join(".git")).unwrap();
    fs::create_dir_all(root.join("src")).unwrap();
    fs::create_dir_all(root.join(".orchestration")).unwrap();
    fs::write(root.join("src/app.ts"), EVERYDAY_APP_TS).unwrap();
    fs::write(root.join("src/b.ts"), EVERYDAY_B_TS).unwrap();
    fs::write(root.join(LOG_PATH), EVERYDAY_LOG).unwrap();

    let (result, context) = run_driver(
        &nvim,
        version,
        &dir,
        "plugin_everyday.lua",
        "ws/src/app.ts",
        &[("TAGLS_ROOT", root.as_os_str())],
    );

    // Completion after `#`: set up by the plugin, and `#COMP` completes to the tag, with
    // one `#`, whether `#` is a word character or not. (0.11 inserts the word up to the
    // first space, 0.7 the whole text.)
    assert_eq!(
        result["omnifunc"], "v:lua.vim.lsp.omnifunc",
        "omnifunc\n{context}"
    );
    for (i, line) in result["completed_lines"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        assert_eq!(
            line.as_str().map(str::trim_end),
            Some("// #COMPLETION_DRIVE:"),
            "completed line {i}\n{context}"
        );
        let words = result["completion_words"][i]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert!(
            !words.is_empty()
                && words
                    .iter()
                    .all(|w| w.as_str().is_some_and(|w| w.starts_with("#COMP"))),
            "completion menu {i}: {words:?}\n{context}"
        );
    }
    assert_eq!(
        result["completed_lines"].as_array().map(Vec::len),
        Some(2),
        "completions\n{context}"
    );

    // The first action on the missing path's line is its fix; the file-wide ones last.
    let kinds: Vec<&str> = result["action_kinds"]
        .as_array()
        .map(|k| k.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    assert_eq!(
        result["action_titles"][0], "Create src/cache/redis.ts",
        "first code action\n{context}"
    );
    assert_eq!(
        kinds,
        ["quickfix", "quickfix", "source.tagls", "source.tagls"],
        "code action kinds, in order\n{context}"
    );

    // Lenses without a refresh by hand: on attach, then after an edit outside Insert
    // mode (the server's workspace/codeLens/refresh).
    assert_eq!(
        result["lens_before"],
        serde_json::json!(["tagls: 1 assumption · 1 unresolved"]),
        "lens on attach\n{context}"
    );
    assert_eq!(
        result["lens_after"],
        serde_json::json!(["tagls: 3 assumption · 1 pattern · 1 unresolved"]),
        "lens after the edits\n{context}"
    );

    // Patterns are coloured as hints.
    if version != "0.7" {
        assert_eq!(
            result["pattern_hl"], result["hint_hl"],
            "@lsp.type.tagPattern resolves to DiagnosticHint\n{context}"
        );
        assert_eq!(result["pattern_hl"]["name"], "DiagnosticHint", "{context}");
        assert_ne!(
            result["pattern_hl"]["fg"], result["warn_hl"]["fg"],
            "a pattern is not coloured as a warning\n{context}"
        );
    }

    // :TaglsGate: the gate's findings, the blocking one first and marked, the verdict in
    // the title; columns in bytes (the UTF-16 and UTF-8 columns differ on line 1).
    let file = |rel: &str| root.join(rel).to_string_lossy().into_owned();
    let item = |f: &str, lnum: u32, col: u32, typ: &str, text: &str| serde_json::json!({ "file": file(f), "lnum": lnum, "col": col, "type": typ, "text": text });
    assert_eq!(
        result["gate_title"], "tagls gate: BLOCKED (1 missing path(s)), 5 finding(s), 1 blocking",
        "quickfix title\n{context}"
    );
    assert_eq!(
        result["gate_items"],
        serde_json::json!([
            item(
                "src/app.ts",
                1,
                61,
                "W",
                "[BLOCKED] missing-path: src/cache/redis.ts does not exist in the workspace"
            ),
            item(LOG_PATH, 5, 1, "I", "claim: Claim: src/app.ts (2 lines)"),
            item(LOG_PATH, 6, 1, "I", "claim: Claim: src/b.ts (2 lines)"),
            item(
                "src/app.ts",
                1,
                4,
                "I",
                "assumption: Assumption: 日本語 Assuming the cache lives in src/cache/redis.ts"
            ),
            item(
                "src/b.ts",
                1,
                4,
                "N",
                "pattern: Pattern: retry loop copied from src/app.ts"
            ),
        ]),
        "quickfix items of :TaglsGate\n{context}"
    );

    // :TaglsTags: every tag on disk, by family, then file.
    assert_eq!(
        result["tags_title"], "tagls tags: 4 tag(s) in 3 file(s), gate BLOCKED (1 missing path(s))",
        "quickfix title\n{context}"
    );
    assert_eq!(
        result["tags_items"],
        serde_json::json!([
            item(
                "src/app.ts",
                1,
                4,
                "I",
                "assumption: #COMPLETION_DRIVE: 日本語 Assuming the cache lives in src/cache/redis.ts"
            ),
            item(
                LOG_PATH,
                5,
                1,
                "I",
                "claim: #FILE_CREATED: src/app.ts (2 lines)"
            ),
            item(
                LOG_PATH,
                6,
                1,
                "I",
                "claim: #FILE_CREATED: src/b.ts (2 lines)"
            ),
            item(
                "src/b.ts",
                1,
                4,
                "I",
                "pattern: #CARGO_CULT: retry loop copied from src/app.ts"
            ),
        ]),
        "quickfix items of :TaglsTags\n{context}"
    );
    assert_eq!(result["server_exit_code"], 0, "server exit\n{context}");
}
