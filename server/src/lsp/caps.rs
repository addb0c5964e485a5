//! What the server advertises, and the position encoding it negotiates.

use ls_types::{
    ClientCapabilities, CodeActionKind, CodeActionOptions, CodeActionProviderCapability,
    DocumentLinkOptions, ExecuteCommandOptions, HoverProviderCapability, OneOf,
    PositionEncodingKind, SemanticTokenType, SemanticTokensFullOptions, SemanticTokensLegend,
    SemanticTokensOptions, SemanticTokensServerCapabilities, ServerCapabilities,
    TextDocumentSyncCapability, TextDocumentSyncKind, TextDocumentSyncOptions,
    WorkDoneProgressOptions,
};

use crate::highlight::SpanKind;
use crate::text::Encoding;

use super::proto;

/// UTF-8 when offered, else UTF-16 (which every client supports, offered or
/// not), else UTF-32 when that is all the client offers.
pub fn negotiate_encoding(caps: &ClientCapabilities) -> Encoding {
    let offered = caps
        .general
        .as_ref()
        .and_then(|g| g.position_encodings.as_deref())
        .unwrap_or_default();
    if offered.contains(&PositionEncodingKind::UTF8) {
        Encoding::Utf8
    } else if offered.is_empty() || offered.contains(&PositionEncodingKind::UTF16) {
        Encoding::Utf16
    } else if offered.contains(&PositionEncodingKind::UTF32) {
        Encoding::Utf32
    } else {
        Encoding::Utf16
    }
}

/// The semantic token legend: one token type per [`SpanKind`], no modifiers.
pub fn semantic_token_legend() -> SemanticTokensLegend {
    SemanticTokensLegend {
        token_types: SpanKind::ALL
            .iter()
            .map(|k| SemanticTokenType::new(k.name()))
            .collect(),
        token_modifiers: Vec::new(),
    }
}

/// Jupyter notebooks, with cells of every language tagls reads (and
/// Markdown cells): each cell is then a document of its own, and its
/// diagnostics go to the cell.
fn notebook_sync() -> ls_types::NotebookDocumentSyncOptions {
    let mut languages: Vec<String> = crate::syntax::Language::ALL
        .iter()
        .flat_map(|l| l.spec().language_ids.iter().map(|id| (*id).to_owned()))
        .collect();
    languages.push("markdown".to_owned());
    ls_types::NotebookDocumentSyncOptions {
        notebook_selector: vec![ls_types::NotebookSelector::ByNotebook {
            notebook: ls_types::Notebook::String("jupyter-notebook".to_owned()),
            cells: Some(
                languages
                    .into_iter()
                    .map(|language| ls_types::NotebookCellSelector { language })
                    .collect(),
            ),
        }],
        save: None,
    }
}

/// Exactly what the server implements.
pub fn server_capabilities(enc: Encoding) -> ServerCapabilities {
    ServerCapabilities {
        position_encoding: Some(proto::encoding_kind(enc)),
        text_document_sync: Some(TextDocumentSyncCapability::Options(
            TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(TextDocumentSyncKind::INCREMENTAL),
                // Saves tell the server which buffers hold unsaved changes.
                save: Some(ls_types::TextDocumentSyncSaveOptions::Supported(true)),
                ..TextDocumentSyncOptions::default()
            },
        )),
        notebook_document_sync: Some(OneOf::Left(notebook_sync())),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        completion_provider: Some(ls_types::CompletionOptions {
            trigger_characters: Some(vec!["#".to_owned(), "/".to_owned()]),
            ..ls_types::CompletionOptions::default()
        }),
        document_symbol_provider: Some(OneOf::Left(true)),
        workspace_symbol_provider: Some(OneOf::Left(true)),
        code_lens_provider: Some(ls_types::CodeLensOptions {
            resolve_provider: Some(false),
        }),
        diagnostic_provider: Some(ls_types::DiagnosticServerCapabilities::Options(
            ls_types::DiagnosticOptions {
                identifier: Some("tagls".to_owned()),
                inter_file_dependencies: true,
                workspace_diagnostics: true,
                work_done_progress_options: WorkDoneProgressOptions::default(),
            },
        )),
        definition_provider: Some(OneOf::Left(true)),
        document_link_provider: Some(DocumentLinkOptions {
            resolve_provider: Some(false),
            work_done_progress_options: WorkDoneProgressOptions::default(),
        }),
        inlay_hint_provider: Some(OneOf::Left(true)),
        execute_command_provider: Some(ExecuteCommandOptions {
            commands: super::commands::ALL
                .iter()
                .map(|c| (*c).to_owned())
                .collect(),
            work_done_progress_options: WorkDoneProgressOptions::default(),
        }),
        semantic_tokens_provider: Some(SemanticTokensServerCapabilities::SemanticTokensOptions(
            SemanticTokensOptions {
                legend: semantic_token_legend(),
                full: Some(SemanticTokensFullOptions::Bool(true)),
                range: Some(true),
                ..SemanticTokensOptions::default()
            },
        )),
        code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
            code_action_kinds: Some(vec![
                CodeActionKind::QUICKFIX,
                CodeActionKind::new("source.tagls"),
                CodeActionKind::new("refactor.move"),
            ]),
            resolve_provider: Some(false),
            ..CodeActionOptions::default()
        })),
        ..ServerCapabilities::default()
    }
}
