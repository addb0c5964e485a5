//! Request handlers as plain functions of a document snapshot.

use std::collections::HashMap;

use ls_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, CodeActionParams, DocumentLink, Hover,
    HoverContents, InlayHint, InlayHintKind, InlayHintLabel, Location, MarkupContent, MarkupKind,
    Position, Range, SemanticToken, SemanticTokens, TextEdit, Uri, WorkspaceEdit,
};

use crate::findings::{self, Code, Fix};
use crate::highlight;
use crate::resolve::{Resolution, Resolved};
use crate::workspace::fs::FileKind;

use super::actor::Snapshot;
use super::proto;

/// The reference under the cursor, if any.
fn reference_at(snap: &Snapshot, at: Position) -> Option<&Resolved> {
    let offset = proto::offset(&snap.rope, at, snap.encoding);
    snap.analysis
        .all_refs()
        .find(|r| r.reference.range.contains_inclusive(offset))
}

/// Seconds since the Unix epoch, for the ages of lines.
fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Where the line of a byte offset comes from, when git has answered.
fn origin_at(snap: &Snapshot, offset: usize) -> Option<&crate::history::blame::Origin> {
    let line = proto::position(&snap.rope, offset, snap.encoding).line;
    snap.origins.as_ref()?.get(&(line + 1))
}

/// What a hover shows, with how old the tag under the cursor is and who
/// introduced it, once git has answered (until then, the line is left out).
pub fn hover(snap: &Snapshot, at: Position) -> Option<Hover> {
    let mut hover = hover_without_age(snap, at)?;
    let offset = proto::offset(&snap.rope, at, snap.encoding);
    let age = snap
        .analysis
        .tags
        .iter()
        .find(|t| t.full_range().contains_inclusive(offset))
        .and_then(|t| origin_at(snap, t.head_range().start))
        .map(|o| o.describe(now()));
    if let (Some(age), HoverContents::Markup(m)) = (age, &mut hover.contents) {
        m.value.push_str("\n\n");
        m.value.push_str(&age);
    }
    Some(hover)
}

fn hover_without_age(snap: &Snapshot, at: Position) -> Option<Hover> {
    let markdown = |value| {
        HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value,
        })
    };
    let offset = proto::offset(&snap.rope, at, snap.encoding);
    // The innermost checked span under the cursor, with everything checked
    // on it (on a claim's path: that it exists, and what git says of it),
    // problems first.
    let under: Vec<_> = snap
        .analysis
        .checks
        .iter()
        .filter(|c| c.range.contains_inclusive(offset))
        .collect();
    if let Some(inner) = under.iter().map(|c| c.range).min_by_key(|r| r.len()) {
        let mut same: Vec<_> = under.into_iter().filter(|c| c.range == inner).collect();
        same.sort_by_key(|c| c.finding.is_none());
        let text = same
            .iter()
            .map(|c| c.hover.as_str())
            .collect::<Vec<_>>()
            .join("\n\n");
        return Some(Hover {
            contents: markdown(text),
            range: Some(proto::range(&snap.rope, inner, snap.encoding)),
        });
    }
    if let Some(r) = reference_at(snap, at) {
        return Some(Hover {
            contents: markdown(findings::explain_reference(r)),
            range: Some(proto::range(&snap.rope, r.reference.range, snap.encoding)),
        });
    }
    let tag = snap
        .analysis
        .tags
        .iter()
        .find(|t| t.full_range().contains_inclusive(offset))?;
    Some(Hover {
        contents: markdown(findings::explain(tag, &snap.settings.registry)),
        range: Some(proto::range(&snap.rope, tag.head_range(), snap.encoding)),
    })
}

/// Semantic tokens of the whole document, or of the lines a range covers.
pub fn semantic_tokens(snap: &Snapshot, within: Option<Range>) -> SemanticTokens {
    let bounds = within.map(|r| {
        (
            proto::offset(&snap.rope, r.start, snap.encoding),
            proto::offset(&snap.rope, r.end, snap.encoding),
        )
    });
    let mut data = Vec::new();
    let (mut prev_line, mut prev_col) = (0, 0);
    let mut ranges = proto::Ranges::new(&snap.rope, snap.encoding);
    for (r, kind) in highlight::spans(snap.analysis.tags.iter(), &snap.settings.registry) {
        if let Some((a, b)) = bounds
            && (r.end < a || r.start > b)
        {
            continue;
        }
        let Range { start, end } = ranges.range(r);
        // Spans never cross lines; a defensive check keeps a bad one out.
        if end.line != start.line || end.character <= start.character {
            continue;
        }
        let delta_line = start.line - prev_line;
        let delta_start = if delta_line == 0 {
            start.character - prev_col
        } else {
            start.character
        };
        data.push(SemanticToken {
            delta_line,
            delta_start,
            length: end.character - start.character,
            token_type: kind.index(),
            token_modifiers_bitset: 0,
        });
        (prev_line, prev_col) = (start.line, start.character);
    }
    SemanticTokens {
        result_id: None,
        data,
    }
}

/// Quick fixes for the diagnostics the client sends back. They need nothing
/// but the diagnostic itself: its range and its `data`.
pub fn code_actions(params: &CodeActionParams) -> Vec<CodeActionOrCommand> {
    let wants_quickfix = params.context.only.as_ref().is_none_or(|only| {
        only.iter()
            .any(|k| CodeActionKind::QUICKFIX.as_str().starts_with(k.as_str()))
    });
    if !wants_quickfix {
        return Vec::new();
    }
    let mut out = Vec::new();
    for d in &params.context.diagnostics {
        let ours = d.source.as_deref() == Some(proto::SOURCE)
            && matches!(&d.code, Some(ls_types::NumberOrString::String(c)) if c == Code::UnknownTag.as_str());
        if !ours {
            continue;
        }
        let Some(Fix::RenameTag { to }) = d.data.as_ref().and_then(proto::fix_from_data) else {
            continue;
        };
        let edit = TextEdit {
            range: d.range,
            new_text: format!("#{to}:"),
        };
        out.push(CodeActionOrCommand::CodeAction(CodeAction {
            title: format!("Change to #{to}"),
            kind: Some(CodeActionKind::QUICKFIX),
            diagnostics: Some(vec![d.clone()]),
            edit: Some(WorkspaceEdit {
                changes: Some(HashMap::from([(
                    params.text_document.uri.clone(),
                    vec![edit],
                )])),
                ..WorkspaceEdit::default()
            }),
            is_preferred: Some(true),
            ..CodeAction::default()
        }));
    }
    out
}

/// Puts the actions in the order a user picks from: quick fixes for a
/// diagnostic under the cursor first (a preferred one before the others),
/// then the other quick fixes, then refactorings such as moving the
/// assumption under the cursor, then the file-wide `source.*` actions.
/// Within each group the order is kept.
pub fn order_code_actions(actions: &mut [CodeActionOrCommand], at: Range) {
    let overlaps = |r: &Range| r.start <= at.end && at.start <= r.end;
    actions.sort_by_key(|a| {
        let CodeActionOrCommand::CodeAction(a) = a else {
            return 5;
        };
        let kind = a.kind.as_ref().map_or("", |k| k.as_str());
        let is = |k: &CodeActionKind| {
            kind == k.as_str() || kind.starts_with(&format!("{}.", k.as_str()))
        };
        if is(&CodeActionKind::QUICKFIX) {
            let here = a.diagnostics.iter().flatten().any(|d| overlaps(&d.range));
            match (here, a.is_preferred == Some(true)) {
                (true, true) => 0,
                (true, false) => 1,
                _ => 2,
            }
        } else if is(&CodeActionKind::REFACTOR) {
            3
        } else if is(&CodeActionKind::SOURCE) {
            4
        } else {
            5
        }
    });
}

/// Where a reference leads: the file, or the line of the env file that
/// defines the variable.
pub fn definition(snap: &Snapshot, at: Position) -> Option<Vec<Location>> {
    if snap.is_log && reference_at(snap, at).is_none() {
        return log_entry_target(snap, at);
    }
    if !snap.analysis.links.is_empty() {
        return phase_link_target(snap, at);
    }
    let Some(r) = reference_at(snap, at) else {
        // On a tag's name in a source file: the log entries for this file,
        // and the phase state's events that record the tag.
        let offset = proto::offset(&snap.rope, at, snap.encoding);
        let tag = snap
            .analysis
            .tags
            .iter()
            .find(|t| t.name_range.contains_inclusive(offset))?;
        let mut found = log_entries_for(snap).unwrap_or_default();
        found.extend(phase_events_for(snap, tag).unwrap_or_default());
        return (!found.is_empty()).then_some(found);
    };
    let locations: Vec<Location> = match &*r.resolution {
        Resolution::Exists {
            path,
            kind: FileKind::File,
        } => vec![Location::new(Uri::from_file_path(path)?, Range::default())],
        Resolution::Ambiguous { candidates } => candidates
            .iter()
            .filter_map(|p| Some(Location::new(Uri::from_file_path(p)?, Range::default())))
            .collect(),
        Resolution::EnvDefined(defs) => defs
            .iter()
            .filter_map(|d| {
                // The key's own columns are bytes of an ASCII name, the same
                // in every encoding.
                let start = Position::new(d.line, key_column(d));
                let end = Position::new(d.line, key_column(d) + d.key.name.len() as u32);
                Some(Location::new(
                    Uri::from_file_path(&d.path)?,
                    Range::new(start, end),
                ))
            })
            .collect(),
        _ => return None,
    };
    (!locations.is_empty()).then_some(locations)
}

fn key_column(d: &crate::workspace::envindex::EnvDef) -> u32 {
    d.column
}

/// Links on every path reference that resolves to a file.
pub fn document_links(snap: &Snapshot) -> Vec<DocumentLink> {
    snap.analysis
        .tag_refs
        .iter()
        .filter_map(|r| match &*r.resolution {
            Resolution::Exists {
                path,
                kind: FileKind::File,
            } => Some(DocumentLink {
                range: proto::range(&snap.rope, r.reference.range, snap.encoding),
                target: Some(Uri::from_file_path(path)?),
                tooltip: Some(r.show(path)),
                data: None,
            }),
            _ => None,
        })
        .collect()
}

/// A short mark after each reference in a tag: resolved or not.
pub fn inlay_hints(snap: &Snapshot, range: Range) -> Vec<InlayHint> {
    let (a, b) = (
        proto::offset(&snap.rope, range.start, snap.encoding),
        proto::offset(&snap.rope, range.end, snap.encoding),
    );
    snap.analysis
        .tag_refs
        .iter()
        .filter(|r| r.reference.range.end >= a && r.reference.range.start <= b)
        .map(|r| {
            let label = match &*r.resolution {
                Resolution::Exists { .. } => "✓".to_owned(),
                Resolution::EnvDefined(defs) => match defs.first() {
                    Some(d) => format!("✓ {}:{}", d.file, d.line + 1),
                    None => "✓".to_owned(),
                },
                Resolution::Missing { .. } => "✗ missing".to_owned(),
                Resolution::Outside { .. } => "✗ outside workspace".to_owned(),
                Resolution::Ambiguous { candidates } => format!("? {} matches", candidates.len()),
                Resolution::EnvMissing { .. } => "✗ not in env files".to_owned(),
            };
            InlayHint {
                position: proto::position(&snap.rope, r.reference.range.end, snap.encoding),
                label: InlayHintLabel::String(label),
                kind: Some(InlayHintKind::PARAMETER),
                text_edits: None,
                tooltip: None,
                padding_left: Some(true),
                padding_right: None,
                data: None,
            }
        })
        .collect()
}

fn symbol_kind(snap: &Snapshot, name: &str) -> ls_types::SymbolKind {
    use crate::tags::Family;
    use ls_types::SymbolKind;
    match snap.settings.registry.get(name).map(|d| d.family) {
        Some(Family::Assumption) => SymbolKind::EVENT,
        Some(Family::Claim) => SymbolKind::FILE,
        Some(Family::Verdict) => SymbolKind::BOOLEAN,
        Some(Family::Decision) => SymbolKind::CONSTANT,
        Some(Family::Pattern | Family::Suggestion) => SymbolKind::STRING,
        None => SymbolKind::KEY,
    }
}

/// The tags of a document as an outline; in the log, under their sections.
#[allow(deprecated)] // `DocumentSymbol::deprecated` must still be set.
pub fn document_symbols(snap: &Snapshot) -> Vec<ls_types::DocumentSymbol> {
    let tag_symbol = |t: &crate::tags::Tag| ls_types::DocumentSymbol {
        name: format!("#{}", t.name),
        detail: (!t.payload.is_empty()).then(|| t.payload.to_string()),
        kind: symbol_kind(snap, &t.name),
        tags: None,
        deprecated: None,
        range: proto::range(&snap.rope, t.full_range(), snap.encoding),
        selection_range: proto::range(&snap.rope, t.name_range, snap.encoding),
        children: None,
    };
    if !snap.is_log {
        return snap.analysis.tags.iter().map(tag_symbol).collect();
    }
    // Sections are headings: `#`-prefixed lines outside code.
    let text = snap.rope.to_string();
    let log = crate::log::parse(&text, &snap.settings.registry);
    let mut out: Vec<ls_types::DocumentSymbol> = Vec::new();
    let mut loose = Vec::new();
    for (i, section) in log.sections.iter().enumerate() {
        let children: Vec<_> = log
            .entries
            .iter()
            .filter(|e| e.section == Some(i))
            .map(|e| tag_symbol(&e.tag))
            .collect();
        out.push(ls_types::DocumentSymbol {
            name: section.title.clone(),
            detail: None,
            kind: ls_types::SymbolKind::NAMESPACE,
            tags: None,
            deprecated: None,
            range: proto::range(
                &snap.rope,
                crate::text::TextRange::new(
                    section.heading.start,
                    section.end.max(section.heading.end),
                ),
                snap.encoding,
            ),
            selection_range: proto::range(&snap.rope, section.heading, snap.encoding),
            children: Some(children),
        });
    }
    for e in log.entries.iter().filter(|e| e.section.is_none()) {
        loose.push(tag_symbol(&e.tag));
    }
    loose.extend(out);
    loose
}

/// A lens on the first line of a source file with tags: their count and how
/// many of their references do not resolve.
pub fn code_lenses(snap: &Snapshot) -> Vec<ls_types::CodeLens> {
    let a = &snap.analysis;
    if snap.is_log || a.tags.is_empty() {
        return Vec::new();
    }
    let mut by_family: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for t in a.tags.iter() {
        let fam = snap
            .settings
            .registry
            .get(&t.name)
            .map_or("unknown", |d| d.family.name());
        *by_family.entry(fam).or_default() += 1;
    }
    let unresolved = a
        .tag_refs
        .iter()
        .filter(|r| !r.resolution.is_resolved())
        .count();
    let mut parts: Vec<String> = by_family.iter().map(|(f, n)| format!("{n} {f}")).collect();
    if unresolved > 0 {
        parts.push(format!("{unresolved} unresolved"));
    }
    let mut lenses = vec![ls_types::CodeLens {
        range: Range::default(),
        command: Some(ls_types::Command {
            title: format!("tagls: {}", parts.join(" · ")),
            command: String::new(),
            arguments: None,
        }),
        data: None,
    }];
    lenses.extend(age_lenses(snap));
    lenses
}

/// A lens on each assumption that git says is older than `age-hint-days`:
/// "assumed 143 days ago". None until git has answered, or when off.
fn age_lenses(snap: &Snapshot) -> Vec<ls_types::CodeLens> {
    let threshold = i64::from(snap.settings.age_hint_days);
    if threshold == 0 {
        return Vec::new();
    }
    let now = now();
    snap.analysis
        .tags
        .iter()
        .filter(|t| {
            snap.settings
                .registry
                .get(&t.name)
                .is_some_and(|d| d.family == crate::tags::Family::Assumption)
        })
        .filter_map(|t| {
            let days = origin_at(snap, t.head_range().start)?.age_days(now)?;
            (days > threshold).then(|| ls_types::CodeLens {
                range: proto::range(&snap.rope, t.head_range(), snap.encoding),
                command: Some(ls_types::Command {
                    title: format!("assumed {days} days ago"),
                    command: String::new(),
                    arguments: None,
                }),
                data: None,
            })
        })
        .collect()
}

/// In the log, from an entry to the file it claims, read as the checker
/// reads it ([`crate::log::check::claims`]).
pub fn log_entry_target(snap: &Snapshot, at: Position) -> Option<Vec<Location>> {
    let offset = proto::offset(&snap.rope, at, snap.encoding);
    let root = snap.root.as_ref()?;
    let log_path = snap.path.as_ref()?;
    let log = crate::log::parse(&snap.rope.to_string(), &snap.settings.registry);
    let claim = crate::log::check::claims(&log)
        .into_iter()
        .find(|c| c.entry.contains_inclusive(offset))?;
    let log_dir = log_path.parent().unwrap_or(root);
    let path = crate::log::check::claim_target(root, log_dir, &claim.path);
    if !path.starts_with(root) || !path.is_file() {
        return None;
    }
    Some(vec![Location::new(
        Uri::from_file_path(&path)?,
        Range::default(),
    )])
}

/// In the phase state, from a value to where it leads: an event to its tag
/// in code, an evidence path or a modified file to the file, an unrecorded
/// assumption to the tag ([`crate::phase::Link`]).
pub fn phase_link_target(snap: &Snapshot, at: Position) -> Option<Vec<Location>> {
    let offset = proto::offset(&snap.rope, at, snap.encoding);
    let under = snap
        .analysis
        .links
        .iter()
        .filter(|l| l.range.contains_inclusive(offset));
    // The innermost value under the cursor.
    let inner = under.clone().map(|l| l.range.len()).min()?;
    let found: Vec<Location> = under
        .filter(|l| l.range.len() == inner)
        .filter_map(|l| {
            let range = l.span.map_or_else(Range::default, |s| {
                let (start, end) = s[super::backend::enc_index(snap.encoding)];
                Range::new(
                    Position::new(start.line, start.col),
                    Position::new(end.line, end.col),
                )
            });
            Some(Location::new(Uri::from_file_path(&l.path)?, range))
        })
        .collect();
    (!found.is_empty()).then_some(found)
}

/// From a tag in code to the events of the phase state that record it, read
/// from disk as `tagls check` reads it.
fn phase_events_for(snap: &Snapshot, tag: &crate::tags::Tag) -> Option<Vec<Location>> {
    let root = snap.root.as_ref()?;
    let path = crate::workspace::paths::normalize(snap.path.as_ref()?);
    let phase_path = snap.settings.phase_state_path(root);
    let text = std::fs::read_to_string(&phase_path).ok()?;
    let state = crate::phase::parse(&text).ok()?;
    let rope = ropey::Rope::from_str(&text);
    let uri = Uri::from_file_path(&phase_path)?;
    let found: Vec<Location> =
        crate::phase::events_for(&state, root, &path, &tag.name, &tag.payload)
            .into_iter()
            .map(|r| Location::new(uri.clone(), proto::range(&rope, r, snap.encoding)))
            .collect();
    (!found.is_empty()).then_some(found)
}

/// From a file to the log entries that claim it, read as the checker reads
/// them.
pub fn log_entries_for(snap: &Snapshot) -> Option<Vec<Location>> {
    let root = snap.root.as_ref()?;
    let path = crate::workspace::paths::normalize(snap.path.as_ref()?);
    let log_path = snap.settings.log_path(root);
    let text = std::fs::read_to_string(&log_path).ok()?;
    let rope = ropey::Rope::from_str(&text);
    let log = crate::log::parse(&text, &snap.settings.registry);
    let uri = Uri::from_file_path(&log_path)?;
    let log_dir = log_path.parent().unwrap_or(root);
    let found: Vec<Location> = crate::log::check::claims(&log)
        .into_iter()
        .filter(|c| crate::log::check::claim_target(root, log_dir, &c.path) == path)
        .map(|c| {
            let head = log
                .entries
                .iter()
                .find(|e| e.tag.full_range() == c.entry)
                .map_or(c.range, |e| e.tag.head_range());
            Location::new(uri.clone(), proto::range(&rope, head, snap.encoding))
        })
        .collect();
    (!found.is_empty()).then_some(found)
}
