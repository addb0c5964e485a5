//! Fuzz target `positions`: see `tagls_fuzz::positions` for the input format and the
//! properties checked.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tagls_fuzz::positions(data));
