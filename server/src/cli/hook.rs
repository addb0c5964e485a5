//! `tagls hook`: a coding agent's hook (Claude Code's protocol). It reads one
//! event as JSON on stdin and answers on stdout, so that an agent is stopped
//! before it says "done" while its log holds false claims, its assumptions
//! name what does not exist, or its final message claims work the
//! workspace does not show (docs/AGENTS.md).
//!
//! - `Stop`, `SubagentStop`: the gate on the workspace (`gate::scan`, as
//!   `tagls check` runs it) and the claims of the agent's final message
//!   (`log::prose`). BLOCKED answers `{"decision": "block", "reason": ...}`;
//!   CONDITIONAL and PASSED let the agent stop (CONDITIONAL with a note for
//!   the user). An agent that is already continuing because of a stop hook
//!   (`stop_hook_active`) is never blocked again: it may stop, and the user
//!   is told what still blocks, so the hook can never keep an agent looping.
//! - `PreToolUse`: a tool that writes a file (`Write`, `Edit`, `MultiEdit`,
//!   `NotebookEdit`) is denied when the file is outside the workspace;
//!   anything else gets no answer, so the agent's own permission rules apply.
//!
//! Bad input (not JSON, an unknown event, a `cwd` outside the workspace, more
//! than [`MAX_EVENT`] bytes) is one line on stderr and exit status 1, which
//! the protocol treats as a non-blocking error. Nothing is run from the
//! agent's text, and nothing is read outside the workspace but the one
//! transcript file the event names, and only inside Claude Code's own
//! transcript folder.

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use serde_json::{Value, json};

use crate::config::Settings;
use crate::gate::{self, Located, Report, Verdict};
use crate::log::prose;
use crate::workspace::fs::RealFs;
use crate::workspace::model::Workspace;
use crate::workspace::paths::{normalize, rel_inside};

use super::check::escape_controls;

/// The largest event read from stdin.
pub const MAX_EVENT: u64 = 32 * 1024 * 1024;

/// How much of the end of a transcript is read for the final message.
pub const MAX_TRANSCRIPT_TAIL: u64 = 16 * 1024 * 1024;

/// How many findings a reason lists; the rest are counted.
const LISTED: usize = 20;

/// The exit status of an error the agent goes on after (the protocol's
/// non-blocking error: neither 0 nor 2).
pub const EXIT_ERROR: u8 = 1;

/// The tools that write the file named by `file_path` (or `notebook_path`).
const WRITING_TOOLS: [&str; 4] = ["Write", "Edit", "MultiEdit", "NotebookEdit"];

/// An event, as far as tagls reads it.
#[derive(Debug, Default)]
struct Event {
    name: String,
    cwd: Option<PathBuf>,
    transcript: Option<PathBuf>,
    stop_hook_active: bool,
    last_message: Option<String>,
    tool_name: Option<String>,
    tool_input: Value,
}

/// A field that must be a string when present.
fn string(v: &Value, key: &str) -> Result<Option<String>, String> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(format!("`{key}` must be a string")),
    }
}

fn parse_event(bytes: &[u8]) -> Result<Event, String> {
    let v: Value = serde_json::from_slice(bytes)
        .map_err(|e| format!("the event is not JSON ({e}); expected one JSON object on stdin"))?;
    if !v.is_object() {
        return Err("the event is not a JSON object".to_owned());
    }
    let name =
        string(&v, "hook_event_name")?.ok_or("the event has no `hook_event_name`".to_owned())?;
    let stop_hook_active = match v.get("stop_hook_active") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err("`stop_hook_active` must be true or false".to_owned()),
    };
    // A subagent's own transcript is the one its final message is in.
    let transcript = match string(&v, "agent_transcript_path")? {
        Some(p) if name == "SubagentStop" => Some(p),
        _ => string(&v, "transcript_path")?,
    };
    Ok(Event {
        cwd: string(&v, "cwd")?.map(PathBuf::from),
        transcript: transcript.filter(|p| !p.is_empty()).map(PathBuf::from),
        stop_hook_active,
        last_message: string(&v, "last_assistant_message")?,
        tool_name: string(&v, "tool_name")?,
        tool_input: v.get("tool_input").cloned().unwrap_or(Value::Null),
        name,
    })
}

/// The workspace the hook answers for: ROOT, else `$CLAUDE_PROJECT_DIR`
/// (Claude Code sets it for its hooks), else the current folder.
fn workspace_root(root: Option<PathBuf>) -> Result<PathBuf, String> {
    let given = root
        .or_else(|| {
            std::env::var_os("CLAUDE_PROJECT_DIR")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        })
        .unwrap_or_else(|| PathBuf::from("."));
    let root = super::check::roots(vec![given])?.remove(0);
    // Compared with canonical paths below: one spelling of the root.
    root.canonicalize()
        .map_err(|e| format!("{}: {e}", root.display()))
}

/// Whether `path` (absolute) is inside `root` (canonical), symlinks
/// resolved as far as the path exists.
fn inside(path: &Path, root: &Path) -> bool {
    let path = normalize(path);
    // The nearest part of the path that exists, resolved; the rest is
    // lexical, and `..` is gone after `normalize`.
    let mut existing = path.as_path();
    let mut rest = PathBuf::new();
    loop {
        if let Ok(real) = existing.canonicalize() {
            return rel_inside(&real.join(&rest), root).is_some();
        }
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest = Path::new(name).join(&rest);
                existing = parent;
            }
            _ => return false,
        }
    }
}

#[allow(clippy::print_stdout)] // stdout is the hook's answer
fn answer(v: &Value) -> ExitCode {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{v}");
    let _ = out.flush();
    ExitCode::SUCCESS
}

fn error(message: &str) -> ExitCode {
    eprintln!("tagls hook: {message}");
    ExitCode::from(EXIT_ERROR)
}

pub fn run(root: Option<PathBuf>) -> ExitCode {
    let mut bytes = Vec::new();
    if let Err(e) = std::io::stdin()
        .lock()
        .take(MAX_EVENT + 1)
        .read_to_end(&mut bytes)
    {
        return error(&format!("cannot read the event from stdin: {e}"));
    }
    if bytes.len() as u64 > MAX_EVENT {
        return error(&format!(
            "the event is larger than {} MiB; not checked",
            MAX_EVENT / 1024 / 1024
        ));
    }
    let event = match parse_event(&bytes) {
        Ok(e) => e,
        Err(e) => return error(&e),
    };
    if !matches!(event.name.as_str(), "Stop" | "SubagentStop" | "PreToolUse") {
        return error(&format!(
            "{} is not an event tagls answers (Stop, SubagentStop, PreToolUse); nothing done",
            escape_controls(&event.name)
        ));
    }
    let root = match workspace_root(root) {
        Ok(r) => r,
        Err(e) => return error(&format!("no workspace: {e}")),
    };
    let cwd = match &event.cwd {
        Some(c) if c.is_absolute() => c.clone(),
        Some(c) => root.join(c),
        None => root.clone(),
    };
    if !inside(&cwd, &root) {
        return error(&format!(
            "the event's cwd {} is outside the workspace {}; nothing checked",
            escape_controls(&cwd.display().to_string()),
            root.display()
        ));
    }
    match event.name.as_str() {
        "PreToolUse" => pre_tool_use(&event, &root, &cwd),
        _ => stop(&event, &root),
    }
}

/// `PreToolUse`: deny a write outside the workspace; otherwise no answer.
fn pre_tool_use(event: &Event, root: &Path, cwd: &Path) -> ExitCode {
    let tool = event.tool_name.as_deref().unwrap_or_default();
    if !WRITING_TOOLS.contains(&tool) {
        return ExitCode::SUCCESS;
    }
    let target = ["file_path", "notebook_path"]
        .iter()
        .find_map(|k| event.tool_input.get(k).and_then(Value::as_str));
    let Some(target) = target.filter(|t| !t.is_empty()) else {
        return ExitCode::SUCCESS;
    };
    let path = Path::new(target);
    let path = if path.is_absolute() {
        path.to_path_buf()
    } else {
        cwd.join(path)
    };
    if inside(&path, root) {
        return ExitCode::SUCCESS;
    }
    answer(&json!({
        "hookSpecificOutput": {
            "hookEventName": "PreToolUse",
            "permissionDecision": "deny",
            "permissionDecisionReason": format!(
                "tagls: {} is outside the workspace {}; write inside it, where the work is checked",
                escape_controls(target),
                root.display()
            ),
        }
    }))
}

/// One thing that blocks, as the reason lists it.
struct Blocker {
    place: String,
    code: String,
    message: String,
    fix: String,
}

fn from_gate(f: &Located) -> Blocker {
    Blocker {
        place: format!("{}:{}", escape_controls(&f.path), f.line),
        code: f.finding.code.to_string(),
        message: escape_controls(&f.finding.message).into_owned(),
        fix: escape_controls(&f.finding.code.fix_text(&f.subject)).into_owned(),
    }
}

fn from_prose(c: &prose::Checked) -> Option<Blocker> {
    let f = c.finding.as_ref()?;
    let sentence = crate::secrets::redact(&c.claim.sentence).into_owned();
    let mut shown: String = sentence.chars().take(100).collect();
    if shown.len() < sentence.len() {
        shown.push('…');
    }
    Some(Blocker {
        place: format!("your final message (\"{}\")", escape_controls(&shown)),
        code: f.code.to_string(),
        message: escape_controls(&f.message).into_owned(),
        fix: escape_controls(&f.code.fix_text(&c.claim.subject)).into_owned(),
    })
}

fn list(blockers: &[Blocker]) -> String {
    let mut out = String::new();
    for b in blockers.iter().take(LISTED) {
        out.push_str(&format!(
            "- {}: [{}] {}\n  fix: {}\n",
            b.place, b.code, b.message, b.fix
        ));
    }
    if blockers.len() > LISTED {
        out.push_str(&format!(
            "- and {} more (`tagls check` lists them)\n",
            blockers.len() - LISTED
        ));
    }
    out
}

/// `Stop` and `SubagentStop`.
fn stop(event: &Event, root: &Path) -> ExitCode {
    let configured = match gate::configure(&[root.to_path_buf()], None) {
        Ok(c) => c,
        Err(e) => return error(&format!("{e}; nothing checked")),
    };
    let report = gate::scan(
        &configured,
        crate::scan_cache::default_dir().as_deref(),
        &mut |_| {},
    );
    for p in &report.problems {
        eprintln!("tagls hook: {p}");
    }
    let settings = Settings::for_root(&configured[0].1, root);
    let message = final_message(event, root);
    let claims = message.as_deref().map(prose::claims).unwrap_or_default();
    let checked = check_claims(&claims, root, &settings);

    let mut blockers: Vec<Blocker> = report
        .findings
        .iter()
        .filter(|f| f.gate == Some(Verdict::Blocked))
        .map(from_gate)
        .collect();
    blockers.extend(
        checked
            .iter()
            .filter(|c| c.gate == Some(Verdict::Blocked))
            .filter_map(from_prose),
    );
    let verdict = report.verdict();
    if blockers.is_empty() {
        return allow(&report, verdict);
    }
    let why = why(&report, &checked);
    if event.stop_hook_active {
        // Blocked once already in this stop: never again, so that the agent
        // cannot be kept going forever. The user sees what is still open.
        return answer(&json!({
            "systemMessage": format!(
                "tagls: the agent may stop (it was sent back once already), but {why}:\n{}",
                list(&blockers)
            ),
        }));
    }
    answer(&json!({
        "decision": "block",
        "reason": format!(
            "tagls: the work is not done: {why}. Fix each of these (correct the claim or finish the work), then finish again:\n{}`tagls check` shows every finding; `tagls explain CODE` explains a code.",
            list(&blockers)
        ),
    }))
}

/// Why the hook blocks, in a phrase.
fn why(report: &Report, checked: &[prose::Checked]) -> String {
    let mut parts = Vec::new();
    if report.verdict() == Verdict::Blocked {
        parts.push(format!(
            "the gate is {} ({})",
            report.verdict_word(),
            report.reason()
        ));
    }
    let false_claims = checked
        .iter()
        .filter(|c| c.gate == Some(Verdict::Blocked))
        .count();
    if false_claims > 0 {
        parts.push(format!(
            "your final message makes {false_claims} claim{} the workspace does not bear out",
            if false_claims == 1 { "" } else { "s" }
        ));
    }
    parts.join(", and ")
}

/// Lets the agent stop: silently when the gate passed, with a note for
/// the user when it is conditional.
fn allow(report: &Report, verdict: Verdict) -> ExitCode {
    if verdict != Verdict::Conditional {
        return ExitCode::SUCCESS;
    }
    let n = report
        .findings
        .iter()
        .filter(|f| f.gate == Some(Verdict::Conditional))
        .count();
    answer(&json!({
        "systemMessage": format!(
            "tagls: {} ({}): nothing blocks, but a person must still look at {n} finding{}; `tagls check` lists them",
            report.verdict_word(),
            report.reason(),
            if n == 1 { "" } else { "s" }
        ),
    }))
}

/// The claims of the final message against the workspace, with the
/// configuration's `[checks]` applied as to any finding.
fn check_claims(claims: &[prose::Claim], root: &Path, settings: &Settings) -> Vec<prose::Checked> {
    if claims.is_empty() {
        return Vec::new();
    }
    let mut ws = Workspace::new(Arc::new(RealFs));
    ws.add_root(root, false);
    ws.set_env_files(root, settings.env_files.clone());
    let git = crate::log::git::state(root, settings.git_base.as_deref());
    let log_path = root.join(crate::log::DEFAULT_LOG_PATH);
    prose::check(claims, root, &log_path, &mut ws, git.as_ref())
        .into_iter()
        .map(|mut c| {
            if let Some(f) = c.finding.take() {
                c.finding = settings.apply(vec![f]).pop();
                if c.finding.is_none() {
                    c.gate = None;
                }
            }
            c
        })
        .collect()
}

/// The agent's final message: the event's `last_assistant_message`, else
/// the last assistant turn of the transcript, when tagls may read it.
fn final_message(event: &Event, root: &Path) -> Option<String> {
    if let Some(m) = &event.last_message {
        return Some(m.clone());
    }
    let path = event.transcript.as_ref()?;
    match read_transcript(path, root) {
        Ok(text) => last_assistant_turn(&text),
        Err(e) => {
            eprintln!(
                "tagls hook: the transcript {} is not read: {e}",
                escape_controls(&path.display().to_string())
            );
            None
        }
    }
}

/// Claude Code's transcript folder: `$CLAUDE_CONFIG_DIR/projects`, else
/// `~/.claude/projects`.
fn transcript_folder() -> Option<PathBuf> {
    let config = std::env::var_os("CLAUDE_CONFIG_DIR")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| dirs::home_dir().map(|h| h.join(".claude")))?;
    config.join("projects").canonicalize().ok()
}

/// The end of a transcript (JSON Lines), read only when it is a `.jsonl`
/// file inside the workspace or inside Claude Code's transcript folder
/// (symlinks resolved).
fn read_transcript(path: &Path, root: &Path) -> Result<String, String> {
    if !path.is_absolute() {
        return Err("not an absolute path".to_owned());
    }
    let real = path
        .canonicalize()
        .map_err(|e| format!("cannot be opened: {e}"))?;
    let allowed = rel_inside(&real, root).is_some()
        || transcript_folder().is_some_and(|dir| rel_inside(&real, &dir).is_some());
    if !allowed {
        return Err(
            "it is outside the workspace and outside Claude Code's transcript folder".to_owned(),
        );
    }
    if real.extension().is_none_or(|e| e != "jsonl") {
        return Err("not a .jsonl file".to_owned());
    }
    let mut file = std::fs::File::open(&real).map_err(|e| format!("cannot be opened: {e}"))?;
    let meta = file.metadata().map_err(|e| e.to_string())?;
    if !meta.is_file() {
        return Err("not a file".to_owned());
    }
    let start = meta.len().saturating_sub(MAX_TRANSCRIPT_TAIL);
    file.seek(SeekFrom::Start(start))
        .map_err(|e| e.to_string())?;
    let mut bytes = Vec::new();
    file.take(MAX_TRANSCRIPT_TAIL)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    if start > 0 {
        // The first line read is cut: it starts after the next newline.
        let cut = bytes
            .iter()
            .position(|b| *b == b'\n')
            .map_or(bytes.len(), |i| i + 1);
        bytes.drain(..cut);
    }
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// The text of an entry's message: a string, or its `text` blocks.
fn entry_text(entry: &Value) -> String {
    match entry.pointer("/message/content") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(blocks)) => blocks
            .iter()
            .filter(|b| b.get("type").and_then(Value::as_str) == Some("text"))
            .filter_map(|b| b.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    }
}

/// The text of the last assistant turn of a transcript: the assistant
/// entries after the last user entry (a prompt or a tool's result).
pub fn last_assistant_turn(transcript: &str) -> Option<String> {
    let mut turn: Vec<String> = Vec::new();
    for line in transcript.lines().rev() {
        let Ok(entry) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        match entry.get("type").and_then(Value::as_str) {
            Some("assistant") => {
                let text = entry_text(&entry);
                if !text.trim().is_empty() {
                    turn.push(text);
                }
            }
            Some("user") if !turn.is_empty() => break,
            _ => {}
        }
    }
    turn.reverse();
    (!turn.is_empty()).then(|| turn.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_turn_is_the_assistant_text_after_the_last_user_entry() {
        let transcript = [
            r#"{"type":"user","message":{"role":"user","content":"make the login"}}"#,
            r#"{"type":"assistant","message":{"role":"assistant","content":[{"type":"text","text":"I created src/old.ts"}]}}"#,
            r#"{"type":"user","message":{"role":"user","content":[{"type":"tool_result","content":"ok"}]}}"#,
            r#"{"type":"assistant","message":{"role":"assistant","content":[{"type":"text","text":"Done."},{"type":"tool_use","name":"Bash"}]}}"#,
            r#"not json"#,
            r#"{"type":"assistant","message":{"role":"assistant","content":[{"type":"text","text":"I created src/new.ts"}]}}"#,
            r#"{"type":"system","content":"hook ran"}"#,
        ]
        .join("\n");
        assert_eq!(
            last_assistant_turn(&transcript).as_deref(),
            Some("Done.\nI created src/new.ts")
        );
        assert_eq!(last_assistant_turn(""), None);
    }
}
