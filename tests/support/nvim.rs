//! Shared helpers for the headless Neovim tests (`tests/nvim.rs` and
//! `tests/editors_plugin.rs`): finding the editors that `tests/install-editors.sh`
//! installed, and running a Lua driver from `tests/nvim/` in its own process group with
//! a timeout. Included by those two test files only, as a separate module.

use std::ffi::OsStr;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

pub const TAGLS: &str = env!("CARGO_BIN_EXE_tagls");
pub const WORKSPACE_ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
pub const NVIM_TIMEOUT: Duration = Duration::from_secs(60);

/// vim.diagnostic.severity.WARN (1 = ERROR, 2 = WARN, 3 = INFO, 4 = HINT).
pub const SEVERITY_WARN: i64 = 2;
/// vim.diagnostic.severity.INFO.
pub const SEVERITY_INFO: i64 = 3;

pub fn workspace_root() -> PathBuf {
    let root = PathBuf::from(WORKSPACE_ROOT);
    root.canonicalize().unwrap_or(root)
}

/// `KEY` from the environment, else from `target/editors.env`.
pub fn editor_setting(key: &str) -> Option<String> {
    if let Ok(value) = std::env::var(key)
        && !value.trim().is_empty()
    {
        return Some(value.trim().to_owned());
    }
    let env_file = workspace_root().join("target").join("editors.env");
    let text = fs::read_to_string(env_file).ok()?;
    text.lines()
        .map(str::trim)
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| line.split_once('='))
        .find(|(k, _)| k.trim() == key)
        .map(|(_, v)| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// The Neovim binary for `key`, or `None` when the test should be skipped. `test` names
/// the test in the skip note (`"test"`, `"plugin test"`).
pub fn find_nvim(key: &str, version: &str, test: &str) -> Option<PathBuf> {
    let found = editor_setting(key).map(PathBuf::from);
    let problem = match &found {
        Some(path) if path.is_file() => return found,
        Some(path) => format!("{key}={} does not exist", path.display()),
        None => format!("{key} is set neither in the environment nor in target/editors.env"),
    };
    let required = std::env::var("TAGLS_REQUIRE_EDITORS").is_ok_and(|v| v.trim() == "1");
    if required {
        panic!(
            "Neovim {version} is required (TAGLS_REQUIRE_EDITORS=1) but not found: {problem}.\n\
             Run `bash tests/install-editors.sh` (as root) in {} to install it.",
            workspace_root().display()
        );
    }
    eprintln!(
        "note: skipping the Neovim {version} {test}: {problem}. \
         Run `bash tests/install-editors.sh` to install the editors \
         (set TAGLS_REQUIRE_EDITORS=1 to make this a failure)."
    );
    None
}

/// Escapes a path for an Ex command argument (`:luafile {file}`).
pub fn ex_escape(path: &Path) -> String {
    let mut out = String::new();
    for c in path.to_string_lossy().chars() {
        if matches!(c, ' ' | '\\' | '|' | '"' | '%' | '#') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The last `max` bytes of `text` (or a little less, to start on a char boundary).
pub fn tail(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut start = text.len() - max;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    &text[start..]
}

/// How a `run_nvim` went.
pub struct NvimRun {
    /// The exit status, `None` when it was killed after the timeout.
    pub status: Option<ExitStatus>,
    pub timed_out: bool,
    pub stdout: String,
    pub stderr: String,
    /// Neovim's `lsp.log`, wherever the version wrote it.
    pub lsp_log: String,
}

/// Runs the Lua driver `tests/nvim/{script}` in `nvim` on `file` (relative to `dir`),
/// with `TAGLS_RESULT=result` and `env` added to its environment, killing its process
/// group after `NVIM_TIMEOUT`.
pub fn run_nvim(
    nvim: &Path,
    dir: &Path,
    script: &str,
    file: &str,
    result: &Path,
    env: &[(&str, &OsStr)],
) -> NvimRun {
    let script = workspace_root().join("tests").join("nvim").join(script);
    assert!(script.is_file(), "missing {}", script.display());

    // Keep Neovim's state, logs and caches inside the temp dir.
    let home = dir.join(".nvim-home");
    let xdg = |name: &str| {
        let path = home.join(name);
        fs::create_dir_all(&path).unwrap();
        path
    };
    let stdout_path = home.join("stdout.txt");
    let stderr_path = home.join("stderr.txt");
    let (config, data, state, cache) = (xdg("config"), xdg("data"), xdg("state"), xdg("cache"));

    let mut command = Command::new(nvim);
    command
        .args(["--headless", "-u", "NONE", "-i", "NONE", "-n", "-c"])
        .arg(format!("luafile {}", ex_escape(&script)))
        .arg(file)
        .current_dir(dir)
        .env("TAGLS_BIN", TAGLS)
        .env("TAGLS_RESULT", result)
        .env("XDG_CONFIG_HOME", &config)
        .env("XDG_DATA_HOME", &data)
        .env("XDG_STATE_HOME", &state)
        .env("XDG_CACHE_HOME", &cache)
        .env_remove("VIMINIT")
        .env_remove("VIMRUNTIME")
        .env_remove("NVIM")
        .env_remove("NVIM_LISTEN_ADDRESS")
        .env(
            "RUST_LOG",
            std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into()),
        )
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(File::create(&stdout_path).unwrap())
        .stderr(File::create(&stderr_path).unwrap());
    {
        // Its own process group, so that a timeout also ends the server it started.
        use std::os::unix::process::CommandExt;
        command.process_group(0);
    }
    let mut child = command
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", nvim.display()));

    let deadline = Instant::now() + NVIM_TIMEOUT;
    let mut timed_out = false;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if Instant::now() >= deadline => {
                timed_out = true;
                let _ = Command::new("kill")
                    .args(["-KILL", "--", &format!("-{}", child.id())])
                    .stderr(Stdio::null())
                    .status();
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            Ok(None) => thread::sleep(Duration::from_millis(50)),
            Err(e) => panic!("waiting for nvim: {e}"),
        }
    };

    // 0.11 logs to stdpath('state'), 0.7 to stdpath('cache').
    let lsp_log = [state.join("nvim/lsp.log"), cache.join("nvim/lsp.log")]
        .iter()
        .filter_map(|p| fs::read_to_string(p).ok())
        .collect::<Vec<_>>()
        .join("\n");
    NvimRun {
        status,
        timed_out,
        stdout: fs::read_to_string(&stdout_path).unwrap_or_default(),
        stderr: fs::read_to_string(&stderr_path).unwrap_or_default(),
        lsp_log,
    }
}
