//! Fuzz target `tags`: see `tagls_fuzz::tags` for the input format and the
//! properties checked.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tagls_fuzz::tags(data));
