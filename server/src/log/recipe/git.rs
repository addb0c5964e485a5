//! The `git` stage of a pipeline (`git diff ... | grep X`): the real git,
//! run as an argument list (never a shell string) at the workspace root,
//! with only the subcommands and options that read the repository and
//! print: nothing that writes a file, runs a program, or reads a path
//! outside the workspace.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::{Hidden, Line};
use crate::secrets;
use crate::workspace::model::{Lookup, Workspace};
use crate::workspace::paths::normalize;

/// Output of git read, at most; the rest is not searched.
const MAX_OUTPUT: u64 = 16 << 20;
/// How long git may run.
const DEADLINE: Duration = Duration::from_secs(15);

/// A git command tagls runs: its arguments after the subcommand, checked.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct GitCommand {
    pub args: Vec<String>,
}

/// Whether a word looks like a revision: no option, no path of a blob
/// (`REV:path`), nothing a shell or git would read otherwise.
fn is_revision(w: &str) -> bool {
    !w.is_empty()
        && !w.starts_with('-')
        && w.len() <= 200
        && w.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_./~^@{}-".contains(c))
}

/// Checks `git SUBCOMMAND ARGS...` from a recipe; `Err` with the reason it
/// is not run. Paths must lie inside the workspace.
pub(super) fn check(
    words: &[String],
    ws: &mut Workspace,
    root: &Path,
) -> Result<GitCommand, String> {
    let Some((sub, rest)) = words.split_first() else {
        return Err("it runs git without a subcommand".to_owned());
    };
    let sub = sub.as_str();
    // Options each subcommand may take, and the ones that take a value.
    let allowed: &[&str] = match sub {
        "diff" => &[
            "--stat",
            "--name-only",
            "--name-status",
            "--cached",
            "--staged",
            "--shortstat",
            "--numstat",
            "--summary",
            "--no-color",
            "--no-renames",
            "-w",
            "--ignore-all-space",
            "-b",
            "--ignore-space-change",
            "--patch",
            "-p",
            "-u",
            "--minimal",
            "--relative",
        ],
        "status" => &[
            "--short",
            "-s",
            "--porcelain",
            "--porcelain=v1",
            "--long",
            "--branch",
            "-b",
            "-sb",
            "--untracked-files",
            "--untracked-files=all",
            "--untracked-files=no",
            "--untracked-files=normal",
            "-u",
            "-uall",
            "-uno",
            "-unormal",
            "--ignored",
        ],
        "log" => &[
            "--oneline",
            "--stat",
            "--name-only",
            "--name-status",
            "--no-merges",
            "--merges",
            "--all",
            "--no-decorate",
            "--decorate",
            "--abbrev-commit",
            "--reverse",
            "--first-parent",
        ],
        "show" => &[
            "--stat",
            "--name-only",
            "--name-status",
            "--oneline",
            "--no-patch",
            "-s",
            "--shortstat",
            "--summary",
        ],
        _ => {
            return Err(format!(
                "tagls runs only `git diff`, `git status`, `git log` and `git show`, not `git {sub}`"
            ));
        }
    };
    let mut args = vec![sub.to_owned()];
    let mut paths_only = false;
    let mut it = rest.iter().peekable();
    let mut revisions = 0usize;
    while let Some(w) = it.next() {
        if paths_only {
            args.push(check_path(w, ws, root)?);
            continue;
        }
        if w == "--" {
            paths_only = true;
            args.push(w.clone());
            continue;
        }
        if w.starts_with('-') {
            if allowed.contains(&w.as_str()) {
                args.push(w.clone());
                continue;
            }
            if sub == "log" {
                // `-5`, `-n 5`, `-n5`, `--max-count=5`.
                let count = if let Some(n) = w.strip_prefix("--max-count=") {
                    Some(n.to_owned())
                } else if w == "-n" {
                    it.next().cloned()
                } else if let Some(n) = w.strip_prefix("-n") {
                    Some(n.to_owned())
                } else {
                    w.strip_prefix('-').map(str::to_owned)
                };
                if let Some(n) = count.filter(|n| {
                    !n.is_empty() && n.len() < 10 && n.chars().all(|c| c.is_ascii_digit())
                }) {
                    args.push(format!("--max-count={n}"));
                    continue;
                }
            }
            if sub == "diff" && (w.starts_with("-U") || w.starts_with("--unified=")) {
                let n = w.trim_start_matches("-U").trim_start_matches("--unified=");
                if !n.is_empty() && n.len() < 6 && n.chars().all(|c| c.is_ascii_digit()) {
                    args.push(format!("--unified={n}"));
                    continue;
                }
            }
            return Err(format!("tagls does not run git {sub} with `{w}`"));
        }
        if w.contains(':') {
            return Err(format!(
                "tagls does not pass git `{w}`: a revision with a path, or a pathspec"
            ));
        }
        // A revision, or a path written without `--` before it: a path
        // that exists in the workspace is a path, as git decides.
        let as_path = normalize(&root.join(w));
        if ws.lookup(&as_path) == Lookup::Outside {
            return Err(format!("{w} is outside the workspace"));
        }
        if sub != "status"
            && revisions < 2
            && is_revision(w)
            && !matches!(ws.lookup(&as_path), Lookup::Found(_))
        {
            revisions += 1;
            args.push(w.clone());
            continue;
        }
        // Paths from here on.
        args.push("--".to_owned());
        args.push(check_path(w, ws, root)?);
        paths_only = true;
    }
    Ok(GitCommand { args })
}

/// A path operand of git: inside the workspace, and no pathspec magic.
fn check_path(w: &str, ws: &mut Workspace, root: &Path) -> Result<String, String> {
    if w.starts_with(':') {
        return Err(format!("tagls does not pass git the pathspec `{w}`"));
    }
    let path = normalize(&root.join(w));
    if ws.lookup(&path) == Lookup::Outside {
        return Err(format!("{w} is outside the workspace"));
    }
    Ok(w.to_owned())
}

/// What git printed, or why it could not be run.
#[derive(Clone, Debug)]
pub(super) enum GitOutput {
    Printed(Vec<Line>),
    /// git ran and failed: its message.
    Failed(String),
    /// git is missing, or the root is not a work tree.
    Unavailable(String),
}

/// The hardened git of [`crate::log::git::command`], with paths quoted as
/// git prints them by default, as a person running the recipe sees them.
fn git(root: &Path) -> Command {
    let mut cmd = crate::log::git::command(root);
    cmd.args(["-c", "core.quotePath=true"]);
    cmd
}

/// Runs a command with a bounded output and a deadline: its stdout (at
/// most [`MAX_OUTPUT`] bytes), its stderr, and whether it succeeded.
fn run(mut cmd: Command) -> std::io::Result<(Vec<u8>, String, bool)> {
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn()?;
    let mut stdout = child.stdout.take();
    let mut stderr = child.stderr.take();
    let err_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(e) = stderr.as_mut() {
            let _ = e.take(64 * 1024).read_to_end(&mut buf);
        }
        buf
    });
    let started = Instant::now();
    let (tx, rx) = std::sync::mpsc::channel::<Vec<u8>>();
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(o) = stdout.as_mut() {
            let _ = o.take(MAX_OUTPUT).read_to_end(&mut buf);
        }
        let _ = tx.send(buf);
    });
    let out = rx.recv_timeout(DEADLINE.saturating_sub(started.elapsed()));
    let timed_out = out.is_err();
    let status = if timed_out {
        let _ = child.kill();
        child.wait()?
    } else {
        // Output past the limit is not read: stop git rather than wait.
        loop {
            match child.try_wait()? {
                Some(s) => break s,
                None if started.elapsed() > DEADLINE => {
                    let _ = child.kill();
                    break child.wait()?;
                }
                None => std::thread::sleep(Duration::from_millis(5)),
            }
        }
    };
    let err = err_reader.join().unwrap_or_default();
    if timed_out {
        return Err(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            format!("it ran longer than {} seconds", DEADLINE.as_secs()),
        ));
    }
    Ok((
        out.unwrap_or_default(),
        String::from_utf8_lossy(&err).into_owned(),
        status.success(),
    ))
}

/// What git printed for a command at a root: its top folder and output,
/// or what it comes to when it did not print.
type Raw = Result<(PathBuf, Vec<u8>), GitOutput>;

/// How long a run of git is reused: a log is checked again on every edit,
/// and a recipe's git command would otherwise run each time.
const REUSE_FOR: Duration = Duration::from_secs(2);

/// Recent runs, by root, arguments and the workspace's generation (a
/// change on disk the workspace saw runs git again).
type Cache = std::collections::HashMap<(PathBuf, Vec<String>, u64), (Instant, Raw)>;
static RECENT: std::sync::LazyLock<std::sync::Mutex<Cache>> =
    std::sync::LazyLock::new(Default::default);

fn raw(cmd: &GitCommand, root: &Path, generation: u64) -> Raw {
    let key = (root.to_path_buf(), cmd.args.clone(), generation);
    if let Ok(recent) = RECENT.lock()
        && let Some((at, raw)) = recent.get(&key)
        && at.elapsed() < REUSE_FOR
    {
        return raw.clone();
    }
    let raw = run_raw(cmd, root);
    if let Ok(mut recent) = RECENT.lock() {
        recent.retain(|_, (at, _)| at.elapsed() < REUSE_FOR);
        if recent.len() < 64 {
            recent.insert(key, (Instant::now(), raw.clone()));
        }
    }
    raw
}

fn run_raw(cmd: &GitCommand, root: &Path) -> Raw {
    let mut probe = git(root);
    probe.args(["rev-parse", "--is-inside-work-tree", "--show-toplevel"]);
    let (top, ok) = match run(probe) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(GitOutput::Unavailable("git is not installed".to_owned()));
        }
        Err(e) => return Err(GitOutput::Unavailable(format!("git could not be run: {e}"))),
        Ok((out, _, ok)) => (out, ok),
    };
    let top = String::from_utf8_lossy(&top).into_owned();
    let mut top_lines = top.lines();
    if !ok || top_lines.next() != Some("true") {
        return Err(GitOutput::Unavailable(
            "the workspace root is not a git work tree".to_owned(),
        ));
    }
    let top = PathBuf::from(top_lines.next().unwrap_or_default());
    let mut c = git(root);
    c.args(&cmd.args[..1]);
    if cmd.args[0] != "status" {
        c.args(["--no-ext-diff", "--no-textconv", "--no-color"]);
    }
    c.args(&cmd.args[1..]);
    let (out, err, ok) = match run(c) {
        Ok(r) => r,
        Err(e) => return Err(GitOutput::Unavailable(format!("git could not be run: {e}"))),
    };
    if !ok {
        let first = err.lines().next().unwrap_or("it failed").trim().to_owned();
        return Err(GitOutput::Failed(first));
    }
    Ok((top, out))
}

/// Runs a checked git command at `root` (or reuses a run of the last two
/// seconds in the same state of the workspace). Lines of the diff of a
/// secret file (by name, or an env file of the workspace) are marked
/// hidden.
pub(super) fn output(cmd: &GitCommand, root: &Path, ws: &Workspace) -> GitOutput {
    let (top, out) = match raw(cmd, root, ws.generation()) {
        Ok(r) => r,
        Err(o) => return o,
    };
    let mut lines = Vec::new();
    let mut section: Option<(String, bool)> = None;
    let body = out.strip_suffix(b"\n").unwrap_or(&out);
    if out.is_empty() {
        return GitOutput::Printed(lines);
    }
    for line in body.split(|b| *b == b'\n') {
        if let Some(header) = line.strip_prefix(b"diff --git ") {
            let header = String::from_utf8_lossy(header).into_owned();
            section = Some(diff_section(&header, &[&top, root], ws));
        } else if line.starts_with(b"commit ") {
            // A new commit of `git log` or `git show`.
            section = None;
        }
        let hidden = match &section {
            Some((_, true)) if !line.starts_with(b"diff --git ") => Some(Hidden::Secret),
            _ => None,
        };
        lines.push(Line {
            prefix: String::new(),
            content: line.to_vec(),
            file: section.as_ref().map(|(n, _)| n.clone()),
            number: None,
            hidden,
        });
    }
    GitOutput::Printed(lines)
}

/// The file a `diff --git` header names, and whether its lines are secret:
/// any name in the header that is a secret file's, whatever the prefixes
/// (`a/`, `b/`, none) and quoting, from the repository's top or the root
/// (`--relative`).
fn diff_section(header: &str, bases: &[&Path], ws: &Workspace) -> (String, bool) {
    let name = header
        .rsplit_once(" b/")
        .or_else(|| header.rsplit_once(" \"b/"))
        .map(|(_, b)| b.trim_end_matches('"').to_owned())
        .unwrap_or_else(|| header.to_owned());
    let secret = header.split(' ').any(|token| {
        let token = token.trim_matches('"');
        let unprefixed = token.split_once('/').map_or(token, |(_, rest)| rest);
        secrets::is_secret_file(Path::new(token))
            || bases.iter().any(|base| {
                ws.is_env_path(&base.join(token)) || ws.is_env_path(&base.join(unprefixed))
            })
    });
    (name, secret)
}
