//! Conversions between tagls's core types and LSP types, in both directions.

use ls_types::{
    Diagnostic, DiagnosticSeverity, NumberOrString, Position, PositionEncodingKind, Range,
};
use ropey::Rope;
use serde_json::json;

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
        code: Some(NumberOrString::String(f.code.to_owned())),
        source: Some(SOURCE.to_owned()),
        message: f.message.clone(),
        data: f.fix.as_ref().map(fix_data),
        ..Diagnostic::default()
    }
}

/// The `data` of a diagnostic: everything its quick fix needs.
fn fix_data(fix: &Fix) -> serde_json::Value {
    match fix {
        Fix::RenameTag { to } => json!({ "fix": "rename-tag", "to": to }),
        Fix::CreateFile { path } => json!({ "fix": "create-file", "path": path }),
        Fix::AddEnvVar { name, file } => json!({ "fix": "add-env", "name": name, "file": file }),
        Fix::CreateLog { path } => json!({ "fix": "create-log", "path": path }),
        Fix::LogChanged { root, count } => {
            json!({ "fix": "log-changed", "root": root, "count": count })
        }
    }
}

/// Reads back what [`fix_data`] wrote. Anything else a client sends is not a
/// fix of ours; paths are checked again when a fix runs.
pub fn fix_from_data(data: &serde_json::Value) -> Option<Fix> {
    let text = |key: &str| data.get(key).and_then(|v| v.as_str());
    let path = |key: &str| {
        text(key)
            .filter(|p| p.starts_with('/'))
            .map(std::path::PathBuf::from)
    };
    let is_name = |s: &str| {
        !s.is_empty()
            && s.len() <= 128
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
    };
    match text("fix")? {
        "rename-tag" => {
            let to = text("to")?;
            let valid = !to.is_empty()
                && to
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
            valid.then(|| Fix::RenameTag { to: to.to_owned() })
        }
        "create-file" => Some(Fix::CreateFile {
            path: path("path")?,
        }),
        "add-env" => {
            let name = text("name").filter(|n| is_name(n))?;
            Some(Fix::AddEnvVar {
                name: name.to_owned(),
                file: path("file")?,
            })
        }
        "create-log" => Some(Fix::CreateLog {
            path: path("path")?,
        }),
        "log-changed" => Some(Fix::LogChanged {
            root: path("root")?,
            count: data.get("count")?.as_u64()? as usize,
        }),
        _ => None,
    }
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
        }),
        detail: item.detail,
        documentation: item.documentation.map(Documentation::String),
        filter_text: Some(item.text.trim_end().trim_end_matches(':').to_owned()),
        text_edit: Some(CompletionTextEdit::Edit(ls_types::TextEdit {
            range: range(rope, item.range, enc),
            new_text: item.text,
        })),
        ..ls_types::CompletionItem::default()
    }
}
