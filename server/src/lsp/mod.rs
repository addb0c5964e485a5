//! The protocol glue: the only part of tagls that knows LSP.
//!
//! Handlers decode, hand work to the document actor or to a blocking task,
//! and encode; conversions live in [`proto`]. See `docs/ARCHITECTURE.md`.

mod actor;
mod backend;
mod caps;
mod commands;
mod documents;
mod handlers;
mod input;
mod lifecycle;
mod project;
mod proto;

use std::sync::Arc;

use tower_lsp_server::{LspService, Server};

pub use backend::Backend;
pub use caps::semantic_token_legend;
pub use input::MAX_FRAME;

/// Serves LSP on stdin/stdout until the client exits, its input ends or its
/// process is gone; returns the exit status: 0 if the client asked for
/// `shutdown` first, else 1.
pub async fn run_stdio() -> u8 {
    let lifecycle = Arc::new(lifecycle::Lifecycle::new(true));
    let (service, socket) = service(Arc::clone(&lifecycle));
    Server::new(
        input::checked(tokio::io::stdin()),
        tokio::io::stdout(),
        socket,
    )
    .serve(service)
    .await;
    lifecycle.exit_code()
}

/// Serves LSP on any byte streams: the test harness uses in-memory pipes.
pub async fn serve<I, O>(input: I, output: O)
where
    I: tokio::io::AsyncRead + Unpin + Send + 'static,
    O: tokio::io::AsyncWrite,
{
    let (service, socket) = service(Arc::new(lifecycle::Lifecycle::new(false)));
    Server::new(input::checked(input), output, socket)
        .serve(service)
        .await;
}

fn service(
    lifecycle: Arc<lifecycle::Lifecycle>,
) -> (LspService<Backend>, tower_lsp_server::ClientSocket) {
    LspService::build(|client| Backend::new(client, lifecycle))
        .custom_method(input::INVALID_MESSAGE, Backend::invalid_message)
        .finish()
}
