//! Fuzz target `log`: see `tagls_fuzz::log` for the input format and the
//! properties checked.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tagls_fuzz::log(data));
