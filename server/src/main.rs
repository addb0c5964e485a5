//! The `tagls` binary: the language server on stdio, or a command.

use std::process::ExitCode;

use clap::Parser;
use tagls::cli::{Cli, Command, InitAgent, audit, check, explain, hook, init, logcmd, report};
use tracing_subscriber::EnvFilter;

// mimalloc for Rust's allocations; tagls::alloc hands it to tree-sitter.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    tagls::alloc::install_for_tree_sitter();
    // A write past the file size limit (RLIMIT_FSIZE) then fails with EFBIG,
    // which is reported, instead of SIGXFSZ killing the process mid-write.
    // SAFETY: called first thing, before any other thread exists.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version are not errors; usage errors exit 2, but
            // those of `tagls hook` exit 1: an agent reads 2 as a block.
            let _ = e.print();
            let hook = std::env::args_os().nth(1).is_some_and(|a| a == "hook");
            return ExitCode::from(match (e.use_stderr(), hook) {
                (false, _) => 0,
                (true, true) => tagls::cli::hook::EXIT_ERROR,
                (true, false) => tagls::cli::EXIT_USAGE,
            });
        }
    };
    // Logs go to stderr: stdout carries the protocol or the result.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_env_filter(
            EnvFilter::try_from_env("TAGLS_LOG").unwrap_or_else(|_| EnvFilter::new("warn")),
        )
        .init();
    match cli.command {
        Some(Command::Check(args)) => check::run(args),
        Some(Command::Report {
            root,
            config,
            no_cache,
            since,
        }) => report::run(root, config, no_cache, since),
        Some(Command::Log(cmd)) => logcmd::run(cmd),
        Some(Command::Init { agent: None, root }) => init::run(root),
        Some(Command::Init {
            agent: Some(InitAgent::Claude { root }),
            ..
        }) => init::claude(root),
        Some(Command::Hook { root }) => hook::run(root),
        Some(Command::Explain { code }) => explain::run(code),
        Some(Command::Mcp { root }) => tagls::mcp::run(root),
        Some(Command::Audit(args)) => audit::run(args),
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
            return ExitCode::from(tagls::cli::EXIT_USAGE);
        }
    };
    // LSP: 0 after `shutdown`, 1 when the session ended without one.
    ExitCode::from(runtime.block_on(tagls::lsp::run_stdio()))
}
