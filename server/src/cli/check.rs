//! `tagls check`: the gate's findings as text, JSON or SARIF.

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use serde::Serialize;
use serde_json::{Value, json};

use crate::findings::Code;
use crate::gate::{self, Located, Report, Verdict};
use crate::tags::{Family, Severity};

use super::{EXIT_USAGE, Format};

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

#[allow(clippy::print_stdout)] // stdout is where the CLI's result goes
pub fn run(
    paths: Vec<PathBuf>,
    format: Format,
    config: Option<PathBuf>,
    no_cache: bool,
    since: Option<String>,
) -> ExitCode {
    let roots = match roots(paths) {
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
    for p in &report.problems {
        eprintln!("tagls: {p}");
    }
    let out = match format {
        Format::Text => text(&report, colour()),
        Format::Json => {
            serde_json::to_string_pretty(&json_report(&report)).unwrap_or_default() + "\n"
        }
        Format::Sarif => serde_json::to_string_pretty(&sarif(&report)).unwrap_or_default() + "\n",
    };
    let mut stdout = io::stdout().lock();
    match stdout
        .write_all(out.as_bytes())
        .and_then(|()| stdout.flush())
    {
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

/// Colour only on a terminal, and never with `NO_COLOR` set (no-color.org).
fn colour() -> bool {
    io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

fn paint(on: bool, code: &str, s: &str) -> String {
    if on {
        format!("\x1b[{code}m{s}\x1b[0m")
    } else {
        s.to_owned()
    }
}

fn severity_colour(s: Severity) -> &'static str {
    match s {
        Severity::Error => "1;31",
        Severity::Warning => "1;33",
        Severity::Information => "1;34",
        Severity::Hint => "2",
    }
}

/// Compiler-style lines, then the summary.
pub fn text(report: &Report, colour: bool) -> String {
    let mut out = String::new();
    let cwd = std::env::current_dir().ok();
    for f in &report.findings {
        let sev = f.finding.severity.name();
        // Paths as a shell in the current folder can open them.
        let full = f.root.join(&f.path);
        let shown = match cwd.as_deref().and_then(|c| full.strip_prefix(c).ok()) {
            Some(rel) => rel.display().to_string(),
            None => full.display().to_string(),
        };
        // A control character in a path or a message (a newline in a file
        // name) would split the line: it is escaped.
        out.push_str(&format!(
            "{}:{}:{}: {}: {}\n",
            escape_controls(&shown),
            f.line,
            f.column,
            paint(
                colour,
                severity_colour(f.finding.severity),
                &format!("{sev}[{}]", f.finding.code)
            ),
            escape_controls(&f.finding.message)
        ));
    }
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
        "\n{n} finding{} in {} tagged file{}\n",
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
    if !report.skipped.is_empty() {
        out.push_str(&skipped_line(report));
    }
    let v = report.verdict();
    if v == Verdict::Passed && !report.cleanup.is_empty() {
        out.push_str(&cleanup_line(report));
    }
    let colour_of = match v {
        Verdict::Passed => "1;32",
        Verdict::Conditional => "1;33",
        Verdict::Blocked => "1;31",
    };
    out.push_str(&format!(
        "verdict: {} ({})\n",
        paint(colour, colour_of, v.name()),
        report.reason()
    ));
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
    findings: Vec<JsonFinding<'a>>,
    reason: String,
    schema_version: u32,
    skipped: Vec<JsonSkipped<'a>>,
    summary: JsonSummary<'a>,
    tool: JsonTool,
    verdict: &'static str,
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
        findings: report.findings.iter().map(finding_json).collect(),
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
    }
}

fn sarif_level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Information | Severity::Hint => "note",
    }
}

/// SARIF 2.1.0: one run, one rule per code.
pub fn sarif(report: &Report) -> Value {
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
        .map(|f| {
            json!({
                "ruleId": f.finding.code,
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
            "properties": { "verdict": report.verdict().name(), "reason": report.reason() },
        }],
    })
}
