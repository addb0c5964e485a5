//! The implementation log (`.orchestration/implementation-log.md`): parsed
//! as CommonMark, its claims checked against the workspace, and entries
//! written into it.

pub mod check;
pub mod files;
pub mod parse;
pub mod recipe;
pub mod unlogged;
pub mod write;

pub use parse::{Entry, LogDoc, Section, parse};

/// Where the log lives, relative to the workspace root, unless configured.
pub const DEFAULT_LOG_PATH: &str = ".orchestration/implementation-log.md";
