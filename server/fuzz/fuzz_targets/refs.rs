//! Fuzz target `refs`: see `tagls_fuzz::refs` for the input format and the
//! properties checked.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tagls_fuzz::refs(data));
