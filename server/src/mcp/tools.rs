//! The tools of `tagls mcp`, as plain functions of the workspace root and
//! their arguments: each calls the core as the command line does (the gate,
//! `cli::explain`, the resolver, the log writer) and returns its answer as
//! JSON with a one-line summary, or the error the agent is shown.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

use crate::cli::baseline::Scope;
use crate::cli::{check as cli_check, explain, logcmd, report as cli_report};
use crate::config::Settings;
use crate::gate::{Report, Verdict};
use crate::log::write;
use crate::resolve::{self, RefKind, Resolution};
use crate::secrets::redact_string;
use crate::workspace::fs::{FileKind, RealFs};
use crate::workspace::model::{Listed, Lookup, Workspace};
use crate::workspace::paths::{display_rel, normalize};
use crate::workspace::walk;

/// A tool's answer: the structured result and a line for a person.
pub struct Answer {
    pub value: Value,
    pub summary: String,
}

/// What a tool call gives: its answer, or the message of a tool error.
pub type Outcome = Result<Answer, String>;

/// The arguments of a tool, read strictly: a wrong type, a missing field or
/// a field the tool does not take is an error that names it.
fn args<T: DeserializeOwned>(tool: &str, given: Option<Map<String, Value>>) -> Result<T, String> {
    serde_json::from_value(Value::Object(given.unwrap_or_default()))
        .map_err(|e| format!("invalid arguments for {tool}: {e}"))
}

/// The root's configuration, as `tagls check` reads it.
fn settings(root: &Path) -> Result<Settings, String> {
    let file = crate::config::load(root, None).map_err(|e| e.to_string())?;
    Ok(Settings::for_root(&file, root))
}

/// A workspace of the one root, with its env files and its index, as the
/// gate builds it, so that every answer about a path comes from
/// [`Workspace`], the one place that decides whether it may be looked at.
fn workspace(root: &Path, settings: &Settings) -> Workspace {
    let mut ws = Workspace::new(Arc::new(RealFs));
    ws.add_root(root, false);
    ws.set_env_files(root, settings.env_files.clone());
    let excludes = Arc::new(walk::Excludes::new(root));
    let walked = walk::entries_with(&excludes);
    ws.set_index(
        root,
        crate::workspace::index::FileIndex::from_entries(walked.entries),
    );
    ws.set_walk_rules(root, excludes, Listed::Whole);
    ws
}

/// A path argument inside the workspace: relative to the root, or absolute
/// under it; `..`, an absolute path elsewhere or a symlink that leads out is
/// refused. Returns the absolute path and what is there.
fn inside(ws: &mut Workspace, root: &Path, given: &str) -> Result<(PathBuf, Lookup), String> {
    if given.trim().is_empty() {
        return Err("the path is empty".to_owned());
    }
    if given.contains('\0') {
        return Err("the path holds a NUL character".to_owned());
    }
    let path = normalize(&root.join(given));
    match ws.lookup(&path) {
        Lookup::Outside => Err(format!(
            "{} is outside the workspace {}; only paths inside it are looked at",
            given.escape_debug(),
            root.display()
        )),
        found => Ok((path, found)),
    }
}

/// Runs the gate on `roots`, as `tagls check` does (each root's
/// configuration, the scan cache): the same function.
fn scan(roots: &[PathBuf]) -> Result<Report, String> {
    cli_check::scan_with_progress(roots, None, false, None)
}

fn verdict_summary(report: &Report) -> String {
    format!(
        "verdict: {} ({}); ra_status: {}; {} finding{}",
        report.verdict_word(),
        report.reason(),
        report.ra_status().name(),
        report.findings.len(),
        if report.findings.len() == 1 { "" } else { "s" }
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckArgs {
    #[serde(default)]
    paths: Vec<String>,
}

/// `check`: the gate on the root, or on folders and files inside it,
/// exactly as `tagls check --format json` answers for the same paths.
pub fn check(root: &Path, given: Option<Map<String, Value>>) -> Outcome {
    let CheckArgs { paths } = args("check", given)?;
    // A folder is checked as its own root, as `tagls check DIR` does; a file
    // as part of the workspace, whose findings in it or about it are kept.
    let mut roots = Vec::new();
    let mut scope = Scope::default();
    let mut whole = Vec::new();
    if paths.is_empty() {
        roots.push(root.to_path_buf());
    } else {
        let settings = settings(root)?;
        let mut ws = workspace(root, &settings);
        for p in &paths {
            let (abs, found) = inside(&mut ws, root, p)?;
            let target = match found {
                Lookup::Found(FileKind::Dir) => {
                    whole.push(abs.clone());
                    abs
                }
                Lookup::Found(_) => {
                    scope.add(root, display_rel(&abs, root));
                    root.to_path_buf()
                }
                _ => return Err(format!("{}: no such file or folder", p.escape_debug())),
            };
            if !roots.contains(&target) {
                roots.push(target);
            }
        }
    }
    // A root also given as a folder is checked whole.
    for w in &whole {
        scope.whole(w);
    }
    let report = scan(&roots)?;
    let (report, _, _) = crate::cli::baseline::scoped(report, &scope);
    let value = serde_json::to_value(cli_check::json_report(&report))
        .map_err(|e| format!("cannot encode the report: {e}"))?;
    Ok(Answer {
        summary: verdict_summary(&report),
        value,
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NoArgs {}

/// `unresolved_assumptions`: what keeps the RA status at
/// `present_unresolved`, with places.
pub fn unresolved_assumptions(root: &Path, given: Option<Map<String, Value>>) -> Outcome {
    let NoArgs {} = args("unresolved_assumptions", given)?;
    let report = scan(&[root.to_path_buf()])?;
    let open = report.open_assumptions();
    let items: Vec<Value> = open
        .iter()
        .map(|f| {
            json!({
                "path": f.path,
                "line": f.line,
                "column": f.column,
                "end_line": f.end_line,
                "end_column": f.end_column,
                "tag": f.finding.tag.as_str(),
                "code": f.finding.code,
                "severity": f.finding.severity.name(),
                "gate": f.gate.map(Verdict::name),
                "message": f.finding.message,
                "subject": redact_string(f.subject.clone()),
                "fix": redact_string(f.finding.code.fix_text(&f.subject)),
            })
        })
        .collect();
    let phase_open = report.phase_events.open;
    let summary = format!(
        "ra_status: {}; {} open assumption{} in code and log{}",
        report.ra_status().name(),
        items.len(),
        if items.len() == 1 { "" } else { "s" },
        if phase_open > 0 {
            format!(", {phase_open} open event(s) in the phase state")
        } else {
            String::new()
        }
    );
    Ok(Answer {
        value: json!({
            "ra_status": report.ra_status().name(),
            "verdict": report.verdict().name(),
            "verdict_word": report.verdict_word(),
            "assumptions": items,
            "open_phase_events": phase_open,
        }),
        summary,
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExplainArgs {
    code: String,
}

/// `explain`: what `tagls explain CODE` prints, in parts.
pub fn explain(given: Option<Map<String, Value>>) -> Outcome {
    let ExplainArgs { code } = args("explain", given)?;
    let (code, intro) = explain::lookup(&code)?;
    let e = explain::explanation(code);
    let mut text = intro.map(|i| format!("{i}\n\n")).unwrap_or_default();
    text.push_str(&explain::text(code));
    Ok(Answer {
        summary: text.clone(),
        value: json!({
            "code": e.code,
            "rule": e.rule,
            "verdict": e.effect,
            "example": e.example,
            "fix": e.fix,
            "silence": e.silence,
            "text": text,
        }),
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ResolveArgs {
    path: Option<String>,
    env: Option<String>,
    payload: Option<String>,
    file: Option<String>,
}

/// One reference and where it leads, as JSON; never an env value.
fn resolution_json(root: &Path, kind: &RefKind, r: &Resolution) -> Value {
    let (what, name) = match kind {
        RefKind::Path(p) => ("path", p),
        RefKind::FileName(n) => ("file_name", n),
        RefKind::Module(m) => ("module", m),
        RefKind::Env(e) => ("env", e),
    };
    let rel = |p: &PathBuf| display_rel(p, root);
    let mut out = json!({ "reference": name, "kind": what, "resolved": r.is_resolved() });
    let more = match r {
        Resolution::Exists { path, kind } => json!({
            "status": "exists",
            "path": rel(path),
            "file_kind": match kind {
                FileKind::File => "file",
                FileKind::Dir => "folder",
                FileKind::Symlink => "symlink",
                FileKind::Other => "other",
            },
        }),
        Resolution::Missing { tried } => json!({
            "status": "missing",
            "tried": tried.iter().map(rel).collect::<Vec<_>>(),
        }),
        Resolution::Ambiguous { candidates } => json!({
            "status": "ambiguous",
            "candidates": candidates.iter().map(rel).collect::<Vec<_>>(),
        }),
        Resolution::Outside { path } => {
            json!({ "status": "outside", "path": path.display().to_string() })
        }
        Resolution::EnvDefined(defs) => json!({
            "status": "declared",
            "declared_in": defs
                .iter()
                .map(|d| json!({ "file": d.file, "line": d.line + 1 }))
                .collect::<Vec<_>>(),
        }),
        Resolution::EnvMissing { files } => json!({
            "status": "undeclared",
            "env_files": files,
        }),
    };
    if let (Value::Object(o), Value::Object(m)) = (&mut out, more) {
        o.extend(m);
    }
    out
}

fn resolution_line(v: &Value) -> String {
    let s = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or_default();
    match s("status") {
        "exists" => format!("{}: exists ({})", s("reference"), s("path")),
        "declared" => format!(
            "{}: declared in {}",
            s("reference"),
            v["declared_in"]
                .as_array()
                .map(|a| a
                    .iter()
                    .map(|d| format!("{}:{}", d["file"].as_str().unwrap_or(""), d["line"]))
                    .collect::<Vec<_>>()
                    .join(", "))
                .unwrap_or_default()
        ),
        "undeclared" => format!("{}: in no env file", s("reference")),
        other => format!("{}: {other}", s("reference")),
    }
}

/// `resolve`: a path, an env variable or a whole payload, resolved as the
/// tag's payload would be, from the file the tag is in (default: the root).
pub fn resolve(root: &Path, given: Option<Map<String, Value>>) -> Outcome {
    let ResolveArgs {
        path,
        env,
        payload,
        file,
    } = args("resolve", given)?;
    let settings = settings(root)?;
    let mut ws = workspace(root, &settings);
    // The document the reference is written in: relative paths are read
    // from its folder.
    let doc = match &file {
        Some(f) => match inside(&mut ws, root, f)? {
            (abs, Lookup::Found(FileKind::File)) => abs,
            _ => return Err(format!("{}: no such file", f.escape_debug())),
        },
        // A document at the root, in no language: paths are read from the
        // root, and module paths as any language would write them, as in
        // the log.
        None => root.join(".tagls-mcp"),
    };
    let lang = crate::syntax::Language::detect(None, &doc.to_string_lossy());
    let kinds: Vec<RefKind> = match (path, env, payload) {
        (Some(p), None, None) => {
            if p.trim().is_empty() || p.contains('\0') {
                return Err("the path is empty or holds a NUL character".to_owned());
            }
            vec![RefKind::Path(p)]
        }
        (None, Some(e), None) => {
            let e = e.trim().to_owned();
            if e.is_empty() || !e.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(format!(
                    "env: {} is not a variable name (letters, digits and _)",
                    e.escape_debug()
                ));
            }
            vec![RefKind::Env(e)]
        }
        (None, None, Some(text)) => {
            let aliases = ws
                .root_for(root)
                .map(|r| Arc::clone(&r.aliases))
                .unwrap_or_default();
            resolve::refs::find(&text, 0, lang, &|w| aliases.matches(w))
                .into_iter()
                .map(|r| r.kind)
                .collect()
        }
        _ => {
            return Err(
                "give exactly one of path, env or payload (a file path, a variable's name, or a tag's text)"
                    .to_owned(),
            );
        }
    };
    let mut results = Vec::new();
    for kind in &kinds {
        let Some(r) = resolve::resolve(&mut ws, &doc, lang, kind) else {
            // A candidate only the workspace could confirm, unconfirmed.
            continue;
        };
        if let (RefKind::Path(p), Resolution::Outside { .. }) = (kind, &r)
            && kinds.len() == 1
        {
            return Err(format!(
                "{} is outside the workspace {}; only paths inside it are looked at",
                p.escape_debug(),
                root.display()
            ));
        }
        results.push(resolution_json(root, kind, &r));
    }
    let summary = if results.is_empty() {
        "no reference found".to_owned()
    } else {
        results
            .iter()
            .map(resolution_line)
            .collect::<Vec<_>>()
            .join("; ")
    };
    Ok(Answer {
        value: json!({ "references": results }),
        summary: redact_string(summary),
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LogArgs {
    path: String,
    description: Option<String>,
    lines: Option<String>,
    changes: Option<String>,
}

/// `log_created` / `log_modified`: the entry `tagls log created|modified`
/// writes, through the same writer.
pub fn log(root: &Path, given: Option<Map<String, Value>>, created: bool) -> Outcome {
    let tool = if created {
        "log_created"
    } else {
        "log_modified"
    };
    let LogArgs {
        path,
        description,
        lines,
        changes,
    } = args(tool, given)?;
    if created && (lines.is_some() || changes.is_some()) {
        return Err(format!(
            "invalid arguments for {tool}: lines and changes belong to log_modified"
        ));
    }
    let settings = settings(root)?;
    let mut ws = workspace(root, &settings);
    let file = match inside(&mut ws, root, &path)? {
        (abs, Lookup::Found(FileKind::File)) => abs,
        (_, Lookup::Found(_)) => return Err(format!("{}: not a file", path.escape_debug())),
        _ => return Err(format!("{}: does not exist", path.escape_debug())),
    };
    if settings.is_log(root, &file) {
        return Err(format!(
            "{} is the implementation log itself",
            path.escape_debug()
        ));
    }
    let bytes = ws
        .read(&file, logcmd::MAX_READ)
        .map_err(|e| format!("{}: {e}", path.escape_debug()))?;
    let text = String::from_utf8_lossy(&bytes);
    let entry = logcmd::file_entry(root, &file, &text, created, description, lines, changes)
        .map_err(|e| match e {
            logcmd::EntryError::BadLines(given) => format!(
                "lines \"{}\" is not a list of line ranges; write them as 8, 102-115",
                given.escape_debug()
            ),
            logcmd::EntryError::Nothing(e @ write::NothingToLog::NoGit(_)) => {
                format!("{e}; pass lines, such as \"8, 102-115\"")
            }
            logcmd::EntryError::Nothing(e) => e.to_string(),
        })?;
    let log_path = settings.log_path(root);
    let log_rel = display_rel(&log_path, root);
    let rel = display_rel(&file, root);
    let tag = if created {
        "FILE_CREATED"
    } else {
        "FILE_MODIFIED"
    };
    let logged = write::write_entry(root, &log_path, &entry, &settings.registry)
        .map_err(|e| format!("cannot write {log_rel}: {e}"))?;
    let (written, message) = match logged {
        write::Logged::Written => (true, format!("logged #{tag}: {rel} in {log_rel}")),
        write::Logged::AlreadyLogged(line) => (
            false,
            write::unchanged_message(&rel, tag, &log_rel, Some(line)),
        ),
        write::Logged::UpToDate => (false, write::unchanged_message(&rel, tag, &log_rel, None)),
    };
    Ok(Answer {
        value: json!({
            "written": written,
            "tag": tag,
            "path": rel,
            "log": log_rel,
            "message": message,
        }),
        summary: message,
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReportArgs {
    #[serde(default)]
    generate: bool,
}

/// The verification report's text, read through the workspace model and
/// redacted; `None` when there is none.
pub fn report_text(root: &Path) -> Result<Option<String>, String> {
    let path = root.join(cli_report::REPORT_PATH);
    let settings = settings(root)?;
    let mut ws = Workspace::new(Arc::new(RealFs));
    ws.add_root(root, false);
    ws.set_env_files(root, settings.env_files.clone());
    match ws.read(&path, crate::log::MAX_LOG_SIZE) {
        Ok(bytes) => Ok(Some(redact_string(
            String::from_utf8_lossy(&bytes).into_owned(),
        ))),
        Err(crate::workspace::model::ReadError::Missing) => Ok(None),
        Err(e) => Err(format!("{}: {e}", cli_report::REPORT_PATH)),
    }
}

/// The implementation log's path (relative to the root) and text, read
/// through the workspace model and redacted; no text when there is none.
pub fn log_text(root: &Path) -> Result<(String, Option<String>), String> {
    let settings = settings(root)?;
    let path = settings.log_path(root);
    let rel = display_rel(&path, root);
    let mut ws = Workspace::new(Arc::new(RealFs));
    ws.add_root(root, false);
    match ws.read(&path, crate::log::MAX_LOG_SIZE) {
        Ok(bytes) => Ok((
            rel,
            Some(redact_string(String::from_utf8_lossy(&bytes).into_owned())),
        )),
        Err(crate::workspace::model::ReadError::Missing) => Ok((rel, None)),
        Err(e) => Err(format!("{rel}: {e}")),
    }
}

/// `read_report`: the verification report, written first by the gate as
/// `tagls report` writes it when `generate` is set.
pub fn read_report(root: &Path, given: Option<Map<String, Value>>) -> Outcome {
    let ReportArgs { generate } = args("read_report", given)?;
    let mut verdict = Value::Null;
    if generate {
        let report = scan(&[root.to_path_buf()])?;
        let text = cli_report::render(&report, root);
        write::update_file(root, &root.join(cli_report::REPORT_PATH), |_| text)
            .map_err(|e| format!("cannot write {}: {e}", cli_report::REPORT_PATH))?;
        verdict = json!({
            "verdict": report.verdict().name(),
            "verdict_word": report.verdict_word(),
            "ra_status": report.ra_status().name(),
            "reason": report.reason(),
        });
    }
    let Some(text) = report_text(root)? else {
        return Err(format!(
            "{} does not exist; call read_report with generate: true to write it (or run `tagls report`)",
            cli_report::REPORT_PATH
        ));
    };
    Ok(Answer {
        summary: text.clone(),
        value: json!({
            "path": cli_report::REPORT_PATH,
            "generated": generate,
            "gate": verdict,
            "text": text,
        }),
    })
}
