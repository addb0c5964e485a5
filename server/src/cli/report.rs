//! `tagls report`: the gate's findings as `.orchestration/verification-report.md`,
//! in the method's structure.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::findings::Code;
use crate::gate::{Located, Report, Verdict};
use crate::log::write::update_file;
use crate::tags::Family;

use super::EXIT_USAGE;
use super::check::{exit_code, roots, scan_with_progress};

/// Where the report goes, relative to the workspace root.
pub const REPORT_PATH: &str = ".orchestration/verification-report.md";

#[allow(clippy::print_stdout)] // stdout is where the CLI's result goes
pub fn run(
    root: Option<PathBuf>,
    config: Option<PathBuf>,
    no_cache: bool,
    since: Option<String>,
) -> ExitCode {
    let roots = match roots(root.into_iter().collect()) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("tagls: {e}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let Some(root) = roots.first() else {
        return ExitCode::from(EXIT_USAGE);
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
    let text = render(&report, root);
    let path = root.join(REPORT_PATH);
    if let Err(e) = update_file(root, &path, |_| text) {
        eprintln!("tagls: cannot write {REPORT_PATH}: {e}");
        return ExitCode::from(EXIT_USAGE);
    }
    let result = format!(
        "{REPORT_PATH}: {} ({})",
        report.verdict().name(),
        report.reason()
    );
    println!("{result}"); // stdout-ok: the CLI's result
    ExitCode::from(exit_code(report.verdict()))
}

/// The shell command that shows what tagls found, for a person to re-check.
fn shell_command(f: &Located, log: &str) -> Option<String> {
    let first_word = |s: &str| s.split_whitespace().next().unwrap_or_default().to_owned();
    let claimed = || first_word(f.subject.split_once(':').map_or("", |(_, rest)| rest));
    let tag = f.finding.tag.as_str();
    Some(match f.finding.code {
        Code::FalseClaim if tag == "SCREENSHOT_CLAIMED" => format!("file {}", claimed()),
        Code::FalseClaim if tag == "FILE_MODIFIED" || tag == "FILE_CREATED" => {
            format!("wc -l {}", claimed())
        }
        Code::FalseClaim => format!("ls -l {}", claimed()),
        Code::VerificationFailed | Code::Unverifiable => f
            .subject
            .split_once(':')
            .map_or(f.subject.clone(), |(_, r)| r.trim().to_owned()),
        Code::MissingPath | Code::AmbiguousPath => format!("ls -d {}", f.subject),
        Code::MissingEnv => format!("grep -n '^{}=' .env*", f.subject),
        Code::MissingLog => format!("ls -l {log}"),
        _ => return None,
    })
}

fn item(out: &mut String, f: &Located, log: &str) {
    out.push_str(&format!(
        "### {}:{} [{}]\n\n",
        f.path, f.line, f.finding.code
    ));
    if !f.subject.is_empty() {
        out.push_str(&format!("- Claim: `{}`\n", f.subject.replace('`', "'")));
    }
    out.push_str(&format!("- Found: {}\n", f.finding.message));
    if let Some(cmd) = shell_command(f, log) {
        out.push_str(&format!("- Check: `{}`\n", cmd.replace('`', "'")));
    }
    out.push_str(&format!(
        "- Fix: {}\n\n",
        f.finding.code.fix_text(&f.subject)
    ));
}

/// The report's Markdown.
pub fn render(report: &Report, root: &Path) -> String {
    let log = report.log_of(root);
    let verdict = report.verdict();
    let blocked: Vec<&Located> = report
        .findings
        .iter()
        .filter(|f| f.gate == Some(Verdict::Blocked))
        .collect();
    let conditional: Vec<&Located> = report
        .findings
        .iter()
        .filter(|f| f.gate == Some(Verdict::Conditional))
        .collect();
    let name = root.file_name().map_or_else(
        || root.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let mut out = format!(
        "# Verification Report\n\nWorkspace `{name}`, checked by tagls {}.\n\n",
        env!("CARGO_PKG_VERSION")
    );
    out.push_str("## Summary\n\n| | count |\n|---|---|\n");
    out.push_str(&format!("| files with tags | {} |\n", report.tagged_files));
    for fam in Family::ALL {
        if let Some(n) = report.families.get(fam.name()) {
            out.push_str(&format!("| {} tags | {n} |\n", fam.name()));
        }
    }
    out.push_str(&format!("| failed verifications | {} |\n", blocked.len()));
    out.push_str(&format!("| items for a person | {} |\n", conditional.len()));
    out.push_str(&format!("| verified | {} |\n", report.verified.len()));
    out.push_str(&format!("| verdict | **{}** |\n\n", verdict.name()));

    out.push_str("## Failed Verifications\n\n");
    if blocked.is_empty() {
        out.push_str("None.\n\n");
    }
    for f in &blocked {
        item(&mut out, f, &log);
    }
    out.push_str("## Runtime-Only and Manual Items\n\n");
    if conditional.is_empty() {
        out.push_str("None.\n\n");
    }
    for f in &conditional {
        item(&mut out, f, &log);
    }
    out.push_str("## Verified\n\n");
    if report.verified.is_empty() {
        out.push_str("None.\n");
    }
    for v in &report.verified {
        out.push_str(&format!("- {v}\n"));
    }
    out.push_str(&format!(
        "\n## Verdict\n\n**{}**: {}.\n",
        verdict.name(),
        report.reason()
    ));
    out
}
