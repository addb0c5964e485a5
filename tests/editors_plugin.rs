//! The shipped Neovim plugin (`editors/neovim`), end to end: a headless Neovim (0.11.4 and
//! 0.7.2) puts the plugin on its runtimepath and starts tagls through
//! `require("tagls").setup({ cmd = { TAGLS_BIN } })` alone, then must show tagls'
//! diagnostics and hover, apply the quick fix "Change to #COMPLETION_DRIVE" to a misspelt
//! tag, and (0.11; 0.7 has no semantic tokens) highlight the tag with
//! `@lsp.type.tagAssumption`. The plugin must also reuse one client per root, attach it to
//! Markdown (any file: which one is the log is the server's to say), and pass the settings
//! both as `init_options` and as `settings.tagls`.
//!
//! The editors come from `tests/install-editors.sh` (`target/editors.env`:
//! `TAGLS_NVIM_011=...`, `TAGLS_NVIM_07=...`; the same variables in the environment take
//! precedence). A missing editor skips its test, unless `TAGLS_REQUIRE_EDITORS=1`, which
//! turns that into a failure. The Neovim side is `tests/nvim/plugin_e2e.lua`.

use std::fs;
use std::time::Instant;

use serde_json::{Value, json};

use crate::nvim_support;

use nvim_support::{NVIM_TIMEOUT, SEVERITY_INFO, SEVERITY_WARN, find_nvim, run_nvim, tail};

/// An assumption on line 0, a misspelt tag on line 2.
const APP_TS: &str = "\
// #COMPLETION_DRIVE: Assuming the API returns {token, user}
export const x = 1
// #COMPLETION_DIRVE: Assuming retries are handled upstream
export const y = 2
";
const TYPO_LINE: i64 = 2;
const FIXED_LINE: &str = "// #COMPLETION_DRIVE: Assuming retries are handled upstream";
const OTHER_TS: &str = "// #PATH_DECISION: one client per root\nexport const z = 3\n";
const LOG_MD: &str = "\
# Implementation Log

## Files Created

#FILE_CREATED: src/other.ts (2 lines)
  Description: a second file
";

#[test]
fn neovim_0_11_plugin_setup_serves_a_typescript_file() {
    run_plugin_test("TAGLS_NVIM_011", "0.11");
}

#[test]
fn neovim_0_7_plugin_setup_serves_a_typescript_file() {
    run_plugin_test("TAGLS_NVIM_07", "0.7");
}

fn run_plugin_test(key: &str, version: &str) {
    let Some(nvim) = find_nvim(key, version, "plugin test") else {
        return;
    };

    // The workspace root is `dir/ws` (a `.git` folder marks it), two levels above the
    // file; Neovim's own files and the result stay outside it.
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().canonicalize().unwrap();
    let root = dir.join("ws");
    fs::create_dir_all(root.join(".git")).unwrap();
    fs::create_dir_all(root.join("src")).unwrap();
    fs::create_dir_all(root.join(".orchestration")).unwrap();
    fs::write(root.join("src/app.ts"), APP_TS).unwrap();
    fs::write(root.join("src/other.ts"), OTHER_TS).unwrap();
    fs::write(root.join("README.md"), "# A project\n").unwrap();
    fs::write(root.join(".orchestration/implementation-log.md"), LOG_MD).unwrap();
    fs::create_dir_all(root.join(".claude/orchestration")).unwrap();
    fs::write(
        root.join(".claude/orchestration/phase_state.json"),
        "{\n  \"gates\": {\n    \"code_review\": { \"gate_decision\": \"FAIL\" }\n  }\n}\n",
    )
    .unwrap();

    let result_path = dir.join("result.json");
    let started = Instant::now();
    let run = run_nvim(
        &nvim,
        &dir,
        "plugin_e2e.lua",
        "ws/src/app.ts",
        &result_path,
        &[("TAGLS_ROOT", root.as_os_str())],
    );
    let elapsed = started.elapsed();
    let result_text = fs::read_to_string(&result_path).unwrap_or_default();
    let context = format!(
        "Neovim {version} ({}) running plugin_e2e.lua in {elapsed:?}\nexit: {:?}{}\n\
         result: {result_text}\n--- stdout ---\n{}\n--- stderr ---\n{}\n--- lsp.log (tail) ---\n{}",
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
    let modern = version == "0.11";

    // The plugin's path: vim.lsp.config on 0.11, the autocommand before.
    assert_eq!(
        result["lsp_config"], modern,
        "vim.lsp.config used\n{context}"
    );

    // Root and settings, as the server expects them.
    assert_eq!(
        result["root_dir"],
        root.to_string_lossy().as_ref(),
        "root_dir (nearest .git)\n{context}"
    );
    let settings = json!({ "log": ".orchestration/implementation-log.md" });
    assert_eq!(result["init_options"], settings, "init_options\n{context}");
    assert_eq!(
        result["settings"],
        json!({ "tagls": settings }),
        "settings\n{context}"
    );

    // Diagnostics from tagls.
    let diagnostics = result["diagnostics"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let ours = |code: &str| {
        diagnostics
            .iter()
            .find(|d| d["source"] == "tagls" && d["code"] == code)
            .cloned()
            .unwrap_or_else(|| panic!("no tagls {code} diagnostic\n{context}"))
    };
    // It names nothing checkable: one diagnostic says so, on the tag itself.
    let assumption = ours("unchecked-assumption");
    assert_eq!(assumption["lnum"], 0, "assumption line\n{context}");
    assert_eq!(assumption["col"], 3, "assumption column\n{context}");
    assert_eq!(
        assumption["end_col"], 21,
        "assumption end: the tag, not the comment\n{context}"
    );
    assert!(
        !diagnostics
            .iter()
            .any(|d| d["source"] == "tagls" && d["code"] == "assumption"),
        "a second diagnostic for the same tag\n{context}"
    );
    assert_eq!(
        assumption["severity"], SEVERITY_INFO,
        "assumption severity\n{context}"
    );
    assert!(
        assumption["message"]
            .as_str()
            .unwrap_or_default()
            .contains("Assuming the API returns {token, user}"),
        "assumption message\n{context}"
    );
    let unknown = ours("unknown-tag");
    assert_eq!(unknown["lnum"], TYPO_LINE, "unknown-tag line\n{context}");
    assert_eq!(
        unknown["severity"], SEVERITY_WARN,
        "unknown-tag severity\n{context}"
    );

    // Hover: tagls' explanation of the tag.
    let hover = result["hover"]
        .as_str()
        .unwrap_or_else(|| panic!("no hover text\n{context}"));
    assert!(
        hover.contains("#COMPLETION_DRIVE") && hover.contains("(assumption family)"),
        "hover {hover:?}\n{context}"
    );

    // The quick fix, applied to the buffer.
    assert_eq!(
        result["action"]["title"], "Change to #COMPLETION_DRIVE",
        "chosen action\n{context}"
    );
    assert_eq!(
        result["action"]["kind"], "quickfix",
        "action kind\n{context}"
    );
    assert_eq!(
        result["line_before"], "// #COMPLETION_DIRVE: Assuming retries are handled upstream",
        "line before the fix\n{context}"
    );
    assert_eq!(
        result["line_after"], FIXED_LINE,
        "line after the fix\n{context}"
    );
    assert_eq!(result["modified"], true, "buffer modified\n{context}");

    // Semantic tokens: 0.11 shows the tag with tagls' token type, linked by the plugin.
    if modern {
        let groups: Vec<&str> = result["semantic_tokens"]
            .as_array()
            .map(|g| g.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        assert!(
            groups
                .iter()
                .any(|g| g.starts_with("@lsp.type.tagAssumption")),
            "semantic token groups on the tag: {groups:?}\n{context}"
        );
        assert_eq!(
            result["highlight_link"], "DiagnosticInfo",
            "@lsp.type.tagAssumption link\n{context}"
        );
    } else {
        assert_eq!(
            result["semantic_tokens"], "unsupported",
            "Neovim 0.7 has no semantic tokens\n{context}"
        );
    }

    // One client per root, for Markdown too.
    assert_eq!(
        result["second_file_same_client"], true,
        "second file reuses the client\n{context}"
    );
    assert_eq!(
        result["second_file_clients"], 1,
        "clients on the second file\n{context}"
    );
    assert_eq!(
        result["readme_clients"], 1,
        "clients on README.md\n{context}"
    );
    assert_eq!(result["log_clients"], 1, "clients on the log\n{context}");
    assert_eq!(
        result["log_same_client"], true,
        "the log reuses the client\n{context}"
    );
    assert_eq!(result["client_count"], 1, "tagls clients in all\n{context}");
    // The phase state (JSON) is served by the same client, and its gate that
    // says FAIL is a diagnostic on its line.
    assert_eq!(
        result["phase_state_same_client"], true,
        "phase state client\n{context}"
    );
    assert_eq!(
        result["phase_state_diagnostic"],
        json!({ "code": "gate-failed", "line": 2 }),
        "phase state diagnostic\n{context}"
    );
    assert_eq!(
        result["server_exit_code"], 0,
        "the server's exit code after shutdown\n{context}"
    );
    eprintln!("Neovim {version}: plugin_e2e.lua passed in {elapsed:?}");
}
