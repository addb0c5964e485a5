//! The command line: `tagls` serves LSP on stdio; `tagls check`, `tagls
//! report`, `tagls log`, `tagls init` and `tagls explain` answer the same
//! questions from a shell, and `tagls hook` answers a coding agent's hooks.

pub mod audit;
pub mod baseline;
pub mod check;
pub mod explain;
pub mod hook;
pub mod init;
pub mod logcmd;
pub mod report;

use std::io::Write as _;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Parser, Debug)]
#[command(
    name = "tagls",
    version,
    about = "Language server and quality gate for tag-annotated code",
    long_about = "Language server and quality gate for tag-annotated code.\n\nWithout a command, tagls serves the Language Server Protocol on stdin/stdout; editors start it that way."
)]
pub struct Cli {
    /// Serve LSP on stdin/stdout (the default; accepted because editors pass it).
    #[arg(long)]
    pub stdio: bool,

    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Output formats of `tagls check`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// For a person: the verdict, why, the findings that matter most and
    /// what to do, then the findings grouped by file, blocking ones first.
    Human,
    /// One `path:line:column: severity[code]: message` line per finding, in
    /// path order, then a summary: for grep and editors' problem matchers.
    #[value(alias = "text")]
    Short,
    /// One JSON object with `verdict` and `findings` (schema: docs/check-output.schema.json).
    Json,
    /// SARIF 2.1.0, with a stable fingerprint per result (for code scanning).
    Sarif,
    /// reviewdog's diagnostic format, one JSON object per line (rdjsonl).
    Rdjsonl,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Check every tag and claim of a workspace: the quality gate.
    ///
    /// Walks each PATH (default: the current directory) as the editor's index
    /// does (.gitignore honoured; node_modules, target, dist, vendor and .git
    /// skipped), finds every tag in code comments and in the implementation
    /// log (.orchestration/implementation-log.md, or where `log` in .tagls.toml
    /// puts it), resolves what they name
    /// and checks every claim.
    ///
    /// Verdict: BLOCKED when a claim is false (against the disk or against
    /// git), a verification recipe fails, a reference in an assumption does
    /// not resolve, a #FAILED_VERIFICATION is present, visual work has no
    /// screenshot, or the workspace is under the method (a registered tag, or
    /// a log) but its log is missing, empty or holds no claim. CONDITIONAL
    /// when nothing blocks but a person must still look (assumptions naming
    /// nothing checkable, #CANNOT_VERIFY_WITHOUT_RUNTIME items, recipes for a
    /// person or tagls cannot evaluate, a waived screenshot, ambiguous file
    /// names). PASSED otherwise; then the tags the method cleans up are
    /// listed.
    ///
    /// Exit status: 0 PASSED, 1 BLOCKED, 3 CONDITIONAL, 2 usage errors and
    /// unreadable input.
    ///
    /// The default output is for a person: the verdict and why, the three
    /// findings that matter most (blocking ones first, then those that make
    /// it CONDITIONAL) with what to do about each, then the findings grouped
    /// by file. A finding that blocks is marked BLOCKS, one that makes the
    /// verdict conditional CONDITIONAL. `--format short` prints one
    /// compiler-style line per finding instead.
    ///
    /// Only the result goes to stdout; progress goes to stderr when it is a
    /// terminal. Colour is used only on a terminal, never with NO_COLOR set
    /// (CLICOLOR_FORCE or --color always force it).
    #[command(after_long_help = explain::codes_help())]
    Check(CheckArgs),
    /// Write .orchestration/verification-report.md: the gate's findings in
    /// the method's structure (summary, failed verifications with the shell
    /// command to see it and the fix, runtime-only items, verified items,
    /// verdict). Exit status as for `check`.
    Report {
        /// The workspace root (default: the current directory).
        root: Option<PathBuf>,
        /// Read this configuration file instead of the workspace's .tagls.toml.
        #[arg(long, value_name = "PATH")]
        config: Option<PathBuf>,
        /// Parse every file again: neither read nor write the scan cache
        /// (kept in $TAGLS_CACHE_DIR, else the user's cache folder, e.g.
        /// ~/.cache/tagls; an unchanged file is not parsed twice).
        #[arg(long)]
        no_cache: bool,
        /// Check the log's claims against this git revision (a branch, tag
        /// or commit: the work's starting point), not the working tree
        /// against HEAD. For work already committed, as in CI. Overrides
        /// `git-base` in .tagls.toml.
        #[arg(long, value_name = "REV")]
        since: Option<String>,
    },
    /// Add an entry to the implementation log (the root's configured log),
    /// as the editor's code actions do (safe to run many at once).
    ///
    /// Each entry goes under its section of the method's template
    /// (Assumptions Made, Files Created, Files Modified, Evidence Captured,
    /// Integration Points): a missing section is added at its place in that
    /// order, and a new log gets all five. An entry for the same path is
    /// updated in place, never duplicated.
    #[command(subcommand)]
    Log(LogCommand),
    /// Start using the method in a workspace: the log's skeleton, a
    /// commented .tagls.toml and the CI step.
    ///
    /// Writes the log's skeleton (the configured log, else
    /// .orchestration/implementation-log.md, with the template's sections)
    /// and a .tagls.toml with every key commented out at its default, then
    /// prints a CI step that runs `tagls check`.
    ///
    /// An existing file is never overwritten: it is kept, and said so; nor
    /// is a .tagls.toml written where one in a folder above already applies.
    /// Nothing is written outside ROOT, and each file is written
    /// atomically. Exit status: 0 when a file was written, 1 when both
    /// were already there (nothing to do), 2 when ROOT cannot be used or a
    /// file cannot be written.
    Init {
        #[command(subcommand)]
        agent: Option<InitAgent>,
        /// The workspace root (default: the current directory).
        root: Option<PathBuf>,
    },
    /// A coding agent's hook (Claude Code's protocol): reads one event as
    /// JSON on stdin and answers on stdout (docs/AGENTS.md).
    ///
    /// On Stop and SubagentStop, runs the gate on the workspace and checks
    /// the claims of the agent's final message ("I created src/x.ts");
    /// when something blocks, answers {"decision": "block", "reason": ...}
    /// with each blocking finding and its fix, so the agent goes on. An
    /// agent already continuing because of a stop hook (stop_hook_active)
    /// is not blocked again. On PreToolUse, denies a write outside the
    /// workspace. Bad input: a message on stderr, exit status 1 (an error
    /// the agent goes on after).
    Hook {
        /// The workspace root (default: $CLAUDE_PROJECT_DIR, else the
        /// current directory). The event's cwd must be inside it.
        #[arg(long, value_name = "DIR")]
        root: Option<PathBuf>,
    },
    /// Explain a finding code: what it means, what it does to the verdict,
    /// an example, how to fix it and how to silence it.
    ///
    /// Without CODE, lists every code. A tag's name (COMPLETION_DRIVE)
    /// explains its family's code. An unknown code is an error (exit status
    /// 2) that lists the codes.
    Explain {
        /// A finding's code, as `tagls check` prints it: missing-path,
        /// false-claim, assumption ...
        code: Option<String>,
    },
    /// Serve the Model Context Protocol on stdin/stdout, so that coding
    /// agents can run the gate, explain codes, resolve references and write
    /// log entries (docs/MCP.md).
    ///
    /// Every path a tool is given must lie inside the workspace root; no
    /// env value is ever returned.
    Mcp {
        /// The workspace root (default: the current directory).
        #[arg(long, value_name = "DIR")]
        root: Option<PathBuf>,
    },
    /// What the workspace's tags did over its git history: for every tag
    /// and family, how many there are now, how many the range added and
    /// removed, how many are still open, and the age of each open tag
    /// (from the commit that introduced its line; a moved line keeps its
    /// age). See docs/AUDIT.md.
    ///
    /// Exit status: 0 with a report (a partial one says on stderr and in
    /// the report what it could not see: a shallow clone's missing
    /// history, files too large to read), 2 when there is no git work
    /// tree, --since names no commit, or the output cannot be written.
    Audit(audit::AuditArgs),
    /// Serve LSP on stdin/stdout.
    Serve,
}

#[derive(Subcommand, Debug)]
pub enum LogCommand {
    /// `#FILE_CREATED: <path> (<N> lines)` under `## Files Created`.
    Created {
        path: PathBuf,
        /// The entry's `Description:`.
        #[arg(long)]
        description: Option<String>,
    },
    /// `#FILE_MODIFIED: <path>` under `## Files Modified`, with `Lines
    /// affected:` from git (against HEAD), or as given, and `Changes:`.
    Modified {
        path: PathBuf,
        /// The entry's `Description:`.
        #[arg(long)]
        description: Option<String>,
        /// `Lines affected`, such as `8, 102-115`, when git cannot tell.
        #[arg(long)]
        lines: Option<String>,
        /// The entry's `Changes:`, in one line, such as "Added
        /// passwordHash" (written empty without it).
        #[arg(long)]
        changes: Option<String>,
    },
    /// `#SCREENSHOT_CLAIMED: <path>` under `## Evidence Captured`, with
    /// `Description:`, `Shows:` and `Timestamp:` (the image's modification
    /// time, UTC).
    ///
    /// The file must exist inside the workspace (not through a symlink out
    /// of it) and be a PNG, JPEG, GIF, WebP or BMP image of at most 10 MiB
    /// by its bytes; otherwise nothing is written and the exit status is 2.
    /// The method keeps screenshots under .orchestration/evidence/: one
    /// elsewhere is logged with a warning. With --waiver, logs
    /// `#SCREENSHOT_CLAIMED: CANNOT_CAPTURE_SECURITY_POLICY` with a
    /// `Reason:` instead: a security policy prevented the capture.
    Screenshot {
        /// The image, e.g. .orchestration/evidence/login/after.png.
        #[arg(required_unless_present = "waiver", conflicts_with = "waiver")]
        path: Option<PathBuf>,
        /// The entry's `Description:`.
        #[arg(long, conflicts_with = "waiver")]
        description: Option<String>,
        /// The entry's `Shows:`: what the screenshot shows.
        #[arg(long, conflicts_with = "waiver")]
        shows: Option<String>,
        /// Log the waiver CANNOT_CAPTURE_SECURITY_POLICY instead of an image.
        #[arg(long)]
        waiver: bool,
        /// The waiver's `Reason:`.
        #[arg(long, requires = "waiver")]
        reason: Option<String>,
    },
}

/// The agents `tagls init` configures.
#[derive(Subcommand, Debug)]
pub enum InitAgent {
    /// Add hooks that run `tagls hook` on Stop and SubagentStop to
    /// .claude/settings.json (created, or merged into: every other setting
    /// and hook is kept; a file that is not valid JSON is left as it is and
    /// is an error). Exit status: 0 when written, 1 when the hooks were
    /// already there, 2 on an error.
    Claude {
        /// The workspace root (default: the current directory).
        root: Option<PathBuf>,
    },
}

/// When `tagls check` colours its output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorWhen {
    /// On a terminal, unless NO_COLOR is set; always with CLICOLOR_FORCE set.
    Auto,
    Always,
    Never,
}

/// The arguments of `tagls check`.
#[derive(Args, Debug)]
pub struct CheckArgs {
    /// Workspace folders to check, or files: then the workspace each is in
    /// is checked whole, and only the findings in those files, about them,
    /// or about the workspace's log count (as a commit hook passes the
    /// staged files).
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Read this configuration file instead of the workspace's
    /// .tagls.toml (the user file still applies first).
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Parse every file again: neither read nor write the scan cache
    /// (kept in $TAGLS_CACHE_DIR, else the user's cache folder, e.g.
    /// ~/.cache/tagls; an unchanged file is not parsed twice).
    #[arg(long)]
    pub no_cache: bool,
    /// Check the log's claims against this git revision (a branch, tag
    /// or commit: the work's starting point), not the working tree
    /// against HEAD. For work already committed, as in CI. Overrides
    /// `git-base` in .tagls.toml.
    #[arg(long, value_name = "REV")]
    pub since: Option<String>,
    /// With --since REV: count only the findings the change added, not
    /// those already there at REV (REV's tree is checked in a temporary
    /// folder, and findings matched by their fingerprint).
    #[arg(long, requires = "since")]
    pub new_only: bool,
    /// Print only the verdict line and the findings that block it (human
    /// and short formats).
    #[arg(long, short)]
    pub quiet: bool,
    /// Print at most N findings (default: 50 in the human format, all in
    /// the short one; 0 prints all). A line says how many were left out.
    /// The verdict and the exit status count every finding.
    #[arg(long, value_name = "N")]
    pub max_findings: Option<usize>,
    /// Colour the human and short formats: auto (on a terminal, unless
    /// NO_COLOR is set, or when CLICOLOR_FORCE is), always or never.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ColorWhen::Auto)]
    pub color: ColorWhen,
}

/// The exit status of usage errors and unreadable input.
pub const EXIT_USAGE: u8 = 2;

/// Writes `text`, a command's result, to stdout at once. A closed pipe
/// (`tagls explain | head`) is no error; any other error is said on stderr,
/// and the answer is `false`.
#[allow(clippy::print_stdout)] // stdout is where the CLI's result goes
pub fn print_result(text: &str) -> bool {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => true,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => true,
        Err(e) => {
            eprintln!("tagls: cannot write the result: {e}");
            false
        }
    }
}
