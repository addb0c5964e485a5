//! Helix 25.01.1, for real, in tmux: the shipped `editors/helix/languages.toml` (in a
//! temporary `XDG_CONFIG_HOME/helix/`) makes Helix start `tagls`, found through `PATH`
//! (the built binary's folder first), on a TypeScript file in a workspace with a `.git`
//! folder. What the screen must show:
//!   - the diagnostics (gutter marks, then tagls' messages in the `space d` picker);
//!   - tagls' hover (`space k`) on the assumption tag;
//!   - the quick fix "Change to #COMPLETION_DRIVE" (`space a`) on a misspelt tag, applied,
//!     then written with `:w` (checked on disk);
//!   - tag-name completion: `#COMP` typed in a comment, the first item taken, completes to
//!     `// #COMPLETION_DRIVE: ` with one `#` (checked on disk);
//!   - when the test Helix has a TypeScript grammar (tests/install-helix.sh builds one),
//!     the highlight queries that `editors/helix/install.sh` writes: they must compile
//!     (no query error in Helix's log) and colour a tagged comment unlike a plain one.
//!
//! A Swift, a Rust and a Java file (`tests/fixtures/editors/`) show tagls' diagnostic: the
//! gutter mark on the tag's line only, its message in the picker.
//!
//! The highlight queries `editors/helix/install.sh` writes cover every language tagls reads
//! that Helix has queries for, each with its grammar's comment node kinds, which Helix's
//! own query for the language must name; where the test Helix has the grammar (16 of the
//! 22, built by tests/install-helix.sh), Helix loads each query without error and colours
//! a tagged comment unlike a plain one.
//!
//! And on a copy of `examples/demo`, with no `.git` anywhere and Helix started above it,
//! or inside a git checkout: the `roots` of the shipped `languages.toml` must give tagls
//! the demo as its root, so that a path a tag names from the root is not reported missing.
//!
//! Helix comes from `tests/install-helix.sh`, which writes `target/helix.env`
//! (`TAGLS_HX=...`, `TAGLS_TMUX=...`); the same variables in the environment take
//! precedence. A missing Helix or tmux skips the test, unless `TAGLS_REQUIRE_EDITORS=1`,
//! which turns that into a failure.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant};

const TAGLS: &str = env!("CARGO_BIN_EXE_tagls");
const WORKSPACE_ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
/// How long one expected change of the screen may take.
const STEP_TIMEOUT: Duration = Duration::from_secs(20);
const WIDTH: u32 = 200;
const HEIGHT: u32 = 50;

const APP_TS: &str = "\
// #COMPLETION_DRIVE: Assuming the API returns {token, user}
export const x = 1
// #COMPLETION_DIRVE: Assuming retries are handled upstream
export const y = 2
// a plain comment
";
const FIXED_TS: &str = "\
// #COMPLETION_DRIVE: Assuming the API returns {token, user}
export const x = 1
// #COMPLETION_DRIVE: Assuming retries are handled upstream
export const y = 2
// a plain comment
";

fn workspace_root() -> PathBuf {
    let root = PathBuf::from(WORKSPACE_ROOT);
    root.canonicalize().unwrap_or(root)
}

/// `KEY` from the environment, else from `target/helix.env`.
fn setting(key: &str) -> Option<String> {
    if let Ok(value) = std::env::var(key)
        && !value.trim().is_empty()
    {
        return Some(value.trim().to_owned());
    }
    let text = fs::read_to_string(workspace_root().join("target/helix.env")).ok()?;
    text.lines()
        .map(str::trim)
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| line.split_once('='))
        .find(|(k, _)| k.trim() == key)
        .map(|(_, v)| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// Helix and tmux, or `None` when the test should be skipped.
fn find_tools() -> Option<(PathBuf, PathBuf)> {
    let hx = setting("TAGLS_HX").map(PathBuf::from);
    let tmux = setting("TAGLS_TMUX")
        .map(PathBuf::from)
        .or_else(|| Some(PathBuf::from("/usr/bin/tmux")));
    let problem = match (&hx, &tmux) {
        (Some(hx), Some(tmux)) if hx.is_file() && tmux.is_file() => {
            return Some((hx.clone(), tmux.clone()));
        }
        (Some(hx), _) if !hx.is_file() => format!("TAGLS_HX={} does not exist", hx.display()),
        (None, _) => "TAGLS_HX is set neither in the environment nor in target/helix.env".into(),
        (_, tmux) => format!("tmux not found ({tmux:?})"),
    };
    if std::env::var("TAGLS_REQUIRE_EDITORS").is_ok_and(|v| v.trim() == "1") {
        panic!(
            "Helix is required (TAGLS_REQUIRE_EDITORS=1) but not found: {problem}.\n\
             Run `bash tests/install-helix.sh` (as root) in {} to install it.",
            workspace_root().display()
        );
    }
    eprintln!(
        "note: skipping the Helix test: {problem}. Run `bash tests/install-helix.sh` to \
         install Helix 25.01.1 (set TAGLS_REQUIRE_EDITORS=1 to make this a failure)."
    );
    None
}

fn shell_quote(path: &Path) -> String {
    format!("'{}'", path.to_string_lossy().replace('\'', "'\\''"))
}

/// A Helix running in its own tmux server; both go when it is dropped.
struct Session {
    tmux: PathBuf,
    socket: PathBuf,
    pid_file: PathBuf,
    log: PathBuf,
}

impl Session {
    fn tmux(&self, args: &[&str]) -> Output {
        Command::new(&self.tmux)
            .arg("-S")
            .arg(&self.socket)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", self.tmux.display()))
    }

    /// Sends tmux key names (`Space`, `Escape`, `Enter`, `g` ...), one at a time.
    fn keys(&self, keys: &[&str]) {
        for key in keys {
            let out = self.tmux(&["send-keys", "-t", "hx", key]);
            assert!(out.status.success(), "send-keys {key}: {out:?}");
            thread::sleep(Duration::from_millis(60));
        }
    }

    /// Types `text` literally.
    fn type_text(&self, text: &str) {
        let out = self.tmux(&["send-keys", "-t", "hx", "-l", text]);
        assert!(out.status.success(), "send-keys -l {text}: {out:?}");
        thread::sleep(Duration::from_millis(60));
    }

    /// The screen, as text (`escapes`: with its colours).
    fn screen(&self, escapes: bool) -> String {
        let mut args = vec!["capture-pane", "-p", "-t", "hx"];
        if escapes {
            args.push("-e");
        }
        String::from_utf8_lossy(&self.tmux(&args).stdout).into_owned()
    }

    fn alive(&self) -> bool {
        self.tmux(&["has-session", "-t", "hx"]).status.success()
    }

    fn helix_log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits until `ready(screen)`; panics with the screen and Helix's log if it never is.
    fn wait_for(&self, what: &str, ready: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + STEP_TIMEOUT;
        loop {
            let screen = self.screen(false);
            if ready(&screen) {
                return screen;
            }
            if Instant::now() >= deadline || !self.alive() {
                panic!(
                    "Helix: {what}: not on screen within {STEP_TIMEOUT:?}\n--- screen ---\n{screen}\n\
                     --- helix.log (tail) ---\n{}",
                    tail(&self.helix_log(), 6000)
                );
            }
            thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        // The pane's shell exec'd Helix and leads its process group, which holds tagls too.
        if let Ok(pid) = fs::read_to_string(&self.pid_file)
            && let Ok(pid) = pid.trim().parse::<i32>()
        {
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{pid}")])
                .stderr(Stdio::null())
                .status();
        }
        let _ = Command::new(&self.tmux)
            .arg("-S")
            .arg(&self.socket)
            .arg("kill-server")
            .stderr(Stdio::null())
            .status();
    }
}

fn tail(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut start = text.len() - max;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    &text[start..]
}

/// The screen line (0-based) that shows buffer line `n` (1-based) with its text.
fn buffer_line(screen: &str, n: usize) -> Option<&str> {
    let number = format!(" {n}  ");
    screen.lines().find(|l| l.contains(&number))
}

/// The colour escape sequences in force where `needle` starts on the line that holds it.
fn style_before<'a>(colored: &'a str, needle: &str) -> Option<&'a str> {
    let line = colored.lines().find(|l| l.contains(needle))?;
    let before = &line[..line.find(needle)?];
    // The last SGR sequences right before the text.
    let mut start = before.len();
    while start > 0 && before[..start].ends_with('m') {
        let Some(esc) = before[..start].rfind("\x1b[") else {
            break;
        };
        start = esc;
    }
    Some(&before[start..])
}

/// The last foreground colour set in `style` (`38;5;4`, `38;2;r;g;b` or `3N`).
fn foreground(style: &str) -> Option<String> {
    let mut found = None;
    for seq in style.split("\x1b[").filter(|s| !s.is_empty()) {
        let params = seq.trim_end_matches('m');
        let parts: Vec<&str> = params.split(';').collect();
        let mut i = 0;
        while i < parts.len() {
            match parts[i] {
                "38" => {
                    let n = if parts.get(i + 1) == Some(&"2") { 5 } else { 3 };
                    found = Some(parts[i..(i + n).min(parts.len())].join(";"));
                    i += n;
                }
                "48" => i += if parts.get(i + 1) == Some(&"2") { 5 } else { 3 },
                "0" | "39" => {
                    found = None;
                    i += 1;
                }
                p if p.len() == 2 && (p.starts_with('3') || p.starts_with('9')) => {
                    found = Some(p.to_owned());
                    i += 1;
                }
                _ => i += 1,
            }
        }
    }
    found
}

/// Helix's own folders (`dir/home`, outside any workspace), with the shipped
/// `languages.toml` as the user's; returns `HOME`.
/// Runs editors/helix/install.sh for the Helix `hx` with `home` as the
/// user's home, as a user installs the highlight queries; what it said.
fn install_queries(hx: &Path, home: &Path) -> String {
    let install = Command::new("sh")
        .arg(workspace_root().join("editors/helix/install.sh"))
        .env("HX", hx)
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .output()
        .unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&install.stdout),
        String::from_utf8_lossy(&install.stderr)
    );
    assert!(
        install.status.success(),
        "editors/helix/install.sh failed: {said}"
    );
    said
}

fn helix_home(dir: &Path) -> PathBuf {
    let home = dir.join("home");
    for d in [".config/helix", ".cache", ".local/share", ".local/state"] {
        fs::create_dir_all(home.join(d)).unwrap();
    }
    fs::copy(
        workspace_root().join("editors/helix/languages.toml"),
        home.join(".config/helix/languages.toml"),
    )
    .unwrap();
    home
}

/// Starts Helix in a tmux of its own, in the folder `cwd`, on `file` (relative to
/// `cwd`), with `tagls` found through `PATH` (the built binary's folder first).
fn launch(hx: &Path, tmux: PathBuf, dir: &Path, home: &Path, cwd: &Path, file: &str) -> Session {
    let config = home.join(".config");
    let cache = home.join(".cache");
    let bin_dir = Path::new(TAGLS).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let pid_file = dir.join("hx.pid");
    let script = dir.join("run-hx.sh");
    fs::write(
        &script,
        format!(
            "#!/bin/sh\n\
             export HOME={home} XDG_CONFIG_HOME={config} XDG_CACHE_HOME={cache} \
             XDG_DATA_HOME={home}/.local/share XDG_STATE_HOME={home}/.local/state \
             PATH={path} TERM=xterm-256color RUST_LOG=warn\n\
             unset COLORTERM HELIX_RUNTIME\n\
             echo $$ > {pid}\n\
             cd {cwd} || exit 1\n\
             exec {hx} {file}\n",
            home = shell_quote(home),
            config = shell_quote(&config),
            cache = shell_quote(&cache),
            path = shell_quote(Path::new(&path)),
            pid = shell_quote(&pid_file),
            cwd = shell_quote(cwd),
            hx = shell_quote(hx),
            file = shell_quote(Path::new(file)),
        ),
    )
    .unwrap();
    fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();

    let session = Session {
        tmux,
        socket: dir.join("tmux.sock"),
        pid_file,
        log: cache.join("helix/helix.log"),
    };
    let out = session.tmux(&[
        "-f",
        "/dev/null",
        "new-session",
        "-d",
        "-s",
        "hx",
        "-x",
        &WIDTH.to_string(),
        "-y",
        &HEIGHT.to_string(),
        &script.to_string_lossy(),
    ]);
    assert!(out.status.success(), "tmux new-session: {out:?}");
    session
}

/// Quits Helix with `:q` and waits for it to go.
fn quit(session: &Session) {
    session.type_text(":q");
    session.keys(&["Enter"]);
    let deadline = Instant::now() + STEP_TIMEOUT;
    while session.alive() {
        assert!(
            Instant::now() < deadline,
            "Helix did not quit\n{}\n--- helix.log (tail) ---\n{}",
            session.screen(false),
            tail(&session.helix_log(), 6000)
        );
        thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn helix_25_01_shows_tagls_diagnostics_hover_and_applies_a_quick_fix() {
    let Some((hx, tmux)) = find_tools() else {
        return;
    };
    let started = Instant::now();

    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().canonicalize().unwrap();
    let root = dir.join("ws");
    fs::create_dir_all(root.join(".git")).unwrap();
    fs::create_dir_all(root.join("src")).unwrap();
    let file = root.join("src/app.ts");
    fs::write(&file, APP_TS).unwrap();

    let home = helix_home(&dir);
    // The highlight queries, as a user installs them.
    install_queries(&hx, &home);
    let grammar = setting("TAGLS_HELIX_RUNTIME")
        .map(|r| Path::new(&r).join("grammars/typescript.so"))
        .is_some_and(|p| p.is_file());
    let session = launch(&hx, tmux, &dir, &home, &root, "src/app.ts");

    // 1. Diagnostics: gutter marks on both tag lines, then the messages in the picker.
    session.wait_for("diagnostic marks in the gutter", |s| {
        [1, 3]
            .iter()
            .all(|&n| buffer_line(s, n).is_some_and(|l| l.trim_start().starts_with('●')))
    });
    session.keys(&["Space", "d"]);
    session.wait_for("tagls' diagnostics in the picker (space d)", |s| {
        s.contains("Assumption: Assuming the API returns {token, user}")
            && s.contains("unknown tag #COMPLETION_DIRVE")
    });
    session.keys(&["Escape"]);

    // 2. Highlighting of the tagged comment (when this Helix has the grammar).
    if grammar {
        let colored = session.screen(true);
        // The foreground colours (the diagnostic adds an underline, not a colour).
        let tagged = style_before(&colored, "#COMPLETION_DRIVE:").and_then(foreground);
        let plain = style_before(&colored, "plain").and_then(foreground);
        assert!(
            tagged.is_some() && plain.is_some() && tagged != plain,
            "the tagged comment is not highlighted unlike a plain one: {tagged:?} vs {plain:?}\n{}",
            colored.escape_debug()
        );
        let log = session.helix_log();
        assert!(
            !log.contains("Could not parse queries"),
            "a highlight query does not compile:\n{}",
            tail(&log, 6000)
        );
    } else {
        eprintln!(
            "note: the test Helix has no TypeScript grammar: highlight queries not checked \
             (tests/install-helix.sh builds one)"
        );
    }

    // 3. Hover on the assumption tag (line 1, column 6).
    session.keys(&["g", "g", "l", "l", "l", "l", "l", "Space", "k"]);
    session.wait_for("tagls' hover (space k)", |s| {
        s.contains("#COMPLETION_DRIVE: An assumption") || s.contains("(assumption family)")
    });
    session.keys(&["Escape"]);

    // 4. The quick fix on the misspelt tag (line 3).
    session.keys(&["3", "g", "g", "l", "l", "l", "l", "l", "Space", "a"]);
    let menu = session.wait_for("tagls' code actions (space a)", |s| {
        s.contains("Change to #COMPLETION_DRIVE")
    });
    // The menu's items, top to bottom; the first is selected.
    let items: Vec<&str> = menu
        .lines()
        .filter(|l| l.contains("Change to #") || l.contains("Log #FILE_"))
        .collect();
    let index = items
        .iter()
        .position(|l| l.contains("Change to #COMPLETION_DRIVE"))
        .unwrap();
    for _ in 0..index {
        session.keys(&["Down"]);
    }
    session.keys(&["Enter"]);
    session.wait_for("the fixed tag on line 3", |s| {
        buffer_line(s, 3).is_some_and(|l| l.contains("// #COMPLETION_DRIVE: Assuming retries"))
    });

    // 5. Written to disk.
    session.type_text(":w");
    session.keys(&["Enter"]);
    let deadline = Instant::now() + STEP_TIMEOUT;
    while fs::read_to_string(&file).unwrap_or_default() != FIXED_TS {
        assert!(
            Instant::now() < deadline,
            "{} after :w:\n{}\n--- screen ---\n{}",
            file.display(),
            fs::read_to_string(&file).unwrap_or_default(),
            session.screen(false)
        );
        thread::sleep(Duration::from_millis(100));
    }
    // The bytes can be on disk before Helix counts the buffer as saved; a `:q` before
    // that is refused (unsaved changes), and the refusal hidden by this message.
    session.wait_for("Helix's word that it wrote the file", |s| {
        s.contains("'src/app.ts' written")
    });

    // 6. Completion after `#`: `#COMP` typed in a comment on a new last line, the first
    // item taken, written: the `#` is replaced, not doubled.
    // Helix continues the comment of the line above: the new line starts with `// `.
    session.keys(&["g", "e", "o"]);
    session.wait_for("the comment continued on line 6", |s| {
        buffer_line(s, 6).is_some_and(|l| l.trim_end().ends_with(" 6  //"))
    });
    session.type_text("#COMP");
    session.wait_for("tagls' tag names in the completion menu", |s| {
        s.contains("#COMPLETION_DRIVE_INTEGRATION")
    });
    session.keys(&["Tab", "Enter", "Escape"]);
    session.type_text(":w");
    session.keys(&["Enter"]);
    let completed = format!("{FIXED_TS}// #COMPLETION_DRIVE: \n");
    let deadline = Instant::now() + STEP_TIMEOUT;
    while fs::read_to_string(&file).unwrap_or_default() != completed {
        assert!(
            Instant::now() < deadline,
            "{} after the completion and :w:\n{}\n--- screen ---\n{}",
            file.display(),
            fs::read_to_string(&file).unwrap_or_default(),
            session.screen(false)
        );
        thread::sleep(Duration::from_millis(100));
    }
    session.wait_for("Helix's word that it wrote the file again", |s| {
        s.contains("'src/app.ts' written") && !s.contains("[+]")
    });

    // 7. Helix quits cleanly.
    quit(&session);
    let log = session.helix_log();
    assert!(
        !log.contains("tagls") || !log.contains("panicked"),
        "tagls panicked:\n{}",
        tail(&log, 6000)
    );
    eprintln!("Helix: passed in {:?}", started.elapsed());
}

/// Copies the folder `from` to `to`, files and folders only.
fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// The demo where a user meets it: in a git checkout of tagls (`repo/.git`,
/// `repo/examples/demo`), or as a copy with no `.git` anywhere above it. Helix
/// runs in `cwd` (relative to the temporary folder) on `file` (relative to
/// `cwd`).
fn demo_root_test(in_checkout: bool, cwd: &str, file: &str) {
    let Some((hx, tmux)) = find_tools() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().canonicalize().unwrap();
    let demo = if in_checkout {
        fs::create_dir_all(dir.join("repo/.git")).unwrap();
        dir.join("repo/examples/demo")
    } else {
        dir.join("demo")
    };
    copy_tree(&workspace_root().join("examples/demo"), &demo);
    assert!(
        !demo.join(".git").exists() && demo.join("src/services/user.service.ts").is_file(),
        "examples/demo has no .git and has src/services/user.service.ts"
    );
    let home = helix_home(&dir);
    let session = launch(&hx, tmux, &dir, &home, &dir.join(cwd), file);
    // auth.ts names src/services/user.service.ts (there, from the demo's root) and
    // src/config/rate-limit.ts (nowhere): only the second is missing.
    session.wait_for("diagnostic marks in the gutter", |s| {
        buffer_line(s, 3).is_some_and(|l| l.trim_start().starts_with('●'))
    });
    session.keys(&["Space", "d"]);
    let picker = session.wait_for("the missing path in the picker (space d)", |s| {
        s.contains("src/config/rate-limit.ts does not exist")
    });
    assert!(
        !picker.contains("user.service.ts does not exist"),
        "a file that exists is reported missing: tagls's root is not the demo\n\
         --- screen ---\n{picker}\n--- helix.log (tail) ---\n{}",
        tail(&session.helix_log(), 6000)
    );
    session.keys(&["Escape"]);
    quit(&session);
}

/// A copy of the demo has no `.git`, and Helix started above it finds no
/// workspace marker of its own: the `roots` of the shipped `languages.toml`
/// (`.orchestration` here) must still give tagls the demo as its root.
#[test]
fn helix_25_01_gives_tagls_the_demo_as_its_root_without_git() {
    demo_root_test(false, ".", "demo/src/api/routes/auth.ts");
}

/// In a checkout, Helix's workspace is the checkout (its `.git`); the demo's
/// `.orchestration` must still make the demo tagls's root, not the checkout.
#[test]
fn helix_25_01_gives_tagls_the_demo_as_its_root_in_a_checkout() {
    demo_root_test(true, "repo/examples/demo", "src/api/routes/auth.ts");
}

/// Files of other languages from `tests/fixtures/editors/`, each with one tag in a
/// comment and the same text in a string.
const LANGUAGE_FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/editors");

/// Opens `tests/fixtures/editors/<name>` in Helix, through the shipped
/// `languages.toml`: tagls' diagnostic must mark the tag's line in the gutter, and
/// no other line (the string holds no tag), and its message must be in the picker.
fn language_test(name: &str) {
    let Some((hx, tmux)) = find_tools() else {
        return;
    };
    let text = fs::read_to_string(Path::new(LANGUAGE_FIXTURES).join(name)).unwrap();
    let tagged: Vec<usize> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| l.contains("#COMPLETION_DRIVE:"))
        .map(|(n, _)| n + 1)
        .collect();
    let [tag_line, string_line] = tagged[..] else {
        panic!("{name}: one tag in a comment, then one in a string");
    };
    let payload = text
        .lines()
        .nth(tag_line - 1)
        .and_then(|l| l.split_once("#COMPLETION_DRIVE: "))
        .map(|(_, p)| p.trim_end_matches("*/").trim())
        .unwrap();

    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().canonicalize().unwrap();
    let root = dir.join("ws");
    fs::create_dir_all(root.join(".git")).unwrap();
    fs::create_dir_all(root.join("src")).unwrap();
    fs::write(root.join("src").join(name), &text).unwrap();
    let home = helix_home(&dir);
    let session = launch(&hx, tmux, &dir, &home, &root, &format!("src/{name}"));

    let screen = session.wait_for("tagls' mark in the gutter on the tag's line", |s| {
        buffer_line(s, tag_line).is_some_and(|l| l.trim_start().starts_with('●'))
    });
    let marked: Vec<&str> = screen
        .lines()
        .filter(|l| l.trim_start().starts_with('●'))
        .collect();
    assert_eq!(
        marked.len(),
        1,
        "{name}: a diagnostic mark off the tag's line {tag_line} (line {string_line} holds \
         the tag's text in a string)\n--- screen ---\n{screen}"
    );
    session.keys(&["Space", "d"]);
    session.wait_for("tagls' diagnostic in the picker (space d)", |s| {
        s.contains(&format!("Assumption: {payload}"))
    });
    session.keys(&["Escape"]);
    quit(&session);
}

#[test]
fn helix_25_01_shows_tagls_diagnostics_in_a_swift_file() {
    language_test("Cart.swift");
}

#[test]
fn helix_25_01_shows_tagls_diagnostics_in_a_rust_file() {
    language_test("lib.rs");
}

#[test]
fn helix_25_01_shows_tagls_diagnostics_in_a_java_file() {
    language_test("Orders.java");
}

/// Every language `editors/helix/install.sh` writes highlights for: Helix's name for
/// it, a file name, and a file with a tagged comment and a plain one of the same kind
/// (`LANG` stands for the name, so that no two files look alike on screen).
const HIGHLIGHTED: &[(&str, &str, &str)] = &[
    (
        "typescript",
        "a.ts",
        "// #COMPLETION_DRIVE: Assuming LANG\n// a plain LANG comment\n",
    ),
    (
        "tsx",
        "a.tsx",
        "// #COMPLETION_DRIVE: Assuming LANG\n// a plain LANG comment\n",
    ),
    (
        "javascript",
        "a.js",
        "// #COMPLETION_DRIVE: Assuming LANG\n// a plain LANG comment\n",
    ),
    (
        "jsx",
        "a.jsx",
        "// #COMPLETION_DRIVE: Assuming LANG\n// a plain LANG comment\n",
    ),
    (
        "go",
        "a.go",
        "package a\n\n// #COMPLETION_DRIVE: Assuming LANG\n// a plain LANG comment\n",
    ),
    (
        "python",
        "a.py",
        "# #COMPLETION_DRIVE: Assuming LANG\n# a plain LANG comment\n",
    ),
    (
        "swift",
        "a.swift",
        "/* #COMPLETION_DRIVE: Assuming LANG */\n/* a plain LANG comment */\n",
    ),
    (
        "rust",
        "a.rs",
        "/// #COMPLETION_DRIVE: Assuming LANG\n// a plain LANG comment\nfn a() {}\n",
    ),
    (
        "java",
        "A.java",
        "/** #COMPLETION_DRIVE: Assuming LANG */\n/* a plain LANG comment */\nclass A {}\n",
    ),
    (
        "kotlin",
        "a.kt",
        "// #COMPLETION_DRIVE: Assuming LANG\n// a plain LANG comment\n",
    ),
    (
        "c-sharp",
        "a.cs",
        "/// #COMPLETION_DRIVE: Assuming LANG\n// a plain LANG comment\n",
    ),
    (
        "c",
        "a.c",
        "// #COMPLETION_DRIVE: Assuming LANG\n// a plain LANG comment\n",
    ),
    (
        "cpp",
        "a.cpp",
        "// #COMPLETION_DRIVE: Assuming LANG\n// a plain LANG comment\n",
    ),
    (
        "ruby",
        "a.rb",
        "# #COMPLETION_DRIVE: Assuming LANG\n# a plain LANG comment\n",
    ),
    (
        "php",
        "a.php",
        "<?php\n// #COMPLETION_DRIVE: Assuming LANG\n// a plain LANG comment\n",
    ),
    (
        "bash",
        "a.sh",
        "# #COMPLETION_DRIVE: Assuming LANG\n# a plain LANG comment\n",
    ),
    (
        "css",
        "a.css",
        "/* #COMPLETION_DRIVE: Assuming LANG */\n/* a plain LANG comment */\n",
    ),
    (
        "scss",
        "a.scss",
        "// #COMPLETION_DRIVE: Assuming LANG\n// a plain LANG comment\n",
    ),
    (
        "lua",
        "a.lua",
        "-- #COMPLETION_DRIVE: Assuming LANG\n-- a plain LANG comment\n",
    ),
    (
        "yaml",
        "a.yaml",
        "# #COMPLETION_DRIVE: Assuming LANG\n# a plain LANG comment\nkey: 1\n",
    ),
    (
        "toml",
        "a.toml",
        "# #COMPLETION_DRIVE: Assuming LANG\n# a plain LANG comment\nkey = 1\n",
    ),
    (
        "html",
        "a.html",
        "<!-- #COMPLETION_DRIVE: Assuming LANG -->\n<!-- a plain LANG comment -->\n",
    ),
    (
        "vue",
        "a.vue",
        "<template>\n<!-- #COMPLETION_DRIVE: Assuming LANG -->\n<!-- a plain LANG comment -->\n</template>\n",
    ),
    (
        "svelte",
        "a.svelte",
        "<!-- #COMPLETION_DRIVE: Assuming LANG -->\n<!-- a plain LANG comment -->\n",
    ),
];

/// The node kinds a written highlights.scm gives tagls' first pattern:
/// `([(a) (b)] @error` or `((a) @error`.
fn pattern_kinds(query: &str) -> Vec<String> {
    let line = query
        .lines()
        .find(|l| l.trim_end().ends_with("@error"))
        .unwrap_or_default();
    line.split(['(', ')', '[', ']', ' '])
        .filter(|w| !w.is_empty() && !w.starts_with('@'))
        .map(str::to_owned)
        .collect()
}

/// `editors/helix/install.sh` writes tagls' patterns for every language tagls reads
/// that Helix 25.01 has queries for, with the comment node kinds of that language's
/// grammar: each kind is one Helix's own highlights.scm for the language (or the one
/// it inherits) names, so it exists in the grammar Helix builds. Where the test Helix
/// has the grammar (tests/install-helix.sh builds those it can), Helix must load the
/// written query without error and colour a tagged comment unlike a plain one.
#[test]
fn helix_25_01_colours_tags_in_every_language_it_has_a_grammar_for() {
    let Some((hx, tmux)) = find_tools() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().canonicalize().unwrap();
    let root = dir.join("ws");
    fs::create_dir_all(root.join(".git")).unwrap();
    let home = helix_home(&dir);
    let said = install_queries(&hx, &home);
    let runtime = setting("TAGLS_HELIX_RUNTIME").map(PathBuf::from);
    let builtin = |lang: &str| {
        runtime
            .as_deref()
            .and_then(|r| {
                fs::read_to_string(r.join("queries").join(lang).join("highlights.scm")).ok()
            })
            .unwrap_or_default()
    };
    let mut with_grammar = Vec::new();
    for &(lang, file, text) in HIGHLIGHTED {
        let written = home.join(format!(
            ".config/helix/runtime/queries/{lang}/highlights.scm"
        ));
        let query = fs::read_to_string(&written)
            .unwrap_or_else(|e| panic!("install.sh wrote no {}: {e}\n{said}", written.display()));
        assert!(
            query.starts_with("; tagls"),
            "{lang}: tagls' patterns do not come first"
        );
        let kinds = pattern_kinds(&query);
        assert!(
            !kinds.is_empty(),
            "{lang}: no node kind in tagls' patterns:\n{query}"
        );
        if runtime.is_some() {
            // Helix's own query (and what it inherits, as cpp does c's) names the
            // comment kinds its grammar has.
            let own = builtin(lang);
            let inherited: String = own
                .lines()
                .filter_map(|l| l.split_once("inherits:"))
                .flat_map(|(_, v)| v.split(',').map(|p| builtin(p.trim())))
                .collect();
            for kind in &kinds {
                let node = format!("({kind})");
                assert!(
                    own.contains(&node) || inherited.contains(&node),
                    "{lang}: tagls matches {node}, which Helix's own highlights.scm never names"
                );
            }
        }
        fs::write(root.join(file), text.replace("LANG", lang)).unwrap();
        // Helix's jsx is the javascript grammar.
        let grammar = if lang == "jsx" { "javascript" } else { lang };
        if runtime
            .as_deref()
            .is_some_and(|r| r.join("grammars").join(format!("{grammar}.so")).is_file())
        {
            with_grammar.push((lang, file));
        }
    }
    let without: Vec<&str> = HIGHLIGHTED
        .iter()
        .map(|(lang, _, _)| *lang)
        .filter(|lang| !with_grammar.iter().any(|(l, _)| l == lang))
        .collect();
    if !without.is_empty() {
        eprintln!(
            "note: the test Helix has no grammar for {}: their highlighting is not checked \
             on screen (tests/install-helix.sh builds the grammars it can)",
            without.join(", ")
        );
    }
    let Some(&(_, first)) = with_grammar.first() else {
        return;
    };
    let session = launch(&hx, tmux, &dir, &home, &root, first);
    let mut failures = Vec::new();
    for (lang, file) in &with_grammar {
        if file != &first {
            session.type_text(&format!(":o {file}"));
            session.keys(&["Enter"]);
        }
        let name = format!(" {file} ");
        let plain_text = format!("plain {lang} comment");
        let tag_text = format!("#COMPLETION_DRIVE: Assuming {lang}");
        session.wait_for(&format!("{file} on screen"), |s| {
            s.lines().any(|l| l.contains(" NOR ") && l.contains(&name))
                && s.contains(&plain_text)
                && s.contains(&tag_text)
        });
        // The highlighter runs as the buffer is drawn; wait for the colours to differ,
        // or for Helix to say that it could not load the query.
        let refused = format!("Could not parse queries for language \"{lang}\"");
        let deadline = Instant::now() + STEP_TIMEOUT;
        loop {
            let colored = session.screen(true);
            // Single words: the colours come between the words of a line.
            let tagged = style_before(&colored, "#COMPLETION_DRIVE:").and_then(foreground);
            let plain = style_before(&colored, "plain").and_then(foreground);
            if tagged.is_some() && plain.is_some() && tagged != plain {
                break;
            }
            let log = session.helix_log();
            if log.contains(&refused) || Instant::now() >= deadline {
                failures.push(format!(
                    "{lang}: the tagged comment is not coloured unlike a plain one: {tagged:?} \
                     vs {plain:?}\n{}\n{}",
                    colored.escape_debug(),
                    log.lines()
                        .filter(|l| l.contains(&refused))
                        .collect::<Vec<_>>()
                        .join("\n")
                ));
                break;
            }
            thread::sleep(Duration::from_millis(100));
        }
    }
    let log = session.helix_log();
    assert!(
        failures.is_empty() && !log.contains("Could not parse queries"),
        "{}\n--- helix.log (tail) ---\n{}",
        failures.join("\n\n"),
        tail(&log, 6000)
    );
    quit(&session);
    eprintln!(
        "Helix: tags coloured in {}",
        with_grammar
            .iter()
            .map(|(l, _)| *l)
            .collect::<Vec<_>>()
            .join(", ")
    );
}
