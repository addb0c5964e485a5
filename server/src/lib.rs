//! tagls: a language server and quality gate for tag-annotated code.
//!
//! Layers, bottom to top: [`text`] and [`syntax`]; the core ([`tags`],
//! [`document`], [`findings`]); then the protocol glue ([`lsp`]) and the
//! command line ([`cli`]) side by side. Only [`lsp`] knows about LSP.

#![deny(clippy::print_stdout)]

pub mod alloc;
pub mod analysis;
pub mod audit;
pub mod cli;
pub mod complete;
pub mod config;
pub mod dialect;
pub mod document;
pub mod findings;
pub mod gate;
pub mod highlight;
pub mod history;
pub mod housekeeping;
pub mod log;
pub mod lsp;
pub mod markup;
pub mod mcp;
pub mod phase;
pub mod plans;
pub mod recur;
pub mod resolve;
pub mod scan_cache;
pub mod secrets;
pub mod syntax;
pub mod tags;
pub mod text;
pub mod workspace;
