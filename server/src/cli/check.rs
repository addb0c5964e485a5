//! `tagls check`: the gate's findings for a person (grouped by file, the
//! summary first), as compiler-style lines, JSON or SARIF.

use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde::Serialize;
use serde_json::{Value, json};

use crate::findings::Code;
use crate::gate::{self, Dialect, Located, Report, Verdict};
use crate::tags::{Family, Severity};

use anstyle::{AnsiColor, Style};

use super::baseline::{self, Scope};
use super::{CheckArgs, ColorWhen, EXIT_USAGE, Format};

/// The version of the JSON output's schema; bumped on incompatible changes.
pub const JSON_SCHEMA_VERSION: u32 = 1;

/// The exit status for a verdict.
pub fn exit_code(v: Verdict) -> u8 {
    match v {
        Verdict::Passed => 0,
        Verdict::Blocked => 1,
        Verdict::Conditional => 3,
    }
}

/// Resolves the PATH arguments to absolute workspace roots; an error names
/// the first that cannot be used.
pub fn roots(paths: Vec<PathBuf>) -> Result<Vec<PathBuf>, String> {
    let paths = if paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        paths
    };
    paths
        .into_iter()
        .map(|p| {
            let abs = std::path::absolute(&p).map_err(|e| format!("{}: {e}", p.display()))?;
            let abs = crate::workspace::paths::normalize(&abs);
            match std::fs::metadata(&abs) {
                Ok(m) if m.is_dir() => std::fs::read_dir(&abs)
                    .map(|_| abs.clone())
                    .map_err(|e| format!("{}: cannot be read: {e}", p.display())),
                Ok(_) => Err(format!(
                    "{}: not a folder; pass the workspace root",
                    p.display()
                )),
                Err(_) => Err(format!("{}: no such file or directory", p.display())),
            }
        })
        .collect()
}

/// Splits the PATH arguments into workspace roots and, for the files among
/// them, the [`Scope`] of each root they are in (the nearest folder above
/// holding `.orchestration/`, `.git` or `.tagls.toml`, else the current
/// folder). A root also given as a folder is checked whole.
pub fn targets(paths: Vec<PathBuf>) -> Result<(Vec<PathBuf>, Scope), String> {
    let mut folders = Vec::new();
    let mut scope = Scope::default();
    let mut roots_of_files: Vec<PathBuf> = Vec::new();
    for p in paths {
        let abs = std::path::absolute(&p).map_err(|e| format!("{}: {e}", p.display()))?;
        let abs = crate::workspace::paths::normalize(&abs);
        match std::fs::metadata(&abs) {
            Ok(m) if !m.is_dir() => {
                let cwd = std::env::current_dir().map_err(|e| format!("{}: {e}", p.display()))?;
                let root = crate::workspace::root::find_root(&abs)
                    .unwrap_or_else(|| crate::workspace::paths::normalize(&cwd));
                let Ok(rel) = abs.strip_prefix(&root) else {
                    return Err(format!(
                        "{}: outside the workspace {}",
                        p.display(),
                        root.display()
                    ));
                };
                scope.add(&root, rel.to_string_lossy().replace('\\', "/"));
                if !roots_of_files.contains(&root) {
                    roots_of_files.push(root);
                }
            }
            _ => folders.push(p),
        }
    }
    let mut all = if folders.is_empty() && !roots_of_files.is_empty() {
        Vec::new()
    } else {
        roots(folders)?
    };
    for root in &all {
        scope.whole(root);
    }
    for root in roots_of_files {
        if !all.contains(&root) {
            all.push(root);
        }
    }
    Ok((all, scope))
}

/// Scans with progress on stderr when it is a terminal.
/// `no_cache` turns the scan cache off.
/// `since` is the git revision claims are checked against (`--since`).
pub fn scan_with_progress(
    roots: &[PathBuf],
    config: Option<&std::path::Path>,
    no_cache: bool,
    since: Option<&str>,
) -> Result<Report, String> {
    let cache = if no_cache {
        None
    } else {
        crate::scan_cache::default_dir()
    };
    let tty = io::stderr().is_terminal();
    let mut last = std::time::Instant::now();
    let mut configured = gate::configure(roots, config).map_err(|e| e.to_string())?;
    if let Some(rev) = since {
        for (root, file) in &mut configured {
            if crate::log::git::state(root, Some(rev)).is_none() {
                return Err(format!(
                    "--since {rev}: {} is not in a git work tree, or {rev} names no commit there",
                    root.display()
                ));
            }
            file.git_base = Some(rev.to_owned());
        }
    }
    let report = gate::scan(&configured, cache.as_deref(), &mut |n| {
        if tty && last.elapsed().as_millis() >= 100 {
            last = std::time::Instant::now();
            eprint!("\rtagls: checked {n} files");
        }
    });
    if tty {
        eprint!("\r\x1b[2K");
    }
    Ok(report)
}

/// How many findings the human format prints unless `--max-findings`
/// says otherwise.
pub const HUMAN_MAX_FINDINGS: usize = 50;

/// How many findings the human summary puts first.
const TOP: usize = 3;

/// What the text formats print, as `--quiet` and `--max-findings` ask.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shown {
    /// Only the verdict line and the findings that block.
    pub quiet: bool,
    /// At most this many findings; `None`: all.
    pub max: Option<usize>,
}

pub fn run(args: CheckArgs) -> ExitCode {
    let CheckArgs {
        paths,
        format,
        config,
        no_cache,
        since,
        new_only,
        quiet,
        max_findings,
        color,
    } = args;
    if matches!(format, Format::Json | Format::Sarif | Format::Rdjsonl)
        && (quiet || max_findings.is_some())
    {
        eprintln!(
            "tagls: --quiet and --max-findings apply to the human and short formats; JSON, SARIF and rdjsonl hold every finding"
        );
        return ExitCode::from(EXIT_USAGE);
    }
    let (roots, scope) = match targets(paths) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("tagls: {e}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let report = match scan_with_progress(&roots, config.as_deref(), no_cache, since.as_deref()) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("tagls: {e}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let (mut report, mut prints, whole_passed) = baseline::scoped(report, &scope);
    // Pull-request mode: the findings already there at the base do not count.
    let mut old = None;
    if let (true, Some(rev)) = (new_only, since.as_deref()) {
        let mut bases = Vec::new();
        for root in &roots {
            match baseline::base_report(root, rev, config.as_deref()) {
                Ok(base) => bases.push((root.clone(), base)),
                Err(e) => {
                    eprintln!("tagls: --new-only: {e}");
                    return ExitCode::from(EXIT_USAGE);
                }
            }
        }
        let hunks: std::collections::HashMap<_, _> = roots
            .iter()
            .map(|root| (root.clone(), baseline::changed_lines(root, rev)))
            .collect();
        old = Some(baseline::drop_old(&mut report, &mut prints, &bases, |f| {
            baseline::on_changed_lines(f, &hunks)
        }));
    }
    if !whole_passed && new_only {
        report.cleanup.clear();
    }
    // Said after the text formats' output, which it qualifies.
    let old_line = old.map(|n| {
        format!(
            "new-only: {n} finding{} already there at {} not counted\n",
            if n == 1 { "" } else { "s" },
            escape_controls(since.as_deref().unwrap_or_default())
        )
    });
    for p in &report.problems {
        eprintln!("tagls: {p}");
    }
    let max = |default: Option<usize>| match max_findings {
        Some(0) => None,
        Some(n) => Some(n),
        None => default,
    };
    let written = match format {
        Format::Human => write_styled(
            &(human(
                &report,
                Shown {
                    quiet,
                    max: max(Some(HUMAN_MAX_FINDINGS)),
                },
            ) + old_line.as_deref().unwrap_or_default()),
            color,
        ),
        Format::Short => write_styled(
            &(short(
                &report,
                Shown {
                    quiet,
                    max: max(None),
                },
            ) + old_line.as_deref().unwrap_or_default()),
            color,
        ),
        Format::Rdjsonl => write_plain(&rdjsonl(&report)),
        Format::Json => write_plain(
            &(serde_json::to_string_pretty(&json_report(&report)).unwrap_or_default() + "\n"),
        ),
        Format::Sarif => write_plain(
            &(serde_json::to_string_pretty(&sarif(&report, &prints)).unwrap_or_default() + "\n"),
        ),
    };
    match written {
        Ok(()) => {}
        // A closed pipe (`tagls check | head`) is not worth a message.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
        Err(e) => {
            eprintln!("tagls: cannot write the result: {e}");
            return ExitCode::from(EXIT_USAGE);
        }
    }
    ExitCode::from(exit_code(report.verdict()))
}

fn write_plain(out: &str) -> io::Result<()> {
    let mut stdout = io::stdout().lock();
    stdout.write_all(out.as_bytes())?;
    stdout.flush()
}

/// Writes text with ANSI styles, which anstream strips unless colour is
/// wanted: `--color`, then `CLICOLOR_FORCE`, `NO_COLOR` and whether stdout
/// is a terminal.
fn write_styled(out: &str, when: ColorWhen) -> io::Result<()> {
    let choice = match when {
        ColorWhen::Auto => anstream::ColorChoice::Auto,
        ColorWhen::Always => anstream::ColorChoice::AlwaysAnsi,
        ColorWhen::Never => anstream::ColorChoice::Never,
    };
    let mut stdout = anstream::AutoStream::new(io::stdout(), choice).lock();
    stdout.write_all(out.as_bytes())?;
    stdout.flush()
}

/// `s` in `style`: the escapes are stripped on the way out when colour is
/// off.
fn paint(style: Style, s: &str) -> String {
    format!("{style}{s}{style:#}")
}

fn severity_style(s: Severity) -> Style {
    let colour = match s {
        Severity::Error => AnsiColor::Red,
        Severity::Warning => AnsiColor::Yellow,
        Severity::Information => AnsiColor::Blue,
        Severity::Hint => return Style::new().dimmed(),
    };
    colour.on_default().bold()
}

fn verdict_style(v: Verdict) -> Style {
    match v {
        Verdict::Passed => AnsiColor::Green,
        Verdict::Conditional => AnsiColor::Yellow,
        Verdict::Blocked => AnsiColor::Red,
    }
    .on_default()
    .bold()
}

/// The marker of a finding that changes the verdict, in the words of the
/// report's dialect.
fn gate_marker(gate: Option<Verdict>, dialect: Dialect) -> Option<String> {
    match gate {
        Some(Verdict::Blocked) => Some(paint(verdict_style(Verdict::Blocked), "BLOCKS")),
        Some(Verdict::Conditional) => Some(paint(
            verdict_style(Verdict::Conditional),
            dialect.verdict_word(Verdict::Conditional),
        )),
        _ => None,
    }
}

/// A finding's path as a shell in the current folder can open it.
fn shown_path(f: &Located, cwd: Option<&Path>) -> String {
    let full = f.root.join(&f.path);
    match cwd.and_then(|c| full.strip_prefix(c).ok()) {
        Some(rel) => escape_controls(&rel.display().to_string()).into_owned(),
        None => escape_controls(&full.display().to_string()).into_owned(),
    }
}

/// The order a person reads findings in: blocking first, then those that
/// make the verdict conditional, then the rest, each in place order.
fn importance(f: &Located) -> u8 {
    match f.gate {
        Some(Verdict::Blocked) => 0,
        Some(Verdict::Conditional) => 1,
        _ => 2,
    }
}

/// The verdict in the words of the report's dialect (PASSED / CONDITIONAL
/// / BLOCKED, or PASS / CAUTION / FAIL), and why.
fn verdict_line(report: &Report) -> String {
    let v = report.verdict();
    format!(
        "verdict: {} ({})\n",
        paint(verdict_style(v), report.verdict_word()),
        escape_controls(&report.reason())
    )
}

/// A line that says how many findings were not shown, and how to see them.
fn not_shown(n: usize, format: &str) -> String {
    format!(
        "... {n} more finding{} not shown (`--max-findings 0` shows all{format})\n",
        if n == 1 { "" } else { "s" }
    )
}

/// The human format: the verdict and why, the findings that matter most
/// with what to do, the counts, then the findings grouped by file, blocking
/// ones first within each.
pub fn human(report: &Report, shown: Shown) -> String {
    let cwd = std::env::current_dir().ok();
    let cwd = cwd.as_deref();
    let mut out = verdict_line(report);
    let mut gating: Vec<&Located> = report
        .findings
        .iter()
        .filter(|f| f.gate.is_some())
        .collect();
    gating.sort_by_key(|f| importance(f));
    if shown.quiet {
        let blocking: Vec<&Located> = gating
            .iter()
            .copied()
            .filter(|f| f.gate == Some(Verdict::Blocked))
            .collect();
        let limit = shown.max.unwrap_or(usize::MAX);
        for f in blocking.iter().take(limit) {
            out.push_str(&short_line(f, cwd, Some(report.dialect())));
        }
        if blocking.len() > limit {
            out.push_str(&not_shown(blocking.len() - limit, ""));
        }
        return out;
    }
    if !gating.is_empty() {
        let n = gating.len();
        out.push_str(&format!(
            "\n{}:\n",
            if n > TOP {
                format!("the {TOP} findings that matter most, of {n} that change the verdict")
            } else if n == 1 {
                "the finding that changes the verdict".to_owned()
            } else {
                format!("the {n} findings that change the verdict")
            }
        ));
        for f in gating.iter().take(TOP) {
            out.push_str(&format!(
                "  {} {}:{}:{} [{}] {}\n      fix: {}\n",
                gate_marker(f.gate, report.dialect()).unwrap_or_default(),
                shown_path(f, cwd),
                f.line,
                f.column,
                f.finding.code,
                human_message(f),
                escape_controls(&f.finding.code.fix_text(&f.subject)),
            ));
        }
        out.push_str("  (`tagls explain CODE` tells more about a code)\n");
    }
    out.push('\n');
    out.push_str(&counts(report));
    if report.findings.is_empty() {
        return out;
    }
    // Grouped by file, in path order; the findings of a file in importance
    // order, then by place.
    let mut groups: Vec<(&Path, &str, Vec<&Located>)> = Vec::new();
    for f in &report.findings {
        match groups.last_mut() {
            Some((root, path, list)) if *root == f.root.as_path() && *path == f.path => {
                list.push(f)
            }
            _ => groups.push((f.root.as_path(), f.path.as_str(), vec![f])),
        }
    }
    let limit = shown.max.unwrap_or(usize::MAX);
    let mut printed = 0;
    for (_, _, list) in &mut groups {
        list.sort_by_key(|f| (importance(f), f.line, f.column));
    }
    // Files with a blocking finding first, so that a cap never hides one
    // behind findings that do not matter.
    groups.sort_by_key(|(_, _, list)| list.iter().map(|f| importance(f)).min());
    for (_, _, list) in &groups {
        if printed >= limit {
            break;
        }
        out.push_str(&format!(
            "\n{}\n",
            paint(Style::new().bold().underline(), &shown_path(list[0], cwd))
        ));
        for f in list.iter().take(limit - printed) {
            let code = paint(
                severity_style(f.finding.severity),
                &format!("{}[{}]", f.finding.severity.name(), f.finding.code),
            );
            out.push_str(&format!(
                "  {}:{}: {code}{}: {}\n",
                f.line,
                f.column,
                gate_marker(f.gate, report.dialect())
                    .map(|m| format!(" {m}"))
                    .unwrap_or_default(),
                human_message(f)
            ));
            printed += 1;
        }
    }
    let total = report.findings.len();
    if total > printed {
        out.push('\n');
        out.push_str(&not_shown(
            total - printed,
            ", `--format short` one per line",
        ));
    }
    out
}

/// The counts: findings, tagged files, tags per family, skipped files and
/// the cleanup due.
fn counts(report: &Report) -> String {
    let mut out = String::new();
    let families: Vec<String> = Family::ALL
        .iter()
        .filter_map(|fam| {
            report
                .families
                .get(fam.name())
                .map(|n| format!("{n} {}", fam.name()))
        })
        .collect();
    let n = report.findings.len();
    out.push_str(&format!(
        "{n} finding{} in {} tagged file{}\n",
        if n == 1 { "" } else { "s" },
        report.tagged_files,
        if report.tagged_files == 1 { "" } else { "s" },
    ));
    out.push_str(&format!(
        "tags: {}{}\n",
        if families.is_empty() {
            "none".to_owned()
        } else {
            families.join(", ")
        },
        if report.unknown_tags > 0 {
            format!(", {} unknown", report.unknown_tags)
        } else {
            String::new()
        }
    ));
    out.push_str(&format!("ra_status: {}\n", report.ra_status().name()));
    if !report.skipped.is_empty() {
        out.push_str(&skipped_line(report));
    }
    if report.verdict() == Verdict::Passed && !report.cleanup.is_empty() {
        out.push_str(&cleanup_line(report));
    }
    out
}

/// One compiler-style line: `path:line:column: severity[code]: message`,
/// with `BLOCKS` after the code when `mark` and the finding blocks.
fn short_line(f: &Located, cwd: Option<&Path>, mark: Option<Dialect>) -> String {
    let sev = f.finding.severity.name();
    // A control character in a path or a message (a newline in a file
    // name) would split the line: it is escaped.
    format!(
        "{}:{}:{}: {}{}: {}\n",
        shown_path(f, cwd),
        f.line,
        f.column,
        paint(
            severity_style(f.finding.severity),
            &format!("{sev}[{}]", f.finding.code)
        ),
        mark.and_then(|dialect| gate_marker(f.gate, dialect))
            .map(|m| format!(" {m}"))
            .unwrap_or_default(),
        human_message(f)
    )
}

/// The short format: compiler-style lines in path order, then the counts
/// and the verdict. Quiet, the verdict line and the blocking findings.
pub fn short(report: &Report, shown: Shown) -> String {
    let mut out = String::new();
    let cwd = std::env::current_dir().ok();
    let cwd = cwd.as_deref();
    let listed: Vec<&Located> = report
        .findings
        .iter()
        .filter(|f| !shown.quiet || f.gate == Some(Verdict::Blocked))
        .collect();
    let limit = shown.max.unwrap_or(usize::MAX);
    for f in listed.iter().take(limit) {
        out.push_str(&short_line(f, cwd, None));
    }
    if listed.len() > limit {
        out.push_str(&not_shown(listed.len() - limit, ""));
    }
    if shown.quiet {
        out.push_str(&verdict_line(report));
        return out;
    }
    out.push('\n');
    out.push_str(&counts(report));
    out.push_str(&verdict_line(report));
    out
}

/// After PASSED, the tags the method removes from the code now.
fn cleanup_line(report: &Report) -> String {
    let n = report.cleanup.len();
    let mut named: Vec<String> = report
        .cleanup
        .iter()
        .take(SKIPPED_NAMED)
        .map(|t| {
            format!(
                "{}:{} #{}",
                escape_controls(&t.path),
                t.span[2].0.line + 1,
                t.name
            )
        })
        .collect();
    if n > SKIPPED_NAMED {
        named.push(format!("and {} more", n - SKIPPED_NAMED));
    }
    format!(
        "cleanup: {n} tag{} to remove now that the gate passed (decisions and suggestions stay): {}\n",
        if n == 1 { "" } else { "s" },
        named.join(", ")
    )
}

/// How many skipped files the text summary names; the rest are counted.
const SKIPPED_NAMED: usize = 10;

/// The summary line that says which files were not parsed, and why.
fn skipped_line(report: &Report) -> String {
    let n = report.skipped.len();
    let mut named: Vec<String> = report
        .skipped
        .iter()
        .take(SKIPPED_NAMED)
        .map(|s| format!("{} ({})", escape_controls(&s.path), s.why))
        .collect();
    if n > SKIPPED_NAMED {
        named.push(format!("and {} more", n - SKIPPED_NAMED));
    }
    format!(
        "skipped: {n} file{} not checked: {}\n",
        if n == 1 { "" } else { "s" },
        named.join(", ")
    )
}

/// `s` with its control characters escaped (`\n`, `\u{1b}`), so that it
/// stays on one line and cannot drive the terminal.
pub fn escape_controls(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(char::is_control) {
        return s.into();
    }
    s.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect::<String>()
        .into()
}

/// What RFC 3986 leaves unencoded in a relative reference's path:
/// unreserved characters and `/`.
const URI_PATH: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'/');

/// A workspace-relative path as a URI reference (SARIF's `artifactLocation.uri`).
pub fn uri_of(path: &str) -> String {
    percent_encoding::utf8_percent_encode(path, URI_PATH).to_string()
}

// The `--format json` object (docs/check-output.schema.json), serialised
// straight from these types: a large workspace has tens of thousands of
// findings. Keys come in alphabetical order.

#[derive(Serialize)]
pub struct JsonReport<'a> {
    cleanup: Vec<JsonTag<'a>>,
    dialect: &'static str,
    findings: Vec<JsonFinding<'a>>,
    ra_status: &'static str,
    reason: String,
    schema_version: u32,
    skipped: Vec<JsonSkipped<'a>>,
    summary: JsonSummary<'a>,
    tool: JsonTool,
    verdict: &'static str,
    verdict_word: &'static str,
}

#[derive(Serialize)]
struct JsonSummary<'a> {
    families: &'a std::collections::BTreeMap<&'static str, usize>,
    findings: usize,
    tagged_files: usize,
    unknown_tags: usize,
}

#[derive(Serialize)]
struct JsonTag<'a> {
    line: u32,
    path: &'a str,
    tag: &'a str,
}

#[derive(Serialize)]
struct JsonSkipped<'a> {
    path: &'a str,
    reason: &'a str,
    tag_shaped: bool,
}

#[derive(Serialize)]
struct JsonTool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    code: Code,
    column: u32,
    end_column: u32,
    end_line: u32,
    fix: Option<Value>,
    gate: Option<&'static str>,
    line: u32,
    message: &'a str,
    path: &'a str,
    severity: &'static str,
    tag: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cell: Option<JsonCell>,
}

/// Where a finding in a Jupyter notebook is among its cells.
#[derive(Serialize)]
struct JsonCell {
    /// The cell's index in the notebook's `cells`, from 0.
    index: usize,
    /// The line within the cell's source, from 1.
    line: usize,
}

fn finding_json(f: &Located) -> JsonFinding<'_> {
    JsonFinding {
        code: f.finding.code,
        column: f.column,
        end_column: f.end_column,
        end_line: f.end_line,
        fix: f.finding.fix.as_ref().map(crate::findings::Fix::data),
        gate: f.gate.map(Verdict::name),
        line: f.line,
        message: &f.finding.message,
        path: &f.path,
        severity: f.finding.severity.name(),
        tag: (!f.finding.tag.is_empty()).then_some(f.finding.tag.as_str()),
        cell: f.cell.map(|(index, line)| JsonCell { index, line }),
    }
}

/// A finding's message as people read it: in a notebook, with the cell.
fn human_message(f: &Located) -> String {
    let message = escape_controls(&f.finding.message);
    match f.cell {
        Some((index, line)) => format!("{message} (cell index {index}, line {line})"),
        None => message.into_owned(),
    }
}

/// The `--format json` object (docs/check-output.schema.json).
pub fn json_report(report: &Report) -> JsonReport<'_> {
    JsonReport {
        cleanup: report
            .cleanup
            .iter()
            .map(|t| JsonTag {
                line: t.span[2].0.line + 1,
                path: &t.path,
                tag: &t.name,
            })
            .collect(),
        dialect: report.dialect().name(),
        findings: report.findings.iter().map(finding_json).collect(),
        ra_status: report.ra_status().name(),
        reason: report.reason(),
        schema_version: JSON_SCHEMA_VERSION,
        skipped: report
            .skipped
            .iter()
            .map(|s| JsonSkipped {
                path: &s.path,
                reason: &s.why,
                tag_shaped: s.tag_shaped,
            })
            .collect(),
        summary: JsonSummary {
            families: &report.families,
            findings: report.findings.len(),
            tagged_files: report.tagged_files,
            unknown_tags: report.unknown_tags,
        },
        tool: JsonTool {
            name: "tagls",
            version: env!("CARGO_PKG_VERSION"),
        },
        verdict: report.verdict().name(),
        verdict_word: report.verdict_word(),
    }
}

fn sarif_level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Information | Severity::Hint => "note",
    }
}

/// SARIF 2.1.0: one run, one rule per code; `prints` are the findings'
/// fingerprints ([`baseline::fingerprints`]), one per finding.
pub fn sarif(report: &Report, prints: &[String]) -> Value {
    let mut codes: Vec<Code> = report.findings.iter().map(|f| f.finding.code).collect();
    codes.sort_unstable();
    codes.dedup();
    let rules: Vec<Value> = codes
        .iter()
        .map(|c| json!({ "id": c, "name": c, "shortDescription": { "text": c.rule() } }))
        .collect();
    let results: Vec<Value> = report
        .findings
        .iter()
        .zip(prints)
        .map(|(f, print)| {
            json!({
                "ruleId": f.finding.code,
                "partialFingerprints": { baseline::FINGERPRINT_KEY: print },
                "ruleIndex": codes.iter().position(|c| *c == f.finding.code).unwrap_or(0),
                "level": sarif_level(f.finding.severity),
                "message": { "text": f.finding.message },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": uri_of(&f.path), "uriBaseId": "%SRCROOT%" },
                        "region": {
                            "startLine": f.line,
                            "startColumn": f.column,
                            "endLine": f.end_line,
                            "endColumn": f.end_column.max(if f.end_line == f.line { f.column } else { 1 }),
                        }
                    }
                }],
            })
        })
        .collect();
    // What was not parsed is said, as notifications of the one invocation.
    let notifications: Vec<Value> = report
        .skipped
        .iter()
        .map(|s| {
            json!({
                "level": if s.tag_shaped { "warning" } else { "note" },
                "message": { "text": format!("{} not checked: {}", s.path, s.why) },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": uri_of(&s.path), "uriBaseId": "%SRCROOT%" },
                    }
                }],
            })
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "tagls",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://github.com/tagls/tagls",
                "rules": rules,
            } },
            "columnKind": "unicodeCodePoints",
            "invocations": [{
                "executionSuccessful": true,
                "toolExecutionNotifications": notifications,
            }],
            "results": results,
            "properties": {
                "verdict": report.verdict().name(),
                "verdict_word": report.verdict_word(),
                "ra_status": report.ra_status().name(),
                "reason": report.reason(),
            },
        }],
    })
}

fn rd_severity(s: Severity) -> &'static str {
    match s {
        Severity::Error => "ERROR",
        Severity::Warning => "WARNING",
        Severity::Information | Severity::Hint => "INFO",
    }
}

/// A reviewdog position: one-based line, and one-based column in UTF-8
/// bytes, as reviewdog counts them.
fn rd_position(p: crate::text::LineCol) -> Value {
    json!({ "line": p.line + 1, "column": p.col + 1 })
}

/// Where a claim's line count is written in the log at `log`, as a
/// reviewdog range, for the edit the editor's "Correct to N lines" makes;
/// `None` unless the log still states `claimed` there.
fn count_digits(log: &Path, range: crate::text::TextRange, claimed: usize) -> Option<Value> {
    let meta = std::fs::symlink_metadata(log).ok()?;
    let bytes =
        crate::workspace::fs::read_after_lstat(log, &meta, crate::log::MAX_LOG_SIZE).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (written, digits) = crate::log::check::count_at(&text, range)?;
    if written != claimed {
        return None;
    }
    let rope = ropey::Rope::from_str(&text);
    let at = |offset| {
        rd_position(crate::text::pos::offset_to_line_col(
            &rope,
            offset,
            crate::text::pos::Encoding::Utf8,
        ))
    };
    Some(json!({ "start": at(digits.start), "end": at(digits.end) }))
}

/// reviewdog's diagnostic format, one object per line (`rdjsonl`): paths
/// relative to the current folder, a misspelt tag's rename and a claim's
/// corrected line count as suggestions.
pub fn rdjsonl(report: &Report) -> String {
    let cwd = std::env::current_dir().ok();
    let mut out = String::new();
    for f in &report.findings {
        let full = f.root.join(&f.path);
        let path = match cwd.as_deref().and_then(|c| full.strip_prefix(c).ok()) {
            Some(rel) => rel.display().to_string(),
            None => full.display().to_string(),
        };
        let (start, end) = f.span[0];
        let range = json!({ "start": rd_position(start), "end": rd_position(end) });
        let mut d = json!({
            "message": f.finding.message,
            "location": { "path": path, "range": range },
            "severity": rd_severity(f.finding.severity),
            "source": { "name": "tagls" },
            "code": { "value": f.finding.code },
        });
        match &f.finding.fix {
            Some(crate::findings::Fix::RenameTag { to }) => {
                d["suggestions"] = json!([{ "range": range, "text": format!("#{to}:") }]);
            }
            Some(crate::findings::Fix::CorrectCount { claimed, lines }) => {
                if let Some(at) = count_digits(&full, f.finding.range, *claimed) {
                    d["suggestions"] = json!([{ "range": at, "text": lines.to_string() }]);
                }
            }
            _ => {}
        }
        out.push_str(&d.to_string());
        out.push('\n');
    }
    out
}
