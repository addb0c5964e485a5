//! `tagls check`: the tags of a workspace on the command line.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use crate::analysis;
use crate::document::Document;
use crate::findings::Finding;
use crate::syntax::Language;
use crate::tags::{Registry, Severity};
use crate::text::{Encoding, pos};
use crate::workspace::fs::RealFs;
use crate::workspace::index::FileIndex;
use crate::workspace::model::Workspace;
use crate::workspace::walk;

/// Files larger than this are not read.
pub const MAX_FILE_SIZE: u64 = 2 * 1024 * 1024;

/// The findings of one file.
pub struct FileReport {
    pub path: PathBuf,
    pub findings: Vec<(pos::LineCol, Finding)>,
}

pub fn run(paths: &[PathBuf]) -> ExitCode {
    let registry = Registry::builtin();
    let mut reports = Vec::new();
    let mut problems = Vec::new();
    for arg in paths {
        let Ok(abs) = std::path::absolute(arg) else {
            problems.push(format!("{}: not a usable path", arg.display()));
            continue;
        };
        let kind = match std::fs::metadata(&abs) {
            Ok(m) => m,
            Err(_) => {
                problems.push(format!("{}: no such file or directory", arg.display()));
                continue;
            }
        };
        // The folder checked is the workspace root; a single file is
        // checked against its folder.
        let root = if kind.is_dir() {
            abs.clone()
        } else {
            abs.parent().unwrap_or(&abs).to_path_buf()
        };
        let mut ws = Workspace::new(Arc::new(RealFs));
        ws.add_root(&root, false);
        ws.set_index(&root, FileIndex::build(&RealFs, &root));
        let files: Vec<PathBuf> = if kind.is_dir() {
            walk::files(&abs)
                .filter_map(|e| match e {
                    Ok(e) => Some(e.into_path()),
                    Err(e) => {
                        problems.push(e.to_string());
                        None
                    }
                })
                .collect()
        } else {
            vec![abs.clone()]
        };
        for file in files {
            match check_file(&file, &registry, &mut ws) {
                Ok(Some(mut r)) => {
                    // Paths are shown as the user wrote the argument.
                    if let Ok(rel) = file.strip_prefix(&abs) {
                        r.path = if rel.as_os_str().is_empty() {
                            arg.clone()
                        } else {
                            arg.join(rel)
                        };
                    }
                    reports.push(r)
                }
                Ok(None) => {}
                Err(e) => problems.push(format!("{}: {e}", file.display())),
            }
        }
    }
    reports.sort_by(|a, b| a.path.cmp(&b.path));
    match print(&reports, &problems) {
        Ok(code) => code,
        // A closed pipe (`tagls check | head`) is not an error worth a message.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tagls: cannot write the report: {e}");
            ExitCode::from(2)
        }
    }
}

/// Checks one file; `None` when it is not a tagged language or has nothing
/// to report.
pub fn check_file(
    path: &Path,
    registry: &Registry,
    ws: &mut Workspace,
) -> io::Result<Option<FileReport>> {
    let Some(lang) = Language::detect(None, &path.to_string_lossy()) else {
        return Ok(None);
    };
    if std::fs::metadata(path)?.len() > MAX_FILE_SIZE {
        return Ok(None);
    }
    let bytes = std::fs::read(path)?;
    // A cheap pre-filter: no `#` followed by a capital letter and no `env`,
    // nothing to report.
    let tag_shaped = memchr::memchr_iter(b'#', &bytes)
        .any(|i| bytes.get(i + 1).is_some_and(u8::is_ascii_uppercase));
    let env_shaped = memchr::memmem::find(&bytes, b"env").is_some()
        || memchr::memmem::find(&bytes, b"Env").is_some();
    if !tag_shaped && !env_shaped {
        return Ok(None);
    }
    let Ok(text) = std::str::from_utf8(&bytes) else {
        return Ok(None);
    };
    let mut parser = lang.parser();
    let doc = Document::new(lang, text, &mut parser, registry);
    let findings: Vec<_> = analysis::analyze(&doc, Some(path), ws)
        .findings(registry)
        .into_iter()
        .map(|f| {
            (
                pos::offset_to_line_col(doc.rope(), f.range.start, Encoding::Utf32),
                f,
            )
        })
        .collect();
    Ok((!findings.is_empty()).then(|| FileReport {
        path: path.to_path_buf(),
        findings,
    }))
}

fn print(reports: &[FileReport], problems: &[String]) -> io::Result<ExitCode> {
    let mut out = io::stdout().lock();
    let mut by_code: BTreeMap<&str, usize> = BTreeMap::new();
    let mut errors = 0;
    let mut total = 0;
    for r in reports {
        let path = r.path.strip_prefix("./").unwrap_or(&r.path);
        for (lc, f) in &r.findings {
            writeln!(
                out,
                "{}:{}:{}: {}[{}]: {}",
                path.display(),
                lc.line + 1,
                lc.col + 1,
                f.severity.name(),
                f.code,
                f.message
            )?;
            *by_code.entry(f.code).or_default() += 1;
            total += 1;
            if f.severity == Severity::Error {
                errors += 1;
            }
        }
    }
    let counts: Vec<String> = by_code.iter().map(|(c, n)| format!("{n} {c}")).collect();
    writeln!(
        out,
        "\n{total} finding{} in {} file{}{}",
        if total == 1 { "" } else { "s" },
        reports.len(),
        if reports.len() == 1 { "" } else { "s" },
        if counts.is_empty() {
            String::new()
        } else {
            format!(": {}", counts.join(", "))
        }
    )?;
    out.flush()?;
    for p in problems {
        eprintln!("tagls: {p}");
    }
    Ok(if !problems.is_empty() {
        ExitCode::from(2)
    } else if errors > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
