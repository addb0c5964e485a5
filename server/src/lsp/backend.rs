//! The `LanguageServer` implementation: thin handlers that decode, enqueue
//! or snapshot, and encode.
//!
//! Every document notification sends to the actor before its first `.await`:
//! tower-lsp-server runs several handlers interleaved at each `.await`, so a
//! send after one could overtake an earlier change.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use ls_types::{
    CodeActionParams, CodeActionResponse, CodeLens, CodeLensParams, CompletionParams,
    CompletionResponse, ConfigurationItem, Diagnostic, DidChangeConfigurationParams,
    DidChangeTextDocumentParams, DidChangeWatchedFilesParams,
    DidChangeWatchedFilesRegistrationOptions, DidCloseTextDocumentParams,
    DidOpenTextDocumentParams, DocumentDiagnosticParams, DocumentDiagnosticReport,
    DocumentDiagnosticReportResult, DocumentLink, DocumentLinkParams, DocumentSymbolParams,
    DocumentSymbolResponse, ExecuteCommandParams, FileChangeType, FileSystemWatcher,
    FullDocumentDiagnosticReport, GlobPattern, GotoDefinitionParams, GotoDefinitionResponse, Hover,
    HoverParams, InitializeParams, InitializeResult, InitializedParams, InlayHint, InlayHintParams,
    LSPAny, Location, MessageType, NumberOrString, OneOf, Position, Range, Registration,
    RelatedFullDocumentDiagnosticReport, SemanticTokensParams, SemanticTokensRangeParams,
    SemanticTokensRangeResult, SemanticTokensResult, ServerInfo, SymbolKind, Uri,
    WorkspaceDiagnosticParams, WorkspaceDiagnosticReport, WorkspaceDiagnosticReportResult,
    WorkspaceDocumentDiagnosticReport, WorkspaceFullDocumentDiagnosticReport, WorkspaceSymbol,
    WorkspaceSymbolParams, WorkspaceSymbolResponse,
};
use tokio::sync::{mpsc, oneshot};
use tower_lsp_server::jsonrpc::{Error, Result};
use tower_lsp_server::{Client, LanguageServer};

use crate::workspace::index::FileIndex;
use crate::workspace::model::Change;
use crate::workspace::walk::{self, Excludes};
use crate::workspace::watch::{FsChange, Watcher};

use super::actor::{self, Msg, Outbound, Snapshot};
use super::lifecycle::Lifecycle;
use super::{caps, commands, handlers};

/// How long the server waits for the client to answer one of its requests.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long the server's own watcher gathers events into one batch.
const WATCH_DEBOUNCE: Duration = Duration::from_millis(50);

pub struct Backend {
    client: Client,
    actor: actor::Handle,
    shared: Arc<Shared>,
    commands: mpsc::UnboundedSender<(String, Vec<serde_json::Value>)>,
    lifecycle: Arc<Lifecycle>,
}

/// What the handlers and the background tasks share.
#[derive(Default)]
struct Shared {
    facts: OnceLock<ClientFacts>,
    /// The roots named in `initialize`, handed to the actor once initialized.
    initial_roots: Mutex<Vec<PathBuf>>,
    /// Every root added so far, so that watching can start late.
    roots: Mutex<Vec<PathBuf>>,
    /// Whether the server watches the disk itself.
    server_watch: AtomicBool,
    watchers: Mutex<Vec<Watcher>>,
    progress_tokens: AtomicU32,
    /// Documents the client has open, for the pull model's workspace report.
    open: Mutex<std::collections::HashSet<Uri>>,
    encoding: OnceLock<crate::text::Encoding>,
}

/// What the client said it can do.
#[derive(Clone, Copy, Debug, Default)]
struct ClientFacts {
    watch_registration: bool,
    /// Whether the client answers `workspace/configuration`.
    configuration: bool,
    progress: bool,
    /// Helix registers for watched files but reports only what it writes.
    helix: bool,
    /// Whether the client takes `workspace/semanticTokens/refresh`.
    tokens_refresh: bool,
    /// Whether the client takes `workspace/inlayHint/refresh`.
    hints_refresh: bool,
    /// Whether the client takes `workspace/codeLens/refresh`.
    lens_refresh: bool,
}

impl Backend {
    pub fn new(client: Client, lifecycle: Arc<Lifecycle>) -> Backend {
        let (tx, rx) = mpsc::unbounded_channel();
        let actor = actor::spawn(tx);
        let shared = Arc::new(Shared::default());
        tokio::spawn(forward(client.clone(), actor.clone(), shared.clone(), rx));
        let runner = commands::Runner {
            client: client.clone(),
            actor: actor.clone(),
        };
        let (commands, queue) = mpsc::unbounded_channel();
        tokio::spawn(commands::work(runner, queue));
        Backend {
            client,
            actor,
            shared,
            commands,
            lifecycle,
        }
    }

    /// The document as of this request: the snapshot message is queued
    /// behind every change received before it.
    async fn snapshot(&self, uri: &Uri) -> Option<Snapshot> {
        self.snapshot_of(uri, None).await
    }

    /// As [`Backend::snapshot`], or with `tags_by`, just the tags, by then
    /// (see actor::TOKENS_WITHIN), for highlighting.
    async fn snapshot_of(&self, uri: &Uri, tags_by: Option<Instant>) -> Option<Snapshot> {
        let (reply, rx) = oneshot::channel();
        self.actor.send(Msg::Snapshot {
            uri: uri.clone(),
            tags_by,
            reply,
        });
        rx.await.ok().flatten()
    }
}

/// Sends what the actor produces to the client, in order.
async fn forward(
    client: Client,
    actor: actor::Handle,
    shared: Arc<Shared>,
    mut rx: mpsc::UnboundedReceiver<Outbound>,
) {
    while let Some(out) = rx.recv().await {
        match out {
            Outbound::Publish {
                uri,
                version,
                diagnostics,
            } => {
                client.publish_diagnostics(uri, diagnostics, version).await;
            }
            Outbound::Log { typ, message } => client.log_message(typ, message).await,
            Outbound::Show { typ, message } => client.show_message(typ, message).await,
            Outbound::RefreshDerived => {
                let facts = shared.facts.get().copied().unwrap_or_default();
                let client = client.clone();
                // Requests: their answers are not waited for here.
                tokio::spawn(async move {
                    if facts.hints_refresh {
                        let _ = client.inlay_hint_refresh().await;
                    }
                    if facts.lens_refresh {
                        let _ = client.code_lens_refresh().await;
                    }
                });
            }
            Outbound::RefreshLenses => {
                if shared.facts.get().is_some_and(|f| f.lens_refresh) {
                    let client = client.clone();
                    // A request: its answer is not waited for here.
                    tokio::spawn(async move {
                        let _ = client.code_lens_refresh().await;
                    });
                }
            }
            Outbound::RefreshTokens => {
                if shared.facts.get().is_some_and(|f| f.tokens_refresh) {
                    let client = client.clone();
                    // A request: its answer is not waited for here.
                    tokio::spawn(async move {
                        let _ = client.semantic_tokens_refresh().await;
                    });
                }
            }
            Outbound::RootAdded(root) => {
                lock(&shared.roots).push(root.clone());
                let (client, actor, shared) = (client.clone(), actor.clone(), shared.clone());
                // The watcher starts before the walk: a file created while
                // the index is being built is then either walked or seen as
                // an event (the actor replays those onto the new index).
                tokio::spawn(async move {
                    if shared.server_watch.load(Ordering::SeqCst) {
                        watch_roots(actor.clone(), shared.clone(), vec![root.clone()]).await;
                    }
                    index_root(client, actor, shared, root).await;
                });
            }
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Builds a root's file index off the serve task, with progress for clients
/// that show it.
async fn index_root(client: Client, actor: actor::Handle, shared: Arc<Shared>, root: PathBuf) {
    let facts = shared.facts.get().copied().unwrap_or_default();
    let mut progress = None;
    if facts.progress {
        let n = shared.progress_tokens.fetch_add(1, Ordering::SeqCst);
        let token = NumberOrString::String(format!("tagls-index-{n}"));
        let created = tokio::time::timeout(
            CLIENT_TIMEOUT,
            client.create_work_done_progress(token.clone()),
        )
        .await;
        if let Ok(Ok(())) = created {
            progress = Some(
                client
                    .progress(token, "tagls: indexing")
                    .with_message(root.display().to_string())
                    .begin()
                    .await,
            );
        }
    }
    let rules = Arc::new(Excludes::new(&root));
    let walk_rules = Arc::clone(&rules);
    let built = tokio::task::spawn_blocking(move || {
        catch_unwind(AssertUnwindSafe(|| {
            FileIndex::from_entries(walk::entries_with(&walk_rules).entries)
        }))
    })
    .await;
    let message = match built {
        Ok(Ok(index)) => {
            let n = index.len();
            actor.send(Msg::IndexBuilt { root, index, rules });
            format!("{n} files and folders")
        }
        _ => {
            tracing::error!("indexing {} failed", root.display());
            "failed".to_owned()
        }
    };
    if let Some(p) = progress {
        p.finish_with_message(message).await;
    }
}

/// Starts the server's own watcher on some roots.
async fn watch_roots(actor: actor::Handle, shared: Arc<Shared>, roots: Vec<PathBuf>) {
    let started = tokio::task::spawn_blocking(move || {
        Watcher::start(roots, WATCH_DEBOUNCE, move |changes| {
            let changes = changes
                .into_iter()
                .map(|c| match c {
                    FsChange::Created(p) => Change::Created(p),
                    FsChange::Changed(p) => Change::Changed(p),
                    FsChange::Removed(p) => Change::Removed(p),
                    FsChange::Rescan => Change::Rescan,
                })
                .collect();
            actor.send(Msg::FsChanges(changes));
        })
    })
    .await;
    match started {
        Ok(Ok(w)) => lock(&shared.watchers).push(w),
        Ok(Err(e)) => {
            tracing::warn!(
                "cannot watch the workspace: {e}; changes on disk are seen only on reopen"
            )
        }
        Err(_) => tracing::error!("starting the watcher panicked"),
    }
}

/// Asks the client to watch files for the server; falls back to the
/// server's own watcher when the client refuses or does not answer.
async fn register_watching(client: Client, actor: actor::Handle, shared: Arc<Shared>) {
    let options = DidChangeWatchedFilesRegistrationOptions {
        watchers: vec![FileSystemWatcher {
            glob_pattern: GlobPattern::String("**/*".to_owned()),
            kind: None,
        }],
    };
    let registration = Registration {
        id: "tagls-watched-files".to_owned(),
        method: "workspace/didChangeWatchedFiles".to_owned(),
        register_options: serde_json::to_value(options).ok(),
    };
    let answered = tokio::time::timeout(
        CLIENT_TIMEOUT,
        client.register_capability(vec![registration]),
    )
    .await;
    if !matches!(answered, Ok(Ok(()))) {
        tracing::info!(
            "the client did not take the file watch registration; watching from the server"
        );
        shared.server_watch.store(true, Ordering::SeqCst);
        let roots = lock(&shared.roots).clone();
        watch_roots(actor, shared, roots).await;
    }
}

/// Asks the client for the `tagls` settings section, on its own task, with
/// a timeout: a client that never answers changes nothing.
async fn pull_settings(client: Client, actor: actor::Handle) {
    let item = ConfigurationItem {
        scope_uri: None,
        section: Some("tagls".to_owned()),
    };
    match tokio::time::timeout(CLIENT_TIMEOUT, client.configuration(vec![item])).await {
        Ok(Ok(mut values)) if !values.is_empty() => {
            let v = values.swap_remove(0);
            if !v.is_null() {
                actor.send(Msg::EditorSettings(v));
            }
        }
        _ => tracing::debug!("the client gave no tagls settings"),
    }
}

/// The roots a client names: workspace folders, else the root URI, else the
/// root path (Helix sends only that, its working folder, when no root
/// marker is found).
#[allow(deprecated)]
fn roots_of(params: &InitializeParams) -> Vec<PathBuf> {
    let uris: Vec<&Uri> = match &params.workspace_folders {
        Some(folders) if !folders.is_empty() => folders.iter().map(|f| &f.uri).collect(),
        _ => params.root_uri.iter().collect(),
    };
    if uris.is_empty() {
        return params
            .root_path
            .iter()
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
            .collect();
    }
    uris.into_iter()
        .filter_map(|u| u.to_file_path().map(|p| p.into_owned()))
        .collect()
}

/// Runs request work off the serve task; a panic becomes an internal error
/// response instead of taking the server down.
async fn off_thread<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    let joined = tokio::task::spawn_blocking(move || catch_unwind(AssertUnwindSafe(f))).await;
    match joined {
        Ok(Ok(v)) => Ok(v),
        _ => {
            tracing::error!("a request handler panicked");
            Err(Error::internal_error())
        }
    }
}

pub(super) fn enc_index(enc: crate::text::Encoding) -> usize {
    match enc {
        crate::text::Encoding::Utf8 => 0,
        crate::text::Encoding::Utf16 => 1,
        crate::text::Encoding::Utf32 => 2,
    }
}

impl Backend {
    /// The roots a workspace-wide request scans, each with the
    /// configuration the editor's documents are checked with.
    async fn scan_roots(&self) -> Vec<(PathBuf, crate::config::ConfigFile)> {
        let (reply, rx) = oneshot::channel();
        self.actor.send(Msg::Configured { reply });
        rx.await.unwrap_or_default()
    }

    fn encoding(&self) -> crate::text::Encoding {
        self.shared.encoding.get().copied().unwrap_or_default()
    }

    /// Hands an opened document (or a notebook's cell) to the actor.
    fn open_document(&self, doc: ls_types::TextDocumentItem) {
        lock(&self.shared.open).insert(doc.uri.clone());
        self.actor.send(Msg::Open {
            uri: doc.uri,
            language_id: doc.language_id,
            version: doc.version,
            text: doc.text,
        });
    }

    /// Tells the actor a document (or a notebook's cell) was closed.
    fn close_document(&self, uri: ls_types::Uri) {
        lock(&self.shared.open).remove(&uri);
        self.actor.send(Msg::Close { uri });
    }
}

impl Backend {
    /// Answers a message that could not be decoded (see `lsp::input`) with
    /// the error that was due.
    pub async fn invalid_message(&self, params: serde_json::Value) -> Result<()> {
        let code = params["code"].as_i64().unwrap_or(-32700);
        let message = params["message"].as_str().unwrap_or("invalid message");
        tracing::warn!("cannot decode a message from the client: {message}");
        Err(Error {
            code: tower_lsp_server::jsonrpc::ErrorCode::from(code),
            message: message.to_owned().into(),
            data: None,
        })
    }
}

impl LanguageServer for Backend {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        let encoding = caps::negotiate_encoding(&params.capabilities);
        self.actor.send(Msg::Configure { encoding });
        let _ = self.shared.encoding.set(encoding);
        let c = &params.capabilities;
        let facts = ClientFacts {
            watch_registration: c
                .workspace
                .as_ref()
                .and_then(|w| w.did_change_watched_files.as_ref())
                .and_then(|d| d.dynamic_registration)
                .unwrap_or(false),
            progress: c
                .window
                .as_ref()
                .and_then(|w| w.work_done_progress)
                .unwrap_or(false),
            configuration: c
                .workspace
                .as_ref()
                .and_then(|w| w.configuration)
                .unwrap_or(false),
            helix: params
                .client_info
                .as_ref()
                .is_some_and(|i| i.name.eq_ignore_ascii_case("helix")),
            tokens_refresh: c
                .workspace
                .as_ref()
                .and_then(|w| w.semantic_tokens.as_ref())
                .and_then(|s| s.refresh_support)
                .unwrap_or(false),
            hints_refresh: c
                .workspace
                .as_ref()
                .and_then(|w| w.inlay_hint.as_ref())
                .and_then(|s| s.refresh_support)
                .unwrap_or(false),
            lens_refresh: c
                .workspace
                .as_ref()
                .and_then(|w| w.code_lens.as_ref())
                .and_then(|s| s.refresh_support)
                .unwrap_or(false),
        };
        let _ = self.shared.facts.set(facts);
        if let Some(options) = params.initialization_options.clone() {
            self.actor.send(Msg::EditorSettings(options));
        }
        *lock(&self.shared.initial_roots) = roots_of(&params);
        if let Some(pid) = params.process_id {
            self.lifecycle.watch_client(pid);
        }
        Ok(InitializeResult {
            capabilities: caps::server_capabilities(encoding),
            server_info: Some(ServerInfo {
                name: "tagls".to_owned(),
                version: Some(env!("CARGO_PKG_VERSION").to_owned()),
            }),
            offset_encoding: None,
        })
    }

    async fn initialized(&self, _: InitializedParams) {
        let facts = self.shared.facts.get().copied().unwrap_or_default();
        let client_watches = facts.watch_registration && !facts.helix;
        self.shared
            .server_watch
            .store(!client_watches, Ordering::SeqCst);
        let roots = std::mem::take(&mut *lock(&self.shared.initial_roots));
        self.actor.send(Msg::Roots(roots));
        if facts.configuration {
            tokio::spawn(pull_settings(self.client.clone(), self.actor.clone()));
        }
        if client_watches {
            tokio::spawn(register_watching(
                self.client.clone(),
                self.actor.clone(),
                self.shared.clone(),
            ));
        }
        self.client
            .log_message(
                MessageType::INFO,
                concat!("tagls ", env!("CARGO_PKG_VERSION"), " ready"),
            )
            .await;
    }

    async fn shutdown(&self) -> Result<()> {
        self.lifecycle.shut_down();
        Ok(())
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        self.open_document(params.text_document);
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        self.actor.send(Msg::Change {
            uri: params.text_document.uri,
            version: params.text_document.version,
            changes: params.content_changes,
        });
    }

    // A notebook's cells are documents of their own (each with its cell
    // URI and language), checked as any document of that language is:
    // these only pass them on, in the order the protocol applies them
    // (structure, then text), before any `.await`.
    async fn notebook_did_open(&self, params: ls_types::DidOpenNotebookDocumentParams) {
        for cell in params.cell_text_documents {
            self.open_document(cell);
        }
    }

    async fn notebook_did_change(&self, params: ls_types::DidChangeNotebookDocumentParams) {
        let Some(cells) = params.change.cells else {
            return;
        };
        if let Some(structure) = cells.structure {
            for cell in structure.did_close.into_iter().flatten() {
                self.close_document(cell.uri);
            }
            for cell in structure.did_open.into_iter().flatten() {
                self.open_document(cell);
            }
        }
        for text in cells.text_content.into_iter().flatten() {
            self.actor.send(Msg::Change {
                uri: text.document.uri,
                version: text.document.version,
                changes: text.changes,
            });
        }
    }

    async fn notebook_did_close(&self, params: ls_types::DidCloseNotebookDocumentParams) {
        for cell in params.cell_text_documents {
            self.close_document(cell.uri);
        }
    }

    async fn did_save(&self, params: ls_types::DidSaveTextDocumentParams) {
        self.actor.send(Msg::Saved {
            uri: params.text_document.uri,
        });
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        self.close_document(params.text_document.uri);
    }

    async fn did_change_configuration(&self, params: DidChangeConfigurationParams) {
        // Some clients push the settings; the others are asked for them.
        match params.settings.get("tagls") {
            Some(v) => self.actor.send(Msg::EditorSettings(v.clone())),
            None if self.shared.facts.get().is_some_and(|f| f.configuration) => {
                tokio::spawn(pull_settings(self.client.clone(), self.actor.clone()));
            }
            None => {}
        }
    }

    async fn did_change_watched_files(&self, params: DidChangeWatchedFilesParams) {
        let changes = params
            .changes
            .into_iter()
            .filter_map(|e| {
                let path = e.uri.to_file_path()?.into_owned();
                Some(match e.typ {
                    FileChangeType::CREATED => Change::Created(path),
                    FileChangeType::DELETED => Change::Removed(path),
                    _ => Change::Changed(path),
                })
            })
            .collect();
        self.actor.send(Msg::FsChanges(changes));
    }

    async fn goto_definition(
        &self,
        params: GotoDefinitionParams,
    ) -> Result<Option<GotoDefinitionResponse>> {
        let at = params.text_document_position_params;
        let Some(snap) = self.snapshot(&at.text_document.uri).await else {
            return Ok(None);
        };
        off_thread(move || {
            handlers::definition(&snap, at.position).map(GotoDefinitionResponse::Array)
        })
        .await
    }

    async fn document_link(&self, params: DocumentLinkParams) -> Result<Option<Vec<DocumentLink>>> {
        let Some(snap) = self.snapshot(&params.text_document.uri).await else {
            return Ok(None);
        };
        off_thread(move || Some(handlers::document_links(&snap))).await
    }

    async fn inlay_hint(&self, params: InlayHintParams) -> Result<Option<Vec<InlayHint>>> {
        let Some(snap) = self.snapshot(&params.text_document.uri).await else {
            return Ok(None);
        };
        off_thread(move || Some(handlers::inlay_hints(&snap, params.range))).await
    }

    async fn completion(&self, params: CompletionParams) -> Result<Option<CompletionResponse>> {
        let at = params.text_document_position;
        let (reply, rx) = oneshot::channel();
        self.actor.send(Msg::Complete {
            uri: at.text_document.uri,
            position: at.position,
            reply,
        });
        let items = rx.await.unwrap_or_default();
        Ok((!items.is_empty()).then_some(CompletionResponse::Array(items)))
    }

    async fn document_symbol(
        &self,
        params: DocumentSymbolParams,
    ) -> Result<Option<DocumentSymbolResponse>> {
        let Some(snap) = self.snapshot(&params.text_document.uri).await else {
            return Ok(None);
        };
        off_thread(move || {
            Some(DocumentSymbolResponse::Nested(handlers::document_symbols(
                &snap,
            )))
        })
        .await
    }

    async fn code_lens(&self, params: CodeLensParams) -> Result<Option<Vec<CodeLens>>> {
        let Some(snap) = self.snapshot(&params.text_document.uri).await else {
            return Ok(None);
        };
        off_thread(move || Some(handlers::code_lenses(&snap))).await
    }

    async fn symbol(
        &self,
        params: WorkspaceSymbolParams,
    ) -> Result<Option<WorkspaceSymbolResponse>> {
        let roots = self.scan_roots().await;
        let enc = self.encoding();
        let query = params.query.to_lowercase();
        off_thread(move || {
            let cache = crate::scan_cache::default_dir();
            let report = crate::gate::scan(&roots, cache.as_deref(), &mut |_| {});
            let symbols = report
                .tags
                .iter()
                .filter(|t| {
                    format!("#{} {}", t.name, t.payload)
                        .to_lowercase()
                        .contains(&query)
                })
                .filter_map(|t| {
                    let uri = Uri::from_file_path(t.root.join(&t.path))?;
                    let (s, e) = t.span[enc_index(enc)];
                    Some(WorkspaceSymbol {
                        name: format!("#{}: {}", t.name, t.payload),
                        kind: SymbolKind::EVENT,
                        tags: None,
                        container_name: Some(t.path.clone()),
                        location: OneOf::Left(Location::new(
                            uri,
                            Range::new(Position::new(s.line, s.col), Position::new(e.line, e.col)),
                        )),
                        data: None,
                    })
                })
                .collect();
            Some(WorkspaceSymbolResponse::Nested(symbols))
        })
        .await
    }

    async fn diagnostic(
        &self,
        _: DocumentDiagnosticParams,
    ) -> Result<DocumentDiagnosticReportResult> {
        // Open documents get their diagnostics pushed, as they change; the
        // pulled report stays empty so that clients that do both do not show
        // them twice.
        Ok(DocumentDiagnosticReportResult::Report(
            DocumentDiagnosticReport::Full(RelatedFullDocumentDiagnosticReport::default()),
        ))
    }

    async fn workspace_diagnostic(
        &self,
        _: WorkspaceDiagnosticParams,
    ) -> Result<WorkspaceDiagnosticReportResult> {
        let roots = self.scan_roots().await;
        let enc = self.encoding();
        let open = lock(&self.shared.open).clone();
        let items =
            off_thread(move || {
                let cache = crate::scan_cache::default_dir();
                let report = crate::gate::scan(&roots, cache.as_deref(), &mut |_| {});
                let mut by_file: std::collections::BTreeMap<PathBuf, Vec<Diagnostic>> =
                    std::collections::BTreeMap::new();
                // Files that are not open: what needs attention only (see
                // `gate::needs_attention`); open files have theirs pushed.
                for f in report.findings.iter().filter(|f| f.needs_attention()) {
                    by_file.entry(f.root.join(&f.path)).or_default().push(
                        super::proto::diagnostic_at(f.span[enc_index(enc)], &f.finding),
                    );
                }
                by_file
                    .into_iter()
                    .filter_map(|(path, items)| {
                        let uri = Uri::from_file_path(&path)?;
                        (!open.contains(&uri)).then_some({
                            WorkspaceDocumentDiagnosticReport::Full(
                                WorkspaceFullDocumentDiagnosticReport {
                                    uri,
                                    version: None,
                                    full_document_diagnostic_report: FullDocumentDiagnosticReport {
                                        result_id: None,
                                        items,
                                    },
                                },
                            )
                        })
                    })
                    .collect()
            })
            .await?;
        Ok(WorkspaceDiagnosticReportResult::Report(
            WorkspaceDiagnosticReport { items },
        ))
    }

    async fn hover(&self, params: HoverParams) -> Result<Option<Hover>> {
        let at = params.text_document_position_params;
        let Some(snap) = self.snapshot(&at.text_document.uri).await else {
            return Ok(None);
        };
        off_thread(move || handlers::hover(&snap, at.position)).await
    }

    async fn semantic_tokens_full(
        &self,
        params: SemanticTokensParams,
    ) -> Result<Option<SemanticTokensResult>> {
        let by = Instant::now() + actor::TOKENS_WITHIN;
        let Some(snap) = self.snapshot_of(&params.text_document.uri, Some(by)).await else {
            return Ok(None);
        };
        off_thread(move || {
            Some(SemanticTokensResult::Tokens(handlers::semantic_tokens(
                &snap, None,
            )))
        })
        .await
    }

    async fn semantic_tokens_range(
        &self,
        params: SemanticTokensRangeParams,
    ) -> Result<Option<SemanticTokensRangeResult>> {
        let by = Instant::now() + actor::TOKENS_WITHIN;
        let Some(snap) = self.snapshot_of(&params.text_document.uri, Some(by)).await else {
            return Ok(None);
        };
        let range = params.range;
        off_thread(move || {
            Some(SemanticTokensRangeResult::Tokens(
                handlers::semantic_tokens(&snap, Some(range)),
            ))
        })
        .await
    }

    async fn code_action(&self, params: CodeActionParams) -> Result<Option<CodeActionResponse>> {
        let snap = self.snapshot(&params.text_document.uri).await;
        let actions = off_thread(move || {
            let mut actions = handlers::code_actions(&params);
            actions.extend(commands::code_actions(snap.as_ref(), &params));
            handlers::order_code_actions(&mut actions, params.range);
            actions
        })
        .await?;
        Ok((!actions.is_empty()).then_some(actions))
    }

    async fn execute_command(&self, params: ExecuteCommandParams) -> Result<Option<LSPAny>> {
        if !commands::ALL.contains(&params.command.as_str()) {
            return Err(Error::invalid_params(format!(
                "unknown command {}",
                params.command
            )));
        }
        if params.command == commands::LOG_PATH {
            // A query: answered with what it asks, not queued behind writes.
            let first_root = self.scan_roots().await.into_iter().next().map(|(r, _)| r);
            return commands::log_path(&self.actor, first_root, &params.arguments)
                .await
                .map_err(Error::invalid_params);
        }
        if params.command == commands::GATE {
            // A query too: the check runs off the async threads.
            let roots = self.scan_roots().await;
            let roots = commands::gate_roots(&self.actor, roots, &params.arguments)
                .await
                .map_err(Error::invalid_params)?;
            let enc = self.encoding();
            return off_thread(move || Some(super::project::answer(&roots, enc))).await;
        }
        // The command is queued and the request answered at once: a command
        // waits for the editor to apply its edit and report the change back,
        // and that notification needs a free handler slot. One worker runs
        // the queue, so commands run one at a time, in the order they came.
        if self
            .commands
            .send((params.command, params.arguments))
            .is_err()
        {
            return Err(Error::internal_error());
        }
        Ok(None)
    }
}
