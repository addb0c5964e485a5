//! `tagls log created|modified|screenshot <path>`: the editor's log
//! entries, from a shell, through the same code (`log::write`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use crate::config::Settings;
use crate::log::write::{self, NewEntry};
use crate::workspace::fs::RealFs;
use crate::workspace::model::Workspace;
use crate::workspace::paths::{display_rel, normalize};
use crate::workspace::root::find_root;

use super::{EXIT_USAGE, LogCommand};

/// The workspace root of a file: the nearest folder above it that holds
/// `.orchestration/`, `.git` or `.tagls.toml` (`workspace::root`), else the
/// current folder.
pub fn root_of(file: &Path) -> PathBuf {
    if let Some(root) = find_root(file) {
        return root;
    }
    std::env::current_dir()
        .map(|d| normalize(&d))
        .unwrap_or_else(|_| file.parent().unwrap_or(file).to_path_buf())
}

/// The largest file whose lines are counted for an entry.
pub const MAX_READ: u64 = 1 << 30;

fn fail(msg: String) -> ExitCode {
    eprintln!("tagls: {msg}");
    ExitCode::from(EXIT_USAGE)
}

/// Where a file's entry is written: its root, the root's settings and the
/// file's absolute path, or the refusal (already printed).
struct Target {
    root: PathBuf,
    file: PathBuf,
    settings: Settings,
}

fn target(path: &Path) -> Result<Target, ExitCode> {
    let file = match std::path::absolute(path) {
        Ok(p) => normalize(&p),
        Err(e) => return Err(fail(format!("{}: {e}", path.display()))),
    };
    let root = root_of(&file);
    if !file.starts_with(&root) {
        return Err(fail(format!(
            "{} is outside the workspace {}",
            path.display(),
            root.display()
        )));
    }
    // The root's own configuration says where its log is.
    let settings = match crate::config::load(&root, None) {
        Ok(file) => Settings::for_root(&file, &root),
        Err(e) => return Err(fail(e.to_string())),
    };
    Ok(Target {
        root,
        file,
        settings,
    })
}

/// Writes `entry` into the root's log and says so on stdout.
#[allow(clippy::print_stdout)] // stdout is where the CLI's result goes
fn log(root: &Path, settings: &Settings, entry: &NewEntry, what: &str) -> ExitCode {
    let log_path = settings.log_path(root);
    if let Err(e) = write::write_to_disk(root, &log_path, entry, &settings.registry) {
        return fail(format!(
            "cannot write {}: {e}",
            display_rel(&log_path, root)
        ));
    }
    println!("logged {what} in {}", settings.log); // stdout-ok: the CLI's result
    ExitCode::SUCCESS
}

pub fn run(cmd: LogCommand) -> ExitCode {
    let (path, created) = match &cmd {
        LogCommand::Created { path, .. } => (path, true),
        LogCommand::Modified { path, .. } => (path, false),
        LogCommand::Screenshot {
            path,
            description,
            shows,
            waiver,
            reason,
        } => {
            return screenshot(
                path.as_deref(),
                description.clone(),
                shows.clone(),
                *waiver,
                reason.clone(),
            );
        }
    };
    let Target {
        root,
        file,
        settings,
    } = match target(path) {
        Ok(t) => t,
        Err(code) => return code,
    };
    // Through the workspace model, as the server reads: a FIFO or a device
    // is never opened, and a symlink out of the root is not followed.
    let mut ws = Workspace::new(Arc::new(RealFs));
    ws.add_root(&root, false);
    let bytes = match ws.read(&file, MAX_READ) {
        Ok(b) => b,
        Err(e) => return fail(format!("{}: {e}", path.display())),
    };
    let rel = display_rel(&file, &root);
    let text = String::from_utf8_lossy(&bytes);
    let entry = match cmd {
        LogCommand::Created { description, .. } => {
            file_entry(&root, &file, &text, true, description, None, None)
        }
        LogCommand::Modified {
            description,
            lines,
            changes,
            ..
        } => file_entry(&root, &file, &text, false, description, lines, changes),
        LogCommand::Screenshot { .. } => unreachable!("handled above"),
    };
    let entry = match entry {
        Ok(e) => e,
        Err(EntryError::BadLines(given)) => {
            return fail(format!(
                "--lines \"{}\" is not a list of line ranges; write them as 8, 102-115",
                given.escape_debug()
            ));
        }
        Err(EntryError::Nothing(e @ write::NothingToLog::NoGit(_))) => {
            return fail(format!("{e}; pass --lines \"8, 102-115\""));
        }
        Err(EntryError::Nothing(e)) => return fail(e.to_string()),
    };
    let what = if created {
        "FILE_CREATED"
    } else {
        "FILE_MODIFIED"
    };
    log(&root, &settings, &entry, &format!("#{what}: {rel}"))
}

/// Why a file's entry cannot be written.
#[derive(Debug)]
pub enum EntryError {
    /// The given `Lines affected` is not a list of line ranges.
    BadLines(String),
    /// git or the file gives nothing to log.
    Nothing(write::NothingToLog),
}

/// The `#FILE_CREATED` or `#FILE_MODIFIED` entry for `file` under `root`,
/// whose text is `text`, as `tagls log created|modified` writes it: with
/// `lines` as given (only what the checker reads back as `Lines affected:`),
/// else the lines git reports changed.
pub fn file_entry(
    root: &Path,
    file: &Path,
    text: &str,
    created: bool,
    description: Option<String>,
    lines: Option<String>,
    changes: Option<String>,
) -> Result<NewEntry, EntryError> {
    if created {
        return write::entry_for(root, file, text, true, None, description)
            .map_err(EntryError::Nothing);
    }
    let Some(given) = lines else {
        return write::entry_for(root, file, text, false, None, description)
            .map(|e| e.with_changes(changes))
            .map_err(EntryError::Nothing);
    };
    if crate::log::check::parse_ranges(&given).is_none() {
        return Err(EntryError::BadLines(given));
    }
    let rel = display_rel(file, root);
    if rel.contains(['\r', '\n']) {
        return Err(EntryError::Nothing(write::NothingToLog::LineBreak(rel)));
    }
    Ok(NewEntry::Modified {
        path: rel,
        lines_affected: given.trim().to_owned(),
        description,
    }
    .with_changes(changes))
}

/// `tagls log screenshot <path>` and `tagls log screenshot --waiver`.
fn screenshot(
    path: Option<&Path>,
    description: Option<String>,
    shows: Option<String>,
    waiver: bool,
    reason: Option<String>,
) -> ExitCode {
    if waiver {
        // The waiver names no file: it goes into the log of the workspace
        // the command runs in.
        let cwd = match std::env::current_dir() {
            Ok(d) => normalize(&d),
            Err(e) => return fail(format!("the current folder: {e}")),
        };
        // `find_root` looks at the folders above a file: this one first.
        let root = root_of(&cwd.join("waiver"));
        let settings = match crate::config::load(&root, None) {
            Ok(file) => Settings::for_root(&file, &root),
            Err(e) => return fail(e.to_string()),
        };
        let entry = NewEntry::ScreenshotWaiver { reason };
        let what = format!(
            "#SCREENSHOT_CLAIMED: {}",
            crate::log::check::SCREENSHOT_WAIVER
        );
        return log(&root, &settings, &entry, &what);
    }
    let Some(path) = path else {
        return fail("log screenshot needs the image's path, or --waiver".to_owned());
    };
    let Target {
        root,
        file,
        settings,
    } = match target(path) {
        Ok(t) => t,
        Err(code) => return code,
    };
    let mut ws = Workspace::new(Arc::new(RealFs));
    ws.add_root(&root, false);
    let shot = match write::screenshot_entry(&mut ws, &root, &file, description, shows) {
        Ok(s) => s,
        Err(e) => return fail(e.to_string()),
    };
    let rel = display_rel(&file, &root);
    if !shot.in_evidence {
        eprintln!(
            "tagls: warning: {rel} is not under {}/, where the method keeps its evidence; logged anyway",
            write::EVIDENCE_DIR
        );
    }
    log(
        &root,
        &settings,
        &shot.entry,
        &format!("#SCREENSHOT_CLAIMED: {rel} ({})", shot.format),
    )
}
