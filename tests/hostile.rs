//! A hostile workspace: symlink loops and links out of the root, a FIFO and
//! a device file, an unreadable folder, a 100 MB file, binary and invalid
//! UTF-8 files, a million-line implementation log, and tags and
//! `Verification:` recipes that point outside the workspace
//! (`grep x /etc/shadow`, `ls ../../`, a canary file next to the root).
//! Nothing outside the workspace is read (checked with strace), nothing
//! blocks, and every answer arrives (docs/RELIABILITY.md, "Hostile
//! workspace").

use crate::support;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::{ClientOptions, file_uri, start_command};

fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_tagls"))
}

/// The hostile workspace `<tmp>/ws`, with `<tmp>/outside/canary.txt` next
/// to it and `<tmp>/home` as a home folder.
struct Hostile {
    _dir: tempfile::TempDir,
    top: PathBuf,
    root: PathBuf,
    canary: PathBuf,
    home: PathBuf,
}

const LOG_LINES: usize = 1_000_000;

fn hostile() -> Hostile {
    let dir = tempfile::tempdir().unwrap();
    let top = dir.path().to_path_buf();
    // Readable by `nobody` for the unprivileged run.
    std::fs::set_permissions(&top, std::fs::Permissions::from_mode(0o755)).unwrap();
    let root = top.join("ws");
    let outside = top.join("outside");
    let home = top.join("home");
    for d in [
        root.join("src"),
        root.join("big"),
        root.join("locked"),
        root.join(".orchestration"),
        outside.clone(),
        home.clone(),
    ] {
        std::fs::create_dir_all(&d).unwrap();
    }
    std::fs::set_permissions(&home, std::fs::Permissions::from_mode(0o777)).unwrap();
    let canary = outside.join("canary.txt");
    std::fs::write(&canary, "CANARY_VALUE\n").unwrap();
    let src = root.join("src");
    // Symlink loops, a link to itself, to its parent, and out of the root.
    std::os::unix::fs::symlink("loop_b", src.join("loop_a")).unwrap();
    std::os::unix::fs::symlink("loop_a", src.join("loop_b")).unwrap();
    std::os::unix::fs::symlink(".", src.join("self")).unwrap();
    std::os::unix::fs::symlink("..", src.join("up")).unwrap();
    std::os::unix::fs::symlink("../..", src.join("way_up")).unwrap();
    std::os::unix::fs::symlink(&outside, src.join("out")).unwrap();
    std::os::unix::fs::symlink(&canary, src.join("canary.ts")).unwrap();
    // A FIFO nobody writes to and a device file: opening or reading either
    // would block or never end.
    run("mkfifo", &[src.join("pipe.ts").as_os_str()]);
    run(
        "mknod",
        &[
            src.join("zero.ts").as_os_str(),
            "c".as_ref(),
            "1".as_ref(),
            "5".as_ref(),
        ],
    );
    // Binary and invalid UTF-8 files, with tags in them.
    std::fs::write(src.join("bin.ts"), b"\x00\x01\x02// #VERIFIED: binary\n").unwrap();
    std::fs::write(src.join("bad.ts"), b"// #VERIFIED: bad \xff\xfe utf8\n").unwrap();
    // 100 MB of tagged text.
    let line = "// #COMPLETION_DRIVE: Assuming this huge file is read\n";
    let huge = line.repeat(100 * 1024 * 1024 / line.len() + 1);
    std::fs::write(root.join("big/huge.ts"), huge).unwrap();
    // A folder only root can read.
    std::fs::write(
        root.join("locked/inner.ts"),
        "// #COMPLETION_DRIVE: Assuming the locked folder is readable\n",
    )
    .unwrap();
    std::fs::set_permissions(root.join("locked"), std::fs::Permissions::from_mode(0o000)).unwrap();
    // Tags that point outside, through every route.
    std::fs::write(
        src.join("app.ts"),
        format!(
            "// #COMPLETION_DRIVE: Assuming {canary} exists\n\
             // #COMPLETION_DRIVE: Assuming src/out/canary.txt exists\n\
             // #COMPLETION_DRIVE: Assuming src/canary.ts exists\n\
             // #COMPLETION_DRIVE: Assuming src/way_up/outside/canary.txt exists\n\
             // #COMPLETION_DRIVE: Assuming src/loop_a exists\n\
             // #COMPLETION_DRIVE: Assuming src/pipe.ts exists\n\
             export {{}}\n",
            canary = canary.display()
        ),
    )
    .unwrap();
    // The log: hostile claims and recipes first, then a million lines.
    let mut log = format!(
        "# Implementation Log\n\n## Files Created\n\
         #FILE_CREATED: src/app.ts (7 lines)\n  Verification: grep x /etc/shadow\n\n\
         #FILE_CREATED: src/pipe.ts (1 line)\n  Verification: wc -l src/pipe.ts\n\n\
         #FILE_CREATED: src/zero.ts (1 line)\n  Verification: grep x src/zero.ts\n\n\
         #FILE_CREATED: src/out/canary.txt (1 line)\n  Verification: grep -r CANARY src/out\n\n\
         #FILE_CREATED: {canary} (1 line)\n  Verification: test -f {canary}\n\n\
         #FILE_CREATED: src/loop_a (1 line)\n  Verification: ls ../../\n\n\
         #FILE_CREATED: src/canary.ts (1 line)\n  Verification: grep CANARY src/canary.ts\n\n\
         ## Notes\n",
        canary = canary.display()
    );
    for i in 0..LOG_LINES {
        log.push_str(&format!("note {i}: nothing to see in src/app.ts\n"));
    }
    std::fs::write(root.join(".orchestration/implementation-log.md"), log).unwrap();
    Hostile {
        _dir: dir,
        top,
        root,
        canary,
        home,
    }
}

impl Drop for Hostile {
    fn drop(&mut self) {
        // So that the temporary folder can be removed.
        let _ = std::fs::set_permissions(
            self.root.join("locked"),
            std::fs::Permissions::from_mode(0o755),
        );
    }
}

fn run(program: &str, args: &[&std::ffi::OsStr]) {
    let status = Command::new(program).args(args).status().unwrap();
    assert!(status.success(), "{program} {args:?}");
}

/// How long a command may take before it counts as blocked. A hang guard,
/// not a speed bound: a command that blocks (a FIFO opened for reading,
/// `/dev/zero` read to its end) never ends, and the guard turns that into a
/// failure instead of a stuck suite; one that does not block ends in
/// seconds, far below this.
const BLOCKED_AFTER: Duration = Duration::from_secs(120);

/// Runs a command with a deadline: a hostile workspace must never make it
/// block.
fn run_with_deadline(mut cmd: Command, deadline: Duration) -> (Output, Duration) {
    use std::os::unix::process::CommandExt;
    let started = Instant::now();
    // Its own process group, so that a blocked process under strace can be
    // killed together with strace.
    let child = cmd
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pgid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        if rx.recv_timeout(deadline).is_err() {
            // Still running: it blocked. Kill its process group (the one
            // this test made) so the test fails with a message instead of
            // hanging.
            let _ = Command::new("kill")
                .args(["-9", "--", &format!("-{pgid}")])
                .status();
        }
    });
    let out = child.wait_with_output().unwrap();
    let _ = tx.send(());
    let took = started.elapsed();
    assert!(took < deadline, "{cmd:?} blocked for {took:?}");
    (out, took)
}

/// Every path a traced process named in a file-system call (the first
/// string argument; readlink's second is the link's text, not a path that
/// was looked at), as absolute paths (relative ones are against `cwd`).
fn traced_paths(trace: &str, cwd: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for line in trace.lines() {
        let Some(open) = line.find('(') else { continue };
        let args = &line[open + 1..];
        let Some(q) = args.find('"') else { continue };
        let rest = &args[q + 1..];
        let Some(end) = rest.find('"') else { continue };
        let p = &rest[..end];
        if p.is_empty() {
            continue;
        }
        let p = Path::new(p);
        out.push(if p.is_absolute() {
            p.to_path_buf()
        } else {
            cwd.join(p)
        });
    }
    out
}

/// What a process may look at outside the workspace: its own binary and
/// libraries, its process information, the user's configuration file and
/// `.tagls.toml` in the folders above the root (docs/CONFIG.md).
fn allowed_outside(path: &Path, h: &Hostile) -> bool {
    let system = [
        "/lib",
        "/lib64",
        "/usr/lib",
        "/usr/lib64",
        "/etc/ld.so",
        "/proc/self",
        "/proc/thread-self",
        "/sys/fs/cgroup",
        "/sys/devices/system/cpu",
        "/dev/null",
        "/dev/urandom",
        "/proc/sys/vm/overcommit_memory",
        // The allocator (mimalloc) reads the NUMA nodes and the huge page
        // setting once, at start.
        "/sys/devices/system/node",
        "/sys/kernel/mm/transparent_hugepage",
    ];
    let s = path.to_string_lossy();
    // The dynamic loader searches LD_LIBRARY_PATH (cargo test sets it).
    let loader = std::env::var("LD_LIBRARY_PATH").unwrap_or_default();
    system.iter().any(|p| s.starts_with(p))
        || loader
            .split(':')
            .filter(|d| !d.is_empty())
            .any(|d| path.starts_with(d))
        || path == bin()
        || path.starts_with(h.home.join(".config/tagls"))
        || path == h.home.join(".config")
        // tagls's own scan cache (docs/CHECK.md).
        || path.starts_with(h.home.join(".cache/tagls"))
        || path == h.home.join(".cache")
        || (path.file_name().is_some_and(|n| n == ".tagls.toml")
            && h.root.starts_with(path.parent().unwrap()))
}

/// The trace without the lines of the programs tagls runs (`git`, for
/// `#FILE_MODIFIED` ranges and files not yet logged): git searches the
/// folders above the root for a repository (`/tmp/.git`, `/.git`), as it
/// always does; what is checked here is what tagls itself looks at. Panics
/// if tagls runs anything but git.
fn tagls_own_lines(trace: &str) -> String {
    let bin = bin();
    let mut children = std::collections::HashSet::new();
    for line in trace.lines() {
        let Some((pid, rest)) = line.split_once(' ') else {
            continue;
        };
        let rest = rest.trim_start();
        if let Some(args) = rest.strip_prefix("execve(\"") {
            let program = &args[..args.find('"').unwrap_or(0)];
            if Path::new(program) != bin {
                assert!(program.ends_with("/git"), "tagls ran {program}: {line}");
                children.insert(pid.to_owned());
            }
        }
    }
    trace
        .lines()
        .filter(|l| {
            l.split_once(' ')
                .is_none_or(|(pid, _)| !children.contains(pid))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn assert_nothing_outside_was_looked_at(trace: &str, cwd: &Path, h: &Hostile) {
    let trace = &tagls_own_lines(trace);
    let paths = traced_paths(trace, cwd);
    assert!(paths.len() > 20, "strace saw too little: {trace}");
    let mut bad: Vec<String> = paths
        .iter()
        .map(|p| support_normalize(p))
        .filter(|p| !p.starts_with(&h.root) && !allowed_outside(p, h))
        .map(|p| p.display().to_string())
        .collect();
    bad.sort();
    bad.dedup();
    assert!(bad.is_empty(), "looked outside the workspace: {bad:#?}");
    assert!(!trace.contains(&*h.canary.to_string_lossy()) || only_as_link_text(trace, &h.canary));
    assert!(!trace.contains("/etc/shadow"), "/etc/shadow was looked at");
    // The FIFO and the device were never opened (opening a FIFO blocks).
    for special in ["src/pipe.ts", "src/zero.ts"] {
        let p = h.root.join(special);
        assert!(
            !trace
                .lines()
                .any(|l| l.contains("open") && l.contains(&*p.to_string_lossy())),
            "{special} was opened"
        );
    }
}

/// The canary may appear only as the text of a symlink that was read
/// (`readlink("src/canary.ts", "<canary>")`), never as a path looked at.
fn only_as_link_text(trace: &str, canary: &Path) -> bool {
    let c = canary.to_string_lossy();
    trace
        .lines()
        .filter(|l| l.contains(&*c))
        .all(|l| l.contains("readlink") && !l.contains(&format!("readlink(\"{c}\"")))
}

/// `..` and `.` removed lexically, for comparing traced paths.
fn support_normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

const TRACED: &str = "trace=openat,open,creat,stat,lstat,statx,newfstatat,access,faccessat,faccessat2,readlink,readlinkat,chdir,execve,inotify_add_watch";

#[test]
fn check_reads_nothing_outside_and_never_blocks() {
    let h = hostile();
    let trace = h.top.join("check.strace");
    let mut cmd = Command::new("strace");
    cmd.args(["-f", "-qq", "-e", TRACED, "-o"])
        .arg(&trace)
        .arg(bin())
        .args(["check", "--format", "json", "."])
        .current_dir(&h.root)
        .env("HOME", &h.home)
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("XDG_CACHE_HOME")
        .env_remove("TAGLS_CACHE_DIR");
    let (out, took) = run_with_deadline(cmd, BLOCKED_AFTER);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(1),
        "BLOCKED expected: {stderr}\n{stdout}"
    );
    let report: Value = serde_json::from_str(&stdout).unwrap();
    let messages: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{}:{}: {}",
                f["path"].as_str().unwrap_or(""),
                f["line"],
                f["message"].as_str().unwrap_or("")
            )
        })
        .collect();
    let all = messages.join("\n");
    for expected in [
        "grep: /etc/shadow is outside the workspace; not checked",
        "ls: ../../ is outside the workspace; not checked",
        "wc: src/pipe.ts is not a regular file",
        "src/out/canary.txt is outside the workspace",
        "src/canary.ts is outside the workspace",
    ] {
        assert!(all.contains(expected), "missing {expected:?} in\n{all}");
    }
    assert!(!stdout.contains("CANARY_VALUE"), "{stdout}");
    // The 100 MB file is too large to scan: its tags are not reported.
    assert!(!all.contains("huge file is read"), "{all}");
    let trace = std::fs::read_to_string(&trace).unwrap();
    assert_nothing_outside_was_looked_at(&trace, &h.root, &h);
    eprintln!(
        "check of the hostile workspace: {took:?}, {} findings, {} traced calls",
        messages.len(),
        trace.lines().count()
    );
}

/// Root reads every folder whatever its mode, so the unreadable folder is
/// checked as `nobody` (setpriv drops to uid/gid 65534; no FUSE needed).
#[test]
fn an_unreadable_folder_is_reported_and_skipped() {
    let h = hostile();
    let is_root = Command::new("id").arg("-u").output().unwrap().stdout == b"0\n";
    let setpriv = Command::new("setpriv").arg("--version").output().is_ok();
    if !is_root || !setpriv {
        // Not root: the folder is unreadable for this user already.
        eprintln!("not root or no setpriv: running as the current user");
    }
    let mut cmd = if is_root && setpriv {
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(bin());
        c
    } else {
        Command::new(bin())
    };
    cmd.args(["check", "."])
        .current_dir(&h.root)
        .env("HOME", &h.home)
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("XDG_CACHE_HOME")
        .env_remove("TAGLS_CACHE_DIR");
    let (out, _) = run_with_deadline(cmd, BLOCKED_AFTER);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // The user is told which folder could not be read, and why.
    assert!(
        stderr.contains("locked") && stderr.contains("Permission denied"),
        "{stderr}"
    );
    // Everything else is still checked and the verdict still given.
    assert_eq!(out.status.code(), Some(1), "{stderr}\n{stdout}");
    assert!(
        stdout.contains("grep: /etc/shadow is outside the workspace"),
        "{stdout}"
    );
    assert!(!stdout.contains("locked folder is readable"), "{stdout}");
    assert!(stdout.contains("verdict: BLOCKED"), "{stdout}");
}

#[tokio::test]
async fn the_server_answers_everything_and_reads_nothing_outside() {
    let h = hostile();
    let trace = h.top.join("server.strace");
    let mut cmd = tokio::process::Command::new("strace");
    cmd.args(["-f", "-qq", "-e", TRACED, "-o"])
        .arg(&trace)
        .arg(bin())
        .arg("--stdio")
        .current_dir(&h.root)
        .env("HOME", &h.home)
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("XDG_CACHE_HOME")
        .env_remove("TAGLS_CACHE_DIR")
        .stderr(Stdio::inherit());
    let started = Instant::now();
    let mut c = start_command(
        cmd,
        ClientOptions {
            root: Some(h.root.clone()),
            progress: true,
            ..ClientOptions::default()
        },
    )
    .await;
    // The index of the whole workspace is built (progress ends).
    c.progress_end("the end of indexing").await;
    let indexed = started.elapsed();
    let app = h.root.join("src/app.ts");
    let app_uri = file_uri(&app);
    let text = std::fs::read_to_string(&app).unwrap();
    c.open(&app_uri, "typescript", &text).await;
    let canary = h.canary.display().to_string();
    let d = c
        .diagnostics_where(&app_uri, |p| {
            p["diagnostics"].as_array().is_some_and(|ds| {
                ds.iter()
                    .filter(|d| d["code"] == "outside-workspace")
                    .count()
                    >= 3
            })
        })
        .await;
    let outside: Vec<&str> = d["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "outside-workspace")
        .map(|d| d["message"].as_str().unwrap())
        .collect();
    for path in [canary.as_str(), "src/out/canary.txt", "src/canary.ts"] {
        assert!(outside.iter().any(|m| m.starts_with(path)), "{path}: {d}");
    }
    // Hover on every tag line answers.
    for line in 0..6 {
        let hover = c
            .request(
                "textDocument/hover",
                json!({ "textDocument": { "uri": app_uri }, "position": { "line": line, "character": 5 } }),
            )
            .await;
        assert!(
            hover["contents"]["value"]
                .as_str()
                .unwrap_or_default()
                .contains("#COMPLETION_DRIVE"),
            "line {line}: {hover}"
        );
    }
    // Documents that are binary or not UTF-8 (as an editor would send the
    // latter: lossily decoded) are not checked, and do not stop anything.
    for (name, text) in [
        ("bin.ts", "\u{0}\u{1}\u{2}// #VERIFIED: binary\n".to_owned()),
        (
            "bad.ts",
            String::from_utf8_lossy(b"// #VERIFIED: bad \xff\xfe utf8\n").into_owned(),
        ),
    ] {
        let uri = file_uri(&h.root.join("src").join(name));
        c.open(&uri, "typescript", &text).await;
        c.diagnostics(&uri).await;
    }
    // Commands naming the FIFO, the device, a link out and the canary are
    // refused with a message; none blocks the queue.
    for (file, why) in [
        (h.root.join("src/pipe.ts"), "cannot be read"),
        (h.root.join("src/zero.ts"), "cannot be read"),
        (h.root.join("src/out/canary.txt"), "outside the workspace"),
        (h.canary.clone(), "outside the workspace"),
        (h.root.join("src/loop_a"), ""),
    ] {
        c.request(
            "workspace/executeCommand",
            json!({ "command": "tagls.logCreated", "arguments": [{ "file": file }] }),
        )
        .await;
        let msg = c.shown("").await;
        assert_eq!(msg["params"]["type"], 1, "{}: {msg}", file.display());
        assert!(
            msg["params"]["message"].as_str().unwrap().contains(why),
            "{}: {msg}",
            file.display()
        );
    }
    // The huge log is opened in the editor: a million lines, checked.
    let log_path = h.root.join(".orchestration/implementation-log.md");
    let log_uri = file_uri(&log_path);
    let log_text = std::fs::read_to_string(&log_path).unwrap();
    let opened = Instant::now();
    c.open(&log_uri, "markdown", &log_text).await;
    let d = c.diagnostics(&log_uri).await;
    let all = d["diagnostics"].to_string();
    assert!(
        all.contains("grep: /etc/shadow is outside the workspace"),
        "{all}"
    );
    assert!(all.contains("ls: ../../ is outside the workspace"), "{all}");
    let log_checked = opened.elapsed();
    let hover = c
        .request(
            "textDocument/hover",
            json!({ "textDocument": { "uri": app_uri }, "position": { "line": 0, "character": 5 } }),
        )
        .await;
    assert!(
        hover["contents"]["value"]
            .as_str()
            .unwrap_or_default()
            .contains("#COMPLETION_DRIVE")
    );
    let seen = c.drain().await;
    assert!(
        !seen.contains("CANARY_VALUE"),
        "the canary's content reached the client"
    );
    c.finish().await;
    let trace = std::fs::read_to_string(&trace).unwrap();
    assert_nothing_outside_was_looked_at(&trace, &h.root, &h);
    eprintln!(
        "server on the hostile workspace: indexed in {indexed:?}, million-line log checked in {log_checked:?}, {} traced calls",
        trace.lines().count()
    );
}

/// `tagls log created` on what the workspace holds: a FIFO, a device, links
/// out of the root. Each is refused at once with a message, and nothing
/// outside is opened.
#[test]
fn log_created_refuses_special_files_and_links_out() {
    let h = hostile();
    std::fs::create_dir_all(h.root.join(".git")).unwrap();
    let log = h.root.join(".orchestration/implementation-log.md");
    let before = std::fs::read(&log).unwrap();
    // A plain read would block forever on a FIFO, never end on /dev/zero
    // and follow a symlink out of the root; `tagls log` reads through the
    // workspace model, which refuses all three.
    for (rel, why) in [
        ("src/pipe.ts", "not a regular file"),
        ("src/zero.ts", "not a regular file"),
        ("src/out/canary.txt", "outside the workspace"),
        ("src/canary.ts", "outside the workspace"),
        ("src/way_up/outside/canary.txt", "outside the workspace"),
        ("src/loop_a", ""),
    ] {
        let trace = h.top.join("log.strace");
        let mut cmd = Command::new("strace");
        cmd.args(["-f", "-qq", "-e", TRACED, "-o"])
            .arg(&trace)
            .arg(bin())
            .args(["log", "created", rel])
            .current_dir(&h.root)
            .env("HOME", &h.home)
            .env_remove("XDG_CONFIG_HOME")
            .env_remove("XDG_CACHE_HOME")
            .env_remove("TAGLS_CACHE_DIR");
        let (out, _) = run_with_deadline(cmd, BLOCKED_AFTER);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{rel}: {stderr}");
        assert!(
            stderr.contains(rel) && stderr.contains(why),
            "{rel}: {stderr}"
        );
        let trace = std::fs::read_to_string(&trace).unwrap();
        assert!(
            !trace
                .lines()
                .any(|l| l.contains("openat") && l.contains("canary")),
            "{rel}: the canary was opened"
        );
    }
    assert_eq!(std::fs::read(&log).unwrap(), before, "the log changed");
}

/// A small workspace `<tmp>/ws` (marked by `.git`) with `src/a.ts` and a
/// secret beside it, `<tmp>/outside/secret.md`, for the writers' cases.
struct Small {
    _dir: tempfile::TempDir,
    root: PathBuf,
    outside: PathBuf,
    secret: PathBuf,
}

const SECRET: &str = "OUTSIDE_SECRET_8d1f\n";

fn small() -> Small {
    let dir = tempfile::tempdir().unwrap();
    let top = dir.path().to_path_buf();
    let root = top.join("ws");
    let outside = top.join("outside");
    for d in [root.join(".git"), root.join("src"), outside.clone()] {
        std::fs::create_dir_all(d).unwrap();
    }
    std::fs::write(root.join("src/a.ts"), "export {}\n").unwrap();
    let secret = outside.join("secret.md");
    std::fs::write(&secret, SECRET).unwrap();
    Small {
        _dir: dir,
        root,
        outside,
        secret,
    }
}

/// Every file under `dir` (links not followed) whose bytes hold `needle`.
fn files_holding(dir: &Path, needle: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let ft = entry.file_type().unwrap();
        if ft.is_dir() {
            out.extend(files_holding(&entry.path(), needle));
        } else if ft.is_file()
            && String::from_utf8_lossy(&std::fs::read(entry.path()).unwrap()).contains(needle)
        {
            out.push(entry.path());
        }
    }
    out
}

/// `tagls` in `root` with a deadline (a FIFO or `/dev/zero` must never
/// make it block) and a 2 GiB address-space limit (reading `/dev/zero` must not
/// grow without bound).
fn tagls_bounded(root: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new("prlimit");
    cmd.arg("--as=2147483648")
        .arg("--")
        .arg(bin())
        .args(args)
        .current_dir(root);
    run_with_deadline(cmd, Duration::from_secs(60)).0
}

fn assert_refused(out: &Output, what: &str, why: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{what}: {stderr}");
    assert!(
        stderr.contains(&format!("tagls: cannot write {what}: {why}"))
            && stderr.contains("tagls writes only regular files inside the workspace"),
        "{what}: {stderr}"
    );
}

/// `tagls log` and `tagls report` write only regular files inside the
/// workspace, reached without symlinks: a log linked out (a secret would be
/// copied into the workspace), linked to `/dev/zero` or to another file of
/// the workspace, a FIFO, a device, and an `.orchestration` folder linked
/// out are each refused with exit 2, and nothing is written or read.
#[test]
fn the_writers_refuse_logs_and_reports_that_are_not_plain_files_inside() {
    const LOG: &str = ".orchestration/implementation-log.md";
    const REPORT: &str = ".orchestration/verification-report.md";
    let log_created = ["log", "created", "src/a.ts"];

    // Linked to a secret outside: not read, not copied in, not changed.
    let s = small();
    std::fs::create_dir_all(s.root.join(".orchestration")).unwrap();
    std::os::unix::fs::symlink(&s.secret, s.root.join(LOG)).unwrap();
    let out = tagls_bounded(&s.root, &log_created);
    assert_refused(&out, LOG, "it is a symlink");
    assert_eq!(std::fs::read_to_string(&s.secret).unwrap(), SECRET);
    assert!(
        std::fs::symlink_metadata(s.root.join(LOG))
            .unwrap()
            .is_symlink()
    );
    assert_eq!(
        files_holding(&s.root, SECRET.trim()),
        Vec::<PathBuf>::new(),
        "the secret was copied into the workspace"
    );
    // The report, linked out the same way.
    std::os::unix::fs::symlink(&s.secret, s.root.join(REPORT)).unwrap();
    let out = tagls_bounded(&s.root, &["report"]);
    assert_refused(&out, REPORT, "it is a symlink");
    assert_eq!(std::fs::read_to_string(&s.secret).unwrap(), SECRET);

    // Linked to /dev/zero: refused at once, memory bounded.
    let s = small();
    std::fs::create_dir_all(s.root.join(".orchestration")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", s.root.join(LOG)).unwrap();
    assert_refused(
        &tagls_bounded(&s.root, &log_created),
        LOG,
        "it is a symlink",
    );

    // A FIFO nobody writes to and a device: never opened.
    for (make, args) in [("mkfifo", vec![]), ("mknod", vec!["c", "1", "5"])] {
        let s = small();
        std::fs::create_dir_all(s.root.join(".orchestration")).unwrap();
        let log = s.root.join(LOG);
        let mut all = vec![log.as_os_str()];
        all.extend(args.iter().map(std::ffi::OsStr::new));
        run(make, &all);
        let out = tagls_bounded(&s.root, &log_created);
        assert_refused(&out, LOG, "it is not a regular file");
    }

    // Linked to another file of the workspace: the link stays a link, the
    // file stays as it was.
    let s = small();
    std::fs::create_dir_all(s.root.join(".orchestration")).unwrap();
    std::fs::write(s.root.join("notes.md"), "my notes\n").unwrap();
    std::os::unix::fs::symlink("../notes.md", s.root.join(LOG)).unwrap();
    assert_refused(
        &tagls_bounded(&s.root, &log_created),
        LOG,
        "it is a symlink",
    );
    assert!(
        std::fs::symlink_metadata(s.root.join(LOG))
            .unwrap()
            .is_symlink()
    );
    assert_eq!(
        std::fs::read_to_string(s.root.join("notes.md")).unwrap(),
        "my notes\n"
    );

    // `.orchestration` linked to a folder outside: neither the log nor the
    // report lands there.
    let s = small();
    std::os::unix::fs::symlink(&s.outside, s.root.join(".orchestration")).unwrap();
    assert_refused(
        &tagls_bounded(&s.root, &log_created),
        LOG,
        ".orchestration is a symlink",
    );
    assert_refused(
        &tagls_bounded(&s.root, &["report"]),
        REPORT,
        ".orchestration is a symlink",
    );
    let left: Vec<_> = std::fs::read_dir(&s.outside)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, vec![std::ffi::OsString::from("secret.md")]);
}
