//! `tagls check`, `report`, `log`, `init`, `explain` and `hook` as a user runs them, the grammar
//! `tagls check`, `report`, `log`, `init`, `explain` and `mcp` as a user runs them, the grammar
//! fixtures, the fuzz regressions, the edit properties and the rules of the
//! house: one test binary.

#[path = "audit.rs"]
mod audit;
#[path = "ci_formats.rs"]
mod ci_formats;
#[path = "cli.rs"]
mod cli;
#[path = "first_run.rs"]
mod first_run;
#[path = "fixtures.rs"]
mod fixtures;
#[path = "fuzz_regressions.rs"]
mod fuzz_regressions;
#[path = "hooks.rs"]
mod hooks;
#[path = "log_writer.rs"]
mod log_writer;
#[path = "mcp.rs"]
mod mcp;
#[path = "precommit.rs"]
mod precommit;
#[path = "proptest_edits.rs"]
mod proptest_edits;
#[path = "real_code.rs"]
mod real_code;
#[path = "tidy.rs"]
mod tidy;
