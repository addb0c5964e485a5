//! The command line: `tagls` serves LSP on stdio; `tagls check` reports the
//! tags of a workspace.

pub mod check;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(
    name = "tagls",
    version,
    about = "Language server and quality gate for tag-annotated code"
)]
pub struct Cli {
    /// Serve LSP on stdin/stdout (the default; accepted because editors pass it).
    #[arg(long, global = false)]
    pub stdio: bool,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Find and report every tag in the given files and folders.
    ///
    /// Walks each PATH (default: the current directory) as the editor does:
    /// .gitignore is honoured and node_modules, target, dist, vendor and .git
    /// are skipped. Prints one line per finding,
    /// `path:line:column: severity[code]: message`, then a summary.
    ///
    /// Exit status: 0 when nothing is an error, 1 when a finding is an error,
    /// 2 for usage errors and unreadable input.
    Check {
        /// Files or folders to check.
        paths: Vec<PathBuf>,
    },
    /// Serve LSP on stdin/stdout.
    Serve,
}

/// Runs a command-line invocation other than serving.
pub fn run_check(paths: Vec<PathBuf>) -> ExitCode {
    let paths = if paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        paths
    };
    check::run(&paths)
}
