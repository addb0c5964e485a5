//! Conversions between tagls's core types and LSP types, in both directions.

use ls_types::{
    Diagnostic, DiagnosticSeverity, NumberOrString, Position, PositionEncodingKind, Range,
};
use ropey::Rope;

use crate::findings::{Finding, Fix};
use crate::tags::Severity;
use crate::text::{Encoding, LineCol, TextRange, pos};

pub const SOURCE: &str = "tagls";

pub fn encoding_kind(enc: Encoding) -> PositionEncodingKind {
    match enc {
        Encoding::Utf8 => PositionEncodingKind::UTF8,
        Encoding::Utf16 => PositionEncodingKind::UTF16,
        Encoding::Utf32 => PositionEncodingKind::UTF32,
    }
}

pub fn line_col(p: Position) -> LineCol {
    LineCol {
        line: p.line,
        col: p.character,
    }
}

pub fn position(rope: &Rope, offset: usize, enc: Encoding) -> Position {
    let lc = pos::offset_to_line_col(rope, offset, enc);
    Position::new(lc.line, lc.col)
}

pub fn range(rope: &Rope, r: TextRange, enc: Encoding) -> Range {
    let (start, end) = pos::range_to_line_cols(rope, r.start, r.end, enc);
    lsp_range(start, end)
}

/// Ranges of many spans, fastest in document order.
pub struct Ranges<'a>(pos::Converter<'a>);

impl<'a> Ranges<'a> {
    pub fn new(rope: &'a Rope, enc: Encoding) -> Ranges<'a> {
        Ranges(pos::Converter::new(rope, enc))
    }

    pub fn range(&mut self, r: TextRange) -> Range {
        let (start, end) = self.0.range(r.start, r.end);
        lsp_range(start, end)
    }
}

pub fn offset(rope: &Rope, p: Position, enc: Encoding) -> usize {
    pos::line_col_to_offset(rope, line_col(p), enc)
}

pub fn severity(s: Severity) -> DiagnosticSeverity {
    match s {
        Severity::Error => DiagnosticSeverity::ERROR,
        Severity::Warning => DiagnosticSeverity::WARNING,
        Severity::Information => DiagnosticSeverity::INFORMATION,
        Severity::Hint => DiagnosticSeverity::HINT,
    }
}

/// The diagnostics of findings, converted in one pass over the text (the
/// findings come sorted).
pub fn diagnostics<'a>(
    rope: &Rope,
    findings: impl IntoIterator<Item = &'a Finding>,
    enc: Encoding,
) -> Vec<Diagnostic> {
    let mut at = pos::Converter::new(rope, enc);
    findings
        .into_iter()
        .map(|f| {
            let (start, end) = at.range(f.range.start, f.range.end);
            diagnostic(lsp_range(start, end), f)
        })
        .collect()
}

/// The diagnostic of a finding whose place is known already (the gate's
/// spans, for pulled diagnostics): the same conversion as pushed ones.
pub fn diagnostic_at((start, end): (LineCol, LineCol), f: &Finding) -> Diagnostic {
    diagnostic(lsp_range(start, end), f)
}

/// The diagnostic on a configuration file that cannot be used.
pub fn config_diagnostic(rope: &Rope, e: &crate::config::ConfigError, enc: Encoding) -> Diagnostic {
    let f = Finding {
        range: e.range.unwrap_or_default(),
        severity: Severity::Error,
        code: crate::findings::Code::Config,
        tag: Default::default(),
        message: format!("{}; the last good configuration stays in force", e.message),
        fix: None,
    };
    diagnostic(range(rope, f.range, enc), &f)
}

fn lsp_range(start: LineCol, end: LineCol) -> Range {
    Range::new(
        Position::new(start.line, start.col),
        Position::new(end.line, end.col),
    )
}

fn diagnostic(range: Range, f: &Finding) -> Diagnostic {
    Diagnostic {
        range,
        severity: Some(severity(f.severity)),
        code: Some(NumberOrString::String(f.code.as_str().to_owned())),
        source: Some(SOURCE.to_owned()),
        message: f.message.clone(),
        data: f.fix.as_ref().map(Fix::data),
        ..Diagnostic::default()
    }
}

/// Reads a diagnostic's `data` back as a fix of ours, if it is one.
pub fn fix_from_data(data: &serde_json::Value) -> Option<Fix> {
    Fix::from_data(data)
}

pub fn completion_item(
    rope: &Rope,
    item: crate::complete::Item,
    enc: Encoding,
) -> ls_types::CompletionItem {
    use crate::complete::ItemKind;
    use ls_types::{CompletionItemKind, CompletionTextEdit, Documentation};
    ls_types::CompletionItem {
        label: item.label.clone(),
        kind: Some(match item.kind {
            ItemKind::Tag => CompletionItemKind::KEYWORD,
            ItemKind::Field => CompletionItemKind::FIELD,
            ItemKind::File => CompletionItemKind::FILE,
            ItemKind::Folder => CompletionItemKind::FOLDER,
            ItemKind::Env => CompletionItemKind::VARIABLE,
            ItemKind::Date => CompletionItemKind::VALUE,
        }),
        detail: item.detail,
        documentation: item.documentation.map(Documentation::String),
        // Only where the label is not what the client should match against
        // the text the edit replaces (a path's label is its last part): Neovim
        // 0.7 places the completion at the edit's start only for items
        // without one.
        filter_text: {
            let filter = item.text.trim_end().trim_end_matches(':');
            (!item.label.starts_with(filter)).then(|| filter.to_owned())
        },
        text_edit: Some(CompletionTextEdit::Edit(ls_types::TextEdit {
            range: range(rope, item.range, enc),
            new_text: item.text,
        })),
        ..ls_types::CompletionItem::default()
    }
}
