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
pub const REPORT_PATH: &str = crate::dialect::VERIFICATION_REPORT;

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
        report.verdict_word(),
        report.reason()
    );
    println!("{result}"); // stdout-ok: the CLI's result
    ExitCode::from(exit_code(report.verdict()))
}

/// The first path-shaped word of `text` (a word with a `/` or a file
/// extension), without quotes or trailing punctuation.
fn path_in(text: &str) -> Option<String> {
    text.split_whitespace()
        .map(|w| w.trim_matches(|c: char| "`'\"(),;:".contains(c)))
        .find(|w| {
            w.contains('/')
                || w.rsplit_once('.').is_some_and(|(stem, ext)| {
                    !stem.is_empty()
                        && (1..=10).contains(&ext.len())
                        && ext.bytes().all(|b| b.is_ascii_alphanumeric())
                })
        })
        .map(str::to_owned)
}

/// The shell command that shows what tagls found, for a person to re-check.
fn shell_command(f: &Located, log: &str) -> Option<String> {
    let msg = f.finding.message.as_str();
    let tag = f.finding.tag.as_str();
    // The claim's file: under the finding, else named in its message.
    let claimed = || path_in(&f.subject).or_else(|| path_in(msg));
    Some(match f.finding.code {
        Code::FalseClaim if msg.contains(" is not new: ") => {
            format!("git log --oneline -1 -- {}", claimed()?)
        }
        Code::FalseClaim if msg.starts_with("git shows no change") => {
            format!("git status --short -- {}", claimed()?)
        }
        Code::FalseClaim if msg.contains(" unchanged in ") => {
            format!(
                "git diff -U0 -- {}",
                path_in(msg.split(" unchanged in ").nth(1)?)?
            )
        }
        Code::FalseClaim if msg.contains(" defines no ") => {
            let name = msg.split(" defines no ").nth(1)?.split(';').next()?;
            format!("grep -n '{name}' {}", claimed()?)
        }
        Code::FalseClaim if msg.contains(" has no ") && msg.contains("Changes") => {
            let name = msg.split(" has no ").nth(1)?.split(", which").next()?;
            format!("grep -nF '{name}' {}", claimed()?)
        }
        Code::FalseClaim if tag == "SCREENSHOT_CLAIMED" => format!("file {}", claimed()?),
        Code::FalseClaim if tag == "FILE_MODIFIED" || tag == "FILE_CREATED" => {
            format!("wc -l {}", claimed()?)
        }
        Code::FalseClaim => format!("ls -l {}", claimed()?),
        Code::VerificationFailed | Code::Unverifiable => f.subject.clone(),
        Code::MissingPath | Code::AmbiguousPath => format!("ls -d {}", f.subject),
        Code::MissingEnv => format!("grep -n '^{}=' .env*", f.subject),
        Code::MissingLog => format!("ls -l {log}"),
        Code::MissingScreenshot => "ls .orchestration/evidence/".to_owned(),
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

/// Whether a finding needs a running system rather than a person's look.
fn is_runtime(f: &Located) -> bool {
    f.finding.tag == "CANNOT_VERIFY_WITHOUT_RUNTIME"
        || (f.finding.code == Code::Unverifiable
            && f.finding
                .message
                .starts_with(crate::log::check::RUNTIME_ONLY))
}

/// A code fence longer than any run of backticks in `text`.
fn fence(text: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    "`".repeat(longest.max(2) + 1)
}

/// A list of items, or `None.`.
fn section<T>(out: &mut String, title: &str, items: &[T], mut each: impl FnMut(&mut String, &T)) {
    out.push_str(&format!("## {title}\n\n"));
    if items.is_empty() {
        out.push_str("None.\n\n");
        return;
    }
    for i in items {
        each(out, i);
    }
    if !out.ends_with("\n\n") {
        out.push('\n');
    }
}

/// The report's Markdown, in the method's structure: the header (when,
/// which task, which log), the summary, the commands run with their
/// output, the failed, runtime-only and manual items, what was verified,
/// the suggestions and potential issues, the state of the tag cleanup and
/// the verdict. Every text in it left the core redacted.
pub fn render(report: &Report, root: &Path) -> String {
    render_at(report, root, jiff::Timestamp::now())
}

/// [`render`], as of `now`.
pub fn render_at(report: &Report, root: &Path, now: jiff::Timestamp) -> String {
    let log = report.log_of(root);
    let verdict = report.verdict();
    let of = |g: Verdict| -> Vec<&Located> {
        report
            .findings
            .iter()
            .filter(|f| f.gate == Some(g))
            .collect()
    };
    let blocked = of(Verdict::Blocked);
    let (runtime, manual): (Vec<&Located>, Vec<&Located>) = of(Verdict::Conditional)
        .into_iter()
        .partition(|f| is_runtime(f));
    let name = root.file_name().map_or_else(
        || root.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let task = report
        .tasks
        .get(root)
        .cloned()
        .unwrap_or_else(|| "not named in the log".to_owned());
    let mut out = "# Verification Report\n\n".to_owned();
    out.push_str(&format!(
        "- Timestamp: {}\n",
        crate::log::write::iso8601_utc(now.into())
    ));
    out.push_str(&format!("- Task: {}\n", task.replace('\n', " ")));
    out.push_str(&format!("- Implementation log: `{log}`\n"));
    out.push_str(&format!(
        "- Workspace: `{name}`, checked by tagls {}\n",
        env!("CARGO_PKG_VERSION")
    ));
    out.push_str(&format!("- Verdict: **{}**\n", report.verdict_word()));
    out.push_str(&format!("- RA status: `{}`\n\n", report.ra_status().name()));

    out.push_str("## Summary\n\n| | count |\n|---|---|\n");
    out.push_str(&format!("| files with tags | {} |\n", report.tagged_files));
    for fam in Family::ALL {
        if let Some(n) = report.families.get(fam.name()) {
            out.push_str(&format!("| {} tags | {n} |\n", fam.name()));
        }
    }
    out.push_str(&format!("| commands run | {} |\n", report.commands.len()));
    out.push_str(&format!("| failed verifications | {} |\n", blocked.len()));
    out.push_str(&format!("| runtime-only items | {} |\n", runtime.len()));
    out.push_str(&format!("| manual items | {} |\n", manual.len()));
    out.push_str(&format!("| verified | {} |\n", report.verified.len()));
    out.push_str(&format!("| verdict | **{}** |\n\n", report.verdict_word()));

    let commands: Vec<_> = report.commands.iter().filter(|c| c.root == root).collect();
    section(&mut out, "Commands Run", &commands, |out, c| {
        out.push_str(&format!(
            "- `{}` ({}:{}): {}\n",
            c.run.command.replace('`', "'"),
            c.path,
            c.line,
            c.run.status.name()
        ));
        if !c.run.output.is_empty() {
            let f = fence(&c.run.output);
            out.push_str(&format!("\n  {f}text\n"));
            for l in c.run.output.lines() {
                out.push_str(&format!("  {l}\n"));
            }
            out.push_str(&format!("  {f}\n\n"));
        }
    });
    section(&mut out, "Failed Verifications", &blocked, |out, f| {
        item(out, f, &log)
    });
    section(&mut out, "Runtime-Only Items", &runtime, |out, f| {
        item(out, f, &log)
    });
    section(&mut out, "Manual Items", &manual, |out, f| {
        item(out, f, &log)
    });
    section(&mut out, "Verified", &report.verified, |out, v| {
        out.push_str(&format!("- {v}\n"));
    });
    let suggestions: Vec<_> = report
        .tags
        .iter()
        .filter(|t| {
            t.family == Some(Family::Suggestion) || t.name.eq_ignore_ascii_case("POTENTIAL_ISSUE")
        })
        .collect();
    section(
        &mut out,
        "Suggestions and Potential Issues",
        &suggestions,
        |out, t| {
            out.push_str(&format!(
                "- {}:{} #{}: {}\n",
                t.path,
                t.span[2].0.line + 1,
                t.name,
                crate::secrets::redact_string(t.payload.replace('\n', " "))
            ));
        },
    );
    out.push_str("## Tag Cleanup\n\n");
    let n = report.cleanup.len();
    let tags = if n == 1 { "tag" } else { "tags" };
    match (verdict, n) {
        (Verdict::Passed, 0) => out.push_str("Done: no tag is left to remove.\n\n"),
        (Verdict::Passed, _) => {
            out.push_str(&format!(
                "Due: the gate passed, so these {n} {tags} are removed now (decisions and suggestions stay):\n\n"
            ));
            for t in &report.cleanup {
                out.push_str(&format!(
                    "- {}:{} #{}\n",
                    t.path,
                    t.span[2].0.line + 1,
                    t.name
                ));
            }
            out.push('\n');
        }
        (_, _) => out.push_str(&format!(
            "Not yet: the method cleans up only after PASSED; {n} {tags} will be removed then.\n\n"
        )),
    }
    out.push_str(&format!(
        "## Verdict\n\n**{}**: {}.\n",
        report.verdict_word(),
        report.reason()
    ));
    out
}
