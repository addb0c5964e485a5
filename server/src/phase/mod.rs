//! The task's phase state (`.claude/orchestration/phase_state.json`, the
//! method's newer form): its gates, their evidence and the assumptions its
//! events record, checked against the workspace. docs/PHASE.md describes
//! the rules.
//!
//! One home for every rule: the server (the open document, live) and
//! `tagls check` (the file on disk) both call [`check`]. Nothing is read
//! outside the workspace: every path goes through [`Workspace`].

pub mod model;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use crate::config::Settings;
use crate::findings::{Code, Finding};
use crate::log::check::Check;
use crate::secrets::redact_string;
use crate::syntax::Language;
use crate::tags::{Family, Severity};
use crate::text::{Spans, TextRange, pos};
use crate::workspace::fs::FileKind;
use crate::workspace::model::{Lookup, ReadError, Workspace};
use crate::workspace::paths::normalize;

pub use model::{Event, Gate, Phase, PhaseState, ShapeError, Spanned, parse};

pub use crate::config::{DEFAULT_EVIDENCE_GATES, DEFAULT_PHASE_STATE};

/// The largest phase state and evidence file that is read.
pub const MAX_FILE: u64 = crate::log::files::MAX_FILE;

/// A tag in the workspace's code, as the gate found it: the path relative
/// to the root, and where the tag is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodeTag {
    pub path: String,
    pub name: String,
    pub payload: String,
    pub span: Spans,
}

/// Where a value of the phase state leads (go-to-definition): a file, and
/// the place in it when it is a tag.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    pub range: TextRange,
    pub path: PathBuf,
    pub span: Option<Spans>,
}

/// What [`check`] found: the checks (with their findings and hovers) and
/// the links, in document order.
#[derive(Clone, Debug, Default)]
pub struct Checked {
    pub checks: Vec<Check>,
    pub links: Vec<Link>,
}

/// Whether a tag of the workspace's code is one the phase state must
/// record: a registered assumption in a source file (not in the log).
pub fn must_be_recorded(path: &str, name: &str, settings: &Settings) -> bool {
    settings
        .registry
        .get(name)
        .is_some_and(|d| d.family == Family::Assumption)
        && path != settings.log
        && Language::detect(None, path).is_some()
}

/// Whether two texts say the same thing, loosely: an event's message and a
/// tag's payload are written apart, by different hands. Either holds the
/// other, or they share at least half the words of the shorter. A missing
/// text matches anything.
pub fn same_message(a: &str, b: &str) -> bool {
    // Words every assumption shares say nothing about which one it is.
    const COMMON: &[&str] = &[
        "assuming", "assume", "assumed", "the", "a", "an", "is", "are", "be", "will", "should",
        "that", "this", "it", "to", "of", "and", "or", "in", "on", "at", "for", "with", "by",
    ];
    fn words(s: &str) -> Vec<String> {
        s.split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .filter(|w| !COMMON.contains(&w.as_str()))
            .collect()
    }
    let (wa, wb) = (words(a), words(b));
    if wa.is_empty() || wb.is_empty() {
        return true;
    }
    let (ja, jb) = (wa.join(" "), wb.join(" "));
    if ja.contains(&jb) || jb.contains(&ja) {
        return true;
    }
    let (short, long) = if wa.len() <= wb.len() {
        (&wa, &wb)
    } else {
        (&wb, &wa)
    };
    let mut unique = short.clone();
    unique.sort();
    unique.dedup();
    let common = unique.iter().filter(|w| long.contains(w)).count();
    common * 2 >= unique.len()
}

/// The events that are still open (`"resolved"` is not true), in file
/// order: what a gate's `ra_status` counts.
pub fn open_events(state: &PhaseState) -> Vec<&Event> {
    state
        .phases
        .iter()
        .flat_map(|p| &p.events)
        .filter(|e| !e.resolved)
        .collect()
}

/// Reads a root's phase state from disk: `None` when it does not exist, an
/// error when it cannot be read or parsed.
pub fn read(
    ws: &mut Workspace,
    root: &Path,
    settings: &Settings,
) -> Option<Result<(String, PhaseState), ShapeError>> {
    let path = settings.phase_state_path(root);
    let text = match ws.read(&path, MAX_FILE) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(ReadError::Missing) => return None,
        Err(e) => {
            return Some(Err(ShapeError {
                range: TextRange::new(0, 0),
                message: format!("cannot read the phase state: {e}"),
            }));
        }
    };
    Some(parse(&text).map(|s| (text, s)))
}

/// The open events of a root's phase state on disk, for a gate's
/// `ra_status`; empty without a phase state (or with one that cannot be
/// read).
pub fn open_events_on_disk(ws: &mut Workspace, root: &Path, settings: &Settings) -> Vec<Event> {
    match read(ws, root, settings) {
        Some(Ok((_, state))) => open_events(&state).into_iter().cloned().collect(),
        _ => Vec::new(),
    }
}

/// The events of `state` that record the tag `name` with `payload` in the
/// file `file` of `root`: where go-to-definition leads from a tag in code.
pub fn events_for(
    state: &PhaseState,
    root: &Path,
    file: &Path,
    name: &str,
    payload: &str,
) -> Vec<TextRange> {
    let file = normalize(file);
    state
        .phases
        .iter()
        .flat_map(|p| &p.events)
        .filter(|e| e.tag_name() == Some(name))
        .filter(|e| {
            e.file
                .as_ref()
                .is_some_and(|f| normalize(&root.join(&f.value)) == file)
        })
        .filter(|e| same_message(e.message.as_ref().map_or("", |m| &m.value), payload))
        .map(|e| e.range)
        .collect()
}

/// Checks the phase state at `path` (its text `text`) against the
/// workspace: its gates and their evidence, its events against the tags in
/// their files, its modified files, and, given `code_tags` (every tag of the
/// root's code, as the gate found them), that every assumption is recorded.
pub fn check(
    text: &str,
    path: &Path,
    ws: &mut Workspace,
    settings: &Settings,
    code_tags: Option<&[CodeTag]>,
) -> Checked {
    let mut out = Checked::default();
    let state = match parse(text) {
        Ok(s) => s,
        Err(e) => {
            let message = format!("phase state: {}", e.message);
            out.checks.push(finding_check(
                e.range,
                Code::BadPhaseState,
                Severity::Error,
                &message,
                format!("**Phase state**: {message}; nothing else in the file is checked"),
            ));
            return out;
        }
    };
    let Some(root) = ws.root_for(path).map(|r| r.path.clone()) else {
        return out;
    };
    let mut cx = Cx {
        ws,
        root: &root,
        settings,
        files: HashMap::new(),
        out: &mut out,
    };
    for gate in &state.gates {
        cx.gate(gate);
    }
    for phase in &state.phases {
        for file in &phase.files_modified {
            cx.modified(file);
        }
        for event in &phase.events {
            cx.event(event);
        }
    }
    if let Some(tags) = code_tags {
        cx.unrecorded(&state, tags);
    }
    out.checks.sort_by_key(|c| c.range.start);
    out.links.sort_by_key(|l| l.range.start);
    out
}

fn finding_check(
    range: TextRange,
    code: Code,
    severity: Severity,
    message: &str,
    hover: String,
) -> Check {
    Check {
        range,
        entry: None,
        runs: None,
        finding: Some(Finding {
            range,
            severity,
            code,
            tag: Default::default(),
            message: message.to_owned(),
            fix: None,
        }),
        hover: redact_string(hover),
    }
}

fn info_check(range: TextRange, hover: String) -> Check {
    Check {
        range,
        entry: None,
        runs: None,
        finding: None,
        hover: redact_string(hover),
    }
}

/// A tag found in a file an event names.
#[derive(Clone, Debug)]
struct Found {
    name: String,
    payload: String,
    span: Spans,
}

/// What is at a path a phase state names.
enum At {
    File(PathBuf),
    Problem(String),
}

struct Cx<'a> {
    ws: &'a mut Workspace,
    root: &'a Path,
    settings: &'a Settings,
    /// The tags of each file an event names, read once.
    files: HashMap<PathBuf, Result<Vec<Found>, String>>,
    out: &'a mut Checked,
}

impl Cx<'_> {
    /// The file a path of the phase state names (relative to the root), or
    /// why there is none to read. A path that leaves the workspace is never
    /// looked at.
    fn at(&mut self, written: &str) -> At {
        if written.trim().is_empty() {
            return At::Problem("the path is empty".to_owned());
        }
        let path = normalize(&self.root.join(written));
        if !path.starts_with(self.root) {
            return At::Problem(format!(
                "{written} is outside the workspace; it is not read"
            ));
        }
        match self.ws.lookup(&path) {
            Lookup::Found(FileKind::File | FileKind::Symlink) => At::File(path),
            Lookup::Found(FileKind::Dir) => {
                At::Problem(format!("{written} is a directory, not a file"))
            }
            Lookup::Found(FileKind::Other) => {
                At::Problem(format!("{written} is not a regular file"))
            }
            Lookup::Missing => At::Problem(format!("{written} does not exist")),
            Lookup::Outside => At::Problem(format!(
                "{written} is outside the workspace; it is not read"
            )),
        }
    }

    fn gate(&mut self, gate: &Gate) {
        let name = &gate.name.value;
        let needs = self.settings.needs_evidence(name);
        let decision = gate.decision.as_ref();
        match decision {
            None => {
                let message =
                    format!("gate {name} has no gate_decision: write PASS, CAUTION or FAIL");
                let hover = format!("**Gate `{name}`**: {message}");
                self.out.checks.push(finding_check(
                    gate.name.range,
                    Code::BadGateDecision,
                    Severity::Error,
                    &message,
                    hover,
                ));
            }
            Some((text, range)) => {
                let range = *range;
                let head = format!("**Gate `{name}`**");
                match text.as_deref() {
                    Some("PASS") if needs && gate.evidence.is_empty() => {
                        let message = format!(
                            "gate {name} decided PASS without evidence: it needs evidence_paths (a screenshot)"
                        );
                        self.out.checks.push(finding_check(
                            range,
                            Code::MissingEvidence,
                            Severity::Error,
                            &message,
                            format!("{head}: {message}"),
                        ));
                    }
                    Some("PASS") => {
                        let evidence = if needs {
                            "evidence required, and listed"
                        } else {
                            "no evidence required"
                        };
                        self.out.checks.push(info_check(
                            range,
                            format!("{head}: decided PASS ({evidence})"),
                        ));
                    }
                    Some("CAUTION") => {
                        let message = format!(
                            "gate {name} decided CAUTION: the verdict is CONDITIONAL until a person looks"
                        );
                        self.out.checks.push(finding_check(
                            range,
                            Code::GateCaution,
                            Severity::Warning,
                            &message,
                            format!("{head}: {message}"),
                        ));
                    }
                    Some("FAIL") => {
                        let message = format!("gate {name} decided FAIL: the task is BLOCKED");
                        self.out.checks.push(finding_check(
                            range,
                            Code::GateFailed,
                            Severity::Error,
                            &message,
                            format!("{head}: {message}"),
                        ));
                    }
                    other => {
                        let shown = match other {
                            Some(t) => format!("\"{t}\""),
                            None => "not a string".to_owned(),
                        };
                        let message = format!(
                            "gate {name}: gate_decision is {shown}; write PASS, CAUTION or FAIL"
                        );
                        self.out.checks.push(finding_check(
                            range,
                            Code::BadGateDecision,
                            Severity::Error,
                            &message,
                            format!("{head}: {message}"),
                        ));
                    }
                }
            }
        }
        for e in &gate.evidence {
            self.evidence(name, e);
        }
    }

    /// An evidence path: a non-empty file inside the workspace, and a real
    /// image when its name says it is one (the log's screenshot check).
    fn evidence(&mut self, gate: &str, e: &Spanned) {
        let written = &e.value;
        let head = format!("**Evidence of gate `{gate}`** `{written}`");
        let problem = match self.at(written) {
            At::Problem(p) => Err(p),
            At::File(path) => match self.ws.read(&path, MAX_FILE) {
                Err(ReadError::TooLarge) => {
                    self.link(e.range, path, None);
                    self.out.checks.push(info_check(
                        e.range,
                        format!(
                            "{head}: exists; larger than 10 MiB, so its content is not checked"
                        ),
                    ));
                    return;
                }
                Err(err) => Err(format!("{written} cannot be read: {err}")),
                Ok(bytes) if bytes.is_empty() => {
                    self.link(e.range, path, None);
                    Err(format!("{written} is empty"))
                }
                Ok(bytes) => {
                    self.link(e.range, path, None);
                    if is_image_name(written) {
                        crate::log::files::image(&bytes)
                            .map(|i| format!("{}, {}×{}", i.format, i.width, i.height))
                            .map_err(|why| format!("{written} is not an image: {why}"))
                    } else {
                        Ok(format!("a file of {} bytes", bytes.len()))
                    }
                }
            },
        };
        match problem {
            Ok(what) => self
                .out
                .checks
                .push(info_check(e.range, format!("{head}: {what}"))),
            Err(message) => {
                let message = format!("evidence of gate {gate}: {message}");
                self.out.checks.push(finding_check(
                    e.range,
                    Code::BadEvidence,
                    Severity::Error,
                    &message,
                    format!("{head}: **{message}**"),
                ));
            }
        }
    }

    fn modified(&mut self, file: &Spanned) {
        let head = format!("**Modified** `{}`", file.value);
        match self.at(&file.value) {
            At::File(path) => {
                self.link(file.range, path, None);
                self.out
                    .checks
                    .push(info_check(file.range, format!("{head}: exists")));
            }
            At::Problem(p) => {
                let message = format!("files_modified: {p}");
                self.out.checks.push(finding_check(
                    file.range,
                    Code::MissingModifiedFile,
                    Severity::Error,
                    &message,
                    format!("{head}: **{message}**"),
                ));
            }
        }
    }

    fn event(&mut self, event: &Event) {
        let registry = &self.settings.registry;
        let Some(name) = event.tag_name().map(str::to_owned) else {
            return;
        };
        let meaning = match registry.get(&name) {
            Some(d) => format!(
                "{} ({} family): {}",
                d.description,
                d.family.name(),
                d.family.meaning()
            ),
            None => "a tag the registry does not know".to_owned(),
        };
        let status = if event.resolved { "resolved" } else { "open" };
        let message = event.message.as_ref().map_or("", |m| m.value.as_str());
        let head = format!("**#{name}** ({status}): {meaning}");
        let Some(file) = &event.file else {
            self.out.checks.push(info_check(
                event.range,
                format!("{head}\n\nThe event names no file; nothing to find in code"),
            ));
            return;
        };
        let path = match self.at(&file.value) {
            At::File(path) => path,
            At::Problem(p) if !event.resolved => {
                let message = format!("event #{name}: {p}");
                self.out.checks.push(finding_check(
                    file.range,
                    Code::StaleEvent,
                    Severity::Error,
                    &message,
                    format!("{head}\n\n**{message}**"),
                ));
                return;
            }
            At::Problem(p) => {
                self.out
                    .checks
                    .push(info_check(event.range, format!("{head}\n\n{p}")));
                return;
            }
        };
        let found = self.tags_of(&path, &file.value);
        let matching = match &found {
            Ok(tags) => tags
                .iter()
                .find(|t| t.name == name && same_message(message, &t.payload))
                .cloned(),
            Err(_) => None,
        };
        match (matching, found) {
            (Some(t), _) => {
                let line = t.span[0].0.line + 1;
                self.link(event.range, path, Some(t.span));
                self.out.checks.push(info_check(
                    event.range,
                    format!(
                        "{head}\n\nIn code at `{}` line {line}: {}",
                        file.value, t.payload
                    ),
                ));
            }
            (None, _) if event.resolved => {
                self.link(event.range, path, None);
                self.out.checks.push(info_check(
                    event.range,
                    format!(
                        "{head}\n\nNo longer in `{}`, as a resolved event may be",
                        file.value
                    ),
                ));
            }
            (None, found) => {
                let why = match found {
                    Err(e) => format!("{} cannot be read: {e}", file.value),
                    Ok(tags) if tags.iter().any(|t| t.name == name) => format!(
                        "{} has #{name}, but none says \"{}\"",
                        file.value,
                        shorten(message)
                    ),
                    Ok(_) => format!("{} no longer has #{name}", file.value),
                };
                self.link(event.range, path, None);
                let range = event.tag.as_ref().map_or(event.range, |t| t.range);
                let message = format!(
                    "open event #{name}: {why}; mark it \"resolved\": true, or put the tag back"
                );
                self.out.checks.push(finding_check(
                    range,
                    Code::StaleEvent,
                    Severity::Error,
                    &message,
                    format!("{head}\n\n**{message}**"),
                ));
                // The event's own hover, anywhere in it.
                self.out
                    .checks
                    .push(info_check(event.range, format!("{head}\n\n{why}")));
            }
        }
    }

    /// Every assumption in code that no event records, reported on the last
    /// phase (where the next event goes), else at the file's start.
    fn unrecorded(&mut self, state: &PhaseState, tags: &[CodeTag]) {
        let at = state.phases.last().map_or(state.start, |p| p.name.range);
        let events: Vec<&Event> = state.phases.iter().flat_map(|p| &p.events).collect();
        for t in tags
            .iter()
            .filter(|t| must_be_recorded(&t.path, &t.name, self.settings))
        {
            let file = normalize(&self.root.join(&t.path));
            let recorded = events.iter().any(|e| {
                e.tag_name() == Some(t.name.as_str())
                    && e.file
                        .as_ref()
                        .is_some_and(|f| normalize(&self.root.join(&f.value)) == file)
                    && same_message(e.message.as_ref().map_or("", |m| &m.value), &t.payload)
            });
            if recorded {
                continue;
            }
            let line = t.span[0].0.line + 1;
            let message = format!(
                "#{} in {}:{line} is recorded by no ra_events entry: \"{}\"",
                t.name,
                t.path,
                shorten(&t.payload)
            );
            self.out.checks.push(finding_check(
                at,
                Code::UnrecordedAssumption,
                Severity::Warning,
                &message,
                format!("**Unrecorded assumption**: {message}"),
            ));
            self.link(at, file, Some(t.span));
        }
    }

    fn link(&mut self, range: TextRange, path: PathBuf, span: Option<Spans>) {
        self.out.links.push(Link { range, path, span });
    }

    /// The tags of a file an event names: parsed as the gate parses it when
    /// tagls knows its language, and found in its text otherwise (a Swift
    /// view, a shell script).
    fn tags_of(&mut self, path: &Path, written: &str) -> Result<Vec<Found>, String> {
        if let Some(hit) = self.files.get(path) {
            return hit.clone();
        }
        let found = match self.ws.read(path, self.settings.max_file_size) {
            Ok(bytes) => Ok(tags_in_text(
                &String::from_utf8_lossy(&bytes),
                written,
                self.settings,
            )),
            Err(e) => Err(e.to_string()),
        };
        self.files.insert(path.to_path_buf(), found.clone());
        found
    }
}

/// The tags of a file's text: in its comments when tagls parses its
/// language, and any `#NAME: text` on a line otherwise, or when the parse
/// found no tag of a name the text has (a mixed-case team tag).
fn tags_in_text(text: &str, rel: &str, settings: &Settings) -> Vec<Found> {
    static TAG: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex::Regex::new(r"#([A-Za-z][A-Za-z0-9_]*):[ \t]*([^\r\n]*)").expect("valid regex")
    });
    let rope = ropey::Rope::from_str(text);
    let mut spans = pos::Converters::new(&rope);
    let mut found: Vec<Found> = Vec::new();
    if let Some(lang) = Language::detect(None, rel) {
        let doc =
            crate::document::Document::new(lang, text, &mut lang.parser(), &settings.registry);
        for t in doc.tags() {
            let r = t.head_range();
            found.push(Found {
                name: t.name.to_string(),
                payload: t.payload.to_string(),
                span: spans.ranges(r.start, r.end),
            });
        }
    }
    let parsed: Vec<String> = found.iter().map(|f| f.name.clone()).collect();
    let mut spans = pos::Converters::new(&rope);
    for c in TAG.captures_iter(text) {
        let (Some(all), Some(name), Some(rest)) = (c.get(0), c.get(1), c.get(2)) else {
            continue;
        };
        if parsed.iter().any(|p| p == name.as_str()) {
            continue;
        }
        let payload = rest
            .as_str()
            .trim()
            .trim_end_matches("*/")
            .trim_end_matches("-->")
            .trim();
        found.push(Found {
            name: name.as_str().to_owned(),
            payload: payload.to_owned(),
            span: spans.ranges(all.start(), all.end()),
        });
    }
    found
}

fn is_image_name(path: &str) -> bool {
    let ext = path.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    matches!(
        ext.as_deref(),
        Some("png" | "jpg" | "jpeg" | "gif" | "webp" | "bmp")
    )
}

fn shorten(s: &str) -> String {
    const MAX: usize = 80;
    if s.chars().count() <= MAX {
        return s.to_owned();
    }
    let cut: String = s.chars().take(MAX).collect();
    format!("{cut}…")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_match_loosely() {
        assert!(same_message(
            "Assuming haptic should be .medium intensity",
            "Assuming haptic should be .medium intensity"
        ));
        assert!(same_message(
            "haptic should be medium",
            "Assuming haptic should be .medium intensity"
        ));
        assert!(same_message("", "anything"));
        assert!(!same_message(
            "Assuming prices include VAT",
            "Assuming the cart is never empty"
        ));
        // Words every assumption has do not make two the same.
        assert!(!same_message(
            "Assuming the session cookie is HttpOnly",
            "Assuming the cart is never empty at checkout"
        ));
    }

    #[test]
    fn tags_are_found_in_code_and_in_text() {
        let s = Settings::default();
        let ts = "const a = 1; // #COMPLETION_DRIVE: Assuming A\nconst s = \"#COMPLETION_DRIVE: not a comment\";\n";
        let found = tags_in_text(ts, "src/a.ts", &s);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].payload, "Assuming A");
        assert_eq!(found[0].span[0].0.line, 0);
        let swift = "let x = 1\n// #Potential_Issue: the timer is never cancelled\n";
        let found = tags_in_text(swift, "src/View.swift", &s);
        assert_eq!(found[0].name, "Potential_Issue");
        assert_eq!(found[0].span[0].0.line, 1);
    }

    #[test]
    fn open_events_are_those_not_resolved() {
        let state = parse(
            r##"{ "p": { "ra_events": [ { "tag": "#COMPLETION_DRIVE", "resolved": true },
                                      { "tag": "#POISON_PATH" } ] } }"##,
        )
        .unwrap();
        let open = open_events(&state);
        assert_eq!(open.len(), 1);
        assert_eq!(open[0].tag_name(), Some("POISON_PATH"));
    }
}
