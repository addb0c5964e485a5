//! The `LanguageServer` implementation: thin handlers that decode, enqueue
//! or snapshot, and encode.
//!
//! Every document notification sends to the actor before its first `.await`:
//! tower-lsp-server runs several handlers interleaved at each `.await`, so a
//! send after one could overtake an earlier change.

use std::panic::{AssertUnwindSafe, catch_unwind};

use ls_types::{
    CodeActionParams, CodeActionResponse, DidChangeTextDocumentParams, DidCloseTextDocumentParams,
    DidOpenTextDocumentParams, Hover, HoverParams, InitializeParams, InitializeResult,
    InitializedParams, MessageType, SemanticTokensParams, SemanticTokensRangeParams,
    SemanticTokensRangeResult, SemanticTokensResult, ServerInfo, Uri,
};
use tokio::sync::{mpsc, oneshot};
use tower_lsp_server::jsonrpc::{Error, Result};
use tower_lsp_server::{Client, LanguageServer};

use super::actor::{self, Msg, Outbound, Snapshot};
use super::{caps, handlers};

pub struct Backend {
    client: Client,
    actor: actor::Handle,
}

impl Backend {
    pub fn new(client: Client) -> Backend {
        let (tx, rx) = mpsc::unbounded_channel();
        let actor = actor::spawn(tx);
        tokio::spawn(forward(client.clone(), rx));
        Backend { client, actor }
    }

    /// The document as of this request: the snapshot message is queued
    /// behind every change received before it.
    async fn snapshot(&self, uri: &Uri) -> Option<Snapshot> {
        let (reply, rx) = oneshot::channel();
        self.actor.send(Msg::Snapshot {
            uri: uri.clone(),
            reply,
        });
        rx.await.ok().flatten()
    }
}

/// Sends what the actor produces to the client, in order.
async fn forward(client: Client, mut rx: mpsc::UnboundedReceiver<Outbound>) {
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
        }
    }
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

impl LanguageServer for Backend {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        let encoding = caps::negotiate_encoding(&params.capabilities);
        self.actor.send(Msg::Configure { encoding });
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
        self.client
            .log_message(
                MessageType::INFO,
                concat!("tagls ", env!("CARGO_PKG_VERSION"), " ready"),
            )
            .await;
    }

    async fn shutdown(&self) -> Result<()> {
        Ok(())
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        let doc = params.text_document;
        self.actor.send(Msg::Open {
            uri: doc.uri,
            language_id: doc.language_id,
            version: doc.version,
            text: doc.text,
        });
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        self.actor.send(Msg::Change {
            uri: params.text_document.uri,
            version: params.text_document.version,
            changes: params.content_changes,
        });
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        self.actor.send(Msg::Close {
            uri: params.text_document.uri,
        });
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
        let Some(snap) = self.snapshot(&params.text_document.uri).await else {
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
        let Some(snap) = self.snapshot(&params.text_document.uri).await else {
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
        let actions = off_thread(move || handlers::code_actions(&params)).await?;
        Ok((!actions.is_empty()).then_some(actions))
    }
}
