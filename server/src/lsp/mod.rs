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
mod proto;

use tower_lsp_server::{LspService, Server};

pub use backend::Backend;
pub use caps::semantic_token_legend;
pub use input::MAX_FRAME;

/// Serves LSP on stdin/stdout until the client exits.
pub async fn run_stdio() {
    let (service, socket) = service();
    Server::new(
        input::checked(tokio::io::stdin()),
        tokio::io::stdout(),
        socket,
    )
    .serve(service)
    .await;
}

/// Serves LSP on any byte streams: the test harness uses in-memory pipes.
pub async fn serve<I, O>(input: I, output: O)
where
    I: tokio::io::AsyncRead + Unpin + Send + 'static,
    O: tokio::io::AsyncWrite,
{
    let (service, socket) = service();
    Server::new(input::checked(input), output, socket)
        .serve(service)
        .await;
}

fn service() -> (LspService<Backend>, tower_lsp_server::ClientSocket) {
    LspService::build(Backend::new)
        .custom_method(input::INVALID_MESSAGE, Backend::invalid_message)
        .finish()
}
