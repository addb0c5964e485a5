//! The implementation log (`.orchestration/implementation-log.md`): parsed
//! as CommonMark, its claims checked against the workspace, and entries
//! written into it.

pub mod check;
pub mod files;
pub mod git;
pub mod parse;
pub mod prose;
pub mod recipe;
#[cfg(test)]
pub(crate) mod testing;
pub mod unlogged;
pub mod write;

pub use parse::{Entry, LogDoc, Section, parse};

/// Where the log lives, relative to the workspace root, unless configured.
pub const DEFAULT_LOG_PATH: &str = ".orchestration/implementation-log.md";

use std::path::Path;

use crate::findings::{Code, Finding, Fix};
use crate::tags::{Family, Registry, Severity};
use crate::text::TextRange;
use crate::workspace::model::{ReadError, Workspace};

/// The log is read up to this size.
pub const MAX_LOG_SIZE: u64 = 64 * 1024 * 1024;

/// The log's text as the disk has it, through the workspace's rules
/// (never outside a root); `None` when there is no log.
pub fn read(ws: &mut Workspace, path: &Path) -> Result<Option<String>, ReadError> {
    match ws.read(path, MAX_LOG_SIZE) {
        Ok(bytes) => Ok(Some(String::from_utf8_lossy(&bytes).into_owned())),
        Err(ReadError::Missing) => Ok(None),
        Err(e) => Err(e),
    }
}

/// What is wrong with the log at `path` as the disk has it, read through
/// the workspace's rules: a log that cannot be read there is a problem, not
/// a pass. `None` when it holds a claim.
pub fn problem_on_disk(ws: &mut Workspace, path: &Path, registry: &Registry) -> Option<LogProblem> {
    let text = read(ws, path);
    let doc = text
        .as_ref()
        .ok()
        .and_then(|t| t.as_deref().map(|t| parse(t, registry)));
    LogProblem::of_read(
        text.as_ref().map(|t| doc.as_ref().zip(t.as_deref())),
        registry,
    )
}

/// What a log's text holds, as far as the zero-tag gate cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// Nothing but blanks.
    Blank,
    /// Headings, HTML comments and blank lines only: the template's
    /// skeleton.
    Skeleton,
    /// Anything else.
    Prose,
}

impl Shape {
    /// The shape of the lines of a text; reads up to the first line of
    /// prose.
    pub fn of<L: AsRef<str>>(lines: impl IntoIterator<Item = L>) -> Shape {
        let mut shape = Shape::Blank;
        for line in lines {
            let line = line.as_ref().trim();
            if line.is_empty() {
                continue;
            }
            let heading = line.starts_with('#')
                && line.trim_start_matches('#').starts_with([' ', '\t'])
                && line.len() - line.trim_start_matches('#').len() <= 6;
            let comment = line.starts_with("<!--") && line.ends_with("-->");
            if !(heading || comment) {
                return Shape::Prose;
            }
            shape = Shape::Skeleton;
        }
        shape
    }
}

/// Why a log does not satisfy the method, for a workspace that uses tags.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogProblem {
    Missing,
    Empty,
    NoClaim,
    /// It holds nothing but headings and blank lines: the template's
    /// skeleton (`tagls init`, the "create the log" action), set up for work
    /// that has not started. Like [`LogProblem::NoClaim`] for a workspace
    /// whose code holds tags; nothing to verify for one whose code does not.
    Unstarted,
    /// It exists but cannot be read as a regular file inside the root (a
    /// symlink out of it, a folder, a file too large or unreadable).
    Unreadable,
}

impl LogProblem {
    /// What is wrong with a log, parsed from `text` (`None`: there is no
    /// log); `None` when it holds a claim.
    pub fn of(log: Option<(&LogDoc, &str)>, registry: &Registry) -> Option<LogProblem> {
        let Some((log, text)) = log else {
            return Some(LogProblem::Missing);
        };
        LogProblem::of_parsed(log, Shape::of(text.lines()), registry)
    }

    /// What is wrong with a log that exists, parsed, given the shape of its
    /// text; `None` when it holds a claim.
    pub fn of_parsed(log: &LogDoc, shape: Shape, registry: &Registry) -> Option<LogProblem> {
        let has_claim = log.entries.iter().any(|e| {
            registry
                .get(&e.tag.name)
                .is_some_and(|d| d.family == Family::Claim)
        });
        if shape == Shape::Blank {
            Some(LogProblem::Empty)
        } else if !has_claim && log.entries.is_empty() && shape == Shape::Skeleton {
            Some(LogProblem::Unstarted)
        } else if !has_claim {
            Some(LogProblem::NoClaim)
        } else {
            None
        }
    }

    /// What is wrong with a log as [`read`] gave it (parsed as `LogDoc`):
    /// one that could not be read is [`LogProblem::Unreadable`].
    pub fn of_read<E>(
        log: Result<Option<(&LogDoc, &str)>, E>,
        registry: &Registry,
    ) -> Option<LogProblem> {
        match log {
            Ok(log) => LogProblem::of(log, registry),
            Err(_) => Some(LogProblem::Unreadable),
        }
    }

    /// Whether the problem puts a workspace whose code holds no tag under
    /// the method: a log that exists and says something is the method in
    /// use; a skeleton with no entry, or no log at all, is not.
    pub fn without_tags(self) -> bool {
        !matches!(self, LogProblem::Missing | LogProblem::Unstarted)
    }

    fn what(self) -> &'static str {
        match self {
            LogProblem::Missing => "is missing",
            LogProblem::Empty => "is empty",
            LogProblem::NoClaim | LogProblem::Unstarted => {
                "holds no claim (#FILE_CREATED, #FILE_MODIFIED or #SCREENSHOT_CLAIMED)"
            }
            LogProblem::Unreadable => {
                "cannot be read as a regular file inside the workspace, so no claim in it is checked"
            }
        }
    }
}

/// The finding for a workspace that uses tags while its log has `problem`.
/// It sits on the first tag (`range`) of the first file, in path order,
/// that holds one: one finding per workspace, on a place the editor can
/// show. `log` is the log's path as configured, `log_path` the file.
///
/// With `on_log`, no code holds a tag and the finding sits on the log
/// itself, which the message says is what puts the workspace under the
/// method.
pub fn missing_log(
    problem: LogProblem,
    log: &str,
    log_path: &Path,
    range: TextRange,
    on_log: bool,
) -> Finding {
    let message = if on_log {
        format!(
            "the implementation log {log} {}: a log puts the workspace under the method, so it must record the work",
            problem.what()
        )
    } else {
        format!(
            "this workspace uses tags, but its implementation log {log} {}",
            problem.what()
        )
    };
    Finding {
        range,
        severity: Severity::Error,
        code: Code::MissingLog,
        tag: Default::default(),
        message,
        fix: matches!(problem, LogProblem::Missing | LogProblem::Empty).then(|| Fix::CreateLog {
            path: log_path.to_path_buf(),
        }),
    }
}

#[cfg(test)]
mod shape_tests {
    use super::Shape;

    #[test]
    fn a_skeleton_is_headings_comments_and_blanks() {
        assert_eq!(Shape::of(["", "  "]), Shape::Blank);
        assert_eq!(
            Shape::of([
                "# Implementation Log",
                "",
                "## Files Created",
                "<!-- none yet -->"
            ]),
            Shape::Skeleton
        );
        // A tag is not a heading, nor is a line of prose or a list item.
        for prose in [
            "#FILE_CREATED: src/a.ts",
            "Work on login",
            "- item",
            "####### seven",
        ] {
            assert_eq!(Shape::of(["# Log", prose]), Shape::Prose, "{prose}");
        }
    }
}
