//! The server and its protocol, driven as editors drive it: in process over
//! the real codec, and as the built binary over stdio. One test binary for
//! all of them, so that a change to the library links one binary, not one
//! per file.

#[path = "support/mod.rs"]
mod support;

#[path = "abuse.rs"]
mod abuse;
#[path = "age.rs"]
mod age;
#[path = "binary.rs"]
mod binary;
#[path = "config.rs"]
mod config;
#[path = "deadlines.rs"]
mod deadlines;
#[path = "depth.rs"]
mod depth;
#[path = "dialects.rs"]
mod dialects;
#[path = "differential.rs"]
mod differential;
#[path = "embedded.rs"]
mod embedded;
#[path = "everyday.rs"]
mod everyday;
#[path = "hostile.rs"]
mod hostile;
#[path = "languages.rs"]
mod languages;
#[path = "log.rs"]
mod log;
#[path = "log_faults.rs"]
mod log_faults;
#[path = "method.rs"]
mod method;
#[path = "notebooks.rs"]
mod notebooks;
#[path = "phase_state.rs"]
mod phase_state;
#[path = "protocol.rs"]
mod protocol;
#[path = "resolution.rs"]
mod resolution;
#[path = "secrets.rs"]
mod secrets;
