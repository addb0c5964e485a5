//! The `tagls` binary: the language server on stdio, or a command.

use std::process::ExitCode;

use clap::Parser;
use tagls::cli::{Cli, Command};
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Logs go to stderr: stdout carries the protocol.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_env_filter(
            EnvFilter::try_from_env("TAGLS_LOG").unwrap_or_else(|_| EnvFilter::new("warn")),
        )
        .init();
    match cli.command {
        Some(Command::Check { paths }) => tagls::cli::run_check(paths),
        Some(Command::Serve) | None => serve(),
    }
}

fn serve() -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("tagls: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    runtime.block_on(tagls::lsp::run_stdio());
    ExitCode::SUCCESS
}
