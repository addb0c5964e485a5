//! Fuzz target `thresholds`: see `tagls_fuzz::thresholds` for the input format
//! and the properties checked.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tagls_fuzz::thresholds(data));
