//! Request handlers as plain functions of a document snapshot.

use std::collections::HashMap;

use ls_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, CodeActionParams, Hover, HoverContents,
    MarkupContent, MarkupKind, Position, Range, SemanticToken, SemanticTokens, TextEdit,
    WorkspaceEdit,
};

use crate::findings::{self, Fix, UNKNOWN_TAG};
use crate::highlight;

use super::actor::Snapshot;
use super::proto;

pub fn hover(snap: &Snapshot, at: Position) -> Option<Hover> {
    let offset = proto::offset(&snap.rope, at, snap.encoding);
    let tag = snap
        .tags
        .iter()
        .find(|t| t.full_range().contains_inclusive(offset))?;
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value: findings::explain(tag, &snap.registry),
        }),
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
    for (r, kind) in highlight::spans(snap.tags.iter(), &snap.registry) {
        if let Some((a, b)) = bounds
            && (r.end < a || r.start > b)
        {
            continue;
        }
        let start = proto::position(&snap.rope, r.start, snap.encoding);
        let end = proto::position(&snap.rope, r.end, snap.encoding);
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
            && matches!(&d.code, Some(ls_types::NumberOrString::String(c)) if c == UNKNOWN_TAG);
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
