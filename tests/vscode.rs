//! Real-editor test in VS Code: the packaged extension (`editors/vscode`, built into
//! `target/tagls.vsix`) is installed into code-server (VS Code in a browser), which a
//! headless Chromium drives through playwright-core, on a copy of `examples/demo`. It
//! must show tagls's diagnostic in the Problems panel and tagls's hover on a tag, and
//! the `Log #FILE_CREATED` source action must make the server write the entry into the
//! copy's implementation log on disk; the `tagls: Open Implementation Log` command must
//! open that log, with the claim tag in the extension's default colour, and, once the
//! copy's `.tagls.toml` moves the log to `docs/impl-log.md`, open that file instead; and
//! `tagls: Restart Server` and `tagls: Show Output` must do what they say; in a Swift, a Rust
//! and a Java file (`tests/fixtures/editors/`) tagls's diagnostic must be in the Problems
//! panel on the tag's line and column, and the tag's text in a string must not. The status bar
//! must show the gate's verdict and follow a fix made on disk, the tags view must list the
//! families and their files, the log's false line count must have its quick fix, and a
//! `tagls.server.path` that is not the server must be said once, in one sentence, with
//! "Open Settings" opening the Remote settings; and the Settings editor must edit each of
//! the server's settings in place.
//!
//! The browser side lives in `tests/vscode/e2e.mjs`. Everything it needs comes from
//! `tests/install-vscode.sh`, which writes the paths to `target/vscode.env`
//! (`TAGLS_VSCODE_NODE`, `TAGLS_VSCODE_CODE_SERVER`, `TAGLS_VSCODE_PLAYWRIGHT`,
//! `TAGLS_VSCODE_CHROMIUM`, `TAGLS_VSCODE_VSIX`); the same variables in the environment
//! take precedence. When any is missing the test is skipped with a note, unless
//! `TAGLS_REQUIRE_EDITORS=1`, which turns that into a failure.
//!
//! Screenshots of every step go to `target/vscode-screenshots/`.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

const TAGLS: &str = env!("CARGO_BIN_EXE_tagls");
const WORKSPACE_ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
/// The script's own deadline (it then cleans up and exits) ...
const SCRIPT_TIMEOUT: Duration = Duration::from_secs(420);
/// ... and ours, for a script that does not.
const HARD_TIMEOUT: Duration = Duration::from_secs(480);
/// What the test needs, by the name `target/vscode.env` gives it.
const SETTINGS: &[&str] = &[
    "TAGLS_VSCODE_NODE",
    "TAGLS_VSCODE_CODE_SERVER",
    "TAGLS_VSCODE_PLAYWRIGHT",
    "TAGLS_VSCODE_CHROMIUM",
    "TAGLS_VSCODE_VSIX",
];

#[test]
fn vscode_shows_diagnostic_and_hover_and_logs_from_a_source_action() {
    let Some(settings) = find_tools() else {
        return;
    };
    let root = workspace_root();
    let demo = root.join("examples").join("demo");
    let demo_log = demo.join(".orchestration").join("implementation-log.md");
    let demo_log_before = fs::read(&demo_log).expect("examples/demo has an implementation log");
    let screenshots = root.join("target").join("vscode-screenshots");
    let script = root.join("tests").join("vscode").join("e2e.mjs");
    assert!(script.is_file(), "missing {}", script.display());

    let work = tempfile::Builder::new()
        .prefix("tagls-vscode-")
        .tempdir()
        .expect("a temp dir");
    let stdout_path = work.path().join("e2e.stdout");
    let stderr_path = work.path().join("e2e.stderr");

    let mut command = Command::new(&settings[0].1);
    command
        .arg(&script)
        .current_dir(&root)
        .env("TAGLS_BIN", TAGLS)
        .env("TAGLS_DEMO", &demo)
        .env("TAGLS_SCREENSHOTS", &screenshots)
        .env("TAGLS_WORK", work.path().join("run"))
        .env(
            "TAGLS_E2E_TIMEOUT_MS",
            SCRIPT_TIMEOUT.as_millis().to_string(),
        )
        .stdin(Stdio::null())
        .stdout(File::create(&stdout_path).unwrap())
        .stderr(File::create(&stderr_path).unwrap());
    for (key, value) in &settings {
        command.env(key, value);
    }
    let started = Instant::now();
    let mut child = command.spawn().expect("start node");
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if started.elapsed() > HARD_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        thread::sleep(Duration::from_millis(100));
    };
    // The script kills code-server's process group itself; make sure of it.
    kill_code_server(&work.path().join("run"));
    let elapsed = started.elapsed();

    let stdout = fs::read_to_string(&stdout_path).unwrap_or_default();
    let stderr = fs::read_to_string(&stderr_path).unwrap_or_default();
    let context = || {
        let run = work.path().join("run");
        format!(
            "--- e2e.mjs stdout ---\n{stdout}\n--- e2e.mjs stderr ---\n{stderr}\n\
             --- the extension's output (tagls) ---\n{}\n--- code-server log (tail) ---\n{}\n\
             screenshots: {}",
            extension_log(&run),
            tail(
                &fs::read_to_string(run.join("code-server.log")).unwrap_or_default(),
                40
            ),
            screenshots.display()
        )
    };
    let Some(status) = status else {
        panic!(
            "the VS Code test did not finish within {HARD_TIMEOUT:?}\n{}",
            context()
        );
    };
    assert!(
        status.success() && stdout.contains("RESULT: ok"),
        "the VS Code test failed ({status})\n{}",
        context()
    );
    for step in [
        "1. the Problems panel shows",
        "2. the hover shows",
        "2b. the status bar shows \"tagls: BLOCKED (1)\" with the error icon",
        "2b. with src/config/rate-limit.ts created, the status bar shows",
        "3. the log on disk now has",
        "4. \"tagls: Open Implementation Log\" opened the log",
        "4a. \"Correct to 26 lines\" corrected",
        "4b. with log = \"docs/impl-log.md\" in .tagls.toml, \"tagls: Open Implementation Log\" opened docs/impl-log.md",
        "5. \"tagls: Restart Server\" started the server again",
        "7. with tagls.server.path = /bin/true",
        "7. \"Open Settings\" opened the Remote",
        "8. the Settings editor edits tagls.log, tagls.git-base, tagls.max-file-size",
    ] {
        assert!(stdout.contains(step), "no step {step:?}\n{}", context());
    }
    // The server may warn about settings it cannot read; the extension must send it
    // only its own (no `server`, no `trace`).
    let output = extension_log(&work.path().join("run"));
    assert!(
        !output.contains("settings are not valid"),
        "the server rejected the settings the extension sent\n{}",
        context()
    );
    assert_eq!(
        fs::read(&demo_log).unwrap(),
        demo_log_before,
        "the test changed the repository's examples/demo log; it must work on a copy"
    );
    eprintln!(
        "{stdout}VS Code test passed in {:.1}s; screenshots in {}",
        elapsed.as_secs_f64(),
        screenshots.display()
    );
}

fn workspace_root() -> PathBuf {
    let root = PathBuf::from(WORKSPACE_ROOT);
    root.canonicalize().unwrap_or(root)
}

/// `KEY` from the environment, else from `target/vscode.env`.
fn setting(key: &str, env_file: Option<&str>) -> Option<String> {
    if let Ok(value) = std::env::var(key)
        && !value.trim().is_empty()
    {
        return Some(value.trim().to_owned());
    }
    env_file?
        .lines()
        .map(str::trim)
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| line.split_once('='))
        .find(|(k, _)| k.trim() == key)
        .map(|(_, v)| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// The tools, in `SETTINGS` order, or `None` when the test should be skipped.
fn find_tools() -> Option<Vec<(&'static str, PathBuf)>> {
    let env_path = workspace_root().join("target").join("vscode.env");
    let env_file = fs::read_to_string(&env_path).ok();
    let mut found = Vec::new();
    let mut problems = Vec::new();
    for key in SETTINGS {
        match setting(key, env_file.as_deref()).map(PathBuf::from) {
            Some(path) if path.exists() => found.push((*key, path)),
            Some(path) => problems.push(format!("{key}={} does not exist", path.display())),
            None => problems.push(format!(
                "{key} is set neither in the environment nor in {}",
                env_path.display()
            )),
        }
    }
    if problems.is_empty() {
        return Some(found);
    }
    let problem = problems.join("; ");
    if std::env::var("TAGLS_REQUIRE_EDITORS").is_ok_and(|v| v.trim() == "1") {
        panic!(
            "VS Code is required (TAGLS_REQUIRE_EDITORS=1) but not installed: {problem}.\n\
             Run `bash tests/install-vscode.sh` (as root) in {} to install it.",
            workspace_root().display()
        );
    }
    eprintln!(
        "note: skipping the VS Code test: {problem}. Run `bash tests/install-vscode.sh` \
         to install code-server, chromium and the extension \
         (set TAGLS_REQUIRE_EDITORS=1 to make this a failure)."
    );
    None
}

/// Kills code-server's process group, whose leader's pid the script wrote.
fn kill_code_server(run: &Path) {
    let Some(pid) = fs::read_to_string(run.join("code-server.pid"))
        .ok()
        .and_then(|s| s.trim().parse::<u32>().ok())
    else {
        return;
    };
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{pid}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// The extension's output channel, as VS Code logs it under the user data dir.
fn extension_log(run: &Path) -> String {
    let mut out = String::new();
    let logs = run.join("user-data").join("logs");
    let Ok(sessions) = fs::read_dir(&logs) else {
        return out;
    };
    for session in sessions.flatten() {
        let Ok(hosts) = fs::read_dir(session.path()) else {
            continue;
        };
        for host in hosts.flatten() {
            let file = host.path().join("tagls.tagls").join("tagls.log");
            if let Ok(text) = fs::read_to_string(&file) {
                out.push_str(&tail(&text, 60));
            }
        }
    }
    out
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
