//! Fuzz target `config`: see `tagls_fuzz::config` for the input format and the
//! properties checked.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tagls_fuzz::config(data));
